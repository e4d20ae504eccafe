"""How the main window meets the desktop: its identity (app id, WM_CLASS, icon) and placement.

Identity: the launcher (``packaging/linux/<APP_ID>.desktop``) and the running window must
agree, or docks show a second, generic icon for the window. On Wayland the window's app id is
``QGuiApplication.desktopFileName``; on X11 docks match the window's WM_CLASS against the
launcher's ``StartupWMClass``. Qt's xcb plugin writes WM_CLASS as (instance, class) = (the
basename of ``argv[0]``, ``applicationName``), computed when the first window is created, so
:func:`apply_identity` sets both before any window exists and the app passes ``WM_CLASS`` as
``argv[0]``: ``python -m wallet_perps``, the pipx script and the bundle then all show
``wallet-perps``/``wallet-perps``.

Placement: the window opens inside the screen's available area (panels excluded) with room
for the window manager's frame, which Qt only learns after the window is shown; it reopens
where the user left it (``saveGeometry``, base64 in Settings) unless that place is no longer
on any screen (a monitor unplugged), in which case it opens centred at the default size.
"""

from __future__ import annotations

import base64
import binascii
import struct
from importlib import resources
from pathlib import Path

from PySide6.QtCore import QByteArray, QPoint, QRect, QSize, Qt
from PySide6.QtGui import QGuiApplication, QIcon, QPixmap
from PySide6.QtWidgets import QApplication, QWidget

__all__ = [
    "APP_ID",
    "DISPLAY_NAME",
    "ICON_SIZES",
    "WM_CLASS",
    "app_icon",
    "apply_identity",
    "fits_a_screen",
    "place_default",
    "restore_placement",
    "saved_normal_geometry",
    "saved_placement",
]

#: Reverse-DNS id: the desktop file's name, the AppStream id and the themed icon's name.
APP_ID = "io.github.walletperps.WalletPerps"
#: Both halves of the X11 WM_CLASS, and the launcher's StartupWMClass.
WM_CLASS = "wallet-perps"
DISPLAY_NAME = "Wallet Perps"
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)

#: The size the window asks for when the screen has room.
PREFERRED = QSize(1280, 800)
#: Room kept for the window manager's frame (title bar above, thin borders) before it is known.
FRAME_W = 16
FRAME_H = 48

_GEOMETRY_MAGIC = 0x1D9D0CB
_SLACK = 8


def app_icon() -> QIcon:
    """The app icon at every rendered size (from the package, wherever it is installed)."""
    icon = QIcon()
    folder = resources.files("wallet_perps.resources") / "icons"
    for size in ICON_SIZES:
        entry = folder / f"{WM_CLASS}-{size}.png"
        if isinstance(entry, Path):  # an ordinary install: Qt reads each size when asked
            if entry.is_file():
                icon.addFile(str(entry), QSize(size, size))
            continue
        pixmap = QPixmap()  # e.g. inside a zip: read now
        if entry.is_file() and pixmap.loadFromData(entry.read_bytes(), "PNG"):
            icon.addPixmap(pixmap)
    return icon


def apply_identity(app: QApplication) -> None:
    """Name, desktop file and icon, before the first window is created (see the module doc)."""
    app.setApplicationName(WM_CLASS)
    app.setApplicationDisplayName(DISPLAY_NAME)
    QGuiApplication.setDesktopFileName(APP_ID)
    icon = app_icon()
    if not icon.isNull():
        app.setWindowIcon(icon)


# ---------------------------------------------------------------------------- placement


def _available(window: QWidget) -> QRect:
    screen = window.screen() or QGuiApplication.primaryScreen()
    return screen.availableGeometry() if screen is not None else QRect(0, 0, 1280, 800)


def place_default(window: QWidget) -> None:
    """The preferred size, shrunk to fit the available area with its frame, and centred."""
    area = _available(window)
    width = max(1, min(PREFERRED.width(), area.width() - FRAME_W))
    height = max(1, min(PREFERRED.height(), area.height() - FRAME_H))
    window.resize(width, height)
    # move() places the frame's corner; the frame is about FRAME_W x FRAME_H bigger.
    x = area.x() + max(0, (area.width() - width - FRAME_W) // 2)
    y = area.y() + max(0, (area.height() - height - FRAME_H) // 2)
    window.move(x, y)


def saved_normal_geometry(blob: bytes) -> QRect | None:
    """The normal (not maximised) geometry inside ``QWidget.saveGeometry``'s blob, or None.

    The layout (magic, version, frame rect, normal rect as left/top/right/bottom qint32,
    big-endian) is the one ``QWidget::saveGeometry`` has written since Qt 4.2.
    """
    try:
        magic, major, _minor = struct.unpack_from(">IHH", blob, 0)
        left, top, right, bottom = struct.unpack_from(">4i", blob, 8 + 16)
    except struct.error:
        return None
    if magic != _GEOMETRY_MAGIC or major < 1:
        return None
    rect = QRect(QPoint(left, top), QPoint(right, bottom))
    return rect if rect.isValid() else None


def fits_a_screen(rect: QRect) -> bool:
    """Is ``rect`` wholly inside some screen's available area (a few pixels of slack)?"""
    for screen in QGuiApplication.screens():
        area = screen.availableGeometry().adjusted(-_SLACK, -_SLACK, _SLACK, _SLACK)
        if area.contains(rect):
            return True
    return False


def _decode(geometry_b64: str) -> bytes | None:
    if not geometry_b64:
        return None
    try:
        return base64.b64decode(geometry_b64, validate=True)
    except (binascii.Error, ValueError):
        return None


def restore_placement(window: QWidget, geometry_b64: str, maximized: bool) -> bool:
    """Reopen where the user left the window; True if the saved geometry was used.

    A missing, damaged or off-screen geometry gives :func:`place_default` instead. The
    maximised state is applied either way (the normal geometry stays for un-maximising).
    """
    blob = _decode(geometry_b64)
    rect = saved_normal_geometry(blob) if blob is not None else None
    restored = False
    if blob is not None and rect is not None and fits_a_screen(rect):
        restored = window.restoreGeometry(QByteArray(blob))
    if not restored:
        place_default(window)
    state = window.windowState() & ~Qt.WindowState.WindowMaximized
    if maximized:
        state |= Qt.WindowState.WindowMaximized
    window.setWindowState(state)
    return restored


def saved_placement(window: QWidget) -> tuple[str, bool]:
    """What to keep in Settings: the base64 ``saveGeometry`` blob and the maximised state."""
    blob = bytes(window.saveGeometry().data())
    return base64.b64encode(blob).decode("ascii"), window.isMaximized()

"""Two small pieces of the app's chrome: the venue strip and the idle-lock activity filter.

The strip is red when the local venue could not be started or stopped, with Retry/Restart;
it floats over the pages like every banner. The filter counts any key, click or wheel turn as
activity, so the keystore's idle lock only fires when the user really is away.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Signal
from PySide6.QtGui import QGuiApplication, QWindow
from PySide6.QtWidgets import QFrame, QLabel, QPushButton, QWidget

from wallet_perps.ui.kit import hbox

__all__ = ["ActivityFilter", "VenueBar"]

_USER_INPUT = {
    QEvent.Type.KeyPress,
    QEvent.Type.MouseButtonPress,
    QEvent.Type.Wheel,
}


class VenueBar(QFrame):
    """A red strip: the venue could not be reached or stopped; with a Retry/Restart button."""

    action_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("VenueBar")
        layout = hbox(self, margins=(16, 6, 16, 6))
        self.label = QLabel("")
        self.label.setWordWrap(True)
        layout.addWidget(self.label, 1)
        self.button = QPushButton("Restart")
        self.button.clicked.connect(self.action_requested.emit)
        layout.addWidget(self.button)
        self.hide()

    def show_problem(self, text: str, action: str) -> None:
        self.label.setText(text)
        self.button.setText(action)
        self.button.setEnabled(True)
        self.show()


class ActivityFilter(QObject):
    """Any key, click or wheel turn counts as activity for the keystore's idle lock.

    Why on windows, not on the application: a filter on ``QApplication`` runs Python for every
    event of every object (each paint, layout, timer and child added): thousands while a page
    is built, and all the time while a market streams. The window system delivers input to a
    top-level ``QWindow`` first, so a filter on each window that takes focus sees every key,
    click and wheel turn a person makes, dialogs included, and little else.
    """

    def __init__(self, touch: Callable[[], None]) -> None:
        super().__init__()
        self._touch = touch

    def watch(self, app: QGuiApplication) -> None:
        """Watch the windows open now and every window that takes focus from now on."""
        for window in app.topLevelWindows():
            window.installEventFilter(self)
        app.focusWindowChanged.connect(self.watch_window)

    def watch_window(self, window: QWindow | None) -> None:
        """Watch ``window`` too: one shown before it ever took focus (a click there still
        counts on a desktop whose window manager has not focused it yet)."""
        if window is not None:
            # Installing again is harmless: Qt keeps one entry per filter and object.
            window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in _USER_INPUT:
            self._touch()
        return False

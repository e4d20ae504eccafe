"""Palette and style sheet: the QSS files in ``wallet_perps.resources``, filled with a palette.

The light palette is chosen when the OS asks for it ("system" follows Qt's colour scheme hint).
The sheets are package data read through ``importlib.resources``, so they load the same from a
checkout, an installed wheel or a frozen bundle.
"""

from __future__ import annotations

import re
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Final, Literal

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication

RESOURCES: Final[Traversable] = files("wallet_perps.resources")
#: Every style sheet, base first. Listed rather than globbed so that a sheet missing from an
#: install is an error naming it (the self-test reports it), not a silently unstyled page;
#: tests/test_selftest.py checks that the list matches the folder.
STYLE_SHEETS: Final = (
    "theme.qss",
    "funding.qss",
    "positions.qss",
    "settings.qss",
    "trade.qss",
    "wallet.qss",
)
ThemeName = Literal["dark", "light", "system"]


class MissingStyleSheet(FileNotFoundError):
    """A style sheet of :data:`STYLE_SHEETS` is not installed; the message names it."""


DARK: dict[str, str] = {
    "bg": "#0b1226",
    "panel": "#0f1833",
    "card": "#141f3f",
    "input": "#0f1833",
    "hover": "#1a2750",
    "border": "#23315c",
    "text": "#e7ecf7",
    "muted": "#8592b3",
    "accent": "#3d7bff",
    "accent-soft": "#1d2f66",
    "long": "#1fc77e",
    "short": "#f0506e",
    "warning": "#f5a524",
}
LIGHT: dict[str, str] = {
    "bg": "#f4f6fb",
    "panel": "#ffffff",
    "card": "#ffffff",
    "input": "#f4f6fb",
    "hover": "#e8edf8",
    "border": "#d7deed",
    "text": "#111a33",
    "muted": "#5d6a8a",
    "accent": "#2f66e8",
    "accent-soft": "#dbe6ff",
    "long": "#0f9d5f",
    "short": "#d63655",
    "warning": "#f5a524",
}


def resolve(theme: ThemeName) -> Literal["dark", "light"]:
    if theme != "system":
        return theme
    hints = QGuiApplication.styleHints()
    return "light" if hints.colorScheme() == Qt.ColorScheme.Light else "dark"


def palette(theme: ThemeName) -> dict[str, str]:
    return LIGHT if resolve(theme) == "light" else DARK


def read_sheet(name: str, resources: Traversable = RESOURCES) -> str:
    """One style sheet's text; :class:`MissingStyleSheet` (naming the file) if it is absent."""
    try:
        return (resources / name).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise MissingStyleSheet(
            f"the style sheet {name} is missing from the installed package "
            f"(wallet_perps/resources/{name})"
        ) from None


def style_sheet(theme: ThemeName, resources: Traversable = RESOURCES) -> str:
    """theme.qss, then each page's own sheet (``wallet_perps/resources/<page>.qss``), coloured.

    Per-page sheets keep a page's rules next to each other; they come after the base sheet
    so they can refine it.
    """
    tokens = {**palette(theme), "icons": icons_dir(resources)}
    qss = "\n".join(read_sheet(name, resources) for name in STYLE_SHEETS)
    return re.sub(r"@([a-z-]+)", lambda m: tokens.get(m.group(1), m.group(0)), qss)


def icons_dir(resources: Traversable = RESOURCES) -> str:
    """The icons folder as a path Qt's ``url()`` can read (``@icons`` in the sheets).

    A styled check box loses Qt's own tick, so the sheets draw ``icons/check.svg``; the
    package is a real folder in a checkout, a wheel and the bundle alike.
    """
    return str(resources / "icons").replace("\\", "/")

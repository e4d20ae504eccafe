"""Palette and style sheet: one QSS in resources/, filled with a dark or a light palette.

The light palette is chosen when the OS asks for it ("system" follows Qt's colour scheme hint).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication

RESOURCES = Path(__file__).resolve().parents[2] / "resources"
ThemeName = Literal["dark", "light", "system"]

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


def style_sheet(theme: ThemeName) -> str:
    """theme.qss, then each page's own sheet (``resources/<page>.qss``), with colours filled in.

    Per-page sheets keep a page's rules next to each other; they come after the base sheet
    so they can refine it.
    """
    colours = palette(theme)
    extra = sorted(p for p in RESOURCES.glob("*.qss") if p.name != "theme.qss")
    qss = "\n".join(p.read_text(encoding="utf-8") for p in [RESOURCES / "theme.qss", *extra])
    return re.sub(r"@([a-z-]+)", lambda m: colours.get(m.group(1), m.group(0)), qss)

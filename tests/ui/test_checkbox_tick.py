"""A ticked check box shows a tick in both themes (a styled indicator loses Qt's own mark).

Seen before: "Review every order" in the light theme was a solid blue square with no tick,
which reads as "disabled" as easily as "on".
"""

from __future__ import annotations

import pytest
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication, QCheckBox
from pytestqt.qtbot import QtBot

from wallet_perps.ui.theme import palette, style_sheet


@pytest.mark.parametrize("theme", ["dark", "light"])
def test_a_checked_box_has_a_white_tick_on_the_accent(qtbot: QtBot, theme: str) -> None:
    # As in the app: the sheet is the application's, not one widget's.
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    app.setStyleSheet(style_sheet(theme))  # type: ignore[arg-type]
    box = QCheckBox("Review every order")
    qtbot.addWidget(box)
    box.show()
    try:
        _check_tick(box, theme)
    finally:
        box.close()
        app.setStyleSheet("")


def _check_tick(box: QCheckBox, theme: str) -> None:
    accent = QColor(palette(theme)["accent"])  # type: ignore[arg-type]

    def white(c: QColor) -> bool:
        return c.red() > 230 and c.green() > 230 and c.blue() > 230

    def is_accent(c: QColor) -> bool:
        return abs(c.red() - accent.red()) + abs(c.green() - accent.green()) < 30

    box.setChecked(True)
    image = box.grab().toImage()
    square = [
        (x, y)
        for x in range(min(24, image.width()))
        for y in range(image.height())
        if is_accent(image.pixelColor(x, y))
    ]
    assert len(square) > 40  # the filled square
    xs, ys = [x for x, _ in square], [y for _, y in square]
    inside = [
        image.pixelColor(x, y)
        for x in range(min(xs), max(xs) + 1)
        for y in range(min(ys), max(ys) + 1)
    ]
    assert sum(white(c) for c in inside) >= 8  # the tick drawn on it

"""The market search gets every key a person types, in the widget that has the focus.

Why keys go to ``QApplication.focusWidget()`` and not straight to the search box: a user's
keys go wherever the focus is. A focusable favourite star in the row the search selected took
the focus after the first letter, so "eth" typed 200 ms apart became "e" and Return was lost
(seen under a real window manager); typing into the search box directly hid that.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QVBoxLayout, QWidget
from pytestqt.qtbot import QtBot

from wallet_perps.ui.widgets.market_picker import MarketPicker

COINS = ["BTC", "ETH", "SOL", "HYPE", "DOGE", "kPEPE", "FARTCOIN", "ETHFI"]


def type_as_a_person(qtbot: QtBot, text: str, pause_ms: int = 30) -> None:
    for char in text:
        target = QApplication.focusWidget()
        assert target is not None, f"no widget has the focus before {char!r}"
        QTest.keyClick(target, char)
        qtbot.wait(pause_ms)


def test_every_key_typed_30_ms_apart_reaches_the_search_and_return_picks(qtbot: QtBot) -> None:
    window = QWidget()
    layout = QVBoxLayout(window)
    picker = MarketPicker()
    layout.addWidget(picker)
    layout.addStretch(1)
    window.resize(900, 600)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    picker.set_coins(COINS)
    picker.set_current("BTC")
    picked: list[str] = []
    picker.coin_selected.connect(picked.append)

    QTest.mouseClick(picker, Qt.MouseButton.LeftButton)
    popup = picker.popup
    qtbot.waitUntil(popup.isVisible)
    qtbot.waitUntil(popup.search.hasFocus)
    type_as_a_person(qtbot, "ethf")
    assert popup.search.text() == "ethf"
    assert popup.visible_coins() == ["ETHFI"]
    assert popup.search.hasFocus()
    QTest.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
    assert picked == ["ETHFI"]
    assert not popup.isVisible()

    # Reopened: the search is empty again and the keys still land in it.
    QTest.mouseClick(picker, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(popup.search.hasFocus)
    assert popup.search.text() == ""
    type_as_a_person(qtbot, "so")
    QTest.keyClick(QApplication.focusWidget(), Qt.Key.Key_Enter)
    assert picked == ["ETHFI", "SOL"]

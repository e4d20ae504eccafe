"""The app opens a window that says which network it is on."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from wallet_perps.ui.main_window import MainWindow


def test_main_window_names_the_network(qtbot: QtBot) -> None:
    window = MainWindow("mainnet")
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    assert window.windowTitle() == "Wallet Perps"
    assert "Mainnet" in window.network_label.text()

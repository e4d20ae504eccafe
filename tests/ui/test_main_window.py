"""The shell: pages in the sidebar, a network badge that warns on mainnet, connection state."""

from __future__ import annotations

from PySide6.QtGui import QGuiApplication
from pytestqt.qtbot import QtBot

from wallet_perps.ui.main_window import MainWindow
from wallet_perps.ui.page_catalog import PAGES
from wallet_perps.ui.theme import style_sheet


def test_sidebar_switches_pages(qtbot: QtBot) -> None:
    window = MainWindow("local")
    qtbot.addWidget(window)
    window.show()
    assert window.windowTitle() == "Wallet Perps"
    assert window.current_page() == "trade"
    for key, _ in PAGES:
        window._buttons[key].click()
        assert window.current_page() == key


def test_mainnet_badge_warns_and_local_says_paper(qtbot: QtBot) -> None:
    mainnet = MainWindow("mainnet")
    qtbot.addWidget(mainnet)
    assert mainnet.network_badge.text() == "Mainnet"
    assert mainnet.network_badge.property("network") == "mainnet"
    assert "Real money" in mainnet.network_badge.toolTip()
    local = MainWindow("local")
    qtbot.addWidget(local)
    assert local.network_badge.text() == "Local demo"
    assert "Paper trading" in local.network_badge.toolTip()


def test_connection_banner_and_address_copy(qtbot: QtBot) -> None:
    window = MainWindow("testnet")
    qtbot.addWidget(window)
    window.show()
    window.set_connection(False)
    assert window.banner.isVisible()
    window.set_connection(True, 12.4)
    assert not window.banner.isVisible()
    assert "12 ms" in window.connection_label.text()
    address = "0x14791697260E4c9A71f18484C9f997B308e59325"
    window.set_address(address)
    assert window.address_button.text() == "0x1479…9325"
    window.address_button.click()
    assert QGuiApplication.clipboard().text() == address


def test_both_themes_fill_every_colour_token() -> None:
    for theme in ("dark", "light"):
        qss = style_sheet(theme)
        body = "\n".join(line for line in qss.splitlines() if not line.lstrip().startswith("/*"))
        assert "@" not in body.replace("@name", ""), theme


def test_banners_float_over_the_page_and_move_nothing(qtbot: QtBot) -> None:
    from PySide6.QtWidgets import QPushButton, QVBoxLayout, QWidget

    window = MainWindow("local")
    qtbot.addWidget(window)
    page = QWidget()
    column = QVBoxLayout(page)
    button = QPushButton("Close")
    column.addWidget(button)
    column.addStretch(1)
    window.set_page("positions", page)
    window.show_page("positions")
    window.resize(1280, 760)
    window.show()
    qtbot.waitExposed(window)
    size_before = window.size()
    at_before = button.mapTo(window, button.rect().topLeft())
    stack_before = window.stack.geometry()

    window.set_connection(False)
    strip = QWidget()
    QVBoxLayout(strip).addWidget(QPushButton("Restart"))
    strip.hide()  # as the venue strip: hidden until there is a problem to show
    window.add_banner(strip)
    strip.show()
    qtbot.waitUntil(window.banner.isVisible)
    assert window.banners.isVisible()
    assert window.banners.geometry().top() == 0
    assert window.banners.width() == window.stack.width()
    qtbot.waitUntil(
        lambda: window.banners.height() >= window.banner.height() + strip.sizeHint().height()
    )
    assert strip.geometry().bottom() < window.banners.height()
    # Nothing under it moved and the window did not grow.
    assert button.mapTo(window, button.rect().topLeft()) == at_before
    assert window.stack.geometry() == stack_before
    assert window.size() == size_before

    window.set_connection(True)
    strip.hide()
    qtbot.waitUntil(lambda: not window.banners.isVisible())
    assert button.mapTo(window, button.rect().topLeft()) == at_before

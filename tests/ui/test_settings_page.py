"""The Settings page, driven as a user would: keys, clicks, the file on disk afterwards.

What a user would notice: picking mainnet asks first and "No" leaves them where they were;
a silly slippage is refused next to the field and never reaches the settings file; switching
confirmations off (or the theme) survives a restart; agent and auto-lock changes are passed on.
"""

from __future__ import annotations

import importlib.metadata

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from wallet_perps.config import Settings
from wallet_perps.services.wallet_service import WalletLocation
from wallet_perps.ui.pages.settings import SettingsPage, app_version


class Answers:
    """A confirmation dialog stand-in that records each question and answers as told."""

    def __init__(self, *answers: bool) -> None:
        self.answers = list(answers)
        self.asked: list[tuple[str, str]] = []

    def __call__(self, title: str, text: str) -> bool:
        self.asked.append((title, text))
        return self.answers.pop(0)


def make_page(qtbot: QtBot, confirm: Answers) -> tuple[SettingsPage, Settings]:
    settings = Settings.load()
    settings.save()  # a file on disk, so "unchanged" means byte for byte
    page = SettingsPage(settings, confirm=confirm)
    qtbot.addWidget(page)
    page.resize(1000, 760)
    page.show()
    return page, settings


def choose(combo_owner: SettingsPage, steps: int) -> None:
    """Move the network picker down ``steps`` entries with the keyboard, as a user can."""
    box = combo_owner.network_box
    box.setFocus()
    for _ in range(steps):
        QTest.keyClick(box, Qt.Key.Key_Down)


def test_mainnet_needs_a_yes_to_real_money(qtbot: QtBot) -> None:
    confirm = Answers(False, True)
    page, _settings = make_page(qtbot, confirm)
    requested: list[str] = []
    page.network_requested.connect(requested.append)
    before = Settings.path().read_bytes()
    assert page.network_box.currentText() == "Local demo"

    choose(page, 2)  # Local demo -> Testnet -> Mainnet
    # Testnet needs no warning; mainnet asked and was declined.
    assert requested == ["testnet"]
    assert len(confirm.asked) == 1
    title, text = confirm.asked[0]
    assert "mainnet" in title.lower() and "real money is at stake" in text
    assert page.network == "local"
    assert page.network_box.currentText() == "Local demo"  # the picker went back
    assert Settings.path().read_bytes() == before
    assert Settings.load().network == "local"

    page.network_box.setFocus()
    QTest.keyClick(page.network_box, Qt.Key.Key_End)  # straight to Mainnet; "Yes" this time
    assert requested == ["testnet", "mainnet"]
    assert len(confirm.asked) == 2
    # The app switches, then tells the page; the badge-like note says what is at stake.
    page.set_network("mainnet")
    assert page.network_box.currentText() == "Mainnet"
    assert "Real money" in page.network_note.text()


def test_bad_slippage_is_refused_inline_and_the_file_is_unchanged(qtbot: QtBot) -> None:
    page, settings = make_page(qtbot, Answers())
    changed: list[None] = []
    page.settings_changed.connect(lambda: changed.append(None))
    before = Settings.path().read_bytes()
    edit = page.slippage_edit

    for bad, reason in (("25", "between 0.1% and 10%"), ("abc", "number"), ("0.05", "0.1%")):
        edit.selectAll()
        QTest.keyClicks(edit, bad)
        QTest.keyClick(edit, Qt.Key.Key_Return)
        assert page.slippage_error.isVisible(), bad
        assert reason in page.slippage_error.text(), (bad, page.slippage_error.text())
        assert edit.property("error") is True
        assert Settings.path().read_bytes() == before
        assert settings.default_slippage_pct == "5"
    assert changed == []

    edit.selectAll()
    QTest.keyClicks(edit, "0,50 %")  # a comma and a percent sign are what people type
    assert not page.slippage_error.isVisible()  # typing clears the old reason
    QTest.keyClick(edit, Qt.Key.Key_Return)
    assert not page.slippage_error.isVisible()
    assert edit.text() == "0.5"
    assert Settings.load().default_slippage_pct == "0.5"
    assert changed == [None]


def test_confirmations_and_theme_persist_across_load(qtbot: QtBot) -> None:
    page, _settings = make_page(qtbot, Answers())
    themes: list[str] = []
    page.theme_changed.connect(themes.append)
    assert page.confirm_check.isChecked()

    QTest.mouseClick(page.confirm_check, Qt.MouseButton.LeftButton)
    assert Settings.load().confirm_orders is False
    QTest.mouseClick(page.confirm_check, Qt.MouseButton.LeftButton)
    assert Settings.load().confirm_orders is True
    QTest.mouseClick(page.confirm_check, Qt.MouseButton.LeftButton)
    assert Settings.load().confirm_orders is False

    page.theme_box.setFocus()
    QTest.keyClick(page.theme_box, Qt.Key.Key_Down)  # Dark -> Light
    assert themes == ["light"]
    again = Settings.load()
    assert again.theme == "light" and again.confirm_orders is False

    # A new page (the next start) shows what was saved.
    fresh = SettingsPage(again, confirm=Answers())
    qtbot.addWidget(fresh)
    assert not fresh.confirm_check.isChecked()
    assert fresh.theme_box.currentText() == "Light"


def test_a_failed_save_puts_the_old_preference_back(qtbot: QtBot) -> None:
    page, settings = make_page(qtbot, Answers())
    themes: list[str] = []
    page.theme_changed.connect(themes.append)
    path = Settings.path()
    path.unlink()
    path.mkdir()  # the atomic replace now fails (even for root) with IsADirectoryError
    try:
        QTest.mouseClick(page.confirm_check, Qt.MouseButton.LeftButton)
        assert page.save_error.isVisible() and "Could not save" in page.save_error.text()
        assert settings.confirm_orders is True and page.confirm_check.isChecked()

        page.theme_box.setFocus()
        QTest.keyClick(page.theme_box, Qt.Key.Key_Down)  # Dark -> Light, not saved
        assert settings.theme == "dark" and themes == []
        assert page.theme_box.currentText() == "Dark"  # the box shows what is in force

        edit = page.slippage_edit
        before = edit.text()
        edit.setFocus()
        edit.selectAll()
        QTest.keyClicks(edit, "2")
        QTest.keyClick(edit, Qt.Key.Key_Return)  # valid, but not saved
        assert settings.default_slippage_pct == before and edit.text() == before
    finally:
        path.rmdir()

    QTest.mouseClick(page.confirm_check, Qt.MouseButton.LeftButton)
    assert not page.save_error.isVisible()
    assert Settings.load().confirm_orders is False


def test_agent_auto_lock_and_about(qtbot: QtBot) -> None:
    confirm = Answers(False, True)
    page, _settings = make_page(qtbot, confirm)
    rotations: list[None] = []
    revocations: list[None] = []
    idle: list[int] = []
    page.agent_rotate_requested.connect(lambda: rotations.append(None))
    page.agent_revoke_requested.connect(lambda: revocations.append(None))
    page.idle_lock_changed.connect(idle.append)

    page.set_agent_status("Agent 0xabcd…1234 approved, valid 89 more days.")
    assert page.agent_status_label.text().startswith("Agent 0xabcd")
    page.rotate_button.click()
    assert rotations == [None]
    page.revoke_button.click()  # declined
    assert revocations == [] and len(confirm.asked) == 1
    page.revoke_button.click()  # accepted
    assert revocations == [None]

    page.set_idle_lock_minutes(15)
    assert idle == []  # the app telling the page is not a change by the user
    spin = page.idle_spin
    spin.setFocus()
    spin.selectAll()
    QTest.keyClicks(spin, "30")
    QTest.keyClick(spin, Qt.Key.Key_Return)
    assert idle == [30]

    assert app_version() == importlib.metadata.version("wallet-perps")
    assert page.version_label.text() == f"Wallet Perps {app_version()}"


def test_moving_a_key_after_a_failed_move_is_no_longer_shown_as_an_error(qtbot: QtBot) -> None:
    page, _settings = make_page(qtbot, Answers())
    moves: list[tuple[str, str]] = []
    page.key_move_requested.connect(lambda address, to: moves.append((address, to)))
    address = "0x" + "ab" * 20
    page.set_key_storage(True, "/tmp/keys", [WalletLocation(address, "Main", "file", "/tmp/k")])
    page.show_key_message("The keyring is locked.", error=True)
    assert page.keys_message.property("role") == "error"

    _where, move = page.key_rows[address]
    move.click()  # to the keyring: no question asked
    assert moves == [(address, "keyring")]
    assert page.keys_message.text() == "Moving…"
    assert page.keys_message.property("role") == "" and page.keys_message.property("muted")
    assert not move.isEnabled()

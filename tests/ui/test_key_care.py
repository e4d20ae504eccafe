"""Key care in Settings, as a user meets it: password, phrase, backup, rename, remove.

The real AppController with its own local venue process, the real keystore in the real
Secret Service keyring (the gnome-keyring the test command starts); the keyring is read
directly (secretstorage) to see what was written or deleted. Dialogs are opened by clicking
the wallet row's buttons in Settings and filled in as a user types.
"""

from __future__ import annotations

import asyncio

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLabel
from pytestqt.qtbot import QtBot

from tests.keyring_helpers import keyring_entries
from tests.ui.qasync_helpers import until
from tests.ui.test_no_keyring import (
    PASSWORD,
    run_app,
    start_demo,
    unlock_with_bar,
)
from wallet_perps.services.wallet_service import WalletEvent
from wallet_perps.ui.app_controller import AppController
from wallet_perps.ui.pages.settings import SettingsPage
from wallet_perps.ui.pages.wallet import WalletPage
from wallet_perps.ui.widgets.key_care_dialogs import (
    ChangePasswordDialog,
    KeyCareDialog,
    PhraseDialog,
    RemoveDialog,
    RenameDialog,
)
from wallet_perps.wallet.mnemonic import RecoveryPhrase
from wallet_perps.wallet.secret_storage import key_address

NEW_PASSWORD = "copper-lantern-harbour-91"
#: A throwaway key (never funded anywhere) for the "imported from a private key" wallet.
IMPORTED_KEY = "0x" + "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"
SECOND_KEY = "0x" + "0123456789012345678901234567890123456789012345678901234567890123"


async def settings_row(controller: AppController, address: str) -> SettingsPage:
    controller.window.show_page("settings")
    settings = controller.pages["settings"]
    assert isinstance(settings, SettingsPage)
    await until(lambda: address in settings.wallet_rows, "the wallet in Settings")
    return settings


async def open_dialog(
    controller: AppController, settings: SettingsPage, address: str, action: str
) -> KeyCareDialog:
    settings.care_buttons[(address, action)].click()
    dialog = controller.key_dialog
    assert dialog is not None and dialog.isVisible()
    return dialog


async def not_busy(dialog: KeyCareDialog, what: str) -> None:
    await asyncio.sleep(0)
    await until(lambda: not dialog.busy, what, 30)


def test_change_password_then_only_the_new_one_unlocks(qtbot: QtBot, real_keyring: None) -> None:
    async def scenario(controller: AppController) -> None:
        address = await start_demo(controller)
        wallets = controller.wallets
        assert wallets is not None
        # A second wallet (imported from a key, so it has no phrase), stored but not opened.
        other = await asyncio.to_thread(
            controller.keys.keystore.import_private_key, IMPORTED_KEY, PASSWORD
        )
        wallets.state.emit(WalletEvent.STORAGE)
        settings = await settings_row(controller, other.address)

        # Changing the other wallet's password locks nothing.
        dialog = await open_dialog(controller, settings, other.address, "password")
        assert isinstance(dialog, ChangePasswordDialog)
        QTest.keyClicks(dialog.old_edit, PASSWORD)
        QTest.keyClicks(dialog.new_edit, NEW_PASSWORD)
        QTest.keyClicks(dialog.repeat_edit, NEW_PASSWORD)
        dialog.submit_button.click()
        await not_busy(dialog, "the other wallet's password change")
        assert dialog.done_step.isVisible(), dialog.error.text()
        assert "locked" not in dialog.done_label.text()
        assert wallets.address == address and not controller.unlock_bar.isVisible()
        dialog.close_button.click()

        # A wallet made for mainnet guards real money: a weak new password is refused.
        real = await asyncio.to_thread(
            controller.keys.keystore.import_private_key, SECOND_KEY, PASSWORD, network="mainnet"
        )
        wallets.state.emit(WalletEvent.STORAGE)
        await until(lambda: real.address in settings.wallet_rows, "the mainnet wallet")
        dialog = await open_dialog(controller, settings, real.address, "password")
        assert isinstance(dialog, ChangePasswordDialog)
        QTest.keyClicks(dialog.old_edit, PASSWORD)
        QTest.keyClicks(dialog.new_edit, "password12")
        QTest.keyClicks(dialog.repeat_edit, "password12")
        assert not dialog.strength.acceptable
        dialog.submit_button.click()
        assert "stronger password" in dialog.error.text() and not dialog.busy
        assert dialog.cancel_button is not None
        dialog.cancel_button.click()
        await until(lambda: controller.key_dialog is None, "the dialog to close")
        # Nothing was changed: the old password still opens it.
        probe = await asyncio.to_thread(controller.keys.keystore.reveal, real.address, PASSWORD)
        probe.wipe()

        # A wrong current password changes nothing and says so.
        dialog = await open_dialog(controller, settings, address, "password")
        assert isinstance(dialog, ChangePasswordDialog)
        QTest.keyClicks(dialog.old_edit, "not-the-password")
        QTest.keyClicks(dialog.new_edit, NEW_PASSWORD)
        QTest.keyClicks(dialog.repeat_edit, NEW_PASSWORD)
        dialog.submit_button.click()
        await not_busy(dialog, "the refused change")
        assert dialog.error.isVisible() and not dialog.done_step.isVisible()
        assert wallets.address == address

        # The open wallet's change locks it, and the lock is shown: the unlock strip is back.
        dialog.old_edit.clear()
        QTest.keyClicks(dialog.old_edit, PASSWORD)
        dialog.submit_button.click()
        await not_busy(dialog, "the password change")
        assert dialog.done_step.isVisible(), dialog.error.text()
        assert "The wallet was locked" in dialog.done_label.text()
        await until(controller.unlock_bar.isVisible, "the unlock strip after the change")
        assert wallets.unlocked is None and controller.window.lock_button.text() != "Lock"
        dialog.close_button.click()

        bar = controller.unlock_bar
        bar.wallet_box.setCurrentIndex(bar.wallet_box.findData(address))
        QTest.keyClicks(bar.password_edit, PASSWORD)
        bar.unlock_button.click()
        await until(bar.error_label.isVisible, "the old password to be refused", 30)
        assert wallets.unlocked is None
        bar.password_edit.clear()
        QTest.keyClicks(bar.password_edit, NEW_PASSWORD)
        bar.unlock_button.click()
        await until(lambda: wallets.unlocked is not None, "unlock with the new password", 30)
        assert wallets.address == address
        # The agent key was re-encrypted too: it is still there after the unlock.
        unlocked = wallets.unlocked
        assert unlocked is not None and unlocked.agent_address("local") is not None

    run_app(qtbot, scenario)


def test_backup_check_and_reveal_show_the_phrase_of_this_address(
    qtbot: QtBot, real_keyring: None
) -> None:
    async def scenario(controller: AppController) -> None:
        address = await start_demo(controller)
        settings = await settings_row(controller, address)
        assert controller.keys.keystore.get(address).backup_confirmed is False
        assert (address, "backup") in settings.care_buttons  # and the row says so:
        assert any("not backed up" in label.text() for label in settings.findChildren(QLabel))
        # The Wallet page reminds too, and its button opens the same check.
        wallet_page = controller.pages["wallet"]
        assert isinstance(wallet_page, WalletPage)
        assert not wallet_page.backup_reminder.isHidden()
        wallet_page.backup_button.click()
        assert isinstance(controller.key_dialog, PhraseDialog) and controller.key_dialog.check
        controller.key_dialog.close()

        dialog = await open_dialog(controller, settings, address, "backup")
        assert isinstance(dialog, PhraseDialog) and dialog.check
        assert not dialog.words_shown  # password first
        QTest.keyClicks(dialog.password_edit, "not-the-password")
        dialog.reveal_button.click()
        await not_busy(dialog, "the wrong password")
        assert dialog.error.isVisible() and not dialog.words_shown
        dialog.password_edit.clear()
        QTest.keyClicks(dialog.password_edit, PASSWORD)
        dialog.reveal_button.click()
        await not_busy(dialog, "the reveal")
        words = dialog.words_shown
        assert len(words) == 12 and dialog.words_step.isVisible()
        clipboard = QApplication.clipboard().text()
        assert not any(word in clipboard.split() for word in words)
        assert all(
            label.textInteractionFlags() == Qt.TextInteractionFlag.NoTextInteraction
            for label in dialog.grid.labels
        )
        phrase = RecoveryPhrase.parse(" ".join(words))
        assert key_address(phrase.derive_private_key(0)) == address
        phrase.wipe()

        dialog.words_next.click()
        fields = dialog.quiz.fields
        QTest.keyClicks(fields[0][1], "wrong")
        dialog.quiz_next.click()
        await not_busy(dialog, "the wrong answer")
        assert dialog.quiz.error.isVisible() and not dialog.done_step.isVisible()
        for label, edit in fields:
            edit.clear()
            QTest.keyClicks(edit, words[int(label.text().split("#")[1]) - 1])
        dialog.quiz_next.click()
        await not_busy(dialog, "the backup check")
        assert dialog.done_step.isVisible(), dialog.quiz.error.text()
        assert not dialog.words_shown and dialog._secret is None  # wiped once checked
        assert controller.keys.keystore.get(address).backup_confirmed is True
        dialog.close_button.click()
        await until(lambda: (address, "backup") not in settings.care_buttons, "the reminder gone")
        await until(wallet_page.backup_reminder.isHidden, "the Wallet page's reminder gone")
        await until(lambda: "backed up" in settings.keys_message.text(), "the message")

        # Reveal: password, then the same words; closing blanks them and wipes the secret.
        dialog = await open_dialog(controller, settings, address, "reveal")
        assert isinstance(dialog, PhraseDialog) and not dialog.check
        QTest.keyClicks(dialog.password_edit, PASSWORD)
        dialog.reveal_button.click()
        await not_busy(dialog, "the reveal")
        assert dialog.words_shown == words
        secret = dialog._secret
        assert secret is not None and "RevealedSecret" in repr(secret)
        with pytest.raises(Exception, match="wiped"):
            secret.private_key_hex()  # the UI holds the words only, never the key
        dialog.words_next.click()  # Done
        assert not dialog.words_shown and dialog._secret is None
        with pytest.raises(Exception, match="wiped"):
            secret.phrase_words()

        # Lock means gone: locking while the words are shown closes them and wipes them.
        dialog = await open_dialog(controller, settings, address, "reveal")
        assert isinstance(dialog, PhraseDialog)
        QTest.keyClicks(dialog.password_edit, PASSWORD)
        dialog.reveal_button.click()
        await not_busy(dialog, "the reveal")
        secret = dialog._secret
        assert secret is not None and dialog.words_shown == words
        controller.window.lock_button.click()
        await until(lambda: controller.key_dialog is None, "the lock to close the words")
        with pytest.raises(Exception, match="wiped"):
            secret.phrase_words()

        # A wallet imported from a key: no phrase, and nothing else is offered.
        other = await asyncio.to_thread(
            controller.keys.keystore.import_private_key, IMPORTED_KEY, PASSWORD
        )
        assert controller.wallets is not None
        controller.wallets.state.emit(WalletEvent.STORAGE)
        await until(lambda: other.address in settings.wallet_rows, "the imported wallet")
        assert (other.address, "backup") not in settings.care_buttons
        dialog = await open_dialog(controller, settings, other.address, "reveal")
        assert isinstance(dialog, PhraseDialog)
        assert "has no recovery phrase" in dialog.no_phrase.text()
        assert not hasattr(dialog, "password_edit")
        dialog.close_button.click()

    run_app(qtbot, scenario)


def test_rename_shows_in_the_strip_and_remove_deletes_keyring_entries(
    qtbot: QtBot, real_keyring: None
) -> None:
    async def scenario(controller: AppController) -> None:
        address = await start_demo(controller)
        wallets = controller.wallets
        assert wallets is not None
        settings = await settings_row(controller, address)
        entries = set(keyring_entries())
        assert f"wallet:{address.lower()}" in entries and len(entries) == 2  # key and agent

        dialog = await open_dialog(controller, settings, address, "rename")
        assert isinstance(dialog, RenameDialog)
        dialog.name_edit.clear()
        QTest.keyClicks(dialog.name_edit, "Paper savings")
        dialog.save_button.click()
        await until(lambda: controller.key_dialog is None, "the rename", 30)
        assert controller.keys.keystore.get(address).label == "Paper savings"
        await until(lambda: settings.wallet_rows[address].label == "Paper savings", "Settings")
        controller.window.lock_button.click()
        bar = controller.unlock_bar
        await until(bar.isVisible, "the unlock strip")
        assert bar.wallet_box.currentText().startswith("Paper savings · ")
        await unlock_with_bar(controller)

        # A backed-up wallet (imported from a key) that is not open: one confirmation, and
        # the open wallet stays unlocked.
        other = await asyncio.to_thread(
            controller.keys.keystore.import_private_key, IMPORTED_KEY, PASSWORD
        )
        wallets.state.emit(WalletEvent.STORAGE)
        await until(lambda: other.address in settings.wallet_rows, "the imported wallet")
        assert f"wallet:{other.address.lower()}" in keyring_entries()
        dialog = await open_dialog(controller, settings, other.address, "remove")
        assert isinstance(dialog, RemoveDialog) and dialog.confirm_edit is None
        assert dialog.remove_button.isEnabled()
        dialog.remove_button.click()
        await until(lambda: controller.key_dialog is None, "the first removal", 30)
        assert set(keyring_entries()) == entries and wallets.address == address
        assert "Removed Imported key" in settings.keys_message.text()

        # Not backed up: Remove needs the name (or "remove") typed as a second confirmation.
        dialog = await open_dialog(controller, settings, address, "remove")
        assert isinstance(dialog, RemoveDialog) and dialog.confirm_edit is not None
        assert any("NOT backed up" in label.text() for label in dialog.findChildren(QLabel))
        assert not dialog.remove_button.isEnabled()
        QTest.keyClicks(dialog.confirm_edit, "Paper")
        assert not dialog.remove_button.isEnabled()
        QTest.keyClicks(dialog.confirm_edit, " savings")
        assert dialog.remove_button.isEnabled()
        dialog.remove_button.click()
        await until(lambda: controller.key_dialog is None, "the removal", 30)
        assert wallets.unlocked is None  # the open wallet was locked first
        assert controller.keys.keystore.wallets() == []
        assert keyring_entries() == {}, "the wallet's and its agent's entries are deleted"
        # No wallet left: the app is back at onboarding.
        await until(lambda: controller.window.gated, "onboarding after the last removal")

    run_app(qtbot, scenario)

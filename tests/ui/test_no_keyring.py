"""Where keys live, as a user meets it: no keyring at first run, and moving keys in Settings.

The real AppController with its own local venue process, the real keystore; "no keyring" is
keyring's own ``fail`` backend (what ``keyring`` picks on a machine without Secret Service),
set for the test and put back afterwards. The keyring side is the real gnome-keyring the
test command starts.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import keyring
import keyring.backends.fail
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from tests.keyring_helpers import keyring_entries
from tests.ui.qasync_helpers import until
from tests.ui.test_app import run_app as run_app_on_venue
from wallet_perps.ui.app_controller import AppController
from wallet_perps.ui.pages.onboarding import OnboardingPage
from wallet_perps.ui.pages.settings import SettingsPage

PASSWORD = "file-keeper-12"


@pytest.fixture
def no_keyring(real_keyring: object) -> None:
    """keyring's ``fail`` backend: what a machine without Secret Service gets."""
    keyring.set_keyring(keyring.backends.fail.Keyring())


def run_app(qtbot: QtBot, scenario: Callable[[AppController], Coroutine[Any, Any, None]]) -> None:
    """The app tests' run, on a venue whose market stands still (``--no-flow``).

    The window is closed at the end: a test here may start the app a second time on the same
    home, as a user restarting it would.
    """
    run_app_on_venue(
        qtbot,
        scenario,
        venue_args=("--seed", "5", "--no-flow"),
        timeout_s=120,
        close_window=True,
    )


def onboarding(controller: AppController) -> OnboardingPage:
    page = controller.onboarding
    assert isinstance(page, OnboardingPage) and controller.window.gated
    return page


async def start_demo(controller: AppController) -> str:
    """Onboarding's demo (a phrase wallet whose backup was never confirmed), agent approved.

    Here for the key-care tests too (tests/ui/test_key_care.py), which start the same way.
    """
    page = onboarding(controller)
    await until(page.demo_button.isEnabled, "the keyring probe")
    page.demo_button.click()
    QTest.keyClicks(page.password_edit, PASSWORD)
    QTest.keyClicks(page.confirm_edit, PASSWORD)
    page.submit_button.click()
    await until(lambda: not controller.window.gated, "the demo wallet", 30)
    wallets = controller.wallets
    assert wallets is not None
    await until(lambda: wallets.agent_status().startswith("Agent "), "the agent", 30)
    return wallets.address


async def unlock_with_bar(controller: AppController) -> None:
    bar = controller.unlock_bar
    await until(bar.isVisible, "the unlock strip")
    bar.password_edit.clear()
    QTest.keyClicks(bar.password_edit, PASSWORD)
    bar.unlock_button.click()
    await until(lambda: controller.wallets is not None and controller.wallets.unlocked, "unlock")
    assert not bar.error_label.isVisible()


async def lock_and_unlock(controller: AppController) -> None:
    controller.window.lock_button.click()
    await unlock_with_bar(controller)


async def create_with_quiz(page: OnboardingPage) -> list[str]:
    """Create a wallet as a user does: read the words, answer the quiz, set the password."""
    page.create_button.click()
    assert page.steps.currentWidget() is page.phrase_step
    words = [label.text().split(". ", 1)[1] for label in page.phrase_labels]
    page.phrase_next.click()
    for label, edit in page.quiz_fields:
        QTest.keyClicks(edit, words[int(label.text().split("#")[1]) - 1])
    page.quiz_next.click()
    assert page.steps.currentWidget() is page.password_step
    QTest.keyClicks(page.password_edit, PASSWORD)
    QTest.keyClicks(page.confirm_edit, PASSWORD)
    page.submit_button.click()
    return words


def test_no_keyring_first_run_offers_the_file_keystore_and_remembers_it(
    qtbot: QtBot, no_keyring: None
) -> None:
    home = Path(os.environ["WALLET_PERPS_HOME"])
    created: dict[str, Any] = {}

    async def first_run(controller: AppController) -> None:
        page = onboarding(controller)
        # The first screen says there is no keyring and what the file keystore means.
        assert "No system keyring (Secret Service) was found" in page.storage_label.text()
        directory = str(controller.keys.keystore.file_store_dir)
        note = page.file_choice_note.text()
        assert page.file_choice_note.isVisible() and page.file_choice_button.isVisible()
        assert "Your password alone protects the file" in note and directory in note
        assert page.file_choice_button.text() == "Keep keys in an encrypted file"
        # Create (and Demo, Import) cannot start before the choice: no words are shown.
        for button in (page.create_button, page.import_button, page.demo_button):
            assert not button.isEnabled()
        page.create_button.click()
        QTest.mouseClick(page.create_button, Qt.MouseButton.LeftButton)
        assert page.steps.currentWidget() is page.choose_step
        assert all(not label.text() for label in page.phrase_labels)
        assert controller.keys.keystore.wallets() == []

        page.file_choice_button.click()
        await until(page.create_button.isEnabled, "the choice to take effect")
        assert not page.file_choice_button.isVisible()
        assert "encrypted file" in page.storage_label.text()
        assert directory in page.storage_label.text()
        assert "encrypted file" in page.import_note.text()

        words = await create_with_quiz(page)
        await until(lambda: not controller.window.gated, "the wallet to be created", 30)
        assert controller.wallets is not None
        address = controller.wallets.address
        info = controller.keys.keystore.get(address)
        assert info.storage == "file" and info.source == "created"
        created.update(address=address, words=words)

    run_app(qtbot, first_run)

    # On disk: one 0600 file in a 0700 directory under the app's home, never the phrase.
    address = created["address"]
    directory = home.rglob("keystore").__next__()
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    path = directory / f"wallet-{address.lower()}.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    phrase = " ".join(created["words"]).encode()
    for file in home.rglob("*"):
        if file.is_file():
            assert phrase not in file.read_bytes(), file

    async def restart(controller: AppController) -> None:
        # Not asked again: the unlock strip, and the password unlocks from the file.
        assert not controller.window.gated and controller.onboarding is None
        await unlock_with_bar(controller)
        assert controller.wallets is not None and controller.wallets.address == address
        # Settings says where the key is; with no keyring there is nothing to move it to.
        controller.window.show_page("settings")
        settings = controller.pages["settings"]
        assert isinstance(settings, SettingsPage)
        await until(lambda: address in settings.key_rows, "the key location in Settings")
        where, button = settings.key_rows[address]
        assert where.text() == f"Encrypted file: {path}"
        assert not button.isVisible()
        assert "No system keyring" in settings.keys_status.text()

    run_app(qtbot, restart)


def test_create_is_unreachable_without_a_keyring_until_the_choice(
    qtbot: QtBot, no_keyring: None
) -> None:
    async def scenario(controller: AppController) -> None:
        page = onboarding(controller)
        assert not page.create_button.isEnabled()
        page._start_flow("create")  # even a programmatic click stops at the first screen
        assert page.steps.currentWidget() is page.choose_step
        assert all(not label.text() for label in page.phrase_labels)
        # "Add wallet" later (or a restart) asks again until the user chooses.
        assert not controller.keys.keystore.allow_file_fallback

    run_app(qtbot, scenario)


def test_settings_moves_a_wallet_keyring_to_file_and_back(
    qtbot: QtBot, real_keyring: object
) -> None:
    async def scenario(controller: AppController) -> None:
        page = onboarding(controller)
        assert (
            page.storage_label.text()
            == "Keys will be kept in your system keyring (Secret Service)."
        )
        assert not page.file_choice_button.isVisible() and page.demo_button.isEnabled()
        # The agent is approved right after onboarding: wait, so its key moves too.
        address = await start_demo(controller)
        wallets = controller.wallets
        assert wallets is not None
        names = set(keyring_entries())
        assert len(names) == 2 and f"wallet:{address.lower()}" in names

        controller.window.show_page("settings")
        settings = controller.pages["settings"]
        assert isinstance(settings, SettingsPage)
        asked: list[str] = []

        def confirm(title: str, text: str) -> bool:
            asked.append(text)
            return True

        settings._confirm = confirm  # the Yes of the dialog (a modal box would block the loop)
        await until(lambda: address in settings.key_rows, "the wallet in Settings")
        where, button = settings.key_rows[address]
        assert where.text() == "System keyring" and button.isVisible()
        assert button.text() == "Move to an encrypted file"

        button.click()
        assert asked and "Your password alone protects the file" in asked[0]
        await until(
            lambda: controller.keys.keystore.storage_of(address) == "file", "the move to the file"
        )
        await until(
            lambda: settings.key_rows[address][0].text().startswith("Encrypted file"),
            "Settings to show the file",
        )
        assert keyring_entries() == {}, "moving to the file deletes the keyring entries"
        files = {p.name for p in controller.keys.keystore.file_store_dir.iterdir()}
        assert files == {n.replace(":", "-") + ".json" for n in names}
        await until(lambda: "Moved" in settings.keys_message.text(), "the move's message")
        await lock_and_unlock(controller)
        unlocked = wallets.unlocked
        assert unlocked is not None and unlocked.agent_address("local") is not None

        where, button = settings.key_rows[address]
        assert button.text() == "Move to the system keyring"
        button.click()
        await until(
            lambda: controller.keys.keystore.storage_of(address) == "keyring", "the move back"
        )
        assert set(keyring_entries()) == names
        assert list(controller.keys.keystore.file_store_dir.iterdir()) == []
        await lock_and_unlock(controller)
        unlocked = wallets.unlocked
        assert unlocked is not None and unlocked.agent_address("local") is not None

    run_app(qtbot, scenario)

"""The UI follows every lock, and the unlock strip offers the wallet that was in use.

Real AppController, real local venue, real Secret Service keyring (see test_app.py).
"""

from __future__ import annotations

import asyncio

import pytest
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from tests.ui.qasync_helpers import until
from tests.ui.test_app import PASSWORD, onboard_demo, run_app
from wallet_perps.ui.app_controller import AppController
from wallet_perps.wallet.keystore import Keystore
from wallet_perps.wallet.secret_storage import TEST_ONLY_FAST_SCRYPT
from wallet_perps.wallet.unlocked import random_key

pytestmark = pytest.mark.keyring  # the wallets live in the real Secret Service

NEW_PASSWORD = "another paper trader"


def _strip_shown(controller: AppController) -> bool:
    return controller.unlock_bar.isVisible() and controller.window.lock_button.text() == "Unlock"


def test_a_lock_off_the_event_loop_shows_the_unlock_strip(qtbot: QtBot) -> None:
    async def scenario(controller: AppController) -> None:
        address = await onboard_demo(controller)
        assert controller.window.lock_button.text() == "Lock"
        assert not controller.unlock_bar.isVisible()
        # A password change runs in a worker thread and locks the open session there.
        await asyncio.to_thread(
            controller.keys.keystore.change_password, address, PASSWORD, NEW_PASSWORD
        )
        assert controller.keys.keystore.session is None
        await until(lambda: _strip_shown(controller), "the unlock strip after the lock", 20)
        assert controller.wallets is not None and controller.wallets.unlocked is None
        assert controller.unlock_bar.wallet_box.currentData() == address
        # And a plain lock from a thread (no wallet service involved) does the same.
        bar = controller.unlock_bar
        QTest.keyClicks(bar.password_edit, NEW_PASSWORD)
        bar.unlock_button.click()
        await until(lambda: controller.window.lock_button.text() == "Lock", "unlock", 20)
        assert not bar.isVisible()
        await asyncio.to_thread(controller.keys.keystore.lock)
        await until(lambda: _strip_shown(controller), "the unlock strip after a thread lock", 20)

    run_app(qtbot, scenario)


def test_the_unlock_strip_offers_the_last_used_wallet_also_after_a_restart(qtbot: QtBot) -> None:
    keystore = Keystore(scrypt=TEST_ONLY_FAST_SCRYPT)
    older = keystore.import_private_key(random_key().hex(), PASSWORD, label="Older")
    newer = keystore.import_private_key(random_key().hex(), PASSWORD, label="Newer")
    assert keystore.last_used() == newer  # never unlocked: the newest

    async def unlock_older_then_lock(controller: AppController) -> None:
        bar = controller.unlock_bar
        await until(bar.isVisible, "the unlock strip")
        assert bar.wallet_box.currentData() == newer.address
        bar.wallet_box.setCurrentIndex(bar.wallet_box.findData(older.address))
        QTest.keyClicks(bar.password_edit, PASSWORD)
        bar.unlock_button.click()
        assert controller.wallets is not None
        await until(lambda: controller.wallets and controller.wallets.address, "unlock", 20)
        assert controller.wallets.address == older.address
        controller.window.lock_button.click()
        await until(lambda: _strip_shown(controller), "the unlock strip after Lock", 20)
        assert bar.wallet_box.currentData() == older.address, "offers the wallet in use"

    run_app(qtbot, unlock_older_then_lock)

    async def after_restart(controller: AppController) -> None:
        bar = controller.unlock_bar
        await until(bar.isVisible, "the unlock strip")
        assert bar.wallet_box.currentData() == older.address, "remembered across restarts"

    run_app(qtbot, after_restart)

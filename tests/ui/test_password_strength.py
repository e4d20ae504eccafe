"""The password step of onboarding: strength as the user types, weak refused for real money.

Mainnet: the page over a WalletService on mainnet (nothing is sent anywhere: a refused or
mismatched password stops before any I/O). Local: the real AppController and its local venue,
where a weak password only earns a warning and the demo wallet is made with it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from tests.ui.qasync_helpers import until
from tests.ui.test_app import run_app
from wallet_perps.core.networks import NETWORKS
from wallet_perps.services.session import TradingSession
from wallet_perps.services.wallet_service import KeyStorage, WalletService
from wallet_perps.ui.app_controller import AppController
from wallet_perps.ui.pages.onboarding import OnboardingPage
from wallet_perps.ui.widgets.password_strength import PasswordStrength
from wallet_perps.wallet.keystore import Keystore
from wallet_perps.wallet.secret_storage import TEST_ONLY_FAST_SCRYPT

WEAK = "password1"
STRONG = "tangerine-vortex-oboe-31"
RAW_KEY = "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"


def mainnet_page(qtbot: QtBot, home: Path) -> tuple[OnboardingPage, Keystore]:
    keystore = Keystore(scrypt=TEST_ONLY_FAST_SCRYPT)
    mainnet = NETWORKS["mainnet"]
    assert mainnet.http_url is not None
    session = TradingSession(mainnet.http_url, is_mainnet=True)
    service = WalletService(keystore, session, "mainnet", base_url=mainnet.http_url)
    service.key_storage = KeyStorage(keyring=True, file_chosen=False, file_dir=str(home))
    page = OnboardingPage(service)
    qtbot.addWidget(page)
    page.show()
    return page, keystore


def test_weak_password_is_refused_on_mainnet_with_the_reason(
    qtbot: QtBot, _isolated_app_home: Path
) -> None:
    page, keystore = mainnet_page(qtbot, _isolated_app_home)
    assert page.real_money
    page.import_button.click()
    page.import_edit.setPlainText(RAW_KEY)
    page.import_next.click()
    assert page.steps.currentWidget() is page.password_step

    QTest.keyClicks(page.password_edit, WEAK)
    strength = page.password_strength
    assert strength.isVisible() and not strength.acceptable
    # zxcvbn's reason, in plain words, as the user types.
    assert "very common password" in strength.text()
    assert "real money" in strength.text()
    QTest.keyClicks(page.confirm_edit, WEAK)
    page.submit_button.click()
    assert page.password_error.isVisible() and "real money" in page.password_error.text()
    assert not page.busy and keystore.wallets() == []

    # A strong one passes the strength check (the mismatch is what stops it here: no I/O).
    page.password_edit.clear()
    QTest.keyClicks(page.password_edit, STRONG)
    assert strength.acceptable and strength.text().startswith("Strong: would take")
    page.submit_button.click()
    assert "not the same" in page.password_error.text()
    assert not page.busy and keystore.wallets() == []


def test_short_password_still_refused_whatever_its_score(qtbot: QtBot) -> None:
    widget = PasswordStrength()
    qtbot.addWidget(widget)
    widget.update_for("x7#Lq!", real_money=False)
    assert not widget.acceptable and "at least 8 characters" in widget.text()
    widget.update_for("", real_money=True)
    assert not widget.acceptable and widget.text() == ""


@pytest.mark.keyring  # the demo wallet goes into the real Secret Service
def test_weak_password_is_warned_but_allowed_on_the_local_demo(qtbot: QtBot) -> None:
    async def scenario(controller: AppController) -> None:
        page = controller.onboarding
        assert isinstance(page, OnboardingPage) and controller.window.gated
        assert not page.real_money
        page.demo_button.click()
        QTest.keyClicks(page.password_edit, WEAK)
        strength = page.password_strength
        assert strength.acceptable
        assert "very common password" in strength.text() and "Fine for the demo" in strength.text()
        QTest.keyClicks(page.confirm_edit, WEAK)
        page.submit_button.click()
        await until(lambda: not controller.window.gated, "the demo wallet", 60)
        assert controller.wallets is not None and controller.wallets.unlocked is not None

    run_app(qtbot, scenario, timeout_s=120)

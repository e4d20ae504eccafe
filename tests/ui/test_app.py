"""The whole app as a user meets it: AppController starts its own local venue process.

These tests click through onboarding, trade from the ticket, kill the venue and restart it,
all on one qasync loop as in ``wallet-perps``. The keystore is the real one on the real
Secret Service (the test command runs under a private D-Bus with gnome-keyring); only its
scrypt cost is lowered so a test does not spend seconds per password.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Callable, Coroutine
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import pytest
import qasync
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from tests.ui.qasync_helpers import FAST_WS, until
from tests.venue_process import VenueProcess
from wallet_perps.config import Settings
from wallet_perps.core.display import format_price, significant
from wallet_perps.core.networks import NETWORKS
from wallet_perps.core.tickets import OrderPlan
from wallet_perps.services.key_access import KeyAccess
from wallet_perps.services.trader_results import OrderResult, OrderState
from wallet_perps.ui.app_controller import AppController
from wallet_perps.ui.main_window import MainWindow
from wallet_perps.ui.pages.onboarding import OnboardingPage
from wallet_perps.ui.pages.positions import PositionsPage
from wallet_perps.ui.pages.settings import SettingsPage
from wallet_perps.ui.pages.trade import TradePage
from wallet_perps.ui.pages.wallet import WalletPage
from wallet_perps.wallet.keystore import Keystore
from wallet_perps.wallet.secret_storage import TEST_ONLY_FAST_SCRYPT

D = Decimal
T = TypeVar("T")
PASSWORD = "paper-trader-1"

#: Onboarding stores every wallet in the real Secret Service (no keyring: a file, by choice).
pytestmark = pytest.mark.keyring


def run_app(
    qtbot: QtBot,
    scenario: Callable[[AppController], Coroutine[Any, Any, None]],
    *,
    settings: Settings | None = None,
    session_options: dict[str, Any] | None = None,
    venue_args: tuple[str, ...] = ("--seed", "5"),
    timeout_s: float = 90,
    close_window: bool = False,
) -> None:
    """Start an AppController on a fresh qasync loop, run ``scenario``, stop everything.

    A fresh Keystore on the test's home: its wallets go to the real Secret Service unless the
    test set keyring's ``fail`` backend. ``venue_args`` are the local venue's command line;
    ``close_window`` closes the window once the loop is closed (otherwise qtbot closes it when
    the test ends).
    """
    app = QApplication.instance()
    assert app is not None
    loop = qasync.QEventLoop(app)
    window = MainWindow("local")
    qtbot.addWidget(window)
    controller = AppController(
        window,
        settings or Settings(confirm_orders=False),
        "local",
        keys=KeyAccess(Keystore(scrypt=TEST_ONLY_FAST_SCRYPT)),
        venue_args=venue_args,
        session_options=session_options or {"contexts_poll_s": 0, "ws_options": FAST_WS},
    )
    window.resize(1280, 800)
    window.show()

    async def main() -> None:
        try:
            assert await controller.start(), controller.venue_bar.label.text()
            await scenario(controller)
        finally:
            await controller.stop()

    try:
        loop.run_until_complete(asyncio.wait_for(main(), timeout_s))
        pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
        for task in pending:
            task.cancel()
        if pending:
            loop.run_until_complete(asyncio.wait(pending, timeout=5))
    finally:
        loop.close()
        asyncio.set_event_loop(None)
        if close_window:
            window.close()


async def onboard_demo(controller: AppController) -> str:
    """Click "Try the demo", choose a password, and wait for the funded account."""
    window = controller.window
    page = controller.onboarding
    assert isinstance(page, OnboardingPage) and window.gated
    page.demo_button.click()
    assert page.steps.currentWidget() is page.password_step
    QTest.keyClicks(page.password_edit, PASSWORD)
    QTest.keyClicks(page.confirm_edit, PASSWORD)
    page.submit_button.click()
    await until(lambda: not window.gated, "onboarding to finish", 30)
    assert controller.wallets is not None
    return controller.wallets.address


def files_containing(home: str, needles: list[bytes]) -> list[str]:
    found = []
    for root, _dirs, files in os.walk(home):
        for name in files:
            data = Path(root, name).read_bytes()
            found += [name for needle in needles if needle in data]
    return found


def trade_page(controller: AppController) -> TradePage:
    page = controller.pages["trade"]
    assert isinstance(page, TradePage)
    return page


def test_demo_onboarding_gives_a_funded_unlocked_paper_account(qtbot: QtBot) -> None:
    async def scenario(controller: AppController) -> None:
        window = controller.window
        page = controller.onboarding
        assert isinstance(page, OnboardingPage) and window.gated
        assert page.demo_button.isEnabled() and page.create_button.isEnabled()
        # A weak password is refused where it was typed, and nothing is stored.
        page.demo_button.click()
        QTest.keyClicks(page.password_edit, "short")
        QTest.keyClicks(page.confirm_edit, "short")
        page.submit_button.click()
        assert page.password_error.isVisible() and "8 characters" in page.password_error.text()
        assert controller.keys.keystore.wallets() == []
        page.password_edit.clear()
        page.confirm_edit.clear()
        QTest.keyClicks(page.password_edit, PASSWORD)
        QTest.keyClicks(page.confirm_edit, PASSWORD + "x")
        page.submit_button.click()
        assert "not the same" in page.password_error.text()
        page.password_back.click()

        address = await onboard_demo(controller)
        assert address.startswith("0x")
        assert window.address_button.text().startswith(address[:6])
        assert window.lock_button.text() == "Lock"
        assert not controller.unlock_bar.isVisible()
        assert controller.session is not None
        # The venue credited the demo deposit, and the app shows the same account.
        venue_state = await controller.session.http.clearinghouse_state(address)
        assert venue_state.margin_summary.account_value == D(10_000)
        adapter = controller.adapter
        assert adapter is not None
        state = await until(adapter.account_state, "the account snapshot")
        assert state is not None and state.margin_summary.account_value == D(10_000)
        # The key is in the keyring under the app's service, encrypted: never the raw key.
        info = controller.keys.keystore.get(address)
        assert info.source == "demo" and info.storage == "keyring"
        # The Wallet page shows the funded account and the agent wallet that signs trades.
        window.show_page("wallet")
        wallet_page = controller.pages["wallet"]
        assert isinstance(wallet_page, WalletPage)
        await until(
            lambda: wallet_page.account_value_label.text() == "$10,000.00", "the wallet's value"
        )
        window.show_page("trade")
        # Live prices on the Trade page.
        page_t = trade_page(controller)
        await until(lambda: page_t.price_label.text().startswith("$"), "a BTC price")

        # Lock: the unlock strip appears, the account is detached, prices keep streaming.
        window.lock_button.click()
        await until(lambda: controller.unlock_bar.isVisible(), "the unlock strip")
        assert window.lock_button.text() == "Unlock"
        assert adapter.account_state() is None
        # A wrong password is refused in the strip; the right one unlocks.
        QTest.keyClicks(controller.unlock_bar.password_edit, "wrong password")
        controller.unlock_bar.unlock_button.click()
        await until(lambda: controller.unlock_bar.error_label.isVisible(), "the error")
        controller.unlock_bar.password_edit.clear()
        QTest.keyClicks(controller.unlock_bar.password_edit, PASSWORD)
        controller.unlock_bar.unlock_button.click()
        await until(lambda: not controller.unlock_bar.isVisible(), "unlock")
        await until(adapter.account_state, "the account again")

    run_app(qtbot, scenario)


def test_market_long_rejection_and_venue_restart(qtbot: QtBot) -> None:
    async def scenario(controller: AppController) -> None:
        address = await onboard_demo(controller)
        session = controller.session
        adapter = controller.adapter
        assert session is not None and adapter is not None
        page = trade_page(controller)
        ticket = page.ticket
        await until(lambda: page.price_label.text().startswith("$"), "a BTC price")
        await until(adapter.account_state, "the account")
        results: list[object] = []
        adapter.order_result.connect(results.append)

        # A $50,000 10x market long from the ticket (big enough for a liquidation price);
        # the agent wallet is approved on the way.
        QTest.keyClicks(ticket.amount_edit, "50000")
        await until(lambda: ticket.action_button.isEnabled(), "a valid ticket")
        plan = ticket.plan
        assert isinstance(plan, OrderPlan) and plan.liquidation_px is not None
        # Settings' default slippage (2% here) bounds the market order's price.
        assert plan.max_slippage_pct is not None and D(1) < plan.max_slippage_pct <= D(2)
        estimate = plan.liquidation_px
        ticket.action_button.click()
        await until(lambda: results, "the order result", 20)
        result = results.pop()
        assert isinstance(result, OrderResult) and result.state is OrderState.FILLED, result
        roles = await session.http.user_role(address)
        assert roles.role == "user"
        venue = await session.http.clearinghouse_state(address)
        position = venue.position("BTC")
        assert position is not None and position.liquidation_px is not None
        assert abs(estimate - position.liquidation_px) / position.liquidation_px < D("0.005")
        await until(lambda: "Your position: Long" in page.position_label.text(), "position line")

        # On the Positions page the card shows exactly the venue's liquidation price.
        window = controller.window
        window.show_page("positions")
        positions = controller.pages["positions"]
        assert isinstance(positions, PositionsPage)
        row = await until(lambda: positions.positions_table.rows.get("BTC"), "the BTC card")
        await until(
            lambda: row.values.get("liquidation") == position.liquidation_px, "the venue's liq"
        )
        assert row.labels["liquidation"].text() == format_price(
            significant(position.liquidation_px)
        )
        window.show_page("trade")

        # The venue refuses a limit buy ten times above the oracle: its words are shown.
        ticket.kind_box.setCurrentIndex(ticket.kind_box.findText("Limit"))
        mark = session.market.context("BTC")
        assert mark is not None
        ticket.limit_edit.clear()
        QTest.keyClicks(ticket.limit_edit, str(int(mark.oracle_px * 10)))
        ticket.amount_edit.clear()
        QTest.keyClicks(ticket.amount_edit, "100")
        await until(lambda: ticket.action_button.isEnabled(), "a valid limit ticket")
        ticket.action_button.click()
        await until(lambda: results, "the rejection", 20)
        rejected = results.pop()
        assert isinstance(rejected, OrderResult) and rejected.state is OrderState.REJECTED
        assert rejected.venue_text and rejected.venue_text in ticket.result_label.text()

        # A resting limit order shows in open orders on the Positions page, and cancels.
        ticket.limit_edit.clear()
        QTest.keyClicks(ticket.limit_edit, str(int(mark.oracle_px * D("0.8"))))
        await until(lambda: ticket.action_button.isEnabled(), "a valid resting limit ticket")
        ticket.action_button.click()
        await until(lambda: results, "the resting order", 20)
        resting = results.pop()
        assert isinstance(resting, OrderResult) and resting.state is OrderState.RESTING, resting
        window.show_page("positions")
        orders = positions.orders_table
        button = await until(lambda: orders.cancel_buttons.get(resting.oid or -1), "its row")
        button.click()
        await until(lambda: resting.oid not in orders.cancel_buttons, "the row to go", 20)
        assert await session.http.open_orders(address) == []

        # The venue dies: the banner and the venue strip say so; Restart brings it back on
        # the same address, the app reconnects by itself and agrees with the venue again.
        assert controller.venue is not None and controller.venue.pid is not None
        os.kill(controller.venue.pid, signal.SIGKILL)
        window = controller.window
        await until(lambda: window.banner.isVisible(), "the reconnect banner")
        await until(lambda: controller.venue_bar.isVisible(), "the venue strip")
        assert "stopped unexpectedly" in controller.venue_bar.label.text()
        controller.venue_bar.button.click()
        await until(lambda: not window.banner.isVisible(), "reconnection", 30)
        assert not controller.venue_bar.isVisible()
        store = session.account
        await until(lambda: not store.stale, "a fresh account")
        assert await store.venue_diff() == []
        state = adapter.account_state()
        assert state is not None and state.position("BTC") is not None

        # Close (market) on the card closes the position on the venue.
        row = await until(lambda: positions.positions_table.rows.get("BTC"), "the BTC card")
        row.close_button.click()
        await until(lambda: "BTC" not in positions.positions_table.rows, "the card to go", 20)
        after = await session.http.clearinghouse_state(address)
        assert after.position("BTC") is None

    run_app(qtbot, scenario, settings=Settings(confirm_orders=False, default_slippage_pct="2"))


@pytest.mark.parametrize("flow", ["import_key"])
def test_import_refuses_a_bad_key_where_it_was_typed(qtbot: QtBot, flow: str) -> None:
    async def scenario(controller: AppController) -> None:
        page = controller.onboarding
        assert isinstance(page, OnboardingPage)
        page.import_button.click()
        QTest.keyClicks(page.import_edit, "0x1234")
        page.import_next.click()
        assert page.import_error.isVisible()
        assert "64 hex digits" in page.import_error.text()
        assert page.steps.currentWidget() is page.import_step
        assert controller.keys.keystore.wallets() == []

    run_app(qtbot, scenario)


def test_create_wallet_shows_the_phrase_checks_three_words_and_stores_no_plaintext(
    qtbot: QtBot,
) -> None:
    async def scenario(controller: AppController) -> None:
        page = controller.onboarding
        assert isinstance(page, OnboardingPage)
        page.create_button.click()
        assert page.steps.currentWidget() is page.phrase_step
        words = [label.text().split(". ", 1)[1] for label in page.phrase_labels]
        assert len(words) == 12 and all(w.isalpha() for w in words)
        page.phrase_next.click()
        assert page.steps.currentWidget() is page.quiz_step
        asked = [int(label.text().split("#")[1]) for label, _ in page.quiz_fields]
        # One wrong word: refused, positions named, nothing stored.
        for (_, edit), position in zip(page.quiz_fields, asked, strict=True):
            QTest.keyClicks(edit, words[position - 1])
        page.quiz_fields[1][1].clear()
        QTest.keyClicks(page.quiz_fields[1][1], "zzz")
        page.quiz_next.click()
        assert page.quiz_error.isVisible() and str(asked[1]) in page.quiz_error.text()
        assert "zzz" not in page.quiz_error.text()
        page.quiz_fields[1][1].clear()
        QTest.keyClicks(page.quiz_fields[1][1], words[asked[1] - 1])
        page.quiz_next.click()
        assert page.steps.currentWidget() is page.password_step
        QTest.keyClicks(page.password_edit, PASSWORD)
        QTest.keyClicks(page.confirm_edit, PASSWORD)
        page.submit_button.click()
        await until(lambda: not controller.window.gated, "the wallet to be created", 30)
        assert controller.wallets is not None
        address = controller.wallets.address
        info = controller.keys.keystore.get(address)
        assert info.source == "created" and info.backup_confirmed
        # The phrase is nowhere on disk under the app's home (settings, wallet list, venue).
        needles = [" ".join(words).encode(), f"{words[0]} {words[1]}".encode()]
        assert files_containing(os.environ["WALLET_PERPS_HOME"], needles) == []

    run_app(qtbot, scenario)


def test_a_frozen_connection_shows_the_banner_and_recovers_by_itself(qtbot: QtBot) -> None:
    """The venue stops answering (SIGSTOP): the banner greys the numbers; once it answers
    again the app reconnects and resyncs with no click, and agrees with the venue."""

    async def scenario(controller: AppController) -> None:
        address = await onboard_demo(controller)
        session, adapter = controller.session, controller.adapter
        assert session is not None and adapter is not None
        await until(adapter.account_state, "the account")
        venue = controller.venue
        assert venue is not None and venue.pid is not None
        window = controller.window
        reconnects = session.ws.reconnects
        os.kill(venue.pid, signal.SIGSTOP)
        try:
            await until(lambda: window.banner.isVisible(), "the reconnect banner", 20)
            assert "reconnecting" in window.connection_label.text()
            assert adapter.market_stale
        finally:
            os.kill(venue.pid, signal.SIGCONT)
        await until(lambda: not window.banner.isVisible(), "reconnection by itself", 30)
        assert not controller.venue_bar.isVisible()  # the venue never died
        assert session.ws.reconnects > reconnects
        await until(lambda: not session.account.stale, "a fresh account")
        assert await session.account.venue_diff() == []
        venue_state = await session.http.clearinghouse_state(address)
        assert venue_state.margin_summary.account_value == D(10_000)

    ws = {**FAST_WS, "ping_interval": 0.3, "idle_timeout": 1.0, "connect_timeout": 1.0}
    run_app(qtbot, scenario, session_options={"contexts_poll_s": 0, "ws_options": ws})


def test_before_any_wallet_markets_are_live_and_onboarding_is_one_click_away(
    qtbot: QtBot,
) -> None:
    async def scenario(controller: AppController) -> None:
        window = controller.window
        page = controller.onboarding
        assert isinstance(page, OnboardingPage) and window.gated
        assert page.cancel_button.isVisible()
        assert page.cancel_button.text() == "Browse markets first"
        page.cancel_button.click()
        assert not window.gated
        trade = trade_page(controller)
        await until(lambda: trade.price_label.text().startswith("$"), "a live BTC price")
        bar = controller.unlock_bar
        assert bar.isVisible() and bar.caption.text() == "No wallet yet"
        assert not bar.password_edit.isVisible() and bar.add_button.text() == "Get started"
        await until(lambda: trade.ticket.action_button.text() == "Create a wallet to trade", "")
        assert not trade.ticket.action_button.isEnabled()
        assert "Create or import a wallet" in trade.position_label.text()
        assert window.lock_button.text() == "Get started"
        # One click away, from the strip or the status bar's button.
        bar.add_button.click()
        assert window.gated and isinstance(controller.onboarding, OnboardingPage)
        controller.onboarding.cancel_button.click()
        assert not window.gated
        window.lock_button.click()
        assert window.gated
        # The demo's password step promises only what exists (it shows no phrase).
        page = controller.onboarding
        assert isinstance(page, OnboardingPage)
        page.demo_button.click()
        assert "paper money only" in page.password_hint.text()
        assert "wrote down" not in page.password_hint.text()
        await onboard_demo(controller)
        assert not bar.isVisible()

    run_app(qtbot, scenario)


def test_a_network_switch_from_settings_restarts_the_app_on_that_network(
    qtbot: QtBot, venue: VenueProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Settings' request runs as one of the controller's own tasks: stopping the app for the
    switch must not cancel it half-way, or the app stays stopped on no network at all."""
    # Testnet as a second network this machine can reach: pointed at the session's venue.
    monkeypatch.setitem(NETWORKS, "testnet", replace(NETWORKS["testnet"], http_url=venue.url))
    readies: list[None] = []

    async def scenario(controller: AppController) -> None:
        controller.ready.connect(lambda: readies.append(None))
        first = controller.session
        page = controller.pages["settings"]
        assert isinstance(page, SettingsPage) and first is not None
        page.network_requested.emit("testnet")
        await until(lambda: readies, "the app started again", 60)
        assert controller.network == "testnet" and controller.settings.network == "testnet"
        assert controller.session is not None and controller.session is not first
        assert controller.base_url == venue.url and controller.venue is None
        assert isinstance(controller.pages["settings"], SettingsPage)
        await until(trade_page(controller).has_live_price, "a live price on the new network")

    run_app(qtbot, scenario)

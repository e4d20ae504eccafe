"""The app as a user has it after a while: demo wallet, two positions, TP/SL, resting orders.

Shared by the layout test (tests/ui/test_layout_fits.py) and the screenshot script
(packaging/screenshots.py), so the pictures and the test look at the same screens. Orders go
through the app's own adapter and Trader (what the ticket's button does), which is faster and
steadier than typing each one.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TypeVar

from PySide6.QtTest import QTest

from tests.ui.qasync_helpers import until
from wallet_perps.core.tickets import OrderKind, OrderPlan, Ticket, TicketSide
from wallet_perps.services.trader_results import OrderState
from wallet_perps.ui.adapter import SessionAdapter
from wallet_perps.ui.app_controller import AppController
from wallet_perps.ui.pages.onboarding import OnboardingPage

T = TypeVar("T")
PASSWORD = "screenshot-demo-1"


async def wait_for(check: Callable[[], T | None], what: str, timeout_s: float = 30.0) -> T:
    """:func:`~tests.ui.qasync_helpers.until`, with the longer wait a whole app start needs."""
    return await until(check, what, timeout_s)


async def onboard_demo(controller: AppController, password: str = PASSWORD) -> None:
    """Click "Try the demo", choose a password, wait for the funded account."""
    page = controller.onboarding
    assert isinstance(page, OnboardingPage)
    page.demo_button.click()
    QTest.keyClicks(page.password_edit, password)
    QTest.keyClicks(page.confirm_edit, password)
    page.submit_button.click()
    await wait_for(lambda: not controller.window.gated, "demo onboarding")
    adapter = controller.adapter
    assert adapter is not None
    await wait_for(adapter.account_state, "the account")


async def _place(adapter: SessionAdapter, ticket: Ticket) -> int | None:
    plan = await wait_for(
        lambda: p if isinstance(p := adapter.plan(ticket), OrderPlan) else None, f"{ticket}"
    )
    result = await adapter.session.trader.place(plan)
    assert result.state in (OrderState.FILLED, OrderState.RESTING), result
    return result.oid


async def populate(controller: AppController) -> None:
    """Two positions (BTC long with TP/SL, ETH short), and two resting limit orders."""
    adapter = controller.adapter
    wallets = controller.wallets
    assert adapter is not None and wallets is not None
    await wallets.ensure_agent()
    btc = await wait_for(lambda: adapter.mid("BTC"), "a BTC price")
    eth = await wait_for(lambda: adapter.mid("ETH"), "an ETH price")
    await _place(adapter, Ticket("BTC", TicketSide.LONG, Decimal(20000), leverage=10))
    await _place(adapter, Ticket("ETH", TicketSide.SHORT, Decimal(3000), leverage=5))
    trader = adapter.session.trader
    result = await trader.set_tpsl(
        "BTC",
        take_profit=(btc * Decimal("1.08")).quantize(Decimal(1)),
        stop_loss=(btc * Decimal("0.95")).quantize(Decimal(1)),
    )
    assert result.ok, result
    for coin, px, side, leverage in (
        ("BTC", (btc * Decimal("0.97")).quantize(Decimal(1)), TicketSide.LONG, 10),
        ("ETH", (eth * Decimal("1.04")).quantize(Decimal("0.1")), TicketSide.SHORT, 5),
    ):
        # At the position's own leverage: another would re-set the whole position's.
        limit = Ticket(
            coin, side, Decimal(1500), leverage=leverage, kind=OrderKind.LIMIT, limit_px=px
        )
        await _place(adapter, limit)
    await wait_for(lambda: len(adapter.open_orders()) >= 4, "the orders in the stream")

"""The Funding page against a real venue process: every market's rate, words, and my payments.

The payments test runs its own venue at ``--clock-speed 3600`` (an hour of venue time per wall
second), so a fresh long pays or receives funding within seconds. At that speed the venue's
clock races ahead of ours, so the trader sends no ``expiresAfter`` and trades in the first
seconds of the venue's life, while wall-clock nonces are still inside the venue's window.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from decimal import Decimal

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from tests.ui.qasync_helpers import funded_session, locked_session, run_on_qasync, until
from tests.venue_process import VenueProcess
from wallet_perps.core.display import format_funding_rate, format_small_usd
from wallet_perps.core.funding_board import totals, who_pays
from wallet_perps.core.tickets import OrderPlan, Ticket, TicketSide
from wallet_perps.services.session import TradingSession
from wallet_perps.services.trader_results import OrderState
from wallet_perps.ui.adapter import SessionAdapter
from wallet_perps.ui.pages.funding import FundingPage
from wallet_perps.ui.widgets.record_table import RecordTable

D = Decimal


@pytest.fixture
def fast_venue() -> Iterator[VenueProcess]:
    process = VenueProcess("--seed", "5", "--clock-speed", "3600")
    yield process
    process.kill()


def click_row(table: object, row: int) -> None:
    """Click a table row the way a user does: on the cell, with the mouse."""
    assert isinstance(table, RecordTable)
    rect = table.visualRect(table.records.index(row, 0))
    QTest.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


@asynccontextmanager
async def funding_page(
    session: TradingSession, qtbot: QtBot, *, shown: bool = True, refresh_s: float = 30.0
) -> AsyncIterator[tuple[SessionAdapter, FundingPage]]:
    """The page on ``session`` (hidden, as behind another page, unless ``shown``); its adapter
    and the session are closed afterwards, pass or fail."""
    adapter = SessionAdapter(session)
    page = FundingPage(adapter, refresh_s=refresh_s)
    qtbot.addWidget(page)
    page.resize(1100, 760)
    if shown:
        page.show()
    try:
        yield adapter, page
    finally:
        await adapter.aclose()
        await session.stop()


def test_every_market_with_the_venues_rate_and_who_pays_without_a_wallet(
    qtbot: QtBot, venue: VenueProcess
) -> None:
    async def scenario() -> None:
        session = await locked_session(venue.url)
        async with funding_page(session, qtbot) as (adapter, page):
            table = page.markets_table.records
            coins = adapter.coins()
            await until(lambda: len(table.rows) == len(coins), "a row per market")
            page.redraw()
            rate_col = table.column_index("Rate / h")
            apr_col = table.column_index("APR")
            words_col = table.column_index("Who pays")
            for i, coin in enumerate(coins):
                ctx = session.market.context(coin)
                assert ctx is not None
                assert table.text(i, 0) == coin
                # The same digits as the shared "0.00125%/h (11.0% APR)" format, in two columns.
                rate_text = f"{table.text(i, rate_col)}/h ({table.text(i, apr_col)} APR)"
                assert rate_text == format_funding_rate(ctx.funding)
                assert D(table.text(i, apr_col).rstrip("%")) == (
                    ctx.funding * 24 * 365 * 100
                ).quantize(D("0.1"))
                words = table.text(i, words_col)
                assert words == who_pays(ctx.funding)
                if ctx.funding > 0:
                    assert words == "Longs pay shorts"
                elif ctx.funding < 0:
                    assert words == "Shorts pay longs"
            # The venue's predicted next rates arrive by fetch and fill their column.
            predicted_col = table.column_index("Predicted / h")
            await until(lambda: table.text(0, predicted_col) != "—", "the predicted rates")
            venue_predicted = {p.coin: p for p in await session.market.predicted_fundings()}
            assert set(venue_predicted) >= set(coins)
            assert table.text(0, predicted_col).endswith("%")
            # The countdown to the top of the hour.
            assert re.fullmatch(r"\d\d:\d\d", page.countdown_label.text())
            countdown_col = table.column_index("Next in")
            assert all(re.fullmatch(r"\d\d:\d\d", table.text(i, countdown_col)) for i in range(3))

            # BTC is selected first; clicking ETH shows ETH's history.
            assert page.coin == "BTC"
            assert "BTC" in page.history_chart.title_label.text()
            click_row(page.markets_table, coins.index("ETH"))
            assert page.coin == "ETH"
            assert page.history_chart.title_label.text().startswith("ETH funding history")

            # No wallet: the account part says how to see it.
            assert page.account_stack.currentWidget() is page.unlock_label
            assert page.unlock_label.isVisible()
            assert page.unlock_label.text().startswith("Unlock your wallet to see")

    run_on_qasync(qtbot, scenario)


def test_a_long_pays_or_receives_funding_and_the_total_adds_up(
    qtbot: QtBot, fast_venue: VenueProcess
) -> None:
    async def scenario() -> None:
        # The venue's clock races ahead: orders without an expiry (see the module's note).
        session = await funded_session(fast_venue.url, trader_options={"order_expiry_s": None})
        async with funding_page(session, qtbot) as (adapter, page):
            await session.market.watch("BTC")
            await until(lambda: session.market.book("BTC") is not None, "the BTC book")
            plan = adapter.plan(Ticket("BTC", TicketSide.LONG, D(200)))
            assert isinstance(plan, OrderPlan), plan
            result = await session.trader.place(plan)
            assert result.state is OrderState.FILLED, result
            assert page.account_stack.currentIndex() == 1
            assert not page.unlock_label.isVisible()

            payments = page.payments_table.records
            await until(lambda: len(payments.rows) >= 2, "two funding payments", 20)
            page.redraw()
            shown = adapter.fundings()
            assert payments.rows == shown
            amount_col = payments.column_index("Amount")
            for i, payment in enumerate(shown):
                assert payment.coin == "BTC" and payment.szi == plan.size
                text = payments.text(i, amount_col)
                if payment.funding_rate > 0:  # a long pays a positive rate
                    assert payment.usdc < 0 and text.startswith("-$")
                elif payment.funding_rate < 0:
                    assert payment.usdc > 0 and text.startswith("$")
                assert payments.text(i, payments.column_index("Position")).startswith("Long ")
            # The total is the sum of the listed payments, in the same words.
            net = sum((p.usdc for p in shown), D(0))
            assert page.total_label.text() == format_small_usd(net)
            assert totals(shown).net == net
            assert f"{len(shown)} payments" in page.flows_label.text()
            assert page.cumulative_chart.point_count == len(shown)
            # Every payment shown is one the venue settled, with the same amount.
            venue_rows = {
                (p.time, p.coin): p.usdc for p in await session.http.user_funding(session.user, 0)
            }
            for payment in shown:
                assert venue_rows[(payment.time, payment.coin)] == payment.usdc

            # The next payment of the open long, with the sign of the rate.
            estimates = page.estimates_table.records
            await until(lambda: len(estimates.rows) == 1, "an estimate for the long")
            estimate = estimates.rows[0]
            assert estimate.coin == "BTC" and estimate.szi == plan.size
            words = estimates.text(0, 2)
            if estimate.rate > 0:
                assert estimate.usdc < 0 and words.startswith("You pay $")
            elif estimate.rate < 0:
                assert estimate.usdc > 0 and words.startswith("You receive $")

    run_on_qasync(qtbot, scenario)


def test_a_hidden_page_asks_the_venue_nothing_until_it_is_shown(
    qtbot: QtBot, venue: VenueProcess
) -> None:
    """Each ask counts against the venue's rate limit: a page behind another waits."""

    async def scenario() -> None:
        session = await locked_session(venue.url)
        async with funding_page(session, qtbot, shown=False, refresh_s=0.05) as (adapter, page):
            table = page.markets_table.records
            await until(lambda: table.rows, "the markets, from the live contexts")
            predicted_col = table.column_index("Predicted / h")
            await asyncio.sleep(0.5)  # ten refresh periods, hidden
            await adapter.wait_idle()
            page.redraw()
            assert table.text(0, predicted_col) == "—"  # nothing was asked
            page.show()
            await until(lambda: table.text(0, predicted_col) != "—", "the predicted rates")

    run_on_qasync(qtbot, scenario)

"""The Trade page against a real venue process with synthetic liquidity and a funded account.

The page runs on a qasync loop, exactly as in the app: services, WebSocket and widgets share
one thread. Each test builds its own loop around the QApplication and closes it afterwards,
so no task survives a test.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from tests.ui.qasync_helpers import funded_session, run_on_qasync, until
from tests.venue_process import VenueProcess
from wallet_perps.core.tickets import OrderPlan, TicketError, TicketSide
from wallet_perps.services.session import TradingSession
from wallet_perps.services.trader_results import OrderResult, OrderState
from wallet_perps.ui.adapter import SessionAdapter
from wallet_perps.ui.pages.trade import TradePage

D = Decimal


def test_trade_page_live_price_refuses_five_dollars_and_fills_a_long(
    qtbot: QtBot, venue: VenueProcess
) -> None:
    async def scenario() -> None:
        # $40 behind a $200 cross position: liquidation is near enough to be a real price.
        session = await funded_session(venue.url, "40")
        adapter = SessionAdapter(session)
        # Straight to the venue: the confirmation sheet has its own tests (test_trade_extras).
        page = TradePage(adapter, confirm_orders=lambda: False)
        qtbot.addWidget(page)
        page.resize(1100, 760)
        page.show()
        try:
            await check_page(session, page)
        finally:
            await adapter.aclose()
            await session.stop()

    run_on_qasync(qtbot, scenario)


async def check_page(session: TradingSession, page: TradePage) -> None:
    # A live BTC price, BTC first in the picker, and a book with both sides.
    assert page.picker.coins()[0] == "BTC" and page.coin == "BTC"
    await until(lambda: page.price_label.text().startswith("$"), "a BTC price")
    await until(lambda: page.book.bid_rows[0][0].text() != "", "the book's bids")
    await until(lambda: page.book.ask_rows[0][0].text() != "", "the book's asks")
    price = D(page.price_label.text().lstrip("$").replace(",", ""))
    oracle = session.market.context("BTC")
    assert oracle is not None and abs(price / oracle.oracle_px - 1) < D("0.05")
    assert "%/h (" in page.funding_stat.value.text() and "APR" in page.funding_stat.value.text()

    ticket = page.ticket
    sent: list[OrderPlan] = []
    results: list[OrderResult] = []
    ticket.submitted.connect(sent.append)
    page.adapter.order_result.connect(results.append)

    # $5: a clear reason next to the amount, the button disabled, nothing sent.
    before = await session.http.user_rate_limit(session.user)
    ticket.amount_edit.setFocus()
    qtbot_keys(ticket.amount_edit, "5")
    plan = ticket.plan
    assert isinstance(plan, TicketError) and plan.field == "amount"
    assert ticket.amount_error.isVisible()
    assert "Minimum order value is $10" in ticket.amount_error.text()
    assert not ticket.action_button.isEnabled()
    ticket.action_button.click()
    ticket.submit()
    await asyncio.sleep(0.3)
    assert sent == [] and results == []
    after = await session.http.user_rate_limit(session.user)
    assert after.n_requests_used == before.n_requests_used
    assert await session.http.open_orders(session.user) == []
    assert await session.http.user_fills(session.user) == []

    # $200 at 10x market long: the button says what happens, and it fills.
    ticket.amount_edit.clear()
    qtbot_keys(ticket.amount_edit, "200")
    assert ticket.leverage_slider.value() == 10
    plan = await until(
        lambda: ticket.plan if isinstance(ticket.plan, OrderPlan) else None, "a valid plan"
    )
    assert not ticket.amount_error.isVisible()
    assert ticket.action_button.isEnabled()
    assert ticket.action_button.text().startswith("Open Long ")
    assert ticket.action_button.text().endswith(" BTC")
    assert ticket.estimates["liquidation"].text().startswith("$")
    ticket.action_button.click()
    await until(lambda: results, "the order result", timeout_s=15)
    assert len(sent) == 1
    result = results[0]
    assert result.state is OrderState.FILLED, result
    assert ticket.result_label.isVisible() and ticket.result_label.text()
    estimate = sent[0].liquidation_px
    assert estimate is not None

    venue_state = await session.http.clearinghouse_state(session.user)
    position = venue_state.position("BTC")
    assert position is not None and position.liquidation_px is not None
    assert position.szi == sent[0].size

    # The result belongs to the wallet that sent it: a lock takes it off the screen.
    ticket.set_locked("Unlock your wallet to trade")
    assert ticket.result_label.isHidden()
    assert not ticket.action_button.isEnabled()
    ticket.set_locked(None)
    assert position.leverage.value == 10
    error = abs(estimate - position.liquidation_px) / position.liquidation_px
    assert error < D("0.005"), (estimate, position.liquidation_px)
    # The page shows the new position once the account stream has it.
    await until(lambda: "Your position: Long" in page.position_label.text(), "the position line")


def qtbot_keys(widget: QWidget, text: str) -> None:
    """Type like a person: one key event per character (the ticket re-validates on each)."""
    QTest.keyClicks(widget, text)


def test_keyboard_l_and_s_pick_the_side(qtbot: QtBot, venue: VenueProcess) -> None:
    async def scenario() -> None:
        session = await funded_session(venue.url)
        adapter = SessionAdapter(session)
        page = TradePage(adapter)
        qtbot.addWidget(page)
        page.show()
        ticket = page.ticket

        def side_after(widget: QWidget, key: Qt.Key) -> TicketSide:
            QTest.keyClick(widget, key)
            return ticket.side

        try:
            ticket.long_button.setFocus()
            assert side_after(ticket.long_button, Qt.Key.Key_S) is TicketSide.SHORT
            assert ticket.action_button.property("kind") == "short"
            assert side_after(ticket.long_button, Qt.Key.Key_L) is TicketSide.LONG
            # In the amount field the letters are text, not side switches.
            assert side_after(ticket.amount_edit, Qt.Key.Key_S) is TicketSide.LONG
            # Elsewhere on the page they still pick the side.
            assert side_after(page.book, Qt.Key.Key_S) is TicketSide.SHORT
        finally:
            await adapter.aclose()
            await session.stop()

    run_on_qasync(qtbot, scenario)


def test_the_first_screen_shows_its_price_before_the_book_and_ticket(
    qtbot: QtBot, venue: VenueProcess
) -> None:
    """``body_after_price`` (the app's first screen): the book, trades and ticket are hidden
    until the first live price has been painted, then shown on the next loop turn."""

    async def scenario() -> None:
        session = await funded_session(venue.url, "40")
        adapter = SessionAdapter(session)
        page = TradePage(adapter, body_after_price=True)
        qtbot.addWidget(page)
        page.resize(1100, 760)
        painted_with_body: list[bool] = []

        class FirstPaint(QObject):
            def eventFilter(self, watched: QObject, event: QEvent) -> bool:
                if event.type() == QEvent.Type.Paint and page.price_label.text().startswith("$"):
                    painted_with_body.append(page.body_built)
                return False

        watch = FirstPaint()
        page.price_label.installEventFilter(watch)
        assert not page.body_built
        page.show()
        try:
            await until(lambda: bool(painted_with_body), "the first painted price")
            assert painted_with_body[0] is False  # the price came first
            await until(lambda: page.body_built, "the book, trades and ticket")
            await until(page.ticket.isVisible, "the ticket, once the price is painted")
            assert page.book.isVisible() and page.trades.isVisible()
            # Made late, they still show the market: the ticket knows it, the book fills.
            assert page.ticket.coin == "BTC" and page.ticket.unit_box.itemText(1) == "BTC"
            await until(lambda: page.book.bid_rows[0][0].text() != "", "the book's bids")
        finally:
            page.price_label.removeEventFilter(watch)
            await adapter.aclose()
            await session.stop()

    run_on_qasync(qtbot, scenario)

"""The ticket refuses what a person did not mean and asks before surprises (issue 17).

Against a real venue process: "1e3" typed as an amount is refused next to the amount and
nothing reaches the venue; a take-profit nine billion dollars away, or an order that would
re-set an open position's leverage, opens the review even with reviews turned off, and
Cancel there sends nothing.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from tests.ui.qasync_helpers import funded_session, run_on_qasync, until
from tests.venue_process import VenueProcess
from wallet_perps.core.tickets import OrderPlan, TicketError
from wallet_perps.services.trader_results import OrderResult, OrderState
from wallet_perps.ui.adapter import SessionAdapter
from wallet_perps.ui.pages.trade import TradePage

D = Decimal


def shown_trade_page(qtbot: QtBot, adapter: SessionAdapter) -> tuple[TradePage, list[OrderResult]]:
    """The Trade page with reviews off, shown, and the list its order results land in: how
    every test here starts."""
    page = TradePage(adapter, confirm_orders=lambda: False)  # reviews off
    qtbot.addWidget(page)
    page.resize(1100, 760)
    page.show()
    results: list[OrderResult] = []
    adapter.order_result.connect(results.append)
    return page, results


def test_bad_inputs_are_refused_where_typed_and_surprises_are_asked_first(
    qtbot: QtBot, venue: VenueProcess
) -> None:
    async def scenario() -> None:
        session = await funded_session(venue.url, "1000")
        adapter = SessionAdapter(session)
        page, results = shown_trade_page(qtbot, adapter)
        ticket = page.ticket
        try:
            await until(lambda: page.price_label.text().startswith("$"), "a BTC price")
            before = await session.http.user_rate_limit(session.user)

            # "1e3" is not $1,000: refused beside the amount, the button off, nothing sent.
            QTest.keyClicks(ticket.amount_edit, "1e3")
            plan = ticket.plan
            assert isinstance(plan, TicketError) and plan.field == "amount"
            assert ticket.amount_error.isVisible()
            assert "not a number" in ticket.amount_error.text()
            assert "1,250.50" in ticket.amount_error.text()
            assert not ticket.action_button.isEnabled()
            ticket.submit()
            # A thousands separator is fine.
            ticket.amount_edit.clear()
            QTest.keyClicks(ticket.amount_edit, "1,000")
            assert ticket.amount_error.isHidden()
            ticket.amount_edit.clear()

            # A take-profit of 9,000,099,000: asked about first, although reviews are off.
            QTest.keyClicks(ticket.amount_edit, "100")
            ticket.tpsl_box.setChecked(True)
            QTest.keyClicks(ticket.tp_edit, "9,000,099,000")
            plan = await until(
                lambda: ticket.plan if isinstance(ticket.plan, OrderPlan) else None, "a plan"
            )
            assert plan.confirm_reasons and "above the mark price" in plan.confirm_reasons[0]
            ticket.action_button.click()
            assert page.sheet.isVisible()
            assert "$9,000,099,000" in page.sheet.warning_label.text()
            QTest.keyClick(page.sheet, Qt.Key.Key_Escape)
            await asyncio.sleep(0.3)
            assert results == []
            after = await session.http.user_rate_limit(session.user)
            assert after.n_requests_used == before.n_requests_used
            ticket.tp_edit.clear()
            ticket.tpsl_box.setChecked(False)

            # Open a 10x position (reviews off: sent at once) ...
            plan = await until(
                lambda: ticket.plan if isinstance(ticket.plan, OrderPlan) else None, "a plan"
            )
            assert plan.confirm_reasons == ()
            ticket.action_button.click()
            await until(lambda: results, "the first order's result", 15)
            assert results[0].state is OrderState.FILLED, results[0]
            # ... then at 40x: the change of the position's leverage is announced first.
            await until(
                lambda: (
                    adapter.account_state() is not None
                    and any(
                        p.coin == "BTC" and p.szi != 0
                        for p in adapter.account_state().positions  # type: ignore[union-attr]
                    )
                ),
                "the position in the account stream",
            )
            ticket.leverage_slider.setValue(40)
            QTest.keyClicks(ticket.amount_edit, "100")  # a filled order clears the amount
            plan = await until(
                lambda: (
                    ticket.plan
                    if isinstance(ticket.plan, OrderPlan) and ticket.plan.leverage == 40
                    else None
                ),
                "a 40x plan",
            )
            assert any("from 10x to 40x" in r for r in plan.confirm_reasons)
            ticket.action_button.click()
            assert page.sheet.isVisible()
            assert "from 10x to 40x" in page.sheet.warning_label.text()
            QTest.mouseClick(page.sheet.cancel_button, Qt.MouseButton.LeftButton)
            await asyncio.sleep(0.3)
            assert len(results) == 1  # nothing more was sent
            state = await session.http.clearinghouse_state(session.user)
            position = state.position("BTC")
            assert position is not None and position.leverage.value == 10
        finally:
            await adapter.aclose()
            await session.stop()

    run_on_qasync(qtbot, scenario)


def test_a_resting_result_line_goes_when_its_order_is_cancelled(
    qtbot: QtBot, venue: VenueProcess
) -> None:
    async def scenario() -> None:
        session = await funded_session(venue.url, "1000")
        adapter = SessionAdapter(session)
        page, results = shown_trade_page(qtbot, adapter)
        ticket = page.ticket
        try:
            mid = await until(lambda: adapter.mid("BTC"), "a BTC price")
            ticket.kind_box.setCurrentIndex(ticket.kind_box.findText("Limit"))
            ticket.limit_edit.clear()  # switching to Limit fills in the mid
            QTest.keyClicks(ticket.limit_edit, f"{(mid * D('0.8')).quantize(D(1)):,}")
            QTest.keyClicks(ticket.amount_edit, "50")
            await until(lambda: isinstance(ticket.plan, OrderPlan), "a limit plan")
            ticket.action_button.click()
            await until(lambda: results, "the order's answer", 15)
            result = results[0]
            assert result.state is OrderState.RESTING and result.oid is not None, result
            assert ticket.result_label.isVisible()
            await until(
                lambda: any(o.oid == result.oid for o in adapter.open_orders()),
                "the order in the account stream",
            )
            await asyncio.sleep(0.3)  # redraws while it rests keep the line
            assert ticket.result_label.isVisible()
            cancelled = await session.trader.cancel(result.oid, "BTC")
            assert cancelled.ok, cancelled
            await until(lambda: not ticket.result_label.isVisible(), "the line to go", 10)
        finally:
            await adapter.aclose()
            await session.stop()

    run_on_qasync(qtbot, scenario)


def test_the_review_says_when_prices_are_not_live_and_waits_for_them(qtbot: QtBot) -> None:
    from PySide6.QtWidgets import QWidget

    from wallet_perps.ui.widgets.confirm_sheet import STALE_TEXT, ConfirmSheet

    host = QWidget()
    host.resize(900, 600)
    qtbot.addWidget(host)
    sheet = ConfirmSheet(host)
    host.show()
    sent: list[str] = []
    sheet.open_action("Review", "Close it.", [("Size", "1 BTC")], "Close", lambda: sent.append("x"))
    sheet.set_stale(True)
    assert sheet.stale_label.isVisible() and sheet.stale_label.text() == STALE_TEXT
    assert not sheet.confirm_button.isEnabled()
    QTest.keyClick(sheet, Qt.Key.Key_Return)
    assert sent == [] and sheet.isVisible()  # nothing sent on the old numbers
    sheet.set_stale(False)
    assert not sheet.stale_label.isVisible() and sheet.confirm_button.isEnabled()
    QTest.keyClick(sheet, Qt.Key.Key_Return)
    assert sent == ["x"]

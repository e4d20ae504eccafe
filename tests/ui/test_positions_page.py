"""The Positions page against a real venue process with synthetic liquidity.

Each test funds a fresh paper account, trades through the real Trader (or the page's own
buttons) and checks what a user would notice on the page against what the venue itself
reports: the liquidation price to the digit, orders gone after Cancel, the position gone
after Close, half the size after Close part 50%.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import ROUND_DOWN, Decimal
from pathlib import Path

from eth_account import Account
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QTableWidget
from pytestqt.qtbot import QtBot

from tests.ui.qasync_helpers import funded_session, locked_session, run_on_qasync, until
from tests.venue_process import VenueProcess
from wallet_perps.core.display import format_price, format_size, significant
from wallet_perps.core.models import LeverageType, Position
from wallet_perps.core.tickets import OrderKind, OrderPlan, Ticket, TicketSide
from wallet_perps.hyperliquid.sender import KeySigner
from wallet_perps.services.session import TradingSession
from wallet_perps.services.trader_results import OrderState
from wallet_perps.ui.adapter import SessionAdapter
from wallet_perps.ui.pages.positions import PositionsPage
from wallet_perps.ui.view_models import LEVEL_WORDS, liq_level
from wallet_perps.ui.widgets.position_dialogs import ClosePartDialog, MarginDialog, TpslDialog
from wallet_perps.ui.widgets.positions_table import PositionRow

D = Decimal
LEFT = Qt.MouseButton.LeftButton


@asynccontextmanager
async def page_on(
    session: TradingSession, qtbot: QtBot, *, reviews: bool = False
) -> AsyncIterator[tuple[SessionAdapter, PositionsPage]]:
    """The page on ``session``, all of it let go afterwards even when an assertion failed.

    ``reviews`` is Settings' "Review every order" (off: actions send at once). Page, adapter
    and session are released in one place so no test leaves a live session for the next.
    """
    adapter = SessionAdapter(session)
    page = PositionsPage(adapter, confirm_orders=lambda: reviews)
    qtbot.addWidget(page)
    page.resize(1150, 800)
    page.show()
    try:
        yield adapter, page
    finally:
        page.release()
        await adapter.aclose()
        await session.stop()


@asynccontextmanager
async def funded_page(
    venue: VenueProcess, qtbot: QtBot, usdc: str = "1000", *, reviews: bool = False
) -> AsyncIterator[tuple[TradingSession, SessionAdapter, PositionsPage]]:
    """A fresh paper account holding ``usdc`` on the venue, and the page on its session."""
    session = await funded_session(venue.url, usdc)
    async with page_on(session, qtbot, reviews=reviews) as (adapter, page):
        yield session, adapter, page


async def place(adapter: SessionAdapter, session: TradingSession, ticket: Ticket) -> None:
    plan = await until(lambda: _plan(adapter, ticket), f"a valid plan for {ticket}")
    assert plan is not None
    result = await session.trader.place(plan)
    assert result.state in (OrderState.FILLED, OrderState.RESTING), result


def _plan(adapter: SessionAdapter, ticket: Ticket) -> OrderPlan | None:
    plan = adapter.plan(ticket)
    return plan if isinstance(plan, OrderPlan) else None


async def venue_position(session: TradingSession, coin: str) -> Position | None:
    state = await session.http.clearinghouse_state(session.user)
    position = state.position(coin)
    return position if position is not None and position.szi != 0 else None


async def shown_row(page: PositionsPage, coin: str) -> PositionRow:
    row = await until(lambda: page.positions_table.rows.get(coin), f"the {coin} card")
    assert row is not None
    return row


def cell(table: QTableWidget, row: int, column: int) -> str:
    item = table.item(row, column)
    return item.text() if item is not None else ""


def test_a_market_long_shows_the_venues_liquidation_price(
    qtbot: QtBot, venue: VenueProcess
) -> None:
    async def scenario() -> None:
        # $40 behind a $200 cross long at 10x: the liquidation price is a real price.
        async with funded_page(venue, qtbot, "40") as (session, adapter, page):
            assert page.stack.currentIndex() == 1
            assert page.positions_table.empty_label.isVisible()
            await place(adapter, session, Ticket("BTC", TicketSide.LONG, D(200), leverage=10))
            position = await venue_position(session, "BTC")
            assert position is not None and position.liquidation_px is not None
            row = await shown_row(page, "BTC")
            expected = format_price(significant(position.liquidation_px))
            await until(
                lambda: row.labels["liquidation"].text() == expected,
                f"liquidation {expected} (shown {row.labels['liquidation'].text()})",
            )
            assert row.values["liquidation"] == position.liquidation_px
            assert row.side_label.text() == "Long"
            assert row.side_label.property("role") == "long"
            assert row.values["size"] == position.size
            assert row.labels["size"].text() == f"{format_size(position.size)} BTC"
            assert row.labels["margin"].text().startswith("$")
            assert row.labels["mode"].text() == "cross"
            assert row.margin_button.isHidden()  # cross: no add/remove margin
            # Distance and gauge follow the live mark: $40 of equity behind $200 is ~19% away.
            distance, mark = row.values["distance"], row.values["mark"]
            assert distance is not None and mark is not None
            assert distance == (mark - position.liquidation_px) / mark * 100
            assert D(5) < distance < D(40), distance
            # The gauge's legend in words: safe / watch / danger.
            word = LEVEL_WORDS[liq_level(distance)]
            assert row.labels["distance"].text() == f"{distance:.1f}% away · {word}"
            assert row.gauge.distance == distance
            assert row.gauge.level is liq_level(distance)
            assert not page.positions_table.empty_label.isVisible()

    run_on_qasync(qtbot, scenario)


def test_cancel_one_order_then_cancel_all(qtbot: QtBot, venue: VenueProcess) -> None:
    async def scenario() -> None:
        async with funded_page(venue, qtbot) as (session, adapter, page):
            table = page.orders_table
            await until(lambda: adapter.mid("BTC"), "a BTC price")
            mid = adapter.mid("BTC")
            assert mid is not None
            far = (mid * D("0.8")).quantize(D(1))  # far below the market: rests
            buy = Ticket("BTC", TicketSide.LONG, D(20), kind=OrderKind.LIMIT, limit_px=far)
            await place(adapter, session, buy)
            oid = await until(lambda: next(iter(table.cancel_buttons), None), "the order row")
            assert oid is not None
            assert cell(table.table, 0, 0) == "BTC"
            assert cell(table.table, 0, 1) == "Buy"
            assert cell(table.table, 0, 3) == format_price(far)
            QTest.mouseClick(table.cancel_buttons[oid], LEFT)
            await until(lambda: oid not in table.cancel_buttons, "the row to go")
            assert await session.http.open_orders(session.user) == []
            assert page.toast.isVisible() and "Cancelled 1 order" in page.toast.text()
            assert table.empty_label.isVisible()

            for factor in ("0.8", "0.81", "0.82"):
                px = (mid * D(factor)).quantize(D(1))
                await place(
                    adapter,
                    session,
                    Ticket("BTC", TicketSide.LONG, D(20), kind=OrderKind.LIMIT, limit_px=px),
                )
            await until(lambda: len(table.cancel_buttons) == 3, "three order rows")
            assert table.cancel_all_button.isEnabled()
            QTest.mouseClick(table.cancel_all_button, LEFT)
            await until(lambda: not table.cancel_buttons, "every row to go")
            assert await session.http.open_orders(session.user) == []
            assert "Cancelled 3 orders" in page.toast.text()
            assert not table.error_label.isVisible()

    run_on_qasync(qtbot, scenario)


def test_close_closes_the_position(qtbot: QtBot, venue: VenueProcess) -> None:
    async def scenario() -> None:
        async with funded_page(venue, qtbot) as (session, adapter, page):
            page.toast_ms = 300  # the success message fades by itself; don't wait 4 s for it
            await place(adapter, session, Ticket("BTC", TicketSide.SHORT, D(100), leverage=5))
            row = await shown_row(page, "BTC")
            assert row.side_label.text() == "Short"
            QTest.mouseClick(row.close_button, LEFT)
            assert row.close_button.text() == "Closing…" and not row.close_button.isEnabled()
            await until(lambda: "BTC" not in page.positions_table.rows, "the card to go", 15)
            assert await venue_position(session, "BTC") is None
            assert page.toast.isVisible()
            assert page.toast.text().startswith("BTC position closed: Filled")
            assert page.positions_table.empty_label.isVisible()
            await until(lambda: not page.toast.isVisible(), "the toast to fade away", 5)
            # A refusal is shown inline in red, with the venue's reason and what to do.
            page.close_position("BTC")
            await until(lambda: page.error_label.isVisible(), "the inline refusal")
            assert "You have no BTC position." in page.error_label.text()
            assert "try again" in page.error_label.text()
            assert page.error_label.objectName() == "ErrorText"

    run_on_qasync(qtbot, scenario)


def test_adding_isolated_margin_moves_the_liquidation_price_away(
    qtbot: QtBot, venue: VenueProcess
) -> None:
    async def scenario() -> None:
        async with funded_page(venue, qtbot) as (session, adapter, page):
            short = Ticket(
                "ETH",
                TicketSide.SHORT,
                D(100),
                leverage=20,
                margin_mode=LeverageType.ISOLATED,
            )
            await place(adapter, session, short)
            before = await venue_position(session, "ETH")
            assert before is not None and before.liquidation_px is not None
            row = await shown_row(page, "ETH")
            await until(lambda: row.values.get("liquidation") == before.liquidation_px, "liq")
            assert row.labels["mode"].text() == "isolated"
            # A card added to a shown page is shown by its layout a loop turn later.
            await until(row.margin_button.isVisible, "the margin button of an isolated position")
            QTest.mouseClick(row.margin_button, LEFT)
            dialog = page.dialog
            assert isinstance(dialog, MarginDialog) and dialog.adding
            # As on the card: 6 significant figures, not the venue's 8 decimals.
            assert dialog.liq_label.text() == format_price(significant(before.liquidation_px))
            QTest.keyClicks(dialog.amount_edit, "5")
            estimate = dialog.estimated_liquidation(D(5))
            assert estimate is not None and estimate > before.liquidation_px
            assert dialog.new_liq_label.text().startswith("≈ $")
            QTest.mouseClick(dialog.ok_button, LEFT)
            await until(lambda: "Added $5 to ETH" in page.toast.text(), "the margin toast")
            after = await venue_position(session, "ETH")
            assert after is not None and after.liquidation_px is not None
            assert after.liquidation_px > before.liquidation_px  # a short's moves up, away
            assert abs(estimate / after.liquidation_px - 1) < D("0.001")
            new_liq = format_price(significant(after.liquidation_px))
            await until(
                lambda: row.labels["liquidation"].text() == new_liq, "the new liquidation price"
            )

    run_on_qasync(qtbot, scenario)


def test_close_part_halves_the_size_and_tpsl_is_checked(qtbot: QtBot, venue: VenueProcess) -> None:
    async def scenario() -> None:
        async with funded_page(venue, qtbot) as (session, adapter, page):
            await place(adapter, session, Ticket("BTC", TicketSide.LONG, D(200), leverage=10))
            before = await venue_position(session, "BTC")
            assert before is not None
            row = await shown_row(page, "BTC")
            await until(lambda: row.values.get("size") == before.size, "the full size")

            # Close part: 50% of the size, rounded down to the lot, leaves the rest open.
            QTest.mouseClick(row.close_part_button, LEFT)
            dialog = page.dialog
            assert isinstance(dialog, ClosePartDialog) and dialog.isVisible()
            QTest.mouseClick(dialog.preset_buttons[75], LEFT)
            assert dialog.ok_button.text() == "Close 75%"
            QTest.mouseClick(dialog.preset_buttons[50], LEFT)
            assert dialog.ok_button.text() == "Close 50%"
            lot = D(1).scaleb(-adapter.market("BTC").sz_decimals)
            closed = (before.size / 2).quantize(lot, rounding=ROUND_DOWN)
            QTest.mouseClick(dialog.ok_button, LEFT)
            expected = before.size - closed
            await until(lambda: row.values.get("size") == expected, "half the size", 15)
            after = await venue_position(session, "BTC")
            assert after is not None and after.size == expected
            assert page.toast.text().startswith("Part of BTC closed: Filled")

            # TP/SL: a stop-loss above the mark of a long is refused in the dialog itself.
            QTest.mouseClick(row.tpsl_button, LEFT)
            tpsl = page.dialog
            assert isinstance(tpsl, TpslDialog)
            mark = row.values["mark"]
            assert mark is not None
            QTest.keyClicks(tpsl.sl_edit, str((mark * D("1.05")).quantize(D(1))))
            assert tpsl.error_label.isVisible() and "below the mark" in tpsl.error_label.text()
            assert not tpsl.ok_button.isEnabled()
            tpsl.sl_edit.clear()
            stop = (mark * D("0.97")).quantize(D(1))
            QTest.keyClicks(tpsl.sl_edit, str(stop))
            assert not tpsl.error_label.isVisible() and tpsl.ok_button.isEnabled()
            QTest.mouseClick(tpsl.ok_button, LEFT)
            await until(lambda: "SL set for BTC" in page.toast.text(), "the TP/SL toast", 15)
            orders = await session.http.frontend_open_orders(session.user)
            assert [o.trigger_px for o in orders if o.is_trigger] == [stop]
            await until(lambda: len(page.orders_table.cancel_buttons) == 1, "the SL row")

    run_on_qasync(qtbot, scenario)


def test_without_a_wallet_the_page_asks_to_unlock(qtbot: QtBot, venue: VenueProcess) -> None:
    async def scenario() -> None:
        session = await locked_session(venue.url)
        async with page_on(session, qtbot) as (adapter, page):
            assert page.stack.currentIndex() == 0
            assert page.locked_label.isVisible()
            assert page.locked_label.text().startswith("Unlock your wallet to see")
            adapter.account_changed.emit()  # a stray redraw must not crash without an account
            page.redraw()
            # Unlocking brings the account in: the page redraws on account_opened.
            account = Account.create()
            await session.open_account(KeySigner(bytes(account.key)), account.address)
            await until(lambda: page.stack.currentIndex() == 1, "the account view")
            await until(lambda: page.positions_table.empty_label.isVisible(), "no positions")
            assert not page.locked_label.isVisible()
            await session.close_account()
            await until(lambda: page.stack.currentIndex() == 0, "the locked view again")

    run_on_qasync(qtbot, scenario)


def test_with_reviews_on_close_and_cancel_all_ask_first_and_the_toast_moves_nothing(
    qtbot: QtBot, venue: VenueProcess
) -> None:
    async def scenario() -> None:
        async with funded_page(venue, qtbot, reviews=True) as (session, adapter, page):
            page.toast_ms = 300
            await place(adapter, session, Ticket("BTC", TicketSide.LONG, D(100), leverage=5))
            await place(adapter, session, Ticket("ETH", TicketSide.SHORT, D(60), leverage=5))
            before = await venue_position(session, "BTC")
            assert before is not None
            row = await shown_row(page, "BTC")
            eth = await shown_row(page, "ETH")
            await until(eth.close_button.isVisible, "the ETH card's buttons")

            # Close opens the review (the same sheet as the ticket's); Esc sends nothing.
            QTest.mouseClick(row.close_button, LEFT)
            assert page.sheet.isVisible()
            assert page.sheet.confirm_button.text() == f"Close Long {format_size(before.size)} BTC"
            assert "Market" in page.sheet.summary_label.text()
            assert page.sheet.values["reduce_only"].isVisible()
            assert row.close_button.text() == "Close"  # nothing in flight yet
            QTest.keyClick(page.sheet, Qt.Key.Key_Escape)
            assert not page.sheet.isVisible()
            still = await venue_position(session, "BTC")
            assert still is not None and still.szi == before.szi

            # Confirm closes it; the success toast floats: the ETH card's Close stays put.
            eth_close_at = eth.close_button.mapTo(page, eth.close_button.rect().topLeft())
            QTest.mouseClick(row.close_button, LEFT)
            QTest.keyClick(page.sheet, Qt.Key.Key_Return)
            await until(lambda: "BTC" not in page.positions_table.rows, "the BTC card to go", 15)
            assert await venue_position(session, "BTC") is None
            assert page.toast.isVisible()
            assert page.toast.parentWidget() is page  # over the page, not in its layout
            await until(lambda: eth.close_button.isVisible(), "the ETH card after the redraw")
            moved_to = eth.close_button.mapTo(page, eth.close_button.rect().topLeft())
            assert moved_to.y() <= eth_close_at.y()  # the BTC card went; nothing pushed it down

            # Cancel all is reviewed too: Cancel on the sheet leaves every order in place.
            mid = adapter.mid("ETH")
            assert mid is not None
            px = (mid * D("0.8")).quantize(D("0.1"))
            await place(
                adapter,
                session,
                Ticket("ETH", TicketSide.LONG, D(20), kind=OrderKind.LIMIT, limit_px=px),
            )
            table = page.orders_table
            await until(lambda: len(table.cancel_buttons) == 1, "the order row")
            QTest.mouseClick(table.cancel_all_button, LEFT)
            assert page.sheet.isVisible() and page.sheet.confirm_button.text() == "Cancel 1 order"
            QTest.mouseClick(page.sheet.cancel_button, LEFT)
            assert len(await session.http.open_orders(session.user)) == 1
            QTest.mouseClick(table.cancel_all_button, LEFT)
            QTest.mouseClick(page.sheet.confirm_button, LEFT)
            await until(lambda: not table.cancel_buttons, "the order to go")
            assert await session.http.open_orders(session.user) == []

    run_on_qasync(qtbot, scenario)


def test_orders_say_what_they_are_and_the_card_shows_its_tpsl(
    qtbot: QtBot, venue: VenueProcess
) -> None:
    async def scenario() -> None:
        async with funded_page(venue, qtbot) as (session, adapter, page):
            await place(adapter, session, Ticket("BTC", TicketSide.LONG, D(200), leverage=10))
            row = await shown_row(page, "BTC")
            await until(lambda: row.tpsl_label.text() == "no TP/SL", "the card without TP/SL")
            mark = await until(lambda: row.values.get("mark"), "the mark")
            take = (mark * D("1.08")).quantize(D(1))
            stop = (mark * D("0.95")).quantize(D(1))
            result = await session.trader.set_tpsl("BTC", take_profit=take, stop_loss=stop)
            assert result.ok, result
            limit_px = (mark * D("0.9")).quantize(D(1))
            await place(
                adapter,
                session,
                Ticket("BTC", TicketSide.LONG, D(20), kind=OrderKind.LIMIT, limit_px=limit_px),
            )
            table = page.orders_table
            names = {"Take profit (market)", "Stop loss (market)", "Limit"}
            # Streamed orders are named "Order" until their details arrive a moment later.
            await until(
                lambda: {cell(table.table, r, 2) for r in range(table.table.rowCount())} == names,
                "three named order rows",
            )
            rows = {
                cell(table.table, r, 2): [cell(table.table, r, c) for c in range(9)]
                for r in range(table.table.rowCount())
            }
            assert set(rows) == {"Take profit (market)", "Stop loss (market)", "Limit"}
            tp, sl, limit = rows["Take profit (market)"], rows["Stop loss (market)"], rows["Limit"]
            assert tp[3] == "Market" and sl[3] == "Market"  # the limit is only a bound
            assert tp[6] == f"above {format_price(take)}"
            assert sl[6] == f"below {format_price(stop)}"
            assert limit[3] == format_price(limit_px) and limit[6] == "—"
            await until(
                lambda: (
                    row.tpsl_label.text() == f"TP {format_price(take)} · SL {format_price(stop)}"
                ),
                "TP/SL on the card",
            )
            assert misfits_of(page) == []

    run_on_qasync(qtbot, scenario)


def misfits_of(page: PositionsPage) -> list[str]:
    from wallet_perps.ui.layout_audit import misfits

    return [str(m) for m in misfits(page)]


def test_the_gauge_is_full_when_fully_backed_and_a_readable_bar_near_danger(
    qtbot: QtBot,
) -> None:
    from PySide6.QtGui import QColor

    from wallet_perps.ui.view_models import LiqLevel
    from wallet_perps.ui.widgets.liq_gauge import LiqGauge

    gauge = LiqGauge()
    gauge.resize(100, 6)
    qtbot.addWidget(gauge)
    gauge.show()

    def filled() -> int:
        image = gauge.grab().toImage()
        y = image.height() // 2
        track = QColor(image.pixelColor(image.width() - 6, y))
        return sum(1 for x in range(image.width()) if image.pixelColor(x, y) != track)

    gauge.set_distance(None, fully_backed=True)
    assert gauge.level is LiqLevel.FAR
    image = gauge.grab().toImage()
    y = image.height() // 2
    # One full bar: the same colour near both ends (the rounded ends are anti-aliased).
    assert image.pixelColor(5, y) == image.pixelColor(image.width() - 6, y)
    gauge.set_distance(D("0.5"))
    assert gauge.level is LiqLevel.CLOSE
    assert filled() >= 18  # a fifth of the track, not a dot


def test_the_cards_columns_line_up_whatever_each_card_shows(
    qtbot: QtBot, fixtures_dir: Path
) -> None:
    """A long liquidation line on one card used to push its Margin and Funding columns to the
    right of the card above's: the cards are read as one table, so their columns line up."""
    import json

    from wallet_perps.hyperliquid.parse import parse_clearinghouse_state
    from wallet_perps.ui.view_models import position_view
    from wallet_perps.ui.widgets.positions_table import PositionsTable

    body = json.loads((fixtures_dir / "recorded" / "test_get_user_state.json").read_text())
    state = parse_clearinghouse_state(body["interactions"][0]["response"]["body"])
    views = {p.coin: position_view(p, None) for p in state.positions}
    table = PositionsTable()
    qtbot.addWidget(table)
    table.resize(1040, 600)
    table.show()

    def columns(coin: str) -> list[int]:
        row = table.rows[coin]
        return [
            row.labels[key].mapTo(table, row.labels[key].rect().topLeft()).x()
            for key, _ in PositionRow.COLUMNS
        ]

    # Liquidation lines of different lengths: "399.6% away", "23620.7% away", none at all.
    for coins in (("DYDX", "ATOM"), ("ATOM", "ETH", "DYDX"), ("ETH", "DYDX")):
        table.set_positions([views[c] for c in coins])
        qtbot.waitUntil(lambda: all(r.isVisible() for r in table.rows.values()))
        QTest.qWait(50)  # the layouts settle
        first = columns(coins[0])
        for coin in coins[1:]:
            assert columns(coin) == first, (coins, coin)

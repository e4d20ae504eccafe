"""The rest of the Trade page against a real venue: review sheet, search, favourites, chart,
% slider, TP/SL and the locked state.

Same pattern as ``test_trade_page``: one venue process per module, a fresh funded account per
test, everything on one qasync loop. Each test drives the page as a person would (clicks,
keys) and checks what that person would see, and where money moves, what the venue holds.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from decimal import Decimal

from eth_account import Account
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from tests.ui.qasync_helpers import funded_session, locked_session, run_on_qasync, until
from tests.venue_process import VenueProcess, faucet
from wallet_perps.core.tickets import DEFAULT_SLIPPAGE_PCT, OrderPlan, TicketError
from wallet_perps.hyperliquid.sender import KeySigner
from wallet_perps.services.session import TradingSession
from wallet_perps.services.trader_results import OrderResult, OrderState
from wallet_perps.ui.adapter import SessionAdapter
from wallet_perps.ui.pages.trade import TradePage, seconds_to_next_funding
from wallet_perps.ui.theme import RESOURCES, palette, style_sheet
from wallet_perps.ui.widgets.market_picker import MarketPicker
from wallet_perps.ui.widgets.order_ticket import OrderTicket

D = Decimal


@asynccontextmanager
async def _page_on(
    session: TradingSession,
    qtbot: QtBot,
    *,
    reviews: bool = True,
    on_favourites_changed: Callable[[list[str]], None] | None = None,
) -> AsyncIterator[TradePage]:
    """The page on ``session``; afterwards its adapter and the session are closed, pass or fail.

    ``reviews`` is Settings' "Review every order" (on: the sheet asks). The page's adapter is
    ``page.adapter``.
    """
    adapter = SessionAdapter(session)
    page = TradePage(
        adapter, confirm_orders=lambda: reviews, on_favourites_changed=on_favourites_changed
    )
    qtbot.addWidget(page)
    page.resize(1240, 800)
    page.show()
    try:
        yield page
    finally:
        await adapter.aclose()
        await session.stop()


@asynccontextmanager
async def _funded_page(
    venue: VenueProcess,
    qtbot: QtBot,
    usdc: str = "1000",
    *,
    reviews: bool = True,
    on_favourites_changed: Callable[[list[str]], None] | None = None,
) -> AsyncIterator[tuple[TradingSession, TradePage]]:
    """A fresh paper account holding ``usdc`` on the venue, and the page on its session."""
    session = await funded_session(venue.url, usdc)
    async with _page_on(
        session, qtbot, reviews=reviews, on_favourites_changed=on_favourites_changed
    ) as page:
        yield session, page


async def _ready(page: TradePage) -> None:
    """A live price, a book and (with a wallet) the account's room to trade."""
    await until(lambda: page.price_label.text().startswith("$"), "a price")
    await until(lambda: page.book.bid_rows[0][0].text(), "the book")
    if page.adapter.has_account:
        await until(lambda: page.ticket.available_label.text(), "available to trade")


async def _plan(page: TradePage) -> OrderPlan:
    plan = await until(
        lambda: page.ticket.plan if isinstance(page.ticket.plan, OrderPlan) else None,
        "a valid plan",
    )
    assert plan is not None
    return plan


def _results(page: TradePage) -> list[OrderResult]:
    results: list[OrderResult] = []
    page.adapter.order_result.connect(results.append)
    return results


# ----------------------------------------------------------------------------- confirmation


def test_review_sheet_repeats_the_numbers_and_only_confirm_sends(
    qtbot: QtBot,
    venue: VenueProcess,
) -> None:
    async def scenario() -> None:
        async with _funded_page(venue, qtbot, reviews=True) as (session, page):
            await _ready(page)
            results = _results(page)
            ticket, sheet = page.ticket, page.sheet
            QTest.keyClicks(ticket.amount_edit, "200")
            await _plan(page)

            # The button opens the sheet; it repeats every estimate the ticket showed.
            ticket.action_button.click()
            assert sheet.isVisible() and sheet.plan is ticket.plan
            for key, label in ticket.estimates.items():
                assert sheet.values[key].text() == label.text(), key
            assert sheet.values["liquidation"].text().startswith(("$", "none"))
            assert sheet.confirm_button.text() == ticket.action_button.text()
            assert sheet.confirm_button.text().startswith("Open Long ")
            assert "Market · Long" in sheet.summary_label.text()

            # Cancel: closed, nothing sent.
            sheet.cancel_button.click()
            assert not sheet.isVisible()
            # Enter reviews again; Esc closes it again; L/S behind the sheet do nothing.
            QTest.keyClick(ticket.amount_edit, Qt.Key.Key_Return)
            assert sheet.isVisible()
            QTest.keyClick(sheet.confirm_button, Qt.Key.Key_S)
            assert ticket.side.value == "long"
            QTest.keyClick(sheet.confirm_button, Qt.Key.Key_Escape)
            assert not sheet.isVisible()
            await asyncio.sleep(0.8)
            assert results == []
            assert await session.http.user_fills(session.user) == []
            assert await session.http.open_orders(session.user) == []

            # Review, then Enter on the sheet confirms: the reviewed plan fills.
            ticket.action_button.click()
            reviewed = sheet.plan
            assert isinstance(reviewed, OrderPlan)
            QTest.keyClick(sheet.confirm_button, Qt.Key.Key_Return)
            assert not sheet.isVisible()
            await until(lambda: results, "the order result", timeout_s=15)
            assert results[0].state is OrderState.FILLED, results[0]
            state = await session.http.clearinghouse_state(session.user)
            position = state.position("BTC")
            assert position is not None and position.szi == reviewed.size

    run_on_qasync(qtbot, scenario)


def test_with_confirmations_off_enter_sends_at_once(
    qtbot: QtBot,
    venue: VenueProcess,
) -> None:
    async def scenario() -> None:
        async with _funded_page(venue, qtbot, reviews=False) as (session, page):
            await _ready(page)
            results = _results(page)
            QTest.keyClicks(page.ticket.amount_edit, "60")
            await _plan(page)
            QTest.keyClick(page.ticket.amount_edit, Qt.Key.Key_Return)
            assert not page.sheet.isVisible()
            await until(lambda: results, "the order result", timeout_s=15)
            assert results[0].state is OrderState.FILLED, results[0]
            assert len(await session.http.user_fills(session.user)) >= 1

    run_on_qasync(qtbot, scenario)


# ----------------------------------------------------------------------- search, favourites


def test_ctrl_k_searches_markets_and_enter_switches(
    qtbot: QtBot,
    venue: VenueProcess,
) -> None:
    async def scenario() -> None:
        saved: list[list[str]] = []
        async with _funded_page(venue, qtbot, "100", on_favourites_changed=saved.append) as (
            session,
            page,
        ):
            await _ready(page)
            page.activateWindow()
            await until(page.isActiveWindow, "the page to be active", timeout_s=3)
            page.ticket.amount_edit.setFocus()
            QTest.keyClick(
                page.ticket.amount_edit, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier
            )
            popup = page.picker.popup
            assert popup.isVisible()
            assert popup.search.hasFocus()
            assert popup.order()[0] == "BTC"

            # Prices, changes, funding and volume fill the rows.
            def price_cell() -> str:
                item = popup.table.item(1, 2)
                return item.text() if item is not None else ""

            await until(lambda: price_cell().startswith("$"), "row prices")

            # A favourite moves up, right after BTC, and the owner is told to save it.
            last = popup.order()[-1]
            QTest.mouseClick(popup.star_button(last), Qt.MouseButton.LeftButton)
            assert popup.order()[:2] == ["BTC", last]
            assert saved == [[last]]
            assert popup.star_button(last).text() == "★"

            QTest.keyClicks(popup.search, "eth")
            assert popup.visible_coins()[0] == "ETH"
            QTest.keyClick(popup.search, Qt.Key.Key_Return)
            assert not popup.isVisible()
            assert page.coin == "ETH" and page.picker.text().startswith("ETH")
            assert page.ticket.unit_box.itemText(1) == "ETH"
            eth = session.market.context("ETH")
            assert eth is not None

            def eth_price() -> bool:
                text = page.price_label.text().lstrip("$").replace(",", "")
                return bool(text) and abs(D(text) / eth.oracle_px - 1) < D("0.05")

            await until(eth_price, "ETH's price in the header")

    run_on_qasync(qtbot, scenario)


def test_favourites_given_by_the_app_come_right_after_btc(qtbot: QtBot) -> None:
    picker = MarketPicker(["SOL", "ETH"])
    qtbot.addWidget(picker)
    picker.set_coins(["BTC", "ETH", "SOL", "DOGE"])
    assert picker.coins() == ["BTC", "SOL", "ETH", "DOGE"]
    picker.toggle_favourite("SOL")  # kept in memory: no callback given
    assert picker.coins() == ["BTC", "ETH", "SOL", "DOGE"]
    assert picker.favourites == ["ETH"]


# ------------------------------------------------------------------------------------ chart


def test_chart_draws_position_and_order_lines_at_the_venues_numbers(
    qtbot: QtBot,
    venue: VenueProcess,
) -> None:
    async def scenario() -> None:
        # $40 behind a $200 position: a liquidation price near enough to be a real number.
        async with _funded_page(venue, qtbot, "40", reviews=False) as (session, page):
            chart, ticket = page.chart, page.ticket
            await _ready(page)
            await until(lambda: any(k == "mark" for k, _p, _t in chart.level_lines()), "mark")
            results = _results(page)
            QTest.keyClicks(ticket.amount_edit, "200")
            await _plan(page)
            ticket.action_button.click()
            await until(lambda: results, "the market order", timeout_s=15)
            assert results[0].state is OrderState.FILLED, results[0]

            def lines(kind: str) -> list[tuple[Decimal, str]]:
                return [(p, t) for k, p, t in chart.level_lines() if k == kind]

            await until(lambda: lines("entry") and lines("liquidation"), "position lines")
            venue_position = (await session.http.clearinghouse_state(session.user)).position("BTC")
            assert venue_position is not None and venue_position.liquidation_px is not None
            (entry, entry_text), (liq, liq_text) = lines("entry")[0], lines("liquidation")[0]
            assert entry == venue_position.entry_px
            assert "Entry" in entry_text and "Long" in entry_text
            # The liquidation price moves a little with the mark between the two reads.
            assert abs(liq / venue_position.liquidation_px - 1) < D("0.005")
            assert liq_text.startswith("Liquidation $")

            # A resting limit buy 3% under the market: a line at its price, labelled.
            limit_results = _results(page)
            ticket.kind_box.setCurrentIndex(1)
            mid = page.adapter.mid("BTC")
            assert mid is not None
            ticket.limit_edit.setText(str(int(mid * D("0.97"))))
            ticket.amount_edit.clear()
            QTest.keyClicks(ticket.amount_edit, "60")
            plan = await _plan(page)
            ticket.action_button.click()
            await until(lambda: limit_results, "the limit order", timeout_s=15)
            assert limit_results[0].state is OrderState.RESTING, limit_results[0]
            await until(lambda: lines("order"), "the order line")
            price, text = lines("order")[0]
            assert price == plan.price
            assert text.startswith(f"Buy {plan.size.normalize():f} at $")

    run_on_qasync(qtbot, scenario)


def test_candles_arrive_for_1m_and_switching_to_1h_reloads(
    qtbot: QtBot,
    venue: VenueProcess,
) -> None:
    async def scenario() -> None:
        async with _funded_page(venue, qtbot, "10") as (session, page):
            chart = page.chart
            QTest.mouseClick(chart.interval_buttons["1m"], Qt.MouseButton.LeftButton)
            assert chart.interval == "1m"
            await until(lambda: chart.shown_interval() == "1m", "1m candles")
            assert chart.candle_count() >= 1
            assert chart.candles_item.bars[-1].interval == "1m"
            # Words, and prices with separators (a cut "O 97151" read as "0 97151").
            legend = chart.legend.text()
            assert re.match(r"Open [\d,.]+  High [\d,.]+  Low [\d,.]+  Close [\d,.]+", legend)
            axis = chart.plot_widget.getPlotItem().getAxis("right")
            assert axis.tickStrings([97020.0, 97030.0], 1.0, 10.0) == ["97,020", "97,030"]

            QTest.mouseClick(chart.interval_buttons["1h"], Qt.MouseButton.LeftButton)
            assert chart.candle_count() == 0  # the 1m bars go at once
            await until(lambda: chart.shown_interval() == "1h", "1h candles")
            assert chart.candles_item.bars[-1].interval == "1h"
            # The 1m subscription was released (its candles are no longer kept).
            await until(lambda: session.market.candles("BTC", "1m") == (), "1m unwatched")

            # However busy the market, the chart redraws at most four times a second.
            before = chart.redraws
            await asyncio.sleep(2.0)
            assert chart.redraws - before <= 9

    run_on_qasync(qtbot, scenario)


# --------------------------------------------------------------------------- ticket extras


def test_percent_slider_sets_a_share_of_available_times_leverage(
    qtbot: QtBot,
    venue: VenueProcess,
) -> None:
    async def scenario() -> None:
        async with _funded_page(venue, qtbot) as (_, page):
            ticket = page.ticket
            await _ready(page)
            assert ticket.available_label.text() == "Available $1,000.00"
            assert "× leverage (10x)" in ticket.percent_slider.toolTip()
            ticket.percent_slider.setFocus()
            QTest.keyClick(ticket.percent_slider, Qt.Key.Key_PageUp)  # 25% a step
            QTest.keyClick(ticket.percent_slider, Qt.Key.Key_PageUp)
            assert ticket.percent_label.text() == "50%"
            amount = D(ticket.amount_edit.text())
            half = D(1000) * 10 / 2
            # A market order keeps room for its slippage bound: half / 1.05.
            assert abs(amount / half - 1) < D("0.06"), amount
            assert abs(amount - half / (1 + DEFAULT_SLIPPAGE_PCT / 100)) < 100
            assert isinstance(await _plan(page), OrderPlan)

            # 100% is the most the venue will take: still a valid order, not a refusal.
            ticket.percent_slider.setValue(100)
            plan = await _plan(page)
            assert plan.margin_check <= D(1000)

            # In coins the same share is a coin amount; leverage changes keep the share.
            ticket.percent_slider.setValue(50)
            ticket.unit_box.setCurrentIndex(1)
            coins = D(ticket.amount_edit.text())
            mid = page.adapter.mid("BTC")
            assert mid is not None and abs(coins * mid / amount - 1) < D("0.02")
            ticket.leverage_slider.setValue(5)
            assert ticket.percent_label.text() == "50%"
            assert abs(D(ticket.amount_edit.text()) / coins - D("0.5")) < D("0.01")

    run_on_qasync(qtbot, scenario)


def test_take_profit_and_stop_loss_reach_the_venue_as_trigger_orders(
    qtbot: QtBot,
    venue: VenueProcess,
) -> None:
    async def scenario() -> None:
        async with _funded_page(venue, qtbot, reviews=False) as (session, page):
            ticket = page.ticket
            await _ready(page)
            results = _results(page)
            mid = page.adapter.mid("BTC")
            assert mid is not None
            QTest.keyClicks(ticket.amount_edit, "100")
            box = ticket.tpsl_box  # a click on its tick box (the row is wider than the text)
            QTest.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(8, box.height() // 2))
            assert ticket.tp_edit.isVisible() and ticket.sl_edit.isVisible()
            # A take-profit below the entry is refused next to its field.
            QTest.keyClicks(ticket.tp_edit, str(int(mid * D("0.9"))))
            assert ticket.tp_error.isVisible() and "above the entry" in ticket.tp_error.text()
            assert not ticket.action_button.isEnabled()
            ticket.tp_edit.clear()
            QTest.keyClicks(ticket.tp_edit, str(int(mid * D("1.05"))))
            QTest.keyClicks(ticket.sl_edit, str(int(mid * D("0.95"))))
            plan = await _plan(page)
            assert plan.take_profit is not None and plan.stop_loss is not None
            assert "at take-profit +$" in ticket.tpsl_hint.text()
            assert "at stop-loss -$" in ticket.tpsl_hint.text()
            QTest.keyClick(ticket.sl_edit, Qt.Key.Key_Return)
            await until(lambda: results, "the order result", timeout_s=15)
            assert results[0].state is OrderState.FILLED, results[0]

            orders = await session.http.frontend_open_orders(session.user)
            triggers = sorted((o.trigger_px, o.order_type) for o in orders if o.is_trigger)
            assert [px for px, _kind in triggers] == [
                plan.stop_loss.trigger_px,
                plan.take_profit.trigger_px,
            ]
            assert all(o.reduce_only for o in orders if o.is_trigger)
            # The chart draws both triggers as order lines.
            await until(
                lambda: len([k for k, _p, _t in page.chart.level_lines() if k == "order"]) == 2,
                "TP/SL lines",
            )

    run_on_qasync(qtbot, scenario)


def test_locked_wallet_shows_market_and_asks_to_unlock(
    qtbot: QtBot,
    venue: VenueProcess,
) -> None:
    async def scenario() -> None:
        session = await locked_session(venue.url)
        async with _page_on(session, qtbot) as page:
            ticket = page.ticket
            await _ready(page)
            assert page.position_label.text() == (
                "Unlock your wallet to see your position and trade."
            )
            QTest.keyClicks(ticket.amount_edit, "100")
            await until(lambda: ticket.estimates["entry"].text() != "—", "estimates")
            assert ticket.action_button.text() == "Unlock your wallet to trade"
            assert not ticket.action_button.isEnabled()
            assert not ticket.percent_slider.isEnabled()
            # No account to measure $100 against: no share shown, not a made-up "0%".
            assert ticket.percent_label.text() == "—"
            QTest.keyClick(ticket.amount_edit, Qt.Key.Key_Return)
            assert not page.sheet.isVisible()
            await until(lambda: page.chart.candle_count() >= 1, "candles without a wallet")

            # Unlocking: the page redraws with the account.
            account = Account.create()
            await faucet(venue.url, account.address.lower(), "100")
            await session.open_account(KeySigner(bytes(account.key)), account.address.lower())
            await until(lambda: page.position_label.text() == "No BTC position.", "account")
            assert ticket.action_button.text() != "Unlock your wallet to trade"
            # $100 typed, $100 at 10x to open (less the market order's slippage room): 10%.
            await until(lambda: ticket.percent_label.text() == "10%", "the share, once known")
            assert ticket.percent_slider.isEnabled() and ticket.percent_slider.value() == 10

    run_on_qasync(qtbot, scenario)


# ------------------------------------------------------------------------------- small parts


def test_funding_countdown_counts_to_the_top_of_the_hour(qtbot: QtBot) -> None:
    assert seconds_to_next_funding(3600 * 5) == 3600
    assert seconds_to_next_funding(3600 * 5 + 1) == 3599
    assert seconds_to_next_funding(3600 * 6 - 0.5) == 0


def test_reduce_only_box_is_visible_on_a_dark_card(qtbot: QtBot) -> None:
    """The tick box stands out from the card it sits on (it used to vanish in the dark)."""
    colours = palette("dark")
    extra = (RESOURCES / "trade.qss").read_text(encoding="utf-8")
    qss = style_sheet("dark") + re.sub(
        r"@([a-z-]+)", lambda m: colours.get(m.group(1), m.group(0)), extra
    )
    ticket = OrderTicket(lambda _t: TicketError("not planned in this test"))
    qtbot.addWidget(ticket)
    ticket.setStyleSheet(qss)
    ticket.show()
    box = ticket.reduce_only
    image = box.grab().toImage()
    card = QColor(colours["card"])
    border = QColor(colours["muted"])

    def near(a: QColor, b: QColor) -> bool:
        return abs(a.red() - b.red()) + abs(a.green() - b.green()) + abs(a.blue() - b.blue()) < 40

    indicator = [
        image.pixelColor(x, y)
        for x in range(0, min(24, image.width()))
        for y in range(image.height())
    ]
    assert sum(near(c, border) for c in indicator) >= 20
    assert not all(near(c, card) for c in indicator)


def test_recent_trades_show_the_newest_rows_that_fit(qtbot: QtBot) -> None:
    """On a short window the list is shorter (newest first), never cut off mid-row inside a
    scroll area: the locked wallet's bar once pushed the card's bottom out of sight."""
    from wallet_perps.core.models import Side, Trade
    from wallet_perps.ui.widgets.recent_trades import MIN_ROWS, RecentTrades

    trades = RecentTrades(rows=10)
    qtbot.addWidget(trades)
    trades.set_trades(
        [
            Trade("BTC", Side.BUY, D(97_000 + i), D("0.1"), 1_000 * (20 - i), "0x", i)
            for i in range(12)
        ]
    )
    trades.show()
    for height, expected in ((trades.minimumHeight(), MIN_ROWS), (2000, 10)):
        trades.resize(268, height)
        qtbot.waitUntil(lambda h=height: trades.height() == h)
        assert trades.shown_rows == expected, height
        shown = [row for row in trades.rows if row[0].isVisible()]
        assert [row[1].text() for row in shown] == [f"97,{i:03d}" for i in range(expected)]
        last = shown[-1][0]
        assert last.mapTo(trades, last.rect().bottomLeft()).y() < trades.height()


def test_a_flat_candle_is_still_drawn(qtbot: QtBot) -> None:
    """Three trades at one price make a bar with open = high = low = close: a line the chart
    must draw (its zero-height box made Qt skip it and the chart looked empty)."""
    from wallet_perps.core.models import Candle
    from wallet_perps.ui.widgets.candle_chart import CandlesItem

    item = CandlesItem()
    px = D(97_020)
    item.set_candles([Candle("BTC", "15m", 0, 899_999, px, px, px, px, D("0.35"), 3)], 900)
    box = item.boundingRect()
    assert not box.isEmpty() and box.top() <= 97_020 <= box.bottom()

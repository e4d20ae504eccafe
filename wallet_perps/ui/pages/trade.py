"""The Trade page: pick a market, read its numbers and chart, place an order (UX.md "Trade").

Why redraws are coalesced: mids, books, trades and contexts arrive many times a second; each
event only marks the page dirty and a short single-shot timer redraws once, so typing in the
ticket stays smooth however busy the market is (the chart keeps its own, slower budget).
The page talks only to the :class:`~wallet_perps.ui.adapter.SessionAdapter`, never to the
wire layer, and it owns the subscriptions its widgets need: one ``watch`` for the coin and one
``watch_candles`` for the chart's interval, each released when the user moves on.

Sending goes through one gate: the ticket emits the plan it shows; with confirmations on
(the default, ``confirm_orders``) the :class:`~wallet_perps.ui.widgets.confirm_sheet.ConfirmSheet`
repeats it and only its Confirm sends; with them off the plan is sent at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from decimal import Decimal

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from wallet_perps.core.display import (
    format_compact_usd,
    format_funding_rate,
    format_percent,
    format_price,
    format_size,
    format_usd,
    significant,
)
from wallet_perps.core.ticket_replay import available_to_trade
from wallet_perps.core.tickets import DEFAULT_SLIPPAGE_PCT, OrderPlan
from wallet_perps.services.trader_results import OrderResult
from wallet_perps.ui.adapter import SessionAdapter
from wallet_perps.ui.kit import CoalescedRedraw, Stat, set_flag, vertical_scroll
from wallet_perps.ui.widgets.confirm_sheet import ConfirmSheet
from wallet_perps.ui.widgets.lazy_chart import LazyCandleChart, lookback_ms
from wallet_perps.ui.widgets.market_picker import MarketPicker, MarketRow
from wallet_perps.ui.widgets.order_book import OrderBook
from wallet_perps.ui.widgets.order_ticket import OrderTicket
from wallet_perps.ui.widgets.recent_trades import RecentTrades

__all__ = ["TradePage", "seconds_to_next_funding"]

_REDRAW_MS = 100
#: When the chart is built: this long after the first live price is set (a frame to paint
#: it), or CHART_FALLBACK_MS after the page is made if no price comes.
CHART_AFTER_PRICE_MS = 40
CHART_FALLBACK_MS = 1500
#: With ``body_after_price``, the book, trades and ticket are shown right after the first live
#: price is painted, or this long after the page is made if no price comes.
BODY_FALLBACK_MS = 1500
_UNLOCK = "Unlock your wallet to trade"
_NO_WALLET = "Create a wallet to trade"


def seconds_to_next_funding(now_s: float) -> int:
    """Whole seconds until the next hourly funding payment (the top of the next UTC hour)."""
    return max(0, int(3600 - now_s % 3600))


def _countdown(seconds: int) -> str:
    minutes, secs = divmod(seconds, 60)
    return f"next in {minutes:02d}:{secs:02d}"


class TradePage(QWidget):
    """Market header, chart, order book, recent trades and the order ticket for one coin.

    ``confirm_orders`` is asked at every send (the app passes ``lambda: settings.confirm_orders``),
    so turning confirmations off in Settings takes effect at once. ``favourites`` and
    ``on_favourites_changed`` let the app persist starred markets; without them they live in
    memory for the page's lifetime. Likewise ``market`` and ``interval`` reopen the market and
    chart interval last shown (ignored if unknown), and ``on_selection_changed(coin, interval)``
    is told when the user changes either.
    """

    def __init__(
        self,
        adapter: SessionAdapter,
        parent: QWidget | None = None,
        *,
        confirm_orders: Callable[[], bool] = lambda: True,
        slippage_pct: Callable[[], Decimal] = lambda: DEFAULT_SLIPPAGE_PCT,
        favourites: list[str] | None = None,
        on_favourites_changed: Callable[[list[str]], None] | None = None,
        market: str | None = None,
        interval: str | None = None,
        on_selection_changed: Callable[[str, str], None] | None = None,
        body_after_price: bool = False,
    ) -> None:
        super().__init__(parent)
        self.adapter = adapter
        self._confirm_orders = confirm_orders
        self._wallet_exists = True  # the app says when none exists yet (markets read-only)
        self._coin: str | None = None
        self._wanted_coin = market
        self._on_selection_changed = on_selection_changed
        self._candle_watch: tuple[str, str] | None = None

        root = QVBoxLayout(self)
        root.setContentsMargins(20, 16, 20, 16)
        root.setSpacing(12)

        # ---- header: market, price and the market's numbers
        header = QFrame()
        header.setProperty("card", True)
        head = QHBoxLayout(header)
        head.setContentsMargins(16, 10, 16, 10)
        head.setSpacing(24)
        self.picker = MarketPicker(favourites, on_favourites_changed)
        self.picker.coin_selected.connect(self.select)
        head.addWidget(self.picker)
        self.price_label = QLabel("—")
        self.price_label.setProperty("role", "big")
        self.price_label.setToolTip("Mid price of the order book")
        # Room for "$100,000.5": the stats beside it must not jump as the price moves.
        self.price_label.ensurePolished()  # the style sheet's big font, not the default
        room = self.price_label.fontMetrics().horizontalAdvance("$000,000.0")
        self.price_label.setMinimumWidth(room)
        head.addWidget(self.price_label)
        self.change_stat = Stat("24h change", "Change of the mark price over the last 24 hours.")
        self.funding_stat = Stat(
            "Funding / h",
            "Paid every hour between longs and shorts. Positive: longs pay shorts; "
            "negative: shorts pay longs. APR is the hourly rate over a year. The next payment "
            "is at the top of the hour (UTC), at the rate then.",
            note=True,
        )
        self.oi_stat = Stat(
            "Open interest",
            "Value of all open positions in this market: the coins held long (which equal "
            "those held short) times the mark price.",
            note=True,
        )
        self.volume_stat = Stat("24h volume", "Dollar value traded in the last 24 hours.")
        self.mark_stat = Stat(
            "Mark / oracle",
            "Mark: the price used for PnL and liquidations. Oracle: the external index "
            "price funding is measured against.",
        )
        for stat in (
            self.change_stat,
            self.funding_stat,
            self.oi_stat,
            self.volume_stat,
            self.mark_stat,
        ):
            head.addWidget(stat, 0, Qt.AlignmentFlag.AlignTop)
        head.addStretch(1)
        root.addWidget(header)

        self.position_label = QLabel("")
        self.position_label.setProperty("muted", True)
        self.position_label.setWordWrap(True)  # a long line must not widen the window
        self.position_label.setToolTip(
            "Your position in this market as the venue reports it; the chart shows its entry "
            "and liquidation price as lines."
        )
        root.addWidget(self.position_label)

        # ---- body: chart | book + trades | ticket
        body = QHBoxLayout()
        body.setSpacing(12)
        self.chart = LazyCandleChart(interval or "")
        self.chart.interval_changed.connect(self._interval_changed)
        body.addWidget(self.chart, 1)
        # The chart (pyqtgraph) is built just after the first live price is painted, or after
        # CHART_FALLBACK_MS if no price comes: the price is what a person looks for first.
        self._chart_timer = QTimer(self)
        self._chart_timer.setSingleShot(True)
        self._chart_timer.timeout.connect(self.chart.materialize_when_shown)
        self._chart_timer.start(CHART_FALLBACK_MS)

        root.addLayout(body, 1)
        # The book, trades and ticket beside the chart (see _build_body): made at once, or, on
        # the app's first screen (``body_after_price``), on the loop turn after its first live
        # price is painted, so that price is not held up by making and styling them.
        self._body = body
        self._slippage_pct = slippage_pct
        self.book: OrderBook
        self.trades: RecentTrades
        self.ticket: OrderTicket
        self._body_built = False
        self._body_timer = QTimer(self)
        self._body_timer.setSingleShot(True)
        self._body_timer.timeout.connect(self._build_body)
        if body_after_price:
            self._body_timer.start(BODY_FALLBACK_MS)
            self.price_label.installEventFilter(self)  # its first painted price builds them
        else:
            self._build_body()

        self._sheet: ConfirmSheet | None = None  # made at the first review: see ``sheet``

        search = QShortcut(QKeySequence("Ctrl+K"), self)
        search.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        search.activated.connect(self.open_market_search)
        self._search_shortcut = search

        self._redraw_soon = CoalescedRedraw(self, self.redraw, _REDRAW_MS, only_when_shown=True)
        self._clock = QTimer(self)
        self._clock.setInterval(1000)
        self._clock.timeout.connect(self._tick)
        self._clock.start()
        adapter.market_changed.connect(self._on_market_changed)
        adapter.candles_changed.connect(self._on_candles)
        adapter.account_changed.connect(self._schedule)
        adapter.account_opened.connect(lambda _user: self._schedule())
        adapter.order_result.connect(self._on_result)
        adapter.connection_changed.connect(self._on_connection)
        self._load_coins()
        self._tick()

    # ------------------------------------------------------------------ selection

    @property
    def coin(self) -> str | None:
        return self._coin

    @property
    def sheet(self) -> ConfirmSheet:
        """The review sheet over the page, made when first needed (the first screen, whose
        live price should come first, never shows it)."""
        if self._sheet is None:
            self._sheet = ConfirmSheet(self)
            self._sheet.confirmed.connect(self._send)
            self._sheet.cancelled.connect(self._review_cancelled)
            self._sheet.set_stale(self.adapter.market_stale)
        return self._sheet

    def _reviewing(self) -> bool:
        return self._sheet is not None and self._sheet.isVisible()

    @property
    def body_built(self) -> bool:
        """Whether the book, trades and ticket exist yet (see ``body_after_price``)."""
        return self._body_built

    def _build_body(self) -> None:
        if self._body_built:
            return
        self._body_timer.stop()
        side = QVBoxLayout()
        side.setSpacing(12)
        self.book = OrderBook(levels=8)
        self.trades = RecentTrades(rows=10)
        side.addWidget(self.book)
        # The recent trades give way first on a short screen (a 1280x800 laptop with a panel
        # and a title bar): they show fewer rows instead of making the window taller.
        side.addWidget(self.trades, 1)
        side_box = QWidget()
        side_box.setLayout(side)
        side.setContentsMargins(0, 0, 0, 0)
        side_box.setFixedWidth(268)
        self._body.addWidget(side_box)

        self.ticket = OrderTicket(self.adapter.plan, slippage_pct=self._slippage_pct)
        self.ticket.submitted.connect(self._submit)
        ticket_scroll = vertical_scroll(self.ticket, "TicketScroll")
        ticket_scroll.setFixedWidth(370)
        self._body.addWidget(ticket_scroll)
        self._body_built = True
        if self._coin is not None:
            self.ticket.set_market(self.adapter.market(self._coin))
            self.redraw()

    def _load_coins(self) -> None:
        coins = self.adapter.coins()
        if not coins or len(self.picker.coins()) == len(coins):
            return
        self.picker.set_coins(coins)
        wanted = self._coin or self._wanted_coin
        # The first market shown by default is not a choice to remember.
        self.select(wanted if wanted in coins else coins[0], remember=wanted in coins)

    def select(self, coin: str, *, remember: bool = True) -> None:
        """Show ``coin``: header, chart, book, trades and ticket all follow."""
        if not coin or coin == self._coin or coin not in self.adapter.coins():
            return
        if self._sheet is not None:  # a reviewed plan for another market must not stay open
            self._sheet.cancel()
        previous, self._coin = self._coin, coin
        if previous is not None:
            self.adapter.unwatch(previous)
        self.adapter.watch(coin)
        self.picker.set_current(coin)
        if self._body_built:
            self.ticket.set_market(self.adapter.market(coin))
            self.book.set_book(None)
            self.trades.set_trades(())
        self.chart.set_coin(coin)
        self._watch_candles()
        self.redraw()
        if remember:
            self._selection_changed()

    def open_market_search(self) -> None:
        """Ctrl+K: the market list with the keyboard in its search box."""
        if self._reviewing():
            return
        self.picker.open_popup()
        self.picker.popup.set_rows(self._market_rows())

    def _watch_candles(self) -> None:
        """Subscribe the chart's (coin, interval); release the one it showed before."""
        if self._coin is None:
            return
        wanted = (self._coin, self.chart.interval)
        if wanted == self._candle_watch:
            return
        if self._candle_watch is not None:
            self.adapter.unwatch_candles(*self._candle_watch)
        self._candle_watch = wanted
        self.adapter.watch_candles(*wanted, lookback_ms(wanted[1]))
        # Already loaded by another watcher? Draw it now rather than at the next push.
        self.chart.set_candles(*wanted, self.adapter.candles(*wanted))

    def _interval_changed(self, _interval: str) -> None:
        self._watch_candles()
        self._selection_changed()

    def _selection_changed(self) -> None:
        if self._on_selection_changed is not None and self._coin is not None:
            self._on_selection_changed(self._coin, self.chart.interval)

    # ------------------------------------------------------------------ updates

    def _on_market_changed(self, coin: str) -> None:
        # Called for every message of every watched coin: other coins return at once.
        if coin and coin != self._coin:
            return
        if not coin or self._coin is None:  # universe-wide: the market list may have changed
            self._load_coins()
        self._schedule()

    def _on_candles(self, coin: str, interval: str) -> None:
        if (coin, interval) == self._candle_watch:
            self.chart.set_candles(coin, interval, self.adapter.candles(coin, interval))

    def _schedule(self) -> None:
        self._redraw_soon.request()

    def has_live_price(self) -> bool:
        """True once the selected market's price from the venue is in the header."""
        coin = self._coin
        return (
            coin is not None
            and self.adapter.context(coin) is not None
            and (self.price_label.text() != "—")
        )

    def set_wallet_exists(self, exists: bool) -> None:
        """Whether any wallet is stored: with none, the locked texts invite to create one."""
        if exists != self._wallet_exists:
            self._wallet_exists = exists
            self._schedule()

    def redraw(self) -> None:
        """Redraw header, book, trades, chart lines, position line and ticket estimates."""
        coin = self._coin
        if coin is None:
            return
        stale = self.adapter.market_stale
        if self._sheet is not None:
            self._sheet.set_stale(stale)
        ctx = self.adapter.context(coin)
        book = self.adapter.book(coin)
        mid = book.mid if book is not None and book.mid is not None else None
        if ctx is not None:
            price = mid if mid is not None else ctx.mid_px or ctx.mark_px
            self.price_label.setText(format_price(price))
            timer = self._chart_timer
            if not self.chart.materialized and timer.remainingTime() > CHART_AFTER_PRICE_MS:
                timer.start(CHART_AFTER_PRICE_MS)  # once this price is painted
            if ctx.prev_day_px:
                change = (ctx.mark_px - ctx.prev_day_px) / ctx.prev_day_px * 100
                self.change_stat.value.setText(format_percent(change, signed=True))
                set_flag(self.change_stat.value, "role", "long" if change >= 0 else "short")
            self.funding_stat.value.setText(format_funding_rate(ctx.funding))
            # openInterest is in coins; dayNtlVlm is already dollars.
            self.oi_stat.value.setText(format_compact_usd(ctx.open_interest * ctx.mark_px))
            self.oi_stat.note.setText(f"{format_size(ctx.open_interest)} {coin}")
            self.volume_stat.value.setText(format_compact_usd(ctx.day_ntl_vlm))
            self.mark_stat.value.setText(
                f"{format_price(ctx.mark_px)} / {format_price(ctx.oracle_px)}"
            )
        for label in (self.price_label, self.change_stat.value):
            set_flag(label, "stale", stale)
        if self._body_built:
            self.book.set_book(book)
            self.trades.set_trades(self.adapter.trades(coin))
        self.chart.set_mark(ctx.mark_px if ctx is not None else None)
        self._show_account(coin, mid or (ctx.mid_px or ctx.mark_px if ctx else None))
        if self.picker.popup.isVisible():
            self.picker.popup.set_rows(self._market_rows())
        if self._body_built:
            self.ticket.refresh()

    def _show_account(self, coin: str, reference: Decimal | None) -> None:
        """Position line, chart lines and the ticket's room, or the locked state."""
        state = self.adapter.account_state()
        if not self.adapter.has_account or state is None:
            locked = not self.adapter.has_account
            self.position_label.setText(
                (
                    "Unlock your wallet to see your position and trade."
                    if self._wallet_exists
                    else "Markets are live and public. Create or import a wallet (or try the "
                    "paper demo) to trade."
                )
                if locked
                else "Loading your account…"
            )
            if self._body_built:
                self.ticket.set_locked(
                    (_UNLOCK if self._wallet_exists else _NO_WALLET) if locked else None
                )
                self.ticket.set_room(None, reference)
            self.chart.set_position(None)
            self.chart.set_orders(())
            return
        orders = self.adapter.open_orders()
        if self._body_built:
            self.ticket.set_locked(None)
            self.ticket.follow_orders({o.oid for o in orders})
            self.ticket.set_room(
                available_to_trade(state, orders, coin, self.ticket.leverage_slider.value()),
                reference,
            )
        position = state.position(coin)
        self.chart.set_position(position)
        self.chart.set_orders(orders)
        if position is None or position.szi == 0:
            self.position_label.setText(f"No {coin} position.")
            return
        side = "Long" if position.szi > 0 else "Short"
        liq = position.liquidation_px
        self.position_label.setText(
            f"Your position: {side} {format_size(position.size)} {coin} at "
            f"{format_price(significant(position.entry_px or Decimal(0)))} · "
            f"{position.leverage.value}x · PnL {format_usd(position.unrealized_pnl)} · "
            f"liquidation {format_price(significant(liq)) if liq is not None else 'none'}"
        )

    def _market_rows(self) -> dict[str, MarketRow]:
        rows: dict[str, MarketRow] = {}
        contexts = self.adapter.contexts()
        for coin in self.adapter.coins():
            ctx = contexts.get(coin)
            if ctx is None:
                rows[coin] = MarketRow(price=self.adapter.mid(coin))
                continue
            change = (
                (ctx.mark_px - ctx.prev_day_px) / ctx.prev_day_px * 100 if ctx.prev_day_px else None
            )
            rows[coin] = MarketRow(
                price=self.adapter.mid(coin),
                change_pct=change,
                funding=ctx.funding,
                volume=ctx.day_ntl_vlm,
            )
        return rows

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            watched is self.price_label
            and event.type() == QEvent.Type.Paint
            and self.price_label.text().startswith("$")
        ):
            self.price_label.removeEventFilter(self)
            self._body_timer.start(0)  # after this paint, not inside it
        return False

    def _on_connection(self, connected: bool, _latency: object) -> None:
        if connected and self._body_built:
            self.ticket.connection_restored()

    def _tick(self) -> None:
        """Once a second: the countdown to the next funding payment."""
        self.funding_stat.note.setText(_countdown(seconds_to_next_funding(time.time())))

    # ------------------------------------------------------------------ keyboard and sending

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """L / S / Enter work anywhere on the page, not only with focus in the ticket."""
        if self._reviewing():
            self.sheet.keyPressEvent(event)
            return
        if not self._body_built or not self.ticket.handle_key(event):
            super().keyPressEvent(event)

    def _submit(self, plan: OrderPlan) -> None:
        """The ticket's button or Enter: review first, unless confirmations are off.

        A plan with ``confirm_reasons`` (it re-sets an open position's leverage, or a TP/SL is
        far from the mark) is always reviewed: those are surprises, not routine. So is any order
        while prices are not live: the sheet says so and waits for them.
        """
        if self._confirm_orders() or plan.confirm_reasons or self.adapter.market_stale:
            self.sheet.open(plan, account_known=self.adapter.has_account)
            self.sheet.set_stale(self.adapter.market_stale)
        else:
            self._send(plan)

    def _send(self, plan: OrderPlan) -> None:
        self.ticket.set_busy(True)
        self.adapter.place(plan)

    def _review_cancelled(self) -> None:
        self.ticket.amount_edit.setFocus(Qt.FocusReason.OtherFocusReason)

    def _on_result(self, result: object) -> None:
        if isinstance(result, OrderResult) and self._body_built:
            self.ticket.show_result(result)

"""The Trade page: pick a market, see its numbers and book, place an order (UX.md "Trade").

Why redraws are coalesced: mids, books and contexts arrive many times a second; each event
only marks the page dirty and a short single-shot timer redraws once, so typing in the ticket
stays smooth however busy the market is. The page talks only to the
:class:`~wallet_perps.ui.adapter.SessionAdapter`, never to the wire layer.
"""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtCore import QTimer
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from wallet_perps.core.tickets import OrderPlan
from wallet_perps.services.trader import OrderResult
from wallet_perps.ui.adapter import SessionAdapter
from wallet_perps.ui.widgets.order_book import OrderBook
from wallet_perps.ui.widgets.order_ticket import (
    OrderTicket,
    format_funding_rate,
    format_price,
    format_size,
    format_usd,
)

__all__ = ["TradePage"]

_REDRAW_MS = 100


def _compact_usd(value: Decimal) -> str:
    """Large dollar amounts for a header: $1.23B, $45.6M, $789.0K."""
    for factor, suffix in ((Decimal(10) ** 9, "B"), (Decimal(10) ** 6, "M"), (Decimal(1000), "K")):
        if abs(value) >= factor:
            return f"{format_usd(value / factor, 2)}{suffix}"
    return format_usd(value)


class _Stat(QWidget):
    """A muted caption over a value, with the explanation on hover."""

    def __init__(self, caption: str, tip: str) -> None:
        super().__init__()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        name = QLabel(caption)
        name.setProperty("muted", True)
        self.value = QLabel("—")
        for label in (name, self.value):
            label.setToolTip(tip)
            layout.addWidget(label)


class TradePage(QWidget):
    """Market header, order book and order ticket for the selected coin."""

    def __init__(self, adapter: SessionAdapter, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.adapter = adapter
        self._coin: str | None = None

        root = QVBoxLayout(self)
        root.setContentsMargins(20, 20, 20, 20)
        root.setSpacing(14)

        header = QFrame()
        header.setProperty("card", True)
        head = QHBoxLayout(header)
        head.setContentsMargins(16, 12, 16, 12)
        head.setSpacing(24)
        self.market_box = QComboBox()
        self.market_box.setMinimumWidth(110)
        self.market_box.setToolTip("Market (perpetual futures, settled in USDC)")
        self.market_box.currentTextChanged.connect(self._select)
        head.addWidget(self.market_box)
        self.price_label = QLabel("—")
        self.price_label.setProperty("role", "big")
        self.price_label.setToolTip("Mid price of the order book")
        head.addWidget(self.price_label)
        self.change_stat = _Stat("24h change", "Change of the mark price over the last 24 hours.")
        self.funding_stat = _Stat(
            "Funding / h",
            "Paid every hour between longs and shorts. Positive: longs pay shorts; "
            "negative: shorts pay longs. APR is the hourly rate over a year.",
        )
        self.oi_stat = _Stat("Open interest", "Value of all open positions in this market.")
        self.volume_stat = _Stat("24h volume", "Value traded in the last 24 hours.")
        self.mark_stat = _Stat(
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
            head.addWidget(stat)
        head.addStretch(1)
        root.addWidget(header)

        self.position_label = QLabel("")
        self.position_label.setProperty("muted", True)
        root.addWidget(self.position_label)

        body = QHBoxLayout()
        body.setSpacing(14)
        self.book = OrderBook()
        body.addWidget(self.book, 1)
        self.ticket = OrderTicket(adapter.plan)
        self.ticket.setFixedWidth(380)
        self.ticket.submitted.connect(self._submit)
        body.addWidget(self.ticket)
        root.addLayout(body, 1)

        self._redraw_timer = QTimer(self)
        self._redraw_timer.setSingleShot(True)
        self._redraw_timer.setInterval(_REDRAW_MS)
        self._redraw_timer.timeout.connect(self.redraw)
        adapter.market_changed.connect(self._on_market_changed)
        adapter.account_changed.connect(self._schedule)
        adapter.order_result.connect(self._on_result)
        self._load_coins()

    # ------------------------------------------------------------------ selection

    @property
    def coin(self) -> str | None:
        return self._coin

    def _load_coins(self) -> None:
        coins = self.adapter.coins()
        if not coins or self.market_box.count() == len(coins):
            return
        current = self._coin or coins[0]
        self.market_box.blockSignals(True)
        self.market_box.clear()
        self.market_box.addItems(list(coins))
        self.market_box.blockSignals(False)
        self.market_box.setCurrentText(current)
        self._select(current)

    def select(self, coin: str) -> None:
        self.market_box.setCurrentText(coin)

    def _select(self, coin: str) -> None:
        if not coin or coin == self._coin:
            return
        previous, self._coin = self._coin, coin
        if previous is not None:
            self.adapter.unwatch(previous)
        self.adapter.watch(coin)
        self.ticket.set_market(self.adapter.market(coin))
        self.redraw()

    # ------------------------------------------------------------------ updates

    def _on_market_changed(self, coin: str) -> None:
        if self.market_box.count() == 0:
            self._load_coins()
        if not coin or coin == self._coin:
            self._schedule()

    def _schedule(self) -> None:
        if not self._redraw_timer.isActive():
            self._redraw_timer.start()

    def redraw(self) -> None:
        """Redraw header, book, position line and ticket estimates from the latest data."""
        coin = self._coin
        if coin is None:
            return
        stale = self.adapter.market_stale
        ctx = self.adapter.context(coin)
        book = self.adapter.book(coin)
        mid = book.mid if book is not None and book.mid is not None else None
        if ctx is not None:
            price = mid if mid is not None else ctx.mid_px or ctx.mark_px
            self.price_label.setText(format_price(price))
            if ctx.prev_day_px:
                change = (ctx.mark_px - ctx.prev_day_px) / ctx.prev_day_px * 100
                self.change_stat.value.setText(f"{change:+.2f}%")
                self.change_stat.value.setProperty("role", "long" if change >= 0 else "short")
            self.funding_stat.value.setText(format_funding_rate(ctx.funding))
            self.oi_stat.value.setText(_compact_usd(ctx.open_interest * ctx.mark_px))
            self.volume_stat.value.setText(_compact_usd(ctx.day_ntl_vlm))
            self.mark_stat.value.setText(
                f"{format_price(ctx.mark_px)} / {format_price(ctx.oracle_px)}"
            )
        for label in (self.price_label, self.change_stat.value):
            if bool(label.property("stale")) != stale:
                label.setProperty("stale", stale)
                label.style().unpolish(label)
                label.style().polish(label)
        self.book.set_book(book)
        self._show_position(coin)
        self.ticket.refresh()

    def _show_position(self, coin: str) -> None:
        state = self.adapter.account_state()
        position = state.position(coin) if state is not None else None
        if position is None or position.szi == 0:
            self.position_label.setText(f"No {coin} position.")
            return
        side = "Long" if position.szi > 0 else "Short"
        liq = position.liquidation_px
        self.position_label.setText(
            f"Your position: {side} {format_size(position.size)} {coin} at "
            f"{format_price(position.entry_px)} · {position.leverage.value}x · PnL "
            f"{format_usd(position.unrealized_pnl)} · liquidation "
            f"{format_price(liq) if liq is not None else 'none'}"
        )

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """L / S / Enter work anywhere on the page, not only with focus in the ticket."""
        if not self.ticket.handle_key(event):
            super().keyPressEvent(event)

    def _submit(self, plan: OrderPlan) -> None:
        self.ticket.set_busy(True)
        self.adapter.place(plan)

    def _on_result(self, result: object) -> None:
        if isinstance(result, OrderResult):
            self.ticket.show_result(result)

"""The Funding page: every market's rate, who pays whom, when, and what funding did to you.

Why it matters: funding is the cost of holding a perp. A 0.01%/h rate looks harmless and is
almost 90% a year; the sign decides whether a long pays or earns it. So the page puts each
market's rate next to its annualised value, the venue's prediction for the next hour, the time
left until it is settled and the direction in words, then shows the user's own payments, their
running total and what each open position will pay or receive next.

Data: contexts and the account come from the :class:`~wallet_perps.ui.adapter.SessionAdapter`
stores; the predicted rates and a market's funding history are fetched on demand through the
adapter's named queries (again every ``refresh_s`` and when an hour turns, while the page is
shown). Redraws are coalesced with a short single-shot timer, as on the Trade page; the
countdown ticks once a second. A hidden page neither asks the venue nor redraws: it catches
up as it is shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeVar

from PySide6.QtCore import QModelIndex, QTimer
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from wallet_perps.core.clock import wall_ms
from wallet_perps.core.display import (
    format_apr,
    format_day_time,
    format_hourly_rate,
    format_size,
    format_small_usd,
)
from wallet_perps.core.funding_board import (
    countdown_text,
    cumulative,
    next_funding_ms,
    next_payment_estimate,
    payment_words,
    predicted_by_coin,
    totals,
    who_pays,
)
from wallet_perps.core.models import FundingPayment, FundingRate, PredictedFunding
from wallet_perps.ui.adapter import SessionAdapter
from wallet_perps.ui.kit import (
    CoalescedRedraw,
    alive,
    caption,
    card,
    hbox,
    set_flag,
    title,
    vbox,
    vertical_scroll,
)
from wallet_perps.ui.widgets.funding_chart import FundingChart, TimeChart
from wallet_perps.ui.widgets.record_table import RecordColumn, RecordTable

__all__ = ["FundingPage"]

R = TypeVar("R")
_REDRAW_MS = 100
#: How far back the history chart reaches, and how many hourly bars it keeps at most.
_HISTORY_MS = 7 * 24 * 3_600_000
_HISTORY_BARS = 24 * 7
_UNLOCK = (
    "Unlock your wallet to see your funding payments, their total and what each open "
    "position will pay or receive next."
)
_RATE_TIP = (
    "Funding is paid every hour between longs and shorts. Positive: longs pay shorts; "
    "negative: shorts pay longs. APR is the hourly rate times 24 × 365."
)
_PREDICTED_TIP = (
    "The venue's estimate of the rate that will be settled at the next payment, from the "
    "premium so far this hour. It moves until the hour ends."
)


@dataclass(frozen=True, slots=True)
class _MarketRow:
    coin: str
    rate: Decimal
    predicted: Decimal | None
    countdown: str
    stale: bool


@dataclass(frozen=True, slots=True)
class _Estimate:
    coin: str
    szi: Decimal
    rate: Decimal
    usdc: Decimal


def _rate_tone(row: _MarketRow) -> str | None:
    return "muted" if row.stale else None


def _side_text(szi: Decimal) -> str:
    return f"{'Long' if szi > 0 else 'Short'} {format_size(abs(szi))}"


def _payment_tone(usdc: Decimal) -> str | None:
    return "long" if usdc > 0 else "short" if usdc < 0 else None


_MARKET_COLUMNS: tuple[RecordColumn[_MarketRow], ...] = (
    RecordColumn("Market", lambda r: r.coin),
    RecordColumn(
        "Rate / h",
        lambda r: format_hourly_rate(r.rate),
        _RATE_TIP,
        numeric=True,
        tone=_rate_tone,
    ),
    RecordColumn(
        "APR",
        lambda r: format_apr(r.rate),
        "The hourly rate over a year (× 24 × 365): what holding the position would cost (or "
        "earn) in a year if the rate stayed where it is.",
        numeric=True,
        tone=_rate_tone,
    ),
    RecordColumn(
        "Predicted / h",
        lambda r: "—" if r.predicted is None else format_hourly_rate(r.predicted),
        _PREDICTED_TIP,
        numeric=True,
        tone=_rate_tone,
    ),
    RecordColumn(
        "Next in",
        lambda r: r.countdown,
        "Time left until this hour's funding is settled (at the top of the hour, UTC).",
        numeric=True,
    ),
    RecordColumn(
        "Who pays",
        lambda r: who_pays(r.rate),
        "Which side pays the other at the current rate.",
    ),
)

_PAYMENT_COLUMNS: tuple[RecordColumn[FundingPayment], ...] = (
    RecordColumn("Time", lambda p: format_day_time(p.time), "When it was settled (your time)."),
    RecordColumn("Market", lambda p: p.coin),
    RecordColumn(
        "Position",
        lambda p: _side_text(p.szi),
        "Your position when the payment was settled.",
        numeric=True,
    ),
    RecordColumn("Rate / h", lambda p: format_hourly_rate(p.funding_rate), _RATE_TIP, numeric=True),
    RecordColumn(
        "Amount",
        lambda p: format_small_usd(p.usdc),
        "Positive: you received it; negative: you paid it.",
        numeric=True,
        tone=lambda p: _payment_tone(p.usdc),
    ),
)

_ESTIMATE_COLUMNS: tuple[RecordColumn[_Estimate], ...] = (
    RecordColumn("Market", lambda e: e.coin),
    RecordColumn("Position", lambda e: _side_text(e.szi), numeric=True),
    RecordColumn(
        "Next payment",
        lambda e: (
            f"{payment_words(e.usdc)} {format_small_usd(abs(e.usdc))}" if e.usdc else "Nothing"
        ),
        "Estimated from the predicted rate, your size and the oracle price: "
        "size × oracle price × rate. A long pays when the rate is positive.",
        tone=lambda e: _payment_tone(e.usdc),
    ),
)


def _show_rows(table: RecordTable[R], rows: Sequence[R]) -> None:
    """Set a table's rows; size its columns to the text the first time there is any."""
    first = not table.records.rows
    table.records.set_rows(rows)
    if first and rows:
        table.fit_columns()


class FundingPage(QWidget):
    """Funding rates of every market, a market's history, and the user's payments."""

    def __init__(
        self,
        adapter: SessionAdapter,
        *,
        refresh_s: float = 30.0,
    ) -> None:
        super().__init__()
        self.adapter = adapter
        self._coin: str | None = None
        self._predicted: dict[str, PredictedFunding] = {}
        self._next_ms = next_funding_ms(wall_ms())
        self.history: list[FundingRate] = []

        # One scrolling column: on a 768-800 px high screen the cards keep room for their
        # tables (the payments card was squeezed to one row) and the page scrolls down instead.
        outer = vbox(self)
        body = QWidget()
        outer.addWidget(vertical_scroll(body))
        root = vbox(body, margins=(20, 20, 20, 20), spacing=14)
        root.addWidget(self._build_header())

        middle = QHBoxLayout()
        middle.setSpacing(14)
        markets, markets_layout = card()
        markets_layout.addWidget(title("Funding rates", _RATE_TIP))
        self.markets_table: RecordTable[_MarketRow] = RecordTable(_MARKET_COLUMNS)
        self.markets_table.setToolTip("Click a market to see its funding history.")
        self.markets_table.selectionModel().currentRowChanged.connect(self._on_row_changed)
        markets_layout.addWidget(self.markets_table, 1)
        middle.addWidget(markets, 3)
        chart_card, chart_layout = card()
        self.history_chart = FundingChart()
        chart_layout.addWidget(self.history_chart, 1)
        middle.addWidget(chart_card, 2)
        markets.setMinimumHeight(330)
        chart_card.setMinimumHeight(330)
        root.addLayout(middle, 3)

        account = self._build_account()
        account.setMinimumHeight(290)
        root.addWidget(account, 2)

        self._redraw_soon = CoalescedRedraw(self, self.redraw, _REDRAW_MS, only_when_shown=True)
        self._tick_timer = QTimer(self)
        self._tick_timer.setInterval(1000)
        self._tick_timer.timeout.connect(self._tick)
        self._tick_timer.start()
        # The venue is asked only for a page someone looks at: on a hidden page the periodic
        # refresh waits for the page to be shown (each ask counts against the venue's rate
        # limit, and a stale table is re-asked before it is seen).
        self._refresh_when_shown = CoalescedRedraw(self, self.refresh, 0, only_when_shown=True)
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setInterval(int(refresh_s * 1000))
        self._refresh_timer.timeout.connect(self._refresh_when_shown.request)
        self._refresh_timer.start()

        adapter.market_changed.connect(self._on_market_changed)
        adapter.account_changed.connect(self._schedule)
        adapter.account_opened.connect(self._on_account_opened)
        self._refresh_when_shown.request()
        self.redraw()

    # ------------------------------------------------------------------ layout

    def _build_header(self) -> QWidget:
        header, layout = card()
        row = QHBoxLayout()
        layout.addLayout(row)
        words = QVBoxLayout()
        words.addWidget(title("Funding"))
        explain = QLabel(
            "Every hour the two sides of a perp pay each other so its price stays near the "
            "index. When the rate is positive longs pay shorts; when it is negative shorts pay "
            "longs. The payment is your position's value × the rate."
        )
        explain.setWordWrap(True)
        explain.setProperty("muted", True)
        words.addWidget(explain)
        row.addLayout(words, 1)
        clock = QVBoxLayout()
        next_in = caption("Next payment in")
        self.countdown_label = QLabel("—")
        self.countdown_label.setProperty("role", "big")
        tip = "Funding is settled at the top of every hour (UTC); this counts down to the next."
        for label in (next_in, self.countdown_label):
            label.setToolTip(tip)
            clock.addWidget(label)
        row.addSpacing(24)
        row.addLayout(clock)
        return header

    def _build_account(self) -> QWidget:
        frame, layout = card()
        layout.addWidget(title("My funding payments"))
        self.account_stack = QStackedWidget()
        self.unlock_label = QLabel(_UNLOCK)
        self.unlock_label.setWordWrap(True)
        self.unlock_label.setProperty("muted", True)
        self.account_stack.addWidget(self.unlock_label)

        content = QWidget()
        row = hbox(content, spacing=14)
        summary = QVBoxLayout()
        summary.setSpacing(4)
        net_caption = caption("Net funding (last 30 days)")
        self.total_label = QLabel("—")
        self.total_label.setProperty("role", "big")
        net_tip = (
            "Funding received minus funding paid, over the payments listed. Positive means "
            "funding earned you money."
        )
        net_caption.setToolTip(net_tip)
        self.total_label.setToolTip(net_tip)
        self.flows_label = caption()
        self.flows_label.setToolTip("Received and paid separately, and the number of payments.")
        next_caption = caption("Next payment (estimate)")
        next_caption.setToolTip(_ESTIMATE_COLUMNS[2].tip)
        self.estimates_table: RecordTable[_Estimate] = RecordTable(_ESTIMATE_COLUMNS)
        self.no_positions_label = QLabel("No open positions: nothing to pay or receive.")
        self.no_positions_label.setProperty("muted", True)
        for widget in (net_caption, self.total_label, self.flows_label):
            summary.addWidget(widget)
        summary.addSpacing(8)
        summary.addWidget(next_caption)
        summary.addWidget(self.no_positions_label)
        summary.addWidget(self.estimates_table, 1)
        # Room for a few positions' estimates before it scrolls (it was one row tall).
        self.estimates_table.setMinimumHeight(30 + 3 * 28)
        summary_box = QWidget()
        summary_box.setLayout(summary)
        summary_box.setFixedWidth(380)
        row.addWidget(summary_box)
        self.payments_table: RecordTable[FundingPayment] = RecordTable(_PAYMENT_COLUMNS)
        row.addWidget(self.payments_table, 3)
        self.cumulative_chart = TimeChart(
            "Cumulative funding (USD)",
            "Running total of your funding payments: up when you receive, down when you pay.",
            colour="long",
        )
        row.addWidget(self.cumulative_chart, 2)
        self.account_stack.addWidget(content)
        layout.addWidget(self.account_stack, 1)
        return frame

    # ------------------------------------------------------------------ selection

    @property
    def coin(self) -> str | None:
        """The market whose history the chart shows."""
        return self._coin

    def select(self, coin: str) -> None:
        """Select ``coin``'s row (as a click would) and load its history."""
        rows = self.markets_table.records.rows
        for i, row in enumerate(rows):
            if row.coin == coin:
                self.markets_table.selectRow(i)
                return

    def _on_row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        rows = self.markets_table.records.rows
        if not current.isValid() or current.row() >= len(rows):
            return
        coin = rows[current.row()].coin
        if coin != self._coin:
            self._coin = coin
            self.history = []
            self.history_chart.set_title(f"{coin} funding history (% per hour)")
            self.history_chart.show_empty("Loading…")
            self._fetch_history()

    # ------------------------------------------------------------------ fetching

    def refresh(self) -> None:
        """Re-fetch the predicted rates and the selected market's history."""
        self.adapter.load_predicted_fundings(alive(self, self._on_predicted))
        self._fetch_history()

    def _fetch_history(self) -> None:
        coin = self._coin
        if coin is None:
            return
        start = wall_ms() - _HISTORY_MS
        self.adapter.load_funding_history(
            coin,
            start,
            alive(self, lambda rows: self._on_history(coin, rows)),
            alive(self, lambda message: self._on_history_error(coin, message)),
        )

    def _on_predicted(self, rows: list[PredictedFunding]) -> None:
        self._predicted = predicted_by_coin(rows)
        self._schedule()

    def _on_history(self, coin: str, rows: list[FundingRate]) -> None:
        if coin != self._coin:
            return
        self.history = sorted(rows, key=lambda r: r.time)[-_HISTORY_BARS:]
        self.history_chart.set_rates(self.history, coin)

    def _on_history_error(self, coin: str, message: object) -> None:
        if coin == self._coin:
            self.history_chart.show_empty(f"Could not load the history: {message}")

    # ------------------------------------------------------------------ updates

    def _on_market_changed(self, coin: str) -> None:
        if not coin:  # every market's context (or the stale flag) changed
            self._schedule()

    def _on_account_opened(self, _user: str) -> None:
        self.redraw()

    def _schedule(self) -> None:
        self._redraw_soon.request()

    def _tick(self) -> None:
        """Once a second: the countdown, and a fresh fetch when an hour has turned."""
        now = wall_ms()
        next_ms = next_funding_ms(now)
        if next_ms != self._next_ms:
            self._next_ms = next_ms
            self._refresh_when_shown.request()
        if not self.isVisible():
            # Every market's row each second is work for nobody: drawn once when shown.
            self._redraw_soon.request()
            return
        self.countdown_label.setText(countdown_text(next_ms - now))
        self._redraw_markets(now)

    def redraw(self) -> None:
        """Redraw the markets table and the account part from the latest data."""
        now = wall_ms()
        self.countdown_label.setText(countdown_text(next_funding_ms(now) - now))
        self._redraw_markets(now)
        self._redraw_account()

    def _redraw_markets(self, now_ms: int) -> None:
        countdown = countdown_text(next_funding_ms(now_ms) - now_ms)
        stale = self.adapter.market_stale
        rows: list[_MarketRow] = []
        for coin in self.adapter.coins():
            ctx = self.adapter.context(coin)
            if ctx is None:
                continue
            predicted = self._predicted.get(coin)
            rows.append(
                _MarketRow(
                    coin,
                    ctx.funding,
                    None if predicted is None else predicted.funding_rate,
                    countdown,
                    stale,
                )
            )
        first = not self.markets_table.records.rows
        self.markets_table.records.set_rows(rows)
        if first and rows:
            self.markets_table.fit_columns()
            self.select(self._coin or rows[0].coin)

    def _redraw_account(self) -> None:
        if not self.adapter.has_account:
            self.account_stack.setCurrentWidget(self.unlock_label)
            return
        self.account_stack.setCurrentIndex(1)
        payments = self.adapter.fundings()
        self._show_totals(payments)
        _show_rows(self.payments_table, payments)
        points = cumulative(payments)
        if points:
            self.cumulative_chart.set_line(
                [t for t, _ in points], [float(v) for _, v in points], zero_line=True
            )
        else:
            self.cumulative_chart.show_empty("No funding payments yet")
        self._show_estimates()

    def _show_totals(self, payments: Sequence[FundingPayment]) -> None:
        summary = totals(payments)
        net = summary.net
        self.total_label.setText(format_small_usd(net))
        tone = "up" if net > 0 else "down" if net < 0 else ""
        set_flag(self.total_label, "pnl", tone)
        self.flows_label.setText(
            f"Received {format_small_usd(summary.received)} · paid "
            f"{format_small_usd(summary.paid)} · {summary.count} payments"
        )

    def _show_estimates(self) -> None:
        state = self.adapter.account_state()
        estimates: list[_Estimate] = []
        for position in state.positions if state is not None else ():
            if position.szi == 0:
                continue
            ctx = self.adapter.context(position.coin)
            if ctx is None:
                continue
            predicted = self._predicted.get(position.coin)
            rate = predicted.funding_rate if predicted is not None else ctx.funding
            usdc = next_payment_estimate(position.szi, ctx.oracle_px, rate)
            estimates.append(_Estimate(position.coin, position.szi, rate, usdc))
        _show_rows(self.estimates_table, estimates)
        self.estimates_table.setVisible(bool(estimates))
        self.no_positions_label.setVisible(not estimates)

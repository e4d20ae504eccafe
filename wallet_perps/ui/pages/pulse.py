"""The Market pulse page: price, open interest, volume, funding and premium, read in plain words.

Why: a trader judges a move by what moves *with* the price. Rising price on rising open
interest and funding is new longs piling in; the same rise on falling open interest is shorts
running for the exit, and the two end differently. This page draws the five series for the
selected market over a chosen window and puts the classic reading from
:mod:`wallet_perps.core.pulse` above them in one sentence.

Where the history comes from: the venue has candles (price and volume) but no history of open
interest or premium, so the page records every market's context with a
:class:`~wallet_perps.services.pulse.ContextSampler` (at most once per ``sample_every_s``, in a
bounded ring per coin) whenever the adapter reports market changes, and loads 1-minute candles
through ``adapter.watch_candles``. The page is created at start-up, so by the time the user opens
it there is usually enough history for a reading. Redraws are coalesced with a single-shot timer.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QWidget,
)

from wallet_perps.core.clock import wall_ms
from wallet_perps.core.display import format_funding_rate, format_pct
from wallet_perps.core.models import Candle
from wallet_perps.core.pulse import (
    PulseReading,
    PulseSample,
    describe_span,
    read_pulse,
    volume_ratio,
)
from wallet_perps.services.pulse import ContextSampler
from wallet_perps.ui.adapter import SessionAdapter
from wallet_perps.ui.kit import CoalescedRedraw, card, title, vbox
from wallet_perps.ui.widgets.funding_chart import TimeChart

__all__ = ["WINDOWS", "PulsePage"]

_REDRAW_MS = 250
_CANDLE_INTERVAL = "1m"
_CANDLE_MS = 60_000
_HUNDRED = Decimal(100)
#: Windows the user can read over: label -> milliseconds.
WINDOWS: tuple[tuple[str, int], ...] = (
    ("Last 5 min", 5 * 60_000),
    ("Last 15 min", 15 * 60_000),
    ("Last hour", 60 * 60_000),
    ("Last 4 hours", 4 * 60 * 60_000),
)
_LOOKBACK_MS = WINDOWS[-1][1]
_READING_TIP = (
    "How to read it. Price and open interest up: new positions back the rise. Price up, open "
    "interest down: shorts are closing. Price down, open interest up: new shorts. Price and "
    "open interest down: longs giving up. Rising funding means longs pay more to stay in, so "
    "they are keen (or crowded). A reading is a hint, not a forecast."
)


def _change(change: Decimal | None) -> str:
    """A relative change for the detail line; a growth from zero has no percentage."""
    return "up from zero" if change is None else format_pct(change, signed=True)


class PulsePage(QWidget):
    """Charts of one market's context over time and the reading of them in words."""

    def __init__(
        self,
        adapter: SessionAdapter,
        *,
        sample_every_s: float = 5.0,
        keep: int = 2880,
    ) -> None:
        super().__init__()
        self.adapter = adapter
        self._coin: str | None = None
        self.reading: PulseReading | None = None
        self.sampler = ContextSampler(adapter.contexts, every_s=sample_every_s, keep=keep)

        root = vbox(self, margins=(20, 20, 20, 20), spacing=14)
        root.addWidget(self._build_header())

        grid = QGridLayout()
        grid.setSpacing(14)
        self.price_chart = TimeChart(
            "Price (USD)",
            "The mark price the venue uses for PnL and liquidations, as sampled. Until the "
            "samples cover the window, the line shows each minute's closing trade price and "
            "the samples are dotted.",
        )
        self.oi_chart = TimeChart(
            "Open interest (coins)",
            "How many coins' worth of positions are open. Rising: new positions are opening; "
            "falling: positions are closing.",
            colour="warning",
        )
        self.volume_chart = TimeChart(
            "Volume per minute (USD)",
            "Value traded in each minute. A move on heavy volume has more weight.",
        )
        self.funding_chart = TimeChart(
            "Funding rate (% per hour)",
            "Positive: longs pay shorts every hour; negative: shorts pay longs. Rising funding "
            "means longs are keener (or more crowded).",
            colour="long",
        )
        self.premium_chart = TimeChart(
            "Mark vs oracle (%)",
            "How far the mark price is above (positive) or below (negative) the oracle index. "
            "A perp above its index has eager buyers; funding pulls it back.",
            colour="short",
        )
        for chart, row, column, span in (
            (self.price_chart, 0, 0, 2),
            (self.oi_chart, 1, 0, 1),
            (self.volume_chart, 1, 1, 1),
            (self.funding_chart, 2, 0, 1),
            (self.premium_chart, 2, 1, 1),
        ):
            frame, inner = card(margins=(12, 8, 12, 8), spacing=None)
            inner.addWidget(chart)
            grid.addWidget(frame, row, column, 1, span)
        for row, stretch in ((0, 3), (1, 2), (2, 2)):
            grid.setRowStretch(row, stretch)
        root.addLayout(grid, 1)

        self._redraw_soon = CoalescedRedraw(self, self.redraw, _REDRAW_MS, only_when_shown=True)
        # Quiet markets send few events: sample and redraw on a timer as well.
        self._sample_timer = QTimer(self)
        self._sample_timer.setInterval(max(200, int(sample_every_s * 1000)))
        self._sample_timer.timeout.connect(self._on_sample_timer)
        self._sample_timer.start()

        adapter.market_changed.connect(self._on_market_changed)
        adapter.candles_changed.connect(self._on_candles_changed)
        self._load_coins()
        if adapter.contexts():
            self.sampler.sample()

    # ------------------------------------------------------------------ layout

    def _build_header(self) -> QWidget:
        header, layout = card(spacing=6)
        row = QHBoxLayout()
        row.addWidget(title("Market pulse"))
        row.addSpacing(12)
        self.market_box = QComboBox()
        self.market_box.setMinimumWidth(110)
        self.market_box.setToolTip("Market to read")
        self.market_box.currentTextChanged.connect(self._select)
        row.addWidget(self.market_box)
        self.window_box = QComboBox()
        for label, ms in WINDOWS:
            self.window_box.addItem(label, ms)
        self.window_box.setCurrentIndex(1)
        self.window_box.setToolTip("How far back the reading and the charts look")
        self.window_box.currentIndexChanged.connect(lambda _i: self.redraw())
        row.addWidget(self.window_box)
        row.addStretch(1)
        layout.addLayout(row)
        self.reading_label = QLabel("Waiting for market data…")
        self.reading_label.setProperty("role", "title")
        self.reading_label.setWordWrap(True)
        self.reading_label.setToolTip(_READING_TIP)
        layout.addWidget(self.reading_label)
        self.notes_label = QLabel("")
        self.notes_label.setWordWrap(True)
        self.notes_label.setToolTip(_READING_TIP)
        layout.addWidget(self.notes_label)
        self.detail_label = QLabel("")
        self.detail_label.setProperty("muted", True)
        self.detail_label.setWordWrap(True)
        self.detail_label.setToolTip(
            "The changes behind the reading: price and open interest in percent over the "
            "window, the hourly funding rate then and now, and the mark's gap to the oracle."
        )
        layout.addWidget(self.detail_label)
        return header

    # ------------------------------------------------------------------ selection

    @property
    def coin(self) -> str | None:
        return self._coin

    @property
    def charts(self) -> tuple[TimeChart, ...]:
        return (
            self.price_chart,
            self.oi_chart,
            self.volume_chart,
            self.funding_chart,
            self.premium_chart,
        )

    @property
    def window_ms(self) -> int:
        value = self.window_box.currentData()
        return int(value) if value is not None else WINDOWS[1][1]

    def select(self, coin: str) -> None:
        self.market_box.setCurrentText(coin)

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

    def _select(self, coin: str) -> None:
        if not coin or coin == self._coin:
            return
        previous, self._coin = self._coin, coin
        if previous is not None:
            self.adapter.unwatch(previous)
            self.adapter.unwatch_candles(previous, _CANDLE_INTERVAL)
        # Watching streams the coin's context every tick (others refresh only by polling).
        self.adapter.watch(coin)
        self.adapter.watch_candles(coin, _CANDLE_INTERVAL, _LOOKBACK_MS)
        self.reading = None
        self.redraw()

    # ------------------------------------------------------------------ updates

    def _on_market_changed(self, coin: str) -> None:
        if self.market_box.count() == 0:
            self._load_coins()
        if self.sampler.maybe_sample() or coin == self._coin:
            self._schedule()

    def _on_candles_changed(self, coin: str, interval: str) -> None:
        if coin == self._coin and interval == _CANDLE_INTERVAL:
            self._schedule()

    def _on_sample_timer(self) -> None:
        if self.sampler.maybe_sample():
            self._schedule()

    def _schedule(self) -> None:
        self._redraw_soon.request()

    def redraw(self) -> None:
        """Redraw the reading and the five charts for the selected coin and window."""
        coin = self._coin
        if coin is None:
            return
        window = self.window_ms
        now = wall_ms()
        samples = self.sampler.samples(coin, now - window)
        candles = [
            c for c in self.adapter.candles(coin, _CANDLE_INTERVAL) if c.close_time >= now - window
        ]
        volumes = [c.volume * c.close for c in candles]
        self.reading = read_pulse(samples, window, volume=volume_ratio(volumes))
        self._show_reading(coin, samples)
        self._draw_charts(samples, candles, volumes)

    def _show_reading(self, coin: str, samples: Sequence[PulseSample]) -> None:
        reading = self.reading
        stale = (
            " Numbers may be stale: the connection is down." if self.adapter.market_stale else ""
        )
        if reading is None:
            self.reading_label.setText(
                f"{coin}: collecting data. The reading appears once the market has been "
                f"watched for a little while (a sample every {self.sampler.every_s:g} s)."
            )
            self.notes_label.setText("")
            self.notes_label.setVisible(False)
            self.detail_label.setText(f"{len(samples)} sample(s) so far.{stale}")
            return
        head = reading.headline
        self.reading_label.setText(
            f"{coin}, last {describe_span(reading.span_ms)}: {head[0].upper()}{head[1:]}."
        )
        self.notes_label.setText(" ".join(reading.notes))
        self.notes_label.setVisible(bool(reading.notes))
        self.detail_label.setText(
            f"Price {_change(reading.price_change)} · open interest "
            f"{_change(reading.open_interest_change)} · funding "
            f"{format_funding_rate(reading.funding_before)} → "
            f"{format_funding_rate(reading.funding_after)} · mark vs oracle "
            f"{format_pct(reading.premium, signed=True)}.{stale}"
        )

    def _draw_charts(
        self, samples: Sequence[PulseSample], candles: Sequence[Candle], volumes: Sequence[Decimal]
    ) -> None:
        times = [s.time_ms for s in samples]
        marks = [float(s.mark_px) for s in samples]
        span = times[-1] - times[0] if times else 0
        if len(candles) >= 3 and span < self.window_ms // 2:
            # Samples cover too little of the window yet: minute closes carry the history,
            # the samples show the last moments as a dotted line.
            self.price_chart.set_line(
                [min(c.close_time, wall_ms()) for c in candles],
                [float(c.close) for c in candles],
                second=(times, marks),
            )
        else:
            self.price_chart.set_line(times, marks)
        self.oi_chart.set_line(times, [float(s.open_interest) for s in samples])
        self.volume_chart.set_bars(
            [c.open_time + _CANDLE_MS // 2 for c in candles],
            [float(v) for v in volumes],
            _CANDLE_MS,
            zero_line=False,
        )
        self.funding_chart.set_line(
            times, [float(s.funding * _HUNDRED) for s in samples], zero_line=True
        )
        self.premium_chart.set_line(
            times, [float(s.premium * _HUNDRED) for s in samples], zero_line=True
        )
        # One time axis for all five: from the oldest point shown (at most the window) to now.
        starts = times[:1] + [c.open_time for c in candles[:1]]
        now = wall_ms()
        start = max(now - self.window_ms, min(starts)) if starts else now - self.window_ms
        for chart in self.charts:
            chart.set_x_range(start, now)

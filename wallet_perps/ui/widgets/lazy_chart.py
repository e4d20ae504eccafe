"""The Trade page's chart slot: the candle chart is built after the first price is on screen.

Why: the chart is drawn with pyqtgraph, and importing it (with numpy) costs more than the rest
of the first screen together. A person opening the app looks for the price first; the chart
can follow a moment later. :class:`LazyCandleChart` takes every call the page makes to the
chart, keeps the latest of each, and hands them to the real
:class:`~wallet_perps.ui.widgets.candle_chart.CandleChart` once :meth:`materialize` is called
(the page calls it when its first live price is painted, or after a short fallback delay).
From then on it simply forwards. Anything else asked of it (what tests inspect) builds the chart
on demand.

The interval table lives here, not in ``candle_chart``, so the page can use it without
importing pyqtgraph.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QFrame, QLabel, QWidget

from wallet_perps.core.models import Candle, Position
from wallet_perps.core.orders import OpenOrder
from wallet_perps.ui.kit import vbox

if TYPE_CHECKING:
    from wallet_perps.ui.widgets.candle_chart import CandleChart

__all__ = ["BARS_LOADED", "INTERVALS", "LazyCandleChart", "lookback_ms"]

#: The intervals offered, and how far back each loads (about 300 bars, at most 5000).
INTERVALS: Mapping[str, int] = {
    "1m": 60_000,
    "5m": 300_000,
    "15m": 900_000,
    "1h": 3_600_000,
    "4h": 14_400_000,
    "1d": 86_400_000,
}
BARS_LOADED = 300
DEFAULT_INTERVAL = "15m"


def lookback_ms(interval: str) -> int:
    """How much history to load for ``interval``."""
    return INTERVALS[interval] * BARS_LOADED


class LazyCandleChart(QFrame):
    """Stands in for a :class:`CandleChart` until :meth:`materialize` builds it."""

    interval_changed = Signal(str)

    def __init__(self, interval: str = DEFAULT_INTERVAL, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._interval = interval if interval in INTERVALS else DEFAULT_INTERVAL
        self._coin = ""
        self._candles: tuple[str, str, Sequence[Candle]] | None = None
        self._mark: Decimal | None = None
        self._position: Position | None = None
        self._orders: Sequence[OpenOrder] = ()
        self._chart: CandleChart | None = None
        self._wanted = False  # materialize at the next show
        self._layout = vbox(self)
        self._placeholder = QLabel("Loading chart…")
        self._placeholder.setProperty("muted", True)
        self._placeholder.setProperty("card", True)
        self._placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._placeholder.setMinimumHeight(260)
        self._layout.addWidget(self._placeholder)

    # ------------------------------------------------------------------ building it

    @property
    def materialized(self) -> bool:
        return self._chart is not None

    def materialize_when_shown(self) -> None:
        """Build the chart now if it is on screen, else the next time it is shown.

        A page closed before its timer fired must not build pyqtgraph widgets on its way to
        deletion (pyqtgraph objects made in a dying parent are a classic teardown crash).
        """
        if self._chart is not None:
            return
        if self.isVisible():
            self.materialize()
        else:
            self._wanted = True

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._wanted and self._chart is None:
            self._wanted = False
            self.materialize()

    def materialize(self) -> CandleChart:
        """Build the real chart (once) and give it everything it was told so far."""
        if self._chart is not None:
            return self._chart
        from wallet_perps.ui.widgets.candle_chart import CandleChart

        chart = CandleChart(self._interval)
        chart.interval_changed.connect(self._chart_interval_changed)
        if self._coin:
            chart.set_coin(self._coin)
        if self._candles is not None:
            chart.set_candles(*self._candles)
        chart.set_mark(self._mark)
        chart.set_position(self._position)
        chart.set_orders(self._orders)
        self._chart = chart
        self._layout.replaceWidget(self._placeholder, chart)
        self._placeholder.deleteLater()
        return chart

    def _chart_interval_changed(self, interval: str) -> None:
        self._interval = interval
        self.interval_changed.emit(interval)

    # ------------------------------------------------------------------ the page's calls

    @property
    def interval(self) -> str:
        return self._interval

    def set_coin(self, coin: str) -> None:
        if coin != self._coin:
            self._coin = coin
            self._candles = None
            self._mark = None
            self._position = None
            self._orders = ()
        if self._chart is not None:
            self._chart.set_coin(coin)

    def set_candles(self, coin: str, interval: str, candles: Sequence[Candle]) -> None:
        if (coin, interval) == (self._coin, self._interval):
            self._candles = (coin, interval, candles)
        if self._chart is not None:
            self._chart.set_candles(coin, interval, candles)

    def set_mark(self, mark: Decimal | None) -> None:
        self._mark = mark
        if self._chart is not None:
            self._chart.set_mark(mark)

    def set_position(self, position: Position | None) -> None:
        self._position = position
        if self._chart is not None:
            self._chart.set_position(position)

    def set_orders(self, orders: Sequence[OpenOrder]) -> None:
        self._orders = tuple(orders)
        if self._chart is not None:
            self._chart.set_orders(orders)

    def __getattr__(self, name: str) -> Any:
        # Only reached for what this stand-in does not have itself (the chart's own
        # widgets and read-outs): those need the real chart.
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.materialize(), name)

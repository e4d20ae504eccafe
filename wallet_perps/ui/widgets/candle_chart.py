"""A live candlestick chart with the lines a trader needs: mark, entry, liquidation, orders.

Why it is drawn the way it is (pyqtgraph, one picture, a redraw budget):

* Candles arrive on every trade, many times a second, and a chart may hold hundreds of them.
  Closed candles never change, so they are painted once into a ``QPicture`` and replayed;
  only the forming (last) candle is painted live. A new bar or a reload rebuilds the picture
  once, never per tick.
* Every setter only stores the value and arms a 250 ms single-shot timer, so whatever the
  market does the chart redraws at most four times a second, and the event loop stays free.
* The y range is fitted to the candles in view (and the mark) by hand with numpy, so the
  liquidation line of a far-away price never squashes the candles into a flat strip; lines
  outside the view are still listed in :meth:`CandleChart.level_lines` and on the ticket.

Prices reach the chart as ``Decimal`` and become floats only here, as pixel coordinates.
The widget knows nothing of the session: the page feeds it candles, mark, position and
orders, and listens to ``interval_changed`` to (un)subscribe.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPicture, QShowEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QWidget,
)

from wallet_perps.core.display import (
    format_number,
    format_percent,
    format_price,
    format_size,
    significant,
)
from wallet_perps.core.models import Candle, Position
from wallet_perps.core.orders import OpenOrder
from wallet_perps.ui.kit import CoalescedRedraw, mono_font, theme_colours, vbox
from wallet_perps.ui.widgets.lazy_chart import INTERVALS

__all__ = ["INTERVALS", "CandleChart", "CandlesItem"]

#: Bars shown when a chart (re)loads; the user can zoom and pan from there.
BARS_SHOWN = 90
MIN_BARS = 30
REDRAW_MS = 250


class CandlesItem(pg.GraphicsObject):  # type: ignore[misc]  # pyqtgraph is untyped
    """Candles as one graphics item: closed bars in a cached picture, the last one live.

    Coordinates are drawn relative to the first bar's time (``setPos`` carries the offset),
    so the picture holds small numbers rather than 1.7e9-second timestamps.
    """

    def __init__(self) -> None:
        super().__init__()
        self._picture = QPicture()
        self._signature: tuple[Any, ...] = ()
        self._base = 0.0
        self._width = 60.0
        self._last: tuple[float, float, float, float, float] | None = None
        self._up = QColor("#1fc77e")
        self._down = QColor("#f0506e")
        self._rect = QRectF()
        # For the y fit and hover: x (seconds), low, high of every bar.
        self.xs = np.zeros(0)
        self.lows = np.zeros(0)
        self.highs = np.zeros(0)
        self.bars: list[Candle] = []

    def set_colours(self, up: str, down: str) -> None:
        self._up, self._down = QColor(up), QColor(down)
        self._signature = ()  # repaint the cached picture in the new colours

    def set_candles(self, candles: Sequence[Candle], interval_s: float) -> None:
        """Show ``candles`` (oldest first); repaint the cache only if closed bars changed."""
        self.prepareGeometryChange()
        self.bars = list(candles)
        if not candles:
            self._picture = QPicture()
            self._signature = ()
            self._last = None
            self.xs = self.lows = self.highs = np.zeros(0)
            self._rect = QRectF()
            self.update()
            return
        self._width = interval_s * 0.7
        base = candles[0].open_time / 1000
        closed = candles[:-1]
        tail = closed[-1] if closed else None
        signature = (
            len(closed),
            base,
            interval_s,
            None if tail is None else (tail.open_time, tail.open, tail.high, tail.low, tail.close),
        )
        if signature != self._signature:
            self._signature = signature
            self._base = base
            self.setPos(base, 0)
            self._picture = self._paint_picture(closed)
        last = candles[-1]
        self._last = (
            last.open_time / 1000 - self._base,
            float(last.open),
            float(last.high),
            float(last.low),
            float(last.close),
        )
        self.xs = np.fromiter((c.open_time / 1000 for c in candles), float, len(candles))
        self.lows = np.fromiter((float(c.low) for c in candles), float, len(candles))
        self.highs = np.fromiter((float(c.high) for c in candles), float, len(candles))
        half = self._width / 2
        low, high = float(self.lows.min()), float(self.highs.max())
        self._rect = QRectF(
            self.xs[0] - self._base - half,
            low,
            self.xs[-1] - self.xs[0] + 2 * half,
            # Never zero: a quiet market's flat bars (open = high = low = close) are lines, and
            # Qt skips an item whose bounding box has no height, leaving an empty chart.
            max(high - low, abs(high) * 1e-9, 1e-9),
        )
        self.update()

    def _paint_picture(self, closed: Sequence[Candle]) -> QPicture:
        picture = QPicture()
        painter = QPainter(picture)
        for candle in closed:
            self._paint_bar(
                painter,
                candle.open_time / 1000 - self._base,
                float(candle.open),
                float(candle.high),
                float(candle.low),
                float(candle.close),
            )
        painter.end()
        return picture

    def _paint_bar(
        self, painter: QPainter, x: float, o: float, h: float, low: float, c: float
    ) -> None:
        colour = self._up if c >= o else self._down
        painter.setPen(pg.mkPen(colour, width=1))
        painter.drawLine(QPointF(x, low), QPointF(x, h))
        half = self._width / 2
        if o == c:
            painter.drawLine(QPointF(x - half, o), QPointF(x + half, o))
        else:
            painter.setBrush(pg.mkBrush(colour))
            painter.drawRect(QRectF(x - half, min(o, c), self._width, abs(c - o)))

    def paint(self, painter: QPainter, *_args: Any) -> None:
        painter.drawPicture(0, 0, self._picture)
        if self._last is not None:
            self._paint_bar(painter, *self._last)

    def boundingRect(self) -> QRectF:
        return QRectF(self._rect)

    def dataBounds(
        self, axis: int, frac: float = 1.0, orthoRange: Any = None
    ) -> tuple[float, float] | tuple[None, None]:
        if not len(self.xs):
            return (None, None)
        if axis == 0:
            half = self._width / 2
            return (float(self.xs[0] - half), float(self.xs[-1] + half))
        return (float(self.lows.min()), float(self.highs.max()))

    def visible_range(self, x0: float, x1: float) -> tuple[float, float] | None:
        """Lowest low and highest high of the bars between ``x0`` and ``x1`` (seconds)."""
        if not len(self.xs):
            return None
        lo = int(np.searchsorted(self.xs, x0, side="left"))
        hi = int(np.searchsorted(self.xs, x1, side="right"))
        if hi <= lo:
            return None
        return float(self.lows[lo:hi].min()), float(self.highs[lo:hi].max())

    def bar_at(self, x: float) -> Candle | None:
        """The bar under ``x`` (seconds), for the hover legend."""
        if not len(self.xs):
            return None
        index = int(np.searchsorted(self.xs, x + self._width, side="right")) - 1
        if 0 <= index < len(self.bars) and abs(self.xs[index] - x) <= self._width:
            return self.bars[index]
        return None


class _Line:
    """A horizontal price line with a label at the right edge."""

    def __init__(self, plot: pg.PlotItem, kind: str) -> None:
        self.kind = kind
        self.price: Decimal | None = None
        self.text = ""
        self.item = pg.InfiniteLine(
            angle=0,
            movable=False,
            label="",
            labelOpts={"position": 0.97, "anchors": [(1, 1), (1, 1)]},
        )
        self.item.setZValue(20)
        plot.addItem(self.item)

    def show(self, price: Decimal, text: str, colour: str, style: Qt.PenStyle, bg: str) -> None:
        self.price, self.text = price, text
        self.item.setPen(pg.mkPen(colour, width=1, style=style))
        self.item.setValue(float(price))
        label = self.item.label
        label.setFormat(text.replace("{", "{{").replace("}", "}}"))
        label.setColor(colour)
        label.fill = pg.mkBrush(QColor(bg))
        label.valueChanged()
        self.item.show()

    def hide(self) -> None:
        self.price = None
        self.item.hide()


class PriceAxis(pg.AxisItem):  # type: ignore[misc]  # pyqtgraph is untyped
    """The price axis with thousands separators ("97,020", not "97020"), as prices read
    everywhere else in the app."""

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        places = max(0, -math.floor(math.log10(spacing * scale))) if spacing > 0 else 0
        return [f"{value * scale:,.{places}f}" for value in values]


class CandleChart(QFrame):
    """Interval buttons over a pyqtgraph plot of one coin's candles and its price lines."""

    interval_changed = Signal(str)

    def __init__(self, interval: str = "15m", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setProperty("card", True)
        self._coin = ""
        self._interval = interval
        self._candles: Sequence[Candle] = ()
        self._candles_key: tuple[str, str] = ("", "")
        self._mark: Decimal | None = None
        self._position: Position | None = None
        self._orders: tuple[OpenOrder, ...] = ()
        self._follow = True
        self._framed_key: tuple[str, str] = ("", "")
        self._last_x: float | None = None
        self._colours: Mapping[str, str] = theme_colours(self)

        outer = vbox(self, margins=(12, 10, 12, 8), spacing=6)
        head = QHBoxLayout()
        head.setSpacing(4)
        self.interval_buttons: dict[str, QPushButton] = {}
        group = QButtonGroup(self)
        group.setExclusive(True)
        for name in INTERVALS:
            button = QPushButton(name)
            button.setCheckable(True)
            button.setProperty("chip", True)
            button.setCursor(Qt.CursorShape.PointingHandCursor)
            button.setToolTip(f"One candle per {name}")
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            button.setChecked(name == interval)
            button.clicked.connect(lambda _c=False, n=name: self.set_interval(n))
            group.addButton(button)
            head.addWidget(button)
            self.interval_buttons[name] = button
        head.addSpacing(12)
        self.legend = QLabel("")
        self.legend.setProperty("muted", True)
        self.legend.setFont(mono_font())
        self.legend.setToolTip(
            "Open, high, low and close of the candle under the mouse (the newest otherwise)."
        )
        # On its own line under the intervals, wrapping when narrow: beside them it was cut
        # to "O 97151", which read as "0 97151".
        self.legend.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.legend.setWordWrap(True)
        head.addStretch(1)
        outer.addLayout(head)
        outer.addWidget(self.legend)

        self.plot_widget = pg.PlotWidget(
            axisItems={"bottom": pg.DateAxisItem(), "right": PriceAxis(orientation="right")}
        )
        self.plot_widget.setMinimumHeight(220)
        self.plot_widget.setToolTip(
            "Candles of the selected market. Dotted: mark price (used for PnL and "
            "liquidation). Grey: your entry. Red: your liquidation price. Dashed: your open "
            "orders and TP/SL triggers. Drag to pan, wheel to zoom."
        )
        plot = self.plot_widget.getPlotItem()
        plot.hideButtons()
        plot.setMenuEnabled(False)
        plot.showAxis("right")
        plot.hideAxis("left")
        plot.showGrid(x=True, y=True, alpha=0.12)
        self._view = plot.getViewBox()
        self._view.setMouseEnabled(x=True, y=False)
        self._view.enableAutoRange(x=False, y=False)
        self._view.sigRangeChangedManually.connect(self._user_moved)
        self._view.sigXRangeChanged.connect(lambda *_a: self._fit_y())
        self.candles_item = CandlesItem()
        plot.addItem(self.candles_item)
        self._mark_line = _Line(plot, "mark")
        self._entry_line = _Line(plot, "entry")
        self._liq_line = _Line(plot, "liquidation")
        self._order_lines: list[_Line] = []
        self._plot = plot
        for line in (self._mark_line, self._entry_line, self._liq_line):
            line.hide()
        self.empty_label = QLabel("Loading candles…", self.plot_widget)
        self.empty_label.setProperty("muted", True)
        self.empty_label.move(16, 12)
        self.plot_widget.scene().sigMouseMoved.connect(self._hover)
        outer.addWidget(self.plot_widget, 1)
        self._apply_colours()

        self._redraw_soon = CoalescedRedraw(self, self.redraw, REDRAW_MS, only_when_shown=True)
        self.redraws = 0  # how often the chart actually redrew (tests check the budget)

    # ------------------------------------------------------------------ feeding it

    @property
    def interval(self) -> str:
        return self._interval

    @property
    def coin(self) -> str:
        return self._coin

    def set_coin(self, coin: str) -> None:
        """Switch market: candles, position and orders of the old one are dropped at once."""
        if coin == self._coin:
            return
        self._coin = coin
        self._candles = ()
        self._mark = None
        self._position = None
        self._orders = ()
        self._follow = True
        self.redraw()

    def set_interval(self, interval: str) -> None:
        """Pick a candle interval (the page re-subscribes on ``interval_changed``)."""
        if interval not in INTERVALS or interval == self._interval:
            self.interval_buttons[self._interval].setChecked(True)
            return
        self._interval = interval
        self.interval_buttons[interval].setChecked(True)
        self._candles = ()
        self._follow = True
        self.interval_changed.emit(interval)
        self.redraw()

    def set_candles(self, coin: str, interval: str, candles: Sequence[Candle]) -> None:
        """New candles for ``(coin, interval)``; ignored if that is not what is shown."""
        if (coin, interval) != (self._coin, self._interval):
            return
        self._candles = candles
        self._candles_key = (coin, interval)
        self._schedule()

    def set_mark(self, mark: Decimal | None) -> None:
        if mark != self._mark:
            self._mark = mark
            self._schedule()

    def set_position(self, position: Position | None) -> None:
        """The account's position in the shown coin (None: flat or no wallet)."""
        if position is not None and position.szi == 0:
            position = None
        if position != self._position:
            self._position = position
            self._schedule()

    def set_orders(self, orders: Sequence[OpenOrder]) -> None:
        """The account's open orders in the shown coin (TP/SL triggers included)."""
        mine = tuple(o for o in orders if o.coin == self._coin)
        if mine != self._orders:
            self._orders = mine
            self._schedule()

    # ------------------------------------------------------------------ what is on screen

    def candle_count(self) -> int:
        """Bars currently drawn."""
        return len(self.candles_item.bars)

    def shown_interval(self) -> str:
        """Interval of the bars drawn ("" when none are)."""
        return self._candles_key[1] if self.candles_item.bars else ""

    def level_lines(self) -> list[tuple[str, Decimal, str]]:
        """Every price line drawn: (kind, price, label). Kinds: mark, entry, liquidation, order."""
        lines = [self._mark_line, self._entry_line, self._liq_line, *self._order_lines]
        return [(ln.kind, ln.price, ln.text) for ln in lines if ln.price is not None]

    # ------------------------------------------------------------------ drawing

    def _schedule(self) -> None:
        self._redraw_soon.request()

    def redraw(self) -> None:
        """Draw candles and lines from the latest values (called at most every 250 ms)."""
        self._redraw_soon.cancel()
        self.redraws += 1
        colours = self._colours
        bg = colours["card"]
        candles = self._candles
        key = (self._coin, self._interval)
        interval_s = INTERVALS[self._interval] / 1000
        self.candles_item.set_candles(candles, interval_s)
        if candles:
            self.empty_label.hide()
            last_x = candles[-1].open_time / 1000
            if self._framed_key != key:
                self._framed_key = key
                self._frame(last_x, interval_s)
            elif self._follow and self._last_x is not None and last_x > self._last_x:
                x0, x1 = self._view.viewRange()[0]
                self._view.setXRange(x0 + last_x - self._last_x, x1 + last_x - self._last_x, 0)
            self._last_x = last_x
            self._show_legend(candles[-1])
        else:
            self._framed_key = ("", "")
            self._last_x = None
            self.empty_label.setText(
                "Loading candles…" if self._coin else "Pick a market to see its chart"
            )
            self.empty_label.adjustSize()
            self.empty_label.show()
            self.legend.setText("")

        dash, dot = Qt.PenStyle.DashLine, Qt.PenStyle.DotLine
        if self._mark is not None:
            self._mark_line.show(
                self._mark, f"Mark {format_price(self._mark)}", colours["accent"], dot, bg
            )
        else:
            self._mark_line.hide()
        position = self._position
        if position is not None and position.entry_px is not None:
            side = "Long" if position.szi > 0 else "Short"
            entry = position.entry_px
            self._entry_line.show(
                entry,
                f"Entry {format_price(significant(entry))} · {side} {format_size(position.size)}",
                colours["muted"],
                Qt.PenStyle.SolidLine,
                bg,
            )
        else:
            self._entry_line.hide()
        liq = position.liquidation_px if position is not None else None
        if liq is not None and liq > 0:
            text = f"Liquidation {format_price(significant(liq))}"
            self._liq_line.show(liq, text, colours["short"], dash, bg)
        else:
            self._liq_line.hide()
        self._draw_orders(colours, bg)
        self._fit_y()

    def _draw_orders(self, colours: Mapping[str, str], bg: str) -> None:
        while len(self._order_lines) < len(self._orders):
            self._order_lines.append(_Line(self._plot, "order"))
        for i, line in enumerate(self._order_lines):
            if i >= len(self._orders):
                line.hide()
                continue
            order = self._orders[i]
            side = "Buy" if order.side.is_buy else "Sell"
            if order.is_trigger and order.trigger_px:
                price = order.trigger_px
                what = order.order_type or "Trigger"
                text = f"{what} · {side.lower()} {format_size(order.sz)} at {format_price(price)}"
            else:
                price = order.limit_px
                text = f"{side} {format_size(order.sz)} at {format_price(price)}"
            if order.reduce_only and not order.is_trigger:
                text += " (reduce only)"
            colour = colours["long"] if order.side.is_buy else colours["short"]
            line.show(price, text, colour, Qt.PenStyle.DashLine, bg)

    def _frame(self, last_x: float, interval_s: float) -> None:
        """Show the newest :data:`BARS_SHOWN` bars with a little room on the right.

        A young market with few bars is framed to what it has (at least :data:`MIN_BARS`
        wide), so its candles fill the chart instead of huddling at the right edge.
        """
        xs = self.candles_item.xs
        first_x = float(xs[0]) if len(xs) else last_x
        bars = min(BARS_SHOWN, max(MIN_BARS, int((last_x - first_x) / interval_s) + 2))
        self._view.setXRange(last_x - bars * interval_s, last_x + 3 * interval_s, padding=0)
        self._follow = True

    def _fit_y(self) -> None:
        """Fit the y axis to the bars in view and the mark, plus the account's lines near them.

        Entry, liquidation and order lines within one view-height (and at least 2% of the
        price) of the candles widen the range so they can be seen; a far-away line does not
        flatten the candles into a strip.
        """
        x0, x1 = self._view.viewRange()[0]
        span = self.candles_item.visible_range(x0, x1)
        if span is None:
            if self._mark is None:
                return
            mark = float(self._mark)
            span = (mark, mark)
        lo, hi = span
        if self._mark is not None:
            lo, hi = min(lo, float(self._mark)), max(hi, float(self._mark))
        height = max(hi - lo, abs(hi) * 0.02)
        for kind, price, _text in self.level_lines():
            value = float(price)
            if kind != "mark" and lo - height <= value <= hi + height:
                lo, hi = min(lo, value), max(hi, value)
        pad = (hi - lo) * 0.08 or abs(hi) * 0.002 or 1.0
        self._view.setYRange(lo - pad, hi + pad, padding=0)

    def _user_moved(self, *_args: Any) -> None:
        """Follow the newest bar only while it is in view (the user panned back otherwise)."""
        if self._last_x is None:
            return
        x1 = self._view.viewRange()[0][1]
        self._follow = x1 >= self._last_x

    def _hover(self, pos: QPointF) -> None:
        if not self.plot_widget.sceneBoundingRect().contains(pos):
            return
        x = self._view.mapSceneToView(pos).x()
        bar = self.candles_item.bar_at(x)
        if bar is not None:
            self._show_legend(bar)

    def _show_legend(self, bar: Candle) -> None:
        change = (bar.close - bar.open) / bar.open * 100 if bar.open else Decimal(0)
        self.legend.setText(
            f"Open {format_number(bar.open)}  High {format_number(bar.high)}  "
            f"Low {format_number(bar.low)}  Close {format_number(bar.close)}  "
            f"{format_percent(change, signed=True)}"
        )

    # ------------------------------------------------------------------ theme

    def showEvent(self, event: QShowEvent) -> None:
        """The style sheet is applied by now: match the plot to the theme's colours."""
        super().showEvent(event)
        colours = theme_colours(self)
        if colours is not self._colours:
            self._colours = colours
            self._apply_colours()
            self.redraw()

    def _apply_colours(self) -> None:
        colours = self._colours
        self.plot_widget.setBackground(colours["card"])
        for name in ("bottom", "right"):
            axis = self._plot.getAxis(name)
            axis.setPen(pg.mkPen(colours["border"]))
            axis.setTextPen(pg.mkPen(colours["muted"]))
        self.candles_item.set_colours(colours["long"], colours["short"])

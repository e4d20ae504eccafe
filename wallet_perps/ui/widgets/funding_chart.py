"""Time charts for funding and the market pulse: hourly rate bars, running totals, sampled lines.

Why pyqtgraph behind a small wrapper: the Funding and Market pulse screens draw a handful of
series that update while the market moves; pyqtgraph redraws thousands of points in well under
a frame. The wrapper keeps its styling (theme colours, a date axis in local time, a zero line,
an "empty" message instead of a blank box) in one place, and takes plain float coordinates:
chart positions are the one place floats are fine, so callers convert their Decimals at the
last moment and never feed a chart value back into money.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QLabel, QWidget

from wallet_perps.core.models import FundingRate
from wallet_perps.ui.kit import theme_colours, vbox
from wallet_perps.ui.theme import palette

__all__ = ["FundingChart", "TimeChart"]


class TimeChart(QWidget):
    """A titled chart with a date axis: one line, optional second line, or bars.

    ``x`` values are Unix milliseconds; ``y`` values are floats in the unit the ``title`` names
    (the axis itself carries no label, it would crowd the tick numbers). The explanation ``tip``
    shows on hover, like every risky number.
    """

    def __init__(
        self,
        title: str,
        tip: str,
        parent: QWidget | None = None,
        *,
        colour: str = "accent",
    ) -> None:
        super().__init__(parent)
        colours = palette("system")
        self._colours: Mapping[str, str] = colours
        layout = vbox(self, spacing=4)
        self.title_label = QLabel(title)
        self.title_label.setProperty("muted", True)
        self.title_label.setToolTip(tip)
        layout.addWidget(self.title_label)

        self.plot = pg.PlotWidget(axisItems={"bottom": pg.DateAxisItem(orientation="bottom")})
        self.plot.setBackground(colours["card"])
        self.plot.setToolTip(tip)
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        self.plot.setMinimumHeight(90)
        item = self.plot.getPlotItem()
        axis_pen = pg.mkPen(colours["border"])
        for name in ("left", "bottom"):
            axis = item.getAxis(name)
            axis.setPen(axis_pen)
            axis.setTextPen(pg.mkPen(colours["muted"]))
        # No "(x0.001)" scale suffixes: small rates are read as they are, like the tables.
        item.getAxis("left").enableAutoSIPrefix(False)
        item.getAxis("left").setWidth(58)
        item.showGrid(x=False, y=True, alpha=0.15)
        layout.addWidget(self.plot, 1)

        self._zero = pg.InfiniteLine(
            pos=0, angle=0, pen=pg.mkPen(colours["muted"], width=1, style=Qt.PenStyle.DashLine)
        )
        self._zero.setVisible(False)
        item.addItem(self._zero)
        self._line = item.plot([], [], pen=pg.mkPen(colours[colour], width=2))
        self._second = item.plot(
            [], [], pen=pg.mkPen(colours["muted"], width=1, style=Qt.PenStyle.DotLine)
        )
        self._bars = pg.BarGraphItem(x=[], height=[], width=1.0, brush=colours[colour], pen=None)
        self._bars.setVisible(False)
        item.addItem(self._bars)
        self._empty = pg.TextItem("", color=colours["muted"], anchor=(0.5, 0.5))
        item.addItem(self._empty, ignoreBounds=True)
        self._points = 0
        self._tone = colour
        self.show_empty("No data yet")

    def showEvent(self, event: QShowEvent) -> None:
        """Take the colours of the theme the window is drawn in (the one chosen in Settings).

        They were taken from the operating system's scheme when the chart was built, so in
        the light theme the charts stayed dark navy.
        """
        super().showEvent(event)
        colours = theme_colours(self)
        if colours is not self._colours:
            self._restyle(colours)

    def _restyle(self, colours: Mapping[str, str]) -> None:
        self._colours = colours
        self.plot.setBackground(colours["card"])
        item = self.plot.getPlotItem()
        for name in ("left", "bottom"):
            axis = item.getAxis(name)
            axis.setPen(pg.mkPen(colours["border"]))
            axis.setTextPen(pg.mkPen(colours["muted"]))
        self._zero.setPen(pg.mkPen(colours["muted"], width=1, style=Qt.PenStyle.DashLine))
        self._line.setPen(pg.mkPen(colours[self._tone], width=2))
        self._second.setPen(pg.mkPen(colours["muted"], width=1, style=Qt.PenStyle.DotLine))
        self._bars.setOpts(brush=colours[self._tone])
        self._empty.setColor(colours["muted"])

    # ------------------------------------------------------------------ data

    @property
    def point_count(self) -> int:
        """How many points (or bars) the chart shows now; 0 when it shows its empty message."""
        return self._points

    def set_line(
        self,
        xs_ms: Sequence[int],
        ys: Sequence[float],
        *,
        second: tuple[Sequence[int], Sequence[float]] | None = None,
        zero_line: bool = False,
    ) -> None:
        """Show ``ys`` over time as a line (and an optional thin second line)."""
        self._bars.setVisible(False)
        if not xs_ms:
            self.show_empty("No data yet")
            return
        self._line.setData([x / 1000 for x in xs_ms], list(ys))
        if second is not None and second[0]:
            self._second.setData([x / 1000 for x in second[0]], list(second[1]))
        else:
            self._second.setData([], [])
        self._shown(len(xs_ms), zero_line)

    def set_bars(
        self,
        xs_ms: Sequence[int],
        ys: Sequence[float],
        width_ms: int,
        *,
        tones: Sequence[str] | None = None,
        zero_line: bool = True,
    ) -> None:
        """Show ``ys`` as bars centred on ``xs_ms``; ``tones`` picks a theme colour per bar."""
        self._line.setData([], [])
        self._second.setData([], [])
        if not xs_ms:
            self._bars.setVisible(False)
            self.show_empty("No data yet")
            return
        brushes = [self._colours[t] for t in tones] if tones is not None else None
        opts: dict[str, object] = {
            "x": [x / 1000 for x in xs_ms],
            "height": list(ys),
            "width": width_ms / 1000 * 0.8,
        }
        if brushes is not None:
            opts["brushes"] = brushes
        self._bars.setOpts(**opts)
        self._bars.setVisible(True)
        self._shown(len(xs_ms), zero_line)

    def show_empty(self, message: str) -> None:
        """Clear the series and say why the chart is empty (loading, no payments yet, ...)."""
        self._line.setData([], [])
        self._second.setData([], [])
        self._bars.setVisible(False)
        self._zero.setVisible(False)
        self._points = 0
        item = self.plot.getPlotItem()
        item.setXRange(0, 1, padding=0)
        item.setYRange(0, 1, padding=0)
        item.getAxis("left").setStyle(showValues=False)
        item.getAxis("bottom").setStyle(showValues=False)
        self._empty.setText(message)
        self._empty.setPos(0.5, 0.5)
        self._empty.setVisible(True)

    def _shown(self, points: int, zero_line: bool) -> None:
        self._points = points
        self._empty.setVisible(False)
        self._zero.setVisible(zero_line)
        item = self.plot.getPlotItem()
        item.getAxis("left").setStyle(showValues=True)
        item.getAxis("bottom").setStyle(showValues=True)
        item.enableAutoRange()

    def set_x_range(self, start_ms: int, end_ms: int) -> None:
        """Pin the time axis (so several charts of one screen line up); no-op when empty."""
        if self._points and end_ms > start_ms:
            item = self.plot.getPlotItem()
            item.enableAutoRange(x=False)
            item.setXRange(start_ms / 1000, end_ms / 1000, padding=0.01)

    def set_title(self, title: str) -> None:
        self.title_label.setText(title)


class FundingChart(TimeChart):
    """A market's hourly funding rates as bars, in % per hour.

    Bars above zero (longs paid shorts) use the accent colour and bars below zero (shorts paid
    longs) the warning colour: green and red are kept for profit and loss, and a funding hour
    is a profit for one side and a loss for the other.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(
            "Funding history",
            "Each bar is one hourly payment rate. Above zero longs paid shorts; below zero "
            "shorts paid longs.",
            parent,
        )

    def set_rates(self, rates: Sequence[FundingRate], coin: str = "") -> None:
        """Show ``rates`` (any order); an empty list says no history yet."""
        if coin:
            self.set_title(f"{coin} funding history (% per hour)")
        if not rates:
            self.show_empty("No funding history yet")
            return
        ordered = sorted(rates, key=lambda r: r.time)
        hundred = Decimal(100)
        self.set_bars(
            [r.time for r in ordered],
            [float(r.funding_rate * hundred) for r in ordered],
            3_600_000,
            tones=["accent" if r.funding_rate >= 0 else "warning" for r in ordered],
        )

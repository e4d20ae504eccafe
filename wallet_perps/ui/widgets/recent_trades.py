"""Recent public trades: time, price coloured by the aggressor's side, size.

Why fixed label rows like the order book: the list is short, redrawn a few times a second,
and needs no scrolling or selection; a fixed grid costs nothing to update and does not jump.
Only the labels whose text or colour changed are touched, so a quiet market costs nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QFrame, QLayoutItem, QSizePolicy, QWidget

from wallet_perps.core.display import format_clock, format_number
from wallet_perps.core.models import Trade
from wallet_perps.ui.kit import caption, number_grid, number_row, set_flag, vbox

__all__ = ["RecentTrades"]

ROWS = 12
#: The fewest rows the card keeps room for; a short window shows fewer of the newest trades.
MIN_ROWS = 3


def _widget(item: QLayoutItem | None) -> QWidget:
    widget = item.widget() if item is not None else None
    if widget is None:
        raise RuntimeError("number_grid no longer puts a title and column heads first")
    return widget


class RecentTrades(QFrame):
    """The newest :data:`ROWS` trades of one market, newest on top.

    The card takes the height it is given and shows as many of the newest rows as fit, at
    least :data:`MIN_ROWS`: on a short screen (a locked wallet's bar above the page) the list
    is shorter, not cut off inside a scroll area with a scroll bar over empty rows.
    """

    def __init__(self, rows: int = ROWS, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setProperty("card", True)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Ignored)
        outer = vbox(self, margins=(14, 12, 14, 12), spacing=6)
        tip = (
            "The latest trades in this market. Green: a buyer took an offer (bought at the "
            "ask); red: a seller hit a bid."
        )
        grid = number_grid(outer, ("Time", "Price", "Size"), "Recent trades", tip)
        self.rows = [number_row(grid, row + 1, 3, muted=True) for row in range(rows)]
        self.empty_label = caption("No trades yet")
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        grid.addWidget(self.empty_label, 1, 0, 1, 3)
        self._grid = grid
        self._outer = outer
        self._title, self._head = _widget(outer.itemAt(0)), _widget(grid.itemAtPosition(0, 0))
        self._overhead = self._row_height = 0
        self.ensurePolished()  # the style sheet's fonts, so the rows are measured as shown
        self._measure()

    def _measure(self) -> None:
        """The height of the title and the column heads, and of one row, in this style."""
        outer, grid = self._outer, self._grid
        margins, frame = outer.contentsMargins(), self.contentsMargins()
        self._overhead = (
            margins.top()
            + margins.bottom()
            + frame.top()
            + frame.bottom()
            + self._title.sizeHint().height()
            + outer.spacing()
            + self._head.sizeHint().height()
        )
        self._row_height = self.rows[0][0].sizeHint().height() + grid.verticalSpacing()
        self.setMinimumHeight(self._overhead + MIN_ROWS * self._row_height)

    @property
    def shown_rows(self) -> int:
        """How many trade rows fit the card's height now."""
        return sum(1 for row in self.rows if not row[0].isHidden())

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.StyleChange, QEvent.Type.FontChange):
            self._measure()
        super().changeEvent(event)

    def resizeEvent(self, event: QResizeEvent) -> None:
        fits = max(0, (self.height() - self._overhead) // max(self._row_height, 1))
        for index, row in enumerate(self.rows):
            hidden = index >= fits
            if row[0].isHidden() != hidden:
                for label in row:
                    label.setHidden(hidden)
        super().resizeEvent(event)

    def set_trades(self, trades: Sequence[Trade]) -> None:
        """Show ``trades`` (newest first, as the adapter gives them)."""
        self.empty_label.setVisible(not trades)
        for i, (when, px, sz) in enumerate(self.rows):
            if i < len(trades):
                trade = trades[i]
                when.setText(format_clock(trade.time))
                px.setText(format_number(trade.px))
                sz.setText(format_number(trade.sz))
                set_flag(px, "role", "long" if trade.side.is_buy else "short")
                side = "Buy" if trade.side.is_buy else "Sell"
                tip = f"{side} {format_number(trade.sz)} at {format_number(trade.px)}"
                px.setToolTip(tip)
            else:
                for label in (when, px, sz):
                    label.setText("")

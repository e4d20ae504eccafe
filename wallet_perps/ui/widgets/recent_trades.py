"""Recent public trades: time, price coloured by the aggressor's side, size.

Why fixed label rows like the order book: the list is short, redrawn a few times a second,
and needs no scrolling or selection; a fixed grid costs nothing to update and does not jump.
Only the labels whose text or colour changed are touched, so a quiet market costs nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QWidget

from wallet_perps.core.display import format_clock, format_number
from wallet_perps.core.models import Trade
from wallet_perps.ui.kit import caption, number_grid, number_row, set_flag, vbox

__all__ = ["RecentTrades"]

ROWS = 12


class RecentTrades(QFrame):
    """The newest :data:`ROWS` trades of one market, newest on top."""

    def __init__(self, rows: int = ROWS, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setProperty("card", True)
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

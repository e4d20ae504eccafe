"""A compact L2 order book: asks above, spread in the middle, bids below.

Why plain labels in a grid and not a table view: a few dozen fixed rows redrawn a few times a
second need no model, no scrolling and no selection, and fixed rows keep the mid line still
while prices move, so the eye can stay on it.
"""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QLabel, QWidget

from wallet_perps.core.display import format_number, format_percent
from wallet_perps.core.models import BookLevel, L2Book
from wallet_perps.ui.kit import caption, number_grid, number_row, vbox

__all__ = ["OrderBook"]

LEVELS = 10


class OrderBook(QFrame):
    """Shows the top ``levels`` levels per side of an :class:`L2Book` (:data:`LEVELS`)."""

    def __init__(self, parent: QWidget | None = None, *, levels: int = LEVELS) -> None:
        super().__init__(parent)
        self.levels = levels
        self.setProperty("card", True)
        outer = vbox(self, margins=(14, 12, 14, 12))
        tip = (
            "Resting orders: asks (sellers, red) above, bids (buyers, green) below. Size is in "
            "coins; Total adds up the sizes from the middle outwards."
        )
        grid = number_grid(outer, ("Price", "Size", "Total"), "Order book", tip)
        # Asks: best ask nearest the middle, so row LEVELS is the best one.
        self.ask_rows = [number_row(grid, levels - i, 3, role="short") for i in range(levels)]
        self.spread_label = caption()
        self.spread_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.spread_label.setToolTip(
            "Gap between the best ask and the best bid: what an immediate round trip costs."
        )
        grid.addWidget(self.spread_label, levels + 1, 0, 1, 3)
        self.bid_rows = [number_row(grid, levels + 2 + i, 3, role="long") for i in range(levels)]

    def set_book(self, book: L2Book | None) -> None:
        """Redraw from ``book`` (None clears it)."""
        asks = book.asks if book is not None else ()
        bids = book.bids if book is not None else ()
        self._fill(self.ask_rows, asks)
        self._fill(self.bid_rows, bids)
        if book is not None and book.best_bid is not None and book.best_ask is not None:
            spread = book.best_ask.px - book.best_bid.px
            mid = (book.best_ask.px + book.best_bid.px) / 2
            pct = spread / mid * 100 if mid else Decimal(0)
            self.spread_label.setText(f"Spread {format_number(spread)} ({format_percent(pct, 3)})")
        else:
            self.spread_label.setText("No book yet" if book is None else "One side is empty")

    @staticmethod
    def _fill(rows: list[tuple[QLabel, ...]], levels: tuple[BookLevel, ...]) -> None:
        total = Decimal(0)
        for i, (px, sz, cum) in enumerate(rows):
            if i < len(levels):
                level = levels[i]
                total += level.sz
                px.setText(format_number(level.px))
                sz.setText(format_number(level.sz))
                cum.setText(format_number(total))
            else:
                for label in (px, sz, cum):
                    label.setText("")

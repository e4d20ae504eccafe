"""A compact L2 order book: asks above, spread in the middle, bids below.

Why plain labels in a grid and not a table view: a few dozen fixed rows redrawn a few times a
second need no model, no scrolling and no selection, and fixed rows keep the mid line still
while prices move, so the eye can stay on it.
"""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QVBoxLayout, QWidget

from wallet_perps.core.models import BookLevel, L2Book

__all__ = ["OrderBook"]

LEVELS = 10


def _num(value: Decimal) -> str:
    return f"{value.normalize():,f}"


class OrderBook(QFrame):
    """Shows the top ``levels`` levels per side of an :class:`L2Book` (:data:`LEVELS`)."""

    def __init__(self, parent: QWidget | None = None, *, levels: int = LEVELS) -> None:
        super().__init__(parent)
        self.levels = levels
        self.setProperty("card", True)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(14, 12, 14, 12)
        title = QLabel("Order book")
        title.setProperty("muted", True)
        title.setToolTip(
            "Resting orders: asks (sellers, red) above, bids (buyers, green) below. Size is in "
            "coins; Total adds up the sizes from the middle outwards."
        )
        outer.addWidget(title)
        grid = QGridLayout()
        grid.setVerticalSpacing(1)
        grid.setHorizontalSpacing(12)
        outer.addLayout(grid)
        outer.addStretch(1)
        mono = QFont("DejaVu Sans Mono")
        mono.setStyleHint(QFont.StyleHint.Monospace)
        for col, text in enumerate(("Price", "Size", "Total")):
            head = QLabel(text)
            head.setProperty("muted", True)
            head.setAlignment(Qt.AlignmentFlag.AlignRight)
            grid.addWidget(head, 0, col)

        def row_labels(row: int, role: str | None) -> tuple[QLabel, QLabel, QLabel]:
            cells = []
            for col in range(3):
                label = QLabel("")
                label.setFont(mono)
                label.setAlignment(Qt.AlignmentFlag.AlignRight)
                if role is not None and col == 0:
                    label.setProperty("role", role)
                grid.addWidget(label, row, col)
                cells.append(label)
            return cells[0], cells[1], cells[2]

        # Asks: best ask nearest the middle, so row LEVELS is the best one.
        self.ask_rows = [row_labels(levels - i, "short") for i in range(levels)]
        self.spread_label = QLabel("")
        self.spread_label.setProperty("muted", True)
        self.spread_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.spread_label.setToolTip(
            "Gap between the best ask and the best bid: what an immediate round trip costs."
        )
        grid.addWidget(self.spread_label, levels + 1, 0, 1, 3)
        self.bid_rows = [row_labels(levels + 2 + i, "long") for i in range(levels)]

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
            self.spread_label.setText(f"Spread {_num(spread)} ({pct:.3f}%)")
        else:
            self.spread_label.setText("No book yet" if book is None else "One side is empty")

    @staticmethod
    def _fill(rows: list[tuple[QLabel, QLabel, QLabel]], levels: tuple[BookLevel, ...]) -> None:
        total = Decimal(0)
        for i, (px, sz, cum) in enumerate(rows):
            if i < len(levels):
                level = levels[i]
                total += level.sz
                _set(px, _num(level.px))
                _set(sz, _num(level.sz))
                _set(cum, _num(total))
            else:
                for label in (px, sz, cum):
                    _set(label, "")


def _set(label: QLabel, text: str) -> None:
    """Only touch labels whose text changed: most levels stay put between two updates."""
    if label.text() != text:
        label.setText(text)

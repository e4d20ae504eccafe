"""Recent public trades: time, price coloured by the aggressor's side, size.

Why fixed label rows like the order book: the list is short, redrawn a few times a second,
and needs no scrolling or selection; a fixed grid costs nothing to update and does not jump.
Only the labels whose text or colour changed are touched, so a quiet market costs nothing.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from decimal import Decimal

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QVBoxLayout, QWidget

from wallet_perps.core.models import Trade

__all__ = ["RecentTrades"]

ROWS = 12


def _num(value: Decimal) -> str:
    return f"{value.normalize():,f}"


def _clock(ms: int) -> str:
    """Local wall-clock time of a trade: 14:03:27."""
    return time.strftime("%H:%M:%S", time.localtime(ms / 1000))


class RecentTrades(QFrame):
    """The newest :data:`ROWS` trades of one market, newest on top."""

    def __init__(self, rows: int = ROWS, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setProperty("card", True)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(14, 12, 14, 12)
        outer.setSpacing(6)
        title = QLabel("Recent trades")
        title.setProperty("muted", True)
        title.setToolTip(
            "The latest trades in this market. Green: a buyer took an offer (bought at the "
            "ask); red: a seller hit a bid."
        )
        outer.addWidget(title)
        grid = QGridLayout()
        grid.setVerticalSpacing(1)
        grid.setHorizontalSpacing(12)
        outer.addLayout(grid)
        outer.addStretch(1)
        mono = QFont("DejaVu Sans Mono")
        mono.setStyleHint(QFont.StyleHint.Monospace)
        for col, text in enumerate(("Time", "Price", "Size")):
            head = QLabel(text)
            head.setProperty("muted", True)
            head.setAlignment(Qt.AlignmentFlag.AlignRight)
            grid.addWidget(head, 0, col)
        self.rows: list[tuple[QLabel, QLabel, QLabel]] = []
        for row in range(rows):
            cells: list[QLabel] = []
            for col in range(3):
                label = QLabel("")
                label.setFont(mono)
                label.setAlignment(Qt.AlignmentFlag.AlignRight)
                if col == 0:
                    label.setProperty("muted", True)
                grid.addWidget(label, row + 1, col)
                cells.append(label)
            self.rows.append((cells[0], cells[1], cells[2]))
        self.empty_label = QLabel("No trades yet")
        self.empty_label.setProperty("muted", True)
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        grid.addWidget(self.empty_label, 1, 0, 1, 3)

    def set_trades(self, trades: Sequence[Trade]) -> None:
        """Show ``trades`` (newest first, as the adapter gives them)."""
        self.empty_label.setVisible(not trades)
        for i, (when, px, sz) in enumerate(self.rows):
            if i < len(trades):
                trade = trades[i]
                _set(when, _clock(trade.time))
                _set(px, _num(trade.px))
                _set(sz, _num(trade.sz))
                role = "long" if trade.side.is_buy else "short"
                if px.property("role") != role:
                    px.setProperty("role", role)
                    px.style().unpolish(px)
                    px.style().polish(px)
                tip = (
                    f"{'Buy' if trade.side.is_buy else 'Sell'} {_num(trade.sz)} at {_num(trade.px)}"
                )
                px.setToolTip(tip)
            else:
                for label in (when, px, sz):
                    _set(label, "")


def _set(label: QLabel, text: str) -> None:
    if label.text() != text:
        label.setText(text)

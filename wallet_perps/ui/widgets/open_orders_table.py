"""Open orders with a Cancel button on every row and a Cancel all above them.

Why the table is rebuilt only when the orders change: orders change on user actions and
fills, a few times a minute, while the page redraws several times a second for prices.
Comparing the tuple of orders first keeps those redraws free. Trigger orders (TP/SL) are
listed with their trigger condition, since they are the ones people forget are there.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import datetime
from typing import Final

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from wallet_perps.core.display import format_clock, format_day_time, format_price, format_size
from wallet_perps.core.orders import OpenOrder, executes_at_market, order_type_words
from wallet_perps.ui.kit import caption, error_text, fit_widths, hbox, theme_colours, title, vbox

__all__ = ["OpenOrdersTable"]

_HEADERS: Final = (
    ("Coin", "The market of the order."),
    ("Side", "Buy orders add to a long or reduce a short; sell orders the opposite."),
    ("Type", "Limit orders rest on the book; TP/SL orders wait for their trigger price."),
    (
        "Price",
        'Limit price: the worst price the order accepts. "Market": it fills at the market '
        "when it runs (hover for its worst accepted price).",
    ),
    ("Size", "What is still to be filled."),
    ("Filled", "What has already been filled of the original size."),
    ("Trigger", "For take-profit and stop-loss orders: the mark price that sets them off."),
    ("Reduces", "Reduce only: the order can only shrink a position, never grow or flip it."),
    ("Time", "When the order was placed (your local time)."),
    ("", ""),
)
_CANCEL_COLUMN: Final = len(_HEADERS) - 1
_ROW_HEIGHT: Final = 38
_COLUMN_GAP: Final = 14
_BUTTON_WIDTH: Final = 84


def _time_text(ms: int) -> str:
    """``14:03:22`` for today, ``Mar 4 14:03`` for earlier days (local time)."""
    today = datetime.fromtimestamp(ms / 1000).date() == datetime.fromtimestamp(time.time()).date()
    return format_clock(ms) if today else format_day_time(ms)


def _trigger_text(order: OpenOrder) -> str:
    """ "above $104,760" from the venue's "Price above 104760": the trigger as a price."""
    if not order.is_trigger or not order.trigger_px:
        return "—"
    condition = (order.trigger_condition or "").lower()
    price = format_price(order.trigger_px)
    for word in ("above", "below"):
        if word in condition:
            return f"{word} {price}"
    return price


def _price_text(order: OpenOrder) -> tuple[str, str]:
    """The Price cell and its tooltip: a market order's limit is only its worst price."""
    if executes_at_market(order):
        return (
            "Market",
            f"Fills at the market; the worst price it accepts is {format_price(order.limit_px)}.",
        )
    return format_price(order.limit_px), _HEADERS[3][1]


class OpenOrdersTable(QFrame):
    """A card: title, Cancel all, an inline error line and the orders.

    ``cancel_requested(oid, coin)`` and ``cancel_all_requested()`` ask the page to act;
    ``cancel_buttons[oid]`` is the row's button and ``orders`` what is shown.
    """

    cancel_requested = Signal(object, str)  # oid (an int that may exceed 32 bits), coin
    cancel_all_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setProperty("card", True)
        self.orders: tuple[OpenOrder, ...] = ()
        self.cancel_buttons: dict[int, QPushButton] = {}
        self._cancelling: set[int] = set()
        self._cancelling_all = False
        self._shown: tuple[tuple[OpenOrder, ...], bool] | None = None
        self._natural: list[int] = []  # column widths that show every cell in full

        layout = vbox(self, margins=(16, 12, 16, 12), spacing=8)
        head = QHBoxLayout()
        self.title_label = title("Open orders")
        head.addWidget(self.title_label)
        head.addStretch(1)
        self.cancel_all_button = QPushButton("Cancel all")
        self.cancel_all_button.setToolTip(
            "Cancel every open order, take-profit and stop-loss orders included."
        )
        self.cancel_all_button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.cancel_all_button.clicked.connect(self.cancel_all_requested)
        head.addWidget(self.cancel_all_button)
        layout.addLayout(head)

        self.error_label = error_text(selectable=True)
        layout.addWidget(self.error_label)

        self.empty_label = caption("No open orders.")
        layout.addWidget(self.empty_label)

        self.table = QTableWidget(0, len(_HEADERS))
        for column, (name, tip) in enumerate(_HEADERS):
            item = QTableWidgetItem(name)
            item.setToolTip(tip)
            self.table.setHorizontalHeaderItem(column, item)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(_ROW_HEIGHT)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.table.setShowGrid(False)
        self.table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        layout.addWidget(self.table)
        self._fit_height()

    # ------------------------------------------------------------------ updates

    def set_orders(self, orders: Sequence[OpenOrder], stale: bool = False) -> None:
        """Show ``orders`` (oldest first); nothing is rebuilt when they did not change."""
        orders = tuple(orders)
        self._cancelling &= {o.oid for o in orders}
        self.cancel_all_button.setEnabled(bool(orders) and not self._cancelling_all)
        self.empty_label.setVisible(not orders)
        self.table.setVisible(bool(orders))
        key = (orders, stale)
        if key == self._shown:
            return
        self._shown = key
        self.orders = orders
        colours = theme_colours(self)
        muted = colours["muted"] if stale else None
        self.table.setRowCount(len(orders))
        self.cancel_buttons = {}
        for row, order in enumerate(orders):
            filled = order.filled_sz
            cells = (
                order.coin,
                "Buy" if order.side.is_buy else "Sell",
                order_type_words(order),
                _price_text(order)[0],
                format_size(order.sz),
                format_size(filled) if filled is not None else "—",
                _trigger_text(order),
                "Yes" if order.reduce_only else "No",
                _time_text(order.timestamp),
            )
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(_price_text(order)[1] if column == 3 else _HEADERS[column][1])
                if column == 1 and muted is None:
                    item.setForeground(QColor(colours["long" if order.side.is_buy else "short"]))
                elif muted is not None:
                    item.setForeground(QColor(muted))
                self.table.setItem(row, column, item)
            button = QPushButton("Cancelling…" if order.oid in self._cancelling else "Cancel")
            button.setEnabled(order.oid not in self._cancelling)
            button.setToolTip(f"Cancel this {order.coin} order.")
            button.setCursor(Qt.CursorShape.PointingHandCursor)
            button.setFixedWidth(_BUTTON_WIDTH)
            button.clicked.connect(
                lambda _=False, oid=order.oid, coin=order.coin: self._cancel(oid, coin)
            )
            holder = QWidget()
            holder.setObjectName("CancelCell")
            # The theme paints every QWidget with the page background; a cell shows the table's.
            holder.setStyleSheet("#CancelCell { background: transparent; }")
            holder_layout = hbox(holder, margins=(4, 2, 4, 2))
            holder_layout.addWidget(button)
            holder_layout.addStretch(1)
            self.table.setCellWidget(row, _CANCEL_COLUMN, holder)
            self.cancel_buttons[order.oid] = button
        self.table.resizeColumnsToContents()
        self._natural = [
            self.table.columnWidth(column) + _COLUMN_GAP for column in range(_CANCEL_COLUMN)
        ]
        self._fit_width()
        self._fit_height()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_width()

    def _fit_width(self) -> None:
        """Columns at their contents' width, shrunk in proportion (never below their header)
        when the card is narrower, so the Cancel buttons stay in view without sideways
        scrolling."""
        if not self._natural:
            return
        available = self.table.viewport().width() - (_BUTTON_WIDTH + 12)
        metrics = self.table.horizontalHeader().fontMetrics()
        floors = [
            metrics.horizontalAdvance(_HEADERS[c][0]) + _COLUMN_GAP for c in range(_CANCEL_COLUMN)
        ]
        for column, width in enumerate(fit_widths(self._natural, floors, available)):
            self.table.setColumnWidth(column, width)

    def _fit_height(self) -> None:
        """No inner scroll bar: the page scrolls, so the table is as tall as its rows."""
        header = self.table.horizontalHeader().sizeHint().height()
        self.table.setFixedHeight(header + _ROW_HEIGHT * self.table.rowCount() + 4)

    def _cancel(self, oid: int, coin: str) -> None:
        button = self.cancel_buttons.get(oid)
        if button is not None:
            button.setText("Cancelling…")
            button.setEnabled(False)
        self._cancelling.add(oid)
        self.cancel_requested.emit(oid, coin)

    def cancel_done(self, oid: int) -> None:
        """The venue answered for ``oid``: give its button back (if the order is still there)."""
        self._cancelling.discard(oid)
        button = self.cancel_buttons.get(oid)
        if button is not None:
            button.setText("Cancel")
            button.setEnabled(True)

    def set_cancelling_all(self, busy: bool) -> None:
        self._cancelling_all = busy
        self.cancel_all_button.setText("Cancelling…" if busy else "Cancel all")
        self.cancel_all_button.setEnabled(not busy and bool(self.orders))

    def show_error(self, text: str) -> None:
        self.error_label.setText(text)
        self.error_label.setVisible(bool(text))

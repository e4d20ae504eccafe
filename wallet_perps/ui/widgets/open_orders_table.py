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
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from wallet_perps.core.orders import OpenOrder
from wallet_perps.ui.widgets.liq_gauge import theme_colours
from wallet_perps.ui.widgets.order_ticket import format_price, format_size

__all__ = ["OpenOrdersTable"]

_HEADERS: Final = (
    ("Coin", "The market of the order."),
    ("Side", "Buy orders add to a long or reduce a short; sell orders the opposite."),
    ("Type", "Limit orders rest on the book; TP/SL orders wait for their trigger price."),
    ("Price", "Limit price: the worst price the order accepts when it executes."),
    ("Size", "What is still to be filled."),
    ("Filled", "What has already been filled of the original size."),
    ("Trigger", "For take-profit and stop-loss orders: the mark price that sets them off."),
    ("Reduce only", "A reduce-only order can only shrink a position, never grow or flip it."),
    ("Time", "When the order was placed (your local time)."),
    ("", ""),
)
_CANCEL_COLUMN: Final = len(_HEADERS) - 1
_ROW_HEIGHT: Final = 38
_COLUMN_GAP: Final = 18
_BUTTON_WIDTH: Final = 110


def _time_text(ms: int) -> str:
    """``14:03:22`` for today, ``Mar 4 14:03`` for earlier days (local time)."""
    when = datetime.fromtimestamp(ms / 1000)
    if when.date() == datetime.fromtimestamp(time.time()).date():
        return when.strftime("%H:%M:%S")
    return when.strftime("%b %d %H:%M")


def _trigger_text(order: OpenOrder) -> str:
    if not order.is_trigger:
        return "—"
    condition = order.trigger_condition
    if condition and condition != "N/A":
        return condition
    return format_price(order.trigger_px) if order.trigger_px else "—"


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

        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.setSpacing(8)
        head = QHBoxLayout()
        self.title_label = QLabel("Open orders")
        self.title_label.setProperty("role", "title")
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

        self.error_label = QLabel()
        self.error_label.setObjectName("ErrorText")
        self.error_label.setWordWrap(True)
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error_label.hide()
        layout.addWidget(self.error_label)

        self.empty_label = QLabel("No open orders.")
        self.empty_label.setProperty("muted", True)
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
                order.order_type or "Limit",
                format_price(order.limit_px),
                format_size(order.sz),
                format_size(filled) if filled is not None else "—",
                _trigger_text(order),
                "Yes" if order.reduce_only else "No",
                _time_text(order.timestamp),
            )
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(_HEADERS[column][1])
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
            holder_layout = QHBoxLayout(holder)
            holder_layout.setContentsMargins(4, 2, 4, 2)
            holder_layout.addWidget(button)
            holder_layout.addStretch(1)
            self.table.setCellWidget(row, _CANCEL_COLUMN, holder)
            self.cancel_buttons[order.oid] = button
        self.table.resizeColumnsToContents()
        for column in range(_CANCEL_COLUMN):
            self.table.setColumnWidth(column, self.table.columnWidth(column) + _COLUMN_GAP)
        self._fit_height()

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

"""A read-only table whose cells are formatted only when Qt paints them.

Why not QTableWidget: history tables hold thousands of fills and funding payments and are
refreshed while the account streams. Creating an item per cell on every refresh would block the
event loop far beyond a frame; a model that keeps the row objects and formats a cell on demand
costs nothing for the rows off screen. When the number of rows does not change the model only
announces changed data, so the user's selection and scroll position survive live updates.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Generic, TypeVar

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from wallet_perps.ui.theme import palette
from wallet_perps.ui.widgets.order_ticket import format_usd

__all__ = [
    "RecordColumn",
    "RecordModel",
    "RecordTable",
    "format_local_time",
    "format_small_usd",
]

R = TypeVar("R")
_Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class RecordColumn(Generic[R]):
    """How one column shows a row: its text, an optional colour role, a tooltip.

    ``tone`` returns "long" (green), "short" (red), "muted" or None for the default colour.
    """

    title: str
    text: Callable[[R], str]
    tip: str = ""
    numeric: bool = False
    tone: Callable[[R], str | None] | None = None


class RecordModel(QAbstractTableModel, Generic[R]):
    """Rows of any object, shown through :class:`RecordColumn` formatters."""

    def __init__(self, columns: Sequence[RecordColumn[R]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._columns = tuple(columns)
        self._rows: tuple[R, ...] = ()
        colours = palette("system")
        self._tones = {
            "long": QColor(colours["long"]),
            "short": QColor(colours["short"]),
            "muted": QColor(colours["muted"]),
        }

    @property
    def rows(self) -> tuple[R, ...]:
        return self._rows

    def set_rows(self, rows: Sequence[R]) -> None:
        """Replace the rows; keeps selection when only values changed (same row count)."""
        new = tuple(rows)
        if len(new) == len(self._rows) and new:
            self._rows = new
            last = self.index(len(new) - 1, len(self._columns) - 1)
            self.dataChanged.emit(self.index(0, 0), last)
            return
        if not new and not self._rows:
            return
        self.beginResetModel()
        self._rows = new
        self.endResetModel()

    def text(self, row: int, column: int) -> str:
        """The text a cell shows (what a user reads; used by tests too)."""
        return self._columns[column].text(self._rows[row])

    def column_index(self, title: str) -> int:
        for i, column in enumerate(self._columns):
            if column.title == title:
                return i
        raise KeyError(title)

    # ------------------------------------------------------------------ Qt model API

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._columns)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        column = self._columns[index.column()]
        row = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return column.text(row)
        if role == Qt.ItemDataRole.ToolTipRole:
            return column.tip or None
        if role == Qt.ItemDataRole.TextAlignmentRole:
            horizontal = (
                Qt.AlignmentFlag.AlignRight if column.numeric else Qt.AlignmentFlag.AlignLeft
            )
            return int(horizontal | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole and column.tone is not None:
            tone = column.tone(row)
            return self._tones.get(tone) if tone else None
        return None

    def headerData(
        self,
        section: int,
        orientation: Qt.Orientation,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self._columns):
            return None
        column = self._columns[section]
        if role == Qt.ItemDataRole.DisplayRole:
            return column.title
        if role == Qt.ItemDataRole.ToolTipRole:
            return column.tip or None
        if role == Qt.ItemDataRole.TextAlignmentRole:
            horizontal = (
                Qt.AlignmentFlag.AlignRight if column.numeric else Qt.AlignmentFlag.AlignLeft
            )
            return int(horizontal | Qt.AlignmentFlag.AlignVCenter)
        return None


class RecordTable(QTableView, Generic[R]):
    """A row-selecting, non-editable view over a :class:`RecordModel`."""

    def __init__(self, columns: Sequence[RecordColumn[R]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.records: RecordModel[R] = RecordModel(columns, self)
        self.setModel(self.records)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAlternatingRowColors(True)
        self.setShowGrid(False)
        self.setWordWrap(False)
        self.verticalHeader().setVisible(False)
        self.verticalHeader().setDefaultSectionSize(28)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        header.setHighlightSections(False)

    def fit_columns(self) -> None:
        """Size columns to their contents once (cheap on small tables, done on first data)."""
        self.resizeColumnsToContents()

    def selected_row(self) -> int | None:
        rows = self.selectionModel().selectedRows()
        return rows[0].row() if rows else None


def format_local_time(time_ms: int) -> str:
    """A venue timestamp in the user's local time, to the second: ``2025-01-31 14:00:05``."""
    return datetime.fromtimestamp(time_ms / 1000).strftime("%Y-%m-%d %H:%M:%S")


def format_small_usd(value: Decimal) -> str:
    """Dollars with enough places for funding-sized amounts: ``-$0.0025`` (two from $1 up)."""
    return format_usd(value, 2 if abs(value) >= 1 or value == 0 else 4)

"""A read-only table whose cells are formatted only when Qt paints them.

Why not QTableWidget: history tables hold thousands of fills and funding payments and are
refreshed while the account streams. Creating an item per cell on every refresh would block the
event loop far beyond a frame; a model that keeps the row objects and formats a cell on demand
costs nothing for the rows off screen. When the number of rows does not change the model only
announces changed data, so the user's selection and scroll position survive live updates.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from PySide6.QtCore import (
    QAbstractTableModel,
    QEvent,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QColor, QResizeEvent
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from wallet_perps.ui.kit import HEADER_PADDING, fit_widths, theme_colours
from wallet_perps.ui.theme import palette

__all__ = [
    "RecordColumn",
    "RecordModel",
    "RecordTable",
]

R = TypeVar("R")
#: How narrow an id or hash column gets first when the table must fit (its text is elided).
SQUEEZED_WIDTH = 96
#: How narrow it may get then, if the table still does not fit (never below its header).
_MIN_WIDTH = 56
#: Rows measured for a column's width (enough to be representative, cheap on long tables).
_MEASURED_ROWS = 200
#: Room a cell needs beyond its text (the style's padding on both sides).
_CELL_PADDING = 20
_Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class RecordColumn(Generic[R]):
    """How one column shows a row: its text, an optional colour role, a tooltip.

    ``tone`` returns "long" (green), "short" (red), "muted" or None for the default colour.
    ``squeeze`` marks a column that gives way first when the table is too narrow (ids and
    hashes: copied, not read), shown elided in the middle.
    """

    title: str
    text: Callable[[R], str]
    tip: str = ""
    numeric: bool = False
    tone: Callable[[R], str | None] | None = None
    squeeze: bool = False


class RecordModel(QAbstractTableModel, Generic[R]):
    """Rows of any object, shown through :class:`RecordColumn` formatters."""

    def __init__(self, columns: Sequence[RecordColumn[R]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.columns: tuple[RecordColumn[R], ...] = tuple(columns)
        self._rows: tuple[R, ...] = ()
        self._tones: dict[str, QColor] = {}
        self.set_tones(palette("system"))

    @property
    def rows(self) -> tuple[R, ...]:
        return self._rows

    def set_tones(self, colours: Mapping[str, str]) -> None:
        """The long/short/muted text colours of the theme the table is drawn in."""
        tones = {key: QColor(colours[key]) for key in ("long", "short", "muted")}
        if tones != self._tones:
            self._tones = tones
            if self._rows:
                last = self.index(len(self._rows) - 1, len(self.columns) - 1)
                self.dataChanged.emit(self.index(0, 0), last, [Qt.ItemDataRole.ForegroundRole])

    def set_rows(self, rows: Sequence[R]) -> None:
        """Replace the rows; keeps selection when only values changed (same row count)."""
        new = tuple(rows)
        if len(new) == len(self._rows) and new:
            self._rows = new
            last = self.index(len(new) - 1, len(self.columns) - 1)
            self.dataChanged.emit(self.index(0, 0), last)
            return
        if not new and not self._rows:
            return
        self.beginResetModel()
        self._rows = new
        self.endResetModel()

    def text(self, row: int, column: int) -> str:
        """The text a cell shows (what a user reads; used by tests too)."""
        return self.columns[column].text(self._rows[row])

    def column_index(self, title: str) -> int:
        for i, column in enumerate(self.columns):
            if column.title == title:
                return i
        raise KeyError(title)

    # ------------------------------------------------------------------ Qt model API

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        column = self.columns[index.column()]
        row = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return column.text(row)
        if role == Qt.ItemDataRole.ToolTipRole:
            if column.squeeze:  # an elided id or hash: the whole of it on hover
                return column.text(row)
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
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self.columns):
            return None
        column = self.columns[section]
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
        self.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self._natural: list[int] = []  # column widths that show every cell in full
        # New rows (a count change resets the model) may be wider than the measured ones:
        # "FARTCOIN" arrived after the first ten markets and was cut to "FAR…OIN".
        self.records.modelReset.connect(self._remeasure)
        self.verticalHeader().setVisible(False)
        self.verticalHeader().setDefaultSectionSize(28)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        header.setHighlightSections(False)
        self.fit_columns()  # the headers' widths until the first rows arrive

    def fit_columns(self) -> None:
        """Size columns to their contents, then fit the table's width without sideways scrolling.

        When the contents are wider than the view, the ``squeeze`` columns (ids, hashes) give
        way first, down to :data:`SQUEEZED_WIDTH`, then to ``_MIN_WIDTH`` (their full text stays
        in the tooltip and the CSV); then every column shrinks in proportion, none ever below its
        header's width, so the columns that matter keep their words ("Side", "Open Short")
        instead of "Se…".
        """
        self._natural = self._measure()
        self._apply_fit()

    def _measure(self) -> list[int]:
        """Each column's width for its longest text among the first rows, and its header.

        Measured from the model, not with Qt's ``sizeHintForColumn``: that one looks only at
        rows on screen, so a table filled while its page was hidden came out header-wide and
        every cell was elided ("S…l", "Open…hort").
        """
        self.ensurePolished()  # the style sheet's monospace font, even before it is shown
        metrics = self.fontMetrics()
        header = self.horizontalHeader()
        header.ensurePolished()
        model = self.records
        rows = min(model.rowCount(), _MEASURED_ROWS)
        widths: list[int] = []
        for c in range(model.columnCount()):
            texts = (model.data(model.index(r, c)) for r in range(rows))
            widest = max((metrics.horizontalAdvance(str(t)) for t in texts if t), default=0)
            widths.append(max(widest + _CELL_PADDING, header.sectionSizeHint(c)))
        return widths

    def _remeasure(self) -> None:
        if self._natural:
            self._natural = self._measure()
            self._apply_fit()

    def changeEvent(self, event: QEvent) -> None:
        """A new theme (style sheet or palette): the tone colours follow it."""
        super().changeEvent(event)
        if event.type() in (QEvent.Type.StyleChange, QEvent.Type.PaletteChange):
            self.records.set_tones(theme_colours(self))

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Refit to the new width from the measured contents (no re-measuring per resize)."""
        super().resizeEvent(event)
        if self._natural:
            self._apply_fit()

    def _apply_fit(self) -> None:
        columns = self.records.columns
        count = len(columns)
        available = self.viewport().width()
        bar = self.verticalScrollBar()
        if not bar.isVisible():  # rows still to come would bring it and narrow the view
            available -= bar.sizeHint().width()
        if count == 0 or available <= 0 or len(self._natural) != count:
            return
        metrics = self.horizontalHeader().fontMetrics()
        floors = [metrics.horizontalAdvance(column.title) + HEADER_PADDING for column in columns]
        # Ids and hashes give way first: to SQUEEZED_WIDTH, then to _MIN_WIDTH (never below
        # their header).
        squeeze = [(c, SQUEEZED_WIDTH, _MIN_WIDTH) for c, col in enumerate(columns) if col.squeeze]
        for c, width in enumerate(fit_widths(self._natural, floors, available, squeeze)):
            self.setColumnWidth(c, width)

    def selected_row(self) -> int | None:
        rows = self.selectionModel().selectedRows()
        return rows[0].row() if rows else None

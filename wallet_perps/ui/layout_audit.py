"""What does not fit: widgets outside the window, sideways scrolling, clipped column headers.

Why in the package (not only in the tests): the screenshot script and the tests ask the same
question of the real window at a real size (1280x800, 1366x768), and the answer must be one
rule. The rule: every visible widget lies inside the window; inside a scroll area it may run
past the bottom (pages scroll vertically) but never past the sides; no scroll area shows a
horizontal scrollbar; every table's column header has room for its whole text.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtWidgets import QAbstractScrollArea, QHeaderView, QTableView, QWidget

from wallet_perps.ui.kit import HEADER_PADDING

__all__ = ["Misfit", "misfits"]

#: Pixels of slack for borders and anti-aliasing at the edges.
_SLACK = 1


@dataclass(frozen=True, slots=True)
class Misfit:
    """One thing that does not fit, named so a person can find it on screen."""

    where: str
    what: str

    def __str__(self) -> str:
        return f"{self.where}: {self.what}"


def _name(widget: QWidget) -> str:
    parts: list[str] = []
    current: QWidget | None = widget
    while current is not None and len(parts) < 4:
        label = current.objectName() or type(current).__name__
        text = getattr(current, "text", None)
        if callable(text):
            try:
                shown = str(text())
            except TypeError:
                shown = ""
            if shown:
                label += f"({shown[:24]!r})"
        parts.append(label)
        current = current.parentWidget()
    return " < ".join(parts)


def _rect_in(window: QWidget, widget: QWidget) -> QRect:
    return QRect(widget.mapTo(window, QPoint(0, 0)), widget.size())


def _scroll_parent(widget: QWidget) -> QAbstractScrollArea | None:
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, QAbstractScrollArea):
            return parent
        parent = parent.parentWidget()
    return None


def misfits(window: QWidget) -> list[Misfit]:
    """Everything in ``window`` (as it is shown now) that breaks the rule above."""
    found: list[Misfit] = []
    frame = window.rect()
    for widget in window.findChildren(QWidget):
        if not widget.isVisible() or widget.window() is not window or widget.width() <= 0:
            continue
        rect = _rect_in(window, widget)
        area = _scroll_parent(widget)
        if area is not None:
            viewport = _rect_in(window, area.viewport())
            inner = area.viewport().isAncestorOf(widget)
            if inner and (
                rect.left() < viewport.left() - _SLACK or rect.right() > viewport.right() + _SLACK
            ):
                found.append(Misfit(_name(widget), f"runs past the sides of {_name(area)}"))
                continue
        elif not frame.adjusted(-_SLACK, -_SLACK, _SLACK, _SLACK).contains(rect):
            found.append(Misfit(_name(widget), f"lies outside the window ({rect} vs {frame})"))
            continue
        if isinstance(widget, QAbstractScrollArea) and widget.horizontalScrollBar().isVisible():
            found.append(Misfit(_name(widget), "scrolls sideways"))
        if isinstance(widget, QTableView):  # item tables and model views (RecordTable) alike
            found += _clipped_headers(widget)
    return found


def _clipped_headers(table: QTableView) -> list[Misfit]:
    header: QHeaderView = table.horizontalHeader()
    model = table.model()
    if not header.isVisible() or model is None:
        return []
    metrics = header.fontMetrics()
    found: list[Misfit] = []
    for column in range(model.columnCount()):
        text = model.headerData(column, Qt.Orientation.Horizontal)
        if header.isSectionHidden(column) or not isinstance(text, str) or not text:
            continue
        needed = metrics.horizontalAdvance(text) + HEADER_PADDING
        if header.sectionSize(column) < needed:
            found.append(
                Misfit(
                    _name(table),
                    f"column {text!r} is {header.sectionSize(column)} px, "
                    f"its header needs {needed} px",
                )
            )
    return found

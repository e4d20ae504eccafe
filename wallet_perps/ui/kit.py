"""The pages' small building blocks, written once: cards, captions, titles, style flags, the
monospace font, coalesced redraws, tasks scoped to a widget, and the theme's colours.

Why a kit: every page built these by hand, and the copies drifted (two card paddings for the
same look, two thresholds for "is this the light theme", a style flag re-polished on every
call here and only on change there). The look itself stays in the style sheets
(``wallet_perps/resources/*.qss``): these helpers only set the properties the sheets match on
(``card``, ``muted``, ``role``), so a page built with them looks exactly as before.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Mapping, Sequence
from typing import Any, Final, TypeVar, overload

import shiboken6
from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QFont, QPalette
from PySide6.QtWidgets import (
    QBoxLayout,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from wallet_perps.ui.theme import DARK, LIGHT

__all__ = [
    "CARD_MARGINS",
    "HEADER_PADDING",
    "MONO_CSS",
    "MONO_FAMILY",
    "NO_MARGINS",
    "WIDE_CARD_MARGINS",
    "CoalescedRedraw",
    "Stat",
    "TaskScope",
    "alive",
    "caption",
    "caption_rows",
    "card",
    "column",
    "error_text",
    "fit_widths",
    "footer_buttons",
    "hbox",
    "mono_font",
    "number_grid",
    "number_row",
    "repolish",
    "set_flag",
    "theme_colour",
    "theme_colours",
    "title",
    "vbox",
    "vertical_scroll",
]

log = logging.getLogger(__name__)
T = TypeVar("T")
Margins = tuple[int, int, int, int]

#: A card's inner padding (left, top, right, bottom) on the data pages.
CARD_MARGINS: Final[Margins] = (16, 12, 16, 12)
#: Room a table's header section needs beyond its title: the sheet's ``QHeaderView::section``
#: padding (6 px) on both sides. Tables size their columns by it; the layout audit checks it.
HEADER_PADDING: Final = 12
#: No padding: the widget sits flush in whatever holds it.
NO_MARGINS: Final[Margins] = (0, 0, 0, 0)
#: The roomier padding of the Wallet and Settings cards (fewer, calmer blocks of text).
WIDE_CARD_MARGINS: Final[Margins] = (20, 16, 20, 16)
#: The one monospace family, for numbers that must line up (books, trades, addresses).
MONO_FAMILY: Final = "DejaVu Sans Mono"
#: The same family for style sheets and rich text (``style="…"``).
MONO_CSS: Final = f"font-family: '{MONO_FAMILY}', monospace;"
#: Window lightness (0–255) from which the light palette is assumed: the midpoint. The two
#: themes' backgrounds are far on either side (dark ≈ 24, light ≈ 247).
_LIGHT_FROM: Final = 128

# ------------------------------------------------------------------------------- widgets


def vbox(
    owner: QWidget, *, margins: Margins = NO_MARGINS, spacing: int | None = None
) -> QVBoxLayout:
    """``owner``'s column layout with its padding and (unless None: the style's) spacing.

    No padding by default: the card or dialog around a widget owns the padding, so widgets
    nested in it line up.
    """
    layout = QVBoxLayout(owner)
    _space(layout, margins, spacing)
    return layout


def hbox(
    owner: QWidget, *, margins: Margins = NO_MARGINS, spacing: int | None = None
) -> QHBoxLayout:
    """``owner``'s row layout, padded and spaced like :func:`vbox`."""
    layout = QHBoxLayout(owner)
    _space(layout, margins, spacing)
    return layout


def _space(layout: QBoxLayout, margins: Margins, spacing: int | None) -> None:
    layout.setContentsMargins(*margins)
    if spacing is not None:
        layout.setSpacing(spacing)


def card(*, margins: Margins = CARD_MARGINS, spacing: int | None = 8) -> tuple[QFrame, QVBoxLayout]:
    """A rounded card (``QFrame[card="true"]`` in the sheet) and its column layout.

    ``spacing=None`` leaves the style's default spacing between rows.
    """
    frame = QFrame()
    frame.setProperty("card", True)
    return frame, vbox(frame, margins=margins, spacing=spacing)


def fit_widths(
    natural: Sequence[int],
    floors: Sequence[int],
    available: int,
    squeeze_first: Sequence[tuple[int, int, int]] = (),
) -> list[int]:
    """Column widths that fit ``available`` pixels: the one rule every table follows.

    Each column wants its ``natural`` width (its widest content) and never goes below its
    ``floor`` (its header text). Columns named in ``squeeze_first`` as (index, first, last)
    give way before the others: all of them down to ``first`` pixels, then all down to
    ``last`` (never below their floor); they are ids and hashes, shown in full on hover. Then
    every column gives up the same share of what it has above its floor. Pure arithmetic, so
    it is tested without a widget; a table too narrow for all its floors keeps the floors
    (the layout audit reports it).
    """
    widths = list(natural)
    excess = sum(widths) - available
    for step in (1, 2):
        for c, first, last in squeeze_first:
            lowest = max(first if step == 1 else last, floors[c])
            if excess > 0 and widths[c] > lowest:
                cut = min(widths[c] - lowest, excess)
                widths[c] -= cut
                excess -= cut
    if excess > 0:
        room = sum(max(0, w - f) for w, f in zip(widths, floors, strict=True))
        if room > 0:
            share = min(1.0, excess / room)
            widths = [
                w - int((w - f) * share) if w > f else w
                for w, f in zip(widths, floors, strict=True)
            ]
    return widths


def vertical_scroll(widget: QWidget, name: str = "") -> QScrollArea:
    """A frameless scroll area around ``widget`` that scrolls down, never sideways.

    Never sideways is the layout rule (``layout_audit``): a column that is too tall for a
    small screen scrolls; one too wide is a layout bug to fix, not to hide.
    """
    scroll = QScrollArea()
    if name:
        scroll.setObjectName(name)
    scroll.setWidget(widget)
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QFrame.Shape.NoFrame)
    scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    return scroll


#: A footer button: its text and what a click does.
Action = tuple[str, Callable[[], object]]


@overload
def footer_buttons(
    layout: QBoxLayout, back: Action, primary: Action, *, default: bool = ..., apart: bool = ...
) -> tuple[QPushButton, QPushButton]: ...
@overload
def footer_buttons(
    layout: QBoxLayout, back: None, primary: Action, *, default: bool = ..., apart: bool = ...
) -> tuple[None, QPushButton]: ...
def footer_buttons(
    layout: QBoxLayout,
    back: Action | None,
    primary: Action,
    *,
    default: bool = True,
    apart: bool = False,
) -> tuple[QPushButton | None, QPushButton]:
    """A dialog's footer: the way back (Cancel, Back; None for none), then the primary action.

    Both sit at the right, unless ``apart`` puts the way back at the far left (a wizard's
    Back, away from the step forward). Enter presses the primary button (the dialog's default,
    unless ``default`` is False: a dialog has one default, so a later step's button takes
    Enter by focus instead); the way back never takes Enter, so a user confirming with the
    keyboard cannot cancel by accident. Returns (the way back, the primary button).
    """
    row = QHBoxLayout()
    if not apart:
        row.addStretch(1)
    back_button = None
    if back is not None:
        back_text, on_back = back
        back_button = QPushButton(back_text)
        back_button.setAutoDefault(False)
        back_button.clicked.connect(on_back)
        row.addWidget(back_button)
    if apart:
        row.addStretch(1)
    primary_text, on_primary = primary
    primary_button = QPushButton(primary_text)
    primary_button.setProperty("kind", "primary")
    primary_button.setDefault(default)
    primary_button.clicked.connect(on_primary)
    row.addWidget(primary_button)
    layout.addLayout(row)
    return back_button, primary_button


def column(spacing: int | None = None) -> tuple[QWidget, QVBoxLayout]:
    """A plain widget with a margin-less vertical layout: one step of a dialog or a page.

    The dialog or card around it owns the padding, so steps swapped in a stack line up.
    """
    widget = QWidget()
    return widget, vbox(widget, spacing=spacing)


def caption(text: str = "", tip: str = "", *, wrap: bool = False) -> QLabel:
    """A muted label: the name over or beside a number, a quiet note."""
    return _label(text, tip, wrap, muted=True)


def title(text: str = "", tip: str = "", *, wrap: bool = False) -> QLabel:
    """A card's or a page's heading (``QLabel[role="title"]``)."""
    return _label(text, tip, wrap, role="title")


def error_text(*, selectable: bool = False) -> QLabel:
    """A red line for a refusal next to its field (``#ErrorText``), hidden until it has one.

    ``selectable`` lets the user copy the venue's words into a support request.
    """
    label = QLabel()
    label.setObjectName("ErrorText")
    label.setWordWrap(True)
    if selectable:
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.hide()
    return label


class Stat(QWidget):
    """A muted caption over a value ("—" until set), with a muted ``note`` under it if asked,
    all three explained on hover: a figure of the Trade page's header or the Wallet card."""

    def __init__(self, text: str, tip: str, *, note: bool = False) -> None:
        super().__init__()
        layout = vbox(self, spacing=2)
        self.value = QLabel("—")
        self.note = caption()
        for label in (caption(text), self.value, self.note):
            label.setToolTip(tip)
            layout.addWidget(label)
        if not note:
            self.note.hide()


def number_grid(
    layout: QVBoxLayout, heads: Sequence[str], title: str = "", tip: str = ""
) -> QGridLayout:
    """Under an optional muted ``title``, a tight grid for columns of numbers (the book, the
    trades) with muted right-aligned ``heads`` in row 0; a stretch below keeps it at the top."""
    if title:
        layout.addWidget(caption(title, tip))
    grid = QGridLayout()
    grid.setVerticalSpacing(1)
    grid.setHorizontalSpacing(12)
    for column, text in enumerate(heads):
        head = caption(text)
        head.setAlignment(Qt.AlignmentFlag.AlignRight)
        grid.addWidget(head, 0, column)
    layout.addLayout(grid)
    layout.addStretch(1)
    return grid


def caption_rows(
    grid: QGridLayout, rows: Sequence[tuple[str, str, str]], *, selectable: bool = False
) -> dict[str, tuple[QLabel, QLabel]]:
    """``(key, caption, tip)`` rows: a muted caption and a right-aligned value ("—" until set),
    both explained on hover; (caption, value) by key. ``selectable`` values can be copied."""
    labels: dict[str, tuple[QLabel, QLabel]] = {}
    for row, (key, text, tip) in enumerate(rows):
        name = caption(text, tip)
        value = QLabel("—")
        value.setToolTip(tip)
        value.setAlignment(Qt.AlignmentFlag.AlignRight)
        if selectable:
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        grid.addWidget(name, row, 0)
        grid.addWidget(value, row, 1)
        labels[key] = (name, value)
    return labels


def number_row(grid: QGridLayout, row: int, columns: int, **first: object) -> tuple[QLabel, ...]:
    """``columns`` empty monospace cells, right-aligned, in ``row`` of a :func:`number_grid`;
    ``first`` sets style properties on the first cell (a side's colour, a muted time)."""
    font = mono_font()
    cells: list[QLabel] = []
    for column in range(columns):
        label = QLabel("")
        label.setFont(font)
        label.setAlignment(Qt.AlignmentFlag.AlignRight)
        for name, value in first.items() if column == 0 else ():
            label.setProperty(name, value)
        grid.addWidget(label, row, column)
        cells.append(label)
    return tuple(cells)


def _label(text: str, tip: str, wrap: bool, **properties: object) -> QLabel:
    label = QLabel(text)
    for name, value in properties.items():
        label.setProperty(name, value)
    if tip:
        label.setToolTip(tip)
    if wrap:
        label.setWordWrap(True)
    return label


def repolish(widget: QWidget) -> None:
    """Re-apply the style sheet to ``widget``: Qt does not when a dynamic property changes.

    A widget not polished yet (being built, never shown) is left alone: its first polish
    reads the property as it is then, and a style pass now (each costs about a millisecond
    under the app's sheet) would be thrown away.
    """
    if not widget.testAttribute(Qt.WidgetAttribute.WA_WState_Polished):
        return
    style = widget.style()
    style.unpolish(widget)
    style.polish(widget)


def set_flag(widget: QWidget, name: str, value: object) -> None:
    """Set a dynamic property the style sheet matches on; re-polish only when it changed.

    Pages call this on every redraw (several times a second); re-polishing an unchanged
    widget costs a style pass for nothing, and so does going between ``None`` and ``False``,
    which no selector tells apart. ``None`` removes the property.
    """
    old = widget.property(name)
    if old == value:
        return
    widget.setProperty(name, value)
    if _unstyled(old) and _unstyled(value):
        return  # the sheets match a flag only when it is set: nothing would look different
    repolish(widget)


def _unstyled(value: object) -> bool:
    """No selector of the app's sheets matches this value (none is written ``="false"``)."""
    return value is None or value is False


def mono_font() -> QFont:
    """The monospace font for columns of numbers (falls back to any monospace family)."""
    font = QFont(MONO_FAMILY)
    font.setStyleHint(QFont.StyleHint.Monospace)
    return font


# -------------------------------------------------------------------------------- colours


def theme_colours(widget: QWidget) -> Mapping[str, str]:
    """The palette (``theme.DARK`` or ``theme.LIGHT``) ``widget`` is drawn with.

    Painted items (chart candles, table cells) cannot use style sheet properties; judging the
    theme from the window colour the sheet gave the widget keeps them matching the theme the
    user chose, without asking ``theme.py`` which one that was.
    """
    light = widget.palette().color(QPalette.ColorRole.Window).lightness() >= _LIGHT_FROM
    return LIGHT if light else DARK


def theme_colour(widget: QWidget, key: str) -> str:
    """One colour token (``"long"``, ``"muted"``, ``"card"``…) of ``widget``'s theme."""
    return theme_colours(widget)[key]


# ------------------------------------------------------------------------- redraws, tasks


class CoalescedRedraw(QObject):
    """Many "something changed" events, one call: a single-shot timer started only if idle.

    Market and account events arrive many times a second; a page redrawing on each would
    block the loop. :meth:`request` marks the page dirty, and ``callback`` runs once
    ``interval_ms`` after the first request. The timer belongs to ``owner``, so it stops with
    the widget.

    With ``only_when_shown`` (``owner`` a widget), nothing runs while the widget is hidden
    (a page behind another, a window's chart while the Trade page is not shown): a request
    only remembers that something changed, and the callback runs once as the widget is
    shown, before it is painted, so it never shows old numbers. A page nobody looks at costs
    nothing however busy the market is.
    """

    def __init__(
        self,
        owner: QObject,
        callback: Callable[[], object],
        interval_ms: int,
        *,
        only_when_shown: bool = False,
    ) -> None:
        super().__init__(owner)
        self._callback = callback
        self.timer = QTimer(owner)
        self.timer.setSingleShot(True)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(callback)
        self._widget = owner if only_when_shown and isinstance(owner, QWidget) else None
        self._dirty = False
        if self._widget is not None:
            self._widget.installEventFilter(self)

    def request(self) -> None:
        """Run the callback soon, once, however many requests come before it runs."""
        if self._widget is not None and not self._widget.isVisible():
            self._dirty = True  # nobody is looking: once, when the widget is shown
            return
        if not self.timer.isActive():
            self.timer.start()

    def cancel(self) -> None:
        """Drop a pending call (the callback ran by other means, or must not run)."""
        self.timer.stop()
        self._dirty = False

    @property
    def pending(self) -> bool:
        return self.timer.isActive() or self._dirty

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if self._dirty and event.type() == QEvent.Type.Show and watched is self._widget:
            self._dirty = False
            self.timer.stop()
            self._callback()
        return False


class TaskScope:
    """Coroutines that belong to a widget: kept referenced while they run, cancelled with it.

    A task started from a widget must not outlive it (it would touch a deleted widget), and
    an unreferenced task may be garbage-collected mid-flight. The scope holds every task it
    spawned until it finishes and cancels those still running when ``owner`` is destroyed or
    :meth:`close` is called; after that it starts nothing. An exception a task did not handle
    is logged, not lost.

    ``finish_after_owner`` keeps running tasks alive past the widget (they must then expect
    ``RuntimeError`` from its deleted labels): for work that must reach its answer once
    started, such as a transfer already sent to the venue.
    """

    def __init__(self, owner: QObject, name: str = "", *, finish_after_owner: bool = False) -> None:
        self._name = name or type(owner).__name__
        self._tasks: set[asyncio.Future[Any]] = set()
        self._closed = False
        self._finish_after_owner = finish_after_owner
        owner.destroyed.connect(self._owner_destroyed)

    def spawn(self, coro: Coroutine[Any, Any, T]) -> asyncio.Future[T] | None:
        """Run ``coro`` on the loop; None (and ``coro`` closed unstarted) once closed."""
        if self._closed:
            coro.close()
            return None
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    @property
    def busy(self) -> bool:
        """True while a task of this scope is still running."""
        return any(not task.done() for task in self._tasks)

    def cancel(self) -> None:
        """Cancel the running tasks; the scope can spawn again afterwards."""
        for task in list(self._tasks):
            task.cancel()

    def close(self) -> None:
        """Cancel the running tasks and start none after (the widget is going away)."""
        self._closed = True
        self.cancel()

    async def wait_idle(self) -> None:
        """Wait until every task spawned so far has finished (tests, and before closing)."""
        if self._tasks:
            await asyncio.wait(list(self._tasks))

    def _owner_destroyed(self, *_args: object) -> None:
        if self._finish_after_owner:
            self._closed = True
        else:
            self.close()

    def _done(self, task: asyncio.Future[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("a task of %s failed", self._name, exc_info=task.exception())


def alive(widget: QObject, callback: Callable[[T], None]) -> Callable[[T], None]:
    """``callback``, dropped once ``widget`` is deleted: for the late answer to a request the
    widget made (the adapter answers on the loop, possibly after the page was closed)."""

    def guarded(value: T) -> None:
        if shiboken6.isValid(widget):
            callback(value)

    return guarded

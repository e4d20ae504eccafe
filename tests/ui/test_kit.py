"""The UI kit: cards and labels carry the sheet's properties, flags re-polish only on change,
redraws coalesce, tasks end with their widget, and one rule tells the theme's colours."""

from __future__ import annotations

import asyncio
from importlib import resources

from PySide6.QtCore import QEvent
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import (
    QApplication,
    QGridLayout,
    QLabel,
    QProxyStyle,
    QVBoxLayout,
    QWidget,
)
from pytestqt.qtbot import QtBot

from tests.ui.qasync_helpers import run_on_qasync, until
from wallet_perps.ui.kit import (
    CARD_MARGINS,
    CoalescedRedraw,
    TaskScope,
    alive,
    caption,
    caption_rows,
    card,
    error_text,
    fit_widths,
    mono_font,
    number_grid,
    number_row,
    set_flag,
    theme_colour,
    title,
)
from wallet_perps.ui.theme import DARK, LIGHT


def test_builders_set_what_the_style_sheet_matches(qtbot: QtBot) -> None:
    frame, layout = card()
    qtbot.addWidget(frame)
    assert frame.property("card") is True
    margins = layout.contentsMargins()
    assert (margins.left(), margins.top(), margins.right(), margins.bottom()) == CARD_MARGINS
    assert layout.spacing() == 8
    heading = title("Funding", "tip", wrap=True)
    assert heading.property("role") == "title" and heading.toolTip() == "tip"
    assert heading.wordWrap()
    note = caption("Available")
    assert note.property("muted") is True and not note.wordWrap()
    error = error_text(selectable=True)
    assert error.objectName() == "ErrorText" and error.isHidden()
    assert mono_font().family() == "DejaVu Sans Mono"
    for widget in (heading, note, error):
        widget.deleteLater()


def test_number_grids_and_caption_rows(qtbot: QtBot) -> None:
    holder = QWidget()
    qtbot.addWidget(holder)
    column = QVBoxLayout(holder)
    grid = number_grid(column, ("Price", "Size"), "Order book", "what it is")
    item = grid.itemAtPosition(0, 1)
    head = item.widget() if item is not None else None
    assert isinstance(head, QLabel) and head.text() == "Size" and head.property("muted")
    price, size = number_row(grid, 1, 2, role="long")
    assert price.property("role") == "long" and size.property("role") is None
    assert price.font().family() == "DejaVu Sans Mono"
    labels = caption_rows(QGridLayout(), [("fee", "Fee", "What the venue charges")])
    name, value = labels["fee"]
    assert name.text() == "Fee" and name.property("muted") and value.text() == "—"
    assert value.toolTip() == "What the venue charges"
    for label in (name, value):
        label.deleteLater()


class _CountingStyle(QProxyStyle):
    def __init__(self) -> None:
        super().__init__()
        self.polished = 0

    def polish(self, arg: object) -> None:
        if isinstance(arg, QWidget):
            self.polished += 1
            super().polish(arg)


def _styled_label(qtbot: QtBot, *, polished: bool = True) -> tuple[QLabel, _CountingStyle]:
    """A label whose style passes are counted; polished as if shown once, unless asked not."""
    label = QLabel("x")
    qtbot.addWidget(label)
    style = _CountingStyle()
    label.setStyle(style)
    if polished:
        label.ensurePolished()
    return label, style


def test_set_flag_repolishes_only_when_the_value_changes(qtbot: QtBot) -> None:
    label, style = _styled_label(qtbot)
    before = style.polished
    set_flag(label, "stale", True)
    assert label.property("stale") is True
    assert style.polished == before + 1
    for _ in range(5):
        set_flag(label, "stale", True)
    assert style.polished == before + 1  # unchanged: no style pass
    set_flag(label, "stale", None)
    assert label.property("stale") is None
    assert style.polished == before + 2


def test_a_flag_set_while_building_is_styled_by_the_first_polish(qtbot: QtBot) -> None:
    """No style pass before the widget's first polish, which then reads the flag."""
    label, style = _styled_label(qtbot, polished=False)
    label.setStyleSheet('QLabel[stale="true"] { color: #ff0000; }')
    set_flag(label, "stale", True)
    assert style.polished == 0  # still being built: nothing thrown away
    label.ensurePolished()
    colour = label.palette().color(QPalette.ColorRole.WindowText)
    assert colour == QColor("#ff0000")


def test_a_flag_going_between_unset_and_false_costs_no_style_pass(qtbot: QtBot) -> None:
    label, style = _styled_label(qtbot)
    before = style.polished
    set_flag(label, "stale", False)
    assert label.property("stale") is False
    set_flag(label, "stale", None)
    assert style.polished == before
    set_flag(label, "stale", True)
    assert style.polished == before + 1


def test_no_sheet_styles_a_flag_that_is_false() -> None:
    """What lets set_flag skip the style pass between unset and False."""
    for sheet in resources.files("wallet_perps.resources").iterdir():
        if sheet.name.endswith(".qss"):
            text = sheet.read_text(encoding="utf-8").replace(" ", "")
            assert '="false"' not in text and "=false" not in text, sheet.name


def test_redraw_requests_coalesce_into_one_call(qtbot: QtBot) -> None:
    owner = QWidget()
    qtbot.addWidget(owner)
    calls: list[int] = []
    redraw = CoalescedRedraw(owner, lambda: calls.append(1), 20)
    for _ in range(10):
        redraw.request()
    assert redraw.pending
    qtbot.waitUntil(lambda: calls == [1], timeout=5000)
    qtbot.wait(60)
    assert calls == [1]
    redraw.request()
    redraw.cancel()
    qtbot.wait(60)
    assert calls == [1]


def test_a_hidden_page_redraws_once_as_it_is_shown_not_while_hidden(qtbot: QtBot) -> None:
    owner = QWidget()
    qtbot.addWidget(owner)
    calls: list[bool] = []
    redraw = CoalescedRedraw(
        owner, lambda: calls.append(owner.isVisible()), 20, only_when_shown=True
    )
    for _ in range(10):
        redraw.request()
    qtbot.wait(80)
    assert calls == []  # nobody is looking
    assert redraw.pending
    owner.show()
    assert calls == [True]  # at once, before the first paint: no old numbers on screen
    qtbot.wait(60)
    assert calls == [True]
    redraw.request()  # shown: the usual coalesced call
    qtbot.waitUntil(lambda: len(calls) == 2, timeout=5000)
    owner.hide()
    owner.show()
    qtbot.wait(60)
    assert len(calls) == 2  # nothing changed while hidden: nothing to redraw


def test_tasks_are_cancelled_with_their_widget(qtbot: QtBot) -> None:
    async def scenario() -> None:
        owner = QWidget()
        scope = TaskScope(owner)
        lasting = QWidget()
        keep = TaskScope(lasting, finish_after_owner=True)
        started = asyncio.Event()
        finished: list[str] = []

        async def wait_forever() -> None:
            started.set()
            await asyncio.Event().wait()

        async def short_job() -> None:
            await asyncio.sleep(0.1)
            finished.append("kept")

        task = scope.spawn(wait_forever())
        kept = keep.spawn(short_job())
        assert task is not None and kept is not None
        await started.wait()
        assert scope.busy
        owner.deleteLater()
        lasting.deleteLater()
        await until(lambda: task.cancelled(), "the task cancelled with its widget")
        assert not scope.busy
        await until(lambda: finished == ["kept"], "the kept task finished")
        late = wait_forever()
        assert scope.spawn(late) is None  # nothing starts once the widget is gone
        assert keep.spawn(short_job()) is None

    run_on_qasync(qtbot, scenario)


def test_alive_drops_answers_for_a_deleted_widget(qtbot: QtBot) -> None:
    seen: list[object] = []
    widget = QWidget()
    guarded = alive(widget, seen.append)
    guarded(1)
    widget.deleteLater()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)
    guarded(2)
    assert seen == [1]


def test_one_rule_tells_the_theme_from_the_window_colour(qtbot: QtBot) -> None:
    widget = QWidget()
    qtbot.addWidget(widget)
    for window, expected in (
        (DARK["bg"], DARK),
        (DARK["card"], DARK),
        (LIGHT["bg"], LIGHT),
        (LIGHT["card"], LIGHT),
    ):
        palette = widget.palette()
        palette.setColor(QPalette.ColorRole.Window, QColor(window))
        widget.setPalette(palette)
        assert theme_colour(widget, "long") == expected["long"]


def test_fit_widths_keeps_natural_widths_when_they_fit() -> None:
    assert fit_widths([100, 80, 60], [40, 40, 40], 300) == [100, 80, 60]


def test_fit_widths_squeezes_ids_first_then_shares_what_is_left() -> None:
    # The id column (index 2) gives way to 96, then to 56; only then do the others shrink.
    assert fit_widths([100, 80, 300], [40, 40, 30], 280, [(2, 96, 56)]) == [100, 80, 100]
    assert fit_widths([100, 80, 300], [40, 40, 30], 240, [(2, 96, 56)]) == [100, 80, 60]
    narrow = fit_widths([100, 80, 300], [40, 40, 30], 150, [(2, 96, 56)])
    assert all(w >= f for w, f in zip(narrow, [40, 40, 30], strict=True))
    assert sum(narrow) <= 152  # within a pixel per column of rounding


def test_fit_widths_never_goes_below_the_headers() -> None:
    assert fit_widths([100, 100], [90, 90], 50) == [90, 90]
    # A column already narrower than its header is left alone, not widened.
    assert fit_widths([30, 100], [50, 40], 100)[0] == 30

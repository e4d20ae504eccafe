"""Every page fits a laptop screen: nothing outside the window, no sideways scrolling.

The app as a user has it after a while (tests/ui/demo_scenario.py: demo wallet, two
positions, TP/SL, resting orders), at 1280x800 and 1366x768, in the dark and the light
theme; each page is shown and :func:`wallet_perps.ui.layout_audit.misfits` must be empty, and
the window must not have grown past the size it was given.
"""

from __future__ import annotations

import asyncio

import pytest
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from tests.ui.demo_scenario import onboard_demo, populate
from tests.ui.test_app import run_app
from wallet_perps.config import Settings
from wallet_perps.ui.app_controller import AppController
from wallet_perps.ui.kit import HEADER_PADDING, vbox
from wallet_perps.ui.layout_audit import misfits
from wallet_perps.ui.page_catalog import PAGES
from wallet_perps.ui.theme import style_sheet
from wallet_perps.ui.widgets.record_table import RecordColumn, RecordTable

SIZES = ((1280, 800), (1366, 768))


@pytest.mark.keyring  # the demo wallet is created in the real Secret Service
def test_every_page_fits_1280x800_and_1366x768_in_both_themes(qtbot: QtBot) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)

    async def scenario(controller: AppController) -> None:
        window = controller.window
        await onboard_demo(controller)
        await populate(controller)
        problems: list[str] = []
        try:
            for theme in ("dark", "light"):
                app.setStyleSheet(style_sheet(theme))
                await asyncio.sleep(0.3)  # re-polished: sizes follow the theme's fonts
                for width, height in SIZES:
                    window.showNormal()
                    window.resize(width, height)
                    await asyncio.sleep(0.2)
                    for key, _label in PAGES:
                        window.show_page(key)
                        await asyncio.sleep(0.5)  # redraw timers, deferred layouts
                        size = window.size()
                        if size.width() > width or size.height() > height:
                            problems.append(
                                f"{theme} {width}x{height} {key}: the window grew to "
                                f"{size.width()}x{size.height()}"
                            )
                        problems += [
                            f"{theme} {width}x{height} {key}: {m}" for m in misfits(window)
                        ]
        finally:
            app.setStyleSheet(style_sheet("dark"))
        assert not problems, "\n".join(problems)

    # As the app does: the theme is in place before the window is built.
    app.setStyleSheet(style_sheet("dark"))
    try:
        run_app(qtbot, scenario, settings=Settings(confirm_orders=False), timeout_s=240)
    finally:
        app.setStyleSheet("")


@pytest.mark.parametrize("size", SIZES)
def test_onboarding_fits(qtbot: QtBot, size: tuple[int, int]) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)

    async def scenario(controller: AppController) -> None:
        window = controller.window
        window.resize(*size)
        await asyncio.sleep(0.3)
        assert window.gated
        assert window.width() <= size[0] and window.height() <= size[1]
        assert misfits(window) == []

    app.setStyleSheet(style_sheet("dark"))
    try:
        run_app(qtbot, scenario)
    finally:
        app.setStyleSheet("")


def test_the_audit_reads_the_headers_of_model_tables_too(qtbot: QtBot) -> None:
    """A RecordTable (a QTableView over a model) whose column is narrower than its header's
    title is reported, as an item table's would be."""
    window = QWidget()
    qtbot.addWidget(window)
    table: RecordTable[str] = RecordTable(
        [RecordColumn("Transaction hash", str), RecordColumn("Note", str)]
    )
    vbox(window).addWidget(table)
    window.resize(600, 300)
    window.show()
    table.records.set_rows(["0xabc"])
    assert misfits(window) == []
    table.setColumnWidth(0, 30)
    needed = table.horizontalHeader().fontMetrics().horizontalAdvance("Transaction hash")
    assert [m.what for m in misfits(window)] == [
        f"column 'Transaction hash' is 30 px, its header needs {needed + HEADER_PADDING} px"
    ]

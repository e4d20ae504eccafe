"""The UI tests' venue: the session's one with synthetic traders (tests/conftest.py).

The pages need what a person sees on the local venue: a live book to fill market orders
against, trades, moving prices. Every test funds its own fresh account on it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QApplication

from tests.venue_process import VenueProcess


@pytest.fixture
def venue(flow_venue: VenueProcess) -> VenueProcess:
    return flow_venue


@pytest.fixture(autouse=True)
def _no_widget_outlives_its_test() -> Iterator[None]:
    """Close what a test left open and run its pending deletions before the next test.

    Why: a full run once crashed (SIGSEGV) in pytest-qt's event processing during a later,
    Qt-free test: something a UI test left behind (a window, a timer, a deferred deletion)
    was processed long after its test. Flushed here, it is processed while its own test is
    still the one running, with its objects still alive.
    """
    yield
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        return
    for widget in app.topLevelWidgets():
        if widget.isVisible():
            widget.close()
    app.sendPostedEvents(None, QEvent.Type.DeferredDelete)

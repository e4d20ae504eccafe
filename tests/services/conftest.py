"""The service tests' venue: the session's one without synthetic traders (tests/conftest.py).

Fills, balances and resting orders are then exactly what a test sent. Every test funds its
own fresh account on it.
"""

from __future__ import annotations

import pytest

from tests.venue_process import VenueProcess


@pytest.fixture
def venue(quiet_venue: VenueProcess) -> VenueProcess:
    return quiet_venue

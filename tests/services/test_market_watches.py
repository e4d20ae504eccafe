"""MarketData's reference-counted watches: a first watch that fails is undone.

A watch counts as streaming once it is counted, so a first subscribe that fails must take
the count back with it: left behind, every later watch of that coin (or chart) only adds a
reference to a watch that never streams (services/market.py ``_open_watch``).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from typing import Any

import pytest

from tests.venue_process import VenueProcess
from wallet_perps.hyperliquid.errors import VenueError
from wallet_perps.hyperliquid.ws import SubscriptionCallback, SubscriptionHandle
from wallet_perps.services.market import MarketEvent, MarketEventKind
from wallet_perps.services.session import TradingSession

HOUR_MS = 3_600_000


async def test_a_refused_candle_subscribe_is_undone_and_a_later_watch_streams(
    flow_venue: VenueProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Synthetic traders on: the forming candle is pushed every second or so.
    async with TradingSession(flow_venue.url, contexts_poll_s=0) as session:
        subscribe = session.ws.subscribe
        refused: list[Mapping[str, Any]] = []

        async def refuse_the_first_candle(
            subscription: Mapping[str, Any], callback: SubscriptionCallback
        ) -> SubscriptionHandle:
            if subscription["type"] == "candle" and not refused:
                refused.append(subscription)
                raise VenueError("candle subscription refused (test)")
            return await subscribe(subscription, callback)

        monkeypatch.setattr(session.ws, "subscribe", refuse_the_first_candle)
        with pytest.raises(VenueError, match="refused"):
            await session.market.watch_candles("BTC", "1m", HOUR_MS)

        await session.market.watch_candles("BTC", "1m", HOUR_MS)  # the chart opened again
        pushed: list[MarketEvent] = []
        session.market.events.subscribe(
            lambda event: pushed.append(event) if event.kind is MarketEventKind.CANDLES else None
        )
        deadline = time.monotonic() + 30
        while not pushed:
            assert time.monotonic() < deadline, "no candle streamed after the refused subscribe"
            await asyncio.sleep(0.1)
        assert pushed[0].coin == "BTC" and pushed[0].interval == "1m"
        await session.market.unwatch_candles("BTC", "1m")

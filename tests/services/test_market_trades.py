"""MarketData's recent trades: bounded, deduplicated, newest first, parsed only when read.

Trades arrive thousands of times a second under load, so MarketData keeps the venue's trade
objects and parses them when the screen reads them (services/market.py). These tests feed
venue-shaped pushes to the handler the WebSocket calls, and stream real trades from a venue.
"""

from __future__ import annotations

import asyncio
import logging
import time
from decimal import Decimal
from typing import Any

import pytest

from tests.venue_process import VenueProcess
from wallet_perps.hyperliquid.http import HyperliquidHttp
from wallet_perps.hyperliquid.ws import HyperliquidWs
from wallet_perps.services.market import TRADES_KEPT, MarketData, MarketEvent, MarketEventKind
from wallet_perps.services.session import TradingSession


def trade(tid: int, time_ms: int = 1_700_000_000_000, px: str = "100.5") -> dict[str, Any]:
    return {
        "coin": "BTC",
        "side": "B" if tid % 2 else "A",
        "px": px,
        "sz": "0.01",
        "hash": f"0x{tid:064x}",
        "time": time_ms + tid,
        "tid": tid,
        "users": [f"0x{1:040x}", f"0x{2:040x}"],
    }


def market() -> MarketData:
    url = "http://127.0.0.1:9"  # never connected: only the push handler is exercised
    return MarketData(HyperliquidHttp(url), HyperliquidWs("ws://127.0.0.1:9/ws"))


async def test_trades_are_kept_newest_first_bounded_and_deduplicated() -> None:
    data = market()
    events: list[MarketEvent] = []
    data.events.subscribe(events.append)
    data._on_trades("BTC", [trade(2), trade(1)])  # a push lists them in any order
    data._on_trades("BTC", [trade(2), trade(3)])  # trade 2 again: kept once
    trades = data.trades("BTC")
    assert [t.tid for t in trades] == [3, 2, 1]
    assert trades[0].px == Decimal("100.5") and trades[0].side.is_buy
    assert [e.kind for e in events] == [MarketEventKind.TRADES] * 2
    data._on_trades("BTC", [trade(tid) for tid in range(4, TRADES_KEPT + 50)])
    trades = data.trades("BTC")
    assert len(trades) == TRADES_KEPT
    assert trades[0].tid == TRADES_KEPT + 49 and trades[-1].tid == 50
    # the oldest left the dedupe set with the ring: it counts as new if it comes again
    data._on_trades("BTC", [trade(1, time_ms=1_800_000_000_000)])
    assert data.trades("BTC")[0].tid == 1
    assert data.trades("ETH") == ()


async def test_reading_twice_parses_once_and_a_new_trade_is_seen() -> None:
    data = market()
    data._on_trades("BTC", [trade(1)])
    first = data.trades("BTC")
    assert data.trades("BTC") is first  # parsed once, until something new arrives
    data._on_trades("BTC", [trade(1)])  # nothing new
    assert data.trades("BTC") is first
    data._on_trades("BTC", [trade(2)])
    assert [t.tid for t in data.trades("BTC")] == [2, 1]


async def test_a_malformed_push_is_refused_and_a_bad_trade_dropped_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    data = market()
    with caplog.at_level(logging.WARNING, logger="wallet_perps.services.market"):
        data._on_trades("BTC", {"not": "a list"})
        data._on_trades("BTC", [{"tid": "seven", "hash": "0x1"}])  # no usable key
        assert data.trades("BTC") == ()
        assert caplog.text.count("unparseable trades push") == 2
        bad = {**trade(5), "px": "not a price"}
        data._on_trades("BTC", [trade(4), bad, trade(6)])
        assert [t.tid for t in data.trades("BTC")] == [6, 4]
        data._on_trades("BTC", [trade(7)])
        assert [t.tid for t in data.trades("BTC")] == [7, 6, 4]
    assert caplog.text.count("unparseable trade for BTC dropped") == 1
    data._on_trades("BTC", [bad])  # it left the ring, so it is new again, and dropped again
    assert [t.tid for t in data.trades("BTC")] == [7, 6, 4]


async def test_a_watched_coin_streams_the_venues_trades(flow_venue: VenueProcess) -> None:
    # Synthetic traders on: trades every second or so.
    async with TradingSession(flow_venue.url, contexts_poll_s=0) as session:
        await session.market.watch("BTC")
        deadline = time.monotonic() + 30
        while len(session.market.trades("BTC")) < 3:
            assert time.monotonic() < deadline, "no trades streamed"
            await asyncio.sleep(0.1)
        trades = session.market.trades("BTC")
        assert all(t.coin == "BTC" and t.px > 0 and t.sz > 0 for t in trades)
        assert [t.time for t in trades] == sorted((t.time for t in trades), reverse=True)
        assert len({(t.tid, t.hash) for t in trades}) == len(trades)

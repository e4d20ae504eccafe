"""SessionAdapter announces market news once per coin per pass of the event loop.

Under load the WebSocket hands the services dozens of messages in one pass, each a
MarketEvent; every page that was ever opened listens to ``market_changed`` and only
schedules a redraw, so the adapter coalesces: the same coins, in arrival order, once each.
"""

from __future__ import annotations

import asyncio

from pytestqt.qtbot import QtBot

from tests.ui.qasync_helpers import run_on_qasync
from wallet_perps.services.market import MarketEvent, MarketEventKind
from wallet_perps.services.session import TradingSession
from wallet_perps.ui.adapter import SessionAdapter


def test_a_burst_of_market_events_is_announced_once_per_coin(qtbot: QtBot) -> None:
    async def scenario() -> None:
        session = TradingSession("http://127.0.0.1:9")  # never started: events fed by hand
        adapter = SessionAdapter(session)
        seen: list[str] = []
        candles: list[tuple[str, str]] = []
        adapter.market_changed.connect(seen.append)
        adapter.candles_changed.connect(lambda coin, interval: candles.append((coin, interval)))
        emit = session.market.events.emit
        for _ in range(50):
            emit(MarketEvent(MarketEventKind.TRADES, "BTC"))
            emit(MarketEvent(MarketEventKind.BOOK, "ETH"))
        emit(MarketEvent(MarketEventKind.MIDS))
        emit(MarketEvent(MarketEventKind.CONTEXT, "BTC"))
        emit(MarketEvent(MarketEventKind.CANDLES, "BTC", "1m"))
        assert seen == [] and candles == [("BTC", "1m")]  # candles are not coalesced
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        assert seen == ["BTC", "ETH", ""]
        emit(MarketEvent(MarketEventKind.TRADES, "SOL"))
        await asyncio.sleep(0.01)
        assert seen == ["BTC", "ETH", "", "SOL"]
        emit(MarketEvent(MarketEventKind.TRADES, "SOL"))
        adapter.close()  # news still on its way is dropped with the adapter
        await asyncio.sleep(0.01)
        assert seen == ["BTC", "ETH", "", "SOL"]
        await session.stop()

    run_on_qasync(qtbot, scenario)

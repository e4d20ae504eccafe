"""TradingSession: the services for one account on one venue, started and stopped together.

Why one object: the HTTP client, the WebSocket, MarketData, AccountStore and Trader share
connections and lifetimes, and a half-started set (a WebSocket left reconnecting after the
window closed, a resync task outliving its store) is the classic source of leaked tasks.
``async with TradingSession(...)`` starts them in dependency order and stops them in reverse,
whatever fails in between. It also fans the WebSocket's connection state out to the
services (stale flags, resync after reconnect) and to the UI through ``connection``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from types import TracebackType
from typing import Self

from wallet_perps.hyperliquid.http import HyperliquidHttp
from wallet_perps.hyperliquid.nonces import NonceManager
from wallet_perps.hyperliquid.ws import ConnectionState, HyperliquidWs
from wallet_perps.services.account import AccountStore
from wallet_perps.services.events import EventSource
from wallet_perps.services.market import MarketData
from wallet_perps.services.trader import L1Signer, Trader

__all__ = ["TradingSession", "ws_url_for"]

log = logging.getLogger(__name__)


def ws_url_for(base_url: str) -> str:
    """The WebSocket URL that goes with an API base URL (https://x -> wss://x/ws)."""
    base = base_url.rstrip("/")
    if base.startswith("https://"):
        return "wss://" + base[len("https://") :] + "/ws"
    if base.startswith("http://"):
        return "ws://" + base[len("http://") :] + "/ws"
    raise ValueError(f"not an http(s) URL: {base_url!r}")


class TradingSession:
    """http + ws + MarketData + AccountStore + Trader for ``user``, signed by ``signer``.

    Extra keyword arguments tune the parts (``http_timeout``, ``ws_options`` for
    HyperliquidWs, ``trader_options`` for Trader, ``contexts_poll_s`` for MarketData).
    """

    def __init__(
        self,
        base_url: str,
        signer: L1Signer,
        user: str,
        is_mainnet: bool,
        *,
        ws_url: str | None = None,
        nonces: NonceManager | None = None,
        http_timeout: float = 10.0,
        ws_options: dict[str, float | tuple[float, float]] | None = None,
        trader_options: dict[str, float | None] | None = None,
        contexts_poll_s: float = 15.0,
        connect_timeout_s: float = 15.0,
    ) -> None:
        self.connection: EventSource[ConnectionState] = EventSource("connection")
        self.http = HyperliquidHttp(base_url, timeout=http_timeout)
        self.ws = HyperliquidWs(
            ws_url or ws_url_for(base_url),
            on_state=self._on_state,
            **(ws_options or {}),  # type: ignore[arg-type]
        )
        self.market = MarketData(self.http, self.ws, contexts_poll_s=contexts_poll_s)
        self.account = AccountStore(self.http, self.ws, user)
        self.trader = Trader(
            self.http,
            signer,
            user,
            nonces or NonceManager(),
            is_mainnet,
            lambda: self.market.meta,
            **(trader_options or {}),  # type: ignore[arg-type]
        )
        self._connect_timeout = connect_timeout_s
        self._started = False

    @property
    def user(self) -> str:
        return self.account.user

    def _on_state(self, state: ConnectionState) -> None:
        self.market.on_connection_state(state)
        self.account.on_connection_state(state)
        self.connection.emit(state)

    async def start(self) -> None:
        """Connect and load everything; on any failure, undo what was started and re-raise."""
        if self._started:
            return
        self._started = True
        try:
            await self.ws.start()
            async with asyncio.timeout(self._connect_timeout):
                await self.ws.wait_connected()
            await self.market.start()
            await self.account.start()
        except BaseException:
            await self.stop()
            raise

    async def stop(self) -> None:
        """Stop everything in reverse order; safe to call twice, never raises on the way out."""
        self._started = False
        for part in (self.account.stop, self.market.stop, self.ws.close, self.http.close):
            try:
                await part()
            except Exception:
                log.exception("stopping %s failed", part)
        with contextlib.suppress(Exception):
            await asyncio.sleep(0)  # let aiohttp finish closing its transports

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

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
from typing import TYPE_CHECKING

from wallet_perps.core.lifecycle import AsyncService
from wallet_perps.core.networks import ws_url_for
from wallet_perps.hyperliquid.http import HyperliquidHttp
from wallet_perps.hyperliquid.nonces import NonceManager
from wallet_perps.hyperliquid.ws import ConnectionState, HyperliquidWs
from wallet_perps.services.events import EventSource
from wallet_perps.services.market import MarketData

if TYPE_CHECKING:  # the account part loads when an account is attached, after the first paint
    from wallet_perps.hyperliquid.sender import L1Signer
    from wallet_perps.services.account import AccountStore
    from wallet_perps.services.trader import Trader

__all__ = ["NoAccount", "TradingSession"]

log = logging.getLogger(__name__)


class NoAccount(RuntimeError):
    """An account action was asked of a session with no unlocked wallet attached."""


class TradingSession(AsyncService):
    """http + ws + MarketData, plus AccountStore + Trader for ``user`` signed by ``signer``.

    Market data is public, so a session may start without an account (``signer`` and
    ``user`` None): the app shows live prices before the wallet is unlocked, and keeps them
    streaming while it is locked. :meth:`open_account` / :meth:`close_account` attach and
    detach the account part on the same connections; ``account_opened`` announces it.

    Extra keyword arguments tune the parts (``http_timeout``, ``ws_options`` for
    HyperliquidWs, ``trader_options`` for Trader, ``contexts_poll_s`` for MarketData).
    """

    def __init__(
        self,
        base_url: str,
        signer: L1Signer | None = None,
        user: str | None = None,
        is_mainnet: bool = False,
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
        #: Emits the user's address when an account is attached, "" when it is detached.
        self.account_opened: EventSource[str] = EventSource("account_opened")
        self.http = HyperliquidHttp(base_url, timeout=http_timeout)
        self.ws = HyperliquidWs(
            ws_url or ws_url_for(base_url),
            on_state=self._on_state,
            **(ws_options or {}),  # type: ignore[arg-type]
        )
        self.market = MarketData(self.http, self.ws, contexts_poll_s=contexts_poll_s)
        self.is_mainnet = is_mainnet
        self.nonces = nonces or NonceManager()
        self._trader_options = trader_options or {}
        self._account: AccountStore | None = None
        self._trader: Trader | None = None
        if (signer is None) != (user is None):
            raise ValueError("give both signer and user, or neither")
        if signer is not None and user is not None:
            self._attach(signer, user)
        self._connect_timeout = connect_timeout_s
        self._started = False

    # ------------------------------------------------------------------ account part

    def _attach(self, signer: L1Signer, user: str) -> AccountStore:
        # Here, not at the top: the account and the trading machinery (signing, order
        # tracking, the ledger) are not needed until a wallet is unlocked.
        from wallet_perps.services.account import AccountStore
        from wallet_perps.services.trader import Trader

        self._account = AccountStore(self.http, self.ws, user)
        self._trader = Trader(
            self.http,
            signer,
            user,
            self.nonces,
            self.is_mainnet,
            lambda: self.market.meta,
            **self._trader_options,  # type: ignore[arg-type]
        )
        return self._account

    @property
    def has_account(self) -> bool:
        return self._account is not None

    @property
    def account(self) -> AccountStore:
        """The attached account's store; raises ``NoAccount`` when none is attached."""
        if self._account is None:
            raise NoAccount("No wallet is unlocked.")
        return self._account

    @property
    def trader(self) -> Trader:
        if self._trader is None:
            raise NoAccount("No wallet is unlocked.")
        return self._trader

    @property
    def user(self) -> str:
        return self._account.user if self._account is not None else ""

    async def open_account(self, signer: L1Signer, user: str) -> None:
        """Attach ``user``'s account (replacing any other) and load it on the live session."""
        await self.close_account()
        store = self._attach(signer, user)
        if self._started:
            try:
                await store.start()
            except BaseException:
                await self.close_account()
                raise
        self.account_opened.emit(store.user)

    async def close_account(self) -> None:
        """Detach the account (on lock): its feeds stop, market data keeps streaming."""
        store, self._account, self._trader = self._account, None, None
        if store is None:
            return
        try:
            await store.stop()
        except Exception:
            log.exception("stopping the account store failed")
        self.account_opened.emit("")

    def _on_state(self, state: ConnectionState) -> None:
        if state is ConnectionState.CONNECTED and self.ws.reconnects:
            # The venue may have restarted: its old keep-alive connections are dead.
            self.http.refresh_connections()
        self.market.on_connection_state(state)
        if self._account is not None:
            self._account.on_connection_state(state)
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
            if self._account is not None:
                await self._account.start()
        except BaseException:
            await self.stop()
            raise

    async def stop(self) -> None:
        """Stop everything in reverse order; safe to call twice, never raises on the way out."""
        self._started = False
        parts = [self.market.stop, self.ws.close, self.http.close]
        if self._account is not None:
            parts.insert(0, self._account.stop)
        for part in parts:
            try:
                await part()
            except Exception:
                log.exception("stopping %s failed", part)
        with contextlib.suppress(Exception):
            await asyncio.sleep(0)  # let aiohttp finish closing its transports

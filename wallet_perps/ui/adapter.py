"""SessionAdapter: the one bridge between the asyncio services and Qt widgets.

Why it exists: widgets must never import the wire layer nor await anything (a blocked UI
thread freezes every number on screen). The services announce changes through plain
``EventSource`` callbacks on the shared qasync loop; this object turns them into Qt signals,
and turns widget requests (watch a coin, place an order) into tasks on the running loop whose
outcomes come back as signals. Every task it starts is tracked and cancelled in
:meth:`close`, so closing a page cannot leave work running against a stopped session.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from wallet_perps.core.models import AccountState, AssetContext, L2Book, Market, OpenOrder
from wallet_perps.core.tickets import OrderPlan, Ticket, TicketError, validate_ticket
from wallet_perps.services.account import AccountEvent
from wallet_perps.services.market import MarketEvent, MarketEventKind
from wallet_perps.services.session import TradingSession
from wallet_perps.services.trader import OrderResult, OrderState

__all__ = ["SessionAdapter"]

log = logging.getLogger(__name__)


class SessionAdapter(QObject):
    """Re-emits a :class:`TradingSession`'s events as Qt signals; runs its coroutines.

    ``market_changed(coin)`` carries "" for universe-wide changes (all contexts, mids, stale).
    ``order_result`` carries an :class:`OrderResult` (or one built from an exception, so a
    failure always ends in a visible message).
    """

    market_changed = Signal(str)
    account_changed = Signal()
    connection_changed = Signal(bool, object)  # connected, latency in ms or None
    order_result = Signal(object)
    order_started = Signal(object)  # the OrderPlan being sent

    def __init__(self, session: TradingSession, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self._tasks: set[asyncio.Future[Any]] = set()
        self._unsubscribe = [
            session.market.events.subscribe(self._on_market),
            session.account.events.subscribe(self._on_account),
            session.connection.subscribe(lambda _state: self._report_connection()),
        ]
        # The WebSocket measures latency by ping; refresh the status line now and then.
        self._latency_timer = QTimer(self)
        self._latency_timer.setInterval(5000)
        self._latency_timer.timeout.connect(self._report_connection)
        self._latency_timer.start()

    # ------------------------------------------------------------------ read side

    @property
    def user(self) -> str:
        return self.session.user

    @property
    def connected(self) -> bool:
        return self.session.ws.connected

    @property
    def latency_ms(self) -> float | None:
        latency = self.session.ws.latency
        return None if latency is None else latency * 1000

    @property
    def market_stale(self) -> bool:
        return self.session.market.stale

    def coins(self) -> tuple[str, ...]:
        """Tradeable coins, BTC first then ETH, the rest in the venue's order."""
        if not self.session.market.loaded:
            return ()
        meta = self.session.market.meta
        names = [m.name for m in meta.markets if not m.is_delisted]
        head = [c for c in ("BTC", "ETH") if c in names]
        return (*head, *(c for c in names if c not in head))

    def market(self, coin: str) -> Market:
        return self.session.market.market(coin)

    def context(self, coin: str) -> AssetContext | None:
        return self.session.market.context(coin)

    def book(self, coin: str) -> L2Book | None:
        return self.session.market.book(coin)

    def account_state(self) -> AccountState | None:
        return self.session.account.state

    def open_orders(self) -> tuple[OpenOrder, ...]:
        return self.session.account.open_orders

    def plan(self, ticket: Ticket) -> OrderPlan | TicketError:
        """Validate ``ticket`` against the latest market and account (pure, synchronous)."""
        market_data = self.session.market
        if not market_data.loaded:
            return TicketError("Market data is still loading.")
        try:
            market = market_data.market(ticket.coin)
        except KeyError:
            return TicketError(f"{ticket.coin} is not a market on this venue.")
        ctx = market_data.context(ticket.coin)
        if ctx is None:
            return TicketError(f"No price for {ticket.coin} yet.")
        return validate_ticket(
            ticket,
            market,
            ctx,
            market_data.book(ticket.coin),
            self.session.account.state,
            meta=market_data.meta,
            open_orders=self.session.account.open_orders,
        )

    # ------------------------------------------------------------------ write side

    def watch(self, coin: str) -> None:
        """Start streaming ``coin``'s context, book and trades."""
        self._spawn(self.session.market.watch(coin), f"watch {coin}")

    def unwatch(self, coin: str) -> None:
        self._spawn(self.session.market.unwatch(coin), f"unwatch {coin}")

    def place(self, plan: OrderPlan) -> None:
        """Send ``plan``; the outcome arrives as ``order_result`` (never raises here)."""
        self.order_started.emit(plan)
        self._spawn(self._place(plan), f"place {plan.coin}")

    async def _place(self, plan: OrderPlan) -> None:
        try:
            result = await self.session.trader.place(plan)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a failure must end in a message, not a silent log line
            log.exception("placing %s failed", plan.coin)
            result = OrderResult(
                OrderState.UNKNOWN,
                plan.coin,
                "",
                f"Could not confirm the order: {exc}. Check Positions before retrying.",
            )
        self.order_result.emit(result)

    def close(self) -> None:
        """Stop listening and cancel every task this adapter started."""
        self._latency_timer.stop()
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe.clear()
        for task in list(self._tasks):
            task.cancel()

    async def aclose(self) -> None:
        """:meth:`close`, then wait until the cancelled tasks have really finished."""
        tasks = list(self._tasks)
        self.close()
        if tasks:
            await asyncio.wait(tasks)

    # ------------------------------------------------------------------ internals

    def _spawn(self, coro: Coroutine[Any, Any, None], name: str) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)

        def done(fut: asyncio.Future[Any]) -> None:
            self._tasks.discard(fut)
            if not fut.cancelled() and fut.exception() is not None:
                log.error("%s failed", name, exc_info=fut.exception())

        task.add_done_callback(done)

    def _on_market(self, event: MarketEvent) -> None:
        # Mids, all contexts, meta and the stale flag concern every coin: "" says so.
        per_coin = event.kind not in (
            MarketEventKind.MIDS,
            MarketEventKind.CONTEXTS,
            MarketEventKind.META,
            MarketEventKind.STALE,
        )
        self.market_changed.emit(event.coin or "" if per_coin else "")

    def _on_account(self, _event: AccountEvent) -> None:
        self.account_changed.emit()

    def _report_connection(self) -> None:
        self.connection_changed.emit(self.connected, self.latency_ms)

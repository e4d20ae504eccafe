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
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

from PySide6.QtCore import QObject, QTimer, Signal

from wallet_perps.core.models import (
    AccountState,
    AssetContext,
    Candle,
    Fill,
    FundingPayment,
    FundingRate,
    L2Book,
    Market,
    PredictedFunding,
    Trade,
)
from wallet_perps.core.orders import OpenOrder, OrderStatus
from wallet_perps.core.ticket_validation import validate_ticket
from wallet_perps.core.tickets import OrderPlan, Ticket, TicketError
from wallet_perps.services.market import MarketEvent, MarketEventKind
from wallet_perps.services.session import TradingSession
from wallet_perps.services.trader_results import ActionResult, OrderResult, OrderState
from wallet_perps.ui.pyside_source_cache import stop_pyside_source_cache

if TYPE_CHECKING:  # the account's modules load with the account, after the first paint
    from wallet_perps.core.ledger import LedgerUpdate
    from wallet_perps.services.account import AccountEvent
    from wallet_perps.services.trader import Trader

__all__ = ["ActionOutcome", "OnOutcome", "SessionAdapter"]

log = logging.getLogger(__name__)
T = TypeVar("T")
_NO_WALLET = "Unlock your wallet to trade."

# The app's entry point has done this already; any other way in (tests, the self-test) gets it
# here, before the pages, widgets, pyqtgraph and numpy are imported.
stop_pyside_source_cache()

#: What an action call ends in: an ``OrderResult`` for closes, an ``ActionResult`` otherwise.
ActionOutcome = ActionResult | OrderResult
#: Called once, on the GUI thread, with the outcome of the one call it was given to.
OnOutcome = Callable[[ActionOutcome], None]
#: Called with a readable message when a query fails.
OnError = Callable[[str], None]


class _NotReady(Exception):
    """``before_trade`` failed: nothing was sent, and the reason is for the user."""


class SessionAdapter(QObject):
    """Re-emits a :class:`TradingSession`'s events as Qt signals; runs its coroutines.

    ``market_changed(coin)`` carries "" for universe-wide changes (all contexts, mids, stale).
    It is coalesced: once per coin per pass of the event loop, however many messages of that
    coin the pass handled (under load the WebSocket hands over dozens at a time, and every
    page that was ever opened listens; they only schedule a redraw).
    ``candles_changed(coin, interval)`` fires for candle loads and updates.
    ``order_result`` carries an :class:`OrderResult` from the ticket (or one built from an
    exception, so a failure always ends in a visible message). Every other action (cancel,
    close, TP/SL, margin, leverage) takes its own ``on_done`` callback, called once with its
    outcome: an :class:`ActionResult` or, for closes, an :class:`OrderResult`. So a page gets
    the result of the call it made, not a broadcast it must match by label.
    ``before_trade`` is awaited before every order or action (the app approves the agent
    wallet there); if it raises, nothing is sent and its message is the outcome.
    ``account_opened(user)`` fires when a wallet is attached ("" when it is locked away).
    """

    market_changed = Signal(str)
    candles_changed = Signal(str, str)
    account_changed = Signal()
    account_opened = Signal(str)
    connection_changed = Signal(bool, object)  # connected, latency in ms or None
    order_result = Signal(object)
    order_started = Signal(object)  # the OrderPlan being sent

    def __init__(
        self,
        session: TradingSession,
        parent: QObject | None = None,
        *,
        before_trade: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        super().__init__(parent)
        self.session = session
        self._tasks: set[asyncio.Future[Any]] = set()
        self._closed = False
        # Coins with market news not yet announced ("" = universe-wide), in arrival order.
        self._market_news: dict[str, None] = {}
        self._account_unsubscribe: Callable[[], None] | None = None
        self._before_trade_hook = before_trade
        self._unsubscribe = [
            session.market.events.subscribe(self._on_market),
            session.account_opened.subscribe(self._on_account_opened),
            session.connection.subscribe(lambda _state: self._report_connection()),
        ]
        if session.has_account:
            self._account_unsubscribe = session.account.events.subscribe(self._on_account)
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
    def has_account(self) -> bool:
        return self.session.has_account

    @property
    def account_stale(self) -> bool:
        return self.session.has_account and self.session.account.stale

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

    def contexts(self) -> Mapping[str, AssetContext]:
        return self.session.market.contexts

    def mid(self, coin: str) -> Decimal | None:
        return self.session.market.mid(coin)

    def trades(self, coin: str) -> tuple[Trade, ...]:
        """Recent public trades of a watched coin, newest first."""
        return self.session.market.trades(coin)

    def candles(self, coin: str, interval: str) -> tuple[Candle, ...]:
        """Candles of a watched (coin, interval), oldest first."""
        return self.session.market.candles(coin, interval)

    def account_state(self) -> AccountState | None:
        return self.session.account.state if self.session.has_account else None

    def open_orders(self) -> tuple[OpenOrder, ...]:
        return self.session.account.open_orders if self.session.has_account else ()

    def fills(self) -> tuple[Fill, ...]:
        return self.session.account.fills if self.session.has_account else ()

    def fundings(self) -> tuple[FundingPayment, ...]:
        return self.session.account.fundings if self.session.has_account else ()

    def ledger(self) -> tuple[LedgerUpdate, ...]:
        return self.session.account.ledger if self.session.has_account else ()

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
            self.account_state(),
            meta=market_data.meta,
            open_orders=self.open_orders(),
        )

    # ------------------------------------------------------------------ write side

    def watch(self, coin: str) -> None:
        """Start streaming ``coin``'s context, book and trades."""
        self._spawn(self.session.market.watch(coin), f"watch {coin}")

    def unwatch(self, coin: str) -> None:
        self._spawn(self.session.market.unwatch(coin), f"unwatch {coin}")

    def watch_candles(self, coin: str, interval: str, lookback_ms: int) -> None:
        """Load and stream candles; ``candles_changed`` fires as they arrive."""
        self._spawn(
            self.session.market.watch_candles(coin, interval, lookback_ms),
            f"candles {coin} {interval}",
        )

    def unwatch_candles(self, coin: str, interval: str) -> None:
        self._spawn(self.session.market.unwatch_candles(coin, interval), f"unwatch {coin}")

    def load_historical_orders(
        self, on_done: Callable[[list[OrderStatus]], None], on_error: OnError | None = None
    ) -> None:
        """The account's past orders (not kept live); nothing happens without a wallet.

        An answer is handed over only while the account it was asked for is still the one
        attached: after a lock or a switch of wallet, the old account's orders (or its error)
        must not be drawn as the new one's.
        """
        if not self.session.has_account:
            return
        account = self.session.account

        def still(callback: Callable[[T], None]) -> Callable[[T], None]:
            def deliver(value: T) -> None:
                if self.session.has_account and self.session.account is account:
                    callback(value)
                else:
                    log.debug("dropped an answer for an account no longer attached")

            return deliver

        self._query(
            account.historical_orders,
            still(on_done),
            still(on_error) if on_error is not None else None,
        )

    def load_predicted_fundings(
        self, on_done: Callable[[list[PredictedFunding]], None], on_error: OnError | None = None
    ) -> None:
        """Every coin's predicted next funding rate, here and on other venues."""
        self._query(self.session.market.predicted_fundings, on_done, on_error)

    def load_funding_history(
        self,
        coin: str,
        start_ms: int,
        on_done: Callable[[list[FundingRate]], None],
        on_error: OnError | None = None,
    ) -> None:
        """``coin``'s hourly funding rates since ``start_ms``."""
        self._query(lambda: self.session.market.funding_history(coin, start_ms), on_done, on_error)

    def _query(
        self,
        query: Callable[[], Awaitable[T]],
        on_done: Callable[[T], None],
        on_error: OnError | None,
    ) -> None:
        """Run a read-only ``query``; hand its result (or a message) to a callback.

        For on-demand data that the stores do not keep. The callbacks run on the loop's
        (the GUI) thread.
        """

        async def run() -> None:
            try:
                value = await query()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("query failed: %s", exc)
                if on_error is not None:
                    on_error(str(exc) or type(exc).__name__)
                return
            on_done(value)

        self._spawn(run(), "query")

    def place(self, plan: OrderPlan) -> None:
        """Send ``plan``; the outcome arrives as ``order_result`` (never raises here)."""
        self.order_started.emit(plan)
        self._spawn(self._place(plan), f"place {plan.coin}")

    def cancel(self, oid: int, coin: str, on_done: OnOutcome) -> None:
        self._act(f"cancel {oid}", lambda t: t.cancel(oid, coin), on_done)

    def cancel_all(self, on_done: OnOutcome, coin: str | None = None) -> None:
        self._act("cancel all", lambda t: t.cancel_all(coin), on_done)

    def close_position(self, coin: str, on_done: OnOutcome, fraction: Decimal = Decimal(1)) -> None:
        """Market-close ``fraction`` of the position; the outcome is an ``OrderResult``."""
        self._act(f"close {coin}", lambda t: t.close_position(coin, fraction), on_done)

    def set_tpsl(
        self,
        coin: str,
        take_profit: Decimal | None,
        stop_loss: Decimal | None,
        on_done: OnOutcome,
    ) -> None:
        self._act(f"tpsl {coin}", lambda t: t.set_tpsl(coin, take_profit, stop_loss), on_done)

    def update_isolated_margin(self, coin: str, usd: Decimal, on_done: OnOutcome) -> None:
        """Add (positive) or remove (negative) ``usd`` of an isolated position's margin."""
        self._act(f"margin {coin}", lambda t: t.update_isolated_margin(coin, usd), on_done)

    def _act(
        self,
        label: str,
        action: Callable[[Trader], Awaitable[ActionOutcome]],
        on_done: OnOutcome,
    ) -> None:
        """Run a Trader action; ``on_done`` gets its outcome (or a readable failure), once."""

        async def run() -> None:
            if not self.session.has_account:
                result: ActionOutcome = ActionResult(False, _NO_WALLET)
            else:
                try:
                    await self._before_trade()
                    result = await action(self.session.trader)
                except asyncio.CancelledError:
                    raise
                except _NotReady as exc:
                    result = ActionResult(False, str(exc))
                except Exception as exc:
                    log.exception("%s failed", label)
                    result = ActionResult(
                        False, f"Could not confirm {label}: {exc}. Check the venue's state."
                    )
            on_done(result)

        self._spawn(run(), label)

    async def _place(self, plan: OrderPlan) -> None:
        if not self.session.has_account:
            self.order_result.emit(OrderResult(OrderState.NOT_PLACED, plan.coin, "", _NO_WALLET))
            return
        try:
            await self._before_trade()
        except _NotReady as exc:
            self.order_result.emit(OrderResult(OrderState.NOT_PLACED, plan.coin, "", str(exc)))
            return
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
        """Stop listening and cancel every task this adapter started; start none after."""
        self._closed = True
        self._latency_timer.stop()
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe.clear()
        if self._account_unsubscribe is not None:
            self._account_unsubscribe()
            self._account_unsubscribe = None
        for task in list(self._tasks):
            task.cancel()

    async def aclose(self) -> None:
        """:meth:`close`, then wait until the cancelled tasks have really finished."""
        tasks = list(self._tasks)
        self.close()
        if tasks:
            await asyncio.wait(tasks)

    async def wait_idle(self) -> None:
        """Wait until every task started so far, and any they started, has finished."""
        while self._tasks:
            await asyncio.wait(list(self._tasks))

    # ------------------------------------------------------------------ internals

    async def _before_trade(self) -> None:
        if self._before_trade_hook is None:
            return
        try:
            await self._before_trade_hook()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            raise _NotReady(f"Nothing was sent: {exc}") from exc

    def _spawn(self, coro: Coroutine[Any, Any, None], name: str) -> None:
        if self._closed:
            # A widget asking after close (a page's redraw timer firing while the app shuts
            # down) must not start work on a session that is being stopped.
            coro.close()
            return
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
        if event.kind is MarketEventKind.CANDLES and event.coin and event.interval:
            self.candles_changed.emit(event.coin, event.interval)
            return
        news = self._market_news
        first = not news
        news[event.coin or "" if per_coin else ""] = None
        if not first:
            return  # announced by the flush already scheduled
        try:
            asyncio.get_running_loop().call_soon(self._announce_market)
        except RuntimeError:  # no loop running (a synchronous caller): announce now
            self._announce_market()

    def _announce_market(self) -> None:
        news, self._market_news = self._market_news, {}
        if self._closed:
            return
        for coin in news:
            self.market_changed.emit(coin)

    def _on_account(self, _event: AccountEvent) -> None:
        self.account_changed.emit()

    def _on_account_opened(self, user: str) -> None:
        if self._account_unsubscribe is not None:
            self._account_unsubscribe()
            self._account_unsubscribe = None
        if user and self.session.has_account:
            self._account_unsubscribe = self.session.account.events.subscribe(self._on_account)
        self.account_opened.emit(user)
        self.account_changed.emit()

    def _report_connection(self) -> None:
        self.connection_changed.emit(self.connected, self.latency_ms)

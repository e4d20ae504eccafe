"""AccountStore: one consistent picture of the user's account from a REST snapshot + WS updates.

Why it is built this way (PROTOCOL §8.1, §13.1, §14):

* Streams can drop "periodically and without announcement", and whatever happened meanwhile
  only comes back in snapshots. So every resync signal (the WebSocket client flags the first
  message after each (re)subscribe, and the session reports reconnects) schedules a fresh REST
  snapshot of everything, coalesced so a reconnect that flags five feeds costs one snapshot.
* A REST answer and a WS push travel on different connections, so either may overtake the
  other. Merging is therefore order-independent: the account state with the newer venue
  ``time`` wins; fills, funding and ledger rows are keyed and unioned; open orders use
  sequence numbers, so an order the stream opened or closed after a snapshot was requested
  is not undone by that (older) snapshot.
* ``stale`` is true until the first snapshot and whenever the stream is down or a resync is
  pending, so the UI can grey numbers that may be old (UX.md "Behaviour").

Everything is exposed as core models; changes are announced as :class:`AccountEvent`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final, TypeVar

from wallet_perps.core.clock import wall_ms
from wallet_perps.core.ledger import LedgerUpdate
from wallet_perps.core.models import AccountState, Fill, FundingPayment, Position
from wallet_perps.core.orders import KnownOrderStatus, OpenOrder, OrderStatus
from wallet_perps.core.wire_values import normalize_address
from wallet_perps.hyperliquid import parse
from wallet_perps.hyperliquid.errors import VenueError
from wallet_perps.hyperliquid.http import HyperliquidHttp
from wallet_perps.hyperliquid.ws import ConnectionState, HyperliquidWs, SubscriptionHandle
from wallet_perps.services.events import EventSource
from wallet_perps.services.tasks import cancel_and_wait

__all__ = ["AccountEvent", "AccountEventKind", "AccountSnapshot", "AccountStore"]

log = logging.getLogger(__name__)

#: Oids remembered as closed, so an older snapshot cannot resurrect them.
_FINALS_KEPT: Final = 10_000
#: Coalescing window for resync requests and order-detail refreshes, in seconds.
_DEBOUNCE_S: Final = 0.05
_DAY_MS: Final = 86_400_000

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class AccountEventKind(StrEnum):
    STATE = "state"  # positions / margin summary changed
    ORDERS = "orders"  # open orders changed
    FILLS = "fills"  # new fills (``fills`` holds the new ones; empty after a resync)
    FUNDINGS = "fundings"  # funding payments changed
    LEDGER = "ledger"  # deposits, withdrawals, transfers...
    STALE = "stale"  # the stale flag changed
    RESYNCED = "resynced"  # a full snapshot was applied


@dataclass(frozen=True, slots=True)
class AccountEvent:
    kind: AccountEventKind
    fills: tuple[Fill, ...] = ()


@dataclass(frozen=True, slots=True)
class AccountSnapshot:
    """Everything the REST API says about the account at one moment."""

    state: AccountState
    open_orders: tuple[OpenOrder, ...]
    fills: tuple[Fill, ...]
    fundings: tuple[FundingPayment, ...]
    ledger: tuple[LedgerUpdate, ...]
    since_ms: int  # start of the funding and ledger window


def fill_key(fill: Fill) -> Hashable:
    """Identity of a fill: one trade (tid) of one order (oid) in one transaction (hash)."""
    return (fill.hash, fill.tid, fill.oid)


def funding_key(payment: FundingPayment) -> Hashable:
    return (payment.time, payment.coin)


def ledger_key(update: LedgerUpdate) -> Hashable:
    return (update.time, update.hash, update.type)


def _merge(target: dict[K, V], rows: Iterable[V], key: Callable[[V], K]) -> list[V]:
    """Add rows not yet in ``target``; return the ones that were new."""
    new = []
    for row in rows:
        k = key(row)
        if k not in target:
            target[k] = row
            new.append(row)
    return new


def _merge_order(old: OpenOrder, new: OpenOrder) -> OpenOrder:
    """A stream update (basic shape) applied over a frontend-shape order keeps its details."""
    if new.order_type is not None or old.order_type is None:
        return new
    return OpenOrder(
        coin=new.coin,
        side=new.side,
        limit_px=new.limit_px,
        sz=new.sz,
        oid=new.oid,
        timestamp=new.timestamp,
        orig_sz=new.orig_sz if new.orig_sz is not None else old.orig_sz,
        cloid=new.cloid if new.cloid is not None else old.cloid,
        reduce_only=old.reduce_only,
        order_type=old.order_type,
        tif=old.tif,
        is_trigger=old.is_trigger,
        trigger_px=old.trigger_px,
        trigger_condition=old.trigger_condition,
        is_position_tpsl=old.is_position_tpsl,
        children=old.children,
        tpsl=old.tpsl,
    )


def _is_live(status: OrderStatus) -> bool:
    return status.status in (KnownOrderStatus.OPEN, KnownOrderStatus.TRIGGERED) or not (
        status.is_final
    )


class AccountStore:
    """The user's account, kept consistent with the venue. Start with :meth:`start`.

    ``history_days`` bounds how far back funding and ledger history are fetched on a
    snapshot (fills are the venue's 2000 most recent).
    """

    def __init__(
        self,
        http: HyperliquidHttp,
        ws: HyperliquidWs,
        user: str,
        *,
        history_days: int = 30,
    ) -> None:
        self._http = http
        self._ws = ws
        self.user = normalize_address(user)
        self._history_ms = history_days * _DAY_MS
        self.events: EventSource[AccountEvent] = EventSource("AccountStore")

        self._state: AccountState | None = None
        self._orders: dict[int, OpenOrder] = {}
        self._order_seq: dict[int, int] = {}  # oid -> seq of its last stream update
        self._finals: OrderedDict[int, int] = OrderedDict()  # closed oid -> seq
        self._fills: dict[Hashable, Fill] = {}
        self._fundings: dict[Hashable, FundingPayment] = {}
        self._ledger: dict[Hashable, LedgerUpdate] = {}
        self._seq = 0

        self._handles: list[SubscriptionHandle] = []
        self._tasks: set[asyncio.Task[Any]] = set()
        self._resync_task: asyncio.Task[None] | None = None
        self._resync_again = False
        self._details_task: asyncio.Task[None] | None = None
        self._started = False
        self._snapshotted = False
        self._stale_shown = True
        self._seen_reconnects = 0
        self.resyncs = 0  # completed full snapshots, for diagnostics and tests

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Subscribe to every user feed, then take the first REST snapshot.

        Subscribing first means nothing that happens during the snapshot is missed; the
        merge rules make the overlap harmless.
        """
        if self._started:
            return
        self._started = True
        self._seen_reconnects = self._ws.reconnects
        feeds: list[tuple[str, Callable[[Any, bool], None]]] = [
            ("clearinghouseState", self._on_state),
            ("orderUpdates", self._on_order_updates),
            ("userFills", self._on_fills),
            ("userFundings", self._on_fundings),
            ("userNonFundingLedgerUpdates", self._on_ledger),
        ]
        for kind, callback in feeds:
            self._handles.append(
                await self._ws.subscribe({"type": kind, "user": self.user}, callback)
            )
        await self.resync()

    async def stop(self) -> None:
        """Unsubscribe and cancel every task this store started."""
        self._started = False
        tasks = [t for t in (self._resync_task, self._details_task, *self._tasks) if t]
        await cancel_and_wait(tasks)
        self._tasks.clear()
        self._resync_task = self._details_task = None
        handles, self._handles = self._handles, []
        for handle in handles:
            with contextlib.suppress(VenueError, RuntimeError):
                await self._ws.unsubscribe(handle)

    def on_connection_state(self, state: ConnectionState) -> None:
        """Hook for the session: stale while down, a fresh snapshot after every reconnect."""
        if state is ConnectionState.CONNECTED and self._ws.reconnects != self._seen_reconnects:
            self._seen_reconnects = self._ws.reconnects
            self.request_resync()
        self._update_stale()

    # ------------------------------------------------------------------ values

    @property
    def state(self) -> AccountState | None:
        """Positions and margin summary, or None before the first snapshot."""
        return self._state

    @property
    def positions(self) -> tuple[Position, ...]:
        if self._state is None:
            return ()
        return tuple(p for p in self._state.positions if p.szi != 0)

    def position(self, coin: str) -> Position | None:
        return None if self._state is None else self._state.position(coin)

    @property
    def open_orders(self) -> tuple[OpenOrder, ...]:
        """Open orders, oldest first."""
        return tuple(sorted(self._orders.values(), key=lambda o: (o.timestamp, o.oid)))

    @property
    def fills(self) -> tuple[Fill, ...]:
        """The user's fills, newest first."""
        return tuple(sorted(self._fills.values(), key=lambda f: (f.time, f.tid or 0), reverse=True))

    @property
    def fundings(self) -> tuple[FundingPayment, ...]:
        """Funding payments, newest first."""
        return tuple(sorted(self._fundings.values(), key=lambda f: f.time, reverse=True))

    @property
    def ledger(self) -> tuple[LedgerUpdate, ...]:
        """Deposits, withdrawals and transfers, newest first."""
        return tuple(sorted(self._ledger.values(), key=lambda u: u.time, reverse=True))

    @property
    def stale(self) -> bool:
        """True when the numbers may be old: before the first snapshot, while disconnected,
        and while a resync is pending."""
        return (
            not self._snapshotted
            or not self._ws.connected
            or (self._resync_task is not None and not self._resync_task.done())
        )

    # ------------------------------------------------------------------ snapshots

    async def fetch_snapshot(self) -> AccountSnapshot:
        """Everything about the account from REST, fetched concurrently."""
        since = wall_ms() - self._history_ms
        state, orders, fills, fundings, ledger = await asyncio.gather(
            self._http.clearinghouse_state(self.user),
            self._http.frontend_open_orders(self.user),
            self._http.user_fills(self.user),
            self._http.user_funding(self.user, since),
            self._http.user_non_funding_ledger_updates(self.user, since),
        )
        return AccountSnapshot(
            state, tuple(orders), tuple(fills), tuple(fundings), tuple(ledger), since
        )

    async def historical_orders(self) -> list[OrderStatus]:
        """Past orders (filled, cancelled, rejected): asked for when shown, not kept live."""
        return await self._http.historical_orders(self.user)

    async def resync(self) -> None:
        """Take a fresh REST snapshot now and merge it in (see the module doc for the rules)."""
        seq_start = self._seq
        snapshot = await self.fetch_snapshot()
        self._apply_state(snapshot.state, from_rest=True)
        self._apply_order_snapshot(snapshot.open_orders, seq_start)
        _merge(self._fills, snapshot.fills, fill_key)
        _merge(self._fundings, snapshot.fundings, funding_key)
        _merge(self._ledger, snapshot.ledger, ledger_key)
        self._snapshotted = True
        self.resyncs += 1
        for kind in (
            AccountEventKind.STATE,
            AccountEventKind.ORDERS,
            AccountEventKind.FILLS,
            AccountEventKind.FUNDINGS,
            AccountEventKind.LEDGER,
            AccountEventKind.RESYNCED,
        ):
            self.events.emit(AccountEvent(kind))
        self._update_stale()

    def request_resync(self) -> None:
        """Schedule a snapshot; requests that arrive while one is pending share it."""
        if not self._started:
            return
        if self._resync_task is not None and not self._resync_task.done():
            self._resync_again = True
            return
        self._resync_task = asyncio.create_task(self._resync_loop(), name="AccountStore resync")
        self._update_stale()

    async def _resync_loop(self) -> None:
        try:
            while True:
                self._resync_again = False
                await asyncio.sleep(_DEBOUNCE_S)
                try:
                    await self.resync()
                except VenueError as exc:
                    log.warning("account resync failed: %s; retrying", exc)
                    await asyncio.sleep(1.0)
                    self._resync_again = True
                if not self._resync_again:
                    return
        finally:
            self._resync_task = None
            self._update_stale()

    async def venue_diff(self) -> list[str]:
        """How this store differs from a fresh REST snapshot, in sentences (empty: equal).

        Compares what does not move with the mark price: positions (size, entry, leverage
        and isolated ledger), cross and total cash, open orders, and the fill, funding and
        ledger rows the snapshot covers.
        """
        snapshot = await self.fetch_snapshot()
        diffs: list[str] = []
        ours = self._state
        if ours is None:
            return ["no account state yet"]

        def positions(state: AccountState) -> dict[str, tuple[Any, ...]]:
            return {
                p.coin: (p.szi, p.entry_px, p.leverage.type, p.leverage.value, p.leverage.raw_usd)
                for p in state.positions
                if p.szi != 0
            }

        if positions(ours) != positions(snapshot.state):
            diffs.append(f"positions {positions(ours)} != venue {positions(snapshot.state)}")
        for name in ("cross_margin_summary", "margin_summary"):
            a = getattr(ours, name).total_raw_usd
            b = getattr(snapshot.state, name).total_raw_usd
            if a != b:
                diffs.append(f"{name}.total_raw_usd {a} != venue {b}")

        def orders(rows: Iterable[OpenOrder]) -> dict[int, tuple[Any, ...]]:
            return {o.oid: (o.coin, o.side, o.limit_px, o.sz) for o in rows}

        if orders(self._orders.values()) != orders(snapshot.open_orders):
            diffs.append(
                f"open orders {orders(self._orders.values())} != venue "
                f"{orders(snapshot.open_orders)}"
            )
        # userFills is the newest 2000: a full page only vouches for rows since its oldest.
        fills_since = 0
        if len(snapshot.fills) >= 2000:
            fills_since = min(f.time for f in snapshot.fills)
        since = snapshot.since_ms
        diffs += _rows_diff(
            "fills", self._fills, snapshot.fills, fill_key, lambda f: f.time, fills_since
        )
        diffs += _rows_diff(
            "fundings", self._fundings, snapshot.fundings, funding_key, lambda f: f.time, since
        )
        diffs += _rows_diff(
            "ledger", self._ledger, snapshot.ledger, ledger_key, lambda u: u.time, since
        )
        return diffs

    async def state_matches_venue(self) -> bool:
        """True when :meth:`venue_diff` finds nothing (a helper for tests and diagnostics)."""
        return not await self.venue_diff()

    # ------------------------------------------------------------------ stream handlers

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def _resync_flag(self, is_resync: bool) -> None:
        """A message flagged as a resync after a reconnect: fetch a fresh snapshot.

        The flags after the initial subscribe are covered by :meth:`start`'s own snapshot
        (and a venue-sent ``isSnapshot`` push on a live connection carries its data anyway).
        """
        if not is_resync or not self._snapshotted:
            return
        if self._ws.reconnects != self._seen_reconnects:
            self._seen_reconnects = self._ws.reconnects
            self.request_resync()

    def _on_state(self, data: Any, is_resync: bool) -> None:
        self._next_seq()
        state = parse.parse_push(parse.parse_ws_clearinghouse_state, data, "clearinghouseState")
        if state is None:
            return
        self._apply_state(state, from_rest=False)
        self._resync_flag(is_resync)

    def _apply_state(self, state: AccountState, *, from_rest: bool) -> None:
        current = self._state
        old_time = current.time if current is not None else None
        if old_time is not None and state.time is not None and state.time < old_time:
            return  # an older picture overtaken by a newer one
        if state == current:
            return
        self._state = state
        self.events.emit(AccountEvent(AccountEventKind.STATE))

    def _on_order_updates(self, data: Any, is_resync: bool) -> None:
        updates = parse.parse_push(parse.parse_ws_order_updates, data, "orderUpdates")
        if updates is None:
            return
        changed = False
        need_details = False
        for update in updates:
            seq = self._next_seq()
            order = update.order
            if order.coin.startswith("@") or "/" in order.coin:
                continue  # spot orders belong to another store
            if _is_live(update):
                if order.oid in self._finals:
                    continue
                old = self._orders.get(order.oid)
                self._orders[order.oid] = order if old is None else _merge_order(old, order)
                self._order_seq[order.oid] = seq
                need_details = need_details or old is None
                changed = True
            else:
                self._finals[order.oid] = seq
                self._finals.move_to_end(order.oid)
                while len(self._finals) > _FINALS_KEPT:
                    self._finals.popitem(last=False)
                self._order_seq.pop(order.oid, None)
                if self._orders.pop(order.oid, None) is not None:
                    changed = True
        if changed:
            self.events.emit(AccountEvent(AccountEventKind.ORDERS))
        if need_details:
            self._schedule_details()
        self._resync_flag(is_resync)

    def _apply_order_snapshot(self, snapshot: Sequence[OpenOrder], seq_start: int) -> None:
        """Replace open orders by a snapshot requested at ``seq_start``, keeping what the
        stream learned after that moment (opened, changed or closed since)."""
        merged: dict[int, OpenOrder] = {}
        for order in snapshot:
            if order.oid in self._finals:
                continue
            current = self._orders.get(order.oid)
            if current is not None and self._order_seq.get(order.oid, 0) > seq_start:
                merged[order.oid] = _merge_order(order, current)
            else:
                merged[order.oid] = order
        for oid, order in self._orders.items():
            if oid not in merged and self._order_seq.get(oid, 0) > seq_start:
                merged[oid] = order
        for oid in list(self._order_seq):
            if oid not in merged:
                del self._order_seq[oid]
        if merged != self._orders:
            self._orders = merged
            self.events.emit(AccountEvent(AccountEventKind.ORDERS))

    def _schedule_details(self) -> None:
        """New orders arrive in the basic shape; fetch the frontend shape (trigger, tif...)."""
        if not self._started or (self._details_task is not None and not self._details_task.done()):
            return
        self._details_task = asyncio.create_task(self._fetch_details(), name="order details")

    async def _fetch_details(self) -> None:
        await asyncio.sleep(_DEBOUNCE_S)
        seq_start = self._seq
        try:
            orders = await self._http.frontend_open_orders(self.user)
        except VenueError as exc:
            log.warning("open order details not fetched: %s", exc)
            return
        self._apply_order_snapshot(orders, seq_start)

    def _on_fills(self, data: Any, is_resync: bool) -> None:
        read = parse.parse_ws_user_fills
        self._on_history(data, is_resync, read, self._fills, fill_key, AccountEventKind.FILLS)

    def _on_fundings(self, data: Any, is_resync: bool) -> None:
        read = parse.parse_ws_user_fundings
        self._on_history(
            data, is_resync, read, self._fundings, funding_key, AccountEventKind.FUNDINGS
        )

    def _on_ledger(self, data: Any, is_resync: bool) -> None:
        read = parse.parse_ws_ledger_updates
        self._on_history(data, is_resync, read, self._ledger, ledger_key, AccountEventKind.LEDGER)

    def _on_history(
        self,
        data: Any,
        is_resync: bool,
        read: Callable[[Any], tuple[bool, list[V]]],
        rows: dict[K, V],
        key: Callable[[V], K],
        kind: AccountEventKind,
    ) -> None:
        """A fills, fundings or ledger push: keep the rows not seen yet and say so."""
        self._next_seq()
        parsed = parse.parse_push(read, data, "%s", kind.value)
        if parsed is None:
            return
        new = _merge(rows, parsed[1], key)
        if new:  # a FILLS event carries the new fills; the others only say what changed
            fills = tuple(row for row in new if isinstance(row, Fill))
            self.events.emit(AccountEvent(kind, fills))
        self._resync_flag(is_resync)

    # ------------------------------------------------------------------ internals

    def _update_stale(self) -> None:
        stale = self.stale
        if stale != self._stale_shown:
            self._stale_shown = stale
            self.events.emit(AccountEvent(AccountEventKind.STALE))


def _rows_diff(
    name: str,
    ours: dict[Hashable, V],
    theirs: Sequence[V],
    key: Callable[[V], Hashable],
    time_of: Callable[[V], int],
    since_ms: int,
) -> list[str]:
    """Rows missing here, or rows here from the venue's window that the venue lacks."""
    venue = {key(row): row for row in theirs}
    missing = [k for k in venue if k not in ours]
    extra = [k for k, row in ours.items() if k not in venue and time_of(row) >= since_ms]
    out = []
    if missing:
        out.append(f"{name}: {len(missing)} venue rows missing here, e.g. {missing[:3]}")
    if extra:
        out.append(f"{name}: {len(extra)} rows here the venue does not have, e.g. {extra[:3]}")
    return out

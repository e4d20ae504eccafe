"""Plumbing shared by the local venue's engine modules: constants, calls, events.

A *call* is one action, admin request or tick; everything it produces for the WebSocket
layer is collected on a :class:`Call` and pushed when it ends (see ``engine``'s docstring).
:class:`EngineBase` declares the venue's state (created in ``Venue.__init__``) so that the
order, liquidation and query mixins type-check on their own.
"""

from __future__ import annotations

import contextlib
from collections import deque
from collections.abc import Callable, Iterator
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from wallet_perps.core.risk import ZERO
from wallet_perps.localvenue.clearinghouse import ClearinghouseError, usd
from wallet_perps.localvenue.clock import HOUR_MS
from wallet_perps.localvenue.engine_queries import LEDGER_CAP, VenueQueries
from wallet_perps.localvenue.engine_types import (
    VenueEvent,
    VenueOrder,
    VenueReject,
    avg_px_wire,
    basic_order_wire,
    deterministic_hash,
    wire,
)
from wallet_perps.localvenue.oracle import (
    MarkPrice,
    OracleProcess,
)

#: The backstop liquidator vault (plays HLP's role).
LIQUIDATOR_ADDRESS: Final = "0x" + "0" * 38 + "1d"
FIRST_OID: Final = 1_000_000_000
MAX_OPEN_ORDERS: Final = 1000
MIN_ORDER_VALUE: Final = Decimal(10)
WITHDRAW_FEE: Final = Decimal(1)
#: Market TP/SL and liquidation orders execute as IOC at 10% slippage from the mark.
MARKET_SLIPPAGE: Final = Decimal("0.1")
#: Accepted limit price band around the oracle (see ``engine``'s module docstring).
PRICE_BAND_LOW: Final = Decimal("0.05")
PRICE_BAND_HIGH: Final = Decimal(5)
LIQUIDATION_COOLDOWN_MS: Final = 30_000
SCHEDULE_CANCEL_MIN_DELAY_MS: Final = 5_000
SCHEDULE_CANCEL_MAX_PER_DAY: Final = 10
DAY_MS: Final = 24 * HOUR_MS
#: tid = (trade counter * odd constant) mod 2^50: unique, random-looking 50-bit ids.
TID_MUL: Final = 0x9E3779B97F4A7C15
TID_MOD: Final = 1 << 50
TIFS: Final = ("Gtc", "Ioc", "Alo", "FrontendMarket")
HEX_DIGITS: Final = frozenset("0123456789abcdef")

IOC_NO_MATCH: Final = "Order could not immediately match against any resting orders."
CANCEL_MISSING: Final = "Order was never placed, already canceled, or filled."
MODIFY_MISSING: Final = "Cannot modify canceled or filled order"

CH_STATUS: Final = {
    "Reduce only order would increase position.": "reduceOnlyRejected",
    "Insufficient margin to place order.": "perpMarginRejected",
    "Order would cause position to exceed margin tier limit at current leverage": (
        "perpMaxPositionRejected"
    ),
}


class Call:
    """What one action or tick produced, pushed as events when it ends."""

    __slots__ = (
        "dirty",
        "extra",
        "filled_parents",
        "fills",
        "hash_",
        "nonuser",
        "now",
        "pairs",
        "pos_changed",
        "seed",
        "seq",
        "trades",
        "updates",
    )

    def __init__(self, now: int, seq: int, seed: int) -> None:
        self.now = now
        self.seq = seq
        self.seed = seed
        self.hash_: str | None = None
        self.fills: dict[str, list[dict[str, Any]]] = {}
        self.trades: dict[str, list[dict[str, Any]]] = {}
        self.updates: dict[str, list[dict[str, Any]]] = {}
        self.nonuser: dict[str, list[dict[str, Any]]] = {}
        self.extra: list[VenueEvent] = []
        self.dirty: dict[str, None] = {}
        self.pairs: dict[tuple[str, str], None] = {}
        self.pos_changed: dict[tuple[str, str], None] = {}
        self.filled_parents: list[VenueOrder] = []

    @property
    def hash(self) -> str:
        if self.hash_ is None:
            self.hash_ = deterministic_hash(self.seed, "tx", self.seq)
        return self.hash_


class EngineBase(VenueQueries):
    """State declarations and event plumbing of :class:`~.engine.Venue`."""

    listeners: list[Callable[[VenueEvent], None]]
    _coins: list[str]
    _seed: int
    _liquidator: str
    _last_tick_ms: int
    _oracle: OracleProcess
    _marks: dict[str, MarkPrice]
    _next_oid: int
    _trade_seq: int
    _call_seq: int
    _lid: int
    _triggers: dict[str, dict[int, VenueOrder]]
    _ro_count: dict[tuple[str, str], int]
    _funded: dict[str, None]
    _schedule: dict[str, int]
    _schedule_fired: dict[str, tuple[int, int]]
    _liq_cooldown: dict[tuple[str, str], int]
    _last_sample_slot: int | None
    _book_dirty: dict[str, None]
    _last_bbo: dict[str, tuple[Decimal | None, Decimal | None]]
    _soft_dirty: dict[str, None]
    _soft_pairs: dict[tuple[str, str], None]

    def _begin(self, now_ms: int, user: str | None = None, weight: int = 1) -> Call:
        if now_ms > self._now_ms:
            self._now_ms = now_ms
        self._call_seq += 1
        if user is not None:
            self._n_requests[user] = self._n_requests.get(user, 0) + weight
        return Call(self._now_ms, self._call_seq, self._seed)

    @contextlib.contextmanager
    def _call(self, now_ms: int, user: str | None = None, weight: int = 1) -> Iterator[Call]:
        """One state-changing call: refusals in the venue's words, and its pushes always sent."""
        call = self._begin(now_ms, user, weight)
        try:
            yield call
        except ClearinghouseError as exc:
            raise VenueReject(str(exc)) from None
        finally:
            self._end(call)

    def _emit(self, channel: str, key: str | None, data: Any) -> None:
        event = VenueEvent(channel, key, data)
        for listener in self.listeners:
            listener(event)

    def _end(self, call: Call) -> None:
        """Push what the call did (only when someone listens)."""
        if not self.listeners:
            return
        for coin, trades in call.trades.items():
            self._emit("trades", coin, trades)
        for user, fills in call.fills.items():
            self._emit("userFills", user, {"user": user, "fills": fills})
            self._emit("user", user, {"fills": fills})
        for user, updates in call.updates.items():
            self._emit("orderUpdates", user, updates)
        for user, cancels in call.nonuser.items():
            self._emit("user", user, {"nonUserCancel": cancels})
        for event in call.extra:
            for listener in self.listeners:
                listener(event)
        for user in call.dirty:
            self._soft_dirty.pop(user, None)
            self._emit_state(user)
        for user, coin in call.pairs:
            data = self.active_asset_data(user, coin)
            self._emit("activeAssetData", f"{user}:{coin}", data)

    def _emit_state(self, user: str) -> None:
        self._emit(
            "clearinghouseState",
            user,
            {"dex": "", "user": user, "clearinghouseState": self.clearinghouse_state(user)},
        )

    def _update(self, call: Call, order: VenueOrder, status: str) -> None:
        """Set an order's status and queue its orderUpdates entry."""
        order.status = status
        order.status_ts = call.now
        if self.listeners:
            call.updates.setdefault(order.user, []).append(
                {
                    "order": basic_order_wire(order),
                    "status": status,
                    "statusTimestamp": call.now,
                }
            )

    def _user_event(self, call: Call, channel: str, user: str, data: Any) -> None:
        if self.listeners:
            call.extra.append(VenueEvent(channel, user, data))

    def _add_ledger(self, call: Call, user: str, delta: dict[str, Any]) -> None:
        row = {"time": call.now, "hash": call.hash, "delta": delta}
        rows_of(self._ledger, user).append(row)
        self._user_event(
            call,
            "userNonFundingLedgerUpdates",
            user,
            {"user": user, "nonFundingLedgerUpdates": [row]},
        )
        call.dirty[user] = None

    # ------------------------------------------------------------------ prices

    def _szi(self, user: str, coin: str) -> Decimal:
        account = self.clearinghouse.accounts.get(user)
        if account is None:
            return ZERO
        position = account.positions.get(coin)
        return position.szi if position is not None else ZERO


def rows_of(store: dict[str, deque[dict[str, Any]]], user: str) -> deque[dict[str, Any]]:
    rows = store.get(user)
    if rows is None:
        rows = store[user] = deque(maxlen=LEDGER_CAP)
    return rows


def ids_of(order: VenueOrder) -> dict[str, Any]:
    out: dict[str, Any] = {"oid": order.oid}
    if order.cloid is not None:
        out["cloid"] = order.cloid
    return out


def filled_status(order: VenueOrder, size: Decimal, notional: Decimal) -> dict[str, Any]:
    out: dict[str, Any] = {
        "totalSz": wire(size),
        "avgPx": avg_px_wire(notional, size),
        "oid": order.oid,
    }
    if order.cloid is not None:
        out["cloid"] = order.cloid
    return out


def bbo_px(px: Decimal | None) -> str:
    return "0" if px is None else wire(px)


def parse_amount(raw: Any) -> Decimal:
    try:
        amount = Decimal(str(raw).strip())
    except InvalidOperation:
        raise VenueReject("Invalid amount.") from None
    if not amount.is_finite() or amount <= 0 or usd(amount) != amount:
        raise VenueReject("Invalid amount.")
    return amount


def is_address(text: str) -> bool:
    return len(text) == 42 and text.startswith("0x") and set(text[2:]) <= HEX_DIGITS


def fill_direction(start: Decimal, end: Decimal) -> str:
    if start >= 0 and end >= 0:
        return "Open Long" if end > start else "Close Long"
    if start <= 0 and end <= 0:
        return "Open Short" if end < start else "Close Short"
    return "Long > Short" if start > 0 else "Short > Long"

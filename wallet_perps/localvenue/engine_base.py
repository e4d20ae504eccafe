"""What the local venue's engine parts share: constants, the per-call record, small helpers.

A *call* is one action, admin request or tick; everything it produces for the WebSocket
layer is collected on a :class:`Call` and pushed when it ends (see ``engine``'s docstring).
"""

from __future__ import annotations

from collections import deque
from decimal import Decimal
from typing import Any, Final

from wallet_perps.core.numbers import round_price
from wallet_perps.core.risk import ZERO
from wallet_perps.core.venue_rules import MARKET_SLIPPAGE
from wallet_perps.localvenue.clearinghouse import Clearinghouse
from wallet_perps.localvenue.clock import HOUR_MS
from wallet_perps.localvenue.engine_types import (
    VenueEvent,
    VenueOrder,
    avg_px_wire,
    deterministic_hash,
    wire,
)
from wallet_perps.localvenue.state import LEDGER_CAP

#: The backstop liquidator vault (plays HLP's role).
LIQUIDATOR_ADDRESS: Final = "0x" + "0" * 38 + "1d"
MAX_OPEN_ORDERS: Final = 1000
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


def position_szi(ch: Clearinghouse, user: str, coin: str) -> Decimal:
    """The user's signed position in ``coin`` (0 without an account or position)."""
    account = ch.accounts.get(user)
    if account is None:
        return ZERO
    position = account.positions.get(coin)
    return position.szi if position is not None else ZERO


def market_px(mark: Decimal, is_buy: bool, sz_decimals: int) -> Decimal:
    """A market order's limit price: ``MARKET_SLIPPAGE`` through the mark, on a valid tick."""
    factor = 1 + MARKET_SLIPPAGE if is_buy else 1 - MARKET_SLIPPAGE
    return round_price(mark * factor, sz_decimals, direction="up" if is_buy else "down")


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

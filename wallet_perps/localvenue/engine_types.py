"""Records and wire shapes shared by the local venue's engine modules.

The engine keeps one :class:`VenueOrder` per order it ever accepted for processing (rejected
ones included: Hyperliquid gives those an oid and a status too, e.g. ``iocCancelRejected`` in
``historicalOrders``). Orders are rendered to the venue's JSON only when a query or an event
asks, so placing and cancelling does no string formatting beyond the status it answers with.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any, Final

from wallet_perps.localvenue.book import RestingOrder

__all__ = [
    "FINAL_STATUSES",
    "VenueEvent",
    "VenueOrder",
    "VenueReject",
    "avg_px_wire",
    "basic_order_wire",
    "deterministic_hash",
    "frontend_order_wire",
    "wire",
]

#: Statuses after which an order is no longer live (PROTOCOL §9).
FINAL_STATUSES: Final = frozenset(
    {
        "filled",
        "canceled",
        "rejected",
        "marginCanceled",
        "vaultWithdrawalCanceled",
        "openInterestCapCanceled",
        "selfTradeCanceled",
        "reduceOnlyCanceled",
        "siblingFilledCanceled",
        "delistedCanceled",
        "liquidatedCanceled",
        "scheduledCancel",
        "tooManyOpenOrdersRejected",
        "tickRejected",
        "minTradeNtlRejected",
        "perpMarginRejected",
        "reduceOnlyRejected",
        "badAloPxRejected",
        "iocCancelRejected",
        "badTriggerPxRejected",
        "marketOrderNoLiquidityRejected",
        "perpMaxPositionRejected",
        "oracleRejected",
    }
)
_AVG_QUANTUM: Final = Decimal("0.00000001")


class VenueReject(Exception):
    """An action the venue refuses as a whole; ``str(e)`` is the venue's exact words.

    The server answers ``{"status": "err", "response": str(e)}``. Per-order failures inside a
    batch are *not* raised: they are ``{"error": ...}`` items in ``data.statuses``.
    """


@dataclass(frozen=True, slots=True)
class VenueEvent:
    """One push for the WebSocket layer (channel names as PROTOCOL §8.2).

    ``key`` is the coin, the lowercase user, ``"{coin}:{interval}"`` (candle),
    ``"{user}:{coin}"`` (activeAssetData) or None (allMids); ``data`` is the WS ``data``
    payload in the venue's shape.
    """

    channel: str
    key: str | None
    data: Any


@dataclass(slots=True)
class VenueOrder:
    """Everything the venue knows about one order, live or finished.

    ``rest`` is the order's entry in the book while it rests there (its ``sz`` is then the
    live remaining size); ``sz`` is the remaining size otherwise. Trigger orders have
    ``trigger_px``/``tpsl`` and ``tif`` None until they trigger. A normalTpsl child waits
    (``waiting``) until its parent has filled; a positionTpsl order sizes itself to the
    position when it triggers.
    """

    oid: int
    user: str
    coin: str
    asset: int
    is_buy: bool
    limit_px: Decimal
    orig_sz: Decimal
    sz: Decimal
    timestamp: int
    cloid: str | None
    reduce_only: bool
    tif: str | None
    status: str = "open"
    status_ts: int = 0
    trigger_px: Decimal | None = None
    tpsl: str | None = None
    is_market: bool = False
    is_position_tpsl: bool = False
    parent: int | None = None
    children: list[int] = field(default_factory=list)
    waiting: bool = False
    triggered: bool = False
    rest: RestingOrder | None = None

    @property
    def is_trigger(self) -> bool:
        return self.trigger_px is not None

    @property
    def live(self) -> bool:
        return self.status not in FINAL_STATUSES

    @property
    def remaining(self) -> Decimal:
        return self.rest.sz if self.rest is not None else self.sz

    @property
    def side(self) -> str:
        return "B" if self.is_buy else "A"

    def order_type(self) -> str:
        if self.tpsl is None:
            return "Market" if self.tif == "FrontendMarket" else "Limit"
        kind = "Take Profit" if self.tpsl == "tp" else "Stop"
        return f"{kind} {'Market' if self.is_market else 'Limit'}"

    def trigger_condition(self) -> str:
        if self.trigger_px is None:
            return "N/A"
        # sell tp / buy sl trigger when the mark rises to the trigger price
        above = (self.tpsl == "tp") != self.is_buy
        return f"Price {'above' if above else 'below'} {wire(self.trigger_px)}"

    def fires_at(self, mark: Decimal) -> bool:
        """Has the mark reached this trigger order's trigger price?"""
        assert self.trigger_px is not None
        above = (self.tpsl == "tp") != self.is_buy
        return mark >= self.trigger_px if above else mark <= self.trigger_px


def wire(value: Decimal) -> str:
    """:func:`~wallet_perps.core.numbers.to_wire` for values the engine computed itself.

    Same output (no exponent, no trailing zeros, never "-0") at a fraction of the cost: the
    engine renders several numbers per fill, and to_wire's input checks are for user data.
    """
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _order_head(order: VenueOrder, sz: Decimal | None) -> dict[str, Any]:
    """The six fields every order shape starts with (``sz`` is what remains unless given)."""
    return {
        "coin": order.coin,
        "side": order.side,
        "limitPx": wire(order.limit_px),
        "sz": wire(order.remaining if sz is None else sz),
        "oid": order.oid,
        "timestamp": order.timestamp,
    }


def basic_order_wire(order: VenueOrder, sz: Decimal | None = None) -> dict[str, Any]:
    """The ``openOrders`` / ``orderUpdates`` order shape."""
    out = _order_head(order, sz)
    out["origSz"] = wire(order.orig_sz)
    if order.cloid is not None:
        out["cloid"] = order.cloid
    return out


def frontend_order_wire(
    order: VenueOrder,
    children: list[dict[str, Any]] | None = None,
    sz: Decimal | None = None,
) -> dict[str, Any]:
    """The ``frontendOpenOrders`` / ``historicalOrders`` / ``orderStatus`` order shape."""
    is_trigger = order.is_trigger and not order.triggered
    return {
        **_order_head(order, sz),
        "triggerCondition": order.trigger_condition(),
        "isTrigger": is_trigger,
        "triggerPx": "0.0" if order.trigger_px is None else wire(order.trigger_px),
        "children": children or [],
        "isPositionTpsl": order.is_position_tpsl,
        "reduceOnly": order.reduce_only,
        "orderType": order.order_type(),
        "origSz": wire(order.orig_sz),
        "tif": order.tif if not is_trigger else None,
        "cloid": order.cloid,
    }


def avg_px_wire(notional: Decimal, size: Decimal) -> str:
    """Average fill price as ``filled.avgPx`` reports it (at most 8 decimals)."""
    return wire((notional / size).quantize(_AVG_QUANTUM, rounding=ROUND_HALF_EVEN))


def deterministic_hash(*parts: object) -> str:
    """A "0x" + 64-hex transaction hash that depends only on its inputs (replayable)."""
    text = ":".join(str(p) for p in parts)
    return "0x" + hashlib.sha256(text.encode()).hexdigest()

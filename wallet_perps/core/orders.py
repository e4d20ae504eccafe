"""Orders as the venue reports them: open orders, their statuses, types and TP/SL kind.

Why a module of its own: order fields are where the venue's vocabulary keeps growing (new
statuses, new order types), so each of them is an *open-ended enum*: a known value arrives as a
member of a ``Known*`` enum (which *is* a ``str``), an unknown one as the plain string the
venue sent. Nothing here rejects a value it has not seen, and nothing downstream has to read
display text to learn what an order is: the parser fills :attr:`OpenOrder.tpsl` once.

Same rules as :mod:`wallet_perps.core.models`: frozen, slotted, Decimal money, no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Final

from wallet_perps.core.models import Side

__all__ = [
    "FINAL_ORDER_STATUSES",
    "KnownOrderStatus",
    "KnownOrderType",
    "OpenOrder",
    "OrderStatus",
    "TpSl",
    "executes_at_market",
    "order_type_words",
    "tpsl_prices",
]


class OpenEnum(StrEnum):
    """A wire enum the venue keeps extending: known values become members, others stay text.

    Why: a strict client must not crash on a value it has never seen, so models carry these
    as ``str`` (a member *is* a ``str``) and readers call :meth:`coerce` instead of ``cls()``.
    """

    @classmethod
    def coerce(cls, value: str) -> str:
        """The member for a known value, or ``value`` unchanged if unknown."""
        try:
            return cls(value)
        except ValueError:
            return value


class TpSl(OpenEnum):
    """What a trigger order is for, in the wire's own words (``tpsl`` of an order action)."""

    TP = "tp"  # take profit
    SL = "sl"  # stop loss


class KnownOrderType(OpenEnum):
    """The ``orderType`` values the frontend order shapes carry (PROTOCOL.md §7).

    Open-ended like the statuses: an unknown type is kept as the raw string.
    """

    LIMIT = "Limit"
    MARKET = "Market"
    STOP_MARKET = "Stop Market"
    STOP_LIMIT = "Stop Limit"
    TAKE_PROFIT_MARKET = "Take Profit Market"
    TAKE_PROFIT_LIMIT = "Take Profit Limit"

    @property
    def tpsl(self) -> TpSl | None:
        """TP for the take-profit types, SL for the stop types, None for plain orders."""
        if self in (KnownOrderType.TAKE_PROFIT_MARKET, KnownOrderType.TAKE_PROFIT_LIMIT):
            return TpSl.TP
        if self in (KnownOrderType.STOP_MARKET, KnownOrderType.STOP_LIMIT):
            return TpSl.SL
        return None


class KnownOrderStatus(OpenEnum):
    """Order statuses listed in PROTOCOL.md §9.

    Models carry the status as ``str``: a known value arrives as a member of this enum (which
    *is* a ``str``), an unknown one as the plain string the venue sent. A strict client must not
    crash on a status it has never seen, so nothing rejects values outside this list.
    """

    OPEN = "open"
    FILLED = "filled"
    CANCELED = "canceled"
    TRIGGERED = "triggered"
    REJECTED = "rejected"
    MARGIN_CANCELED = "marginCanceled"
    VAULT_WITHDRAWAL_CANCELED = "vaultWithdrawalCanceled"
    OPEN_INTEREST_CAP_CANCELED = "openInterestCapCanceled"
    SELF_TRADE_CANCELED = "selfTradeCanceled"
    REDUCE_ONLY_CANCELED = "reduceOnlyCanceled"
    SIBLING_FILLED_CANCELED = "siblingFilledCanceled"
    DELISTED_CANCELED = "delistedCanceled"
    LIQUIDATED_CANCELED = "liquidatedCanceled"
    SCHEDULED_CANCEL = "scheduledCancel"
    INTERNAL_CANCEL = "internalCancel"
    OUTCOME_SETTLED_CANCELED = "outcomeSettledCanceled"
    TOO_MANY_OPEN_ORDERS_REJECTED = "tooManyOpenOrdersRejected"
    TICK_REJECTED = "tickRejected"
    MIN_TRADE_NTL_REJECTED = "minTradeNtlRejected"
    PERP_MARGIN_REJECTED = "perpMarginRejected"
    REDUCE_ONLY_REJECTED = "reduceOnlyRejected"
    BAD_ALO_PX_REJECTED = "badAloPxRejected"
    IOC_CANCEL_REJECTED = "iocCancelRejected"
    BAD_TRIGGER_PX_REJECTED = "badTriggerPxRejected"
    MARKET_ORDER_NO_LIQUIDITY_REJECTED = "marketOrderNoLiquidityRejected"
    POSITION_INCREASE_AT_OPEN_INTEREST_CAP_REJECTED = "positionIncreaseAtOpenInterestCapRejected"
    POSITION_FLIP_AT_OPEN_INTEREST_CAP_REJECTED = "positionFlipAtOpenInterestCapRejected"
    TOO_AGGRESSIVE_AT_OPEN_INTEREST_CAP_REJECTED = "tooAggressiveAtOpenInterestCapRejected"
    OPEN_INTEREST_INCREASE_REJECTED = "openInterestIncreaseRejected"
    INSUFFICIENT_SPOT_BALANCE_REJECTED = "insufficientSpotBalanceRejected"
    ORACLE_REJECTED = "oracleRejected"
    PERP_MAX_POSITION_REJECTED = "perpMaxPositionRejected"


# Statuses after which an order can never fill again. "open" and "triggered" are live (a
# triggered order rests or executes as a new order); anything unknown is treated as final only
# if it looks like a cancel or reject, see OrderStatus.is_final.
FINAL_ORDER_STATUSES: frozenset[str] = frozenset(
    s.value
    for s in KnownOrderStatus
    if s not in (KnownOrderStatus.OPEN, KnownOrderStatus.TRIGGERED)
)


@dataclass(frozen=True, slots=True)
class OpenOrder:
    """An order as openOrders, frontendOpenOrders, orderStatus or orderUpdates describe it.

    ``sz`` is the *remaining* size. The plain openOrders shape has only the first six fields
    (2023 also lacks ``orig_sz``/``cloid``); the frontend shape adds the trigger fields and
    ``children`` (a parent's TP/SL). A field the source did not report is None, never guessed.

    ``order_type`` is a :class:`KnownOrderType` member or the raw string. ``tpsl`` says what a
    trigger order is for: a :class:`TpSl` member (from the wire's ``tpsl`` where sent, else
    from a known ``order_type``), the raw wire value if unknown, or None for a plain order or
    an order whose kind the wire does not tell.
    """

    coin: str
    side: Side
    limit_px: Decimal
    sz: Decimal
    oid: int
    timestamp: int
    orig_sz: Decimal | None = None
    cloid: str | None = None
    reduce_only: bool | None = None
    order_type: str | None = None  # "Limit", "Market", "Stop Market", "Take Profit Limit", ...
    tif: str | None = None  # "Gtc", "Ioc", "Alo", "FrontendMarket", ...; None for triggers
    is_trigger: bool | None = None
    trigger_px: Decimal | None = None  # "0.0" on the wire for non-triggers, kept as 0
    trigger_condition: str | None = None  # "N/A", "Price above 10.004", ...
    is_position_tpsl: bool | None = None
    children: tuple[OpenOrder, ...] = ()
    tpsl: str | None = None

    @property
    def filled_sz(self) -> Decimal | None:
        """Size filled so far, if the original size is known."""
        return None if self.orig_sz is None else self.orig_sz - self.sz


@dataclass(frozen=True, slots=True)
class OrderStatus:
    """An order with its status (orderStatus, historicalOrders, orderUpdates).

    ``status`` is a :class:`KnownOrderStatus` member when recognised, otherwise the raw string.
    """

    order: OpenOrder
    status: str
    status_timestamp: int

    @property
    def is_known_status(self) -> bool:
        return isinstance(self.status, KnownOrderStatus)

    @property
    def is_open(self) -> bool:
        return self.status == KnownOrderStatus.OPEN

    @property
    def is_final(self) -> bool:
        """True once the order can no longer fill.

        Unknown statuses ending in "Canceled"/"Rejected"/"Cancel" are treated as final, because
        every venue status of that form so far has been terminal.
        """
        if self.status in FINAL_ORDER_STATUSES:
            return True
        return self.status.endswith(("Canceled", "Rejected", "Cancel"))


_TYPE_WORDS: Final[dict[str, str]] = {
    KnownOrderType.LIMIT: "Limit",
    KnownOrderType.MARKET: "Market",
    KnownOrderType.STOP_MARKET: "Stop market",
    KnownOrderType.STOP_LIMIT: "Stop limit",
    KnownOrderType.TAKE_PROFIT_MARKET: "Take profit (market)",
    KnownOrderType.TAKE_PROFIT_LIMIT: "Take profit (limit)",
}
_MARKET_TYPES: Final = frozenset(
    (KnownOrderType.MARKET, KnownOrderType.STOP_MARKET, KnownOrderType.TAKE_PROFIT_MARKET)
)


def order_type_words(order: OpenOrder) -> str:
    """What the order is, as a person says it: "Market", "Limit", "Stop loss (market)"...

    A stop that protects a position (``tpsl`` "sl") is a stop loss; an unknown type is shown
    as the venue wrote it. An order streamed in the basic shape has no type until its details
    arrive (a moment later): it is an "Order", not a guessed "Limit" (a take-profit would
    otherwise show as a limit order at its worst price).
    """
    kind = order.order_type
    if kind is None:
        return "Order"
    if order.tpsl == TpSl.SL and kind in (KnownOrderType.STOP_MARKET, KnownOrderType.STOP_LIMIT):
        return "Stop loss (market)" if kind == KnownOrderType.STOP_MARKET else "Stop loss (limit)"
    return _TYPE_WORDS.get(kind, kind)


def executes_at_market(order: OpenOrder) -> bool:
    """Whether the order fills at the market when it runs: its limit price is only a bound."""
    return (order.order_type or "") in _MARKET_TYPES


def tpsl_prices(coin: str, orders: Iterable[OpenOrder]) -> tuple[Decimal | None, Decimal | None]:
    """The trigger prices of ``coin``'s take-profit and stop-loss orders (None: none set).

    Read from the TP/SL kind the parser took from the wire (never from display text); the
    last of each kind wins, as the venue keeps one position TP and one SL.
    """
    take_profit = stop_loss = None
    for order in orders:
        if order.coin != coin or not order.trigger_px:
            continue
        if order.tpsl == TpSl.TP:
            take_profit = order.trigger_px
        elif order.tpsl == TpSl.SL:
            stop_loss = order.trigger_px
    return take_profit, stop_loss

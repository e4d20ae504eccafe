"""Wire JSON -> account models: positions, margin, orders (with their TP/SL kind), fills, funding.

One of the ``parse*`` modules that own every read of venue JSON; see
:mod:`wallet_perps.hyperliquid.parse` for the public entry points and the rules. Order types
and statuses are open-ended enums (:mod:`wallet_perps.core.orders`): a known value becomes an
enum member, an unknown one is kept as the raw string.
"""

from __future__ import annotations

from wallet_perps.core.models import (
    AccountState,
    ActiveAssetData,
    Fill,
    FundingPayment,
    Position,
)
from wallet_perps.core.orders import KnownOrderStatus, KnownOrderType, OpenOrder, OrderStatus, TpSl
from wallet_perps.hyperliquid.parse_base import Obj, ParseError, read_record

__all__ = [
    "read_account_state",
    "read_active_asset_data",
    "read_fill",
    "read_order",
    "read_order_status",
    "read_user_funding_row",
    "read_ws_funding",
]


def _position(entry: Obj) -> Position:
    o = entry.obj("position")
    return read_record(
        Position,
        o,
        max_trade_szs=o.opt_decs("maxTradeSzs", 2),
        position_type=entry.opt_text("type") or "oneWay",
    )


def read_account_state(o: Obj) -> AccountState:
    positions = tuple(_position(p) for p in o.objs("assetPositions"))
    return read_record(AccountState, o, positions=positions)


# Fields that make an order the "frontend" shape; required when parsing that shape so that a
# plain openOrders answer handed to the wrong parser fails loudly.
_FRONTEND_REQUIRED = ("origSz", "isTrigger", "triggerPx", "triggerCondition", "orderType")


def _tpsl(o: Obj, order_type: str | None) -> str | None:
    """What a trigger order is for, from the wire only: never from display text.

    The order action's ``tpsl`` ("tp"/"sl") wins where a shape carries it; otherwise a known
    ``orderType`` says it ("Take Profit ..." is TP, "Stop ..." is SL, "Limit"/"Market" are
    neither). An unknown order type gives None: guessing from ``triggerCondition`` could call
    some future kind of order a TP, and callers cancel TPs they replace.
    """
    wire = o.opt_text("tpsl")
    if wire is not None:
        return TpSl.coerce(wire)
    if isinstance(order_type, KnownOrderType):
        return order_type.tpsl
    return None


def read_order(o: Obj, *, frontend: bool = False) -> OpenOrder:
    """An order in the plain (openOrders, orderUpdates) or ``frontend`` shape."""
    if frontend:
        for key in _FRONTEND_REQUIRED:
            o.get(key)
    raw_type = o.opt_text("orderType")
    order_type = None if raw_type is None else KnownOrderType.coerce(raw_type)
    children = (
        tuple(read_order(c, frontend=frontend) for c in o.objs("children"))
        if o.has("children")
        else ()
    )
    return read_record(
        OpenOrder, o, order_type=order_type, children=children, tpsl=_tpsl(o, order_type)
    )


def read_order_status(o: Obj, *, frontend: bool) -> OrderStatus:
    return read_record(
        OrderStatus,
        o,
        order=read_order(o.obj("order"), frontend=frontend),
        status=KnownOrderStatus.coerce(o.text("status")),
    )


def read_fill(o: Obj) -> Fill:
    return read_record(Fill, o)


def _funding_payment(o: Obj, time: int, hash_: str | None) -> FundingPayment:
    return read_record(FundingPayment, o, time=time, hash=hash_)


def read_user_funding_row(o: Obj) -> FundingPayment:
    delta = o.obj("delta")
    kind = delta.text("type")
    if kind != "funding":
        raise ParseError(delta.at("type"), f'expected "funding", got {kind!r}')
    return _funding_payment(delta, o.integer("time"), o.text("hash"))


def read_ws_funding(o: Obj) -> FundingPayment:
    return _funding_payment(o, o.integer("time"), o.opt_text("hash"))


def read_active_asset_data(o: Obj) -> ActiveAssetData:
    return read_record(
        ActiveAssetData,
        o,
        max_trade_szs=o.decs("maxTradeSzs", 2),
        available_to_trade=o.decs("availableToTrade", 2),
    )

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
    CumFunding,
    Fill,
    FillLiquidation,
    FundingPayment,
    Leverage,
    LeverageType,
    MarginSummary,
    Position,
)
from wallet_perps.core.orders import KnownOrderStatus, KnownOrderType, OpenOrder, OrderStatus, TpSl
from wallet_perps.hyperliquid.parse_base import Obj, ParseError

__all__ = [
    "read_account_state",
    "read_active_asset_data",
    "read_fill",
    "read_order",
    "read_order_status",
    "read_user_funding_row",
    "read_ws_funding",
]


def _leverage(o: Obj) -> Leverage:
    kind = o.text("type")
    try:
        lev_type = LeverageType(kind)
    except ValueError:
        raise ParseError(o.at("type"), f'expected "cross" or "isolated", got {kind!r}') from None
    return Leverage(type=lev_type, value=o.integer("value"), raw_usd=o.opt_dec("rawUsd"))


def _position(entry: Obj) -> Position:
    o = entry.obj("position")
    cum = o.opt_obj("cumFunding")
    return Position(
        coin=o.text("coin"),
        szi=o.dec("szi"),
        entry_px=o.opt_dec("entryPx"),
        leverage=_leverage(o.obj("leverage")),
        liquidation_px=o.opt_dec("liquidationPx"),
        margin_used=o.dec("marginUsed"),
        position_value=o.dec("positionValue"),
        return_on_equity=o.dec("returnOnEquity"),
        unrealized_pnl=o.dec("unrealizedPnl"),
        max_leverage=o.opt_integer("maxLeverage"),
        cum_funding=None
        if cum is None
        else CumFunding(cum.dec("allTime"), cum.dec("sinceOpen"), cum.dec("sinceChange")),
        max_trade_szs=o.opt_decs("maxTradeSzs", 2),
        position_type=entry.opt_text("type") or "oneWay",
    )


def _margin_summary(o: Obj) -> MarginSummary:
    return MarginSummary(
        account_value=o.dec("accountValue"),
        total_ntl_pos=o.dec("totalNtlPos"),
        total_raw_usd=o.dec("totalRawUsd"),
        total_margin_used=o.dec("totalMarginUsed"),
    )


def read_account_state(o: Obj) -> AccountState:
    return AccountState(
        positions=tuple(_position(p) for p in o.objs("assetPositions")),
        margin_summary=_margin_summary(o.obj("marginSummary")),
        cross_margin_summary=_margin_summary(o.obj("crossMarginSummary")),
        withdrawable=o.dec("withdrawable"),
        cross_maintenance_margin_used=o.opt_dec("crossMaintenanceMarginUsed"),
        time=o.opt_integer("time"),
    )


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
    return OpenOrder(
        coin=o.text("coin"),
        side=o.side("side"),
        limit_px=o.dec("limitPx"),
        sz=o.dec("sz"),
        oid=o.integer("oid"),
        timestamp=o.integer("timestamp"),
        orig_sz=o.opt_dec("origSz"),
        cloid=o.opt_text("cloid"),
        reduce_only=o.opt_flag("reduceOnly"),
        order_type=order_type,
        tif=o.opt_text("tif"),
        is_trigger=o.opt_flag("isTrigger"),
        trigger_px=o.opt_dec("triggerPx"),
        trigger_condition=o.opt_text("triggerCondition"),
        is_position_tpsl=o.opt_flag("isPositionTpsl"),
        children=tuple(read_order(c, frontend=frontend) for c in o.objs("children"))
        if o.has("children")
        else (),
        tpsl=_tpsl(o, order_type),
    )


def read_order_status(o: Obj, *, frontend: bool) -> OrderStatus:
    return OrderStatus(
        order=read_order(o.obj("order"), frontend=frontend),
        status=KnownOrderStatus.coerce(o.text("status")),
        status_timestamp=o.integer("statusTimestamp"),
    )


def read_fill(o: Obj) -> Fill:
    liq = o.opt_obj("liquidation")
    return Fill(
        coin=o.text("coin"),
        px=o.dec("px"),
        sz=o.dec("sz"),
        side=o.side("side"),
        time=o.integer("time"),
        start_position=o.dec("startPosition"),
        dir=o.text("dir"),
        closed_pnl=o.dec("closedPnl"),
        hash=o.text("hash"),
        oid=o.integer("oid"),
        crossed=o.flag("crossed"),
        fee=o.dec("fee"),
        tid=o.opt_integer("tid"),
        fee_token=o.opt_text("feeToken"),
        builder_fee=o.opt_dec("builderFee"),
        cloid=o.opt_text("cloid"),
        liquidation=None
        if liq is None
        else FillLiquidation(
            mark_px=liq.dec("markPx"),
            method=liq.text("method"),
            liquidated_user=liq.opt_text("liquidatedUser"),
        ),
        twap_id=o.opt_integer("twapId"),
    )


def _funding_payment(o: Obj, time: int, hash_: str | None) -> FundingPayment:
    return FundingPayment(
        time=time,
        coin=o.text("coin"),
        usdc=o.dec("usdc"),
        szi=o.dec("szi"),
        funding_rate=o.dec("fundingRate"),
        n_samples=o.opt_integer("nSamples"),
        hash=hash_,
    )


def read_user_funding_row(o: Obj) -> FundingPayment:
    delta = o.obj("delta")
    kind = delta.text("type")
    if kind != "funding":
        raise ParseError(delta.at("type"), f'expected "funding", got {kind!r}')
    return _funding_payment(delta, o.integer("time"), o.text("hash"))


def read_ws_funding(o: Obj) -> FundingPayment:
    return _funding_payment(o, o.integer("time"), o.opt_text("hash"))


def read_active_asset_data(o: Obj) -> ActiveAssetData:
    return ActiveAssetData(
        user=o.text("user"),
        coin=o.text("coin"),
        leverage=_leverage(o.obj("leverage")),
        max_trade_szs=o.decs("maxTradeSzs", 2),
        available_to_trade=o.decs("availableToTrade", 2),
        mark_px=o.opt_dec("markPx"),
    )

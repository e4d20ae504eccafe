"""Wire JSON -> core models: the one place that reads raw venue dicts.

Everything the venue sends passes through here once and comes out as an immutable model with
Decimal numbers. Keeping the translation in one module means a protocol change is a one-file
fix, and every other layer can trust the types it is given.

Rules (PROTOCOL.md §2.1, §7, §8.2):

* Numbers arrive as decimal strings over HTTP and as strings *or* JSON numbers over WS. Both
  are accepted everywhere; a JSON float is converted through ``str()`` (its shortest repr),
  never through float arithmetic. Anything else -- ``"abc"``, ``"NaN"``, ``" 1"``, a bool --
  is a :class:`ParseError`.
* Decimals keep the digits they were sent with (``"30135.0"`` stays ``Decimal("30135.0")``),
  so ``Decimal(source) == value`` holds exactly and displays can show the venue's precision.
* Ids and ms times are ints. A JSON float is refused for them (it may already have lost
  precision); an all-digit string is accepted.
* Fields added over the years (``origSz``, ``cloid``, ``tid``, ``feeToken``, ``marginTables``,
  ``cumFunding`` ...) are optional; their absence gives None, never a guessed value.
* Unknown order statuses pass through as plain strings (§9); unknown keys are ignored.
* Every failure is a :class:`ParseError` whose message starts with the JSON path of the
  offending field, e.g. ``clearinghouseState.assetPositions[3].position.szi``. No KeyError,
  TypeError or decimal.InvalidOperation escapes.

The file reads as a table of shapes: small private ``_shape(o)`` functions over the ``_Obj``
reader, then the public ``parse_*`` entry points, HTTP first and WebSocket after.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator
from decimal import Decimal, InvalidOperation
from types import MappingProxyType
from typing import TypeVar

from wallet_perps.core.models import (
    AccountState,
    ActiveAssetData,
    AssetContext,
    Bbo,
    BookLevel,
    Candle,
    CumFunding,
    ExtraAgent,
    Fill,
    FillLiquidation,
    FrozenJson,
    FundingPayment,
    FundingRate,
    KnownOrderStatus,
    L2Book,
    LedgerUpdate,
    Leverage,
    LeverageType,
    LiquidationEvent,
    MarginSummary,
    MarginTable,
    MarginTier,
    Market,
    Meta,
    NonUserCancel,
    OpenOrder,
    OrderStatus,
    Position,
    PredictedFunding,
    Side,
    Trade,
    UserEvent,
    UserEventKind,
    UserRateLimit,
    UserRole,
)

__all__ = [
    "ParseError",
    "parse_active_asset_data",
    "parse_all_mids",
    "parse_candle",
    "parse_candles",
    "parse_clearinghouse_state",
    "parse_extra_agents",
    "parse_fills",
    "parse_frontend_open_orders",
    "parse_funding_history",
    "parse_historical_orders",
    "parse_l2_book",
    "parse_ledger_updates",
    "parse_meta",
    "parse_meta_and_asset_ctxs",
    "parse_open_orders",
    "parse_order_status",
    "parse_predicted_fundings",
    "parse_user_funding",
    "parse_user_rate_limit",
    "parse_user_role",
    "parse_ws_active_asset_ctx",
    "parse_ws_active_asset_data",
    "parse_ws_all_mids",
    "parse_ws_bbo",
    "parse_ws_candle",
    "parse_ws_clearinghouse_state",
    "parse_ws_l2_book",
    "parse_ws_ledger_updates",
    "parse_ws_notification",
    "parse_ws_open_orders",
    "parse_ws_order_updates",
    "parse_ws_trades",
    "parse_ws_user_events",
    "parse_ws_user_fills",
    "parse_ws_user_fundings",
]

T = TypeVar("T")


class ParseError(ValueError):
    """Wire data that does not match the protocol. ``path`` names the offending field."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason

    def __reduce__(self) -> tuple[type[ParseError], tuple[str, str]]:
        # Rebuild from (path, reason) so the error survives pickling (e.g. across processes).
        return (type(self), (self.path, self.reason))


# ---------------------------------------------------------------------------------------------
# Scalar conversion
# ---------------------------------------------------------------------------------------------

# Plain decimal notation with an optional exponent (str(float) may produce "1e-07"). No
# whitespace, underscores, NaN or Infinity, all of which Decimal() itself would accept.
_DECIMAL_RE = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_INT_RE = re.compile(r"-?\d+")


def _show(value: object) -> str:
    """A short description of a bad value for error messages."""
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{text} ({type(value).__name__})"


def _to_decimal(value: object, path: str) -> Decimal:
    if isinstance(value, str):
        if _DECIMAL_RE.fullmatch(value):
            try:
                return Decimal(value)
            except InvalidOperation:  # pragma: no cover - the regex admits only valid input
                pass
    elif isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    elif isinstance(value, float) and math.isfinite(value):
        return Decimal(str(value))
    raise ParseError(path, f"expected a decimal string or number, got {_show(value)}")


def _to_int(value: object, path: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and _INT_RE.fullmatch(value):
        return int(value)
    raise ParseError(path, f"expected an integer, got {_show(value)}")


def _to_str(value: object, path: str) -> str:
    if isinstance(value, str):
        return value
    raise ParseError(path, f"expected a string, got {_show(value)}")


def _to_bool(value: object, path: str) -> bool:
    if isinstance(value, bool):
        return value
    raise ParseError(path, f"expected true or false, got {_show(value)}")


def _to_side(value: object, path: str) -> Side:
    if value == "B":
        return Side.BUY
    if value == "A":
        return Side.SELL
    raise ParseError(path, f'expected side "B" or "A", got {_show(value)}')


def _to_list(value: object, path: str) -> list[object]:
    if isinstance(value, list):
        return value
    raise ParseError(path, f"expected an array, got {_show(value)}")


def _items(value: object, path: str) -> Iterator[tuple[object, str]]:
    """Each element of a JSON array with its path, e.g. ``fills[3]``."""
    for i, item in enumerate(_to_list(value, path)):
        yield item, f"{path}[{i}]"


def _freeze(value: object, path: str) -> FrozenJson:
    """Deep-freeze decoded JSON so models that keep raw fields stay immutable."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, list):
        return tuple(_freeze(v, f"{path}[{i}]") for i, v in enumerate(value))
    if isinstance(value, dict):
        return MappingProxyType({str(k): _freeze(v, f"{path}.{k}") for k, v in value.items()})
    raise ParseError(path, f"expected JSON data, got {_show(value)}")


class _Obj:
    """A JSON object plus its path, so that every accessor can name the field it fails on.

    ``x(key)`` requires the key; ``opt_x(key)`` returns None when the key is missing or null.
    """

    __slots__ = ("path", "raw")

    def __init__(self, raw: object, path: str) -> None:
        if not isinstance(raw, dict):
            raise ParseError(path, f"expected an object, got {_show(raw)}")
        self.raw: dict[str, object] = raw
        self.path = path

    def at(self, key: str) -> str:
        return f"{self.path}.{key}"

    def get(self, key: str) -> object:
        if key not in self.raw:
            raise ParseError(self.at(key), "missing")
        return self.raw[key]

    def has(self, key: str) -> bool:
        return self.raw.get(key) is not None

    def _opt(self, key: str, conv: Callable[[object, str], T]) -> T | None:
        value = self.raw.get(key)
        return None if value is None else conv(value, self.at(key))

    def dec(self, key: str) -> Decimal:
        return _to_decimal(self.get(key), self.at(key))

    def opt_dec(self, key: str) -> Decimal | None:
        return self._opt(key, _to_decimal)

    def integer(self, key: str) -> int:
        return _to_int(self.get(key), self.at(key))

    def opt_integer(self, key: str) -> int | None:
        return self._opt(key, _to_int)

    def text(self, key: str) -> str:
        return _to_str(self.get(key), self.at(key))

    def opt_text(self, key: str) -> str | None:
        return self._opt(key, _to_str)

    def flag(self, key: str) -> bool:
        return _to_bool(self.get(key), self.at(key))

    def opt_flag(self, key: str) -> bool | None:
        return self._opt(key, _to_bool)

    def side(self, key: str) -> Side:
        return _to_side(self.get(key), self.at(key))

    def obj(self, key: str) -> _Obj:
        return _Obj(self.get(key), self.at(key))

    def opt_obj(self, key: str) -> _Obj | None:
        return self._opt(key, _Obj)

    def items(self, key: str) -> Iterator[tuple[object, str]]:
        return _items(self.get(key), self.at(key))

    def objs(self, key: str) -> Iterator[_Obj]:
        """The objects of a required array field."""
        return (_Obj(item, path) for item, path in self.items(key))

    def decs(self, key: str, length: int | None = None) -> tuple[Decimal, ...]:
        """A required array of decimals, optionally of a fixed length (e.g. (bid, ask))."""
        values = tuple(_to_decimal(v, p) for v, p in self.items(key))
        if length is not None and len(values) != length:
            raise ParseError(self.at(key), f"expected {length} numbers, got {len(values)}")
        return values

    def opt_decs(self, key: str, length: int | None = None) -> tuple[Decimal, ...] | None:
        return None if self.raw.get(key) is None else self.decs(key, length)


def _objs(value: object, path: str) -> Iterator[_Obj]:
    """The objects of a top-level JSON array."""
    return (_Obj(item, p) for item, p in _items(value, path))


def _pair(value: object, path: str) -> tuple[object, object]:
    """A two-element JSON array such as ``[id, table]`` or ``[meta, ctxs]``."""
    items = _to_list(value, path)
    if len(items) != 2:
        raise ParseError(path, f"expected a 2-element array, got {len(items)} elements")
    return items[0], items[1]


# ---------------------------------------------------------------------------------------------
# Shapes: universe and market data
# ---------------------------------------------------------------------------------------------


def _market(o: _Obj, asset_id: int) -> Market:
    return Market(
        name=o.text("name"),
        asset_id=asset_id,
        sz_decimals=o.integer("szDecimals"),
        max_leverage=o.integer("maxLeverage"),
        margin_table_id=o.opt_integer("marginTableId"),
        only_isolated=o.opt_flag("onlyIsolated") or False,
        is_delisted=o.opt_flag("isDelisted") or False,
        margin_mode=o.opt_text("marginMode"),
    )


def _margin_table(value: object, path: str) -> MarginTable:
    table_id, body = _pair(value, path)
    o = _Obj(body, f"{path}[1]")
    tiers = sorted(
        (MarginTier(t.dec("lowerBound"), t.integer("maxLeverage")) for t in o.objs("marginTiers")),
        key=lambda tier: tier.lower_bound,
    )
    return MarginTable(
        id=_to_int(table_id, f"{path}[0]"),
        description=o.opt_text("description") or "",
        tiers=tuple(tiers),
    )


def _meta(o: _Obj) -> Meta:
    markets = tuple(_market(m, i) for i, m in enumerate(o.objs("universe")))
    tables = (
        [_margin_table(v, p) for v, p in o.items("marginTables")] if o.has("marginTables") else []
    )
    # Ids below 50 are implicit: one tier whose max leverage is the id (§7, margin-tiers docs).
    known = {t.id for t in tables}
    for table_id in sorted({m.margin_table_id for m in markets if m.margin_table_id is not None}):
        if table_id not in known and 0 < table_id < 50:
            tables.append(MarginTable(table_id, "", (MarginTier(Decimal(0), table_id),)))
    return Meta(markets, tuple(tables), o.opt_integer("collateralToken"))


def _asset_ctx(o: _Obj, coin: str) -> AssetContext:
    return AssetContext(
        coin=coin,
        mark_px=o.dec("markPx"),
        oracle_px=o.dec("oraclePx"),
        funding=o.dec("funding"),
        open_interest=o.dec("openInterest"),
        prev_day_px=o.dec("prevDayPx"),
        day_ntl_vlm=o.dec("dayNtlVlm"),
        mid_px=o.opt_dec("midPx"),
        premium=o.opt_dec("premium"),
        impact_pxs=o.opt_decs("impactPxs", 2),
        day_base_vlm=o.opt_dec("dayBaseVlm"),
    )


def _level(o: _Obj) -> BookLevel:
    return BookLevel(px=o.dec("px"), sz=o.dec("sz"), n=o.integer("n"))


def _mids(o: _Obj) -> dict[str, Decimal]:
    return {coin: _to_decimal(px, o.at(coin)) for coin, px in o.raw.items()}


def _l2_book(o: _Obj) -> L2Book:
    bids, asks = _pair(o.get("levels"), o.at("levels"))
    return L2Book(
        coin=o.text("coin"),
        time=o.integer("time"),
        bids=tuple(_level(lv) for lv in _objs(bids, o.at("levels") + "[0]")),
        asks=tuple(_level(lv) for lv in _objs(asks, o.at("levels") + "[1]")),
    )


def _candle(o: _Obj) -> Candle:
    return Candle(
        coin=o.text("s"),
        interval=o.text("i"),
        open_time=o.integer("t"),
        close_time=o.integer("T"),
        open=o.dec("o"),
        high=o.dec("h"),
        low=o.dec("l"),
        close=o.dec("c"),
        volume=o.dec("v"),
        trades=o.integer("n"),
    )


def _funding_rate(o: _Obj) -> FundingRate:
    return FundingRate(
        coin=o.text("coin"),
        funding_rate=o.dec("fundingRate"),
        premium=o.dec("premium"),
        time=o.integer("time"),
    )


def _trade(o: _Obj) -> Trade:
    buyer = seller = None
    if o.has("users"):
        users = _pair(o.get("users"), o.at("users"))
        buyer = _to_str(users[0], o.at("users") + "[0]")
        seller = _to_str(users[1], o.at("users") + "[1]")
    return Trade(
        coin=o.text("coin"),
        side=o.side("side"),
        px=o.dec("px"),
        sz=o.dec("sz"),
        time=o.integer("time"),
        hash=o.text("hash"),
        tid=o.integer("tid"),
        buyer=buyer,
        seller=seller,
    )


# ---------------------------------------------------------------------------------------------
# Shapes: account
# ---------------------------------------------------------------------------------------------


def _leverage(o: _Obj) -> Leverage:
    kind = o.text("type")
    try:
        lev_type = LeverageType(kind)
    except ValueError:
        raise ParseError(o.at("type"), f'expected "cross" or "isolated", got {kind!r}') from None
    return Leverage(type=lev_type, value=o.integer("value"), raw_usd=o.opt_dec("rawUsd"))


def _position(entry: _Obj) -> Position:
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


def _margin_summary(o: _Obj) -> MarginSummary:
    return MarginSummary(
        account_value=o.dec("accountValue"),
        total_ntl_pos=o.dec("totalNtlPos"),
        total_raw_usd=o.dec("totalRawUsd"),
        total_margin_used=o.dec("totalMarginUsed"),
    )


def _account_state(o: _Obj) -> AccountState:
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


def _order(o: _Obj, *, frontend: bool = False) -> OpenOrder:
    if frontend:
        for key in _FRONTEND_REQUIRED:
            o.get(key)
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
        order_type=o.opt_text("orderType"),
        tif=o.opt_text("tif"),
        is_trigger=o.opt_flag("isTrigger"),
        trigger_px=o.opt_dec("triggerPx"),
        trigger_condition=o.opt_text("triggerCondition"),
        is_position_tpsl=o.opt_flag("isPositionTpsl"),
        children=tuple(_order(c, frontend=frontend) for c in o.objs("children"))
        if o.has("children")
        else (),
    )


def _order_status(o: _Obj, *, frontend: bool) -> OrderStatus:
    return OrderStatus(
        order=_order(o.obj("order"), frontend=frontend),
        status=KnownOrderStatus.coerce(o.text("status")),
        status_timestamp=o.integer("statusTimestamp"),
    )


def _fill(o: _Obj) -> Fill:
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


def _funding_payment(o: _Obj, time: int, hash_: str | None) -> FundingPayment:
    return FundingPayment(
        time=time,
        coin=o.text("coin"),
        usdc=o.dec("usdc"),
        szi=o.dec("szi"),
        funding_rate=o.dec("fundingRate"),
        n_samples=o.opt_integer("nSamples"),
        hash=hash_,
    )


def _user_funding_row(o: _Obj) -> FundingPayment:
    delta = o.obj("delta")
    kind = delta.text("type")
    if kind != "funding":
        raise ParseError(delta.at("type"), f'expected "funding", got {kind!r}')
    return _funding_payment(delta, o.integer("time"), o.text("hash"))


def _ws_funding(o: _Obj) -> FundingPayment:
    return _funding_payment(o, o.integer("time"), o.opt_text("hash"))


def _ledger_update(o: _Obj) -> LedgerUpdate:
    delta = o.obj("delta")
    kind = delta.text("type")
    usdc = delta.opt_dec("usdc")
    details = {
        k: _freeze(v, delta.at(k)) for k, v in delta.raw.items() if k not in ("type", "usdc")
    }
    return LedgerUpdate(
        time=o.integer("time"),
        hash=o.text("hash"),
        type=kind,
        usdc=usdc,
        details=MappingProxyType(details),
    )


def _predicted(value: object, path: str) -> Iterator[PredictedFunding]:
    coin_raw, venues = _pair(value, path)
    coin = _to_str(coin_raw, f"{path}[0]")
    for venue_entry, vpath in _items(venues, f"{path}[1]"):
        venue_raw, data = _pair(venue_entry, vpath)
        if data is None:  # the venue lists the exchange but has no prediction for this coin
            continue
        o = _Obj(data, f"{vpath}[1]")
        yield PredictedFunding(
            coin=coin,
            venue=_to_str(venue_raw, f"{vpath}[0]"),
            funding_rate=o.dec("fundingRate"),
            next_funding_time=o.integer("nextFundingTime"),
            funding_interval_hours=o.opt_integer("fundingIntervalHours"),
        )


def _active_asset_data(o: _Obj) -> ActiveAssetData:
    return ActiveAssetData(
        user=o.text("user"),
        coin=o.text("coin"),
        leverage=_leverage(o.obj("leverage")),
        max_trade_szs=o.decs("maxTradeSzs", 2),
        available_to_trade=o.decs("availableToTrade", 2),
        mark_px=o.opt_dec("markPx"),
    )


# ---------------------------------------------------------------------------------------------
# Public: /info responses (§7). The path prefix in errors is the request type.
# ---------------------------------------------------------------------------------------------


def parse_meta(obj: object) -> Meta:
    """``meta``: universe (asset id = index, delisted included) and margin tables."""
    return _meta(_Obj(obj, "meta"))


def parse_meta_and_asset_ctxs(obj: object) -> tuple[Meta, list[AssetContext]]:
    """``metaAndAssetCtxs``: ``[meta, ctxs]``, ctxs index-aligned with the universe."""
    raw_meta, raw_ctxs = _pair(obj, "metaAndAssetCtxs")
    meta = _meta(_Obj(raw_meta, "metaAndAssetCtxs[0]"))
    ctxs = list(_objs(raw_ctxs, "metaAndAssetCtxs[1]"))
    if len(ctxs) != len(meta.markets):
        raise ParseError(
            "metaAndAssetCtxs[1]",
            f"{len(ctxs)} asset contexts for {len(meta.markets)} markets; they must align",
        )
    return meta, [_asset_ctx(c, m.name) for c, m in zip(ctxs, meta.markets, strict=True)]


def parse_all_mids(obj: object) -> dict[str, Decimal]:
    """``allMids``: coin -> mid price (spot pairs appear as ``@index`` too)."""
    return _mids(_Obj(obj, "allMids"))


def parse_l2_book(obj: object) -> L2Book:
    """``l2Book``: ``{coin, time, levels: [bids, asks]}``."""
    return _l2_book(_Obj(obj, "l2Book"))


def parse_candle(obj: object) -> Candle:
    """One candle object (also the WS ``candle`` channel's data)."""
    return _candle(_Obj(obj, "candle"))


def parse_candles(obj: object) -> list[Candle]:
    """``candleSnapshot``: list of candles, oldest first."""
    return [_candle(o) for o in _objs(obj, "candleSnapshot")]


def parse_clearinghouse_state(obj: object) -> AccountState:
    """``clearinghouseState``: the perp account (§7.1); 2023 and current shapes."""
    return _account_state(_Obj(obj, "clearinghouseState"))


def parse_open_orders(obj: object) -> list[OpenOrder]:
    """``openOrders``: resting orders; ``origSz``/``cloid`` are missing in the old shape."""
    return [_order(o) for o in _objs(obj, "openOrders")]


def parse_frontend_open_orders(obj: object) -> list[OpenOrder]:
    """``frontendOpenOrders``: resting orders with trigger fields and TP/SL children."""
    return [_order(o, frontend=True) for o in _objs(obj, "frontendOpenOrders")]


def parse_order_status(obj: object) -> OrderStatus | None:
    """``orderStatus``: the order and its status, or None for ``{"status":"unknownOid"}``."""
    o = _Obj(obj, "orderStatus")
    outer = o.text("status")
    if outer == "unknownOid":
        return None
    if outer != "order":
        raise ParseError(o.at("status"), f'expected "order" or "unknownOid", got {outer!r}')
    return _order_status(o.obj("order"), frontend=True)


def parse_historical_orders(obj: object) -> list[OrderStatus]:
    """``historicalOrders``: up to 2000 recent orders with their final or live status."""
    return [_order_status(o, frontend=True) for o in _objs(obj, "historicalOrders")]


def parse_fills(obj: object) -> list[Fill]:
    """``userFills`` / ``userFillsByTime`` (old shape without ``tid``/``feeToken`` too)."""
    return [_fill(o) for o in _objs(obj, "userFills")]


def parse_user_funding(obj: object) -> list[FundingPayment]:
    """``userFunding``: rows ``{time, hash, delta: {type: "funding", ...}}``."""
    return [_user_funding_row(o) for o in _objs(obj, "userFunding")]


def parse_ledger_updates(obj: object) -> list[LedgerUpdate]:
    """``userNonFundingLedgerUpdates``: deposits, withdrawals, transfers, liquidations..."""
    return [_ledger_update(o) for o in _objs(obj, "userNonFundingLedgerUpdates")]


def parse_funding_history(obj: object) -> list[FundingRate]:
    """``fundingHistory``: a coin's past funding rates and premiums (max 500 per call)."""
    return [_funding_rate(o) for o in _objs(obj, "fundingHistory")]


def parse_predicted_fundings(obj: object) -> list[PredictedFunding]:
    """``predictedFundings``: flattened to one row per (coin, venue); null venues dropped."""
    return [p for value, path in _items(obj, "predictedFundings") for p in _predicted(value, path)]


def parse_user_rate_limit(obj: object) -> UserRateLimit:
    """``userRateLimit``: cumulative volume and the address-based request budget."""
    o = _Obj(obj, "userRateLimit")
    return UserRateLimit(
        cum_vlm=o.dec("cumVlm"),
        n_requests_used=o.integer("nRequestsUsed"),
        n_requests_cap=o.integer("nRequestsCap"),
        n_requests_surplus=o.opt_integer("nRequestsSurplus"),
    )


def parse_extra_agents(obj: object) -> list[ExtraAgent]:
    """``extraAgents``: the user's named API wallets."""
    return [
        ExtraAgent(
            name=o.text("name"), address=o.text("address"), valid_until=o.integer("validUntil")
        )
        for o in _objs(obj, "extraAgents")
    ]


def parse_user_role(obj: object) -> UserRole:
    """``userRole``: role plus, for agents, the master user; for sub-accounts, the master."""
    o = _Obj(obj, "userRole")
    data = o.opt_obj("data")
    return UserRole(
        role=o.text("role"),
        user=None if data is None else data.opt_text("user"),
        master=None if data is None else data.opt_text("master"),
    )


def parse_active_asset_data(obj: object) -> ActiveAssetData:
    """``activeAssetData``: leverage, max trade sizes and available-to-trade for one coin."""
    return _active_asset_data(_Obj(obj, "activeAssetData"))


# ---------------------------------------------------------------------------------------------
# Public: WebSocket channel ``data`` payloads (§8.2). The path prefix is ``ws.<channel>``.
# ---------------------------------------------------------------------------------------------


def _snapshot_flag(o: _Obj) -> bool:
    return o.opt_flag("isSnapshot") or False


def parse_ws_all_mids(obj: object) -> dict[str, Decimal]:
    """``allMids``: ``{mids: {coin: px}[, dex]}``."""
    return _mids(_Obj(obj, "ws.allMids").obj("mids"))


def parse_ws_l2_book(obj: object) -> L2Book:
    """``l2Book``: the same shape as the info answer, a full snapshot per push."""
    return _l2_book(_Obj(obj, "ws.l2Book"))


def parse_ws_candle(obj: object) -> Candle:
    """``candle``: one candle, resent while it forms."""
    return _candle(_Obj(obj, "ws.candle"))


def parse_ws_trades(obj: object) -> list[Trade]:
    """``trades``: public trades; ``users`` is ``[buyer, seller]``."""
    return [_trade(o) for o in _objs(obj, "ws.trades")]


def parse_ws_bbo(obj: object) -> Bbo:
    """``bbo``: ``{coin, time, bbo: [bid | null, ask | null]}``."""
    o = _Obj(obj, "ws.bbo")
    bid, ask = _pair(o.get("bbo"), o.at("bbo"))
    return Bbo(
        coin=o.text("coin"),
        time=o.integer("time"),
        bid=None if bid is None else _level(_Obj(bid, o.at("bbo") + "[0]")),
        ask=None if ask is None else _level(_Obj(ask, o.at("bbo") + "[1]")),
    )


def parse_ws_user_fills(obj: object) -> tuple[bool, list[Fill]]:
    """``userFills``: ``(is_snapshot, fills)``; a snapshot replaces, an update appends."""
    o = _Obj(obj, "ws.userFills")
    return _snapshot_flag(o), [_fill(f) for f in o.objs("fills")]


def parse_ws_user_fundings(obj: object) -> tuple[bool, list[FundingPayment]]:
    """``userFundings``: ``(is_snapshot, payments)``."""
    o = _Obj(obj, "ws.userFundings")
    return _snapshot_flag(o), [_ws_funding(f) for f in o.objs("fundings")]


def parse_ws_ledger_updates(obj: object) -> tuple[bool, list[LedgerUpdate]]:
    """``userNonFundingLedgerUpdates``: ``(is_snapshot, updates)``."""
    o = _Obj(obj, "ws.userNonFundingLedgerUpdates")
    return _snapshot_flag(o), [_ledger_update(u) for u in o.objs("nonFundingLedgerUpdates")]


def parse_ws_order_updates(obj: object) -> list[OrderStatus]:
    """``orderUpdates``: ``[{order, status, statusTimestamp}]`` with the basic order shape."""
    return [_order_status(o, frontend=False) for o in _objs(obj, "ws.orderUpdates")]


def parse_ws_open_orders(obj: object) -> list[OpenOrder]:
    """``openOrders``: ``{dex, user, orders: [frontend orders]}``."""
    o = _Obj(obj, "ws.openOrders")
    return [_order(order, frontend=True) for order in o.objs("orders")]


def parse_ws_active_asset_ctx(obj: object) -> AssetContext:
    """``activeAssetCtx``: ``{coin, ctx}`` for a perp."""
    o = _Obj(obj, "ws.activeAssetCtx")
    return _asset_ctx(o.obj("ctx"), o.text("coin"))


def parse_ws_active_asset_data(obj: object) -> ActiveAssetData:
    """``activeAssetData``: as the info answer (``markPx`` may be absent)."""
    return _active_asset_data(_Obj(obj, "ws.activeAssetData"))


def parse_ws_clearinghouse_state(obj: object) -> AccountState:
    """``clearinghouseState``: ``{dex, user, clearinghouseState: {...}}``."""
    return _account_state(_Obj(obj, "ws.clearinghouseState").obj("clearinghouseState"))


def parse_ws_notification(obj: object) -> str:
    """``notification``: ``{notification: text}``."""
    return _Obj(obj, "ws.notification").text("notification")


def parse_ws_user_events(obj: object) -> UserEvent:
    """``user`` channel (userEvents): fills | funding | liquidation | nonUserCancel.

    A message with another key (the venue has added TWAP variants) comes back as a UserEvent
    whose ``kind`` is that key and whose payload is empty, so new variants cannot break the
    stream.
    """
    o = _Obj(obj, "ws.userEvents")
    if "fills" in o.raw:
        return UserEvent(UserEventKind.FILLS, fills=tuple(_fill(f) for f in o.objs("fills")))
    if "funding" in o.raw:
        return UserEvent(UserEventKind.FUNDING, funding=_ws_funding(o.obj("funding")))
    if "liquidation" in o.raw:
        liq = o.obj("liquidation")
        return UserEvent(
            UserEventKind.LIQUIDATION,
            liquidation=LiquidationEvent(
                lid=liq.integer("lid"),
                liquidator=liq.text("liquidator"),
                liquidated_user=liq.text("liquidated_user"),
                liquidated_ntl_pos=liq.dec("liquidated_ntl_pos"),
                liquidated_account_value=liq.dec("liquidated_account_value"),
            ),
        )
    if "nonUserCancel" in o.raw:
        cancels = tuple(
            NonUserCancel(coin=c.text("coin"), oid=c.integer("oid"))
            for c in o.objs("nonUserCancel")
        )
        return UserEvent(UserEventKind.NON_USER_CANCEL, non_user_cancels=cancels)
    if not o.raw:
        raise ParseError(o.path, "empty event")
    return UserEvent(kind=next(iter(o.raw)))

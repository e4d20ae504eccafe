"""Wire JSON -> universe and market-data models (meta, contexts, books, candles, trades).

One of the ``parse*`` modules that own every read of venue JSON; see
:mod:`wallet_perps.hyperliquid.parse` for the public entry points and the rules. The readers
here take an :class:`~wallet_perps.hyperliquid.parse_base.Obj` (a JSON object with its path),
so a failure names the offending field.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from wallet_perps.core.models import (
    AssetContext,
    BookLevel,
    Candle,
    FundingRate,
    L2Book,
    MarginTable,
    MarginTier,
    Market,
    Meta,
    PredictedFunding,
    Trade,
)
from wallet_perps.hyperliquid.parse_base import (
    Obj,
    array_items,
    objs,
    pair,
    to_decimal,
    to_int,
    to_str,
)

__all__ = [
    "read_asset_ctx",
    "read_candle",
    "read_funding_rate",
    "read_l2_book",
    "read_level",
    "read_meta",
    "read_mids",
    "read_predicted",
    "read_trade",
]


def _market(o: Obj, asset_id: int) -> Market:
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
    table_id, body = pair(value, path)
    o = Obj(body, f"{path}[1]")
    tiers = sorted(
        (MarginTier(t.dec("lowerBound"), t.integer("maxLeverage")) for t in o.objs("marginTiers")),
        key=lambda tier: tier.lower_bound,
    )
    return MarginTable(
        id=to_int(table_id, f"{path}[0]"),
        description=o.opt_text("description") or "",
        tiers=tuple(tiers),
    )


def read_meta(o: Obj) -> Meta:
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


def read_asset_ctx(o: Obj, coin: str) -> AssetContext:
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


def read_level(o: Obj) -> BookLevel:
    return BookLevel(px=o.dec("px"), sz=o.dec("sz"), n=o.integer("n"))


def read_mids(o: Obj) -> dict[str, Decimal]:
    return {coin: to_decimal(px, o.at(coin)) for coin, px in o.raw.items()}


def read_l2_book(o: Obj) -> L2Book:
    bids, asks = pair(o.get("levels"), o.at("levels"))
    return L2Book(
        coin=o.text("coin"),
        time=o.integer("time"),
        bids=tuple(read_level(lv) for lv in objs(bids, o.at("levels") + "[0]")),
        asks=tuple(read_level(lv) for lv in objs(asks, o.at("levels") + "[1]")),
    )


def read_candle(o: Obj) -> Candle:
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


def read_funding_rate(o: Obj) -> FundingRate:
    return FundingRate(
        coin=o.text("coin"),
        funding_rate=o.dec("fundingRate"),
        premium=o.dec("premium"),
        time=o.integer("time"),
    )


def read_trade(o: Obj) -> Trade:
    buyer = seller = None
    if o.has("users"):
        users = pair(o.get("users"), o.at("users"))
        buyer = to_str(users[0], o.at("users") + "[0]")
        seller = to_str(users[1], o.at("users") + "[1]")
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


def read_predicted(value: object, path: str) -> Iterator[PredictedFunding]:
    coin_raw, venues = pair(value, path)
    coin = to_str(coin_raw, f"{path}[0]")
    for venue_entry, vpath in array_items(venues, f"{path}[1]"):
        venue_raw, data = pair(venue_entry, vpath)
        if data is None:  # the venue lists the exchange but has no prediction for this coin
            continue
        o = Obj(data, f"{vpath}[1]")
        yield PredictedFunding(
            coin=coin,
            venue=to_str(venue_raw, f"{vpath}[0]"),
            funding_rate=o.dec("fundingRate"),
            next_funding_time=o.integer("nextFundingTime"),
            funding_interval_hours=o.opt_integer("fundingIntervalHours"),
        )

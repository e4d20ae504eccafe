"""Wire JSON -> universe and market-data models (meta, contexts, books, candles, trades).

One of the ``parse*`` modules that own every read of venue JSON; see
:mod:`wallet_perps.hyperliquid.parse` for the public entry points and the rules. The readers
here take an :class:`~wallet_perps.hyperliquid.parse_base.Obj` (a JSON object with its path),
so a failure names the offending field.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from types import MappingProxyType
from typing import Final

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
    read_record,
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
    return read_record(Market, o, asset_id=asset_id)


def _margin_table(value: object, path: str) -> MarginTable:
    table_id, body = pair(value, path)
    o = Obj(body, f"{path}[1]")
    tiers = sorted(
        (read_record(MarginTier, t) for t in o.objs("marginTiers")),
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
    return read_record(AssetContext, o, coin=coin, impact_pxs=o.opt_decs("impactPxs", 2))


def read_level(o: Obj) -> BookLevel:
    return read_record(BookLevel, o)


def read_mids(o: Obj) -> dict[str, Decimal]:
    return {coin: to_decimal(px, o.at(coin)) for coin, px in o.raw.items()}


def read_l2_book(o: Obj) -> L2Book:
    bids, asks = pair(o.get("levels"), o.at("levels"))
    return read_record(
        L2Book,
        o,
        bids=tuple(read_level(lv) for lv in objs(bids, o.at("levels") + "[0]")),
        asks=tuple(read_level(lv) for lv in objs(asks, o.at("levels") + "[1]")),
    )


#: Candles are the one shape whose keys are single letters (PROTOCOL.md §7, candleSnapshot).
_CANDLE_KEYS: Final = MappingProxyType(
    {
        "coin": "s",
        "interval": "i",
        "open_time": "t",
        "close_time": "T",
        "open": "o",
        "high": "h",
        "low": "l",
        "close": "c",
        "volume": "v",
        "trades": "n",
    }
)


def read_candle(o: Obj) -> Candle:
    return read_record(Candle, o, wire_keys=_CANDLE_KEYS)


def read_funding_rate(o: Obj) -> FundingRate:
    return read_record(FundingRate, o)


def read_trade(o: Obj) -> Trade:
    buyer = seller = None
    if o.has("users"):
        users = pair(o.get("users"), o.at("users"))
        buyer = to_str(users[0], o.at("users") + "[0]")
        seller = to_str(users[1], o.at("users") + "[1]")
    return read_record(Trade, o, buyer=buyer, seller=seller)


def read_predicted(value: object, path: str) -> Iterator[PredictedFunding]:
    coin_raw, venues = pair(value, path)
    coin = to_str(coin_raw, f"{path}[0]")
    for venue_entry, vpath in array_items(venues, f"{path}[1]"):
        venue_raw, data = pair(venue_entry, vpath)
        if data is None:  # the venue lists the exchange but has no prediction for this coin
            continue
        o = Obj(data, f"{vpath}[1]")
        venue = to_str(venue_raw, f"{vpath}[0]")
        yield read_record(PredictedFunding, o, coin=coin, venue=venue)

"""Tests for wallet_perps.hyperliquid.parse against recorded venue data and the docs examples.

The central check is ``assert_matches``: it walks the raw JSON next to the model it produced and
asserts that every Decimal equals ``Decimal(source_string)`` exactly, every id/time is an int
equal to the source, and every wire field is carried by some model field (so nothing is lost
silently). Malformed input must raise ParseError naming the field, never anything else.
"""

from __future__ import annotations

import contextlib
import copy
import json
import pickle
import random
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import fields, is_dataclass
from decimal import Decimal
from enum import Enum
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import FIXTURES_DIR
from wallet_perps.core.ledger import (
    AccountClassTransfer,
    Deposit,
    LedgerUpdate,
    LiquidatedPosition,
    Liquidation,
    SpotTransfer,
    UnknownDelta,
    Withdraw,
)
from wallet_perps.core.models import (
    AccountState,
    AssetContext,
    Candle,
    FundingPayment,
    L2Book,
    LeverageType,
    Market,
    Meta,
    Side,
)
from wallet_perps.core.orders import KnownOrderStatus, KnownOrderType, OpenOrder, OrderStatus, TpSl
from wallet_perps.core.user_events import UserEventKind
from wallet_perps.hyperliquid import parse as P
from wallet_perps.hyperliquid.parse import ParseError

SHARED = FIXTURES_DIR
RECORDED = SHARED / "recorded"
DOCS = SHARED / "doc_examples" / "docs_examples.json"


# ---------------------------------------------------------------------------------------------
# Fixture loading
# ---------------------------------------------------------------------------------------------


@cache
def _load(path: Path) -> Any:
    return json.loads(path.read_text())


def recorded_files() -> list[Path]:
    return sorted(RECORDED.glob("*.json"))


def interactions(request_type: str) -> Iterator[tuple[dict[str, Any], Any]]:
    """(request body, response body) of every recorded interaction of one request type."""
    for path in recorded_files():
        for it in _load(path)["interactions"]:
            if it["request"]["body"]["type"] == request_type:
                yield it["request"]["body"], it["response"]["body"]


def body(request_type: str, index: int = 0) -> Any:
    """A deep copy of one recorded response body, safe to mutate."""
    return copy.deepcopy(list(interactions(request_type))[index][1])


def docs_examples() -> dict[str, Any]:
    return _load(DOCS)  # type: ignore[no-any-return]


def doc(section: str, index: int = 0) -> Any:
    return copy.deepcopy(docs_examples()[section]["examples"][index]["parsed"])


# ---------------------------------------------------------------------------------------------
# Generic raw-vs-model checker
# ---------------------------------------------------------------------------------------------


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


# Model field -> wire key where the camelCase rule does not apply; None = derived, not on wire.
ALIASES: dict[type, dict[str, str | None]] = {
    Candle: {
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
    },
    Market: {"asset_id": None},
    AssetContext: {"coin": None},
    # Position lives under "position"; position_type comes from the wrapper's "type".
    # AccountState.positions is checked by check_account_state.
    AccountState: {"positions": None},
    # Derived by the parser from orderType (or a wire "tpsl" where a shape has one).
    OpenOrder: {"tpsl": None},
}


def compare(raw: Any, value: Any, path: str) -> None:
    """Assert one model value equals its wire source exactly."""
    if raw is None:
        absent = value is None or value is False or value == ()
        assert absent, f"{path}: absent on the wire but model has {value!r}"
        return
    if isinstance(value, Enum):
        assert value.value == raw, f"{path}: {value!r} != {raw!r}"
    elif isinstance(value, bool):
        assert raw is value, f"{path}: {value!r} != {raw!r}"
    elif isinstance(value, Decimal):
        assert isinstance(raw, str | int | float) and not isinstance(raw, bool), path
        assert Decimal(str(raw)) == value, f"{path}: {value!r} != {raw!r}"
        if isinstance(raw, str):
            assert Decimal(raw) == value
    elif isinstance(value, int):
        assert type(value) is int and type(raw) is int, f"{path}: ids/times must be int"
        assert value == raw, f"{path}: {value!r} != {raw!r}"
    elif isinstance(value, str):
        assert value == raw, f"{path}: {value!r} != {raw!r}"
    elif isinstance(value, tuple):
        assert isinstance(raw, list) and len(raw) == len(value), f"{path}: length differs"
        for i, (r, v) in enumerate(zip(raw, value, strict=True)):
            compare(r, v, f"{path}[{i}]")
    elif is_dataclass(value):
        assert_matches(raw, value, path=path)
    else:  # pragma: no cover - a model type this checker does not know yet
        raise AssertionError(f"{path}: cannot compare {type(value).__name__}")


def assert_matches(
    raw: Mapping[str, Any],
    model: Any,
    *,
    path: str = "$",
    skip: frozenset[str] = frozenset(),
    ignore_raw: frozenset[str] = frozenset(),
) -> None:
    """Walk ``raw`` next to ``model``: every field equal, every wire key accounted for."""
    assert is_dataclass(model), path
    assert isinstance(raw, dict), f"{path}: expected a JSON object"
    aliases = ALIASES.get(type(model), {})
    used: set[str] = set()
    for f in fields(model):
        if f.name.startswith("_") or f.name in skip:
            continue
        key = aliases.get(f.name, _camel(f.name))
        if key is None:
            continue
        used.add(key)
        compare(raw.get(key), getattr(model, f.name), f"{path}.{key}")
    leftover = set(raw) - used - ignore_raw
    assert not leftover, f"{path}: wire fields not carried by {type(model).__name__}: {leftover}"


def check_account_state(raw: dict[str, Any], state: AccountState) -> None:
    assert_matches(raw, state, ignore_raw=frozenset({"assetPositions"}))
    assert len(raw["assetPositions"]) == len(state.positions)
    for i, (entry, pos) in enumerate(zip(raw["assetPositions"], state.positions, strict=True)):
        assert pos.position_type == entry["type"]
        assert_matches(
            entry["position"], pos, path=f"$.assetPositions[{i}]", skip=frozenset({"position_type"})
        )


def check_meta(raw: dict[str, Any], meta: Meta) -> None:
    assert len(raw["universe"]) == len(meta.markets)
    for i, (m, market) in enumerate(zip(raw["universe"], meta.markets, strict=True)):
        assert market.asset_id == i
        # growthMode etc. are HIP-3 display fields the app does not use.
        assert_matches(
            m,
            market,
            path=f"$.universe[{i}]",
            ignore_raw=frozenset({"growthMode", "lastGrowthModeChangeTime"}),
        )
    tables = {t.id: t for t in meta.margin_tables}
    for table_id, table in raw.get("marginTables", []):
        parsed = tables[table_id]
        assert parsed.description == table["description"]
        assert [(str(t.lower_bound), t.max_leverage) for t in parsed.tiers] == sorted(
            ((t["lowerBound"], t["maxLeverage"]) for t in table["marginTiers"]),
            key=lambda x: Decimal(x[0]),
        )
    assert meta.collateral_token == raw.get("collateralToken")


def check_list(raw: list[Any], models: list[Any], **kw: Any) -> None:
    assert len(raw) == len(models)
    for i, (r, m) in enumerate(zip(raw, models, strict=True)):
        assert_matches(r, m, path=f"$[{i}]", **kw)


def check_l2(raw: dict[str, Any], book: L2Book) -> None:
    assert_matches(raw, book, skip=frozenset({"bids", "asks"}), ignore_raw=frozenset({"levels"}))
    compare(raw["levels"][0], book.bids, "$.levels[0]")
    compare(raw["levels"][1], book.asks, "$.levels[1]")


def check_user_funding(raw: list[Any], payments: list[FundingPayment]) -> None:
    assert len(raw) == len(payments)
    for i, (row, p) in enumerate(zip(raw, payments, strict=True)):
        assert type(p.time) is int and p.time == row["time"]
        assert p.hash == row["hash"]
        assert_matches(
            row["delta"],
            p,
            path=f"$[{i}].delta",
            skip=frozenset({"time", "hash"}),
            ignore_raw=frozenset({"type"}),
        )


def check_ledger(raw: list[Any], updates: list[LedgerUpdate]) -> None:
    """Every modelled delta carries every wire field; an unknown one keeps the wire verbatim."""
    assert len(raw) == len(updates)
    for i, (row, u) in enumerate(zip(raw, updates, strict=True)):
        assert (u.time, u.hash, u.type) == (row["time"], row["hash"], row["delta"]["type"])
        if isinstance(u.delta, UnknownDelta):
            assert _thaw(u.delta.raw) == row["delta"]
        else:
            assert_matches(
                row["delta"], u.delta, path=f"$[{i}].delta", ignore_raw=frozenset({"type"})
            )


def check_order_statuses(raw: list[Any], statuses: list[OrderStatus]) -> None:
    assert len(raw) == len(statuses)
    for i, (r, s) in enumerate(zip(raw, statuses, strict=True)):
        assert s.status == r["status"] and s.status_timestamp == r["statusTimestamp"]
        assert_matches(r["order"], s.order, path=f"$[{i}].order")


def _thaw(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _thaw(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [_thaw(v) for v in value]
    return value


# ---------------------------------------------------------------------------------------------
# Recorded fixtures: every interaction of a modeled type parses and matches exactly
# ---------------------------------------------------------------------------------------------

Checker = Callable[[Any, Any], None]

MODELED: dict[str, tuple[Callable[[Any], Any], Checker]] = {
    "meta": (P.parse_meta, check_meta),
    "allMids": (P.parse_all_mids, lambda r, m: assert_mids(r, m)),
    "l2Book": (P.parse_l2_book, check_l2),
    "candleSnapshot": (P.parse_candles, check_list),
    "fundingHistory": (P.parse_funding_history, check_list),
    "clearinghouseState": (P.parse_clearinghouse_state, check_account_state),
    "openOrders": (P.parse_open_orders, check_list),
    "frontendOpenOrders": (P.parse_frontend_open_orders, check_list),
    "historicalOrders": (P.parse_historical_orders, check_order_statuses),
    "userFills": (P.parse_fills, check_list),
    "userFillsByTime": (P.parse_fills, check_list),
    "userFunding": (P.parse_user_funding, check_user_funding),
    "userNonFundingLedgerUpdates": (P.parse_ledger_updates, check_ledger),
    "userRateLimit": (P.parse_user_rate_limit, assert_matches),
    "userRole": (P.parse_user_role, lambda r, m: assert_role(r, m)),
    "extraAgents": (P.parse_extra_agents, check_list),
}

# Request types with fixtures that the app does not model, and why.
NOT_MODELED: dict[str, str] = {
    "portfolio": "account-value/PnL history charts are not part of the perps app (yet)",
    "delegatorHistory": "HYPE staking history; the app does not stake",
    "userVaultEquities": "vault deposits; the app does not trade vaults",
    "userTwapSliceFills": "TWAP orders are not offered by the app",
    "spotMeta": "spot universe; a perps-only app does not depend on spot (PROTOCOL §13.7)",
}


def assert_mids(raw: dict[str, str], mids: dict[str, Decimal]) -> None:
    assert set(raw) == set(mids)
    for coin, px in raw.items():
        assert type(mids[coin]) is Decimal and mids[coin] == Decimal(px)


def assert_role(raw: dict[str, Any], role: Any) -> None:
    assert role.role == raw["role"]
    data = raw.get("data") or {}
    assert (role.user, role.master) == (data.get("user"), data.get("master"))


@pytest.mark.parametrize("path", recorded_files(), ids=lambda p: p.stem)
def test_recorded_fixture_parses_and_matches(path: Path) -> None:
    recording = _load(path)
    assert recording["interactions"], path
    for it in recording["interactions"]:
        request_type = it["request"]["body"]["type"]
        if request_type in NOT_MODELED:
            continue
        assert request_type in MODELED, f"{path.name}: no parser registered for {request_type}"
        parser, checker = MODELED[request_type]
        raw = it["response"]["body"]
        model = parser(copy.deepcopy(raw))
        checker(raw, model)


def test_every_recorded_request_type_is_modeled_or_listed() -> None:
    seen = {
        it["request"]["body"]["type"]
        for path in recorded_files()
        for it in _load(path)["interactions"]
    }
    assert seen <= set(MODELED) | set(NOT_MODELED)
    # The bulk shapes the checker must have walked at least once.
    for required in (
        "clearinghouseState",
        "userFills",
        "l2Book",
        "candleSnapshot",
        "fundingHistory",
        "userFunding",
        "openOrders",
    ):
        assert required in seen


def test_recorded_user_state_2023_shape() -> None:
    state = P.parse_clearinghouse_state(body("clearinghouseState"))
    assert len(state.positions) == 12
    assert state.time is None and state.cross_maintenance_margin_used is None
    btc = state.positions[0]
    assert btc.coin == "BTC" and btc.szi == Decimal("-0.00785") and not btc.is_long
    assert btc.leverage.type is LeverageType.CROSS and btc.leverage.value == 20
    assert btc.max_trade_szs == (Decimal("0.76534"), Decimal("0.74964"))
    assert btc.cum_funding is None and btc.max_leverage is None
    assert state.positions[1].liquidation_px is None  # null on the wire
    assert state.withdrawable == Decimal("1010.57173")
    assert state.position("ETH") is state.positions[1] and state.position("NOPE") is None


def test_recorded_meta_old_shape_has_no_margin_tables() -> None:
    meta = P.parse_meta(body("meta"))
    assert meta.margin_tables == () and meta.collateral_token is None
    assert meta.asset_id("BTC") == 0 and meta.market("kPEPE").sz_decimals == 0
    assert meta.margin_table_for("ETH").tiers[0].max_leverage == 50


def test_recorded_fills_old_shape_and_dirs() -> None:
    fills = P.parse_fills(body("userFills"))
    assert len(fills) == 500
    assert all(f.tid is None and f.fee_token is None and f.liquidation is None for f in fills)
    assert {f.dir for f in fills} >= {"Open Long", "Close Short", "Long > Short", "Short > Long"}
    assert all(isinstance(f.side, Side) for f in fills)


def test_recorded_frontend_orders_children() -> None:
    orders = P.parse_frontend_open_orders(body("frontendOpenOrders"))
    parent = next(o for o in orders if o.children)
    assert parent.order_type == "Limit" and parent.tif == "Gtc" and parent.is_trigger is False
    assert parent.trigger_px == 0
    tp, sl = sorted(parent.children, key=lambda c: c.order_type or "", reverse=True)
    assert tp.order_type == "Take Profit Market" and tp.trigger_px == Decimal("10.004")
    assert tp.trigger_condition == "Price above 10.004" and tp.tif is None
    assert sl.trigger_condition == "Price below 9.995" and sl.reduce_only is True
    # The TP/SL kind is read from the wire's order type once, as enum members.
    assert parent.order_type is KnownOrderType.LIMIT and parent.tpsl is None
    assert tp.order_type is KnownOrderType.TAKE_PROFIT_MARKET and tp.tpsl is TpSl.TP
    assert sl.order_type is KnownOrderType.STOP_MARKET and sl.tpsl is TpSl.SL
    assert all(c.side is Side.SELL for c in parent.children)


def test_recorded_open_orders_old_shape() -> None:
    orders = P.parse_open_orders(body("openOrders"))
    assert len(orders) == 196
    assert all(o.orig_sz is None and o.cloid is None and o.children == () for o in orders)
    assert all(o.filled_sz is None for o in orders)


def test_recorded_historical_orders_status() -> None:
    statuses = P.parse_historical_orders(body("historicalOrders"))
    assert statuses[0].status == "iocCancelRejected"
    assert statuses[0].status is KnownOrderStatus.IOC_CANCEL_REJECTED
    assert statuses[0].is_final and not statuses[0].is_open
    assert statuses[0].order.oid == 141682155424  # > 2**32
    assert statuses[0].order.cloid is None


def test_recorded_ledger_updates_are_typed() -> None:
    updates = P.parse_ledger_updates(body("userNonFundingLedgerUpdates", 1))
    assert [type(u.delta) for u in updates] == [
        Deposit,
        AccountClassTransfer,
        SpotTransfer,
        AccountClassTransfer,
        Deposit,
    ]
    assert updates[0].delta == Deposit(Decimal("2703997.4500000002"))
    assert updates[1].delta == AccountClassTransfer(Decimal("12.0"), to_perp=False)
    spot = updates[2].delta
    assert isinstance(spot, SpotTransfer)
    assert (spot.token, spot.amount, spot.usdc_value) == ("USDC", Decimal("10.5"), Decimal("10.5"))
    assert spot.user == "0x2ba553d9f990a3b66b03b2dc0d030dfc1c061036"
    assert spot.destination == "0xaaa0c2769cb990f4f37db951a9e48de2385c2733"
    assert spot.fee == Decimal("1.0") and spot.native_token_fee == 0
    assert spot.nonce is None and spot.fee_token == ""


def test_recorded_user_rate_limit_big_ints() -> None:
    rl = P.parse_user_rate_limit(body("userRateLimit"))
    assert rl.cum_vlm == Decimal("170043721737.450012207")
    assert rl.n_requests_used == 36589831368 and rl.n_requests_surplus is None
    assert rl.remaining == 170043731737 - 36589831368


# ---------------------------------------------------------------------------------------------
# Docs examples
# ---------------------------------------------------------------------------------------------

# Section (request type in parentheses) -> parser. Sections are the docs_examples.json keys.
DOC_PARSERS: dict[str, Callable[[Any], Any]] = {
    "info-endpoint::Retrieve mids for all coins": P.parse_all_mids,
    "info-endpoint::Retrieve a user's open orders": P.parse_open_orders,
    "info-endpoint::Retrieve a user's open orders with additional frontend info": (
        P.parse_frontend_open_orders
    ),
    "info-endpoint::Retrieve a user's fills": P.parse_fills,
    "info-endpoint::Retrieve a user's fills by time": P.parse_fills,
    "info-endpoint::Query user rate limits": P.parse_user_rate_limit,
    "info-endpoint::Query order status by oid or cloid": P.parse_order_status,
    "info-endpoint::L2 book snapshot": P.parse_l2_book,
    "info-endpoint::Candle snapshot": P.parse_candles,
    "info-endpoint::Retrieve a user's historical orders": P.parse_historical_orders,
    "info-endpoint::Query a user's role": P.parse_user_role,
    "perpetuals::Retrieve perpetuals metadata (universe and margin tables)": P.parse_meta,
    "perpetuals::Retrieve perpetuals asset contexts (includes mark price, current funding, open "
    "interest, etc.)": P.parse_meta_and_asset_ctxs,
    "perpetuals::Retrieve user's perpetuals account summary": P.parse_clearinghouse_state,
    "perpetuals::Retrieve a user's funding history or non-funding ledger updates": (
        P.parse_user_funding
    ),
    "perpetuals::Retrieve historical funding rates": P.parse_funding_history,
    "perpetuals::Retrieve predicted funding rates for different venues": (
        P.parse_predicted_fundings
    ),
    "perpetuals::Retrieve User's Active Asset Data": P.parse_active_asset_data,
}

# Hand-typed blocks that are not JSON as written: a minimal fix that keeps the shape.
DOC_FIXUPS: dict[tuple[str, int], Callable[[str], str]] = {
    ("info-endpoint::Retrieve a user's historical orders", 0): lambda raw: re.sub(
        r'"status": "filled" \|[^\n]*', '"status": "filled",', raw
    ),
    ("info-endpoint::Query a user's role", 0): lambda raw: raw.split("#")[0],
}

# Blocks whose data is wrong as typed; the parser must refuse them with a ParseError naming the
# field rather than guess. (The " USDC" feeToken quirk is a string and is kept verbatim.)
DOC_QUIRKS: dict[tuple[str, int], str] = {
    ("perpetuals::Retrieve a user's funding history or non-funding ledger updates", 0): (
        "userFunding[0].delta.usdc"  # "usdc":" -3.625312" has a stray leading space
    ),
}


def _doc_cases() -> Iterator[Any]:
    for section, parser in DOC_PARSERS.items():
        for i in range(len(docs_examples()[section]["examples"])):
            yield pytest.param(section, i, parser, id=f"{section.split('::')[1][:40]}#{i}")


def test_doc_sections_exist() -> None:
    assert set(DOC_PARSERS) <= set(docs_examples())


@pytest.mark.parametrize(("section", "index", "parser"), list(_doc_cases()))
def test_docs_example_parses(section: str, index: int, parser: Callable[[Any], Any]) -> None:
    example = docs_examples()[section]["examples"][index]
    data = example["parsed"]
    if data is None:
        fixup = DOC_FIXUPS.get((section, index))
        assert fixup is not None, f"unparseable docs block without a fixup: {example['raw']!r}"
        data = json.loads(re.sub(r"//[^\n]*", "", fixup(example["raw"])))
    data = copy.deepcopy(data)
    quirk = DOC_QUIRKS.get((section, index))
    if quirk is not None:
        with pytest.raises(ParseError) as info:
            parser(data)
        assert info.value.path == quirk
        return
    parser(data)


def test_docs_fills_new_shape() -> None:
    fills = P.parse_fills(doc("info-endpoint::Retrieve a user's fills"))
    check_list(doc("info-endpoint::Retrieve a user's fills"), fills)
    perp, hip3, spot = fills
    assert perp.tid == 118906512037719 and perp.builder_fee == Decimal("0.01")
    assert perp.fee_token == "USDC"
    assert hip3.coin == "xyz:XYZ100" and hip3.builder_fee is None
    assert hip3.fee_token == " USDC"  # docs typo kept verbatim; parse does not massage strings
    assert spot.coin == "@107" and spot.dir == "Sell"


def test_docs_clearinghouse_state_isolated_2024_shape() -> None:
    raw = doc("perpetuals::Retrieve user's perpetuals account summary")
    state = P.parse_clearinghouse_state(raw)
    check_account_state(raw, state)
    eth = state.positions[0]
    assert eth.leverage.type is LeverageType.ISOLATED and not eth.leverage.is_cross
    assert eth.leverage.raw_usd == Decimal("-95.059824")
    assert eth.cum_funding is not None and eth.cum_funding.all_time == Decimal("514.085417")
    assert eth.max_leverage == 50 and eth.max_trade_szs is None
    assert state.time == 1708622398623
    assert state.cross_maintenance_margin_used == Decimal("0.0")


def test_docs_meta_and_asset_ctxs() -> None:
    section = (
        "perpetuals::Retrieve perpetuals asset contexts (includes mark price, current funding, "
        "open interest, etc.)"
    )
    for index in (0, 1):
        raw = doc(section, index)
        meta, ctxs = P.parse_meta_and_asset_ctxs(raw)
        check_meta(raw[0], meta)
        check_list(raw[1], ctxs)
        assert [c.coin for c in ctxs] == list(meta.coins)
    meta, ctxs = P.parse_meta_and_asset_ctxs(doc(section, 1))
    assert ctxs[1].premium is None and ctxs[1].impact_pxs is None and ctxs[2].mid_px is None
    assert ctxs[0].impact_pxs == (Decimal("24946.0"), Decimal("25956.0"))
    # marginTableId 20 and 10 are not listed: ids < 50 mean one tier at that leverage.
    assert meta.margin_table_for("xyz:TSLA").tiers == meta.margin_table(10).tiers
    assert meta.margin_table(10).tiers[0].max_leverage == 10
    assert {t.id for t in meta.margin_tables} == {50, 20, 10}
    assert meta.market("xyz:XYZ100").margin_mode == "strictIsolated"


def test_docs_meta_delisted_keeps_index_and_tiers() -> None:
    raw = doc("perpetuals::Retrieve perpetuals metadata (universe and margin tables)")
    meta = P.parse_meta(raw)
    check_meta(raw, meta)
    loom = meta.market("LOOM")
    assert loom.is_delisted and loom.asset_id == 3 and loom.only_isolated
    assert meta.by_asset_id(3) is loom
    tiered = meta.margin_table(51)
    assert [(t.lower_bound, t.max_leverage) for t in tiered.tiers] == [
        (Decimal("0.0"), 10),
        (Decimal("3000000.0"), 5),
    ]
    with pytest.raises(KeyError, match="unknown coin 'DOGE'"):
        meta.asset_id("DOGE")


def test_docs_order_status() -> None:
    section = "info-endpoint::Query order status by oid or cloid"
    status = P.parse_order_status(doc(section, 0))
    assert status is not None
    assert status.status == "<status>" and not status.is_known_status  # docs placeholder
    assert status.order.tif == "FrontendMarket" and status.order.orig_sz == Decimal("0.0076")
    assert status.order.filled_sz == Decimal("0.0076")
    assert P.parse_order_status(doc(section, 1)) is None


def test_docs_predicted_fundings() -> None:
    rows = P.parse_predicted_fundings(
        doc("perpetuals::Retrieve predicted funding rates for different venues")
    )
    assert [(r.coin, r.venue) for r in rows] == [
        ("AVAX", "BinPerp"),
        ("AVAX", "HlPerp"),
        ("AVAX", "BybitPerp"),
    ]
    assert (
        rows[1].funding_rate == Decimal("0.0000125") and rows[1].next_funding_time == 1733958000000
    )
    # Null venue entries (seen live, typed as nullable by nktkas) are dropped, not fatal.
    with_null = [
        [
            "BTC",
            [
                ["HlPerp", None],
                [
                    "BinPerp",
                    {"fundingRate": "0.0001", "nextFundingTime": 1, "fundingIntervalHours": 8},
                ],
            ],
        ]
    ]
    (only,) = P.parse_predicted_fundings(with_null)
    assert only.venue == "BinPerp" and only.funding_interval_hours == 8


def test_docs_active_asset_data_and_roles() -> None:
    section = "perpetuals::Retrieve User's Active Asset Data"
    for index in (0, 1):
        raw = doc(section, index)
        assert_matches(raw, P.parse_active_asset_data(raw))
    data = P.parse_active_asset_data(doc(section, 1))
    assert data.leverage.raw_usd == Decimal("0.0") and data.max_trade_szs == (
        Decimal(0),
        Decimal(0),
    )
    roles = [P.parse_user_role(doc("info-endpoint::Query a user's role", i)) for i in (1, 3, 4)]
    assert [(r.role, r.user, r.master) for r in roles] == [
        ("agent", "0x...", None),
        ("subAccount", None, "0x..."),
        ("missing", None, None),
    ]
    assert roles[0].is_agent


# ---------------------------------------------------------------------------------------------
# WebSocket payloads (§8.2): strings or JSON numbers
# ---------------------------------------------------------------------------------------------

WS_FILL = {
    "coin": "BTC",
    "px": "65000.5",
    "sz": "0.01",
    "side": "B",
    "time": 1717000000000,
    "startPosition": "0.0",
    "dir": "Open Long",
    "closedPnl": "0.0",
    "hash": "0x" + "ab" * 32,
    "oid": 600000000001,
    "crossed": True,
    "fee": "0.2925",
    "tid": 123456789012345,
    "feeToken": "USDC",
    "builderFee": "0.01",
    "cloid": "0x" + "12" * 16,
    "twapId": None,
    "liquidation": {"liquidatedUser": "0x" + "cd" * 20, "markPx": 64999.0, "method": "market"},
}


def test_ws_trades_numbers_or_strings() -> None:
    trades = P.parse_ws_trades(
        [
            {
                "coin": "ETH",
                "side": "A",
                "px": 3100.1,
                "sz": 0.1,
                "hash": "0x00",
                "time": 1717000000000,
                "tid": 42,
                "users": ["0xbuyer", "0xseller"],
            },
            {
                "coin": "ETH",
                "side": "B",
                "px": "3100.2",
                "sz": "2",
                "hash": "0x01",
                "time": 1,
                "tid": 43,
            },
        ]
    )
    # Floats go through str(): 0.1 stays exactly 0.1, not 0.1000000000000000055...
    assert trades[0].px == Decimal("3100.1") and trades[0].sz == Decimal("0.1")
    assert trades[0].side is Side.SELL and not trades[0].side.is_buy
    assert (trades[0].buyer, trades[0].seller) == ("0xbuyer", "0xseller")
    assert trades[1].buyer is None and trades[1].side.is_buy


def test_ws_bbo_with_empty_side() -> None:
    bbo = P.parse_ws_bbo(
        {"coin": "BTC", "time": 5, "bbo": [{"px": "100.0", "sz": "1.5", "n": 3}, None]}
    )
    assert bbo.bid is not None and bbo.bid.px == Decimal("100.0") and bbo.ask is None


def test_ws_l2_book_and_candle_numbers() -> None:
    book = P.parse_ws_l2_book(
        {
            "coin": "BTC",
            "time": 7,
            "levels": [[{"px": 100.5, "sz": 2, "n": 1}], [{"px": "101", "sz": "1", "n": 2}]],
        }
    )
    assert book.best_bid is not None and book.best_bid.px == Decimal("100.5")
    assert book.mid == Decimal("100.75")
    candle = P.parse_ws_candle(
        {
            "t": 0,
            "T": 59999,
            "s": "BTC",
            "i": "1m",
            "o": 1.5,
            "c": "2",
            "h": 2.25,
            "l": 1,
            "v": 10,
            "n": 3,
        }
    )
    assert (candle.open, candle.high, candle.low) == (Decimal("1.5"), Decimal("2.25"), Decimal(1))


def test_ws_user_fills_snapshot_flag_and_new_fields() -> None:
    snap, fills = P.parse_ws_user_fills({"isSnapshot": True, "user": "0xu", "fills": [WS_FILL]})
    assert snap is True
    assert_matches(WS_FILL, fills[0])
    fill = fills[0]
    assert fill.liquidation is not None and fill.liquidation.mark_px == Decimal("64999.0")
    assert fill.oid == 600000000001 and fill.twap_id is None and fill.crossed
    assert fill.notional == Decimal("650.005")
    snap, fills = P.parse_ws_user_fills({"user": "0xu", "fills": []})
    assert snap is False and fills == []


def test_ws_user_fundings() -> None:
    raw = {
        "time": 1717000000000,
        "coin": "ETH",
        "usdc": "-0.5",
        "szi": "1.2",
        "fundingRate": "0.0000125",
        "nSamples": None,
    }
    snap, payments = P.parse_ws_user_fundings(
        {"isSnapshot": True, "user": "0xu", "fundings": [raw]}
    )
    assert snap and payments[0].usdc == Decimal("-0.5") and payments[0].n_samples is None
    assert payments[0].hash is None


def test_ws_ledger_updates() -> None:
    snap, updates = P.parse_ws_ledger_updates(
        {
            "user": "0xu",
            "isSnapshot": True,
            "nonFundingLedgerUpdates": [
                {
                    "time": 1,
                    "hash": "0x1",
                    "delta": {
                        "type": "liquidation",
                        "accountValue": "10.0",
                        "leverageType": "Cross",
                        "liquidatedPositions": [{"coin": "ETH", "szi": "-1.0"}],
                    },
                },
                {
                    "time": 2,
                    "hash": "0x2",
                    "delta": {"type": "withdraw", "usdc": 5, "nonce": 9, "fee": 1},
                },
            ],
        }
    )
    assert snap
    assert updates[0].delta == Liquidation(
        account_value=Decimal("10.0"),
        liquidated_positions=(LiquidatedPosition("ETH", Decimal("-1.0")),),
        leverage_type="Cross",
    )
    assert updates[1].delta == Withdraw(Decimal(5), nonce=9, fee=Decimal(1))


def test_ws_order_updates_unknown_status_passes_through() -> None:
    updates = P.parse_ws_order_updates(
        [
            {
                "order": {
                    "coin": "BTC",
                    "side": "B",
                    "limitPx": "60000",
                    "sz": "0.0",
                    "oid": 1,
                    "timestamp": 2,
                    "origSz": "0.01",
                    "cloid": None,
                },
                "status": "filled",
                "statusTimestamp": 3,
            },
            {
                "order": {
                    "coin": "BTC",
                    "side": "A",
                    "limitPx": 61000,
                    "sz": 1,
                    "oid": 4,
                    "timestamp": 5,
                    "origSz": 1,
                },
                "status": "someFutureCanceled",
                "statusTimestamp": 6,
            },
        ]
    )
    assert updates[0].status is KnownOrderStatus.FILLED and updates[0].is_final
    assert updates[1].status == "someFutureCanceled" and not updates[1].is_known_status
    assert updates[1].is_final  # unknown "...Canceled" is terminal
    assert updates[1].order.limit_px == 61000 and updates[1].order.is_trigger is None


def test_ws_active_asset_ctx_and_data() -> None:
    ctx = P.parse_ws_active_asset_ctx(
        {
            "coin": "BTC",
            "ctx": {
                "dayNtlVlm": 1.5,
                "prevDayPx": "60000.0",
                "markPx": 61000,
                "midPx": None,
                "funding": "0.0000125",
                "openInterest": "100.5",
                "oraclePx": "61001.0",
            },
        }
    )
    assert ctx.coin == "BTC" and ctx.mark_px == 61000 and ctx.mid_px is None
    assert ctx.premium is None and ctx.day_base_vlm is None
    data = P.parse_ws_active_asset_data(
        {
            "user": "0xu",
            "coin": "BTC",
            "leverage": {"type": "cross", "value": 10},
            "maxTradeSzs": [1.5, "2"],
            "availableToTrade": ["100", 200],
        }
    )
    assert data.max_trade_szs == (Decimal("1.5"), Decimal(2)) and data.mark_px is None


def test_ws_all_mids_clearinghouse_open_orders_notification() -> None:
    assert P.parse_ws_all_mids({"mids": {"BTC": "1.5", "@107": 2}}) == {
        "BTC": Decimal("1.5"),
        "@107": Decimal(2),
    }
    raw_state = doc("perpetuals::Retrieve user's perpetuals account summary")
    del raw_state["time"]
    state = P.parse_ws_clearinghouse_state(
        {"dex": "", "user": "0xu", "clearinghouseState": raw_state}
    )
    assert state.time is None and state.positions[0].coin == "ETH"
    orders = P.parse_ws_open_orders(
        {"dex": "", "user": "0xu", "orders": body("frontendOpenOrders")}
    )
    assert len(orders) == 3
    assert P.parse_ws_notification({"notification": "Order filled"}) == "Order filled"


def test_ws_user_events_variants() -> None:
    ev = P.parse_ws_user_events({"fills": [WS_FILL]})
    assert ev.kind is UserEventKind.FILLS and len(ev.fills) == 1 and ev.funding is None
    ev = P.parse_ws_user_events(
        {"funding": {"time": 1, "coin": "ETH", "usdc": "1", "szi": "2", "fundingRate": "0.001"}}
    )
    assert ev.kind == "funding" and ev.funding is not None and ev.funding.usdc == 1
    ev = P.parse_ws_user_events(
        {
            "liquidation": {
                "lid": 9,
                "liquidator": "0xl",
                "liquidated_user": "0xu",
                "liquidated_ntl_pos": "1000.5",
                "liquidated_account_value": 20.25,
            }
        }
    )
    assert ev.liquidation is not None and ev.liquidation.liquidated_account_value == Decimal(
        "20.25"
    )
    ev = P.parse_ws_user_events({"nonUserCancel": [{"coin": "BTC", "oid": 77}]})
    assert ev.kind is UserEventKind.NON_USER_CANCEL and ev.non_user_cancels[0].oid == 77
    ev = P.parse_ws_user_events({"twapHistory": []})
    assert ev.kind == "twapHistory" and ev.fills == () and ev.funding is None


# ---------------------------------------------------------------------------------------------
# Malformed input: always ParseError naming the field
# ---------------------------------------------------------------------------------------------


def _mutated(request_type: str, mutate: Callable[[Any], None]) -> Any:
    data = body(request_type)
    mutate(data)
    return data


def _set(path: list[Any], value: Any) -> Callable[[Any], None]:
    def apply(data: Any) -> None:
        for key in path[:-1]:
            data = data[key]
        data[path[-1]] = value

    return apply


def _delete(path: list[Any]) -> Callable[[Any], None]:
    def apply(data: Any) -> None:
        for key in path[:-1]:
            data = data[key]
        del data[path[-1]]

    return apply


MALFORMED: list[Any] = [
    pytest.param(
        P.parse_clearinghouse_state,
        lambda: _mutated(
            "clearinghouseState", _set(["assetPositions", 3, "position", "szi"], "abc")
        ),
        "clearinghouseState.assetPositions[3].position.szi",
        id="price-abc",
    ),
    pytest.param(
        P.parse_clearinghouse_state,
        lambda: _mutated("clearinghouseState", _delete(["withdrawable"])),
        "clearinghouseState.withdrawable: missing",
        id="missing-field",
    ),
    pytest.param(
        P.parse_clearinghouse_state,
        lambda: _mutated("clearinghouseState", _set(["marginSummary"], [])),
        "clearinghouseState.marginSummary: expected an object",
        id="list-for-dict",
    ),
    pytest.param(
        P.parse_clearinghouse_state,
        lambda: _mutated(
            "clearinghouseState", _set(["assetPositions", 0, "position", "leverage", "type"], "x")
        ),
        "clearinghouseState.assetPositions[0].position.leverage.type",
        id="leverage-type",
    ),
    pytest.param(P.parse_l2_book, lambda: [], "l2Book: expected an object", id="l2-list"),
    pytest.param(
        P.parse_l2_book,
        lambda: _mutated("l2Book", _set(["levels"], [[], [], []])),
        "l2Book.levels: expected a 2-element array",
        id="l2-levels",
    ),
    pytest.param(
        P.parse_l2_book,
        lambda: _mutated("l2Book", _set(["levels", 1, 4, "n"], 1.5)),
        "l2Book.levels[1][4].n: expected an integer",
        id="float-count",
    ),
    pytest.param(P.parse_fills, lambda: {"a": 1}, "userFills: expected an array", id="fills-dict"),
    pytest.param(
        P.parse_fills,
        lambda: _mutated("userFills", _set([7, "px"], "NaN")),
        "userFills[7].px",
        id="nan",
    ),
    pytest.param(
        P.parse_fills,
        lambda: _mutated("userFills", _set([0, "sz"], " 1.5")),
        "userFills[0].sz",
        id="whitespace",
    ),
    pytest.param(
        P.parse_fills,
        lambda: _mutated("userFills", _set([0, "fee"], True)),
        "userFills[0].fee",
        id="bool-number",
    ),
    pytest.param(
        P.parse_fills,
        lambda: _mutated("userFills", _set([0, "side"], "S")),
        "userFills[0].side",
        id="side",
    ),
    pytest.param(
        P.parse_fills,
        lambda: _mutated("userFills", _set([0, "oid"], "12x")),
        "userFills[0].oid",
        id="oid",
    ),
    pytest.param(
        P.parse_fills,
        lambda: _mutated("userFills", _set([0, "crossed"], "true")),
        "userFills[0].crossed",
        id="bool",
    ),
    pytest.param(
        P.parse_candles,
        lambda: _mutated("candleSnapshot", _set([2, "o"], "1_000")),
        "candleSnapshot[2].o",
        id="underscore",
    ),
    pytest.param(
        P.parse_candles,
        lambda: _mutated("candleSnapshot", _set([2, "v"], float("inf"))),
        "candleSnapshot[2].v",
        id="inf",
    ),
    pytest.param(
        P.parse_meta,
        lambda: _mutated("meta", _set(["universe", 1], "ETH")),
        "meta.universe[1]: expected an object",
        id="universe-entry",
    ),
    pytest.param(
        P.parse_meta,
        lambda: {"universe": [], "marginTables": [[50]]},
        "meta.marginTables[0]: expected a 2-element array",
        id="margin-table",
    ),
    pytest.param(
        P.parse_meta_and_asset_ctxs,
        lambda: [
            {"universe": [{"name": "BTC", "szDecimals": 5, "maxLeverage": 50}]},
            [],
        ],
        "metaAndAssetCtxs[1]",
        id="ctx-misaligned",
    ),
    pytest.param(
        P.parse_order_status,
        lambda: {"status": "weird"},
        "orderStatus.status",
        id="order-status",
    ),
    pytest.param(
        P.parse_frontend_open_orders,
        lambda: body("openOrders"),
        "frontendOpenOrders[0].origSz: missing",
        id="plain-orders-as-frontend",
    ),
    pytest.param(
        P.parse_user_funding,
        lambda: _mutated("userFunding", _set([0, "delta", "type"], "deposit")),
        "userFunding[0].delta.type",
        id="funding-type",
    ),
    pytest.param(
        P.parse_ws_trades,
        lambda: [
            {
                "coin": "X",
                "side": "B",
                "px": "1",
                "sz": "1",
                "hash": "h",
                "time": 1,
                "tid": 1,
                "users": ["a"],
            }
        ],
        "ws.trades[0].users",
        id="ws-users",
    ),
    pytest.param(P.parse_ws_user_events, lambda: {}, "ws.userEvents: empty", id="ws-empty"),
    pytest.param(P.parse_ws_notification, lambda: "hi", "ws.notification", id="ws-note"),
    pytest.param(P.parse_all_mids, lambda: {"BTC": None}, "allMids.BTC", id="mid-null"),
]


@pytest.mark.parametrize(("parser", "make", "expected"), MALFORMED)
def test_malformed_raises_parse_error_naming_field(
    parser: Callable[[Any], Any], make: Callable[[], Any], expected: str
) -> None:
    with pytest.raises(ParseError) as info:
        parser(make())
    assert str(info.value).startswith(expected), str(info.value)
    assert isinstance(info.value, ValueError)


FUZZ_JUNK: list[Any] = [None, "abc", "", [], {}, 1.5, True, -1, "1e400", [1, 2], {"x": 1}, "NaN"]


def _leaves(data: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield path
    if isinstance(data, dict):
        for k, v in data.items():
            yield from _leaves(v, (*path, k))
    elif isinstance(data, list):
        for i, v in enumerate(data[:3]):  # the first few elements cover every shape
            yield from _leaves(v, (*path, i))


FUZZ_TARGETS: list[tuple[Callable[[Any], Any], Callable[[], Any]]] = [
    (P.parse_clearinghouse_state, lambda: body("clearinghouseState")),
    (
        P.parse_clearinghouse_state,
        lambda: doc("perpetuals::Retrieve user's perpetuals account summary"),
    ),
    (P.parse_fills, lambda: doc("info-endpoint::Retrieve a user's fills")),
    (P.parse_frontend_open_orders, lambda: body("frontendOpenOrders")),
    (P.parse_historical_orders, lambda: body("historicalOrders")),
    (P.parse_l2_book, lambda: body("l2Book")),
    (P.parse_candles, lambda: body("candleSnapshot")[:3]),
    (
        P.parse_meta,
        lambda: doc("perpetuals::Retrieve perpetuals metadata (universe and margin tables)"),
    ),
    (
        P.parse_meta_and_asset_ctxs,
        lambda: doc(
            "perpetuals::Retrieve perpetuals asset contexts (includes mark price, current "
            "funding, open interest, etc.)",
            1,
        ),
    ),
    (P.parse_user_funding, lambda: body("userFunding")[:3]),
    (P.parse_ledger_updates, lambda: body("userNonFundingLedgerUpdates", 1)),
    (
        P.parse_predicted_fundings,
        lambda: doc("perpetuals::Retrieve predicted funding rates for different venues"),
    ),
    (P.parse_active_asset_data, lambda: doc("perpetuals::Retrieve User's Active Asset Data")),
    (P.parse_user_rate_limit, lambda: body("userRateLimit")),
    (P.parse_user_role, lambda: doc("info-endpoint::Query a user's role", 1)),
    (P.parse_extra_agents, lambda: body("extraAgents")),
    (P.parse_ws_user_fills, lambda: {"isSnapshot": True, "user": "0xu", "fills": [dict(WS_FILL)]}),
    (P.parse_ws_user_events, lambda: {"fills": [dict(WS_FILL)]}),
]


@pytest.mark.parametrize(("parser", "make"), FUZZ_TARGETS, ids=lambda x: getattr(x, "__name__", ""))
def test_fuzzed_input_only_ever_raises_parse_error(
    parser: Callable[[Any], Any], make: Callable[[], Any]
) -> None:
    """Replace or delete every node in turn: the parser either succeeds or raises ParseError."""
    rng = random.Random(1234)
    template = make()
    parser(copy.deepcopy(template))  # the unmutated input is valid
    for path in _leaves(template):
        for _ in range(3):
            data = copy.deepcopy(template)
            if path and rng.random() < 0.25:
                target = data
                for key in path[:-1]:
                    target = target[key]
                del target[path[-1]]
            elif path:
                _set(list(path), copy.deepcopy(rng.choice(FUZZ_JUNK)))(data)
            else:
                data = copy.deepcopy(rng.choice(FUZZ_JUNK))
            with contextlib.suppress(ParseError):
                parser(data)


def test_parse_error_carries_path_and_pickles() -> None:
    with pytest.raises(ParseError) as info:
        P.parse_user_rate_limit({"cumVlm": "1", "nRequestsUsed": 1})
    err = info.value
    assert (err.path, err.reason) == ("userRateLimit.nRequestsCap", "missing")
    clone = pickle.loads(pickle.dumps(err))
    assert isinstance(clone, ParseError) and str(clone) == str(err)

"""The local venue's universe must look like mainnet's so practice carries over (§3, §7, §11.4)."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.localvenue.tick_rule import is_valid_tick
from wallet_perps.core.risk import TierSchedule
from wallet_perps.localvenue.markets import (
    DEFAULT_MARKETS,
    MARGIN_TABLES,
    MarketSpec,
    market_by_name,
    meta_wire,
    tier_schedule,
)


def _docs_meta(fixtures_dir: Path) -> dict[str, Any]:
    docs = json.loads((fixtures_dir / "doc_examples" / "docs_examples.json").read_text())
    entry = docs["perpetuals::Retrieve perpetuals metadata (universe and margin tables)"]
    parsed = entry["examples"][0]["parsed"]
    assert isinstance(parsed, dict)
    return parsed


def test_btc_first_and_enough_markets() -> None:
    names = [m.name for m in DEFAULT_MARKETS]
    assert names[:3] == ["BTC", "ETH", "SOL"]
    assert len(names) >= 10
    assert len(set(names)) == len(names)


def test_mainnet_like_parameters() -> None:
    btc, eth, sol = (market_by_name(n) for n in ("BTC", "ETH", "SOL"))
    assert (btc.sz_decimals, btc.max_leverage) == (5, 40)
    assert (eth.sz_decimals, eth.max_leverage) == (4, 25)
    assert (sol.sz_decimals, sol.max_leverage) == (2, 20)
    assert market_by_name("DOGE").sz_decimals == 0
    assert market_by_name("kPEPE").sz_decimals == 0
    assert tier_schedule(btc).tiers[1].lower_bound == Decimal(150_000_000)
    assert tier_schedule(btc).max_leverage_at(Decimal(200_000_000)) == 20
    assert tier_schedule(eth).max_leverage_at(Decimal(100_000_000)) == 15
    assert tier_schedule(sol).max_leverage_at(Decimal(69_999_999)) == 20
    assert tier_schedule(sol).max_leverage_at(Decimal(70_000_000)) == 10
    with pytest.raises(KeyError):
        market_by_name("NOPE")


@pytest.mark.parametrize("spec", DEFAULT_MARKETS, ids=lambda s: s.name)
def test_spec_consistency(spec: MarketSpec) -> None:
    assert is_valid_tick(spec.start_px, spec.sz_decimals)
    schedule = tier_schedule(spec)
    assert schedule.max_leverage == spec.max_leverage
    if spec.margin_table_id < 50:
        assert spec.margin_table_id == spec.max_leverage
        assert len(schedule.tiers) == 1
    else:
        assert spec.margin_table_id in MARGIN_TABLES
    assert spec.annual_vol > 0 and spec.jumps_per_day >= 0 and spec.jump_size >= 0


@pytest.mark.parametrize("table_id", sorted(MARGIN_TABLES))
def test_tier_schedules_are_continuous_and_descending(table_id: int) -> None:
    assert table_id >= 50
    description, tiers = MARGIN_TABLES[table_id]
    assert description.startswith("tiered")
    schedule = TierSchedule(tiers)
    leverages = [t.max_leverage for t in schedule.tiers]
    assert leverages == sorted(leverages, reverse=True)
    eps = Decimal("0.000001")
    for tier in schedule.tiers[1:]:
        below = schedule.maintenance(tier.lower_bound - eps)
        at = schedule.maintenance(tier.lower_bound)
        assert abs(at - below) < Decimal("0.001")
        assert schedule.maintenance(tier.lower_bound + 1) > at  # still increasing


def test_meta_wire_shape_matches_docs(fixtures_dir: Path) -> None:
    docs = _docs_meta(fixtures_dir)
    wire = meta_wire()
    json.dumps(wire)  # JSON-serialisable as is
    assert set(wire) == {"universe", "marginTables", "collateralToken"}
    assert wire["collateralToken"] == 0
    docs_keys = {"name", "szDecimals", "maxLeverage"}
    assert docs_keys <= set(docs["universe"][0])
    for asset, spec in zip(wire["universe"], DEFAULT_MARKETS, strict=True):
        assert set(asset) == docs_keys | {"marginTableId"}
        assert asset["name"] == spec.name
        assert type(asset["szDecimals"]) is int and type(asset["maxLeverage"]) is int
    docs_table_id, docs_table = docs["marginTables"][1]
    assert isinstance(docs_table_id, int)
    listed = [entry[0] for entry in wire["marginTables"]]
    assert listed == sorted(listed) and all(i >= 50 for i in listed)
    used = {s.margin_table_id for s in DEFAULT_MARKETS if s.margin_table_id >= 50}
    assert set(listed) == used
    bound_format = re.compile(r"^\d+\.\d+$")
    for entry in wire["marginTables"]:
        assert len(entry) == 2
        table = entry[1]
        assert set(table) == set(docs_table)
        for wire_tier in table["marginTiers"]:
            assert set(wire_tier) == set(docs_table["marginTiers"][0])
            assert bound_format.match(wire_tier["lowerBound"])
        assert table["marginTiers"][0]["lowerBound"] == "0.0"
    btc_table = dict((i, t) for i, t in wire["marginTables"])[56]
    assert btc_table["marginTiers"] == [
        {"lowerBound": "0.0", "maxLeverage": 40},
        {"lowerBound": "150000000.0", "maxLeverage": 20},
    ]
    # The docs' own tiered example renders its bound the same way.
    assert docs_table["marginTiers"][1]["lowerBound"] == "3000000.0"


def test_meta_wire_parses() -> None:
    parse = pytest.importorskip("wallet_perps.hyperliquid.parse")
    meta = parse.parse_meta(meta_wire())
    btc = meta.by_asset_id(0)
    assert btc.name == "BTC" and btc.sz_decimals == 5 and btc.max_leverage == 40
    table = meta.margin_table_for("BTC")
    assert [(t.lower_bound, t.max_leverage) for t in table.tiers] == [
        (Decimal(0), 40),
        (Decimal(150_000_000), 20),
    ]
    for spec in DEFAULT_MARKETS:
        tiers = meta.margin_table_for(spec.name).tiers
        assert [(t.lower_bound, t.max_leverage) for t in tiers] == [
            (t.lower_bound, t.max_leverage) for t in tier_schedule(spec).tiers
        ]
        assert meta.market(spec.name).sz_decimals == spec.sz_decimals

"""Margin, liquidation and funding arithmetic against the venue's own published numbers."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from wallet_perps.core.models import MarginTable, MarginTier, Market, Meta
from wallet_perps.core.risk import (
    AccountRisk,
    PositionRisk,
    Tier,
    TierSchedule,
    funding_payment,
    hourly_funding_rate,
    impact_price,
    premium,
    truncate_usd,
)
from wallet_perps.core.ticket_replay import tier_schedule

D = Decimal


REL = Decimal("1e-6")


def _close(a: Decimal, b: Decimal, rel: Decimal = REL) -> bool:
    return abs(a - b) <= rel * abs(b)


def _cases(fixtures_dir: Path) -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = json.loads((fixtures_dir / "accounting_checks.json").read_text())[
        "cases"
    ]
    return cases


def _recorded_cross_account(fixtures_dir: Path) -> tuple[AccountRisk, dict[str, Any]]:
    body = json.loads((fixtures_dir / "recorded" / "test_get_user_state.json").read_text())
    state = body["interactions"][0]["response"]["body"]
    positions = []
    for entry in state["assetPositions"]:
        p = entry["position"]
        szi = D(p["szi"])
        positions.append(
            PositionRisk(
                coin=p["coin"],
                szi=szi,
                entry_px=D(p["entryPx"]),
                mark_px=D(p["positionValue"]) / abs(szi),
                leverage=p["leverage"]["value"],
                tiers=TierSchedule.single(50),  # every asset was 50x max in 2023
            )
        )
    raw = D(state["crossMarginSummary"]["totalRawUsd"])
    return AccountRisk(raw, tuple(positions)), state


def test_recorded_cross_account_summary_reproduces_exactly(fixtures_dir: Path) -> None:
    account, state = _recorded_cross_account(fixtures_dir)
    summary = state["crossMarginSummary"]
    assert truncate_usd(account.cross_account_value) == D(summary["accountValue"])
    assert sum(p.position_value for p in account.positions) == D(summary["totalNtlPos"])
    assert sum(p.margin_used for p in account.positions) == D(summary["totalMarginUsed"])
    by_coin = {e["position"]["coin"]: e["position"] for e in state["assetPositions"]}
    for position in account.positions:
        venue = by_coin[position.coin]
        assert position.margin_used == D(venue["marginUsed"]), position.coin  # truncated
        assert position.unrealized_pnl == D(venue["unrealizedPnl"]), position.coin


def test_cross_liquidation_prices_follow_the_current_docs_formula(fixtures_dir: Path) -> None:
    """The 2023 recording predates the (1 - l*side) term; the fixture lists the docs values."""
    account, _ = _recorded_cross_account(fixtures_dir)
    case = _cases(fixtures_dir)[0]
    assert _close(
        account.cross_maintenance_margin, D(case["account"]["maintenance_margin_required_total"])
    )
    for row in case["positions"]:
        liq = account.liquidation_price(row["coin"])
        expected = D(row["liq_docs_formula"])
        if expected <= 0:
            assert liq is None, row["coin"]  # reported as null by the venue
        else:
            assert liq is not None and _close(liq, expected), (row["coin"], liq, expected)


def _isolated_position(coin: str, i: dict[str, Any]) -> PositionRisk:
    """The 20x isolated position of a docs case's inputs (both isolated examples build it)."""
    szi = D(i["szi"])
    return PositionRisk(
        coin=coin,
        szi=szi,
        entry_px=D(i["entryPx"]),
        mark_px=D(i["positionValue"]) / szi,
        leverage=20,
        tiers=TierSchedule.single(i["maxLeverage"]),
        isolated_raw_usd=D(i["leverage"]["rawUsd"]),
    )


def test_isolated_liquidation_matches_the_docs_example(fixtures_dir: Path) -> None:
    case = _cases(fixtures_dir)[1]
    i = case["inputs"]
    position = _isolated_position("ETH", i)
    assert position.margin_used == D(i["marginUsed"])
    assert position.unrealized_pnl == D(i["unrealizedPnl"])
    assert _close(position.return_on_equity, D(i["returnOnEquity"]), D("1e-4"))
    liq = AccountRisk(D("13104.514502"), (position,)).liquidation_price("ETH")
    assert liq is not None
    assert _close(liq, D(i["liquidationPx"]))  # the venue's own number, to 1e-6
    assert _close(liq, D(case["computed"]["liq_docs_formula"]), D("1e-10"))


def test_isolated_liquidation_matches_the_hip3_example(fixtures_dir: Path) -> None:
    i = _cases(fixtures_dir)[2]["inputs"]
    position = _isolated_position("XYZ100", i)
    assert position.margin_used == D(i["marginUsed"])
    liq = AccountRisk(D(0), (position,)).liquidation_price("XYZ100")
    assert liq is not None and _close(liq, D(i["liquidationPx"]))


def test_margin_tiers_are_continuous_and_the_liquidation_root_is_in_its_own_tier() -> None:
    # BTC on mainnet: 40x up to $150M, 20x above (PROTOCOL §11.4)
    tiers = TierSchedule((Tier(D(0), 40), Tier(D(150_000_000), 20)))
    below = tiers.maintenance(D(150_000_000) - D("0.01"))
    at = tiers.maintenance(D(150_000_000))
    assert abs(at - below) < D("0.001")
    assert tiers.rate_at(D(1000)) == D("0.0125")
    assert tiers.max_leverage_at(D(200_000_000)) == 20

    # A huge long whose liquidation notional lands in the second tier.
    szi = D(3000)
    mark = D(90000)
    account = AccountRisk(
        cross_raw_usd=-szi * mark + D(40_000_000),
        positions=(PositionRisk("BTC", szi, mark, mark, 10, tiers),),
    )
    liq = account.liquidation_price("BTC")
    assert liq is not None
    equity = account.cross_raw_usd + szi * liq
    assert abs(equity - tiers.maintenance(szi * liq)) < D("1e-6")
    assert szi * liq >= D(150_000_000)  # it is the 20x tier's root


def test_withdrawable_holds_back_ten_percent_of_notional_above_10x() -> None:
    tiers = TierSchedule.single(40)
    at_20x = AccountRisk(
        D(-9000), (PositionRisk("BTC", D("0.1"), D(100000), D(100000), 20, tiers),)
    )
    assert at_20x.cross_account_value == D(1000)
    assert at_20x.withdrawable == D(0)  # 1000 - max(500, 1000)
    at_5x = AccountRisk(D(-9000), (PositionRisk("BTC", D("0.1"), D(100000), D(100000), 5, tiers),))
    assert at_5x.withdrawable == D(0)  # 1000 - max(2000, 1000), floored at 0
    flat = AccountRisk(D(1234), ())
    assert flat.withdrawable == D(1234)


def test_funding_follows_the_docs_example_and_cap() -> None:
    assert hourly_funding_rate(D("0.00031774")) == D("0.0000125")
    assert hourly_funding_rate(D(0)) == D("0.0000125")
    assert hourly_funding_rate(D("0.5")) == D("0.04")  # capped at 4%/h
    assert hourly_funding_rate(D("-0.5")) == D("-0.04")
    # longs pay when the rate is positive, on the oracle price
    assert funding_payment(D(2), D(50000), D("0.0000125")) == D("-1.25")
    assert funding_payment(D(-2), D(50000), D("0.0000125")) == D("1.25")


def test_impact_prices_and_premium() -> None:
    asks = [(D(101), D(100)), (D(102), D(1000))]
    px = impact_price(asks, D(20200))
    assert px is not None and D(101) < px < D(102)
    assert impact_price(asks, D(10_000_000)) is None  # book too thin
    assert premium(D(100), D(100.5), D(101)) == D("0.005")
    assert premium(D(100), D(99), D(99.5)) == D("-0.005")
    assert premium(D(100), D(99), D(101)) == D(0)
    assert premium(D(100), None, D(101)) is None


@pytest.mark.parametrize("bad", [(), (Tier(D(10), 5),), (Tier(D(0), 0),)])
def test_invalid_margin_tables_are_refused(bad: tuple[Tier, ...]) -> None:
    with pytest.raises(ValueError):
        TierSchedule(bad)


def test_a_markets_margin_table_is_its_schedule() -> None:
    """The ticket's schedule is the venue's table as read: tier for tier, no copy between."""
    tiers = (MarginTier(D(150_000_000), 20), MarginTier(D(0), 40))
    market = Market("BTC", 0, 5, 40, margin_table_id=56)
    schedule = tier_schedule(market, Meta((market,), (MarginTable(56, "tiered 40x", tiers),)))
    assert schedule == TierSchedule((Tier(D(0), 40), Tier(D(150_000_000), 20)))
    assert schedule.max_leverage_at(D(200_000_000)) == 20
    assert tier_schedule(market) == TierSchedule.single(40)

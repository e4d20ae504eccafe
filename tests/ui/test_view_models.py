"""The Positions page's numbers without Qt: the card, the gauge's band and the what-if panel
must tell the same story about one position (a recorded mainnet account, 12 positions)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from wallet_perps.core.display import format_pct, format_price, format_usd, significant
from wallet_perps.core.models import AccountState
from wallet_perps.hyperliquid.parse import parse_clearinghouse_state
from wallet_perps.ui.view_models import (
    CLOSE_PCT,
    FAR_PCT,
    LiqLevel,
    PositionView,
    liq_level,
    position_view,
    what_if,
    what_if_price,
    what_if_words,
)

D = Decimal


@pytest.fixture
def account(fixtures_dir: Path) -> tuple[AccountState, list[PositionView]]:
    body = json.loads((fixtures_dir / "recorded" / "test_get_user_state.json").read_text())
    state = parse_clearinghouse_state(body["interactions"][0]["response"]["body"])
    return state, [position_view(p, None) for p in state.positions]


def test_what_if_at_the_mark_is_the_card(account: tuple[AccountState, list[PositionView]]) -> None:
    state, views = account
    for view in views:
        result = what_if(state, views, view.coin, view.mark)
        assert result is not None
        assert (result.pnl, result.roe) == (view.pnl, view.roe), view.coin
        assert not result.liquidated
        # The panel prints PnL and ROE as the card does: a small loss is "-0.76%", not "-0.8%".
        words = what_if_words(view, result, D(0))
        assert words.pnl == f"PnL {format_usd(view.pnl)} ({format_pct(view.roe, signed=True)})"
        assert words.price == f"{format_price(view.mark)} (+0.0%)"
        assert not words.liquidated
        if view.liquidation is None:
            assert words.verdict == (
                f"No price liquidates this {view.coin} position: its margin covers any move."
            )
        else:
            liq = format_price(significant(view.liquidation))
            assert words.verdict.startswith("Still open: "), words.verdict
            assert words.verdict.endswith(f"% before the liquidation price {liq}.")


def test_what_if_liquidates_at_the_venues_own_price(
    account: tuple[AccountState, list[PositionView]],
) -> None:
    state, views = account
    for view in views:
        if view.liquidation is None:
            continue
        assert view.liquidation > view.mark if not view.is_long else view.liquidation < view.mark
        at = what_if(state, views, view.coin, view.liquidation)
        assert at is not None and at.liquidated, view.coin
        words = what_if_words(view, at, D(0))
        assert words.liquidated
        assert words.verdict.startswith(f"At {format_price(view.liquidation)} this {view.coin} ")
        step = D("0.001") if view.is_long else D("-0.001")
        just_before = what_if(state, views, view.coin, view.liquidation * (1 + step))
        assert just_before is not None and not just_before.liquidated, view.coin


def test_what_if_moves_only_the_chosen_market(
    account: tuple[AccountState, list[PositionView]],
) -> None:
    state, views = account
    btc = next(v for v in views if v.coin == "BTC")  # a short
    up = what_if(state, views, "BTC", btc.mark * D("1.1"))
    down = what_if(state, views, "BTC", btc.mark * D("0.9"))
    assert up is not None and down is not None
    assert up.pnl < btc.pnl < down.pnl
    assert what_if(state, views, "NOPE", D(1)) is None
    # The slider's price: the offset from the mark, to six significant figures.
    assert what_if_price(D("26961.2"), D("10.0")) == D("29657.3")
    assert what_if_price(D("2.37"), D("-50")) == D("1.185")


@pytest.mark.parametrize(
    ("distance", "level"),
    [
        (None, LiqLevel.NONE),
        (D(0), LiqLevel.CLOSE),
        (CLOSE_PCT, LiqLevel.CLOSE),
        (CLOSE_PCT + D("0.1"), LiqLevel.NEAR),
        (FAR_PCT, LiqLevel.NEAR),
        (FAR_PCT + D("0.1"), LiqLevel.FAR),
    ],
)
def test_liquidation_bands(distance: Decimal | None, level: LiqLevel) -> None:
    assert liq_level(distance) is level

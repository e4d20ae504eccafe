"""Random sessions on the engine: whatever the order flow, money and books stay consistent.

A seeded random mix of Gtc/Ioc/Alo/reduce-only orders, TP/SL, cancels, modifies, oracle jumps
(liquidations), ticks across funding hours and transfers runs against one venue; after every
step USDC is conserved, every account's ``clearinghouseState`` satisfies the §7.1
identities, the book is never crossed, and each resting order's margin reserve is where the
clearinghouse expects it.
"""

from __future__ import annotations

import random
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.localvenue.test_engine import check_identities, order_wire, trigger_wire
from wallet_perps.core.numbers import round_price, to_wire
from wallet_perps.localvenue.clock import HOUR_MS
from wallet_perps.localvenue.engine import LIQUIDATOR_ADDRESS, Venue, VenueReject
from wallet_perps.localvenue.engine_types import wire

D = Decimal
T0 = 1_700_000_000_000
USERS = ["0x" + f"{i:02x}" * 20 for i in range(1, 6)]
COINS = [("BTC", 0, 5), ("ETH", 1, 4), ("DOGE", 5, 0)]


def _px(v: Venue, coin: str, szd: int, rng: random.Random, spread: float) -> str:
    mark = v.clearinghouse.marks[coin]
    raw = mark * D(str(1 + rng.uniform(-spread, spread)))
    return to_wire(round_price(raw, szd, direction="nearest"))


def _size(v: Venue, coin: str, szd: int, rng: random.Random) -> str:
    usd = D(str(rng.choice([15, 50, 200, 1000, 5000])))
    size = (usd / v.clearinghouse.marks[coin]).quantize(D(1).scaleb(-szd))
    return to_wire(max(size, D(1).scaleb(-szd)))


def _step(v: Venue, rng: random.Random, now: int) -> None:
    user = rng.choice(USERS)
    coin, asset, szd = rng.choice(COINS)
    roll = rng.random()
    try:
        if roll < 0.45:
            tif = rng.choice(["Gtc", "Gtc", "Ioc", "Alo", "FrontendMarket"])
            wire_ = order_wire(
                asset,
                rng.random() < 0.5,
                _px(v, coin, szd, rng, 0.02),
                _size(v, coin, szd, rng),
                tif,
                r=rng.random() < 0.15,
            )
            v.order(user, {"type": "order", "orders": [wire_], "grouping": "na"}, now)
        elif roll < 0.55:
            szi = next(
                (
                    D(p["position"]["szi"])
                    for p in v.clearinghouse_state(user)["assetPositions"]
                    if p["position"]["coin"] == coin
                ),
                D(0),
            )
            if szi:
                is_buy = szi < 0
                px = _px(v, coin, szd, rng, 0.03)
                tpsl = rng.choice(["tp", "sl"])
                wire_ = trigger_wire(asset, is_buy, px, to_wire(abs(szi)), px, tpsl)
                v.order(user, {"type": "order", "orders": [wire_], "grouping": "positionTpsl"}, now)
        elif roll < 0.7:
            live = v.open_orders(user)
            if live:
                o = rng.choice(live)
                a = next(a for c, a, _ in COINS if c == o["coin"])
                if rng.random() < 0.5:
                    v.cancel(user, {"type": "cancel", "cancels": [{"a": a, "o": o["oid"]}]}, now)
                else:
                    szd_o = next(s for c, _, s in COINS if c == o["coin"])
                    new = order_wire(
                        a, o["side"] == "B", _px(v, o["coin"], szd_o, rng, 0.02), o["origSz"]
                    )
                    v.batch_modify(
                        user,
                        {"type": "batchModify", "modifies": [{"oid": o["oid"], "order": new}]},
                        now,
                    )
        elif roll < 0.8:
            factor = D(str(1 + rng.choice([-1, 1]) * rng.uniform(0.001, 0.08)))
            target = v.clearinghouse.oracles[coin] * factor
            v.set_oracle(coin, round_price(target, szd, direction="nearest"), now)
        elif roll < 0.9:
            v.tick(now)
        elif roll < 0.95:
            lev = rng.choice([1, 3, 5, 10, 20])
            v.update_leverage(
                user, {"asset": asset, "isCross": rng.random() < 0.7, "leverage": lev}, now
            )
        else:
            other = rng.choice(USERS)
            v.usd_send(user, {"destination": other, "amount": "25", "time": now}, now)
    except VenueReject:
        pass


def _check(v: Venue, total: Decimal) -> None:
    assert v.clearinghouse.total_usdc() == total
    for coin, _, _ in COINS:
        bid, ask = v.state.trades.books[coin].bbo()
        assert bid is None or ask is None or bid < ask
    for user in [*USERS, LIQUIDATOR_ADDRESS]:
        check_identities(v, user)
        account = v.clearinghouse.accounts.get(user)
        if account is None:
            continue
        resting = {o["oid"] for o in v.open_orders(user)}
        assert set(account.order_reserve) <= resting
        assert account.reserved_total == sum(account.order_reserve.values(), D(0))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_sessions_keep_the_books_straight(seed: int) -> None:
    rng = random.Random(seed)
    v = Venue(seed=seed, start_ms=T0)
    for user in USERS:
        v.faucet(user, D(rng.choice([2_000, 20_000, 200_000])), T0)
    total = v.clearinghouse.total_usdc()
    now = T0
    for i in range(400):
        now += rng.choice([10, 500, 5_000, 60_000])
        if i % 100 == 99:
            now += HOUR_MS  # cross funding hours now and then
        _step(v, rng, now)
        _check(v, total)
    assert any(v.user_fills(u) for u in USERS)


@given(st.decimals(allow_nan=False, allow_infinity=False))
def test_fast_wire_matches_to_wire(value: Decimal) -> None:
    assert wire(value) == to_wire(value)

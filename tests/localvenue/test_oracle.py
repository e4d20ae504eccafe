"""Oracle, mark, funding, 24 h stats and venue clock of the local venue (§11.2, §11.3)."""

from __future__ import annotations

import itertools
import math
from decimal import Decimal

import pytest

from tests.localvenue.tick_rule import is_valid_tick
from wallet_perps.core.risk import hourly_funding_rate
from wallet_perps.localvenue.clock import HOUR_MS, VenueClock
from wallet_perps.localvenue.markets import DEFAULT_MARKETS, MarketSpec, market_by_name
from wallet_perps.localvenue.oracle import (
    DayStats,
    FundingSampler,
    MarkPrice,
    OracleProcess,
)

HOUR_S = 3600


def _spec(**kw: object) -> MarketSpec:
    base: dict[str, object] = {
        "name": "BTC",
        "sz_decimals": 5,
        "max_leverage": 40,
        "margin_table_id": 40,
        "start_px": Decimal(50000),
        "annual_vol": 0.8,
        "jumps_per_day": 0.0,
        "jump_size": 0.03,
        "btc_beta": 1.0,
    }
    base.update(kw)
    return MarketSpec(**base)  # type: ignore[arg-type]


# --- oracle -------------------------------------------------------------------------------


def test_oracle_is_deterministic_for_a_seed() -> None:
    a, b, c = (OracleProcess(DEFAULT_MARKETS, seed) for seed in (7, 7, 8))
    runs = [[p.step(3.0) for _ in range(200)] for p in (a, b, c)]
    assert runs[0] == runs[1]
    assert runs[0] != runs[2]
    assert all(isinstance(px, Decimal) for px in runs[0][-1].values())
    assert set(runs[0][-1]) == {m.name for m in DEFAULT_MARKETS}


def test_oracle_starts_at_start_price_and_every_price_is_a_valid_tick() -> None:
    process = OracleProcess(DEFAULT_MARKETS, seed=1)
    for spec in DEFAULT_MARKETS:
        assert process.price(spec.name) == spec.start_px
    for _ in range(300):
        for coin, px in process.step(600.0).items():
            spec = market_by_name(coin)
            assert is_valid_tick(px, spec.sz_decimals), (coin, px)
            assert process.price(coin) == px


def test_oracle_stays_positive_under_extreme_volatility() -> None:
    wild = _spec(
        name="WILD",
        sz_decimals=0,
        start_px=Decimal("0.01"),
        annual_vol=8.0,
        jumps_per_day=20.0,
        jump_size=0.5,
    )
    process = OracleProcess([wild], seed=3)
    for _ in range(2000):
        px = process.step(86400.0)["WILD"]
        assert px > 0 and is_valid_tick(px, 0)


def test_oracle_volatility_matches_configuration() -> None:
    vol = 0.8
    process = OracleProcess([_spec(annual_vol=vol)], seed=11)
    dt = 600.0
    prices = [process.price("BTC")] + [process.step(dt)["BTC"] for _ in range(6000)]
    returns = [math.log(b / a) for a, b in itertools.pairwise(prices)]
    mean = sum(returns) / len(returns)
    var = sum((r - mean) ** 2 for r in returns) / (len(returns) - 1)
    realised = math.sqrt(var * 365 * 24 * 3600 / dt)
    assert realised == pytest.approx(vol, rel=0.08)


def test_alts_follow_btc() -> None:
    btc = _spec(annual_vol=0.5)
    alt = _spec(name="ALT", sz_decimals=1, start_px=Decimal(20), annual_vol=1.0, btc_beta=1.2)
    process = OracleProcess([btc, alt], seed=5)
    rows = [process.prices()] + [process.step(3600.0) for _ in range(3000)]
    rb = [math.log(b["BTC"] / a["BTC"]) for a, b in itertools.pairwise(rows)]
    ra = [math.log(b["ALT"] / a["ALT"]) for a, b in itertools.pairwise(rows)]
    mb, ma = sum(rb) / len(rb), sum(ra) / len(ra)
    cov = sum((x - mb) * (y - ma) for x, y in zip(rb, ra, strict=True))
    corr = cov / math.sqrt(sum((x - mb) ** 2 for x in rb) * sum((y - ma) ** 2 for y in ra))
    # Loading 1.2 * 0.5 = 0.6 of a total volatility of 1.0.
    assert corr == pytest.approx(0.6, abs=0.08)


def test_jumps_arrive_at_the_configured_rate() -> None:
    per_day = 12.0
    process = OracleProcess([_spec(annual_vol=0.0, jumps_per_day=per_day)], seed=2)
    days = 100
    for _ in range(days * 24):
        process.step(3600.0)
    expected = per_day * days
    assert process.jump_count("BTC") == pytest.approx(expected, rel=0.1)


def test_jumps_move_the_price_by_a_few_percent() -> None:
    process = OracleProcess([_spec(annual_vol=0.0, jumps_per_day=1000.0, jump_size=0.03)], 4)
    moves = []
    before = process.price("BTC")
    for _ in range(500):
        after = process.step(1.0)["BTC"]
        if process.jump_count("BTC") and after != before:
            moves.append(abs(math.log(after / before)))
        before = after
    assert moves
    typical = sorted(moves)[len(moves) // 2]
    assert 0.005 < typical < 0.06


def test_set_price_overrides_and_walk_continues() -> None:
    process = OracleProcess(DEFAULT_MARKETS, seed=9)
    process.step(60.0)
    assert process.set_price("ETH", Decimal("2500.5")) == Decimal("2500.5")
    assert process.price("ETH") == Decimal("2500.5")
    nxt = process.step(3.0)["ETH"]
    assert abs(nxt / Decimal("2500.5") - 1) < Decimal("0.01")
    # An invalid tick is rounded to the nearest valid one.
    assert process.set_price("BTC", Decimal("97123.456")) == Decimal(97123)
    with pytest.raises(KeyError):
        process.set_price("NOPE", Decimal(1))
    with pytest.raises(ValueError):
        process.set_price("BTC", Decimal(0))


def test_same_calls_after_set_price_stay_deterministic() -> None:
    def run() -> list[dict[str, Decimal]]:
        process = OracleProcess(DEFAULT_MARKETS, seed=21)
        out = [process.step(5.0) for _ in range(20)]
        process.set_price("SOL", Decimal(150))
        return out + [process.step(5.0) for _ in range(20)]

    assert run() == run()


# --- mark ---------------------------------------------------------------------------------


def test_mark_equals_oracle_with_empty_book() -> None:
    mark = MarkPrice(sz_decimals=5)
    assert mark.update(0.0, Decimal(50000), None, None, None) == Decimal(50000)
    assert mark.update(3.0, Decimal(50010), None, None, None) == Decimal(50010)
    assert mark.ema == 0


def _expected_ema(samples: list[tuple[float, Decimal]]) -> float:
    """The docs formula, replayed in floats: samples are (dt since previous, sample)."""
    num = den = 0.0
    for dt, sample in samples:
        decay = math.exp(-dt / 150.0)
        num = num * decay + float(sample) * dt
        den = den * decay + dt
    return num / den


def test_mark_ema_follows_a_step_premium_with_150s_time_constant() -> None:
    oracle = Decimal(100)
    mark = MarkPrice(sz_decimals=2)
    history: list[tuple[float, Decimal]] = []
    now = 0.0
    mark.update(now, oracle, Decimal("99.99"), Decimal("100.01"), None)
    for _ in range(1000):  # 3000 s at mid == oracle: the EMA is fully warmed up at 0
        now += 3.0
        mark.update(now, oracle, Decimal("99.99"), Decimal("100.01"), None)
        history.append((3.0, Decimal(0)))
    for _ in range(50):  # 150 s at mid == oracle + 1%
        now += 3.0
        mark.update(now, oracle, Decimal("100.99"), Decimal("101.01"), None)
        history.append((3.0, Decimal(1)))
    expected = _expected_ema(history)
    assert float(mark.ema) == pytest.approx(expected, rel=1e-9)
    # For a step input the normalised EMA reaches 1 - exp(-1) after one time constant.
    assert expected == pytest.approx(1 - math.exp(-1), abs=0.01)
    # mark = median(100 + ema, median(100.99, 101.01), 100) = 100 + ema, rounded to a tick.
    assert mark.mark == (oracle + mark.ema).quantize(Decimal("0.01"))  # 5 sig figs


def test_mark_uses_book_median_when_it_is_between() -> None:
    mark = MarkPrice(sz_decimals=2)
    oracle = Decimal(100)
    mark.update(0.0, oracle, Decimal(101), Decimal(103), None)
    px = mark.update(600.0, oracle, Decimal(101), Decimal(103), Decimal("101.5"))
    # ema ~= 2 (mid 102); inputs 102, median(101, 103, 101.5) = 101.5, 100 -> 101.5
    assert px == Decimal("101.5")


def test_mark_with_one_sided_book_never_fails_and_keeps_ema() -> None:
    mark = MarkPrice(sz_decimals=2)
    oracle = Decimal(100)
    mark.update(0.0, oracle, Decimal(100), Decimal(102), None)
    mark.update(30.0, oracle, Decimal(100), Decimal(102), None)
    ema = mark.ema
    assert ema == pytest.approx(Decimal(1))
    px = mark.update(33.0, oracle, Decimal("99.5"), None, None)
    assert mark.ema == ema  # no sample without a mid; decay alone leaves the ratio unchanged
    # inputs 101, 99.5 (bid only) and 100 -> 100
    assert px == Decimal(100)
    px = mark.update(36.0, oracle, None, None, None)
    assert px == Decimal("100.5")  # mean of oracle + ema and oracle


def test_mark_is_a_valid_tick() -> None:
    mark = MarkPrice(sz_decimals=0)
    px = mark.update(0.0, Decimal("0.018471"), Decimal("0.018466"), Decimal("0.018477"), None)
    px = mark.update(7.0, Decimal("0.018471"), Decimal("0.018466"), Decimal("0.018479"), None)
    assert is_valid_tick(px, 0)


# --- funding ------------------------------------------------------------------------------


def _fill_hour(
    sampler: FundingSampler,
    start_s: float,
    oracle: Decimal,
    bid: Decimal | None,
    ask: Decimal | None,
) -> None:
    for k in range(720):
        sampler.sample(start_s + 5.0 * k, oracle, bid, ask)


def test_zero_premium_hour_settles_at_interest_rate() -> None:
    sampler = FundingSampler("BTC")
    oracle = Decimal(50000)
    _fill_hour(sampler, 0.0, oracle, Decimal(49990), Decimal(50010))
    assert sampler.n_samples == 720
    assert sampler.current_premium() == 0
    assert sampler.current_rate() == Decimal("0.0000125")
    record = sampler.settle(HOUR_MS)
    assert record.coin == "BTC"
    assert record.funding_rate == Decimal("0.0000125")
    assert record.premium == 0
    assert record.n_samples == 720
    assert HOUR_MS < record.time < HOUR_MS + 1000


def test_persistent_one_percent_premium_settles_clamped() -> None:
    sampler = FundingSampler("ETH")
    oracle = Decimal(3000)
    _fill_hour(sampler, 0.0, oracle, Decimal(3030), Decimal(3031))
    record = sampler.settle(HOUR_MS)
    assert record.premium == Decimal("0.01")
    assert record.funding_rate == hourly_funding_rate(Decimal("0.01"))
    assert record.funding_rate == Decimal("0.0011875")  # (0.01 - 0.0005) / 8


def test_huge_premium_is_capped_at_four_percent_per_hour() -> None:
    sampler = FundingSampler("SOL")
    _fill_hour(sampler, 0.0, Decimal(100), Decimal(150), Decimal(151))
    assert sampler.settle(HOUR_MS).funding_rate == Decimal("0.04")


def test_settle_resets_and_keeps_next_hour_samples() -> None:
    sampler = FundingSampler("BTC")
    oracle = Decimal(100)
    _fill_hour(sampler, 0.0, oracle, Decimal(101), Decimal(102))
    sampler.sample(3600.0, oracle, Decimal("100.5"), Decimal(102))  # already the next hour
    first = sampler.settle(HOUR_MS)
    assert first.n_samples == 720 and first.premium == Decimal("0.01")
    assert sampler.n_samples == 1
    assert sampler.current_rate() == hourly_funding_rate(Decimal("0.005"))
    second = sampler.settle(2 * HOUR_MS)
    assert second.premium == Decimal("0.005")
    empty = sampler.settle(3 * HOUR_MS)
    assert empty.n_samples == 0 and empty.funding_rate == Decimal("0.0000125")
    assert sampler.current_rate() == Decimal("0.0000125")


def test_samples_are_taken_once_per_five_seconds_and_thin_books_skip() -> None:
    sampler = FundingSampler("BTC")
    oracle = Decimal(100)
    assert sampler.sample(0.0, oracle, Decimal(101), Decimal(102)) == Decimal("0.01")
    assert sampler.sample(2.0, oracle, Decimal(101), Decimal(102)) is None  # same slot
    assert sampler.sample(4.999, oracle, Decimal(101), Decimal(102)) is None
    assert sampler.sample(5.0, oracle, None, Decimal(102)) is None  # no impact bid
    assert sampler.sample(10.0, oracle, Decimal(99), Decimal("99.5")) == Decimal("-0.005")
    assert sampler.n_samples == 2
    assert sampler.current_premium() == Decimal("-0.005")
    assert sampler.current_rate() == hourly_funding_rate(Decimal("0.0025"))


def test_premium_before_any_sample_is_none() -> None:
    sampler = FundingSampler("BTC")
    assert sampler.current_premium() is None
    assert sampler.current_rate() == Decimal("0.0000125")


# --- 24 h stats ---------------------------------------------------------------------------


def test_day_stats_roll_over_24_hours() -> None:
    stats = DayStats(start_px=Decimal(100))
    t0 = 1_700_000_000_000
    stats.observe_price(t0, Decimal(100))
    stats.record_trade(t0 + 1000, Decimal(101), Decimal(2))
    stats.record_trade(t0 + 2 * HOUR_MS, Decimal(110), Decimal(1))
    assert stats.day_ntl_vlm == Decimal(312)
    assert stats.day_base_vlm == Decimal(3)
    assert stats.prev_day_px == Decimal(100)
    stats.observe_price(t0 + 12 * HOUR_MS, Decimal(120))
    stats.advance(t0 + 24 * HOUR_MS + 60_000)
    assert stats.day_ntl_vlm == Decimal(110)
    assert stats.day_base_vlm == Decimal(1)
    assert stats.prev_day_px == Decimal(101)  # last price in the minute that left the window
    stats.advance(t0 + 26 * HOUR_MS + 60_000)
    assert stats.day_ntl_vlm == 0 and stats.day_base_vlm == 0
    assert stats.prev_day_px == Decimal(110)
    stats.advance(t0 + 36 * HOUR_MS + 60_000)
    assert stats.prev_day_px == Decimal(120)


def test_day_stats_many_trades_are_cheap() -> None:
    stats = DayStats()
    t0 = 0
    for i in range(50_000):
        stats.record_trade(t0 + i * 5000, Decimal(10), Decimal(1))
    # The window holds 24 h of 5 s trades: 17280, give or take the partial minute.
    assert Decimal(17_270) <= stats.day_base_vlm <= Decimal(17_292)
    assert stats.day_ntl_vlm == stats.day_base_vlm * 10


# --- clock --------------------------------------------------------------------------------


class FakeWall:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def test_clock_speed_60_runs_an_hour_per_wall_minute() -> None:
    wall = FakeWall()
    clock = VenueClock(speed=60, start_ms=1_700_000_000_000, wall=wall)
    assert clock.now_ms() == 1_700_000_000_000
    wall.t += 60.0
    assert clock.now_ms() == 1_700_000_000_000 + HOUR_MS
    assert clock.to_wall_seconds(3600) == pytest.approx(60.0)
    assert clock.to_wall_seconds(5) == pytest.approx(5 / 60)


def test_clock_at_real_speed_and_next_hour() -> None:
    wall = FakeWall()
    clock = VenueClock(start_ms=10 * HOUR_MS - 1500, wall=wall)
    wall.t += 0.5
    assert clock.now_ms() == 10 * HOUR_MS - 1000
    assert clock.next_hour_ms() == 10 * HOUR_MS
    assert clock.wall_seconds_until(10 * HOUR_MS) == pytest.approx(1.0)
    wall.t -= 10  # a misbehaving wall source never makes venue time go backwards
    assert clock.now_ms() == 10 * HOUR_MS - 1000
    with pytest.raises(ValueError):
        VenueClock(speed=0)


def test_clock_defaults_to_unix_time() -> None:
    clock = VenueClock()
    assert clock.now_ms() > 1_600_000_000_000

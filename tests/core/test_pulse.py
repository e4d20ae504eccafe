"""The pulse reading: the classic price / open interest / funding table, in plain words."""

from __future__ import annotations

import itertools
from decimal import Decimal

import pytest

from wallet_perps.core.models import AssetContext
from wallet_perps.core.pulse import (
    MEANINGS,
    PulseSample,
    PulseThresholds,
    Trend,
    absolute_trend,
    describe_span,
    meaning_for,
    read_pulse,
    relative_change,
    relative_trend,
    sample_from_context,
    volume_ratio,
)

D = Decimal
MINUTE = 60_000


def sample(
    t_min: float,
    mark: str = "100",
    oi: str = "1000",
    funding: str = "0.0000125",
    oracle: str | None = None,
) -> PulseSample:
    return PulseSample(
        time_ms=int(t_min * MINUTE),
        mark_px=D(mark),
        oracle_px=D(oracle if oracle is not None else mark),
        open_interest=D(oi),
        funding=D(funding),
        day_ntl_vlm=D(0),
    )


def test_price_up_open_interest_up_funding_rising_is_new_longs_piling_in() -> None:
    reading = read_pulse([sample(0), sample(5, "101", "1050", "0.00002")], 15 * MINUTE)
    assert reading is not None
    assert (reading.price, reading.open_interest, reading.funding) == (Trend.UP,) * 3
    assert reading.headline == (
        "price up, open interest up, funding rising: new longs are piling in"
    )
    assert reading.text.startswith("Price up, open interest up, funding rising: new longs")
    assert reading.price_change == D("0.01") and reading.open_interest_change == D("0.05")
    assert reading.span_ms == 5 * MINUTE


@pytest.mark.parametrize(
    ("mark", "oi", "funding", "words"),
    [
        ("101", "950", "0.0000125", "shorts are closing"),
        ("101", "950", "0.000005", "shorts are being squeezed out"),
        ("99", "1050", "0.000005", "new shorts are piling in"),
        ("99", "1050", "0.0000125", "new shorts are opening"),
        ("99", "1050", "0.00002", "longs are buying the dip"),
        ("99", "950", "0.0000125", "longs are closing"),
        ("99", "950", "0.00002", "longs are being flushed out"),
        ("100", "1050", "0.0000125", "positions are building on both sides"),
        ("100", "950", "0.0000125", "interest is fading"),
        ("101", "1000", "0.0000125", "rising without new positions"),
        ("99", "1000", "0.0000125", "falling without new positions"),
        ("100", "1000", "0.00002", "longs are getting keener"),
        ("100", "1000", "0.000005", "shorts are getting keener"),
        ("100", "1000", "0.0000125", "quiet: nothing much is changing"),
    ],
)
def test_the_classic_combinations(mark: str, oi: str, funding: str, words: str) -> None:
    reading = read_pulse([sample(0), sample(10, mark, oi, funding)], 15 * MINUTE)
    assert reading is not None
    assert words in reading.meaning
    assert reading.headline.endswith(reading.meaning)


def test_every_combination_has_a_meaning() -> None:
    for combo in itertools.product(Trend, repeat=3):
        assert meaning_for(*combo) in MEANINGS.values()


def test_small_moves_are_noise_not_trends() -> None:
    limits = PulseThresholds()
    # 0.04% on price, 0.1% on open interest: below the thresholds, so flat.
    reading = read_pulse(
        [sample(0), sample(1, "100.04", "1001", "0.0000126")], MINUTE, thresholds=limits
    )
    assert reading is not None
    assert (reading.price, reading.open_interest, reading.funding) == (Trend.FLAT,) * 3
    assert relative_trend(D(100), D("100.05"), D("0.0005")) is Trend.UP
    assert relative_trend(D(100), D("99.95"), D("0.0005")) is Trend.DOWN
    # From zero: open interest from none to some is new positions, not "flat" (the page
    # once said "open interest flat, +0.00%" beside a chart rising from 0 to 0.35 BTC).
    assert relative_trend(D(0), D(5), D("0.01")) is Trend.UP
    assert relative_change(D(0), D(5)) is None
    assert relative_trend(D(0), D(0), D("0.01")) is Trend.FLAT
    assert relative_change(D(0), D(0)) == 0
    # Funding crossing zero is an absolute move.
    assert absolute_trend(D("-0.00001"), D("0.00001"), D("0.000001")) is Trend.UP


def test_the_window_compares_the_newest_sample_with_the_oldest_inside_it() -> None:
    samples = [sample(0, "90"), sample(50, "100"), sample(55, "100"), sample(60, "101")]
    reading = read_pulse(samples, 15 * MINUTE)
    assert reading is not None
    assert reading.span_ms == 10 * MINUTE  # from minute 50, not minute 0
    assert reading.price_change == D("0.01")
    # A window longer than the data uses all of it.
    whole = read_pulse(samples, 600 * MINUTE)
    assert whole is not None and whole.span_ms == 60 * MINUTE


def test_no_reading_without_two_moments() -> None:
    assert read_pulse([], MINUTE) is None
    assert read_pulse([sample(1)], MINUTE) is None
    assert read_pulse([sample(1), sample(1)], MINUTE) is None


def test_notes_for_crowding_premium_and_volume() -> None:
    crowded = read_pulse(
        [sample(0), sample(5, funding="0.00005", mark="100.2", oracle="100")],
        15 * MINUTE,
        volume=D(2),
    )
    assert crowded is not None
    assert crowded.premium == D("0.002")
    assert any(n.startswith("Longs are crowded") for n in crowded.notes)
    assert any("above its oracle" in n for n in crowded.notes)
    assert any("heavier than usual" in n for n in crowded.notes)
    assert crowded.text.endswith(crowded.notes[-1])

    shorts = read_pulse(
        [sample(0), sample(5, funding="-0.00005", mark="99.8", oracle="100")],
        15 * MINUTE,
        volume=D("0.3"),
    )
    assert shorts is not None
    assert any(n.startswith("Shorts are crowded") for n in shorts.notes)
    assert any("below its oracle" in n for n in shorts.notes)
    assert any("Volume is light" in n for n in shorts.notes)

    calm = read_pulse([sample(0), sample(5)], 15 * MINUTE, volume=D(1))
    assert calm is not None and calm.notes == ()


def test_volume_ratio_compares_recent_bars_with_the_window() -> None:
    assert volume_ratio([D(10)] * 7 + [D(40)] * 3) == D(40) / D(19)
    assert volume_ratio([D(10)] * 3) is None  # not enough bars to compare
    assert volume_ratio([D(0)] * 6) is None
    assert volume_ratio([D(1), D(2)], recent=0) is None


def test_sample_from_context_keeps_the_venue_numbers() -> None:
    ctx = AssetContext(
        coin="BTC",
        mark_px=D("97001"),
        oracle_px=D("97000"),
        funding=D("0.0000125"),
        open_interest=D("12.5"),
        prev_day_px=D("96000"),
        day_ntl_vlm=D("1000000"),
    )
    s = sample_from_context(ctx, 123)
    assert (s.time_ms, s.mark_px, s.oracle_px, s.open_interest, s.funding) == (
        123,
        D("97001"),
        D("97000"),
        D("12.5"),
        D("0.0000125"),
    )
    assert s.open_interest_usd == D("12.5") * D("97001")
    assert s.premium == D("97001") / D("97000") - 1
    assert PulseSample(0, D(1), D(0), D(0), D(0), D(0)).premium == 0


def test_describe_span() -> None:
    assert describe_span(45_000) == "45 s"
    assert describe_span(12 * MINUTE) == "12 min"
    assert describe_span(3 * 60 * MINUTE) == "3 h"
    assert describe_span(150 * MINUTE) == "2.5 h"
    assert describe_span(-5) == "0 s"

"""Funding in words and sums: sign convention, countdown, totals, estimates."""

from __future__ import annotations

from decimal import Decimal

from wallet_perps.core.funding_board import (
    HOUR_MS,
    countdown_text,
    cumulative,
    next_funding_ms,
    next_payment_estimate,
    payment_words,
    predicted_by_coin,
    totals,
    who_pays,
)
from wallet_perps.core.models import FundingPayment, PredictedFunding

D = Decimal


def payment(time: int, usdc: str, coin: str = "BTC") -> FundingPayment:
    return FundingPayment(time, coin, D(usdc), D("0.01"), D("0.0000125"))


def test_who_pays_follows_the_sign_of_the_rate() -> None:
    assert who_pays(D("0.0000125")) == "Longs pay shorts"
    assert who_pays(D("-0.0000001")) == "Shorts pay longs"
    assert who_pays(D(0)) == "No one pays"


def test_next_payment_is_the_top_of_the_next_utc_hour() -> None:
    assert next_funding_ms(0) == HOUR_MS
    assert next_funding_ms(HOUR_MS - 1) == HOUR_MS
    assert next_funding_ms(HOUR_MS) == 2 * HOUR_MS  # settled now: the next one is in an hour
    assert next_funding_ms(5 * HOUR_MS + 123, interval_hours=8) == 8 * HOUR_MS
    assert next_funding_ms(5, interval_hours=0) == HOUR_MS


def test_countdown_text() -> None:
    assert countdown_text(42 * 60_000 + 7_999) == "42:07"
    assert countdown_text(3_723_000) == "1:02:03"
    assert countdown_text(-5) == "00:00"


def test_estimate_longs_pay_a_positive_rate_and_shorts_receive_it() -> None:
    rate = D("0.0000125")
    long = next_payment_estimate(D("0.01"), D(100000), rate)
    short = next_payment_estimate(D("-0.01"), D(100000), rate)
    assert long == D("-0.0125") and short == D("0.0125")
    assert next_payment_estimate(D("0.01"), D(100000), -rate) == D("0.0125")
    assert payment_words(long) == "You pay" and payment_words(short) == "You receive"
    assert payment_words(D(0)) == "Nothing"


def test_totals_and_cumulative_points() -> None:
    rows = [payment(3, "-0.5"), payment(1, "0.25"), payment(2, "-0.125", "ETH")]
    summary = totals(rows)
    assert (summary.received, summary.paid, summary.count) == (D("0.25"), D("0.625"), 3)
    assert summary.net == D("-0.375") == sum((p.usdc for p in rows), D(0))
    assert cumulative(rows) == [(1, D("0.25")), (2, D("0.125")), (3, D("-0.375"))]
    assert totals([]).net == 0 and cumulative([]) == []


def test_predicted_prefers_the_venues_own_prediction() -> None:
    rows = [
        PredictedFunding("BTC", "BinPerp", D("0.0001"), 1),
        PredictedFunding("BTC", "HlPerp", D("0.00002"), 2),
        PredictedFunding("BTC", "BybitPerp", D("0.0003"), 3),
        PredictedFunding("DOGE", "BinPerp", D("0.0004"), 4),
    ]
    chosen = predicted_by_coin(rows)
    assert chosen["BTC"].venue == "HlPerp" and chosen["BTC"].funding_rate == D("0.00002")
    assert chosen["DOGE"].venue == "BinPerp"  # better another venue's guess than none

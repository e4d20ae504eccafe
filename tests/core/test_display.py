"""The number-to-text rules people read, checked without a display."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from wallet_perps.core.display import (
    format_apr,
    format_clock,
    format_compact_usd,
    format_day_time,
    format_funding_rate,
    format_hourly_rate,
    format_local_time,
    format_number,
    format_pct,
    format_percent,
    format_plain,
    format_price,
    format_size,
    format_small_usd,
    format_usd,
    format_usd_exact,
    short_address,
    significant,
)

D = Decimal


@pytest.mark.parametrize(
    ("value", "places", "text"),
    [
        (D("1234.5"), 2, "$1,234.50"),
        (D("-4.123"), 2, "-$4.12"),
        (D("-1"), 2, "-$1.00"),
        (D("0"), 2, "$0.00"),
        (D("-0.00004"), 4, "-$0.0000"),
        (D("0.12345"), 4, "$0.1234"),  # half-even, as Decimal formats
        (D("1000000"), 0, "$1,000,000"),
    ],
)
def test_usd_puts_the_sign_before_the_dollar(value: Decimal, places: int, text: str) -> None:
    assert format_usd(value, places) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (D("5"), "$5.00"),
        (D("1234.5678"), "$1,234.5678"),
        (D("-1"), "-$1.00"),  # was "$-1.00" in the transfer sentences
        (D("0.000001"), "$0.000001"),
        (D("1E+3"), "$1,000.00"),
    ],
)
def test_exact_usd_keeps_every_digit(value: Decimal, text: str) -> None:
    assert format_usd_exact(value) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (D("-0.0025"), "-$0.0025"),
        (D("0.5"), "$0.5000"),
        (D("1"), "$1.00"),
        (D("-12.346"), "-$12.35"),
        (D("0"), "$0.00"),
    ],
)
def test_small_usd_has_places_for_funding(value: Decimal, text: str) -> None:
    assert format_small_usd(value) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (D("1234567890"), "$1.23B"),
        (D("45600000"), "$45.60M"),
        (D("789000"), "$789.00K"),
        (D("999.5"), "$999.50"),
        (D("-2500000"), "-$2.50M"),
    ],
)
def test_compact_usd(value: Decimal, text: str) -> None:
    assert format_compact_usd(value) == text


def test_prices_are_shown_as_quoted() -> None:
    assert format_price(D("97123.50")) == "$97,123.5"
    assert format_price(D("0.000123")) == "$0.000123"
    assert format_price(D("1E+5")) == "$100,000"
    assert format_price(D("-3.10")) == "-$3.1"
    assert format_price(None) == "—"
    assert format_number(D("12345.600")) == "12,345.6"


def test_sizes_and_plain_numbers_have_no_exponent_nor_separators() -> None:
    assert format_size(D("0.01230")) == "0.0123"
    assert format_size(D("1E+3")) == "1000"
    assert format_size(D("0")) == "0"
    assert format_size(D("-0.000")) == "0"
    assert format_plain(D("0.50")) == "0.5"
    assert format_plain(D("1E+1")) == "10"


def test_significant_keeps_six_figures() -> None:
    assert significant(D("97123.456789")) == D("97123.5")
    assert significant(D("0.000123456789")) == D("0.000123457")
    assert significant(D("12.3"), 3) == D("12.3")
    assert significant(D("0")) == D("0")
    assert format_price(significant(D("101234.5678"))) == "$101,235"


def test_percentages() -> None:
    assert format_pct(D("0.0123")) == "1.23%"
    assert format_pct(D("0.0123"), signed=True) == "+1.23%"
    assert format_pct(D("-0.5"), 1, signed=True) == "-50.0%"
    assert format_pct(D("0"), signed=True) == "+0.00%"
    assert format_percent(D("1.234")) == "1.23%"
    assert format_percent(D("-0.456"), 1, signed=True) == "-0.5%"
    # The same number whichever way it comes in.
    assert format_percent(D("12.5"), signed=True) == format_pct(D("0.125"), signed=True)


@pytest.mark.parametrize(
    ("rate", "hourly", "apr"),
    [
        (D("0.000125"), "0.0125%", "109.5%"),
        (D("0.0000125"), "0.00125%", "11.0%"),
        (D("-0.0000125"), "-0.00125%", "-11.0%"),
        (D("0"), "0.0000%", "0.0%"),
        (D("-0.0001"), "-0.0100%", "-87.6%"),
    ],
)
def test_funding_rate_with_its_yearly_equivalent(rate: Decimal, hourly: str, apr: str) -> None:
    assert format_hourly_rate(rate) == hourly
    assert format_apr(rate) == apr
    assert format_funding_rate(rate) == f"{hourly}/h ({apr} APR)"


def test_one_rule_for_short_addresses() -> None:
    address = "0x" + "ab12" * 10
    assert short_address(address) == "0xab12…ab12"
    assert short_address("0x1234") == "0x1234"
    assert short_address("") == ""


def test_times_are_local() -> None:
    moment = datetime(2025, 11, 25, 21, 0, 5)
    ms = int(moment.timestamp() * 1000)
    assert format_local_time(ms) == "2025-11-25 21:00:05"
    assert format_day_time(ms) == "Nov 25 21:00"
    assert format_clock(ms) == "21:00:05"

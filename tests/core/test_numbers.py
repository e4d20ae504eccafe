"""Wire numbers: what the venue hashes and which ticks and lots it accepts (PROTOCOL.md §3)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import FIXTURES_DIR
from wallet_perps.core.numbers import (
    NumberError,
    check_price,
    check_size,
    from_wire,
    is_valid_price,
    is_valid_size,
    micros_to_usd,
    round_price,
    round_size,
    to_int_for_hashing,
    to_scaled_int,
    to_wire,
    usd_to_micros,
)

FIXTURES = FIXTURES_DIR
D = Decimal


def _signing_vectors() -> dict[str, Any]:
    with (FIXTURES / "signing_vectors.json").open() as fh:
        data: dict[str, Any] = json.load(fh)
    return data


# --- to_wire ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "wire"),
    [
        # §3 examples
        ("100", "100"),
        ("100.0", "100"),
        ("0.0147", "0.0147"),
        ("1670.1", "1670.1"),
        # normalisation
        ("1E+2", "100"),
        ("0.01470", "0.0147"),
        ("1.2300E+3", "1230"),
        ("123456", "123456"),
        ("0.00000001", "0.00000001"),
        ("1E-10", "0.0000000001"),
        ("3.5", "3.5"),
        ("2000.0", "2000"),
        ("-1.50", "-1.5"),
        ("10.5", "10.5"),
        # zero is never "-0"
        ("0", "0"),
        ("0.000", "0"),
        ("-0", "0"),
        ("-0.0", "0"),
        ("0E-8", "0"),
        ("-0E+3", "0"),
    ],
)
def test_to_wire(value: str, wire: str) -> None:
    assert to_wire(D(value)) == wire


def test_to_wire_accepts_int() -> None:
    assert to_wire(7) == "7"  # type: ignore[arg-type]


def test_to_wire_ignores_thread_context_precision() -> None:
    import decimal

    with decimal.localcontext(prec=3):
        assert to_wire(D("12345.678901")) == "12345.678901"


@pytest.mark.parametrize("value", [D("NaN"), D("sNaN"), D("Infinity"), D("-Infinity")])
def test_to_wire_refuses_non_finite(value: Decimal) -> None:
    with pytest.raises(NumberError, match="finite"):
        to_wire(value)


@pytest.mark.parametrize("value", [0.1, 100.0, True, "100", None])
def test_to_wire_refuses_non_decimals(value: object) -> None:
    with pytest.raises(NumberError, match="must be a Decimal"):
        to_wire(value)  # type: ignore[arg-type]


def test_number_error_is_value_error() -> None:
    assert issubclass(NumberError, ValueError)


def test_from_wire() -> None:
    assert from_wire("-0.00785") == D("-0.00785")
    assert from_wire("11.383755") == D("11.383755")
    for bad in ["abc", "", "NaN", "inf"]:
        with pytest.raises(NumberError):
            from_wire(bad)


# --- prices -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("px", "sz_decimals", "valid"),
    [
        # §3 examples (perps, MAX_DECIMALS 6)
        ("1234.5", 0, True),
        ("1234.56", 0, False),
        ("0.001234", 0, True),
        ("0.0012345", 0, False),
        ("0.01234", 1, True),
        ("0.012345", 1, False),
        ("123456", 0, True),  # integer prices are always valid
        ("12345.6", 0, False),
        # more
        ("123456.0", 5, True),  # trailing zeros do not count
        ("100000000", 5, True),
        ("12345", 5, True),
        ("1234.5", 5, True),  # 1 decimal allowed for szDecimals 5 (BTC)
        ("1234.55", 5, False),
        ("99999.5", 5, False),  # BTC .5 prices: six significant figures (§13.6)
        ("0.00001", 0, True),
        ("0.000001", 0, True),
        ("0.0000001", 0, False),
        ("0", 0, False),
        ("-1", 0, False),
    ],
)
def test_is_valid_price_perp(px: str, sz_decimals: int, valid: bool) -> None:
    assert is_valid_price(D(px), sz_decimals) is valid


def test_is_valid_price_spot_allows_eight_minus_sz_decimals() -> None:
    assert is_valid_price(D("0.00001234"), 0, is_spot=True)
    assert not is_valid_price(D("0.00001234"), 0)
    assert not is_valid_price(D("0.00001234"), 1, is_spot=True)
    assert not is_valid_price(D("0.000012345"), 0, is_spot=True)


def test_check_price_messages_are_readable() -> None:
    with pytest.raises(NumberError, match=r"^price 12345\.67 has more than 5 significant figures"):
        check_price(D("12345.67"), 0)
    with pytest.raises(NumberError, match=r"price 0\.0012345 has more than 6 decimals"):
        check_price(D("0.0012345"), 0)
    with pytest.raises(NumberError, match=r"price 1234\.55 has more than 1 decimals"):
        check_price(D("1234.55"), 5)
    with pytest.raises(NumberError, match="greater than zero"):
        check_price(D("0"), 0)
    with pytest.raises(NumberError, match="szDecimals 7"):
        check_price(D("1"), 7)


@pytest.mark.parametrize(
    ("px", "sz_decimals", "direction", "expected"),
    [
        ("12345.67", 0, "up", "12346"),
        ("12345.67", 0, "down", "12345"),
        ("12345.67", 0, "nearest", "12346"),
        ("123456.7", 0, "down", "123456"),  # not .5g's 123460: integers are always valid
        ("123456.7", 0, "up", "123457"),
        ("123456", 0, "up", "123456"),  # valid prices are left alone
        ("1234.5", 0, "down", "1234.5"),
        ("1234.56", 0, "up", "1234.6"),
        ("1234.56", 0, "down", "1234.5"),
        ("1234.55", 5, "nearest", "1234.6"),
        ("0.0012345", 0, "up", "0.001235"),
        ("0.0012345", 0, "down", "0.001234"),
        ("0.012345", 1, "up", "0.01235"),
        ("0.012345", 1, "down", "0.01234"),
        ("0.0123456", 3, "nearest", "0.012"),  # decimal limit (3) is coarser than 5 s.f.
        ("99999.5", 5, "up", "100000"),  # crossing a power of ten stays valid
        ("99999.5", 5, "down", "99999"),
        ("9.999999", 0, "up", "10"),
        ("1.000001", 0, "down", "1"),
        ("100.0", 2, "down", "100"),
    ],
)
def test_round_price(px: str, sz_decimals: int, direction: str, expected: str) -> None:
    result = round_price(D(px), sz_decimals, direction=direction)  # type: ignore[arg-type]
    assert to_wire(result) == expected
    assert is_valid_price(result, sz_decimals)


def test_round_price_spot() -> None:
    assert round_price(D("0.000012345"), 0, direction="up", is_spot=True) == D("0.00001235")
    assert round_price(D("0.000012345"), 0, direction="up") == D("0.000013")


def test_round_price_refuses_bad_input() -> None:
    with pytest.raises(NumberError, match="rounds to zero"):
        round_price(D("0.0000001"), 0, direction="down")
    with pytest.raises(NumberError, match="greater than zero"):
        round_price(D("-5"), 0, direction="up")
    with pytest.raises(NumberError, match="direction"):
        round_price(D("5"), 0, direction="sideways")  # type: ignore[arg-type]
    with pytest.raises(NumberError, match="must be a Decimal"):
        round_price(100.5, 0, direction="up")  # type: ignore[arg-type]


def test_round_price_buy_up_sell_down_brackets_the_input() -> None:
    px = D("43210.987")
    buy = round_price(px, 5, direction="up")
    sell = round_price(px, 5, direction="down")
    assert sell <= px <= buy
    assert (buy, sell) == (D("43211"), D("43210"))


@settings(max_examples=300, deadline=None)
@given(
    px=st.decimals(
        min_value=D("0.000001"), max_value=D("10000000"), allow_nan=False, allow_infinity=False
    ),
    sz_decimals=st.integers(min_value=0, max_value=5),
    direction=st.sampled_from(["up", "down", "nearest"]),
)
def test_round_price_always_valid_and_on_the_right_side(
    px: Decimal, sz_decimals: int, direction: str
) -> None:
    try:
        result = round_price(px, sz_decimals, direction=direction)  # type: ignore[arg-type]
    except NumberError as exc:
        assert "rounds to zero" in str(exc)
        return
    assert is_valid_price(result, sz_decimals)
    if direction == "up":
        assert result >= px
    elif direction == "down":
        assert result <= px
    if is_valid_price(px, sz_decimals):
        assert result == px


# --- sizes ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sz", "sz_decimals", "valid"),
    [
        ("0.001", 3, True),
        ("0.0010", 3, True),
        ("0.0001", 3, False),
        ("1", 0, True),
        ("1.5", 0, False),
        ("0.00785", 5, True),
        ("0", 3, False),
        ("-1", 3, False),
    ],
)
def test_is_valid_size(sz: str, sz_decimals: int, valid: bool) -> None:
    assert is_valid_size(D(sz), sz_decimals) is valid


def test_round_size() -> None:
    assert round_size(D("0.123456"), 3) == D("0.123")
    assert round_size(D("0.123456"), 3, "up") == D("0.124")
    assert round_size(D("0.1235"), 3, "nearest") == D("0.124")
    assert round_size(D("2.000"), 2) == D("2")
    assert to_wire(round_size(D("2.000"), 2)) == "2"
    with pytest.raises(NumberError, match=r"rounds to zero; the smallest size is 0\.001"):
        round_size(D("0.0004"), 3)
    with pytest.raises(NumberError, match="greater than zero"):
        round_size(D("0"), 3)


def test_check_size_message() -> None:
    with pytest.raises(NumberError, match=r"size 0\.0001 has more than 3 decimals"):
        check_size(D("0.0001"), 3)


# --- integer amounts --------------------------------------------------------------------------


def test_usd_to_micros() -> None:
    assert usd_to_micros(D("1")) == 1_000_000  # §3: 1 USD = 1000000
    assert usd_to_micros(D("1.5")) == 1_500_000
    assert usd_to_micros(D("-0.000001")) == -1
    assert usd_to_micros(D("11.383755")) == 11_383_755
    assert usd_to_micros(D("2.50000000")) == 2_500_000
    with pytest.raises(NumberError, match=r"USD amount 1\.0000001 has more than 6 decimals"):
        usd_to_micros(D("1.0000001"))
    with pytest.raises(NumberError):
        usd_to_micros(1.5)  # type: ignore[arg-type]


def test_micros_round_trip() -> None:
    assert micros_to_usd(1_500_000) == D("1.5")
    assert usd_to_micros(micros_to_usd(-123_456_789)) == -123_456_789


def test_float_to_int_for_hashing_cases_from_the_sdk() -> None:
    cases = _signing_vectors()["float_to_int_for_hashing_cases"]
    for value, expected in cases["cases"]:
        # The SDK test feeds floats; their shortest repr is the decimal the user meant.
        assert to_int_for_hashing(D(repr(value))) == expected
    for value in cases["raises"]:
        with pytest.raises(NumberError):
            to_int_for_hashing(D(repr(value)))


def test_to_scaled_int_large_values_are_exact() -> None:
    assert to_scaled_int(D("123456789012345678.12345678"), 8) == 12345678901234567812345678

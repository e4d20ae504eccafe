"""What counts as a number a person typed (and what is refused where it was typed)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from wallet_perps.core.typed_numbers import parse_typed_number

D = Decimal


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1250", D("1250")),
        ("1,250", D("1250")),
        ("1,250,000.5", D("1250000.5")),
        ("$1,250.50", D("1250.50")),
        (" $ 90000 ", D("90000")),
        ("0.001", D("0.001")),
        (".5", D("0.5")),
        ("12.", D("12")),
        ("0", D("0")),
    ],
)
def test_plain_numbers_with_optional_separators_are_read(text: str, value: Decimal) -> None:
    assert parse_typed_number(text) == value


@pytest.mark.parametrize(
    "text",
    [
        "1e3",
        "1E3",
        "NaN",
        "nan",
        "Infinity",
        "inf",
        "-5",
        "+5",
        "1_000",
        "12,50",
        "1,25,000",
        "1.2.3",
        "",
        " ",
        "$",
        ".",
        "0x10",
        "١٢٣",  # Arabic-Indic digits: Decimal reads them, a ticket must not
        "1 000",
        "5%",
    ],
)
def test_anything_else_is_refused(text: str) -> None:
    assert parse_typed_number(text) is None


def test_percent_and_currency_are_opt_in() -> None:
    assert parse_typed_number("12.5%", percent=True) == D("12.5")
    assert parse_typed_number("$5", currency=False) is None

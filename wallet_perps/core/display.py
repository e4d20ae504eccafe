"""Every number-to-text rule for people: money, prices, sizes, percentages, funding, addresses.

Why one module: the ticket, the confirmation sheet, the position cards, the history tables and
the transfer sentences must print the same number the same way, or a user comparing two screens
sees two truths. The rules used to live in a widget module (imported by a dozen others) and in
private copies that drifted (one printed ``$-1.00``). Here they are pure functions of
:class:`~decimal.Decimal` values, tested without a display; the UI and the services import them.

The rules, once:

- money: the sign before the dollar (``-$1.00``), thousands separators, cents by default;
- prices and other venue numbers: exactly as quoted, separators, no trailing zeros;
- sizes and plain numbers: no exponent, no trailing zeros, no separators (they are re-typed);
- percentages: a fraction (``0.0123``) or a value already in percent (``1.23``), fixed places;
- funding: the hourly rate with its yearly equivalent (``0.0125%/h (11.0% APR)``);
- addresses: ``0x1234…abcd``; times: the user's local time.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Final

__all__ = [
    "format_apr",
    "format_clock",
    "format_compact_usd",
    "format_day_time",
    "format_funding_rate",
    "format_hourly_rate",
    "format_local_time",
    "format_number",
    "format_pct",
    "format_percent",
    "format_plain",
    "format_price",
    "format_size",
    "format_small_usd",
    "format_usd",
    "format_usd_exact",
    "short_address",
    "significant",
]

_HUNDRED: Final = Decimal(100)
_HOURS_PER_YEAR: Final = Decimal(24 * 365)
_COMPACT: Final = ((Decimal(10) ** 9, "B"), (Decimal(10) ** 6, "M"), (Decimal(1000), "K"))
#: Below this an hourly rate in percent gets a fifth decimal, so 0.00125% is not shown as 0.0013%.
_SMALL_RATE_PCT: Final = Decimal("0.01")

# ------------------------------------------------------------------------------------- money


def format_usd(value: Decimal, places: int = 2) -> str:
    """Money for people: ``$1,234.50``, ``-$4.12`` (the sign before the dollar, never after)."""
    sign = "-" if value < 0 else ""
    return f"{sign}${abs(value):,.{places}f}"


def format_usd_exact(value: Decimal) -> str:
    """Money for a sentence that must not round: whole cents, or every finer digit it has.

    ``$5.00``, ``$1,234.5678``, ``-$0.000001``: a transfer's amount or fee is told exactly as
    it will be booked.
    """
    exponent = value.normalize().as_tuple().exponent
    places = max(2, -exponent) if isinstance(exponent, int) else 2
    return format_usd(value, places)


def format_small_usd(value: Decimal) -> str:
    """Dollars with enough places for funding-sized amounts: ``-$0.0025`` (two from $1 up)."""
    return format_usd(value, 2 if abs(value) >= 1 or value == 0 else 4)


def format_compact_usd(value: Decimal) -> str:
    """Large dollar amounts for headers and lists: ``$1.23B``, ``$45.60M``, ``$789.00K``."""
    for factor, suffix in _COMPACT:
        if abs(value) >= factor:
            return f"{format_usd(value / factor, 2)}{suffix}"
    return format_usd(value)


# ---------------------------------------------------------------------- prices and sizes


def format_number(value: Decimal) -> str:
    """A venue number as it is quoted, with separators and no trailing zeros: ``97,123.5``."""
    return f"{value.normalize():,f}"


def format_price(value: Decimal | None) -> str:
    """A price as it is quoted, with separators and no trailing zeros: ``$97,123.5``.

    None (no price yet) is a dash, so a missing number never reads as zero.
    """
    if value is None:
        return "—"
    sign = "-" if value < 0 else ""
    return f"{sign}${format_number(abs(value))}"


def format_plain(value: Decimal) -> str:
    """A Decimal without exponent, trailing zeros or separators: ``0.5``, ``10``, ``0``.

    For numbers a person may copy back into a field (a size, a slippage in percent).
    """
    return f"{value.normalize():f}" if value else "0"


def format_size(value: Decimal) -> str:
    """A size in coins, exactly: ``0.0123`` (the venue's lot digits, nothing added)."""
    return format_plain(value)


def significant(value: Decimal, digits: int = 6) -> Decimal:
    """A computed price (an average entry, a liquidation price) to ``digits`` significant
    figures: the venue quotes 5, so 6 keeps every digit that means something."""
    if value == 0:
        return value
    return value.quantize(Decimal(1).scaleb(value.adjusted() + 1 - digits))


# ---------------------------------------------------------------------------- percentages


def format_percent(percent: Decimal, places: int = 2, *, signed: bool = False) -> str:
    """A value already in percent: ``1.234`` -> ``1.23%`` (``+1.23%`` when ``signed``)."""
    return f"{percent:+.{places}f}%" if signed else f"{percent:.{places}f}%"


def format_pct(fraction: Decimal, places: int = 2, signed: bool = False) -> str:
    """A fraction as a percentage: ``0.0123`` -> ``1.23%`` (``+1.23%`` when ``signed``)."""
    return format_percent(fraction * _HUNDRED, places, signed=signed)


def format_hourly_rate(rate: Decimal) -> str:
    """An hourly funding rate in percent: ``0.0125%``; a fifth place below 0.01%."""
    pct = rate * _HUNDRED
    places = 4 if abs(pct) >= _SMALL_RATE_PCT or pct == 0 else 5
    return f"{pct:.{places}f}%"


def format_apr(rate: Decimal) -> str:
    """An hourly rate's yearly equivalent (24 × 365 hours, not compounded): ``11.0%``."""
    return f"{rate * _HOURS_PER_YEAR * _HUNDRED:.1f}%"


def format_funding_rate(rate: Decimal) -> str:
    """An hourly funding rate with its yearly equivalent: ``0.0125%/h (11.0% APR)``."""
    return f"{format_hourly_rate(rate)}/h ({format_apr(rate)} APR)"


# ------------------------------------------------------------------------- addresses, times


def short_address(address: str) -> str:
    """``0x1234…abcd``: enough to recognise an address; a short text is left whole."""
    return f"{address[:6]}…{address[-4:]}" if len(address) > 12 else address


def format_local_time(time_ms: int) -> str:
    """A venue timestamp in the user's local time, to the second: ``2025-01-31 14:00:05``."""
    return datetime.fromtimestamp(time_ms / 1000).strftime("%Y-%m-%d %H:%M:%S")


def format_day_time(time_ms: int) -> str:
    """Month, day, hour and minute in local time, for hourly events: ``Nov 25 21:00``."""
    return datetime.fromtimestamp(time_ms / 1000).strftime("%b %d %H:%M")


def format_clock(time_ms: int) -> str:
    """The local wall-clock time of an event today: ``14:03:27``."""
    return datetime.fromtimestamp(time_ms / 1000).strftime("%H:%M:%S")

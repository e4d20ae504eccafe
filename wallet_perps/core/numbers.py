"""Exact decimal arithmetic for prices, sizes and USD amounts on the Hyperliquid wire.

Everything the venue hashes or compares is a decimal string, so a single stray float turns a
price such as 0.1 into 0.1000000000000000055 and the signature recovers to a stranger's
address. This module therefore accepts ``Decimal`` (and ``int``) only and refuses floats
outright. Rules follow PROTOCOL.md §3: at most 5 significant figures and at most
``6 - szDecimals`` decimals for perp prices (8 for spot), integer prices always valid, sizes at
most ``szDecimals`` decimals, micro-USD integers for margin transfers.
"""

from __future__ import annotations

from decimal import (
    ROUND_CEILING,
    ROUND_FLOOR,
    ROUND_HALF_UP,
    Context,
    Decimal,
    InvalidOperation,
)
from typing import Final, Literal

__all__ = [
    "MAX_DECIMALS_PERP",
    "MAX_DECIMALS_SPOT",
    "MAX_SIGNIFICANT_FIGURES",
    "Direction",
    "NumberError",
    "check_price",
    "check_size",
    "from_wire",
    "is_valid_price",
    "is_valid_size",
    "micros_to_usd",
    "round_price",
    "round_size",
    "to_int_for_hashing",
    "to_scaled_int",
    "to_wire",
    "usd_to_micros",
]

MAX_SIGNIFICANT_FIGURES: Final = 5
MAX_DECIMALS_PERP: Final = 6
MAX_DECIMALS_SPOT: Final = 8

Direction = Literal["up", "down", "nearest"]

# Quantize raises when the result needs more digits than the context precision; a private wide
# context keeps that from depending on whatever the caller did to the thread's context.
_CTX: Final = Context(prec=80)
_ROUNDING: Final[dict[str, str]] = {
    "up": ROUND_CEILING,
    "down": ROUND_FLOOR,
    "nearest": ROUND_HALF_UP,
}


class NumberError(ValueError):
    """A number that cannot go on the wire as given; the message is meant for the user."""


def _require_decimal(value: object, what: str) -> Decimal:
    """Return ``value`` as a finite Decimal, refusing floats, bools and non-finite values."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        kind = type(value).__name__
        raise NumberError(f"{what} must be a Decimal, not {kind} ({value!r})")
    dec = Decimal(value)
    if not dec.is_finite():
        raise NumberError(f"{what} must be a finite number, not {dec}")
    return dec


def _strip(value: Decimal) -> tuple[tuple[int, ...], int]:
    """Digits and exponent of ``value`` with trailing zeros removed (sign ignored).

    Decimal.normalize would do this but rounds to the context precision; this never rounds.
    """
    _, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)  # finite values only reach here
    end = len(digits)
    while end > 1 and digits[end - 1] == 0:
        end -= 1
    exponent += len(digits) - end
    digits = digits[:end]
    if digits == (0,):
        exponent = 0
    return digits, exponent


def _show(value: Decimal) -> str:
    """Plain rendering of a finite Decimal for error messages and the wire."""
    digits, exponent = _strip(value)
    text = format(Decimal((0, digits, exponent)), "f")
    if value < 0 and digits != (0,):
        return "-" + text
    return text


def to_wire(value: Decimal) -> str:
    """Render a number the way the venue hashes it: no exponent, no trailing zeros, never -0.

    The SDK's float_to_wire can emit "-0" (PROTOCOL.md §3 item 3); we map every zero to "0" so
    two clients never hash the same value differently.
    """
    return _show(_require_decimal(value, "value"))


def from_wire(text: str) -> Decimal:
    """Parse a decimal string as served by the venue ("-0.00785"), refusing anything else."""
    if not isinstance(text, str):
        raise NumberError(f"expected a decimal string, got {type(text).__name__}")
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise NumberError(f"{text!r} is not a decimal number") from None
    if not value.is_finite():
        raise NumberError(f"{text!r} is not a finite number")
    return value


def _max_price_decimals(sz_decimals: int, is_spot: bool) -> int:
    if isinstance(sz_decimals, bool) or not isinstance(sz_decimals, int):
        raise NumberError(f"szDecimals must be an int, not {type(sz_decimals).__name__}")
    limit = MAX_DECIMALS_SPOT if is_spot else MAX_DECIMALS_PERP
    if not 0 <= sz_decimals <= limit:
        raise NumberError(f"szDecimals {sz_decimals} is outside 0..{limit}")
    return limit - sz_decimals


def check_price(px: Decimal, sz_decimals: int, is_spot: bool = False) -> None:
    """Raise NumberError explaining why ``px`` is not a valid tick, or return quietly.

    This is what a venue uses to *reject* (it never rounds on the user's behalf).
    """
    value = _require_decimal(px, "price")
    max_decimals = _max_price_decimals(sz_decimals, is_spot)
    shown = _show(value)
    if value <= 0:
        raise NumberError(f"price {shown} must be greater than zero")
    digits, exponent = _strip(value)
    if exponent >= 0:
        return  # integer prices are always valid, however many significant figures
    decimals = -exponent
    if decimals > max_decimals:
        raise NumberError(
            f"price {shown} has more than {max_decimals} decimals "
            f"(the limit for szDecimals {sz_decimals}{' on spot' if is_spot else ''})"
        )
    if len(digits) > MAX_SIGNIFICANT_FIGURES:
        raise NumberError(
            f"price {shown} has more than {MAX_SIGNIFICANT_FIGURES} significant figures"
        )


def is_valid_price(px: Decimal, sz_decimals: int, is_spot: bool = False) -> bool:
    """True when the venue would accept ``px`` as a price for an asset with ``sz_decimals``."""
    try:
        check_price(px, sz_decimals, is_spot)
    except NumberError:
        return False
    return True


def round_price(
    px: Decimal,
    sz_decimals: int,
    *,
    direction: Direction,
    is_spot: bool = False,
) -> Decimal:
    """Round ``px`` to the nearest valid tick in ``direction``.

    Use "up" for a buy's slippage limit and "down" for a sell's, so rounding never makes the
    order less likely to fill than the user asked for; "nearest" rounds halves up. Valid prices
    come back unchanged (123456 stays 123456, where the SDK's ``.5g`` recipe gives 123460).
    """
    value = _require_decimal(px, "price")
    max_decimals = _max_price_decimals(sz_decimals, is_spot)
    if direction not in _ROUNDING:
        raise NumberError(f"rounding direction must be up, down or nearest, not {direction!r}")
    if value <= 0:
        raise NumberError(f"price {_show(value)} must be greater than zero")
    if is_valid_price(value, sz_decimals, is_spot):
        return Decimal(_show(value))
    # The coarser of the two limits wins; at or above 10^5 the 5-figure step would exceed 1,
    # but whole numbers are always valid, so the step is capped at 1.
    sig_step_exp = value.adjusted() - (MAX_SIGNIFICANT_FIGURES - 1)
    step_exp = min(0, max(sig_step_exp, -max_decimals))
    rounded = value.quantize(Decimal((0, (1,), step_exp)), _ROUNDING[direction], _CTX)
    if rounded <= 0:
        raise NumberError(
            f"price {_show(value)} rounds to zero with szDecimals {sz_decimals}; "
            "it is below the smallest tick"
        )
    # Rounding up across a power of ten (9.99995 -> 10.0000) only drops significant figures,
    # so the result is valid by construction.
    return Decimal(_show(rounded))


def check_size(sz: Decimal, sz_decimals: int) -> None:
    """Raise NumberError explaining why ``sz`` is not a valid lot for ``sz_decimals``."""
    value = _require_decimal(sz, "size")
    if isinstance(sz_decimals, bool) or not isinstance(sz_decimals, int) or sz_decimals < 0:
        raise NumberError(f"szDecimals must be a non-negative int, not {sz_decimals!r}")
    shown = _show(value)
    if value <= 0:
        raise NumberError(f"size {shown} must be greater than zero")
    _, exponent = _strip(value)
    if -exponent > sz_decimals:
        raise NumberError(f"size {shown} has more than {sz_decimals} decimals")


def is_valid_size(sz: Decimal, sz_decimals: int) -> bool:
    """True when ``sz`` is positive and has at most ``sz_decimals`` decimals."""
    try:
        check_size(sz, sz_decimals)
    except NumberError:
        return False
    return True


def round_size(sz: Decimal, sz_decimals: int, direction: Direction = "down") -> Decimal:
    """Round ``sz`` to a valid lot; "down" by default so an order never exceeds what was meant."""
    value = _require_decimal(sz, "size")
    if isinstance(sz_decimals, bool) or not isinstance(sz_decimals, int) or sz_decimals < 0:
        raise NumberError(f"szDecimals must be a non-negative int, not {sz_decimals!r}")
    if direction not in _ROUNDING:
        raise NumberError(f"rounding direction must be up, down or nearest, not {direction!r}")
    if value <= 0:
        raise NumberError(f"size {_show(value)} must be greater than zero")
    rounded = value.quantize(Decimal((0, (1,), -sz_decimals)), _ROUNDING[direction], _CTX)
    if rounded <= 0:
        raise NumberError(
            f"size {_show(value)} rounds to zero; the smallest size is "
            f"{_show(Decimal((0, (1,), -sz_decimals)))}"
        )
    return Decimal(_show(rounded))


def to_scaled_int(value: Decimal, decimals: int, *, what: str = "value") -> int:
    """``value * 10**decimals`` as an int, or NumberError if that would lose precision."""
    dec = _require_decimal(value, what)
    scaled = dec.scaleb(decimals, _CTX)
    integral = scaled.to_integral_value(context=_CTX)
    if scaled != integral:
        raise NumberError(f"{what} {_show(dec)} has more than {decimals} decimals")
    return int(integral)


def usd_to_micros(amount: Decimal) -> int:
    """USD to the venue's micro-USD integer (``ntli``): exact, or NumberError.

    Negative amounts are allowed because updateIsolatedMargin removes margin with them.
    """
    return to_scaled_int(amount, 6, what="USD amount")


def micros_to_usd(micros: int) -> Decimal:
    """Inverse of usd_to_micros, for showing venue integers to the user."""
    if isinstance(micros, bool) or not isinstance(micros, int):
        raise NumberError(f"micro-USD must be an int, not {type(micros).__name__}")
    return Decimal(micros).scaleb(-6, _CTX)


def to_int_for_hashing(value: Decimal) -> int:
    """The 1e8 fixed-point integer some actions hash (SDK ``float_to_int_for_hashing``)."""
    return to_scaled_int(value, 8)

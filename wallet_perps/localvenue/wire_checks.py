"""The primitive checks of request validation, shared by /info (:mod:`.requests`) and the
/exchange actions (:mod:`.actions`).

Each reads one JSON value the way serde deserializes it into the venue's Rust types and raises
:class:`BadRequest` (HTTP 422, the bare axum sentence, the detail for logs) on anything else;
``where`` names the field in that detail ("action.orders[0].p").
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Final, NoReturn

__all__ = [
    "DESERIALIZE_TEXT",
    "I64_MAX",
    "I64_MIN",
    "U32_MAX",
    "BadRequest",
    "address",
    "boolean",
    "cloid",
    "decimal_text",
    "fail",
    "integer",
    "kind",
    "obj",
    "oid_or_cloid",
    "opt_bool",
    "opt_int",
    "require",
    "sequence",
    "strict_decimal",
    "string",
]

# Text of axum's stock rejection (axum::extract::rejection), which the venue passes through.
DESERIALIZE_TEXT: Final = "Failed to deserialize the JSON body into the target type"

U32_MAX: Final = (1 << 32) - 1
U64_MAX: Final = (1 << 64) - 1
I64_MIN: Final = -(1 << 63)
I64_MAX: Final = (1 << 63) - 1
_MAX_INT_DIGITS: Final = 15  # values >= 1e15 are absurd for any price, size or amount
_MAX_FRAC_DIGITS: Final = 20
_MAX_DECIMAL_LEN: Final = 40

_DECIMAL_RE: Final = re.compile(r"([0-9]+)(?:\.([0-9]+))?")
_ADDRESS_RE: Final = re.compile(r"0x[0-9a-fA-F]{40}")
_CLOID_RE: Final = re.compile(r"0x[0-9a-fA-F]{32}")


class BadRequest(Exception):
    """A body the venue cannot read: answered as text/plain with ``status``.

    ``text`` is the venue's exact body; ``detail`` says what was wrong, for logs and tests
    (the real venue does not echo it, see :mod:`.requests`).
    """

    def __init__(self, status: int, text: str, detail: str = "") -> None:
        super().__init__(f"{status} {text}" + (f" ({detail})" if detail else ""))
        self.status = status
        self.text = text
        self.detail = detail

    def __reduce__(self) -> tuple[type[BadRequest], tuple[int, str, str]]:
        return (BadRequest, (self.status, self.text, self.detail))


def fail(detail: str) -> NoReturn:
    raise BadRequest(422, DESERIALIZE_TEXT, detail)


def obj(value: object, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        fail(f"{where}: expected an object, got {kind(value)}")
    return value


#: JSON value types as serde names them in its errors (bool before int: a bool is an int).
_KINDS: Final = ((bool, "a boolean"), (int, "an integer"), (float, "a float"), (str, "a string"))
_CONTAINERS: Final = ((list, "a sequence"), (dict, "a map"))


def kind(value: object) -> str:
    if value is None:
        return "null"
    for cls, name in _KINDS + _CONTAINERS:
        if isinstance(value, cls):
            return name
    return type(value).__name__


def require(o: Mapping[str, Any], key: str, where: str) -> Any:
    if key not in o:
        fail(f"{where}: missing field `{key}`")
    return o[key]


def integer(value: object, where: str, lo: int = 0, hi: int = U64_MAX) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        fail(f"{where}: expected an integer, got {kind(value)}")
    if not lo <= value <= hi:
        fail(f"{where}: integer {value} out of range {lo}..{hi}")
    return value


def opt_int(o: Mapping[str, Any], key: str, where: str) -> int | None:
    value = o.get(key)
    return None if value is None else integer(value, f"{where}.{key}")


def boolean(value: object, where: str) -> bool:
    if not isinstance(value, bool):
        fail(f"{where}: expected a boolean, got {kind(value)}")
    return value


def opt_bool(o: Mapping[str, Any], key: str, where: str) -> bool | None:
    value = o.get(key)
    return None if value is None else boolean(value, f"{where}.{key}")


def string(value: object, where: str, max_len: int = 256) -> str:
    if not isinstance(value, str):
        fail(f"{where}: expected a string, got {kind(value)}")
    if len(value) > max_len:
        fail(f"{where}: string longer than {max_len} characters")
    return value


def address(value: object, where: str) -> str:
    """Any-case 0x address; returned lowercase (how the venue stores and prints it)."""
    text = string(value, where, 42)
    if not _ADDRESS_RE.fullmatch(text):
        fail(f"{where}: expected a 0x address (40 hex digits)")
    return text.lower()


def cloid(value: object, where: str) -> str:
    text = string(value, where, 34)
    if not _CLOID_RE.fullmatch(text):
        fail(f"{where}: expected a cloid (0x + 32 hex digits)")
    return text.lower()


def oid_or_cloid(value: object, where: str) -> int | str:
    if isinstance(value, str):
        return cloid(value, where)
    return integer(value, where)


def decimal_text(value: object, where: str) -> str:
    """An unsigned decimal string ("12", "0.5"): no sign, exponent, space or NaN.

    Returns the canonical form the venue hashes (redundant zeros stripped, like nktkas's
    normalizeDecimalString and the Python SDK's float_to_wire). Absurd magnitudes are refused:
    more than 15 integer digits, 20 fraction digits or 40 characters.
    """
    text = string(value, where, _MAX_DECIMAL_LEN)
    match = _DECIMAL_RE.fullmatch(text)
    if match is None:
        fail(f'{where}: expected a decimal string such as "12.5", got {text!r}')
    whole = match.group(1).lstrip("0") or "0"
    frac = (match.group(2) or "").rstrip("0")
    if len(whole) > _MAX_INT_DIGITS or len(match.group(2) or "") > _MAX_FRAC_DIGITS:
        fail(f"{where}: decimal {text!r} is out of range")
    return f"{whole}.{frac}" if frac else whole


def strict_decimal(value: object, where: str) -> Decimal:
    """The one strict reader of a wire number, for callers outside request parsing.

    Accepts exactly what ``/exchange`` accepts for a price or amount (an unsigned decimal
    string); raises ``ValueError`` saying what was wrong otherwise ("1e3", " 1", "1_0", "NaN",
    numbers that are not strings).
    """
    try:
        return Decimal(decimal_text(value, where))
    except BadRequest as exc:
        raise ValueError(exc.detail) from None


def sequence(value: object, where: str) -> list[Any]:
    if not isinstance(value, list):
        fail(f"{where}: expected a sequence, got {kind(value)}")
    return value

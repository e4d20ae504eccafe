"""The exact text forms of a few venue values: account addresses, client order ids, plain decimals.

Why one module: the same checks were written in several places with different rules (one
accepted an address without its ``0x``, another only lowercase, one decimal reader took
``"NaN"`` and ``" 1e3 "``), so the same input passed in one layer and failed in the next. Every
layer sits on ``core``, so this is the one place those rules live.

* An address is ``0x`` followed by 40 hex digits, in either case (wallets show EIP-55 mixed
  case); the canonical form is lowercase, which is what the venue hashes and the SDKs send.
* A client order id (cloid) is ``0x`` followed by 32 hex digits (16 bytes), canonical lowercase.
* A plain decimal is what the venue writes for a number inside an answer: optional minus,
  digits, optional fraction. No exponent, no sign ``+``, no padding, no NaN or infinity: any of
  those means the text did not come from the venue as it should, and a caller must treat the
  whole answer as unreadable rather than compute with it.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Final

__all__ = [
    "ADDRESS_RE",
    "ADMIN_HEADER",
    "CLOID_RE",
    "WireValueError",
    "is_address",
    "normalize_address",
    "normalize_cloid",
    "plain_decimal",
]

#: The header the local venue's ``/sim`` admin routes require (its value is the venue's admin
#: token). Not Hyperliquid's: the venue checks it and the app's services send it.
ADMIN_HEADER: Final = "X-Wallet-Perps-Admin"
#: ``0x`` + 40 hex digits, either case (use ``fullmatch``).
ADDRESS_RE: Final = re.compile(r"0x[0-9a-fA-F]{40}")
#: ``0x`` + 32 hex digits, either case (use ``fullmatch``).
CLOID_RE: Final = re.compile(r"0x[0-9a-fA-F]{32}")
_PLAIN_DECIMAL_RE: Final = re.compile(r"-?\d+(?:\.\d+)?")


class WireValueError(ValueError):
    """A value that is not in its exact wire form; the message names what was expected."""


def is_address(text: object) -> bool:
    """Whether ``text`` is an address string (``0x`` + 40 hex digits, either case)."""
    return isinstance(text, str) and ADDRESS_RE.fullmatch(text) is not None


def normalize_address(address: object, what: str = "address") -> str:
    """The lowercase form of an address; :class:`WireValueError` for anything else.

    Nothing is guessed (no added ``0x``, no stripped spaces): a typo fails here, with a clear
    message, instead of silently naming an empty account. Text typed by a person is cleaned
    up by the form that reads it, before it reaches this function.
    """
    if not isinstance(address, str):
        raise WireValueError(f"{what} must be a string, not {type(address).__name__}")
    if not ADDRESS_RE.fullmatch(address):
        raise WireValueError(f"{what} {address!r} must be 0x followed by 40 hex digits")
    return address.lower()


def normalize_cloid(cloid: object) -> str:
    """The lowercase form of a client order id; :class:`WireValueError` for anything else."""
    if not isinstance(cloid, str):
        raise WireValueError(f"cloid must be a string, not {type(cloid).__name__}")
    if not CLOID_RE.fullmatch(cloid):
        raise WireValueError(f"cloid {cloid!r} must be 0x followed by 32 hex digits")
    return cloid.lower()


def plain_decimal(text: object, what: str = "value") -> Decimal:
    """A venue number written as plain decimal text (``"1891.4"``, ``"-0.5"``, ``"3"``).

    Refuses exponents, padding, ``+``, NaN and infinities (all of which ``Decimal()`` itself
    accepts) and anything that is not a string.
    """
    if not isinstance(text, str) or not _PLAIN_DECIMAL_RE.fullmatch(text):
        raise WireValueError(f"{what} is not a plain decimal: {text!r}")
    return Decimal(text)

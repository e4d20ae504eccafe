"""Numbers as people type them: ``1250``, ``1,250.5``, ``$1,250.50``, ``.5``, ``12%``.

Why a strict reader of our own: ``Decimal`` also accepts ``1e3``, ``NaN``, ``Infinity``,
``1_000`` and digits of other scripts. A person who typed ``1e3`` into an amount did not knowingly
ask for $1,000, and a stray ``e`` is a typo more often than an exponent; so an input is refused
where it was typed, with a hint, instead of being read as something the person never wrote.
Thousands separators are accepted only where they belong (``1,250``, not ``12,50``).
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Final

__all__ = ["TYPED_NUMBER_HINT", "parse_typed_number"]

#: What to tell a person whose input was refused.
TYPED_NUMBER_HINT: Final = "Type a plain number, like 1,250.50."

_TYPED: Final = re.compile(r"(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]*)?|\.[0-9]+")


def parse_typed_number(
    text: str, *, currency: bool = True, percent: bool = False
) -> Decimal | None:
    """``text`` as a non-negative Decimal, or None if it is not a plain typed number.

    Surrounding spaces are ignored; a leading ``$`` is allowed when ``currency`` and a
    trailing ``%`` when ``percent``. Signs, exponents, underscores, NaN and infinities are not
    numbers here.
    """
    cleaned = text.strip()
    if currency and cleaned.startswith("$"):
        cleaned = cleaned[1:].lstrip()
    if percent and cleaned.endswith("%"):
        cleaned = cleaned[:-1].rstrip()
    if not _TYPED.fullmatch(cleaned):
        return None
    try:
        return Decimal(cleaned.replace(",", ""))
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
        return None

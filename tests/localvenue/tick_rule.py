"""The perp tick rule, written again from the docs for the venue's market and oracle tests.

Kept apart from ``wallet_perps.core.numbers`` on purpose, so the venue's prices are checked
against an independent reading of the rule; one copy serves both test modules.
"""

from __future__ import annotations

from decimal import Decimal


def is_valid_tick(px: Decimal, sz_decimals: int) -> bool:
    """Independent check of the perp tick rule: <=5 sig figs, <=6-szDecimals decimals."""
    if px <= 0:
        return False
    if px == px.to_integral_value():
        return True
    _, digits, exponent = px.normalize().as_tuple()
    assert isinstance(exponent, int)
    return -exponent <= 6 - sz_decimals and len(digits) <= 5

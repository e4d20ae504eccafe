"""What an order is, in words: the Open orders table and History both read this one rule."""

from __future__ import annotations

from decimal import Decimal

import pytest

from wallet_perps.core.models import Side
from wallet_perps.core.orders import OpenOrder, executes_at_market, order_type_words


def order(order_type: str | None, tpsl: str | None = None) -> OpenOrder:
    return OpenOrder(
        "BTC", Side.SELL, Decimal(90000), Decimal("0.1"), 1, 0, order_type=order_type, tpsl=tpsl
    )


@pytest.mark.parametrize(
    ("order_type", "tpsl", "words", "at_market"),
    [
        ("Market", None, "Market", True),
        ("Limit", None, "Limit", False),
        (None, None, "Order", False),  # streamed, details not here yet: no guess
        ("Take Profit Market", "tp", "Take profit (market)", True),
        ("Take Profit Limit", "tp", "Take profit (limit)", False),
        ("Stop Market", "sl", "Stop loss (market)", True),
        ("Stop Limit", "sl", "Stop loss (limit)", False),
        ("Stop Market", None, "Stop market", True),
        ("Scale", None, "Scale", False),  # unknown: as the venue wrote it
    ],
)
def test_every_order_type_is_named(
    order_type: str | None, tpsl: str | None, words: str, at_market: bool
) -> None:
    assert order_type_words(order(order_type, tpsl)) == words
    assert executes_at_market(order(order_type, tpsl)) is at_market

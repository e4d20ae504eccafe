"""An open order's TP/SL kind and type are read from the wire once, as open-ended enums.

Callers (the trader replacing a position's TP or SL) act on ``OpenOrder.tpsl``; it must come
from what the venue says the order *is* -- the ``tpsl`` of the order where a shape carries
it, else a known ``orderType`` -- and an order type nobody knows yet must give no kind at
all rather than a guess, since a wrong "TP" would be cancelled.
"""

from __future__ import annotations

from typing import Any

import pytest

from wallet_perps.core.orders import KnownOrderType, TpSl
from wallet_perps.hyperliquid import parse as P


def frontend(order_type: str, side: str = "A", **extra: Any) -> dict[str, Any]:
    """A frontendOpenOrders row (the shape the trader reads before replacing a TP/SL)."""
    trigger = order_type not in ("Limit", "Market")
    row: dict[str, Any] = {
        "coin": "BTC",
        "side": side,
        "limitPx": "60000",
        "sz": "0.01",
        "oid": 11,
        "timestamp": 1,
        "origSz": "0.01",
        "reduceOnly": trigger,
        "orderType": order_type,
        "tif": None if trigger else "Gtc",
        "isTrigger": trigger,
        "triggerPx": "61000" if trigger else "0.0",
        "triggerCondition": "Price above 61000" if trigger else "N/A",
        "isPositionTpsl": trigger,
        "children": [],
        "cloid": None,
    }
    row.update(extra)
    return row


@pytest.mark.parametrize(
    ("order_type", "kind", "tpsl"),
    [
        ("Take Profit Market", KnownOrderType.TAKE_PROFIT_MARKET, TpSl.TP),
        ("Take Profit Limit", KnownOrderType.TAKE_PROFIT_LIMIT, TpSl.TP),
        ("Stop Market", KnownOrderType.STOP_MARKET, TpSl.SL),
        ("Stop Limit", KnownOrderType.STOP_LIMIT, TpSl.SL),
        ("Limit", KnownOrderType.LIMIT, None),
        ("Market", KnownOrderType.MARKET, None),
    ],
)
def test_known_order_types_give_their_kind(
    order_type: str, kind: KnownOrderType, tpsl: TpSl | None
) -> None:
    [order] = P.parse_frontend_open_orders([frontend(order_type)])
    assert order.order_type is kind and order.order_type == order_type
    assert order.tpsl is tpsl


def test_an_unknown_order_type_is_kept_raw_and_never_guessed() -> None:
    # Its trigger condition reads like a sell take-profit, but nothing says it is one.
    [order] = P.parse_frontend_open_orders([frontend("Trailing Stop Market")])
    assert order.order_type == "Trailing Stop Market"
    assert not isinstance(order.order_type, KnownOrderType)
    assert order.is_trigger and order.tpsl is None


def test_the_wire_tpsl_wins_and_unknown_values_are_kept() -> None:
    [order] = P.parse_frontend_open_orders([frontend("Trailing Stop Market", tpsl="tp")])
    assert order.tpsl is TpSl.TP
    [odd] = P.parse_frontend_open_orders([frontend("Stop Market", tpsl="trail")])
    assert odd.tpsl == "trail" and not isinstance(odd.tpsl, TpSl)


def test_children_and_order_status_carry_the_kind() -> None:
    parent = frontend("Limit", side="B", children=[frontend("Take Profit Limit")])
    [order] = P.parse_frontend_open_orders([parent])
    assert order.tpsl is None and order.children[0].tpsl is TpSl.TP
    status = P.parse_order_status(
        {
            "status": "order",
            "order": {"order": frontend("Stop Market"), "status": "open", "statusTimestamp": 2},
        }
    )
    assert status is not None and status.order.tpsl is TpSl.SL


def test_the_plain_shape_has_no_type_and_no_kind() -> None:
    plain = {k: frontend("Limit")[k] for k in ("coin", "side", "limitPx", "sz", "oid", "timestamp")}
    [order] = P.parse_open_orders([plain])
    assert order.order_type is None and order.tpsl is None


def test_coerce_keeps_unknown_strings() -> None:
    assert KnownOrderType.coerce("Stop Market") is KnownOrderType.STOP_MARKET
    assert KnownOrderType.coerce("Scale") == "Scale"
    assert TpSl.coerce("sl") is TpSl.SL and TpSl.coerce("x") == "x"
    assert KnownOrderType.LIMIT.tpsl is None

"""The strict /exchange answer reader and the sender's classification of failures.

What matters to a user: an answer that cannot be trusted (a fill size of "NaN", " 1e3 ", an
oid that is not a number, a statuses list of the wrong length) is never shown as a fact; it
becomes "outcome unknown" so the app reconciles instead. The venue's own statuses, including
ones this client has never seen, still come through item by item.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from wallet_perps.core.answers import (
    Filled,
    OrderError,
    OutcomeUnknown,
    Rejected,
    Resting,
    Success,
    UnknownStatus,
    Waiting,
)
from wallet_perps.core.wire_values import (
    WireValueError,
    is_address,
    normalize_address,
    normalize_cloid,
    plain_decimal,
)
from wallet_perps.hyperliquid.errors import (
    Disconnected,
    ExchangeTimeout,
    HttpError,
    RateLimited,
    RejectedAction,
    UnexpectedResponse,
    VenueUnavailable,
    readable,
)
from wallet_perps.hyperliquid.exchange_answers import check_response, check_statuses
from wallet_perps.hyperliquid.sender import classify

CLOID = "0x" + "ab" * 16


def ok(*statuses: Any) -> dict[str, Any]:
    return {"status": "ok", "response": {"type": "order", "data": {"statuses": list(statuses)}}}


def filled(total_sz: Any = "0.02", avg_px: Any = "1891.4", oid: Any = 7) -> dict[str, Any]:
    return {"filled": {"totalSz": total_sz, "avgPx": avg_px, "oid": oid}}


def test_every_known_status_is_read_with_exact_decimals() -> None:
    answer = ok(
        {"resting": {"oid": 77738308, "cloid": CLOID.upper().replace("0X", "0x")}},
        filled(),
        {"error": "Insufficient margin to place order. asset=15"},
        "waitingForFill",
        "waitingForTrigger",
        "success",
    )
    assert check_statuses(answer, expected=6) == [
        Resting(0, 77738308, CLOID),
        Filled(1, Decimal("0.02"), Decimal("1891.4"), 7),
        OrderError(2, "Insufficient margin to place order. asset=15"),
        Waiting(3, "waitingForFill"),
        Waiting(4, "waitingForTrigger"),
        Success(5),
    ]
    result = check_statuses(ok(filled("30135.0", "1")))[0]
    assert isinstance(result, Filled) and str(result.total_sz) == "30135.0"


@pytest.mark.parametrize(
    "bad",
    ["NaN", "nan", "Infinity", "-inf", " 1", "1 ", " 1e3 ", "1e3", "1E-7", "+1", "1_000", "", "."],
)
def test_a_fill_size_that_is_not_plain_decimal_text_is_garbled(bad: str) -> None:
    with pytest.raises(UnexpectedResponse, match="totalSz"):
        check_statuses(ok(filled(total_sz=bad)), expected=1)
    with pytest.raises(UnexpectedResponse, match="avgPx"):
        check_statuses(ok(filled(avg_px=bad)), expected=1)


@pytest.mark.parametrize(
    "item",
    [
        filled(total_sz=0.02),  # a JSON number where the venue writes text
        filled(total_sz=float("nan")),  # json.loads turns a bare NaN into this
        filled(total_sz="-1"),
        filled(avg_px="0"),
        filled(oid="7"),
        filled(oid=True),
        filled(oid=None),
        {"resting": {"oid": "12"}},
        {"resting": {"oid": 12, "cloid": "0x1234"}},
        {"resting": []},
        {"error": {"nested": "object"}},
        17,
        None,
    ],
)
def test_a_known_shape_with_a_bad_field_is_garbled(item: Any) -> None:
    with pytest.raises(UnexpectedResponse):
        check_statuses(ok(item), expected=1)


def test_unknown_statuses_are_kept_not_refused() -> None:
    assert check_statuses(ok("somethingNew")) == [UnknownStatus(0, "somethingNew")]
    assert check_statuses(ok({"queued": {"id": 1}})) == [UnknownStatus(0, {"queued": {"id": 1}})]


def test_envelopes() -> None:
    assert check_statuses({"status": "ok", "response": {"type": "default"}}) == []
    assert check_statuses({"status": "ok"}) == []
    with pytest.raises(RejectedAction) as caught:
        check_response({"status": "err", "response": "Insufficient balance for withdrawal."})
    assert caught.value.venue_text == "Insufficient balance for withdrawal."
    for garbled in ({"status": "maybe"}, [], "ok", {"status": "ok", "response": "yes"}):
        with pytest.raises(UnexpectedResponse):
            check_statuses(garbled)
    with pytest.raises(UnexpectedResponse, match="no statuses"):
        check_statuses({"status": "ok", "response": {"type": "default"}}, expected=1)
    with pytest.raises(UnexpectedResponse, match="2 statuses for a batch of 3"):
        check_statuses(ok("success", "success"), expected=3)
    # One pre-validation error for a batch applies to every item (PROTOCOL §6.1).
    assert check_statuses(ok({"error": "Invalid TP/SL price."}), expected=2) == [
        OrderError(0, "Invalid TP/SL price."),
        OrderError(1, "Invalid TP/SL price."),
    ]


def test_classify_says_whether_the_action_may_have_gone_through() -> None:
    said_no = classify(RejectedAction("Must deposit before performing actions."))
    assert said_no == Rejected(
        "The exchange rejected the request: Must deposit before performing actions.",
        "Must deposit before performing actions.",
    )
    assert classify(RateLimited("slow down")) == Rejected(
        RateLimited("slow down").message, "slow down", sent=False
    )
    refused = classify(VenueUnavailable("Cannot reach the venue."))
    assert isinstance(refused, Rejected) and not refused.sent
    bad_request = classify(HttpError(422, "Failed to deserialize the JSON body"))
    assert isinstance(bad_request, Rejected) and bad_request.sent
    for maybe in (
        ExchangeTimeout(10),
        Disconnected("dropped", outcome_unknown=True),
        HttpError(502, "Bad Gateway", outcome_unknown=True),
        UnexpectedResponse("the body is not JSON"),
    ):
        assert isinstance(classify(maybe), OutcomeUnknown), maybe


def test_wire_values_have_one_rule_each() -> None:
    mixed = "0xB7B6F3CEA3F66BF525F5D8F965F6DBF6D9B017B2"
    assert normalize_address(mixed) == mixed.lower() and is_address(mixed)
    for bad in (mixed[2:], f" {mixed}", mixed + "0", "0x" + "g" * 40, None, 5):
        assert not is_address(bad)
        with pytest.raises(WireValueError):
            normalize_address(bad)
    with pytest.raises(WireValueError, match="destination"):
        normalize_address("0x12", "destination")
    assert normalize_cloid(CLOID.upper().replace("0X", "0x")) == CLOID
    for bad_cloid in ("0x1234", CLOID[2:], CLOID + "0", 1):
        with pytest.raises(WireValueError):
            normalize_cloid(bad_cloid)
    assert plain_decimal("-0.00785") == Decimal("-0.00785")
    assert plain_decimal("3") == Decimal(3)
    for bad_number in ("NaN", "1e3", " 1", "+1", "", 1, None):
        with pytest.raises(WireValueError):
            plain_decimal(bad_number)


def test_readable_drops_the_asset_tag_only() -> None:
    assert readable("Insufficient margin to place order. asset=15") == (
        "Insufficient margin to place order."
    )
    assert readable("Order has invalid size.") == "Order has invalid size."
    assert readable("asset=3") == "asset=3"  # nothing would be left: keep the venue's words

"""The strict reader of ``POST /exchange`` answers: envelope, statuses, resting and filled orders.

Why strict: an answer to a signed action decides what the app tells the user about money. The
old reader accepted ``"NaN"`` and ``" 1e3 "`` for a fill size (a ``Filled`` with
``total_sz=NaN`` was built from one) and showed it as a fact. Here a known shape with a bad
field (a size that is not plain decimal text, an oid that is not an integer, a statuses list
of the wrong length) is *garbled*: :class:`UnexpectedResponse` is raised, and the sender turns
that into "outcome unknown" so the caller reconciles instead of trusting it. Numbers go
through :func:`wallet_perps.core.wire_values.plain_decimal` (no exponent, padding, NaN or
infinity). A status this client has never seen is not garbled: it is kept as
:class:`UnknownStatus` (the protocol grows), and callers treat that item as undecided.

Shapes (PROTOCOL §6.1, §13.8)::

    {"status": "err", "response": "<the venue's words>"}              -> RejectedAction
    {"status": "ok", "response": {"type": "default"}}                 -> no statuses
    {"status": "ok", "response": {"type": "order"|"cancel"|...,
        "data": {"statuses": ["success" | "waitingForFill" | "waitingForTrigger"
                              | {"resting": {"oid": 1[, "cloid": "0x…"]}}
                              | {"filled": {"totalSz": "0.02", "avgPx": "1891.4", "oid": 2}}
                              | {"error": "<text>"}, ...]}}}
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from wallet_perps.core.answers import (
    Filled,
    OrderError,
    OrderOutcome,
    Resting,
    Success,
    UnknownStatus,
    Waiting,
)
from wallet_perps.core.wire_values import WireValueError, normalize_cloid, plain_decimal
from wallet_perps.hyperliquid.errors import RejectedAction, RejectedOrder, UnexpectedResponse

__all__ = [
    "check_response",
    "check_statuses",
    "raise_for_statuses",
    "single_outcome",
]

_WAITING = ("waitingForFill", "waitingForTrigger")


def _snippet(value: Any) -> str:
    try:
        text = json.dumps(value)
    except (TypeError, ValueError):
        text = repr(value)
    return text[:300]


def check_response(response: Any) -> dict[str, Any]:
    """Validate the envelope of an /exchange answer; raise RejectedAction on ``status: err``."""
    if not isinstance(response, dict):
        raise UnexpectedResponse(f"expected an object, got {type(response).__name__}")
    status = response.get("status")
    if status == "err":
        text = response.get("response")
        raise RejectedAction(text if isinstance(text, str) else json.dumps(text))
    if status != "ok":
        raise UnexpectedResponse(f"status {status!r}", venue_text=_snippet(response))
    return response


def _oid(value: Any, where: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    raise UnexpectedResponse(f"{where}.oid is not an order id: {value!r}")


def _cloid(value: Any, where: str) -> str | None:
    if value is None:
        return None
    try:
        return normalize_cloid(value)
    except WireValueError as exc:
        raise UnexpectedResponse(f"{where}.cloid: {exc}") from None


def _outcome(index: int, item: Any) -> OrderOutcome:
    where = f"statuses[{index}]"
    if isinstance(item, str):
        if item == "success":
            return Success(index)
        if item in _WAITING:
            return Waiting(index, item)
        return UnknownStatus(index, item)
    if not isinstance(item, Mapping):
        raise UnexpectedResponse(f"{where} is neither text nor an object: {_snippet(item)}")
    if "error" in item:
        message = item["error"]
        if not isinstance(message, str):
            raise UnexpectedResponse(f"{where}.error is not text: {_snippet(message)}")
        return OrderError(index, message)
    if "resting" in item:
        resting = item["resting"]
        if not isinstance(resting, Mapping):
            raise UnexpectedResponse(f"{where}.resting is not an object")
        return Resting(
            index,
            _oid(resting.get("oid"), f"{where}.resting"),
            _cloid(resting.get("cloid"), f"{where}.resting"),
        )
    if "filled" in item:
        filled = item["filled"]
        if not isinstance(filled, Mapping):
            raise UnexpectedResponse(f"{where}.filled is not an object")
        try:
            total_sz = plain_decimal(filled.get("totalSz"), f"{where}.filled.totalSz")
            avg_px = plain_decimal(filled.get("avgPx"), f"{where}.filled.avgPx")
        except WireValueError as exc:
            raise UnexpectedResponse(str(exc)) from None
        if total_sz < 0 or avg_px <= 0:
            raise UnexpectedResponse(f"{where}.filled has an impossible size or price")
        return Filled(
            index,
            total_sz=total_sz,
            avg_px=avg_px,
            oid=_oid(filled.get("oid"), f"{where}.filled"),
            cloid=_cloid(filled.get("cloid"), f"{where}.filled"),
        )
    return UnknownStatus(index, item)


def check_statuses(response: Any, *, expected: int | None = None) -> list[OrderOutcome]:
    """Per-item outcomes of an accepted action, in batch order. Never raises for item errors.

    Raises RejectedAction for ``status: err`` and UnexpectedResponse for a garbled answer.
    Actions without statuses (updateLeverage, usdSend, ... answering ``{"type":"default"}``)
    give an empty list.

    ``expected`` is the batch length. Pre-validation failures answer ONE error for a batch
    of n (PROTOCOL §6.1); with ``expected`` that single error is applied to every item, and
    any other length mismatch is garbled.
    """
    envelope = check_response(response)
    inner = envelope.get("response")
    if inner is not None and not isinstance(inner, Mapping):
        raise UnexpectedResponse(f"response is not an object: {_snippet(inner)}")
    if inner is None or "data" not in inner:
        if expected:
            raise UnexpectedResponse(f"no statuses for a batch of {expected}")
        return []
    data = inner["data"]
    statuses = data.get("statuses") if isinstance(data, Mapping) else None
    if not isinstance(statuses, list):
        raise UnexpectedResponse(f"data.statuses is not a list: {_snippet(data)}")
    outcomes = [_outcome(i, item) for i, item in enumerate(statuses)]
    if expected is not None and len(outcomes) != expected:
        first = outcomes[0] if len(outcomes) == 1 else None
        if isinstance(first, OrderError):
            return [OrderError(i, first.message) for i in range(expected)]
        raise UnexpectedResponse(f"{len(outcomes)} statuses for a batch of {expected}")
    return outcomes


def raise_for_statuses(response: Any, *, expected: int | None = None) -> list[OrderOutcome]:
    """Like :func:`check_statuses` but raises RejectedOrder for the first item error."""
    outcomes = check_statuses(response, expected=expected)
    for outcome in outcomes:
        if isinstance(outcome, OrderError):
            raise RejectedOrder(outcome.index, outcome.message)
    return outcomes


def single_outcome(response: Any) -> OrderOutcome:
    """The one outcome of a single-order (or single-cancel) action; raises on its error."""
    return raise_for_statuses(response, expected=1)[0]

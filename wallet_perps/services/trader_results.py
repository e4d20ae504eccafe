"""What the Trader reports: order and action results, and the words for each outcome.

Split from :mod:`wallet_perps.services.trader` so the Trader reads as the steps of sending
(validate, sign, post, reconcile), while this module owns how each answer is put to the user.
Outcomes are returned, not raised: a rejection carries the venue's own words, because the UI
shows them inline ("Order rejected: Insufficient margin to place order.").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Final

from wallet_perps.core.answers import (
    Filled,
    OrderError,
    OrderOutcome,
    OutcomeUnknown,
    Rejected,
    Resting,
    Success,
    UnknownStatus,
    Waiting,
)
from wallet_perps.core.numbers import to_wire
from wallet_perps.core.orders import KnownOrderStatus, OrderStatus
from wallet_perps.hyperliquid.errors import readable

__all__ = [
    "ActionResult",
    "InFlightOrder",
    "LeverageError",
    "OrderResult",
    "OrderState",
    "action_failure",
    "describe",
    "needs_avg_px",
    "plain",
    "result_from_outcome",
    "result_from_status",
]

# Readable sentences for order statuses learned through orderStatus, where the venue's
# original error text is no longer available (PROTOCOL §9).
_STATUS_TEXT: Final[Mapping[str, str]] = {
    "tickRejected": "Price must be divisible by tick size.",
    "minTradeNtlRejected": "Order must have minimum value of $10.",
    "perpMarginRejected": "Insufficient margin to place order.",
    "reduceOnlyRejected": "Reduce only order would increase position.",
    "badAloPxRejected": "Post only order would have immediately matched.",
    "iocCancelRejected": "Order could not immediately match against any resting orders.",
    "badTriggerPxRejected": "Invalid TP/SL price.",
    "marketOrderNoLiquidityRejected": "No liquidity available for market order.",
    "tooManyOpenOrdersRejected": "Too many open orders.",
    "oracleRejected": "Order price too far from oracle.",
    "perpMaxPositionRejected": (
        "Order would cause position to exceed margin tier limit at current leverage"
    ),
}


class OrderState(StrEnum):
    FILLED = "filled"  # filled at once (``filled_sz`` may be less than asked for an IOC)
    RESTING = "resting"  # on the book
    REJECTED = "rejected"  # the venue said no; ``venue_text`` has its words
    NOT_PLACED = "not_placed"  # certainly not on the venue (never sent, or expired unseen)
    UNKNOWN = "unknown"  # the venue could not be asked; reconcile later, do not resend


@dataclass(frozen=True, slots=True)
class OrderResult:
    """What became of one order, with a sentence for the user."""

    state: OrderState
    coin: str
    cloid: str
    message: str
    oid: int | None = None
    size: Decimal | None = None
    filled_sz: Decimal = Decimal(0)
    avg_px: Decimal | None = None
    venue_text: str | None = None
    reconciled: bool = False  # learned through orderStatus after a lost answer
    tpsl: tuple[str, ...] = ()  # one line per TP/SL child: "waitingForTrigger", an error...

    @property
    def ok(self) -> bool:
        return self.state in (OrderState.FILLED, OrderState.RESTING)


@dataclass(frozen=True, slots=True)
class ActionResult:
    """Outcome of a non-order action (cancel, leverage, margin, TP/SL).

    ``outcome_unknown`` is True when no clear answer came back: the action may have gone
    through, and the message says what to check before trying again.
    """

    ok: bool
    message: str
    venue_text: str | None = None
    orders: tuple[OrderResult, ...] = ()
    outcome_unknown: bool = False


@dataclass(frozen=True, slots=True)
class InFlightOrder:
    """An order sent (or being sent) whose outcome is not known yet."""

    cloid: str
    coin: str
    is_buy: bool
    size: Decimal
    price: Decimal
    sent_at: float  # time.time()
    expires_after: int | None  # ms; None when expiry is disabled


class LeverageError(Exception):
    """updateLeverage was refused; the order is not sent."""

    def __init__(self, result: ActionResult) -> None:
        super().__init__(result.message)
        self.result = result


def plain(value: Decimal) -> str:
    """A number as the venue writes it ("0" for zero), for sentences."""
    return to_wire(value) if value else "0"


def describe(outcome: OrderOutcome) -> str:
    """One TP/SL child's outcome in a word or a sentence."""
    if isinstance(outcome, Waiting):
        return outcome.kind
    if isinstance(outcome, OrderError):
        return f"rejected: {readable(outcome.message)}"
    if isinstance(outcome, Resting):
        return "resting"
    if isinstance(outcome, Filled):
        return "filled"
    if isinstance(outcome, Success):
        return "success"
    return str(outcome.raw)


def action_failure(answer: Rejected | OutcomeUnknown, check: str) -> ActionResult:
    """A non-order action that did not clearly succeed, in the same words everywhere.

    ``check`` says where the user can see whether an unknown outcome went through.
    """
    if isinstance(answer, OutcomeUnknown):
        return ActionResult(
            False,
            f"No clear answer came back from the exchange ({answer.reason}), so this may have "
            f"gone through. {check} before trying again.",
            outcome_unknown=True,
        )
    if answer.sent and answer.venue_text is not None:
        words = readable(answer.venue_text)
        return ActionResult(False, f"Rejected: {words}", venue_text=answer.venue_text)
    return ActionResult(False, answer.message, venue_text=answer.venue_text)


def result_from_outcome(
    coin: str, cloid: str, size: Decimal, outcomes: Sequence[OrderOutcome]
) -> OrderResult | None:
    """The result of an order whose answer was read; None when the main order's status is
    one this client does not know (the caller reconciles by cloid)."""
    first = outcomes[0]
    children = tuple(describe(o) for o in outcomes[1:])
    if isinstance(first, Filled):
        partial = first.total_sz < size
        message = f"Filled {plain(first.total_sz)} {coin} at ${plain(first.avg_px)}" + (
            f" ({plain(size - first.total_sz)} {coin} did not fill)." if partial else "."
        )
        return OrderResult(
            OrderState.FILLED,
            coin,
            cloid,
            message,
            oid=first.oid,
            size=size,
            filled_sz=first.total_sz,
            avg_px=first.avg_px,
            tpsl=children,
        )
    if isinstance(first, Resting):
        return OrderResult(
            OrderState.RESTING,
            coin,
            cloid,
            f"Order placed: {plain(size)} {coin} resting on the book.",
            oid=first.oid,
            size=size,
            tpsl=children,
        )
    if isinstance(first, OrderError):
        return OrderResult(
            OrderState.REJECTED,
            coin,
            cloid,
            f"Order rejected: {readable(first.message)}",
            size=size,
            venue_text=first.message,
            tpsl=children,
        )
    assert isinstance(first, UnknownStatus | Waiting | Success)
    return None


def result_from_status(
    status: OrderStatus, cloid: str, info: InFlightOrder | None, avg_px: Decimal | None
) -> OrderResult:
    """The result of an order learned through ``orderStatus`` (after a lost answer).

    ``avg_px`` is the average fill price from the user's fills, when it could be read.
    """
    order = status.order
    orig = order.orig_sz if order.orig_sz is not None else (info.size if info else order.sz)
    filled = orig - order.sz if status.status != KnownOrderStatus.FILLED else orig
    coin = order.coin
    if status.is_open or status.status == KnownOrderStatus.TRIGGERED:
        return OrderResult(
            OrderState.RESTING,
            coin,
            cloid,
            f"Order placed: {plain(order.sz)} {coin} resting on the book.",
            oid=order.oid,
            size=orig,
            filled_sz=filled,
            reconciled=True,
        )
    if filled > 0:
        at = f" at ${plain(avg_px)}" if avg_px is not None else ""
        return OrderResult(
            OrderState.FILLED,
            coin,
            cloid,
            f"Filled {plain(filled)} {coin}{at}.",
            oid=order.oid,
            size=orig,
            filled_sz=filled,
            avg_px=avg_px,
            reconciled=True,
        )
    text = _STATUS_TEXT.get(status.status, status.status)
    return OrderResult(
        OrderState.REJECTED,
        coin,
        cloid,
        f"Order rejected: {text}",
        oid=order.oid,
        size=orig,
        venue_text=status.status,
        reconciled=True,
    )


def needs_avg_px(status: OrderStatus, info: InFlightOrder | None) -> bool:
    """Whether ``result_from_status`` will report a fill (so the fills are worth reading)."""
    if status.is_open or status.status == KnownOrderStatus.TRIGGERED:
        return False
    order = status.order
    orig = order.orig_sz if order.orig_sz is not None else (info.size if info else order.sz)
    return (orig - order.sz if status.status != KnownOrderStatus.FILLED else orig) > 0

"""What the venue answered to a signed action: one type for every sender and every caller.

Why it exists: orders, cancels, transfers, withdrawals and agent approvals used to read the
answer each in their own way, and they disagreed on what an unclear answer means (an order
was reconciled, a withdrawal was shown as a plain failure). Every action now comes back as one
of three things:

* :class:`Accepted`: the venue took the action (``status: ok``). For orders and cancels
  ``statuses`` holds one typed outcome per item, because ``status: ok`` does not mean every
  item succeeded (PROTOCOL §13.8).
* :class:`Rejected`: the action was certainly not executed. ``venue_text`` is the venue's own
  words when it said no; ``sent`` is False when nothing left this computer (or the venue
  refused to look at it: connection refused, rate limited).
* :class:`OutcomeUnknown`: the action may have been executed (timeout, dropped connection, a
  gateway error, an answer that cannot be read). The caller must never resend blindly: it
  reconciles (orders by cloid, transfers by the ledger, agents by the venue's agent list) and
  tells the user it may have gone through.

Plain data with Decimal numbers, no I/O: the strict reader that builds these from the wire is
``hyperliquid.exchange_answers``, the sender that produces them is ``hyperliquid.sender``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeAlias

__all__ = [
    "Accepted",
    "Answer",
    "Filled",
    "OrderError",
    "OrderOutcome",
    "OutcomeUnknown",
    "Rejected",
    "Resting",
    "Success",
    "UnknownStatus",
    "Waiting",
]


# --------------------------------------------------------------------------- per-item outcomes


@dataclass(frozen=True, slots=True)
class _ItemOutcome:
    """What every per-item outcome carries: ``index``, the item's place in the action's batch
    (the venue answers items in the order they were sent)."""

    index: int


@dataclass(frozen=True, slots=True)
class Resting(_ItemOutcome):
    """The order rests on the book."""

    oid: int
    cloid: str | None = None


@dataclass(frozen=True, slots=True)
class Filled(_ItemOutcome):
    """The order filled at once (``total_sz`` at average ``avg_px``)."""

    total_sz: Decimal
    avg_px: Decimal
    oid: int
    cloid: str | None = None


@dataclass(frozen=True, slots=True)
class Waiting(_ItemOutcome):
    """A grouped TP/SL child: ``kind`` is ``"waitingForFill"`` or ``"waitingForTrigger"``."""

    kind: str


@dataclass(frozen=True, slots=True)
class Success(_ItemOutcome):
    """A cancel (or other non-order item) succeeded: the plain string ``"success"``."""


@dataclass(frozen=True, slots=True)
class OrderError(_ItemOutcome):
    """This item was refused; ``message`` is the venue's text verbatim."""

    message: str


@dataclass(frozen=True, slots=True)
class UnknownStatus(_ItemOutcome):
    """A status this client does not know (the protocol adds some over time). Kept, not
    raised, so the rest of the batch stays visible; for an order it means "reconcile"."""

    raw: Any


OrderOutcome: TypeAlias = Resting | Filled | Waiting | Success | OrderError | UnknownStatus


# --------------------------------------------------------------------------- the answer


@dataclass(frozen=True, slots=True)
class Accepted:
    """``status: ok``: the envelope as served and the per-item outcomes (empty for actions
    without statuses, such as leverage or a transfer)."""

    payload: Mapping[str, Any]
    statuses: tuple[OrderOutcome, ...] = ()


@dataclass(frozen=True, slots=True)
class Rejected:
    """Certainly not executed. ``message`` is a sentence for a person; ``venue_text`` the
    venue's own words when it said no; ``sent`` False when nothing reached the venue."""

    message: str
    venue_text: str | None = None
    sent: bool = True


@dataclass(frozen=True, slots=True)
class OutcomeUnknown:
    """May or may not have been executed; ``reason`` says why no clear answer came."""

    reason: str


Answer: TypeAlias = Accepted | Rejected | OutcomeUnknown

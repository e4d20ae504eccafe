"""The ``userEvents`` WebSocket channel's messages (PROTOCOL.md §8.2) as typed values.

Kept apart from :mod:`wallet_perps.core.models` because only the stream reader needs them; the
payloads they carry (fills, funding) are the shared models. No I/O, no Qt.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from wallet_perps.core.models import Fill, FundingPayment

__all__ = ["LiquidationEvent", "NonUserCancel", "UserEvent", "UserEventKind"]


class UserEventKind(StrEnum):
    """Which variant a ``userEvents`` message carries (§8.2)."""

    FILLS = "fills"
    FUNDING = "funding"
    LIQUIDATION = "liquidation"
    NON_USER_CANCEL = "nonUserCancel"


@dataclass(frozen=True, slots=True)
class LiquidationEvent:
    """A liquidation affecting the user, as sent on the ``userEvents`` channel."""

    lid: int
    liquidator: str
    liquidated_user: str
    liquidated_ntl_pos: Decimal
    liquidated_account_value: Decimal


@dataclass(frozen=True, slots=True)
class NonUserCancel:
    """An order the venue cancelled on its own (e.g. margin), from ``userEvents``."""

    coin: str
    oid: int


@dataclass(frozen=True, slots=True)
class UserEvent:
    """One ``userEvents`` message; exactly the field matching ``kind`` is filled.

    ``kind`` is a :class:`UserEventKind` for the four documented variants; any other key the
    venue adds is passed through as a plain string with no payload, so new variants are ignored
    rather than crashing the stream.
    """

    kind: str
    fills: tuple[Fill, ...] = ()
    funding: FundingPayment | None = None
    liquidation: LiquidationEvent | None = None
    non_user_cancels: tuple[NonUserCancel, ...] = ()

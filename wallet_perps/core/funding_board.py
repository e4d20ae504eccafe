"""Funding in words and sums: who pays whom, when the next payment is, what you paid so far.

Why a module of its own: the Funding screen shows the same few facts in several places (the
markets table, the countdown, "My funding payments", the per-position estimate) and they must
agree with each other and with the venue's sign convention: a positive hourly rate means longs
pay shorts, and a payment's ``usdc`` is positive when the user *received* it (PROTOCOL §11.3).
Keeping the arithmetic here, pure and in Decimal, makes that convention testable without Qt.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from wallet_perps.core.models import FundingPayment, PredictedFunding
from wallet_perps.core.risk import ZERO, funding_payment

__all__ = [
    "HOUR_MS",
    "FundingTotals",
    "countdown_text",
    "cumulative",
    "next_funding_ms",
    "next_payment_estimate",
    "payment_words",
    "predicted_by_coin",
    "totals",
    "who_pays",
]

HOUR_MS: Final = 3_600_000
#: The venue's own prediction; other venues' (Binance, Bybit) are shown only if it is missing.
_OWN_VENUE: Final = "HlPerp"


def _by_sign(value: Decimal, positive: str, negative: str, zero: str) -> str:
    return positive if value > 0 else negative if value < 0 else zero


def who_pays(rate: Decimal) -> str:
    """The direction of an hourly rate in words (positive: longs pay shorts)."""
    return _by_sign(rate, "Longs pay shorts", "Shorts pay longs", "No one pays")


def next_funding_ms(now_ms: int, interval_hours: int = 1) -> int:
    """When the next payment is settled: the top of the next whole interval, in UTC."""
    period = HOUR_MS * max(1, interval_hours)
    return (now_ms // period + 1) * period


def countdown_text(remaining_ms: int) -> str:
    """A countdown for people: "42:07", or "1:02:03" past an hour; never negative."""
    seconds = max(0, remaining_ms) // 1000
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{minutes:02d}:{secs:02d}"


def predicted_by_coin(rows: Iterable[PredictedFunding]) -> dict[str, PredictedFunding]:
    """One prediction per coin, preferring this venue's own over other exchanges'."""
    chosen: dict[str, PredictedFunding] = {}
    for row in rows:
        current = chosen.get(row.coin)
        if current is None or (row.venue == _OWN_VENUE and current.venue != _OWN_VENUE):
            chosen[row.coin] = row
    return chosen


@dataclass(frozen=True, slots=True)
class FundingTotals:
    """What funding did to the account: money in, money out, and the net of both."""

    received: Decimal
    paid: Decimal  # a positive number: how much left the account
    count: int

    @property
    def net(self) -> Decimal:
        return self.received - self.paid


def totals(payments: Iterable[FundingPayment]) -> FundingTotals:
    """Sum payments into received and paid (``usdc`` positive means received)."""
    received = paid = ZERO
    count = 0
    for payment in payments:
        count += 1
        if payment.usdc >= 0:
            received += payment.usdc
        else:
            paid -= payment.usdc
    return FundingTotals(received, paid, count)


def cumulative(payments: Iterable[FundingPayment]) -> list[tuple[int, Decimal]]:
    """Running net of the payments in time order: the points of the cumulative chart."""
    running = ZERO
    points: list[tuple[int, Decimal]] = []
    for payment in sorted(payments, key=lambda p: p.time):
        running += payment.usdc
        points.append((payment.time, running))
    return points


def next_payment_estimate(szi: Decimal, oracle_px: Decimal, hourly_rate: Decimal) -> Decimal:
    """The next payment of a position if the rate holds: positive received, negative paid.

    Same formula the venue settles with (``-szi * oracle * rate``), so a long pays when the
    rate is positive and a short receives it.
    """
    return funding_payment(szi, oracle_px, hourly_rate)


def payment_words(usdc: Decimal) -> str:
    """ "You receive" / "You pay" / "Nothing" for a payment or an estimate of one."""
    return _by_sign(usdc, "You receive", "You pay", "Nothing")

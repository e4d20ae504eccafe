"""The market's pulse in plain words: what price, open interest and funding moving together mean.

Why this exists: a price chart alone cannot tell a rally on fresh buying from one on shorts
running for the exit. Traders read the *combination* of price, open interest (how many
contracts are open), funding (who pays whom to keep a position) and the mark-oracle premium.
This module turns samples of a market's context into that classic reading, e.g. "price up,
open interest up, funding rising: new longs are piling in", so the Market pulse screen can
say it in one sentence instead of asking the user to know the table by heart.

Pure and exact: samples are :class:`~decimal.Decimal`, no I/O, no Qt, nothing but ``core``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Final

from wallet_perps.core.models import AssetContext
from wallet_perps.core.risk import ONE, ZERO

__all__ = [
    "MEANINGS",
    "PulseReading",
    "PulseSample",
    "PulseThresholds",
    "Trend",
    "absolute_trend",
    "describe_span",
    "meaning_for",
    "read_pulse",
    "relative_change",
    "relative_trend",
    "sample_from_context",
    "volume_ratio",
]


class Trend(StrEnum):
    """Which way a number went over the reading's window."""

    UP = "up"
    DOWN = "down"
    FLAT = "flat"


@dataclass(frozen=True, slots=True)
class PulseSample:
    """One market's context at one moment, the unit a pulse history is made of.

    ``open_interest`` is in base units (coins), so a price move alone does not look like new
    positions; ``day_ntl_vlm`` is the rolling 24 h USD volume the venue reports.
    """

    time_ms: int
    mark_px: Decimal
    oracle_px: Decimal
    open_interest: Decimal
    funding: Decimal
    day_ntl_vlm: Decimal

    @property
    def premium(self) -> Decimal:
        """Mark over oracle minus one: positive when the perp trades above the index."""
        if self.oracle_px <= 0:
            return ZERO
        return self.mark_px / self.oracle_px - ONE

    @property
    def open_interest_usd(self) -> Decimal:
        return self.open_interest * self.mark_px


def sample_from_context(ctx: AssetContext, time_ms: int) -> PulseSample:
    """The pulse-relevant part of an asset context, stamped with when it was seen."""
    return PulseSample(
        time_ms=time_ms,
        mark_px=ctx.mark_px,
        oracle_px=ctx.oracle_px,
        open_interest=ctx.open_interest,
        funding=ctx.funding,
        day_ntl_vlm=ctx.day_ntl_vlm,
    )


@dataclass(frozen=True, slots=True)
class PulseThresholds:
    """How big a change must be before the reading calls it a move rather than noise.

    ``price`` and ``open_interest`` are relative (0.0005 = 0.05%); ``funding`` is an absolute
    change of the hourly rate; ``premium_note`` is the mark-oracle gap worth mentioning;
    ``crowded_funding`` is the hourly rate (about 26% a year) at which one side is crowded.
    """

    price: Decimal = Decimal("0.0005")
    open_interest: Decimal = Decimal("0.002")
    funding: Decimal = Decimal("0.000001")
    premium_note: Decimal = Decimal("0.001")
    crowded_funding: Decimal = Decimal("0.00003")
    heavy_volume: Decimal = Decimal("1.5")
    light_volume: Decimal = Decimal("0.5")


def relative_change(before: Decimal, after: Decimal) -> Decimal | None:
    """``after / before - 1``; None when it grew from zero (no percentage says that), zero
    when it stayed at zero."""
    if before == 0:
        return None if after else ZERO
    return (after - before) / abs(before)


def relative_trend(before: Decimal, after: Decimal, threshold: Decimal) -> Trend:
    """UP or DOWN when the relative change reaches ``threshold``, FLAT otherwise; a move from
    zero is a move whatever its size (open interest from none to some is new positions)."""
    change = relative_change(before, after)
    if change is None:
        return Trend.UP if after > before else Trend.DOWN
    if change >= threshold:
        return Trend.UP
    if change <= -threshold:
        return Trend.DOWN
    return Trend.FLAT


def absolute_trend(before: Decimal, after: Decimal, threshold: Decimal) -> Trend:
    """UP or DOWN when ``after - before`` reaches ``threshold``; for rates that cross zero."""
    change = after - before
    if change >= threshold:
        return Trend.UP
    if change <= -threshold:
        return Trend.DOWN
    return Trend.FLAT


#: The classic table: (price, open interest, funding) -> what it usually means. A key with
#: funding ``None`` is the meaning whatever funding did; exact keys refine it.
MEANINGS: Final[Mapping[tuple[Trend, Trend, Trend | None], str]] = {
    # Price up on rising open interest: new money is buying.
    (Trend.UP, Trend.UP, Trend.UP): "new longs are piling in",
    (Trend.UP, Trend.UP, Trend.DOWN): "new money on both sides: shorts lean against the rise",
    (Trend.UP, Trend.UP, None): "new longs are opening: fresh money backs the rise",
    # Price up on falling open interest: shorts buying back, not new buyers.
    (Trend.UP, Trend.DOWN, Trend.DOWN): "shorts are being squeezed out: the rise is short covering",
    (Trend.UP, Trend.DOWN, None): "shorts are closing: the rise is short covering, not new buying",
    # Price down on rising open interest: new money is selling.
    (Trend.DOWN, Trend.UP, Trend.DOWN): "new shorts are piling in",
    (Trend.DOWN, Trend.UP, Trend.UP): "new money on both sides: longs are buying the dip",
    (Trend.DOWN, Trend.UP, None): "new shorts are opening: fresh money backs the drop",
    # Price down on falling open interest: longs giving up (or being liquidated).
    (Trend.DOWN, Trend.DOWN, Trend.UP): "longs are being flushed out: the drop is forced selling",
    (Trend.DOWN, Trend.DOWN, None): "longs are closing: the drop is longs giving up",
    # Open interest moving while price holds.
    (Trend.FLAT, Trend.UP, None): "positions are building on both sides: pressure for a move",
    (Trend.FLAT, Trend.DOWN, None): "positions are being closed: interest is fading",
    # Price moving on unchanged open interest.
    (Trend.UP, Trend.FLAT, None): "the price is rising without new positions",
    (Trend.DOWN, Trend.FLAT, None): "the price is falling without new positions",
    # Only funding moved.
    (Trend.FLAT, Trend.FLAT, Trend.UP): "longs are getting keener: they pay more to stay in",
    (Trend.FLAT, Trend.FLAT, Trend.DOWN): "shorts are getting keener: longs pay less",
    (Trend.FLAT, Trend.FLAT, None): "quiet: nothing much is changing",
}

_PRICE_WORDS: Final = {Trend.UP: "price up", Trend.DOWN: "price down", Trend.FLAT: "price flat"}
_OI_WORDS: Final = {
    Trend.UP: "open interest up",
    Trend.DOWN: "open interest down",
    Trend.FLAT: "open interest flat",
}
_FUNDING_WORDS: Final = {
    Trend.UP: "funding rising",
    Trend.DOWN: "funding falling",
    Trend.FLAT: "funding steady",
}


def meaning_for(price: Trend, open_interest: Trend, funding: Trend) -> str:
    """The table's sentence for this combination (exact first, then whatever funding did)."""
    exact = MEANINGS.get((price, open_interest, funding))
    if exact is not None:
        return exact
    return MEANINGS[(price, open_interest, None)]


def describe_span(ms: int) -> str:
    """A window length for a sentence: "45 s", "12 min", "3 h"."""
    seconds = max(0, ms) // 1000
    if seconds < 90:
        return f"{seconds} s"
    minutes = (seconds + 30) // 60
    if minutes < 90:
        return f"{minutes} min"
    hours = Decimal(seconds) / 3600
    return f"{hours:.1f} h".replace(".0 h", " h")


def volume_ratio(volumes: Sequence[Decimal], recent: int = 3) -> Decimal | None:
    """Average of the last ``recent`` volumes over the average of all of them.

    Above 1 the market is trading more than usual for the window; None when there is too little
    data to compare (fewer than ``recent + 1`` bars, or no volume at all).
    """
    if recent < 1 or len(volumes) <= recent:
        return None
    overall = sum(volumes, ZERO) / len(volumes)
    if overall <= 0:
        return None
    latest = sum(volumes[-recent:], ZERO) / recent
    return latest / overall


@dataclass(frozen=True, slots=True)
class PulseReading:
    """What changed over ``span_ms`` and what it means, ready to show as sentences."""

    price: Trend
    open_interest: Trend
    funding: Trend
    price_change: Decimal | None  # None: from zero (see relative_change)
    open_interest_change: Decimal | None
    funding_before: Decimal
    funding_after: Decimal
    premium: Decimal
    span_ms: int
    meaning: str
    notes: tuple[str, ...] = ()

    @property
    def headline(self) -> str:
        """ "price up, open interest up, funding rising: new longs are piling in"."""
        moves = ", ".join(
            (
                _PRICE_WORDS[self.price],
                _OI_WORDS[self.open_interest],
                _FUNDING_WORDS[self.funding],
            )
        )
        return f"{moves}: {self.meaning}"

    @property
    def text(self) -> str:
        """The headline with a capital letter, then the notes, as one paragraph."""
        head = self.headline
        sentences = [head[0].upper() + head[1:] + ".", *self.notes]
        return " ".join(sentences)


def _window_start(samples: Sequence[PulseSample], window_ms: int) -> PulseSample:
    """The oldest sample no older than ``window_ms`` before the newest one."""
    cutoff = samples[-1].time_ms - window_ms
    for sample in samples:
        if sample.time_ms >= cutoff:
            return sample
    return samples[-1]


def read_pulse(
    samples: Sequence[PulseSample],
    window_ms: int,
    *,
    thresholds: PulseThresholds | None = None,
    volume: Decimal | None = None,
) -> PulseReading | None:
    """Read the last ``window_ms`` of ``samples`` (oldest first); None without two moments.

    ``volume`` is an optional :func:`volume_ratio` (recent over usual volume) that adds "on
    heavy volume"-style notes. Funding *level* and the premium add notes too, because a
    crowded side or a perp far from its index matters even when nothing moved.
    """
    if len(samples) < 2:
        return None
    limits = thresholds or PulseThresholds()
    last = samples[-1]
    first = _window_start(samples, window_ms)
    if first.time_ms >= last.time_ms:
        return None
    price = relative_trend(first.mark_px, last.mark_px, limits.price)
    oi = relative_trend(first.open_interest, last.open_interest, limits.open_interest)
    funding = absolute_trend(first.funding, last.funding, limits.funding)
    notes: list[str] = []
    if last.funding >= limits.crowded_funding:
        notes.append("Longs are crowded: funding is high, so holding a long is expensive.")
    elif last.funding <= -limits.crowded_funding:
        notes.append("Shorts are crowded: funding is negative, so holding a short is expensive.")
    premium = last.premium
    if premium >= limits.premium_note:
        notes.append("The perp trades above its oracle price: buyers are paying up.")
    elif premium <= -limits.premium_note:
        notes.append("The perp trades below its oracle price: sellers are pressing.")
    if volume is not None:
        if volume >= limits.heavy_volume:
            notes.append("Volume is heavier than usual, so the move has weight.")
        elif volume <= limits.light_volume:
            notes.append("Volume is light, so the move may not last.")
    return PulseReading(
        price=price,
        open_interest=oi,
        funding=funding,
        price_change=relative_change(first.mark_px, last.mark_px),
        open_interest_change=relative_change(first.open_interest, last.open_interest),
        funding_before=first.funding,
        funding_after=last.funding,
        premium=premium,
        span_ms=last.time_ms - first.time_ms,
        meaning=meaning_for(price, oi, funding),
        notes=tuple(notes),
    )

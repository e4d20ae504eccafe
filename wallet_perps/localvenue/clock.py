"""Venue time for the local venue, optionally running faster than the wall clock.

Funding is paid hourly and the mark EMA decays over 150 s; a user who wants to see a funding
payment, or a test that wants to see several, should not wait an hour. ``--clock-speed 60``
makes venue time run 60x faster, so an hour of funding passes in a wall minute. Every venue
timestamp (fills, funding, candles) comes from one :class:`VenueClock`, so they stay mutually
consistent at any speed. The wall-time source is injectable so tests never sleep.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from wallet_perps.core.clock import wall_ms

__all__ = ["HOUR_MS", "VenueClock"]

HOUR_MS = 3_600_000


class VenueClock:
    """Venue milliseconds = ``start_ms`` + ``speed`` x (wall seconds elapsed since creation).

    ``wall`` is a monotonic seconds source (default :func:`time.monotonic`) so a system clock
    adjustment can never make venue time jump or run backwards; ``start_ms`` defaults to the
    current Unix time so timestamps look like mainnet's.
    """

    def __init__(
        self,
        speed: float = 1.0,
        start_ms: int | None = None,
        *,
        wall: Callable[[], float] = time.monotonic,
    ) -> None:
        if not speed > 0:
            raise ValueError("clock speed must be positive")
        self._speed = float(speed)
        self._wall = wall
        self._wall0 = wall()
        self._start_ms = wall_ms() if start_ms is None else int(start_ms)
        self._last_ms = self._start_ms

    def now_ms(self) -> int:
        """Current venue time in Unix milliseconds; never decreases."""
        elapsed = max(0.0, self._wall() - self._wall0)
        now = self._start_ms + int(elapsed * 1000.0 * self._speed)
        self._last_ms = max(self._last_ms, now)
        return self._last_ms

    def now_s(self) -> float:
        """Venue time in Unix seconds (for the EMA and funding samplers)."""
        return self.now_ms() / 1000.0

    def to_wall_seconds(self, venue_seconds: float) -> float:
        """How long to sleep on the wall clock for ``venue_seconds`` of venue time to pass."""
        return venue_seconds / self._speed

    def next_hour_ms(self) -> int:
        """The next whole venue hour (when funding is settled); ``nextFundingTime`` on the wire."""
        return (self.now_ms() // HOUR_MS + 1) * HOUR_MS

    def wall_seconds_until(self, venue_ms: int) -> float:
        """Wall seconds until venue time reaches ``venue_ms`` (0 if it already has)."""
        return max(0.0, self.to_wall_seconds((venue_ms - self.now_ms()) / 1000.0))

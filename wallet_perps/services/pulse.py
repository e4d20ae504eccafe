"""ContextSampler: a bounded, time-stamped history of every market's context.

Why it exists: the venue serves price history (candles) and funding history, but not open
interest or the mark-oracle premium over time; the Market pulse screen needs all of them to
say what the market is doing. So we record what we already receive: every market's latest
:class:`~wallet_perps.core.models.AssetContext`, at most once per ``every_s`` seconds, into a
fixed-size ring per coin. Memory stays bounded however long the app runs (``keep`` samples per
coin), and sampling costs one pass over a dozen contexts.

Plain Python: no Qt. Whoever owns it calls :meth:`maybe_sample` when contexts change (the UI
does on ``market_changed``), or lets :meth:`run` sample on a timer on the asyncio loop.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Mapping

from wallet_perps.core.clock import wall_ms
from wallet_perps.core.models import AssetContext
from wallet_perps.core.pulse import PulseSample, sample_from_context

__all__ = ["ContextSampler"]


class ContextSampler:
    """Records ``contexts()`` into per-coin rings of :class:`PulseSample`, oldest first.

    ``contexts`` is any callable returning the current contexts by coin (``MarketData``'s
    ``contexts`` property wrapped in a lambda, or the UI adapter's ``contexts`` method);
    ``clock`` gives Unix milliseconds and is injectable for tests.
    """

    def __init__(
        self,
        contexts: Callable[[], Mapping[str, AssetContext]],
        *,
        every_s: float = 5.0,
        keep: int = 2880,
        clock: Callable[[], int] = wall_ms,
    ) -> None:
        if every_s < 0:
            raise ValueError("every_s must not be negative")
        if keep < 2:
            raise ValueError("keep at least two samples, or nothing can be compared")
        self._contexts = contexts
        self._every_ms = int(every_s * 1000)
        self._keep = keep
        self._clock = clock
        self._rings: dict[str, deque[PulseSample]] = {}
        self._last_ms: int | None = None

    @property
    def every_s(self) -> float:
        return self._every_ms / 1000

    @property
    def keep(self) -> int:
        return self._keep

    def maybe_sample(self) -> bool:
        """Sample unless the last sample is younger than ``every_s``; True if it sampled."""
        now = self._clock()
        if self._last_ms is not None and now - self._last_ms < self._every_ms:
            return False
        self.sample(now)
        return True

    def sample(self, now_ms: int | None = None) -> None:
        """Record every market's context now (or at ``now_ms``)."""
        now = self._clock() if now_ms is None else now_ms
        self._last_ms = now
        for coin, ctx in self._contexts().items():
            ring = self._rings.get(coin)
            if ring is None:
                ring = self._rings[coin] = deque(maxlen=self._keep)
            ring.append(sample_from_context(ctx, now))

    def samples(self, coin: str, since_ms: int | None = None) -> tuple[PulseSample, ...]:
        """``coin``'s samples, oldest first; only those at or after ``since_ms`` if given."""
        ring = self._rings.get(coin, ())
        if since_ms is None:
            return tuple(ring)
        return tuple(s for s in ring if s.time_ms >= since_ms)

    def coins(self) -> tuple[str, ...]:
        return tuple(self._rings)

    def clear(self) -> None:
        """Forget everything (e.g. after switching networks, where old numbers mean nothing)."""
        self._rings.clear()
        self._last_ms = None

    async def run(self, period_s: float | None = None) -> None:
        """Sample every ``period_s`` (default ``every_s``) until cancelled."""
        period = self.every_s if period_s is None else period_s
        while True:
            self.maybe_sample()
            await asyncio.sleep(max(period, 0.05))

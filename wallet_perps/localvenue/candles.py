"""Trade candles of the local venue, in every interval Hyperliquid serves.

Hyperliquid builds candles from trades only (an interval without trades has no candle) and
keeps the latest 5000 per coin and interval (PROTOCOL §7, ``candleSnapshot``). Updating 14
intervals on every fill would cost more than matching the order, so the engine only appends
``(time, px, sz)`` to a per-coin pending list while it matches, and :meth:`CandleBook.flush`
folds the pending trades into every interval once per tick (or right before a query), which
keeps the per-fill cost at one list append.

Interval boundaries: fixed-length intervals are aligned to the Unix epoch, except ``1w``,
which starts on Monday 00:00 UTC like the venue's weekly candles, and ``1M``, which follows
calendar months in UTC.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Final

from wallet_perps.localvenue.engine_types import wire

__all__ = ["INTERVALS", "MAX_CANDLES", "Candle", "CandleBook", "interval_bounds"]

_MIN: Final = 60_000
_HOUR: Final = 60 * _MIN
_DAY: Final = 24 * _HOUR
#: Interval name -> length in ms (``1M`` is calendar-based and handled separately).
INTERVALS: Final[dict[str, int]] = {
    "1m": _MIN,
    "3m": 3 * _MIN,
    "5m": 5 * _MIN,
    "15m": 15 * _MIN,
    "30m": 30 * _MIN,
    "1h": _HOUR,
    "2h": 2 * _HOUR,
    "4h": 4 * _HOUR,
    "8h": 8 * _HOUR,
    "12h": 12 * _HOUR,
    "1d": _DAY,
    "3d": 3 * _DAY,
    "1w": 7 * _DAY,
    "1M": 31 * _DAY,  # nominal; real bounds come from the calendar
}
#: Only the latest 5000 candles exist per coin and interval.
MAX_CANDLES: Final = 5000
#: 1970-01-01 was a Thursday; Monday 1970-01-05 00:00 UTC anchors the weekly grid.
_WEEK_ANCHOR_MS: Final = 4 * _DAY


def interval_bounds(interval: str, t_ms: int) -> tuple[int, int]:
    """``(t, T)`` of the candle of ``interval`` containing ``t_ms``; ``T = next open - 1``."""
    if interval == "1M":
        dt = datetime.fromtimestamp(t_ms // 1000, tz=UTC)
        first = datetime(dt.year, dt.month, 1, tzinfo=UTC)
        nxt = datetime(dt.year + (dt.month == 12), dt.month % 12 + 1, 1, tzinfo=UTC)
        return int(first.timestamp()) * 1000, int(nxt.timestamp()) * 1000 - 1
    length = INTERVALS[interval]
    anchor = _WEEK_ANCHOR_MS if interval == "1w" else 0
    start = (t_ms - anchor) // length * length + anchor
    return start, start + length - 1


@dataclass(slots=True)
class Candle:
    """One candle while it forms and after; rendered to the wire only when asked for."""

    t: int
    end: int
    o: Decimal
    h: Decimal
    low: Decimal
    c: Decimal
    v: Decimal
    n: int

    def wire(self, coin: str, interval: str) -> dict[str, Any]:
        return {
            "t": self.t,
            "T": self.end,
            "s": coin,
            "i": interval,
            "o": wire(self.o),
            "c": wire(self.c),
            "h": wire(self.h),
            "l": wire(self.low),
            "v": wire(self.v),
            "n": self.n,
        }


class CandleBook:
    """All candles of one coin; trades go in through :meth:`add_trade` + :meth:`flush`."""

    __slots__ = ("_pending", "_series", "coin")

    def __init__(self, coin: str) -> None:
        self.coin = coin
        self._series: dict[str, deque[Candle]] = {
            name: deque(maxlen=MAX_CANDLES) for name in INTERVALS
        }
        self._pending: list[tuple[int, Decimal, Decimal]] = []

    def add_trade(self, t_ms: int, px: Decimal, sz: Decimal) -> None:
        """O(1): remember the trade; it reaches the candles at the next :meth:`flush`."""
        self._pending.append((t_ms, px, sz))

    def flush(self) -> list[tuple[str, Candle]]:
        """Fold pending trades into every interval; returns the candles that changed."""
        if not self._pending:
            return []
        pending, self._pending = self._pending, []
        changed: dict[str, Candle] = {}
        for name, series in self._series.items():
            for t_ms, px, sz in pending:
                last = series[-1] if series else None
                if last is None or t_ms > last.end:
                    start, end = interval_bounds(name, t_ms)
                    last = Candle(start, end, px, px, px, px, sz, 1)
                    series.append(last)
                else:  # same candle (a late trade also lands in the newest one)
                    if px > last.h:
                        last.h = px
                    if px < last.low:
                        last.low = px
                    last.c = px
                    last.v += sz
                    last.n += 1
                changed[name] = last
        return list(changed.items())

    def snapshot(
        self, interval: str, start_ms: int, end_ms: int | None = None
    ) -> list[dict[str, Any]]:
        """Candles of ``interval`` overlapping ``[start_ms, end_ms]``, oldest first."""
        self.flush()
        series = self._series.get(interval)
        if series is None:
            raise ValueError(f"unknown candle interval {interval!r}")
        return [
            c.wire(self.coin, interval)
            for c in series
            if c.end >= start_ms and (end_ms is None or c.t <= end_ms)
        ]

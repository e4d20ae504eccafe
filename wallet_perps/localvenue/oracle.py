"""Price processes of the local venue: oracle, mark, funding premium and 24 h statistics.

Hyperliquid margins on a *mark* price built from an external oracle and its own book, and
pays funding from the book's premium over that oracle (PROTOCOL §11.2-§11.3). A paper venue
that simply replayed one price would make liquidations, funding and the mark/oracle gap look
nothing like mainnet, so this module reproduces the pieces separately:

* :class:`OracleProcess` stands in for the validators' oracle: a seeded jump-diffusion per
  market, correlated with BTC, emitting valid perp ticks.
* :class:`MarkPrice` is the docs' median of (oracle + 150 s EMA of mid - oracle), the book's
  median of bid/ask/last, and the oracle (standing in for the CEX perp median).
* :class:`FundingSampler` collects the 5 s premium samples and settles each hour with
  :func:`wallet_perps.core.risk.hourly_funding_rate`, so the venue and the client's estimate
  share one formula.
* :class:`DayStats` keeps the 24 h volume and ``prevDayPx`` for the asset contexts.

Random numbers are floats (they only steer the simulation); everything that leaves a class
here is a ``Decimal``.
"""

from __future__ import annotations

import math
import random
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Context, Decimal

from wallet_perps.core.numbers import round_price
from wallet_perps.core.risk import ZERO, average, hourly_funding_rate, premium
from wallet_perps.localvenue.markets import MarketSpec

__all__ = [
    "EMA_DECAY_S",
    "FUNDING_SAMPLE_INTERVAL_S",
    "DayStats",
    "FundingRecord",
    "FundingSampler",
    "MarkPrice",
    "OracleProcess",
    "valid_tick",
]

SECONDS_PER_YEAR = 365.0 * 24 * 3600
SECONDS_PER_DAY = 24.0 * 3600
#: Decay time of the mark EMA (docs: 2.5 minutes).
EMA_DECAY_S = 150
#: Premium samples are taken every 5 s of venue time.
FUNDING_SAMPLE_INTERVAL_S = 5
#: fundingHistory times land a few ms after the hour (docs example: ...600076).
FUNDING_SETTLE_LAG_MS = 76
#: Premiums and averages are reported to 8 decimals like mainnet ("0.00031774").
PREMIUM_QUANTUM = Decimal("0.00000001")

# Wide private context so exp() and divisions do not depend on the thread's context.
_CTX = Context(prec=34)


def valid_tick(px: Decimal, sz_decimals: int) -> Decimal:
    """Nearest valid perp price, never below the smallest tick (so it stays positive)."""
    smallest = Decimal(1).scaleb(-(6 - sz_decimals))
    if px < smallest:
        return smallest
    return round_price(px, sz_decimals, direction="nearest")


def _poisson(rng: random.Random, mean: float) -> int:
    """Poisson draw (Knuth for small means, a rounded normal for large ones)."""
    if mean <= 0:
        return 0
    if mean > 50:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit = math.exp(-mean)
    k = 0
    p = rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


class OracleProcess:
    """Seeded jump-diffusion oracle prices for every market, advanced in venue time.

    Each market's log price takes a Gaussian step with its ``annual_vol`` (martingale drift
    ``-sigma^2/2``) split into a BTC factor part (loading ``btc_beta * sigma_BTC``, capped at
    ``sigma``) and an idiosyncratic part, so the total diffusion volatility is exactly the
    configured one and alts partly follow BTC. On top, Poisson jumps arrive at
    ``jumps_per_day`` with Gaussian log size ``jump_size``; BTC's jumps also pass to alts
    scaled by ``btc_beta``. The state is kept as an unrounded float log price so that rounding
    to ticks never makes a price sticky; what is emitted is the nearest valid tick.

    Determinism: all randomness comes from one ``random.Random(seed)`` drawn in a fixed order,
    so the same seed and the same sequence of ``step``/``set_price`` calls give the same
    prices.
    """

    def __init__(self, markets: Iterable[MarketSpec], seed: int) -> None:
        self._specs = {spec.name: spec for spec in markets}
        if not self._specs:
            raise ValueError("the oracle needs at least one market")
        self._rng = random.Random(seed)
        # The factor is BTC when listed, else the first market.
        self._factor = "BTC" if "BTC" in self._specs else next(iter(self._specs))
        self._log_px = {name: math.log(spec.start_px) for name, spec in self._specs.items()}
        self._px = {
            name: valid_tick(spec.start_px, spec.sz_decimals) for name, spec in self._specs.items()
        }
        self._jumps = dict.fromkeys(self._specs, 0)
        self._elapsed_s = 0.0

    @property
    def coins(self) -> tuple[str, ...]:
        return tuple(self._specs)

    @property
    def elapsed_s(self) -> float:
        """Venue seconds simulated so far."""
        return self._elapsed_s

    def jump_count(self, coin: str) -> int:
        """How many own jumps ``coin`` has had (not counting BTC jumps passed on to it)."""
        return self._jumps[coin]

    def price(self, coin: str) -> Decimal:
        """The current oracle price (a valid tick); KeyError for an unknown coin."""
        return self._px[coin]

    def prices(self) -> dict[str, Decimal]:
        return dict(self._px)

    def set_price(self, coin: str, px: Decimal) -> Decimal:
        """Override ``coin``'s oracle (admin ``/sim/oracle``); the walk continues from there.

        The price is rounded to the nearest valid tick, and that tick is returned.
        """
        spec = self._specs[coin]
        if not isinstance(px, Decimal) or not px.is_finite() or px <= 0:
            raise ValueError(f"oracle price for {coin} must be a positive Decimal, not {px!r}")
        tick = valid_tick(px, spec.sz_decimals)
        self._log_px[coin] = math.log(tick)
        self._px[coin] = tick
        return tick

    def step(self, dt_seconds: float) -> dict[str, Decimal]:
        """Advance venue time by ``dt_seconds`` and return every market's new oracle price."""
        if dt_seconds < 0 or not math.isfinite(dt_seconds):
            raise ValueError("dt_seconds must be a finite, non-negative number")
        if dt_seconds == 0:
            return dict(self._px)
        rng = self._rng
        years = dt_seconds / SECONDS_PER_YEAR
        days = dt_seconds / SECONDS_PER_DAY
        factor_spec = self._specs[self._factor]
        factor_shock = rng.gauss(0.0, 1.0) * math.sqrt(years)  # unit-vol BTC Brownian step
        factor_jump = 0.0
        for name, spec in self._specs.items():
            sigma = spec.annual_vol
            if name == self._factor:
                loading = sigma
            else:
                loading = min(abs(spec.btc_beta) * factor_spec.annual_vol, sigma)
                loading = math.copysign(loading, spec.btc_beta)
            idio = math.sqrt(max(sigma * sigma - loading * loading, 0.0))
            move = -0.5 * sigma * sigma * years + loading * factor_shock
            move += idio * rng.gauss(0.0, 1.0) * math.sqrt(years)
            n_jumps = _poisson(rng, spec.jumps_per_day * days)
            own_jump = sum(rng.gauss(0.0, spec.jump_size) for _ in range(n_jumps))
            self._jumps[name] += n_jumps
            if name == self._factor:
                factor_jump = own_jump
            else:
                move += spec.btc_beta * factor_jump
            move += own_jump
            self._log_px[name] += move
            self._px[name] = valid_tick(Decimal(math.exp(self._log_px[name])), spec.sz_decimals)
        self._elapsed_s += dt_seconds
        return dict(self._px)


def _median(values: list[Decimal]) -> Decimal:
    """Median; the mean of the middle two for an even count (e.g. bid and ask give the mid)."""
    ordered = sorted(values)
    n = len(ordered)
    mid = n // 2
    if n % 2:
        return ordered[mid]
    return _CTX.divide(ordered[mid - 1] + ordered[mid], Decimal(2))


def _seconds(value: float) -> Decimal:
    return Decimal(repr(float(value)))


class MarkPrice:
    """One market's mark price (PROTOCOL §11.2).

    ``mark = median(oracle + EMA(mid - oracle), median(bid, ask, last), oracle)``, the oracle
    standing in for the CEX perp mids we do not have. The EMA is the docs' time-weighted one
    with a 150 s decay, ``num = num*exp(-t/150) + sample*t`` and ``den = den*exp(-t/150) + t``
    where ``t`` is the venue time since the previous update. A sample needs both sides of the
    book; with a one-sided or empty book time still decays ``num`` and ``den`` (their ratio is
    unchanged) but no sample is added. Missing book inputs are simply left out of the inner
    median; if it has none, the outer median of the two remaining inputs is their mean. So the
    mark always exists once there is an oracle price.

    The result is rounded to the nearest valid tick: mainnet's ``markPx`` is a valid price
    ("14.3161"), and margin/PnL are then computed from exactly the number the venue reports,
    so a client recomputing them gets the same answer.
    """

    def __init__(self, sz_decimals: int, decay_s: float = EMA_DECAY_S) -> None:
        self._sz_decimals = sz_decimals
        self._decay = _seconds(decay_s)
        self._num = ZERO
        self._den = ZERO
        self._last_s: float | None = None
        self._mark: Decimal | None = None

    @property
    def ema(self) -> Decimal:
        """The current EMA of (mid - oracle); 0 before any sample has weight."""
        if self._den == 0:
            return ZERO
        return _CTX.divide(self._num, self._den)

    @property
    def mark(self) -> Decimal | None:
        """The last computed mark, or None before the first update."""
        return self._mark

    def update(
        self,
        now_s: float,
        oracle: Decimal,
        best_bid: Decimal | None,
        best_ask: Decimal | None,
        last_trade: Decimal | None,
    ) -> Decimal:
        """Fold in the book at venue time ``now_s`` (seconds) and return the new mark."""
        t = ZERO if self._last_s is None else max(ZERO, _seconds(now_s - self._last_s))
        if self._last_s is None or now_s > self._last_s:
            self._last_s = now_s
        if t > 0:
            decay = _CTX.exp(_CTX.divide(-t, self._decay))
            self._num = _CTX.multiply(self._num, decay)
            self._den = _CTX.multiply(self._den, decay)
        if best_bid is not None and best_ask is not None and t > 0:
            mid = _CTX.divide(best_bid + best_ask, Decimal(2))
            self._num += _CTX.multiply(mid - oracle, t)
            self._den += t
        inputs = [oracle + self.ema, oracle]
        book = [px for px in (best_bid, best_ask, last_trade) if px is not None]
        if book:
            inputs.append(_median(book))
        self._mark = valid_tick(_median(inputs), self._sz_decimals)
        return self._mark


@dataclass(frozen=True, slots=True)
class FundingRecord:
    """One settled hour, as the venue stores it for ``fundingHistory`` (and pays with)."""

    coin: str
    funding_rate: Decimal
    premium: Decimal
    time: int
    n_samples: int = 0


class FundingSampler:
    """The hour's premium samples for one market and the funding they imply (§11.3).

    Samples are taken on a 5 s grid of venue time: a call in a 5 s slot that already has an
    attempt is ignored, so the venue may call as often as it likes (or with timer jitter)
    without over-weighting any moment. A slot whose impact prices are missing (book thinner
    than the impact notional) records no premium. Premiums and averages are kept to 8
    decimals, as mainnet reports them; the rate is then computed exactly from that average.
    """

    def __init__(
        self,
        coin: str,
        interval_s: float = FUNDING_SAMPLE_INTERVAL_S,
        settle_lag_ms: int = FUNDING_SETTLE_LAG_MS,
    ) -> None:
        self.coin = coin
        self._interval = interval_s
        self._settle_lag_ms = settle_lag_ms
        self._samples: list[tuple[float, Decimal]] = []
        self._last_slot: int | None = None
        self._last_premium: Decimal | None = None

    @property
    def n_samples(self) -> int:
        return len(self._samples)

    def sample(
        self,
        now_s: float,
        oracle: Decimal,
        impact_bid: Decimal | None,
        impact_ask: Decimal | None,
    ) -> Decimal | None:
        """Take this slot's premium sample; returns it, or None if skipped or unavailable."""
        slot = math.floor(now_s / self._interval)
        if self._last_slot is not None and slot <= self._last_slot:
            return None
        self._last_slot = slot
        value = premium(oracle, impact_bid, impact_ask)
        if value is None:
            return None
        value = value.quantize(PREMIUM_QUANTUM, context=_CTX)
        self._samples.append((now_s, value))
        self._last_premium = value
        return value

    @staticmethod
    def _average(samples: list[Decimal]) -> Decimal:
        return average(samples).quantize(PREMIUM_QUANTUM, context=_CTX)

    def current_premium(self) -> Decimal | None:
        """The latest premium sample (ctx ``premium``); None before any was possible."""
        return self._last_premium

    def current_rate(self) -> Decimal:
        """Predicted hourly rate from this hour's samples so far (ctx ``funding``)."""
        return hourly_funding_rate(self._average([p for _, p in self._samples]))

    def settle(self, hour_end_ms: int) -> FundingRecord:
        """Close the hour ending at ``hour_end_ms``: average, rate, reset, return the record.

        Samples taken at or after the boundary (the venue may sample before it settles)
        belong to the next hour and are kept. An hour without samples settles at the
        interest rate alone, 0.0000125.
        """
        boundary_s = hour_end_ms / 1000.0
        closed = [p for t, p in self._samples if t < boundary_s]
        self._samples = [(t, p) for t, p in self._samples if t >= boundary_s]
        avg = self._average(closed)
        return FundingRecord(
            coin=self.coin,
            funding_rate=hourly_funding_rate(avg),
            premium=avg,
            time=hour_end_ms + self._settle_lag_ms,
            n_samples=len(closed),
        )


@dataclass(slots=True)
class _Bucket:
    minute: int
    ntl: Decimal = ZERO
    base: Decimal = ZERO
    last_px: Decimal | None = None


class DayStats:
    """Rolling 24 h notional and base volume and the price 24 h ago, for one market.

    Trades and price observations go into one-minute buckets; the sums are updated as buckets
    enter and leave the window, so each call is O(1) amortised and memory is bounded by 1441
    buckets. ``prev_day_px`` is the last price seen in the newest bucket that has left the
    window; until a full day has passed it is the first price ever seen (the venue's start).
    Volume is counted once per trade, not once per side, as mainnet's ``dayNtlVlm``.
    """

    BUCKET_MS = 60_000
    WINDOW_MS = 24 * 3_600_000

    def __init__(self, start_px: Decimal | None = None) -> None:
        self._buckets: deque[_Bucket] = deque()
        self._ntl = ZERO
        self._base = ZERO
        self._anchor_px: Decimal | None = None
        self._first_px = start_px
        self._now_ms: int | None = None

    @property
    def day_ntl_vlm(self) -> Decimal:
        return self._ntl

    @property
    def day_base_vlm(self) -> Decimal:
        return self._base

    @property
    def prev_day_px(self) -> Decimal | None:
        return self._anchor_px if self._anchor_px is not None else self._first_px

    def advance(self, now_ms: int) -> None:
        """Move the window to end at ``now_ms``; an earlier time than seen before is ignored."""
        if self._now_ms is not None and now_ms <= self._now_ms:
            return
        self._now_ms = now_ms
        oldest_kept = (now_ms - self.WINDOW_MS) // self.BUCKET_MS + 1
        while self._buckets and self._buckets[0].minute < oldest_kept:
            bucket = self._buckets.popleft()
            self._ntl -= bucket.ntl
            self._base -= bucket.base
            if bucket.last_px is not None:
                self._anchor_px = bucket.last_px
        if not self._buckets:
            # Exact zero rather than a residue such as 0E-12 after the subtractions.
            self._ntl = ZERO
            self._base = ZERO

    def _bucket(self, now_ms: int) -> _Bucket:
        self.advance(now_ms)
        assert self._now_ms is not None
        minute = self._now_ms // self.BUCKET_MS  # a late event lands in the newest minute
        if self._buckets and self._buckets[-1].minute >= minute:
            return self._buckets[-1]
        bucket = _Bucket(minute)
        self._buckets.append(bucket)
        return bucket

    def observe_price(self, now_ms: int, px: Decimal) -> None:
        """Note the market's price at ``now_ms`` (e.g. each oracle tick) for ``prevDayPx``."""
        if self._first_px is None:
            self._first_px = px
        self._bucket(now_ms).last_px = px

    def record_trade(self, now_ms: int, px: Decimal, sz: Decimal) -> None:
        """Add one trade to the 24 h volumes (and note its price)."""
        if self._first_px is None:
            self._first_px = px
        bucket = self._bucket(now_ms)
        ntl = px * sz
        bucket.ntl += ntl
        bucket.base += sz
        bucket.last_px = px
        self._ntl += ntl
        self._base += sz

"""Margin, PnL, liquidation and funding arithmetic, exact in Decimal.

One calculator serves both sides of the wire: the local venue reports ``clearinghouseState``
with it and the order ticket estimates "liquidation price after this order" with it, so a
user's pre-trade estimate and the venue's answer come from the same formulas (PROTOCOL §7.1,
§11.3-§11.5).

Liquidation prices are solved exactly from ``equity(P) = maintenance(P)``. With a single
maintenance rate this is the docs formula ``P = mark - side*available/size/(1 - l*side)``; with
margin tiers the rate (and deduction) of the tier that contains the notional *at P* is used,
as the docs prescribe.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Decimal

from wallet_perps.core.models import MarginTier

ZERO = Decimal(0)
ONE = Decimal(1)
USD_QUANTUM = Decimal("0.000001")

#: Funding (PROTOCOL §11.3): 0.01% per 8 h interest, premium clamp ±0.05% per 8 h, paid hourly
#: as F/8 and capped at 4% per hour.
FUNDING_INTEREST_8H = Decimal("0.0001")
FUNDING_CLAMP_8H = Decimal("0.0005")
FUNDING_CAP_1H = Decimal("0.04")
#: Impact notional for the premium: $20k for BTC and ETH, $6k for everything else.
IMPACT_NOTIONAL_MAJOR = Decimal(20000)
IMPACT_NOTIONAL_OTHER = Decimal(6000)
#: Withdrawals and transfers keep back at least this share of open notional (PROTOCOL §11.4).
TRANSFER_MARGIN_FLOOR = Decimal("0.1")


def truncate_usd(value: Decimal) -> Decimal:
    """USD amounts in venue responses are truncated toward zero to 6 decimals, not rounded."""
    return value.quantize(USD_QUANTUM, rounding=ROUND_DOWN)


def ledger_usd(amount: Decimal) -> Decimal:
    """An amount of USDC as the ledgers hold it: whole micro-USD, rounded half-even.

    Every amount that moves between ledgers (fee, cash, margin, funding) is rounded once, here,
    and applied identically to both sides, so additions stay exact and USDC is conserved to the
    last unit; the ticket's replay books its estimate the same way.
    """
    return amount.quantize(USD_QUANTUM, rounding=ROUND_HALF_EVEN)


def side_sign(szi: Decimal) -> int:
    """+1 for a long, -1 for a short, 0 for flat."""
    return (szi > 0) - (szi < 0)


#: One margin tier: from ``lower_bound`` USD of notional up, at most ``max_leverage``. The
#: same record the venue's ``meta.marginTables`` is read into, so a schedule is built from a
#: market's table as it is, not from a field-by-field copy of it.
Tier = MarginTier


@dataclass(frozen=True, slots=True)
class _Segment:
    lower: Decimal
    upper: Decimal | None
    rate: Decimal
    deduction: Decimal


@dataclass(frozen=True, slots=True)
class TierSchedule:
    """Maintenance margin as a function of notional, continuous across tier boundaries.

    ``maintenance = notional*rate(tier) - deduction(tier)`` with ``rate = 1/(2*maxLeverage)``
    and deductions accumulated so that margin does not jump at a boundary (PROTOCOL §11.4).
    """

    tiers: tuple[Tier, ...]
    _segments: tuple[_Segment, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.tiers:
            raise ValueError("a margin table needs at least one tier")
        ordered = sorted(self.tiers, key=lambda t: t.lower_bound)
        if ordered[0].lower_bound != 0:
            raise ValueError("the first margin tier must start at 0 notional")
        segments: list[_Segment] = []
        deduction = ZERO
        prev_rate: Decimal | None = None
        for i, tier in enumerate(ordered):
            if tier.max_leverage < 1:
                raise ValueError("tier leverage must be at least 1")
            rate = ONE / (2 * Decimal(tier.max_leverage))
            if prev_rate is not None:
                deduction += tier.lower_bound * (rate - prev_rate)
            upper = ordered[i + 1].lower_bound if i + 1 < len(ordered) else None
            segments.append(_Segment(tier.lower_bound, upper, rate, deduction))
            prev_rate = rate
        object.__setattr__(self, "tiers", tuple(ordered))
        object.__setattr__(self, "_segments", tuple(segments))

    @classmethod
    def single(cls, max_leverage: int) -> TierSchedule:
        return cls((Tier(ZERO, max_leverage),))

    @property
    def max_leverage(self) -> int:
        """The leverage allowed for the smallest positions (the first tier's)."""
        return self.tiers[0].max_leverage

    def _segment(self, notional: Decimal) -> _Segment:
        for segment in reversed(self._segments):
            if notional >= segment.lower:
                return segment
        return self._segments[0]

    def rate_at(self, notional: Decimal) -> Decimal:
        return self._segment(abs(notional)).rate

    def max_leverage_at(self, notional: Decimal) -> int:
        """The leverage the tier containing this notional allows (position limit by tier)."""
        notional = abs(notional)
        for tier in reversed(self.tiers):
            if notional >= tier.lower_bound:
                return tier.max_leverage
        return self.tiers[0].max_leverage

    def maintenance(self, notional: Decimal) -> Decimal:
        segment = self._segment(abs(notional))
        return abs(notional) * segment.rate - segment.deduction

    def solve_liquidation(self, szi: Decimal, constant: Decimal) -> Decimal | None:
        """The price P where ``constant + szi*P == maintenance(|szi|*P)``, or None.

        ``constant`` is everything in equity minus other maintenance that does not move with
        this position's price. Each tier gives a linear equation; the answer is the root that
        lies inside its own tier. None when no positive root exists (the position cannot be
        liquidated by this market's price alone).
        """
        size = abs(szi)
        if size == 0:
            return None
        for segment in self._segments:
            denominator = szi - size * segment.rate
            if denominator == 0:
                continue
            price = -(constant + segment.deduction) / denominator
            if price <= 0:
                continue
            notional = size * price
            if notional >= segment.lower and (segment.upper is None or notional < segment.upper):
                return price
        return None


@dataclass(frozen=True, slots=True)
class PositionRisk:
    """What the arithmetic needs to know about one position.

    ``isolated_raw_usd`` is the isolated position's USD ledger (``leverage.rawUsd``): negative
    for a long, since the cost was paid out of it. It is None for cross positions.
    """

    coin: str
    szi: Decimal
    entry_px: Decimal
    mark_px: Decimal
    leverage: int
    tiers: TierSchedule
    isolated_raw_usd: Decimal | None = None

    @property
    def is_cross(self) -> bool:
        return self.isolated_raw_usd is None

    @property
    def position_value(self) -> Decimal:
        return abs(self.szi) * self.mark_px

    @property
    def unrealized_pnl(self) -> Decimal:
        return self.szi * (self.mark_px - self.entry_px)

    @property
    def initial_margin(self) -> Decimal:
        return self.position_value / self.leverage

    @property
    def maintenance_margin(self) -> Decimal:
        return self.tiers.maintenance(self.position_value)

    @property
    def isolated_margin(self) -> Decimal:
        """The isolated position's equity: its USD ledger plus its value at mark."""
        if self.isolated_raw_usd is None:
            raise ValueError(f"{self.coin} is a cross position")
        return self.isolated_raw_usd + self.szi * self.mark_px

    @property
    def margin_used(self) -> Decimal:
        """As the venue reports it: IM for cross, the isolated margin for isolated."""
        if self.is_cross:
            return truncate_usd(self.initial_margin)
        return truncate_usd(self.isolated_margin)

    @property
    def return_on_equity(self) -> Decimal:
        """PnL over the margin the entry needed (the current venue's definition)."""
        basis = abs(self.szi) * self.entry_px / self.leverage
        return self.unrealized_pnl / basis if basis else ZERO


@dataclass(frozen=True, slots=True)
class AccountRisk:
    """One account's perp margin state: cross USD ledger plus positions.

    ``cross_raw_usd`` is ``crossMarginSummary.totalRawUsd``: the cash of the cross account,
    into which opening a long pays its cost (so ``accountValue = rawUsd + Σ szi*mark``).
    """

    cross_raw_usd: Decimal
    positions: tuple[PositionRisk, ...] = ()

    @property
    def cross_positions(self) -> tuple[PositionRisk, ...]:
        return tuple(p for p in self.positions if p.is_cross and p.szi != 0)

    @property
    def isolated_positions(self) -> tuple[PositionRisk, ...]:
        return tuple(p for p in self.positions if not p.is_cross and p.szi != 0)

    @property
    def cross_account_value(self) -> Decimal:
        return self.cross_raw_usd + sum((p.szi * p.mark_px for p in self.cross_positions), ZERO)

    @property
    def account_value(self) -> Decimal:
        """Cross account value plus every isolated position's margin."""
        isolated = sum((p.isolated_margin for p in self.isolated_positions), ZERO)
        return self.cross_account_value + isolated

    @property
    def cross_maintenance_margin(self) -> Decimal:
        return sum((p.maintenance_margin for p in self.cross_positions), ZERO)

    @property
    def cross_initial_margin(self) -> Decimal:
        return sum((p.initial_margin for p in self.cross_positions), ZERO)

    @property
    def withdrawable(self) -> Decimal:
        """What may leave the account: cross equity minus the transfer margin requirement.

        The requirement per position is ``max(initial margin, 10% of its notional)`` (PROTOCOL
        §11.4); for leverage at or below 10x that equals the reported ``totalMarginUsed``.
        """
        held = sum(
            (
                max(p.initial_margin, TRANSFER_MARGIN_FLOOR * p.position_value)
                for p in self.cross_positions
            ),
            ZERO,
        )
        return max(ZERO, self.cross_account_value - held)

    @property
    def cross_margin_available(self) -> Decimal:
        """Equity above maintenance: what absorbs losses before cross liquidation."""
        return self.cross_account_value - self.cross_maintenance_margin

    def is_cross_liquidatable(self) -> bool:
        return bool(self.cross_positions) and (
            self.cross_account_value < self.cross_maintenance_margin
        )

    def liquidation_price(self, coin: str) -> Decimal | None:
        """The mark price of ``coin`` at which its position would be liquidated, or None.

        Cross: all other cross positions held at their marks; isolated: only the position's
        own margin counts. None when no positive price liquidates it.
        """
        position = next((p for p in self.positions if p.coin == coin and p.szi != 0), None)
        if position is None:
            return None
        if not position.is_cross:
            assert position.isolated_raw_usd is not None
            return position.tiers.solve_liquidation(position.szi, position.isolated_raw_usd)
        others = [p for p in self.cross_positions if p is not position]
        constant = (
            self.cross_raw_usd
            + sum((p.szi * p.mark_px for p in others), ZERO)
            - sum((p.maintenance_margin for p in others), ZERO)
        )
        return position.tiers.solve_liquidation(position.szi, constant)


def maintenance_rate(max_leverage: int) -> Decimal:
    """Half the initial margin at max leverage (1.25% at 40x)."""
    return ONE / (2 * Decimal(max_leverage))


def impact_price(levels: Iterable[tuple[Decimal, Decimal]], notional: Decimal) -> Decimal | None:
    """Average fill price for trading ``notional`` USD through ``(px, sz)`` levels, best first.

    None when the book is too thin to fill it, in which case the venue has no impact price.
    """
    remaining = notional
    cost = ZERO
    size = ZERO
    for px, sz in levels:
        take = min(sz, remaining / px)
        cost += take * px
        size += take
        remaining -= take * px
        if remaining <= 0:
            return cost / size
    return None


def premium(
    oracle_px: Decimal, impact_bid: Decimal | None, impact_ask: Decimal | None
) -> Decimal | None:
    """Validator-perp premium: how far impact prices sit outside the oracle, over the oracle."""
    if impact_bid is None or impact_ask is None or oracle_px <= 0:
        return None
    return (max(impact_bid - oracle_px, ZERO) - max(oracle_px - impact_ask, ZERO)) / oracle_px


def hourly_funding_rate(average_premium: Decimal) -> Decimal:
    """Hourly rate from the hour's average premium: ``(P + clamp(r - P, ±0.05%)) / 8``, capped."""
    clamp = min(max(FUNDING_INTEREST_8H - average_premium, -FUNDING_CLAMP_8H), FUNDING_CLAMP_8H)
    rate = (average_premium + clamp) / 8
    return min(max(rate, -FUNDING_CAP_1H), FUNDING_CAP_1H)


def funding_payment(szi: Decimal, oracle_px: Decimal, hourly_rate: Decimal) -> Decimal:
    """USDC received (positive) or paid (negative): longs pay when the rate is positive."""
    return -szi * oracle_px * hourly_rate


def annualised(hourly_rate: Decimal) -> Decimal:
    return hourly_rate * 24 * 365


def average(values: Sequence[Decimal]) -> Decimal:
    return sum(values, ZERO) / len(values) if values else ZERO

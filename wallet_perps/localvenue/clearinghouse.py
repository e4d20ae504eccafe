"""The local venue's clearinghouse: balances, positions, margin, fees, funding, liquidation.

Accounts are kept the way Hyperliquid reports them (PROTOCOL §7.1): a cross USD ledger
(``totalRawUsd``) into which a long pays its cost and a short receives its proceeds, plus one
ledger per isolated position. Equity is then always ``rawUsd + Σ szi*mark``; trading at a price
never changes equity valued at that price, and since every long has a short on the other side
(Σ szi = 0 per coin) the sum of all ledgers plus collected fees is exactly the USDC deposited
minus withdrawn. Every margin and liquidation number comes from ``core.risk`` so the app's
estimates and the venue's answers agree.

Nothing here does I/O or knows about order books: the exchange engine calls in with fills,
order reservations, funding settlements and prices.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal
from typing import Literal

from wallet_perps.core.risk import (
    ZERO,
    AccountRisk,
    PositionRisk,
    TierSchedule,
    funding_payment,
    ledger_usd,
    truncate_usd,
)

#: Market liquidations of positions above this notional go in 20% steps (mainnet: $100k).
LIQUIDATION_STEP_NOTIONAL = Decimal(100_000)
LIQUIDATION_STEP_FRACTION = Decimal("0.2")
#: Below this share of maintenance margin the backstop liquidator takes the position over.
BACKSTOP_FRACTION = Decimal(2) / Decimal(3)
DEFAULT_LEVERAGE = 20
#: Order reserves are rounded up to this, so their running total adds up exactly.
RESERVE_QUANTUM = Decimal("0.000000000001")


class ClearinghouseError(Exception):
    """A request the venue refuses; the message is the venue's own words."""


@dataclass(frozen=True, slots=True)
class MarketRules:
    coin: str
    asset_id: int
    sz_decimals: int
    tiers: TierSchedule
    only_isolated: bool = False

    @property
    def max_leverage(self) -> int:
        return self.tiers.max_leverage


@dataclass(slots=True)
class CumFunding:
    all_time: Decimal = ZERO
    since_open: Decimal = ZERO
    since_change: Decimal = ZERO


@dataclass(slots=True)
class Position:
    coin: str
    szi: Decimal = ZERO
    entry_px: Decimal = ZERO
    #: The isolated position's USD ledger; None for cross.
    isolated_raw_usd: Decimal | None = None
    funding: CumFunding = field(default_factory=CumFunding)


@dataclass(slots=True)
class LeverageSetting:
    is_cross: bool = True
    value: int = DEFAULT_LEVERAGE


@dataclass(slots=True)
class Account:
    user: str
    cross_raw_usd: Decimal = ZERO
    positions: dict[str, Position] = field(default_factory=dict)
    leverage: dict[str, LeverageSetting] = field(default_factory=dict)
    #: Margin held by resting orders that could open exposure, by oid.
    order_reserve: dict[int, Decimal] = field(default_factory=dict)
    #: Running sum of ``order_reserve`` (a market maker with 1000 resting orders must not pay
    #: a 1000-term sum on every margin check). Reserves are whole 1e-12 USD, so it is exact.
    reserved_total: Decimal = ZERO
    funding_all_time: dict[str, Decimal] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class FillEffect:
    """What one side of a trade did to its account, as a fill record reports it."""

    user: str
    coin: str
    start_position: Decimal
    direction: str
    closed_pnl: Decimal
    fee: Decimal


@dataclass(frozen=True, slots=True)
class FundingEffect:
    user: str
    coin: str
    usdc: Decimal
    szi: Decimal


@dataclass(frozen=True, slots=True)
class LiquidationOrder:
    """A liquidation the engine must carry out now."""

    user: str
    coin: str | None  # None: the whole cross account (backstop)
    method: Literal["market", "backstop"]
    is_buy: bool = False
    size: Decimal = ZERO


def fill_direction(start: Decimal, end: Decimal) -> str:
    """A fill's ``dir`` as the venue words it, from the position before and after."""
    if start >= 0 and end >= 0:
        return "Open Long" if end > start else "Close Long"
    if start <= 0 and end <= 0:
        return "Open Short" if end < start else "Close Short"
    return "Long > Short" if start > 0 else "Short > Long"


class Clearinghouse:
    def __init__(self, markets: Iterable[MarketRules]) -> None:
        self.markets: dict[str, MarketRules] = {m.coin: m for m in markets}
        self.accounts: dict[str, Account] = {}
        self.marks: dict[str, Decimal] = {}
        self.oracles: dict[str, Decimal] = {}
        #: Every fee ever charged; part of the conserved USDC total.
        self.fees_collected: Decimal = ZERO
        #: Rounding dust of funding payments (each payment is rounded to micro-USD on its own,
        #: so what longs pay and shorts receive can differ by a few units).
        self.funding_pool: Decimal = ZERO

    # -- accounts and prices -------------------------------------------------------------

    def account(self, user: str) -> Account:
        user = user.lower()
        account = self.accounts.get(user)
        if account is None:
            account = self.accounts[user] = Account(user)
        return account

    def has_account(self, user: str) -> bool:
        return user.lower() in self.accounts

    def set_prices(self, marks: Mapping[str, Decimal], oracles: Mapping[str, Decimal]) -> None:
        self.marks.update(marks)
        self.oracles.update(oracles)

    def leverage_of(self, user: str, coin: str) -> LeverageSetting:
        account = self.account(user)
        setting = account.leverage.get(coin)
        if setting is None:
            rules = self.markets[coin]
            setting = LeverageSetting(
                is_cross=not rules.only_isolated, value=min(DEFAULT_LEVERAGE, rules.max_leverage)
            )
            account.leverage[coin] = setting
        return setting

    def _mark(self, coin: str) -> Decimal:
        mark = self.marks.get(coin)
        if mark is None:
            raise ClearinghouseError(f"No mark price for {coin}.")
        return mark

    def risk(self, user: str) -> AccountRisk:
        account = self.account(user)
        positions = []
        for position in account.positions.values():
            if position.szi == 0:
                continue
            rules = self.markets[position.coin]
            positions.append(
                PositionRisk(
                    coin=position.coin,
                    szi=position.szi,
                    entry_px=position.entry_px,
                    mark_px=self._mark(position.coin),
                    leverage=self.leverage_of(user, position.coin).value,
                    tiers=rules.tiers,
                    isolated_raw_usd=position.isolated_raw_usd,
                )
            )
        return AccountRisk(account.cross_raw_usd, tuple(positions))

    def total_usdc(self) -> Decimal:
        """All ledgers plus fees: conserved, since Σ szi is zero per coin."""
        total = self.fees_collected + self.funding_pool
        for account in self.accounts.values():
            total += account.cross_raw_usd
            for position in account.positions.values():
                if position.isolated_raw_usd is not None:
                    total += position.isolated_raw_usd
        return total

    # -- transfers -------------------------------------------------------------------------

    def deposit(self, user: str, amount: Decimal) -> None:
        if amount <= 0 or ledger_usd(amount) != amount:
            raise ClearinghouseError("Deposit amount must be positive with at most 6 decimals.")
        self.account(user).cross_raw_usd += amount

    def withdrawable(self, user: str) -> Decimal:
        account = self.account(user)
        return max(ZERO, self.risk(user).withdrawable - account.reserved_total)

    def debit(self, user: str, amount: Decimal) -> None:
        """Takes USDC out (withdrawal, transfer) if the transfer margin rule allows it."""
        if amount <= 0 or ledger_usd(amount) != amount:
            raise ClearinghouseError("Amount must be positive with at most 6 decimals.")
        if amount > self.withdrawable(user):
            raise ClearinghouseError("Insufficient balance for withdrawal.")
        self.account(user).cross_raw_usd -= amount

    def transfer(self, user: str, destination: str, amount: Decimal) -> None:
        self.debit(user, amount)
        self.account(destination).cross_raw_usd += amount

    # -- leverage and isolated margin --------------------------------------------------------

    def update_leverage(self, user: str, coin: str, is_cross: bool, leverage: int) -> None:
        rules = self.markets[coin]
        if leverage < 1 or leverage > rules.max_leverage:
            raise ClearinghouseError("Invalid leverage value.")
        if is_cross and rules.only_isolated:
            raise ClearinghouseError("Cross margin is not allowed for this asset.")
        account = self.account(user)
        position = account.positions.get(coin)
        setting = self.leverage_of(user, coin)
        if position is not None and position.szi != 0:
            if is_cross != (position.isolated_raw_usd is None):
                raise ClearinghouseError("Cannot switch leverage type with open position.")
            notional = abs(position.szi) * self._mark(coin)
            if leverage > rules.tiers.max_leverage_at(notional):
                raise ClearinghouseError(
                    "Order would cause position to exceed margin tier limit at current leverage"
                )
            old = setting.value
            setting.value = leverage
            if self._margin_shortfall(user) > 0:
                setting.value = old
                raise ClearinghouseError("Insufficient margin to update leverage.")
        setting.is_cross = is_cross
        setting.value = leverage

    def update_isolated_margin(self, user: str, coin: str, delta: Decimal) -> None:
        account = self.account(user)
        position = account.positions.get(coin)
        if position is None or position.szi == 0 or position.isolated_raw_usd is None:
            raise ClearinghouseError("Cannot update margin for a position that is not isolated.")
        if ledger_usd(delta) != delta:
            raise ClearinghouseError("Margin change must be whole micro-USD.")
        if delta > 0:
            if delta > self.withdrawable(user):
                raise ClearinghouseError("Insufficient margin to add.")
            account.cross_raw_usd -= delta
            position.isolated_raw_usd += delta
            return
        remove = -delta
        risk = self._position_risk(user, coin)
        keep = max(risk.initial_margin, risk.position_value / 10)
        if risk.isolated_margin - remove < keep:
            raise ClearinghouseError("Insufficient margin to remove.")
        position.isolated_raw_usd -= remove
        account.cross_raw_usd += remove

    def _position_risk(self, user: str, coin: str) -> PositionRisk:
        for position in self.risk(user).positions:
            if position.coin == coin:
                return position
        raise ClearinghouseError(f"No open {coin} position.")

    # -- orders ------------------------------------------------------------------------------

    def available_to_trade(self, user: str) -> Decimal:
        """Cross equity not yet committed to positions or resting orders."""
        risk = self.risk(user)
        account = self.account(user)
        return risk.cross_account_value - risk.cross_initial_margin - account.reserved_total

    def _margin_shortfall(self, user: str) -> Decimal:
        return max(ZERO, -self.available_to_trade(user))

    def opening_size(self, user: str, coin: str, is_buy: bool, size: Decimal) -> Decimal:
        """How much of an order would add exposure (the rest reduces the position)."""
        position = self.account(user).positions.get(coin)
        szi = position.szi if position is not None else ZERO
        delta = size if is_buy else -size
        return max(ZERO, abs(szi + delta) - abs(szi))

    def order_margin(
        self, user: str, coin: str, is_buy: bool, size: Decimal, px: Decimal
    ) -> Decimal:
        """Initial margin an order needs: its opening part at its own price and leverage."""
        opening = self.opening_size(user, coin, is_buy, size)
        return opening * px / self.leverage_of(user, coin).value

    def check_order(
        self, user: str, coin: str, is_buy: bool, size: Decimal, px: Decimal, reduce_only: bool
    ) -> None:
        """Raises the venue's message when the account cannot place this order."""
        position = self.account(user).positions.get(coin)
        szi = position.szi if position is not None else ZERO
        if reduce_only:
            if szi == 0 or (szi > 0) == is_buy:
                raise ClearinghouseError("Reduce only order would increase position.")
            return
        opening = self.opening_size(user, coin, is_buy, size)
        if opening == 0:
            return
        rules = self.markets[coin]
        leverage = self.leverage_of(user, coin).value
        new_notional = (abs(szi) + opening) * px
        if leverage > rules.tiers.max_leverage_at(new_notional):
            raise ClearinghouseError(
                "Order would cause position to exceed margin tier limit at current leverage"
            )
        if opening * px / leverage > self.available_to_trade(user):
            raise ClearinghouseError("Insufficient margin to place order.")

    def reserve_order(
        self, user: str, oid: int, coin: str, is_buy: bool, size: Decimal, px: Decimal
    ) -> None:
        margin = self.order_margin(user, coin, is_buy, size, px)
        if margin > 0:
            margin = margin.quantize(RESERVE_QUANTUM, rounding=ROUND_CEILING)
            account = self.account(user)
            self.release_order(user, oid)
            account.order_reserve[oid] = margin
            account.reserved_total += margin

    def release_order(self, user: str, oid: int) -> None:
        account = self.account(user)
        margin = account.order_reserve.pop(oid, None)
        if margin is not None:
            account.reserved_total = (
                account.reserved_total - margin if account.order_reserve else ZERO
            )

    def maker_can_fill(
        self, user: str, oid: int, coin: str, is_buy: bool, size: Decimal, px: Decimal
    ) -> bool:
        """Re-checks a resting order's margin at match time (PROTOCOL §11.1)."""
        need = self.order_margin(user, coin, is_buy, size, px)
        if need == 0:
            return True
        own = self.account(user).order_reserve.get(oid, ZERO)
        return need <= self.available_to_trade(user) + own

    # -- fills -------------------------------------------------------------------------------

    def apply_fill(
        self, user: str, coin: str, is_buy: bool, px: Decimal, size: Decimal, fee_rate: Decimal
    ) -> FillEffect:
        """Moves cash and position for one side of a trade at ``px``."""
        account = self.account(user)
        setting = self.leverage_of(user, coin)
        position = account.positions.get(coin)
        if position is None or position.szi == 0:
            position = Position(
                coin,
                isolated_raw_usd=None if setting.is_cross else ZERO,
                funding=position.funding if position is not None else CumFunding(),
            )
            position.funding.since_open = ZERO
            account.positions[coin] = position
        start = position.szi
        delta = size if is_buy else -size
        end = start + delta
        fee = ledger_usd(px * size * fee_rate)
        cash = ledger_usd(delta * px)
        self.fees_collected += fee

        closing = min(abs(start), size) if start != 0 and (start > 0) != is_buy else ZERO
        closed_pnl = ZERO
        if closing:
            closed_pnl = (px - position.entry_px) * closing * (1 if start > 0 else -1)
        opening = size - closing

        if position.isolated_raw_usd is None:
            account.cross_raw_usd -= cash + fee
        else:
            self._isolated_fill(
                account, position, start, size, cash, px, fee, setting.value, closing
            )

        if opening:
            base = abs(start) if closing == 0 else ZERO
            base_entry = position.entry_px if closing == 0 else ZERO
            position.entry_px = (base * base_entry + opening * px) / (base + opening)
        position.szi = end
        if end == 0:
            position.entry_px = ZERO
            if position.isolated_raw_usd is not None:
                account.cross_raw_usd += position.isolated_raw_usd
                position.isolated_raw_usd = None
        return FillEffect(user, coin, start, fill_direction(start, end), closed_pnl, fee)

    def _isolated_fill(
        self,
        account: Account,
        position: Position,
        start: Decimal,
        size: Decimal,
        cash: Decimal,
        px: Decimal,
        fee: Decimal,
        leverage: int,
        closing: Decimal,
    ) -> None:
        """Isolated fills: margin moves in for the opening part, out pro rata for the closing."""
        assert position.isolated_raw_usd is not None
        if closing:
            # The position's equity at px is unchanged by trading at px; release it pro rata.
            equity = position.isolated_raw_usd + start * px
            released = ledger_usd(equity * closing / abs(start))
            position.isolated_raw_usd -= released
            account.cross_raw_usd += released
        margin_in = ledger_usd((size - closing) * px / leverage)
        account.cross_raw_usd -= margin_in
        position.isolated_raw_usd += margin_in - cash - fee

    # -- funding -----------------------------------------------------------------------------

    def apply_funding(self, coin: str, hourly_rate: Decimal) -> list[FundingEffect]:
        """Pays one hour of funding on every open position, on the oracle price."""
        oracle = self.oracles.get(coin) or self._mark(coin)
        effects = []
        for account in self.accounts.values():
            position = account.positions.get(coin)
            if position is None or position.szi == 0:
                continue
            usdc = ledger_usd(funding_payment(position.szi, oracle, hourly_rate))
            self.funding_pool -= usdc
            if position.isolated_raw_usd is None:
                account.cross_raw_usd += usdc
            else:
                position.isolated_raw_usd += usdc
            position.funding.all_time -= usdc  # reported as paid (positive = paid)
            position.funding.since_open -= usdc
            position.funding.since_change -= usdc
            effects.append(FundingEffect(account.user, coin, usdc, position.szi))
        return effects

    # -- liquidation -------------------------------------------------------------------------

    def liquidations_due(self, user: str) -> list[LiquidationOrder]:
        """What must be liquidated in this account right now, per PROTOCOL §11.5."""
        risk = self.risk(user)
        orders: list[LiquidationOrder] = []
        for position in risk.isolated_positions:
            margin = position.isolated_margin
            maintenance = position.maintenance_margin
            if margin < maintenance:
                if margin < maintenance * BACKSTOP_FRACTION:
                    orders.append(LiquidationOrder(user, position.coin, "backstop"))
                else:
                    orders.append(self._market_step(user, position))
        if risk.is_cross_liquidatable():
            if risk.cross_account_value < risk.cross_maintenance_margin * BACKSTOP_FRACTION:
                orders.append(LiquidationOrder(user, None, "backstop"))
            else:
                orders.extend(self._market_step(user, p) for p in risk.cross_positions)
        return orders

    def _market_step(self, user: str, position: PositionRisk) -> LiquidationOrder:
        size = abs(position.szi)
        if position.position_value > LIQUIDATION_STEP_NOTIONAL:
            rules = self.markets[position.coin]
            step = (size * LIQUIDATION_STEP_FRACTION).quantize(
                Decimal(1).scaleb(-rules.sz_decimals)
            )
            size = max(step, Decimal(1).scaleb(-rules.sz_decimals))
        return LiquidationOrder(user, position.coin, "market", is_buy=position.szi < 0, size=size)

    def backstop(self, user: str, coin: str | None, liquidator: str) -> list[tuple[str, Decimal]]:
        """Hands positions and their margin to the liquidator vault at mark.

        Cross (``coin`` None): every cross position and the whole cross ledger go, leaving the
        user with zero cross equity. Isolated: only that position and its ledger. Returns the
        (coin, szi) moved. Moving ledger and position together keeps USDC conserved.
        """
        account = self.account(user)
        vault = self.account(liquidator)
        moved: list[tuple[str, Decimal]] = []
        if coin is None:
            targets = [
                p for p in account.positions.values() if p.szi and p.isolated_raw_usd is None
            ]
            vault.cross_raw_usd += account.cross_raw_usd
            account.cross_raw_usd = ZERO
        else:
            position = account.positions[coin]
            targets = [position]
            assert position.isolated_raw_usd is not None
            vault.cross_raw_usd += position.isolated_raw_usd
            position.isolated_raw_usd = None
        for position in targets:
            self._absorb(vault, position.coin, position.szi, self._mark(position.coin))
            moved.append((position.coin, position.szi))
            position.szi = ZERO
            position.entry_px = ZERO
        return moved

    def _absorb(self, vault: Account, coin: str, szi: Decimal, mark: Decimal) -> None:
        """Adds ``szi`` to the vault's cross position as if bought at mark.

        The ledger moved with the position already carries its cost basis, so only the entry
        price (for the vault's PnL display) needs the mark.
        """
        if coin not in vault.leverage:
            vault.leverage[coin] = LeverageSetting(True, 1)
        position = vault.positions.get(coin)
        if position is None:
            position = vault.positions[coin] = Position(coin)
        start = position.szi
        end = start + szi
        if start == 0 or (start > 0) == (szi > 0):
            position.entry_px = (abs(start) * position.entry_px + abs(szi) * mark) / abs(end)
        elif (end > 0) != (start > 0) and end != 0:
            position.entry_px = mark
        position.szi = end
        if end == 0:
            position.entry_px = ZERO

    # -- reporting ---------------------------------------------------------------------------

    def liquidation_px(self, user: str, coin: str) -> Decimal | None:
        return self.risk(user).liquidation_price(coin)

    def summary_numbers(self, user: str) -> dict[str, Decimal]:
        """The numbers of ``clearinghouseState``'s summaries, untruncated."""
        risk = self.risk(user)
        cross_ntl = sum((p.position_value for p in risk.cross_positions), ZERO)
        cross_used = sum((p.margin_used for p in risk.cross_positions), ZERO)
        iso_used = sum((p.margin_used for p in risk.isolated_positions), ZERO)
        iso_ntl = sum((p.position_value for p in risk.isolated_positions), ZERO)
        iso_raw = sum(
            (p.isolated_raw_usd for p in risk.isolated_positions if p.isolated_raw_usd is not None),
            ZERO,
        )
        return {
            "cross_account_value": risk.cross_account_value,
            "cross_total_ntl_pos": cross_ntl,
            "cross_total_margin_used": cross_used,
            "cross_total_raw_usd": risk.cross_raw_usd,
            "account_value": risk.account_value,
            "total_ntl_pos": cross_ntl + iso_ntl,
            "total_margin_used": cross_used + iso_used,
            "total_raw_usd": risk.cross_raw_usd + iso_raw,
            "cross_maintenance_margin_used": risk.cross_maintenance_margin,
            "withdrawable": self.withdrawable(user),
        }

    def reported(self, value: Decimal) -> Decimal:
        """USD as the venue reports it (truncated to 6 decimals)."""
        return truncate_usd(value)

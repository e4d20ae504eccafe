"""What a ticket's fills would do to the account, booked exactly as the venue books them.

Why apart: the validator (:mod:`wallet_perps.core.ticket_validation`) needs a replay of the
expected fills to estimate the liquidation price and the margin, and the Trade page needs the
same reservation rule for resting orders. The replay goes through
:class:`~wallet_perps.core.risk.AccountRisk` as the venue's clearinghouse books fills (cross:
cash moves by ``size*px + fee``; isolated: ``size*px/leverage`` moves in and the fee is paid
from it), so the estimate and the venue's ``liquidationPx`` after the fill come from the same
formula. Pure and synchronous.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from wallet_perps.core.models import AccountState, BookLevel, Market, Meta, Position
from wallet_perps.core.orders import OpenOrder
from wallet_perps.core.risk import ZERO, PositionRisk, TierSchedule, ledger_usd
from wallet_perps.core.tickets import PlannedFill

__all__ = [
    "LedgerReplay",
    "available_to_trade",
    "position_risk",
    "reserved_margin",
    "tier_schedule",
    "walk_book",
]


def tier_schedule(market: Market, meta: Meta | None = None) -> TierSchedule:
    """The maintenance schedule for ``market``: its margin table, or one tier at max leverage."""
    if meta is not None and market.name in meta:
        try:
            table = meta.margin_table_for(market.name)
        except KeyError:
            table = None
        if table is not None and table.tiers:
            return TierSchedule(table.tiers)
    return TierSchedule.single(market.max_leverage)


def _position_tiers(position: Position, meta: Meta | None) -> TierSchedule:
    if meta is not None and position.coin in meta:
        return tier_schedule(meta.market(position.coin), meta)
    return TierSchedule.single(position.max_leverage or position.leverage.value)


def position_risk(position: Position, meta: Meta | None) -> PositionRisk:
    """A reported position as the risk calculator wants it, valued at the venue's mark."""
    size = abs(position.szi)
    mark = position.position_value / size if size else ZERO
    raw = None if position.leverage.is_cross else (position.leverage.raw_usd or ZERO)
    return PositionRisk(
        coin=position.coin,
        szi=position.szi,
        entry_px=position.entry_px or mark,
        mark_px=mark,
        leverage=position.leverage.value,
        tiers=_position_tiers(position, meta),
        isolated_raw_usd=raw,
    )


def walk_book(
    levels: Sequence[BookLevel], size: Decimal, limit: Decimal, is_buy: bool
) -> list[PlannedFill]:
    """Taker fills for ``size`` through ``levels`` (best first), never beyond ``limit``."""
    fills: list[PlannedFill] = []
    remaining = size
    for level in levels:
        if remaining <= 0:
            break
        if (is_buy and level.px > limit) or (not is_buy and level.px < limit):
            break
        take = min(level.sz, remaining)
        if take > 0:
            fills.append(PlannedFill(level.px, take, crossed=True))
            remaining -= take
    return fills


@dataclass(slots=True)
class LedgerReplay:
    """A position replayed through fills, booking cash exactly like the venue's ledger."""

    szi: Decimal
    entry: Decimal
    cross_raw: Decimal
    isolated_raw: Decimal | None
    leverage: int
    opening_margin: Decimal = ZERO
    fee: Decimal = ZERO

    def fill(self, is_buy: bool, px: Decimal, sz: Decimal, fee_rate: Decimal) -> None:
        start = self.szi
        delta = sz if is_buy else -sz
        fee = ledger_usd(px * sz * fee_rate)
        cash = ledger_usd(delta * px)
        self.fee += fee
        closing = min(abs(start), sz) if start != 0 and (start > 0) != is_buy else ZERO
        opening = sz - closing
        self.opening_margin += opening * px / self.leverage
        if self.isolated_raw is None:
            self.cross_raw -= cash + fee
        else:
            if closing:
                equity = self.isolated_raw + start * px
                released = ledger_usd(equity * closing / abs(start))
                self.isolated_raw -= released
                self.cross_raw += released
            margin_in = ledger_usd(opening * px / self.leverage)
            self.cross_raw -= margin_in
            self.isolated_raw += margin_in - cash - fee
        if opening:
            base = abs(start) if closing == 0 else ZERO
            base_entry = self.entry if closing == 0 else ZERO
            self.entry = (base * base_entry + opening * px) / (base + opening)
        self.szi = start + delta
        if self.szi == 0:
            self.entry = ZERO
            if self.isolated_raw is not None:
                self.cross_raw += self.isolated_raw
                self.isolated_raw = ZERO


def reserved_margin(
    open_orders: Sequence[OpenOrder], account: AccountState, coin: str | None, leverage: int
) -> Decimal:
    """Margin the venue holds for resting orders: their opening size at their price / leverage.

    The leverage of a coin is known from its position, or is the ticket's for its own coin;
    orders in other flat coins are left out (the venue stays the final judge).
    """
    total = ZERO
    for order in open_orders:
        if order.reduce_only or order.is_trigger:
            continue
        position = account.position(order.coin)
        if position is not None:
            lev = position.leverage.value
            szi = position.szi
        elif order.coin == coin:
            lev, szi = leverage, ZERO
        else:
            continue
        delta = order.sz if order.side.is_buy else -order.sz
        opening = max(ZERO, abs(szi + delta) - abs(szi))
        total += opening * order.limit_px / lev
    return total


def available_to_trade(
    account: AccountState,
    open_orders: Sequence[OpenOrder],
    coin: str | None = None,
    leverage: int = 1,
) -> Decimal:
    """What the venue's margin check still accepts for a new position: cross equity minus
    the margin in use and minus what resting orders reserve.

    One rule for the ticket's validator, its "Available" and the Wallet page, so no two
    screens show two numbers under one name. ``coin`` and ``leverage`` are the ticket's
    (its own coin's flat orders reserve at that leverage); without them, resting orders in
    coins with no position are left out, as :func:`reserved_margin` says.
    """
    cross = account.cross_margin_summary
    reserved = reserved_margin(open_orders, account, coin, leverage)
    return cross.account_value - cross.total_margin_used - reserved

"""What the user typed in the order ticket -> a validated order plan, or a readable error.

Why this lives in ``core`` and is pure: the ticket is re-validated on every keystroke and
every book update to show the live estimates under it (UX.md, Trade screen), so it must be
cheap, synchronous and testable without a venue. The same function also decides what the
Trader is allowed to send, so the numbers the user confirmed are exactly the numbers signed.

Rules mirror the venue (PROTOCOL §3, §6.1, §11.3-§11.6) so that a refusal happens here, in
plain words, instead of after a round trip:

* sizes are rounded to the lot (``szDecimals``), prices to a valid tick in the direction that
  never makes the order worse than asked for filling: up for buys, down for sells;
* the $10 minimum is checked at the order's own price (the venue checks ``px * sz`` with the
  limit or slippage price), reduce-only orders are exempt;
* margin is checked the venue's way: the opening part of the order at the order's price over
  the leverage must fit in cross equity minus margin already in use;
* the liquidation estimate replays the fills through :class:`~wallet_perps.core.risk.AccountRisk`
  exactly as the venue's clearinghouse books them (cross: cash moves by ``size*px + fee``;
  isolated: ``size*px/leverage`` moves in and the fee is paid from it), so the estimate and the
  venue's ``liquidationPx`` after the fill come from the same formula.

Nothing here does I/O, and nothing imports Qt or the wire layer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from enum import StrEnum
from typing import Final, Literal

from wallet_perps.core.models import (
    AccountState,
    AssetContext,
    BookLevel,
    L2Book,
    LeverageType,
    Market,
    Meta,
    Position,
)
from wallet_perps.core.numbers import NumberError, round_price, round_size
from wallet_perps.core.orders import OpenOrder
from wallet_perps.core.risk import (
    ZERO,
    AccountRisk,
    PositionRisk,
    Tier,
    TierSchedule,
    funding_payment,
)

__all__ = [
    "DEFAULT_SLIPPAGE_PCT",
    "MAKER_FEE",
    "MIN_ORDER_VALUE",
    "TAKER_FEE",
    "TPSL_SLIPPAGE",
    "AmountUnit",
    "OrderKind",
    "OrderPlan",
    "PlannedFill",
    "Ticket",
    "TicketError",
    "TicketSide",
    "TpslLeg",
    "tier_schedule",
    "validate_ticket",
]

#: The venue's minimum order value for perps (PROTOCOL §3).
MIN_ORDER_VALUE: Final = Decimal(10)
#: Base-tier perp fees (PROTOCOL §11.6): what a new account pays.
TAKER_FEE: Final = Decimal("0.00045")
MAKER_FEE: Final = Decimal("0.00015")
#: The SDK's market-order slippage (``DEFAULT_SLIPPAGE = 0.05``), in percent.
DEFAULT_SLIPPAGE_PCT: Final = Decimal(5)
#: Market TP/SL orders execute with 10% slippage tolerance, like the venue's UI (§6.1).
TPSL_SLIPPAGE: Final = Decimal("0.10")
_MAX_SLIPPAGE_PCT: Final = Decimal(50)
_MICRO: Final = Decimal("0.000001")
_HUNDRED: Final = Decimal(100)


class TicketSide(StrEnum):
    LONG = "long"
    SHORT = "short"


class AmountUnit(StrEnum):
    USD = "usd"
    COIN = "coin"


class OrderKind(StrEnum):
    MARKET = "market"
    LIMIT = "limit"


@dataclass(frozen=True, slots=True)
class Ticket:
    """The order ticket exactly as the user filled it in; nothing is rounded yet.

    ``slippage_pct`` is in percent (``Decimal(1)`` = 1%) because that is how the user types
    it; it bounds a market order's price (IOC at mid ± slippage).
    """

    coin: str
    side: TicketSide
    amount: Decimal
    unit: AmountUnit = AmountUnit.USD
    leverage: int = 10
    margin_mode: LeverageType = LeverageType.CROSS
    kind: OrderKind = OrderKind.MARKET
    limit_px: Decimal | None = None
    slippage_pct: Decimal = DEFAULT_SLIPPAGE_PCT
    take_profit_px: Decimal | None = None
    stop_loss_px: Decimal | None = None
    reduce_only: bool = False

    @property
    def is_buy(self) -> bool:
        return self.side is TicketSide.LONG


@dataclass(frozen=True, slots=True)
class TicketError:
    """Why a ticket cannot be sent, as a sentence for the user.

    ``field`` names the input to highlight ("amount", "leverage", "limit_px", "take_profit",
    "stop_loss", "margin_mode", "slippage", "reduce_only", or None for the whole ticket).
    """

    message: str
    field: str | None = None

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True, slots=True)
class TpslLeg:
    """One take-profit or stop-loss child: a reduce-only market trigger order.

    ``trigger_px`` is tick-valid; ``limit_px`` is the worst price the triggered market order
    accepts (10% beyond the trigger, rounded away from the trigger), which the wire needs.
    """

    kind: Literal["tp", "sl"]
    trigger_px: Decimal
    limit_px: Decimal


@dataclass(frozen=True, slots=True)
class PlannedFill:
    """One expected fill: ``sz`` at ``px``, as a taker (``crossed``) or as a resting maker."""

    px: Decimal
    sz: Decimal
    crossed: bool


@dataclass(frozen=True, slots=True)
class OrderPlan:
    """A validated order and what it is expected to do.

    ``price`` is what goes on the wire: the limit for a limit order, the slippage bound for a
    market order; ``tif`` is "Ioc" for market orders and "Gtc" for limit orders. Estimates
    assume the whole order fills (a limit order at its price, after taking what it crosses).
    ``funding_per_hour`` is what this order's size would receive per hour at the current
    rate, so it is negative when it would pay (longs pay when funding is positive).
    ``margin_required`` is the initial margin the opening part uses at the estimated fills;
    ``margin_check`` is what the venue checks before accepting (at the order's price).
    """

    ticket: Ticket
    market: Market
    is_buy: bool
    size: Decimal
    price: Decimal
    tif: Literal["Ioc", "Gtc"]
    reduce_only: bool
    leverage: int
    margin_mode: LeverageType
    reference_px: Decimal
    est_entry_px: Decimal
    est_notional: Decimal
    fills: tuple[PlannedFill, ...]
    position_before: Decimal
    position_after: Decimal
    liquidation_px: Decimal | None
    margin_required: Decimal
    margin_check: Decimal
    available_margin: Decimal | None
    fee: Decimal
    funding_per_hour: Decimal
    max_slippage_pct: Decimal | None
    take_profit: TpslLeg | None = None
    stop_loss: TpslLeg | None = None
    warnings: tuple[str, ...] = field(default=())
    #: Surprises the user must see before this is sent, even with reviews turned off: the
    #: order re-sets an open position's leverage, or a TP/SL trigger is far from the mark.
    #: Each is also among ``warnings``.
    confirm_reasons: tuple[str, ...] = field(default=())

    @property
    def coin(self) -> str:
        return self.market.name

    @property
    def is_market(self) -> bool:
        return self.tif == "Ioc"

    @property
    def action_label(self) -> str:
        """What the confirm button says, e.g. "Open Long 0.0103 BTC" or "Close Short 1 ETH"."""
        before, after = self.position_before, self.position_after
        side = "Long" if self.is_buy else "Short"
        if before == 0 or (before > 0) == self.is_buy:
            verb = "Open" if before == 0 else "Add to"
        elif after == 0 or (after > 0) == (before > 0):
            verb = "Close" if after == 0 else "Reduce"
            side = "Long" if before > 0 else "Short"
        else:
            verb = "Flip to"
        return f"{verb} {side} {_plain(self.size)} {self.market.name}"


# ------------------------------------------------------------------------------- helpers


def _plain(value: Decimal) -> str:
    """A Decimal without exponent or trailing zeros, for sentences."""
    text = format(value.normalize(), "f") if value else "0"
    return text


def _usd(value: Decimal) -> str:
    """Money for a sentence: $1,234.50 (negative as -$1.20)."""
    sign = "-" if value < 0 else ""
    return f"{sign}${abs(value).quantize(Decimal('0.01'), rounding=ROUND_HALF_EVEN):,}"


def _px(value: Decimal) -> str:
    return f"${_plain(value)}"


def _ledger(amount: Decimal) -> Decimal:
    """Amounts move between ledgers in whole micro-USD, as the venue books them."""
    return amount.quantize(_MICRO, rounding=ROUND_HALF_EVEN)


def tier_schedule(market: Market, meta: Meta | None = None) -> TierSchedule:
    """The maintenance schedule for ``market``: its margin table, or one tier at max leverage."""
    if meta is not None and market.name in meta:
        try:
            table = meta.margin_table_for(market.name)
        except KeyError:
            table = None
        if table is not None and table.tiers:
            return TierSchedule(tuple(Tier(t.lower_bound, t.max_leverage) for t in table.tiers))
    return TierSchedule.single(market.max_leverage)


def _position_tiers(position: Position, meta: Meta | None) -> TierSchedule:
    if meta is not None and position.coin in meta:
        return tier_schedule(meta.market(position.coin), meta)
    return TierSchedule.single(position.max_leverage or position.leverage.value)


def _position_risk(position: Position, meta: Meta | None) -> PositionRisk:
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


def _walk(
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
class _Book:
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
        fee = _ledger(px * sz * fee_rate)
        cash = _ledger(delta * px)
        self.fee += fee
        closing = min(abs(start), sz) if start != 0 and (start > 0) != is_buy else ZERO
        opening = sz - closing
        self.opening_margin += opening * px / self.leverage
        if self.isolated_raw is None:
            self.cross_raw -= cash + fee
        else:
            if closing:
                equity = self.isolated_raw + start * px
                released = _ledger(equity * closing / abs(start))
                self.isolated_raw -= released
                self.cross_raw += released
            margin_in = _ledger(opening * px / self.leverage)
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
    open_orders: Sequence[OpenOrder], account: AccountState, coin: str, leverage: int
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


# ------------------------------------------------------------------------------- validation


def validate_ticket(
    ticket: Ticket,
    market: Market,
    ctx: AssetContext,
    book: L2Book | None,
    account: AccountState | None,
    *,
    meta: Meta | None = None,
    open_orders: Sequence[OpenOrder] = (),
    fee_rates: Mapping[str, Decimal] | None = None,
) -> OrderPlan | TicketError:
    """Validate ``ticket`` against the market and the account; return a plan or the reason.

    ``meta`` supplies margin tiers (without it each market has one tier at its max
    leverage, which is what every tier table gives below $3M notional). ``open_orders``
    lets the margin check count what resting orders already reserve. ``fee_rates`` may
    override ``{"taker": ..., "maker": ...}`` for accounts above the base fee tier.
    """
    coin = market.name
    taker = (fee_rates or {}).get("taker", TAKER_FEE)
    maker = (fee_rates or {}).get("maker", MAKER_FEE)
    warnings: list[str] = []
    is_buy = ticket.is_buy

    if ticket.coin != coin or ctx.coin != coin:
        return TicketError(f"The ticket is for {ticket.coin}, but the market shown is {coin}.")
    if market.is_delisted:
        return TicketError(f"{coin} is delisted and cannot be traded.")

    # Leverage and margin mode.
    if isinstance(ticket.leverage, bool) or not isinstance(ticket.leverage, int):
        return TicketError("Leverage must be a whole number.", "leverage")
    if ticket.leverage < 1:
        return TicketError("Leverage must be at least 1x.", "leverage")
    if ticket.leverage > market.max_leverage:
        return TicketError(
            f"Leverage {ticket.leverage}x is above {coin}'s maximum of {market.max_leverage}x.",
            "leverage",
        )
    cross_only_forbidden = market.only_isolated or market.margin_mode in (
        "strictIsolated",
        "noCross",
    )
    if ticket.margin_mode is LeverageType.CROSS and cross_only_forbidden:
        return TicketError(f"{coin} can only be traded with isolated margin.", "margin_mode")

    position = account.position(coin) if account is not None else None
    before = position.szi if position is not None else ZERO
    if position is not None and before != 0 and position.leverage.type is not ticket.margin_mode:
        return TicketError(
            f"Your {coin} position uses {position.leverage.type.value} margin; close it before "
            f"trading {coin} with {ticket.margin_mode.value} margin.",
            "margin_mode",
        )

    # Amount.
    if not isinstance(ticket.amount, Decimal) or not ticket.amount.is_finite():
        return TicketError("Enter an amount.", "amount")
    if ticket.amount <= 0:
        return TicketError("Enter an amount greater than zero.", "amount")

    # Reference price: the book's mid, else the venue's mid, else mark.
    book_mid = book.mid if book is not None else None
    reference = book_mid or ctx.mid_px or ctx.mark_px
    if reference <= 0:
        return TicketError(f"{coin} has no price yet; wait for the market to load.")

    # Order price.
    max_slippage: Decimal | None = None
    if ticket.kind is OrderKind.LIMIT:
        if ticket.limit_px is None or not ticket.limit_px.is_finite() or ticket.limit_px <= 0:
            return TicketError("Enter a limit price.", "limit_px")
        try:
            price = round_price(
                ticket.limit_px, market.sz_decimals, direction="up" if is_buy else "down"
            )
        except NumberError as exc:
            return TicketError(f"Limit price: {exc}.", "limit_px")
        if price != ticket.limit_px:
            warnings.append(f"Limit price adjusted to the tick size: {_px(price)}.")
        tif: Literal["Ioc", "Gtc"] = "Gtc"
    else:
        slip = ticket.slippage_pct
        if not slip.is_finite() or slip <= 0 or slip > _MAX_SLIPPAGE_PCT:
            return TicketError(
                f"Slippage must be more than 0% and at most {_plain(_MAX_SLIPPAGE_PCT)}%.",
                "slippage",
            )
        factor = 1 + slip / _HUNDRED if is_buy else 1 - slip / _HUNDRED
        try:
            price = round_price(
                reference * factor, market.sz_decimals, direction="up" if is_buy else "down"
            )
        except NumberError as exc:
            return TicketError(f"Slippage price: {exc}.", "slippage")
        max_slippage = abs(price - reference) / reference * _HUNDRED
        tif = "Ioc"

    # Size.
    sizing_px = price if ticket.kind is OrderKind.LIMIT else reference
    try:
        if ticket.unit is AmountUnit.USD:
            size = round_size(ticket.amount / sizing_px, market.sz_decimals, "nearest")
        else:
            size = round_size(ticket.amount, market.sz_decimals, "down")
    except NumberError:
        smallest = Decimal((0, (1,), -market.sz_decimals))
        return TicketError(
            f"The amount is below {coin}'s smallest size of {_plain(smallest)} {coin}.", "amount"
        )
    if ticket.unit is AmountUnit.COIN and size != ticket.amount:
        warnings.append(f"Size rounded down to {_plain(size)} {coin} ({coin}'s lot size).")

    # Reduce-only.
    if ticket.reduce_only:
        if ticket.take_profit_px is not None or ticket.stop_loss_px is not None:
            return TicketError(
                "Take-profit and stop-loss cannot be attached to a reduce-only order.",
                "reduce_only",
            )
        if before == 0:
            return TicketError(
                f"Reduce-only: you have no {coin} position to reduce.", "reduce_only"
            )
        if (before > 0) == is_buy:
            held = "long" if before > 0 else "short"
            needed = "Short (sell)" if before > 0 else "Long (buy)"
            return TicketError(
                f"Reduce-only: you are {held} {coin}; choose {needed} to reduce it.",
                "reduce_only",
            )
        if size > abs(before):
            size = abs(before)
            warnings.append(f"Reduce-only size capped at your position, {_plain(size)} {coin}.")
    elif ticket.unit is AmountUnit.USD and size * price < MIN_ORDER_VALUE <= ticket.amount:
        # "$10" typed: one more lot rather than a refusal caused only by rounding.
        size = round_size(ticket.amount / sizing_px, market.sz_decimals, "up")

    # Minimum value: the venue checks it at the order's own price.
    if not ticket.reduce_only and size * price < MIN_ORDER_VALUE:
        if ticket.kind is OrderKind.MARKET and size * reference >= MIN_ORDER_VALUE:
            return TicketError(
                f"Minimum order value is {_usd(MIN_ORDER_VALUE)} at the worst price your "
                f"slippage allows (this order is {_usd(size * price)} at {_px(price)}); "
                "raise the amount or lower the slippage.",
                "amount",
            )
        return TicketError(
            f"Minimum order value is {_usd(MIN_ORDER_VALUE)} "
            f"(this order is {_usd(size * sizing_px)}).",
            "amount",
        )

    # Expected fills.
    levels: tuple[BookLevel, ...] = ()
    if book is not None:
        levels = book.asks if is_buy else book.bids
    fills: list[PlannedFill]
    if ticket.kind is OrderKind.MARKET:
        if book is None:
            fills = [PlannedFill(reference, size, crossed=True)]
            warnings.append("Order book not loaded; the entry is estimated from the mid price.")
        else:
            fills = _walk(levels, size, price, is_buy)
            filled = sum((f.sz for f in fills), ZERO)
            if filled == 0:
                return TicketError(
                    f"No {coin} liquidity within {_plain(ticket.slippage_pct)}% slippage; "
                    "raise the slippage or use a limit order.",
                    "slippage",
                )
            if filled < size:
                warnings.append(
                    f"Only {_plain(filled)} {coin} is available within "
                    f"{_plain(ticket.slippage_pct)}% slippage; the rest will not fill."
                )
    else:
        fills = _walk(levels, size, price, is_buy)
        rest = size - sum((f.sz for f in fills), ZERO)
        if fills:
            warnings.append("This limit order crosses the book: part of it fills at once.")
        if rest > 0:
            fills.append(PlannedFill(price, rest, crossed=False))
    fill_sz = sum((f.sz for f in fills), ZERO)
    est_notional = sum((f.px * f.sz for f in fills), ZERO)
    est_entry = est_notional / fill_sz

    # Replay the fills through the account as the venue books them.
    lev = ticket.leverage
    risk_others: list[PositionRisk] = []
    cross_raw = ZERO
    isolated_raw: Decimal | None = None if ticket.margin_mode is LeverageType.CROSS else ZERO
    if account is not None:
        cross_raw = account.cross_margin_summary.total_raw_usd
        for other in account.positions:
            if other.szi == 0:
                continue
            if other.coin == coin:
                if not other.leverage.is_cross:
                    isolated_raw = other.leverage.raw_usd or ZERO
                continue
            risk_others.append(_position_risk(other, meta))
    entry_before = position.entry_px if position is not None and position.entry_px else ZERO
    replay = _Book(before, entry_before, cross_raw, isolated_raw, lev)
    for f in fills:
        replay.fill(is_buy, f.px, f.sz, taker if f.crossed else maker)

    tiers = tier_schedule(market, meta)
    after = replay.szi
    liquidation: Decimal | None = None
    if account is not None and after != 0:
        target = PositionRisk(
            coin=coin,
            szi=after,
            entry_px=replay.entry,
            mark_px=ctx.mark_px,
            leverage=lev,
            tiers=tiers,
            isolated_raw_usd=replay.isolated_raw
            if ticket.margin_mode is LeverageType.ISOLATED
            else None,
        )
        risk = AccountRisk(replay.cross_raw, (*risk_others, target))
        liquidation = risk.liquidation_price(coin)
    elif account is None:
        warnings.append("Account not loaded; liquidation price and margin are not checked.")

    # Margin: the venue checks the opening part at the order's price.
    opening = max(ZERO, abs(before + (size if is_buy else -size)) - abs(before))
    margin_check = opening * price / lev
    available: Decimal | None = None
    if opening > 0:
        new_notional = abs(after) * price
        tier_max = tiers.max_leverage_at(new_notional)
        if lev > tier_max:
            return TicketError(
                f"A {coin} position of {_usd(new_notional)} allows at most {tier_max}x "
                f"leverage; lower the leverage or the size.",
                "leverage",
            )
    if account is not None and opening > 0:
        cross = account.cross_margin_summary
        reserved = reserved_margin(open_orders, account, coin, lev)
        available = cross.account_value - cross.total_margin_used - reserved
        if margin_check > available:
            return TicketError(
                f"Not enough available margin: need {_usd(margin_check)}, "
                f"have {_usd(max(available, ZERO))}.",
                "amount",
            )

    # Surprises that are asked about before sending, whatever the review setting.
    confirm_reasons: list[str] = []
    if (
        position is not None
        and before != 0
        and not ticket.reduce_only
        and position.leverage.value != lev
    ):
        confirm_reasons.append(
            f"This order also changes your open {coin} position's leverage from "
            f"{position.leverage.value}x to {lev}x: the whole position is re-margined and its "
            "liquidation price moves."
        )
    for name, trigger in (
        ("Take-profit", ticket.take_profit_px),
        ("Stop-loss", ticket.stop_loss_px),
    ):
        far = far_from_mark(name, trigger, ctx.mark_px)
        if far is not None:
            confirm_reasons.append(far)
    warnings.extend(confirm_reasons)

    # Take-profit and stop-loss, judged against the expected entry.
    take_profit = stop_loss = None
    direction = "a long" if is_buy else "a short"
    if ticket.take_profit_px is not None:
        leg = _tpsl_leg("tp", ticket.take_profit_px, market, is_buy)
        if isinstance(leg, TicketError):
            return leg
        if (is_buy and leg.trigger_px <= est_entry) or (not is_buy and leg.trigger_px >= est_entry):
            where = "above" if is_buy else "below"
            return TicketError(
                f"Take-profit must be {where} the entry for {direction} "
                f"(expected entry {_px(est_entry.quantize(leg.trigger_px))}).",
                "take_profit",
            )
        take_profit = leg
    if ticket.stop_loss_px is not None:
        leg = _tpsl_leg("sl", ticket.stop_loss_px, market, is_buy)
        if isinstance(leg, TicketError):
            return leg
        if (is_buy and leg.trigger_px >= est_entry) or (not is_buy and leg.trigger_px <= est_entry):
            where = "below" if is_buy else "above"
            return TicketError(
                f"Stop-loss must be {where} the entry for {direction} "
                f"(expected entry {_px(est_entry.quantize(leg.trigger_px))}).",
                "stop_loss",
            )
        if liquidation is not None and (
            (is_buy and leg.trigger_px <= liquidation)
            or (not is_buy and leg.trigger_px >= liquidation)
        ):
            warnings.append(
                f"The stop-loss is beyond the estimated liquidation price "
                f"{_px(liquidation.quantize(leg.trigger_px))}: the position would be "
                "liquidated first."
            )
        stop_loss = leg

    delta_szi = size if is_buy else -size
    return OrderPlan(
        ticket=ticket,
        market=market,
        is_buy=is_buy,
        size=size,
        price=price,
        tif=tif,
        reduce_only=ticket.reduce_only,
        leverage=lev,
        margin_mode=ticket.margin_mode,
        reference_px=reference,
        est_entry_px=est_entry,
        est_notional=est_notional,
        fills=tuple(fills),
        position_before=before,
        position_after=after,
        liquidation_px=liquidation,
        margin_required=replay.opening_margin,
        margin_check=margin_check,
        available_margin=available,
        fee=replay.fee,
        funding_per_hour=funding_payment(delta_szi, ctx.oracle_px, ctx.funding),
        max_slippage_pct=max_slippage,
        take_profit=take_profit,
        stop_loss=stop_loss,
        warnings=tuple(warnings),
        confirm_reasons=tuple(confirm_reasons),
    )


#: A TP/SL trigger more than this factor away from the mark (above, or below by the inverse)
#: is asked about before sending: 9,000,099,000 for a $97,000 market is a typo, not a plan.
FAR_TRIGGER_FACTOR: Final = Decimal(2)


def far_from_mark(name: str, trigger: Decimal | None, mark: Decimal | None) -> str | None:
    """Why ``trigger`` looks like a typo (too far from the mark), or None if it looks sane."""
    if trigger is None or mark is None or mark <= 0 or trigger <= 0:
        return None
    if mark / FAR_TRIGGER_FACTOR <= trigger <= mark * FAR_TRIGGER_FACTOR:
        return None
    pct = (trigger / mark - 1) * 100
    where = "above" if pct > 0 else "below"
    return (
        f"{name} ${trigger.normalize():,f} is {abs(pct):,.0f}% {where} the mark price "
        f"${mark.normalize():,f}: check it is the price you meant."
    )


def _tpsl_leg(
    kind: Literal["tp", "sl"], trigger: Decimal, market: Market, is_buy: bool
) -> TpslLeg | TicketError:
    """A TP/SL child closing a position opened with ``is_buy``: the child sells a long."""
    name = "Take-profit" if kind == "tp" else "Stop-loss"
    where = "take_profit" if kind == "tp" else "stop_loss"
    if not trigger.is_finite() or trigger <= 0:
        return TicketError(f"{name} price must be greater than zero.", where)
    closes_with_buy = not is_buy
    try:
        trigger_px = round_price(trigger, market.sz_decimals, direction="nearest")
        factor = 1 + TPSL_SLIPPAGE if closes_with_buy else 1 - TPSL_SLIPPAGE
        limit_px = round_price(
            trigger_px * factor, market.sz_decimals, direction="up" if closes_with_buy else "down"
        )
    except NumberError as exc:
        return TicketError(f"{name} price: {exc}.", where)
    return TpslLeg(kind, trigger_px, limit_px)

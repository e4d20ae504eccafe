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
* the liquidation estimate replays the fills exactly as the venue's clearinghouse books them
  (:mod:`wallet_perps.core.ticket_replay`), so the estimate and the venue's ``liquidationPx``
  after the fill come from the same formula.

The records it reads and returns are in :mod:`wallet_perps.core.tickets`. Nothing here does
I/O, and nothing imports Qt or the wire layer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Final, Literal

from wallet_perps.core.display import format_plain, format_price, format_usd
from wallet_perps.core.models import (
    AccountState,
    AssetContext,
    BookLevel,
    L2Book,
    LeverageType,
    Market,
    Meta,
)
from wallet_perps.core.numbers import NumberError, round_price, round_size
from wallet_perps.core.orders import OpenOrder
from wallet_perps.core.risk import ZERO, AccountRisk, PositionRisk, funding_payment
from wallet_perps.core.ticket_replay import (
    LedgerReplay,
    available_to_trade,
    position_risk,
    tier_schedule,
    walk_book,
)
from wallet_perps.core.tickets import (
    AmountUnit,
    OrderKind,
    OrderPlan,
    PlannedFill,
    Ticket,
    TicketError,
    TpslLeg,
)
from wallet_perps.core.venue_rules import MAKER_FEE, MARKET_SLIPPAGE, MIN_ORDER_VALUE, TAKER_FEE

__all__ = ["FAR_TRIGGER_FACTOR", "far_from_mark", "validate_ticket"]

_MAX_SLIPPAGE_PCT: Final = Decimal(50)
_HUNDRED: Final = Decimal(100)


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
            warnings.append(f"Limit price adjusted to the tick size: {format_price(price)}.")
        tif: Literal["Ioc", "Gtc"] = "Gtc"
    else:
        slip = ticket.slippage_pct
        if not slip.is_finite() or slip <= 0 or slip > _MAX_SLIPPAGE_PCT:
            return TicketError(
                f"Slippage must be more than 0% and at most {format_plain(_MAX_SLIPPAGE_PCT)}%.",
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
            f"The amount is below {coin}'s smallest size of {format_plain(smallest)} {coin}.",
            "amount",
        )
    if ticket.unit is AmountUnit.COIN and size != ticket.amount:
        warnings.append(f"Size rounded down to {format_plain(size)} {coin} ({coin}'s lot size).")

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
                f"Reduce-only: you are {held} {coin}; choose {needed} to reduce it.", "reduce_only"
            )
        if size > abs(before):
            size = abs(before)
            warnings.append(
                f"Reduce-only size capped at your position, {format_plain(size)} {coin}."
            )
    elif ticket.unit is AmountUnit.USD and size * price < MIN_ORDER_VALUE <= ticket.amount:
        # "$10" typed: one more lot rather than a refusal caused only by rounding.
        size = round_size(ticket.amount / sizing_px, market.sz_decimals, "up")

    # Minimum value: the venue checks it at the order's own price.
    if not ticket.reduce_only and size * price < MIN_ORDER_VALUE:
        if ticket.kind is OrderKind.MARKET and size * reference >= MIN_ORDER_VALUE:
            return TicketError(
                f"Minimum order value is {format_usd(MIN_ORDER_VALUE)} at the worst price "
                f"your slippage allows (this order is {format_usd(size * price)} at "
                f"{format_price(price)}); raise the amount or lower the slippage.",
                "amount",
            )
        return TicketError(
            f"Minimum order value is {format_usd(MIN_ORDER_VALUE)} "
            f"(this order is {format_usd(size * sizing_px)}).",
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
            fills = walk_book(levels, size, price, is_buy)
            filled = sum((f.sz for f in fills), ZERO)
            if filled == 0:
                return TicketError(
                    f"No {coin} liquidity within {format_plain(ticket.slippage_pct)}% slippage; "
                    "raise the slippage or use a limit order.",
                    "slippage",
                )
            if filled < size:
                warnings.append(
                    f"Only {format_plain(filled)} {coin} is available within "
                    f"{format_plain(ticket.slippage_pct)}% slippage; the rest will not fill."
                )
    else:
        fills = walk_book(levels, size, price, is_buy)
        rest = size - sum((f.sz for f in fills), ZERO)
        if fills:
            warnings.append("This limit order crosses the book: part of it fills at once.")
        if rest > 0:
            fills.append(PlannedFill(price, rest, crossed=False))
    fill_sz = sum((f.sz for f in fills), ZERO)
    est_notional = sum((f.notional for f in fills), ZERO)
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
            risk_others.append(position_risk(other, meta))
    entry_before = position.entry_px if position is not None and position.entry_px else ZERO
    replay = LedgerReplay(before, entry_before, cross_raw, isolated_raw, lev)
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
                f"A {coin} position of {format_usd(new_notional)} allows at most {tier_max}x "
                f"leverage; lower the leverage or the size.",
                "leverage",
            )
    if account is not None and opening > 0:
        available = available_to_trade(account, open_orders, coin, lev)
        if margin_check > available:
            return TicketError(
                f"Not enough available margin: need {format_usd(margin_check)}, "
                f"have {format_usd(max(available, ZERO))}.",
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
                f"(expected entry {format_price(est_entry.quantize(leg.trigger_px))}).",
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
                f"(expected entry {format_price(est_entry.quantize(leg.trigger_px))}).",
                "stop_loss",
            )
        if liquidation is not None and (
            (is_buy and leg.trigger_px <= liquidation)
            or (not is_buy and leg.trigger_px >= liquidation)
        ):
            warnings.append(
                f"The stop-loss is beyond the estimated liquidation price "
                f"{format_price(liquidation.quantize(leg.trigger_px))}: the position would be "
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
        liquidation_before=position.liquidation_px if position is not None and before else None,
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
        f"{name} {format_price(trigger)} is {abs(pct):,.0f}% {where} the mark price "
        f"{format_price(mark)}: check it is the price you meant."
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
        factor = 1 + MARKET_SLIPPAGE if closes_with_buy else 1 - MARKET_SLIPPAGE
        limit_px = round_price(
            trigger_px * factor, market.sz_decimals, direction="up" if closes_with_buy else "down"
        )
    except NumberError as exc:
        return TicketError(f"{name} price: {exc}.", where)
    return TpslLeg(kind, trigger_px, limit_px)

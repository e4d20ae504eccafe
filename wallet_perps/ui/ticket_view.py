"""The order ticket's view model: its inputs as a ticket, its sizing rules, its texts. No Qt.

Why apart from the widget: the confirmation sheet repeats the ticket's estimates character for
character, and the "% of available" slider's arithmetic decides how large an order a click
makes. Both are pure functions of Decimals and strings, so they live here where they can be
read (and tested) without building a widget; :mod:`~wallet_perps.ui.widgets.order_ticket`
only wires them to fields and labels.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import ROUND_DOWN, Decimal
from typing import Final

from wallet_perps.core.display import format_price, format_size, format_usd, significant
from wallet_perps.core.tickets import AmountUnit, OrderKind, OrderPlan, Ticket, TicketError
from wallet_perps.core.typed_numbers import TYPED_NUMBER_HINT, parse_typed_number

__all__ = [
    "ESTIMATES",
    "TIPS",
    "TypedFields",
    "amount_for_percent",
    "buying_power",
    "converted_amount",
    "estimate_texts",
    "percent_of_power",
    "read_ticket",
    "room_tip",
    "tpsl_outcomes",
]

_CENT: Final = Decimal("0.01")
_HUNDRED: Final = Decimal(100)

#: (key, caption, plain-words tooltip) for every live estimate under the ticket; the
#: confirmation sheet shows the same rows with the same texts.
ESTIMATES: tuple[tuple[str, str, str], ...] = (
    ("entry", "Est. entry", "Average price of the expected fills in the current book."),
    (
        "liquidation",
        "Liquidation price",
        "If the mark price reaches this, the venue closes the position and the margin "
        "behind it is lost. Estimated for the position after this order; with a position "
        "open, its price now comes first (now → after).",
    ),
    ("margin", "Margin required", "Collateral this order locks up: its value / leverage."),
    ("fee", "Fee", "Trading fee the venue charges for the expected fills."),
    (
        "funding",
        "Funding / hour",
        "Paid or received every hour at the current rate while the position is open. "
        "Negative means you pay.",
    ),
    (
        "slippage",
        "Max slippage",
        "A market order fills at most this far from the mid price (the worst price in "
        "brackets), or not at all.",
    ),
)

#: The ticket's hover texts, by field.
TIPS: Final = {
    "available": (
        "Available to trade: account value minus the margin your positions and open "
        "orders already use. Leverage multiplies what it can open."
    ),
    "leverage": (
        "Leverage multiplies gains and losses; higher leverage puts the liquidation "
        "price closer to the entry."
    ),
    "margin_mode": (
        "Cross: the whole account backs the position. Isolated: only the margin put in "
        "this position can be lost."
    ),
    "kind": (
        "Market: fill now at the best prices in the book. Limit: rest in the book and "
        "fill only at your price or better."
    ),
    "tpsl": (
        "Attach exit orders that trigger on the mark price: take-profit closes the "
        "position at a gain, stop-loss limits the loss. They are sent with the order."
    ),
    "take_profit": (
        "When the mark price reaches this, a market order closes the position at a gain "
        "(above the entry for a long, below for a short)."
    ),
    "stop_loss": (
        "When the mark price reaches this, a market order closes the position to cap the "
        "loss (below the entry for a long, above for a short). Keep it before the "
        "liquidation price."
    ),
    "locked_percent": (
        "Sets the amount as a share of what you can open; unlock your wallet to use it."
    ),
}


# ---------------------------------------------------------------------------- the inputs


@dataclass(frozen=True, slots=True)
class TypedFields:
    """What the ticket's text fields hold, as typed; ``tpsl`` is the TP/SL box."""

    amount: str
    limit_px: str = ""
    tpsl: bool = False
    take_profit: str = ""
    stop_loss: str = ""


def read_ticket(chosen: Ticket, typed: TypedFields) -> Ticket | TicketError:
    """``chosen`` (the side, unit, leverage… picked with buttons and boxes; its prices and
    amount ignored) completed with the ``typed`` numbers, or why they are not a ticket yet."""
    amount = _required(typed.amount, "amount", "amount", "Enter an amount.")
    if isinstance(amount, TicketError):
        return amount
    if amount <= 0:
        return TicketError("The amount must be greater than zero.", "amount")
    limit_px: Decimal | None = None
    if chosen.kind is OrderKind.LIMIT:
        read = _required(typed.limit_px, "limit_px", "limit price", "Enter a limit price.")
        if isinstance(read, TicketError):
            return read
        limit_px = read
    exits: dict[str, Decimal | None] = {"take_profit": None, "stop_loss": None}
    if typed.tpsl:
        for field, text in (("take_profit", typed.take_profit), ("stop_loss", typed.stop_loss)):
            value = _optional(text, field, f"{field.replace('_', '-')} price")
            if isinstance(value, TicketError):
                return value
            exits[field] = value
    return replace(
        chosen,
        amount=amount,
        limit_px=limit_px,
        take_profit_px=exits["take_profit"],
        stop_loss_px=exits["stop_loss"],
    )


def _optional(text: str, field: str, what: str) -> Decimal | TicketError | None:
    """A typed number, None for an empty field, or a refusal naming ``field``."""
    if not text.strip():
        return None
    value = parse_typed_number(text)
    if value is None:
        return TicketError(f"The {what} is not a number. {TYPED_NUMBER_HINT}", field)
    return value


def _required(text: str, field: str, what: str, missing: str) -> Decimal | TicketError:
    """:func:`_optional`, with ``missing`` as the refusal for an empty field."""
    value = _optional(text, field, what)
    return TicketError(missing, field) if value is None else value


# ------------------------------------------------------------------------ % of available


def buying_power(
    available: Decimal | None, leverage: int, kind: OrderKind, slippage_pct: Decimal
) -> Decimal | None:
    """The largest order value (USD) the margin check accepts at these settings.

    Available × leverage; a market order is divided by its slippage factor because the
    venue checks margin at the worst price the order accepts, not at the mid.
    """
    if available is None or available <= 0:
        return None
    power = available * leverage
    if kind is OrderKind.MARKET:
        power /= 1 + slippage_pct / _HUNDRED
    return power


def amount_for_percent(
    power: Decimal, percent: int, px: Decimal | None, sz_decimals: int, unit: AmountUnit
) -> str:
    """The amount field's text for ``percent`` of ``power`` ("" for nothing).

    In whole lots only, so the size it converts back to never exceeds the room.
    """
    if percent <= 0:
        return ""
    usd = power * percent / _HUNDRED
    if px is None or px <= 0:
        return f"{usd.quantize(_CENT, rounding=ROUND_DOWN):f}" if unit is AmountUnit.USD else ""
    size = (usd / px).quantize(Decimal(1).scaleb(-sz_decimals), rounding=ROUND_DOWN)
    if size <= 0:
        return ""
    if unit is AmountUnit.COIN:
        return format_size(size)
    return f"{(size * px).quantize(_CENT, rounding=ROUND_DOWN):f}"


def percent_of_power(
    amount: Decimal | None, power: Decimal | None, unit: AmountUnit, px: Decimal | None
) -> int | None:
    """Which share of ``power`` a typed ``amount`` is (0–100, all of it when there is none);
    None when it cannot be told (no account to measure against, or a coin amount with no
    price yet): the slider then shows no share rather than a made-up 0%."""
    if power is None:
        return None
    if amount is None or amount <= 0:
        return 0
    if power <= 0:
        return 100
    usd = amount
    if unit is AmountUnit.COIN:
        if px is None:
            return None
        usd = amount * px
    return int(min(_HUNDRED, usd / power * _HUNDRED))


def converted_amount(amount: Decimal, px: Decimal, unit: AmountUnit, sz_decimals: int) -> str:
    """``amount`` of the other unit re-expressed in ``unit``, rounded down, so switching units
    never grows the order."""
    if unit is AmountUnit.COIN:
        return format_size((amount / px).quantize(Decimal(1).scaleb(-sz_decimals), ROUND_DOWN))
    return f"{(amount * px).quantize(_CENT, ROUND_DOWN):f}"


def room_tip(
    available: Decimal,
    leverage: int,
    power: Decimal | None,
    kind: OrderKind,
    slippage_pct: Decimal,
) -> str:
    """The % slider's hover text: how its 100% is worked out."""
    tip = (
        "Sets the amount as a share of what you can open: available to trade "
        f"({format_usd(max(available, Decimal(0)))}) × leverage ({leverage}x)"
    )
    if power is not None:
        tip += f" = {format_usd(power)} at 100%"
    if kind is OrderKind.MARKET:
        tip += (
            f". Market orders keep room for the {slippage_pct:f}% slippage bound, "
            "because the venue checks margin at the worst price the order accepts"
        )
    return tip + "."


# -------------------------------------------------------------------------- the estimates


def _liquidation_text(price: Decimal | None, none: str = "none") -> str:
    """A liquidation price as quoted, or ``none`` when no price would liquidate."""
    return format_price(significant(price)) if price is not None and price > 0 else none


def estimate_texts(plan: OrderPlan, *, account_known: bool = True) -> dict[str, str]:
    """The text of every :data:`ESTIMATES` row for ``plan``.

    One function for the ticket and the confirmation sheet, so the numbers a user confirms
    are character for character the numbers they were shown.
    """
    size = f"{format_size(plan.size)} {plan.coin}"
    if not account_known:
        liquidation = "— (unlock your wallet)"
    elif plan.position_before:  # the open position's price now, then after this order
        after = _liquidation_text(plan.liquidation_px) if plan.position_after else "closed"
        liquidation = f"{_liquidation_text(plan.liquidation_before)} → {after}"
    else:
        liquidation = _liquidation_text(plan.liquidation_px, none="none (fully backed)")
    funding = plan.funding_per_hour
    verb = "you pay" if funding < 0 else "you receive"
    slip = plan.max_slippage_pct
    return {
        "entry": f"{format_price(significant(plan.est_entry_px))}  ·  {size}",
        "liquidation": liquidation,
        "margin": format_usd(plan.margin_required),
        "fee": format_usd(plan.fee),
        "funding": f"{format_usd(funding, 4)}/h ({verb})",
        "slippage": (
            f"{slip:.2f}% (worst {format_price(plan.price)})"
            if slip is not None
            else "none (limit order)"
        ),
    }


def tpsl_outcomes(plan: OrderPlan) -> str:
    """What hitting the take-profit or stop-loss would make or lose, for a hint line."""
    parts: list[str] = []
    sign = 1 if plan.is_buy else -1
    for name, leg in (("take-profit", plan.take_profit), ("stop-loss", plan.stop_loss)):
        if leg is not None:
            pnl = (leg.trigger_px - plan.est_entry_px) * plan.size * sign
            text = format_usd(pnl)
            parts.append(f"at {name} {'+' if pnl >= 0 else ''}{text}")
    if not parts:
        return ""
    return "If triggered (before fees):\n" + " · ".join(parts)

"""The order ticket as typed, and the validated plan it becomes: records and constants.

Why apart from the rules: the records (:class:`Ticket`, :class:`OrderPlan`, ...) are what the
UI, the trader and the tests pass around, while the rules that turn one into the other live
in :mod:`wallet_perps.core.ticket_validation` and the ledger replay they use in
:mod:`wallet_perps.core.ticket_replay`. The constants here are the venue's (PROTOCOL §3,
§6.1, §11.6), shared by all three. Nothing here does I/O, and nothing imports Qt or the wire
layer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Final, Literal

from wallet_perps.core.display import format_plain
from wallet_perps.core.models import LeverageType, Market, SizeAtPrice

__all__ = [
    "DEFAULT_SLIPPAGE_PCT",
    "AmountUnit",
    "OrderKind",
    "OrderPlan",
    "PlannedFill",
    "Ticket",
    "TicketError",
    "TicketSide",
    "TpslLeg",
]

#: The SDK's market-order slippage (``DEFAULT_SLIPPAGE = 0.05``), in percent.
DEFAULT_SLIPPAGE_PCT: Final = Decimal(5)


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
class PlannedFill(SizeAtPrice):
    """One expected fill: ``sz`` at ``px``, as a taker (``crossed``) or as a resting maker."""

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
    #: The open position's liquidation price now, as the venue reports it (None: no position,
    #: or none that any price liquidates), so the ticket can show it beside ``liquidation_px``.
    liquidation_before: Decimal | None = None
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
        return f"{verb} {side} {format_plain(self.size)} {self.market.name}"

"""View models: what the Positions page and its widgets show, computed without Qt.

Why apart from the widgets: :class:`PositionView` is read by the position cards, the
liquidation gauge's what-if panel and the position dialogs; kept in a widget module it made
those widgets import each other (the gauge needed the card module for its type, the card
module needed the gauge). Here it is plain data plus the pure function that builds it from the
venue's position and the live mark, testable without a display.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from wallet_perps.core.models import LeverageType, Position
from wallet_perps.core.risk import PositionRisk, TierSchedule

__all__ = ["PositionView", "position_view"]

_HUNDRED: Final = Decimal(100)


@dataclass(frozen=True, slots=True)
class PositionView:
    """Everything a position card shows, exact.

    ``mark`` is the live mark (the venue's state is pushed only on account activity, so the
    stream's mark keeps PnL moving between pushes); ``liquidation`` is exactly the venue's
    ``liquidationPx``. ``distance_pct`` is how far the mark must move toward liquidation, in
    percent of the mark (0 once the mark is past it). ``funding`` is net funding *received*
    since open (negative when paid), the sign :class:`FundingPayment` uses.
    """

    coin: str
    is_long: bool
    size: Decimal
    value: Decimal
    entry: Decimal | None
    mark: Decimal
    pnl: Decimal
    roe: Decimal
    liquidation: Decimal | None
    distance_pct: Decimal | None
    margin: Decimal
    margin_mode: LeverageType
    leverage: int
    funding: Decimal | None
    szi: Decimal = Decimal(0)
    max_leverage: int | None = None
    isolated_raw_usd: Decimal | None = None

    @property
    def is_isolated(self) -> bool:
        return self.margin_mode is LeverageType.ISOLATED


def position_view(position: Position, mark: Decimal | None) -> PositionView:
    """The card's numbers from the venue's position and the live mark (None: venue's mark).

    PnL, value and ROE use :class:`~wallet_perps.core.risk.PositionRisk`, the same formulas
    the venue reports with, so with the venue's mark they equal its own figures.
    """
    size = position.size
    venue_mark = position.position_value / size if size else Decimal(0)
    live = mark if mark is not None and mark > 0 else venue_mark
    entry = position.entry_px
    leverage = max(position.leverage.value, 1)
    if entry is not None and size:
        risk = PositionRisk(
            position.coin,
            position.szi,
            entry,
            live,
            leverage,
            TierSchedule.single(position.max_leverage or leverage),
        )
        value, pnl, roe = risk.position_value, risk.unrealized_pnl, risk.return_on_equity
    else:  # no entry price reported: fall back to the venue's own figures
        value = position.position_value
        pnl, roe = position.unrealized_pnl, position.return_on_equity
    liq = position.liquidation_px
    distance: Decimal | None = None
    if liq is not None and live > 0:
        move = (live - liq) if position.szi > 0 else (liq - live)
        distance = max(move / live * _HUNDRED, Decimal(0))
    cum = position.cum_funding
    return PositionView(
        coin=position.coin,
        is_long=position.szi > 0,
        size=size,
        value=value,
        entry=entry,
        mark=live,
        pnl=pnl,
        roe=roe,
        liquidation=liq,
        distance_pct=distance,
        margin=position.margin_used,
        margin_mode=position.leverage.type,
        leverage=position.leverage.value,
        funding=-cum.since_open if cum is not None else None,
        szi=position.szi,
        max_leverage=position.max_leverage,
        isolated_raw_usd=(
            position.leverage.raw_usd if position.leverage.type is LeverageType.ISOLATED else None
        ),
    )

"""View models: what the Positions page and its widgets show, computed without Qt.

Why apart from the widgets: :class:`PositionView` is read by the position cards, the
liquidation gauge's what-if panel and the position dialogs; kept in a widget module it made
those widgets import each other (the gauge needed the card module for its type, the card
module needed the gauge). Here it is plain data plus the pure function that builds it from the
venue's position and the live mark, testable without a display; so are the gauge's colour
bands (:func:`liq_level`) and the what-if panel's arithmetic (:func:`what_if`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Final

from wallet_perps.core.display import (
    format_pct,
    format_percent,
    format_price,
    format_usd,
    significant,
)
from wallet_perps.core.models import AccountState, LeverageType, Position
from wallet_perps.core.risk import AccountRisk, PositionRisk, TierSchedule

__all__ = [
    "CLOSE_PCT",
    "FAR_PCT",
    "LEVEL_WORDS",
    "LiqLevel",
    "PositionView",
    "WhatIf",
    "WhatIfWords",
    "liq_level",
    "position_view",
    "what_if",
    "what_if_price",
    "what_if_words",
]

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


# ------------------------------------------------------------------------------ what-if


@dataclass(frozen=True, slots=True)
class WhatIf:
    """One position's outcome if its mark were ``price`` (every other mark unchanged)."""

    coin: str
    price: Decimal
    pnl: Decimal
    roe: Decimal
    margin_ratio: Decimal | None  # maintenance / equity backing it; liquidation at 1
    liquidated: bool


def what_if(
    state: AccountState, views: Sequence[PositionView], coin: str, price: Decimal
) -> WhatIf | None:
    """What ``coin``'s position would look like at ``price``, by :mod:`wallet_perps.core.risk`.

    Tiers are approximated by each position's first tier (exact for all but very large
    positions). Whether it liquidates is decided against the venue's own liquidation price
    when there is one, so the verdict never contradicts the number on the card.
    """
    view = next((v for v in views if v.coin == coin), None)
    if view is None or view.entry is None or not view.size:
        return None
    risks: list[PositionRisk] = []
    target: PositionRisk | None = None
    for each in views:
        if each.entry is None or not each.size:
            continue
        risk = PositionRisk(
            each.coin,
            each.szi,
            each.entry,
            price if each.coin == coin else each.mark,
            max(each.leverage, 1),
            TierSchedule.single(each.max_leverage or max(each.leverage, 1)),
            each.isolated_raw_usd,
        )
        risks.append(risk)
        if each.coin == coin:
            target = risk
    if target is None:
        return None
    account = AccountRisk(state.cross_margin_summary.total_raw_usd, tuple(risks))
    if target.is_cross:
        equity = account.cross_account_value
        maintenance = account.cross_maintenance_margin
    else:
        equity = target.isolated_margin
        maintenance = target.maintenance_margin
    ratio = maintenance / equity if equity > 0 else None
    liq = view.liquidation
    if liq is not None:
        liquidated = price <= liq if view.is_long else price >= liq
    else:
        liquidated = equity < maintenance
    return WhatIf(coin, price, target.unrealized_pnl, target.return_on_equity, ratio, liquidated)


def what_if_price(mark: Decimal, offset_pct: Decimal) -> Decimal:
    """The price ``offset_pct`` percent from ``mark``, to the figures a price is quoted in."""
    return significant(mark * (1 + offset_pct / _HUNDRED))


@dataclass(frozen=True, slots=True)
class WhatIfWords:
    """What the what-if panel prints, a line each; ``liquidated`` colours the verdict."""

    price: str
    pnl: str
    margin_ratio: str
    verdict: str
    liquidated: bool


def what_if_words(view: PositionView, result: WhatIf, offset_pct: Decimal) -> WhatIfWords:
    """The panel's lines for ``result`` (``offset_pct`` from ``view``'s mark).

    PnL and ROE are printed as the position's card prints them, so at the mark the two agree
    to the digit (the panel once showed "-0.0%" beside the card's "-0.01%").
    """
    price = result.price
    ratio = result.margin_ratio
    if result.liquidated:
        verdict = (
            f"At {format_price(price)} this {view.coin} position is liquidated: the venue "
            "closes it and the margin behind it is lost."
        )
    elif view.liquidation is None:
        verdict = f"No price liquidates this {view.coin} position: its margin covers any move."
    else:
        move = (price - view.liquidation) if view.is_long else (view.liquidation - price)
        verdict = (
            f"Still open: {format_pct(move / price, 1)} before the liquidation price "
            f"{format_price(significant(view.liquidation))}."
        )
    return WhatIfWords(
        price=f"{format_price(price)} ({format_percent(offset_pct, 1, signed=True)})",
        pnl=f"PnL {format_usd(result.pnl)} ({format_pct(result.roe, signed=True)})",
        margin_ratio="Margin ratio —" if ratio is None else f"Margin ratio {format_pct(ratio, 1)}",
        verdict=verdict,
        liquidated=result.liquidated,
    )


# --------------------------------------------------------------- nearness to liquidation

#: At or below this distance (percent of the mark) the position is "close" to liquidation:
#: an ordinary hour of crypto volatility can cover it.
CLOSE_PCT: Final = Decimal(5)
#: Above this distance the position is "far": a large daily move is still survivable.
FAR_PCT: Final = Decimal(15)


class LiqLevel(StrEnum):
    """How near the liquidation price is, as a colour band."""

    FAR = "far"  # green
    NEAR = "near"  # amber
    CLOSE = "close"  # red
    NONE = "none"  # no liquidation price (fully backed) or no distance known


#: The gauge's legend, in words beside it: what each colour means for the position.
LEVEL_WORDS: Final = {
    LiqLevel.FAR: "safe",
    LiqLevel.NEAR: "watch",
    LiqLevel.CLOSE: "danger",
    LiqLevel.NONE: "",
}


def liq_level(distance_pct: Decimal | None) -> LiqLevel:
    """The colour band for a distance to liquidation in percent (None: nothing to show)."""
    if distance_pct is None:
        return LiqLevel.NONE
    if distance_pct <= CLOSE_PCT:
        return LiqLevel.CLOSE
    if distance_pct <= FAR_PCT:
        return LiqLevel.NEAR
    return LiqLevel.FAR

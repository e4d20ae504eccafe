"""Domain values shared by every layer: immutable, exact, and free of venue quirks.

Why these rules:

* Every price, size and USD amount is a :class:`~decimal.Decimal`. The venue speaks decimal
  strings (PROTOCOL.md §2.1) and truncates USD to 6 decimals (§3); a float would silently
  change the numbers we show, compare and sign.
* Ids (``oid``, ``tid``, ``lid``) and millisecond times are ``int``. An ``oid`` can exceed
  2**32, and Python ints never overflow.
* Dataclasses are ``frozen`` and use ``slots``; sequences are tuples and mappings are
  read-only views, so a value handed from the network task to the UI can never be mutated
  behind anyone's back.
* Field names are snake_case versions of the wire names so a reader can map one to the other;
  the translation itself lives only in the ``wallet_perps.hyperliquid.parse*`` modules.
* Orders (open orders, statuses, order types) live in :mod:`wallet_perps.core.orders` and
  ledger entries in :mod:`wallet_perps.core.ledger`; this module holds the rest.

This module does no I/O, imports nothing from Qt and nothing else of ours.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType

__all__ = [
    "AccountState",
    "ActiveAssetData",
    "AssetContext",
    "Bbo",
    "BookLevel",
    "Candle",
    "CumFunding",
    "ExtraAgent",
    "Fill",
    "FillLiquidation",
    "FundingPayment",
    "FundingRate",
    "L2Book",
    "Leverage",
    "LeverageType",
    "MarginSummary",
    "MarginTable",
    "MarginTier",
    "Market",
    "Meta",
    "Position",
    "PredictedFunding",
    "Side",
    "SizeAtPrice",
    "Trade",
    "UnknownCoinError",
    "UserRateLimit",
    "UserRole",
]

# ---------------------------------------------------------------------------------------------
# Enumerations
# ---------------------------------------------------------------------------------------------


class Side(StrEnum):
    """Order or trade side as the venue spells it: ``"B"`` bid/buy, ``"A"`` ask/sell (§2.2).

    In public trades this is the *aggressor's* side.
    """

    BUY = "B"
    SELL = "A"

    @property
    def is_buy(self) -> bool:
        """True for the bid side; saves callers from comparing against the wire letters."""
        return self is Side.BUY

    @property
    def sign(self) -> int:
        """+1 for a buy and -1 for a sell, the factor that turns a size into a position delta."""
        return 1 if self is Side.BUY else -1

    @property
    def opposite(self) -> Side:
        """The other side, e.g. the side that closes a position opened on this one."""
        return Side.SELL if self is Side.BUY else Side.BUY


class LeverageType(StrEnum):
    """Margin mode of a position or asset setting (§11.4)."""

    CROSS = "cross"
    ISOLATED = "isolated"


# ---------------------------------------------------------------------------------------------
# Universe
# ---------------------------------------------------------------------------------------------


class UnknownCoinError(KeyError):
    """Raised when a coin is not in the loaded universe.

    Derives from KeyError so ``except KeyError`` keeps working, but prints a sentence instead of
    KeyError's bare repr of the key.
    """

    def __init__(self, coin: str, known: int) -> None:
        super().__init__(coin)
        self.coin = coin
        self.known = known

    def __str__(self) -> str:
        return f"unknown coin {self.coin!r}: not in the perp universe ({self.known} markets loaded)"


@dataclass(frozen=True, slots=True)
class MarginTier:
    """One tier of a margin table: from ``lower_bound`` USD notional up, at most this leverage.

    Maintenance rate of the tier is ``1 / (2 * max_leverage)`` (§11.4).
    """

    lower_bound: Decimal
    max_leverage: int


@dataclass(frozen=True, slots=True)
class MarginTable:
    """A margin table from ``meta.marginTables``; tiers sorted by ``lower_bound`` ascending.

    Ids below 50 are implicit on the venue (one tier, ``max_leverage == id``) and are
    synthesised by the parser with an empty description.
    """

    id: int
    description: str
    tiers: tuple[MarginTier, ...]


@dataclass(frozen=True, slots=True)
class Market:
    """One perp market from ``meta.universe``.

    ``asset_id`` is the index into the universe *including* delisted markets (§2.2), the number
    every order action must carry.
    """

    name: str
    asset_id: int
    sz_decimals: int
    max_leverage: int
    margin_table_id: int | None = None
    only_isolated: bool = False
    is_delisted: bool = False
    margin_mode: str | None = None  # "strictIsolated", "noCross", or None for normal markets

    @property
    def coin(self) -> str:
        """The coin name used in every other message (same as ``name``)."""
        return self.name

    @property
    def max_price_decimals(self) -> int:
        """Decimal places a perp price may carry: ``6 - szDecimals`` (§3)."""
        return max(0, 6 - self.sz_decimals)


@dataclass(frozen=True, slots=True)
class Meta:
    """The perp universe and its margin tables, with lookups by coin.

    Lookups raise :class:`UnknownCoinError` (a KeyError) with a readable message, because an
    unknown coin is almost always a typo or a stale universe and must never silently map to
    asset 0.
    """

    markets: tuple[Market, ...]
    margin_tables: tuple[MarginTable, ...] = ()
    collateral_token: int | None = None
    # Lookup indexes built once in __post_init__; not part of equality or the repr.
    _by_name: Mapping[str, Market] = field(init=False, repr=False, compare=False)
    _tables: Mapping[int, MarginTable] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_name", MappingProxyType({m.name: m for m in self.markets}))
        object.__setattr__(self, "_tables", MappingProxyType({t.id: t for t in self.margin_tables}))

    @property
    def coins(self) -> tuple[str, ...]:
        """Coin names in asset-id order."""
        return tuple(m.name for m in self.markets)

    def __contains__(self, coin: object) -> bool:
        return coin in self._by_name

    def market(self, coin: str) -> Market:
        """The market for ``coin``; raises :class:`UnknownCoinError` if it is not listed."""
        try:
            return self._by_name[coin]
        except KeyError:
            raise UnknownCoinError(coin, len(self.markets)) from None

    def asset_id(self, coin: str) -> int:
        """The asset id (universe index) for ``coin``; raises :class:`UnknownCoinError`."""
        return self.market(coin).asset_id

    def by_asset_id(self, asset_id: int) -> Market:
        """The market with this asset id; raises :class:`UnknownCoinError` if out of range."""
        if 0 <= asset_id < len(self.markets):
            return self.markets[asset_id]
        raise UnknownCoinError(f"asset #{asset_id}", len(self.markets))

    def margin_table(self, table_id: int) -> MarginTable:
        """The margin table with this id; ids below 50 are synthesised as one tier (§7)."""
        table = self._tables.get(table_id)
        if table is not None:
            return table
        if 0 < table_id < 50:
            return MarginTable(table_id, "", (MarginTier(Decimal(0), table_id),))
        raise KeyError(f"margin table {table_id} is not in meta.marginTables")

    def margin_table_for(self, coin: str) -> MarginTable:
        """The tiers that apply to ``coin``.

        Old metas (2023) have no ``marginTableId``; the market then has a single tier at its
        ``max_leverage``, which is exactly what the venue did before tiers existed.
        """
        market = self.market(coin)
        if market.margin_table_id is None:
            return MarginTable(-1, "", (MarginTier(Decimal(0), market.max_leverage),))
        return self.margin_table(market.margin_table_id)


@dataclass(frozen=True, slots=True)
class AssetContext:
    """Live market numbers for one perp (metaAndAssetCtxs / activeAssetCtx).

    ``funding`` is the current hour's predicted rate; ``open_interest`` is in base units.
    Fields the venue may send as null (or WS may omit) are optional.
    """

    coin: str
    mark_px: Decimal
    oracle_px: Decimal
    funding: Decimal
    open_interest: Decimal
    prev_day_px: Decimal
    day_ntl_vlm: Decimal
    mid_px: Decimal | None = None
    premium: Decimal | None = None
    impact_pxs: tuple[Decimal, ...] | None = None  # (impact bid, impact ask) when present
    day_base_vlm: Decimal | None = None


# ---------------------------------------------------------------------------------------------
# Market data
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SizeAtPrice:
    """``sz`` at ``px``: what a book level and an expected fill both are, so code that walks
    one into the other (and sums what they are worth) reads the same two fields."""

    px: Decimal
    sz: Decimal

    @property
    def notional(self) -> Decimal:
        """What the size is worth at the price, in USD."""
        return self.px * self.sz


@dataclass(frozen=True, slots=True)
class BookLevel(SizeAtPrice):
    """One aggregated price level: total size ``sz`` from ``n`` orders at ``px``."""

    n: int


@dataclass(frozen=True, slots=True)
class L2Book:
    """An L2 snapshot; bids descend and asks ascend, as the venue sends them (§7)."""

    coin: str
    time: int
    bids: tuple[BookLevel, ...]
    asks: tuple[BookLevel, ...]

    @property
    def best_bid(self) -> BookLevel | None:
        return self.bids[0] if self.bids else None

    @property
    def best_ask(self) -> BookLevel | None:
        return self.asks[0] if self.asks else None

    @property
    def mid(self) -> Decimal | None:
        """Arithmetic mid of the top of book, or None if a side is empty."""
        if not self.bids or not self.asks:
            return None
        return (self.bids[0].px + self.asks[0].px) / 2


@dataclass(frozen=True, slots=True)
class Bbo:
    """Best bid and offer; either side may be absent on an empty book."""

    coin: str
    time: int
    bid: BookLevel | None
    ask: BookLevel | None


@dataclass(frozen=True, slots=True)
class Candle:
    """One OHLCV candle. ``close_time`` is ``open_time + interval - 1 ms``; the newest candle may
    still be forming."""

    coin: str
    interval: str
    open_time: int
    close_time: int
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal  # base units
    trades: int


@dataclass(frozen=True, slots=True)
class Trade:
    """A public trade. ``side`` is the aggressor's; ``tid`` alone is not unique (§2.2)."""

    coin: str
    side: Side
    px: Decimal
    sz: Decimal
    time: int
    hash: str
    tid: int
    buyer: str | None = None
    seller: str | None = None


# ---------------------------------------------------------------------------------------------
# Account
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Leverage:
    """Leverage setting. ``raw_usd`` is the isolated position's USD ledger (isolated only)."""

    type: LeverageType
    value: int
    raw_usd: Decimal | None = None

    @property
    def is_cross(self) -> bool:
        return self.type is LeverageType.CROSS


@dataclass(frozen=True, slots=True)
class CumFunding:
    """Cumulative funding paid by a position (positive = paid), over three windows."""

    all_time: Decimal
    since_open: Decimal
    since_change: Decimal


@dataclass(frozen=True, slots=True)
class Position:
    """One perp position from clearinghouseState (§7.1). ``szi`` is signed: negative is short.

    ``liquidation_px`` is None when the formula gives no positive price. ``max_leverage`` and
    ``cum_funding`` are missing in 2023 data; ``max_trade_szs`` only appeared in 2023.
    """

    coin: str
    szi: Decimal
    entry_px: Decimal | None
    leverage: Leverage
    liquidation_px: Decimal | None
    margin_used: Decimal
    position_value: Decimal
    return_on_equity: Decimal
    unrealized_pnl: Decimal
    max_leverage: int | None = None
    cum_funding: CumFunding | None = None
    max_trade_szs: tuple[Decimal, ...] | None = None
    position_type: str = "oneWay"

    @property
    def is_long(self) -> bool:
        return self.szi > 0

    @property
    def size(self) -> Decimal:
        """Absolute size in base units."""
        return abs(self.szi)

    @property
    def side(self) -> Side | None:
        """BUY for a long, SELL for a short, None when flat."""
        if self.szi > 0:
            return Side.BUY
        if self.szi < 0:
            return Side.SELL
        return None


@dataclass(frozen=True, slots=True)
class MarginSummary:
    """Account totals: ``account_value = total_raw_usd + sum(szi * markPx)`` (§7.1)."""

    account_value: Decimal
    total_ntl_pos: Decimal
    total_raw_usd: Decimal
    total_margin_used: Decimal


@dataclass(frozen=True, slots=True)
class AccountState:
    """The perp account (clearinghouseState).

    ``margin_summary`` covers cross and isolated; ``cross_margin_summary`` only cross. The 2023
    shape lacks ``cross_maintenance_margin_used`` and ``time``, and WS pushes lack ``time``.
    """

    positions: tuple[Position, ...]
    margin_summary: MarginSummary
    cross_margin_summary: MarginSummary
    withdrawable: Decimal
    cross_maintenance_margin_used: Decimal | None = None
    time: int | None = None

    def position(self, coin: str) -> Position | None:
        """The position in ``coin``, or None if flat."""
        for p in self.positions:
            if p.coin == coin:
                return p
        return None


@dataclass(frozen=True, slots=True)
class FillLiquidation:
    """Attached to a fill produced by a liquidation (§11.5)."""

    mark_px: Decimal
    method: str  # "market" | "backstop"
    liquidated_user: str | None = None


@dataclass(frozen=True, slots=True)
class Fill:
    """One of the user's fills (userFills, userFillsByTime, WS userFills/userEvents).

    ``fee`` includes ``builder_fee``; negative is a rebate. ``crossed`` means taker.
    ``start_position`` is the signed position before the fill. ``tid`` and ``fee_token`` are
    missing in 2023 data.
    """

    coin: str
    px: Decimal
    sz: Decimal
    side: Side
    time: int
    start_position: Decimal
    dir: str  # "Open Long", "Close Short", "Long > Short", ... ("Buy"/"Sell" for spot)
    closed_pnl: Decimal
    hash: str
    oid: int
    crossed: bool
    fee: Decimal
    tid: int | None = None
    fee_token: str | None = None
    builder_fee: Decimal | None = None
    cloid: str | None = None
    liquidation: FillLiquidation | None = None
    twap_id: int | None = None

    @property
    def notional(self) -> Decimal:
        return self.px * self.sz


@dataclass(frozen=True, slots=True)
class FundingPayment:
    """An hourly funding payment to or from the user. ``usdc`` is positive when received.

    ``hash`` comes with info userFunding rows only; ``n_samples`` may be null or absent.
    """

    time: int
    coin: str
    usdc: Decimal
    szi: Decimal
    funding_rate: Decimal
    n_samples: int | None = None
    hash: str | None = None


@dataclass(frozen=True, slots=True)
class FundingRate:
    """One row of a coin's funding history."""

    coin: str
    funding_rate: Decimal
    premium: Decimal
    time: int


@dataclass(frozen=True, slots=True)
class PredictedFunding:
    """A venue's predicted next funding for a coin (venue is "HlPerp", "BinPerp", ...)."""

    coin: str
    venue: str
    funding_rate: Decimal
    next_funding_time: int
    funding_interval_hours: int | None = None


@dataclass(frozen=True, slots=True)
class UserRateLimit:
    """Address-based action budget (§10)."""

    cum_vlm: Decimal
    n_requests_used: int
    n_requests_cap: int
    n_requests_surplus: int | None = None

    @property
    def remaining(self) -> int:
        return self.n_requests_cap - self.n_requests_used


@dataclass(frozen=True, slots=True)
class ExtraAgent:
    """A named API wallet approved by the user; ``valid_until`` is a ms timestamp."""

    name: str
    address: str
    valid_until: int


@dataclass(frozen=True, slots=True)
class UserRole:
    """What an address is: "user", "agent", "vault", "subAccount" or "missing".

    For an agent ``user`` is the master it trades for; for a sub-account ``master`` is its owner.
    """

    role: str
    user: str | None = None
    master: str | None = None

    @property
    def is_agent(self) -> bool:
        return self.role == "agent"


@dataclass(frozen=True, slots=True)
class ActiveAssetData:
    """Per-user, per-coin trading limits: (buy, sell) pairs for max size and available USD."""

    user: str
    coin: str
    leverage: Leverage
    max_trade_szs: tuple[Decimal, ...]
    available_to_trade: tuple[Decimal, ...]
    mark_px: Decimal | None = None

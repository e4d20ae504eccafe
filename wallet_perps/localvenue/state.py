"""Everything the local venue's engine remembers, in one explicit object.

The engine's parts (:mod:`.engine`'s docstring lists them) hold no state of their own: each
is handed this :class:`VenueState` and owns one slice of it, the only part that changes that
slice (the others read it, or ask the owner). Keeping all of it in one plain object is what
makes a snapshot a pickle of exactly this object, and what a reader of the engine needs to
see at once: the clearinghouse (all money), the order tables, the books and trade records,
market prices, funding, transfers, schedules, liquidations and the pushes still to be sent.

:func:`state_from_inheritance_layout` reads snapshots written while the engine was one class
built from five base classes (the same values, kept as that class's attributes).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, is_dataclass
from decimal import Decimal
from typing import Any, Final, get_type_hints

from wallet_perps.localvenue.book import OrderBook
from wallet_perps.localvenue.candles import CandleBook
from wallet_perps.localvenue.clearinghouse import Clearinghouse, MarketRules
from wallet_perps.localvenue.clock import HOUR_MS
from wallet_perps.localvenue.engine_types import VenueOrder
from wallet_perps.localvenue.markets import MarketSpec, tier_schedule
from wallet_perps.localvenue.oracle import DayStats, FundingSampler, MarkPrice, OracleProcess

__all__ = [
    "FIRST_OID",
    "LEDGER_CAP",
    "AccountTables",
    "FundingTables",
    "LiquidationTables",
    "MarketTables",
    "OrderTables",
    "PushTables",
    "ScheduleTables",
    "TradeTables",
    "VenueState",
    "new_state",
    "state_from_inheritance_layout",
]

FIRST_OID = 1_000_000_000
#: How many rows per user the venue keeps (userFillsByTime reaches the 10000 most recent).
LEDGER_CAP = 10_000

Rows = dict[str, deque[dict[str, Any]]]
Bbo = tuple[Decimal | None, Decimal | None]


@dataclass(eq=False, slots=True)
class MarketTables:
    """Prices (owned by ``Prices``): oracle process, marks, candles and 24 h statistics."""

    oracle: OracleProcess
    marks: dict[str, MarkPrice]
    candles: dict[str, CandleBook]
    day: dict[str, DayStats]
    last_tick_ms: int


@dataclass(eq=False, slots=True)
class OrderTables:
    """Every order record and its indexes (owned by ``OrderRegistry``).

    ``open`` holds each user's live orders in placement order, ``history`` the newest
    ``LEDGER_CAP`` orders per user, ``triggers`` the armed trigger orders per coin, and
    ``ro_count`` how many live reduce-only / position TP/SL orders a (user, coin) has (so a
    fill only checks them when there are some).
    """

    next_oid: int = FIRST_OID
    by_oid: dict[int, VenueOrder] = field(default_factory=dict)
    open: dict[str, dict[int, VenueOrder]] = field(default_factory=dict)
    history: dict[str, dict[int, VenueOrder]] = field(default_factory=dict)
    cloids: dict[str, dict[str, int]] = field(default_factory=dict)
    triggers: dict[str, dict[int, VenueOrder]] = field(default_factory=dict)
    ro_count: dict[tuple[str, str], int] = field(default_factory=dict)


@dataclass(eq=False, slots=True)
class TradeTables:
    """The books and what trading recorded (owned by ``Matching``)."""

    books: dict[str, OrderBook]
    trade_seq: int = 0
    fills: Rows = field(default_factory=dict)
    cum_vlm: dict[str, Decimal] = field(default_factory=dict)


@dataclass(eq=False, slots=True)
class FundingTables:
    """Premium sampling and hourly settlement (owned by ``Funding``)."""

    samplers: dict[str, FundingSampler]
    history: Rows
    next_funding_ms: int
    user_funding: Rows = field(default_factory=dict)
    impact: dict[str, Bbo] = field(default_factory=dict)
    last_sample_slot: int | None = None


@dataclass(eq=False, slots=True)
class AccountTables:
    """Transfers outside trading (owned by ``Transfers``): ledgers, spot USDC, who is funded."""

    ledger: Rows = field(default_factory=dict)
    spot: dict[str, Decimal] = field(default_factory=dict)
    funded: dict[str, None] = field(default_factory=dict)


@dataclass(eq=False, slots=True)
class ScheduleTables:
    """scheduleCancel (owned by ``Schedules``): when each user's orders go, and the daily count."""

    due: dict[str, int] = field(default_factory=dict)
    fired: dict[str, tuple[int, int]] = field(default_factory=dict)


@dataclass(eq=False, slots=True)
class LiquidationTables:
    """Owned by ``Liquidations``: the last partial liquidation per (user, coin), and lids."""

    cooldown: dict[tuple[str, str], int] = field(default_factory=dict)
    lid: int = 0


@dataclass(eq=False, slots=True)
class PushTables:
    """Calls and what is still to be pushed (owned by ``Pushes``).

    ``soft_dirty``/``soft_pairs`` are the accounts and (user, coin) pairs whose pushes wait
    for the next tick, ``book_dirty`` the coins whose book changed since the last tick.
    """

    call_seq: int = 0
    n_requests: dict[str, int] = field(default_factory=dict)
    book_dirty: dict[str, None] = field(default_factory=dict)
    last_bbo: dict[str, Bbo] = field(default_factory=dict)
    soft_dirty: dict[str, None] = field(default_factory=dict)
    soft_pairs: dict[tuple[str, str], None] = field(default_factory=dict)


@dataclass(eq=False, slots=True)
class VenueState:
    """The whole venue: fixed identity, venue time, the clearinghouse and the parts' slices.

    ``coins`` are the market names in asset order; ``now_ms`` only moves forward (a call
    dated earlier than the last one runs at the last one's time).
    """

    markets: tuple[MarketSpec, ...]
    spec: dict[str, MarketSpec]
    coins: list[str]
    seed: int
    liquidator: str
    now_ms: int
    clearinghouse: Clearinghouse
    market: MarketTables
    orders: OrderTables
    trades: TradeTables
    funding: FundingTables
    accounts: AccountTables
    schedules: ScheduleTables
    liquidations: LiquidationTables
    pushes: PushTables


def new_state(
    markets: Sequence[MarketSpec], *, seed: int, start_ms: int, liquidator: str
) -> VenueState:
    """A fresh venue's state: empty books and accounts, prices from the seeded oracle."""
    specs = tuple(markets)
    coins = [spec.name for spec in specs]
    oracle = OracleProcess(specs, seed)
    return VenueState(
        markets=specs,
        spec={spec.name: spec for spec in specs},
        coins=coins,
        seed=seed,
        liquidator=liquidator.lower(),
        now_ms=start_ms,
        clearinghouse=Clearinghouse(
            MarketRules(spec.name, i, spec.sz_decimals, tier_schedule(spec))
            for i, spec in enumerate(specs)
        ),
        market=MarketTables(
            oracle=oracle,
            marks={spec.name: MarkPrice(spec.sz_decimals) for spec in specs},
            candles={coin: CandleBook(coin) for coin in coins},
            day={coin: DayStats(oracle.price(coin)) for coin in coins},
            last_tick_ms=start_ms,
        ),
        orders=OrderTables(triggers={coin: {} for coin in coins}),
        trades=TradeTables(books={coin: OrderBook(coin) for coin in coins}),
        funding=FundingTables(
            samplers={coin: FundingSampler(coin) for coin in coins},
            history={coin: deque(maxlen=LEDGER_CAP) for coin in coins},
            next_funding_ms=(start_ms // HOUR_MS + 1) * HOUR_MS,
        ),
        accounts=AccountTables(),
        schedules=ScheduleTables(),
        liquidations=LiquidationTables(),
        pushes=PushTables(),
    )


#: The former attribute of each state field whose name is not "_" + the field's name.
_FORMER_NAMES: Final = {
    "clearinghouse": "clearinghouse", "orders.by_oid": "_orders", "schedules.due": "_schedule",
    "funding.history": "_funding_history", "schedules.fired": "_schedule_fired",
    "liquidations.cooldown": "_liq_cooldown",
}  # fmt: skip


def state_from_inheritance_layout(old: Mapping[str, Any]) -> VenueState:
    """The state of a snapshot pickled by the engine's former single-class layout.

    That class kept the same values as attributes of the venue itself, each named after its
    field here with a leading underscore (:data:`_FORMER_NAMES` lists the others); a restart
    of an upgraded venue finds such a snapshot in its data directory and goes on from it.
    """

    def former(path: str) -> Any:
        return old[_FORMER_NAMES.get(path, "_" + path.rpartition(".")[2])]

    hints = get_type_hints(VenueState)
    values: dict[str, Any] = {}
    for top in fields(VenueState):
        kind = hints[top.name]
        if isinstance(kind, type) and is_dataclass(kind):
            parts = {f.name: former(f"{top.name}.{f.name}") for f in fields(kind)}
            values[top.name] = kind(**parts)
        else:
            values[top.name] = former(top.name)
    return VenueState(**values)

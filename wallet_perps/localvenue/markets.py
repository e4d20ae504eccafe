"""The local venue's perp universe: what it lists, how finely, at what leverage and tiers.

The point of the local venue is that a user who practises on it meets the same rules as on
mainnet: the same lot and tick sizes (``szDecimals``), the same leverage caps and the same
margin tiers (PROTOCOL §3, §7, §11.4). The numbers below therefore copy mainnet's shape: BTC
is asset 0, tiered tables have ids of 50 and up and are listed in ``meta.marginTables``,
while ids below 50 are the venue's implicit single-tier tables (``maxLeverage == id``) and are
*not* listed, exactly as mainnet serves them.

Each market also carries the parameters of its simulated price process (start price,
diffusion volatility, jump rate and size, how much it follows BTC). Those are floats because
they only steer a random walk; every price that leaves the venue is a ``Decimal``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from wallet_perps.core.risk import Tier, TierSchedule

__all__ = [
    "DEFAULT_MARKETS",
    "MARGIN_TABLES",
    "MarketSpec",
    "market_by_name",
    "meta_wire",
    "tier_schedule",
]

#: Table ids at or above this are explicit (listed in ``marginTables``); below it a table id
#: means one tier with ``maxLeverage == id`` (PROTOCOL §7, docs:margin-tiers).
FIRST_TIERED_TABLE_ID = 50


def _tiers(*pairs: tuple[int, int]) -> tuple[Tier, ...]:
    return tuple(Tier(Decimal(bound), lev) for bound, lev in pairs)


#: The explicit (tiered) margin tables: id -> (description, tiers). Mainnet-like bounds.
MARGIN_TABLES: dict[int, tuple[str, tuple[Tier, ...]]] = {
    51: ("tiered 10x", _tiers((0, 10), (3_000_000, 5))),
    52: ("tiered 10x", _tiers((0, 10), (20_000_000, 5))),
    54: ("tiered 20x", _tiers((0, 20), (70_000_000, 10))),
    55: ("tiered 25x", _tiers((0, 25), (100_000_000, 15))),
    56: ("tiered 40x", _tiers((0, 40), (150_000_000, 20))),
}


@dataclass(frozen=True, slots=True)
class MarketSpec:
    """One listed perp and the parameters of its simulated oracle.

    ``annual_vol`` is the annualised volatility of the diffusion part (log returns);
    ``jumps_per_day`` is the Poisson intensity of price jumps and ``jump_size`` the standard
    deviation of a jump's log size; ``btc_beta`` is how strongly the market's log returns
    load on BTC's (BTC itself: 1). Floats are fine here: they only drive the random walk.
    """

    name: str
    sz_decimals: int
    max_leverage: int
    margin_table_id: int
    start_px: Decimal
    annual_vol: float
    jumps_per_day: float = 0.5
    jump_size: float = 0.03
    btc_beta: float = 0.0

    def __post_init__(self) -> None:
        if not 0 <= self.sz_decimals <= 6:
            raise ValueError(f"{self.name}: szDecimals must be in 0..6")
        if self.max_leverage < 1:
            raise ValueError(f"{self.name}: maxLeverage must be at least 1")
        if not isinstance(self.start_px, Decimal) or self.start_px <= 0:
            raise ValueError(f"{self.name}: start_px must be a positive Decimal")
        if self.annual_vol < 0 or self.jumps_per_day < 0 or self.jump_size < 0:
            raise ValueError(f"{self.name}: volatility and jump parameters must be >= 0")


DEFAULT_MARKETS: tuple[MarketSpec, ...] = (
    MarketSpec("BTC", 5, 40, 56, Decimal(97000), 0.55, 0.3, 0.025, 1.0),
    MarketSpec("ETH", 4, 25, 55, Decimal(3400), 0.70, 0.4, 0.03, 1.1),
    MarketSpec("SOL", 2, 20, 54, Decimal(180), 0.85, 0.5, 0.035, 1.2),
    MarketSpec("HYPE", 2, 10, 52, Decimal("28.5"), 1.00, 0.6, 0.04, 1.0),
    MarketSpec("XRP", 0, 10, 52, Decimal("2.35"), 0.90, 0.5, 0.035, 1.0),
    MarketSpec("DOGE", 0, 10, 52, Decimal("0.32"), 1.00, 0.6, 0.04, 1.3),
    MarketSpec("AVAX", 2, 10, 51, Decimal(36), 0.95, 0.5, 0.035, 1.2),
    MarketSpec("LINK", 1, 10, 51, Decimal(22), 0.90, 0.5, 0.035, 1.1),
    MarketSpec("SUI", 1, 10, 51, Decimal("4.2"), 1.10, 0.6, 0.04, 1.3),
    MarketSpec("ARB", 1, 10, 51, Decimal("0.75"), 1.00, 0.5, 0.04, 1.2),
    MarketSpec("kPEPE", 0, 10, 51, Decimal("0.0185"), 1.30, 0.8, 0.05, 1.4),
    MarketSpec("WIF", 0, 5, 5, Decimal("1.9"), 1.30, 0.8, 0.05, 1.4),
    MarketSpec("FARTCOIN", 1, 3, 3, Decimal("1.2"), 1.60, 1.0, 0.06, 1.2),
)


def market_by_name(name: str, markets: tuple[MarketSpec, ...] = DEFAULT_MARKETS) -> MarketSpec:
    """The spec for ``name``; KeyError for an unlisted coin (never a silent default)."""
    for spec in markets:
        if spec.name == name:
            return spec
    raise KeyError(f"{name!r} is not listed on the local venue")


def _table_tiers(table_id: int) -> tuple[Tier, ...]:
    if table_id in MARGIN_TABLES:
        return MARGIN_TABLES[table_id][1]
    if 0 < table_id < FIRST_TIERED_TABLE_ID:
        return (Tier(Decimal(0), table_id),)
    raise KeyError(f"margin table {table_id} is not defined")


def tier_schedule(spec: MarketSpec) -> TierSchedule:
    """The maintenance schedule the venue margins ``spec`` with (same tables as ``meta``)."""
    return TierSchedule(_table_tiers(spec.margin_table_id))


def _lower_bound_wire(value: Decimal) -> str:
    """Mainnet renders bounds like a Python float: ``"0.0"``, ``"3000000.0"``."""
    if value == value.to_integral_value():
        return f"{int(value)}.0"
    return format(value.normalize(), "f")


def meta_wire(markets: tuple[MarketSpec, ...] = DEFAULT_MARKETS) -> dict[str, Any]:
    """The venue's ``meta`` response, shaped exactly like mainnet's.

    Only tiered tables (id >= 50) that some market uses are listed, sorted by id; markets on a
    table below 50 rely on the implicit single tier, as on mainnet.
    """
    universe = [
        {
            "name": spec.name,
            "szDecimals": spec.sz_decimals,
            "maxLeverage": spec.max_leverage,
            "marginTableId": spec.margin_table_id,
        }
        for spec in markets
    ]
    used = sorted(
        {s.margin_table_id for s in markets if s.margin_table_id >= FIRST_TIERED_TABLE_ID}
    )
    tables: list[list[Any]] = []
    for table_id in used:
        description, tiers = MARGIN_TABLES[table_id]
        tables.append(
            [
                table_id,
                {
                    "description": description,
                    "marginTiers": [
                        {
                            "lowerBound": _lower_bound_wire(t.lower_bound),
                            "maxLeverage": t.max_leverage,
                        }
                        for t in tiers
                    ],
                },
            ]
        )
    return {"universe": universe, "marginTables": tables, "collateralToken": 0}

"""Tests for wallet_perps.core.models: immutability, lookups and the small derived helpers."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from types import MappingProxyType

import pytest

from wallet_perps.core.ledger import (
    Deposit,
    InternalTransfer,
    LedgerUpdate,
    SubAccountTransfer,
    UnknownDelta,
    VaultDeposit,
    VaultDistribution,
    Withdraw,
)
from wallet_perps.core.models import (
    AccountState,
    BookLevel,
    L2Book,
    Leverage,
    LeverageType,
    MarginSummary,
    MarginTable,
    MarginTier,
    Market,
    Meta,
    Position,
    Side,
    SizeAtPrice,
    UnknownCoinError,
    UserRateLimit,
)
from wallet_perps.core.orders import FINAL_ORDER_STATUSES, KnownOrderStatus, OpenOrder, OrderStatus
from wallet_perps.core.tickets import PlannedFill


def _meta() -> Meta:
    return Meta(
        markets=(
            Market("BTC", 0, 5, 40, margin_table_id=56),
            Market("ETH", 1, 4, 25, margin_table_id=20),
            Market("OLD", 2, 1, 3, is_delisted=True),
        ),
        margin_tables=(
            MarginTable(
                56,
                "tiered 40x",
                (MarginTier(Decimal(0), 40), MarginTier(Decimal("150000000"), 20)),
            ),
        ),
        collateral_token=0,
    )


def _order(**kw: object) -> OpenOrder:
    base: dict[str, object] = {
        "coin": "BTC",
        "side": Side.BUY,
        "limit_px": Decimal("60000"),
        "sz": Decimal("0.5"),
        "oid": 1,
        "timestamp": 2,
    }
    base.update(kw)
    return OpenOrder(**base)  # type: ignore[arg-type]


def test_side() -> None:
    assert Side("B") is Side.BUY and Side("A") is Side.SELL
    assert Side.BUY.is_buy and not Side.SELL.is_buy
    assert Side.BUY.sign == 1 and Side.SELL.sign == -1
    assert Side.BUY.opposite is Side.SELL and Side.SELL.opposite is Side.BUY
    assert Side.BUY.value == "B" and f"{Side.SELL}" == "A"  # formats as the wire letter


def test_meta_lookups() -> None:
    meta = _meta()
    assert meta.asset_id("OLD") == 2  # delisted markets keep their index
    assert meta.market("ETH").max_price_decimals == 2
    assert meta.coins == ("BTC", "ETH", "OLD")
    assert "BTC" in meta and "DOGE" not in meta
    assert meta.by_asset_id(1).name == "ETH"
    assert meta.market("BTC").coin == "BTC"


def test_unknown_coin_is_readable_key_error() -> None:
    meta = _meta()
    with pytest.raises(KeyError) as info:
        meta.asset_id("btc")
    assert isinstance(info.value, UnknownCoinError)
    assert str(info.value) == "unknown coin 'btc': not in the perp universe (3 markets loaded)"
    with pytest.raises(UnknownCoinError):
        meta.by_asset_id(3)


def test_margin_tables() -> None:
    meta = _meta()
    assert meta.margin_table_for("BTC").tiers[1] == MarginTier(Decimal("150000000"), 20)
    # id < 50: implicit single tier at that leverage.
    assert meta.margin_table_for("ETH").tiers == (MarginTier(Decimal(0), 20),)
    # No table id (2023 meta): a single tier at the market's max leverage.
    assert meta.margin_table_for("OLD").tiers == (MarginTier(Decimal(0), 3),)
    with pytest.raises(KeyError, match="margin table 77"):
        meta.margin_table(77)


def test_models_are_frozen_slotted_and_hashable() -> None:
    meta = _meta()
    with pytest.raises(dataclasses.FrozenInstanceError):
        meta.markets[0].max_leverage = 50  # type: ignore[misc]
    assert not hasattr(meta.markets[0], "__dict__")
    assert hash(meta) == hash(_meta()) and meta == _meta()
    order = _order(children=(_order(oid=3),))
    assert hash(order) == hash(_order(children=(_order(oid=3),)))
    with pytest.raises(dataclasses.FrozenInstanceError):
        order.sz = Decimal(1)  # type: ignore[misc]


def test_ledger_update_is_a_frozen_tagged_union() -> None:
    withdraw = Withdraw(Decimal(5), nonce=3, fee=Decimal(1))
    update = LedgerUpdate(1, "0x", withdraw)
    assert update.type == "withdraw" and Withdraw.type == "withdraw"
    with pytest.raises(dataclasses.FrozenInstanceError):
        withdraw.usdc = Decimal(0)  # type: ignore[misc]
    assert hash(update) == hash(LedgerUpdate(1, "0x", Withdraw(Decimal(5), 3, Decimal(1))))
    delta = UnknownDelta("brandNew", MappingProxyType({"type": "brandNew"}))
    unknown = LedgerUpdate(2, "0x", delta)
    assert unknown.type == "brandNew"
    with pytest.raises(TypeError):
        delta.raw["x"] = 1  # type: ignore[index]
    hash(unknown)  # the raw mapping is left out of the hash
    assert LedgerUpdate(1, "0x", Deposit(Decimal(1))) != LedgerUpdate(1, "0x", Deposit(Decimal(2)))


def test_deltas_declared_on_a_shared_base_stay_distinct_values() -> None:
    """Same fields, different events: a vault deposit is never equal to a distribution."""
    assert VaultDeposit("0xv", Decimal(1)) != VaultDistribution("0xv", Decimal(1))
    assert not isinstance(VaultDeposit("0xv", Decimal(1)), VaultDistribution)
    sent = InternalTransfer(Decimal(3), "0xa", "0xb")
    assert sent != SubAccountTransfer(Decimal(3), "0xa", "0xb")
    assert dataclasses.astuple(sent) == (Decimal(3), "0xa", "0xb", None)
    assert not hasattr(sent, "__dict__")


def test_order_status_known_and_unknown() -> None:
    assert KnownOrderStatus.coerce("filled") is KnownOrderStatus.FILLED
    assert KnownOrderStatus.coerce("brandNewStatus") == "brandNewStatus"
    assert "open" not in FINAL_ORDER_STATUSES and "triggered" not in FINAL_ORDER_STATUSES
    assert "scheduledCancel" in FINAL_ORDER_STATUSES
    live = OrderStatus(_order(), KnownOrderStatus.OPEN, 5)
    assert live.is_open and not live.is_final and live.is_known_status
    odd = OrderStatus(_order(), "mysteryRejected", 5)
    assert odd.is_final and not odd.is_known_status and not odd.is_open
    assert not OrderStatus(_order(), "pendingSomething", 5).is_final


def test_open_order_filled_size() -> None:
    assert _order(orig_sz=Decimal("2")).filled_sz == Decimal("1.5")
    assert _order().filled_sz is None


def test_book_and_position_helpers() -> None:
    book = L2Book("BTC", 1, (BookLevel(Decimal("99"), Decimal(1), 1),), ())
    assert book.best_bid is not None and book.best_ask is None and book.mid is None
    pos = Position(
        coin="ETH",
        szi=Decimal("-2"),
        entry_px=Decimal("3000"),
        leverage=Leverage(LeverageType.CROSS, 10),
        liquidation_px=None,
        margin_used=Decimal("600"),
        position_value=Decimal("6000"),
        return_on_equity=Decimal("0"),
        unrealized_pnl=Decimal("0"),
    )
    assert not pos.is_long and pos.size == 2 and pos.side is Side.SELL
    assert pos.leverage.is_cross
    summary = MarginSummary(Decimal(1), Decimal(2), Decimal(3), Decimal(4))
    state = AccountState((pos,), summary, summary, Decimal(0))
    assert state.position("ETH") is pos and state.position("BTC") is None
    assert state.time is None


def test_a_book_level_and_a_planned_fill_are_both_a_size_at_a_price() -> None:
    level = BookLevel(Decimal("99.5"), Decimal(2), 3)  # positional order kept: px, sz, n
    fill = PlannedFill(Decimal("99.5"), Decimal(2), crossed=True)
    assert isinstance(level, SizeAtPrice) and isinstance(fill, SizeAtPrice)
    assert level.notional == fill.notional == Decimal(199)
    assert (level.px, level.sz, level.n) == (Decimal("99.5"), Decimal(2), 3)
    assert [f.name for f in dataclasses.fields(PlannedFill)] == ["px", "sz", "crossed"]


def test_rate_limit_remaining() -> None:
    assert UserRateLimit(Decimal(0), 10, 10010).remaining == 10000

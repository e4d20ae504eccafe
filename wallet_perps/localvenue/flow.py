"""Synthetic traders that make the local market live: depth, trades, volume, OI and funding.

Three kinds of participants, each an ordinary funded account trading through the same
``Venue`` methods a signed client reaches (so every fill, fee and margin rule applies to them):

* **market makers** quote a ladder around the oracle and skew it against their inventory. When
  takers crowd one side, the makers' quotes (and so mid and impact prices) lean away from the
  oracle, which is exactly what moves the premium and therefore funding (PROTOCOL §11.3);
* **noise takers** cross the spread at random with log-normally sized orders, and close what
  they hold now and then;
* **trend followers** buy strength and sell weakness, so a move draws in open interest on one
  side until it fades.

Everything is driven by a seeded ``random.Random`` and by venue time, so replaying the same
ticks reproduces the same flow: the store relies on that.
"""

from __future__ import annotations

import math
import random
from collections import deque
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

from wallet_perps.core.numbers import round_price, round_size
from wallet_perps.localvenue.actions import CancelAction, OrderAction, OrderRequest

MAKER_FUNDS = Decimal(50_000_000)
TAKER_FUNDS = Decimal(2_000_000)
#: Ladder: levels per side, spacing between them (fraction of price) and the first level's
#: distance from the fair price.
LEVELS = 6
LEVEL_STEP = Decimal("0.0004")
HALF_SPREAD = Decimal("0.0002")
#: How far a maker leans its quotes per $1 of inventory notional, as a fraction of price.
SKEW_PER_USD = Decimal("0.0000000015")
MAX_SKEW = Decimal("0.004")
REQUOTE_MOVE = Decimal("0.0003")
REQUOTE_EVERY_MS = 3_000


class VenueLike(Protocol):
    """The public ``Venue`` methods the flow uses."""

    def faucet(self, user: str, usdc: Decimal, now_ms: int) -> None: ...
    def order(self, user: str, action: OrderAction, now_ms: int) -> dict[str, Any]: ...
    def cancel(self, user: str, action: CancelAction, now_ms: int) -> dict[str, Any]: ...
    def meta_and_asset_ctxs(self) -> list[Any]: ...
    def open_orders(self, user: str) -> list[dict[str, Any]]: ...
    def clearinghouse_state(self, user: str) -> dict[str, Any]: ...


@dataclass(frozen=True, slots=True)
class _Market:
    coin: str
    asset: int
    sz_decimals: int


def _address(kind: int, index: int) -> str:
    """Deterministic, obviously synthetic addresses (0xf10w…)."""
    return "0x" + f"f10{kind:01x}{index:036x}"


@dataclass
class _Maker:
    user: str
    market: _Market
    size_usd: Decimal
    last_fair: Decimal = Decimal(0)
    last_quote_ms: int = 0


@dataclass
class _Trader:
    user: str
    kind: str  # "noise" | "trend"
    rate_per_min: float
    size_usd: float
    inventory: dict[str, Decimal] = field(default_factory=dict)


class MarketFlow:
    """Steps all synthetic participants forward to a venue time."""

    def __init__(self, venue: VenueLike, *, seed: int, now_ms: int, makers_per_market: int = 2):
        self._rng = random.Random(seed ^ 0x5EED)
        meta, _ = venue.meta_and_asset_ctxs()
        self.markets = [
            _Market(m["name"], i, int(m["szDecimals"])) for i, m in enumerate(meta["universe"])
        ]
        self.makers: list[_Maker] = []
        for i, market in enumerate(self.markets):
            for j in range(makers_per_market):
                size = Decimal(60_000 if i < 2 else 15_000) * (j + 1)
                self.makers.append(_Maker(_address(1, i * 8 + j), market, size))
        self.traders = [_Trader(_address(2, i), "noise", 6.0, 3_000.0) for i in range(6)] + [
            _Trader(_address(3, i), "trend", 2.0, 8_000.0) for i in range(3)
        ]
        for maker in self.makers:
            venue.faucet(maker.user, MAKER_FUNDS, now_ms)
        for trader in self.traders:
            venue.faucet(trader.user, TAKER_FUNDS, now_ms)
        self._last_ms = now_ms
        self._history: dict[str, deque[tuple[int, Decimal]]] = {
            m.coin: deque(maxlen=120) for m in self.markets
        }

    # -- one step ----------------------------------------------------------------------------

    def step(self, venue: VenueLike, now_ms: int) -> None:
        dt_ms = max(0, now_ms - self._last_ms)
        self._last_ms = now_ms
        _, ctxs = venue.meta_and_asset_ctxs()
        oracle = {
            m.coin: Decimal(ctx["oraclePx"]) for m, ctx in zip(self.markets, ctxs, strict=True)
        }
        for market in self.markets:
            history = self._history[market.coin]
            if not history or now_ms - history[-1][0] >= 5_000:
                history.append((now_ms, oracle[market.coin]))
        positions = self._maker_positions(venue)
        for maker in self.makers:
            self._quote(venue, maker, oracle[maker.market.coin], positions, now_ms)
        for trader in self.traders:
            self._trade(venue, trader, oracle, dt_ms, now_ms)

    def _maker_positions(self, venue: VenueLike) -> dict[tuple[str, str], Decimal]:
        """Each maker's signed size in its own market (its inventory, for skew)."""
        out: dict[tuple[str, str], Decimal] = {}
        seen: set[str] = set()
        for maker in self.makers:
            if maker.user in seen:
                continue
            seen.add(maker.user)
            state = venue.clearinghouse_state(maker.user)
            for entry in state.get("assetPositions", []):
                position = entry["position"]
                out[(maker.user, position["coin"])] = Decimal(position["szi"])
        return out

    def _quote(
        self,
        venue: VenueLike,
        maker: _Maker,
        oracle: Decimal,
        positions: dict[tuple[str, str], Decimal],
        now_ms: int,
    ) -> None:
        market = maker.market
        inventory = positions.get((maker.user, market.coin), Decimal(0))
        skew = max(-MAX_SKEW, min(MAX_SKEW, -inventory * oracle * SKEW_PER_USD))
        fair = oracle * (1 + skew)
        moved = abs(fair - maker.last_fair) / fair if maker.last_fair else Decimal(1)
        if moved < REQUOTE_MOVE and now_ms - maker.last_quote_ms < REQUOTE_EVERY_MS:
            return
        maker.last_fair, maker.last_quote_ms = fair, now_ms
        mine = [o for o in venue.open_orders(maker.user) if o["coin"] == market.coin]
        if mine:
            cancels = tuple((market.asset, int(o["oid"])) for o in mine)
            venue.cancel(maker.user, CancelAction(cancels), now_ms)
        orders = []
        for level in range(LEVELS):
            offset = HALF_SPREAD + LEVEL_STEP * level
            usd = maker.size_usd * Decimal(1 + level) / 2
            for is_buy in (True, False):
                raw_px = fair * (1 - offset) if is_buy else fair * (1 + offset)
                px = round_price(raw_px, market.sz_decimals, direction="down" if is_buy else "up")
                try:
                    size = round_size(usd / px, market.sz_decimals)
                except ValueError:
                    continue
                orders.append(_limit(market.asset, is_buy, px, size, "Alo"))
        if orders:
            venue.order(maker.user, OrderAction(tuple(orders)), now_ms)

    def _trade(
        self,
        venue: VenueLike,
        trader: _Trader,
        oracle: dict[str, Decimal],
        dt_ms: int,
        now_ms: int,
    ) -> None:
        expected = trader.rate_per_min * dt_ms / 60_000
        for _ in range(self._poisson(expected)):
            market = self._pick_market()
            px = oracle[market.coin]
            is_buy = self._direction(trader, market)
            held = trader.inventory.get(market.coin, Decimal(0))
            usd = Decimal(str(round(self._rng.lognormvariate(math.log(trader.size_usd), 0.8), 2)))
            reduce_only = False
            if held and self._rng.random() < 0.3:  # take profit / cut: close what is held
                is_buy = held < 0
                size = abs(held)
                reduce_only = True
            else:
                size = usd / px
            try:
                size = round_size(size, market.sz_decimals)
            except ValueError:
                continue
            if size * px < 12 and not reduce_only:
                continue
            slip = Decimal("1.01") if is_buy else Decimal("0.99")
            limit = round_price(px * slip, market.sz_decimals, direction="up" if is_buy else "down")
            order = _limit(market.asset, is_buy, limit, size, "Ioc", reduce_only=reduce_only)
            answer = venue.order(trader.user, OrderAction((order,)), now_ms)
            filled = _filled_size(answer)
            if filled:
                trader.inventory[market.coin] = held + (filled if is_buy else -filled)

    def _direction(self, trader: _Trader, market: _Market) -> bool:
        if trader.kind == "trend":
            history = self._history[market.coin]
            if len(history) >= 12:
                change = history[-1][1] / history[-12][1] - 1
                if abs(change) > Decimal("0.001"):
                    return change > 0 if self._rng.random() < 0.8 else change < 0
        return self._rng.random() < 0.5

    def _pick_market(self) -> _Market:
        # BTC and ETH trade most, like on the real venue.
        weights = [6, 4] + [1] * (len(self.markets) - 2)
        return self._rng.choices(self.markets, weights=weights[: len(self.markets)])[0]

    def _poisson(self, expected: float) -> int:
        if expected <= 0:
            return 0
        threshold, count, product = math.exp(-expected), 0, self._rng.random()
        while product > threshold:
            count += 1
            product *= self._rng.random()
        return count


def _limit(
    asset: int, is_buy: bool, px: Decimal, size: Decimal, tif: str, *, reduce_only: bool = False
) -> OrderRequest:
    return OrderRequest(asset, is_buy, px, size, reduce_only, tif)


def _filled_size(answer: dict[str, Any]) -> Decimal:
    statuses = answer.get("data", {}).get("statuses", [])
    total = Decimal(0)
    for status in statuses:
        if isinstance(status, dict) and "filled" in status:
            total += Decimal(status["filled"]["totalSz"])
    return total

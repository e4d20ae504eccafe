"""Venue time on the market side: oracle and mark prices, candles and day stats, funding.

:class:`Prices` moves the oracle process with venue time and recomputes the marks the
clearinghouse margins on (PROTOCOL §11.2); trades land in the candles and 24 h statistics
through it. :class:`Funding` samples the premium every 5 s of venue time and pays funding on
the hour (§11.3), writing ``fundingHistory`` and every user's ``userFunding`` rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from wallet_perps.core.risk import IMPACT_NOTIONAL_MAJOR, IMPACT_NOTIONAL_OTHER, impact_price
from wallet_perps.localvenue.candles import Candle
from wallet_perps.localvenue.clock import HOUR_MS
from wallet_perps.localvenue.engine_base import Call, rows_of
from wallet_perps.localvenue.engine_pushes import Pushes
from wallet_perps.localvenue.engine_types import VenueEvent, deterministic_hash, wire
from wallet_perps.localvenue.oracle import FUNDING_SAMPLE_INTERVAL_S
from wallet_perps.localvenue.state import VenueState

__all__ = ["Funding", "Prices"]


class Prices:
    """Owns the market slice (``state.market``): oracle, marks, candles, day statistics."""

    __slots__ = ("m", "s")

    def __init__(self, state: VenueState) -> None:
        self.s = state
        self.m = state.market

    def refresh(self, coins: Sequence[str]) -> None:
        """Recompute the marks of ``coins`` and hand marks and oracles to the clearinghouse."""
        s, m = self.s, self.m
        now_s = s.now_ms / 1000.0
        marks: dict[str, Decimal] = {}
        oracles: dict[str, Decimal] = {}
        books = s.trades.books
        for coin in coins:
            oracle = m.oracle.price(coin)
            bid, ask = books[coin].bbo()
            last = books[coin].last_trade_px
            marks[coin] = m.marks[coin].update(now_s, oracle, bid, ask, last)
            oracles[coin] = oracle
        s.clearinghouse.set_prices(marks, oracles)

    def advance(self, now: int) -> None:
        """Walk the oracle to venue time ``now`` and refresh every mark."""
        m = self.m
        dt = (now - m.last_tick_ms) / 1000.0
        m.last_tick_ms = now
        if dt > 0:
            m.oracle.step(dt)
        self.refresh(self.s.coins)

    def set_oracle(self, coin: str, px: Decimal) -> None:
        """Override one oracle (ValueError for a price the process refuses) and its mark."""
        self.m.oracle.set_price(coin, px)
        self.refresh([coin])

    def record_trade(self, now: int, coin: str, px: Decimal, sz: Decimal) -> None:
        self.m.candles[coin].add_trade(now, px, sz)
        self.m.day[coin].record_trade(now, px, sz)

    def observe_day(self, now: int) -> None:
        marks = self.s.clearinghouse.marks
        for coin in self.s.coins:
            self.m.day[coin].observe_price(now, marks[coin])

    def flush_candles(self) -> dict[str, list[tuple[str, Candle]]]:
        """Fold the tick's trades into every candle interval; the candles that changed."""
        return {coin: self.m.candles[coin].flush() for coin in self.s.coins}


class Funding:
    """Owns the funding slice (``state.funding``): premium samples, rates, funding rows."""

    __slots__ = ("f", "pushes", "s")

    def __init__(self, state: VenueState, pushes: Pushes) -> None:
        self.s = state
        self.f = state.funding
        self.pushes = pushes

    def sample(self, now: int) -> None:
        """One premium sample per coin every 5 s of venue time (impact prices from the book)."""
        f = self.f
        slot = now // (FUNDING_SAMPLE_INTERVAL_S * 1000)
        if f.last_sample_slot is not None and slot <= f.last_sample_slot:
            return
        f.last_sample_slot = slot
        oracle = self.s.market.oracle
        for coin in self.s.coins:
            book = self.s.trades.books[coin]
            notional = IMPACT_NOTIONAL_MAJOR if coin in ("BTC", "ETH") else IMPACT_NOTIONAL_OTHER
            bid = impact_price(book.depth_levels(True), notional)
            ask = impact_price(book.depth_levels(False), notional)
            f.impact[coin] = (bid, ask)
            f.samplers[coin].sample(now / 1000.0, oracle.price(coin), bid, ask)

    def settle_due(self, call: Call) -> None:
        """Settle every funding hour that ended by the call's time."""
        f = self.f
        while f.next_funding_ms <= call.now:
            self._settle(call, f.next_funding_ms)
            f.next_funding_ms += HOUR_MS

    def _settle(self, call: Call, hour_ms: int) -> None:
        """Pay one hour of funding on every position (PROTOCOL §11.3)."""
        s, f = self.s, self.f
        listening = bool(self.pushes.listeners)
        for coin in s.coins:
            record = f.samplers[coin].settle(hour_ms)
            f.history[coin].append(
                {
                    "coin": coin,
                    "fundingRate": wire(record.funding_rate),
                    "premium": wire(record.premium),
                    "time": record.time,
                }
            )
            h = deterministic_hash(s.seed, "funding", coin, hour_ms)
            for effect in s.clearinghouse.apply_funding(coin, record.funding_rate):
                delta = {
                    "type": "funding",
                    "coin": coin,
                    "usdc": wire(effect.usdc),
                    "szi": wire(effect.szi),
                    "fundingRate": wire(record.funding_rate),
                    "nSamples": record.n_samples,
                }
                rows_of(f.user_funding, effect.user).append(
                    {"time": hour_ms, "hash": h, "delta": delta}
                )
                call.dirty[effect.user] = None
                if listening:
                    flat = {k: v for k, v in delta.items() if k != "type"}
                    flat["time"] = hour_ms
                    user = effect.user
                    call.extra.append(
                        VenueEvent("userFundings", user, {"user": user, "fundings": [flat]})
                    )
                    call.extra.append(VenueEvent("user", user, {"funding": {**flat, "hash": h}}))

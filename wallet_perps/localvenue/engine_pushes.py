"""Calls and pushes: how each engine call starts, ends, and reaches the WebSocket layer.

Every state-changing call begins here (venue time moves forward, the call gets its sequence
number and so its transaction hash, the user's request count grows) and ends here, when what
it collected on its :class:`~.engine_base.Call` is pushed. Nothing is built for the pushes
while nobody listens. Market data (books, bbo, mids, asset contexts, candles) and the account
pushes that order activity coalesces go out once per tick (see ``engine``'s docstring).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

from wallet_perps.localvenue.candles import Candle
from wallet_perps.localvenue.clearinghouse import ClearinghouseError
from wallet_perps.localvenue.engine_base import Call
from wallet_perps.localvenue.engine_queries import VenueQueries
from wallet_perps.localvenue.engine_types import VenueEvent, VenueReject
from wallet_perps.localvenue.state import VenueState

__all__ = ["Pushes"]

Listener = Callable[[VenueEvent], None]


class Pushes:
    """Owns the push slice (``state.pushes``): call counter, request counts, what is dirty."""

    __slots__ = ("listeners", "queries", "s", "t")

    def __init__(self, state: VenueState, listeners: list[Listener], queries: VenueQueries) -> None:
        self.s = state
        self.t = state.pushes
        self.listeners = listeners
        self.queries = queries

    def begin(self, now_ms: int, user: str | None = None, weight: int = 1) -> Call:
        s = self.s
        if now_ms > s.now_ms:
            s.now_ms = now_ms
        t = self.t
        t.call_seq += 1
        if user is not None:
            t.n_requests[user] = t.n_requests.get(user, 0) + weight
        return Call(s.now_ms, t.call_seq, s.seed)

    @contextlib.contextmanager
    def call(self, now_ms: int, user: str | None = None, weight: int = 1) -> Iterator[Call]:
        """One state-changing call: refusals in the venue's words, and its pushes always sent."""
        call = self.begin(now_ms, user, weight)
        try:
            yield call
        except ClearinghouseError as exc:
            raise VenueReject(str(exc)) from None
        finally:
            self.end(call)

    def emit(self, channel: str, key: str | None, data: Any) -> None:
        event = VenueEvent(channel, key, data)
        for listener in self.listeners:
            listener(event)

    def end(self, call: Call) -> None:
        """Push what the call did (only when someone listens)."""
        if not self.listeners:
            return
        for coin, trades in call.trades.items():
            self.emit("trades", coin, trades)
        for user, fills in call.fills.items():
            self.emit("userFills", user, {"user": user, "fills": fills})
            self.emit("user", user, {"fills": fills})
        for user, updates in call.updates.items():
            self.emit("orderUpdates", user, updates)
        for user, cancels in call.nonuser.items():
            self.emit("user", user, {"nonUserCancel": cancels})
        for event in call.extra:
            for listener in self.listeners:
                listener(event)
        for user in call.dirty:
            self.t.soft_dirty.pop(user, None)
            self.emit_state(user)
        for user, coin in call.pairs:
            data = self.queries.active_asset_data(user, coin)
            self.emit("activeAssetData", f"{user}:{coin}", data)

    def emit_state(self, user: str) -> None:
        state = self.queries.clearinghouse_state(user)
        data = {"dex": "", "user": user, "clearinghouseState": state}
        self.emit("clearinghouseState", user, data)

    def user_event(self, call: Call, channel: str, user: str, data: Any) -> None:
        if self.listeners:
            call.extra.append(VenueEvent(channel, user, data))

    def soft(self, user: str) -> None:
        """The account's clearinghouseState is pushed at the next tick."""
        self.t.soft_dirty[user] = None

    def soft_pair(self, user: str, coin: str) -> None:
        """The user's activeAssetData for ``coin`` is pushed at the next tick."""
        self.t.soft_pairs[(user, coin)] = None

    def book_changed(self, coin: str) -> None:
        """The coin's l2Book (and bbo, if it moved) is pushed at the next tick."""
        self.t.book_dirty[coin] = None

    def market(self, candle_updates: dict[str, list[tuple[str, Candle]]]) -> None:
        """Once-per-tick pushes: books, bbo, mids, asset contexts, candles, soft-dirty users."""
        t = self.t
        book_dirty, t.book_dirty = t.book_dirty, {}
        soft, t.soft_dirty = t.soft_dirty, {}
        soft_pairs, t.soft_pairs = t.soft_pairs, {}
        if not self.listeners:
            return
        q = self.queries
        books = self.s.trades.books
        for coin in book_dirty:
            self.emit("l2Book", coin, q.l2_book(coin))
            bbo = books[coin].bbo()
            if t.last_bbo.get(coin) != bbo:
                t.last_bbo[coin] = bbo
                self.emit("bbo", coin, q.bbo_wire(coin))
        self.emit("allMids", None, {"mids": q.all_mids()})
        for coin in self.s.coins:
            self.emit("activeAssetCtx", coin, {"coin": coin, "ctx": q.asset_ctx(coin)})
            for interval, candle in candle_updates[coin]:
                self.emit("candle", f"{coin}:{interval}", candle.wire(coin, interval))
        for user in soft:
            self.emit_state(user)
        for user, coin in soft_pairs:
            self.emit("activeAssetData", f"{user}:{coin}", q.active_asset_data(user, coin))

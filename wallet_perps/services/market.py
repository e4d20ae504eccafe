"""MarketData: the universe, live asset contexts, books, trades and candles, kept current.

Why a service and not direct calls from widgets: several widgets show the same coin (ticket,
chart, book, pulse page) and must agree on one number, the WebSocket allows a limited number
of subscriptions, and after a reconnect every stream must be rebuilt from a fresh snapshot.
So one object owns each subscription (reference-counted through :meth:`watch` /
:meth:`watch_candles`), keeps the latest value, and announces changes as
:class:`MarketEvent` through an :class:`~wallet_perps.services.events.EventSource`.

Trades are kept as the venue sent them and parsed when read: at thousands of messages a second,
parsing every trade into Decimals was the largest single cost of a message (over a third of
the app's time in ``benchmarks/ui_stream.py --profile``), while the screen shows a dozen trades
of one coin a few times a second. A push is checked on arrival for what deduplication needs (a
list of objects with an integer ``tid`` and a string ``hash``); a trade that does not parse is
dropped, with a warning, when it is first read.

Resync rule: the WebSocket client flags the first message after every (re)subscribe as a
resync. Full-snapshot feeds (asset context, book, mids) simply replace; candles are
re-fetched over REST so the bars missed while disconnected appear; all asset contexts are
re-fetched after a reconnect because only watched coins stream theirs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any, Final, TypeVar

from wallet_perps.core.clock import wall_ms
from wallet_perps.core.models import (
    AssetContext,
    Candle,
    FundingRate,
    L2Book,
    Market,
    Meta,
    PredictedFunding,
    Trade,
)
from wallet_perps.hyperliquid import parse
from wallet_perps.hyperliquid.errors import VenueError
from wallet_perps.hyperliquid.http import HyperliquidHttp
from wallet_perps.hyperliquid.info_queries import InfoQueries
from wallet_perps.hyperliquid.ws import (
    ConnectionState,
    HyperliquidWs,
    SubscriptionCallback,
    SubscriptionHandle,
)
from wallet_perps.services.events import EventSource
from wallet_perps.services.tasks import cancel_and_wait

__all__ = ["INTERVAL_MS", "MarketData", "MarketEvent", "MarketEventKind"]

log = logging.getLogger(__name__)

#: Candle intervals the venue serves (PROTOCOL §7), in milliseconds.
INTERVAL_MS: Final[Mapping[str, int]] = {
    "1m": 60_000,
    "3m": 180_000,
    "5m": 300_000,
    "15m": 900_000,
    "30m": 1_800_000,
    "1h": 3_600_000,
    "2h": 7_200_000,
    "4h": 14_400_000,
    "8h": 28_800_000,
    "12h": 43_200_000,
    "1d": 86_400_000,
    "3d": 259_200_000,
    "1w": 604_800_000,
    "1M": 2_592_000_000,
}
#: Recent public trades kept per coin.
TRADES_KEPT: Final = 100
#: Candles kept per (coin, interval); the venue serves at most 5000.
CANDLES_KEPT: Final = 5000


class MarketEventKind(StrEnum):
    META = "meta"  # universe (re)loaded; every context replaced
    CONTEXTS = "contexts"  # all asset contexts refreshed
    CONTEXT = "context"  # one coin's context (``coin``)
    MIDS = "mids"  # all mids
    BOOK = "book"  # ``coin``'s L2 book
    TRADES = "trades"  # ``coin``'s recent trades
    CANDLES = "candles"  # ``coin`` + ``interval`` candles (a new or changed bar, or a reload)
    STALE = "stale"  # the stale flag changed


@dataclass(frozen=True, slots=True)
class MarketEvent:
    kind: MarketEventKind
    coin: str | None = None
    interval: str | None = None


K = TypeVar("K")
#: What a per-coin push replaces: the coin's latest asset context or order book.
_PerCoin = TypeVar("_PerCoin", AssetContext, L2Book)


@dataclass(eq=False)
class _Watch:
    count: int
    handles: list[SubscriptionHandle]


def _for_coin(on_push: Callable[[str, Any], None], coin: str) -> SubscriptionCallback:
    """The subscription callback that hands ``coin``'s pushes to ``on_push``."""
    return lambda data, _is_resync: on_push(coin, data)


class MarketData:
    """Owns market subscriptions and their latest values. Start with :meth:`start`.

    ``contexts_poll_s`` re-fetches every market's context (prices, funding, OI for the market
    picker and the funding page) at that period; 0 disables polling.
    """

    def __init__(
        self, http: HyperliquidHttp, ws: HyperliquidWs, *, contexts_poll_s: float = 15.0
    ) -> None:
        self._http = http
        self._ws = ws
        self._poll_s = contexts_poll_s
        self.events: EventSource[MarketEvent] = EventSource("MarketData")
        self._meta: Meta | None = None
        self._contexts: dict[str, AssetContext] = {}
        self._mids: dict[str, Decimal] = {}
        self._books: dict[str, L2Book] = {}
        # Raw trade objects, newest first (see the module doc), and each coin's parsed
        # tuple once read, until its next new trade.
        self._trades: dict[str, deque[dict[str, Any]]] = {}
        self._parsed_trades: dict[str, tuple[Trade, ...]] = {}
        # (tid, hash) of each coin's kept trades, maintained with the deque: trades arrive
        # thousands of times a second, so the dedupe set is not rebuilt per message.
        self._trade_keys: dict[str, set[tuple[Any, Any]]] = {}
        self._candles: dict[tuple[str, str], dict[int, Candle]] = {}
        self._candle_lookback: dict[tuple[str, str], int] = {}
        self._watches: dict[str, _Watch] = {}
        self._candle_watches: dict[tuple[str, str], _Watch] = {}
        self._mids_handle: SubscriptionHandle | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._poller: asyncio.Task[None] | None = None
        self._started = False
        self._stale = True
        self._seen_reconnects = 0

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Load the universe and every asset context, and stream all mids."""
        if self._started:
            return
        self._started = True
        self._seen_reconnects = self._ws.reconnects
        await self.refresh_contexts()
        self._mids_handle = await self._ws.subscribe({"type": "allMids"}, self._on_mids)
        if self._poll_s > 0:
            self._poller = asyncio.create_task(self._poll(), name="MarketData contexts poll")
        self._set_stale(not self._ws.connected)

    async def stop(self) -> None:
        """Unsubscribe everything and cancel every task this object started."""
        self._started = False
        tasks = list(self._tasks)
        if self._poller is not None:
            tasks.append(self._poller)
            self._poller = None
        await cancel_and_wait(tasks)
        self._tasks.clear()
        handles: list[SubscriptionHandle] = []
        if self._mids_handle is not None:
            handles.append(self._mids_handle)
            self._mids_handle = None
        for watch in [*self._watches.values(), *self._candle_watches.values()]:
            handles.extend(watch.handles)
        self._watches.clear()
        self._candle_watches.clear()
        for handle in handles:
            with contextlib.suppress(VenueError, RuntimeError):
                await self._ws.unsubscribe(handle)

    def on_connection_state(self, state: ConnectionState) -> None:
        """Hook for the session: numbers are stale while disconnected; refresh after reconnect."""
        if state is ConnectionState.CONNECTED:
            self._set_stale(False)
            if self._ws.reconnects != self._seen_reconnects:
                self._seen_reconnects = self._ws.reconnects
                self._spawn(self._refresh_quietly(), "MarketData refresh after reconnect")
        else:
            self._set_stale(True)

    # ------------------------------------------------------------------ values

    @property
    def meta(self) -> Meta:
        """The perp universe; raises RuntimeError before :meth:`start` has loaded it."""
        if self._meta is None:
            raise RuntimeError("market data not loaded yet; await MarketData.start() first")
        return self._meta

    @property
    def loaded(self) -> bool:
        return self._meta is not None

    @property
    def stale(self) -> bool:
        """True while the stream is down: shown numbers may be old."""
        return self._stale or not self._ws.connected

    def market(self, coin: str) -> Market:
        return self.meta.market(coin)

    def context(self, coin: str) -> AssetContext | None:
        return self._contexts.get(coin)

    @property
    def contexts(self) -> Mapping[str, AssetContext]:
        return dict(self._contexts)

    def mid(self, coin: str) -> Decimal | None:
        book = self._books.get(coin)
        if book is not None and book.mid is not None:
            return book.mid
        if coin in self._mids:
            return self._mids[coin]
        ctx = self._contexts.get(coin)
        return None if ctx is None else ctx.mid_px or ctx.mark_px

    @property
    def mids(self) -> Mapping[str, Decimal]:
        return dict(self._mids)

    def book(self, coin: str) -> L2Book | None:
        return self._books.get(coin)

    def trades(self, coin: str) -> tuple[Trade, ...]:
        """Recent public trades, newest first (at most ``TRADES_KEPT``)."""
        parsed = self._parsed_trades.get(coin)
        if parsed is None:
            parsed = self._parsed_trades[coin] = self._parse_trades(coin)
        return parsed

    def candles(self, coin: str, interval: str) -> tuple[Candle, ...]:
        """Candles by open time, oldest first (the last one may still be forming)."""
        bars = self._candles.get((coin, interval), {})
        return tuple(bars[t] for t in sorted(bars))

    # ------------------------------------------------------------------ on demand

    @property
    def _snapshots(self) -> InfoQueries:
        """Where snapshots are asked: over the socket while it is up (one connection less,
        and the first screen needs no HTTP client at all), else over HTTP."""
        return self._ws if self._ws.connected else self._http

    async def refresh_contexts(self) -> None:
        """Re-fetch the universe and every asset context (one metaAndAssetCtxs call)."""
        meta, contexts = await self._snapshots.meta_and_asset_ctxs()
        first = self._meta is None or self._meta.coins != meta.coins
        self._meta = meta
        for ctx in contexts:
            self._contexts[ctx.coin] = ctx
        self.events.emit(MarketEvent(MarketEventKind.META if first else MarketEventKind.CONTEXTS))

    async def funding_history(
        self, coin: str, start_ms: int, end_ms: int | None = None
    ) -> list[FundingRate]:
        """Hourly funding rates for ``coin`` (paged past the 500-row cap)."""
        return await self._snapshots.funding_history(coin, start_ms, end_ms)

    async def predicted_fundings(self) -> list[PredictedFunding]:
        """The venue's (and other venues') predicted next rates per coin."""
        return await self._snapshots.predicted_fundings()

    # ------------------------------------------------------------------ watching

    async def watch(self, coin: str) -> None:
        """Stream ``coin``'s asset context, L2 book and trades (reference-counted)."""
        self.market(coin)  # unknown coin: fail here with a readable error
        feeds = (
            ("activeAssetCtx", self._on_ctx),
            ("l2Book", self._on_book),
            ("trades", self._on_trades),
        )
        subscriptions = [
            ({"type": channel, "coin": coin}, _for_coin(on_push, coin))
            for channel, on_push in feeds
        ]
        if not await self._open_watch(self._watches, coin, subscriptions):
            return
        if coin not in self._books:
            # Don't wait for the first push: the ticket estimates need a book now.
            with contextlib.suppress(VenueError):
                self._books[coin] = await self._snapshots.l2_book(coin)
                self.events.emit(MarketEvent(MarketEventKind.BOOK, coin))

    async def unwatch(self, coin: str) -> None:
        if await self._release(self._watches, coin):
            self._books.pop(coin, None)

    async def watch_candles(self, coin: str, interval: str, lookback_ms: int) -> None:
        """Load ``lookback_ms`` of candles and stream the forming one (reference-counted)."""
        if interval not in INTERVAL_MS:
            raise ValueError(f"unknown candle interval {interval!r}")
        self.market(coin)
        key = (coin, interval)
        self._candle_lookback[key] = max(lookback_ms, self._candle_lookback.get(key, 0))
        subscription = (
            {"type": "candle", "coin": coin, "interval": interval},
            lambda data, resync: self._on_candle(coin, interval, data, resync),
        )
        await self._open_watch(
            self._candle_watches,
            key,
            [subscription],
            prepare=lambda: self._load_candles(coin, interval),
        )

    async def unwatch_candles(self, coin: str, interval: str) -> None:
        key = (coin, interval)
        if await self._release(self._candle_watches, key):
            self._candles.pop(key, None)

    async def _open_watch(
        self,
        watches: dict[K, _Watch],
        key: K,
        subscriptions: Sequence[tuple[dict[str, str], SubscriptionCallback]],
        prepare: Callable[[], Awaitable[None]] | None = None,
    ) -> bool:
        """Count one more reference to ``watches[key]``; when it is the first, run ``prepare``
        and make the subscriptions, and return True (False: already streaming).

        A first watch that fails part-way (a subscribe refused, the caller cancelled) is
        undone, count and subscriptions both: left behind, it would count as streaming and no
        later call would ever subscribe it again.
        """
        existing = watches.get(key)
        if existing is not None:
            existing.count += 1
            return False
        watches[key] = watch = _Watch(1, [])
        try:
            if prepare is not None:
                await prepare()
            for subscription, on_push in subscriptions:
                watch.handles.append(await self._ws.subscribe(subscription, on_push))
        except BaseException:
            watches.pop(key, None)
            await self._unsubscribe_all(watch.handles)
            raise
        return True

    async def _release(self, watches: dict[K, _Watch], key: K) -> bool:
        """Drop one reference to ``watches[key]``; True once the last one went (unsubscribed)."""
        watch = watches.get(key)
        if watch is None:
            return False
        watch.count -= 1
        if watch.count > 0:
            return False
        del watches[key]
        await self._unsubscribe_all(watch.handles)
        return True

    async def _unsubscribe_all(self, handles: list[SubscriptionHandle]) -> None:
        for handle in handles:
            with contextlib.suppress(VenueError):
                await self._ws.unsubscribe(handle)

    # ------------------------------------------------------------------ stream handlers

    def _on_mids(self, data: Any, is_resync: bool) -> None:
        mids = parse.parse_push(parse.parse_ws_all_mids, data, "allMids")
        if mids is None:
            return
        if is_resync:
            self._mids.clear()
            self._note_resync()
        self._mids.update(mids)
        self.events.emit(MarketEvent(MarketEventKind.MIDS))

    def _on_ctx(self, coin: str, data: Any) -> None:
        ctx = parse.parse_push(parse.parse_ws_active_asset_ctx, data, "activeAssetCtx %s", coin)
        self._keep_latest(self._contexts, ctx, MarketEventKind.CONTEXT)

    def _on_book(self, coin: str, data: Any) -> None:
        book = parse.parse_push(parse.parse_ws_l2_book, data, "l2Book %s", coin)
        self._keep_latest(self._books, book, MarketEventKind.BOOK)

    def _keep_latest(
        self, table: dict[str, _PerCoin], value: _PerCoin | None, kind: MarketEventKind
    ) -> None:
        """A push that replaces its coin's last value (a garbled one, None, is skipped)."""
        if value is None:
            return
        table[value.coin] = value
        self.events.emit(MarketEvent(kind, value.coin))

    def _on_trades(self, coin: str, data: Any) -> None:
        if not isinstance(data, list) or not all(map(_keyed_trade, data)):
            log.warning("unparseable trades push for %s: %.200r", coin, data)
            return
        kept = self._trades.setdefault(coin, deque(maxlen=TRADES_KEPT))
        seen = self._trade_keys.setdefault(coin, set())
        for item in data if len(data) == 1 else sorted(data, key=_trade_order):
            key = (item.get("tid"), item.get("hash"))
            if key in seen:
                continue
            if len(kept) == kept.maxlen:
                oldest = kept.pop()
                seen.discard((oldest.get("tid"), oldest.get("hash")))
            kept.appendleft(item)
            seen.add(key)
            self._parsed_trades.pop(coin, None)
        self.events.emit(MarketEvent(MarketEventKind.TRADES, coin))

    def _parse_trades(self, coin: str) -> tuple[Trade, ...]:
        """Parse ``coin``'s kept trades; one that does not parse is dropped (and logged once)."""
        kept = self._trades.get(coin)
        if not kept:
            return ()
        try:
            return tuple(parse.parse_ws_trades(list(kept)))
        except parse.ParseError:
            pass
        trades: list[Trade] = []
        for item in list(kept):
            try:
                trades.extend(parse.parse_ws_trades([item]))
            except parse.ParseError:
                log.warning("unparseable trade for %s dropped: %.200r", coin, item, exc_info=True)
                kept.remove(item)
                self._trade_keys.get(coin, set()).discard((item.get("tid"), item.get("hash")))
        return tuple(trades)

    def _on_candle(self, coin: str, interval: str, data: Any, is_resync: bool) -> None:
        candle = parse.parse_push(parse.parse_ws_candle, data, "candle %s %s", coin, interval)
        if candle is None:
            return
        bars = self._candles.setdefault((coin, interval), {})
        bars[candle.open_time] = candle
        if len(bars) > CANDLES_KEPT:
            for t in sorted(bars)[: len(bars) - CANDLES_KEPT]:
                del bars[t]
        self.events.emit(MarketEvent(MarketEventKind.CANDLES, coin, interval))
        if is_resync and self._ws.reconnects != 0:
            # Bars closed while we were away only exist in the REST snapshot.
            self._spawn(self._load_candles(coin, interval), f"candles {coin} {interval}")

    def _note_resync(self) -> None:
        if self._ws.reconnects != self._seen_reconnects:
            self._seen_reconnects = self._ws.reconnects
            self._spawn(self._refresh_quietly(), "MarketData refresh after resync")

    # ------------------------------------------------------------------ internals

    async def _load_candles(self, coin: str, interval: str) -> None:
        key = (coin, interval)
        now = wall_ms()
        start = now - self._candle_lookback.get(key, 100 * INTERVAL_MS[interval])
        try:
            candles = await self._snapshots.candle_snapshot(coin, interval, start, now)
        except VenueError as exc:
            log.warning("candles for %s %s not loaded: %s", coin, interval, exc)
            return
        bars = self._candles.setdefault(key, {})
        for candle in candles:
            bars[candle.open_time] = candle
        self.events.emit(MarketEvent(MarketEventKind.CANDLES, coin, interval))

    async def _refresh_quietly(self) -> None:
        try:
            await self.refresh_contexts()
        except VenueError as exc:
            log.warning("asset contexts not refreshed: %s", exc)

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(self._poll_s)
            if self._ws.connected:
                await self._refresh_quietly()

    def _spawn(self, coro: Coroutine[Any, Any, None], name: str) -> None:
        if not self._started:
            coro.close()
            return
        task = asyncio.create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _set_stale(self, stale: bool) -> None:
        if stale != self._stale:
            self._stale = stale
            self.events.emit(MarketEvent(MarketEventKind.STALE))


def _keyed_trade(item: object) -> bool:
    """An object with the (tid, hash) that dedupes it; the rest is checked when read."""
    return (
        isinstance(item, dict)
        and isinstance(item.get("tid"), int)
        and isinstance(item.get("hash"), str)
    )


def _trade_order(item: dict[str, Any]) -> tuple[int, int]:
    """Oldest first by (time, tid); a trade without a time sorts first and fails when read."""
    time_ms = item.get("time")
    return (time_ms if isinstance(time_ms, int) else 0, item["tid"])

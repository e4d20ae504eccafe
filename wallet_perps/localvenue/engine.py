"""The local venue's exchange engine: orders, matching, triggers, funding, liquidation, events.

:class:`Venue` is the one object the server talks to. It owns an order book per coin
(:mod:`.book`), the :class:`~.clearinghouse.Clearinghouse` (all money), the oracle/mark/funding
processes (:mod:`.oracle`) and the candles, and turns Hyperliquid's wire actions into changes
of those, answering with the venue's exact shapes and error strings (PROTOCOL §6, §9, §11).

The venue is split by concern: :mod:`.engine_orders` (order entry, matching, cancels,
modify, TP/SL, scheduleCancel), :mod:`.engine_liquidation`, :mod:`.engine_queries` (every
/info answer), :mod:`.engine_base` (constants, per-call event plumbing), :mod:`.engine_types`
(order records, wire shapes) and :mod:`.candles`; this module holds the state, time (ticks,
funding) and the transfer/leverage actions.

Why it is built this way:

* **Deterministic.** The store restores a venue by replaying the logged calls (each carries
  its ``now_ms``), and pickles it for snapshots. So nothing here reads the wall clock or the
  global RNG, ids and hashes come from counters, and every iteration is over insertion-ordered
  dicts (never a set of str, whose order changes between processes).
* **Fast.** The server aims at ≥2,000 signed orders/s, so a place or cancel does no full-book
  scan and no whole-account rebuild beyond the clearinghouse's one margin check; JSON for
  queries and pushes is only built when asked for (events only when someone listens), and
  candles and 24 h stats take a trade as one list append, folded in once per tick.
* **Events are coalesced.** Fills, trades, order updates and user events of one call are
  pushed at the end of that call. ``clearinghouseState`` and ``activeAssetData`` are pushed
  at the end of the call for transfers, leverage/margin changes, funding and liquidations,
  and at the next tick (once per user, however many orders and fills) for order activity:
  rebuilding two accounts after every fill would cost more than the fill itself.
  ``l2Book``/``bbo``/``allMids``/``activeAssetCtx``/``candle`` go out once per tick.

Documented choices where the live venue is unknown or out of scope:

* Builder fees (``builder``) and priority grouping (``{"p": n}``) are accepted and ignored;
  the ``fast`` cancel flag is ignored; rate limits per address are counted (userRateLimit)
  but not enforced (the server may); the $30M market-order cap is not enforced.
* Reduce-only orders are exempt from the $10 minimum, and are sized down to the position.
* Limit prices (trigger prices for trigger orders) must lie within ``[5%, 500%]`` of the
  oracle, else the whole batch gets ``Order price too far from oracle`` (a pre-validation
  error in the docs, §6.1).
* ``closedPnl`` excludes the fee (the clearinghouse's convention); a modify may cross the
  book (it is treated as always-place); liquidation fills pay the ordinary taker fee;
  ADL is not simulated (a bankrupt account's deficit stays on its ledger).
* The unfilled rest of a partly filled IOC is status ``canceled``; a triggered market order
  that finds no liquidity is ``marketOrderNoLiquidityRejected``; a TP/SL of the position
  is cancelled (``reduceOnlyCanceled``) when the position closes, a normalTpsl sibling
  with ``siblingFilledCanceled`` when the other child triggers.
* Candles exist only for intervals with trades (as on the venue: no trade, no candle).
* Time-range queries return the *oldest* rows from ``startTime`` (up to the cap), oldest
  first, so paging with the last time as the next ``startTime`` moves forward; ``userFills``
  is the newest 2000, newest first.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from wallet_perps.core.risk import (
    IMPACT_NOTIONAL_MAJOR,
    IMPACT_NOTIONAL_OTHER,
    ZERO,
    impact_price,
)
from wallet_perps.localvenue.book import OrderBook
from wallet_perps.localvenue.candles import CandleBook
from wallet_perps.localvenue.clearinghouse import (
    Clearinghouse,
    MarketRules,
)
from wallet_perps.localvenue.clock import HOUR_MS
from wallet_perps.localvenue.engine_base import (
    FIRST_OID,
    LIQUIDATOR_ADDRESS,
    WITHDRAW_FEE,
    Call,
    is_address,
    parse_amount,
    rows_of,
)
from wallet_perps.localvenue.engine_liquidation import LiquidationEngine
from wallet_perps.localvenue.engine_queries import LEDGER_CAP
from wallet_perps.localvenue.engine_types import (
    VenueEvent,
    VenueOrder,
    VenueReject,
    deterministic_hash,
    wire,
)
from wallet_perps.localvenue.markets import DEFAULT_MARKETS, MarketSpec, tier_schedule
from wallet_perps.localvenue.oracle import (
    FUNDING_SAMPLE_INTERVAL_S,
    DayStats,
    FundingSampler,
    MarkPrice,
    OracleProcess,
)

__all__ = ["LIQUIDATOR_ADDRESS", "Venue", "VenueEvent", "VenueOrder", "VenueReject"]


class Venue(LiquidationEngine):
    """A Hyperliquid-compatible perp venue in one process (see the module docstring).

    Users are lowercase addresses, already authenticated by the server. Actions return the
    ``response`` of ``{"status":"ok"}`` or raise :class:`VenueReject`.
    """

    def __init__(
        self,
        markets: Sequence[MarketSpec] = DEFAULT_MARKETS,
        *,
        seed: int = 0,
        start_ms: int,
        liquidator: str = LIQUIDATOR_ADDRESS,
    ) -> None:
        self.listeners: list[Callable[[VenueEvent], None]] = []
        self._markets = tuple(markets)
        self._spec = {spec.name: spec for spec in self._markets}
        self._coins = [spec.name for spec in self._markets]
        self._seed = seed
        self._liquidator = liquidator.lower()
        self._now_ms = start_ms
        self._last_tick_ms = start_ms
        self._oracle = OracleProcess(self._markets, seed)
        self.clearinghouse = Clearinghouse(
            MarketRules(spec.name, i, spec.sz_decimals, tier_schedule(spec))
            for i, spec in enumerate(self._markets)
        )
        self._books = {coin: OrderBook(coin) for coin in self._coins}
        self._marks = {spec.name: MarkPrice(spec.sz_decimals) for spec in self._markets}
        self._samplers = {coin: FundingSampler(coin) for coin in self._coins}
        self._day = {coin: DayStats(self._oracle.price(coin)) for coin in self._coins}
        self._candles = {coin: CandleBook(coin) for coin in self._coins}
        self._impact: dict[str, tuple[Decimal | None, Decimal | None]] = {}
        self._next_oid = FIRST_OID
        self._trade_seq = 0
        self._call_seq = 0
        self._lid = 0
        self._orders: dict[int, VenueOrder] = {}
        self._open: dict[str, dict[int, VenueOrder]] = {}
        self._history: dict[str, dict[int, VenueOrder]] = {}
        self._cloids: dict[str, dict[str, int]] = {}
        self._triggers: dict[str, dict[int, VenueOrder]] = {coin: {} for coin in self._coins}
        self._ro_count: dict[tuple[str, str], int] = {}
        self._fills: dict[str, deque[dict[str, Any]]] = {}
        self._user_funding: dict[str, deque[dict[str, Any]]] = {}
        self._ledger: dict[str, deque[dict[str, Any]]] = {}
        self._funding_history: dict[str, deque[dict[str, Any]]] = {
            coin: deque(maxlen=LEDGER_CAP) for coin in self._coins
        }
        self._spot: dict[str, Decimal] = {}
        self._funded: dict[str, None] = {}
        self._cum_vlm: dict[str, Decimal] = {}
        self._n_requests: dict[str, int] = {}
        self._schedule: dict[str, int] = {}
        self._schedule_fired: dict[str, tuple[int, int]] = {}
        self._liq_cooldown: dict[tuple[str, str], int] = {}
        self._next_funding_ms = (start_ms // HOUR_MS + 1) * HOUR_MS
        self._last_sample_slot: int | None = None
        self._book_dirty: dict[str, None] = {}
        self._last_bbo: dict[str, tuple[Decimal | None, Decimal | None]] = {}
        self._soft_dirty: dict[str, None] = {}
        self._soft_pairs: dict[tuple[str, str], None] = {}
        self._refresh_marks(self._coins)

    # ------------------------------------------------------------------ pickling

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["listeners"] = []
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self.listeners = []

    # ------------------------------------------------------------------ calls and events

    def _refresh_marks(self, coins: Sequence[str]) -> None:
        now_s = self._now_ms / 1000.0
        marks: dict[str, Decimal] = {}
        oracles: dict[str, Decimal] = {}
        for coin in coins:
            oracle = self._oracle.price(coin)
            bid, ask = self._books[coin].bbo()
            last = self._books[coin].last_trade_px
            marks[coin] = self._marks[coin].update(now_s, oracle, bid, ask, last)
            oracles[coin] = oracle
        self.clearinghouse.set_prices(marks, oracles)

    # ------------------------------------------------------------------ time

    def tick(self, now_ms: int) -> None:
        """Advance venue time: oracle, marks, funding, triggers, liquidations, schedules."""
        call = self._begin(now_ms)
        now = call.now
        dt = (now - self._last_tick_ms) / 1000.0
        self._last_tick_ms = now
        if dt > 0:
            self._oracle.step(dt)
        self._refresh_marks(self._coins)
        self._sample_funding(now)
        while self._next_funding_ms <= now:
            self._settle_funding(call, self._next_funding_ms)
            self._next_funding_ms += HOUR_MS
        for coin in self._coins:
            self._check_triggers(call, coin)
        self._check_liquidations(call)
        self._fire_schedules(call)
        for coin in self._coins:
            self._day[coin].observe_price(now, self.clearinghouse.marks[coin])
        self._end(call)
        self._emit_market(call)

    def _sample_funding(self, now: int) -> None:
        slot = now // (FUNDING_SAMPLE_INTERVAL_S * 1000)
        if self._last_sample_slot is not None and slot <= self._last_sample_slot:
            return
        self._last_sample_slot = slot
        for coin in self._coins:
            book = self._books[coin]
            notional = IMPACT_NOTIONAL_MAJOR if coin in ("BTC", "ETH") else IMPACT_NOTIONAL_OTHER
            bid = impact_price(book.depth_levels(True), notional)
            ask = impact_price(book.depth_levels(False), notional)
            self._impact[coin] = (bid, ask)
            self._samplers[coin].sample(now / 1000.0, self._oracle.price(coin), bid, ask)

    def _settle_funding(self, call: Call, hour_ms: int) -> None:
        """Pay one hour of funding on every position (PROTOCOL §11.3)."""
        for coin in self._coins:
            record = self._samplers[coin].settle(hour_ms)
            self._funding_history[coin].append(
                {
                    "coin": coin,
                    "fundingRate": wire(record.funding_rate),
                    "premium": wire(record.premium),
                    "time": record.time,
                }
            )
            h = deterministic_hash(self._seed, "funding", coin, hour_ms)
            for effect in self.clearinghouse.apply_funding(coin, record.funding_rate):
                delta = {
                    "type": "funding",
                    "coin": coin,
                    "usdc": wire(effect.usdc),
                    "szi": wire(effect.szi),
                    "fundingRate": wire(record.funding_rate),
                    "nSamples": record.n_samples,
                }
                rows_of(self._user_funding, effect.user).append(
                    {"time": hour_ms, "hash": h, "delta": delta}
                )
                call.dirty[effect.user] = None
                if self.listeners:
                    flat = {k: v for k, v in delta.items() if k != "type"}
                    flat["time"] = hour_ms
                    call.extra.append(
                        VenueEvent(
                            "userFundings", effect.user, {"user": effect.user, "fundings": [flat]}
                        )
                    )
                    call.extra.append(
                        VenueEvent("user", effect.user, {"funding": {**flat, "hash": h}})
                    )

    def _emit_market(self, call: Call) -> None:
        """Once-per-tick pushes: books, bbo, mids, asset contexts, candles, soft-dirty users."""
        candle_updates = {coin: self._candles[coin].flush() for coin in self._coins}
        book_dirty, self._book_dirty = self._book_dirty, {}
        soft, self._soft_dirty = self._soft_dirty, {}
        soft_pairs, self._soft_pairs = self._soft_pairs, {}
        if not self.listeners:
            return
        for coin in book_dirty:
            self._emit("l2Book", coin, self.l2_book(coin))
            bbo = self._books[coin].bbo()
            if self._last_bbo.get(coin) != bbo:
                self._last_bbo[coin] = bbo
                self._emit("bbo", coin, self.bbo_wire(coin))
        self._emit("allMids", None, {"mids": self.all_mids()})
        for coin in self._coins:
            self._emit("activeAssetCtx", coin, {"coin": coin, "ctx": self._asset_ctx(coin)})
            for interval, candle in candle_updates[coin]:
                self._emit("candle", f"{coin}:{interval}", candle.wire(coin, interval))
        for user in soft:
            self._emit_state(user)
        for user, coin in soft_pairs:
            self._emit("activeAssetData", f"{user}:{coin}", self.active_asset_data(user, coin))

    # ------------------------------------------------------------------ admin

    def faucet(self, user: str, usdc: Decimal, now_ms: int) -> None:
        """Local-only deposit: credits the perp account, ledger ``deposit``."""
        user = user.lower()
        with self._call(now_ms) as call:
            self.clearinghouse.deposit(user, usdc)
            self._funded[user] = None
            self._add_ledger(call, user, {"type": "deposit", "usdc": wire(usdc)})

    def set_oracle(self, coin: str, px: Decimal, now_ms: int) -> None:
        """Override ``coin``'s oracle; the mark follows at once and liquidations run now."""
        if coin not in self._spec:
            raise VenueReject(f"Unknown coin {coin}.")
        call = self._begin(now_ms)
        try:
            self._oracle.set_price(coin, px)
        except ValueError as exc:
            raise VenueReject(str(exc)) from None
        self._refresh_marks([coin])
        self._check_triggers(call, coin)
        self._check_liquidations(call)
        self._end(call)

    def has_funds(self, user: str) -> bool:
        """Has this account ever received USDC (else "Must deposit before performing actions.")."""
        return user.lower() in self._funded

    # ------------------------------------------------------------------ order actions

    def _asset_coin(self, asset: Any) -> str:
        if not isinstance(asset, int) or not 0 <= asset < len(self._coins):
            raise VenueReject(f"Invalid asset {asset}.")
        return self._coins[asset]

    def update_leverage(self, user: str, action: dict[str, Any], now_ms: int) -> dict[str, Any]:
        user = user.lower()
        coin = self._asset_coin(action.get("asset"))
        leverage = action.get("leverage")
        if not isinstance(leverage, int) or isinstance(leverage, bool):
            raise VenueReject("Invalid leverage value.")
        with self._call(now_ms, user) as call:
            self.clearinghouse.update_leverage(user, coin, bool(action.get("isCross")), leverage)
            for order in self._open.get(user, {}).values():
                if order.rest is not None and order.coin == coin and not order.reduce_only:
                    self.clearinghouse.release_order(user, order.oid)
                    self.clearinghouse.reserve_order(
                        user, order.oid, coin, order.is_buy, order.rest.sz, order.rest.limit_px
                    )
            call.dirty[user] = None
            call.pairs[(user, coin)] = None
        return {"type": "default"}

    def update_isolated_margin(
        self, user: str, action: dict[str, Any], now_ms: int
    ) -> dict[str, Any]:
        user = user.lower()
        coin = self._asset_coin(action.get("asset"))
        ntli = action.get("ntli")
        if not isinstance(ntli, int) or isinstance(ntli, bool):
            raise VenueReject("Invalid margin amount.")
        with self._call(now_ms, user) as call:
            self.clearinghouse.update_isolated_margin(user, coin, Decimal(ntli).scaleb(-6))
            call.dirty[user] = None
            call.pairs[(user, coin)] = None
        return {"type": "default"}

    def usd_send(self, user: str, action: dict[str, Any], now_ms: int) -> dict[str, Any]:
        """Perp USDC to another address; ledger ``internalTransfer`` on both sides."""
        user = user.lower()
        amount = parse_amount(action.get("amount"))
        destination = str(action.get("destination", "")).lower()
        if not is_address(destination):
            raise VenueReject("Invalid destination address.")
        with self._call(now_ms, user) as call:
            self.clearinghouse.transfer(user, destination, amount)
            self._funded[destination] = None
            delta = {
                "type": "internalTransfer",
                "usdc": wire(amount),
                "user": user,
                "destination": destination,
                "fee": "0.0",
            }
            self._add_ledger(call, user, delta)
            self._add_ledger(call, destination, dict(delta))
        return {"type": "default"}

    def withdraw3(self, user: str, action: dict[str, Any], now_ms: int) -> dict[str, Any]:
        """Withdrawal: debits amount + the $1 fee; ledger ``withdraw``."""
        user = user.lower()
        amount = parse_amount(action.get("amount"))
        if amount <= WITHDRAW_FEE:
            raise VenueReject("Withdrawal amount must be more than the $1 fee.")
        with self._call(now_ms, user) as call:
            self.clearinghouse.debit(user, amount + WITHDRAW_FEE)
            # The fee stays inside the venue, so total USDC falls by exactly ``amount``.
            self.clearinghouse.fees_collected += WITHDRAW_FEE
            self._add_ledger(
                call,
                user,
                {
                    "type": "withdraw",
                    "usdc": wire(amount),
                    "nonce": action.get("time"),
                    "fee": wire(WITHDRAW_FEE),
                },
            )
        return {"type": "default"}

    def usd_class_transfer(self, user: str, action: dict[str, Any], now_ms: int) -> dict[str, Any]:
        """Spot <-> perp USDC (a plain spot USDC balance per user)."""
        user = user.lower()
        raw = action.get("amount")
        if isinstance(raw, str) and "subaccount:" in raw:
            raise VenueReject("Sub-accounts are not supported on the local venue.")
        amount = parse_amount(raw)
        to_perp = bool(action.get("toPerp"))
        with self._call(now_ms, user) as call:
            spot = self._spot.get(user, ZERO)
            if to_perp:
                if amount > spot:
                    raise VenueReject("Insufficient balance for transfer.")
                self.clearinghouse.deposit(user, amount)
                self._spot[user] = spot - amount
            else:
                self.clearinghouse.debit(user, amount)
                self._spot[user] = spot + amount
            self._add_ledger(
                call,
                user,
                {"type": "accountClassTransfer", "usdc": wire(amount), "toPerp": to_perp},
            )
        return {"type": "default"}

    def noop(self, user: str, action: dict[str, Any], now_ms: int) -> dict[str, Any]:
        call = self._begin(now_ms, user.lower())
        self._end(call)
        return {"type": "default"}

    def spot_usdc(self, user: str) -> Decimal:
        """The user's spot USDC (not part of :meth:`Clearinghouse.total_usdc`)."""
        return self._spot.get(user.lower(), ZERO)


def _bench(n: int = 10_000) -> None:
    """µs per Gtc place+cancel and per IOC fill, without and with an event listener."""
    import time

    start = 1_700_000_000_000
    for listening in (False, True):
        venue = Venue(start_ms=start)
        sink: list[VenueEvent] = []
        if listening:
            venue.listeners.append(sink.append)
        taker = "0x" + "aa" * 20
        venue.faucet(taker, Decimal(10_000_000), start)
        makers = ["0x" + f"{i:040x}" for i in range(1, n // 1000 + 2)]
        for maker in makers:
            venue.faucet(maker, Decimal(1_000_000), start)
        bid = {"a": 0, "b": True, "p": "90000", "s": "0.01", "r": False}
        bid["t"] = {"limit": {"tif": "Gtc"}}
        t0 = time.perf_counter()
        for i in range(n):
            out = venue.order(taker, {"type": "order", "orders": [bid], "grouping": "na"}, start)
            oid = out["data"]["statuses"][0]["resting"]["oid"]
            venue.cancel(taker, {"type": "cancel", "cancels": [{"a": 0, "o": oid}]}, start + i)
        place_cancel = (time.perf_counter() - t0) / n * 1e6
        for i in range(n):
            maker = makers[i // 1000]
            ask = {"a": 0, "b": False, "p": str(97000 + i % 50), "s": "0.001", "r": False}
            ask["t"] = {"limit": {"tif": "Gtc"}}
            venue.order(maker, {"type": "order", "orders": [ask], "grouping": "na"}, start)
        ioc = {"a": 0, "b": True, "p": "98000", "s": "0.001", "r": False}
        ioc["t"] = {"limit": {"tif": "Ioc"}}
        t0 = time.perf_counter()
        for _ in range(n):
            venue.order(taker, {"type": "order", "orders": [ioc], "grouping": "na"}, start)
        fill = (time.perf_counter() - t0) / n * 1e6
        t0 = time.perf_counter()
        for i in range(100):
            venue.tick(start + 1000 * (i + 1))
        tick = (time.perf_counter() - t0) / 100 * 1e6
        label = "with listener" if listening else "no listener  "
        print(
            f"{label}: Gtc place+cancel {place_cancel:6.1f} µs, IOC fill {fill:6.1f} µs, "
            f"tick {tick:7.1f} µs"
        )


if __name__ == "__main__":
    _bench()

"""The local venue's exchange engine: orders, matching, triggers, funding, liquidation, events.

:class:`Venue` is the one object the server talks to. It owns an order book per coin
(:mod:`.book`), the :class:`~.clearinghouse.Clearinghouse` (all money), the oracle/mark/funding
processes (:mod:`.oracle`) and the candles, and turns Hyperliquid's wire actions into changes
of those, answering with the venue's exact shapes and error strings (PROTOCOL §6, §9, §11).

The venue is composed, not inherited. All it remembers is one :class:`~.state.VenueState`;
the work is done by parts that are each handed that state and own one slice of it (the only
part that changes it): :class:`~.engine_pushes.Pushes` (calls, pushes),
:class:`~.engine_market.Prices` (oracle, marks, candles) and :class:`~.engine_market.Funding`,
:class:`~.engine_records.OrderRegistry` (order records and indexes),
:class:`~.engine_matching.Matching` (books, fills, cancels), :class:`~.engine_orders.OrderEntry`
(order, cancel, modify), :class:`~.engine_triggers.Triggers` and
:class:`~.engine_triggers.Schedules`, :class:`~.engine_transfers.Transfers` (money, leverage),
:class:`~.engine_liquidation.Liquidations`, and :class:`~.engine_queries.VenueQueries` (every
/info answer, reading only). :class:`Venue` builds them, orders a tick, and is the facade the
server, the flow and the tests call. Actions arrive as the typed records of :mod:`.actions`,
validated once (the server passes the ones it built while validating the request; a plain wire
dict is built into one by the same code).

Why it is built this way:

* **Deterministic.** The store restores a venue by replaying the logged calls (each carries
  its ``now_ms``), and pickles its state for snapshots (the parts are rebuilt around it). So
  nothing here reads the wall clock or the global RNG, ids and hashes come from counters, and
  every iteration is over insertion-ordered dicts (never a set of str, whose order changes
  between processes).
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

from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from wallet_perps.localvenue.actions import (
    BatchModifyAction,
    CancelAction,
    CancelByCloidAction,
    ModifyAction,
    NoopAction,
    OrderAction,
    OrderRequest,
    ScheduleCancelAction,
    UpdateIsolatedMarginAction,
    UpdateLeverageAction,
    UsdClassTransferAction,
    UsdSendAction,
    WithdrawAction,
    as_record,
)
from wallet_perps.localvenue.clearinghouse import Clearinghouse
from wallet_perps.localvenue.clock import HOUR_MS
from wallet_perps.localvenue.engine_base import LIQUIDATOR_ADDRESS
from wallet_perps.localvenue.engine_liquidation import Liquidations
from wallet_perps.localvenue.engine_market import Funding, Prices
from wallet_perps.localvenue.engine_matching import Matching
from wallet_perps.localvenue.engine_orders import OrderEntry
from wallet_perps.localvenue.engine_pushes import Pushes
from wallet_perps.localvenue.engine_queries import VenueQueries
from wallet_perps.localvenue.engine_records import OrderRegistry
from wallet_perps.localvenue.engine_transfers import Transfers
from wallet_perps.localvenue.engine_triggers import Schedules, Triggers
from wallet_perps.localvenue.engine_types import VenueEvent, VenueOrder, VenueReject
from wallet_perps.localvenue.markets import DEFAULT_MARKETS, MarketSpec
from wallet_perps.localvenue.state import VenueState, new_state, state_from_inheritance_layout

__all__ = ["LIQUIDATOR_ADDRESS", "Venue", "VenueEvent", "VenueOrder", "VenueReject"]

#: An action as its wire object, which ``actions.as_record`` builds into the action's record.
Action = dict[str, Any]


class Venue:
    """A Hyperliquid-compatible perp venue in one process (see the module docstring).

    Users are lowercase addresses, already authenticated by the server. Actions take their
    typed record or the wire object (``BadRequest`` when that is malformed) and return the
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
        self._compose(new_state(markets, seed=seed, start_ms=start_ms, liquidator=liquidator))
        self._prices.refresh(self.state.coins)

    def _compose(self, state: VenueState) -> None:
        """Build the parts around ``state``; each is handed exactly the parts it calls."""
        self.state = state
        self._queries = queries = VenueQueries(state)
        self._pushes = pushes = Pushes(state, self.listeners, queries)
        self._prices = prices = Prices(state)
        self._funding = Funding(state, pushes)
        self._records = records = OrderRegistry(state, pushes)
        self._matching = matching = Matching(state, pushes, records, prices)
        self._entry = OrderEntry(state, pushes, records, matching)
        self._triggers = Triggers(state, records, matching)
        self._schedules = Schedules(state, pushes, records, matching)
        self._transfers = transfers = Transfers(state, pushes, records)
        self._liquidations = Liquidations(state, pushes, records, matching, transfers)

    # ------------------------------------------------------------------ pickling

    def __getstate__(self) -> dict[str, Any]:
        """A snapshot is the state alone: listeners belong to the process, parts are rebuilt."""
        return {"state": self.state}

    def __setstate__(self, pickled: dict[str, Any]) -> None:
        state = pickled.get("state")
        if not isinstance(state, VenueState):  # a snapshot of the former one-class layout
            state = state_from_inheritance_layout(pickled)
        self.listeners = []
        self._compose(state)

    @property
    def clearinghouse(self) -> Clearinghouse:
        return self.state.clearinghouse

    # ------------------------------------------------------------------ time and admin

    def tick(self, now_ms: int) -> None:
        """Advance venue time: oracle, marks, funding, triggers, liquidations, schedules."""
        call = self._pushes.begin(now_ms)
        now = call.now
        self._prices.advance(now)
        self._funding.sample(now)
        self._funding.settle_due(call)
        for coin in self.state.coins:
            self._triggers.check(call, coin)
        self._liquidations.check(call)
        self._schedules.fire(call)
        self._prices.observe_day(now)
        self._pushes.end(call)
        self._pushes.market(self._prices.flush_candles())

    def set_oracle(self, coin: str, px: Decimal, now_ms: int) -> None:
        """Override ``coin``'s oracle; the mark follows at once and liquidations run now."""
        if coin not in self.state.spec:
            raise VenueReject(f"Unknown coin {coin}.")
        call = self._pushes.begin(now_ms)
        try:
            self._prices.set_oracle(coin, px)
        except ValueError as exc:
            raise VenueReject(str(exc)) from None
        self._triggers.check(call, coin)
        self._liquidations.check(call)
        self._pushes.end(call)

    def faucet(self, user: str, usdc: Decimal, now_ms: int) -> None:
        """Local-only deposit: credits the perp account, ledger ``deposit``."""
        self._transfers.faucet(user.lower(), usdc, now_ms)

    def has_funds(self, user: str) -> bool:
        """Has this account ever received USDC (else "Must deposit before performing actions.")."""
        return self._transfers.has_funds(user.lower())

    def spot_usdc(self, user: str) -> Decimal:
        """The user's spot USDC (not part of :meth:`Clearinghouse.total_usdc`)."""
        return self._transfers.spot_usdc(user.lower())

    # ------------------------------------------------------------------ actions

    def order(self, user: str, action: OrderAction | Action, now_ms: int) -> dict[str, Any]:
        """``order``: a batch with grouping ``na``, ``normalTpsl`` or ``positionTpsl``."""
        return self._entry.order(user.lower(), as_record(action, OrderAction), now_ms)

    def cancel(self, user: str, action: CancelAction | Action, now_ms: int) -> dict[str, Any]:
        """``cancel`` by (asset, oid); per-cancel "success" or an error."""
        return self._entry.cancel(user.lower(), as_record(action, CancelAction), now_ms)

    def cancel_by_cloid(
        self, user: str, action: CancelByCloidAction | Action, now_ms: int
    ) -> dict[str, Any]:
        record = as_record(action, CancelByCloidAction)
        return self._entry.cancel_by_cloid(user.lower(), record, now_ms)

    def modify(self, user: str, action: ModifyAction | Action, now_ms: int) -> dict[str, Any]:
        """``modify``: cancel and replace (new oid, cloid kept); ``{"type":"default"}``."""
        return self._entry.modify(user.lower(), as_record(action, ModifyAction), now_ms)

    def batch_modify(
        self, user: str, action: BatchModifyAction | Action, now_ms: int
    ) -> dict[str, Any]:
        record = as_record(action, BatchModifyAction)
        return self._entry.batch_modify(user.lower(), record, now_ms)

    def schedule_cancel(
        self, user: str, action: ScheduleCancelAction | Action, now_ms: int
    ) -> dict[str, Any]:
        """Dead man's switch: all open orders cancelled at ``time`` (status scheduledCancel)."""
        record = as_record(action, ScheduleCancelAction)
        return self._schedules.schedule_cancel(user.lower(), record, now_ms)

    def update_leverage(
        self, user: str, action: UpdateLeverageAction | Action, now_ms: int
    ) -> dict[str, Any]:
        record = as_record(action, UpdateLeverageAction)
        return self._transfers.update_leverage(user.lower(), record, now_ms)

    def update_isolated_margin(
        self, user: str, action: UpdateIsolatedMarginAction | Action, now_ms: int
    ) -> dict[str, Any]:
        record = as_record(action, UpdateIsolatedMarginAction)
        return self._transfers.update_isolated_margin(user.lower(), record, now_ms)

    def usd_send(self, user: str, action: UsdSendAction | Action, now_ms: int) -> dict[str, Any]:
        """Perp USDC to another address; ledger ``internalTransfer`` on both sides."""
        return self._transfers.usd_send(user.lower(), as_record(action, UsdSendAction), now_ms)

    def withdraw3(self, user: str, action: WithdrawAction | Action, now_ms: int) -> dict[str, Any]:
        """Withdrawal: debits amount + the $1 fee; ledger ``withdraw``."""
        return self._transfers.withdraw3(user.lower(), as_record(action, WithdrawAction), now_ms)

    def usd_class_transfer(
        self, user: str, action: UsdClassTransferAction | Action, now_ms: int
    ) -> dict[str, Any]:
        """Spot <-> perp USDC (a plain spot USDC balance per user)."""
        record = as_record(action, UsdClassTransferAction)
        return self._transfers.usd_class_transfer(user.lower(), record, now_ms)

    def noop(self, user: str, action: NoopAction | Action, now_ms: int) -> dict[str, Any]:
        """Uses a nonce (and counts a request), nothing else."""
        as_record(action, NoopAction)
        self._pushes.end(self._pushes.begin(now_ms, user.lower()))
        return {"type": "default"}

    # ------------------------------------------------------------------ /info (VenueQueries)

    def meta(self) -> dict[str, Any]:
        return self._queries.meta()

    def spot_meta(self) -> dict[str, Any]:
        return self._queries.spot_meta()

    def meta_and_asset_ctxs(self) -> list[Any]:
        return self._queries.meta_and_asset_ctxs()

    def all_mids(self) -> dict[str, str]:
        return self._queries.all_mids()

    def open_interest(self, coin: str) -> Decimal:
        return self._queries.open_interest(coin)

    def l2_book(
        self, coin: str, n_sig_figs: int | None = None, mantissa: int | None = None
    ) -> dict[str, Any] | None:
        return self._queries.l2_book(coin, n_sig_figs, mantissa)

    def bbo_wire(self, coin: str) -> dict[str, Any]:
        return self._queries.bbo_wire(coin)

    def candle_snapshot(
        self, coin: str, interval: str, start_ms: int, end_ms: int | None = None
    ) -> list[dict[str, Any]]:
        return self._queries.candle_snapshot(coin, interval, start_ms, end_ms)

    def funding_history(
        self, coin: str, start_ms: int, end_ms: int | None = None
    ) -> list[dict[str, Any]]:
        return self._queries.funding_history(coin, start_ms, end_ms)

    def predicted_fundings(self) -> list[Any]:
        return self._queries.predicted_fundings()

    def clearinghouse_state(self, user: str) -> dict[str, Any]:
        return self._queries.clearinghouse_state(user)

    def spot_clearinghouse_state(self, user: str) -> dict[str, Any]:
        return self._queries.spot_clearinghouse_state(user)

    def active_asset_data(self, user: str, coin: str) -> dict[str, Any] | None:
        return self._queries.active_asset_data(user, coin)

    def user_rate_limit(self, user: str) -> dict[str, Any]:
        return self._queries.user_rate_limit(user)

    def user_fees(self, user: str) -> dict[str, Any]:
        return self._queries.user_fees(user)

    def open_orders(self, user: str) -> list[dict[str, Any]]:
        return self._queries.open_orders(user)

    def frontend_open_orders(self, user: str) -> list[dict[str, Any]]:
        return self._queries.frontend_open_orders(user)

    def order_status(self, user: str, oid_or_cloid: int | str) -> dict[str, Any]:
        return self._queries.order_status(user, oid_or_cloid)

    def historical_orders(self, user: str) -> list[dict[str, Any]]:
        return self._queries.historical_orders(user)

    def user_fills(self, user: str, aggregate_by_time: bool = False) -> list[dict[str, Any]]:
        return self._queries.user_fills(user, aggregate_by_time)

    def user_fills_by_time(
        self, user: str, start_ms: int, end_ms: int | None = None, aggregate_by_time: bool = False
    ) -> list[dict[str, Any]]:
        return self._queries.user_fills_by_time(user, start_ms, end_ms, aggregate_by_time)

    def user_funding(
        self, user: str, start_ms: int, end_ms: int | None = None
    ) -> list[dict[str, Any]]:
        return self._queries.user_funding(user, start_ms, end_ms)

    def user_non_funding_ledger_updates(
        self, user: str, start_ms: int, end_ms: int | None = None
    ) -> list[dict[str, Any]]:
        return self._queries.user_non_funding_ledger_updates(user, start_ms, end_ms)

    def next_funding_ms(self) -> int:
        return self.state.funding.next_funding_ms

    @staticmethod
    def hour_ms() -> int:
        return HOUR_MS


def _bench(n: int = 10_000) -> None:
    """µs per Gtc place+cancel and per IOC fill, without and with an event listener.

    Orders go in as records, as the server hands them over (validated with the request).
    """
    import time

    def limit(is_buy: bool, px: int, sz: str, tif: str) -> OrderAction:
        return OrderAction((OrderRequest(0, is_buy, Decimal(px), Decimal(sz), False, tif),))

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
        bid = limit(True, 90_000, "0.01", "Gtc")
        t0 = time.perf_counter()
        for i in range(n):
            out = venue.order(taker, bid, start)
            oid = out["data"]["statuses"][0]["resting"]["oid"]
            venue.cancel(taker, CancelAction(((0, oid),)), start + i)
        place_cancel = (time.perf_counter() - t0) / n * 1e6
        for i in range(n):
            venue.order(makers[i // 1000], limit(False, 97_000 + i % 50, "0.001", "Gtc"), start)
        ioc = limit(True, 98_000, "0.001", "Ioc")
        t0 = time.perf_counter()
        for _ in range(n):
            venue.order(taker, ioc, start)
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

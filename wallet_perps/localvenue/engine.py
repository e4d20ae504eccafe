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
from typing import Any, Concatenate, Generic, ParamSpec, Protocol, Self, TypeVar, overload

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

__all__ = ["LIQUIDATOR_ADDRESS", "ActionMethod", "Venue", "VenueEvent", "VenueOrder", "VenueReject"]

#: An action as its wire object, which ``actions.as_record`` builds into the action's record.
Action = dict[str, Any]

_Record = TypeVar("_Record")
_RecordIn = TypeVar("_RecordIn", contravariant=True)
_Params = ParamSpec("_Params")
_Answer = TypeVar("_Answer")
_BoundCall = TypeVar("_BoundCall", bound=Callable[..., Any])


class ActionMethod(Protocol[_RecordIn]):
    """A venue action as called: its record or its wire object, by ``user`` at ``now_ms``."""

    def __call__(self, user: str, action: _RecordIn | Action, now_ms: int) -> dict[str, Any]: ...


class _Bound:
    """What :class:`_Act` and :class:`_Query` share: the callable each builds for a venue is
    built once and kept in that venue's ``__dict__`` under the attribute's name (as
    :func:`functools.cached_property` does), so later lookups, such as the market flow's orders
    on every tick, are a plain attribute read. Snapshots pickle only the state.
    """

    _name = ""

    def __set_name__(self, owner: type[Venue], name: str) -> None:
        self._name = name

    def _keep(self, venue: Venue, bound: _BoundCall) -> _BoundCall:
        venue.__dict__[self._name] = bound
        return bound


class _Act(_Bound, Generic[_Record]):
    """One :class:`Venue` action, all of which follow the same recipe, written once here.

    The user is lowercased, a wire object is built into its ``kind`` record
    (:func:`~.actions.as_record`; a record passes as it is) and ``handler`` picks the method of
    the part that owns the action, which carries it out and answers.
    """

    def __init__(
        self,
        kind: type[_Record],
        handler: Callable[[Venue], Callable[[str, _Record, int], dict[str, Any]]],
    ) -> None:
        self._kind = kind
        self._handler = handler

    @overload
    def __get__(self, venue: None, owner: type[Venue]) -> Self: ...
    @overload
    def __get__(self, venue: Venue, owner: type[Venue]) -> ActionMethod[_Record]: ...
    def __get__(self, venue: Venue | None, owner: type[Venue]) -> Self | ActionMethod[_Record]:
        if venue is None:
            return self
        handle, kind = self._handler(venue), self._kind

        def act(user: str, action: _Record | Action, now_ms: int) -> dict[str, Any]:
            return handle(user.lower(), as_record(action, kind), now_ms)

        return self._keep(venue, act)


class _Query(_Bound, Generic[_Params, _Answer]):
    """One /info answer, offered on :class:`Venue` exactly as :class:`VenueQueries` gives it.

    Reading adds nothing at the facade, so the answer keeps the query's own signature (the
    type checker sees it through the ParamSpec) and docstring.
    """

    def __init__(self, query: Callable[Concatenate[VenueQueries, _Params], _Answer]) -> None:
        self._query = query
        self.__doc__ = query.__doc__

    @overload
    def __get__(self, venue: None, owner: type[Venue]) -> Self: ...
    @overload
    def __get__(self, venue: Venue, owner: type[Venue]) -> Callable[_Params, _Answer]: ...
    def __get__(self, venue: Venue | None, owner: type[Venue]) -> Self | Callable[_Params, _Answer]:
        if venue is None:
            return self
        query, queries = self._query, venue._queries

        def answer(*args: _Params.args, **kwargs: _Params.kwargs) -> _Answer:
            return query(queries, *args, **kwargs)

        return self._keep(venue, answer)


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

    # ------------------------------------------------------------------ actions (_Act)
    # Each lowercases the user, builds the record from a wire object and hands it to its part.

    #: ``order``: a batch with grouping ``na``, ``normalTpsl`` or ``positionTpsl``.
    order = _Act(OrderAction, lambda venue: venue._entry.order)
    #: ``cancel`` by (asset, oid); per-cancel "success" or an error.
    cancel = _Act(CancelAction, lambda venue: venue._entry.cancel)
    cancel_by_cloid = _Act(CancelByCloidAction, lambda venue: venue._entry.cancel_by_cloid)
    #: ``modify``: cancel and replace (new oid, cloid kept); ``{"type":"default"}``.
    modify = _Act(ModifyAction, lambda venue: venue._entry.modify)
    batch_modify = _Act(BatchModifyAction, lambda venue: venue._entry.batch_modify)
    #: Dead man's switch: all open orders cancelled at ``time`` (status scheduledCancel).
    schedule_cancel = _Act(ScheduleCancelAction, lambda venue: venue._schedules.schedule_cancel)
    update_leverage = _Act(UpdateLeverageAction, lambda venue: venue._transfers.update_leverage)
    update_isolated_margin = _Act(
        UpdateIsolatedMarginAction, lambda venue: venue._transfers.update_isolated_margin
    )
    #: Perp USDC to another address; ledger ``internalTransfer`` on both sides.
    usd_send = _Act(UsdSendAction, lambda venue: venue._transfers.usd_send)
    #: Withdrawal: debits amount + the $1 fee; ledger ``withdraw``.
    withdraw3 = _Act(WithdrawAction, lambda venue: venue._transfers.withdraw3)
    #: Spot <-> perp USDC (a plain spot USDC balance per user).
    usd_class_transfer = _Act(
        UsdClassTransferAction, lambda venue: venue._transfers.usd_class_transfer
    )

    def noop(self, user: str, action: NoopAction | Action, now_ms: int) -> dict[str, Any]:
        """Uses a nonce (and counts a request), nothing else."""
        as_record(action, NoopAction)
        self._pushes.end(self._pushes.begin(now_ms, user.lower()))
        return {"type": "default"}

    # ------------------------------------------------------------------ /info (_Query)

    meta = _Query(VenueQueries.meta)
    spot_meta = _Query(VenueQueries.spot_meta)
    meta_and_asset_ctxs = _Query(VenueQueries.meta_and_asset_ctxs)
    all_mids = _Query(VenueQueries.all_mids)
    open_interest = _Query(VenueQueries.open_interest)
    l2_book = _Query(VenueQueries.l2_book)
    bbo_wire = _Query(VenueQueries.bbo_wire)
    candle_snapshot = _Query(VenueQueries.candle_snapshot)
    funding_history = _Query(VenueQueries.funding_history)
    predicted_fundings = _Query(VenueQueries.predicted_fundings)
    clearinghouse_state = _Query(VenueQueries.clearinghouse_state)
    spot_clearinghouse_state = _Query(VenueQueries.spot_clearinghouse_state)
    active_asset_data = _Query(VenueQueries.active_asset_data)
    user_rate_limit = _Query(VenueQueries.user_rate_limit)
    user_fees = _Query(VenueQueries.user_fees)
    open_orders = _Query(VenueQueries.open_orders)
    frontend_open_orders = _Query(VenueQueries.frontend_open_orders)
    order_status = _Query(VenueQueries.order_status)
    historical_orders = _Query(VenueQueries.historical_orders)
    user_fills = _Query(VenueQueries.user_fills)
    user_fills_by_time = _Query(VenueQueries.user_fills_by_time)
    user_funding = _Query(VenueQueries.user_funding)
    user_non_funding_ledger_updates = _Query(VenueQueries.user_non_funding_ledger_updates)

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

"""Matching on the local venue: crossing the book, resting, fills, cancels (PROTOCOL §9, §11.1).

:class:`Matching` takes an order the entry checks accepted (or a triggered or liquidation
order) and carries it through the coin's :class:`~.book.OrderBook`: account checks, the
cross, every fill booked in the clearinghouse as the book makes it, the rest placed with its
margin reserved, and what follows once the book is quiet (children of filled parents armed,
reduce-only orders that would no longer reduce cancelled). It also takes orders off the book.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from wallet_perps.core.risk import ZERO, ledger_usd
from wallet_perps.core.venue_rules import MAKER_FEE, TAKER_FEE
from wallet_perps.localvenue.book import RestingOrder
from wallet_perps.localvenue.clearinghouse import (
    ClearinghouseError,
    FillEffect,
)
from wallet_perps.localvenue.engine_base import (
    CH_STATUS,
    IOC_NO_MATCH,
    TID_MOD,
    TID_MUL,
    Call,
    bbo_px,
    filled_status,
    ids_of,
    position_szi,
    rows_of,
)
from wallet_perps.localvenue.engine_market import Prices
from wallet_perps.localvenue.engine_pushes import Pushes
from wallet_perps.localvenue.engine_records import OrderRegistry
from wallet_perps.localvenue.engine_types import VenueOrder, wire
from wallet_perps.localvenue.state import VenueState

__all__ = ["Matching"]

REDUCE_ONLY_REFUSED = "Reduce only order would increase position."


class _Matcher:
    """The book's callbacks for one aggressor: fills are booked as the book makes them.

    Applying each fill to the clearinghouse inside ``maker_ok`` (the book fills exactly the
    checked size right after it returns True) means the next maker's margin and reduce-only
    checks already see the previous fills. Nothing here touches the book.
    """

    __slots__ = ("call", "liq", "matching", "ro_refused", "taker")

    def __init__(
        self, matching: Matching, call: Call, taker: VenueOrder, liq: dict[str, Any] | None
    ) -> None:
        self.matching = matching
        self.call = call
        self.taker = taker
        self.liq = liq
        self.ro_refused: list[int] = []

    def maker_ok(self, maker: RestingOrder, px: Decimal, sz: Decimal) -> bool:
        matching = self.matching
        ch = matching.s.clearinghouse
        coin = self.taker.coin
        if maker.reduce_only:
            szi = position_szi(ch, maker.user, coin)
            if szi == 0 or (szi > 0) == maker.is_buy or sz > abs(szi):
                self.ro_refused.append(maker.oid)
                return False
        elif not ch.maker_can_fill(maker.user, maker.oid, coin, maker.is_buy, sz, px):
            return False
        record = matching.s.orders.by_oid[maker.oid]
        matching.book_trade(self.call, self.taker, record, px, sz, self.liq)
        left = maker.sz - sz
        ch.release_order(maker.user, maker.oid)
        if left > 0 and not maker.reduce_only:
            ch.reserve_order(maker.user, maker.oid, coin, maker.is_buy, left, maker.limit_px)
        return True


class Matching:
    """Owns the trade slice (``state.trades``): books, the trade counter, fills, volumes."""

    __slots__ = ("listeners", "prices", "pushes", "records", "s", "t")

    def __init__(
        self, state: VenueState, pushes: Pushes, records: OrderRegistry, prices: Prices
    ) -> None:
        self.s = state
        self.t = state.trades
        self.pushes = pushes
        self.listeners = pushes.listeners
        self.records = records
        self.prices = prices

    def _szi(self, user: str, coin: str) -> Decimal:
        return position_szi(self.s.clearinghouse, user, coin)

    def submit(self, call: Call, order: VenueOrder, px: Decimal) -> dict[str, Any]:
        """Account checks, then match/rest a non-trigger order at ``px``."""
        ch = self.s.clearinghouse
        records = self.records
        user, coin = order.user, order.coin
        suffix = f" asset={order.asset}"
        if order.reduce_only:
            szi = self._szi(user, coin)
            if szi == 0 or (szi > 0) == order.is_buy:
                message = REDUCE_ONLY_REFUSED + suffix
                return records.reject(call, order, "reduceOnlyRejected", message)
            if order.sz > abs(szi):
                order.sz = abs(szi)
        else:
            try:
                ch.check_order(user, coin, order.is_buy, order.sz, px, False)
            except ClearinghouseError as exc:
                message = str(exc)
                status = CH_STATUS.get(message, "rejected")
                return records.reject(call, order, status, message + suffix)
        book = self.t.books[coin]
        if order.tif == "Alo":
            if book.would_cross(order.is_buy, px):
                bid, ask = book.bbo()
                return records.reject(
                    call,
                    order,
                    "badAloPxRejected",
                    f"Post only order would have immediately matched, bbo was "
                    f"{bbo_px(bid)}@{bbo_px(ask)}." + suffix,
                )
            return self.rest(call, order, px)
        filled, notional = self.match(call, order, px, None)
        remaining = order.sz - filled
        if remaining == 0:
            order.sz = ZERO
            records.update(call, order, "filled")
            self._on_filled(call, order)
            self.after_match(call, coin)
            return {"filled": filled_status(order, filled, notional)}
        if order.tif in ("Gtc", "Alo") and not order.reduce_only:
            order.sz = remaining
            resting = self.rest(call, order, px)
            self.after_match(call, coin)
            return resting
        if order.tif in ("Gtc", "Alo"):  # reduce-only remainder: rests only if still reducing
            szi = self._szi(user, coin)
            if szi != 0 and (szi > 0) != order.is_buy and remaining <= abs(szi):
                order.sz = remaining
                resting = self.rest(call, order, px)
                self.after_match(call, coin)
                return resting
        order.sz = remaining
        self.after_match(call, coin)
        if filled == 0:
            if order.tif in ("Gtc", "Alo"):  # a reduce-only order that can no longer rest
                message = REDUCE_ONLY_REFUSED + suffix
                return records.reject(call, order, "reduceOnlyCanceled", message)
            if order.triggered and order.is_market:
                message = "No liquidity available for market order." + suffix
                return records.reject(call, order, "marketOrderNoLiquidityRejected", message)
            return records.reject(call, order, "iocCancelRejected", IOC_NO_MATCH + suffix)
        records.update(call, order, "canceled")
        self.cancel_children(call, order)
        return {"filled": filled_status(order, filled, notional)}

    def rest(self, call: Call, order: VenueOrder, px: Decimal) -> dict[str, Any]:
        rest = RestingOrder(
            oid=order.oid,
            user=order.user,
            is_buy=order.is_buy,
            limit_px=px,
            sz=order.sz,
            orig_sz=order.orig_sz,
            timestamp=order.timestamp,
            cloid=order.cloid,
            reduce_only=order.reduce_only,
            tif=order.tif or "Gtc",
        )
        self.t.books[order.coin].add(rest)
        order.rest = rest
        order.limit_px = px
        if not order.reduce_only:
            self.s.clearinghouse.reserve_order(
                order.user, order.oid, order.coin, order.is_buy, order.sz, px
            )
        self.records.open_add(order)
        self.pushes.book_changed(order.coin)
        self.pushes.soft(order.user)
        self.pushes.soft_pair(order.user, order.coin)
        if order.status != "triggered":
            self.records.update(call, order, "open")
        return {"resting": ids_of(order)}

    def match(
        self, call: Call, order: VenueOrder, px: Decimal, liq: dict[str, Any] | None
    ) -> tuple[Decimal, Decimal]:
        """Cross ``order`` against the book; returns (filled size, filled notional)."""
        book = self.t.books[order.coin]
        if not book.would_cross(order.is_buy, px):
            return ZERO, ZERO
        matcher = _Matcher(self, call, order, liq)
        result = book.match(
            user=order.user,
            is_buy=order.is_buy,
            limit_px=px,
            sz=order.sz,
            maker_ok=matcher.maker_ok,
        )
        self.pushes.book_changed(order.coin)
        filled = ZERO
        notional = ZERO
        by_oid = self.s.orders.by_oid
        for fill in result.fills:
            filled += fill.sz
            notional += fill.px * fill.sz
            if not fill.maker.sz:
                maker = by_oid[fill.maker.oid]
                maker.rest = None
                maker.sz = ZERO
                self.records.open_remove(maker)
                self.records.update(call, maker, "filled")
                self._on_filled(call, maker)
        for gone in result.self_trade_cancels:
            self._drop_cancelled(call, gone, "selfTradeCanceled")
        refused = matcher.ro_refused
        for gone in result.margin_cancels:
            status = "reduceOnlyCanceled" if gone.oid in refused else "marginCanceled"
            self._drop_cancelled(call, gone, status)
        return filled, notional

    def _drop_cancelled(self, call: Call, rest: RestingOrder, status: str) -> None:
        """A maker the book already removed (self-trade / margin / reduce-only refusal)."""
        order = self.s.orders.by_oid[rest.oid]
        order.rest = None
        order.sz = rest.sz
        self.s.clearinghouse.release_order(order.user, order.oid)
        self.records.open_remove(order)
        self.records.update(call, order, status)
        self.nonuser(call, order)
        if status == "marginCanceled" and order.sz < order.orig_sz:
            # docs: children are placed when the parent partly filled and was then
            # cancelled for insufficient margin
            call.filled_parents.append(order)
        else:
            self.cancel_children(call, order)

    def nonuser(self, call: Call, order: VenueOrder) -> None:
        """The order was cancelled by the venue, not by its user (``nonUserCancel``)."""
        if self.listeners:
            call.nonuser.setdefault(order.user, []).append({"coin": order.coin, "oid": order.oid})
        self.pushes.soft(order.user)

    def next_tid(self) -> int:
        self.t.trade_seq += 1
        return (self.t.trade_seq * TID_MUL) % TID_MOD

    def book_trade(
        self,
        call: Call,
        taker: VenueOrder,
        maker: VenueOrder,
        px: Decimal,
        sz: Decimal,
        liq: dict[str, Any] | None,
    ) -> None:
        """Book one trade in the clearinghouse and record fills, trade and stats."""
        ch = self.s.clearinghouse
        coin = taker.coin
        maker_effect = ch.apply_fill(maker.user, coin, maker.is_buy, px, sz, MAKER_FEE)
        taker_effect = ch.apply_fill(taker.user, coin, taker.is_buy, px, sz, TAKER_FEE)
        tid = self.next_tid()
        px_w = wire(px)
        sz_w = wire(sz)
        h = call.hash
        self.record_fill(call, maker_effect, maker, px_w, sz_w, h, tid, False, liq)
        self.record_fill(call, taker_effect, taker, px_w, sz_w, h, tid, True, liq)
        buyer, seller = (taker.user, maker.user) if taker.is_buy else (maker.user, taker.user)
        if self.listeners:
            call.trades.setdefault(coin, []).append(
                {
                    "coin": coin,
                    "side": taker.side,
                    "px": px_w,
                    "sz": sz_w,
                    "hash": h,
                    "time": call.now,
                    "tid": tid,
                    "users": [buyer, seller],
                }
            )
        self.prices.record_trade(call.now, coin, px, sz)
        notional = px * sz
        cum_vlm = self.t.cum_vlm
        for user in (maker.user, taker.user):
            cum_vlm[user] = cum_vlm.get(user, ZERO) + notional
            # account pushes for fills are coalesced to the next tick (see the module doc)
            self.pushes.soft(user)
            self.pushes.soft_pair(user, coin)
            call.pos_changed[(user, coin)] = None

    def record_fill(
        self,
        call: Call,
        effect: FillEffect,
        order: VenueOrder,
        px_w: str,
        sz_w: str,
        h: str,
        tid: int,
        crossed: bool,
        liq: dict[str, Any] | None,
    ) -> None:
        fill: dict[str, Any] = {
            "coin": effect.coin,
            "px": px_w,
            "sz": sz_w,
            "side": order.side,
            "time": call.now,
            "startPosition": wire(effect.start_position),
            "dir": effect.direction,
            "closedPnl": wire(ledger_usd(effect.closed_pnl)),
            "hash": h,
            "oid": order.oid,
            "crossed": crossed,
            "fee": wire(effect.fee),
            "tid": tid,
            "feeToken": "USDC",
        }
        if order.cloid is not None:
            fill["cloid"] = order.cloid
        if liq is not None:
            fill["liquidation"] = liq
        rows_of(self.t.fills, effect.user).append(fill)
        if self.listeners:
            call.fills.setdefault(effect.user, []).append(fill)

    def after_match(self, call: Call, coin: str) -> None:
        """Follow-ups once the book is quiet: children of filled parents, reduce-only checks."""
        parents, call.filled_parents = call.filled_parents, []
        for parent in parents:
            for child_oid in parent.children:
                child = self.records.get(child_oid)
                if child is not None and child.waiting and child.live:
                    self.records.arm(child)
        changed = [key for key in call.pos_changed if key[1] == coin]
        for key in changed:
            del call.pos_changed[key]
            if self.records.has_reduce_only(*key):
                self._enforce_reduce_only(call, *key)

    def _on_filled(self, call: Call, order: VenueOrder) -> None:
        if order.children:
            call.filled_parents.append(order)

    def _enforce_reduce_only(self, call: Call, user: str, coin: str) -> None:
        """Cancel reduce-only orders (and position TP/SL) that would no longer reduce."""
        szi = self._szi(user, coin)
        live = self.s.orders.open.get(user)
        if not live:
            return
        doomed: list[VenueOrder] = []
        for order in live.values():
            if order.coin != coin or order.waiting:
                continue
            if not (order.reduce_only or order.is_position_tpsl):
                continue
            wrong_side = szi == 0 or (szi > 0) == order.is_buy
            if order.rest is not None:
                if wrong_side or order.rest.sz > abs(szi):
                    doomed.append(order)
            elif wrong_side and (order.is_position_tpsl or szi == 0):
                doomed.append(order)
        for order in doomed:
            self.cancel(call, order, "reduceOnlyCanceled", nonuser=True)

    def cancel(self, call: Call, order: VenueOrder, status: str, *, nonuser: bool) -> None:
        """Take a live order off the book / trigger list and give it its final status."""
        if order.rest is not None:
            self.t.books[order.coin].cancel(order.oid)
            order.sz = order.rest.sz
            order.rest = None
            self.s.clearinghouse.release_order(order.user, order.oid)
            self.pushes.book_changed(order.coin)
            self.pushes.soft_pair(order.user, order.coin)
        self.records.disarm(order)
        self.records.open_remove(order)
        self.records.update(call, order, status)
        self.pushes.soft(order.user)
        if nonuser:
            self.nonuser(call, order)
        self.cancel_children(call, order)

    def cancel_children(self, call: Call, parent: VenueOrder) -> None:
        """Children of a parent that did not fill completely are cancelled with it."""
        for child_oid in parent.children:
            child = self.records.get(child_oid)
            if child is not None and child.live and child.waiting:
                self.cancel(call, child, "canceled", nonuser=False)

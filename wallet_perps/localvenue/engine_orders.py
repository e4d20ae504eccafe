"""Orders on the local venue: validation, matching, resting, cancels, modify, TP/SL.

The rules and strings follow PROTOCOL §6, §9, §10 and §11.1; the documented choices where the
live venue is unknown are listed in ``engine``'s module docstring.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from wallet_perps.core.numbers import is_valid_price, is_valid_size, round_price
from wallet_perps.core.risk import ZERO
from wallet_perps.localvenue.book import RestingOrder
from wallet_perps.localvenue.clearinghouse import (
    MAKER_FEE,
    TAKER_FEE,
    ClearinghouseError,
    FillEffect,
    usd,
)
from wallet_perps.localvenue.engine_base import (
    CANCEL_MISSING,
    CH_STATUS,
    DAY_MS,
    HEX_DIGITS,
    IOC_NO_MATCH,
    MARKET_SLIPPAGE,
    MAX_OPEN_ORDERS,
    MIN_ORDER_VALUE,
    MODIFY_MISSING,
    PRICE_BAND_HIGH,
    PRICE_BAND_LOW,
    SCHEDULE_CANCEL_MAX_PER_DAY,
    SCHEDULE_CANCEL_MIN_DELAY_MS,
    TID_MOD,
    TID_MUL,
    TIFS,
    Call,
    EngineBase,
    bbo_px,
    filled_status,
    ids_of,
    rows_of,
)
from wallet_perps.localvenue.engine_queries import LEDGER_CAP
from wallet_perps.localvenue.engine_types import (
    VenueOrder,
    VenueReject,
    wire,
)


@dataclass(slots=True)
class _Parsed:
    """One order wire after parsing (not yet validated against the account)."""

    asset: int
    coin: str
    is_buy: bool
    px: Decimal
    sz: Decimal
    reduce_only: bool
    tif: str | None
    cloid: str | None
    trigger_px: Decimal | None = None
    tpsl: str | None = None
    is_market: bool = False


class _Matcher:
    """The book's callbacks for one aggressor: fills are booked as the book makes them.

    Applying each fill to the clearinghouse inside ``maker_ok`` (the book fills exactly the
    checked size right after it returns True) means the next maker's margin and reduce-only
    checks already see the previous fills. Nothing here touches the book.
    """

    __slots__ = ("call", "liq", "ro_refused", "taker", "venue")

    def __init__(
        self, venue: OrderEngine, call: Call, taker: VenueOrder, liq: dict[str, Any] | None
    ) -> None:
        self.venue = venue
        self.call = call
        self.taker = taker
        self.liq = liq
        self.ro_refused: list[int] = []

    def maker_ok(self, maker: RestingOrder, px: Decimal, sz: Decimal) -> bool:
        venue = self.venue
        ch = venue.clearinghouse
        coin = self.taker.coin
        if maker.reduce_only:
            szi = venue._szi(maker.user, coin)
            if szi == 0 or (szi > 0) == maker.is_buy or sz > abs(szi):
                self.ro_refused.append(maker.oid)
                return False
        elif not ch.maker_can_fill(maker.user, maker.oid, coin, maker.is_buy, sz, px):
            return False
        record = venue._orders[maker.oid]
        venue._book_trade(self.call, self.taker, record, px, sz, self.liq)
        left = maker.sz - sz
        ch.release_order(maker.user, maker.oid)
        if left > 0 and not maker.reduce_only:
            ch.reserve_order(maker.user, maker.oid, coin, maker.is_buy, left, maker.limit_px)
        return True


class OrderEngine(EngineBase):
    """Order entry and the order book side of :class:`~.engine.Venue` (a mixin)."""

    def order(self, user: str, action: dict[str, Any], now_ms: int) -> dict[str, Any]:
        """``order``: a batch with grouping ``na``, ``normalTpsl`` or ``positionTpsl``."""
        user = user.lower()
        wires = action.get("orders") or []
        if not wires:
            raise VenueReject("Order has zero orders.")
        grouping = action.get("grouping", "na")
        parsed = [self._parse(w) for w in wires]
        self._prevalidate(parsed, grouping)
        call = self._begin(now_ms, user, len(wires))
        try:
            if grouping == "normalTpsl":
                statuses = self._place_normal_tpsl(call, user, parsed)
            else:
                statuses = [
                    self._place(call, user, p, position_tpsl=grouping == "positionTpsl")
                    for p in parsed
                ]
        finally:
            self._end(call)
        return {"type": "order", "data": {"statuses": statuses}}

    def _parse(self, raw: dict[str, Any]) -> _Parsed | str:
        """Parse one order wire; a string is that order's error."""
        asset = raw.get("a")
        if not isinstance(asset, int) or not 0 <= asset < len(self._coins):
            return f"Order has invalid asset. asset={asset}"
        try:
            px = Decimal(str(raw.get("p")))
            if not px.is_finite() or px <= 0:
                raise InvalidOperation
        except InvalidOperation:
            return f"Order has invalid price. asset={asset}"
        try:
            sz = Decimal(str(raw.get("s")))
            if not sz.is_finite() or sz <= 0:
                raise InvalidOperation
        except InvalidOperation:
            return f"Order has invalid size. asset={asset}"
        cloid = raw.get("c")
        if cloid is not None:
            if (
                not isinstance(cloid, str)
                or len(cloid) != 34
                or not cloid.startswith("0x")
                or not set(cloid[2:].lower()) <= HEX_DIGITS
            ):
                return f"Invalid cloid. asset={asset}"
            cloid = cloid.lower()
        kind = raw.get("t") or {}
        parsed = _Parsed(
            asset, self._coins[asset], bool(raw.get("b")), px, sz, bool(raw.get("r")), None, cloid
        )
        if "limit" in kind:
            tif = (kind.get("limit") or {}).get("tif")
            if tif not in TIFS:
                return f"Invalid TIF. asset={asset}"
            parsed.tif = tif
            return parsed
        trigger = kind.get("trigger")
        if not isinstance(trigger, dict):
            return f"Invalid order type. asset={asset}"
        try:
            trigger_px = Decimal(str(trigger.get("triggerPx")))
            if not trigger_px.is_finite() or trigger_px <= 0:
                raise InvalidOperation
        except InvalidOperation:
            return f"Invalid TP/SL price. asset={asset}"
        tpsl = trigger.get("tpsl")
        if tpsl not in ("tp", "sl"):
            return f"Invalid TP/SL price. asset={asset}"
        parsed.trigger_px = trigger_px
        parsed.tpsl = tpsl
        parsed.is_market = bool(trigger.get("isMarket"))
        return parsed

    def _prevalidate(self, parsed: list[_Parsed | str], grouping: Any) -> None:
        """Batch-level refusals (one error for the whole batch, PROTOCOL §6.1)."""
        for p in parsed:
            if isinstance(p, str):
                continue
            oracle = self.clearinghouse.oracles[p.coin]
            ref = p.trigger_px if p.trigger_px is not None else p.px
            if ref < oracle * PRICE_BAND_LOW or ref > oracle * PRICE_BAND_HIGH:
                raise VenueReject("Order price too far from oracle")
        if grouping == "positionTpsl":
            for p in parsed:
                if not isinstance(p, str) and (p.trigger_px is None or not p.reduce_only):
                    raise VenueReject("Position TP/SL orders must be reduce-only trigger orders.")
        elif grouping == "normalTpsl":
            first = parsed[0]
            if not isinstance(first, str) and first.trigger_px is not None:
                raise VenueReject("The first order of a normalTpsl group must not be a trigger.")
            for p in parsed[1:]:
                if not isinstance(p, str) and p.trigger_px is None:
                    raise VenueReject("TP/SL children must be trigger orders.")
        elif grouping != "na" and not (isinstance(grouping, dict) and "p" in grouping):
            raise VenueReject("Invalid grouping.")

    def _new_order(self, call: Call, user: str, p: _Parsed) -> VenueOrder:
        """Give a parsed order an oid and a place in the user's history."""
        oid = self._next_oid
        self._next_oid += 1
        order = VenueOrder(
            oid=oid,
            user=user,
            coin=p.coin,
            asset=p.asset,
            is_buy=p.is_buy,
            limit_px=p.px,
            orig_sz=p.sz,
            sz=p.sz,
            timestamp=call.now,
            cloid=p.cloid,
            reduce_only=p.reduce_only,
            tif=p.tif,
            status_ts=call.now,
            trigger_px=p.trigger_px,
            tpsl=p.tpsl,
            is_market=p.is_market,
        )
        self._orders[oid] = order
        history = self._history.get(user)
        if history is None:
            history = self._history[user] = {}
        history[oid] = order
        if len(history) > LEDGER_CAP:
            old = next(iter(history))
            evicted = history.pop(old)
            if not evicted.live:
                self._orders.pop(old, None)
        if p.cloid is not None:
            self._cloids.setdefault(user, {})[p.cloid] = oid
        return order

    def _reject(self, call: Call, order: VenueOrder, status: str, message: str) -> dict[str, Any]:
        self._update(call, order, status)
        return {"error": message}

    def _check_static(self, p: _Parsed, position_tpsl: bool = False) -> tuple[str, str] | None:
        """Tick, lot and minimum-value checks: (status, message) or None."""
        spec = self._spec[p.coin]
        suffix = f" asset={p.asset}"
        if not is_valid_price(p.px, spec.sz_decimals):
            return "tickRejected", "Price must be divisible by tick size." + suffix
        if p.trigger_px is not None and not is_valid_price(p.trigger_px, spec.sz_decimals):
            return "badTriggerPxRejected", "Invalid TP/SL price." + suffix
        if not is_valid_size(p.sz, spec.sz_decimals):
            return "rejected", "Order has invalid size." + suffix
        ref = p.trigger_px if p.trigger_px is not None else p.px
        if not p.reduce_only and not position_tpsl and ref * p.sz < MIN_ORDER_VALUE:
            return "minTradeNtlRejected", "Order must have minimum value of $10." + suffix
        return None

    def _open_count(self, user: str) -> int:
        live = self._open.get(user)
        return len(live) if live else 0

    def _place(
        self, call: Call, user: str, p: _Parsed | str, *, position_tpsl: bool = False
    ) -> dict[str, Any]:
        """Validate and place one order of a batch; returns its ``statuses`` entry."""
        return self._place_order(call, user, p, position_tpsl)[0]

    def _place_order(
        self, call: Call, user: str, p: _Parsed | str, position_tpsl: bool
    ) -> tuple[dict[str, Any], VenueOrder | None]:
        if isinstance(p, str):
            return {"error": p}, None
        order = self._new_order(call, user, p)
        order.is_position_tpsl = position_tpsl
        failed = self._check_static(p, position_tpsl)
        if failed is not None:
            return self._reject(call, order, *failed), order
        suffix = f" asset={p.asset}"
        rests = p.trigger_px is not None or p.tif in ("Gtc", "Alo")
        if rests and self._open_count(user) >= MAX_OPEN_ORDERS:
            status = "tooManyOpenOrdersRejected"
            return self._reject(call, order, status, "Too many open orders." + suffix), order
        if p.trigger_px is not None:
            if position_tpsl:
                szi = self._szi(user, p.coin)
                if szi == 0 or (szi > 0) == p.is_buy:
                    message = "Reduce only order would increase position." + suffix
                    return self._reject(call, order, "reduceOnlyRejected", message), order
            self._activate_trigger(order)
            self._update(call, order, "open")
            self._soft_dirty[user] = None
            return {"resting": ids_of(order)}, order
        return self._submit(call, order, p.px), order

    def _submit(self, call: Call, order: VenueOrder, px: Decimal) -> dict[str, Any]:
        """Account checks, then match/rest a non-trigger order at ``px``."""
        ch = self.clearinghouse
        user, coin = order.user, order.coin
        suffix = f" asset={order.asset}"
        if order.reduce_only:
            szi = self._szi(user, coin)
            if szi == 0 or (szi > 0) == order.is_buy:
                return self._reject(
                    call,
                    order,
                    "reduceOnlyRejected",
                    "Reduce only order would increase position." + suffix,
                )
            if order.sz > abs(szi):
                order.sz = abs(szi)
        else:
            try:
                ch.check_order(user, coin, order.is_buy, order.sz, px, False)
            except ClearinghouseError as exc:
                message = str(exc)
                return self._reject(
                    call, order, CH_STATUS.get(message, "rejected"), message + suffix
                )
        book = self._books[coin]
        if order.tif == "Alo":
            if book.would_cross(order.is_buy, px):
                bid, ask = book.bbo()
                return self._reject(
                    call,
                    order,
                    "badAloPxRejected",
                    f"Post only order would have immediately matched, bbo was "
                    f"{bbo_px(bid)}@{bbo_px(ask)}." + suffix,
                )
            return self._rest(call, order, px)
        filled, notional = self._match(call, order, px, None)
        remaining = order.sz - filled
        if remaining == 0:
            order.sz = ZERO
            self._update(call, order, "filled")
            self._on_filled(call, order)
            self._after_match(call, coin)
            return {"filled": filled_status(order, filled, notional)}
        if order.tif in ("Gtc", "Alo") and not order.reduce_only:
            order.sz = remaining
            status = self._rest(call, order, px)
            self._after_match(call, coin)
            return status
        if order.tif in ("Gtc", "Alo"):  # reduce-only remainder: rests only if still reducing
            szi = self._szi(user, coin)
            if szi != 0 and (szi > 0) != order.is_buy and remaining <= abs(szi):
                order.sz = remaining
                status = self._rest(call, order, px)
                self._after_match(call, coin)
                return status
        order.sz = remaining
        self._after_match(call, coin)
        if filled == 0:
            if order.tif in ("Gtc", "Alo"):  # a reduce-only order that can no longer rest
                message = "Reduce only order would increase position." + suffix
                return self._reject(call, order, "reduceOnlyCanceled", message)
            if order.triggered and order.is_market:
                message = "No liquidity available for market order." + suffix
                return self._reject(call, order, "marketOrderNoLiquidityRejected", message)
            return self._reject(call, order, "iocCancelRejected", IOC_NO_MATCH + suffix)
        self._update(call, order, "canceled")
        self._cancel_children(call, order)
        return {"filled": filled_status(order, filled, notional)}

    def _rest(self, call: Call, order: VenueOrder, px: Decimal) -> dict[str, Any]:
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
        self._books[order.coin].add(rest)
        order.rest = rest
        order.limit_px = px
        if not order.reduce_only:
            self.clearinghouse.reserve_order(
                order.user, order.oid, order.coin, order.is_buy, order.sz, px
            )
        self._open_add(order)
        self._book_dirty[order.coin] = None
        self._soft_dirty[order.user] = None
        self._soft_pairs[(order.user, order.coin)] = None
        if order.status != "triggered":
            self._update(call, order, "open")
        return {"resting": ids_of(order)}

    def _match(
        self, call: Call, order: VenueOrder, px: Decimal, liq: dict[str, Any] | None
    ) -> tuple[Decimal, Decimal]:
        """Cross ``order`` against the book; returns (filled size, filled notional)."""
        book = self._books[order.coin]
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
        self._book_dirty[order.coin] = None
        filled = ZERO
        notional = ZERO
        for fill in result.fills:
            filled += fill.sz
            notional += fill.px * fill.sz
            if not fill.maker.sz:
                maker = self._orders[fill.maker.oid]
                maker.rest = None
                maker.sz = ZERO
                self._open_remove(maker)
                self._update(call, maker, "filled")
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
        order = self._orders[rest.oid]
        order.rest = None
        order.sz = rest.sz
        self.clearinghouse.release_order(order.user, order.oid)
        self._open_remove(order)
        self._update(call, order, status)
        self._nonuser(call, order)
        if status == "marginCanceled" and order.sz < order.orig_sz:
            # docs: children are placed when the parent partly filled and was then
            # cancelled for insufficient margin
            call.filled_parents.append(order)
        else:
            self._cancel_children(call, order)

    def _nonuser(self, call: Call, order: VenueOrder) -> None:
        if self.listeners:
            call.nonuser.setdefault(order.user, []).append({"coin": order.coin, "oid": order.oid})
        self._soft_dirty[order.user] = None

    def _book_trade(
        self,
        call: Call,
        taker: VenueOrder,
        maker: VenueOrder,
        px: Decimal,
        sz: Decimal,
        liq: dict[str, Any] | None,
    ) -> None:
        """Book one trade in the clearinghouse and record fills, trade and stats."""
        ch = self.clearinghouse
        coin = taker.coin
        maker_effect = ch.apply_fill(maker.user, coin, maker.is_buy, px, sz, MAKER_FEE)
        taker_effect = ch.apply_fill(taker.user, coin, taker.is_buy, px, sz, TAKER_FEE)
        self._trade_seq += 1
        tid = (self._trade_seq * TID_MUL) % TID_MOD
        px_w = wire(px)
        sz_w = wire(sz)
        h = call.hash
        self._record_fill(call, maker_effect, maker, px_w, sz_w, h, tid, False, liq)
        self._record_fill(call, taker_effect, taker, px_w, sz_w, h, tid, True, liq)
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
        self._candles[coin].add_trade(call.now, px, sz)
        self._day[coin].record_trade(call.now, px, sz)
        notional = px * sz
        for user in (maker.user, taker.user):
            self._cum_vlm[user] = self._cum_vlm.get(user, ZERO) + notional
            # account pushes for fills are coalesced to the next tick (see the module doc)
            self._soft_dirty[user] = None
            self._soft_pairs[(user, coin)] = None
            call.pos_changed[(user, coin)] = None

    def _record_fill(
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
            "closedPnl": wire(usd(effect.closed_pnl)),
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
        rows_of(self._fills, effect.user).append(fill)
        if self.listeners:
            call.fills.setdefault(effect.user, []).append(fill)

    def _after_match(self, call: Call, coin: str) -> None:
        """Follow-ups once the book is quiet: children of filled parents, reduce-only checks."""
        parents, call.filled_parents = call.filled_parents, []
        for parent in parents:
            for child_oid in parent.children:
                child = self._orders.get(child_oid)
                if child is not None and child.waiting and child.live:
                    child.waiting = False
                    self._triggers[child.coin][child.oid] = child
        changed = [key for key in call.pos_changed if key[1] == coin]
        for key in changed:
            del call.pos_changed[key]
            if self._ro_count.get(key):
                self._enforce_reduce_only(call, *key)

    def _on_filled(self, call: Call, order: VenueOrder) -> None:
        if order.children:
            call.filled_parents.append(order)

    def _enforce_reduce_only(self, call: Call, user: str, coin: str) -> None:
        """Cancel reduce-only orders (and position TP/SL) that would no longer reduce."""
        szi = self._szi(user, coin)
        live = self._open.get(user)
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
            self._cancel(call, order, "reduceOnlyCanceled", nonuser=True)

    # ------------------------------------------------------------------ order bookkeeping

    def _open_add(self, order: VenueOrder) -> None:
        live = self._open.get(order.user)
        if live is None:
            live = self._open[order.user] = {}
        if order.oid in live:
            return
        live[order.oid] = order
        if order.reduce_only or order.is_position_tpsl:
            key = (order.user, order.coin)
            self._ro_count[key] = self._ro_count.get(key, 0) + 1

    def _open_remove(self, order: VenueOrder) -> None:
        live = self._open.get(order.user)
        if live is None or live.pop(order.oid, None) is None:
            return
        if not live:
            del self._open[order.user]
        if order.reduce_only or order.is_position_tpsl:
            key = (order.user, order.coin)
            left = self._ro_count.get(key, 0) - 1
            if left > 0:
                self._ro_count[key] = left
            else:
                self._ro_count.pop(key, None)

    def _activate_trigger(self, order: VenueOrder) -> None:
        self._open_add(order)
        if not order.waiting:
            self._triggers[order.coin][order.oid] = order

    def _cancel(self, call: Call, order: VenueOrder, status: str, *, nonuser: bool) -> None:
        """Take a live order off the book / trigger list and give it its final status."""
        if order.rest is not None:
            self._books[order.coin].cancel(order.oid)
            order.sz = order.rest.sz
            order.rest = None
            self.clearinghouse.release_order(order.user, order.oid)
            self._book_dirty[order.coin] = None
            self._soft_pairs[(order.user, order.coin)] = None
        self._triggers[order.coin].pop(order.oid, None)
        self._open_remove(order)
        self._update(call, order, status)
        self._soft_dirty[order.user] = None
        if nonuser:
            self._nonuser(call, order)
        self._cancel_children(call, order)

    def _cancel_children(self, call: Call, parent: VenueOrder) -> None:
        """Children of a parent that did not fill completely are cancelled with it."""
        for child_oid in parent.children:
            child = self._orders.get(child_oid)
            if child is not None and child.live and child.waiting:
                self._cancel(call, child, "canceled", nonuser=False)

    def _place_normal_tpsl(self, call: Call, user: str, parsed: list[_Parsed | str]) -> list[Any]:
        """Parent first; children wait for its fill ("waitingForFill") or arm at once."""
        parent_status, parent = self._place_order(call, user, parsed[0], False)
        statuses: list[Any] = [parent_status]
        if "error" in parent_status or parent is None:
            return statuses + [parent_status for _ in parsed[1:]]
        filled = parent.status == "filled"
        for p in parsed[1:]:
            if isinstance(p, str):
                statuses.append({"error": p})
                continue
            child = self._new_order(call, user, p)
            failed = self._check_static(p, position_tpsl=True)
            if failed is not None:
                statuses.append(self._reject(call, child, *failed))
                continue
            child.parent = parent.oid
            child.waiting = not filled
            parent.children.append(child.oid)
            if not parent.live and not filled:  # parent cancelled after a partial fill
                self._update(call, child, "canceled")
                statuses.append({"error": "Parent order was canceled."})
                continue
            self._activate_trigger(child)
            self._update(call, child, "open")
            statuses.append("waitingForTrigger" if filled else "waitingForFill")
        return statuses

    def cancel(self, user: str, action: dict[str, Any], now_ms: int) -> dict[str, Any]:
        """``cancel`` by (asset, oid); per-cancel "success" or an error."""
        user = user.lower()
        cancels = action.get("cancels") or []
        call = self._begin(now_ms, user, len(cancels))
        try:
            statuses = [self._cancel_one(call, user, c.get("a"), c.get("o")) for c in cancels]
        finally:
            self._end(call)
        return {"type": "cancel", "data": {"statuses": statuses}}

    def cancel_by_cloid(self, user: str, action: dict[str, Any], now_ms: int) -> dict[str, Any]:
        user = user.lower()
        cancels = action.get("cancels") or []
        call = self._begin(now_ms, user, len(cancels))
        try:
            statuses = []
            for c in cancels:
                cloid = c.get("cloid")
                oid = (
                    self._cloids.get(user, {}).get(cloid.lower())
                    if isinstance(cloid, str)
                    else None
                )
                statuses.append(self._cancel_one(call, user, c.get("asset"), oid))
        finally:
            self._end(call)
        return {"type": "cancel", "data": {"statuses": statuses}}

    def _cancel_one(self, call: Call, user: str, asset: Any, oid: Any) -> Any:
        order = self._orders.get(oid) if isinstance(oid, int) else None
        if order is None or order.user != user or order.asset != asset or not order.live:
            return {"error": CANCEL_MISSING}
        if order.triggered and order.rest is None:
            return {"error": CANCEL_MISSING}
        self._cancel(call, order, "canceled", nonuser=False)
        return "success"

    def _find_live(self, user: str, ref: Any) -> VenueOrder | None:
        if isinstance(ref, str):
            oid = self._cloids.get(user, {}).get(ref.lower())
        elif isinstance(ref, int):
            oid = ref
        else:
            return None
        order = self._orders.get(oid) if oid is not None else None
        if order is None or order.user != user or not order.live:
            return None
        return order

    def modify(self, user: str, action: dict[str, Any], now_ms: int) -> dict[str, Any]:
        """``modify``: cancel and replace (new oid, cloid kept); ``{"type":"default"}``."""
        result = self._modify_many(user, [action], now_ms)[0]
        if isinstance(result, dict) and "error" in result:
            raise VenueReject(result["error"])
        return {"type": "default"}

    def batch_modify(self, user: str, action: dict[str, Any], now_ms: int) -> dict[str, Any]:
        statuses = self._modify_many(user, action.get("modifies") or [], now_ms)
        return {"type": "order", "data": {"statuses": statuses}}

    def _modify_many(self, user: str, modifies: list[dict[str, Any]], now_ms: int) -> list[Any]:
        user = user.lower()
        parsed: list[_Parsed | str] = [self._parse(m.get("order") or {}) for m in modifies]
        self._prevalidate(parsed, "na")
        call = self._begin(now_ms, user, len(modifies))
        statuses: list[Any] = []
        try:
            for m, p in zip(modifies, parsed, strict=True):
                old = self._find_live(user, m.get("oid"))
                if old is None:
                    statuses.append({"error": MODIFY_MISSING})
                    continue
                if isinstance(p, str):
                    statuses.append({"error": p})
                    continue
                failed = self._check_static(p)
                if failed is not None:
                    statuses.append({"error": failed[1]})
                    continue
                if p.cloid is None:
                    p.cloid = old.cloid
                self._cancel(call, old, "canceled", nonuser=False)
                statuses.append(self._place(call, user, p))
        finally:
            self._end(call)
        return statuses

    def schedule_cancel(self, user: str, action: dict[str, Any], now_ms: int) -> dict[str, Any]:
        """Dead man's switch: all open orders cancelled at ``time`` (status scheduledCancel)."""
        user = user.lower()
        call = self._begin(now_ms, user)
        try:
            at = action.get("time")
            if at is None:
                self._schedule.pop(user, None)
                return {"type": "default"}
            if not isinstance(at, int) or at < call.now + SCHEDULE_CANCEL_MIN_DELAY_MS:
                raise VenueReject("Scheduled cancel time too early, must be at least 5 seconds.")
            day, fired = self._schedule_fired.get(user, (-1, 0))
            if day == call.now // DAY_MS and fired >= SCHEDULE_CANCEL_MAX_PER_DAY:
                raise VenueReject("Too many scheduled cancel triggers today.")
            self._schedule[user] = at
        finally:
            self._end(call)
        return {"type": "default"}

    def _fire_schedules(self, call: Call) -> None:
        due = [user for user, at in self._schedule.items() if at <= call.now]
        for user in due:
            del self._schedule[user]
            day = call.now // DAY_MS
            last_day, fired = self._schedule_fired.get(user, (day, 0))
            self._schedule_fired[user] = (day, (fired if last_day == day else 0) + 1)
            for order in list(self._open.get(user, {}).values()):
                if order.live:
                    self._cancel(call, order, "scheduledCancel", nonuser=True)

    # ------------------------------------------------------------------ triggers

    def _check_triggers(self, call: Call, coin: str) -> None:
        """Fire trigger orders whose condition the mark now meets (oldest first)."""
        triggers = self._triggers[coin]
        if not triggers:
            return
        mark = self.clearinghouse.marks[coin]
        fired = [order for order in triggers.values() if order.fires_at(mark)]
        for order in fired:
            if order.oid in triggers and order.live:
                self._fire(call, order, mark)

    def _fire(self, call: Call, order: VenueOrder, mark: Decimal) -> None:
        del self._triggers[order.coin][order.oid]
        order.triggered = True
        self._open_remove(order)
        self._update(call, order, "triggered")
        if order.parent is not None:
            parent = self._orders.get(order.parent)
            for sib_oid in parent.children if parent is not None else []:
                sibling = self._orders.get(sib_oid)
                if sibling is not None and sibling is not order and sibling.live:
                    self._cancel(call, sibling, "siblingFilledCanceled", nonuser=True)
        szi = self._szi(order.user, order.coin)
        if order.is_position_tpsl:
            order.sz = abs(szi)
        if (order.reduce_only or order.is_position_tpsl) and (
            szi == 0 or (szi > 0) == order.is_buy
        ):
            self._update(call, order, "reduceOnlyCanceled")
            return
        spec = self._spec[order.coin]
        if order.is_market:
            factor = 1 + MARKET_SLIPPAGE if order.is_buy else 1 - MARKET_SLIPPAGE
            px = round_price(
                mark * factor, spec.sz_decimals, direction="up" if order.is_buy else "down"
            )
            order.tif = "Ioc"
        else:
            px = order.limit_px
            order.tif = "Gtc"
        self._submit(call, order, px)

    # ------------------------------------------------------------------ liquidation

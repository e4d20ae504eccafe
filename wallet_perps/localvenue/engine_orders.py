"""Order entry on the local venue: ``order``, ``cancel``, ``cancelByCloid``, ``modify``,
``batchModify`` (PROTOCOL §6, §9, §10).

:class:`OrderEntry` takes the typed records of :mod:`.actions` and applies what the venue
decides beyond their shape: the asset exists, prices and sizes are positive, on the tick and
lot, at least $10, near the oracle, the grouping's rules, the open-order limit. Each order of
a batch gets its own ``statuses`` entry; only batch-level refusals raise
:class:`~.engine_types.VenueReject`. Accepted orders go to :class:`~.engine_matching.Matching`
(or, for triggers, to the armed trigger list). The documented choices where the live venue is
unknown are listed in ``engine``'s module docstring.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

from wallet_perps.core.numbers import is_valid_price, is_valid_size
from wallet_perps.core.venue_rules import MIN_ORDER_VALUE
from wallet_perps.localvenue.actions import (
    BatchModifyAction,
    CancelAction,
    CancelByCloidAction,
    ModifyAction,
    OrderAction,
    OrderRequest,
)
from wallet_perps.localvenue.engine_base import (
    CANCEL_MISSING,
    MAX_OPEN_ORDERS,
    MODIFY_MISSING,
    PRICE_BAND_HIGH,
    PRICE_BAND_LOW,
    Call,
    ids_of,
    position_szi,
)
from wallet_perps.localvenue.engine_matching import REDUCE_ONLY_REFUSED, Matching
from wallet_perps.localvenue.engine_pushes import Pushes
from wallet_perps.localvenue.engine_records import OrderRegistry
from wallet_perps.localvenue.engine_types import VenueOrder, VenueReject
from wallet_perps.localvenue.state import VenueState

__all__ = ["OrderEntry"]

#: One order of a batch after the venue's own checks: the request, or its error message.
Checked = OrderRequest | str


def _reference_px(req: OrderRequest) -> Decimal:
    """The price the oracle band and the $10 minimum apply to (a trigger's trigger price)."""
    return req.trigger.trigger_px if req.trigger is not None else req.px


class OrderEntry:
    """The order actions; no slice of its own (orders live in the registry and the books)."""

    __slots__ = ("matching", "pushes", "records", "s")

    def __init__(
        self, state: VenueState, pushes: Pushes, records: OrderRegistry, matching: Matching
    ) -> None:
        self.s = state
        self.pushes = pushes
        self.records = records
        self.matching = matching

    def order(self, user: str, action: OrderAction, now_ms: int) -> dict[str, Any]:
        """``order``: a batch with grouping ``na``, ``normalTpsl`` or ``positionTpsl``."""
        if not action.orders:
            raise VenueReject("Order has zero orders.")
        grouping = action.grouping
        checked = [self._check(req) for req in action.orders]
        self._prevalidate(checked, grouping)
        call = self.pushes.begin(now_ms, user, len(checked))
        try:
            if grouping == "normalTpsl":
                statuses = self._place_normal_tpsl(call, user, checked)
            else:
                position_tpsl = grouping == "positionTpsl"
                statuses = [self._place(call, user, c, position_tpsl)[0] for c in checked]
        finally:
            self.pushes.end(call)
        return {"type": "order", "data": {"statuses": statuses}}

    def _check(self, req: OrderRequest) -> Checked:
        """The per-order refusals that come before anything else (an error string)."""
        asset = req.asset
        if not 0 <= asset < len(self.s.coins):
            return f"Order has invalid asset. asset={asset}"
        if req.px <= 0:
            return f"Order has invalid price. asset={asset}"
        if req.sz <= 0:
            return f"Order has invalid size. asset={asset}"
        if req.trigger is not None and req.trigger.trigger_px <= 0:
            return f"Invalid TP/SL price. asset={asset}"
        return req

    def _prevalidate(self, checked: list[Checked], grouping: str) -> None:
        """Batch-level refusals (one error for the whole batch, PROTOCOL §6.1)."""
        oracles = self.s.clearinghouse.oracles
        for req in checked:
            if isinstance(req, str):
                continue
            oracle = oracles[self.s.coins[req.asset]]
            ref = _reference_px(req)
            if ref < oracle * PRICE_BAND_LOW or ref > oracle * PRICE_BAND_HIGH:
                raise VenueReject("Order price too far from oracle")
        if grouping == "positionTpsl":
            for req in checked:
                if not isinstance(req, str) and (req.trigger is None or not req.reduce_only):
                    raise VenueReject("Position TP/SL orders must be reduce-only trigger orders.")
        elif grouping == "normalTpsl":
            first = checked[0]
            if not isinstance(first, str) and first.trigger is not None:
                raise VenueReject("The first order of a normalTpsl group must not be a trigger.")
            for req in checked[1:]:
                if not isinstance(req, str) and req.trigger is None:
                    raise VenueReject("TP/SL children must be trigger orders.")

    def _check_static(
        self, req: OrderRequest, position_tpsl: bool = False
    ) -> tuple[str, str] | None:
        """Tick, lot and minimum-value checks: (status, message) or None."""
        spec = self.s.spec[self.s.coins[req.asset]]
        suffix = f" asset={req.asset}"
        if not is_valid_price(req.px, spec.sz_decimals):
            return "tickRejected", "Price must be divisible by tick size." + suffix
        trigger = req.trigger
        if trigger is not None and not is_valid_price(trigger.trigger_px, spec.sz_decimals):
            return "badTriggerPxRejected", "Invalid TP/SL price." + suffix
        if not is_valid_size(req.sz, spec.sz_decimals):
            return "rejected", "Order has invalid size." + suffix
        exempt = req.reduce_only or position_tpsl
        if not exempt and _reference_px(req) * req.sz < MIN_ORDER_VALUE:
            return "minTradeNtlRejected", "Order must have minimum value of $10." + suffix
        return None

    def _place(
        self, call: Call, user: str, req: Checked, position_tpsl: bool
    ) -> tuple[dict[str, Any], VenueOrder | None]:
        """Validate and place one order of a batch: its ``statuses`` entry, and the order."""
        if isinstance(req, str):
            return {"error": req}, None
        records = self.records
        order = records.new_order(call, user, req)
        order.is_position_tpsl = position_tpsl
        failed = self._check_static(req, position_tpsl)
        if failed is not None:
            return records.reject(call, order, *failed), order
        suffix = f" asset={req.asset}"
        rests = req.trigger is not None or req.tif in ("Gtc", "Alo")
        if rests and records.open_count(user) >= MAX_OPEN_ORDERS:
            status = "tooManyOpenOrdersRejected"
            return records.reject(call, order, status, "Too many open orders." + suffix), order
        if req.trigger is not None:
            if position_tpsl:
                szi = position_szi(self.s.clearinghouse, user, order.coin)
                if szi == 0 or (szi > 0) == req.is_buy:
                    message = REDUCE_ONLY_REFUSED + suffix
                    return records.reject(call, order, "reduceOnlyRejected", message), order
            records.activate_trigger(order)
            records.update(call, order, "open")
            self.pushes.soft(user)
            return {"resting": ids_of(order)}, order
        return self.matching.submit(call, order, req.px), order

    def _place_normal_tpsl(self, call: Call, user: str, checked: list[Checked]) -> list[Any]:
        """Parent first; children wait for its fill ("waitingForFill") or arm at once."""
        parent_status, parent = self._place(call, user, checked[0], False)
        statuses: list[Any] = [parent_status]
        if "error" in parent_status or parent is None:
            return statuses + [parent_status for _ in checked[1:]]
        filled = parent.status == "filled"
        records = self.records
        for req in checked[1:]:
            if isinstance(req, str):
                statuses.append({"error": req})
                continue
            child = records.new_order(call, user, req)
            failed = self._check_static(req, position_tpsl=True)
            if failed is not None:
                statuses.append(records.reject(call, child, *failed))
                continue
            child.parent = parent.oid
            child.waiting = not filled
            parent.children.append(child.oid)
            if not parent.live and not filled:  # parent cancelled after a partial fill
                records.update(call, child, "canceled")
                statuses.append({"error": "Parent order was canceled."})
                continue
            records.activate_trigger(child)
            records.update(call, child, "open")
            statuses.append("waitingForTrigger" if filled else "waitingForFill")
        return statuses

    # ------------------------------------------------------------------ cancel

    def cancel(self, user: str, action: CancelAction, now_ms: int) -> dict[str, Any]:
        """``cancel`` by (asset, oid); per-cancel "success" or an error."""
        call = self.pushes.begin(now_ms, user, len(action.cancels))
        try:
            statuses = [self._cancel_one(call, user, asset, oid) for asset, oid in action.cancels]
        finally:
            self.pushes.end(call)
        return {"type": "cancel", "data": {"statuses": statuses}}

    def cancel_by_cloid(
        self, user: str, action: CancelByCloidAction, now_ms: int
    ) -> dict[str, Any]:
        call = self.pushes.begin(now_ms, user, len(action.cancels))
        try:
            statuses = [
                self._cancel_one(call, user, asset, self.records.oid_of_cloid(user, cloid))
                for asset, cloid in action.cancels
            ]
        finally:
            self.pushes.end(call)
        return {"type": "cancel", "data": {"statuses": statuses}}

    def _cancel_one(self, call: Call, user: str, asset: int, oid: int | None) -> Any:
        order = self.records.get(oid) if oid is not None else None
        if order is None or order.user != user or order.asset != asset or not order.live:
            return {"error": CANCEL_MISSING}
        if order.triggered and order.rest is None:
            return {"error": CANCEL_MISSING}
        self.matching.cancel(call, order, "canceled", nonuser=False)
        return "success"

    # ------------------------------------------------------------------ modify

    def modify(self, user: str, action: ModifyAction, now_ms: int) -> dict[str, Any]:
        """``modify``: cancel and replace (new oid, cloid kept); ``{"type":"default"}``."""
        result = self._modify_many(user, (action,), now_ms)[0]
        if isinstance(result, dict) and "error" in result:
            raise VenueReject(result["error"])
        return {"type": "default"}

    def batch_modify(self, user: str, action: BatchModifyAction, now_ms: int) -> dict[str, Any]:
        statuses = self._modify_many(user, action.modifies, now_ms)
        return {"type": "order", "data": {"statuses": statuses}}

    def _modify_many(self, user: str, modifies: tuple[ModifyAction, ...], now_ms: int) -> list[Any]:
        checked = [self._check(m.order) for m in modifies]
        self._prevalidate(checked, "na")
        call = self.pushes.begin(now_ms, user, len(modifies))
        statuses: list[Any] = []
        try:
            for m, req in zip(modifies, checked, strict=True):
                old = self.records.find_live(user, m.oid)
                if old is None:
                    statuses.append({"error": MODIFY_MISSING})
                    continue
                if isinstance(req, str):
                    statuses.append({"error": req})
                    continue
                failed = self._check_static(req)
                if failed is not None:
                    statuses.append({"error": failed[1]})
                    continue
                if req.cloid is None:
                    req = replace(req, cloid=old.cloid)
                self.matching.cancel(call, old, "canceled", nonuser=False)
                statuses.append(self._place(call, user, req, False)[0])
        finally:
            self.pushes.end(call)
        return statuses

"""The venue's order records: oids, statuses, and the indexes the queries and matching use.

Every order the engine accepts for processing gets a :class:`~.engine_types.VenueOrder`
here, rejected ones included (Hyperliquid gives those an oid and a status too). The registry
keeps them findable by oid and cloid, each user's live orders in placement order, the newest
``LEDGER_CAP`` per user for ``historicalOrders``, the armed trigger orders per coin, and a
count of live reduce-only orders per (user, coin) so a fill only looks for them when some
exist.
"""

from __future__ import annotations

from typing import Any

from wallet_perps.localvenue.actions import OrderRequest
from wallet_perps.localvenue.engine_base import Call
from wallet_perps.localvenue.engine_pushes import Pushes
from wallet_perps.localvenue.engine_types import VenueOrder, basic_order_wire
from wallet_perps.localvenue.state import LEDGER_CAP, VenueState

__all__ = ["OrderRegistry"]


class OrderRegistry:
    """Owns the order slice (``state.orders``)."""

    __slots__ = ("listeners", "o", "s")

    def __init__(self, state: VenueState, pushes: Pushes) -> None:
        self.s = state
        self.o = state.orders
        self.listeners = pushes.listeners

    def new_order(self, call: Call, user: str, req: OrderRequest) -> VenueOrder:
        """Give an order an oid and a place in the user's history (status "open" for now)."""
        o = self.o
        oid = o.next_oid
        o.next_oid += 1
        trigger = req.trigger
        order = VenueOrder(
            oid=oid,
            user=user,
            coin=self.s.coins[req.asset],
            asset=req.asset,
            is_buy=req.is_buy,
            limit_px=req.px,
            orig_sz=req.sz,
            sz=req.sz,
            timestamp=call.now,
            cloid=req.cloid,
            reduce_only=req.reduce_only,
            tif=req.tif,
            status_ts=call.now,
            trigger_px=None if trigger is None else trigger.trigger_px,
            tpsl=None if trigger is None else trigger.tpsl,
            is_market=trigger is not None and trigger.is_market,
        )
        o.by_oid[oid] = order
        history = o.history.get(user)
        if history is None:
            history = o.history[user] = {}
        history[oid] = order
        if len(history) > LEDGER_CAP:
            old = next(iter(history))
            evicted = history.pop(old)
            if not evicted.live:
                o.by_oid.pop(old, None)
        if req.cloid is not None:
            o.cloids.setdefault(user, {})[req.cloid] = oid
        return order

    def update(self, call: Call, order: VenueOrder, status: str) -> None:
        """Set an order's status and queue its orderUpdates entry."""
        order.status = status
        order.status_ts = call.now
        if self.listeners:
            call.updates.setdefault(order.user, []).append(
                {
                    "order": basic_order_wire(order),
                    "status": status,
                    "statusTimestamp": call.now,
                }
            )

    def reject(self, call: Call, order: VenueOrder, status: str, message: str) -> dict[str, Any]:
        """Give the order its final rejection status; its ``statuses`` entry."""
        self.update(call, order, status)
        return {"error": message}

    def get(self, oid: int) -> VenueOrder | None:
        return self.o.by_oid.get(oid)

    def oid_of_cloid(self, user: str, cloid: str) -> int | None:
        return self.o.cloids.get(user, {}).get(cloid)

    def find_live(self, user: str, ref: int | str) -> VenueOrder | None:
        """The user's live order with this oid or cloid."""
        oid = self.oid_of_cloid(user, ref) if isinstance(ref, str) else ref
        order = self.o.by_oid.get(oid) if oid is not None else None
        if order is None or order.user != user or not order.live:
            return None
        return order

    def live_of(self, user: str) -> list[VenueOrder]:
        """The user's live orders, oldest first (a copy: cancelling while iterating is fine)."""
        return list(self.o.open.get(user, {}).values())

    def open_count(self, user: str) -> int:
        live = self.o.open.get(user)
        return len(live) if live else 0

    def has_reduce_only(self, user: str, coin: str) -> bool:
        return bool(self.o.ro_count.get((user, coin)))

    def open_add(self, order: VenueOrder) -> None:
        o = self.o
        live = o.open.get(order.user)
        if live is None:
            live = o.open[order.user] = {}
        if order.oid in live:
            return
        live[order.oid] = order
        if order.reduce_only or order.is_position_tpsl:
            key = (order.user, order.coin)
            o.ro_count[key] = o.ro_count.get(key, 0) + 1

    def open_remove(self, order: VenueOrder) -> None:
        o = self.o
        live = o.open.get(order.user)
        if live is None or live.pop(order.oid, None) is None:
            return
        if not live:
            del o.open[order.user]
        if order.reduce_only or order.is_position_tpsl:
            key = (order.user, order.coin)
            left = o.ro_count.get(key, 0) - 1
            if left > 0:
                o.ro_count[key] = left
            else:
                o.ro_count.pop(key, None)

    def activate_trigger(self, order: VenueOrder) -> None:
        """A trigger order goes live; armed unless it waits for its parent's fill."""
        self.open_add(order)
        if not order.waiting:
            self.o.triggers[order.coin][order.oid] = order

    def arm(self, order: VenueOrder) -> None:
        """A waiting child whose parent filled: its trigger is checked from now on."""
        order.waiting = False
        self.o.triggers[order.coin][order.oid] = order

    def disarm(self, order: VenueOrder) -> None:
        self.o.triggers[order.coin].pop(order.oid, None)

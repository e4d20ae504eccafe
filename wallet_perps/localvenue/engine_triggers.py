"""What fires on the venue's own clock: trigger orders (TP/SL) and scheduled cancels.

:class:`Triggers` fires the armed trigger orders whose condition the mark meets (checked at
every tick and oracle override): a market trigger becomes an IOC at 10% slippage, a limit
trigger a Gtc at its limit price; a position TP/SL sizes itself to the position then, and a
normalTpsl child cancels its sibling. :class:`Schedules` is ``scheduleCancel``, the dead
man's switch (PROTOCOL §6): at its time every open order of the user goes.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from wallet_perps.localvenue.actions import ScheduleCancelAction
from wallet_perps.localvenue.engine_base import (
    DAY_MS,
    SCHEDULE_CANCEL_MAX_PER_DAY,
    SCHEDULE_CANCEL_MIN_DELAY_MS,
    Call,
    market_px,
    position_szi,
)
from wallet_perps.localvenue.engine_matching import Matching
from wallet_perps.localvenue.engine_pushes import Pushes
from wallet_perps.localvenue.engine_records import OrderRegistry
from wallet_perps.localvenue.engine_types import VenueOrder, VenueReject
from wallet_perps.localvenue.state import VenueState

__all__ = ["Schedules", "Triggers"]


class Triggers:
    """Fires trigger orders; the armed list itself is the registry's (``state.orders``)."""

    __slots__ = ("matching", "records", "s")

    def __init__(self, state: VenueState, records: OrderRegistry, matching: Matching) -> None:
        self.s = state
        self.records = records
        self.matching = matching

    def check(self, call: Call, coin: str) -> None:
        """Fire trigger orders whose condition the mark now meets (oldest first)."""
        triggers = self.s.orders.triggers[coin]
        if not triggers:
            return
        mark = self.s.clearinghouse.marks[coin]
        fired = [order for order in triggers.values() if order.fires_at(mark)]
        for order in fired:
            if order.oid in triggers and order.live:
                self._fire(call, order, mark)

    def _fire(self, call: Call, order: VenueOrder, mark: Decimal) -> None:
        records = self.records
        records.disarm(order)
        order.triggered = True
        records.open_remove(order)
        records.update(call, order, "triggered")
        if order.parent is not None:
            parent = records.get(order.parent)
            for sib_oid in parent.children if parent is not None else []:
                sibling = records.get(sib_oid)
                if sibling is not None and sibling is not order and sibling.live:
                    self.matching.cancel(call, sibling, "siblingFilledCanceled", nonuser=True)
        szi = position_szi(self.s.clearinghouse, order.user, order.coin)
        if order.is_position_tpsl:
            order.sz = abs(szi)
        if (order.reduce_only or order.is_position_tpsl) and (
            szi == 0 or (szi > 0) == order.is_buy
        ):
            records.update(call, order, "reduceOnlyCanceled")
            return
        if order.is_market:
            px = market_px(mark, order.is_buy, self.s.spec[order.coin].sz_decimals)
            order.tif = "Ioc"
        else:
            px = order.limit_px
            order.tif = "Gtc"
        self.matching.submit(call, order, px)


class Schedules:
    """Owns the schedule slice (``state.schedules``)."""

    __slots__ = ("matching", "pushes", "records", "t")

    def __init__(
        self, state: VenueState, pushes: Pushes, records: OrderRegistry, matching: Matching
    ) -> None:
        self.t = state.schedules
        self.pushes = pushes
        self.records = records
        self.matching = matching

    def schedule_cancel(
        self, user: str, action: ScheduleCancelAction, now_ms: int
    ) -> dict[str, Any]:
        """Dead man's switch: all open orders cancelled at ``time`` (status scheduledCancel)."""
        t = self.t
        call = self.pushes.begin(now_ms, user)
        try:
            at = action.time
            if at is None:
                t.due.pop(user, None)
                return {"type": "default"}
            if at < call.now + SCHEDULE_CANCEL_MIN_DELAY_MS:
                raise VenueReject("Scheduled cancel time too early, must be at least 5 seconds.")
            day, fired = t.fired.get(user, (-1, 0))
            if day == call.now // DAY_MS and fired >= SCHEDULE_CANCEL_MAX_PER_DAY:
                raise VenueReject("Too many scheduled cancel triggers today.")
            t.due[user] = at
        finally:
            self.pushes.end(call)
        return {"type": "default"}

    def fire(self, call: Call) -> None:
        """Cancel the open orders of every user whose scheduled time has come."""
        t = self.t
        due = [user for user, at in t.due.items() if at <= call.now]
        for user in due:
            del t.due[user]
            day = call.now // DAY_MS
            last_day, fired = t.fired.get(user, (day, 0))
            t.fired[user] = (day, (fired if last_day == day else 0) + 1)
            for order in self.records.live_of(user):
                if order.live:
                    self.matching.cancel(call, order, "scheduledCancel", nonuser=True)

"""The WebSocket client's subscription book: who listens to what, and what needs a resync.

Why this is its own module: the subscriptions outlive every connection. They are recorded
whether or not a socket is up, replayed on each new connection, and each one remembers
whether its next message must *replace* its listeners' state (after a (re)subscribe,
because updates were missed) or may be applied as a delta. Keeping that record apart from
the socket code keeps the rule "every (re)subscribe starts with a resync" in one place.
Nothing here does I/O: the client sends, the book remembers and delivers.

The book also holds the subscribe/unsubscribe requests still waiting for the venue's
acknowledgement, because acks and refusals are matched against the subscriptions we sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from wallet_perps.hyperliquid.errors import VenueError
from wallet_perps.hyperliquid.ws_routing import (
    CHANNEL_ALIASES,
    GENERIC_FIELDS,
    ROUTE_FIELDS,
    Route,
    is_superset,
    message_value,
    normalize_subscription,
    refusal_names,
    subscription_route,
)

__all__ = [
    "PendingAck",
    "Subscription",
    "SubscriptionBook",
    "SubscriptionCallback",
    "SubscriptionHandle",
]

# One client, one logger: filters and tests that name the ws module see all of it.
log = logging.getLogger("wallet_perps.hyperliquid.ws")

SubscriptionCallback = Callable[[Any, bool], None]
"""``callback(data, is_resync)``: ``data`` is the message's raw ``data`` payload."""


@dataclass(eq=False)
class SubscriptionHandle:
    """What :meth:`HyperliquidWs.subscribe` returns; pass it to ``unsubscribe``."""

    subscription: Mapping[str, Any]
    callback: SubscriptionCallback
    _key: str = field(repr=False)
    active: bool = True


@dataclass(eq=False)
class Subscription:
    """One venue subscription, shared by every handle that asked for it."""

    subscription: dict[str, Any]
    key: str
    route: Route
    handles: list[SubscriptionHandle] = field(default_factory=list)
    resync: bool = True  # the next delivery replaces state
    conn_id: int = 0  # connection the subscribe message was last sent on


@dataclass(eq=False)
class PendingAck:
    """A subscribe or unsubscribe sent and not yet acknowledged (or refused)."""

    method: str
    subscription: dict[str, Any]
    future: asyncio.Future[None]


class SubscriptionBook:
    """Every live subscription by identity and by route, plus the acks awaited for them."""

    def __init__(self) -> None:
        self._subs: dict[str, Subscription] = {}
        self._routes: dict[Route, Subscription] = {}
        self._acks: list[PendingAck] = []

    # ------------------------------------------------------------------ listeners

    def add(
        self, subscription: Mapping[str, Any], callback: SubscriptionCallback
    ) -> tuple[SubscriptionHandle, Subscription, bool]:
        """Register a listener: (its handle, its subscription, whether that is new).

        An identical subscription gains a listener. Raises ValueError when the venue could
        not tell this subscription's messages from those of an existing, different one.
        """
        sub_dict = normalize_subscription(subscription)
        key = json.dumps(sub_dict, sort_keys=True, separators=(",", ":"))
        handle = SubscriptionHandle(sub_dict, callback, key)
        existing = self._subs.get(key)
        if existing is not None:
            existing.handles.append(handle)
            return handle, existing, False
        route = subscription_route(sub_dict)
        clash = self._routes.get(route)
        if clash is not None:
            raise ValueError(
                f"cannot subscribe to {sub_dict} on this connection: its messages are "
                f"indistinguishable from those of {clash.subscription}"
            )
        sub = Subscription(sub_dict, key, route, [handle])
        self._subs[key] = sub
        self._routes[route] = sub
        return handle, sub, True

    def remove(self, handle: SubscriptionHandle) -> Subscription | None:
        """Drop a listener. Returns its subscription if that was its last listener (now
        forgotten, so the venue subscription should end); None otherwise. Idempotent."""
        if not handle.active:
            return None
        handle.active = False
        sub = self._subs.get(handle._key)
        if sub is None:
            return None
        with contextlib.suppress(ValueError):
            sub.handles.remove(handle)
        if sub.handles:
            return None
        self.forget(sub)
        return sub

    def forget(self, sub: Subscription) -> None:
        self._subs.pop(sub.key, None)
        if self._routes.get(sub.route) is sub:
            del self._routes[sub.route]

    def awaiting_replay(self, conn_id: int) -> list[Subscription]:
        """The subscriptions not yet sent on connection ``conn_id``."""
        return [s for s in self._subs.values() if s.conn_id != conn_id]

    # ------------------------------------------------------------------ delivery

    def deliver(self, channel: str, data: Any) -> None:
        """Hand a pushed message to its subscription's listeners, flagged if a resync."""
        channel = CHANNEL_ALIASES.get(channel, channel)
        sub = self._find(channel, data)
        if sub is None:
            log.debug("no subscription for a %s message", channel)
            return
        is_resync = sub.resync or (isinstance(data, dict) and data.get("isSnapshot") is True)
        sub.resync = False
        for handle in list(sub.handles):
            try:
                handle.callback(data, is_resync)
            except Exception:
                log.exception("subscription callback for %s raised", sub.subscription)

    def _find(self, channel: str, data: Any) -> Subscription | None:
        """The subscription a message belongs to, or None if it is nobody's or ambiguous."""
        fields = ROUTE_FIELDS.get(channel)
        if fields is not None:
            values = [message_value(channel, name, data) for name in fields]
            present = tuple(v for v in values if v is not None)
            if len(present) == len(fields):
                return self._routes.get((channel, present))
        candidates = [s for s in self._subs.values() if s.route[0] == channel]
        if fields is None:
            # A channel this client has no table for: match on whichever of the generic
            # fields each subscription carries.
            exact = [
                s
                for s in candidates
                if tuple(
                    message_value(channel, name, data)
                    for name in GENERIC_FIELDS
                    if name in s.subscription
                )
                == s.route[1]
            ]
            if len(exact) == 1:
                return exact[0]
        # The message lacks a routing field: only unambiguous if one subscription fits.
        return candidates[0] if len(candidates) == 1 else None

    # ------------------------------------------------------------------ acks

    def expect_ack(self, method: str, subscription: dict[str, Any]) -> PendingAck:
        """Record a request about to be sent; its future resolves on the venue's answer."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        ack = PendingAck(method, subscription, future)
        self._acks.append(ack)
        return ack

    def drop_ack(self, ack: PendingAck) -> None:
        with contextlib.suppress(ValueError):
            self._acks.remove(ack)

    def settle_ack(self, data: Any) -> None:
        """A ``subscriptionResponse``: resolve the oldest request it echoes."""
        if not isinstance(data, dict):
            return
        method = data.get("method")
        for ack in self._acks:
            if ack.method == method and is_superset(data.get("subscription"), ack.subscription):
                self._acks.remove(ack)
                if not ack.future.done():
                    ack.future.set_result(None)
                return

    def settle_refusal(self, text: str, embedded: Any) -> None:
        """An ``error`` about a subscription: fail the one request it names, if exactly one."""
        matches = [a for a in self._acks if refusal_names(text, embedded, a.subscription)]
        if len(matches) != 1:
            return
        ack = matches[0]
        self._acks.remove(ack)
        if ack.future.done():
            return
        if ack.method == "subscribe" and text.startswith("Already subscribed"):
            ack.future.set_result(None)  # we are subscribed, which is what was asked
        else:
            ack.future.set_exception(
                VenueError(f"The venue refused the subscription: {text}", venue_text=text)
            )

    def fail_acks(self, make_error: Callable[[bool], VenueError]) -> None:
        """The connection ended or the client closed: no ack will come.

        ``make_error(is_action)`` gives each request its own exception (never an action).
        """
        acks, self._acks = self._acks, []
        for ack in acks:
            if not ack.future.done():
                ack.future.set_exception(make_error(False))

"""Asyncio WebSocket client for the venue: subscriptions, heartbeat, reconnect, posts.

:class:`HyperliquidWs` is the one object services use. It is assembled from parts that
each own one thing, so this module is only the public API and the frame dispatch:

* :mod:`~wallet_perps.hyperliquid.ws_connection`: the connection that heals itself
  (heartbeat, silence watchdog, reconnect with backoff and jitter, PROTOCOL §13.1);
* :mod:`~wallet_perps.hyperliquid.ws_subscriptions`: who listens to what, replayed on
  every connection, and the resync flag;
* :mod:`~wallet_perps.hyperliquid.ws_routing`: which subscription a message belongs to;
* :mod:`~wallet_perps.hyperliquid.ws_posts`: posts waiting for their answer, by id.

After a (re)subscribe the first message per subscription is delivered flagged as a
*resync* (so is any ``isSnapshot: true`` message): the callback must replace its state,
not apply a delta, because updates were missed while disconnected.

Callbacks are plain functions ``callback(data, is_resync)`` called on the reader task,
in arrival order, with the raw ``data`` payload (services parse it via parse.py). They
must not block; schedule work if needed. A callback that raises is logged and the
reader carries on.

Posts (§8.3) multiplex info requests and signed actions over the same socket. Each call
gets its own id and its own answer, whatever order answers arrive in. Pending posts fail
with :class:`Disconnected` when the connection drops; they are never resent, because a
resent action could execute twice (``outcome_unknown`` is set for actions).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Mapping
from typing import Any, Final

from wallet_perps.hyperliquid.errors import (
    Disconnected,
    ExchangeTimeout,
    VenueError,
    VenueTimeout,
)
from wallet_perps.hyperliquid.info_queries import InfoQueries
from wallet_perps.hyperliquid.ws_connection import (
    ConnectionState,
    Socket,
    StateCallback,
    WsConnection,
)
from wallet_perps.hyperliquid.ws_posts import PostBook
from wallet_perps.hyperliquid.ws_routing import embedded_json, subscription_route
from wallet_perps.hyperliquid.ws_subscriptions import (
    Subscription,
    SubscriptionBook,
    SubscriptionCallback,
    SubscriptionHandle,
)

__all__ = [
    "WELCOME_TEXT",
    "ConnectionState",
    "HyperliquidWs",
    "StateCallback",
    "SubscriptionCallback",
    "SubscriptionHandle",
    "subscription_route",
]

log = logging.getLogger(__name__)

#: Plain text frame the server sends right after connecting (PROTOCOL §8.1).
WELCOME_TEXT: Final = "Websocket connection established."


class HyperliquidWs(WsConnection, InfoQueries):
    """The venue's WebSocket: subscriptions and posts over one self-healing connection.

    Start with :meth:`start`, end with :meth:`close` (or use it as an async context
    manager). ``backoff`` is (first delay, cap) in seconds; the n-th consecutive failure
    waits ``min(cap, first * 2**n)`` times a random factor in [0.5, 1]; the count resets
    once a connection has stayed up for ``STABLE_AFTER`` seconds.
    """

    def __init__(
        self,
        url: str,
        *,
        ping_interval: float = 50.0,
        idle_timeout: float = 60.0,
        backoff: tuple[float, float] = (0.5, 30.0),
        post_timeout: float = 10.0,
        ack_timeout: float = 10.0,
        connect_timeout: float = 10.0,
        close_timeout: float = 2.0,
        on_state: StateCallback | None = None,
    ) -> None:
        super().__init__(
            url,
            ping_interval=ping_interval,
            idle_timeout=idle_timeout,
            backoff=backoff,
            connect_timeout=connect_timeout,
            close_timeout=close_timeout,
            on_state=on_state,
        )
        self._post_timeout = post_timeout
        self._ack_timeout = ack_timeout
        self._subscriptions = SubscriptionBook()
        self._posts = PostBook()

    # ------------------------------------------------------------------ connection hooks

    async def _replay_subscriptions(self, ws: Socket, conn_id: int) -> None:
        # Loops because a subscribe() may register a new one while we are sending.
        while pending := self._subscriptions.awaiting_replay(conn_id):
            for sub in pending:
                sub.conn_id = conn_id
                sub.resync = True
                await self._send(ws, {"method": "subscribe", "subscription": sub.subscription})

    def _fail_pending(self, make_error: Callable[[bool], VenueError]) -> None:
        self._posts.fail_all(make_error)
        self._subscriptions.fail_acks(make_error)

    # ------------------------------------------------------------------ incoming

    def _handle_text(self, text: str) -> None:
        if text == WELCOME_TEXT:
            return
        try:
            message = json.loads(text)
        except ValueError:
            log.debug("ignoring a non-JSON frame: %.200s", text)
            return
        if not isinstance(message, dict):
            log.debug("ignoring a frame that is not an object: %.200s", text)
            return
        channel = message.get("channel")
        data = message.get("data")
        if channel == "pong":
            self._on_pong()
        elif channel == "subscriptionResponse":
            self._subscriptions.settle_ack(data)
        elif channel == "post":
            self._posts.settle(data)
        elif channel == "error":
            self._on_error(data)
        elif isinstance(channel, str):
            self._subscriptions.deliver(channel, data)

    def _on_error(self, data: Any) -> None:
        text = data if isinstance(data, str) else json.dumps(data)
        log.warning("venue websocket error: %s", text)
        embedded = embedded_json(text)
        if not self._posts.settle_error(text, embedded):
            self._subscriptions.settle_refusal(text, embedded)

    # ------------------------------------------------------------------ subscriptions

    async def subscribe(
        self, subscription: Mapping[str, Any], callback: SubscriptionCallback
    ) -> SubscriptionHandle:
        """Subscribe and register ``callback(data, is_resync)``.

        While connected, waits for the venue's acknowledgement and raises VenueError if
        the venue refuses. While disconnected, the subscription is recorded and sent on
        (re)connect. Subscribing again to an identical subscription adds a listener and
        refreshes the venue subscription so every listener gets a fresh snapshot.
        Raises ValueError when the venue could not tell its messages from those of an
        existing, different subscription (e.g. userEvents for two users).
        """
        if self._closing:
            raise RuntimeError("this websocket client was closed")
        handle, sub, is_new = self._subscriptions.add(subscription, callback)
        ws = self._ws
        if not is_new:
            if ws is not None and self.connected:
                await self._send(ws, {"method": "unsubscribe", "subscription": sub.subscription})
                await self._send_subscribe(ws, sub, raise_errors=False)
            return handle
        if ws is not None and self.connected:
            try:
                await self._send_subscribe(ws, sub, raise_errors=True)
            except VenueError:
                self._subscriptions.forget(sub)
                handle.active = False
                raise
        return handle

    async def _send_subscribe(self, ws: Socket, sub: Subscription, *, raise_errors: bool) -> None:
        sub.conn_id = self._conn_id
        sub.resync = True
        try:
            await self._request("subscribe", sub.subscription, ws)
        except (Disconnected, VenueTimeout) as exc:
            # Recorded; it is replayed on the next connection.
            log.warning("subscription %s not confirmed: %s", sub.subscription, exc)
        except VenueError as exc:
            if raise_errors:
                raise
            log.warning("subscription %s refused: %s", sub.subscription, exc)

    async def unsubscribe(self, handle: SubscriptionHandle) -> None:
        """Remove a listener; the venue subscription ends with its last listener. Idempotent."""
        sub = self._subscriptions.remove(handle)
        if sub is None:
            return
        ws = self._ws
        if ws is not None and self.connected:
            try:
                await self._request("unsubscribe", sub.subscription, ws)
            except VenueError as exc:
                # Local state is gone already; stray messages are dropped by routing.
                log.warning("unsubscribe %s not confirmed: %s", sub.subscription, exc)

    async def _request(self, method: str, subscription: dict[str, Any], ws: Socket) -> None:
        ack = self._subscriptions.expect_ack(method, subscription)
        try:
            try:
                await self._send(ws, {"method": method, "subscription": subscription})
            except ConnectionError as exc:
                raise Disconnected(f"Could not send {method}: {exc}") from exc
            try:
                async with asyncio.timeout(self._ack_timeout):
                    await ack.future
            except TimeoutError as exc:
                raise VenueTimeout(
                    f"The venue did not confirm {method} within {self._ack_timeout:g} s."
                ) from exc
        finally:
            self._subscriptions.drop_ack(ack)

    # ------------------------------------------------------------------ posts

    async def post_info(self, body: dict[str, Any]) -> Any:
        """An info request over the socket; returns the same payload as HTTP ``/info``.

        Waits up to ``post_timeout`` in total (for the connection, then the answer).
        """
        return await self._post("info", body, is_action=False)

    async def info(self, body: dict[str, Any]) -> Any:
        """:meth:`post_info`, by the name :class:`InfoQueries` asks every query through."""
        return await self.post_info(body)

    async def post_action(self, payload: dict[str, Any]) -> dict[str, Any]:
        """A signed action over the socket. Sent at most once; never resent.

        Returns the ``status: ok`` envelope (check per-order outcomes with
        ``exchange_answers.check_statuses``); raises RejectedAction on ``status: err``,
        ExchangeTimeout when no answer came in time, Disconnected (``outcome_unknown``)
        when the connection dropped after sending.
        """
        for key in ("action", "nonce", "signature"):
            if key not in payload:
                raise ValueError(f"exchange payload lacks {key!r}")
        # The answer reader loads with the first action, not with the first screen.
        from wallet_perps.hyperliquid.exchange_answers import check_response

        return check_response(await self._post("action", payload, is_action=True))

    async def _post(self, kind: str, payload: dict[str, Any], *, is_action: bool) -> Any:
        if self._closing:
            raise Disconnected("The connection was closed.")
        limit = self._post_timeout
        sent = False
        post_id = self._posts.next_id()
        try:
            async with asyncio.timeout(limit):
                await self._connected.wait()
                ws = self._ws
                if ws is None:
                    raise Disconnected("Not connected to the venue.")
                future = self._posts.expect(post_id, is_action=is_action)
                message = {
                    "method": "post",
                    "id": post_id,
                    "request": {"type": kind, "payload": payload},
                }
                try:
                    sent = True  # from here on an action may have left this process
                    await self._send(ws, message)
                except ConnectionError as exc:
                    raise Disconnected(
                        f"The connection dropped while sending ({exc}).",
                        outcome_unknown=is_action,
                    ) from exc
                return await future
        except TimeoutError as exc:
            if not sent:
                raise VenueTimeout(
                    f"Not connected to the venue within {limit:g} s; nothing was sent."
                ) from exc
            if is_action:
                raise ExchangeTimeout(limit) from exc
            raise VenueTimeout(f"The venue did not answer within {limit:g} s.") from exc
        finally:
            self._posts.discard(post_id)

"""Asyncio WebSocket client for the venue: subscriptions, heartbeat, reconnect, posts.

Why not the official SDK's manager: it never reconnects, so feeds die silently after
hours (PROTOCOL §13.1). This client keeps one connection alive for as long as it is
open:

* a heartbeat ``{"method":"ping"}`` every ``ping_interval`` seconds (the server drops a
  connection that has been silent for 60 s); the ``pong`` round trip is the latency
  shown in the status bar;
* a watchdog: if *nothing* arrives for ``idle_timeout`` seconds the connection is
  presumed dead, closed and replaced;
* reconnects with exponential backoff and jitter, then replays every subscription.
  The first message per subscription after a (re)subscribe is delivered flagged as a
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
import contextlib
import enum
import itertools
import json
import logging
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Final, Self

import aiohttp

from wallet_perps.hyperliquid.errors import (
    Disconnected,
    ExchangeTimeout,
    RateLimited,
    UnexpectedResponse,
    VenueError,
    VenueTimeout,
)
from wallet_perps.hyperliquid.http import check_response

__all__ = [
    "WELCOME_TEXT",
    "ConnectionState",
    "HyperliquidWs",
    "SubscriptionCallback",
    "SubscriptionHandle",
    "subscription_route",
]

log = logging.getLogger(__name__)

#: Plain text frame the server sends right after connecting (PROTOCOL §8.1).
WELCOME_TEXT: Final = "Websocket connection established."

SubscriptionCallback = Callable[[Any, bool], None]
"""``callback(data, is_resync)``: ``data`` is the message's raw ``data`` payload."""

StateCallback = Callable[["ConnectionState"], None]


class ConnectionState(enum.StrEnum):
    IDLE = "idle"  # created, not started
    CONNECTING = "connecting"  # first connection attempt
    CONNECTED = "connected"
    RECONNECTING = "reconnecting"  # lost the connection, trying again
    CLOSED = "closed"  # close() was called


# --------------------------------------------------------------------------- routing

# A subscription's messages arrive on a channel named after its type, except these.
_CHANNEL_OF_TYPE: Final[Mapping[str, str]] = {"userEvents": "user"}
# Message channels that belong to another subscription channel.
_CHANNEL_ALIASES: Final[Mapping[str, str]] = {"activeSpotAssetCtx": "activeAssetCtx"}
# Fields that tell apart two subscriptions of one channel, as messages carry them.
# An empty tuple means the messages do not say whose they are (userEvents, orderUpdates):
# only one such subscription can live on a connection (PROTOCOL §8.2, §13.9).
_ROUTE_FIELDS: Final[Mapping[str, tuple[str, ...]]] = {
    "allMids": ("dex",),
    "l2Book": ("coin",),
    "bbo": ("coin",),
    "trades": ("coin",),
    "candle": ("coin", "interval"),
    "activeAssetCtx": ("coin",),
    "activeAssetData": ("user", "coin"),
    "user": (),
    "orderUpdates": (),
    "notification": (),
    "userFills": ("user",),
    "userFundings": ("user",),
    "userNonFundingLedgerUpdates": ("user",),
    "userTwapSliceFills": ("user",),
    "userTwapHistory": ("user",),
    "twapStates": ("user",),
    "webData2": ("user",),
    "webData3": ("user",),
    "clearinghouseState": ("user", "dex"),
    "openOrders": ("user", "dex"),
    "spotState": ("user",),
}
_GENERIC_FIELDS: Final = ("coin", "interval", "user", "dex")

Route = tuple[str, tuple[str, ...]]


def _norm_field(name: str, value: Any) -> str:
    if name == "dex" and value is None:
        return ""
    text = str(value)
    return text.lower() if name == "user" else text


def _normalize_subscription(subscription: Mapping[str, Any]) -> dict[str, Any]:
    sub = dict(subscription)
    if not isinstance(sub.get("type"), str):
        raise ValueError(f"subscription without a type: {subscription!r}")
    if isinstance(sub.get("user"), str):
        # Pushes carry the lowercase address; subscribe with it too (PROTOCOL §8.2).
        sub["user"] = sub["user"].lower()
    return sub


def subscription_route(subscription: Mapping[str, Any]) -> Route:
    """(channel, distinguishing values) under which this subscription's messages arrive."""
    kind = str(subscription["type"])
    channel = _CHANNEL_OF_TYPE.get(kind, kind)
    fields = _ROUTE_FIELDS.get(channel)
    if fields is None:
        fields = tuple(f for f in _GENERIC_FIELDS if f in subscription)
    return channel, tuple(_norm_field(f, subscription.get(f)) for f in fields)


def _message_value(channel: str, name: str, data: Any) -> str | None:
    """The value of a routing field as a message carries it, or None when absent."""
    item = data
    if channel == "trades" and isinstance(data, list):
        item = data[0] if data else None
    if not isinstance(item, dict):
        return None
    if name == "dex":
        return _norm_field("dex", item.get("dex"))
    if channel == "candle":
        name = {"coin": "s", "interval": "i"}.get(name, name)
    value = item.get(name)
    return None if value is None else _norm_field(name, value)


def _is_superset(received: Any, sent: Mapping[str, Any]) -> bool:
    """The server may add default fields to an echoed subscription, never drop ours."""
    if not isinstance(received, dict):
        return False
    for key, value in sent.items():
        got = received.get(key)
        if key == "user" and isinstance(got, str) and isinstance(value, str):
            if got.lower() != value.lower():
                return False
        elif got != value:
            return False
    return True


def _embedded_json(text: str) -> Any:
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end <= start:
        return None
    try:
        return json.loads(text[start : end + 1])
    except ValueError:
        return None


# --------------------------------------------------------------------------- records


@dataclass(eq=False)
class SubscriptionHandle:
    """What :meth:`HyperliquidWs.subscribe` returns; pass it to ``unsubscribe``."""

    subscription: Mapping[str, Any]
    callback: SubscriptionCallback
    _key: str = field(repr=False)
    active: bool = True


@dataclass(eq=False)
class _Sub:
    """One venue subscription, shared by every handle that asked for it."""

    subscription: dict[str, Any]
    key: str
    route: Route
    handles: list[SubscriptionHandle] = field(default_factory=list)
    resync: bool = True  # the next delivery replaces state
    conn_id: int = 0  # connection the subscribe message was last sent on


@dataclass(eq=False)
class _PendingAck:
    method: str
    subscription: dict[str, Any]
    future: asyncio.Future[None]


@dataclass(eq=False)
class _PendingPost:
    is_action: bool
    future: asyncio.Future[Any]


# --------------------------------------------------------------------------- client


class HyperliquidWs:
    """One self-healing WebSocket connection. Start with :meth:`start`, end with :meth:`close`.

    ``backoff`` is (first delay, cap) in seconds; the n-th consecutive failure waits
    ``min(cap, first * 2**n)`` times a random factor in [0.5, 1]; the count resets once a
    connection has stayed up for ``STABLE_AFTER`` seconds.
    """

    STABLE_AFTER: float = 30.0

    def __init__(
        self,
        url: str,
        *,
        ping_interval: float = 50.0,
        idle_timeout: float = 60.0,
        backoff: tuple[float, float] = (0.5, 30.0),
        session: aiohttp.ClientSession | None = None,
        post_timeout: float = 10.0,
        ack_timeout: float = 10.0,
        connect_timeout: float = 10.0,
        close_timeout: float = 2.0,
        on_state: StateCallback | None = None,
    ) -> None:
        if ping_interval <= 0 or idle_timeout <= 0:
            raise ValueError("ping_interval and idle_timeout must be positive")
        self._url = url
        self._ping_interval = ping_interval
        self._idle_timeout = idle_timeout
        self._backoff = backoff
        self._session = session
        self._owns_session = session is None
        self._post_timeout = post_timeout
        self._ack_timeout = ack_timeout
        self._connect_timeout = connect_timeout
        self._close_timeout = close_timeout
        self._on_state = on_state

        self._state = ConnectionState.IDLE
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._connected = asyncio.Event()
        self._conn_id = 0
        self._send_lock = asyncio.Lock()

        self._subs: dict[str, _Sub] = {}
        self._routes: dict[Route, _Sub] = {}
        self._acks: list[_PendingAck] = []
        self._posts: dict[int, _PendingPost] = {}
        self._ids = itertools.count(1)

        self._ping_sent_at: float | None = None
        self._latency: float | None = None
        self._last_message_at: float | None = None
        self.reconnects = 0  # completed reconnections, for diagnostics and tests

    # ------------------------------------------------------------------ public state

    @property
    def state(self) -> ConnectionState:
        return self._state

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    @property
    def latency(self) -> float | None:
        """Last ping->pong round trip in seconds (None until the first pong)."""
        return self._latency

    @property
    def last_message_age(self) -> float | None:
        """Seconds since anything arrived on the current or last connection."""
        if self._last_message_at is None:
            return None
        return time.monotonic() - self._last_message_at

    def _set_state(self, state: ConnectionState) -> None:
        if state is self._state:
            return
        self._state = state
        log.info("websocket %s: %s", self._url, state.value)
        if self._on_state is not None:
            try:
                self._on_state(state)
            except Exception:
                log.exception("on_state hook raised")

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Start connecting in the background; returns at once (see :meth:`wait_connected`)."""
        if self._closing:
            raise RuntimeError("this websocket client was closed")
        if self._task is not None:
            return
        if self._session is None:
            self._session = aiohttp.ClientSession()
        self._task = asyncio.create_task(self._run(), name=f"hyperliquid-ws {self._url}")

    async def wait_connected(self) -> None:
        """Wait until the connection is up (and subscriptions have been replayed).

        Bound it with ``asyncio.timeout`` if needed.
        """
        await self._connected.wait()

    async def close(self) -> None:
        """Stop for good: cancel and await every task, fail pending requests, close sockets."""
        self._closing = True
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.wait([task])
        self._connected.clear()
        self._fail_pending(lambda is_action: Disconnected("The connection was closed."))
        if self._owns_session and self._session is not None:
            session, self._session = self._session, None
            await session.close()
        self._set_state(ConnectionState.CLOSED)

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    def _backoff_delay(self, attempt: int) -> float:
        first, cap = self._backoff
        return min(cap, first * 2.0 ** min(attempt, 30)) * random.uniform(0.5, 1.0)

    async def _run(self) -> None:
        """Supervisor: connect, serve until the connection ends, back off, repeat."""
        failures = 0
        ever_connected = False
        session = self._session
        assert session is not None
        while not self._closing:
            self._set_state(
                ConnectionState.RECONNECTING if ever_connected else ConnectionState.CONNECTING
            )
            try:
                async with asyncio.timeout(self._connect_timeout):
                    ws = await session.ws_connect(
                        self._url,
                        autoping=True,
                        heartbeat=None,
                        timeout=aiohttp.ClientWSTimeout(ws_close=self._close_timeout),
                        max_msg_size=64 * 1024 * 1024,
                    )
            except (aiohttp.ClientError, OSError, TimeoutError) as exc:
                log.warning("websocket connect to %s failed: %s", self._url, exc)
            else:
                if ever_connected:
                    self.reconnects += 1
                ever_connected = True
                started = time.monotonic()
                await self._serve(ws)
                if time.monotonic() - started >= self.STABLE_AFTER:
                    # Only a connection that lasted resets the backoff: a server that
                    # accepts and drops at once must not make us reconnect at full speed
                    # (the venue allows 30 new connections per minute per IP).
                    failures = 0
                if self._closing:
                    break
            delay = self._backoff_delay(failures)
            failures += 1
            log.info("websocket reconnecting in %.2f s", delay)
            await asyncio.sleep(delay)

    async def _serve(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        """Run one connection until it ends (closed, failed, or silent too long)."""
        self._conn_id += 1
        conn_id = self._conn_id
        self._ws = ws
        self._ping_sent_at = None
        pinger = asyncio.create_task(self._ping_loop(ws), name="hyperliquid-ws ping")
        # Silence is watched by a separate task, not by a timeout on each receive(): a
        # per-message timer is created and cancelled thousands of times a second, and under
        # qasync cancelled timers stay registered with Qt until they would have fired, which
        # slowed the loop to a crawl after a minute of streaming (benchmarks/ui_stream.py).
        self._last_message_at = time.monotonic()
        went_silent: list[bool] = []
        serve_task = asyncio.current_task()
        assert serve_task is not None
        watchdog = asyncio.create_task(
            self._watch_silence(serve_task, went_silent), name="hyperliquid-ws watchdog"
        )
        try:
            # Replay subscriptions before announcing the connection, looping because a
            # subscribe() may register a new one while we are sending.
            while pending := [s for s in self._subs.values() if s.conn_id != conn_id]:
                for sub in pending:
                    sub.conn_id = conn_id
                    sub.resync = True
                    await self._send(ws, {"method": "subscribe", "subscription": sub.subscription})
            self._connected.set()
            self._set_state(ConnectionState.CONNECTED)
            while True:
                msg = await ws.receive()
                if msg.type is aiohttp.WSMsgType.TEXT:
                    self._last_message_at = time.monotonic()
                    self._handle_text(msg.data)
                elif msg.type is aiohttp.WSMsgType.BINARY:
                    self._last_message_at = time.monotonic()
                else:  # CLOSE, CLOSING, CLOSED, ERROR
                    if msg.type is aiohttp.WSMsgType.ERROR:
                        log.warning("websocket error: %s", ws.exception())
                    else:
                        log.info("websocket closed by the server (%s)", ws.close_code)
                    break
        except (aiohttp.ClientError, ConnectionError) as exc:
            log.warning("websocket connection failed: %s", exc)
        except asyncio.CancelledError:
            if not went_silent:
                raise
            serve_task.uncancel()  # our own watchdog's cancel: replace the connection
            log.warning("nothing received for %.1f s; replacing the connection", self._idle_timeout)
        finally:
            self._connected.clear()
            self._ws = None
            watchdog.cancel()
            pinger.cancel()
            await asyncio.wait([pinger, watchdog])
            self._fail_pending(
                lambda is_action: Disconnected(
                    "The connection to the venue dropped before it answered."
                    + (
                        " The request may or may not have been executed; checking before "
                        "trying again."
                        if is_action
                        else ""
                    ),
                    outcome_unknown=is_action,
                )
            )
            with contextlib.suppress(Exception):
                await ws.close()

    async def _watch_silence(self, serve_task: asyncio.Task[Any], went_silent: list[bool]) -> None:
        """Cancel ``serve_task`` once nothing has arrived for ``idle_timeout`` seconds."""
        while True:
            await asyncio.sleep(self._idle_timeout / 4)
            last = self._last_message_at
            if last is not None and time.monotonic() - last > self._idle_timeout:
                went_silent.append(True)
                serve_task.cancel()
                return

    async def _ping_loop(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(self._ping_interval)
            if self._ping_sent_at is None:  # one measurement at a time (pongs carry no id)
                self._ping_sent_at = loop.time()
            try:
                await self._send(ws, {"method": "ping"})
            except (aiohttp.ClientError, ConnectionError) as exc:
                log.debug("ping failed: %s", exc)
                return

    async def _send(self, ws: aiohttp.ClientWebSocketResponse, message: dict[str, Any]) -> None:
        async with self._send_lock:
            await ws.send_str(json.dumps(message, separators=(",", ":")))

    def _fail_pending(self, make_error: Callable[[bool], VenueError]) -> None:
        posts, self._posts = self._posts, {}
        for post in posts.values():
            if not post.future.done():
                post.future.set_exception(make_error(post.is_action))
        acks, self._acks = self._acks, []
        for ack in acks:
            if not ack.future.done():
                ack.future.set_exception(make_error(False))

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
            self._on_ack(data)
        elif channel == "post":
            self._on_post(data)
        elif channel == "error":
            self._on_error(data)
        elif isinstance(channel, str):
            self._dispatch(channel, data)

    def _on_pong(self) -> None:
        if self._ping_sent_at is not None:
            self._latency = asyncio.get_running_loop().time() - self._ping_sent_at
            self._ping_sent_at = None

    def _on_ack(self, data: Any) -> None:
        if not isinstance(data, dict):
            return
        method = data.get("method")
        for ack in self._acks:
            if ack.method == method and _is_superset(data.get("subscription"), ack.subscription):
                self._acks.remove(ack)
                if not ack.future.done():
                    ack.future.set_result(None)
                return

    def _on_error(self, data: Any) -> None:
        text = data if isinstance(data, str) else json.dumps(data)
        log.warning("venue websocket error: %s", text)
        embedded = _embedded_json(text)
        if isinstance(embedded, dict):
            post_id = embedded.get("id")
            if isinstance(post_id, int) and post_id in self._posts:
                post = self._posts.pop(post_id)
                if not post.future.done():
                    post.future.set_exception(_post_error(text))
                return
        matches = [a for a in self._acks if self._error_matches(text, embedded, a)]
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

    @staticmethod
    def _error_matches(text: str, embedded: Any, ack: _PendingAck) -> bool:
        if isinstance(embedded, dict):
            inner = embedded.get("subscription", embedded)
            return _is_superset(inner, ack.subscription)
        # Not JSON (e.g. a Rust debug print): every value we sent must appear in the text.
        lowered = text.lower()
        return all(str(v).lower() in lowered for v in ack.subscription.values())

    def _on_post(self, data: Any) -> None:
        if not isinstance(data, dict):
            return
        post_id = data.get("id")
        post = self._posts.pop(post_id, None) if isinstance(post_id, int) else None
        if post is None:
            log.debug("post answer for an unknown id: %.200s", data)
            return
        if post.future.done():
            return
        response = data.get("response")
        kind = response.get("type") if isinstance(response, dict) else None
        payload = response.get("payload") if isinstance(response, dict) else None
        if kind == "error":
            post.future.set_exception(_post_error(str(payload)))
        elif kind == "info" and isinstance(payload, dict) and "data" in payload:
            post.future.set_result(payload["data"])
        elif kind == "action":
            post.future.set_result(payload)
        else:
            post.future.set_exception(UnexpectedResponse(f"post answer of type {kind!r}"))

    def _dispatch(self, channel: str, data: Any) -> None:
        channel = _CHANNEL_ALIASES.get(channel, channel)
        sub = self._find_sub(channel, data)
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

    def _find_sub(self, channel: str, data: Any) -> _Sub | None:
        """The subscription a message belongs to, or None if it is nobody's or ambiguous."""
        fields = _ROUTE_FIELDS.get(channel)
        if fields is not None:
            values = [_message_value(channel, name, data) for name in fields]
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
                    _message_value(channel, name, data)
                    for name in _GENERIC_FIELDS
                    if name in s.subscription
                )
                == s.route[1]
            ]
            if len(exact) == 1:
                return exact[0]
        # The message lacks a routing field: only unambiguous if one subscription fits.
        return candidates[0] if len(candidates) == 1 else None

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
        sub_dict = _normalize_subscription(subscription)
        key = json.dumps(sub_dict, sort_keys=True, separators=(",", ":"))
        handle = SubscriptionHandle(sub_dict, callback, key)
        existing = self._subs.get(key)
        if existing is not None:
            existing.handles.append(handle)
            ws = self._ws
            if ws is not None and self.connected:
                await self._send(ws, {"method": "unsubscribe", "subscription": sub_dict})
                await self._send_subscribe(ws, existing, raise_errors=False)
            return handle
        route = subscription_route(sub_dict)
        clash = self._routes.get(route)
        if clash is not None:
            raise ValueError(
                f"cannot subscribe to {sub_dict} on this connection: its messages are "
                f"indistinguishable from those of {clash.subscription}"
            )
        sub = _Sub(sub_dict, key, route, [handle])
        self._subs[key] = sub
        self._routes[route] = sub
        ws = self._ws
        if ws is not None and self.connected:
            try:
                await self._send_subscribe(ws, sub, raise_errors=True)
            except VenueError:
                self._forget(sub)
                handle.active = False
                raise
        return handle

    async def _send_subscribe(
        self, ws: aiohttp.ClientWebSocketResponse, sub: _Sub, *, raise_errors: bool
    ) -> None:
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
        if not handle.active:
            return
        handle.active = False
        sub = self._subs.get(handle._key)
        if sub is None:
            return
        with contextlib.suppress(ValueError):
            sub.handles.remove(handle)
        if sub.handles:
            return
        self._forget(sub)
        ws = self._ws
        if ws is not None and self.connected:
            try:
                await self._request("unsubscribe", sub.subscription, ws)
            except VenueError as exc:
                # Local state is gone already; stray messages are dropped by routing.
                log.warning("unsubscribe %s not confirmed: %s", sub.subscription, exc)

    def _forget(self, sub: _Sub) -> None:
        self._subs.pop(sub.key, None)
        if self._routes.get(sub.route) is sub:
            del self._routes[sub.route]

    async def _request(
        self, method: str, subscription: dict[str, Any], ws: aiohttp.ClientWebSocketResponse
    ) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        ack = _PendingAck(method, subscription, future)
        self._acks.append(ack)
        try:
            try:
                await self._send(ws, {"method": method, "subscription": subscription})
            except (aiohttp.ClientError, ConnectionError) as exc:
                raise Disconnected(f"Could not send {method}: {exc}") from exc
            try:
                async with asyncio.timeout(self._ack_timeout):
                    await future
            except TimeoutError as exc:
                raise VenueTimeout(
                    f"The venue did not confirm {method} within {self._ack_timeout:g} s."
                ) from exc
        finally:
            with contextlib.suppress(ValueError):
                self._acks.remove(ack)

    # ------------------------------------------------------------------ posts

    async def post_info(self, body: dict[str, Any]) -> Any:
        """An info request over the socket; returns the same payload as HTTP ``/info``.

        Waits up to ``post_timeout`` in total (for the connection, then the answer).
        """
        return await self._post("info", body, is_action=False)

    async def post_action(self, payload: dict[str, Any]) -> dict[str, Any]:
        """A signed action over the socket. Sent at most once; never resent.

        Returns the ``status: ok`` envelope (check per-order outcomes with
        ``http.check_statuses``); raises RejectedAction on ``status: err``,
        ExchangeTimeout when no answer came in time, Disconnected (``outcome_unknown``)
        when the connection dropped after sending.
        """
        for key in ("action", "nonce", "signature"):
            if key not in payload:
                raise ValueError(f"exchange payload lacks {key!r}")
        return check_response(await self._post("action", payload, is_action=True))

    async def _post(self, kind: str, payload: dict[str, Any], *, is_action: bool) -> Any:
        if self._closing:
            raise Disconnected("The connection was closed.")
        limit = self._post_timeout
        sent = False
        post_id = next(self._ids)
        try:
            async with asyncio.timeout(limit):
                await self._connected.wait()
                ws = self._ws
                if ws is None:
                    raise Disconnected("Not connected to the venue.")
                future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
                self._posts[post_id] = _PendingPost(is_action, future)
                message = {
                    "method": "post",
                    "id": post_id,
                    "request": {"type": kind, "payload": payload},
                }
                try:
                    sent = True  # from here on an action may have left this process
                    await self._send(ws, message)
                except (aiohttp.ClientError, ConnectionError) as exc:
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
            self._posts.pop(post_id, None)


def _post_error(text: str) -> VenueError:
    """An error answer to a post. Its text mirrors the HTTP status and description."""
    lowered = text.lower()
    if "429" in text or "rate limit" in lowered or "too many requests" in lowered:
        return RateLimited(text)
    return VenueError(f"The venue refused the request: {text}", venue_text=text)

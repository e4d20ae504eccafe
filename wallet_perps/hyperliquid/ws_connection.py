"""The WebSocket that stays up: connect, heartbeat, watchdog, reconnect with backoff.

Why not the official SDK's manager: it never reconnects, so feeds die silently after
hours (PROTOCOL §13.1). :class:`WsConnection` keeps one connection alive for as long as
it is open:

* a heartbeat ``{"method":"ping"}`` every ``ping_interval`` seconds (the server drops a
  connection that has been silent for 60 s); the ``pong`` round trip is the latency
  shown in the status bar;
* a watchdog: if *nothing* arrives for ``idle_timeout`` seconds the connection is
  presumed dead, closed and replaced;
* reconnects with exponential backoff and jitter, replaying every subscription on each
  new connection before announcing it.

Why the ``websockets`` library and not aiohttp (which the HTTP client uses): the first
screen's live prices come over this socket, and aiohttp takes about 90 ms to import against
about 30 ms for ``websockets``; with the socket on ``websockets`` aiohttp loads after the first
paint, when the HTTP client is first used.

Why it is a base class apart from the client: it knows nothing of what the connection
carries. Each text frame goes to :meth:`_handle_text`, the replay to
:meth:`_replay_subscriptions`, and whatever was waiting when a connection ends to
:meth:`_fail_pending`; :class:`~wallet_perps.hyperliquid.ws.HyperliquidWs` fills those in.
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import enum
import json
import logging
import random
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosedOK, WebSocketException

from wallet_perps.core.lifecycle import AsyncService
from wallet_perps.hyperliquid.errors import Disconnected, VenueError
from wallet_perps.hyperliquid.tls import needs_tls, prepare_tls, tls_context

__all__ = ["ConnectionState", "Socket", "StateCallback", "WsConnection"]

# One client, one logger: filters and tests that name the ws module see all of it.
log = logging.getLogger("wallet_perps.hyperliquid.ws")

StateCallback = Callable[["ConnectionState"], None]
#: One open connection, as the client's hooks are given it.
Socket = ClientConnection

#: The largest message accepted (a snapshot of thousands of fills is a few MB).
MAX_MESSAGE_BYTES = 64 * 1024 * 1024
#: Messages received and not yet read before the socket stops reading (TCP then holds the
#: rest): high enough that a burst (the snapshots after a reconnect) does not stall reading.
MAX_QUEUED_MESSAGES = 1024


def socket_url(url: str) -> str:
    """``url`` with an ``http``/``https`` scheme given as ``ws``/``wss`` (both name the same
    endpoint to the venue; the WebSocket library wants the WebSocket scheme)."""
    parts = urlsplit(url)
    scheme = {"http": "ws", "https": "wss"}.get(parts.scheme.lower(), parts.scheme)
    return urlunsplit(parts._replace(scheme=scheme))


class ConnectionState(enum.StrEnum):
    IDLE = "idle"  # created, not started
    CONNECTING = "connecting"  # first connection attempt
    CONNECTED = "connected"
    RECONNECTING = "reconnecting"  # lost the connection, trying again
    CLOSED = "closed"  # close() was called


class WsConnection(AsyncService):
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
        ping_interval: float,
        idle_timeout: float,
        backoff: tuple[float, float],
        connect_timeout: float,
        close_timeout: float,
        on_state: StateCallback | None,
    ) -> None:
        if ping_interval <= 0 or idle_timeout <= 0:
            raise ValueError("ping_interval and idle_timeout must be positive")
        self._url = url
        self._ping_interval = ping_interval
        self._idle_timeout = idle_timeout
        self._backoff = backoff
        self._connect_timeout = connect_timeout
        self._close_timeout = close_timeout
        self._on_state = on_state

        self._state = ConnectionState.IDLE
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self._ws: Socket | None = None
        self._connected = asyncio.Event()
        self._conn_id = 0
        self._send_lock = asyncio.Lock()

        self._ping_sent_at: float | None = None
        self._latency: float | None = None
        self._last_message_at: float | None = None
        self.reconnects = 0  # completed reconnections, for diagnostics and tests

    # ------------------------------------------------------------------ what it carries

    @abc.abstractmethod
    def _handle_text(self, text: str) -> None:
        """One text frame, on the reader task, in arrival order. Must not block."""

    @abc.abstractmethod
    async def _replay_subscriptions(self, ws: Socket, conn_id: int) -> None:
        """Send every subscription on a new connection, before it is announced."""

    @abc.abstractmethod
    def _fail_pending(self, make_error: Callable[[bool], VenueError]) -> None:
        """Fail every request still waiting, with ``make_error(is_action)``."""

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
        # The one wait (the TLS context, made off the loop) comes before the checks, so no
        # await separates them from making the task: a close() meanwhile is seen here, and
        # concurrent first starts make one task, not one each.
        await prepare_tls(self._url)
        if self._closing:
            raise RuntimeError("this websocket client was closed")
        if self._task is not None:
            return
        self._task = asyncio.create_task(self._run(), name=f"hyperliquid-ws {self._url}")

    async def wait_connected(self) -> None:
        """Wait until the connection is up (and subscriptions have been replayed).

        Bound it with ``asyncio.timeout`` if needed.
        """
        await self._connected.wait()

    async def close(self) -> None:
        """Stop for good: cancel and await every task, fail pending requests, close the socket."""
        self._closing = True
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.wait([task])
        self._connected.clear()
        self._fail_pending(lambda is_action: Disconnected("The connection was closed."))
        self._set_state(ConnectionState.CLOSED)

    async def stop(self) -> None:
        """:meth:`close`, by the name :class:`AsyncService` (and so ``async with``) uses."""
        await self.close()

    def _backoff_delay(self, attempt: int) -> float:
        first, cap = self._backoff
        return min(cap, first * 2.0 ** min(attempt, 30)) * random.uniform(0.5, 1.0)

    async def _run(self) -> None:
        """Supervisor: connect, serve until the connection ends, back off, repeat."""
        failures = 0
        ever_connected = False
        url = socket_url(self._url)
        tls = tls_context() if needs_tls(url) else None  # made by start(), off the loop
        while not self._closing:
            self._set_state(
                ConnectionState.RECONNECTING if ever_connected else ConnectionState.CONNECTING
            )
            try:
                async with asyncio.timeout(self._connect_timeout):
                    ws = await connect(
                        url,
                        ssl=tls,
                        # As the venue's own clients: no compression, our own heartbeat
                        # (the venue wants a ping message, not a protocol-level ping), no
                        # proxy from the environment.
                        compression=None,
                        ping_interval=None,
                        proxy=None,
                        open_timeout=None,  # the timeout above covers the whole opening
                        close_timeout=self._close_timeout,
                        max_size=MAX_MESSAGE_BYTES,
                        max_queue=MAX_QUEUED_MESSAGES,
                    )
            except (WebSocketException, OSError, TimeoutError) as exc:
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

    async def _serve(self, ws: Socket) -> None:
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
            await self._replay_subscriptions(ws, conn_id)
            self._connected.set()
            self._set_state(ConnectionState.CONNECTED)
            while True:
                message = await ws.recv()
                self._last_message_at = time.monotonic()
                if isinstance(message, str):
                    self._handle_text(message)
        except ConnectionClosedOK:
            log.info("websocket closed by the server (%s)", ws.close_code)
        except (WebSocketException, OSError) as exc:  # ConnectionClosedError among them
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

    async def _ping_loop(self, ws: Socket) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(self._ping_interval)
            if self._ping_sent_at is None:  # one measurement at a time (pongs carry no id)
                self._ping_sent_at = loop.time()
            try:
                await self._send(ws, {"method": "ping"})
            except ConnectionError as exc:
                log.debug("ping failed: %s", exc)
                return

    def _on_pong(self) -> None:
        if self._ping_sent_at is not None:
            self._latency = asyncio.get_running_loop().time() - self._ping_sent_at
            self._ping_sent_at = None

    async def _send(self, ws: Socket, message: dict[str, Any]) -> None:
        """Send one message; a connection that cannot take it raises ConnectionError."""
        async with self._send_lock:
            try:
                await ws.send(json.dumps(message, separators=(",", ":")))
            except WebSocketException as exc:  # ConnectionClosed among them
                raise ConnectionError(str(exc)) from exc

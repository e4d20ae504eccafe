"""HyperliquidWs against a small in-test WebSocket venue on 127.0.0.1 (no network).

The stub implements just enough of PROTOCOL §8: the welcome text, subscribe and
unsubscribe acks (with a snapshot after each subscribe), ping -> pong, posts answered
immediately or in batches in reverse order, and hooks to push messages, go silent and
drop connections. Intervals are short so the whole module runs in a few seconds.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from aiohttp import WSMsgType, web

from wallet_perps.core.answers import Resting
from wallet_perps.hyperliquid import tls
from wallet_perps.hyperliquid.errors import (
    Disconnected,
    ExchangeTimeout,
    RateLimited,
    RejectedAction,
    VenueError,
    VenueTimeout,
)
from wallet_perps.hyperliquid.exchange_answers import check_statuses
from wallet_perps.hyperliquid.ws import ConnectionState, HyperliquidWs, subscription_route

USER_A = "0x" + "a" * 40
USER_B = "0x" + "b" * 40
FAST: dict[str, Any] = {"backoff": (0.05, 0.2), "post_timeout": 2.0, "ack_timeout": 2.0}
WAIT = 2.0  # upper bound for anything a test waits for


class WsVenue:
    def __init__(self) -> None:
        self.url = ""
        self.connects = 0
        self.sockets: list[tuple[web.WebSocketResponse, web.Request]] = []
        self.received: list[dict[str, Any]] = []
        self.pings = 0
        self.mute = False  # answer nothing at all (not even pongs) until the next connection
        self.post_batch = 1  # answer posts once this many are waiting, newest first
        self.swallow_posts = False
        self.reject_types: set[str] = set()
        self.action_reply: dict[str, Any] = {
            "status": "ok",
            "response": {"type": "order", "data": {"statuses": [{"resting": {"oid": 7}}]}},
        }
        self.generation = 0
        self._held: list[tuple[web.WebSocketResponse, dict[str, Any]]] = []
        self._runner: web.AppRunner | None = None

    # -- server side ------------------------------------------------------------

    async def _handler(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self.connects += 1
        self.mute = False
        self.sockets.append((ws, request))
        try:
            await ws.send_str("Websocket connection established.")
            async for msg in ws:
                if msg.type is WSMsgType.TEXT:
                    message = json.loads(msg.data)
                    self.received.append(message)
                    await self._on_message(ws, message)
        except ConnectionError:
            pass
        finally:
            self.sockets = [(w, r) for w, r in self.sockets if w is not ws]
        return ws

    async def _on_message(self, ws: web.WebSocketResponse, message: dict[str, Any]) -> None:
        if self.mute:
            return
        method = message.get("method")
        if method == "ping":
            self.pings += 1
            await ws.send_json({"channel": "pong"})
        elif method in ("subscribe", "unsubscribe"):
            sub = message["subscription"]
            if sub["type"] in self.reject_types:
                await ws.send_json({"channel": "error", "data": f"Invalid subscription {sub}"})
                return
            ack = {"method": method, "subscription": sub}
            await ws.send_json({"channel": "subscriptionResponse", "data": ack})
            if method == "subscribe":
                self.generation += 1
                channel, data = self.snapshot(sub, self.generation)
                await ws.send_json({"channel": channel, "data": data})
        elif method == "post":
            if self.swallow_posts:
                return
            self._held.append((ws, message))
            if len(self._held) >= self.post_batch:
                held, self._held = self._held, []
                for sock, post in reversed(held):
                    await sock.send_json({"channel": "post", "data": self.post_answer(post)})

    @staticmethod
    def snapshot(sub: dict[str, Any], gen: int) -> tuple[str, Any]:
        kind = sub["type"]
        if kind == "l2Book":
            return "l2Book", {"coin": sub["coin"], "time": gen, "levels": [[], []]}
        if kind == "candle":
            return "candle", {"s": sub["coin"], "i": sub["interval"], "t": gen}
        if kind == "userEvents":
            return "user", {"fills": [], "gen": gen}
        if kind == "allMids":
            return "allMids", {"mids": {"BTC": str(gen)}}
        return kind, {"user": sub.get("user"), "isSnapshot": True, "gen": gen}

    def post_answer(self, post: dict[str, Any]) -> dict[str, Any]:
        request = post["request"]
        payload = request["payload"]
        if request["type"] == "info":
            if payload["type"] == "boom":
                response: dict[str, Any] = {"type": "error", "payload": "400 Bad Request: boom"}
            elif payload["type"] == "busy":
                response = {"type": "error", "payload": "429 Too Many Requests"}
            else:
                data = {"type": payload["type"], "data": {"echo": payload}}
                response = {"type": "info", "payload": data}
        else:
            response = {"type": "action", "payload": self.action_reply}
        return {"id": post["id"], "response": response}

    # -- test hooks -------------------------------------------------------------

    async def push(self, channel: str, data: Any) -> None:
        for ws, _ in list(self.sockets):
            await ws.send_json({"channel": channel, "data": data})

    def drop(self) -> None:
        """Cut every connection without a close handshake."""
        for _, request in list(self.sockets):
            assert request.transport is not None
            request.transport.close()

    def posts(self) -> list[dict[str, Any]]:
        return [m for m in self.received if m.get("method") == "post"]

    def count(self, method: str) -> int:
        return sum(1 for m in self.received if m.get("method") == method)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/ws", self._handler)
        self._runner = web.AppRunner(app, shutdown_timeout=0.1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}/ws"

    async def stop(self) -> None:
        for ws, _ in list(self.sockets):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()


@pytest.fixture
async def venue() -> AsyncIterator[WsVenue]:
    stub = WsVenue()
    await stub.start()
    try:
        yield stub
    finally:
        await stub.stop()


async def until(condition: Callable[[], bool]) -> None:
    """Poll a condition on the stub's counters (which have no events to wait on)."""
    async with asyncio.timeout(WAIT):
        while not condition():  # noqa: ASYNC110
            await asyncio.sleep(0.01)


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[Any, bool]] = []

    def __call__(self, data: Any, is_resync: bool) -> None:
        self.calls.append((data, is_resync))


async def _connected(venue: WsVenue, **kwargs: Any) -> HyperliquidWs:
    ws = HyperliquidWs(venue.url, **{**FAST, **kwargs})
    await ws.start()
    async with asyncio.timeout(2.0):
        await ws.wait_connected()
    return ws


# --------------------------------------------------------------------------- subscriptions


async def test_reconnect_resubscribes_and_flags_the_new_snapshot_as_resync(
    venue: WsVenue,
) -> None:
    states: list[ConnectionState] = []
    ws = await _connected(venue, on_state=states.append)
    try:
        book = Recorder()
        await ws.subscribe({"type": "l2Book", "coin": "ETH"}, book)
        await until(lambda: len(book.calls) == 1)
        assert book.calls[0] == ({"coin": "ETH", "time": 1, "levels": [[], []]}, True)

        await venue.push("l2Book", {"coin": "ETH", "time": 99, "levels": [[], []]})
        await until(lambda: len(book.calls) == 2)
        assert book.calls[1][1] is False

        venue.drop()
        await until(lambda: venue.connects == 2 and len(book.calls) == 3)
        assert book.calls[2] == ({"coin": "ETH", "time": 2, "levels": [[], []]}, True)
        assert venue.count("subscribe") == 2
        assert ws.reconnects == 1

        await venue.push("l2Book", {"coin": "ETH", "time": 100, "levels": [[], []]})
        await until(lambda: len(book.calls) == 4)
        assert book.calls[3][1] is False
    finally:
        await ws.close()
    assert states == [
        ConnectionState.CONNECTING,
        ConnectionState.CONNECTED,
        ConnectionState.RECONNECTING,
        ConnectionState.CONNECTED,
        ConnectionState.CLOSED,
    ]


async def test_subscriptions_made_while_disconnected_are_sent_on_connect(
    venue: WsVenue,
) -> None:
    ws = HyperliquidWs(venue.url, **FAST)
    mids = Recorder()
    await ws.subscribe({"type": "allMids"}, mids)  # not started: recorded only
    await ws.start()
    try:
        await until(lambda: len(mids.calls) == 1)
        assert mids.calls[0] == ({"mids": {"BTC": "1"}}, True)
    finally:
        await ws.close()


async def test_messages_are_routed_by_subscription_identity(venue: WsVenue) -> None:
    ws = await _connected(venue)
    try:
        one_min, five_min, events, fills, eth, btc = (Recorder() for _ in range(6))
        await ws.subscribe({"type": "candle", "coin": "ETH", "interval": "1m"}, one_min)
        await ws.subscribe({"type": "candle", "coin": "ETH", "interval": "5m"}, five_min)
        await ws.subscribe({"type": "userEvents", "user": USER_A.upper()}, events)
        await ws.subscribe({"type": "userFills", "user": USER_A}, fills)
        await ws.subscribe({"type": "l2Book", "coin": "ETH"}, eth)
        await ws.subscribe({"type": "l2Book", "coin": "BTC"}, btc)
        await until(lambda: all(len(r.calls) == 1 for r in (one_min, five_min, events, eth)))

        await venue.push("candle", {"s": "ETH", "i": "5m", "t": 50})
        await venue.push("candle", {"s": "ETH", "i": "1m", "t": 10})
        await venue.push("user", {"fills": [{"coin": "ETH"}]})
        await venue.push("userFills", {"user": USER_A, "fills": [], "isSnapshot": True})
        await venue.push("userFills", {"user": USER_B, "fills": []})  # not ours: dropped
        await venue.push("l2Book", {"coin": "BTC", "time": 5, "levels": [[], []]})
        await venue.push("trades", [{"coin": "ETH"}])  # nobody subscribed: dropped
        await venue.push("futureFeed", {"coin": "ETH"})  # unknown channel, no subscriber
        await until(lambda: len(btc.calls) == 2)

        assert one_min.calls[1] == ({"s": "ETH", "i": "1m", "t": 10}, False)
        assert five_min.calls[1] == ({"s": "ETH", "i": "5m", "t": 50}, False)
        assert events.calls[1] == ({"fills": [{"coin": "ETH"}]}, False)
        # The subscription was sent with the lowercase address the venue pushes.
        sent = [m["subscription"] for m in venue.received if m.get("method") == "subscribe"]
        assert {"type": "userEvents", "user": USER_A} in sent
        # isSnapshot:true is a resync even when it is not the first message.
        assert [flag for _, flag in fills.calls] == [True, True]
        assert len(eth.calls) == 1
    finally:
        await ws.close()


async def test_indistinguishable_subscriptions_are_refused(venue: WsVenue) -> None:
    ws = await _connected(venue)
    try:
        await ws.subscribe({"type": "userEvents", "user": USER_A}, Recorder())
        with pytest.raises(ValueError, match="indistinguishable"):
            await ws.subscribe({"type": "userEvents", "user": USER_B}, Recorder())
        await ws.subscribe({"type": "l2Book", "coin": "ETH"}, Recorder())
        with pytest.raises(ValueError):
            await ws.subscribe({"type": "l2Book", "coin": "ETH", "nSigFigs": 3}, Recorder())
    finally:
        await ws.close()
    assert subscription_route({"type": "userEvents", "user": USER_A}) == ("user", ())
    assert subscription_route({"type": "candle", "coin": "ETH", "interval": "1h"}) == (
        "candle",
        ("ETH", "1h"),
    )


async def test_second_listener_shares_the_feed_and_both_get_a_fresh_snapshot(
    venue: WsVenue,
) -> None:
    ws = await _connected(venue)
    try:
        first, second = Recorder(), Recorder()
        h1 = await ws.subscribe({"type": "l2Book", "coin": "ETH"}, first)
        await until(lambda: len(first.calls) == 1)
        await ws.subscribe({"type": "l2Book", "coin": "ETH"}, second)
        await until(lambda: len(second.calls) == 1 and len(first.calls) == 2)
        assert first.calls[1][1] is True and second.calls[0][1] is True

        await ws.unsubscribe(h1)  # the other listener keeps the feed
        assert venue.count("unsubscribe") == 1  # only the refresh
        await venue.push("l2Book", {"coin": "ETH", "time": 9, "levels": [[], []]})
        await until(lambda: len(second.calls) == 2)
        assert len(first.calls) == 2
    finally:
        await ws.close()


async def test_unsubscribe_waits_for_the_ack_and_stops_delivery(venue: WsVenue) -> None:
    ws = await _connected(venue)
    try:
        book = Recorder()
        handle = await ws.subscribe({"type": "l2Book", "coin": "ETH"}, book)
        await until(lambda: len(book.calls) == 1)
        await ws.unsubscribe(handle)
        await ws.unsubscribe(handle)  # idempotent
        assert venue.count("unsubscribe") == 1
        await venue.push("l2Book", {"coin": "ETH", "time": 9, "levels": [[], []]})
        await asyncio.sleep(0.05)
        assert len(book.calls) == 1
    finally:
        await ws.close()


async def test_a_refused_subscription_raises_the_venues_words(venue: WsVenue) -> None:
    venue.reject_types = {"bogus"}
    ws = await _connected(venue)
    try:
        with pytest.raises(VenueError, match="Invalid subscription"):
            await ws.subscribe({"type": "bogus", "coin": "ETH"}, Recorder())
        # Forgotten, so a later valid subscription of another kind works normally.
        book = Recorder()
        await ws.subscribe({"type": "l2Book", "coin": "ETH"}, book)
        await until(lambda: len(book.calls) == 1)
    finally:
        await ws.close()


async def test_a_raising_callback_does_not_kill_the_reader(
    venue: WsVenue, caplog: pytest.LogCaptureFixture
) -> None:
    ws = await _connected(venue)
    try:
        seen: list[Any] = []

        def flaky(data: Any, is_resync: bool) -> None:
            seen.append(data)
            if len(seen) == 1:
                raise RuntimeError("callback bug")

        await ws.subscribe({"type": "l2Book", "coin": "ETH"}, flaky)
        await until(lambda: len(seen) == 1)
        await venue.push("l2Book", {"coin": "ETH", "time": 3, "levels": [[], []]})
        await until(lambda: len(seen) == 2)
        assert ws.connected and venue.connects == 1
        assert "callback bug" in caplog.text
    finally:
        await ws.close()


# --------------------------------------------------------------------------- heartbeat


async def test_heartbeat_pings_and_measures_latency(venue: WsVenue) -> None:
    ws = await _connected(venue, ping_interval=0.05)
    try:
        await until(lambda: venue.pings >= 3 and ws.latency is not None)
        assert ws.latency is not None and 0 <= ws.latency < 0.5
        assert all(m == {"method": "ping"} for m in venue.received)
        assert ws.last_message_age is not None
    finally:
        await ws.close()


async def test_watchdog_replaces_a_silent_connection(venue: WsVenue) -> None:
    ws = await _connected(venue, ping_interval=0.05, idle_timeout=0.3)
    try:
        book = Recorder()
        await ws.subscribe({"type": "l2Book", "coin": "ETH"}, book)
        await until(lambda: len(book.calls) == 1)
        venue.mute = True  # alive but saying nothing, not even pong
        await until(lambda: venue.connects >= 2 and len(book.calls) >= 2)
        assert book.calls[-1][1] is True
    finally:
        await ws.close()


# --------------------------------------------------------------------------- posts


async def test_posts_reach_the_right_caller_when_answered_out_of_order(
    venue: WsVenue,
) -> None:
    venue.post_batch = 4
    ws = await _connected(venue)
    try:
        bodies = [{"type": "l2Book", "coin": c} for c in ("A", "B", "C")]
        payload = {"action": {"type": "order"}, "nonce": 1, "signature": {}}
        results = await asyncio.gather(*(ws.post_info(b) for b in bodies), ws.post_action(payload))
        assert results[:3] == [{"echo": b} for b in bodies]
        assert check_statuses(results[3]) == [Resting(0, 7)]
        ids = [m["id"] for m in venue.posts()]
        assert len(set(ids)) == 4
    finally:
        await ws.close()


async def test_post_errors_become_typed_errors(venue: WsVenue) -> None:
    ws = await _connected(venue)
    try:
        with pytest.raises(VenueError, match="boom"):
            await ws.post_info({"type": "boom"})
        with pytest.raises(RateLimited):
            await ws.post_info({"type": "busy"})
        venue.action_reply = {"status": "err", "response": "Invalid nonce: duplicate nonce 1"}
        payload = {"action": {"type": "order"}, "nonce": 1, "signature": {}}
        with pytest.raises(RejectedAction) as caught:
            await ws.post_action(payload)
        assert caught.value.venue_text == "Invalid nonce: duplicate nonce 1"
    finally:
        await ws.close()


async def test_pending_posts_fail_with_disconnected_and_are_not_resent(
    venue: WsVenue,
) -> None:
    venue.swallow_posts = True
    ws = await _connected(venue)
    try:
        payload = {"action": {"type": "order"}, "nonce": 1, "signature": {}}
        action = asyncio.create_task(ws.post_action(payload))
        info = asyncio.create_task(ws.post_info({"type": "allMids"}))
        await until(lambda: len(venue.posts()) == 2)
        venue.drop()
        with pytest.raises(Disconnected) as action_error:
            await action
        with pytest.raises(Disconnected) as info_error:
            await info
        assert action_error.value.outcome_unknown
        assert not info_error.value.outcome_unknown
        await until(lambda: venue.connects == 2 and ws.connected)
        await asyncio.sleep(0.05)
        assert len(venue.posts()) == 2
    finally:
        await ws.close()


async def test_post_timeouts(venue: WsVenue) -> None:
    venue.swallow_posts = True
    ws = await _connected(venue, post_timeout=0.2)
    try:
        payload = {"action": {"type": "order"}, "nonce": 1, "signature": {}}
        with pytest.raises(ExchangeTimeout) as caught:
            await ws.post_action(payload)
        assert caught.value.outcome_unknown
        with pytest.raises(VenueTimeout):
            await ws.post_info({"type": "allMids"})
    finally:
        await ws.close()


# --------------------------------------------------------------------------- lifecycle


async def _settle(before: set[asyncio.Task[Any]]) -> set[asyncio.Task[Any]]:
    """Tasks alive now that were not before, after giving the server time to wind down."""
    for _ in range(100):
        extra = asyncio.all_tasks() - before
        if not extra:
            break
        await asyncio.sleep(0.01)
    return asyncio.all_tasks() - before


async def test_close_leaves_no_tasks_behind(venue: WsVenue) -> None:
    before = asyncio.all_tasks()
    ws = await _connected(venue, ping_interval=0.05)
    await ws.subscribe({"type": "l2Book", "coin": "ETH"}, Recorder())
    venue.swallow_posts = True
    pending = asyncio.create_task(ws.post_info({"type": "allMids"}))
    await until(lambda: len(venue.posts()) == 1)
    await ws.close()
    with pytest.raises(Disconnected):
        await pending
    assert ws.state is ConnectionState.CLOSED
    assert await _settle(before) == set()
    with pytest.raises(RuntimeError):
        await ws.subscribe({"type": "allMids"}, Recorder())


async def test_close_while_reconnecting_leaves_no_tasks(venue: WsVenue) -> None:
    before = asyncio.all_tasks()
    url = venue.url
    await venue.stop()  # nobody listening: the client keeps backing off
    ws = HyperliquidWs(url, backoff=(0.05, 0.1))
    async with ws:
        await asyncio.sleep(0.2)
        during = ws.state
    assert during is ConnectionState.CONNECTING
    assert ws.state is ConnectionState.CLOSED
    assert await _settle(before) == set()


def test_backoff_grows_with_jitter_and_is_capped() -> None:
    ws = HyperliquidWs("http://127.0.0.1:1/ws", backoff=(0.5, 30.0))
    for attempt, nominal in [(0, 0.5), (1, 1.0), (3, 4.0), (6, 30.0), (40, 30.0)]:
        delays = [ws._backoff_delay(attempt) for _ in range(50)]
        assert all(nominal * 0.5 <= d <= nominal for d in delays)
        assert len(set(delays)) > 1  # jittered


@pytest.fixture
def cold_tls(monkeypatch: pytest.MonkeyPatch) -> None:
    """No TLS context made yet, so the first ``wss`` start really waits for one."""
    monkeypatch.setattr(tls, "_tls_context", None)


async def test_close_during_a_first_tls_start_leaks_nothing(cold_tls: None) -> None:
    """start() waits for the TLS context before making its task: a close() in that wait must
    not leave a task (or a connection attempt) behind."""
    before = asyncio.all_tasks()
    ws = HyperliquidWs("wss://127.0.0.1:1/ws", backoff=(0.05, 0.1))
    starting = asyncio.create_task(ws.start())
    await asyncio.sleep(0)
    await ws.close()
    with pytest.raises(RuntimeError):
        await starting
    assert ws._task is None
    assert await _settle(before) == set()


async def test_concurrent_first_starts_make_one_connection_task(cold_tls: None) -> None:
    ws = HyperliquidWs("wss://127.0.0.1:1/ws", backoff=(0.05, 0.1))
    try:
        await asyncio.gather(ws.start(), ws.start(), ws.start())
        runners = [t for t in asyncio.all_tasks() if t.get_name().startswith("hyperliquid-ws wss")]
        assert len(runners) == 1
    finally:
        await ws.close()

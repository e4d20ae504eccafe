"""The local venue's WebSocket side: connections, subscriptions, snapshots and the fan-out.

Why its own object: the server owns the venue's state and its input log; this hub only
reads the venue (for a new subscriber's snapshot) and forwards the engine's events to whoever
subscribed. It changes nothing: a ``post`` of an action goes back to the server's
``exchange_body``, the one path every signed action takes. Limits are Hyperliquid's
(PROTOCOL.md §8.1): 1000 subscriptions per connection, a capped number of connections per
client, subscriptions only to coins the venue lists.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import WSMsgType, web

from wallet_perps.localvenue.candles import INTERVALS
from wallet_perps.localvenue.clock import VenueClock
from wallet_perps.localvenue.engine import Venue, VenueEvent, VenueReject
from wallet_perps.localvenue.guard import (
    MAX_SUBSCRIPTIONS,
    TOO_MANY_CONNECTIONS_TEXT,
    TOO_MANY_SUBSCRIPTIONS_TEXT,
    ConnectionLimit,
)
from wallet_perps.localvenue.requests import (
    MAX_BODY_BYTES,
    BadRequest,
    InfoRequest,
    parse_info_request,
)

__all__ = ["MAX_WS_BACKLOG", "WsHub", "is_address"]

log = logging.getLogger(__name__)

#: A WebSocket client that falls this far behind is disconnected, as the real venue does with
#: slow consumers; it reconnects and gets fresh snapshots.
MAX_WS_BACKLOG = 10_000

#: WebSocket channels whose subscription names a coin (which must be one the venue lists).
_COIN_CHANNELS = frozenset(
    ("l2Book", "bbo", "trades", "activeAssetCtx", "candle", "activeAssetData")
)

SubKey = tuple[str, str | None]


class WsHub:
    """Every WebSocket connection of one venue, and its subscriptions."""

    def __init__(
        self,
        venue: Callable[[], Venue],
        clock: VenueClock,
        *,
        info: Callable[[InfoRequest], Any],
        exchange: Callable[[Any], Awaitable[dict[str, Any]]],
        max_connections_per_ip: int,
    ) -> None:
        self._venue = venue  # the server's current venue (a restore may replace it)
        self.clock = clock
        self._info = info
        self._exchange = exchange
        self._connections = ConnectionLimit(max_connections_per_ip)
        self._coin_names: frozenset[str] | None = None
        self._subs: dict[SubKey, set[_WsClient]] = {}
        self._clients: set[_WsClient] = set()

    # -- connections -------------------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.StreamResponse:
        peer = self._connections.client_of(request)
        if not self._connections.acquire(peer):
            return web.Response(text=TOO_MANY_CONNECTIONS_TEXT, status=429)
        try:
            return await self._serve(request)
        finally:
            self._connections.release(peer)

    async def _serve(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(heartbeat=None, max_msg_size=MAX_BODY_BYTES)
        await ws.prepare(request)
        client = _WsClient(ws)
        self._clients.add(client)
        client.send_text("Websocket connection established.")
        writer = asyncio.create_task(client.run_writer())
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                try:
                    await self._message(client, msg.data)
                except Exception:  # a hostile or odd message must never end the connection
                    log.exception("websocket message failed: %.200s", msg.data)
                    client.send({"channel": "error", "data": f"Internal error: {msg.data[:200]}"})
        finally:
            self._drop(client)
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await writer
        return ws

    async def close_all(self) -> None:
        for client in list(self._clients):
            await client.ws.close()

    def _drop(self, client: _WsClient) -> None:
        self._clients.discard(client)
        for key in client.subs:
            self._subs.get(key, set()).discard(client)
        client.subs.clear()

    # -- messages ----------------------------------------------------------------------------

    async def _message(self, client: _WsClient, text: str) -> None:
        try:
            message = json.loads(text, parse_float=str)
        except (ValueError, RecursionError):  # RecursionError: nested too deeply
            client.send(_parse_error(text))
            return
        method = message.get("method") if isinstance(message, dict) else None
        if method == "ping":
            client.send({"channel": "pong"})
        elif method in ("subscribe", "unsubscribe"):
            self._subscription(client, method, message.get("subscription"))
        elif method == "post":
            await self._post(client, message)
        else:
            client.send(_parse_error(text))

    def _subscription(self, client: _WsClient, method: str, sub: Any) -> None:
        key = _subscription_key(sub)
        if key is None:
            client.send({"channel": "error", "data": f"Invalid subscription {json.dumps(sub)}"})
            return
        if method == "subscribe":
            if key in client.subs:
                client.send({"channel": "error", "data": f"Already subscribed: {json.dumps(sub)}"})
                return
            if len(client.subs) >= MAX_SUBSCRIPTIONS:
                client.send({"channel": "error", "data": TOO_MANY_SUBSCRIPTIONS_TEXT})
                return
            if not self._known_coin(key[0], sub):
                client.send({"channel": "error", "data": f"Invalid subscription {json.dumps(sub)}"})
                return
            client.subs[key] = sub
            self._subs.setdefault(key, set()).add(client)
            client.send(
                {"channel": "subscriptionResponse", "data": {"method": method, "subscription": sub}}
            )
            for data in self._initial(key, sub):
                client.send({"channel": key[0], "data": data})
        else:
            client.subs.pop(key, None)
            self._subs.get(key, set()).discard(client)
            client.send(
                {"channel": "subscriptionResponse", "data": {"method": method, "subscription": sub}}
            )

    def _known_coin(self, channel: str, sub: dict[str, Any]) -> bool:
        """A subscription naming a coin must name one the venue lists (else it would sit in
        the routing table forever for nothing, and books for "ZZZ" would be rendered empty)."""
        if channel not in _COIN_CHANNELS:
            return True
        coin = sub.get("coin")
        if self._coin_names is None:  # markets are fixed for the life of a venue
            perps = {m["name"] for m in self._venue().meta()["universe"]}
            spots = {m["name"] for m in self._venue().spot_meta().get("universe", [])}
            self._coin_names = frozenset(perps | spots)
        return isinstance(coin, str) and coin in self._coin_names

    def _initial(self, key: SubKey, sub: dict[str, Any]) -> list[Any]:
        """What a new subscriber gets at once: a snapshot, flagged isSnapshot for user feeds."""
        v = self._venue()
        channel = key[0]
        user = (sub.get("user") or "").lower()
        coin = sub.get("coin") or ""
        if channel == "allMids":
            return [{"mids": v.all_mids()}]
        if channel == "l2Book":
            return [v.l2_book(coin, sub.get("nSigFigs"), sub.get("mantissa"))]
        if channel == "activeAssetCtx":
            return [_active_ctx(v, coin)]
        if channel == "userFills":
            return [{"isSnapshot": True, "user": user, "fills": v.user_fills(user)}]
        if channel == "userFundings":
            fundings = _ws_fundings(v.user_funding(user, 0))
            return [{"isSnapshot": True, "user": user, "fundings": fundings}]
        if channel == "userNonFundingLedgerUpdates":
            updates = v.user_non_funding_ledger_updates(user, 0)
            return [{"isSnapshot": True, "user": user, "nonFundingLedgerUpdates": updates}]
        if channel == "clearinghouseState":
            return [{"dex": "", "user": user, "clearinghouseState": v.clearinghouse_state(user)}]
        if channel == "activeAssetData":
            return [v.active_asset_data(user, coin)]
        if channel == "candle":
            now = self.clock.now_ms()
            candles = v.candle_snapshot(coin, sub.get("interval") or "1m", now - 3_600_000, now)
            return candles[-1:]
        return []

    async def _post(self, client: _WsClient, message: dict[str, Any]) -> None:
        post_id = message.get("id")
        request = message.get("request")
        if not isinstance(request, dict):
            client.send(
                {"channel": "error", "data": "Error parsing JSON into valid websocket request"}
            )
            return
        kind, payload = request.get("type"), request.get("payload")
        try:
            if kind == "info":
                info_req = parse_info_request(payload)
                data = self._info(info_req)
                response = {"type": "info", "payload": {"type": info_req.type, "data": data}}
            elif kind == "action":
                response = {"type": "action", "payload": await self._exchange(payload)}
            else:
                raise BadRequest(422, "Failed to deserialize the JSON body into the target type")
        except BadRequest as exc:
            response = {"type": "error", "payload": f"{exc.status}: {exc.text}"}
        except VenueReject as exc:
            response = {"type": "error", "payload": f"422: {exc}"}
        client.send({"channel": "post", "data": {"id": post_id, "response": response}})

    # -- the engine's events -----------------------------------------------------------------

    def on_event(self, event: VenueEvent) -> None:
        """Fans one venue event out to its subscribers, serialising it only once.

        Called by the engine in the middle of applying an input, so it must never raise: an
        exception here would cut that input short live but not in replay (which has no
        listeners), and the restarted venue would differ from the one clients saw.
        """
        try:
            if event.channel == "l2Book":
                self._fan_out_books(event)
            subscribers = self._subs.get((event.channel, event.key))
            if not subscribers:
                return
            text = json.dumps({"channel": event.channel, "data": event.data}, separators=(",", ":"))
            for client in list(subscribers):
                client.send_text(text)
        except Exception:
            log.exception("fanning out a %s event failed", event.channel)

    def _fan_out_books(self, event: VenueEvent) -> None:
        """Aggregated (nSigFigs) book subscribers get their own rendering of the new book."""
        for (channel, key), clients in self._subs.items():
            if channel != "l2Book" or key is None or not key.startswith(f"{event.key}:"):
                continue
            for client in list(clients):
                sub = client.subs.get((channel, key), {})
                try:
                    coin = event.key or ""
                    book = self._venue().l2_book(coin, sub.get("nSigFigs"), sub.get("mantissa"))
                    client.send({"channel": "l2Book", "data": book})
                except Exception:  # one odd subscription must not starve the others
                    log.exception("rendering l2Book %s for a subscriber failed", key)


class _WsClient:
    """One WebSocket connection: its subscriptions and a bounded outbound queue."""

    def __init__(self, ws: web.WebSocketResponse) -> None:
        self.ws = ws
        self.subs: dict[SubKey, dict[str, Any]] = {}
        self.queue: asyncio.Queue[str | None] = asyncio.Queue()

    def send(self, data: Any) -> None:
        self.send_text(json.dumps(data, separators=(",", ":")))

    def send_text(self, text: str) -> None:
        if self.queue.qsize() >= MAX_WS_BACKLOG:
            log.warning("closing a WebSocket client that fell %d messages behind", MAX_WS_BACKLOG)
            self.queue.put_nowait(None)
            return
        self.queue.put_nowait(text)

    async def run_writer(self) -> None:
        while True:
            text = await self.queue.get()
            if text is None or self.ws.closed:
                await self.ws.close()
                return
            try:
                await self.ws.send_str(text)
            except (ConnectionError, RuntimeError):
                return


def _parse_error(text: str) -> dict[str, Any]:
    return {"channel": "error", "data": f"Error parsing JSON into valid websocket request: {text}"}


def _subscription_key(sub: Any) -> SubKey | None:
    """(channel, routing key) for a subscription, or None if it is not one the venue serves."""
    if not isinstance(sub, dict) or not isinstance(sub.get("type"), str):
        return None
    kind = sub["type"]
    coin, user = sub.get("coin"), sub.get("user")
    if kind == "allMids":
        return ("allMids", None)
    if kind in ("l2Book", "bbo", "trades", "activeAssetCtx") and isinstance(coin, str):
        if kind == "l2Book" and (
            sub.get("nSigFigs") is not None or sub.get("mantissa") is not None
        ):
            if not _valid_book_args(sub.get("nSigFigs"), sub.get("mantissa")):
                return None  # else every book update would fail to render for this client
            return ("l2Book", f"{coin}:{sub.get('nSigFigs')}:{sub.get('mantissa')}")
        return (kind, coin)
    interval = sub.get("interval")
    if (
        kind == "candle"
        and isinstance(coin, str)
        and isinstance(interval, str)
        and interval in INTERVALS
    ):
        return ("candle", f"{coin}:{sub['interval']}")
    if not isinstance(user, str) or not is_address(user):
        return None
    user = user.lower()
    if kind == "userEvents":
        return ("user", user)
    if kind in (
        "userFills",
        "orderUpdates",
        "userFundings",
        "userNonFundingLedgerUpdates",
        "clearinghouseState",
        "notification",
    ):
        return (kind, user)
    if kind == "activeAssetData" and isinstance(coin, str):
        return ("activeAssetData", f"{user}:{coin}")
    return None


def _valid_book_args(n_sig_figs: Any, mantissa: Any) -> bool:
    """What l2Book accepts: nSigFigs 2..5 or null; mantissa 1, 2 or 5, only with nSigFigs 5."""

    def is_int(value: Any) -> bool:
        return isinstance(value, int) and not isinstance(value, bool)

    if n_sig_figs is not None and not (is_int(n_sig_figs) and n_sig_figs in (2, 3, 4, 5)):
        return False
    return mantissa is None or (is_int(mantissa) and mantissa in (1, 2, 5) and n_sig_figs == 5)


def is_address(value: str) -> bool:
    """A 0x-prefixed 40-hex-digit address (any case)."""
    if len(value) != 42 or not value.startswith("0x"):
        return False
    try:
        int(value[2:], 16)
    except ValueError:
        return False
    return True


def _active_ctx(venue: Venue, coin: str) -> dict[str, Any]:
    meta, ctxs = venue.meta_and_asset_ctxs()
    for market, ctx in zip(meta["universe"], ctxs, strict=False):
        if market["name"] == coin:
            return {"coin": coin, "ctx": ctx}
    return {"coin": coin, "ctx": {}}


def _ws_fundings(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """userFunding info rows -> the flatter shape of the userFundings WS channel."""
    out = []
    for row in rows:
        delta = row.get("delta", {})
        out.append(
            {
                "time": row.get("time"),
                "coin": delta.get("coin"),
                "usdc": delta.get("usdc"),
                "szi": delta.get("szi"),
                "fundingRate": delta.get("fundingRate"),
                "nSamples": delta.get("nSamples"),
            }
        )
    return out

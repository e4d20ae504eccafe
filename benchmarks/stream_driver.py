"""The load generator of the streaming benchmarks (ui_stream.py, soak.py), in its own process.

Run by them as ``python benchmarks/stream_driver.py URL --coins A,B --source S``; its CPU must
not run on the app's loop, which is what they measure. Two sources of ``trades`` messages:

* ``orders``: signed bulk IOC orders to the venue over raw keep-alive HTTP, one order per
  watched coin per action, 5% through the latest mid so they cross the synthetic makers, buys
  and sells alternating. The venue pushes one ``trades`` message per coin per action, so
  ``rate`` messages/s take rate / coins actions/s. Real end to end, but the venue runs on one
  core: on a 2-core machine it tops out near 6,500 messages/s (96% CPU), below what the app
  can take. Orders are signed as they are sent (0.2 ms each; 4% of a core at 2,000 msg/s):
  pre-signing an hour would hold a gigabyte.
* ``synthetic``: a WebSocket relay between the app and the venue. It forwards everything both
  ways (subscriptions, books, contexts, mids, the venue's own trades) and adds ``trades``
  messages shaped like the venue's, round-robin over the coins, time-stamped when written, in
  batches every 5 ms written with one socket write. This offers the app more than the venue
  could make. If the app stops reading, the relay stops adding once 4 MB wait unsent (they are
  counted as ``dropped``) instead of buffering without end.

Control, one line each way: it prints ``ready <relay ws url or ->``, then reads ``rate R``
(messages/s; 0 pauses) and answers with a JSON line of what was offered since the previous
command; ``quit`` answers the same way and exits.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import hashlib
import json
import os
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402

from wallet_perps.core.numbers import round_price, round_size  # noqa: E402
from wallet_perps.crypto.secp256k1 import address_from_private_key  # noqa: E402
from wallet_perps.hyperliquid.actions import LimitType, OrderSpec, order_action  # noqa: E402
from wallet_perps.hyperliquid.signing import sign_l1_action  # noqa: E402

#: The environment variable that hands the venue's admin token (for /sim/faucet) to the driver.
ADMIN_TOKEN_ENV = "WALLET_PERPS_VENUE_ADMIN_TOKEN"
OK_PREFIX = b'{"status":"ok"'
#: Synthetic messages are not added while this much waits unsent to the app.
MAX_UNSENT = 4_000_000
INJECT_TICK_S = 0.005
_WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def private_key(index: int) -> str:
    return "0x" + f"{index + 1:064x}"


async def post_json(
    http: aiohttp.ClientSession, url: str, body: Any, headers: dict[str, str] | None = None
) -> Any:
    async with http.post(url, json=body, headers=headers) as resp:
        resp.raise_for_status()
        return await resp.json()


async def fund(url: str, user: str, usdc: str, admin_token: str) -> None:
    """Credit ``user`` through the venue's faucet (an admin route)."""
    async with aiohttp.ClientSession() as http:
        answer = await post_json(
            http,
            f"{url}/sim/faucet",
            {"user": user, "usdc": usdc},
            {"X-Wallet-Perps-Admin": admin_token},
        )
    if answer != {"status": "ok"}:
        raise RuntimeError(f"faucet refused: {answer}")


async def _read_response(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
            break
    return await reader.readexactly(length)


class Counts:
    """What a source offered since the last report."""

    def __init__(self) -> None:
        self.t0 = time.perf_counter()
        self.offered = 0  # trades messages the venue was asked for / the relay wrote
        self.requests = 0
        self.ok = 0
        self.dropped = 0

    def reset(self) -> None:
        self.t0 = time.perf_counter()
        self.offered = self.requests = self.ok = self.dropped = 0

    def take(self) -> dict[str, float]:
        now = time.perf_counter()
        out = {
            "seconds": now - self.t0,
            "offered": self.offered,
            "requests": self.requests,
            "ok": self.ok,
            "dropped": self.dropped,
        }
        self.reset()
        return out


# ------------------------------------------------------------------------------------------
# orders


class OrderSource:
    """Bulk IOC orders, one connection and one request in flight per lane, paced to a rate."""

    def __init__(self, url: str, coins: list[str], lanes: int, counts: Counts) -> None:
        self.url = url
        self.coins = coins
        self.keys = [private_key(70_000 + i) for i in range(lanes)]
        self.counts = counts
        self.rate = 0.0
        self.changed = asyncio.Event()
        self.generation = 0
        self._markets: dict[str, tuple[int, int]] = {}
        self._mids: dict[str, Decimal] = {}
        self._host, port = url[len("http://") :].split(":")
        self._port = int(port)

    async def prepare(self, admin_token: str) -> None:
        for key in self.keys:
            await fund(self.url, address_from_private_key(key), "10000000", admin_token)
        async with aiohttp.ClientSession() as http:
            meta = await post_json(http, f"{self.url}/info", {"type": "meta"})
        self._markets = {
            m["name"]: (i, int(m["szDecimals"])) for i, m in enumerate(meta["universe"])
        }
        await self._refresh_mids()

    async def _refresh_mids(self) -> None:
        async with aiohttp.ClientSession() as http:
            mids = await post_json(http, f"{self.url}/info", {"type": "allMids"})
        self._mids = {c: Decimal(mids[c]) for c in self.coins}

    def set_rate(self, rate: float) -> None:
        self.rate = rate
        self.generation += 1
        self.changed.set()

    def _request(self, key: str, buy: bool, nonce: int) -> bytes:
        slip = Decimal("1.05") if buy else Decimal("0.95")
        specs = []
        for coin in self.coins:
            asset, sz_decimals = self._markets[coin]
            mid = self._mids[coin]
            px = round_price(mid * slip, sz_decimals, direction="up" if buy else "down")
            size = round_size(Decimal(15) / mid, sz_decimals, "up")  # above the $10 minimum
            specs.append(OrderSpec(asset, buy, px, size, LimitType("Ioc")))
        action = order_action(specs)
        signature = sign_l1_action(key, action, nonce, is_mainnet=False)
        body = {"action": action, "nonce": nonce, "signature": signature, "vaultAddress": None}
        payload = json.dumps(body, separators=(",", ":")).encode()
        head = (
            f"POST /exchange HTTP/1.1\r\nHost: {self._host}:{self._port}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n"
        )
        return head.encode() + payload

    async def run(self) -> None:
        async def mids_loop() -> None:
            while True:  # an hour of drift must not leave the IOC prices behind the book
                await asyncio.sleep(20)
                with contextlib.suppress(aiohttp.ClientError, OSError):
                    await self._refresh_mids()

        refresher = asyncio.create_task(mids_loop())
        try:
            await asyncio.gather(*(self._lane(i) for i in range(len(self.keys))))
        finally:
            refresher.cancel()

    async def _lane(self, index: int) -> None:
        reader, writer = await asyncio.open_connection(self._host, self._port)
        key, lanes = self.keys[index], len(self.keys)
        nonce, sent, generation, next_at = 0, 0, -1, 0.0
        while True:
            if self.rate <= 0:
                self.changed.clear()
                await self.changed.wait()
                continue
            interval = lanes * len(self.coins) / self.rate
            now = time.perf_counter()
            if generation != self.generation:  # a new rate: restart the schedule, staggered
                generation = self.generation
                next_at = now + interval * index / lanes
            if next_at > now:
                await asyncio.sleep(next_at - now)
            nonce = max(nonce + 1, int(time.time() * 1000))
            writer.write(self._request(key, (sent + index) % 2 == 0, nonce))
            answer = await _read_response(reader)
            sent += 1
            self.counts.requests += 1
            if answer.startswith(OK_PREFIX):
                self.counts.ok += 1
                self.counts.offered += answer.count(b'"filled"')
            next_at = max(next_at + interval, time.perf_counter() - interval)


# ------------------------------------------------------------------------------------------
# synthetic: a relay that adds trades messages


def ws_frame(payload: bytes, opcode: int = 0x1) -> bytes:
    """One unmasked, unfragmented server frame."""
    n = len(payload)
    if n < 126:
        head = bytes((0x80 | opcode, n))
    elif n < 65536:
        head = bytes((0x80 | opcode, 126)) + n.to_bytes(2, "big")
    else:
        head = bytes((0x80 | opcode, 127)) + n.to_bytes(8, "big")
    return head + payload


async def read_client_frame(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """(opcode, payload) of one client frame (masked; the app's client never fragments)."""
    b0, b1 = await reader.readexactly(2)
    n = b1 & 0x7F
    if n == 126:
        n = int.from_bytes(await reader.readexactly(2), "big")
    elif n == 127:
        n = int.from_bytes(await reader.readexactly(8), "big")
    mask = await reader.readexactly(4) if b1 & 0x80 else b""
    data = await reader.readexactly(n)
    if mask and n:
        key = int.from_bytes((mask * (n // 4 + 1))[:n], "big")
        data = (int.from_bytes(data, "big") ^ key).to_bytes(n, "big")
    return b0 & 0x0F, data


class Relay:
    """A WebSocket server for the app that relays to the venue and adds trades messages."""

    TEMPLATE = (
        '{"channel":"trades","data":[{"coin":"%s","side":"%s","px":"%s","sz":"0.01",'
        '"hash":"0x%064x","time":%d,"tid":%d,"users":["0x%040x","0x%040x"]}]}'
    )

    def __init__(self, url: str, coins: list[str], counts: Counts) -> None:
        self.venue_ws = "ws://" + url[len("http://") :] + "/ws"
        self.url = url
        self.coins = coins
        self.counts = counts
        self.rate = 0.0
        self.mids: dict[str, str] = {}
        self.tid = 10**12  # far above the venue's own trade ids
        self.port = 0

    async def start(self) -> str:
        async with aiohttp.ClientSession() as http:
            mids = await post_json(http, f"{self.url}/info", {"type": "allMids"})
        self.mids = {c: str(mids[c]) for c in self.coins}
        server = await asyncio.start_server(self._client, "127.0.0.1", 0)
        self.port = server.sockets[0].getsockname()[1]
        return f"ws://127.0.0.1:{self.port}/ws"

    def set_rate(self, rate: float) -> None:
        self.rate = rate

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
        key = next(
            line.split(":", 1)[1].strip()
            for line in head.split("\r\n")
            if line.lower().startswith("sec-websocket-key:")
        )
        accept = base64.b64encode(hashlib.sha1((key + _WS_GUID).encode()).digest()).decode()
        writer.write(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Accept: {accept}\r\n\r\n".encode()
        )
        async with (
            aiohttp.ClientSession() as http,
            http.ws_connect(self.venue_ws, max_msg_size=64 * 1024 * 1024) as venue,
        ):
            tasks = [
                asyncio.create_task(self._upstream(reader, writer, venue)),
                asyncio.create_task(self._downstream(venue, writer)),
                asyncio.create_task(self._inject(writer)),
            ]
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in tasks:
                task.cancel()
            await asyncio.wait(tasks)
        writer.close()

    async def _upstream(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        venue: aiohttp.ClientWebSocketResponse,
    ) -> None:
        with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):
            while True:
                opcode, data = await read_client_frame(reader)
                if opcode == 0x1:
                    await venue.send_str(data.decode())
                elif opcode == 0x9:
                    writer.write(ws_frame(data, 0xA))
                elif opcode == 0x8:
                    return

    async def _downstream(
        self, venue: aiohttp.ClientWebSocketResponse, writer: asyncio.StreamWriter
    ) -> None:
        async for msg in venue:
            if msg.type is not aiohttp.WSMsgType.TEXT:
                continue
            text: str = msg.data
            if text.startswith('{"channel":"allMids"'):
                mids = json.loads(text)["data"]["mids"]
                self.mids.update((c, mids[c]) for c in self.coins if c in mids)
            writer.write(ws_frame(text.encode()))

    async def _inject(self, writer: asyncio.StreamWriter) -> None:
        owed, last, turn = 0.0, time.perf_counter(), 0
        coins, template, n_coins = self.coins, self.TEMPLATE, len(self.coins)
        transport = writer.transport
        while True:
            await asyncio.sleep(INJECT_TICK_S)
            now = time.perf_counter()
            owed += self.rate * (now - last)
            last = now
            n = int(owed)
            if n <= 0:
                continue
            owed -= n
            if transport.get_write_buffer_size() > MAX_UNSENT:
                self.counts.dropped += n
                continue
            ms = int(time.time() * 1000)
            frames = []
            for _ in range(n):
                coin = coins[turn % n_coins]
                turn += 1
                self.tid += 1
                text = template % (
                    coin,
                    "B" if turn % 2 else "A",
                    self.mids[coin],
                    self.tid,
                    ms,
                    self.tid,
                    turn % 7 + 1,
                    turn % 5 + 11,
                )
                frames.append(ws_frame(text.encode()))
            writer.write(b"".join(frames))
            self.counts.offered += n


# ------------------------------------------------------------------------------------------


async def drive(args: argparse.Namespace) -> None:
    coins = args.coins.split(",")
    counts = Counts()
    source: OrderSource | Relay
    runner: asyncio.Task[Any]
    if args.source == "orders":
        source = OrderSource(args.url, coins, args.lanes, counts)
        await source.prepare(os.environ[ADMIN_TOKEN_ENV])
        runner = asyncio.create_task(source.run())
        print("ready -", flush=True)
    else:
        source = Relay(args.url, coins, counts)
        print("ready", await source.start(), flush=True)
        runner = asyncio.create_task(asyncio.Event().wait())
    loop = asyncio.get_running_loop()
    try:
        while True:
            line = (await loop.run_in_executor(None, sys.stdin.readline)).split()
            if not line or line[0] == "quit":
                print(json.dumps(counts.take()), flush=True)
                return
            if line[0] == "rate":
                report = counts.take()
                source.set_rate(float(line[1]))
                print(json.dumps(report), flush=True)
            if runner.done():
                runner.result()  # a failed source fails the driver, loudly
    finally:
        runner.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await runner


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("url", help="the venue's HTTP URL")
    p.add_argument("--coins", required=True, help="comma-separated coins the app watches")
    p.add_argument("--source", choices=("orders", "synthetic"), default="orders")
    p.add_argument("--lanes", type=int, default=8, help="order connections (orders source)")
    return p.parse_args(argv)


if __name__ == "__main__":
    if len(sys.argv) == 1:  # `dev.sh bench` runs every file here: this one only as a child
        print(__doc__.split("\n\n")[0])
        raise SystemExit(0)
    asyncio.run(drive(parse_args()))

"""Benchmark: the local venue's throughput, end to end, against baselines measured in this run.

Run with ``.venv/bin/python benchmarks/venue.py`` (``--help`` for the knobs). Two measurements:

1. **Signed orders/s accepted.** A real ``wallet-perps-venue`` process with a data directory
   (so every accepted action is committed to SQLite before its answer), no synthetic flow.
   ``--clients`` (48) accounts are funded through ``/sim/faucet``; then a few thousand orders are
   signed *before* the clock starts (signing is the client's cost, not the venue's): half are
   resting Gtc asks from maker accounts, half IOC buys from taker accounts that cross them and
   fill. One signer per concurrent connection, ascending nonces per signer. The orders go out
   over as many keep-alive HTTP/1.1 connections, one request in flight on each, and the
   rate of ``{"status":"ok",...}`` answers is reported. Baseline: an aiohttp server process
   with one POST handler that answers a fixed JSON body, hit by the very same client.

2. **WebSocket messages/s fanned out.** A venue process with synthetic flow on;
   ``--ws-clients`` (20) WebSocket connections each subscribe to l2Book, trades, bbo and
   activeAssetCtx of every market plus allMids, and count what they receive. The flow alone
   produces only a few hundred events a second (book, bbo, mids and contexts are coalesced per
   tick), so a driver also sends pre-signed crossing IOC orders as fast as they are answered
   (``--ws-drive`` caps the rate), each a ``trades`` event for every subscriber: the count is
   taken under that mixed load. Baseline: an aiohttp WebSocket server process that broadcasts
   one pre-serialised message of the venue's average message size to the same clients as fast
   as it can.

The load generator shares the machine's cores with the server, so it is kept light: the HTTP
client writes pre-built request bytes on raw asyncio streams and only checks an answer's
prefix; WebSocket clients only count frames. Exit status is 0 whether or not the goals are
met; each result line says PASS/MISS. ``--profile-orders FILE`` / ``--profile-ws FILE`` run
the venue under cProfile (about 2.5x slower, so those runs' numbers are not the result).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
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
from wallet_perps.services.venue_launcher import ServerChild, VenueChild  # noqa: E402

ORDERS_GOAL = 2_000.0
WS_GOAL = 20_000.0
OK_PREFIX = b'{"status":"ok"'

BASELINE_HTTP = r"""
import sys
from aiohttp import web

BODY = b'{"status":"ok","response":{"type":"order","data":{"statuses":[{"resting":{"oid":1}}]}}}'

async def handle(request):
    await request.read()
    return web.Response(body=BODY, content_type="application/json")

async def main():
    app = web.Application()
    app.router.add_post("/exchange", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    print(f"http://127.0.0.1:{runner.addresses[0][1]}", flush=True)
    await asyncio.Event().wait()

import asyncio
asyncio.run(main())
"""

BASELINE_WS = r"""
import asyncio, sys
from aiohttp import web, WSMsgType

SIZE = int(sys.argv[1])
TEXT = '{"channel":"trades","data":"' + "x" * max(0, SIZE - 30) + '"}'
clients = set()

async def handle(request):
    ws = web.WebSocketResponse(heartbeat=None)
    await ws.prepare(request)
    clients.add(ws)
    try:
        async for msg in ws:
            pass
    finally:
        clients.discard(ws)
    return ws

async def broadcast():
    while True:
        if not clients:
            await asyncio.sleep(0.01)
            continue
        for ws in list(clients):
            try:
                await ws.send_str(TEXT)
            except (ConnectionError, RuntimeError):
                clients.discard(ws)
        await asyncio.sleep(0)

async def main():
    app = web.Application()
    app.router.add_get("/ws", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    print(f"http://127.0.0.1:{runner.addresses[0][1]}", flush=True)
    asyncio.get_running_loop().create_task(broadcast())
    await asyncio.Event().wait()

asyncio.run(main())
"""


# ------------------------------------------------------------------------------------------
# Processes


def baseline_server(cmd: Sequence[str]) -> ServerChild:
    """A baseline server process, serving: it prints its URL first, as the venue does."""
    child = ServerChild(cmd, cwd=ROOT)
    child.wait_ready(60)
    return child


def start_venue(data: Path, *, flow: bool, profile: Path | None) -> VenueChild:
    """The venue through the app's own launcher, serving (under cProfile with ``profile``)."""
    # The WebSocket count opens --ws-clients connections from loopback, more than the
    # Hyperliquid-like default of 10 per client.
    args = ["--port", "0", "--data", str(data), "--max-connections-per-ip", "10000"]
    if not flow:
        args.append("--no-flow")
    profiler = ("-m", "cProfile", "-o", str(profile)) if profile is not None else ()
    venue = VenueChild(args, cwd=ROOT, interpreter_args=profiler)
    venue.wait_ready(60)
    return venue


# ------------------------------------------------------------------------------------------
# A light HTTP/1.1 keep-alive client on raw asyncio streams


def http_request(host: str, port: int, path: str, body: bytes) -> bytes:
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def _read_response(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
            break
    return await reader.readexactly(length)


@dataclass
class LoadResult:
    sent: int
    ok: int
    filled: int
    seconds: float
    server_cpu: float

    @property
    def ok_per_s(self) -> float:
        return self.ok / self.seconds

    @property
    def req_per_s(self) -> float:
        return self.sent / self.seconds


async def run_load(server: ServerChild, streams: list[list[bytes]], warmup: int) -> LoadResult:
    """One connection per stream, one request in flight on each; the first ``warmup``
    requests of every stream are sent before the clock starts."""
    host, port = server.url[len("http://") :].split(":")
    conns = [await asyncio.open_connection(host, int(port)) for _ in streams]
    ok = filled = 0

    async def send(
        conn: tuple[asyncio.StreamReader, asyncio.StreamWriter], reqs: list[bytes]
    ) -> None:
        nonlocal ok, filled
        reader, writer = conn
        for req in reqs:
            writer.write(req)
            answer = await _read_response(reader)
            if answer.startswith(OK_PREFIX):
                ok += 1
                if b'"filled"' in answer:
                    filled += 1

    await asyncio.gather(*(send(c, s[:warmup]) for c, s in zip(conns, streams, strict=True)))
    ok = filled = 0
    cpu0, t0 = server.cpu_seconds(), time.perf_counter()
    await asyncio.gather(*(send(c, s[warmup:]) for c, s in zip(conns, streams, strict=True)))
    seconds = time.perf_counter() - t0
    cpu = (server.cpu_seconds() - cpu0) / seconds
    for _, writer in conns:
        writer.close()
    return LoadResult(sum(len(s) - warmup for s in streams), ok, filled, seconds, cpu)


# ------------------------------------------------------------------------------------------
# Signed orders


def private_key(index: int) -> str:
    return "0x" + f"{index + 1:064x}"


async def post_json(
    session: aiohttp.ClientSession, url: str, body: Any, headers: dict[str, str] | None = None
) -> Any:
    async with session.post(url, json=body, headers=headers) as resp:
        resp.raise_for_status()
        return await resp.json()


async def fund(venue: VenueChild, addresses: list[str]) -> None:
    """Paper USDC through the admin route, with the token the venue printed."""
    url, headers = venue.url, venue.admin_headers
    async with aiohttp.ClientSession() as session:
        for address in addresses:
            answer = await post_json(
                session,
                f"{url}/sim/faucet",
                {"user": address, "usdc": "10000000"},
                headers,
            )
            assert answer == {"status": "ok"}, answer


async def market_info(url: str) -> dict[str, tuple[int, int, Decimal]]:
    """coin -> (asset index, szDecimals, oracle price)."""
    async with aiohttp.ClientSession() as session:
        meta, ctxs = await post_json(session, f"{url}/info", {"type": "metaAndAssetCtxs"})
    return {
        m["name"]: (i, int(m["szDecimals"]), Decimal(ctx["oraclePx"]))
        for i, (m, ctx) in enumerate(zip(meta["universe"], ctxs, strict=True))
    }


def order_size(oracle: Decimal, sz_decimals: int) -> Decimal:
    """About $15 of the coin: above the venue's $10 minimum order value."""
    return round_size(Decimal(15) / oracle, sz_decimals, "up")


def signed_body(key: str, spec: OrderSpec, nonce: int) -> bytes:
    action = order_action([spec])
    signature = sign_l1_action(key, action, nonce, is_mainnet=False)
    body = {"action": action, "nonce": nonce, "signature": signature, "vaultAddress": None}
    return json.dumps(body, separators=(",", ":")).encode()


def build_order_streams(
    url: str,
    keys: list[str],
    per_stream: int,
    asset: int,
    sz_decimals: int,
    oracle: Decimal,
) -> list[list[bytes]]:
    """Even streams: resting Gtc asks at the oracle; odd streams: IOC buys 1% through them."""
    host, port = url[len("http://") :].split(":")
    base_nonce = int(time.time() * 1000)
    ask_px = round_price(oracle, sz_decimals, direction="nearest")
    buy_px = round_price(oracle * Decimal("1.01"), sz_decimals, direction="up")
    size = order_size(oracle, sz_decimals)
    streams: list[list[bytes]] = []
    for s, key in enumerate(keys):
        maker = s % 2 == 0
        spec_px, tif = (ask_px, "Gtc") if maker else (buy_px, "Ioc")
        reqs = []
        for i in range(per_stream):
            spec = OrderSpec(
                asset=asset,
                is_buy=not maker,
                price=spec_px,
                size=size,
                order_type=LimitType(tif),  # type: ignore[arg-type]
            )
            body = signed_body(key, spec, base_nonce + i)
            reqs.append(http_request(host, int(port), "/exchange", body))
        streams.append(reqs)
    return streams


async def bench_orders(args: argparse.Namespace) -> tuple[LoadResult, LoadResult]:
    keys = [private_key(i) for i in range(args.clients)]
    addresses = [address_from_private_key(k) for k in keys]
    per_stream = args.orders // args.clients + args.warmup
    with tempfile.TemporaryDirectory(prefix="venue-bench-") as tmp:
        profile = Path(args.profile_orders) if args.profile_orders else None
        with start_venue(Path(tmp), flow=False, profile=profile) as venue:
            await fund(venue, addresses)
            markets = await market_info(venue.url)
            asset, sz_decimals, oracle = markets[args.coin]
            t0 = time.perf_counter()
            streams = build_order_streams(venue.url, keys, per_stream, asset, sz_decimals, oracle)
            sign_s = time.perf_counter() - t0
            n = sum(len(s) for s in streams)
            print(f"  pre-signed {n} orders in {sign_s:.2f} s ({n / sign_s:,.0f}/s, untimed)")
            venue_result = await run_load(venue, streams, args.warmup)
    baseline_cmd = [sys.executable, "-c", BASELINE_HTTP]
    with baseline_server(baseline_cmd) as baseline:
        host, port = baseline.url[len("http://") :].split(":")
        body = http_request(host, int(port), "/exchange", streams[0][0].split(b"\r\n\r\n", 1)[1])
        # Three times as many requests as the venue got, so the faster run is not too short.
        base_streams = [[body] * (3 * per_stream) for _ in keys]
        baseline_result = await run_load(baseline, base_streams, args.warmup)
    return venue_result, baseline_result


# ------------------------------------------------------------------------------------------
# WebSocket fan-out


@dataclass
class WsResult:
    messages: int
    bytes: int
    seconds: float
    server_cpu: float
    driver_orders: int = 0

    @property
    def per_s(self) -> float:
        return self.messages / self.seconds

    @property
    def avg_size(self) -> int:
        return self.bytes // max(1, self.messages)


async def ws_count(
    server: ServerChild,
    n_clients: int,
    subscriptions: list[dict[str, Any]],
    seconds: float,
    settle: float,
) -> WsResult:
    counts = [0] * n_clients
    sizes = [0] * n_clients
    counting = False
    stop = asyncio.Event()

    async def client(i: int, session: aiohttp.ClientSession, ready: asyncio.Event) -> None:
        async with session.ws_connect(server.ws_url, max_msg_size=0, autoping=False) as ws:
            for sub in subscriptions:
                await ws.send_str(json.dumps({"method": "subscribe", "subscription": sub}))
            ready.set()
            while not stop.is_set():
                msg = await ws.receive()
                if msg.type != aiohttp.WSMsgType.TEXT:
                    break
                if counting:
                    counts[i] += 1
                    sizes[i] += len(msg.data)

    async with aiohttp.ClientSession() as session:
        readies = [asyncio.Event() for _ in range(n_clients)]
        tasks = [asyncio.create_task(client(i, session, r)) for i, r in enumerate(readies)]
        await asyncio.gather(*(r.wait() for r in readies))
        await asyncio.sleep(settle)  # initial snapshots drain
        counting = True
        cpu0, t0 = server.cpu_seconds(), time.perf_counter()
        await asyncio.sleep(seconds)
        counting = False
        elapsed = time.perf_counter() - t0
        cpu = (server.cpu_seconds() - cpu0) / elapsed
        stop.set()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return WsResult(sum(counts), sum(sizes), elapsed, cpu)


def build_drive_streams(
    url: str, keys: list[str], markets: dict[str, tuple[int, int, Decimal]], per_stream: int
) -> list[list[bytes]]:
    """Crossing IOC orders, one stream per signer: round-robin over every market, alternately
    buying and selling 5% through the oracle, so each one sweeps the synthetic makers' quotes
    and is one ``trades`` event for every subscriber of that coin."""
    host, port = url[len("http://") :].split(":")
    base_nonce = int(time.time() * 1000)
    coins = list(markets)
    streams: list[list[bytes]] = []
    for s, key in enumerate(keys):
        reqs = []
        for i in range(per_stream):
            j = i * len(keys) + s
            asset, sz_decimals, oracle = markets[coins[j % len(coins)]]
            buy = (j // len(coins)) % 2 == 0
            slip = Decimal("1.05") if buy else Decimal("0.95")
            px = round_price(oracle * slip, sz_decimals, direction="up" if buy else "down")
            spec = OrderSpec(asset, buy, px, order_size(oracle, sz_decimals), LimitType("Ioc"))
            body = signed_body(key, spec, base_nonce + i)
            reqs.append(http_request(host, int(port), "/exchange", body))
        streams.append(reqs)
    return streams


async def drive(url: str, streams: list[list[bytes]], rate: float, stop: asyncio.Event) -> int:
    """Sends the streams (one connection each, one request in flight) until ``stop``, at about
    ``rate`` orders/s in total (0: as fast as the venue answers). Returns how many were sent;
    running out before ``stop`` is reported by the caller."""
    host, port = url[len("http://") :].split(":")
    conns = [await asyncio.open_connection(host, int(port)) for _ in streams]
    interval = len(streams) / rate if rate > 0 else 0.0
    sent = 0

    async def lane(
        conn: tuple[asyncio.StreamReader, asyncio.StreamWriter], reqs: list[bytes]
    ) -> None:
        nonlocal sent
        reader, writer = conn
        next_at = time.perf_counter()
        for req in reqs:
            if stop.is_set():
                return
            writer.write(req)
            await _read_response(reader)
            sent += 1
            if interval:
                next_at += interval
                delay = next_at - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                else:
                    next_at = time.perf_counter()

    await asyncio.gather(*(lane(c, r) for c, r in zip(conns, streams, strict=True)))
    for _, writer in conns:
        writer.close()
    return sent


async def bench_ws(args: argparse.Namespace) -> tuple[WsResult, WsResult]:
    with tempfile.TemporaryDirectory(prefix="venue-bench-ws-") as tmp:
        profile = Path(args.profile_ws) if args.profile_ws else None
        with start_venue(Path(tmp), flow=True, profile=profile) as venue:
            markets = await market_info(venue.url)
            subs: list[dict[str, Any]] = [{"type": "allMids"}]
            for coin in markets:
                for kind in ("l2Book", "trades", "bbo", "activeAssetCtx"):
                    subs.append({"type": kind, "coin": coin})
            keys = [private_key(10_000 + i) for i in range(args.ws_drive_clients)]
            await fund(venue, [address_from_private_key(k) for k in keys])
            driver = None
            stop = asyncio.Event()
            if args.ws_drive_orders > 0:
                per_stream = args.ws_drive_orders // len(keys)
                t0 = time.perf_counter()
                streams = build_drive_streams(venue.url, keys, markets, per_stream)
                print(
                    f"  pre-signed {per_stream * len(keys)} driver orders in "
                    f"{time.perf_counter() - t0:.2f} s (untimed)"
                )
                driver = asyncio.create_task(drive(venue.url, streams, args.ws_drive, stop))
            venue_result = await ws_count(venue, args.ws_clients, subs, args.ws_seconds, 1.0)
            stop.set()
            if driver is not None:
                venue_result.driver_orders = await driver
                if venue_result.driver_orders >= per_stream * len(keys):
                    print("  !! the driver ran out of orders before the count ended")
    size = venue_result.avg_size or 300
    with baseline_server([sys.executable, "-c", BASELINE_WS, str(size)]) as baseline:
        baseline_result = await ws_count(baseline, args.ws_clients, [], args.ws_seconds, 1.0)
    return venue_result, baseline_result


# ------------------------------------------------------------------------------------------


def verdict(value: float, goal: float) -> str:
    return "PASS" if value >= goal else "MISS"


async def main(args: argparse.Namespace) -> None:
    print(
        f"cores: {os.cpu_count()}  python {sys.version.split()[0]}  aiohttp {aiohttp.__version__}"
    )
    if not args.skip_orders:
        venue, base = await bench_orders(args)
        print(
            f"  venue: {venue.sent} orders in {venue.seconds:.2f} s over {args.clients} "
            f"connections, {venue.ok} ok ({venue.filled} filled), server CPU "
            f"{venue.server_cpu:.0%}; baseline: {base.sent} requests in {base.seconds:.2f} s, "
            f"server CPU {base.server_cpu:.0%}"
        )
        print(
            f"venue orders: {venue.ok_per_s:,.0f}/s accepted (baseline empty handler "
            f"{base.req_per_s:,.0f} req/s, ratio {venue.ok_per_s / base.req_per_s:.2f}) "
            f"goal >= {ORDERS_GOAL:,.0f}/s {verdict(venue.ok_per_s, ORDERS_GOAL)}",
            flush=True,
        )
    if not args.skip_ws:
        ws, ws_base = await bench_ws(args)
        print(
            f"  venue: {ws.messages} messages (avg {ws.avg_size} B) to {args.ws_clients} "
            f"clients in {ws.seconds:.1f} s (a driver sent {ws.driver_orders} crossing "
            f"IOC orders over the run), server CPU {ws.server_cpu:.0%}; "
            f"baseline: {ws_base.messages} messages of {ws_base.avg_size} B, "
            f"server CPU {ws_base.server_cpu:.0%}"
        )
        print(
            f"venue ws fan-out: {ws.per_s:,.0f} msg/s (baseline broadcast "
            f"{ws_base.per_s:,.0f} msg/s, ratio {ws.per_s / ws_base.per_s:.2f}) "
            f"goal >= {WS_GOAL:,.0f}/s {verdict(ws.per_s, WS_GOAL)}",
            flush=True,
        )


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--orders", type=int, default=8_000, help="timed orders (default 8000)")
    p.add_argument("--warmup", type=int, default=10, help="untimed orders per connection")
    p.add_argument("--clients", type=int, default=48, help="connections = signers (default 48)")
    p.add_argument("--coin", default="BTC")
    p.add_argument("--ws-clients", type=int, default=20)
    p.add_argument("--ws-seconds", type=float, default=10.0)
    p.add_argument(
        "--ws-drive",
        type=float,
        default=0.0,
        help="crossing IOC orders/s during the WS run (default 0: as fast as answered)",
    )
    p.add_argument("--ws-drive-clients", type=int, default=8, help="driver connections")
    p.add_argument(
        "--ws-drive-orders", type=int, default=40_000, help="pre-signed driver orders (0: none)"
    )
    p.add_argument("--skip-orders", action="store_true")
    p.add_argument("--skip-ws", action="store_true")
    p.add_argument("--profile-orders", help="run the venue under cProfile, stats to this file")
    p.add_argument("--profile-ws", help="run the venue under cProfile, stats to this file")
    return p.parse_args(argv)


if __name__ == "__main__":
    asyncio.run(main(parse_args()))

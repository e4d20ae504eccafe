"""Benchmark: the app's event loop while the local venue streams >= 2,000 messages/s into it.

Run with ``.venv/bin/python benchmarks/ui_stream.py`` (``--help`` for the knobs). The goal, from
the issue: while the local venue streams at least 2,000 messages/s to the app (books, trades
and contexts of 10 markets), the event loop's lag p99 stays under 16 ms (one frame at 60 Hz)
and the app keeps up (no growing backlog).

What runs where:

* a real ``wallet-perps-venue`` process (in memory, synthetic traders on, ``--seed``);
* this process is the app's hot path on ONE qasync loop with a QApplication (offscreen unless
  a display is set): a ``TradingSession`` (market-only; ``--account`` attaches a funded
  paper account), a ``SessionAdapter`` and the ``MainWindow`` showing the real ``TradePage``
  on BTC. The adapter watches the first ``--markets`` (10) coins: l2Book, trades and
  activeAssetCtx of each, plus the session's allMids;
* a driver process (this file with ``--driver``, so its CPU is not in the app's loop) sends
  pre-signed bulk IOC orders, one order per watched coin per action, 5% through the oracle so
  they cross the synthetic makers' quotes, alternately buying and selling. The venue pushes
  one ``trades`` message per coin per action (books, contexts and mids are coalesced per
  venue tick, 4 a second), so ``--rate`` trades messages/s take rate/10 actions/s; bulk
  actions keep the venue's per-request cost (HTTP, signature recovery) out of the way.

Two phases with the same window open:

1. **Idle, the baseline**: ``--idle-seconds`` with only the venue's synthetic traders.
2. **Streaming**: ``--seconds`` with the driver on.

In both, a probe coroutine awaits ``asyncio.sleep(0.005)`` again and again and records how late
it wakes: the loop's lag (p50/p99/max); the printed ratio is streaming p99 / idle p99. Every
text frame the app's WebSocket receives is counted by wrapping the client's receive handler
from outside (``HyperliquidWs._handle_text``: a public frame counter on ``HyperliquidWs``
would make this hook unnecessary). Backlog: every ``trades`` message's venue ``time`` is
compared with the wall clock when the app has parsed it (at clock speed 1 venue time is wall
time); an app that falls behind sees this delay grow through the run, so the median of the
last quarter is compared with the first (goal: grows by at most ``BACKLOG_SLACK_MS``). The
bytes waiting in the socket's kernel receive queue are sampled ten times a second, and a
reconnect (the venue drops a client 10,000 messages behind) is a failure too.

Also printed per phase, to explain a miss: CPU of the app, venue and driver processes; how
long the garbage collector ran (a full collection stops the loop); resident memory; and how
many timers are registered in the loop. qasync keeps a cancelled asyncio timer registered in
Qt until its deadline, and Qt's cost per timer operation grows with their number; the app's
WebSocket arms (and cancels) a 60 s idle timeout for every message it receives, so under load
the loop slows down once the first of them expire, about a minute in: the default 20 s run
warns when they pile up, ``--seconds 90`` shows the effect, ``--ws-idle-timeout 2`` shows the
same run without it.

Exit status is 0 whether or not the goals are met; each result line says PASS/MISS. The
machine's other load shares the cores with the venue, the driver and the app, so numbers are
noisy on a busy machine. Diagnostics: ``--profile FILE`` runs cProfile over the streaming
phase and prints the functions that cost the most (the profiler slows the app: that run's
numbers are not the result); ``--stall-stacks`` samples the main thread's stack whenever the
loop is stuck for 16 ms or more; ``--gc-freeze`` calls ``gc.freeze()`` once the window is up,
to show what that would save the app's full collections.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import fcntl
import gc
import json
import math
import os
import pstats
import select
import signal
import statistics
import subprocess
import sys
import tempfile
import termios
import threading
import time
import traceback
import urllib.request
from array import array
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402

from wallet_perps.core.numbers import round_price, round_size  # noqa: E402
from wallet_perps.hyperliquid.actions import LimitType, OrderSpec, order_action  # noqa: E402
from wallet_perps.hyperliquid.signing import (  # noqa: E402
    address_from_private_key,
    sign_l1_action,
)

MSGS_GOAL = 2_000.0
LAG_P99_GOAL_MS = 16.0
BACKLOG_SLACK_MS = 25.0
PROBE_S = 0.005
OK_PREFIX = b'{"status":"ok"'


# ------------------------------------------------------------------------------------------
# Child processes


class Child:
    """A child process that prints one line when it is ready (the venue: its URL).

    stderr goes to a temporary file (a full pipe would block a chatty child); its tail is
    shown when the child fails.
    """

    def __init__(
        self, cmd: Sequence[str], *, stdin: bool = False, env: dict[str, str] | None = None
    ) -> None:
        # Lives as long as the child; closed in stop().
        self.err: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115
        self.cmd = " ".join(cmd)
        self.proc = subprocess.Popen(
            list(cmd),
            stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self.err,
            text=True,
            cwd=ROOT,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
        )
        self.line = ""

    def wait_line(self, timeout_s: float = 60.0) -> str:
        """Block until the first line (the URL or "ready"); raise with its stderr if none."""
        assert self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout_s)
        self.line = self.proc.stdout.readline().strip() if ready else ""
        if not self.line:
            self.stop()
            raise RuntimeError(f"{self.cmd} did not start: {self.stderr_tail()}")
        return self.line

    def has_line(self) -> bool:
        assert self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], 0)
        return bool(ready)

    def stderr_tail(self) -> str:
        self.err.seek(0)
        return self.err.read()[-2000:].decode(errors="replace")

    def cpu_seconds(self) -> float:
        """User + system CPU time of the child so far (Linux; 0 elsewhere)."""
        return _cpu_seconds(self.proc.pid)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.err.close()


def pending_timers() -> int:
    """Callbacks waiting in qasync's timer table, cancelled ones included (0 if unknown).

    qasync gives every ``call_later`` a Qt timer and forgets a cancelled one only when its
    deadline passes, and Qt's cost per timer operation grows with the number registered.
    """
    loop = asyncio.get_running_loop()
    table = getattr(getattr(loop, "_timer", None), "_SimpleTimer__callbacks", None)
    return len(table) if isinstance(table, dict) else 0


def rss_mb() -> float:
    """This process's resident memory (Linux; 0 elsewhere)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except OSError:
        return 0.0
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


def _cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def watched_coins(url: str, count: int) -> list[str]:
    """The first ``count`` coins as ``SessionAdapter.coins()`` orders them (BTC, ETH, rest)."""
    request = urllib.request.Request(
        f"{url}/info",
        data=json.dumps({"type": "meta"}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as resp:
        meta = json.load(resp)
    names = [m["name"] for m in meta["universe"] if not m.get("isDelisted")]
    head = [c for c in ("BTC", "ETH") if c in names]
    return [*head, *(c for c in names if c not in head)][:count]


# ------------------------------------------------------------------------------------------
# The driver process: pre-signed bulk IOC orders, paced


def private_key(index: int) -> str:
    return "0x" + f"{index + 1:064x}"


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


#: The environment variable that hands the venue's admin token (for /sim/faucet) to the driver.
ADMIN_TOKEN_ENV = "WALLET_PERPS_VENUE_ADMIN_TOKEN"


def _admin(token: str) -> dict[str, str]:
    return {"X-Wallet-Perps-Admin": token}


async def _post_json(
    http: aiohttp.ClientSession, url: str, body: Any, headers: dict[str, str] | None = None
) -> Any:
    async with http.post(url, json=body, headers=headers) as resp:
        resp.raise_for_status()
        return await resp.json()


async def driver_prepare(args: argparse.Namespace) -> list[list[bytes]]:
    """Fund one signer per lane and sign every lane's bulk orders before the clock starts."""
    url: str = args.driver
    coins: list[str] = args.coins.split(",")
    keys = [private_key(70_000 + i) for i in range(args.lanes)]
    async with aiohttp.ClientSession() as http:
        for key in keys:
            answer = await _post_json(
                http,
                f"{url}/sim/faucet",
                {"user": address_from_private_key(key), "usdc": "10000000"},
                _admin(os.environ[ADMIN_TOKEN_ENV]),
            )
            assert answer == {"status": "ok"}, answer
        meta, ctxs = await _post_json(http, f"{url}/info", {"type": "metaAndAssetCtxs"})
    markets = {
        m["name"]: (i, int(m["szDecimals"]), Decimal(ctx["oraclePx"]))
        for i, (m, ctx) in enumerate(zip(meta["universe"], ctxs, strict=True))
    }
    sides: dict[bool, list[OrderSpec]] = {}
    for buy in (True, False):
        slip = Decimal("1.05") if buy else Decimal("0.95")
        specs = []
        for coin in coins:
            asset, sz_decimals, oracle = markets[coin]
            px = round_price(oracle * slip, sz_decimals, direction="up" if buy else "down")
            size = round_size(Decimal(15) / oracle, sz_decimals, "up")  # above the $10 minimum
            specs.append(OrderSpec(asset, buy, px, size, LimitType("Ioc")))
        sides[buy] = specs
    actions_per_s = (args.rate if args.rate > 0 else 5_000) / len(coins)
    per_lane = math.ceil(actions_per_s * args.seconds * 1.3 / args.lanes) + 10
    host, port = url[len("http://") :].split(":")
    base_nonce = int(time.time() * 1000)
    streams: list[list[bytes]] = []
    for lane, key in enumerate(keys):
        reqs = []
        for i in range(per_lane):
            action = order_action(sides[(i + lane) % 2 == 0])  # buy, sell, buy, ...
            nonce = base_nonce + i
            signature = sign_l1_action(key, action, nonce, is_mainnet=False)
            body = {"action": action, "nonce": nonce, "signature": signature, "vaultAddress": None}
            payload = json.dumps(body, separators=(",", ":")).encode()
            reqs.append(http_request(host, int(port), "/exchange", payload))
        streams.append(reqs)
    return streams


async def driver_send(args: argparse.Namespace, streams: list[list[bytes]]) -> dict[str, Any]:
    """One connection per lane, one request in flight on each, at about ``--rate`` / coins
    actions/s in total, for ``--seconds``. Counts the orders that filled: each is one
    ``trades`` message to the app."""
    host, port = args.driver[len("http://") :].split(":")
    conns = [await asyncio.open_connection(host, int(port)) for _ in streams]
    n_coins = len(args.coins.split(","))
    interval = len(streams) * n_coins / args.rate if args.rate > 0 else 0.0
    sent = ok = filled = 0
    t0 = time.perf_counter()
    deadline = t0 + args.seconds

    async def lane(
        conn: tuple[asyncio.StreamReader, asyncio.StreamWriter], reqs: list[bytes], offset: float
    ) -> None:
        nonlocal sent, ok, filled
        reader, writer = conn
        next_at = t0 + offset
        for req in reqs:
            delay = next_at - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            if time.perf_counter() >= deadline:
                return
            writer.write(req)
            answer = await _read_response(reader)
            sent += 1
            if answer.startswith(OK_PREFIX):
                ok += 1
                filled += answer.count(b'"filled"')
            next_at = max(next_at + interval, time.perf_counter() - interval)

    await asyncio.gather(
        *(
            lane(c, r, interval * i / len(streams))
            for i, (c, r) in enumerate(zip(conns, streams, strict=True))
        )
    )
    seconds = time.perf_counter() - t0
    for _, writer in conns:
        writer.close()
    ran_out = sent >= sum(len(r) for r in streams)
    return {"sent": sent, "ok": ok, "filled": filled, "seconds": seconds, "ran_out": ran_out}


def driver_main(args: argparse.Namespace) -> int:
    """``--driver URL``: prepare, print "ready", wait for "go" on stdin, drive, print JSON."""
    streams = asyncio.run(driver_prepare(args))
    print("ready", sum(len(s) for s in streams), flush=True)
    if sys.stdin.readline().strip() != "go":
        return 0
    result = asyncio.run(driver_send(args, streams))
    print(json.dumps(result), flush=True)
    return 0


# ------------------------------------------------------------------------------------------
# The app side: what is recorded during a phase


@dataclass
class Phase:
    name: str
    seconds: float = 0.0
    t0: float = 0.0
    lags_ms: list[float] = field(default_factory=list)
    frames: int = 0
    bytes: int = 0
    channels: Counter[str] = field(default_factory=Counter)
    #: (seconds into the phase, ms from a trade's venue time to the app having parsed it)
    #: (two flat arrays, not tuples: 200,000 samples must not show in the memory figure)
    delay_t: array[float] = field(default_factory=lambda: array("d"))
    delay_ms: array[float] = field(default_factory=lambda: array("d"))
    #: (seconds into the phase, bytes in the socket's kernel receive queue)
    rx_queue: list[tuple[float, int]] = field(default_factory=list)
    app_cpu: float = 0.0
    venue_cpu: float = 0.0
    driver_cpu: float = 0.0
    reconnects: int = 0
    #: Timers registered in the loop (qasync keeps a cancelled one until its deadline)
    pending_timers: tuple[int, int] = (0, 0)
    #: Resident memory of this process at the start and the end, MB
    rss_mb: tuple[float, float] = (0.0, 0.0)
    #: (seconds into the phase, ms) of every probe that woke later than the 16 ms goal
    spikes: list[tuple[float, float]] = field(default_factory=list)
    #: Garbage collections: generation -> durations in ms
    gc_ms: dict[int, list[float]] = field(default_factory=dict)
    #: Main-thread stacks seen while the loop was stalled (``--stall-stacks``), ~2 ms each
    stalls: Counter[str] = field(default_factory=Counter)

    @property
    def msgs_per_s(self) -> float:
        return self.frames / self.seconds if self.seconds else 0.0

    def lag(self, q: float) -> float:
        return percentile(self.lags_ms, q)

    def quarters(self, samples: Sequence[tuple[float, float]]) -> list[list[float]]:
        out: list[list[float]] = [[], [], [], []]
        for t, value in samples:
            out[min(3, int(4 * t / self.seconds))].append(value)
        return out


def percentile(values: Sequence[float], q: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


class Recorder:
    """Hooks on the app's receive path; records into the current phase (None: not counting)."""

    def __init__(self, session: Any) -> None:
        from wallet_perps.services.market import MarketEventKind

        self.session = session
        self.phase: Phase | None = None
        self._trades_kind = MarketEventKind.TRADES

    def on_text(self, text: str) -> None:
        """Every text frame, before the client parses it; must stay cheap."""
        phase = self.phase
        if phase is None:
            return
        phase.frames += 1
        phase.bytes += len(text)
        if text.startswith('{"channel":"'):
            phase.channels[text[12 : text.find('"', 12)]] += 1

    def on_market(self, event: Any) -> None:
        """A parsed market event: for trades, how old the newest trade is now."""
        phase = self.phase
        if phase is None or event.kind is not self._trades_kind or not event.coin:
            return
        trades = self.session.market.trades(event.coin)
        if trades:
            delay_ms = time.time() * 1000 - trades[0].time
            phase.delay_t.append(time.perf_counter() - phase.t0)
            phase.delay_ms.append(delay_ms)


class GcTimer:
    """Times the garbage collector's runs (a full collection can stall the loop)."""

    def __init__(self) -> None:
        self.phase: Phase | None = None
        self._started = 0.0
        gc.callbacks.append(self._on_gc)

    def close(self) -> None:
        with contextlib.suppress(ValueError):
            gc.callbacks.remove(self._on_gc)

    def _on_gc(self, stage: str, info: dict[str, int]) -> None:
        if stage == "start":
            self._started = time.perf_counter()
        elif self.phase is not None:
            ms = (time.perf_counter() - self._started) * 1000
            self.phase.gc_ms.setdefault(info["generation"], []).append(ms)


class StallSampler(threading.Thread):
    """Samples the main thread's Python stack every 2 ms while the loop is stalled.

    A poor man's py-spy: the probe coroutine calls :meth:`beat` each time it wakes; when no
    beat came for ``threshold_s`` the loop is stuck in some callback, and the innermost
    frames of the main thread say which. Only Python frames are seen, and only when the main
    thread lets go of the GIL (every 5 ms while it runs bytecode).
    """

    def __init__(self, threshold_s: float = 0.016) -> None:
        super().__init__(name="stall sampler", daemon=True)
        self.threshold_s = threshold_s
        self.phase: Phase | None = None
        self._beat = time.perf_counter()
        self._main = threading.main_thread().ident
        self._done = threading.Event()

    def beat(self) -> None:
        self._beat = time.perf_counter()

    def close(self) -> None:
        self._done.set()

    def run(self) -> None:
        while not self._done.wait(0.002):
            phase = self.phase
            if phase is None or time.perf_counter() - self._beat < self.threshold_s:
                continue
            frame = sys._current_frames().get(self._main or 0)
            if frame is None:
                continue
            frames = traceback.extract_stack(frame)[-6:]
            phase.stalls[
                " <- ".join(
                    f"{Path(f.filename).name}:{f.lineno} {f.name}" for f in reversed(frames)
                )
            ] += 1


def hook_receive(ws: Any, on_text: Callable[[str], None]) -> None:
    """Call ``on_text`` for every text frame ``ws`` receives, then let it handle the frame.

    An instance attribute shadows the method ``HyperliquidWs._serve`` calls per frame; ws.py is
    not changed.
    """
    original = ws._handle_text

    def counting(text: str) -> None:
        on_text(text)
        original(text)

    vars(ws)["_handle_text"] = counting


def rx_queue_bytes(ws: Any) -> int | None:
    """Bytes received by the kernel but not yet read by the app, on the WebSocket's socket."""
    conn = getattr(ws, "_ws", None)
    sock = conn.get_extra_info("socket") if conn is not None else None
    if sock is None:
        return None
    try:
        raw = fcntl.ioctl(sock.fileno(), termios.FIONREAD, b"\0\0\0\0")
    except OSError:
        return None
    return int.from_bytes(raw, sys.byteorder)


async def run_phase(
    phase: Phase,
    recorder: Recorder,
    ws: Any,
    venue: Child,
    driver: Child,
    watchers: Sequence[GcTimer | StallSampler],
    profiler: cProfile.Profile | None = None,
) -> Phase:
    """Probe the loop's lag for ``phase.seconds`` while the recorder counts into ``phase``."""
    reconnects0 = ws.reconnects
    rss0 = rss_mb()
    timers0 = pending_timers()
    cpu0 = (time.process_time(), venue.cpu_seconds(), driver.cpu_seconds())
    sampler = next((w for w in watchers if isinstance(w, StallSampler)), None)
    phase.t0 = t0 = time.perf_counter()
    recorder.phase = phase
    for watcher in watchers:
        watcher.phase = phase
    if profiler is not None:
        profiler.enable()
    next_rx = t0
    while (now := time.perf_counter()) - t0 < phase.seconds:
        if now >= next_rx:
            queued = rx_queue_bytes(ws)
            if queued is not None:
                phase.rx_queue.append((now - t0, queued))
            next_rx += 0.1
        before = time.perf_counter()
        await asyncio.sleep(PROBE_S)
        woke = time.perf_counter()
        if sampler is not None:
            sampler.beat()
        late_ms = max(0.0, (woke - before - PROBE_S) * 1000)
        phase.lags_ms.append(late_ms)
        if late_ms >= LAG_P99_GOAL_MS:
            phase.spikes.append((before - t0, late_ms))
    if profiler is not None:
        profiler.disable()
    recorder.phase = None
    for watcher in watchers:
        watcher.phase = None
    phase.seconds = elapsed = time.perf_counter() - t0
    phase.app_cpu = (time.process_time() - cpu0[0]) / elapsed
    phase.venue_cpu = (venue.cpu_seconds() - cpu0[1]) / elapsed
    phase.driver_cpu = (driver.cpu_seconds() - cpu0[2]) / elapsed
    phase.reconnects = ws.reconnects - reconnects0
    phase.rss_mb = (rss0, rss_mb())
    phase.pending_timers = (timers0, pending_timers())
    return phase


async def until(condition: Callable[[], object], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


@dataclass
class Outcome:
    coins: list[str]
    idle: Phase
    stream: Phase
    driver: dict[str, Any]


async def run_app(
    args: argparse.Namespace, venue: Child, coins: list[str], driver: Child
) -> tuple[Phase, Phase]:
    """Build the app's hot path on this loop, then measure the idle and streaming phases."""
    from wallet_perps.services.session import TradingSession
    from wallet_perps.services.trader import KeySigner
    from wallet_perps.ui.adapter import SessionAdapter
    from wallet_perps.ui.main_window import MainWindow
    from wallet_perps.ui.pages.trade import TradePage

    url = venue.line
    window = MainWindow("local")
    window.resize(1360, 860)
    window.show()
    ws_options: dict[str, float | tuple[float, float]] = {}
    if args.ws_idle_timeout:
        ws_options["idle_timeout"] = args.ws_idle_timeout
    if args.account:
        key = private_key(90_000 + args.seed)
        user = address_from_private_key(key).lower()
        async with aiohttp.ClientSession() as http:
            await _post_json(
                http,
                f"{url}/sim/faucet",
                {"user": user, "usdc": "10000"},
                _admin(args.admin_token),
            )
        session = TradingSession(url, KeySigner(key), user, False, ws_options=ws_options)
    else:
        session = TradingSession(url, ws_options=ws_options)
    recorder = Recorder(session)
    hook_receive(session.ws, recorder.on_text)
    unsubscribe = session.market.events.subscribe(recorder.on_market)
    await session.start()
    adapter = SessionAdapter(session)
    watchers: list[GcTimer | StallSampler] = []
    try:
        adapter.connection_changed.connect(window.set_connection)
        window.set_connection(adapter.connected, adapter.latency_ms)
        if args.account:
            window.set_address(session.user)
        page = TradePage(adapter)
        window.set_page("trade", page)
        window.show_page("trade")
        if list(adapter.coins()[: len(coins)]) != coins:
            raise RuntimeError(f"the app's coins {adapter.coins()} do not start with {coins}")
        for coin in coins:
            adapter.watch(coin)
        await until(
            lambda: (
                all(session.market.book(c) is not None for c in coins)
                and page.book.bid_rows[0][0].text()
            ),
            30,
            "every watched book and the Trade page's book",
        )
        await until(driver.has_line, 60, "the driver to sign its orders")
        print(f"  driver: {driver.wait_line().split()[1]} bulk orders pre-signed (untimed)")
        await asyncio.sleep(args.settle)
        if args.gc_freeze:
            gc.collect()
            gc.freeze()  # what the app could do once started: see --help
        watchers.append(GcTimer())
        if args.stall_stacks:
            sampler = StallSampler()
            sampler.start()
            watchers.append(sampler)
        idle = await run_phase(
            Phase("idle", args.idle_seconds), recorder, session.ws, venue, driver, watchers
        )
        assert driver.proc.stdin is not None
        driver.proc.stdin.write("go\n")
        driver.proc.stdin.flush()
        profiler = cProfile.Profile() if args.profile else None
        stream = await run_phase(
            Phase("streaming", args.seconds),
            recorder,
            session.ws,
            venue,
            driver,
            watchers,
            profiler,
        )
        if profiler is not None:
            profiler.dump_stats(args.profile)
        return idle, stream
    finally:
        for watcher in watchers:
            watcher.close()
        unsubscribe()
        await adapter.aclose()
        await session.stop()
        window.close()


def _quiet_qt(mode: Any, context: Any, message: str) -> None:
    """Qt's warnings, minus the offscreen plugin's note on every window it shows."""
    if "propagateSizeHints" not in message:
        print(message, file=sys.stderr)


def measure(args: argparse.Namespace) -> Outcome:
    import qasync
    from PySide6.QtCore import qInstallMessageHandler
    from PySide6.QtWidgets import QApplication

    from wallet_perps.ui.theme import style_sheet

    venue_cmd = [sys.executable, "-m", "wallet_perps.localvenue.cli", "--port", "0"]
    venue = Child([*venue_cmd, "--seed", str(args.seed)])
    driver: Child | None = None
    try:
        url = venue.wait_line()
        # The venue's second line: "admin-token <token>" for its /sim admin routes.
        assert venue.proc.stdout is not None
        args.admin_token = venue.proc.stdout.readline().strip().split(" ", 1)[1]
        coins = watched_coins(url, args.markets)
        driver = Child(
            [
                sys.executable,
                __file__,
                "--driver",
                url,
                "--coins",
                ",".join(coins),
                "--rate",
                str(args.rate),
                "--seconds",
                str(args.seconds),
                "--lanes",
                str(args.lanes),
            ],
            stdin=True,
            env={ADMIN_TOKEN_ENV: args.admin_token},
        )
        qInstallMessageHandler(_quiet_qt)
        app = QApplication.instance() or QApplication(sys.argv[:1])
        assert isinstance(app, QApplication)
        app.setStyleSheet(style_sheet("dark"))
        loop = qasync.QEventLoop(app)
        try:
            idle, stream = loop.run_until_complete(run_app(args, venue, coins, driver))
        finally:
            loop.close()
        out, _ = driver.proc.communicate(timeout=60)
        lines = [line for line in out.splitlines() if line.startswith("{")]
        if not lines:
            raise RuntimeError(f"the driver reported nothing: {driver.stderr_tail()}")
        return Outcome(coins, idle, stream, json.loads(lines[-1]))
    finally:
        if driver is not None:
            driver.stop()
        venue.stop()


# ------------------------------------------------------------------------------------------
# Report


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def describe(phase: Phase) -> str:
    top = ", ".join(f"{ch} {n / phase.seconds:,.0f}" for ch, n in phase.channels.most_common(5))
    full_gc = phase.gc_ms.get(2, [])
    young = [ms for gen in (0, 1) for ms in phase.gc_ms.get(gen, [])]
    spikes = ", ".join(f"{ms:.0f} ms at {t:.1f} s" for t, ms in phase.spikes[:8])
    return (
        f"  {phase.name}: {phase.seconds:.1f} s, {phase.msgs_per_s:,.0f} msg/s "
        f"({phase.bytes / phase.seconds / 1000:,.0f} kB/s; {top})\n"
        f"    loop lag p50 {phase.lag(0.5):.2f} ms, p99 {phase.lag(0.99):.2f} ms, max "
        f"{max(phase.lags_ms):.1f} ms over {len(phase.lags_ms)} probes; "
        f"{len(phase.spikes)} >= {LAG_P99_GOAL_MS:.0f} ms"
        + (f": {spikes}" if spikes else "")
        + f"\n    CPU: app {phase.app_cpu:.0%}, venue {phase.venue_cpu:.0%}, driver "
        f"{phase.driver_cpu:.0%}; GC: {len(young)} young collections "
        f"(longest {max(young, default=0):.1f} ms), {len(full_gc)} full "
        f"(longest {max(full_gc, default=0):.1f} ms); memory {phase.rss_mb[0]:,.0f} -> "
        f"{phase.rss_mb[1]:,.0f} MB; loop timers pending {phase.pending_timers[0]:,} -> "
        f"{phase.pending_timers[1]:,}"
    )


def print_stalls(phase: Phase, limit: int = 8) -> None:
    if not phase.stalls:
        return
    print(f"  where the loop was stuck while {phase.name} (2 ms samples, innermost frame first):")
    for stack, n in phase.stalls.most_common(limit):
        print(f"    {n:4d}  {stack}")


def report(args: argparse.Namespace, outcome: Outcome) -> None:
    idle, stream, drv = outcome.idle, outcome.stream, outcome.driver
    print(f"  app: TradePage on BTC, watching {len(outcome.coins)}: {' '.join(outcome.coins)}")
    print(describe(idle))
    print_stalls(idle)
    print(describe(stream))
    print_stalls(stream)
    print(
        f"  driver: {drv['sent']} bulk actions ({drv['ok']} ok) in {drv['seconds']:.1f} s, "
        f"{drv['filled']} orders filled = {drv['filled'] / drv['seconds']:,.0f} trades "
        f"messages/s asked of the venue (target "
        + (f"{args.rate:,.0f}/s)" if args.rate > 0 else "flat out)")
        + ("; it RAN OUT of pre-signed orders" if drv.get("ran_out") else "")
    )
    delay_q = stream.quarters(list(zip(stream.delay_t, stream.delay_ms, strict=True)))
    rx_q = stream.quarters([(t, float(b)) for t, b in stream.rx_queue])
    medians = [statistics.median(q) if q else math.nan for q in delay_q]
    p99s = [percentile(q, 0.99) for q in delay_q]
    print(
        "  trades delay, venue time -> parsed by the app, per quarter of the run: median "
        + " / ".join(f"{m:.1f}" for m in medians)
        + " ms, p99 "
        + " / ".join(f"{p:.1f}" for p in p99s)
        + f" ms ({len(stream.delay_ms)} messages); idle median "
        f"{statistics.median(idle.delay_ms) if idle.delay_ms else math.nan:.1f} ms"
    )
    print(
        "  socket receive queue per quarter: mean "
        + " / ".join(f"{statistics.fmean(q) if q else math.nan:,.0f}" for q in rx_q)
        + " B, max "
        + " / ".join(f"{max(q) if q else math.nan:,.0f}" for q in rx_q)
        + f" B; reconnects during the run: {stream.reconnects}"
    )
    first, last = stream.pending_timers
    if last - first > 10_000:
        print(
            f"  !! {last:,} timers pending in the loop at the end "
            f"({(last - first) / stream.seconds:,.0f}/s more): a cancelled asyncio timer "
            "stays registered in qasync/Qt until its deadline (the WebSocket's per-receive "
            "idle timeout, 60 s by default), and the loop slows as they pile up; run with "
            "--seconds 90 to see it"
        )
    rate = stream.msgs_per_s
    print(
        f"ui stream: {rate:,.0f} msg/s into the app over {stream.seconds:.0f} s (idle "
        f"{idle.msgs_per_s:,.0f} msg/s; {rate / MSGS_GOAL:.2f}x the goal) goal >= "
        f"{MSGS_GOAL:,.0f} msg/s {verdict(rate >= MSGS_GOAL)}"
    )
    p99, idle_p99 = stream.lag(0.99), idle.lag(0.99)
    print(
        f"ui stream: loop lag p99 {p99:.2f} ms streaming vs {idle_p99:.2f} ms idle (ratio "
        f"{p99 / idle_p99 if idle_p99 > 0 else math.inf:.2f}) goal < {LAG_P99_GOAL_MS:.0f} ms "
        f"{verdict(p99 < LAG_P99_GOAL_MS)}"
    )
    growth = medians[3] - medians[0]
    keeps_up = growth <= BACKLOG_SLACK_MS and stream.reconnects == 0
    print(
        f"ui stream: backlog: trades delay median {medians[0]:.1f} ms (first quarter) -> "
        f"{medians[3]:.1f} ms (last quarter), {growth:+.1f} ms, {stream.reconnects} reconnects "
        f"goal: grows <= {BACKLOG_SLACK_MS:.0f} ms, no reconnect {verdict(keeps_up)}",
        flush=True,
    )


def print_profile(path: str, limit: int = 30) -> None:
    print(f"\n--- cProfile of the app loop during streaming ({path}), by own time ---")
    stats = pstats.Stats(path)
    stats.sort_stats("tottime").print_stats(limit)
    print("--- by cumulative time ---")
    stats.sort_stats("cumulative").print_stats(limit)


def main(args: argparse.Namespace) -> int:
    if args.driver:
        return driver_main(args)
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    load = (
        " ".join(Path("/proc/loadavg").read_text().split()[:3])
        if os.path.exists("/proc/loadavg")
        else "?"
    )
    print(
        f"cores: {os.cpu_count()}  load: {load}  python {sys.version.split()[0]}  Qt platform: "
        f"{os.environ.get('QT_QPA_PLATFORM', 'default')}"
    )
    outcome = measure(args)
    report(args, outcome)
    if args.profile:
        print_profile(args.profile)
    return 0


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--seconds", type=float, default=20.0, help="streaming phase (default 20)")
    p.add_argument("--idle-seconds", type=float, default=10.0, help="idle baseline (default 10)")
    p.add_argument("--settle", type=float, default=2.0, help="pause before measuring")
    p.add_argument(
        "--rate",
        type=float,
        default=2_200.0,
        help="trades messages/s the driver asks of the venue (default 2200; 0: flat out)",
    )
    p.add_argument("--markets", type=int, default=10, help="coins the app watches (default 10)")
    p.add_argument("--lanes", type=int, default=4, help="driver connections (default 4)")
    p.add_argument("--seed", type=int, default=11, help="venue seed")
    p.add_argument("--account", action="store_true", help="attach a funded paper account")
    p.add_argument("--profile", help="cProfile the app loop while streaming, stats to this file")
    p.add_argument(
        "--ws-idle-timeout",
        type=float,
        default=0.0,
        help="the app's WebSocket idle_timeout in s (default: the app's own, 60)",
    )
    p.add_argument(
        "--gc-freeze",
        action="store_true",
        help="gc.freeze() once the window is up, so full collections skip startup objects",
    )
    p.add_argument(
        "--stall-stacks",
        action="store_true",
        help="sample the main thread's stack whenever the loop stalls >= 16 ms",
    )
    p.add_argument("--driver", help=argparse.SUPPRESS)  # internal: run as the driver process
    p.add_argument("--coins", default="", help=argparse.SUPPRESS)
    return p.parse_args(argv)


if __name__ == "__main__":
    raise SystemExit(main(parse_args()))

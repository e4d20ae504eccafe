"""The app side of the streaming benchmarks (ui_stream.py, soak.py): its hot path, and probes.

What runs where:

* a real ``wallet-perps-venue`` process (in memory, synthetic traders on, ``--seed``);
* a driver process (stream_driver.py, so its CPU is not on the app's loop) that makes the
  ``trades`` messages: real orders through the venue, or a relay adding messages (see there);
* this process is the app's hot path on ONE qasync loop with a QApplication (offscreen unless
  a display is set): a market-only ``TradingSession``, a ``SessionAdapter`` and the
  ``MainWindow`` showing the real ``TradePage`` on BTC, with the adapter watching the first
  ``markets`` coins (l2Book, trades and activeAssetCtx of each, plus allMids).

While a :class:`Phase` is measured, a probe coroutine awaits ``asyncio.sleep(0.005)`` again and
again and records how late it wakes (the loop's lag); every text frame the app's WebSocket
receives is counted by wrapping ``HyperliquidWs._handle_text`` from outside; each ``trades``
message's venue ``time`` is compared with the wall clock once the app has parsed it (the
delay: it grows when the app falls behind); the bytes waiting in the socket's kernel receive
queue are sampled ten times a second (stream_probes.py: all in memory that does not grow).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import select
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, TypeVar

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from stream_probes import (  # noqa: E402
    GcTimer,
    Histogram,
    Phase,
    Recorder,
    StallSampler,
    hook_receive,
    rx_queue_bytes,
)

from wallet_perps.services.venue_launcher import VenueChild, process_cpu_seconds  # noqa: E402

__all__ = [
    "LAG_GOAL_MS",
    "App",
    "Child",
    "Driver",
    "Histogram",
    "Phase",
    "VenueChild",
    "describe",
    "machine_line",
    "median",
    "open_app",
    "rss_mb",
    "rss_parts_mb",
    "run_phase",
    "run_qt",
    "start_venue",
    "watched_coins",
]

LAG_GOAL_MS = 16.0
PROBE_S = 0.005
T = TypeVar("T")


# ------------------------------------------------------------------------------------------
# Processes and what they cost


class Child:
    """A child process that prints one line when it is ready; stderr kept in a temp file."""

    def __init__(
        self, cmd: Sequence[str], *, stdin: bool = False, env: dict[str, str] | None = None
    ) -> None:
        # Lives as long as the child; closed in stop().
        self.err: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115
        self.cmd = " ".join(cmd)
        self._pending = b""
        self.proc = subprocess.Popen(
            list(cmd),
            stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self.err,
            cwd=ROOT,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
        )

    def wait_line(self, timeout_s: float = 120.0) -> str:
        """Block until the next line; raise with its stderr if none comes.

        Reads the pipe's descriptor itself: a buffered reader may hold the next line already
        while select() says nothing is waiting.
        """
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        deadline = time.monotonic() + timeout_s
        while b"\n" not in self._pending:
            left = deadline - time.monotonic()
            ready = left > 0 and select.select([fd], [], [], left)[0]
            chunk = os.read(fd, 65536) if ready else b""
            if not chunk:
                raise RuntimeError(f"{self.cmd} said nothing: {self.stderr_tail()}")
            self._pending += chunk
        line, self._pending = self._pending.split(b"\n", 1)
        return line.decode().strip()

    async def next_line(self, timeout_s: float = 120.0) -> str:
        """:meth:`wait_line` off the loop, so the app keeps running meanwhile."""
        return await asyncio.get_running_loop().run_in_executor(None, self.wait_line, timeout_s)

    def stderr_tail(self) -> str:
        if self.err.closed:
            return ""
        self.err.seek(0)
        return self.err.read()[-2000:].decode(errors="replace")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.err.close()


def rss_parts_mb() -> dict[str, float]:
    """Resident memory split: ``anon`` (heaps: Python, Qt, malloc) and ``file`` (libraries)."""
    parts: dict[str, float] = {}
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/smaps_rollup").read_text().splitlines():
            name, _, rest = line.partition(":")
            if rest.strip().endswith("kB"):
                parts[name] = int(rest.split()[0]) / 1000
    rss = parts.get("Rss", 0.0)
    anon = parts.get("Anonymous", 0.0)
    return {"rss": rss, "anon": anon, "file": rss - anon}


def rss_mb() -> float:
    """This process's resident memory, MB (page-table exact; /proc/self/statm lags behind)."""
    return rss_parts_mb()["rss"]


def pending_timers() -> int:
    """Callbacks waiting in qasync's timer table, cancelled ones included (0 if unknown)."""
    loop = asyncio.get_running_loop()
    table = getattr(getattr(loop, "_timer", None), "_SimpleTimer__callbacks", None)
    return len(table) if isinstance(table, dict) else 0


def median(values: Sequence[float]) -> float:
    """The middle value (upper middle of an even count); nan for none."""
    if not values:
        return math.nan
    return sorted(values)[len(values) // 2]


def headless_without_display() -> None:
    """Qt's offscreen platform unless a display is set (CI, a terminal over ssh)."""
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"


def machine_line() -> str:
    headless_without_display()
    load = (
        " ".join(Path("/proc/loadavg").read_text().split()[:3])
        if os.path.exists("/proc/loadavg")
        else "?"
    )
    return (
        f"cores: {os.cpu_count()}  load: {load}  python {sys.version.split()[0]}  Qt platform: "
        f"{os.environ.get('QT_QPA_PLATFORM', 'default')}"
    )


# ------------------------------------------------------------------------------------------
# The venue and the driver


def start_venue(seed: int) -> tuple[VenueChild, str, str]:
    """(child, HTTP URL, admin token) of an in-memory venue with synthetic traders."""
    venue = VenueChild(["--port", "0", "--seed", str(seed), "--exit-with-parent"], cwd=ROOT)
    ready = venue.wait_ready(60)  # kills the child if it does not come up
    assert ready.admin_token is not None, "a paper venue prints its admin token"
    return venue, ready.url, ready.admin_token


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


class Driver:
    """The stream_driver.py process: ``await set_rate(r)`` returns what it offered until now."""

    def __init__(
        self, url: str, coins: list[str], source: str, admin_token: str, lanes: int = 8
    ) -> None:
        script = str(Path(__file__).with_name("stream_driver.py"))
        cmd = [sys.executable, script, url, "--coins", ",".join(coins), "--source", source]
        self.child = Child(
            [*cmd, "--lanes", str(lanes)],
            stdin=True,
            env={"WALLET_PERPS_VENUE_ADMIN_TOKEN": admin_token},
        )
        self.source = source
        ready = self.child.wait_line(300).split()
        self.ws_url = None if ready[1] == "-" else ready[1]

    async def _command(self, line: str) -> dict[str, float]:
        stdin = self.child.proc.stdin
        assert stdin is not None
        stdin.write(line.encode() + b"\n")
        stdin.flush()
        answer: dict[str, float] = json.loads(await self.child.next_line(30))
        return answer

    async def set_rate(self, rate: float) -> dict[str, float]:
        return await self._command(f"rate {rate:.1f}")

    def stop(self) -> None:
        stdin = self.child.proc.stdin
        with contextlib.suppress(OSError, ValueError):
            if stdin is not None:
                stdin.write(b"quit\n")
                stdin.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.child.proc.wait(10)
        self.child.stop()


# ------------------------------------------------------------------------------------------
# The app


@dataclass
class App:
    session: Any
    page: Any
    recorder: Recorder
    coins: list[str]
    watchers: list[Any] = field(default_factory=list)  # each has close()


async def until(condition: Callable[[], object], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


@contextlib.asynccontextmanager
async def open_app(
    url: str, coins: list[str], ws_url: str | None = None, *, stall_stacks: bool = False
) -> AsyncIterator[App]:
    """The app's hot path on this loop: window, session, adapter, Trade page, coins watched."""
    from wallet_perps.heap_trim import HeapTrimmer
    from wallet_perps.services.session import TradingSession
    from wallet_perps.ui.adapter import SessionAdapter
    from wallet_perps.ui.main_window import MainWindow
    from wallet_perps.ui.pages.trade import TradePage

    window = MainWindow("local")
    window.resize(1360, 860)
    window.show()
    session = TradingSession(url, ws_url=ws_url)
    recorder = Recorder()
    hook_receive(session.ws, recorder)
    await session.start()
    adapter = SessionAdapter(session)
    app = App(session, None, recorder, coins)
    try:
        adapter.connection_changed.connect(window.set_connection)
        window.set_connection(adapter.connected, adapter.latency_ms)
        app.page = page = TradePage(adapter)
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
        app.watchers.append(GcTimer())
        app.watchers.append(HeapTrimmer())  # as wallet-perps runs it
        if stall_stacks:
            sampler = StallSampler()
            sampler.start()
            app.watchers.append(sampler)
        yield app
    finally:
        for watcher in app.watchers:
            watcher.close()
        await adapter.aclose()
        await session.stop()
        window.close()


async def run_phase(
    phase: Phase, app: App, venue: VenueChild, driver: Driver | None, profiler: Any = None
) -> Phase:
    """Probe the loop's lag for ``phase.seconds`` while the recorder counts into ``phase``."""
    ws = app.session.ws
    reconnects0 = ws.reconnects
    rss0 = rss_mb()
    timers0 = pending_timers()
    driver_pid = driver.child.proc.pid if driver is not None else 0
    cpu0 = (time.process_time(), venue.cpu_seconds(), process_cpu_seconds(driver_pid))
    sampler = next((w for w in app.watchers if isinstance(w, StallSampler)), None)
    phase.t0 = t0 = time.perf_counter()
    app.recorder.phase = phase
    for watcher in app.watchers:
        watcher.phase = phase
    if profiler is not None:
        profiler.enable()
    next_rx = t0
    while (now := time.perf_counter()) - t0 < phase.seconds:
        if now >= next_rx:
            queued = rx_queue_bytes(ws)
            if queued is not None:
                phase.rx_max = max(phase.rx_max, queued)
                phase.rx_sum += queued
                phase.rx_n += 1
            next_rx += 0.1
        before = time.perf_counter()
        await asyncio.sleep(PROBE_S)
        woke = time.perf_counter()
        if sampler is not None:
            sampler.beat()
        late_ms = max(0.0, (woke - before - PROBE_S) * 1000)
        phase.lags.add(late_ms)
        if late_ms >= LAG_GOAL_MS and len(phase.spikes) < 50:
            phase.spikes.append((before - t0, late_ms))
    if profiler is not None:
        profiler.disable()
    app.recorder.phase = None
    for watcher in app.watchers:
        watcher.phase = None
    phase.seconds = elapsed = time.perf_counter() - t0
    phase.app_cpu = (time.process_time() - cpu0[0]) / elapsed
    phase.venue_cpu = (venue.cpu_seconds() - cpu0[1]) / elapsed
    phase.driver_cpu = (process_cpu_seconds(driver_pid) - cpu0[2]) / elapsed
    phase.reconnects = ws.reconnects - reconnects0
    phase.rss_mb = (rss0, rss_mb())
    phase.pending_timers = (timers0, pending_timers())
    if not venue.running:
        raise RuntimeError(f"the venue died: {venue.stderr_tail()}")
    return phase


def describe(phase: Phase) -> str:
    top = ", ".join(f"{ch} {n / phase.seconds:,.0f}" for ch, n in phase.channels.most_common(5))
    full_gc = phase.gc_ms.get(2, [])
    young = [ms for gen in (0, 1) for ms in phase.gc_ms.get(gen, [])]
    spikes = ", ".join(f"{ms:.0f} ms at {t:.1f} s" for t, ms in phase.spikes[:6])
    return (
        f"  {phase.name}: {phase.seconds:.1f} s, {phase.msgs_per_s:,.0f} msg/s "
        f"({phase.bytes / phase.seconds / 1000:,.0f} kB/s; {top})\n"
        f"    loop lag p50 {phase.lag(0.5):.2f} ms, p99 {phase.lag(0.99):.2f} ms, max "
        f"{phase.lags.max:.1f} ms over {phase.lags.n} probes"
        + (f"; >= {LAG_GOAL_MS:.0f} ms: {spikes}" if spikes else "")
        + f"\n    CPU: app {phase.app_cpu:.0%}, venue {phase.venue_cpu:.0%}, driver "
        f"{phase.driver_cpu:.0%}; GC: {len(young)} young (longest {max(young, default=0):.1f} "
        f"ms), {len(full_gc)} full (longest {max(full_gc, default=0):.1f} ms); memory "
        f"{phase.rss_mb[0]:,.0f} -> {phase.rss_mb[1]:,.0f} MB; loop timers "
        f"{phase.pending_timers[0]:,} -> {phase.pending_timers[1]:,}"
    )


def run_qt(main: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run ``main()`` on a qasync loop with a QApplication (offscreen without a display)."""
    headless_without_display()
    import qasync
    from PySide6.QtCore import qInstallMessageHandler
    from PySide6.QtWidgets import QApplication

    from wallet_perps.ui.theme import style_sheet

    def quiet(mode: Any, context: Any, message: str) -> None:
        if "propagateSizeHints" not in message:  # the offscreen plugin, per window shown
            print(message, file=sys.stderr)

    qInstallMessageHandler(quiet)
    qapp = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(qapp, QApplication)
    qapp.setStyleSheet(style_sheet("dark"))
    loop = qasync.QEventLoop(qapp)
    try:
        result: T = loop.run_until_complete(main())
        return result
    finally:
        loop.close()

"""What the streaming benchmarks record while a phase runs, in memory that does not grow.

The benchmark lives in the process whose memory it reports, so its records must stay small
however long it runs: per-message samples kept in lists and arrays (16 bytes a trades message,
a float object per loop probe) were about 50 MB of the 60 MB that a 20-minute run at 2,200
messages/s once showed as the app "growing". Here every series is a fixed-size
:class:`Histogram` (percentiles within 2%) and the socket queue a running max and mean.
"""

from __future__ import annotations

import contextlib
import fcntl
import gc
import math
import sys
import termios
import threading
import time
import traceback
from array import array
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class Histogram:
    """Counts in fixed bins 2% wide from 0.001 ms to 1,000 s: percentiles within 2%, in a
    constant 8 kB however many values (an hour of per-message samples in lists or arrays
    grew the very memory figure the soak reports)."""

    LOW = 0.001
    STEP = math.log(1.02)
    BINS = int(math.log(1e6 / LOW) / STEP) + 2

    def __init__(self) -> None:
        self.counts = array("q", bytes(8 * self.BINS))
        self.n = 0
        self.max = 0.0

    def add(self, value: float) -> None:
        index = 0
        if value > self.LOW:
            index = min(self.BINS - 1, int(math.log(value / self.LOW) / self.STEP) + 1)
        self.counts[index] += 1
        self.n += 1
        if value > self.max:
            self.max = value

    def merged(self, *others: Histogram) -> Histogram:
        out = Histogram()
        for h in (self, *others):
            for i, count in enumerate(h.counts):
                if count:
                    out.counts[i] += count
            out.n += h.n
            out.max = max(out.max, h.max)
        return out

    def percentile(self, q: float) -> float:
        """The bin's upper edge (the largest value for the top bin)."""
        if not self.n:
            return math.nan
        target, seen = max(1, math.ceil(q * self.n)), 0
        for index, count in enumerate(self.counts):
            seen += count
            if seen >= target:
                return min(self.max, self.LOW * math.exp(self.STEP * index))
        return self.max

    def median(self) -> float:
        return self.percentile(0.5)


def _quarters() -> list[Histogram]:
    return [Histogram() for _ in range(4)]


@dataclass
class Phase:
    """What one phase recorded, in constant memory whatever its length and rate."""

    name: str
    seconds: float = 0.0
    t0: float = 0.0
    lags: Histogram = field(default_factory=Histogram)
    frames: int = 0
    bytes: int = 0
    channels: Counter[str] = field(default_factory=Counter)
    #: ms from a trade's venue time to the app having handled it, per quarter of the phase
    delay: list[Histogram] = field(default_factory=_quarters)
    #: bytes in the socket's kernel receive queue, sampled 10 times a second: max, sum, n
    rx_max: int = 0
    rx_sum: int = 0
    rx_n: int = 0
    app_cpu: float = 0.0
    venue_cpu: float = 0.0
    driver_cpu: float = 0.0
    reconnects: int = 0
    pending_timers: tuple[int, int] = (0, 0)
    rss_mb: tuple[float, float] = (0.0, 0.0)
    #: (seconds into the phase, ms) of the first probes that woke later than the lag goal
    spikes: list[tuple[float, float]] = field(default_factory=list)
    gc_ms: dict[int, list[float]] = field(default_factory=dict)
    stalls: Counter[str] = field(default_factory=Counter)

    @property
    def msgs_per_s(self) -> float:
        return self.frames / self.seconds if self.seconds else 0.0

    @property
    def trades_per_s(self) -> float:
        return self.channels["trades"] / self.seconds if self.seconds else 0.0

    def lag(self, q: float) -> float:
        return self.lags.percentile(q)

    def all_delays(self) -> Histogram:
        return self.delay[0].merged(*self.delay[1:])

    def delay_growth_ms(self) -> float:
        """Median trades delay of the last quarter minus the first's: > 0 means falling behind."""
        return self.delay[3].median() - self.delay[0].median()


class Recorder:
    """Hooks on the app's receive path; records into the current phase (None: not counting).

    The delay is taken once the client has handled a ``trades`` frame (parsed it, handed it
    to MarketData, announced it) from the frame's own text: asking MarketData for its trades
    would make it parse them, which it otherwise does only when the screen reads them.
    """

    def __init__(self) -> None:
        self.phase: Phase | None = None

    def on_text(self, text: str) -> None:
        """Every text frame, before the client parses it; must stay cheap."""
        phase = self.phase
        if phase is None:
            return
        phase.frames += 1
        phase.bytes += len(text)
        if text.startswith('{"channel":"'):
            phase.channels[text[12 : text.find('"', 12)]] += 1

    def handled(self, text: str) -> None:
        """After the client handled the frame: for trades, how old the newest trade is now."""
        phase = self.phase
        if phase is None or not text.startswith('{"channel":"trades"'):
            return
        at = text.rfind('"time":')  # the venue lists a message's trades oldest first
        if at < 0:
            return
        end = at + 7
        while text[end].isdigit():
            end += 1
        quarter = int(4 * (time.perf_counter() - phase.t0) / phase.seconds)
        phase.delay[min(3, quarter)].add(time.time() * 1000 - int(text[at + 7 : end]))


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
    """Samples the main thread's Python stack every 2 ms while the loop is stalled (16 ms+).

    The probe calls :meth:`beat` each time it wakes; only Python frames are seen, and only
    when the main thread lets go of the GIL.
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


def hook_receive(ws: Any, recorder: Recorder) -> None:
    """Show the recorder every text frame ``ws`` receives, before and after it handles it.

    An instance attribute shadows the method ``HyperliquidWs._serve`` calls per frame.
    """
    original = ws._handle_text
    before, after = recorder.on_text, recorder.handled

    def counting(text: str) -> None:
        before(text)
        original(text)
        after(text)

    vars(ws)["_handle_text"] = counting


def rx_queue_bytes(ws: Any) -> int | None:
    """Bytes received by the kernel but not yet read by the app, on the WebSocket's socket."""
    conn = getattr(ws, "_ws", None)  # a websockets ClientConnection while connected
    transport = getattr(conn, "transport", None)
    sock = transport.get_extra_info("socket") if transport is not None else None
    if sock is None:
        return None
    try:
        raw = fcntl.ioctl(sock.fileno(), termios.FIONREAD, b"\0\0\0\0")
    except OSError:
        return None
    return int.from_bytes(raw, sys.byteorder)

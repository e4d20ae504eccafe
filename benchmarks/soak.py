"""Soak: the app streaming 2,000 trades messages/s for an hour; does anything grow or slow?

Run with ``.venv/bin/python benchmarks/soak.py`` (``--minutes``, ``--rate``; ``--help``). The
goal, from the issue: at 2,000 msg/s for at least an hour, the app's resident memory is flat
after warm-up (it grows at most 5% between minute 10 and the end) and the loop's lag and the
trades' delay are the same in the last quarter of the run as in the first.

The set-up is ui_stream.py's (see stream_app.py): a real venue, the real Trade page watching
10 coins, and a driver process sending real signed orders (``--source synthetic``: a relay
adding messages instead). A short idle phase first is the same run's baseline. Then the run
is cut into windows of ``--sample-s`` (10 s); each prints one line: resident memory (and its
heap part), loop lag p50/p99/max, the median and p99 of the trades' delay (venue time to
parsed by the app), messages/s and CPU. Only these summaries are kept: the windows' raw
samples are dropped, so the benchmark does not grow the memory it measures.

The verdict lines compare resident memory at the warm-up mark (mean of that minute's
windows) with the last minute's, and the first quarter's windows with the last quarter's:
lag p99 (median over windows) must not rise by more than 25% or 2 ms, whichever is larger,
and the delay's median by more than 25 ms. An idle phase after the streaming is printed next
to the one before: on a shared machine other work moves the lag too, and an idle lag that
rose as much says the machine, not the app, changed.

Looking for growth: ``--heaps M`` prints, every M minutes, glibc's C heap (in use, free but
kept) and Python's allocator arenas: no pause, no allocation, so the run stays a result.
``--census M`` counts live objects by type every M minutes and prints the types that grew
(a ~50 ms pause, and the count itself leaves its mark on the heap); ``--tracemalloc M``
snapshots Python's allocations every M minutes and prints the sites that grew most, by
traceback (tracing slows the app several-fold and costs memory itself: that run's numbers are
not the result).
"""

from __future__ import annotations

import argparse
import asyncio
import ctypes
import gc
import os
import re
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from stream_app import (
    App,
    Driver,
    Phase,
    VenueChild,
    describe,
    machine_line,
    median,
    open_app,
    rss_parts_mb,
    run_phase,
    run_qt,
    start_venue,
    watched_coins,
)

GROWTH_GOAL = 0.05
LAG_SLACK = (1.25, 2.0)  # last quarter's lag p99 <= max(first * 1.25, first + 2 ms)
DELAY_SLACK_MS = 25.0


@dataclass(frozen=True)
class Window:
    """One sample window's summary (a few numbers; its raw samples are gone)."""

    minute: float
    rss: float
    anon: float
    lag_p50: float
    lag_p99: float
    lag_max: float
    delay_median: float
    delay_p99: float
    msgs_per_s: float
    trades_per_s: float
    app_cpu: float
    venue_cpu: float
    reconnects: int

    @classmethod
    def of(cls, phase: Phase, minute: float) -> Window:
        parts = rss_parts_mb()
        delays = phase.all_delays()
        return cls(
            minute,
            parts["rss"],
            parts["anon"],
            phase.lag(0.5),
            phase.lag(0.99),
            phase.lags.max,
            delays.median(),
            delays.percentile(0.99),
            phase.msgs_per_s,
            phase.trades_per_s,
            phase.app_cpu,
            phase.venue_cpu,
            phase.reconnects,
        )

    def line(self) -> str:
        return (
            f"  {self.minute:6.2f} min  rss {self.rss:6.1f} MB (heap {self.anon:5.1f})  lag p50 "
            f"{self.lag_p50:5.2f} p99 {self.lag_p99:6.2f} max {self.lag_max:6.1f} ms  delay "
            f"median {self.delay_median:6.1f} p99 {self.delay_p99:7.1f} ms  "
            f"{self.msgs_per_s:6,.0f} msg/s ({self.trades_per_s:5,.0f} trades)  CPU app "
            f"{self.app_cpu:4.0%} venue {self.venue_cpu:4.0%}"
            + (f"  {self.reconnects} RECONNECTS" if self.reconnects else "")
        )


class _MallInfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in (
            "arena",
            "ordblks",
            "smblks",
            "hblks",
            "hblkhd",
            "usmblks",
            "fsmblks",
            "uordblks",
            "fordblks",
            "keepcost",
        )
    ]


def malloc_line() -> str:
    """glibc's own account of the C heap (Qt, Python's large objects): in use, free, mmap'd.

    Free memory that keeps growing while "in use" stays flat is fragmentation, not a leak.
    Empty where the C library is not glibc.
    """
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallinfo2.restype = _MallInfo2
        info = libc.mallinfo2()
    except (OSError, AttributeError):
        return ""
    return (
        f"malloc in use {info.uordblks / 1e6:.1f} MB, free {info.fordblks / 1e6:.1f} MB, "
        f"mmap'd {info.hblkhd / 1e6:.1f} MB"
    )


def pymalloc_line() -> str:
    """Python's small-object allocator: arenas held now (1 MiB each on 3.10+) and ever.

    Arenas that stay although the blocks in them do not grow are fragmentation of Python's
    own heap (a freed arena is returned only when every block in it is free).
    """
    with tempfile.TemporaryFile(mode="w+b") as out:
        sys.stderr.flush()
        saved = os.dup(2)
        try:
            os.dup2(out.fileno(), 2)
            sys._debugmallocstats()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        out.seek(0)
        text = out.read().decode(errors="replace")
    found = dict(re.findall(r"# arenas (allocated current|highwater mark)\s*=\s*([\d,]+)", text))
    if not found:
        return ""
    current = found.get("allocated current", "?")
    return f"pymalloc arenas {current} (high water {found.get('highwater mark', '?')})"


class Census:
    """Live objects by type (those the GC tracks) and Python's allocated blocks, compared with
    the first count: cheap enough to run at full rate (one ~50 ms pause per count), unlike
    tracemalloc. Outside Python it sees only what glibc reports of the C heap (Qt, malloc):
    how much is in use and how much is free but kept."""

    def __init__(self, every_min: float) -> None:
        self.every_s = every_min * 60
        self.first: Counter[str] | None = None
        self.blocks = 0
        self.next_at = 0.0

    def maybe_count(self, elapsed_s: float, limit: int = 12) -> None:
        if elapsed_s < self.next_at:
            return
        self.next_at = elapsed_s + self.every_s
        gc.collect()
        counts = Counter(f"{type(o).__module__}.{type(o).__qualname__}" for o in gc.get_objects())
        blocks = sys.getallocatedblocks()
        if self.first is None:
            self.first, self.blocks = counts, blocks
            print(
                f"  census at {elapsed_s / 60:.1f} min: {blocks:,} blocks; {malloc_line()}; "
                f"{pymalloc_line()}",
                flush=True,
            )
            return
        grown = sorted(((n - self.first[k], k) for k, n in counts.items()), reverse=True)
        print(
            f"  census at {elapsed_s / 60:.1f} min: {blocks - self.blocks:+,} blocks; most "
            "grown: " + ", ".join(f"{k} {d:+,}" for d, k in grown[:limit] if d > 0),
            f"\n    {malloc_line()}; {pymalloc_line()}",
            flush=True,
        )


class HeapLines:
    """Every ``every_min`` minutes, one line on the C heap and Python's arenas (no census)."""

    def __init__(self, every_min: float) -> None:
        self.every_s = every_min * 60
        self.next_at = 0.0

    def maybe_count(self, elapsed_s: float) -> None:
        if elapsed_s >= self.next_at:
            self.next_at = elapsed_s + self.every_s
            print(f"  heaps at {elapsed_s / 60:.1f} min: {malloc_line()}; {pymalloc_line()}")


class Tracer:
    """tracemalloc snapshots; prints what grew most since the first, by traceback."""

    def __init__(self, every_min: float, frames: int = 4) -> None:
        self.every_s = every_min * 60
        self.first: tracemalloc.Snapshot | None = None
        self.next_at = 0.0
        tracemalloc.start(frames)

    def maybe_snapshot(self, elapsed_s: float, limit: int = 12) -> None:
        if elapsed_s < self.next_at:
            return
        self.next_at = elapsed_s + self.every_s
        gc.collect()
        ignore = [tracemalloc.Filter(False, tracemalloc.__file__)]
        snapshot = tracemalloc.take_snapshot().filter_traces(ignore)
        traced, _peak = tracemalloc.get_traced_memory()
        print(
            f"  tracemalloc at {elapsed_s / 60:.1f} min: {traced / 1e6:.1f} MB traced, "
            f"{tracemalloc.get_tracemalloc_memory() / 1e6:.1f} MB used by tracing",
            flush=True,
        )
        if self.first is None:
            self.first = snapshot
            return
        for stat in snapshot.compare_to(self.first, "traceback")[:limit]:
            if stat.size_diff <= 0:
                continue
            print(f"    +{stat.size_diff / 1e3:,.0f} kB in {stat.count_diff:+,} blocks:")
            for frame in stat.traceback.format()[-8:]:
                print(f"      {frame}")
        sys.stdout.flush()


async def soak(
    args: argparse.Namespace, venue: VenueChild, driver: Driver, coins: list[str]
) -> None:
    async with open_app(args.venue_url, coins, driver.ws_url) as app:
        await asyncio.sleep(args.settle)
        idle = await run_phase(Phase("idle", args.idle_seconds), app, venue, driver)
        print(describe(idle), flush=True)
        baseline = Window.of(idle, 0.0)
        print(f"idle baseline:\n{baseline.line()}", flush=True)
        await driver.set_rate(args.rate)
        tracer = Tracer(args.tracemalloc) if args.tracemalloc else None
        census: Census | HeapLines | None = None
        if args.census:
            census = Census(args.census)
        elif args.heaps:
            census = HeapLines(args.heaps)
        windows = await stream(args, app, venue, driver, tracer, census)
        offered = await driver.set_rate(0)
        print(
            f"  driver: {offered['offered']:,.0f} trades messages offered in "
            f"{offered['seconds']:,.0f} s = {offered['offered'] / offered['seconds']:,.0f}/s "
            f"(dropped {offered['dropped']:,.0f})"
        )
        await asyncio.sleep(args.settle)
        after = Window.of(
            await run_phase(Phase("idle", args.idle_seconds), app, venue, driver), 0.0
        )
        print(f"idle again after streaming (the machine's own noise now):\n{after.line()}")
        verdicts(args, baseline, windows, after)


async def stream(
    args: argparse.Namespace,
    app: App,
    venue: VenueChild,
    driver: Driver,
    tracer: Tracer | None,
    census: Census | HeapLines | None,
) -> list[Window]:
    windows: list[Window] = []
    t0 = time.perf_counter()
    end = t0 + args.minutes * 60
    print("streaming, one line per window:", flush=True)
    while time.perf_counter() < end - args.sample_s / 2:
        phase = await run_phase(Phase("window", args.sample_s), app, venue, driver)
        window = Window.of(phase, (time.perf_counter() - t0) / 60)
        del phase
        windows.append(window)
        print(window.line(), flush=True)
        if tracer is not None:
            tracer.maybe_snapshot(time.perf_counter() - t0)
        if census is not None:
            census.maybe_count(time.perf_counter() - t0)
    return windows


def quarter(windows: Sequence[Window], index: int) -> list[Window]:
    span = windows[-1].minute
    return [w for w in windows if min(3, int(4 * w.minute / span)) == index]


def verdicts(
    args: argparse.Namespace, baseline: Window, windows: list[Window], after: Window
) -> None:
    if len(windows) < 8:
        print("soak: too short to judge (fewer than 8 windows)")
        return
    span = windows[-1].minute
    warm = min(args.warmup_minutes, span / 3)
    at_warm = [w.rss for w in windows if warm <= w.minute < warm + 1] or [windows[0].rss]
    last = [w.rss for w in windows if w.minute >= span - 1]
    rss_warm, rss_end = statistics.fmean(at_warm), statistics.fmean(last)
    growth = rss_end / rss_warm - 1
    print(
        f"soak: memory {rss_warm:.1f} MB at minute {warm:.0f} -> {rss_end:.1f} MB at the end "
        f"(minute {span:.0f}), {growth:+.1%} (idle baseline {baseline.rss:.1f} MB, max "
        f"{max(w.rss for w in windows):.1f} MB) goal: grows <= {GROWTH_GOAL:.0%} "
        f"{'PASS' if growth <= GROWTH_GOAL else 'MISS'}"
    )
    first, final = quarter(windows, 0), quarter(windows, 3)
    lag1 = median([w.lag_p99 for w in first])
    lag4 = median([w.lag_p99 for w in final])
    lag_ok = lag4 <= max(lag1 * LAG_SLACK[0], lag1 + LAG_SLACK[1]) and lag4 < 16.0
    print(
        f"soak: loop lag p99 (median of windows) {lag1:.2f} ms first quarter -> {lag4:.2f} ms "
        f"last (idle {baseline.lag_p99:.2f} ms before, {after.lag_p99:.2f} ms after; worst window "
        f"{max(w.lag_p99 for w in windows):.2f} ms) goal: < +25% or +2 ms, < 16 ms "
        f"{'PASS' if lag_ok else 'MISS'}"
    )
    d1 = median([w.delay_median for w in first])
    d4 = median([w.delay_median for w in final])
    rate = statistics.fmean(w.trades_per_s for w in windows)
    reconnects = sum(w.reconnects for w in windows)
    delay_ok = d4 - d1 <= DELAY_SLACK_MS and reconnects == 0
    print(
        f"soak: trades delay median {d1:.1f} ms first quarter -> {d4:.1f} ms last, "
        f"{d4 - d1:+.1f} ms; {rate:,.0f} trades msg/s on average; {reconnects} reconnects "
        f"goal: grows <= {DELAY_SLACK_MS:.0f} ms, no reconnect {'PASS' if delay_ok else 'MISS'}",
        flush=True,
    )


def main(args: argparse.Namespace) -> int:
    print(machine_line(), flush=True)
    venue, args.venue_url, token = start_venue(args.seed)
    driver: Driver | None = None
    try:
        coins = watched_coins(args.venue_url, args.markets)
        driver = Driver(args.venue_url, coins, args.source, token)
        print(
            f"  soak: {args.minutes:g} min at {args.rate:,.0f} trades msg/s ({args.source}), "
            f"Trade page on BTC watching {len(coins)}: {' '.join(coins)}",
            flush=True,
        )
        run_qt(lambda: soak(args, venue, driver, coins))
    finally:
        if driver is not None:
            driver.stop()
        venue.stop()
    return 0


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--minutes", type=float, default=60.0, help="streaming time (default 60)")
    p.add_argument("--rate", type=float, default=2_000.0, help="trades msg/s (default 2000)")
    p.add_argument("--sample-s", type=float, default=10.0, help="window length (default 10 s)")
    p.add_argument(
        "--warmup-minutes", type=float, default=10.0, help="growth is measured from here (10)"
    )
    p.add_argument("--idle-seconds", type=float, default=10.0, help="idle baseline (default 10)")
    p.add_argument("--settle", type=float, default=2.0, help="pause before measuring")
    p.add_argument("--markets", type=int, default=10, help="coins the app watches (default 10)")
    p.add_argument("--seed", type=int, default=11, help="venue seed")
    p.add_argument("--source", choices=("orders", "synthetic"), default="orders")
    p.add_argument(
        "--tracemalloc",
        type=float,
        default=0.0,
        metavar="M",
        help="snapshot Python's allocations every M minutes; print the sites that grew",
    )
    p.add_argument(
        "--heaps",
        type=float,
        default=0.0,
        metavar="M",
        help="print the C heap and Python's arenas every M minutes (cheap; no census)",
    )
    p.add_argument(
        "--census",
        type=float,
        default=0.0,
        metavar="M",
        help="count live objects by type every M minutes; print the types that grew",
    )
    return p.parse_args(argv)


if __name__ == "__main__":
    raise SystemExit(main(parse_args()))

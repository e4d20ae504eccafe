"""Benchmark: how many market messages a second the app takes with its loop still smooth.

Run with ``.venv/bin/python benchmarks/ui_stream.py`` (``--help`` for the knobs). The goals,
from the issue: the app's capacity, the highest rate of streamed messages at which the event
loop's lag p99 stays under 16 ms (one frame at 60 Hz) with no growing backlog, is at least
10,000 messages/s; and the app's resident memory while streaming is at most 150 MB.

The set-up (stream_app.py has the details): a real venue process, this process running the
app's hot path on one qasync loop (the real ``TradePage`` on BTC, the adapter watching the
books, trades and contexts of 10 coins), and a driver process (stream_driver.py) making the
``trades`` messages. By default the driver is a relay between the app and the venue that adds
trades messages (``--source synthetic``): the venue runs on one core and tops out near 6,500
messages/s of real fills, below what the app takes, so real orders (``--source orders``) can
only show that the app keeps up with the venue.

Phases, all in one run with one window:

1. **Idle, the baseline**: ``--idle-seconds`` with only the venue's synthetic traders.
2. **Steps**: the driver offers ``--rates`` trades messages/s in turn, ``--step-seconds`` each
   (after a second to settle), stopping after the first step that fails. A step passes when
   the app received at least 95% of what was offered (none dropped by the relay), the loop's
   lag p99 is under 16 ms, the trades' delay (venue time to parsed by the app) grew by at most
   25 ms from the step's first quarter to its last, and the WebSocket did not reconnect.
   ``--bisect N`` then tries N rates between the last pass and the first failure.

The capacity is the highest passing rate. Printed beside it: the same run's idle lag and
resident memory, and the largest resident memory while streaming. ``--rate R`` runs one step
at R instead, with the long per-phase description (CPU of each process, GC, timers).
Diagnostics: ``--profile FILE`` runs cProfile over the steps (a profiled run's numbers are not
the result); ``--stall-stacks`` samples the main thread's stack when the loop stalls 16 ms+.
Exit status is 0 whether or not the goals are met; each result line says PASS or MISS.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from stream_app import (
    LAG_GOAL_MS,
    App,
    Driver,
    Phase,
    VenueChild,
    describe,
    machine_line,
    open_app,
    rss_parts_mb,
    run_phase,
    run_qt,
    start_venue,
    watched_coins,
)

CAPACITY_GOAL = 10_000.0
MEMORY_GOAL_MB = 150.0
BACKLOG_SLACK_MS = 25.0
DELIVERED = 0.95
DEFAULT_RATES = "2000,4000,6000,8000,10000,12000,14000,16000,20000,24000"


@dataclass
class Step:
    rate: float
    phase: Phase
    offered_per_s: float
    dropped: float
    rss: float

    @property
    def delivered(self) -> float:
        if self.offered_per_s <= 0:
            return 0.0
        return self.phase.trades_per_s / self.offered_per_s

    @property
    def source_bound(self) -> bool:
        """The driver could not offer the rate (the venue's one core, with real orders)."""
        return self.offered_per_s < DELIVERED * self.rate

    @property
    def lag_ok(self) -> bool:
        return self.phase.lag(0.99) < LAG_GOAL_MS

    @property
    def keeps_up(self) -> bool:
        return (
            self.delivered >= DELIVERED
            and self.dropped == 0
            and self.phase.delay_growth_ms() <= BACKLOG_SLACK_MS
            and self.phase.reconnects == 0
        )

    @property
    def passed(self) -> bool:
        return self.lag_ok and self.keeps_up and not self.source_bound

    def line(self) -> str:
        p = self.phase
        return (
            f"  {self.rate:7,.0f}/s offered {self.offered_per_s:7,.0f}/s, app got "
            f"{p.trades_per_s:7,.0f} trades msg/s ({self.delivered:4.0%}"
            + (f", {self.dropped:,.0f} dropped" if self.dropped else "")
            + f"); lag p50 {p.lag(0.5):5.2f} p99 {p.lag(0.99):6.2f} max "
            f"{p.lags.max:6.1f} ms; delay median {p.delay[0].median():6.1f} -> "
            f"{p.delay[3].median():6.1f} ms; CPU app {p.app_cpu:4.0%} driver {p.driver_cpu:4.0%} "
            f"venue {p.venue_cpu:4.0%}; {self.rss:5.1f} MB"
            + (f"; {p.reconnects} RECONNECTS" if p.reconnects else "")
            + ("  pass" if self.passed else "  FAIL")
            + (" (the source fell short of the rate)" if self.source_bound else "")
        )


async def run_step(
    args: argparse.Namespace,
    rate: float,
    app: App,
    venue: VenueChild,
    driver: Driver,
    profiler: cProfile.Profile | None,
) -> Step:
    await driver.set_rate(rate)
    await asyncio.sleep(1.0)  # the new rate reaches the app; not measured
    await driver.set_rate(rate)  # restart the driver's count
    phase = await run_phase(
        Phase(f"{rate:,.0f}/s", args.step_seconds), app, venue, driver, profiler
    )
    counts = await driver.set_rate(rate)
    offered = counts["offered"] / counts["seconds"] if counts["seconds"] else 0.0
    return Step(rate, phase, offered, counts["dropped"], rss_parts_mb()["rss"])


async def measure(
    args: argparse.Namespace, venue: VenueChild, driver: Driver, coins: list[str]
) -> tuple[Phase, list[Step], float]:
    async with open_app(
        args.venue_url, coins, driver.ws_url, stall_stacks=args.stall_stacks
    ) as app:
        await asyncio.sleep(args.settle)
        idle = await run_phase(Phase("idle", args.idle_seconds), app, venue, driver)
        idle_rss = rss_parts_mb()["rss"]
        print(describe(idle), flush=True)
        print_stalls(idle)
        profiler = cProfile.Profile() if args.profile else None
        steps: list[Step] = []
        rates = [args.rate] if args.rate else [float(r) for r in args.rates.split(",")]
        for rate in rates:
            steps.append(await run_step(args, rate, app, venue, driver, profiler))
            print(steps[-1].line(), flush=True)
            if not steps[-1].passed or steps[-1].source_bound:
                break
        passed = [s for s in steps if s.passed]
        failed = [s for s in steps if not s.passed]
        low = passed[-1].rate if passed else 0.0
        high = failed[0].rate if failed else 0.0
        for _ in range(args.bisect if failed and not failed[0].source_bound else 0):
            rate = round((low + high) / 2, -2)
            if rate in (low, high):
                break
            step = await run_step(args, rate, app, venue, driver, profiler)
            steps.append(step)
            print(step.line(), flush=True)
            low, high = (rate, high) if step.passed else (low, rate)
        await driver.set_rate(0)
        if profiler is not None:
            profiler.dump_stats(args.profile)
        if args.rate:
            print(describe(steps[0].phase))
            print_stalls(steps[0].phase)
        return idle, steps, idle_rss


def print_stalls(phase: Phase, limit: int = 8) -> None:
    if not phase.stalls:
        return
    print(f"  where the loop was stuck while {phase.name} (2 ms samples, innermost first):")
    for stack, n in phase.stalls.most_common(limit):
        print(f"    {n:4d}  {stack}")


def report(idle: Phase, steps: list[Step], idle_rss: float) -> None:
    passed = [s for s in steps if s.passed]
    best = max(passed, key=lambda s: s.rate, default=None)
    capacity = best.rate if best is not None else 0.0
    first_fail = min((s for s in steps if not s.passed), key=lambda s: s.rate, default=None)
    why = ""
    if first_fail is not None:
        reasons = []
        if not first_fail.lag_ok:
            reasons.append(f"lag p99 {first_fail.phase.lag(0.99):.1f} ms")
        if first_fail.delivered < DELIVERED or first_fail.dropped:
            reasons.append(f"received {first_fail.delivered:.0%} of the offer")
        if first_fail.phase.delay_growth_ms() > BACKLOG_SLACK_MS:
            reasons.append(f"delay grew {first_fail.phase.delay_growth_ms():+.0f} ms")
        if first_fail.phase.reconnects:
            reasons.append("reconnected")
        if first_fail.source_bound:
            reasons.append(f"only {first_fail.offered_per_s:,.0f}/s offered")
        why = f"; at {first_fail.rate:,.0f}/s: {', '.join(reasons) or 'failed'}"
    if steps[-1].source_bound and steps[-1].lag_ok and steps[-1].keeps_up:
        why += (
            f"; the app kept up with all the source could offer, {steps[-1].offered_per_s:,.0f}"
            "/s: its capacity is higher (--source synthetic offers more)"
        )
    print(
        f"ui stream: capacity {capacity:,.0f} trades msg/s with loop lag p99 < "
        f"{LAG_GOAL_MS:.0f} ms and no growing backlog (lag p99 there "
        f"{best.phase.lag(0.99) if best else float('nan'):.2f} ms vs {idle.lag(0.99):.2f} ms "
        f"idle{why}) goal >= {CAPACITY_GOAL:,.0f} msg/s "
        f"{'PASS' if capacity >= CAPACITY_GOAL else 'MISS'}"
    )
    streaming_rss = max(s.rss for s in steps if s.rate <= max(capacity, steps[0].rate))
    print(
        f"ui stream: memory {streaming_rss:.1f} MB resident while streaming (largest up to "
        f"capacity) vs {idle_rss:.1f} MB idle (ratio {streaming_rss / idle_rss:.2f}) goal <= "
        f"{MEMORY_GOAL_MB:.0f} MB {'PASS' if streaming_rss <= MEMORY_GOAL_MB else 'MISS'}",
        flush=True,
    )


def print_profile(path: str, limit: int = 30) -> None:
    print(f"\n--- cProfile of the app loop over the steps ({path}), by own time ---")
    stats = pstats.Stats(path)
    stats.sort_stats("tottime").print_stats(limit)
    print("--- by cumulative time ---")
    stats.sort_stats("cumulative").print_stats(limit)


def main(args: argparse.Namespace) -> int:
    print(machine_line(), flush=True)
    venue, args.venue_url, token = start_venue(args.seed)
    driver: Driver | None = None
    try:
        coins = watched_coins(args.venue_url, args.markets)
        driver = Driver(args.venue_url, coins, args.source, token, args.lanes)
        print(
            f"  app: TradePage on BTC, watching {len(coins)}: {' '.join(coins)}; trades "
            f"messages from {args.source} (" + ("relay" if driver.ws_url else "venue") + ")",
            flush=True,
        )
        bound = driver
        idle, steps, idle_rss = run_qt(lambda: measure(args, venue, bound, coins))
    finally:
        if driver is not None:
            driver.stop()
        venue.stop()
    report(idle, steps, idle_rss)
    if args.profile:
        print_profile(args.profile)
    return 0


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--rates", default=DEFAULT_RATES, help="offered trades msg/s, in order")
    p.add_argument("--rate", type=float, default=0.0, help="one step at this rate instead")
    p.add_argument("--step-seconds", type=float, default=10.0, help="per step (default 10)")
    p.add_argument("--bisect", type=int, default=2, help="extra steps after a failure (2)")
    p.add_argument("--idle-seconds", type=float, default=10.0, help="idle baseline (default 10)")
    p.add_argument("--settle", type=float, default=2.0, help="pause before measuring")
    p.add_argument("--source", choices=("synthetic", "orders"), default="synthetic")
    p.add_argument("--markets", type=int, default=10, help="coins the app watches (default 10)")
    p.add_argument("--lanes", type=int, default=8, help="driver connections (orders source)")
    p.add_argument("--seed", type=int, default=11, help="venue seed")
    p.add_argument("--profile", help="cProfile the app loop over the steps, stats to this file")
    p.add_argument(
        "--stall-stacks",
        action="store_true",
        help="sample the main thread's stack whenever the loop stalls >= 16 ms",
    )
    return p.parse_args(argv)


if __name__ == "__main__":
    raise SystemExit(main(parse_args()))

"""Benchmark of the venue store on this disk: ``python -m wallet_perps.localvenue.store_bench``.

Measures what :mod:`.store`'s docstring quotes: per-call latency and throughput of the calls
the server makes on its event loop (single appends, batches, the server's paced shape,
snapshots, load) with ``synchronous`` NORMAL and FULL.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Literal

from wallet_perps.localvenue.store import VenueStore


def _bench(directory: Path) -> None:
    """Throughput and per-call latency of the calls the server makes on its event loop."""
    payload = json.dumps(
        {
            "account": "0x" + "ab" * 20,
            "action": {
                "type": "order",
                "orders": [{"a": 0, "b": True, "p": "65000.5", "s": "0.01", "r": False}],
                "grouping": "na",
            },
            "nonce": 1_700_000_000_000,
            "signature": {"r": "0x" + "11" * 32, "s": "0x" + "22" * 32, "v": 27},
        }
    )

    def pct(samples: list[float], q: float) -> float:
        ordered = sorted(samples)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    def report(name: str, lat_s: list[float], per_call: int) -> None:
        total = sum(lat_s)
        us = [x * 1e6 for x in lat_s]
        print(
            f"{name:<34} {len(lat_s) * per_call / total:>10,.0f} entries/s   per call: "
            f"p50 {pct(us, 0.5):7.1f} µs  p99 {pct(us, 0.99):8.1f} µs  "
            f"p99.9 {pct(us, 0.999):8.1f} µs  max {max(us):8.1f} µs"
        )

    configs: list[tuple[str, Literal["NORMAL", "FULL"], bool, int]] = [
        ("NORMAL, background checkpoint", "NORMAL", True, 20_000),
        ("NORMAL, inline auto-checkpoint", "NORMAL", False, 20_000),
        ("FULL, background checkpoint", "FULL", True, 1_000),
    ]
    for label, sync, bg, n in configs:
        path = directory / f"bench-{sync}-{bg}.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        store = VenueStore(path, synchronous=sync, background_checkpoint=bg)
        print(f"-- {label} --")
        five = [("action", payload)] * 5
        if sync == "NORMAL":
            # What the server actually does: 2,000 orders/s arriving in loop turns of 5.
            lat: list[float] = []
            wal_max = 0
            wal = Path(f"{path}-wal")
            start = time.monotonic()
            for k in range(2_000 // 5 * 4):
                delay = start + k * 5 / 2_000 - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                t0 = time.perf_counter()
                store.append_many(five)
                lat.append(time.perf_counter() - t0)
                if k % 100 == 0 and wal.exists():
                    wal_max = max(wal_max, wal.stat().st_size)
            report("paced 2,000/s in batches of 5", lat, 5)
            slow = sum(x > 1e-3 for x in lat)
            print(f"  commits over 1 ms: {slow}/{len(lat)}; largest WAL seen {wal_max >> 20} MiB")
        lat = []
        for _ in range(n):
            t0 = time.perf_counter()
            store.append("action", payload)
            lat.append(time.perf_counter() - t0)
        report("append() (1 entry, 1 commit)", lat, 1)
        batch = [("action", payload)] * 100
        lat = []
        for _ in range(max(20, n // 100)):
            t0 = time.perf_counter()
            store.append_many(batch)
            lat.append(time.perf_counter() - t0)
        report("append_many(100) (1 commit)", lat, 100)
        for size_mib in (1, 8):
            blob = os.urandom(size_mib << 20)
            t0 = time.perf_counter()
            store.save_snapshot(store.last_seq, blob, {"bench": True})
            dt = time.perf_counter() - t0
            print(f"save_snapshot({size_mib} MiB) {dt * 1e3:8.2f} ms")
        store.append_many(batch * 10)
        t0 = time.perf_counter()
        got, _, entries = store.load()
        dt = time.perf_counter() - t0
        assert got is not None
        print(f"load() (8 MiB snapshot + {len(entries)} entries) {dt * 1e3:8.2f} ms")
        store.close()


if __name__ == "__main__":
    import argparse
    import tempfile

    parser = argparse.ArgumentParser(description="Benchmark the venue store on this disk.")
    parser.add_argument("--dir", type=Path, default=None, help="where to write (default: tmp)")
    ns = parser.parse_args()
    if ns.dir is not None:
        ns.dir.mkdir(parents=True, exist_ok=True)
        _bench(ns.dir)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            _bench(Path(tmp))

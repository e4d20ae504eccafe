"""``wallet-perps-venue``: the built-in local Hyperliquid-compatible venue, as its own process.

Prints one line with its URL when it is ready (the app and the tests wait for that line), then,
for a paper venue, ``admin-token <token>`` and ``admin-token-file <path>``: the per-run token
the /sim admin routes require (also written 0600 to ``<data>/admin-token``, or to a private
temporary directory without ``--data``). Stops cleanly on SIGINT/SIGTERM, taking a final
snapshot. Everything it writes is private to its user (umask 077).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from wallet_perps.core.collector import code_loaded, run_while_loading
from wallet_perps.core.networks import NETWORKS
from wallet_perps.localvenue.files import PRIVATE_UMASK
from wallet_perps.localvenue.guard import DEFAULT_MAX_CONNECTIONS_PER_IP


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="wallet-perps-venue",
        description="A local paper-trading venue speaking Hyperliquid's HTTP and WebSocket API.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: loopback)")
    parser.add_argument("--port", type=int, default=3001, help="port (0 picks a free one)")
    parser.add_argument(
        "--data",
        type=Path,
        default=None,
        help="directory for the SQLite state (default: none, in memory)",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the simulated market")
    parser.add_argument(
        "--clock-speed",
        type=float,
        default=1.0,
        help="venue time runs this many times faster than real time (60: funding every minute)",
    )
    parser.add_argument(
        "--network",
        choices=("testnet", "mainnet"),
        default="testnet",
        help="which signatures to accept (the official SDK signs as testnet off mainnet)",
    )
    parser.add_argument(
        "--no-flow",
        dest="flow",
        action="store_false",
        help="no synthetic traders (a quiet book, for tests of exact fills)",
    )
    parser.add_argument(
        "--exit-with-parent",
        action="store_true",
        help="stop (cleanly, with a snapshot) when the process that started this one is gone",
    )
    parser.add_argument(
        "--max-connections-per-ip",
        type=int,
        default=DEFAULT_MAX_CONNECTIONS_PER_IP,
        help="WebSocket connections one client may hold (Hyperliquid: 10; loopback is one client)",
    )
    parser.add_argument("--log-level", default="WARNING")
    args = parser.parse_args(argv)
    if args.clock_speed <= 0:
        parser.error("--clock-speed must be positive")
    if args.max_connections_per_ip < 1:
        parser.error("--max-connections-per-ip must be at least 1")
    return args


async def serve(args: argparse.Namespace) -> None:
    from wallet_perps.localvenue.server import VenueServer

    code_loaded()  # the venue's state is made from here on, and collected as usual

    server = VenueServer(
        data_dir=args.data,
        seed=args.seed,
        clock_speed=args.clock_speed,
        is_mainnet=NETWORKS[args.network].is_mainnet,
        flow=args.flow,
        max_connections_per_ip=args.max_connections_per_ip,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    watcher = None
    if args.exit_with_parent:
        watcher = asyncio.create_task(_stop_when_orphaned(os.getppid(), stop))
    url = await server.start(args.host, args.port)
    lines = [url]
    if server.admin_token is not None:
        lines += [
            f"admin-token {server.admin_token}",
            f"admin-token-file {server.admin_token_path}",
        ]
    print("\n".join(lines), flush=True)
    try:
        await stop.wait()
    finally:
        if watcher is not None:
            watcher.cancel()
        await server.stop()


async def _stop_when_orphaned(parent: int, stop: asyncio.Event) -> None:
    """The app was killed without stopping its venue: don't linger holding the data dir."""
    while os.getppid() == parent:  # noqa: ASYNC110 - no event exists for "parent died"
        await asyncio.sleep(1.0)
    logging.getLogger(__name__).warning("parent process %s is gone; stopping", parent)
    stop.set()


def main(argv: Sequence[str] | None = None) -> int:
    # The app waits for this process before its first live price (see core/collector.py).
    return run_while_loading(lambda: _main(argv))


def _main(argv: Sequence[str] | None) -> int:
    args = parse_args(argv)
    # Nothing the venue creates (its data, log, lock, admin token) is for other users to read.
    os.umask(PRIVATE_UMASK)
    # The venue opens no TLS connection, yet importing aiohttp builds two default SSL contexts,
    # each parsing the system's whole CA bundle (about 40 ms apiece, on the app's first-price
    # path when the app starts its venue). An empty bundle makes them instant.
    os.environ["SSL_CERT_FILE"] = os.devnull
    logging.basicConfig(level=args.log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
    from wallet_perps.localvenue.store import StoreError

    try:
        asyncio.run(serve(args))
    except (OSError, StoreError) as exc:  # port taken, --data locked by another venue, ...
        print(f"wallet-perps-venue: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

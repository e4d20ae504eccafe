"""The one venue launcher (services/venue_launcher.py) that the app, the tests and the
benchmarks share: it reads what the real venue prints, gives up on time, and cleans up."""

from __future__ import annotations

import asyncio
import socket
import stat
import sys
import time
from pathlib import Path

import aiohttp
import pytest

from tests.venue_process import REPO
from wallet_perps.core.wire_values import ADMIN_HEADER
from wallet_perps.services.venue_launcher import (
    ServerChild,
    VenueChild,
    VenueStartError,
    venue_command,
)


def test_a_paper_venue_says_where_it_serves_and_its_admin_token() -> None:
    venue = VenueChild(["--port", "0", "--no-flow"], cwd=REPO)
    try:
        ready = venue.wait_ready(60)
        assert ready.url.startswith("http://127.0.0.1:") and ready.port > 0
        assert ready.ws_url == "ws" + ready.url[4:] + "/ws"
        assert ready.admin_token and ready.admin_token_path is not None
        assert ready.admin_token_path.read_text().strip() == ready.admin_token
        assert stat.S_IMODE(ready.admin_token_path.stat().st_mode) == 0o600
        assert ready.admin_token not in repr(ready), "a token must not reach a log"
        assert venue.admin_headers == {ADMIN_HEADER: ready.admin_token}
        assert venue.wait_ready(1) is ready  # read once
        token_dir = ready.admin_token_path.parent
    finally:
        assert venue.stop() == 0
    assert not token_dir.exists(), "the venue removes its private token folder on a clean stop"


def test_a_killed_venue_leaves_no_token_folder_behind() -> None:
    venue = VenueChild(["--port", "0", "--no-flow"], cwd=REPO)
    path = venue.wait_ready(60).admin_token_path
    assert path is not None and path.exists()
    assert venue.kill() == -9
    assert not path.parent.exists()


def test_a_mainnet_venue_prints_no_token_and_is_ready_at_once(tmp_path: Path) -> None:
    venue = VenueChild(["--port", "0", "--no-flow", "--network", "mainnet"], cwd=REPO)
    try:
        started = time.monotonic()
        ready = venue.wait_ready(60)
        assert ready.admin_token is None and ready.admin_token_path is None
        assert time.monotonic() - started < 30, "waited for token lines that never come"
    finally:
        venue.stop()


def test_a_taken_port_fails_in_the_venues_own_words(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        venue = VenueChild(["--port", str(port), "--no-flow"], log_path=tmp_path / "venue.log")
        with pytest.raises(VenueStartError) as failed:
            venue.wait_ready(60)
    assert not failed.value.timed_out
    assert "wallet-perps-venue" in failed.value.detail, failed.value.detail
    assert not venue.running
    assert stat.S_IMODE((tmp_path / "venue.log").stat().st_mode) == 0o600


def test_a_silent_process_times_out_and_is_killed() -> None:
    child = ServerChild([sys.executable, "-c", "import time; time.sleep(60)"])
    started = time.monotonic()
    with pytest.raises(VenueStartError) as failed:
        child.wait_ready(0.5)
    assert failed.value.timed_out
    assert time.monotonic() - started < 10
    assert not child.running


def test_lines_before_the_url_are_skipped_and_stderr_is_kept() -> None:
    script = (
        "import sys; print('a warning', file=sys.stderr, flush=True); "
        "print('banner'); print('http://127.0.0.1:1', flush=True)"
    )
    with ServerChild([sys.executable, "-c", script]) as child:
        assert child.wait_ready(30).url == "http://127.0.0.1:1"
        assert child.url == "http://127.0.0.1:1"
        assert "a warning" in child.stderr_tail()  # written before the URL


async def test_the_async_api_waits_off_the_event_loop() -> None:
    venue = VenueChild(["--port", "0", "--no-flow"], cwd=REPO)
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.001)

    ticker = asyncio.create_task(tick())
    try:
        ready = await venue.ready(60)
        async with (
            aiohttp.ClientSession() as session,
            session.post(f"{ready.url}/info", json={"type": "meta"}) as resp,
        ):
            assert resp.status == 200
    finally:
        assert await venue.stop_async() == 0
        ticker.cancel()
    assert ticks > 1, "the loop was blocked while the venue started"


def test_the_command_line_from_source_and_under_a_profiler() -> None:
    assert venue_command(["--seed", "1"], frozen=False) == [
        sys.executable,
        "-m",
        "wallet_perps.localvenue.cli",
        "--seed",
        "1",
    ]
    profiled = venue_command([], frozen=False, interpreter_args=("-m", "cProfile"))
    assert profiled == [sys.executable, "-m", "cProfile", "-m", "wallet_perps.localvenue.cli"]

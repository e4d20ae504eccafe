"""The child venue starts on a free port, keeps its data, reports a crash and stops cleanly."""

from __future__ import annotations

import asyncio
import os
import signal
import stat
from decimal import Decimal
from pathlib import Path

import pytest

from wallet_perps.hyperliquid.http import HyperliquidHttp
from wallet_perps.services.embedded_venue import EmbeddedVenue, EmbeddedVenueError
from wallet_perps.services.transfers import TransferError, demo_deposit


async def test_starts_serves_and_stops(tmp_path: Path) -> None:
    venue = EmbeddedVenue(tmp_path / "venue", extra_args=("--no-flow",))
    url = await venue.start()
    assert url.startswith("http://127.0.0.1:")
    async with HyperliquidHttp(url) as http:
        meta = await http.meta()
    assert meta.markets[0].name == "BTC"
    await venue.stop()
    assert not venue.running
    assert (tmp_path / "venue" / "venue.sqlite3").exists()  # paper state survives the app


async def test_its_files_are_private_and_its_faucet_takes_the_token(tmp_path: Path) -> None:
    """The venue prints its per-run admin token (also written, private, in its data dir); a
    restart makes a new one, and the app's deposit keeps working because it asks for the token
    at each deposit."""
    old_log = tmp_path / "venue" / "venue.log"
    old_log.parent.mkdir(mode=0o755)
    old_log.write_text("an older version's log\n")
    os.chmod(old_log, 0o644)
    venue = EmbeddedVenue(tmp_path / "venue", extra_args=("--no-flow",))
    user = "0x" + "cd" * 20
    try:
        url = await venue.start()
        first = venue.admin_token()
        assert first and venue.admin_token_path.read_text().strip() == first
        assert stat.S_IMODE((tmp_path / "venue").stat().st_mode) == 0o700
        for path in (tmp_path / "venue").iterdir():
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
        await demo_deposit(url, user, Decimal(7), admin_token=venue.admin_token())
        with pytest.raises(TransferError, match="refused"):
            await demo_deposit(url, user, Decimal(7))  # no token: the venue says no
        await venue.stop()
        url = await venue.start()
        assert venue.admin_token() not in (None, first)
        await demo_deposit(url, user, Decimal(7), admin_token=venue.admin_token())
        async with HyperliquidHttp(url) as http:
            state = await http.info({"type": "clearinghouseState", "user": user})
        assert Decimal(state["withdrawable"]) == 14
    finally:
        await venue.stop()


async def test_an_unexpected_death_is_reported(tmp_path: Path) -> None:
    exits: list[int] = []
    venue = EmbeddedVenue(tmp_path / "venue", extra_args=("--no-flow",), on_exit=exits.append)
    await venue.start()
    assert venue.pid is not None
    os.kill(venue.pid, signal.SIGKILL)
    for _ in range(100):
        if exits:
            break
        await asyncio.sleep(0.05)
    assert exits == [-signal.SIGKILL]
    await venue.stop()


async def test_a_busy_data_dir_is_explained(tmp_path: Path) -> None:
    first = EmbeddedVenue(tmp_path / "venue", extra_args=("--no-flow",))
    await first.start()
    second = EmbeddedVenue(tmp_path / "venue", extra_args=("--no-flow",))
    try:
        with pytest.raises(EmbeddedVenueError, match="another wallet-perps-venue"):
            await second.start()
    finally:
        await first.stop()


def test_the_venue_stops_when_the_app_is_killed(tmp_path: Path) -> None:
    """A SIGKILLed app must not leave its venue running and holding the data directory."""
    import subprocess
    import sys
    import time

    code = (
        "import asyncio, sys\n"
        "from pathlib import Path\n"
        "from wallet_perps.services.embedded_venue import EmbeddedVenue\n"
        "async def main():\n"
        f"    venue = EmbeddedVenue(Path({str(tmp_path / 'venue')!r}), extra_args=('--no-flow',))\n"
        "    await venue.start()\n"
        "    print(venue.pid, flush=True)\n"
        "    await asyncio.sleep(60)\n"
        "asyncio.run(main())\n"
    )
    app = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert app.stdout is not None
    venue_pid = int(app.stdout.readline())
    app.kill()
    app.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(venue_pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        os.kill(venue_pid, signal.SIGKILL)
        raise AssertionError("the orphaned venue kept running")

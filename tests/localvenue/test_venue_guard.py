"""Web pages and other users are kept off the local venue (issue 14, items 2 and 4).

A page in a browser can POST to 127.0.0.1 without a CORS preflight when the body is
text/plain, a form or multipart; such requests must change nothing. The admin routes need the
per-run token the venue writes (0600) beside its data, do not exist on a mainnet venue, and
everything the venue writes is private to its user.
"""

from __future__ import annotations

import json
import os
import signal
import stat
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.localvenue.signed_trader import Trader
from tests.localvenue.test_venue_fuzz import (
    account_view,
    assert_oracles_unmoved,
    buy,
    oracle_prices,
)
from tests.venue_process import ADMIN_HEADER, VenueProcess
from wallet_perps.core.answers import Resting
from wallet_perps.hyperliquid.actions import order_action
from wallet_perps.hyperliquid.exchange_answers import check_statuses
from wallet_perps.hyperliquid.http import HyperliquidHttp
from wallet_perps.localvenue.guard import ConnectionLimit, client_key

EVIL_ORIGIN = "https://evil.example"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def venue() -> Iterator[VenueProcess]:
    process = VenueProcess("--no-flow", "--seed", "3")
    yield process
    process.kill()


async def _post(
    session: aiohttp.ClientSession, url: str, data: bytes, headers: dict[str, str]
) -> tuple[int, str]:
    async with session.post(url, data=data, headers=headers) as resp:
        return resp.status, await resp.text()


async def test_browser_posts_are_refused_and_change_nothing(venue: VenueProcess) -> None:
    trader = Trader()
    async with HyperliquidHttp(venue.url) as http, aiohttp.ClientSession() as session:
        funded = {"user": trader.address, "usdc": "1000"}
        async with session.post(
            f"{venue.url}/sim/faucet", json=funded, headers=venue.admin_headers
        ) as resp:
            assert await resp.json() == {"status": "ok"}
        px = Decimal((await http.info({"type": "allMids"}))["BTC"]).to_integral_value()
        envelope = trader.l1(order_action([buy(px - 5000)]))
        before = await account_view(http, trader.address)
        oracles = await oracle_prices(http)

        bodies: dict[str, Any] = {
            "/sim/oracle": {"coin": "BTC", "px": str(px * 2)},
            "/sim/faucet": {"user": trader.address, "usdc": "1000000"},
            "/exchange": envelope,
        }
        # What fetch(url, {method: "POST", mode: "no-cors", body}) sends from a page; even a
        # page that somehow knew the token gets nowhere on /sim with its Origin header.
        kinds = ("text/plain;charset=UTF-8", "application/x-www-form-urlencoded", None)
        for path, doc in bodies.items():
            for kind in kinds:
                headers = {"Origin": EVIL_ORIGIN, **venue.admin_headers}
                if kind is not None:
                    headers["Content-Type"] = kind
                status, text = await _post(
                    session, venue.url + path, json.dumps(doc).encode(), headers
                )
                assert status in (403, 415), (path, kind, status, text)
                assert text, "a refusal says why"
            # The JSON content type with a browser's Origin: still not an admin request.
            if path.startswith("/sim"):
                status, _ = await _post(
                    session,
                    venue.url + path,
                    json.dumps(doc).encode(),
                    {"Content-Type": "application/json", "Origin": EVIL_ORIGIN},
                )
                assert status == 403

        assert await account_view(http, trader.address) == before
        assert_oracles_unmoved(oracles, await oracle_prices(http))
        # The refused envelope was never read: sent properly, it is still fresh and rests.
        [outcome] = check_statuses(await http.exchange(envelope), expected=1)
        assert isinstance(outcome, Resting)


async def test_admin_routes_need_the_token_the_venue_wrote(venue: VenueProcess) -> None:
    assert venue.admin_token and venue.admin_token_path is not None
    assert venue.admin_token_path.read_text().strip() == venue.admin_token
    assert mode(venue.admin_token_path) == 0o600
    assert mode(venue.admin_token_path.parent) == 0o700
    user = "0x" + "ab" * 20
    body = {"user": user, "usdc": "5"}
    async with HyperliquidHttp(venue.url) as http, aiohttp.ClientSession() as session:
        for headers in ({}, {ADMIN_HEADER: ""}, {ADMIN_HEADER: venue.admin_token + "x"}):
            async with session.post(f"{venue.url}/sim/faucet", json=body, headers=headers) as r:
                assert r.status == 403, await r.text()
                assert ADMIN_HEADER in await r.text()
        state = await http.info({"type": "clearinghouseState", "user": user})
        assert Decimal(state["withdrawable"]) == 0
        async with session.post(
            f"{venue.url}/sim/faucet", json=body, headers=venue.admin_headers
        ) as resp:
            assert await resp.json() == {"status": "ok"}
        state = await http.info({"type": "clearinghouseState", "user": user})
        assert Decimal(state["withdrawable"]) == 5
    token_path = venue.admin_token_path
    venue.proc.send_signal(signal.SIGTERM)  # the venue itself, not the helper, cleans up
    assert venue.proc.wait(30) == 0
    assert not token_path.exists() and not token_path.parent.exists(), "temp dir left behind"


async def test_a_mainnet_venue_has_no_admin_routes(tmp_path: Path) -> None:
    venue = VenueProcess("--no-flow", "--network", "mainnet", data=tmp_path / "data")
    try:
        assert venue.admin_token is None
        assert not (tmp_path / "data" / "admin-token").exists()
        async with aiohttp.ClientSession() as session:
            for route in ("faucet", "oracle"):
                async with session.post(
                    f"{venue.url}/sim/{route}",
                    json={"user": "0x" + "ab" * 20, "usdc": "5", "coin": "BTC", "px": "1"},
                ) as resp:
                    assert resp.status == 404
            # The trading API is there, JSON only as on a paper venue.
            async with session.post(f"{venue.url}/info", json={"type": "meta"}) as resp:
                assert resp.status == 200
            async with session.post(
                f"{venue.url}/info", data=b'{"type":"meta"}', headers={"Content-Type": "text/plain"}
            ) as resp:
                assert resp.status == 415
                assert await resp.text() == "Expected request with `Content-Type: application/json`"
    finally:
        assert venue.stop() == 0


def _modes(directory: Path) -> dict[str, int]:
    return {entry.name: mode(entry) for entry in directory.iterdir()}


async def test_data_files_are_private_even_in_an_existing_directory(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    os.chmod(data, 0o755)
    (data / "venue.lock").write_text("1\n")
    os.chmod(data / "venue.lock", 0o644)
    first = VenueProcess("--no-flow", data=data)
    assert first.stop() == 0
    # An older version's data: everything world-readable.
    os.chmod(data, 0o755)
    for path in data.iterdir():
        os.chmod(path, 0o644)
    old_umask = os.umask(0o022)  # the venue sets its own; it must not rely on the caller's
    try:
        venue = VenueProcess("--no-flow", data=data)
    finally:
        os.umask(old_umask)
    try:
        trader = Trader()
        async with (
            aiohttp.ClientSession() as session,
            session.post(
                f"{venue.url}/sim/faucet",
                json={"user": trader.address, "usdc": "10"},
                headers=venue.admin_headers,
            ) as resp,
        ):
            assert await resp.json() == {"status": "ok"}
        assert mode(data) == 0o700
        modes = _modes(data)
        for name in ("venue.sqlite3", "venue.sqlite3-wal", "venue.sqlite3-shm"):
            assert name in modes, modes
        assert {"admin-token", "venue.lock"} <= set(modes)
        assert all(m == 0o600 for m in modes.values()), {k: oct(m) for k, m in modes.items()}
    finally:
        assert venue.stop() == 0
    assert not (data / "admin-token").exists()  # a clean stop takes its token away
    assert all(m == 0o600 for m in _modes(data).values())


def test_loopback_is_one_client_and_the_cap_frees_on_release() -> None:
    keys = {client_key(a) for a in ("127.0.0.1", "127.5.6.7", "::1", "::ffff:127.0.0.1")}
    assert keys == {"loopback"}
    assert client_key("192.168.1.9") == client_key("::ffff:192.168.1.9") == "192.168.1.9"
    assert client_key("10.0.0.1") != client_key("10.0.0.2")
    limit = ConnectionLimit(10)
    assert all(limit.acquire("loopback") for _ in range(10))
    assert not limit.acquire("loopback") and limit.count("loopback") == 10
    assert limit.acquire("10.0.0.1")  # another client has its own ten
    limit.release("loopback")
    assert limit.acquire("loopback")

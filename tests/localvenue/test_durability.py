"""Nothing acknowledged is lost or invented: the venue commits every input before it is seen.

A write that fails (a full disk, an I/O error) is injected at each commit point through the
store's ``before_commit`` constructor parameter, on an in-process venue: the request is refused
in the venue's words, nothing changes (every user's clearinghouseState, openOrders and ledger
are compared), no WebSocket push leaves, and venue time goes on once writes work again. Then
the data directory is left as a kill -9 would leave it and real venue processes
(``tests/venue_process.py``) replay it: every fill acknowledged before, including the synthetic
flow's, comes back exactly, and again after a kill -9 of that process.
"""

from __future__ import annotations

import errno
import json
import os
import sqlite3
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from eth_account import Account

from tests.polling import eventually
from tests.venue_process import VenueProcess
from wallet_perps.hyperliquid.actions import (
    LimitType,
    OrderSpec,
    Tif,
    cancel_action,
    order_action,
    usd_send_action,
)
from wallet_perps.hyperliquid.nonces import NonceManager
from wallet_perps.hyperliquid.signing import sign_l1_action, sign_user_action
from wallet_perps.localvenue.guard import ADMIN_HEADER
from wallet_perps.localvenue.server import VenueServer

BTC = 0
SEED = 23
REFUSED = "The venue could not save this action"
#: How long a wait on the venue (a push, a tick, a fill) may take.
WAIT_S = 60


class DiskFull:
    """The store's ``before_commit`` hook: while armed, every write fails as on a full disk."""

    def __init__(self) -> None:
        self.armed = False
        self.refused = 0

    def __call__(self) -> None:
        if self.armed:
            self.refused += 1
            raise sqlite3.OperationalError("database or disk is full")


class Trader:
    """A fresh key signing like the app (testnet), nonces from the given venue clock."""

    def __init__(self, clock: Callable[[], int] | None = None) -> None:
        account = Account.create()
        self.key: bytes = bytes(account.key)
        self.address: str = account.address.lower()
        self._nonces = NonceManager(clock) if clock is not None else NonceManager()

    def l1(self, action: dict[str, Any]) -> dict[str, Any]:
        nonce = self._nonces.next_nonce(self.address)
        signature = sign_l1_action(self.key, action, nonce, is_mainnet=False)
        return {"action": action, "nonce": nonce, "signature": signature, "vaultAddress": None}

    def user(self, make: Callable[[int], dict[str, Any]]) -> dict[str, Any]:
        nonce = self._nonces.next_nonce(self.address)
        action = make(nonce)
        return {"action": action, "nonce": nonce, "signature": sign_user_action(self.key, action)}


def spec(is_buy: bool, px: Decimal, sz: str, tif: Tif = "Gtc") -> OrderSpec:
    return OrderSpec(BTC, is_buy, px, Decimal(sz), LimitType(tif))


class Client:
    """Raw HTTP against one venue: answers exactly as the venue shaped them."""

    def __init__(self, session: aiohttp.ClientSession, url: str, token: str | None) -> None:
        self.session, self.url, self.token = session, url, token

    async def post(self, route: str, body: dict[str, Any]) -> Any:
        headers = {ADMIN_HEADER: self.token} if route.startswith("sim/") and self.token else {}
        async with self.session.post(f"{self.url}/{route}", json=body, headers=headers) as resp:
            assert resp.content_type == "application/json", (resp.status, await resp.text())
            return await resp.json()

    async def info(self, body: dict[str, Any]) -> Any:
        return await self.post("info", body)

    async def exchange(self, body: dict[str, Any]) -> Any:
        return await self.post("exchange", body)

    async def faucet(self, user: str, usdc: str = "10000") -> Any:
        return await self.post("sim/faucet", {"user": user, "usdc": usdc})

    async def oracle(self, px: Decimal) -> Any:
        return await self.post("sim/oracle", {"coin": "BTC", "px": str(px)})

    async def book(self) -> tuple[Decimal, Decimal]:
        levels = (await self.info({"type": "l2Book", "coin": "BTC"}))["levels"]
        return Decimal(levels[0][0]["px"]), Decimal(levels[1][0]["px"])

    async def statuses(self, trader: Trader, *specs: OrderSpec) -> list[dict[str, Any]]:
        answer = await self.exchange(trader.l1(order_action(list(specs))))
        assert answer["status"] == "ok", answer
        statuses: list[dict[str, Any]] = answer["response"]["data"]["statuses"]
        return statuses

    async def fill(self, trader: Trader, is_buy: bool, sz: str = "0.002") -> int:
        """An IOC that crosses the flow's book by 1%: an acknowledged fill."""
        bid, ask = await self.book()
        px = (ask * Decimal("1.01") if is_buy else bid * Decimal("0.99")).quantize(Decimal(1))
        [status] = await self.statuses(trader, spec(is_buy, px, sz, "Ioc"))
        assert "filled" in status, status
        return int(status["filled"]["oid"])


async def view(client: Client, users: list[str]) -> dict[str, Any]:
    """What a refused write must not change: every user's account, orders and ledgers."""
    out: dict[str, Any] = {}
    for user in users:
        state = await client.info({"type": "clearinghouseState", "user": user})
        state.pop("time", None)
        out[user] = {
            "state": state,
            "openOrders": await client.info({"type": "openOrders", "user": user}),
            "userFills": await client.info({"type": "userFills", "user": user}),
            "ledger": await client.info(
                {"type": "userNonFundingLedgerUpdates", "user": user, "startTime": 0}
            ),
            "funding": await client.info({"type": "userFunding", "user": user, "startTime": 0}),
        }
    out["mids"] = await client.info({"type": "allMids"})
    return out


def flow_users(server: VenueServer) -> list[str]:
    assert server.flow is not None
    users = [m.user for m in server.flow.makers] + [t.user for t in server.flow.traders]
    return list(dict.fromkeys(users))


@pytest.fixture
async def venue(tmp_path: Path) -> AsyncIterator[tuple[VenueServer, DiskFull]]:
    disk = DiskFull()
    server = VenueServer(
        data_dir=tmp_path / "venue", seed=SEED, before_commit=disk, tick_interval_s=0.1
    )
    await server.start(port=0)
    try:
        yield server, disk
    finally:
        disk.armed = False
        if server.store is not None:
            await server.stop()


# --------------------------------------------------------------------- every commit point


POINTS = ["order", "ws-order", "cancel", "usdSend", "faucet", "oracle"]


@pytest.mark.parametrize("point", POINTS)
async def test_a_refused_write_is_answered_in_the_venues_words_and_changes_nothing(
    venue: tuple[VenueServer, DiskFull], point: str
) -> None:
    server, disk = venue
    assert server.url is not None
    a, b = Trader(), Trader()
    async with aiohttp.ClientSession() as session:
        client = Client(session, server.url, server.admin_token)
        for trader in (a, b):
            assert await client.faucet(trader.address) == {"status": "ok"}
        bid, _ = await client.book()
        [resting] = await client.statuses(a, spec(True, (bid * Decimal("0.9")).quantize(1), "0.01"))
        oid = int(resting["resting"]["oid"])
        users = [a.address, b.address, *flow_users(server)]
        ws_url = server.url.replace("http", "ws", 1) + "/ws"
        async with session.ws_connect(ws_url) as ws:
            await ws.receive()  # "Websocket connection established."
            for feed in _USER_FEEDS:
                sub = {"type": feed, "user": a.address}
                await ws.send_json({"method": "subscribe", "subscription": sub})
            await _subscribed(ws, len(_USER_FEEDS))
            await _pushes(ws)  # the snapshots

            requests = _requests(point, client, ws_url, a, b, oid)
            disk.armed = True
            before = await view(client, users)
            answer = await requests()
            after = await view(client, users)
            refused = disk.refused
            disk.armed = False

            assert answer["status"] == "err" and answer["response"].startswith(REFUSED), answer
            assert "database or disk is full" in answer["response"]
            assert refused >= 1
            assert after == before
            # No push for the refused input: whatever arrives next is from the one that works.
            pushes_before = await _pushes(ws)
            assert pushes_before == [], pushes_before
            again = await requests()
            assert again["status"] == "ok", again
            if point != "oracle":  # a has no position: a new oracle price is no news to a
                assert await eventually(
                    lambda: _pushes(ws), "a push for the accepted input", WAIT_S
                )


def _requests(
    point: str, client: Client, ws_url: str, a: Trader, b: Trader, oid: int
) -> Callable[[], Awaitable[Any]]:
    """The request to refuse at ``point``; called twice (refused, then accepted), freshly signed."""

    async def order() -> Any:
        _, ask = await client.book()
        body = a.l1(order_action([spec(True, (ask * Decimal("1.01")).quantize(1), "0.002", "Ioc")]))
        return await client.exchange(body)

    async def ws_order() -> Any:
        _, ask = await client.book()
        body = a.l1(order_action([spec(True, (ask * Decimal("1.01")).quantize(1), "0.002", "Ioc")]))
        post = {"method": "post", "id": 7, "request": {"type": "action", "payload": body}}
        async with client.session.ws_connect(ws_url) as ws:  # not the one watching a's feeds
            await ws.receive(timeout=30)  # "Websocket connection established."
            await ws.send_json(post)
            while True:
                message = json.loads((await ws.receive(timeout=30)).data)
                if message.get("channel") == "post":
                    assert message["data"]["response"]["type"] == "action", message
                    return message["data"]["response"]["payload"]

    async def cancel() -> Any:
        return await client.exchange(a.l1(cancel_action([(BTC, oid)])))

    async def send() -> Any:
        return await client.exchange(
            a.user(lambda n: usd_send_action(b.address, Decimal(25), n, is_mainnet=False))
        )

    async def faucet() -> Any:
        return await client.faucet(a.address, "123")

    async def oracle() -> Any:
        mids = await client.info({"type": "allMids"})
        return await client.oracle(Decimal(mids["BTC"]).quantize(1) + 50)

    return {
        "order": order,
        "ws-order": ws_order,
        "cancel": cancel,
        "usdSend": send,
        "faucet": faucet,
        "oracle": oracle,
    }[point]


_USER_FEEDS = ("userFills", "orderUpdates", "userNonFundingLedgerUpdates")


async def _pushes(ws: aiohttp.ClientWebSocketResponse) -> list[Any]:
    """User-feed pushes that already arrived (the feeds are a's only), snapshots left out."""
    out: list[Any] = []
    while True:
        try:
            msg = await ws.receive(timeout=0.3)
        except TimeoutError:
            return out
        message = json.loads(msg.data)
        data = message.get("data")
        snapshot = isinstance(data, dict) and data.get("isSnapshot")
        if message.get("channel") in _USER_FEEDS and not snapshot:
            out.append(message)


async def _subscribed(ws: aiohttp.ClientWebSocketResponse, count: int) -> None:
    while count:
        message = json.loads((await ws.receive(timeout=30)).data)
        if message.get("channel") == "subscriptionResponse":
            count -= 1


# ------------------------------------------------------------------- venue time goes on


async def test_venue_time_stops_while_writes_fail_and_resumes_when_they_work(
    tmp_path: Path,
) -> None:
    """At 3600x an hour of funding passes every wall second: while ticks cannot be committed
    nothing moves (no funding, no flow, same mids), and all of it resumes once they can."""
    disk = DiskFull()
    server = VenueServer(
        data_dir=tmp_path / "venue",
        seed=SEED,
        clock_speed=3600,
        tick_interval_s=0.1,
        before_commit=disk,
    )
    await server.start(port=0)
    try:
        assert server.url is not None and server.store is not None
        a = Trader(clock=server.clock.now_ms)
        users = [a.address, *flow_users(server)]
        async with aiohttp.ClientSession() as session:
            client = Client(session, server.url, server.admin_token)
            assert await client.faucet(a.address) == {"status": "ok"}
            await client.fill(a, is_buy=True)

            async def funding_rows() -> int:
                rows = await client.info({"type": "userFunding", "user": a.address, "startTime": 0})
                return len(rows)

            async def flow_fills() -> int:
                total = 0
                for user in users[1:]:
                    total += len(await client.info({"type": "userFills", "user": user}))
                return total

            await eventually(funding_rows, "a first funding payment", WAIT_S)

            disk.armed = True
            await eventually(_at_least(disk, 5), "ticks refused", WAIT_S)
            seq = server.store.last_seq
            server.snapshot()  # a failed snapshot is logged, nothing else
            before = await view(client, users)
            await eventually(_at_least(disk, disk.refused + 10), "more ticks refused", WAIT_S)
            assert await view(client, users) == before
            assert server.store.last_seq == seq
            paid, traded = await funding_rows(), await flow_fills()
            disk.armed = False

            await eventually(lambda: _more(funding_rows, paid), "funding after writes work", WAIT_S)
            await eventually(
                lambda: _more(flow_fills, traded), "flow fills after writes work", WAIT_S
            )
            assert server.store.last_seq > seq
        server.snapshot()
        blob, upto, _ = server.store.load()
        assert blob is not None and upto > seq
    finally:
        disk.armed = False
        await server.stop()


def _at_least(disk: DiskFull, count: int) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return disk.refused >= count

    return check


async def _more(count: Callable[[], Awaitable[int]], than: int) -> bool:
    return await count() > than


# ------------------------------------------------------ replay gives back what was answered


async def test_every_acknowledged_fill_survives_refused_writes_and_kill_9(
    tmp_path: Path, venues: list[VenueProcess]
) -> None:
    data = tmp_path / "venue"
    disk = DiskFull()
    server = VenueServer(data_dir=data, seed=SEED, tick_interval_s=0.1, before_commit=disk)
    await server.start(port=0)
    a, b = Trader(), Trader()
    acked: dict[int, str] = {}  # oid -> total size the answer reported
    try:
        assert server.url is not None
        users = [a.address, b.address, *flow_users(server)]
        async with aiohttp.ClientSession() as session:
            client = Client(session, server.url, server.admin_token)
            for trader in (a, b):
                assert await client.faucet(trader.address) == {"status": "ok"}
            await _trade(client, a, b, acked)
            bid, _ = await client.book()
            far = (bid * Decimal("0.8")).quantize(1)
            [rest] = await client.statuses(a, spec(True, far, "0.003"))
            # A bad day: every kind of input refused for a while, the ticker included.
            disk.armed = True
            await eventually(_at_least(disk, 3), "ticks refused", WAIT_S)
            for refused in (
                await client.exchange(a.l1(order_action([spec(True, far, "0.004")]))),
                await client.exchange(a.l1(cancel_action([(BTC, rest["resting"]["oid"])]))),
                await client.faucet(b.address, "77"),
                await client.oracle(far),
            ):
                assert refused["status"] == "err", refused
                assert refused["response"].startswith(REFUSED), refused
            disk.armed = False
            await _trade(client, a, b, acked)

            async def synthetic_fills() -> bool:
                for user in users[2:]:
                    fills = await client.info({"type": "userFills", "user": user})
                    if any(fill["oid"] not in acked for fill in fills):
                        return True
                return False

            await eventually(synthetic_fills, "fills between the synthetic traders", WAIT_S)
    finally:
        disk.armed = False
        await server.stop(final_snapshot=False)  # as a kill -9 leaves it: the log only
    seen = {user: _wire(server.venue.user_fills(user)) for user in users}
    exact = {  # a and b: no ghost of the refused order, cancel or credit
        u: {
            "ledger": _wire(server.venue.user_non_funding_ledger_updates(u, 0)),
            "openOrders": _wire(server.venue.open_orders(u)),
        }
        for u in users[:2]
    }
    assert len(exact[a.address]["openOrders"]) == 1
    assert any(seen[user] for user in users[2:])

    venues.append(VenueProcess("--seed", str(SEED), data=data))
    async with aiohttp.ClientSession() as session:
        client = Client(session, venues[-1].url, None)
        await _same_history(client, users, seen, exact, acked)
        await _trade(client, a, b, acked)  # acknowledged by the replayed venue
        seen = {u: await client.info({"type": "userFills", "user": u}) for u in users}
    venues[-1].kill()

    venues.append(VenueProcess("--seed", str(SEED), data=data))
    async with aiohttp.ClientSession() as session:
        await _same_history(Client(session, venues[-1].url, None), users, seen, exact, acked)


async def _trade(client: Client, a: Trader, b: Trader, acked: dict[int, str]) -> None:
    """Acknowledged fills against the synthetic makers, remembering what each answer said."""
    for trader, is_buy in ((a, True), (b, False), (a, False), (b, True)):
        _, ask = await client.book()
        bid, _ = await client.book()
        px = (ask * Decimal("1.01") if is_buy else bid * Decimal("0.99")).quantize(Decimal(1))
        [status] = await client.statuses(trader, spec(is_buy, px, "0.002", "Ioc"))
        assert "filled" in status, status
        acked[int(status["filled"]["oid"])] = status["filled"]["totalSz"]


async def _same_history(
    client: Client,
    users: list[str],
    seen: dict[str, list[dict[str, Any]]],
    exact: dict[str, dict[str, Any]],
    acked: dict[int, str],
) -> None:
    """Every fill seen before is there, unchanged and in order (newer ones may follow)."""
    for user in users:
        fills = await client.info({"type": "userFills", "user": user})
        old = seen[user]
        assert len(fills) >= len(old), user
        assert fills[len(fills) - len(old) :] == old, user
    for user, expected in exact.items():
        ledger = await client.info(
            {"type": "userNonFundingLedgerUpdates", "user": user, "startTime": 0}
        )
        orders = await client.info({"type": "openOrders", "user": user})
        assert {"ledger": ledger, "openOrders": orders} == expected, user
    for user in users[:2]:
        fills = await client.info({"type": "userFills", "user": user})
        for oid in {f["oid"] for f in fills if f["oid"] in acked}:
            total = sum(Decimal(f["sz"]) for f in fills if f["oid"] == oid)
            assert total == Decimal(acked[oid]), (user, oid)
    taker_oids = {
        f["oid"] for u in users[:2] for f in await client.info({"type": "userFills", "user": u})
    }
    assert set(acked) <= taker_oids


def _wire(value: Any) -> Any:
    """As it would arrive over HTTP."""
    return json.loads(json.dumps(value))


# ------------------------------------------------------------------- a real full disk


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """An 8 MiB tmpfs (root only; skipped where mounting is not allowed, as on most CI)."""
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=8m,mode=0700", "tmpfs", str(mount_point)],
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode(errors='replace').strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def _fill(disk: Path) -> Path:
    """Write a ballast file until the disk is full."""
    ballast = disk / "ballast"
    fd = os.open(ballast, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        while True:
            os.write(fd, b"\0" * 65536)
    except OSError as exc:
        assert exc.errno == errno.ENOSPC, exc
    finally:
        os.close(fd)
    return ballast


async def test_a_real_full_disk_refuses_in_the_venues_words_and_loses_nothing(
    tiny_disk: Path, venues: list[VenueProcess]
) -> None:
    data = tiny_disk / "venue"
    venues.append(VenueProcess("--seed", str(SEED), data=data))
    a, b = Trader(), Trader()
    acked: dict[int, str] = {}
    async with aiohttp.ClientSession() as session:
        client = Client(session, venues[-1].url, venues[-1].admin_token)
        for trader in (a, b):
            assert await client.faucet(trader.address) == {"status": "ok"}
        await _trade(client, a, b, acked)
        users = [a.address, b.address]
        flow = _flow_traders()

        ballast = _fill(tiny_disk)
        bid, _ = await client.book()
        far = (bid * Decimal("0.7")).quantize(1)
        resting: list[int] = []

        async def refused() -> bool:
            # SQLite may still have room in its WAL for a few commits; those are durable.
            answer = await client.exchange(a.l1(order_action([spec(True, far, "0.001")])))
            if answer["status"] == "ok":
                resting.append(int(answer["response"]["data"]["statuses"][0]["resting"]["oid"]))
                return False
            assert answer["response"].startswith(REFUSED), answer
            assert "full" in answer["response"], answer
            return True

        await eventually(refused, "a write refused for want of space", WAIT_S)
        assert (await client.faucet(b.address, "5"))["response"].startswith(REFUSED)
        traded = await _fill_count(client, flow)
        ballast.unlink()

        await eventually(
            lambda: _more(lambda: _fill_count(client, flow), traded), "flow again", WAIT_S
        )
        await _trade(client, a, b, acked)
        seen = {u: await client.info({"type": "userFills", "user": u}) for u in users + flow}
        orders = await client.info({"type": "openOrders", "user": a.address})
        assert sorted(o["oid"] for o in orders) == sorted(resting)
    venues[-1].kill()

    venues.append(VenueProcess("--seed", str(SEED), data=data))
    async with aiohttp.ClientSession() as session:
        client = Client(session, venues[-1].url, None)
        await _same_history(client, users + flow, seen, {}, acked)
        orders = await client.info({"type": "openOrders", "user": a.address})
        assert sorted(o["oid"] for o in orders) == sorted(resting)


def _flow_traders() -> list[str]:
    """The synthetic takers' addresses (0xf102…, 0xf103…), as flow.py derives them."""
    return [f"0xf10{kind:01x}{i:036x}" for kind, count in ((2, 6), (3, 3)) for i in range(count)]


async def _fill_count(client: Client, users: list[str]) -> int:
    return sum([len(await client.info({"type": "userFills", "user": u})) for u in users])


async def test_a_data_directory_keeps_its_flow_setting(tmp_path: Path) -> None:
    """Ticks step the flow, so the log means something else without it: a restart with the
    other --flow flag keeps the one the data was written with (before any snapshot, too)."""
    data = tmp_path / "venue"
    first = VenueServer(data_dir=data, seed=SEED, flow=False)
    await first.start(port=0)
    await first.stop(final_snapshot=False)
    second = VenueServer(data_dir=data, seed=SEED, flow=True)
    try:
        assert second.flow is None and not second.with_flow
    finally:
        await second.stop()

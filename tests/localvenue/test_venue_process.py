"""The venue as users meet it: a real ``wallet-perps-venue`` process, driven by our own client.

Each test starts the process on a free port and talks to it over loopback with the app's
HTTP and WebSocket clients (signing with fresh keys), then asserts what a trader or client
would notice: state that survives a clean stop and a kill -9, a data directory that only one
venue may use, liquidations at the reported price, funding at a fast clock, and every
WebSocket feed the app subscribes to.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import subprocess
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.localvenue.signed_trader import Trader
from tests.polling import eventually
from tests.venue_process import REPO, VenueProcess, admin_headers
from wallet_perps.core.answers import Filled, OrderOutcome, Resting
from wallet_perps.core.risk import AccountRisk, PositionRisk, Tier, TierSchedule
from wallet_perps.hyperliquid.actions import (
    LimitType,
    OrderSpec,
    Tif,
    order_action,
    update_leverage_action,
    usd_send_action,
    withdraw3_action,
)
from wallet_perps.hyperliquid.exchange_answers import check_statuses
from wallet_perps.hyperliquid.http import HyperliquidHttp
from wallet_perps.hyperliquid.ws import HyperliquidWs

BTC, ETH = 0, 1
TICK_S = 0.25  # the venue's tick interval


# --------------------------------------------------------------------------------- helpers


def spec(asset: int, is_buy: bool, px: Decimal | int, sz: str, tif: Tif = "Gtc") -> OrderSpec:
    return OrderSpec(asset, is_buy, Decimal(px), Decimal(sz), LimitType(tif))


async def order(http: HyperliquidHttp, trader: Trader, *specs: OrderSpec) -> list[OrderOutcome]:
    answer = await http.exchange(trader.l1(order_action(list(specs))))
    return check_statuses(answer, expected=len(specs))


async def rest(http: HyperliquidHttp, trader: Trader, order_spec: OrderSpec) -> int:
    [outcome] = await order(http, trader, order_spec)
    assert isinstance(outcome, Resting), outcome
    return outcome.oid


async def fill(http: HyperliquidHttp, trader: Trader, order_spec: OrderSpec) -> int:
    [outcome] = await order(http, trader, order_spec)
    assert isinstance(outcome, Filled), outcome
    return outcome.oid


async def admin(session: aiohttp.ClientSession, url: str, route: str, body: dict[str, Any]) -> None:
    async with session.post(f"{url}/sim/{route}", json=body, headers=admin_headers(url)) as resp:
        answer = await resp.json()
    assert resp.status == 200 and answer == {"status": "ok"}, answer


async def oracle_px(http: HyperliquidHttp, coin: str) -> Decimal:
    meta, ctxs = await http.info({"type": "metaAndAssetCtxs"})
    names = [m["name"] for m in meta["universe"]]
    return Decimal(ctxs[names.index(coin)]["oraclePx"])


# ----------------------------------------------------------------------------- persistence


async def durable_view(http: HyperliquidHttp, user: str) -> dict[str, Any]:
    """What must survive a restart, without what the mark price moves by itself.

    Cash is taken net of funding so that an hour boundary crossed during the test (a
    funding payment the running venue would have made too) does not count as a change.
    """
    state = await http.info({"type": "clearinghouseState", "user": user})
    funding = await http.info({"type": "userFunding", "user": user, "startTime": 0})
    paid = sum((Decimal(row["delta"]["usdc"]) for row in funding), Decimal(0))
    positions = [
        {
            "coin": p["position"]["coin"],
            "szi": p["position"]["szi"],
            "entryPx": p["position"]["entryPx"],
            "leverage": p["position"]["leverage"],
        }
        for p in state["assetPositions"]
    ]
    return {
        "positions": positions,
        "cash_before_funding": Decimal(state["crossMarginSummary"]["totalRawUsd"]) - paid,
        "openOrders": await http.info({"type": "openOrders", "user": user}),
        "frontendOpenOrders": await http.info({"type": "frontendOpenOrders", "user": user}),
        "userFills": await http.info({"type": "userFills", "user": user}),
        "historicalOrders": await http.info({"type": "historicalOrders", "user": user}),
        "ledger": await http.info(
            {"type": "userNonFundingLedgerUpdates", "user": user, "startTime": 0}
        ),
        "role": await http.info({"type": "userRole", "user": user}),
    }


async def trade_a_session(url: str, a: Trader, b: Trader) -> None:
    """Funding, resting orders on two coins, a fill between a and b, a send and a withdrawal."""
    async with HyperliquidHttp(url) as http, aiohttp.ClientSession() as session:
        for trader in (a, b):
            await admin(session, url, "faucet", {"user": trader.address, "usdc": "10000"})
        btc = (await oracle_px(http, "BTC")).to_integral_value()
        eth = (await oracle_px(http, "ETH")).to_integral_value()
        await rest(http, a, spec(BTC, True, btc - 2000, "0.01"))
        await rest(http, a, spec(ETH, False, eth + 100, "0.1"))
        await rest(http, b, spec(BTC, False, btc, "0.02"))
        await fill(http, a, spec(BTC, True, btc, "0.01", "Ioc"))
        send = usd_send_action
        await http.exchange(a.user(lambda n: send(b.address, Decimal(100), n, is_mainnet=False)))
        out = withdraw3_action
        await http.exchange(a.user(lambda n: out(a.address, Decimal(50), n, is_mainnet=False)))


def all_oids(view: dict[str, Any]) -> set[int]:
    oids = {o["oid"] for o in view["openOrders"]}
    oids |= {f["oid"] for f in view["userFills"]}
    return oids | {h["order"]["oid"] for h in view["historicalOrders"]}


async def test_everything_survives_a_clean_restart(
    tmp_path: Path, venues: list[VenueProcess]
) -> None:
    data = tmp_path / "venue"
    venues.append(VenueProcess("--no-flow", "--seed", "11", data=data))
    a, b = Trader(), Trader()
    await trade_a_session(venues[-1].url, a, b)
    async with HyperliquidHttp(venues[-1].url) as http:
        before = {t.address: await durable_view(http, t.address) for t in (a, b)}

    # What the session left behind, as the user sees it.
    view_a = before[a.address]
    assert [p["szi"] for p in view_a["positions"]] == ["0.01"]
    assert len(view_a["openOrders"]) == 2 and len(view_a["userFills"]) == 1
    kinds = sorted(entry["delta"]["type"] for entry in view_a["ledger"])
    assert kinds == ["deposit", "internalTransfer", "withdraw"]
    assert [p["szi"] for p in before[b.address]["positions"]] == ["-0.01"]

    assert venues[-1].stop() == 0
    venues.append(VenueProcess("--no-flow", "--seed", "11", data=data))
    async with HyperliquidHttp(venues[-1].url) as http:
        after = {t.address: await durable_view(http, t.address) for t in (a, b)}
        assert after == before

        # Trading carries on where it stopped: new oids above every old one, none reused.
        old = all_oids(before[a.address]) | all_oids(before[b.address])
        btc = (await oracle_px(http, "BTC")).to_integral_value()
        new_oid = await rest(http, a, spec(BTC, True, btc - 3000, "0.01"))
        assert new_oid > max(old)
        open_oids = [o["oid"] for o in await http.info({"type": "openOrders", "user": a.address})]
        assert len(open_oids) == len(set(open_oids)) == 3
        for view in after.values():
            tids = [f["tid"] for f in view["userFills"]]
            assert len(tids) == len(set(tids))


async def test_an_acknowledged_order_survives_kill_9(
    tmp_path: Path, venues: list[VenueProcess]
) -> None:
    """No clean stop, so no final snapshot: the restart replays the whole input log."""
    data = tmp_path / "venue"
    venues.append(VenueProcess("--no-flow", "--seed", "12", data=data))
    a, b = Trader(), Trader()
    await trade_a_session(venues[-1].url, a, b)
    async with HyperliquidHttp(venues[-1].url) as http:
        before = {t.address: await durable_view(http, t.address) for t in (a, b)}
        btc = (await oracle_px(http, "BTC")).to_integral_value()
        oid = await rest(http, a, spec(BTC, True, btc - 1000, "0.002"))
    venues[-1].kill()  # the answer was received: the order must be durable by now

    venues.append(VenueProcess("--no-flow", "--seed", "12", data=data))
    async with HyperliquidHttp(venues[-1].url) as http:
        orders = await http.info({"type": "openOrders", "user": a.address})
        old_oids = [o["oid"] for o in before[a.address]["openOrders"]]
        assert [o["oid"] for o in orders] == [oid, *old_oids]  # newest first
        assert orders[0]["sz"] == "0.002" and orders[0]["limitPx"] == str(btc - 1000)
        status = await http.info({"type": "orderStatus", "user": a.address, "oid": oid})
        assert status["status"] == "order" and status["order"]["status"] == "open"
        after_b = await durable_view(http, b.address)
        assert after_b == before[b.address]
        after_a = await durable_view(http, a.address)
        for key in ("positions", "cash_before_funding", "userFills", "ledger"):
            assert after_a[key] == before[a.address][key], key
        assert await rest(http, a, spec(BTC, True, btc - 1500, "0.002")) > oid


async def test_a_second_venue_on_the_same_data_dir_is_refused(
    tmp_path: Path, venues: list[VenueProcess]
) -> None:
    data = tmp_path / "venue"
    venues.append(VenueProcess("--no-flow", data=data))
    second = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "wallet_perps.localvenue.cli", "--port", "0", "--data", str(data)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
    )
    assert second.returncode == 1
    assert second.stdout == ""  # never announced a URL
    assert "another wallet-perps-venue is using" in second.stderr
    assert str(data) in second.stderr
    assert "Traceback" not in second.stderr
    # The first venue is unharmed.
    async with HyperliquidHttp(venues[-1].url) as http:
        assert "BTC" in await http.info({"type": "allMids"})
    assert venues[-1].stop() == 0


# ----------------------------------------------------------------------------- liquidation


def risk_liquidation_px(state: dict[str, Any], meta: dict[str, Any], coin: str) -> Decimal | None:
    """The client's own calculator (core/risk.py) applied to the venue's reported state."""
    tables = {table_id: body["marginTiers"] for table_id, body in meta["marginTables"]}
    by_name = {m["name"]: m for m in meta["universe"]}
    positions = []
    for entry in state["assetPositions"]:
        p = entry["position"]
        table = by_name[p["coin"]]["marginTableId"]
        tiers = (
            TierSchedule(
                tuple(Tier(Decimal(t["lowerBound"]), t["maxLeverage"]) for t in tables[table])
            )
            if table in tables
            else TierSchedule.single(table)
        )
        szi = Decimal(p["szi"])
        positions.append(
            PositionRisk(
                coin=p["coin"],
                szi=szi,
                entry_px=Decimal(p["entryPx"]),
                mark_px=Decimal(p["positionValue"]) / abs(szi),
                leverage=p["leverage"]["value"],
                tiers=tiers,
                isolated_raw_usd=None,
            )
        )
    cash = Decimal(state["crossMarginSummary"]["totalRawUsd"])
    return AccountRisk(cash, tuple(positions)).liquidation_price(coin)


async def test_a_leveraged_long_is_liquidated_just_below_its_liquidation_price(
    venues: list[VenueProcess],
) -> None:
    venues.append(VenueProcess("--no-flow", "--seed", "5"))
    url = venues[-1].url
    trader, maker = Trader(), Trader()
    async with HyperliquidHttp(url) as http, aiohttp.ClientSession() as session:
        await admin(session, url, "faucet", {"user": trader.address, "usdc": "1000"})
        await admin(session, url, "faucet", {"user": maker.address, "usdc": "100000"})
        await http.exchange(trader.l1(update_leverage_action(BTC, 20, is_cross=True)))
        px = (await oracle_px(http, "BTC")).to_integral_value()
        await rest(http, maker, spec(BTC, False, px, "0.1"))
        await fill(http, trader, spec(BTC, True, px, "0.1", "Ioc"))

        state = await http.info({"type": "clearinghouseState", "user": trader.address})
        [position] = state["assetPositions"]
        assert position["position"]["szi"] == "0.1"
        liq_px = Decimal(position["position"]["liquidationPx"])
        assert px * Decimal("0.85") < liq_px < px
        ours = risk_liquidation_px(state, await http.info({"type": "meta"}), "BTC")
        assert ours is not None and abs(ours - liq_px) <= liq_px * Decimal("1e-6")
        # The maker bids below the liquidation price: the liquidation's market order sells there.
        await rest(
            http, maker, spec(BTC, True, (liq_px * Decimal("0.99")).to_integral_value(), "0.1")
        )

        async def szi() -> str | None:
            s = await http.info({"type": "clearinghouseState", "user": trader.address})
            return s["assetPositions"][0]["position"]["szi"] if s["assetPositions"] else None

        # Just above: nothing happens, now or over a few ticks.
        await admin(
            session, url, "oracle", {"coin": "BTC", "px": str(int(liq_px * Decimal("1.003")))}
        )
        assert await szi() == "0.1"
        await asyncio.sleep(3 * TICK_S)
        assert await szi() == "0.1"
        assert not any(
            "liquidation" in f
            for f in await http.info({"type": "userFills", "user": trader.address})
        )

        # Just below: gone in that call or within a tick.
        await admin(
            session, url, "oracle", {"coin": "BTC", "px": str(int(liq_px * Decimal("0.998")))}
        )
        started = time.monotonic()
        await eventually(lambda: _is_flat(szi), "the liquidation", TICK_S + 0.5)
        assert time.monotonic() - started <= TICK_S + 0.5

        fills = await http.info({"type": "userFills", "user": trader.address})
        liquidations = [f for f in fills if "liquidation" in f]
        assert liquidations, fills
        assert sum(Decimal(f["sz"]) for f in liquidations) == Decimal("0.1")
        for f in liquidations:
            assert f["liquidation"]["liquidatedUser"] == trader.address
            assert f["liquidation"]["method"] == "market"  # sold into the maker's bid
            assert Decimal(f["liquidation"]["markPx"]) < liq_px
            assert f["side"] == "A" and f["dir"] == "Close Long"
        ledger = await http.info(
            {"type": "userNonFundingLedgerUpdates", "user": trader.address, "startTime": 0}
        )
        assert any(entry["delta"]["type"] == "liquidation" for entry in ledger)


async def _is_flat(szi: Callable[[], Any]) -> bool:
    return await szi() in (None, "0", "0.0")


# ------------------------------------------------------------------------------ clock speed


async def test_at_clock_speed_3600_funding_is_paid_within_seconds(
    venues: list[VenueProcess],
) -> None:
    venues.append(VenueProcess("--clock-speed", "3600", "--seed", "3"))
    url = venues[-1].url
    async with HyperliquidHttp(url) as http, aiohttp.ClientSession() as session:

        def venue_ms() -> int:
            return int(status_time[0])

        status_time = [(await http.info({"type": "exchangeStatus"}))["time"]]
        trader = Trader(clock=venue_ms)  # venue time runs an hour per second: nonces follow it
        await admin(session, url, "faucet", {"user": trader.address, "usdc": "10000"})
        mid = Decimal((await http.info({"type": "allMids"}))["BTC"])
        status_time[0] = (await http.info({"type": "exchangeStatus"}))["time"]
        buy_px = (mid * Decimal("1.01")).to_integral_value()
        await fill(http, trader, spec(BTC, True, buy_px, "0.01", "Ioc"))

        async def funded() -> list[dict[str, Any]]:
            rows = await http.info({"type": "userFunding", "user": trader.address, "startTime": 0})
            return rows if len(rows) >= 2 else []

        rows = await eventually(funded, "two hourly funding payments", 8.0, 0.2)
        history = await http.info({"type": "fundingHistory", "coin": "BTC", "startTime": 0})
        assert len(history) >= 2
        # fundingHistory is stamped a few ms after the hour, payments on the hour (as mainnet).
        rates = {h["time"] // 3_600_000: Decimal(h["fundingRate"]) for h in history}
        for row in rows:
            delta = row["delta"]
            assert delta["type"] == "funding" and delta["coin"] == "BTC"
            rate, usdc = Decimal(delta["fundingRate"]), Decimal(delta["usdc"])
            assert row["time"] % 3_600_000 == 0
            assert rates.get(row["time"] // 3_600_000) == rate  # the published rate of that hour
            assert Decimal(delta["szi"]) > 0
            if rate > 0:
                assert usdc < 0  # longs pay when the rate is positive
            elif rate < 0:
                assert usdc > 0
        times = [row["time"] for row in rows]
        assert all(b - a == 3_600_000 for a, b in itertools.pairwise(times))


# -------------------------------------------------------------------------------- websocket


def ws_subscriptions(user: str) -> list[dict[str, Any]]:
    return [
        {"type": "allMids"},
        {"type": "l2Book", "coin": "BTC"},
        {"type": "bbo", "coin": "BTC"},
        {"type": "trades", "coin": "BTC"},
        {"type": "candle", "coin": "BTC", "interval": "1m"},
        {"type": "activeAssetCtx", "coin": "BTC"},
        {"type": "userFills", "user": user},
        {"type": "orderUpdates", "user": user},
        {"type": "userFundings", "user": user},
        {"type": "userNonFundingLedgerUpdates", "user": user},
        {"type": "clearinghouseState", "user": user},
        {"type": "notification", "user": user},
        {"type": "userEvents", "user": user},
        {"type": "activeAssetData", "user": user, "coin": "BTC"},
    ]


async def test_our_websocket_client_gets_every_feed(
    venues: list[VenueProcess], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="wallet_perps.hyperliquid.ws")
    venues.append(VenueProcess("--no-flow", "--seed", "9"))
    url = venues[-1].url
    trader, maker = Trader(), Trader()
    got: dict[str, list[tuple[Any, bool]]] = {}

    def collector(kind: str) -> Callable[[Any, bool], None]:
        return lambda data, resync: got.setdefault(kind, []).append((data, resync))

    async with HyperliquidHttp(url) as http, aiohttp.ClientSession() as session:
        await admin(session, url, "faucet", {"user": trader.address, "usdc": "10000"})
        await admin(session, url, "faucet", {"user": maker.address, "usdc": "10000"})
        px = (await oracle_px(http, "BTC")).to_integral_value()
        await rest(http, maker, spec(BTC, False, px, "0.01"))

        ws = HyperliquidWs(venues[-1].ws_url, ping_interval=0.2, ack_timeout=3.0)
        async with ws:
            await asyncio.wait_for(ws.wait_connected(), 10)
            handles = {}
            for sub in ws_subscriptions(trader.checksum):
                started = time.monotonic()
                handles[sub["type"]] = await ws.subscribe(sub, collector(sub["type"]))
                assert time.monotonic() - started < 2.0, f"no ack for {sub}"

            async def first(kind: str) -> tuple[Any, bool] | None:
                return got[kind][0] if got.get(kind) else None

            # Snapshots: user feeds say isSnapshot and name the user in lowercase.
            for kind in ("userFills", "userFundings", "userNonFundingLedgerUpdates"):
                data, resync = await eventually(partial(first, kind), f"{kind} snapshot", 3)
                assert resync and data["isSnapshot"] is True and data["user"] == trader.address
            ledger, _ = got["userNonFundingLedgerUpdates"][0]
            assert [u["delta"]["type"] for u in ledger["nonFundingLedgerUpdates"]] == ["deposit"]
            state, _ = await eventually(lambda: first("clearinghouseState"), "account", 3)
            assert state["user"] == trader.address and state["dex"] == ""
            asset_data, _ = await eventually(lambda: first("activeAssetData"), "asset data", 3)
            assert asset_data["user"] == trader.address and asset_data["coin"] == "BTC"
            mids, _ = await eventually(lambda: first("allMids"), "allMids", 3)
            assert "BTC" in mids["mids"] and "dex" not in mids
            book, _ = await eventually(lambda: first("l2Book"), "l2Book", 3)
            assert book["coin"] == "BTC" and book["levels"][1][0]["px"] == str(px)
            ctx, _ = await eventually(lambda: first("activeAssetCtx"), "asset ctx", 3)
            assert ctx["coin"] == "BTC" and "markPx" in ctx["ctx"]

            # An order placed over HTTP shows up on every user feed.
            oid = await fill(http, trader, spec(BTC, True, px, "0.01", "Ioc"))

            async def pushed(kind: str, match: Callable[[Any], bool]) -> Any:
                return next((d for d, _ in got.get(kind, []) if match(d)), None)

            def has_oid(fills: list[dict[str, Any]]) -> bool:
                return any(f["oid"] == oid for f in fills)

            await eventually(
                lambda: pushed(
                    "orderUpdates",
                    lambda d: any(u["order"]["oid"] == oid and u["status"] == "filled" for u in d),
                ),
                "orderUpdates: filled",
                3,
            )
            fills = await eventually(
                lambda: pushed("userFills", lambda d: has_oid(d["fills"])), "userFills push", 3
            )
            assert not fills.get("isSnapshot") and fills["user"] == trader.address
            await eventually(
                lambda: pushed("userEvents", lambda d: has_oid(d.get("fills", []))),
                "userEvents fills",
                3,
            )
            state = await eventually(
                lambda: pushed(
                    "clearinghouseState",
                    lambda d: (
                        [p["position"]["szi"] for p in d["clearinghouseState"]["assetPositions"]]
                        == ["0.01"]
                    ),
                ),
                "clearinghouseState push",
                3,
            )
            assert state["user"] == trader.address
            await eventually(
                lambda: pushed("trades", lambda d: any(t["px"] == str(px) for t in d)), "trades", 3
            )
            await eventually(lambda: pushed("bbo", lambda d: d["coin"] == "BTC"), "bbo", 3)

            # Unsubscribe is acknowledged (a missing ack would be logged as "not confirmed").
            await ws.unsubscribe(handles["allMids"])
            await ws.unsubscribe(handles["candle"])
            await asyncio.sleep(0.3)
            count = len(got.get("allMids", []))
            await asyncio.sleep(3 * TICK_S)
            assert len(got.get("allMids", [])) == count

            # Heartbeat and posts.
            await eventually(lambda: _value(ws.latency), "a pong", 3)
            info = await ws.post_info({"type": "clearinghouseState", "user": trader.address})
            assert info["assetPositions"][0]["position"]["szi"] == "0.01"
            answer = await ws.post_action(
                trader.l1(order_action([spec(BTC, True, px - 2000, "0.01")]))
            )
            [outcome] = check_statuses(answer, expected=1)
            assert isinstance(outcome, Resting) and outcome.oid > oid
    problems = [r.getMessage() for r in caplog.records if "not confirmed" in r.getMessage()]
    assert problems == []


async def _value(value: Any) -> Any:
    return value


async def test_raw_websocket_shapes_and_malformed_messages(venues: list[VenueProcess]) -> None:
    venues.append(VenueProcess("--no-flow", "--seed", "4"))
    url = venues[-1].url
    trader = Trader()
    async with aiohttp.ClientSession() as session, HyperliquidHttp(url) as http:
        await admin(session, url, "faucet", {"user": trader.address, "usdc": "10000"})
        px = (await oracle_px(http, "BTC")).to_integral_value()
        async with session.ws_connect(venues[-1].ws_url) as ws:

            async def receive(channel: str) -> Any:
                while True:
                    msg = await asyncio.wait_for(ws.receive(), 5)
                    assert msg.type is aiohttp.WSMsgType.TEXT, msg
                    if msg.data.startswith("{"):
                        message = json.loads(msg.data)
                        if message["channel"] == channel:
                            return message.get("data")

            first = await asyncio.wait_for(ws.receive(), 5)
            assert first.data == "Websocket connection established."

            # A checksummed user: the ack echoes every field sent, pushes carry it lowercase.
            sub = {"type": "userFills", "user": trader.checksum}
            await ws.send_json({"method": "subscribe", "subscription": sub})
            ack = await receive("subscriptionResponse")
            assert ack["method"] == "subscribe"
            assert ack["subscription"]["type"] == "userFills"
            assert ack["subscription"]["user"].lower() == trader.address
            snapshot = await receive("userFills")
            assert snapshot == {"isSnapshot": True, "user": trader.address, "fills": []}
            await ws.send_json({"method": "unsubscribe", "subscription": sub})
            ack = await receive("subscriptionResponse")
            assert ack["method"] == "unsubscribe" and ack["subscription"]["type"] == "userFills"

            # Post shapes (§8.3).
            await ws.send_json(
                {
                    "method": "post",
                    "id": 7,
                    "request": {"type": "info", "payload": {"type": "l2Book", "coin": "BTC"}},
                }
            )
            post = await receive("post")
            assert post["id"] == 7 and post["response"]["type"] == "info"
            assert post["response"]["payload"]["type"] == "l2Book"
            assert post["response"]["payload"]["data"]["coin"] == "BTC"
            body = trader.l1(order_action([spec(BTC, True, px - 1000, "0.01")]))
            await ws.send_json(
                {"method": "post", "id": 8, "request": {"type": "action", "payload": body}}
            )
            post = await receive("post")
            assert post["id"] == 8 and post["response"]["type"] == "action"
            payload = post["response"]["payload"]
            assert payload["status"] == "ok" and payload["response"]["type"] == "order"
            [status] = payload["response"]["data"]["statuses"]
            assert isinstance(status["resting"]["oid"], int)

            # Malformed messages get {"channel":"error"}; the connection stays usable.
            for bad in (
                "{not json",
                "[]",
                "null",
                '{"method": 5}',
                '{"method": "subscribe", "subscription": {"type": "nope"}}',
                '{"method": "subscribe"}',
                '{"method": "post", "id": 9}',
            ):
                await ws.send_str(bad)
                error = await receive("error")
                assert isinstance(error, str) and error
            await ws.send_json({"method": "post", "id": 10, "request": {"type": "info"}})
            post = await receive("post")
            assert post["id"] == 10 and post["response"]["type"] == "error"
            await ws.send_bytes(b"\x00\x01binary")
            await ws.send_json({"method": "ping"})
            assert await receive("pong") is None
            orders = await http.info({"type": "openOrders", "user": trader.address})
            assert [o["oid"] for o in orders] == [status["resting"]["oid"]]

"""Runs inside the official hyperliquid-python-sdk's own virtualenv, against a local venue.

Usage: python sdk_scenario.py BASE_URL ADMIN_TOKEN
(the token is for the venue's own /sim/faucet only; every SDK call is the SDK's, unchanged)
Prints one JSON object: what each SDK call answered. The pytest side (test_sdk_oracle.py)
asserts on it. This file imports the SDK and must never be imported by the app or by pytest.
"""

from __future__ import annotations

import json
import os
import sys
import time
import traceback
from typing import Any

import eth_account
import requests
from hyperliquid.exchange import Exchange
from hyperliquid.info import Info


def faucet(base: str, token: str, user: str, usdc: str) -> None:
    answer = requests.post(
        f"{base}/sim/faucet",
        json={"user": user, "usdc": usdc},
        headers={"X-Wallet-Perps-Admin": token},
        timeout=10,
    )
    answer.raise_for_status()
    assert answer.json() == {"status": "ok"}, answer.text


def main(base: str, token: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    master = eth_account.Account.create()
    faucet(base, token, master.address, "100000")

    info = Info(base, skip_ws=False)
    out["meta_first"] = info.meta()["universe"][0]["name"]
    out["all_mids_btc"] = info.all_mids().get("BTC")
    book = info.l2_snapshot("BTC")
    out["l2_levels"] = [len(book["levels"][0]), len(book["levels"][1])]
    now = int(time.time() * 1000)
    out["funding_history"] = info.funding_history("BTC", now - 86_400_000)

    book_msgs: list[Any] = []
    fill_msgs: list[Any] = []
    info.subscribe({"type": "l2Book", "coin": "BTC"}, book_msgs.append)
    info.subscribe({"type": "userFills", "user": master.address}, fill_msgs.append)

    exchange = Exchange(master, base)
    mid = float(info.all_mids()["BTC"])
    low = round(mid * 0.8)  # far below the book: rests
    resting = exchange.order("BTC", True, 0.001, low, {"limit": {"tif": "Gtc"}})
    out["resting"] = resting
    oid = resting["response"]["data"]["statuses"][0]["resting"]["oid"]
    out["open_orders_after_place"] = [o["oid"] for o in info.open_orders(master.address)]
    out["cancel"] = exchange.cancel("BTC", oid)
    out["open_orders_after_cancel"] = info.open_orders(master.address)

    out["market_open"] = exchange.market_open("BTC", True, 0.01)
    out["position_after_open"] = info.user_state(master.address)["assetPositions"]
    now = int(time.time() * 1000)
    out["candles"] = len(info.candles_snapshot("BTC", "1m", now - 3_600_000, now + 60_000))
    out["market_close"] = exchange.market_close("BTC")
    out["position_after_close"] = info.user_state(master.address)["assetPositions"]

    out["update_leverage"] = exchange.update_leverage(5, "BTC")
    out["leverage_after"] = info.user_state(master.address)

    approve, agent_key = exchange.approve_agent("bot")
    out["approve_agent"] = approve
    agent = eth_account.Account.from_key(agent_key)
    agent_exchange = Exchange(agent, base, account_address=master.address)
    eth_low = round(float(info.all_mids()["ETH"]) * 0.8, 1)
    agent_order = agent_exchange.order("ETH", True, 0.01, eth_low, {"limit": {"tif": "Gtc"}})
    out["agent_order"] = agent_order
    out["agent_order_visible_to_master"] = [o["coin"] for o in info.open_orders(master.address)]
    out["extra_agents"] = info.post("/info", {"type": "extraAgents", "user": master.address})

    friend = eth_account.Account.create()
    out["usd_transfer"] = exchange.usd_transfer(12.5, friend.address)
    out["friend_state"] = info.user_state(friend.address)["withdrawable"]

    stranger = eth_account.Account.create()
    out["stranger_order"] = Exchange(stranger, base).order(
        "BTC", True, 0.001, low, {"limit": {"tif": "Gtc"}}
    )

    deadline = time.time() + 10
    while time.time() < deadline and (not book_msgs or not fill_msgs):
        time.sleep(0.1)
    out["ws_l2book_messages"] = len(book_msgs)
    out["ws_l2book_coin"] = book_msgs[0]["data"]["coin"] if book_msgs else None
    out["ws_userfills_messages"] = len(fill_msgs)
    out["ws_userfills_fills"] = sum(len(m["data"].get("fills", [])) for m in fill_msgs)
    info.disconnect_websocket()
    return out


if __name__ == "__main__":
    try:
        result = main(sys.argv[1], sys.argv[2])
    except Exception:
        print(json.dumps({"crash": traceback.format_exc()}))
        sys.exit(1)
    print(json.dumps(result))
    sys.stdout.flush()
    os._exit(0)  # the SDK's websocket thread may linger; do not wait for it

"""The official Python SDK, unchanged, trades on a local venue process.

This is the venue's acceptance test: any Hyperliquid client must work on it, so the SDK (in
its own virtualenv) runs a whole session against ``wallet-perps-venue`` over loopback.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.sdk_env import sdk_python
from tests.venue_process import VenueProcess

SCENARIO = Path(__file__).with_name("sdk_scenario.py")


@pytest.fixture(scope="module")
def sdk_session() -> Iterator[dict[str, Any]]:
    python = sdk_python()
    venue = VenueProcess("--seed", "7")
    try:
        run = subprocess.run(
            [str(python), str(SCENARIO), venue.url, str(venue.admin_token)],
            capture_output=True,
            text=True,
            timeout=180,
        )
    finally:
        venue.stop()
    assert run.stdout.strip(), f"scenario printed nothing; stderr:\n{run.stderr[-3000:]}"
    result: dict[str, Any] = json.loads(run.stdout.strip().splitlines()[-1])
    assert "crash" not in result, result.get("crash")
    yield result


def _status(answer: dict[str, Any]) -> Any:
    assert answer["status"] == "ok", answer
    return answer["response"]["data"]["statuses"][0]


def test_sdk_reads_market_data(sdk_session: dict[str, Any]) -> None:
    assert sdk_session["meta_first"] == "BTC"
    assert float(sdk_session["all_mids_btc"]) > 0
    assert sdk_session["l2_levels"][0] > 0 and sdk_session["l2_levels"][1] > 0
    assert sdk_session["candles"] >= 1
    assert isinstance(sdk_session["funding_history"], list)


def test_sdk_places_and_cancels_a_resting_order(sdk_session: dict[str, Any]) -> None:
    oid = _status(sdk_session["resting"])["resting"]["oid"]
    assert oid in sdk_session["open_orders_after_place"]
    assert sdk_session["cancel"]["response"]["data"]["statuses"] == ["success"]
    assert sdk_session["open_orders_after_cancel"] == []


def test_sdk_market_open_and_close(sdk_session: dict[str, Any]) -> None:
    filled = _status(sdk_session["market_open"])["filled"]
    assert float(filled["totalSz"]) == pytest.approx(0.01)
    [position] = sdk_session["position_after_open"]
    assert position["position"]["coin"] == "BTC" and position["position"]["szi"] == "0.01"
    assert "filled" in _status(sdk_session["market_close"])
    assert sdk_session["position_after_close"] == []


def test_sdk_updates_leverage(sdk_session: dict[str, Any]) -> None:
    assert sdk_session["update_leverage"] == {"status": "ok", "response": {"type": "default"}}


def test_sdk_agent_trades_for_its_master(sdk_session: dict[str, Any]) -> None:
    assert sdk_session["approve_agent"]["status"] == "ok"
    assert "resting" in _status(sdk_session["agent_order"])
    assert "ETH" in sdk_session["agent_order_visible_to_master"]
    assert [a["name"] for a in sdk_session["extra_agents"]] == ["bot"]


def test_sdk_usd_transfer(sdk_session: dict[str, Any]) -> None:
    assert sdk_session["usd_transfer"]["status"] == "ok"
    assert float(sdk_session["friend_state"]) == pytest.approx(12.5)


def test_unknown_signer_is_refused_in_the_venues_words(sdk_session: dict[str, Any]) -> None:
    answer = sdk_session["stranger_order"]
    assert answer["status"] == "err"
    assert answer["response"].startswith("User or API Wallet 0x")
    assert answer["response"].endswith("does not exist.")


def test_sdk_websocket_receives_books_and_fills(sdk_session: dict[str, Any]) -> None:
    assert sdk_session["ws_l2book_messages"] >= 1
    assert sdk_session["ws_l2book_coin"] == "BTC"
    assert sdk_session["ws_userfills_messages"] >= 1
    assert sdk_session["ws_userfills_fills"] >= 2  # the market open and close

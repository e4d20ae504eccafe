"""HyperliquidHttp against a small in-test aiohttp venue on 127.0.0.1 (no network).

The stub serves the recorded mainnet bodies from the shared fixtures (docs examples for
the request types no official repo recorded) and can misbehave on demand: drop the
connection, stall, answer 429/500, or page time-range queries with a cap.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from tests.conftest import FIXTURES_DIR
from wallet_perps.core.answers import Filled, OrderError, Resting, Success, UnknownStatus, Waiting
from wallet_perps.core.wire_values import normalize_address
from wallet_perps.hyperliquid import tls
from wallet_perps.hyperliquid.errors import (
    Disconnected,
    ExchangeTimeout,
    HttpError,
    RateLimited,
    RejectedAction,
    RejectedOrder,
    UnexpectedResponse,
    VenueTimeout,
    VenueUnavailable,
)
from wallet_perps.hyperliquid.exchange_answers import (
    check_statuses,
    raise_for_statuses,
    single_outcome,
)
from wallet_perps.hyperliquid.http import HyperliquidHttp

FIXTURES = FIXTURES_DIR
USER = "0xB7B6F3CEA3F66BF525F5D8F965F6DBF6D9B017B2"


def _recorded_bodies() -> dict[str, Any]:
    """Request type -> response body, from fixtures/recorded (the no-endTime variants)."""
    bodies: dict[str, Any] = {}
    for path in sorted((FIXTURES / "recorded").glob("*.json")):
        if "with_end_time" in path.name or "1684811870000" in path.name:
            continue
        for interaction in json.loads(path.read_text())["interactions"]:
            bodies[interaction["request"]["body"]["type"]] = interaction["response"]["body"]
    return bodies


def _docs_body(request_type: str) -> Any:
    docs = json.loads((FIXTURES / "doc_examples/docs_examples.json").read_text())
    for section in docs.values():
        if section["request_type"] == request_type:
            for example in section["examples"]:
                if example["parsed"] is not None:
                    return example["parsed"]
    raise KeyError(request_type)


def _time_of(row: Any) -> int:
    return int(row["t"] if "t" in row else row["time"])


def _in_window(row: Any, start: int, end: int | None) -> bool:
    # Like the venue, a candle is served when its interval overlaps the window.
    first, last = (row["t"], row["T"]) if "T" in row else (row["time"], row["time"])
    return last >= start and (end is None or first <= end)


class Venue:
    """A scriptable /info + /exchange stub. Everything it receives is kept in ``requests``."""

    def __init__(self) -> None:
        self.bodies: dict[str, Any] = {}
        self.page_cap: dict[str, int] = {}
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self.drop: set[int] = set()  # 1-based request numbers whose connection is dropped
        self.stall = 0.0
        self.status: tuple[int, str] | None = None
        self.exchange_body: Any = {"status": "ok", "response": {"type": "default"}}
        self.base_url = ""
        self._runner: web.AppRunner | None = None
        self._release = asyncio.Event()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.requests.append((request.path, body))
        if len(self.requests) in self.drop:
            request.transport.close()  # type: ignore[union-attr]
            raise asyncio.CancelledError  # abandon the handler; the client sees a drop
        if self.stall:
            # Released early by stop() so teardown does not wait for the stall.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._release.wait(), self.stall)
        if self.status is not None:
            return web.Response(status=self.status[0], text=self.status[1])
        if request.path == "/exchange":
            return web.json_response(self.exchange_body)
        return web.json_response(self._info(body))

    def _info(self, body: dict[str, Any]) -> Any:
        kind = body["type"]
        data = self.bodies[kind]
        cap = self.page_cap.get(kind)
        if cap is None:
            return data
        window = body.get("req", body)
        start, end = window["startTime"], window.get("endTime")
        rows = [r for r in data if _in_window(r, start, end)]
        return rows[:cap]

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/info", self._handle)
        app.router.add_post("/exchange", self._handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base_url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        self._release.set()
        if self._runner is not None:
            await self._runner.cleanup()

    def count(self, path: str) -> int:
        return sum(1 for p, _ in self.requests if p == path)


@pytest.fixture
async def venue() -> AsyncIterator[Venue]:
    stub = Venue()
    await stub.start()
    try:
        yield stub
    finally:
        await stub.stop()


@pytest.fixture
async def client(venue: Venue) -> AsyncIterator[HyperliquidHttp]:
    async with HyperliquidHttp(venue.base_url, timeout=5.0) as http:
        yield http


def _signed(action: dict[str, Any]) -> dict[str, Any]:
    return {
        "action": action,
        "nonce": 1700000000000,
        "signature": {"r": "0x1", "s": "0x2", "v": 27},
        "vaultAddress": None,
        "expiresAfter": None,
    }


ORDER = {"type": "order", "orders": [], "grouping": "na"}


# --------------------------------------------------------------------------- typed calls


async def test_typed_calls_return_models_from_recorded_bodies(
    venue: Venue, client: HyperliquidHttp
) -> None:
    venue.bodies = _recorded_bodies()
    for kind in ("metaAndAssetCtxs", "predictedFundings", "orderStatus", "activeAssetData"):
        venue.bodies[kind] = _docs_body(kind)
    for kind in ("userFillsByTime", "userFunding", "userNonFundingLedgerUpdates"):
        venue.page_cap[kind] = 2000 if kind == "userFillsByTime" else 500
    venue.page_cap["fundingHistory"] = 500
    venue.page_cap["candleSnapshot"] = 500

    meta = await client.meta()
    assert meta.markets[0].name == "BTC"
    meta2, ctxs = await client.meta_and_asset_ctxs()
    assert len(ctxs) == len(meta2.markets)
    mids = await client.all_mids()
    assert mids["BTC"] == Decimal("30135.0")
    state = await client.clearinghouse_state(USER)
    assert len(state.positions) > 0
    assert len(await client.open_orders(USER)) == 196
    frontend = await client.frontend_open_orders(USER)
    assert frontend and frontend[0].coin
    status = await client.order_status(USER, 1)
    assert status is not None and status.order.coin == "ETH"
    assert len(await client.user_fills(USER)) == 500
    fills = await client.user_fills_by_time(USER, 0)
    assert len(fills) == 500
    assert [f.time for f in fills] == sorted(f.time for f in fills)
    assert len(await client.user_funding(USER, 1681923833000)) == 218
    history = await client.funding_history("BTC", 1681923833000)
    assert len(history) == 1038  # three pages of 500 + 500 + 38
    assert len(await client.predicted_fundings()) >= 1
    book = await client.l2_book("DYDX")
    assert book.coin == "DYDX" and len(book.bids) == 20
    candles = await client.candle_snapshot("kPEPE", "1h", 1684702007000, 1684784807000)
    assert len(candles) == 24
    limits = await client.user_rate_limit(USER)
    assert limits is not None
    assert len(await client.extra_agents(USER)) == 2
    assert len(await client.user_non_funding_ledger_updates(USER, 1681923833000)) == 5
    assert len(await client.historical_orders(USER)) == 5
    assert await client.user_role(USER) is not None
    assert await client.active_asset_data(USER, "APT") is not None

    sent = [body for path, body in venue.requests if "user" in body]
    assert sent and all(body["user"] == USER.lower() for body in sent)
    assert sum(1 for _, b in venue.requests if b["type"] == "fundingHistory") == 3


async def test_order_status_by_cloid_is_sent_lowercase(
    venue: Venue, client: HyperliquidHttp
) -> None:
    venue.bodies["orderStatus"] = {"status": "unknownOid"}
    cloid = "0x" + "AB" * 16
    assert await client.order_status(USER, cloid) is None
    assert venue.requests[-1][1]["oid"] == cloid.lower()
    with pytest.raises(ValueError):
        await client.order_status(USER, "0x1234")


def test_normalize_address() -> None:
    assert normalize_address(USER) == USER.lower()
    for bad in ("0x123", USER[2:], f" {USER}"):  # nothing is guessed or stripped
        with pytest.raises(ValueError):
            normalize_address(bad)


# --------------------------------------------------------------------------- paging


def _rows(times: list[int]) -> list[dict[str, Any]]:
    return [{"time": t, "seq": i} for i, t in enumerate(times)]


async def test_paging_concatenates_500_500_37_and_stops(
    venue: Venue, client: HyperliquidHttp
) -> None:
    # The server pages by startTime (inclusive), 500 rows at most. The client asks from
    # the last time seen, so the boundary row comes back once more and is de-duplicated:
    # pages hold 500, 499 + 1 repeat and 37 + 1 repeat (short, so it stops).
    rows = _rows([1_000 + i for i in range(1037)])
    venue.bodies["fundingHistory"] = [
        {"coin": "BTC", "fundingRate": "0.0000125", "premium": "0", "time": r["time"]} for r in rows
    ]
    venue.page_cap["fundingHistory"] = 500
    history = await client.funding_history("BTC", 0)
    assert [h.time for h in history] == [r["time"] for r in rows]
    starts = [b["startTime"] for _, b in venue.requests]
    assert len(starts) == 3
    assert starts[0] == 0 and starts[1] == 1_499 and starts[2] == 1_998


async def test_paging_keeps_rows_sharing_the_boundary_millisecond(
    venue: Venue, client: HyperliquidHttp
) -> None:
    # 600 rows, three per millisecond: a page of 500 ends inside a millisecond group.
    # Paging from "last time + 1" would lose the rest of that group.
    times = [5_000 + i // 3 for i in range(600)]
    venue.bodies["userNonFundingLedgerUpdates"] = _rows(times)
    venue.page_cap["userNonFundingLedgerUpdates"] = 500
    rows = await client._paged(
        lambda start: {"type": "userNonFundingLedgerUpdates", "startTime": start},
        start_ms=0,
        end_ms=None,
        cap=500,
    )
    assert sorted(r["seq"] for r in rows) == list(range(600))


async def test_paging_stops_when_the_server_ignores_start_time(
    venue: Venue, client: HyperliquidHttp
) -> None:
    venue.bodies["userFunding"] = _rows(list(range(500)))  # always the same full page
    rows = await client._paged(
        lambda start: {"type": "userFunding", "startTime": start},
        start_ms=0,
        end_ms=None,
        cap=500,
    )
    assert len(rows) == 500
    assert venue.count("/info") == 3  # the third page is entirely before the cursor


async def test_paging_steps_over_a_full_page_inside_one_millisecond(
    venue: Venue, client: HyperliquidHttp
) -> None:
    venue.bodies["userFunding"] = _rows([7] * 500 + [8, 9])
    venue.page_cap["userFunding"] = 500
    rows = await client._paged(
        lambda start: {"type": "userFunding", "startTime": start},
        start_ms=0,
        end_ms=None,
        cap=500,
    )
    assert len(rows) == 502
    assert venue.count("/info") == 3


async def test_paging_stops_at_end_time(venue: Venue, client: HyperliquidHttp) -> None:
    venue.bodies["userFunding"] = _rows(list(range(2_000)))
    venue.page_cap["userFunding"] = 500
    rows = await client._paged(
        lambda start: {"type": "userFunding", "startTime": start, "endTime": 999},
        start_ms=0,
        end_ms=999,
        cap=500,
    )
    assert [r["time"] for r in rows] == list(range(1_000))


# --------------------------------------------------------------------------- transport


async def test_info_retries_once_after_a_dropped_keepalive_connection(
    venue: Venue, client: HyperliquidHttp
) -> None:
    venue.bodies["allMids"] = {"BTC": "1"}
    assert await client.all_mids() == {"BTC": Decimal("1")}
    venue.drop = {2}  # the pooled connection is dead when the next request arrives
    assert await client.all_mids() == {"BTC": Decimal("1")}
    assert venue.count("/info") == 3


async def test_info_gives_up_after_the_second_drop(venue: Venue, client: HyperliquidHttp) -> None:
    venue.bodies["allMids"] = {}
    venue.drop = {1, 2}
    with pytest.raises(Disconnected) as caught:
        await client.all_mids()
    assert not caught.value.outcome_unknown
    assert venue.count("/info") == 2


async def test_exchange_is_sent_exactly_once_when_the_connection_drops(
    venue: Venue, client: HyperliquidHttp
) -> None:
    venue.drop = {1}
    with pytest.raises(Disconnected) as caught:
        await client.exchange(_signed(ORDER))
    assert caught.value.outcome_unknown
    assert "may or may not" in str(caught.value)
    await asyncio.sleep(0.05)
    assert venue.count("/exchange") == 1


async def test_exchange_timeout_is_distinct_and_sent_once(venue: Venue) -> None:
    venue.stall = 2.0
    async with HyperliquidHttp(venue.base_url, timeout=0.3) as http:
        started = time.monotonic()
        with pytest.raises(ExchangeTimeout) as caught:
            await http.exchange(_signed(ORDER))
        assert time.monotonic() - started < 1.0
    assert caught.value.outcome_unknown
    assert venue.count("/exchange") == 1


async def test_info_timeout_raises_within_the_timeout(venue: Venue) -> None:
    venue.stall = 2.0
    venue.bodies["allMids"] = {}
    async with HyperliquidHttp(venue.base_url, timeout=0.3) as http:
        started = time.monotonic()
        with pytest.raises(VenueTimeout):
            await http.all_mids()
        assert time.monotonic() - started < 1.0
    assert venue.count("/info") == 1  # timeouts are not retried


async def test_429_is_rate_limited(venue: Venue, client: HyperliquidHttp) -> None:
    venue.status = (429, "Too many requests")
    with pytest.raises(RateLimited) as caught:
        await client.info({"type": "allMids"})
    assert caught.value.venue_text == "Too many requests"


async def test_other_http_errors_carry_status_and_body(
    venue: Venue, client: HyperliquidHttp
) -> None:
    venue.status = (422, "Failed to deserialize the JSON body into the target type")
    with pytest.raises(HttpError) as caught:
        await client.info({"type": "nonsense"})
    assert caught.value.status == 422
    assert "Failed to deserialize" in str(caught.value)
    assert not caught.value.outcome_unknown
    venue.status = (502, "Bad Gateway")
    with pytest.raises(HttpError) as gateway:
        await client.exchange(_signed(ORDER))
    assert gateway.value.outcome_unknown  # the action may have gone through


async def test_non_json_body_is_an_unexpected_response(
    venue: Venue, client: HyperliquidHttp
) -> None:
    venue.status = (200, "<html>gateway</html>")
    with pytest.raises(UnexpectedResponse):
        await client.info({"type": "allMids"})


async def test_unreachable_venue_is_unavailable() -> None:
    # Bind then close a socket to get a port nobody listens on.
    server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()
    async with HyperliquidHttp(f"http://127.0.0.1:{port}", timeout=2.0) as http:
        with pytest.raises(VenueUnavailable) as caught:
            await http.exchange(_signed(ORDER))
    assert not caught.value.outcome_unknown  # never connected, so nothing was sent


async def test_shared_session_is_not_closed(venue: Venue) -> None:
    venue.bodies["allMids"] = {}
    async with aiohttp.ClientSession() as session:
        async with HyperliquidHttp(venue.base_url, session=session) as http:
            await http.all_mids()
        assert not session.closed


# --------------------------------------------------------------------------- exchange answers


def _ok(statuses: list[Any], kind: str = "order") -> dict[str, Any]:
    return {"status": "ok", "response": {"type": kind, "data": {"statuses": statuses}}}


async def test_status_err_is_rejected_action_with_the_venues_words(
    venue: Venue, client: HyperliquidHttp
) -> None:
    text = "User or API Wallet 0x0000000000000000000000000000000000000001 does not exist."
    venue.exchange_body = {"status": "err", "response": text}
    with pytest.raises(RejectedAction) as caught:
        await client.exchange(_signed(ORDER))
    assert caught.value.venue_text == text
    assert text in str(caught.value)


async def test_per_order_errors_become_typed_outcomes(
    venue: Venue, client: HyperliquidHttp
) -> None:
    venue.exchange_body = _ok(
        [
            {"resting": {"oid": 77738308, "cloid": "0x" + "1" * 32}},
            {"filled": {"totalSz": "0.02", "avgPx": "1891.4", "oid": 77747314}},
            {"error": "Insufficient margin to place order. asset=15"},
            "waitingForTrigger",
        ]
    )
    response = await client.exchange(_signed(ORDER))
    outcomes = check_statuses(response, expected=4)
    assert outcomes == [
        Resting(0, 77738308, "0x" + "1" * 32),
        Filled(1, Decimal("0.02"), Decimal("1891.4"), 77747314),
        OrderError(2, "Insufficient margin to place order. asset=15"),
        Waiting(3, "waitingForTrigger"),
    ]
    with pytest.raises(RejectedOrder) as caught:
        raise_for_statuses(response)
    assert caught.value.index == 2
    assert caught.value.venue_text == "Insufficient margin to place order. asset=15"
    assert str(caught.value) == "Order rejected: Insufficient margin to place order."


def test_single_outcome_and_cancel_success() -> None:
    assert single_outcome(_ok(["success"], "cancel")) == Success(0)
    with pytest.raises(RejectedOrder) as caught:
        single_outcome(_ok([{"error": "Order was never placed, already canceled, or filled."}]))
    assert "never placed" in str(caught.value)


def test_one_error_for_a_whole_batch_applies_to_every_order() -> None:
    outcomes = check_statuses(_ok([{"error": "Invalid TP/SL price."}]), expected=3)
    assert outcomes == [OrderError(i, "Invalid TP/SL price.") for i in range(3)]
    with pytest.raises(UnexpectedResponse):
        check_statuses(_ok(["success", "success"]), expected=3)


def test_default_responses_and_unknown_statuses() -> None:
    assert check_statuses({"status": "ok", "response": {"type": "default"}}) == []
    assert check_statuses(_ok(["somethingNew"])) == [UnknownStatus(0, "somethingNew")]
    with pytest.raises(UnexpectedResponse):
        check_statuses({"status": "maybe"})


@pytest.mark.parametrize("missing", ["action", "nonce", "signature"])
async def test_exchange_refuses_an_incomplete_payload(
    client: HyperliquidHttp, missing: str
) -> None:
    payload = _signed(ORDER)
    del payload[missing]
    with pytest.raises(ValueError):
        await client.exchange(payload)


async def test_concurrent_first_requests_share_one_session(monkeypatch: pytest.MonkeyPatch) -> None:
    """The TLS context is made in a worker thread before the session: requests that start
    together while it is being made must still end up on one session (none left unclosed)."""
    monkeypatch.setattr(tls, "_tls_context", None)
    async with HyperliquidHttp("https://127.0.0.1:1") as client:
        sessions = await asyncio.gather(*(client._get_session() for _ in range(3)))
        assert len({id(s) for s in sessions}) == 1

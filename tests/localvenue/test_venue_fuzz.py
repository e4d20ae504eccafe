"""Hostile input against a real venue process: it must answer like a venue and carry on.

More than a thousand malformed requests (seeded, so every run sends the same ones) go to
/info, /exchange and /sim/* twenty at a time, and a few hundred malformed frames go over
WebSocket connections. Each HTTP answer must be a venue-style refusal: a 4xx with a text body,
or, for /exchange and the /sim admin routes, HTTP 200 with ``{"status":"err","response":str}``.
Never a 5xx, never a dropped connection. Afterwards the process is still up, a funded
account and a funded bystander are exactly as they were, and a valid signed order still rests.

Browser-style requests (text/plain, form or multipart bodies, an Origin header) and admin
requests without the venue's token are refused (415 or 403) whatever their body; WebSocket
limits (subscriptions per connection, connections per client, unknown coins) are answered in
Hyperliquid's words.

Signed requests are mutations of envelopes the venue has *already executed*: a mutation that
happened to keep the signature valid would then hit "duplicate nonce" rather than trade.
"""

from __future__ import annotations

import asyncio
import copy
import json
import random
import time
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import aiohttp
import pytest

from tests.localvenue.signed_trader import Trader
from tests.venue_process import ADMIN_HEADER, VenueProcess
from wallet_perps.core.answers import Resting
from wallet_perps.hyperliquid.actions import (
    LimitType,
    OrderSpec,
    cancel_action,
    order_action,
    usd_send_action,
)
from wallet_perps.hyperliquid.exchange_answers import check_statuses
from wallet_perps.hyperliquid.http import HyperliquidHttp

SEED = 20_261_125
CONCURRENCY = 20
MAX_BODY = 64 * 1024
PATHS = ("/info", "/exchange", "/sim/faucet", "/sim/oracle")

Json = Any
Case = tuple[str, str, str, bytes, dict[str, str]]  # (category, method, path, body, headers)
JSON_HEADERS = {"Content-Type": "application/json"}
#: Bodies a browser may POST cross-origin without a CORS preflight (plus a missing type).
BROWSER_TYPES = (
    "text/plain",
    "text/plain;charset=UTF-8",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=xyz",
    "application/jsonx",
    "",
)


# ----------------------------------------------------------------------------- the account


def buy(px: Decimal, sz: str = "0.001") -> OrderSpec:
    return OrderSpec(0, True, px, Decimal(sz), LimitType("Gtc"))


async def account_view(http: HyperliquidHttp, user: str) -> dict[str, Any]:
    state = await http.info({"type": "clearinghouseState", "user": user})
    state.pop("time", None)
    return {
        "clearinghouseState": state,
        "openOrders": await http.info({"type": "openOrders", "user": user}),
        "userFills": await http.info({"type": "userFills", "user": user}),
        "ledger": await http.info(
            {"type": "userNonFundingLedgerUpdates", "user": user, "startTime": 0}
        ),
        "role": await http.info({"type": "userRole", "user": user}),
        "userFunding": await http.info({"type": "userFunding", "user": user, "startTime": 0}),
    }


# --------------------------------------------------------------------------- the generator


def _huge_digits(rng: random.Random) -> str:
    return str(rng.randint(1, 9)) + "".join(rng.choice("0123456789") for _ in range(9_999))


def evil_values(rng: random.Random) -> list[Json]:
    """Values no field of a request accepts in this position (wrong type or out of range)."""
    return [
        None,
        True,
        False,
        -1,
        -(2**63) - 1,
        2**64,
        2**200,
        1.5,
        -0.0,
        1e308,
        "",
        " ",
        "NaN",
        "nan",
        "Infinity",
        "-Infinity",
        "-0.01",
        "1e400",
        "1e-400",
        "0x",
        "0xZZ",
        "💥",
        "\u0000",
        "null",
        _huge_digits(rng),
        "a" * 10_000,
        [],
        {},
        [1, 2, 3],
        {"a": 1},
        [[[[[]]]]],
    ]


def _paths(value: Json, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _paths(child, (*prefix, index))


def _set(doc: Json, path: tuple[Any, ...], value: Json) -> Json:
    if not path:
        return value
    parent = doc
    for step in path[:-1]:
        parent = parent[step]
    parent[path[-1]] = value
    return doc


def _delete(doc: Json, path: tuple[Any, ...]) -> Json:
    parent = doc
    for step in path[:-1]:
        parent = parent[step]
    del parent[path[-1]]
    return doc


def mutate(rng: random.Random, base: Json, evil: list[Json]) -> Json:
    """Replace one node with an evil value, or delete one node (never the whole document)."""
    doc = copy.deepcopy(base)
    paths = [p for p in _paths(doc) if p]
    path = rng.choice(paths)
    if rng.random() < 0.2:
        return _delete(doc, path)
    return _set(doc, path, copy.deepcopy(rng.choice(evil)))


def body(doc: Json) -> bytes:
    return json.dumps(doc, separators=(",", ":")).encode()


def info_bases(user: str) -> list[dict[str, Any]]:
    return [
        {"type": "l2Book", "coin": "BTC", "nSigFigs": 5},
        {"type": "clearinghouseState", "user": user},
        {"type": "openOrders", "user": user},
        {"type": "orderStatus", "user": user, "oid": 1},
        {"type": "userFills", "user": user, "aggregateByTime": True},
        {"type": "userFillsByTime", "user": user, "startTime": 0, "endTime": 1},
        {"type": "userFunding", "user": user, "startTime": 0},
        {"type": "fundingHistory", "coin": "BTC", "startTime": 0},
        {"type": "candleSnapshot", "req": {"coin": "BTC", "interval": "1m", "startTime": 0}},
        {"type": "activeAssetData", "user": user, "coin": "BTC"},
    ]


#: Info mutations that the venue may legitimately answer (a wrong-but-well-formed value),
#: so they are not generated: replacing ``coin`` by a string is an unknown coin (200 null, as
#: mainnet), and optional fields accept null.
def info_mutation(rng: random.Random, base: dict[str, Any], evil: list[Json]) -> Json:
    doc = copy.deepcopy(base)
    # startTime is left out: the venue defaults a missing one to 0 (lenient, not malformed).
    required = {"type", "user", "coin", "oid", "req"}
    for _ in range(20):
        path = rng.choice([p for p in _paths(doc) if p])
        leaf = path[-1]
        if rng.random() < 0.25 and leaf in required:
            return _delete(doc, path)
        candidates = [v for v in evil if _invalid_for(leaf, v)]
        if candidates:
            return _set(doc, path, copy.deepcopy(rng.choice(candidates)))
    return {"type": rng.choice(["metaa", "", "L2Book", _huge_digits(rng)])}


def _invalid_for(field: str, value: Json) -> bool:
    """True when ``value`` is certainly not acceptable for this info field."""
    is_int = isinstance(value, int) and not isinstance(value, bool)
    if field == "type":
        return True  # no evil value is a request type
    if field in ("user",):
        return True  # none is an address
    if field in ("coin", "interval"):
        return not isinstance(value, str) or len(value) > 1_000
    if field in ("startTime", "endTime", "oid"):
        if field in ("startTime", "endTime") and value is None:
            return False
        return not is_int or not 0 <= value < 2**63
    if field == "nSigFigs":
        return isinstance(value, bool) or (value is not None and value not in (2, 3, 4, 5))
    if field == "aggregateByTime":
        return not isinstance(value, bool) and value is not None
    return field == "req"


def exchange_mutations(
    rng: random.Random, envelopes: list[dict[str, Any]], evil: list[Json]
) -> Iterator[tuple[str, Json]]:
    """Targeted and random mutations of already-executed signed envelopes."""
    order_env, send_env, cancel_env = envelopes
    for env in envelopes:
        yield "exchange:replay", copy.deepcopy(env)  # duplicate nonce
        for drop in ("signature", "nonce", "action"):
            doc = copy.deepcopy(env)
            del doc[drop]
            yield f"exchange:missing-{drop}", doc
    signatures: list[Json] = [
        {"r": "0x0", "s": "0x0", "v": 27},
        {"r": "0x" + "f" * 64, "s": "0x" + "f" * 64, "v": 28},
        {"r": "0x" + "1" * 65, "s": "0x1", "v": 27},
        {"r": "0xzz", "s": "0x1", "v": 27},
        {"r": "1", "s": "1", "v": 27},
        {"r": 1, "s": 2, "v": 27},
        {"s": "0x1", "v": 27},
        {"r": "0x1", "s": "0x1"},
        "0x" + "ab" * 65,
        [],
        None,
    ]
    for env in envelopes:
        for v in (0, 1, 26, 29, 35, 255, -1, 2**64, "27", 27.5, None, True):
            doc = copy.deepcopy(env)
            doc["signature"]["v"] = v
            yield "exchange:bad-v", doc
        for sig in signatures:
            doc = copy.deepcopy(env)
            doc["signature"] = copy.deepcopy(sig)
            yield "exchange:bad-signature", doc
        for key in ("r", "s"):
            for value in (
                "0x" + "0" * 64,
                hex(int(env["signature"][key], 16) + 1),
                "0x" + _huge_digits(rng),
            ):
                doc = copy.deepcopy(env)
                doc["signature"][key] = value
                yield f"exchange:bad-{key}", doc
    for kind in ("fooBar", "", "ORDER", "twapOrder", "spotSend", "evmUserModify", 5, None):
        doc = copy.deepcopy(order_env)
        doc["action"]["type"] = kind
        yield "exchange:unknown-action", doc
    # The user-signed send: the nonce must be the signed time, a new one is not enough.
    for delta in (1, -1, 1000):
        doc = copy.deepcopy(send_env)
        doc["nonce"] += delta
        yield "exchange:nonce-not-time", doc
        doc = copy.deepcopy(send_env)
        doc["action"]["time"] += delta
        yield "exchange:time-changed", doc
    order_fields: dict[str, list[Json]] = {
        "s": ["-0.001", "0", "-0", "NaN", "1e3", "0.0010000000000000000001", _huge_digits(rng)],
        "p": ["-1", "NaN", "Infinity", "1e400", "0x10", _huge_digits(rng), 97000, 97000.5],
        "a": [-1, 2**64, 10_000_000_000, "0", 0.5],
        "b": ["true", 1, None],
        "r": ["false", 0],
        "t": [{"limit": {"tif": "Forever"}}, {"trigger": {}}, {}, "Gtc"],
        "c": ["0x1", "0x" + "g" * 32, 5],
    }
    for field, values in order_fields.items():
        for value in values:
            doc = copy.deepcopy(order_env)
            doc["action"]["orders"][0][field] = value
            yield f"exchange:order-{field}", doc
    oids: list[Json] = [-1, 0, "1", 2**64, _huge_digits(rng)]
    for oid in oids:
        doc = copy.deepcopy(cancel_env)
        doc["action"]["cancels"][0]["o"] = oid
        yield "exchange:cancel-oid", doc
    amounts: list[Json] = ["-1", "NaN", "0", _huge_digits(rng), 1, "1e400"]
    for amount in amounts:
        doc = copy.deepcopy(send_env)
        doc["action"]["amount"] = amount
        yield "exchange:send-amount", doc
    for _ in range(240):
        yield "exchange:random-mutation", mutate(rng, rng.choice(envelopes), evil)


def sim_cases(rng: random.Random, evil: list[Json], funded: str) -> Iterator[tuple[str, Json]]:
    """Admin requests that must be refused: never a valid (user, usdc) or (coin, px) pair."""
    stranger = "0x" + "12" * 20
    for _ in range(70):
        amount = rng.choice(
            [v for v in evil if not (isinstance(v, str) and v in ("1e-400",))]
            + ["-5", "0", "0.0000001", "1e13", 10**13, "5 usdc"]
        )
        user = rng.choice([stranger, funded, *evil])
        if user == funded and isinstance(amount, int) and 0 < amount <= 10**12:
            amount = -amount
        doc: Json = {"user": user, "usdc": amount}
        if rng.random() < 0.15:
            doc = rng.choice([[doc], "faucet", 5, None, {"user": funded}, {"usdc": "5"}])
        yield "sim:faucet", doc
    for _ in range(70):
        coin = rng.choice(["BTC", "ETH", "ZZZ", "btc", *evil])
        px: Json
        if coin in ("BTC", "ETH"):
            px = rng.choice(
                ["0", "-1", "NaN", "sNaN", "Infinity", "1e13", _huge_digits(rng), 1.5, None, []]
            )
        else:
            px = rng.choice(["1", "97000", *evil])
        doc = {"coin": coin, "px": px}
        if rng.random() < 0.15:
            doc = rng.choice([[doc], "oracle", 5, None, {"coin": "BTC"}, {"px": "1"}])
        yield "sim:oracle", doc


def http_cases(
    rng: random.Random, user: str, envelopes: list[dict[str, Any]], token: str
) -> list[Case]:
    evil = evil_values(rng)
    cases: list[Case] = []
    admin = {ADMIN_HEADER: token}

    def add(category: str, path: str, raw: bytes, headers: dict[str, str] | None = None) -> None:
        if headers is None:
            headers = {**JSON_HEADERS, **(admin if path.startswith("/sim") else {})}
        cases.append((category, "POST", path, raw, headers))

    for i in range(120):
        raw = bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 600)))
        add("random-bytes", PATHS[i % 4], raw)
    valid_docs: list[Json] = [*envelopes, *info_bases(user)]
    for i in range(120):
        full = body(rng.choice(valid_docs))
        add("truncated-json", PATHS[i % 4], full[: rng.randint(0, len(full) - 1)])
    texts = [
        b"{",
        b"}",
        b"{'type': 'meta'}",
        b'{"type": "meta",}',
        b'{"type": "meta"} trailing',
        b'{"type": "meta" /* comment */}',
        b'{"type": NaN}',
        b'{"type": "meta", "x": Infinity}',
        b'{"type": "meta", "type": "allMids"}',
        b'\xef\xbb\xbf{"type": "meta"}',
        b'{"type": "\\ud800"}',
        b'{"type": "meta", "x": ' + _huge_digits(rng).encode() + b"}",
        b"[" * 5_000 + b"]" * 5_000,
        b'{"a":' * 2_000 + b"1" + b"}" * 2_000,
        b"\x00",
        b"\xff\xfe\xfd",
        b"true",
        b'"meta"',
    ]
    for i in range(72):
        add("invalid-json", PATHS[i % 4], texts[i % len(texts)])
    wrong_types: list[Json] = [
        [],
        [envelopes[0]],
        1,
        -1,
        "meta",
        None,
        True,
        {},
        {"type": 5},
        {"type": ["meta"]},
        {"type": None},
        {"action": None},
    ]
    for i in range(72):
        add("wrong-type", PATHS[i % 4], body(wrong_types[i % len(wrong_types)]))
    bases = info_bases(user)
    for _ in range(260):
        add("info-mutation", "/info", body(info_mutation(rng, rng.choice(bases), evil)))
    for category, doc in exchange_mutations(rng, envelopes, evil):
        add(category, "/exchange", body(doc))
    for category, doc in sim_cases(rng, evil, user):
        add(category, "/sim/faucet" if category == "sim:faucet" else "/sim/oracle", body(doc))
    padding = "x" * (MAX_BODY + 10)
    for i in range(16):
        doc = copy.deepcopy(envelopes[0]) if i % 2 else {"type": "meta"}
        doc["padding"] = padding
        add("oversized", PATHS[i % 4], body(doc))
    for i in range(8):
        add("oversized-bytes", PATHS[i % 4], bytes(rng.getrandbits(8) for _ in range(70_000)))
    for path in PATHS:
        cases.append(("wrong-method", "GET", path, b"", {}))
        cases.append(("wrong-method", "PUT", path, body({"type": "meta"}), JSON_HEADERS))
        add("no-content-type", path, body({"type": "meta"}), admin)
    # What a web page can send: each would be a valid request if the venue read it.
    valid_for = {
        "/info": {"type": "clearinghouseState", "user": user},
        "/exchange": envelopes[0],
        "/sim/faucet": {"user": user, "usdc": "1000"},
        "/sim/oracle": {"coin": "BTC", "px": "1"},
    }
    for path, doc in valid_for.items():
        for kind in BROWSER_TYPES:
            typed = {"Content-Type": kind} if kind else {}
            add("browser-content-type", path, body(doc), {**typed, **admin})
            add("browser-origin", path, body(doc), {**typed, "Origin": "https://evil.example"})
        if path.startswith("/sim"):
            origin = {**JSON_HEADERS, **admin, "Origin": "https://evil.example"}
            add("sim-origin", path, body(doc), origin)
            add("sim-no-token", path, body(doc), JSON_HEADERS)
            add("sim-wrong-token", path, body(doc), {**JSON_HEADERS, ADMIN_HEADER: token[:-1]})
            add("sim-empty-token", path, body(doc), {**JSON_HEADERS, ADMIN_HEADER: ""})
    for kind in ("userFunding", "userNonFundingLedgerUpdates"):
        add("info-missing-startTime", "/info", body({"type": kind, "user": user}))
    for amount in ("1e3", " 1", "1 ", "1_0", "NaN", "+1", "0x10", "\uff11", "1,000", 1000):
        add("sim:faucet-amount", "/sim/faucet", body({"user": user, "usdc": amount}))
    for path in ("/nope", "/sim", "/sim/other", "/info/extra", "/exchange/"):
        add("unknown-path", path, body({"type": "meta"}))
    return cases


# ------------------------------------------------------------------------------- sending


async def send(
    session: aiohttp.ClientSession, url: str, case: Case, gate: asyncio.Semaphore
) -> str:
    """One request; returns the answer's kind, or a 'BAD …' kind for a non-venue answer."""
    category, method, path, raw, headers = case
    group = "/sim" if path.startswith("/sim") else path
    async with gate:
        try:
            async with session.request(method, url + path, data=raw, headers=headers) as resp:
                text = await resp.text(errors="replace")
                status = resp.status
        except (aiohttp.ClientError, OSError) as exc:
            return f"BAD dropped {category} {path}: {exc!r}"
    if 400 <= status < 500:
        return f"{group} {status}" if text else f"BAD empty {status} {category} {path}"
    expected = {
        "browser-content-type": 415,
        "no-content-type": 415,
        "browser-origin": 403 if path.startswith("/sim") else 415,
        "sim-origin": 403,
        "sim-no-token": 403,
        "sim-wrong-token": 403,
        "sim-empty-token": 403,
        "info-missing-startTime": 422,
    }.get(category)
    if expected is not None and status != expected:
        return f"BAD {status} (not {expected}) {category} {path}: {text[:200]}"
    if category == "sim:faucet-amount" and (status != 200 or '"err"' not in text):
        return f"BAD {status} {category} {path}: {text[:200]} <- {raw[:100]!r}"
    if status == 200 and path in ("/exchange", "/sim/faucet", "/sim/oracle"):
        try:
            answer = json.loads(text)
        except ValueError:
            return f"BAD 200 non-JSON {category} {path}: {text[:200]}"
        if (
            isinstance(answer, dict)
            and answer.get("status") == "err"
            and isinstance(answer.get("response"), str)
        ):
            return f"{group} 200 err"
    return f"BAD {status} {category} {path}: {text[:300]} <- {raw[:300]!r}"


def ws_frames(rng: random.Random, envelopes: list[dict[str, Any]], user: str) -> list[str]:
    evil = evil_values(rng)
    valid: list[Json] = [
        {"method": "subscribe", "subscription": {"type": "l2Book", "coin": "BTC"}},
        {"method": "subscribe", "subscription": {"type": "userFills", "user": user}},
        {
            "method": "subscribe",
            "subscription": {"type": "candle", "coin": "BTC", "interval": "1m"},
        },
        {
            "method": "post",
            "id": 1,
            "request": {"type": "info", "payload": {"type": "clearinghouseState", "user": user}},
        },
        *(
            {"method": "post", "id": 2, "request": {"type": "action", "payload": env}}
            for env in envelopes
        ),
    ]
    frames = [
        "",
        "{",
        "[]",
        "null",
        "5",
        '"ping"',
        "{'method': 'ping'}",
        '{"method": "PING"}',
        '{"method": 5}',
        '{"method": null}',
        '{"method": "subscribe"}',
        '{"method": "subscribe", "subscription": "l2Book"}',
        '{"method": "subscribe", "subscription": {"type": "nope"}}',
        '{"method": "subscribe", "subscription": {"type": "l2Book", "coin": NaN}}',
        '{"method": "subscribe", "subscription": {"type": "l2Book", "coin": "BTC", "nSigFigs": 9}}',
        '{"method": "subscribe", "subscription": {"type": "l2Book", "coin": "BTC", "mantissa": 2}}',
        json.dumps(
            {
                "method": "subscribe",
                "subscription": {"type": "candle", "coin": "BTC", "interval": "7m"},
            }
        ),
        '{"method": "subscribe", "subscription": {"type": "candle", "coin": "x", "interval": []}}',
        '{"method": "post"}',
        '{"method": "post", "id": 1, "request": null}',
        '{"method": "post", "id": 1, "request": {"type": "bogus", "payload": {}}}',
        '{"method": "post", "id": 1, "request": {"type": "info", "payload": 5}}',
        '{"method": "ping", "x": ' + _huge_digits(rng) + "}",
        "[" * 5_000,
        "[" * 3_000 + "]" * 3_000,
        '{"method": "subscribe", "subscription": ' + '{"a":' * 990 + "1" + "}" * 991,
        "\u0000\ud7ff\uffff",
    ]
    for _ in range(40):
        text = json.dumps(rng.choice(valid))
        frames.append(text[: rng.randint(0, len(text) - 1)])
    for _ in range(40):
        frames.append("".join(chr(rng.randint(1, 0xD7FF)) for _ in range(rng.randint(1, 200))))
    for _ in range(120):
        frames.append(json.dumps(mutate(rng, rng.choice(valid), evil)))
    return frames


async def ws_fuzz(url: str, frames: list[str], counts: Counter[str]) -> None:
    """Frames in batches over a few connections; after each batch the connection must pong."""
    async with aiohttp.ClientSession() as session:
        batch = 25
        for start in range(0, len(frames), batch):
            async with session.ws_connect(url, max_msg_size=0) as ws:
                welcome = await asyncio.wait_for(ws.receive(), 5)
                assert welcome.data == "Websocket connection established."
                for frame in frames[start : start + batch]:
                    await ws.send_str(frame)
                await ws.send_bytes(b"\x00binary\xff")
                await ws.send_str('{"method": "ping"}')
                while True:
                    msg = await asyncio.wait_for(ws.receive(), 10)
                    assert msg.type is aiohttp.WSMsgType.TEXT, (msg, ws.close_code)
                    data = json.loads(msg.data)
                    if data["channel"] == "pong":
                        break
                    if data["channel"] == "post":
                        kind = data["data"]["response"]["type"]
                        if kind == "action":
                            status = data["data"]["response"]["payload"]["status"]
                            assert status == "err", data
                            kind = "action err"
                        counts[f"ws post {kind}"] += 1
                    else:
                        counts[f"ws {data['channel']}"] += 1
        # A frame over the size limit closes that connection with 1009, and only that one.
        async with session.ws_connect(url) as ws:
            await ws.receive()
            await ws.send_str('{"method": "ping", "pad": "' + "x" * (MAX_BODY + 1) + '"}')
            msg = await asyncio.wait_for(ws.receive(), 10)
            assert msg.type is aiohttp.WSMsgType.CLOSE and msg.data == 1009, msg
            counts["ws closed 1009 (oversized frame)"] += 1


async def oracle_prices(http: HyperliquidHttp) -> list[Decimal]:
    """Every market's oracle price (they walk a little with venue time, even without flow)."""
    _, ctxs = await http.info({"type": "metaAndAssetCtxs"})
    return [Decimal(ctx["oraclePx"]) for ctx in ctxs]


def assert_oracles_unmoved(before: list[Decimal], after: list[Decimal]) -> None:
    """No refused /sim/oracle request moved a price (they ask for 1 or double; the walk is
    far smaller than 5% over a test)."""
    moved = [(b, a) for b, a in zip(before, after, strict=True) if abs(a - b) > b / 20]
    assert not moved, moved


async def _until_pong(ws: aiohttp.ClientWebSocketResponse) -> list[dict[str, Any]]:
    await ws.send_str('{"method": "ping"}')
    seen = []
    while True:
        msg = await asyncio.wait_for(ws.receive(), 30)
        assert msg.type is aiohttp.WSMsgType.TEXT, (msg, ws.close_code)
        data = json.loads(msg.data)
        if data["channel"] == "pong":
            return seen
        seen.append(data)


async def ws_limits(url: str, counts: Counter[str]) -> None:
    """Hyperliquid's WebSocket limits (PROTOCOL.md §8.1), each answered in its words."""
    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(url, max_msg_size=0) as ws:
            await ws.receive()
            # Unknown coins: nothing to route, refused like any invalid subscription.
            unknown: list[dict[str, Any]] = [
                {"type": "l2Book", "coin": "ZZZ"},
                {"type": "l2Book", "coin": "btc", "nSigFigs": 5},
                {"type": "trades", "coin": "BTC "},
                {"type": "bbo", "coin": ""},
                {"type": "candle", "coin": "NOPE", "interval": "1m"},
                {"type": "activeAssetCtx", "coin": "ETH-PERP"},
                {"type": "activeAssetData", "user": "0x" + "56" * 20, "coin": "ZZZ"},
            ]
            for sub in unknown:
                await ws.send_str(json.dumps({"method": "subscribe", "subscription": sub}))
            answers = await _until_pong(ws)
            assert [a["channel"] for a in answers] == ["error"] * len(unknown), answers
            assert all(a["data"].startswith("Invalid subscription") for a in answers)
            counts["ws error (unknown coin)"] += len(answers)
            # 1000 subscriptions per connection; the 1001st is refused, the rest keep working.
            users = ["0x" + f"{i:040x}" for i in range(1, 1002)]
            for user in users:
                sub = {"type": "userFundings", "user": user}
                await ws.send_str(json.dumps({"method": "subscribe", "subscription": sub}))
            answers = await _until_pong(ws)
            acks = [a for a in answers if a["channel"] == "subscriptionResponse"]
            errors = [a["data"] for a in answers if a["channel"] == "error"]
            assert len(acks) == 1000, len(acks)
            assert errors == ["Cannot subscribe to more than 1000 channels."], errors
            counts["ws error (1000 subscriptions)"] += 1
        # 10 connections per client (all of loopback is one client): the 11th is refused.
        held = [await session.ws_connect(url) for _ in range(10)]
        try:
            with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                await session.ws_connect(url)
            assert refused.value.status == 429
            counts["ws refused 429 (11th connection)"] += 1
            await held.pop().close()
            for _ in range(100):  # the venue frees the slot once it has seen the close
                try:
                    held.append(await session.ws_connect(url))
                    break
                except aiohttp.WSServerHandshakeError:
                    await asyncio.sleep(0.1)
            assert len(held) == 10, "a freed connection slot was not reusable"
        finally:
            for ws in held:
                await ws.close()


# --------------------------------------------------------------------------------- the test


@pytest.fixture
def venue() -> Iterator[VenueProcess]:
    process = VenueProcess("--no-flow", "--seed", "17")
    yield process
    process.kill()


async def test_malformed_requests_get_venue_answers_and_change_nothing(
    venue: VenueProcess,
) -> None:
    rng = random.Random(SEED)
    trader = Trader()
    async with HyperliquidHttp(venue.url) as http, aiohttp.ClientSession() as session:
        bystander = Trader()
        for funded in (trader, bystander):
            async with session.post(
                f"{venue.url}/sim/faucet",
                json={"user": funded.address, "usdc": "10000"},
                headers=venue.admin_headers,
            ) as resp:
                assert await resp.json() == {"status": "ok"}
        px = Decimal((await http.info({"type": "allMids"}))["BTC"]).to_integral_value()
        check_statuses(
            await http.exchange(bystander.l1(order_action([buy(px - 4000)]))), expected=1
        )
        order_env = trader.l1(order_action([buy(px - 5000)]))
        [resting] = check_statuses(await http.exchange(order_env), expected=1)
        assert isinstance(resting, Resting)
        cancel_env = trader.l1(cancel_action([(0, resting.oid + 12345)]))
        await http.exchange(cancel_env)  # a cancel of nothing: refused inside statuses
        friend = "0x" + "34" * 20
        send_env = trader.user(lambda n: usd_send_action(friend, Decimal(1), n, is_mainnet=False))
        await http.exchange(send_env)
        envelopes = [order_env, send_env, cancel_env]
        before = await account_view(http, trader.address)
        friend_before = await account_view(http, friend)
        bystander_before = await account_view(http, bystander.address)
        oracle_before = await oracle_prices(http)

        assert venue.admin_token is not None
        cases = http_cases(rng, trader.address, envelopes, venue.admin_token)
        assert len(cases) >= 1_000
        gate = asyncio.Semaphore(CONCURRENCY)
        started = time.monotonic()
        connector = aiohttp.TCPConnector(limit=CONCURRENCY)
        async with aiohttp.ClientSession(connector=connector) as fuzz:
            kinds = await asyncio.gather(*(send(fuzz, venue.url, case, gate) for case in cases))
        http_s = time.monotonic() - started
        counts = Counter(kinds)
        bad = sorted(k for k in counts if k.startswith("BAD"))
        assert not bad, "\n".join(bad[:20])

        frames = ws_frames(rng, envelopes, trader.address)
        ws_counts: Counter[str] = Counter()
        await ws_fuzz(venue.ws_url, frames, ws_counts)
        await ws_limits(venue.ws_url, ws_counts)

        assert venue.proc.poll() is None, "the venue process died"
        assert await account_view(http, trader.address) == before
        assert await account_view(http, friend) == friend_before
        assert await account_view(http, bystander.address) == bystander_before
        assert_oracles_unmoved(oracle_before, await oracle_prices(http))
        [outcome] = check_statuses(
            await http.exchange(trader.l1(order_action([buy(px - 6000)]))), expected=1
        )
        assert isinstance(outcome, Resting) and outcome.oid > resting.oid

    report = ", ".join(f"{kind}: {n}" for kind, n in sorted(counts.items()))
    ws_report = ", ".join(f"{kind}: {n}" for kind, n in sorted(ws_counts.items()))
    print(f"\n{len(cases)} HTTP requests in {http_s:.2f} s: {report}")
    print(f"{len(frames)} WebSocket frames: {ws_report}")
    assert venue.stop() == 0
    stderr = venue.stderr_text()
    assert "Traceback" not in stderr and "Error handling request" not in stderr, stderr[-3000:]


def test_oracle_route_refuses_prices_that_are_not_ticks() -> None:
    """A typo on the admin route must not move the market to a price nobody could quote."""
    import json
    import urllib.request

    from tests.venue_process import VenueProcess

    venue = VenueProcess("--no-flow")
    headers = {"Content-Type": "application/json", **venue.admin_headers}
    try:
        answers = []
        for px in ("1e-400", "0.0000001", "97123.45", "abc", "1e3", " 97123", "97_123"):
            request = urllib.request.Request(
                f"{venue.url}/sim/oracle",
                data=json.dumps({"coin": "BTC", "px": px}).encode(),
                headers=headers,
            )
            with urllib.request.urlopen(request, timeout=10) as response:
                answers.append(json.loads(response.read()))
        assert all(a["status"] == "err" for a in answers), answers
        ok = urllib.request.Request(
            f"{venue.url}/sim/oracle",
            data=json.dumps({"coin": "BTC", "px": "97123"}).encode(),
            headers=headers,
        )
        with urllib.request.urlopen(ok, timeout=10) as response:
            assert json.loads(response.read()) == {"status": "ok"}
    finally:
        venue.stop()

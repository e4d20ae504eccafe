"""Tests for the local venue's structural request validation (wallet_perps/localvenue/requests.py).

Valid bodies come from the shared signing vectors, the recorded mainnet /info requests and the
app's own action builders; invalid ones are hand-made mutations plus hypothesis fuzzing, whose
only claim is that nothing but BadRequest ever escapes.
"""

from __future__ import annotations

import copy
import json
import pickle
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgpack
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import FIXTURES_DIR
from wallet_perps.hyperliquid import actions as A
from wallet_perps.localvenue.requests import (
    DESERIALIZE_TEXT,
    MAX_BODY_BYTES,
    SUPPORTED_ACTION_TYPES,
    SUPPORTED_INFO_TYPES,
    BadRequest,
    ExchangeRequest,
    InfoRequest,
    decode_json_body,
    parse_exchange_request,
    parse_info_request,
)

USER = "0x14791697260E4c9A71f18484C9f997B308e59325"
SIG = {"r": "0x" + "1" * 64, "s": "0x" + "2" * 63, "v": 27}
NONCE = 1_700_000_000_000


def _vectors() -> list[dict[str, Any]]:
    data = json.loads((FIXTURES_DIR / "signing_vectors.json").read_text())
    out = []
    for v in data["vectors"] + data["sdk_computed_extras"]["vectors"]:
        sig = v.get("derived") or v.get("sdk_output")
        if "action" in v and "nonce" in v and sig and "r" in sig:
            out.append(v)
        elif "wire_action" in v:
            out.append({**v, "action": v["wire_action"]})
    return out


VECTORS = _vectors()


def _body(vector: dict[str, Any]) -> dict[str, Any]:
    sig = vector.get("derived") or vector.get("sdk_output") or {}
    body = {
        "action": vector["action"],
        "nonce": vector["nonce"],
        "signature": {"r": sig["r"], "s": sig["s"], "v": sig["v"]},
        "vaultAddress": vector.get("vault_address"),
        "expiresAfter": vector.get("expires_after"),
    }
    decoded: dict[str, Any] = json.loads(json.dumps(body))  # as the server would see it
    return decoded


def _exchange(action: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"action": action, "nonce": NONCE, "signature": dict(SIG), **extra}


def _bad(fn: Any, body: Any, status: int = 422) -> BadRequest:
    with pytest.raises(BadRequest) as info:
        fn(body)
    assert info.value.status == status
    if status == 422:
        assert info.value.text == DESERIALIZE_TEXT
    return info.value


# ---------------------------------------------------------------------------------------------
# Body decoding.


def test_decode_json_body_status_codes() -> None:
    assert decode_json_body(b'{"type":"meta"}') == {"type": "meta"}
    assert _bad(decode_json_body, b"x" * (MAX_BODY_BYTES + 1), 413).text.startswith("Failed")
    for raw in (
        b"{",
        b"",
        b"\xff\xfe",
        b'{"a": NaN}',
        b"[Infinity]",
        b"[" * 60_000,
        b"[" * 129 + b"]" * 129,
    ):
        _bad(decode_json_body, raw, 400)
    assert decode_json_body(b"[" * 128 + b"]" * 128) is not None
    dup = _bad(decode_json_body, b'{"type":"meta","type":"allMids"}', 422)
    assert "duplicate field" in dup.detail


def test_decode_preserves_key_order() -> None:
    body = decode_json_body(b'{"b":1,"a":2,"c":{"z":1,"y":2}}')
    assert list(body) == ["b", "a", "c"] and list(body["c"]) == ["z", "y"]


def test_bad_request_pickles() -> None:
    exc = BadRequest(422, DESERIALIZE_TEXT, "detail")
    back = pickle.loads(pickle.dumps(exc))
    assert (back.status, back.text, back.detail) == (422, DESERIALIZE_TEXT, "detail")


# ---------------------------------------------------------------------------------------------
# /info


INFO_BODIES: list[dict[str, Any]] = [
    {"type": "meta"},
    {"type": "meta", "dex": ""},
    {"type": "spotMeta"},
    {"type": "metaAndAssetCtxs"},
    {"type": "spotMetaAndAssetCtxs"},
    {"type": "allMids"},
    {"type": "l2Book", "coin": "BTC"},
    {"type": "l2Book", "coin": "BTC", "nSigFigs": 5, "mantissa": 2},
    {"type": "l2Book", "coin": "BTC", "nSigFigs": None, "mantissa": None},
    {
        "type": "candleSnapshot",
        "req": {"coin": "BTC", "interval": "15m", "startTime": 1, "endTime": 2},
    },
    {"type": "clearinghouseState", "user": USER},
    {"type": "clearinghouseState", "user": USER, "dex": ""},
    {"type": "spotClearinghouseState", "user": USER},
    {"type": "openOrders", "user": USER},
    {"type": "frontendOpenOrders", "user": USER},
    {"type": "orderStatus", "user": USER, "oid": 91490942},
    {"type": "orderStatus", "user": USER, "oid": "0x" + "A" * 32},
    {"type": "historicalOrders", "user": USER},
    {"type": "userFills", "user": USER, "aggregateByTime": True},
    {"type": "userFillsByTime", "user": USER, "startTime": 1, "endTime": None},
    {"type": "userFunding", "user": USER, "startTime": 1},
    {"type": "userNonFundingLedgerUpdates", "user": USER, "startTime": 1, "endTime": 5},
    {"type": "fundingHistory", "coin": "ETH", "startTime": 1},
    {"type": "predictedFundings"},
    {"type": "userRateLimit", "user": USER},
    {"type": "userRole", "user": USER},
    {"type": "extraAgents", "user": USER},
    {"type": "activeAssetData", "user": USER, "coin": "ETH"},
    {"type": "userFees", "user": USER},
    {"type": "maxBuilderFee", "user": USER, "builder": USER},
    {"type": "perpDexs"},
    {"type": "exchangeStatus"},
]


def test_every_supported_info_type_is_covered() -> None:
    assert {b["type"] for b in INFO_BODIES} == SUPPORTED_INFO_TYPES


@pytest.mark.parametrize("body", INFO_BODIES, ids=lambda b: b["type"])
def test_info_bodies_parse(body: dict[str, Any]) -> None:
    req = parse_info_request(body)
    assert req.type == body["type"]
    if "user" in body:
        assert req.user == body["user"].lower()


def test_info_typed_fields() -> None:
    req = parse_info_request(
        {"type": "candleSnapshot", "req": {"coin": "kPEPE", "interval": "1h", "startTime": 7}}
    )
    assert req == InfoRequest(type="candleSnapshot", coin="kPEPE", interval="1h", start_ms=7)
    req = parse_info_request({"type": "orderStatus", "user": USER, "oid": "0x" + "AB" * 16})
    assert req.oid == "0x" + "ab" * 16
    req = parse_info_request({"type": "l2Book", "coin": "BTC", "nSigFigs": 5, "mantissa": 5})
    assert (req.n_sig_figs, req.mantissa) == (5, 5)
    req = parse_info_request({"type": "userFills", "user": USER, "junk": [1, 2]})
    assert req.aggregate_by_time is False  # unknown fields are ignored, as serde does


def test_recorded_info_requests_parse() -> None:
    seen = set()
    for path in sorted((FIXTURES_DIR / "recorded").glob("*.json")):
        for interaction in json.loads(path.read_text())["interactions"]:
            body = interaction["request"]["body"]
            if body.get("type") in SUPPORTED_INFO_TYPES:
                parse_info_request(body)
                seen.add(body["type"])
    assert {"meta", "l2Book", "candleSnapshot", "clearinghouseState", "extraAgents"} <= seen


@pytest.mark.parametrize(
    "body",
    [
        None,
        [],
        "meta",
        {},
        {"type": 5},
        {"type": "nope"},
        {"type": "subAccounts", "user": USER},  # real venue type, not served locally
        {"type": "clearinghouseState"},
        {"type": "clearinghouseState", "user": "0x123"},
        {"type": "clearinghouseState", "user": USER + "00"},
        {"type": "clearinghouseState", "user": USER, "dex": 0},
        {"type": "l2Book"},
        {"type": "l2Book", "coin": "BTC", "nSigFigs": 6},
        {"type": "l2Book", "coin": "BTC", "nSigFigs": True},
        {"type": "l2Book", "coin": "BTC", "mantissa": 2},
        {"type": "l2Book", "coin": "BTC", "nSigFigs": 4, "mantissa": 2},
        {"type": "l2Book", "coin": "BTC", "nSigFigs": 5, "mantissa": 3},
        {"type": "candleSnapshot", "req": {"coin": "BTC", "interval": "2m", "startTime": 1}},
        {"type": "candleSnapshot", "req": {"coin": "BTC", "interval": "1m"}},
        {"type": "candleSnapshot", "coin": "BTC", "interval": "1m", "startTime": 1},
        {"type": "orderStatus", "user": USER, "oid": -1},
        {"type": "orderStatus", "user": USER, "oid": 2**64},
        {"type": "orderStatus", "user": USER, "oid": 1.5},
        {"type": "orderStatus", "user": USER, "oid": "0x1234"},
        {"type": "userFills", "user": USER, "aggregateByTime": "yes"},
        {"type": "userFillsByTime", "user": USER},
        {"type": "fundingHistory", "coin": "ETH", "startTime": "1"},
        {"type": "fundingHistory", "coin": "ETH", "startTime": 1.0},
        {"type": "maxBuilderFee", "user": USER},
    ],
)
def test_bad_info_bodies_answer_422(body: Any) -> None:
    _bad(parse_info_request, body)


# ---------------------------------------------------------------------------------------------
# /exchange: the signing vectors.


@pytest.mark.parametrize("vector", VECTORS, ids=lambda v: v["name"])
def test_signing_vectors_parse(vector: dict[str, Any]) -> None:
    body = _body(vector)
    if vector["action"]["type"] == "dummy":
        _bad(parse_exchange_request, body)
        return
    req = parse_exchange_request(body)
    assert req.action is body["action"]  # the posted object itself, untouched
    assert req.nonce == vector["nonce"]
    assert req.vault_address == vector.get("vault_address")
    assert req.expires_after == vector.get("expires_after")
    if req.is_user_signed:
        assert req.signed_action is req.action
    elif vector["name"].startswith("rs:") and '"2000.0"' in json.dumps(vector["action"]):
        # The Rust SDK tests hash "2000.0" verbatim; the venue hashes "2000" (PROTOCOL §3).
        assert msgpack.packb(req.signed_action) != msgpack.packb(req.action)
        assert "2000.0" not in json.dumps(req.signed_action)
    else:
        assert msgpack.packb(req.signed_action) == msgpack.packb(req.action)


def test_vectors_cover_every_supported_l1_type_through_builders() -> None:
    """Every supported action type parses when built by the app's own builders."""
    spec = A.OrderSpec(asset=0, is_buy=True, price=Decimal("60000"), size=Decimal("0.001"))
    trig = A.OrderSpec(
        asset=1,
        is_buy=False,
        price=Decimal("3300"),
        size=Decimal("0.01"),
        order_type=A.TriggerType(Decimal("3300"), True, "tp"),
        reduce_only=True,
        cloid="0x" + "ab" * 16,
    )
    built = [
        A.order_action([spec, trig], grouping="normalTpsl", builder=A.Builder(USER, 10)),
        A.cancel_action([(0, 5)], fast=True),
        A.cancel_by_cloid_action([(0, "0x" + "01" * 16)]),
        A.modify_action(5, spec, always_place=True),
        A.modify_action("0x" + "02" * 16, trig),
        A.batch_modify_action([(5, spec), ("0x" + "03" * 16, trig)]),
        A.schedule_cancel_action(NONCE),
        A.schedule_cancel_action(None),
        A.update_leverage_action(0, 10, is_cross=True),
        A.update_isolated_margin_action(1, Decimal("-1.5")),
        A.noop_action(),
        A.usd_send_action(USER, Decimal("1"), NONCE, is_mainnet=False),
        A.withdraw3_action(USER, Decimal("2.5"), NONCE, is_mainnet=True),
        A.usd_class_transfer_action(Decimal("10.5"), True, NONCE, is_mainnet=False),
        A.usd_class_transfer_action(Decimal("1"), False, NONCE, is_mainnet=False, sub_account=USER),
        A.approve_agent_action(USER, NONCE, is_mainnet=False).posted_action,
        A.approve_agent_action(
            USER, NONCE, is_mainnet=False, name="bot", valid_until_ms=NONCE + 1
        ).posted_action,
        A.approve_builder_fee_action(USER, Decimal("0.001"), NONCE, is_mainnet=False),
    ]
    assert {a["type"] for a in built} == SUPPORTED_ACTION_TYPES
    for action in built:
        body = json.loads(json.dumps(_exchange(action)))
        req = parse_exchange_request(body)
        assert req.supported
        assert msgpack.packb(req.signed_action) == msgpack.packb(body["action"])


# ---------------------------------------------------------------------------------------------
# /exchange: canonical rebuild and refusals.


ORDER: dict[str, Any] = {
    "type": "order",
    "orders": [
        {"a": 1, "b": True, "p": "100", "s": "0.5", "r": False, "t": {"limit": {"tif": "Gtc"}}}
    ],
    "grouping": "na",
}


def _order(**changes: Any) -> dict[str, Any]:
    action = copy.deepcopy(ORDER)
    action["orders"][0].update(changes)
    return action


def test_signed_action_is_what_the_venue_hashes() -> None:
    action = {
        "grouping": "na",
        "type": "order",
        "orders": [
            {
                "b": True,
                "a": 1,
                "p": "0100.50",
                "s": "1.0",
                "r": False,
                "t": {"limit": {"tif": "Gtc"}},
                "c": "0x" + "AB" * 16,
                "extra": 1,
            }
        ],
        "builder": None,
    }
    req = parse_exchange_request(_exchange(action))
    assert list(req.action) == ["grouping", "type", "orders", "builder"]  # as posted
    assert req.signed_action == {
        "type": "order",
        "orders": [
            {
                "a": 1,
                "b": True,
                "p": "100.5",
                "s": "1",
                "r": False,
                "t": {"limit": {"tif": "Gtc"}},
                "c": "0x" + "ab" * 16,
            }
        ],
        "grouping": "na",
    }
    assert list(req.signed_action) == ["type", "orders", "grouping"]
    assert list(req.signed_action["orders"][0]) == ["a", "b", "p", "s", "r", "t", "c"]


def test_false_flags_and_null_options_are_not_hashed() -> None:
    req = parse_exchange_request(
        _exchange({"type": "cancel", "cancels": [{"a": 0, "o": 1}], "f": False})
    )
    assert req.signed_action == {"type": "cancel", "cancels": [{"a": 0, "o": 1}]}
    req = parse_exchange_request(_exchange({"type": "scheduleCancel", "time": None}))
    assert req.signed_action == {"type": "scheduleCancel"}
    req = parse_exchange_request(
        _exchange({"type": "modify", "oid": 1, "order": ORDER["orders"][0], "a": True})
    )
    assert list(req.signed_action) == ["type", "oid", "order", "a"]


def test_optional_envelope_fields() -> None:
    req = parse_exchange_request(_exchange(ORDER))  # nktkas omits both
    assert (req.vault_address, req.expires_after) == (None, None)
    req = parse_exchange_request(_exchange(ORDER, vaultAddress=USER, expiresAfter=5, junk=1))
    assert (req.vault_address, req.expires_after) == (USER.lower(), 5)


def test_known_but_unsupported_types_are_flagged_not_refused() -> None:
    req = parse_exchange_request(_exchange({"type": "twapOrder", "twap": {}}))
    assert not req.supported and not req.is_user_signed
    req = parse_exchange_request(_exchange({"type": "spotSend", "destination": USER}))
    assert not req.supported and req.is_user_signed


USER_ACTION = {
    "type": "usdSend",
    "signatureChainId": "0x66eee",
    "hyperliquidChain": "Testnet",
    "destination": USER.lower(),
    "amount": "1",
    "time": NONCE,
}


def _user(**changes: Any) -> dict[str, Any]:
    action = dict(USER_ACTION)
    action.update(changes)
    return {k: v for k, v in action.items() if v is not _DROP}


_DROP = object()


@pytest.mark.parametrize(
    "body",
    [
        None,
        {},
        {"action": ORDER},
        {"action": ORDER, "nonce": NONCE},
        _exchange({"type": "nope"}),
        _exchange({"type": "dummy", "num": 1}),
        _exchange({"orders": []}),
        {**_exchange(ORDER), "nonce": -1},
        {**_exchange(ORDER), "nonce": 2**64},
        {**_exchange(ORDER), "nonce": float(NONCE)},
        {**_exchange(ORDER), "nonce": str(NONCE)},
        {**_exchange(ORDER), "nonce": True},
        {**_exchange(ORDER), "signature": None},
        {**_exchange(ORDER), "signature": {"r": "0x1", "s": "0x1"}},
        {**_exchange(ORDER), "signature": {"r": "0x1", "s": "0x1", "v": "27"}},
        {**_exchange(ORDER), "signature": {"r": "0x1", "s": "0x1", "v": 256}},
        {**_exchange(ORDER), "signature": {"r": "1", "s": "0x1", "v": 27}},
        {**_exchange(ORDER), "signature": {"r": "0x" + "1" * 65, "s": "0x1", "v": 27}},
        {**_exchange(ORDER), "signature": {"r": 1, "s": "0x1", "v": 27}},
        {**_exchange(ORDER), "vaultAddress": "0x12"},
        {**_exchange(ORDER), "expiresAfter": -5},
        _exchange(_order(p=100)),
        _exchange(_order(p=100.5)),
        _exchange(_order(p="1e5")),
        _exchange(_order(p="+1")),
        _exchange(_order(p=" 1")),
        _exchange(_order(p="1 ")),
        _exchange(_order(p="NaN")),
        _exchange(_order(p="Infinity")),
        _exchange(_order(p="-1")),
        _exchange(_order(p=".5")),
        _exchange(_order(p="5.")),
        _exchange(_order(p="1" * 16)),
        _exchange(_order(s="0." + "1" * 21)),
        _exchange(_order(s="1" * 400)),
        _exchange(_order(p="")),
        _exchange(_order(a=-1)),
        _exchange(_order(a=2**32)),
        _exchange(_order(a="1")),
        _exchange(_order(b=1)),
        _exchange(_order(r=None)),
        _exchange(_order(t={"limit": {"tif": "GTC"}})),
        _exchange(_order(t={"limit": {}})),
        _exchange(_order(t={})),
        _exchange(_order(t={"limit": {"tif": "Gtc"}, "trigger": {}})),
        _exchange(_order(t={"trigger": {"isMarket": 1, "triggerPx": "1", "tpsl": "tp"}})),
        _exchange(_order(t={"trigger": {"isMarket": True, "triggerPx": "1", "tpsl": "x"}})),
        _exchange(_order(t={"trigger": {"isMarket": True, "triggerPx": 1, "tpsl": "tp"}})),
        _exchange(_order(c="0x1234")),
        _exchange(_order(c=5)),
        _exchange({**ORDER, "grouping": "nah"}),
        _exchange({**ORDER, "grouping": {"p": -1}}),
        _exchange({**ORDER, "grouping": None}),
        _exchange({key: v for key, v in ORDER.items() if key != "grouping"}),
        _exchange({**ORDER, "orders": {}}),
        _exchange({**ORDER, "builder": {"b": USER, "f": "10"}}),
        _exchange({**ORDER, "builder": {"b": "0x1", "f": 10}}),
        _exchange({"type": "cancel", "cancels": [{"a": 0}]}),
        _exchange({"type": "cancel", "cancels": [{"a": 0, "o": 1}], "f": "true"}),
        _exchange({"type": "cancelByCloid", "cancels": [{"asset": 0, "cloid": 5}]}),
        _exchange({"type": "modify", "oid": -1, "order": ORDER["orders"][0]}),
        _exchange({"type": "modify", "oid": 1}),
        _exchange({"type": "batchModify", "modifies": [{"oid": 1}]}),
        _exchange({"type": "scheduleCancel", "time": "soon"}),
        _exchange({"type": "updateLeverage", "asset": 0, "isCross": True, "leverage": 1.5}),
        _exchange({"type": "updateLeverage", "asset": 0, "isCross": "yes", "leverage": 1}),
        _exchange({"type": "updateIsolatedMargin", "asset": 0, "isBuy": True, "ntli": 2**63}),
        _exchange(_user(hyperliquidChain="Devnet")),
        _exchange(_user(hyperliquidChain=_DROP)),
        _exchange(_user(signatureChainId=_DROP)),
        _exchange(_user(signatureChainId="66eee")),
        _exchange(_user(signatureChainId="0x0")),
        _exchange(_user(destination="0x12")),
        _exchange(_user(amount=1)),
        _exchange(_user(amount="-1")),
        _exchange(_user(time="1")),
        _exchange(_user(type="withdraw3", time=_DROP)),
        _exchange(_user(type="usdClassTransfer", toPerp=True, nonce=1, amount="1 sub:0x1")),
        _exchange(_user(type="usdClassTransfer", toPerp="yes", nonce=1)),
        _exchange(_user(type="approveAgent", agentAddress="0x1", nonce=1)),
        _exchange(_user(type="approveAgent", agentAddress=USER, agentName=None, nonce=1)),
        _exchange(_user(type="approveAgent", agentAddress=USER, agentName=5, nonce=1)),
        _exchange(_user(type="approveBuilderFee", builder=USER, maxFeeRate="0.1", nonce=1)),
        _exchange(_user(type="approveBuilderFee", builder=USER, maxFeeRate="x%", nonce=1)),
    ],
)
def test_bad_exchange_bodies_answer_422(body: Any) -> None:
    _bad(parse_exchange_request, body)


def test_detail_names_the_field() -> None:
    exc = _bad(parse_exchange_request, _exchange(_order(p="1e5")))
    assert "action.orders[0].p" in exc.detail
    assert str(exc).startswith("422 ")


# ---------------------------------------------------------------------------------------------
# Fuzzing: nothing but BadRequest ever escapes.

_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=5)
    ),
    max_leaves=20,
)


def _check_no_escape(fn: Any, body: Any) -> None:
    try:
        fn(body)
    except BadRequest as exc:
        assert exc.status == 422 and exc.text == DESERIALIZE_TEXT


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_json)
def test_fuzz_random_json(body: Any) -> None:
    _check_no_escape(parse_info_request, body)
    _check_no_escape(parse_exchange_request, body)
    _check_no_escape(parse_exchange_request, {"action": body, "nonce": 1, "signature": SIG})


_INFO_TYPES = sorted(SUPPORTED_INFO_TYPES)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(_INFO_TYPES), st.dictionaries(st.text(max_size=12), _json, max_size=4))
def test_fuzz_info_fields(kind: str, fields: dict[str, Any]) -> None:
    _check_no_escape(parse_info_request, {"type": kind, **fields})


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            out += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            out += _paths(item, (*prefix, index))
    return out


_VALID_BODIES = [_body(v) for v in VECTORS if v["action"]["type"] != "dummy"]


@settings(max_examples=500, deadline=None)
@given(st.data())
def test_fuzz_mutated_vectors(data: st.DataObject) -> None:
    body = copy.deepcopy(data.draw(st.sampled_from(_VALID_BODIES)))
    paths = [p for p in _paths(body) if p]
    path = data.draw(st.sampled_from(paths))
    parent = body
    for key in path[:-1]:
        parent = parent[key]
    how = data.draw(st.sampled_from(["replace", "delete", "add"]))
    if how == "delete":
        del parent[path[-1]]
    elif how == "add" and isinstance(parent, dict):
        parent[data.draw(st.text(max_size=5))] = data.draw(_json)
    else:
        parent[path[-1]] = data.draw(_json)
    try:
        req = parse_exchange_request(body)
    except BadRequest as exc:
        assert exc.status == 422
    else:
        assert isinstance(req, ExchangeRequest)
        if req.supported and not req.is_user_signed:
            msgpack.packb(req.signed_action)  # always hashable by the signing layer


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200))
def test_fuzz_raw_bytes(raw: bytes) -> None:
    try:
        body = decode_json_body(raw)
    except BadRequest as exc:
        assert exc.status in (400, 413, 422)
        return
    _check_no_escape(parse_info_request, body)
    _check_no_escape(parse_exchange_request, body)


def test_fixture_dir_exists() -> None:
    assert Path(FIXTURES_DIR).is_dir()

"""Builders must produce exactly the bytes the SDK hashes, from Decimal inputs."""

from __future__ import annotations

import json
from decimal import Decimal
from functools import cache
from typing import Any

import msgpack
import pytest

from tests.conftest import FIXTURES_DIR
from wallet_perps.core.wire_values import normalize_cloid
from wallet_perps.crypto.secp256k1 import address_from_private_key
from wallet_perps.hyperliquid import actions as A
from wallet_perps.hyperliquid.actions import (
    ActionError,
    Builder,
    LimitType,
    OrderSpec,
    TriggerType,
)
from wallet_perps.hyperliquid.signing import recover_user_signer, sign_l1_action, sign_user_action

FIXTURES = FIXTURES_DIR
D = Decimal
CLOID_1 = "0x00000000000000000000000000000001"
ADDR = "0x1234567890123456789012345678901234567890"


@cache
def _data() -> dict[str, Any]:
    with (FIXTURES / "signing_vectors.json").open() as fh:
        data: dict[str, Any] = json.load(fh)
    return data


def _vector(name: str) -> dict[str, Any]:
    for vector in _data()["vectors"] + _data()["sdk_computed_extras"]["vectors"]:
        if vector["name"] == name:
            return dict(vector)
    raise KeyError(name)


def _msgpack_hex(vector: dict[str, Any]) -> str:
    out = vector.get("derived") or vector["sdk_output"]
    return str(out["msgpack_action_hex"])


def _ordered(d: dict[str, Any]) -> list[tuple[str, Any]]:
    return list(d.items())


# Each case: (vector name, action built from Decimal inputs).
L1_CASES: list[tuple[str, dict[str, Any]]] = [
    (
        "py:test_phantom_agent_creation_matches_production [mainnet]",
        A.order_action([OrderSpec(4, True, D("1670.1"), D("0.0147"), LimitType("Ioc"))]),
    ),
    (
        "py:test_l1_action_signing_order_matches [mainnet]",
        A.order_action([OrderSpec(1, True, D("100"), D("100"))]),
    ),
    (
        "py:test_l1_action_signing_order_with_cloid_matches [mainnet]",
        A.order_action([OrderSpec(1, True, D("100.0"), D("1E+2"), cloid=CLOID_1)]),
    ),
    (
        "py:test_l1_action_signing_tpsl_order_matches [mainnet]",
        A.order_action(
            [OrderSpec(1, True, D("100"), D("100"), TriggerType(D("103.00"), True, "sl"))]
        ),
    ),
    ("py:test_schedule_cancel_action (no time) [mainnet]", A.schedule_cancel_action()),
    (
        "py:test_schedule_cancel_action (time=123456789) [mainnet]",
        A.schedule_cancel_action(123456789),
    ),
    (
        "nk:signL1Action/createL1ActionHash (base) [mainnet]",
        A.order_action([OrderSpec(0, True, D("30000"), D("0.10"))]),
    ),
    (
        "updateLeverage cross 10x asset 0 [mainnet]",
        A.update_leverage_action(0, 10, is_cross=True),
    ),
    (
        "updateLeverage isolated 3x asset 1 [mainnet]",
        A.update_leverage_action(1, 3, is_cross=False),
    ),
    (
        "updateIsolatedMargin +1.5 USD asset 1 [mainnet]",
        A.update_isolated_margin_action(1, D("1.5")),
    ),
    ("cancel oid 123 asset 0 [mainnet]", A.cancel_action([(0, 123)])),
    ("cancelByCloid asset 0 [mainnet]", A.cancel_by_cloid_action([(0, CLOID_1)])),
    (
        "batchModify by oid [mainnet]",
        A.batch_modify_action(
            [(123, OrderSpec(0, True, D("60000"), D("0.001"), LimitType("Alo")))]
        ),
    ),
    (
        "order GTC with builder [mainnet]",
        A.order_action(
            [OrderSpec(0, True, D("60000"), D("0.001"))],
            builder=Builder("0x1234567890123456789012345678901234567890", 10),
        ),
    ),
    (
        "order normalTpsl (entry+tp+sl) [mainnet]",
        A.order_action(
            [
                OrderSpec(1, True, D("3000"), D("0.01")),
                OrderSpec(1, False, D("3300"), D("0.01"), TriggerType(D("3300"), True, "tp"), True),
                OrderSpec(1, False, D("2700"), D("0.01"), TriggerType(D("2800"), True, "sl"), True),
            ],
            grouping="normalTpsl",
        ),
    ),
    (
        "order IOC with expiresAfter [mainnet]",
        A.order_action(
            [OrderSpec(0, False, D("57000"), D("0.001"), LimitType("Ioc"), reduce_only=True)]
        ),
    ),
    ("noop [mainnet]", A.noop_action()),
    ("scheduleCancel time [mainnet]", A.schedule_cancel_action(1700000010000)),
]


@pytest.mark.parametrize(("name", "action"), L1_CASES, ids=[c[0] for c in L1_CASES])
def test_built_l1_action_packs_like_the_vector(name: str, action: dict[str, Any]) -> None:
    vector = _vector(name)
    assert msgpack.packb(action).hex() == _msgpack_hex(vector)
    assert _ordered(action) == _ordered(vector["action"])
    # And therefore signs identically.
    sig = sign_l1_action(
        vector["private_key"],
        action,
        vector["nonce"],
        vault_address=vector["vault_address"],
        expires_after=vector["expires_after"],
        is_mainnet=vector["is_mainnet"],
    )
    out = vector.get("derived") or vector["sdk_output"]
    assert sig == {"r": out["r"], "s": out["s"], "v": out["v"]}


def test_rust_trailing_zero_price_is_normalised_not_copied() -> None:
    """The Rust vectors hash "2000.0"; we must send "2000", like the Python SDK."""
    vector = _vector("rs:test_limit_order_action_hashing [mainnet]")
    action = A.order_action([OrderSpec(1, True, D("2000.0"), D("3.5"), LimitType("Ioc"))])
    assert action["orders"][0]["p"] == "2000"
    assert msgpack.packb(action).hex() != _msgpack_hex(vector)
    rust_like = json.loads(json.dumps(action))
    rust_like["orders"][0]["p"] = "2000.0"
    assert msgpack.packb(rust_like).hex() == _msgpack_hex(vector)


def test_rust_cloid_vector_key_order() -> None:
    vector = _vector("rs:test_limit_order_action_hashing_with_cloid [mainnet]")
    spec = OrderSpec(
        1, True, D("2000"), D("3.5"), LimitType("Ioc"), cloid=vector["action"]["orders"][0]["c"]
    )
    wire = A.order_wire(spec)
    assert list(wire) == ["a", "b", "p", "s", "r", "t", "c"]
    assert wire["c"] == "0x1e60610f0b3d420597c88c1fed2ad5ee"


def test_trigger_wire_key_order() -> None:
    wire = A.order_wire(OrderSpec(1, True, D("1"), D("1"), TriggerType(D("2"), False, "tp")))
    assert _ordered(wire["t"]["trigger"]) == [
        ("isMarket", False),
        ("triggerPx", "2"),
        ("tpsl", "tp"),
    ]


# --- user-signed builders ---------------------------------------------------------------------


@pytest.mark.parametrize("is_mainnet", [True, False])
def test_approve_agent_unnamed_signs_empty_name_and_posts_without_it(is_mainnet: bool) -> None:
    net = "mainnet" if is_mainnet else "testnet"
    vector = _vector(
        "approveAgent unnamed (signed with agentName '', field then removed from wire action) "
        f"[{net}]"
    )
    approval = A.approve_agent_action(ADDR, 1700000000000, is_mainnet=is_mainnet)
    signing_action, posted_action = approval
    assert _ordered(signing_action) == _ordered(vector["eip712_message"])
    assert _ordered(posted_action) == _ordered(vector["wire_action"])
    assert "agentName" not in posted_action
    sig = sign_user_action(vector["private_key"], signing_action)
    assert sig == {k: vector["sdk_output"][k] for k in ("r", "s", "v")}


@pytest.mark.parametrize("is_mainnet", [True, False])
def test_approve_agent_named(is_mainnet: bool) -> None:
    net = "mainnet" if is_mainnet else "testnet"
    vector = _vector(f"approveAgent named 'bot1' [{net}]")
    approval = A.approve_agent_action(ADDR, 1700000000000, is_mainnet=is_mainnet, name="bot1")
    assert approval.signing_action == approval.posted_action
    assert _ordered(approval.posted_action) == _ordered(vector["wire_action"])
    sig = sign_user_action(vector["private_key"], approval.signing_action)
    assert sig == {k: vector["sdk_output"][k] for k in ("r", "s", "v")}


def test_approve_agent_valid_until_and_checksummed_address() -> None:
    approval = A.approve_agent_action(
        "0xABCDEF0123456789ABCDEF0123456789ABCDEF01",
        5,
        is_mainnet=False,
        name="desk",
        valid_until_ms=1800000000000,
    )
    assert approval.posted_action["agentName"] == "desk valid_until 1800000000000"
    assert approval.posted_action["agentAddress"] == "0xabcdef0123456789abcdef0123456789abcdef01"
    assert approval.posted_action["hyperliquidChain"] == "Testnet"
    with pytest.raises(ActionError, match="named agent"):
        A.approve_agent_action(ADDR, 5, is_mainnet=False, valid_until_ms=1)
    with pytest.raises(ActionError, match="1 to 16"):
        A.approve_agent_action(ADDR, 5, is_mainnet=False, name="x" * 17)
    with pytest.raises(ActionError, match="1 to 16"):
        A.approve_agent_action(ADDR, 5, is_mainnet=False, name="")
    with pytest.raises(ActionError, match="valid_until_ms"):
        A.approve_agent_action(ADDR, 5, is_mainnet=False, name="a valid_until 5")


@pytest.mark.parametrize("is_mainnet", [True, False])
def test_usd_class_transfer(is_mainnet: bool) -> None:
    net = "mainnet" if is_mainnet else "testnet"
    vector = _vector(f"usdClassTransfer 10.5 spot->perp [{net}]")
    action = A.usd_class_transfer_action(D("10.50"), True, 1700000000000, is_mainnet=is_mainnet)
    assert _ordered(action) == _ordered(vector["wire_action"])
    sig = sign_user_action(vector["private_key"], action)
    assert sig == {k: vector["sdk_output"][k] for k in ("r", "s", "v")}


def test_usd_class_transfer_sub_account_suffix() -> None:
    action = A.usd_class_transfer_action(
        D("5"), False, 1, is_mainnet=True, sub_account="0xAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
    )
    assert action["amount"] == "5 subaccount:0xaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"


@pytest.mark.parametrize(
    ("name", "builder"),
    [
        ("py:test_sign_usd_transfer_action [testnet]", A.usd_send_action),
        ("py:test_sign_withdraw_from_bridge_action [testnet]", A.withdraw3_action),
        ("nk:signUserSignedAction (UsdSend, Mainnet)", A.usd_send_action),
    ],
)
def test_usd_send_and_withdraw_reproduce_vectors(name: str, builder: Any) -> None:
    vector = _vector(name)
    msg = vector["message"]
    action = builder(
        msg["destination"], D(msg["amount"]), msg["time"], is_mainnet=vector["is_mainnet"]
    )
    assert action["type"] == ("withdraw3" if "withdraw" in name else "usdSend")
    sig = sign_user_action(vector["private_key"], action)
    assert sig == {k: vector["expected"][k] for k in ("r", "s", "v")}
    assert recover_user_signer(action, sig) == vector["signer_address"]


def test_usd_send_lowercases_destination() -> None:
    """The Rust vector signs a mixed-case destination verbatim; we always lowercase (§4.2)."""
    vector = _vector("rs:test_sign_usd_transfer_action [testnet]")
    msg = vector["message"]
    action = A.usd_send_action(msg["destination"], D("1"), msg["time"], is_mainnet=False)
    assert action["destination"] == msg["destination"].lower()
    assert action["destination"] != msg["destination"]


@pytest.mark.parametrize("is_mainnet", [True, False])
def test_approve_builder_fee(is_mainnet: bool) -> None:
    vector = _vector(
        f"rs:test_approve_builder_fee_signing [{'Mainnet' if is_mainnet else 'Testnet'}]"
    )
    action = A.approve_builder_fee_action(ADDR, D("0.0010"), 1583838, is_mainnet=is_mainnet)
    assert action["maxFeeRate"] == "0.001%"
    sig = sign_user_action(vector["private_key"], action)
    assert sig == {k: vector["derived"][k] for k in ("r", "s", "v")}
    assert recover_user_signer(action, sig) == address_from_private_key(vector["private_key"])


def test_signature_chain_id_override() -> None:
    action = A.usd_send_action(ADDR, D("1"), 1, is_mainnet=True, signature_chain_id="0xa4b1")
    assert action["signatureChainId"] == "0xa4b1"
    with pytest.raises(ActionError, match="signatureChainId"):
        A.usd_send_action(ADDR, D("1"), 1, is_mainnet=True, signature_chain_id="42161")


# --- flags omitted when false -----------------------------------------------------------------


def test_cancel_fast_flag_only_when_true() -> None:
    assert "f" not in A.cancel_action([(0, 1)])
    assert "f" not in A.cancel_by_cloid_action([(0, CLOID_1)])
    fast = A.cancel_action([(0, 1), (3, 2)], fast=True)
    assert _ordered(fast) == [
        ("type", "cancel"),
        ("cancels", [{"a": 0, "o": 1}, {"a": 3, "o": 2}]),
        ("f", True),
    ]
    assert A.cancel_by_cloid_action([(0, CLOID_1)], fast=True)["f"] is True


def test_modify_always_place_only_when_true() -> None:
    spec = OrderSpec(0, True, D("60000"), D("0.001"), LimitType("Alo"), cloid=CLOID_1)
    plain = A.modify_action(123, spec)
    assert list(plain) == ["type", "oid", "order"]
    assert plain["order"] == A.order_wire(spec)
    forced = A.modify_action(CLOID_1.upper().replace("0X", "0x"), spec, always_place=True)
    assert list(forced) == ["type", "oid", "order", "a"]
    assert forced["oid"] == CLOID_1
    batch = A.batch_modify_action([(1, spec)], always_place=True)
    assert list(batch) == ["type", "modifies", "a"]
    assert "a" not in A.batch_modify_action([(1, spec)])


# --- refusals before anything is signed -------------------------------------------------------


@pytest.mark.parametrize(
    ("spec_kwargs", "message"),
    [
        ({"price": D("0")}, "price 0 must be greater than zero"),
        ({"price": D("-1")}, "price -1 must be greater than zero"),
        ({"price": D("-0.0")}, "price 0 must be greater than zero"),
        ({"size": D("0")}, "size 0 must be greater than zero"),
        ({"size": D("-0.5")}, "size -0.5 must be greater than zero"),
        ({"price": 100.5}, "price must be a Decimal, not float"),
        ({"size": "1"}, "size must be a Decimal, not str"),
        ({"price": D("NaN")}, "finite"),
        ({"asset": -1}, "asset -1"),
        ({"asset": True}, "asset must be an int"),
        ({"is_buy": 1}, "is_buy must be True or False"),
        ({"reduce_only": None}, "reduce_only must be True or False"),
        ({"cloid": "0x1234"}, "cloid"),
        ({"cloid": "0x" + "g" * 32}, "cloid"),
        ({"cloid": "1" * 34}, "cloid"),
        ({"order_type": LimitType("Day")}, "time in force"),  # type: ignore[arg-type]
        ({"order_type": TriggerType(D("0"), True, "tp")}, "trigger price 0"),
        ({"order_type": TriggerType(D("1"), True, "stop")}, "tpsl"),  # type: ignore[arg-type]
        ({"order_type": TriggerType(D("1"), "yes", "tp")}, "isMarket"),  # type: ignore[arg-type]
    ],
)
def test_order_refusals(spec_kwargs: dict[str, Any], message: str) -> None:
    base: dict[str, Any] = {"asset": 0, "is_buy": True, "price": D("1"), "size": D("1")}
    spec = OrderSpec(**{**base, **spec_kwargs})
    with pytest.raises(ActionError, match=message):
        A.order_action([spec])


def test_order_action_refusals() -> None:
    spec = OrderSpec(0, True, D("1"), D("1"))
    with pytest.raises(ActionError, match="at least one"):
        A.order_action([])
    with pytest.raises(ActionError, match="grouping"):
        A.order_action([spec], grouping="oco")  # type: ignore[arg-type]
    with pytest.raises(ActionError, match="builder address"):
        A.order_action([spec], builder=Builder("0x12", 1))
    with pytest.raises(ActionError, match="builder fee"):
        A.order_action([spec], builder=Builder(ADDR, -1))
    with pytest.raises(ActionError, match="at least one"):
        A.cancel_action([])
    with pytest.raises(ActionError, match="oid"):
        A.cancel_action([(0, -5)])


def test_builder_address_is_lowercased() -> None:
    spec = OrderSpec(0, True, D("1"), D("1"))
    action = A.order_action(
        [spec], builder=Builder("0xABCDEF0123456789ABCDEF0123456789ABCDEF01", 5)
    )
    assert action["builder"] == {"b": "0xabcdef0123456789abcdef0123456789abcdef01", "f": 5}


def test_cloid_is_lowercased_and_new_cloid_is_valid() -> None:
    spec = OrderSpec(0, True, D("1"), D("1"), cloid="0x" + "AB" * 16)
    assert A.order_wire(spec)["c"] == "0x" + "ab" * 16
    cloid = A.new_cloid()
    assert normalize_cloid(cloid) == cloid
    assert cloid != A.new_cloid()


def test_leverage_and_margin_refusals() -> None:
    with pytest.raises(ActionError, match="leverage 0"):
        A.update_leverage_action(0, 0, is_cross=True)
    with pytest.raises(ActionError, match="is_cross"):
        A.update_leverage_action(0, 5, is_cross=1)  # type: ignore[arg-type]
    with pytest.raises(ActionError, match="more than 6 decimals"):
        A.update_isolated_margin_action(0, D("1.0000001"))
    with pytest.raises(ActionError, match="zero"):
        A.update_isolated_margin_action(0, D("0"))
    with pytest.raises(ActionError, match="Decimal"):
        A.update_isolated_margin_action(0, 1.5)  # type: ignore[arg-type]
    removal = A.update_isolated_margin_action(2, D("-2.25"), is_buy=False)
    assert _ordered(removal) == [
        ("type", "updateIsolatedMargin"),
        ("asset", 2),
        ("isBuy", False),
        ("ntli", -2_250_000),
    ]


def test_transfer_refusals() -> None:
    with pytest.raises(ActionError, match="amount 0 must be greater than zero"):
        A.usd_send_action(ADDR, D("0"), 1, is_mainnet=True)
    with pytest.raises(ActionError, match="destination"):
        A.withdraw3_action("0xnothex", D("1"), 1, is_mainnet=True)
    with pytest.raises(ActionError, match="Decimal"):
        A.usd_class_transfer_action(1.0, True, 1, is_mainnet=True)  # type: ignore[arg-type]
    with pytest.raises(ActionError, match="negative"):
        A.approve_builder_fee_action(ADDR, D("-0.01"), 1, is_mainnet=True)
    revoke = A.approve_builder_fee_action(ADDR, D("0"), 1, is_mainnet=True)
    assert revoke["maxFeeRate"] == "0%"


def test_no_floats_anywhere_in_built_actions() -> None:
    def walk(value: Any) -> None:
        assert not isinstance(value, float)
        if isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    for _, action in L1_CASES:
        walk(action)

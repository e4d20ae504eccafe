"""Signing must reproduce the official SDKs bit for bit, or the venue recovers a stranger."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data

from tests.conftest import FIXTURES_DIR
from wallet_perps.crypto.errors import SignatureError
from wallet_perps.crypto.secp256k1 import (
    address_from_private_key,
    recover_digest_signer,
    sign_digest,
)
from wallet_perps.hyperliquid.signing import (
    action_hash,
    agent_digest,
    l1_digest,
    recover_l1_signer,
    recover_user_signer,
    sign_l1_action,
    sign_user_action,
    user_action_digest,
)
from wallet_perps.hyperliquid.user_actions import USER_ACTION_TYPES

FIXTURES = FIXTURES_DIR
PY_KEY = "0x0123456789012345678901234567890123456789012345678901234567890123"
PY_ADDRESS = "0x14791697260E4c9A71f18484C9f997B308e59325"

PRIMARY_TO_WIRE_TYPE = {
    "HyperliquidTransaction:UsdSend": "usdSend",
    "HyperliquidTransaction:Withdraw": "withdraw3",
    "HyperliquidTransaction:ApproveBuilderFee": "approveBuilderFee",
    "HyperliquidTransaction:ApproveAgent": "approveAgent",
    "HyperliquidTransaction:UsdClassTransfer": "usdClassTransfer",
}


@cache
def _data() -> dict[str, Any]:
    with (FIXTURES / "signing_vectors.json").open() as fh:
        data: dict[str, Any] = json.load(fh)
    return data


def _vectors() -> list[dict[str, Any]]:
    return list(_data()["vectors"])


def _extras() -> list[dict[str, Any]]:
    return list(_data()["sdk_computed_extras"]["vectors"])


def _ids(vectors: list[dict[str, Any]]) -> list[str]:
    return [v["name"] for v in vectors]


L1_VECTORS = [v for v in _vectors() if "action" in v and "private_key" in v]
CID_ONLY_VECTORS = [v for v in _vectors() if "connection_id" in v]
USER_VECTORS = [v for v in _vectors() if "message" in v]
L1_EXTRAS = [v for v in _extras() if "action" in v]
USER_EXTRAS = [v for v in _extras() if "eip712_message" in v]


def _rsv_from_sig65(hex65: str) -> tuple[int, int, int]:
    raw = bytes.fromhex(hex65.removeprefix("0x"))
    return int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:64], "big"), raw[64]


def _as_ints(sig: dict[str, Any]) -> tuple[int, int, int]:
    return int(sig["r"], 16), int(sig["s"], 16), int(sig["v"])


def _user_action(vector: dict[str, Any]) -> dict[str, Any]:
    message = vector.get("eip712_message") or vector["message"]
    return {"type": PRIMARY_TO_WIRE_TYPE[vector["primary_type"]], **message}


def test_fixture_counts() -> None:
    # PROTOCOL.md §4.4: 46 upstream vectors, 28 SDK-computed extras.
    assert len(_vectors()) == 46
    assert len(_extras()) == 28
    covered = len(L1_VECTORS) + len(CID_ONLY_VECTORS) + len(USER_VECTORS) + 1  # +1 rs hash-only
    assert covered == 46
    assert len(L1_EXTRAS) + len(USER_EXTRAS) == 28


# --- L1 actions -------------------------------------------------------------------------------


@pytest.mark.parametrize("vector", L1_VECTORS, ids=_ids(L1_VECTORS))
def test_l1_vector(vector: dict[str, Any]) -> None:
    args = (vector["action"], vector["nonce"])
    opts = {"vault_address": vector["vault_address"], "expires_after": vector["expires_after"]}
    expected = vector["expected"]
    derived = vector.get("derived", {})

    cid = action_hash(*args, opts["vault_address"], opts["expires_after"])
    if "connectionId" in expected:
        assert "0x" + cid.hex() == expected["connectionId"]
    if derived:
        assert "0x" + cid.hex() == derived["connection_id_keccak"]
        digest = l1_digest(*args, **opts, is_mainnet=vector["is_mainnet"])
        assert "0x" + digest.hex() == derived["eip712_digest"]

    sig = sign_l1_action(vector["private_key"], *args, **opts, is_mainnet=vector["is_mainnet"])
    assert sig["v"] in (27, 28)
    if "r" in expected:
        # Python SDK and nktkas UsdSend vectors: exact strings, unpadded like the SDK prints.
        assert sig == {"r": expected["r"], "s": expected["s"], "v": expected["v"]}
    if "sig65" in expected:
        # Rust vectors come as 65 raw bytes; compare as integers.
        assert _as_ints(dict(sig)) == _rsv_from_sig65(expected["sig65"])
    if derived:
        # derived r/s are the Python SDK's own output strings: match them exactly.
        assert sig == {"r": derived["r"], "s": derived["s"], "v": derived["v"]}
        assert _as_ints(dict(sig)) == _rsv_from_sig65(derived["signature_65_bytes_hex"])

    signer = recover_l1_signer(*args, sig, **opts, is_mainnet=vector["is_mainnet"])
    assert signer == vector["signer_address"]


def test_nk_padded_upstream_signature_equals_ours_as_ints() -> None:
    vector = next(v for v in L1_VECTORS if v["name"].startswith("nk:signL1Action"))
    upstream = json.loads(vector["note"].split(": ", 1)[1])
    for net, is_mainnet in (("mainnet", True), ("testnet", False)):
        sig = sign_l1_action(
            vector["private_key"], vector["action"], vector["nonce"], is_mainnet=is_mainnet
        )
        assert _as_ints(dict(sig)) == _as_ints(upstream[net])
    # The SDK-style output for the mainnet s drops the leading zero nktkas keeps.
    mainnet = sign_l1_action(
        vector["private_key"], vector["action"], vector["nonce"], is_mainnet=True
    )
    assert upstream["mainnet"]["s"].startswith("0x0e91")
    assert mainnet["s"] == "0xe91df4f9841641d3322dad8d932874b74d7e082cdb5b533f804964a6963aef9"


@pytest.mark.parametrize("vector", CID_ONLY_VECTORS, ids=_ids(CID_ONLY_VECTORS))
def test_rust_vectors_given_connection_id(vector: dict[str, Any]) -> None:
    cid = bytes.fromhex(vector["connection_id"].removeprefix("0x"))
    digest = agent_digest(cid, vector["is_mainnet"])
    assert "0x" + digest.hex() == vector["derived"]["eip712_digest"]
    sig = sign_digest(vector["private_key"], digest)
    assert _as_ints(dict(sig)) == _rsv_from_sig65(vector["expected"]["sig65"])
    assert recover_digest_signer(digest, sig) == vector["signer_address"]


def test_rust_approve_builder_fee_hash_with_raw_address_bytes() -> None:
    vector = next(v for v in _vectors() if v["name"].startswith("rs:test_approve_builder_fee_hash"))
    action = {
        key: bytes.fromhex(value.removeprefix("BYTES:0x"))
        if isinstance(value, str) and value.startswith("BYTES:")
        else value
        for key, value in vector["action"].items()
    }
    cid = action_hash(action, vector["nonce"], vector["vault_address"], None)
    assert "0x" + cid.hex() == vector["expected"]["connectionId"]


@pytest.mark.parametrize("vector", L1_EXTRAS, ids=_ids(L1_EXTRAS))
def test_l1_sdk_extras(vector: dict[str, Any]) -> None:
    out = vector["sdk_output"]
    opts = {"vault_address": vector["vault_address"], "expires_after": vector["expires_after"]}
    cid = action_hash(
        vector["action"], vector["nonce"], opts["vault_address"], opts["expires_after"]
    )
    assert "0x" + cid.hex() == out["connection_id_keccak"]
    digest = l1_digest(vector["action"], vector["nonce"], **opts, is_mainnet=vector["is_mainnet"])
    assert "0x" + digest.hex() == out["eip712_digest"]
    sig = sign_l1_action(
        vector["private_key"],
        vector["action"],
        vector["nonce"],
        **opts,
        is_mainnet=vector["is_mainnet"],
    )
    assert sig == {"r": out["r"], "s": out["s"], "v": out["v"]}
    signer = recover_l1_signer(
        vector["action"], vector["nonce"], sig, **opts, is_mainnet=vector["is_mainnet"]
    )
    assert signer == vector["signer_address"]


# --- user-signed actions ----------------------------------------------------------------------


@pytest.mark.parametrize("vector", USER_VECTORS, ids=_ids(USER_VECTORS))
def test_user_signed_vector(vector: dict[str, Any]) -> None:
    action = _user_action(vector)
    derived = vector["derived"]
    assert "0x" + user_action_digest(action).hex() == derived["eip712_digest"]
    sig = sign_user_action(vector["private_key"], action)
    expected = vector["expected"]
    if "r" in expected:
        assert sig == {"r": expected["r"], "s": expected["s"], "v": expected["v"]}
    else:
        assert _as_ints(dict(sig)) == _rsv_from_sig65(expected["sig65"])
    assert sig == {"r": derived["r"], "s": derived["s"], "v": derived["v"]}
    assert recover_user_signer(action, sig) == vector["signer_address"]


@pytest.mark.parametrize("vector", USER_EXTRAS, ids=_ids(USER_EXTRAS))
def test_user_signed_sdk_extras(vector: dict[str, Any]) -> None:
    action = _user_action(vector)
    out = vector["sdk_output"]
    sig = sign_user_action(vector["private_key"], action)
    assert sig == {"r": out["r"], "s": out["s"], "v": out["v"]}
    assert recover_user_signer(action, sig) == address_from_private_key(vector["private_key"])


def test_unnamed_agent_posted_action_recovers_like_the_signed_one() -> None:
    vector = next(v for v in USER_EXTRAS if "unnamed" in v["name"])
    sig = vector["sdk_output"]
    signer = address_from_private_key(vector["private_key"])
    posted = vector["wire_action"]
    assert "agentName" not in posted
    # The venue reads the missing agentName as "" when it rebuilds the struct; so do we.
    assert recover_user_signer(posted, sig) == signer
    assert recover_user_signer({**posted, "agentName": ""}, sig) == signer
    assert recover_user_signer({**posted, "agentName": "x"}, sig) != signer
    # Other fields have no default.
    with pytest.raises(SignatureError, match="lacks field 'nonce'"):
        recover_user_signer({k: v for k, v in posted.items() if k != "nonce"}, sig)


def _typed_data(
    primary_type: str, fields: list[dict[str, str]], domain: dict[str, Any], message: dict[str, Any]
) -> dict[str, Any]:
    """eth_account's ``full_message`` for one struct under the standard EIP712Domain: the
    independent side of every cross-check below, built one way for all of them."""
    return {
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"},
                {"name": "verifyingContract", "type": "address"},
            ],
            primary_type: fields,
        },
        "primaryType": primary_type,
        "domain": domain,
        "message": message,
    }


def _domain(name: str, chain_id: int) -> dict[str, Any]:
    """An EIP-712 domain as Hyperliquid signs under: version 1, the zero contract."""
    return {
        "name": name,
        "version": "1",
        "chainId": chain_id,
        "verifyingContract": "0x0000000000000000000000000000000000000000",
    }


def _eth_account_typed_data(vector: dict[str, Any]) -> dict[str, Any]:
    return _typed_data(
        vector["primary_type"],
        vector["eip712_types"],
        vector.get("domain") or _domain("HyperliquidSignTransaction", 421614),
        vector.get("eip712_message") or vector["message"],
    )


@pytest.mark.parametrize("vector", USER_VECTORS + USER_EXTRAS, ids=_ids(USER_VECTORS + USER_EXTRAS))
def test_user_digest_matches_eth_account(vector: dict[str, Any]) -> None:
    """Independent cross-check of the hand-rolled EIP-712 encoder against eth_account."""
    signable = encode_typed_data(full_message=_eth_account_typed_data(vector))
    action = _user_action(vector)
    sig = sign_user_action(vector["private_key"], action)
    vrs = (sig["v"], int(sig["r"], 16), int(sig["s"], 16))
    assert Account.recover_message(signable, vrs=vrs) == address_from_private_key(
        vector["private_key"]
    )


@pytest.mark.parametrize("is_mainnet", [True, False])
def test_l1_digest_matches_eth_account(is_mainnet: bool) -> None:
    action = {"type": "noop"}
    cid = action_hash(action, 1, None, None)
    typed = _typed_data(
        "Agent",
        [{"name": "source", "type": "string"}, {"name": "connectionId", "type": "bytes32"}],
        _domain("Exchange", 1337),
        {"source": "a" if is_mainnet else "b", "connectionId": cid},
    )
    signed = Account.sign_message(encode_typed_data(full_message=typed), PY_KEY)
    ours = sign_l1_action(PY_KEY, action, 1, is_mainnet=is_mainnet)
    assert (int(ours["r"], 16), int(ours["s"], 16), ours["v"]) == (signed.r, signed.s, signed.v)


# Every struct of §4.2, checked against eth_account with synthetic values.
_SYNTHETIC: dict[str, dict[str, Any]] = {
    "usdSend": {"destination": "0xabc", "amount": "1", "time": 1},
    "spotSend": {"destination": "0xabc", "token": "PURR:0xc4bf", "amount": "2.5", "time": 2},
    "withdraw3": {"destination": "0xabc", "amount": "3", "time": 3},
    "usdClassTransfer": {"amount": "10.5", "toPerp": False, "nonce": 4},
    "sendAsset": {
        "destination": "0xabc",
        "sourceDex": "",
        "destinationDex": "spot",
        "token": "USDC",
        "amount": "1",
        "fromSubAccount": "",
        "nonce": 5,
    },
    "approveAgent": {
        "agentAddress": "0xABCDEFabcdef0123456789012345678901234567",
        "agentName": "bot1 valid_until 1800000000000",
        "nonce": 6,
    },
    "approveBuilderFee": {
        "maxFeeRate": "0.001%",
        "builder": "0x1234567890123456789012345678901234567890",
        "nonce": 7,
    },
    "tokenDelegate": {
        "validator": "0x1234567890123456789012345678901234567890",
        "wei": (1 << 64) - 1,
        "isUndelegate": True,
        "nonce": 8,
    },
    "userDexAbstraction": {
        "user": "0x1234567890123456789012345678901234567890",
        "enabled": True,
        "nonce": 9,
    },
    "userSetAbstraction": {
        "user": "0x1234567890123456789012345678901234567890",
        "abstraction": "unifiedAccount",
        "nonce": 10,
    },
    "convertToMultiSigUser": {
        "signers": '{"authorizedUsers":["0x1234567890123456789012345678901234567890"],'
        '"threshold":1}',
        "nonce": 11,
    },
    "sendMultiSig": {"multiSigActionHash": "0x" + "ab" * 32, "nonce": 12},
}


@pytest.mark.parametrize("action_type", sorted(_SYNTHETIC))
@pytest.mark.parametrize("chain_id", ["0x66eee", "0xa4b1"])
def test_every_user_struct_matches_eth_account(action_type: str, chain_id: str) -> None:
    spec = USER_ACTION_TYPES[action_type]
    message = {
        "type": action_type,
        "signatureChainId": chain_id,
        "hyperliquidChain": "Testnet",
        **_SYNTHETIC[action_type],
    }
    typed = _typed_data(
        spec.primary_type,
        [{"name": n, "type": t} for n, t in spec.fields],
        _domain("HyperliquidSignTransaction", int(chain_id, 16)),
        message,
    )
    signed = Account.sign_message(encode_typed_data(full_message=typed), PY_KEY)
    ours = sign_user_action(PY_KEY, message)
    assert (int(ours["r"], 16), int(ours["s"], 16), ours["v"]) == (signed.r, signed.s, signed.v)
    assert recover_user_signer(message, ours) == PY_ADDRESS


def test_user_table_covers_protocol_types() -> None:
    assert set(_SYNTHETIC) == set(USER_ACTION_TYPES)


def test_destination_case_changes_the_signature_but_address_fields_do_not() -> None:
    base = {
        "type": "usdSend",
        "signatureChainId": "0x66eee",
        "hyperliquidChain": "Mainnet",
        "destination": "0x0d1d9635d0640821d15e323ac8adadfa9c111414",
        "amount": "1",
        "time": 1,
    }
    mixed = {**base, "destination": "0x0D1d9635D0640821d15e323ac8AdADfA9c111414"}
    assert user_action_digest(base) != user_action_digest(mixed)
    agent = {
        "type": "approveAgent",
        "signatureChainId": "0x66eee",
        "hyperliquidChain": "Mainnet",
        "agentAddress": "0x0d1d9635d0640821d15e323ac8adadfa9c111414",
        "agentName": "",
        "nonce": 1,
    }
    agent_mixed = {**agent, "agentAddress": "0x0D1d9635D0640821d15e323ac8AdADfA9c111414"}
    assert user_action_digest(agent) == user_action_digest(agent_mixed)


def test_extra_keys_are_not_hashed_but_network_is() -> None:
    action = _user_action(next(v for v in USER_EXTRAS if "usdClassTransfer" in v["name"]))
    assert user_action_digest(action) == user_action_digest({**action, "junk": 1})
    other = {
        **action,
        "hyperliquidChain": "Testnet" if action["hyperliquidChain"] == "Mainnet" else "Mainnet",
    }
    assert user_action_digest(action) != user_action_digest(other)
    assert user_action_digest(action) != user_action_digest(
        {**action, "signatureChainId": "0xa4b1"}
    )


# --- keys, addresses, formatting --------------------------------------------------------------


def test_bytes_and_hex_keys_sign_identically() -> None:
    action = {"type": "noop"}
    a = sign_l1_action(PY_KEY, action, 5, is_mainnet=False)
    b = sign_l1_action(bytes.fromhex(PY_KEY[2:]), action, 5, is_mainnet=False)
    assert a == b


def test_output_is_unpadded_like_the_sdk() -> None:
    vector = next(
        v for v in L1_VECTORS if v["name"] == "py:test_l1_action_signing_matches [mainnet]"
    )
    sig = sign_l1_action(PY_KEY, vector["action"], 0, is_mainnet=True)
    assert len(sig["r"]) == 2 + 63  # the SDK's 63-digit r
    assert not sig["r"].startswith("0x0")


# --- recovery edge cases ----------------------------------------------------------------------

_ACTION = {"type": "scheduleCancel", "time": 123456789}


def _good_sig() -> dict[str, Any]:
    return dict(sign_l1_action(PY_KEY, _ACTION, 0, is_mainnet=True))


def test_recover_accepts_padded_and_unpadded_r_s() -> None:
    sig = _good_sig()
    padded = {
        "r": "0x" + int(sig["r"], 16).to_bytes(32, "big").hex(),
        "s": "0x" + int(sig["s"], 16).to_bytes(32, "big").hex(),
        "v": sig["v"],
    }
    assert recover_l1_signer(_ACTION, 0, sig, is_mainnet=True) == PY_ADDRESS
    assert recover_l1_signer(_ACTION, 0, padded, is_mainnet=True) == PY_ADDRESS
    upper = {**padded, "r": "0x" + padded["r"][2:].upper()}
    assert recover_l1_signer(_ACTION, 0, upper, is_mainnet=True) == PY_ADDRESS


def test_recover_with_wrong_network_or_nonce_gives_a_different_address() -> None:
    """What the venue sees on a signing bug: a valid but unknown address (§4.3)."""
    sig = _good_sig()
    assert recover_l1_signer(_ACTION, 0, sig, is_mainnet=False) != PY_ADDRESS
    assert recover_l1_signer(_ACTION, 1, sig, is_mainnet=True) != PY_ADDRESS
    vault = "0x1719884eb866cb12b2287399b15f7db5e7d775ea"
    assert recover_l1_signer(_ACTION, 0, sig, vault_address=vault, is_mainnet=True) != PY_ADDRESS
    assert recover_l1_signer(_ACTION, 0, sig, expires_after=5, is_mainnet=True) != PY_ADDRESS


@pytest.mark.parametrize(
    "mutation",
    [
        {"v": 29},
        {"v": 0},
        {"v": True},
        {"v": "27"},
        {"r": "0x0"},
        {"r": "0x" + "f" * 64},  # >= curve order
        {"r": "0x" + "1" * 65},  # too long
        {"r": ""},
        {"r": "0xzz"},
        {"s": None},
        {"s": "0x" + "0" * 64},
    ],
)
def test_recover_rejects_malformed_signatures(mutation: dict[str, Any]) -> None:
    sig = {**_good_sig(), **mutation}
    with pytest.raises(SignatureError):
        recover_l1_signer(_ACTION, 0, sig, is_mainnet=True)


def test_recover_rejects_missing_fields_and_non_mappings() -> None:
    sig = _good_sig()
    del sig["s"]
    with pytest.raises(SignatureError, match="lacks 's'"):
        recover_l1_signer(_ACTION, 0, sig, is_mainnet=True)
    with pytest.raises(SignatureError):
        recover_l1_signer(_ACTION, 0, "0xdeadbeef", is_mainnet=True)  # type: ignore[arg-type]


def test_unknown_user_action_type() -> None:
    with pytest.raises(SignatureError, match="unknown user-signed action type 'order'"):
        recover_user_signer({"type": "order"}, _good_sig())
    with pytest.raises(SignatureError, match="unknown user-signed action type"):
        sign_user_action(PY_KEY, {"signatureChainId": "0x66eee"})


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        ({"time": 1.5}, "unsigned 64-bit"),
        ({"time": True}, "unsigned 64-bit"),
        ({"time": -1}, "unsigned 64-bit"),
        ({"time": 1 << 64}, "unsigned 64-bit"),
        ({"amount": 1}, "must be a string"),
        ({"signatureChainId": None}, "signatureChainId"),
        ({"signatureChainId": "0xzz"}, "signatureChainId"),
    ],
)
def test_user_action_field_validation(patch: dict[str, Any], message: str) -> None:
    action = {
        "type": "usdSend",
        "signatureChainId": "0x66eee",
        "hyperliquidChain": "Mainnet",
        "destination": "0xabc",
        "amount": "1",
        "time": 1,
        **patch,
    }
    with pytest.raises(SignatureError, match=message):
        sign_user_action(PY_KEY, action)


def test_bad_address_and_bool_fields() -> None:
    base = {
        "type": "userDexAbstraction",
        "signatureChainId": "0x66eee",
        "hyperliquidChain": "Mainnet",
    }
    with pytest.raises(SignatureError, match="user"):
        user_action_digest({**base, "user": "0x1234", "enabled": True, "nonce": 1})
    with pytest.raises(SignatureError, match="must be a bool"):
        user_action_digest({**base, "user": "0x" + "11" * 20, "enabled": 1, "nonce": 1})


# --- inputs that must never be signed ---------------------------------------------------------


def test_floats_inside_actions_are_refused() -> None:
    action = {"type": "order", "orders": [{"a": 0, "b": True, "p": 100.0, "s": "1"}]}
    with pytest.raises(SignatureError, match=r"action\.orders\[0\]\.p is a float"):
        sign_l1_action(PY_KEY, action, 1, is_mainnet=True)


def test_bad_nonce_vault_and_expiry() -> None:
    with pytest.raises(SignatureError, match="nonce"):
        action_hash({"type": "noop"}, -1, None, None)
    with pytest.raises(SignatureError, match="nonce"):
        action_hash({"type": "noop"}, True, None, None)
    with pytest.raises(SignatureError, match="vault address"):
        action_hash({"type": "noop"}, 1, "0x1234", None)
    with pytest.raises(SignatureError, match="expiresAfter"):
        action_hash({"type": "noop"}, 1, None, -5)


def test_valid_key_never_appears_in_errors() -> None:
    with pytest.raises(SignatureError) as info:
        sign_l1_action(PY_KEY, {"type": "order", "x": 1.5}, 1, is_mainnet=True)
    assert PY_KEY[2:] not in str(info.value)
    assert PY_KEY[2:] not in repr(info.value)


def test_digest_helpers_validate_lengths() -> None:
    with pytest.raises(SignatureError):
        agent_digest(b"\x00" * 31, True)
    with pytest.raises(SignatureError):
        sign_digest(PY_KEY, b"\x00" * 31)
    with pytest.raises(SignatureError):
        recover_digest_signer(b"\x00" * 33, _good_sig())

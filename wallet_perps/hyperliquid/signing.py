"""Hyperliquid action signing and signer recovery (PROTOCOL.md §4), built for speed.

What is Hyperliquid's lives here: the L1 "phantom agent" (msgpack action hash as the
connectionId of an ``Agent`` struct in the fixed Exchange domain), the user-signed structs of
:mod:`~wallet_perps.hyperliquid.user_actions` in the HyperliquidSignTransaction domain, and the
rule that no float may be signed. Keccak, secp256k1 and EIP-712 encoding are
:mod:`wallet_perps.crypto`'s.

The official SDK spends ~2.6 ms per order inside eth_account's generic EIP-712 machinery. The
two domains are fixed, so their separators and type hashes are computed once (on first use,
not at import: importing this module stays cheap) and each digest is just
``keccak(0x1901 ‖ domainSeparator ‖ structHash)``; secp256k1 work goes to libsecp256k1. Output
is byte-for-byte the SDK's, including its habit of printing r and s without zero left-padding.

Recovery mirrors what the venue does: it never says "bad signature", it recovers an address
and looks it up, so the same helpers serve the local simulated venue. A key in a mutable
buffer is signed with in place (see :mod:`wallet_perps.crypto.secp256k1`).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any, Final, Required, TypedDict, Unpack

import msgpack

from wallet_perps.crypto.addresses import address_bytes
from wallet_perps.crypto.eip712 import (
    UINT64_MAX,
    domain_separator,
    encode_field,
    struct_type_hash,
    typed_data_digest,
)
from wallet_perps.crypto.errors import SignatureError
from wallet_perps.crypto.keccak import keccak256
from wallet_perps.crypto.secp256k1 import (
    SecretBuffer,
    Signature,
    recover_digest_signer,
    sign_digest,
)
from wallet_perps.hyperliquid.user_actions import USER_ACTION_TYPES

__all__ = [
    "L1Options",
    "action_hash",
    "agent_digest",
    "l1_digest",
    "l1_domain_separator",
    "recover_l1_signer",
    "recover_user_signer",
    "sign_l1_action",
    "sign_user_action",
    "user_action_digest",
    "user_domain_separator",
]


@functools.cache
def l1_domain_separator() -> bytes:
    """The fixed domain every L1 action's phantom agent is signed in (Exchange, 1, 1337)."""
    return domain_separator("Exchange", "1", 1337)


@functools.cache
def _agent_head(is_mainnet: bool) -> bytes:
    """typeHash ‖ keccak(source): everything before connectionId in the Agent struct."""
    type_hash = struct_type_hash("Agent", (("source", "string"), ("connectionId", "bytes32")))
    return type_hash + keccak256(b"a" if is_mainnet else b"b")


def user_domain_separator(chain_id: int) -> bytes:
    """Domain separator of HyperliquidSignTransaction for ``chain_id`` (from signatureChainId)."""
    return domain_separator("HyperliquidSignTransaction", "1", chain_id)


# ---------------------------------------------------------------------------------------------
# Digests.


def _check_wire(value: object, path: str) -> None:
    """Refuse floats (and other non-wire types) anywhere in an action before it is hashed.

    A float packs as a msgpack float64 and the venue, which rebuilds the action from JSON,
    hashes something else; the result is a valid signature for a stranger's address.
    """
    if isinstance(value, str | bool | int | bytes) or value is None:
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise SignatureError(f"action key {key!r} at {path} is not a string")
            _check_wire(item, f"{path}.{key}")
        return
    if isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _check_wire(item, f"{path}[{index}]")
        return
    raise SignatureError(
        f"action value at {path} is a {type(value).__name__}; only str, int, bool, lists and "
        "dicts may be signed (format numbers as strings first)"
    )


def action_hash(
    action: Mapping[str, Any],
    nonce: int,
    vault_address: str | None,
    expires_after: int | None,
) -> bytes:
    """The L1 connectionId: keccak(msgpack(action) ‖ nonce ‖ vault tag ‖ expiry tag), §4.1."""
    _check_wire(action, "action")
    if isinstance(nonce, bool) or not isinstance(nonce, int) or not 0 <= nonce <= UINT64_MAX:
        raise SignatureError("nonce must be an unsigned 64-bit int")
    try:
        data = msgpack.packb(action)
    except (TypeError, ValueError, OverflowError) as exc:
        raise SignatureError(f"action cannot be packed: {exc}") from None
    data += nonce.to_bytes(8, "big")
    if vault_address is None:
        data += b"\x00"
    else:
        data += b"\x01" + address_bytes(vault_address, "vault address")
    if expires_after is not None:
        if (
            isinstance(expires_after, bool)
            or not isinstance(expires_after, int)
            or not 0 <= expires_after <= UINT64_MAX
        ):
            raise SignatureError("expiresAfter must be an unsigned 64-bit int")
        data += b"\x00" + expires_after.to_bytes(8, "big")
    return keccak256(data)


def agent_digest(connection_id: bytes, is_mainnet: bool) -> bytes:
    """EIP-712 digest of the phantom agent {source, connectionId} for a given connectionId."""
    if not isinstance(connection_id, bytes) or len(connection_id) != 32:
        raise SignatureError("connectionId must be 32 bytes")
    struct_hash = keccak256(_agent_head(bool(is_mainnet)) + connection_id)
    return typed_data_digest(l1_domain_separator(), struct_hash)


class L1Options(TypedDict, total=False):
    """What an L1 signature commits to besides the action and its nonce (§4.1).

    Why one declaration: the digest, signing, recovery and every L1 signer the app plugs in
    (a raw key, the wallet's agent) take exactly these keywords and pass them on unchanged,
    so they are written once. ``is_mainnet`` picks the phantom agent's source and must be
    given; ``vault_address`` and ``expires_after`` default to None (no vault, no expiry).
    """

    is_mainnet: Required[bool]
    vault_address: str | None
    expires_after: int | None


def l1_digest(action: Mapping[str, Any], nonce: int, **options: Unpack[L1Options]) -> bytes:
    """The 32-byte digest an L1 action's signature commits to."""
    connection_id = action_hash(
        action, nonce, options.get("vault_address"), options.get("expires_after")
    )
    return agent_digest(connection_id, options["is_mainnet"])


def _chain_id(action: Mapping[str, Any], action_type: str) -> int:
    raw = action.get("signatureChainId")
    if not isinstance(raw, str):
        raise SignatureError(f"{action_type} action lacks signatureChainId (e.g. '0x66eee')")
    try:
        chain_id = int(raw, 16)
    except ValueError:
        raise SignatureError(f"signatureChainId {raw!r} is not a hex chain id") from None
    if chain_id <= 0:
        raise SignatureError(f"signatureChainId {raw!r} is not a valid chain id")
    return chain_id


# An unnamed agent is signed with agentName "" but posted without the field (§13.12), so a
# venue rebuilding the struct from the posted action must read the absence as "".
_FIELD_DEFAULTS: Final[Mapping[str, Mapping[str, object]]] = {"approveAgent": {"agentName": ""}}


def user_action_digest(action: Mapping[str, Any]) -> bytes:
    """EIP-712 digest of a user-signed action; only the struct's fields are hashed (§4.2).

    Accepts both the dict that was signed and the dict that was posted (they differ only for
    an unnamed approveAgent, whose missing agentName counts as "").
    """
    action_type = action.get("type")
    spec = USER_ACTION_TYPES.get(action_type) if isinstance(action_type, str) else None
    if spec is None:
        known = ", ".join(sorted(USER_ACTION_TYPES))
        raise SignatureError(f"unknown user-signed action type {action_type!r} (known: {known})")
    assert isinstance(action_type, str)
    defaults = _FIELD_DEFAULTS.get(action_type, {})
    parts = [struct_type_hash(spec.primary_type, spec.fields)]
    for name, ftype in spec.fields:
        if name in action:
            value = action[name]
        elif name in defaults:
            value = defaults[name]
        else:
            raise SignatureError(f"{action_type} action lacks field {name!r}")
        parts.append(encode_field(ftype, value, f"{action_type}.{name}"))
    struct_hash = keccak256(b"".join(parts))
    return typed_data_digest(user_domain_separator(_chain_id(action, action_type)), struct_hash)


# ---------------------------------------------------------------------------------------------
# Sign and recover.


def sign_l1_action(
    private_key: str | bytes | SecretBuffer,
    action: Mapping[str, Any],
    nonce: int,
    **options: Unpack[L1Options],
) -> Signature:
    """Sign an L1 action (order, cancel, leverage, ...) with the user's or an agent's key.

    ``action`` must already be in canonical key order: msgpack packs insertion order.
    """
    return sign_digest(private_key, l1_digest(action, nonce, **options))


def sign_user_action(
    private_key: str | bytes | SecretBuffer, action: Mapping[str, Any]
) -> Signature:
    """Sign a user-signed action (transfers, approveAgent, ...); needs the master key.

    The action must carry ``type``, ``signatureChainId`` and ``hyperliquidChain``; the type
    picks the EIP-712 struct.
    """
    return sign_digest(private_key, user_action_digest(action))


def recover_l1_signer(
    action: Mapping[str, Any],
    nonce: int,
    signature: Mapping[str, Any],
    **options: Unpack[L1Options],
) -> str:
    """The address the venue would recover for an L1 action: a user or one of its agents."""
    return recover_digest_signer(l1_digest(action, nonce, **options), signature)


def recover_user_signer(action: Mapping[str, Any], signature: Mapping[str, Any]) -> str:
    """The address the venue would recover for a user-signed action."""
    return recover_digest_signer(user_action_digest(action), signature)

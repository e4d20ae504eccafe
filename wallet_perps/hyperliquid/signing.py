"""Hyperliquid action signing and signer recovery (PROTOCOL.md §4), built for speed.

The official SDK spends ~2.6 ms per order inside eth_account's generic EIP-712 machinery. The
two Hyperliquid domains are fixed, so their separators and type hashes are computed once at
import and each digest is just ``keccak(0x1901 ‖ domainSeparator ‖ structHash)``; secp256k1
work goes to libsecp256k1 through coincurve. Output is byte-for-byte the SDK's, including its
habit of printing r and s without zero left-padding, so the venue sees identical requests.

Recovery mirrors what the venue does: it never says "bad signature", it recovers an address
and looks it up, so the same helpers serve the local simulated venue.

Private keys never appear in exception messages or logs. A key held in a mutable buffer
(``bytearray``, as the wallet layer holds every decrypted key) is signed with straight from that
buffer through libsecp256k1, never copied into an immutable ``bytes``, parsed-key object or
cache, so zeroing the buffer on lock leaves no copy behind (issue 15). Keys given as ``str`` or
``bytes`` (tests, scripts) take the cached path, which :func:`forget_cached_keys` empties.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any, Final, TypedDict

import msgpack
from coincurve import PrivateKey, PublicKey
from coincurve._libsecp256k1 import ffi, lib
from coincurve.context import GLOBAL_CONTEXT
from coincurve.flags import EC_COMPRESSED, EC_UNCOMPRESSED
from Crypto.Hash import keccak as _keccak_mod

__all__ = [
    "DEFAULT_SIGNATURE_CHAIN_ID",
    "L1_DOMAIN_SEPARATOR",
    "USER_ACTION_TYPES",
    "Signature",
    "SignatureError",
    "UserStruct",
    "action_hash",
    "add_tweak_in_place",
    "address_from_private_key",
    "address_from_secret_buffer",
    "agent_digest",
    "compressed_public_key",
    "forget_cached_keys",
    "keccak256",
    "l1_digest",
    "recover_digest_signer",
    "recover_l1_signer",
    "recover_user_signer",
    "sign_digest",
    "sign_l1_action",
    "sign_user_action",
    "to_checksum_address",
    "user_action_digest",
    "user_domain_separator",
]

DEFAULT_SIGNATURE_CHAIN_ID: Final = "0x66eee"

#: The secp256k1 group order (SEC 2, §2.4.1): valid private keys are 1 .. n-1.
SECP256K1_N: Final = 2**256 - 0x14551231950B75FC4402DA1732FC9BEBF
_UINT64_MAX: Final = (1 << 64) - 1


class Signature(TypedDict):
    """The ``signature`` object of an /exchange request."""

    r: str
    s: str
    v: int


class SignatureError(ValueError):
    """Signing or recovery is impossible with the given inputs (never echoes key material)."""


def keccak256(data: bytes) -> bytes:
    """Ethereum's Keccak-256 (not NIST SHA3-256)."""
    return _keccak_mod.new(data=data, digest_bits=256).digest()


# ---------------------------------------------------------------------------------------------
# EIP-712 building blocks, precomputed once.

_EIP712_DOMAIN_TYPEHASH: Final = keccak256(
    b"EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
)
_ZERO_ADDRESS_WORD: Final = bytes(32)


def _domain_separator(name: str, version: str, chain_id: int) -> bytes:
    return keccak256(
        _EIP712_DOMAIN_TYPEHASH
        + keccak256(name.encode())
        + keccak256(version.encode())
        + chain_id.to_bytes(32, "big")
        + _ZERO_ADDRESS_WORD
    )


L1_DOMAIN_SEPARATOR: Final = _domain_separator("Exchange", "1", 1337)
_L1_PREFIX: Final = b"\x19\x01" + L1_DOMAIN_SEPARATOR
_AGENT_TYPEHASH: Final = keccak256(b"Agent(string source,bytes32 connectionId)")
# typeHash ‖ keccak(source): everything before connectionId in the Agent struct encoding.
_AGENT_HEAD: Final[dict[bool, bytes]] = {
    True: _AGENT_TYPEHASH + keccak256(b"a"),
    False: _AGENT_TYPEHASH + keccak256(b"b"),
}


@functools.lru_cache(maxsize=16)
def user_domain_separator(chain_id: int) -> bytes:
    """Domain separator of HyperliquidSignTransaction for ``chain_id`` (from signatureChainId)."""
    return _domain_separator("HyperliquidSignTransaction", "1", chain_id)


class UserStruct:
    """One user-signed EIP-712 struct: its primary type, ordered fields and type hash."""

    __slots__ = ("fields", "primary_type", "type_hash")

    def __init__(self, name: str, fields: tuple[tuple[str, str], ...]) -> None:
        self.primary_type = f"HyperliquidTransaction:{name}"
        self.fields = fields
        signature = ",".join(f"{ftype} {fname}" for fname, ftype in fields)
        self.type_hash = keccak256(f"{self.primary_type}({signature})".encode())


def _fields(*pairs: str) -> tuple[tuple[str, str], ...]:
    """``"hyperliquidChain:string", ...`` to ((name, type), ...): keeps the table readable."""
    out = []
    for pair in pairs:
        name, ftype = pair.split(":")
        out.append((name, ftype))
    return tuple(out)


# Keyed by the wire ``type``. "sendMultiSig" is not a wire type: it is the envelope a multi-sig
# signer signs (PROTOCOL.md §4.2 last row), exposed under this name for completeness.
USER_ACTION_TYPES: Final[Mapping[str, UserStruct]] = {
    "usdSend": UserStruct(
        "UsdSend",
        _fields("hyperliquidChain:string", "destination:string", "amount:string", "time:uint64"),
    ),
    "spotSend": UserStruct(
        "SpotSend",
        _fields(
            "hyperliquidChain:string",
            "destination:string",
            "token:string",
            "amount:string",
            "time:uint64",
        ),
    ),
    "withdraw3": UserStruct(
        "Withdraw",
        _fields("hyperliquidChain:string", "destination:string", "amount:string", "time:uint64"),
    ),
    "usdClassTransfer": UserStruct(
        "UsdClassTransfer",
        _fields("hyperliquidChain:string", "amount:string", "toPerp:bool", "nonce:uint64"),
    ),
    "sendAsset": UserStruct(
        "SendAsset",
        _fields(
            "hyperliquidChain:string",
            "destination:string",
            "sourceDex:string",
            "destinationDex:string",
            "token:string",
            "amount:string",
            "fromSubAccount:string",
            "nonce:uint64",
        ),
    ),
    "approveAgent": UserStruct(
        "ApproveAgent",
        _fields(
            "hyperliquidChain:string", "agentAddress:address", "agentName:string", "nonce:uint64"
        ),
    ),
    "approveBuilderFee": UserStruct(
        "ApproveBuilderFee",
        _fields("hyperliquidChain:string", "maxFeeRate:string", "builder:address", "nonce:uint64"),
    ),
    "tokenDelegate": UserStruct(
        "TokenDelegate",
        _fields(
            "hyperliquidChain:string",
            "validator:address",
            "wei:uint64",
            "isUndelegate:bool",
            "nonce:uint64",
        ),
    ),
    "userDexAbstraction": UserStruct(
        "UserDexAbstraction",
        _fields("hyperliquidChain:string", "user:address", "enabled:bool", "nonce:uint64"),
    ),
    "userSetAbstraction": UserStruct(
        "UserSetAbstraction",
        _fields("hyperliquidChain:string", "user:address", "abstraction:string", "nonce:uint64"),
    ),
    "convertToMultiSigUser": UserStruct(
        "ConvertToMultiSigUser",
        _fields("hyperliquidChain:string", "signers:string", "nonce:uint64"),
    ),
    "sendMultiSig": UserStruct(
        "SendMultiSig",
        _fields("hyperliquidChain:string", "multiSigActionHash:bytes32", "nonce:uint64"),
    ),
}


# ---------------------------------------------------------------------------------------------
# Parsing helpers.


def _hex_to_bytes(value: str, length: int, what: str) -> bytes:
    if not isinstance(value, str):
        raise SignatureError(f"{what} must be a 0x-prefixed hex string")
    text = value[2:] if value[:2] in ("0x", "0X") else value
    if len(text) != 2 * length:
        raise SignatureError(f"{what} must be {length} bytes ({2 * length} hex digits)")
    try:
        return bytes.fromhex(text)
    except ValueError:
        raise SignatureError(f"{what} is not valid hex") from None


def _address_bytes(address: str, what: str = "address") -> bytes:
    return _hex_to_bytes(address, 20, what)


@functools.lru_cache(maxsize=8)
def _private_key(private_key: str | bytes) -> PrivateKey:
    """Parse and cache the coincurve key so repeated signing skips hex parsing and setup.

    The LRU is small on purpose: the app holds one master key and a few agent keys.
    """
    if isinstance(private_key, str):
        raw = _hex_to_bytes(private_key, 32, "private key")
    elif isinstance(private_key, bytes):
        raw = private_key
        if len(raw) != 32:
            raise SignatureError("private key must be 32 bytes")
    else:
        raise SignatureError("private key must be a 0x hex string or 32 bytes")
    secret = int.from_bytes(raw, "big")
    if not 0 < secret < SECP256K1_N:
        raise SignatureError("private key is outside the secp256k1 range")
    return PrivateKey(raw)


def forget_cached_keys() -> None:
    """Drop every cached key object, e.g. when the user locks the wallet."""
    _private_key.cache_clear()


def _key(private_key: str | bytes) -> PrivateKey:
    return _private_key(private_key)


#: A private key the caller keeps in a buffer it will zero: used in place, never copied.
SecretBuffer = bytearray | memoryview


def _secret_pointer(secret: SecretBuffer) -> Any:
    if len(secret) != 32:
        raise SignatureError("private key must be 32 bytes")
    return ffi.from_buffer("unsigned char[]", secret)


def _public_key_from_buffer(secret: SecretBuffer, *, compressed: bool = False) -> bytes:
    """The public key (65 bytes, or 33 compressed) of a key read where it lies, no copies."""
    pubkey = ffi.new("secp256k1_pubkey *")
    if not lib.secp256k1_ec_pubkey_create(GLOBAL_CONTEXT.ctx, pubkey, _secret_pointer(secret)):
        raise SignatureError("private key is outside the secp256k1 range")
    size = 33 if compressed else 65
    out = ffi.new(f"unsigned char[{size}]")
    out_len = ffi.new("size_t *", size)
    flag = EC_COMPRESSED if compressed else EC_UNCOMPRESSED
    lib.secp256k1_ec_pubkey_serialize(GLOBAL_CONTEXT.ctx, out, out_len, pubkey, flag)
    return bytes(ffi.buffer(out, size))


def add_tweak_in_place(secret: SecretBuffer, tweak: bytes) -> None:
    """``secret = (secret + tweak) mod n`` inside the caller's buffer (a BIP32 child key step),
    so the derived key is never an immutable ``bytes``; SignatureError if the result is invalid.
    """
    if len(tweak) != 32:
        raise SignatureError("tweak must be 32 bytes")
    if not lib.secp256k1_ec_seckey_tweak_add(GLOBAL_CONTEXT.ctx, _secret_pointer(secret), tweak):
        raise SignatureError("the tweaked key is outside the secp256k1 range")


def compressed_public_key(private_key: bytes | SecretBuffer) -> bytes:
    """The 33-byte compressed public key (BIP32's ser_P(point(k))), with no parsed-key cache."""
    if isinstance(private_key, bytes):
        private_key = memoryview(private_key)
    return _public_key_from_buffer(private_key, compressed=True)


def _sign_from_buffer(secret: SecretBuffer, digest: bytes) -> bytes:
    """65-byte r ‖ s ‖ recid, signed by libsecp256k1 reading the key where it lies."""
    signature = ffi.new("secp256k1_ecdsa_recoverable_signature *")
    if not lib.secp256k1_ecdsa_sign_recoverable(
        GLOBAL_CONTEXT.ctx, signature, digest, _secret_pointer(secret), ffi.NULL, ffi.NULL
    ):
        raise SignatureError("private key is outside the secp256k1 range")
    out = ffi.new("unsigned char[64]")
    recid = ffi.new("int *")
    lib.secp256k1_ecdsa_recoverable_signature_serialize_compact(
        GLOBAL_CONTEXT.ctx, out, recid, signature
    )
    return bytes(ffi.buffer(out, 64)) + bytes([recid[0]])


def to_checksum_address(address: bytes | str) -> str:
    """EIP-55 mixed-case rendering of a 20-byte address."""
    raw = address if isinstance(address, bytes) else _address_bytes(address)
    if len(raw) != 20:
        raise SignatureError("address must be 20 bytes")
    lower = raw.hex()
    digest = keccak256(lower.encode()).hex()
    return "0x" + "".join(
        ch.upper() if ch.isalpha() and int(digest[i], 16) >= 8 else ch for i, ch in enumerate(lower)
    )


def _address_from_public_key(public_key: PublicKey) -> str:
    return to_checksum_address(keccak256(public_key.format(compressed=False)[1:])[-20:])


def address_from_private_key(private_key: str | bytes | SecretBuffer) -> str:
    """Checksummed address of a key: what the venue will recover from its signatures."""
    if isinstance(private_key, bytearray | memoryview):
        return address_from_secret_buffer(private_key)
    return _address_from_public_key(_key(private_key).public_key)


def address_from_secret_buffer(secret: SecretBuffer) -> str:
    """Checksummed address of a key held in a mutable buffer, without caching or copying it."""
    return to_checksum_address(keccak256(_public_key_from_buffer(secret)[1:])[-20:])


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
    if isinstance(nonce, bool) or not isinstance(nonce, int) or not 0 <= nonce <= _UINT64_MAX:
        raise SignatureError("nonce must be an unsigned 64-bit int")
    try:
        data = msgpack.packb(action)
    except (TypeError, ValueError, OverflowError) as exc:
        raise SignatureError(f"action cannot be packed: {exc}") from None
    data += nonce.to_bytes(8, "big")
    if vault_address is None:
        data += b"\x00"
    else:
        data += b"\x01" + _address_bytes(vault_address, "vault address")
    if expires_after is not None:
        if (
            isinstance(expires_after, bool)
            or not isinstance(expires_after, int)
            or not 0 <= expires_after <= _UINT64_MAX
        ):
            raise SignatureError("expiresAfter must be an unsigned 64-bit int")
        data += b"\x00" + expires_after.to_bytes(8, "big")
    return keccak256(data)


def agent_digest(connection_id: bytes, is_mainnet: bool) -> bytes:
    """EIP-712 digest of the phantom agent {source, connectionId} for a given connectionId."""
    if not isinstance(connection_id, bytes) or len(connection_id) != 32:
        raise SignatureError("connectionId must be 32 bytes")
    struct_hash = keccak256(_AGENT_HEAD[bool(is_mainnet)] + connection_id)
    return keccak256(_L1_PREFIX + struct_hash)


def l1_digest(
    action: Mapping[str, Any],
    nonce: int,
    *,
    vault_address: str | None = None,
    expires_after: int | None = None,
    is_mainnet: bool,
) -> bytes:
    """The 32-byte digest an L1 action's signature commits to."""
    return agent_digest(action_hash(action, nonce, vault_address, expires_after), is_mainnet)


def _encode_field(name: str, ftype: str, value: object, action_type: str) -> bytes:
    where = f"{action_type}.{name}"
    if ftype == "string":
        if not isinstance(value, str):
            raise SignatureError(f"{where} must be a string")
        return keccak256(value.encode())
    if ftype == "address":
        if not isinstance(value, str):
            raise SignatureError(f"{where} must be a 0x address string")
        return bytes(12) + _address_bytes(value, where)
    if ftype == "uint64":
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= _UINT64_MAX:
            raise SignatureError(f"{where} must be an unsigned 64-bit int")
        return value.to_bytes(32, "big")
    if ftype == "bool":
        if not isinstance(value, bool):
            raise SignatureError(f"{where} must be a bool")
        return (1 if value else 0).to_bytes(32, "big")
    if ftype == "bytes32":
        if isinstance(value, bytes):
            if len(value) != 32:
                raise SignatureError(f"{where} must be 32 bytes")
            return value
        if isinstance(value, str):
            return _hex_to_bytes(value, 32, where)
        raise SignatureError(f"{where} must be 32 bytes or a 0x hex string")
    raise SignatureError(f"unsupported EIP-712 field type {ftype!r}")  # pragma: no cover


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
    parts = [spec.type_hash]
    for name, ftype in spec.fields:
        if name in action:
            value = action[name]
        elif name in defaults:
            value = defaults[name]
        else:
            raise SignatureError(f"{action_type} action lacks field {name!r}")
        parts.append(_encode_field(name, ftype, value, action_type))
    struct_hash = keccak256(b"".join(parts))
    domain = user_domain_separator(_chain_id(action, action_type))
    return keccak256(b"\x19\x01" + domain + struct_hash)


# ---------------------------------------------------------------------------------------------
# Sign and recover.


def sign_digest(private_key: str | bytes | SecretBuffer, digest: bytes) -> Signature:
    """Sign a prepared 32-byte digest (RFC 6979, low-s), formatted like the official SDK.

    The SDK prints r and s as ``hex(int)``, i.e. without zero left-padding; we do the same so
    requests are identical. The venue accepts padded values too.
    """
    if not isinstance(digest, bytes) or len(digest) != 32:
        raise SignatureError("digest must be 32 bytes")
    if isinstance(private_key, bytearray | memoryview):
        sig = _sign_from_buffer(private_key, digest)
    else:
        sig = _key(private_key).sign_recoverable(digest, hasher=None)
    return {
        "r": hex(int.from_bytes(sig[:32], "big")),
        "s": hex(int.from_bytes(sig[32:64], "big")),
        "v": sig[64] + 27,
    }


def sign_l1_action(
    private_key: str | bytes | SecretBuffer,
    action: Mapping[str, Any],
    nonce: int,
    *,
    vault_address: str | None = None,
    expires_after: int | None = None,
    is_mainnet: bool,
) -> Signature:
    """Sign an L1 action (order, cancel, leverage, ...) with the user's or an agent's key.

    ``action`` must already be in canonical key order: msgpack packs insertion order.
    """
    return sign_digest(
        private_key,
        l1_digest(
            action,
            nonce,
            vault_address=vault_address,
            expires_after=expires_after,
            is_mainnet=is_mainnet,
        ),
    )


def sign_user_action(
    private_key: str | bytes | SecretBuffer, action: Mapping[str, Any]
) -> Signature:
    """Sign a user-signed action (transfers, approveAgent, ...); needs the master key.

    The action must carry ``type``, ``signatureChainId`` and ``hyperliquidChain``; the type
    picks the EIP-712 struct.
    """
    return sign_digest(private_key, user_action_digest(action))


def _signature_int(value: object, what: str) -> int:
    if isinstance(value, bool):
        raise SignatureError(f"signature {what} must be a hex string")
    if isinstance(value, int):
        number = value
    elif isinstance(value, str):
        text = value[2:] if value[:2] in ("0x", "0X") else value
        if not 0 < len(text) <= 64:
            raise SignatureError(f"signature {what} must be 1 to 64 hex digits")
        try:
            number = int(text, 16)
        except ValueError:
            raise SignatureError(f"signature {what} is not valid hex") from None
    else:
        raise SignatureError(f"signature {what} must be a hex string")
    if not 0 < number < SECP256K1_N:
        raise SignatureError(f"signature {what} is out of range")
    return number


def _signature_bytes(signature: Mapping[str, Any]) -> bytes:
    if not isinstance(signature, Mapping):
        raise SignatureError("signature must be an object with r, s and v")
    try:
        r_raw, s_raw, v_raw = signature["r"], signature["s"], signature["v"]
    except KeyError as exc:
        raise SignatureError(f"signature lacks {exc.args[0]!r}") from None
    r = _signature_int(r_raw, "r")
    s = _signature_int(s_raw, "s")
    if isinstance(v_raw, bool) or v_raw not in (27, 28):
        raise SignatureError("signature v must be 27 or 28")
    return r.to_bytes(32, "big") + s.to_bytes(32, "big") + bytes([v_raw - 27])


def recover_digest_signer(digest: bytes, signature: Mapping[str, Any]) -> str:
    """Checksummed address that produced ``signature`` over ``digest``."""
    if not isinstance(digest, bytes) or len(digest) != 32:
        raise SignatureError("digest must be 32 bytes")
    sig65 = _signature_bytes(signature)
    try:
        public_key = PublicKey.from_signature_and_message(sig65, digest, hasher=None)
    except Exception:  # coincurve raises plain Exception/ValueError on failed recovery
        raise SignatureError("unable to recover signer from signature") from None
    return _address_from_public_key(public_key)


def recover_l1_signer(
    action: Mapping[str, Any],
    nonce: int,
    signature: Mapping[str, Any],
    *,
    vault_address: str | None = None,
    expires_after: int | None = None,
    is_mainnet: bool,
) -> str:
    """The address the venue would recover for an L1 action: a user or one of its agents."""
    digest = l1_digest(
        action,
        nonce,
        vault_address=vault_address,
        expires_after=expires_after,
        is_mainnet=is_mainnet,
    )
    return recover_digest_signer(digest, signature)


def recover_user_signer(action: Mapping[str, Any], signature: Mapping[str, Any]) -> str:
    """The address the venue would recover for a user-signed action."""
    return recover_digest_signer(user_action_digest(action), signature)

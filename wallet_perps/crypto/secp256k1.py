"""secp256k1 keys, signatures and signer recovery through libsecp256k1 (coincurve).

Why libsecp256k1 directly: a pure-Python curve would cost milliseconds per order; coincurve's
binding costs tens of microseconds. Why its C functions rather than only ``PrivateKey``: a key
held in a mutable buffer (``bytearray``, as the wallet holds every decrypted key) is signed
with straight from that buffer, never copied into an immutable ``bytes``, a parsed-key object
or a cache, so zeroing the buffer on lock leaves no copy behind (issue 15). Keys given as
``str`` or ``bytes`` (tests, scripts) take a cached path that :func:`forget_cached_keys`
empties.

Signatures are rendered as Ethereum JSON signatures ``{r, s, v}`` the way the official
Hyperliquid SDK prints them (r and s without zero left-padding), so requests are identical.
Private keys never appear in exception messages.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any, Final, TypedDict

from coincurve import PrivateKey, PublicKey
from coincurve._libsecp256k1 import ffi, lib
from coincurve.context import GLOBAL_CONTEXT
from coincurve.flags import EC_COMPRESSED, EC_UNCOMPRESSED

from wallet_perps.crypto.addresses import address_from_public_key, hex_to_bytes
from wallet_perps.crypto.errors import SignatureError

__all__ = [
    "SECP256K1_N",
    "SecretBuffer",
    "Signature",
    "add_tweak_in_place",
    "address_from_private_key",
    "address_from_secret_buffer",
    "compressed_public_key",
    "forget_cached_keys",
    "recover_digest_signer",
    "sign_digest",
]

#: The secp256k1 group order (SEC 2, §2.4.1): valid private keys are 1 .. n-1.
SECP256K1_N: Final = 2**256 - 0x14551231950B75FC4402DA1732FC9BEBF

#: A private key the caller keeps in a buffer it will zero: used in place, never copied.
SecretBuffer = bytearray | memoryview


class Signature(TypedDict):
    """An Ethereum JSON signature, as the ``signature`` object of an /exchange request."""

    r: str
    s: str
    v: int


@functools.lru_cache(maxsize=8)
def _private_key(private_key: str | bytes) -> PrivateKey:
    """Parse and cache the coincurve key so repeated signing skips hex parsing and setup.

    The LRU is small on purpose: the app holds one master key and a few agent keys.
    """
    if isinstance(private_key, str):
        raw = hex_to_bytes(private_key, 32, "private key")
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


def address_from_private_key(private_key: str | bytes | SecretBuffer) -> str:
    """Checksummed address of a key: what a venue will recover from its signatures."""
    if isinstance(private_key, bytearray | memoryview):
        return address_from_secret_buffer(private_key)
    return address_from_public_key(_private_key(private_key).public_key.format(compressed=False))


def address_from_secret_buffer(secret: SecretBuffer) -> str:
    """Checksummed address of a key held in a mutable buffer, without caching or copying it."""
    return address_from_public_key(_public_key_from_buffer(secret))


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
        sig = _private_key(private_key).sign_recoverable(digest, hasher=None)
    return {
        "r": hex(int.from_bytes(sig[:32], "big")),
        "s": hex(int.from_bytes(sig[32:64], "big")),
        "v": sig[64] + 27,
    }


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
    return address_from_public_key(public_key.format(compressed=False))

"""The crypto layer on its own: keys, addresses, Keccak, EIP-712, and what importing costs.

Hyperliquid's own hashing is checked against the SDKs in tests/hyperliquid/test_signing.py;
these are the primitives under it, checked against eth_account / eth_utils, plus the promise
that modules the local venue loads at start pull in no curve, hash or msgpack library.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest
from eth_account import Account
from eth_utils.address import to_checksum_address as eth_checksum

from tests.conftest import FIXTURES_DIR
from wallet_perps.crypto import secp256k1
from wallet_perps.crypto.addresses import address_from_public_key, to_checksum_address
from wallet_perps.crypto.eip712 import domain_separator, encode_field, struct_type_hash
from wallet_perps.crypto.errors import SignatureError
from wallet_perps.crypto.keccak import keccak256
from wallet_perps.crypto.secp256k1 import (
    address_from_private_key,
    compressed_public_key,
    recover_digest_signer,
    sign_digest,
)
from wallet_perps.hyperliquid.signing import l1_domain_separator

FIXTURES = FIXTURES_DIR
PY_KEY = "0x0123456789012345678901234567890123456789012345678901234567890123"
PY_ADDRESS = "0x14791697260E4c9A71f18484C9f997B308e59325"
DIGEST = keccak256(b"wallet-perps crypto layer test")


def test_address_from_private_key_all_forms() -> None:
    assert address_from_private_key(PY_KEY) == PY_ADDRESS
    assert address_from_private_key(PY_KEY[2:]) == PY_ADDRESS
    assert address_from_private_key(PY_KEY.upper().replace("0X", "0x")) == PY_ADDRESS
    raw = bytes.fromhex(PY_KEY[2:])
    assert address_from_private_key(raw) == PY_ADDRESS
    assert address_from_private_key(bytearray(raw)) == PY_ADDRESS
    assert Account.from_key(PY_KEY).address == PY_ADDRESS


def test_buffer_hex_and_bytes_keys_sign_identically_and_recover() -> None:
    raw = bytes.fromhex(PY_KEY[2:])
    by_hex = sign_digest(PY_KEY, DIGEST)
    assert sign_digest(raw, DIGEST) == by_hex
    assert sign_digest(bytearray(raw), DIGEST) == by_hex
    assert sign_digest(memoryview(bytearray(raw)), DIGEST) == by_hex
    assert recover_digest_signer(DIGEST, by_hex) == PY_ADDRESS
    signed = Account.unsafe_sign_hash(DIGEST, PY_KEY)
    assert (int(by_hex["r"], 16), int(by_hex["s"], 16), by_hex["v"]) == (
        signed.r,
        signed.s,
        signed.v,
    )


def test_compressed_public_key_and_address_from_public_key() -> None:
    public = Account.from_key(PY_KEY)._key_obj.public_key
    assert compressed_public_key(bytes.fromhex(PY_KEY[2:])) == public.to_compressed_bytes()
    assert address_from_public_key(b"\x04" + public.to_bytes()) == PY_ADDRESS
    with pytest.raises(SignatureError, match="65 bytes"):
        address_from_public_key(public.to_compressed_bytes())


def test_forget_cached_keys_keeps_signing_working() -> None:
    before = sign_digest(PY_KEY, DIGEST)
    assert secp256k1._private_key.cache_info().currsize > 0
    secp256k1.forget_cached_keys()
    assert secp256k1._private_key.cache_info().currsize == 0
    assert sign_digest(PY_KEY, DIGEST) == before


def test_a_key_in_a_buffer_never_enters_the_cache() -> None:
    secp256k1.forget_cached_keys()
    key = bytearray.fromhex(PY_KEY[2:])
    sign_digest(key, DIGEST)
    address_from_private_key(key)
    assert secp256k1._private_key.cache_info().currsize == 0


def test_checksum_matches_eth_utils() -> None:
    vectors = json.loads((FIXTURES / "signing_vectors.json").read_text())["vectors"]
    addresses = [v["signer_address"] for v in vectors if "signer_address" in v]
    assert addresses
    for addr in addresses:
        assert to_checksum_address(addr.lower()) == eth_checksum(addr.lower()) == addr
    assert to_checksum_address("0x" + "00" * 20) == eth_checksum("0x" + "00" * 20)


def test_signature_is_deterministic_and_low_s() -> None:
    sigs = {json.dumps(sign_digest(PY_KEY, DIGEST)) for _ in range(3)}
    assert len(sigs) == 1
    sig = json.loads(sigs.pop())
    assert int(sig["s"], 16) <= secp256k1.SECP256K1_N // 2
    assert secp256k1.SECP256K1_N == (
        0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
    )


def test_recover_impossible_point_raises() -> None:
    # r = 5 has no curve point with x = 5 for one of the parities; whichever fails must raise.
    failures = 0
    for v in (27, 28):
        for r in range(1, 20):
            try:
                recover_digest_signer(bytes(32), {"r": hex(r), "s": "0x1", "v": v})
            except SignatureError:
                failures += 1
    assert failures > 0


@pytest.mark.parametrize(
    "key",
    [
        "0x1234",
        "0x" + "00" * 32,
        "0x" + "ff" * 32,
        "0x" + "zz" * 32,
        b"\x01" * 31,
        bytearray(31),
        bytearray(32),  # zero is not a key
        12345,
    ],
)
def test_bad_private_keys_raise_without_echoing_the_key(key: Any) -> None:
    with pytest.raises(SignatureError) as info:
        sign_digest(key, DIGEST)
    text = str(info.value)
    assert "private key" in text
    if isinstance(key, str):
        assert key[2:] not in text
        assert key not in text


def test_keccak_is_ethereums_not_nist_sha3() -> None:
    # keccak256("") as Ethereum defines it; NIST SHA3-256("") starts a7ffc6f8...
    assert keccak256(b"").hex().startswith("c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b")


def test_eip712_helpers_match_the_known_type_hashes() -> None:
    # The EIP-712 spec's Mail example (struct names as field types are encoded verbatim).
    mail = struct_type_hash("Mail", (("from", "Person"), ("to", "Person"), ("contents", "string")))
    assert mail == keccak256(b"Mail(Person from,Person to,string contents)")
    assert l1_domain_separator() == domain_separator("Exchange", "1", 1337)
    with pytest.raises(SignatureError, match=r"x\.y must be a bool"):
        encode_field("bool", 1, "x.y")
    with pytest.raises(SignatureError, match="unsigned 64-bit"):
        encode_field("uint64", 1 << 64, "x.n")


def _loaded_after(statement: str) -> set[str]:
    """Top-level packages a fresh interpreter has loaded after ``statement``."""
    listing = "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))"
    code = f"import sys\n{statement}\n{listing}"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    return set(out.stdout.split())


@pytest.mark.parametrize(
    "statement",
    [
        "import wallet_perps.hyperliquid.user_actions",
        "import wallet_perps.crypto.errors",
        "import wallet_perps.localvenue.requests",
        "import wallet_perps.localvenue.auth",
    ],
)
def test_tables_and_errors_load_no_curve_hash_or_msgpack(statement: str) -> None:
    """The venue needs these at start; libsecp256k1, pycryptodome (30-60 ms through cffi's C
    parser) and msgpack wait for the first signed request."""
    loaded = _loaded_after(statement)
    assert not loaded & {"Crypto", "coincurve", "msgpack", "pycparser"}, statement


def test_importing_signing_computes_nothing_and_defers_keccak() -> None:
    loaded = _loaded_after("import wallet_perps.hyperliquid.signing")
    assert "Crypto" not in loaded and "pycparser" not in loaded
    loaded = _loaded_after(
        "from wallet_perps.hyperliquid.signing import l1_domain_separator\nl1_domain_separator()"
    )
    assert "Crypto" in loaded

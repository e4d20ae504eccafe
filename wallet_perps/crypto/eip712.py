"""EIP-712 typed-data hashing for flat structs, without eth_account's generic machinery.

Why hand-rolled: eth_account spends milliseconds per message walking type graphs; the structs
we sign are flat with a handful of field types, so a digest is ``keccak(0x1901 ‖
domainSeparator ‖ keccak(typeHash ‖ encoded fields))``. Domain separators and type hashes are
cached on first use (never computed at import, which would load Keccak-256 for nothing).
"""

from __future__ import annotations

import functools
from typing import Final

from wallet_perps.crypto.addresses import address_bytes, hex_to_bytes
from wallet_perps.crypto.errors import SignatureError
from wallet_perps.crypto.keccak import keccak256

__all__ = [
    "UINT64_MAX",
    "Fields",
    "domain_separator",
    "encode_field",
    "struct_type_hash",
    "typed_data_digest",
]

UINT64_MAX: Final = (1 << 64) - 1
_ZERO_ADDRESS_WORD: Final = bytes(32)
_DOMAIN_TYPE: Final = (
    b"EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
)

#: A struct's fields in order, as (name, EIP-712 type) pairs.
Fields = tuple[tuple[str, str], ...]


@functools.lru_cache(maxsize=32)
def domain_separator(name: str, version: str, chain_id: int) -> bytes:
    """``hashStruct(EIP712Domain)`` with a zero verifyingContract (as Hyperliquid's domains)."""
    return keccak256(
        keccak256(_DOMAIN_TYPE)
        + keccak256(name.encode())
        + keccak256(version.encode())
        + chain_id.to_bytes(32, "big")
        + _ZERO_ADDRESS_WORD
    )


@functools.lru_cache(maxsize=64)
def struct_type_hash(primary_type: str, fields: Fields) -> bytes:
    """``keccak(encodeType)`` of a flat struct: ``Name(type1 name1,type2 name2,...)``."""
    signature = ",".join(f"{ftype} {fname}" for fname, ftype in fields)
    return keccak256(f"{primary_type}({signature})".encode())


def encode_field(ftype: str, value: object, where: str) -> bytes:
    """One field's 32-byte ``encodeData`` word; ``where`` names it in errors.

    Types: string, address, uint64, bool, bytes32 (all Hyperliquid's user structs need).
    """
    if ftype == "string":
        if not isinstance(value, str):
            raise SignatureError(f"{where} must be a string")
        return keccak256(value.encode())
    if ftype == "address":
        if not isinstance(value, str):
            raise SignatureError(f"{where} must be a 0x address string")
        return bytes(12) + address_bytes(value, where)
    if ftype == "uint64":
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= UINT64_MAX:
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
            return hex_to_bytes(value, 32, where)
        raise SignatureError(f"{where} must be 32 bytes or a 0x hex string")
    raise SignatureError(f"unsupported EIP-712 field type {ftype!r}")  # pragma: no cover


def typed_data_digest(domain: bytes, struct_hash: bytes) -> bytes:
    """The digest a typed-data signature commits to: ``keccak(0x1901 ‖ domain ‖ struct)``."""
    return keccak256(b"\x19\x01" + domain + struct_hash)

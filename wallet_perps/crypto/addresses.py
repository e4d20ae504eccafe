"""Hex parsing and Ethereum addresses (EIP-55 checksums).

Why here: the wallet, the protocol layer and the venue all turn ``0x`` strings into bytes and
addresses into their checksummed form; one strict parser keeps their error messages and
accepted forms the same.
"""

from __future__ import annotations

from wallet_perps.crypto.errors import SignatureError
from wallet_perps.crypto.keccak import keccak256

__all__ = ["address_bytes", "address_from_public_key", "hex_to_bytes", "to_checksum_address"]


def hex_to_bytes(value: str, length: int, what: str) -> bytes:
    """Exactly ``length`` bytes from hex text, ``0x`` optional; errors name ``what``, never the
    value (it may be a key)."""
    if not isinstance(value, str):
        raise SignatureError(f"{what} must be a 0x-prefixed hex string")
    text = value[2:] if value[:2] in ("0x", "0X") else value
    if len(text) != 2 * length:
        raise SignatureError(f"{what} must be {length} bytes ({2 * length} hex digits)")
    try:
        return bytes.fromhex(text)
    except ValueError:
        raise SignatureError(f"{what} is not valid hex") from None


def address_bytes(address: str, what: str = "address") -> bytes:
    """The 20 bytes of a hex address (any letter case)."""
    return hex_to_bytes(address, 20, what)


def to_checksum_address(address: bytes | str) -> str:
    """EIP-55 mixed-case rendering of a 20-byte address."""
    raw = address if isinstance(address, bytes) else address_bytes(address)
    if len(raw) != 20:
        raise SignatureError("address must be 20 bytes")
    lower = raw.hex()
    digest = keccak256(lower.encode()).hex()
    return "0x" + "".join(
        ch.upper() if ch.isalpha() and int(digest[i], 16) >= 8 else ch for i, ch in enumerate(lower)
    )


def address_from_public_key(uncompressed: bytes) -> str:
    """Checksummed address of a 65-byte uncompressed public key (``0x04 ‖ x ‖ y``)."""
    if len(uncompressed) != 65:
        raise SignatureError("public key must be 65 bytes, uncompressed")
    return to_checksum_address(keccak256(uncompressed[1:])[-20:])

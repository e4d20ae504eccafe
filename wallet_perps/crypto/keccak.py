"""Ethereum's Keccak-256 (the pre-NIST padding, not ``hashlib.sha3_256``).

pycryptodome provides it, but importing ``Crypto.Hash.keccak`` builds a cffi binding by parsing
C declarations with pycparser (30-60 ms). The import is therefore deferred to the first hash,
so importing a module that merely *may* hash (the signing module, the venue's request checks)
stays cheap; after the first call the cost per hash is one global lookup.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["keccak256"]

_new: Callable[..., Any] | None = None


def _load() -> Callable[..., Any]:
    global _new
    from Crypto.Hash import keccak

    _new = keccak.new
    return _new


def keccak256(data: bytes) -> bytes:
    """Keccak-256 of ``data`` (32 bytes)."""
    new = _new if _new is not None else _load()
    digest: bytes = new(data=data, digest_bits=256).digest()
    return digest

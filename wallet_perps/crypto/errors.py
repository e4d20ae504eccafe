"""The one error the crypto layer raises, in a module that costs nothing to import.

Why apart: the local venue catches it on every signed request but must start without loading
libsecp256k1 or pycryptodome (the app waits for the venue's first price).
"""

from __future__ import annotations

__all__ = ["SignatureError"]


class SignatureError(ValueError):
    """Signing or recovery is impossible with the given inputs (never echoes key material)."""

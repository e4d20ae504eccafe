"""The wall clock in milliseconds since the epoch: the unit of every Hyperliquid timestamp,
nonce, funding hour and agent expiry.

Written once so that every layer's default clock is the same one; code that must be tested
at a chosen time takes a ``clock`` argument and defaults it to :func:`wall_ms`.
"""

from __future__ import annotations

import time

__all__ = ["wall_ms"]


def wall_ms() -> int:
    """Milliseconds since the Unix epoch, from the system's wall clock."""
    return time.time_ns() // 1_000_000

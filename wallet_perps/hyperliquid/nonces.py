"""Per-signer nonces that never repeat, even within one millisecond or across threads.

The SDK uses bare wall-clock milliseconds, so two actions in the same millisecond collide with
"Invalid nonce: duplicate nonce" (PROTOCOL.md §5, §13.3). The venue tracks nonces per *signer*
(the user's or the agent's address), keeps the 100 highest, and wants them within
(T - 2 days, T + 1 day). So each signer gets ``max(now_ms, last + 1)``: close to the clock, yet
strictly increasing. A threading.Lock (not an asyncio one) guards the state because callers
live both on the qasync event loop and in the local venue's worker threads.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from wallet_perps.core.clock import wall_ms

__all__ = ["NonceManager"]


class NonceManager:
    """One monotonic nonce counter per signer address (case-insensitive)."""

    __slots__ = ("_clock", "_last", "_lock")

    def __init__(self, clock: Callable[[], int] = wall_ms) -> None:
        self._clock = clock
        self._last: dict[str, int] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _key(signer: str) -> str:
        if not isinstance(signer, str) or not signer:
            raise ValueError("signer must be a non-empty address string")
        return signer.lower()

    def next_nonce(self, signer: str) -> int:
        """The next nonce for ``signer``: ``max(now_ms, last + 1)``, unique per signer."""
        key = self._key(signer)
        with self._lock:
            now = int(self._clock())
            last = self._last.get(key)
            nonce = now if last is None or now > last else last + 1
            self._last[key] = nonce
            return nonce

    def last_nonce(self, signer: str) -> int | None:
        """The most recent nonce handed out for ``signer``, or None if none yet."""
        key = self._key(signer)
        with self._lock:
            return self._last.get(key)

    def observe(self, signer: str, nonce: int) -> None:
        """Record a nonce used elsewhere (e.g. another process) so ours stay above it."""
        if isinstance(nonce, bool) or not isinstance(nonce, int) or nonce < 0:
            raise ValueError("nonce must be a non-negative int")
        key = self._key(signer)
        with self._lock:
            if nonce > self._last.get(key, -1):
                self._last[key] = nonce

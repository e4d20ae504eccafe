"""Waiting on a real venue: poll an async check until it gives something truthy.

One copy for the venue-process, durability and trading-session tests, which each wait with
their own timeout (passed on every call, so a slow wait is visible where it is written).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


async def eventually(
    check: Callable[[], Awaitable[T | None]],
    what: str,
    timeout_s: float,
    interval_s: float = 0.05,
) -> T:
    """Await ``check`` every ``interval_s`` until its result is truthy, and return that result.

    Fails the test, naming ``what``, once ``timeout_s`` has passed without one.
    """
    deadline = time.monotonic() + timeout_s
    while True:
        result = await check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")
        await asyncio.sleep(interval_s)

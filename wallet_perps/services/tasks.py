"""Stopping background tasks the one way: cancel them all, then wait until they have ended.

Why a function for two lines: a stop that cancels without waiting returns while the tasks
still run their ``finally`` blocks against a session that is being closed (and asyncio
then warns of tasks destroyed while pending); a stop that waits without cancelling hangs.
Every owner of background tasks (market data, the account store, the app controller) stops
them through this.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from typing import Any

__all__ = ["cancel_and_wait"]


async def cancel_and_wait(tasks: Collection[asyncio.Future[Any]]) -> None:
    """Cancel every task in ``tasks`` and return once all of them are done."""
    for task in tasks:
        task.cancel()
    if tasks:
        await asyncio.wait(tasks)

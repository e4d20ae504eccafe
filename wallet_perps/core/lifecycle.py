"""One start/stop life for the long-lived network parts, and ``async with`` to bound it.

Why a base: the WebSocket connection and the trading session are each started once and
stopped once, and ``async with`` is how tests and scripts make sure the stop runs whatever
fails in between. Written here once, the context manager cannot drift between them (one
stopping on the way out, the other forgetting to).
"""

from __future__ import annotations

import abc
from types import TracebackType
from typing import Self

__all__ = ["AsyncService"]


class AsyncService(abc.ABC):
    """Something started with :meth:`start` and stopped with :meth:`stop`.

    ``async with service:`` starts it on the way in and stops it on the way out, even when
    the body raised; the exception still propagates.
    """

    __slots__ = ()

    @abc.abstractmethod
    async def start(self) -> None:
        """Begin the service's work (connections, tasks)."""

    @abc.abstractmethod
    async def stop(self) -> None:
        """End it for good; safe to call twice."""

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

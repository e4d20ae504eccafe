"""A tiny synchronous observer: the one way services tell the world that something changed.

Why synchronous and this small: services run on the asyncio loop and the UI lives on the same
(qasync) loop, so a callback can update a Qt model or emit a Qt signal directly; no queue, no
thread hop. The UI adapter subscribes once per service and turns each event into a signal,
which keeps Qt out of the services and lets tests subscribe plain lists.

A callback that raises is logged and does not stop the others: one broken widget must not
silence the order book for everyone else.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Generic, TypeVar

__all__ = ["EventSource", "Unsubscribe"]

log = logging.getLogger(__name__)

T = TypeVar("T")

Unsubscribe = Callable[[], None]


class EventSource(Generic[T]):
    """Callbacks registered with :meth:`subscribe` get every :meth:`emit`, in order."""

    __slots__ = ("_callbacks", "_name")

    def __init__(self, name: str = "events") -> None:
        self._name = name
        self._callbacks: list[Callable[[T], None]] = []

    def subscribe(self, callback: Callable[[T], None]) -> Unsubscribe:
        """Register ``callback``; the returned function removes it (safe to call twice)."""
        self._callbacks.append(callback)

        def unsubscribe() -> None:
            # Identity, not equality: two bound methods of equal objects are distinct listeners.
            for i, registered in enumerate(self._callbacks):
                if registered is callback:
                    del self._callbacks[i]
                    return

        return unsubscribe

    def emit(self, event: T) -> None:
        """Call every callback with ``event``; a listener added during the emit waits a turn."""
        for callback in list(self._callbacks):
            try:
                callback(event)
            except Exception:
                log.exception("%s listener %r raised", self._name, callback)

    def __len__(self) -> int:
        return len(self._callbacks)

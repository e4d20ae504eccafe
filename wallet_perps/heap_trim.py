"""Hand freed C-heap memory back to the system now and then (glibc only).

Why: an app left streaming prices for hours must not creep. The soak benchmark
(``benchmarks/soak.py --heaps``) showed where the memory goes at 2,000 msg/s: Python's live
objects stay flat, and so does glibc's memory in use (28.6 -> 28.8 MB over eleven minutes),
while glibc's *free but kept* memory grows (2.5 -> 4.1 MB): WebSocket frames, their JSON and
the decoded lists are freed every few milliseconds in sizes that never line up again, and
glibc only returns memory at the top of its heap, so freed pages in the middle stay
resident. ``malloc_trim(0)`` gives back every whole free page wherever it lies: in the soak
each trim returns 0.3-0.6 MB (resident memory saw-tooths instead of only climbing). What is
left of the slow rise is Python's own arenas and a few large blocks, bounded and flattening
within the hour. The trim walks the free lists once; at this heap's size that takes well under
a millisecond, so once a minute on the event loop costs nothing a user could see.

Elsewhere (macOS, Windows, musl) there is no ``malloc_trim`` and this does nothing.
"""

from __future__ import annotations

import asyncio
import ctypes
from collections.abc import Callable
from functools import cache
from typing import Final

__all__ = ["TRIM_EVERY_S", "HeapTrimmer", "trim_heap"]

#: How often the running app trims (seconds).
TRIM_EVERY_S: Final = 60.0


@cache
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``, or None where the C library has none.

    Looked up among the symbols already loaded (``dlopen(NULL)``): ``ctypes.util.find_library``
    would run ``ldconfig`` in a subprocess, tens of milliseconds of the app's start.
    """
    try:
        function = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError, TypeError):  # no such symbol; Windows has no CDLL(None)
        return None
    function.argtypes = [ctypes.c_size_t]
    function.restype = ctypes.c_int
    return function


def trim_heap() -> bool:
    """Return free C-heap pages to the system; True if there was something to give back."""
    function = _malloc_trim()
    return bool(function(0)) if function is not None else False


class HeapTrimmer:
    """Calls :func:`trim_heap` every ``every_s`` seconds on ``loop`` until :meth:`close`."""

    def __init__(
        self, loop: asyncio.AbstractEventLoop | None = None, every_s: float = TRIM_EVERY_S
    ) -> None:
        self._loop = loop or asyncio.get_running_loop()
        self._every_s = every_s
        self._handle: asyncio.TimerHandle | None = None
        self.trims = 0
        if _malloc_trim() is not None:
            self._schedule()

    def _schedule(self) -> None:
        self._handle = self._loop.call_later(self._every_s, self._trim)

    def _trim(self) -> None:
        trim_heap()
        self.trims += 1
        self._schedule()

    def close(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

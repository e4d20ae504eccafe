"""Python's cycle collector paused while a process loads its code, then that code frozen.

Why: loading Qt, the network libraries and our modules makes tens of thousands of objects
that live as long as the process (modules, classes, functions). The collector, triggered by
allocation counts, walked them again and again while they loaded, with nothing to free: about
40 ms of the app's first paint, about 20 ms of the local venue's start. Once loaded they move
to the permanent generation (``gc.freeze``), so no later collection walks them either.

Only the code is frozen, never what the process makes afterwards: a page released at a
network switch, or a venue's cancelled orders, must still be collected (Qt connections and
order books make cycles). Both the app and the venue start through here.
"""

from __future__ import annotations

import gc
from collections.abc import Callable

__all__ = ["code_loaded", "run_while_loading"]


def run_while_loading(run: Callable[[], int]) -> int:
    """Call ``run`` with the collector paused until it calls :func:`code_loaded`; collection
    is on again when ``run`` returns or raises, whether or not it got that far."""
    gc.disable()
    try:
        return run()
    finally:
        gc.enable()


def code_loaded() -> None:
    """Everything imported so far stays for good: freeze it, and collect as usual from here."""
    gc.freeze()
    gc.enable()

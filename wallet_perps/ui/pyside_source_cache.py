"""Stop PySide6 from reading, and keeping, the source of every module imported after it.

Why: to learn whether a module might use ``from __feature__ import ...``, PySide6 (its
``feature_imported`` hook, PYSIDE-2029) reads each newly imported module's source with
``inspect.getsource``. That costs start-up time (about 250 modules are imported between
PySide6 and the first price: aiohttp, the services, the pages) and memory: every line stays
in ``linecache`` for good, about 19 MB of this app's resident memory (numpy and pyqtgraph
alone are most of it), and clearing ``linecache`` later does not give the memory back (the
lines are interleaved with live objects). The replacement gives the same answer and keeps
nothing. The app's entry point calls it right after importing PySide6; the service adapter
calls it too, for any other way in (tests, the self-test).
"""

from __future__ import annotations

import sys

__all__ = ["stop_pyside_source_cache"]


def _file_mentions_pyside(module: object) -> bool:
    """PySide6's own test, "does the module's source say PySide6", without keeping the source."""
    path = getattr(module, "__file__", None)
    if not isinstance(path, str) or not path.endswith(".py"):
        return False  # what PySide6 answers for a module without source
    try:
        with open(path, "rb") as source:
            return b"PySide6" in source.read()
    except OSError:
        return False


def stop_pyside_source_cache() -> None:
    """Swap PySide6's source-reading check for :func:`_file_mentions_pyside`.

    Idempotent; a PySide6 without that hook is left alone.
    """
    feature = sys.modules.get("shibokensupport.feature") or sys.modules.get(
        "PySide6.support.feature"
    )
    if feature is not None and callable(getattr(feature, "_mod_uses_pyside", None)):
        vars(feature)["_mod_uses_pyside"] = _file_mentions_pyside

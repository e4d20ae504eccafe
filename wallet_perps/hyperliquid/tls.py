"""TLS for the venue clients: one verified context, made once and off the event loop.

Why its own module: the WebSocket client (on the first live price's path) needs the context
but not aiohttp, which only the HTTP client and the faucet use, after the first paint.
Every ``https``/``wss`` connection of ours uses :func:`tls_context` (the system's CA store,
hostname checked); :func:`prepare_tls` makes it in a worker thread first, so parsing the CA
bundle (about 45 ms) never blocks the event loop.
"""

from __future__ import annotations

import asyncio
import ssl
import threading
from urllib.parse import urlsplit

__all__ = ["needs_tls", "prepare_tls", "tls_context"]

_TLS_SCHEMES = frozenset({"https", "wss"})


def needs_tls(url: str) -> bool:
    """True for ``https://`` and ``wss://`` URLs (the real networks), False for loopback HTTP."""
    return urlsplit(url).scheme.lower() in _TLS_SCHEMES


# The context, once made. A lock rather than functools.cache: the cache stores only finished
# results, so concurrent first callers (worker threads started by prepare_tls) would each
# parse the CA bundle.
_tls_context: ssl.SSLContext | None = None
_tls_lock = threading.Lock()


def tls_context() -> ssl.SSLContext:
    """The verified TLS context every session of ours uses: the system's CA store, the
    server's name checked. Made once, even when first asked for from several threads at
    once (it parses the CA bundle: about 45 ms)."""
    global _tls_context
    with _tls_lock:
        if _tls_context is None:
            context = ssl.create_default_context()
            context.set_alpn_protocols(("http/1.1",))
            _tls_context = context
        return _tls_context


async def prepare_tls(url: str) -> None:
    """Make :func:`tls_context` in a worker thread if ``url`` needs it and it is not made yet,
    so the first TLS session does not parse the CA bundle on the event loop."""
    if needs_tls(url) and _tls_context is None:
        await asyncio.to_thread(tls_context)

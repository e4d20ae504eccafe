"""aiohttp for the venue clients, and the one way they open a client session.

Why this module: importing aiohttp builds two default TLS contexts at import time, each
parsing the system's whole CA bundle (about 45 ms apiece on a 2-core machine). The app
imports aiohttp on its way to the first live price, and its built-in local venue speaks
plain HTTP on loopback, so on the default start that work bought nothing. Here aiohttp is
imported with ``SSL_CERT_FILE`` naming an empty file for the length of the import only
(the variable is put back at once, whatever it was), so those two contexts skip the bundle.
No session of ours relies on them: :func:`client_session` gives every session for an
``https``/``wss`` URL a verified context of its own (:func:`tls_context`: the system's CA
store, hostname checked), made once, on first use; :func:`open_session` makes it in a worker
thread first so the 45 ms never block the event loop. A request without our context would fail
closed (no CA to verify against), never open.

Every client of the venue (HTTP, WebSocket, the local faucet) imports aiohttp from here.
"""

from __future__ import annotations

import asyncio
import os
import ssl
import threading
from urllib.parse import urlsplit

_saved_cert_file = os.environ.get("SSL_CERT_FILE")
os.environ["SSL_CERT_FILE"] = os.devnull
try:
    import aiohttp
finally:
    if _saved_cert_file is None:
        del os.environ["SSL_CERT_FILE"]
    else:
        os.environ["SSL_CERT_FILE"] = _saved_cert_file

__all__ = [
    "aiohttp",
    "client_session",
    "needs_tls",
    "open_session",
    "prepare_tls",
    "tls_context",
]

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


def client_session(
    url: str, *, timeout: aiohttp.ClientTimeout | None = None
) -> aiohttp.ClientSession:
    """A new aiohttp session for talking to ``url``'s server: with our verified TLS context
    when the URL needs TLS, plain otherwise. Must be called on the event loop; prefer
    :func:`open_session`, which makes the context off the loop first."""
    connector = aiohttp.TCPConnector(ssl=tls_context()) if needs_tls(url) else None
    if timeout is None:
        return aiohttp.ClientSession(connector=connector)
    return aiohttp.ClientSession(connector=connector, timeout=timeout)


async def open_session(
    url: str,
    *,
    timeout: aiohttp.ClientTimeout | None = None,  # noqa: ASYNC109 (the session's, not this call's)
) -> aiohttp.ClientSession:
    """:func:`client_session` with the TLS context made in a worker thread first: the way to
    open a session from a coroutine without parsing the CA bundle on the event loop."""
    await prepare_tls(url)
    return client_session(url, timeout=timeout)

"""aiohttp for the venue clients, and the one way they open a client session.

Why this module: importing aiohttp builds two default TLS contexts at import time, each
parsing the system's whole CA bundle (about 45 ms apiece on a 2-core machine). The app's
built-in local venue speaks plain HTTP on loopback, so on the default start that work
bought nothing. Here aiohttp is imported with ``SSL_CERT_FILE`` naming an empty file for the
length of the import only (the variable is put back at once, whatever it was), so those two
contexts skip the bundle.
No session of ours relies on them: :func:`client_session` gives every session for an
``https``/``wss`` URL a verified context of its own (:func:`tls_context`: the system's CA
store, hostname checked), made once, on first use; :func:`open_session` makes it in a worker
thread first so the 45 ms never block the event loop. A request without our context would fail
closed (no CA to verify against), never open.

The HTTP client and the local faucet import aiohttp from here, when they are first used:
the first screen needs neither (its prices come over the WebSocket, which does not use
aiohttp), so aiohttp loads after the first live price is painted.
"""

from __future__ import annotations

import os

from wallet_perps.hyperliquid.tls import needs_tls, prepare_tls, tls_context

_saved_cert_file = os.environ.get("SSL_CERT_FILE")
os.environ["SSL_CERT_FILE"] = os.devnull
try:
    import aiohttp
finally:
    if _saved_cert_file is None:
        del os.environ["SSL_CERT_FILE"]
    else:
        os.environ["SSL_CERT_FILE"] = _saved_cert_file

__all__ = ["aiohttp", "client_session", "open_session"]


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

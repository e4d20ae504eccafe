"""What keeps web pages and greedy clients off the local venue.

A browser may send a cross-origin POST without asking first (no CORS preflight) only with a
"simple" content type: text/plain, form or multipart. So the venue reads only
``application/json`` bodies, as Hyperliquid's server does; anything else is refused before
the body is read. The admin routes (/sim/*) additionally refuse any request carrying an
``Origin`` header (browsers always send one on cross-origin POSTs, scripts and the app never
do) and require the per-run admin token the venue wrote beside its data.

WebSocket limits follow PROTOCOL.md §8.1: at most 10 connections per client IP (every loopback
address is one client) and 1000 subscriptions per connection.
"""

from __future__ import annotations

import hmac
from collections import Counter
from collections.abc import Awaitable, Callable
from ipaddress import ip_address
from typing import TYPE_CHECKING, Final

from wallet_perps.core.wire_values import ADMIN_HEADER

if TYPE_CHECKING:  # imported at run time inside guard_middleware: cli.py imports this module
    from aiohttp import web  # before it has made aiohttp's SSL set-up cheap

__all__ = [
    "ADMIN_HEADER",
    "DEFAULT_MAX_CONNECTIONS_PER_IP",
    "MAX_SUBSCRIPTIONS",
    "TOO_MANY_CONNECTIONS_TEXT",
    "TOO_MANY_SUBSCRIPTIONS_TEXT",
    "UNSUPPORTED_MEDIA_TEXT",
    "ConnectionLimit",
    "client_key",
    "guard_middleware",
]

#: Hyperliquid's server is axum: its 422 "Failed to deserialize the JSON body into the target
#: type" is axum's Json extractor, and that extractor refuses any other content type with HTTP
#: 415 and this plain-text body (axum's ``MissingJsonContentType`` rejection). Inferred from
#: axum, not captured from the live venue.
UNSUPPORTED_MEDIA_TEXT: Final = "Expected request with `Content-Type: application/json`"

#: Our own words (the real venue has no admin routes): plain text, like the other refusals.
ORIGIN_REFUSED_TEXT: Final = "Admin routes do not accept browser requests (Origin header)"
ADMIN_TOKEN_TEXT: Final = f"Admin routes require the venue's admin token in {ADMIN_HEADER}"

#: PROTOCOL.md §8.1 (per IP on Hyperliquid); the error text as the real venue sends it
#: (quoted in nktkas/hyperliquid#78).
MAX_SUBSCRIPTIONS: Final = 1000
TOO_MANY_SUBSCRIPTIONS_TEXT: Final = f"Cannot subscribe to more than {MAX_SUBSCRIPTIONS} channels."

DEFAULT_MAX_CONNECTIONS_PER_IP: Final = 10
#: Our words: how Hyperliquid refuses an 11th connection is not documented; a refused upgrade
#: with 429 (its rate-limit status, PROTOCOL.md §2.1) is what clients already handle.
TOO_MANY_CONNECTIONS_TEXT: Final = "Too many WebSocket connections from this IP"

_JSON_PATHS: Final = ("/info", "/exchange")

Handler = Callable[["web.Request"], Awaitable["web.StreamResponse"]]


def is_json(request: web.Request) -> bool:
    """``application/json``, with any parameter (``; charset=utf-8``), case-insensitively."""
    raw = request.headers.get("Content-Type")
    if raw is None:
        return False
    return raw.split(";", 1)[0].strip().lower() == "application/json"


def guard_middleware(admin_token: str | None) -> Callable[..., Awaitable[web.StreamResponse]]:
    """The aiohttp middleware checking content type, Origin and the admin token.

    ``admin_token`` None means the venue has no admin routes (mainnet): /sim/* is then simply
    not registered and answers 404 like any unknown path.
    """
    from aiohttp import web

    expected = (admin_token or "").encode()

    @web.middleware
    async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
        path = request.path
        is_sim = admin_token is not None and path.startswith("/sim/")
        if request.method == "POST" and (path in _JSON_PATHS or is_sim):
            if is_sim:
                if "Origin" in request.headers:
                    return web.Response(text=ORIGIN_REFUSED_TEXT, status=403)
                given = request.headers.get(ADMIN_HEADER, "").encode()
                if not hmac.compare_digest(given, expected):
                    return web.Response(text=ADMIN_TOKEN_TEXT, status=403)
            if not is_json(request):
                return web.Response(text=UNSUPPORTED_MEDIA_TEXT, status=415)
        return await handler(request)

    return guard


def client_key(remote: str | None) -> str:
    """Who a peer address counts as: itself, or "loopback" for 127.0.0.0/8, ::1 and the
    IPv4-mapped loopback (the app, the tests and any local script are one client)."""
    try:
        address = ip_address(remote or "")
    except ValueError:
        return remote or ""
    mapped = getattr(address, "ipv4_mapped", None)
    if address.is_loopback or (mapped is not None and mapped.is_loopback):
        return "loopback"
    return str(mapped or address)


class ConnectionLimit:
    """Open WebSocket connections per client; every loopback address counts as one client."""

    def __init__(self, limit: int = DEFAULT_MAX_CONNECTIONS_PER_IP) -> None:
        self.limit = limit
        self._open: Counter[str] = Counter()

    @staticmethod
    def client_of(request: web.Request) -> str:
        return client_key(request.remote)

    def acquire(self, client: str) -> bool:
        """Count one more connection for ``client``; False (and nothing counted) if full."""
        if self._open[client] >= self.limit:
            return False
        self._open[client] += 1
        return True

    def release(self, client: str) -> None:
        self._open[client] -= 1
        if self._open[client] <= 0:
            del self._open[client]

    def count(self, client: str) -> int:
        return self._open[client]

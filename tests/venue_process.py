"""Real local-venue processes for tests, started by the app's own launcher on a free port.

There is no mock venue: tests talk to ``wallet-perps-venue`` over loopback sockets, started by
:mod:`wallet_perps.services.venue_launcher` exactly as the app and the benchmarks start it.
Most tests share one venue per session (the ``flow_venue`` and ``quiet_venue`` fixtures in
tests/conftest.py); a test builds its own :class:`VenueProcess` only when it needs a fresh one
(its own data directory, a restart, a kill, a signal, a moved oracle price).

A paper venue's /sim admin routes need the per-run token it prints after its URL; tests send
it with :func:`admin_headers` (by URL, for helpers that only know the URL); :func:`faucet`
funds an account that way.
"""

from __future__ import annotations

from pathlib import Path

import aiohttp

from wallet_perps.core.wire_values import ADMIN_HEADER
from wallet_perps.services.venue_launcher import VenueChild

__all__ = ["ADMIN_HEADER", "REPO", "VenueProcess", "admin_headers", "faucet"]

REPO = Path(__file__).resolve().parents[1]

#: URL -> admin token of every venue started by this test process.
_TOKENS: dict[str, str] = {}


def admin_headers(url: str) -> dict[str, str]:
    """Headers for a /sim/* request to the venue at ``url`` (started by :class:`VenueProcess`)."""
    return {ADMIN_HEADER: _TOKENS[url.rstrip("/")]}


async def faucet(url: str, user: str, usdc: str) -> None:
    """Give ``user`` paper USDC on the venue at ``url``; one copy for every test that funds
    an account over HTTP, failing unless the venue answers ``{"status": "ok"}``."""
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{url}/sim/faucet", json={"user": user, "usdc": usdc}, headers=admin_headers(url)
        ) as resp,
    ):
        assert (await resp.json()) == {"status": "ok"}


class VenueProcess(VenueChild):
    """A venue with ``args`` (after ``--port 0``), started and ready when constructed."""

    def __init__(self, *args: str, data: Path | None = None, timeout_s: float = 60.0) -> None:
        # A killed test run must not leave its (session-wide) venues running.
        venue_args = ["--port", "0", "--exit-with-parent", *args]
        if data is not None:
            venue_args += ["--data", str(data)]
        super().__init__(venue_args, cwd=REPO)
        self.wait_ready(timeout_s)
        if self.admin_token is not None:
            _TOKENS[self.url] = self.admin_token

    def stderr_text(self) -> str:
        """Everything the venue logged so far."""
        return self.stderr_tail(limit=1 << 30)

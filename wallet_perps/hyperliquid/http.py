"""Asyncio client for the venue's two HTTP endpoints, ``POST /info`` and ``POST /exchange``.

Two rules shape this module (PROTOCOL §13.2, §13.8):

* ``/info`` is idempotent, so a request that hits a connection the server had already
  dropped (the classic "first request after idling fails") is retried once. Nothing else
  is retried: a timeout or an HTTP error is reported to the caller, who knows better
  whether to try again.
* ``/exchange`` is never retried. A resent order could execute twice. When the outcome
  is unknown (timeout, connection dropped after sending) the error says so
  (``VenueUnavailable.outcome_unknown``) and the caller reconciles through the cloid.

``status: ok`` does not mean every order succeeded. Reading ``/exchange`` answers is the job
of :mod:`wallet_perps.hyperliquid.exchange_answers` (strict: a garbled answer is never taken
for a fact; the outcome types live in :mod:`wallet_perps.core.answers`). Taking the nonce,
signing, posting and classifying the answer of an action is
:mod:`wallet_perps.hyperliquid.sender`, which every service uses.

aiohttp is imported on the first request, not with this module: the first screen's live
prices come over the WebSocket, so its import (about 90 ms) comes after the first paint.

The typed info methods return core models; all wire-to-model parsing lives in
:mod:`wallet_perps.hyperliquid.parse` (one place reads raw venue dicts).
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import TYPE_CHECKING, Any, Self

from wallet_perps.hyperliquid.errors import (
    Disconnected,
    ExchangeTimeout,
    HttpError,
    RateLimited,
    UnexpectedResponse,
    VenueTimeout,
    VenueUnavailable,
)
from wallet_perps.hyperliquid.info_queries import InfoQueries
from wallet_perps.hyperliquid.tls import prepare_tls

if TYPE_CHECKING:
    import aiohttp

__all__ = ["HyperliquidHttp"]

log = logging.getLogger(__name__)


# --------------------------------------------------------------------------- client


class HyperliquidHttp(InfoQueries):
    """Async client for ``/info`` and ``/exchange``.

    Pass a ``session`` to share one connection pool (it is then not closed here);
    otherwise one is created on first use and closed by :meth:`close`.
    """

    def __init__(
        self,
        base_url: str,
        *,
        session: aiohttp.ClientSession | None = None,
        timeout: float = 10.0,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._session = session
        self._owns_session = session is None
        self._timeout_s = timeout
        self._closing: set[asyncio.Task[None]] = set()
        self._closing_handles: list[aiohttp.ClientSession] = []

    @property
    def base_url(self) -> str:
        return self._base_url

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *_exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the session if this client created it. Safe to call twice."""
        if self._owns_session and self._session is not None:
            session, self._session = self._session, None
            await session.close()
        old, self._closing_handles = self._closing_handles, []
        for stale in old:
            if not stale.closed:
                await stale.close()

    def refresh_connections(self) -> None:
        """Use fresh connections from now on (call when the venue is known to have restarted).

        Pooled keep-alive connections to a venue that restarted are dead, and an action sent
        on one fails as "outcome unknown" although it never arrived. Requests already in
        flight keep the old pool, which is closed once they have had time to finish.
        """
        if not self._owns_session or self._session is None:
            return
        old, self._session = self._session, None
        loop = asyncio.get_running_loop()

        def close_old() -> None:
            task = loop.create_task(old.close())
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)

        loop.call_later(self._timeout_s, close_old)
        self._closing_handles = [s for s in self._closing_handles if not s.closed]
        self._closing_handles.append(old)

    def _needs_session(self) -> bool:
        return self._session is None or (self._owns_session and self._session.closed)

    async def _get_session(self) -> aiohttp.ClientSession:
        # Created lazily so the constructor can run outside a running event loop. The TLS
        # context is made (off the loop) before the second check, so no await separates that
        # check from the creation: concurrent first requests share one session.
        if self._needs_session():
            await prepare_tls(self._base_url)
            if self._needs_session():
                from wallet_perps.hyperliquid.net import aiohttp, client_session

                timeout = aiohttp.ClientTimeout(total=self._timeout_s)
                self._session = client_session(self._base_url, timeout=timeout)
        assert self._session is not None
        return self._session

    # ------------------------------------------------------------------ transport

    async def _post(self, path: str, body: dict[str, Any], *, is_action: bool) -> Any:
        url = f"{self._base_url}{path}"
        attempts = 1 if is_action else 2
        for attempt in range(1, attempts + 1):
            session = await self._get_session()
            from wallet_perps.hyperliquid.net import aiohttp  # loaded by _get_session

            timeout = aiohttp.ClientTimeout(total=self._timeout_s)  # a shared session's too
            try:
                async with session.post(url, json=body, timeout=timeout) as resp:
                    raw = await resp.read()
                    status = resp.status
                    retry_after = resp.headers.get("Retry-After")
            except aiohttp.ConnectionTimeoutError as exc:
                # Never connected, so nothing was sent: the outcome is known.
                raise VenueTimeout(
                    f"Could not connect to the venue at {self._base_url} within "
                    f"{self._timeout_s:g} s."
                ) from exc
            except TimeoutError as exc:
                if is_action:
                    raise ExchangeTimeout(self._timeout_s) from exc
                raise VenueTimeout(
                    f"The venue did not answer within {self._timeout_s:g} s."
                ) from exc
            except aiohttp.ClientConnectorError as exc:
                raise VenueUnavailable(
                    f"Cannot reach the venue at {self._base_url} ({exc.strerror or exc})."
                ) from exc
            except (aiohttp.ClientConnectionError, aiohttp.ClientPayloadError) as exc:
                # Typically a keep-alive connection the server had already closed.
                if attempt < attempts:
                    log.info("info request hit a dropped connection (%s); retrying once", exc)
                    continue
                if is_action:
                    raise Disconnected(
                        "The connection to the exchange dropped before it answered. The "
                        "request may or may not have been executed; checking before trying "
                        "again.",
                        outcome_unknown=True,
                    ) from exc
                raise Disconnected(f"The connection to the venue dropped ({exc}).") from exc
            except aiohttp.ClientError as exc:
                raise VenueUnavailable(
                    f"Request to the venue failed ({exc}).", outcome_unknown=is_action
                ) from exc
            return self._decode(status, raw, retry_after, is_action=is_action)
        raise AssertionError("unreachable")  # pragma: no cover

    @staticmethod
    def _decode(status: int, raw: bytes, retry_after: str | None, *, is_action: bool) -> Any:
        text = raw.decode("utf-8", errors="replace")
        if status == 429:
            seconds: float | None
            try:
                seconds = float(retry_after) if retry_after else None
            except ValueError:
                seconds = None
            raise RateLimited(text, retry_after=seconds)
        if status != 200:
            raise HttpError(status, text, outcome_unknown=is_action and status >= 500)
        try:
            return json.loads(text)
        except ValueError as exc:
            raise UnexpectedResponse("the body is not JSON", venue_text=text[:500]) from exc

    # ------------------------------------------------------------------ raw endpoints

    async def info(self, body: dict[str, Any]) -> Any:
        """Raw ``POST /info``: the decoded JSON payload. Retried once on a stale connection."""
        return await self._post("/info", body, is_action=False)

    async def exchange(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Post a signed ``{action, nonce, signature, vaultAddress, expiresAfter}`` body.

        Sent exactly once. Returns the ``status: ok`` envelope; raises RejectedAction on
        ``status: err``. Per-order errors are NOT raised here (a batch caller needs every
        outcome): pass the result to :func:`check_statuses` or :func:`single_outcome`.
        """
        for key in ("action", "nonce", "signature"):
            if key not in payload:
                raise ValueError(f"exchange payload lacks {key!r}")
        action = payload["action"]
        kind = action.get("type") if isinstance(action, dict) else None
        log.debug("POST /exchange type=%s nonce=%s", kind, payload["nonce"])
        # The answer reader loads with the first action, not with the first screen.
        from wallet_perps.hyperliquid.exchange_answers import check_response

        return check_response(await self._post("/exchange", payload, is_action=True))

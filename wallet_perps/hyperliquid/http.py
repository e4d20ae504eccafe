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
for a fact); its readers are re-exported here for callers that post raw payloads (the outcome
types live in :mod:`wallet_perps.core.answers`). Taking the nonce, signing, posting and
classifying the answer of an action is :mod:`wallet_perps.hyperliquid.sender`, which every
service uses.

The typed info methods return core models; all wire-to-model parsing lives in
:mod:`wallet_perps.hyperliquid.parse` (one place reads raw venue dicts).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Hashable
from decimal import Decimal
from typing import Any, Final, Self

from wallet_perps.core.ledger import LedgerUpdate
from wallet_perps.core.models import (
    AccountState,
    ActiveAssetData,
    AssetContext,
    Candle,
    ExtraAgent,
    Fill,
    FundingPayment,
    FundingRate,
    L2Book,
    Meta,
    PredictedFunding,
    UserRateLimit,
    UserRole,
)
from wallet_perps.core.orders import OpenOrder, OrderStatus
from wallet_perps.core.wire_values import normalize_address, normalize_cloid
from wallet_perps.hyperliquid import parse
from wallet_perps.hyperliquid.errors import (
    Disconnected,
    ExchangeTimeout,
    HttpError,
    RateLimited,
    UnexpectedResponse,
    VenueTimeout,
    VenueUnavailable,
)
from wallet_perps.hyperliquid.exchange_answers import check_response
from wallet_perps.hyperliquid.net import aiohttp, client_session, prepare_tls

__all__ = ["FILLS_PAGE_CAP", "PAGE_CAP", "HyperliquidHttp"]

log = logging.getLogger(__name__)

#: Time-range info queries return at most this many rows per response (PROTOCOL §7).
PAGE_CAP: Final = 500
#: userFillsByTime returns at most 2000 fills per response.
FILLS_PAGE_CAP: Final = 2000
#: Hard stop for paging, whatever the server does (500 * 400 = 200k rows).
_MAX_PAGES: Final = 400

# --------------------------------------------------------------------------- helpers


def _row_time(row: Any, key: str) -> int:
    if isinstance(row, dict):
        value = row.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    raise UnexpectedResponse(f"a paged row without an integer {key!r}: {str(row)[:200]}")


def _canonical(row: Any) -> Hashable:
    """Identity of a row for boundary de-duplication: its full canonical JSON.

    Several rows legitimately share one millisecond (partial fills of one taker order,
    one funding row per coin per hour), so the timestamp alone is not an identity.
    """
    return json.dumps(row, sort_keys=True, separators=(",", ":"))


def _user_body(kind: str, user: str, **fields: Any) -> dict[str, Any]:
    """An info body about one account. Every such query names its user the one way
    (:func:`normalize_address`: checked, lowercase), so a typo fails here, not at the venue."""
    return {"type": kind, "user": normalize_address(user), **fields}


def _candle_identity(row: Any) -> Hashable:
    # The newest candle is re-served while it forms, so its content changes; its open
    # time does not.
    return _row_time(row, "t")


# --------------------------------------------------------------------------- client


class HyperliquidHttp:
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
        self._timeout = aiohttp.ClientTimeout(total=timeout)
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
                self._session = client_session(self._base_url, timeout=self._timeout)
        assert self._session is not None
        return self._session

    # ------------------------------------------------------------------ transport

    async def _post(self, path: str, body: dict[str, Any], *, is_action: bool) -> Any:
        url = f"{self._base_url}{path}"
        attempts = 1 if is_action else 2
        for attempt in range(1, attempts + 1):
            session = await self._get_session()
            try:
                async with session.post(url, json=body, timeout=self._timeout) as resp:
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
        return check_response(await self._post("/exchange", payload, is_action=True))

    # ------------------------------------------------------------------ paging

    async def _paged(
        self,
        make_body: Callable[[int], dict[str, Any]],
        *,
        start_ms: int,
        end_ms: int | None,
        cap: int,
        time_key: str = "time",
        identity: Callable[[Any], Hashable] = _canonical,
    ) -> list[Any]:
        """Fetch every row of a capped time-range query, oldest first.

        The cursor is the newest time seen, *inclusive* (as the docs say: "use the last
        returned timestamp as the next startTime"). Using ``last + 1`` would silently drop
        rows that share the boundary millisecond with the last row of a full page, which
        is common (partial fills of one order, one funding row per coin). Rows repeated at
        the boundary are removed by identity. Stops on a short page, past ``end_ms``, or
        when the server does not move forward (a server ignoring startTime cannot loop
        us: the cursor strictly increases or paging ends).
        """
        rows: list[Any] = []
        cursor = start_ms
        boundary: set[Hashable] = set()
        first_page = True
        for _ in range(_MAX_PAGES):
            page = await self.info(make_body(cursor))
            if not isinstance(page, list):
                raise UnexpectedResponse(f"expected a list, got {type(page).__name__}")
            if not page:
                break
            times = [_row_time(row, time_key) for row in page]
            for row, t in zip(page, times, strict=True):
                # The first page is taken as served (a candle that opened before
                # startTime but contains it is legitimately included); later pages
                # only add rows at or after the cursor that were not seen at it.
                if not first_page and (t < cursor or (t == cursor and identity(row) in boundary)):
                    continue
                rows.append(row)
            if len(page) < cap:
                break
            first_page = False
            newest = max(times)
            if newest > cursor:
                cursor = newest
                boundary = {
                    identity(row) for row, t in zip(page, times, strict=True) if t == newest
                }
            elif newest == cursor:
                # A full page inside one millisecond: rows beyond the cap at this time are
                # unreachable through startTime. Step past it rather than loop.
                log.warning("more than %d rows at time %d; some may be missing", cap, cursor)
                cursor += 1
                boundary = set()
            else:
                log.warning("paging made no progress at time %d; stopping", cursor)
                break
            if end_ms is not None and cursor > end_ms:
                break
        else:
            log.warning("paging stopped after %d pages", _MAX_PAGES)
        rows.sort(key=lambda row: _row_time(row, time_key))
        return rows

    async def _ranged(
        self, body: dict[str, Any], start_ms: int, end_ms: int | None, cap: int = PAGE_CAP
    ) -> list[Any]:
        """Every row of the time-range query ``body``: ``startTime``/``endTime`` per page."""

        def page(start: int) -> dict[str, Any]:
            out = dict(body, startTime=start)
            if end_ms is not None:
                out["endTime"] = end_ms
            return out

        return await self._paged(page, start_ms=start_ms, end_ms=end_ms, cap=cap)

    # ------------------------------------------------------------------ typed info

    async def _user_info(self, kind: str, user: str, **fields: Any) -> Any:
        """``/info`` about one account (see :func:`_user_body`)."""
        return await self.info(_user_body(kind, user, **fields))

    async def _user_ranged(
        self, kind: str, user: str, start_ms: int, end_ms: int | None, cap: int = PAGE_CAP
    ) -> list[Any]:
        """Every row of one account's time-range query (see :meth:`_ranged`)."""
        return await self._ranged(_user_body(kind, user), start_ms, end_ms, cap)

    async def meta(self) -> Meta:
        return parse.parse_meta(await self.info({"type": "meta"}))

    async def meta_and_asset_ctxs(self) -> tuple[Meta, list[AssetContext]]:
        return parse.parse_meta_and_asset_ctxs(await self.info({"type": "metaAndAssetCtxs"}))

    async def all_mids(self) -> dict[str, Decimal]:
        return parse.parse_all_mids(await self.info({"type": "allMids"}))

    async def clearinghouse_state(self, user: str) -> AccountState:
        return parse.parse_clearinghouse_state(await self._user_info("clearinghouseState", user))

    async def open_orders(self, user: str) -> list[OpenOrder]:
        return parse.parse_open_orders(await self._user_info("openOrders", user))

    async def frontend_open_orders(self, user: str) -> list[OpenOrder]:
        return parse.parse_frontend_open_orders(await self._user_info("frontendOpenOrders", user))

    async def order_status(self, user: str, oid_or_cloid: int | str) -> OrderStatus | None:
        """Status of one order by venue oid or by cloid; None when the venue does not know it."""
        oid: int | str
        if isinstance(oid_or_cloid, bool):
            raise TypeError("oid must be an int or a cloid string")
        oid = oid_or_cloid if isinstance(oid_or_cloid, int) else normalize_cloid(oid_or_cloid)
        return parse.parse_order_status(await self._user_info("orderStatus", user, oid=oid))

    async def user_fills(self, user: str) -> list[Fill]:
        """The 2000 most recent fills (not paged; use user_fills_by_time for history)."""
        return parse.parse_fills(await self._user_info("userFills", user))

    async def user_fills_by_time(
        self, user: str, start_ms: int, end_ms: int | None = None
    ) -> list[Fill]:
        rows = await self._user_ranged("userFillsByTime", user, start_ms, end_ms, FILLS_PAGE_CAP)
        return parse.parse_fills(rows)

    async def user_funding(
        self, user: str, start_ms: int, end_ms: int | None = None
    ) -> list[FundingPayment]:
        rows = await self._user_ranged("userFunding", user, start_ms, end_ms)
        return parse.parse_user_funding(rows)

    async def funding_history(
        self, coin: str, start_ms: int, end_ms: int | None = None
    ) -> list[FundingRate]:
        body = {"type": "fundingHistory", "coin": coin}
        return parse.parse_funding_history(await self._ranged(body, start_ms, end_ms))

    async def predicted_fundings(self) -> list[PredictedFunding]:
        return parse.parse_predicted_fundings(await self.info({"type": "predictedFundings"}))

    async def l2_book(
        self, coin: str, n_sig_figs: int | None = None, mantissa: int | None = None
    ) -> L2Book:
        body: dict[str, Any] = {"type": "l2Book", "coin": coin}
        if n_sig_figs is not None:
            body["nSigFigs"] = n_sig_figs
        if mantissa is not None:
            if n_sig_figs != 5:
                raise ValueError("mantissa is only allowed with n_sig_figs=5")
            body["mantissa"] = mantissa
        return parse.parse_l2_book(await self.info(body))

    async def candle_snapshot(
        self, coin: str, interval: str, start_ms: int, end_ms: int
    ) -> list[Candle]:
        def body(start: int) -> dict[str, Any]:
            req = {"coin": coin, "interval": interval, "startTime": start, "endTime": end_ms}
            return {"type": "candleSnapshot", "req": req}

        rows = await self._paged(
            body,
            start_ms=start_ms,
            end_ms=end_ms,
            cap=PAGE_CAP,
            time_key="t",
            identity=_candle_identity,
        )
        return parse.parse_candles(rows)

    async def user_rate_limit(self, user: str) -> UserRateLimit:
        return parse.parse_user_rate_limit(await self._user_info("userRateLimit", user))

    async def extra_agents(self, user: str) -> list[ExtraAgent]:
        return parse.parse_extra_agents(await self._user_info("extraAgents", user))

    async def user_non_funding_ledger_updates(
        self, user: str, start_ms: int, end_ms: int | None = None
    ) -> list[LedgerUpdate]:
        rows = await self._user_ranged("userNonFundingLedgerUpdates", user, start_ms, end_ms)
        return parse.parse_ledger_updates(rows)

    async def historical_orders(self, user: str) -> list[OrderStatus]:
        return parse.parse_historical_orders(await self._user_info("historicalOrders", user))

    async def user_role(self, user: str) -> UserRole:
        return parse.parse_user_role(await self._user_info("userRole", user))

    async def active_asset_data(self, user: str, coin: str) -> ActiveAssetData:
        return parse.parse_active_asset_data(
            await self._user_info("activeAssetData", user, coin=coin)
        )

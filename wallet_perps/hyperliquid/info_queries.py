"""The typed info queries (``/info`` request types), over whichever channel asks them.

Why a class of their own: the same questions are asked over HTTP ``POST /info`` and over the
WebSocket's posts (PROTOCOL §8.3), and each must be asked and read the same way on both.
:class:`InfoQueries` holds every typed query (bodies, paging past the response caps, and
the reading of the answer by :mod:`wallet_perps.hyperliquid.parse`); a client supplies the
one raw :meth:`InfoQueries.info`. So the market service can take its snapshots over the
socket it already has open (the first screen then needs no HTTP client, whose aiohttp
import costs about 90 ms) and fall back to HTTP while the socket is down.
"""

from __future__ import annotations

import abc
import json
import logging
from collections.abc import Callable, Hashable
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final

from wallet_perps.core import models
from wallet_perps.core.orders import OpenOrder, OrderStatus
from wallet_perps.core.wire_values import normalize_address, normalize_cloid
from wallet_perps.hyperliquid import parse
from wallet_perps.hyperliquid.errors import UnexpectedResponse

if TYPE_CHECKING:
    from wallet_perps.core.ledger import LedgerUpdate

__all__ = ["FILLS_PAGE_CAP", "PAGE_CAP", "InfoQueries"]

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


class InfoQueries(abc.ABC):
    """Every typed info query, asked through :meth:`info` (HTTP or WebSocket)."""

    @abc.abstractmethod
    async def info(self, body: dict[str, Any]) -> Any:
        """One raw info request: ``body`` is the request (``{"type": ...}``), the result the
        decoded answer, exactly as ``POST /info`` gives it."""

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

    async def meta(self) -> models.Meta:
        return parse.parse_meta(await self.info({"type": "meta"}))

    async def meta_and_asset_ctxs(self) -> tuple[models.Meta, list[models.AssetContext]]:
        return parse.parse_meta_and_asset_ctxs(await self.info({"type": "metaAndAssetCtxs"}))

    async def all_mids(self) -> dict[str, Decimal]:
        return parse.parse_all_mids(await self.info({"type": "allMids"}))

    async def clearinghouse_state(self, user: str) -> models.AccountState:
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

    async def user_fills(self, user: str) -> list[models.Fill]:
        """The 2000 most recent fills (not paged; use user_fills_by_time for history)."""
        return parse.parse_fills(await self._user_info("userFills", user))

    async def user_fills_by_time(
        self, user: str, start_ms: int, end_ms: int | None = None
    ) -> list[models.Fill]:
        rows = await self._user_ranged("userFillsByTime", user, start_ms, end_ms, FILLS_PAGE_CAP)
        return parse.parse_fills(rows)

    async def user_funding(
        self, user: str, start_ms: int, end_ms: int | None = None
    ) -> list[models.FundingPayment]:
        rows = await self._user_ranged("userFunding", user, start_ms, end_ms)
        return parse.parse_user_funding(rows)

    async def funding_history(
        self, coin: str, start_ms: int, end_ms: int | None = None
    ) -> list[models.FundingRate]:
        body = {"type": "fundingHistory", "coin": coin}
        return parse.parse_funding_history(await self._ranged(body, start_ms, end_ms))

    async def predicted_fundings(self) -> list[models.PredictedFunding]:
        return parse.parse_predicted_fundings(await self.info({"type": "predictedFundings"}))

    async def l2_book(
        self, coin: str, n_sig_figs: int | None = None, mantissa: int | None = None
    ) -> models.L2Book:
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
    ) -> list[models.Candle]:
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

    async def user_rate_limit(self, user: str) -> models.UserRateLimit:
        return parse.parse_user_rate_limit(await self._user_info("userRateLimit", user))

    async def extra_agents(self, user: str) -> list[models.ExtraAgent]:
        return parse.parse_extra_agents(await self._user_info("extraAgents", user))

    async def user_non_funding_ledger_updates(
        self, user: str, start_ms: int, end_ms: int | None = None
    ) -> list[LedgerUpdate]:
        rows = await self._user_ranged("userNonFundingLedgerUpdates", user, start_ms, end_ms)
        return parse.parse_ledger_updates(rows)

    async def historical_orders(self, user: str) -> list[OrderStatus]:
        return parse.parse_historical_orders(await self._user_info("historicalOrders", user))

    async def user_role(self, user: str) -> models.UserRole:
        return parse.parse_user_role(await self._user_info("userRole", user))

    async def active_asset_data(self, user: str, coin: str) -> models.ActiveAssetData:
        return parse.parse_active_asset_data(
            await self._user_info("activeAssetData", user, coin=coin)
        )

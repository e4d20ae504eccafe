"""Wire JSON -> core models: this module and its ``parse_*`` siblings read all venue JSON.

Everything the venue sends passes through here once and comes out as an immutable model with
Decimal numbers. Keeping the translation in one place means a protocol change is fixed here,
and every other layer can trust the types it is given: no raw venue dict leaves these modules.

Rules (PROTOCOL.md §2.1, §7, §8.2):

* Numbers arrive as decimal strings over HTTP and as strings *or* JSON numbers over WS. Both
  are accepted everywhere; a JSON float is converted through ``str()`` (its shortest repr),
  never through float arithmetic. Anything else -- ``"abc"``, ``"NaN"``, ``" 1"``, a bool --
  is a :class:`ParseError`.
* Decimals keep the digits they were sent with (``"30135.0"`` stays ``Decimal("30135.0")``),
  so ``Decimal(source) == value`` holds exactly and displays can show the venue's precision.
* Ids and ms times are ints. A JSON float is refused for them (it may already have lost
  precision); an all-digit string is accepted.
* Fields added over the years (``origSz``, ``cloid``, ``tid``, ``feeToken``, ``marginTables``,
  ``cumFunding`` ...) are optional; their absence gives None, never a guessed value.
* Open-ended values pass through: unknown order statuses (§9), order types and TP/SL kinds
  stay plain strings, and an unknown ledger delta type is kept verbatim as an
  ``UnknownDelta``. Unknown keys of known shapes are ignored.
* Every failure is a :class:`ParseError` whose message starts with the JSON path of the
  offending field, e.g. ``clearinghouseState.assetPositions[3].position.szi``. No KeyError,
  TypeError or decimal.InvalidOperation escapes.

This module holds the public ``parse_*`` entry points, HTTP first and WebSocket after; the
shapes they read live in siblings, whose small ``read_*`` functions mostly hand a model to
:func:`~wallet_perps.hyperliquid.parse_base.read_record` (it reads the model field by field
from its own declaration) and read the rest through the
:class:`~wallet_perps.hyperliquid.parse_base.Obj` accessors: ``parse_market`` (universe, books,
candles, trades), ``parse_account`` (positions, orders with their TP/SL kind, fills,
funding) and ``parse_ledger`` (ledger deltas as a tagged union). ``ParseError`` is defined
in ``parse_base`` and is importable from here, where callers catch it.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from decimal import Decimal
from types import MappingProxyType
from typing import TYPE_CHECKING, Final, TypeVar

from wallet_perps.core.models import (
    AccountState,
    ActiveAssetData,
    AssetContext,
    Bbo,
    Candle,
    ExtraAgent,
    Fill,
    FundingPayment,
    FundingRate,
    L2Book,
    Meta,
    PredictedFunding,
    Trade,
    UserRateLimit,
    UserRole,
)
from wallet_perps.core.orders import OpenOrder, OrderStatus
from wallet_perps.core.user_events import (
    LiquidationEvent,
    NonUserCancel,
    UserEvent,
    UserEventKind,
)
from wallet_perps.hyperliquid.parse_account import (
    read_account_state,
    read_active_asset_data,
    read_fill,
    read_order,
    read_order_status,
    read_user_funding_row,
    read_ws_funding,
)
from wallet_perps.hyperliquid.parse_base import (
    Obj,
    ParseError,
    array_items,
    objs,
    pair,
    read_record,
)
from wallet_perps.hyperliquid.parse_market import (
    read_asset_ctx,
    read_candle,
    read_funding_rate,
    read_l2_book,
    read_level,
    read_meta,
    read_mids,
    read_predicted,
    read_trade,
)

if TYPE_CHECKING:
    from wallet_perps.core.ledger import LedgerUpdate

#: _LEDGER_LATER: the ledger's reader (and its twenty record types) is imported by the two
#: functions that read ledger updates, when first called: an account's ledger is read after
#: a wallet is unlocked, and the app's first screen should not pay for it.

__all__ = [
    "ParseError",
    "parse_active_asset_data",
    "parse_all_mids",
    "parse_candle",
    "parse_candles",
    "parse_clearinghouse_state",
    "parse_extra_agents",
    "parse_fills",
    "parse_frontend_open_orders",
    "parse_funding_history",
    "parse_historical_orders",
    "parse_l2_book",
    "parse_ledger_updates",
    "parse_meta",
    "parse_meta_and_asset_ctxs",
    "parse_open_orders",
    "parse_order_status",
    "parse_predicted_fundings",
    "parse_push",
    "parse_user_funding",
    "parse_user_rate_limit",
    "parse_user_role",
    "parse_ws_active_asset_ctx",
    "parse_ws_active_asset_data",
    "parse_ws_all_mids",
    "parse_ws_bbo",
    "parse_ws_candle",
    "parse_ws_clearinghouse_state",
    "parse_ws_l2_book",
    "parse_ws_ledger_updates",
    "parse_ws_notification",
    "parse_ws_open_orders",
    "parse_ws_order_updates",
    "parse_ws_trades",
    "parse_ws_user_events",
    "parse_ws_user_fills",
    "parse_ws_user_fundings",
]


log = logging.getLogger(__name__)
T = TypeVar("T")


def parse_push(parser: Callable[[object], T], data: object, what: str, *args: object) -> T | None:
    """``parser(data)``, or None for a push that does not parse (logged as ``what % args``).

    Why None and not the error: a stream goes on after one bad push (the next push, or the
    resync snapshot after a reconnect, repairs the picture), so every subscriber would catch
    and log the same way; this is that one way. ``what`` is formatted only on failure.
    """
    try:
        return parser(data)
    except ParseError:
        log.warning("unparseable " + what + " push", *args, exc_info=True)
        return None


# ---------------------------------------------------------------------------------------------
# Public: /info responses (§7). The path prefix in errors is the request type.
# ---------------------------------------------------------------------------------------------


def parse_meta(obj: object) -> Meta:
    """``meta``: universe (asset id = index, delisted included) and margin tables."""
    return read_meta(Obj(obj, "meta"))


def parse_meta_and_asset_ctxs(obj: object) -> tuple[Meta, list[AssetContext]]:
    """``metaAndAssetCtxs``: ``[meta, ctxs]``, ctxs index-aligned with the universe."""
    raw_meta, raw_ctxs = pair(obj, "metaAndAssetCtxs")
    meta = read_meta(Obj(raw_meta, "metaAndAssetCtxs[0]"))
    ctxs = list(objs(raw_ctxs, "metaAndAssetCtxs[1]"))
    if len(ctxs) != len(meta.markets):
        raise ParseError(
            "metaAndAssetCtxs[1]",
            f"{len(ctxs)} asset contexts for {len(meta.markets)} markets; they must align",
        )
    return meta, [read_asset_ctx(c, m.name) for c, m in zip(ctxs, meta.markets, strict=True)]


def parse_all_mids(obj: object) -> dict[str, Decimal]:
    """``allMids``: coin -> mid price (spot pairs appear as ``@index`` too)."""
    return read_mids(Obj(obj, "allMids"))


def parse_l2_book(obj: object, path: str = "l2Book") -> L2Book:
    """``l2Book``: ``{coin, time, levels: [bids, asks]}`` (the WS channel sends the same)."""
    return read_l2_book(Obj(obj, path))


def parse_candle(obj: object, path: str = "candle") -> Candle:
    """One candle object (also the WS ``candle`` channel's data)."""
    return read_candle(Obj(obj, path))


def parse_candles(obj: object) -> list[Candle]:
    """``candleSnapshot``: list of candles, oldest first."""
    return [read_candle(o) for o in objs(obj, "candleSnapshot")]


def parse_clearinghouse_state(obj: object) -> AccountState:
    """``clearinghouseState``: the perp account (§7.1); 2023 and current shapes."""
    return read_account_state(Obj(obj, "clearinghouseState"))


def parse_open_orders(obj: object) -> list[OpenOrder]:
    """``openOrders``: resting orders; ``origSz``/``cloid`` are missing in the old shape."""
    return [read_order(o) for o in objs(obj, "openOrders")]


def parse_frontend_open_orders(obj: object) -> list[OpenOrder]:
    """``frontendOpenOrders``: resting orders with trigger fields and TP/SL children."""
    return [read_order(o, frontend=True) for o in objs(obj, "frontendOpenOrders")]


def parse_order_status(obj: object) -> OrderStatus | None:
    """``orderStatus``: the order and its status, or None for ``{"status":"unknownOid"}``."""
    o = Obj(obj, "orderStatus")
    outer = o.text("status")
    if outer == "unknownOid":
        return None
    if outer != "order":
        raise ParseError(o.at("status"), f'expected "order" or "unknownOid", got {outer!r}')
    return read_order_status(o.obj("order"), frontend=True)


def parse_historical_orders(obj: object) -> list[OrderStatus]:
    """``historicalOrders``: up to 2000 recent orders with their final or live status."""
    return [read_order_status(o, frontend=True) for o in objs(obj, "historicalOrders")]


def parse_fills(obj: object) -> list[Fill]:
    """``userFills`` / ``userFillsByTime`` (old shape without ``tid``/``feeToken`` too)."""
    return [read_fill(o) for o in objs(obj, "userFills")]


def parse_user_funding(obj: object) -> list[FundingPayment]:
    """``userFunding``: rows ``{time, hash, delta: {type: "funding", ...}}``."""
    return [read_user_funding_row(o) for o in objs(obj, "userFunding")]


def parse_ledger_updates(obj: object) -> list[LedgerUpdate]:
    """``userNonFundingLedgerUpdates``: deposits, withdrawals, transfers, liquidations..."""
    from wallet_perps.hyperliquid.parse_ledger import read_ledger_update  # see _LEDGER_LATER

    return [read_ledger_update(o) for o in objs(obj, "userNonFundingLedgerUpdates")]


def parse_funding_history(obj: object) -> list[FundingRate]:
    """``fundingHistory``: a coin's past funding rates and premiums (max 500 per call)."""
    return [read_funding_rate(o) for o in objs(obj, "fundingHistory")]


def parse_predicted_fundings(obj: object) -> list[PredictedFunding]:
    """``predictedFundings``: flattened to one row per (coin, venue); null venues dropped."""
    return [
        p
        for value, path in array_items(obj, "predictedFundings")
        for p in read_predicted(value, path)
    ]


def parse_user_rate_limit(obj: object) -> UserRateLimit:
    """``userRateLimit``: cumulative volume and the address-based request budget."""
    return read_record(UserRateLimit, Obj(obj, "userRateLimit"))


def parse_extra_agents(obj: object) -> list[ExtraAgent]:
    """``extraAgents``: the user's named API wallets."""
    return [read_record(ExtraAgent, o) for o in objs(obj, "extraAgents")]


def parse_user_role(obj: object) -> UserRole:
    """``userRole``: role plus, for agents, the master user; for sub-accounts, the master."""
    o = Obj(obj, "userRole")
    data = o.opt_obj("data")
    return UserRole(
        role=o.text("role"),
        user=None if data is None else data.opt_text("user"),
        master=None if data is None else data.opt_text("master"),
    )


def parse_active_asset_data(obj: object, path: str = "activeAssetData") -> ActiveAssetData:
    """``activeAssetData``: leverage, max trade sizes and available-to-trade for one coin
    (the WS channel sends the same, ``markPx`` possibly absent)."""
    return read_active_asset_data(Obj(obj, path))


# ---------------------------------------------------------------------------------------------
# Public: WebSocket channel ``data`` payloads (§8.2). The path prefix is ``ws.<channel>``.
# ---------------------------------------------------------------------------------------------


def _snapshot_flag(o: Obj) -> bool:
    return o.opt_flag("isSnapshot") or False


def parse_ws_all_mids(obj: object) -> dict[str, Decimal]:
    """``allMids``: ``{mids: {coin: px}[, dex]}``."""
    return read_mids(Obj(obj, "ws.allMids").obj("mids"))


# Channels whose data is the info answer's shape: the same parser, under the ``ws.`` path.
#: ``l2Book``: a full snapshot per push.
parse_ws_l2_book: Final = functools.partial(parse_l2_book, path="ws.l2Book")
#: ``candle``: one candle, resent while it forms.
parse_ws_candle: Final = functools.partial(parse_candle, path="ws.candle")
#: ``activeAssetData``: leverage and trade limits for one coin.
parse_ws_active_asset_data: Final = functools.partial(
    parse_active_asset_data, path="ws.activeAssetData"
)


def parse_ws_trades(obj: object) -> list[Trade]:
    """``trades``: public trades; ``users`` is ``[buyer, seller]``."""
    return [read_trade(o) for o in objs(obj, "ws.trades")]


def parse_ws_bbo(obj: object) -> Bbo:
    """``bbo``: ``{coin, time, bbo: [bid | null, ask | null]}``."""
    o = Obj(obj, "ws.bbo")
    bid, ask = pair(o.get("bbo"), o.at("bbo"))
    return read_record(
        Bbo,
        o,
        bid=None if bid is None else read_level(Obj(bid, o.at("bbo") + "[0]")),
        ask=None if ask is None else read_level(Obj(ask, o.at("bbo") + "[1]")),
    )


def parse_ws_user_fills(obj: object) -> tuple[bool, list[Fill]]:
    """``userFills``: ``(is_snapshot, fills)``; a snapshot replaces, an update appends."""
    o = Obj(obj, "ws.userFills")
    return _snapshot_flag(o), [read_fill(f) for f in o.objs("fills")]


def parse_ws_user_fundings(obj: object) -> tuple[bool, list[FundingPayment]]:
    """``userFundings``: ``(is_snapshot, payments)``."""
    o = Obj(obj, "ws.userFundings")
    return _snapshot_flag(o), [read_ws_funding(f) for f in o.objs("fundings")]


def parse_ws_ledger_updates(obj: object) -> tuple[bool, list[LedgerUpdate]]:
    """``userNonFundingLedgerUpdates``: ``(is_snapshot, updates)``."""
    from wallet_perps.hyperliquid.parse_ledger import read_ledger_update  # see _LEDGER_LATER

    o = Obj(obj, "ws.userNonFundingLedgerUpdates")
    return _snapshot_flag(o), [read_ledger_update(u) for u in o.objs("nonFundingLedgerUpdates")]


def parse_ws_order_updates(obj: object) -> list[OrderStatus]:
    """``orderUpdates``: ``[{order, status, statusTimestamp}]`` with the basic order shape."""
    return [read_order_status(o, frontend=False) for o in objs(obj, "ws.orderUpdates")]


def parse_ws_open_orders(obj: object) -> list[OpenOrder]:
    """``openOrders``: ``{dex, user, orders: [frontend orders]}``."""
    o = Obj(obj, "ws.openOrders")
    return [read_order(order, frontend=True) for order in o.objs("orders")]


def parse_ws_active_asset_ctx(obj: object) -> AssetContext:
    """``activeAssetCtx``: ``{coin, ctx}`` for a perp."""
    o = Obj(obj, "ws.activeAssetCtx")
    return read_asset_ctx(o.obj("ctx"), o.text("coin"))


def parse_ws_clearinghouse_state(obj: object) -> AccountState:
    """``clearinghouseState``: ``{dex, user, clearinghouseState: {...}}``."""
    return read_account_state(Obj(obj, "ws.clearinghouseState").obj("clearinghouseState"))


def parse_ws_notification(obj: object) -> str:
    """``notification``: ``{notification: text}``."""
    return Obj(obj, "ws.notification").text("notification")


#: The userEvents liquidation is the one object whose keys are snake_case on the wire.
_SNAKE_CASE_KEYS: Final = MappingProxyType(
    {key: key for key in ("liquidated_user", "liquidated_ntl_pos", "liquidated_account_value")}
)


def parse_ws_user_events(obj: object) -> UserEvent:
    """``user`` channel (userEvents): fills | funding | liquidation | nonUserCancel.

    A message with another key (the venue has added TWAP variants) comes back as a UserEvent
    whose ``kind`` is that key and whose payload is empty, so new variants cannot break the
    stream.
    """
    o = Obj(obj, "ws.userEvents")
    if "fills" in o.raw:
        return UserEvent(UserEventKind.FILLS, fills=tuple(read_fill(f) for f in o.objs("fills")))
    if "funding" in o.raw:
        return UserEvent(UserEventKind.FUNDING, funding=read_ws_funding(o.obj("funding")))
    if "liquidation" in o.raw:
        event = read_record(LiquidationEvent, o.obj("liquidation"), wire_keys=_SNAKE_CASE_KEYS)
        return UserEvent(UserEventKind.LIQUIDATION, liquidation=event)
    if "nonUserCancel" in o.raw:
        cancels = tuple(read_record(NonUserCancel, c) for c in o.objs("nonUserCancel"))
        return UserEvent(UserEventKind.NON_USER_CANCEL, non_user_cancels=cancels)
    if not o.raw:
        raise ParseError(o.path, "empty event")
    return UserEvent(kind=next(iter(o.raw)))

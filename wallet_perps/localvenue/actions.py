"""The /exchange actions the local venue carries out, validated once into typed records.

Each builder here reads one posted action (a JSON object) the way serde deserializes it on the
real venue and returns two things: the action rebuilt as the venue hashes it (PROTOCOL §4.1,
§4.3; see :mod:`.requests`) and a frozen record of what it asks for, with ``Decimal`` prices,
sizes and amounts and lowercase addresses and cloids. The engine consumes only these records,
so nothing after this module parses a wire dict again; a structurally bad action never gets
that far (HTTP 422, :class:`~.wire_checks.BadRequest`).

What the records do not decide is the engine's business and comes back in its answers the way
the venue words it: an asset outside the universe, a price of "0", a tick or lot the market does
not allow, an amount with more than 6 decimals.

The input log keeps the posted body, not these records: a replay authenticates the same
signature over the same bytes and rebuilds the same records through this same code.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final, TypeVar

from wallet_perps.localvenue.wire_checks import (
    I64_MAX,
    I64_MIN,
    U32_MAX,
    address,
    boolean,
    cloid,
    decimal_text,
    fail,
    integer,
    obj,
    oid_or_cloid,
    opt_bool,
    opt_int,
    require,
    sequence,
    string,
)

__all__ = [
    "L1_ACTIONS",
    "USER_ACTIONS",
    "ActionRecord",
    "BatchModifyAction",
    "CancelAction",
    "CancelByCloidAction",
    "ModifyAction",
    "NoopAction",
    "OrderAction",
    "OrderRequest",
    "ScheduleCancelAction",
    "TriggerSpec",
    "UpdateIsolatedMarginAction",
    "UpdateLeverageAction",
    "UsdClassTransferAction",
    "UsdSendAction",
    "WithdrawAction",
    "as_record",
]

_TIFS: Final = frozenset(("Gtc", "Ioc", "Alo", "FrontendMarket"))
_GROUPINGS: Final = frozenset(("na", "normalTpsl", "positionTpsl"))
_SUBACCOUNT_AMOUNT_RE: Final = re.compile(r"(\S+) subaccount:(0x[0-9a-fA-F]{40})")
_T = TypeVar("_T")


# ---------------------------------------------------------------------------------------------
# Records


@dataclass(frozen=True, slots=True)
class TriggerSpec:
    """The ``trigger`` order type: fires when the mark reaches ``trigger_px``."""

    trigger_px: Decimal
    is_market: bool
    tpsl: str  # "tp" or "sl"


@dataclass(frozen=True, slots=True)
class OrderRequest:
    """One order of an ``order``/``modify`` action; ``tif`` is None exactly for triggers."""

    asset: int
    is_buy: bool
    px: Decimal
    sz: Decimal
    reduce_only: bool
    tif: str | None = None
    trigger: TriggerSpec | None = None
    cloid: str | None = None


@dataclass(frozen=True, slots=True)
class OrderAction:
    """``order``: a priority grouping ``{"p": n}`` places like ``"na"`` (``priority`` kept)."""

    orders: tuple[OrderRequest, ...]
    grouping: str = "na"
    priority: int | None = None


@dataclass(frozen=True, slots=True)
class CancelAction:
    cancels: tuple[tuple[int, int], ...]  # (asset, oid)


@dataclass(frozen=True, slots=True)
class CancelByCloidAction:
    cancels: tuple[tuple[int, str], ...]  # (asset, lowercase cloid)


@dataclass(frozen=True, slots=True)
class ModifyAction:
    oid: int | str  # an oid or a lowercase cloid
    order: OrderRequest


@dataclass(frozen=True, slots=True)
class BatchModifyAction:
    modifies: tuple[ModifyAction, ...]


@dataclass(frozen=True, slots=True)
class ScheduleCancelAction:
    time: int | None  # None clears the schedule


@dataclass(frozen=True, slots=True)
class UpdateLeverageAction:
    asset: int
    is_cross: bool
    leverage: int


@dataclass(frozen=True, slots=True)
class UpdateIsolatedMarginAction:
    asset: int
    is_buy: bool
    ntli: int  # USDC in millionths; negative removes margin


@dataclass(frozen=True, slots=True)
class _Outgoing:
    """USDC leaving the account: to ``destination``, ``time`` being the action's nonce."""

    destination: str
    amount: Decimal
    time: int


class UsdSendAction(_Outgoing):
    """``usdSend``: to another perp account on the venue."""

    __slots__ = ()


class WithdrawAction(_Outgoing):
    """``withdraw3``: off the venue (to ``destination`` on Arbitrum, on the real one)."""

    __slots__ = ()


@dataclass(frozen=True, slots=True)
class UsdClassTransferAction:
    amount: Decimal
    to_perp: bool
    nonce: int
    subaccount: str | None = None  # "<amount> subaccount:<address>" (refused by the engine)


@dataclass(frozen=True, slots=True)
class NoopAction:
    pass


ActionRecord = (
    OrderAction
    | CancelAction
    | CancelByCloidAction
    | ModifyAction
    | BatchModifyAction
    | ScheduleCancelAction
    | UpdateLeverageAction
    | UpdateIsolatedMarginAction
    | UsdSendAction
    | WithdrawAction
    | UsdClassTransferAction
    | NoopAction
)


# ---------------------------------------------------------------------------------------------
# L1 actions: (the action as hashed, its record)

Signed = dict[str, Any]


def _order_type(value: object, where: str) -> tuple[Signed, str | None, TriggerSpec | None]:
    t = obj(value, where)
    if "limit" in t and "trigger" not in t:
        limit = obj(t["limit"], f"{where}.limit")
        tif = string(require(limit, "tif", f"{where}.limit"), f"{where}.limit.tif", 32)
        if tif not in _TIFS:
            fail(f"{where}.limit.tif: unknown variant `{tif}`")
        return {"limit": {"tif": tif}}, tif, None
    if "trigger" in t and "limit" not in t:
        trig = obj(t["trigger"], f"{where}.trigger")
        w = f"{where}.trigger"
        is_market = boolean(require(trig, "isMarket", w), f"{w}.isMarket")
        trigger_px = decimal_text(require(trig, "triggerPx", w), f"{w}.triggerPx")
        tpsl = string(require(trig, "tpsl", w), f"{w}.tpsl", 8)
        if tpsl not in ("tp", "sl"):
            fail(f"{w}.tpsl: unknown variant `{tpsl}`")
        signed = {"trigger": {"isMarket": is_market, "triggerPx": trigger_px, "tpsl": tpsl}}
        return signed, None, TriggerSpec(Decimal(trigger_px), is_market, tpsl)
    fail(f"{where}: expected exactly one of `limit` or `trigger`")


def _order(value: object, where: str) -> tuple[Signed, OrderRequest]:
    o = obj(value, where)
    asset = integer(require(o, "a", where), f"{where}.a", 0, U32_MAX)
    is_buy = boolean(require(o, "b", where), f"{where}.b")
    px = decimal_text(require(o, "p", where), f"{where}.p")
    sz = decimal_text(require(o, "s", where), f"{where}.s")
    reduce_only = boolean(require(o, "r", where), f"{where}.r")
    kind, tif, trigger = _order_type(require(o, "t", where), f"{where}.t")
    signed: Signed = {"a": asset, "b": is_buy, "p": px, "s": sz, "r": reduce_only, "t": kind}
    raw_cloid = o.get("c")
    order_cloid = None
    if raw_cloid is not None:
        order_cloid = signed["c"] = cloid(raw_cloid, f"{where}.c")
    record = OrderRequest(
        asset, is_buy, Decimal(px), Decimal(sz), reduce_only, tif, trigger, order_cloid
    )
    return signed, record


def _true_flag(action: Mapping[str, Any], key: str, out: Signed) -> None:
    """Optional flags hash only when true; a posted false is valid JSON but not hashed."""
    flag = opt_bool(action, key, "action")
    if flag:
        out[key] = True


def _a_order(action: dict[str, Any]) -> tuple[Signed, OrderAction]:
    parsed = [
        _order(o, f"action.orders[{i}]")
        for i, o in enumerate(sequence(require(action, "orders", "action"), "action.orders"))
    ]
    grouping_raw = require(action, "grouping", "action")
    grouping: str | dict[str, int]
    if isinstance(grouping_raw, str):
        if grouping_raw not in _GROUPINGS:
            fail(f"action.grouping: unknown variant `{grouping_raw[:32]}`")
        grouping = grouping_raw
    else:
        g = obj(grouping_raw, "action.grouping")
        grouping = {"p": integer(require(g, "p", "action.grouping"), "action.grouping.p")}
    out: Signed = {"type": "order", "orders": [s for s, _ in parsed], "grouping": grouping}
    builder = action.get("builder")
    if builder is not None:  # accepted and ignored by the engine
        b = obj(builder, "action.builder")
        out["builder"] = {
            "b": address(require(b, "b", "action.builder"), "action.builder.b"),
            "f": integer(require(b, "f", "action.builder"), "action.builder.f"),
        }
    orders = tuple(r for _, r in parsed)
    if isinstance(grouping, dict):
        return out, OrderAction(orders, "na", grouping["p"])
    return out, OrderAction(orders, grouping)


def _cancels(
    action: dict[str, Any], asset_key: str, ref_key: str, read_ref: Callable[[object, str], _T]
) -> list[tuple[int, _T]]:
    """The (asset, order reference) pairs of a cancel action's ``cancels``."""
    out: list[tuple[int, _T]] = []
    for i, c in enumerate(sequence(require(action, "cancels", "action"), "action.cancels")):
        w = f"action.cancels[{i}]"
        o = obj(c, w)
        asset = integer(require(o, asset_key, w), f"{w}.{asset_key}", 0, U32_MAX)
        out.append((asset, read_ref(require(o, ref_key, w), f"{w}.{ref_key}")))
    return out


def _a_cancel(action: dict[str, Any]) -> tuple[Signed, CancelAction]:
    pairs = _cancels(action, "a", "o", integer)
    out: Signed = {"type": "cancel", "cancels": [{"a": a, "o": o} for a, o in pairs]}
    _true_flag(action, "f", out)
    return out, CancelAction(tuple(pairs))


def _a_cancel_by_cloid(action: dict[str, Any]) -> tuple[Signed, CancelByCloidAction]:
    pairs = _cancels(action, "asset", "cloid", cloid)
    wires = [{"asset": a, "cloid": c} for a, c in pairs]
    out: Signed = {"type": "cancelByCloid", "cancels": wires}
    _true_flag(action, "f", out)
    return out, CancelByCloidAction(tuple(pairs))


def _modify(value: dict[str, Any], where: str) -> tuple[Signed, ModifyAction]:
    oid = oid_or_cloid(require(value, "oid", where), f"{where}.oid")
    signed, order = _order(require(value, "order", where), f"{where}.order")
    return {"oid": oid, "order": signed}, ModifyAction(oid, order)


def _a_modify(action: dict[str, Any]) -> tuple[Signed, ModifyAction]:
    wire, record = _modify(action, "action")
    out: Signed = {"type": "modify", **wire}
    _true_flag(action, "a", out)
    return out, record


def _a_batch_modify(action: dict[str, Any]) -> tuple[Signed, BatchModifyAction]:
    modifies = sequence(require(action, "modifies", "action"), "action.modifies")
    parsed = [
        _modify(obj(m, f"action.modifies[{i}]"), f"action.modifies[{i}]")
        for i, m in enumerate(modifies)
    ]
    out: Signed = {"type": "batchModify", "modifies": [w for w, _ in parsed]}
    _true_flag(action, "a", out)
    return out, BatchModifyAction(tuple(r for _, r in parsed))


def _a_schedule_cancel(action: dict[str, Any]) -> tuple[Signed, ScheduleCancelAction]:
    out: Signed = {"type": "scheduleCancel"}
    time = opt_int(action, "time", "action")
    if time is not None:
        out["time"] = time
    return out, ScheduleCancelAction(time)


def _asset_setting(
    action: dict[str, Any], kind: str, flag: str, number: str, lo: int, hi: int
) -> tuple[Signed, tuple[int, bool, int]]:
    """An (asset, flag, number) action, hashed with its keys in that order."""
    asset = integer(require(action, "asset", "action"), "action.asset", 0, U32_MAX)
    flag_value = boolean(require(action, flag, "action"), f"action.{flag}")
    number_value = integer(require(action, number, "action"), f"action.{number}", lo, hi)
    signed = {"type": kind, "asset": asset, flag: flag_value, number: number_value}
    return signed, (asset, flag_value, number_value)


def _a_update_leverage(action: dict[str, Any]) -> tuple[Signed, UpdateLeverageAction]:
    signed, values = _asset_setting(action, "updateLeverage", "isCross", "leverage", 0, U32_MAX)
    return signed, UpdateLeverageAction(*values)


def _a_update_isolated_margin(
    action: dict[str, Any],
) -> tuple[Signed, UpdateIsolatedMarginAction]:
    signed, values = _asset_setting(
        action, "updateIsolatedMargin", "isBuy", "ntli", I64_MIN, I64_MAX
    )
    return signed, UpdateIsolatedMarginAction(*values)


def _a_noop(action: dict[str, Any]) -> tuple[Signed, NoopAction]:
    return {"type": "noop"}, NoopAction()


#: L1 (agent-signable) action types: each returns (the action as hashed, its record).
L1_ACTIONS: Final[Mapping[str, Callable[[dict[str, Any]], tuple[Signed, ActionRecord]]]] = {
    "order": _a_order,
    "cancel": _a_cancel,
    "cancelByCloid": _a_cancel_by_cloid,
    "modify": _a_modify,
    "batchModify": _a_batch_modify,
    "scheduleCancel": _a_schedule_cancel,
    "updateLeverage": _a_update_leverage,
    "updateIsolatedMargin": _a_update_isolated_margin,
    "noop": _a_noop,
}


# ---------------------------------------------------------------------------------------------
# User-signed actions: hashed as posted (EIP-712 fields), so only the record is built.
# (hyperliquidChain and signatureChainId belong to the signature and are checked with it.)


def _send_fields(action: dict[str, Any]) -> tuple[str, Decimal, int]:
    destination = address(require(action, "destination", "action"), "action.destination")
    amount = decimal_text(require(action, "amount", "action"), "action.amount")
    return destination, Decimal(amount), integer(require(action, "time", "action"), "action.time")


def _u_send(action: dict[str, Any]) -> UsdSendAction:
    return UsdSendAction(*_send_fields(action))


def _u_withdraw(action: dict[str, Any]) -> WithdrawAction:
    return WithdrawAction(*_send_fields(action))


def _u_class_transfer(action: dict[str, Any]) -> UsdClassTransferAction:
    amount = string(require(action, "amount", "action"), "action.amount", 100)
    match = _SUBACCOUNT_AMOUNT_RE.fullmatch(amount)
    value = decimal_text(match.group(1) if match else amount, "action.amount")
    to_perp = boolean(require(action, "toPerp", "action"), "action.toPerp")
    nonce = integer(require(action, "nonce", "action"), "action.nonce")
    subaccount = match.group(2).lower() if match else None
    return UsdClassTransferAction(Decimal(value), to_perp, nonce, subaccount)


def _u_approve_agent(action: dict[str, Any]) -> None:
    """Checked here, carried out by the authenticator (it keeps the agents)."""
    address(require(action, "agentAddress", "action"), "action.agentAddress")
    if "agentName" in action:  # absent = unnamed (§13.12); "" is accepted too (nktkas posts it)
        string(action["agentName"], "action.agentName")
    integer(require(action, "nonce", "action"), "action.nonce")


def _u_approve_builder_fee(action: dict[str, Any]) -> None:
    """Checked and accepted; builder fees are ignored by the local venue."""
    rate = string(require(action, "maxFeeRate", "action"), "action.maxFeeRate", 32)
    if not rate.endswith("%"):
        fail('action.maxFeeRate: expected a percentage such as "0.001%"')
    decimal_text(rate[:-1], "action.maxFeeRate")
    address(require(action, "builder", "action"), "action.builder")
    integer(require(action, "nonce", "action"), "action.nonce")


#: User-signed action types the venue implements: each returns its record (None: no engine
#: record, the authenticator carries it out or it changes nothing).
USER_ACTIONS: Final[Mapping[str, Callable[[dict[str, Any]], ActionRecord | None]]] = {
    "usdSend": _u_send,
    "withdraw3": _u_withdraw,
    "usdClassTransfer": _u_class_transfer,
    "approveAgent": _u_approve_agent,
    "approveBuilderFee": _u_approve_builder_fee,
}


_BUILDERS: Final[Mapping[type[Any], Callable[[dict[str, Any]], Any]]] = {
    OrderAction: lambda a: _a_order(a)[1],
    CancelAction: lambda a: _a_cancel(a)[1],
    CancelByCloidAction: lambda a: _a_cancel_by_cloid(a)[1],
    ModifyAction: lambda a: _a_modify(a)[1],
    BatchModifyAction: lambda a: _a_batch_modify(a)[1],
    ScheduleCancelAction: lambda a: _a_schedule_cancel(a)[1],
    UpdateLeverageAction: lambda a: _a_update_leverage(a)[1],
    UpdateIsolatedMarginAction: lambda a: _a_update_isolated_margin(a)[1],
    UsdSendAction: _u_send,
    WithdrawAction: _u_withdraw,
    UsdClassTransferAction: _u_class_transfer,
    NoopAction: lambda a: NoopAction(),
}


def as_record(action: object, kind: type[_T]) -> _T:
    """``action`` itself when it is already a ``kind`` record, else the record built from it
    as a wire action (the same builders as /exchange; BadRequest when it is malformed).

    The venue's action methods take either, so the engine's own callers (the synthetic flow,
    tests) may pass plain wire dicts; the server passes the record it validated.
    """
    if isinstance(action, kind):
        return action
    record: _T = _BUILDERS[kind](obj(action, "action"))
    return record

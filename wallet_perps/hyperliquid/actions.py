"""Builders for Hyperliquid /exchange actions as wire dicts in canonical key order.

The venue rebuilds msgpack from the JSON it receives using its own key order, so any deviation
here (key order, "100.0" instead of "100", a ``false`` flag that should be absent, an upper-case
address in a string field) yields a signature that recovers to a stranger and the venue answers
"User or API Wallet 0x… does not exist" (PROTOCOL.md §4.1, §13.4). Builders take ``Decimal``
and refuse floats, zero and negative prices or sizes before anything can be signed.

L1 builders return the dict to pass to ``signing.sign_l1_action``; user-signed builders return a
dict that already carries ``signatureChainId`` and ``hyperliquidChain`` for
``signing.sign_user_action``. ``approve_agent_action`` is the one case where the signed and the
posted dict differ, so it returns both.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from typing import Any, Final, Literal, NamedTuple

from wallet_perps.core.numbers import NumberError, to_wire, usd_to_micros
from wallet_perps.core.wire_values import WireValueError, normalize_address, normalize_cloid

__all__ = [
    "DEFAULT_SIGNATURE_CHAIN_ID",
    "ActionError",
    "AgentApproval",
    "Builder",
    "Grouping",
    "LimitType",
    "OrderSpec",
    "OrderType",
    "Tif",
    "Tpsl",
    "TriggerType",
    "approve_agent_action",
    "approve_builder_fee_action",
    "batch_modify_action",
    "cancel_action",
    "cancel_by_cloid_action",
    "modify_action",
    "new_cloid",
    "noop_action",
    "order_action",
    "order_wire",
    "schedule_cancel_action",
    "update_isolated_margin_action",
    "update_leverage_action",
    "usd_class_transfer_action",
    "usd_send_action",
    "usdc_out_action",
    "withdraw3_action",
]

WireDict = dict[str, Any]
Tif = Literal["Gtc", "Ioc", "Alo", "FrontendMarket"]
Tpsl = Literal["tp", "sl"]
Grouping = Literal["na", "normalTpsl", "positionTpsl"]

DEFAULT_SIGNATURE_CHAIN_ID: Final = "0x66eee"
_TIFS: Final = ("Gtc", "Ioc", "Alo", "FrontendMarket")
_TPSLS: Final = ("tp", "sl")
_GROUPINGS: Final = ("na", "normalTpsl", "positionTpsl")
_CHAIN_ID_RE: Final = re.compile(r"0x[0-9a-f]+")
_VALID_UNTIL_RE: Final = re.compile(r" valid_until \d+$")
_MAX_AGENT_NAME: Final = 16
_UINT64_MAX: Final = (1 << 64) - 1


class ActionError(ValueError):
    """An action that must not be signed; the message is meant for the user."""


@dataclass(frozen=True, slots=True)
class LimitType:
    """A resting or immediate limit order; FrontendMarket is the UI's market order (IOC)."""

    tif: Tif = "Gtc"


@dataclass(frozen=True, slots=True)
class TriggerType:
    """A TP/SL order triggered by mark price; ``is_market`` executes with slippage on trigger."""

    trigger_px: Decimal
    is_market: bool
    tpsl: Tpsl


OrderType = LimitType | TriggerType


@dataclass(frozen=True, slots=True)
class OrderSpec:
    """One order as the app thinks of it; ``order_wire`` turns it into the wire shape."""

    asset: int
    is_buy: bool
    price: Decimal
    size: Decimal
    order_type: OrderType = LimitType()
    reduce_only: bool = False
    cloid: str | None = None


@dataclass(frozen=True, slots=True)
class Builder:
    """Builder-code fee: ``fee`` in tenths of a basis point (10 = 1 bp) paid to ``address``."""

    address: str
    fee: int


class AgentApproval(NamedTuple):
    """approveAgent needs two dicts: the one to sign and the one to POST (§13.12)."""

    signing_action: WireDict
    posted_action: WireDict


# ---------------------------------------------------------------------------------------------
# Validation helpers.


def _int(value: object, what: str, *, minimum: int = 0, maximum: int = _UINT64_MAX) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ActionError(f"{what} must be an int, not {type(value).__name__}")
    if not minimum <= value <= maximum:
        raise ActionError(f"{what} {value} is outside {minimum}..{maximum}")
    return value


def _bool(value: object, what: str) -> bool:
    if not isinstance(value, bool):
        raise ActionError(f"{what} must be True or False, not {value!r}")
    return value


def _positive_wire(value: object, what: str) -> str:
    """A strictly positive Decimal as a wire string (zero would hash as "0", never useful)."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise ActionError(f"{what} must be a Decimal, not {type(value).__name__} ({value!r})")
    try:
        text = to_wire(Decimal(value))
    except NumberError as exc:
        raise ActionError(f"{what}: {exc}") from None
    if text.startswith("-") or text == "0":
        raise ActionError(f"{what} {text} must be greater than zero")
    return text


def _cloid(cloid: object) -> str:
    """A client order id in its lowercase wire form (``core.wire_values`` holds the rule)."""
    try:
        return normalize_cloid(cloid)
    except WireValueError as exc:
        raise ActionError(str(exc)) from None


def new_cloid() -> str:
    """A random client order id, so the app can track an order before the venue answers."""
    return "0x" + secrets.token_hex(16)


def _address(address: object, what: str) -> str:
    """An address in lowercase: string-typed fields hash their exact case."""
    try:
        return normalize_address(address, what)
    except WireValueError as exc:
        raise ActionError(str(exc)) from None


def _oid_or_cloid(oid: int | str) -> int | str:
    if isinstance(oid, str):
        return _cloid(oid)
    return _int(oid, "oid")


# ---------------------------------------------------------------------------------------------
# L1 actions.


def _order_type_wire(order_type: OrderType) -> WireDict:
    if isinstance(order_type, LimitType):
        if order_type.tif not in _TIFS:
            raise ActionError(f"time in force must be one of {', '.join(_TIFS)}")
        return {"limit": {"tif": order_type.tif}}
    if isinstance(order_type, TriggerType):
        if order_type.tpsl not in _TPSLS:
            raise ActionError("tpsl must be 'tp' or 'sl'")
        return {
            "trigger": {
                "isMarket": _bool(order_type.is_market, "isMarket"),
                "triggerPx": _positive_wire(order_type.trigger_px, "trigger price"),
                "tpsl": order_type.tpsl,
            }
        }
    raise ActionError(f"unknown order type {order_type!r}")


def order_wire(spec: OrderSpec) -> WireDict:
    """One order in wire form: keys a, b, p, s, r, t[, c]."""
    wire: WireDict = {
        "a": _int(spec.asset, "asset"),
        "b": _bool(spec.is_buy, "is_buy"),
        "p": _positive_wire(spec.price, "price"),
        "s": _positive_wire(spec.size, "size"),
        "r": _bool(spec.reduce_only, "reduce_only"),
        "t": _order_type_wire(spec.order_type),
    }
    if spec.cloid is not None:
        wire["c"] = _cloid(spec.cloid)
    return wire


def order_action(
    orders: Sequence[OrderSpec],
    *,
    grouping: Grouping = "na",
    builder: Builder | None = None,
) -> WireDict:
    """``{"type":"order","orders":[…],"grouping":…[,"builder":{b,f}]}``.

    For "normalTpsl" the first order is the parent and the rest its TP/SL children; for
    "positionTpsl" the orders attach to the position (§6.1).
    """
    if grouping not in _GROUPINGS:
        raise ActionError(f"grouping must be one of {', '.join(_GROUPINGS)}")
    if not orders:
        raise ActionError("an order action needs at least one order")
    action: WireDict = {
        "type": "order",
        "orders": [order_wire(spec) for spec in orders],
        "grouping": grouping,
    }
    if builder is not None:
        action["builder"] = {
            "b": _address(builder.address, "builder address"),
            "f": _int(builder.fee, "builder fee"),
        }
    return action


def _listed(kind: str, key: str, wires: list[WireDict]) -> WireDict:
    """``{"type": kind, key: wires}`` for a batch that must name at least one order."""
    if not wires:
        raise ActionError(f"a {kind} action needs at least one order")
    return {"type": kind, key: wires}


def _flagged(action: WireDict, key: str, flag: bool, what: str) -> WireDict:
    """``action`` with ``key: true`` appended only when ``flag`` is set: the venue hashes an
    absent flag, so a sent ``false`` would sign something else and be rejected."""
    if _bool(flag, what):
        action[key] = True
    return action


def cancel_action(cancels: Iterable[tuple[int, int]], *, fast: bool = False) -> WireDict:
    """Cancel by (asset, oid); ``f`` is sent only when true (a hashed false is rejected)."""
    wires = [{"a": _int(a, "asset"), "o": _int(o, "oid")} for a, o in cancels]
    return _flagged(_listed("cancel", "cancels", wires), "f", fast, "fast")


def cancel_by_cloid_action(cancels: Iterable[tuple[int, str]], *, fast: bool = False) -> WireDict:
    """Cancel by (asset, cloid); ``f`` is sent only when true."""
    wires = [{"asset": _int(a, "asset"), "cloid": _cloid(c)} for a, c in cancels]
    return _flagged(_listed("cancelByCloid", "cancels", wires), "f", fast, "fast")


def modify_action(oid: int | str, order: OrderSpec, *, always_place: bool = False) -> WireDict:
    """Replace an order (by oid or cloid); the venue gives the new order a new oid.

    ``a`` (always_place) is sent only when true.
    """
    action: WireDict = {"type": "modify", "oid": _oid_or_cloid(oid), "order": order_wire(order)}
    return _flagged(action, "a", always_place, "always_place")


def batch_modify_action(
    modifies: Iterable[tuple[int | str, OrderSpec]], *, always_place: bool = False
) -> WireDict:
    """Several modifies in one nonce; statuses come back like an order action's."""
    wires = [{"oid": _oid_or_cloid(oid), "order": order_wire(spec)} for oid, spec in modifies]
    return _flagged(_listed("batchModify", "modifies", wires), "a", always_place, "always_place")


def update_leverage_action(asset: int, leverage: int, *, is_cross: bool) -> WireDict:
    """Set leverage (an integer; the asset's maxLeverage is checked by the caller/venue)."""
    return {
        "type": "updateLeverage",
        "asset": _int(asset, "asset"),
        "isCross": _bool(is_cross, "is_cross"),
        "leverage": _int(leverage, "leverage", minimum=1, maximum=1000),
    }


def update_isolated_margin_action(
    asset: int, amount_usd: Decimal, *, is_buy: bool = True
) -> WireDict:
    """Add (positive) or remove (negative) isolated margin; ``ntli`` is micro-USD.

    ``isBuy`` has no effect at the venue but is part of the hash; the SDK sends true.
    """
    if isinstance(amount_usd, float) or not isinstance(amount_usd, Decimal | int):
        raise ActionError("margin amount must be a Decimal")
    try:
        ntli = usd_to_micros(amount_usd)
    except NumberError as exc:
        raise ActionError(f"margin amount: {exc}") from None
    if ntli == 0:
        raise ActionError("margin amount must not be zero")
    return {
        "type": "updateIsolatedMargin",
        "asset": _int(asset, "asset"),
        "isBuy": _bool(is_buy, "is_buy"),
        "ntli": _int(ntli, "ntli", minimum=-(1 << 63), maximum=(1 << 63) - 1),
    }


def schedule_cancel_action(time_ms: int | None = None) -> WireDict:
    """Dead man's switch: cancel all orders at ``time_ms`` (≥ 5 s ahead), or clear it (None)."""
    action: WireDict = {"type": "scheduleCancel"}
    if time_ms is not None:
        action["time"] = _int(time_ms, "time")
    return action


def noop_action() -> WireDict:
    """Burns a nonce, e.g. to invalidate an in-flight signed action (§5)."""
    return {"type": "noop"}


# ---------------------------------------------------------------------------------------------
# User-signed actions (master key only).


def _chain_fields(is_mainnet: bool, signature_chain_id: str) -> WireDict:
    if not isinstance(signature_chain_id, str) or not _CHAIN_ID_RE.fullmatch(signature_chain_id):
        raise ActionError(f"signatureChainId {signature_chain_id!r} must be lowercase 0x hex")
    return {
        "signatureChainId": signature_chain_id,
        "hyperliquidChain": "Mainnet" if _bool(is_mainnet, "is_mainnet") else "Testnet",
    }


def _amount(amount: Decimal, what: str = "amount") -> str:
    return _positive_wire(amount, what)


def usdc_out_action(
    kind: Literal["usdSend", "withdraw3"],
    destination: str,
    amount: Decimal,
    time_ms: int,
    *,
    is_mainnet: bool,
    signature_chain_id: str = DEFAULT_SIGNATURE_CHAIN_ID,
) -> WireDict:
    """USDC leaving the account: ``usdSend`` to another Hyperliquid account, or ``withdraw3``
    to Arbitrum (the venue charges a $1 fee). The two share one shape; only the type (and so
    the EIP-712 struct) differs. ``time_ms`` must equal the request nonce."""
    return {
        "type": kind,
        "destination": _address(destination, "destination"),
        "amount": _amount(amount),
        "time": _int(time_ms, "time"),
        **_chain_fields(is_mainnet, signature_chain_id),
    }


#: Send USDC to another Hyperliquid account (``usdSend``).
usd_send_action: Final = partial(usdc_out_action, "usdSend")
#: Withdraw USDC to Arbitrum (``withdraw3``); the venue charges a $1 fee.
withdraw3_action: Final = partial(usdc_out_action, "withdraw3")


def usd_class_transfer_action(
    amount: Decimal,
    to_perp: bool,
    nonce: int,
    *,
    is_mainnet: bool,
    sub_account: str | None = None,
    signature_chain_id: str = DEFAULT_SIGNATURE_CHAIN_ID,
) -> WireDict:
    """Move USDC between spot and perp; a sub-account is named inside ``amount`` (§6.6)."""
    text = _amount(amount)
    if sub_account is not None:
        text += f" subaccount:{_address(sub_account, 'sub-account')}"
    return {
        "type": "usdClassTransfer",
        "amount": text,
        "toPerp": _bool(to_perp, "to_perp"),
        "nonce": _int(nonce, "nonce"),
        **_chain_fields(is_mainnet, signature_chain_id),
    }


def approve_agent_action(
    agent_address: str,
    nonce: int,
    *,
    is_mainnet: bool,
    name: str | None = None,
    valid_until_ms: int | None = None,
    signature_chain_id: str = DEFAULT_SIGNATURE_CHAIN_ID,
) -> AgentApproval:
    """Approve an API (agent) wallet; returns the dict to sign and the dict to POST.

    Unnamed agents are signed with ``agentName: ""`` but the posted action must omit the
    field, because the API rejects an explicit empty name (§13.12). A named agent may expire:
    ``valid_until_ms`` appends " valid_until <ms>" to the name (at most 180 days ahead).
    """
    if name is None:
        if valid_until_ms is not None:
            raise ActionError("only a named agent can have valid_until")
        agent_name = ""
    else:
        if not isinstance(name, str):
            raise ActionError("agent name must be a string")
        if not 1 <= len(name) <= _MAX_AGENT_NAME:
            raise ActionError(f"agent name must be 1 to {_MAX_AGENT_NAME} characters")
        if "valid_until" in name:
            raise ActionError("pass the expiry as valid_until_ms, not inside the name")
        agent_name = name
        if valid_until_ms is not None:
            agent_name += f" valid_until {_int(valid_until_ms, 'valid_until')}"
    signing_action: WireDict = {
        "type": "approveAgent",
        "agentAddress": _address(agent_address, "agent address"),
        "agentName": agent_name,
        "nonce": _int(nonce, "nonce"),
        **_chain_fields(is_mainnet, signature_chain_id),
    }
    posted_action = dict(signing_action)
    if name is None:
        del posted_action["agentName"]
    return AgentApproval(signing_action, posted_action)


def approve_builder_fee_action(
    builder: str,
    max_fee_rate_percent: Decimal,
    nonce: int,
    *,
    is_mainnet: bool,
    signature_chain_id: str = DEFAULT_SIGNATURE_CHAIN_ID,
) -> WireDict:
    """Allow ``builder`` to charge up to ``max_fee_rate_percent`` % (e.g. 0.001 -> "0.001%").

    Zero is allowed: it is how a user revokes a builder.
    """
    if isinstance(max_fee_rate_percent, float):
        raise ActionError("max fee rate must be a Decimal, not a float")
    try:
        rate = to_wire(max_fee_rate_percent)
    except NumberError as exc:
        raise ActionError(f"max fee rate: {exc}") from None
    if rate.startswith("-"):
        raise ActionError(f"max fee rate {rate}% must not be negative")
    return {
        "type": "approveBuilderFee",
        "maxFeeRate": f"{rate}%",
        "builder": _address(builder, "builder address"),
        "nonce": _int(nonce, "nonce"),
        **_chain_fields(is_mainnet, signature_chain_id),
    }

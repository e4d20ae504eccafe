"""Structural validation of raw /info and /exchange bodies, answered the way Hyperliquid does.

The real venue is a Rust (axum + serde) service. A body that is not JSON gets HTTP 400, a body
that is JSON but does not deserialize into the request type gets HTTP 422 with the plain text
``Failed to deserialize the JSON body into the target type``, for /info and /exchange alike
(live answers quoted in ccxt/ccxt#27081 for /exchange and NoFxAiOS/nofx#63 for /info; both show
the bare sentence with no serde detail, so ``BadRequest.text`` is exactly that and the detail
goes to ``BadRequest.detail`` for logs). Only *shape* is checked here: field presence, JSON
types, enum values, integer ranges, decimal-string syntax. Whether a price is on the tick or an
order is too small is the engine's business and comes back inside ``statuses``.

Every function here raises ``BadRequest`` and nothing else, whatever it is fed: the server calls
it on untrusted input before anything else and must never turn a hostile body into a 500.

/exchange actions are kept **exactly as posted** in ``ExchangeRequest.action`` (key order and
all). Alongside, ``ExchangeRequest.signed_action`` is the action rebuilt the way the venue
rebuilds it before hashing (PROTOCOL.md §4.1, §4.3): canonical key order, unknown keys dropped,
optional ``false`` flags and ``null`` options omitted, decimal strings without redundant zeros,
hex lowercase. For a correct client the two pack to identical msgpack bytes; for a client that
signs ``"100.0"``, ``"f": false`` or keys in another order the signature recovers a stranger,
exactly as on the real venue ("User or API Wallet 0x… does not exist.").
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final, NoReturn

from wallet_perps.hyperliquid.signing import USER_ACTION_TYPES

__all__ = [
    "DESERIALIZE_TEXT",
    "KNOWN_UNSUPPORTED_ACTION_TYPES",
    "MAX_BODY_BYTES",
    "SUPPORTED_ACTION_TYPES",
    "SUPPORTED_INFO_TYPES",
    "USER_SIGNED_ACTION_TYPES",
    "BadRequest",
    "ExchangeRequest",
    "InfoRequest",
    "decode_json_body",
    "parse_exchange_request",
    "parse_info_request",
    "strict_decimal",
]

# Texts of axum's stock rejections (axum::extract::rejection), which the venue passes through.
DESERIALIZE_TEXT: Final = "Failed to deserialize the JSON body into the target type"
_SYNTAX_TEXT: Final = "Failed to parse the request body as JSON"
_TOO_LARGE_TEXT: Final = "Failed to buffer the request body: length limit exceeded"

_MAX_DEPTH: Final = 128

MAX_BODY_BYTES: Final = 64 * 1024
"""Both endpoints: the largest real request (a batch of a few hundred orders) is far below."""

_U32_MAX: Final = (1 << 32) - 1
_U64_MAX: Final = (1 << 64) - 1
_I64_MIN: Final = -(1 << 63)
_I64_MAX: Final = (1 << 63) - 1
_MAX_INT_DIGITS: Final = 15  # values >= 1e15 are absurd for any price, size or amount
_MAX_FRAC_DIGITS: Final = 20
_MAX_DECIMAL_LEN: Final = 40

_DECIMAL_RE: Final = re.compile(r"([0-9]+)(?:\.([0-9]+))?")
_ADDRESS_RE: Final = re.compile(r"0x[0-9a-fA-F]{40}")
_CLOID_RE: Final = re.compile(r"0x[0-9a-fA-F]{32}")
_SIG_HEX_RE: Final = re.compile(r"0x[0-9a-fA-F]{1,64}")
_CHAIN_ID_RE: Final = re.compile(r"0x[0-9a-fA-F]{1,16}")
_SUBACCOUNT_AMOUNT_RE: Final = re.compile(r"(\S+) subaccount:(0x[0-9a-fA-F]{40})")

_INTERVALS: Final = frozenset(
    ("1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "8h", "12h", "1d", "3d", "1w", "1M")
)
_TIFS: Final = frozenset(("Gtc", "Ioc", "Alo", "FrontendMarket"))
_GROUPINGS: Final = frozenset(("na", "normalTpsl", "positionTpsl"))
_CHAINS: Final = frozenset(("Mainnet", "Testnet"))


class BadRequest(Exception):
    """A body the venue cannot read: answered as text/plain with ``status``.

    ``text`` is the venue's exact body; ``detail`` says what was wrong, for logs and tests
    (the real venue does not echo it, see the module docstring).
    """

    def __init__(self, status: int, text: str, detail: str = "") -> None:
        super().__init__(f"{status} {text}" + (f" ({detail})" if detail else ""))
        self.status = status
        self.text = text
        self.detail = detail

    def __reduce__(self) -> tuple[type[BadRequest], tuple[int, str, str]]:
        return (BadRequest, (self.status, self.text, self.detail))


def _fail(detail: str) -> NoReturn:
    raise BadRequest(422, DESERIALIZE_TEXT, detail)


# ---------------------------------------------------------------------------------------------
# Body decoding.


class _DuplicateKey(Exception):
    pass


def _pairs_hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """Build objects in posted order, refusing duplicate keys as serde does."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKey(key)
        out[key] = value
    return out


def _refuse_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not JSON")


def decode_json_body(raw: bytes, *, limit: int = MAX_BODY_BYTES) -> Any:
    """Bytes of a POST body to JSON: 413 when too large, 400 when not JSON, 422 on dup keys.

    Python's json accepts NaN/Infinity and silently keeps the last of duplicate keys; serde
    does neither, so both are refused here.
    """
    if not isinstance(raw, bytes | bytearray | memoryview):
        raise BadRequest(400, _SYNTAX_TEXT, "body is not bytes")
    data = bytes(raw)
    if len(data) > limit:
        raise BadRequest(413, _TOO_LARGE_TEXT, f"{len(data)} bytes > {limit}")
    try:
        text = data.decode("utf-8")
        value = json.loads(text, object_pairs_hook=_pairs_hook, parse_constant=_refuse_constant)
    except _DuplicateKey as exc:
        raise BadRequest(422, DESERIALIZE_TEXT, f"duplicate field `{exc.args[0]}`") from None
    except (ValueError, RecursionError) as exc:  # JSONDecodeError and UnicodeError included
        raise BadRequest(400, _SYNTAX_TEXT, str(exc)[:200]) from None
    if _too_deep(value):
        raise BadRequest(400, _SYNTAX_TEXT, f"recursion limit exceeded (> {_MAX_DEPTH})")
    return value


def _too_deep(value: Any) -> bool:
    """serde_json stops at 128 levels; so do we, iteratively, so nothing later can recurse."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            items: Any = item.values()
        elif isinstance(item, list):
            items = item
        else:
            continue
        if depth > _MAX_DEPTH:
            return True
        stack.extend((child, depth + 1) for child in items)
    return False


# ---------------------------------------------------------------------------------------------
# Primitive checks (all raise BadRequest 422).


def _obj(value: object, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        _fail(f"{where}: expected an object, got {_kind(value)}")
    return value


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a float"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a sequence"
    if isinstance(value, dict):
        return "a map"
    return type(value).__name__


def _require(obj: Mapping[str, Any], key: str, where: str) -> Any:
    if key not in obj:
        _fail(f"{where}: missing field `{key}`")
    return obj[key]


def _int(value: object, where: str, lo: int = 0, hi: int = _U64_MAX) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        _fail(f"{where}: expected an integer, got {_kind(value)}")
    if not lo <= value <= hi:
        _fail(f"{where}: integer {value} out of range {lo}..{hi}")
    return value


def _opt_int(obj: Mapping[str, Any], key: str, where: str) -> int | None:
    value = obj.get(key)
    return None if value is None else _int(value, f"{where}.{key}")


def _bool(value: object, where: str) -> bool:
    if not isinstance(value, bool):
        _fail(f"{where}: expected a boolean, got {_kind(value)}")
    return value


def _opt_bool(obj: Mapping[str, Any], key: str, where: str) -> bool | None:
    value = obj.get(key)
    return None if value is None else _bool(value, f"{where}.{key}")


def _str(value: object, where: str, max_len: int = 256) -> str:
    if not isinstance(value, str):
        _fail(f"{where}: expected a string, got {_kind(value)}")
    if len(value) > max_len:
        _fail(f"{where}: string longer than {max_len} characters")
    return value


def _address(value: object, where: str) -> str:
    """Any-case 0x address; returned lowercase (how the venue stores and prints it)."""
    text = _str(value, where, 42)
    if not _ADDRESS_RE.fullmatch(text):
        _fail(f"{where}: expected a 0x address (40 hex digits)")
    return text.lower()


def _cloid(value: object, where: str) -> str:
    text = _str(value, where, 34)
    if not _CLOID_RE.fullmatch(text):
        _fail(f"{where}: expected a cloid (0x + 32 hex digits)")
    return text.lower()


def _oid_or_cloid(value: object, where: str) -> int | str:
    if isinstance(value, str):
        return _cloid(value, where)
    return _int(value, where)


def _decimal(value: object, where: str) -> str:
    """An unsigned decimal string ("12", "0.5"): no sign, exponent, space or NaN.

    Returns the canonical form the venue hashes (redundant zeros stripped, like nktkas's
    normalizeDecimalString and the Python SDK's float_to_wire). Absurd magnitudes are refused:
    more than 15 integer digits, 20 fraction digits or 40 characters.
    """
    text = _str(value, where, _MAX_DECIMAL_LEN)
    match = _DECIMAL_RE.fullmatch(text)
    if match is None:
        _fail(f'{where}: expected a decimal string such as "12.5", got {text!r}')
    whole = match.group(1).lstrip("0") or "0"
    frac = (match.group(2) or "").rstrip("0")
    if len(whole) > _MAX_INT_DIGITS or len(match.group(2) or "") > _MAX_FRAC_DIGITS:
        _fail(f"{where}: decimal {text!r} is out of range")
    return f"{whole}.{frac}" if frac else whole


def strict_decimal(value: object, where: str) -> Decimal:
    """The one strict reader of a wire number, for callers outside request parsing.

    Accepts exactly what ``/exchange`` accepts for a price or amount (an unsigned decimal
    string); raises ``ValueError`` saying what was wrong otherwise ("1e3", " 1", "1_0", "NaN",
    numbers that are not strings).
    """
    try:
        return Decimal(_decimal(value, where))
    except BadRequest as exc:
        raise ValueError(exc.detail) from None


def _list(value: object, where: str) -> list[Any]:
    if not isinstance(value, list):
        _fail(f"{where}: expected a sequence, got {_kind(value)}")
    return value


# ---------------------------------------------------------------------------------------------
# /info


@dataclass(frozen=True, slots=True)
class InfoRequest:
    """A validated /info request: ``type`` plus whichever typed fields that type takes.

    candleSnapshot's nested ``req`` lands in ``coin``/``interval``/``start_ms``/``end_ms``.
    ``user`` and ``builder`` are lowercase; ``oid`` is an int or a lowercase cloid.
    """

    type: str
    user: str | None = None
    coin: str | None = None
    oid: int | str | None = None
    start_ms: int | None = None
    end_ms: int | None = None
    interval: str | None = None
    n_sig_figs: int | None = None
    mantissa: int | None = None
    aggregate_by_time: bool = False
    reversed: bool = False
    dex: str = ""
    builder: str | None = None


_InfoFieldParser = Callable[[dict[str, Any], dict[str, Any]], None]


def _f_user(body: dict[str, Any], out: dict[str, Any]) -> None:
    out["user"] = _address(_require(body, "user", "info"), "info.user")


def _f_coin(body: dict[str, Any], out: dict[str, Any]) -> None:
    out["coin"] = _str(_require(body, "coin", "info"), "info.coin", 64)


def _f_dex(body: dict[str, Any], out: dict[str, Any]) -> None:
    value = body.get("dex")
    out["dex"] = "" if value is None else _str(value, "info.dex", 64)


def _f_oid(body: dict[str, Any], out: dict[str, Any]) -> None:
    out["oid"] = _oid_or_cloid(_require(body, "oid", "info"), "info.oid")


def _f_start_required(body: dict[str, Any], out: dict[str, Any]) -> None:
    out["start_ms"] = _int(_require(body, "startTime", "info"), "info.startTime")


def _f_end(body: dict[str, Any], out: dict[str, Any]) -> None:
    out["end_ms"] = _opt_int(body, "endTime", "info")


def _f_aggregate(body: dict[str, Any], out: dict[str, Any]) -> None:
    out["aggregate_by_time"] = bool(_opt_bool(body, "aggregateByTime", "info"))


def _f_reversed(body: dict[str, Any], out: dict[str, Any]) -> None:
    out["reversed"] = bool(_opt_bool(body, "reversed", "info"))


def _f_builder(body: dict[str, Any], out: dict[str, Any]) -> None:
    out["builder"] = _address(_require(body, "builder", "info"), "info.builder")


def _f_book_grouping(body: dict[str, Any], out: dict[str, Any]) -> None:
    """nSigFigs 2..5 or null; mantissa 1|2|5 or null, and only together with nSigFigs 5."""
    sig = body.get("nSigFigs")
    if sig is not None and (isinstance(sig, bool) or sig not in (2, 3, 4, 5)):
        _fail("info.nSigFigs: expected 2, 3, 4, 5 or null")
    mantissa = body.get("mantissa")
    if mantissa is not None:
        if isinstance(mantissa, bool) or mantissa not in (1, 2, 5):
            _fail("info.mantissa: expected 1, 2, 5 or null")
        if sig != 5:
            _fail("info.mantissa: only allowed with nSigFigs 5")
    out["n_sig_figs"] = sig
    out["mantissa"] = mantissa


def _f_candle_req(body: dict[str, Any], out: dict[str, Any]) -> None:
    req = _obj(_require(body, "req", "info"), "info.req")
    out["coin"] = _str(_require(req, "coin", "info.req"), "info.req.coin", 64)
    interval = _str(_require(req, "interval", "info.req"), "info.req.interval", 8)
    if interval not in _INTERVALS:
        _fail(f"info.req.interval: unknown variant `{interval}`")
    out["interval"] = interval
    out["start_ms"] = _int(_require(req, "startTime", "info.req"), "info.req.startTime")
    out["end_ms"] = _opt_int(req, "endTime", "info.req")


# Request shapes follow the docs (info-endpoint, perpetuals, spot) and nktkas's request
# schemas (src/api/info/_methods/*.ts @ db80d598). Unknown extra fields are ignored, as serde
# does by default.
_INFO_SHAPES: Final[Mapping[str, tuple[_InfoFieldParser, ...]]] = {
    "meta": (_f_dex,),
    "spotMeta": (),
    "metaAndAssetCtxs": (_f_dex,),
    "spotMetaAndAssetCtxs": (),
    "allMids": (_f_dex,),
    "l2Book": (_f_coin, _f_book_grouping),
    "candleSnapshot": (_f_candle_req,),
    "clearinghouseState": (_f_user, _f_dex),
    "spotClearinghouseState": (_f_user, _f_dex),
    "openOrders": (_f_user, _f_dex),
    "frontendOpenOrders": (_f_user, _f_dex),
    "orderStatus": (_f_user, _f_oid),
    "historicalOrders": (_f_user,),
    "userFills": (_f_user, _f_aggregate),
    "userFillsByTime": (_f_user, _f_start_required, _f_end, _f_aggregate, _f_reversed),
    "userFunding": (_f_user, _f_start_required, _f_end),
    "userNonFundingLedgerUpdates": (_f_user, _f_start_required, _f_end),
    "fundingHistory": (_f_coin, _f_start_required, _f_end),
    "predictedFundings": (),
    "userRateLimit": (_f_user,),
    "userRole": (_f_user,),
    "extraAgents": (_f_user,),
    "activeAssetData": (_f_user, _f_coin),
    "userFees": (_f_user,),
    "maxBuilderFee": (_f_user, _f_builder),
    "perpDexs": (),
    "exchangeStatus": (),
}

SUPPORTED_INFO_TYPES: Final = frozenset(_INFO_SHAPES)


def parse_info_request(body: Any) -> InfoRequest:
    """Validate a decoded /info body; unknown ``type`` or wrong field types answer 422."""
    try:
        obj = _obj(body, "info")
        kind = _str(_require(obj, "type", "info"), "info.type", 64)
        shape = _INFO_SHAPES.get(kind)
        if shape is None:
            _fail(f"info.type: unknown variant `{kind}`")
        fields: dict[str, Any] = {}
        for parse_field in shape:
            parse_field(obj, fields)
        return InfoRequest(type=kind, **fields)
    except BadRequest:
        raise
    except Exception as exc:  # pragma: no cover - defensive: never let anything else escape
        raise BadRequest(422, DESERIALIZE_TEXT, f"unexpected {type(exc).__name__}") from None


# ---------------------------------------------------------------------------------------------
# /exchange


@dataclass(frozen=True, slots=True)
class ExchangeRequest:
    """A structurally valid /exchange body.

    ``action`` is the posted action object itself (never re-ordered); ``signed_action`` is what
    the venue hashes (see the module docstring) and is the same object for user-signed actions.
    ``signature`` holds the posted r, s, v. ``supported`` is False for genuine Hyperliquid
    action types the local venue does not implement (only ``type`` was checked then); the
    authenticator refuses those with a readable error instead of a 422.
    """

    action: dict[str, Any]
    action_type: str
    nonce: int
    signature: dict[str, Any]
    vault_address: str | None
    expires_after: int | None
    signed_action: dict[str, Any]
    is_user_signed: bool
    supported: bool = True


def _order_type(value: object, where: str) -> dict[str, Any]:
    t = _obj(value, where)
    if "limit" in t and "trigger" not in t:
        limit = _obj(t["limit"], f"{where}.limit")
        tif = _str(_require(limit, "tif", f"{where}.limit"), f"{where}.limit.tif", 32)
        if tif not in _TIFS:
            _fail(f"{where}.limit.tif: unknown variant `{tif}`")
        return {"limit": {"tif": tif}}
    if "trigger" in t and "limit" not in t:
        trig = _obj(t["trigger"], f"{where}.trigger")
        w = f"{where}.trigger"
        is_market = _bool(_require(trig, "isMarket", w), f"{w}.isMarket")
        trigger_px = _decimal(_require(trig, "triggerPx", w), f"{w}.triggerPx")
        tpsl = _str(_require(trig, "tpsl", w), f"{w}.tpsl", 8)
        if tpsl not in ("tp", "sl"):
            _fail(f"{w}.tpsl: unknown variant `{tpsl}`")
        return {"trigger": {"isMarket": is_market, "triggerPx": trigger_px, "tpsl": tpsl}}
    _fail(f"{where}: expected exactly one of `limit` or `trigger`")


def _order_wire(value: object, where: str) -> dict[str, Any]:
    o = _obj(value, where)
    wire: dict[str, Any] = {
        "a": _int(_require(o, "a", where), f"{where}.a", 0, _U32_MAX),
        "b": _bool(_require(o, "b", where), f"{where}.b"),
        "p": _decimal(_require(o, "p", where), f"{where}.p"),
        "s": _decimal(_require(o, "s", where), f"{where}.s"),
        "r": _bool(_require(o, "r", where), f"{where}.r"),
        "t": _order_type(_require(o, "t", where), f"{where}.t"),
    }
    cloid = o.get("c")
    if cloid is not None:
        wire["c"] = _cloid(cloid, f"{where}.c")
    return wire


def _true_flag(action: Mapping[str, Any], key: str, out: dict[str, Any]) -> None:
    """Optional flags hash only when true; a posted false is valid JSON but not hashed."""
    flag = _opt_bool(action, key, "action")
    if flag:
        out[key] = True


def _a_order(action: dict[str, Any]) -> dict[str, Any]:
    orders = _list(_require(action, "orders", "action"), "action.orders")
    wires = [_order_wire(o, f"action.orders[{i}]") for i, o in enumerate(orders)]
    grouping_raw = _require(action, "grouping", "action")
    grouping: str | dict[str, int]
    if isinstance(grouping_raw, str):
        if grouping_raw not in _GROUPINGS:
            _fail(f"action.grouping: unknown variant `{grouping_raw[:32]}`")
        grouping = grouping_raw
    else:
        g = _obj(grouping_raw, "action.grouping")
        grouping = {"p": _int(_require(g, "p", "action.grouping"), "action.grouping.p")}
    out: dict[str, Any] = {"type": "order", "orders": wires, "grouping": grouping}
    builder = action.get("builder")
    if builder is not None:
        b = _obj(builder, "action.builder")
        out["builder"] = {
            "b": _address(_require(b, "b", "action.builder"), "action.builder.b"),
            "f": _int(_require(b, "f", "action.builder"), "action.builder.f"),
        }
    return out


def _a_cancel(action: dict[str, Any]) -> dict[str, Any]:
    cancels = _list(_require(action, "cancels", "action"), "action.cancels")
    wires = []
    for i, c in enumerate(cancels):
        w = f"action.cancels[{i}]"
        obj = _obj(c, w)
        wires.append(
            {
                "a": _int(_require(obj, "a", w), f"{w}.a", 0, _U32_MAX),
                "o": _int(_require(obj, "o", w), f"{w}.o"),
            }
        )
    out: dict[str, Any] = {"type": "cancel", "cancels": wires}
    _true_flag(action, "f", out)
    return out


def _a_cancel_by_cloid(action: dict[str, Any]) -> dict[str, Any]:
    cancels = _list(_require(action, "cancels", "action"), "action.cancels")
    wires = []
    for i, c in enumerate(cancels):
        w = f"action.cancels[{i}]"
        obj = _obj(c, w)
        wires.append(
            {
                "asset": _int(_require(obj, "asset", w), f"{w}.asset", 0, _U32_MAX),
                "cloid": _cloid(_require(obj, "cloid", w), f"{w}.cloid"),
            }
        )
    out: dict[str, Any] = {"type": "cancelByCloid", "cancels": wires}
    _true_flag(action, "f", out)
    return out


def _a_modify(action: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "type": "modify",
        "oid": _oid_or_cloid(_require(action, "oid", "action"), "action.oid"),
        "order": _order_wire(_require(action, "order", "action"), "action.order"),
    }
    _true_flag(action, "a", out)
    return out


def _a_batch_modify(action: dict[str, Any]) -> dict[str, Any]:
    modifies = _list(_require(action, "modifies", "action"), "action.modifies")
    wires = []
    for i, m in enumerate(modifies):
        w = f"action.modifies[{i}]"
        obj = _obj(m, w)
        wires.append(
            {
                "oid": _oid_or_cloid(_require(obj, "oid", w), f"{w}.oid"),
                "order": _order_wire(_require(obj, "order", w), f"{w}.order"),
            }
        )
    out: dict[str, Any] = {"type": "batchModify", "modifies": wires}
    _true_flag(action, "a", out)
    return out


def _a_schedule_cancel(action: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "scheduleCancel"}
    time = _opt_int(action, "time", "action")
    if time is not None:
        out["time"] = time
    return out


def _a_update_leverage(action: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "updateLeverage",
        "asset": _int(_require(action, "asset", "action"), "action.asset", 0, _U32_MAX),
        "isCross": _bool(_require(action, "isCross", "action"), "action.isCross"),
        "leverage": _int(_require(action, "leverage", "action"), "action.leverage", 0, _U32_MAX),
    }


def _a_update_isolated_margin(action: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "updateIsolatedMargin",
        "asset": _int(_require(action, "asset", "action"), "action.asset", 0, _U32_MAX),
        "isBuy": _bool(_require(action, "isBuy", "action"), "action.isBuy"),
        "ntli": _int(_require(action, "ntli", "action"), "action.ntli", _I64_MIN, _I64_MAX),
    }


def _a_noop(action: dict[str, Any]) -> dict[str, Any]:
    return {"type": "noop"}


_L1_ACTIONS: Final[Mapping[str, Callable[[dict[str, Any]], dict[str, Any]]]] = {
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


def _user_common(action: dict[str, Any]) -> None:
    chain = _str(_require(action, "hyperliquidChain", "action"), "action.hyperliquidChain", 16)
    if chain not in _CHAINS:
        _fail(f"action.hyperliquidChain: unknown variant `{chain}`")
    chain_id = _str(_require(action, "signatureChainId", "action"), "action.signatureChainId", 18)
    if not _CHAIN_ID_RE.fullmatch(chain_id) or int(chain_id, 16) == 0:
        _fail("action.signatureChainId: expected a non-zero 0x hex chain id")


def _u_send(action: dict[str, Any]) -> None:  # usdSend and withdraw3
    _address(_require(action, "destination", "action"), "action.destination")
    _decimal(_require(action, "amount", "action"), "action.amount")
    _int(_require(action, "time", "action"), "action.time")


def _u_class_transfer(action: dict[str, Any]) -> None:
    amount = _str(_require(action, "amount", "action"), "action.amount", 100)
    match = _SUBACCOUNT_AMOUNT_RE.fullmatch(amount)
    _decimal(match.group(1) if match else amount, "action.amount")
    _bool(_require(action, "toPerp", "action"), "action.toPerp")
    _int(_require(action, "nonce", "action"), "action.nonce")


def _u_approve_agent(action: dict[str, Any]) -> None:
    _address(_require(action, "agentAddress", "action"), "action.agentAddress")
    if "agentName" in action:  # absent = unnamed (§13.12); "" is accepted too (nktkas posts it)
        _str(action["agentName"], "action.agentName")
    _int(_require(action, "nonce", "action"), "action.nonce")


def _u_approve_builder_fee(action: dict[str, Any]) -> None:
    rate = _str(_require(action, "maxFeeRate", "action"), "action.maxFeeRate", 32)
    if not rate.endswith("%"):
        _fail('action.maxFeeRate: expected a percentage such as "0.001%"')
    _decimal(rate[:-1], "action.maxFeeRate")
    _address(_require(action, "builder", "action"), "action.builder")
    _int(_require(action, "nonce", "action"), "action.nonce")


_USER_ACTIONS: Final[Mapping[str, Callable[[dict[str, Any]], None]]] = {
    "usdSend": _u_send,
    "withdraw3": _u_send,
    "usdClassTransfer": _u_class_transfer,
    "approveAgent": _u_approve_agent,
    "approveBuilderFee": _u_approve_builder_fee,
}

USER_SIGNED_ACTION_TYPES: Final = frozenset(USER_ACTION_TYPES) - {"sendMultiSig"}
SUPPORTED_ACTION_TYPES: Final = frozenset(_L1_ACTIONS) | frozenset(_USER_ACTIONS)

# Genuine Hyperliquid action types (PROTOCOL.md §4.1, §6; docs exchange-endpoint) the local
# venue does not implement. They get a readable "not supported" error from the authenticator
# rather than the 422 a made-up type gets, so a user of a richer client learns why.
KNOWN_UNSUPPORTED_ACTION_TYPES: Final = frozenset(
    {
        "twapOrder",
        "twapCancel",
        "topUpIsolatedOnlyMargin",
        "reserveRequestWeight",
        "createSubAccount",
        "subAccountTransfer",
        "subAccountSpotTransfer",
        "vaultTransfer",
        "createVault",
        "setReferrer",
        "registerReferrer",
        "claimRewards",
        "evmUserModify",
        "setDisplayName",
        "spotUser",
        "cDeposit",
        "cWithdraw",
        "multiSig",
        "agentSendAsset",
        "agentEnableDexAbstraction",
        "agentSetAbstraction",
        "perpDeploy",
        "spotDeploy",
        "linkStakingUser",
        "borrowLend",
        "sendToEvmWithData",
        "validatorL1Stream",
        "CValidatorAction",
        "CSignerAction",
    }
    | (USER_SIGNED_ACTION_TYPES - frozenset(_USER_ACTIONS))
)


def _signature(value: object) -> dict[str, Any]:
    sig = _obj(value, "signature")
    r = _str(_require(sig, "r", "signature"), "signature.r", 66)
    s = _str(_require(sig, "s", "signature"), "signature.s", 66)
    for name, text in (("r", r), ("s", s)):
        if not _SIG_HEX_RE.fullmatch(text):
            _fail(f"signature.{name}: expected 0x + 1 to 64 hex digits")
    v = _int(_require(sig, "v", "signature"), "signature.v", 0, 255)
    return {"r": r, "s": s, "v": v}


def parse_exchange_request(body: Any) -> ExchangeRequest:
    """Validate a decoded /exchange body; anything the venue cannot deserialize answers 422.

    Top-level unknown fields are ignored (serde's default). ``vaultAddress`` and
    ``expiresAfter`` may be absent or null (nktkas omits them, the Python SDK sends null).
    """
    try:
        obj = _obj(body, "body")
        action = _obj(_require(obj, "action", "body"), "action")
        action_type = _str(_require(action, "type", "action"), "action.type", 64)
        nonce = _int(_require(obj, "nonce", "body"), "nonce")
        signature = _signature(_require(obj, "signature", "body"))
        vault_raw = obj.get("vaultAddress")
        vault = None if vault_raw is None else _address(vault_raw, "vaultAddress")
        expires_after = _opt_int(obj, "expiresAfter", "body")

        l1 = _L1_ACTIONS.get(action_type)
        user = _USER_ACTIONS.get(action_type)
        supported = True
        if l1 is not None:
            signed_action = l1(action)
            is_user_signed = False
        elif user is not None:
            _user_common(action)
            user(action)
            signed_action = action
            is_user_signed = True
        elif action_type in KNOWN_UNSUPPORTED_ACTION_TYPES:
            signed_action = action
            is_user_signed = action_type in USER_SIGNED_ACTION_TYPES
            supported = False
        else:
            _fail(f"action.type: unknown variant `{action_type}`")
        return ExchangeRequest(
            action=action,
            action_type=action_type,
            nonce=nonce,
            signature=signature,
            vault_address=vault,
            expires_after=expires_after,
            signed_action=signed_action,
            is_user_signed=is_user_signed,
            supported=supported,
        )
    except BadRequest:
        raise
    except Exception as exc:  # pragma: no cover - defensive: never let anything else escape
        raise BadRequest(422, DESERIALIZE_TEXT, f"unexpected {type(exc).__name__}") from None

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
The action types the venue carries out are also turned into typed records there
(``ExchangeRequest.record``, built by :mod:`.actions` in the same pass); the primitive checks
live in :mod:`.wire_checks`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final, NoReturn

from wallet_perps.hyperliquid.user_actions import USER_ACTION_TYPES
from wallet_perps.localvenue import wire_checks as wc
from wallet_perps.localvenue.actions import L1_ACTIONS, USER_ACTIONS, ActionRecord
from wallet_perps.localvenue.wire_checks import DESERIALIZE_TEXT, BadRequest, strict_decimal

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
_SYNTAX_TEXT: Final = "Failed to parse the request body as JSON"
_TOO_LARGE_TEXT: Final = "Failed to buffer the request body: length limit exceeded"

_MAX_DEPTH: Final = 128

MAX_BODY_BYTES: Final = 64 * 1024
"""Both endpoints: the largest real request (a batch of a few hundred orders) is far below."""

_SIG_HEX_RE: Final = re.compile(r"0x[0-9a-fA-F]{1,64}")
_CHAIN_ID_RE: Final = re.compile(r"0x[0-9a-fA-F]{1,16}")

_INTERVALS: Final = frozenset(
    ("1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "8h", "12h", "1d", "3d", "1w", "1M")
)
_CHAINS: Final = frozenset(("Mainnet", "Testnet"))


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
    out["user"] = wc.address(wc.require(body, "user", "info"), "info.user")


def _f_coin(body: dict[str, Any], out: dict[str, Any]) -> None:
    out["coin"] = wc.string(wc.require(body, "coin", "info"), "info.coin", 64)


def _f_dex(body: dict[str, Any], out: dict[str, Any]) -> None:
    value = body.get("dex")
    out["dex"] = "" if value is None else wc.string(value, "info.dex", 64)


def _f_oid(body: dict[str, Any], out: dict[str, Any]) -> None:
    out["oid"] = wc.oid_or_cloid(wc.require(body, "oid", "info"), "info.oid")


def _f_start_required(body: dict[str, Any], out: dict[str, Any]) -> None:
    out["start_ms"] = wc.integer(wc.require(body, "startTime", "info"), "info.startTime")


def _f_end(body: dict[str, Any], out: dict[str, Any]) -> None:
    out["end_ms"] = wc.opt_int(body, "endTime", "info")


def _f_aggregate(body: dict[str, Any], out: dict[str, Any]) -> None:
    out["aggregate_by_time"] = bool(wc.opt_bool(body, "aggregateByTime", "info"))


def _f_reversed(body: dict[str, Any], out: dict[str, Any]) -> None:
    out["reversed"] = bool(wc.opt_bool(body, "reversed", "info"))


def _f_builder(body: dict[str, Any], out: dict[str, Any]) -> None:
    out["builder"] = wc.address(wc.require(body, "builder", "info"), "info.builder")


def _f_book_grouping(body: dict[str, Any], out: dict[str, Any]) -> None:
    """nSigFigs 2..5 or null; mantissa 1|2|5 or null, and only together with nSigFigs 5."""
    sig = body.get("nSigFigs")
    if sig is not None and (isinstance(sig, bool) or sig not in (2, 3, 4, 5)):
        wc.fail("info.nSigFigs: expected 2, 3, 4, 5 or null")
    mantissa = body.get("mantissa")
    if mantissa is not None:
        if isinstance(mantissa, bool) or mantissa not in (1, 2, 5):
            wc.fail("info.mantissa: expected 1, 2, 5 or null")
        if sig != 5:
            wc.fail("info.mantissa: only allowed with nSigFigs 5")
    out["n_sig_figs"] = sig
    out["mantissa"] = mantissa


def _f_candle_req(body: dict[str, Any], out: dict[str, Any]) -> None:
    req = wc.obj(wc.require(body, "req", "info"), "info.req")
    out["coin"] = wc.string(wc.require(req, "coin", "info.req"), "info.req.coin", 64)
    interval = wc.string(wc.require(req, "interval", "info.req"), "info.req.interval", 8)
    if interval not in _INTERVALS:
        wc.fail(f"info.req.interval: unknown variant `{interval}`")
    out["interval"] = interval
    out["start_ms"] = wc.integer(wc.require(req, "startTime", "info.req"), "info.req.startTime")
    out["end_ms"] = wc.opt_int(req, "endTime", "info.req")


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
        info = wc.obj(body, "info")
        info_type = wc.string(wc.require(info, "type", "info"), "info.type", 64)
        shape = _INFO_SHAPES.get(info_type)
        if shape is None:
            wc.fail(f"info.type: unknown variant `{info_type}`")
        fields: dict[str, Any] = {}
        for parse_field in shape:
            parse_field(info, fields)
        return InfoRequest(type=info_type, **fields)
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
    authenticator refuses those with a readable error instead of a 422. ``record`` is what the
    engine carries out (:mod:`.actions`); None for agent and builder-fee approvals (the
    authenticator's) and for unsupported types.
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
    record: ActionRecord | None = None


def _user_common(action: dict[str, Any]) -> None:
    """The EIP-712 domain fields every user-signed action carries (checked with its shape)."""
    chain = wc.require(action, "hyperliquidChain", "action")
    chain = wc.string(chain, "action.hyperliquidChain", 16)
    if chain not in _CHAINS:
        wc.fail(f"action.hyperliquidChain: unknown variant `{chain}`")
    chain_id = wc.require(action, "signatureChainId", "action")
    chain_id = wc.string(chain_id, "action.signatureChainId", 18)
    if not _CHAIN_ID_RE.fullmatch(chain_id) or int(chain_id, 16) == 0:
        wc.fail("action.signatureChainId: expected a non-zero 0x hex chain id")


USER_SIGNED_ACTION_TYPES: Final = frozenset(USER_ACTION_TYPES) - {"sendMultiSig"}
SUPPORTED_ACTION_TYPES: Final = frozenset(L1_ACTIONS) | frozenset(USER_ACTIONS)

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
    | (USER_SIGNED_ACTION_TYPES - frozenset(USER_ACTIONS))
)


def _signature(value: object) -> dict[str, Any]:
    sig = wc.obj(value, "signature")
    r = wc.string(wc.require(sig, "r", "signature"), "signature.r", 66)
    s = wc.string(wc.require(sig, "s", "signature"), "signature.s", 66)
    for name, text in (("r", r), ("s", s)):
        if not _SIG_HEX_RE.fullmatch(text):
            wc.fail(f"signature.{name}: expected 0x + 1 to 64 hex digits")
    v = wc.integer(wc.require(sig, "v", "signature"), "signature.v", 0, 255)
    return {"r": r, "s": s, "v": v}


def parse_exchange_request(body: Any) -> ExchangeRequest:
    """Validate a decoded /exchange body; anything the venue cannot deserialize answers 422.

    Top-level unknown fields are ignored (serde's default). ``vaultAddress`` and
    ``expiresAfter`` may be absent or null (nktkas omits them, the Python SDK sends null).
    """
    try:
        envelope = wc.obj(body, "body")
        action = wc.obj(wc.require(envelope, "action", "body"), "action")
        action_type = wc.string(wc.require(action, "type", "action"), "action.type", 64)
        nonce = wc.integer(wc.require(envelope, "nonce", "body"), "nonce")
        signature = _signature(wc.require(envelope, "signature", "body"))
        vault_raw = envelope.get("vaultAddress")
        vault = None if vault_raw is None else wc.address(vault_raw, "vaultAddress")
        expires_after = wc.opt_int(envelope, "expiresAfter", "body")

        l1 = L1_ACTIONS.get(action_type)
        user = USER_ACTIONS.get(action_type)
        supported = True
        record: ActionRecord | None = None
        if l1 is not None:
            signed_action, record = l1(action)
            is_user_signed = False
        elif user is not None:
            _user_common(action)
            record = user(action)
            signed_action = action
            is_user_signed = True
        elif action_type in KNOWN_UNSUPPORTED_ACTION_TYPES:
            signed_action = action
            is_user_signed = action_type in USER_SIGNED_ACTION_TYPES
            supported = False
        else:
            wc.fail(f"action.type: unknown variant `{action_type}`")
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
            record=record,
        )
    except BadRequest:
        raise
    except Exception as exc:  # pragma: no cover - defensive: never let anything else escape
        raise BadRequest(422, DESERIALIZE_TEXT, f"unexpected {type(exc).__name__}") from None

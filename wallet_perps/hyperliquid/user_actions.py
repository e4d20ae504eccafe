"""The EIP-712 structs of Hyperliquid's user-signed actions (PROTOCOL.md §4.2), as plain data.

Why a module of its own: the local venue needs this table at start (which wire types are
user-signed, which field carries the nonce) but signs nothing there; keeping it free of
hashing, curve and msgpack imports lets the venue answer its first request sooner. The type
hashes are computed from it by :mod:`wallet_perps.hyperliquid.signing` on first use.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

__all__ = ["USER_ACTION_TYPES", "UserStruct"]


@dataclass(frozen=True, slots=True)
class UserStruct:
    """One user-signed EIP-712 struct: its name and its fields in signing order."""

    name: str
    fields: tuple[tuple[str, str], ...]

    @property
    def primary_type(self) -> str:
        return f"HyperliquidTransaction:{self.name}"


def _struct(name: str, *pairs: str) -> UserStruct:
    """``"hyperliquidChain:string", ...`` to ((name, type), ...): keeps the table readable."""
    fields = []
    for pair in pairs:
        fname, ftype = pair.split(":")
        fields.append((fname, ftype))
    return UserStruct(name, tuple(fields))


# Keyed by the wire ``type``. "sendMultiSig" is not a wire type: it is the envelope a multi-sig
# signer signs (PROTOCOL.md §4.2 last row), exposed under this name for completeness.
USER_ACTION_TYPES: Final[Mapping[str, UserStruct]] = {
    "usdSend": _struct(
        "UsdSend", "hyperliquidChain:string", "destination:string", "amount:string", "time:uint64"
    ),
    "spotSend": _struct(
        "SpotSend",
        "hyperliquidChain:string",
        "destination:string",
        "token:string",
        "amount:string",
        "time:uint64",
    ),
    "withdraw3": _struct(
        "Withdraw", "hyperliquidChain:string", "destination:string", "amount:string", "time:uint64"
    ),
    "usdClassTransfer": _struct(
        "UsdClassTransfer",
        "hyperliquidChain:string",
        "amount:string",
        "toPerp:bool",
        "nonce:uint64",
    ),
    "sendAsset": _struct(
        "SendAsset",
        "hyperliquidChain:string",
        "destination:string",
        "sourceDex:string",
        "destinationDex:string",
        "token:string",
        "amount:string",
        "fromSubAccount:string",
        "nonce:uint64",
    ),
    "approveAgent": _struct(
        "ApproveAgent",
        "hyperliquidChain:string",
        "agentAddress:address",
        "agentName:string",
        "nonce:uint64",
    ),
    "approveBuilderFee": _struct(
        "ApproveBuilderFee",
        "hyperliquidChain:string",
        "maxFeeRate:string",
        "builder:address",
        "nonce:uint64",
    ),
    "tokenDelegate": _struct(
        "TokenDelegate",
        "hyperliquidChain:string",
        "validator:address",
        "wei:uint64",
        "isUndelegate:bool",
        "nonce:uint64",
    ),
    "userDexAbstraction": _struct(
        "UserDexAbstraction",
        "hyperliquidChain:string",
        "user:address",
        "enabled:bool",
        "nonce:uint64",
    ),
    "userSetAbstraction": _struct(
        "UserSetAbstraction",
        "hyperliquidChain:string",
        "user:address",
        "abstraction:string",
        "nonce:uint64",
    ),
    "convertToMultiSigUser": _struct(
        "ConvertToMultiSigUser", "hyperliquidChain:string", "signers:string", "nonce:uint64"
    ),
    "sendMultiSig": _struct(
        "SendMultiSig",
        "hyperliquidChain:string",
        "multiSigActionHash:bytes32",
        "nonce:uint64",
    ),
}

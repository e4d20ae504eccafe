"""Wire JSON -> ledger entries: each ``userNonFundingLedgerUpdates`` delta as its typed record.

One of the ``parse*`` modules that own every read of venue JSON; see
:mod:`wallet_perps.hyperliquid.parse` for the public entry points. Each modelled delta type
has one reader below (shapes per PROTOCOL.md §7 and §11.8 and the recorded fixtures); the
fields that decide a row's sign (``usdc``, ``user``, ``destination``, ``toPerp``...) are
required, so a malformed row is a :class:`ParseError` naming the field instead of a row shown
with the wrong sign. Fields the venue added over time (``nativeTokenFee``, ``feeToken``,
``netWithdrawnUsd``...) are optional. A delta type not listed here is kept verbatim as an
:class:`~wallet_perps.core.ledger.UnknownDelta`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Final

from wallet_perps.core.ledger import (
    AccountClassTransfer,
    Deposit,
    FrozenJson,
    InternalTransfer,
    LedgerDelta,
    LedgerUpdate,
    LiquidatedPosition,
    Liquidation,
    RewardsClaim,
    SendAsset,
    SpotTransfer,
    SubAccountTransfer,
    UnknownDelta,
    VaultCreate,
    VaultDeposit,
    VaultDistribution,
    VaultLeaderCommission,
    VaultWithdraw,
    Withdraw,
)
from wallet_perps.hyperliquid.parse_base import Obj, freeze

__all__ = ["read_ledger_update"]


def _deposit(d: Obj) -> Deposit:
    return Deposit(usdc=d.dec("usdc"))


def _withdraw(d: Obj) -> Withdraw:
    return Withdraw(usdc=d.dec("usdc"), nonce=d.opt_integer("nonce"), fee=d.opt_dec("fee"))


def _internal_transfer(d: Obj) -> InternalTransfer:
    return InternalTransfer(
        usdc=d.dec("usdc"),
        user=d.text("user"),
        destination=d.text("destination"),
        fee=d.opt_dec("fee"),
    )


def _sub_account_transfer(d: Obj) -> SubAccountTransfer:
    return SubAccountTransfer(
        usdc=d.dec("usdc"), user=d.text("user"), destination=d.text("destination")
    )


def _class_transfer(d: Obj) -> AccountClassTransfer:
    return AccountClassTransfer(usdc=d.dec("usdc"), to_perp=d.flag("toPerp"))


def _spot_transfer(d: Obj) -> SpotTransfer:
    return SpotTransfer(
        token=d.text("token"),
        amount=d.dec("amount"),
        usdc_value=d.dec("usdcValue"),
        user=d.text("user"),
        destination=d.text("destination"),
        fee=d.opt_dec("fee"),
        native_token_fee=d.opt_dec("nativeTokenFee"),
        nonce=d.opt_integer("nonce"),
        fee_token=d.opt_text("feeToken"),
    )


def _send_asset(d: Obj) -> SendAsset:
    return SendAsset(
        user=d.text("user"),
        destination=d.text("destination"),
        source_dex=d.text("sourceDex"),
        destination_dex=d.text("destinationDex"),
        token=d.text("token"),
        amount=d.dec("amount"),
        usdc_value=d.dec("usdcValue"),
        fee=d.opt_dec("fee"),
        native_token_fee=d.opt_dec("nativeTokenFee"),
        nonce=d.opt_integer("nonce"),
        fee_token=d.opt_text("feeToken"),
    )


def _liquidation(d: Obj) -> Liquidation:
    positions = (
        tuple(
            LiquidatedPosition(coin=p.text("coin"), szi=p.dec("szi"))
            for p in d.objs("liquidatedPositions")
        )
        if d.has("liquidatedPositions")
        else ()
    )
    return Liquidation(
        account_value=d.dec("accountValue"),
        liquidated_positions=positions,
        liquidated_ntl_pos=d.opt_dec("liquidatedNtlPos"),
        leverage_type=d.opt_text("leverageType"),
    )


def _vault_create(d: Obj) -> VaultCreate:
    return VaultCreate(vault=d.text("vault"), usdc=d.dec("usdc"), fee=d.opt_dec("fee"))


def _vault_deposit(d: Obj) -> VaultDeposit:
    return VaultDeposit(vault=d.text("vault"), usdc=d.dec("usdc"))


def _vault_distribution(d: Obj) -> VaultDistribution:
    return VaultDistribution(vault=d.text("vault"), usdc=d.dec("usdc"))


def _vault_withdraw(d: Obj) -> VaultWithdraw:
    return VaultWithdraw(
        vault=d.text("vault"),
        user=d.opt_text("user"),
        requested_usd=d.opt_dec("requestedUsd"),
        commission=d.opt_dec("commission"),
        closing_cost=d.opt_dec("closingCost"),
        basis=d.opt_dec("basis"),
        net_withdrawn_usd=d.opt_dec("netWithdrawnUsd"),
    )


def _leader_commission(d: Obj) -> VaultLeaderCommission:
    return VaultLeaderCommission(usdc=d.dec("usdc"), user=d.opt_text("user"))


def _rewards_claim(d: Obj) -> RewardsClaim:
    return RewardsClaim(amount=d.dec("amount"), token=d.opt_text("token"))


#: Wire delta type -> its reader. Anything else becomes an UnknownDelta.
_READERS: Final[Mapping[str, Callable[[Obj], LedgerDelta]]] = MappingProxyType(
    {
        Deposit.type: _deposit,
        Withdraw.type: _withdraw,
        InternalTransfer.type: _internal_transfer,
        SubAccountTransfer.type: _sub_account_transfer,
        AccountClassTransfer.type: _class_transfer,
        SpotTransfer.type: _spot_transfer,
        SendAsset.type: _send_asset,
        Liquidation.type: _liquidation,
        VaultCreate.type: _vault_create,
        VaultDeposit.type: _vault_deposit,
        VaultDistribution.type: _vault_distribution,
        VaultWithdraw.type: _vault_withdraw,
        VaultLeaderCommission.type: _leader_commission,
        RewardsClaim.type: _rewards_claim,
    }
)


def _unknown(d: Obj, kind: str) -> UnknownDelta:
    raw: dict[str, FrozenJson] = {k: freeze(v, d.at(k)) for k, v in d.raw.items()}
    return UnknownDelta(type=kind, raw=MappingProxyType(raw))


def read_ledger_update(o: Obj) -> LedgerUpdate:
    """One ledger row ``{time, hash, delta: {type, ...}}``."""
    delta = o.obj("delta")
    kind = delta.text("type")
    reader = _READERS.get(kind)
    return LedgerUpdate(
        time=o.integer("time"),
        hash=o.text("hash"),
        delta=_unknown(delta, kind) if reader is None else reader(delta),
    )

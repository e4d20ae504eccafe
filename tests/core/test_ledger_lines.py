"""The one signed-amount rule: every ledger kind, seen by the sender, the receiver, or alone.

The sign is what the viewing account gained (+) or lost (-), before any fee; the fee is what
the viewer paid on top and is never folded in. Screens only format what this returns, so the
table here is the contract Wallet, History and the CSV export share.
"""

from __future__ import annotations

from decimal import Decimal
from types import MappingProxyType

import pytest

from tests.ledger_samples import (
    CLASS_TO_PERP,
    CLASS_TO_SPOT,
    LEADER_COMMISSION,
    LIQUIDATION,
    ME,
    OTHER,
    REWARDS_IN_USDC,
    SUB_ACCOUNT_IN,
    SUB_ACCOUNT_OUT,
    TRANSFER_IN,
    TRANSFER_OUT,
    TRANSFER_OUT_WITH_FEE,
    VAULT,
    VAULT_CREATE,
    VAULT_DEPOSIT,
    VAULT_DISTRIBUTION,
    VAULT_WITHDRAW,
    WITHDRAW_WITH_FEE,
    D,
    send_asset,
    spot_transfer,
)
from wallet_perps.core.ledger import (
    Deposit,
    InternalTransfer,
    LedgerDelta,
    LedgerUpdate,
    RewardsClaim,
    UnknownDelta,
    VaultWithdraw,
)
from wallet_perps.core.ledger_lines import ledger_line, plain_number, type_words

#: id -> (delta, viewer, what, signed amount, fee, note with plain numbers and full addresses)
CASES: dict[str, tuple[LedgerDelta, str, str, Decimal | None, Decimal | None, str]] = {
    "deposit": (Deposit(D(100)), ME, "Deposit", D(100), None, ""),
    "withdraw with fee": (WITHDRAW_WITH_FEE, ME, "Withdrawal", D(-25), D("1.0"), "fee 1.0"),
    "transfer out": (TRANSFER_OUT, ME, "Sent", D(-25), None, f"to {OTHER}"),
    "transfer out with fee": (
        TRANSFER_OUT_WITH_FEE,
        ME,
        "Sent",
        D(-25),
        D(1),
        f"to {OTHER}, fee 1",
    ),
    "transfer in": (TRANSFER_IN, ME, "Received", D(25), None, f"from {OTHER}"),
    "transfer in, checksum-case viewer": (
        InternalTransfer(D(25), OTHER, ME, None),
        ME.upper().replace("0X", "0x"),
        "Received",
        D(25),
        None,
        f"from {OTHER}",
    ),
    "transfer to self": (InternalTransfer(D(25), ME, ME, D(0)), ME, "Sent to self", D(0), None, ""),
    "transfer between others": (
        InternalTransfer(D(25), OTHER, VAULT, None),
        ME,
        "Transfer",
        None,
        None,
        f"25 USDC from {OTHER} to {VAULT}",
    ),
    "sub-account out": (
        SUB_ACCOUNT_OUT,
        ME,
        "Sent",
        D(-3),
        None,
        f"to {OTHER}, sub-account transfer",
    ),
    "sub-account in": (
        SUB_ACCOUNT_IN,
        ME,
        "Received",
        D(3),
        None,
        f"from {OTHER}, sub-account transfer",
    ),
    "class transfer to perp": (CLASS_TO_PERP, ME, "From spot", D(12), None, ""),
    "class transfer to spot": (CLASS_TO_SPOT, ME, "To spot", D(-12), None, ""),
    "spot USDC out": (
        spot_transfer(ME, OTHER),
        ME,
        "Sent",
        D("-10.5"),
        D("1.0"),
        f"to {OTHER}, fee 1.0",
    ),
    "spot token in": (
        spot_transfer(OTHER, ME, "HYPE:0x0d01dc56dcaaca66ad901c959b4011ec"),
        ME,
        "Received",
        D("100.25"),
        None,
        f"from {OTHER}, 2.5 HYPE",
    ),
    "spot fee in another token": (
        spot_transfer(ME, OTHER, fee_token="HYPE"),
        ME,
        "Sent",
        D("-10.5"),
        None,
        f"to {OTHER}",
    ),
    "send asset out": (send_asset(ME, OTHER), ME, "Sent", D(-40), None, f"to {OTHER}"),
    "send asset in": (send_asset(OTHER, ME), ME, "Received", D(40), None, f"from {OTHER}"),
    "send spot to perp": (send_asset(ME, ME, "spot", ""), ME, "Spot to perp", D(40), None, ""),
    "send perp to spot": (send_asset(ME, ME, "", "spot"), ME, "Perp to spot", D(-40), None, ""),
    "send spot to other dex": (
        send_asset(ME, ME, "spot", "xyz"),
        ME,
        "Spot to xyz dex",
        None,
        None,
        "",
    ),
    "liquidation": (
        LIQUIDATION,
        ME,
        "Liquidation",
        None,
        None,
        "account value 35.2, closed ETH -0.4, cross margin",
    ),
    "vault create": (VAULT_CREATE, ME, "Vault created", D(-100), D(100), f"to {VAULT}, fee 100"),
    "vault deposit": (VAULT_DEPOSIT, ME, "Vault deposit", D(-50), None, f"to {VAULT}"),
    "vault distribution": (
        VAULT_DISTRIBUTION,
        ME,
        "Vault distribution",
        D("1.5"),
        None,
        f"from {VAULT}",
    ),
    "vault withdraw": (
        VAULT_WITHDRAW,
        ME,
        "Vault withdrawal",
        D("19.4"),
        None,
        f"from {VAULT}, requested 20, commission 0.5, closing cost 0.1",
    ),
    "vault withdraw, old shape": (
        VaultWithdraw(VAULT),
        ME,
        "Vault withdrawal",
        None,
        None,
        f"from {VAULT}",
    ),
    "leader commission": (LEADER_COMMISSION, ME, "Vault commission", D(2), None, ""),
    "rewards in USDC": (REWARDS_IN_USDC, ME, "Rewards claimed", D("3.3"), None, ""),
    "rewards in a token": (
        RewardsClaim(D("3.3"), "HYPE"),
        ME,
        "Rewards claimed",
        None,
        None,
        "3.3 HYPE",
    ),
    "unknown": (
        UnknownDelta("cStakingTransfer", MappingProxyType({"type": "cStakingTransfer"})),
        ME,
        "C staking transfer",
        None,
        None,
        "",
    ),
}


@pytest.mark.parametrize("case", CASES, ids=str)
def test_each_kind_signed_for_the_viewer(case: str) -> None:
    delta, me, what, amount, fee, note = CASES[case]
    line = ledger_line(LedgerUpdate(1, "0xh", delta), me)
    assert (line.what, line.amount, line.fee) == (what, amount, fee)
    assert line.note() == note


def test_every_modelled_kind_is_covered() -> None:
    covered = {type(delta) for delta, *_ in CASES.values()}
    assert len(covered) == 15  # 14 modelled delta types and UnknownDelta


def test_note_formats_are_the_callers() -> None:
    line = ledger_line(LedgerUpdate(1, "0xh", TRANSFER_OUT_WITH_FEE), ME)
    assert line.note(address=lambda a: a[:6], usd=lambda v: f"${v:.2f}") == "to 0xb2b2, fee $1.00"
    assert line.note(with_counterparty=False, with_fee=False) == ""
    assert line.counterparty == OTHER and line.direction == "to"


def test_helpers() -> None:
    assert type_words("marginCanceled") == "Margin canceled" and type_words("") == ""
    assert plain_number(D("1E+2")) == "100" and plain_number(D("-0.0")) == "0"

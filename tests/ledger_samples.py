"""Ledger sample records shared by the sign rule, the screen agreement and the parser tests.

The same kind is checked three times: ``core.ledger_lines`` gives it its sign, the Wallet,
History and CSV screens must agree on that sign, and the wire parser must build the record in
the first place. Keeping one set of samples here means the three checks look at the very same
record, so a sample changed for one is changed for all. Tables that need a different amount
(a deposit of another size, an unknown delta with another raw body) still build their own.
"""

from __future__ import annotations

from decimal import Decimal

from wallet_perps.core.ledger import (
    AccountClassTransfer,
    InternalTransfer,
    LiquidatedPosition,
    Liquidation,
    RewardsClaim,
    SendAsset,
    SpotTransfer,
    SubAccountTransfer,
    VaultCreate,
    VaultDeposit,
    VaultDistribution,
    VaultLeaderCommission,
    VaultWithdraw,
    Withdraw,
)

D = Decimal
#: The viewing account, someone else, and a vault: full 42-character addresses.
ME = "0x" + "a1" * 20
OTHER = "0x" + "b2" * 20
VAULT = "0x" + "c3" * 20


def send_asset(user: str, destination: str, source: str = "", target: str = "") -> SendAsset:
    """A 40 USDC ``send`` between two accounts or dexes (source/target "" is the perp dex)."""
    return SendAsset(
        user,
        destination,
        "USDC",
        D(40),
        D(40),
        source_dex=source,
        destination_dex=target,
        fee=D(0),
        native_token_fee=D(0),
        nonce=7,
        fee_token="",
    )


def spot_transfer(
    user: str, destination: str, token: str = "USDC", fee_token: str = ""
) -> SpotTransfer:
    """A spot transfer with a 1.0 fee: 10.5 USDC, or 2.5 of another token worth 100.25."""
    value = D("10.5") if token == "USDC" else D("100.25")
    amount = D("10.5") if token == "USDC" else D("2.5")
    return SpotTransfer(
        user,
        destination,
        token,
        amount,
        value,
        fee=D("1.0"),
        native_token_fee=D(0),
        fee_token=fee_token,
    )


WITHDRAW_WITH_FEE = Withdraw(D(25), 1, D("1.0"))
TRANSFER_OUT = InternalTransfer(D(25), ME, OTHER, D(0))
TRANSFER_OUT_WITH_FEE = InternalTransfer(D(25), ME, OTHER, D(1))
#: The sender paid the fee, so the receiver's line must not show it.
TRANSFER_IN = InternalTransfer(D(25), OTHER, ME, D(1))
SUB_ACCOUNT_OUT = SubAccountTransfer(D(3), ME, OTHER)
SUB_ACCOUNT_IN = SubAccountTransfer(D(3), OTHER, ME)
CLASS_TO_PERP = AccountClassTransfer(D(12), True)
CLASS_TO_SPOT = AccountClassTransfer(D(12), False)
LIQUIDATION = Liquidation(D("35.2"), (LiquidatedPosition("ETH", D("-0.4")),), D(1200), "Cross")
VAULT_CREATE = VaultCreate(VAULT, D(100), D(100))
VAULT_DEPOSIT = VaultDeposit(VAULT, D(50))
VAULT_DISTRIBUTION = VaultDistribution(VAULT, D("1.5"))
VAULT_WITHDRAW = VaultWithdraw(VAULT, ME, D(20), D("0.5"), D("0.1"), D(18), D("19.4"))
LEADER_COMMISSION = VaultLeaderCommission(D(2), ME)
REWARDS_IN_USDC = RewardsClaim(D("3.3"), "USDC")

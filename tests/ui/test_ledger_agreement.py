"""Wallet, History and CSV give every ledger kind the same sign and amount (issue 16).

Each row is driven through the functions the screens really use: the Wallet page's
``describe_ledger``, the History page's ``ledger_sheet`` shown through its own column
formatting (``record_columns`` in a ``RecordModel``, as its tables do), and ``to_csv`` of the
same sheet. The amounts are read back from the three texts and must be the same number with
the same sign, and the fee must agree too.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from types import MappingProxyType

import pytest
from pytestqt.qtbot import QtBot

from wallet_perps.core.csv_export import ledger_sheet, to_csv
from wallet_perps.core.display import format_usd
from wallet_perps.core.ledger import (
    AccountClassTransfer,
    Deposit,
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
from wallet_perps.ui.pages.history import record_columns
from wallet_perps.ui.pages.wallet import describe_ledger
from wallet_perps.ui.widgets.record_table import RecordModel

D = Decimal
ME = "0x" + "a1" * 20
OTHER = "0x" + "b2" * 20
VAULT = "0x" + "c3" * 20


def _send(user: str, destination: str, source: str = "", target: str = "") -> SendAsset:
    return SendAsset(user, destination, source, target, "USDC", D(40), D(40), D(0), D(0), 7, "")


def _spot(user: str, destination: str) -> SpotTransfer:
    return SpotTransfer("USDC", D("10.5"), D("10.5"), user, destination, D(1), D(0), None, "")


#: id -> (delta, the signed amount every screen must show, the fee the viewer paid)
KINDS: dict[str, tuple[LedgerDelta, Decimal | None, Decimal | None]] = {
    "deposit": (Deposit(D("500")), D(500), None),
    "withdraw with fee": (Withdraw(D(25), 1, D(1)), D(-25), D(1)),
    "internal transfer out": (InternalTransfer(D(25), ME, OTHER, D(0)), D(-25), None),
    "internal transfer out, fee": (InternalTransfer(D(25), ME, OTHER, D(1)), D(-25), D(1)),
    "internal transfer in": (InternalTransfer(D(25), OTHER, ME, D(1)), D(25), None),
    "sub-account out": (SubAccountTransfer(D(3), ME, OTHER), D(-3), None),
    "sub-account in": (SubAccountTransfer(D(3), OTHER, ME), D(3), None),
    "class transfer to perp": (AccountClassTransfer(D(12), True), D(12), None),
    "class transfer to spot": (AccountClassTransfer(D(12), False), D(-12), None),
    "spot transfer out": (_spot(ME, OTHER), D("-10.5"), D(1)),
    "spot transfer in": (_spot(OTHER, ME), D("10.5"), None),
    "send asset out": (_send(ME, OTHER), D(-40), None),
    "send asset in": (_send(OTHER, ME), D(40), None),
    "send asset spot to perp": (_send(ME, ME, "spot", ""), D(40), None),
    "send asset perp to spot": (_send(ME, ME, "", "spot"), D(-40), None),
    "liquidation": (
        Liquidation(D("35.2"), (LiquidatedPosition("ETH", D("-0.4")),), D(1200), "Cross"),
        None,
        None,
    ),
    "vault create": (VaultCreate(VAULT, D(100), D(100)), D(-100), D(100)),
    "vault deposit": (VaultDeposit(VAULT, D(50)), D(-50), None),
    "vault distribution": (VaultDistribution(VAULT, D("1.5")), D("1.5"), None),
    "vault withdraw": (
        VaultWithdraw(VAULT, ME, D(20), D("0.5"), D("0.1"), D(18), D("19.4")),
        D("19.4"),
        None,
    ),
    "leader commission": (VaultLeaderCommission(D(2), ME), D(2), None),
    "rewards": (RewardsClaim(D("3.3"), "USDC"), D("3.3"), None),
    "unknown": (UnknownDelta("cStakingTransfer", MappingProxyType({"type": "x"})), None, None),
}


def money(text: str) -> Decimal | None:
    """A screen's money text back to a number: "+$1,234.50", "-$25.00", "$3.30", ""."""
    if not text:
        return None
    sign = -1 if text.startswith("-") else 1
    return sign * D(text.lstrip("+-").lstrip("$").replace(",", ""))


@pytest.mark.parametrize("kind", KINDS, ids=str)
def test_wallet_history_and_csv_agree(qtbot: QtBot, kind: str) -> None:
    delta, amount, fee = KINDS[kind]
    update = LedgerUpdate(1_735_689_600_000, "0x" + "9" * 64, delta)

    what, wallet_amount, wallet_note = describe_ledger(update, ME)

    sheet = ledger_sheet([update], ME)
    model = RecordModel(record_columns(sheet))
    model.set_rows(sheet.records)
    shown = {t: model.text(0, model.column_index(t)) for t in ("Type", "Amount", "Fee")}

    rows = list(csv.reader(io.StringIO(to_csv(sheet), newline="")))
    exported = dict(zip(rows[0], rows[1], strict=True))

    assert shown["Type"] == exported["Type"] == what
    assert money(wallet_amount) == money(shown["Amount"]) == amount
    assert (D(exported["Amount"]) if exported["Amount"] else None) == amount
    if amount is not None and amount > 0:
        assert wallet_amount.startswith("+$") and not shown["Amount"].startswith("-")
    if amount is not None and amount < 0:
        assert wallet_amount.startswith("-$") and shown["Amount"].startswith("-$")
    assert money(shown["Fee"]) == fee
    assert (D(exported["Fee"]) if exported["Fee"] else None) == fee
    if fee is None:
        assert "fee" not in wallet_note
    else:
        assert f"fee {format_usd(fee)}" in wallet_note

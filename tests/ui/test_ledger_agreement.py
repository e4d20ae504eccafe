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
    VAULT_CREATE,
    VAULT_DEPOSIT,
    VAULT_DISTRIBUTION,
    VAULT_WITHDRAW,
    WITHDRAW_WITH_FEE,
    D,
    send_asset,
    spot_transfer,
)
from wallet_perps.core.csv_export import ledger_sheet, to_csv
from wallet_perps.core.display import format_usd
from wallet_perps.core.ledger import Deposit, LedgerDelta, LedgerUpdate, UnknownDelta
from wallet_perps.ui.pages.history import record_columns
from wallet_perps.ui.pages.wallet import describe_ledger
from wallet_perps.ui.widgets.record_table import RecordModel

#: id -> (delta, the signed amount every screen must show, the fee the viewer paid)
KINDS: dict[str, tuple[LedgerDelta, Decimal | None, Decimal | None]] = {
    "deposit": (Deposit(D("500")), D(500), None),
    "withdraw with fee": (WITHDRAW_WITH_FEE, D(-25), D(1)),
    "internal transfer out": (TRANSFER_OUT, D(-25), None),
    "internal transfer out, fee": (TRANSFER_OUT_WITH_FEE, D(-25), D(1)),
    "internal transfer in": (TRANSFER_IN, D(25), None),
    "sub-account out": (SUB_ACCOUNT_OUT, D(-3), None),
    "sub-account in": (SUB_ACCOUNT_IN, D(3), None),
    "class transfer to perp": (CLASS_TO_PERP, D(12), None),
    "class transfer to spot": (CLASS_TO_SPOT, D(-12), None),
    "spot transfer out": (spot_transfer(ME, OTHER), D("-10.5"), D(1)),
    "spot transfer in": (spot_transfer(OTHER, ME), D("10.5"), None),
    "send asset out": (send_asset(ME, OTHER), D(-40), None),
    "send asset in": (send_asset(OTHER, ME), D(40), None),
    "send asset spot to perp": (send_asset(ME, ME, "spot", ""), D(40), None),
    "send asset perp to spot": (send_asset(ME, ME, "", "spot"), D(-40), None),
    "liquidation": (LIQUIDATION, None, None),
    "vault create": (VAULT_CREATE, D(-100), D(100)),
    "vault deposit": (VAULT_DEPOSIT, D(-50), None),
    "vault distribution": (VAULT_DISTRIBUTION, D("1.5"), None),
    "vault withdraw": (VAULT_WITHDRAW, D("19.4"), None),
    "leader commission": (LEADER_COMMISSION, D(2), None),
    "rewards": (REWARDS_IN_USDC, D("3.3"), None),
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

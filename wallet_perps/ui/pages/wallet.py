"""The Wallet page: what the account is worth, moving money in and out, and who signs what.

UX.md "Wallet": account value (big), available to trade, withdrawable, unrealized PnL, margin
in use as a bar; Deposit, Withdraw, Send; the address with a copy button and a QR code; the
agent (API) wallet status in plain words.

Why it is built this way:

* Numbers come from ``adapter.account_state()`` (the venue's own margin summary, streamed) and
  are redrawn through a short single-shot timer, so a burst of account pushes costs one redraw.
* Withdraw and Send go through a two-step dialog (form, then review) that validates with the
  very functions the transfers service uses (``parse_destination``, ``parse_amount``,
  ``check_fits``): what the dialog accepts, the service accepts; what it refuses never leaves
  the computer. The outcome is shown inline on the page in the venue's words.
* Transfers run as asyncio tasks on the shared qasync loop (referenced until done, so they are
  not garbage-collected mid-flight); the button says "Sending…" meanwhile and cannot be pressed
  twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from decimal import ROUND_DOWN, Decimal
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from wallet_perps.config import NETWORKS, NetworkName
from wallet_perps.core.models import AccountState, LedgerUpdate
from wallet_perps.services.transfers import (
    MAX_DEMO_DEPOSIT_USD,
    WITHDRAW_FEE_USD,
    TransferError,
    TransferKind,
    TransferResult,
    Transfers,
    check_fits,
    max_amount,
    parse_amount,
    parse_destination,
    short,
)
from wallet_perps.ui.adapter import SessionAdapter
from wallet_perps.ui.widgets.order_ticket import format_usd
from wallet_perps.ui.widgets.qr_code import QrCode

__all__ = ["DepositDialog", "TransferDialog", "WalletPage"]

log = logging.getLogger(__name__)

_REDRAW_MS = 100
_ZERO = Decimal(0)
_CENT = Decimal("0.01")
_DEFAULT_DEMO_DEPOSIT = "1000"
_MONO = "font-family: 'DejaVu Sans Mono', monospace;"
_HISTORY_ROWS = 50

Deposit = Callable[[Decimal], Awaitable[None]]

TIPS = {
    "account_value": (
        "Everything the account is worth at current mark prices: your USDC plus the "
        "unrealized profit or loss of open positions."
    ),
    "available": (
        "Account value not yet committed as margin (cross): what new positions can use. "
        "Margin reserved by resting orders is not subtracted here."
    ),
    "withdrawable": (
        "What can leave the account right now. The exchange keeps back the margin of open "
        "positions (at least 10% of their value), so this can be less than the account value."
    ),
    "pnl": (
        "Profit or loss of your open positions if they were closed at the mark price now. "
        "It becomes real only when you close them."
    ),
    "margin": (
        "Margin locked by open positions, as a share of the account value. The fuller this "
        "bar, the smaller the price move that brings a position to liquidation."
    ),
}
_MAINNET_DEPOSIT = (
    "Hyperliquid is funded from Arbitrum One with native USDC:<br><br>"
    "1. Get USDC on Arbitrum into this address (shown below; the same key controls it "
    "there).<br>"
    "2. Deposit it to Hyperliquid's bridge from this address, for example with Deposit on "
    "app.hyperliquid.xyz. It is credited to the sending address, here, in about a minute."
    "<br><br><b>The minimum is 5 USDC; a smaller deposit is lost.</b> Do not send other "
    "tokens or USDC on another network."
)
_TESTNET_DEPOSIT = (
    "Testnet runs on test USDC, which is worth nothing. Get some for this address (shown "
    "below) from Hyperliquid's testnet faucet on app.hyperliquid-testnet.xyz.<br><br>"
    "<b>Never send real USDC for testnet:</b> deposits of real funds go to mainnet, on "
    "Arbitrum One, where the minimum is 5 USDC and a smaller deposit is lost."
)
AGENT_EXPLANATION = (
    "Trading is signed by an approved agent key, so your main key signs only transfers. "
    "The agent can place and cancel orders for this account but can never move funds; "
    "rotate or revoke it in Settings."
)


def describe_ledger(update: LedgerUpdate, me: str) -> tuple[str, str, str]:
    """A ledger row in words: (what happened, signed amount, the other account or a note)."""
    usdc = update.usdc if update.usdc is not None else _ZERO
    details = update.details
    if update.type == "deposit":
        return "Deposit", f"+{format_usd(usdc)}", ""
    if update.type == "withdraw":
        fee = details.get("fee")
        note = f"fee {format_usd(Decimal(str(fee)))}" if fee is not None else ""
        return "Withdrawal", format_usd(-usdc), note
    if update.type == "internalTransfer":
        sender = str(details.get("user", "")).lower()
        if sender == me.lower():
            return "Sent", format_usd(-usdc), f"to {short(str(details.get('destination', '')))}"
        return "Received", f"+{format_usd(usdc)}", f"from {short(sender)}"
    if update.type == "accountClassTransfer":
        to_perp = bool(details.get("toPerp"))
        return (
            "From spot" if to_perp else "To spot",
            f"+{format_usd(usdc)}" if to_perp else format_usd(-usdc),
            "",
        )
    words = {"liquidation": "Liquidation", "vaultDeposit": "Vault deposit"}
    return words.get(update.type, update.type), format_usd(usdc), ""


def _repolish(widget: QWidget) -> None:
    style = widget.style()
    style.unpolish(widget)
    style.polish(widget)


def _set_prop(widget: QWidget, name: str, value: Any) -> None:
    """Set a dynamic style property and re-apply the style sheet only when it changed."""
    if widget.property(name) != value:
        widget.setProperty(name, value)
        _repolish(widget)


def _card() -> tuple[QFrame, QVBoxLayout]:
    frame = QFrame()
    frame.setProperty("card", True)
    layout = QVBoxLayout(frame)
    layout.setContentsMargins(20, 16, 20, 16)
    layout.setSpacing(8)
    return frame, layout


def _caption(text: str, tip: str = "") -> QLabel:
    label = QLabel(text)
    label.setProperty("muted", True)
    if tip:
        label.setToolTip(tip)
    return label


class _Stat(QWidget):
    """A muted caption over a number, both explaining themselves on hover."""

    def __init__(self, caption: str, tip: str) -> None:
        super().__init__()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(_caption(caption, tip))
        self.value = QLabel("—")
        self.value.setToolTip(tip)
        self.value.setStyleSheet("font-size: 17px; font-weight: 600;")
        layout.addWidget(self.value)


# ----------------------------------------------------------------------------------- dialogs


class TransferDialog(QDialog):
    """Withdraw or Send: destination and amount, checked inline, then a review step.

    ``destination`` and ``amount`` hold the reviewed values once the dialog is accepted.
    ``withdrawable`` (from the account stream) bounds the amount; None skips that check
    (the service checks it again against the venue before signing anyway).
    """

    def __init__(
        self,
        kind: TransferKind,
        own_address: str,
        withdrawable: Decimal | None,
        network: NetworkName,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.kind = kind
        self.own_address = own_address
        self.withdrawable = withdrawable
        self.network = network
        self.destination: str | None = None
        self.amount: Decimal | None = None
        is_send = kind == "send"
        self.setWindowTitle("Send USDC" if is_send else "Withdraw USDC")
        self.setModal(True)
        self.setMinimumWidth(500)

        root = QVBoxLayout(self)
        root.setContentsMargins(20, 18, 20, 18)
        root.setSpacing(10)
        self.stack = QStackedWidget()
        root.addWidget(self.stack)

        # -- step 1: the form
        form = QWidget()
        f = QVBoxLayout(form)
        f.setContentsMargins(0, 0, 0, 0)
        f.setSpacing(6)
        heading = QLabel(
            "Send USDC to another Hyperliquid account"
            if is_send
            else "Withdraw USDC to an address on Arbitrum"
        )
        heading.setProperty("role", "title")
        f.addWidget(heading)
        explain = QLabel(self._explanation())
        explain.setWordWrap(True)
        explain.setProperty("muted", True)
        f.addWidget(explain)
        f.addSpacing(6)
        f.addWidget(QLabel("To address" if is_send else "Arbitrum address"))
        self.destination_edit = QLineEdit()
        self.destination_edit.setPlaceholderText("0x…")
        self.destination_edit.setStyleSheet(_MONO)
        if not is_send:
            self.destination_edit.setText(own_address)
        self.destination_edit.textEdited.connect(lambda _t: self._clear_error("destination"))
        f.addWidget(self.destination_edit)
        self.destination_error = QLabel("")
        self.destination_error.setObjectName("ErrorText")
        self.destination_error.setWordWrap(True)
        self.destination_error.hide()
        f.addWidget(self.destination_error)
        f.addWidget(QLabel("Amount (USDC)"))
        amount_row = QHBoxLayout()
        self.amount_edit = QLineEdit()
        self.amount_edit.setPlaceholderText("0.00")
        self.amount_edit.textEdited.connect(lambda _t: self._clear_error("amount"))
        amount_row.addWidget(self.amount_edit, 1)
        self.max_button = QPushButton("Max")
        self.max_button.setToolTip(
            "Everything that can leave now" + ("" if is_send else ", less the $1 fee")
        )
        self.max_button.setAutoDefault(False)
        self.max_button.clicked.connect(self._fill_max)
        self.max_button.setEnabled(withdrawable is not None)
        amount_row.addWidget(self.max_button)
        f.addLayout(amount_row)
        self.amount_error = QLabel("")
        self.amount_error.setObjectName("ErrorText")
        self.amount_error.setWordWrap(True)
        self.amount_error.hide()
        f.addWidget(self.amount_error)
        available = (
            f"Available to {'send' if is_send else 'withdraw'}: "
            f"{format_usd(max_amount(kind, withdrawable).quantize(_CENT, rounding=ROUND_DOWN))}"
            if withdrawable is not None
            else "Your balance is still loading."
        )
        self.available_label = _caption(available, TIPS["withdrawable"])
        f.addWidget(self.available_label)
        f.addStretch(1)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        cancel = QPushButton("Cancel")
        cancel.setAutoDefault(False)
        cancel.clicked.connect(self.reject)
        buttons.addWidget(cancel)
        self.review_button = QPushButton("Review")
        self.review_button.setProperty("kind", "primary")
        self.review_button.setDefault(True)
        self.review_button.clicked.connect(self.review)
        buttons.addWidget(self.review_button)
        f.addLayout(buttons)
        self.stack.addWidget(form)

        # -- step 2: review
        review = QWidget()
        r = QVBoxLayout(review)
        r.setContentsMargins(0, 0, 0, 0)
        r.setSpacing(10)
        title = QLabel("Check before you send")
        title.setProperty("role", "title")
        r.addWidget(title)
        self.summary_label = QLabel("")
        self.summary_label.setWordWrap(True)
        self.summary_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        r.addWidget(self.summary_label)
        warning = QLabel(
            "Transfers cannot be undone. Check the address character by character against "
            "its source."
        )
        warning.setWordWrap(True)
        warning.setProperty("muted", True)
        r.addWidget(warning)
        r.addStretch(1)
        confirm_row = QHBoxLayout()
        confirm_row.addStretch(1)
        back = QPushButton("Back")
        back.setAutoDefault(False)
        back.clicked.connect(lambda: self.stack.setCurrentIndex(0))
        confirm_row.addWidget(back)
        self.confirm_button = QPushButton("Confirm and send" if is_send else "Confirm withdrawal")
        self.confirm_button.setProperty("kind", "primary")
        self.confirm_button.clicked.connect(self._confirm)
        confirm_row.addWidget(self.confirm_button)
        r.addLayout(confirm_row)
        self.stack.addWidget(review)

    def _explanation(self) -> str:
        if self.kind == "send":
            return (
                "Moves USDC inside Hyperliquid, instantly and without a fee. Only send to an "
                "account you control or trust: a transfer cannot be reversed."
            )
        if self.network == "local":
            return (
                "On the local demo venue a withdrawal just takes paper USDC out of the account "
                f"(with the {format_usd(WITHDRAW_FEE_USD)} fee); nothing arrives anywhere."
            )
        return (
            "Validators pay the USDC out on Arbitrum One, usually within 5 minutes, for a "
            f"{format_usd(WITHDRAW_FEE_USD)} fee. By default it goes to this wallet's own "
            "address there; the same key controls it."
        )

    # -- validation ---------------------------------------------------------------------

    def _show_error(self, field: str | None, message: str) -> None:
        label, edit = (
            (self.destination_error, self.destination_edit)
            if field == "destination"
            else (self.amount_error, self.amount_edit)
        )
        label.setText(message)
        label.show()
        _set_prop(edit, "error", True)
        self.adjustSize()  # grow for the message rather than clip the buttons

    def _clear_error(self, field: str) -> None:
        label, edit = (
            (self.destination_error, self.destination_edit)
            if field == "destination"
            else (self.amount_error, self.amount_edit)
        )
        label.hide()
        _set_prop(edit, "error", False)

    def _fill_max(self) -> None:
        if self.withdrawable is None:
            return
        most = max_amount(self.kind, self.withdrawable)
        self.amount_edit.setText(format(most.normalize(), "f") if most else "0")
        self._clear_error("amount")

    def review(self) -> bool:
        """Check both fields; show the review step when they pass, inline errors otherwise."""
        ok = True
        destination: str | None = None
        amount: Decimal | None = None
        try:
            destination = parse_destination(
                self.destination_edit.text(),
                own=self.own_address,
                allow_own=self.kind == "withdraw",
            )
            self._clear_error("destination")
        except TransferError as exc:
            self._show_error("destination", exc.message)
            ok = False
        try:
            amount = parse_amount(self.amount_edit.text())
            if self.withdrawable is not None:
                check_fits(self.kind, amount, self.withdrawable)
            elif self.kind == "withdraw" and amount <= WITHDRAW_FEE_USD:
                check_fits(self.kind, amount, amount + WITHDRAW_FEE_USD)
            self._clear_error("amount")
        except TransferError as exc:
            self._show_error("amount", exc.message)
            ok = False
        if not ok or destination is None or amount is None:
            return False
        self.destination, self.amount = destination, amount
        if self.kind == "send":
            text = (
                f"Send <b>{format_usd(amount)}</b> USDC to<br>"
                f'<span style="{_MONO}">{destination}</span><br><br>'
                "It arrives at once; there is no fee."
            )
        else:
            text = (
                f"Withdraw <b>{format_usd(amount)}</b> USDC to<br>"
                f'<span style="{_MONO}">{destination}</span><br><br>'
                f"The {format_usd(WITHDRAW_FEE_USD)} fee comes on top: "
                f"{format_usd(amount + WITHDRAW_FEE_USD)} leaves the account."
            )
        self.summary_label.setText(text)
        self.stack.setCurrentIndex(1)
        self.confirm_button.setFocus()
        return True

    def _confirm(self) -> None:
        if self.destination is not None and self.amount is not None:
            self.accept()


class DepositDialog(QDialog):
    """Deposit: a paper amount on the local venue; elsewhere, how to fund from Arbitrum."""

    def __init__(
        self, address: str, network: NetworkName, can_deposit: bool, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.network = network
        self.amount: Decimal | None = None
        self.setWindowTitle("Deposit")
        self.setModal(True)
        self.setMinimumWidth(500)
        root = QVBoxLayout(self)
        root.setContentsMargins(20, 18, 20, 18)
        root.setSpacing(8)
        heading = QLabel("Add paper USDC" if network == "local" else "Deposit USDC")
        heading.setProperty("role", "title")
        root.addWidget(heading)
        self.amount_edit: QLineEdit | None = None
        self.amount_error = QLabel("")
        self.amount_error.setObjectName("ErrorText")
        self.amount_error.setWordWrap(True)
        self.amount_error.hide()
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        if network == "local":
            explain = QLabel(
                "The local demo venue credits play money to this account at once. It is not "
                "real USDC and never leaves this computer."
            )
            explain.setWordWrap(True)
            explain.setProperty("muted", True)
            root.addWidget(explain)
            root.addWidget(QLabel("Amount (USDC)"))
            self.amount_edit = QLineEdit(_DEFAULT_DEMO_DEPOSIT)
            self.amount_edit.textEdited.connect(lambda _t: self.amount_error.hide())
            root.addWidget(self.amount_edit)
            root.addWidget(self.amount_error)
            cancel = QPushButton("Cancel")
            cancel.setAutoDefault(False)
            cancel.clicked.connect(self.reject)
            buttons.addWidget(cancel)
            self.deposit_button = QPushButton("Add paper USDC")
            self.deposit_button.setProperty("kind", "primary")
            self.deposit_button.setDefault(True)
            self.deposit_button.setEnabled(can_deposit)
            self.deposit_button.clicked.connect(self._submit)
            buttons.addWidget(self.deposit_button)
        else:
            steps = QLabel(_TESTNET_DEPOSIT if network == "testnet" else _MAINNET_DEPOSIT)
            steps.setWordWrap(True)
            steps.setTextFormat(Qt.TextFormat.RichText)
            root.addWidget(steps)
            addr = QLabel(address or "Unlock your wallet to see its address.")
            addr.setStyleSheet(_MONO)
            addr.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            root.addWidget(addr)
            copy = QPushButton("Copy address")
            copy.setAutoDefault(False)
            copy.setEnabled(bool(address))
            copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(address))
            buttons.addWidget(copy)
            close = QPushButton("Close")
            close.setDefault(True)
            close.clicked.connect(self.reject)
            buttons.addWidget(close)
        root.addStretch(1)
        root.addLayout(buttons)

    def _submit(self) -> None:
        assert self.amount_edit is not None
        try:
            amount = parse_amount(self.amount_edit.text())
            if amount > MAX_DEMO_DEPOSIT_USD:
                raise TransferError(
                    f"A demo deposit is at most {format_usd(MAX_DEMO_DEPOSIT_USD)} at a time."
                )
        except TransferError as exc:
            self.amount_error.setText(exc.message)
            self.amount_error.show()
            return
        self.amount = amount
        self.accept()


def _address_note(network: NetworkName) -> str:
    """What the shown address is: a paper account on the local venue is nobody's to pay."""
    if network == "local":
        return (
            "Your paper account on the built-in local venue: it holds no real funds, so send "
            "nothing real to it. The same key is a real Ethereum address elsewhere: never share "
            "your recovery phrase or password."
        )
    where = "Hyperliquid testnet" if network == "testnet" else "Hyperliquid and on Arbitrum"
    return (
        f"This is your account on {where}. Share it to receive USDC; never share your "
        "recovery phrase or password."
    )


# ---------------------------------------------------------------------------------- the page


class WalletPage(QWidget):
    """Balances, Deposit / Withdraw / Send, address with QR, agent status (UX.md 2).

    ``backup_requested`` asks for the recovery-phrase backup of the shown wallet (the
    reminder above the balances stays until that wallet's backup is confirmed).
    """

    backup_requested = Signal()

    def __init__(self, adapter: SessionAdapter, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.adapter = adapter
        self._address = ""
        self._label = ""
        self._backed_up = True
        self._network: NetworkName = "local"
        self._transfers: Transfers | None = None
        self._deposit: Deposit | None = None
        self._busy: str | None = None  # "send", "withdraw" or "deposit" while one runs
        self._tasks: set[asyncio.Future[Any]] = set()
        self.dialog: QDialog | None = None
        self._history_shown: tuple[tuple[LedgerUpdate, ...], str] | None = None

        root = QVBoxLayout(self)
        root.setContentsMargins(24, 20, 24, 20)
        root.setSpacing(14)

        head = QHBoxLayout()
        title = QLabel("Wallet")
        title.setProperty("role", "title")
        head.addWidget(title)
        self.wallet_label = _caption("")
        head.addWidget(self.wallet_label)
        head.addStretch(1)
        root.addLayout(head)

        self.locked_label = QLabel("Unlock your wallet to see your balance and move funds.")
        self.locked_label.setProperty("muted", True)
        root.addWidget(self.locked_label)

        # Until the recovery phrase is backed up, losing this computer loses the wallet.
        self.backup_reminder = QFrame()
        self.backup_reminder.setObjectName("BackupReminder")
        reminder = QHBoxLayout(self.backup_reminder)
        reminder.setContentsMargins(0, 0, 0, 0)
        self.backup_reminder_label = QLabel(
            "This wallet's recovery phrase is not backed up yet: if this computer is lost or "
            "its keyring is reset, the wallet is gone. Write the 12 words down now."
        )
        self.backup_reminder_label.setWordWrap(True)
        self.backup_reminder_label.setProperty("role", "warning")
        reminder.addWidget(self.backup_reminder_label, 1)
        self.backup_button = QPushButton("Back up now")
        self.backup_button.clicked.connect(self.backup_requested.emit)
        reminder.addWidget(self.backup_button)
        self.backup_reminder.hide()
        root.addWidget(self.backup_reminder)

        root.addWidget(self._build_balance_card())
        root.addLayout(self._build_actions())

        lower = QHBoxLayout()
        lower.setSpacing(14)
        lower.addWidget(self._build_address_card(), 1)
        lower.addWidget(self._build_agent_card(), 1)
        root.addLayout(lower)
        root.addWidget(self._build_history_card(), 1)

        self._redraw_timer = QTimer(self)
        self._redraw_timer.setSingleShot(True)
        self._redraw_timer.setInterval(_REDRAW_MS)
        self._redraw_timer.timeout.connect(self.redraw)
        adapter.account_changed.connect(self._schedule)
        adapter.account_opened.connect(lambda _user: self.redraw())
        adapter.connection_changed.connect(lambda *_args: self._schedule())
        self.redraw()

    # -- layout --------------------------------------------------------------------------

    def _build_balance_card(self) -> QFrame:
        card, layout = _card()
        top = QHBoxLayout()
        top.setSpacing(36)
        left = QVBoxLayout()
        left.setSpacing(2)
        left.addWidget(_caption("Account value", TIPS["account_value"]))
        self.account_value_label = QLabel("—")
        self.account_value_label.setProperty("role", "big")
        self.account_value_label.setStyleSheet("font-size: 34px;")
        self.account_value_label.setToolTip(TIPS["account_value"])
        left.addWidget(self.account_value_label)
        top.addLayout(left)
        self.available_stat = _Stat("Available to trade", TIPS["available"])
        self.withdrawable_stat = _Stat("Withdrawable", TIPS["withdrawable"])
        self.pnl_stat = _Stat("Unrealized PnL", TIPS["pnl"])
        for stat in (self.available_stat, self.withdrawable_stat, self.pnl_stat):
            top.addWidget(stat, 0, Qt.AlignmentFlag.AlignBottom)
        top.addStretch(1)
        layout.addLayout(top)
        layout.addSpacing(6)
        margin_head = QHBoxLayout()
        margin_head.addWidget(_caption("Margin in use", TIPS["margin"]))
        margin_head.addStretch(1)
        self.margin_label = QLabel("—")
        self.margin_label.setToolTip(TIPS["margin"])
        margin_head.addWidget(self.margin_label)
        layout.addLayout(margin_head)
        self.margin_bar = QProgressBar()
        self.margin_bar.setObjectName("MarginBar")
        self.margin_bar.setRange(0, 1000)
        self.margin_bar.setValue(0)
        self.margin_bar.setTextVisible(False)
        self.margin_bar.setFixedHeight(10)
        self.margin_bar.setToolTip(TIPS["margin"])
        layout.addWidget(self.margin_bar)
        return card

    def _build_actions(self) -> QVBoxLayout:
        column = QVBoxLayout()
        column.setSpacing(6)
        row = QHBoxLayout()
        row.setSpacing(10)
        self.deposit_button = QPushButton("Deposit")
        self.deposit_button.setProperty("kind", "primary")
        self.deposit_button.clicked.connect(self.open_deposit)
        self.withdraw_button = QPushButton("Withdraw")
        self.withdraw_button.setToolTip("Withdraw USDC to Arbitrum ($1 fee)")
        self.withdraw_button.clicked.connect(lambda: self.open_transfer("withdraw"))
        self.send_button = QPushButton("Send")
        self.send_button.setToolTip("Send USDC to another Hyperliquid account (no fee)")
        self.send_button.clicked.connect(lambda: self.open_transfer("send"))
        for button in (self.deposit_button, self.withdraw_button, self.send_button):
            button.setMinimumWidth(130)
            button.setCursor(Qt.CursorShape.PointingHandCursor)
            row.addWidget(button)
        row.addStretch(1)
        column.addLayout(row)
        self.result_label = QLabel("")
        self.result_label.setWordWrap(True)
        self.result_label.hide()
        column.addWidget(self.result_label)
        return column

    def _build_address_card(self) -> QFrame:
        card, layout = _card()
        layout.addWidget(_caption("Your address"))
        body = QHBoxLayout()
        body.setSpacing(16)
        self.qr = QrCode()
        body.addWidget(self.qr, 0, Qt.AlignmentFlag.AlignTop)
        side = QVBoxLayout()
        side.setSpacing(8)
        self.address_label = QLabel("No wallet unlocked.")
        self.address_label.setWordWrap(True)
        self.address_label.setStyleSheet(_MONO + " font-size: 14px;")
        self.address_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.address_label.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Minimum)
        side.addWidget(self.address_label)
        self.copy_button = QPushButton("Copy address")
        self.copy_button.clicked.connect(self.copy_address)
        side.addWidget(self.copy_button, 0, Qt.AlignmentFlag.AlignLeft)
        self.address_note = QLabel("")  # what the address is, on this network (see redraw)
        self.address_note.setWordWrap(True)
        self.address_note.setProperty("muted", True)
        side.addWidget(self.address_note)
        side.addStretch(1)
        body.addLayout(side, 1)
        layout.addLayout(body)
        return card

    def _build_agent_card(self) -> QFrame:
        card, layout = _card()
        layout.addWidget(_caption("Agent (API) wallet"))
        self.agent_status_label = QLabel("—")
        self.agent_status_label.setWordWrap(True)
        self.agent_status_label.setStyleSheet("font-weight: 600;")
        layout.addWidget(self.agent_status_label)
        self.agent_explain_label = QLabel(AGENT_EXPLANATION)
        self.agent_explain_label.setWordWrap(True)
        self.agent_explain_label.setProperty("muted", True)
        layout.addWidget(self.agent_explain_label)
        layout.addStretch(1)
        return card

    def _build_history_card(self) -> QFrame:
        card, layout = _card()
        layout.addWidget(_caption("Recent deposits and transfers"))
        self.history_table = QTableWidget(0, 4)
        self.history_table.setHorizontalHeaderLabels(["Time", "What", "Amount", "Details"])
        self.history_table.verticalHeader().hide()
        self.history_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.history_table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.history_table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.history_table.setShowGrid(False)
        header = self.history_table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        for column, width in enumerate((170, 120, 140)):
            header.resizeSection(column, width)
        header.setStretchLastSection(True)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        amount_header = self.history_table.horizontalHeaderItem(2)
        if amount_header is not None:
            amount_header.setTextAlignment(
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
            )
        layout.addWidget(self.history_table, 1)
        self.history_empty = _caption("No deposits or transfers yet.")
        layout.addWidget(self.history_empty)
        return card

    # -- setters the app calls -------------------------------------------------------------

    def set_wallet(
        self,
        address: str,
        label: str,
        network: NetworkName,
        agent_status: str,
        *,
        backed_up: bool = True,
    ) -> None:
        """Which wallet is shown (its address may be known while it is locked) and where;
        ``backed_up`` False shows the backup reminder while that wallet is unlocked."""
        self._address = address
        self._label = label
        self._network = network
        self._backed_up = backed_up
        self.set_agent_status(agent_status)
        self.redraw()

    def set_agent_status(self, text: str) -> None:
        self.agent_status_label.setText(text or "—")

    def set_transfers(self, transfers: Transfers | None, deposit: Deposit | None) -> None:
        """The unlocked wallet's transfer service and the demo deposit (None when locked)."""
        self._transfers = transfers
        self._deposit = deposit
        self.redraw()

    # -- drawing ---------------------------------------------------------------------------

    def _schedule(self) -> None:
        if not self._redraw_timer.isActive():
            self._redraw_timer.start()

    def redraw(self) -> None:
        """Numbers, buttons and address from the latest account state and wallet."""
        network = NETWORKS[self._network].label
        self.wallet_label.setText(" · ".join(t for t in (self._label, network) if t))
        self.address_label.setText(self._address or "No wallet unlocked.")
        self.copy_button.setEnabled(bool(self._address))
        self.backup_reminder.setVisible(bool(self._address) and not self._backed_up)
        self.address_note.setText(_address_note(self._network))
        self.qr.set_text(self._address)
        self.qr.setVisible(bool(self._address))

        state = self.adapter.account_state() if self.adapter.has_account else None
        self.locked_label.setVisible(state is None)
        if state is None:
            self.locked_label.setText(
                "Unlock your wallet to see your balance and move funds."
                if not self.adapter.has_account
                else "Loading your account…"
            )
        self._show_numbers(state)
        self._show_history(self.adapter.ledger() if state is not None else ())
        self._update_buttons(state)

    def _show_numbers(self, state: AccountState | None) -> None:
        stat_labels = (
            self.account_value_label,
            self.available_stat.value,
            self.withdrawable_stat.value,
            self.pnl_stat.value,
        )
        if state is None:
            for label in stat_labels:
                label.setText("—")
            _set_prop(self.pnl_stat.value, "pnl", None)
            self.margin_label.setText("—")
            self.margin_bar.setValue(0)
            return
        summary = state.margin_summary
        cross = state.cross_margin_summary
        available = max(_ZERO, cross.account_value - cross.total_margin_used)
        pnl = sum((p.unrealized_pnl for p in state.positions), _ZERO)
        self.account_value_label.setText(format_usd(summary.account_value))
        self.available_stat.value.setText(format_usd(available))
        self.withdrawable_stat.value.setText(format_usd(state.withdrawable))
        self.pnl_stat.value.setText(format_usd(pnl))
        _set_prop(self.pnl_stat.value, "pnl", "up" if pnl > 0 else "down" if pnl < 0 else None)
        used = summary.total_margin_used
        share = used / summary.account_value if summary.account_value > 0 else _ZERO
        if used > 0 and summary.account_value <= 0:
            share = Decimal(1)
        share = min(max(share, _ZERO), Decimal(1))
        self.margin_label.setText(
            f"{format_usd(used)} of {format_usd(summary.account_value)} ({share * 100:.1f}%)"
        )
        self.margin_bar.setValue(int(share * 1000))
        level = "danger" if share >= Decimal("0.8") else "warn" if share >= Decimal("0.5") else "ok"
        _set_prop(self.margin_bar, "level", level)
        stale = self.adapter.account_stale
        for label in stat_labels:
            _set_prop(label, "stale", stale)

    def _show_history(self, ledger: Sequence[LedgerUpdate]) -> None:
        rows = tuple(ledger[:_HISTORY_ROWS])  # the store keeps them newest first
        me = self.adapter.user
        if (rows, me) == self._history_shown:
            return  # account pushes come every tick; the ledger rarely changes
        self._history_shown = (rows, me)
        table = self.history_table
        table.setRowCount(len(rows))
        for i, update in enumerate(rows):
            what, amount, note = describe_ledger(update, me)
            when = datetime.fromtimestamp(update.time / 1000).strftime("%Y-%m-%d %H:%M")
            for column, text in enumerate((when, what, amount, f"   {note}")):
                item = QTableWidgetItem(text)
                if column == 2:
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                table.setItem(i, column, item)
        table.setVisible(bool(rows))
        self.history_empty.setVisible(not rows)
        self.history_empty.setText(
            "No deposits or transfers yet."
            if self.adapter.has_account
            else "Unlock your wallet to see its deposits and transfers."
        )

    def _update_buttons(self, state: AccountState | None) -> None:
        can_move = self._transfers is not None and state is not None and self._busy is None
        for kind, button in (("withdraw", self.withdraw_button), ("send", self.send_button)):
            button.setEnabled(can_move)
            if self._busy != kind:
                button.setText(kind.capitalize())
        why = (
            ""
            if can_move
            else "Unlock your wallet first."
            if state is None or self._transfers is None
            else "Wait for the current transfer to finish."
        )
        self.withdraw_button.setToolTip(why or "Withdraw USDC to Arbitrum ($1 fee)")
        self.send_button.setToolTip(why or "Send USDC to another Hyperliquid account (no fee)")
        if self._network == "local":
            self.deposit_button.setEnabled(
                self._deposit is not None and bool(self._address) and self._busy is None
            )
            self.deposit_button.setToolTip(
                "Add paper USDC to the demo account"
                if self._deposit is not None
                else "Unlock your wallet first."
            )
        else:
            self.deposit_button.setEnabled(bool(self._address))
            self.deposit_button.setToolTip("How to deposit USDC from Arbitrum")
        if self._busy != "deposit":
            self.deposit_button.setText("Deposit")

    def show_result(self, ok: bool | None, text: str) -> None:
        """The inline outcome line: green for done, red for refused, muted while working."""
        self.result_label.setText(text)
        _set_prop(self.result_label, "role", None if ok is None else "long" if ok else "short")
        _set_prop(self.result_label, "muted", ok is None)
        self.result_label.show()

    # -- actions ---------------------------------------------------------------------------

    def copy_address(self) -> None:
        if not self._address:
            return
        QGuiApplication.clipboard().setText(self._address)
        self.copy_button.setText("Copied")
        # The button is the timer's context: a page closed meanwhile cancels it.
        button = self.copy_button
        QTimer.singleShot(1500, button, lambda: button.setText("Copy address"))

    def open_transfer(self, kind: TransferKind) -> TransferDialog | None:
        """Show the Withdraw or Send dialog (non-blocking); it starts the transfer on accept."""
        transfers = self._transfers
        if transfers is None or self._busy is not None:
            return None
        state = self.adapter.account_state() if self.adapter.has_account else None
        dialog = TransferDialog(
            kind,
            transfers.address,
            state.withdrawable if state is not None else None,
            self._network,
            self,
        )
        dialog.accepted.connect(lambda: self._on_transfer_accepted(dialog))
        self.dialog = dialog
        dialog.open()
        return dialog

    def _on_transfer_accepted(self, dialog: TransferDialog) -> None:
        if dialog.destination is None or dialog.amount is None:
            return
        self.start_transfer(dialog.kind, dialog.destination, dialog.amount)

    def start_transfer(self, kind: TransferKind, destination: str, amount: Decimal) -> None:
        """Run a reviewed transfer; the button shows progress, the result appears inline."""
        transfers = self._transfers
        if transfers is None or self._busy is not None:
            return
        self._busy = kind
        button = self.send_button if kind == "send" else self.withdraw_button
        self._update_buttons(self.adapter.account_state() if self.adapter.has_account else None)
        button.setText("Sending…" if kind == "send" else "Withdrawing…")
        verb = "Sending" if kind == "send" else "Withdrawing"
        self.show_result(None, f"{verb} {format_usd(amount)} to {short(destination)}…")
        call = transfers.send_usd if kind == "send" else transfers.withdraw
        self._spawn(self._run_transfer(kind, call(destination, amount)))

    async def _run_transfer(self, kind: TransferKind, call: Awaitable[TransferResult]) -> None:
        try:
            result = await call
            ok, text = result.ok, result.message
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a failure must end in a message, not a silent log line
            log.exception("%s failed", kind)
            ok, text = False, f"The transfer could not be completed: {exc}"
        self._finish(ok, text)

    def open_deposit(self) -> DepositDialog | None:
        if self._busy is not None:
            return None
        dialog = DepositDialog(self._address, self._network, self._deposit is not None, self)
        dialog.accepted.connect(lambda: self._on_deposit_accepted(dialog))
        self.dialog = dialog
        dialog.open()
        return dialog

    def _on_deposit_accepted(self, dialog: DepositDialog) -> None:
        if dialog.amount is not None:
            self.start_deposit(dialog.amount)

    def start_deposit(self, amount: Decimal) -> None:
        deposit = self._deposit
        if deposit is None or self._busy is not None:
            return
        self._busy = "deposit"
        self._update_buttons(self.adapter.account_state() if self.adapter.has_account else None)
        self.deposit_button.setText("Depositing…")
        self.show_result(None, f"Adding {format_usd(amount)} of paper USDC…")
        self._spawn(self._run_deposit(deposit(amount), amount))

    async def _run_deposit(self, call: Awaitable[None], amount: Decimal) -> None:
        try:
            await call
            ok, text = True, f"Added {format_usd(amount)} of paper USDC."
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("demo deposit failed: %s", exc)
            ok, text = False, str(exc) or "The deposit failed."
        self._finish(ok, text)

    def _finish(self, ok: bool, text: str) -> None:
        try:
            self._busy = None
            self.show_result(ok, text)
            self.redraw()
        except RuntimeError:  # the page was deleted while the task ran
            pass

    def _spawn(self, coro: Awaitable[None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def wait_idle(self) -> None:
        """Wait until running transfers have finished (tests, and the app before closing)."""
        if self._tasks:
            await asyncio.wait(list(self._tasks))

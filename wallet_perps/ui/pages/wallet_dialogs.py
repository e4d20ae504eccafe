"""The Wallet page's dialogs: Withdraw / Send (form, then review) and Deposit.

Why they validate with the service's own functions (``parse_destination``, ``parse_amount``,
``check_fits``): what the dialog accepts, the transfers service accepts; what it refuses never
leaves the computer. Split from :mod:`wallet_perps.ui.pages.wallet` to keep the page module
about the page.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QWidget,
)

from wallet_perps.core.display import format_usd
from wallet_perps.core.networks import MAX_DEMO_DEPOSIT_USD, NETWORKS, Deposits, NetworkName
from wallet_perps.core.venue_rules import WITHDRAW_FEE_USD
from wallet_perps.services.transfers import (
    TransferError,
    TransferKind,
    check_fits,
    max_amount,
    parse_amount,
    parse_destination,
)
from wallet_perps.ui.kit import (
    MONO_CSS,
    caption,
    column,
    error_text,
    footer_buttons,
    set_flag,
    title,
    vbox,
)
from wallet_perps.ui.pages.wallet_parts import TIPS

__all__ = ["DepositDialog", "TransferDialog"]

_CENT = Decimal("0.01")
_DEFAULT_DEMO_DEPOSIT = "1000"

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
#: What to do outside the app, for each way of depositing that is not the in-app faucet.
_DEPOSIT_STEPS: dict[Deposits, str] = {
    Deposits.TESTNET_FAUCET: _TESTNET_DEPOSIT,
    Deposits.ARBITRUM_BRIDGE: _MAINNET_DEPOSIT,
}


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

        root = vbox(self, margins=(20, 18, 20, 18), spacing=10)
        self.stack = QStackedWidget()
        root.addWidget(self.stack)

        # -- step 1: the form
        if is_send:
            heading = title("Send USDC to another Hyperliquid account")
        else:
            heading = title("Withdraw USDC to an address on Arbitrum")
        form, f = column(6)
        f.addWidget(heading)
        f.addWidget(caption(self._explanation(), wrap=True))
        f.addSpacing(6)
        f.addWidget(QLabel("To address" if is_send else "Arbitrum address"))
        self.destination_edit = QLineEdit()
        self.destination_edit.setPlaceholderText("0x…")
        self.destination_edit.setStyleSheet(MONO_CSS)
        if not is_send:
            self.destination_edit.setText(own_address)
        self.destination_edit.textEdited.connect(lambda _t: self._clear_error("destination"))
        f.addWidget(self.destination_edit)
        self.destination_error = error_text()
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
        self.amount_error = error_text()
        f.addWidget(self.amount_error)
        available = (
            f"Available to {'send' if is_send else 'withdraw'}: "
            f"{format_usd(max_amount(kind, withdrawable).quantize(_CENT, rounding=ROUND_DOWN))}"
            if withdrawable is not None
            else "Your balance is still loading."
        )
        self.available_label = caption(available, TIPS["withdrawable"])
        f.addWidget(self.available_label)
        f.addStretch(1)
        _, self.review_button = footer_buttons(f, ("Cancel", self.reject), ("Review", self.review))
        self.stack.addWidget(form)

        # -- step 2: review
        review, r = column(10)
        r.addWidget(title("Check before you send"))
        self.summary_label = QLabel("")
        self.summary_label.setWordWrap(True)
        self.summary_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        r.addWidget(self.summary_label)
        warning = caption(
            "Transfers cannot be undone. Check the address character by character against "
            "its source.",
            wrap=True,
        )
        r.addWidget(warning)
        r.addStretch(1)
        _, self.confirm_button = footer_buttons(
            r,
            ("Back", lambda: self.stack.setCurrentIndex(0)),
            ("Confirm and send" if is_send else "Confirm withdrawal", self._confirm),
            default=False,  # the review step's button takes Enter by focus (set on showing it)
        )
        self.stack.addWidget(review)

    def _explanation(self) -> str:
        if self.kind == "send":
            return (
                "Moves USDC inside Hyperliquid, instantly and without a fee. Only send to an "
                "account you control or trust: a transfer cannot be reversed."
            )
        if NETWORKS[self.network].embedded_venue:
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
        set_flag(edit, "error", True)
        self.adjustSize()  # grow for the message rather than clip the buttons

    def _clear_error(self, field: str) -> None:
        label, edit = (
            (self.destination_error, self.destination_edit)
            if field == "destination"
            else (self.amount_error, self.amount_edit)
        )
        label.hide()
        set_flag(edit, "error", False)

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
                f'<span style="{MONO_CSS}">{destination}</span><br><br>'
                "It arrives at once; there is no fee."
            )
        else:
            text = (
                f"Withdraw <b>{format_usd(amount)}</b> USDC to<br>"
                f'<span style="{MONO_CSS}">{destination}</span><br><br>'
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
        root = vbox(self, margins=(20, 18, 20, 18), spacing=8)
        in_app = NETWORKS[network].deposits is Deposits.FAUCET
        root.addWidget(title("Add paper USDC" if in_app else "Deposit USDC"))
        self.amount_edit: QLineEdit | None = None
        self.amount_error = error_text()
        if in_app:
            explain = caption(
                "The local demo venue credits play money to this account at once. It is not "
                "real USDC and never leaves this computer.",
                wrap=True,
            )
            root.addWidget(explain)
            root.addWidget(QLabel("Amount (USDC)"))
            self.amount_edit = QLineEdit(_DEFAULT_DEMO_DEPOSIT)
            self.amount_edit.textEdited.connect(lambda _t: self.amount_error.hide())
            root.addWidget(self.amount_edit)
            root.addWidget(self.amount_error)
            root.addStretch(1)
            _, self.deposit_button = footer_buttons(
                root, ("Cancel", self.reject), ("Add paper USDC", self._submit)
            )
            self.deposit_button.setEnabled(can_deposit)
        else:
            steps = QLabel(_DEPOSIT_STEPS[NETWORKS[network].deposits])
            steps.setWordWrap(True)
            steps.setTextFormat(Qt.TextFormat.RichText)
            root.addWidget(steps)
            addr = QLabel(address or "Unlock your wallet to see its address.")
            addr.setStyleSheet(MONO_CSS)
            addr.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            root.addWidget(addr)
            buttons = QHBoxLayout()
            buttons.addStretch(1)
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

"""The unlock strip shown above every page while the wallet is locked.

Why a strip and not a lock screen: market data is public, so prices, the book and funding
stay live and browsable while locked; only what needs the key (the account, trading) waits
for the password, which is typed right where the user is.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from wallet_perps.core.display import short_address
from wallet_perps.ui.kit import hbox, set_flag

__all__ = ["UnlockBar"]


class UnlockBar(QFrame):
    """Wallet picker, password, Unlock; ``unlock_requested(address, password)``."""

    unlock_requested = Signal(str, str)
    add_wallet_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("UnlockBar")
        layout = hbox(self, margins=(16, 8, 16, 8), spacing=10)
        caption = QLabel("Locked")
        caption.setToolTip(
            "Your keys are encrypted on this computer (in the system keyring or an encrypted "
            "file). Unlock to see your account and trade; market data stays live meanwhile."
        )
        layout.addWidget(caption)
        self.caption = caption
        self.no_wallet_label = QLabel(
            "Markets are live. Create or import a wallet, or try the paper demo, to trade."
        )
        self.no_wallet_label.setProperty("muted", True)
        self.no_wallet_label.hide()
        layout.addWidget(self.no_wallet_label, 1)
        self.wallet_box = QComboBox()
        self.wallet_box.setMinimumWidth(230)
        layout.addWidget(self.wallet_box)
        self.password_edit = QLineEdit()
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.password_edit.setPlaceholderText("Password")
        self.password_edit.setMinimumWidth(200)
        self.password_edit.returnPressed.connect(self._request)
        layout.addWidget(self.password_edit)
        self.unlock_button = QPushButton("Unlock")
        self.unlock_button.setProperty("kind", "primary")
        self.unlock_button.clicked.connect(self._request)
        layout.addWidget(self.unlock_button)
        self.error_label = QLabel("")
        self.error_label.setProperty("role", "error")
        self.error_label.hide()
        layout.addWidget(self.error_label, 1)
        layout.addStretch(0)
        self.add_button = QPushButton("Add wallet")
        self.add_button.setFlat(True)
        self.add_button.setToolTip("Create, import or try the demo with another wallet")
        self.add_button.clicked.connect(self.add_wallet_requested.emit)
        layout.addWidget(self.add_button)

    def set_wallets(self, wallets: list[tuple[str, str]], selected: str | None = None) -> None:
        """``wallets``: (address, label) pairs, oldest first; the last used is preselected.

        With none, the strip says that markets are live and offers to get started instead of
        asking for a password nobody has.
        """
        empty = not wallets
        self.caption.setText("No wallet yet" if empty else "Locked")
        self.no_wallet_label.setVisible(empty)
        for widget in (self.wallet_box, self.password_edit, self.unlock_button):
            widget.setVisible(not empty)
        self.add_button.setText("Get started" if empty else "Add wallet")
        self.add_button.setFlat(not empty)
        set_flag(self.add_button, "kind", "primary" if empty else None)
        self.wallet_box.clear()
        for address, label in wallets:
            self.wallet_box.addItem(f"{label} · {short_address(address)}", address)
        if selected:
            index = self.wallet_box.findData(selected)
            if index >= 0:
                self.wallet_box.setCurrentIndex(index)

    def set_busy(self, busy: bool) -> None:
        self.unlock_button.setEnabled(not busy)
        self.password_edit.setEnabled(not busy)
        self.unlock_button.setText("Unlocking…" if busy else "Unlock")
        if busy:
            self.error_label.hide()

    def show_error(self, text: str) -> None:
        self.set_busy(False)
        self.error_label.setText(text)
        self.error_label.show()
        self.password_edit.selectAll()
        self.password_edit.setFocus()

    def reset(self) -> None:
        self.set_busy(False)
        self.password_edit.clear()
        self.error_label.hide()

    def _request(self) -> None:
        address = self.wallet_box.currentData()
        password = self.password_edit.text()
        if not isinstance(address, str) or not address:
            self.show_error("Choose a wallet.")
            return
        if not password:
            self.show_error("Type your password.")
            return
        self.set_busy(True)
        self.unlock_requested.emit(address, password)

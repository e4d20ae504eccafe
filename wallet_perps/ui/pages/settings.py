"""The Settings page: network, agent wallet, auto-lock, confirmations, slippage, theme, about.

UX.md "Settings". Why it behaves as it does:

* Every preference applies as soon as it is changed and is saved at once through
  :meth:`Settings.save` (atomic), then ``settings_changed`` tells the app. There is no Save
  button to forget. A slippage that fails validation (a Decimal from 0.1 to 10 %) shows its
  reason under the field and saves nothing, so a typo can never widen every market order.
* Switching the network is the app's job (it restarts the session), so the page only asks for
  it with ``network_requested``. Mainnet means real money: that request is emitted only after
  the user accepts a warning that says so; declining leaves the network as it was.
* Rotating and revoking the agent wallet, and the idle-lock time (kept by the keystore, not in
  settings.json), are likewise requests the app carries out; the page shows what it is told.
* "Where your keys are" lists each wallet with its store (the system keyring, or the
  encrypted file with its path) and, when a keyring exists, offers to move it to the other
  store (``key_move_requested``); moving to a file asks first, since the password alone then
  protects it. The app does the move off the UI thread and pushes the new list back.
  Each row also asks for key care (``key_care_requested``: back up, show the phrase, change
  the password, rename, remove; the app opens ``key_care_dialogs``); unbacked rows say so.
"""

from __future__ import annotations

import importlib.metadata
import platform
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Final, Literal, cast

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

import wallet_perps
from wallet_perps.config import Settings, app_dirs
from wallet_perps.core.display import format_plain
from wallet_perps.core.networks import NETWORKS, NetworkName
from wallet_perps.services.wallet_service import WalletLocation
from wallet_perps.ui.kit import WIDE_CARD_MARGINS, caption, card, set_flag, title

__all__ = [
    "MAX_SLIPPAGE_PCT",
    "MIN_SLIPPAGE_PCT",
    "Confirm",
    "SettingsPage",
    "SlippageError",
    "app_version",
    "parse_slippage",
]

#: Asks the user a yes/no question: (title, text) -> accepted.
Confirm = Callable[[str, str], bool]
ThemeName = Literal["dark", "light", "system"]

MIN_SLIPPAGE_PCT: Final = Decimal("0.1")
MAX_SLIPPAGE_PCT: Final = Decimal(10)
MAX_IDLE_LOCK_MINUTES: Final = 24 * 60
THEMES: Final[tuple[tuple[ThemeName, str], ...]] = (
    ("dark", "Dark"),
    ("light", "Light"),
    ("system", "Follow the system"),
)


class SlippageError(ValueError):
    """A default slippage the page refuses to save; the message is for the user."""


def parse_slippage(text: str) -> Decimal:
    """ "0.5", "0,5" or "0.5 %" -> Decimal("0.5"); outside 0.1-10 % raises SlippageError."""
    body = text.strip().removesuffix("%").strip().replace(",", ".")
    if not body:
        raise SlippageError("Enter the default slippage in percent, e.g. 1.")
    try:
        value = Decimal(body)
    except InvalidOperation:
        raise SlippageError("Slippage is a number of percent, e.g. 0.5 or 1.") from None
    if not value.is_finite():
        raise SlippageError("Slippage is a number of percent, e.g. 0.5 or 1.")
    if not MIN_SLIPPAGE_PCT <= value <= MAX_SLIPPAGE_PCT:
        raise SlippageError(
            f"Choose between {MIN_SLIPPAGE_PCT}% and {MAX_SLIPPAGE_PCT:f}%: less rarely fills "
            "a market order, more risks a poor price in a thin book."
        )
    return value


def app_version() -> str:
    """``wallet_perps.__version__`` when the package defines it, else the installed metadata."""
    version = getattr(wallet_perps, "__version__", None)
    if isinstance(version, str) and version:
        return version
    try:
        return importlib.metadata.version("wallet-perps")
    except importlib.metadata.PackageNotFoundError:
        return "development build"


def ask_with_message_box(title: str, text: str) -> bool:
    """The default confirmation: a warning box whose safe answer (No) is the default."""
    box = QMessageBox()
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle(title)
    box.setText(text)
    box.setStandardButtons(QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)
    box.setDefaultButton(QMessageBox.StandardButton.No)
    return box.exec() == QMessageBox.StandardButton.Yes


def _section(heading: str, explanation: str = "") -> tuple[QFrame, QVBoxLayout]:
    """A settings card: its heading (smaller than a page title) and what it is about."""
    frame, layout = card(margins=WIDE_CARD_MARGINS)
    label = QLabel(heading)
    label.setStyleSheet("font-size: 15px; font-weight: 600;")
    layout.addWidget(label)
    if explanation:
        layout.addWidget(caption(explanation, wrap=True))
    return frame, layout


class SettingsPage(QWidget):
    """Preferences saved through :class:`Settings`; network and agent changes as requests."""

    network_requested = Signal(str)
    theme_changed = Signal(str)
    settings_changed = Signal()
    agent_rotate_requested = Signal()
    agent_revoke_requested = Signal()
    idle_lock_changed = Signal(int)
    #: (address, "keyring" or "file"): move that wallet's encrypted key to the other store.
    key_move_requested = Signal(str, str)
    #: (action, address): key care for that wallet; action is one of key_care_dialogs.ACTIONS.
    key_care_requested = Signal(str, str)

    def __init__(
        self,
        settings: Settings,
        parent: QWidget | None = None,
        *,
        confirm: Confirm = ask_with_message_box,
    ) -> None:
        super().__init__(parent)
        self.settings = settings
        self._confirm = confirm
        self._network: NetworkName = settings.network

        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        outer.addWidget(scroll)
        body = QWidget()
        scroll.setWidget(body)
        root = QVBoxLayout(body)
        root.setContentsMargins(24, 20, 24, 20)
        root.setSpacing(14)
        root.addWidget(title("Settings"))

        columns = QHBoxLayout()
        columns.setSpacing(14)
        left = QVBoxLayout()
        left.setSpacing(14)
        right = QVBoxLayout()
        right.setSpacing(14)
        left.addWidget(self._build_network())
        left.addWidget(self._build_agent())
        left.addWidget(self._build_security())
        left.addWidget(self._build_keys())
        left.addStretch(1)
        right.addWidget(self._build_trading())
        right.addWidget(self._build_appearance())
        right.addWidget(self._build_about())
        right.addStretch(1)
        columns.addLayout(left, 1)
        columns.addLayout(right, 1)
        root.addLayout(columns)
        root.addStretch(1)

        self.save_error = QLabel("")
        self.save_error.setObjectName("ErrorText")
        self.save_error.setWordWrap(True)
        self.save_error.hide()
        root.insertWidget(1, self.save_error)

    # -- sections ----------------------------------------------------------------------------

    def _build_network(self) -> QFrame:
        card, layout = _section(
            "Network",
            "Where orders go. Local demo is a paper-trading venue on this computer; testnet "
            "uses Hyperliquid's test funds; mainnet trades real money.",
        )
        self.network_box = QComboBox()
        for network in NETWORKS.values():
            self.network_box.addItem(network.label, network.name)
        self.network_box.setCurrentIndex(self.network_box.findData(self._network))
        self.network_box.setToolTip("Switching reconnects the app to the chosen venue.")
        # ``activated`` fires only for the user's choice, never for set_network below.
        self.network_box.activated.connect(self._on_network_chosen)
        layout.addWidget(self.network_box)
        self.network_note = QLabel("")
        self.network_note.setWordWrap(True)
        self.network_note.setProperty("muted", True)
        layout.addWidget(self.network_note)
        self._show_network_note()
        return card

    def _build_agent(self) -> QFrame:
        card, layout = _section(
            "Agent wallet",
            "Trading is signed by an approved agent (API) key, so your main key signs only "
            "transfers, withdrawals and agent approvals. The agent can place and cancel orders "
            "but can never move funds.",
        )
        self.agent_status_label = QLabel("—")
        self.agent_status_label.setWordWrap(True)
        self.agent_status_label.setStyleSheet("font-weight: 600;")
        layout.addWidget(self.agent_status_label)
        row = QHBoxLayout()
        self.rotate_button = QPushButton("Rotate agent key")
        self.rotate_button.setToolTip(
            "Approve a brand-new agent key; the old one stops working and is never reused."
        )
        self.rotate_button.clicked.connect(self.agent_rotate_requested.emit)
        row.addWidget(self.rotate_button)
        self.revoke_button = QPushButton("Revoke agent")
        self.revoke_button.setToolTip(
            "Remove the agent's permission to trade; a new one is approved before your next trade."
        )
        self.revoke_button.clicked.connect(self._on_revoke)
        row.addWidget(self.revoke_button)
        row.addStretch(1)
        layout.addLayout(row)
        return card

    def _build_security(self) -> QFrame:
        card, layout = _section(
            "Auto-lock",
            "After this long without input the wallet locks and its keys are dropped from "
            "memory; unlocking needs your password again.",
        )
        row = QHBoxLayout()
        self.idle_spin = QSpinBox()
        self.idle_spin.setRange(1, MAX_IDLE_LOCK_MINUTES)
        self.idle_spin.setValue(15)
        self.idle_spin.setSuffix(" min")
        self.idle_spin.setMinimumWidth(110)
        self.idle_spin.setToolTip("1 minute to 24 hours")
        self.idle_spin.editingFinished.connect(self._on_idle_edited)
        row.addWidget(QLabel("Lock after"))
        row.addWidget(self.idle_spin)
        hint = QLabel("1 minute to 24 hours")
        hint.setProperty("muted", True)
        row.addWidget(hint)
        row.addStretch(1)
        layout.addLayout(row)
        self._idle_minutes = self.idle_spin.value()
        return card

    def _build_trading(self) -> QFrame:
        card, layout = _section("Trading")
        self.confirm_check = QCheckBox("Review every order before it is sent")
        self.confirm_check.setChecked(self.settings.confirm_orders)
        self.confirm_check.setToolTip(
            "Shows a confirmation sheet with size, price, liquidation price and fees before "
            "each order. Turn off only if you trade quickly and know the numbers."
        )
        self.confirm_check.toggled.connect(self._on_confirm_toggled)
        layout.addWidget(self.confirm_check)
        layout.addSpacing(4)
        layout.addWidget(QLabel("Default slippage for market orders"))
        row = QHBoxLayout()
        self.slippage_edit = QLineEdit(self.settings.default_slippage_pct)
        self.slippage_edit.setMaximumWidth(110)
        self.slippage_edit.setToolTip(
            "A market order fills only within this distance from the mid price. Lower "
            "protects the price but may leave the order unfilled; higher fills more surely "
            "in a thin book at a possibly worse price."
        )
        self.slippage_edit.editingFinished.connect(self._on_slippage_edited)
        self.slippage_edit.textEdited.connect(lambda _t: self._show_slippage_error(None))
        row.addWidget(self.slippage_edit)
        row.addWidget(QLabel("%"))
        row.addStretch(1)
        layout.addLayout(row)
        self.slippage_error = QLabel("")
        self.slippage_error.setObjectName("ErrorText")
        self.slippage_error.setWordWrap(True)
        self.slippage_error.hide()
        layout.addWidget(self.slippage_error)
        hint = QLabel(f"From {MIN_SLIPPAGE_PCT}% to {MAX_SLIPPAGE_PCT:f}%.")
        hint.setProperty("muted", True)
        layout.addWidget(hint)
        return card

    def _build_appearance(self) -> QFrame:
        card, layout = _section("Appearance")
        row = QHBoxLayout()
        row.addWidget(QLabel("Theme"))
        self.theme_box = QComboBox()
        for name, label in THEMES:
            self.theme_box.addItem(label, name)
        current = next((i for i, (name, _) in enumerate(THEMES) if name == self.settings.theme), 0)
        self.theme_box.setCurrentIndex(current)
        self.theme_box.activated.connect(self._on_theme_chosen)
        row.addWidget(self.theme_box)
        row.addStretch(1)
        layout.addLayout(row)
        return card

    def _build_keys(self) -> QFrame:
        card, layout = _section(
            "Where your keys are",
            "Each wallet's key is encrypted with its password and kept in the system keyring "
            "(Secret Service) or in an encrypted file that the password alone protects.",
        )
        self.keys_status = QLabel("Checking…")
        self.keys_status.setWordWrap(True)
        self.keys_status.setProperty("muted", True)
        layout.addWidget(self.keys_status)
        self._key_rows_box = QVBoxLayout()
        self._key_rows_box.setSpacing(10)
        layout.addLayout(self._key_rows_box)
        self.key_rows: dict[str, tuple[QLabel, QPushButton]] = {}
        self.wallet_rows: dict[str, WalletLocation] = {}
        self.care_buttons: dict[tuple[str, str], QPushButton] = {}  # (address, action)
        self.keys_message = QLabel("")
        self.keys_message.setWordWrap(True)
        self.keys_message.hide()
        layout.addWidget(self.keys_message)
        self._keyring = False
        self._file_dir = ""
        return card

    def _build_about(self) -> QFrame:
        card, layout = _section("About")
        self.version_label = QLabel(f"Wallet Perps {app_version()}")
        self.version_label.setStyleSheet("font-weight: 600;")
        layout.addWidget(self.version_label)
        about = QLabel(
            "Trade Hyperliquid perpetual futures from a key that never leaves this computer: "
            "it is encrypted with your password and kept in the system keyring, or in an "
            "encrypted file if you chose that. Settings hold nothing secret."
        )
        about.setWordWrap(True)
        about.setProperty("muted", True)
        layout.addWidget(about)
        details = QLabel(
            f"Python {platform.python_version()} · Qt for Python {pyside_version}<br>"
            f"Settings: {Settings.path()}<br>Data: {app_dirs().user_data_dir}"
        )
        details.setWordWrap(True)
        details.setProperty("muted", True)
        details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(details)
        return card

    # -- setters the app calls ------------------------------------------------------------

    def set_agent_status(self, text: str) -> None:
        self.agent_status_label.setText(text or "—")

    def set_key_storage(self, keyring: bool, file_dir: str, rows: list[WalletLocation]) -> None:
        """Show where each wallet's key is; moving is offered only when a keyring exists."""
        self._keyring, self._file_dir = keyring, file_dir
        self.keys_status.setText(
            "The system keyring is available: a wallet can be moved between it and an "
            "encrypted file."
            if keyring
            else "No system keyring (Secret Service) is available now, so wallets stay in "
            f"encrypted files in {file_dir}."
        )
        while self._key_rows_box.count():
            item = self._key_rows_box.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        self.key_rows.clear()
        self.wallet_rows, self.care_buttons = {row.address: row for row in rows}, {}
        for row in rows:
            self._key_rows_box.addWidget(self._key_row(row))

    def _key_row(self, row: WalletLocation) -> QWidget:
        box = QWidget()
        box.setObjectName("KeyRow")
        box.setStyleSheet("#KeyRow { background: transparent; }")  # sits on the card
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        name = QLabel(f"{row.label} · {row.address[:6]}…{row.address[-4:]}")
        name.setStyleSheet("font-weight: 600;")
        name.setToolTip(row.address)
        layout.addWidget(name)
        if not row.backup_confirmed:  # the reminder stays until the backup check passes
            name.setText(f"{name.text()} · not backed up")
            name.setProperty("role", "error")
        where = QLabel(
            f"Encrypted file: {row.where}" if row.storage == "file" else "System keyring"
        )
        where.setWordWrap(True)
        where.setProperty("muted", True)
        where.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(where)
        to = "keyring" if row.storage == "file" else "file"
        button = QPushButton(
            "Move to the system keyring" if to == "keyring" else "Move to an encrypted file"
        )
        button.setVisible(self._keyring)
        button.clicked.connect(lambda: self._on_move(row, to))
        care = [("backup", "Back up now")] if not row.backup_confirmed else []
        care += [("reveal", "Show recovery phrase"), ("password", "Change password")]
        for actions in (care, [("rename", "Rename"), ("remove", "Remove")]):
            line = QHBoxLayout()
            for action, text in actions:
                act = QPushButton(text)
                act.setProperty("kind", "primary" if action == "backup" else "")
                act.clicked.connect(
                    lambda _=0, a=action: self.key_care_requested.emit(a, row.address)
                )
                line.addWidget(act)
                self.care_buttons[(row.address, action)] = act
            line.addStretch(1)
            layout.addLayout(line)
        line.insertWidget(2, button)
        self.key_rows[row.address] = (where, button)
        return box

    def show_key_message(self, text: str, *, error: bool = False) -> None:
        """A line under the wallets: a move in progress, done, or why it failed ("" hides)."""
        self.keys_message.setText(text)
        set_flag(self.keys_message, "role", "error" if error else "")
        set_flag(self.keys_message, "muted", not error)
        self.keys_message.setVisible(bool(text))
        for _, button in self.key_rows.values():
            button.setEnabled(True)

    def _on_move(self, row: WalletLocation, to: str) -> None:
        if to == "file" and not self._confirm(
            "Keep this key in an encrypted file?",
            f"{row.label} ({row.address}) will be kept in an encrypted file instead of the "
            f"system keyring. Your password alone protects the file; it lives in "
            f"{self._file_dir}. The keyring entries are deleted once the copy reads back."
            "\n\nMove it?",
        ):
            return
        for _, button in self.key_rows.values():
            button.setEnabled(False)
        self.keys_message.setText("Moving…")
        self.keys_message.setProperty("role", "")
        self.keys_message.show()
        self.key_move_requested.emit(row.address, to)

    def set_idle_lock_minutes(self, minutes: int) -> None:
        """Show the keystore's idle-lock time (no signal: it is the app telling us)."""
        self._idle_minutes = minutes
        self.idle_spin.blockSignals(True)
        self.idle_spin.setValue(minutes)
        self.idle_spin.blockSignals(False)

    def set_network(self, network: NetworkName) -> None:
        """The network the app now runs on (after a switch, or a refusal to switch)."""
        self._network = network
        self.network_box.setCurrentIndex(self.network_box.findData(network))
        self._show_network_note()

    @property
    def network(self) -> NetworkName:
        return self._network

    # -- handlers -----------------------------------------------------------------------------

    def _show_network_note(self) -> None:
        self.network_note.setText(NETWORKS[self._network].risk_note)

    def _on_network_chosen(self, index: int) -> None:
        chosen = cast(NetworkName, self.network_box.itemData(index))
        if chosen == self._network:
            return
        warning = NETWORKS[chosen].switch_warning
        if warning is not None and not self._confirm(f"Switch to {chosen}?", warning):
            self.network_box.setCurrentIndex(self.network_box.findData(self._network))
            return
        self.network_requested.emit(chosen)

    def _on_revoke(self) -> None:
        if self._confirm(
            "Revoke the agent wallet?",
            "The agent key will no longer be able to trade for this account. A new one is "
            "approved (signed by your main key) before your next trade.\n\nRevoke it?",
        ):
            self.agent_revoke_requested.emit()

    def _on_idle_edited(self) -> None:
        minutes = self.idle_spin.value()
        if minutes == self._idle_minutes:
            return
        self._idle_minutes = minutes
        self.idle_lock_changed.emit(minutes)
        self.settings_changed.emit()

    def _on_confirm_toggled(self, checked: bool) -> None:
        if checked == self.settings.confirm_orders:
            return
        previous = self.settings.confirm_orders
        self.settings.confirm_orders = checked
        if not self._save():
            self.settings.confirm_orders = previous
            self.confirm_check.blockSignals(True)
            self.confirm_check.setChecked(previous)
            self.confirm_check.blockSignals(False)

    def _show_slippage_error(self, message: str | None) -> None:
        self.slippage_error.setText(message or "")
        self.slippage_error.setVisible(message is not None)
        set_flag(self.slippage_edit, "error", message is not None)

    def _on_slippage_edited(self) -> None:
        try:
            value = parse_slippage(self.slippage_edit.text())
        except SlippageError as exc:
            self._show_slippage_error(str(exc))
            return
        self._show_slippage_error(None)
        text = format_plain(value)
        self.slippage_edit.setText(text)
        if text == self.settings.default_slippage_pct:
            return
        previous = self.settings.default_slippage_pct
        self.settings.default_slippage_pct = text
        if not self._save():
            self.settings.default_slippage_pct = previous

    def _on_theme_chosen(self, index: int) -> None:
        theme = cast(ThemeName, self.theme_box.itemData(index))
        if theme == self.settings.theme:
            return
        previous = self.settings.theme
        self.settings.theme = theme
        if not self._save():
            self.settings.theme = previous
            return
        self.theme_changed.emit(theme)

    def _save(self) -> bool:
        """Persist now; on a disk error say so and report failure (the caller rolls back)."""
        try:
            self.settings.save()
        except OSError as exc:
            self.save_error.setText(f"Could not save settings ({exc.strerror or exc}).")
            self.save_error.show()
            return False
        self.save_error.hide()
        self.settings_changed.emit()
        return True

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

import platform
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Final, Literal, TypeVar, cast

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
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

import wallet_perps
from wallet_perps.config import Settings, app_dirs
from wallet_perps.core.display import format_plain
from wallet_perps.core.networks import NETWORKS, NetworkName
from wallet_perps.services.wallet_service import WalletLocation
from wallet_perps.ui.kit import (
    WIDE_CARD_MARGINS,
    caption,
    card,
    column,
    error_text,
    set_flag,
    title,
    vbox,
    vertical_scroll,
)
from wallet_perps.ui.theme import ThemeName

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
T = TypeVar("T")
#: The preferences the page changes itself (the network and the agent are the app's).
SettingName = Literal["confirm_orders", "default_slippage_pct", "theme"]

MIN_SLIPPAGE_PCT: Final = Decimal("0.1")
MAX_SLIPPAGE_PCT: Final = Decimal(10)
MAX_IDLE_LOCK_MINUTES: Final = 24 * 60
THEMES: Final[tuple[tuple[ThemeName, str], ...]] = (
    ("dark", "Dark"),
    ("light", "Light"),
    ("system", "Follow the system"),
)

#: A card of the page: its heading, what it is about ("" for nothing), what fills it.
_Card = tuple[str, str, Callable[[QVBoxLayout], None]]
#: What the cards that need it are about (under their headings).
_NETWORK_ABOUT: Final = (
    "Where orders go. Local demo is a paper-trading venue on this computer; testnet "
    "uses Hyperliquid's test funds; mainnet trades real money."
)
_AGENT_ABOUT: Final = (
    "Trading is signed by an approved agent (API) key, so your main key signs only "
    "transfers, withdrawals and agent approvals. The agent can place and cancel orders "
    "but can never move funds."
)
_AUTO_LOCK_ABOUT: Final = (
    "After this long without input the wallet locks and its keys are dropped from "
    "memory; unlocking needs your password again."
)
_KEYS_ABOUT: Final = (
    "Each wallet's key is encrypted with its password and kept in the system keyring "
    "(Secret Service) or in an encrypted file that the password alone protects."
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
    # Imported here, not at module level: it costs about 20 ms on the app's startup path, and
    # only the About card (built later) needs it when the package has no ``__version__``.
    import importlib.metadata

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


def _row(layout: QVBoxLayout, *widgets: QWidget) -> QHBoxLayout:
    """``widgets`` side by side at the left of a new row of ``layout`` (a stretch fills the
    rest), the way every control of the page sits next to its label."""
    row = QHBoxLayout()
    for widget in widgets:
        row.addWidget(widget)
    row.addStretch(1)
    layout.addLayout(row)
    return row


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
        *,
        confirm: Confirm = ask_with_message_box,
    ) -> None:
        super().__init__()
        self.settings = settings
        self._confirm = confirm
        self._network: NetworkName = settings.network

        body = QWidget()
        vbox(self).addWidget(vertical_scroll(body))
        root = vbox(body, margins=(24, 20, 24, 20), spacing=14)
        root.addWidget(title("Settings"))

        columns = QHBoxLayout()
        columns.setSpacing(14)
        # The cards, column by column: (heading, what it is about, what fills it).
        sections: tuple[tuple[_Card, ...], ...] = (
            (
                ("Network", _NETWORK_ABOUT, self._build_network),
                ("Agent wallet", _AGENT_ABOUT, self._build_agent),
                ("Auto-lock", _AUTO_LOCK_ABOUT, self._build_security),
                ("Where your keys are", _KEYS_ABOUT, self._build_keys),
            ),
            (
                ("Trading", "", self._build_trading),
                ("Appearance", "", self._build_appearance),
                ("About", "", self._build_about),
            ),
        )
        for cards in sections:
            side = QVBoxLayout()
            side.setSpacing(14)
            for heading, explanation, build in cards:
                frame, layout = _section(heading, explanation)
                build(layout)
                side.addWidget(frame)
            side.addStretch(1)
            columns.addLayout(side, 1)
        root.addLayout(columns)
        root.addStretch(1)

        self.save_error = error_text()
        root.insertWidget(1, self.save_error)

    # -- sections ----------------------------------------------------------------------------

    def _build_network(self, layout: QVBoxLayout) -> None:
        self.network_box = QComboBox()
        for network in NETWORKS.values():
            self.network_box.addItem(network.label, network.name)
        self.network_box.setCurrentIndex(self.network_box.findData(self._network))
        self.network_box.setToolTip("Switching reconnects the app to the chosen venue.")
        # ``activated`` fires only for the user's choice, never for set_network below.
        self.network_box.activated.connect(self._on_network_chosen)
        layout.addWidget(self.network_box)
        self.network_note = caption(wrap=True)
        layout.addWidget(self.network_note)
        self._show_network_note()

    def _build_agent(self, layout: QVBoxLayout) -> None:
        self.agent_status_label = QLabel("—")
        self.agent_status_label.setWordWrap(True)
        self.agent_status_label.setStyleSheet("font-weight: 600;")
        layout.addWidget(self.agent_status_label)
        self.rotate_button = QPushButton("Rotate agent key")
        self.rotate_button.setToolTip(
            "Approve a brand-new agent key; the old one stops working and is never reused."
        )
        self.rotate_button.clicked.connect(self.agent_rotate_requested.emit)
        self.revoke_button = QPushButton("Revoke agent")
        self.revoke_button.setToolTip(
            "Remove the agent's permission to trade; a new one is approved before your next trade."
        )
        self.revoke_button.clicked.connect(self._on_revoke)
        _row(layout, self.rotate_button, self.revoke_button)

    def _build_security(self, layout: QVBoxLayout) -> None:
        self.idle_spin = QSpinBox()
        self.idle_spin.setRange(1, MAX_IDLE_LOCK_MINUTES)
        self.idle_spin.setValue(15)
        self.idle_spin.setSuffix(" min")
        self.idle_spin.setMinimumWidth(110)
        self.idle_spin.setToolTip("1 minute to 24 hours")
        self.idle_spin.editingFinished.connect(self._on_idle_edited)
        _row(layout, QLabel("Lock after"), self.idle_spin, caption("1 minute to 24 hours"))
        self._idle_minutes = self.idle_spin.value()

    def _build_trading(self, layout: QVBoxLayout) -> None:
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
        self.slippage_edit = QLineEdit(self.settings.default_slippage_pct)
        self.slippage_edit.setMaximumWidth(110)
        self.slippage_edit.setToolTip(
            "A market order fills only within this distance from the mid price. Lower "
            "protects the price but may leave the order unfilled; higher fills more surely "
            "in a thin book at a possibly worse price."
        )
        self.slippage_edit.editingFinished.connect(self._on_slippage_edited)
        self.slippage_edit.textEdited.connect(lambda _t: self._show_slippage_error(None))
        _row(layout, self.slippage_edit, QLabel("%"))
        self.slippage_error = error_text()
        layout.addWidget(self.slippage_error)
        layout.addWidget(caption(f"From {MIN_SLIPPAGE_PCT}% to {MAX_SLIPPAGE_PCT:f}%."))

    def _build_appearance(self, layout: QVBoxLayout) -> None:
        self.theme_box = QComboBox()
        for name, label in THEMES:
            self.theme_box.addItem(label, name)
        current = next((i for i, (name, _) in enumerate(THEMES) if name == self.settings.theme), 0)
        self.theme_box.setCurrentIndex(current)
        self.theme_box.activated.connect(self._on_theme_chosen)
        _row(layout, QLabel("Theme"), self.theme_box)

    def _build_keys(self, layout: QVBoxLayout) -> None:
        self.keys_status = caption("Checking…", wrap=True)
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

    def _build_about(self, layout: QVBoxLayout) -> None:
        self.version_label = QLabel(f"Wallet Perps {app_version()}")
        self.version_label.setStyleSheet("font-weight: 600;")
        layout.addWidget(self.version_label)
        about = caption(
            "Trade Hyperliquid perpetual futures from a key that never leaves this computer: "
            "it is encrypted with your password and kept in the system keyring, or in an "
            "encrypted file if you chose that. Settings hold nothing secret.",
            wrap=True,
        )
        layout.addWidget(about)
        details = caption(
            f"Python {platform.python_version()} · Qt for Python {pyside_version}<br>"
            f"Settings: {Settings.path()}<br>Data: {app_dirs().user_data_dir}",
            wrap=True,
        )
        details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(details)

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
        box, layout = column(4)
        box.setObjectName("KeyRow")
        box.setStyleSheet("#KeyRow { background: transparent; }")  # sits on the card
        name = QLabel(f"{row.label} · {row.address[:6]}…{row.address[-4:]}")
        name.setStyleSheet("font-weight: 600;")
        name.setToolTip(row.address)
        layout.addWidget(name)
        if not row.backup_confirmed:  # the reminder stays until the backup check passes
            name.setText(f"{name.text()} · not backed up")
            name.setProperty("role", "error")
        where = caption(
            f"Encrypted file: {row.where}" if row.storage == "file" else "System keyring",
            wrap=True,
        )
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
            buttons: list[QWidget] = []
            for action, text in actions:
                act = QPushButton(text)
                act.setProperty("kind", "primary" if action == "backup" else "")
                act.clicked.connect(
                    lambda _=0, a=action: self.key_care_requested.emit(a, row.address)
                )
                buttons.append(act)
                self.care_buttons[(row.address, action)] = act
            line = _row(layout, *buttons)
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
        self.show_key_message("Moving…")
        for _, button in self.key_rows.values():
            button.setEnabled(False)
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
        self._change("confirm_orders", checked, self._show_confirm_orders)

    def _show_confirm_orders(self, checked: bool) -> None:
        self.confirm_check.blockSignals(True)
        self.confirm_check.setChecked(checked)
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
        self._change("default_slippage_pct", text, self.slippage_edit.setText)

    def _on_theme_chosen(self, index: int) -> None:
        theme = cast(ThemeName, self.theme_box.itemData(index))
        if self._change("theme", theme, self._show_theme):
            self.theme_changed.emit(theme)

    def _show_theme(self, theme: ThemeName) -> None:
        self.theme_box.setCurrentIndex(self.theme_box.findData(theme))

    def _change(self, name: SettingName, value: T, show: Callable[[T], object]) -> bool:
        """Set one preference and save at once; a failed save puts the old value back, in the
        settings and on screen (``show`` sets the control without a signal).

        One rule for every preference, so none stays changed in memory while the file keeps
        the old one, and no control shows a value that is not in force. True when ``value``
        is new and was saved.
        """
        previous = getattr(self.settings, name)
        if value == previous:
            return False
        setattr(self.settings, name, value)
        if self._save():
            return True
        setattr(self.settings, name, previous)
        show(previous)
        return False

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

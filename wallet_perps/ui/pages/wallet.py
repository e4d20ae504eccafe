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
  the computer. The outcome is shown inline on the page in the venue's words. When no clear
  answer came back, the line says in amber (not red: that would invite a retry) that the
  transfer may have gone through while the service reads the ledger, then what it found.
* Transfers run as asyncio tasks on the shared qasync loop (referenced until done, so they are
  not garbage-collected mid-flight); the button says "Sending…" meanwhile and cannot be pressed
  twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from decimal import Decimal

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from wallet_perps.core.display import format_pct, format_usd, short_address
from wallet_perps.core.ledger import LedgerUpdate
from wallet_perps.core.ledger_lines import ledger_line
from wallet_perps.core.models import AccountState
from wallet_perps.core.networks import DEFAULT_NETWORK, NETWORKS, Deposits, NetworkName
from wallet_perps.core.ticket_replay import available_to_trade
from wallet_perps.services.transfers import TransferKind, TransferResult, Transfers
from wallet_perps.ui.adapter import SessionAdapter
from wallet_perps.ui.kit import (
    MONO_CSS,
    WIDE_CARD_MARGINS,
    CoalescedRedraw,
    Stat,
    TaskScope,
    caption,
    card,
    set_flag,
    title,
    vbox,
)
from wallet_perps.ui.pages.wallet_dialogs import DepositDialog, TransferDialog
from wallet_perps.ui.pages.wallet_parts import AGENT_EXPLANATION, TIPS, BackupReminder
from wallet_perps.ui.widgets.qr_code import QrCode

__all__ = ["WalletPage"]

log = logging.getLogger(__name__)

_REDRAW_MS = 100
_ZERO = Decimal(0)
_HISTORY_ROWS = 50

Deposit = Callable[[Decimal], Awaitable[None]]


def describe_ledger(update: LedgerUpdate, me: str) -> tuple[str, str, str]:
    """A ledger row in words: (what happened, signed amount, the other account or a note).

    Sign, fee and words come from ``core.ledger_lines.ledger_line``, the one rule History and
    the CSV export use too; this only formats them. No signed amount shows as empty.
    """
    line = ledger_line(update, me)
    amount = line.amount
    text = "" if amount is None else f"+{format_usd(amount)}" if amount > 0 else format_usd(amount)
    return line.what, text, line.note(address=short_address, usd=format_usd)


# ---------------------------------------------------------------------------------- the page


class WalletPage(QWidget):
    """Balances, Deposit / Withdraw / Send, address with QR, agent status (UX.md 2).

    ``backup_requested`` asks for the recovery-phrase backup of the shown wallet (the
    reminder above the balances stays until that wallet's backup is confirmed).
    """

    backup_requested = Signal()

    def __init__(self, adapter: SessionAdapter) -> None:
        super().__init__()
        self.adapter = adapter
        self._address = ""
        self._label = ""
        self._backed_up = True
        self._network: NetworkName = DEFAULT_NETWORK
        self._transfers: Transfers | None = None
        self._deposit: Deposit | None = None
        self._busy: str | None = None  # "send", "withdraw" or "deposit" while one runs
        # A transfer once sent runs to its answer even if the page goes (see _finish).
        self._jobs = TaskScope(self, finish_after_owner=True)
        self.dialog: QDialog | None = None
        self._history_shown: tuple[tuple[LedgerUpdate, ...], str] | None = None

        root = vbox(self, margins=(24, 20, 24, 20), spacing=14)

        head = QHBoxLayout()
        head.addWidget(title("Wallet"))
        self.wallet_label = caption("")
        head.addWidget(self.wallet_label)
        head.addStretch(1)
        root.addLayout(head)

        self.locked_label = caption("Unlock your wallet to see your balance and move funds.")
        root.addWidget(self.locked_label)

        self.backup_reminder = BackupReminder()
        self.backup_button = self.backup_reminder.button
        self.backup_button.clicked.connect(self.backup_requested.emit)
        root.addWidget(self.backup_reminder)

        root.addWidget(self._build_balance_card())
        root.addLayout(self._build_actions())

        lower = QHBoxLayout()
        lower.setSpacing(14)
        lower.addWidget(self._build_address_card(), 1)
        lower.addWidget(self._build_agent_card(), 1)
        root.addLayout(lower)
        root.addWidget(self._build_history_card(), 1)

        self._redraw_soon = CoalescedRedraw(self, self.redraw, _REDRAW_MS, only_when_shown=True)
        adapter.account_changed.connect(self._schedule)
        adapter.account_opened.connect(lambda _user: self.redraw())
        adapter.connection_changed.connect(lambda *_args: self._schedule())
        self.redraw()

    # -- layout --------------------------------------------------------------------------

    def _build_balance_card(self) -> QFrame:
        frame, layout = card(margins=WIDE_CARD_MARGINS)
        top = QHBoxLayout()
        top.setSpacing(36)
        left = QVBoxLayout()
        left.setSpacing(2)
        left.addWidget(caption("Account value", TIPS["account_value"]))
        self.account_value_label = QLabel("—")
        self.account_value_label.setProperty("role", "big")
        self.account_value_label.setStyleSheet("font-size: 34px;")
        self.account_value_label.setToolTip(TIPS["account_value"])
        left.addWidget(self.account_value_label)
        top.addLayout(left)
        self.available_stat = Stat("Available to trade", TIPS["available"])
        self.withdrawable_stat = Stat("Withdrawable", TIPS["withdrawable"])
        self.pnl_stat = Stat("Unrealized PnL", TIPS["pnl"])
        for stat in (self.available_stat, self.withdrawable_stat, self.pnl_stat):
            stat.value.setStyleSheet("font-size: 17px; font-weight: 600;")
            top.addWidget(stat, 0, Qt.AlignmentFlag.AlignBottom)
        top.addStretch(1)
        layout.addLayout(top)
        layout.addSpacing(6)
        margin_head = QHBoxLayout()
        margin_head.addWidget(caption("Margin in use", TIPS["margin"]))
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
        return frame

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
        frame, layout = card(margins=WIDE_CARD_MARGINS)
        layout.addWidget(caption("Your address"))
        body = QHBoxLayout()
        body.setSpacing(16)
        self.qr = QrCode()
        body.addWidget(self.qr, 0, Qt.AlignmentFlag.AlignTop)
        side = QVBoxLayout()
        side.setSpacing(8)
        self.address_label = QLabel("No wallet unlocked.")
        self.address_label.setWordWrap(True)
        self.address_label.setStyleSheet(MONO_CSS + " font-size: 14px;")
        self.address_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.address_label.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Minimum)
        side.addWidget(self.address_label)
        self.copy_button = QPushButton("Copy address")
        self.copy_button.clicked.connect(self.copy_address)
        side.addWidget(self.copy_button, 0, Qt.AlignmentFlag.AlignLeft)
        self.address_note = caption(wrap=True)  # what the address is, on this network
        side.addWidget(self.address_note)
        side.addStretch(1)
        body.addLayout(side, 1)
        layout.addLayout(body)
        return frame

    def _build_agent_card(self) -> QFrame:
        frame, layout = card(margins=WIDE_CARD_MARGINS)
        layout.addWidget(caption("Agent (API) wallet"))
        self.agent_status_label = QLabel("—")
        self.agent_status_label.setWordWrap(True)
        self.agent_status_label.setStyleSheet("font-weight: 600;")
        layout.addWidget(self.agent_status_label)
        self.agent_explain_label = caption(AGENT_EXPLANATION, wrap=True)
        layout.addWidget(self.agent_explain_label)
        layout.addStretch(1)
        return frame

    def _build_history_card(self) -> QFrame:
        frame, layout = card(margins=WIDE_CARD_MARGINS)
        layout.addWidget(caption("Recent deposits and transfers"))
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
        self.history_empty = caption("No deposits or transfers yet.")
        layout.addWidget(self.history_empty)
        return frame

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
        self._redraw_soon.request()

    def redraw(self) -> None:
        """Numbers, buttons and address from the latest account state and wallet."""
        network = NETWORKS[self._network].label
        self.wallet_label.setText(" · ".join(t for t in (self._label, network) if t))
        self.address_label.setText(self._address or "No wallet unlocked.")
        self.copy_button.setEnabled(bool(self._address))
        self.backup_reminder.setVisible(bool(self._address) and not self._backed_up)
        self.address_note.setText(NETWORKS[self._network].address_note)
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
            set_flag(self.pnl_stat.value, "pnl", None)
            self.margin_label.setText("—")
            self.margin_bar.setValue(0)
            return
        summary = state.margin_summary
        available = max(_ZERO, available_to_trade(state, self.adapter.open_orders()))
        pnl = sum((p.unrealized_pnl for p in state.positions), _ZERO)
        self.account_value_label.setText(format_usd(summary.account_value))
        self.available_stat.value.setText(format_usd(available))
        self.withdrawable_stat.value.setText(format_usd(state.withdrawable))
        self.pnl_stat.value.setText(format_usd(pnl))
        set_flag(self.pnl_stat.value, "pnl", "up" if pnl > 0 else "down" if pnl < 0 else None)
        used = summary.total_margin_used
        share = used / summary.account_value if summary.account_value > 0 else _ZERO
        if used > 0 and summary.account_value <= 0:
            share = Decimal(1)
        share = min(max(share, _ZERO), Decimal(1))
        self.margin_label.setText(
            f"{format_usd(used)} of {format_usd(summary.account_value)} ({format_pct(share, 1)})"
        )
        self.margin_bar.setValue(int(share * 1000))
        level = "danger" if share >= Decimal("0.8") else "warn" if share >= Decimal("0.5") else "ok"
        set_flag(self.margin_bar, "level", level)
        stale = self.adapter.account_stale
        for label in stat_labels:
            set_flag(label, "stale", stale)

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
        if NETWORKS[self._network].deposits is Deposits.FAUCET:
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

    def show_result(self, ok: bool | None, text: str, *, unknown: bool = False) -> None:
        """The inline outcome line: green for done, red for refused, muted while working,
        amber when the outcome is unknown (it may have gone through: check, do not retry)."""
        self.result_label.setText(text)
        role = "warning" if unknown else None if ok is None else "long" if ok else "short"
        set_flag(self.result_label, "role", role)
        set_flag(self.result_label, "muted", ok is None and not unknown)
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
        self.show_result(None, f"{verb} {format_usd(amount)} to {short_address(destination)}…")
        call = transfers.send_usd if kind == "send" else transfers.withdraw
        self._jobs.spawn(
            self._run_transfer(kind, call(destination, amount, on_unknown=self._unclear))
        )

    def _unclear(self, result: TransferResult) -> None:
        """No clear answer yet: say it may have gone through while the ledger is read."""
        with contextlib.suppress(RuntimeError):  # the page was deleted while the transfer ran
            self.show_result(None, result.message, unknown=True)

    async def _run_transfer(self, kind: TransferKind, call: Awaitable[TransferResult]) -> None:
        unknown = False
        try:
            result = await call
            ok, text, unknown = result.ok, result.message, result.outcome_unknown
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a failure must end in a message, not a silent log line
            log.exception("%s failed", kind)
            ok, text = False, f"The transfer could not be completed: {exc}"
        self._finish(ok, text, unknown=unknown)

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
        self._jobs.spawn(self._run_deposit(deposit(amount), amount))

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

    def _finish(self, ok: bool, text: str, *, unknown: bool = False) -> None:
        try:
            self._busy = None
            self.show_result(ok, text, unknown=unknown)
            self.redraw()
        except RuntimeError:  # the page was deleted while the task ran
            pass

    async def wait_idle(self) -> None:
        """Wait until running transfers have finished (tests, and the app before closing)."""
        await self._jobs.wait_idle()

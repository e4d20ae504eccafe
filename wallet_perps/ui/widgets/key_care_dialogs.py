"""Key care from Settings: change the password, see or back up the phrase, rename, remove.

Why dialogs of their own (issue 15, item 4): each action asks for something (the password,
the words typed back, the wallet's name) before it does anything, and says what happened.
They run their work through :class:`WalletService` on the shared loop (the keystore's
scrypt and keyring calls go to worker threads there) and never touch the keystore.

The recovery phrase is shown only after the password, once per dialog, in labels that
cannot be selected and with no copy button; closing the dialog blanks the labels and wipes
the :class:`RevealedSecret`. A wallet imported from a private key has no phrase: the
dialog says so and shows nothing else (its key is never shown). The dialogs are window
modal but opened with ``open()``, so the loop keeps running while they are up.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any, Final

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QDialog,
    QLabel,
    QLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from wallet_perps.core.display import short_address
from wallet_perps.services.wallet_service import (
    RevealedSecret,
    WalletEvent,
    WalletLocation,
    WalletService,
)
from wallet_perps.ui.kit import (
    Action,
    TaskScope,
    caption,
    column,
    error_text,
    footer_buttons,
    title,
)
from wallet_perps.ui.widgets.backup_quiz import BackupQuiz, PhraseGrid
from wallet_perps.ui.widgets.password_strength import PasswordStrength

__all__ = [
    "ACTIONS",
    "ChangePasswordDialog",
    "KeyCareDialog",
    "PhraseDialog",
    "RemoveDialog",
    "RenameDialog",
    "open_key_care",
]

log = logging.getLogger(__name__)

#: What a Settings wallet row can ask for (the ``key_care_requested`` action names).
ACTIONS: Final = ("password", "reveal", "backup", "rename", "remove")
MIN_PASSWORD: Final = 8
PHRASE_WARNING: Final = (
    "Anyone who sees these words controls this wallet's funds. Make sure nobody is watching "
    "and no screen is being shared or recorded. Write them on paper; never type them into a "
    "website, a chat or a photo."
)


def _label(text: str = "") -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    return label


def _password_edit(placeholder: str) -> QLineEdit:
    edit = QLineEdit()
    edit.setEchoMode(QLineEdit.EchoMode.Password)
    edit.setPlaceholderText(placeholder)
    return edit


def _footer(
    layout: QVBoxLayout, back: Action | None, forward: Action
) -> tuple[QPushButton | None, QPushButton]:
    """A step's footer: the way back on the left (if any), the step forward on the right."""
    return footer_buttons(layout, back, forward, apart=True)


class KeyCareDialog(QDialog):
    """A window-modal dialog about one wallet: a column of steps, an error line, progress.

    ``message(text)`` carries what happened for the Settings page once the work is done.
    """

    message = Signal(str)

    def __init__(
        self, service: WalletService, row: WalletLocation, heading: str, parent: QWidget | None
    ) -> None:
        super().__init__(parent)
        self.service = service
        self.row = row
        self.setWindowTitle(f"{heading}: {row.label}")
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.setFixedWidth(520)  # wrapped text then has one width to be measured at
        # Key material being moved or re-encrypted is finished even if the dialog goes.
        self._jobs = TaskScope(self, finish_after_owner=True)
        self.body = QVBoxLayout(self)
        # Sized by fit() for the fixed width: the default constraint would take wrapped
        # labels' minimum heights (measured narrow) and leave gaps between the lines.
        self.body.setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)
        self.body.setContentsMargins(24, 20, 24, 20)
        self.body.setSpacing(10)
        who = caption(f"{row.label} · {short_address(row.address)}", row.address)
        for line in (title(heading), who):  # one line each: wrapping labels here leave gaps
            self.body.addWidget(line)
        self.error = error_text()
        self.progress = caption(wrap=True)
        self.progress.hide()

    def _finish_layout(self, *steps: QWidget) -> None:
        for step in steps:
            self.body.addWidget(step)
        self.body.addWidget(self.error)
        self.body.addWidget(self.progress)

    def fit(self) -> None:
        """As tall as the visible steps need at the dialog's width (after each change)."""
        height = self.body.totalHeightForWidth(self.width())
        if height > 0 and height != self.height():
            self.setFixedHeight(height)

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.LayoutRequest:  # a line wrapped differently, a step
            self.fit()  # was shown: follow it
        return super().event(event)

    def show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.setVisible(bool(text))
        self.fit()

    @property
    def busy(self) -> bool:
        return self._jobs.busy

    def _run(
        self, progress: str, job: Coroutine[Any, Any, Any], done: Callable[[Any], None]
    ) -> None:
        """Run ``job`` on the loop; its exception (a sentence) goes to the error line."""
        if self.busy:
            job.close()
            return
        self.show_error("")
        self.progress.setText(progress)
        self.progress.show()
        self.fit()
        self._set_enabled(False)

        async def run() -> None:
            try:
                result = await job
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # WalletError and friends carry sentences for people
                log.info("key care step failed: %s", type(exc).__name__)
                self.progress.hide()
                self._set_enabled(True)
                self.show_error(str(exc) or type(exc).__name__)
                return
            self.progress.hide()
            self._set_enabled(True)
            done(result)
            self.fit()

        self._jobs.spawn(run())

    def _set_enabled(self, enabled: bool) -> None:
        for child in self.findChildren(QPushButton) + self.findChildren(QLineEdit):
            child.setEnabled(enabled)

    def _switch(self, hide: QWidget, show: QWidget) -> None:
        hide.hide()
        show.show()
        self.show_error("")


class ChangePasswordDialog(KeyCareDialog):
    """Old password, new one twice with the strength shown as it is typed."""

    def __init__(
        self, service: WalletService, row: WalletLocation, parent: QWidget | None = None
    ) -> None:
        super().__init__(service, row, "Change password", parent)
        self._real_money = service.real_money(row.address)
        form, layout = column(8)
        layout.addWidget(
            caption(
                "The key is encrypted again under the new password; only the new one unlocks "
                "it afterwards. If this wallet is unlocked now, it is locked: unlock it with "
                "the new password.",
                wrap=True,
            )
        )
        self.old_edit = _password_edit("Current password")
        self.new_edit = _password_edit(f"New password (at least {MIN_PASSWORD} characters)")
        self.repeat_edit = _password_edit("Repeat the new password")
        self.strength = PasswordStrength()
        self.new_edit.textChanged.connect(
            lambda text: self.strength.update_for(text, real_money=self._real_money)
        )
        self.repeat_edit.returnPressed.connect(self._submit)
        for widget in (self.old_edit, self.new_edit, self.strength, self.repeat_edit):
            layout.addWidget(widget)
        self.cancel_button, self.submit_button = _footer(
            layout, ("Cancel", self.reject), ("Change password", self._submit)
        )
        self.form = form
        self.done_step, done_layout = column()
        self.done_label = _label()
        self.done_label.setStyleSheet("font-weight: 600;")
        done_layout.addWidget(self.done_label)
        _, self.close_button = _footer(done_layout, None, ("Close", self.accept))
        self.done_step.hide()
        self._finish_layout(form, self.done_step)
        self.strength.update_for("", real_money=self._real_money)

    def _submit(self) -> None:
        old, new = self.old_edit.text(), self.new_edit.text()
        if not old:
            self.show_error("Type the current password.")
        elif len(new) < MIN_PASSWORD:
            self.show_error(f"Use at least {MIN_PASSWORD} characters for the new password.")
        elif new != self.repeat_edit.text():
            self.show_error("The two new passwords are not the same.")
        elif new == old:
            self.show_error("The new password is the same as the current one.")
        elif not self.strength.acceptable:
            self.show_error(
                "This wallet guards real money: choose a stronger password (see above)."
            )
        else:
            self._run(
                "Encrypting the key under the new password…",
                self.service.change_password(self.row.address, old, new),
                self._changed,
            )

    def _changed(self, locked: object) -> None:
        for edit in (self.old_edit, self.new_edit, self.repeat_edit):
            edit.clear()
        text = "Password changed: only the new password unlocks this wallet now."
        if locked:
            text += " The wallet was locked; unlock it with the new password."
        self.done_label.setText(text)
        self._switch(self.form, self.done_step)
        self.close_button.setFocus()
        self.message.emit(text)


class PhraseDialog(KeyCareDialog):
    """Password, then the words once; with ``check`` the three-word check follows and
    success records the backup. Closing blanks the words and wipes the secret."""

    def __init__(
        self,
        service: WalletService,
        row: WalletLocation,
        parent: QWidget | None = None,
        *,
        check: bool = False,
    ) -> None:
        title = "Back up the recovery phrase" if check else "Show the recovery phrase"
        super().__init__(service, row, title, parent)
        self.check = check
        self._secret: RevealedSecret | None = None
        # Lock means gone: a lock (button, idle timer...) closes the words too.
        self._unsubscribe = service.state.subscribe(self._on_wallet_state)
        if not row.has_phrase:
            self._build_no_phrase()
            return
        self.password_step, layout = column(8)
        warning = _label(PHRASE_WARNING)
        warning.setStyleSheet("font-weight: 600;")
        layout.addWidget(warning)
        if check:
            layout.addWidget(
                caption(
                    "You will see the words, then type three of them back, so we know the "
                    "backup is right.",
                    wrap=True,
                )
            )
        self.password_edit = _password_edit("Wallet password")
        self.password_edit.returnPressed.connect(self._reveal)
        layout.addWidget(self.password_edit)
        _, self.reveal_button = _footer(
            layout, ("Cancel", self.reject), ("Show the words", self._reveal)
        )

        self.words_step, layout = column(8)
        layout.addWidget(
            caption(
                "Write these words down on paper, in order. They are not copied anywhere and "
                "disappear when this window closes.",
                wrap=True,
            )
        )
        self.grid = PhraseGrid(12)
        layout.addWidget(self.grid)
        forward = ("I have written them down", self._to_quiz) if check else ("Done", self.accept)
        _, self.words_next = _footer(layout, None, forward)

        self.quiz_step, layout = column(8)
        layout.addWidget(caption("Type these words from your recovery phrase.", wrap=True))
        self.quiz = BackupQuiz(3)
        self.quiz.submitted.connect(self._check)
        layout.addWidget(self.quiz)
        _, self.quiz_next = _footer(
            layout,
            ("Show the words again", lambda: self._switch(self.quiz_step, self.words_step)),
            ("Confirm backup", self._check),
        )

        self.done_step, layout = column()
        self.done_label = _label("Backed up: this wallet can be restored from those words.")
        self.done_label.setStyleSheet("font-weight: 600;")
        layout.addWidget(self.done_label)
        _, self.close_button = _footer(layout, None, ("Close", self.accept))
        for step in (self.words_step, self.quiz_step, self.done_step):
            step.hide()
        self._finish_layout(self.password_step, self.words_step, self.quiz_step, self.done_step)

    def _build_no_phrase(self) -> None:
        self.no_phrase = _label(
            "This wallet was imported from a private key, so it has no recovery phrase. Keep "
            "the private key you imported it from safe: it is this wallet's backup."
        )
        self.body.addWidget(self.no_phrase)
        step, layout = column()
        _, self.close_button = _footer(layout, None, ("Close", self.accept))
        self._finish_layout(step)

    @property
    def words_shown(self) -> list[str]:
        """The words on screen now (empty once closed): what a user would copy down."""
        if not self.row.has_phrase:
            return []
        return [label.text().split(". ", 1)[1] for label in self.grid.labels if label.text()]

    def _reveal(self) -> None:
        password = self.password_edit.text()
        if not password:
            self.show_error("Type the wallet's password.")
            return
        self._run("Decrypting…", self.service.reveal(self.row.address, password), self._show_words)

    def _show_words(self, secret: object) -> None:
        assert isinstance(secret, RevealedSecret)
        self.password_edit.clear()
        self._secret = secret
        self.grid.show_words(secret.phrase_words())
        self._switch(self.password_step, self.words_step)
        self.words_next.setFocus()

    def _to_quiz(self) -> None:
        if self._secret is None:
            return
        self._switch(self.words_step, self.quiz_step)
        self.quiz.ask(self.service.backup_positions(self._secret))

    def _check(self) -> None:
        if self._secret is None:
            return
        secret, answers = self._secret, self.quiz.answers()
        self._run("Checking…", self.service.confirm_backup(secret, answers), self._backed_up)

    def _backed_up(self, _result: object) -> None:
        self._forget()
        self._switch(self.quiz_step, self.done_step)
        self.close_button.setFocus()
        self.message.emit(f"{self.row.label} is backed up.")

    def show_error(self, text: str) -> None:
        if self.check and self.row.has_phrase and self.quiz_step.isVisible():
            if text:
                self.quiz.show_error(text)
            else:
                self.quiz.error.hide()
            self.fit()
            return
        super().show_error(text)

    def _on_wallet_state(self, what: WalletEvent) -> None:
        if what is WalletEvent.LOCKED:
            try:
                self.reject()
            except RuntimeError:  # the dialog was deleted with its parent window
                self._unsubscribe()

    def _forget(self) -> None:
        """Blank the words on screen and wipe the decrypted secret."""
        if self.row.has_phrase:
            self.grid.clear()
            self.quiz.clear()
        if self._secret is not None:
            self._secret.wipe()
            self._secret = None

    def done(self, result: int) -> None:  # accept, reject and Escape all end here
        self._unsubscribe()
        self._forget()
        super().done(result)

    def closeEvent(self, event: QCloseEvent) -> None:
        self._forget()
        super().closeEvent(event)


class RenameDialog(KeyCareDialog):
    """A new name for the wallet (shown in the unlock strip and here)."""

    def __init__(
        self, service: WalletService, row: WalletLocation, parent: QWidget | None = None
    ) -> None:
        super().__init__(service, row, "Rename wallet", parent)
        step, layout = column()
        self.name_edit = QLineEdit(row.label)
        self.name_edit.setMaxLength(64)
        self.name_edit.selectAll()
        self.name_edit.returnPressed.connect(self._submit)
        layout.addWidget(self.name_edit)
        _, self.save_button = _footer(layout, ("Cancel", self.reject), ("Rename", self._submit))
        self._finish_layout(step)

    def _submit(self) -> None:
        name = self.name_edit.text().strip()
        if not name:
            self.show_error("Type a name for the wallet.")
            return
        self._run("Saving…", self.service.rename_wallet(self.row.address, name), self._renamed)

    def _renamed(self, label: object) -> None:
        self.message.emit(f"Renamed to {label}.")
        self.accept()


class RemoveDialog(KeyCareDialog):
    """Remove the wallet from this computer. Without a confirmed backup the user must also
    type the wallet's name (or "remove"): a second, deliberate confirmation."""

    def __init__(
        self, service: WalletService, row: WalletLocation, parent: QWidget | None = None
    ) -> None:
        super().__init__(service, row, "Remove wallet", parent)
        step, layout = column(8)
        where = "its encrypted key files" if row.storage == "file" else "the system keyring"
        if row.backup_confirmed:
            text = (
                f"Its encrypted key and its agent keys are deleted from {where}. The funds "
                "stay on the exchange: restore the wallet from its backup to use them again."
            )
        else:
            text = (
                "This wallet is NOT backed up. Removing it deletes its only key from this "
                "computer: without the recovery phrase its funds are lost for good. Back it "
                "up first unless it holds nothing."
            )
        warning = _label(text)
        warning.setStyleSheet("font-weight: 600;")
        layout.addWidget(warning)
        self.confirm_edit: QLineEdit | None = None
        if not row.backup_confirmed:
            layout.addWidget(
                _label(f'To remove it anyway, type its name "{row.label}" or the word remove.')
            )
            self.confirm_edit = QLineEdit()
            self.confirm_edit.setPlaceholderText(f"{row.label} or remove")
            self.confirm_edit.textChanged.connect(self._typed)
            self.confirm_edit.returnPressed.connect(self._submit)
            layout.addWidget(self.confirm_edit)
        _, self.remove_button = _footer(
            layout, ("Keep it", self.reject), ("Remove wallet", self._submit)
        )
        self._typed("")
        self._finish_layout(step)

    @property
    def confirmed(self) -> bool:
        if self.confirm_edit is None:
            return True
        typed = self.confirm_edit.text().strip()
        return typed.lower() == "remove" or (bool(typed) and typed == self.row.label.strip())

    def _typed(self, _text: str) -> None:
        self.remove_button.setEnabled(self.confirmed)

    def _set_enabled(self, enabled: bool) -> None:
        super()._set_enabled(enabled)
        if enabled:
            self._typed("")

    def _submit(self) -> None:
        if not self.confirmed:
            self.show_error('Type the wallet\'s name or "remove" to confirm.')
            return
        self._run("Removing…", self.service.remove_wallet(self.row.address), self._removed)

    def _removed(self, _result: object) -> None:
        self.message.emit(f"Removed {self.row.label} ({short_address(self.row.address)}).")
        self.accept()


def open_key_care(
    action: str, service: WalletService, row: WalletLocation, parent: QWidget | None
) -> KeyCareDialog:
    """Build and ``open()`` (non-blocking, window modal) the dialog for ``action``."""
    dialog: KeyCareDialog
    if action == "password":
        dialog = ChangePasswordDialog(service, row, parent)
    elif action in ("reveal", "backup"):
        dialog = PhraseDialog(service, row, parent, check=action == "backup")
    elif action == "rename":
        dialog = RenameDialog(service, row, parent)
    elif action == "remove":
        dialog = RemoveDialog(service, row, parent)
    else:
        raise ValueError(f"unknown key care action {action!r}")
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.fit()
    dialog.open()
    return dialog

"""First run: Try the demo, Create a wallet, or Import one (UX.md "Onboarding").

Why steps and not one form: each step checks what was just typed (a recovery word, a
pasted key, a password) and says what is wrong right there, before anything is stored.
The page never touches the keyring itself: it calls :class:`WalletService`, whose
blocking work runs off the UI thread, and shows progress while it runs.

Where the keys will live is settled first, on the first screen: with an OS keyring a line
says so; without one (a minimal desktop, a server over X forwarding) the screen says that,
and Demo, Create and Import stay disabled until the user explicitly chooses the
encrypted-file keystore. So Create never shows twelve words it then cannot store.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from wallet_perps.core.networks import DEMO_DEPOSIT_USD, NETWORKS, Faucet
from wallet_perps.services.wallet_service import (
    FILE_KEYSTORE_CHOICE,
    KeyStorage,
    WalletService,
)
from wallet_perps.ui.kit import (
    Action,
    TaskScope,
    caption,
    card,
    error_text,
    footer_buttons,
    title,
    vbox,
)
from wallet_perps.ui.widgets.backup_quiz import BackupQuiz, PhraseGrid
from wallet_perps.ui.widgets.password_strength import PasswordStrength

if TYPE_CHECKING:
    from wallet_perps.services.wallet_service import RecoveryPhrase

__all__ = ["OnboardingPage"]

log = logging.getLogger(__name__)

KEYS_STAY_HERE = (
    "Your keys never leave this computer: they are encrypted with a password only you know. "
    "Wallet Perps signs orders locally and sends the venue signatures, never keys."
)
CHECKING_STORAGE = "Checking where your keys can be kept…"
IN_KEYRING = "Keys will be kept in your system keyring (Secret Service)."
NO_KEYRING = (
    "No system keyring (Secret Service) was found on this computer, so your keys cannot be "
    "kept there."
)
NO_KEYRING_OTHERWISE = "Or install and unlock gnome-keyring or KWallet, then restart Wallet Perps."
MIN_PASSWORD = 8


def file_keystore_sentence(directory: str) -> str:
    """The one sentence on what the encrypted-file keystore means (shown before choosing)."""
    return f"Your password alone protects the file; it lives in {directory}."


def in_file(directory: str) -> str:
    """The first screen's line once the encrypted-file keystore is in use."""
    return (
        f"Keys will be kept in an encrypted file in {directory}, protected by your password alone."
    )


def _step_footer(
    layout: QVBoxLayout, back: Action, forward: Action
) -> tuple[QPushButton, QPushButton]:
    """Each step's footer: the way back on the left, the step forward on the right (a page,
    not a dialog: no button is the default)."""
    return footer_buttons(layout, back, forward, default=False, apart=True)


class _Step(QWidget):
    """One onboarding step: its title, a note under it, then the step's own widgets.

    A hidden step claims no height for a width: QStackedLayout asks every page, so the card
    would otherwise be as tall as the tallest step (the first screen without a keyring) and
    the short steps would show gaps."""

    def __init__(self, heading: str, note: str) -> None:
        super().__init__()
        self.body = QVBoxLayout(self)
        self.body.setSpacing(12)
        self.heading = title(heading, wrap=True)
        self.note = caption(note, wrap=True)
        self.body.addWidget(self.heading)
        self.body.addWidget(self.note)

    def heightForWidth(self, width: int) -> int:
        return 0 if self.isHidden() else super().heightForWidth(width)


class _Steps(QStackedWidget):
    """The steps; non-current ones get an Ignored size policy, so the size hint and minimum
    follow the step on show (QStackedLayout skips Ignored pages there)."""

    def __init__(self) -> None:
        super().__init__()
        self.currentChanged.connect(self._fit)

    def _fit(self, index: int) -> None:
        for i in range(self.count()):
            policy = QSizePolicy.Policy.Preferred if i == index else QSizePolicy.Policy.Ignored
            step = self.widget(i)
            if step is not None:
                step.setSizePolicy(policy, policy)
        self.updateGeometry()


class _Choice(QPushButton):
    """A large card-like button: a title and a line saying what happens."""

    def __init__(self, title: str, detail: str) -> None:
        super().__init__(f"{title}\n{detail}")
        self.setProperty("card", True)
        self.setProperty("choice", True)
        self.setMinimumHeight(72)
        self.setCursor(Qt.CursorShape.PointingHandCursor)


class OnboardingPage(QWidget):
    """Steps: choose -> (create: phrase -> quiz) | (import: secret) -> password -> done.

    ``finished(address)`` fires once a wallet is stored, unlocked and attached to the
    session (and, for the demo, funded).
    """

    finished = Signal(str)
    cancelled = Signal()

    def __init__(
        self,
        service: WalletService,
        *,
        can_cancel: bool = False,
        cancel_text: str = "Cancel",
    ) -> None:
        super().__init__()
        self.service = service
        self._flow = ""  # "demo", "create" or "import"
        self._phrase: RecoveryPhrase | None = None
        # A wallet being encrypted and stored is finished even if the page goes meanwhile.
        self._jobs = TaskScope(self, finish_after_owner=True)

        outer = vbox(self, margins=(40, 30, 40, 30))
        outer.addStretch(1)
        frame, body = card(margins=(28, 24, 28, 24), spacing=12)
        frame.setMaximumWidth(620)
        frame.setMinimumWidth(520)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(frame)
        row.addStretch(1)
        outer.addLayout(row)
        outer.addStretch(2)
        self.steps = _Steps()
        self.steps.setObjectName("OnboardingSteps")  # transparent on the card (theme.qss)
        body.addWidget(self.steps)

        self.cancel_button = QPushButton(cancel_text)
        self.cancel_button.setVisible(can_cancel)
        self._storage: KeyStorage | None = None
        self._storage_jobs = TaskScope(self)
        self._build_choose()
        self._build_phrase()
        self._build_quiz()
        self._build_import()
        self._build_password()
        self.steps.setCurrentWidget(self.choose_step)
        self.steps._fit(self.steps.currentIndex())
        if service.key_storage is not None:
            self._show_storage(service.key_storage)
        else:  # nothing can start before we know where the keys would go
            self._show_storage(None)
            self._storage_jobs.spawn(self._probe_storage())

    # ------------------------------------------------------------------ steps

    def _add_step(self, heading: str, note: str = "") -> tuple[_Step, QVBoxLayout]:
        """A new step at the end of the stack and the layout to build the rest of it in."""
        step = _Step(heading, note)
        self.steps.addWidget(step)
        return step, step.body

    def _build_choose(self) -> None:
        self.choose_step, layout = self._add_step(
            "Trade perpetual futures from your own wallet", KEYS_STAY_HERE
        )
        self.storage_label = QLabel(CHECKING_STORAGE)
        self.storage_label.setWordWrap(True)
        self.storage_label.setStyleSheet("font-weight: 600;")
        self.storage_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.storage_label)
        self.file_choice_button = QPushButton(FILE_KEYSTORE_CHOICE)
        self.file_choice_button.setProperty("kind", "primary")
        self.file_choice_button.clicked.connect(self._choose_file_store)
        self.file_choice_note = caption("", wrap=True)
        self.file_choice_note.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.storage_error = error_text()
        for widget in (self.file_choice_button, self.file_choice_note):
            widget.hide()
        layout.addWidget(self.file_choice_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.file_choice_note)
        layout.addWidget(self.storage_error)
        local = NETWORKS[self.service.network].faucet is Faucet.VENUE  # the demo funds itself
        self.demo_button = _Choice(
            "Try the demo",
            f"A paper account with ${DEMO_DEPOSIT_USD:,.0f} on the built-in local venue."
            if local
            else "The demo runs on the built-in local venue: start with --network local.",
        )
        self._demo_possible = local
        self.create_button = _Choice(
            "Create a wallet", "A new 12-word recovery phrase that you write down."
        )
        self.import_button = _Choice(
            "Import a wallet", "From your recovery phrase or a private key."
        )
        self.demo_button.clicked.connect(lambda: self._start_flow("demo"))
        self.create_button.clicked.connect(lambda: self._start_flow("create"))
        self.import_button.clicked.connect(lambda: self._start_flow("import"))
        for button in (self.demo_button, self.create_button, self.import_button):
            layout.addWidget(button)
        layout.addWidget(self.cancel_button, 0, Qt.AlignmentFlag.AlignRight)
        self.cancel_button.clicked.connect(self._cancel)

    def _build_phrase(self) -> None:
        self.phrase_step, layout = self._add_step(
            "Your recovery phrase",
            "Write these 12 words down on paper, in order, and keep them somewhere safe. "
            "Anyone with them controls your funds; without them a lost computer means "
            "lost funds. They are shown only now.",
        )
        self.phrase_grid = PhraseGrid(12)
        self.phrase_labels = self.phrase_grid.labels
        layout.addWidget(self.phrase_grid)
        _, self.phrase_next = _step_footer(
            layout, ("Back", self._back_to_choose), ("I have written them down", self._to_quiz)
        )

    def _build_quiz(self) -> None:
        self.quiz_step, layout = self._add_step(
            "Check your backup", "Type these words from your recovery phrase."
        )
        self.quiz = BackupQuiz(3)  # shared with Settings' backup check
        self.quiz.submitted.connect(self._check_quiz)
        self.quiz_fields, self.quiz_error = self.quiz.fields, self.quiz.error
        layout.addWidget(self.quiz)
        _, self.quiz_next = _step_footer(
            layout,
            ("Show the words again", lambda: self.steps.setCurrentWidget(self.phrase_step)),
            ("Continue", self._check_quiz),
        )

    def _build_import(self) -> None:
        self.import_step, layout = self._add_step("Import a wallet")
        self.import_note = self.import_step.note
        self.import_edit = QPlainTextEdit()
        self.import_edit.setPlaceholderText("word1 word2 … or 0x…")
        self.import_edit.setFixedHeight(90)
        layout.addWidget(self.import_edit)
        self.import_error = error_text()
        layout.addWidget(self.import_error)
        _, self.import_next = _step_footer(
            layout, ("Back", self._back_to_choose), ("Continue", self._check_import)
        )

    def _build_password(self) -> None:
        step, layout = self._add_step("Choose a password", self._password_hint(""))
        self.password_step, self.password_title, self.password_hint = step, step.heading, step.note
        self.password_edit = QLineEdit()
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.password_edit.setPlaceholderText("Password")
        self.confirm_edit = QLineEdit()
        self.confirm_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.confirm_edit.setPlaceholderText("Repeat the password")
        self.confirm_edit.returnPressed.connect(self._submit)
        # The strength as the user types (zxcvbn): weak ones are refused for real money.
        self.password_strength = PasswordStrength()
        self.password_edit.textChanged.connect(self._update_strength)
        layout.addWidget(self.password_edit)
        layout.addWidget(self.password_strength)
        layout.addWidget(self.confirm_edit)
        self.password_error = error_text()
        layout.addWidget(self.password_error)
        self.progress_label = caption("", wrap=True)
        self.progress_label.hide()
        layout.addWidget(self.progress_label)
        self.password_back, self.submit_button = _step_footer(
            layout, ("Back", self._password_back), ("Create", self._submit)
        )

    # ------------------------------------------------------------------ key storage

    async def _probe_storage(self) -> None:
        try:
            storage = await self.service.probe_key_storage()
        except Exception as exc:  # the probe itself never raises; a broken loop might
            log.warning("key storage probe failed: %s", type(exc).__name__)
            storage = KeyStorage(False, False, "")
        try:
            self._show_storage(storage)
        except RuntimeError:  # the page was closed (and deleted) while the probe ran
            log.debug("onboarding page gone before the key storage probe returned")

    def _choose_file_store(self) -> None:
        if self._storage_jobs.busy:
            return
        self.file_choice_button.setEnabled(False)
        self._storage_jobs.spawn(self._run_choose_file_store())

    async def _run_choose_file_store(self) -> None:
        try:
            storage = await self.service.choose_file_store()
        except Exception as exc:  # WalletError: the wallet list could not be written
            self.file_choice_button.setEnabled(True)
            self._show_error(self.storage_error, str(exc) or type(exc).__name__)
            return
        self.storage_error.hide()
        self._show_storage(storage)

    def _show_storage(self, storage: KeyStorage | None) -> None:
        """Say where keys will live; offer the file keystore when there is no keyring."""
        self._storage = storage
        offer = storage is not None and not storage.can_store
        if storage is None:
            self.storage_label.setText(CHECKING_STORAGE)
        elif storage.keyring:
            self.storage_label.setText(IN_KEYRING)
        elif storage.file_chosen:
            self.storage_label.setText(in_file(storage.file_dir))
        else:
            self.storage_label.setText(NO_KEYRING)
            self.file_choice_note.setText(
                f"{file_keystore_sentence(storage.file_dir)} {NO_KEYRING_OTHERWISE}"
            )
        self.file_choice_button.setVisible(offer)
        self.file_choice_button.setEnabled(offer)
        self.file_choice_note.setVisible(offer)
        ready = storage is not None and storage.can_store
        self.demo_button.setEnabled(ready and self._demo_possible)
        self.create_button.setEnabled(ready)
        self.import_button.setEnabled(ready)
        hint = "" if ready else "First choose where your keys are kept (above)."
        for button in (self.create_button, self.import_button):
            button.setToolTip(hint)
        where = self._where()
        self.import_note.setText(
            "Paste your 12 or 24 recovery words (separated by spaces) or a private key "
            f"(64 hex digits). It is encrypted with your password and kept in {where}."
        )

    def _where(self) -> str:
        storage = self._storage
        if storage is not None and not storage.keyring:
            return "an encrypted file"
        return "your system keyring"

    # ------------------------------------------------------------------ navigation

    def _start_flow(self, flow: str) -> None:
        if self._storage is None or not self._storage.can_store:
            return  # the buttons are disabled then; this guards a programmatic click
        self._flow = flow
        if flow == "demo":
            self.password_title.setText("Choose a password for the demo wallet")
            self.submit_button.setText("Start the demo")
            self._show_password()
        elif flow == "create":
            self._forget_phrase()
            self._phrase = self.service.new_phrase()
            self.phrase_grid.show_words(self._phrase.words())
            self.steps.setCurrentWidget(self.phrase_step)
        else:
            self.import_edit.clear()
            self.import_error.hide()
            self.steps.setCurrentWidget(self.import_step)
            self.import_edit.setFocus()

    def _back_to_choose(self) -> None:
        self._forget_phrase()
        self.steps.setCurrentWidget(self.choose_step)

    def _password_back(self) -> None:
        target = {
            "create": self.quiz_step,
            "import": self.import_step,
        }.get(self._flow, self.choose_step)
        self.steps.setCurrentWidget(target)

    @property
    def real_money(self) -> bool:
        """Whether the wallet made here is used on mainnet (then a weak password is refused)."""
        return NETWORKS[self.service.network].real_money

    def _update_strength(self, password: str) -> None:
        self.password_strength.update_for(password, real_money=self.real_money)

    @staticmethod
    def _password_hint(flow: str) -> str:
        """What the password does, and what restores the wallet if it is forgotten.

        Only what exists is promised: the demo never showed its phrase here (Settings shows
        it), and a wallet imported from a private key has no phrase at all.
        """
        first = (
            f"At least {MIN_PASSWORD} characters. It encrypts the key on this computer and "
            "unlocks the app; it cannot be recovered."
        )
        restore = {
            "create": " The recovery phrase you just wrote down can always restore the wallet.",
            "import": " What you imported (the recovery phrase or the private key) can always "
            "restore the wallet.",
            "demo": " The demo wallet holds paper money only; Settings shows its recovery "
            "phrase if you want to keep it.",
        }
        return first + restore.get(flow, "")

    def _show_password(self) -> None:
        self.password_hint.setText(self._password_hint(self._flow))
        self.password_edit.clear()
        self.confirm_edit.clear()
        self._update_strength("")
        self.password_error.hide()
        self.steps.setCurrentWidget(self.password_step)
        self.password_edit.setFocus()

    def _to_quiz(self) -> None:
        if self._phrase is None:
            return
        self.steps.setCurrentWidget(self.quiz_step)
        self.quiz.ask(self._phrase.backup_positions(3))

    def _check_quiz(self) -> None:
        if self._phrase is None:
            return
        try:
            self._phrase.check_backup(self.quiz.answers())
        except Exception as exc:  # BackupMismatch: names the positions, never the words
            self._show_error(self.quiz_error, str(exc))
            return
        self.password_title.setText("Choose a password")
        self.submit_button.setText("Create wallet")
        self._show_password()

    def _check_import(self) -> None:
        problem = self.service.check_import(self.import_edit.toPlainText())
        if problem is not None:
            self._show_error(self.import_error, problem)
            return
        self.password_title.setText("Choose a password")
        self.submit_button.setText("Import wallet")
        self._show_password()

    # ------------------------------------------------------------------ submit

    def _submit(self) -> None:
        if self._jobs.busy:
            return
        password = self.password_edit.text()
        if len(password) < MIN_PASSWORD:
            self._show_error(
                self.password_error, f"Use at least {MIN_PASSWORD} characters for the password."
            )
            return
        self._update_strength(password)
        if not self.password_strength.acceptable:
            # The strength line above says why and what would help; this says what it means.
            self._show_error(
                self.password_error,
                "This wallet will hold real money: choose a password that is harder to guess.",
            )
            return
        if password != self.confirm_edit.text():
            self._show_error(self.password_error, "The two passwords are not the same.")
            return
        job: Callable[[], Awaitable[str]]
        if self._flow == "demo":
            job = lambda: self.service.create_demo(password)  # noqa: E731
            progress = "Creating and funding your demo wallet…"
        elif self._flow == "create" and self._phrase is not None:
            phrase = self._phrase
            job = lambda: self.service.create_from_phrase(phrase, password)  # noqa: E731
            progress = f"Encrypting your wallet and saving it in {self._where()}…"
        else:
            secret = self.import_edit.toPlainText()
            job = lambda: self.service.import_secret(secret, password)  # noqa: E731
            progress = f"Encrypting your wallet and saving it in {self._where()}…"
        self._set_busy(True, progress)
        self._jobs.spawn(self._run(job))

    async def _run(self, job: Callable[[], Awaitable[str]]) -> None:
        try:
            address = await job()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # WalletError and venue errors carry sentences for people
            log.warning("onboarding failed: %s", type(exc).__name__)
            self._set_busy(False)
            self._show_error(self.password_error, str(exc) or type(exc).__name__)
            return
        self._set_busy(False)
        self._forget_phrase()
        self.password_edit.clear()
        self.confirm_edit.clear()
        self.import_edit.clear()
        self.finished.emit(address)

    def _set_busy(self, busy: bool, text: str = "") -> None:
        for widget in (self.submit_button, self.password_back, self.password_edit):
            widget.setEnabled(not busy)
        self.confirm_edit.setEnabled(not busy)
        self.progress_label.setText(text)
        self.progress_label.setVisible(busy)
        if busy:
            self.password_error.hide()

    def _show_error(self, label: QLabel, text: str) -> None:
        label.setText(text)
        label.show()

    def _forget_phrase(self) -> None:
        if self._phrase is not None:
            self._phrase.wipe()
            self._phrase = None
        self.phrase_grid.clear()

    def _cancel(self) -> None:
        self._back_to_choose()
        self.cancelled.emit()

    @property
    def busy(self) -> bool:
        return self._jobs.busy

    def reset(self) -> None:
        """Back to the first step with every field empty (e.g. after Cancel)."""
        self._forget_phrase()
        for edit in (self.password_edit, self.confirm_edit):
            edit.clear()
        self.import_edit.clear()
        self.steps.setCurrentWidget(self.choose_step)

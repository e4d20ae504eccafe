"""A password's strength as the user types: a four-step bar and one line of plain words.

Used wherever a wallet password is chosen (onboarding, change password). The estimate is
``core.passwords`` (zxcvbn); the widget only shows it and answers :attr:`acceptable`, so the
form refuses a weak password for real money with the reason already on screen.
"""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QProgressBar, QWidget

from wallet_perps.core.passwords import (
    MIN_LENGTH,
    STRONG_SCORE,
    PasswordVerdict,
    acceptable,
    assess,
    summary,
)
from wallet_perps.ui.kit import set_flag, vbox

__all__ = ["PasswordStrength"]


class PasswordStrength(QWidget):
    """Bar (score 0..4) plus a sentence; hidden text until something is typed.

    ``level`` (property, for the style sheet): ``weak`` below :data:`STRONG_SCORE` with real
    money, ``fair`` when weak but allowed (the demo), ``strong`` otherwise.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("PasswordStrength")
        layout = vbox(self, spacing=4)
        self.bar = QProgressBar()
        self.bar.setObjectName("PasswordStrengthBar")
        self.bar.setRange(0, 4)
        self.bar.setTextVisible(False)
        self.bar.setFixedHeight(6)
        self.label = QLabel()
        self.label.setObjectName("PasswordStrengthText")
        self.label.setWordWrap(True)
        layout.addWidget(self.bar)
        layout.addWidget(self.label)
        self._acceptable = False
        self.verdict: PasswordVerdict | None = None
        self.update_for("", real_money=False)

    @property
    def acceptable(self) -> bool:
        """Long enough, and strong enough for where the wallet will be used."""
        return self._acceptable

    def update_for(self, password: str, *, real_money: bool) -> None:
        """Re-assess ``password`` (call on every edit; zxcvbn takes about a millisecond)."""
        if not password:
            self.verdict = None
            self._acceptable = False
            self._show(0, "", "weak")
            return
        verdict = assess(password)
        self.verdict = verdict
        allowed = acceptable(verdict, real_money=real_money)
        self._acceptable = allowed and len(password) >= MIN_LENGTH
        text = summary(verdict)
        if len(password) < MIN_LENGTH:
            text = f"Use at least {MIN_LENGTH} characters. {text}"
        elif not allowed:
            text = f"{text} Wallets for real money need a stronger password."
        elif verdict.score < STRONG_SCORE:
            text = f"{text} Fine for the demo; use a stronger one for real money."
        if verdict.score >= STRONG_SCORE:
            level = "strong"
        else:
            level = "weak" if real_money or len(password) < MIN_LENGTH else "fair"
        self._show(max(verdict.score, 1), text, level)

    def text(self) -> str:
        """The line shown under the bar."""
        return self.label.text()

    def _show(self, value: int, text: str, level: str) -> None:
        self.bar.setValue(value)
        self.label.setText(text)
        for widget in (self.bar, self.label):
            set_flag(widget, "level", level)

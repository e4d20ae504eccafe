"""The recovery phrase on screen, and the three-word check that it was written down.

Shared by onboarding (a new wallet) and Settings (backing up a demo or "skip backup" wallet
later, and revealing a phrase), so both ask the same way. Neither widget checks anything or
keeps words beyond its labels: the caller checks the answers (through ``WalletService``) and
calls :meth:`PhraseGrid.clear` once the words have been seen. The labels take no text
interaction, so the words cannot be selected and copied to the clipboard.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QLineEdit, QWidget

from wallet_perps.ui.kit import vbox

__all__ = ["BackupQuiz", "PhraseGrid"]

COLUMNS = 3


class PhraseGrid(QFrame):
    """Numbered words in three columns; grows for 24-word phrases, :meth:`clear` blanks it."""

    def __init__(self, count: int = 12, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._grid = QGridLayout(self)
        self._grid.setHorizontalSpacing(18)
        self.labels: list[QLabel] = []
        self._grow(count)

    def _grow(self, count: int) -> None:
        while len(self.labels) < count:
            index = len(self.labels)
            label = QLabel("")
            label.setProperty("mono", True)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
            label.setContextMenuPolicy(Qt.ContextMenuPolicy.NoContextMenu)
            self._grid.addWidget(label, index // COLUMNS, index % COLUMNS)
            self.labels.append(label)

    def show_words(self, words: Sequence[str]) -> None:
        self._grow(len(words))
        for index, label in enumerate(self.labels):
            label.setText(f"{index + 1:>2}. {words[index]}" if index < len(words) else "")
            label.setVisible(index < len(words) or index < 12)

    def clear(self) -> None:
        for label in self.labels:
            label.setText("")


class BackupQuiz(QWidget):
    """Three "Word #n" fields and an error line; ``submitted`` on Enter in any field."""

    submitted = Signal()

    def __init__(self, count: int = 3, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = vbox(self, spacing=8)
        form = QGridLayout()
        self.fields: list[tuple[QLabel, QLineEdit]] = []
        for row in range(count):
            label = QLabel("")
            edit = QLineEdit()
            edit.setAutoFillBackground(False)
            edit.returnPressed.connect(self.submitted.emit)
            form.addWidget(label, row, 0)
            form.addWidget(edit, row, 1)
            self.fields.append((label, edit))
        layout.addLayout(form)
        self.error = QLabel("")
        self.error.setProperty("role", "error")
        self.error.setWordWrap(True)
        self.error.hide()
        layout.addWidget(self.error)
        self._positions: list[int] = []

    def ask(self, positions: Sequence[int]) -> None:
        """Ask for these 1-based word positions (empty fields, no error, focus on the first)."""
        self._positions = list(positions)
        for (label, edit), position in zip(self.fields, self._positions, strict=True):
            label.setText(f"Word #{position}")
            edit.clear()
        self.error.hide()
        self.fields[0][1].setFocus()

    def answers(self) -> dict[int, str]:
        return {
            position: edit.text()
            for (_, edit), position in zip(self.fields, self._positions, strict=True)
        }

    def show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()

    def clear(self) -> None:
        for _, edit in self.fields:
            edit.clear()
        self.error.hide()

"""The installed PySide6 must not leak references away from None and True.

PySide6 6.12.0 on CPython 3.11 decrements None's reference count on every call of a method
that returns nothing and True's on every signal emit; the app streaming prices hits zero
within minutes and the interpreter aborts. pyproject.toml excludes that build; this test
fails loudly if such a build comes back.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot


class _Emitter(QObject):
    fired = Signal(bool)


def test_void_calls_and_emits_keep_none_and_true_alive(qtbot: QtBot) -> None:
    label = QLabel()
    qtbot.addWidget(label)
    emitter = _Emitter()
    seen: list[bool] = []
    emitter.fired.connect(seen.append)
    none_before, true_before = sys.getrefcount(None), sys.getrefcount(True)
    for _ in range(200):
        label.setText("$97,123.5")
        emitter.fired.emit(True)
    seen.clear()
    assert sys.getrefcount(None) - none_before > -50
    assert sys.getrefcount(True) - true_before > -50

"""The idle lock's activity filter: a person's keys, clicks and wheel turns count, in the main
window and in a dialog that takes focus; the app's own repaints and timers do not.

Input is sent the way the window system sends it (to the top-level ``QWindow``), not straight
to a widget: that is the path the filter watches, and the only one a person's input takes.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QWindow
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDialog, QLineEdit, QVBoxLayout, QWidget
from pytestqt.qtbot import QtBot

from wallet_perps.ui.widgets.venue_bar import ActivityFilter


def _shown(qtbot: QtBot, widget: QWidget) -> QWindow:
    qtbot.addWidget(widget)
    widget.show()
    widget.activateWindow()
    qtbot.waitExposed(widget)
    window = widget.windowHandle()
    assert window is not None
    qtbot.waitUntil(lambda: QApplication.focusWindow() is window)
    return window


def test_keys_and_clicks_in_any_focused_window_count(qtbot: QtBot, qapp: QApplication) -> None:
    touches: list[None] = []
    activity = ActivityFilter(lambda: touches.append(None))
    activity.watch(qapp)

    main = QWidget()
    main.resize(320, 200)
    QVBoxLayout(main).addWidget(QLineEdit())
    window = _shown(qtbot, main)
    QTest.keyClick(window, Qt.Key.Key_A)
    assert len(touches) == 1
    QTest.mouseClick(
        window, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(5, 5)
    )
    assert len(touches) == 2

    # A dialog opened later is a window of its own: it is watched once it takes focus.
    dialog = QDialog(main)
    QVBoxLayout(dialog).addWidget(QLineEdit())
    dialog_window = _shown(qtbot, dialog)
    QTest.keyClick(dialog_window, Qt.Key.Key_B)
    assert len(touches) == 3

    # The app redrawing itself is not a person at the keyboard.
    main.update()
    dialog.update()
    qtbot.wait(50)
    assert len(touches) == 3
    activity.deleteLater()


def test_a_window_watched_before_it_takes_focus_counts_clicks(qtbot: QtBot) -> None:
    """The app's own window is watched once shown, whether or not a window manager focused it."""
    touches: list[None] = []
    activity = ActivityFilter(lambda: touches.append(None))
    main = QWidget()
    qtbot.addWidget(main)
    main.resize(200, 100)
    main.show()
    qtbot.waitExposed(main)
    activity.watch_window(main.windowHandle())
    QTest.mouseClick(
        main.windowHandle(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(5, 5)
    )
    assert len(touches) == 1
    activity.deleteLater()

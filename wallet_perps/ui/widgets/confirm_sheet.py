"""The confirmation sheet: the order's numbers once more, before anything is signed.

Why an in-window sheet and not a modal ``QDialog.exec()``: ``exec`` runs a nested event loop,
and the app's one qasync loop (WebSocket, services, widgets) must never be re-entered that way.
The sheet is a child widget laid over its parent with a dimmed backdrop; it swallows mouse
clicks and keys while it is open, so nothing behind it can be changed or sent, and it shows
the *same* plan object the ticket showed, formatted by the *same* function
(:func:`~wallet_perps.ui.ticket_view.estimate_texts`). Confirm emits that plan, so
what is signed is exactly what was read.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QColor, QKeyEvent, QMouseEvent, QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from wallet_perps.core.display import format_price, format_size, format_usd
from wallet_perps.core.tickets import OrderPlan
from wallet_perps.ui.kit import caption, caption_rows, set_flag, title, vbox
from wallet_perps.ui.ticket_view import ESTIMATES, estimate_texts, tpsl_outcomes

__all__ = ["ConfirmSheet"]

_BACKDROP = QColor(3, 6, 16, 170)


#: What the sheet says while prices are not live (the venue is unreachable).
STALE_TEXT = (
    "Prices are not live: the venue cannot be reached, so these numbers are from the last "
    "update. Confirm comes back when live prices do."
)


class ConfirmSheet(QWidget):
    """Covers its parent while open; ``confirmed(plan)`` or ``cancelled()`` closes it.

    Enter confirms, Esc cancels; Tab only moves between the sheet's two buttons. Besides an
    order plan (:meth:`open`), it reviews any other action that sends or cancels orders
    (:meth:`open_action`: setting TP/SL, cancelling every order), so "Review every order"
    means one review, the same everywhere.
    """

    confirmed = Signal(object)
    cancelled = Signal()

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self._plan: OrderPlan | None = None
        self._on_confirm: Callable[[], None] | None = None
        self._stale = False
        self.setObjectName("ConfirmSheet")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, False)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

        outer = QVBoxLayout(self)
        outer.addStretch(1)
        row = QHBoxLayout()
        row.addStretch(1)
        self.card = QFrame()
        self.card.setProperty("card", True)
        self.card.setObjectName("ConfirmCard")
        self.card.setFixedWidth(440)
        row.addWidget(self.card)
        row.addStretch(1)
        outer.addLayout(row)
        outer.addStretch(1)

        layout = vbox(self.card, margins=(24, 20, 24, 20), spacing=10)
        self.title_label = title("Review order")
        layout.addWidget(self.title_label)
        self.summary_label = QLabel()
        self.summary_label.setWordWrap(True)
        layout.addWidget(self.summary_label)

        grid = QGridLayout()
        grid.setHorizontalSpacing(16)
        grid.setVerticalSpacing(6)
        rows: list[tuple[str, str, str]] = [
            *ESTIMATES,
            (
                "take_profit",
                "Take-profit",
                "Trigger price of the take-profit order sent with this one, and what it would "
                "make if it fills there.",
            ),
            (
                "stop_loss",
                "Stop-loss",
                "Trigger price of the stop-loss order sent with this one, and what it would "
                "lose if it fills there.",
            ),
            ("reduce_only", "Reduce only", "Only shrinks or closes the position, never grows it."),
        ]
        labels = caption_rows(grid, rows, selectable=True)
        self.values: dict[str, QLabel] = {key: value for key, (_, value) in labels.items()}
        self._captions: dict[str, QLabel] = {key: name for key, (name, _) in labels.items()}
        layout.addLayout(grid)
        # The rows of an action review (open_action): built per review, shown instead of the
        # plan's estimates.
        self.action_grid = QGridLayout()
        self.action_grid.setHorizontalSpacing(16)
        self.action_grid.setVerticalSpacing(6)
        layout.addLayout(self.action_grid)
        self._action_labels: list[QLabel] = []

        self.warning_label = caption(wrap=True)
        layout.addWidget(self.warning_label)
        # Shown while prices are not live: the numbers above are then from the last update.
        self.stale_label = QLabel(STALE_TEXT)
        self.stale_label.setObjectName("ErrorText")
        self.stale_label.setWordWrap(True)
        self.stale_label.hide()
        layout.addWidget(self.stale_label)

        buttons = QHBoxLayout()
        buttons.setSpacing(10)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Close without sending anything (Esc)")
        self.cancel_button.setMinimumHeight(40)
        self.confirm_button = QPushButton("Confirm")
        self.confirm_button.setToolTip("Sign and send this order (Enter)")
        self.confirm_button.setMinimumHeight(40)
        for button in (self.cancel_button, self.confirm_button):
            button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.cancel_button.clicked.connect(self.cancel)
        self.confirm_button.clicked.connect(self.confirm)
        buttons.addWidget(self.cancel_button, 1)
        buttons.addWidget(self.confirm_button, 2)
        layout.addLayout(buttons)
        hint = caption(
            "Enter confirms · Esc cancels · this review can be turned off in Settings", wrap=True
        )
        layout.addWidget(hint)

        parent.installEventFilter(self)
        self.hide()

    # ------------------------------------------------------------------ public API

    @property
    def plan(self) -> OrderPlan | None:
        """The plan on the sheet (None when closed)."""
        return self._plan if self.isVisible() else None

    def open(self, plan: OrderPlan, *, account_known: bool = True) -> None:
        """Show ``plan``'s numbers over the parent and take the keyboard."""
        self._plan = plan
        self._on_confirm = None
        self._set_action_rows(())
        self.title_label.setText("Review order")
        texts = estimate_texts(plan, account_known=account_known)
        for key, _caption, _tip in ESTIMATES:
            self.values[key].setText(texts[key])
            self.values[key].show()
            self._captions[key].show()
        side = "Long" if plan.is_buy else "Short"
        kind = "Market" if plan.is_market else f"Limit at {format_price(plan.price)}"
        self.summary_label.setText(
            f"{kind} · {side} {format_size(plan.size)} {plan.coin} "
            f"(≈ {format_usd(plan.est_notional)}) · {plan.leverage}x "
            f"{plan.margin_mode.value}"
        )
        pnl_hint = tpsl_outcomes(plan)
        for key, leg in (("take_profit", plan.take_profit), ("stop_loss", plan.stop_loss)):
            shown = leg is not None
            self.values[key].setVisible(shown)
            self._captions[key].setVisible(shown)
            if leg is not None:
                self.values[key].setText(format_price(leg.trigger_px))
        self.values["reduce_only"].setVisible(plan.reduce_only)
        self._captions["reduce_only"].setVisible(plan.reduce_only)
        self.values["reduce_only"].setText("yes")
        notes = [*plan.warnings]
        if pnl_hint:
            notes.append(pnl_hint)
        self.warning_label.setText("\n".join(notes))
        self.warning_label.setVisible(bool(notes))
        self.confirm_button.setText(plan.action_label)
        self.confirm_button.setToolTip("Sign and send this order (Enter)")
        set_flag(self.confirm_button, "kind", "long" if plan.is_buy else "short")
        self._show_over_parent()

    def open_action(
        self,
        title: str,
        summary: str,
        rows: Sequence[tuple[str, str]],
        confirm_text: str,
        on_confirm: Callable[[], None],
        *,
        note: str = "",
        kind: str = "",
    ) -> None:
        """Review an action that is not a single new order: ``rows`` of (caption, value).

        ``on_confirm`` runs when the user confirms (and never otherwise); ``kind`` colours the
        confirm button ("long", "short", or "" for the neutral style).
        """
        self._plan = None
        self._on_confirm = on_confirm
        self.title_label.setText(title)
        self.summary_label.setText(summary)
        for key in self.values:
            self.values[key].hide()
            self._captions[key].hide()
        self._set_action_rows(rows)
        self.warning_label.setText(note)
        self.warning_label.setVisible(bool(note))
        self.confirm_button.setText(confirm_text)
        self.confirm_button.setToolTip(f"{confirm_text} (Enter)")
        set_flag(self.confirm_button, "kind", kind)
        self._show_over_parent()

    def _set_action_rows(self, rows: Sequence[tuple[str, str]]) -> None:
        for label in self._action_labels:
            self.action_grid.removeWidget(label)
            label.deleteLater()
        self._action_labels = []
        for index, (text, value) in enumerate(rows):
            name = caption(text)
            shown = QLabel(value)
            shown.setAlignment(Qt.AlignmentFlag.AlignRight)
            shown.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.action_grid.addWidget(name, index, 0)
            self.action_grid.addWidget(shown, index, 1)
            self._action_labels += [name, shown]

    def set_stale(self, stale: bool) -> None:
        """Prices stopped (or came back): say so, and allow Confirm only on live numbers.

        Sending was already refused safely while the venue was unreachable, but the sheet
        showed the last numbers as if they were live; now it says they are not and waits.
        """
        self._stale = stale
        self.stale_label.setVisible(stale)
        self.confirm_button.setEnabled(not stale)

    def _show_over_parent(self) -> None:
        parent = self.parentWidget()
        if parent is not None:
            self.setGeometry(parent.rect())
        self.show()
        self.raise_()
        self.confirm_button.setFocus(Qt.FocusReason.OtherFocusReason)

    @property
    def stale(self) -> bool:
        return self._stale

    def confirm(self) -> None:
        """Close and hand the plan on to be sent (or run the reviewed action)."""
        if not self.isVisible():
            return
        plan, on_confirm = self._plan, self._on_confirm
        if (plan is None and on_confirm is None) or self._stale:
            return
        self._close()
        if plan is not None:
            self.confirmed.emit(plan)
        elif on_confirm is not None:
            on_confirm()

    def cancel(self) -> None:
        """Close; nothing is sent."""
        if not self.isVisible():
            return
        self._close()
        self.cancelled.emit()

    # ------------------------------------------------------------------ internals

    def _close(self) -> None:
        self.hide()
        self._plan = None
        self._on_confirm = None

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Enter confirms, Esc cancels; every other key stops here (no L/S behind the sheet)."""
        key = event.key()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            if self.cancel_button.hasFocus():
                self.cancel()
            else:
                self.confirm()
        elif key == Qt.Key.Key_Escape:
            self.cancel()
        elif key in (Qt.Key.Key_Space, Qt.Key.Key_Tab, Qt.Key.Key_Backtab):
            super().keyPressEvent(event)
            return
        event.accept()

    def focusNextPrevChild(self, next: bool) -> bool:
        """Tab cycles between Cancel and Confirm only: focus never slips behind the sheet."""
        target = self.cancel_button if self.confirm_button.hasFocus() else self.confirm_button
        target.setFocus(Qt.FocusReason.TabFocusReason)
        return True

    def mousePressEvent(self, event: QMouseEvent) -> None:
        """Clicks on the backdrop do nothing (they must not reach the ticket underneath)."""
        event.accept()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), _BACKDROP)
        painter.end()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Follow the parent's size so the backdrop always covers it."""
        if watched is self.parentWidget() and event.type() == QEvent.Type.Resize:
            parent = self.parentWidget()
            if parent is not None:
                self.setGeometry(parent.rect())
        return False

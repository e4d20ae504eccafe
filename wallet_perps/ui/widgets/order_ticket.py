"""The order ticket: what the user wants, the live consequences, and one honest button.

Why it is built around a ``planner`` callback instead of the services: the ticket re-runs
:func:`~wallet_perps.core.ticket_validation.validate_ticket` on every keystroke and every book
update, and that function is pure. The widget therefore only turns inputs into a
:class:`~wallet_perps.core.tickets.Ticket`, shows the resulting plan (or the reason it cannot
be sent, next to the field at fault) and emits the exact plan the user saw; whoever owns the
session decides how to send it (directly, or after a confirmation sheet that repeats the same
numbers through :func:`~wallet_perps.ui.ticket_view.estimate_texts`). A refused ticket disables
the button, so nothing can be sent that the estimates did not describe. What the fields mean
(the ticket they make, the % slider's sizes, the texts) is :mod:`wallet_perps.ui.ticket_view`,
pure and without Qt; this module only wires it to widgets.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Collection
from decimal import Decimal

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSlider,
    QWidget,
)

from wallet_perps.core.display import format_size, format_usd
from wallet_perps.core.models import LeverageType, Market
from wallet_perps.core.numbers import NumberError, round_price
from wallet_perps.core.tickets import (
    DEFAULT_SLIPPAGE_PCT,
    AmountUnit,
    OrderKind,
    OrderPlan,
    Ticket,
    TicketError,
    TicketSide,
)
from wallet_perps.core.typed_numbers import parse_typed_number
from wallet_perps.services.trader_results import OrderResult, OrderState
from wallet_perps.ui.kit import caption, caption_rows, error_text, set_flag, vbox
from wallet_perps.ui.ticket_view import (
    ESTIMATES,
    TIPS,
    TypedFields,
    amount_for_percent,
    buying_power,
    converted_amount,
    estimate_texts,
    percent_of_power,
    read_ticket,
    room_tip,
    tpsl_outcomes,
)

__all__ = ["OrderTicket", "Planner"]

Planner = Callable[[Ticket], OrderPlan | TicketError]


class OrderTicket(QFrame):
    """Long/Short, amount (with a % of available slider), leverage, order type, TP/SL,
    reduce-only; live estimates; the action button.

    ``submitted(OrderPlan)`` fires on click or Enter with the plan currently shown.
    """

    submitted = Signal(object)

    def __init__(
        self,
        planner: Planner,
        parent: QWidget | None = None,
        *,
        slippage_pct: Callable[[], Decimal] = lambda: DEFAULT_SLIPPAGE_PCT,
    ) -> None:
        super().__init__(parent)
        self.setProperty("card", True)
        self.setObjectName("OrderTicket")
        self._planner = planner
        #: The market-order slippage bound in percent (Settings' default slippage).
        self.slippage_pct = slippage_pct
        self._coin = "BTC"
        self._market: Market | None = None
        self._plan: OrderPlan | TicketError | None = None
        self._busy = False
        self._locked_reason: str | None = None
        self._available: Decimal | None = None
        self._reference_px: Decimal | None = None
        # True while the amount is the slider's: leverage or order type changes re-apply the %.
        self._amount_from_slider = False

        layout = vbox(self, margins=(16, 16, 16, 16), spacing=8)

        # Side.
        sides = QHBoxLayout()
        self.long_button = QPushButton("Long")
        self.short_button = QPushButton("Short")
        self.long_button.setToolTip("Profit if the price rises (L)")
        self.short_button.setToolTip("Profit if the price falls (S)")
        self._side_group = QButtonGroup(self)
        for button in (self.long_button, self.short_button):
            button.setCheckable(True)
            button.setCursor(Qt.CursorShape.PointingHandCursor)
            self._side_group.addButton(button)
            sides.addWidget(button)
        self.long_button.setChecked(True)
        self._side_group.buttonClicked.connect(lambda _b: self._side_changed())
        layout.addLayout(sides)

        # Amount, with what is available beside the caption.
        amount_head = QHBoxLayout()
        amount_head.addWidget(caption("Amount"))
        amount_head.addStretch(1)
        self.available_label = caption("", TIPS["available"])
        amount_head.addWidget(self.available_label)
        layout.addLayout(amount_head)
        amount_row = QHBoxLayout()
        self.amount_edit = self._edit("0.00")
        self.amount_edit.textEdited.connect(self._amount_edited)
        self.unit_box = QComboBox()
        self.unit_box.addItem("USD", AmountUnit.USD)
        self.unit_box.addItem("BTC", AmountUnit.COIN)
        self.unit_box.setToolTip("Enter the amount in dollars or in coins.")
        self.unit_box.currentIndexChanged.connect(self._unit_changed)
        amount_row.addWidget(self.amount_edit, 1)
        amount_row.addWidget(self.unit_box)
        layout.addLayout(amount_row)
        percent_row = QHBoxLayout()
        self.percent_slider = QSlider(Qt.Orientation.Horizontal)
        self.percent_slider.setRange(0, 100)
        self.percent_slider.setPageStep(25)
        self.percent_slider.valueChanged.connect(self._percent_moved)
        self.percent_label = caption("0%")
        self.percent_label.setMinimumWidth(40)
        self.percent_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        percent_row.addWidget(self.percent_slider, 1)
        percent_row.addWidget(self.percent_label)
        layout.addLayout(percent_row)
        self.amount_error = error_text()
        layout.addWidget(self.amount_error)

        # Leverage and margin mode.
        lev_row = QHBoxLayout()
        lev_caption = caption("Leverage", TIPS["leverage"])
        lev_row.addWidget(lev_caption)
        lev_row.addStretch(1)
        self.leverage_label = QLabel("10x")
        self.leverage_label.setProperty("role", "title")
        self.leverage_label.setToolTip(lev_caption.toolTip())
        lev_row.addWidget(self.leverage_label)
        self.margin_box = QComboBox()
        self.margin_box.addItem("Cross", LeverageType.CROSS)
        self.margin_box.addItem("Isolated", LeverageType.ISOLATED)
        self.margin_box.setToolTip(TIPS["margin_mode"])
        self.margin_box.currentIndexChanged.connect(lambda _i: self._reapply_percent())
        lev_row.addWidget(self.margin_box)
        layout.addLayout(lev_row)
        self.leverage_slider = QSlider(Qt.Orientation.Horizontal)
        self.leverage_slider.setRange(1, 50)
        self.leverage_slider.setValue(10)
        self.leverage_slider.setToolTip(lev_caption.toolTip())
        self.leverage_slider.valueChanged.connect(self._leverage_changed)
        layout.addWidget(self.leverage_slider)
        self.leverage_error = error_text()
        layout.addWidget(self.leverage_error)

        # Order type.
        kind_row = QHBoxLayout()
        self.kind_box = QComboBox()
        self.kind_box.addItem("Market", OrderKind.MARKET)
        self.kind_box.addItem("Limit", OrderKind.LIMIT)
        self.kind_box.setToolTip(TIPS["kind"])
        self.kind_box.currentIndexChanged.connect(self._kind_changed)
        self.limit_edit = self._edit("Limit price")
        self.limit_edit.textEdited.connect(lambda _t: self._reapply_percent())
        self.limit_edit.hide()
        kind_row.addWidget(self.kind_box)
        kind_row.addWidget(self.limit_edit, 1)
        layout.addLayout(kind_row)
        self.limit_error = error_text()
        layout.addWidget(self.limit_error)

        # Optional take-profit and stop-loss.
        self.tpsl_box = QCheckBox("Take-profit / stop-loss")
        self.tpsl_box.setToolTip(TIPS["tpsl"])
        self.tpsl_box.toggled.connect(self._tpsl_toggled)
        layout.addWidget(self.tpsl_box)
        self.tpsl_panel = QWidget()
        tpsl = QGridLayout(self.tpsl_panel)
        tpsl.setContentsMargins(0, 0, 0, 0)
        tpsl.setHorizontalSpacing(8)
        tpsl.setVerticalSpacing(2)
        self.tp_edit = self._edit("Take-profit price", TIPS["take_profit"])
        self.sl_edit = self._edit("Stop-loss price", TIPS["stop_loss"])
        tpsl.addWidget(self.tp_edit, 0, 0)
        tpsl.addWidget(self.sl_edit, 0, 1)
        self.tp_error = error_text()
        self.sl_error = error_text()
        tpsl.addWidget(self.tp_error, 1, 0, 1, 2)
        tpsl.addWidget(self.sl_error, 2, 0, 1, 2)
        self.tpsl_hint = caption(wrap=True)
        tpsl.addWidget(self.tpsl_hint, 3, 0, 1, 2)
        self.tpsl_panel.hide()
        layout.addWidget(self.tpsl_panel)

        self.reduce_only = QCheckBox("Reduce only")
        self.reduce_only.setToolTip("Only shrink or close the current position, never grow it.")
        self.reduce_only.toggled.connect(lambda _c: self.refresh())
        layout.addWidget(self.reduce_only)
        self.reduce_error = error_text()
        layout.addWidget(self.reduce_error)

        # Live estimates.
        grid = QGridLayout()
        grid.setHorizontalSpacing(12)
        grid.setVerticalSpacing(4)
        rows = caption_rows(grid, ESTIMATES)
        self.estimates: dict[str, QLabel] = {key: value for key, (_, value) in rows.items()}
        layout.addLayout(grid)
        self.general_error = error_text()
        layout.addWidget(self.general_error)
        self.warning_label = caption(wrap=True)
        self.warning_label.hide()
        layout.addWidget(self.warning_label)

        self.action_button = QPushButton("Enter an amount")
        self.action_button.setMinimumHeight(44)
        self.action_button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.action_button.setToolTip("Review and send the order (Enter)")
        self.action_button.clicked.connect(self.submit)
        layout.addWidget(self.action_button)
        self._resting_oid: int | None = None  # the order a "resting" result line is about
        self._resting_seen = False
        self.result_label = QLabel()
        self.result_label.setWordWrap(True)
        self.result_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.result_label.hide()
        layout.addWidget(self.result_label)
        layout.addStretch(1)

        self._side_changed()
        self._update_room_texts()

    def _edit(self, placeholder: str, tip: str = "") -> QLineEdit:
        """A field that re-validates on every keystroke and sends on Enter."""
        edit = QLineEdit()
        edit.setPlaceholderText(placeholder)
        edit.setToolTip(tip)
        edit.textChanged.connect(lambda _t: self.refresh())
        edit.returnPressed.connect(self.submit)
        return edit

    # ------------------------------------------------------------------ public API

    @property
    def coin(self) -> str:
        return self._coin

    @property
    def plan(self) -> OrderPlan | TicketError | None:
        """What the ticket currently says: the plan the button would send, or the reason not."""
        return self._plan

    @property
    def unit(self) -> AmountUnit:
        return AmountUnit(self.unit_box.currentData())

    @property
    def kind(self) -> OrderKind:
        # Qt hands enum item data back as plain strings: convert, or "is" checks fail.
        return OrderKind(self.kind_box.currentData())

    def set_market(self, market: Market) -> None:
        """Switch to ``market``: the coin unit and the leverage range follow it."""
        changed = market.name != self._coin
        self._coin = market.name
        self._market = market
        self.unit_box.setItemText(1, market.name)
        value = self.leverage_slider.value()
        self.leverage_slider.setRange(1, market.max_leverage)
        self.leverage_slider.setValue(min(value, market.max_leverage))
        self.result_label.hide()
        if changed:
            # Prices of one coin mean nothing for another.
            for edit in (self.limit_edit, self.tp_edit, self.sl_edit):
                edit.clear()
            self._reference_px = None
        self.refresh()

    def set_room(self, available: Decimal | None, reference_px: Decimal | None) -> None:
        """What the account can still put up (USD, None when no wallet) and the coin's mid.

        The page calls this on every redraw; the % slider turns it into an amount only when
        the user moves the slider, so live price ticks never rewrite what the user typed.
        """
        self._available = available
        self._reference_px = reference_px
        self._update_room_texts()

    def set_locked(self, reason: str | None) -> None:
        """Disable sending with ``reason`` on the button (no wallet unlocked), or enable it."""
        if reason == self._locked_reason:
            return
        self._locked_reason = reason
        # A result ("Filled…", "resting…") belongs to the wallet that sent it: it goes when
        # the wallet locks or another one unlocks.
        self.result_label.hide()
        self._update_room_texts()
        self.refresh()

    def set_side(self, side: TicketSide) -> None:
        (self.long_button if side is TicketSide.LONG else self.short_button).setChecked(True)
        self._side_changed()

    @property
    def side(self) -> TicketSide:
        return TicketSide.LONG if self.long_button.isChecked() else TicketSide.SHORT

    def ticket(self) -> Ticket | TicketError:
        """The inputs as a :class:`Ticket`, or why they are not one yet."""
        chosen = Ticket(
            coin=self._coin,
            side=self.side,
            amount=Decimal(0),  # the typed amount, read below
            unit=self.unit,
            leverage=self.leverage_slider.value(),
            margin_mode=LeverageType(self.margin_box.currentData()),
            kind=self.kind,
            slippage_pct=self.slippage_pct(),
            reduce_only=self.reduce_only.isChecked(),
        )
        typed = TypedFields(
            self.amount_edit.text(),
            self.limit_edit.text(),
            self.tpsl_box.isChecked(),
            self.tp_edit.text(),
            self.sl_edit.text(),
        )
        return read_ticket(chosen, typed)

    def refresh(self) -> None:
        """Re-validate and redraw the estimates (call on every market or account change)."""
        ticket = self.ticket()
        plan = ticket if isinstance(ticket, TicketError) else self._planner(ticket)
        self._plan = plan
        empty = not self.amount_edit.text().strip()
        self._show_errors(None if empty else plan if isinstance(plan, TicketError) else None)
        if isinstance(plan, OrderPlan):
            self._show_plan(plan)
            self.action_button.setText(plan.action_label)
            self.action_button.setEnabled(not self._busy and self._locked_reason is None)
        else:
            for label in self.estimates.values():
                label.setText("—")
            self.warning_label.hide()
            self.tpsl_hint.hide()
            self.action_button.setText("Enter an amount" if empty else "Can't place this order")
            self.action_button.setEnabled(False)
        if self._locked_reason is not None:
            self.action_button.setText(self._locked_reason)
        if self._busy:
            self.action_button.setText("Sending…")

    def submit(self) -> None:
        """Emit the plan on screen, re-validated against the very latest data first."""
        if self._busy or self._locked_reason is not None:
            return
        self.refresh()
        if isinstance(self._plan, OrderPlan):
            self.result_label.hide()
            self.submitted.emit(self._plan)

    def set_busy(self, busy: bool) -> None:
        """While an order is in flight the button shows progress and cannot send again."""
        self._busy = busy
        self.refresh()

    def show_result(self, result: OrderResult) -> None:
        """The venue's answer inline: green when it worked, red with its words when not."""
        self._busy = False
        # A "resting" line describes an order on the book: it goes when the order leaves it.
        self._resting_oid = result.oid if result.state is OrderState.RESTING else None
        self._resting_seen = False
        text = result.message
        if not result.ok and result.venue_text and result.venue_text not in text:
            text = f"{text} Venue says: {result.venue_text}"
        self.result_label.setText(text)
        set_flag(self.result_label, "role", "long" if result.ok else "short")
        self.result_label.show()
        if result.ok:
            self.amount_edit.clear()
            self._set_percent_silently(0)
            self._amount_from_slider = False
        self.refresh()

    def follow_orders(self, open_oids: Collection[int]) -> None:
        """Clear a "resting" result line once its order has left the book.

        Messages belong to a moment: "Order placed… resting" must not stay on screen after
        that order was cancelled (or filled) elsewhere. The line goes only after the order
        was once seen open, so an answer that outruns the account stream is not cleared.
        """
        oid = self._resting_oid
        if oid is None:
            return
        if oid in open_oids:
            self._resting_seen = True
        elif self._resting_seen:
            self._resting_oid = None
            self.result_label.hide()

    def connection_restored(self) -> None:
        """A refusal shown while the venue was unreachable is about a moment that has passed."""
        if self.result_label.isVisible() and self.result_label.property("role") == "short":
            self.result_label.hide()

    # ------------------------------------------------------------------ % of available

    def buying_power(self) -> Decimal | None:
        """The largest order value (USD) the margin check accepts at the current settings."""
        leverage = self.leverage_slider.value()
        return buying_power(self._available, leverage, self.kind, self.slippage_pct())

    @property
    def _sz_decimals(self) -> int:
        return self._market.sz_decimals if self._market is not None else 0

    def _sizing_px(self) -> Decimal | None:
        """The price a USD amount is converted to coins at (as validate_ticket does)."""
        if self.kind is OrderKind.LIMIT:
            px = parse_typed_number(self.limit_edit.text())
            if px is not None and px > 0:
                return px
        return self._reference_px

    def _percent_moved(self, value: int) -> None:
        self.percent_label.setText(f"{value}%")
        self._amount_from_slider = True
        self._apply_percent(value)

    def _apply_percent(self, value: int) -> None:
        power = self.buying_power()
        if power is not None:
            px = self._sizing_px()
            text = amount_for_percent(power, value, px, self._sz_decimals, self.unit)
            self.amount_edit.setText(text)

    def _reapply_percent(self) -> None:
        """Leverage, margin mode or order type changed: keep the chosen % if the slider set it."""
        self._update_room_texts()
        if self._amount_from_slider and self.percent_slider.value() > 0:
            self._apply_percent(self.percent_slider.value())
        self.refresh()

    def _amount_edited(self, _text: str) -> None:
        """Typing takes over from the slider; the slider follows to show the share typed."""
        self._amount_from_slider = False
        self._show_typed_share(self.buying_power())

    def _show_typed_share(self, power: Decimal | None) -> None:
        """The slider and its label at the share of ``power`` the typed amount is; with no
        account to measure against, a dash: "0%" beside a typed $2,000 would be a lie."""
        amount = parse_typed_number(self.amount_edit.text())
        percent = percent_of_power(amount, power, self.unit, self._sizing_px())
        if percent is not None:
            self._set_percent_silently(percent)
        elif power is None:
            self._set_percent_silently(0)
            self.percent_label.setText("—")

    def _set_percent_silently(self, value: int) -> None:
        self.percent_slider.blockSignals(True)
        self.percent_slider.setValue(value)
        self.percent_slider.blockSignals(False)
        self.percent_label.setText(f"{value}%")

    def _update_room_texts(self) -> None:
        power = self.buying_power()
        self.percent_slider.setEnabled(power is not None and self._locked_reason is None)
        if not self._amount_from_slider:
            self._show_typed_share(power)
        if self._available is None:
            self.available_label.setText("")
            self.percent_slider.setToolTip(TIPS["locked_percent"])
            return
        self.available_label.setText(f"Available {format_usd(max(self._available, Decimal(0)))}")
        lev = self.leverage_slider.value()
        tip = room_tip(self._available, lev, power, self.kind, self.slippage_pct())
        self.percent_slider.setToolTip(tip)

    # ------------------------------------------------------------------ internals

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Enter sends; L / S pick the side (text fields keep those keys for typing)."""
        if self.handle_key(event):
            return
        super().keyPressEvent(event)

    def handle_key(self, event: QKeyEvent) -> bool:
        """The ticket's keyboard: also called by the page for keys pressed outside it."""
        key = event.key()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.submit()
        elif key == Qt.Key.Key_L and not event.modifiers():
            self.set_side(TicketSide.LONG)
        elif key == Qt.Key.Key_S and not event.modifiers():
            self.set_side(TicketSide.SHORT)
        else:
            return False
        return True

    def _side_changed(self) -> None:
        is_long = self.side is TicketSide.LONG
        set_flag(self.long_button, "kind", "long" if is_long else None)
        set_flag(self.short_button, "kind", None if is_long else "short")
        set_flag(self.action_button, "kind", "long" if is_long else "short")
        self.refresh()

    def _leverage_changed(self, value: int) -> None:
        self.leverage_label.setText(f"{value}x")
        self._reapply_percent()

    def _kind_changed(self, _index: int) -> None:
        self.limit_edit.setVisible(self.kind is OrderKind.LIMIT)
        if self.kind is OrderKind.LIMIT and not self.limit_edit.text() and self._reference_px:
            # Start from the current price (a valid tick): the user adjusts it.
            with contextlib.suppress(NumberError):
                px = round_price(self._reference_px, self._sz_decimals, direction="nearest")
                self.limit_edit.setText(format_size(px))
        self._reapply_percent()

    def _unit_changed(self, _index: int) -> None:
        """Convert what was typed, so switching units never changes the order's size."""
        amount = parse_typed_number(self.amount_edit.text())
        px = self._sizing_px()
        if amount is not None and amount > 0 and px is not None and px > 0:
            self.amount_edit.blockSignals(True)
            self.amount_edit.setText(converted_amount(amount, px, self.unit, self._sz_decimals))
            self.amount_edit.blockSignals(False)
        self.refresh()

    def _tpsl_toggled(self, on: bool) -> None:
        self.tpsl_panel.setVisible(on)
        if on:
            self.tp_edit.setFocus()
        self.refresh()

    def _show_errors(self, error: TicketError | None) -> None:
        by_field = {
            "amount": self.amount_error,
            "leverage": self.leverage_error,
            "margin_mode": self.leverage_error,
            "limit_px": self.limit_error,
            "take_profit": self.tp_error,
            "stop_loss": self.sl_error,
            "reduce_only": self.reduce_error,
        }
        target = None
        if error is not None:
            target = by_field.get(error.field or "", self.general_error)
            if target in (self.tp_error, self.sl_error) and not self.tpsl_box.isChecked():
                target = self.general_error
        for label in {*by_field.values(), self.general_error}:
            if label is target and error is not None:
                label.setText(error.message)
            label.setVisible(label is target and error is not None)
        for edit, fields in (
            (self.amount_edit, ("amount",)),
            (self.limit_edit, ("limit_px",)),
            (self.tp_edit, ("take_profit",)),
            (self.sl_edit, ("stop_loss",)),
        ):
            set_flag(edit, "error", error is not None and error.field in fields)

    def _show_plan(self, plan: OrderPlan) -> None:
        texts = estimate_texts(plan, account_known=self._locked_reason is None)
        for key, label in self.estimates.items():
            label.setText(texts[key])
        hint = tpsl_outcomes(plan) if self.tpsl_box.isChecked() else ""
        self.tpsl_hint.setText(hint)
        self.tpsl_hint.setVisible(bool(hint))
        if plan.warnings:
            self.warning_label.setText("\n".join(plan.warnings))
            self.warning_label.show()
        else:
            self.warning_label.hide()

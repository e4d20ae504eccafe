"""The order ticket: what the user wants, the live consequences, and one honest button.

Why it is built around a ``planner`` callback instead of the services: the ticket re-runs
:func:`~wallet_perps.core.tickets.validate_ticket` on every keystroke and every book update,
and that function is pure. The widget therefore only turns inputs into a
:class:`~wallet_perps.core.tickets.Ticket`, shows the resulting plan (or the reason it cannot
be sent, next to the field at fault) and emits the exact plan the user saw; whoever owns the
session decides how to send it. A refused ticket disables the button, so nothing can be sent
that the estimates did not describe.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation

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
    QVBoxLayout,
    QWidget,
)

from wallet_perps.core.models import LeverageType, Market
from wallet_perps.core.tickets import (
    AmountUnit,
    OrderKind,
    OrderPlan,
    Ticket,
    TicketError,
    TicketSide,
)
from wallet_perps.services.trader import OrderResult

__all__ = [
    "OrderTicket",
    "Planner",
    "format_funding_rate",
    "format_price",
    "format_usd",
]

Planner = Callable[[Ticket], OrderPlan | TicketError]

_HOURS_PER_YEAR = Decimal(24 * 365)


# ------------------------------------------------------------------------- number formatting


def format_usd(value: Decimal, places: int = 2) -> str:
    """Money for people: ``$1,234.50``, ``-$4.12``."""
    sign = "-" if value < 0 else ""
    return f"{sign}${abs(value):,.{places}f}"


def format_price(value: Decimal | None) -> str:
    """A venue price as it is quoted, with separators and no trailing zeros: ``$97,123.5``."""
    if value is None:
        return "—"
    sign = "-" if value < 0 else ""
    return f"{sign}${abs(value).normalize():,f}"


def format_size(value: Decimal) -> str:
    return f"{value.normalize():f}" if value else "0"


def format_funding_rate(rate: Decimal) -> str:
    """An hourly funding rate with its yearly equivalent: ``0.0125%/h (11.0% APR)``."""
    pct = rate * 100
    places = 4 if abs(pct) >= Decimal("0.01") or pct == 0 else 5
    return f"{pct:.{places}f}%/h ({rate * _HOURS_PER_YEAR * 100:.1f}% APR)"


def _repolish(widget: QWidget) -> None:
    """Re-apply the style sheet after a dynamic property changed."""
    style = widget.style()
    style.unpolish(widget)
    style.polish(widget)


# ------------------------------------------------------------------------------- the widget


class OrderTicket(QFrame):
    """Long/Short, amount, leverage, order type; live estimates; the action button.

    ``submitted(OrderPlan)`` fires on click or Enter with the plan currently shown.
    """

    submitted = Signal(object)

    ESTIMATES: tuple[tuple[str, str, str], ...] = (
        ("entry", "Est. entry", "Average price of the expected fills in the current book."),
        (
            "liquidation",
            "Liquidation price",
            "If the mark price reaches this, the venue closes the position and the margin "
            "behind it is lost. Estimated for the position after this order.",
        ),
        ("margin", "Margin required", "Collateral this order locks up: its value / leverage."),
        ("fee", "Fee", "Trading fee the venue charges for the expected fills."),
        (
            "funding",
            "Funding / hour",
            "Paid or received every hour at the current rate while the position is open. "
            "Negative means you pay.",
        ),
        (
            "slippage",
            "Max slippage",
            "A market order fills at most this far from the mid price, or not at all.",
        ),
    )

    def __init__(self, planner: Planner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setProperty("card", True)
        self._planner = planner
        self._coin = "BTC"
        self._market: Market | None = None
        self._plan: OrderPlan | TicketError | None = None
        self._busy = False

        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 16, 16, 16)
        layout.setSpacing(8)

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

        # Amount.
        layout.addWidget(self._caption("Amount"))
        amount_row = QHBoxLayout()
        self.amount_edit = QLineEdit()
        self.amount_edit.setPlaceholderText("0.00")
        self.amount_edit.textChanged.connect(lambda _t: self.refresh())
        self.amount_edit.returnPressed.connect(self.submit)
        self.unit_box = QComboBox()
        self.unit_box.addItem("USD", AmountUnit.USD)
        self.unit_box.addItem("BTC", AmountUnit.COIN)
        self.unit_box.currentIndexChanged.connect(lambda _i: self.refresh())
        amount_row.addWidget(self.amount_edit, 1)
        amount_row.addWidget(self.unit_box)
        layout.addLayout(amount_row)
        self.amount_error = self._error_label()
        layout.addWidget(self.amount_error)

        # Leverage and margin mode.
        lev_row = QHBoxLayout()
        lev_caption = self._caption("Leverage")
        lev_caption.setToolTip(
            "Leverage multiplies gains and losses; higher leverage puts the liquidation "
            "price closer to the entry."
        )
        lev_row.addWidget(lev_caption)
        lev_row.addStretch(1)
        self.leverage_label = QLabel("10x")
        self.leverage_label.setProperty("role", "title")
        lev_row.addWidget(self.leverage_label)
        self.margin_box = QComboBox()
        self.margin_box.addItem("Cross", LeverageType.CROSS)
        self.margin_box.addItem("Isolated", LeverageType.ISOLATED)
        self.margin_box.setToolTip(
            "Cross: the whole account backs the position. Isolated: only the margin put in "
            "this position can be lost."
        )
        self.margin_box.currentIndexChanged.connect(lambda _i: self.refresh())
        lev_row.addWidget(self.margin_box)
        layout.addLayout(lev_row)
        self.leverage_slider = QSlider(Qt.Orientation.Horizontal)
        self.leverage_slider.setRange(1, 50)
        self.leverage_slider.setValue(10)
        self.leverage_slider.valueChanged.connect(self._leverage_changed)
        layout.addWidget(self.leverage_slider)
        self.leverage_error = self._error_label()
        layout.addWidget(self.leverage_error)

        # Order type.
        kind_row = QHBoxLayout()
        self.kind_box = QComboBox()
        self.kind_box.addItem("Market", OrderKind.MARKET)
        self.kind_box.addItem("Limit", OrderKind.LIMIT)
        self.kind_box.currentIndexChanged.connect(self._kind_changed)
        self.limit_edit = QLineEdit()
        self.limit_edit.setPlaceholderText("Limit price")
        self.limit_edit.textChanged.connect(lambda _t: self.refresh())
        self.limit_edit.returnPressed.connect(self.submit)
        self.limit_edit.hide()
        kind_row.addWidget(self.kind_box)
        kind_row.addWidget(self.limit_edit, 1)
        layout.addLayout(kind_row)
        self.limit_error = self._error_label()
        layout.addWidget(self.limit_error)
        self.reduce_only = QCheckBox("Reduce only")
        self.reduce_only.setToolTip("Only shrink or close the current position, never grow it.")
        self.reduce_only.setStyleSheet("background: transparent;")
        self.reduce_only.toggled.connect(lambda _c: self.refresh())
        layout.addWidget(self.reduce_only)

        # Live estimates.
        grid = QGridLayout()
        grid.setHorizontalSpacing(12)
        grid.setVerticalSpacing(4)
        self.estimates: dict[str, QLabel] = {}
        for row, (key, caption, tip) in enumerate(self.ESTIMATES):
            name = self._caption(caption)
            name.setToolTip(tip)
            value = QLabel("—")
            value.setToolTip(tip)
            value.setAlignment(Qt.AlignmentFlag.AlignRight)
            grid.addWidget(name, row, 0)
            grid.addWidget(value, row, 1)
            self.estimates[key] = value
        layout.addLayout(grid)
        self.general_error = self._error_label()
        layout.addWidget(self.general_error)
        self.warning_label = QLabel()
        self.warning_label.setWordWrap(True)
        self.warning_label.setProperty("muted", True)
        self.warning_label.hide()
        layout.addWidget(self.warning_label)

        self.action_button = QPushButton("Enter an amount")
        self.action_button.setMinimumHeight(44)
        self.action_button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.action_button.clicked.connect(self.submit)
        layout.addWidget(self.action_button)
        self.result_label = QLabel()
        self.result_label.setWordWrap(True)
        self.result_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.result_label.hide()
        layout.addWidget(self.result_label)
        layout.addStretch(1)

        self._side_changed()

    # ------------------------------------------------------------------ building blocks

    @staticmethod
    def _caption(text: str) -> QLabel:
        label = QLabel(text)
        label.setProperty("muted", True)
        return label

    @staticmethod
    def _error_label() -> QLabel:
        label = QLabel()
        label.setObjectName("ErrorText")
        label.setWordWrap(True)
        label.hide()
        return label

    # ------------------------------------------------------------------ public API

    @property
    def coin(self) -> str:
        return self._coin

    @property
    def plan(self) -> OrderPlan | TicketError | None:
        """What the ticket currently says: the plan the button would send, or the reason not."""
        return self._plan

    def set_market(self, market: Market) -> None:
        """Switch to ``market``: the coin unit and the leverage range follow it."""
        self._coin = market.name
        self._market = market
        self.unit_box.setItemText(1, market.name)
        value = self.leverage_slider.value()
        self.leverage_slider.setRange(1, market.max_leverage)
        self.leverage_slider.setValue(min(value, market.max_leverage))
        self.result_label.hide()
        self.refresh()

    def set_side(self, side: TicketSide) -> None:
        (self.long_button if side is TicketSide.LONG else self.short_button).setChecked(True)
        self._side_changed()

    @property
    def side(self) -> TicketSide:
        return TicketSide.LONG if self.long_button.isChecked() else TicketSide.SHORT

    def ticket(self) -> Ticket | TicketError:
        """The inputs as a :class:`Ticket`, or why they are not one yet."""
        text = self.amount_edit.text().strip().replace(",", "").lstrip("$")
        if not text:
            return TicketError("Enter an amount.", "amount")
        try:
            amount = Decimal(text)
        except InvalidOperation:
            return TicketError("The amount must be a number.", "amount")
        if not amount.is_finite() or amount <= 0:
            return TicketError("The amount must be greater than zero.", "amount")
        # Qt hands enum item data back as plain strings: convert, or "is" checks fail.
        kind = OrderKind(self.kind_box.currentData())
        limit_px: Decimal | None = None
        if kind is OrderKind.LIMIT:
            px_text = self.limit_edit.text().strip().replace(",", "").lstrip("$")
            if not px_text:
                return TicketError("Enter a limit price.", "limit_px")
            try:
                limit_px = Decimal(px_text)
            except InvalidOperation:
                return TicketError("The limit price must be a number.", "limit_px")
        return Ticket(
            coin=self._coin,
            side=self.side,
            amount=amount,
            unit=AmountUnit(self.unit_box.currentData()),
            leverage=self.leverage_slider.value(),
            margin_mode=LeverageType(self.margin_box.currentData()),
            kind=kind,
            limit_px=limit_px,
            reduce_only=self.reduce_only.isChecked(),
        )

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
            self.action_button.setEnabled(not self._busy)
        else:
            for label in self.estimates.values():
                label.setText("—")
            self.warning_label.hide()
            self.action_button.setText("Enter an amount" if empty else "Can't place this order")
            self.action_button.setEnabled(False)
        if self._busy:
            self.action_button.setText("Sending…")

    def submit(self) -> None:
        """Emit the plan on screen, re-validated against the very latest data first."""
        if self._busy:
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
        text = result.message
        if not result.ok and result.venue_text and result.venue_text not in text:
            text = f"{text} Venue says: {result.venue_text}"
        self.result_label.setText(text)
        self.result_label.setProperty("role", "long" if result.ok else "short")
        _repolish(self.result_label)
        self.result_label.show()
        if result.ok:
            self.amount_edit.clear()
        self.refresh()

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
        self.long_button.setProperty("kind", "long" if is_long else None)
        self.short_button.setProperty("kind", None if is_long else "short")
        self.action_button.setProperty("kind", "long" if is_long else "short")
        for button in (self.long_button, self.short_button, self.action_button):
            _repolish(button)
        self.refresh()

    def _leverage_changed(self, value: int) -> None:
        self.leverage_label.setText(f"{value}x")
        self.refresh()

    def _kind_changed(self, _index: int) -> None:
        self.limit_edit.setVisible(OrderKind(self.kind_box.currentData()) is OrderKind.LIMIT)
        self.refresh()

    def _show_errors(self, error: TicketError | None) -> None:
        by_field = {
            "amount": self.amount_error,
            "leverage": self.leverage_error,
            "margin_mode": self.leverage_error,
            "limit_px": self.limit_error,
        }
        target = None
        if error is not None:
            target = by_field.get(error.field or "", self.general_error)
        for label in {*by_field.values(), self.general_error}:
            if label is target and error is not None:
                label.setText(error.message)
                label.show()
            else:
                label.hide()
        for edit, fields in ((self.amount_edit, ("amount",)), (self.limit_edit, ("limit_px",))):
            bad = error is not None and error.field in fields
            if bool(edit.property("error")) != bad:
                edit.setProperty("error", bad)
                _repolish(edit)

    def _show_plan(self, plan: OrderPlan) -> None:
        size = f"{format_size(plan.size)} {plan.coin}"
        self.estimates["entry"].setText(f"{format_price(_sig(plan.est_entry_px))}  ·  {size}")
        liq = plan.liquidation_px
        self.estimates["liquidation"].setText(
            format_price(_sig(liq)) if liq is not None and liq > 0 else "none (fully backed)"
        )
        self.estimates["margin"].setText(format_usd(plan.margin_required))
        self.estimates["fee"].setText(format_usd(plan.fee))
        funding = plan.funding_per_hour
        verb = "you pay" if funding < 0 else "you receive"
        self.estimates["funding"].setText(f"{format_usd(funding, 4)}/h ({verb})")
        slip = plan.max_slippage_pct
        # The worst price the market order accepts, as a distance from the mid.
        self.estimates["slippage"].setText(
            f"{slip:.2f}%" if slip is not None else "none (limit order)"
        )
        if plan.warnings:
            self.warning_label.setText("\n".join(plan.warnings))
            self.warning_label.show()
        else:
            self.warning_label.hide()


def _sig(value: Decimal) -> Decimal:
    """A computed price shown to 6 significant figures (what the venue quotes)."""
    if value == 0:
        return value
    digits = value.adjusted() + 1
    return value.quantize(Decimal(1).scaleb(digits - 6))

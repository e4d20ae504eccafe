"""The order ticket: what the user wants, the live consequences, and one honest button.

Why it is built around a ``planner`` callback instead of the services: the ticket re-runs
:func:`~wallet_perps.core.tickets.validate_ticket` on every keystroke and every book update,
and that function is pure. The widget therefore only turns inputs into a
:class:`~wallet_perps.core.tickets.Ticket`, shows the resulting plan (or the reason it cannot
be sent, next to the field at fault) and emits the exact plan the user saw; whoever owns the
session decides how to send it (directly, or after a confirmation sheet that repeats the same
numbers through :func:`estimate_texts`). A refused ticket disables the button, so nothing can
be sent that the estimates did not describe.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Collection, Mapping
from decimal import ROUND_DOWN, Decimal

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent, QPalette
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
from wallet_perps.core.typed_numbers import TYPED_NUMBER_HINT, parse_typed_number
from wallet_perps.services.trader import OrderResult, OrderState
from wallet_perps.ui.theme import DARK, LIGHT

__all__ = [
    "ESTIMATES",
    "OrderTicket",
    "Planner",
    "estimate_texts",
    "format_compact_usd",
    "format_funding_rate",
    "format_price",
    "format_size",
    "format_usd",
    "significant",
    "theme_colours",
]

Planner = Callable[[Ticket], OrderPlan | TicketError]

_HOURS_PER_YEAR = Decimal(24 * 365)
_CENT = Decimal("0.01")
_HUNDRED = Decimal(100)


# ------------------------------------------------------------------------- number formatting


def format_usd(value: Decimal, places: int = 2) -> str:
    """Money for people: ``$1,234.50``, ``-$4.12``."""
    sign = "-" if value < 0 else ""
    return f"{sign}${abs(value):,.{places}f}"


def format_compact_usd(value: Decimal) -> str:
    """Large dollar amounts for headers and lists: ``$1.23B``, ``$45.60M``, ``$789.00K``."""
    for factor, suffix in ((Decimal(10) ** 9, "B"), (Decimal(10) ** 6, "M"), (Decimal(1000), "K")):
        if abs(value) >= factor:
            return f"{format_usd(value / factor, 2)}{suffix}"
    return format_usd(value)


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


def theme_colours(widget: QWidget) -> Mapping[str, str]:
    """The palette (``theme.DARK`` or ``theme.LIGHT``) ``widget`` is drawn with.

    Painted items (chart candles, table cells) cannot use QSS properties; judging the theme
    from the window colour the style sheet gave the widget keeps them matching either theme.
    """
    light = widget.palette().color(QPalette.ColorRole.Window).lightness() >= 128
    return LIGHT if light else DARK


def _repolish(widget: QWidget) -> None:
    """Re-apply the style sheet after a dynamic property changed."""
    style = widget.style()
    style.unpolish(widget)
    style.polish(widget)


def significant(value: Decimal, digits: int = 6) -> Decimal:
    """A computed price (an average entry, a liquidation price) to ``digits`` significant
    figures: the venue quotes 5, so 6 keeps every digit that means something."""
    if value == 0:
        return value
    return value.quantize(Decimal(1).scaleb(value.adjusted() + 1 - digits))


def _parse_number(text: str) -> Decimal | None:
    """What a person typed as a number ("$1,234.5" included), or None if it is not one."""
    return parse_typed_number(text)


# ---------------------------------------------------------------------- the estimates, in words

#: (key, caption, plain-words tooltip) for every live estimate under the ticket; the
#: confirmation sheet shows the same rows with the same texts.
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
        "A market order fills at most this far from the mid price (the worst price in "
        "brackets), or not at all.",
    ),
)


def estimate_texts(plan: OrderPlan, *, account_known: bool = True) -> dict[str, str]:
    """The text of every :data:`ESTIMATES` row for ``plan``.

    One function for the ticket and the confirmation sheet, so the numbers a user confirms
    are character for character the numbers they were shown.
    """
    size = f"{format_size(plan.size)} {plan.coin}"
    liq = plan.liquidation_px
    if not account_known:
        liquidation = "— (unlock your wallet)"
    elif liq is not None and liq > 0:
        liquidation = format_price(significant(liq))
    else:
        liquidation = "none (fully backed)"
    funding = plan.funding_per_hour
    verb = "you pay" if funding < 0 else "you receive"
    slip = plan.max_slippage_pct
    return {
        "entry": f"{format_price(significant(plan.est_entry_px))}  ·  {size}",
        "liquidation": liquidation,
        "margin": format_usd(plan.margin_required),
        "fee": format_usd(plan.fee),
        "funding": f"{format_usd(funding, 4)}/h ({verb})",
        "slippage": (
            f"{slip:.2f}% (worst {format_price(plan.price)})"
            if slip is not None
            else "none (limit order)"
        ),
    }


def tpsl_outcomes(plan: OrderPlan) -> str:
    """What hitting the take-profit or stop-loss would make or lose, for a hint line."""
    parts: list[str] = []
    sign = 1 if plan.is_buy else -1
    for name, leg in (("take-profit", plan.take_profit), ("stop-loss", plan.stop_loss)):
        if leg is not None:
            pnl = (leg.trigger_px - plan.est_entry_px) * plan.size * sign
            text = format_usd(pnl)
            parts.append(f"at {name} {'+' if pnl >= 0 else ''}{text}")
    if not parts:
        return ""
    return "If triggered (before fees):\n" + " · ".join(parts)


# ------------------------------------------------------------------------------- the widget


class OrderTicket(QFrame):
    """Long/Short, amount (with a % of available slider), leverage, order type, TP/SL,
    reduce-only; live estimates; the action button.

    ``submitted(OrderPlan)`` fires on click or Enter with the plan currently shown.
    """

    submitted = Signal(object)

    ESTIMATES = ESTIMATES

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

        # Amount, with what is available beside the caption.
        amount_head = QHBoxLayout()
        amount_head.addWidget(self._caption("Amount"))
        amount_head.addStretch(1)
        self.available_label = self._caption("")
        self.available_label.setToolTip(
            "Available to trade: account value minus the margin your positions and open "
            "orders already use. Leverage multiplies what it can open."
        )
        amount_head.addWidget(self.available_label)
        layout.addLayout(amount_head)
        amount_row = QHBoxLayout()
        self.amount_edit = QLineEdit()
        self.amount_edit.setPlaceholderText("0.00")
        self.amount_edit.textChanged.connect(lambda _t: self.refresh())
        self.amount_edit.textEdited.connect(self._amount_edited)
        self.amount_edit.returnPressed.connect(self.submit)
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
        self.percent_label = QLabel("0%")
        self.percent_label.setProperty("muted", True)
        self.percent_label.setMinimumWidth(40)
        self.percent_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        percent_row.addWidget(self.percent_slider, 1)
        percent_row.addWidget(self.percent_label)
        layout.addLayout(percent_row)
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
        self.leverage_label.setToolTip(lev_caption.toolTip())
        lev_row.addWidget(self.leverage_label)
        self.margin_box = QComboBox()
        self.margin_box.addItem("Cross", LeverageType.CROSS)
        self.margin_box.addItem("Isolated", LeverageType.ISOLATED)
        self.margin_box.setToolTip(
            "Cross: the whole account backs the position. Isolated: only the margin put in "
            "this position can be lost."
        )
        self.margin_box.currentIndexChanged.connect(lambda _i: self._reapply_percent())
        lev_row.addWidget(self.margin_box)
        layout.addLayout(lev_row)
        self.leverage_slider = QSlider(Qt.Orientation.Horizontal)
        self.leverage_slider.setRange(1, 50)
        self.leverage_slider.setValue(10)
        self.leverage_slider.setToolTip(lev_caption.toolTip())
        self.leverage_slider.valueChanged.connect(self._leverage_changed)
        layout.addWidget(self.leverage_slider)
        self.leverage_error = self._error_label()
        layout.addWidget(self.leverage_error)

        # Order type.
        kind_row = QHBoxLayout()
        self.kind_box = QComboBox()
        self.kind_box.addItem("Market", OrderKind.MARKET)
        self.kind_box.addItem("Limit", OrderKind.LIMIT)
        self.kind_box.setToolTip(
            "Market: fill now at the best prices in the book. Limit: rest in the book and "
            "fill only at your price or better."
        )
        self.kind_box.currentIndexChanged.connect(self._kind_changed)
        self.limit_edit = QLineEdit()
        self.limit_edit.setPlaceholderText("Limit price")
        self.limit_edit.textChanged.connect(lambda _t: self.refresh())
        self.limit_edit.textEdited.connect(lambda _t: self._reapply_percent())
        self.limit_edit.returnPressed.connect(self.submit)
        self.limit_edit.hide()
        kind_row.addWidget(self.kind_box)
        kind_row.addWidget(self.limit_edit, 1)
        layout.addLayout(kind_row)
        self.limit_error = self._error_label()
        layout.addWidget(self.limit_error)

        # Optional take-profit and stop-loss.
        self.tpsl_box = QCheckBox("Take-profit / stop-loss")
        self.tpsl_box.setToolTip(
            "Attach exit orders that trigger on the mark price: take-profit closes the "
            "position at a gain, stop-loss limits the loss. They are sent with the order."
        )
        self.tpsl_box.toggled.connect(self._tpsl_toggled)
        layout.addWidget(self.tpsl_box)
        self.tpsl_panel = QWidget()
        tpsl = QGridLayout(self.tpsl_panel)
        tpsl.setContentsMargins(0, 0, 0, 0)
        tpsl.setHorizontalSpacing(8)
        tpsl.setVerticalSpacing(2)
        self.tp_edit = QLineEdit()
        self.tp_edit.setPlaceholderText("Take-profit price")
        self.tp_edit.setToolTip(
            "When the mark price reaches this, a market order closes the position at a gain "
            "(above the entry for a long, below for a short)."
        )
        self.sl_edit = QLineEdit()
        self.sl_edit.setPlaceholderText("Stop-loss price")
        self.sl_edit.setToolTip(
            "When the mark price reaches this, a market order closes the position to cap the "
            "loss (below the entry for a long, above for a short). Keep it before the "
            "liquidation price."
        )
        for edit in (self.tp_edit, self.sl_edit):
            edit.textChanged.connect(lambda _t: self.refresh())
            edit.returnPressed.connect(self.submit)
        tpsl.addWidget(self.tp_edit, 0, 0)
        tpsl.addWidget(self.sl_edit, 0, 1)
        self.tp_error = self._error_label()
        self.sl_error = self._error_label()
        tpsl.addWidget(self.tp_error, 1, 0, 1, 2)
        tpsl.addWidget(self.sl_error, 2, 0, 1, 2)
        self.tpsl_hint = QLabel()
        self.tpsl_hint.setProperty("muted", True)
        self.tpsl_hint.setWordWrap(True)
        tpsl.addWidget(self.tpsl_hint, 3, 0, 1, 2)
        self.tpsl_panel.hide()
        layout.addWidget(self.tpsl_panel)

        self.reduce_only = QCheckBox("Reduce only")
        self.reduce_only.setToolTip("Only shrink or close the current position, never grow it.")
        self.reduce_only.toggled.connect(lambda _c: self.refresh())
        layout.addWidget(self.reduce_only)
        self.reduce_error = self._error_label()
        layout.addWidget(self.reduce_error)

        # Live estimates.
        grid = QGridLayout()
        grid.setHorizontalSpacing(12)
        grid.setVerticalSpacing(4)
        self.estimates: dict[str, QLabel] = {}
        for row, (key, caption, tip) in enumerate(ESTIMATES):
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
        text = self.amount_edit.text().strip()
        if not text:
            return TicketError("Enter an amount.", "amount")
        amount = _parse_number(text)
        if amount is None:
            return TicketError(f"The amount is not a number. {TYPED_NUMBER_HINT}", "amount")
        if amount <= 0:
            return TicketError("The amount must be greater than zero.", "amount")
        kind = self.kind
        limit_px: Decimal | None = None
        if kind is OrderKind.LIMIT:
            px_text = self.limit_edit.text().strip()
            if not px_text:
                return TicketError("Enter a limit price.", "limit_px")
            limit_px = _parse_number(px_text)
            if limit_px is None:
                return TicketError(
                    f"The limit price is not a number. {TYPED_NUMBER_HINT}", "limit_px"
                )
        take_profit: Decimal | None = None
        stop_loss: Decimal | None = None
        if self.tpsl_box.isChecked():
            for edit, name, field in (
                (self.tp_edit, "take-profit", "take_profit"),
                (self.sl_edit, "stop-loss", "stop_loss"),
            ):
                if not edit.text().strip():
                    continue
                value = _parse_number(edit.text())
                if value is None:
                    return TicketError(
                        f"The {name} price is not a number. {TYPED_NUMBER_HINT}", field
                    )
                if field == "take_profit":
                    take_profit = value
                else:
                    stop_loss = value
        return Ticket(
            coin=self._coin,
            side=self.side,
            amount=amount,
            unit=self.unit,
            leverage=self.leverage_slider.value(),
            margin_mode=LeverageType(self.margin_box.currentData()),
            kind=kind,
            limit_px=limit_px,
            slippage_pct=self.slippage_pct(),
            take_profit_px=take_profit,
            stop_loss_px=stop_loss,
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
        self.result_label.setProperty("role", "long" if result.ok else "short")
        _repolish(self.result_label)
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
        """The largest order value (USD) the margin check accepts at the current settings.

        Available × leverage; a market order is divided by its slippage factor because the
        venue checks margin at the worst price the order accepts, not at the mid.
        """
        if self._available is None or self._available <= 0:
            return None
        power = self._available * self.leverage_slider.value()
        if self.kind is OrderKind.MARKET:
            power /= 1 + self.slippage_pct() / _HUNDRED
        return power

    def _sizing_px(self) -> Decimal | None:
        """The price a USD amount is converted to coins at (as validate_ticket does)."""
        if self.kind is OrderKind.LIMIT:
            px = _parse_number(self.limit_edit.text())
            if px is not None and px > 0:
                return px
        return self._reference_px

    def _percent_moved(self, value: int) -> None:
        self.percent_label.setText(f"{value}%")
        self._amount_from_slider = True
        self._apply_percent(value)

    def _apply_percent(self, value: int) -> None:
        power = self.buying_power()
        if power is None:
            return
        usd = power * value / _HUNDRED
        text = ""
        if value > 0:
            px = self._sizing_px()
            sz_decimals = self._market.sz_decimals if self._market is not None else 0
            lot = Decimal(1).scaleb(-sz_decimals)
            if px is not None and px > 0:
                size = (usd / px).quantize(lot, rounding=ROUND_DOWN)
                if self.unit is AmountUnit.COIN:
                    text = format_size(size) if size > 0 else ""
                else:
                    # Whole lots only, so the size it converts back to never exceeds the room.
                    dollars = (size * px).quantize(_CENT, rounding=ROUND_DOWN)
                    text = f"{dollars:f}" if size > 0 else ""
            elif self.unit is AmountUnit.USD:
                text = f"{usd.quantize(_CENT, rounding=ROUND_DOWN):f}"
        self.amount_edit.setText(text)

    def _reapply_percent(self) -> None:
        """Leverage, margin mode or order type changed: keep the chosen % if the slider set it."""
        self._update_room_texts()
        if self._amount_from_slider and self.percent_slider.value() > 0:
            self._apply_percent(self.percent_slider.value())
        self.refresh()

    def _amount_edited(self, text: str) -> None:
        """Typing takes over from the slider; the slider follows to show the share typed."""
        self._amount_from_slider = False
        power = self.buying_power()
        amount = _parse_number(text)
        if power is None or amount is None or amount <= 0:
            self._set_percent_silently(0)
            return
        usd = amount
        if self.unit is AmountUnit.COIN:
            px = self._sizing_px()
            if px is None:
                return
            usd = amount * px
        self._set_percent_silently(int(min(_HUNDRED, usd / power * _HUNDRED)))

    def _set_percent_silently(self, value: int) -> None:
        self.percent_slider.blockSignals(True)
        self.percent_slider.setValue(value)
        self.percent_slider.blockSignals(False)
        self.percent_label.setText(f"{value}%")

    def _update_room_texts(self) -> None:
        power = self.buying_power()
        enabled = power is not None and self._locked_reason is None
        self.percent_slider.setEnabled(enabled)
        if self._available is None:
            self.available_label.setText("")
            self.percent_slider.setToolTip(
                "Sets the amount as a share of what you can open; unlock your wallet to use it."
            )
            return
        self.available_label.setText(f"Available {format_usd(max(self._available, Decimal(0)))}")
        lev = self.leverage_slider.value()
        tip = (
            "Sets the amount as a share of what you can open: available to trade "
            f"({format_usd(max(self._available, Decimal(0)))}) × leverage ({lev}x)"
        )
        if power is not None:
            tip += f" = {format_usd(power)} at 100%"
        if self.kind is OrderKind.MARKET:
            tip += (
                f". Market orders keep room for the {self.slippage_pct():f}% slippage bound, "
                "because the venue checks margin at the worst price the order accepts"
            )
        self.percent_slider.setToolTip(tip + ".")

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
        self._reapply_percent()

    def _kind_changed(self, _index: int) -> None:
        self.limit_edit.setVisible(self.kind is OrderKind.LIMIT)
        if self.kind is OrderKind.LIMIT and not self.limit_edit.text() and self._reference_px:
            # Start from the current price (a valid tick): the user adjusts it.
            sz_decimals = self._market.sz_decimals if self._market is not None else 0
            with contextlib.suppress(NumberError):
                px = round_price(self._reference_px, sz_decimals, direction="nearest")
                self.limit_edit.setText(format_size(px))
        self._reapply_percent()

    def _unit_changed(self, _index: int) -> None:
        """Convert what was typed, so switching units never changes the order's size."""
        amount = _parse_number(self.amount_edit.text())
        px = self._sizing_px()
        if amount is not None and amount > 0 and px is not None and px > 0:
            self.amount_edit.blockSignals(True)
            if self.unit is AmountUnit.COIN:
                sz_decimals = self._market.sz_decimals if self._market is not None else 0
                size = (amount / px).quantize(Decimal(1).scaleb(-sz_decimals), ROUND_DOWN)
                self.amount_edit.setText(format_size(size))
            else:
                self.amount_edit.setText(f"{(amount * px).quantize(_CENT, ROUND_DOWN):f}")
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
                label.show()
            else:
                label.hide()
        for edit, fields in (
            (self.amount_edit, ("amount",)),
            (self.limit_edit, ("limit_px",)),
            (self.tp_edit, ("take_profit",)),
            (self.sl_edit, ("stop_loss",)),
        ):
            bad = error is not None and error.field in fields
            if bool(edit.property("error")) != bad:
                edit.setProperty("error", bad)
                _repolish(edit)

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

"""Small dialogs for the position actions: close part, TP/SL, isolated margin.

Why they validate before anything is sent: a refused action costs a round trip and leaves
the user reading the venue's terse words, while most mistakes (a stop-loss on the wrong side
of the price, 0%, more margin out than is in) can be explained next to the field that caused
them. The venue still has the last word; these checks only catch what is certain.

Each dialog is opened with ``open()`` (window-modal, non-blocking), never ``exec()``: a
nested event loop would stall the asyncio tasks that share the Qt loop. The page reads the
result (``fraction``, ``take_profit``/``stop_loss``, ``delta``) in the ``accepted`` slot.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal
from typing import Final

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from wallet_perps.core.display import (
    format_plain,
    format_price,
    format_size,
    format_usd,
    significant,
)
from wallet_perps.core.risk import TierSchedule
from wallet_perps.core.ticket_validation import far_from_mark
from wallet_perps.core.typed_numbers import parse_typed_number
from wallet_perps.ui.kit import caption, error_text, footer_buttons, set_flag, title, vbox
from wallet_perps.ui.view_models import PositionView

__all__ = ["ClosePartDialog", "MarginDialog", "TpslDialog", "parse_decimal"]

_HUNDRED: Final = Decimal(100)
_USD_QUANTUM: Final = Decimal("0.000001")


def parse_decimal(text: str) -> Decimal | None:
    """What a person typed as a number (``1,234.5``, ``$90000``, ``25%``), or None if it is
    not one (``1e3``, ``NaN``... are refused: :mod:`wallet_perps.core.typed_numbers`)."""
    return parse_typed_number(text, percent=True)


class _Dialog(QDialog):
    """Shared frame: title, body, a red error line, Cancel and a primary button."""

    def __init__(self, heading: str, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setWindowTitle(heading)
        self.setModal(True)
        self.setMinimumWidth(380)
        self.body = vbox(self, margins=(20, 18, 20, 18), spacing=10)
        self.body.addWidget(title(heading))
        self.error_label = error_text()
        # Built now (each dialog names its button), laid out last by _finish_layout.
        self._footer = QVBoxLayout()
        self.cancel_button, self.ok_button = footer_buttons(
            self._footer, ("Cancel", self.reject), ("OK", self._confirm)
        )

    def _finish_layout(self) -> None:
        self.body.addWidget(self.error_label)
        self.body.addLayout(self._footer)

    def _show_error(self, text: str | None, edit: QLineEdit | None = None) -> None:
        self.error_label.setText(text or "")
        self.error_label.setVisible(bool(text))
        if edit is not None:
            set_flag(edit, "error", bool(text))
        self.ok_button.setEnabled(not text)

    def _confirm(self) -> None:
        if self.validate() is None:
            self.accept()

    def validate(self) -> str | None:
        """The reason the dialog cannot be confirmed, shown inline; None when it can."""
        raise NotImplementedError


# ---------------------------------------------------------------------------- close part


class ClosePartDialog(_Dialog):
    """Pick a part of the position to close at market: 25/50/75% or a typed percentage."""

    PRESETS: Final = (25, 50, 75)

    def __init__(self, view: PositionView, sz_decimals: int, parent: QWidget | None = None):
        super().__init__(f"Close part of {view.coin}", parent)
        self._view = view
        self._sz_decimals = sz_decimals
        side = "long" if view.is_long else "short"
        self.body.addWidget(
            caption(
                f"Your {side} is {format_size(view.size)} {view.coin} "
                f"({format_usd(view.value)}). The part closes now at the market price.",
                wrap=True,
            )
        )
        row = QHBoxLayout()
        self.preset_buttons: dict[int, QPushButton] = {}
        self._group = QButtonGroup(self)
        for pct in self.PRESETS:
            button = QPushButton(f"{pct}%")
            button.setCheckable(True)
            button.clicked.connect(lambda _=False, p=pct: self._preset(p))
            self._group.addButton(button)
            self.preset_buttons[pct] = button
            row.addWidget(button)
        self.pct_edit = QLineEdit()
        self.pct_edit.setPlaceholderText("Other %")
        self.pct_edit.setToolTip("Any percentage from 0.01 to 100.")
        self.pct_edit.textEdited.connect(self._typed)
        self.pct_edit.returnPressed.connect(self._confirm)
        row.addWidget(self.pct_edit, 1)
        self.body.addLayout(row)
        self.preview_label = QLabel("")
        self.preview_label.setWordWrap(True)
        self.body.addWidget(self.preview_label)
        self._finish_layout()
        self._preset(50)

    @property
    def percent(self) -> Decimal | None:
        return parse_decimal(self.pct_edit.text())

    @property
    def fraction(self) -> Decimal | None:
        """The part to close as a fraction of the position (0.5 for 50%), if valid."""
        pct = self.percent
        if pct is None or self.validate() is not None:
            return None
        return pct / _HUNDRED

    def _preset(self, pct: int) -> None:
        self.preset_buttons[pct].setChecked(True)
        self.pct_edit.setText(str(pct))
        self.validate()

    def _typed(self, _text: str) -> None:
        # A typed value unchecks the presets unless it equals one of them.
        pct = self.percent
        self._group.setExclusive(False)
        for value, button in self.preset_buttons.items():
            button.setChecked(pct == value)
        self._group.setExclusive(True)
        self.validate()

    def close_size(self) -> Decimal | None:
        """The size that will be sent: the part, rounded down to the market's lot size."""
        pct = self.percent
        if pct is None or not 0 < pct <= _HUNDRED:
            return None
        if pct == _HUNDRED:
            return self._view.size
        lot = Decimal(1).scaleb(-self._sz_decimals)
        return (self._view.size * pct / _HUNDRED).quantize(lot, rounding=ROUND_DOWN)

    def validate(self) -> str | None:
        pct = self.percent
        error: str | None = None
        if pct is None:
            error = "Type a percentage, for example 50."
        elif not 0 < pct <= _HUNDRED:
            error = "Choose a part between 0 and 100%."
        else:
            size = self.close_size()
            if size is None or size <= 0:
                smallest = format_size(Decimal(1).scaleb(-self._sz_decimals))
                error = (
                    f"That part is smaller than the smallest {self._view.coin} size "
                    f"({smallest}). Choose a larger part."
                )
        if error is None:
            size = self.close_size()
            assert size is not None and pct is not None
            self.preview_label.setText(
                f"Closes {format_size(size)} {self._view.coin} "
                f"(≈ {format_usd(size * self._view.mark)}); "
                f"{format_size(self._view.size - size)} {self._view.coin} stays open."
            )
            self.ok_button.setText(f"Close {format_plain(pct)}%")
        else:
            self.preview_label.setText("")
            self.ok_button.setText("Close part")
        self._show_error(error, self.pct_edit)
        return error


# ------------------------------------------------------------------------------- TP / SL


class TpslDialog(_Dialog):
    """Take-profit and stop-loss prices for the whole position, checked against the mark."""

    def __init__(self, view: PositionView, parent: QWidget | None = None):
        super().__init__(f"TP/SL for {view.coin}", parent)
        self._view = view
        self.ok_button.setText("Set TP/SL")
        long = view.is_long
        side = "long" if long else "short"
        self.body.addWidget(
            caption(
                f"When the mark price reaches a level, your {side} closes at market. "
                "Leave a box empty to skip it; setting one replaces the previous one.",
                wrap=True,
            )
        )
        grid = QGridLayout()
        grid.setHorizontalSpacing(10)
        facts = (
            ("Entry", format_price(view.entry)),
            ("Mark now", format_price(view.mark)),
            (
                "Liquidation",
                format_price(significant(view.liquidation)) if view.liquidation else "none",
            ),
        )
        for row, (name, value) in enumerate(facts):
            grid.addWidget(caption(name, wrap=True), row, 0)
            label = QLabel(value)
            label.setProperty("num", True)
            grid.addWidget(label, row, 1)
        self.tp_edit = QLineEdit()
        self.tp_edit.setPlaceholderText("above the mark" if long else "below the mark")
        self.tp_edit.setToolTip(
            "Take-profit: close with a gain when the mark reaches this price "
            f"({'above' if long else 'below'} the current mark for a {side})."
        )
        self.sl_edit = QLineEdit()
        self.sl_edit.setPlaceholderText("below the mark" if long else "above the mark")
        self.sl_edit.setToolTip(
            "Stop-loss: limit the loss by closing when the mark reaches this price "
            f"({'below' if long else 'above'} the current mark for a {side}, and before "
            "the liquidation price)."
        )
        grid.addWidget(caption("Take-profit price", wrap=True), 3, 0)
        grid.addWidget(self.tp_edit, 3, 1)
        self.tp_result = caption(wrap=True)
        grid.addWidget(self.tp_result, 4, 1)
        grid.addWidget(caption("Stop-loss price", wrap=True), 5, 0)
        grid.addWidget(self.sl_edit, 5, 1)
        self.sl_result = caption(wrap=True)
        grid.addWidget(self.sl_result, 6, 1)
        self.body.addLayout(grid)
        for edit in (self.tp_edit, self.sl_edit):
            edit.textEdited.connect(lambda _t: self.validate())
            edit.returnPressed.connect(self._confirm)
        self._finish_layout()
        self.validate()

    @property
    def take_profit(self) -> Decimal | None:
        return parse_decimal(self.tp_edit.text())

    @property
    def stop_loss(self) -> Decimal | None:
        return parse_decimal(self.sl_edit.text())

    def _outcome(self, price: Decimal) -> str:
        """What closing at ``price`` would gain or lose, before fees."""
        if self._view.entry is None:
            return ""
        pnl = self._view.szi * (price - self._view.entry)
        word = "gain" if pnl >= 0 else "loss"
        return f"≈ {format_usd(abs(pnl))} {word} at that price, before fees"

    def _check(self, kind: str, text: str, price: Decimal | None) -> str | None:
        view = self._view
        name = "Take-profit" if kind == "tp" else "Stop-loss"
        if not text.strip():
            return None
        if price is None or price <= 0:
            return f"{name}: type a price, for example {format_price(view.mark)}."
        above = (kind == "tp") == view.is_long
        if above and price <= view.mark:
            return f"{name} must be above the mark price {format_price(view.mark)}."
        if not above and price >= view.mark:
            return f"{name} must be below the mark price {format_price(view.mark)}."
        liq = view.liquidation
        if kind == "sl" and liq is not None:
            beyond = price <= liq if view.is_long else price >= liq
            if beyond:
                shown = format_price(significant(liq))
                return (
                    f"Stop-loss at {format_price(price)} is past the liquidation price "
                    f"{shown}: the position would be liquidated first. Choose "
                    f"a price between {shown} and {format_price(view.mark)}."
                )
        return None

    def far_notes(self) -> list[str]:
        """Triggers so far from the mark that they look like typos (asked about before sending)."""
        notes = [
            far_from_mark(name, price, self._view.mark)
            for name, price in (("Take-profit", self.take_profit), ("Stop-loss", self.stop_loss))
        ]
        return [note for note in notes if note is not None]

    def validate(self) -> str | None:
        tp_text, sl_text = self.tp_edit.text(), self.sl_edit.text()
        tp, sl = self.take_profit, self.stop_loss
        tp_error = self._check("tp", tp_text, tp)
        sl_error = self._check("sl", sl_text, sl)
        self.tp_result.setText(self._outcome(tp) if tp and not tp_error else "")
        self.sl_result.setText(self._outcome(sl) if sl and not sl_error else "")
        set_flag(self.tp_edit, "error", tp_error is not None)
        set_flag(self.sl_edit, "error", sl_error is not None)
        error = tp_error or sl_error
        if error is None and not tp_text.strip() and not sl_text.strip():
            self.error_label.hide()
            self.ok_button.setEnabled(False)
            return "Enter a take-profit or a stop-loss price."
        self._show_error(error)
        return error


# ------------------------------------------------------------------------ isolated margin


class MarginDialog(_Dialog):
    """Add margin to an isolated position (liquidation moves away) or take some out."""

    def __init__(self, view: PositionView, parent: QWidget | None = None):
        super().__init__(f"Margin of {view.coin} (isolated)", parent)
        self._view = view
        self.body.addWidget(
            caption(
                "Only this margin can be lost on an isolated position. Adding margin moves the "
                "liquidation price away; removing it moves it closer.",
                wrap=True,
            )
        )
        row = QHBoxLayout()
        self._group = QButtonGroup(self)
        self.add_button = QPushButton("Add")
        self.remove_button = QPushButton("Remove")
        for button in (self.add_button, self.remove_button):
            button.setCheckable(True)
            self._group.addButton(button)
            button.clicked.connect(lambda _=False: self.validate())
            row.addWidget(button)
        self.add_button.setChecked(True)
        self.amount_edit = QLineEdit()
        self.amount_edit.setPlaceholderText("Amount in USD")
        self.amount_edit.textEdited.connect(lambda _t: self.validate())
        self.amount_edit.returnPressed.connect(self._confirm)
        row.addWidget(self.amount_edit, 1)
        self.body.addLayout(row)
        grid = QGridLayout()
        grid.addWidget(caption("Margin now", wrap=True), 0, 0)
        self.margin_label = QLabel(format_usd(view.margin))
        grid.addWidget(self.margin_label, 0, 1)
        grid.addWidget(caption("Liquidation now", wrap=True), 1, 0)
        # 6 significant figures as on the position card (the venue's value has up to 8 decimals).
        self.liq_label = QLabel(
            format_price(significant(view.liquidation)) if view.liquidation else "none"
        )
        grid.addWidget(self.liq_label, 1, 1)
        liq_caption = caption("Liquidation after", wrap=True)
        liq_caption.setToolTip(
            "Estimated with the position's first margin tier; the venue's figure appears on "
            "the position once the change is made."
        )
        grid.addWidget(liq_caption, 2, 0)
        self.new_liq_label = QLabel("—")
        grid.addWidget(self.new_liq_label, 2, 1)
        grid.setColumnStretch(1, 1)
        for label in (self.margin_label, self.liq_label, self.new_liq_label):
            label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.body.addLayout(grid)
        self._finish_layout()
        self.validate()

    @property
    def adding(self) -> bool:
        return self.add_button.isChecked()

    @property
    def delta(self) -> Decimal | None:
        """The signed change (+ add, - remove) if the input is valid."""
        amount = parse_decimal(self.amount_edit.text())
        if amount is None or self.validate() is not None:
            return None
        return amount if self.adding else -amount

    def estimated_liquidation(self, delta: Decimal) -> Decimal | None:
        """Where the liquidation price would be after ``delta`` (core.risk, first tier)."""
        view = self._view
        if view.isolated_raw_usd is None:
            return None
        tiers = TierSchedule.single(view.max_leverage or max(view.leverage, 1))
        return tiers.solve_liquidation(view.szi, view.isolated_raw_usd + delta)

    def validate(self) -> str | None:
        text = self.amount_edit.text()
        amount = parse_decimal(text)
        self.ok_button.setText("Add margin" if self.adding else "Remove margin")
        error: str | None = None
        if not text.strip():
            self.new_liq_label.setText("—")
            self.error_label.hide()
            self.ok_button.setEnabled(False)
            return "Enter an amount in USD."
        if amount is None or amount <= 0:
            error = "Type an amount in USD, for example 10."
        elif amount != amount.quantize(_USD_QUANTUM, rounding=ROUND_DOWN):
            error = "USD amounts have at most 6 decimals."
        elif not self.adding and amount >= self._view.margin:
            error = (
                f"You can remove less than the margin in the position "
                f"({format_usd(self._view.margin)}); to take it all out, close the position."
            )
        if error is None and amount is not None:
            liq = self.estimated_liquidation(amount if self.adding else -amount)
            self.new_liq_label.setText(f"≈ {format_price(significant(liq))}" if liq else "none")
        else:
            self.new_liq_label.setText("—")
        self._show_error(error, self.amount_edit)
        return error

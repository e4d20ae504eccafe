"""How close a position is to liquidation: a small gauge, and a what-if panel.

Why a gauge and not just a number: "8.7% away" means little until it is compared with how
far prices move; a bar that turns amber and then red as the mark walks toward the
liquidation price is read without thinking (UX.md "Liquidation price, everywhere it
matters"). The distance itself is computed by the caller (exact Decimal, from the venue's
``liquidationPx`` and the live mark) and classified by the view models' ``liq_level``; this
widget only paints it, so the number on screen and the colour can never disagree.

The what-if panel answers the next question, "and if the price goes there?", with the same
arithmetic the venue uses (:func:`~wallet_perps.ui.view_models.what_if`, on
:mod:`wallet_perps.core.risk`).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Final

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QWidget,
)

from wallet_perps.ui.kit import caption, set_flag, theme_colours, title, vbox
from wallet_perps.ui.view_models import (
    LiqLevel,
    liq_level,
    what_if,
    what_if_price,
    what_if_words,
)

if TYPE_CHECKING:
    from wallet_perps.core.models import AccountState
    from wallet_perps.ui.view_models import PositionView, WhatIf

__all__ = ["FULL_SCALE_PCT", "LiqGauge", "WhatIfPanel"]

#: The bar is full at this distance; anything further is just "far".
FULL_SCALE_PCT: Final = Decimal(30)


class LiqGauge(QWidget):
    """A rounded track filled in proportion to the distance, coloured by :class:`LiqLevel`.

    The fill grows with safety (a full green bar is far from liquidation, a sliver of red is
    about to be liquidated), so "more bar" always means "more room".
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._distance: Decimal | None = None
        self._level = LiqLevel.NONE
        self._fully_backed = False
        self.setMinimumSize(60, 6)
        self.setAttribute(Qt.WidgetAttribute.WA_TranslucentBackground)

    @property
    def distance(self) -> Decimal | None:
        """Distance from the mark to the liquidation price, in percent of the mark."""
        return self._distance

    @property
    def level(self) -> LiqLevel:
        return self._level

    def set_distance(self, distance_pct: Decimal | None, *, fully_backed: bool = False) -> None:
        """Show ``distance_pct``; None with ``fully_backed`` (no liquidation price at all) is a
        full bar, None alone (not known yet) an empty track."""
        if (
            distance_pct == self._distance
            and distance_pct is not None
            and fully_backed == self._fully_backed
        ):
            return
        self._distance = distance_pct
        self._fully_backed = fully_backed and distance_pct is None
        self._level = LiqLevel.FAR if self._fully_backed else liq_level(distance_pct)
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(96, 6)

    def paintEvent(self, _event: QPaintEvent) -> None:
        colours = theme_colours(self)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        height = min(6.0, float(self.height()))
        top = (self.height() - height) / 2
        radius = height / 2
        track = QRectF(0, top, self.width(), height)
        painter.setBrush(QColor(colours["border"]))
        painter.drawRoundedRect(track, radius, radius)
        if self._distance is not None or self._fully_backed:
            distance = FULL_SCALE_PCT if self._distance is None else self._distance
            share = min(max(distance, Decimal(0)) / FULL_SCALE_PCT, Decimal(1))
            # At least a fifth of the track: near liquidation a red dot read as a speck of
            # dirt, not as a warning.
            width = max(self.width() * 0.2, float(share) * self.width())
            colour = {
                LiqLevel.FAR: colours["long"],
                LiqLevel.NEAR: colours["warning"],
                LiqLevel.CLOSE: colours["short"],
            }.get(self._level, colours["muted"])
            painter.setBrush(QColor(colour))
            painter.drawRoundedRect(QRectF(0, top, width, height), radius, radius)
        painter.end()


# ------------------------------------------------------------------------------ what-if


class WhatIfPanel(QFrame):
    """Drag a price for one position; see its PnL, margin ratio and whether it liquidates.

    The slider moves the price from -50% to +50% of the live mark in 0.1% steps, so it
    follows the market while the user reads it.
    """

    STEPS_PER_PCT: Final = 10
    RANGE_PCT: Final = 50

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setProperty("card", True)
        self._state: AccountState | None = None
        self._views: tuple[PositionView, ...] = ()
        self.result: WhatIf | None = None

        layout = vbox(self, margins=(16, 12, 16, 12), spacing=8)
        head = QHBoxLayout()
        head.addWidget(title("What if"))
        head.addWidget(caption("Drag the price to see what happens to a position."))
        head.addStretch(1)
        self.coin_box = QComboBox()
        self.coin_box.setToolTip("The position to test")
        self.coin_box.currentTextChanged.connect(lambda _c: self._recompute())
        head.addWidget(self.coin_box)
        self.reset_button = QPushButton("Back to mark")
        self.reset_button.setToolTip("Put the price back at the current mark price.")
        head.addWidget(self.reset_button)
        layout.addLayout(head)

        row = QHBoxLayout()
        row.setSpacing(14)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        span = self.RANGE_PCT * self.STEPS_PER_PCT
        self.slider.setRange(-span, span)
        self.slider.setValue(0)
        self.slider.setToolTip("Price as a change from the current mark, from -50% to +50%.")
        self.slider.valueChanged.connect(lambda _v: self._recompute())
        self.reset_button.clicked.connect(lambda: self.slider.setValue(0))
        row.addWidget(self.slider, 1)
        self.price_label = QLabel("—")
        self.price_label.setProperty("num", True)
        self.price_label.setMinimumWidth(190)
        self.price_label.setToolTip("The tested mark price, and how far it is from the mark now.")
        row.addWidget(self.price_label)
        self.pnl_label = QLabel("—")
        self.pnl_label.setProperty("num", True)
        self.pnl_label.setMinimumWidth(170)
        self.pnl_label.setToolTip("Unrealized PnL and ROE at the tested price, before fees.")
        row.addWidget(self.pnl_label)
        self.ratio_label = QLabel("—")
        self.ratio_label.setProperty("num", True)
        self.ratio_label.setMinimumWidth(150)
        self.ratio_label.setToolTip(
            "Margin ratio: maintenance margin over the equity backing the position. The "
            "venue liquidates at 100%."
        )
        row.addWidget(self.ratio_label)
        layout.addLayout(row)
        self.verdict_label = QLabel("")
        self.verdict_label.setWordWrap(True)
        layout.addWidget(self.verdict_label)

    @property
    def offset_pct(self) -> Decimal:
        return Decimal(self.slider.value()) / self.STEPS_PER_PCT

    def set_account(self, state: AccountState | None, views: Sequence[PositionView]) -> None:
        """New account numbers: keep the chosen position and slider, recompute."""
        self._state = state
        self._views = tuple(views)
        coins = [v.coin for v in self._views]
        self.setVisible(bool(coins) and state is not None)
        if coins != [self.coin_box.itemText(i) for i in range(self.coin_box.count())]:
            current = self.coin_box.currentText()
            self.coin_box.blockSignals(True)
            self.coin_box.clear()
            self.coin_box.addItems(coins)
            if current in coins:
                self.coin_box.setCurrentText(current)
            self.coin_box.blockSignals(False)
        self._recompute()

    def set_price(self, price: Decimal) -> None:
        """Move the slider to ``price`` (clamped to the slider's range)."""
        view = self._view()
        if view is None or not view.mark:
            return
        steps = (price / view.mark - 1) * 100 * self.STEPS_PER_PCT
        self.slider.setValue(int(steps.to_integral_value()))

    def _view(self) -> PositionView | None:
        coin = self.coin_box.currentText()
        return next((v for v in self._views if v.coin == coin), None)

    def _recompute(self) -> None:
        view = self._view()
        state = self._state
        if view is None or state is None:
            self.result = None
            return
        price = what_if_price(view.mark, self.offset_pct)
        result = what_if(state, self._views, view.coin, price)
        self.result = result
        if result is None:
            return
        words = what_if_words(view, result, self.offset_pct)
        self.price_label.setText(words.price)
        self.pnl_label.setText(words.pnl)
        self.ratio_label.setText(words.margin_ratio)
        self.verdict_label.setText(words.verdict)
        set_flag(self.verdict_label, "role", "short" if words.liquidated else "long")

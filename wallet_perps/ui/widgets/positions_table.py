"""One card per open position: every number a trader checks, and the actions on it.

Why cards with fixed columns rather than a plain table: each position carries four actions
and a liquidation gauge, which a table cell renders poorly; cards with the same column widths
still line up like a table. Each row keeps the exact :class:`~decimal.Decimal` behind every
label in :attr:`PositionRow.values`, so what is shown can be checked against the venue
(the liquidation price is the venue's own ``liquidationPx``, never a local estimate: two
different numbers for the same risk would be worse than one).

The numbers come from :func:`~wallet_perps.ui.view_models.position_view`, a pure function of
the venue's position and the live mark, so the widget holds no arithmetic of its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Final

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QWidget,
)

from wallet_perps.core.display import (
    format_pct,
    format_percent,
    format_price,
    format_size,
    format_usd,
    significant,
)
from wallet_perps.ui.kit import error_text, set_flag, vbox
from wallet_perps.ui.view_models import LEVEL_WORDS, PositionView, liq_level
from wallet_perps.ui.widgets.liq_gauge import LiqGauge

__all__ = [
    "ACTIONS",
    "PositionRow",
    "PositionsTable",
]

#: Row actions, as emitted by :attr:`PositionsTable.action_requested`.
ACTIONS: Final = ("close", "close_part", "tpsl", "margin")

_TIPS: Final[Mapping[str, str]] = {
    "size": "How much of the coin the position holds.",
    "value": "What the position is worth at the current mark price (size × mark).",
    "entry": "Average price at which the position was opened.",
    "mark": "The price the venue uses for profit and loss and for liquidations.",
    "pnl": (
        "Unrealized profit or loss if you closed at the mark price now, before fees. "
        "ROE is that result over the margin the position needed when opened."
    ),
    "liquidation": (
        "If the mark price reaches this price, the venue closes the position and the margin "
        "behind it is lost. This is the venue's own figure. The % is how far the mark must "
        "move to get there: the bar is green when far, amber, then red when close."
    ),
    "margin": (
        "Collateral locked by this position. Cross: the whole account backs it, so losses "
        "can use all free funds. Isolated: only this margin can be lost."
    ),
    "funding": (
        "Funding paid (red) or received (green) by this position since it was opened. "
        "Funding is exchanged every hour between longs and shorts."
    ),
}


class PositionRow(QFrame):
    """One position's card: a title line with its actions, then the numbers in columns.

    ``labels[key]`` is the text a user reads and ``values[key]`` the exact Decimal behind it
    (keys: size, value, entry, mark, pnl, roe, liquidation, distance, margin, funding).
    """

    action_requested = Signal(str, str)  # action (one of ACTIONS), coin

    COLUMNS: Final = (
        ("size", "Size"),
        ("value", "Value"),
        ("entry", "Entry"),
        ("mark", "Mark"),
        ("pnl", "PnL (ROE)"),
        ("liquidation", "Liquidation"),
        ("margin", "Margin"),
        ("funding", "Funding"),
    )
    #: Minimum column widths, so the cards line up like a table (liquidation prices are long).
    #: They add up to what fits a 1280-pixel window beside the sidebar, with no sideways
    #: scrolling (the card used to be 64 px wider than the window).
    COLUMN_WIDTH: Final = 96
    WIDE_COLUMNS: Final[Mapping[str, int]] = {"liquidation": 150, "funding": 104}
    GAUGE_WIDTH: Final = 56
    GAUGE_GAP: Final = 6

    def __init__(self, coin: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.coin = coin
        self.setObjectName("PositionRow")
        self.setProperty("card", True)
        self.values: dict[str, Decimal | None] = {}
        self.labels: dict[str, QLabel] = {}
        self._view: PositionView | None = None
        self._busy: dict[str, str] = {}

        layout = vbox(self, margins=(16, 10, 16, 12), spacing=8)

        head = QHBoxLayout()
        head.setSpacing(10)
        self.coin_label = QLabel(coin)
        self.coin_label.setProperty("role", "title")
        head.addWidget(self.coin_label)
        self.side_label = QLabel("—")
        self.side_label.setObjectName("SideBadge")
        self.side_label.setToolTip(
            "Long: profits when the price rises. Short: profits when the price falls."
        )
        head.addWidget(self.side_label)
        self.leverage_label = QLabel("")
        self.leverage_label.setProperty("muted", True)
        self.leverage_label.setToolTip(
            "Leverage multiplies gains and losses; higher leverage puts the liquidation price "
            "closer to the entry."
        )
        head.addWidget(self.leverage_label)
        # The position's own take-profit and stop-loss (set here or with the order).
        self.tpsl_label = QLabel("")
        self.tpsl_label.setObjectName("PositionTpsl")
        self.tpsl_label.setProperty("muted", True)
        self.tpsl_label.setProperty("num", True)
        self.tpsl_label.setToolTip(
            "Take-profit (TP) and stop-loss (SL) triggers on this position: when the mark "
            "reaches one, a reduce-only market order closes the position."
        )
        head.addWidget(self.tpsl_label)
        head.addStretch(1)
        self.close_part_button = self._button("Close part…", "Close 25%, 50%, 75% or any part.")
        self.tpsl_button = self._button(
            "TP/SL…",
            "Take-profit and stop-loss: close automatically at a price you choose.",
        )
        self.margin_button = self._button(
            "Margin…", "Add margin to move the liquidation price away, or take some out."
        )
        self.close_button = self._button(
            "Close",
            "Close the whole position now at the market price (reduce-only, at most 5% "
            "from the current price).",
        )
        self.close_button.setProperty("kind", "primary")
        self.buttons: dict[str, QPushButton] = {
            "close_part": self.close_part_button,
            "tpsl": self.tpsl_button,
            "margin": self.margin_button,
            "close": self.close_button,
        }
        self._idle_text = {action: b.text() for action, b in self.buttons.items()}
        for action, button in self.buttons.items():
            button.clicked.connect(
                lambda _=False, a=action: self.action_requested.emit(a, self.coin)
            )
            head.addWidget(button)
        layout.addLayout(head)

        grid = QGridLayout()
        self._captions: list[QLabel] = []
        grid.setHorizontalSpacing(12)
        grid.setVerticalSpacing(2)
        for column, (key, caption) in enumerate(self.COLUMNS):
            tip = _TIPS[key]
            name = QLabel(caption)
            self._captions.append(name)
            name.setProperty("muted", True)
            name.setToolTip(tip)
            value = QLabel("—")
            value.setProperty("num", True)
            value.setToolTip(tip)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            grid.addWidget(name, 0, column)
            grid.addWidget(value, 1, column)
            grid.setColumnMinimumWidth(column, self.WIDE_COLUMNS.get(key, self.COLUMN_WIDTH))
            self.labels[key] = value
        # Second lines: ROE under PnL, distance and gauge under liquidation, mode under margin.
        self.labels["roe"] = self._sub_label(_TIPS["pnl"])
        grid.addWidget(self.labels["roe"], 2, 4)
        liq_box = QHBoxLayout()
        liq_box.setSpacing(self.GAUGE_GAP)
        self.labels["distance"] = self._sub_label(_TIPS["liquidation"])
        liq_box.addWidget(self.labels["distance"])
        self.gauge = LiqGauge()
        self.gauge.setToolTip(_TIPS["liquidation"])
        self.gauge.setFixedWidth(self.GAUGE_WIDTH)
        liq_box.addStretch(1)  # the gauges end where the column ends, one above the other
        liq_box.addWidget(self.gauge)
        grid.addLayout(liq_box, 2, 5)
        self.labels["mode"] = self._sub_label(_TIPS["margin"])
        grid.addWidget(self.labels["mode"], 2, 6)
        self.labels["funding_word"] = self._sub_label(_TIPS["funding"])
        grid.addWidget(self.labels["funding_word"], 2, 7)
        grid.setColumnStretch(len(self.COLUMNS), 1)
        layout.addLayout(grid)
        self._grid = grid

        self.error_label = error_text(selectable=True)
        layout.addWidget(self.error_label)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)

    def set_tpsl(self, take_profit: Decimal | None, stop_loss: Decimal | None) -> None:
        """Show the position's TP/SL triggers ("TP $104,760 · SL $92,150"), or "no TP/SL"."""
        parts = []
        if take_profit is not None:
            parts.append(f"TP {format_price(take_profit)}")
        if stop_loss is not None:
            parts.append(f"SL {format_price(stop_loss)}")
        self.tpsl_label.setText(" · ".join(parts) if parts else "no TP/SL")

    @staticmethod
    def _button(text: str, tip: str) -> QPushButton:
        button = QPushButton(text)
        button.setToolTip(tip)
        button.setCursor(Qt.CursorShape.PointingHandCursor)
        return button

    @staticmethod
    def _sub_label(tip: str) -> QLabel:
        label = QLabel("")
        label.setProperty("muted", True)
        label.setProperty("num", True)
        label.setToolTip(tip)
        return label

    @property
    def view(self) -> PositionView | None:
        return self._view

    # ------------------------------------------------------------------ updates

    def needed_column_widths(self) -> list[int]:
        """How wide each column must be for what it shows now (at least its minimum)."""
        second_line = {
            "pnl": self.labels["roe"].sizeHint().width(),
            "liquidation": self.labels["distance"].sizeHint().width()
            + self.GAUGE_GAP
            + self.GAUGE_WIDTH,
            "margin": self.labels["mode"].sizeHint().width(),
            "funding": self.labels["funding_word"].sizeHint().width(),
        }
        return [
            max(
                self.WIDE_COLUMNS.get(key, self.COLUMN_WIDTH),
                name.sizeHint().width(),
                self.labels[key].sizeHint().width(),
                second_line.get(key, 0),
            )
            for name, (key, _caption) in zip(self._captions, self.COLUMNS, strict=True)
        ]

    def set_column_widths(self, widths: Iterable[int]) -> None:
        """Line this card's columns up with the other cards' (the table's widest needs)."""
        for column, width in enumerate(widths):
            if self._grid.columnMinimumWidth(column) != width:
                self._grid.setColumnMinimumWidth(column, width)

    def set_view(self, view: PositionView) -> None:
        """Show ``view``; labels are only touched when their text changes."""
        self._view = view
        self.values = {
            "size": view.size,
            "value": view.value,
            "entry": view.entry,
            "mark": view.mark,
            "pnl": view.pnl,
            "roe": view.roe,
            "liquidation": view.liquidation,
            "distance": view.distance_pct,
            "margin": view.margin,
            "funding": view.funding,
        }
        side = "Long" if view.is_long else "Short"
        self._text("side", side, self.side_label)
        set_flag(self.side_label, "role", "long" if view.is_long else "short")
        mode = "isolated" if view.is_isolated else "cross"
        self._text("leverage", f"{view.leverage}x {mode}", self.leverage_label)
        self._text("size", f"{format_size(view.size)} {view.coin}")
        self._text("value", format_usd(view.value))
        self._text("entry", format_price(view.entry))
        self._text("mark", format_price(view.mark))
        self._text("pnl", format_usd(view.pnl))
        self._text("roe", format_pct(view.roe, signed=True))
        trend = "up" if view.pnl > 0 else "down" if view.pnl < 0 else None
        set_flag(self.labels["pnl"], "pnl", trend)
        set_flag(self.labels["roe"], "pnl", trend)
        if view.liquidation is None:
            self._text("liquidation", "none")
            self._text("distance", "fully backed")
        else:
            # Six significant figures, as the Trade page shows it; the exact venue value is
            # in ``values["liquidation"]`` and the tooltip.
            self._text("liquidation", format_price(significant(view.liquidation)))
            self.labels["liquidation"].setToolTip(
                f"{_TIPS['liquidation']}\nVenue's exact figure: {format_price(view.liquidation)}"
            )
            distance = view.distance_pct
            away = "—" if distance is None else f"{format_percent(distance, 1)} away"
            word = LEVEL_WORDS[liq_level(distance)]
            self._text("distance", f"{away} · {word}" if word else away)
        self.gauge.set_distance(view.distance_pct, fully_backed=view.liquidation is None)
        self.gauge.setToolTip(self._gauge_tip(view))
        self._text("margin", format_usd(view.margin))
        self._text("mode", mode)
        if view.funding is None:
            self._text("funding", "—")
            self._text("funding_word", "")
            set_flag(self.labels["funding"], "pnl", None)
        else:
            self._text("funding", format_usd(view.funding, 4))
            word = "received" if view.funding > 0 else "paid" if view.funding < 0 else "none yet"
            self._text("funding_word", word)
            funding_trend = "up" if view.funding > 0 else "down" if view.funding < 0 else None
            set_flag(self.labels["funding"], "pnl", funding_trend)
        self.margin_button.setVisible(view.is_isolated)

    def _text(self, key: str, text: str, label: QLabel | None = None) -> None:
        target = label if label is not None else self.labels[key]
        if target.text() != text:
            target.setText(text)

    @staticmethod
    def _gauge_tip(view: PositionView) -> str:
        if view.liquidation is None:
            return "No price liquidates this position: its margin covers any move."
        if view.distance_pct is None:
            return _TIPS["liquidation"]
        way = "fall" if view.is_long else "rise"
        return (
            f"The mark price must {way} {format_percent(view.distance_pct, 1)} (to "
            f"{format_price(view.liquidation)}) before this position is liquidated."
        )

    def set_stale(self, stale: bool) -> None:
        """Grey the numbers while the account feed may be behind the venue."""
        for label in self.labels.values():
            set_flag(label, "stale", stale)

    def set_busy(self, action: str, busy: bool, text: str = "") -> None:
        """Show progress on one action's button; the row's actions wait until it is done."""
        button = self.buttons[action]
        if busy:
            self._busy[action] = text
            button.setText(text or "Working…")
        else:
            self._busy.pop(action, None)
            button.setText(self._idle_text[action])
        for each in self.buttons.values():
            each.setEnabled(not self._busy)

    @property
    def busy(self) -> bool:
        return bool(self._busy)

    def show_error(self, text: str) -> None:
        self.error_label.setText(text)
        self.error_label.setVisible(bool(text))


class PositionsTable(QWidget):
    """The position cards, keyed by coin; rows appear and disappear with the positions."""

    action_requested = Signal(str, str)  # action, coin

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: dict[str, PositionRow] = {}
        self._layout = vbox(self, spacing=10)
        self.empty_label = QLabel("No open positions. Open one on the Trade page.")
        self.empty_label.setProperty("muted", True)
        self._layout.addWidget(self.empty_label)
        self._layout.addStretch(1)

    def set_positions(self, views: Iterable[PositionView], stale: bool = False) -> None:
        """Show exactly ``views`` (in order): new rows are added, closed ones removed."""
        wanted = {view.coin: view for view in views}
        for coin in [c for c in self.rows if c not in wanted]:
            row = self.rows.pop(coin)
            self._layout.removeWidget(row)
            row.hide()
            row.deleteLater()
        for index, (coin, view) in enumerate(wanted.items()):
            existing = self.rows.get(coin)
            if existing is None:
                row = PositionRow(coin)
                row.action_requested.connect(self.action_requested)
                self.rows[coin] = row
            else:
                row = existing
            if self._layout.indexOf(row) != index + 1:
                self._layout.removeWidget(row)
                self._layout.insertWidget(index + 1, row)
            row.set_view(view)
            row.set_stale(stale)
        self.empty_label.setVisible(not wanted)
        # Each card's columns would size to their own text, so a longer liquidation line on
        # one card shifted its Margin and Funding columns against the card above: every card
        # takes the widest need of each column, and they read as one table.
        needs = [row.needed_column_widths() for row in self.rows.values()]
        if needs:
            widths = [max(column) for column in zip(*needs, strict=True)]
            for row in self.rows.values():
                row.set_column_widths(widths)

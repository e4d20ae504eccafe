"""The market picker: a button showing the current market, and a searchable popup of all.

Why a popup with its own search and not a combo box: with a dozen or more markets a user
looks for a name ("eth") or for their favourites, and wants each market's price, 24h change,
funding and volume before choosing. The order is fixed and predictable: BTC first, then the
favourites in the order they were starred, then the rest in the venue's order.

The widget knows nothing of the session: the page hands it the coin list and a
:class:`MarketRow` per coin, and listens to ``coin_selected``. Favourites are reported through
``on_favourites_changed`` (the app persists them in settings) and kept in memory otherwise.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from PySide6.QtCore import QEvent, QObject, QPoint, Qt, Signal
from PySide6.QtGui import QColor, QFont, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QWidget,
)

from wallet_perps.core.display import (
    format_compact_usd,
    format_hourly_rate,
    format_percent,
    format_price,
)
from wallet_perps.ui.kit import mono_font, theme_colour, vbox

__all__ = ["MarketPicker", "MarketPopup", "MarketRow", "ordered_coins"]

_STAR_ON = "★"
_STAR_OFF = "☆"
_COLUMNS = ("", "Market", "Price", "24h", "Funding / h", "24h volume")
_TIPS = (
    "Favourite: starred markets are listed right after BTC.",
    "Perpetual futures market, settled in USDC.",
    "Mid price of the order book.",
    "Change of the mark price over the last 24 hours.",
    "Paid every hour between longs and shorts. Positive: longs pay shorts; negative: shorts "
    "pay longs.",
    "Value traded in the last 24 hours.",
)


@dataclass(frozen=True, slots=True)
class MarketRow:
    """The numbers one popup row shows; any may be unknown yet (None)."""

    price: Decimal | None = None
    change_pct: Decimal | None = None
    funding: Decimal | None = None
    volume: Decimal | None = None


def ordered_coins(coins: Sequence[str], favourites: Sequence[str]) -> list[str]:
    """BTC first, then favourites in the order they were starred, then the venue's order."""
    head = [c for c in ("BTC",) if c in coins]
    favs = [c for c in favourites if c in coins and c not in head]
    return [*head, *favs, *(c for c in coins if c not in head and c not in favs)]


class MarketPopup(QFrame):
    """Search box over a table of markets; Enter picks the highlighted (first) match."""

    picked = Signal(str)
    favourite_toggled = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Popup)
        self.setObjectName("MarketPopup")
        self.setProperty("card", True)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self._coins: list[str] = []
        self._favourites: list[str] = []
        self._star_buttons: dict[str, QToolButton] = {}

        layout = vbox(self, margins=(12, 12, 12, 12), spacing=8)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search markets (e.g. eth)")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._filter)
        self.search.returnPressed.connect(self.pick_current)
        self.search.installEventFilter(self)
        layout.addWidget(self.search)

        self.table = QTableWidget(0, len(_COLUMNS))
        self.table.setHorizontalHeaderLabels(list(_COLUMNS))
        for col, tip in enumerate(_TIPS):
            header_item = self.table.horizontalHeaderItem(col)
            if header_item is not None:
                header_item.setToolTip(tip)
        self.table.verticalHeader().hide()
        self.table.setShowGrid(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.table.verticalHeader().setDefaultSectionSize(30)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.cellClicked.connect(self._clicked)
        layout.addWidget(self.table, 1)
        self.empty_label = QLabel("No market matches.")
        self.empty_label.setProperty("muted", True)
        self.empty_label.hide()
        layout.addWidget(self.empty_label)
        self.setMinimumWidth(640)

    # ------------------------------------------------------------------ content

    def set_coins(self, coins: Sequence[str], favourites: Sequence[str]) -> None:
        """Rebuild the rows in picker order (only when the list or the favourites change)."""
        order = ordered_coins(coins, favourites)
        if order == self._coins and list(favourites) == self._favourites:
            return
        self._coins = order
        self._favourites = list(favourites)
        self._star_buttons.clear()
        self.table.setRowCount(len(order))
        mono = mono_font()
        for row, coin in enumerate(order):
            star = QToolButton()
            star.setObjectName("FavouriteStar")
            starred = coin in self._favourites
            star.setText(_STAR_ON if starred else _STAR_OFF)
            star.setCheckable(True)
            star.setChecked(starred)
            star.setAutoRaise(True)
            # The keyboard stays in the search: a focusable star in the row the search selects
            # took the focus after the first letter typed, and the next keys and Return were
            # lost until the popup was reopened.
            star.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            star.setCursor(Qt.CursorShape.PointingHandCursor)
            star.setToolTip(
                f"Remove {coin} from favourites" if starred else f"Add {coin} to favourites"
            )
            star.clicked.connect(lambda _c=False, c=coin: self.favourite_toggled.emit(c))
            self.table.setCellWidget(row, 0, star)
            self._star_buttons[coin] = star
            name = QTableWidgetItem(coin)
            bold = QFont(name.font())
            bold.setBold(True)
            name.setFont(bold)
            name.setData(Qt.ItemDataRole.UserRole, coin)
            self.table.setItem(row, 1, name)
            for col in range(2, len(_COLUMNS)):
                item = QTableWidgetItem("—")
                item.setFont(mono)
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                item.setToolTip(_TIPS[col])
                self.table.setItem(row, col, item)
        self._filter(self.search.text())

    def set_rows(self, rows: Mapping[str, MarketRow]) -> None:
        """Refresh the numbers in place (no rebuild: cheap enough for every redraw)."""
        for index, coin in enumerate(self._coins):
            data = rows.get(coin)
            if data is None:
                continue
            self._set_text(index, 2, format_price(data.price))
            if data.change_pct is None:
                self._set_text(index, 3, "—")
            else:
                self._set_text(index, 3, format_percent(data.change_pct, signed=True))
                item = self.table.item(index, 3)
                if item is not None:
                    change = data.change_pct
                    key = "text" if change == 0 else "long" if change > 0 else "short"
                    item.setForeground(QColor(theme_colour(self, key)))
            funding = "—"
            if data.funding is not None:
                funding = f"{format_hourly_rate(data.funding)}/h"
            self._set_text(index, 4, funding)
            self._set_text(
                index, 5, format_compact_usd(data.volume) if data.volume is not None else "—"
            )

    def _set_text(self, row: int, col: int, text: str) -> None:
        item = self.table.item(row, col)
        if item is not None and item.text() != text:
            item.setText(text)

    # ------------------------------------------------------------------ queries (tests too)

    def order(self) -> list[str]:
        """Every market in listed order (BTC, favourites, the rest)."""
        return list(self._coins)

    def visible_coins(self) -> list[str]:
        """The markets the current search shows, in listed order."""
        return [c for i, c in enumerate(self._coins) if not self.table.isRowHidden(i)]

    def star_button(self, coin: str) -> QToolButton:
        return self._star_buttons[coin]

    # ------------------------------------------------------------------ behaviour

    def open_below(self, anchor: QWidget) -> None:
        """Show under ``anchor`` with an empty search and the keyboard in it."""
        self.search.clear()
        self._filter("")
        self.move(anchor.mapToGlobal(QPoint(0, anchor.height() + 6)))
        self.show()
        self.raise_()
        self.activateWindow()
        self.search.setFocus(Qt.FocusReason.PopupFocusReason)

    def pick_current(self) -> None:
        """Enter: the highlighted row, which is the first match unless arrows moved it."""
        row = self.table.currentRow()
        if row < 0 or self.table.isRowHidden(row):
            visible = self.visible_coins()
            if not visible:
                return
            coin = visible[0]
        else:
            coin = self._coins[row]
        self._pick(coin)

    def _pick(self, coin: str) -> None:
        self.hide()
        self.picked.emit(coin)

    def _clicked(self, row: int, col: int) -> None:
        if col == 0:
            return  # the star's own button handles it
        self._pick(self._coins[row])

    def _filter(self, text: str) -> None:
        needle = text.strip().upper()
        first = -1
        for row, coin in enumerate(self._coins):
            hidden = bool(needle) and needle not in coin.upper()
            self.table.setRowHidden(row, hidden)
            if not hidden and first < 0:
                first = row
        # Prefix matches first: "eth" picks ETH, not a later coin that merely contains it.
        if needle:
            for row, coin in enumerate(self._coins):
                if coin.upper().startswith(needle):
                    first = row
                    break
        self.empty_label.setVisible(first < 0 and bool(self._coins))
        self._fit_height()
        if first >= 0:
            self.table.selectRow(first)
        else:
            self.table.clearSelection()
            self.table.setCurrentCell(-1, -1)

    def _fit_height(self) -> None:
        """As tall as the rows the search leaves (up to twelve), so no empty slab hangs below."""
        rows = min(12, max(1, len(self.visible_coins())))
        table_height = (
            self.table.horizontalHeader().height()
            + rows * self.table.verticalHeader().defaultSectionSize()
            + 2 * self.table.frameWidth()
            + 4
        )
        self.table.setFixedHeight(table_height)
        self.adjustSize()

    def _move(self, step: int) -> None:
        rows = [i for i in range(len(self._coins)) if not self.table.isRowHidden(i)]
        if not rows:
            return
        current = self.table.currentRow()
        index = rows.index(current) if current in rows else -1
        index = max(0, min(len(rows) - 1, index + step))
        self.table.selectRow(rows[index])

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Arrows in the search box move the highlight; Esc closes."""
        if watched is self.search and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            if event.key() == Qt.Key.Key_Down:
                self._move(1)
                return True
            if event.key() == Qt.Key.Key_Up:
                self._move(-1)
                return True
            if event.key() == Qt.Key.Key_Escape:
                self.hide()
                return True
        return False

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self.hide()
            return
        super().keyPressEvent(event)


class MarketPicker(QPushButton):
    """The header button ("BTC ▾"); opens the popup. ``coin_selected(coin)`` on a pick."""

    coin_selected = Signal(str)

    def __init__(
        self,
        favourites: Sequence[str] | None = None,
        on_favourites_changed: Callable[[list[str]], None] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("MarketPickerButton")
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip("Pick a market: search, favourites, prices and funding (Ctrl+K)")
        self._coins: list[str] = []
        self._current = ""
        self._favourites: list[str] = list(dict.fromkeys(favourites or ()))
        self._on_favourites_changed = on_favourites_changed
        self.popup = MarketPopup(self)
        self.popup.picked.connect(self._picked)
        self.popup.favourite_toggled.connect(self.toggle_favourite)
        self.clicked.connect(self.open_popup)
        self._show_text()

    @property
    def favourites(self) -> list[str]:
        return list(self._favourites)

    def coins(self) -> list[str]:
        """Markets in listed order: BTC first, then favourites, then the rest."""
        return ordered_coins(self._coins, self._favourites)

    def set_coins(self, coins: Sequence[str]) -> None:
        self._coins = list(coins)
        if self.popup.isVisible():  # else its rows are made when it opens (not at start)
            self.popup.set_coins(self._coins, self._favourites)

    def current(self) -> str:
        return self._current

    def set_current(self, coin: str) -> None:
        """Show ``coin`` on the button (does not emit ``coin_selected``)."""
        self._current = coin
        self._show_text()

    def set_rows(self, rows: Mapping[str, MarketRow]) -> None:
        if self.popup.isVisible():
            self.popup.set_rows(rows)

    def open_popup(self) -> None:
        self.popup.set_coins(self._coins, self._favourites)
        self.popup.open_below(self)

    def toggle_favourite(self, coin: str) -> None:
        """Star or unstar ``coin``; the list reorders and the owner is told to persist it."""
        if coin in self._favourites:
            self._favourites.remove(coin)
        else:
            self._favourites.append(coin)
        if self.popup.isVisible():  # else its rows are made when it opens
            self.popup.set_coins(self._coins, self._favourites)
        self._show_text()
        if self._on_favourites_changed is not None:
            self._on_favourites_changed(list(self._favourites))

    def _picked(self, coin: str) -> None:
        self.coin_selected.emit(coin)

    def _show_text(self) -> None:
        star = f" {_STAR_ON}" if self._current in self._favourites else ""
        self.setText(f"{self._current or 'Market'}{star}  ▾")

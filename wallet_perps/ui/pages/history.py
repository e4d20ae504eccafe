"""The History page: fills, orders, funding payments, deposits and withdrawals; filter; export.

Why: after trading, people need to check what happened (which order filled at what price, what
a position paid in funding, when money came in) and to hand the record to a spreadsheet or an
accountant. The rows are built once by :mod:`wallet_perps.core.csv_export` with the venue's
exact values; this page only formats them for reading, applies the filters and writes the
filtered rows of the open tab to a CSV file, so what is exported is what is shown. Ledger
rows are signed for the account being viewed by ``core.ledger_lines.ledger_line``, the rule
the Wallet page uses too, so both pages and the CSV agree.

Fills, funding and the ledger come from the adapter's account store (kept live by the stream);
historical orders are not kept there, so they are fetched with ``adapter.fetch`` when the page
starts, when an account is unlocked, and whenever the fills or open orders change. Sheets are
rebuilt only when their source changed, and redraws are coalesced with a single-shot timer, so
a busy account stream costs nothing here.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from datetime import date, datetime, timedelta
from datetime import time as day_time
from decimal import Decimal
from pathlib import Path

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QTabWidget,
    QWidget,
)

from wallet_perps.core.clock import wall_ms
from wallet_perps.core.csv_export import (
    Cell,
    Column,
    ColumnKind,
    HistoryFilter,
    Record,
    Sheet,
    fill_sheet,
    funding_sheet,
    ledger_sheet,
    order_sheet,
    to_csv,
)
from wallet_perps.core.display import (
    format_funding_rate,
    format_local_time,
    format_price,
    format_size,
    format_small_usd,
)
from wallet_perps.core.orders import OrderStatus
from wallet_perps.core.private_files import write_private_file
from wallet_perps.ui.adapter import SessionAdapter
from wallet_perps.ui.kit import CoalescedRedraw, alive, caption, card, title, vbox
from wallet_perps.ui.widgets.record_table import RecordColumn, RecordTable

__all__ = ["HistoryPage", "record_columns", "visible_texts"]

AskPath = Callable[[], str | None]

_REDRAW_MS = 100
_ORDERS_REFETCH_MS = 800
_DAY_MS = 86_400_000
_UNLOCK = (
    "Unlock your wallet to see your fills, orders, funding payments, deposits and withdrawals."
)
#: Tabs in order: key, label, what an empty tab says.
_TABS: tuple[tuple[str, str, str], ...] = (
    ("fills", "Fills", "No fills yet. Your trades appear here as they happen."),
    ("orders", "Orders", "No orders yet."),
    ("funding", "Funding", "No funding payments yet: they are settled hourly on open positions."),
    ("ledger", "Deposits & withdrawals", "No deposits or withdrawals yet."),
)
_PERIODS: tuple[tuple[str, int | None], ...] = (
    ("All time", None),
    ("Last 24 hours", _DAY_MS),
    ("Last 7 days", 7 * _DAY_MS),
    ("Last 30 days", 30 * _DAY_MS),
    ("Custom dates", -1),
)
_CUSTOM = -1
_SIDES: tuple[tuple[str, str | None], ...] = (
    ("Any side", None),
    ("Buy / long", "buy"),
    ("Sell / short", "sell"),
)


def _cell_text(kind: ColumnKind, cell: Cell) -> str:
    """A raw cell as people read it (the CSV keeps the raw value)."""
    if cell is None or cell == "":
        return ""
    if isinstance(cell, Decimal):
        if kind is ColumnKind.PRICE:
            return format_price(cell)
        if kind is ColumnKind.USD:
            return format_small_usd(cell)
        if kind is ColumnKind.RATE:
            return format_funding_rate(cell)
        return format_size(cell)
    return str(cell)


#: Money columns where positive is good for the user (green) and negative bad (red). Fees are
#: left plain: a positive fee is a cost, and colouring it green would say the opposite.
_TONED = frozenset({"Closed PnL", "Amount"})


def _tone(kind: ColumnKind, title: str, cell: Cell) -> str | None:
    if title in _TONED and isinstance(cell, Decimal):
        return "long" if cell > 0 else "short" if cell < 0 else None
    if title == "Side" and isinstance(cell, str):
        return "long" if cell == "Buy" else "short"
    return None


#: Text columns of ids that give way first when a table is too narrow (copied, not read).
_SQUEEZED = frozenset({"Hash", "Client ID", "Transaction hash", "Counterparty"})


def _record_column(index: int, column: Column) -> RecordColumn[Record]:
    kind = column.kind
    if kind is ColumnKind.TIME:
        return RecordColumn(
            column.title.replace(" (UTC)", ""),
            lambda r: format_local_time(r.time_ms),
            column.tip or "Your local time (the CSV has UTC).",
        )
    numeric = kind in (ColumnKind.PRICE, ColumnKind.SIZE, ColumnKind.USD, ColumnKind.RATE)
    return RecordColumn(
        column.title,
        lambda r: _cell_text(kind, r.cells[index]),
        column.tip,
        numeric=numeric,
        tone=lambda r: _tone(kind, column.title, r.cells[index]),
        squeeze=kind is ColumnKind.ID or column.title in _SQUEEZED,
    )


def record_columns(sheet: Sheet) -> tuple[RecordColumn[Record], ...]:
    """How the page shows a sheet's columns (local times, money and prices formatted)."""
    return tuple(_record_column(i, c) for i, c in enumerate(sheet.columns))


def _tab_text(text: str) -> str:
    """Tab labels treat "&" as a shortcut marker; "&&" shows a real ampersand."""
    return text.replace("&", "&&")


def _local_midnight_ms(day: date) -> int:
    return int(datetime.combine(day, day_time()).timestamp() * 1000)


def _save_dialog(parent: QWidget, suggested: str) -> str | None:
    path, _filter = QFileDialog.getSaveFileName(
        parent, "Export to CSV", suggested, "CSV files (*.csv);;All files (*)"
    )
    return path or None


class HistoryPage(QWidget):
    """Four tabs of account history with shared filters and CSV export.

    ``ask_path`` asks where to save the CSV (a save dialog by default; tests pass a function
    returning a path, or None to cancel).
    """

    def __init__(
        self,
        adapter: SessionAdapter,
        *,
        ask_path: AskPath | None = None,
        clock: Callable[[], int] = wall_ms,
    ) -> None:
        super().__init__()
        self.adapter = adapter
        self._clock = clock
        self._ask_path = ask_path
        self.orders: list[OrderStatus] = []
        self._orders_loaded = False
        self._sheets: dict[str, Sheet] = {
            "fills": fill_sheet(()),
            "orders": order_sheet(()),
            "funding": funding_sheet(()),
            "ledger": ledger_sheet((), ""),
        }
        self._sources: dict[str, Hashable] = {}
        self._generation: dict[str, int] = dict.fromkeys(self._sheets, 0)
        self._shown: dict[str, tuple[int, HistoryFilter]] = {}
        self._orders_key: Hashable = None

        root = vbox(self, margins=(20, 20, 20, 20), spacing=14)
        root.addWidget(self._build_filters())

        self.stack = QStackedWidget()
        self.unlock_label = QLabel(_UNLOCK)
        self.unlock_label.setWordWrap(True)
        self.unlock_label.setProperty("role", "title")
        self.unlock_label.setProperty("muted", True)
        self.stack.addWidget(self.unlock_label)
        self.tabs = QTabWidget()
        self.tables: dict[str, RecordTable[Record]] = {}
        self.empty_labels: dict[str, QLabel] = {}
        for key, label, empty in _TABS:
            holder = QStackedWidget()
            table: RecordTable[Record] = RecordTable(record_columns(self._sheets[key]))
            note = QLabel(empty)
            note.setProperty("muted", True)
            holder.addWidget(note)
            holder.addWidget(table)
            self.tables[key] = table
            self.empty_labels[key] = note
            self.tabs.addTab(holder, _tab_text(label))
        self.tabs.currentChanged.connect(lambda _i: self._update_export())
        self.stack.addWidget(self.tabs)
        root.addWidget(self.stack, 1)

        self._redraw_soon = CoalescedRedraw(self, self.redraw, _REDRAW_MS, only_when_shown=True)
        self._refetch_orders_soon = CoalescedRedraw(
            self, self.fetch_orders, _ORDERS_REFETCH_MS, only_when_shown=True
        )

        adapter.account_changed.connect(self._on_account_changed)
        adapter.account_opened.connect(self._on_account_opened)
        adapter.market_changed.connect(self._on_market_changed)
        self._load_coins()
        self.fetch_orders()
        self.redraw()

    # ------------------------------------------------------------------ layout

    def _build_filters(self) -> QWidget:
        frame, layout = card()
        top = QHBoxLayout()
        top.addWidget(title("History"))
        top.addStretch(1)
        self.status_label = caption()
        top.addWidget(self.status_label)
        self.export_button = QPushButton("Export CSV…")
        self.export_button.setProperty("kind", "primary")
        self.export_button.setToolTip(
            "Save the rows shown in this tab (with the filters applied) as a CSV file, with "
            "exact amounts and UTC times."
        )
        self.export_button.clicked.connect(self.export_csv)
        top.addWidget(self.export_button)
        layout.addLayout(top)

        row = QHBoxLayout()
        row.setSpacing(8)
        self.market_box = QComboBox()
        self.market_box.addItem("All markets", None)
        self.market_box.setMinimumWidth(130)
        self.market_box.setToolTip("Show one market only (deposits belong to no market)")
        self.side_box = QComboBox()
        for label, value in _SIDES:
            self.side_box.addItem(label, value)
        self.side_box.setToolTip("Buys (and funding on longs) or sells (and funding on shorts)")
        self.period_box = QComboBox()
        for label, ms in _PERIODS:
            self.period_box.addItem(label, ms)
        self.period_box.setToolTip("How far back to show")
        today = QDate.currentDate()
        self.from_edit = QDateEdit(today.addDays(-30))
        self.to_edit = QDateEdit(today)
        for edit, tip in ((self.from_edit, "First day shown"), (self.to_edit, "Last day shown")):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
            edit.setToolTip(tip)
            edit.setVisible(False)
            edit.dateChanged.connect(lambda _d: self.redraw())
        self.search_edit = QLineEdit()
        self.search_edit.setPlaceholderText("Search: order id, hash, type…")
        self.search_edit.setClearButtonEnabled(True)
        self.search_edit.setToolTip("Shows rows where any column contains this text")
        self.market_box.currentIndexChanged.connect(lambda _i: self.redraw())
        self.side_box.currentIndexChanged.connect(lambda _i: self.redraw())
        self.period_box.currentIndexChanged.connect(self._on_period)
        self.search_edit.textChanged.connect(lambda _t: self.redraw())
        for widget in (self.market_box, self.side_box, self.period_box):
            row.addWidget(widget)
        row.addWidget(self.from_edit)
        row.addWidget(self.to_edit)
        row.addWidget(self.search_edit, 1)
        layout.addLayout(row)
        return frame

    # ------------------------------------------------------------------ filters

    def _load_coins(self) -> None:
        coins = self.adapter.coins()
        if not coins or self.market_box.count() == len(coins) + 1:
            return
        current = self.market_box.currentData()
        self.market_box.blockSignals(True)
        self.market_box.clear()
        self.market_box.addItem("All markets", None)
        for coin in coins:
            self.market_box.addItem(coin, coin)
        index = self.market_box.findData(current)
        self.market_box.setCurrentIndex(max(0, index))
        self.market_box.blockSignals(False)

    def _on_period(self, _index: int) -> None:
        custom = self.period_box.currentData() == _CUSTOM
        self.from_edit.setVisible(custom)
        self.to_edit.setVisible(custom)
        self.redraw()

    def current_filter(self) -> HistoryFilter:
        """The filter the controls describe right now."""
        period = self.period_box.currentData()
        start_ms: int | None = None
        end_ms: int | None = None
        if period == _CUSTOM:
            first = self.from_edit.date().toPython()
            last = self.to_edit.date().toPython()
            assert isinstance(first, date) and isinstance(last, date)
            start_ms = _local_midnight_ms(first)
            end_ms = _local_midnight_ms(last + timedelta(days=1))
        elif isinstance(period, int):
            start_ms = self._clock() - period
        coin = self.market_box.currentData()
        side = self.side_box.currentData()
        return HistoryFilter(
            coin=coin if isinstance(coin, str) else None,
            side=side if isinstance(side, str) else None,
            text=self.search_edit.text(),
            start_ms=start_ms,
            end_ms=end_ms,
        )

    # ------------------------------------------------------------------ data

    def fetch_orders(self) -> None:
        """Ask the venue for the account's historical orders (not kept by the live stores)."""
        if not self.adapter.has_account:
            return
        self.adapter.load_historical_orders(
            alive(self, self._on_orders), alive(self, self._on_orders_error)
        )

    def _on_orders(self, rows: list[OrderStatus]) -> None:
        if not self.adapter.has_account:
            return
        self.orders = list(rows)
        self._orders_loaded = True
        self._set_sheet("orders", order_sheet(self.orders))
        self.redraw()

    def _set_sheet(self, key: str, sheet: Sheet) -> None:
        self._sheets[key] = sheet
        self._generation[key] += 1

    def _on_orders_error(self, message: object) -> None:
        self.empty_labels["orders"].setText(f"Could not load your orders: {message}")

    def _refresh_sheets(self) -> None:
        """Rebuild a sheet only when its source changed (cheap checks on the newest row)."""
        fills = self.adapter.fills()
        fundings = self.adapter.fundings()
        ledger = self.adapter.ledger()
        me = self.adapter.user  # a ledger row's sign depends on who is looking
        sources: dict[str, tuple[Hashable, Callable[[], Sheet]]] = {
            "fills": (
                (len(fills), fills[0].hash, fills[0].tid, fills[0].time) if fills else 0,
                lambda: fill_sheet(fills),
            ),
            "funding": (
                (len(fundings), fundings[0].time, fundings[0].coin) if fundings else 0,
                lambda: funding_sheet(fundings),
            ),
            "ledger": (
                (me, len(ledger), ledger[0].time, ledger[0].hash) if ledger else 0,
                lambda: ledger_sheet(ledger, me),
            ),
        }
        for key, (source, build) in sources.items():
            if key not in self._sources or self._sources[key] != source:
                self._sources[key] = source
                self._set_sheet(key, build())
        orders_key = (
            len(fills),
            fills[0].time if fills else 0,
            tuple(o.oid for o in self.adapter.open_orders()),
        )
        if orders_key != self._orders_key:
            self._orders_key = orders_key
            self._refetch_orders_soon.request()

    # ------------------------------------------------------------------ updates

    def _on_market_changed(self, coin: str) -> None:
        if not coin and self.market_box.count() <= 1:
            self._load_coins()

    def _on_account_changed(self) -> None:
        self._redraw_soon.request()

    def _on_account_opened(self, _user: str) -> None:
        self.orders = []
        self._orders_loaded = False
        self._set_sheet("orders", order_sheet(()))
        self._sources.clear()
        self._shown.clear()
        self._orders_key = None
        self.fetch_orders()
        self.redraw()

    def redraw(self) -> None:
        """Show the unlock message, or every tab's rows through the current filter."""
        if not self.adapter.has_account:
            self.stack.setCurrentWidget(self.unlock_label)
            self._update_export()
            return
        self.stack.setCurrentWidget(self.tabs)
        self._refresh_sheets()
        rule = self.current_filter()
        for index, (key, label, _empty) in enumerate(_TABS):
            sheet = self._sheets[key]
            shown = (self._generation[key], rule)
            if self._shown.get(key) == shown:
                continue
            self._shown[key] = shown
            visible = sheet.filtered(rule)
            table = self.tables[key]
            first = not table.records.rows
            table.records.set_rows(visible.records)
            if first and visible.records:
                table.fit_columns()
            holder = self.tabs.widget(index)
            assert isinstance(holder, QStackedWidget)
            holder.setCurrentWidget(table if visible.records else self.empty_labels[key])
            total = len(sheet)
            count = f"{len(visible)}" if len(visible) == total else f"{len(visible)} of {total}"
            self.tabs.setTabText(index, _tab_text(f"{label} ({count})"))
        self._update_export()

    def _update_export(self) -> None:
        self.export_button.setEnabled(self.adapter.has_account)

    # ------------------------------------------------------------------ export

    def current_key(self) -> str:
        return _TABS[self.tabs.currentIndex()][0]

    def visible_sheet(self) -> Sheet:
        """The open tab's rows as the filters show them: exactly what Export writes."""
        return self._sheets[self.current_key()].filtered(self.current_filter())

    def export_csv(self) -> Path | None:
        """Ask where, then write the visible rows of the open tab; returns the file written."""
        if not self.adapter.has_account:
            return None
        sheet = self.visible_sheet()
        today = datetime.fromtimestamp(self._clock() / 1000).strftime("%Y-%m-%d")
        suggested = f"wallet-perps-{sheet.name}-{today}.csv"
        answer = self._ask_path() if self._ask_path is not None else _save_dialog(self, suggested)
        if not answer:
            self.status_label.setText("Export cancelled.")
            return None
        path = Path(answer)
        if path.suffix.lower() != ".csv":
            path = path.with_name(path.name + ".csv")
        try:
            # The user picked the folder, but the file is their trading history: readable by
            # them only (0600), like everything else the app writes.
            write_private_file(path, to_csv(sheet))
        except OSError as exc:
            self.status_label.setText(f"Could not save the file: {exc.strerror or exc}")
            return None
        rows = len(sheet)
        self.status_label.setText(f"Saved {rows} row{'s' if rows != 1 else ''} to {path}")
        return path


def visible_texts(table: RecordTable[Record]) -> Sequence[tuple[str, ...]]:
    """Every cell's text of a table, row by row (for tests and debugging)."""
    model = table.records
    return [
        tuple(model.text(r, c) for c in range(model.columnCount())) for r in range(len(model.rows))
    ]

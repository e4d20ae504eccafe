"""Account history as sheets: fills, orders, funding and ledger rows, filtered and written as CSV.

Why pure code: the History screen shows four tables, filters them (market, side, dates, free
text) and exports exactly what is shown. Building the rows here once, with raw values (exact
Decimal strings, ISO UTC times, full ids), means the CSV a user hands to an accountant or a tax
tool carries the venue's numbers unrounded, and the filter and the writer can be tested
without a window. The screen only decides how to *display* each column (see ``Column.kind``).

CSV safety: spreadsheet programs run a cell starting with ``=``, ``+``, ``-`` or ``@`` as a
formula. Text cells that start that way are prefixed with ``'``; numbers are written as plain
decimal strings and never touched, so ``-4.12`` stays a number.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Final, TypeAlias

from wallet_perps.core.ledger import FrozenJson, LedgerUpdate, UnknownDelta
from wallet_perps.core.ledger_lines import ledger_line, plain_number, type_words
from wallet_perps.core.models import Fill, FundingPayment, Side
from wallet_perps.core.orders import OrderStatus, order_type_words

__all__ = [
    "Cell",
    "Column",
    "ColumnKind",
    "HistoryFilter",
    "Record",
    "Sheet",
    "fill_sheet",
    "format_time",
    "funding_sheet",
    "ledger_sheet",
    "order_sheet",
    "to_csv",
]

Cell: TypeAlias = str | int | Decimal | None
_FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")


class ColumnKind(StrEnum):
    """How a column's raw value should be shown to a person (the CSV always writes it raw)."""

    TIME = "time"
    TEXT = "text"
    PRICE = "price"
    SIZE = "size"
    USD = "usd"
    RATE = "rate"
    ID = "id"


@dataclass(frozen=True, slots=True)
class Column:
    title: str
    kind: ColumnKind
    tip: str = ""


@dataclass(frozen=True, slots=True)
class Record:
    """One row: its raw cells plus what the filters look at.

    ``coin`` and ``side`` ("buy"/"sell") are empty for account-wide rows such as deposits;
    the market and side filters let those through, since they belong to no market.
    """

    time_ms: int
    coin: str
    side: str
    cells: tuple[Cell, ...]


@dataclass(frozen=True, slots=True)
class HistoryFilter:
    """What the user narrowed the history to; every part is optional.

    ``start_ms`` is inclusive and ``end_ms`` exclusive; ``text`` matches any cell, case-blind.
    """

    coin: str | None = None
    side: str | None = None
    text: str = ""
    start_ms: int | None = None
    end_ms: int | None = None

    def accepts(self, record: Record) -> bool:
        if self.coin and record.coin and record.coin != self.coin:
            return False
        if self.side and record.side and record.side != self.side:
            return False
        if self.start_ms is not None and record.time_ms < self.start_ms:
            return False
        if self.end_ms is not None and record.time_ms >= self.end_ms:
            return False
        needle = self.text.strip().lower()
        if needle:
            return any(needle in _plain(cell).lower() for cell in record.cells)
        return True


@dataclass(frozen=True, slots=True)
class Sheet:
    """A titled table of records, newest first, with the columns that describe the cells."""

    name: str
    columns: tuple[Column, ...]
    records: tuple[Record, ...] = field(default=())

    @property
    def header(self) -> tuple[str, ...]:
        return tuple(c.title for c in self.columns)

    def filtered(self, rule: HistoryFilter) -> Sheet:
        return Sheet(self.name, self.columns, tuple(r for r in self.records if rule.accepts(r)))

    def __len__(self) -> int:
        return len(self.records)


def format_time(time_ms: int) -> str:
    """ISO 8601 in UTC with milliseconds, e.g. ``2025-01-31T12:00:00.250Z``."""
    moment = datetime.fromtimestamp(time_ms / 1000, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{time_ms % 1000:03d}Z"


def _plain(cell: Cell) -> str:
    """A cell as exact text: Decimals without exponent, None as empty."""
    if cell is None:
        return ""
    if isinstance(cell, Decimal):
        return plain_number(cell)
    return str(cell)


def _row(time_ms: int, coin: str, side: str, *cells: Cell) -> Record:
    """A record led by its time as a cell: every sheet's first column is ``Time (UTC)``."""
    return Record(time_ms, coin, side, (format_time(time_ms), *cells))


def _trade_row(time_ms: int, coin: str, side: Side, *cells: Cell) -> Record:
    """A fill or order row: time, market and side lead it, and the filters see both."""
    word = "buy" if side is Side.BUY else "sell"
    return _row(time_ms, coin, word, coin, word.capitalize(), *cells)


# ----------------------------------------------------------------------------------- sheets

# Columns several sheets share, defined once so their titles and tips cannot drift apart.
_TIME: Final = Column("Time (UTC)", ColumnKind.TIME)
_MARKET: Final = Column("Market", ColumnKind.TEXT)
_ORDER_ID: Final = Column("Order ID", ColumnKind.ID)
_HASH: Final = Column("Hash", ColumnKind.TEXT)

_FILL_COLUMNS: Final = (
    _TIME,
    _MARKET,
    Column("Side", ColumnKind.TEXT, "Buy adds to a long or reduces a short; sell the opposite."),
    Column("Direction", ColumnKind.TEXT, "What the fill did to your position."),
    Column("Price", ColumnKind.PRICE, "Price the fill executed at."),
    Column("Size", ColumnKind.SIZE, "Size filled, in the market's coin."),
    Column("Value", ColumnKind.USD, "Price times size, in USD."),
    Column("Fee", ColumnKind.USD, "Fee paid to the venue; negative is a rebate."),
    Column(
        "Closed PnL",
        ColumnKind.USD,
        "Profit or loss realized by the part of the fill that closed a position (before fee).",
    ),
    _ORDER_ID,
    Column("Trade ID", ColumnKind.ID),
    _HASH,
)


def fill_sheet(fills: Iterable[Fill]) -> Sheet:
    """The user's fills (taker and maker) with fee and realized PnL."""
    records = tuple(
        _trade_row(
            f.time,
            f.coin,
            f.side,
            f.dir,
            f.px,
            f.sz,
            f.notional,
            f.fee,
            f.closed_pnl,
            f.oid,
            f.tid,
            f.hash,
        )
        for f in sorted(fills, key=lambda f: (f.time, f.tid or 0), reverse=True)
    )
    return Sheet("fills", _FILL_COLUMNS, records)


_ORDER_COLUMNS: Final = (
    Column("Time (UTC)", ColumnKind.TIME, "When the order reached this status."),
    _MARKET,
    Column("Side", ColumnKind.TEXT),
    Column("Type", ColumnKind.TEXT),
    Column("Price", ColumnKind.PRICE, "Limit price (market orders carry their slippage bound)."),
    Column("Size", ColumnKind.SIZE, "Size the order was placed for."),
    Column("Filled", ColumnKind.SIZE, "How much of it filled."),
    Column("Status", ColumnKind.TEXT),
    Column("Reduce only", ColumnKind.TEXT, "A reduce-only order can only shrink a position."),
    _ORDER_ID,
    Column("Client ID", ColumnKind.TEXT),
)


def order_sheet(statuses: Iterable[OrderStatus]) -> Sheet:
    """Historical orders with their final (or current) status."""
    records: list[Record] = []
    for status in sorted(statuses, key=lambda s: (s.status_timestamp, s.order.oid), reverse=True):
        order = status.order
        size = order.orig_sz if order.orig_sz is not None else order.sz
        filled = order.filled_sz
        reduce = "" if order.reduce_only is None else ("yes" if order.reduce_only else "no")
        records.append(
            _trade_row(
                status.status_timestamp,
                order.coin,
                order.side,
                order_type_words(order),
                order.limit_px,
                size,
                filled,
                type_words(status.status),
                reduce,
                order.oid,
                order.cloid or "",
            )
        )
    return Sheet("orders", _ORDER_COLUMNS, tuple(records))


_FUNDING_COLUMNS: Final = (
    _TIME,
    _MARKET,
    Column("Position", ColumnKind.SIZE, "Your position when funding was settled; negative: short."),
    Column(
        "Rate / h",
        ColumnKind.RATE,
        "The hourly funding rate. Positive: longs pay shorts; negative: shorts pay longs.",
    ),
    Column("Amount", ColumnKind.USD, "Positive: you received it; negative: you paid it."),
)


def funding_sheet(payments: Iterable[FundingPayment]) -> Sheet:
    """Hourly funding payments; a long is a "buy" row and a short a "sell" row for the filter."""
    records = tuple(
        _row(
            p.time,
            p.coin,
            "buy" if p.szi > 0 else "sell" if p.szi < 0 else "",
            p.coin,
            p.szi,
            p.funding_rate,
            p.usdc,
        )
        for p in sorted(payments, key=lambda p: (p.time, p.coin), reverse=True)
    )
    return Sheet("funding", _FUNDING_COLUMNS, records)


_LEDGER_COLUMNS: Final = (
    _TIME,
    Column("Type", ColumnKind.TEXT, "Deposit, withdrawal, sent, received, liquidation…"),
    Column(
        "Amount",
        ColumnKind.USD,
        "USDC that came into this account (positive) or left it (negative), before any fee.",
    ),
    Column("Fee", ColumnKind.USD, "Fee this account paid on top of the amount."),
    Column(
        "Counterparty", ColumnKind.TEXT, "The other account (or vault) money went to or came from."
    ),
    Column("Details", ColumnKind.TEXT),
    _HASH,
)


def _raw_text(raw: Mapping[str, FrozenJson]) -> str:
    return " ".join(f"{key}={_json_text(value)}" for key, value in sorted(raw.items()))


def _json_text(value: FrozenJson) -> str:
    if isinstance(value, Mapping):
        return "{" + _raw_text(value) + "}"
    if isinstance(value, tuple):
        return "[" + ",".join(_json_text(v) for v in value) + "]"
    return "" if value is None else str(value)


def ledger_sheet(updates: Iterable[LedgerUpdate], me: str) -> Sheet:
    """Deposits, withdrawals, transfers and liquidations (everything that is not funding).

    Each row is :func:`~wallet_perps.core.ledger_lines.ledger_line` for the account ``me``,
    the same rule the Wallet page uses, so both show the same sign, amount and fee. Money
    leaving is negative, so the Amount column minus the Fee column sums to the net cash
    moved. A delta type the app does not model keeps its raw fields in Details.
    """
    records: list[Record] = []
    for update in sorted(updates, key=lambda u: (u.time, u.hash), reverse=True):
        line = ledger_line(update, me)
        details = line.note(with_counterparty=False, with_fee=False)
        if isinstance(update.delta, UnknownDelta):
            details = _raw_text(update.delta.raw)
        records.append(
            _row(
                update.time,
                "",
                "",
                line.what,
                line.amount,
                line.fee,
                line.counterparty or "",
                details,
                update.hash,
            )
        )
    return Sheet("deposits-withdrawals", _LEDGER_COLUMNS, tuple(records))


# ----------------------------------------------------------------------------------- writer


def _csv_cell(cell: Cell) -> str:
    text = _plain(cell)
    if isinstance(cell, str) and text.startswith(_FORMULA_STARTS):
        return "'" + text
    return text


def to_csv(sheet: Sheet) -> str:
    """The sheet as CSV text (header first, ``\\r\\n`` line ends as RFC 4180 says).

    Write it with ``newline=""`` so the line ends are kept as they are.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(sheet.header)
    for record in sheet.records:
        writer.writerow([_csv_cell(cell) for cell in record.cells])
    return buffer.getvalue()

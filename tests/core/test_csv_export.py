"""History sheets and the CSV writer: raw exact values, filters, and formula-safe text."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from types import MappingProxyType

from tests.ledger_samples import ME, OTHER
from wallet_perps.core.csv_export import (
    HistoryFilter,
    fill_sheet,
    format_time,
    funding_sheet,
    ledger_sheet,
    order_sheet,
    to_csv,
)
from wallet_perps.core.ledger import Deposit, InternalTransfer, LedgerUpdate, UnknownDelta, Withdraw
from wallet_perps.core.models import Fill, FundingPayment, Side
from wallet_perps.core.orders import KnownOrderStatus, OpenOrder, OrderStatus

D = Decimal
T0 = 1_735_689_600_000  # 2025-01-01T00:00:00Z


def fill(time: int, coin: str = "BTC", side: Side = Side.BUY, oid: int = 7) -> Fill:
    return Fill(
        coin=coin,
        px=D("97123.5"),
        sz=D("0.00103"),
        side=side,
        time=time,
        start_position=D(0),
        dir="Open Long" if side is Side.BUY else "Open Short",
        closed_pnl=D("0.0"),
        hash="0xabc",
        oid=oid,
        crossed=True,
        fee=D("0.045017"),
        tid=99,
    )


def rows_of(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def test_fills_are_written_exactly_newest_first() -> None:
    sheet = fill_sheet([fill(T0), fill(T0 + 1000, "ETH", Side.SELL, 8)])
    text = to_csv(sheet)
    assert text.endswith("\r\n")
    rows = rows_of(text)
    assert rows[0] == list(sheet.header)
    assert rows[0][:5] == ["Time (UTC)", "Market", "Side", "Direction", "Price"]
    assert rows[1][:3] == ["2025-01-01T00:00:01.000Z", "ETH", "Sell"]
    btc = dict(zip(rows[0], rows[2], strict=True))
    assert btc["Price"] == "97123.5" and btc["Size"] == "0.00103"
    assert btc["Value"] == str(D("97123.5") * D("0.00103"))  # exact, not rounded
    assert btc["Fee"] == "0.045017" and btc["Closed PnL"] == "0.0"
    assert btc["Order ID"] == "7" and btc["Trade ID"] == "99" and btc["Hash"] == "0xabc"


def test_filters_by_market_side_text_and_dates() -> None:
    sheet = fill_sheet(
        [fill(T0, oid=1), fill(T0 + 60_000, "ETH", Side.SELL, 2), fill(T0 + 120_000, oid=3)]
    )
    assert len(sheet.filtered(HistoryFilter())) == 3
    assert [r.cells[9] for r in sheet.filtered(HistoryFilter(coin="BTC")).records] == [3, 1]
    assert [r.coin for r in sheet.filtered(HistoryFilter(side="sell")).records] == ["ETH"]
    assert len(sheet.filtered(HistoryFilter(text="open short"))) == 1  # case-blind
    assert len(sheet.filtered(HistoryFilter(text="97123.5"))) == 3
    assert len(sheet.filtered(HistoryFilter(text="nothing like it"))) == 0
    window = HistoryFilter(start_ms=T0 + 60_000, end_ms=T0 + 120_000)  # end is exclusive
    assert [r.coin for r in sheet.filtered(window).records] == ["ETH"]


def test_account_wide_rows_pass_market_and_side_filters() -> None:
    deposit = LedgerUpdate(T0, "0xdep", Deposit(D("1000")))
    sheet = ledger_sheet([deposit], ME)
    assert len(sheet.filtered(HistoryFilter(coin="BTC", side="buy"))) == 1


def test_orders_with_status_words_and_filled_size() -> None:
    order = OpenOrder(
        coin="BTC",
        side=Side.BUY,
        limit_px=D("101000"),
        sz=D("0"),
        oid=42,
        timestamp=T0,
        orig_sz=D("0.002"),
        cloid="0x" + "1" * 32,
        reduce_only=False,
        order_type="Market",
        tif="FrontendMarket",
    )
    canceled = OrderStatus(
        OpenOrder("ETH", Side.SELL, D("3000"), D("0.1"), 43, T0), "marginCanceled", T0 + 5
    )
    sheet = order_sheet([OrderStatus(order, KnownOrderStatus.FILLED, T0 + 10), canceled])
    rows = rows_of(to_csv(sheet))
    first = dict(zip(rows[0], rows[1], strict=True))
    assert first["Status"] == "Filled" and first["Type"] == "Market"
    assert first["Size"] == "0.002" and first["Filled"] == "0.002"
    assert first["Order ID"] == "42" and first["Reduce only"] == "no"
    second = dict(zip(rows[0], rows[2], strict=True))
    assert second["Status"] == "Margin canceled" and second["Filled"] == ""
    assert second["Side"] == "Sell" and second["Reduce only"] == ""


def test_funding_rows_are_signed_and_filter_long_as_buy() -> None:
    payments = [
        FundingPayment(T0, "BTC", D("-0.0125"), D("0.01"), D("0.0000125")),
        FundingPayment(T0 + 3_600_000, "ETH", D("0.003"), D("-0.5"), D("0.0000125")),
    ]
    sheet = funding_sheet(payments)
    rows = rows_of(to_csv(sheet))
    assert rows[0] == ["Time (UTC)", "Market", "Position", "Rate / h", "Amount"]
    assert rows[1] == ["2025-01-01T01:00:00.000Z", "ETH", "-0.5", "0.0000125", "0.003"]
    assert rows[2][4] == "-0.0125"  # a negative number stays a number, not escaped
    assert [r.coin for r in sheet.filtered(HistoryFilter(side="buy")).records] == ["BTC"]


def test_ledger_rows_are_signed_for_the_viewer_with_fee_and_counterparty() -> None:
    sent = InternalTransfer(D(25), ME, OTHER, D("0.0"))
    updates = [
        LedgerUpdate(T0, "0x1", Deposit(D("1000"))),
        LedgerUpdate(T0 + 1, "0x2", Withdraw(D(25), nonce=5, fee=D("1.0"))),
        LedgerUpdate(T0 + 2, "0x3", sent),
    ]
    rows = rows_of(to_csv(ledger_sheet(updates, ME)))
    assert rows[0] == ["Time (UTC)", "Type", "Amount", "Fee", "Counterparty", "Details", "Hash"]
    assert rows[1][1:] == ["Sent", "-25", "", OTHER, "", "0x3"]  # the viewer sent it
    assert rows[2][1:] == ["Withdrawal", "-25", "1.0", "", "", "0x2"]
    assert rows[3][1:] == ["Deposit", "1000", "", "", "", "0x1"]
    # The same transfer, seen by the receiver, is a credit.
    theirs = rows_of(to_csv(ledger_sheet(updates[2:], OTHER)))
    assert theirs[1][1:] == ["Received", "25", "", ME, "", "0x3"]


def test_an_unknown_ledger_type_keeps_its_raw_fields_and_no_amount() -> None:
    raw = MappingProxyType({"type": "cStakingTransfer", "token": "HYPE", "amount": "10"})
    update = LedgerUpdate(T0, "0x9", UnknownDelta("cStakingTransfer", raw))
    rows = rows_of(to_csv(ledger_sheet([update], ME)))
    assert rows[1][1:] == [
        "C staking transfer",
        "",
        "",
        "",
        "amount=10 token=HYPE type=cStakingTransfer",
        "0x9",
    ]


def test_text_that_looks_like_a_formula_is_escaped() -> None:
    evil = LedgerUpdate(T0, '=HYPERLINK("x")', Deposit(D("1")))
    rows = rows_of(to_csv(ledger_sheet([evil], ME)))
    assert rows[1][6] == '\'=HYPERLINK("x")'


def test_format_time_is_iso_utc_with_milliseconds() -> None:
    assert format_time(T0 + 250) == "2025-01-01T00:00:00.250Z"
    assert format_time(0) == "1970-01-01T00:00:00.000Z"

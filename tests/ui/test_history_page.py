"""The History page against a real venue: a trade's fills and order, the deposit, filters, CSV.

The save dialog is replaced by an ``ask_path`` function (the page's own hook), so the test
clicks the real Export button and reads the file that lands on disk.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import aiohttp
import pytest
from eth_account import Account
from PySide6.QtCore import QDate, Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from tests.ui.qasync_helpers import FAST_WS, funded_session, run_on_qasync, until
from tests.venue_process import VenueProcess, admin_headers
from wallet_perps.core.csv_export import fill_sheet
from wallet_perps.core.models import Fill
from wallet_perps.core.tickets import OrderPlan, Ticket, TicketSide
from wallet_perps.services.session import TradingSession
from wallet_perps.services.trader import KeySigner, OrderResult, OrderState
from wallet_perps.ui.adapter import SessionAdapter
from wallet_perps.ui.pages.history import HistoryPage, visible_texts
from wallet_perps.ui.widgets.order_ticket import format_price, format_size

D = Decimal


@pytest.fixture(scope="module")
def venue() -> Iterator[VenueProcess]:
    process = VenueProcess("--seed", "5")
    yield process
    process.kill()


def test_a_trade_shows_in_fills_and_orders_and_exports_to_csv(
    qtbot: QtBot, venue: VenueProcess, tmp_path: Path
) -> None:
    answers: list[str | None] = []
    exported: list[Fill] = []

    def ask_path() -> str | None:
        return answers.pop(0)

    async def scenario() -> None:
        session = await funded_session(venue.url, "500")
        adapter = SessionAdapter(session)
        page = HistoryPage(adapter, ask_path=ask_path)
        qtbot.addWidget(page)
        page.resize(1100, 760)
        page.show()
        try:
            await run(session, adapter, page)
        finally:
            await adapter.aclose()
            await session.stop()

    async def run(session: TradingSession, adapter: SessionAdapter, page: HistoryPage) -> None:
        assert page.stack.currentWidget() is page.tabs
        # The faucet's deposit is in Deposits & withdrawals.
        ledger = page.tables["ledger"]
        await until(lambda: ledger.records.rows, "the deposit")
        assert visible_texts(ledger)[0][1:3] == ("Deposit", "$500.00")
        assert page.tabs.tabText(3) == "Deposits && withdrawals (1)"  # "&&" shows one "&"
        assert page.tabs.tabText(0) == "Fills (0)"

        # Trade: a $60 market long on BTC.
        await session.market.watch("BTC")
        await until(lambda: session.market.book("BTC") is not None, "the BTC book")
        plan = adapter.plan(Ticket("BTC", TicketSide.LONG, D(60)))
        assert isinstance(plan, OrderPlan), plan
        results: list[OrderResult] = []
        adapter.order_result.connect(results.append)
        adapter.place(plan)
        await until(lambda: results, "the order result", 15)
        assert results[0].state is OrderState.FILLED, results[0]

        fills_table = page.tables["fills"]
        await until(lambda: fills_table.records.rows, "the fills")
        fills = session.account.fills
        assert fills and {f.coin for f in fills} == {"BTC"}
        assert sum((f.sz for f in fills), D(0)) == plan.size
        rows = visible_texts(fills_table)
        assert len(rows) == len(fills)
        for row, fill in zip(rows, fills, strict=True):
            assert row[1:6] == (
                "BTC",
                "Buy",
                "Open Long",
                format_price(fill.px),
                format_size(fill.sz),
            )
        assert page.tabs.tabText(0) == f"Fills ({len(fills)})"

        # The order, fetched from the venue's historical orders, shows as filled.
        orders = page.tables["orders"]
        oid = fills[0].oid
        await until(
            lambda: any(r[-2] == str(oid) and r[7] == "Filled" for r in visible_texts(orders)),
            "the filled order",
        )

        # Filters: another market hides the fills, the order id finds them again.
        page.market_box.setCurrentIndex(page.market_box.findData("ETH"))
        assert fills_table.records.rows == ()
        assert page.tabs.tabText(0) == f"Fills (0 of {len(fills)})"
        assert page.empty_labels["fills"].isVisible()
        page.market_box.setCurrentIndex(0)
        page.search_edit.setFocus()
        QTest.keyClicks(page.search_edit, str(oid))
        assert len(fills_table.records.rows) == len(fills)
        assert len(orders.records.rows) == 1
        QTest.keyClicks(page.search_edit, "999")
        assert fills_table.records.rows == ()
        page.search_edit.clear()
        page.side_box.setCurrentIndex(page.side_box.findData("sell"))
        assert fills_table.records.rows == ()
        page.side_box.setCurrentIndex(0)
        # Custom dates: today keeps the fills, a range that ended yesterday hides them.
        page.period_box.setCurrentIndex(page.period_box.findData(-1))
        assert page.from_edit.isVisible() and page.to_edit.isVisible()
        today = QDate.currentDate()
        page.from_edit.setDate(today)
        page.to_edit.setDate(today)
        assert len(fills_table.records.rows) == len(fills)
        page.from_edit.setDate(today.addDays(-3))
        page.to_edit.setDate(today.addDays(-1))
        assert fills_table.records.rows == ()
        page.period_box.setCurrentIndex(0)
        assert not page.from_edit.isVisible()
        assert len(fills_table.records.rows) == len(fills)

        # Export the fills by clicking the button (the file is checked after the loop).
        page.tabs.setCurrentIndex(0)
        target = tmp_path / "my-fills"
        answers.append(str(target))
        QTest.mouseClick(page.export_button, Qt.MouseButton.LeftButton)
        written = tmp_path / "my-fills.csv"
        assert (
            page.status_label.text()
            == f"Saved {len(fills)} row{'s' if len(fills) > 1 else ''} to {written}"
        )
        exported.extend(fills)

        # Cancelling the dialog writes nothing.
        answers.append(None)
        page.export_button.click()
        assert page.status_label.text() == "Export cancelled."

    run_on_qasync(qtbot, scenario)

    # The file holds exactly the venue's fills, unrounded; the cancelled export wrote nothing.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["my-fills.csv"]
    with (tmp_path / "my-fills.csv").open(newline="", encoding="utf-8") as handle:
        lines = list(csv.reader(handle))
    assert tuple(lines[0]) == fill_sheet(()).header
    header = lines[0]
    body = [dict(zip(header, line, strict=True)) for line in lines[1:]]
    assert len(body) == len(exported) > 0
    for line, fill in zip(body, exported, strict=True):
        assert line["Market"] == "BTC" and line["Side"] == "Buy"
        assert D(line["Price"]) == fill.px and D(line["Size"]) == fill.sz
        assert D(line["Fee"]) == fill.fee
        assert int(line["Order ID"]) == fill.oid and line["Hash"] == fill.hash
        assert line["Time (UTC)"].endswith("Z")


def test_without_a_wallet_it_asks_to_unlock_then_shows_the_account(
    qtbot: QtBot, venue: VenueProcess
) -> None:
    async def scenario() -> None:
        session = TradingSession(venue.url, contexts_poll_s=0, ws_options=FAST_WS)
        await session.start()
        adapter = SessionAdapter(session)
        page = HistoryPage(adapter, ask_path=lambda: None)
        qtbot.addWidget(page)
        page.show()
        try:
            assert page.stack.currentWidget() is page.unlock_label
            assert page.unlock_label.isVisible()
            assert page.unlock_label.text().startswith("Unlock your wallet to see your fills")
            assert not page.export_button.isEnabled()
            assert page.export_csv() is None

            # Unlocking attaches the account: the page redraws with its history.
            account = Account.create()
            user = account.address.lower()
            async with (
                aiohttp.ClientSession() as http,
                http.post(
                    f"{venue.url}/sim/faucet",
                    json={"user": user, "usdc": "250"},
                    headers=admin_headers(venue.url),
                ) as resp,
            ):
                assert (await resp.json()) == {"status": "ok"}
            await session.open_account(KeySigner(bytes(account.key)), user)
            await until(lambda: page.stack.currentWidget() is page.tabs, "the history tabs")
            assert page.export_button.isEnabled()
            ledger = page.tables["ledger"]
            await until(lambda: ledger.records.rows, "the deposit")
            assert visible_texts(ledger)[0][1:3] == ("Deposit", "$250.00")
            assert page.empty_labels["fills"].text().startswith("No fills yet")

            # Locking again hides it.
            await session.close_account()
            await until(lambda: page.stack.currentWidget() is page.unlock_label, "the unlock note")
        finally:
            await adapter.aclose()
            await session.stop()

    run_on_qasync(qtbot, scenario)

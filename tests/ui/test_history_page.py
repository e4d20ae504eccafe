"""The History page against a real venue: a trade's fills and order, the deposit, filters, CSV.

The save dialog is replaced by an ``ask_path`` function (the page's own hook), so the test
clicks the real Export button and reads the file that lands on disk.
"""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

from eth_account import Account
from PySide6.QtCore import QDate, Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from tests.ui.qasync_helpers import funded_session, locked_session, run_on_qasync, until
from tests.venue_process import VenueProcess, faucet
from wallet_perps.core.csv_export import fill_sheet, ledger_sheet
from wallet_perps.core.display import format_price, format_size, short_address
from wallet_perps.core.ledger import LedgerUpdate
from wallet_perps.core.models import Fill
from wallet_perps.core.tickets import OrderPlan, Ticket, TicketSide
from wallet_perps.hyperliquid.actions import usd_send_action
from wallet_perps.hyperliquid.sender import KeySigner
from wallet_perps.hyperliquid.signing import sign_user_action
from wallet_perps.services.session import TradingSession
from wallet_perps.services.trader_results import OrderResult, OrderState
from wallet_perps.ui.adapter import SessionAdapter
from wallet_perps.ui.pages.history import HistoryPage, visible_texts
from wallet_perps.ui.pages.wallet import describe_ledger

D = Decimal


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
        # A market order says so (it went out as FrontendMarket; it used to read "Limit" at
        # its slippage bound).
        [order_row] = [r for r in visible_texts(orders) if r[-2] == str(oid)]
        assert order_row[3] == "Market"

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
        session = await locked_session(venue.url)
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
            await faucet(venue.url, user, "250")
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


def test_an_outgoing_transfer_is_a_debit_in_history_wallet_and_csv(
    qtbot: QtBot, venue: VenueProcess, tmp_path: Path
) -> None:
    """Issue 16: a usdSend of 25 showed "Sent -$25.00" on Wallet but "+25" in History/CSV."""
    target = tmp_path / "ledger.csv"
    receiver = Account.create().address.lower()
    received: list[LedgerUpdate] = []

    async def scenario() -> None:
        sender = Account.create()
        me = sender.address.lower()
        session = await funded_session(venue.url, "100", account=sender)
        adapter = SessionAdapter(session)
        page = HistoryPage(adapter, ask_path=lambda: str(target))
        qtbot.addWidget(page)
        page.show()
        try:
            ledger = page.tables["ledger"]
            await until(lambda: ledger.records.rows, "the deposit")
            nonce = session.nonces.next_nonce(me)
            action = usd_send_action(receiver, D(25), nonce, is_mainnet=False)
            signature = sign_user_action(bytes(sender.key), action)
            await session.http.exchange(
                {"action": action, "nonce": nonce, "signature": dict(signature)}
            )
            await until(lambda: len(ledger.records.rows) == 2, "the transfer in History")
            assert visible_texts(ledger)[0][1:5] == ("Sent", "-$25.00", "", receiver)
            # The Wallet page words the same row the same way.
            sent = adapter.ledger()[0]
            assert describe_ledger(sent, me) == ("Sent", "-$25.00", f"to {short_address(receiver)}")
            page.tabs.setCurrentIndex(3)
            assert page.export_csv() == target
            received.extend(await session.http.user_non_funding_ledger_updates(receiver, 0))
        finally:
            await adapter.aclose()
            await session.stop()

    run_on_qasync(qtbot, scenario)

    with target.open(newline="", encoding="utf-8") as handle:
        lines = list(csv.DictReader(handle))
    assert [(r["Type"], r["Amount"]) for r in lines] == [("Sent", "-25"), ("Deposit", "100")]
    assert lines[0]["Counterparty"] == receiver
    # The receiver's own view of the same transfer is a credit, on every screen.
    assert [u.type for u in received] == ["internalTransfer"]
    [row] = ledger_sheet(received, receiver).records
    assert row.cells[1:3] == ("Received", D(25))
    assert describe_ledger(received[0], receiver)[:2] == ("Received", "+$25.00")


def test_an_answer_for_a_wallet_no_longer_unlocked_is_not_drawn(
    qtbot: QtBot, venue: VenueProcess
) -> None:
    """Past orders asked for one account and answered after a lock or a switch of wallet
    would be drawn as the next account's: the adapter drops them."""

    async def scenario() -> None:
        session = await funded_session(venue.url, "100")
        adapter = SessionAdapter(session)
        try:
            answers: list[object] = []
            adapter.load_historical_orders(answers.append, answers.append)
            # The switch comes before the answer (the query has not even started yet).
            other = Account.create()
            await session.open_account(KeySigner(bytes(other.key)), other.address.lower())
            await adapter.wait_idle()
            assert answers == []
            adapter.load_historical_orders(answers.append, answers.append)
            await until(lambda: answers, "the new account's orders")
            assert answers == [[]]  # a fresh account has none
        finally:
            await adapter.aclose()
            await session.stop()

    run_on_qasync(qtbot, scenario)

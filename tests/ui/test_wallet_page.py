"""The Wallet page against a real venue process, with a wallet kept in the real OS keyring.

What a user would notice: before unlocking, the page says so and offers nothing to press;
after, the big numbers are exactly the venue's margin summary; a Send to a mistyped address is
stopped inside the dialog with the reason next to the field and nothing leaves the account; a
good Send arrives and the page says so in words; the QR code is the address; Deposit on the
demo venue adds paper USDC, and elsewhere explains how to fund from Arbitrum. When the answer
to a withdrawal is garbled or lost, the page says in amber that it may have gone through (not
a red failure inviting a retry), then what the ledger showed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence
from decimal import Decimal

import pytest
import segno
from eth_account import Account
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from tests.answer_proxy import AnswerProxy
from tests.ui.qasync_helpers import FAST_WS, locked_session, run_on_qasync, until
from tests.venue_process import VenueProcess
from tests.wallet.conftest import PASSWORD
from wallet_perps.core.display import format_usd
from wallet_perps.core.models import AccountState
from wallet_perps.core.networks import ws_url_for
from wallet_perps.core.orders import OpenOrder
from wallet_perps.core.ticket_replay import available_to_trade
from wallet_perps.core.tickets import OrderKind, OrderPlan, Ticket, TicketSide
from wallet_perps.hyperliquid.sender import KeySigner
from wallet_perps.services.session import TradingSession
from wallet_perps.services.trader_results import OrderState
from wallet_perps.services.transfers import Transfers, demo_deposit
from wallet_perps.ui.adapter import SessionAdapter
from wallet_perps.ui.pages.wallet import WalletPage
from wallet_perps.ui.pages.wallet_dialogs import DepositDialog, TransferDialog
from wallet_perps.wallet.keystore import Keystore
from wallet_perps.wallet.secret_storage import TEST_ONLY_FAST_SCRYPT
from wallet_perps.wallet.unlocked import UnlockedWallet

pytestmark = pytest.mark.keyring  # wallets are stored in the real Secret Service

D = Decimal


@pytest.fixture
def wallet() -> Iterator[UnlockedWallet]:
    keystore = Keystore(scrypt=TEST_ONLY_FAST_SCRYPT)
    info, phrase = keystore.create_demo_wallet(PASSWORD)
    phrase.wipe()
    yield keystore.unlock(info.address, PASSWORD)
    keystore.lock()


def expected_numbers(state: AccountState, orders: Sequence[OpenOrder]) -> dict[str, str]:
    """What the page must show for ``state``, formatted the way people read it."""
    return {
        "value": format_usd(state.margin_summary.account_value),
        # What resting orders hold comes off too, as on the Trade ticket (one rule, in core).
        "available": format_usd(max(D(0), available_to_trade(state, orders))),
        "withdrawable": format_usd(state.withdrawable),
        "pnl": format_usd(sum((p.unrealized_pnl for p in state.positions), D(0))),
        "margin": format_usd(state.margin_summary.total_margin_used),
    }


def shown_numbers(page: WalletPage) -> dict[str, str]:
    return {
        "value": page.account_value_label.text(),
        "available": page.available_stat.value.text(),
        "withdrawable": page.withdrawable_stat.value.text(),
        "pnl": page.pnl_stat.value.text(),
        "margin": page.margin_label.text().split(" of ")[0],
    }


def shown_wallet_page(qtbot: QtBot, session: TradingSession) -> tuple[SessionAdapter, WalletPage]:
    """The Wallet page on ``session``'s adapter, shown at the size every test here uses."""
    adapter = SessionAdapter(session)
    page = WalletPage(adapter)
    qtbot.addWidget(page)
    page.resize(1100, 760)
    page.show()
    return adapter, page


async def matches_venue(page: WalletPage, session: TradingSession, timeout_s: float = 15) -> None:
    """Marks move four times a second: compare against fresh venue snapshots until one agrees."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    last: tuple[dict[str, str], dict[str, str]] | None = None
    while asyncio.get_running_loop().time() < deadline:
        state = await session.http.clearinghouse_state(session.user)
        want = expected_numbers(state, await session.http.frontend_open_orders(session.user))
        for _ in range(8):  # the stream may be a push behind the snapshot
            page.redraw()
            got = shown_numbers(page)
            if got == want:
                return
            last = (want, got)
            await asyncio.sleep(0.03)
    raise AssertionError(f"page never matched the venue: {last}")


def test_numbers_are_the_venues_margin_summary_and_appear_on_unlock(
    qtbot: QtBot, venue: VenueProcess
) -> None:
    async def scenario() -> None:
        session = await locked_session(venue.url)
        adapter, page = shown_wallet_page(qtbot, session)
        try:
            # Locked: a clear message, no numbers, nothing to press.
            assert page.locked_label.isVisible()
            assert "Unlock your wallet" in page.locked_label.text()
            assert page.account_value_label.text() == "—"
            assert not page.send_button.isEnabled() and not page.withdraw_button.isEnabled()
            assert not page.deposit_button.isEnabled()
            assert "Unlock your wallet" in page.history_empty.text()

            # Unlocking attaches the account: the page redraws by itself.
            account = Account.create()
            user = account.address.lower()
            await demo_deposit(venue.url, user, D(1000), admin_token=venue.admin_token)
            await session.open_account(KeySigner(bytes(account.key)), user)
            await until(lambda: page.account_value_label.text() == "$1,000.00", "the balance")
            assert not page.locked_label.isVisible()
            assert page.withdrawable_stat.value.text() == "$1,000.00"
            # A paper wallet is not sold as a real account to send funds to.
            assert "paper account" in page.address_note.text()
            assert "Arbitrum" not in page.address_note.text()
            assert page.margin_bar.value() == 0

            # A $300 long at 10x: margin in use, unrealized PnL, less withdrawable.
            plan = adapter.plan(Ticket("BTC", TicketSide.LONG, D(300), leverage=10))
            assert isinstance(plan, OrderPlan), plan
            result = await session.trader.place(plan)
            assert result.state is OrderState.FILLED, result
            await until(lambda: page.margin_bar.value() > 0, "margin in use", timeout_s=15)
            await matches_venue(page, session)
            # About $30 of $1,000 is in use: the bar is about 3% full, and says so.
            assert 20 <= page.margin_bar.value() <= 40, page.margin_bar.value()
            assert page.margin_label.text().endswith("%)")
            assert page.margin_bar.property("level") == "ok"
            assert page.withdrawable_stat.value.text() != "$1,000.00"

            # A resting $200 buy, far under the market, holds $20 more at 10x: "Available to
            # trade" says so, the same number the Trade ticket offers.
            before = page.available_stat.value.text()
            btc = adapter.context("BTC")
            assert btc is not None
            bid = Ticket(
                "BTC",
                TicketSide.LONG,
                D(200),
                leverage=10,
                kind=OrderKind.LIMIT,
                limit_px=(btc.mark_px * D("0.8")).quantize(D(1)),
            )
            resting = adapter.plan(bid)
            assert isinstance(resting, OrderPlan), resting
            result = await session.trader.place(resting)
            assert result.state is OrderState.RESTING, result
            await until(lambda: page.available_stat.value.text() != before, "the held margin")
            await matches_venue(page, session)
        finally:
            await adapter.aclose()
            await session.stop()

    run_on_qasync(qtbot, scenario)


def test_send_refuses_a_bad_address_inline_then_sends_to_a_good_one(
    qtbot: QtBot, venue: VenueProcess, wallet: UnlockedWallet
) -> None:
    async def scenario() -> None:
        await demo_deposit(venue.url, wallet.address, D(1000), admin_token=venue.admin_token)
        # The session reads the wallet's account; it places no orders here.
        session = TradingSession(
            venue.url,
            KeySigner(bytes(Account.create().key)),
            wallet.address.lower(),
            contexts_poll_s=0,
            ws_options=FAST_WS,
        )
        await session.start()
        adapter, page = shown_wallet_page(qtbot, session)
        transfers = Transfers(session.http, wallet, "local", session.nonces)

        async def deposit(usd: Decimal) -> None:
            await demo_deposit(venue.url, wallet.address, usd, admin_token=venue.admin_token)

        page.set_wallet(wallet.address, "Demo", "local", "No agent wallet yet.")
        page.set_transfers(transfers, deposit)
        friend = Account.create().address.lower()
        try:
            await until(lambda: page.send_button.isEnabled(), "the Send button")
            assert page.withdrawable_stat.value.text() == "$1,000.00"
            before = await session.http.user_rate_limit(wallet.address)

            # A mistyped address: the reason sits under the field; nothing is sent.
            page.send_button.click()
            dialog = page.dialog
            assert isinstance(dialog, TransferDialog) and dialog.isVisible()
            QTest.keyClicks(dialog.destination_edit, friend[:-3])
            QTest.keyClicks(dialog.amount_edit, "25")
            dialog.review_button.click()
            assert dialog.destination_error.isVisible()
            assert "40 hex digits" in dialog.destination_error.text()
            assert dialog.destination_edit.property("error") is True
            assert dialog.stack.currentIndex() == 0  # still on the form
            QTest.keyClick(dialog.amount_edit, Qt.Key.Key_Return)  # Enter reviews: same answer
            assert dialog.stack.currentIndex() == 0 and dialog.isVisible()
            # More than the account has: refused in words, also inline.
            dialog.amount_edit.clear()
            QTest.keyClicks(dialog.amount_edit, "5000")
            dialog.review_button.click()
            assert "At most $1,000.00" in dialog.amount_error.text()
            dialog.reject()
            await asyncio.sleep(0.5)
            assert (await session.http.clearinghouse_state(wallet.address)).withdrawable == 1000
            ledger = await session.http.user_non_funding_ledger_updates(wallet.address, 0)
            assert [u.type for u in ledger] == ["deposit"]
            after = await session.http.user_rate_limit(wallet.address)
            assert after.n_requests_used == before.n_requests_used
            assert not page.result_label.isVisible()

            # The right address: review, confirm, progress on the button, result in words.
            page.send_button.click()
            dialog = page.dialog
            assert isinstance(dialog, TransferDialog)
            QTest.keyClicks(dialog.destination_edit, friend)
            QTest.keyClicks(dialog.amount_edit, "25")
            dialog.review_button.click()
            assert dialog.stack.currentIndex() == 1
            assert "$25.00" in dialog.summary_label.text() and friend in dialog.summary_label.text()
            dialog.confirm_button.click()
            assert page.send_button.text() == "Sending…" and not page.send_button.isEnabled()
            await until(lambda: page.result_label.text().startswith("Sent"), "the result")
            assert page.result_label.text() == f"Sent $25.00 to {friend[:6]}…{friend[-4:]}."
            assert page.result_label.property("role") == "long"
            assert page.send_button.text() == "Send" and page.send_button.isEnabled()
            friend_state = await session.http.clearinghouse_state(friend)
            assert friend_state.margin_summary.account_value == 25
            await until(lambda: page.account_value_label.text() == "$975.00", "the new balance")
            await until(lambda: page.history_table.rowCount() == 2, "the transfer in the list")
            row = [page.history_table.item(0, c).text().strip() for c in range(4)]
            assert row[1:] == ["Sent", "-$25.00", f"to {friend[:6]}…{friend[-4:]}"], row
            assert page.history_table.item(1, 1).text() == "Deposit"

            # Deposit on the demo venue: paper USDC through the app's deposit callable.
            page.deposit_button.click()
            deposit_dialog = page.dialog
            assert isinstance(deposit_dialog, DepositDialog)
            assert deposit_dialog.amount_edit is not None
            deposit_dialog.amount_edit.clear()
            QTest.keyClicks(deposit_dialog.amount_edit, "500")
            deposit_dialog.deposit_button.click()
            await until(lambda: page.result_label.text() == "Added $500.00 of paper USDC.", "ok")
            await until(lambda: page.account_value_label.text() == "$1,475.00", "the deposit")
            await until(lambda: page.history_table.rowCount() == 3, "the deposit in the list")
            assert page.history_table.item(0, 2).text() == "+$500.00"

            # The QR code is the address; Copy puts it on the clipboard.
            assert page.qr.text == wallet.address
            assert page.qr.matrix == tuple(
                tuple(bool(m) for m in row) for row in segno.make(wallet.address).matrix
            )
            assert not page.qr.pixmap().isNull()
            page.copy_button.click()
            assert QGuiApplication.clipboard().text() == wallet.address
            assert "agent key" in page.agent_explain_label.text()
            assert page.agent_status_label.text() == "No agent wallet yet."

            # On testnet there is no faucet: Deposit explains Arbitrum instead.
            page.set_wallet(wallet.address, "Demo", "testnet", "No agent wallet yet.")
            assert "Hyperliquid testnet" in page.address_note.text()
            assert page.deposit_button.isEnabled()
            page.deposit_button.click()
            testnet_dialog = page.dialog
            assert isinstance(testnet_dialog, DepositDialog)
            assert testnet_dialog.amount_edit is None
            texts = " ".join(w.text() for w in testnet_dialog.findChildren(QLabel))
            assert "testnet faucet" in texts and "Never send real USDC" in texts
            testnet_dialog.reject()
        finally:
            await page.wait_idle()
            await adapter.aclose()
            await session.stop()

    run_on_qasync(qtbot, scenario)


def test_an_unclear_withdrawal_shows_may_have_gone_through_then_what_the_ledger_says(
    qtbot: QtBot, venue: VenueProcess, wallet: UnlockedWallet
) -> None:
    async def scenario() -> None:
        await demo_deposit(venue.url, wallet.address, D(500), admin_token=venue.admin_token)
        async with AnswerProxy(venue.url) as proxy:
            # Requests go through the proxy, which spoils /exchange answers; the stream is direct.
            session = TradingSession(
                proxy.url,
                KeySigner(bytes(Account.create().key)),
                wallet.address.lower(),
                contexts_poll_s=0,
                ws_options=FAST_WS,
                ws_url=ws_url_for(venue.url),
            )
            await session.start()
            adapter, page = shown_wallet_page(qtbot, session)
            page.set_wallet(wallet.address, "Demo", "local", "No agent wallet yet.")
            try:
                await until(lambda: page.withdrawable_stat.value.text() == "$500.00", "balance")

                # Garbage comes back at once; the withdrawal reaches the venue 1.5 s later.
                transfers = Transfers(
                    session.http, wallet, "local", session.nonces, reconcile_timeout_s=20
                )
                page.set_transfers(transfers, None)
                proxy.mode, proxy.late_s = "late", 1.5
                page.start_transfer("withdraw", wallet.address, D(120))
                await until(
                    lambda: "may have gone through" in page.result_label.text(), "the first word"
                )
                assert page.result_label.property("role") == "warning"  # amber, not red
                assert "Checking your account's ledger" in page.result_label.text()
                assert not page.withdraw_button.isEnabled()  # no retry while it is checked
                await until(
                    lambda: page.result_label.text().startswith("Withdrew $120.00"),
                    "the ledger's answer",
                    timeout_s=20,
                )
                assert "ledger shows it went through" in page.result_label.text()
                assert page.result_label.property("role") == "long"
                assert proxy.forwarded == ["withdraw3"]  # sent once
                await until(
                    lambda: page.withdrawable_stat.value.text() == "$379.00", "the new balance"
                )

                # Lost before it reached the venue: it stays "may have gone through", in amber.
                page.set_transfers(
                    Transfers(session.http, wallet, "local", session.nonces, reconcile_timeout_s=1),
                    None,
                )
                proxy.mode = "drop"
                page.start_transfer("withdraw", wallet.address, D(50))
                await until(lambda: page.withdraw_button.isEnabled(), "the end of the check")
                text = page.result_label.text()
                assert "may have gone through" in text and "before trying again" in text, text
                assert page.result_label.property("role") == "warning"
                assert proxy.forwarded == ["withdraw3"]
                assert (await session.http.clearinghouse_state(wallet.address)).withdrawable == 379
            finally:
                await page.wait_idle()
                await adapter.aclose()
                await session.stop()

    run_on_qasync(qtbot, scenario)

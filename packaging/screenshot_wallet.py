"""Screenshots of the Wallet and Settings pages on a live local venue.

``screenshot_wallet.py WALLET.png [SETTINGS.png]``

Why a script: how the page reads (the big number first, the margin bar, the QR code's quiet
zone, the agent explanation) can only be judged on a picture of the real thing. It starts a
local venue with synthetic traders, creates a throwaway demo wallet (fast scrypt, under a
temporary WALLET_PERPS_HOME, deleted again at the end), funds it, approves an agent, opens a
BTC long so margin and PnL are real, and saves PNGs of both pages. Run it under
``xvfb-run -a`` on a machine without a display, and inside ``dbus-run-session -- bash
packaging/with_keyring.sh`` when there is no Secret Service keyring.
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import qasync
from PySide6.QtWidgets import QApplication

REPO = Path(__file__).resolve().parents[1]


def start_venue() -> tuple[subprocess.Popen[str], str]:
    cmd = [sys.executable, "-m", "wallet_perps.localvenue.cli", "--port", "0", "--seed", "7"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, cwd=REPO)
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    if not line.startswith("http://"):
        proc.kill()
        raise SystemExit(f"venue did not start: {line!r}")
    return proc, line


def style_sheet() -> str:
    """The app's dark theme plus this page's rules (until they are merged into theme.qss)."""
    from wallet_perps.ui.theme import palette
    from wallet_perps.ui.theme import style_sheet as base

    colours = palette("dark")
    extra = "\n".join(
        (REPO / "resources" / name).read_text(encoding="utf-8")
        for name in ("wallet.qss", "settings.qss")
    )
    extra = re.sub(r"@([a-z-]+)", lambda m: colours.get(m.group(1), m.group(0)), extra)
    return base("dark") + "\n" + extra


class AgentSigner:
    """Signs orders with the wallet's approved agent, as the app does."""

    def __init__(self, wallet: Any) -> None:
        self._wallet = wallet

    @property
    def address(self) -> str:
        return str(self._wallet.signer_address("local"))

    def sign_l1(
        self,
        action: Mapping[str, Any],
        nonce: int,
        *,
        is_mainnet: bool,
        expires_after: int | None = None,
    ) -> Mapping[str, Any]:
        signature: Mapping[str, Any] = self._wallet.sign_l1_action(
            action, nonce, network="local", expires_after=expires_after
        )
        return signature


async def shoot(url: str, wallet_out: Path, settings_out: Path | None) -> None:
    from wallet_perps.config import Settings
    from wallet_perps.core.tickets import OrderPlan, Ticket, TicketSide
    from wallet_perps.services.session import TradingSession
    from wallet_perps.services.transfers import Transfers, demo_deposit
    from wallet_perps.ui.adapter import SessionAdapter
    from wallet_perps.ui.main_window import MainWindow
    from wallet_perps.ui.pages.settings import SettingsPage
    from wallet_perps.ui.pages.wallet import WalletPage
    from wallet_perps.wallet.agents import AgentWallets
    from wallet_perps.wallet.keystore import Keystore
    from wallet_perps.wallet.secret_storage import TEST_ONLY_FAST_SCRYPT

    keystore = Keystore(scrypt=TEST_ONLY_FAST_SCRYPT)
    info, phrase = keystore.create_demo_wallet("screenshot-password")
    phrase.wipe()
    wallet = keystore.unlock(info.address, "screenshot-password")
    window = MainWindow("local")
    window.resize(1360, 860)
    window.show()
    session = TradingSession(url, AgentSigner(wallet), wallet.address.lower(), False)
    adapter: SessionAdapter | None = None
    try:
        await demo_deposit(url, wallet.address, Decimal(1000))
        await session.start()
        agents = AgentWallets(keystore, nonces=session.nonces)
        await agents.ensure(wallet, "local", session.http.exchange)
        adapter = SessionAdapter(session)
        adapter.connection_changed.connect(window.set_connection)
        window.set_address(wallet.address)
        window.set_connection(adapter.connected, adapter.latency_ms)
        page = WalletPage(adapter)
        window.set_page("wallet", page)
        window.show_page("wallet")
        transfers = Transfers(session.http, wallet, "local", session.nonces)

        async def deposit(usd: Decimal) -> None:
            await demo_deposit(url, wallet.address, usd)

        record = wallet.info.agents["local"]
        page.set_wallet(
            wallet.address,
            info.label,
            "local",
            f"Agent {record.address[:6]}…{record.address[-4:]} approved, valid 90 more days.",
        )
        page.set_transfers(transfers, deposit)
        plan = adapter.plan(Ticket("BTC", TicketSide.LONG, Decimal(3000), leverage=10))
        if isinstance(plan, OrderPlan):
            print(await session.trader.place(plan))
        else:
            print("no order:", plan)
        page.start_transfer("send", "0x8ba1f109551bd432803012645ac136ddd64dba72", Decimal(25))
        await page.wait_idle()
        await asyncio.sleep(2.5)  # live updates
        window.grab().save(str(wallet_out))
        print(wallet_out)
        # The Send dialog with a mistyped address, and the review step of a good one.
        dialog = page.open_transfer("send")
        if dialog is not None:
            dialog.destination_edit.setText("0x8ba1f109551bd432803012645ac136ddd64dba7")
            dialog.amount_edit.setText("5000")
            dialog.review()
            await asyncio.sleep(0.3)
            form_out = wallet_out.with_name(wallet_out.stem + "_send.png")
            dialog.grab().save(str(form_out))
            print(form_out)
            dialog.destination_edit.setText("0x8ba1f109551bd432803012645ac136ddd64dba72")
            dialog.amount_edit.setText("25")
            dialog.review()
            await asyncio.sleep(0.3)
            review_out = wallet_out.with_name(wallet_out.stem + "_review.png")
            dialog.grab().save(str(review_out))
            print(review_out)
            dialog.reject()
        if settings_out is not None:
            settings_page = SettingsPage(Settings.load(), confirm=lambda _t, _x: False)
            settings_page.set_agent_status(
                f"Agent {record.address[:6]}…{record.address[-4:]} approved, valid 90 more days."
            )
            settings_page.set_idle_lock_minutes(keystore.idle_lock_minutes)
            window.set_page("settings", settings_page)
            window.show_page("settings")
            await asyncio.sleep(0.5)
            window.grab().save(str(settings_out))
            print(settings_out)
    finally:
        if adapter is not None:
            await adapter.aclose()
        await session.stop()
        keystore.lock()
        keystore.delete_wallet(info.address, confirmed=True)


def main() -> int:
    wallet_out = Path(sys.argv[1] if len(sys.argv) > 1 else "wallet.png").resolve()
    settings_out = Path(sys.argv[2]).resolve() if len(sys.argv) > 2 else None
    with tempfile.TemporaryDirectory(prefix="wallet-perps-shot-") as home:
        os.environ["WALLET_PERPS_HOME"] = home  # settings and wallet list stay throwaway
        proc, url = start_venue()
        try:
            app = QApplication(sys.argv[:1])
            app.setStyleSheet(style_sheet())
            loop = qasync.QEventLoop(app)
            try:
                loop.run_until_complete(shoot(url, wallet_out, settings_out))
            finally:
                loop.close()
        finally:
            proc.kill()
            proc.wait(10)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

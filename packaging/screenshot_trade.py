"""Screenshot of the Trade page on live local-venue data: ``screenshot_trade.py OUT.png``.

Why a script: the look of the page (alignment, colours, what a new user sees first) can only
be judged on a picture of the real thing. It starts a local venue with synthetic traders,
funds a fresh paper account, opens the main window on the Trade page, waits for live prices
and saves a PNG. Run it under ``xvfb-run -a`` on a machine without a display.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import aiohttp
import qasync
from eth_account import Account
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from wallet_perps.services.session import TradingSession
from wallet_perps.services.trader import KeySigner
from wallet_perps.ui.adapter import SessionAdapter
from wallet_perps.ui.main_window import MainWindow
from wallet_perps.ui.pages.trade import TradePage
from wallet_perps.ui.theme import style_sheet

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


async def shoot(window: MainWindow, url: str, out: Path) -> None:
    account = Account.create()
    user = account.address.lower()
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{url}/sim/faucet", json={"user": user, "usdc": "1000"}) as resp,
    ):
        resp.raise_for_status()
    session = TradingSession(url, KeySigner(bytes(account.key)), user, False)
    await session.start()
    adapter = SessionAdapter(session)
    adapter.connection_changed.connect(window.set_connection)
    window.set_address(user)
    window.set_connection(adapter.connected, adapter.latency_ms)
    page = TradePage(adapter)
    window.set_page("trade", page)
    window.show_page("trade")
    try:
        for _ in range(200):  # up to 20 s for ten levels of live bids
            if page.book.bid_rows[9][0].text():
                break
            await asyncio.sleep(0.1)
        QTest.keyClicks(page.ticket.amount_edit, "250")
        await asyncio.sleep(2.0)  # a few live updates
        window.grab().save(str(out))
        print(out)
    finally:
        await adapter.aclose()
        await session.stop()


def main() -> int:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "trade.png").resolve()
    proc, url = start_venue()
    try:
        app = QApplication(sys.argv[:1])
        app.setStyleSheet(style_sheet("dark"))
        window = MainWindow("local")
        window.resize(1360, 860)
        window.show()
        loop = qasync.QEventLoop(app)
        try:
            loop.run_until_complete(shoot(window, url, out))
        finally:
            loop.close()
    finally:
        proc.kill()
        proc.wait(10)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

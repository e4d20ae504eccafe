"""Screenshots of the Trade page on live local-venue data: ``screenshot_trade.py OUT.png``.

Why a script: the look of the page (alignment, colours, what a new user sees first) can only
be judged on a picture of the real thing. It starts a local venue with synthetic traders and
a clock running 30 times faster (so one-minute candles pile up in seconds), funds a fresh
paper account, opens the main window on the Trade page, opens a small long and rests a limit
order (so the chart shows entry, liquidation and order lines), and saves:

* ``OUT.png``: the page with chart, book, recent trades and a filled-in ticket;
* ``OUT-confirm.png``: the confirmation sheet over it;
* ``OUT-picker.png``: the market picker popup (Ctrl+K) searching "e".

Run it under ``xvfb-run -a`` on a machine without a display.
"""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import aiohttp
import qasync
from eth_account import Account
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from wallet_perps.core.tickets import OrderPlan
from wallet_perps.services.session import TradingSession
from wallet_perps.services.trader import KeySigner
from wallet_perps.ui.adapter import SessionAdapter
from wallet_perps.ui.main_window import MainWindow
from wallet_perps.ui.pages.trade import TradePage
from wallet_perps.ui.theme import RESOURCES, palette, style_sheet

REPO = Path(__file__).resolve().parents[1]


def start_venue() -> tuple[subprocess.Popen[str], str]:
    cmd = [
        sys.executable,
        "-m",
        "wallet_perps.localvenue.cli",
        "--port",
        "0",
        "--seed",
        "7",
        "--clock-speed",
        "30",
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, cwd=REPO)
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    if not line.startswith("http://"):
        proc.kill()
        raise SystemExit(f"venue did not start: {line!r}")
    return proc, line


def page_style() -> str:
    """theme.qss plus the Trade page's own rules, as the app will merge them."""
    extra = RESOURCES / "trade.qss"
    qss = style_sheet("dark")
    if extra.exists():
        colours = palette("dark")
        text = extra.read_text(encoding="utf-8")
        qss += "\n" + re.sub(r"@([a-z-]+)", lambda m: colours.get(m.group(1), m.group(0)), text)
    return qss


async def wait_for(check: Callable[[], object], seconds: float) -> None:
    for _ in range(int(seconds * 10)):
        if check():
            return
        await asyncio.sleep(0.1)


async def send_through_sheet(page: TradePage, amount: str) -> None:
    """Type an amount, press the button, confirm on the sheet, wait for the answer."""
    ticket = page.ticket
    ticket.amount_edit.clear()
    QTest.keyClicks(ticket.amount_edit, amount)
    await wait_for(lambda: isinstance(ticket.plan, OrderPlan), 5)
    ticket.action_button.click()
    await wait_for(page.sheet.isVisible, 2)
    page.sheet.confirm_button.click()
    await wait_for(lambda: ticket.result_label.isVisible(), 10)


async def shoot(window: MainWindow, url: str, out: Path) -> None:
    account = Account.create()
    user = account.address.lower()
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{url}/sim/faucet", json={"user": user, "usdc": "1000"}) as resp,
    ):
        resp.raise_for_status()
    # The venue's clock runs ahead of ours, so an order's expiresAfter (our time) would look
    # stale to it: send without one.
    session = TradingSession(
        url,
        KeySigner(bytes(account.key)),
        user,
        False,
        trader_options={"order_expiry_s": None},
    )
    await session.start()
    adapter = SessionAdapter(session)
    adapter.connection_changed.connect(window.set_connection)
    window.set_address(user)
    window.set_connection(adapter.connected, adapter.latency_ms)
    page = TradePage(adapter, favourites=["SOL"])
    window.set_page("trade", page)
    window.show_page("trade")
    page.chart.set_interval("1m")
    try:
        await wait_for(lambda: page.book.bid_rows[-1][0].text(), 20)
        # A position and a resting order, so the chart has its lines.
        await send_through_sheet(page, "250")
        ticket = page.ticket
        ticket.kind_box.setCurrentIndex(1)
        mid = adapter.mid("BTC")
        assert mid is not None
        ticket.limit_edit.setText(f"{int(mid * 99 / 100)}")
        await send_through_sheet(page, "120")
        ticket.kind_box.setCurrentIndex(0)
        await wait_for(lambda: page.chart.candle_count() >= 25, 40)
        await wait_for(lambda: page.trades.rows[-1][1].text(), 10)

        ticket.tpsl_box.setChecked(True)
        ticket.amount_edit.clear()
        QTest.keyClicks(ticket.amount_edit, "300")
        price = adapter.mid("BTC") or mid
        QTest.keyClicks(ticket.tp_edit, f"{int(price * 105 / 100)}")
        QTest.keyClicks(ticket.sl_edit, f"{int(price * 96 / 100)}")
        await asyncio.sleep(1.5)  # a few live updates
        window.grab().save(str(out))
        print(out)

        ticket.action_button.click()
        await asyncio.sleep(0.3)
        confirm = out.with_name(f"{out.stem}-confirm{out.suffix}")
        window.grab().save(str(confirm))
        print(confirm)
        QTest.keyClick(page.sheet.confirm_button, Qt.Key.Key_Escape)

        page.open_market_search()
        QTest.keyClicks(page.picker.popup.search, "e")
        await asyncio.sleep(0.5)
        picker = out.with_name(f"{out.stem}-picker{out.suffix}")
        shot = window.grab()
        # The popup is its own window: paint it onto the window's picture where it sits.
        from PySide6.QtGui import QPainter

        popup = page.picker.popup
        painter = QPainter(shot)
        painter.drawPixmap(window.mapFromGlobal(popup.pos()), popup.grab())
        painter.end()
        shot.save(str(picker))
        print(picker)
        popup.hide()
    finally:
        await adapter.aclose()
        await session.stop()


def main() -> int:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "trade.png").resolve()
    proc, url = start_venue()
    try:
        app = QApplication(sys.argv[:1])
        app.setStyleSheet(page_style())
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

"""Screenshot of the Positions page on live local-venue data: ``screenshot_positions.py OUT.png``.

Why a script: the look of the page (alignment, colours, the liquidation gauge, what a user
sees after a trade) can only be judged on a picture of the real thing. It starts a local
venue with synthetic traders, funds a fresh paper account, opens a BTC long (cross), an ETH
short (isolated, high leverage so its gauge is near) and a resting limit order, then opens
the main window on the Positions page and saves a PNG. Run it under ``xvfb-run -a``.
"""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import aiohttp
import qasync
from eth_account import Account
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from wallet_perps.core.models import LeverageType
from wallet_perps.core.tickets import OrderKind, OrderPlan, Ticket, TicketSide
from wallet_perps.services.session import TradingSession
from wallet_perps.services.trader import KeySigner
from wallet_perps.ui.adapter import SessionAdapter
from wallet_perps.ui.main_window import MainWindow
from wallet_perps.ui.pages.positions import PositionsPage
from wallet_perps.ui.theme import RESOURCES, palette, style_sheet

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


def page_style() -> str:
    """theme.qss plus this page's rules (until they are merged into theme.qss)."""
    extra = RESOURCES / "positions.qss"
    colours = palette("dark")
    qss = extra.read_text(encoding="utf-8") if extra.exists() else ""
    return style_sheet("dark") + re.sub(
        r"@([a-z-]+)", lambda m: colours.get(m.group(1), m.group(0)), qss
    )


async def place(adapter: SessionAdapter, session: TradingSession, ticket: Ticket) -> None:
    plan = adapter.plan(ticket)
    if not isinstance(plan, OrderPlan):
        raise SystemExit(f"ticket refused: {plan}")
    result = await session.trader.place(plan)
    if not result.ok:
        raise SystemExit(f"order failed: {result.message}")


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
    try:
        for coin in ("BTC", "ETH"):
            await session.market.watch(coin)
        await asyncio.sleep(1.0)
        await place(adapter, session, Ticket("BTC", TicketSide.LONG, Decimal(300), leverage=10))
        await place(
            adapter,
            session,
            Ticket(
                "ETH",
                TicketSide.SHORT,
                Decimal(200),
                leverage=25,
                margin_mode=LeverageType.ISOLATED,
            ),
        )
        mid = session.market.mid("BTC")
        assert mid is not None
        await place(
            adapter,
            session,
            Ticket(
                "BTC",
                TicketSide.LONG,
                Decimal(50),
                kind=OrderKind.LIMIT,
                limit_px=(mid * Decimal("0.9")).quantize(Decimal(1)),
            ),
        )
        await session.trader.set_tpsl("BTC", None, (mid * Decimal("0.95")).quantize(Decimal(1)))
        page = PositionsPage(adapter)
        window.set_page("positions", page)
        window.show_page("positions")
        for _ in range(100):  # up to 10 s for both cards and the orders
            if len(page.positions_table.rows) == 2 and len(page.orders_table.orders) >= 2:
                break
            await asyncio.sleep(0.1)
        page.what_if.set_price(mid * Decimal("0.93"))
        page.show_toast("BTC take-profit and stop-loss set.")
        await asyncio.sleep(2.0)  # a few live updates
        window.grab().save(str(out))
        print(out)
        # The dialogs next to it: TP/SL with a refused stop-loss, margin with an estimate.
        for action, coin, text, name in (
            ("tpsl", "BTC", f"{(mid * Decimal('1.02')).quantize(Decimal(1))}", "tpsl"),
            ("margin", "ETH", "5", "margin"),
        ):
            page.positions_table.rows[coin].buttons[action].click()
            dialog = page.dialog
            assert dialog is not None
            edit = getattr(dialog, "sl_edit", None) or getattr(dialog, "amount_edit", None)
            assert edit is not None
            QTest.keyClicks(edit, text)
            await asyncio.sleep(0.3)
            path = out.with_name(f"{out.stem}-{name}{out.suffix}")
            dialog.grab().save(str(path))
            print(path)
            dialog.reject()
        page.release()
    finally:
        await adapter.aclose()
        await session.stop()


def main() -> int:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "positions.png").resolve()
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

"""Screenshots of the Funding, Market pulse and History pages on live local-venue data.

``screenshot_funding.py FUNDING.png [PULSE.png [HISTORY.png]]`` (the last two default to
``pulse.png`` and ``history.png`` beside the first).

Why a script: the look of a page can only be judged on a picture of the real thing. Funding
payments need venue hours to pass, so the Funding page is shot against a venue running at
``--clock-speed 3600`` (an hour per second) with a long and a short open; Market pulse and
History are shot against a normal-speed venue after a few trades, with the pulse sampling once
a second. Run it under ``xvfb-run -a`` on a machine without a display.
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
from PySide6.QtWidgets import QApplication

from wallet_perps.core.tickets import OrderPlan, Ticket, TicketSide
from wallet_perps.services.session import TradingSession
from wallet_perps.services.trader import KeySigner
from wallet_perps.ui.adapter import SessionAdapter
from wallet_perps.ui.main_window import MainWindow
from wallet_perps.ui.pages.funding import FundingPage
from wallet_perps.ui.pages.history import HistoryPage
from wallet_perps.ui.pages.pulse import PulsePage
from wallet_perps.ui.theme import palette, style_sheet

REPO = Path(__file__).resolve().parents[1]


def start_venue(*extra: str) -> tuple[subprocess.Popen[str], str]:
    cmd = [sys.executable, "-m", "wallet_perps.localvenue.cli", "--port", "0", *extra]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, cwd=REPO)
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    if not line.startswith("http://"):
        proc.kill()
        raise SystemExit(f"venue did not start: {line!r}")
    return proc, line


def page_style() -> str:
    """The app theme plus this page's own rules (resources/funding.qss, not merged yet)."""
    colours = palette("dark")
    extra = (REPO / "resources" / "funding.qss").read_text(encoding="utf-8")
    extra = re.sub(r"@([a-z-]+)", lambda m: colours.get(m.group(1), m.group(0)), extra)
    return style_sheet("dark") + "\n" + extra


async def open_session(url: str, fast: bool) -> TradingSession:
    account = Account.create()
    user = account.address.lower()
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{url}/sim/faucet", json={"user": user, "usdc": "2000"}) as resp,
    ):
        resp.raise_for_status()
    # A fast venue's clock runs ahead of ours: no expiresAfter (it would look expired).
    options: dict[str, float | None] = {"order_expiry_s": None} if fast else {}
    session = TradingSession(
        url, KeySigner(bytes(account.key)), user, False, trader_options=options
    )
    await session.start()
    return session


async def trade(session: TradingSession, adapter: SessionAdapter, coin: str, usd: int) -> None:
    """A market order through the same planner the ticket uses; negative ``usd`` is a short."""
    await session.market.watch(coin)
    for _ in range(100):
        if session.market.book(coin) is not None:
            break
        await asyncio.sleep(0.1)
    side = TicketSide.LONG if usd > 0 else TicketSide.SHORT
    plan = adapter.plan(Ticket(coin, side, Decimal(abs(usd)), leverage=5))
    if not isinstance(plan, OrderPlan):
        raise SystemExit(f"cannot trade {coin}: {plan}")
    await session.trader.place(plan)


async def shoot(window: MainWindow, fast_url: str, url: str, outs: list[Path]) -> None:
    fast = await open_session(fast_url, True)
    normal = await open_session(url, False)
    fast_adapter = SessionAdapter(fast)
    adapter = SessionAdapter(normal)
    adapter.connection_changed.connect(window.set_connection)
    window.set_address(normal.user)
    window.set_connection(adapter.connected, adapter.latency_ms)
    pulse = PulsePage(adapter, sample_every_s=1.0)
    funding = FundingPage(fast_adapter)
    history = HistoryPage(adapter, ask_path=lambda: None)
    window.set_page("pulse", pulse)
    window.set_page("funding", funding)
    window.set_page("history", history)
    try:
        await trade(fast, fast_adapter, "BTC", 600)
        await trade(fast, fast_adapter, "ETH", -300)
        window.show_page("funding")
        funding.select("BTC")
        await asyncio.sleep(12)  # twelve venue hours of payments
        funding.refresh()
        await asyncio.sleep(1.5)
        window.grab().save(str(outs[0]))
        print(outs[0])

        await trade(normal, adapter, "BTC", 250)
        await trade(normal, adapter, "ETH", -120)
        await trade(normal, adapter, "SOL", 80)
        window.show_page("history")
        await asyncio.sleep(3)
        window.grab().save(str(outs[2]))
        print(outs[2])

        window.show_page("pulse")
        pulse.window_box.setCurrentIndex(0)
        await asyncio.sleep(20)  # a minute of samples in all, for the lines and the reading
        window.grab().save(str(outs[1]))
        print(outs[1])
    finally:
        for a in (fast_adapter, adapter):
            await a.aclose()
        for s in (fast, normal):
            await s.stop()


def main() -> int:
    first = Path(sys.argv[1] if len(sys.argv) > 1 else "funding.png").resolve()
    outs = [
        first,
        Path(sys.argv[2]).resolve() if len(sys.argv) > 2 else first.with_name("pulse.png"),
        Path(sys.argv[3]).resolve() if len(sys.argv) > 3 else first.with_name("history.png"),
    ]
    fast_proc, fast_url = start_venue("--seed", "7", "--clock-speed", "3600")
    proc, url = start_venue("--seed", "7")
    try:
        app = QApplication(sys.argv[:1])
        app.setStyleSheet(page_style())
        window = MainWindow("local")
        window.resize(1360, 860)
        window.show()
        loop = qasync.QEventLoop(app)
        try:
            loop.run_until_complete(shoot(window, fast_url, url, outs))
        finally:
            loop.close()
    finally:
        for p in (fast_proc, proc):
            p.kill()
            p.wait(10)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

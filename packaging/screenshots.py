"""Screenshots of every screen of the real app: ``screenshots.py OUT_DIR``.

Why a script: how the app looks can only be judged on pictures of the real thing. It runs the
app's own AppController in a throwaway home (its own local venue child, synthetic traders),
goes through demo onboarding, opens a position and a resting order so the pages have
something to show, then saves one PNG per screen (onboarding, each sidebar page, the
confirmation sheet). Run it on a machine without a display with
``xvfb-run -a -s "-screen 0 1280x800x24" .venv/bin/python packaging/screenshots.py shots/``.
The key is kept in the encrypted-file fallback of the throwaway home, so no keyring is used.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")
PASSWORD = "screenshot-demo-1"


async def until(check: Callable[[], T], what: str, timeout_s: float = 30.0) -> T:
    deadline = time.monotonic() + timeout_s
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


def main(out_dir: Path) -> int:
    home = tempfile.mkdtemp(prefix="wallet-perps-shots-")
    os.environ["WALLET_PERPS_HOME"] = home
    os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"

    import qasync
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from wallet_perps.config import Settings
    from wallet_perps.ui.app_controller import AppController
    from wallet_perps.ui.main_window import PAGES, MainWindow
    from wallet_perps.ui.pages.onboarding import OnboardingPage
    from wallet_perps.ui.pages.trade import TradePage
    from wallet_perps.ui.theme import style_sheet
    from wallet_perps.wallet.keystore import Keystore
    from wallet_perps.wallet.secret_storage import TEST_ONLY_FAST_SCRYPT

    out_dir.mkdir(parents=True, exist_ok=True)
    app = QApplication(sys.argv[:1])
    app.setStyleSheet(style_sheet("dark"))
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    window = MainWindow("local")
    window.resize(1280, 800)
    settings = Settings()
    controller = AppController(
        window,
        settings,
        "local",
        keystore=Keystore(scrypt=TEST_ONLY_FAST_SCRYPT, allow_file_fallback=True),
        venue_args=("--seed", "7"),
    )
    window.show()

    def shoot(name: str) -> None:
        QApplication.processEvents()
        path = out_dir / f"{name}.png"
        window.grab().save(str(path))
        print(path)

    async def scenario() -> None:
        assert await controller.start(), controller.venue_bar.label.text()
        onboarding = controller.onboarding
        assert isinstance(onboarding, OnboardingPage)
        await asyncio.sleep(0.3)
        shoot("onboarding")
        onboarding.demo_button.click()
        QTest.keyClicks(onboarding.password_edit, PASSWORD)
        QTest.keyClicks(onboarding.confirm_edit, PASSWORD)
        onboarding.submit_button.click()
        await until(lambda: not window.gated, "demo onboarding")
        trade = controller.pages["trade"]
        assert isinstance(trade, TradePage)
        await until(lambda: trade.price_label.text().startswith("$"), "a BTC price")
        adapter = controller.adapter
        assert adapter is not None
        await until(adapter.account_state, "the account")

        # A long, then a resting limit order, so positions, orders and chart lines exist.
        ticket = trade.ticket
        QTest.keyClicks(ticket.amount_edit, "20000")
        await until(ticket.action_button.isEnabled, "a valid ticket")
        settings.confirm_orders = True
        ticket.action_button.click()
        await asyncio.sleep(0.5)
        shoot("trade-confirm")
        results: list[object] = []
        adapter.order_result.connect(results.append)
        trade.sheet.confirm_button.click()
        await until(lambda: results, "the fill")
        settings.confirm_orders = False
        ticket.kind_box.setCurrentIndex(ticket.kind_box.findText("Limit"))
        ctx = adapter.context("BTC")
        assert ctx is not None
        ticket.limit_edit.clear()
        QTest.keyClicks(ticket.limit_edit, str(int(ctx.oracle_px * 97 / 100)))
        ticket.amount_edit.clear()
        QTest.keyClicks(ticket.amount_edit, "3000")
        await until(ticket.action_button.isEnabled, "a valid limit ticket")
        ticket.action_button.click()
        await until(lambda: len(results) > 1, "the resting order")
        await asyncio.sleep(3)  # candles, trades and the account stream settle
        for key, _label in PAGES:
            window.show_page(key)
            await asyncio.sleep(1.5)
            shoot(key)
        window.lock_button.click()
        await until(controller.unlock_bar.isVisible, "the unlock strip")
        window.show_page("trade")
        await asyncio.sleep(0.5)
        shoot("locked")

    try:
        loop.run_until_complete(asyncio.wait_for(scenario(), 180))
    finally:
        loop.run_until_complete(controller.stop())
        window.close()
        loop.close()
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    raise SystemExit(main(Path(sys.argv[1])))

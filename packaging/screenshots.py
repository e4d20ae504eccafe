"""Screenshots of every screen of the real app: ``screenshots.py OUT_DIR [--size WxH] [--theme T]``.

Why a script: how the app looks can only be judged on pictures of the real thing. It runs the
app's own AppController in a throwaway home (its own local venue child, synthetic traders),
goes through demo onboarding, then sets the account up as a user has it after a while (the
same scenario as the layout test, tests/ui/demo_scenario.py: two positions, TP/SL, resting
orders) and saves one PNG per screen (onboarding, each sidebar page, the confirmation sheet,
the locked window), named ``<theme>-<W>x<H>-<screen>.png``. Each shot is also checked with
the layout audit (wallet_perps/ui/layout_audit.py) and anything that does not fit is printed.
Run it on a machine without a display with
``xvfb-run -a -s "-screen 0 1366x800x24" .venv/bin/python packaging/screenshots.py shots/``;
``--docs`` writes the README's pictures (dark, 1280x800) to docs/screens/. The key is kept in
the encrypted-file fallback of the throwaway home, so no keyring is used.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PASSWORD = "screenshot-demo-1"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out_dir", type=Path, nargs="?")
    parser.add_argument("--size", default="1280x800", help="window size, e.g. 1366x768")
    parser.add_argument("--theme", choices=("dark", "light"), default="dark")
    parser.add_argument("--docs", action="store_true", help="write docs/screens (dark 1280x800)")
    args = parser.parse_args()
    if args.docs:
        args.out_dir, args.size, args.theme = ROOT / "docs" / "screens", "1280x800", "dark"
    if args.out_dir is None:
        parser.error("give OUT_DIR or --docs")
    width, height = (int(n) for n in args.size.lower().split("x"))
    home = tempfile.mkdtemp(prefix="wallet-perps-shots-")
    os.environ["WALLET_PERPS_HOME"] = home
    os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"

    import qasync
    from PySide6.QtWidgets import QApplication

    from tests.ui.demo_scenario import onboard_demo, populate, wait_for
    from wallet_perps.config import Settings
    from wallet_perps.services.key_access import KeyAccess
    from wallet_perps.ui.app_controller import AppController
    from wallet_perps.ui.layout_audit import misfits
    from wallet_perps.ui.main_window import MainWindow
    from wallet_perps.ui.page_catalog import PAGES
    from wallet_perps.ui.pages.onboarding import OnboardingPage
    from wallet_perps.ui.pages.trade import TradePage
    from wallet_perps.ui.theme import style_sheet
    from wallet_perps.wallet.keystore import Keystore
    from wallet_perps.wallet.secret_storage import TEST_ONLY_FAST_SCRYPT

    out_dir: Path = args.out_dir
    out_dir.mkdir(parents=True, exist_ok=True)
    prefix = "" if args.docs else f"{args.theme}-{width}x{height}-"
    app = QApplication(sys.argv[:1])
    app.setStyleSheet(style_sheet(args.theme))
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    window = MainWindow("local")
    window.resize(width, height)
    settings = Settings(theme=args.theme)
    controller = AppController(
        window,
        settings,
        "local",
        keys=KeyAccess(Keystore(scrypt=TEST_ONLY_FAST_SCRYPT, allow_file_fallback=True)),
        venue_args=("--seed", "7"),
    )
    window.show()
    problems: list[str] = []

    def shoot(name: str) -> None:
        path = out_dir / f"{prefix}{name}.png"
        window.grab().save(str(path))
        problems.extend(f"{name}: {m}" for m in misfits(window))
        print(path)

    async def scenario() -> None:
        assert await controller.start(), controller.venue_bar.label.text()
        onboarding = controller.onboarding
        assert isinstance(onboarding, OnboardingPage)
        await asyncio.sleep(0.3)
        shoot("onboarding")
        settings.confirm_orders = False
        await onboard_demo(controller, PASSWORD)
        trade = controller.pages["trade"]
        assert isinstance(trade, TradePage)
        await wait_for(lambda: trade.price_label.text().startswith("$"), "a BTC price")
        await populate(controller)
        await asyncio.sleep(3)  # candles, trades and the account stream settle
        for key, _label in PAGES:
            window.show_page(key)
            await asyncio.sleep(1.5)
            shoot(key)
        # The review sheet of a market order (the ticket's own).
        window.show_page("trade")
        settings.confirm_orders = True
        trade.ticket.amount_edit.clear()
        trade.ticket.amount_edit.setText("2000")
        await wait_for(trade.ticket.action_button.isEnabled, "a valid ticket")
        trade.ticket.action_button.click()
        await asyncio.sleep(0.5)
        shoot("trade-confirm")
        trade.sheet.cancel()
        window.lock_button.click()
        await wait_for(controller.unlock_bar.isVisible, "the unlock strip")
        await asyncio.sleep(0.5)
        shoot("locked")

    try:
        loop.run_until_complete(asyncio.wait_for(scenario(), 240))
    finally:
        loop.run_until_complete(controller.stop())
        window.close()
        loop.close()
    for problem in problems:
        print("does not fit:", problem)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())

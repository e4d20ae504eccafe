"""The desktop app's entry point: arguments, QApplication, one qasync event loop.

Everything (UI and network I/O) runs on that single loop; nothing here may block it.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence

from wallet_perps.config import NETWORK_NAMES, NetworkName, Settings


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="wallet-perps", description=__doc__)
    parser.add_argument(
        "--network",
        choices=NETWORK_NAMES,
        default=None,
        help="which venue to trade on (default: the last one used, else the local demo venue)",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    settings = Settings.load()
    network: NetworkName = args.network or settings.network
    if args.network and args.network != settings.network:
        settings.network = args.network
        settings.save()

    # The local venue starts first, before the slow Qt and network imports below, so both
    # processes start up at the same time (the first price is on screen sooner).
    venue = None
    if network == "local":
        from wallet_perps.services.embedded_venue import EmbeddedVenue, default_data_dir

        venue = EmbeddedVenue(default_data_dir())
        venue.launch()

    # Qt is imported here, not at module level, so `--help` works without a display.
    import qasync
    from PySide6.QtWidgets import QApplication

    from wallet_perps.ui.app_controller import AppController
    from wallet_perps.ui.main_window import MainWindow
    from wallet_perps.ui.startup_probe import install_startup_probe
    from wallet_perps.ui.theme import style_sheet

    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])
    app.setApplicationName("Wallet Perps")
    app.setStyleSheet(style_sheet(settings.theme))
    window = MainWindow(network)
    controller = AppController(window, settings, network, venue=venue)
    install_startup_probe(controller)
    window.show()

    async def run_until_closed() -> None:
        # Quitting Qt directly would stop the loop before the venue child is stopped, so the
        # window's close ends this coroutine instead, after an orderly shutdown.
        closed = asyncio.Event()
        app.setQuitOnLastWindowClosed(False)
        window.closing.connect(closed.set)
        app.aboutToQuit.connect(closed.set)
        await controller.start()
        await closed.wait()
        await controller.stop()

    qasync.run(run_until_closed())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

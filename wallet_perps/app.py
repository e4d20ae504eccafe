"""The desktop app's entry point: arguments, QApplication, one qasync event loop.

Everything (UI and network I/O) runs on that single loop; nothing here may block it.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence

import wallet_perps
from wallet_perps.core.collector import code_loaded, run_while_loading
from wallet_perps.core.networks import NETWORKS, NetworkName


def app_version() -> str:
    """The app's version (a test keeps ``wallet_perps.__version__`` equal to pyproject's).

    Read from the package, not ``importlib.metadata``: that import alone costs about 20 ms
    before the local venue is launched, on every start.
    """
    return wallet_perps.__version__


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line. Only argparse and config are imported: ``--help``, ``--version``
    and the start of ``--self-test`` need neither Qt nor a display."""
    parser = argparse.ArgumentParser(
        prog="wallet-perps",
        description="Trade Hyperliquid perpetual futures from a key that never leaves this "
        "computer. Starts on a built-in local paper-trading venue.",
    )
    parser.add_argument(
        "--network",
        choices=tuple(NETWORKS),
        default=None,
        help="which venue to trade on (default: the last one used, else the local demo venue)",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {app_version()}")
    parser.add_argument(
        "--self-test",
        action="store_true",
        help="check this installation without a window (style sheets, Qt, the local venue, "
        "a throwaway wallet, one order placed and cancelled) and exit 0 if all is well; "
        "your own settings, wallets and keyring are not touched",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    entered = time.time()  # for the startup benchmark's breakdown (ui/startup_probe.py)
    return run_while_loading(lambda: _main(argv, entered))  # see core/collector.py


def _main(argv: Sequence[str] | None, entered: float) -> int:
    from wallet_perps import diagnostics
    from wallet_perps.config import Settings, secure_app_dirs

    args = parse_args(argv)
    if args.self_test:
        from wallet_perps.selftest import run_self_test

        # Its throwaway wallet is still a real key: no core dump may carry it either.
        diagnostics.disable_core_dumps()
        return run_self_test()
    # Logs (redacted, 0600, rotated), crash reports, and no core dumps: before anything else.
    diag = diagnostics.install(app_version())
    # Folders an older version left 0755 (files 0644) become private before anything is read.
    secure_app_dirs()
    # One app per data directory: a later launch asks the running one to raise its window and
    # exits here, before it could start a second venue on the same paper state.
    from wallet_perps.ui import single_instance

    instance_lock = single_instance.claim()
    if instance_lock is None:
        return single_instance.hand_over()
    settings = Settings.load()
    network: NetworkName = args.network or settings.network
    if args.network and args.network != settings.network:
        settings.network = args.network
        settings.save()

    # The local venue starts first, before the slow Qt and network imports below, so both
    # processes start up at the same time (the first price is on screen sooner).
    venue = None
    if NETWORKS[network].embedded_venue:
        from wallet_perps.services.embedded_venue import EmbeddedVenue, default_data_dir

        venue = EmbeddedVenue(default_data_dir())
        venue.launch()

    # asyncio (about 40 ms) and Qt are imported only now, after the venue's launch: the app
    # waits for the venue before its first price, so every millisecond it starts sooner counts.
    # Qt is imported here, not at module level, so `--help` works without a display.
    import asyncio

    from PySide6.QtWidgets import QApplication

    from wallet_perps.ui.pyside_source_cache import stop_pyside_source_cache

    stop_pyside_source_cache()  # before the ~250 modules up to the first price are imported
    import qasync

    from wallet_perps.ui.app_controller import AppController
    from wallet_perps.ui.main_window import MainWindow
    from wallet_perps.ui.startup_probe import install_startup_probe
    from wallet_perps.ui.theme import style_sheet
    from wallet_perps.ui.window_state import WM_CLASS, apply_identity

    code_loaded()
    imported = time.time()

    existing = QApplication.instance()
    # argv[0] is X11's WM_CLASS instance name: the same however the app was started.
    app = existing if isinstance(existing, QApplication) else QApplication([WM_CLASS])
    apply_identity(app)
    app.setStyleSheet(style_sheet(settings.theme))
    window = MainWindow(network)
    controller = AppController(window, settings, network, venue=venue)
    install_startup_probe(
        controller,
        (
            ("Python started, entry module loaded", entered),
            ("logs, settings, venue launched; Qt, network and UI code imported", imported),
        ),
    )
    window.show()
    diag.announce_previous_crashes()

    raise_servers: list[single_instance.RaiseServer] = []

    async def run_until_closed() -> None:
        # Quitting Qt directly would stop the loop before the venue child is stopped, so the
        # window's close ends this coroutine instead, after an orderly shutdown.
        closed = asyncio.Event()
        app.setQuitOnLastWindowClosed(False)
        window.closing.connect(closed.set)
        app.aboutToQuit.connect(closed.set)
        diag.watch_loop()
        await controller.start()
        # Later launches are answered from here on, off the first screen's path; one made
        # meanwhile holds no lock and retries for ten seconds (single_instance.hand_over).
        raise_servers.append(
            single_instance.RaiseServer(lambda: single_instance.raise_window(window))
        )
        # After the first screen (not on its path): a day of streaming must not creep.
        from wallet_perps.heap_trim import HeapTrimmer

        trimmer = HeapTrimmer()
        await closed.wait()
        trimmer.close()
        await controller.stop()

    qasync.run(run_until_closed())
    for server in raise_servers:
        server.close()
    instance_lock.release()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

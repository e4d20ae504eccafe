"""Runs the real app (``wallet_perps.app.main``) and drives it from inside, for subprocess tests.

Usage: ``python tests/app_driver.py MODE ADDRESS PASSWORD`` with ``WALLET_PERPS_HOME`` set to a
home holding that wallet. Why a driver and not an environment variable the app reads: the app
must carry no test-only trigger for crashing. The driver replaces the startup probe's installer
(the one seam ``main`` offers that hands out the controller) before calling ``main``, then, once
the controller is ready, unlocks the wallet and does what MODE says:

- ``errors``: simulates bugs that put the unlocked key and phrase into an exception message
  and a log line, then raises in a Qt slot, in an asyncio callback, in an asyncio task nobody
  awaits and in a thread; the app keeps running and the driver closes the window.
- ``segv``: a hard crash (SIGSEGV) while unlocked.
- ``session``: a whole session (trade, CSV export, settings, lock, quit), see
  ``tests/session_steps.py``.
- ``close``: deposit paper USDC, open a position from the ticket, show the Positions page
  (its marks stream), close the window as a user would.

Before anything crashes it prints ``DUMPABLE=<n> CORE=<soft>,<hard>`` (never a secret).
"""

from __future__ import annotations

import asyncio
import ctypes
import faulthandler
import gc
import logging
import os
import resource
import sys
import threading
from decimal import Decimal
from typing import Any

from wallet_perps.ui import startup_probe
from wallet_perps.ui.app_controller import AppController

MODE, ADDRESS, PASSWORD = sys.argv[1], sys.argv[2], sys.argv[3]
log = logging.getLogger("tests.app_driver")


def _report_core_settings() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    dumpable = libc.prctl(3, 0, 0, 0, 0)  # PR_GET_DUMPABLE
    soft, hard = resource.getrlimit(resource.RLIMIT_CORE)
    print(f"DUMPABLE={dumpable} CORE={soft},{hard}", flush=True)


async def _until(check: Any, what: str, timeout_s: float = 60.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while not check():
        if loop.time() > deadline:
            raise SystemExit(f"driver: timed out waiting for {what}")
        await asyncio.sleep(0.05)


async def _drive(controller: AppController) -> None:
    wallets = controller.wallets
    assert wallets is not None
    await wallets.unlock(ADDRESS, PASSWORD)
    assert controller.keys.keystore.session is not None
    print("driver: unlocked", flush=True)
    _report_core_settings()
    if MODE == "errors":
        # A deposit approves the agent, so its key is held too when things go wrong; the test
        # gets the agent keys through a pipe (never printed) and scans for them as well.
        from session_steps import hand_over_secrets, held_agent_keys

        await wallets.deposit_demo(Decimal(1000))
        await _until(lambda: held_agent_keys(controller), "the agent approved at the deposit")
        if "WALLET_PERPS_TEST_SECRETS_FD" in os.environ:
            hand_over_secrets(held_agent_keys(controller))
        # The secrets a careless bug could leak, as the app's backup screen would reveal them.
        secret = await asyncio.to_thread(controller.keys.keystore.reveal, ADDRESS, PASSWORD)
        await _raise_everywhere(secret.private_key_hex(), secret.phrase_words())
        secret.wipe()
        controller.window.close()
    elif MODE == "segv":
        await asyncio.sleep(0.5)
        faulthandler._sigsegv()
    elif MODE == "session":  # tests/test_file_modes.py
        from session_steps import run_session

        await run_session(controller, _open_position, _until)
    elif MODE == "close":
        await _open_position(controller)
        controller.window.show_page("positions")
        await asyncio.sleep(3)
        controller.window.close()


async def _raise_everywhere(key_hex: str, words: list[str]) -> None:
    from PySide6.QtCore import QTimer

    key = key_hex.removeprefix("0x")
    phrase = " ".join(words)
    # A careless log line and careless exception messages, as a bug might write them.
    log.warning("debug dump: key=0x%s KEY=%s phrase=%s words=%r", key, key.upper(), phrase, words)
    secret = f"key 0x{key} / {key.upper()} / phrase {phrase} / words {words!r}"

    def boom(where: str) -> None:
        raise RuntimeError(f"injected failure in {where}: {secret}")

    QTimer.singleShot(0, lambda: boom("a Qt slot"))
    await asyncio.sleep(0.5)
    asyncio.get_running_loop().call_soon(boom, "an asyncio callback")
    await asyncio.sleep(0.5)

    async def failing_task() -> None:
        boom("an asyncio task")

    task: asyncio.Task[None] | None = asyncio.ensure_future(failing_task())
    await asyncio.sleep(0.2)
    del task  # never awaited: asyncio reports it when the task is collected
    gc.collect()
    thread = threading.Thread(target=boom, args=("a thread",), name="injected")
    thread.start()
    thread.join()
    await asyncio.sleep(0.5)
    print("driver: raised", flush=True)


async def _open_position(controller: AppController) -> None:
    from PySide6.QtTest import QTest

    from wallet_perps.ui.pages.trade import TradePage

    wallets, adapter = controller.wallets, controller.adapter
    assert wallets is not None and adapter is not None
    await wallets.deposit_demo(Decimal(10_000))
    await _until(adapter.account_state, "the account")
    page = controller.pages["trade"]
    assert isinstance(page, TradePage)
    controller.settings.confirm_orders = False  # the ticket sends without a review sheet
    results: list[object] = []
    adapter.order_result.connect(results.append)
    await _until(lambda: page.price_label.text().startswith("$"), "a BTC price")
    QTest.keyClicks(page.ticket.amount_edit, "5000")
    await _until(page.ticket.action_button.isEnabled, "a valid ticket")
    page.ticket.action_button.click()
    await _until(lambda: results, "the order result")
    print(f"driver: order {getattr(results[0], 'state', results[0])}", flush=True)


def _install_driver(controller: AppController, milestones: object = ()) -> None:
    tasks: list[asyncio.Future[None]] = []

    async def drive_or_exit() -> None:
        # A driver step that fails must end the process with its reason, not leave the app
        # running until the test's timeout.
        try:
            await _drive(controller)
        except BaseException as exc:
            print(f"driver: failed: {type(exc).__name__}: {exc}", flush=True)
            os._exit(3)

    def ready() -> None:
        if not tasks:
            tasks.append(asyncio.ensure_future(drive_or_exit()))

    controller.ready.connect(ready)


startup_probe.install_startup_probe = _install_driver

from wallet_perps.app import main  # noqa: E402 - after the probe is replaced

sys.exit(main(["--network", "local"]))

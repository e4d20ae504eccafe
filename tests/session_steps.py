"""The "session" mode of ``tests/app_driver.py``: a whole session as a user would have it.

Unlock the stored wallet, deposit paper USDC, trade from the ticket (which approves an agent),
export the History tab as CSV, change two settings, lock with the Lock button and quit. The
agent keys the session held are handed to the test through an inherited pipe (the file
descriptor in ``WALLET_PERPS_TEST_SECRETS_FD``), never printed: the test searches every file,
keyring item and log for them afterwards.

Imported by the driver as a top-level module (the driver's folder is first on ``sys.path``).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from wallet_perps.ui.app_controller import AppController

Until = Callable[..., Awaitable[None]]


def held_agent_keys(controller: AppController) -> list[bytes]:
    """Copies of every agent key the unlocked wallet holds (read in-process, while unlocked)."""
    session = controller.keys.keystore.session
    assert session is not None, "not unlocked"
    keys = []
    for held in session._agents.values():
        key = held[-1] if isinstance(held, tuple) else held
        keys.append(bytes(key))
    return keys


def hand_over_secrets(keys: list[bytes]) -> None:
    fd = int(os.environ["WALLET_PERPS_TEST_SECRETS_FD"])
    with os.fdopen(fd, "w", encoding="ascii") as pipe:
        for key in keys:
            pipe.write(key.hex() + "\n")


async def run_session(
    controller: AppController,
    open_position: Callable[[AppController], Awaitable[None]],
    until: Until,
) -> None:
    from wallet_perps.ui.pages.history import HistoryPage
    from wallet_perps.ui.pages.settings import SettingsPage

    window = controller.window
    await open_position(controller)  # deposit, then a market order from the ticket
    keys = held_agent_keys(controller)
    assert keys, "the trade approved no agent"
    hand_over_secrets(keys)
    print(f"driver: agent keys {len(keys)}", flush=True)

    await until(lambda: "history" in controller.pages, "the History page")
    history = controller.pages["history"]
    assert isinstance(history, HistoryPage)
    window.show_page("history")
    export_to = Path(os.environ["WALLET_PERPS_TEST_EXPORT"])
    history._ask_path = lambda: str(export_to)
    await until(history.export_button.isEnabled, "Export to be possible")
    written: Any = history.export_csv()
    assert written == export_to, history.status_label.text()
    print("driver: exported", flush=True)

    await until(lambda: "settings" in controller.pages, "the Settings page")
    settings = controller.pages["settings"]
    assert isinstance(settings, SettingsPage)
    window.show_page("settings")
    settings.confirm_check.click()  # settings.json
    settings.idle_spin.setValue(settings.idle_spin.value() + 1)  # wallets.json
    settings.idle_spin.editingFinished.emit()
    await asyncio.sleep(0.5)
    print("driver: settings changed", flush=True)

    window.lock_button.click()
    await until(lambda: controller.keys.keystore.session is None, "the lock")
    await asyncio.sleep(0.5)
    print("driver: locked", flush=True)
    window.close()

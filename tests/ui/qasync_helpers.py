"""Running widgets and services on a qasync loop in tests, as the app does.

Each test builds its own loop around the QApplication and closes it afterwards, so no task
survives a test; ``until`` polls a condition while Qt and the loop keep running.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import qasync
from eth_account import Account
from eth_account.signers.local import LocalAccount
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from tests.venue_process import faucet
from wallet_perps.hyperliquid.sender import KeySigner
from wallet_perps.services.session import TradingSession

T = TypeVar("T")
#: Quick reconnects for tests (the app's defaults are gentler on a real venue).
FAST_WS: dict[str, Any] = {"backoff": (0.05, 0.3), "ack_timeout": 5.0}


def run_on_qasync(qtbot: QtBot, scenario: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Run ``scenario`` on a fresh qasync loop, then cancel leftovers and close the loop."""
    app = QApplication.instance()
    assert app is not None
    loop = qasync.QEventLoop(app)
    try:
        loop.run_until_complete(asyncio.wait_for(scenario(), 35))
        pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
        for task in pending:
            task.cancel()
        if pending:
            loop.run_until_complete(asyncio.wait(pending, timeout=5))
        assert not [t for t in pending if not t.done()], pending
    finally:
        loop.close()
        asyncio.set_event_loop(None)


async def until(check: Callable[[], T | None], what: str, timeout_s: float = 10.0) -> T:
    """Poll ``check`` while the loop (and Qt) keep running."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


async def funded_session(
    url: str, usdc: str = "1000", *, account: LocalAccount | None = None, **options: Any
) -> TradingSession:
    """A started session for an account the venue's faucet gave ``usdc``: a fresh one, or
    ``account`` when the test signs with its key too.

    ``options`` are more ``TradingSession`` keywords (say, ``trader_options``).
    """
    if account is None:
        account = Account.create()
    user = account.address.lower()
    await faucet(url, user, usdc)
    session = TradingSession(
        url,
        KeySigner(bytes(account.key)),
        user,
        False,
        contexts_poll_s=0,
        ws_options=FAST_WS,
        **options,
    )
    await session.start()
    return session


async def locked_session(url: str) -> TradingSession:
    """A started session with no wallet: market data only, as the app has before an unlock."""
    session = TradingSession(url, contexts_poll_s=0, ws_options=FAST_WS)
    await session.start()
    return session

"""KeyAccess: the key store as the app shell sees it, so the UI never holds a ``Keystore``.

Why a service of its own: the window must report activity (the idle lock counts from the
last key or click), show and change the idle-lock time, lock before a network switch, and
outlive every :class:`WalletService` (one per trading session, rebuilt on each network
switch). Those few calls are all the shell needs; everything else about keys (create,
unlock, reveal, move) goes through :class:`WalletService`, which this object builds for each
session on the same keystore. The blocking lock runs in a worker thread, like every other
keystore call.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from wallet_perps.core.networks import NetworkName
from wallet_perps.services.session import TradingSession
from wallet_perps.services.wallet_service import WalletService
from wallet_perps.wallet.keystore import Keystore

__all__ = ["KeyAccess"]


class KeyAccess:
    """One user's keystore for the life of the app: activity, idle lock, lock, services.

    ``keystore`` defaults to the user's real one (OS keyring, or the file keystore they
    chose); tests pass a keystore with fast scrypt.
    """

    def __init__(self, keystore: Keystore | None = None) -> None:
        self.keystore = keystore if keystore is not None else Keystore()

    def wallet_service(
        self,
        session: TradingSession,
        network: NetworkName,
        *,
        base_url: str,
        admin_token: Callable[[], str | None] | None = None,
    ) -> WalletService:
        """The wallet service of one trading session, on this keystore."""
        return WalletService(
            self.keystore, session, network, base_url=base_url, admin_token=admin_token
        )

    def touch(self) -> None:
        """The user did something: the idle lock starts counting again."""
        self.keystore.touch()

    async def watch_idle(self) -> None:
        """Lock the open wallet once the idle time has passed (runs until cancelled)."""
        await self.keystore.watch_idle()

    @property
    def idle_lock_minutes(self) -> int:
        return self.keystore.idle_lock_minutes

    @idle_lock_minutes.setter
    def idle_lock_minutes(self, minutes: int) -> None:
        self.keystore.idle_lock_minutes = minutes

    async def lock(self) -> None:
        """Lock the open wallet, if any (zeroes its keys; in a worker thread)."""
        if self.keystore.session is not None:
            await asyncio.to_thread(self.keystore.lock)

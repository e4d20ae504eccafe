"""A fresh key that signs requests for a local venue process as the app does.

Shared by the venue-process, fuzz and guard tests, which all drive a real venue with raw signed
envelopes (testnet, per-signer monotonic nonces, ``expiresAfter`` sent as null).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from eth_account import Account

from wallet_perps.hyperliquid.nonces import NonceManager
from wallet_perps.hyperliquid.signing import sign_l1_action, sign_user_action


class Trader:
    """A fresh key that signs like the app does (testnet, per-signer monotonic nonces)."""

    def __init__(self, clock: Callable[[], int] | None = None) -> None:
        account = Account.create()
        self.key: bytes = bytes(account.key)
        self.address: str = account.address.lower()
        self.checksum: str = account.address
        self._nonces = NonceManager(clock) if clock is not None else NonceManager()

    def l1(self, action: dict[str, Any]) -> dict[str, Any]:
        nonce = self._nonces.next_nonce(self.address)
        signature = sign_l1_action(self.key, action, nonce, is_mainnet=False)
        return {
            "action": action,
            "nonce": nonce,
            "signature": signature,
            "vaultAddress": None,
            "expiresAfter": None,
        }

    def user(self, make: Callable[[int], dict[str, Any]]) -> dict[str, Any]:
        nonce = self._nonces.next_nonce(self.address)
        action = make(nonce)
        return {"action": action, "nonce": nonce, "signature": sign_user_action(self.key, action)}

"""Where wallet keys live: the OS keyring or encrypted files, and moving a wallet between them.

Why apart from :mod:`keystore`: choosing and changing the store touches no decrypted key (the
sealed blobs are copied as they are), and its failure handling -- copy, read back, switch the
metadata, only then delete -- is a concern of its own.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

from wallet_perps.wallet.backends import (
    EncryptedFileStore,
    KeyringStore,
    copy_entries,
    delete_entries,
    keyring_problem,
)
from wallet_perps.wallet.errors import KeyringUnavailable, WalletError
from wallet_perps.wallet.keystore_core import KeystoreCore
from wallet_perps.wallet.metadata import Storage, WalletInfo

__all__ = ["KeyLocations"]

log = logging.getLogger(__name__)


class KeyLocations(KeystoreCore):
    """The keystore's part that knows and changes which store holds a wallet's entries."""

    @staticmethod
    def keyring_available() -> bool:
        """Whether the OS keyring (Secret Service) is usable now. Blocking: it may ask D-Bus."""
        problem = keyring_problem()
        if problem is not None:
            log.info("no usable OS keyring: %s", problem)
        return problem is None

    @property
    def file_store_dir(self) -> Path:
        """The directory of the encrypted-file keystore (0700; one 0600 file per entry)."""
        return self._file_dir

    def choose_file_store(self) -> None:
        """Remember the user's choice to keep new wallets in encrypted files (no keyring)."""
        with self._lock:
            if self.allow_file_fallback:
                return
            self.allow_file_fallback = True
            try:
                self._save(dict(self._wallets))
            except WalletError:
                self.allow_file_fallback = False
                raise
        log.info("the user chose the encrypted-file keystore in %s", self._file_dir)

    def storage_of(self, address: str) -> Storage:
        return self.get(address).storage

    def location_of(self, address: str) -> str:
        """Where ``address``'s wallet key is, in words: the keyring, or the file's path."""
        info = self.get(address)
        if info.storage == "file":
            return str(EncryptedFileStore(self._file_dir).path_of(info.entry_name))
        return "the system keyring (Secret Service), service wallet-perps"

    def move_wallet(self, address: str, to: Storage) -> WalletInfo:
        """Move a wallet's encrypted entries (its key and its agents') to the other store.

        No password is needed: the blobs are copied as they are. Order matters so that a
        failure anywhere leaves the wallet usable where it was: copy and read back (a failed
        copy is removed again), then switch the metadata atomically (if that fails, the copies
        are removed), and only then delete the old entries (a leftover there is logged; the
        wallet already reads from the new store).
        """
        if to not in ("keyring", "file"):
            raise WalletError(f"Unknown key storage {to!r}.")
        with self._lock:
            info = self.get(address)
            if info.storage == to:
                return info
            source = self._store(info.storage)
            try:
                target = EncryptedFileStore(self._file_dir) if to == "file" else KeyringStore()
            except KeyringUnavailable:
                raise KeyringUnavailable(
                    "No system keyring (Secret Service) is available now, so the wallet stays "
                    "in its encrypted file."
                ) from None
            agents = sorted(
                {r.address for r in (*info.agents.values(), *info.pending_agents.values())}
            )
            copied = copy_entries(source, target, [info.entry_name], [f"agent:{a}" for a in agents])
            moved = replace(info, storage=to)
            try:
                self._save({**self._wallets, info.address.lower(): moved})
            except WalletError:
                delete_entries(target, copied)
                raise
            left = delete_entries(source, copied)
        if left:
            log.warning("%d old entries of %s could not be deleted", len(left), info.address)
        log.info("moved wallet %s from %s to %s", info.address, info.storage, to)
        return moved

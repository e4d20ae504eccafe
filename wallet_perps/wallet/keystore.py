"""The user's keys at rest and in use: create, import, store, unlock, lock, reveal, delete.

At rest every secret is a password-encrypted Web3 Secret Storage blob (scrypt N=2**18; see
``secret_storage``) kept in the OS keyring under service ``wallet-perps``:
``wallet:<address>`` for a wallet (its key, and its recovery phrase if it has one) and
``agent:<address>`` for each agent key; or, where no keyring exists and the user chose it,
the same blobs as 0600 files in a 0700 directory under the data directory. A wallet can be
moved between the two (:meth:`Keystore.move_wallet`). Only public metadata
(``metadata.WalletInfo``) is written to the config directory.

In use, decrypted keys exist only inside an :class:`UnlockedWallet` (module ``unlocked``), as
bytearrays, and only between :meth:`Keystore.unlock` and :meth:`Keystore.lock` (called on
demand, on idle timeout, on wallet switch, on delete and on a password change). Locking zeroes
those buffers. On the unlock-and-sign path no key ever sits in an immutable ``bytes`` (which
cannot be zeroed and stays readable in freed memory): blobs decrypt straight into bytearrays,
agent keys are generated in one, and signing reads the buffer in place
(``crypto.secp256k1``), so after Lock neither the main key nor an agent key is left in the
process (tests/wallet/test_lock_memory.py reads ``/proc/PID/mem`` to check). Nothing this layer
writes, logs, raises or reprs contains a secret.

Everything here is blocking (scrypt takes about half a second; keyring calls go over D-Bus),
so the app calls it through ``asyncio.to_thread``; a lock serialises concurrent callers.
"""

import asyncio
import logging
from collections.abc import Callable
from dataclasses import replace

from wallet_perps.core.clock import wall_ms
from wallet_perps.core.networks import DEFAULT_NETWORK, NETWORKS, NetworkName
from wallet_perps.crypto import secp256k1
from wallet_perps.wallet.agent_keys import AgentKeys
from wallet_perps.wallet.errors import NotConfirmed, WalletError, WalletExists
from wallet_perps.wallet.key_locations import KeyLocations
from wallet_perps.wallet.keystore_core import MAX_IDLE_LOCK_MINUTES, check_password
from wallet_perps.wallet.metadata import Source, WalletInfo
from wallet_perps.wallet.mnemonic import RecoveryPhrase
from wallet_perps.wallet.secret_storage import DerivedKey, key_address, seal
from wallet_perps.wallet.unlocked import (
    RevealedSecret,
    UnlockedWallet,
    parse_private_key,
    wipe,
)

__all__ = ["Keystore"]

log = logging.getLogger(__name__)


class Keystore(KeyLocations, AgentKeys):
    """All wallets of this user: public metadata plus encrypted entries, and the session.

    The shared state and the constructor's options are :class:`KeystoreCore`'s; where keys
    live is :class:`KeyLocations`'s, agent bookkeeping :class:`AgentKeys`'s. This class
    creates, imports, unlocks, locks, reveals, edits and deletes wallets.
    """

    # ------------------------------------------------------------------ create and import

    def create_wallet(
        self,
        phrase: RecoveryPhrase,
        password: str,
        *,
        label: str = "Wallet",
        network: NetworkName = DEFAULT_NETWORK,
        account_index: int = 0,
        source: Source = "created",
    ) -> WalletInfo:
        """Store a wallet for ``phrase`` (new from :meth:`RecoveryPhrase.generate` or parsed).

        Whether the user confirmed the backup (``phrase.check_backup``) is recorded, so the UI
        can keep reminding; it is not enforced here.
        """
        check_password(password)
        key = phrase.derive_private_key(account_index)
        words = phrase.as_bytes()
        try:
            return self._add(
                key,
                password,
                phrase=words,
                account_index=account_index,
                label=label,
                network=network,
                source=source,
                backup_confirmed=phrase.backup_confirmed or source == "phrase",
            )
        finally:
            wipe(key)
            wipe(words)

    def import_phrase(
        self,
        text: str,
        password: str,
        *,
        account_index: int = 0,
        label: str = "Imported wallet",
        network: NetworkName = DEFAULT_NETWORK,
    ) -> WalletInfo:
        """Import a BIP39 phrase (validated word by word) at ``m/44'/60'/0'/0/<index>``."""
        check_password(password)
        phrase = RecoveryPhrase.parse(text)
        try:
            return self.create_wallet(
                phrase,
                password,
                label=label,
                network=network,
                account_index=account_index,
                source="phrase",
            )
        finally:
            phrase.wipe()

    def import_private_key(
        self,
        text: str,
        password: str,
        *,
        label: str = "Imported key",
        network: NetworkName = DEFAULT_NETWORK,
    ) -> WalletInfo:
        """Import a hex private key (with or without 0x)."""
        check_password(password)
        key = parse_private_key(text)
        try:
            return self._add(
                key,
                password,
                phrase=None,
                account_index=None,
                label=label,
                network=network,
                source="key",
                backup_confirmed=True,
            )
        finally:
            wipe(key)

    def create_demo_wallet(
        self, password: str, *, label: str = "Demo (local venue)"
    ) -> tuple[WalletInfo, RecoveryPhrase]:
        """A fresh phrase wallet for the local venue, stored exactly like any other wallet.

        It uses the password the user sets in onboarding (no generated password kept beside
        it): one code path, and a demo address that is never weaker than a real one. The
        phrase is returned so the UI may offer (not force) a backup.
        """
        phrase = RecoveryPhrase.generate(12)
        info = self.create_wallet(phrase, password, label=label, network="local", source="demo")
        return info, phrase

    def _add(
        self,
        key: bytes | bytearray,
        password: str,
        *,
        phrase: bytes | bytearray | None,
        account_index: int | None,
        label: str,
        network: NetworkName,
        source: Source,
        backup_confirmed: bool,
    ) -> WalletInfo:
        if network not in NETWORKS:
            raise WalletError(f"Unknown network {network!r}.")
        address = key_address(key)
        with self._lock:
            if address.lower() in self._wallets:
                raise WalletExists(f"Wallet {address} is already stored in this app.")
            storage, store = self._store_for_new()
            derived = DerivedKey.derive(password, self._scrypt)
            try:
                blob = seal(key, derived, kind="wallet", phrase=phrase, account_index=account_index)
            finally:
                derived.wipe()
            info = WalletInfo(
                address=address,
                label=(label or "Wallet").strip()[:64],
                network=network,
                source=source,
                account_index=account_index,
                created_at_ms=wall_ms(),
                backup_confirmed=backup_confirmed,
                storage=storage,
            )
            store.set(info.entry_name, blob)  # KeyringWriteFailed: nothing else changed
            wallets = dict(self._wallets)
            wallets[address.lower()] = info
            try:
                self._save(wallets)
            except WalletError:
                try:
                    store.delete(info.entry_name)
                except WalletError:
                    log.warning("could not roll back the keyring entry for %s", address)
                raise
        log.info("stored wallet %s (%s, %s)", address, source, storage)
        return info

    # ------------------------------------------------------------------ unlock and lock

    def unlock(self, address: str, password: str) -> UnlockedWallet:
        """Decrypt ``address``'s key (and its agents) into a new session; locks any other.

        A wrong password raises :class:`WrongPassword` and writes nothing.
        """
        with self._lock:  # not mid-move: the metadata and the store agree
            info = self.get(address)
            blob = self._read_blob(info, info.entry_name, "wallet", None)
        derived = DerivedKey.derive(str(password), blob.params, blob.salt)
        try:
            key, _phrase = self._open(info, blob, derived)
        except BaseException:
            derived.wipe()
            raise
        wipe(_phrase)
        session = UnlockedWallet(self, info.address, key, derived)
        wipe(key)
        for slot, records in (("", info.agents), ("pending:", info.pending_agents)):
            for network, record in records.items():
                agent_key = self._load_agent(info, record, derived)
                if agent_key is not None:
                    session._hold(slot + network, record.address, agent_key)
                    wipe(agent_key)
        with self._lock:
            previous, self._session = self._session, session
            self._last_activity = self._clock()
        if previous is not None:
            self._lock_session(previous)
        self._note_unlocked(info.address)
        log.info("unlocked wallet %s", info.address)
        return session

    def _note_unlocked(self, address: str) -> None:
        """Remember the wallet in use for the unlock strip; a failed write only costs that."""
        with self._lock:
            info = self._wallets.get(address.lower())
            if info is None:
                return
            updated = replace(info, last_unlocked_ms=wall_ms())
            try:
                self._save({**self._wallets, address.lower(): updated})
            except WalletError as exc:
                log.warning("could not remember the last used wallet: %s", exc)

    def lock(self) -> None:
        """Drop every decrypted key from memory (and from signing's cache). Idempotent."""
        with self._lock:
            session, self._session = self._session, None
        if session is not None:
            self._lock_session(session)
            log.info("locked wallet %s", session.address)
        secp256k1.forget_cached_keys()

    def _lock_session(self, session: UnlockedWallet) -> None:
        session._wipe()
        secp256k1.forget_cached_keys()
        for listener in list(self._lock_listeners):
            try:
                listener()
            except Exception:
                log.exception("lock listener failed")

    def add_lock_listener(self, listener: Callable[[], None]) -> None:
        """Called (from whichever thread locks) after a session is locked."""
        self._lock_listeners.append(listener)

    # ------------------------------------------------------------------ idle lock

    @property
    def idle_lock_minutes(self) -> int:
        return self._idle_minutes

    @idle_lock_minutes.setter
    def idle_lock_minutes(self, minutes: int) -> None:
        if isinstance(minutes, bool) or not isinstance(minutes, int):
            raise WalletError("The idle lock time must be a whole number of minutes.")
        if not 1 <= minutes <= MAX_IDLE_LOCK_MINUTES:
            raise WalletError(f"The idle lock time must be 1 to {MAX_IDLE_LOCK_MINUTES} minutes.")
        with self._lock:
            old, self._idle_minutes = self._idle_minutes, minutes
            try:
                self._save(dict(self._wallets))
            except WalletError:
                self._idle_minutes = old
                raise

    def touch(self) -> None:
        """Record user activity (the UI calls this on input); postpones the idle lock."""
        with self._lock:
            self._last_activity = self._clock()

    def seconds_until_idle_lock(self) -> float | None:
        """None when locked; otherwise how long until the idle lock fires."""
        with self._lock:
            if self._session is None:
                return None
            return max(0.0, self._last_activity + self._idle_minutes * 60 - self._clock())

    def lock_if_idle(self) -> bool:
        """Lock if idle for longer than the configured time; True if it locked now."""
        remaining = self.seconds_until_idle_lock()
        if remaining is None or remaining > 0:
            return False
        log.info("locking after %d idle minutes", self._idle_minutes)
        self.lock()
        return True

    async def watch_idle(self, poll_s: float = 5.0) -> None:
        """Run forever on the app's event loop, locking when idle (cancel to stop)."""
        while True:
            await asyncio.sleep(poll_s)
            self.lock_if_idle()

    # ------------------------------------------------------------------ backup, delete, edit

    def reveal(self, address: str, password: str) -> RevealedSecret:
        """The phrase (if any) and key, for backup; needs the password again even if unlocked."""
        info = self.get(address)
        blob = self._read_blob(info, info.entry_name, "wallet", None)
        derived = DerivedKey.derive(str(password), blob.params, blob.salt)
        try:
            key, phrase = self._open(info, blob, derived)
        finally:
            derived.wipe()
        log.info("revealed backup of %s", info.address)
        try:
            return RevealedSecret(info.address, key, phrase)
        finally:
            wipe(key)
            wipe(phrase)

    def delete_wallet(self, address: str, *, confirmed: bool = False) -> None:
        """Remove a wallet's keyring entries and metadata. ``confirmed`` must be True: the UI
        asks first (and should warn that without a backup the funds are lost)."""
        if confirmed is not True:
            raise NotConfirmed("Deleting a wallet needs your confirmation.")
        info = self.get(address)
        with self._lock:
            if self._session is not None and self._session.address == info.address:
                self.lock()
            store = self._store(info.storage)
            store.delete(info.entry_name)  # KeyringWriteFailed: nothing changed
            wallets = dict(self._wallets)
            del wallets[info.address.lower()]
            self._save(wallets)
        # Active and pending agents, and retired ones whose deletion may have failed then
        # (deleting an entry that is already gone is a no-op).
        agents = {r.address for r in (*info.agents.values(), *info.pending_agents.values())}
        agents |= set(info.retired_agents) - {info.address.lower()}
        for agent in agents:
            self._delete_quietly(store, agent)
        log.info("deleted wallet %s", info.address)

    def confirm_backup(self, address: str) -> WalletInfo:
        """Record that the user passed the backup check (typed back words of the phrase)."""
        with self._lock:
            info = replace(self.get(address), backup_confirmed=True)
            self._save({**self._wallets, info.address.lower(): info})
        log.info("backup of %s confirmed", info.address)
        return info

    def rename_wallet(self, address: str, label: str) -> WalletInfo:
        with self._lock:
            info = replace(self.get(address), label=(label or "Wallet").strip()[:64])
            self._save({**self._wallets, info.address.lower(): info})
        return info

    def change_password(self, address: str, old_password: str, new_password: str) -> None:
        """Re-encrypt the wallet and its agents under a new password (fresh salt).

        Each entry is rewritten in place; the keyring either takes the whole new value or
        keeps the old one, and a failure part-way leaves agents readable only with the old
        password, which unlock tolerates (it approves a fresh agent).
        """
        check_password(new_password)
        info = self.get(address)
        blob = self._read_blob(info, info.entry_name, "wallet", None)
        old = DerivedKey.derive(str(old_password), blob.params, blob.salt)
        new = DerivedKey.derive(new_password, self._scrypt)
        key: bytearray | None = None
        phrase: bytearray | None = None
        try:
            key, phrase = self._open(info, blob, old)
            store = self._store(info.storage)
            store.set(
                info.entry_name,
                seal(key, new, kind="wallet", phrase=phrase, account_index=blob.account_index),
            )
            for record in (*info.agents.values(), *info.pending_agents.values()):
                agent_key = self._load_agent(info, record, old)
                if agent_key is not None:
                    try:
                        store.set(
                            f"agent:{record.address}",
                            seal(agent_key, new, kind="agent", owner=info.address),
                        )
                    finally:
                        wipe(agent_key)
        finally:
            old.wipe()
            new.wipe()
            wipe(key)
            wipe(phrase)
        with self._lock:
            if self._session is not None and self._session.address == info.address:
                self.lock()  # the session's derived key belongs to the old password

    def __repr__(self) -> str:
        return f"Keystore({len(self._wallets)} wallets, unlocked={self._session is not None})"

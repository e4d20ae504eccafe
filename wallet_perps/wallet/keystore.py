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

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, Final

from wallet_perps.config import app_dirs
from wallet_perps.core.networks import DEFAULT_NETWORK, NETWORKS, NetworkName
from wallet_perps.crypto import secp256k1
from wallet_perps.wallet.backends import (
    EncryptedFileStore,
    KeyringStore,
    SecretStore,
    copy_entries,
    delete_entries,
    keyring_problem,
)
from wallet_perps.wallet.errors import (
    KEYRING_GONE_MESSAGE,
    AgentRequired,
    CorruptEntry,
    KeyringUnavailable,
    KeyringWriteFailed,
    NotConfirmed,
    UnknownWallet,
    WalletError,
    WalletExists,
    WalletLocked,
    WeakPassword,
)
from wallet_perps.wallet.metadata import (
    AgentRecord,
    MetadataFile,
    Source,
    Storage,
    WalletInfo,
)
from wallet_perps.wallet.mnemonic import RecoveryPhrase
from wallet_perps.wallet.secret_storage import (
    STRONG_SCRYPT,
    DerivedKey,
    ScryptParams,
    SealedBlob,
    key_address,
    open_blob,
    parse_blob,
    seal,
)
from wallet_perps.wallet.unlocked import (
    RevealedSecret,
    UnlockedWallet,
    now_millis,
    parse_private_key,
    random_key,
    wipe,
)

__all__ = [
    "MAX_IDLE_LOCK_MINUTES",
    "MIN_PASSWORD_LENGTH",
    "Keystore",
    "RevealedSecret",
    "UnlockedWallet",
    "parse_private_key",
]

log = logging.getLogger(__name__)

MIN_PASSWORD_LENGTH: Final = 8
MAX_IDLE_LOCK_MINUTES: Final = 24 * 60


def _check_password(password: str) -> None:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword(
            f"Choose a password of at least {MIN_PASSWORD_LENGTH} characters; it is what "
            "protects your key on this computer."
        )


class Keystore:
    """All wallets of this user: public metadata plus encrypted entries, and the session.

    ``scrypt`` is the cost used when *writing* blobs; the default is the strong standard
    (N=2**18). Tests pass ``secret_storage.TEST_ONLY_FAST_SCRYPT`` explicitly to stay fast;
    nothing in the app does.

    ``allow_file_fallback`` is the user's explicit choice (onboarding's first screen, see
    :meth:`choose_file_store`; remembered in ``wallets.json``) to keep new blobs in encrypted
    files under the data directory when no OS keyring is usable. Without it, a missing keyring
    raises :class:`KeyringUnavailable` and nothing is written. Passing True here makes the
    choice for the user (the screenshot script's throwaway home does).
    """

    def __init__(
        self,
        *,
        scrypt: ScryptParams = STRONG_SCRYPT,
        allow_file_fallback: bool = False,
        metadata: MetadataFile | None = None,
        file_store_dir: Path | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._scrypt = scrypt
        self._metadata = metadata or MetadataFile()
        self._file_dir = file_store_dir or Path(app_dirs().user_data_dir) / "keystore"
        self._clock = clock
        self._lock = threading.RLock()
        stored = self._metadata.load()
        self._wallets, self._idle_minutes = stored.wallets, stored.idle_lock_minutes
        self.allow_file_fallback = allow_file_fallback or stored.allow_file_fallback
        self._session: UnlockedWallet | None = None
        self._last_activity = clock()
        self._lock_listeners: list[Callable[[], None]] = []

    # ------------------------------------------------------------------ stores

    def _store(self, storage: Storage) -> SecretStore:
        """The store an existing wallet's entries are in."""
        if storage == "file":
            return EncryptedFileStore(self._file_dir)
        try:
            return KeyringStore()
        except KeyringUnavailable:
            raise KeyringUnavailable(KEYRING_GONE_MESSAGE) from None

    def _store_for_new(self) -> tuple[Storage, SecretStore]:
        try:
            return "keyring", KeyringStore()
        except KeyringUnavailable:
            if not self.allow_file_fallback:
                raise
        log.warning(
            "no OS keyring: storing the encrypted wallet key in a file under %s, as the user "
            "chose; it is protected by the wallet password only",
            self._file_dir,
        )
        return "file", EncryptedFileStore(self._file_dir)

    def _save(self, wallets: dict[str, WalletInfo]) -> None:
        """Persist metadata, then adopt it; on failure the in-memory view stays as it was."""
        try:
            self._metadata.save(
                wallets, self._idle_minutes, allow_file_fallback=self.allow_file_fallback
            )
        except OSError as exc:
            raise WalletError(
                f"Could not save the wallet list ({exc.strerror}); nothing was changed."
            ) from None
        self._wallets = wallets

    # ------------------------------------------------------------------ queries

    def wallets(self) -> list[WalletInfo]:
        with self._lock:
            return sorted(self._wallets.values(), key=lambda w: w.created_at_ms)

    def get(self, address: str) -> WalletInfo:
        with self._lock:
            info = self._wallets.get(str(address).lower())
        if info is None:
            raise UnknownWallet(f"No wallet {address} is stored in this app.")
        return info

    def last_used(self) -> WalletInfo | None:
        """The wallet unlocked most recently (the newest if none ever was); None if empty."""
        with self._lock:
            wallets = list(self._wallets.values())
        if not wallets:
            return None
        return max(wallets, key=lambda w: (w.last_unlocked_ms, w.created_at_ms))

    @property
    def session(self) -> UnlockedWallet | None:
        """The unlocked wallet, or None when locked."""
        with self._lock:
            return self._session

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
        _check_password(password)
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
        _check_password(password)
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
        _check_password(password)
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
                created_at_ms=now_millis(),
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

    # ------------------------------------------------------------------ where keys live

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

    # ------------------------------------------------------------------ read entries

    def _read_blob(self, info: WalletInfo, name: str, kind: str, owner: str | None) -> SealedBlob:
        """Fetch and shape-check one entry; problems become a CorruptEntry naming the wallet."""
        text = self._store(info.storage).get(name)
        what = "agent key" if kind == "agent" else "key"
        try:
            blob = parse_blob(text)
            if blob.kind != kind or blob.address != name.split(":", 1)[1]:
                raise CorruptEntry("the entry belongs to a different wallet")
            if owner is not None and blob.owner != owner.lower():
                raise CorruptEntry("the entry belongs to a different wallet")
        except CorruptEntry as exc:
            raise CorruptEntry(
                f"The stored {what} of wallet {info.address} is damaged or was not written by "
                f"Wallet Perps ({exc.message}). Your other wallets are not affected; delete "
                "this wallet and import it again from its recovery phrase or private key."
            ) from None
        return blob

    def _open(
        self, info: WalletInfo, blob: SealedBlob, derived: DerivedKey
    ) -> tuple[bytearray, bytearray | None]:
        try:
            return open_blob(blob, derived)
        except CorruptEntry as exc:
            raise CorruptEntry(
                f"The stored key of wallet {info.address} is damaged ({exc.message}). Your other "
                "wallets are not affected; delete this wallet and import it again."
            ) from None

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
            updated = replace(info, last_unlocked_ms=now_millis())
            try:
                self._save({**self._wallets, address.lower(): updated})
            except WalletError as exc:
                log.warning("could not remember the last used wallet: %s", exc)

    def _load_agent(
        self, info: WalletInfo, record: AgentRecord, derived: DerivedKey
    ) -> bytearray | None:
        """An agent's key, or None (logged) if its entry is gone or damaged: a new agent will
        be approved on the next trade, so one bad agent entry must not block unlocking."""
        try:
            blob = self._read_blob(info, f"agent:{record.address}", "agent", info.address)
            if derived.matches(blob.salt, blob.params):
                key, phrase = open_blob(blob, derived)
                wipe(phrase)
            else:  # sealed under an older password's salt (should not happen): skip
                raise CorruptEntry("sealed under a different password")
        except WalletError as exc:
            log.warning("agent %s of %s unusable: %s", record.address, info.address, exc)
            return None
        return key

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
            try:
                store.delete(f"agent:{agent}")
            except WalletError as exc:
                log.warning("could not delete agent entry %s: %s", agent, exc)
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
        _check_password(new_password)
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

    # ------------------------------------------------------------------ agent bookkeeping

    def _check_session(self, session: UnlockedWallet) -> WalletInfo:
        with self._lock:
            if session.locked or session is not self._session:
                raise WalletLocked()
        return self.get(session.address)

    def stage_agent(
        self, session: UnlockedWallet, network: NetworkName, *, name: str, valid_until_ms: int
    ) -> AgentRecord:
        """Generate a fresh agent key, store it encrypted, record it as pending on ``network``.

        Stored *before* approval so an approval whose answer is lost leaves a key that can be
        re-approved, never an approved agent without a key. An older pending agent is retired.
        """
        with self._lock:
            info = self._check_session(session)
            retired = {*info.retired_agents, info.address.lower()}
            retired |= {r.address for r in (*info.agents.values(), *info.pending_agents.values())}
            while True:
                key = random_key()
                try:
                    address = key_address(key).lower()
                except ValueError:
                    continue
                if address not in retired:
                    break
                wipe(key)
            store = self._store(info.storage)
            store.set(
                f"agent:{address}", seal(key, session._derived, kind="agent", owner=info.address)
            )
            record = AgentRecord(address, name, valid_until_ms, None)
            old_pending = info.pending_agents.get(network)
            updated = replace(
                info,
                pending_agents={**info.pending_agents, network: record},
                retired_agents=(
                    (*info.retired_agents, old_pending.address)
                    if old_pending
                    else info.retired_agents
                ),
            )
            try:
                self._save({**self._wallets, info.address.lower(): updated})
            except WalletError:
                self._delete_quietly(store, address)
                wipe(key)
                raise
            session._hold(f"pending:{network}", address, key)
            wipe(key)
            if old_pending is not None:
                self._delete_quietly(store, old_pending.address)
            log.info("staged agent %s for %s on %s", address, info.address, network)
            return record

    def activate_agent(
        self, session: UnlockedWallet, network: NetworkName, approved_at_ms: int
    ) -> AgentRecord:
        """The pending agent was approved: make it active; the one it replaced is retired
        (its key deleted, its address never used again)."""
        with self._lock:
            info = self._check_session(session)
            pending = info.pending_agents.get(network)
            held = session._pending_key(network)
            if pending is None or held is None or held[0] != pending.address:
                raise AgentRequired(f"No pending agent for {network}.")
            record = replace(pending, approved_at_ms=approved_at_ms)
            old = info.agents.get(network)
            pendings = dict(info.pending_agents)
            del pendings[network]
            updated = replace(
                info,
                agents={**info.agents, network: record},
                pending_agents=pendings,
                retired_agents=(*info.retired_agents, old.address) if old else info.retired_agents,
            )
            self._save({**self._wallets, info.address.lower(): updated})
            session._hold(network, record.address, held[1])
            session._drop(f"pending:{network}")
            if old is not None and old.address != record.address:
                self._delete_quietly(self._store(info.storage), old.address)
            log.info("agent %s active for %s on %s", record.address, info.address, network)
            return record

    def retire_agent(self, session: UnlockedWallet, network: NetworkName, *, pending: bool) -> None:
        """Forget the active (or pending) agent on ``network``: key deleted, address retired."""
        with self._lock:
            info = self._check_session(session)
            records = info.pending_agents if pending else info.agents
            record = records.get(network)
            if record is None:
                return
            remaining = {k: v for k, v in records.items() if k != network}
            changes: dict[str, Any] = {"pending_agents" if pending else "agents": remaining}
            updated = replace(
                info, retired_agents=(*info.retired_agents, record.address), **changes
            )
            self._save({**self._wallets, info.address.lower(): updated})
            session._drop(f"pending:{network}" if pending else network)
            self._delete_quietly(self._store(info.storage), record.address)
            log.info("retired agent %s of %s on %s", record.address, info.address, network)

    @staticmethod
    def _delete_quietly(store: SecretStore, agent: str) -> None:
        try:
            store.delete(f"agent:{agent}")
        except (KeyringWriteFailed, WalletError) as exc:
            log.warning("could not delete agent entry %s: %s", agent, exc)

    def __repr__(self) -> str:
        return f"Keystore({len(self._wallets)} wallets, unlocked={self._session is not None})"

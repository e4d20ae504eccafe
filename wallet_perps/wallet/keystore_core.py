"""The state every part of the keystore shares: wallet metadata, the stores, the session.

Why apart: :class:`~wallet_perps.wallet.keystore.Keystore` is one object to its callers, but
its duties (creating and unlocking wallets, moving keys between stores, agent bookkeeping)
each need the same few things: the metadata file and its in-memory copy, the store a wallet's
entries are in, the session, and one re-entrant lock serialising them. Those live here, with
the reading of sealed entries, so each duty can sit in its own module on top
(``key_locations``, ``agent_keys``, ``keystore``). Everything here is blocking.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Final

from wallet_perps.config import app_dirs
from wallet_perps.wallet.backends import EncryptedFileStore, KeyringStore, SecretStore
from wallet_perps.wallet.errors import (
    KEYRING_GONE_MESSAGE,
    CorruptEntry,
    KeyringUnavailable,
    UnknownWallet,
    WalletError,
    WeakPassword,
)
from wallet_perps.wallet.metadata import AgentRecord, MetadataFile, Storage, WalletInfo
from wallet_perps.wallet.secret_storage import (
    STRONG_SCRYPT,
    DerivedKey,
    ScryptParams,
    SealedBlob,
    open_blob,
    parse_blob,
)
from wallet_perps.wallet.unlocked import UnlockedWallet, wipe

__all__ = ["MAX_IDLE_LOCK_MINUTES", "MIN_PASSWORD_LENGTH", "KeystoreCore", "check_password"]

log = logging.getLogger(__name__)

MIN_PASSWORD_LENGTH: Final = 8
MAX_IDLE_LOCK_MINUTES: Final = 24 * 60


def check_password(password: str) -> None:
    """Refuse a password shorter than the floor before any scrypt work is spent on it."""
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword(
            f"Choose a password of at least {MIN_PASSWORD_LENGTH} characters; it is what "
            "protects your key on this computer."
        )


class KeystoreCore:
    """Metadata, stores and session of all wallets of this user, behind one lock.

    ``scrypt`` is the cost used when *writing* blobs; the default is the strong standard
    (N=2**18). Tests pass ``secret_storage.TEST_ONLY_FAST_SCRYPT`` explicitly to stay fast;
    nothing in the app does.

    ``allow_file_fallback`` is the user's explicit choice (onboarding's first screen, see
    ``choose_file_store``; remembered in ``wallets.json``) to keep new blobs in encrypted
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

"""Where the encrypted blobs live: the OS keyring, or (only if the user chose it) files.

Every value stored is already a password-encrypted keystore (see ``secret_storage``); the
keyring adds OS-level protection at rest (the login keyring is itself encrypted and locked
with the session) and keeps the blobs out of the app's own directories.

"No keyring" is decided from the backend ``keyring`` selects: its ``fail``/``null`` backends,
or any backend with priority below 1 (e.g. plaintext or "chainer" with nothing behind it),
count as unavailable. There is no silent plaintext fallback: :class:`EncryptedFileStore` is
only used for a new wallet after the user chose it (onboarding's first screen, remembered in
``wallets.json``) or when the user moves a wallet there from Settings, and it stores the same
encrypted JSON, logging a warning.

:func:`copy_entries` moves blobs between the two stores without decrypting them: write,
read back, compare, and on any failure remove what it wrote, so the source stays the only
(and complete) copy until the caller has switched its metadata over.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Final, Protocol

from wallet_perps.core.private_files import write_private
from wallet_perps.wallet.errors import (
    KeyringUnavailable,
    KeyringWriteFailed,
    SecretStoreError,
)

__all__ = [
    "SERVICE",
    "EncryptedFileStore",
    "KeyringStore",
    "SecretStore",
    "copy_entries",
    "delete_entries",
    "keyring_problem",
]

log = logging.getLogger(__name__)

#: The keyring "service" every entry is filed under (one entry per wallet or agent).
SERVICE: Final = "wallet-perps"
_ENTRY_RE: Final = re.compile(r"^(wallet|agent):0x[0-9a-f]{40}$")


class SecretStore(Protocol):
    """Three operations on named, already-encrypted text entries."""

    kind: str

    def get(self, name: str) -> str | None: ...

    def set(self, name: str, value: str) -> None: ...

    def delete(self, name: str) -> None: ...


def keyring_problem(backend: object | None = None) -> str | None:
    """None if the OS keyring is usable, else why not (for logs; users get KeyringUnavailable).

    ``keyring`` is imported here, on first use, not with this module: it costs about 25 ms
    (its plugin discovery reads every installed package's metadata), and the app's first
    screen needs no keyring until a wallet is unlocked or created.
    """
    import keyring

    try:
        backend = keyring.get_keyring() if backend is None else backend
    except Exception as exc:  # a broken keyring config must not crash the app
        return f"keyring could not choose a backend ({type(exc).__name__})"
    module = type(backend).__module__
    if module.startswith(("keyring.backends.fail", "keyring.backends.null")):
        return f"keyring selected {module}.{type(backend).__name__}"
    try:
        priority = float(getattr(backend, "priority", 0))
    except Exception:
        return "the keyring backend reports no priority"
    if priority < 1:
        return f"the keyring backend {type(backend).__name__} has priority {priority:g} < 1"
    return None


def _check_name(name: str) -> str:
    if not _ENTRY_RE.fullmatch(name):
        raise ValueError(f"bad secret entry name {name!r}")
    return name


class KeyringStore:
    """The OS keyring through ``keyring``: service ``wallet-perps``, one entry per name."""

    kind = "keyring"

    def __init__(self, backend: object | None = None) -> None:
        problem = keyring_problem(backend)
        if problem is not None:
            log.warning("no usable OS keyring: %s", problem)
            raise KeyringUnavailable()
        import keyring

        self._backend = keyring.get_keyring() if backend is None else backend

    def get(self, name: str) -> str | None:
        import keyring.errors

        try:
            value = self._backend.get_password(SERVICE, _check_name(name))  # type: ignore[attr-defined]
        except keyring.errors.KeyringLocked:
            raise SecretStoreError(
                "The system keyring is locked. Unlock it (log in to the desktop session or "
                "unlock 'Login' in your keyring manager) and try again."
            ) from None
        except Exception as exc:  # KeyringError, or D-Bus errors the backend did not wrap
            raise SecretStoreError(
                f"The system keyring could not be read ({type(exc).__name__}). "
                "Check that it is running and unlocked."
            ) from None
        return value if isinstance(value, str) else None

    def set(self, name: str, value: str) -> None:
        try:
            self._backend.set_password(SERVICE, _check_name(name), value)  # type: ignore[attr-defined]
        except Exception as exc:  # PasswordSetError, or D-Bus errors the backend did not wrap
            raise KeyringWriteFailed(
                f"The system keyring refused to save ({type(exc).__name__}); nothing was "
                "changed. Check that the keyring is unlocked and not full, then try again."
            ) from None

    def delete(self, name: str) -> None:
        import keyring.errors

        try:
            self._backend.delete_password(SERVICE, _check_name(name))  # type: ignore[attr-defined]
        except keyring.errors.PasswordDeleteError:
            if self.get(name) is None:
                return  # already gone: deleting is idempotent
            raise KeyringWriteFailed(
                "The system keyring refused to delete an entry; nothing was changed."
            ) from None
        except Exception as exc:
            raise KeyringWriteFailed(
                f"The system keyring refused to delete an entry ({type(exc).__name__}); "
                "nothing was changed."
            ) from None

    def __repr__(self) -> str:
        return f"KeyringStore({type(self._backend).__name__})"


def _file_not_changed(doing: str, exc: OSError) -> KeyringWriteFailed:
    return KeyringWriteFailed(
        f"The encrypted key file could not be {doing} ({exc.strerror}); nothing was changed."
    )


class EncryptedFileStore:
    """The user-chosen fallback: each encrypted blob as a 0600 file in the data directory.

    The blobs are exactly what would go to the keyring (scrypt-encrypted with the user's
    password), so this is as strong as the password, without the extra OS protection. Writes
    are atomic (temp file + rename) so a crash never leaves half a key.
    """

    kind = "file"

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _path(self, name: str) -> Path:
        return self.directory / (_check_name(name).replace(":", "-") + ".json")

    def path_of(self, name: str) -> Path:
        """Where entry ``name`` is (or would be) kept: shown to the user in Settings."""
        return self._path(name)

    def get(self, name: str) -> str | None:
        try:
            return self._path(name).read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as exc:
            raise SecretStoreError(
                f"The encrypted key file could not be read ({type(exc).__name__})."
            ) from None

    def set(self, name: str, value: str) -> None:
        try:  # the folder 0700 also when it existed; the file atomic and 0600 from its first byte
            write_private(self._path(name), value)
        except OSError as exc:
            raise _file_not_changed("written", exc) from None

    def delete(self, name: str) -> None:
        try:
            self._path(name).unlink(missing_ok=True)
        except OSError as exc:
            raise _file_not_changed("deleted", exc) from None

    def __repr__(self) -> str:
        return f"EncryptedFileStore({str(self.directory)!r})"


def delete_entries(store: SecretStore, names: Sequence[str]) -> list[str]:
    """Delete each of ``names`` from ``store``; the names that could not be deleted (logged)."""
    left = []
    for name in names:
        try:
            store.delete(name)
        except (SecretStoreError, OSError) as exc:
            log.warning("could not delete %s from %r: %s", name, store, exc)
            left.append(name)
    return left


def copy_entries(
    source: SecretStore,
    target: SecretStore,
    required: Sequence[str],
    optional: Sequence[str] = (),
) -> list[str]:
    """Copy already-encrypted entries from ``source`` to ``target``, verified; the names copied.

    Each value is written, read back and compared. On any failure every entry written so far
    is deleted from ``target`` again and :class:`SecretStoreError` says what failed, so
    ``source`` remains the one complete copy. A ``required`` name missing in ``source`` fails
    before anything is written; a missing ``optional`` one (an agent key the app can replace)
    is skipped.
    """
    values = []
    for name in (*required, *optional):
        value = source.get(name)
        if value is None:
            if name in optional:
                log.warning("%s is missing from %r; not copied", name, source)
                continue
            raise SecretStoreError(
                f"The wallet's entry is missing from the {_STORE_WORDS[source.kind]}; "
                "nothing was moved."
            )
        values.append((name, value))
    written: list[str] = []
    try:
        for name, value in values:
            written.append(name)
            target.set(name, value)
            if target.get(name) != value:
                raise SecretStoreError(
                    f"The copy in the {_STORE_WORDS[target.kind]} did not read back the same; "
                    "nothing was moved."
                )
    except SecretStoreError:
        delete_entries(target, written)
        raise
    return written


_STORE_WORDS: Final = {"keyring": "system keyring", "file": "encrypted file"}

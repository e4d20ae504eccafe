"""Errors of the wallet layer, each with a message a user can read and act on.

Two rules hold for every class here:

* The message never contains secret material: not the private key, not the recovery phrase,
  not a word of it, not the password. Messages about bad input say *where* it is wrong
  ("word 7"), never *what* was typed, because error text ends up in logs, dialogs and bug
  reports.
* ``repr`` is the class name and the message only, so a traceback cannot leak more than the
  message does.
"""

from __future__ import annotations

__all__ = [
    "FILE_KEYSTORE_CHOICE",
    "KEYRING_GONE_MESSAGE",
    "NO_KEYRING_MESSAGE",
    "AgentError",
    "AgentNeedsDeposit",
    "AgentRequired",
    "BackupMismatch",
    "CorruptEntry",
    "InvalidPhrase",
    "InvalidPrivateKey",
    "KeyringUnavailable",
    "KeyringWriteFailed",
    "NoRecoveryPhrase",
    "NotConfirmed",
    "SecretStoreError",
    "UnknownWallet",
    "WalletError",
    "WalletExists",
    "WalletLocked",
    "WeakPassword",
    "WrongPassword",
]

#: The button on onboarding's first screen that chooses the encrypted-file keystore; the
#: messages below name it, so they must match what the screen shows.
FILE_KEYSTORE_CHOICE = "Keep keys in an encrypted file"

NO_KEYRING_MESSAGE = (
    "No system keyring (Secret Service) is available, so the wallet cannot be stored in it. "
    "Install and unlock gnome-keyring or KWallet (on a headless Linux: run the app inside a "
    "D-Bus session with gnome-keyring-daemon started and unlocked) and restart the app, or "
    f"choose \u201c{FILE_KEYSTORE_CHOICE}\u201d on the app's first screen (or under Add wallet)."
)
KEYRING_GONE_MESSAGE = (
    "This wallet's key is kept in the system keyring, which is not available now (no Secret "
    "Service). Start and unlock gnome-keyring or KWallet, then try again; nothing was changed."
)


class WalletError(Exception):
    """Base class: ``str(error)`` is the sentence to show the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"


class InvalidPrivateKey(WalletError):
    """The text offered as a private key is not one."""


class InvalidPhrase(WalletError):
    """The text offered as a BIP39 recovery phrase is not one (count, word list, checksum)."""


class BackupMismatch(WalletError):
    """The words typed back during backup confirmation do not match the phrase."""


class WeakPassword(WalletError):
    """The chosen password is too short to protect a key at rest."""


class WrongPassword(WalletError):
    """The password does not decrypt the stored key. Nothing stored was changed."""

    def __init__(self, message: str = "Wrong password. Nothing was changed.") -> None:
        super().__init__(message)


class WalletLocked(WalletError):
    """A signing or reveal operation needs an unlocked wallet."""

    def __init__(
        self, message: str = "The wallet is locked. Unlock it with your password."
    ) -> None:
        super().__init__(message)


class UnknownWallet(WalletError):
    """No wallet with that address is known to this app."""


class WalletExists(WalletError):
    """Importing or creating a wallet whose address is already stored."""


class NoRecoveryPhrase(WalletError):
    """The wallet was imported from a private key, so there is no phrase to reveal."""


class NotConfirmed(WalletError):
    """A destructive operation was called without the user's explicit confirmation."""


class SecretStoreError(WalletError):
    """The place encrypted secrets live (OS keyring or encrypted file) failed."""


class KeyringUnavailable(SecretStoreError):
    """No usable OS keyring backend (and, for a new wallet, the encrypted file not chosen)."""

    def __init__(self, message: str = NO_KEYRING_MESSAGE) -> None:
        super().__init__(message)


class KeyringWriteFailed(SecretStoreError):
    """The keyring refused a write or delete; what it held before is untouched."""


class CorruptEntry(SecretStoreError):
    """A stored entry is damaged, missing, or was not written by Wallet Perps for this wallet."""


class AgentError(WalletError):
    """Approving, rotating or revoking an agent (API) wallet failed."""


class AgentRequired(AgentError):
    """An L1 action needs an approved, unexpired agent on this network; approve one first."""


class AgentNeedsDeposit(AgentError):
    """The venue approves agents only for accounts that have deposited; none was made.

    Raised before any agent key is generated, so an account that never deposited leaves no
    agent entry behind; the first deposit or trade after one approves the agent.
    """

    def __init__(self, message: str | None = None) -> None:
        super().__init__(
            message
            or "Deposit USDC into this account first: the exchange approves the agent wallet "
            "that signs your orders only for an account that has deposited."
        )

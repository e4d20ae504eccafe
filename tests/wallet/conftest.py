"""Fixtures for the wallet tests: the REAL Secret Service keyring, a fast-scrypt keystore.

The suite runs inside ``dbus-run-session`` with a throwaway, unlocked gnome-keyring
(packaging/with_keyring.sh), so every test below round-trips through the same backend a Linux
desktop uses. Only tests that are about a missing or misbehaving keyring swap the backend,
and the ``real_keyring`` fixture puts the real one back afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator

import keyring
import keyring.backend
import keyring.backends.SecretService
import keyring.errors
import pytest

from tests.keyring_helpers import clear_keyring_entries
from wallet_perps.wallet.backends import keyring_problem
from wallet_perps.wallet.keystore import Keystore
from wallet_perps.wallet.secret_storage import TEST_ONLY_FAST_SCRYPT

PASSWORD = "correct horse battery"


class RefusingKeyring(keyring.backends.SecretService.Keyring):
    """The real Secret Service for reads; every write and delete refused."""

    def set_password(self, service: str, username: str, password: str) -> None:
        raise keyring.errors.PasswordSetError("refused by test")

    def delete_password(self, service: str, username: str) -> None:
        raise keyring.errors.PasswordDeleteError("refused by test")


# Backend subclasses register themselves for auto-detection; this one must only ever be used
# through keyring.set_keyring in the one test below.
keyring.backend.KeyringBackend._classes.discard(RefusingKeyring)  # type: ignore[attr-defined]


@pytest.fixture(autouse=True)
def real_keyring() -> Iterator[None]:
    problem = keyring_problem()
    if problem is not None:
        pytest.fail(
            f"the wallet tests need the real Secret Service keyring ({problem}); run them with "
            "`bash packaging/dev.sh test` (dbus-run-session + gnome-keyring)"
        )
    backend = keyring.get_keyring()
    assert type(backend).__module__ == "keyring.backends.SecretService", backend
    clear_keyring_entries()
    yield
    keyring.set_keyring(backend)
    clear_keyring_entries()


@pytest.fixture
def keystore() -> Keystore:
    """A keystore with TEST-ONLY cheap scrypt (the default is N=2**18; see test_default_...)."""
    return Keystore(scrypt=TEST_ONLY_FAST_SCRYPT)

"""Setup for the wallet tests: every one runs against the REAL Secret Service keyring.

The suite runs inside ``dbus-run-session`` with a throwaway, unlocked gnome-keyring
(packaging/with_keyring.sh), so every test below round-trips through the same backend a Linux
desktop uses: each carries the ``keyring`` marker, which gives it tests/conftest.py's
``real_keyring`` fixture (entries cleared before and after, the backend put back) and fails
it at once, saying why, when no Secret Service answers. Only tests that are about a missing or
misbehaving keyring swap the backend.
"""

from __future__ import annotations

from pathlib import Path

import keyring
import keyring.backend
import keyring.backends.SecretService
import keyring.errors
import pytest

from tests.venue_process import VenueProcess
from wallet_perps.wallet.keystore import Keystore
from wallet_perps.wallet.secret_storage import TEST_ONLY_FAST_SCRYPT

PASSWORD = "correct horse battery"

HERE = Path(__file__).resolve().parent


class RefusingKeyring(keyring.backends.SecretService.Keyring):
    """The real Secret Service for reads; every write and delete refused."""

    def set_password(self, service: str, username: str, password: str) -> None:
        raise keyring.errors.PasswordSetError("refused by test")

    def delete_password(self, service: str, username: str) -> None:
        raise keyring.errors.PasswordDeleteError("refused by test")


# Backend subclasses register themselves for auto-detection; this one must only ever be used
# through keyring.set_keyring in the one test below.
keyring.backend.KeyringBackend._classes.discard(RefusingKeyring)  # type: ignore[attr-defined]


@pytest.hookimpl(tryfirst=True)  # before ``-m`` selects by markers
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test in this folder is a ``keyring`` test."""
    for item in items:
        if item.path.is_relative_to(HERE):
            item.add_marker(pytest.mark.keyring)


@pytest.fixture
def keystore() -> Keystore:
    """A keystore with TEST-ONLY cheap scrypt (the default is N=2**18; see test_default_...)."""
    return Keystore(scrypt=TEST_ONLY_FAST_SCRYPT)


@pytest.fixture
def venue(quiet_venue: VenueProcess) -> VenueProcess:
    """The session's venue without synthetic traders (tests/conftest.py): exact balances."""
    return quiet_venue

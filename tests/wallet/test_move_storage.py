"""Moving a wallet between the OS keyring and the encrypted-file keystore, and the choice.

Against the real Secret Service (tests/wallet/conftest.py). What a user relies on: after a
move the wallet (and its agent key) unlocks from the new store and nothing is left in the
old one; a move that fails anywhere leaves the wallet unlocking where it was, with no stray
copy; and choosing the file keystore (no keyring) is asked once and remembered.
"""

from __future__ import annotations

import json
import stat
import time
from dataclasses import replace
from pathlib import Path

import keyring
import keyring.backends.fail
import pytest

from tests.keyring_helpers import keyring_entries
from tests.wallet.conftest import PASSWORD, RefusingKeyring
from wallet_perps.config import app_dirs
from wallet_perps.wallet.errors import (
    KeyringUnavailable,
    KeyringWriteFailed,
    SecretStoreError,
    WalletError,
)
from wallet_perps.wallet.keystore import Keystore
from wallet_perps.wallet.secret_storage import TEST_ONLY_FAST_SCRYPT

ABANDON_12 = "abandon " * 11 + "about"
ABANDON_ADDRESS = "0x9858EfFD232B4033E47d90003D41EC34EcaEda94"


def metadata() -> dict[str, object]:
    path = Path(app_dirs().user_config_dir) / "wallets.json"
    data = json.loads(path.read_text())
    assert isinstance(data, dict)
    return data


def key_files(keystore: Keystore) -> dict[str, str]:
    directory = keystore.file_store_dir
    if not directory.exists():
        return {}
    return {p.name: p.read_text() for p in directory.iterdir()}


def wallet_with_agent(keystore: Keystore) -> tuple[str, str]:
    """A phrase wallet with a staged agent key: two entries to move."""
    info = keystore.import_phrase(ABANDON_12, PASSWORD)
    session = keystore.unlock(info.address, PASSWORD)
    record = keystore.stage_agent(
        session, "local", name="test", valid_until_ms=int(time.time() * 1000) + 86_400_000
    )
    keystore.lock()
    return info.address, record.address


def unlocks_with_agent(keystore: Keystore, address: str, agent: str) -> None:
    session = keystore.unlock(address, PASSWORD)
    held = session._pending_key("local")
    assert session.address == address and held is not None and held[0] == agent
    keystore.lock()


def test_keyring_to_file_to_keyring_unlocks_each_time(keystore: Keystore) -> None:
    address, agent = wallet_with_agent(keystore)
    names = {f"wallet:{address.lower()}", f"agent:{agent}"}
    in_keyring = keyring_entries()
    assert set(in_keyring) == names

    moved = keystore.move_wallet(address, "file")
    assert moved.storage == "file" and keystore.storage_of(address) == "file"
    assert keyring_entries() == {}, "the keyring entries are deleted after the move"
    files = key_files(keystore)
    assert set(files) == {n.replace(":", "-") + ".json" for n in names}
    # The very same encrypted blobs, now 0600 files in a 0700 directory.
    assert sorted(files.values()) == sorted(in_keyring.values())
    assert stat.S_IMODE(keystore.file_store_dir.stat().st_mode) == 0o700
    for path in keystore.file_store_dir.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert keystore.location_of(address).startswith(str(keystore.file_store_dir))
    wallets = metadata()["wallets"]
    assert isinstance(wallets, list) and wallets[0]["storage"] == "file"
    unlocks_with_agent(keystore, address, agent)
    # A restart reads the metadata and unlocks from the file.
    unlocks_with_agent(Keystore(scrypt=TEST_ONLY_FAST_SCRYPT), address, agent)

    back = keystore.move_wallet(address, "keyring")
    assert back.storage == "keyring"
    assert keyring_entries() == in_keyring
    assert key_files(keystore) == {}
    unlocks_with_agent(keystore, address, agent)
    again = keystore.move_wallet(address, "keyring")  # already there: nothing to do
    assert replace(again, last_unlocked_ms=0) == replace(back, last_unlocked_ms=0)


def test_refused_keyring_write_leaves_the_wallet_in_its_file(keystore: Keystore) -> None:
    address, agent = wallet_with_agent(keystore)
    keystore.move_wallet(address, "file")
    files = key_files(keystore)
    keyring.set_keyring(RefusingKeyring())
    with pytest.raises(KeyringWriteFailed, match="nothing was changed"):
        keystore.move_wallet(address, "keyring")
    assert keystore.storage_of(address) == "file"
    assert key_files(keystore) == files and keyring_entries() == {}
    unlocks_with_agent(keystore, address, agent)
    unlocks_with_agent(Keystore(scrypt=TEST_ONLY_FAST_SCRYPT), address, agent)


def test_unwritable_file_store_leaves_the_wallet_in_the_keyring(keystore: Keystore) -> None:
    address, agent = wallet_with_agent(keystore)
    before = keyring_entries()
    directory = keystore.file_store_dir
    directory.parent.mkdir(parents=True, exist_ok=True)
    directory.write_text("not a directory")  # so the keystore files cannot be created
    with pytest.raises(SecretStoreError):
        keystore.move_wallet(address, "file")
    assert keystore.storage_of(address) == "keyring" and keyring_entries() == before
    unlocks_with_agent(keystore, address, agent)


def test_failed_metadata_save_removes_the_copy(keystore: Keystore) -> None:
    address, agent = wallet_with_agent(keystore)
    before = keyring_entries()
    path = Path(app_dirs().user_config_dir) / "wallets.json"
    saved = path.read_text()
    path.unlink()
    path.mkdir()  # the atomic rename onto it fails
    with pytest.raises(WalletError, match="nothing was changed"):
        keystore.move_wallet(address, "file")
    path.rmdir()
    path.write_text(saved)
    assert keystore.storage_of(address) == "keyring"
    assert keyring_entries() == before and key_files(keystore) == {}
    unlocks_with_agent(keystore, address, agent)


def test_file_keystore_choice_is_asked_once_and_remembered(keystore: Keystore) -> None:
    assert keystore.keyring_available()
    keyring.set_keyring(keyring.backends.fail.Keyring())
    assert not keystore.keyring_available()
    assert not keystore.allow_file_fallback
    with pytest.raises(KeyringUnavailable, match="Keep keys in an encrypted file"):
        keystore.import_phrase(ABANDON_12, PASSWORD)

    keystore.choose_file_store()
    assert metadata()["allow_file_fallback"] is True
    restarted = Keystore(scrypt=TEST_ONLY_FAST_SCRYPT)
    assert restarted.allow_file_fallback
    info = restarted.import_phrase(ABANDON_12, PASSWORD)
    assert info.storage == "file"
    again = Keystore(scrypt=TEST_ONLY_FAST_SCRYPT)
    assert again.unlock(info.address, PASSWORD).address == ABANDON_ADDRESS
    again.lock()
    # With no keyring there is nowhere to move it, and the message says it stays put.
    with pytest.raises(KeyringUnavailable, match="stays in its encrypted file"):
        again.move_wallet(info.address, "keyring")
    assert again.storage_of(info.address) == "file"


def test_keyring_wallet_without_keyring_says_what_is_missing(keystore: Keystore) -> None:
    info = keystore.import_phrase(ABANDON_12, PASSWORD)
    keyring.set_keyring(keyring.backends.fail.Keyring())
    with pytest.raises(KeyringUnavailable) as caught:
        keystore.unlock(info.address, PASSWORD)
    assert "kept in the system keyring, which is not available now" in str(caught.value)

"""The keystore against the real Secret Service: every operation round-trips the keyring."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import pickle
import stat
from decimal import Decimal
from pathlib import Path

import keyring
import keyring.backend
import keyring.backends.fail
import keyring.backends.SecretService
import keyring.errors
import pytest
from eth_account import Account

from tests.keyring_helpers import keyring_entries
from tests.wallet.conftest import PASSWORD, RefusingKeyring
from wallet_perps.config import app_dirs
from wallet_perps.crypto import secp256k1
from wallet_perps.hyperliquid import signing
from wallet_perps.hyperliquid.actions import usd_send_action
from wallet_perps.wallet.backends import SERVICE
from wallet_perps.wallet.errors import (
    CorruptEntry,
    InvalidPrivateKey,
    KeyringUnavailable,
    KeyringWriteFailed,
    NoRecoveryPhrase,
    NotConfirmed,
    UnknownWallet,
    WalletError,
    WalletExists,
    WalletLocked,
    WeakPassword,
    WrongPassword,
)
from wallet_perps.wallet.keystore import Keystore
from wallet_perps.wallet.mnemonic import RecoveryPhrase
from wallet_perps.wallet.secret_storage import STRONG_SCRYPT, TEST_ONLY_FAST_SCRYPT
from wallet_perps.wallet.unlocked import parse_private_key

ABANDON_12 = "abandon " * 11 + "about"
ABANDON_ADDRESS = "0x9858EfFD232B4033E47d90003D41EC34EcaEda94"
# eth-account's documented example key and its address.
DOC_KEY = "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"
DOC_ADDRESS = "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23"
# The Python SDK's signing-test key (PROTOCOL §4.4) and its address.
SDK_KEY = "0x0123456789012345678901234567890123456789012345678901234567890123"
SDK_ADDRESS = "0x14791697260E4c9A71f18484C9f997B308e59325"


def metadata_path() -> Path:
    return Path(app_dirs().user_config_dir) / "wallets.json"


def user_action(nonce: int = 1) -> dict[str, object]:
    return usd_send_action("0x" + "11" * 20, Decimal("1"), nonce, is_mainnet=False)


# ------------------------------------------------------------------------------ known answers


@pytest.mark.parametrize(
    ("text", "address"),
    [
        (DOC_KEY, DOC_ADDRESS),
        ("0x" + DOC_KEY, DOC_ADDRESS),
        ("  0X" + DOC_KEY.upper() + "\n", DOC_ADDRESS),
        (SDK_KEY, SDK_ADDRESS),
    ],
)
def test_import_hex_key_known_address(keystore: Keystore, text: str, address: str) -> None:
    info = keystore.import_private_key(text, PASSWORD, label="KAT")
    assert info.address == address and not info.has_phrase
    assert set(keyring_entries()) == {f"wallet:{address.lower()}"}


def test_import_phrase_known_address_and_index(keystore: Keystore) -> None:
    first = keystore.import_phrase(ABANDON_12, PASSWORD)
    second = keystore.import_phrase(ABANDON_12, PASSWORD, account_index=1, label="Account 2")
    assert first.address == ABANDON_ADDRESS
    assert second.address == "0x6Fac4D18c912343BF86fa7049364Dd4E424Ab9C0"
    assert second.account_index == 1 and second.source == "phrase"
    assert set(keyring_entries()) == {
        f"wallet:{first.address.lower()}",
        f"wallet:{second.address.lower()}",
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Enter a private key"),
        ("0x1234", "64 hex digits; this one has 4"),
        ("0x" + "g" * 64, "only the hex digits"),
        ("0x" + DOC_KEY + "00", "64 hex digits; this one has 66"),
        ("0x" + "00" * 32, "not a valid Ethereum private key"),
        ("0x" + "ff" * 32, "not a valid Ethereum private key"),
    ],
)
def test_each_bad_key_has_its_own_message(text: str, message: str) -> None:
    with pytest.raises(InvalidPrivateKey) as caught:
        parse_private_key(text)
    assert message in str(caught.value)
    assert DOC_KEY not in str(caught.value) and "gggg" not in str(caught.value)


# ------------------------------------------------------------------------------ create / store


def test_create_stores_v3_blob_in_keyring_and_only_metadata_on_disk(keystore: Keystore) -> None:
    phrase = RecoveryPhrase.generate(12)
    words = phrase.words()
    phrase.check_backup({p: words[p - 1] for p in phrase.backup_positions()})
    info = keystore.create_wallet(phrase, PASSWORD, label="Main", network="testnet")
    assert info.backup_confirmed and info.source == "created" and info.storage == "keyring"
    key = phrase.derive_private_key()

    [(name, blob)] = keyring_entries().items()
    assert name == f"wallet:{info.address.lower()}"
    # A standard keystore v3: eth-account itself decrypts it with the password.
    assert bytes(Account.decrypt(blob, PASSWORD)) == key
    parsed = json.loads(blob)
    assert parsed["crypto"]["kdf"] == "scrypt" and parsed["version"] == 3
    assert key.hex() not in blob and " ".join(words) not in blob and words[0] not in blob

    meta = json.loads(metadata_path().read_text())
    [entry] = meta["wallets"]
    assert entry["address"] == info.address and entry["label"] == "Main"
    assert entry["network"] == "testnet" and meta["idle_lock_minutes"] == 15
    assert key.hex() not in metadata_path().read_text()

    # A second keystore (the next app start) sees the same wallet.
    again = Keystore(scrypt=TEST_ONLY_FAST_SCRYPT)
    assert again.get(info.address.lower()) == info
    session = again.unlock(info.address, PASSWORD)
    sig = session.sign_user_digest(signing.user_action_digest(user_action()))
    assert signing.recover_user_signer(user_action(), sig) == info.address


def test_default_scrypt_is_strong() -> None:
    assert STRONG_SCRYPT.n >= 2**18 and STRONG_SCRYPT.r == 8 and STRONG_SCRYPT.p == 1
    keystore = Keystore()  # the app's default: no cheap test parameters
    info = keystore.import_private_key(DOC_KEY, PASSWORD)
    blob = json.loads(keyring_entries()[f"wallet:{info.address.lower()}"])
    assert blob["crypto"]["kdfparams"]["n"] == 2**18
    assert blob["crypto"]["kdfparams"]["r"] == 8 and blob["crypto"]["kdfparams"]["p"] == 1
    assert keystore.unlock(info.address, PASSWORD).address == DOC_ADDRESS


def test_duplicate_and_weak_password(keystore: Keystore) -> None:
    keystore.import_private_key(DOC_KEY, PASSWORD)
    with pytest.raises(WalletExists):
        keystore.import_private_key("0x" + DOC_KEY, PASSWORD)
    with pytest.raises(WeakPassword, match="at least 8"):
        keystore.import_private_key(SDK_KEY, "short")
    assert [w.address for w in keystore.wallets()] == [DOC_ADDRESS]


def test_demo_wallet_goes_through_the_same_path(keystore: Keystore) -> None:
    info, phrase = keystore.create_demo_wallet(PASSWORD)
    assert info.network == "local" and info.source == "demo" and info.has_phrase
    assert f"wallet:{info.address.lower()}" in keyring_entries()
    with pytest.raises(WrongPassword):
        keystore.unlock(info.address, "not the password")
    assert keystore.reveal(info.address, PASSWORD).phrase_words() == phrase.words()


# ------------------------------------------------------------------------------ unlock / lock


def test_unlock_wrong_password_touches_nothing(keystore: Keystore) -> None:
    info = keystore.import_phrase(ABANDON_12, PASSWORD)
    entries_before = keyring_entries()
    meta_before = metadata_path().read_bytes()
    for bad in ("wrong password", PASSWORD + " ", ""):
        with pytest.raises(WrongPassword, match="Wrong password"):
            keystore.unlock(info.address, bad)
    assert keyring_entries() == entries_before
    assert metadata_path().read_bytes() == meta_before
    assert keystore.session is None
    assert keystore.unlock(info.address, PASSWORD).address == ABANDON_ADDRESS


def test_lock_drops_keys_and_signing_cache(keystore: Keystore) -> None:
    info = keystore.import_private_key(DOC_KEY, PASSWORD)
    locked_calls: list[int] = []
    keystore.add_lock_listener(lambda: locked_calls.append(1))
    session = keystore.unlock(info.address, PASSWORD)
    held = session._main
    session.sign_user_digest(signing.user_action_digest(user_action()))
    # signed straight from the buffer: no parsed-key object or cache entry holds a copy
    assert secp256k1._private_key.cache_info().currsize == 0
    keystore.lock()
    assert keystore.session is None and session.locked and locked_calls == [1]
    assert not any(held)  # the buffer the key lived in was zeroed
    assert secp256k1._private_key.cache_info().currsize == 0
    with pytest.raises(WalletLocked):
        session.sign_user_digest(signing.user_action_digest(user_action()))
    keystore.lock()  # idempotent
    assert keystore.unlock(info.address, PASSWORD).sign_user_digest(
        signing.user_action_digest(user_action())
    )


def test_idle_lock(keystore: Keystore) -> None:
    now = [1000.0]
    keystore = Keystore(scrypt=TEST_ONLY_FAST_SCRYPT, clock=lambda: now[0])
    info = keystore.import_private_key(DOC_KEY, PASSWORD)
    assert keystore.idle_lock_minutes == 15
    keystore.unlock(info.address, PASSWORD)
    now[0] += 14 * 60
    assert not keystore.lock_if_idle()
    keystore.touch()
    now[0] += 14 * 60
    assert not keystore.lock_if_idle() and keystore.session is not None
    now[0] += 61
    assert keystore.lock_if_idle() and keystore.session is None
    keystore.idle_lock_minutes = 5
    assert Keystore(scrypt=TEST_ONLY_FAST_SCRYPT).idle_lock_minutes == 5  # persisted
    with pytest.raises(WalletError):
        keystore.idle_lock_minutes = 0


async def test_watch_idle_locks_on_the_event_loop() -> None:
    now = [0.0]
    keystore = Keystore(scrypt=TEST_ONLY_FAST_SCRYPT, clock=lambda: now[0])
    info = keystore.import_private_key(DOC_KEY, PASSWORD)
    keystore.unlock(info.address, PASSWORD)
    watcher = asyncio.create_task(keystore.watch_idle(poll_s=0.01))
    try:
        await asyncio.sleep(0.05)
        assert keystore.session is not None
        now[0] += 15 * 60 + 1
        for _ in range(100):
            await asyncio.sleep(0.01)
            if keystore.session is None:
                break
        assert keystore.session is None
    finally:
        watcher.cancel()


def test_unlocking_another_wallet_locks_the_first(keystore: Keystore) -> None:
    a = keystore.import_private_key(DOC_KEY, PASSWORD)
    b = keystore.import_private_key(SDK_KEY, PASSWORD)
    first = keystore.unlock(a.address, PASSWORD)
    second = keystore.unlock(b.address, PASSWORD)
    assert first.locked and not second.locked and keystore.session is second


# ------------------------------------------------------------------------------ reveal / delete


def test_reveal_needs_the_password(keystore: Keystore) -> None:
    phrase_wallet = keystore.import_phrase(ABANDON_12, PASSWORD)
    key_wallet = keystore.import_private_key(DOC_KEY, PASSWORD)
    with pytest.raises(WrongPassword):
        keystore.reveal(phrase_wallet.address, "guess guess")
    shown = keystore.reveal(phrase_wallet.address, PASSWORD)
    assert " ".join(shown.phrase_words()) == ABANDON_12
    assert (
        shown.private_key_hex()
        == "0x1ab42cc412b618bdea3a599e3c9bae199ebf030895b039e9db1e30dafb12b727"
    )
    assert "abandon" not in repr(shown) and "1ab42c" not in repr(shown)
    shown.wipe()
    with pytest.raises(WalletLocked):
        shown.private_key_hex()
    by_key = keystore.reveal(key_wallet.address, PASSWORD)
    assert by_key.private_key_hex() == "0x" + DOC_KEY and not by_key.has_phrase
    with pytest.raises(NoRecoveryPhrase):
        by_key.phrase_words()


def test_delete_needs_confirmation_and_removes_entry_and_metadata(keystore: Keystore) -> None:
    keep = keystore.import_private_key(SDK_KEY, PASSWORD)
    info = keystore.import_private_key(DOC_KEY, PASSWORD)
    keystore.unlock(info.address, PASSWORD)
    with pytest.raises(NotConfirmed):
        keystore.delete_wallet(info.address)
    assert f"wallet:{info.address.lower()}" in keyring_entries()
    keystore.delete_wallet(info.address, confirmed=True)
    assert keystore.session is None
    assert set(keyring_entries()) == {f"wallet:{keep.address.lower()}"}
    assert info.address not in metadata_path().read_text()
    with pytest.raises(UnknownWallet):
        keystore.unlock(info.address, PASSWORD)
    assert keystore.unlock(keep.address, PASSWORD).address == SDK_ADDRESS


def test_change_password(keystore: Keystore) -> None:
    info = keystore.import_phrase(ABANDON_12, PASSWORD)
    with pytest.raises(WrongPassword):
        keystore.change_password(info.address, "wrong password", "new password 1")
    keystore.change_password(info.address, PASSWORD, "new password 1")
    with pytest.raises(WrongPassword):
        keystore.unlock(info.address, PASSWORD)
    assert keystore.unlock(info.address, "new password 1").address == ABANDON_ADDRESS
    assert keystore.reveal(info.address, "new password 1").phrase_words()[-1] == "about"


# ------------------------------------------------------------------------------ robustness


def test_corrupted_entry_is_reported_and_others_still_work(keystore: Keystore) -> None:
    good = keystore.import_private_key(SDK_KEY, PASSWORD)
    bad = keystore.import_private_key(DOC_KEY, PASSWORD)
    keyring.set_password(SERVICE, f"wallet:{bad.address.lower()}", "{not json at all")
    with pytest.raises(CorruptEntry) as caught:
        keystore.unlock(bad.address, PASSWORD)
    message = str(caught.value)
    assert bad.address in message and "damaged" in message and "other wallets" in message
    assert keystore.unlock(good.address, PASSWORD).address == SDK_ADDRESS
    assert {w.address for w in keystore.wallets()} == {SDK_ADDRESS, DOC_ADDRESS}
    # The damaged wallet can still be deleted and re-imported.
    keystore.delete_wallet(bad.address, confirmed=True)
    keystore.import_private_key(DOC_KEY, PASSWORD)
    assert keystore.unlock(DOC_ADDRESS, PASSWORD).address == DOC_ADDRESS


@pytest.mark.parametrize("kind", ["other-wallet", "foreign-v3", "truncated", "hostile-scrypt"])
def test_foreign_entries_are_refused(keystore: Keystore, kind: str) -> None:
    good = keystore.import_private_key(SDK_KEY, PASSWORD)
    bad = keystore.import_private_key(DOC_KEY, PASSWORD)
    entries = keyring_entries()
    name = f"wallet:{bad.address.lower()}"
    if kind == "other-wallet":  # a valid blob, but for another address
        value = entries[f"wallet:{good.address.lower()}"]
    elif kind == "foreign-v3":  # a keystore another app wrote
        value = json.dumps(Account.encrypt("0x" + DOC_KEY, PASSWORD, iterations=2**10))
    elif kind == "truncated":
        value = entries[name][: len(entries[name]) // 2]
    else:  # a blob that would make us run scrypt with absurd cost
        blob = json.loads(entries[name])
        blob["crypto"]["kdfparams"]["n"] = 2**30
        value = json.dumps(blob)
    keyring.set_password(SERVICE, name, value)
    with pytest.raises(CorruptEntry, match=bad.address):
        keystore.unlock(bad.address, PASSWORD)
    with pytest.raises(CorruptEntry):
        keystore.reveal(bad.address, PASSWORD)
    assert keystore.unlock(good.address, PASSWORD).address == SDK_ADDRESS


def test_missing_entry_is_reported(keystore: Keystore) -> None:
    info = keystore.import_private_key(DOC_KEY, PASSWORD)
    keyring.delete_password(SERVICE, f"wallet:{info.address.lower()}")
    with pytest.raises(CorruptEntry, match="missing"):
        keystore.unlock(info.address, PASSWORD)


def test_keyring_refusing_writes_loses_nothing(keystore: Keystore) -> None:
    info = keystore.import_phrase(ABANDON_12, PASSWORD)
    before = keyring_entries()
    meta_before = metadata_path().read_bytes()
    keyring.set_keyring(RefusingKeyring())
    with pytest.raises(KeyringWriteFailed, match="nothing was changed"):
        keystore.import_private_key(DOC_KEY, PASSWORD)
    with pytest.raises(KeyringWriteFailed):
        keystore.delete_wallet(info.address, confirmed=True)
    with pytest.raises(KeyringWriteFailed):
        keystore.change_password(info.address, PASSWORD, "another password")
    assert keyring_entries() == before
    assert metadata_path().read_bytes() == meta_before
    assert [w.address for w in keystore.wallets()] == [ABANDON_ADDRESS]
    # Reads still work through the refusing backend, and again through the real one.
    assert keystore.unlock(info.address, PASSWORD).address == ABANDON_ADDRESS


def test_no_keyring_says_so_and_never_writes_plaintext(
    keystore: Keystore, caplog: pytest.LogCaptureFixture
) -> None:
    keyring.set_keyring(keyring.backends.fail.Keyring())
    with pytest.raises(KeyringUnavailable) as caught:
        keystore.import_private_key(DOC_KEY, PASSWORD)
    message = str(caught.value)
    assert "No system keyring (Secret Service) is available" in message
    assert "gnome-keyring" in message and "Keep keys in an encrypted file" in message
    assert keystore.wallets() == [] and not metadata_path().exists()
    home = Path(os.environ["WALLET_PERPS_HOME"])
    assert not any(p.is_file() for p in home.rglob("*"))

    # The explicit, user-chosen fallback: the same encrypted blob, in a 0600 file, with a warning.
    fallback = Keystore(scrypt=TEST_ONLY_FAST_SCRYPT, allow_file_fallback=True)
    with caplog.at_level(logging.WARNING):
        info = fallback.import_private_key(DOC_KEY, PASSWORD)
    assert info.storage == "file"
    assert any("protected by the wallet password only" in r.getMessage() for r in caplog.records)
    [path] = (Path(app_dirs().user_data_dir) / "keystore").iterdir()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text()
    assert DOC_KEY not in text and bytes(Account.decrypt(text, PASSWORD)).hex() == DOC_KEY
    assert fallback.unlock(info.address, PASSWORD).address == DOC_ADDRESS
    fallback.delete_wallet(info.address, confirmed=True)
    assert not path.exists()


def test_damaged_metadata_is_moved_aside(keystore: Keystore) -> None:
    keystore.import_private_key(DOC_KEY, PASSWORD)
    metadata_path().write_text("{garbage")
    fresh = Keystore(scrypt=TEST_ONLY_FAST_SCRYPT)
    assert fresh.wallets() == []
    assert list(metadata_path().parent.glob("wallets.damaged-*.json"))
    # The keyring entry survived, so re-importing restores the wallet.
    fresh.import_private_key(DOC_KEY, PASSWORD)
    assert fresh.unlock(DOC_ADDRESS, PASSWORD).address == DOC_ADDRESS


# ------------------------------------------------------------------------------ no leaks


def test_reprs_and_errors_never_contain_secrets(keystore: Keystore) -> None:
    info = keystore.import_phrase(ABANDON_12, PASSWORD)
    key_hex = "1ab42cc412b618bdea3a599e3c9bae199ebf030895b039e9db1e30dafb12b727"
    session = keystore.unlock(info.address, PASSWORD)
    revealed = keystore.reveal(info.address, PASSWORD)
    phrase = RecoveryPhrase.parse(ABANDON_12)
    objects: list[object] = [keystore, session, revealed, phrase, info, session._derived]
    errors: list[BaseException] = []
    for call in (
        lambda: keystore.unlock(info.address, "wrong password"),
        lambda: keystore.import_phrase(ABANDON_12, PASSWORD),
        lambda: keystore.import_phrase(ABANDON_12.replace("about", "abandon"), PASSWORD),
        lambda: keystore.import_private_key(key_hex[:-1], PASSWORD),
        lambda: keystore.import_private_key(key_hex, "short"),
        lambda: session.l1_signer("local").sign_l1_digest(bytes(32), is_mainnet=False),
        lambda: keystore.delete_wallet(info.address),
    ):
        with pytest.raises(WalletError) as caught:
            call()
        errors.append(caught.value)
    for obj in (*objects, *errors):
        for text in (repr(obj), str(obj)):
            assert key_hex not in text.lower() and "abandon" not in text
            assert PASSWORD not in text
    for obj in (session, revealed, phrase, session._derived):
        with pytest.raises(TypeError):
            pickle.dumps(obj)

"""The keystore side of Settings' key care: the backup mark, and what removing deletes.

Against the real Secret Service keyring (see conftest); read back directly from it.
"""

from __future__ import annotations

import time

import keyring

from tests.keyring_helpers import keyring_entries
from tests.wallet.conftest import PASSWORD
from wallet_perps.wallet.backends import SERVICE
from wallet_perps.wallet.keystore import Keystore
from wallet_perps.wallet.mnemonic import RecoveryPhrase
from wallet_perps.wallet.secret_storage import TEST_ONLY_FAST_SCRYPT


def test_confirm_backup_is_remembered(keystore: Keystore) -> None:
    info, phrase = keystore.create_demo_wallet(PASSWORD)
    phrase.wipe()
    assert info.backup_confirmed is False
    assert keystore.confirm_backup(info.address).backup_confirmed is True
    # A fresh keystore (the next start) reads it back from the wallet list.
    assert Keystore(scrypt=TEST_ONLY_FAST_SCRYPT).get(info.address).backup_confirmed is True


def test_delete_removes_active_pending_and_leftover_retired_agent_entries(
    keystore: Keystore,
) -> None:
    keep = keystore.create_wallet(RecoveryPhrase.generate(), PASSWORD)
    info = keystore.create_wallet(RecoveryPhrase.generate(), PASSWORD)
    session = keystore.unlock(info.address, PASSWORD)
    until = time.time_ns() // 1_000_000 + 86_400_000
    first = keystore.stage_agent(session, "local", name="a", valid_until_ms=until)
    keystore.activate_agent(session, "local", until - 86_400_000)
    keystore.stage_agent(session, "testnet", name="b", valid_until_ms=until)
    keystore.stage_agent(session, "local", name="c", valid_until_ms=until)
    keystore.activate_agent(session, "local", until - 86_400_000)  # retires the first
    # A retired agent whose deletion failed back then leaves an entry behind.
    keyring.set_password(SERVICE, f"agent:{first.address}", "leftover")
    assert len([n for n in keyring_entries() if n.startswith("agent:")]) == 3

    keystore.delete_wallet(info.address, confirmed=True)
    assert keystore.session is None
    assert set(keyring_entries()) == {f"wallet:{keep.address.lower()}"}

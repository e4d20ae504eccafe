"""After a full scripted session, no secret is left in any file the app owns or in its logs.

The session: create a wallet from a fresh phrase (with the backup check), import a raw key and
a phrase, unlock, approve an agent and trade through it on a local venue whose state lives in
the app's data directory, lock. Then every file under the config, data, cache and log
directories, every captured log record, and (for good measure) every keyring entry is
searched for each private key, agent key, recovery phrase and the password.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
from decimal import Decimal
from pathlib import Path

import aiohttp
import pytest

from tests.keyring_helpers import keyring_entries
from tests.venue_process import VenueProcess, admin_headers
from tests.wallet.conftest import PASSWORD
from wallet_perps.config import app_dirs
from wallet_perps.core.answers import Resting
from wallet_perps.hyperliquid.actions import LimitType, OrderSpec, cancel_action, order_action
from wallet_perps.hyperliquid.exchange_answers import single_outcome
from wallet_perps.hyperliquid.http import HyperliquidHttp
from wallet_perps.hyperliquid.nonces import NonceManager
from wallet_perps.hyperliquid.sender import ActionSender
from wallet_perps.wallet.agents import AgentWallets
from wallet_perps.wallet.keystore import Keystore
from wallet_perps.wallet.mnemonic import RecoveryPhrase
from wallet_perps.wallet.secret_storage import TEST_ONLY_FAST_SCRYPT


def needles(key: bytes) -> list[bytes]:
    text = key.hex()
    return [key, text.encode(), text.upper().encode(), ("0x" + text).encode()]


def test_no_plaintext_secret_anywhere(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    dirs = app_dirs()
    log_dir = Path(dirs.user_log_dir)
    log_dir.mkdir(parents=True, exist_ok=True)
    file_log = logging.FileHandler(log_dir / "wallet-perps.log")  # as the app logs to disk
    file_log.setLevel(logging.DEBUG)
    logging.getLogger().addHandler(file_log)
    venue = VenueProcess("--no-flow", data=Path(dirs.user_data_dir) / "venue")
    try:
        secret_needles = asyncio.run(scripted_session(venue.url))
    finally:
        venue.stop()
        logging.getLogger().removeHandler(file_log)
        file_log.close()

    home = Path(os.environ["WALLET_PERPS_HOME"])
    roots = [dirs.user_config_dir, dirs.user_data_dir, dirs.user_cache_dir, dirs.user_log_dir]
    assert all(Path(root).is_relative_to(home) for root in roots)
    files = [p for p in home.rglob("*") if p.is_file()]
    assert any(p.name == "wallets.json" for p in files)
    assert any("venue" in p.parts for p in files)  # the venue's SQLite state was scanned too
    assert (log_dir / "wallet-perps.log").stat().st_size > 0
    for path in files:
        data = path.read_bytes()
        for needle in secret_needles:
            assert needle not in data, f"secret material found in {path.relative_to(home)}"

    log_text = caplog.text + "\n".join(
        f"{r.getMessage()} {r.args!r} {r.exc_text or ''}" for r in caplog.records
    )
    assert "approved agent" in log_text and "locked wallet" in log_text
    for needle in secret_needles:
        assert needle.decode("latin-1") not in log_text

    entries = keyring_entries()
    assert len(entries) == 4  # three wallets, one agent: all encrypted
    for value in entries.values():
        for needle in secret_needles:
            assert needle.decode("latin-1") not in value


async def scripted_session(venue_url: str) -> list[bytes]:
    """Create, import (key and phrase), unlock, trade through an agent, lock; return every
    secret that was in play, as the byte strings to search for."""
    keystore = Keystore(scrypt=TEST_ONLY_FAST_SCRYPT)
    created_phrase = RecoveryPhrase.generate(12)
    words = created_phrase.words()
    created_phrase.check_backup({p: words[p - 1] for p in created_phrase.backup_positions()})
    created = keystore.create_wallet(created_phrase, PASSWORD, label="Main", network="local")
    imported_key = secrets.token_bytes(32)
    keystore.import_private_key(imported_key.hex(), PASSWORD, label="Key")
    imported_phrase = RecoveryPhrase.generate(24)
    keystore.import_phrase(" ".join(imported_phrase.words()), PASSWORD, account_index=2)

    session = keystore.unlock(created.address, PASSWORD)
    faucet = {"user": created.address, "usdc": "500"}
    async with (
        aiohttp.ClientSession() as web,
        web.post(f"{venue_url}/sim/faucet", json=faucet, headers=admin_headers(venue_url)) as resp,
    ):
        assert resp.status == 200
    async with HyperliquidHttp(venue_url) as http:
        agents = AgentWallets(keystore)
        approver = ActionSender(http, NonceManager(), is_mainnet=False)
        agent = await agents.ensure(session, "local", approver, list_agents=http.extra_agents)
        agent_key = bytes(session._agents["local"][1])
        trader = ActionSender(http, NonceManager(), is_mainnet=False)
        signer = session.l1_signer("local")
        assert signer.address == agent
        action = order_action([OrderSpec(0, True, Decimal(40000), Decimal("0.001"), LimitType())])
        outcome = single_outcome(await http.exchange(trader.sign_l1(action, signer)))
        assert isinstance(outcome, Resting)
        cancel = cancel_action([(0, outcome.oid)])
        await http.exchange(trader.sign_l1(cancel, signer))
    held = [session._main, *(buf for _, buf in session._agents.values())]
    keystore.lock()
    assert all(not any(buf) for buf in held)
    return [
        *needles(created_phrase.derive_private_key()),
        *needles(imported_key),
        *needles(imported_phrase.derive_private_key(2)),
        *needles(agent_key),
        " ".join(words).encode(),
        " ".join(imported_phrase.words()).encode(),
        " ".join(words[:3]).encode(),
        " ".join(imported_phrase.words()[5:8]).encode(),
        PASSWORD.encode(),
    ]

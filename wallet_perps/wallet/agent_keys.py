"""Agent keys at rest: staging a fresh agent, activating it once approved, retiring it.

Why apart from :mod:`keystore`: agent bookkeeping has its own ordering rules (a key is stored
*before* its approval is sent, a replaced agent's address is never used again), and
:mod:`wallet_perps.wallet.agents` drives it from the approval flow. It needs an unlocked
session (the agent blobs are sealed under the session's derived key).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from wallet_perps.core.networks import NetworkName
from wallet_perps.wallet.backends import SecretStore
from wallet_perps.wallet.errors import AgentRequired, KeyringWriteFailed, WalletError, WalletLocked
from wallet_perps.wallet.keystore_core import KeystoreCore
from wallet_perps.wallet.metadata import AgentRecord, WalletInfo
from wallet_perps.wallet.secret_storage import key_address, seal
from wallet_perps.wallet.unlocked import UnlockedWallet, random_key, wipe

__all__ = ["AgentKeys"]

log = logging.getLogger(__name__)


class AgentKeys(KeystoreCore):
    """The keystore's part that stores, activates and retires the session wallet's agents."""

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

"""Agent (API) wallets: the key that signs orders, so the main key signs almost nothing.

Hyperliquid lets a master approve agent keys that may sign L1 actions (orders, cancels,
leverage) for it, but never transfers or withdrawals (PROTOCOL §4.2, §5). So on the first
trade on a network the app:

1. generates a fresh agent key and stores it encrypted in the keyring as *pending*
   (:meth:`Keystore.stage_agent`) — stored first, so a lost answer never leaves an approved
   agent without a key;
2. signs ``approveAgent`` with the main key, *named* (so a later approval under the same
   name replaces it on the venue) and with ``valid_until`` (at most 180 days; 90 by default);
3. on success marks it active; every L1 action is then signed with it
   (:meth:`UnlockedWallet.sign_l1_action`), and account queries keep using the main address.

Rotation approves a new agent under the same name, which deregisters the old one on the venue;
the old address is recorded as retired and never used again (§5: a deregistered agent's
nonce set is pruned, so its old signatures could be replayed). Revocation does the same with
a throwaway key that is never stored and expires within the hour, so the slot ends up empty.

Layering: this module signs with ``hyperliquid.signing`` and builds the action with
``hyperliquid.actions`` (pure functions, no I/O), but it does not import the HTTP client. The
caller passes ``post_action`` (e.g. ``HyperliquidHttp.exchange``) and optionally
``list_agents`` (``HyperliquidHttp.extra_agents``), which keeps the wallet layer free of
network code and easy to test against any venue.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Final

from wallet_perps.config import NETWORKS, NetworkName
from wallet_perps.core.models import ExtraAgent
from wallet_perps.hyperliquid.actions import approve_agent_action
from wallet_perps.hyperliquid.errors import RejectedAction, VenueError
from wallet_perps.hyperliquid.nonces import NonceManager
from wallet_perps.wallet.errors import AgentError, AgentNeedsDeposit
from wallet_perps.wallet.keystore import Keystore, UnlockedWallet
from wallet_perps.wallet.metadata import AgentRecord
from wallet_perps.wallet.secret_storage import key_address

__all__ = [
    "AGENT_NAME",
    "DEFAULT_VALIDITY_MS",
    "RENEW_WITHIN_MS",
    "AgentWallets",
    "ListAgents",
    "MayApprove",
    "PostAction",
]

log = logging.getLogger(__name__)

DAY_MS: Final = 86_400_000
#: The name every agent of this app is approved under (at most 16 characters).
AGENT_NAME: Final = "wallet-perps"
#: How long an agent stays valid; the venue allows at most 180 days.
DEFAULT_VALIDITY_MS: Final = 90 * DAY_MS
#: An agent closer than this to expiry is replaced before the next trade.
RENEW_WITHIN_MS: Final = 7 * DAY_MS
_REVOKE_STUB_VALIDITY_MS: Final = 3_600_000

#: Posts a signed ``{action, nonce, signature}`` body to /exchange; returns the envelope and
#: raises ``RejectedAction`` on ``status: err`` (as ``HyperliquidHttp.exchange`` does).
PostAction = Callable[[dict[str, Any]], Awaitable[Mapping[str, Any]]]
#: Lists a user's named agents (``HyperliquidHttp.extra_agents``).
ListAgents = Callable[[str], Awaitable[Sequence[ExtraAgent]]]
#: Whether the venue would approve an agent for this user now (it has deposited); asked
#: before a new agent key is made.
MayApprove = Callable[[str], Awaitable[bool]]


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


class AgentWallets:
    """Approve, renew, rotate and revoke the agent of the unlocked wallet on each network."""

    def __init__(
        self,
        keystore: Keystore,
        *,
        nonces: NonceManager | None = None,
        name: str = AGENT_NAME,
        validity_ms: int = DEFAULT_VALIDITY_MS,
        renew_within_ms: int = RENEW_WITHIN_MS,
        clock_ms: Callable[[], int] = _now_ms,
    ) -> None:
        self._keystore = keystore
        self._nonces = nonces or NonceManager()
        self._name = name
        self._validity_ms = validity_ms
        self._renew_within_ms = renew_within_ms
        self._clock_ms = clock_ms
        self._busy = asyncio.Lock()

    async def ensure(
        self,
        session: UnlockedWallet,
        network: NetworkName,
        post_action: PostAction,
        *,
        list_agents: ListAgents | None = None,
        may_approve: MayApprove | None = None,
    ) -> str:
        """The agent address to trade with on ``network``, approving one first if needed.

        Re-approves a pending agent left by an earlier unanswered approval; replaces an agent
        that is missing, near expiry, or (when ``list_agents`` is given) unknown to the venue
        (pruned, expired, or a fresh local venue). Before a new key is made, ``may_approve``
        (if given) is asked whether the venue would take it; if not, :class:`AgentNeedsDeposit`
        is raised and nothing is generated or stored.
        """
        async with self._busy:
            info = session.info
            if network in info.pending_agents and session._pending_key(network) is not None:
                record = await self._approve(
                    session, network, info.pending_agents[network], post_action
                )
                return record.address
            active = info.agents.get(network)
            if (
                active is not None
                and session.agent_address(network) == active.address
                and self._clock_ms() < active.valid_until_ms - self._renew_within_ms
            ):
                if list_agents is None or await self._listed(active, session, list_agents):
                    return active.address
                log.info("agent %s is unknown to the venue; approving a new one", active.address)
            if may_approve is not None and not await may_approve(session.address):
                raise AgentNeedsDeposit()
            return (await self._rotate(session, network, post_action)).address

    async def rotate(
        self, session: UnlockedWallet, network: NetworkName, post_action: PostAction
    ) -> AgentRecord:
        """Approve a brand-new agent under the same name; the old one is deregistered."""
        async with self._busy:
            return await self._rotate(session, network, post_action)

    async def revoke(
        self, session: UnlockedWallet, network: NetworkName, post_action: PostAction
    ) -> None:
        """Deregister this app's agent on ``network`` and delete its key.

        The venue has no "remove" action; approving another key under the same name replaces
        (deregisters) the current one. That key is random, never stored and expires within the
        hour, so nobody can sign with it.
        """
        async with self._busy:
            info = session.info
            if network not in info.agents and network not in info.pending_agents:
                return
            while True:
                stub_key = secrets.token_bytes(32)
                try:
                    stub = key_address(stub_key)
                    break
                except ValueError:
                    continue
            del stub_key
            until = self._clock_ms() + _REVOKE_STUB_VALIDITY_MS
            await self._post_approval(session, network, stub, until, post_action)
            for pending in (True, False):
                await asyncio.to_thread(
                    self._keystore.retire_agent, session, network, pending=pending
                )

    # ------------------------------------------------------------------ internals

    async def _listed(
        self, active: AgentRecord, session: UnlockedWallet, list_agents: ListAgents
    ) -> bool:
        agents = await list_agents(session.address)
        return any(a.address.lower() == active.address for a in agents)

    async def _rotate(
        self, session: UnlockedWallet, network: NetworkName, post_action: PostAction
    ) -> AgentRecord:
        until = self._clock_ms() + self._validity_ms
        record = await asyncio.to_thread(
            self._keystore.stage_agent, session, network, name=self._name, valid_until_ms=until
        )
        return await self._approve(session, network, record, post_action)

    async def _approve(
        self,
        session: UnlockedWallet,
        network: NetworkName,
        record: AgentRecord,
        post_action: PostAction,
    ) -> AgentRecord:
        try:
            await self._post_approval(
                session, network, record.address, record.valid_until_ms, post_action
            )
        except AgentError as exc:
            if isinstance(exc.__cause__, RejectedAction):
                # A definite "no": this agent was not approved. Retire it; the next trade
                # stages a fresh one.
                await asyncio.to_thread(self._keystore.retire_agent, session, network, pending=True)
            raise
        return await asyncio.to_thread(
            self._keystore.activate_agent, session, network, self._clock_ms()
        )

    async def _post_approval(
        self,
        session: UnlockedWallet,
        network: NetworkName,
        agent: str,
        valid_until_ms: int,
        post_action: PostAction,
    ) -> None:
        nonce = self._nonces.next_nonce(session.address)
        approval = approve_agent_action(
            agent,
            nonce,
            is_mainnet=NETWORKS[network].is_mainnet,
            name=self._name,
            valid_until_ms=valid_until_ms,
        )
        signature = session.sign_user_action(approval.signing_action)
        payload: dict[str, Any] = {
            "action": approval.posted_action,
            "nonce": nonce,
            "signature": dict(signature),
        }
        try:
            answer = await post_action(payload)
        except RejectedAction as exc:
            raise AgentError(f"The exchange refused to approve the agent wallet: {exc}") from exc
        except VenueError as exc:
            raise AgentError(
                f"Approving the agent wallet did not complete ({exc}). It will be retried "
                "before the next trade."
            ) from exc
        if not isinstance(answer, Mapping) or answer.get("status") != "ok":
            text = answer.get("response") if isinstance(answer, Mapping) else answer
            raise AgentError(
                f"The exchange refused to approve the agent wallet: {text}"
            ) from RejectedAction(str(text))
        log.info("approved agent %s for %s on %s", agent, session.address, network)

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
   (:meth:`UnlockedWallet.l1_signer`), and account queries keep using the main address.

Rotation approves a new agent under the same name, which deregisters the old one on the venue;
the old address is recorded as retired and never used again (§5: a deregistered agent's
nonce set is pruned, so its old signatures could be replayed). Revocation does the same with
a throwaway key that is never stored and expires within the hour, so the slot ends up empty.

An approval whose answer is unclear (timeout, dropped connection, garbled answer) means what
it means everywhere in the app: it may have gone through. The venue's agent list
(``extraAgents``) is read to find out; an agent listed there is taken as approved, otherwise
the agent stays *pending* and the same key is approved again before the next trade.

Layering: this module builds and posts nothing itself. The caller passes an
:class:`AgentApprover` (the app's one action sender, ``hyperliquid.sender.ActionSender``, which
takes the nonce, builds ``approveAgent``, signs it with this wallet's main key and classifies
the answer as ``core.answers.Answer``) and ``list_agents`` (``HyperliquidHttp.extra_agents``).
That keeps the wallet layer free of protocol and network code.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import KW_ONLY, dataclass, field
from typing import Final, Protocol

from wallet_perps.core.answers import Accepted, Answer, OutcomeUnknown
from wallet_perps.core.clock import wall_ms
from wallet_perps.core.models import ExtraAgent
from wallet_perps.core.networks import NetworkName
from wallet_perps.wallet.errors import AgentError, AgentNeedsDeposit
from wallet_perps.wallet.keystore import Keystore
from wallet_perps.wallet.metadata import AgentRecord
from wallet_perps.wallet.secret_storage import key_address
from wallet_perps.wallet.unlocked import UnlockedWallet

__all__ = [
    "AGENT_NAME",
    "DEFAULT_VALIDITY_MS",
    "RENEW_WITHIN_MS",
    "AgentApprover",
    "AgentRefused",
    "AgentWallets",
    "ListAgents",
    "MayApprove",
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

#: Lists a user's named agents (``HyperliquidHttp.extra_agents``).
ListAgents = Callable[[str], Awaitable[Sequence[ExtraAgent]]]
#: Whether the venue would approve an agent for this user now (it has deposited); asked
#: before a new agent key is made.
MayApprove = Callable[[str], Awaitable[bool]]


class AgentApprover(Protocol):
    """Signs ``approveAgent`` with ``signer``'s main key, posts it once and says what came
    back (``hyperliquid.sender.ActionSender`` is one)."""

    async def approve_agent(
        self, signer: UnlockedWallet, agent: str, *, name: str, valid_until_ms: int
    ) -> Answer: ...


class AgentRefused(AgentError):
    """The venue said no to the approval: the agent is certainly not approved."""


@dataclass(eq=False)
class AgentWallets:
    """Approve, renew, rotate and revoke the agent of the unlocked wallet on each network.

    Every operation takes the ``approver`` that posts ``approveAgent`` and ``list_agents``
    that reads the venue's agent list; the list is what an unclear answer is reconciled
    against (for up to ``reconcile_timeout_s``). The keyword fields are the policy: the name
    agents are approved under, how long they stay valid, how close to expiry one is renewed,
    and the clock that decides it (tests move it).
    """

    keystore: Keystore
    _: KW_ONLY
    name: str = AGENT_NAME
    validity_ms: int = DEFAULT_VALIDITY_MS
    renew_within_ms: int = RENEW_WITHIN_MS
    clock_ms: Callable[[], int] = wall_ms
    reconcile_timeout_s: float = 5.0
    _busy: asyncio.Lock = field(default_factory=asyncio.Lock, init=False, repr=False)

    async def ensure(
        self,
        session: UnlockedWallet,
        network: NetworkName,
        approver: AgentApprover,
        *,
        list_agents: ListAgents | None = None,
        check_listed: bool = True,
        may_approve: MayApprove | None = None,
    ) -> str:
        """The agent address to trade with on ``network``, approving one first if needed.

        Re-approves a pending agent left by an earlier unanswered approval; replaces an agent
        that is missing, near expiry, or (when ``list_agents`` is given and ``check_listed``)
        unknown to the venue (pruned, expired, or a fresh local venue). Before a new key is
        made, ``may_approve`` (if given) is asked whether the venue would take it; if not,
        :class:`AgentNeedsDeposit` is raised and nothing is generated or stored.
        """
        async with self._busy:
            info = session.info
            if network in info.pending_agents and session._pending_key(network) is not None:
                record = await self._approve(
                    session, network, info.pending_agents[network], approver, list_agents
                )
                return record.address
            active = info.agents.get(network)
            if (
                active is not None
                and session.agent_address(network) == active.address
                and self.clock_ms() < active.valid_until_ms - self.renew_within_ms
            ):
                if (
                    list_agents is None
                    or not check_listed
                    or await self._listed(active.address, session, list_agents)
                ):
                    return active.address
                log.info("agent %s is unknown to the venue; approving a new one", active.address)
            if may_approve is not None and not await may_approve(session.address):
                raise AgentNeedsDeposit()
            return (await self._rotate(session, network, approver, list_agents)).address

    async def rotate(
        self,
        session: UnlockedWallet,
        network: NetworkName,
        approver: AgentApprover,
        *,
        list_agents: ListAgents | None = None,
    ) -> AgentRecord:
        """Approve a brand-new agent under the same name; the old one is deregistered."""
        async with self._busy:
            return await self._rotate(session, network, approver, list_agents)

    async def revoke(
        self,
        session: UnlockedWallet,
        network: NetworkName,
        approver: AgentApprover,
        *,
        list_agents: ListAgents | None = None,
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
            until = self.clock_ms() + _REVOKE_STUB_VALIDITY_MS
            await self._post_approval(session, stub, until, approver, list_agents)
            for pending in (True, False):
                await asyncio.to_thread(
                    self.keystore.retire_agent, session, network, pending=pending
                )

    # ------------------------------------------------------------------ internals

    async def _listed(self, agent: str, session: UnlockedWallet, list_agents: ListAgents) -> bool:
        agents = await list_agents(session.address)
        return any(a.address.lower() == agent.lower() for a in agents)

    async def _rotate(
        self,
        session: UnlockedWallet,
        network: NetworkName,
        approver: AgentApprover,
        list_agents: ListAgents | None,
    ) -> AgentRecord:
        until = self.clock_ms() + self.validity_ms
        record = await asyncio.to_thread(
            self.keystore.stage_agent, session, network, name=self.name, valid_until_ms=until
        )
        return await self._approve(session, network, record, approver, list_agents)

    async def _approve(
        self,
        session: UnlockedWallet,
        network: NetworkName,
        record: AgentRecord,
        approver: AgentApprover,
        list_agents: ListAgents | None,
    ) -> AgentRecord:
        try:
            await self._post_approval(
                session, record.address, record.valid_until_ms, approver, list_agents
            )
        except AgentRefused:
            # A definite "no": this agent was not approved. Retire it; the next trade
            # stages a fresh one.
            await asyncio.to_thread(self.keystore.retire_agent, session, network, pending=True)
            raise
        return await asyncio.to_thread(
            self.keystore.activate_agent, session, network, self.clock_ms()
        )

    async def _post_approval(
        self,
        session: UnlockedWallet,
        agent: str,
        valid_until_ms: int,
        approver: AgentApprover,
        list_agents: ListAgents | None,
    ) -> None:
        answer = await approver.approve_agent(
            session, agent, name=self.name, valid_until_ms=valid_until_ms
        )
        if isinstance(answer, Accepted):
            log.info("approved agent %s for %s", agent, session.address)
            return
        if isinstance(answer, OutcomeUnknown):
            if await self._shows_up(agent, session, list_agents):
                log.info("agent %s approval had no clear answer; the venue lists it", agent)
                return
            raise AgentError(
                f"No clear answer came back from the exchange ({answer.reason}), so the agent "
                "wallet's approval may have gone through. It is checked, and approved again "
                "with the same key if needed, before the next trade."
            )
        if answer.sent:
            raise AgentRefused(
                "The exchange refused to approve the agent wallet: "
                f"{answer.venue_text or answer.message}"
            )
        raise AgentError(
            f"Approving the agent wallet did not complete ({answer.message}). It will be "
            "retried before the next trade."
        )

    async def _shows_up(
        self, agent: str, session: UnlockedWallet, list_agents: ListAgents | None
    ) -> bool:
        """Whether the venue lists ``agent`` within ``reconcile_timeout_s`` (an approval
        whose answer was lost)."""
        if list_agents is None:
            return False
        deadline = time.monotonic() + self.reconcile_timeout_s
        delay = 0.25
        while True:
            try:
                if await self._listed(agent, session, list_agents):
                    return True
            except Exception as exc:  # any failure to read the list: keep asking, then give up
                log.info("agent list unreadable while reconciling (%s)", exc)
            if time.monotonic() + delay > deadline:
                return False
            await asyncio.sleep(delay)
            delay = min(delay * 2, 1.0)

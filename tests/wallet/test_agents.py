"""Agent wallets approved by this layer, against a real local venue process and keyring.

The venue recovers the signer of every action (PROTOCOL §4.3): an order signed by our agent
only rests on the *main* account if the venue recovered the agent and mapped it to the
master, which is what these tests check.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import aiohttp
import keyring
import pytest

from tests.answer_proxy import AnswerProxy
from tests.keyring_helpers import keyring_entries
from tests.venue_process import VenueProcess, admin_headers
from tests.wallet.conftest import PASSWORD, RefusingKeyring
from wallet_perps.core.answers import Resting
from wallet_perps.crypto.addresses import to_checksum_address
from wallet_perps.hyperliquid import signing
from wallet_perps.hyperliquid.actions import LimitType, OrderSpec, cancel_action, order_action
from wallet_perps.hyperliquid.errors import RejectedAction
from wallet_perps.hyperliquid.exchange_answers import single_outcome
from wallet_perps.hyperliquid.http import HyperliquidHttp
from wallet_perps.hyperliquid.nonces import NonceManager
from wallet_perps.hyperliquid.sender import ActionSender
from wallet_perps.wallet.agents import AGENT_NAME, AgentWallets
from wallet_perps.wallet.backends import SERVICE
from wallet_perps.wallet.errors import AgentError, AgentRequired, KeyringWriteFailed
from wallet_perps.wallet.keystore import Keystore
from wallet_perps.wallet.unlocked import UnlockedWallet

BTC = 0


@pytest.fixture
async def http(venue: VenueProcess) -> AsyncIterator[HyperliquidHttp]:
    async with HyperliquidHttp(venue.url) as client:
        yield client


@pytest.fixture
def approver(http: HyperliquidHttp) -> ActionSender:
    """The app's one action sender, as the wallet service hands it to AgentWallets."""
    return ActionSender(http, NonceManager(), is_mainnet=False)


async def faucet(url: str, user: str, usdc: str = "1000") -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{url}/sim/faucet", json={"user": user, "usdc": usdc}, headers=admin_headers(url)
        ) as resp,
    ):
        assert resp.status == 200, await resp.text()


async def funded_session(keystore: Keystore, url: str) -> UnlockedWallet:
    info, _ = keystore.create_demo_wallet(PASSWORD)
    await faucet(url, info.address.lower())
    return keystore.unlock(info.address, PASSWORD)


async def place_and_cancel(
    http: HyperliquidHttp, session: UnlockedWallet, nonces: NonceManager
) -> dict[str, Any]:
    """A resting BTC bid far below the market, signed by the agent, then cancelled."""
    signer = session.signer_address("local")
    sender = ActionSender(http, nonces, is_mainnet=False)
    action = order_action([OrderSpec(BTC, True, Decimal(50000), Decimal("0.001"), LimitType())])
    payload = sender.sign_l1(action, session.l1_signer("local"))
    # What the venue will recover: the agent, not the main key.
    recovered = signing.recover_l1_signer(
        action, payload["nonce"], payload["signature"], is_mainnet=False
    )
    assert recovered == to_checksum_address(signer)
    outcome = single_outcome(await http.exchange(payload))
    assert isinstance(outcome, Resting), outcome
    # The order rests on the MAIN account: the venue mapped the agent to its master.
    orders = await http.open_orders(session.address)
    assert [o.oid for o in orders] == [outcome.oid]
    assert await http.open_orders(signer) == []

    cancel = cancel_action([(BTC, outcome.oid)])
    answer = await http.exchange(sender.sign_l1(cancel, session.l1_signer("local")))
    assert answer["response"]["data"]["statuses"] == ["success"]
    assert await http.open_orders(session.address) == []
    return payload


async def test_agent_places_and_cancels_and_venue_maps_it_to_main(
    keystore: Keystore, venue: VenueProcess, http: HyperliquidHttp, approver: ActionSender
) -> None:
    session = await funded_session(keystore, venue.url)
    with pytest.raises(AgentRequired):  # the main key never signs L1 actions
        session.l1_signer("local").sign_l1_digest(bytes(32), is_mainnet=False)
    agents = AgentWallets(keystore)
    agent = await agents.ensure(session, "local", approver, list_agents=http.extra_agents)
    assert agent != session.address.lower()

    info = keystore.get(session.address)
    record = info.agents["local"]
    assert record.address == agent and record.name == AGENT_NAME and not info.pending_agents
    assert set(keyring_entries()) == {info.entry_name, f"agent:{agent}"}
    blob = json.loads(keyring_entries()[f"agent:{agent}"])
    assert blob["x-wallet-perps"]["owner"] == session.address.lower()

    role = await http.user_role(agent)
    assert role.role == "agent" and (role.user or "").lower() == session.address.lower()
    [listed] = await http.extra_agents(session.address)
    assert listed.address.lower() == agent and listed.name == AGENT_NAME
    assert listed.valid_until == record.valid_until_ms

    nonces = NonceManager()
    await place_and_cancel(http, session, nonces)
    # ensure() again is a no-op: same agent, no new approval.
    assert await agents.ensure(session, "local", approver, list_agents=http.extra_agents) == agent

    # Lock, unlock: the agent key comes back from the keyring and still trades.
    keystore.lock()
    session = keystore.unlock(session.address, PASSWORD)
    assert session.agent_address("local") == agent
    await place_and_cancel(http, session, nonces)


async def test_rotation_retires_the_old_agent_for_good(
    keystore: Keystore, venue: VenueProcess, http: HyperliquidHttp, approver: ActionSender
) -> None:
    session = await funded_session(keystore, venue.url)
    agents = AgentWallets(keystore)
    nonces = NonceManager()
    old = await agents.ensure(session, "local", approver)
    await place_and_cancel(http, session, nonces)
    old_key = bytes(session._agents["local"][1])

    new = (await agents.rotate(session, "local", approver)).address
    assert new != old
    info = keystore.get(session.address)
    assert info.agents["local"].address == new and old in info.retired_agents
    assert set(keyring_entries()) == {info.entry_name, f"agent:{new}"}  # old key deleted

    # The venue deregistered the old agent: a fresh action signed with its key is refused.
    action = order_action([OrderSpec(BTC, True, Decimal(50000), Decimal("0.001"), LimitType())])
    nonce = nonces.next_nonce(old)
    with pytest.raises(RejectedAction, match="does not exist"):
        await http.exchange(
            {
                "action": action,
                "nonce": nonce,
                "signature": signing.sign_l1_action(old_key, action, nonce, is_mainnet=False),
                "vaultAddress": None,
                "expiresAfter": None,
            }
        )
    await place_and_cancel(http, session, nonces)

    # Several rotations never produce an address seen before.
    seen = {old, new}
    for _ in range(2):
        rotated = (await agents.rotate(session, "local", approver)).address
        assert rotated not in seen
        seen.add(rotated)
    assert set(keystore.get(session.address).retired_agents) == seen - {rotated}


async def test_revoke_deregisters_and_deletes(
    keystore: Keystore, venue: VenueProcess, http: HyperliquidHttp, approver: ActionSender
) -> None:
    session = await funded_session(keystore, venue.url)
    agents = AgentWallets(keystore)
    agent = await agents.ensure(session, "local", approver)
    await agents.revoke(session, "local", approver)
    info = keystore.get(session.address)
    assert "local" not in info.agents and agent in info.retired_agents
    assert set(keyring_entries()) == {info.entry_name}
    assert all(a.address.lower() != agent for a in await http.extra_agents(session.address))
    assert (await http.user_role(agent)).role != "agent"
    with pytest.raises(AgentRequired):
        session.l1_signer("local").sign_l1_digest(bytes(32), is_mainnet=False)
    # Trading again approves a brand-new agent.
    fresh = await agents.ensure(session, "local", approver)
    assert fresh not in (agent, *info.retired_agents)
    await place_and_cancel(http, session, NonceManager())


async def test_unanswered_approval_is_retried_with_the_same_key(
    keystore: Keystore, venue: VenueProcess, http: HyperliquidHttp, approver: ActionSender
) -> None:
    session = await funded_session(keystore, venue.url)
    agents = AgentWallets(keystore, reconcile_timeout_s=0.5)

    async with AnswerProxy(venue.url) as proxy, HyperliquidHttp(proxy.url) as lost:
        proxy.mode = "drop"  # the connection drops before the venue sees the approval
        with pytest.raises(AgentError, match="may have gone through") as caught:
            await agents.ensure(
                session,
                "local",
                ActionSender(lost, NonceManager(), is_mainnet=False),
                list_agents=http.extra_agents,
            )
        assert "same key" in str(caught.value) and proxy.forwarded == []
    pending = keystore.get(session.address).pending_agents["local"]
    assert f"agent:{pending.address}" in keyring_entries()
    # The pending key survives a lock/unlock and is the one approved next time.
    keystore.lock()
    session = keystore.unlock(session.address, PASSWORD)
    assert await agents.ensure(session, "local", approver) == pending.address
    assert not keystore.get(session.address).pending_agents


async def test_a_garbled_approval_is_reconciled_by_the_venues_agent_list(
    keystore: Keystore, venue: VenueProcess, http: HyperliquidHttp
) -> None:
    session = await funded_session(keystore, venue.url)
    agents = AgentWallets(keystore)
    async with AnswerProxy(venue.url) as proxy, HyperliquidHttp(proxy.url) as spoiled:
        proxy.mode = "rewrite"  # the venue approves; the answer comes back truncated
        approver = ActionSender(spoiled, NonceManager(), is_mainnet=False)
        agent = await agents.ensure(session, "local", approver, list_agents=http.extra_agents)
        assert proxy.forwarded == ["approveAgent"]  # approved once, not again
    info = keystore.get(session.address)
    assert info.agents["local"].address == agent and not info.pending_agents
    assert [a.address.lower() for a in await http.extra_agents(session.address)] == [agent]
    await place_and_cancel(http, session, NonceManager())


async def test_refused_approval_retires_the_pending_agent(
    keystore: Keystore, venue: VenueProcess, http: HyperliquidHttp, approver: ActionSender
) -> None:
    info, _ = keystore.create_demo_wallet(PASSWORD)  # never funded
    session = keystore.unlock(info.address, PASSWORD)
    agents = AgentWallets(keystore)

    with pytest.raises(AgentError, match=r"refused to approve.*Must deposit"):
        await agents.ensure(session, "local", approver)
    after = keystore.get(info.address)
    assert not after.pending_agents and not after.agents and len(after.retired_agents) == 1
    assert set(keyring_entries()) == {info.entry_name}


async def test_agent_unknown_to_the_venue_is_replaced(
    keystore: Keystore, venue: VenueProcess, http: HyperliquidHttp, approver: ActionSender
) -> None:
    """A fresh local venue (or a pruned agent) no longer knows our agent: ensure() notices."""
    session = await funded_session(keystore, venue.url)
    agents = AgentWallets(keystore)
    first = await agents.ensure(session, "local", approver)

    async def none_listed(user: str) -> list[Any]:
        return []

    second = await agents.ensure(session, "local", approver, list_agents=none_listed)
    assert second != first
    await place_and_cancel(http, session, NonceManager())


async def test_agent_near_expiry_is_renewed(
    keystore: Keystore, venue: VenueProcess, http: HyperliquidHttp, approver: ActionSender
) -> None:
    session = await funded_session(keystore, venue.url)
    now = [signing_now()]
    agents = AgentWallets(keystore, clock_ms=lambda: now[0])
    first = await agents.ensure(session, "local", approver)
    now[0] += 84 * 86_400_000  # 6 days before the 90-day expiry
    second = await agents.ensure(session, "local", approver)
    assert second != first


def signing_now() -> int:
    import time

    return time.time_ns() // 1_000_000


async def test_damaged_agent_entry_does_not_block_unlock(
    keystore: Keystore, venue: VenueProcess, http: HyperliquidHttp, approver: ActionSender
) -> None:
    session = await funded_session(keystore, venue.url)
    agents = AgentWallets(keystore)
    first = await agents.ensure(session, "local", approver)
    keystore.lock()
    keyring.set_password(SERVICE, f"agent:{first}", '{"version": 3}')
    session = keystore.unlock(session.address, PASSWORD)  # the wallet itself is fine
    assert session.agent_address("local") is None
    second = await agents.ensure(session, "local", approver)
    assert second != first and first in keystore.get(session.address).retired_agents
    await place_and_cancel(http, session, NonceManager())


async def test_rotation_with_a_refusing_keyring_keeps_the_current_agent(
    keystore: Keystore, venue: VenueProcess, http: HyperliquidHttp, approver: ActionSender
) -> None:
    session = await funded_session(keystore, venue.url)
    agents = AgentWallets(keystore)
    agent = await agents.ensure(session, "local", approver)
    before = keyring_entries()
    keyring.set_keyring(RefusingKeyring())
    with pytest.raises(KeyringWriteFailed):
        await agents.rotate(session, "local", approver)
    assert keyring_entries() == before
    assert keystore.get(session.address).agents["local"].address == agent
    assert not keystore.get(session.address).pending_agents
    await place_and_cancel(http, session, NonceManager())  # still trades with the same agent

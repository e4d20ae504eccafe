"""No agent key for an account the venue cannot approve one for; the first deposit or trade does.

The venue answers an approval from an account that never deposited with "Must deposit before
performing actions". Making, storing and discarding a key on every unlock of such an account
would only litter the keyring, so WalletService asks the venue first (``userRole``).
Real local venue, real keyring, real WalletService.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from tests.keyring_helpers import keyring_entries
from tests.venue_process import VenueProcess, faucet
from tests.wallet.conftest import PASSWORD
from wallet_perps.services.session import TradingSession
from wallet_perps.services.wallet_service import WalletService
from wallet_perps.wallet.errors import WalletError
from wallet_perps.wallet.keystore import Keystore
from wallet_perps.wallet.secret_storage import TEST_ONLY_FAST_SCRYPT
from wallet_perps.wallet.unlocked import random_key


def agent_entries() -> list[str]:
    return [name for name in keyring_entries() if name.startswith("agent:")]


async def _scenario(venue: VenueProcess) -> None:
    keystore = Keystore(scrypt=TEST_ONLY_FAST_SCRYPT)
    demo = keystore.import_private_key(random_key().hex(), PASSWORD, label="Demo")
    other = keystore.import_private_key(random_key().hex(), PASSWORD, label="Funded elsewhere")
    session = TradingSession(venue.url, contexts_poll_s=0)
    await session.start()
    wallets = WalletService(
        keystore, session, "local", base_url=venue.url, admin_token=lambda: venue.admin_token
    )
    try:
        await wallets.unlock(demo.address, PASSWORD)
        wallet = wallets.unlocked
        assert wallet is not None
        for _ in range(3):  # as on each unlock (the controller's background approval)
            await wallets.approve_agent_if_possible()
        with pytest.raises(WalletError, match="Deposit USDC into this account first"):
            await wallets.ensure_agent()  # as before a trade
        info = keystore.get(demo.address)
        assert not info.agents and not info.pending_agents and not info.retired_agents
        assert agent_entries() == [], "no agent key was made, stored or discarded"
        assert "pending:local" not in wallet._agents and "local" not in wallet._agents
        assert wallets.agent_status().startswith("No agent wallet yet"), wallets.agent_status()

        await wallets.deposit_demo(Decimal(100))  # the first deposit approves the agent
        info = keystore.get(demo.address)
        record = info.agents.get("local")
        assert record is not None and record.approved_at_ms is not None
        assert wallet.agent_address("local") == record.address
        assert agent_entries() == [f"agent:{record.address}"]
        listed = await session.http.extra_agents(demo.address)
        assert [a.address.lower() for a in listed] == [record.address]

        # An account funded some other way (a bridge deposit on a real network): the first
        # trade's check approves its agent.
        await wallets.unlock(other.address, PASSWORD)
        assert not keystore.get(other.address).agents
        await faucet(venue.url, other.address.lower(), "50")
        await wallets.ensure_agent()
        assert "local" in keystore.get(other.address).agents
        assert len(agent_entries()) == 2
    finally:
        await wallets.lock()
        await session.stop()


def test_no_agent_before_the_first_deposit_then_the_deposit_approves_it(
    flow_venue: VenueProcess,
) -> None:
    asyncio.run(asyncio.wait_for(_scenario(flow_venue), 90))

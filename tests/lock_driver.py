"""A process holding an unlocked wallet the way the app does, for the memory test of Lock.

Usage: ``python -m tests.lock_driver URL ADMIN_TOKEN ADDRESS PASSWORD`` with
``WALLET_PERPS_HOME`` set to a home holding that wallet (in the keyring of the test's D-Bus
session); with ADDRESS ``import`` it first reads a recovery phrase from stdin and imports it
(the create/import path runs in this process too). It builds the real Keystore,
TradingSession and WalletService against the local venue at URL, unlocks the wallet, deposits
(which approves an agent), signs an order-side (L1) action with the agent and sends USDC with
the main key, then prints ``ready <agent>`` and obeys one command per line on stdin:

- ``lock``: the Lock button's path (``WalletService.lock``), then prints ``locked``;
- ``quit``: stops the session and exits.

Why not the app itself: the app switches off ``PR_SET_DUMPABLE`` at start
(``wallet_perps.diagnostics``), which is right for users and also keeps ``/proc/PID/mem``
from a same-user reader that is not root. This driver never installs diagnostics, so the
test can read its memory; everything else on the key's path is the app's own code.
"""

from __future__ import annotations

import asyncio
import gc
import sys
from decimal import Decimal

from wallet_perps.hyperliquid.actions import update_leverage_action
from wallet_perps.hyperliquid.signing import l1_digest
from wallet_perps.services.session import TradingSession
from wallet_perps.services.wallet_service import WalletService
from wallet_perps.wallet.keystore import Keystore
from wallet_perps.wallet.secret_storage import TEST_ONLY_FAST_SCRYPT

#: Another account to send to (a transfer signed by the main key needs a destination).
OTHER = "0x000000000000000000000000000000000000dEaD"


async def _drive(url: str, token: str, address: str, password: str) -> None:
    keystore = Keystore(scrypt=TEST_ONLY_FAST_SCRYPT)
    if address == "import":
        phrase = sys.stdin.readline().strip()
        address = keystore.import_phrase(phrase, password).address
        del phrase
    session = TradingSession(url, contexts_poll_s=0)
    await session.start()
    wallets = WalletService(
        keystore,
        session,
        "local",
        base_url=url,
        admin_token=lambda: token,
    )
    try:
        await wallets.unlock(address, password)
        await wallets.deposit_demo(Decimal(1000))  # the first deposit approves the agent
        await wallets.ensure_agent()  # as before every trade (a no-op once approved)
        wallet = wallets.unlocked
        assert wallet is not None
        agent = wallet.agent_address("local")
        assert agent is not None, "the deposit did not approve an agent"
        # An L1 action signed by the agent, as every order is.
        signer = wallet.l1_signer("local")
        nonce = session.nonces.next_nonce(signer.address)
        action = update_leverage_action(0, 3, is_cross=True)
        digest = l1_digest(action, nonce, is_mainnet=False)
        signature = signer.sign_l1_digest(digest, is_mainnet=False)
        answer = await session.http.exchange(
            {"action": action, "nonce": nonce, "signature": dict(signature)}
        )
        assert answer.get("status") == "ok", answer
        # A transfer signed by the main key.
        transfers = wallets.transfers()
        assert transfers is not None
        result = await transfers.send_usd(OTHER, Decimal(1))
        assert result.ok, result
        print(f"ready {agent}", flush=True)
        loop = asyncio.get_running_loop()
        while True:
            line = (await loop.run_in_executor(None, sys.stdin.readline)).strip()
            if line == "lock":
                await wallets.lock()
                gc.collect()
                print("locked", flush=True)
            elif line in ("quit", ""):
                break
    finally:
        await session.stop()


def main() -> None:
    url, token, address, password = sys.argv[1:5]
    asyncio.run(_drive(url, token, address, password))


if __name__ == "__main__":
    main()

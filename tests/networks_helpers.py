"""A network the app does not ship, built in one place for the tests that need a fourth one.

``test_config`` lists it to show that a network is data (no other file knows its name), and
``core/test_networks`` bends one of its answers to show that a contradictory network is refused
where it is defined. Both start from the same consistent fields, so a field added to
``Network`` is filled here once.
"""

from __future__ import annotations

from typing import Any, cast

from wallet_perps.core.networks import Deposits, Faucet, Network, NetworkName

#: The fourth network's name: not one of the shipped ``NetworkName`` literals.
DEVNET = cast(NetworkName, "devnet")


def fourth_network(**changes: Any) -> Network:
    """ "devnet": real money on its own bridge, with ``changes`` (Network fields) on top.

    The changes are applied before ``Network`` checks its answers, so a contradictory set is
    refused here, as it would be in ``core.networks``.
    """
    fields: dict[str, Any] = {
        "name": DEVNET,
        "label": "Devnet",
        "http_url": "https://devnet.example.invalid",
        "is_mainnet": True,
        "paper_money": False,
        "faucet": Faucet.NONE,
        "deposits": Deposits.ARBITRUM_BRIDGE,
        "risk_note": "Devnet risk note.",
        "badge_tip": "Devnet badge tip.",
        "address_note": "Devnet address note.",
        "switch_warning": "Devnet switch warning.",
    }
    return Network(**(fields | changes))

"""A network is data: the three the app ships say what they allow, and a contradictory one is
refused where it is defined (the code trusts each answer, so two must never disagree)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.networks_helpers import fourth_network
from wallet_perps.core.networks import DEFAULT_NETWORK, NETWORKS, Deposits, Faucet, ws_url_for


def test_networks_sign_as_the_official_sdk_expects() -> None:
    assert NETWORKS["mainnet"].is_mainnet
    assert not NETWORKS["testnet"].is_mainnet
    assert not NETWORKS["local"].is_mainnet  # the local venue verifies testnet-style signatures


def test_what_each_shipped_network_allows() -> None:
    local, testnet, mainnet = NETWORKS["local"], NETWORKS["testnet"], NETWORKS["mainnet"]
    assert list(NETWORKS) == ["local", "testnet", "mainnet"]  # the picker's order
    assert all(name == network.name for name, network in NETWORKS.items())
    assert DEFAULT_NETWORK == "local"  # a first run starts on paper

    assert local.embedded_venue and local.http_url is None and local.ws_url is None
    assert local.paper_money and not local.real_money
    assert local.faucet is Faucet.VENUE and local.deposits is Deposits.FAUCET

    assert not testnet.embedded_venue and testnet.paper_money
    assert testnet.faucet is Faucet.TESTNET and testnet.deposits is Deposits.TESTNET_FAUCET
    assert testnet.ws_url == "wss://api.hyperliquid-testnet.xyz/ws"

    assert mainnet.real_money and not mainnet.paper_money
    assert mainnet.faucet is Faucet.NONE and mainnet.deposits is Deposits.ARBITRUM_BRIDGE
    assert mainnet.ws_url == "wss://api.hyperliquid.xyz/ws"
    # Only real money asks before switching, and every network has its own texts.
    assert mainnet.switch_warning and "real money" in mainnet.switch_warning
    assert local.switch_warning is None and testnet.switch_warning is None
    for network in NETWORKS.values():
        assert network.label and network.risk_note and network.badge_tip and network.address_note
    assert "Real money" in mainnet.badge_tip and "Paper trading" in local.risk_note


def test_ws_url_follows_the_http_scheme() -> None:
    assert ws_url_for("https://api.hyperliquid.xyz") == "wss://api.hyperliquid.xyz/ws"
    assert ws_url_for("http://127.0.0.1:3001/") == "ws://127.0.0.1:3001/ws"


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"http_url": "http://127.0.0.1:3001"}, "venue faucet"),  # a URL, yet the venue's faucet
        ({"deposits": Deposits.ARBITRUM_BRIDGE}, "in-app deposits"),  # faucet, bridge deposits
        ({"paper_money": False}, "no faucet"),  # real money with a faucet
    ],
)
def test_contradictions_are_refused_where_defined(change: dict[str, object], why: str) -> None:
    with pytest.raises(ValueError, match=why):
        replace(NETWORKS["local"], **change)  # type: ignore[arg-type]


def test_real_money_must_be_confirmed_and_has_no_faucet() -> None:
    mainnet = NETWORKS["mainnet"]
    with pytest.raises(ValueError, match="confirmed"):
        replace(mainnet, switch_warning=None)
    with pytest.raises(ValueError, match="no faucet"):
        replace(mainnet, faucet=Faucet.TESTNET)
    with pytest.raises(ValueError, match="venue faucet"):
        fourth_network(
            is_mainnet=False, paper_money=True, faucet=Faucet.VENUE, deposits=Deposits.FAUCET
        )

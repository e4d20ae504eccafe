"""Settings survive restarts, and a damaged settings file never stops the app."""

from __future__ import annotations

from pathlib import Path

from wallet_perps.config import NETWORKS, Network, Settings


def test_settings_round_trip_under_app_home(_isolated_app_home: Path) -> None:
    settings = Settings.load()
    assert settings.network == "local"  # first run: the demo venue
    settings.network = "testnet"
    settings.confirm_orders = False
    settings.save()
    assert Settings.path().is_relative_to(_isolated_app_home)
    again = Settings.load()
    assert again.network == "testnet"
    assert again.confirm_orders is False


def test_damaged_settings_fall_back_to_defaults() -> None:
    path = Settings.path()
    path.parent.mkdir(parents=True)
    path.write_text("{not json", encoding="utf-8")
    assert Settings.load() == Settings()
    path.write_text('{"network": "moon", "theme": 7}', encoding="utf-8")
    assert Settings.load() == Settings()


def test_networks_sign_as_the_official_sdk_expects() -> None:
    assert NETWORKS["mainnet"].is_mainnet
    assert not NETWORKS["testnet"].is_mainnet
    assert not NETWORKS["local"].is_mainnet  # the local venue verifies testnet-style signatures
    assert Network.ws_url_for("https://api.hyperliquid.xyz") == "wss://api.hyperliquid.xyz/ws"
    assert Network.ws_url_for("http://127.0.0.1:3001/") == "ws://127.0.0.1:3001/ws"

"""Settings survive restarts, and a damaged settings file never stops the app.

And a network is data: a fourth one defined in ``core.networks`` alone (here, added for one
test) is remembered, chosen on the command line and shown by the shell, Settings and the
Wallet page's dialogs as its data says, with no other file knowing its name.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from platformdirs import PlatformDirs
from pytestqt.qtbot import QtBot

from tests.networks_helpers import fourth_network
from wallet_perps.app import parse_args
from wallet_perps.config import APP_NAME, AppDirs, Settings, app_dirs
from wallet_perps.core.networks import NETWORKS, Network
from wallet_perps.ui.main_window import MainWindow
from wallet_perps.ui.pages.settings import SettingsPage
from wallet_perps.ui.pages.wallet_dialogs import DepositDialog, TransferDialog
from wallet_perps.wallet.metadata import WalletInfo


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


def test_app_dirs_are_all_under_the_app_home_or_all_the_platforms(
    _isolated_app_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = _isolated_app_home
    assert app_dirs() == AppDirs(
        str(home / "config"), str(home / "data"), str(home / "cache"), str(home / "log")
    )
    monkeypatch.delenv("WALLET_PERPS_HOME")
    platform = PlatformDirs(APP_NAME, appauthor=False)
    assert app_dirs() == AppDirs(
        platform.user_config_dir,
        platform.user_data_dir,
        platform.user_cache_dir,
        platform.user_log_dir,
    )


def test_damaged_settings_fall_back_to_defaults() -> None:
    path = Settings.path()
    path.parent.mkdir(parents=True)
    path.write_text("{not json", encoding="utf-8")
    assert Settings.load() == Settings()
    path.write_text('{"network": "moon", "theme": 7}', encoding="utf-8")
    assert Settings.load() == Settings()


@pytest.fixture
def devnet() -> Iterator[Network]:
    """A fourth network, real money on its own bridge, listed for the test's duration only."""
    network = fourth_network()
    NETWORKS[network.name] = network
    try:
        yield network
    finally:
        del NETWORKS[network.name]


def test_a_fourth_network_is_remembered_and_chosen(devnet: Network) -> None:
    Settings.path().parent.mkdir(parents=True)
    Settings.path().write_text('{"network": "devnet"}', encoding="utf-8")
    assert Settings.load().network == devnet.name
    assert parse_args(["--network", "devnet"]).network == devnet.name
    agent = {"address": "0x" + "cd" * 20, "name": "app", "valid_until_ms": 1}
    stored = {"address": "0x" + "ab" * 20, "network": "devnet", "agents": {"devnet": agent}}
    info = WalletInfo.from_json(stored)  # the wallet list keeps its network and its agent
    assert info is not None and info.network == devnet.name
    assert info.agent_for("devnet") == "0x" + "cd" * 20


def test_a_fourth_network_is_shown_as_its_data_says(qtbot: QtBot, devnet: Network) -> None:
    window = MainWindow(devnet.name)
    qtbot.addWidget(window)
    assert window.network_badge.text() == "Devnet"
    assert window.network_badge.toolTip() == devnet.badge_tip
    assert window.network_badge.property("real_money") is True

    asked: list[tuple[str, str]] = []

    def decline(title: str, text: str) -> bool:
        asked.append((title, text))
        return False

    page = SettingsPage(Settings(), confirm=decline)
    qtbot.addWidget(page)
    index = page.network_box.findData("devnet")
    assert page.network_box.itemText(index) == "Devnet"
    page.network_box.activated.emit(index)  # chosen: real money asks first, and "No" stays
    assert asked == [("Switch to devnet?", devnet.switch_warning)]
    assert page.network == "local"
    page.set_network(devnet.name)
    assert page.network_note.text() == devnet.risk_note

    deposit = DepositDialog("0x" + "ab" * 20, devnet.name, can_deposit=False)
    qtbot.addWidget(deposit)
    assert deposit.amount_edit is None  # bridge steps, not a paper amount
    withdraw = TransferDialog("withdraw", "0x" + "ab" * 20, None, devnet.name)
    qtbot.addWidget(withdraw)
    assert "Arbitrum One" in withdraw._explanation()  # a real venue pays out on Arbitrum

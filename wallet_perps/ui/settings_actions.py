"""What the Settings page's requests do: key care, moving a key, the agent wallet, the idle
lock, the theme and the network.

Why apart from :class:`~wallet_perps.ui.app_controller.AppController`: these answer one
page's buttons through the wallet service, while the controller owns the order of starting
and stopping. The Settings page (and the key-care dialogs) load after the first screen is
painted, so this module is imported only then.
"""

from __future__ import annotations

import logging
from collections.abc import Coroutine
from typing import Any, Protocol, cast

from PySide6.QtWidgets import QApplication, QWidget

from wallet_perps.config import Settings
from wallet_perps.core.networks import NETWORKS, NetworkName
from wallet_perps.services.key_access import KeyAccess
from wallet_perps.services.wallet_service import WalletService
from wallet_perps.ui.pages.settings import SettingsPage
from wallet_perps.ui.theme import ThemeName, style_sheet
from wallet_perps.ui.widgets.key_care_dialogs import ACTIONS, KeyCareDialog, open_key_care

__all__ = ["SettingsActions"]

log = logging.getLogger(__name__)


class SettingsHost(Protocol):
    """What the Settings page's actions need of the app (the AppController has it): the
    wallet service of the moment (None while stopped), a way to run a coroutine on the loop,
    a redraw of who is unlocked, and a restart on another network."""

    @property
    def settings(self) -> Settings: ...
    @property
    def keys(self) -> KeyAccess: ...
    @property
    def window(self) -> QWidget: ...
    @property
    def network(self) -> NetworkName: ...
    @property
    def wallets(self) -> WalletService | None: ...

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> None: ...

    def show_wallet_identity(self) -> None: ...

    async def switch_network(self, network: NetworkName) -> None: ...


class SettingsActions:
    """Builds the Settings page of ``host`` and carries out what the page asks for."""

    def __init__(self, host: SettingsHost) -> None:
        self._host = host
        self.page: SettingsPage | None = None
        self.key_dialog: KeyCareDialog | None = None  # the key-care dialog, while open

    def build_page(self) -> SettingsPage:
        page = SettingsPage(self._host.settings)
        page.set_network(self._host.network)
        page.set_idle_lock_minutes(self._host.keys.idle_lock_minutes)
        page.network_requested.connect(self._network_requested)
        page.theme_changed.connect(self._apply_theme)
        page.agent_rotate_requested.connect(lambda: self._agent_action("rotate"))
        page.agent_revoke_requested.connect(lambda: self._agent_action("revoke"))
        page.idle_lock_changed.connect(self._set_idle_lock)
        page.key_move_requested.connect(self._move_wallet)
        page.key_care_requested.connect(self.key_care)
        self.page = page
        return page

    def show_identity(self, agent_status: str) -> None:
        """The agent wallet's status and where the keys are, on the page if it is built."""
        page = self.page
        if page is None:
            return
        page.set_agent_status(agent_status)
        self._host.spawn(self._show_key_storage(page))

    def close_dialog(self) -> None:
        """Close the key-care dialog (a shown phrase is wiped before the service goes)."""
        if self.key_dialog is not None:
            self.key_dialog.close()

    async def _show_key_storage(self, page: SettingsPage) -> None:
        """Settings' "Where your keys are" (probing the keyring happens in a thread)."""
        wallets = self._host.wallets
        if wallets is None:
            return
        status, rows = await wallets.wallet_locations()
        if self.page is page:
            page.set_key_storage(status.keyring, status.file_dir, rows)

    def key_care(self, action: str, address: str) -> None:
        """Open the key-care dialog ``action`` for one wallet (it works through the service)."""
        wallets, page = self._host.wallets, self.page
        if wallets is None or page is None:
            return
        row = page.wallet_rows.get(address)
        if row is None or action not in ACTIONS:
            return
        self.close_dialog()
        dialog = open_key_care(action, wallets, row, self._host.window)
        dialog.message.connect(page.show_key_message)
        dialog.finished.connect(lambda _result: self._dialog_gone(dialog))
        self.key_dialog = dialog

    def _dialog_gone(self, dialog: KeyCareDialog) -> None:
        if self.key_dialog is dialog:
            self.key_dialog = None

    def _move_wallet(self, address: str, to: str) -> None:
        wallets, page = self._host.wallets, self.page
        if wallets is None or page is None or to not in ("keyring", "file"):
            return

        async def run() -> None:
            try:
                await wallets.move_wallet(address, "file" if to == "file" else "keyring")
            except Exception as exc:  # WalletError: a sentence; the wallet stayed where it was
                page.show_key_message(str(exc) or type(exc).__name__, error=True)
                return
            where = "an encrypted file" if to == "file" else "the system keyring"
            page.show_key_message(f"Moved: the key is now kept in {where}.")
            # The list itself is redrawn on the service's "storage" state.

        self._host.spawn(run())

    def _network_requested(self, network: str) -> None:
        if network in NETWORKS and network != self._host.network:
            self._host.spawn(self._host.switch_network(network))

    def _apply_theme(self, theme: str) -> None:
        """The page emits only the names of its theme list (and saved the choice)."""
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.setStyleSheet(style_sheet(cast(ThemeName, theme)))

    def _set_idle_lock(self, minutes: int) -> None:
        try:
            self._host.keys.idle_lock_minutes = minutes
        except Exception as exc:  # a bad value or an unwritable wallet list
            log.warning("could not set the idle lock: %s", exc)

    def _agent_action(self, action: str) -> None:
        wallets = self._host.wallets
        if wallets is None:
            return

        async def run() -> None:
            try:
                await (wallets.rotate_agent() if action == "rotate" else wallets.revoke_agent())
            except Exception as exc:
                if self.page is not None:
                    self.page.set_agent_status(f"Could not {action} the agent wallet: {exc}")
                return
            self._host.show_wallet_identity()

        self._host.spawn(run())

"""AppController: starts the venue and the services, builds the pages, follows the wallet.

Why one object: the order of things at start (local venue, then the market session, then
pages, then onboarding or unlock) and their undoing at exit or on a network switch must be
in one place, or a half-started app leaks a child process or a reconnecting socket. It is
the only UI object that owns services; pages get the :class:`SessionAdapter` and nothing
else. Everything runs on the one qasync loop; blocking keystore work happens in
:class:`WalletService`'s worker threads.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, assert_never

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QApplication, QWidget

from wallet_perps.config import Settings
from wallet_perps.core.networks import NETWORKS, Faucet, NetworkName
from wallet_perps.core.tickets import DEFAULT_SLIPPAGE_PCT
from wallet_perps.services.embedded_venue import (
    EmbeddedVenue,
    EmbeddedVenueError,
    default_data_dir,
)
from wallet_perps.services.key_access import KeyAccess
from wallet_perps.services.session import TradingSession
from wallet_perps.services.tasks import cancel_and_wait
from wallet_perps.services.wallet_service import WalletEvent, WalletService
from wallet_perps.ui.adapter import SessionAdapter
from wallet_perps.ui.main_window import MainWindow
from wallet_perps.ui.page_catalog import PAGES, PageKey, ReleasesWatches
from wallet_perps.ui.pages.trade import TradePage
from wallet_perps.ui.widgets.unlock_bar import UnlockBar
from wallet_perps.ui.widgets.venue_bar import ActivityFilter, VenueBar
from wallet_perps.ui.window_state import restore_placement, saved_placement

if TYPE_CHECKING:  # the pages behind the first screen load after its first paint
    from wallet_perps.ui.pages.onboarding import OnboardingPage
    from wallet_perps.ui.pages.wallet import WalletPage
    from wallet_perps.ui.settings_actions import SettingsActions
    from wallet_perps.ui.widgets.key_care_dialogs import KeyCareDialog

__all__ = ["AppController"]

log = logging.getLogger(__name__)

#: How long the other pages wait for the Trade page's first live price before being built.
FIRST_PRICE_WAIT_S = 2.0


class AppController(QObject):
    """Owns the local venue, the session, the wallet service and the pages of ``window``.

    ``ready`` fires when the market session is live and the pages are built;
    ``wallet_changed(address)`` after unlock ("" after lock).
    """

    ready = Signal()
    #: The Trade page is in place (the first screen); the other pages follow after its first
    #: live price is on screen.
    first_page_ready = Signal()
    wallet_changed = Signal(str)

    def __init__(
        self,
        window: MainWindow,
        settings: Settings,
        network: NetworkName,
        *,
        keys: KeyAccess | None = None,
        venue: EmbeddedVenue | None = None,
        venue_args: tuple[str, ...] = (),
        session_options: dict[str, Any] | None = None,
    ) -> None:
        super().__init__()
        self.window = window
        self.settings = settings
        self.network: NetworkName = network
        self.keys = keys if keys is not None else KeyAccess()
        self._venue_args = venue_args
        self._session_options = session_options or {}
        self.venue: EmbeddedVenue | None = venue
        if venue is not None:
            venue.on_exit = self._venue_exited
        self.session: TradingSession | None = None
        self.adapter: SessionAdapter | None = None
        self.wallets: WalletService | None = None
        self.onboarding: OnboardingPage | None = None
        self._settings_actions: SettingsActions | None = None  # made with the Settings page
        self.pages: dict[PageKey, QWidget] = {}
        self._tasks: set[asyncio.Future[Any]] = set()
        self._idle_task: asyncio.Task[None] | None = None
        self._unsubscribe: list[Callable[[], None]] = []

        self.unlock_bar = UnlockBar()
        self.unlock_bar.hide()
        self.unlock_bar.unlock_requested.connect(self._unlock)
        self.unlock_bar.add_wallet_requested.connect(self._show_add_wallet)
        self.venue_bar = VenueBar()
        self.venue_bar.action_requested.connect(self._retry)
        window.add_banner(self.venue_bar)
        window.add_top_bar(self.unlock_bar)
        window.lock_requested.connect(self._lock_or_unlock)
        window.set_network(network)
        window.set_locked(True)
        # The window reopens where it was left (or centred, fitting the screen).
        restore_placement(window, settings.window_geometry, settings.window_maximized)
        window.closing.connect(self._remember_window)
        self._activity = ActivityFilter(self.keys.touch)
        app = QApplication.instance()
        if isinstance(app, QApplication):
            self._activity.watch(app)

    # ------------------------------------------------------------------ lifecycle

    @property
    def base_url(self) -> str:
        if self.venue is not None and self.venue.url:
            return self.venue.url
        url = NETWORKS[self.network].http_url
        assert url is not None
        return url

    def _venue_admin_token(self) -> str | None:
        """The built-in venue's current admin token (its faucet needs it); None elsewhere."""
        return self.venue.admin_token() if self.venue is not None else None

    async def start(self) -> bool:
        """Start (or restart) everything for ``self.network``; False if the venue is down.

        A failure is shown in the venue strip with a Retry button; nothing raises.
        """
        self.venue_bar.hide()
        self._activity.watch_window(self.window.windowHandle())  # shown by now
        if NETWORKS[self.network].embedded_venue and (self.venue is None or self.venue.url is None):
            self.venue = self.venue or EmbeddedVenue(
                default_data_dir(), on_exit=self._venue_exited, extra_args=self._venue_args
            )
            try:
                await self.venue.start()
            except EmbeddedVenueError as exc:
                self.venue_bar.show_problem(str(exc), "Retry")
                return False
        session = TradingSession(
            self.base_url, is_mainnet=NETWORKS[self.network].is_mainnet, **self._session_options
        )
        try:
            await session.start()
        except Exception as exc:
            log.warning("could not connect to %s: %s", self.base_url, exc)
            self.venue_bar.show_problem(
                f"Could not connect to the {NETWORKS[self.network].label} venue ({exc}).", "Retry"
            )
            return False
        self.session = session
        self.wallets = self.keys.wallet_service(
            session, self.network, base_url=self.base_url, admin_token=self._venue_admin_token
        )
        # Every order and action first makes sure the agent wallet is approved.
        self.adapter = SessionAdapter(session, before_trade=self.wallets.ensure_agent)
        self.adapter.connection_changed.connect(self.window.set_connection)
        self._unsubscribe.append(self.wallets.state.subscribe(self._on_wallet_state))
        self.window.set_connection(True, self.adapter.latency_ms)
        self._release_pages()
        self.pages = {"trade": self._build_trade_page(self.adapter)}
        self.window.set_page("trade", self.pages["trade"])
        self.window.show_page("trade")
        if self._idle_task is None:
            self._idle_task = asyncio.ensure_future(self.keys.watch_idle())
        if not self.wallets.wallets():  # onboarding opens on where keys can live
            await self.wallets.probe_key_storage()
        self._show_wallet_gate()
        self.first_page_ready.emit()
        # The other pages (and pyqtgraph's charts behind them) cost more than the whole first
        # screen: they are built once its live price is painted, one page per loop turn.
        await self._first_price_shown(FIRST_PRICE_WAIT_S)
        await self._build_other_pages(self.adapter)
        self.show_wallet_identity()
        self.ready.emit()
        return True

    async def stop(self) -> None:
        """Undo :meth:`start`: pages, session, venue (the venue snapshots its state)."""
        if self._settings_actions is not None:  # a shown phrase is wiped before the service goes
            self._settings_actions.close_dialog()
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe.clear()
        # Not the task running this stop (a network switch from Settings is one of _tasks):
        # cancelling it would end the switch half-way, with nothing started again.
        me = asyncio.current_task()
        tasks = [t for t in self._tasks if not t.done() and t is not me]
        if self._idle_task is not None:
            tasks.append(self._idle_task)
            self._idle_task = None
        await cancel_and_wait(tasks)
        self._release_pages()
        if self.adapter is not None:
            await self.adapter.aclose()
            self.adapter = None
        if self.session is not None:
            await self.session.stop()
            self.session = None
        self.wallets = None
        if self.venue is not None:
            await self.venue.stop()

    async def switch_network(self, network: NetworkName) -> None:
        """Lock, stop, and start again on ``network`` (the choice is remembered)."""
        await self.keys.lock()
        await self.stop()
        self.venue = None
        self.network = network
        self.settings.network = network
        self.settings.save()
        self.window.set_network(network)
        self.window.set_address("")
        self.window.set_locked(True)
        await self.start()

    # ------------------------------------------------------------------ pages

    async def _first_price_shown(self, timeout_s: float) -> None:
        """Wait (on the loop) until the Trade page shows a live price, at most ``timeout_s``."""
        trade = self.pages.get("trade")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while isinstance(trade, TradePage) and not trade.has_live_price():
            if loop.time() >= deadline:
                return
            await asyncio.sleep(0.02)
        await asyncio.sleep(0)  # let Qt paint it before the next page is built

    def _build_trade_page(self, adapter: SessionAdapter) -> TradePage:
        return TradePage(
            adapter,
            self.window.stack,  # in place from the start: its widgets get their style once
            confirm_orders=lambda: self.settings.confirm_orders,
            slippage_pct=self._default_slippage,
            favourites=list(self.settings.favourites),
            on_favourites_changed=self._save_favourites,
            market=self.settings.last_market or None,
            interval=self.settings.chart_interval or None,
            on_selection_changed=self._save_selection,
            body_after_price=True,  # the first screen: its price first
        )

    async def _build_other_pages(self, adapter: SessionAdapter) -> None:
        """Every page but Trade, in sidebar order, yielding to the loop between pages."""
        for entry in PAGES:
            if entry.key == "trade":
                continue
            if self.adapter is not adapter:
                return  # stopped (or restarted) meanwhile: these pages would be orphans
            page = self._build_page(entry.key, adapter)
            self.pages[entry.key] = page
            self.window.set_page(entry.key, page)
            await asyncio.sleep(0)

    def _build_page(self, key: PageKey, adapter: SessionAdapter) -> QWidget:
        """The page for ``key`` (the match is exhaustive: mypy fails on a page without one)."""
        # Imported here: these pages (and pyqtgraph behind them) load after the first paint.
        from wallet_perps.ui.pages.funding import FundingPage
        from wallet_perps.ui.pages.history import HistoryPage
        from wallet_perps.ui.pages.positions import PositionsPage
        from wallet_perps.ui.pages.pulse import PulsePage

        match key:
            case "trade":
                return self._build_trade_page(adapter)
            case "wallet":
                return self._build_wallet_page(adapter)
            case "positions":
                return PositionsPage(adapter, confirm_orders=lambda: self.settings.confirm_orders)
            case "funding":
                return FundingPage(adapter)
            case "pulse":
                return PulsePage(adapter)
            case "history":
                return HistoryPage(adapter)
            case "settings":
                return self._build_settings_page()
            case _:
                assert_never(key)

    def _build_wallet_page(self, adapter: SessionAdapter) -> WalletPage:
        from wallet_perps.ui.pages.wallet import WalletPage

        page = WalletPage(adapter)
        page.backup_requested.connect(self._back_up_unlocked_wallet)
        return page

    def _back_up_unlocked_wallet(self) -> None:
        """The Wallet page's reminder: the backup check of the wallet in use, from Settings."""
        wallets = self.wallets
        if wallets is None or not wallets.address:
            return
        self.window.show_page("settings")
        if self._settings_actions is not None:
            self._settings_actions.key_care("backup", wallets.address)

    def _build_settings_page(self) -> QWidget:
        from wallet_perps.ui.settings_actions import SettingsActions

        if self._settings_actions is None:
            self._settings_actions = SettingsActions(self)
        return self._settings_actions.build_page()

    @property
    def key_dialog(self) -> KeyCareDialog | None:
        """Settings' key-care dialog, while one is open."""
        actions = self._settings_actions
        return actions.key_dialog if actions is not None else None

    def show_wallet_identity(self) -> None:
        """Push who is unlocked (and what may be done with it) to the wallet-aware pages."""
        wallets = self.wallets
        if wallets is None:
            return
        status = wallets.agent_status()
        from wallet_perps.ui.pages.wallet import WalletPage  # loaded by now: a lookup

        wallet_page = self.pages.get("wallet")
        if isinstance(wallet_page, WalletPage):
            unlocked = wallets.unlocked
            label = unlocked.info.label if unlocked is not None else ""
            backed_up = unlocked is None or unlocked.info.backup_confirmed
            wallet_page.set_wallet(
                wallets.address, label, self.network, status, backed_up=backed_up
            )
            paper_faucet = NETWORKS[self.network].faucet is Faucet.VENUE
            deposit = wallets.deposit_demo if paper_faucet else None
            wallet_page.set_transfers(wallets.transfers(), deposit if unlocked else None)
        if self._settings_actions is not None:
            self._settings_actions.show_identity(status)

    def _default_slippage(self) -> Decimal:
        """Settings' default slippage as a Decimal percent; a damaged value falls back to 5%."""
        try:
            value = Decimal(self.settings.default_slippage_pct)
        except (InvalidOperation, ValueError):
            return DEFAULT_SLIPPAGE_PCT
        return value if value.is_finite() and value > 0 else DEFAULT_SLIPPAGE_PCT

    def _save_favourites(self, coins: list[str]) -> None:
        self.settings.favourites = list(coins)
        self.settings.save()

    def _save_selection(self, coin: str, interval: str) -> None:
        """The Trade page's market and chart interval, kept for the next start."""
        if (coin, interval) != (self.settings.last_market, self.settings.chart_interval):
            self.settings.last_market, self.settings.chart_interval = coin, interval
            self.settings.save()

    def _remember_window(self) -> None:
        """On close: where the window was and whether it was maximised."""
        geometry, maximized = saved_placement(self.window)
        self.settings.window_geometry, self.settings.window_maximized = geometry, maximized
        try:
            self.settings.save()
        except OSError as exc:  # a read-only config directory must not stop the exit
            log.warning("could not save the window's place: %s", exc)

    def _release_pages(self) -> None:
        """Let pages drop their market watches before their adapter goes away."""
        for page in self.pages.values():
            if isinstance(page, ReleasesWatches):
                page.release()
        if self._settings_actions is not None:
            self._settings_actions.page = None

    # ------------------------------------------------------------------ wallet

    def _show_wallet_gate(self) -> None:
        assert self.wallets is not None
        if self.wallets.unlocked is not None:
            self.unlock_bar.hide()
            return
        wallets = self.wallets.wallets()
        self.trade_page_wallet_exists(bool(wallets))
        self.window.set_wallet_exists(bool(wallets))
        if not wallets:
            # Prices are public: the first screen offers to look at the live markets before
            # any wallet exists; the strip keeps onboarding one click away.
            self.unlock_bar.set_wallets([])
            self.unlock_bar.show()
            if self.window.gated or self.onboarding is None:
                self._show_onboarding(can_cancel=True, cancel_text="Browse markets first")
            return
        self.window.set_gate(None)
        # Offer the wallet that was in use (remembered across restarts), not the newest.
        self.unlock_bar.set_wallets(
            [(w.address, w.label) for w in wallets], self.wallets.last_used()
        )
        self.unlock_bar.reset()
        self.unlock_bar.show()

    def trade_page_wallet_exists(self, exists: bool) -> None:
        """The Trade page's locked ticket says "unlock" only when there is a wallet to unlock."""
        page = self.pages.get("trade")
        if isinstance(page, TradePage):
            page.set_wallet_exists(exists)

    def _show_onboarding(self, *, can_cancel: bool, cancel_text: str = "Cancel") -> None:
        assert self.wallets is not None
        if self.onboarding is not None:
            self.onboarding.deleteLater()
        from wallet_perps.ui.pages.onboarding import OnboardingPage

        page = OnboardingPage(self.wallets, can_cancel=can_cancel, cancel_text=cancel_text)
        page.finished.connect(self._onboarded)
        page.cancelled.connect(lambda: self.window.set_gate(None))
        self.onboarding = page
        self.window.set_gate(page)

    def _show_add_wallet(self) -> None:
        self._show_onboarding(can_cancel=True)

    def _onboarded(self, address: str) -> None:
        self.window.set_gate(None)
        self.window.show_page("trade")
        if self.onboarding is not None:
            self.onboarding.deleteLater()
            self.onboarding = None
        log.info("onboarded %s", address)

    def _unlock(self, address: str, password: str) -> None:
        wallets = self.wallets
        if wallets is None:
            self.unlock_bar.show_error("Not connected to the venue yet.")
            return

        async def run() -> None:
            try:
                await wallets.unlock(address, password)
            except Exception as exc:  # WrongPassword and keyring errors are sentences
                self.unlock_bar.show_error(str(exc) or type(exc).__name__)
                return
            self.unlock_bar.reset()

        self.spawn(run())

    def _lock_or_unlock(self) -> None:
        wallets = self.wallets
        if wallets is None:
            return
        if wallets.unlocked is None:
            if not wallets.wallets():
                self._show_onboarding(can_cancel=True, cancel_text="Browse markets first")
                return
            self._show_wallet_gate()
            self.unlock_bar.password_edit.setFocus()
            return
        self.spawn(wallets.lock())

    def _on_wallet_state(self, what: WalletEvent) -> None:
        wallets = self.wallets
        if wallets is None:
            return
        address = wallets.address
        self.window.set_address(address)
        self.window.set_locked(not address)
        self.show_wallet_identity()
        if what in (WalletEvent.UNLOCKED, WalletEvent.LOCKED):
            if address:
                self.unlock_bar.hide()
                if NETWORKS[self.network].embedded_venue:
                    # Approve the agent now, so the first order is not slowed by it; an
                    # account that never deposited gets none until its first deposit.
                    self.spawn(wallets.approve_agent_if_possible())
            else:
                self._show_wallet_gate()
            self.wallet_changed.emit(address)
        elif what is WalletEvent.WALLETS and not address:  # renamed or removed: the strip's list
            self._show_wallet_gate()

    # ------------------------------------------------------------------ venue

    def _venue_exited(self, code: int) -> None:
        self.venue_bar.show_problem(
            f"The local venue stopped unexpectedly (exit code {code}). Your paper account is "
            "saved; restart it to go on.",
            "Restart",
        )

    def _retry(self) -> None:
        self.venue_bar.button.setEnabled(False)
        if self.session is not None and self.venue is not None and not self.venue.running:
            self.spawn(self._restart_venue())
        else:
            self.spawn(self.start())

    async def _restart_venue(self) -> None:
        """Same port, same data: the session's clients reconnect and resync by themselves."""
        assert self.venue is not None
        try:
            await self.venue.start()
        except EmbeddedVenueError as exc:
            self.venue_bar.show_problem(str(exc), "Restart")
            return
        self.venue_bar.hide()

    # ------------------------------------------------------------------ internals

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        """Run ``coro`` on the loop; :meth:`stop` cancels it if it is still running."""
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

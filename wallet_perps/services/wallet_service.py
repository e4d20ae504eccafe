"""WalletService: the keystore, the agent wallet and the trading session, joined up.

Why it exists: onboarding, unlock, lock and "before the first trade" each touch three
layers (keystore in the OS keyring, agent approval on the venue, the session's account
part). Doing that in widgets would put keyring calls on the UI thread and protocol steps in
the UI. Here it is plain asyncio: every blocking keystore call (scrypt, keyring over D-Bus)
runs in a worker thread through ``asyncio.to_thread``, so the shared qasync loop never
stalls, and the agent wallet and the Trader share one ``NonceManager``.

Where keys can live is asked here too (:meth:`WalletService.probe_key_storage`): probing the
OS keyring talks to D-Bus and may block, so onboarding and Settings get the answer from a
worker thread, never by calling the keyring themselves.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Literal

from wallet_perps.core.clock import wall_ms
from wallet_perps.core.networks import (
    DEFAULT_NETWORK,
    DEMO_DEPOSIT_USD,
    NETWORKS,
    Faucet,
    NetworkName,
)
from wallet_perps.hyperliquid.errors import VenueError
from wallet_perps.services.events import EventSource
from wallet_perps.services.session import TradingSession
from wallet_perps.wallet.agents import AgentWallets
from wallet_perps.wallet.errors import (
    FILE_KEYSTORE_CHOICE,
    AgentNeedsDeposit,
    NoRecoveryPhrase,
    WalletError,
)
from wallet_perps.wallet.keystore import Keystore
from wallet_perps.wallet.metadata import WalletInfo
from wallet_perps.wallet.mnemonic import RecoveryPhrase
from wallet_perps.wallet.unlocked import (
    RevealedSecret,
    UnlockedWallet,
    parse_private_key,
)

if TYPE_CHECKING:  # signing actions and transfers load when first used, after the first paint
    from wallet_perps.hyperliquid.sender import ActionSender
    from wallet_perps.services.transfers import Transfers

__all__ = [
    "FILE_KEYSTORE_CHOICE",
    "KeyStorage",
    "RecoveryPhrase",
    "RevealedSecret",
    "WalletEvent",
    "WalletLocation",
    "WalletService",
]

log = logging.getLogger(__name__)

StorageKind = Literal["keyring", "file"]


class WalletEvent(StrEnum):
    """What changed, as :attr:`WalletService.state` announces it."""

    UNLOCKED = "unlocked"  # a wallet was opened (its account is attached)
    LOCKED = "locked"  # the open wallet was locked (by the user, idle time, or elsewhere)
    WALLETS = "wallets"  # the list changed: created, imported, renamed, removed, backed up
    STORAGE = "storage"  # a key moved between the keyring and the file keystore
    AGENT = "agent"  # the agent wallet's status changed (approved, rotated, revoked, failed)


@dataclass(frozen=True, slots=True)
class KeyStorage:
    """Where wallet keys can be kept on this machine, as last probed."""

    keyring: bool  # the OS keyring (Secret Service) is usable
    file_chosen: bool  # the user chose the encrypted-file keystore (remembered)
    file_dir: str  # where that keystore's files are

    @property
    def can_store(self) -> bool:
        """A new wallet has somewhere to go (otherwise onboarding must not start)."""
        return self.keyring or self.file_chosen

    @property
    def new_wallets(self) -> StorageKind:
        """Where a wallet created now is kept: the keyring whenever there is one."""
        return "keyring" if self.keyring else "file"


@dataclass(frozen=True, slots=True)
class WalletLocation:
    """One stored wallet and where its encrypted key is (for Settings)."""

    address: str
    label: str
    storage: StorageKind
    where: str  # the keyring in words, or the file's path
    backup_confirmed: bool = True  # False: the key-care row offers the backup check
    has_phrase: bool = False  # False for wallets imported from a private key
    network: NetworkName = DEFAULT_NETWORK  # the network it was created on (real money?)


class WalletService:
    """Create, import, unlock and lock wallets, and keep the session's account in step.

    ``state`` emits after every change (unlock, lock, agent status) so the UI can redraw;
    ``base_url`` is only used for the local venue's faucet, with the token ``admin_token``
    returns (asked at each deposit: a restarted venue has a new one).
    """

    def __init__(
        self,
        keystore: Keystore,
        session: TradingSession,
        network: NetworkName,
        *,
        base_url: str,
        admin_token: Callable[[], str | None] | None = None,
    ) -> None:
        self.keystore = keystore
        self.session = session
        self.network = network
        self.base_url = base_url.rstrip("/")
        self._admin_token = admin_token
        self.agents = AgentWallets(keystore)
        self.state: EventSource[WalletEvent] = EventSource("wallet")
        self._wallet: UnlockedWallet | None = None
        self._agent_checked = False
        self._agent_problem: str | None = None
        #: The last answer of :meth:`probe_key_storage` (None until probed).
        self.key_storage: KeyStorage | None = None
        # The loop the UI runs on: a lock from any thread is announced there.
        self._loop: asyncio.AbstractEventLoop | None = None
        with contextlib.suppress(RuntimeError):
            self._loop = asyncio.get_running_loop()
        self._opening = asyncio.Lock()  # an unlock in progress is not undone by a stale lock
        self._lock_tasks: set[asyncio.Task[None]] = set()
        keystore.add_lock_listener(self._on_keystore_locked)

    # ------------------------------------------------------------------ queries

    def wallets(self) -> list[WalletInfo]:
        return self.keystore.wallets()

    def last_used(self) -> str | None:
        """The wallet unlocked most recently (remembered across restarts), for the unlock
        strip to offer; None with no wallets."""
        info = self.keystore.last_used()
        return None if info is None else info.address

    @property
    def unlocked(self) -> UnlockedWallet | None:
        wallet = self._wallet
        return None if wallet is None or wallet.locked else wallet

    @property
    def address(self) -> str:
        wallet = self.unlocked
        return wallet.address if wallet is not None else ""

    def agent_status(self) -> str:
        """One line for the wallet and settings pages."""
        wallet = self.unlocked
        if wallet is None:
            return "Locked: unlock to trade."
        if self._agent_problem:
            return f"Agent wallet not approved: {self._agent_problem}"
        record = wallet.info.agents.get(self.network)
        if record is None or wallet.agent_address(self.network) != record.address:
            return "No agent wallet yet: one is approved before your first trade."
        days = max(0, (record.valid_until_ms - wall_ms()) // 86_400_000)
        return f"Agent {record.address[:6]}…{record.address[-4:]} approved, valid {days} more days."

    def transfers(self) -> Transfers | None:
        """Send and withdraw for the unlocked wallet (signed by its main key), or None."""
        wallet = self.unlocked
        if wallet is None:
            return None
        from wallet_perps.services.transfers import Transfers

        return Transfers(self.session.http, wallet, self.network, self.session.nonces)

    # ------------------------------------------------------------------ where keys live

    async def probe_key_storage(self) -> KeyStorage:
        """Ask (in a thread: D-Bus may block) whether the OS keyring is usable; remembered."""
        keyring = await asyncio.to_thread(self.keystore.keyring_available)
        self.key_storage = KeyStorage(
            keyring, self.keystore.allow_file_fallback, str(self.keystore.file_store_dir)
        )
        return self.key_storage

    async def choose_file_store(self) -> KeyStorage:
        """The user chose the encrypted-file keystore (no keyring): remember it for good."""
        await asyncio.to_thread(self.keystore.choose_file_store)
        return await self.probe_key_storage()

    async def wallet_locations(self) -> tuple[KeyStorage, list[WalletLocation]]:
        """Where keys can go now, and where each stored wallet's key is."""
        status = await self.probe_key_storage()
        rows = [
            WalletLocation(
                w.address,
                w.label,
                w.storage,
                self.keystore.location_of(w.address),
                w.backup_confirmed,
                w.has_phrase,
                w.network,
            )
            for w in self.keystore.wallets()
        ]
        return status, rows

    async def move_wallet(self, address: str, to: StorageKind) -> None:
        """Move a wallet's encrypted key (and its agents') to the keyring or the file.

        Raises ``WalletError`` with a sentence when it cannot; the wallet then stays usable
        where it was.
        """
        await asyncio.to_thread(self.keystore.move_wallet, address, to)
        self.state.emit(WalletEvent.STORAGE)

    # ------------------------------------------------------------------ key care (Settings)

    def real_money(self, address: str) -> bool:
        """Whether ``address`` guards real money: made for a real-money network, or the app is
        on one."""
        if NETWORKS[self.network].real_money:
            return True
        return NETWORKS[self.keystore.get(address).network].real_money

    def _is_open(self, address: str) -> bool:
        wallet = self.unlocked
        return wallet is not None and wallet.address.lower() == address.lower()

    async def change_password(self, address: str, old: str, new: str) -> bool:
        """Re-encrypt ``address`` (and its agents) under ``new``; True if that locked it.

        Only that wallet's open session is locked (its derived key belongs to the old
        password); the lock is announced here on the loop, whichever thread the keystore
        locked from. A wrong old password raises ``WrongPassword`` and changes nothing.
        """
        was_open = self._is_open(address)
        await asyncio.to_thread(self.keystore.change_password, address, old, new)
        wallet = self._wallet
        if wallet is not None and wallet.locked:
            await self._detach()
        return was_open and self.unlocked is None

    async def reveal(self, address: str, password: str) -> RevealedSecret:
        """The wallet's recovery phrase, after the password (the caller wipes it when shown).

        Raises ``NoRecoveryPhrase`` before asking anything for a wallet imported from a key:
        its key is never handed out here.
        """
        if not self.keystore.get(address).has_phrase:
            raise NoRecoveryPhrase(
                "This wallet was imported from a private key, so it has no recovery phrase."
            )
        secret = await asyncio.to_thread(self.keystore.reveal, address, password)
        secret.drop_key()  # the words are all Settings shows or checks
        return secret

    @staticmethod
    def backup_positions(secret: RevealedSecret, count: int = 3) -> list[int]:
        """Random word positions (1-based) to ask back, as onboarding does."""
        phrase = RecoveryPhrase(secret.phrase_words())
        try:
            return phrase.backup_positions(count)
        finally:
            phrase.wipe()

    async def confirm_backup(self, secret: RevealedSecret, answers: Mapping[int, str]) -> None:
        """Check the typed words against the phrase; on success the wallet is backed up.

        Raises ``BackupMismatch`` naming wrong positions (never words) otherwise.
        """
        phrase = RecoveryPhrase(secret.phrase_words())
        try:
            phrase.check_backup(answers)
        finally:
            phrase.wipe()
        await asyncio.to_thread(self.keystore.confirm_backup, secret.address)
        self.state.emit(WalletEvent.WALLETS)

    async def rename_wallet(self, address: str, label: str) -> str:
        """Give the wallet a new name (what the unlock strip and Settings show)."""
        info = await asyncio.to_thread(self.keystore.rename_wallet, address, label)
        self.state.emit(WalletEvent.WALLETS)
        return info.label

    async def remove_wallet(self, address: str) -> None:
        """Delete the wallet's key entries, its agents' and its metadata (locking it first
        if it is the open one). The UI asks first; without a backup the funds are lost."""
        if self._is_open(address):
            await self.lock()
        await asyncio.to_thread(self.keystore.delete_wallet, address, confirmed=True)
        self.state.emit(WalletEvent.WALLETS)

    # ------------------------------------------------------------------ onboarding

    @staticmethod
    def new_phrase() -> RecoveryPhrase:
        """A fresh 12-word phrase to show once for backup (nothing is stored yet)."""
        return RecoveryPhrase.generate(12)

    @staticmethod
    def check_import(text: str) -> str | None:
        """Why ``text`` is neither a recovery phrase nor a private key, or None if it is one.

        Runs before the password step, so a typo is reported where it was typed.
        """
        words = text.split()
        if not words:
            return "Paste your 12 or 24 recovery words, or your private key."
        try:
            if len(words) > 1:
                RecoveryPhrase.parse(" ".join(words)).wipe()
            else:
                key = parse_private_key(words[0])
                key[:] = bytes(len(key))  # only checked here: zero it at once
        except WalletError as exc:
            return str(exc)
        return None

    async def create_demo(self, password: str) -> str:
        """A demo wallet on the local venue, funded by its faucet, unlocked and trading."""
        if NETWORKS[self.network].faucet is not Faucet.VENUE:
            raise WalletError("The demo runs on the local venue only; switch network to Local.")
        info, phrase = await asyncio.to_thread(self.keystore.create_demo_wallet, password)
        phrase.wipe()
        await self._open(info.address, password)
        await self.deposit_demo(DEMO_DEPOSIT_USD)
        return info.address

    async def create_from_phrase(self, phrase: RecoveryPhrase, password: str) -> str:
        """Store a newly generated phrase the user has backed up, then unlock it."""
        info = await asyncio.to_thread(
            self.keystore.create_wallet, phrase, password, network=self.network
        )
        await self._open(info.address, password)
        return info.address

    async def import_secret(self, text: str, password: str) -> str:
        """Import a private key (hex) or a recovery phrase (words), then unlock it."""
        words = text.split()
        if len(words) > 1:
            info = await asyncio.to_thread(
                self.keystore.import_phrase, " ".join(words), password, network=self.network
            )
        else:
            info = await asyncio.to_thread(
                self.keystore.import_private_key, text.strip(), password, network=self.network
            )
        await self._open(info.address, password)
        return info.address

    async def deposit_demo(self, usd: Decimal) -> None:
        """Credit paper USDC through the local venue's faucet (local network only).

        Raises ``WalletError`` when no wallet is unlocked, ``TransferError`` (a sentence for
        the user) when the venue does not take it.
        """
        if NETWORKS[self.network].faucet is not Faucet.VENUE:
            raise WalletError("Demo deposits exist only on the local venue.")
        user = self.address
        if not user:
            raise WalletError("Unlock a wallet first.")
        token = self._admin_token() if self._admin_token is not None else None
        from wallet_perps.services.transfers import demo_deposit

        await demo_deposit(self.base_url, user, usd, admin_token=token)
        wallet = self.unlocked
        if wallet is not None and wallet.agent_address(self.network) is None:
            await self.approve_agent_if_possible()  # the first deposit approves the agent

    # ------------------------------------------------------------------ unlock and lock

    async def unlock(self, address: str, password: str) -> None:
        """Decrypt the wallet (in a thread) and attach its account to the session."""
        await self._open(address, password)

    async def _open(self, address: str, password: str) -> None:
        self._loop = asyncio.get_running_loop()
        async with self._opening:
            wallet = await asyncio.to_thread(self.keystore.unlock, address, password)
            self._wallet = wallet
            self._agent_checked = False
            self._agent_problem = None
            await self.session.open_account(wallet.l1_signer(self.network), wallet.address)
        self.state.emit(WalletEvent.UNLOCKED)

    async def lock(self) -> None:
        """Drop the keys and detach the account; market data keeps streaming."""
        await asyncio.to_thread(self.keystore.lock)
        await self._detach()

    def _on_keystore_locked(self) -> None:
        """The keystore locked (button, idle timer, password change, wallet switch...).

        Called from whichever thread locked: a password change locks in a worker thread, where
        there is no running loop. The detach is handed to the UI's loop either way, so the
        unlock strip and the Lock button follow every lock.
        """
        loop, wallet = self._loop, self._wallet
        if loop is None or wallet is None or loop.is_closed():
            return
        try:
            running: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._detach_later(wallet)
        else:
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: app exiting
                loop.call_soon_threadsafe(self._detach_later, wallet)

    def _detach_later(self, wallet: UnlockedWallet) -> None:
        task = asyncio.ensure_future(self._detach_if_locked(wallet))
        self._lock_tasks.add(task)
        task.add_done_callback(self._lock_tasks.discard)

    async def _detach_if_locked(self, wallet: UnlockedWallet) -> None:
        async with self._opening:  # after a wallet switch the new wallet stays attached
            if self._wallet is wallet and wallet.locked:
                await self._detach()

    async def _detach(self) -> None:
        if self._wallet is None:
            return
        self._wallet = None
        await self.session.close_account()
        self.state.emit(WalletEvent.LOCKED)

    # ------------------------------------------------------------------ agent

    async def ensure_agent(self) -> None:
        """Make sure an approved agent can sign on this network (before every trade).

        The first check of a session asks the venue (a fresh local venue, or an agent
        pruned on the venue, needs a new approval); later ones are local and instant.
        Raises ``WalletError`` with a sentence for the user when trading cannot start.
        """
        wallet = self.unlocked
        if wallet is None:
            raise WalletError("Unlock your wallet to trade.")
        try:
            await self.agents.ensure(
                wallet,
                self.network,
                self._sender(),
                list_agents=self.session.http.extra_agents,
                check_listed=not self._agent_checked,
                may_approve=self._has_deposited,
            )
        except AgentNeedsDeposit as exc:
            self._agent_problem = None
            self.state.emit(WalletEvent.AGENT)
            raise WalletError(str(exc)) from exc
        except (VenueError, WalletError) as exc:
            self._agent_problem = str(exc)
            self.state.emit(WalletEvent.AGENT)
            raise WalletError(
                f"Could not approve the agent wallet that signs your orders: {exc}"
            ) from exc
        changed = not self._agent_checked or self._agent_problem is not None
        self._agent_checked = True
        self._agent_problem = None
        if changed:
            self.state.emit(WalletEvent.AGENT)

    def _sender(self) -> ActionSender:
        """The one action sender, on the session's connection and nonces (shared with the
        Trader and transfers: the main address is one nonce key for all of them)."""
        from wallet_perps.hyperliquid.sender import ActionSender

        return ActionSender(
            self.session.http, self.session.nonces, is_mainnet=NETWORKS[self.network].is_mainnet
        )

    async def _has_deposited(self, user: str) -> bool:
        """The venue approves agents only for accounts it knows (that have deposited)."""
        role = await self.session.http.user_role(user)
        return role.role != "missing"

    async def approve_agent_if_possible(self) -> None:
        """Approve the agent now if the account can have one; quiet when it cannot yet.

        Called after unlock (local venue) and after a deposit, so the first order is not
        slowed by the approval; an account that never deposited gets no agent key.
        """
        try:
            await self.ensure_agent()
        except WalletError as exc:  # the wallet page's agent status shows the reason
            log.info("agent not approved yet: %s", exc)

    async def rotate_agent(self) -> None:
        wallet, extra_agents = self._require_unlocked(), self.session.http.extra_agents
        await self.agents.rotate(wallet, self.network, self._sender(), list_agents=extra_agents)
        self.state.emit(WalletEvent.AGENT)

    async def revoke_agent(self) -> None:
        wallet, extra_agents = self._require_unlocked(), self.session.http.extra_agents
        await self.agents.revoke(wallet, self.network, self._sender(), list_agents=extra_agents)
        self._agent_checked = False
        self.state.emit(WalletEvent.AGENT)

    def _require_unlocked(self) -> UnlockedWallet:
        wallet = self.unlocked
        if wallet is None:
            raise WalletError("Unlock your wallet first.")
        return wallet

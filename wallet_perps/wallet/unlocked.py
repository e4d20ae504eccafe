"""The unlocked state: the one object that holds decrypted keys, and revealed backups.

Why apart from :mod:`keystore`: the keystore stores and finds wallets; this module is what a
lock must empty. Every key lives in a ``bytearray`` that is zeroed in place (no immutable
``bytes`` copy a lock could not reach), and signing reads those buffers directly.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Final

from wallet_perps.core.clock import wall_ms
from wallet_perps.core.networks import NETWORKS, NetworkName
from wallet_perps.crypto.secp256k1 import Signature, sign_digest
from wallet_perps.wallet.errors import (
    AgentError,
    AgentRequired,
    InvalidPrivateKey,
    NoRecoveryPhrase,
    WalletLocked,
)
from wallet_perps.wallet.metadata import WalletInfo
from wallet_perps.wallet.secret_holder import SecretHolder
from wallet_perps.wallet.secret_storage import DerivedKey, key_address

if TYPE_CHECKING:
    from wallet_perps.wallet.keystore import Keystore

__all__ = [
    "RevealedSecret",
    "UnlockedWallet",
    "WalletSigner",
    "parse_private_key",
    "random_key",
    "wipe",
]

_HEX: Final = frozenset("0123456789abcdefABCDEF")


def wipe(buffer: bytearray | None) -> None:
    """Zero a secret in place (same length: no reallocation leaves a copy behind)."""
    if buffer:
        buffer[:] = bytes(len(buffer))


def random_key() -> bytearray:
    """32 random bytes built in a bytearray one byte at a time.

    ``secrets.token_bytes`` would return the key as an immutable ``bytes`` that cannot be
    zeroed and lingers in freed memory after lock; small ints 0..255 are shared singletons,
    so filling byte by byte leaves no other copy of the key.
    """
    key = bytearray(32)
    for i in range(32):
        key[i] = secrets.randbelow(256)
    return key


def parse_private_key(text: str) -> bytearray:
    """A hex private key as typed or pasted (with or without 0x) -> 32 bytes.

    Each mistake has its own message, none of which repeats the input. The key comes back in
    a bytearray (never an immutable ``bytes``) so the caller can zero it when done.
    """
    if not isinstance(text, str):
        raise InvalidPrivateKey("The private key must be text.")
    body = text.strip()
    if body[:2] in ("0x", "0X"):
        body = body[2:]
    if not body:
        raise InvalidPrivateKey("Enter a private key: 64 hex digits, optionally after 0x.")
    if any(ch not in _HEX for ch in body):
        raise InvalidPrivateKey(
            "A private key contains only the hex digits 0-9 and a-f (optionally after 0x)."
        )
    if len(body) != 64:
        raise InvalidPrivateKey(f"A private key is 64 hex digits; this one has {len(body)}.")
    raw = bytearray.fromhex(body)
    try:
        key_address(raw)
    except ValueError:
        wipe(raw)
        raise InvalidPrivateKey(
            "This is not a valid Ethereum private key (it is zero or beyond the secp256k1 "
            "curve order)."
        ) from None
    return raw


class RevealedSecret(SecretHolder):
    """A wallet's backup material, produced only by :meth:`Keystore.reveal` (password again).

    Show it, then call :meth:`wipe`. ``repr`` says what it is, never what it holds.
    """

    __slots__ = ("_key", "_phrase", "address")

    def __init__(
        self, address: str, key: bytes | bytearray, phrase: bytes | bytearray | None
    ) -> None:
        self.address = address
        self._key = bytearray(key)
        self._phrase = bytearray(phrase) if phrase is not None else None

    @property
    def has_phrase(self) -> bool:
        return self._phrase is not None

    def phrase_words(self) -> list[str]:
        if self._phrase is None:
            raise NoRecoveryPhrase(
                "This wallet was imported from a private key, so it has no recovery phrase."
            )
        if not self._phrase:
            raise WalletLocked("This secret was already wiped.")
        return self._phrase.decode("utf-8").split(" ")

    def private_key_hex(self) -> str:
        if not self._key:
            raise WalletLocked("This secret was already wiped.")
        return "0x" + self._key.hex()

    def drop_key(self) -> None:
        """Wipe the private key but keep the phrase (showing or checking words needs only
        the phrase, so the UI never holds the key)."""
        wipe(self._key)
        self._key = bytearray()

    def wipe(self) -> None:
        wipe(self._key)
        self._key = bytearray()
        if self._phrase is not None:
            wipe(self._phrase)
            self._phrase = bytearray()

    def __repr__(self) -> str:
        return f"RevealedSecret({self.address}, phrase={self.has_phrase})"


class UnlockedWallet(SecretHolder):
    """The only object that holds decrypted keys; signs with the right one for each action.

    * User-signed actions (transfers, withdrawals, approveAgent) use the main key.
    * L1 actions (orders, cancels, leverage...) use the network's agent key; with no approved,
      unexpired agent they raise :class:`AgentRequired` rather than fall back to the main key,
      so the main key signs as little as possible (PROTOCOL §4.2, §5).
    * Account queries must use :attr:`address`, never the agent's (§13.5).
    """

    __slots__ = ("__weakref__", "_agents", "_derived", "_keystore", "_main", "address")

    def __init__(
        self, keystore: Keystore, address: str, main_key: bytes | bytearray, derived: DerivedKey
    ) -> None:
        self._keystore = keystore
        self.address = address
        self._main = bytearray(main_key)  # own copy; the caller zeroes its buffer
        self._derived = derived
        # network -> (lowercase agent address, key); pending agents are kept under
        # "pending:<network>" so a retried approval can reuse the same key.
        self._agents: dict[str, tuple[str, bytearray]] = {}

    # ------------------------------------------------------------------ state

    @property
    def locked(self) -> bool:
        return not self._main

    @property
    def info(self) -> WalletInfo:
        return self._keystore.get(self.address)

    def _main_key(self) -> bytearray:
        """The key buffer itself: signing reads it in place, so no copy outlives a lock."""
        if not self._main:
            raise WalletLocked()
        return self._main

    def agent_address(self, network: NetworkName) -> str | None:
        """The active agent this session can sign with on ``network`` (lowercase), if any."""
        held = self._agents.get(network)
        return None if held is None else held[0]

    def signer_address(self, network: NetworkName, *, now_ms: int | None = None) -> str:
        """The address that signs L1 actions on ``network``: the nonce key (§5)."""
        return self._agent(network, now_ms)[0]

    def _agent(self, network: str, now_ms: int | None = None) -> tuple[str, bytearray]:
        if self.locked:
            raise WalletLocked()
        held = self._agents.get(network)
        record = self.info.agents.get(network)
        if held is None or record is None or record.address != held[0]:
            raise AgentRequired(
                f"No approved agent wallet for {network} yet; approve one before trading."
            )
        now = wall_ms() if now_ms is None else now_ms
        if now >= record.valid_until_ms:
            raise AgentRequired(f"The agent wallet for {network} has expired; approve a new one.")
        return held

    # ------------------------------------------------------------------ signing

    def sign_user_digest(self, digest: bytes) -> Signature:
        """Sign a user-signed action's EIP-712 digest (approveAgent, usdSend, withdraw3...)
        with the main key, read in place from its buffer."""
        return sign_digest(self._main_key(), digest)

    def l1_signer(self, network: NetworkName) -> WalletSigner:
        """What signs L1 actions on ``network``: its agent key, never the main key."""
        return WalletSigner(self, network)

    # ------------------------------------------------------------------ internals for agents

    def _pending_key(self, network: str) -> tuple[str, bytearray] | None:
        return self._agents.get(f"pending:{network}")

    def _hold(self, slot: str, address: str, key: bytes | bytearray) -> None:
        self._drop(slot)
        self._agents[slot] = (address.lower(), bytearray(key))

    def _drop(self, slot: str) -> None:
        held = self._agents.pop(slot, None)
        if held is not None:
            wipe(held[1])

    def _wipe(self) -> None:
        wipe(self._main)
        self._main = bytearray()
        for slot in list(self._agents):
            self._drop(slot)
        self._derived.wipe()

    def __repr__(self) -> str:
        state = "locked" if self.locked else "unlocked"
        return f"UnlockedWallet({self.address}, {state}, agents={sorted(self._agents)})"


class WalletSigner:
    """The L1 signer (``hyperliquid.sender.L1Signer``) of one network: its agent key.

    The address (the nonce key) is looked up on each use, so a rotated agent is picked up
    without rebuilding the Trader; with no approved agent, signing raises ``AgentRequired``.
    It lives beside :class:`UnlockedWallet` because it signs with the agent key buffer in
    place: the key never leaves this module.
    """

    __slots__ = ("_network", "_wallet")

    def __init__(self, wallet: UnlockedWallet, network: NetworkName) -> None:
        self._wallet = wallet
        self._network = network

    @property
    def address(self) -> str:
        return self._wallet.signer_address(self._network)

    def sign_l1_digest(self, digest: bytes, *, is_mainnet: bool) -> Signature:
        """Sign an L1 action's digest with the agent key; ``is_mainnet`` (what the digest was
        made for) must match the wallet's network."""
        if is_mainnet != NETWORKS[self._network].is_mainnet:
            raise AgentError("The session and the wallet disagree about the network.")
        _, key = self._wallet._agent(self._network)
        return sign_digest(key, digest)

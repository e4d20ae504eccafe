"""The one action sender: take the nonce, sign (L1 or user-signed), post once, classify the answer.

Why one: orders, cancels, leverage, transfers, withdrawals and agent approvals each used to
write "nonce, sign, post, classify" themselves, and they disagreed on what an unclear answer
means. Here every failure between us and the venue becomes one of the three answers of
:mod:`wallet_perps.core.answers`, the same way for every action:

* ``status: ok`` with readable statuses -> :class:`Accepted`;
* ``status: err``, an HTTP 4xx, a 429, or a connection that never opened -> :class:`Rejected`
  (the venue's words when it said no; ``sent=False`` when it never looked at the request);
* a timeout after sending, a dropped connection, a 5xx, or an answer that cannot be read
  (not JSON, an unknown envelope, a fill size of ``"NaN"``) -> :class:`OutcomeUnknown`.

An action is posted exactly once; nothing here retries (a resent order or withdrawal could
execute twice). Reconciling an unknown outcome is the caller's job, because only it knows what
to look for: an order's cloid, a transfer's ledger row, an agent in the venue's list.

Signers are plugged in: :class:`L1Signer` signs orders, cancels and leverage (an agent key, or
a raw key in tests and the demo), :class:`UserSigner` signs user actions with the main key
(the unlocked wallet). Nonces are taken per signer address from the shared
:class:`NonceManager`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from wallet_perps.core.answers import Accepted, Answer, OutcomeUnknown, Rejected
from wallet_perps.crypto.secp256k1 import address_from_private_key, sign_digest
from wallet_perps.hyperliquid.actions import AgentApproval, approve_agent_action
from wallet_perps.hyperliquid.errors import (
    HttpError,
    RateLimited,
    RejectedAction,
    UnexpectedResponse,
    VenueError,
    VenueUnavailable,
)
from wallet_perps.hyperliquid.exchange_answers import check_statuses
from wallet_perps.hyperliquid.http import HyperliquidHttp
from wallet_perps.hyperliquid.nonces import NonceManager
from wallet_perps.hyperliquid.signing import l1_digest, user_action_digest

__all__ = [
    "ActionSender",
    "KeySigner",
    "L1Signer",
    "UserAction",
    "UserSigner",
    "classify",
]

log = logging.getLogger(__name__)

#: What a user-signed action builder returns: the dict to sign and post, or for approveAgent
#: the pair (signed dict, posted dict).
UserAction = Mapping[str, Any] | AgentApproval


class L1Signer(Protocol):
    """Whoever signs L1 actions (orders, cancels, leverage) for the account.

    ``address`` is the *signer's* address (an agent's, for agent trading): nonces are kept
    per signer. The account traded is the caller's business. The sender hashes the action
    (:func:`~wallet_perps.hyperliquid.signing.l1_digest`); the signer signs the 32 bytes,
    and may refuse an ``is_mainnet`` that is not its network's. So a wallet signs with the
    key buffers it holds and needs to know nothing of Hyperliquid's encoding.
    """

    @property
    def address(self) -> str: ...

    def sign_l1_digest(self, digest: bytes, *, is_mainnet: bool) -> Mapping[str, Any]: ...


class UserSigner(Protocol):
    """Whoever signs user actions (usdSend, withdraw3, approveAgent): the main key. It signs
    the action's EIP-712 digest (:func:`~wallet_perps.hyperliquid.signing.user_action_digest`)."""

    @property
    def address(self) -> str: ...

    def sign_user_digest(self, digest: bytes) -> Mapping[str, Any]: ...


class KeySigner:
    """Both signers over a raw private key (the demo account, tests, an agent key)."""

    def __init__(self, private_key: str | bytes) -> None:
        self._key = private_key
        self._address = address_from_private_key(private_key).lower()

    @property
    def address(self) -> str:
        return self._address

    def sign_l1_digest(self, digest: bytes, *, is_mainnet: bool) -> Mapping[str, Any]:
        return sign_digest(self._key, digest)

    def sign_user_digest(self, digest: bytes) -> Mapping[str, Any]:
        return sign_digest(self._key, digest)


def classify(exc: VenueError) -> Rejected | OutcomeUnknown:
    """What a failed post means for the action: certainly not executed, or maybe executed."""
    if isinstance(exc, RejectedAction):
        return Rejected(str(exc), exc.venue_text or str(exc))
    if isinstance(exc, RateLimited):
        return Rejected(str(exc), exc.venue_text, sent=False)
    if isinstance(exc, HttpError):
        if exc.status < 500:
            return Rejected(str(exc), exc.venue_text)
        return OutcomeUnknown(str(exc))
    if isinstance(exc, VenueUnavailable):
        if exc.outcome_unknown:
            return OutcomeUnknown(str(exc))
        return Rejected(str(exc), sent=False)
    if isinstance(exc, UnexpectedResponse):
        return OutcomeUnknown(f"the exchange's answer could not be read ({exc.message})")
    return OutcomeUnknown(str(exc))


class ActionSender:
    """Signs and posts actions for one venue; every call returns an :data:`Answer`.

    ``is_mainnet`` picks the signature flavour (phantom agent source, ``hyperliquidChain``).
    Share ``nonces`` with every other sender of the same signers (the session's manager).
    """

    def __init__(self, http: HyperliquidHttp, nonces: NonceManager, *, is_mainnet: bool) -> None:
        self._http = http
        self._nonces = nonces
        self._is_mainnet = is_mainnet

    @property
    def is_mainnet(self) -> bool:
        return self._is_mainnet

    # ------------------------------------------------------------------ signing

    def sign_l1(
        self, action: dict[str, Any], signer: L1Signer, *, expires_after: int | None = None
    ) -> dict[str, Any]:
        """The signed ``/exchange`` body of an L1 action, with a fresh nonce of ``signer``."""
        nonce = self._nonces.next_nonce(signer.address)
        digest = l1_digest(action, nonce, is_mainnet=self._is_mainnet, expires_after=expires_after)
        signature = signer.sign_l1_digest(digest, is_mainnet=self._is_mainnet)
        return {
            "action": action,
            "nonce": nonce,
            "signature": dict(signature),
            "vaultAddress": None,
            "expiresAfter": expires_after,
        }

    def sign_user(
        self, build: Callable[[int, bool], UserAction], signer: UserSigner
    ) -> dict[str, Any]:
        """The signed body of a user action; ``build(nonce, is_mainnet)`` makes the action,
        since user actions carry their nonce inside (``time`` or ``nonce``)."""
        nonce = self._nonces.next_nonce(signer.address)
        built = build(nonce, self._is_mainnet)
        signed: Mapping[str, Any]
        posted: Mapping[str, Any]
        if isinstance(built, AgentApproval):
            signed, posted = built.signing_action, built.posted_action
        else:
            signed = posted = built
        signature = signer.sign_user_digest(user_action_digest(signed))
        return {"action": dict(posted), "nonce": nonce, "signature": dict(signature)}

    # ------------------------------------------------------------------ posting

    async def post(self, payload: dict[str, Any], *, expected: int | None = None) -> Answer:
        """Post a signed body once and classify the answer; ``expected`` is the number of
        statuses an order or cancel batch must come back with."""
        try:
            envelope = await self._http.exchange(payload)
            statuses = check_statuses(envelope, expected=expected)
        except VenueError as exc:
            answer = classify(exc)
            if isinstance(answer, OutcomeUnknown):
                kind = payload["action"].get("type") if isinstance(payload, dict) else None
                log.warning("%s nonce %s: outcome unknown (%s)", kind, payload["nonce"], exc)
            return answer
        return Accepted(envelope, tuple(statuses))

    async def send_l1(
        self,
        action: dict[str, Any],
        signer: L1Signer,
        *,
        expires_after: int | None = None,
        expected: int | None = None,
    ) -> Answer:
        """Sign ``action`` as an L1 action and post it."""
        payload = self.sign_l1(action, signer, expires_after=expires_after)
        return await self.post(payload, expected=expected)

    async def send_user(
        self, build: Callable[[int, bool], UserAction], signer: UserSigner
    ) -> Answer:
        """Build, sign (main key) and post a user action."""
        return await self.post(self.sign_user(build, signer))

    async def approve_agent(
        self, signer: UserSigner, agent: str, *, name: str, valid_until_ms: int
    ) -> Answer:
        """``approveAgent`` for ``agent`` under ``name``, valid until ``valid_until_ms``."""

        def build(nonce: int, is_mainnet: bool) -> UserAction:
            return approve_agent_action(
                agent, nonce, is_mainnet=is_mainnet, name=name, valid_until_ms=valid_until_ms
            )

        return await self.send_user(build, signer)

"""Transfers: send USDC to another Hyperliquid account, withdraw it to Arbitrum, demo deposits.

Why a service of its own: these are the only actions the *main* key signs after onboarding
(user-signed ``usdSend`` and ``withdraw3``, PROTOCOL §4.2, §6.6), money leaves the account for
good, and the venue gives them back no order id to reconcile by. So everything that can be
checked is checked *before* anything is signed — the address (including its EIP-55 checksum),
the amount (a Decimal, positive, cents to micro-dollars), and that it fits in what the venue
says is withdrawable right now — and a refusal at that stage sends nothing at all. Once sent
(through the one :class:`ActionSender`), the request is never retried. When no clear answer
comes back (a timeout, a dropped connection, a garbled answer) the outcome is unknown, as for
an order: the service says at once that the transfer may have gone through, then reconciles
by reading the account's ledger (``userNonFundingLedgerUpdates``: a withdrawal by its nonce,
a send by destination, amount and time). If the row shows up the transfer is reported done;
if not yet, the user is told in plain words it may have gone through and to check the ledger
before trying again, because a retry could move the money twice.

The UI uses :func:`parse_destination` and :func:`parse_amount` for instant inline messages, so
the dialog and this service can never disagree about what is valid.

Plain asyncio, no Qt.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from typing import Any, Final, Literal

from wallet_perps.core.answers import Accepted, OutcomeUnknown, Rejected
from wallet_perps.core.display import format_usd_exact, short_address
from wallet_perps.core.ledger import InternalTransfer, LedgerUpdate, SendAsset, Withdraw
from wallet_perps.core.networks import MAX_DEMO_DEPOSIT_USD, NETWORKS, NetworkName
from wallet_perps.core.venue_rules import WITHDRAW_FEE_USD
from wallet_perps.core.wire_values import ADDRESS_RE, ADMIN_HEADER
from wallet_perps.crypto.addresses import to_checksum_address
from wallet_perps.hyperliquid.actions import ActionError, usdc_out_action
from wallet_perps.hyperliquid.errors import VenueError, readable
from wallet_perps.hyperliquid.http import HyperliquidHttp
from wallet_perps.hyperliquid.nonces import NonceManager
from wallet_perps.hyperliquid.sender import ActionSender, UserAction
from wallet_perps.wallet.errors import WalletError
from wallet_perps.wallet.unlocked import UnlockedWallet

__all__ = [
    "TransferError",
    "TransferKind",
    "TransferResult",
    "Transfers",
    "demo_deposit",
    "ledger_shows",
    "max_amount",
    "parse_amount",
    "parse_destination",
]

log = logging.getLogger(__name__)


#: USDC amounts on Hyperliquid carry at most 6 decimals (micro-dollars).
_USD_QUANTUM: Final = Decimal("0.000001")
#: How far the venue's ledger time may lag our clock (the nonce) for a row to still be ours.
_LEDGER_SKEW_MS: Final = 60_000

TransferKind = Literal["send", "withdraw"]


class TransferError(ValueError):
    """Input that must not be sent; ``field`` is "destination" or "amount" (or None)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True, slots=True)
class TransferResult:
    """How a transfer ended, in words a person can act on.

    ``submitted`` is False when nothing reached the venue (bad input, locked wallet, balance
    check failed); ``venue_text`` holds the venue's own words when it refused;
    ``outcome_unknown`` is True when the request may have executed but no clear answer came
    back and the ledger does not show it (yet); ``reconciled`` is True when the outcome was
    learned from the ledger after such an answer. ``nonce`` is the signed request's nonce.
    """

    ok: bool
    message: str
    kind: TransferKind
    destination: str
    amount: Decimal | None
    submitted: bool = False
    venue_text: str | None = None
    outcome_unknown: bool = False
    reconciled: bool = False
    nonce: int | None = None


#: Hears a transfer whose answer was unclear, before the ledger is read (see Transfers).
OnUnknown = Callable[[TransferResult], None]


# ------------------------------------------------------------------------------ validation


def parse_destination(text: str, *, own: str | None = None, allow_own: bool = True) -> str:
    """A typed or pasted 0x address -> its lowercase form, or :class:`TransferError`.

    A mixed-case address must match its EIP-55 checksum: that catches most single-character
    typos, which on a transfer would send the money to a stranger for good.
    """
    body = (text or "").strip()
    if not body:
        raise TransferError(
            "Enter the destination address (0x followed by 40 hex digits).", "destination"
        )
    if not ADDRESS_RE.fullmatch(body):
        if body[:2].lower() != "0x":
            raise TransferError("An address starts with 0x.", "destination")
        digits = body[2:]
        if any(ch not in "0123456789abcdefABCDEF" for ch in digits):
            raise TransferError(
                "An address contains only the hex digits 0-9 and a-f after 0x.", "destination"
            )
        raise TransferError(
            f"An address has 40 hex digits after 0x; this one has {len(digits)}.", "destination"
        )
    lowered = body.lower()
    digits = body[2:]
    mixed_case = digits not in (digits.lower(), digits.upper())
    if mixed_case and to_checksum_address(lowered) != body:
        raise TransferError(
            "This address's capital letters do not match its checksum, so a character is "
            "probably mistyped. Copy it again from its source.",
            "destination",
        )
    if int(lowered, 16) == 0:
        raise TransferError("That is the zero address; nobody can spend from it.", "destination")
    if not allow_own and own is not None and lowered == own.lower():
        raise TransferError("That is this wallet's own address.", "destination")
    return lowered


def parse_amount(value: str | Decimal) -> Decimal:
    """A typed amount of USDC ("25", "1,000.50", "$12") -> a positive Decimal, or an error."""
    if isinstance(value, Decimal):
        amount = value
    elif isinstance(value, str):
        text = value.strip().replace(",", "").removeprefix("$").strip()
        if not text:
            raise TransferError("Enter an amount in USDC.", "amount")
        try:
            amount = Decimal(text)
        except InvalidOperation:
            raise TransferError(
                "The amount must be a number, like 25 or 12.50.", "amount"
            ) from None
    else:  # a float (or anything else) never reaches a signed action
        raise TransferError("The amount must be a decimal number.", "amount")
    if not amount.is_finite():
        raise TransferError("The amount must be a number, like 25 or 12.50.", "amount")
    if amount <= 0:
        raise TransferError("The amount must be more than zero.", "amount")
    if amount.adjusted() >= 12:
        raise TransferError("That amount is far more than any account holds.", "amount")
    if amount != amount.quantize(_USD_QUANTUM):
        raise TransferError("USDC amounts have at most 6 decimal places.", "amount")
    return amount


def max_amount(kind: TransferKind, withdrawable: Decimal) -> Decimal:
    """The most that can leave now: all of ``withdrawable``, less the fee for a withdrawal."""
    fee = WITHDRAW_FEE_USD if kind == "withdraw" else Decimal(0)
    return max(Decimal(0), (withdrawable - fee).quantize(_USD_QUANTUM))


def check_fits(kind: TransferKind, amount: Decimal, withdrawable: Decimal) -> None:
    """Refuse an amount the account cannot pay now (with the fee, for a withdrawal)."""
    if kind == "withdraw" and amount <= WITHDRAW_FEE_USD:
        raise TransferError(
            f"A withdrawal must be more than the {format_usd_exact(WITHDRAW_FEE_USD)} fee.",
            "amount",
        )
    most = max_amount(kind, withdrawable)
    if amount > most:
        fee_note = (
            f" after the {format_usd_exact(WITHDRAW_FEE_USD)} fee" if kind == "withdraw" else ""
        )
        # Cents, rounded down: typing the figure shown must then pass.
        shown = most.quantize(Decimal("0.01"), rounding=ROUND_DOWN)
        raise TransferError(
            f"At most {format_usd_exact(shown)} can leave the account now{fee_note}: the rest "
            "is backing open positions or is not there.",
            "amount",
        )


# ------------------------------------------------------------------------------ the service


class Transfers:
    """usdSend and withdraw3 for the unlocked wallet, signed by its main key.

    ``nonces`` should be the session's manager (shared with agent approvals), since both
    sign with the main address as the nonce key. ``reconcile_timeout_s`` bounds how long the
    ledger is read after an unclear answer before the user is told to check it themselves.
    """

    def __init__(
        self,
        http: HyperliquidHttp,
        wallet: UnlockedWallet,
        network: NetworkName,
        nonces: NonceManager,
        *,
        reconcile_timeout_s: float = 10.0,
    ) -> None:
        self._http = http
        self._wallet = wallet
        self._network = network
        self._sender = ActionSender(http, nonces, is_mainnet=NETWORKS[network].is_mainnet)
        self._reconcile_s = reconcile_timeout_s
        # One transfer at a time: two concurrent ones could each pass the balance check.
        self._busy = asyncio.Lock()

    @property
    def address(self) -> str:
        """The account money leaves from (the main address)."""
        return self._wallet.address

    @property
    def network(self) -> NetworkName:
        return self._network

    async def send_usd(
        self, destination: str, amount: Decimal | str, *, on_unknown: OnUnknown | None = None
    ) -> TransferResult:
        """Move ``amount`` USDC to another Hyperliquid account, instantly and without fee.

        ``on_unknown`` (if given) hears at once when no clear answer came back, before the
        ledger is read, so a screen can say "may have gone through" while it is checked.
        """
        return await self._transfer("send", destination, amount, on_unknown)

    async def withdraw(
        self, destination: str, amount: Decimal | str, *, on_unknown: OnUnknown | None = None
    ) -> TransferResult:
        """Withdraw ``amount`` USDC to ``destination`` on Arbitrum ($1 fee, a few minutes)."""
        return await self._transfer("withdraw", destination, amount, on_unknown)

    async def withdrawable(self) -> Decimal:
        """What the venue says may leave the account right now."""
        state = await self._http.clearinghouse_state(self._wallet.address)
        return state.withdrawable

    # ------------------------------------------------------------------ internals

    async def _transfer(
        self,
        kind: TransferKind,
        destination: str,
        raw_amount: Decimal | str,
        on_unknown: OnUnknown | None,
    ) -> TransferResult:
        def refused(message: str, amount: Decimal | None = None) -> TransferResult:
            return TransferResult(False, message, kind, str(destination), amount)

        try:
            target = parse_destination(
                destination, own=self._wallet.address, allow_own=kind == "withdraw"
            )
            amount = parse_amount(raw_amount)
        except TransferError as exc:
            return refused(exc.message)
        if self._wallet.locked:
            return refused("Your wallet is locked; unlock it to move funds.", amount)
        async with self._busy:
            try:
                withdrawable = await self.withdrawable()
            except VenueError as exc:
                return refused(f"Could not check your balance ({exc}); nothing was sent.", amount)
            try:
                check_fits(kind, amount, withdrawable)
            except TransferError as exc:
                return refused(exc.message, amount)
            return await self._submit(kind, target, amount, on_unknown)

    async def _submit(
        self,
        kind: TransferKind,
        target: str,
        amount: Decimal,
        on_unknown: OnUnknown | None,
    ) -> TransferResult:
        wire_type: Final = "usdSend" if kind == "send" else "withdraw3"

        def action(nonce: int, is_mainnet: bool) -> UserAction:
            return usdc_out_action(wire_type, target, amount, nonce, is_mainnet=is_mainnet)

        try:
            payload = self._sender.sign_user(action, self._wallet)
        except (ActionError, WalletError) as exc:
            return TransferResult(False, str(exc), kind, target, amount)
        nonce: int = payload["nonce"]
        log.info("%s %s USDC to %s (nonce %d)", kind, amount, target, nonce)
        answer = await self._sender.post(payload)
        if isinstance(answer, Accepted):
            message = self._success(kind, target, amount)
            return TransferResult(True, message, kind, target, amount, True, nonce=nonce)
        if isinstance(answer, Rejected):
            if not answer.sent:
                return TransferResult(
                    False, f"{answer.message} Nothing was sent.", kind, target, amount
                )
            words = readable(answer.venue_text) if answer.venue_text else answer.message
            return TransferResult(
                False,
                f"The exchange refused: {words}",
                kind,
                target,
                amount,
                submitted=True,
                venue_text=answer.venue_text or words,
                nonce=nonce,
            )
        return await self._reconcile(kind, target, amount, nonce, answer, on_unknown)

    async def _reconcile(
        self,
        kind: TransferKind,
        target: str,
        amount: Decimal,
        nonce: int,
        answer: OutcomeUnknown,
        on_unknown: OnUnknown | None,
    ) -> TransferResult:
        """No clear answer: say it may have gone through, then look for it in the ledger."""
        what = f"{'transfer' if kind == 'send' else 'withdrawal'} of {format_usd_exact(amount)}"
        unknown = TransferResult(
            False,
            f"No clear answer came back from the exchange, so the {what} may have gone "
            "through. Checking your account's ledger…",
            kind,
            target,
            amount,
            submitted=True,
            outcome_unknown=True,
            nonce=nonce,
        )
        if on_unknown is not None:
            on_unknown(unknown)
        log.warning("%s nonce %d: %s; reading the ledger", kind, nonce, answer.reason)
        deadline = time.monotonic() + self._reconcile_s
        delay = 0.25
        while True:
            try:
                updates = await self._http.user_non_funding_ledger_updates(
                    self._wallet.address, max(0, nonce - _LEDGER_SKEW_MS)
                )
            except VenueError as exc:
                log.info("ledger unreadable while reconciling nonce %d (%s)", nonce, exc)
            else:
                if ledger_shows(updates, kind, self._wallet.address, target, amount, nonce):
                    return replace(
                        unknown,
                        ok=True,
                        message=f"{self._success(kind, target, amount)} (The exchange's answer "
                        "was lost or unreadable; your account's ledger shows it went through.)",
                        outcome_unknown=False,
                        reconciled=True,
                    )
            if time.monotonic() + delay > deadline:
                break
            await asyncio.sleep(delay)
            delay = min(delay * 2, 1.0)
        return replace(
            unknown,
            message=f"No clear answer came back from the exchange ({answer.reason}), so the "
            f"{what} may have gone through. It is not in your account's ledger yet: check "
            "your transfers in History (or your balance) in a few minutes before trying "
            "again, or the money could move twice.",
        )

    def _success(self, kind: TransferKind, target: str, amount: Decimal) -> str:
        if kind == "send":
            return f"Sent {format_usd_exact(amount)} to {short_address(target)}."
        fee = format_usd_exact(WITHDRAW_FEE_USD)
        if NETWORKS[self._network].embedded_venue:
            return (
                f"Withdrew {format_usd_exact(amount)} from the paper account (plus the {fee} fee). "
                "On the local venue nothing arrives anywhere."
            )
        return (
            f"Withdrawal of {format_usd_exact(amount)} to {short_address(target)} on Arbitrum "
            f"requested (plus the {fee} fee); it usually arrives within 5 minutes."
        )


def ledger_shows(
    updates: Sequence[LedgerUpdate],
    kind: TransferKind,
    me: str,
    target: str,
    amount: Decimal,
    nonce: int,
) -> bool:
    """Whether the ledger holds the transfer signed with ``nonce``.

    A withdrawal row carries its nonce, which identifies it exactly. A send is matched by who
    sent it, where to and how much, no earlier than the nonce (our clock) allowing for the
    venue's clock to differ; a ``send`` row with a nonce must carry ours.
    """
    me, target = me.lower(), target.lower()
    earliest = nonce - _LEDGER_SKEW_MS
    for update in updates:
        delta = update.delta
        if kind == "withdraw" and isinstance(delta, Withdraw):
            if delta.nonce is not None:
                if delta.nonce == nonce:
                    return True
            elif delta.usdc == amount and update.time >= earliest:
                return True
        elif kind == "send" and isinstance(delta, InternalTransfer | SendAsset):
            if isinstance(delta, SendAsset):
                usdc = delta.token.split(":")[0] == "USDC"
                same = usdc and delta.amount == amount and delta.nonce in (None, nonce)
            else:
                same = delta.usdc == amount
            if (
                same
                and delta.user.lower() == me
                and delta.destination.lower() == target
                and update.time >= earliest
            ):
                return True
    return False


# ------------------------------------------------------------------------------ demo deposit


async def demo_deposit(
    base_url: str,
    user: str,
    usd: Decimal,
    *,
    admin_token: str | None = None,
    timeout_s: float = 10.0,
) -> None:
    """Credit ``usd`` paper USDC to ``user`` through the local venue's ``/sim/faucet``.

    Only the built-in local venue has this route; Hyperliquid itself is funded from Arbitrum.
    The route answers only to the venue's per-run ``admin_token`` (the venue writes it to
    ``<data>/admin-token``), so a web page cannot mint paper money through it.
    Raises :class:`TransferError` with a readable sentence on bad input or a refusal.
    """
    address = parse_destination(user)
    amount = parse_amount(usd)
    if amount > MAX_DEMO_DEPOSIT_USD:
        raise TransferError(
            f"A demo deposit is at most {format_usd_exact(MAX_DEMO_DEPOSIT_USD)} at a time.",
            "amount",
        )
    body = {"user": address, "usdc": format(amount.normalize(), "f")}
    url = f"{base_url.rstrip('/')}/sim/faucet"
    headers = {ADMIN_HEADER: admin_token} if admin_token else {}
    # Here, not at the top: the app loads this module before its first paint, aiohttp after.
    from wallet_perps.hyperliquid.net import aiohttp, open_session

    try:
        async with (
            await open_session(url, timeout=aiohttp.ClientTimeout(total=timeout_s)) as http,
            http.post(url, json=body, headers=headers) as resp,
        ):
            text = await resp.text()
            status = resp.status
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise TransferError(
            f"The local venue did not take the deposit ({exc or type(exc).__name__})."
        ) from exc
    if status == 404:
        raise TransferError("Demo deposits exist only on the built-in local venue.")
    answer: Any
    try:
        answer = json.loads(text)
    except ValueError:
        answer = None
    if status != 200 or answer != {"status": "ok"}:
        words = answer.get("response") if isinstance(answer, dict) else text.strip()
        raise TransferError(f"The local venue refused the deposit: {words}")

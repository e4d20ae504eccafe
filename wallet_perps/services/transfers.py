"""Transfers: send USDC to another Hyperliquid account, withdraw it to Arbitrum, demo deposits.

Why a service of its own: these are the only actions the *main* key signs after onboarding
(user-signed ``usdSend`` and ``withdraw3``, PROTOCOL §4.2, §6.6), money leaves the account for
good, and the venue gives them back no order id to reconcile by. So everything that can be
checked is checked *before* anything is signed — the address (including its EIP-55 checksum),
the amount (a Decimal, positive, cents to micro-dollars), and that it fits in what the venue
says is withdrawable right now — and a refusal at that stage sends nothing at all. Once sent,
the request is never retried: a timeout is reported as "may or may not have gone through".

The UI uses :func:`parse_destination` and :func:`parse_amount` for instant inline messages, so
the dialog and this service can never disagree about what is valid.

Plain asyncio, no Qt.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from typing import Any, Final, Literal

import aiohttp

from wallet_perps.config import NETWORKS, NetworkName
from wallet_perps.hyperliquid.actions import ActionError, usd_send_action, withdraw3_action
from wallet_perps.hyperliquid.errors import RejectedAction, VenueError, VenueUnavailable
from wallet_perps.hyperliquid.http import HyperliquidHttp
from wallet_perps.hyperliquid.nonces import NonceManager
from wallet_perps.hyperliquid.signing import to_checksum_address
from wallet_perps.wallet.errors import WalletError
from wallet_perps.wallet.keystore import UnlockedWallet

__all__ = [
    "MAX_DEMO_DEPOSIT_USD",
    "WITHDRAW_FEE_USD",
    "TransferError",
    "TransferKind",
    "TransferResult",
    "Transfers",
    "demo_deposit",
    "max_amount",
    "parse_amount",
    "parse_destination",
    "short",
]

log = logging.getLogger(__name__)

#: Hyperliquid's withdrawal fee "at the time of writing" (PROTOCOL §6.6, §11.8). The local
#: venue debits it on top of the amount, so a withdrawal needs ``amount + fee`` withdrawable.
WITHDRAW_FEE_USD: Final = Decimal(1)
#: The header carrying the local venue's admin token (localvenue/guard.py ADMIN_HEADER).
SIM_ADMIN_HEADER: Final = "X-Wallet-Perps-Admin"

#: A generous cap for one paper deposit; the faucet exists to try things, not to fake wealth.
MAX_DEMO_DEPOSIT_USD: Final = Decimal(1_000_000)
#: USDC amounts on Hyperliquid carry at most 6 decimals (micro-dollars).
_USD_QUANTUM: Final = Decimal("0.000001")
_ADDRESS_RE: Final = re.compile(r"0x[0-9a-fA-F]{40}")

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
    ``outcome_unknown`` is True when the request may have executed but no answer came back.
    """

    ok: bool
    message: str
    kind: TransferKind
    destination: str
    amount: Decimal | None
    submitted: bool = False
    venue_text: str | None = None
    outcome_unknown: bool = False


# ------------------------------------------------------------------------------ validation


def short(address: str) -> str:
    """``0x1234…abcd``: enough to recognise an address in a sentence."""
    return f"{address[:6]}…{address[-4:]}" if len(address) > 12 else address


def _usd(value: Decimal) -> str:
    """Dollars for a sentence; whole cents unless the amount has finer digits."""
    exponent = value.normalize().as_tuple().exponent
    places = max(2, -exponent) if isinstance(exponent, int) else 2
    return f"${value:,.{places}f}"


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
    if not _ADDRESS_RE.fullmatch(body):
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
            f"A withdrawal must be more than the {_usd(WITHDRAW_FEE_USD)} fee.", "amount"
        )
    most = max_amount(kind, withdrawable)
    if amount > most:
        fee_note = f" after the {_usd(WITHDRAW_FEE_USD)} fee" if kind == "withdraw" else ""
        # Cents, rounded down: typing the figure shown must then pass.
        shown = most.quantize(Decimal("0.01"), rounding=ROUND_DOWN)
        raise TransferError(
            f"At most {_usd(shown)} can leave the account now{fee_note}: the rest is backing "
            "open positions or is not there.",
            "amount",
        )


# ------------------------------------------------------------------------------ the service


class Transfers:
    """usdSend and withdraw3 for the unlocked wallet, signed by its main key.

    ``nonces`` should be the session's manager (shared with agent approvals), since both
    sign with the main address as the nonce key.
    """

    def __init__(
        self,
        http: HyperliquidHttp,
        wallet: UnlockedWallet,
        network: NetworkName,
        nonces: NonceManager,
    ) -> None:
        self._http = http
        self._wallet = wallet
        self._network = network
        self._nonces = nonces
        # One transfer at a time: two concurrent ones could each pass the balance check.
        self._busy = asyncio.Lock()

    @property
    def address(self) -> str:
        """The account money leaves from (the main address)."""
        return self._wallet.address

    @property
    def network(self) -> NetworkName:
        return self._network

    async def send_usd(self, destination: str, amount: Decimal | str) -> TransferResult:
        """Move ``amount`` USDC to another Hyperliquid account, instantly and without fee."""
        return await self._transfer("send", destination, amount)

    async def withdraw(self, destination: str, amount: Decimal | str) -> TransferResult:
        """Withdraw ``amount`` USDC to ``destination`` on Arbitrum ($1 fee, a few minutes)."""
        return await self._transfer("withdraw", destination, amount)

    async def withdrawable(self) -> Decimal:
        """What the venue says may leave the account right now."""
        state = await self._http.clearinghouse_state(self._wallet.address)
        return state.withdrawable

    # ------------------------------------------------------------------ internals

    async def _transfer(
        self, kind: TransferKind, destination: str, raw_amount: Decimal | str
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
            return await self._submit(kind, target, amount)

    async def _submit(self, kind: TransferKind, target: str, amount: Decimal) -> TransferResult:
        is_mainnet = NETWORKS[self._network].is_mainnet
        nonce = self._nonces.next_nonce(self._wallet.address)
        build = usd_send_action if kind == "send" else withdraw3_action
        try:
            action = build(target, amount, nonce, is_mainnet=is_mainnet)
            signature = self._wallet.sign_user_action(action)
        except (ActionError, WalletError) as exc:
            return TransferResult(False, str(exc), kind, target, amount)
        payload: dict[str, Any] = {"action": action, "nonce": nonce, "signature": dict(signature)}
        log.info("%s %s USDC to %s", kind, amount, target)
        try:
            await self._http.exchange(payload)
        except RejectedAction as exc:
            words = exc.venue_text or str(exc)
            return TransferResult(
                False,
                f"The exchange refused: {words}",
                kind,
                target,
                amount,
                submitted=True,
                venue_text=words,
            )
        except VenueUnavailable as exc:
            if not exc.outcome_unknown:
                return TransferResult(False, f"{exc} Nothing was sent.", kind, target, amount)
            return TransferResult(
                False,
                "The exchange did not answer, so the transfer may or may not have gone "
                "through. Check your balance and History before trying again.",
                kind,
                target,
                amount,
                submitted=True,
                outcome_unknown=True,
            )
        except VenueError as exc:
            unknown = bool(getattr(exc, "outcome_unknown", False))
            return TransferResult(
                False,
                f"{exc}"
                + (
                    " The transfer may or may not have gone through; check your balance."
                    if unknown
                    else ""
                ),
                kind,
                target,
                amount,
                submitted=True,
                venue_text=exc.venue_text,
                outcome_unknown=unknown,
            )
        return TransferResult(True, self._success(kind, target, amount), kind, target, amount, True)

    def _success(self, kind: TransferKind, target: str, amount: Decimal) -> str:
        if kind == "send":
            return f"Sent {_usd(amount)} to {short(target)}."
        fee = _usd(WITHDRAW_FEE_USD)
        if self._network == "local":
            return (
                f"Withdrew {_usd(amount)} from the paper account (plus the {fee} fee). "
                "On the local venue nothing arrives anywhere."
            )
        return (
            f"Withdrawal of {_usd(amount)} to {short(target)} on Arbitrum requested "
            f"(plus the {fee} fee); it usually arrives within 5 minutes."
        )


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
            f"A demo deposit is at most {_usd(MAX_DEMO_DEPOSIT_USD)} at a time.", "amount"
        )
    body = {"user": address, "usdc": format(amount.normalize(), "f")}
    url = f"{base_url.rstrip('/')}/sim/faucet"
    headers = {SIM_ADMIN_HEADER: admin_token} if admin_token else {}
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout_s)) as http,
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

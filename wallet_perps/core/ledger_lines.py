"""The one rule that turns a ledger entry into a signed amount and words, for one viewer.

Why one rule: the Wallet page, the History page and the CSV export all show the same ledger
rows, and a row's sign depends on who is looking (an ``internalTransfer`` of 25 is -25 for the
sender and +25 for the receiver). When each screen worked that out for itself they disagreed;
now all three call :func:`ledger_line` and differ only in how they *format* its fields.

The rule, for the account ``me`` (the perp account this app trades, with its own spot
balance):

* ``amount`` is the signed USDC that came in (+) or left (-) because of the entry, *without*
  the fee; None when the entry is not a USDC movement the app can sign (a liquidation, an
  unknown delta type, a non-USDC reward, a transfer between two other accounts).
* ``fee`` is what ``me`` paid on top of ``amount`` (always positive), or None. The net cash
  effect is ``amount - fee``; the fee is never folded into the amount, so all three screens
  show the same two numbers.
* ``what`` names the event ("Sent", "Received", "Withdrawal"...), ``counterparty`` is the
  other address and ``direction`` says whether the money went ``"to"`` or came ``"from"`` it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from decimal import Decimal

from wallet_perps.core.ledger import (
    AccountClassTransfer,
    Deposit,
    InternalTransfer,
    LedgerUpdate,
    Liquidation,
    RewardsClaim,
    SendAsset,
    SpotTransfer,
    SubAccountTransfer,
    VaultCreate,
    VaultDeposit,
    VaultDistribution,
    VaultLeaderCommission,
    VaultWithdraw,
    Withdraw,
)

__all__ = ["LedgerLine", "ledger_line", "plain_number", "type_words"]

_USDC = "USDC"
_PERP_DEX = ""  # the main perp dex's name in sendAsset
_SPOT_DEX = "spot"


def plain_number(value: Decimal) -> str:
    """A Decimal as exact text with no exponent (the CSV's way of writing money)."""
    text = format(value, "f")
    return "0" if text in ("-0", "-0.0") else text


def type_words(kind: str) -> str:
    """``cStakingTransfer`` -> ``C staking transfer``: an unmodelled wire type as a phrase."""
    words: list[str] = []
    current = ""
    for char in kind:
        if char.isupper() and current:
            words.append(current)
            current = char.lower()
        else:
            current += char
    if current:
        words.append(current)
    text = " ".join(words)
    return text[:1].upper() + text[1:]


@dataclass(frozen=True, slots=True)
class LedgerLine:
    """A ledger entry as ``me`` sees it: see the module docstring for the rule."""

    what: str
    amount: Decimal | None
    fee: Decimal | None = None
    counterparty: str | None = None
    direction: str = ""  # "to" | "from" | "" (how money moved relative to counterparty)
    token_amount: Decimal | None = None  # for a non-USDC token: how much of it moved
    token: str | None = None
    figures: tuple[tuple[str, Decimal], ...] = ()  # extra USD facts: ("commission", 1.5)
    detail: str = ""  # extra words, already final (e.g. the positions a liquidation closed)

    def note(
        self,
        *,
        address: Callable[[str], str] = str,
        usd: Callable[[Decimal], str] = plain_number,
        with_counterparty: bool = True,
        with_fee: bool = True,
    ) -> str:
        """The line's words after ``what``: "to 0x…, fee $1.00". Screens pass their formats."""
        parts: list[str] = []
        if with_counterparty and self.counterparty:
            parts.append(f"{self.direction} {address(self.counterparty)}".strip())
        if self.token is not None and self.token_amount is not None:
            parts.append(f"{plain_number(self.token_amount)} {self.token}")
        if with_fee and self.fee:
            parts.append(f"fee {usd(self.fee)}")
        parts.extend(f"{label} {usd(value)}" for label, value in self.figures)
        if self.detail:
            parts.append(self.detail)
        return ", ".join(parts)


def _same(a: str | None, b: str) -> bool:
    return a is not None and a.lower() == b.lower()


def _fee(fee: Decimal | None) -> Decimal | None:
    return fee if fee is not None and fee > 0 else None


def _token_name(token: str) -> str:
    """``USDC:0x6d1e…`` (spot token ids carry the contract) -> ``USDC``."""
    return token.split(":", 1)[0]


def _between(usdc: Decimal, user: str, destination: str) -> LedgerLine:
    """A transfer where neither party is ``me``: no sign can be given honestly."""
    return LedgerLine(
        "Transfer", None, detail=f"{plain_number(usdc)} USDC from {user} to {destination}"
    )


def _transfer(
    usdc: Decimal, user: str, destination: str, me: str, fee: Decimal | None = None, label: str = ""
) -> LedgerLine:
    """Sender sees -usdc (and pays the fee); receiver sees +usdc; both: only the fee moves."""
    sent, received = _same(user, me), _same(destination, me)
    if sent and received:
        return LedgerLine("Sent to self", Decimal(0), _fee(fee))
    if sent:
        return LedgerLine("Sent", -usdc, _fee(fee), destination, "to", detail=label)
    if received:
        return LedgerLine("Received", usdc, None, user, "from", detail=label)
    return _between(usdc, user, destination)


def _with_token(line: LedgerLine, d: SpotTransfer | SendAsset) -> LedgerLine:
    """``line`` (in USD) with the token that moved named beside it, unless that was USDC."""
    token = _token_name(d.token)
    return line if token == _USDC else replace(line, token=token, token_amount=d.amount)


def _token_transfer(d: SpotTransfer | SendAsset, me: str, fee: Decimal | None) -> LedgerLine:
    """A token sent between accounts: its USD worth is the amount (between two other accounts
    nothing is signed, and no token is named)."""
    line = _transfer(d.usdc_value, d.user, d.destination, me, fee)
    return line if line.amount is None else _with_token(line, d)


def _send_asset(d: SendAsset, me: str) -> LedgerLine:
    """sendAsset: between accounts it is a transfer; within one account, a move between dexes.

    Within the account, only the main perp dex counts as "in" or "out": spot -> perp is +,
    perp -> spot is -, and a move that does not touch the main perp dex has no sign.
    """
    if not (_same(d.user, me) and _same(d.destination, me)):
        return _token_transfer(d, me, d.fee)

    def name(dex: str) -> str:
        return "spot" if dex == _SPOT_DEX else "perp" if dex == _PERP_DEX else f"{dex} dex"

    what = f"{name(d.source_dex)} to {name(d.destination_dex)}"
    what = what[:1].upper() + what[1:]
    amount: Decimal | None = None
    if d.destination_dex == _PERP_DEX and d.source_dex != _PERP_DEX:
        amount = d.usdc_value
    elif d.source_dex == _PERP_DEX and d.destination_dex != _PERP_DEX:
        amount = -d.usdc_value
    return _with_token(LedgerLine(what, amount, _fee(d.fee)), d)


def _liquidation(d: Liquidation) -> LedgerLine:
    words = []
    if d.liquidated_positions:
        closed = ", ".join(f"{p.coin} {plain_number(p.szi)}" for p in d.liquidated_positions)
        words.append(f"closed {closed}")
    if d.leverage_type:
        words.append(f"{d.leverage_type.lower()} margin")
    return LedgerLine(
        "Liquidation", None, figures=(("account value", d.account_value),), detail=", ".join(words)
    )


def _vault_withdraw(d: VaultWithdraw) -> LedgerLine:
    figures = tuple(
        (label, value)
        for label, value in (
            ("requested", d.requested_usd),
            ("commission", d.commission),
            ("closing cost", d.closing_cost),
        )
        if value is not None
    )
    return LedgerLine(
        "Vault withdrawal", d.net_withdrawn_usd, None, d.vault, "from", figures=figures
    )


def ledger_line(update: LedgerUpdate, me: str) -> LedgerLine:
    """``update`` as the account ``me`` sees it: signed amount, fee and words.

    ``me`` is compared case-blind; an empty ``me`` (no account) gives unsigned transfers.
    """
    d = update.delta
    if isinstance(d, Deposit):
        return LedgerLine("Deposit", d.usdc)
    if isinstance(d, Withdraw):
        return LedgerLine("Withdrawal", -d.usdc, _fee(d.fee))
    if isinstance(d, InternalTransfer):
        return _transfer(d.usdc, d.user, d.destination, me, d.fee)
    if isinstance(d, SubAccountTransfer):
        return _transfer(d.usdc, d.user, d.destination, me, label="sub-account transfer")
    if isinstance(d, AccountClassTransfer):
        return LedgerLine("From spot", d.usdc) if d.to_perp else LedgerLine("To spot", -d.usdc)
    if isinstance(d, SpotTransfer):
        return _token_transfer(d, me, d.fee if d.fee_token in (None, "", _USDC) else None)
    if isinstance(d, SendAsset):
        return _send_asset(d, me)
    if isinstance(d, Liquidation):
        return _liquidation(d)
    if isinstance(d, VaultCreate):
        return LedgerLine("Vault created", -d.usdc, _fee(d.fee), d.vault, "to")
    if isinstance(d, VaultDeposit):
        return LedgerLine("Vault deposit", -d.usdc, None, d.vault, "to")
    if isinstance(d, VaultDistribution):
        return LedgerLine("Vault distribution", d.usdc, None, d.vault, "from")
    if isinstance(d, VaultWithdraw):
        return _vault_withdraw(d)
    if isinstance(d, VaultLeaderCommission):
        return LedgerLine("Vault commission", d.usdc)
    if isinstance(d, RewardsClaim):
        token = _token_name(d.token or _USDC)
        if token == _USDC:
            return LedgerLine("Rewards claimed", d.amount)
        return LedgerLine("Rewards claimed", None, token_amount=d.amount, token=token)
    return LedgerLine(type_words(d.type), None)  # UnknownDelta: kept raw, never signed

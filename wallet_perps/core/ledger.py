"""Ledger entries (``userNonFundingLedgerUpdates``) as a tagged union of typed deltas.

Why typed: every screen that shows money moving (Wallet, History, the CSV export) needs the
same facts -- who sent, who received, what fee, which direction between spot and perp -- and
when those facts sat in an untyped mapping each reader guessed them its own way and they
disagreed (an outgoing transfer showed as a credit in one place and a debit in another). Now
the parser (``wallet_perps.hyperliquid.parse_ledger``) reads each delta once into one of the
classes below, and :mod:`wallet_perps.core.ledger_lines` turns them into signed amounts and
words with one rule.

The venue keeps adding delta types, so anything it sends that is not modelled here becomes an
:class:`UnknownDelta` that keeps the wire object verbatim: nothing is lost, nothing crashes.

Field names are the snake_case of the wire keys (``usdcValue`` -> ``usdc_value``), and the
parser reads each class from its own field list: the declarations below are the wire schema.
A field with a default is optional on the wire (the venue added it over time); any other is
required. Deltas that carry the same facts (a USDC transfer between two accounts, a USDC
movement with a vault, a token sent between accounts) declare them once on a private base,
whose fields come first; the parser reads fields by name, so their order is only that of
positional construction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import KW_ONLY, dataclass, field
from decimal import Decimal
from typing import ClassVar, TypeAlias

__all__ = [
    "AccountClassTransfer",
    "Deposit",
    "FrozenJson",
    "InternalTransfer",
    "LedgerDelta",
    "LedgerUpdate",
    "LiquidatedPosition",
    "Liquidation",
    "RewardsClaim",
    "SendAsset",
    "SpotTransfer",
    "SubAccountTransfer",
    "UnknownDelta",
    "VaultCreate",
    "VaultDeposit",
    "VaultDistribution",
    "VaultLeaderCommission",
    "VaultWithdraw",
    "Withdraw",
]

# A JSON value frozen for keeping: objects become read-only mappings, arrays become tuples.
# Used where the venue sends open-ended shapes (unknown ledger deltas) that we carry verbatim.
FrozenJson: TypeAlias = (
    str | int | float | bool | tuple["FrozenJson", ...] | Mapping[str, "FrozenJson"] | None
)


@dataclass(frozen=True, slots=True)
class Deposit:
    """USDC bridged in from Arbitrum (or minted by CCTP) to this account."""

    type: ClassVar[str] = "deposit"
    usdc: Decimal


@dataclass(frozen=True, slots=True)
class Withdraw:
    """USDC withdrawn to Arbitrum. ``fee`` is charged on top of ``usdc`` ($1 today)."""

    type: ClassVar[str] = "withdraw"
    usdc: Decimal
    nonce: int | None = None
    fee: Decimal | None = None


@dataclass(frozen=True, slots=True)
class _UsdcTransfer:
    """The fields every account-to-account USDC transfer carries: ``usdc`` from ``user`` to
    ``destination``. Both parties see the same row; who is looking decides its sign."""

    usdc: Decimal
    user: str
    destination: str


@dataclass(frozen=True, slots=True)
class InternalTransfer(_UsdcTransfer):
    """Perp USDC sent from ``user`` to ``destination`` (a ``usdSend``); both see this row."""

    type: ClassVar[str] = "internalTransfer"
    fee: Decimal | None = None


@dataclass(frozen=True, slots=True)
class SubAccountTransfer(_UsdcTransfer):
    """USDC moved between a master account and one of its sub-accounts."""

    type: ClassVar[str] = "subAccountTransfer"


@dataclass(frozen=True, slots=True)
class AccountClassTransfer:
    """USDC moved between the account's own spot and perp balances."""

    type: ClassVar[str] = "accountClassTransfer"
    usdc: Decimal
    to_perp: bool


@dataclass(frozen=True, slots=True)
class _TokenSend:
    """The fields every token sent between accounts carries: ``amount`` of ``token``, worth
    ``usdc_value`` in USD, from ``user`` to ``destination``; then the fee fields the venue
    added over time, keyword-only so that no call can swap two of them by position."""

    user: str
    destination: str
    token: str
    amount: Decimal
    usdc_value: Decimal
    _: KW_ONLY
    fee: Decimal | None = None
    native_token_fee: Decimal | None = None
    nonce: int | None = None
    fee_token: str | None = None


@dataclass(frozen=True, slots=True)
class SpotTransfer(_TokenSend):
    """A spot token sent from ``user`` to ``destination``."""

    type: ClassVar[str] = "spotTransfer"


@dataclass(frozen=True, slots=True)
class SendAsset(_TokenSend):
    """A ``sendAsset`` (wire type ``send``): a token from one account and dex to another.

    ``source_dex``/``destination_dex`` are ``""`` for the main perp dex and ``"spot"`` for
    spot; with ``user == destination`` it is a move between the account's own balances.
    """

    type: ClassVar[str] = "send"
    source_dex: str
    destination_dex: str


@dataclass(frozen=True, slots=True)
class LiquidatedPosition:
    """One position a liquidation closed; ``szi`` signed as the position was."""

    coin: str
    szi: Decimal


@dataclass(frozen=True, slots=True)
class Liquidation:
    """The account (cross) or one isolated position was liquidated (PROTOCOL.md §11.5)."""

    type: ClassVar[str] = "liquidation"
    account_value: Decimal
    liquidated_positions: tuple[LiquidatedPosition, ...] = ()
    liquidated_ntl_pos: Decimal | None = None
    leverage_type: str | None = None  # "Cross" | "Isolated"


@dataclass(frozen=True, slots=True)
class _VaultUsdc:
    """The fields of a plain USDC movement between the account and ``vault``; which way it
    went is the delta's type."""

    vault: str
    usdc: Decimal


@dataclass(frozen=True, slots=True)
class VaultCreate(_VaultUsdc):
    """The account created ``vault`` with ``usdc`` of its own money, plus a ``fee``."""

    type: ClassVar[str] = "vaultCreate"
    fee: Decimal | None = None


@dataclass(frozen=True, slots=True)
class VaultDeposit(_VaultUsdc):
    """USDC the account put into ``vault``."""

    type: ClassVar[str] = "vaultDeposit"


@dataclass(frozen=True, slots=True)
class VaultDistribution(_VaultUsdc):
    """USDC ``vault`` paid out to the account."""

    type: ClassVar[str] = "vaultDistribution"


@dataclass(frozen=True, slots=True)
class VaultWithdraw:
    """A withdrawal from ``vault``: ``net_withdrawn_usd`` is what arrived, after costs."""

    type: ClassVar[str] = "vaultWithdraw"
    vault: str
    user: str | None = None
    requested_usd: Decimal | None = None
    commission: Decimal | None = None
    closing_cost: Decimal | None = None
    basis: Decimal | None = None
    net_withdrawn_usd: Decimal | None = None


@dataclass(frozen=True, slots=True)
class VaultLeaderCommission:
    """A vault leader's commission paid to the account."""

    type: ClassVar[str] = "vaultLeaderCommission"
    usdc: Decimal
    user: str | None = None


@dataclass(frozen=True, slots=True)
class RewardsClaim:
    """Rewards (referral, builder...) claimed into the account, in ``token``."""

    type: ClassVar[str] = "rewardsClaim"
    amount: Decimal
    token: str | None = None


@dataclass(frozen=True, slots=True)
class UnknownDelta:
    """A delta type this app does not model; ``raw`` is the whole wire object, verbatim."""

    type: str
    raw: Mapping[str, FrozenJson] = field(hash=False)


LedgerDelta: TypeAlias = (
    Deposit
    | Withdraw
    | InternalTransfer
    | SubAccountTransfer
    | AccountClassTransfer
    | SpotTransfer
    | SendAsset
    | Liquidation
    | VaultCreate
    | VaultDeposit
    | VaultDistribution
    | VaultWithdraw
    | VaultLeaderCommission
    | RewardsClaim
    | UnknownDelta
)


@dataclass(frozen=True, slots=True)
class LedgerUpdate:
    """A non-funding ledger entry: when, the L1 transaction hash, and what happened."""

    time: int
    hash: str
    delta: LedgerDelta

    @property
    def type(self) -> str:
        """The wire's delta type (``"deposit"``, ``"internalTransfer"``, ...)."""
        return self.delta.type

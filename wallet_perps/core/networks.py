"""The networks the app can trade on, as data: where each venue is and what it allows.

Code asks a :class:`Network` what it allows (``network.embedded_venue``, ``network.real_money``,
``network.deposits is Deposits.FAUCET``...) instead of comparing names, so adding a network
means adding one entry here (and its name to :data:`NetworkName`, which stays a ``Literal``
because settings and wallet metadata persist networks by name). The texts that differ per
network and are not implied by what it allows live here too.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Final, Literal

__all__ = [
    "DEFAULT_NETWORK",
    "DEMO_DEPOSIT_USD",
    "MAX_DEMO_DEPOSIT_USD",
    "NETWORKS",
    "Deposits",
    "Faucet",
    "Network",
    "NetworkName",
    "ws_url_for",
]

NetworkName = Literal["local", "testnet", "mainnet"]


class Faucet(StrEnum):
    """Where paper funds come from on a network."""

    #: The embedded venue credits paper USDC on request (the demo, "Add paper USDC").
    VENUE = "local faucet"
    #: Hyperliquid's testnet faucet, a web page outside the app.
    TESTNET = "testnet faucet"
    #: None: every dollar is a real one.
    NONE = "none"


class Deposits(StrEnum):
    """How the Deposit dialog funds the account."""

    #: An amount typed in the app and credited at once by the venue's faucet.
    FAUCET = "paper faucet"
    #: Steps to follow outside the app: the testnet faucet (real USDC bridges to mainnet).
    TESTNET_FAUCET = "testnet faucet + bridge"
    #: Steps to follow outside the app: native USDC on Arbitrum One through the bridge.
    ARBITRUM_BRIDGE = "Arbitrum bridge"


#: What "Try the demo" credits from the venue's faucet (:attr:`Faucet.VENUE`).
DEMO_DEPOSIT_USD: Final = Decimal(10_000)
#: The most one paper deposit adds: the faucet exists to try things, not to fake wealth.
MAX_DEMO_DEPOSIT_USD: Final = Decimal(1_000_000)


def ws_url_for(http_url: str) -> str:
    """The venue's WebSocket endpoint for its HTTP base URL."""
    scheme, rest = http_url.split("://", 1)
    return f"{'wss' if scheme == 'https' else 'ws'}://{rest.rstrip('/')}/ws"


@dataclass(frozen=True, slots=True, kw_only=True)
class Network:
    """One network: its venue's address, how actions are signed, and what it allows.

    ``is_mainnet`` decides the L1 phantom-agent source and ``hyperliquidChain`` of user-signed
    actions; the local venue verifies testnet-style signatures, as the official SDK signs for
    any URL that is not mainnet's. It is the signing domain only: whether money is real is
    ``real_money``, a separate question.

    A default is what most networks share (signing as testnet, a venue run elsewhere, no
    faucet), so an entry states only what sets it apart. Whether money is real has no default:
    every network must say.
    """

    name: NetworkName
    label: str
    #: None for the embedded venue: the app starts it on a free port and learns the URL then.
    http_url: str | None
    is_mainnet: bool = False
    #: Balances are worth nothing (paper or test funds); False means real money is at stake,
    #: so weak passwords are refused and switching to it asks first.
    paper_money: bool
    faucet: Faucet = Faucet.NONE
    deposits: Deposits
    #: One sentence under Settings' network picker.
    risk_note: str
    #: The status bar badge's hover text.
    badge_tip: str
    #: What the Wallet page's address is on this network.
    address_note: str
    #: Asked (Yes/No) before switching to this network; None: switching needs no question.
    switch_warning: str | None = None

    def __post_init__(self) -> None:
        """Refuse a network whose answers contradict each other: code trusts each of them."""
        if self.faucet is Faucet.VENUE and not self.embedded_venue:
            raise ValueError(f"{self.name}: only the embedded venue has a venue faucet")
        if (self.deposits is Deposits.FAUCET) != (self.faucet is Faucet.VENUE):
            raise ValueError(f"{self.name}: in-app deposits need the venue's faucet")
        if not self.paper_money and self.faucet is not Faucet.NONE:
            raise ValueError(f"{self.name}: a real-money network has no faucet")
        if not self.paper_money and not self.switch_warning:
            raise ValueError(f"{self.name}: switching to real money must be confirmed")

    @property
    def embedded_venue(self) -> bool:
        """The app runs this network's venue itself, which is what having no URL means (and
        only then may an agent be approved unasked at unlock: the approval costs nothing and
        moves nothing real)."""
        return self.http_url is None

    @property
    def real_money(self) -> bool:
        """Whether money here is real (the opposite of ``paper_money``, named for readers)."""
        return not self.paper_money

    @property
    def ws_url(self) -> str | None:
        """The WebSocket endpoint; None for the embedded venue until it has started."""
        return ws_url_for(self.http_url) if self.http_url is not None else None


#: The network of a first run, and of anything stored before networks were recorded.
DEFAULT_NETWORK: Final[NetworkName] = "local"

#: Every network, in the order the network picker lists them.
NETWORKS: Final[dict[NetworkName, Network]] = {
    "local": Network(
        name="local",
        label="Local demo",
        http_url=None,
        paper_money=True,
        faucet=Faucet.VENUE,
        deposits=Deposits.FAUCET,
        risk_note="Paper trading: nothing here is real money.",
        badge_tip="Paper trading on the built-in local venue: nothing here is real money.",
        address_note=(
            "Your paper account on the built-in local venue: it holds no real funds, so send "
            "nothing real to it. The same key is a real Ethereum address elsewhere: never share "
            "your recovery phrase or password."
        ),
    ),
    "testnet": Network(
        name="testnet",
        label="Testnet",
        http_url="https://api.hyperliquid-testnet.xyz",
        paper_money=True,
        faucet=Faucet.TESTNET,
        deposits=Deposits.TESTNET_FAUCET,
        risk_note="Test funds only; prices and liquidity differ from mainnet.",
        badge_tip="Hyperliquid testnet: test funds only.",
        address_note=(
            "This is your account on Hyperliquid testnet. Share it to receive USDC; never "
            "share your recovery phrase or password."
        ),
    ),
    "mainnet": Network(
        name="mainnet",
        label="Mainnet",
        http_url="https://api.hyperliquid.xyz",
        is_mainnet=True,
        paper_money=False,
        deposits=Deposits.ARBITRUM_BRIDGE,
        risk_note="Real money is at stake on mainnet.",
        badge_tip="Real money is at stake on mainnet.",
        address_note=(
            "This is your account on Hyperliquid and on Arbitrum. Share it to receive USDC; "
            "never share your recovery phrase or password."
        ),
        switch_warning=(
            "Mainnet is the real Hyperliquid exchange: real money is at stake. Orders, "
            "transfers and withdrawals move real USDC and cannot be undone, and a leveraged "
            "position can lose all of its margin.\n\nSwitch to mainnet?"
        ),
    ),
}

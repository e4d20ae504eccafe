"""Pieces of the Wallet page and its dialogs: hover texts and the backup reminder.

Split from :mod:`wallet_perps.ui.pages.wallet` so the page module holds the page itself; the
dialogs (:mod:`wallet_perps.ui.pages.wallet_dialogs`) use the same tips. Cards, captions and
style flags come from :mod:`wallet_perps.ui.kit`, as on every page.
"""

from __future__ import annotations

from PySide6.QtWidgets import QFrame, QLabel, QPushButton

from wallet_perps.ui.kit import hbox

__all__ = [
    "AGENT_EXPLANATION",
    "TIPS",
    "BackupReminder",
]

TIPS = {
    "account_value": (
        "Everything the account is worth at current mark prices: your USDC plus the "
        "unrealized profit or loss of open positions."
    ),
    "available": (
        "Account value not yet committed as margin (cross): what new positions can use, "
        "after the margin your positions and resting orders hold. The Trade ticket's "
        "Available is the same number."
    ),
    "withdrawable": (
        "What can leave the account right now. The exchange keeps back the margin of open "
        "positions (at least 10% of their value), so this can be less than the account value."
    ),
    "pnl": (
        "Profit or loss of your open positions if they were closed at the mark price now. "
        "It becomes real only when you close them."
    ),
    "margin": (
        "Margin locked by open positions, as a share of the account value. The fuller this "
        "bar, the smaller the price move that brings a position to liquidation."
    ),
}
AGENT_EXPLANATION = (
    "Trading is signed by an approved agent key, so your main key signs only transfers. "
    "The agent can place and cancel orders for this account but can never move funds; "
    "rotate or revoke it in Settings."
)


class BackupReminder(QFrame):
    """The strip shown until the recovery phrase is backed up (the page shows and hides it):
    until then, losing this computer loses the wallet. ``button`` asks for the backup."""

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("BackupReminder")
        row = hbox(self)
        label = QLabel(
            "This wallet's recovery phrase is not backed up yet: if this computer is lost or "
            "its keyring is reset, the wallet is gone. Write the 12 words down now."
        )
        label.setWordWrap(True)
        label.setProperty("role", "warning")
        row.addWidget(label, 1)
        self.button = QPushButton("Back up now")
        row.addWidget(self.button)
        self.hide()

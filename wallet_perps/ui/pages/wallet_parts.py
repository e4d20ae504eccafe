"""Pieces the Wallet page and its dialogs share: hover texts, small widgets, style helpers.

Split from :mod:`wallet_perps.ui.pages.wallet` so the page module holds the page itself; the
dialogs (:mod:`wallet_perps.ui.pages.wallet_dialogs`) use the same captions, tips and the
same way of re-applying a dynamic style property.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QFrame, QLabel, QVBoxLayout, QWidget

__all__ = [
    "AGENT_EXPLANATION",
    "MONO",
    "TIPS",
    "Stat",
    "caption",
    "card",
    "repolish",
    "set_prop",
]

MONO = "font-family: 'DejaVu Sans Mono', monospace;"

TIPS = {
    "account_value": (
        "Everything the account is worth at current mark prices: your USDC plus the "
        "unrealized profit or loss of open positions."
    ),
    "available": (
        "Account value not yet committed as margin (cross): what new positions can use. "
        "Margin reserved by resting orders is not subtracted here."
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


def repolish(widget: QWidget) -> None:
    style = widget.style()
    style.unpolish(widget)
    style.polish(widget)


def set_prop(widget: QWidget, name: str, value: Any) -> None:
    """Set a dynamic style property and re-apply the style sheet only when it changed."""
    if widget.property(name) != value:
        widget.setProperty(name, value)
        repolish(widget)


def caption(text: str, tip: str = "") -> QLabel:
    label = QLabel(text)
    label.setProperty("muted", True)
    if tip:
        label.setToolTip(tip)
    return label


def card() -> tuple[QFrame, QVBoxLayout]:
    frame = QFrame()
    frame.setProperty("card", True)
    layout = QVBoxLayout(frame)
    layout.setContentsMargins(20, 16, 20, 16)
    layout.setSpacing(8)
    return frame, layout


class Stat(QWidget):
    """A muted caption over a number, both explaining themselves on hover."""

    def __init__(self, text: str, tip: str) -> None:
        super().__init__()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(caption(text, tip))
        self.value = QLabel("—")
        self.value.setToolTip(tip)
        self.value.setStyleSheet("font-size: 17px; font-weight: 600;")
        layout.addWidget(self.value)

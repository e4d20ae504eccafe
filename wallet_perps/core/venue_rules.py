"""Hyperliquid's published trading rules, written once.

The client checks them before it sends (the ticket, the transfer form) and the local venue
enforces them, so the two cannot drift apart: a ticket that passes here is not refused there
for a rule we copied wrong. Each number names its source in PROTOCOL.md.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Final

__all__ = ["MAKER_FEE", "MARKET_SLIPPAGE", "MIN_ORDER_VALUE", "TAKER_FEE", "WITHDRAW_FEE_USD"]

#: Base-tier perp fees (PROTOCOL §11.6): what a new account pays, as a fraction of notional.
TAKER_FEE: Final = Decimal("0.00045")
MAKER_FEE: Final = Decimal("0.00015")
#: The minimum order value for perps, in USD (PROTOCOL §3).
MIN_ORDER_VALUE: Final = Decimal(10)
#: The withdrawal fee "at the time of writing" (PROTOCOL §6.6, §11.8), debited on top of the
#: amount, so a withdrawal needs ``amount + fee`` withdrawable.
WITHDRAW_FEE_USD: Final = Decimal(1)
#: Market TP/SL orders (and the venue's liquidation orders) execute as IOC up to 10% through
#: the mark, like the venue's own UI (PROTOCOL §6.1).
MARKET_SLIPPAGE: Final = Decimal("0.1")

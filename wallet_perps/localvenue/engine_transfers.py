"""Money and account settings outside trading: deposits, transfers, withdrawals, leverage.

:class:`Transfers` carries out ``usdSend``, ``withdraw3``, ``usdClassTransfer``,
``updateLeverage`` and ``updateIsolatedMargin`` from their typed records (:mod:`.actions`),
plus the local faucet, and writes the ``userNonFundingLedgerUpdates`` rows every part that
moves money outside fills and funding records (liquidations included). The clearinghouse
holds the balances; this part keeps the ledger, the spot USDC balances and who was ever
funded.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from wallet_perps.core.risk import ZERO, ledger_usd
from wallet_perps.core.venue_rules import WITHDRAW_FEE_USD
from wallet_perps.localvenue.actions import (
    UpdateIsolatedMarginAction,
    UpdateLeverageAction,
    UsdClassTransferAction,
    UsdSendAction,
    WithdrawAction,
)
from wallet_perps.localvenue.engine_base import Call, rows_of
from wallet_perps.localvenue.engine_pushes import Pushes
from wallet_perps.localvenue.engine_records import OrderRegistry
from wallet_perps.localvenue.engine_types import VenueReject, wire
from wallet_perps.localvenue.state import VenueState

__all__ = ["Transfers"]


def _amount(amount: Decimal) -> Decimal:
    """A positive USDC amount with at most 6 decimals, else the venue's refusal."""
    if amount <= 0 or ledger_usd(amount) != amount:
        raise VenueReject("Invalid amount.")
    return amount


class Transfers:
    """Owns the account slice (``state.accounts``): ledgers, spot USDC, funded addresses."""

    __slots__ = ("a", "pushes", "records", "s")

    def __init__(self, state: VenueState, pushes: Pushes, records: OrderRegistry) -> None:
        self.s = state
        self.a = state.accounts
        self.pushes = pushes
        self.records = records

    def add_ledger(self, call: Call, user: str, delta: dict[str, Any]) -> None:
        """One ``userNonFundingLedgerUpdates`` row, pushed with the call."""
        row = {"time": call.now, "hash": call.hash, "delta": delta}
        rows_of(self.a.ledger, user).append(row)
        self.pushes.user_event(
            call,
            "userNonFundingLedgerUpdates",
            user,
            {"user": user, "nonFundingLedgerUpdates": [row]},
        )
        call.dirty[user] = None

    def has_funds(self, user: str) -> bool:
        return user in self.a.funded

    def spot_usdc(self, user: str) -> Decimal:
        return self.a.spot.get(user, ZERO)

    def faucet(self, user: str, usdc: Decimal, now_ms: int) -> None:
        """Local-only deposit: credits the perp account, ledger ``deposit``."""
        with self.pushes.call(now_ms) as call:
            self.s.clearinghouse.deposit(user, usdc)
            self.a.funded[user] = None
            self.add_ledger(call, user, {"type": "deposit", "usdc": wire(usdc)})

    def _asset_coin(self, asset: int) -> str:
        if not 0 <= asset < len(self.s.coins):
            raise VenueReject(f"Invalid asset {asset}.")
        return self.s.coins[asset]

    def update_leverage(
        self, user: str, action: UpdateLeverageAction, now_ms: int
    ) -> dict[str, Any]:
        """New leverage for one coin; the margin reserved for its resting orders follows."""
        coin = self._asset_coin(action.asset)
        ch = self.s.clearinghouse
        with self.pushes.call(now_ms, user) as call:
            ch.update_leverage(user, coin, action.is_cross, action.leverage)
            for order in self.records.live_of(user):
                if order.rest is not None and order.coin == coin and not order.reduce_only:
                    ch.release_order(user, order.oid)
                    ch.reserve_order(
                        user, order.oid, coin, order.is_buy, order.rest.sz, order.rest.limit_px
                    )
            call.dirty[user] = None
            call.pairs[(user, coin)] = None
        return {"type": "default"}

    def update_isolated_margin(
        self, user: str, action: UpdateIsolatedMarginAction, now_ms: int
    ) -> dict[str, Any]:
        coin = self._asset_coin(action.asset)
        with self.pushes.call(now_ms, user) as call:
            self.s.clearinghouse.update_isolated_margin(user, coin, Decimal(action.ntli).scaleb(-6))
            call.dirty[user] = None
            call.pairs[(user, coin)] = None
        return {"type": "default"}

    def usd_send(self, user: str, action: UsdSendAction, now_ms: int) -> dict[str, Any]:
        """Perp USDC to another address; ledger ``internalTransfer`` on both sides."""
        amount = _amount(action.amount)
        destination = action.destination
        with self.pushes.call(now_ms, user) as call:
            self.s.clearinghouse.transfer(user, destination, amount)
            self.a.funded[destination] = None
            delta = {
                "type": "internalTransfer",
                "usdc": wire(amount),
                "user": user,
                "destination": destination,
                "fee": "0.0",
            }
            self.add_ledger(call, user, delta)
            self.add_ledger(call, destination, dict(delta))
        return {"type": "default"}

    def withdraw3(self, user: str, action: WithdrawAction, now_ms: int) -> dict[str, Any]:
        """Withdrawal: debits amount + the $1 fee; ledger ``withdraw``."""
        amount = _amount(action.amount)
        if amount <= WITHDRAW_FEE_USD:
            raise VenueReject("Withdrawal amount must be more than the $1 fee.")
        ch = self.s.clearinghouse
        with self.pushes.call(now_ms, user) as call:
            ch.debit(user, amount + WITHDRAW_FEE_USD)
            # The fee stays inside the venue, so total USDC falls by exactly ``amount``.
            ch.fees_collected += WITHDRAW_FEE_USD
            delta = {
                "type": "withdraw",
                "usdc": wire(amount),
                "nonce": action.time,
                "fee": wire(WITHDRAW_FEE_USD),
            }
            self.add_ledger(call, user, delta)
        return {"type": "default"}

    def usd_class_transfer(
        self, user: str, action: UsdClassTransferAction, now_ms: int
    ) -> dict[str, Any]:
        """Spot <-> perp USDC (a plain spot USDC balance per user)."""
        if action.subaccount is not None:
            raise VenueReject("Sub-accounts are not supported on the local venue.")
        amount = _amount(action.amount)
        to_perp = action.to_perp
        ch = self.s.clearinghouse
        with self.pushes.call(now_ms, user) as call:
            spot = self.a.spot.get(user, ZERO)
            if to_perp:
                if amount > spot:
                    raise VenueReject("Insufficient balance for transfer.")
                ch.deposit(user, amount)
                self.a.spot[user] = spot - amount
            else:
                ch.debit(user, amount)
                self.a.spot[user] = spot + amount
            delta = {"type": "accountClassTransfer", "usdc": wire(amount), "toPerp": to_perp}
            self.add_ledger(call, user, delta)
        return {"type": "default"}

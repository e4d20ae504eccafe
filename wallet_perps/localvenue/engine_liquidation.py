"""Liquidations on the local venue (PROTOCOL §11.5): market orders through the book in
20% steps above $100k, and the backstop liquidator when equity is below 2/3 of maintenance
or the book cannot absorb the position."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from wallet_perps.core.risk import ZERO, truncate_usd
from wallet_perps.localvenue.actions import OrderRequest
from wallet_perps.localvenue.clearinghouse import FillEffect, fill_direction
from wallet_perps.localvenue.engine_base import (
    LIQUIDATION_COOLDOWN_MS,
    Call,
    market_px,
    position_szi,
)
from wallet_perps.localvenue.engine_matching import Matching
from wallet_perps.localvenue.engine_pushes import Pushes
from wallet_perps.localvenue.engine_records import OrderRegistry
from wallet_perps.localvenue.engine_transfers import Transfers
from wallet_perps.localvenue.engine_types import wire
from wallet_perps.localvenue.state import VenueState

__all__ = ["Liquidations"]


class Liquidations:
    """Owns the liquidation slice (``state.liquidations``): cooldowns and liquidation ids."""

    __slots__ = ("matching", "pushes", "records", "s", "t", "transfers")

    def __init__(
        self,
        state: VenueState,
        pushes: Pushes,
        records: OrderRegistry,
        matching: Matching,
        transfers: Transfers,
    ) -> None:
        self.s = state
        self.t = state.liquidations
        self.pushes = pushes
        self.records = records
        self.matching = matching
        self.transfers = transfers

    def check(self, call: Call) -> None:
        """Liquidate every account (but the liquidator's) that is due."""
        ch = self.s.clearinghouse
        for user in list(ch.accounts):
            if user == self.s.liquidator:
                continue
            account = ch.accounts[user]
            if not any(p.szi for p in account.positions.values()):
                continue
            due = ch.liquidations_due(user)
            if due:
                self._liquidate(call, user, due)

    def _cancel_resting(self, call: Call, user: str, coin: str | None) -> None:
        """Cancel the user's resting orders (in ``coin`` only, unless None) before liquidating."""
        for order in self.records.live_of(user):
            if order.rest is not None and (coin is None or order.coin == coin):
                self.matching.cancel(call, order, "liquidatedCanceled", nonuser=True)

    def _liquidate(self, call: Call, user: str, due: list[Any]) -> None:
        """Market liquidation through the book, backstop when it cannot absorb (§11.5)."""
        s, ch = self.s, self.s.clearinghouse
        numbers = ch.summary_numbers(user)
        liquidated: list[dict[str, Any]] = []
        cross = False
        for item in due:
            if item.coin is None or item.method == "backstop":
                cross = cross or item.coin is None
                liquidated += self._backstop(call, user, item.coin)
                continue
            coin = item.coin
            szi = position_szi(ch, user, coin)
            if szi == 0:
                continue
            position = ch.accounts[user].positions[coin]
            cross = cross or position.isolated_raw_usd is None
            self._cancel_resting(call, user, None if position.isolated_raw_usd is None else coin)
            size = item.size
            key = (user, coin)
            last = self.t.cooldown.get(key)
            if last is not None and call.now - last < LIQUIDATION_COOLDOWN_MS:
                size = abs(szi)
            if size < abs(szi):
                self.t.cooldown[key] = call.now
            mark = ch.marks[coin]
            is_buy = szi < 0
            px = market_px(mark, is_buy, s.spec[coin].sz_decimals)
            request = OrderRequest(s.coins.index(coin), is_buy, px, size, True, "Ioc")
            order = self.records.new_order(call, user, request)
            liq = {"liquidatedUser": user, "markPx": wire(mark), "method": "market"}
            filled, _ = self.matching.match(call, order, px, liq)
            order.sz = size - filled
            self.records.update(call, order, "filled" if order.sz == 0 else "canceled")
            self.matching.after_match(call, coin)
            liquidated.append({"coin": coin, "szi": wire(-filled if szi > 0 else filled)})
            if order.sz > 0 and position_szi(ch, user, coin) != 0:
                iso = ch.accounts[user].positions[coin].isolated_raw_usd is not None
                liquidated += self._backstop(call, user, coin if iso else None)
        liquidated = [entry for entry in liquidated if Decimal(entry["szi"]) != 0]
        if not liquidated:
            return
        self.t.lid += 1
        ntl_pos = wire(truncate_usd(numbers["total_ntl_pos"]))
        account_value = wire(truncate_usd(numbers["account_value"]))
        self.transfers.add_ledger(
            call,
            user,
            {
                "type": "liquidation",
                "liquidatedNtlPos": ntl_pos,
                "accountValue": account_value,
                "leverageType": "Cross" if cross else "Isolated",
                "liquidatedPositions": liquidated,
            },
        )
        self.pushes.user_event(
            call,
            "user",
            user,
            {
                "liquidation": {
                    "lid": self.t.lid,
                    "liquidator": s.liquidator,
                    "liquidated_user": user,
                    "liquidated_ntl_pos": ntl_pos,
                    "liquidated_account_value": account_value,
                }
            },
        )
        coins = ", ".join(entry["coin"] for entry in liquidated)
        self.pushes.user_event(
            call,
            "notification",
            user,
            {"notification": f"Your {coins} position was liquidated."},
        )

    def _backstop(self, call: Call, user: str, coin: str | None) -> list[dict[str, Any]]:
        """Hand positions (and their margin) to the liquidator at mark, with fills for both."""
        s, ch = self.s, self.s.clearinghouse
        account = ch.accounts[user]
        vault = ch.account(s.liquidator)
        before = {c: (p.szi, p.entry_px) for c, p in account.positions.items() if p.szi}
        vault_before = {c: vault.positions[c].szi if c in vault.positions else ZERO for c in before}
        if coin is None:
            self._cancel_resting(call, user, None)
        moved = ch.backstop(user, coin, s.liquidator)
        out: list[dict[str, Any]] = []
        for moved_coin, szi in moved:
            mark = ch.marks[moved_coin]
            _, entry = before[moved_coin]
            liq = {"liquidatedUser": user, "markPx": wire(mark), "method": "backstop"}
            tid = self.matching.next_tid()
            size = abs(szi)
            asset = s.coins.index(moved_coin)
            for who, start, side_buy, pnl in (
                (user, szi, szi < 0, szi * (mark - entry)),
                (s.liquidator, vault_before[moved_coin], szi > 0, ZERO),
            ):
                end = start + (size if side_buy else -size)
                request = OrderRequest(asset, side_buy, mark, size, False, "Ioc")
                order = self.records.new_order(call, who, request)
                order.sz = ZERO
                self.records.update(call, order, "filled")
                effect = FillEffect(who, moved_coin, start, fill_direction(start, end), pnl, ZERO)
                self.matching.record_fill(
                    call, effect, order, wire(mark), wire(size), call.hash, tid, who == user, liq
                )
                call.dirty[who] = None
                call.pairs[(who, moved_coin)] = None
                call.pos_changed[(who, moved_coin)] = None
            self.matching.after_match(call, moved_coin)
            out.append({"coin": moved_coin, "szi": wire(szi)})
        return out

"""Liquidations on the local venue (PROTOCOL §11.5): market orders through the book in
20% steps above $100k, and the backstop liquidator when equity is below 2/3 of maintenance
or the book cannot absorb the position."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from wallet_perps.core.numbers import round_price
from wallet_perps.core.risk import (
    ZERO,
    truncate_usd,
)
from wallet_perps.localvenue.clearinghouse import FillEffect
from wallet_perps.localvenue.engine_base import (
    LIQUIDATION_COOLDOWN_MS,
    MARKET_SLIPPAGE,
    TID_MOD,
    TID_MUL,
    Call,
    fill_direction,
)
from wallet_perps.localvenue.engine_orders import OrderEngine, _Parsed
from wallet_perps.localvenue.engine_types import wire


class LiquidationEngine(OrderEngine):
    """Liquidation side of :class:`~.engine.Venue` (a mixin)."""

    def _check_liquidations(self, call: Call) -> None:
        ch = self.clearinghouse
        for user in list(ch.accounts):
            if user == self._liquidator:
                continue
            account = ch.accounts[user]
            if not any(p.szi for p in account.positions.values()):
                continue
            due = ch.liquidations_due(user)
            if due:
                self._liquidate(call, user, due)

    def _liquidate(self, call: Call, user: str, due: list[Any]) -> None:
        """Market liquidation through the book, backstop when it cannot absorb (§11.5)."""
        ch = self.clearinghouse
        numbers = ch.summary_numbers(user)
        liquidated: list[dict[str, Any]] = []
        cross = False
        for item in due:
            if item.coin is None or item.method == "backstop":
                cross = cross or item.coin is None
                liquidated += self._backstop(call, user, item.coin)
                continue
            coin = item.coin
            szi = self._szi(user, coin)
            if szi == 0:
                continue
            position = ch.accounts[user].positions[coin]
            cross = cross or position.isolated_raw_usd is None
            for order in list(self._open.get(user, {}).values()):
                if order.rest is not None and (
                    position.isolated_raw_usd is None or order.coin == coin
                ):
                    self._cancel(call, order, "liquidatedCanceled", nonuser=True)
            size = item.size
            key = (user, coin)
            last = self._liq_cooldown.get(key)
            if last is not None and call.now - last < LIQUIDATION_COOLDOWN_MS:
                size = abs(szi)
            if size < abs(szi):
                self._liq_cooldown[key] = call.now
            mark = ch.marks[coin]
            is_buy = szi < 0
            spec = self._spec[coin]
            factor = 1 + MARKET_SLIPPAGE if is_buy else 1 - MARKET_SLIPPAGE
            px = round_price(mark * factor, spec.sz_decimals, direction="up" if is_buy else "down")
            order = self._new_order(
                call,
                user,
                _Parsed(self._coins.index(coin), coin, is_buy, px, size, True, "Ioc", None),
            )
            liq = {"liquidatedUser": user, "markPx": wire(mark), "method": "market"}
            filled, _ = self._match(call, order, px, liq)
            order.sz = size - filled
            self._update(call, order, "filled" if order.sz == 0 else "canceled")
            self._after_match(call, coin)
            liquidated.append({"coin": coin, "szi": wire(-filled if szi > 0 else filled)})
            if order.sz > 0 and self._szi(user, coin) != 0:
                iso = ch.accounts[user].positions[coin].isolated_raw_usd is not None
                liquidated += self._backstop(call, user, coin if iso else None)
        liquidated = [entry for entry in liquidated if Decimal(entry["szi"]) != 0]
        if not liquidated:
            return
        self._lid += 1
        self._add_ledger(
            call,
            user,
            {
                "type": "liquidation",
                "liquidatedNtlPos": wire(truncate_usd(numbers["total_ntl_pos"])),
                "accountValue": wire(truncate_usd(numbers["account_value"])),
                "leverageType": "Cross" if cross else "Isolated",
                "liquidatedPositions": liquidated,
            },
        )
        self._user_event(
            call,
            "user",
            user,
            {
                "liquidation": {
                    "lid": self._lid,
                    "liquidator": self._liquidator,
                    "liquidated_user": user,
                    "liquidated_ntl_pos": wire(truncate_usd(numbers["total_ntl_pos"])),
                    "liquidated_account_value": wire(truncate_usd(numbers["account_value"])),
                }
            },
        )
        coins = ", ".join(entry["coin"] for entry in liquidated)
        self._user_event(
            call,
            "notification",
            user,
            {"notification": f"Your {coins} position was liquidated."},
        )

    def _backstop(self, call: Call, user: str, coin: str | None) -> list[dict[str, Any]]:
        """Hand positions (and their margin) to the liquidator at mark, with fills for both."""
        ch = self.clearinghouse
        account = ch.accounts[user]
        vault = ch.account(self._liquidator)
        before = {c: (p.szi, p.entry_px) for c, p in account.positions.items() if p.szi}
        vault_before = {c: vault.positions[c].szi if c in vault.positions else ZERO for c in before}
        if coin is None:
            for order in list(self._open.get(user, {}).values()):
                if order.rest is not None:
                    self._cancel(call, order, "liquidatedCanceled", nonuser=True)
        moved = ch.backstop(user, coin, self._liquidator)
        out: list[dict[str, Any]] = []
        for moved_coin, szi in moved:
            mark = ch.marks[moved_coin]
            _, entry = before[moved_coin]
            liq = {"liquidatedUser": user, "markPx": wire(mark), "method": "backstop"}
            self._trade_seq += 1
            tid = (self._trade_seq * TID_MUL) % TID_MOD
            size = abs(szi)
            for who, start, side_buy, pnl in (
                (user, szi, szi < 0, szi * (mark - entry)),
                (self._liquidator, vault_before[moved_coin], szi > 0, ZERO),
            ):
                end = start + (size if side_buy else -size)
                order = self._new_order(
                    call,
                    who,
                    _Parsed(
                        self._coins.index(moved_coin),
                        moved_coin,
                        side_buy,
                        mark,
                        size,
                        False,
                        "Ioc",
                        None,
                    ),
                )
                order.sz = ZERO
                self._update(call, order, "filled")
                effect = FillEffect(who, moved_coin, start, fill_direction(start, end), pnl, ZERO)
                self._record_fill(
                    call,
                    effect,
                    order,
                    wire(mark),
                    wire(size),
                    call.hash,
                    tid,
                    who == user,
                    liq,
                )
                call.dirty[who] = None
                call.pairs[(who, moved_coin)] = None
                call.pos_changed[(who, moved_coin)] = None
            self._after_match(call, moved_coin)
            out.append({"coin": moved_coin, "szi": wire(szi)})
        return out

    # ------------------------------------------------------------------ leverage and money

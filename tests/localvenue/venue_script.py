"""A scripted venue session touching every part of the engine, for state and snapshot tests.

``part_one`` leaves resting orders, trigger orders (position TP/SL, normalTpsl children waiting
for a fill), positions, an isolated margin, funding rows, a liquidation, transfers and a
scheduled cancel behind; ``part_two`` goes on from there (the schedule fires, triggers fire,
another funding hour passes). ``answers`` is everything a client could ask afterwards, and
``digest`` condenses answers and pushes into one hash, so a test can compare a venue against
the one the previous engine layout produced without storing megabytes of JSON.
"""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from typing import Any, Protocol

from wallet_perps.localvenue.clock import HOUR_MS

T0 = 1_700_000_000_000
ALICE = "0x" + "a1" * 20
BOB = "0x" + "b2" * 20
CAROL = "0x" + "c3" * 20
DAVE = "0x" + "d4" * 20
USERS = (ALICE, BOB, CAROL, DAVE)
CLOID = "0x" + "34" * 16
BTC, ETH, DOGE = 0, 1, 5
SEED = 11


class ScriptVenue(Protocol):
    """The public venue methods the script drives (the facade's, unchanged by the refactor)."""

    def faucet(self, user: str, usdc: Decimal, now_ms: int) -> None: ...
    def tick(self, now_ms: int) -> None: ...
    def set_oracle(self, coin: str, px: Decimal, now_ms: int) -> None: ...
    def order(self, user: str, action: Any, now_ms: int) -> dict[str, Any]: ...
    def cancel(self, user: str, action: Any, now_ms: int) -> dict[str, Any]: ...
    def modify(self, user: str, action: Any, now_ms: int) -> dict[str, Any]: ...
    def schedule_cancel(self, user: str, action: Any, now_ms: int) -> dict[str, Any]: ...
    def update_leverage(self, user: str, action: Any, now_ms: int) -> dict[str, Any]: ...
    def update_isolated_margin(self, user: str, action: Any, now_ms: int) -> dict[str, Any]: ...
    def usd_send(self, user: str, action: Any, now_ms: int) -> dict[str, Any]: ...
    def withdraw3(self, user: str, action: Any, now_ms: int) -> dict[str, Any]: ...
    def usd_class_transfer(self, user: str, action: Any, now_ms: int) -> dict[str, Any]: ...
    def all_mids(self) -> dict[str, str]: ...


def _limit(a: int, b: bool, p: str, s: str, tif: str = "Gtc", r: bool = False) -> dict[str, Any]:
    return {"a": a, "b": b, "p": p, "s": s, "r": r, "t": {"limit": {"tif": tif}}}


def _trigger(a: int, b: bool, p: str, s: str, trigger_px: str, tpsl: str) -> dict[str, Any]:
    trigger = {"isMarket": True, "triggerPx": trigger_px, "tpsl": tpsl}
    return {"a": a, "b": b, "p": p, "s": s, "r": True, "t": {"trigger": trigger}}


def _place(
    v: ScriptVenue, user: str, *orders: dict[str, Any], now: int, grouping: str = "na"
) -> Any:
    return v.order(user, {"type": "order", "orders": list(orders), "grouping": grouping}, now)


def part_one(v: ScriptVenue) -> None:
    for user in (ALICE, BOB, CAROL):
        v.faucet(user, Decimal(100_000), T0)
    v.faucet(DAVE, Decimal(1_000), T0)
    t = T0
    for i in range(12):
        t += 1_500
        v.tick(t)
        mid = Decimal(v.all_mids()["ETH"])
        px = str(round(mid * (1 + Decimal(i % 5 - 2) / 1000), 1))
        _place(v, ALICE, _limit(ETH, i % 2 == 0, px, "0.5"), now=t + 1)
        _place(v, BOB, _limit(ETH, i % 2 == 1, str(round(mid, 1)), "0.3", "Ioc"), now=t + 2)
    # DAVE: a 20x BTC long, liquidated through CAROL's bid further down
    _place(v, BOB, _limit(BTC, False, "97000", "0.2"), now=t + 10)
    _place(v, DAVE, _limit(BTC, True, "97000", "0.2", "Ioc"), now=t + 11)
    _place(v, CAROL, _limit(BTC, True, "93000", "0.2"), now=t + 12)
    v.set_oracle("BTC", Decimal(93100), t + 13)
    # a cloid order that is then modified, a position TP/SL and a normalTpsl group
    cloid_order = _limit(ETH, True, "3300", "1")
    cloid_order["c"] = CLOID
    _place(v, CAROL, cloid_order, now=t + 20)
    v.modify(
        CAROL, {"type": "modify", "oid": CLOID, "order": _limit(ETH, True, "3310", "2")}, t + 21
    )
    _place(v, BOB, _limit(ETH, False, "3400", "1"), now=t + 22)
    _place(v, ALICE, _limit(ETH, True, "3400", "1", "Ioc"), now=t + 23)
    _place(
        v,
        ALICE,
        _trigger(ETH, False, "3000", "1", "3200", "sl"),
        _trigger(ETH, False, "3800", "1", "3700", "tp"),
        now=t + 24,
        grouping="positionTpsl",
    )
    _place(
        v,
        BOB,
        _limit(ETH, True, "3350", "1"),
        _trigger(ETH, False, "3800", "1", "3700", "tp"),
        now=t + 25,
        grouping="normalTpsl",
    )
    # money: leverage, isolated margin, transfers, a scheduled cancel
    v.update_leverage(BOB, {"asset": DOGE, "isCross": False, "leverage": 5}, t + 30)
    _place(v, ALICE, _limit(DOGE, False, "0.2", "1000"), now=t + 31)
    _place(v, BOB, _limit(DOGE, True, "0.2", "500", "Ioc"), now=t + 32)
    v.update_isolated_margin(BOB, {"asset": DOGE, "isBuy": True, "ntli": 5_000_000}, t + 33)
    v.usd_send(ALICE, {"destination": DAVE, "amount": "12.5", "time": t + 34}, t + 34)
    v.withdraw3(CAROL, {"destination": CAROL, "amount": "100", "time": t + 35}, t + 35)
    v.usd_class_transfer(CAROL, {"amount": "50", "toPerp": False, "nonce": t + 36}, t + 36)
    _place(v, CAROL, _limit(BTC, True, "90000", "0.01"), now=t + 37)
    v.schedule_cancel(CAROL, {"type": "scheduleCancel", "time": t + 60_000}, t + 38)
    v.tick(T0 + HOUR_MS)  # the first funding hour


def part_two(v: ScriptVenue) -> None:
    t = T0 + HOUR_MS
    for _ in range(6):
        t += 20_000
        v.tick(t)
    v.set_oracle("ETH", Decimal(3190), t + 1)  # ALICE's stop fires
    _place(v, CAROL, _limit(ETH, False, "3350", "1", "Ioc"), now=t + 2)  # BOB's parent fills
    v.set_oracle("ETH", Decimal(3720), t + 3)  # BOB's tp fires
    v.cancel(ALICE, {"type": "cancel", "cancels": [{"a": ETH, "o": 1_000_000_000}]}, t + 4)
    v.tick(T0 + 2 * HOUR_MS)


def answers(v: Any) -> dict[str, Any]:
    """Every /info answer of the scripted users and markets."""
    out: dict[str, Any] = {
        "metaAndAssetCtxs": v.meta_and_asset_ctxs(),
        "allMids": v.all_mids(),
        "predictedFundings": v.predicted_fundings(),
        "nextFunding": v.next_funding_ms(),
        "books": [v.l2_book(c) for c in ("BTC", "ETH", "DOGE")],
        "fundingHistory": v.funding_history("ETH", 0),
        "candles": v.candle_snapshot("ETH", "1m", 0),
        "totalUsdc": str(v.clearinghouse.total_usdc()),
    }
    from wallet_perps.localvenue.engine import LIQUIDATOR_ADDRESS

    for user in (*USERS, LIQUIDATOR_ADDRESS):
        out[user] = {
            "state": v.clearinghouse_state(user),
            "spot": v.spot_clearinghouse_state(user),
            "open": v.open_orders(user),
            "frontend": v.frontend_open_orders(user),
            "historical": v.historical_orders(user),
            "fills": v.user_fills(user),
            "funding": v.user_funding(user, 0),
            "ledger": v.user_non_funding_ledger_updates(user, 0),
            "rateLimit": v.user_rate_limit(user),
            "assetData": v.active_asset_data(user, "ETH"),
            "hasFunds": v.has_funds(user),
        }
    return out


def digest(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()

"""The local venue's engine, driven directly (no server): orders, fills, queries, money.

Every scenario checks what a client would see: the response statuses and error strings of
PROTOCOL §6/§9, the info answers (parsed with the app's own strict parsers, so the shapes are
the venue's), the §7.1 identities of ``clearinghouseState``, and that USDC is conserved.
"""

from __future__ import annotations

import pickle
from decimal import ROUND_DOWN, Decimal
from typing import Any

import pytest

from wallet_perps.core.venue_rules import MAKER_FEE, TAKER_FEE
from wallet_perps.hyperliquid import parse
from wallet_perps.localvenue.clock import HOUR_MS
from wallet_perps.localvenue.engine import LIQUIDATOR_ADDRESS, Venue, VenueEvent, VenueReject
from wallet_perps.localvenue.markets import DEFAULT_MARKETS

D = Decimal
T0 = 1_700_000_000_000  # 22:13:20 UTC, so the next funding hour is 46 min 40 s away
ALICE = "0x" + "a1" * 20
BOB = "0x" + "b2" * 20
CAROL = "0x" + "c3" * 20
CLOID = "0x" + "12" * 16
BTC, ETH = 0, 1
USD6 = D("0.000001")


def order_wire(
    a: int,
    b: bool,
    p: str,
    s: str,
    tif: str = "Gtc",
    r: bool = False,
    c: str | None = None,
) -> dict[str, Any]:
    wire: dict[str, Any] = {"a": a, "b": b, "p": p, "s": s, "r": r, "t": {"limit": {"tif": tif}}}
    if c is not None:
        wire["c"] = c
    return wire


def trigger_wire(
    a: int, b: bool, p: str, s: str, trigger_px: str, tpsl: str, is_market: bool = True
) -> dict[str, Any]:
    return {
        "a": a,
        "b": b,
        "p": p,
        "s": s,
        "r": True,
        "t": {"trigger": {"isMarket": is_market, "triggerPx": trigger_px, "tpsl": tpsl}},
    }


def place(
    v: Venue, user: str, *orders: dict[str, Any], now: int, grouping: str = "na"
) -> list[Any]:
    out = v.order(user, {"type": "order", "orders": list(orders), "grouping": grouping}, now)
    assert out["type"] == "order"
    statuses: list[Any] = out["data"]["statuses"]
    return statuses


def oid_of(status: dict[str, Any]) -> int:
    kind = "resting" if "resting" in status else "filled"
    oid: int = status[kind]["oid"]
    return oid


@pytest.fixture
def venue() -> Venue:
    v = Venue(start_ms=T0)
    for user in (ALICE, BOB, CAROL):
        v.faucet(user, D(100_000), T0)
    return v


def deposited(v: Venue) -> Decimal:
    """USDC that entered minus what left (faucet, withdrawals, spot transfers)."""
    total = D(0)
    for user in (ALICE, BOB, CAROL):
        for row in v.user_non_funding_ledger_updates(user, 0):
            delta = row["delta"]
            if delta["type"] == "deposit":
                total += D(delta["usdc"])
            elif delta["type"] == "withdraw":
                total -= D(delta["usdc"])
            elif delta["type"] == "accountClassTransfer":
                total += D(delta["usdc"]) if delta["toPerp"] else -D(delta["usdc"])
    return total


def check_identities(v: Venue, user: str) -> dict[str, Any]:
    """Every §7.1 identity, on the strings the venue serves (and the app's parser accepts)."""
    state = v.clearinghouse_state(user)
    parse.parse_clearinghouse_state(state)
    marks = {c: D(x) for c, x in v.clearinghouse.marks.items()}
    cross = state["crossMarginSummary"]
    total = state["marginSummary"]
    max_lev = {spec.name: spec.max_leverage for spec in DEFAULT_MARKETS}
    cross_ntl = cross_used = cross_szi_mark = cross_mm = D(0)
    iso_used = iso_raw = iso_ntl = D(0)
    only_low_leverage = True
    for entry in state["assetPositions"]:
        p = entry["position"]
        coin = p["coin"]
        szi, entry_px, mark = D(p["szi"]), D(p["entryPx"]), marks[coin]
        value = D(p["positionValue"])
        leverage = p["leverage"]
        assert value == abs(szi) * mark
        assert abs(D(p["unrealizedPnl"]) - szi * (mark - entry_px)) <= D("0.000002")
        basis = abs(szi) * entry_px / leverage["value"]
        assert abs(D(p["returnOnEquity"]) - D(p["unrealizedPnl"]) / basis) < D("0.0001")
        assert p["maxLeverage"] == max_lev[coin]
        only_low_leverage &= leverage["value"] <= 10
        if leverage["type"] == "cross":
            assert D(p["marginUsed"]) == (value / leverage["value"]).quantize(USD6, ROUND_DOWN)
            cross_ntl += value
            cross_used += D(p["marginUsed"])
            cross_szi_mark += szi * mark
            cross_mm += value / (2 * max_lev[coin])
        else:
            raw = D(leverage["rawUsd"])
            assert D(p["marginUsed"]) == (raw + szi * mark).quantize(USD6, ROUND_DOWN)
            iso_used += D(p["marginUsed"])
            iso_raw += raw
            iso_ntl += value
    assert D(cross["accountValue"]) == D(cross["totalRawUsd"]) + cross_szi_mark
    assert D(cross["totalNtlPos"]) == cross_ntl
    assert D(cross["totalMarginUsed"]) == cross_used
    assert D(total["totalNtlPos"]) == cross_ntl + iso_ntl
    assert D(total["totalMarginUsed"]) == cross_used + iso_used
    assert D(total["totalRawUsd"]) == D(cross["totalRawUsd"]) + iso_raw
    assert abs(D(total["accountValue"]) - D(cross["accountValue"]) - iso_used) <= D("0.00001")
    assert abs(D(state["crossMaintenanceMarginUsed"]) - cross_mm) <= USD6
    free = D(cross["accountValue"]) - D(cross["totalMarginUsed"])
    withdrawable = D(state["withdrawable"])
    assert withdrawable <= max(free, D(0))
    if only_low_leverage and not v.open_orders(user):
        # equal up to the truncation of each position's marginUsed (the venue never reports
        # more than it would let leave)
        slack = USD6 * len(state["assetPositions"])
        assert max(free, D(0)) - slack <= withdrawable
    # liquidationPx solves equity(P) == maintenance(P) for a lone cross position
    positions = state["assetPositions"]
    if len(positions) == 1 and positions[0]["position"]["leverage"]["type"] == "cross":
        p = positions[0]["position"]
        if p["liquidationPx"] is not None:
            szi, mark = D(p["szi"]), marks[p["coin"]]
            liq = D(p["liquidationPx"])
            equity = D(cross["totalRawUsd"]) + szi * liq
            maintenance = abs(szi) * liq / (2 * max_lev[p["coin"]])
            assert abs(equity - maintenance) / maintenance < D("0.000001")
    return state


# ---------------------------------------------------------------------------------------------
# placing, querying, cancelling


def test_resting_order_is_visible_everywhere_and_cancels(venue: Venue) -> None:
    statuses = place(venue, ALICE, order_wire(BTC, True, "96000", "0.1", c=CLOID), now=T0 + 1)
    assert statuses == [{"resting": {"oid": 1_000_000_000, "cloid": CLOID}}]
    oid = oid_of(statuses[0])
    [basic] = venue.open_orders(ALICE)
    assert basic["oid"] == oid and basic["limitPx"] == "96000" and basic["sz"] == "0.1"
    assert basic["side"] == "B" and basic["cloid"] == CLOID
    [front] = venue.frontend_open_orders(ALICE)
    assert front["orderType"] == "Limit" and front["tif"] == "Gtc" and front["isTrigger"] is False
    parse.parse_open_orders(venue.open_orders(ALICE))
    parse.parse_frontend_open_orders(venue.frontend_open_orders(ALICE))
    by_oid = venue.order_status(ALICE, oid)
    by_cloid = venue.order_status(ALICE, CLOID)
    assert by_oid == by_cloid and by_oid["order"]["status"] == "open"
    parse.parse_order_status(by_oid)
    assert venue.order_status(BOB, oid) == {"status": "unknownOid"}
    # the book shows it
    book = venue.l2_book("BTC")
    assert book is not None
    assert book["levels"][0] == [{"px": "96000", "sz": "0.1", "n": 1}]
    parse.parse_l2_book(book)

    out = venue.cancel(ALICE, {"type": "cancel", "cancels": [{"a": BTC, "o": oid}]}, T0 + 2)
    assert out == {"type": "cancel", "data": {"statuses": ["success"]}}
    assert venue.open_orders(ALICE) == []
    assert venue.order_status(ALICE, oid)["order"]["status"] == "canceled"
    again = venue.cancel(ALICE, {"type": "cancel", "cancels": [{"a": BTC, "o": oid}]}, T0 + 3)
    assert again["data"]["statuses"] == [
        {"error": "Order was never placed, already canceled, or filled."}
    ]
    hist = venue.historical_orders(ALICE)
    assert hist[0]["status"] == "canceled"
    parse.parse_historical_orders(hist)
    # reserve released: withdrawable back to the full balance
    assert venue.clearinghouse_state(ALICE)["withdrawable"] == "100000"


def test_cancel_by_cloid(venue: Venue) -> None:
    place(venue, ALICE, order_wire(ETH, False, "3500", "1", c=CLOID), now=T0 + 1)
    action = {"type": "cancelByCloid", "cancels": [{"asset": ETH, "cloid": CLOID}]}
    assert venue.cancel_by_cloid(ALICE, action, T0 + 2)["data"]["statuses"] == ["success"]
    assert venue.order_status(ALICE, CLOID)["order"]["status"] == "canceled"


def test_crossing_order_fills_both_sides(venue: Venue) -> None:
    events: list[VenueEvent] = []
    venue.listeners.append(events.append)
    maker = place(venue, ALICE, order_wire(BTC, True, "96000", "0.1"), now=T0 + 1)
    taker = place(venue, BOB, order_wire(BTC, False, "95000", "0.04", "Ioc"), now=T0 + 2)
    assert taker == [{"filled": {"totalSz": "0.04", "avgPx": "96000", "oid": 1_000_000_001}}]
    [maker_fill] = venue.user_fills(ALICE)
    [taker_fill] = venue.user_fills(BOB)
    notional = D("0.04") * 96000
    assert maker_fill["crossed"] is False and taker_fill["crossed"] is True
    assert D(maker_fill["fee"]) == notional * MAKER_FEE
    assert D(taker_fill["fee"]) == notional * TAKER_FEE
    assert maker_fill["dir"] == "Open Long" and taker_fill["dir"] == "Open Short"
    assert maker_fill["oid"] == oid_of(maker[0]) and maker_fill["side"] == "B"
    assert maker_fill["tid"] == taker_fill["tid"] and maker_fill["hash"] == taker_fill["hash"]
    assert maker_fill["hash"].startswith("0x") and len(maker_fill["hash"]) == 66
    assert maker_fill["feeToken"] == "USDC" and maker_fill["startPosition"] == "0"
    parse.parse_fills(venue.user_fills(ALICE))
    trades = [e for e in events if e.channel == "trades"]
    assert len(trades) == 1 and trades[0].key == "BTC"
    [trade] = trades[0].data
    assert trade["users"] == [ALICE, BOB] and trade["side"] == "A" and trade["px"] == "96000"
    parse.parse_ws_trades(trades[0].data)
    fills_pushed = [e for e in events if e.channel == "userFills" and e.key == BOB]
    assert fills_pushed[0].data == {"user": BOB, "fills": [taker_fill]}
    assert not any(e.channel == "clearinghouseState" for e in events)  # coalesced to the tick
    venue.tick(T0 + 100)
    assert any(e.channel == "clearinghouseState" and e.key == ALICE for e in events)
    assert any(e.channel == "activeAssetData" and e.key == f"{BOB}:BTC" for e in events)
    # the maker rests with the remainder
    assert venue.open_orders(ALICE)[0]["sz"] == "0.06"
    a = check_identities(venue, ALICE)
    b = check_identities(venue, BOB)
    assert a["assetPositions"][0]["position"]["szi"] == "0.04"
    assert b["assetPositions"][0]["position"]["szi"] == "-0.04"
    assert venue.clearinghouse.total_usdc() == deposited(venue)
    # a second taker finishes the maker off: status filled, fills ordered newest first
    place(venue, CAROL, order_wire(BTC, False, "96000", "0.06", "Ioc"), now=T0 + 3)
    assert venue.order_status(ALICE, oid_of(maker[0]))["order"]["status"] == "filled"
    fills = venue.user_fills(ALICE)
    assert [f["startPosition"] for f in fills] == ["0.04", "0"]
    assert venue.user_fills_by_time(ALICE, T0)[0]["startPosition"] == "0"
    agg = venue.user_fills(ALICE, aggregate_by_time=False)
    assert len(agg) == 2
    check_identities(venue, ALICE)


def test_gtc_walks_the_book_and_rests_the_rest(venue: Venue) -> None:
    place(venue, ALICE, order_wire(ETH, False, "3400", "1"), now=T0 + 1)
    place(venue, ALICE, order_wire(ETH, False, "3410", "1"), now=T0 + 1)
    [status] = place(venue, BOB, order_wire(ETH, True, "3420", "3"), now=T0 + 2)
    assert status == {"resting": {"oid": 1_000_000_002}}
    [basic] = venue.open_orders(BOB)
    assert basic["sz"] == "1" and basic["origSz"] == "3"
    book = venue.l2_book("ETH")
    assert book is not None and book["levels"] == [[{"px": "3420", "sz": "1", "n": 1}], []]
    check_identities(venue, BOB)


def test_ioc_without_match_and_alo_crossing(venue: Venue) -> None:
    [ioc] = place(venue, ALICE, order_wire(BTC, True, "96000", "0.1", "Ioc"), now=T0 + 1)
    assert ioc == {"error": "Order could not immediately match against any resting orders. asset=0"}
    hist = venue.historical_orders(ALICE)
    assert hist[0]["status"] == "iocCancelRejected" and hist[0]["order"]["tif"] == "Ioc"
    place(venue, BOB, order_wire(BTC, False, "97000", "0.1"), now=T0 + 2)
    place(venue, CAROL, order_wire(BTC, True, "96500", "0.1"), now=T0 + 2)
    [alo] = place(venue, ALICE, order_wire(BTC, True, "97000", "0.1", "Alo"), now=T0 + 3)
    assert alo == {
        "error": "Post only order would have immediately matched, bbo was 96500@97000. asset=0"
    }
    assert venue.historical_orders(ALICE)[0]["status"] == "badAloPxRejected"
    [ok] = place(venue, ALICE, order_wire(BTC, True, "96900", "0.1", "Alo"), now=T0 + 4)
    assert "resting" in ok


def test_validation_errors(venue: Venue) -> None:
    statuses = place(
        venue,
        ALICE,
        order_wire(BTC, True, "96000.5", "0.1"),  # 6 significant figures
        order_wire(BTC, True, "96000", "0.123456"),  # 6 decimals, BTC has 5
        order_wire(ETH, True, "3000", "0.003"),  # $9 < $10
        order_wire(ETH, True, "3000", "1000"),  # $3M on $100k at 20x
        order_wire(ETH, True, "3000", "1", r=True),  # reduce-only with no position
        order_wire(99, True, "3000", "1"),
        now=T0 + 1,
    )
    assert statuses == [
        {"error": "Price must be divisible by tick size. asset=0"},
        {"error": "Order has invalid size. asset=0"},
        {"error": "Order must have minimum value of $10. asset=1"},
        {"error": "Insufficient margin to place order. asset=1"},
        {"error": "Reduce only order would increase position. asset=1"},
        {"error": "Order has invalid asset. asset=99"},
    ]
    kinds = [h["status"] for h in venue.historical_orders(ALICE)]
    assert kinds == [
        "reduceOnlyRejected",
        "perpMarginRejected",
        "minTradeNtlRejected",
        "rejected",
        "tickRejected",
    ]
    with pytest.raises(VenueReject, match=r"^Order price too far from oracle$"):
        place(venue, ALICE, order_wire(ETH, True, "100", "1"), now=T0 + 2)
    with pytest.raises(VenueReject):
        place(venue, ALICE, now=T0 + 2)


def test_reduce_only_closes_at_most_the_position(venue: Venue) -> None:
    place(venue, ALICE, order_wire(ETH, False, "3400", "2"), now=T0 + 1)
    place(venue, BOB, order_wire(ETH, True, "3400", "1", "Ioc"), now=T0 + 2)  # BOB long 1
    place(venue, CAROL, order_wire(ETH, True, "3390", "5"), now=T0 + 3)
    [status] = place(venue, BOB, order_wire(ETH, False, "3300", "3", "Ioc", r=True), now=T0 + 4)
    assert status["filled"]["totalSz"] == "1"
    assert venue.clearinghouse_state(BOB)["assetPositions"] == []
    # exempt from the $10 minimum when closing
    [opened] = place(venue, BOB, order_wire(ETH, True, "3400", "0.003", "Ioc"), now=T0 + 5)
    assert "filled" in opened
    # $9.90 at its limit price, but it closes the position
    [tiny] = place(venue, BOB, order_wire(ETH, False, "3300", "0.003", "Ioc", r=True), now=T0 + 6)
    assert tiny["filled"]["totalSz"] == "0.003"


def test_resting_reduce_only_is_cancelled_when_it_no_longer_reduces(venue: Venue) -> None:
    place(venue, ALICE, order_wire(ETH, False, "3400", "1"), now=T0 + 1)
    place(venue, BOB, order_wire(ETH, True, "3400", "1", "Ioc"), now=T0 + 2)
    [tp] = place(venue, BOB, order_wire(ETH, False, "3600", "1", r=True), now=T0 + 3)
    place(venue, CAROL, order_wire(ETH, True, "3390", "1"), now=T0 + 4)
    place(venue, BOB, order_wire(ETH, False, "3390", "1", "Ioc"), now=T0 + 5)  # closes
    assert venue.order_status(BOB, oid_of(tp))["order"]["status"] == "reduceOnlyCanceled"
    assert venue.open_orders(BOB) == []


def test_self_trade_expires_the_maker(venue: Venue) -> None:
    [mine] = place(venue, ALICE, order_wire(BTC, False, "97000", "0.1"), now=T0 + 1)
    place(venue, BOB, order_wire(BTC, False, "97100", "0.1"), now=T0 + 1)
    [status] = place(venue, ALICE, order_wire(BTC, True, "97100", "0.1", "Ioc"), now=T0 + 2)
    assert status["filled"] == {"totalSz": "0.1", "avgPx": "97100", "oid": 1_000_000_002}
    assert venue.order_status(ALICE, oid_of(mine))["order"]["status"] == "selfTradeCanceled"
    assert [f["px"] for f in venue.user_fills(ALICE)] == ["97100"]


def test_margin_is_rechecked_for_the_maker(venue: Venue) -> None:
    poor = "0x" + "d4" * 20
    venue.faucet(poor, D(500), T0)
    [bid] = place(venue, poor, order_wire(ETH, True, "3000", "3"), now=T0 + 1)  # $450 reserved
    venue.withdraw3(poor, {"destination": poor, "amount": "40", "time": T0}, T0 + 2)
    venue.update_leverage(poor, {"asset": ETH, "isCross": True, "leverage": 10}, T0 + 3)
    [status] = place(venue, BOB, order_wire(ETH, False, "3000", "3", "Ioc"), now=T0 + 4)
    assert "error" in status
    assert venue.order_status(poor, oid_of(bid))["order"]["status"] == "marginCanceled"


def test_open_order_limit(venue: Venue) -> None:
    for i in range(1000):
        place(venue, ALICE, order_wire(DOGE, True, "0.2", "100"), now=T0 + i)
    [status] = place(venue, ALICE, order_wire(DOGE, True, "0.2", "100"), now=T0 + 2000)
    assert status == {"error": "Too many open orders. asset=5"}


DOGE = 5


# ---------------------------------------------------------------------------------------------
# modify, scheduleCancel


def test_modify_keeps_cloid_and_gives_a_new_oid(venue: Venue) -> None:
    [first] = place(venue, ALICE, order_wire(ETH, True, "3300", "1", c=CLOID), now=T0 + 1)
    old = oid_of(first)
    action = {"type": "modify", "oid": CLOID, "order": order_wire(ETH, True, "3310", "2")}
    assert venue.modify(ALICE, action, T0 + 2) == {"type": "default"}
    [basic] = venue.open_orders(ALICE)
    assert basic["oid"] != old and basic["cloid"] == CLOID
    assert basic["limitPx"] == "3310" and basic["sz"] == "2"
    assert venue.order_status(ALICE, old)["order"]["status"] == "canceled"
    assert venue.order_status(ALICE, CLOID)["order"]["order"]["oid"] == basic["oid"]
    with pytest.raises(VenueReject, match="Cannot modify canceled or filled order"):
        venue.modify(ALICE, {"type": "modify", "oid": old, "order": action["order"]}, T0 + 3)


def test_batch_modify(venue: Venue) -> None:
    a, b = place(
        venue,
        ALICE,
        order_wire(ETH, True, "3300", "1"),
        order_wire(ETH, False, "3500", "1"),
        now=T0 + 1,
    )
    out = venue.batch_modify(
        ALICE,
        {
            "type": "batchModify",
            "modifies": [
                {"oid": oid_of(a), "order": order_wire(ETH, True, "3301", "1")},
                {"oid": 12345, "order": order_wire(ETH, False, "3501", "1")},
                {"oid": oid_of(b), "order": order_wire(ETH, False, "3502", "1.5")},
            ],
        },
        T0 + 2,
    )
    statuses = out["data"]["statuses"]
    assert out["type"] == "order"
    assert "resting" in statuses[0] and "resting" in statuses[2]
    assert statuses[1] == {"error": "Cannot modify canceled or filled order"}
    assert sorted(o["limitPx"] for o in venue.open_orders(ALICE)) == ["3301", "3502"]


def test_schedule_cancel_fires(venue: Venue) -> None:
    [status] = place(venue, ALICE, order_wire(ETH, True, "3300", "1"), now=T0 + 1)
    with pytest.raises(VenueReject):
        venue.schedule_cancel(ALICE, {"type": "scheduleCancel", "time": T0 + 10}, T0 + 2)
    venue.schedule_cancel(ALICE, {"type": "scheduleCancel", "time": T0 + 10_000}, T0 + 2)
    venue.tick(T0 + 9_000)
    assert venue.open_orders(ALICE)
    venue.tick(T0 + 10_001)
    assert venue.open_orders(ALICE) == []
    assert venue.order_status(ALICE, oid_of(status))["order"]["status"] == "scheduledCancel"
    # cleared schedules do not fire
    place(venue, ALICE, order_wire(ETH, True, "3300", "1"), now=T0 + 10_002)
    venue.schedule_cancel(ALICE, {"type": "scheduleCancel", "time": T0 + 20_000}, T0 + 10_003)
    venue.schedule_cancel(ALICE, {"type": "scheduleCancel"}, T0 + 10_004)
    venue.tick(T0 + 30_000)
    assert len(venue.open_orders(ALICE)) == 1


# ---------------------------------------------------------------------------------------------
# TP/SL


def _open_long_eth(venue: Venue, now: int) -> None:
    place(venue, BOB, order_wire(ETH, False, "3400", "1"), now=now)
    place(venue, ALICE, order_wire(ETH, True, "3400", "1", "Ioc"), now=now + 1)


def test_position_tpsl_triggers_on_mark(venue: Venue) -> None:
    _open_long_eth(venue, T0 + 1)
    sl, tp = place(
        venue,
        ALICE,
        trigger_wire(ETH, False, "3000", "1", "3200", "sl"),
        trigger_wire(ETH, False, "3800", "1", "3700", "tp"),
        now=T0 + 3,
        grouping="positionTpsl",
    )
    front = venue.frontend_open_orders(ALICE)
    assert [o["orderType"] for o in front] == ["Take Profit Market", "Stop Market"]
    assert front[1]["triggerCondition"] == "Price below 3200" and front[1]["isTrigger"] is True
    assert front[1]["isPositionTpsl"] is True and front[1]["tif"] is None
    parse.parse_frontend_open_orders(front)
    place(venue, CAROL, order_wire(ETH, True, "3100", "2"), now=T0 + 4)  # liquidity below
    venue.set_oracle("ETH", D(3300), T0 + 5)  # mark above 3200: nothing
    assert venue.order_status(ALICE, oid_of(sl))["order"]["status"] == "open"
    venue.set_oracle("ETH", D(3150), T0 + 6)
    assert venue.clearinghouse.marks["ETH"] == D(3150)
    assert venue.order_status(ALICE, oid_of(sl))["order"]["status"] == "filled"
    assert venue.order_status(ALICE, oid_of(tp))["order"]["status"] == "reduceOnlyCanceled"
    assert venue.clearinghouse_state(ALICE)["assetPositions"] == []
    assert venue.user_fills(ALICE)[0]["px"] == "3100"
    assert venue.clearinghouse.total_usdc() == deposited(venue)


def test_normal_tpsl_children_wait_for_the_parent(venue: Venue) -> None:
    statuses = place(
        venue,
        ALICE,
        order_wire(ETH, True, "3400", "1", r=False),
        trigger_wire(ETH, False, "3800", "1", "3700", "tp"),
        trigger_wire(ETH, False, "3000", "1", "3100", "sl"),
        now=T0 + 1,
        grouping="normalTpsl",
    )
    assert "resting" in statuses[0] and statuses[1:] == ["waitingForFill", "waitingForFill"]
    [parent] = [o for o in venue.frontend_open_orders(ALICE) if o["orderType"] == "Limit"]
    assert [c["orderType"] for c in parent["children"]] == ["Take Profit Market", "Stop Market"]
    venue.set_oracle("ETH", D(3750), T0 + 2)  # children are not armed yet
    assert len(venue.open_orders(ALICE)) == 3
    venue.set_oracle("ETH", D(3400), T0 + 3)
    place(venue, BOB, order_wire(ETH, False, "3400", "1", "Ioc"), now=T0 + 4)  # parent fills
    assert venue.order_status(ALICE, oid_of(statuses[0]))["order"]["status"] == "filled"
    place(venue, CAROL, order_wire(ETH, True, "3600", "1"), now=T0 + 5)
    venue.set_oracle("ETH", D(3720), T0 + 6)  # tp fires, sl is its sibling
    tp_oid, sl_oid = (o["order"]["oid"] for o in venue.historical_orders(ALICE)[1::-1])
    assert venue.order_status(ALICE, sl_oid)["order"]["status"] == "siblingFilledCanceled"
    assert venue.order_status(ALICE, tp_oid)["order"]["status"] == "filled"
    assert venue.clearinghouse_state(ALICE)["assetPositions"] == []


def test_normal_tpsl_with_immediate_fill_arms_children(venue: Venue) -> None:
    place(venue, BOB, order_wire(ETH, False, "3400", "1"), now=T0 + 1)
    statuses = place(
        venue,
        ALICE,
        order_wire(ETH, True, "3400", "1", "Ioc"),
        trigger_wire(ETH, False, "3000", "1", "3100", "sl"),
        now=T0 + 2,
        grouping="normalTpsl",
    )
    assert "filled" in statuses[0] and statuses[1] == "waitingForTrigger"


def test_limit_trigger_rests_after_triggering(venue: Venue) -> None:
    _open_long_eth(venue, T0 + 1)
    [sl] = place(
        venue, ALICE, trigger_wire(ETH, False, "3150", "1", "3200", "sl", False), now=T0 + 3
    )
    venue.set_oracle("ETH", D(3190), T0 + 4)
    status = venue.order_status(ALICE, oid_of(sl))["order"]
    assert status["status"] == "triggered"
    [basic] = venue.open_orders(ALICE)
    assert basic["oid"] == oid_of(sl) and basic["limitPx"] == "3150"


# ---------------------------------------------------------------------------------------------
# funding, liquidation, money


def test_funding_is_paid_at_the_hour(venue: Venue) -> None:
    events: list[VenueEvent] = []
    venue.listeners.append(events.append)
    place(venue, BOB, order_wire(ETH, False, "3400", "2"), now=T0 + 1)
    place(venue, ALICE, order_wire(ETH, True, "3400", "2", "Ioc"), now=T0 + 2)
    total = venue.clearinghouse.total_usdc()
    hour = (T0 // HOUR_MS + 1) * HOUR_MS
    for t in range(T0 + 5_000, hour, 300_000):
        venue.tick(t)
    assert venue.funding_history("ETH", 0) == []
    venue.tick(hour + 1_000)
    [record] = venue.funding_history("ETH", 0)
    assert record["coin"] == "ETH" and record["time"] > hour
    parse.parse_funding_history(venue.funding_history("ETH", 0))
    [a] = venue.user_funding(ALICE, 0)
    [b] = venue.user_funding(BOB, 0)
    parse.parse_user_funding(venue.user_funding(ALICE, 0))
    assert a["delta"]["coin"] == "ETH" and a["delta"]["szi"] == "2" and b["delta"]["szi"] == "-2"
    rate = D(record["fundingRate"])
    assert rate > 0  # no premium samples: the interest rate alone, longs pay
    assert D(a["delta"]["usdc"]) < 0 < D(b["delta"]["usdc"])
    assert D(a["delta"]["usdc"]) == -D(b["delta"]["usdc"])
    assert venue.clearinghouse.total_usdc() == total
    cum = venue.clearinghouse_state(ALICE)["assetPositions"][0]["position"]["cumFunding"]
    assert D(cum["allTime"]) == -D(a["delta"]["usdc"])
    pushed = [e for e in events if e.channel == "userFundings" and e.key == ALICE]
    assert pushed and pushed[0].data["fundings"][0]["coin"] == "ETH"
    check_identities(venue, ALICE)
    check_identities(venue, BOB)


def _leveraged_long(venue: Venue, user: str) -> Decimal:
    """``user`` (with $1000) buys 0.2 BTC at 97000 at 20x; returns the reported liquidationPx."""
    venue.faucet(user, D(1000), T0)
    place(venue, BOB, order_wire(BTC, False, "97000", "0.2"), now=T0 + 1)
    place(venue, user, order_wire(BTC, True, "97000", "0.2", "Ioc"), now=T0 + 2)
    state = check_identities(venue, user)
    liq = state["assetPositions"][0]["position"]["liquidationPx"]
    assert liq is not None
    return D(liq)


def test_market_liquidation_through_the_book(venue: Venue) -> None:
    events: list[VenueEvent] = []
    venue.listeners.append(events.append)
    dave = "0x" + "d4" * 20
    liq_px = _leveraged_long(venue, dave)
    assert D(93100) < liq_px < D(93300)
    place(venue, CAROL, order_wire(BTC, True, "93000", "0.2"), now=T0 + 3)
    venue.set_oracle("BTC", D(93300), T0 + 4)  # above liquidationPx: safe
    assert venue.clearinghouse_state(dave)["assetPositions"]
    venue.set_oracle("BTC", D(93100), T0 + 5)  # below it: market liquidation into CAROL's bid
    assert venue.clearinghouse_state(dave)["assetPositions"] == []
    [fill] = [f for f in venue.user_fills(dave) if "liquidation" in f]
    assert fill["liquidation"] == {"liquidatedUser": dave, "markPx": "93100", "method": "market"}
    assert fill["px"] == "93000" and fill["dir"] == "Close Long"
    carol_fill = venue.user_fills(CAROL)[0]
    assert carol_fill["liquidation"]["liquidatedUser"] == dave
    [ledger] = [
        r for r in venue.user_non_funding_ledger_updates(dave, 0) if r["delta"]["type"] != "deposit"
    ]
    assert ledger["delta"]["type"] == "liquidation"
    assert ledger["delta"]["liquidatedPositions"] == [{"coin": "BTC", "szi": "-0.2"}]
    parse.parse_ledger_updates(venue.user_non_funding_ledger_updates(dave, 0))
    kinds = {e.channel for e in events if e.key == dave}
    assert {"notification", "user", "userFills"} <= kinds
    liq_event = next(e for e in events if e.channel == "user" and "liquidation" in e.data)
    parse.parse_ws_user_events(liq_event.data)
    # leftover collateral stays with the trader
    assert D(venue.clearinghouse_state(dave)["marginSummary"]["accountValue"]) > 0
    assert venue.clearinghouse.total_usdc() == deposited(venue) + 1000


def test_backstop_when_the_book_cannot_absorb(venue: Venue) -> None:
    dave = "0x" + "d4" * 20
    liq_px = _leveraged_long(venue, dave)
    venue.set_oracle("BTC", liq_px - 100, T0 + 5)  # no bids at all
    assert venue.clearinghouse_state(dave)["assetPositions"] == []
    [fill] = [f for f in venue.user_fills(dave) if "liquidation" in f]
    assert fill["liquidation"]["method"] == "backstop"
    vault = venue.clearinghouse_state(LIQUIDATOR_ADDRESS)
    assert vault["assetPositions"][0]["position"]["szi"] == "0.2"
    assert venue.clearinghouse.total_usdc() == deposited(venue) + 1000


def test_deep_loss_goes_to_the_backstop(venue: Venue) -> None:
    dave = "0x" + "d4" * 20
    liq_px = _leveraged_long(venue, dave)
    place(venue, CAROL, order_wire(BTC, True, "85000", "0.2"), now=T0 + 3)
    venue.set_oracle("BTC", liq_px - 1500, T0 + 5)  # below 2/3 of maintenance at once
    [fill] = [f for f in venue.user_fills(dave) if "liquidation" in f]
    assert fill["liquidation"]["method"] == "backstop"
    assert venue.user_fills(CAROL) == []


def test_withdraw_send_and_class_transfer(venue: Venue) -> None:
    assert venue.withdraw3(
        ALICE, {"destination": ALICE, "amount": "100", "time": T0 + 1}, T0 + 1
    ) == {"type": "default"}
    state = venue.clearinghouse_state(ALICE)
    assert state["withdrawable"] == "99899"
    row = venue.user_non_funding_ledger_updates(ALICE, T0 + 1)[0]
    assert row["delta"] == {"type": "withdraw", "usdc": "100", "nonce": T0 + 1, "fee": "1"}
    venue.usd_send(ALICE, {"destination": BOB, "amount": "12.5", "time": T0 + 2}, T0 + 2)
    assert venue.clearinghouse_state(BOB)["withdrawable"] == "100012.5"
    venue.usd_class_transfer(ALICE, {"amount": "50", "toPerp": False, "nonce": T0 + 3}, T0 + 3)
    assert venue.spot_clearinghouse_state(ALICE)["balances"][0]["total"] == "50"
    venue.usd_class_transfer(ALICE, {"amount": "20", "toPerp": True, "nonce": T0 + 4}, T0 + 4)
    assert venue.spot_usdc(ALICE) == D(30)
    with pytest.raises(VenueReject, match="Insufficient balance"):
        venue.withdraw3(ALICE, {"destination": ALICE, "amount": "1000000", "time": T0 + 5}, T0 + 5)
    assert venue.clearinghouse.total_usdc() == deposited(venue)
    assert venue.has_funds(BOB) and not venue.has_funds("0x" + "99" * 20)
    parse.parse_ledger_updates(venue.user_non_funding_ledger_updates(ALICE, 0))


def test_leverage_and_isolated_margin(venue: Venue) -> None:
    venue.update_leverage(ALICE, {"asset": ETH, "isCross": False, "leverage": 5}, T0 + 1)
    place(venue, BOB, order_wire(ETH, False, "3400", "1"), now=T0 + 2)
    place(venue, ALICE, order_wire(ETH, True, "3400", "1", "Ioc"), now=T0 + 3)
    state = check_identities(venue, ALICE)
    lev = state["assetPositions"][0]["position"]["leverage"]
    assert lev["type"] == "isolated" and lev["value"] == 5 and D(lev["rawUsd"]) < 0
    venue.update_isolated_margin(ALICE, {"asset": ETH, "isBuy": True, "ntli": 100_000_000}, T0 + 4)
    after = check_identities(venue, ALICE)
    gained = D(after["assetPositions"][0]["position"]["marginUsed"]) - D(
        state["assetPositions"][0]["position"]["marginUsed"]
    )
    assert gained == 100
    with pytest.raises(VenueReject):
        venue.update_leverage(ALICE, {"asset": ETH, "isCross": False, "leverage": 99}, T0 + 5)
    data = venue.active_asset_data(ALICE, "ETH")
    assert data is not None and data["leverage"]["type"] == "isolated"
    parse.parse_active_asset_data(data)


# ---------------------------------------------------------------------------------------------
# market data, determinism, snapshots


def test_market_data_shapes(venue: Venue) -> None:
    place(venue, ALICE, order_wire(BTC, False, "97100", "0.5"), now=T0 + 1)
    place(venue, BOB, order_wire(BTC, True, "96900", "0.5"), now=T0 + 1)
    place(venue, CAROL, order_wire(BTC, True, "97100", "0.1", "Ioc"), now=T0 + 2)
    venue.tick(T0 + 6_000)
    _meta, ctxs = parse.parse_meta_and_asset_ctxs(venue.meta_and_asset_ctxs())
    assert len(ctxs) == len(DEFAULT_MARKETS)
    raw = venue.meta_and_asset_ctxs()[1][0]
    assert raw["midPx"] == "97000" and raw["openInterest"] == "0.1"
    assert D(raw["dayNtlVlm"]) == D("9710")
    mids = venue.all_mids()
    assert mids["BTC"] == "97000" and set(mids) == {s.name for s in DEFAULT_MARKETS}
    parse.parse_all_mids(mids)
    candles = venue.candle_snapshot("BTC", "1m", T0 - 60_000, T0 + 60_000)
    assert len(candles) == 1 and candles[0]["o"] == "97100" and candles[0]["n"] == 1
    parse.parse_candles(candles)
    assert venue.candle_snapshot("BTC", "1M", 0, T0 + 1)[0]["i"] == "1M"
    parse.parse_predicted_fundings(venue.predicted_fundings())
    parse.parse_user_rate_limit(venue.user_rate_limit(CAROL))
    assert venue.l2_book("NOPE") is None
    assert venue.spot_meta()["universe"] == []


def test_tick_events(venue: Venue) -> None:
    events: list[VenueEvent] = []
    venue.listeners.append(events.append)
    place(venue, ALICE, order_wire(BTC, False, "97100", "0.5"), now=T0 + 1)
    venue.tick(T0 + 1_000)
    channels = [e.channel for e in events]
    assert channels.count("allMids") == 1 and channels.count("l2Book") == 1
    assert "bbo" in channels and channels.count("activeAssetCtx") == len(DEFAULT_MARKETS)
    l2 = next(e for e in events if e.channel == "l2Book")
    parse.parse_ws_l2_book(l2.data)
    bbo = next(e for e in events if e.channel == "bbo")
    parse.parse_ws_bbo(bbo.data)
    ctx = next(e for e in events if e.channel == "activeAssetCtx")
    parse.parse_ws_active_asset_ctx(ctx.data)
    state = next(e for e in events if e.channel == "clearinghouseState")
    assert state.key == ALICE and state.data["dex"] == "" and state.data["user"] == ALICE
    parse.parse_ws_clearinghouse_state(state.data)
    updates = next(e for e in events if e.channel == "orderUpdates")
    parse.parse_ws_order_updates(updates.data)
    events.clear()
    venue.tick(T0 + 2_000)  # nothing changed on the book: no l2Book/bbo
    assert "l2Book" not in [e.channel for e in events]


def _script(v: Venue) -> None:
    for user in (ALICE, BOB, CAROL):
        v.faucet(user, D(50_000), T0)
    t = T0
    for i in range(30):
        t += 1_700
        v.tick(t)
        mid = D(v.all_mids()["ETH"])
        px = str(round(mid * (D(1) + D(i % 5 - 2) / 1000), 1))
        place(v, ALICE, order_wire(ETH, i % 2 == 0, px, "0.5"), now=t + 1)
        place(v, BOB, order_wire(ETH, i % 2 == 1, str(round(mid, 1)), "0.3", "Ioc"), now=t + 2)
    v.tick(t + HOUR_MS)


def test_determinism_and_pickle_round_trip() -> None:
    one, two = Venue(seed=7, start_ms=T0), Venue(seed=7, start_ms=T0)
    _script(one)
    _script(two)
    for user in (ALICE, BOB, CAROL):
        assert one.clearinghouse_state(user) == two.clearinghouse_state(user)
        assert one.user_fills(user) == two.user_fills(user)
        assert one.user_funding(user, 0) == two.user_funding(user, 0)
    assert one.meta_and_asset_ctxs() == two.meta_and_asset_ctxs()
    assert any(one.user_fills(ALICE))
    seen: list[VenueEvent] = []
    one.listeners.append(seen.append)
    copy = pickle.loads(pickle.dumps(one))
    assert copy.listeners == []
    for user in (ALICE, BOB, CAROL):
        assert copy.clearinghouse_state(user) == one.clearinghouse_state(user)
        assert copy.historical_orders(user) == one.historical_orders(user)
    t = T0 + 2 * HOUR_MS
    for v in (one, copy):
        v.tick(t)
        place(v, CAROL, order_wire(ETH, True, "3500", "1", "Gtc"), now=t + 1)
    assert copy.l2_book("ETH") == one.l2_book("ETH")
    assert copy.open_orders(CAROL) == one.open_orders(CAROL)
    for user in (ALICE, BOB, CAROL):
        check_identities(one, user)
    assert one.clearinghouse.total_usdc() == D(150_000)


def test_cancelling_a_parent_cancels_its_waiting_children(venue: Venue) -> None:
    statuses = place(
        venue,
        ALICE,
        order_wire(ETH, True, "3300", "1"),
        trigger_wire(ETH, False, "3000", "1", "3100", "sl"),
        now=T0 + 1,
        grouping="normalTpsl",
    )
    parent = oid_of(statuses[0])
    venue.cancel(ALICE, {"type": "cancel", "cancels": [{"a": ETH, "o": parent}]}, T0 + 2)
    assert venue.open_orders(ALICE) == []
    assert [h["status"] for h in venue.historical_orders(ALICE)] == ["canceled", "canceled"]


def test_aggregate_by_time_merges_partial_fills(venue: Venue) -> None:
    place(venue, ALICE, order_wire(ETH, False, "3400", "1"), now=T0 + 1)
    place(venue, BOB, order_wire(ETH, False, "3401", "1"), now=T0 + 1)
    place(venue, CAROL, order_wire(ETH, True, "3401", "2", "Ioc"), now=T0 + 2)
    assert len(venue.user_fills(CAROL)) == 2
    [merged] = venue.user_fills(CAROL, aggregate_by_time=True)
    assert merged["sz"] == "2" and merged["px"] == "3400.5" and merged["startPosition"] == "0"
    assert D(merged["fee"]) == D("3400.5") * 2 * TAKER_FEE

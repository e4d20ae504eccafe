"""Tests for the local venue's price-time priority book (wallet_perps/localvenue/book.py).

The property test runs the book side by side with a deliberately naive reference model (a flat
list scanned and sorted on every match) so price-time priority, self-trade prevention and the
margin re-check are checked against an implementation too simple to be wrong.

Run this file directly (``python tests/localvenue/test_book.py``) for a timing sanity print;
nothing in the tests asserts on time.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, localcontext

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wallet_perps.core.risk import impact_price
from wallet_perps.localvenue.book import Fill, MatchResult, OrderBook, RestingOrder

D = Decimal
ALICE = "0x" + "a" * 40
BOB = "0x" + "b" * 40
CAROL = "0x" + "c" * 40

_oids = itertools.count(1)


def order(
    user: str,
    is_buy: bool,
    px: str | Decimal,
    sz: str | Decimal,
    *,
    oid: int | None = None,
    tif: str = "Gtc",
) -> RestingOrder:
    size = D(sz)
    return RestingOrder(
        oid=next(_oids) if oid is None else oid,
        user=user,
        is_buy=is_buy,
        limit_px=D(px),
        sz=size,
        orig_sz=size,
        timestamp=1_700_000_000_000,
        cloid=None,
        reduce_only=False,
        tif=tif,
    )


def rest(book: OrderBook, user: str, is_buy: bool, px: str, sz: str) -> RestingOrder:
    o = order(user, is_buy, px, sz)
    book.add(o)
    return o


def fills_of(result: MatchResult) -> list[tuple[int, Decimal, Decimal]]:
    return [(f.maker.oid, f.px, f.sz) for f in result.fills]


# ---------------------------------------------------------------- priority and fills


def test_better_price_first_then_earlier_order() -> None:
    book = OrderBook("BTC")
    late_at_100 = rest(book, ALICE, False, "100", "1")
    at_101 = rest(book, ALICE, False, "101", "1")
    early_at_99 = rest(book, BOB, False, "99", "1")
    second_at_99 = rest(book, ALICE, False, "99", "1")
    # Oids are placement order; the 100 ask was placed before the 99s but is worse.
    res = book.match(user=CAROL, is_buy=True, limit_px=D("101"), sz=D("3.5"))
    assert fills_of(res) == [
        (early_at_99.oid, D("99"), D("1")),
        (second_at_99.oid, D("99"), D("1")),
        (late_at_100.oid, D("100"), D("1")),
        (at_101.oid, D("101"), D("0.5")),
    ]
    assert res.remaining == 0
    assert res.filled == D("3.5")
    assert book.bbo() == (None, D("101"))
    assert book.last_trade_px == D("101")


def test_sell_taker_hits_highest_bid_first() -> None:
    book = OrderBook("ETH")
    low = rest(book, ALICE, True, "1890", "1")
    high = rest(book, BOB, True, "1891.5", "1")
    res = book.match(user=CAROL, is_buy=False, limit_px=D("1890"), sz=D("1.5"))
    assert fills_of(res) == [(high.oid, D("1891.5"), D("1")), (low.oid, D("1890"), D("0.5"))]
    assert book.get(high.oid) is None
    assert book.get(low.oid) is low and low.sz == D("0.5")


def test_partial_fill_keeps_maker_in_place_with_reduced_size() -> None:
    book = OrderBook("BTC")
    first = rest(book, ALICE, False, "100", "2")
    second = rest(book, BOB, False, "100", "2")
    res = book.match(user=CAROL, is_buy=True, limit_px=D("100"), sz=D("0.5"))
    assert fills_of(res) == [(first.oid, D("100"), D("0.5"))]
    assert res.fills[0].maker is first and first.sz == D("1.5") and first.orig_sz == D("2")
    assert book.l2()[1] == [(D("100"), D("3.5"), 2)]
    # The partly filled maker is still at the head of the queue.
    res = book.match(user=CAROL, is_buy=True, limit_px=D("100"), sz=D("2"))
    assert fills_of(res) == [(first.oid, D("100"), D("1.5")), (second.oid, D("100"), D("0.5"))]
    assert [o.oid for o in book.all_orders()] == [second.oid]


def test_price_limit_stops_matching() -> None:
    book = OrderBook("BTC")
    rest(book, ALICE, False, "100", "1")
    rest(book, ALICE, False, "102", "1")
    res = book.match(user=BOB, is_buy=True, limit_px=D("101"), sz=D("5"))
    assert res.filled == D("1") and res.remaining == D("4")
    assert book.bbo() == (None, D("102"))


def test_ioc_use_is_match_without_add() -> None:
    book = OrderBook("BTC")
    rest(book, ALICE, False, "100", "1")
    res = book.match(user=BOB, is_buy=True, limit_px=D("100"), sz=D("3"))
    assert res.filled == D("1") and res.remaining == D("2")
    # The caller drops the remainder of an IOC: nothing of BOB's rests.
    assert book.orders_of(BOB) == [] and len(book) == 0
    # An IOC that finds nothing gets an empty result (the caller reports iocCancelRejected).
    res = book.match(user=BOB, is_buy=True, limit_px=D("100"), sz=D("3"))
    assert res.fills == [] and res.remaining == D("3")
    assert book.last_trade_px == D("100")


def test_gtc_rests_remainder_after_partial_fill() -> None:
    book = OrderBook("BTC")
    rest(book, ALICE, False, "100", "1")
    res = book.match(user=BOB, is_buy=True, limit_px=D("100.5"), sz=D("3"))
    taker = order(BOB, True, "100.5", res.remaining)
    taker.orig_sz = D("3")
    book.add(taker)
    assert book.bbo() == (D("100.5"), None)
    assert book.orders_of(BOB) == [taker]
    assert book.l2() == ([(D("100.5"), D("2"), 1)], [])


def test_would_cross_for_alo() -> None:
    book = OrderBook("BTC")
    assert not book.would_cross(True, D("1000000"))
    assert not book.would_cross(False, D("1"))
    rest(book, ALICE, True, "99", "1")
    rest(book, ALICE, False, "101", "1")
    assert book.would_cross(True, D("101")) and book.would_cross(True, D("102"))
    assert not book.would_cross(True, D("100.9"))
    assert book.would_cross(False, D("99")) and book.would_cross(False, D("98"))
    assert not book.would_cross(False, D("99.1"))
    # The ALO check ignores ownership: ALICE's own ask also makes her post-only bid cross.
    assert book.would_cross(True, D("101"))


def test_add_refuses_crossing_duplicate_and_empty_orders() -> None:
    book = OrderBook("BTC")
    rest(book, ALICE, False, "101", "1")
    with pytest.raises(ValueError, match="would cross"):
        book.add(order(BOB, True, "101", "1"))
    o = rest(book, BOB, True, "100", "1")
    with pytest.raises(ValueError, match="duplicate oid"):
        book.add(order(BOB, True, "99", "1", oid=o.oid))
    with pytest.raises(ValueError, match="size must be positive"):
        book.add(order(BOB, True, "99", "0"))
    with pytest.raises(ValueError, match="size must be positive"):
        book.match(user=BOB, is_buy=True, limit_px=D("101"), sz=D("0"))
    assert len(book) == 2


def test_cancel_get_orders_of() -> None:
    book = OrderBook("BTC")
    a1 = rest(book, ALICE, True, "99", "1")
    b1 = rest(book, BOB, True, "99", "2")
    a2 = rest(book, ALICE, False, "101", "1")
    assert book.orders_of(ALICE) == [a1, a2] and book.orders_of(CAROL) == []
    assert book.get(b1.oid) is b1 and b1.oid in book
    assert book.cancel(a1.oid) is a1
    assert book.cancel(a1.oid) is None
    assert book.cancel(123456789) is None
    assert book.orders_of(ALICE) == [a2]
    assert book.l2() == ([(D("99"), D("2"), 1)], [(D("101"), D("1"), 1)])
    assert book.cancel(b1.oid) is b1
    assert book.bbo() == (None, D("101"))
    assert len(book) == 1 and book.all_orders() == [a2]


def test_cancel_in_middle_of_level_keeps_fifo() -> None:
    book = OrderBook("BTC")
    first, middle, last = (rest(book, u, False, "100", "1") for u in (ALICE, BOB, CAROL))
    book.cancel(middle.oid)
    res = book.match(user="0x" + "d" * 40, is_buy=True, limit_px=D("100"), sz=D("2"))
    assert [f.maker.oid for f in res.fills] == [first.oid, last.oid]
    assert len(book) == 0 and book.bbo() == (None, None)


# ---------------------------------------------------------------- self-trade, margin, caps


def test_self_trade_expires_maker_and_taker_continues() -> None:
    book = OrderBook("BTC")
    own = rest(book, ALICE, False, "100", "1")
    other = rest(book, BOB, False, "100", "1")
    own_worse = rest(book, ALICE, False, "101", "1")
    third = rest(book, CAROL, False, "101", "1")
    res = book.match(user=ALICE, is_buy=True, limit_px=D("101"), sz=D("1.5"))
    assert res.self_trade_cancels == [own, own_worse]
    assert fills_of(res) == [(other.oid, D("100"), D("1")), (third.oid, D("101"), D("0.5"))]
    assert own.sz == D("1")  # not filled: expired with its full remaining size
    assert book.get(own.oid) is None and book.get(own_worse.oid) is None
    assert book.orders_of(ALICE) == []
    assert res.margin_cancels == [] and res.remaining == 0


def test_self_trade_only_on_crossing_levels() -> None:
    book = OrderBook("BTC")
    other = rest(book, BOB, False, "100", "1")
    own_far = rest(book, ALICE, False, "105", "1")
    res = book.match(user=ALICE, is_buy=True, limit_px=D("100"), sz=D("1"))
    assert fills_of(res) == [(other.oid, D("100"), D("1"))]
    assert res.self_trade_cancels == [] and book.get(own_far.oid) is own_far


def test_self_trade_after_taker_is_done_is_not_cancelled() -> None:
    book = OrderBook("BTC")
    rest(book, BOB, False, "100", "1")
    own = rest(book, ALICE, False, "100", "1")
    res = book.match(user=ALICE, is_buy=True, limit_px=D("100"), sz=D("1"))
    assert res.self_trade_cancels == [] and book.get(own.oid) is own


def test_maker_ok_false_removes_maker_and_continues() -> None:
    book = OrderBook("BTC")
    broke = rest(book, ALICE, False, "100", "1")
    fine = rest(book, BOB, False, "100", "1")
    asked: list[tuple[int, Decimal, Decimal]] = []

    def maker_ok(maker: RestingOrder, px: Decimal, sz: Decimal) -> bool:
        asked.append((maker.oid, px, sz))
        return maker.user != ALICE

    res = book.match(user=CAROL, is_buy=True, limit_px=D("100"), sz=D("0.25"), maker_ok=maker_ok)
    assert asked == [(broke.oid, D("100"), D("0.25")), (fine.oid, D("100"), D("0.25"))]
    assert res.margin_cancels == [broke] and broke.sz == D("1")
    assert fills_of(res) == [(fine.oid, D("100"), D("0.25"))]
    assert book.get(broke.oid) is None and book.orders_of(ALICE) == []
    assert book.l2()[1] == [(D("100"), D("0.75"), 1)]


def test_max_fill_caps_and_zero_stops() -> None:
    book = OrderBook("BTC")
    m1 = rest(book, ALICE, False, "100", "1")
    m2 = rest(book, BOB, False, "101", "1")
    position = {"left": D("1.4")}  # e.g. a reduce-only buy closing a 1.4 short
    calls: list[tuple[Decimal, Decimal]] = []

    def max_fill(px: Decimal, want: Decimal) -> Decimal:
        calls.append((px, want))
        allowed = min(want, position["left"])
        return allowed

    def on_fill(res: MatchResult) -> None:
        for f in res.fills:
            position["left"] -= f.sz

    res = book.match(user=CAROL, is_buy=True, limit_px=D("105"), sz=D("1.4"), max_fill=max_fill)
    on_fill(res)
    assert fills_of(res) == [(m1.oid, D("100"), D("1")), (m2.oid, D("101"), D("0.4"))]
    assert calls == [(D("100"), D("1")), (D("101"), D("0.4"))]

    # Now the position is flat: the cap returns 0 and matching stops with nothing taken.
    calls.clear()
    res = book.match(user=CAROL, is_buy=True, limit_px=D("105"), sz=D("1"), max_fill=max_fill)
    assert res.fills == [] and res.remaining == D("1") and calls == [(D("101"), D("0.6"))]
    assert m2.sz == D("0.6") and book.get(m2.oid) is m2


def test_max_fill_partial_cap_then_stops_mid_level() -> None:
    book = OrderBook("BTC")
    m1 = rest(book, ALICE, False, "100", "1")
    m2 = rest(book, BOB, False, "100", "1")
    budget = [D("1.5")]

    def max_fill(px: Decimal, want: Decimal) -> Decimal:
        return min(want, budget[0])

    def maker_ok(maker: RestingOrder, px: Decimal, sz: Decimal) -> bool:
        budget[0] -= sz  # the fill is about to happen
        return True

    res = book.match(
        user=CAROL,
        is_buy=True,
        limit_px=D("100"),
        sz=D("2"),
        max_fill=max_fill,
        maker_ok=maker_ok,
    )
    assert fills_of(res) == [(m1.oid, D("100"), D("1")), (m2.oid, D("100"), D("0.5"))]
    assert res.remaining == D("0.5")
    assert book.get(m2.oid) is m2 and m2.sz == D("0.5")


def test_fill_is_frozen_and_references_the_maker() -> None:
    book = OrderBook("BTC")
    m = rest(book, ALICE, False, "100", "1")
    res = book.match(user=BOB, is_buy=True, limit_px=D("100"), sz=D("1"))
    f = res.fills[0]
    assert f == Fill(m, D("100"), D("1")) and f.maker is m and m.sz == 0
    with pytest.raises(AttributeError):
        f.sz = D("2")  # type: ignore[misc]


# ---------------------------------------------------------------- l2, depth, impact


def _btc_book() -> OrderBook:
    book = OrderBook("BTC")
    for px, sz in [
        ("97123.5", "0.1"),
        ("97123.5", "0.2"),
        ("97101", "0.3"),
        ("97099", "0.4"),
        ("96999", "0.5"),
        ("95500", "1"),
    ]:
        rest(book, ALICE, True, px, sz)
    for px, sz in [
        ("97124", "0.1"),
        ("97150.5", "0.2"),
        ("97200", "0.3"),
        ("97201", "0.4"),
        ("98000.5", "0.5"),
        ("100500", "1"),
    ]:
        rest(book, BOB, False, px, sz)
    return book


def test_l2_raw_levels_sorted_with_counts() -> None:
    bids, asks = _btc_book().l2()
    assert bids[:3] == [
        (D("97123.5"), D("0.3"), 2),
        (D("97101"), D("0.3"), 1),
        (D("97099"), D("0.4"), 1),
    ]
    assert [px for px, _, _ in bids] == sorted((px for px, _, _ in bids), reverse=True)
    assert [px for px, _, _ in asks] == sorted(px for px, _, _ in asks)
    assert asks[0] == (D("97124"), D("0.1"), 1)
    assert _btc_book().l2(n_levels=2) == (bids[:2], asks[:2])


def test_l2_at_most_20_levels_by_default() -> None:
    book = OrderBook("ETH")
    for i in range(30):
        rest(book, ALICE, True, str(1000 - i), "1")
        rest(book, BOB, False, str(1001 + i), "1")
    bids, asks = book.l2()
    assert len(bids) == 20 and len(asks) == 20
    assert bids[0][0] == D("1000") and bids[-1][0] == D("981")
    assert asks[0][0] == D("1001") and asks[-1][0] == D("1020")


def test_l2_nsigfigs_2_gives_buckets_of_1000_for_btc() -> None:
    book = _btc_book()
    bids, asks = book.l2(n_sig_figs=2)
    # Bids round down, asks round up; 100500 has 6 digits so its 2-figure bucket is 10000.
    assert bids == [(D("97000"), D("1.0"), 4), (D("96000"), D("0.5"), 1), (D("95000"), D("1"), 1)]
    assert asks == [(D("98000"), D("1.0"), 4), (D("99000"), D("0.5"), 1), (D("110000"), D("1"), 1)]
    _assert_totals_match(book, bids, asks)


def test_l2_nsigfigs_3_gives_buckets_of_100_for_btc() -> None:
    book = _btc_book()
    bids, asks = book.l2(n_sig_figs=3)
    assert bids == [
        (D("97100"), D("0.6"), 3),
        (D("97000"), D("0.4"), 1),
        (D("96900"), D("0.5"), 1),
        (D("95500"), D("1"), 1),
    ]
    assert asks == [
        (D("97200"), D("0.6"), 3),
        (D("97300"), D("0.4"), 1),
        (D("98100"), D("0.5"), 1),
        (D("101000"), D("1"), 1),
    ]
    _assert_totals_match(book, bids, asks)
    assert all("E" not in str(px) for px, _, _ in bids + asks)


def test_l2_nsigfigs_5_with_mantissa() -> None:
    book = _btc_book()
    bids5, asks5 = book.l2(n_sig_figs=5)
    assert bids5[0] == (D("97123"), D("0.3"), 2) and asks5[0] == (D("97124"), D("0.1"), 1)
    assert book.l2(n_sig_figs=5, mantissa=1) == (bids5, asks5)
    bids, asks = book.l2(n_sig_figs=5, mantissa=2)
    assert bids[0] == (D("97122"), D("0.3"), 2) and asks[0] == (D("97124"), D("0.1"), 1)
    bids, asks = book.l2(n_sig_figs=5, mantissa=5)
    assert bids[:2] == [(D("97120"), D("0.3"), 2), (D("97100"), D("0.3"), 1)]
    assert asks[:2] == [(D("97125"), D("0.1"), 1), (D("97155"), D("0.2"), 1)]
    _assert_totals_match(book, bids, asks)


def test_l2_small_prices_and_level_limit_after_grouping() -> None:
    book = OrderBook("DOGE")
    for i in range(50):
        rest(book, ALICE, False, str(D("0.12340") + D("0.00001") * i), "100")
    # 0.12340 .. 0.12389: three figures put every ask in the 0.124 bucket (asks round up).
    assert book.l2(n_sig_figs=3)[1] == [(D("0.124"), D("5000"), 50)]
    # Four figures: 0.1234 alone, then 0.12341 .. 0.12350 -> 0.1235, and so on.
    asks = book.l2(n_sig_figs=4)[1]
    assert asks[:2] == [(D("0.1234"), D("100"), 1), (D("0.1235"), D("1000"), 10)]
    assert asks[-1] == (D("0.1239"), D("900"), 9)
    assert book.l2(n_levels=2, n_sig_figs=4)[1] == asks[:2]


def _assert_totals_match(
    book: OrderBook,
    bids: list[tuple[Decimal, Decimal, int]],
    asks: list[tuple[Decimal, Decimal, int]],
) -> None:
    orders = book.all_orders()
    assert sum(n for _, _, n in bids) == sum(o.is_buy for o in orders)
    assert sum(n for _, _, n in asks) == sum(not o.is_buy for o in orders)
    assert sum((sz for _, sz, _ in bids), D(0)) == sum((o.sz for o in orders if o.is_buy), D(0))
    assert sum((sz for _, sz, _ in asks), D(0)) == sum((o.sz for o in orders if not o.is_buy), D(0))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_sig_figs": 1}, "nSigFigs must be one of"),
        ({"n_sig_figs": 6}, "nSigFigs must be one of"),
        ({"n_sig_figs": True}, "nSigFigs must be one of"),
        ({"mantissa": 2}, "only allowed with nSigFigs=5"),
        ({"n_sig_figs": 4, "mantissa": 2}, "only allowed with nSigFigs=5"),
        ({"n_sig_figs": 5, "mantissa": 3}, "mantissa must be one of"),
        ({"n_sig_figs": 5, "mantissa": True}, "mantissa must be one of"),
        ({"n_levels": 0}, "n_levels must be a positive integer"),
    ],
)
def test_l2_rejects_bad_arguments(kwargs: dict[str, int], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        _btc_book().l2(**kwargs)


def _naive_bucket(px: Decimal, n_sig_figs: int, mantissa: int, up: bool) -> Decimal:
    with localcontext() as ctx:
        ctx.prec = 60
        width = mantissa * Decimal(10) ** (px.adjusted() - n_sig_figs + 1)
        units = (px / width).to_integral_value(ROUND_CEILING if up else ROUND_FLOOR)
        return units * width


_prices = st.builds(
    lambda digits, exp: Decimal(digits).scaleb(exp),
    st.integers(1, 99_999),
    st.integers(-6, 1),
)


@settings(max_examples=200, deadline=None)
@given(
    pxs=st.lists(st.tuples(_prices, st.integers(1, 3)), min_size=1, max_size=40),
    figs=st.sampled_from([(2, None), (3, None), (4, None), (5, None), (5, 1), (5, 2), (5, 5)]),
    n_levels=st.integers(1, 25),
)
def test_property_grouping_matches_per_level_rounding(
    pxs: list[tuple[Decimal, int]], figs: tuple[int, int | None], n_levels: int
) -> None:
    """Grouping computes one rounding per bucket; check it against rounding every level."""
    n_sig_figs, mantissa = figs
    for is_buy in (True, False):
        book = OrderBook("X")
        for px, lots in pxs:
            book.add(order(ALICE, is_buy, px, D(lots)))
        got = book.l2(n_levels, n_sig_figs, mantissa)[0 if is_buy else 1]
        expected: dict[Decimal, tuple[Decimal, int]] = {}
        for px, lots in pxs:
            b = _naive_bucket(px, n_sig_figs, mantissa or 1, up=not is_buy)
            sz, n = expected.get(b, (D(0), 0))
            expected[b] = (sz + lots, n + 1)
        want = [(b, *expected[b]) for b in sorted(expected, reverse=is_buy)][:n_levels]
        assert got == want
        assert all("E" not in str(px) for px, _, _ in got)


def test_depth_levels_feed_impact_price() -> None:
    book = OrderBook("ETH")
    rest(book, ALICE, False, "2000", "5")  # $10k
    rest(book, ALICE, False, "2000", "5")  # $10k more at the same level
    rest(book, ALICE, False, "2010", "10")
    rest(book, BOB, True, "1990", "2")  # $3,980
    rest(book, BOB, True, "1980", "2")
    assert list(book.depth_levels(False)) == [(D("2000"), D("10")), (D("2010"), D("10"))]
    assert list(book.depth_levels(True)) == [(D("1990"), D("2")), (D("1980"), D("2"))]
    assert impact_price(book.depth_levels(False), D("20000")) == D("2000")
    # $6k of bids: 2 @ 1990 ($3,980) then $2,020 of the 1980 level.
    expected = D("6000") / (D("2") + D("2020") / D("1980"))
    got = impact_price(book.depth_levels(True), D("6000"))
    assert got is not None and abs(got - expected) < D("1e-20")
    assert D("1980") < got < D("1990")
    # Too thin for $20k on the bid side ($7,940 in total): no impact price.
    assert impact_price(book.depth_levels(True), D("20000")) is None


# ---------------------------------------------------------------- property test vs a model


@dataclass
class _ModelOrder:
    oid: int
    user: str
    is_buy: bool
    px: Decimal
    sz: Decimal


class _Model:
    """A naive book: a flat list, re-sorted on every match. Obviously right, obviously slow."""

    def __init__(self) -> None:
        self.orders: list[_ModelOrder] = []

    def match(
        self,
        user: str,
        is_buy: bool,
        limit: Decimal,
        sz: Decimal,
        refuse_mod: int,
        cap: Decimal | None,
    ) -> tuple[list[tuple[int, Decimal, Decimal]], list[int], list[int], Decimal]:
        crossing = [
            o
            for o in self.orders
            if o.is_buy != is_buy and (o.px <= limit if is_buy else o.px >= limit)
        ]
        # Python's sort is stable and self.orders is in placement order: time priority.
        crossing.sort(key=lambda o: o.px if is_buy else -o.px)
        fills: list[tuple[int, Decimal, Decimal]] = []
        stp: list[int] = []
        margin: list[int] = []
        left = sz
        for o in crossing:
            if not left:
                break
            if o.user == user:
                stp.append(o.oid)
                self.orders.remove(o)
                continue
            want = min(left, o.sz)
            if cap is not None:
                taken = sum((f[2] for f in fills), Decimal(0))
                want = min(want, cap - taken)
                if want <= 0:
                    break
            if refuse_mod and o.oid % refuse_mod == 0:
                margin.append(o.oid)
                self.orders.remove(o)
                continue
            o.sz -= want
            left -= want
            fills.append((o.oid, o.px, want))
            if not o.sz:
                self.orders.remove(o)
            else:
                # A maker left with size means the taker is done or its cap is used up; the
                # book stays on this maker (time priority) and stops, never reaching later ones.
                break
        return fills, stp, margin, left

    def levels(self, bids: bool) -> list[tuple[Decimal, Decimal, int]]:
        agg: dict[Decimal, tuple[Decimal, int]] = {}
        for o in self.orders:
            if o.is_buy == bids:
                sz, n = agg.get(o.px, (Decimal(0), 0))
                agg[o.px] = (sz + o.sz, n + 1)
        pxs = sorted(agg, reverse=bids)
        return [(px, agg[px][0], agg[px][1]) for px in pxs]


_USERS = [ALICE, BOB, CAROL]

_place = st.tuples(
    st.just("place"),
    st.integers(0, 2),  # user
    st.booleans(),  # is_buy
    st.integers(95, 105),  # price in ticks of 0.5
    st.integers(1, 8),  # size in lots of 0.1
    st.sampled_from(["Gtc", "Gtc", "Ioc", "Alo"]),
    st.sampled_from([0, 0, 3, 4]),  # maker_ok refuses oids divisible by this (0 = never)
    st.one_of(st.none(), st.integers(0, 6)),  # max_fill cap in lots (taker total)
)
_cancel = st.tuples(st.just("cancel"), st.integers(0, 50))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=st.lists(st.one_of(_place, _place, _cancel), min_size=1, max_size=60))
def test_property_book_matches_model_and_keeps_invariants(ops: list[tuple[object, ...]]) -> None:
    book = OrderBook("BTC")
    model = _Model()
    next_oid = itertools.count(1)
    added = filled = cancelled = D(0)
    tick, lot = D("0.5"), D("0.1")

    for op in ops:
        if op[0] == "cancel":
            live = [o.oid for o in book.all_orders()]
            idx = op[1]
            assert isinstance(idx, int)
            oid = live[idx % len(live)] if live and idx < 40 else 10_000 + idx
            got = book.cancel(oid)
            model_hit = [o for o in model.orders if o.oid == oid]
            assert (got is None) == (not model_hit)
            if got is not None:
                cancelled += got.sz
                model.orders.remove(model_hit[0])
            continue

        _, u, is_buy, ticks, lots, tif, refuse_mod, cap_lots = op
        assert isinstance(u, int) and isinstance(ticks, int) and isinstance(lots, int)
        assert isinstance(is_buy, bool) and isinstance(tif, str) and isinstance(refuse_mod, int)
        user, px, sz = _USERS[u], tick * ticks, lot * lots
        oid = next(next_oid)

        if tif == "Alo":
            if book.would_cross(is_buy, px):
                bid, ask = book.bbo()
                assert (
                    (ask is not None and ask <= px) if is_buy else (bid is not None and bid >= px)
                )
                continue
            book.add(order(user, is_buy, px, sz, oid=oid, tif="Alo"))
            model.orders.append(_ModelOrder(oid, user, is_buy, px, sz))
            added += sz
        else:
            assert cap_lots is None or isinstance(cap_lots, int)
            cap = None if cap_lots is None else lot * cap_lots
            taken = [D(0)]

            def max_fill(
                p: Decimal, want: Decimal, cap: Decimal | None = cap, taken: list[Decimal] = taken
            ) -> Decimal:
                assert cap is not None
                return min(want, cap - taken[0])

            def maker_ok(
                m: RestingOrder,
                p: Decimal,
                s: Decimal,
                mod: int = refuse_mod,
                taken: list[Decimal] = taken,
            ) -> bool:
                ok = not (mod and m.oid % mod == 0)
                if ok:
                    taken[0] += s  # the fill follows a yes
                return ok

            res = book.match(
                user=user,
                is_buy=is_buy,
                limit_px=px,
                sz=sz,
                maker_ok=maker_ok,
                max_fill=None if cap is None else max_fill,
            )
            m_fills, m_stp, m_margin, m_left = model.match(
                user,
                is_buy,
                px,
                sz,
                refuse_mod,
                cap,
            )
            assert fills_of(res) == m_fills
            assert [o.oid for o in res.self_trade_cancels] == m_stp
            assert [o.oid for o in res.margin_cancels] == m_margin
            assert res.remaining == m_left
            assert all(f.maker.user != user for f in res.fills)
            assert all((f.px <= px) if is_buy else (f.px >= px) for f in res.fills)
            filled += sum((f.sz for f in res.fills), D(0))
            cancelled += sum((o.sz for o in res.self_trade_cancels + res.margin_cancels), D(0))
            # A capped taker behaves like reduce-only IOC; only an uncapped GTC rests.
            if tif == "Gtc" and cap is None and res.remaining > 0:
                book.add(order(user, is_buy, px, res.remaining, oid=oid))
                model.orders.append(_ModelOrder(oid, user, is_buy, px, res.remaining))
                added += res.remaining

        _check_invariants(book, model, added, filled, cancelled)


def _check_invariants(
    book: OrderBook, model: _Model, added: Decimal, filled: Decimal, cancelled: Decimal
) -> None:
    bid, ask = book.bbo()
    assert bid is None or ask is None or bid < ask, "book is crossed"
    resting = sum((o.sz for o in book.all_orders()), D(0))
    assert added == filled + cancelled + resting, "size not conserved"
    bids, asks = book.l2(n_levels=10_000)
    assert bids == model.levels(True) and asks == model.levels(False)
    assert all(o.sz > 0 for o in book.all_orders())
    assert len(book) == len(model.orders)
    # FIFO: inside each level, orders sit in placement (oid) order.
    for side in (book._bids, book._asks):
        assert side.keys == sorted(side.levels)
        for level in side.levels.values():
            oids = list(level.orders)
            assert oids == sorted(oids) and oids
            assert level.total == sum((o.sz for o in level.orders.values()), D(0))
    for user in _USERS:
        assert [o.oid for o in book.orders_of(user)] == sorted(
            o.oid for o in model.orders if o.user == user
        )


# ---------------------------------------------------------------- timing sanity (not a test)


def benchmark(levels: int = 200, per_level: int = 5, rounds: int = 20_000) -> dict[str, float]:
    """µs per operation on a book with ``levels`` price levels per side; prints, never asserts.

    The common venue case is a small taker that partially fills the head of the best level, so
    that is timed separately from a sweep through three levels (each followed by re-adding the
    consumed makers to keep the book the same shape).
    """
    book = OrderBook("BTC")
    oids = itertools.count(1)
    users = [f"0x{i:040x}" for i in range(50)]
    base = D("97000")
    for i in range(levels):
        for j in range(per_level):
            u = users[(i * per_level + j) % len(users)]
            book.add(order(u, True, base - i, "1", oid=next(oids)))
            book.add(order(u, False, base + 1 + i, "1", oid=next(oids)))
    taker = "0x" + "f" * 40
    out: dict[str, float] = {}

    small = D("0.001")
    t0 = time.perf_counter()
    for k in range(rounds):
        book.match(
            user=taker, is_buy=bool(k & 1), limit_px=D("97010") if k & 1 else D("96990"), sz=small
        )
    out["match_partial_head"] = (time.perf_counter() - t0) / rounds * 1e6

    def ok(m: RestingOrder, px: Decimal, sz: Decimal) -> bool:
        return True

    def cap(px: Decimal, want: Decimal) -> Decimal:
        return want

    t0 = time.perf_counter()
    for k in range(rounds):
        book.match(
            user=taker,
            is_buy=bool(k & 1),
            limit_px=D("97010") if k & 1 else D("96990"),
            sz=small,
            maker_ok=ok,
            max_fill=cap,
        )
    out["match_partial_head_with_callbacks"] = (time.perf_counter() - t0) / rounds * 1e6

    sweep_rounds = rounds // 10
    t_match = 0.0
    for _ in range(sweep_rounds):
        bid, ask = book.bbo()
        assert bid is not None and ask is not None
        t0 = time.perf_counter()
        res = book.match(user=taker, is_buy=True, limit_px=ask + 2, sz=D(3 * per_level))
        t_match += time.perf_counter() - t0
        for f in res.fills:  # refill what was consumed, at the back of the queue
            book.add(order(f.maker.user, False, f.px, "1", oid=next(oids)))
    out["match_sweep_3_levels_15_makers"] = t_match / sweep_rounds * 1e6

    fresh = [
        order(users[k % 50], True, base - 300 - (k % 400), "1", oid=next(oids))
        for k in range(rounds)
    ]
    t0 = time.perf_counter()
    for o in fresh:
        book.add(o)
    out["add"] = (time.perf_counter() - t0) / rounds * 1e6
    t0 = time.perf_counter()
    for o in fresh:
        book.cancel(o.oid)
    out["cancel"] = (time.perf_counter() - t0) / rounds * 1e6

    t0 = time.perf_counter()
    for _ in range(2000):
        book.l2()
    out["l2_20_levels"] = (time.perf_counter() - t0) / 2000 * 1e6
    t0 = time.perf_counter()
    for _ in range(2000):
        book.l2(n_sig_figs=3)
    out["l2_nsigfigs_3"] = (time.perf_counter() - t0) / 2000 * 1e6

    for name, us in out.items():
        print(f"{name:36s} {us:8.2f} µs")
    return out


if __name__ == "__main__":
    benchmark()

"""The venue's ledgers: trades, margin, funding and liquidation keep every dollar accounted for."""

from __future__ import annotations

import contextlib
from decimal import Decimal

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from wallet_perps.core.risk import Tier, TierSchedule
from wallet_perps.core.venue_rules import MAKER_FEE, TAKER_FEE
from wallet_perps.localvenue.clearinghouse import (
    Clearinghouse,
    ClearinghouseError,
    MarketRules,
)

D = Decimal
ALICE = "0x" + "a1" * 20
BOB = "0x" + "b2" * 20
HLP = "0x" + "f0" * 20


def _venue() -> Clearinghouse:
    ch = Clearinghouse(
        [
            MarketRules("BTC", 0, 5, TierSchedule((Tier(D(0), 40), Tier(D(150_000_000), 20)))),
            MarketRules("ETH", 1, 4, TierSchedule.single(25)),
        ]
    )
    ch.set_prices({"BTC": D(100000), "ETH": D(4000)}, {"BTC": D(100000), "ETH": D(4000)})
    return ch


def _trade(ch: Clearinghouse, buyer: str, seller: str, coin: str, px: Decimal, sz: Decimal) -> None:
    ch.apply_fill(buyer, coin, True, px, sz, TAKER_FEE)
    ch.apply_fill(seller, coin, False, px, sz, MAKER_FEE)


def test_a_round_trip_pays_fees_and_books_closed_pnl() -> None:
    ch = _venue()
    ch.deposit(ALICE, D(10000))
    ch.deposit(BOB, D(10000))
    opened = ch.apply_fill(ALICE, "BTC", True, D(100000), D("0.1"), TAKER_FEE)
    ch.apply_fill(BOB, "BTC", False, D(100000), D("0.1"), MAKER_FEE)
    assert opened.direction == "Open Long" and opened.start_position == 0
    assert opened.fee == D("4.5")
    ch.set_prices({"BTC": D(101000)}, {})
    state = ch.summary_numbers(ALICE)
    assert state["account_value"] == D(10000) - D("4.5") + D(100)  # fee paid, 0.1 * +1000 PnL
    closed = ch.apply_fill(ALICE, "BTC", False, D(101000), D("0.1"), TAKER_FEE)
    ch.apply_fill(BOB, "BTC", True, D(101000), D("0.1"), MAKER_FEE)
    assert closed.direction == "Close Long"
    assert closed.closed_pnl == D(100)
    assert ch.total_usdc() == D(20000)


def test_flip_and_averaged_entry() -> None:
    ch = _venue()
    ch.deposit(ALICE, D(100000))
    ch.deposit(BOB, D(100000))
    _trade(ch, ALICE, BOB, "ETH", D(4000), D(1))
    _trade(ch, ALICE, BOB, "ETH", D(4200), D(1))
    assert ch.account(ALICE).positions["ETH"].entry_px == D(4100)
    flip = ch.apply_fill(ALICE, "ETH", False, D(4300), D(3), TAKER_FEE)
    ch.apply_fill(BOB, "ETH", True, D(4300), D(3), MAKER_FEE)
    assert flip.direction == "Long > Short"
    assert flip.closed_pnl == D(400)  # 2 ETH closed at +200 each
    position = ch.account(ALICE).positions["ETH"]
    assert position.szi == D(-1) and position.entry_px == D(4300)
    assert ch.total_usdc() == D(200000)


def test_orders_are_refused_in_the_venues_words() -> None:
    ch = _venue()
    ch.deposit(ALICE, D(100))
    with pytest.raises(ClearinghouseError, match=r"^Insufficient margin to place order\.$"):
        ch.check_order(ALICE, "BTC", True, D("0.1"), D(100000), reduce_only=False)
    ch.check_order(ALICE, "BTC", True, D("0.01"), D(100000), reduce_only=False)  # $50 at 20x
    with pytest.raises(ClearinghouseError, match="Reduce only order would increase position"):
        ch.check_order(ALICE, "BTC", True, D("0.01"), D(100000), reduce_only=True)
    with pytest.raises(ClearinghouseError, match="Invalid leverage value"):
        ch.update_leverage(ALICE, "BTC", True, 41)


def test_isolated_position_has_its_own_margin_and_liquidation_price() -> None:
    ch = _venue()
    ch.deposit(ALICE, D(10000))
    ch.deposit(BOB, D(10000))
    ch.update_leverage(ALICE, "ETH", False, 10)
    _trade(ch, ALICE, BOB, "ETH", D(4000), D(1))
    position = ch.account(ALICE).positions["ETH"]
    assert position.isolated_raw_usd is not None
    # $400 margin moved in, $4000 cost and $1.8 fee paid out of the isolated ledger
    assert position.isolated_raw_usd == D(400) - D(4000) - D("1.8")
    liq = ch.liquidation_px(ALICE, "ETH")
    assert liq is not None and D(3600) < liq < D(4000)
    before = ch.account(ALICE).cross_raw_usd
    ch.update_isolated_margin(ALICE, "ETH", D(100))
    assert ch.account(ALICE).cross_raw_usd == before - D(100)
    deeper = ch.liquidation_px(ALICE, "ETH")
    assert deeper is not None and deeper < liq
    with pytest.raises(ClearinghouseError):
        ch.update_isolated_margin(ALICE, "ETH", D(-450))  # would leave less than 10x margin
    _trade(ch, BOB, ALICE, "ETH", D(4000), D(1))  # close: everything returns to cross
    assert ch.account(ALICE).positions["ETH"].isolated_raw_usd is None
    assert ch.total_usdc() == D(20000)


def test_funding_flows_from_longs_to_shorts_and_nets_to_zero() -> None:
    ch = _venue()
    ch.deposit(ALICE, D(10000))
    ch.deposit(BOB, D(10000))
    _trade(ch, ALICE, BOB, "BTC", D(100000), D("0.1"))
    before = ch.total_usdc()
    effects = ch.apply_funding("BTC", D("0.0000125"))
    paid = {e.user: e.usdc for e in effects}
    assert paid[ALICE] == D("-0.125") and paid[BOB] == D("0.125")
    assert ch.total_usdc() == before
    assert ch.account(ALICE).positions["BTC"].funding.since_open == D("0.125")


def test_withdrawal_keeps_back_transfer_margin() -> None:
    ch = _venue()
    ch.deposit(ALICE, D(1000))
    ch.deposit(BOB, D(10000))
    _trade(ch, ALICE, BOB, "BTC", D(100000), D("0.05"))  # $5000 at 20x
    # held back: max(IM $250, 10% of notional $500) = $500
    assert ch.withdrawable(ALICE) == D(1000) - D("2.25") - D(500)
    with pytest.raises(ClearinghouseError, match="Insufficient balance for withdrawal"):
        ch.debit(ALICE, D(600))
    ch.debit(ALICE, D(400))


def test_mark_past_liquidation_price_triggers_market_then_backstop() -> None:
    ch = _venue()
    ch.deposit(ALICE, D(300))
    ch.deposit(BOB, D(100000))
    _trade(ch, ALICE, BOB, "BTC", D(100000), D("0.05"))  # $5000 notional, $300 equity
    liq = ch.liquidation_px(ALICE, "BTC")
    assert liq is not None
    ch.set_prices({"BTC": liq + 1}, {})
    assert ch.liquidations_due(ALICE) == []
    ch.set_prices({"BTC": liq - 1}, {})
    [order] = ch.liquidations_due(ALICE)
    assert order.method == "market" and order.coin == "BTC" and not order.is_buy
    assert order.size == D("0.05")
    ch.set_prices({"BTC": liq - 500}, {})  # equity below 2/3 of maintenance (~$59)
    [order] = ch.liquidations_due(ALICE)
    assert order.method == "backstop"
    total = ch.total_usdc()
    ch.backstop(ALICE, None, HLP)
    assert ch.summary_numbers(ALICE)["account_value"] == 0
    assert ch.account(HLP).positions["BTC"].szi == D("0.05")
    assert ch.total_usdc() == total


class ClearinghouseMachine(RuleBasedStateMachine):
    """Random trades, prices, funding, transfers and liquidations never create or lose USDC."""

    users = (ALICE, BOB, "0x" + "c3" * 20)

    def __init__(self) -> None:
        super().__init__()
        self.ch = _venue()
        self.deposited = D(0)
        for user in self.users:
            self.ch.deposit(user, D(5000))
            self.deposited += D(5000)

    @rule(
        buyer=st.sampled_from(users),
        seller=st.sampled_from(users),
        coin=st.sampled_from(["BTC", "ETH"]),
        size=st.integers(1, 120),
        px_move=st.integers(-30, 30),
    )
    def trade(self, buyer: str, seller: str, coin: str, size: int, px_move: int) -> None:
        if buyer == seller:
            return
        mark = self.ch.marks[coin]
        px = (mark * (1 + D(px_move) / 1000)).quantize(D(1))
        sz = D(size) / (1000 if coin == "BTC" else 100)
        try:
            self.ch.check_order(buyer, coin, True, sz, px, reduce_only=False)
            self.ch.check_order(seller, coin, False, sz, px, reduce_only=False)
        except ClearinghouseError:
            return
        _trade(self.ch, buyer, seller, coin, px, sz)

    @rule(coin=st.sampled_from(["BTC", "ETH"]), move=st.integers(-150, 150))
    def move_price(self, coin: str, move: int) -> None:
        px = (self.ch.marks[coin] * (1 + D(move) / 1000)).quantize(D(1))
        self.ch.set_prices({coin: px}, {coin: px})

    @rule(coin=st.sampled_from(["BTC", "ETH"]), rate=st.integers(-400, 400))
    def funding(self, coin: str, rate: int) -> None:
        self.ch.apply_funding(coin, D(rate) / 1_000_000)

    @rule(user=st.sampled_from(users), coin=st.sampled_from(["BTC", "ETH"]), lev=st.integers(1, 25))
    def leverage(self, user: str, coin: str, lev: int) -> None:
        with contextlib.suppress(ClearinghouseError):
            self.ch.update_leverage(user, coin, lev % 2 == 0, lev)

    @rule(user=st.sampled_from(users), amount=st.integers(1, 3000))
    def withdraw(self, user: str, amount: int) -> None:
        try:
            self.ch.debit(user, D(amount))
        except ClearinghouseError:
            return
        self.deposited -= D(amount)

    @rule()
    def liquidate(self) -> None:
        for user in self.users:
            for order in self.ch.liquidations_due(user):
                if order.method == "backstop" or order.coin is None:
                    self.ch.backstop(user, order.coin, HLP)
                else:
                    self.ch.apply_fill(
                        user,
                        order.coin,
                        order.is_buy,
                        self.ch.marks[order.coin],
                        order.size,
                        TAKER_FEE,
                    )
                    self.ch.apply_fill(
                        HLP,
                        order.coin,
                        not order.is_buy,
                        self.ch.marks[order.coin],
                        order.size,
                        D(0),
                    )
                break

    @invariant()
    def usdc_is_conserved(self) -> None:
        assert self.ch.total_usdc() == self.deposited

    @invariant()
    def every_long_has_a_short(self) -> None:
        for coin in ("BTC", "ETH"):
            total = sum(
                (a.positions[coin].szi for a in self.ch.accounts.values() if coin in a.positions),
                D(0),
            )
            assert total == 0

    @invariant()
    def withdrawable_never_exceeds_the_transfer_rule(self) -> None:
        for user in self.users:
            risk = self.ch.risk(user)
            held = sum(
                (max(p.initial_margin, p.position_value / 10) for p in risk.cross_positions), D(0)
            )
            assert self.ch.withdrawable(user) <= max(D(0), risk.cross_account_value - held)


TestClearinghouseMachine = ClearinghouseMachine.TestCase
TestClearinghouseMachine.settings = settings(max_examples=60, stateful_step_count=40, deadline=None)

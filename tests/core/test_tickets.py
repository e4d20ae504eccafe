"""validate_ticket: readable refusals, rounding directions, and estimates that match core.risk."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from wallet_perps.core.models import (
    AccountState,
    AssetContext,
    BookLevel,
    L2Book,
    Leverage,
    LeverageType,
    MarginSummary,
    Market,
    Position,
    Side,
)
from wallet_perps.core.numbers import is_valid_price, is_valid_size
from wallet_perps.core.orders import OpenOrder
from wallet_perps.core.risk import AccountRisk, PositionRisk, TierSchedule
from wallet_perps.core.ticket_replay import available_to_trade
from wallet_perps.core.ticket_validation import validate_ticket
from wallet_perps.core.tickets import (
    AmountUnit,
    OrderKind,
    OrderPlan,
    Ticket,
    TicketError,
    TicketSide,
)
from wallet_perps.core.venue_rules import MAKER_FEE, TAKER_FEE

D = Decimal
BTC = Market("BTC", 0, 5, 40)
ETH = Market("ETH", 1, 4, 25)


def ctx(coin: str = "BTC", px: str = "100000", funding: str = "0.0000125") -> AssetContext:
    return AssetContext(
        coin=coin,
        mark_px=D(px),
        oracle_px=D(px),
        funding=D(funding),
        open_interest=D(10),
        prev_day_px=D(px),
        day_ntl_vlm=D(0),
        mid_px=D(px),
    )


def book(coin: str = "BTC", mid: int = 100000, step: int = 10, sz: str = "0.01") -> L2Book:
    asks = tuple(BookLevel(D(mid + step * (i + 1)), D(sz), 1) for i in range(5))
    bids = tuple(BookLevel(D(mid - step * (i + 1)), D(sz), 1) for i in range(5))
    return L2Book(coin, 0, bids, asks)


def summary(cash: str, value: str | None = None, used: str = "0") -> MarginSummary:
    return MarginSummary(D(value or cash), D(0), D(cash), D(used))


def account(cash: str = "1000", positions: tuple[Position, ...] = ()) -> AccountState:
    return AccountState(positions, summary(cash), summary(cash), D(cash))


def plan_of(result: OrderPlan | TicketError) -> OrderPlan:
    assert isinstance(result, OrderPlan), result
    return result


def error_of(result: OrderPlan | TicketError) -> TicketError:
    assert isinstance(result, TicketError), result
    return result


def test_an_order_below_ten_dollars_is_refused_with_its_value() -> None:
    ticket = Ticket("BTC", TicketSide.LONG, D(5))
    error = error_of(validate_ticket(ticket, BTC, ctx(), book(), account()))
    assert error.message == "Minimum order value is $10.00 (this order is $5.00)."
    assert error.field == "amount"


def test_ten_dollars_typed_is_not_refused_because_of_lot_rounding() -> None:
    # $10 / 100000 = 0.0001 BTC exactly; at a price where rounding lands below $10 the
    # ticket takes one more lot instead of refusing.
    plan = plan_of(
        validate_ticket(
            Ticket("BTC", TicketSide.LONG, D(10), kind=OrderKind.LIMIT, limit_px=D(99_999)),
            BTC,
            ctx(),
            book(),
            account(),
        )
    )
    assert plan.size * plan.price >= 10


def test_a_market_sell_whose_slippage_price_is_under_ten_dollars_says_why() -> None:
    ticket = Ticket("BTC", TicketSide.SHORT, D(10), slippage_pct=D(5))
    error = error_of(validate_ticket(ticket, BTC, ctx(), book(), account()))
    assert "worst price your slippage allows" in error.message


def test_leverage_above_the_market_maximum_is_refused() -> None:
    ticket = Ticket("BTC", TicketSide.LONG, D(100), leverage=60)
    error = error_of(validate_ticket(ticket, BTC, ctx(), book(), account()))
    assert error.message == "Leverage 60x is above BTC's maximum of 40x."
    assert error.field == "leverage"


def test_isolated_only_markets_refuse_cross() -> None:
    market = replace(BTC, only_isolated=True)
    error = error_of(
        validate_ticket(Ticket("BTC", TicketSide.LONG, D(100)), market, ctx(), book(), account())
    )
    assert "isolated margin" in error.message


@pytest.mark.parametrize(
    ("side", "expected"), [(TicketSide.LONG, D("3456.8")), (TicketSide.SHORT, D("3456.7"))]
)
def test_limit_prices_round_up_for_buys_and_down_for_sells(
    side: TicketSide, expected: Decimal
) -> None:
    ticket = Ticket(
        "ETH", side, D("0.01"), AmountUnit.COIN, kind=OrderKind.LIMIT, limit_px=D("3456.75")
    )
    plan = plan_of(
        validate_ticket(ticket, ETH, ctx("ETH", "3456"), book("ETH", 3456, 1, "1"), account())
    )
    assert plan.price == expected
    assert is_valid_price(plan.price, ETH.sz_decimals)
    assert any("tick size" in w for w in plan.warnings)


@pytest.mark.parametrize("side", [TicketSide.LONG, TicketSide.SHORT])
def test_market_slippage_price_is_a_valid_tick_on_the_safe_side(side: TicketSide) -> None:
    ticket = Ticket("ETH", side, D(500), slippage_pct=D("1.234"))
    plan = plan_of(
        validate_ticket(ticket, ETH, ctx("ETH", "3456.1"), book("ETH", 3456, 1, "1"), account())
    )
    raw = plan.reference_px * (1 + D("0.01234") * (1 if side is TicketSide.LONG else -1))
    assert is_valid_price(plan.price, ETH.sz_decimals)
    if side is TicketSide.LONG:
        assert plan.price >= raw and plan.price - raw < D("0.1")
    else:
        assert plan.price <= raw and raw - plan.price < D("0.1")
    assert plan.tif == "Ioc"
    assert plan.max_slippage_pct is not None and plan.max_slippage_pct >= D("1.234")


def test_coin_sizes_round_down_to_the_lot() -> None:
    ticket = Ticket("BTC", TicketSide.LONG, D("0.0123456"), AmountUnit.COIN)
    plan = plan_of(validate_ticket(ticket, BTC, ctx(), book(sz="1"), account("100000")))
    assert plan.size == D("0.01234")
    assert is_valid_size(plan.size, BTC.sz_decimals)


def test_usd_amount_becomes_a_lot_sized_coin_amount() -> None:
    plan = plan_of(
        validate_ticket(Ticket("BTC", TicketSide.LONG, D(1000)), BTC, ctx(), book(), account())
    )
    assert plan.size == D("0.01")
    assert plan.action_label == "Open Long 0.01 BTC"


@pytest.mark.parametrize(
    ("side", "tp", "sl", "message"),
    [
        (TicketSide.LONG, "99000", None, "Take-profit must be above the entry for a long"),
        (TicketSide.LONG, None, "101000", "Stop-loss must be below the entry for a long"),
        (TicketSide.SHORT, "101000", None, "Take-profit must be below the entry for a short"),
        (TicketSide.SHORT, None, "99000", "Stop-loss must be above the entry for a short"),
    ],
)
def test_take_profit_and_stop_loss_must_be_on_the_right_side(
    side: TicketSide, tp: str | None, sl: str | None, message: str
) -> None:
    ticket = Ticket(
        "BTC",
        side,
        D(500),
        take_profit_px=D(tp) if tp else None,
        stop_loss_px=D(sl) if sl else None,
    )
    error = error_of(validate_ticket(ticket, BTC, ctx(), book(), account()))
    assert error.message.startswith(message)


def test_valid_tp_and_sl_become_reduce_only_market_triggers() -> None:
    ticket = Ticket(
        "BTC", TicketSide.LONG, D(500), take_profit_px=D("110000.4"), stop_loss_px=D(95000)
    )
    plan = plan_of(validate_ticket(ticket, BTC, ctx(), book(), account()))
    assert plan.take_profit is not None and plan.stop_loss is not None
    assert plan.take_profit.trigger_px == D(110000)
    assert plan.take_profit.limit_px == D(99000)  # sells up to 10% below the trigger
    assert plan.stop_loss.limit_px == D(85500)


def test_cross_estimates_replay_the_fills_through_core_risk() -> None:
    acct = account("1000")
    ticket = Ticket("BTC", TicketSide.LONG, D("0.015"), AmountUnit.COIN, leverage=10)
    plan = plan_of(validate_ticket(ticket, BTC, ctx(), book(), acct))
    # Walks two levels: 0.01 at 100010 and 0.005 at 100020.
    assert plan.fills[0].px == D(100010) and plan.fills[1].sz == D("0.005")
    notional = D("0.01") * 100010 + D("0.005") * 100020
    assert plan.est_entry_px == notional / D("0.015")
    fee = (D("0.01") * 100010 * TAKER_FEE).quantize(D("0.000001")) + (
        D("0.005") * 100020 * TAKER_FEE
    ).quantize(D("0.000001"))
    assert plan.fee == fee
    assert plan.margin_required == notional / 10
    cash = D(1000) - notional - fee
    expected = AccountRisk(
        cash,
        (
            PositionRisk(
                "BTC", D("0.015"), plan.est_entry_px, D(100000), 10, TierSchedule.single(40)
            ),
        ),
    ).liquidation_price("BTC")
    assert plan.liquidation_px == expected
    assert expected is not None and expected < plan.est_entry_px


def test_cross_liquidation_counts_the_other_positions() -> None:
    eth = Position(
        coin="ETH",
        szi=D(-1),
        entry_px=D(3000),
        leverage=Leverage(LeverageType.CROSS, 10),
        liquidation_px=None,
        margin_used=D(300),
        position_value=D(3100),
        return_on_equity=D(0),
        unrealized_pnl=D(-100),
        max_leverage=25,
    )
    acct = AccountState(
        (eth,), summary("5000", "1900", "310"), summary("5000", "1900", "310"), D(0)
    )
    ticket = Ticket("BTC", TicketSide.LONG, D(10000), leverage=10)
    deep = book(sz="1")
    plan = plan_of(validate_ticket(ticket, BTC, ctx(), deep, acct))
    # The same equity (1900) without the short: the short's maintenance margin is missing.
    alone = plan_of(validate_ticket(ticket, BTC, ctx(), deep, account("1900")))
    assert plan.liquidation_px is not None and alone.liquidation_px is not None
    assert plan.liquidation_px > alone.liquidation_px


def test_isolated_estimate_uses_the_positions_own_margin() -> None:
    ticket = Ticket(
        "BTC",
        TicketSide.SHORT,
        D("0.01"),
        AmountUnit.COIN,
        leverage=20,
        margin_mode=LeverageType.ISOLATED,
    )
    plan = plan_of(validate_ticket(ticket, BTC, ctx(), book(), account("1000")))
    px = D(99990)
    fee = (px * D("0.01") * TAKER_FEE).quantize(D("0.000001"))
    raw = px * D("0.01") / 20 + px * D("0.01") - fee
    expected = TierSchedule.single(40).solve_liquidation(D("-0.01"), raw)
    assert plan.liquidation_px == expected
    assert expected is not None and expected > px


def test_a_resting_limit_order_is_estimated_at_its_price_with_the_maker_fee() -> None:
    ticket = Ticket(
        "BTC", TicketSide.LONG, D("0.01"), AmountUnit.COIN, kind=OrderKind.LIMIT, limit_px=D(99000)
    )
    plan = plan_of(validate_ticket(ticket, BTC, ctx(), book(), account()))
    assert plan.tif == "Gtc" and plan.est_entry_px == D(99000)
    assert plan.fee == D(990) * MAKER_FEE
    assert plan.max_slippage_pct is None


def test_funding_per_hour_is_negative_for_a_long_when_funding_is_positive() -> None:
    plan = plan_of(
        validate_ticket(Ticket("BTC", TicketSide.LONG, D(1000)), BTC, ctx(), book(), account())
    )
    assert plan.funding_per_hour == -D("0.01") * 100000 * D("0.0000125")
    short = plan_of(
        validate_ticket(Ticket("BTC", TicketSide.SHORT, D(1000)), BTC, ctx(), book(), account())
    )
    assert short.funding_per_hour > 0


def test_not_enough_margin_names_both_amounts() -> None:
    ticket = Ticket("BTC", TicketSide.LONG, D(1000), leverage=10)
    error = error_of(validate_ticket(ticket, BTC, ctx(), book(), account("50")))
    # The venue checks margin at the order's price: the 5% slippage bound, not the mid.
    assert error.message == "Not enough available margin: need $105.00, have $50.00."


def test_reduce_only_needs_an_opposite_position() -> None:
    ticket = Ticket("BTC", TicketSide.SHORT, D(100), reduce_only=True)
    error = error_of(validate_ticket(ticket, BTC, ctx(), book(), account()))
    assert "no BTC position" in error.message


def test_no_liquidity_within_slippage_is_refused() -> None:
    empty = L2Book("BTC", 0, book().bids, ())
    error = error_of(
        validate_ticket(Ticket("BTC", TicketSide.LONG, D(100)), BTC, ctx(), empty, account())
    )
    assert "liquidity" in error.message


def _btc_long(leverage: int) -> Position:
    return Position(
        coin="BTC",
        szi=D("0.01"),
        entry_px=D(100000),
        leverage=Leverage(LeverageType.CROSS, leverage),
        liquidation_px=None,
        margin_used=D(100),
        position_value=D(1000),
        return_on_equity=D(0),
        unrealized_pnl=D(0),
        max_leverage=40,
    )


def test_an_order_that_changes_an_open_positions_leverage_says_so_before_sending() -> None:
    acct = account("5000", (_btc_long(10),))
    deep = book(sz="1")
    at_40 = plan_of(
        validate_ticket(Ticket("BTC", TicketSide.LONG, D(100), leverage=40), BTC, ctx(), deep, acct)
    )
    assert len(at_40.confirm_reasons) == 1
    reason = at_40.confirm_reasons[0]
    assert "leverage from 10x to 40x" in reason and reason in at_40.warnings
    same = plan_of(
        validate_ticket(Ticket("BTC", TicketSide.LONG, D(100), leverage=10), BTC, ctx(), deep, acct)
    )
    assert same.confirm_reasons == ()
    # Reducing the position does not re-set its leverage.
    reduce = Ticket(
        "BTC", TicketSide.SHORT, D("0.005"), unit=AmountUnit.COIN, leverage=40, reduce_only=True
    )
    assert plan_of(validate_ticket(reduce, BTC, ctx(), deep, acct)).confirm_reasons == ()
    # No position: nothing to change.
    fresh = Ticket("BTC", TicketSide.LONG, D(100), leverage=40)
    assert plan_of(validate_ticket(fresh, BTC, ctx(), deep, account("5000"))).confirm_reasons == ()


def test_a_take_profit_far_from_the_mark_is_asked_about() -> None:
    far = Ticket("BTC", TicketSide.LONG, D(100), take_profit_px=D(9000099000))
    plan = plan_of(validate_ticket(far, BTC, ctx(), book(sz="1"), account("5000")))
    assert plan.confirm_reasons == (
        "Take-profit $9,000,099,000 is 8,999,999% above the mark price $100,000: check it is "
        "the price you meant.",
    )
    near = Ticket("BTC", TicketSide.LONG, D(100), take_profit_px=D(150000), stop_loss_px=D(90000))
    assert (
        plan_of(validate_ticket(near, BTC, ctx(), book(sz="1"), account("5000"))).confirm_reasons
        == ()
    )


def test_available_to_trade_is_one_number_for_the_ticket_and_the_wallet() -> None:
    """Equity minus margin in use minus what resting orders hold, by one rule: the ticket's
    "Available", its validator and the Wallet page's "Available to trade" agree."""
    acct = AccountState(
        (_btc_long(10),),
        summary("5000", "5000", "100"),
        summary("5000", "5000", "100"),
        D(4000),
    )
    # An opening buy of 0.02 BTC at $90,000 holds $180 at the position's 10x; a reduce-only
    # sell holds nothing; an order in a coin with no position is the ticket's own at its
    # leverage, and is left out by the Wallet page, which has no leverage for it.
    orders = (
        OpenOrder("BTC", Side.BUY, D(90000), D("0.02"), 1, 0),
        OpenOrder("BTC", Side.SELL, D(110000), D("0.01"), 2, 0, reduce_only=True),
        OpenOrder("ETH", Side.SELL, D(4000), D(1), 3, 0),
    )
    assert available_to_trade(acct, orders) == D(5000 - 100 - 180)
    assert available_to_trade(acct, orders, "BTC", 10) == D(5000 - 100 - 180)
    assert available_to_trade(acct, orders, "ETH", 5) == D(5000 - 100 - 180 - 800)
    # What the ticket offers is exactly what the validator lets through. A resting short at
    # $4,100 holds size x 4,100 / 5: 4.79 ETH needs $3,927.80, more than the $3,920 offered.
    eth_book = book("ETH", 4000, 1, "10")

    def short(size: str) -> OrderPlan | TicketError:
        ticket = Ticket(
            "ETH",
            TicketSide.SHORT,
            D(size),
            unit=AmountUnit.COIN,
            leverage=5,
            kind=OrderKind.LIMIT,
            limit_px=D(4100),
        )
        return validate_ticket(ticket, ETH, ctx("ETH", "4000"), eth_book, acct, open_orders=orders)

    error = short("4.79")
    assert isinstance(error, TicketError), error
    assert error.message == "Not enough available margin: need $3,927.80, have $3,920.00."
    assert isinstance(short("4.77"), OrderPlan)


def test_with_a_position_open_the_liquidation_price_reads_now_then_after() -> None:
    """Adding to, reducing or closing a position moves its liquidation price: the ticket and
    the review sheet show where it is now and where this order puts it."""
    from dataclasses import replace

    from wallet_perps.ui.ticket_view import estimate_texts

    held = replace(_btc_long(10), liquidation_px=D("90000"))
    acct = account("300", (held,))  # $1,000 long on $300: a $500 add has a liquidation price
    deep = book(sz="1")
    add = plan_of(validate_ticket(Ticket("BTC", TicketSide.LONG, D(500)), BTC, ctx(), deep, acct))
    assert add.liquidation_before == D(90000) and add.liquidation_px is not None
    now, after = estimate_texts(add)["liquidation"].split(" → ")
    assert now == "$90,000" and after.startswith("$")
    close = Ticket("BTC", TicketSide.SHORT, D("0.01"), unit=AmountUnit.COIN, reduce_only=True)
    closing = plan_of(validate_ticket(close, BTC, ctx(), deep, acct))
    assert estimate_texts(closing)["liquidation"] == "$90,000 → closed"
    # No position: one price (or none), as before; no account: nothing claimed.
    fresh = plan_of(
        validate_ticket(Ticket("BTC", TicketSide.LONG, D(500)), BTC, ctx(), deep, account())
    )
    assert fresh.liquidation_before is None and " → " not in estimate_texts(fresh)["liquidation"]
    assert estimate_texts(fresh, account_known=False)["liquidation"] == "— (unlock your wallet)"

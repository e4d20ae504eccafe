"""The services against a real local venue process: tickets -> Trader -> venue -> AccountStore.

Every test talks to ``wallet-perps-venue`` over loopback. The quiet (``--no-flow``) venue gets
its liquidity from a funded maker whose resting orders the test places itself, so fills and
therefore the pre-trade estimates are exact and repeatable.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
from collections.abc import AsyncIterator
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import pytest
from eth_account import Account

from tests.answer_proxy import AnswerProxy
from tests.polling import eventually
from tests.venue_process import VenueProcess, faucet
from wallet_perps.core.answers import Resting
from wallet_perps.core.models import LeverageType
from wallet_perps.core.networks import ws_url_for
from wallet_perps.core.ticket_validation import validate_ticket
from wallet_perps.core.tickets import (
    AmountUnit,
    OrderKind,
    OrderPlan,
    Ticket,
    TicketError,
    TicketSide,
)
from wallet_perps.hyperliquid.actions import LimitType, OrderSpec, order_action
from wallet_perps.hyperliquid.exchange_answers import check_statuses
from wallet_perps.hyperliquid.http import HyperliquidHttp
from wallet_perps.hyperliquid.nonces import NonceManager
from wallet_perps.hyperliquid.sender import KeySigner
from wallet_perps.hyperliquid.signing import l1_digest
from wallet_perps.services.account import AccountEvent
from wallet_perps.services.session import TradingSession
from wallet_perps.services.trader import Trader
from wallet_perps.services.trader_results import OrderState

D = Decimal
T = TypeVar("T")
FAST_WS: dict[str, Any] = {"backoff": (0.05, 0.3), "ack_timeout": 5.0}
#: How long the session may take to show what the venue did.
WAIT_S = 5.0


# --------------------------------------------------------------------------------- helpers


def new_key() -> tuple[bytes, str]:
    account = Account.create()
    return bytes(account.key), account.address.lower()


class Maker:
    """A funded account that rests the liquidity the test trades against."""

    def __init__(self, url: str) -> None:
        self.key, self.address = new_key()
        self.signer = KeySigner(self.key)
        self.nonces = NonceManager()
        self.url = url

    async def rest(self, http: HyperliquidHttp, *orders: tuple[bool, Decimal, str]) -> None:
        specs = [OrderSpec(0, is_buy, px, D(sz), LimitType("Gtc")) for is_buy, px, sz in orders]
        nonce = self.nonces.next_nonce(self.address)
        action = order_action(specs)
        digest = l1_digest(action, nonce, is_mainnet=False)
        payload = {
            "action": action,
            "nonce": nonce,
            "signature": dict(self.signer.sign_l1_digest(digest, is_mainnet=False)),
            "vaultAddress": None,
        }
        outcomes = check_statuses(await http.exchange(payload), expected=len(specs))
        assert all(isinstance(o, Resting) for o in outcomes), outcomes


async def btc_oracle(http: HyperliquidHttp) -> Decimal:
    _, contexts = await http.meta_and_asset_ctxs()
    return next(c.oracle_px for c in contexts if c.coin == "BTC")


async def make_book(url: str, http: HyperliquidHttp) -> Decimal:
    """Rests asks and bids around the BTC oracle; returns the integer centre price."""
    maker = Maker(url)
    await faucet(url, maker.address, "10000000")
    centre = (await btc_oracle(http)).to_integral_value()
    await maker.rest(
        http,
        *[(False, centre + 10 * i, "0.02") for i in range(1, 6)],
        *[(True, centre - 10 * i, "0.02") for i in range(1, 6)],
    )
    return centre


def session_for(url: str, key: bytes, user: str, **kwargs: Any) -> TradingSession:
    kwargs.setdefault("ws_options", FAST_WS)
    return TradingSession(url, KeySigner(key), user, False, contexts_poll_s=0, **kwargs)


async def plan_for(session: TradingSession, ticket: Ticket, *, with_account: bool = True) -> Any:
    market = session.market
    await market.watch(ticket.coin)
    await eventually(
        lambda: asyncio.sleep(0, market.book(ticket.coin) is not None), "the BTC book", WAIT_S
    )
    ctx = market.context(ticket.coin)
    assert ctx is not None
    return validate_ticket(
        ticket,
        market.market(ticket.coin),
        ctx,
        market.book(ticket.coin),
        session.account.state if with_account else None,
        meta=market.meta,
        open_orders=session.account.open_orders,
    )


async def resting_buy_plan(session: TradingSession) -> OrderPlan:
    """A 0.001 BTC limit buy 10% under the oracle: a valid plan that rests and never fills."""
    centre = await btc_oracle(session.http)
    ticket = Ticket(
        "BTC",
        TicketSide.LONG,
        D("0.001"),
        AmountUnit.COIN,
        kind=OrderKind.LIMIT,
        limit_px=(centre * D("0.9")).to_integral_value(),
    )
    plan = await plan_for(session, ticket)
    assert isinstance(plan, OrderPlan), plan
    return plan


@pytest.fixture
async def trader_session(venue: VenueProcess) -> AsyncIterator[TradingSession]:
    key, user = new_key()
    await faucet(venue.url, user, "10000")
    async with session_for(venue.url, key, user) as session:
        yield session


# --------------------------------------------------------------------------------- tests


async def test_market_long_becomes_a_position_with_the_venues_liquidation_price(
    venue: VenueProcess,
) -> None:
    key, user = new_key()
    await faucet(venue.url, user, "1000")
    async with session_for(venue.url, key, user) as session:
        await _market_long(venue, session)


async def _market_long(venue: VenueProcess, session: TradingSession) -> None:
    await make_book(venue.url, session.http)
    ticket = Ticket("BTC", TicketSide.LONG, D("0.05"), AmountUnit.COIN, leverage=25)
    plan = await plan_for(session, ticket)
    assert isinstance(plan, OrderPlan), plan
    assert plan.liquidation_px is not None and len(plan.fills) == 3

    result = await session.trader.place(plan)
    assert result.state is OrderState.FILLED, result
    assert result.filled_sz == D("0.05") and result.avg_px == plan.est_entry_px

    position = await eventually(
        lambda: asyncio.sleep(0, session.account.position("BTC")), "the position", WAIT_S
    )
    assert position is not None
    venue_state = await session.http.clearinghouse_state(session.user)
    venue_position = venue_state.position("BTC")
    assert venue_position is not None and venue_position.liquidation_px is not None
    assert position.szi == D("0.05")
    assert position.leverage.value == 25  # the Trader set it first (the venue default is 20)
    assert position.liquidation_px == venue_position.liquidation_px
    # The pre-trade estimate: same formula, same fills, same fees.
    error = abs(plan.liquidation_px - venue_position.liquidation_px) / venue_position.liquidation_px
    assert error < D("0.005")
    assert error < D("0.000001")
    assert await session.account.venue_diff() == []


async def test_a_limit_order_shows_in_open_orders_and_cancels(
    trader_session: TradingSession,
) -> None:
    session = trader_session
    plan = await resting_buy_plan(session)
    result = await session.trader.place(plan)
    assert result.state is OrderState.RESTING and result.oid is not None, result

    orders = await eventually(
        lambda: asyncio.sleep(0, session.account.open_orders), "the open order", WAIT_S
    )
    assert [o.oid for o in orders] == [result.oid]
    assert orders[0].limit_px == plan.price and orders[0].sz == D("0.001")
    # The frontend details arrive too (the stream only has the basic shape).
    await eventually(
        lambda: asyncio.sleep(0, session.account.open_orders[0].order_type == "Limit"),
        "order details",
        WAIT_S,
    )

    cancelled = await session.trader.cancel(result.oid)
    assert cancelled.ok, cancelled
    await eventually(
        lambda: asyncio.sleep(0, not session.account.open_orders), "the order to disappear", WAIT_S
    )
    assert await session.account.venue_diff() == []


async def test_close_position_closes_it(
    venue: VenueProcess, trader_session: TradingSession
) -> None:
    session = trader_session
    await make_book(venue.url, session.http)
    plan = await plan_for(session, Ticket("BTC", TicketSide.SHORT, D(1500), leverage=5))
    assert isinstance(plan, OrderPlan), plan
    assert (await session.trader.place(plan)).state is OrderState.FILLED
    await eventually(lambda: asyncio.sleep(0, session.account.position("BTC")), "the short", WAIT_S)

    half = await session.trader.close_position("BTC", D("0.5"))
    assert half.state is OrderState.FILLED, half
    closed = await session.trader.close_position("BTC")
    assert closed.state is OrderState.FILLED, closed
    assert half.filled_sz + closed.filled_sz == plan.size
    await eventually(
        lambda: asyncio.sleep(0, session.account.position("BTC") is None), "a flat account", WAIT_S
    )
    assert await session.account.venue_diff() == []


async def test_a_five_dollar_ticket_is_refused_and_nothing_is_sent(
    trader_session: TradingSession,
) -> None:
    session = trader_session
    before = await session.http.user_rate_limit(session.user)
    result = await plan_for(session, Ticket("BTC", TicketSide.LONG, D(5)))
    assert isinstance(result, TicketError)
    assert result.message.startswith("Minimum order value is $10.00 (this order is $")
    after = await session.http.user_rate_limit(session.user)
    assert after.n_requests_used == before.n_requests_used
    assert await session.http.open_orders(session.user) == []


async def test_venue_rejections_come_back_in_the_venues_words(
    trader_session: TradingSession,
) -> None:
    session = trader_session
    centre = await btc_oracle(session.http)
    huge = Ticket(
        "BTC",
        TicketSide.LONG,
        D(5),
        AmountUnit.COIN,
        leverage=40,
        kind=OrderKind.LIMIT,
        limit_px=(centre * D("0.95")).to_integral_value(),
    )
    plan = await plan_for(session, huge, with_account=False)  # validation without the account
    assert isinstance(plan, OrderPlan), plan
    result = await session.trader.place(plan)
    assert result.state is OrderState.REJECTED
    assert result.message == "Order rejected: Insufficient margin to place order."
    assert result.venue_text is not None and result.venue_text.endswith("asset=0")

    small = await plan_for(
        session,
        Ticket("BTC", TicketSide.SHORT, D(20), kind=OrderKind.LIMIT, limit_px=centre.to_integral()),
    )
    assert isinstance(small, OrderPlan)
    reduce_when_flat = await session.trader.place(replace(small, reduce_only=True))
    assert reduce_when_flat.state is OrderState.REJECTED
    assert reduce_when_flat.message == "Order rejected: Reduce only order would increase position."

    leverage = await session.trader.place(replace(small, leverage=41))
    assert leverage.state is OrderState.REJECTED
    assert "Invalid leverage value" in leverage.message
    assert await session.http.open_orders(session.user) == []


async def test_a_lost_answer_is_reconciled_by_cloid_and_never_sent_twice() -> None:
    venue = VenueProcess("--no-flow")
    try:
        key, user = new_key()
        await faucet(venue.url, user, "10000")
        session = session_for(venue.url, key, user, http_timeout=0.5)
        async with session:
            plan = await resting_buy_plan(session)
            await session.trader.set_leverage("BTC", plan.leverage, LeverageType.CROSS)

            # Freeze the venue: the order reaches its socket but no answer comes back in time.
            os.kill(venue.proc.pid, signal.SIGSTOP)
            loop = asyncio.get_running_loop()
            loop.call_later(1.5, os.kill, venue.proc.pid, signal.SIGCONT)
            result = await session.trader.place(plan)
            assert result.reconciled, result
            assert result.state is OrderState.RESTING, result

            # Retrying the same order (same cloid) asks the venue instead of sending again.
            again = await session.trader.place(plan, cloid=result.cloid)
            assert again.state is OrderState.RESTING and again.oid == result.oid
            orders = await session.http.frontend_open_orders(user)
            assert [o.cloid for o in orders] == [result.cloid]
            history = await session.http.historical_orders(user)
            assert [h.order.oid for h in history] == [result.oid]
            assert session.trader.in_flight == ()
    finally:
        os.kill(venue.proc.pid, signal.SIGCONT)
        venue.kill()


def nan_fill(request: dict[str, Any], answer: Any) -> str:
    """The venue's real answer with the fill size spoiled, as once seen in the wild."""
    statuses = answer["response"]["data"]["statuses"]
    assert "filled" in statuses[0], answer
    statuses[0]["filled"]["totalSz"] = "NaN"
    return json.dumps(answer)


async def test_a_garbled_fill_is_reconciled_by_cloid_not_believed(venue: VenueProcess) -> None:
    key, user = new_key()
    await faucet(venue.url, user, "10000")
    async with AnswerProxy(venue.url) as proxy:
        # Actions go through the proxy; the stream comes from the venue itself.
        session = session_for(proxy.url, key, user, ws_url=ws_url_for(venue.url))
        async with session:
            await make_book(venue.url, session.http)
            plan = await plan_for(
                session, Ticket("BTC", TicketSide.LONG, D("0.01"), AmountUnit.COIN)
            )
            assert isinstance(plan, OrderPlan), plan
            await session.trader.set_leverage("BTC", plan.leverage, plan.margin_mode)
            proxy.mode, proxy.spoil, proxy.rewrite = "rewrite", {"order"}, nan_fill
            sent_before = len(proxy.forwarded)

            result = await session.trader.place(plan)

            assert result.reconciled, result  # learned through orderStatus, not the answer
            assert result.state is OrderState.FILLED, result
            assert result.filled_sz == D("0.01") and result.avg_px is not None
            assert "NaN" not in result.message
            assert proxy.spoiled == ["order"] and proxy.forwarded[sent_before:] == ["order"]
            assert session.trader.in_flight == () and session.trader.undecided == ()
            position = await eventually(
                lambda: asyncio.sleep(0, session.account.position("BTC")), "the position", WAIT_S
            )
            assert position is not None and position.szi == D("0.01")


async def test_after_a_reconnect_the_account_equals_the_venue_again(
    tmp_path: Path, unused_tcp_port: int
) -> None:
    data = tmp_path / "venue"
    port = str(unused_tcp_port)
    venue = VenueProcess("--no-flow", "--port", port, data=data)
    try:
        key, user = new_key()
        await faucet(venue.url, user, "10000")
        session = session_for(
            venue.url, key, user, ws_options={"backoff": (2.0, 2.0), "ack_timeout": 5.0}
        )
        async with session:
            events: list[AccountEvent] = []
            session.account.events.subscribe(events.append)
            first = await resting_buy_plan(session)
            placed = await session.trader.place(first)
            assert placed.state is OrderState.RESTING
            await eventually(
                lambda: asyncio.sleep(0, session.account.open_orders), "the order", WAIT_S
            )
            resyncs = session.account.resyncs

            # Restart the venue on the same port and data: the stream drops.
            assert venue.stop() == 0
            await eventually(
                lambda: asyncio.sleep(0, not session.ws.connected), "the drop to be noticed", WAIT_S
            )
            assert session.account.stale
            venue = VenueProcess("--no-flow", "--port", port, data=data)
            # While the client waits to reconnect, the account changes behind its back (from
            # another device: a second Trader with its own connection).
            async with HyperliquidHttp(venue.url) as http:
                other = Trader(
                    http, KeySigner(key), user, NonceManager(), False, lambda: session.market.meta
                )
                cancelled = await other.cancel(placed.oid or 0, "BTC")
                assert cancelled.ok, cancelled
                moved = await other.place(replace(first, price=first.price - 100))
                assert moved.state is OrderState.RESTING
            assert [o.oid for o in session.account.open_orders] == [placed.oid]  # not seen yet

            await eventually(
                lambda: asyncio.sleep(
                    0, session.account.resyncs > resyncs and not session.account.stale
                ),
                "a resync after the reconnect",
                timeout_s=10,
            )
            assert session.ws.reconnects >= 1
            assert [o.oid for o in session.account.open_orders] == [moved.oid]
            assert await session.account.venue_diff() == []
            assert any(e.kind == "stale" for e in events)
    finally:
        venue.kill()


async def test_a_session_leaves_no_tasks_behind(venue: VenueProcess) -> None:
    before = set(asyncio.all_tasks())
    key, user = new_key()
    await faucet(venue.url, user, "100")
    async with session_for(venue.url, key, user) as session:
        await session.market.watch("BTC")
        await session.market.watch_candles("BTC", "1m", 3_600_000)
        assert session.market.book("BTC") is not None
        assert session.account.state is not None and not session.account.stale
    await asyncio.sleep(0)
    leftover = {t for t in asyncio.all_tasks() - before if not t.done()}
    current = asyncio.current_task()
    if current is not None:
        leftover.discard(current)
    assert leftover == set()

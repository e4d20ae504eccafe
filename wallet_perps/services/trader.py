"""Trader: a validated order plan -> a signed action -> a tracked order with a clear outcome.

The one rule that shapes this module: **an order is never sent twice by accident** (PROTOCOL
§13.2, §13.8). Every order carries a fresh client order id (cloid) and an ``expiresAfter``
deadline. When the venue's answer is lost or unreadable (timeout, dropped connection, gateway
error, a garbled status), the Trader does not resend: it asks ``orderStatus`` by cloid until
the venue either knows the order (and we report what became of it) or the deadline has passed
with the venue still not knowing it, at which point the venue will refuse that request forever
and the order is known not to exist. A later :meth:`Trader.place` with the same cloid
reconciles first too.

Other choices:

* Every action goes through the one :class:`ActionSender` (nonce, sign, post, classify), so
  "outcome unknown" means the same here as for transfers and agent approvals: reconcile, and
  tell the user it may have gone through. Cancels are reconciled against the open orders.
* Leverage and margin mode are per coin on the venue, so before an opening order the Trader
  checks the coin's setting (``activeAssetData``, cached briefly) and sends
  ``updateLeverage`` only when the plan differs.
* Outcomes are returned, not raised (:mod:`wallet_perps.services.trader_results` words them).
* Signing goes through :class:`L1Signer`, so the wallet's approved agent key, the master key
  or a demo key can be plugged in; the Trader only needs ``address`` and
  ``sign_l1_digest``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any, Final

from wallet_perps.core.answers import (
    Accepted,
    Answer,
    OrderError,
    OutcomeUnknown,
    Rejected,
    Success,
)
from wallet_perps.core.clock import wall_ms
from wallet_perps.core.models import LeverageType, Meta, Position
from wallet_perps.core.numbers import NumberError, round_price, round_size
from wallet_perps.core.orders import OrderStatus
from wallet_perps.core.tickets import OrderPlan
from wallet_perps.core.venue_rules import MARKET_SLIPPAGE
from wallet_perps.core.wire_values import normalize_address, normalize_cloid
from wallet_perps.hyperliquid.actions import (
    ActionError,
    Grouping,
    LimitType,
    OrderSpec,
    TriggerType,
    cancel_action,
    new_cloid,
    order_action,
    update_isolated_margin_action,
    update_leverage_action,
)
from wallet_perps.hyperliquid.errors import VenueError, readable
from wallet_perps.hyperliquid.http import HyperliquidHttp
from wallet_perps.hyperliquid.nonces import NonceManager
from wallet_perps.hyperliquid.sender import ActionSender, L1Signer
from wallet_perps.services.trader_results import (
    ActionResult,
    InFlightOrder,
    LeverageError,
    OrderResult,
    OrderState,
    action_failure,
    needs_avg_px,
    plain,
    result_from_outcome,
    result_from_status,
)

__all__ = ["CLOSE_SLIPPAGE_PCT", "Trader"]

log = logging.getLogger(__name__)

#: Default slippage of a market close, in percent (the SDK's 5%).
CLOSE_SLIPPAGE_PCT: Final = Decimal(5)
_HUNDRED: Final = Decimal(100)
#: Cloids remembered as sent, so a retry with one of them is reconciled instead of resent.
_SENT_KEPT: Final = 10_000


class Trader:
    """Places, cancels and manages orders for ``user``, signed by ``signer``.

    ``meta`` returns the current universe (asset ids, lot sizes); ``order_expiry_s`` is the
    ``expiresAfter`` window that bounds how long a lost order can stay undecided (None turns
    expiry off, e.g. for a local venue whose clock runs faster than the wall clock; an
    undecided order then stays UNKNOWN until reconciled). ``reconcile_timeout_s`` bounds how
    long :meth:`place` keeps asking before it reports UNKNOWN.
    """

    def __init__(
        self,
        http: HyperliquidHttp,
        signer: L1Signer,
        user: str,
        nonces: NonceManager,
        is_mainnet: bool,
        meta: Callable[[], Meta],
        *,
        order_expiry_s: float | None = 10.0,
        reconcile_timeout_s: float = 30.0,
        leverage_cache_s: float = 30.0,
    ) -> None:
        self._http = http
        self._signer = signer
        self.user = normalize_address(user)
        self._sender = ActionSender(http, nonces, is_mainnet=is_mainnet)
        self._meta = meta
        self._expiry_s = order_expiry_s
        self._reconcile_s = reconcile_timeout_s
        self._leverage_ttl = leverage_cache_s
        self._leverage: dict[str, tuple[LeverageType, int, float]] = {}
        self._in_flight: dict[str, InFlightOrder] = {}
        self._undecided: dict[str, InFlightOrder] = {}
        self._sent: OrderedDict[str, InFlightOrder] = OrderedDict()
        self._lock = asyncio.Lock()

    # ------------------------------------------------------------------ state

    @property
    def in_flight(self) -> tuple[InFlightOrder, ...]:
        """Orders sent and not yet answered."""
        return tuple(self._in_flight.values())

    @property
    def undecided(self) -> tuple[InFlightOrder, ...]:
        """Orders whose outcome could not be learned yet (reported UNKNOWN)."""
        return tuple(self._undecided.values())

    # ------------------------------------------------------------------ orders

    async def place(self, plan: OrderPlan, *, cloid: str | None = None) -> OrderResult:
        """Send ``plan`` (with its TP/SL children) and report what happened.

        Pass the ``cloid`` of an earlier UNKNOWN result to retry it safely: the venue is
        asked first, and the order is only sent if it certainly does not exist.
        """
        coin = plan.market.name
        cloid = normalize_cloid(cloid) if cloid is not None else new_cloid()
        if cloid in self._in_flight:
            return OrderResult(
                OrderState.UNKNOWN, coin, cloid, "This order is already being sent.", size=plan.size
            )
        if cloid in self._undecided or cloid in self._sent:
            # A retry: the venue may already have it. Send only if it certainly does not.
            known = await self.reconcile(cloid)
            if known.state is not OrderState.NOT_PLACED:
                return known
        if not plan.reduce_only:
            try:
                await self._ensure_leverage(coin, plan.leverage, plan.margin_mode)
            except LeverageError as exc:
                return OrderResult(
                    OrderState.REJECTED,
                    coin,
                    cloid,
                    exc.result.message,
                    size=plan.size,
                    venue_text=exc.result.venue_text,
                )
            except VenueError as exc:
                return OrderResult(
                    OrderState.NOT_PLACED,
                    coin,
                    cloid,
                    f"Could not check {coin}'s leverage, so nothing was sent: {exc}",
                    size=plan.size,
                )
        asset = plan.market.asset_id
        specs = [
            OrderSpec(
                asset,
                plan.is_buy,
                plan.price,
                plan.size,
                # A market order goes out as the venue's "FrontendMarket" (an IOC, PROTOCOL.md
                # §6.1): the venue then records it as a Market order, so History says what it
                # was instead of "Limit" at its slippage bound.
                LimitType("FrontendMarket" if plan.is_market else plan.tif),
                reduce_only=plan.reduce_only,
                cloid=cloid,
            )
        ]
        for leg in (plan.take_profit, plan.stop_loss):
            if leg is not None:
                specs.append(
                    OrderSpec(
                        asset,
                        not plan.is_buy,
                        leg.limit_px,
                        plan.size,
                        TriggerType(leg.trigger_px, True, leg.kind),
                        reduce_only=True,
                    )
                )
        grouping: Grouping = "normalTpsl" if len(specs) > 1 else "na"
        return await self._submit(coin, specs, grouping, cloid)

    async def close_position(
        self,
        coin: str,
        fraction: Decimal = Decimal(1),
        *,
        slippage_pct: Decimal = CLOSE_SLIPPAGE_PCT,
    ) -> OrderResult:
        """Close ``fraction`` of the position with a reduce-only IOC at mid ± slippage."""
        cloid = new_cloid()
        if not Decimal(0) < fraction <= 1:
            return OrderResult(
                OrderState.NOT_PLACED, coin, cloid, "Choose a part between 0 and 100%."
            )
        market = self._meta().market(coin)
        try:
            position = await self._position(coin)
            mid = await self._mid(coin)
        except VenueError as exc:
            return OrderResult(OrderState.NOT_PLACED, coin, cloid, f"Nothing was sent: {exc}")
        if position is None:
            return OrderResult(OrderState.NOT_PLACED, coin, cloid, f"You have no {coin} position.")
        is_buy = position.szi < 0
        try:
            size = (
                position.size
                if fraction == 1
                else round_size(position.size * fraction, market.sz_decimals, "down")
            )
            factor = 1 + slippage_pct / _HUNDRED if is_buy else 1 - slippage_pct / _HUNDRED
            price = round_price(
                mid * factor, market.sz_decimals, direction="up" if is_buy else "down"
            )
        except NumberError as exc:
            return OrderResult(OrderState.NOT_PLACED, coin, cloid, f"Nothing was sent: {exc}")
        spec = OrderSpec(
            market.asset_id,
            is_buy,
            price,
            size,
            LimitType("FrontendMarket"),  # recorded as a Market order, like the ticket's
            reduce_only=True,
            cloid=cloid,
        )
        return await self._submit(coin, [spec], "na", cloid)

    async def set_tpsl(
        self, coin: str, take_profit: Decimal | None = None, stop_loss: Decimal | None = None
    ) -> ActionResult:
        """Attach TP and/or SL to the whole position (``positionTpsl``: they resize with it).

        Existing position TP/SL of the same kind are cancelled once the new ones are placed,
        so the position is never left unprotected in between.
        """
        if take_profit is None and stop_loss is None:
            return ActionResult(False, "Enter a take-profit or a stop-loss price.")
        market = self._meta().market(coin)
        try:
            position = await self._position(coin)
            mark = await self._mid(coin)
        except VenueError as exc:
            return ActionResult(False, f"Nothing was sent: {exc}")
        if position is None:
            return ActionResult(False, f"You have no {coin} position.")
        long = position.szi > 0
        specs: list[OrderSpec] = []
        kinds: list[str] = []
        for kind, px in (("tp", take_profit), ("sl", stop_loss)):
            if px is None:
                continue
            name = "Take-profit" if kind == "tp" else "Stop-loss"
            above = (kind == "tp") == long
            if (above and px <= mark) or (not above and px >= mark):
                side = "long" if long else "short"
                where = "above" if above else "below"
                return ActionResult(
                    False, f"{name} must be {where} the current price {mark} for a {side}."
                )
            try:
                trigger = round_price(px, market.sz_decimals, direction="nearest")
                factor = 1 - MARKET_SLIPPAGE if long else 1 + MARKET_SLIPPAGE
                limit = round_price(
                    trigger * factor, market.sz_decimals, direction="down" if long else "up"
                )
            except NumberError as exc:
                return ActionResult(False, f"{name} price: {exc}")
            specs.append(
                OrderSpec(
                    market.asset_id,
                    not long,
                    limit,
                    position.size,
                    TriggerType(trigger, True, "tp" if kind == "tp" else "sl"),
                    reduce_only=True,
                )
            )
            kinds.append(kind)
        try:
            before = await self._http.frontend_open_orders(self.user)
        except VenueError as exc:
            return ActionResult(False, f"Nothing was sent: {exc}")
        answer = await self._send(order_action(specs, grouping="positionTpsl"), len(specs))
        if not isinstance(answer, Accepted):
            return action_failure(answer, f"Check {coin}'s TP/SL orders")
        errors = [o.message for o in answer.statuses if isinstance(o, OrderError)]
        if errors:
            return ActionResult(False, f"TP/SL rejected: {errors[0]}", venue_text=errors[0])
        old = [o for o in before if o.coin == coin and o.is_position_tpsl and o.tpsl in kinds]
        if old:
            await self._cancel_orders([(market.asset_id, o.oid) for o in old])
        return ActionResult(True, f"{' and '.join(k.upper() for k in kinds)} set for {coin}.")

    async def reconcile(self, cloid: str) -> OrderResult:
        """What became of an order sent with ``cloid``: asks the venue until it can tell.

        Gives NOT_PLACED once the order's ``expiresAfter`` has passed with the venue still not
        knowing it (the venue refuses the request from then on); UNKNOWN if the venue cannot
        be asked within ``reconcile_timeout_s``.
        """
        cloid = normalize_cloid(cloid)
        info = self._undecided.get(cloid) or self._in_flight.get(cloid) or self._sent.get(cloid)
        coin = info.coin if info is not None else "?"
        deadline = time.monotonic() + self._reconcile_s
        delay = 0.1
        while True:
            try:
                status = await self._http.order_status(self.user, cloid)
            except VenueError as exc:
                log.info("orderStatus for %s failed (%s); asking again", cloid, exc)
            else:
                if status is not None:
                    self._undecided.pop(cloid, None)
                    return await self._from_status(status, cloid, info)
                expires = info.expires_after if info is not None else None
                if expires is not None and wall_ms() > expires + 1000:
                    self._undecided.pop(cloid, None)
                    return OrderResult(
                        OrderState.NOT_PLACED,
                        coin,
                        cloid,
                        "The venue never received the order, and it has expired: nothing was "
                        "placed. It is safe to try again.",
                        size=info.size if info else None,
                        reconciled=True,
                    )
            if time.monotonic() > deadline:
                if info is not None:
                    self._undecided[cloid] = info
                return OrderResult(
                    OrderState.UNKNOWN,
                    coin,
                    cloid,
                    "The venue has not confirmed the order yet. Check open orders and positions "
                    "before trying again; retrying this order is safe, it is checked first.",
                    size=info.size if info else None,
                    reconciled=True,
                )
            await asyncio.sleep(delay)
            delay = min(delay * 2, 1.0)

    # ------------------------------------------------------------------ cancels

    async def cancel(self, oid: int, coin: str | None = None) -> ActionResult:
        """Cancel one order by venue oid (its coin is looked up when not given)."""
        if coin is None:
            try:
                status = await self._http.order_status(self.user, oid)
            except VenueError as exc:
                return ActionResult(False, f"Nothing was sent: {exc}")
            if status is None:
                return ActionResult(False, f"The venue does not know order {oid}.")
            coin = status.order.coin
        return await self._cancel_orders([(self._meta().asset_id(coin), oid)])

    async def cancel_all(self, coin: str | None = None) -> ActionResult:
        """Cancel every open order (of ``coin``, if given), TP/SL triggers included."""
        try:
            orders = await self._http.frontend_open_orders(self.user)
        except VenueError as exc:
            return ActionResult(False, f"Nothing was sent: {exc}")
        meta = self._meta()
        targets = [
            (meta.asset_id(o.coin), o.oid)
            for o in orders
            if (coin is None or o.coin == coin) and o.coin in meta
        ]
        if not targets:
            return ActionResult(True, "No open orders to cancel.")
        return await self._cancel_orders(targets)

    async def _cancel_orders(self, targets: Sequence[tuple[int, int]]) -> ActionResult:
        answer = await self._send(cancel_action(targets), len(targets))
        if isinstance(answer, OutcomeUnknown):
            return await self._reconcile_cancels(targets, answer)
        if not isinstance(answer, Accepted):
            return action_failure(answer, "Check your open orders")
        errors = [s.message for s in answer.statuses if isinstance(s, OrderError)]
        done = sum(1 for s in answer.statuses if isinstance(s, Success))
        if errors:
            return ActionResult(
                False,
                f"Cancelled {done} of {len(targets)}: {errors[0]}",
                venue_text=errors[0],
            )
        return ActionResult(True, f"Cancelled {done} order{'s' if done != 1 else ''}.")

    async def _reconcile_cancels(
        self, targets: Sequence[tuple[int, int]], answer: OutcomeUnknown
    ) -> ActionResult:
        """A cancel without a clear answer: the open orders tell whether it went through."""
        try:
            still_open = {o.oid for o in await self._http.frontend_open_orders(self.user)}
        except VenueError as exc:
            log.info("open orders unreadable after a lost cancel answer (%s)", exc)
            return action_failure(answer, "Check your open orders")
        left = sum(1 for _, oid in targets if oid in still_open)
        if not left:
            done = len(targets)
            return ActionResult(True, f"Cancelled {done} order{'s' if done != 1 else ''}.")
        return ActionResult(
            False,
            f"No clear answer came back from the exchange ({answer.reason}), and {left} of "
            f"{len(targets)} orders are still open. Check your open orders before trying again.",
            outcome_unknown=True,
        )

    # ------------------------------------------------------------------ leverage and margin

    async def set_leverage(
        self, coin: str, leverage: int, margin_mode: LeverageType
    ) -> ActionResult:
        """Set ``coin``'s leverage and margin mode for the account."""
        asset = self._meta().asset_id(coin)
        is_cross = margin_mode is LeverageType.CROSS
        try:
            action = update_leverage_action(asset, leverage, is_cross=is_cross)
        except ActionError as exc:
            return ActionResult(False, str(exc))
        answer = await self._send(action)
        if not isinstance(answer, Accepted):
            self._leverage.pop(coin, None)
            return action_failure(answer, f"Check {coin}'s leverage")
        self._leverage[coin] = (margin_mode, leverage, time.monotonic())
        return ActionResult(True, f"{coin} leverage set to {leverage}x {margin_mode.value}.")

    async def update_isolated_margin(self, coin: str, usd: Decimal) -> ActionResult:
        """Add (positive) or remove (negative) margin of an isolated position."""
        try:
            action = update_isolated_margin_action(self._meta().asset_id(coin), usd)
        except ActionError as exc:
            return ActionResult(False, str(exc))
        answer = await self._send(action)
        if not isinstance(answer, Accepted):
            return action_failure(answer, f"Check the margin of your {coin} position")
        verb = "Added" if usd > 0 else "Removed"
        return ActionResult(
            True, f"{verb} ${plain(abs(usd))} {'to' if usd > 0 else 'from'} {coin}."
        )

    async def _ensure_leverage(self, coin: str, leverage: int, mode: LeverageType) -> None:
        cached = self._leverage.get(coin)
        if cached is None or time.monotonic() - cached[2] > self._leverage_ttl:
            data = await self._http.active_asset_data(self.user, coin)
            cached = (data.leverage.type, data.leverage.value, time.monotonic())
            self._leverage[coin] = cached
        if cached[0] is mode and cached[1] == leverage:
            return
        result = await self.set_leverage(coin, leverage, mode)
        if not result.ok:
            raise LeverageError(
                ActionResult(
                    False,
                    f"Could not set {coin} to {leverage}x {mode.value}, so the order was not sent: "
                    f"{result.venue_text or result.message}",
                    venue_text=result.venue_text,
                )
            )

    # ------------------------------------------------------------------ sending

    def _expiry(self) -> int | None:
        if self._expiry_s is None:
            return None
        return wall_ms() + int(self._expiry_s * 1000)

    async def _send(self, action: dict[str, Any], expected: int | None = None) -> Answer:
        """Send a non-order action once (cancel, leverage, margin, TP/SL) through the sender."""
        return await self._sender.send_l1(
            action, self._signer, expires_after=self._expiry(), expected=expected
        )

    async def _submit(
        self, coin: str, specs: list[OrderSpec], grouping: Grouping, cloid: str
    ) -> OrderResult:
        main = specs[0]
        try:
            action = order_action(specs, grouping=grouping)
        except ActionError as exc:
            return OrderResult(OrderState.NOT_PLACED, coin, cloid, str(exc), size=main.size)
        expires = self._expiry()
        info = InFlightOrder(cloid, coin, main.is_buy, main.size, main.price, time.time(), expires)
        async with self._lock:
            # One signature at a time keeps nonces in sending order.
            payload = self._sender.sign_l1(action, self._signer, expires_after=expires)
        self._in_flight[cloid] = info
        self._sent[cloid] = info
        while len(self._sent) > _SENT_KEPT:
            self._sent.popitem(last=False)
        try:
            answer = await self._sender.post(payload, expected=len(specs))
        finally:
            self._in_flight.pop(cloid, None)
        if isinstance(answer, Rejected):
            if not answer.sent:
                return OrderResult(
                    OrderState.NOT_PLACED, coin, cloid, answer.message, size=main.size
                )
            words = readable(answer.venue_text) if answer.venue_text else answer.message
            return OrderResult(
                OrderState.REJECTED,
                coin,
                cloid,
                f"Order rejected: {words}",
                size=main.size,
                venue_text=answer.venue_text,
            )
        if isinstance(answer, Accepted):
            result = result_from_outcome(coin, cloid, main.size, answer.statuses)
            if result is not None:
                return result
            reason = f"an order status this app does not know: {answer.statuses[0]}"
        else:
            reason = answer.reason
        log.warning("order %s: no clear answer (%s); reconciling by cloid", cloid, reason)
        self._undecided[cloid] = info
        return await self.reconcile(cloid)

    # ------------------------------------------------------------------ outcomes

    async def _from_status(
        self, status: OrderStatus, cloid: str, info: InFlightOrder | None
    ) -> OrderResult:
        avg = None
        if needs_avg_px(status, info):
            avg = await self._avg_fill_px(status.order.oid)
        return result_from_status(status, cloid, info, avg)

    async def _avg_fill_px(self, oid: int) -> Decimal | None:
        try:
            fills = [f for f in await self._http.user_fills(self.user) if f.oid == oid]
        except VenueError:
            return None
        size = sum((f.sz for f in fills), Decimal(0))
        if not size:
            return None
        return sum((f.notional for f in fills), Decimal(0)) / size

    # ------------------------------------------------------------------ lookups

    async def _position(self, coin: str) -> Position | None:
        state = await self._http.clearinghouse_state(self.user)
        position = state.position(coin)
        return position if position is not None and position.szi != 0 else None

    async def _mid(self, coin: str) -> Decimal:
        mids = await self._http.all_mids()
        if coin not in mids:
            raise VenueError(f"The venue has no price for {coin}.")
        return mids[coin]

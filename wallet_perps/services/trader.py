"""Trader: a validated order plan -> a signed action -> a tracked order with a clear outcome.

The one rule that shapes this module: **an order is never sent twice by accident** (PROTOCOL
§13.2, §13.8). Every order carries a fresh client order id (cloid) and an ``expiresAfter``
deadline. When the venue's answer is lost (timeout, dropped connection, gateway error), the
Trader does not resend: it asks ``orderStatus`` by cloid until the venue either knows the
order (and we report what became of it) or the deadline has passed with the venue still not
knowing it, at which point the venue will refuse that request forever and the order is
known not to exist. A later :meth:`Trader.place` with the same cloid reconciles first too.

Other choices:

* Leverage and margin mode are per coin on the venue, so before an opening order the Trader
  checks the coin's setting (``activeAssetData``, cached briefly) and sends
  ``updateLeverage`` only when the plan differs.
* Outcomes are returned, not raised: a rejection carries the venue's own words, because
  the UI shows them inline ("Order rejected: Insufficient margin to place order.").
* Signing goes through :class:`L1Signer`, so the wallet's approved agent key, the master key
  or a demo key can be plugged in; the Trader only needs ``address`` and ``sign_l1``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any, Final, Protocol

from wallet_perps.core.models import (
    KnownOrderStatus,
    LeverageType,
    Meta,
    OpenOrder,
    OrderStatus,
    Position,
)
from wallet_perps.core.numbers import NumberError, round_price, round_size, to_wire
from wallet_perps.core.tickets import TPSL_SLIPPAGE, OrderPlan
from wallet_perps.hyperliquid.actions import (
    ActionError,
    Grouping,
    LimitType,
    OrderSpec,
    TriggerType,
    cancel_action,
    new_cloid,
    normalize_cloid,
    order_action,
    update_isolated_margin_action,
    update_leverage_action,
)
from wallet_perps.hyperliquid.errors import (
    HttpError,
    RateLimited,
    RejectedAction,
    UnexpectedResponse,
    VenueError,
    VenueUnavailable,
)
from wallet_perps.hyperliquid.http import (
    Filled,
    HyperliquidHttp,
    OrderError,
    OrderOutcome,
    Resting,
    Success,
    Waiting,
    check_statuses,
    normalize_address,
)
from wallet_perps.hyperliquid.nonces import NonceManager
from wallet_perps.hyperliquid.signing import address_from_private_key, sign_l1_action

__all__ = [
    "ActionResult",
    "InFlightOrder",
    "KeySigner",
    "L1Signer",
    "OrderResult",
    "OrderState",
    "Trader",
]

log = logging.getLogger(__name__)

#: Default slippage of a market close, in percent (the SDK's 5%).
CLOSE_SLIPPAGE_PCT: Final = Decimal(5)
_HUNDRED: Final = Decimal(100)
#: Cloids remembered as sent, so a retry with one of them is reconciled instead of resent.
_SENT_KEPT: Final = 10_000

# Readable sentences for order statuses learned through orderStatus, where the venue's
# original error text is no longer available (PROTOCOL §9).
_STATUS_TEXT: Final[Mapping[str, str]] = {
    "tickRejected": "Price must be divisible by tick size.",
    "minTradeNtlRejected": "Order must have minimum value of $10.",
    "perpMarginRejected": "Insufficient margin to place order.",
    "reduceOnlyRejected": "Reduce only order would increase position.",
    "badAloPxRejected": "Post only order would have immediately matched.",
    "iocCancelRejected": "Order could not immediately match against any resting orders.",
    "badTriggerPxRejected": "Invalid TP/SL price.",
    "marketOrderNoLiquidityRejected": "No liquidity available for market order.",
    "tooManyOpenOrdersRejected": "Too many open orders.",
    "oracleRejected": "Order price too far from oracle.",
    "perpMaxPositionRejected": (
        "Order would cause position to exceed margin tier limit at current leverage"
    ),
}


class L1Signer(Protocol):
    """Whoever signs L1 actions (orders, cancels, leverage) for the account.

    ``address`` is the *signer's* address (an agent's, for agent trading): nonces are kept
    per signer. The account traded is the Trader's ``user``.
    """

    @property
    def address(self) -> str: ...

    def sign_l1(
        self,
        action: Mapping[str, Any],
        nonce: int,
        *,
        is_mainnet: bool,
        expires_after: int | None = None,
    ) -> Mapping[str, Any]: ...


class KeySigner:
    """An :class:`L1Signer` over a raw private key (the demo account, tests, an agent key)."""

    def __init__(self, private_key: str | bytes) -> None:
        self._key = private_key
        self._address = address_from_private_key(private_key).lower()

    @property
    def address(self) -> str:
        return self._address

    def sign_l1(
        self,
        action: Mapping[str, Any],
        nonce: int,
        *,
        is_mainnet: bool,
        expires_after: int | None = None,
    ) -> Mapping[str, Any]:
        return sign_l1_action(
            self._key, action, nonce, expires_after=expires_after, is_mainnet=is_mainnet
        )


class OrderState(StrEnum):
    FILLED = "filled"  # filled at once (``filled_sz`` may be less than asked for an IOC)
    RESTING = "resting"  # on the book
    REJECTED = "rejected"  # the venue said no; ``venue_text`` has its words
    NOT_PLACED = "not_placed"  # certainly not on the venue (never sent, or expired unseen)
    UNKNOWN = "unknown"  # the venue could not be asked; reconcile later, do not resend


@dataclass(frozen=True, slots=True)
class OrderResult:
    """What became of one order, with a sentence for the user."""

    state: OrderState
    coin: str
    cloid: str
    message: str
    oid: int | None = None
    size: Decimal | None = None
    filled_sz: Decimal = Decimal(0)
    avg_px: Decimal | None = None
    venue_text: str | None = None
    reconciled: bool = False  # learned through orderStatus after a lost answer
    tpsl: tuple[str, ...] = ()  # one line per TP/SL child: "waitingForTrigger", an error...

    @property
    def ok(self) -> bool:
        return self.state in (OrderState.FILLED, OrderState.RESTING)


@dataclass(frozen=True, slots=True)
class ActionResult:
    """Outcome of a non-order action (cancel, leverage, margin, TP/SL)."""

    ok: bool
    message: str
    venue_text: str | None = None
    orders: tuple[OrderResult, ...] = ()


@dataclass(frozen=True, slots=True)
class InFlightOrder:
    """An order sent (or being sent) whose outcome is not known yet."""

    cloid: str
    coin: str
    is_buy: bool
    size: Decimal
    price: Decimal
    sent_at: float  # time.time()
    expires_after: int | None  # ms; None when expiry is disabled


class LeverageError(Exception):
    """updateLeverage was refused; the order is not sent."""

    def __init__(self, result: ActionResult) -> None:
        super().__init__(result.message)
        self.result = result


def _plain(value: Decimal) -> str:
    return to_wire(value) if value else "0"


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
        self._nonces = nonces
        self._is_mainnet = is_mainnet
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
                LimitType(plan.tif),
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
            market.asset_id, is_buy, price, size, LimitType("Ioc"), reduce_only=True, cloid=cloid
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
                factor = 1 - TPSL_SLIPPAGE if long else 1 + TPSL_SLIPPAGE
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
        outcome = await self._send_action(order_action(specs, grouping="positionTpsl"))
        if isinstance(outcome, ActionResult):
            return outcome
        errors = [
            o.message
            for o in check_statuses(outcome, expected=len(specs))
            if isinstance(o, OrderError)
        ]
        if errors:
            return ActionResult(False, f"TP/SL rejected: {errors[0]}", venue_text=errors[0])
        old = [
            o for o in before if o.coin == coin and o.is_position_tpsl and _tpsl_kind(o) in kinds
        ]
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
                if expires is not None and time.time() * 1000 > expires + 1000:
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
        outcome = await self._send_action(cancel_action(targets))
        if isinstance(outcome, ActionResult):
            return outcome
        statuses = check_statuses(outcome, expected=len(targets))
        errors = [s.message for s in statuses if isinstance(s, OrderError)]
        done = sum(1 for s in statuses if isinstance(s, Success))
        if errors:
            return ActionResult(
                False,
                f"Cancelled {done} of {len(targets)}: {errors[0]}",
                venue_text=errors[0],
            )
        return ActionResult(True, f"Cancelled {done} order{'s' if done != 1 else ''}.")

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
        outcome = await self._send_action(action)
        if isinstance(outcome, ActionResult):
            if not outcome.ok:
                self._leverage.pop(coin, None)
            return outcome
        self._leverage[coin] = (margin_mode, leverage, time.monotonic())
        return ActionResult(True, f"{coin} leverage set to {leverage}x {margin_mode.value}.")

    async def update_isolated_margin(self, coin: str, usd: Decimal) -> ActionResult:
        """Add (positive) or remove (negative) margin of an isolated position."""
        try:
            action = update_isolated_margin_action(self._meta().asset_id(coin), usd)
        except ActionError as exc:
            return ActionResult(False, str(exc))
        outcome = await self._send_action(action)
        if isinstance(outcome, ActionResult):
            return outcome
        verb = "Added" if usd > 0 else "Removed"
        return ActionResult(
            True, f"{verb} ${_plain(abs(usd))} {'to' if usd > 0 else 'from'} {coin}."
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

    def _payload(self, action: dict[str, Any], expires_after: int | None) -> dict[str, Any]:
        nonce = self._nonces.next_nonce(self._signer.address)
        signature = self._signer.sign_l1(
            action, nonce, is_mainnet=self._is_mainnet, expires_after=expires_after
        )
        return {
            "action": action,
            "nonce": nonce,
            "signature": dict(signature),
            "vaultAddress": None,
            "expiresAfter": expires_after,
        }

    def _expiry(self) -> int | None:
        if self._expiry_s is None:
            return None
        return int(time.time() * 1000 + self._expiry_s * 1000)

    async def _send_action(self, action: dict[str, Any]) -> dict[str, Any] | ActionResult:
        """Send a non-order action once; errors become an ActionResult with the venue's words.

        These actions are safe to repeat by hand (a cancel of a cancelled order fails
        harmlessly), so a lost answer is reported rather than reconciled.
        """
        try:
            return await self._http.exchange(self._payload(action, self._expiry()))
        except RejectedAction as exc:
            return ActionResult(False, f"Rejected: {exc.venue_text}", venue_text=exc.venue_text)
        except VenueUnavailable as exc:
            # The message already says whether the action may have been done.
            return ActionResult(False, str(exc))
        except VenueError as exc:
            return ActionResult(False, str(exc), venue_text=exc.venue_text)

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
            payload = self._payload(action, expires)
        self._in_flight[cloid] = info
        self._sent[cloid] = info
        while len(self._sent) > _SENT_KEPT:
            self._sent.popitem(last=False)
        try:
            try:
                response = await self._http.exchange(payload)
            except RejectedAction as exc:
                return OrderResult(
                    OrderState.REJECTED,
                    coin,
                    cloid,
                    f"Order rejected: {exc.venue_text}",
                    size=main.size,
                    venue_text=exc.venue_text,
                )
            except RateLimited as exc:
                return OrderResult(OrderState.NOT_PLACED, coin, cloid, str(exc), size=main.size)
            except (VenueUnavailable, HttpError, UnexpectedResponse) as exc:
                unknown = getattr(exc, "outcome_unknown", True)
                if isinstance(exc, HttpError) and exc.status < 500:
                    unknown = False
                if not unknown:
                    state = (
                        OrderState.REJECTED if isinstance(exc, HttpError) else OrderState.NOT_PLACED
                    )
                    return OrderResult(
                        state, coin, cloid, str(exc), size=main.size, venue_text=exc.venue_text
                    )
                log.warning("order %s: answer lost (%s); reconciling by cloid", cloid, exc)
                self._undecided[cloid] = info
                return await self.reconcile(cloid)
            try:
                outcomes = check_statuses(response, expected=len(specs))
            except UnexpectedResponse:
                self._undecided[cloid] = info
                return await self.reconcile(cloid)
        finally:
            self._in_flight.pop(cloid, None)
        return self._from_outcomes(coin, cloid, main.size, outcomes)

    # ------------------------------------------------------------------ outcomes

    def _from_outcomes(
        self, coin: str, cloid: str, size: Decimal, outcomes: list[OrderOutcome]
    ) -> OrderResult:
        first = outcomes[0]
        children = tuple(_describe(o) for o in outcomes[1:])
        if isinstance(first, Filled):
            partial = first.total_sz < size
            message = f"Filled {_plain(first.total_sz)} {coin} at ${_plain(first.avg_px)}" + (
                f" ({_plain(size - first.total_sz)} {coin} did not fill)." if partial else "."
            )
            return OrderResult(
                OrderState.FILLED,
                coin,
                cloid,
                message,
                oid=first.oid,
                size=size,
                filled_sz=first.total_sz,
                avg_px=first.avg_px,
                tpsl=children,
            )
        if isinstance(first, Resting):
            return OrderResult(
                OrderState.RESTING,
                coin,
                cloid,
                f"Order placed: {_plain(size)} {coin} resting on the book.",
                oid=first.oid,
                size=size,
                tpsl=children,
            )
        if isinstance(first, OrderError):
            return OrderResult(
                OrderState.REJECTED,
                coin,
                cloid,
                f"Order rejected: {_readable(first.message)}",
                size=size,
                venue_text=first.message,
                tpsl=children,
            )
        self._undecided.setdefault(
            cloid, InFlightOrder(cloid, coin, True, size, Decimal(0), time.time(), None)
        )
        return OrderResult(
            OrderState.UNKNOWN,
            coin,
            cloid,
            f"The venue answered with an unexpected status ({_describe(first)}); "
            "check open orders.",
            size=size,
            tpsl=children,
        )

    async def _from_status(
        self, status: OrderStatus, cloid: str, info: InFlightOrder | None
    ) -> OrderResult:
        order = status.order
        orig = order.orig_sz if order.orig_sz is not None else (info.size if info else order.sz)
        filled = orig - order.sz if status.status != KnownOrderStatus.FILLED else orig
        coin = order.coin
        if status.is_open or status.status == KnownOrderStatus.TRIGGERED:
            return OrderResult(
                OrderState.RESTING,
                coin,
                cloid,
                f"Order placed: {_plain(order.sz)} {coin} resting on the book.",
                oid=order.oid,
                size=orig,
                filled_sz=filled,
                reconciled=True,
            )
        if filled > 0:
            avg = await self._avg_fill_px(order.oid)
            at = f" at ${_plain(avg)}" if avg is not None else ""
            return OrderResult(
                OrderState.FILLED,
                coin,
                cloid,
                f"Filled {_plain(filled)} {coin}{at}.",
                oid=order.oid,
                size=orig,
                filled_sz=filled,
                avg_px=avg,
                reconciled=True,
            )
        text = _STATUS_TEXT.get(status.status, status.status)
        return OrderResult(
            OrderState.REJECTED,
            coin,
            cloid,
            f"Order rejected: {text}",
            oid=order.oid,
            size=orig,
            venue_text=status.status,
            reconciled=True,
        )

    async def _avg_fill_px(self, oid: int) -> Decimal | None:
        try:
            fills = [f for f in await self._http.user_fills(self.user) if f.oid == oid]
        except VenueError:
            return None
        size = sum((f.sz for f in fills), Decimal(0))
        if not size:
            return None
        return sum((f.px * f.sz for f in fills), Decimal(0)) / size

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


def _readable(text: str) -> str:
    """The venue's order error without its trailing ``asset=N`` tag."""
    head, sep, tail = text.rpartition(" asset=")
    return head if sep and tail.isdigit() else text


def _describe(outcome: OrderOutcome) -> str:
    if isinstance(outcome, Waiting):
        return outcome.kind
    if isinstance(outcome, OrderError):
        return f"rejected: {_readable(outcome.message)}"
    if isinstance(outcome, Resting):
        return "resting"
    if isinstance(outcome, Filled):
        return "filled"
    if isinstance(outcome, Success):
        return "success"
    return str(outcome.raw)


def _tpsl_kind(order: OpenOrder) -> str | None:
    kind = (order.order_type or "").lower()
    if kind.startswith("take profit"):
        return "tp"
    if kind.startswith("stop"):
        return "sl"
    return None

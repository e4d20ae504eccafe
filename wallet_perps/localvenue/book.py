"""Price-time priority order book and matching engine for one coin of the local venue.

The venue has to look like Hyperliquid to the official SDK (PROTOCOL.md §11.1): best price
first, then strict time priority inside a level; self-trade prevention is "expire maker" (the
*resting* order of the same address is cancelled, no fill, no fee, and the aggressor keeps
matching); and the resting side's margin is re-checked at every match. The book knows nothing
about margin, positions or fees, so those checks come in as two small callbacks
(``maker_ok`` and ``max_fill``) and the clearinghouse stays the only place with money logic.

Why the data structures look like this: the venue aims at ≥2,000 signed orders/s end to end, so
matching one order must stay far below 50 µs. Each side keeps

* ``levels``: a dict from a *sort key* to a :class:`_Level` (for bids the key is the price, for
  asks the negated price), so both sides have their best level at the **end** of ``keys`` and
  removing an exhausted best level is an O(1) ``list.pop()``;
* ``keys``: the sort keys in ascending order, kept with :mod:`bisect` (an insert or a removal in
  the middle is a memmove, which costs nanoseconds even for thousands of levels);
* per level an ``OrderedDict`` oid -> order: FIFO iteration for time priority, O(1) peek at the
  head, and O(1) removal from anywhere for cancels (a deque would need an O(k) ``remove``, and a
  plain dict degrades when its head is deleted over and over).

Everything is exact :class:`~decimal.Decimal`; there are no floats anywhere. The module is pure
Python with no I/O, asyncio or Qt, so it can be tested and benchmarked on its own.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, Context, Decimal
from typing import Final

__all__ = [
    "MAX_L2_LEVELS",
    "Fill",
    "MakerCheck",
    "MatchResult",
    "MaxFill",
    "OrderBook",
    "RestingOrder",
]

#: Hyperliquid's l2Book returns at most 20 levels per side (PROTOCOL §7).
MAX_L2_LEVELS: Final = 20
#: ``nSigFigs`` values the venue accepts; ``None`` means full precision (PROTOCOL §7).
_SIG_FIGS: Final = frozenset({2, 3, 4, 5})
#: ``mantissa`` values, only allowed together with ``nSigFigs=5`` (PROTOCOL §7).
_MANTISSAS: Final = frozenset({1, 2, 5})

_ZERO: Final = Decimal(0)
_ONE: Final = Decimal(1)
# Bucket arithmetic must not depend on whatever the calling thread did to its decimal context.
_CTX: Final = Context(prec=60)

#: ``maker_ok(maker, px, sz)``: may this resting order fill ``sz`` at ``px``? (margin re-check)
MakerCheck = Callable[["RestingOrder", Decimal, Decimal], bool]
#: ``max_fill(px, want)``: how much of ``want`` may the taker take at ``px``? 0 stops matching.
MaxFill = Callable[[Decimal, Decimal], Decimal]


@dataclass(slots=True)
class RestingOrder:
    """An order resting on the book; ``sz`` is what is left, ``orig_sz`` what was placed.

    The book mutates ``sz`` in place when the order is hit, so a caller holding a reference
    (the clearinghouse, a :class:`Fill`) always sees the current remaining size.
    """

    oid: int
    user: str  # lowercase 0x address; self-trade prevention compares it verbatim
    is_buy: bool
    limit_px: Decimal
    sz: Decimal
    orig_sz: Decimal
    timestamp: int  # ms
    cloid: str | None = None
    reduce_only: bool = False
    tif: str = "Gtc"  # "Gtc" | "Alo" | "Ioc" | "FrontendMarket"


@dataclass(frozen=True, slots=True)
class Fill:
    """One maker fill: ``maker`` is the resting order (already reduced), ``px`` its price."""

    maker: RestingOrder
    px: Decimal
    sz: Decimal


@dataclass(slots=True)
class MatchResult:
    """What one aggressor did to the book.

    ``self_trade_cancels`` are makers expired by self-trade prevention (status
    ``selfTradeCanceled``: no fill, no fee). ``margin_cancels`` are makers the ``maker_ok``
    callback refused (status ``marginCanceled``). Their ``sz`` is the size that was still resting
    when they were removed. ``remaining`` is the taker size left unmatched.
    """

    fills: list[Fill] = field(default_factory=list)
    self_trade_cancels: list[RestingOrder] = field(default_factory=list)
    margin_cancels: list[RestingOrder] = field(default_factory=list)
    remaining: Decimal = _ZERO

    @property
    def filled(self) -> Decimal:
        """Total taker size filled (sum of the fills)."""
        return sum((f.sz for f in self.fills), _ZERO)


class _Level:
    """One price level: FIFO queue of orders plus the running total for l2 snapshots."""

    __slots__ = ("orders", "px", "total")

    def __init__(self, px: Decimal) -> None:
        self.px = px
        self.orders: OrderedDict[int, RestingOrder] = OrderedDict()
        self.total = _ZERO


class _Side:
    """One side of the book, best level at the end of ``keys`` (see the module docstring)."""

    __slots__ = ("is_bid", "keys", "levels")

    def __init__(self, is_bid: bool) -> None:
        self.is_bid = is_bid
        self.keys: list[Decimal] = []
        self.levels: dict[Decimal, _Level] = {}

    def key(self, px: Decimal) -> Decimal:
        return px if self.is_bid else -px

    def best(self) -> Decimal | None:
        keys = self.keys
        return self.levels[keys[-1]].px if keys else None

    def add(self, order: RestingOrder) -> None:
        key = self.key(order.limit_px)
        level = self.levels.get(key)
        if level is None:
            level = _Level(order.limit_px)
            self.levels[key] = level
            insort(self.keys, key)
        level.orders[order.oid] = order
        level.total += order.sz

    def remove(self, order: RestingOrder) -> None:
        key = self.key(order.limit_px)
        level = self.levels[key]
        del level.orders[order.oid]
        level.total -= order.sz
        if not level.orders:
            self.drop_level(key)

    def drop_level(self, key: Decimal) -> None:
        del self.levels[key]
        keys = self.keys
        if keys[-1] == key:  # the common case: the best level was consumed
            keys.pop()
        else:
            del keys[bisect_left(keys, key)]

    def iter_levels(self) -> Iterator[_Level]:
        """Best level first. Do not mutate the book while iterating."""
        levels = self.levels
        for key in reversed(self.keys):
            yield levels[key]


class OrderBook:
    """Price-time priority book for one coin. Not thread-safe; the venue owns it on one task.

    The caller (the clearinghouse) decides everything that needs money or order-type logic:
    it rejects an ALO that :meth:`would_cross`, calls :meth:`match` for every non-ALO order,
    and then :meth:`add` s the unmatched remainder of a GTC (or an ALO) or drops that of an
    IOC/FrontendMarket. The book guarantees it never becomes crossed: :meth:`add` refuses an
    order that would cross the opposite side.
    """

    __slots__ = ("_asks", "_bids", "_by_oid", "_by_user", "coin", "last_trade_px")

    def __init__(self, coin: str) -> None:
        self.coin = coin
        self._bids = _Side(is_bid=True)
        self._asks = _Side(is_bid=False)
        self._by_oid: dict[int, RestingOrder] = {}
        self._by_user: dict[str, dict[int, RestingOrder]] = {}
        #: Price of the last maker fill, for mark price and allMids fallback (PROTOCOL §11.2).
        self.last_trade_px: Decimal | None = None

    # ------------------------------------------------------------------ queries

    def __len__(self) -> int:
        return len(self._by_oid)

    def __contains__(self, oid: object) -> bool:
        return oid in self._by_oid

    def get(self, oid: int) -> RestingOrder | None:
        return self._by_oid.get(oid)

    def orders_of(self, user: str) -> list[RestingOrder]:
        """The user's resting orders in the order they were placed."""
        mine = self._by_user.get(user)
        return list(mine.values()) if mine else []

    def all_orders(self) -> list[RestingOrder]:
        """Every resting order, in the order they were placed (for snapshots and persistence)."""
        return list(self._by_oid.values())

    def bbo(self) -> tuple[Decimal | None, Decimal | None]:
        """(best bid, best ask); None for an empty side."""
        return self._bids.best(), self._asks.best()

    def would_cross(self, is_buy: bool, limit_px: Decimal) -> bool:
        """Would an order at ``limit_px`` match at once? Used to reject post-only (ALO) orders.

        Own orders count too: Hyperliquid's ALO check looks at the bbo, not at who rests there.
        """
        if is_buy:
            ask = self._asks.best()
            return ask is not None and ask <= limit_px
        bid = self._bids.best()
        return bid is not None and bid >= limit_px

    def depth_levels(self, is_buy_side: bool) -> Iterator[tuple[Decimal, Decimal]]:
        """Raw ``(px, total size)`` levels of one side, best first, lazily.

        Feed it to :func:`wallet_perps.core.risk.impact_price` for the impact bid (bids, i.e.
        ``is_buy_side=True``) and impact ask. Consume it before the book changes again.
        """
        side = self._bids if is_buy_side else self._asks
        for level in side.iter_levels():
            yield level.px, level.total

    def l2(
        self,
        n_levels: int = MAX_L2_LEVELS,
        n_sig_figs: int | None = None,
        mantissa: int | None = None,
    ) -> tuple[list[tuple[Decimal, Decimal, int]], list[tuple[Decimal, Decimal, int]]]:
        """The l2Book snapshot: (bids descending, asks ascending) of ``(px, size, n_orders)``.

        With ``n_sig_figs`` prices are grouped into buckets of that many significant figures
        (the bucket width follows each price's own magnitude: 97123.5 with 2 figures is in a
        1000-wide bucket, with 3 in a 100-wide one, and 0.0123 with 3 in a 0.0001-wide one;
        so BTC's 1000/100/10/1 views are nSigFigs 2/3/4/5, and 2 and 5 are mantissa 2 and 5).
        Bids are rounded down and asks up to their bucket, so an aggregated level never shows a
        better price than one could trade at. ``mantissa`` (1, 2 or 5; only with
        ``n_sig_figs=5``) widens the 5-figure bucket to ``mantissa × 10^k``. Both rounding maps
        are monotone, so buckets stay sorted and consecutive levels can be merged in one pass.

        Raises ValueError for values Hyperliquid would refuse (PROTOCOL §7).
        """
        _check_l2_args(n_levels, n_sig_figs, mantissa)
        if n_sig_figs is None:
            return (
                _raw_levels(self._bids, n_levels),
                _raw_levels(self._asks, n_levels),
            )
        m = 1 if mantissa is None else mantissa
        return (
            _grouped_levels(self._bids, n_levels, n_sig_figs, m),
            _grouped_levels(self._asks, n_levels, n_sig_figs, m),
        )

    # ------------------------------------------------------------------ mutations

    def add(self, order: RestingOrder) -> None:
        """Rest ``order`` at the back of its price level (after :meth:`match` ran for it).

        Raises ValueError for a duplicate oid, a non-positive size or price, or an order that
        would cross the opposite side (the book must never be crossed; an order that crosses
        has to be matched first).
        """
        if order.oid in self._by_oid:
            raise ValueError(f"{self.coin}: duplicate oid {order.oid}")
        if not order.sz > 0:
            raise ValueError(f"{self.coin}: resting size must be positive, got {order.sz}")
        if not order.limit_px > 0:
            raise ValueError(f"{self.coin}: price must be positive, got {order.limit_px}")
        if self.would_cross(order.is_buy, order.limit_px):
            bid, ask = self.bbo()
            raise ValueError(
                f"{self.coin}: order {order.oid} at {order.limit_px} would cross the book "
                f"(bbo {bid}@{ask}); match it before resting it"
            )
        (self._bids if order.is_buy else self._asks).add(order)
        self._by_oid[order.oid] = order
        mine = self._by_user.get(order.user)
        if mine is None:
            self._by_user[order.user] = {order.oid: order}
        else:
            mine[order.oid] = order

    def cancel(self, oid: int) -> RestingOrder | None:
        """Remove a resting order; returns it (with its remaining ``sz``), or None if unknown."""
        order = self._by_oid.get(oid)
        if order is None:
            return None
        (self._bids if order.is_buy else self._asks).remove(order)
        self._forget(order)
        return order

    def match(
        self,
        *,
        user: str,
        is_buy: bool,
        limit_px: Decimal,
        sz: Decimal,
        maker_ok: MakerCheck | None = None,
        max_fill: MaxFill | None = None,
    ) -> MatchResult:
        """Cross an aggressor against the opposite side while prices cross.

        Best price first, then time priority. For each maker in turn:

        1. A maker of the same ``user`` is expired (self-trade prevention) and matching goes on.
        2. ``max_fill(px, want)`` (if given) caps how much the taker may take here, with
           ``want = min(taker remaining, maker size)``; a result <= 0 stops matching, leaving
           the rest in ``remaining`` (e.g. a reduce-only order that has closed the position).
        3. ``maker_ok(maker, px, fill size)`` (if given) re-checks the resting side; False
           removes the maker (margin cancel) and matching goes on with the next one.
        4. The fill happens at the maker's price; a fully filled maker leaves the book, a
           partially filled one keeps its place in the queue.

        The aggressor itself is never rested here; the caller :meth:`add` s the remainder of a
        GTC. ``user`` must be the same lowercase address used in :class:`RestingOrder`.

        The callbacks must not change this book (no cancel/add from inside them) and must not
        raise: the loop holds the current level. Collect follow-ups (e.g. reduce-only orders
        that no longer reduce) and apply them after ``match`` returns.
        """
        if not sz > 0:
            raise ValueError(f"{self.coin}: order size must be positive, got {sz}")
        if not limit_px > 0:
            raise ValueError(f"{self.coin}: order price must be positive, got {limit_px}")
        result = MatchResult()
        fills = result.fills
        side = self._asks if is_buy else self._bids
        keys = side.keys
        levels = side.levels
        by_oid = self._by_oid
        remaining = sz
        stop = False
        while keys and not stop:
            key = keys[-1]
            level = levels[key]
            px = level.px
            if (px > limit_px) if is_buy else (px < limit_px):
                break
            orders = level.orders
            while orders:
                oid, maker = next(iter(orders.items()))
                if maker.user == user:
                    del orders[oid]
                    level.total -= maker.sz
                    self._forget(maker)
                    result.self_trade_cancels.append(maker)
                    continue
                want = maker.sz if maker.sz < remaining else remaining
                if max_fill is not None:
                    allowed = max_fill(px, want)
                    if not allowed > 0:
                        stop = True
                        break
                    if allowed < want:
                        want = allowed
                if maker_ok is not None and not maker_ok(maker, px, want):
                    del orders[oid]
                    level.total -= maker.sz
                    self._forget(maker)
                    result.margin_cancels.append(maker)
                    continue
                maker.sz -= want
                level.total -= want
                remaining -= want
                fills.append(Fill(maker, px, want))
                if not maker.sz:
                    del orders[oid]
                    del by_oid[oid]
                    self._forget_user(maker)
                if not remaining:
                    stop = True
                    break
            if not orders:
                del levels[key]
                keys.pop()
        if fills:
            self.last_trade_px = fills[-1].px
        result.remaining = remaining
        return result

    # ------------------------------------------------------------------ internals

    def _forget(self, order: RestingOrder) -> None:
        del self._by_oid[order.oid]
        self._forget_user(order)

    def _forget_user(self, order: RestingOrder) -> None:
        mine = self._by_user[order.user]
        del mine[order.oid]
        if not mine:
            del self._by_user[order.user]


def _check_l2_args(n_levels: int, n_sig_figs: int | None, mantissa: int | None) -> None:
    """Reject what Hyperliquid's l2Book refuses, with a message a client developer can act on."""
    if isinstance(n_levels, bool) or not isinstance(n_levels, int) or n_levels < 1:
        raise ValueError(f"n_levels must be a positive integer, got {n_levels!r}")
    if n_sig_figs is not None and (
        isinstance(n_sig_figs, bool)
        or not isinstance(n_sig_figs, int)
        or n_sig_figs not in _SIG_FIGS
    ):
        raise ValueError(f"nSigFigs must be one of 2, 3, 4, 5 or null, got {n_sig_figs!r}")
    if mantissa is not None:
        if (
            isinstance(mantissa, bool)
            or not isinstance(mantissa, int)
            or mantissa not in _MANTISSAS
        ):
            raise ValueError(f"mantissa must be one of 1, 2, 5, got {mantissa!r}")
        if n_sig_figs != 5:
            raise ValueError(
                f"mantissa is only allowed with nSigFigs=5, got nSigFigs={n_sig_figs!r}"
            )


def _raw_levels(side: _Side, n_levels: int) -> list[tuple[Decimal, Decimal, int]]:
    out: list[tuple[Decimal, Decimal, int]] = []
    for level in side.iter_levels():
        out.append((level.px, level.total, len(level.orders)))
        if len(out) >= n_levels:
            break
    return out


def _bucket(px: Decimal, n_sig_figs: int, mantissa: int, rounding: str) -> Decimal:
    """Round ``px`` down/up to a multiple of ``mantissa × 10^(magnitude - n_sig_figs + 1)``.

    The result carries the bucket's exponent (an integer price for buckets ≥ 1), so it formats
    without an exponent: ``97123.5 -> 97000`` or ``98000``, not ``9.7E+4``.
    """
    exp = px.adjusted() - n_sig_figs + 1
    scaled = px.scaleb(-exp, _CTX)
    if mantissa == 1:
        units = int(scaled.to_integral_value(rounding, _CTX))
    else:
        units = int(_CTX.divide(scaled, Decimal(mantissa)).to_integral_value(rounding, _CTX))
        units *= mantissa
    # Decimal(int) has exponent 0, so scaleb leaves exactly the bucket's exponent.
    out = Decimal(units).scaleb(exp, _CTX)
    return out.quantize(_ONE, context=_CTX) if exp > 0 else out


def _grouped_levels(
    side: _Side, n_levels: int, n_sig_figs: int, mantissa: int
) -> list[tuple[Decimal, Decimal, int]]:
    """Merge levels into buckets, best first, computing each bucket's price only once.

    Walking best first, the first price of a bucket fixes it: a bid bucket (rounded down to
    ``L``) holds every following bid ``>= L`` and an ask bucket (rounded up to ``U``) every
    following ask ``<= U``. That holds across powers of ten too, because 10^k is a multiple of
    every bucket width below it. So the per-level cost is one comparison, not a rounding.
    """
    is_bid = side.is_bid
    rounding = ROUND_FLOOR if is_bid else ROUND_CEILING
    out: list[tuple[Decimal, Decimal, int]] = []
    cur_px: Decimal | None = None
    cur_sz = _ZERO
    cur_n = 0
    for level in side.iter_levels():
        px = level.px
        if cur_px is not None:
            if (px >= cur_px) if is_bid else (px <= cur_px):
                cur_sz += level.total
                cur_n += len(level.orders)
                continue
            out.append((cur_px, cur_sz, cur_n))
            if len(out) >= n_levels:
                return out
        cur_px = _bucket(px, n_sig_figs, mantissa, rounding)
        cur_sz, cur_n = level.total, len(level.orders)
    if cur_px is not None:
        out.append((cur_px, cur_sz, cur_n))
    return out

"""The local venue's /info answers, in exactly Hyperliquid's JSON shapes (PROTOCOL §7, §7.1).

Kept apart from the matching code because nothing here changes the venue: every method only
reads the state the engine keeps (queries are not replayed by the store, so they must not
create accounts or move anything). Numbers go out as decimal strings via
:func:`~wallet_perps.core.numbers.to_wire`, USD amounts truncated to 6 decimals like the venue.
"""

from __future__ import annotations

from collections import deque
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Decimal
from typing import Any, Final

from wallet_perps.core.risk import TRANSFER_MARGIN_FLOOR, ZERO, PositionRisk, truncate_usd
from wallet_perps.core.venue_rules import MAKER_FEE, TAKER_FEE
from wallet_perps.localvenue.candles import INTERVALS
from wallet_perps.localvenue.clock import HOUR_MS
from wallet_perps.localvenue.engine_types import (
    VenueOrder,
    basic_order_wire,
    frontend_order_wire,
    wire,
)
from wallet_perps.localvenue.markets import meta_wire
from wallet_perps.localvenue.state import LEDGER_CAP, VenueState

__all__ = ["FILLS_CAP", "LEDGER_CAP", "RANGE_CAP", "VenueQueries"]

#: userFills / userFillsByTime answer at most 2000 fills; historicalOrders 2000 orders.
FILLS_CAP: Final = 2000
#: fundingHistory, userFunding and ledger queries answer at most 500 rows.
RANGE_CAP: Final = 500
_PX_QUANTUM: Final = Decimal("0.00000001")
#: Requests allowed before any volume is traded (PROTOCOL §10).
_REQUEST_BUFFER: Final = 10_000


def _in_range(t: int, start_ms: int, end_ms: int | None) -> bool:
    return t >= start_ms and (end_ms is None or t <= end_ms)


def _ascending(
    rows: deque[dict[str, Any]], start_ms: int, end_ms: int | None, cap: int
) -> list[dict[str, Any]]:
    """The oldest ``cap`` rows in ``[start, end]``, oldest first, so paging on the last
    returned time as the next startTime moves forward (PROTOCOL §7 pagination)."""
    out: list[dict[str, Any]] = []
    for row in rows:
        if _in_range(row["time"], start_ms, end_ms):
            out.append(row)
            if len(out) >= cap:
                break
    return out


class VenueQueries:
    """Every /info answer of :class:`~wallet_perps.localvenue.engine.Venue`, read from its state.

    A part without a slice of its own: it only reads (see the module docstring).
    """

    __slots__ = ("s",)

    def __init__(self, state: VenueState) -> None:
        self.s = state

    # ------------------------------------------------------------------ market data

    def meta(self) -> dict[str, Any]:
        return meta_wire(self.s.markets)

    def spot_meta(self) -> dict[str, Any]:
        """No spot pairs; USDC only, so the SDK's ``Info()`` constructor works (PROTOCOL §12)."""
        return {
            "universe": [],
            "tokens": [
                {
                    "name": "USDC",
                    "szDecimals": 8,
                    "weiDecimals": 8,
                    "index": 0,
                    "tokenId": "0x6d1e7cde53ba9467b783cb7c530ce054",
                    "isCanonical": True,
                    "evmContract": None,
                    "fullName": None,
                }
            ],
        }

    def _mid(self, coin: str) -> Decimal | None:
        bid, ask = self.s.trades.books[coin].bbo()
        if bid is None or ask is None:
            return None
        return (bid + ask) / 2

    def asset_ctx(self, coin: str) -> dict[str, Any]:
        ch = self.s.clearinghouse
        sampler = self.s.funding.samplers[coin]
        day = self.s.market.day[coin]
        self.s.market.candles[coin].flush()
        mid = self._mid(coin)
        impact_bid, impact_ask = self.s.funding.impact.get(coin, (None, None))
        premium = sampler.current_premium()
        prev = day.prev_day_px
        return {
            "funding": wire(sampler.current_rate()),
            "openInterest": wire(self.open_interest(coin)),
            "prevDayPx": wire(prev if prev is not None else ch.oracles[coin]),
            "dayNtlVlm": wire(day.day_ntl_vlm),
            "premium": None if premium is None else wire(premium),
            "oraclePx": wire(ch.oracles[coin]),
            "markPx": wire(ch.marks[coin]),
            "midPx": None if mid is None else wire(mid),
            "impactPxs": None
            if impact_bid is None or impact_ask is None
            else [_px(impact_bid), _px(impact_ask)],
            "dayBaseVlm": wire(day.day_base_vlm),
        }

    def meta_and_asset_ctxs(self) -> list[Any]:
        return [self.meta(), [self.asset_ctx(spec.name) for spec in self.s.markets]]

    def open_interest(self, coin: str) -> Decimal:
        """Open interest in base units: the sum of long sizes (= sum of short sizes)."""
        total = ZERO
        for account in self.s.clearinghouse.accounts.values():
            position = account.positions.get(coin)
            if position is not None and position.szi > 0:
                total += position.szi
        return total

    def all_mids(self) -> dict[str, str]:
        """Book mid; else the last trade; else the mark (so the SDK's market orders work)."""
        out: dict[str, str] = {}
        for spec in self.s.markets:
            coin = spec.name
            mid = self._mid(coin)
            if mid is None:
                mid = self.s.trades.books[coin].last_trade_px
            if mid is None:
                mid = self.s.clearinghouse.marks[coin]
            out[coin] = wire(mid)
        return out

    def l2_book(
        self, coin: str, n_sig_figs: int | None = None, mantissa: int | None = None
    ) -> dict[str, Any] | None:
        """``{"coin","time","levels"}``; None (JSON null) for an unknown coin, as the venue.

        Raises ValueError for nSigFigs/mantissa values the venue refuses.
        """
        book = self.s.trades.books.get(coin)
        if book is None:
            return None
        bids, asks = book.l2(n_sig_figs=n_sig_figs, mantissa=mantissa)
        return {
            "coin": coin,
            "time": self.s.now_ms,
            "levels": [
                [{"px": wire(p), "sz": wire(s), "n": n} for p, s, n in bids],
                [{"px": wire(p), "sz": wire(s), "n": n} for p, s, n in asks],
            ],
        }

    def bbo_wire(self, coin: str) -> dict[str, Any]:
        book = self.s.trades.books[coin]
        levels = book.l2(n_levels=1)
        bid = levels[0][0] if levels[0] else None
        ask = levels[1][0] if levels[1] else None

        def level(lv: tuple[Decimal, Decimal, int] | None) -> dict[str, Any] | None:
            if lv is None:
                return None
            return {"px": wire(lv[0]), "sz": wire(lv[1]), "n": lv[2]}

        return {"coin": coin, "time": self.s.now_ms, "bbo": [level(bid), level(ask)]}

    def candle_snapshot(
        self, coin: str, interval: str, start_ms: int, end_ms: int | None = None
    ) -> list[dict[str, Any]]:
        """Candles overlapping ``[start, end]``, oldest first; [] for an unknown coin.

        Raises ValueError for an interval the venue does not serve.
        """
        if interval not in INTERVALS:
            raise ValueError(f"unknown candle interval {interval!r}")
        candles = self.s.market.candles.get(coin)
        if candles is None:
            return []
        return candles.snapshot(interval, start_ms, end_ms)

    def funding_history(
        self, coin: str, start_ms: int, end_ms: int | None = None
    ) -> list[dict[str, Any]]:
        rows = self.s.funding.history.get(coin)
        return [] if rows is None else _ascending(rows, start_ms, end_ms, RANGE_CAP)

    def predicted_fundings(self) -> list[Any]:
        """HlPerp only: the local venue has no CEX feeds to predict from."""
        out: list[Any] = []
        for spec in self.s.markets:
            rate = self.s.funding.samplers[spec.name].current_rate()
            out.append(
                [
                    spec.name,
                    [
                        [
                            "HlPerp",
                            {
                                "fundingRate": wire(rate),
                                "nextFundingTime": self.s.funding.next_funding_ms,
                                "fundingIntervalHours": 1,
                            },
                        ]
                    ],
                ]
            )
        return out

    # ------------------------------------------------------------------ account state

    def _leverage_wire(self, user: str, coin: str) -> dict[str, Any]:
        ch = self.s.clearinghouse
        setting = ch.leverage_of(user, coin)
        if setting.is_cross:
            return {"type": "cross", "value": setting.value}
        position = ch.accounts[user].positions.get(coin)
        raw = (
            position.isolated_raw_usd
            if position is not None and position.isolated_raw_usd is not None
            else ZERO
        )
        return {"type": "isolated", "value": setting.value, "rawUsd": wire(raw)}

    def clearinghouse_state(self, user: str) -> dict[str, Any]:
        """The perp account (PROTOCOL §7.1), every identity there holding on the strings.

        Built on demand from the clearinghouse's ledgers and ``core.risk``; nothing is cached,
        so it costs one pass over the account's positions.
        """
        user = user.lower()
        ch = self.s.clearinghouse
        if user not in ch.accounts:
            return _empty_state(self.s.now_ms)
        risk = ch.risk(user)
        account = ch.accounts[user]
        cross_value = cross_ntl = cross_used = cross_mm = held = ZERO
        iso_ntl = iso_used = iso_raw = iso_margin = ZERO
        by_coin: dict[str, PositionRisk] = {}
        for p in risk.positions:
            if p.szi == 0:
                continue
            by_coin[p.coin] = p
            value = p.position_value
            if p.isolated_raw_usd is None:
                cross_value += p.szi * p.mark_px
                cross_ntl += value
                cross_used += p.margin_used
                cross_mm += p.maintenance_margin
                held += max(p.initial_margin, TRANSFER_MARGIN_FLOOR * value)
            else:
                iso_ntl += value
                iso_used += p.margin_used
                iso_raw += p.isolated_raw_usd
                iso_margin += p.isolated_margin
        cross_av = risk.cross_raw_usd + cross_value
        # Clearinghouse.withdrawable, from the same single pass over the positions
        withdrawable = max(ZERO, max(ZERO, cross_av - held) - account.reserved_total)
        asset_positions: list[dict[str, Any]] = []
        for spec in self.s.markets:
            pos = by_coin.get(spec.name)
            if pos is None:
                continue
            p = pos
            liq = risk.liquidation_price(spec.name)
            funding = account.positions[spec.name].funding
            # PnL and ROE from the entry price as reported, so they match it on the strings
            entry = _px(p.entry_px)
            pnl = p.szi * (p.mark_px - Decimal(entry))
            basis = abs(p.szi) * Decimal(entry) / p.leverage
            roe = (pnl / basis).quantize(_PX_QUANTUM, rounding=ROUND_DOWN) if basis else ZERO
            asset_positions.append(
                {
                    "type": "oneWay",
                    "position": {
                        "coin": spec.name,
                        "szi": wire(p.szi),
                        "leverage": self._leverage_wire(user, spec.name),
                        "entryPx": entry,
                        "positionValue": wire(p.position_value),
                        "unrealizedPnl": wire(truncate_usd(pnl)),
                        "returnOnEquity": wire(roe),
                        "liquidationPx": None if liq is None else _px(liq),
                        "marginUsed": wire(p.margin_used),
                        "maxLeverage": spec.max_leverage,
                        "cumFunding": {
                            "allTime": wire(funding.all_time),
                            "sinceOpen": wire(funding.since_open),
                            "sinceChange": wire(funding.since_change),
                        },
                    },
                }
            )

        def usd(value: Decimal) -> str:
            return wire(truncate_usd(value))

        return {
            "marginSummary": {
                "accountValue": usd(cross_av + iso_margin),
                "totalNtlPos": usd(cross_ntl + iso_ntl),
                "totalRawUsd": usd(risk.cross_raw_usd + iso_raw),
                "totalMarginUsed": usd(cross_used + iso_used),
            },
            "crossMarginSummary": {
                "accountValue": usd(cross_av),
                "totalNtlPos": usd(cross_ntl),
                "totalRawUsd": usd(risk.cross_raw_usd),
                "totalMarginUsed": usd(cross_used),
            },
            "crossMaintenanceMarginUsed": usd(cross_mm),
            "withdrawable": usd(withdrawable),
            "assetPositions": asset_positions,
            "time": self.s.now_ms,
        }

    def spot_clearinghouse_state(self, user: str) -> dict[str, Any]:
        total = self.s.accounts.spot.get(user.lower(), ZERO)
        return {
            "balances": [
                {
                    "coin": "USDC",
                    "token": 0,
                    "hold": "0.0",
                    "total": wire(total),
                    "entryNtl": "0.0",
                }
            ]
        }

    def active_asset_data(self, user: str, coin: str) -> dict[str, Any] | None:
        """Leverage, what may be traded each way, and the mark; None for an unknown coin."""
        user = user.lower()
        spec = self.s.spec.get(coin)
        if spec is None:
            return None
        ch = self.s.clearinghouse
        mark = ch.marks[coin]
        if user not in ch.accounts:
            default = min(20, spec.max_leverage)
            return {
                "user": user,
                "coin": coin,
                "leverage": {"type": "cross", "value": default},
                "maxTradeSzs": ["0.0", "0.0"],
                "availableToTrade": ["0.0", "0.0"],
                "markPx": wire(mark),
            }
        leverage = ch.leverage_of(user, coin).value
        available = max(ZERO, ch.available_to_trade(user))
        position = ch.accounts[user].positions.get(coin)
        szi = position.szi if position is not None else ZERO
        lot = Decimal(1).scaleb(-spec.sz_decimals)
        opening = (available * leverage / mark).quantize(lot, rounding=ROUND_DOWN)
        buy = opening + (-szi if szi < 0 else ZERO)
        sell = opening + (szi if szi > 0 else ZERO)
        avail = wire(truncate_usd(available))
        return {
            "user": user,
            "coin": coin,
            "leverage": self._leverage_wire(user, coin),
            "maxTradeSzs": [wire(buy), wire(sell)],
            "availableToTrade": [avail, avail],
            "markPx": wire(mark),
        }

    def user_rate_limit(self, user: str) -> dict[str, Any]:
        user = user.lower()
        vlm = self.s.trades.cum_vlm.get(user, ZERO)
        cap = _REQUEST_BUFFER + int(vlm)
        used = self.s.pushes.n_requests.get(user, 0)
        return {
            "cumVlm": wire(truncate_usd(vlm)),
            "nRequestsUsed": used,
            "nRequestsCap": cap,
            "nRequestsSurplus": 0,
        }

    def user_fees(self, user: str) -> dict[str, Any]:
        """Tier 0 for everyone (the local venue has no volume tiers or staking)."""
        return {
            "dailyUserVlm": [],
            "feeSchedule": {"cross": wire(TAKER_FEE), "add": wire(MAKER_FEE)},
            "userCrossRate": wire(TAKER_FEE),
            "userAddRate": wire(MAKER_FEE),
            "activeReferralDiscount": "0.0",
        }

    # ------------------------------------------------------------------ orders

    def _frontend(self, order: VenueOrder) -> dict[str, Any]:
        by_oid = self.s.orders.by_oid
        children = [frontend_order_wire(by_oid[c]) for c in order.children if c in by_oid]
        return frontend_order_wire(order, children, sz=self._shown_sz(order))

    def _shown_sz(self, order: VenueOrder) -> Decimal:
        """A live positionTpsl order shows the size it would close now (the position's)."""
        if order.is_position_tpsl and order.live:
            account = self.s.clearinghouse.accounts.get(order.user)
            position = account.positions.get(order.coin) if account is not None else None
            return abs(position.szi) if position is not None else ZERO
        return order.remaining

    def open_orders(self, user: str) -> list[dict[str, Any]]:
        """Live orders, newest first (resting, trigger, and children waiting for a fill)."""
        live = self.s.orders.open.get(user.lower())
        if not live:
            return []
        return [basic_order_wire(o, sz=self._shown_sz(o)) for o in reversed(live.values())]

    def frontend_open_orders(self, user: str) -> list[dict[str, Any]]:
        live = self.s.orders.open.get(user.lower())
        if not live:
            return []
        return [self._frontend(o) for o in reversed(live.values())]

    def _status_entry(self, order: VenueOrder) -> dict[str, Any]:
        return {
            "order": self._frontend(order),
            "status": order.status,
            "statusTimestamp": order.status_ts,
        }

    def order_status(self, user: str, oid_or_cloid: int | str) -> dict[str, Any]:
        user = user.lower()
        order: VenueOrder | None = None
        if isinstance(oid_or_cloid, str):
            oid = self.s.orders.cloids.get(user, {}).get(oid_or_cloid.lower())
            order = self.s.orders.by_oid.get(oid) if oid is not None else None
        else:
            order = self.s.orders.by_oid.get(oid_or_cloid)
        if order is None or order.user != user:
            return {"status": "unknownOid"}
        return {"status": "order", "order": self._status_entry(order)}

    def historical_orders(self, user: str) -> list[dict[str, Any]]:
        """The 2000 most recent orders with their latest status, newest first."""
        orders = self.s.orders.history.get(user.lower())
        if not orders:
            return []
        out: list[dict[str, Any]] = []
        for order in reversed(orders.values()):
            out.append(self._status_entry(order))
            if len(out) >= FILLS_CAP:
                break
        return out

    # ------------------------------------------------------------------ history

    def user_fills(self, user: str, aggregate_by_time: bool = False) -> list[dict[str, Any]]:
        """The 2000 most recent fills, newest first (as the recorded venue answers).

        ``aggregateByTime`` merges the partial fills of one order in one transaction (same
        oid, time and hash): sizes, fees and closed PnL add up and px becomes the average.
        """
        rows = self.s.trades.fills.get(user.lower())
        if not rows:
            return []
        out: list[dict[str, Any]] = []
        for row in reversed(rows):
            out.append(row)
            if len(out) >= FILLS_CAP:
                break
        return _aggregate(out, newest_first=True) if aggregate_by_time else out

    def user_fills_by_time(
        self,
        user: str,
        start_ms: int,
        end_ms: int | None = None,
        aggregate_by_time: bool = False,
    ) -> list[dict[str, Any]]:
        """Fills in ``[start, end]``: the oldest 2000, ascending (so paging moves forward)."""
        rows = self.s.trades.fills.get(user.lower())
        if not rows:
            return []
        out = _ascending(rows, start_ms, end_ms, FILLS_CAP)
        return _aggregate(out, newest_first=False) if aggregate_by_time else out

    def user_funding(
        self, user: str, start_ms: int, end_ms: int | None = None
    ) -> list[dict[str, Any]]:
        rows = self.s.funding.user_funding.get(user.lower())
        return [] if not rows else _ascending(rows, start_ms, end_ms, RANGE_CAP)

    def user_non_funding_ledger_updates(
        self, user: str, start_ms: int, end_ms: int | None = None
    ) -> list[dict[str, Any]]:
        rows = self.s.accounts.ledger.get(user.lower())
        return [] if not rows else _ascending(rows, start_ms, end_ms, RANGE_CAP)

    def next_funding_ms(self) -> int:
        return self.s.funding.next_funding_ms

    @staticmethod
    def hour_ms() -> int:
        return HOUR_MS


def _px(value: Decimal) -> str:
    """A derived price (entry, liquidation, impact) to at most 8 decimals."""
    return wire(value.quantize(_PX_QUANTUM, rounding=ROUND_HALF_EVEN))


def _empty_state(now_ms: int) -> dict[str, Any]:
    zero = {"accountValue": "0.0", "totalNtlPos": "0.0", "totalRawUsd": "0.0"}
    return {
        "marginSummary": {**zero, "totalMarginUsed": "0.0"},
        "crossMarginSummary": {**zero, "totalMarginUsed": "0.0"},
        "crossMaintenanceMarginUsed": "0.0",
        "withdrawable": "0.0",
        "assetPositions": [],
        "time": now_ms,
    }


def _aggregate(fills: list[dict[str, Any]], newest_first: bool) -> list[dict[str, Any]]:
    """Merge consecutive fills of the same order, time and hash (``aggregateByTime``)."""
    out: list[dict[str, Any]] = []
    notional = ZERO
    for fill in fills:
        last = out[-1] if out else None
        if (
            last is not None
            and last["oid"] == fill["oid"]
            and last["time"] == fill["time"]
            and last["hash"] == fill["hash"]
        ):
            sz = Decimal(last["sz"]) + Decimal(fill["sz"])
            notional += Decimal(fill["px"]) * Decimal(fill["sz"])
            last["sz"] = wire(sz)
            last["px"] = _px(notional / sz)
            last["fee"] = wire(Decimal(last["fee"]) + Decimal(fill["fee"]))
            last["closedPnl"] = wire(Decimal(last["closedPnl"]) + Decimal(fill["closedPnl"]))
            if newest_first:  # the earlier fill comes later and holds the start position
                last["startPosition"] = fill["startPosition"]
            continue
        out.append(dict(fill))
        notional = Decimal(fill["px"]) * Decimal(fill["sz"])
    return out

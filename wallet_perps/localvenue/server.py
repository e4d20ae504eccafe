"""The local venue's network face: Hyperliquid's /info, /exchange and /ws over aiohttp.

The venue state machine (``engine.Venue``) is deterministic, so durability is an input log:
every state-changing input (an authenticated action, a tick, a faucet credit, an oracle
override) is appended to SQLite and committed *before* it is applied, so neither its answer
nor its WebSocket pushes can leave before it is durable. A restart loads the newest snapshot
and replays the log through the very same code path (``_carry_out``), which is what makes "an
acknowledged order survives kill -9" hold without a second, hand-written persistence model.

Why commit first, then apply (rather than apply, then commit and roll back on failure): with
inputs applied only after their commit, the venue in memory is at every moment exactly the
replay of its log -- a commit that fails (full disk, I/O error) leaves nothing to undo, and no
/info answer, WebSocket push or snapshot can ever show an input the log does not hold. A
rollback would need a copy of the engine before every input (pickling it costs milliseconds)
or a rebuild from snapshot + log after each failure (seconds, on every tick while the disk
stays full), and info requests would have to wait out every uncommitted change.
The inputs of one event-loop turn are committed together (``_record`` queues, ``_flush``
commits, then applies them in order and answers each), so one commit still covers many
orders. What apply-first gave for free -- not logging what authentication refuses -- is given
up: a well-formed action is logged before it is authenticated, and a refused one replays as
the same refusal. That costs log space only until the next snapshot prunes it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import pickle
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from aiohttp import web

from wallet_perps.core.numbers import check_price
from wallet_perps.core.private_files import private_dir, tighten_tree, write_private_file
from wallet_perps.core.venue_rules import MAKER_FEE, TAKER_FEE
from wallet_perps.localvenue.auth import Authenticator, AuthError
from wallet_perps.localvenue.clock import VenueClock
from wallet_perps.localvenue.engine import Venue, VenueReject
from wallet_perps.localvenue.files import ADMIN_TOKEN_NAME, new_admin_token, private_temp_dir
from wallet_perps.localvenue.flow import MarketFlow
from wallet_perps.localvenue.guard import (
    DEFAULT_MAX_CONNECTIONS_PER_IP,
    guard_middleware,
)
from wallet_perps.localvenue.requests import (
    MAX_BODY_BYTES,
    BadRequest,
    ExchangeRequest,
    InfoRequest,
    decode_json_body,
    parse_exchange_request,
    parse_info_request,
    strict_decimal,
)
from wallet_perps.localvenue.store import DataDirLock, VenueStore
from wallet_perps.localvenue.ws_hub import WsHub, is_address

log = logging.getLogger(__name__)

SNAPSHOT_EVERY_S = 60.0
SNAPSHOT_EVERY_ENTRIES = 20_000


ActionHandler = Callable[[str, Any, int], dict[str, Any]]


def _json(data: Any, status: int = 200) -> web.Response:
    return web.Response(
        text=json.dumps(data, separators=(",", ":")), status=status, content_type="application/json"
    )


#: What a client is told when its input could not be made durable (nothing was carried out).
STORAGE_FAILED_TEXT = (
    "The venue could not save this action (its storage refused the write: {error}); "
    "nothing was done. Try again once the venue's disk has space."
)


def _err(text: str) -> dict[str, Any]:
    return {"status": "err", "response": text}


@dataclass(slots=True)
class _Pending:
    """One input waiting for this loop turn's commit, and the future its client awaits."""

    kind: str
    payload: dict[str, Any]
    text: str  # the payload as logged
    req: ExchangeRequest | None  # /exchange: the request already parsed from ``payload``
    answer: asyncio.Future[dict[str, Any]]


class VenueServer:
    """Owns the venue, its authenticator, persistence, the ticker and every connection."""

    def __init__(
        self,
        *,
        data_dir: Path | None = None,
        seed: int = 0,
        clock_speed: float = 1.0,
        is_mainnet: bool = False,
        tick_interval_s: float = 0.25,
        start_ms: int | None = None,
        flow: bool = True,
        max_connections_per_ip: int = DEFAULT_MAX_CONNECTIONS_PER_IP,
        before_commit: Callable[[], None] | None = None,
    ) -> None:
        """``before_commit`` is for fault-injection tests only (see :class:`VenueStore`): it is
        called inside every write transaction just before COMMIT, and whatever it raises fails
        that write exactly as a full disk would. The shipped venue never passes one."""
        self.is_mainnet = is_mainnet
        # A paper venue's admin routes (/sim/*) answer only to this per-run token; a venue
        # speaking mainnet signatures has no admin routes at all.
        self.admin_token: str | None = None if is_mainnet else new_admin_token()
        self.admin_token_path: Path | None = None
        self._data_dir = data_dir
        self._temp_dir: Path | None = None
        self.with_flow = flow
        self.flow: MarketFlow | None = None
        self.tick_interval_s = tick_interval_s
        self._lock: DataDirLock | None = None
        self.store: VenueStore | None = None
        if data_dir is not None:
            private_dir(data_dir)
            self._lock = DataDirLock(data_dir)
            self._lock.acquire()
            tighten_tree(data_dir)  # files left world-readable by an older version
            self.store = VenueStore(data_dir / "venue.sqlite3", before_commit=before_commit)
        self._pending: list[_Pending] = []
        self._since_snapshot = 0
        self._failed_writes = 0  # consecutive failed commits (logged once per outage)
        self.clock, self.venue, self.auth = self._restore(seed, clock_speed, start_ms)
        self.ws = WsHub(
            lambda: self.venue,
            self.clock,
            info=self.info,
            exchange=self.exchange_body,
            max_connections_per_ip=max_connections_per_ip,
        )
        self.venue.listeners.append(self.ws.on_event)
        self._runner: web.AppRunner | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self.url: str | None = None

    # -- state: restore, apply, persist ------------------------------------------------------

    def _restore(
        self, seed: int, clock_speed: float, start_ms: int | None
    ) -> tuple[VenueClock, Venue, Authenticator]:
        """Rebuild the venue from snapshot + log, or create it fresh."""
        if self.store is None:
            clock = VenueClock(clock_speed, start_ms)
            self._create(seed, clock.now_ms())
            return clock, self.venue, self.auth
        settings = self.store.settings()
        if "seed" in settings:
            seed = int(settings["seed"])
        # Flow on/off is part of what the log means (ticks step the flow): a data directory
        # keeps the choice it was created with, else a restart with the other flag would
        # rebuild different fills from the same log.
        if settings.get("flow") in ("0", "1") and (settings["flow"] == "1") != self.with_flow:
            log.warning(
                "this data directory was created with flow %s; keeping it",
                "on" if settings["flow"] == "1" else "off",
            )
            self.with_flow = settings["flow"] == "1"
        blob, _, entries = self.store.load()
        if blob is not None:
            self.venue, self.auth, self.flow, last_ms = pickle.loads(blob)
            self.with_flow = self.flow is not None
        else:
            last_ms = int(settings.get("start_ms", 0)) or VenueClock(1.0, start_ms).now_ms()
            self._create(seed, last_ms)
            self.store.set_setting("seed", str(seed))
            self.store.set_setting("start_ms", str(last_ms))
        if "flow" not in settings:
            self.store.set_setting("flow", "1" if self.with_flow else "0")
        for _, kind, payload in entries:
            last_ms = max(last_ms, self._apply(kind, json.loads(payload)))
        # Venue time continues from where it stopped, never backwards.
        clock = VenueClock(clock_speed, max(last_ms, VenueClock(1.0, start_ms).now_ms()))
        log.info("venue restored: %d log entries replayed", len(entries))
        return clock, self.venue, self.auth

    def _create(self, seed: int, start_ms: int) -> None:
        """A brand-new venue: a pure function of (seed, start time, flow on/off)."""
        self.venue = Venue(seed=seed, start_ms=start_ms)
        self.auth = Authenticator(self.is_mainnet)
        if self.with_flow:
            self.flow = MarketFlow(self.venue, seed=seed, now_ms=start_ms)
            # Quote at once, so the very first client already finds a book to trade against.
            self.venue.tick(start_ms)
            self.flow.step(self.venue, start_ms)

    def _apply(self, kind: str, p: dict[str, Any]) -> int:
        """Replay one logged input (the same code the live venue ran). Returns its time."""
        self._carry_out(kind, p)
        return int(p["now"])

    def _carry_out(
        self, kind: str, p: dict[str, Any], req: ExchangeRequest | None = None
    ) -> dict[str, Any]:
        """The one place inputs change state, live and during replay, always after the input
        was committed; returns the answer and never raises.

        Whatever an input raises, live or in replay, is answered (or logged) and the venue
        goes on: its partial effect, if any, is the same both times because the engine is
        deterministic.
        """
        now = int(p["now"])
        try:
            if kind == "tick":
                self.venue.tick(now)
                if self.flow is not None:
                    self.flow.step(self.venue, now)
            elif kind == "faucet":
                self.venue.faucet(p["user"], Decimal(p["usdc"]), now)
                self.auth.note_user(p["user"])
            elif kind == "oracle":
                self.venue.set_oracle(p["coin"], Decimal(p["px"]), now)
            elif kind == "exchange":
                request = req if req is not None else parse_exchange_request(p["body"])
                return {"status": "ok", "response": self._exchange(request, now)}
            else:
                raise ValueError(f"unknown venue input {kind!r}")
        except (AuthError, VenueReject, ValueError) as exc:
            return _err(str(exc))
        except BadRequest as exc:
            return _err(exc.text)
        except Exception as exc:  # a bug must not become a 500 page, or stop venue time
            log.exception("venue input %s at %d failed", kind, now)
            return _err(f"Internal error: {type(exc).__name__}")
        return {"status": "ok"}

    def _record(
        self, kind: str, payload: dict[str, Any], req: ExchangeRequest | None = None
    ) -> asyncio.Future[dict[str, Any]]:
        """Queue an input for this loop turn's commit; the future gets its answer once it was
        committed and then applied (or the venue's refusal if the commit failed)."""
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[dict[str, Any]] = loop.create_future()
        if self.store is None:  # nothing to make durable: apply at once
            answer.set_result(self._carry_out(kind, payload, req))
            return answer
        try:
            text = json.dumps(payload, separators=(",", ":"))
        except (TypeError, ValueError) as exc:  # pragma: no cover - payloads come from JSON
            answer.set_result(_err(f"Internal error: {exc}"))
            return answer
        if not self._pending:
            loop.call_soon(self._flush)
        self._pending.append(_Pending(kind, payload, text, req, answer))
        return answer

    def _flush(self) -> None:
        """Commit this turn's inputs in one transaction, then apply them in order.

        If the commit fails, nothing was logged and nothing is applied: each input is
        answered with the venue's refusal and the state is exactly what it was.
        """
        batch, self._pending = self._pending, []
        if not batch:
            return
        assert self.store is not None
        try:
            self.store.append_many([(item.kind, item.text) for item in batch])
        except Exception as exc:  # sqlite3.Error, OSError, StoreError: not durable, not done
            self._failed_writes += 1
            if self._failed_writes == 1:
                log.error("venue storage refused a write (%s); refusing inputs until it works", exc)
            refusal = _err(STORAGE_FAILED_TEXT.format(error=str(exc) or type(exc).__name__))
            for item in batch:
                if not item.answer.done():
                    item.answer.set_result(refusal)
            return
        if self._failed_writes:
            log.warning("venue storage works again after %d failed writes", self._failed_writes)
            self._failed_writes = 0
        self._since_snapshot += len(batch)
        for item in batch:  # committed: applied even if the client stopped waiting
            result = self._carry_out(item.kind, item.payload, item.req)
            if not item.answer.done():
                item.answer.set_result(result)
        if self._since_snapshot >= SNAPSHOT_EVERY_ENTRIES:
            self.snapshot()

    def snapshot(self) -> None:
        """Pickle the venue as of the last committed input.

        Inputs are applied only inside ``_flush``, right after their commit, so outside it the
        venue is always exactly the replay of the log up to ``last_seq`` -- queued inputs are
        in neither. A failed snapshot is logged and changes nothing: the log keeps everything.
        """
        if self.store is None:
            return
        try:
            seq = self.store.last_seq
            state = (self.venue, self.auth, self.flow, self.clock.now_ms())
            blob = pickle.dumps(state, pickle.HIGHEST_PROTOCOL)
            self.store.save_snapshot(seq, blob)
        except Exception:
            log.exception("venue snapshot failed; the input log still holds everything")
            return
        self._since_snapshot = 0

    async def sim_faucet(self, user: str, usdc: Decimal) -> dict[str, Any]:
        """Credit paper USDC (validated by the route): committed, then applied."""
        try:
            self.auth.check_may_become_user(user)
        except AuthError as exc:  # refused before anything is logged
            return _err(str(exc))
        now = self.clock.now_ms()
        return await self._record("faucet", {"now": now, "user": user, "usdc": str(usdc)})

    async def sim_oracle(self, coin: str, px: Decimal) -> dict[str, Any]:
        """Override a coin's oracle price (validated by the route): committed, then applied."""
        now = self.clock.now_ms()
        return await self._record("oracle", {"now": now, "coin": coin, "px": str(px)})

    # -- exchange --------------------------------------------------------------------------

    def _exchange(self, req: ExchangeRequest, now: int) -> dict[str, Any]:
        """Authenticate and carry out one action; raises AuthError/VenueReject for refusals."""
        result = self.auth.authenticate(req, now, has_funds=self.venue.has_funds)
        kind = req.action_type
        if kind == "approveAgent":
            self.auth.approve_agent(result.account, req.action, now, has_funds=self.venue.has_funds)
            return {"type": "default"}
        handler = self._handlers.get(kind)
        if handler is None:
            raise VenueReject(f"Unsupported action type: {kind}")
        return handler(result.account, req.record, now)

    @property
    def venue(self) -> Venue:
        return self._venue

    @venue.setter
    def venue(self, venue: Venue) -> None:
        """The venue is set while restoring (created or unpickled) and whenever a snapshot is
        loaded in its place; its action table is built then, not on every request."""
        self._venue = v = venue
        self._handlers: dict[str, ActionHandler] = {
            "order": v.order,
            "cancel": v.cancel,
            "cancelByCloid": v.cancel_by_cloid,
            "modify": v.modify,
            "batchModify": v.batch_modify,
            "scheduleCancel": v.schedule_cancel,
            "updateLeverage": v.update_leverage,
            "updateIsolatedMargin": v.update_isolated_margin,
            "usdSend": v.usd_send,
            "withdraw3": v.withdraw3,
            "usdClassTransfer": v.usd_class_transfer,
            "noop": v.noop,
        }

    async def exchange_body(self, body: Any) -> dict[str, Any]:
        """Runs one /exchange body (HTTP or WS post) and returns the venue's answer."""
        req = parse_exchange_request(body)  # BadRequest: answered by the route, not logged
        return await self._record("exchange", {"now": self.clock.now_ms(), "body": body}, req)

    # -- info ------------------------------------------------------------------------------

    def info(self, req: InfoRequest) -> Any:
        v, a = self.venue, self.auth
        t = req.type
        user = req.user or ""
        if t == "meta":
            return v.meta()
        if t == "spotMeta":
            return v.spot_meta()
        if t == "metaAndAssetCtxs":
            return v.meta_and_asset_ctxs()
        if t == "spotMetaAndAssetCtxs":
            return [v.spot_meta(), []]
        if t == "allMids":
            return v.all_mids()
        if t == "l2Book":
            return v.l2_book(req.coin or "", req.n_sig_figs, req.mantissa)
        if t == "candleSnapshot":
            return v.candle_snapshot(
                req.coin or "", req.interval or "1m", req.start_ms or 0, req.end_ms
            )
        if t == "clearinghouseState":
            return v.clearinghouse_state(user)
        if t == "spotClearinghouseState":
            return v.spot_clearinghouse_state(user)
        if t == "openOrders":
            return v.open_orders(user)
        if t == "frontendOpenOrders":
            return v.frontend_open_orders(user)
        if t == "orderStatus":
            return v.order_status(user, req.oid if req.oid is not None else 0)
        if t == "historicalOrders":
            return v.historical_orders(user)
        if t == "userFills":
            return v.user_fills(user, bool(req.aggregate_by_time))
        if t == "userFillsByTime":
            return v.user_fills_by_time(user, req.start_ms or 0, req.end_ms)
        if t == "userFunding":
            return v.user_funding(user, req.start_ms or 0, req.end_ms)
        if t == "userNonFundingLedgerUpdates":
            return v.user_non_funding_ledger_updates(user, req.start_ms or 0, req.end_ms)
        if t == "fundingHistory":
            return v.funding_history(req.coin or "", req.start_ms or 0, req.end_ms)
        if t == "predictedFundings":
            return v.predicted_fundings()
        if t == "userRateLimit":
            return v.user_rate_limit(user)
        if t == "activeAssetData":
            return v.active_asset_data(user, req.coin or "")
        if t == "userRole":
            return a.user_role(user, has_funds=v.has_funds, now_ms=self.clock.now_ms())
        if t == "extraAgents":
            return a.extra_agents(user, self.clock.now_ms())
        if t == "userFees":
            return {
                "userCrossRate": str(TAKER_FEE),
                "userAddRate": str(MAKER_FEE),
                "activeReferralDiscount": "0.0",
            }
        if t == "maxBuilderFee":
            return 0
        if t == "perpDexs":
            return [None]
        if t == "exchangeStatus":
            return {"time": self.clock.now_ms(), "specialStatuses": None}
        raise BadRequest(
            422, f"Failed to deserialize the JSON body into the target type: unknown type {t}"
        )

    # -- HTTP routes -------------------------------------------------------------------------

    async def _read_json(self, request: web.Request) -> Any:
        """The body as JSON, with the venue's answers for oversized or malformed bodies."""
        if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
            raise BadRequest(413, "Failed to buffer the request body: length limit exceeded")
        return decode_json_body(await request.content.read(MAX_BODY_BYTES + 1))

    async def handle_info(self, request: web.Request) -> web.Response:
        try:
            return _json(self.info(parse_info_request(await self._read_json(request))))
        except BadRequest as exc:
            return web.Response(text=exc.text, status=exc.status)
        except VenueReject as exc:
            return web.Response(text=str(exc), status=422)

    async def handle_exchange(self, request: web.Request) -> web.Response:
        try:
            return _json(await self.exchange_body(await self._read_json(request)))
        except BadRequest as exc:
            return web.Response(text=exc.text, status=exc.status)

    async def handle_faucet(self, request: web.Request) -> web.Response:
        """Local-only admin route: credits paper USDC (a deposit in the user's ledger)."""
        try:
            body = await self._read_json(request)
            user = _address(body.get("user") if isinstance(body, dict) else None)
            usdc = _decimal(body.get("usdc"))
        except BadRequest as exc:
            return web.Response(text=exc.text, status=exc.status)
        except (VenueReject, ValueError) as exc:
            return _json({"status": "err", "response": str(exc)})
        return _json(await self.sim_faucet(user, usdc))

    async def handle_oracle(self, request: web.Request) -> web.Response:
        """Local-only admin route: sets a coin's oracle price (tests drive liquidations)."""
        try:
            body = await self._read_json(request)
            coin = body.get("coin") if isinstance(body, dict) else None
            if not isinstance(coin, str):
                raise ValueError("coin must be a string")
            px = _decimal(body.get("px"))
            markets = {m["name"]: m for m in self.venue.meta()["universe"]}
            if coin not in markets:
                raise ValueError(f"Unknown coin {coin}.")
            # A valid tick only: rounding "1e-400" up to one tick would liquidate everyone.
            check_price(px, int(markets[coin]["szDecimals"]))
        except BadRequest as exc:
            return web.Response(text=exc.text, status=exc.status)
        except (VenueReject, ValueError, KeyError) as exc:
            return _json({"status": "err", "response": str(exc)})
        return _json(await self.sim_oracle(coin, px))

    # -- WebSocket ---------------------------------------------------------------------------

    # -- lifecycle ---------------------------------------------------------------------------

    def app(self) -> web.Application:
        app = web.Application(
            client_max_size=MAX_BODY_BYTES, middlewares=[guard_middleware(self.admin_token)]
        )
        app.router.add_post("/info", self.handle_info)
        app.router.add_post("/exchange", self.handle_exchange)
        app.router.add_get("/ws", self.ws.handle)
        if self.admin_token is not None:  # a paper venue only; never with mainnet signatures
            app.router.add_post("/sim/faucet", self.handle_faucet)
            app.router.add_post("/sim/oracle", self.handle_oracle)
        return app

    def _write_admin_token(self) -> None:
        """The token goes beside the data (0600), or in a private temp dir without --data."""
        if self.admin_token is None:
            return
        if self._data_dir is None:
            self._temp_dir = private_temp_dir()
        directory = self._data_dir if self._data_dir is not None else self._temp_dir
        assert directory is not None
        self.admin_token_path = directory / ADMIN_TOKEN_NAME
        write_private_file(self.admin_token_path, self.admin_token + "\n")

    def _remove_admin_token(self) -> None:
        if self.admin_token_path is not None:
            self.admin_token_path.unlink(missing_ok=True)
        if self._temp_dir is not None:
            with contextlib.suppress(OSError):
                self._temp_dir.rmdir()
            self._temp_dir = None

    async def start(self, host: str = "127.0.0.1", port: int = 3001) -> str:
        self._write_admin_token()  # before the URL is out: whoever sees it may read the token
        self._runner = web.AppRunner(self.app(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        addresses = self._runner.addresses
        bound_port = int(addresses[0][1]) if addresses else port
        self.url = f"http://{host}:{bound_port}"
        self._tasks.append(asyncio.create_task(self._ticker()))
        self._tasks.append(asyncio.create_task(self._snapshotter()))
        return self.url

    async def _ticker(self) -> None:
        """Venue time: one committed tick per interval. Nothing stops it: a tick whose write
        fails is simply not applied (the next one, once the disk has space again, catches up
        on funding, triggers, liquidations and flow), and any other error is logged."""
        while True:
            await asyncio.sleep(self.tick_interval_s)
            try:
                await self._record("tick", {"now": self.clock.now_ms()})
            except Exception:  # pragma: no cover - _record answers, it does not raise
                log.exception("venue tick failed")

    async def _snapshotter(self) -> None:
        while True:
            await asyncio.sleep(SNAPSHOT_EVERY_S)
            self.snapshot()  # never raises: a failure is logged and the log keeps everything

    async def stop(self, *, final_snapshot: bool = True) -> None:
        """Stop serving and close the store. ``final_snapshot=False`` leaves the data as a
        kill -9 would (only the input log), which is how tests check that replay alone
        rebuilds what was acknowledged."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        await self.ws.close_all()
        if self._runner is not None:
            await self._runner.cleanup()
        self._flush()  # inputs still queued: committed and applied (their clients are gone)
        if final_snapshot:
            self.snapshot()
        if self.store is not None:
            self.store.close()
        self._remove_admin_token()  # before the lock: a successor may already be waiting
        if self._lock is not None:
            self._lock.release()


def _address(value: Any) -> str:
    if not isinstance(value, str) or not is_address(value):
        raise ValueError("user must be a 0x address")
    return value.lower()


def _decimal(value: Any) -> Decimal:
    """An admin amount or price, read by the same strict reader as /exchange numbers.

    Only a plain decimal string ("10000", "0.5"): no exponent, sign, space, underscore or NaN.
    """
    number = strict_decimal(value, "amount")
    if number <= 0 or number > Decimal(10) ** 12:
        raise ValueError("amount must be a positive decimal string")
    return number

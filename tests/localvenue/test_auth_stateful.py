"""Issue 14, stateful: whatever is signed, nobody acts for another and no nonce is used twice.

Hypothesis drives the whole venue in-process (``VenueServer.exchange_body``, the code path of
HTTP and WebSocket posts, with a venue clock the test moves) with a few users and a pool of
agent keys: approvals (named, unnamed, expiring, renamed, replaced, removed with the zero
address, and attempts on other users' addresses), orders and cancels signed by anyone,
usdSend to anyone, faucet deposits, vaultAddress tricks, time jumps that expire agents, and
"restarts" from a pickled snapshot. Sub-accounts and vaults do not exist on the local venue
(createSubAccount is "not supported", any vaultAddress is "Vault not registered"), so the
vault rule only checks that refusal.

After every signed step, every account outside what its signer may touch (itself, the master
it is a live agent of, a usdSend destination, its own agents) is unchanged: balances,
positions, open orders, ledger, role, agents and nonce set. An independent model of the
roles says which approvals, transfers and signatures must be refused; the venue may refuse
more (limits, margin) but never less. No (signer, nonce) is accepted twice, and replaying
everything accepted so far is refused at some steps. At the end a second venue fed the same
inputs at the same times (what a restart's log replay does) ends in the same state.
"""

from __future__ import annotations

import asyncio
import pickle
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from tests.localvenue.test_auth import _addr, _key
from wallet_perps.core.numbers import round_price, to_wire
from wallet_perps.hyperliquid import actions as A
from wallet_perps.hyperliquid.signing import sign_l1_action, sign_user_action
from wallet_perps.localvenue.auth import ZERO_ADDRESS
from wallet_perps.localvenue.clock import VenueClock
from wallet_perps.localvenue.engine import LIQUIDATOR_ADDRESS
from wallet_perps.localvenue.server import VenueServer

T0 = 1_700_000_000_000
HOUR_MS = 3_600_000
USER_KEYS = [_key(f"stateful user {i}") for i in range(4)]
AGENT_KEYS = [_key(f"stateful agent {i}") for i in range(6)]
KEYS = USER_KEYS + AGENT_KEYS
ADDRESSES = [_addr(k) for k in KEYS]
KEY_OF = dict(zip(ADDRESSES, KEYS, strict=True))
EVERYONE = [*ADDRESSES, LIQUIDATOR_ADDRESS]
NAMES = [None, "a", "b", "c", "d"]
# Weighted pools: mostly funded masters approving fresh agent keys, and those agents trading.
MASTERS = USER_KEYS[:3] * 3 + USER_KEYS[3:] + AGENT_KEYS[:2]
CANDIDATES = [_addr(k) for k in AGENT_KEYS] * 3 + [*EVERYONE, ZERO_ADDRESS]
SIGNERS = AGENT_KEYS * 2 + USER_KEYS

Snapshot = dict[str, Any]


@dataclass
class Model:
    """The roles as issue 14 states them, kept apart from the venue's own bookkeeping."""

    users: set[str] = field(default_factory=lambda: {LIQUIDATOR_ADDRESS})
    agents: dict[str, tuple[str, str, int | None]] = field(default_factory=dict)
    retired: set[str] = field(default_factory=set)
    slots: dict[tuple[str, str], str] = field(default_factory=dict)

    def ever_agent(self, address: str) -> bool:
        return address in self.agents or address in self.retired

    def live_master(self, address: str, now: int) -> str | None:
        record = self.agents.get(address)
        if record is None or (record[2] is not None and now >= record[2]):
            return None
        return record[0]

    def may_approve(self, master: str, agent: str, now: int) -> bool:
        if agent == ZERO_ADDRESS:
            return True
        if agent == master or agent in self.users or agent in self.retired:
            return False
        return agent not in self.agents or self.live_master(agent, now) == master

    def retire(self, agent: str) -> None:
        master, name, _ = self.agents.pop(agent)
        if self.slots.get((master, name)) == agent:
            del self.slots[(master, name)]
        self.retired.add(agent)

    def approve(self, master: str, agent: str, name: str, until: int | None, now: int) -> None:
        for (m, _), a in list(self.slots.items()):
            if m == master and self.live_master(a, now) is None:
                self.retire(a)
        replaced = self.slots.get((master, name))
        if agent == ZERO_ADDRESS:
            if replaced is not None:
                self.retire(replaced)
        else:
            if agent in self.agents:
                self.slots.pop((master, self.agents[agent][1]), None)
            if replaced is not None and replaced != agent:
                self.retire(replaced)
            self.slots[(master, name)] = agent
            self.agents[agent] = (master, name, until)
        self.users.add(master)


class AuthMachine(RuleBasedStateMachine):
    """One venue, a model of who is who, and every request the venue accepted."""

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.wall = [0.0]
        self.server = self._server()
        self.model = Model()
        self.next_nonce: dict[str, int] = {}
        self.accepted: list[tuple[str, int, dict[str, Any]]] = []
        self.pairs: set[tuple[str, int]] = set()
        self.inputs: list[tuple[str, dict[str, Any]]] = []  # what the input log replays

    def _server(self) -> VenueServer:
        server = VenueServer(flow=False, start_ms=T0)
        server.clock = VenueClock(1.0, T0, wall=lambda: self.wall[0])
        return server

    def teardown(self) -> None:
        try:
            self._check_replayed_venue_matches()
        finally:
            self.loop.close()

    # -- helpers -----------------------------------------------------------------------------

    def now(self) -> int:
        return self.server.clock.now_ms()

    def nonce(self, key: str) -> int:
        signer = _addr(key)
        nonce = max(self.now(), self.next_nonce.get(signer, 0) + 1)
        self.next_nonce[signer] = nonce
        return nonce

    def snapshot(self, server: VenueServer | None = None) -> dict[str, Snapshot]:
        server = server or self.server
        v, a, now = server.venue, server.auth, server.clock.now_ms()
        out = {}
        for address in EVERYONE:
            state = dict(v.clearinghouse_state(address))
            state.pop("time", None)
            out[address] = {
                "state": state,
                "open": v.open_orders(address),
                "ledger": v.user_non_funding_ledger_updates(address, 0),
                "role": a.user_role(address, has_funds=v.has_funds, now_ms=now),
                "agents": a.extra_agents(address, now),
                "nonces": sorted(a._nonces.get(address, [])),
            }
        return out

    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        self.inputs.append(("exchange", {"now": self.now(), "body": body}))
        answer: dict[str, Any] = self.loop.run_until_complete(self.server.exchange_body(body))
        return answer

    def signed(
        self, key: str, allowed: set[str], body: dict[str, Any], nonce: int
    ) -> dict[str, Any]:
        """Post ``body`` signed by ``key``; only ``allowed`` accounts (and the signer) change."""
        signer = _addr(key)
        before = self.snapshot()
        answer = self.post(body)
        after = self.snapshot()
        touched = {a for a in EVERYONE if before[a] != after[a]}
        assert touched <= allowed | {signer}, (touched, allowed, signer, body, answer)
        if answer["status"] == "ok":
            assert (signer, nonce) not in self.pairs, (signer, nonce, body)
            self.pairs.add((signer, nonce))
            self.accepted.append((signer, nonce, body))
        return answer

    def l1_body(self, key: str, action: dict[str, Any], vault: str | None = None) -> Any:
        nonce = self.nonce(key)
        sig = sign_l1_action(key, action, nonce, vault_address=vault, is_mainnet=False)
        body = {"action": action, "nonce": nonce, "signature": dict(sig), "vaultAddress": vault}
        return body, nonce

    def user_body(self, key: str, signed: dict[str, Any], posted: dict[str, Any]) -> Any:
        nonce = int(signed["time"] if "time" in signed else signed["nonce"])
        body = {"action": posted, "nonce": nonce, "signature": dict(sign_user_action(key, signed))}
        return body, nonce

    def l1_account(self, signer: str) -> set[str]:
        """Whom an L1 action of ``signer`` may touch: its master while live, else itself."""
        master = self.model.live_master(signer, self.now())
        if master is not None:
            return {master}
        return set() if self.model.ever_agent(signer) else {signer}

    def after_l1(self, signer: str, answer: dict[str, Any]) -> None:
        if answer["status"] != "ok":
            return
        master = self.model.live_master(signer, self.now())
        assert master is not None or not self.model.ever_agent(signer), (signer, answer)
        self.model.users.add(master or signer)

    # -- rules -------------------------------------------------------------------------------

    @initialize()
    def fund_first_users(self) -> None:
        for address in ADDRESSES[:3]:
            self.faucet_to(address, Decimal(1000))

    def faucet_to(self, address: str, usdc: Decimal) -> None:
        """/sim/faucet's path: refused for an address that is or was an agent."""
        payload = {"now": self.now(), "user": address, "usdc": str(usdc)}
        answer = self.loop.run_until_complete(self.server.sim_faucet(address, usdc))
        if self.model.ever_agent(address):
            assert answer["status"] == "err", answer
        else:
            assert answer["status"] == "ok", answer
            self.inputs.append(("faucet", payload))
            self.model.users.add(address)

    @rule(who=st.sampled_from(EVERYONE[:-1]), usdc=st.sampled_from(["20", "500"]))
    def faucet(self, who: str, usdc: str) -> None:
        before = self.snapshot()
        self.faucet_to(who, Decimal(usdc))
        after = self.snapshot()
        assert {a for a in EVERYONE if before[a] != after[a]} <= {who}

    @rule(
        master=st.sampled_from(MASTERS),
        agent=st.sampled_from(CANDIDATES),
        name=st.sampled_from(NAMES),
        hours=st.sampled_from([None, None, 1, 5]),
    )
    def approve(self, master: str, agent: str, name: str | None, hours: int | None) -> None:
        signer, now = _addr(master), self.now()
        until = None if hours is None or name is None else now + hours * HOUR_MS
        nonce = self.nonce(master)
        signed, posted = A.approve_agent_action(
            agent, nonce, is_mainnet=False, name=name, valid_until_ms=until
        )
        body, _ = self.user_body(master, signed, posted)
        mine = {a for (m, _), a in self.model.slots.items() if m == signer}
        answer = self.signed(master, {agent} | mine, body, nonce)
        may = self.model.may_approve(signer, agent, now) and not self.model.ever_agent(signer)
        if answer["status"] == "ok":
            assert may, ("approval accepted against the rules", signer, agent, self.model)
            self.model.approve(signer, agent, name or "", until, now)
        elif not may:
            assert answer["status"] == "err"

    @rule(key=st.sampled_from(SIGNERS), px_pct=st.sampled_from([80, 90, 95]))
    def order(self, key: str, px_pct: int) -> None:
        mark = self.server.venue.clearinghouse.marks["BTC"]
        px = round_price(mark * px_pct / 100, 5, direction="nearest")
        size = (Decimal(30) / px).quantize(Decimal("0.00001"))
        wire = {"a": 0, "b": True, "p": to_wire(px), "s": to_wire(size), "r": False}
        wire["t"] = {"limit": {"tif": "Gtc"}}
        body, nonce = self.l1_body(key, {"type": "order", "orders": [wire], "grouping": "na"})
        signer = _addr(key)
        answer = self.signed(key, self.l1_account(signer), body, nonce)
        self.after_l1(signer, answer)

    @rule(key=st.sampled_from(SIGNERS), owner=st.sampled_from(ADDRESSES), pick=st.integers(0, 5))
    def cancel(self, key: str, owner: str, pick: int) -> None:
        live = self.server.venue.open_orders(owner)
        oid = live[pick % len(live)]["oid"] if live else 123
        body, nonce = self.l1_body(key, {"type": "cancel", "cancels": [{"a": 0, "o": oid}]})
        signer = _addr(key)
        answer = self.signed(key, self.l1_account(signer), body, nonce)
        self.after_l1(signer, answer)

    @rule(key=st.sampled_from(KEYS), victim=st.sampled_from(EVERYONE))
    def order_for_a_vault(self, key: str, victim: str) -> None:
        action = {"type": "cancel", "cancels": [{"a": 0, "o": 1}]}
        body, nonce = self.l1_body(key, action, vault=victim)
        answer = self.signed(key, set(), body, nonce)
        assert answer["status"] == "err", answer

    @rule(
        key=st.sampled_from(KEYS),
        to=st.sampled_from(EVERYONE),
        amount=st.sampled_from(["1", "2.5", "5000"]),
    )
    def usd_send(self, key: str, to: str, amount: str) -> None:
        signer, nonce = _addr(key), self.nonce(key)
        action = A.usd_send_action(to, Decimal(amount), nonce, is_mainnet=False)
        body, _ = self.user_body(key, action, action)
        answer = self.signed(key, {to}, body, nonce)
        forbidden = self.model.ever_agent(signer) or self.model.ever_agent(to)
        if answer["status"] == "ok":
            assert not forbidden, (signer, to, self.model)
            self.model.users.update({signer, to})

    @rule(key=st.sampled_from(KEYS), back=st.integers(0, 30))
    def reuse_a_nonce(self, key: str, back: int) -> None:
        """A different action under a nonce this signer already got accepted: refused."""
        signer = _addr(key)
        mine = [n for s, n, _ in self.accepted if s == signer]
        if not mine:
            return
        nonce = mine[-1 - back % len(mine)]
        sig = sign_l1_action(key, {"type": "noop"}, nonce, is_mainnet=False)
        body = {"action": {"type": "noop"}, "nonce": nonce, "signature": dict(sig)}
        answer = self.signed(key, set(), body, nonce)
        assert answer["status"] == "err", answer

    @rule(step=st.sampled_from([1_000, 1_000, 20 * 60_000, 2 * HOUR_MS, 26 * HOUR_MS]))
    def advance_clock(self, step: int) -> None:
        self.wall[0] += step / 1000

    @rule()
    def restart_from_snapshot(self) -> None:
        """What a restart loads: the pickled venue and authenticator."""
        before = self.snapshot()
        venue, auth = pickle.loads(pickle.dumps((self.server.venue, self.server.auth)))
        self.server.venue, self.server.auth = venue, auth
        venue.listeners.append(self.server.ws.on_event)
        assert self.snapshot() == before

    @rule()
    def replay_everything_accepted(self) -> None:
        before = self.snapshot()
        for signer, nonce, body in self.accepted[-60:]:
            answer = self.post(body)
            assert answer["status"] == "err", (signer, nonce, body, answer)
        assert self.snapshot() == before

    @invariant()
    def nonce_sets_hold_every_recent_accepted_pair(self) -> None:
        auth = self.server.auth
        for signer, nonce, _ in self.accepted[-20:]:
            used = auth._nonces.get(signer, [])
            assert nonce in used or (len(used) >= 100 and nonce < used[0])

    # -- the log replay ----------------------------------------------------------------------

    def _check_replayed_venue_matches(self) -> None:
        live = self.snapshot()
        wall_then = self.wall[0]
        self.wall[0] = 0.0
        replica = self._server()
        self.wall[0] = wall_then
        for kind, payload in self.inputs:  # refused inputs too: they must be refused again
            replica._apply(kind, payload)
        assert self.snapshot(replica) == live


AuthMachine.TestCase.settings = settings(
    max_examples=60,
    stateful_step_count=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestAuthStateful = AuthMachine.TestCase

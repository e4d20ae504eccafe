"""Who signed an /exchange request and whether they may act: the local venue's gatekeeper.

Hyperliquid never says "bad signature". It recovers an address from the signature over the
payload it rebuilt and looks that address up (PROTOCOL.md §4.3): an approved agent acts for its
master, a funded user acts for itself, anyone else gets one of a few fixed sentences. Clients
parse those sentences (nonce collisions, unapproved agents, wrong network), so they are copied
verbatim where a live capture exists; the comment above ``AuthError`` gives provenance.

State is plain data (dicts, sets, lists of ints, frozen dataclasses) so the whole venue can be
pickled for snapshots; callbacks such as ``has_funds`` are passed per call, never stored.

Nonces (§5): the venue keeps the 100 highest nonces per *signer* (an agent has its own set).
A nonce must lie strictly inside (T - 2 days, T + 1 day) for venue time T, must not be in the
set, and once the set is full must exceed its smallest member. The window is checked before the
signature is even recovered (a capture shows a stale nonce refused that way), the set after.
A nonce is burned as soon as authentication succeeds, like on the real venue, where an order
rejected inside ``statuses`` still consumed its nonce; pass ``commit=False`` to defer that to
``commit_nonce``. A signer's set is never dropped, whatever happens to it as an agent
(replaced, removed, expired): the docs warn that a pruned set lets old signed actions replay,
so the venue keeps it and a (signer, nonce) pair is accepted at most once.

Roles (§5, issue 14): an address is a *user* once it has been funded, signed as a user, been
acted for by an agent, or approved an agent; it is an *agent* once approved. The two never
overlap: a user (or the liquidator vault) cannot be approved as an agent, an agent is approved
for one master only and never again once retired, an address that is or was an agent never
acts as a user (its user-signed actions get "Must deposit…", its L1 actions once retired "does
not exist"), and USDC cannot be sent to it. Every refusal of an approval or a transfer happens
inside ``authenticate``, before the nonce is burned, so a refused action leaves no state behind
and replaying the input log rebuilds exactly the same roles and nonce sets.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, Literal

from wallet_perps.crypto.errors import SignatureError
from wallet_perps.hyperliquid.user_actions import USER_ACTION_TYPES
from wallet_perps.localvenue.engine_base import LIQUIDATOR_ADDRESS
from wallet_perps.localvenue.requests import ExchangeRequest

__all__ = [
    "DAY_MS",
    "MAX_AGENT_NAME_LEN",
    "MAX_AGENT_VALIDITY_MS",
    "MAX_NAMED_AGENTS",
    "NONCE_FUTURE_MS",
    "NONCE_PAST_MS",
    "NONCE_SET_SIZE",
    "AuthError",
    "AuthResult",
    "Authenticator",
]

DAY_MS: Final = 86_400_000
NONCE_SET_SIZE: Final = 100
NONCE_PAST_MS: Final = 2 * DAY_MS
NONCE_FUTURE_MS: Final = 1 * DAY_MS
MAX_NAMED_AGENTS: Final = 3
MAX_AGENT_NAME_LEN: Final = 16
MAX_AGENT_VALIDITY_MS: Final = 180 * DAY_MS

_ADDRESS_RE: Final = re.compile(r"0x[0-9a-f]{40}")
#: ``approveAgent`` naming the zero address removes the agent of that name (live behaviour,
#: observed on testnet: the slot is emptied and the old agent's next action "does not exist").
ZERO_ADDRESS: Final = "0x" + "0" * 40
#: Addresses that hold venue state without a key of their own: never an agent.
_VENUE_ACCOUNTS: Final = frozenset({LIQUIDATOR_ADDRESS})
#: User-signed actions that credit another venue account (``withdraw3`` leaves the venue).
_CREDITING_ACTIONS: Final = frozenset({"usdSend", "spotSend", "sendAsset"})
_VALID_UNTIL_RE: Final = re.compile(r"(.*) valid_until (\d{1,20})", re.DOTALL)

# Where each error sentence comes from:
# - "User or API Wallet {a} does not exist.", "Must deposit before performing actions. User: {a}":
#   docs (signing page) and many live captures; the address is printed lowercase (captures such
#   as "User or API Wallet 0x52d165d0…8d1f does not exist."). The live text is sometimes
#   prefixed "L1 error: "; we use the bare form the docs show.
# - "Invalid nonce: duplicate nonce {n}": nomeida/hyperliquid#61 and third-party captures.
# - "Invalid nonce: nonce too low {n} < {m}", "... nonce too high {n} > {m}": third-party
#   captured strings (an error catalogue test with values ~1 day apart from the window edges).
# - "Action already expired", "Mainnet and testnet require different signature.",
#   "Nonce mismatch.", "Vault not registered: {a}", "Unable to recover signer.": the same
#   third-party catalogue of recorded answers; unverified against the docs.
# - "Extra agent name must be between 1 and 16 characters long": third-party notes on
#   approveAgent; unverified.
# - "Extra agent already used.": a live testnet capture (third-party experiment transcript and
#   several clients that match on it) when an address that already was an agent is approved
#   again; we also answer it for an address that is another master's agent.
# - "Too many extra agents for cumulative volume traded. Current limit is 3" and
#   "Agent valid_until already expired." (sent for a past expiry and for one beyond 180 days):
#   the same live testnet transcript.
# - "... is a user and cannot be an API wallet.", "Cannot send USDC to API wallet ...", and
#   everything mentioning "local venue": our own wording, no capture was found.


class AuthError(Exception):
    """The venue's answer to an action it refuses: ``{"status":"err","response": str(e)}``."""


@dataclass(frozen=True, slots=True)
class AuthResult:
    """``account`` acts (whose balances move); ``signer`` signed (whose nonce set is used)."""

    account: str
    signer: str


@dataclass(frozen=True, slots=True)
class _Agent:
    address: str
    master: str
    name: str  # "" for the unnamed agent
    valid_until: int | None


def _user_nonce_field(action_type: str) -> str:
    spec = USER_ACTION_TYPES.get(action_type)
    names = {name for name, _ in spec.fields} if spec is not None else set()
    return "time" if "time" in names else "nonce"


class Authenticator:
    """Approved agents per master, used-nonce sets per signer, and signer resolution."""

    def __init__(self, is_mainnet: bool = False) -> None:
        self.is_mainnet = bool(is_mainnet)
        self._agents: dict[str, _Agent] = {}
        self._slots: dict[str, dict[str, str]] = {}  # master -> name ("" unnamed) -> agent
        self._retired: set[str] = set()  # deregistered or expired: never accepted again
        self._nonces: dict[str, list[int]] = {}  # signer -> min-heap of its highest nonces
        self._known: set[str] = set()  # users the venue has seen act or approve

    # -----------------------------------------------------------------------------------------
    # Authentication.

    def authenticate(
        self,
        req: ExchangeRequest,
        now_ms: int,
        *,
        has_funds: Callable[[str], bool],
        is_known: Callable[[str], bool] | None = None,
        commit: bool = True,
    ) -> AuthResult:
        """Recover the signer of ``req`` and decide which account it acts for.

        ``has_funds(address)`` tells whether an account holds collateral (the clearinghouse
        knows); ``is_known`` optionally tells whether an address is a user that merely has no
        funds now, which changes "does not exist" into "Must deposit…".
        """
        if not req.supported:
            raise AuthError(f"Action type {req.action_type} is not supported by the local venue.")
        self._check_window(req.nonce, now_ms)
        if req.expires_after is not None and now_ms > req.expires_after:
            raise AuthError("Action already expired")

        signature = dict(req.signature)
        if signature.get("v") in (0, 1):  # ethers-style recovery ids, normalised like ethers-rs
            signature["v"] = int(signature["v"]) + 27
        if req.is_user_signed:
            signer = self._recover_user(req, signature)
        else:
            # Imported on the first signed request, not at start: signature recovery loads
            # pycryptodome's keccak through cffi (about 35 ms), which would delay the moment the
            # venue answers its first price, when the app waits for it.
            from wallet_perps.hyperliquid.signing import recover_l1_signer

            try:
                signer = recover_l1_signer(
                    req.signed_action,
                    req.nonce,
                    signature,
                    vault_address=req.vault_address,
                    expires_after=req.expires_after,
                    is_mainnet=self.is_mainnet,
                ).lower()
            except SignatureError:
                raise AuthError("Unable to recover signer.") from None

        account = self._resolve(signer, req.is_user_signed, now_ms, has_funds, is_known)
        if req.vault_address is not None:
            raise AuthError(f"Vault not registered: {req.vault_address}")
        self._check_used(signer, req.nonce)
        if req.action_type == "approveAgent":
            self._check_approval(account, req.action, now_ms, has_funds, is_known)
        elif req.action_type in _CREDITING_ACTIONS:
            self._check_destination(req.action.get("destination"))
        if commit:
            self.commit_nonce(signer, req.nonce)
        self._known.add(account)
        return AuthResult(account=account, signer=signer)

    def _recover_user(self, req: ExchangeRequest, signature: dict[str, Any]) -> str:
        action = req.action
        expected = "Mainnet" if self.is_mainnet else "Testnet"
        if action.get("hyperliquidChain") != expected:
            raise AuthError("Mainnet and testnet require different signature.")
        if action.get(_user_nonce_field(req.action_type)) != req.nonce:
            raise AuthError("Nonce mismatch.")
        from wallet_perps.hyperliquid.signing import recover_user_signer

        try:
            return recover_user_signer(action, signature).lower()
        except SignatureError:
            raise AuthError("Unable to recover signer.") from None

    def _resolve(
        self,
        signer: str,
        user_signed: bool,
        now_ms: int,
        has_funds: Callable[[str], bool],
        is_known: Callable[[str], bool] | None,
    ) -> str:
        # Transfers, withdrawals and approvals need the master key (§4.2). An agent (or a
        # stranger) signing one is answered "Must deposit…" with its own address, which is what
        # users of agent keys report for usdClassTransfer (PROTOCOL.md §13.4, SDK issue #169).
        # An address that is or was an agent never acts as a user, even if USDC reached it
        # somehow: it signs for its master while approved and for nobody afterwards.
        if user_signed:
            if self.was_agent(signer) or not has_funds(signer):
                raise AuthError(f"Must deposit before performing actions. User: {signer}")
            return signer
        agent = self._active_agent(signer, now_ms)
        if agent is not None:
            if not has_funds(agent.master):
                raise AuthError(f"Must deposit before performing actions. User: {agent.master}")
            return agent.master
        if self.was_agent(signer):  # replaced, removed or expired (ACCOUNTS-AND-DEXES §3)
            raise AuthError(f"User or API Wallet {signer} does not exist.")
        if has_funds(signer):
            return signer
        if signer in self._known or (is_known is not None and is_known(signer)):
            raise AuthError(f"Must deposit before performing actions. User: {signer}")
        raise AuthError(f"User or API Wallet {signer} does not exist.")

    # -----------------------------------------------------------------------------------------
    # Nonces.

    @staticmethod
    def _check_window(nonce: int, now_ms: int) -> None:
        low = now_ms - NONCE_PAST_MS  # exclusive bounds, §5
        high = now_ms + NONCE_FUTURE_MS
        if nonce <= low:
            raise AuthError(f"Invalid nonce: nonce too low {nonce} < {low + 1}")
        if nonce >= high:
            raise AuthError(f"Invalid nonce: nonce too high {nonce} > {high - 1}")

    def _check_used(self, signer: str, nonce: int) -> None:
        used = self._nonces.get(signer)
        if not used:
            return
        if nonce in used:
            raise AuthError(f"Invalid nonce: duplicate nonce {nonce}")
        if len(used) >= NONCE_SET_SIZE and nonce < used[0]:
            raise AuthError(f"Invalid nonce: nonce too low {nonce} < {used[0]}")

    def commit_nonce(self, signer: str, nonce: int) -> None:
        """Burn ``nonce`` for ``signer``, keeping only the 100 highest."""
        used = self._nonces.setdefault(signer.lower(), [])
        if nonce in used:
            return
        heapq.heappush(used, nonce)
        if len(used) > NONCE_SET_SIZE:
            heapq.heappop(used)

    # -----------------------------------------------------------------------------------------
    # Agents.

    def approve_agent(
        self,
        master: str,
        action: dict[str, Any],
        now_ms: int,
        *,
        has_funds: Callable[[str], bool] | None = None,
        is_known: Callable[[str], bool] | None = None,
    ) -> None:
        """Register the agent of an authenticated approveAgent action signed by ``master``.

        An absent ``agentName`` (or "") approves the unnamed agent, replacing the previous
        unnamed one; a name replaces the agent of that name; up to 3 named agents. A name may
        end in " valid_until <ms>" (at most 180 days ahead). The zero address removes the agent
        of that name. Replaced, removed and expired agents are retired for good (their nonce
        sets are kept). ``authenticate`` already ran the same checks with the venue's
        ``has_funds``; they are repeated here so a direct caller gets them too.
        """
        master = str(master).lower()
        agent, name, valid_until = self._check_approval(
            master, action, now_ms, has_funds or (lambda _a: False), is_known
        )
        self._prune_expired(master, now_ms)
        slots = self._slots.setdefault(master, {})
        replaced = slots.get(name)
        if agent == ZERO_ADDRESS:
            if replaced is not None:
                self._retire(replaced)
            self._known.add(master)
            return
        existing = self._agents.get(agent)
        if existing is not None:  # the same live agent re-approved (new name or expiry): move it
            slots.pop(existing.name, None)
        if replaced is not None and replaced != agent:
            self._retire(replaced)
        slots[name] = agent
        self._agents[agent] = _Agent(agent, master, name, valid_until)
        self._known.add(master)

    def _check_approval(
        self,
        master: str,
        action: dict[str, Any],
        now_ms: int,
        has_funds: Callable[[str], bool],
        is_known: Callable[[str], bool] | None,
    ) -> tuple[str, str, int | None]:
        """Refuse an approval that would break a rule; returns (agent, name, valid_until).

        Pure: it decides from the state and ``now_ms`` alone, never from whether an expired
        agent happened to be pruned yet (info queries prune lazily and are not in the input
        log), so replay reaches the same verdicts.
        """
        agent_raw = action.get("agentAddress")
        agent = agent_raw.lower() if isinstance(agent_raw, str) else ""
        if not _ADDRESS_RE.fullmatch(agent):
            raise AuthError("Invalid agent address.")
        raw_name = action.get("agentName") or ""
        if not isinstance(raw_name, str):
            raise AuthError("Invalid agent name.")
        match = _VALID_UNTIL_RE.fullmatch(raw_name)
        name, valid_until = (match.group(1), int(match.group(2))) if match else (raw_name, None)
        if len(name) > MAX_AGENT_NAME_LEN or (valid_until is not None and not name):
            raise AuthError(
                f"Extra agent name must be between 1 and {MAX_AGENT_NAME_LEN} characters long"
            )
        if valid_until is not None and not now_ms < valid_until <= now_ms + MAX_AGENT_VALIDITY_MS:
            raise AuthError("Agent valid_until already expired.")
        if agent == ZERO_ADDRESS:
            return agent, name, valid_until
        if agent == master:
            raise AuthError("Cannot approve own address as an API wallet.")
        existing = self._agents.get(agent)
        live_here = (
            existing is not None
            and existing.master == master
            and (existing.valid_until is None or now_ms < existing.valid_until)
        )
        if agent in self._retired or (self.was_agent(agent) and not live_here):
            raise AuthError("Extra agent already used.")
        if self.is_user(agent, has_funds=has_funds, is_known=is_known):
            raise AuthError(f"API wallet {agent} is a user and cannot be an API wallet.")
        slots = self._slots.get(master, {})
        live_named = {
            n
            for n, a in slots.items()
            if n and a != agent and self._active_agent_at(a, now_ms) is not None
        }
        if name and name not in live_named and len(live_named) >= MAX_NAMED_AGENTS:
            raise AuthError(
                "Too many extra agents for cumulative volume traded. "
                f"Current limit is {MAX_NAMED_AGENTS}"
            )
        return agent, name, valid_until

    def _check_destination(self, destination: Any) -> None:
        """USDC never reaches an address that is or was an agent: it would become a user."""
        if isinstance(destination, str) and self.was_agent(destination.lower()):
            raise AuthError(
                f"Cannot send USDC to API wallet {destination.lower()}; "
                "send it to the account it trades for."
            )

    def was_agent(self, address: str) -> bool:
        """Whether ``address`` is, or has ever been, an approved agent (of any master)."""
        address = str(address).lower()
        return address in self._agents or address in self._retired

    def is_user(
        self,
        address: str,
        *,
        has_funds: Callable[[str], bool] | None = None,
        is_known: Callable[[str], bool] | None = None,
    ) -> bool:
        """Whether ``address`` is, or has been, a user (or a venue account such as the vault)."""
        address = str(address).lower()
        return (
            address in self._known
            or address in self._slots
            or address in _VENUE_ACCOUNTS
            or (has_funds is not None and has_funds(address))
            or (is_known is not None and is_known(address))
        )

    def check_may_become_user(self, address: str) -> None:
        """Raise ``AuthError`` if ``address`` may not hold funds (call before a faucet credit)."""
        address = str(address).lower()
        if self.was_agent(address):
            raise AuthError(f"{address} is an API wallet and cannot hold funds.")

    def _retire(self, agent: str) -> None:
        record = self._agents.pop(agent, None)
        if record is not None:
            slots = self._slots.get(record.master, {})
            if slots.get(record.name) == agent:
                del slots[record.name]
        self._retired.add(agent)
        # Its used-nonce set stays: dropping it would let what it signed be replayed (§5).

    def _active_agent(self, address: str, now_ms: int | None) -> _Agent | None:
        record = self._active_agent_at(address, now_ms)
        if record is None and address in self._agents:
            self._retire(address)  # expired: pruned for good
        return record

    def _active_agent_at(self, address: str, now_ms: int | None) -> _Agent | None:
        """The agent's record if approved and, given ``now_ms``, not expired (no pruning)."""
        record = self._agents.get(address)
        if record is None:
            return None
        if now_ms is not None and record.valid_until is not None and now_ms >= record.valid_until:
            return None
        return record

    def _prune_expired(self, master: str, now_ms: int) -> None:
        for agent in list(self._slots.get(master, {}).values()):
            self._active_agent(agent, now_ms)

    # -----------------------------------------------------------------------------------------
    # Info queries.

    def agent_master(self, address: str, now_ms: int | None = None) -> str | None:
        """The master an address signs for, if it is an approved (and, given now, live) agent."""
        record = self._active_agent(str(address).lower(), now_ms)
        return None if record is None else record.master

    def extra_agents(self, user: str, now_ms: int | None = None) -> list[dict[str, Any]]:
        """Info ``extraAgents``: the named agents, ``[{"name","address","validUntil"}]``."""
        user = str(user).lower()
        if now_ms is not None:
            self._prune_expired(user, now_ms)
        out: list[dict[str, Any]] = []
        for name, agent in self._slots.get(user, {}).items():
            record = self._agents.get(agent)
            if name and record is not None:
                out.append({"name": name, "address": agent, "validUntil": record.valid_until})
        return out

    def user_role(
        self,
        address: str,
        *,
        has_funds: Callable[[str], bool] | None = None,
        now_ms: int | None = None,
    ) -> dict[str, Any]:
        """Info ``userRole``: ``{"role":"agent","data":{"user":master}}``, user, or missing."""
        address = str(address).lower()
        record = self._active_agent(address, now_ms)
        role: Literal["user", "missing"]
        if record is not None:
            return {"role": "agent", "data": {"user": record.master}}
        if address in self._known or (has_funds is not None and has_funds(address)):
            role = "user"
        else:
            role = "missing"
        return {"role": role}

    def note_user(self, address: str) -> None:
        """Remember a user (e.g. on deposit) so that, broke later, it hears "Must deposit…".

        An address that is or was an agent is not recorded: it never becomes a user (the
        server should have refused the credit with ``check_may_become_user``).
        """
        address = str(address).lower()
        if not self.was_agent(address):
            self._known.add(address)

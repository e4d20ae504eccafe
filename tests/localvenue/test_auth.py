"""Tests for the local venue's authenticator (wallet_perps/localvenue/auth.py).

Requests are signed with the app's own signing layer (byte-identical to the SDK, checked in
tests/hyperliquid/test_signing.py), posted through ``parse_exchange_request`` after a JSON round
trip, and authenticated as the server would. The venue is testnet unless a test says otherwise.
"""

from __future__ import annotations

import json
import pickle
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from tests.conftest import FIXTURES_DIR
from wallet_perps.crypto.keccak import keccak256
from wallet_perps.crypto.secp256k1 import address_from_private_key
from wallet_perps.hyperliquid import actions as A
from wallet_perps.hyperliquid.signing import sign_l1_action, sign_user_action
from wallet_perps.localvenue.auth import (
    DAY_MS,
    MAX_AGENT_VALIDITY_MS,
    NONCE_SET_SIZE,
    Authenticator,
    AuthError,
    AuthResult,
)
from wallet_perps.localvenue.requests import ExchangeRequest, parse_exchange_request

NOW = 1_700_000_000_000
MASTER_KEY = "0x0123456789012345678901234567890123456789012345678901234567890123"
MASTER = "0x14791697260e4c9a71f18484c9f997b308e59325"


def _key(label: str) -> str:
    """A fresh, deterministic private key per label (never funded anywhere)."""
    return "0x" + keccak256(f"wallet-perps auth test {label}".encode()).hex()


def _addr(key: str) -> str:
    return address_from_private_key(key).lower()


AGENT_KEY, AGENT2_KEY, AGENT3_KEY = _key("agent"), _key("agent2"), _key("agent3")
STRANGER_KEY, BROKE_KEY = _key("stranger"), _key("broke")
AGENT, AGENT2, AGENT3 = _addr(AGENT_KEY), _addr(AGENT2_KEY), _addr(AGENT3_KEY)
STRANGER, BROKE = _addr(STRANGER_KEY), _addr(BROKE_KEY)

FUNDED = {MASTER}


def has_funds(address: str) -> bool:
    return address in FUNDED


ORDER = A.order_action(
    [A.OrderSpec(asset=0, is_buy=True, price=Decimal("60000"), size=Decimal("0.001"))]
)


def _post(body: dict[str, Any]) -> ExchangeRequest:
    return parse_exchange_request(json.loads(json.dumps(body)))


def l1(
    key: str,
    action: dict[str, Any] | None = None,
    nonce: int = NOW,
    *,
    vault: str | None = None,
    expires: int | None = None,
    is_mainnet: bool = False,
) -> ExchangeRequest:
    action = ORDER if action is None else action
    sig = sign_l1_action(
        key, action, nonce, vault_address=vault, expires_after=expires, is_mainnet=is_mainnet
    )
    body = {
        "action": action,
        "nonce": nonce,
        "signature": sig,
        "vaultAddress": vault,
        "expiresAfter": expires,
    }
    return _post(body)


def user(key: str, signed: dict[str, Any], posted: dict[str, Any] | None = None) -> ExchangeRequest:
    nonce = signed.get("time", signed.get("nonce"))
    body = {
        "action": signed if posted is None else posted,
        "nonce": nonce,
        "signature": sign_user_action(key, signed),
        "vaultAddress": None,
        "expiresAfter": None,
    }
    return _post(body)


def approve(
    auth: Authenticator,
    agent: str,
    nonce: int,
    *,
    name: str | None = None,
    valid_until: int | None = None,
    now: int = NOW,
) -> AuthResult:
    """The server's sequence: authenticate the master's approveAgent, then register it."""
    signed, posted = A.approve_agent_action(
        agent, nonce, is_mainnet=auth.is_mainnet, name=name, valid_until_ms=valid_until
    )
    req = user(MASTER_KEY, signed, posted)
    result = auth.authenticate(req, now, has_funds=has_funds)
    auth.approve_agent(result.account, req.action, now)
    return result


def refused(fn: Callable[[], Any]) -> str:
    with pytest.raises(AuthError) as info:
        fn()
    return str(info.value)


@pytest.fixture
def auth() -> Authenticator:
    return Authenticator(is_mainnet=False)


# ---------------------------------------------------------------------------------------------
# Signer resolution.


def test_funded_user_acts_as_itself(auth: Authenticator) -> None:
    result = auth.authenticate(l1(MASTER_KEY), NOW, has_funds=has_funds)
    assert result == AuthResult(account=MASTER, signer=MASTER)


@pytest.mark.parametrize("network", ["mainnet", "testnet"])
def test_sdk_computed_vectors_recover_their_signer(network: str) -> None:
    """The SDK's own signed requests authenticate on a venue of the same network."""
    data = json.loads((FIXTURES_DIR / "signing_vectors.json").read_text())
    count = 0
    for v in data["sdk_computed_extras"]["vectors"]:
        if not v["name"].endswith(f"[{network}]"):
            continue
        action = v.get("action") or v["wire_action"]
        out = v["sdk_output"]
        body = {
            "action": action,
            "nonce": v["nonce"],
            "signature": {"r": out["r"], "s": out["s"], "v": out["v"]},
            "vaultAddress": v.get("vault_address"),
            "expiresAfter": v.get("expires_after"),
        }
        auth = Authenticator(is_mainnet=network == "mainnet")
        now = v["nonce"] if v.get("expires_after") is None else v["expires_after"] - 1
        result = auth.authenticate(_post(body), now, has_funds=lambda a: a == MASTER)
        assert result.signer == v["signer_address"].lower() == MASTER
        count += 1
    assert count >= 12


def test_unknown_signer_does_not_exist(auth: Authenticator) -> None:
    message = refused(lambda: auth.authenticate(l1(STRANGER_KEY), NOW, has_funds=has_funds))
    assert message == f"User or API Wallet {STRANGER} does not exist."


def test_known_user_without_funds_must_deposit(auth: Authenticator) -> None:
    req = l1(BROKE_KEY)
    message = refused(
        lambda: auth.authenticate(req, NOW, has_funds=has_funds, is_known=lambda a: a == BROKE)
    )
    assert message == f"Must deposit before performing actions. User: {BROKE}"
    other = Authenticator()
    other.note_user(BROKE.upper().replace("0X", "0x"))
    message = refused(lambda: other.authenticate(req, NOW, has_funds=has_funds))
    assert message.startswith("Must deposit")


def test_user_who_spent_everything_must_deposit(auth: Authenticator) -> None:
    auth.authenticate(l1(MASTER_KEY, nonce=NOW), NOW, has_funds=has_funds)
    message = refused(
        lambda: auth.authenticate(l1(MASTER_KEY, nonce=NOW + 1), NOW, has_funds=lambda a: False)
    )
    assert message == f"Must deposit before performing actions. User: {MASTER}"


def test_non_canonical_payload_recovers_a_stranger(auth: Authenticator) -> None:
    """Signing "60000.0", ``f: false`` or a different key order fails as on the real venue."""
    trailing = json.loads(json.dumps(ORDER))
    trailing["orders"][0]["p"] = "60000.0"
    reordered = {"orders": ORDER["orders"], "type": "order", "grouping": "na"}
    false_flag = {"type": "cancel", "cancels": [{"a": 0, "o": 1}], "f": False}
    for n, action in enumerate((trailing, reordered, false_flag)):
        req = l1(MASTER_KEY, action, NOW + n)
        with pytest.raises(AuthError, match=r"^User or API Wallet 0x") as info:
            auth.authenticate(req, NOW, has_funds=has_funds)
        assert MASTER not in str(info.value)


def test_unrecoverable_signature(auth: Authenticator) -> None:
    req = l1(MASTER_KEY)
    broken = ExchangeRequest(
        **{**_fields(req), "signature": {"r": "0x0", "s": req.signature["s"], "v": 27}}
    )
    message = refused(lambda: auth.authenticate(broken, NOW, has_funds=has_funds))
    assert message == "Unable to recover signer."
    odd_v = ExchangeRequest(**{**_fields(req), "signature": {**req.signature, "v": 29}})
    assert refused(lambda: auth.authenticate(odd_v, NOW, has_funds=has_funds)) == (
        "Unable to recover signer."
    )


def test_recovery_id_zero_or_one_is_accepted(auth: Authenticator) -> None:
    req = l1(MASTER_KEY)
    zero_based = {**req.signature, "v": req.signature["v"] - 27}
    alt = ExchangeRequest(**{**_fields(req), "signature": zero_based})
    assert auth.authenticate(alt, NOW, has_funds=has_funds).signer == MASTER


def _fields(req: ExchangeRequest) -> dict[str, Any]:
    return {name: getattr(req, name) for name in ExchangeRequest.__dataclass_fields__}


def test_vault_address_is_refused(auth: Authenticator) -> None:
    req = l1(MASTER_KEY, vault=STRANGER)
    assert refused(lambda: auth.authenticate(req, NOW, has_funds=has_funds)) == (
        f"Vault not registered: {STRANGER}"
    )
    # The refused request did not burn its nonce.
    auth.authenticate(l1(MASTER_KEY), NOW, has_funds=has_funds)


def test_unsupported_action_type(auth: Authenticator) -> None:
    action = {"type": "createSubAccount", "name": "example"}
    message = refused(lambda: auth.authenticate(l1(MASTER_KEY, action), NOW, has_funds=has_funds))
    assert message == "Action type createSubAccount is not supported by the local venue."


def test_expires_after(auth: Authenticator) -> None:
    expired = l1(MASTER_KEY, expires=NOW - 1)
    assert refused(lambda: auth.authenticate(expired, NOW, has_funds=has_funds)) == (
        "Action already expired"
    )
    result = auth.authenticate(l1(MASTER_KEY, expires=NOW), NOW, has_funds=has_funds)
    assert result.account == MASTER


# ---------------------------------------------------------------------------------------------
# Networks and user-signed actions.


def test_mainnet_signature_on_testnet_recovers_a_stranger(auth: Authenticator) -> None:
    req = l1(MASTER_KEY, is_mainnet=True)
    message = refused(lambda: auth.authenticate(req, NOW, has_funds=has_funds))
    assert message.startswith("User or API Wallet 0x") and MASTER not in message
    mainnet = Authenticator(is_mainnet=True)
    assert mainnet.authenticate(req, NOW, has_funds=has_funds).account == MASTER


def test_user_signed_chain_mismatch(auth: Authenticator) -> None:
    action = A.usd_send_action(STRANGER, Decimal("1"), NOW, is_mainnet=True)
    message = refused(lambda: auth.authenticate(user(MASTER_KEY, action), NOW, has_funds=has_funds))
    assert message == "Mainnet and testnet require different signature."


def test_user_signed_by_master(auth: Authenticator) -> None:
    actions = [
        A.usd_send_action(STRANGER, Decimal("1"), NOW, is_mainnet=False),
        A.withdraw3_action(STRANGER, Decimal("2"), NOW + 1, is_mainnet=False),
        A.usd_class_transfer_action(Decimal("3"), True, NOW + 2, is_mainnet=False),
        A.approve_builder_fee_action(STRANGER, Decimal("0.001"), NOW + 3, is_mainnet=False),
    ]
    for action in actions:
        result = auth.authenticate(user(MASTER_KEY, action), NOW, has_funds=has_funds)
        assert result == AuthResult(MASTER, MASTER)


def test_user_signed_outer_nonce_must_match(auth: Authenticator) -> None:
    action = A.usd_send_action(STRANGER, Decimal("1"), NOW, is_mainnet=False)
    body = {"action": action, "nonce": NOW + 1, "signature": sign_user_action(MASTER_KEY, action)}
    message = refused(lambda: auth.authenticate(_post(body), NOW, has_funds=has_funds))
    assert message == "Nonce mismatch."


def test_agent_cannot_sign_user_actions(auth: Authenticator) -> None:
    approve(auth, AGENT, NOW)
    action = A.usd_send_action(STRANGER, Decimal("1"), NOW + 1, is_mainnet=False)
    message = refused(lambda: auth.authenticate(user(AGENT_KEY, action), NOW, has_funds=has_funds))
    assert message == f"Must deposit before performing actions. User: {AGENT}"
    signed, posted = A.approve_agent_action(AGENT2, NOW + 2, is_mainnet=False)
    message = refused(
        lambda: auth.authenticate(user(AGENT_KEY, signed, posted), NOW, has_funds=has_funds)
    )
    assert message.startswith("Must deposit")


# ---------------------------------------------------------------------------------------------
# Agents.


def test_unnamed_agent_signs_for_its_master(auth: Authenticator) -> None:
    assert approve(auth, AGENT, NOW) == AuthResult(MASTER, MASTER)
    result = auth.authenticate(l1(AGENT_KEY, nonce=NOW + 1), NOW, has_funds=has_funds)
    assert result == AuthResult(account=MASTER, signer=AGENT)
    assert auth.agent_master(AGENT) == MASTER
    assert auth.user_role(AGENT) == {"role": "agent", "data": {"user": MASTER}}
    assert auth.user_role(MASTER) == {"role": "user"}
    assert auth.user_role(STRANGER) == {"role": "missing"}
    assert auth.user_role(BROKE, has_funds=lambda a: True) == {"role": "user"}
    assert auth.extra_agents(MASTER) == []  # only named agents are "extra"


def test_agent_signs_when_posted_with_explicit_empty_name(auth: Authenticator) -> None:
    """nktkas posts agentName "" for an unnamed agent; that must work too."""
    signed, _ = A.approve_agent_action(AGENT, NOW, is_mainnet=False)
    req = user(MASTER_KEY, signed, signed)
    result = auth.authenticate(req, NOW, has_funds=has_funds)
    auth.approve_agent(result.account, req.action, NOW)
    assert auth.agent_master(AGENT) == MASTER


def test_named_agent_with_expiry(auth: Authenticator) -> None:
    until = NOW + DAY_MS
    approve(auth, AGENT, NOW, name="bot1", valid_until=until)
    assert auth.extra_agents(MASTER.upper().replace("0X", "0x")) == [
        {"name": "bot1", "address": AGENT, "validUntil": until}
    ]
    ok = auth.authenticate(l1(AGENT_KEY, nonce=NOW + 1), until - 1, has_funds=has_funds)
    assert ok == AuthResult(MASTER, AGENT)
    late = l1(AGENT_KEY, nonce=until)
    message = refused(lambda: auth.authenticate(late, until, has_funds=has_funds))
    assert message == f"User or API Wallet {AGENT} does not exist."
    assert auth.agent_master(AGENT, until) is None
    assert auth.extra_agents(MASTER, until) == []
    # An expired agent is pruned for good: approving it again is refused.
    message = refused(lambda: approve(auth, AGENT, until + 1, name="bot1", now=until))
    assert message == "Extra agent already used."


def test_agent_of_broke_master_must_deposit(auth: Authenticator) -> None:
    approve(auth, AGENT, NOW)
    req = l1(AGENT_KEY, nonce=NOW + 1)
    message = refused(lambda: auth.authenticate(req, NOW, has_funds=lambda a: False))
    assert message == f"Must deposit before performing actions. User: {MASTER}"


def test_new_unnamed_agent_replaces_the_old_one(auth: Authenticator) -> None:
    approve(auth, AGENT, NOW)
    approve(auth, AGENT2, NOW + 1)
    message = refused(
        lambda: auth.authenticate(l1(AGENT_KEY, nonce=NOW + 2), NOW, has_funds=has_funds)
    )
    assert message == f"User or API Wallet {AGENT} does not exist."
    assert auth.authenticate(l1(AGENT2_KEY, nonce=NOW + 2), NOW, has_funds=has_funds).signer == (
        AGENT2
    )
    message = refused(lambda: approve(auth, AGENT, NOW + 3))
    assert message == "Extra agent already used."


def test_same_name_replaces_that_named_agent_only(auth: Authenticator) -> None:
    approve(auth, AGENT, NOW, name="a")
    approve(auth, AGENT2, NOW + 1, name="b")
    approve(auth, AGENT3, NOW + 2, name="a")
    assert auth.agent_master(AGENT) is None
    assert auth.agent_master(AGENT2) == MASTER
    assert [a["address"] for a in auth.extra_agents(MASTER)] == [AGENT2, AGENT3]


def test_at_most_three_named_agents(auth: Authenticator) -> None:
    keys = [_key(f"named{i}") for i in range(4)]
    for i, key in enumerate(keys[:3]):
        approve(auth, _addr(key), NOW + i, name=f"n{i}")
    approve(auth, AGENT, NOW + 3)  # the unnamed slot is separate
    message = refused(lambda: approve(auth, _addr(keys[3]), NOW + 4, name="n3"))
    assert message == "Too many extra agents for cumulative volume traded. Current limit is 3"
    approve(auth, _addr(keys[3]), NOW + 5, name="n0")  # replacing by name is fine
    assert len(auth.extra_agents(MASTER)) == 3


def test_agent_approval_rules(auth: Authenticator) -> None:
    base = {"type": "approveAgent", "agentAddress": AGENT, "nonce": NOW}
    long_name = {**base, "agentName": "x" * 17}
    assert refused(lambda: auth.approve_agent(MASTER, long_name, NOW)) == (
        "Extra agent name must be between 1 and 16 characters long"
    )
    too_far = {**base, "agentName": f"bot valid_until {NOW + MAX_AGENT_VALIDITY_MS + 1}"}
    expired = "Agent valid_until already expired."  # live wording, also for > 180 days
    assert refused(lambda: auth.approve_agent(MASTER, too_far, NOW)) == expired
    past = {**base, "agentName": f"bot valid_until {NOW}"}
    assert refused(lambda: auth.approve_agent(MASTER, past, NOW)) == expired
    self_agent = {**base, "agentAddress": MASTER}
    assert "own address" in refused(lambda: auth.approve_agent(MASTER, self_agent, NOW))
    auth.approve_agent(MASTER, {**base, "agentName": f"bot valid_until {NOW + 1}"}, NOW)
    other = {**base, "agentName": "x"}
    assert refused(lambda: auth.approve_agent(STRANGER, other, NOW)) == (
        "Extra agent already used."
    )
    master_as_agent = {**base, "agentAddress": MASTER}
    assert refused(lambda: auth.approve_agent(STRANGER, master_as_agent, NOW)) == (
        f"API wallet {MASTER} is a user and cannot be an API wallet."
    )


def test_reapproving_the_same_agent_moves_it(auth: Authenticator) -> None:
    approve(auth, AGENT, NOW, name="old")
    approve(auth, AGENT, NOW + 1, name="new", valid_until=NOW + DAY_MS)
    assert auth.extra_agents(MASTER) == [
        {"name": "new", "address": AGENT, "validUntil": NOW + DAY_MS}
    ]
    assert auth.agent_master(AGENT) == MASTER


# ---------------------------------------------------------------------------------------------
# Nonces.


def test_duplicate_nonce(auth: Authenticator) -> None:
    auth.authenticate(l1(MASTER_KEY, nonce=NOW), NOW, has_funds=has_funds)
    message = refused(lambda: auth.authenticate(l1(MASTER_KEY), NOW, has_funds=has_funds))
    assert message == f"Invalid nonce: duplicate nonce {NOW}"


def test_nonce_too_low_once_the_set_is_full(auth: Authenticator) -> None:
    for i in range(NONCE_SET_SIZE):
        auth.authenticate(l1(MASTER_KEY, ORDER, NOW + 10 + i), NOW, has_funds=has_funds)
    message = refused(lambda: auth.authenticate(l1(MASTER_KEY), NOW, has_funds=has_funds))
    assert message == f"Invalid nonce: nonce too low {NOW} < {NOW + 10}"
    # Above the smallest but unused: fine, and it evicts the smallest.
    auth.authenticate(l1(MASTER_KEY, nonce=NOW + 1000), NOW, has_funds=has_funds)
    message = refused(
        lambda: auth.authenticate(l1(MASTER_KEY, nonce=NOW + 10), NOW, has_funds=has_funds)
    )
    assert message == f"Invalid nonce: nonce too low {NOW + 10} < {NOW + 11}"


def test_nonce_window(auth: Authenticator) -> None:
    low = NOW - 2 * DAY_MS
    high = NOW + DAY_MS
    message = refused(
        lambda: auth.authenticate(l1(STRANGER_KEY, nonce=low), NOW, has_funds=has_funds)
    )
    assert message == f"Invalid nonce: nonce too low {low} < {low + 1}"  # before recovery
    message = refused(
        lambda: auth.authenticate(l1(MASTER_KEY, nonce=high), NOW, has_funds=has_funds)
    )
    assert message == f"Invalid nonce: nonce too high {high} > {high - 1}"
    for nonce in (low + 1, high - 1):
        auth.authenticate(l1(MASTER_KEY, nonce=nonce), NOW, has_funds=has_funds)


def test_nonces_are_per_signer(auth: Authenticator) -> None:
    approve(auth, AGENT, NOW)
    auth.authenticate(l1(AGENT_KEY, nonce=NOW + 5), NOW, has_funds=has_funds)
    result = auth.authenticate(l1(MASTER_KEY, nonce=NOW + 5), NOW, has_funds=has_funds)
    assert result.signer == MASTER


def test_failed_authentication_burns_no_nonce(auth: Authenticator) -> None:
    refused(lambda: auth.authenticate(l1(MASTER_KEY), NOW, has_funds=lambda a: False))
    auth.authenticate(l1(MASTER_KEY), NOW, has_funds=has_funds)


def test_deferred_commit(auth: Authenticator) -> None:
    req = l1(MASTER_KEY)
    result = auth.authenticate(req, NOW, has_funds=has_funds, commit=False)
    auth.authenticate(req, NOW, has_funds=has_funds, commit=False)  # not burned yet
    auth.commit_nonce(result.signer, req.nonce)
    assert refused(lambda: auth.authenticate(req, NOW, has_funds=has_funds)).startswith(
        "Invalid nonce: duplicate"
    )


# ---------------------------------------------------------------------------------------------
# Pickling.


def test_pickle_round_trip_keeps_behaviour(auth: Authenticator) -> None:
    approve(auth, AGENT, NOW)
    approve(auth, AGENT2, NOW + 1, name="bot", valid_until=NOW + DAY_MS)
    approve(auth, AGENT3, NOW + 2)  # retires AGENT
    auth.authenticate(l1(AGENT2_KEY, nonce=NOW + 3), NOW, has_funds=has_funds)
    back: Authenticator = pickle.loads(pickle.dumps(auth))
    for venue in (auth, back):
        assert venue.extra_agents(MASTER) == [
            {"name": "bot", "address": AGENT2, "validUntil": NOW + DAY_MS}
        ]
        replay = l1(AGENT2_KEY, nonce=NOW + 3)
        with pytest.raises(AuthError, match=f"^Invalid nonce: duplicate nonce {NOW + 3}$"):
            venue.authenticate(replay, NOW, has_funds=has_funds)
        with pytest.raises(AuthError, match=r"^Extra agent already used\.$"):
            approve(venue, AGENT, NOW + 4)
        assert venue.authenticate(l1(AGENT3_KEY, nonce=NOW + 5), NOW, has_funds=has_funds) == (
            AuthResult(MASTER, AGENT3)
        )


# ---------------------------------------------------------------------------------------------
# Issue 14: nobody acts for another, and a (signer, nonce) pair is accepted at most once.

VICTIM_KEY = _key("victim")
VICTIM = _addr(VICTIM_KEY)


def approve_by(
    auth: Authenticator,
    key: str,
    agent: str,
    nonce: int,
    funded: Callable[[str], bool],
    *,
    name: str | None = None,
    now: int = NOW,
) -> AuthResult:
    """The server's sequence for an approveAgent signed by ``key``."""
    signed, posted = A.approve_agent_action(agent, nonce, is_mainnet=False, name=name)
    req = user(key, signed, posted)
    result = auth.authenticate(req, now, has_funds=funded)
    auth.approve_agent(result.account, req.action, now)
    return result


def test_attack_approving_another_users_account_as_agent_is_refused(
    auth: Authenticator,
) -> None:
    """The reported attack: STRANGER approves VICTIM's account as its agent."""
    funded = {MASTER, STRANGER, VICTIM}.__contains__
    expected = f"API wallet {VICTIM} is a user and cannot be an API wallet."
    assert refused(lambda: approve_by(auth, STRANGER_KEY, VICTIM, NOW, funded)) == expected
    # The refusal burned no nonce and changed no role: the victim still acts as itself ...
    assert auth.authenticate(l1(VICTIM_KEY, nonce=NOW), NOW, has_funds=funded) == AuthResult(
        VICTIM, VICTIM
    )
    assert auth.user_role(VICTIM, has_funds=funded) == {"role": "user"}
    # ... and the attacker's nonce is still free for its next (legitimate) action.
    assert auth.authenticate(l1(STRANGER_KEY, nonce=NOW), NOW, has_funds=funded).signer == (
        STRANGER
    )


@pytest.mark.parametrize("how", ["funded", "signed", "master", "deposited", "vault"])
def test_no_kind_of_user_can_be_approved_as_agent(auth: Authenticator, how: str) -> None:
    """A user is refused whether it holds USDC, once signed, approved agents, or got a deposit."""
    funded_set = {MASTER, STRANGER}
    target = VICTIM
    if how == "funded":
        funded_set.add(VICTIM)
    elif how == "signed":  # funded then, broke now: still a user
        auth.authenticate(l1(VICTIM_KEY, nonce=NOW), NOW, has_funds=lambda a: True)
    elif how == "master":
        approve_by(auth, VICTIM_KEY, AGENT, NOW, lambda a: a == VICTIM)
    elif how == "deposited":
        auth.note_user(VICTIM)
    else:
        target = "0x" + "0" * 38 + "1d"  # the liquidator vault
    message = refused(
        lambda: approve_by(auth, STRANGER_KEY, target, NOW + 1, funded_set.__contains__)
    )
    assert message == f"API wallet {target} is a user and cannot be an API wallet."


def test_agent_is_approved_for_one_master_only_and_never_twice(auth: Authenticator) -> None:
    funded = {MASTER, STRANGER}.__contains__
    approve_by(auth, MASTER_KEY, AGENT, NOW, funded)
    assert refused(lambda: approve_by(auth, STRANGER_KEY, AGENT, NOW, funded)) == (
        "Extra agent already used."
    )
    approve_by(auth, MASTER_KEY, AGENT2, NOW + 1, funded)  # retires AGENT
    assert refused(lambda: approve_by(auth, STRANGER_KEY, AGENT, NOW + 2, funded)) == (
        "Extra agent already used."
    )
    assert refused(lambda: approve_by(auth, MASTER_KEY, AGENT, NOW + 3, funded)) == (
        "Extra agent already used."
    )
    assert auth.agent_master(AGENT) is None
    assert auth.agent_master(AGENT2) == MASTER


def test_agent_never_becomes_a_user(auth: Authenticator) -> None:
    """Even holding USDC, an agent's own signatures never act for its own address."""
    approve(auth, AGENT, NOW)
    everyone = lambda a: True  # noqa: E731 - the agent's address "has funds" too
    send = A.usd_send_action(STRANGER, Decimal("1"), NOW + 1, is_mainnet=False)
    assert refused(lambda: auth.authenticate(user(AGENT_KEY, send), NOW, has_funds=everyone)) == (
        f"Must deposit before performing actions. User: {AGENT}"
    )
    assert auth.authenticate(l1(AGENT_KEY, nonce=NOW + 2), NOW, has_funds=everyone).account == (
        MASTER
    )
    approve(auth, AGENT2, NOW + 3)  # AGENT retired: it acts for nobody now
    message = refused(
        lambda: auth.authenticate(l1(AGENT_KEY, nonce=NOW + 4), NOW, has_funds=everyone)
    )
    assert message == f"User or API Wallet {AGENT} does not exist."
    # A deposit (faucet) to an agent is refused; noting it as a user changes nothing.
    with pytest.raises(AuthError, match="cannot hold funds"):
        auth.check_may_become_user(AGENT)
    auth.check_may_become_user(STRANGER)
    auth.note_user(AGENT)
    assert auth.user_role(AGENT) == {"role": "missing"}


@pytest.mark.parametrize("active", [True, False])
def test_usd_send_to_an_agent_is_refused_before_the_nonce_burns(
    auth: Authenticator, active: bool
) -> None:
    approve(auth, AGENT, NOW)
    if not active:
        approve(auth, AGENT2, NOW + 1)
    send = A.usd_send_action(AGENT, Decimal("5"), NOW + 2, is_mainnet=False)
    message = refused(lambda: auth.authenticate(user(MASTER_KEY, send), NOW, has_funds=has_funds))
    assert message.startswith(f"Cannot send USDC to API wallet {AGENT}")
    ok = A.usd_send_action(STRANGER, Decimal("5"), NOW + 2, is_mainnet=False)
    assert auth.authenticate(user(MASTER_KEY, ok), NOW, has_funds=has_funds).signer == MASTER


def test_attack_replaying_a_retired_agents_requests_is_refused(auth: Authenticator) -> None:
    """The reported attack: retiring an agent dropped its nonce set, so its requests replayed.

    Its requests are refused after retirement whatever the reason it is asked about (here the
    agent even gets funds, the way the faucet path could credit it), and retiring it leaves
    the master's own set alone.
    """
    approve(auth, AGENT, NOW)
    sent = [l1(AGENT_KEY, nonce=NOW + 10 + i) for i in range(3)]
    for req in sent:
        assert auth.authenticate(req, NOW, has_funds=has_funds).account == MASTER
    own = l1(MASTER_KEY, nonce=NOW + 10)
    auth.authenticate(own, NOW, has_funds=has_funds)
    approve(auth, AGENT2, NOW + 1)  # replaces (retires) AGENT
    for funded in (has_funds, lambda a: True):
        for req in sent:
            with pytest.raises(AuthError):
                auth.authenticate(req, NOW, has_funds=funded)
    assert refused(lambda: auth.authenticate(own, NOW, has_funds=has_funds)) == (
        f"Invalid nonce: duplicate nonce {NOW + 10}"
    )
    # The retired signer's set is kept (in a snapshot too), so even a bookkeeping slip that
    # let it resolve again could not reuse a nonce.
    back: Authenticator = pickle.loads(pickle.dumps(auth))
    for venue in (auth, back):
        for req in sent:
            with pytest.raises(AuthError, match=r"^Invalid nonce: duplicate nonce"):
                venue._check_used(AGENT, req.nonce)


def test_expired_agent_is_used_up_whether_or_not_it_was_pruned() -> None:
    """Verdicts never depend on lazy pruning (info queries prune and are not logged)."""
    until = NOW + DAY_MS
    pruned, unpruned = Authenticator(), Authenticator()
    for auth in (pruned, unpruned):
        approve(auth, AGENT, NOW, name="bot", valid_until=until)
    assert pruned.extra_agents(MASTER, until) == []  # prunes
    for auth in (pruned, unpruned):
        with pytest.raises(AuthError, match=r"^Extra agent already used\.$"):
            approve(auth, AGENT, until + 1, name="bot", now=until)


def test_zero_address_removes_the_named_agent(auth: Authenticator) -> None:
    approve(auth, AGENT, NOW, name="bot")
    approve(auth, "0x" + "0" * 40, NOW + 1, name="bot")
    assert auth.extra_agents(MASTER) == []
    message = refused(
        lambda: auth.authenticate(l1(AGENT_KEY, nonce=NOW + 2), NOW, has_funds=has_funds)
    )
    assert message == f"User or API Wallet {AGENT} does not exist."
    approve(auth, "0x" + "0" * 40, NOW + 3, name="bot")  # nothing to remove: fine
    approve(auth, AGENT2, NOW + 4, name="bot")
    assert [a["address"] for a in auth.extra_agents(MASTER)] == [AGENT2]

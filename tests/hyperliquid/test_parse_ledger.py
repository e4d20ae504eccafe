"""Ledger deltas: every modelled shape becomes its typed record; anything else is kept raw.

Shapes follow PROTOCOL.md §7/§11.8, the recorded fixture and the local venue. A malformed
field of a modelled delta must be a ParseError naming it (a row with a guessed sign would be
worse than no row), and no input may raise anything else.
"""

from __future__ import annotations

import contextlib
import copy
import random
from typing import Any

import pytest

from tests.ledger_samples import (
    LEADER_COMMISSION,
    ME,
    OTHER,
    REWARDS_IN_USDC,
    SUB_ACCOUNT_OUT,
    VAULT,
    VAULT_CREATE,
    VAULT_DEPOSIT,
    VAULT_DISTRIBUTION,
    VAULT_WITHDRAW,
    D,
)
from wallet_perps.core.ledger import (
    AccountClassTransfer,
    Deposit,
    InternalTransfer,
    LedgerDelta,
    LiquidatedPosition,
    Liquidation,
    SendAsset,
    SpotTransfer,
    UnknownDelta,
    Withdraw,
)
from wallet_perps.hyperliquid import parse as P
from wallet_perps.hyperliquid.parse import ParseError

#: (wire delta, the record it must become)
SHAPES: list[tuple[dict[str, Any], LedgerDelta]] = [
    ({"type": "deposit", "usdc": "2703997.4500000002"}, Deposit(D("2703997.4500000002"))),
    (
        {"type": "withdraw", "usdc": "25.0", "nonce": 1700000000000, "fee": "1.0"},
        Withdraw(D("25.0"), 1700000000000, D("1.0")),
    ),
    (
        {"type": "internalTransfer", "usdc": "25", "user": ME, "destination": OTHER, "fee": "0.0"},
        InternalTransfer(D(25), ME, OTHER, D("0.0")),
    ),
    (
        {"type": "subAccountTransfer", "usdc": "3", "user": ME, "destination": OTHER},
        SUB_ACCOUNT_OUT,
    ),
    (
        {"type": "accountClassTransfer", "usdc": "12.0", "toPerp": False},
        AccountClassTransfer(D("12.0"), to_perp=False),
    ),
    (
        {
            "type": "spotTransfer",
            "token": "HYPE",
            "amount": "2.5",
            "usdcValue": "100.25",
            "user": OTHER,
            "destination": ME,
            "fee": "0.0",
            "nativeTokenFee": "0.0",
            "nonce": None,
            "feeToken": "",
        },
        SpotTransfer(
            OTHER, ME, "HYPE", D("2.5"), D("100.25"), fee=D(0), native_token_fee=D(0), fee_token=""
        ),
    ),
    (
        {
            "type": "send",
            "user": ME,
            "destination": ME,
            "sourceDex": "spot",
            "destinationDex": "",
            "token": "USDC",
            "amount": "40",
            "usdcValue": "40",
            "fee": "0",
            "nativeTokenFee": "0",
            "nonce": 7,
            "feeToken": "USDC",
        },
        SendAsset(
            ME,
            ME,
            "USDC",
            D(40),
            D(40),
            source_dex="spot",
            destination_dex="",
            fee=D(0),
            native_token_fee=D(0),
            nonce=7,
            fee_token="USDC",
        ),
    ),
    (
        {
            "type": "liquidation",
            "liquidatedNtlPos": "1200.5",
            "accountValue": "35.2",
            "leverageType": "Isolated",
            "liquidatedPositions": [{"coin": "ETH", "szi": "-0.4"}],
        },
        Liquidation(D("35.2"), (LiquidatedPosition("ETH", D("-0.4")),), D("1200.5"), "Isolated"),
    ),
    ({"type": "vaultCreate", "vault": VAULT, "usdc": "100", "fee": "100"}, VAULT_CREATE),
    ({"type": "vaultDeposit", "vault": VAULT, "usdc": "50"}, VAULT_DEPOSIT),
    ({"type": "vaultDistribution", "vault": VAULT, "usdc": "1.5"}, VAULT_DISTRIBUTION),
    (
        {
            "type": "vaultWithdraw",
            "vault": VAULT,
            "user": ME,
            "requestedUsd": "20",
            "commission": "0.5",
            "closingCost": "0.1",
            "basis": "18",
            "netWithdrawnUsd": "19.4",
        },
        VAULT_WITHDRAW,
    ),
    ({"type": "vaultLeaderCommission", "user": ME, "usdc": "2"}, LEADER_COMMISSION),
    ({"type": "rewardsClaim", "amount": "3.3", "token": "USDC"}, REWARDS_IN_USDC),
]


def _rows(*deltas: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {"time": 1_700_000_000_000 + i, "hash": f"0x{i:064x}", "delta": copy.deepcopy(d)}
        for i, d in enumerate(deltas)
    ]


@pytest.mark.parametrize(("wire", "expected"), SHAPES, ids=lambda x: getattr(x, "type", ""))
def test_each_delta_shape_becomes_its_record(wire: dict[str, Any], expected: LedgerDelta) -> None:
    [update] = P.parse_ledger_updates(_rows(wire))
    assert update.delta == expected
    assert type(update.delta) is type(expected) and update.type == wire["type"]
    assert update.time == 1_700_000_000_000 and update.hash == "0x" + "0" * 64


def test_every_modelled_type_is_in_the_table() -> None:
    kinds = {wire["type"] for wire, _ in SHAPES}
    assert len(kinds) == len(SHAPES) == 14


def test_the_websocket_channel_reads_the_same_shapes() -> None:
    snap, updates = P.parse_ws_ledger_updates(
        {"isSnapshot": False, "user": ME, "nonFundingLedgerUpdates": _rows(*(w for w, _ in SHAPES))}
    )
    assert not snap and [u.delta for u in updates] == [e for _, e in SHAPES]


def test_ws_numbers_are_accepted_as_json_numbers() -> None:
    [update] = P.parse_ledger_updates(
        _rows({"type": "internalTransfer", "usdc": 25.5, "user": ME, "destination": OTHER})
    )
    assert update.delta == InternalTransfer(D("25.5"), ME, OTHER, None)


def test_an_unknown_delta_is_kept_verbatim_and_read_only() -> None:
    wire = {
        "type": "cStakingTransfer",
        "token": "HYPE",
        "amount": "10",
        "isDeposit": True,
        "extra": {"nested": [1, 2.5, None]},
    }
    [update] = P.parse_ledger_updates(_rows(wire))
    delta = update.delta
    assert isinstance(delta, UnknownDelta) and update.type == "cStakingTransfer"
    assert delta.raw["type"] == "cStakingTransfer" and delta.raw["isDeposit"] is True
    nested = delta.raw["extra"]
    assert not isinstance(nested, dict) and nested == {"nested": (1, 2.5, None)}
    with pytest.raises(TypeError):
        delta.raw["amount"] = "0"  # type: ignore[index]
    hash(update)  # a raw mapping does not make the row unhashable


@pytest.mark.parametrize(
    ("wire", "expected"),
    [
        pytest.param(
            {"type": "internalTransfer", "usdc": "25", "destination": OTHER},
            "userNonFundingLedgerUpdates[0].delta.user: missing",
            id="transfer-without-sender",
        ),
        pytest.param(
            {"type": "accountClassTransfer", "usdc": "5", "toPerp": "yes"},
            "userNonFundingLedgerUpdates[0].delta.toPerp: expected true or false",
            id="class-transfer-direction",
        ),
        pytest.param(
            {"type": "withdraw", "usdc": "1e400x", "fee": "1"},
            "userNonFundingLedgerUpdates[0].delta.usdc",
            id="withdraw-amount",
        ),
        pytest.param(
            {"type": "liquidation", "accountValue": "1", "liquidatedPositions": [{"coin": "X"}]},
            "userNonFundingLedgerUpdates[0].delta.liquidatedPositions[0].szi: missing",
            id="liquidated-position",
        ),
        pytest.param(
            {"type": 7}, "userNonFundingLedgerUpdates[0].delta.type: expected a string", id="type"
        ),
    ],
)
def test_a_malformed_modelled_delta_names_its_field(wire: dict[str, Any], expected: str) -> None:
    with pytest.raises(ParseError) as info:
        P.parse_ledger_updates(_rows(wire))
    assert str(info.value).startswith(expected), str(info.value)


JUNK: list[Any] = [None, "abc", "", [], {}, 1.5, True, -1, "NaN", [1, 2], {"x": 1}]


def test_fuzzed_deltas_only_ever_raise_parse_error() -> None:
    rng = random.Random(16)
    template = _rows(*(w for w, _ in SHAPES))
    P.parse_ledger_updates(copy.deepcopy(template))
    for i, row in enumerate(template):
        for key in row["delta"]:
            for _ in range(3):
                data = copy.deepcopy(template)
                if rng.random() < 0.3:
                    del data[i]["delta"][key]
                else:
                    data[i]["delta"][key] = copy.deepcopy(rng.choice(JUNK))
                with contextlib.suppress(ParseError):
                    P.parse_ledger_updates(data)

"""The engine's one state object: what a snapshot holds, and that the composed engine behaves
exactly as the inheritance-built one it replaced.

``data/venue_snapshot_inheritance_layout.pickle`` was pickled by that former engine (one class
built from five bases) after ``venue_script.part_one``; the digests below are of its answers
then, and of its answers and pushes after ``part_two``. An upgraded venue finds such snapshots
in its data directory, so the new engine must load one and carry on as the old would have.
"""

from __future__ import annotations

import dataclasses
import pickle
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.localvenue import venue_script as script
from wallet_perps.localvenue.actions import (
    CancelAction,
    OrderAction,
    OrderRequest,
    TriggerSpec,
    WithdrawAction,
)
from wallet_perps.localvenue.engine import Venue, VenueEvent
from wallet_perps.localvenue.requests import BadRequest, parse_exchange_request
from wallet_perps.localvenue.state import VenueState

LEGACY_SNAPSHOT = Path(__file__).parent / "data" / "venue_snapshot_inheritance_layout.pickle"
#: Digests of the former engine's answers after part one, and answers and pushes after part two.
PART_ONE = "0cd7583d36a2c1bff77d272e918d7bd9c07b3fa29cb13a22898bed9c6e77c2ef"
PART_TWO = "e552a6f105c4605a81d5d82f939d5768148b5edb5f571627bdb10ad2d357bc65"
PART_TWO_PUSHES = "35b943a2500bbea605e0642a21e3cfa598d7433e7511186a8faab3a6aadeaa44"


def _run_part_two(v: Venue) -> tuple[str, str]:
    pushes: list[Any] = []

    def listen(event: VenueEvent) -> None:
        pushes.append([event.channel, event.key, event.data])

    v.listeners.append(listen)
    script.part_two(v)
    return script.digest(script.answers(v)), script.digest(pushes)


def test_the_composed_engine_answers_as_the_inherited_one_did() -> None:
    v = Venue(seed=script.SEED, start_ms=script.T0)
    script.part_one(v)
    assert script.digest(script.answers(v)) == PART_ONE
    assert _run_part_two(v) == (PART_TWO, PART_TWO_PUSHES)


def test_a_snapshot_of_the_former_layout_loads_and_carries_on() -> None:
    legacy = pickle.loads(LEGACY_SNAPSHOT.read_bytes())  # our own fixture
    assert isinstance(legacy, Venue) and legacy.listeners == []
    assert script.digest(script.answers(legacy)) == PART_ONE
    assert _run_part_two(legacy) == (PART_TWO, PART_TWO_PUSHES)


def test_a_snapshot_is_the_state_alone() -> None:
    v = Venue(seed=script.SEED, start_ms=script.T0)
    script.part_one(v)
    v.listeners.append(lambda event: None)
    assert v.__getstate__() == {"state": v.state}
    copy = pickle.loads(pickle.dumps(v, pickle.HIGHEST_PROTOCOL))
    assert isinstance(copy.state, VenueState) and copy.listeners == []
    assert script.digest(script.answers(copy)) == PART_ONE
    assert _run_part_two(copy) == (PART_TWO, PART_TWO_PUSHES)


def test_every_mutable_piece_lives_in_the_state() -> None:
    """The facade and its parts keep nothing of their own between calls."""
    v = Venue(start_ms=script.T0)
    facade = {"listeners", "state"} | {name for name in vars(v) if name.startswith("_")}
    assert set(vars(v)) == facade
    for name, part in vars(v).items():
        if name.startswith("_"):
            assert not hasattr(part, "__dict__"), name  # slotted: no stray attributes
            parts = {type(p) for p in vars(v).values()}
            for slot in type(part).__slots__:
                value = getattr(part, slot)
                shared = isinstance(value, VenueState | list) or type(value) in parts
                assert shared or dataclasses.is_dataclass(value), (name, slot)


def test_records_and_wire_dicts_are_one_path() -> None:
    """The server hands the engine the record it built while validating; tests and the flow
    may hand it wire dicts, built into the very same records."""
    wire = {
        "a": 1,
        "b": True,
        "p": "3300.0",
        "s": "1.50",
        "r": False,
        "t": {"limit": {"tif": "Gtc"}},
    }
    action = {"type": "order", "orders": [wire], "grouping": "na"}
    body = {
        "action": action,
        "nonce": 1,
        "signature": {"r": "0x1", "s": "0x2", "v": 27},
    }
    record = parse_exchange_request(body).record
    expected = OrderRequest(1, True, Decimal("3300"), Decimal("1.5"), False, "Gtc")
    assert record == OrderAction((expected,), "na")
    by_record = Venue(start_ms=script.T0)
    by_wire = Venue(start_ms=script.T0)
    for v in (by_record, by_wire):
        v.faucet(script.ALICE, Decimal(10_000), script.T0)
    assert record is not None
    first = by_record.order(script.ALICE, record, script.T0 + 1)
    second = by_wire.order(script.ALICE, action, script.T0 + 1)
    assert first == second and "resting" in first["data"]["statuses"][0]
    assert by_record.open_orders(script.ALICE) == by_wire.open_orders(script.ALICE)
    oid = first["data"]["statuses"][0]["resting"]["oid"]
    out = by_record.cancel(script.ALICE, CancelAction(((1, oid),)), script.T0 + 2)
    assert out["data"]["statuses"] == ["success"]


def test_a_malformed_wire_dict_is_refused_like_the_server_refuses_it() -> None:
    v = Venue(start_ms=script.T0)
    with pytest.raises(BadRequest, match="missing field `destination`"):
        v.withdraw3(script.ALICE, {"amount": "5", "time": 1}, script.T0)
    with pytest.raises(BadRequest):
        v.order(script.ALICE, {"type": "order", "orders": [{"a": 0}], "grouping": "na"}, 1)


def test_values_the_shape_allows_are_refused_by_the_engine_in_the_venues_words() -> None:
    v = Venue(start_ms=script.T0)
    v.faucet(script.ALICE, Decimal(10_000), script.T0)
    zero_px = OrderRequest(1, True, Decimal(0), Decimal(1), False, "Gtc")
    zero_sz = OrderRequest(1, True, Decimal(3300), Decimal(0), False, "Gtc")
    zero_trigger = OrderRequest(
        1, False, Decimal(3300), Decimal(1), True, trigger=TriggerSpec(Decimal(0), True, "sl")
    )
    out = v.order(script.ALICE, OrderAction((zero_px, zero_sz, zero_trigger)), script.T0 + 1)
    assert out["data"]["statuses"] == [
        {"error": "Order has invalid price. asset=1"},
        {"error": "Order has invalid size. asset=1"},
        {"error": "Invalid TP/SL price. asset=1"},
    ]
    from wallet_perps.localvenue.engine_types import VenueReject

    with pytest.raises(VenueReject, match=r"^Invalid amount\.$"):
        v.withdraw3(script.ALICE, WithdrawAction(script.ALICE, Decimal("5.0000001"), 1), 2)

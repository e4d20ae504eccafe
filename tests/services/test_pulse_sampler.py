"""ContextSampler: throttled, time-stamped, bounded history of every market's context."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from wallet_perps.core.models import AssetContext
from wallet_perps.services.pulse import ContextSampler

D = Decimal


def ctx(coin: str, mark: str, oi: str = "10") -> AssetContext:
    return AssetContext(coin, D(mark), D(mark), D("0.0000125"), D(oi), D(mark), D(0))


class Clock:
    def __init__(self) -> None:
        self.ms = 1_000_000

    def __call__(self) -> int:
        return self.ms


def test_samples_at_most_once_per_period_and_keeps_a_bounded_ring() -> None:
    clock = Clock()
    contexts = {"BTC": ctx("BTC", "100"), "ETH": ctx("ETH", "10")}
    sampler = ContextSampler(lambda: contexts, every_s=5, keep=3, clock=clock)
    assert sampler.maybe_sample()
    clock.ms += 4_999
    assert not sampler.maybe_sample()  # too soon
    for i in range(5):
        clock.ms += 5_000
        contexts["BTC"] = ctx("BTC", str(101 + i))
        assert sampler.maybe_sample()
    btc = sampler.samples("BTC")
    assert len(btc) == 3  # only the newest ``keep``
    assert [s.mark_px for s in btc] == [D(103), D(104), D(105)]
    assert [s.time_ms for s in btc] == sorted(s.time_ms for s in btc)
    assert len(sampler.samples("ETH")) == 3
    assert sampler.samples("BTC", since_ms=clock.ms) == (btc[-1],)
    assert sampler.samples("DOGE") == ()
    assert set(sampler.coins()) == {"BTC", "ETH"}
    sampler.clear()
    assert sampler.samples("BTC") == () and sampler.maybe_sample()


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError):
        ContextSampler(dict, every_s=-1)
    with pytest.raises(ValueError):
        ContextSampler(dict, keep=1)


async def test_run_samples_on_the_loop_until_cancelled() -> None:
    contexts = {"BTC": ctx("BTC", "100")}
    sampler = ContextSampler(lambda: contexts, every_s=0)
    task = asyncio.create_task(sampler.run(0.05))
    await asyncio.sleep(0.3)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert len(sampler.samples("BTC")) >= 3

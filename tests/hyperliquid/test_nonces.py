"""Nonces: unique and increasing per signer, close to the clock, safe across threads/tasks."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from wallet_perps.core.clock import wall_ms
from wallet_perps.hyperliquid.nonces import NonceManager

USER = "0x14791697260E4c9A71f18484C9f997B308e59325"
AGENT = "0xcD49bbAc6E85fdEB167EB7cA41A945d2b8758F6F"


class FakeClock:
    def __init__(self, now: int) -> None:
        self.now = now

    def __call__(self) -> int:
        return self.now


def test_follows_the_clock_when_it_moves() -> None:
    clock = FakeClock(1_700_000_000_000)
    nonces = NonceManager(clock)
    assert nonces.next_nonce(USER) == 1_700_000_000_000
    clock.now += 250
    assert nonces.next_nonce(USER) == 1_700_000_000_250


def test_same_millisecond_never_repeats() -> None:
    """The SDK's bare timestamp collides here ("Invalid nonce: duplicate nonce")."""
    nonces = NonceManager(FakeClock(1_000))
    assert [nonces.next_nonce(USER) for _ in range(5)] == [1_000, 1_001, 1_002, 1_003, 1_004]


def test_clock_going_backwards_does_not_go_backwards() -> None:
    clock = FakeClock(5_000)
    nonces = NonceManager(clock)
    assert nonces.next_nonce(USER) == 5_000
    clock.now = 4_000  # NTP step back
    assert nonces.next_nonce(USER) == 5_001
    clock.now = 9_000
    assert nonces.next_nonce(USER) == 9_000


def test_counters_are_per_signer_and_case_insensitive() -> None:
    nonces = NonceManager(FakeClock(1_000))
    assert nonces.next_nonce(USER) == 1_000
    assert nonces.next_nonce(AGENT) == 1_000  # another signer has its own nonce set
    assert nonces.next_nonce(USER.lower()) == 1_001
    assert nonces.next_nonce(AGENT.upper().replace("0X", "0x")) == 1_001
    assert nonces.last_nonce(USER) == 1_001
    assert nonces.last_nonce("0x" + "00" * 20) is None


def test_observe_moves_the_floor_up_only() -> None:
    nonces = NonceManager(FakeClock(1_000))
    nonces.observe(USER, 2_000)
    assert nonces.next_nonce(USER) == 2_001
    nonces.observe(USER, 10)
    assert nonces.next_nonce(USER) == 2_002
    with pytest.raises(ValueError):
        nonces.observe(USER, -1)


def test_rejects_empty_signer() -> None:
    with pytest.raises(ValueError):
        NonceManager().next_nonce("")


def test_default_clock_is_wall_clock_ms() -> None:
    before = int(time.time() * 1000)
    nonce = NonceManager().next_nonce(USER)
    after = int(time.time() * 1000)
    assert before - 1 <= nonce <= after + 1
    assert abs(wall_ms() - time.time() * 1000) < 1_000


def test_threads_never_share_a_nonce() -> None:
    nonces = NonceManager(FakeClock(1_700_000_000_000))  # frozen clock: worst case
    per_thread: dict[int, list[int]] = {}
    start = threading.Barrier(8)

    def worker(index: int) -> None:
        start.wait()
        got = [nonces.next_nonce(USER if i % 2 else USER.lower()) for i in range(2_000)]
        per_thread[index] = got

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    everything = [n for got in per_thread.values() for n in got]
    assert len(everything) == 16_000
    assert len(set(everything)) == 16_000
    for got in per_thread.values():
        assert got == sorted(got)  # each caller sees strictly increasing nonces
    assert max(everything) == 1_700_000_000_000 + 16_000 - 1


def test_threads_with_a_real_clock() -> None:
    nonces = NonceManager()
    results: list[int] = []
    lock = threading.Lock()

    def worker() -> None:
        got = [nonces.next_nonce(AGENT) for _ in range(1_000)]
        with lock:
            results.extend(got)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(results)) == len(results) == 4_000


async def test_asyncio_tasks_never_share_a_nonce() -> None:
    nonces = NonceManager(FakeClock(42))

    async def task() -> list[int]:
        got = []
        for _ in range(100):
            got.append(nonces.next_nonce(USER))
            await asyncio.sleep(0)
        return got

    results = await asyncio.gather(*(task() for _ in range(50)))
    everything = [n for got in results for n in got]
    assert len(set(everything)) == len(everything) == 5_000


async def test_event_loop_and_threads_together() -> None:
    nonces = NonceManager(FakeClock(7))
    loop = asyncio.get_running_loop()

    def in_thread() -> list[int]:
        return [nonces.next_nonce(USER) for _ in range(1_000)]

    async def on_loop() -> list[int]:
        got = []
        for _ in range(1_000):
            got.append(nonces.next_nonce(USER))
            if len(got) % 50 == 0:
                await asyncio.sleep(0)
        return got

    results = await asyncio.gather(
        loop.run_in_executor(None, in_thread),
        loop.run_in_executor(None, in_thread),
        on_loop(),
    )
    everything = [n for got in results for n in got]
    assert len(set(everything)) == len(everything) == 3_000

"""The running app hands freed C-heap memory back now and then (see wallet_perps.heap_trim)."""

from __future__ import annotations

import asyncio
import ctypes

import pytest

from wallet_perps.heap_trim import HeapTrimmer, trim_heap

GLIBC = hasattr(ctypes.CDLL(None), "malloc_trim")


def test_trim_heap_answers_without_raising() -> None:
    assert trim_heap() in (True, False)


@pytest.mark.skipif(not GLIBC, reason="malloc_trim is glibc's")
def test_the_trimmer_runs_on_the_loop_until_closed() -> None:
    async def scenario() -> int:
        trimmer = HeapTrimmer(every_s=0.01)
        await asyncio.sleep(0.2)
        trimmer.close()
        after_close = trimmer.trims
        await asyncio.sleep(0.05)
        assert trimmer.trims == after_close  # nothing runs after close
        return after_close

    assert asyncio.run(scenario()) >= 3

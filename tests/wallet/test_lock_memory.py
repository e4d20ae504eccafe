"""Lock means gone: after Lock no raw copy of the main key or the agent key is in memory.

A driver process (tests/lock_driver.py: the real Keystore, WalletService and TradingSession
against a real local venue) unlocks a wallet, deposits (approving an agent), signs an L1
action with the agent and a transfer with the main key. The test reads that process's whole
address space through ``/proc/PID/maps`` and ``/proc/PID/mem`` and looks for the 32 raw bytes
of each key: they must be there before Lock (else the scan proves nothing) and gone after.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.venue_process import REPO, VenueProcess
from tests.wallet.conftest import PASSWORD
from wallet_perps.wallet.keystore import Keystore
from wallet_perps.wallet.mnemonic import RecoveryPhrase
from wallet_perps.wallet.secret_storage import TEST_ONLY_FAST_SCRYPT, key_address
from wallet_perps.wallet.unlocked import random_key

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/mem").exists(), reason="reads another process's memory via /proc"
)

_MAPS_LINE = re.compile(r"^([0-9a-f]+)-([0-9a-f]+) (\S+)")


def _regions(pid: int) -> Iterator[tuple[int, int]]:
    for line in Path(f"/proc/{pid}/maps").read_text().splitlines():
        match = _MAPS_LINE.match(line)
        if match is None or not match.group(3).startswith("r"):
            continue
        if line.endswith(("[vvar]", "[vsyscall]", "[vvar_vclock]")):
            continue
        yield int(match.group(1), 16), int(match.group(2), 16)


def copies_in_memory(pid: int, needles: dict[str, bytes]) -> dict[str, int]:
    """How many times each needle occurs in the readable memory of process ``pid``."""
    found = dict.fromkeys(needles, 0)
    with open(f"/proc/{pid}/mem", "rb", buffering=0) as mem:
        for start, end in _regions(pid):
            try:
                mem.seek(start)
                data = mem.read(end - start)
            except (OSError, OverflowError, ValueError):
                continue  # guard pages and the like
            for name, needle in needles.items():
                found[name] += data.count(needle)
    return found


class Driver:
    def __init__(self, url: str, token: str, address: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.lock_driver", url, token, address, PASSWORD],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=REPO,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )

    def line(self) -> str:
        assert self.proc.stdout is not None
        text = self.proc.stdout.readline().strip()
        assert text, f"the driver stopped (exit code {self.proc.poll()})"
        return text

    def send(self, command: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                self.send("quit")
                self.proc.wait(timeout=30)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()


@pytest.mark.parametrize("path", ["unlock", "import phrase"])
def test_lock_leaves_no_copy_of_the_main_or_agent_key_in_memory(
    flow_venue: VenueProcess, path: str
) -> None:
    """``unlock``: a stored wallet is unlocked; ``import phrase``: the driver itself imports
    a recovery phrase first (BIP32 derivation and sealing run in the scanned process)."""
    if path == "unlock":
        main_key = random_key()
        info = Keystore(scrypt=TEST_ONLY_FAST_SCRYPT).import_private_key(main_key.hex(), PASSWORD)
        address = info.address
    else:
        phrase = RecoveryPhrase.generate(12)
        main_key = phrase.derive_private_key(0)
        words = " ".join(phrase.words())
        address = "import"
    venue = flow_venue
    assert venue.admin_token is not None
    driver = Driver(venue.url, venue.admin_token, address)
    try:
        if path != "unlock":
            driver.send(words)
        ready = driver.line()
        assert ready.startswith("ready 0x"), ready
        agent = ready.split()[1]
        # The agent's key, as the keyring holds it (decrypted here, in the test process).
        address = key_address(main_key)
        mine = Keystore(scrypt=TEST_ONLY_FAST_SCRYPT).unlock(address, PASSWORD)
        held = mine._agents["local"]
        assert held[0] == agent
        needles = {"main key": bytes(main_key), "agent key": bytes(held[1])}

        before = copies_in_memory(driver.proc.pid, needles)
        assert before["main key"] >= 1 and before["agent key"] >= 1, before

        driver.send("lock")
        assert driver.line() == "locked"
        after = copies_in_memory(driver.proc.pid, needles)
        assert after == {"main key": 0, "agent key": 0}, (before, after)
    finally:
        driver.close()

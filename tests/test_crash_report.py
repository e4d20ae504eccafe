"""Crashes while a wallet is unlocked leave reports and logs without its key or phrase.

The real app runs in a subprocess (offscreen Qt, its own local venue, a throwaway home whose
wallet lives in the encrypted-file store, so no keyring is involved), driven by
``tests/app_driver.py``. Core files are allowed by the test (RLIMIT_CORE unlimited in the
child), so only the app's own settings can keep one from being written into the working
directory.
"""

from __future__ import annotations

import os
import re
import resource
import signal
import stat
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from wallet_perps.diagnostics import CORE_DUMPS_SENTENCE
from wallet_perps.wallet.keystore import Keystore
from wallet_perps.wallet.mnemonic import RecoveryPhrase
from wallet_perps.wallet.secret_storage import TEST_ONLY_FAST_SCRYPT

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="core dump checks are Linux's")

ROOT = Path(__file__).resolve().parents[1]
DRIVER = ROOT / "tests" / "app_driver.py"
PASSWORD = "crash-test-password"
NO_KEYRING = "keyring.backends.fail.Keyring"


@dataclass
class Wallet:
    address: str
    key_hex: str  # without 0x, lower case
    words: list[str]
    #: The agent keys the app held (hex, lower case), handed over by the driver.
    agent_keys_hex: list[str] = field(default_factory=list)


@pytest.fixture
def wallet(_isolated_app_home: Path, file_keystore_only: None) -> Iterator[Wallet]:
    """A phrase wallet stored (encrypted) in the home's file store, as after onboarding."""
    phrase = RecoveryPhrase.generate(12)
    words = list(phrase.words())
    key_hex = phrase.derive_private_key().hex()
    keystore = Keystore(scrypt=TEST_ONLY_FAST_SCRYPT, allow_file_fallback=True)
    info = keystore.import_phrase(" ".join(words), PASSWORD)
    yield Wallet(info.address, key_hex, words)


def _allow_core_files() -> None:
    resource.setrlimit(resource.RLIMIT_CORE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))


def run_driver(
    mode: str, wallet: Wallet, cwd: Path, timeout_s: float = 180
) -> subprocess.CompletedProcess[str]:
    """Runs the driver; the agent keys it hands over (``errors`` mode) join ``wallet``."""
    read_end, write_end = os.pipe()
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "PYTHON_KEYRING_BACKEND": NO_KEYRING,
        "WALLET_PERPS_TEST_SECRETS_FD": str(write_end),
    }
    try:
        proc = subprocess.run(
            [sys.executable, str(DRIVER), mode, wallet.address, PASSWORD],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout_s,
            preexec_fn=_allow_core_files,
            pass_fds=(write_end,),
        )
    finally:
        os.close(write_end)
    with os.fdopen(read_end, encoding="ascii") as pipe:
        wallet.agent_keys_hex.extend(line.lower() for line in pipe.read().split())
    return proc


def leaks(text: str, wallet: Wallet) -> list[str]:
    """Every way ``text`` shows the key or (part of) the phrase."""
    found = []
    if wallet.key_hex.lower() in text.lower():
        found.append("the private key in hex")
    found += [f"agent key {i}" for i, k in enumerate(wallet.agent_keys_hex) if k in text.lower()]
    tokens = [t.lower() for t in re.findall(r"[A-Za-z]+", text)]
    words = [w.lower() for w in wallet.words]
    for i in range(len(words) - 3):
        run = words[i : i + 4]
        if any(tokens[j : j + 4] == run for j in range(len(tokens) - 3)):
            found.append(f"phrase words {i + 1}-{i + 4}")
    return found


def files_under(directory: Path) -> dict[Path, str]:
    return {
        p: p.read_text(encoding="utf-8", errors="replace")
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


def core_files(directory: Path) -> list[str]:
    return [p.name for p in directory.iterdir() if p.name.startswith("core")]


def test_exceptions_while_unlocked_leave_redacted_reports(
    wallet: Wallet, _isolated_app_home: Path, tmp_path: Path
) -> None:
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    proc = run_driver("errors", wallet, cwd)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-4000:]
    assert "driver: raised" in proc.stdout
    assert "DUMPABLE=0 CORE=0,0" in proc.stdout
    assert len(wallet.agent_keys_hex) == 1 and len(wallet.agent_keys_hex[0]) == 64

    log_dir = _isolated_app_home / "log"
    reports = sorted(log_dir.glob("crash-*.txt"))
    # A Qt slot, an asyncio callback, an unawaited asyncio task and a thread: four reports.
    texts = [r.read_text(encoding="utf-8") for r in reports]
    assert len(reports) == 4, texts
    wheres = ["a Qt slot", "an asyncio callback", "an asyncio task", "a thread"]
    for where in wheres:
        assert any(f"injected failure in {where}" in t for t in texts), where
    for report, text in zip(reports, texts, strict=True):
        assert stat.S_IMODE(report.stat().st_mode) == 0o600
        assert CORE_DUMPS_SENTENCE in text
        assert "RuntimeError: injected failure" in text
        assert "<redacted 32-byte hex>" in text and "<redacted 12 words>" in text
        assert "App version:" in text and "Python:" in text and "Qt: PySide6" in text
        # The user is told where it is.
        assert str(report) in proc.stderr
    assert stat.S_IMODE(log_dir.stat().st_mode) == 0o700
    log_text = (log_dir / "wallet-perps.log").read_text(encoding="utf-8")
    assert "injected failure in a Qt slot" in log_text and "debug dump" in log_text

    # Nothing the app wrote anywhere in its home, nor what it printed, shows a secret.
    for path, text in files_under(_isolated_app_home).items():
        assert leaks(text, wallet) == [], path
    assert leaks(output, wallet) == []
    assert core_files(cwd) == []


def test_a_hard_crash_while_unlocked_leaves_no_core_and_a_report_at_next_start(
    wallet: Wallet, _isolated_app_home: Path, tmp_path: Path
) -> None:
    # The control: with the same limits, a plain Python process that crashes writes a core
    # file here (when the system writes core files into the working directory at all).
    control = tmp_path / "control"
    control.mkdir()
    subprocess.run(
        [sys.executable, "-c", "import faulthandler; faulthandler._sigsegv()"],
        cwd=control,
        capture_output=True,
        preexec_fn=_allow_core_files,
        timeout=60,
    )
    control_cores = core_files(control)

    cwd = tmp_path / "cwd"
    cwd.mkdir()
    proc = run_driver("segv", wallet, cwd)
    assert proc.returncode == -signal.SIGSEGV, (proc.stdout + proc.stderr)[-4000:]
    assert "DUMPABLE=0 CORE=0,0" in proc.stdout
    assert core_files(cwd) == [], f"a core file was written (control: {control_cores})"
    log_dir = _isolated_app_home / "log"
    faults = list(log_dir.glob("fault-*.txt"))
    assert len(faults) == 1 and "Segmentation fault" in faults[0].read_text()
    assert stat.S_IMODE(faults[0].stat().st_mode) == 0o600

    # The next start turns it into a crash report and says where it is.
    env = {**os.environ, "PYTHON_KEYRING_BACKEND": NO_KEYRING}
    code = "from wallet_perps import diagnostics; diagnostics.install('test')"
    start = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert start.returncode == 0, start.stderr
    reports = list(log_dir.glob("crash-*.txt"))
    assert len(reports) == 1
    report = reports[0].read_text(encoding="utf-8")
    assert "Segmentation fault" in report and CORE_DUMPS_SENTENCE in report
    assert "app_driver.py" in report  # the stack of the crash
    assert "unlocked wallet" in report  # the crashed run's last log lines
    assert str(reports[0]) in start.stderr and "stopped unexpectedly" in start.stderr
    assert not list(log_dir.glob("fault-*.txt"))
    for path, text in files_under(_isolated_app_home).items():
        assert leaks(text, wallet) == [], path
    assert leaks(proc.stdout + proc.stderr + start.stderr, wallet) == []

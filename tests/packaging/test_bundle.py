"""The desktop bundle runs the venue as a child of its own executable.

Always: the venue's command line (from source and frozen) and the bundle's entry script, which
must hand ``--venue-child`` to the venue without importing Qt. With WALLET_PERPS_TEST_BUNDLE=1:
``bash packaging/dev.sh bundle`` builds the real PyInstaller bundle (about a minute of a
2-core machine's time, too slow for every run), and the bundled executable must pass
``--self-test`` and serve as the venue.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from wallet_perps.services.venue_launcher import VENUE_CHILD_FLAG, venue_command

ROOT = Path(__file__).resolve().parents[2]
ENTRY = ROOT / "packaging" / "bundle_entry.py"
VENUE_ARGS = ["--port", "0", "--no-flow", "--log-level", "INFO"]


def test_from_source_the_venue_runs_as_a_module(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(sys, "frozen", raising=False)
    assert venue_command(["--port", "0"]) == [
        sys.executable,
        "-m",
        "wallet_perps.localvenue.cli",
        "--port",
        "0",
    ]


def test_frozen_the_venue_is_the_apps_own_executable(monkeypatch: pytest.MonkeyPatch) -> None:
    """A bundle has no Python to run ``-m``: its one executable is the app and the venue."""
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    assert venue_command(["--port", "0"]) == [sys.executable, "--venue-child", "--port", "0"]
    assert venue_command(["--seed", "1"], frozen=False)[1:3] == [
        "-m",
        "wallet_perps.localvenue.cli",
    ]


def _serve_and_stop(command: list[str]) -> str:
    """Start a venue with ``command``, wait for its URL, SIGTERM it; it must stop with 0.

    Returns what the process wrote to stderr (its log)."""
    proc = subprocess.Popen(
        command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().decode().strip()
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err.decode(errors="replace")[-2000:]
    assert url.startswith("http://127.0.0.1:"), err.decode(errors="replace")[-2000:]
    return err.decode(errors="replace")


def test_the_entry_script_runs_the_venue_without_qt() -> None:
    """``--venue-child`` is dispatched before Qt is imported: a venue process stays small."""
    imported = _serve_and_stop(
        [sys.executable, "-X", "importtime", str(ENTRY), VENUE_CHILD_FLAG, *VENUE_ARGS]
    )
    assert "wallet_perps.localvenue.server" in imported
    assert "PySide6" not in imported
    assert "wallet_perps.ui" not in imported


BUNDLE = ROOT / "dist" / "wallet-perps"
EXE = BUNDLE / "wallet-perps"


@pytest.mark.skipif(
    os.environ.get("WALLET_PERPS_TEST_BUNDLE") != "1",
    reason="builds the PyInstaller bundle (slow); set WALLET_PERPS_TEST_BUNDLE=1",
)
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the Linux bundle")
@pytest.mark.timeout(1800)
def test_the_bundle_builds_runs_its_venue_and_passes_its_self_test() -> None:
    env = {**os.environ, "WALLET_PERPS_VENV": sys.prefix}
    subprocess.run(["bash", str(ROOT / "packaging" / "dev.sh"), "bundle"], env=env, check=True)

    internal = BUNDLE / "_internal"
    assert (internal / "wallet_perps" / "resources" / "theme.qss").is_file()
    assert (internal / "eth_account" / "hdaccount" / "wordlist" / "english.txt").is_file()
    assert not list(internal.rglob("libQt6WebEngine*")), "QtWebEngine must not be bundled"
    assert not list(internal.rglob("libQt6Quick*")), "QtQuick must not be bundled"
    (tarball,) = (ROOT / "dist").glob("wallet-perps-*-linux-*.tar.gz")
    with tarfile.open(tarball) as archive:
        assert "wallet-perps/wallet-perps" in archive.getnames()

    # The bundled executable is the venue, too (the app's EmbeddedVenue starts it this way).
    _serve_and_stop([str(EXE), VENUE_CHILD_FLAG, *VENUE_ARGS])

    result = subprocess.run(
        [str(EXE), "--self-test"],
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "FAIL" not in result.stdout

"""The installed commands exist and answer."""

from __future__ import annotations

import subprocess
import sys


def test_app_help_runs_without_a_display() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "wallet_perps", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "--network" in out.stdout

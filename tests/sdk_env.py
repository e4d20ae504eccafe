"""The official hyperliquid-python-sdk, installed into its own virtualenv as a test oracle.

It pins an older eth-account than ours, so it never shares our environment, and the app never
imports it. The benchmark uses the same virtualenv.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SDK_VERSION = "0.24.0"
SDK_VENV = REPO / ".bench" / "sdk-venv"


def sdk_python() -> Path:
    python = SDK_VENV / "bin" / "python"
    probe = [str(python), "-c", "import hyperliquid.exchange, hyperliquid.info"]
    if python.exists() and subprocess.run(probe, capture_output=True).returncode == 0:
        return python
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(SDK_VENV)], check=True)
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", f"hyperliquid-python-sdk=={SDK_VERSION}"],
        check=True,
    )
    return python

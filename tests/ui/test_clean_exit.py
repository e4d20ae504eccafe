"""Closing the window is a normal exit: no traceback, no ERROR, exit code 0.

It used to print ``ERROR ... watch BTC failed ... this websocket client was closed`` when the
window was closed on the Positions page with a position open: the page's pending redraw fired
while the app shut down and asked the already closed adapter to watch the position's coin
again, on a WebSocket that was being closed. The real app runs in a subprocess (offscreen,
its own local venue, a wallet in the encrypted-file store) driven by ``tests/app_driver.py``;
the close is repeated because the race depends on timing.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from wallet_perps.wallet.keystore import Keystore
from wallet_perps.wallet.secret_storage import TEST_ONLY_FAST_SCRYPT

ROOT = Path(__file__).resolve().parents[2]
DRIVER = ROOT / "tests" / "app_driver.py"
PASSWORD = "clean-exit-password"
NO_KEYRING = "keyring.backends.fail.Keyring"
RUNS = 3


def test_closing_the_window_with_a_position_open_exits_cleanly(
    _isolated_app_home: Path, file_keystore_only: None, tmp_path: Path
) -> None:
    keystore = Keystore(scrypt=TEST_ONLY_FAST_SCRYPT, allow_file_fallback=True)
    info, _phrase = keystore.create_demo_wallet(PASSWORD)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    log_file = _isolated_app_home / "log" / "wallet-perps.log"
    for run in range(RUNS):
        proc = subprocess.run(
            [sys.executable, str(DRIVER), "close", info.address, PASSWORD],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
        )
        output = proc.stdout + proc.stderr
        assert proc.returncode == 0, output[-4000:]
        assert "driver: order filled" in proc.stdout, output[-4000:]
        assert "Traceback" not in output, f"run {run}:\n{output[-4000:]}"
        assert " ERROR " not in output and " CRITICAL " not in output, output[-4000:]
        log_text = log_file.read_text(encoding="utf-8")
        assert " ERROR " not in log_text and "Traceback" not in log_text, log_text[-4000:]
        assert "websocket" in log_text and "closed" in log_text  # it did run and close
    assert not list(log_file.parent.glob("crash-*.txt"))
    assert not list(log_file.parent.glob("fault-*.txt"))

"""Start real local-venue processes for tests: the same command the app runs, on a free port.

There is no mock venue: tests talk to ``wallet-perps-venue`` over loopback sockets.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


class VenueProcess:
    def __init__(self, *args: str, data: Path | None = None, timeout_s: float = 60.0) -> None:
        cmd = [sys.executable, "-m", "wallet_perps.localvenue.cli", "--port", "0", *args]
        if data is not None:
            cmd += ["--data", str(data)]
        self.proc = subprocess.Popen(
            cmd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=REPO,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        assert self.proc.stdout is not None
        deadline = time.monotonic() + timeout_s
        line = ""
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if line.startswith("http://") or self.proc.poll() is not None:
                break
        if not line.startswith("http://"):
            self.kill()
            err = self.proc.stderr.read() if self.proc.stderr else ""
            raise RuntimeError(f"venue did not start: {line!r} {err}")
        self.url = line.strip()

    @property
    def ws_url(self) -> str:
        return "ws" + self.url[len("http") :] + "/ws"

    def stop(self, timeout_s: float = 20.0) -> int:
        """SIGTERM and wait: a clean stop takes a final snapshot."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self.kill()
        return self.proc.returncode

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def stderr_text(self) -> str:
        return self.proc.stderr.read() if self.proc.stderr else ""

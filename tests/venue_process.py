"""Start real local-venue processes for tests: the same command the app runs, on a free port.

There is no mock venue: tests talk to ``wallet-perps-venue`` over loopback sockets.

A paper venue's /sim admin routes need the per-run token it prints after its URL; tests send
it with :func:`admin_headers` (by URL, for helpers that only know the URL).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

#: The venue's admin header (wallet_perps/localvenue/guard.py).
ADMIN_HEADER = "X-Wallet-Perps-Admin"

#: URL -> admin token of every venue started by this test process.
_TOKENS: dict[str, str] = {}


def admin_headers(url: str) -> dict[str, str]:
    """Headers for a /sim/* request to the venue at ``url`` (started by :class:`VenueProcess`)."""
    return {ADMIN_HEADER: _TOKENS[url.rstrip("/")]}


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
        self.admin_token: str | None = None
        self.admin_token_path: Path | None = None
        if "mainnet" not in args:  # a paper venue prints its admin token next
            for _ in range(2):
                key, _, value = self.proc.stdout.readline().strip().partition(" ")
                if key == "admin-token":
                    self.admin_token = value
                elif key == "admin-token-file":
                    self.admin_token_path = Path(value)
            assert self.admin_token and self.admin_token_path, "no admin token printed"
            _TOKENS[self.url] = self.admin_token

    @property
    def admin_headers(self) -> dict[str, str]:
        """The header the /sim admin routes require."""
        assert self.admin_token is not None, "a mainnet venue has no admin routes"
        return {ADMIN_HEADER: self.admin_token}

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
        self._remove_token_dir()
        return self.proc.returncode

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self._remove_token_dir()

    def _remove_token_dir(self) -> None:
        """A killed venue cannot remove the private temp dir holding its token (no --data)."""
        path = self.admin_token_path
        if path is not None and path.parent.name.startswith("wallet-perps-venue-"):
            shutil.rmtree(path.parent, ignore_errors=True)

    def stderr_text(self) -> str:
        return self.proc.stderr.read() if self.proc.stderr else ""

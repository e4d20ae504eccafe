"""The built-in local venue as a child process of the app.

The app starts the venue (:func:`venue_command`) on a free loopback port with its data under the
app's data directory (so paper positions survive a restart), waits for the ready line, watches it
while the app runs (a death is reported so the UI can offer a restart), and stops it on exit.
Everything is asyncio, so starting and waiting never block the UI's event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from wallet_perps.config import app_dirs
from wallet_perps.core.private_files import private_dir

log = logging.getLogger(__name__)

#: The file the venue writes its admin token to, inside its data directory (localvenue/files.py
#: says the same; services do not import the venue's modules).
ADMIN_TOKEN_NAME = "admin-token"


def default_data_dir() -> Path:
    """Where the app's built-in venue keeps its paper state (it survives app restarts)."""
    return Path(app_dirs().user_data_dir) / "localvenue"


VENUE_CHILD_FLAG = "--venue-child"
"""In a frozen bundle, the first argument that makes the app's own executable run the venue."""


def venue_command(venue_args: Sequence[str], *, frozen: bool | None = None) -> list[str]:
    """The command line that runs the local venue with ``venue_args``.

    From source, that is this interpreter running the venue module. A PyInstaller bundle has
    no interpreter able to run ``-m``: ``sys.executable`` is the app itself, so the venue runs
    as a second process of that same executable, whose entry script (packaging/bundle_entry.py)
    sends ``--venue-child`` to the venue's ``main`` before anything imports Qt. ``frozen``
    overrides the detection (for tests).
    """
    if frozen is None:
        frozen = bool(getattr(sys, "frozen", False))
    if frozen:
        return [sys.executable, VENUE_CHILD_FLAG, *venue_args]
    return [sys.executable, "-m", "wallet_perps.localvenue.cli", *venue_args]


class EmbeddedVenueError(RuntimeError):
    """The local venue could not be started; the message says why in plain words."""


class EmbeddedVenue:
    """The local venue child process: :meth:`launch` it, ``await`` :meth:`ready`, :meth:`stop`.

    Launching is a plain non-blocking ``Popen`` so the app can start the venue first thing,
    before its own (slow) Qt and network imports, and the two start up on separate cores.
    The venue's log goes to ``venue.log`` in its data directory (a pipe nobody reads would
    fill up and stall the venue); a failed start quotes its last line.
    """

    def __init__(
        self,
        data_dir: Path,
        *,
        seed: int = 0,
        clock_speed: float = 1.0,
        on_exit: Callable[[int], None] | None = None,
        extra_args: tuple[str, ...] = (),
    ) -> None:
        self.data_dir = data_dir
        self.seed = seed
        self.clock_speed = clock_speed
        self.on_exit = on_exit
        self.extra_args = extra_args
        self.url: str | None = None
        self.port = 0  # the port of the last start; a restart asks for it again
        self._proc: subprocess.Popen[bytes] | None = None
        self._watch: asyncio.Task[None] | None = None
        self._stopping = False

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def log_path(self) -> Path:
        return self.data_dir / "venue.log"

    @property
    def admin_token_path(self) -> Path:
        """Where the venue writes its per-run admin token (0600) when it starts."""
        return self.data_dir / ADMIN_TOKEN_NAME

    def admin_token(self) -> str | None:
        """The running venue's token for its /sim admin routes (the faucet), or None.

        Read afresh each time: a restarted venue has a new token in the same file.
        """
        try:
            text = self.admin_token_path.read_text(encoding="ascii").strip()
        except (OSError, UnicodeDecodeError):
            return None
        return text or None

    def launch(self, port: int | None = None) -> None:
        """Start the process now (returns at once); :meth:`ready` waits for its URL."""
        private_dir(self.data_dir)  # and the app's data folder above it, if new
        self._stopping = False
        self.url = None
        # The venue tightens its directory itself; its log is private from the first byte.
        fd = os.open(self.log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        os.fchmod(fd, 0o600)
        with open(fd, "ab") as log_file:
            self._proc = subprocess.Popen(
                venue_command(
                    [
                        "--port",
                        str(self.port if port is None else port),
                        "--data",
                        str(self.data_dir),
                        "--seed",
                        str(self.seed),
                        "--clock-speed",
                        str(self.clock_speed),
                        "--exit-with-parent",
                        *self.extra_args,
                    ]
                ),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=log_file,
            )

    async def ready(self, timeout_s: float = 30.0) -> str:
        """Wait for the launched venue's ready line; its URL, or EmbeddedVenueError."""
        proc = self._proc
        if proc is None:
            raise EmbeddedVenueError("The local venue was not launched.")
        if self.url is not None:
            return self.url
        assert proc.stdout is not None
        try:
            line = await asyncio.wait_for(asyncio.to_thread(proc.stdout.readline), timeout_s)
        except TimeoutError:
            await self.stop()
            raise EmbeddedVenueError("The local venue did not start in time.") from None
        text = line.decode(errors="replace").strip()
        if not text.startswith("http://"):
            await self.stop()
            detail = self._last_log_line()
            raise EmbeddedVenueError(
                "The local venue could not start" + (f": {detail}" if detail else ".")
            )
        self.url = text
        self.port = int(text.rsplit(":", 1)[1].split("/", 1)[0])
        self._watch = asyncio.create_task(self._watch_exit(proc))
        return text

    async def start(self, timeout_s: float = 30.0) -> str:
        """Launch (unless already launched) and wait until ready; return the URL.

        After a first start, the same port is asked for again: a restarted venue then has the
        same URL, so the app's HTTP and WebSocket clients simply reconnect to it and resync,
        with no page rebuilt. If that port has been taken meanwhile, any free port is used.
        """
        if self.running and self.url is None:
            return await self.ready(timeout_s)  # launched early by the app
        if self.port:
            try:
                self.launch()
                return await self.ready(timeout_s)
            except EmbeddedVenueError:
                log.warning("port %s is taken; starting the local venue on another", self.port)
        self.launch(0)
        return await self.ready(timeout_s)

    def _last_log_line(self) -> str:
        try:
            lines = self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            return ""
        return next((line for line in reversed(lines) if line.strip()), "")

    async def _watch_exit(self, proc: subprocess.Popen[bytes]) -> None:
        code = await asyncio.to_thread(proc.wait)
        if not self._stopping and proc is self._proc:
            log.error("the local venue exited unexpectedly with code %s", code)
            if self.on_exit is not None:
                self.on_exit(code)

    async def stop(self, timeout_s: float = 15.0) -> None:
        """SIGTERM (the venue then snapshots its state) and wait; SIGKILL if it hangs."""
        self._stopping = True
        proc = self._proc
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(asyncio.to_thread(proc.wait), timeout_s)
            except TimeoutError:
                proc.kill()
                await asyncio.to_thread(proc.wait)
        if proc is not None and proc.stdout is not None:
            proc.stdout.close()
        if self._watch is not None:
            self._watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watch
            self._watch = None

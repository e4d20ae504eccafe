"""The built-in local venue as a child process of the app.

The app starts ``wallet-perps-venue`` on a free loopback port with its data under the app's data
directory (so paper positions survive a restart), waits for the ready line, watches it while the
app runs (a death is reported so the UI can offer a restart), and stops it on exit. Everything is
asyncio, so starting and waiting never block the UI's event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)


class EmbeddedVenueError(RuntimeError):
    """The local venue could not be started; the message says why in plain words."""


class EmbeddedVenue:
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
        self._proc: asyncio.subprocess.Process | None = None
        self._watch: asyncio.Task[None] | None = None
        self._stopping = False

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.returncode is None

    async def start(self, timeout_s: float = 30.0) -> str:
        """Start the venue and return its URL.

        After a first start, the same port is asked for again: a restarted venue then has the
        same URL, so the app's HTTP and WebSocket clients simply reconnect to it and resync,
        with no page rebuilt. If that port has been taken meanwhile, any free port is used.
        """
        if self.port:
            try:
                return await self._start(self.port, timeout_s)
            except EmbeddedVenueError:
                log.warning("port %s is taken; starting the local venue on another", self.port)
        return await self._start(0, timeout_s)

    async def _start(self, port: int, timeout_s: float) -> str:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._stopping = False
        self._proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "wallet_perps.localvenue.cli",
            "--port",
            str(port),
            "--data",
            str(self.data_dir),
            "--seed",
            str(self.seed),
            "--clock-speed",
            str(self.clock_speed),
            *self.extra_args,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        assert self._proc.stdout is not None
        try:
            line = await asyncio.wait_for(self._proc.stdout.readline(), timeout_s)
        except TimeoutError:
            await self.stop()
            raise EmbeddedVenueError("The local venue did not start in time.") from None
        text = line.decode(errors="replace").strip()
        if not text.startswith("http://"):
            err = b""
            if self._proc.stderr is not None:
                with contextlib.suppress(TimeoutError):
                    err = await asyncio.wait_for(self._proc.stderr.read(), 5)
            await self.stop()
            detail = err.decode(errors="replace").strip().splitlines()
            raise EmbeddedVenueError(
                "The local venue could not start" + (f": {detail[-1]}" if detail else ".")
            )
        self.url = text
        self.port = int(text.rsplit(":", 1)[1].split("/", 1)[0])
        self._watch = asyncio.create_task(self._watch_exit())
        return text

    async def _watch_exit(self) -> None:
        assert self._proc is not None
        code = await self._proc.wait()
        if not self._stopping:
            log.error("the local venue exited unexpectedly with code %s", code)
            if self.on_exit is not None:
                self.on_exit(code)

    async def stop(self, timeout_s: float = 15.0) -> None:
        """SIGTERM (the venue then snapshots its state) and wait; SIGKILL if it hangs."""
        self._stopping = True
        proc = self._proc
        if proc is not None and proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(proc.wait(), timeout_s)
            except TimeoutError:
                proc.kill()
                await proc.wait()
        if self._watch is not None:
            self._watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watch
            self._watch = None

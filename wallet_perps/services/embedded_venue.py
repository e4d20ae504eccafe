"""The built-in local venue as a child process of the app.

The app starts the venue on a free loopback port with its data under the app's data directory
(so paper positions survive a restart), waits for the ready line, watches it while the app runs
(a death is reported so the UI can offer a restart), and stops it on exit. Starting, reading
and stopping the process is :mod:`wallet_perps.services.venue_launcher`'s (the tests and the
benchmarks use the same launcher); this class adds what only the app needs: the data
directory and its log, the same port on a restart, and the exit watch. Waiting is asyncio, so
it never blocks the UI's event loop, while :meth:`EmbeddedVenue.launch` needs no loop at all:
the app launches the venue before it has even imported asyncio (about 40 ms), which is why
the methods that wait import it themselves.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from wallet_perps.config import app_dirs
from wallet_perps.core.private_files import private_dir
from wallet_perps.services.venue_launcher import ADMIN_TOKEN_NAME, VenueChild, VenueStartError

if TYPE_CHECKING:
    import asyncio

__all__ = ["EmbeddedVenue", "EmbeddedVenueError", "default_data_dir"]

log = logging.getLogger(__name__)


def default_data_dir() -> Path:
    """Where the app's built-in venue keeps its paper state (it survives app restarts)."""
    return Path(app_dirs().user_data_dir) / "localvenue"


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
        self._child: VenueChild | None = None
        self._watch: asyncio.Task[None] | None = None
        self._stopping = False

    @property
    def running(self) -> bool:
        return self._child is not None and self._child.running

    @property
    def pid(self) -> int | None:
        """The venue process's id (the last one launched), for tests and diagnostics."""
        return self._child.pid if self._child is not None else None

    @property
    def log_path(self) -> Path:
        return self.data_dir / "venue.log"

    @property
    def admin_token_path(self) -> Path:
        """Where the venue writes its per-run admin token (0600) when it starts."""
        return self.data_dir / ADMIN_TOKEN_NAME

    def admin_token(self) -> str | None:
        """The venue's token for its /sim admin routes (the faucet), or None before it is ready.

        The one it printed when it started: a restart launches a new child, with a new token.
        """
        return self._child.admin_token if self._child is not None else None

    def launch(self, port: int | None = None) -> None:
        """Start the process now (returns at once); :meth:`ready` waits for its URL."""
        private_dir(self.data_dir)  # and the app's data folder above it, if new
        self._stopping = False
        self.url = None
        # The venue tightens its directory itself; its log is private from the first byte.
        self._child = VenueChild(
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
            ],
            log_path=self.log_path,
        )

    async def ready(self, timeout_s: float = 30.0) -> str:
        """Wait for the launched venue's ready line; its URL, or EmbeddedVenueError."""
        child = self._child
        if child is None:
            raise EmbeddedVenueError("The local venue was not launched.")
        if self.url is not None:
            return self.url
        try:
            ready = await child.ready(timeout_s)
        except VenueStartError as exc:
            await self.stop()
            if exc.timed_out:
                raise EmbeddedVenueError("The local venue did not start in time.") from None
            raise EmbeddedVenueError(
                "The local venue could not start" + (f": {exc.detail}" if exc.detail else ".")
            ) from None
        self.url = ready.url
        self.port = ready.port
        import asyncio  # see the module's docstring

        self._watch = asyncio.create_task(self._watch_exit(child))
        return ready.url

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

    async def _watch_exit(self, child: VenueChild) -> None:
        import asyncio  # see the module's docstring

        code = await asyncio.to_thread(child.wait)
        if not self._stopping and child is self._child:
            log.error("the local venue exited unexpectedly with code %s", code)
            if self.on_exit is not None:
                self.on_exit(code)

    async def stop(self, timeout_s: float = 15.0) -> None:
        """SIGTERM (the venue then snapshots its state) and wait; SIGKILL if it hangs."""
        self._stopping = True
        if self._child is not None:
            await self._child.stop_async(timeout_s)
        if self._watch is not None:
            from wallet_perps.services.tasks import cancel_and_wait  # see the module's docstring

            await cancel_and_wait([self._watch])
            self._watch = None

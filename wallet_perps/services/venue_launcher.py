"""Start a local venue process, read its ready lines, stop it: one launcher for every caller.

The app (through :class:`~wallet_perps.services.embedded_venue.EmbeddedVenue`), the tests and
the benchmarks all start ``wallet-perps-venue`` the same way, so they all see the same start-up
contract (wallet_perps/localvenue/cli.py): one line with its URL once it serves, then, for a
paper venue, ``admin-token <token>`` and ``admin-token-file <path>``. Services never import the
venue's modules (the layer rule): the venue is only ever run here as a process.

Everything is synchronous at heart (``Popen``, ``select`` on the pipe, ``wait``), so a pytest
fixture or a benchmark needs no event loop, and launching costs the app nothing but the
``fork``; the async API (:meth:`ServerChild.ready`, :meth:`ServerChild.stop_async`) runs the
same waits in a worker thread so the app's event loop never blocks. The reader has its own
deadline, so a timed-out wait leaves no thread blocked on the pipe.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Self

from wallet_perps.core.networks import ws_url_for

__all__ = [
    "ADMIN_TOKEN_NAME",
    "VENUE_CHILD_FLAG",
    "ServerChild",
    "VenueChild",
    "VenueReady",
    "VenueStartError",
    "process_cpu_seconds",
    "venue_command",
]


#: The file the venue writes its admin token to, inside its data directory (localvenue/files.py
#: says the same; services do not import the venue's modules).
ADMIN_TOKEN_NAME = "admin-token"

VENUE_CHILD_FLAG = "--venue-child"
"""In a frozen bundle, the first argument that makes the app's own executable run the venue."""

#: The prefix of the private temporary directory a venue without ``--data`` keeps its token in.
_TEMP_TOKEN_DIR_PREFIX = "wallet-perps-venue-"


def venue_command(
    venue_args: Sequence[str],
    *,
    frozen: bool | None = None,
    interpreter_args: Sequence[str] = (),
) -> list[str]:
    """The command line that runs the local venue with ``venue_args``.

    From source, that is this interpreter running the venue module (``interpreter_args`` go
    before it, e.g. a profiler's ``-m cProfile -o file``). A PyInstaller bundle has no
    interpreter able to run ``-m``: ``sys.executable`` is the app itself, so the venue runs as a
    second process of that same executable, whose entry script (packaging/bundle_entry.py)
    sends ``--venue-child`` to the venue's ``main`` before anything imports Qt. ``frozen``
    overrides the detection (for tests).
    """
    if frozen is None:
        frozen = bool(getattr(sys, "frozen", False))
    if frozen:
        return [sys.executable, VENUE_CHILD_FLAG, *venue_args]
    return [sys.executable, *interpreter_args, "-m", "wallet_perps.localvenue.cli", *venue_args]


class VenueStartError(RuntimeError):
    """The process did not come up: it exited, printed something else, or took too long.

    ``detail`` is the last line it logged (its own words for why), ``timed_out`` tells a slow
    start from a failed one, so the app can say which in plain words.
    """

    def __init__(self, message: str, *, detail: str = "", timed_out: bool = False) -> None:
        super().__init__(message + (f": {detail}" if detail else ""))
        self.detail = detail
        self.timed_out = timed_out


class VenueReady:
    """What a started venue said: where it serves and, for a paper venue, its admin token.

    A plain class, not a dataclass: building one at import costs the app's start about 0.5 ms.
    """

    __slots__ = ("admin_token", "admin_token_path", "url")

    def __init__(
        self, url: str, admin_token: str | None = None, admin_token_path: Path | None = None
    ) -> None:
        self.url = url
        self.admin_token = admin_token
        self.admin_token_path = admin_token_path

    def __repr__(self) -> str:  # no token: it would end up in a log
        return f"VenueReady({self.url!r})"

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1].split("/", 1)[0])

    @property
    def ws_url(self) -> str:
        return ws_url_for(self.url)


class ServerChild:
    """A child process that prints its ``http://`` URL on one line of stdout once it serves.

    Its stderr goes to ``log_path`` (appended, 0600) or to an anonymous temporary file: a pipe
    nobody reads fills up and stalls the child, which a venue shared by a whole test session
    would eventually hit. :meth:`stderr_tail` reads it back for error messages.
    """

    def __init__(
        self, cmd: Sequence[str], *, log_path: Path | None = None, cwd: Path | None = None
    ) -> None:
        self.cmd = list(cmd)
        self.log_path = log_path
        self._log: IO[bytes] = _open_log(log_path)
        self._pending = b""
        self.ready_info: VenueReady | None = None
        try:
            self.proc = subprocess.Popen(
                self.cmd,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=self._log,
                cwd=cwd,
            )
        except BaseException:
            self._log.close()
            raise
        if log_path is not None:  # the child holds its own descriptor; ours is not needed
            self._log.close()

    # ----------------------------------------------------------------------------- state

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def running(self) -> bool:
        return self.proc.poll() is None

    @property
    def url(self) -> str:
        """The URL it printed; only after :meth:`wait_ready` returned."""
        assert self.ready_info is not None, "not ready yet"
        return self.ready_info.url

    @property
    def ws_url(self) -> str:
        assert self.ready_info is not None, "not ready yet"
        return self.ready_info.ws_url

    def cpu_seconds(self) -> float:
        """User + system CPU time of the process so far (Linux; 0 elsewhere), for benchmarks."""
        return process_cpu_seconds(self.proc.pid)

    def stderr_tail(self, limit: int = 4000) -> str:
        """The end of what it logged (for messages about why it failed)."""
        if self.log_path is not None:
            try:
                with self.log_path.open("rb") as log_file:
                    return _tail(log_file, limit)
            except OSError:
                return ""
        return "" if self._log.closed else _tail(self._log, limit)

    # ----------------------------------------------------------------------------- ready

    def wait_ready(self, timeout_s: float = 60.0) -> VenueReady:
        """Block until the URL line (and whatever :meth:`_after_url` reads); kill on failure."""
        if self.ready_info is not None:
            return self.ready_info
        deadline = time.monotonic() + timeout_s
        try:
            line = self._line(deadline)
            while line is not None and not line.startswith("http://"):
                line = self._line(deadline)  # a Python warning or a banner before the URL
            if line is None:
                raise self._failed(deadline)
            self.ready_info = self._after_url(line, deadline)
        except BaseException:
            self.kill()
            raise
        return self.ready_info

    async def ready(self, timeout_s: float = 60.0) -> VenueReady:
        """:meth:`wait_ready` in a worker thread: the caller's event loop keeps running."""
        import asyncio

        return await asyncio.to_thread(self.wait_ready, timeout_s)

    def _after_url(self, url: str, deadline: float) -> VenueReady:
        return VenueReady(url)

    def _line(self, deadline: float) -> str | None:
        """The next stdout line, or None at EOF or the deadline.

        Reads the pipe's descriptor itself, with ``select``: a blocking ``readline`` could not
        be given up on, and a buffered reader may already hold a line ``select`` cannot see.
        """
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        while b"\n" not in self._pending:
            left = deadline - time.monotonic()
            ready = left > 0 and select.select([fd], [], [], left)[0]
            chunk = os.read(fd, 65536) if ready else b""
            if not chunk:
                return None
            self._pending += chunk
        line, self._pending = self._pending.split(b"\n", 1)
        return line.decode(errors="replace").strip()

    def _failed(self, deadline: float) -> VenueStartError:
        if self.proc.poll() is None and time.monotonic() >= deadline:
            return VenueStartError("the process did not start in time", timed_out=True)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(5)  # it closed stdout: let its last words reach the log
        lines = [line for line in self.stderr_tail().splitlines() if line.strip()]
        return VenueStartError("the process did not start", detail=lines[-1] if lines else "")

    # ----------------------------------------------------------------------------- stop

    def wait(self, timeout_s: float | None = None) -> int:
        return self.proc.wait(timeout_s)

    def stop(self, timeout_s: float = 20.0) -> int:
        """SIGTERM and wait (a venue then takes its final snapshot); SIGKILL if it hangs."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self._closed()
        return self.proc.returncode

    async def stop_async(self, timeout_s: float = 20.0) -> int:
        """:meth:`stop` in a worker thread, for the app's event loop."""
        import asyncio

        return await asyncio.to_thread(self.stop, timeout_s)

    def kill(self) -> int:
        """SIGKILL and wait: for tests of crashes and for cleaning up after a failure."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self._closed()
        return self.proc.returncode

    def _closed(self) -> None:
        """After exit: the pipe closed (the temporary log is kept for :meth:`stderr_tail`)."""
        if self.proc.stdout is not None:
            self.proc.stdout.close()

    def close_log(self) -> None:
        """Forget the temporary stderr file (closed anyway when this object is collected)."""
        self._log.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
        self.close_log()


class VenueChild(ServerChild):
    """A ``wallet-perps-venue`` process started with ``venue_args`` (``--port 0`` for a free one).

    Construction launches it and returns at once; :meth:`wait_ready` (or ``await``
    :meth:`ready`) reads its URL and admin token. A paper venue without ``--data`` keeps its
    token in a private temporary directory it removes on a clean stop; after a kill, this
    object removes it.
    """

    def __init__(
        self,
        venue_args: Sequence[str],
        *,
        interpreter_args: Sequence[str] = (),
        log_path: Path | None = None,
        cwd: Path | None = None,
    ) -> None:
        self.venue_args = list(venue_args)
        cmd = venue_command(self.venue_args, interpreter_args=interpreter_args)
        super().__init__(cmd, log_path=log_path, cwd=cwd)

    @property
    def is_mainnet(self) -> bool:
        """A venue that accepts mainnet signatures has no admin routes and prints no token."""
        args = self.venue_args
        pairs = zip(args, [*args[1:], ""], strict=True)
        return "--network=mainnet" in args or ("--network", "mainnet") in pairs

    @property
    def admin_token(self) -> str | None:
        return self.ready_info.admin_token if self.ready_info is not None else None

    @property
    def admin_token_path(self) -> Path | None:
        return self.ready_info.admin_token_path if self.ready_info is not None else None

    @property
    def admin_headers(self) -> dict[str, str]:
        """The header the /sim admin routes require (for tests and benchmarks: imported here,
        the app's first import of this module stays small)."""
        from wallet_perps.core.wire_values import ADMIN_HEADER

        assert self.admin_token is not None, "a mainnet venue has no admin routes"
        return {ADMIN_HEADER: self.admin_token}

    def _after_url(self, url: str, deadline: float) -> VenueReady:
        if self.is_mainnet:
            return VenueReady(url)
        fields: dict[str, str] = {}
        for _ in range(2):  # the venue prints all three lines in one write
            line = self._line(deadline)
            if line is None:
                raise self._failed(deadline)
            key, _, value = line.partition(" ")
            fields[key] = value
        token, path = fields.get("admin-token"), fields.get("admin-token-file")
        if not token or not path:
            raise VenueStartError("the venue printed no admin token", detail=repr(fields))
        return VenueReady(url, token, Path(path))

    def _closed(self) -> None:
        super()._closed()
        path = self.admin_token_path
        if path is not None and path.parent.name.startswith(_TEMP_TOKEN_DIR_PREFIX):
            import shutil  # not on the app's start-up path: the app's venue has --data

            shutil.rmtree(path.parent, ignore_errors=True)


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` so far (Linux; 0 elsewhere), for benchmarks
    (also of their processes this module does not start)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _open_log(log_path: Path | None) -> IO[bytes]:
    """The child's stderr: ``log_path`` private from its first byte, else a temporary file."""
    if log_path is None:
        import tempfile  # not on the app's start-up path: the app's venue logs to a file

        return tempfile.TemporaryFile()  # lives as long as the child
    fd = os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    os.fchmod(fd, 0o600)
    return open(fd, "ab")  # handed to the child, closed right after


def _tail(log_file: IO[bytes], limit: int) -> str:
    """The last ``limit`` bytes of a log, as text (an app's venue.log grows over its life)."""
    size = log_file.seek(0, os.SEEK_END)
    log_file.seek(max(0, size - limit))
    return log_file.read().decode(errors="replace")

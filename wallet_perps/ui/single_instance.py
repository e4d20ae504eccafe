"""One running app per user and data directory: a second launch raises the first window.

Why: two instances on one data directory would start two local venues on the same paper state,
and a launcher clicked twice should bring back the window the user already has, as other
desktop apps do.

How:

- Who is first is decided by an exclusive ``flock`` on ``instance.lock`` in the config
  directory, taken first thing in ``main()`` (before the local venue starts and before Qt is
  imported). The kernel drops the lock when its process ends, however it ends, so a crash never
  leaves a claim behind that a later start would have to judge stale (a PID in a lock file can
  be reused; a flock cannot outlive its process).
- The first instance then listens on a :class:`QLocalServer`; a later launch connects with a
  :class:`QLocalSocket`, sends ``raise``, waits for ``ok`` and exits 0. Only the lock holder
  listens, so a socket file left by a crashed first instance is known to be stale and is
  removed (``QLocalServer.removeServer``) before listening: it can never block a new start.
- The server name holds the uid and a hash of the config directory, so two users, or two homes
  (``WALLET_PERPS_HOME``, as the tests use), never meet. It lives in ``XDG_RUNTIME_DIR`` (a
  directory private to the user) when there is one, else in Qt's temp directory, and the socket
  is created for the user only.

Qt is imported inside the functions, so taking the lock costs no Qt import; the primary pays
for QtNetwork only after its venue has been launched.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from wallet_perps.config import app_dirs
from wallet_perps.core.private_files import private_dir

if TYPE_CHECKING:
    from PySide6.QtNetwork import QLocalServer, QLocalSocket
    from PySide6.QtWidgets import QWidget

__all__ = [
    "InstanceLock",
    "RaiseServer",
    "ask_running_instance",
    "claim",
    "hand_over",
    "raise_window",
    "server_name",
]

log = logging.getLogger(__name__)

RAISE = b"raise\n"
ACK = b"ok\n"
LOCK_FILE = "instance.lock"
#: Room in ``sockaddr_un.sun_path`` (108 bytes on Linux, 104 on macOS) with a margin.
_MAX_SOCKET_PATH = 100


def _uid() -> int:
    getuid = getattr(os, "getuid", None)
    return int(getuid()) if callable(getuid) else 0


def _config_dir(config_dir: Path | None) -> Path:
    return config_dir if config_dir is not None else Path(app_dirs().user_config_dir)


def server_name(config_dir: Path | None = None) -> str:
    """The local server's name for the app whose settings live in ``config_dir``."""
    config_dir = _config_dir(config_dir)
    digest = hashlib.sha256(str(config_dir.resolve()).encode()).hexdigest()[:16]
    key = f"wallet-perps-{_uid()}-{digest}"
    runtime = os.environ.get("XDG_RUNTIME_DIR", "")
    if runtime and os.path.isdir(runtime) and os.access(runtime, os.W_OK):
        path = os.path.join(runtime, f"{key}.sock")
        if len(path.encode()) <= _MAX_SOCKET_PATH:
            return path
    return key  # Qt puts a bare name in its temp directory (a named pipe on Windows)


class InstanceLock:
    """An exclusive lock on a file, held until :meth:`release` or the end of the process."""

    def __init__(self, fd: int | None, path: Path) -> None:
        self._fd: int | None = fd
        self.path = path

    @classmethod
    def try_acquire(cls, path: Path) -> InstanceLock | None:
        """The lock, or None when another live process holds it (never waits).

        The descriptor is close-on-exec, so the venue child never inherits the lock.
        """
        private_dir(path.parent)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o600)
        if hasattr(os, "fchmod"):
            os.fchmod(fd, 0o600)  # a lock file an older version left 0644
        if sys.platform != "win32":
            import fcntl

            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                return None
        # For a person looking at the file: which process holds it (the lock is the flock).
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        return cls(fd, path)

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)  # closing the last descriptor drops the flock


def claim(config_dir: Path | None = None) -> InstanceLock | None:
    """This process's claim to be the running app, or None when another instance has it.

    A config directory that cannot hold the lock file (read-only, full) must not stop the
    app: it then runs unguarded, as it did before, and says so in the log.
    """
    path = _config_dir(config_dir) / LOCK_FILE
    try:
        return InstanceLock.try_acquire(path)
    except OSError as exc:
        log.warning("single instance: cannot use %s (%s); not guarding against a second", path, exc)
        return InstanceLock(None, path)


def raise_window(window: QWidget) -> None:
    """Bring ``window`` to the front: un-minimise (keeping maximised), raise, activate."""
    from PySide6.QtCore import Qt

    if window.isMinimized():
        state = window.windowState() & ~Qt.WindowState.WindowMinimized
        window.setWindowState(state | Qt.WindowState.WindowActive)
    window.show()
    window.raise_()
    window.activateWindow()


class RaiseServer:
    """Listens for later launches; each ``raise`` request calls ``on_raise`` and answers ``ok``.

    Only the holder of the :class:`InstanceLock` may create it: it removes whatever socket is
    in its way as stale.
    """

    def __init__(self, on_raise: Callable[[], None], name: str | None = None) -> None:
        from PySide6.QtNetwork import QLocalServer

        name = name or server_name()
        self.name = name
        self._on_raise = on_raise
        self._buffers: dict[QLocalSocket, bytes] = {}
        self._server: QLocalServer = QLocalServer()
        self._server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self._server.newConnection.connect(self._accept)
        QLocalServer.removeServer(name)
        self.listening = self._server.listen(name)
        if self.listening:
            log.info("single instance: listening for later launches on %s", name)
        else:  # the app still runs; a second launch then says it got no answer
            log.warning(
                "single instance: cannot listen on %s: %s", name, self._server.errorString()
            )

    def _accept(self) -> None:
        while (socket := self._server.nextPendingConnection()) is not None:
            self._buffers[socket] = b""
            socket.readyRead.connect(lambda s=socket: self._read(s))
            socket.disconnected.connect(lambda s=socket: self._drop(s))

    def _read(self, socket: QLocalSocket) -> None:
        data = self._buffers.get(socket, b"") + bytes(socket.readAll().data())
        if RAISE not in data:
            self._buffers[socket] = data[-64:]  # a request is one short line
            return
        self._buffers[socket] = b""
        log.info("single instance: another launch asked for the window; raising it")
        try:
            self._on_raise()
        finally:
            socket.write(ACK)
            socket.flush()
            socket.disconnectFromServer()

    def _drop(self, socket: QLocalSocket) -> None:
        self._buffers.pop(socket, None)
        socket.deleteLater()

    def close(self) -> None:
        self._server.close()


def ask_running_instance(name: str, timeout_s: float = 10.0) -> bool:
    """Ask the instance listening on ``name`` to raise its window; True once it answered.

    The first instance takes its lock before it listens (it imports Qt in between), so a
    launch right after it retries until ``timeout_s``. Blocking is fine here: this process
    has no window and exits right after.
    """
    from PySide6.QtNetwork import QLocalSocket

    deadline = time.monotonic() + timeout_s
    while True:
        socket = QLocalSocket()
        socket.connectToServer(name)
        if socket.waitForConnected(1000):
            socket.write(RAISE)
            socket.flush()
            received = b""
            while time.monotonic() < deadline and ACK not in received:
                if socket.waitForReadyRead(250):
                    received += bytes(socket.readAll().data())
                elif socket.state() == QLocalSocket.LocalSocketState.UnconnectedState:
                    break
            socket.abort()
            if ACK in received:
                return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.1)


def hand_over(config_dir: Path | None = None) -> int:
    """A later launch: have the running app show itself; the process's exit code."""
    if ask_running_instance(server_name(config_dir)):
        print("Wallet Perps is already running: its window was brought to the front.")
        return 0
    print(
        "Wallet Perps is already running for this data directory but did not answer; "
        "close it (or end its process) and start again.",
        file=sys.stderr,
    )
    return 1

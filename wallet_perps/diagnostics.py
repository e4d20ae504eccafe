"""Logs, crash reports and no core dumps: what the app leaves behind when something goes wrong.

Why here, in the app shell: a crash can happen in any layer, and whatever it leaves on disk
must never hold a private key or a recovery phrase. So one place owns every way text leaves the
process on a failure (log records, unhandled exceptions in the main thread, in Qt slots, in
other threads and in asyncio tasks or callbacks, fatal signals) and every one of them goes
through :func:`redact`. Memory images are not written at all (:func:`disable_core_dumps`):
a core file of an unlocked wallet holds its keys in plaintext, and no redaction can fix that.

- Logs go to ``app_dirs().user_log_dir`` (relocated by ``WALLET_PERPS_HOME``): the directory
  0700, files 0600, rotated at 1 MB with five old files kept. The console shows warnings and
  worse, the file keeps INFO and worse.
- An unhandled Python exception writes ``crash-<timestamp>.txt`` (0600) beside the logs: app,
  Python, Qt and OS versions, the traceback without local variables, the last log lines,
  everything redacted; the user is told where it is on stderr and, when a window is up, in a
  small non-modal message box. The app keeps running when the exception came from a slot,
  a thread or a task, as Qt and asyncio would.
- A hard crash (SIGSEGV, SIGABRT, SIGBUS, SIGILL, SIGFPE) can run no Python code: faulthandler
  writes the stacks to ``fault-<pid>.txt``, and the next start turns that file into a crash
  report and says so.

Qt is imported only inside functions and only if the app has already loaded it, so this module
works for ``--help`` and in processes without a display.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import faulthandler
import io
import logging
import logging.handlers
import os
import platform
import sys
import threading
import time
import traceback
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any, Final

from wallet_perps.config import app_dirs
from wallet_perps.core.private_files import private_dir
from wallet_perps.redaction import RedactingFilter, redact

if TYPE_CHECKING:
    import asyncio

__all__ = [
    "CORE_DUMPS_SENTENCE",
    "Diagnostics",
    "RedactingFilter",
    "disable_core_dumps",
    "install",
    "redact",
]

log = logging.getLogger(__name__)

LOG_FILE_NAME: Final = "wallet-perps.log"
LOG_MAX_BYTES: Final = 1_000_000
LOG_BACKUPS: Final = 5
#: How many recent log lines a crash report carries.
REPORT_LOG_LINES: Final = 200
#: A burst of failures (an exception in a slot that fires every frame) must not fill the disk.
MAX_REPORTS_PER_RUN: Final = 10
#: Crash reports kept in the log directory; older ones are deleted at start.
MAX_REPORTS_KEPT: Final = 20
CORE_DUMPS_SENTENCE: Final = "Core dumps are disabled for this app, so no memory image was written."
_CORE_DUMPS_NOT_DISABLED: Final = (
    "Core dumps could not be disabled on this system; if the system keeps memory images of "
    "crashed programs, one may hold this app's unlocked keys."
)
_LOG_FORMAT: Final = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# ---------------------------------------------------------------------------------- core dumps


def disable_core_dumps() -> bool:
    """Make sure no memory image of this process is ever written; True if that holds.

    RLIMIT_CORE (0, 0) stops the kernel's own core files on Linux and macOS (and in the venue
    child, which inherits it). On Linux a ``core_pattern`` piping to a helper
    (systemd-coredump, apport) may ignore the limit, so the process is also made
    non-dumpable (``prctl(PR_SET_DUMPABLE, 0)``), which the kernel checks before any core
    dump. That also stops same-user debuggers from attaching and other non-root processes from
    reading ``/proc/<pid>/mem``, ``environ`` or ``maps``: intended, for a process that holds
    keys. On Windows nothing is done: Windows Error Reporting writes local dumps only when
    ``LocalDumps`` is configured in the registry; ``WerAddExcludedApplication`` or
    ``SetErrorMode(SEM_NOGPFAULTERRORBOX)`` would be the place to start.
    """
    disabled = False
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        disabled = True
    except (ImportError, ValueError, OSError):
        pass
    if sys.platform.startswith("linux"):
        pr_set_dumpable = 4
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            disabled = libc.prctl(pr_set_dumpable, 0, 0, 0, 0) == 0 and disabled
        except (OSError, AttributeError):
            disabled = False
    return disabled


# ---------------------------------------------------------------------------------- files


def _open_private(path: Path, flags: int) -> int:
    fd = os.open(path, flags | getattr(os, "O_CLOEXEC", 0), 0o600)
    if hasattr(os, "fchmod"):
        os.fchmod(fd, 0o600)  # an older file may have been created with wider permissions
    return fd


class _PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A RotatingFileHandler whose files are created 0600 (rotation renames keep the mode)."""

    def _open(self) -> io.TextIOWrapper:
        fd = _open_private(Path(self.baseFilename), os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        return open(fd, "a", encoding=self.encoding, errors=self.errors)


class _RecentLines(logging.Handler):
    """The last log lines, formatted and redacted, for the next crash report."""

    def __init__(self, size: int) -> None:
        super().__init__(logging.INFO)
        self.lines: deque[str] = deque(maxlen=size)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.lines.append(self.format(record))
        except Exception:
            self.handleError(record)


def _tail(path: Path, count: int) -> list[str]:
    """The last ``count`` lines of a log file (at start: those of the run before)."""
    try:
        with open(path, "rb") as f:
            f.seek(max(0, f.seek(0, os.SEEK_END) - 256 * count))
            data = f.read().decode("utf-8", errors="replace")
    except OSError:
        return []
    return data.splitlines()[-count:]


def _pid_alive(pid: int) -> bool:
    if os.name != "posix":
        return False  # on Windows a file another process holds open cannot be deleted anyway
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


# ---------------------------------------------------------------------------------- reports


def _qt_version() -> str:
    pyside = sys.modules.get("PySide6")
    qtcore = sys.modules.get("PySide6.QtCore")
    if pyside is None or qtcore is None:
        return "not loaded"
    return f"PySide6 {getattr(pyside, '__version__', '?')}, Qt {qtcore.qVersion()}"


def _format_exception(
    exc_type: type[BaseException], exc: BaseException | None, tb: TracebackType | None
) -> str:
    # Local variables are never included (traceback's default): a frame of the keystore holds
    # decrypted keys. Exception messages can still carry secrets: redact() runs over all of it.
    return "".join(traceback.format_exception(exc_type, exc, tb))


@dataclass
class Diagnostics:
    """What :func:`install` set up: where logs and reports go, and what it found at start."""

    log_dir: Path
    app_version: str
    core_dumps_disabled: bool
    #: Reports made at this start from the fault file of a run that crashed hard.
    previous_crashes: list[Path] = field(default_factory=list)
    reports: list[Path] = field(default_factory=list)
    _recent: _RecentLines | None = None
    _fault_file: IO[bytes] | None = None
    _fault_path: Path | None = None
    _writing: threading.Lock = field(default_factory=threading.Lock)
    _dialogs: list[Any] = field(default_factory=list)

    @property
    def log_file(self) -> Path:
        return self.log_dir / LOG_FILE_NAME

    # ------------------------------------------------------------------ reports

    def _report_path(self) -> Path:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        for n in range(1000):
            path = self.log_dir / f"crash-{stamp}{f'-{n}' if n else ''}.txt"
            if not path.exists():
                return path
        raise FileExistsError("too many crash reports this second")

    def _header(self, what: str) -> list[str]:
        return [
            "Wallet Perps crash report",
            f"When: {time.strftime('%Y-%m-%d %H:%M:%S %z')}",
            f"What: {what}",
            f"App version: {self.app_version}",
            f"Python: {sys.version.split()[0]} ({platform.python_implementation()})",
            f"Qt: {_qt_version()}",
            f"OS: {platform.platform()}",
            f"Process: {os.getpid()} ({'bundle' if getattr(sys, 'frozen', False) else 'Python'})",
            "",
            CORE_DUMPS_SENTENCE if self.core_dumps_disabled else _CORE_DUMPS_NOT_DISABLED,
            "",
        ]

    def write_report(self, what: str, body: str, *, recent: Iterable[str] | None = None) -> Path:
        """Write a redacted report (0600) and return its path."""
        lines = self._header(what)
        lines += ["Traceback (local variables are not included):", body.rstrip(), ""]
        recent_lines = list(self._recent.lines) if recent is None and self._recent else []
        if recent is not None:
            recent_lines = list(recent)
        lines += [f"Last {len(recent_lines)} log lines:", *recent_lines, ""]
        text = redact("\n".join(lines))
        with self._writing:
            path = self._report_path()
            fd = _open_private(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL)
            with open(fd, "w", encoding="utf-8") as f:
                f.write(text)
            self.reports.append(path)
        return path

    def report_exception(
        self,
        what: str,
        exc_type: type[BaseException],
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> Path | None:
        """Log an unhandled exception, write its report and tell the user; never raises."""
        try:
            body = _format_exception(exc_type, exc, tb)
            path: Path | None = None
            if len(self.reports) < MAX_REPORTS_PER_RUN:
                path = self.write_report(what, body)
            where = f" (report: {path})" if path else ""
            log.critical("%s%s", what, where, exc_info=exc if exc is not None else True)
            if path is not None:
                self._tell("Wallet Perps hit an unexpected error.", path)
            return path
        except Exception:
            # The last resort must not fail loudly with unredacted text: one redacted line.
            with contextlib.suppress(Exception):
                sys.stderr.write(redact(f"Wallet Perps: {what}: {exc_type.__name__}: {exc}\n"))
            return None

    def _tell(self, text: str, path: Path, *, title: str = "Wallet Perps") -> None:
        with contextlib.suppress(Exception):
            sys.stderr.write(f"{text} A report was saved to {path}\n")
            sys.stderr.flush()
        with contextlib.suppress(Exception):
            self._show_box(title, text, path)

    def _show_box(self, title: str, text: str, path: Path) -> None:
        """A non-modal message box with a Copy button, if a Qt app is running in this thread."""
        if "PySide6.QtWidgets" not in sys.modules:
            return
        if threading.current_thread() is not threading.main_thread():
            return
        from PySide6.QtCore import Qt, QTimer
        from PySide6.QtWidgets import QApplication, QMessageBox

        app = QApplication.instance()
        if not isinstance(app, QApplication) or app.closingDown():
            return

        def show() -> None:
            box = QMessageBox(QMessageBox.Icon.Warning, title, text)
            box.setInformativeText(f"A report was saved to {path}")
            box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            box.setWindowModality(Qt.WindowModality.NonModal)
            copy = box.addButton("Copy path", QMessageBox.ButtonRole.ActionRole)
            box.addButton(QMessageBox.StandardButton.Close)

            def clicked(button: object) -> None:
                if button is copy:
                    app.clipboard().setText(str(path))

            box.buttonClicked.connect(clicked)
            box.finished.connect(lambda _result: self._dialogs.remove(box))
            self._dialogs.append(box)
            box.show()

        # Later, not inside whatever slot or paint event failed.
        QTimer.singleShot(0, show)

    def announce_previous_crashes(self) -> None:
        """Once a window is up: say that the last run crashed hard and where its report is."""
        for path in self.previous_crashes:
            with contextlib.suppress(Exception):
                self._show_box(
                    "Wallet Perps stopped unexpectedly",
                    "Wallet Perps stopped unexpectedly last time.",
                    path,
                )

    # ------------------------------------------------------------------ hooks

    def _excepthook(
        self, exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None
    ) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            sys.__excepthook__(exc_type, exc, tb)
            return
        self.report_exception("Unhandled exception", exc_type, exc, tb)

    def _thread_excepthook(self, args: threading.ExceptHookArgs) -> None:
        if issubclass(args.exc_type, SystemExit):
            return
        name = args.thread.name if args.thread is not None else "?"
        what = f"Unhandled exception in thread {name}"
        self.report_exception(what, args.exc_type, args.exc_value, args.exc_traceback)

    def _unraisablehook(self, args: Any) -> None:
        # "Exception ignored in ...": logged (redacted), no report; these are not crashes.
        with contextlib.suppress(Exception):
            exc = args.exc_value
            log.warning(
                "%s: %r",
                args.err_msg or "Exception ignored",
                args.object,
                exc_info=(args.exc_type, exc, args.exc_traceback) if exc is not None else None,
            )

    def loop_exception_handler(
        self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]
    ) -> None:
        """The asyncio loop's handler: an exception nobody awaited is reported like a crash."""
        message = str(context.get("message") or "Unhandled exception in the event loop")
        exc = context.get("exception")
        import asyncio  # not at the top: installing diagnostics must not wait for its import

        if isinstance(exc, BaseException) and not isinstance(exc, asyncio.CancelledError):
            self.report_exception(message, type(exc), exc, exc.__traceback__)
            return
        # No exception (an unclosed transport, a slow callback): a warning in the log.
        details = ", ".join(
            f"{k}={v!r}" for k, v in context.items() if k not in ("message", "exception")
        )
        log.warning("%s%s", message, f" ({details})" if details else "")

    def watch_loop(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        """Route ``loop``'s (default: the running loop's) unhandled exceptions here."""
        import asyncio  # not at the top: installing diagnostics must not wait for its import

        (loop or asyncio.get_running_loop()).set_exception_handler(self.loop_exception_handler)

    # ------------------------------------------------------------------ fault handler

    def _collect_fault_files(self) -> None:
        """Turn fault files of earlier runs into crash reports (a hard crash wrote them)."""
        for path in sorted(self.log_dir.glob("fault-*.txt")):
            try:
                pid = int(path.stem.split("-", 1)[1])
            except ValueError:
                continue
            if pid != os.getpid() and _pid_alive(pid):
                continue  # another instance's, still running
            try:
                data = path.read_text(encoding="utf-8", errors="replace")
                mtime = time.strftime("%Y-%m-%d %H:%M:%S %z", time.localtime(path.stat().st_mtime))
                if data.strip():
                    report = self.write_report(
                        f"Fatal error in a previous run (process {pid}, last written {mtime}); "
                        "the stacks below were written by Python's faulthandler",
                        data,
                        recent=_tail(self.log_file, REPORT_LOG_LINES),
                    )
                    self.previous_crashes.append(report)
                path.unlink()
            except OSError:
                continue

    def _enable_faulthandler(self) -> None:
        path = self.log_dir / f"fault-{os.getpid()}.txt"
        fd = _open_private(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        self._fault_file = open(fd, "wb", buffering=0)  # noqa: SIM115
        self._fault_path = path
        faulthandler.enable(file=self._fault_file, all_threads=True)
        atexit.register(self._close_faulthandler)

    def _close_faulthandler(self) -> None:
        """A normal exit: nothing crashed, so the fault file goes."""
        if self._fault_file is None:
            return
        with contextlib.suppress(Exception):
            faulthandler.disable()
            self._fault_file.close()
            if self._fault_path is not None and self._fault_path.stat().st_size == 0:
                self._fault_path.unlink()
        self._fault_file = None

    def _prune_reports(self) -> None:
        reports = sorted(self.log_dir.glob("crash-*.txt"), key=lambda p: p.stat().st_mtime)
        for old in reports[:-MAX_REPORTS_KEPT]:
            with contextlib.suppress(Exception):
                old.unlink()


_installed: Diagnostics | None = None


def install(app_version: str, *, log_dir: Path | None = None) -> Diagnostics:
    """Set up everything this module does, once per process (later calls return the first).

    Call it first thing in ``main()``: core dumps off, logging to the console (WARNING) and
    the rotating log file (INFO), crash hooks, faulthandler, and the reports of a run that
    crashed hard. Call :meth:`Diagnostics.watch_loop` once the asyncio loop runs.
    """
    global _installed
    if _installed is not None:
        return _installed
    core_off = disable_core_dumps()
    directory = private_dir(log_dir or Path(app_dirs().user_log_dir))  # and new parents
    diag = Diagnostics(directory, app_version, core_off)

    redacting = RedactingFilter()
    formatter = logging.Formatter(_LOG_FORMAT)
    console = logging.StreamHandler()
    console.setLevel(logging.WARNING)
    file_handler = _PrivateRotatingFileHandler(
        diag.log_file, maxBytes=LOG_MAX_BYTES, backupCount=LOG_BACKUPS, encoding="utf-8"
    )
    file_handler.setLevel(logging.INFO)
    recent = _RecentLines(REPORT_LOG_LINES)
    diag._recent = recent
    root = logging.getLogger()
    ours: list[logging.Handler] = [console, file_handler, recent]
    for handler in ours:
        handler.setFormatter(formatter)
        handler.addFilter(redacting)
        root.addHandler(handler)
    for handler in root.handlers:  # any handler set up before us redacts too
        if redacting not in handler.filters:
            handler.addFilter(redacting)
    root.setLevel(logging.INFO)
    logging.captureWarnings(True)

    diag._prune_reports()
    diag._collect_fault_files()
    diag._enable_faulthandler()
    sys.excepthook = diag._excepthook
    threading.excepthook = diag._thread_excepthook
    sys.unraisablehook = diag._unraisablehook
    _installed = diag
    log.info(
        "Wallet Perps %s starting (Python %s, %s); core dumps %s",
        app_version,
        sys.version.split()[0],
        # os.uname(), not platform.platform(): that runs `uname -p` in a child process, a few
        # milliseconds before the venue's launch, on every start.
        "{0.sysname}-{0.release}-{0.machine}".format(os.uname()),
        "disabled" if core_off else "NOT disabled",
    )
    for path in diag.previous_crashes:
        diag._tell("Wallet Perps stopped unexpectedly last time.", path)
    return diag

"""Durable state for the local venue: an append-only input log plus periodic snapshots.

Why this shape
--------------
The venue's state machine is deterministic: its whole state is a function of its constructor
arguments and the sequence of inputs fed to it (each input carries its own venue time). So
instead of persisting every order, fill, balance and ledger row, the server persists the
*inputs*: each accepted ``/exchange`` action (with its authenticated account), tick, faucet
credit, oracle override, agent approval… is appended here as ``(seq, kind, payload)`` and the
transaction is committed *before* the client is answered. An acknowledged action can therefore
never be lost: after a restart the server rebuilds the same venue from the newest snapshot plus
the log entries after it.

Replaying a long log would make restarts slow, so every so often the server pickles the whole
engine and hands the blob to :meth:`VenueStore.save_snapshot` together with the last seq it
covers. Two snapshots are kept: if the newest one's checksum fails, :meth:`VenueStore.load`
falls back to the previous one, which is why the log is only pruned up to the *older* kept
snapshot. If no snapshot is valid, the log is replayed from an empty venue -- possible only
while nothing has been pruned; otherwise :class:`StoreCorruptError` says so rather than
silently rebuilding a venue with missing history.

Durability (kill -9 vs power loss)
----------------------------------
The database runs in WAL mode with ``synchronous=NORMAL``. A commit in WAL mode is a
``write()`` of the transaction's pages to the ``-wal`` file followed by a commit frame; with
NORMAL it is not ``fsync``-ed (the WAL is synced at checkpoints). When the *process* dies --
``kill -9``, a crash, an OOM kill -- the written frames are already in the operating system's
page cache, so they reach the disk and every committed transaction is present on the next open
(``test_kill_9_loses_no_acknowledged_entry`` checks exactly this). Only an OS crash or power
loss can roll back the last few commits (never corrupt the database): acceptable for a
paper-trading venue.
``synchronous=FULL`` adds an ``fsync`` of the WAL to every commit. Measured on the
development VM (ext4 on a virtual disk; ``python -m wallet_perps.localvenue.store_bench``) FULL
manages ~3,600-4,000 single-entry commits/s (p50 ~250 µs, p99 up to ~1 ms per commit) against
~80,000-100,000/s with NORMAL -- below the 5,000 commits/s bar, and each fsync would be
dead time on the event loop -- so NORMAL is the default and FULL an option.

Latency
-------
All calls are synchronous and are made from the server's event loop, so they must stay short.
Measured on the development VM (NORMAL, background checkpointer; 300-byte order payloads):

* ``append`` (one entry, one commit): p50 ~9 µs, p99 ~20-50 µs; ~85,000-115,000 entries/s.
* ``append_many`` of 100: p50 ~120-180 µs, p99 ~220-350 µs; ~400,000-740,000 entries/s.
* the server's shape, 2,000 orders/s arriving as commits of 5: p50 ~26 µs, p99 ~120 µs,
  about 1 commit in 1,600 over 1 ms (max ~1.3 ms); the WAL stayed under 3 MiB.
* ``save_snapshot``: ~3 ms for 1 MiB, 25-60 ms for 8 MiB (copying + sha256; varies with the
  page cache) -- the one call whose cost grows with the venue, paid once per snapshot
  interval. ``load`` of an 8 MiB snapshot: ~10-25 ms.

SQLite's own WAL auto-checkpoint runs inside a commit and copies the WAL back into the database
with ``fsync``: with it, ~1 commit in 250 took 2.5-8 ms. So this store turns it off on its own
connection and checkpoints from a background thread with a second connection instead (SQLite
lets a checkpoint run while the writer commits, and the sqlite3 module releases the GIL while
it works); see :class:`~.store_checkpoint.Checkpointer` for how the WAL stays bounded even
under a flat-out writer (tested: 64 MiB written in a fraction of a second never grows it past
~40 MiB).

A :class:`VenueStore` is not thread-safe: use it from one thread (the event loop's).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sqlite3
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

from wallet_perps.core.clock import wall_ms
from wallet_perps.core.private_files import private_dir, private_file
from wallet_perps.localvenue.store_checkpoint import Checkpointer

__all__ = [
    "SCHEMA_VERSION",
    "DataDirLock",
    "DataDirLockedError",
    "StoreCorruptError",
    "StoreError",
    "StoreVersionError",
    "VenueStore",
]

log = logging.getLogger(__name__)

#: Bump when the tables change; :class:`VenueStore` refuses databases from a newer version.
SCHEMA_VERSION = 1

#: ``PRAGMA application_id`` of a venue store ("WPVS"), so a random SQLite file is not mistaken
#: for one.
_APPLICATION_ID = 0x57505653

#: How many snapshots are kept (the newest, plus one to fall back to if it is corrupt).
_KEEP_SNAPSHOTS = 2

#: SQLite's inline auto-checkpoint threshold, used only with ``background_checkpoint=False``.
_AUTOCHECKPOINT_PAGES = 1000

#: The writer wakes the checkpointer early once it has written about this much since the
#: last wake-up, so a burst is copied back in slices instead of one long RESTART.
_NUDGE_BYTES = 4 * 1024 * 1024

#: After a WAL restart the file is truncated back to this size, so a burst or one big snapshot
#: does not leave a big ``-wal`` file behind forever.
_JOURNAL_SIZE_LIMIT = 16 * 1024 * 1024

_SCHEMA = """
CREATE TABLE IF NOT EXISTS schema_version (
    version INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS settings (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS log (
    seq     INTEGER PRIMARY KEY NOT NULL,
    kind    TEXT NOT NULL,
    payload TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS snapshots (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    upto_seq   INTEGER NOT NULL,
    sha256     TEXT NOT NULL,
    size       INTEGER NOT NULL,
    created_ms INTEGER NOT NULL,
    meta       TEXT,
    blob       BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS store_meta (
    key   TEXT PRIMARY KEY NOT NULL,
    value INTEGER NOT NULL
);
"""


class StoreError(Exception):
    """Base class for venue store errors."""


class StoreVersionError(StoreError):
    """The database was written by a newer (or unknown) schema; refusing to touch it."""


class StoreCorruptError(StoreError):
    """The stored state cannot be rebuilt (no valid snapshot and the log was already pruned,
    or the log has a gap)."""


class DataDirLockedError(StoreError):
    """Another venue process holds the data directory."""


def _private_db_files(path: Path) -> None:
    """The database and its -wal/-shm files are 0600: created so here (SQLite gives -wal and
    -shm the database's mode) and tightened if an older version left them readable."""
    if not path.exists():
        os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
    for suffix in ("", "-wal", "-shm", "-journal"):
        private_file(path.with_name(path.name + suffix))


class VenueStore:
    """The venue's input log and snapshots in one SQLite database (see the module docstring).

    ``synchronous`` is ``"NORMAL"`` (default: survives kill -9, may lose the last commits on
    power loss) or ``"FULL"`` (fsync per commit: survives power loss, ~25x slower commits).
    ``background_checkpoint=False`` lets SQLite checkpoint inline on commit instead (simpler,
    but with occasional multi-millisecond commits).

    Only one process may use a store: take a :class:`DataDirLock` on its directory first.
    """

    def __init__(
        self,
        path: Path,
        *,
        synchronous: Literal["NORMAL", "FULL"] = "NORMAL",
        background_checkpoint: bool = True,
        before_commit: Callable[[], None] | None = None,
    ) -> None:
        """``before_commit`` exists for fault-injection tests: it runs inside every write
        transaction just before COMMIT, and an exception it raises rolls the transaction back
        and propagates exactly as a failed write does (SQLite's "database or disk is full").
        The shipped venue never passes one."""
        if synchronous not in ("NORMAL", "FULL"):
            raise ValueError("synchronous must be 'NORMAL' or 'FULL'")
        self._path = Path(path)
        self._before_commit = before_commit
        self._synchronous = synchronous
        _private_db_files(self._path)
        # Held around every write transaction here and around the checkpointer's RESTART, so
        # the writer waits exactly as long as a RESTART takes instead of SQLite's busy handler
        # sleeping in 1-2-5-10 ms steps.
        self._write_lock = threading.Lock()
        # isolation_level=None: the sqlite3 module never opens transactions behind our back;
        # every write below is an explicit BEGIN IMMEDIATE ... COMMIT.
        self._db: sqlite3.Connection | None = sqlite3.connect(
            self._path, isolation_level=None, check_same_thread=True
        )
        try:
            self._configure(self._db, autocheckpoint=not background_checkpoint)
            self._init_schema(self._db)
            self._next_seq = self._compute_next_seq(self._db)
        except sqlite3.DatabaseError as exc:
            self._db.close()
            self._db = None
            raise StoreCorruptError(f"{self._path} is not a readable venue store: {exc}") from exc
        except BaseException:
            self._db.close()
            self._db = None
            raise
        self._checkpointer: Checkpointer | None = None
        self._unchecked_bytes = 0
        if background_checkpoint:
            self._checkpointer = Checkpointer(self._path, synchronous, self._write_lock)

    # -- opening ---------------------------------------------------------------------------

    def _configure(self, db: sqlite3.Connection, *, autocheckpoint: bool) -> None:
        mode = db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise StoreError(f"{self._path}: could not enable WAL mode (got {mode!r})")
        db.execute(f"PRAGMA synchronous={self._synchronous}")
        db.execute(f"PRAGMA journal_size_limit={_JOURNAL_SIZE_LIMIT}")
        db.execute(f"PRAGMA wal_autocheckpoint={_AUTOCHECKPOINT_PAGES if autocheckpoint else 0}")
        # Belt and braces: the checkpointer's RESTART is serialised with our writes by
        # ``_write_lock`` and DataDirLock keeps other processes out, so nobody else should ever
        # hold SQLite's write lock; if something does, wait rather than fail an order.
        db.execute("PRAGMA busy_timeout=5000")

    def _init_schema(self, db: sqlite3.Connection) -> None:
        """Create a fresh store, or validate an existing one's identity and schema version."""
        db.execute("BEGIN IMMEDIATE")
        try:
            tables = {
                r[0]
                for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'").fetchall()
            }
            app_id = db.execute("PRAGMA application_id").fetchone()[0]
            if not tables - {"sqlite_sequence"}:
                db.execute(f"PRAGMA application_id={_APPLICATION_ID}")
            elif app_id != _APPLICATION_ID or "schema_version" not in tables:
                raise StoreVersionError(
                    f"{self._path} is not a wallet-perps venue store "
                    f"(application_id={app_id:#x}); refusing to use it"
                )
            else:
                row = db.execute("SELECT MAX(version) FROM schema_version").fetchone()
                version = row[0] if row and row[0] is not None else 0
                if version > SCHEMA_VERSION:
                    raise StoreVersionError(
                        f"{self._path} was written by a newer wallet-perps-venue (store schema "
                        f"{version}; this version understands up to {SCHEMA_VERSION}). "
                        "Upgrade wallet-perps, or start the venue with a different --data dir."
                    )
                if version < 1:
                    raise StoreVersionError(
                        f"{self._path} has no valid schema version; refusing to use it"
                    )
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    db.execute(statement)
            if db.execute("SELECT COUNT(*) FROM schema_version").fetchone()[0] == 0:
                db.execute("INSERT INTO schema_version(version) VALUES (?)", (SCHEMA_VERSION,))
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise

    @staticmethod
    def _compute_next_seq(db: sqlite3.Connection) -> int:
        """Seqs never repeat, even after pruning: the newest snapshot's seq bounds them too."""
        last_log = db.execute("SELECT MAX(seq) FROM log").fetchone()[0] or 0
        last_snap = db.execute("SELECT MAX(upto_seq) FROM snapshots").fetchone()[0] or 0
        pruned = _get_meta(db, "pruned_upto")
        return int(max(last_log, last_snap, pruned)) + 1

    # -- properties ------------------------------------------------------------------------

    @property
    def path(self) -> Path:
        return self._path

    @property
    def last_seq(self) -> int:
        """The seq of the newest committed log entry (0 if none was ever appended)."""
        return self._next_seq - 1

    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            raise StoreError(f"{self._path}: the venue store is closed")
        return self._db

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: committed when the block ends, rolled back if it raises."""
        db = self._conn()
        with self._write_lock:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
                if self._before_commit is not None:
                    self._before_commit()
                db.execute("COMMIT")
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise

    # -- the log ---------------------------------------------------------------------------

    def append(self, kind: str, payload: str) -> int:
        """Append one input and commit it; returns its seq. Once this returns, the entry
        survives the process being killed."""
        return self.append_many(((kind, payload),))

    def append_many(self, entries: Sequence[tuple[str, str]]) -> int:
        """Append several inputs in one transaction (all or none); returns the last seq.

        If the write fails (a full disk, an I/O error) the transaction is rolled back, nothing
        was appended, :attr:`last_seq` is unchanged and the next append continues the log
        without a gap; the connection stays usable, so writes succeed again once space returns
        (checked on a real full tmpfs). The server commits each loop turn's inputs here
        before applying any of them. With no entries nothing is written and :attr:`last_seq` is
        returned.
        """
        self._conn()
        if not entries:
            return self._next_seq - 1
        first = self._next_seq
        rows = [(first + i, kind, payload) for i, (kind, payload) in enumerate(entries)]
        for _, kind, payload in rows:
            if not isinstance(kind, str) or not kind or not isinstance(payload, str):
                raise TypeError("a log entry is (kind: non-empty str, payload: str)")
        with self._write() as db:
            db.executemany("INSERT INTO log(seq, kind, payload) VALUES (?, ?, ?)", rows)
        self._next_seq = first + len(rows)
        # Every commit appends at least one page (4 KiB) to the WAL.
        self._wrote(4096 + sum(len(kind) + len(payload) + 16 for _, kind, payload in rows))
        return self._next_seq - 1

    def _wrote(self, nbytes: int) -> None:
        """Wake the checkpointer early after a burst, so one RESTART never has a huge backlog."""
        if self._checkpointer is not None:
            self._unchecked_bytes += nbytes
            if self._unchecked_bytes >= _NUDGE_BYTES:
                self._unchecked_bytes = 0
                self._checkpointer.nudge()

    # -- snapshots -------------------------------------------------------------------------

    def save_snapshot(self, upto_seq: int, blob: bytes, meta: dict[str, Any] | None = None) -> None:
        """Store a snapshot of the state after log entry ``upto_seq``, then prune.

        Keeps the two newest snapshots and the log entries after the *older* of them, so that
        if the newest snapshot turns out corrupt on load the older one plus the log still
        rebuild the exact same state. ``meta`` (JSON-serialisable) is stored for diagnostics.
        """
        db = self._conn()
        if not isinstance(blob, bytes | bytearray | memoryview):
            raise TypeError("a snapshot blob must be bytes")
        blob = bytes(blob)
        if not 0 <= upto_seq <= self._next_seq - 1:
            raise ValueError(
                f"snapshot seq {upto_seq} is outside the committed log (0..{self._next_seq - 1})"
            )
        newest = db.execute("SELECT MAX(upto_seq) FROM snapshots").fetchone()[0]
        if newest is not None and upto_seq < newest:
            raise ValueError(f"snapshot seq {upto_seq} is older than the newest one ({newest})")
        meta_text = None if meta is None else json.dumps(meta, sort_keys=True)
        digest = hashlib.sha256(blob).hexdigest()
        with self._write() as db:
            db.execute(
                "INSERT INTO snapshots(upto_seq, sha256, size, created_ms, meta, blob)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (upto_seq, digest, len(blob), wall_ms(), meta_text, blob),
            )
            kept = db.execute(
                "SELECT id, upto_seq FROM snapshots ORDER BY upto_seq DESC, id DESC LIMIT ?",
                (_KEEP_SNAPSHOTS,),
            ).fetchall()
            db.execute(
                "DELETE FROM snapshots WHERE id NOT IN"
                " (SELECT id FROM snapshots ORDER BY upto_seq DESC, id DESC LIMIT ?)",
                (_KEEP_SNAPSHOTS,),
            )
            if len(kept) == _KEEP_SNAPSHOTS:
                prune_upto = int(kept[-1][1])
                if prune_upto > _get_meta(db, "pruned_upto"):
                    db.execute("DELETE FROM log WHERE seq <= ?", (prune_upto,))
                    _set_meta(db, "pruned_upto", prune_upto)
        self._wrote(4096 + len(blob))

    def load(self) -> tuple[bytes | None, int, list[tuple[int, str, str]]]:
        """Return ``(snapshot blob or None, the seq it covers or 0, log entries after it)``.

        Takes the newest snapshot whose sha256 matches, falling back to the previous one, then
        to an empty venue; the entries returned are exactly the seqs after the chosen snapshot
        up to :attr:`last_seq`, in order -- anything else (a gap, or no valid snapshot after
        the log was pruned) raises :class:`StoreCorruptError` instead of rebuilding a venue
        that silently differs from the one clients were answered by.
        """
        db = self._conn()
        try:
            candidates = db.execute(
                "SELECT id, upto_seq, sha256 FROM snapshots ORDER BY upto_seq DESC, id DESC"
            ).fetchall()
            blob: bytes | None = None
            base = 0
            for snap_id, upto_seq, digest in candidates:
                try:
                    row = db.execute(
                        "SELECT blob FROM snapshots WHERE id = ?", (snap_id,)
                    ).fetchone()
                except sqlite3.DatabaseError as exc:
                    log.warning("snapshot %s (seq %s) unreadable: %s", snap_id, upto_seq, exc)
                    continue
                data = bytes(row[0]) if row is not None and row[0] is not None else b""
                if hashlib.sha256(data).hexdigest() != digest:
                    log.warning(
                        "snapshot %s (seq %s) failed its checksum; falling back", snap_id, upto_seq
                    )
                    continue
                blob, base = data, int(upto_seq)
                break
            if blob is None:
                pruned = _get_meta(db, "pruned_upto")
                if pruned > 0:
                    raise StoreCorruptError(
                        f"{self._path}: no valid snapshot, and the log before seq {pruned + 1} "
                        "was already pruned; the venue state cannot be rebuilt"
                    )
                if candidates:
                    log.warning("no valid snapshot; replaying the whole log from an empty venue")
            entries = [
                (int(seq), str(kind), str(payload))
                for seq, kind, payload in db.execute(
                    "SELECT seq, kind, payload FROM log WHERE seq > ? ORDER BY seq", (base,)
                )
            ]
        except sqlite3.DatabaseError as exc:
            raise StoreCorruptError(f"{self._path}: the venue store is damaged: {exc}") from exc
        expected_last = self._next_seq - 1
        if (entries and (entries[0][0] != base + 1 or entries[-1][0] != expected_last)) or len(
            entries
        ) != expected_last - base:
            raise StoreCorruptError(
                f"{self._path}: the log after seq {base} is not contiguous up to seq "
                f"{expected_last}; the venue state cannot be rebuilt"
            )
        return blob, base, entries

    # -- settings --------------------------------------------------------------------------

    def settings(self) -> dict[str, str]:
        """Everything :meth:`set_setting` stored (e.g. the seed and start time the venue was
        created with, so that a restart rebuilds the same venue before replaying)."""
        rows = self._conn().execute("SELECT key, value FROM settings").fetchall()
        return {str(k): str(v) for k, v in rows}

    def set_setting(self, key: str, value: str) -> None:
        """Store one setting and commit it."""
        if not isinstance(key, str) or not isinstance(value, str):
            raise TypeError("settings are str -> str")
        with self._write() as db:
            db.execute("INSERT OR REPLACE INTO settings(key, value) VALUES (?, ?)", (key, value))

    # -- maintenance -----------------------------------------------------------------------

    def integrity_check(self) -> list[str]:
        """SQLite's full ``PRAGMA integrity_check``: ``[]`` when the file is sound. Slow on big
        stores (reads every page); meant for tests and diagnostics, not for the hot path."""
        rows = self._conn().execute("PRAGMA integrity_check").fetchall()
        problems = [str(r[0]) for r in rows]
        return [] if problems == ["ok"] else problems

    def close(self) -> None:
        """Stop the checkpointer and close the database (SQLite then checkpoints the WAL into
        the main file and removes it). Safe to call twice."""
        if self._checkpointer is not None:
            self._checkpointer.stop()
            self._checkpointer = None
        if self._db is not None:
            self._db.close()
            self._db = None

    def __enter__(self) -> VenueStore:
        return self

    def __exit__(self, *_exc_info: object) -> None:
        self.close()


def _get_meta(db: sqlite3.Connection, key: str) -> int:
    row = db.execute("SELECT value FROM store_meta WHERE key = ?", (key,)).fetchone()
    return int(row[0]) if row is not None else 0


def _set_meta(db: sqlite3.Connection, key: str, value: int) -> None:
    db.execute("INSERT OR REPLACE INTO store_meta(key, value) VALUES (?, ?)", (key, value))


class DataDirLock:
    """An exclusive lock on a venue ``--data`` directory, so two venue processes never write
    the same store (two writers would each believe they own the seq counter).

    Uses ``flock`` on ``DIR/venue.lock`` (``msvcrt.locking`` on Windows); the operating
    system drops the lock when the process dies, so a kill -9 never leaves a stale lock
    behind. The lock file holds the owner's pid for humans.
    """

    LOCK_NAME = "venue.lock"

    def __init__(self, data_dir: Path) -> None:
        self._dir = Path(data_dir)
        self._fd: int | None = None

    @property
    def locked(self) -> bool:
        return self._fd is not None

    def acquire(self) -> None:
        """Take the lock or raise :class:`DataDirLockedError` at once (never waits)."""
        if self._fd is not None:
            return
        private_dir(self._dir)
        fd = os.open(self._dir / self.LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            os.fchmod(fd, 0o600)  # a lock file left 0644 by an older version
            _lock_fd(fd)
        except OSError:
            os.close(fd)
            raise DataDirLockedError(f"another wallet-perps-venue is using {self._dir}") from None
        try:
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
        except OSError:  # the pid is informational only
            pass
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)  # closing the descriptor drops the lock

    def __enter__(self) -> DataDirLock:
        self.acquire()
        return self

    def __exit__(self, *_exc_info: object) -> None:
        self.release()


if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _lock_fd(fd: int) -> None:
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)

else:
    import fcntl

    def _lock_fd(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)

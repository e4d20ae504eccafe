"""The venue store's background WAL checkpointer (see :mod:`.store` for why it exists).

Kept apart from :class:`~.store.VenueStore` because it is the one piece that runs on its own
thread with its own connection; the store only starts it, nudges it and stops it.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from pathlib import Path
from typing import Final

__all__ = ["CHECKPOINT_POLL_S", "RESTART_FRAMES", "Checkpointer"]

log = logging.getLogger("wallet_perps.localvenue.store")

#: How often the background checkpointer copies new WAL frames into the database.
CHECKPOINT_POLL_S: Final = 0.2

#: When the WAL holds this many frames (16 MiB at 4 KiB pages) the checkpointer forces a
#: RESTART checkpoint, which briefly holds off the writer; see :class:`Checkpointer`.
RESTART_FRAMES: Final = 4096


class Checkpointer:
    """Checkpoints the WAL from a daemon thread with its own connection.

    Why: a checkpoint copies WAL pages into the database file and fsyncs it, which takes
    milliseconds; done inline (SQLite's auto-checkpoint) it would stall the event loop on an
    unlucky commit. SQLite allows a PASSIVE checkpoint to run while the writer keeps
    committing, and the sqlite3 module releases the GIL while SQLite works, so here it costs
    the loop nothing. A PASSIVE checkpoint with nothing new to copy does no I/O, so polling is
    cheap.

    PASSIVE checkpoints alone do not bound the WAL: SQLite only rewinds the WAL to its start
    when a write begins after *every* frame was copied back, and under sustained load a
    commit always lands while the checkpoint runs (measured: the WAL grew by ~200 MiB/s with
    a writer going flat out). So once the WAL holds ``RESTART_FRAMES`` frames the thread runs
    a RESTART checkpoint, which holds the write lock while it copies the (few, because PASSIVE
    already copied most) remaining frames and syncs; the writer's next commit waits for that
    on a shared :class:`threading.Lock` (so it resumes the moment the RESTART ends, rather
    than after SQLite's busy handler's next 1-2-5-10 ms sleep) and then rewinds the WAL.
    """

    def __init__(self, path: Path, synchronous: str, write_lock: threading.Lock) -> None:
        self._path = path
        self._synchronous = synchronous
        self._write_lock = write_lock
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name="venue-store-checkpoint", daemon=True
        )
        self._thread.start()

    def _run(self) -> None:
        try:
            db = sqlite3.connect(self._path, isolation_level=None)
        except sqlite3.Error as exc:  # pragma: no cover - the main connection just opened it
            log.warning("venue store checkpointer could not open %s: %s", self._path, exc)
            return
        try:
            db.execute(f"PRAGMA synchronous={self._synchronous}")
            db.execute("PRAGMA wal_autocheckpoint=0")
            db.execute("PRAGMA busy_timeout=100")
            while True:
                self._wake.wait(CHECKPOINT_POLL_S)
                self._wake.clear()
                if self._stop.is_set():
                    break
                try:
                    _, frames, _ = db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                    if frames >= RESTART_FRAMES:
                        # Copy what arrived during the first pass, so the locked part is short.
                        db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                        with self._write_lock:
                            db.execute("PRAGMA wal_checkpoint(RESTART)").fetchone()
                except sqlite3.Error as exc:  # busy/locked: try again next time
                    log.debug("venue store checkpoint skipped: %s", exc)
        finally:
            db.close()

    def nudge(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=10)

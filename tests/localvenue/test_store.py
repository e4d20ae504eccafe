"""The venue store keeps every acknowledged input: round trips, snapshots and pruning, checksum
fallback, schema and data-dir guards, and -- the point of it all -- a process killed with
SIGKILL mid-stream loses nothing it acknowledged."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from wallet_perps.localvenue.store import (
    SCHEMA_VERSION,
    DataDirLock,
    DataDirLockedError,
    StoreCorruptError,
    StoreError,
    StoreVersionError,
    VenueStore,
)

REPO_ROOT = Path(__file__).resolve().parents[2]


def _payload(seq: int) -> str:
    return json.dumps({"seq": seq, "pad": "x" * (seq % 37)})


def _raw(path: Path) -> sqlite3.Connection:
    """A plain connection for inspecting or damaging the file behind the store's back."""
    return sqlite3.connect(path, isolation_level=None)


def _log_seqs(path: Path) -> list[int]:
    with _raw(path) as db:
        return [r[0] for r in db.execute("SELECT seq FROM log ORDER BY seq")]


def _snapshot_seqs(path: Path) -> list[int]:
    with _raw(path) as db:
        return [r[0] for r in db.execute("SELECT upto_seq FROM snapshots ORDER BY upto_seq")]


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "venue.sqlite3"


def test_round_trip_and_seq_continues_after_reopen(db_path: Path) -> None:
    with VenueStore(db_path) as store:
        assert store.load() == (None, 0, [])
        assert store.append("tick", _payload(1)) == 1
        assert store.append_many([("order", _payload(2)), ("cancel", _payload(3))]) == 3
        assert store.append_many([]) == 3
        assert store.last_seq == 3
        expected = [(1, "tick", _payload(1)), (2, "order", _payload(2)), (3, "cancel", _payload(3))]
        assert store.load() == (None, 0, expected)
        db = _raw(db_path)
        mode = db.execute("PRAGMA journal_mode").fetchone()[0]
        db.close()
        assert mode == "wal"
    with VenueStore(db_path) as store:
        assert store.load() == (None, 0, expected)
        assert store.append("tick", "{}") == 4
    # A clean close checkpoints the WAL into the main file and removes it.
    assert not Path(f"{db_path}-wal").exists()


def test_bad_entries_are_rejected_before_anything_is_written(db_path: Path) -> None:
    with VenueStore(db_path) as store:
        store.append("a", "1")
        with pytest.raises(TypeError):
            store.append_many([("b", "2"), ("c", 3)])  # type: ignore[list-item]
        with pytest.raises(TypeError):
            store.append("", "x")
        assert store.last_seq == 1
        assert store.append("d", "4") == 2
        assert [e[0] for e in store.load()[2]] == [1, 2]


def test_settings_persist(db_path: Path) -> None:
    with VenueStore(db_path) as store:
        assert store.settings() == {}
        store.set_setting("seed", "42")
        store.set_setting("start_ms", "1700000000000")
        store.set_setting("seed", "43")
    with VenueStore(db_path) as store:
        assert store.settings() == {"seed": "43", "start_ms": "1700000000000"}


def test_snapshots_prune_exactly_what_is_no_longer_needed(db_path: Path) -> None:
    with VenueStore(db_path) as store:
        for i in range(1, 11):
            store.append("order", _payload(i))
        store.save_snapshot(5, b"state@5", {"note": "first"})
        assert store.load() == (b"state@5", 5, [(i, "order", _payload(i)) for i in range(6, 11)])
        # One snapshot: nothing pruned yet (it is the only fallback besides a full replay).
        assert _log_seqs(db_path) == list(range(1, 11))

        store.save_snapshot(10, b"state@10")
        assert store.load() == (b"state@10", 10, [])
        # Two snapshots: the log is kept after the OLDER one, so it can still be used.
        assert _snapshot_seqs(db_path) == [5, 10]
        assert _log_seqs(db_path) == list(range(6, 11))

        for i in range(11, 14):
            store.append("order", _payload(i))
        blob = os.urandom(300_000)
        store.save_snapshot(13, blob)
        assert _snapshot_seqs(db_path) == [10, 13]
        assert _log_seqs(db_path) == [11, 12, 13]
        assert store.load() == (blob, 13, [])

        with pytest.raises(ValueError, match="outside the committed log"):
            store.save_snapshot(14, b"future")
        with pytest.raises(ValueError, match="older than the newest"):
            store.save_snapshot(12, b"past")
    with VenueStore(db_path) as store:
        # Seqs never repeat, even though everything up to 13 is covered by snapshots.
        assert store.last_seq == 13
        assert store.append("order", _payload(14)) == 14
        assert store.load() == (blob, 13, [(14, "order", _payload(14))])


def _find_in_file(path: Path, blob: bytes) -> int:
    """Offset in the raw DB file of some 64-byte run of ``blob`` (a run that does not straddle
    an overflow-page boundary, so the bytes are contiguous on disk)."""
    data = path.read_bytes()
    for start in range(1000, len(blob) - 64, 997):
        at = data.find(blob[start : start + 64])
        if at >= 0:
            return at
    raise AssertionError("blob not found in the database file")


def test_corrupt_newest_snapshot_falls_back_to_the_previous_one(db_path: Path) -> None:
    old_blob, new_blob = os.urandom(40_000), os.urandom(40_000)
    with VenueStore(db_path) as store:
        for i in range(1, 8):
            store.append("order", _payload(i))
        store.save_snapshot(4, old_blob)
        store.save_snapshot(7, new_blob)
        store.append("order", _payload(8))
    # Flip bytes of the newest blob in the file itself (bit rot on disk).
    at = _find_in_file(db_path, new_blob)
    with db_path.open("r+b") as f:
        f.seek(at + 10)
        byte = f.read(1)
        f.seek(at + 10)
        f.write(bytes([byte[0] ^ 0xFF]))
    with VenueStore(db_path) as store:
        assert store.integrity_check() == []  # the page structure is fine; only the data rotted
        blob, seq, entries = store.load()
        assert blob == old_blob
        assert seq == 4
        assert entries == [(i, "order", _payload(i)) for i in range(5, 9)]


def test_no_valid_snapshot_replays_the_whole_log_if_nothing_was_pruned(db_path: Path) -> None:
    with VenueStore(db_path) as store:
        for i in range(1, 6):
            store.append("order", _payload(i))
        store.save_snapshot(3, b"state@3")
    with _raw(db_path) as db:
        db.execute("UPDATE snapshots SET blob = ?", (b"state@3 but damaged",))
    with VenueStore(db_path) as store:
        assert store.load() == (None, 0, [(i, "order", _payload(i)) for i in range(1, 6)])


def test_no_valid_snapshot_after_pruning_is_an_error_not_a_partial_venue(db_path: Path) -> None:
    with VenueStore(db_path) as store:
        for i in range(1, 6):
            store.append("order", _payload(i))
        store.save_snapshot(2, b"state@2")
        store.save_snapshot(4, b"state@4")
    with _raw(db_path) as db:
        db.execute("UPDATE snapshots SET blob = x'00'")
    with VenueStore(db_path) as store, pytest.raises(StoreCorruptError, match="pruned"):
        store.load()


def test_a_gap_in_the_log_is_detected(db_path: Path) -> None:
    with VenueStore(db_path) as store:
        for i in range(1, 6):
            store.append("order", _payload(i))
    with _raw(db_path) as db:
        db.execute("DELETE FROM log WHERE seq = 3")
    with VenueStore(db_path) as store, pytest.raises(StoreCorruptError, match="contiguous"):
        store.load()


def test_a_newer_schema_is_refused(db_path: Path) -> None:
    VenueStore(db_path).close()
    with _raw(db_path) as db:
        db.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION + 1,))
    with pytest.raises(StoreVersionError, match="newer wallet-perps-venue"):
        VenueStore(db_path)


def test_a_foreign_sqlite_file_is_refused(db_path: Path) -> None:
    with _raw(db_path) as db:
        db.execute("CREATE TABLE something_else (x)")
    with pytest.raises(StoreVersionError, match="not a wallet-perps venue store"):
        VenueStore(db_path)


def test_closed_store_raises(db_path: Path) -> None:
    store = VenueStore(db_path)
    store.close()
    store.close()
    with pytest.raises(StoreError, match="closed"):
        store.append("a", "b")


def test_data_dir_lock_refuses_a_second_opener(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with DataDirLock(data):
        second = DataDirLock(data)
        with pytest.raises(DataDirLockedError) as err:
            second.acquire()
        assert str(err.value) == f"another wallet-perps-venue is using {data}"
    with DataDirLock(data) as again:
        assert again.locked


def test_data_dir_lock_is_released_when_the_holder_is_killed(tmp_path: Path) -> None:
    data = tmp_path / "data"
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\n"
            "from pathlib import Path\n"
            "from wallet_perps.localvenue.store import DataDirLock\n"
            "DataDirLock(Path(sys.argv[1])).acquire()\n"
            "print('locked', flush=True)\n"
            "time.sleep(60)\n",
            str(data),
        ],
        stdout=subprocess.PIPE,
        text=True,
        env=_child_env(),
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "locked"
        with pytest.raises(DataDirLockedError):
            DataDirLock(data).acquire()
    finally:
        child.kill()
        child.wait()
    with DataDirLock(data) as lock:
        assert lock.locked


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    return env


# The writer prints each seq only after append()/append_many() returned (= acknowledged), and
# snapshots likewise; a snapshot's blob is derived from its seq so the reader can verify it.
_WRITER = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    from wallet_perps.localvenue.store import VenueStore

    def payload(seq):
        return json.dumps({"seq": seq, "pad": "x" * (seq % 37)})

    store = VenueStore(Path(sys.argv[1]))
    out = sys.stdout
    seq = store.last_seq
    while True:
        nxt = seq + 1
        if nxt % 7 == 0:
            last = store.append_many([("batch", payload(s)) for s in range(nxt, nxt + 5)])
            assert last == nxt + 4, (last, nxt)
            out.write("".join(f"{s}\\n" for s in range(nxt, last + 1)))
        else:
            last = store.append("single", payload(nxt))
            assert last == nxt, (last, nxt)
            out.write(f"{last}\\n")
        if last // 250 != seq // 250:
            store.save_snapshot(last, (f"state@{last};" * 5000).encode())
            out.write(f"snap {last}\\n")
        out.flush()
        seq = last
    """
)


def test_kill_9_loses_no_acknowledged_entry(db_path: Path) -> None:
    acked: set[int] = set()
    acked_snaps: list[int] = []
    for round_no in range(3):
        child = subprocess.Popen(
            [sys.executable, "-c", _WRITER, str(db_path)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=_child_env(),
        )
        assert child.stdout is not None
        lines: list[bytes] = []
        deadline = time.monotonic() + 20
        try:
            while len(lines) < 300 + 100 * round_no:
                line = child.stdout.readline()
                assert line, f"writer died: {child.stderr.read() if child.stderr else b''!r}"
                assert time.monotonic() < deadline
                lines.append(line)
        finally:
            os.kill(child.pid, signal.SIGKILL)
            child.wait()
        assert child.returncode == -signal.SIGKILL
        # Everything already in the pipe was acknowledged before the kill, too.
        lines += child.stdout.read().splitlines(keepends=True)
        for raw in lines:
            if not raw.endswith(b"\n"):
                continue  # a torn final write; not a complete acknowledgement
            text = raw.decode().strip()
            if text.startswith("snap "):
                acked_snaps.append(int(text.split()[1]))
            else:
                acked.add(int(text))
        child.stdout.close()
        assert child.stderr is not None
        child.stderr.close()
        # The kill really left un-checkpointed WAL behind (this is the recovery path).
        assert Path(f"{db_path}-wal").exists()

        with VenueStore(db_path) as store:
            assert store.integrity_check() == []
            blob, base, entries = store.load()
            assert acked_snaps, "the writer should have taken snapshots by now"
            assert base >= max(acked_snaps)
            assert blob == (f"state@{base};" * 5000).encode()
            seqs = [e[0] for e in entries]
            assert seqs == list(range(base + 1, store.last_seq + 1))
            assert max(acked) <= store.last_seq
            by_seq = {seq: (kind, payload) for seq, kind, payload in entries}
            for seq in acked:
                if seq > base:
                    assert by_seq[seq][1] == _payload(seq)
                    assert by_seq[seq][0] in ("single", "batch")
            # Pruning kept the whole log after the OLDER snapshot, so the fallback is complete
            # too: every acknowledged seq after it is there with its payload.
            with _raw(db_path) as db:
                kept = {s: p for s, p in db.execute("SELECT seq, payload FROM log")}
            snaps = _snapshot_seqs(db_path)
            older = snaps[0] if len(snaps) == 2 else 0  # one snapshot: nothing pruned yet
            assert sorted(kept) == list(range(older + 1, store.last_seq + 1))
            in_log = [seq for seq in acked if seq > older]
            assert all(kept[seq] == _payload(seq) for seq in in_log)
            print(
                f"round {round_no}: {len(acked)} acked, snapshots {snaps}, "
                f"{len(in_log)} acked entries checked in the log, last_seq {store.last_seq}"
            )


def test_wal_stays_bounded_under_sustained_writes(db_path: Path) -> None:
    """The background checkpointer must rewind the WAL even while the writer never pauses
    (PASSIVE checkpoints alone let it grow forever), without losing anything."""
    chunk = "y" * (256 * 1024)
    wal = Path(f"{db_path}-wal")
    largest = 0
    with VenueStore(db_path) as store:
        for i in range(256):  # 64 MiB in ~0.3 s: far above what the venue writes
            store.append_many([("big", chunk)])
            time.sleep(0.0005)  # the server's loop does other work between commits
            if i % 8 == 0:
                largest = max(largest, wal.stat().st_size)
        assert largest < 40 * 1024 * 1024, largest >> 20
        blob, base, entries = store.load()
        assert (blob, base, len(entries)) == (None, 0, 256)
        assert all(e[2] == chunk for e in entries)


def test_a_file_that_is_not_sqlite_is_refused(db_path: Path) -> None:
    db_path.write_bytes(b"definitely not a database" * 200)
    with pytest.raises(StoreCorruptError, match="not a readable venue store"):
        VenueStore(db_path)

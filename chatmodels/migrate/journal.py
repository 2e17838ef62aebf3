"""The migration journal: SQLite (stdlib), one row per migrated object, durable per write.

Every write to the target goes through three states: ``pending`` is committed *before* the
write, ``done`` (with the target id) right after it. A row left ``pending`` by a crash means
"the write may or may not have happened": the next run looks the object up on the target
(reconciliation) before writing again. WAL mode with ``synchronous=NORMAL`` survives a killed
process (``kill -9``); only an operating-system crash could lose the last commits.

Safety: the file is held under an exclusive OS lock (``<journal>.lock``, ``fcntl.flock`` or
``msvcrt.locking``; released by the kernel when the process dies, even on ``kill -9``), so a
second process gets :class:`JournalLocked`. The journal has an id (a uuid) and a generation
bumped by every run, and records the source and target identities. A read-only journal
(dry runs) creates no file: it works on an in-memory copy. A file that is not a journal, a
damaged one or one in a missing directory raises :class:`JournalError`.
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from typing import IO, Any

from ..errors import ConfigurationError

#: meta key holding the journal format; files without it are upgraded when they are journals
FORMAT = "chatmodels-journal/2"
OBJECT_COLUMNS = ["kind", "source_id", "target_id", "state", "version", "payload", "error",
                  "attempts", "updated"]


class JournalError(ConfigurationError):
    """The journal file cannot be used: missing directory, damaged, not a journal, locked,
    or recorded for other accounts."""


class JournalLocked(JournalError):
    """Another process holds the journal (one migration per journal at a time)."""


class JournalMismatch(JournalError):
    """The journal was recorded for another source or target account."""

SCHEMA = """
CREATE TABLE IF NOT EXISTS objects (
    kind       TEXT NOT NULL,
    source_id  TEXT NOT NULL,
    target_id  TEXT,
    state      TEXT NOT NULL,            -- pending | done | failed
    version    TEXT,                     -- source updated_at when it was migrated
    payload    TEXT,                     -- JSON the later steps need (e.g. tag names)
    error      TEXT,
    attempts   INTEGER NOT NULL DEFAULT 0,
    updated    REAL NOT NULL,
    PRIMARY KEY (kind, source_id)
);
CREATE TABLE IF NOT EXISTS runs (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    started    REAL NOT NULL,
    finished   REAL,
    status     TEXT NOT NULL,            -- running | completed | failed | interrupted
    dry_run    INTEGER NOT NULL,
    since      REAL,
    summary    TEXT
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS origins (
    kind       TEXT NOT NULL,
    source_id  TEXT NOT NULL,
    origin     TEXT NOT NULL,            -- created | matched | reconciled (see ORIGINS)
    PRIMARY KEY (kind, source_id)
);
"""

#: how a ``done`` object came to be on the target: ``created`` by this journal's write (the
#: create answered), ``matched`` (it was there before: found by a lookup before any write, or
#: a 409), ``reconciled`` (found after a crash or a lost answer: maybe ours, maybe not).
#: Rollback deletes only ``created`` objects. Rows written before origins existed have none.
ORIGINS = ("created", "matched", "reconciled")


@dataclass(frozen=True)
class Entry:
    kind: str
    source_id: str
    target_id: str | None
    state: str
    version: str | None
    payload: Any
    error: str | None
    attempts: int


class Journal:
    """Thread-safe access to one journal file (one connection, one lock, autocommit).

    ``read_only=True`` (dry runs) never creates or changes a file: an existing journal is
    copied into memory, a missing one starts empty.
    """

    def __init__(self, path: str, *, read_only: bool = False) -> None:
        self.path = str(path)
        self.read_only = read_only
        self._lock = threading.Lock()
        self._lockfile: IO[bytes] | None = None
        folder = os.path.dirname(os.path.abspath(self.path))
        if not os.path.isdir(folder):
            raise JournalError(f"journal {self.path}: directory {folder} does not exist")
        if os.path.isdir(self.path):
            raise JournalError(f"journal {self.path} is a directory")
        try:
            if read_only:
                self._db = self._memory_copy()
            else:
                self._lockfile = _lock(self.path)
                self._db = sqlite3.connect(self.path, check_same_thread=False,
                                           isolation_level=None, timeout=30)
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA synchronous=NORMAL")
            self._check_schema()
            self._db.executescript(SCHEMA)
            if self._meta("format") is None:
                self._put_meta("format", FORMAT)
            if self._meta("journal_id") is None:
                self._put_meta("journal_id", str(uuid.uuid4()))
        except sqlite3.Error as exc:
            self._release()
            raise JournalError(f"journal {self.path} is damaged or not a chatmodels journal "
                               f"({type(exc).__name__}: {exc})") from None
        except JournalError:
            self._release()
            raise

    def _memory_copy(self) -> sqlite3.Connection:
        memory = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
        if os.path.exists(self.path):
            uri = "file:" + os.path.abspath(self.path).replace("?", "%3f").replace("#", "%23")
            # without a WAL file (closed cleanly) nothing can change under us: immutable opens
            # create no -wal/-shm files; with one (a live or killed run) it must be read
            flags = "?mode=ro" if os.path.exists(self.path + "-wal") else "?mode=ro&immutable=1"
            disk = sqlite3.connect(uri + flags, uri=True, timeout=30)
            try:
                disk.backup(memory)
            finally:
                disk.close()
        return memory

    def _check_schema(self) -> None:
        tables = {r[0] for r in self._db.execute(
            "SELECT name FROM sqlite_master WHERE type='table'").fetchall()}
        if not tables:
            return
        if not {"objects", "runs", "meta"} <= tables:
            raise JournalError(f"journal {self.path} is an SQLite file but not a chatmodels "
                               f"journal (tables: {', '.join(sorted(tables))})")
        columns = [r[1] for r in self._db.execute("PRAGMA table_info(objects)").fetchall()]
        if columns != OBJECT_COLUMNS:
            raise JournalError(f"journal {self.path} has an unknown schema")
        fmt = self._meta("format")
        if fmt is not None and fmt != FORMAT:
            raise JournalError(f"journal {self.path} has format {fmt!r}; this version of "
                               f"chatmodels reads {FORMAT!r}")

    def _meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    def _put_meta(self, key: str, value: str) -> None:
        self._db.execute("INSERT INTO meta (key, value) VALUES (?, ?) "
                         "ON CONFLICT(key) DO UPDATE SET value=excluded.value", (key, value))

    def _release(self) -> None:
        db = getattr(self, "_db", None)
        if db is not None:
            db.close()
        if self._lockfile is not None:
            _unlock(self._lockfile)
            self._lockfile = None

    def close(self) -> None:
        with self._lock:
            self._release()

    def acquire(self) -> None:
        """Take the OS lock again after :meth:`release_lock` (``JournalLocked`` if taken)."""
        if not self.read_only and self._lockfile is None:
            self._lockfile = _lock(self.path)

    def release_lock(self) -> None:
        """Let another process use the journal (this one keeps reading it)."""
        if self._lockfile is not None:
            _unlock(self._lockfile)
            self._lockfile = None

    # -- identity ------------------------------------------------------------------------
    @property
    def journal_id(self) -> str:
        return self.get_meta("journal_id") or ""

    @property
    def generation(self) -> int:
        return int(self.get_meta("generation") or 0)

    def next_generation(self, at_least: int = 0) -> int:
        """Bump the generation past ``at_least`` (committed); return it."""
        generation = max(self.generation, at_least) + 1
        self.set_meta("generation", str(generation))
        return generation

    def check_identity(self, role: str, identity: dict[str, str], *, allow_change: bool
                       ) -> None:
        """Record the ``role`` ("source"/"target") account, or refuse another one."""
        recorded = self.get_meta(f"{role}_identity")
        if recorded is not None:
            old = json.loads(recorded)
            if old != identity and not allow_change:
                diff = ", ".join(f"{k} {old.get(k)!r} -> {identity.get(k)!r}"
                                 for k in sorted(set(old) | set(identity))
                                 if old.get(k) != identity.get(k))
                raise JournalMismatch(
                    f"journal {self.path} was recorded for another {role} ({diff}); use a new "
                    f"journal, or allow_{role}_change=True if it is the same account")
        if recorded is None or json.loads(recorded) != identity:
            self.set_meta(f"{role}_identity", json.dumps(identity, sort_keys=True))

    # -- objects -------------------------------------------------------------------------
    def get(self, kind: str, source_id: str) -> Entry | None:
        with self._lock:
            row = self._db.execute(
                "SELECT kind, source_id, target_id, state, version, payload, error, attempts "
                "FROM objects WHERE kind=? AND source_id=?", (kind, str(source_id))).fetchone()
        if row is None:
            return None
        payload = json.loads(row[5]) if row[5] else None
        return Entry(row[0], row[1], row[2], row[3], row[4], payload, row[6], row[7])

    def pending(self, kind: str, source_id: str, version: str | None,
                payload: Any = None) -> None:
        """Record the intent to write (committed before the write is sent)."""
        self._upsert(kind, source_id, None, "pending", version, payload, None, keep_target=True)

    def done(self, kind: str, source_id: str, target_id: str | None, version: str | None,
             payload: Any = None, origin: str | None = None) -> None:
        """Record the write as done; ``origin`` (one of :data:`ORIGINS`) is committed with it."""
        if origin is None:
            self._upsert(kind, source_id, target_id, "done", version, payload, None)
            return
        if origin not in ORIGINS:
            raise ValueError(f"unknown origin {origin!r}")
        with self._lock:
            self._db.execute("BEGIN")
            try:
                self._db.execute(
                    "INSERT INTO origins (kind, source_id, origin) VALUES (?,?,?) "
                    "ON CONFLICT(kind, source_id) DO UPDATE SET origin=excluded.origin",
                    (kind, str(source_id), origin))
                self._upsert(kind, source_id, target_id, "done", version, payload, None,
                             locked=True)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def origins(self, kind: str | None = None) -> dict[tuple[str, str], str]:
        """(kind, source id) -> origin of the objects recorded with one."""
        query = "SELECT kind, source_id, origin FROM origins"
        args: tuple[str, ...] = ()
        if kind is not None:
            query, args = query + " WHERE kind=?", (kind,)
        with self._lock:
            rows = self._db.execute(query, args).fetchall()
        return {(r[0], r[1]): r[2] for r in rows}

    def set_state(self, kind: str, source_id: str, state: str) -> None:
        """Change only the state of a row (rollback: ``deleting``, ``rolled_back``)."""
        with self._lock:
            self._db.execute("UPDATE objects SET state=?, updated=? WHERE kind=? AND "
                             "source_id=?", (state, time.time(), kind, str(source_id)))

    def failed(self, kind: str, source_id: str, error: str, version: str | None = None) -> None:
        self._upsert(kind, source_id, None, "failed", version, None, error, keep_target=True)

    def _upsert(self, kind: str, source_id: str, target_id: str | None, state: str,
                version: str | None, payload: Any, error: str | None,
                keep_target: bool = False, locked: bool = False) -> None:
        data = json.dumps(payload) if payload is not None else None
        if not locked:
            with self._lock:
                self._upsert(kind, source_id, target_id, state, version, payload, error,
                             keep_target, locked=True)
            return
        self._db.execute(
            "INSERT INTO objects (kind, source_id, target_id, state, version, payload, error,"
            " attempts, updated) VALUES (?,?,?,?,?,?,?,1,?) "
            "ON CONFLICT(kind, source_id) DO UPDATE SET "
            " target_id = CASE WHEN ? THEN COALESCE(excluded.target_id, target_id)"
            "                  ELSE excluded.target_id END,"
            " state = excluded.state, version = excluded.version,"
            " payload = COALESCE(excluded.payload, payload), error = excluded.error,"
            " attempts = attempts + (excluded.state = 'pending'), updated = excluded.updated",
            (kind, str(source_id), target_id, state, version, data, error, time.time(),
             1 if keep_target else 0))

    def entries(self, kind: str, state: str | None = None) -> list[Entry]:
        query = ("SELECT kind, source_id, target_id, state, version, payload, error, attempts "
                 "FROM objects WHERE kind=?")
        args: tuple[Any, ...] = (kind,)
        if state:
            query += " AND state=?"
            args += (state,)
        with self._lock:
            rows = self._db.execute(query, args).fetchall()
        return [Entry(r[0], r[1], r[2], r[3], r[4], json.loads(r[5]) if r[5] else None, r[6],
                      r[7]) for r in rows]

    def counts(self) -> dict[tuple[str, str], int]:
        with self._lock:
            rows = self._db.execute(
                "SELECT kind, state, COUNT(*) FROM objects GROUP BY kind, state").fetchall()
        return {(r[0], r[1]): r[2] for r in rows}

    # -- runs and metadata -------------------------------------------------------------------
    def start_run(self, dry_run: bool, since: float | None) -> int:
        with self._lock:
            self._db.execute("UPDATE runs SET status='interrupted' WHERE status='running'")
            cur = self._db.execute(
                "INSERT INTO runs (started, status, dry_run, since) VALUES (?, 'running', ?, ?)",
                (time.time(), int(dry_run), since))
        return int(cur.lastrowid or 0)

    def finish_run(self, run_id: int, status: str, summary: Any) -> None:
        with self._lock:
            self._db.execute("UPDATE runs SET finished=?, status=?, summary=? WHERE id=?",
                             (time.time(), status, json.dumps(summary, default=str), run_id))

    def get_meta(self, key: str) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self._lock:
            self._db.execute("INSERT INTO meta (key, value) VALUES (?, ?) "
                             "ON CONFLICT(key) DO UPDATE SET value=excluded.value", (key, value))


def _lock(path: str) -> IO[bytes]:
    """An exclusive, non-blocking OS lock on ``<path>.lock`` (freed when the process dies)."""
    try:
        handle = open(path + ".lock", "a+b")  # noqa: SIM115 - held for the journal's life
    except OSError as exc:
        raise JournalError(f"journal {path}: cannot create its lock file ({exc.strerror})"
                           ) from None
    try:
        if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
            import msvcrt
            handle.seek(0)
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        else:
            import fcntl
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        raise JournalLocked(f"journal {path} is in use by another process (one migration per "
                            "journal at a time); wait for it to finish") from None
    return handle


def _unlock(handle: IO[bytes]) -> None:
    try:
        if sys.platform == "win32":  # pragma: no cover
            import msvcrt
            handle.seek(0)
            msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
        else:
            import fcntl
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    except OSError:
        pass
    handle.close()

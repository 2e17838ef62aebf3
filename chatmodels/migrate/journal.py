"""The migration journal: SQLite (stdlib), one row per migrated object, durable per write.

Every write to the target goes through three states: ``pending`` is committed *before* the
write, ``done`` (with the target id) right after it. A row left ``pending`` by a crash means
"the write may or may not have happened": the next run looks the object up on the target
(reconciliation) before writing again. WAL mode with ``synchronous=NORMAL`` survives a killed
process (``kill -9``); only an operating-system crash could lose the last commits.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from dataclasses import dataclass
from typing import Any

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
"""


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
    """Thread-safe access to one journal file (one connection, one lock, autocommit)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None,
                                   timeout=30)
        self._lock = threading.Lock()
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

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
             payload: Any = None) -> None:
        self._upsert(kind, source_id, target_id, "done", version, payload, None)

    def failed(self, kind: str, source_id: str, error: str, version: str | None = None) -> None:
        self._upsert(kind, source_id, None, "failed", version, None, error, keep_target=True)

    def _upsert(self, kind: str, source_id: str, target_id: str | None, state: str,
                version: str | None, payload: Any, error: str | None,
                keep_target: bool = False) -> None:
        data = json.dumps(payload) if payload is not None else None
        with self._lock:
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

"""``chatmodels export``: one resource of one account to a JSONL, CSV or Parquet file, resumable.

>>> from chatmodels.export import Export
>>> Export(api, "contacts", "contacts.csv").run()        # -> ExportResult(count=..., ...)

Rows are each object's canonical ``to_dict()``, JSON-safe (:func:`jsonable`: datetimes as
ISO 8601 text). JSONL keeps them nested; CSV and Parquet flatten them (:func:`flatten`:
``custom_attributes.plan``, lists as JSON text), and Parquet keeps each column's type
(datetimes as UTC timestamps, integers, floats, booleans).

Resuming, exactly once. Pages are appended to a spool beside the output (``FILE.part``, JSON
lines). After each page is on disk (flushed and fsynced) one SQLite transaction in the journal
(``FILE.journal`` by default) records the spool's length, the ids written, the columns seen
and the next page's cursor. A rerun cuts the spool back to the recorded length (a page a
``kill -9`` left half-written, or written but not recorded, goes), carries on from the recorded
cursor (from the start if the cursor is refused) and skips every id already written, so a page
that shifted between runs writes nothing twice. When the listing ends the spool is converted
into ``FILE.tmp``, renamed over ``FILE`` (which is only ever complete), the journal marked
complete and the spool removed. Objects without an id are keyed by a hash of their row.

Journal conventions as the migration's (:mod:`chatmodels.migrate.journal`): an exclusive OS
lock (``JournalLocked``), the recorded identity of source account + resource + format (another
one is ``JournalMismatch``), a damaged or foreign file is ``JournalError``. Rerunning a
completed export starts a new one.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import os
import sqlite3
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from .collection import Collection
from .errors import (
    ChatModelsError,
    ConfigurationError,
    ResponseError,
    UnknownResource,
    ValidationError,
)
from .migrate.journal import JournalError, JournalLocked, JournalMismatch, _lock, _unlock
from .model import jsonable

FORMATS = ("jsonl", "csv", "parquet")
SUFFIXES = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".parquet": "parquet",
            ".pq": "parquet"}
JOURNAL_FORMAT = "chatmodels-export-journal/1"
PARQUET_BATCH = 10_000

__all__ = ["FORMATS", "Export", "ExportJournal", "ExportResult", "flatten", "jsonable"]


# -- rows ------------------------------------------------------------------------------------
def flatten(row: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested mappings as dotted columns (``custom_attributes.plan``); lists stay values.
    An empty mapping is a value (``{}``), so that it is not lost."""
    out: dict[str, Any] = {}
    for key, value in row.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            out.update(flatten(value, name + "."))
        else:
            out[name] = value
    return out


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int" if -2**63 <= value < 2**63 else "str"
    if isinstance(value, float):
        return "float"
    if isinstance(value, dt.datetime):
        return "datetime"
    if isinstance(value, (Mapping, list, tuple, set, frozenset)):
        return "json"
    return "str"


def _merge(old: str | None, new: str) -> str:
    if old is None or old == "null" or old == new:
        return new
    if new == "null":
        return old
    if {old, new} == {"int", "float"}:
        return "float"
    return "str"


def _key(row: Mapping[str, Any], text: str) -> str:
    """The row's identity in the journal: its id (as JSON), else a hash of its text."""
    ident = row.get("id")
    if ident is not None and ident != "":
        return json.dumps(jsonable(ident))
    return "sha1:" + hashlib.sha1(text.encode("utf-8")).hexdigest()


def _csv_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)  # true/false, numbers, lists and {}


# -- the journal -------------------------------------------------------------------------------
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS written (key TEXT PRIMARY KEY);
"""


class ExportJournal:
    """The export's SQLite journal, held under an exclusive lock until :meth:`close`."""

    def __init__(self, path: str) -> None:
        self.path = str(path)
        self._lockfile: IO[bytes] | None = None
        self._db: sqlite3.Connection | None = None
        folder = os.path.dirname(os.path.abspath(self.path))
        if not os.path.isdir(folder):
            raise JournalError(f"journal {self.path}: directory {folder} does not exist")
        if os.path.isdir(self.path):
            raise JournalError(f"journal {self.path} is a directory")
        try:
            self._lockfile = _lock(self.path)
        except JournalLocked:
            raise JournalLocked(f"journal {self.path} is in use by another export; wait for it "
                                "to finish") from None
        try:
            self._db = sqlite3.connect(self.path, isolation_level=None, timeout=30)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            tables = {r[0] for r in self._db.execute(
                "SELECT name FROM sqlite_master WHERE type='table'")}
            if tables and tables != {"meta", "written"}:
                raise JournalError(f"journal {self.path} is an SQLite file but not a chatmodels "
                                   f"export journal (tables: {', '.join(sorted(tables))})")
            self._db.executescript(_SCHEMA)
            fmt = self.get("format")
            if fmt is None and tables:
                raise JournalError(f"journal {self.path} is damaged (no format recorded)")
            if fmt is not None and fmt != JOURNAL_FORMAT:
                raise JournalError(f"journal {self.path} has format {fmt!r}; this version of "
                                   f"chatmodels reads {JOURNAL_FORMAT!r}")
            if fmt is None:
                self.put(format=JOURNAL_FORMAT)
        except sqlite3.Error as exc:
            self.close()
            raise JournalError(f"journal {self.path} is damaged or not a chatmodels export "
                               f"journal ({type(exc).__name__}: {exc})") from None
        except BaseException:
            self.close()
            raise

    @property
    def db(self) -> sqlite3.Connection:
        if self._db is None:
            raise JournalError(f"journal {self.path} is closed")
        return self._db

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
        if self._lockfile is not None:
            _unlock(self._lockfile)
            self._lockfile = None

    def get(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return None if row is None else row[0]

    def get_json(self, key: str, default: Any = None) -> Any:
        raw = self.get(key)
        if raw is None:
            return default
        try:
            return json.loads(raw)
        except ValueError:
            raise JournalError(f"journal {self.path} is damaged ({key} is not JSON)") from None

    def put(self, **values: str) -> None:
        self.db.executemany("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) "
                            "DO UPDATE SET value=excluded.value", list(values.items()))

    def check_identity(self, identity: Mapping[str, Any]) -> None:
        """Record what is exported, or refuse a journal recorded for another export."""
        old = self.get_json("identity")
        if old is not None and old != dict(identity):
            diff = ", ".join(f"{k} {old.get(k)!r} -> {identity.get(k)!r}"
                             for k in sorted(set(old) | set(identity))
                             if old.get(k) != identity.get(k))
            raise JournalMismatch(f"journal {self.path} was recorded for another export "
                                  f"({diff}); use another journal or output file")
        if old is None:
            self.put(identity=json.dumps(dict(identity), sort_keys=True))

    def keys(self) -> set[str]:
        return {r[0] for r in self.db.execute("SELECT key FROM written")}

    def start(self) -> None:
        """Forget a previous export (its rows and position); the identity stays."""
        with self._transaction():
            self.db.execute("DELETE FROM written")
            self.db.execute("DELETE FROM meta WHERE key NOT IN ('format', 'identity')")
            self.put(state="running", offset="0", count="0", columns="{}")

    def commit_page(self, keys: list[str], offset: int, count: int, cursor: Any,
                    columns: Mapping[str, str]) -> None:
        """One page is on disk: its ids, the spool's length and where to go on, atomically."""
        with self._transaction():
            self.db.executemany("INSERT OR IGNORE INTO written (key) VALUES (?)",
                                [(k,) for k in keys])
            self.put(offset=str(offset), count=str(count), columns=json.dumps(columns),
                     cursor=json.dumps(cursor))

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")


# -- the export --------------------------------------------------------------------------------
@dataclass
class ExportResult:
    """What a run did: rows in the file, rows written by this run, whether it resumed."""

    output: str
    format: str
    count: int
    written: int
    resumed: bool


def format_of(output: str, fmt: str | None) -> str:
    """``fmt``, else the one the output's suffix names; ``ConfigurationError`` otherwise."""
    if fmt is not None:
        if fmt not in FORMATS:
            raise ConfigurationError(f"unknown format {fmt!r}; choose from {', '.join(FORMATS)}")
        return fmt
    suffix = Path(output).suffix.lower()
    if suffix not in SUFFIXES:
        raise ConfigurationError(f"cannot tell the format of {output!r} from its suffix; pass "
                                 f"--format {'|'.join(FORMATS)}")
    return SUFFIXES[suffix]


def _need_pyarrow() -> Any:
    try:
        import pyarrow
        import pyarrow.parquet  # noqa: F401
    except ImportError:
        raise ConfigurationError("the parquet format needs pyarrow: "
                                 "pip install 'chatmodels[parquet]'") from None
    return pyarrow


class Export:
    """Export ``resource`` (``"contacts"``, ``"Contact"``...) of ``client`` to ``output``.

    ``fmt`` defaults to the output's suffix; ``journal`` to ``output + ".journal"``;
    ``overwrite`` allows replacing an output file that no journal of this export wrote.
    """

    def __init__(self, client: Any, resource: str, output: str, *, fmt: str | None = None,
                 journal: str | None = None, page_size: int | None = None,
                 progress: bool = False, overwrite: bool = False) -> None:
        self.client = client
        self.output = str(output)
        self.format = format_of(self.output, fmt)
        if self.format == "parquet":
            _need_pyarrow()
        listable = sorted({client.collection_name(c) for c in client.resources.values()
                           if callable(getattr(c, "all", None))})
        try:
            self.cls = client.resource(resource)
        except UnknownResource:
            self.cls = None
        if self.cls is None or not callable(getattr(self.cls, "all", None)):
            raise ConfigurationError(f"{client.provider}: cannot list {resource!r}; "
                                     f"choose from {', '.join(listable)}")
        self.resource = client.collection_name(self.cls)
        try:  # builds the query only: no request for a list
            collection = self.cls.all()
        except ValidationError as exc:  # a nested resource (notes need contact=...)
            raise ConfigurationError(f"{client.provider}: {self.resource} cannot be exported on "
                                     f"their own ({exc.message or exc})") from None
        if not isinstance(collection, Collection):
            raise ConfigurationError(f"{client.provider}: {self.resource} is not a list of "
                                     "objects")
        if page_size:
            collection = collection.page_size(page_size)
        self.collection = collection
        self.journal_path = journal or self.output + ".journal"
        self.spool = self.output + ".part"
        self.page_size = page_size
        self.progress = progress
        self.overwrite = overwrite

    def identity(self) -> dict[str, Any]:
        from .migrate.targets import account_identity
        return {"source": account_identity(self.client), "resource": self.resource,
                "format": self.format}

    def run(self) -> ExportResult:
        journal = ExportJournal(self.journal_path)
        try:
            journal.check_identity(self.identity())
            state = journal.get("state")
            resumed = state in ("running", "staged")
            if not resumed:
                if state is None and os.path.exists(self.output) and not self.overwrite:
                    raise ConfigurationError(f"{self.output} exists (not written by this "
                                             "export); remove it or pass --overwrite")
                journal.start()
            offset = self._position(journal)
            before = int(journal.get("count") or 0)
            if journal.get("state") != "staged":
                self._stage(journal, offset)
                journal.put(state="staged")
            count = int(journal.get("count") or 0)
            self._finish(journal.get_json("columns", {}))
            journal.put(state="complete")
            os.remove(self.spool)
        finally:
            journal.close()
        return ExportResult(self.output, self.format, count, count - before, resumed)

    def _position(self, journal: ExportJournal) -> int:
        """The spool cut back to what the journal recorded (creating it when new)."""
        try:
            offset = int(journal.get("offset") or 0)
        except ValueError:
            raise JournalError(f"journal {journal.path} is damaged (offset)") from None
        size = os.path.getsize(self.spool) if os.path.exists(self.spool) else None
        if offset and (size is None or size < offset):
            raise JournalError(f"the spool {self.spool} is missing or shorter than journal "
                               f"{journal.path} records; delete the journal to start over")
        with open(self.spool, "ab") as spool:
            spool.truncate(offset)
        return offset

    def _pages(self, cursor: Any) -> Iterator[tuple[list[Any], Any]]:
        """(items, next cursor) from ``cursor`` on; a refused resume cursor restarts."""
        collection = self.collection
        fetch, params, size = collection._fetch, collection.params, collection._page_size
        first = True
        while True:
            try:
                page = fetch(params, cursor, size)
            except ChatModelsError:
                if not (first and cursor is not None):
                    raise
                cursor = None  # an expired cursor: from the start, written ids are skipped
                page = fetch(params, cursor, size)
            first = False
            done = page.next_cursor is None or not page.items
            yield page.items, None if done else page.next_cursor
            if done:
                return
            if page.next_cursor == cursor:
                raise ResponseError(f"{self.resource}: the provider gave the same next page "
                                    f"again ({cursor!r:.80}); stopping instead of looping")
            cursor = page.next_cursor

    def _stage(self, journal: ExportJournal, offset: int) -> None:
        written = journal.keys()
        columns: dict[str, str] = dict(journal.get_json("columns", {}))
        count = int(journal.get("count") or 0)
        saved = journal.get_json("cursor")
        cursor = None
        if isinstance(saved, dict) and saved.get("page_size") == self.page_size:
            cursor = saved.get("next")
        bar = self._bar(count)
        try:
            with open(self.spool, "r+b") as spool:
                spool.seek(offset)
                for items, next_cursor in self._pages(cursor):
                    keys, lines = [], []
                    for obj in items:
                        raw = obj.to_dict()
                        text = json.dumps(jsonable(raw), ensure_ascii=False,
                                          separators=(",", ":"), allow_nan=False)
                        key = _key(raw, text)
                        if key in written:
                            continue
                        written.add(key)
                        keys.append(key)
                        lines.append(text + "\n")
                        for name, value in flatten(raw).items():
                            columns[name] = _merge(columns.get(name), _kind(value))
                    data = "".join(lines).encode("utf-8")
                    spool.write(data)
                    spool.flush()
                    os.fsync(spool.fileno())
                    offset += len(data)
                    count += len(keys)
                    resume = _resume_point(next_cursor, self.page_size)
                    journal.commit_page(keys, offset, count, resume, columns)
                    if bar is not None:
                        bar.update(len(keys))
        finally:
            if bar is not None:
                bar.close()

    def _bar(self, initial: int) -> Any:
        if not self.progress or not sys.stderr.isatty():
            return None
        try:
            from tqdm import tqdm
        except ImportError:  # pragma: no cover - tqdm is optional
            return None
        total = self.collection.total()
        return tqdm(total=total, initial=initial, unit=" " + self.resource,
                    desc=f"{self.client.provider} {self.resource}", file=sys.stderr)

    # -- the output file ---------------------------------------------------------------------
    def _rows(self) -> Iterator[dict[str, Any]]:
        with open(self.spool, encoding="utf-8") as spool:
            for line in spool:
                yield json.loads(line)

    def _finish(self, columns: Mapping[str, str]) -> None:
        tmp = self.output + ".tmp"
        if self.format == "jsonl":
            with open(self.spool, "rb") as src, open(tmp, "wb") as dst:
                while chunk := src.read(1 << 20):
                    dst.write(chunk)
                dst.flush()
                os.fsync(dst.fileno())
        elif self.format == "csv":
            names = list(columns)
            with open(tmp, "w", encoding="utf-8", newline="") as dst:
                writer = csv.writer(dst)
                if names:  # no rows, no columns: an empty file
                    writer.writerow(names)
                for row in self._rows():
                    flat = flatten(row)
                    writer.writerow([_csv_text(flat.get(name)) for name in names])
                dst.flush()
                os.fsync(dst.fileno())
        else:
            self._parquet(tmp, columns)
        os.replace(tmp, self.output)

    def _parquet(self, tmp: str, columns: Mapping[str, str]) -> None:
        pa = _need_pyarrow()
        import pyarrow.parquet as pq
        types = {"bool": pa.bool_(), "int": pa.int64(), "float": pa.float64(),
                 "datetime": pa.timestamp("us", tz="UTC")}
        schema = pa.schema([(name, types.get(kind, pa.string()))
                            for name, kind in columns.items()])
        with pq.ParquetWriter(tmp, schema) as writer:
            batch: list[dict[str, Any]] = []
            wrote = False
            for row in self._rows():
                batch.append(flatten(row))
                if len(batch) >= PARQUET_BATCH:
                    writer.write_table(_table(pa, schema, columns, batch))
                    batch, wrote = [], True
            if batch or not wrote:
                writer.write_table(_table(pa, schema, columns, batch))


def _resume_point(cursor: Any, page_size: int | None) -> Any:
    """What the journal keeps of the next page's cursor: ``None`` unless it survives JSON
    unchanged (a rerun then starts over, skipping what is written)."""
    if cursor is None:
        return None
    point = {"next": cursor, "page_size": page_size}
    try:
        return point if json.loads(json.dumps(point)) == point else None
    except (TypeError, ValueError):
        return None


def _parquet_value(kind: str, value: Any) -> Any:
    if value is None:
        return None
    if kind == "datetime":
        stamp = dt.datetime.fromisoformat(value)
        return stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.timezone.utc)
    if kind == "float":
        return float(value)
    if kind in ("int", "bool"):
        return value
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _table(pa: Any, schema: Any, columns: Mapping[str, str], rows: list[dict[str, Any]]) -> Any:
    data = {name: [_parquet_value(kind, row.get(name)) for row in rows]
            for name, kind in columns.items()}
    return pa.Table.from_pydict(data, schema=schema)

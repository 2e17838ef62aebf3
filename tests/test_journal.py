"""The journal's safety: typed errors for unusable files, one process at a time, identities,
and the run marker that makes a lost or rolled-back journal harmless.

Crisp -> Intercom over loopback (the pair and the clean-run snapshot of test_migrate).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys

import pytest

from chatmodels.errors import ConfigurationError
from chatmodels.migrate import Migration
from chatmodels.migrate.journal import Journal, JournalError, JournalLocked, JournalMismatch
from chatmodels.testing import serve

from . import test_migrate as base
from .test_migrate import (
    SEED,
    child_command,
    crisp_source,
    intercom_target,
    run,
    snapshot,
    team_of,
    writes,
)

pair = base.pair  # fixtures
expected = base.expected

ENV = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
HOLD = ("import sys, time\nfrom chatmodels.migrate import Journal\n"
        "j = Journal(sys.argv[1])\nprint('holding', flush=True)\ntime.sleep(60)\n")


# -- unusable files -----------------------------------------------------------------------
def test_garbage_file_is_a_journal_error_and_left_alone(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_bytes(b"this is not a database\n" * 100)
    with pytest.raises(JournalError, match="damaged or not a chatmodels journal"):
        Journal(str(path))
    assert path.read_bytes() == b"this is not a database\n" * 100
    assert issubclass(JournalError, ConfigurationError)


def test_other_sqlite_file_or_schema_is_refused(tmp_path):
    other = tmp_path / "app.db"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE users (id INTEGER)")
    with pytest.raises(JournalError, match="not a chatmodels journal"):
        Journal(str(other))
    changed = tmp_path / "changed.db"
    with sqlite3.connect(changed) as db:
        db.execute("CREATE TABLE objects (kind TEXT, id TEXT)")
        db.execute("CREATE TABLE runs (id INTEGER)")
        db.execute("CREATE TABLE meta (key TEXT, value TEXT)")
    with pytest.raises(JournalError, match="unknown schema"):
        Journal(str(changed))
    newer = tmp_path / "newer.db"
    Journal(str(newer)).close()
    with sqlite3.connect(newer) as db:
        db.execute("UPDATE meta SET value='chatmodels-journal/99' WHERE key='format'")
    with pytest.raises(JournalError, match="format 'chatmodels-journal/99'"):
        Journal(str(newer))


def test_missing_directory_is_a_journal_error(tmp_path):
    with pytest.raises(JournalError, match="does not exist"):
        Journal(str(tmp_path / "nowhere" / "j.db"))
    assert not (tmp_path / "nowhere").exists()


def test_read_only_journal_creates_nothing(tmp_path):
    path = tmp_path / "j.db"
    j = Journal(str(path), read_only=True)
    j.done("contact", "1", "t1", None)
    j.close()
    assert list(tmp_path.iterdir()) == []
    real = Journal(str(path))
    real.done("contact", "1", "t1", None)
    real.close()
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    j = Journal(str(path), read_only=True)
    assert j.get("contact", "1").target_id == "t1"  # reads the file...
    j.done("contact", "2", "t2", None)
    j.close()
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before  # ...never writes


# -- one process at a time -------------------------------------------------------------------
def hold(path):
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(path)], stdout=subprocess.PIPE,
                            text=True, env=ENV)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "holding"
    return proc


def test_second_process_is_locked_out_until_the_first_dies(tmp_path):
    path = tmp_path / "j.db"
    holder = hold(path)
    try:
        with pytest.raises(JournalLocked, match="in use by another process"):
            Journal(str(path))
    finally:
        holder.send_signal(signal.SIGKILL)  # the kernel frees the lock, even on kill -9
        holder.wait(timeout=10)
    Journal(str(path)).close()
    # within one process too: a second Journal on the same file is refused
    first = Journal(str(path))
    with pytest.raises(JournalLocked):
        Journal(str(path))
    first.close()
    Journal(str(path)).close()


def cli(cmd):
    return subprocess.run(cmd, capture_output=True, text=True, env=ENV, timeout=60)


def test_cli_exits_2_on_unusable_or_locked_journals(pair, tmp_path):
    source, target, journal = pair
    damaged = tmp_path / "damaged.db"
    damaged.write_bytes(b"\x00garbage" * 64)
    for path, message in ((str(damaged), "damaged or not a chatmodels journal"),
                          (str(tmp_path / "missing" / "j.db"), "does not exist")):
        result = cli(child_command(source, target, path))
        assert result.returncode == 2, result.stderr
        assert message in result.stderr and "Traceback" not in result.stderr
    holder = hold(journal)
    try:
        result = cli(child_command(source, target, journal))
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=10)
    assert result.returncode == 2, result.stderr
    assert "in use by another process" in result.stderr and "Traceback" not in result.stderr
    assert writes(target) == []


# -- identities ------------------------------------------------------------------------------
def test_journal_refuses_another_target(pair, tmp_path):
    source, target, journal = pair
    assert run(source, target, journal).ok
    team = team_of(crisp_source(source))
    with serve("intercom", seed=SEED + 1, contacts=0, conversations=0,
               teammates=team) as other:
        with pytest.raises(JournalMismatch, match="another target") as info:
            run(source, other, journal)
        assert "account" in str(info.value) and "base_url" in str(info.value)
        assert writes(other) == []
        # told it is the same account, the run trusts the journal's mapping
        report = run(source, other, journal, allow_target_change=True)
        assert report.ok
        assert Journal(journal).get_meta("target_identity") is not None


def test_journal_refuses_another_source(pair):
    source, target, journal = pair
    m = Migration(crisp_source(source), intercom_target(target), journal, progress=False)
    m.run(resources=["agents"])
    m.close()
    with serve("crisp", seed=SEED + 1, contacts=1) as other:
        with pytest.raises(JournalMismatch, match="another source"):
            run(other, target, journal)


# -- lost or rolled-back journals ------------------------------------------------------------
def posts(sim, path):
    return [r for r in sim.requests if r.method == "POST" and r.path == path]


def test_lost_journal_duplicates_nothing(pair, tmp_path, expected):
    source, target, journal = pair
    assert run(source, target, journal).ok
    target.clear_requests()
    fresh = str(tmp_path / "fresh.db")  # the first journal is lost
    report = run(source, target, fresh)
    assert report.ok, report.errors
    assert report.reconcile and "another journal" in report.reconcile
    assert "Reconcile mode" in str(report)
    assert posts(target, "/contacts") == posts(target, "/conversations") == []
    assert [r for r in target.requests if r.path.endswith("/reply")] == []
    assert snapshot(intercom_target(target)) == expected
    # the complete run rebuilt the journal: the next run is a normal one
    target.clear_requests()
    again = run(source, target, fresh)
    assert again.ok and again.reconcile is None and writes(target) == []


def test_journal_restored_from_backup_duplicates_nothing(pair, tmp_path, expected):
    source, target, journal = pair
    m = Migration(crisp_source(source), intercom_target(target), journal, progress=False)
    assert m.run(resources=["contacts"]).ok
    m.close()
    backup = str(tmp_path / "backup.db")
    shutil.copy(journal, backup)
    assert run(source, target, journal).ok  # the conversations are migrated after the backup
    shutil.copy(backup, journal)
    for suffix in ("-wal", "-shm"):
        if os.path.exists(journal + suffix):
            os.remove(journal + suffix)
    target.clear_requests()
    report = run(source, target, journal)
    assert report.ok, report.errors
    assert report.reconcile and "older than the target" in report.reconcile
    assert posts(target, "/conversations") == []
    assert report.steps["messages"].created == 0 and report.steps["messages"].reconciled > 0
    assert snapshot(intercom_target(target)) == expected


def test_journal_records_identities_without_secrets(pair):
    source, target, journal = pair
    with Migration(crisp_source(source), intercom_target(target), journal,
                   progress=False) as m:
        assert m.run(resources=["tags"]).ok
    with sqlite3.connect(journal) as db:
        text = "\n".join(str(row) for table in ("objects", "runs", "meta")
                         for row in db.execute(f"SELECT * FROM {table}"))
    j = Journal(journal, read_only=True)
    assert json.loads(j.get_meta("target_identity")) == {
        "provider": "intercom", "account": target.state.workspace_id,
        "base_url": target.base_url}
    assert json.loads(j.get_meta("source_identity"))["account"] == \
        source.credentials["website_id"]
    secrets = [source.credentials["key"], source.credentials["identifier"],
               target.credentials["access_token"]]
    assert not [s for s in secrets if s in text]

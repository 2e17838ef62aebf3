"""``chatmodels migrate --follow``: a real process following a source that keeps changing is
killed with ``kill -9`` mid-round, twice, then resumed and drained (``--idle-timeout 0``):
the target equals the source and nothing was written twice. Plus the flags' usage errors."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from typing import Any

import pytest

from chatmodels import cli, intercom
from chatmodels.migrate import Migration
from chatmodels.testing import serve

from .conformance.compare import assert_migrated
from .conftest import FAST_RETRY

ENV = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))


def connect(sim: Any) -> Any:
    return intercom.connect(base_url=sim.base_url, retry=FAST_RETRY, **sim.credentials)


def command(source: Any, target: Any, journal: str, *extra: str) -> list[str]:
    cmd = [sys.executable, "-m", "chatmodels.cli", "migrate", "--from", "intercom", "--to",
           "intercom", "--no-progress", "--workers", "4", "--journal", journal, "--follow",
           *extra]
    for flag, sim in (("--source", source), ("--target", target)):
        for key, value in {**sim.credentials, "base_url": sim.base_url}.items():
            cmd += [flag, f"{key}={value}"]
    return cmd


def query(journal: str, sql: str) -> Any:
    try:
        with sqlite3.connect(journal, timeout=1) as db:
            return db.execute(sql).fetchone()
    except sqlite3.Error:
        return None


def following(journal: str, runs_before: int) -> bool:
    """The process finished its catch-up run and opened the follow's run row."""
    row = query(journal, "SELECT COUNT(*), (SELECT status FROM runs ORDER BY id DESC LIMIT 1)"
                         " FROM runs")
    return row is not None and row[0] >= runs_before + 2 and row[1] == "running"


def objects(journal: str) -> int:
    row = query(journal, "SELECT COUNT(*) FROM objects")
    return int(row[0]) if row else 0


def write_burst(api: Any, n: int) -> None:
    """New contacts with notes, a changed attribute, replies and a new conversation."""
    convs = sorted(c.id for c in api.Conversation.all())
    for i in range(4):
        contact = api.Contact.create(role="user", email=f"burst-{n}-{i}@example.com",
                                     name=f"Burst {n} {i}")
        api.Note.create(contact=contact, body=f"note {n}/{i}", admin=api.Admin.me())
        conv = api.Conversation.find(id=convs[(n * 4 + i) % len(convs)])
        conv.reply(body=f"reply {n}/{i}", author=conv.contacts[0])
    contact.custom_attributes["signup_source"] = f"burst-{n}"
    contact.save()
    api.Conversation.create(contact, f"conversation of burst {n}")


def test_kill_9_while_following_then_resume_writes_nothing_twice(tmp_path):
    journal = str(tmp_path / "j.db")
    with serve("intercom", seed=11, contacts=12, conversations=6) as source:
        api = connect(source)
        team = [(a.name, a.email) for a in api.Admin.all()]
        with serve("intercom", seed=12, contacts=0, conversations=0, teammates=team) as target:
            with Migration(api, connect(target), journal, progress=False) as m:
                assert m.run().ok
            kills = 0
            for burst in range(2):
                runs = query(journal, "SELECT COUNT(*) FROM runs")[0]
                proc = subprocess.Popen(command(source, target, journal, "--poll-interval",
                                                "0.05"),
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                        env=ENV)
                try:
                    while not following(journal, runs) and proc.poll() is None:
                        time.sleep(0.01)
                    before = objects(journal)
                    write_burst(api, burst)
                    while proc.poll() is None and objects(journal) < before + 3:
                        time.sleep(0.002)
                    if proc.poll() is None:
                        proc.send_signal(signal.SIGKILL)
                        kills += 1
                finally:
                    if proc.poll() is None:
                        proc.kill()
                    proc.wait(timeout=30)
            assert kills == 2
            final = subprocess.run(command(source, target, journal, "--poll-interval", "0",
                                           "--idle-timeout", "0"),
                                   capture_output=True, text=True, env=ENV, timeout=60)
            assert final.returncode == 0, final.stdout + final.stderr
            assert "Follow (polling) stopped (idle)" in final.stdout
            target_api = connect(target)
            compared = assert_migrated(api, target_api, events=True)
            assert compared[0] == 12 + 8
            # each contact was created by one request: a killed create was looked up on the
            # target, never sent again
            emails = [c.email for c in target_api.Contact.all()]
            assert len(emails) == len(set(emails)) == 20
            creates = [r for r in target.requests if (r.method, r.path) == ("POST", "/contacts")]
            assert len(creates) == 20


@pytest.mark.parametrize("extra,message", [
    (["--follow", "--dry-run"], "--follow cannot be combined with --dry-run"),
    (["--follow", "--plan", "plan.toml"], "--follow cannot be combined with --dry-run or --plan"),
    (["--rollback", "--follow", "--plan", "plan.toml"], "--rollback does not take --follow, --plan"),
    (["--poll-interval", "5"], "--poll-interval and --idle-timeout go with --follow"),
    (["--follow", "--idle-timeout", "-1"], "expected a number of seconds >= 0"),
])
def test_follow_flags_usage_errors_exit_2(extra, message, tmp_path, capsys):
    code = cli.main(["migrate", "--from", "intercom", "--to", "intercom", "--journal",
                     str(tmp_path / "j.db"), "--source", "access_token=x", "--target",
                     "access_token=y", *extra])
    assert code == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") <= 2


def test_a_failed_name_lookup_is_named_not_unknown_error():
    import socket

    from chatmodels.cli import _os_reason

    assert _os_reason(socket.gaierror(-2, "Name or service not known")) == \
        "Name or service not known"
    assert _os_reason(OSError(98, "Address already in use")) == os.strerror(98)

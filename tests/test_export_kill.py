"""A real ``kill -9`` in the middle of ``chatmodels export``, then the same command again: the
file holds every object exactly once."""

from __future__ import annotations

import csv
import fcntl
import json
import os
import pty
import signal
import sqlite3
import struct
import subprocess
import sys
import termios
import time

import pytest

from chatmodels import registry
from chatmodels.testing import serve

CHATMODELS = [sys.executable, "-m", "chatmodels"]


def _env(sim) -> dict[str, str]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    for entry in registry.entries():
        for var in entry.env.values():
            env.pop(var, None)
    env["INTERCOM_ACCESS_TOKEN"] = sim.credentials["access_token"]
    return env


def _lines(path) -> int:
    try:
        with open(path, "rb") as fh:
            return fh.read().count(b"\n")
    except FileNotFoundError:
        return 0


def _ids(path, fmt: str) -> list[str]:
    with open(path, encoding="utf-8", newline="") as fh:
        if fmt == "csv":
            return [row["id"] for row in csv.DictReader(fh)]
        return [json.loads(line)["id"] for line in fh]


@pytest.mark.parametrize("fmt", ["csv"])  # the spool is JSONL: CSV runs both
def test_kill_9_mid_export_then_rerun_writes_every_object_once(fmt, tmp_path):
    out = tmp_path / f"contacts.{fmt}"
    spool = tmp_path / f"contacts.{fmt}.part"
    with serve("intercom", seed=11, contacts=250) as sim:
        argv = CHATMODELS + ["export", "intercom", "contacts", "-o", str(out), "--base-url",
                             sim.base_url, "--page-size", "5", "--no-progress"]
        sim.latency = 0.05  # 50 pages: the export is still running when it is killed
        proc = subprocess.Popen(argv, env=_env(sim), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        try:
            deadline = time.monotonic() + 120
            while _lines(spool) < 30 and proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.01)
            assert proc.poll() is None, proc.communicate()
            os.kill(proc.pid, signal.SIGKILL)
        finally:
            proc.wait()
        assert proc.returncode == -signal.SIGKILL
        assert not out.exists()  # killed mid-export: only the spool and the journal
        db = sqlite3.connect(tmp_path / f"contacts.{fmt}.journal")
        state, = db.execute("SELECT value FROM meta WHERE key='state'").fetchone()
        recorded, = db.execute("SELECT COUNT(*) FROM written").fetchone()
        db.close()
        assert state == "running" and 25 <= recorded < 250  # the page after may be unrecorded

        sim.latency = 0
        sim.clear_requests()
        done = subprocess.run(argv, env=_env(sim), capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        assert done.stderr == ""  # no progress bar when stderr is not a terminal
        assert done.stdout.startswith(f"exported 250 contacts to {out} (")
        lists = [r for r in sim.requests if r.path == "/contacts"]
        assert lists[0].query.get("starting_after"), "resumed from the recorded cursor"
        assert len(lists) < 50
        with registry.get("intercom").connect(base_url=sim.base_url,
                                              **sim.credentials) as api:
            expected = [c.id for c in api.Contact.all()]
    ids = _ids(out, fmt)
    assert ids == expected and len(set(ids)) == 250
    assert not spool.exists()


def test_the_progress_bar_is_drawn_on_a_terminal_only(tmp_path):
    with serve("intercom", seed=11, contacts=30) as sim:
        for flags, drawn in (([], True), (["--no-progress"], False)):
            out = tmp_path / f"contacts{len(flags)}.jsonl"
            main, side = pty.openpty()
            fcntl.ioctl(side, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
            try:
                done = subprocess.run(
                    CHATMODELS + ["export", "intercom", "contacts", "-o", str(out),
                                  "--base-url", sim.base_url, *flags],
                    env=_env(sim), stdout=subprocess.PIPE, stderr=side, timeout=120)
                os.close(side)
                screen = b""
                while True:
                    try:
                        chunk = os.read(main, 4096)
                    except OSError:  # the terminal closed
                        break
                    if not chunk:
                        break
                    screen += chunk
            finally:
                os.close(main)
            assert done.returncode == 0
            assert (b"intercom contacts" in screen and b"30/30" in screen) is drawn, screen

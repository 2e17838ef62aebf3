"""Chaos: ~10 % mixed faults on the target and five ``kill -9`` of a real ``chatmodels migrate``
process end with the target identical to a clean run's, for every provider pair.

The faults (seeded, so a run is reproducible): 500/503, connections dropped before or after the
write was applied, resets mid-body (applied, then half an answer), answers slower than the
client's read timeout (applied), and 429s. Each pair migrates 25 contacts.
"""

from __future__ import annotations

import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

import pytest

from chatmodels import registry
from chatmodels.crisp.target import EVENT_TIME_KEY, MARKER_KEY, CrispTarget
from chatmodels.migrate import Migration
from chatmodels.migrate.targets import plain
from chatmodels.testing import serve

from .conftest import FAST_RETRY

ENV = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
CONTACTS = 25
#: 429s cost a rate-limit window each: rarer than the others
KINDS = ("fail", "fail", "drop", "drop_after", "reset", "reset", "slow", "throttle")
KILLS = 5


def connect(sim: Any) -> Any:
    return registry.get(sim.name).connect(base_url=sim.base_url, retry=FAST_RETRY,
                                          **sim.credentials)


# -- what a target holds, independent of ids and timing ---------------------------------------
def intercom_state(api: Any) -> Any:
    admins = {str(a.id): a.email for a in api.Admin.all()}
    contacts, keys = {}, {}
    for c in api.Contact.all().page_size(150):
        custom = {k: str(v) for k, v in (c.custom_attributes or {}).items()}
        key = c.email or custom.get("migrated_from")
        keys[c.id] = key
        contacts[key] = (c.name, c.role, tuple(sorted(t.name for t in c.list_tags())),
                         tuple(sorted(custom.items())),
                         tuple(sorted((e.name, int(e.created_at.timestamp()))
                                      for e in c.events())),
                         tuple(sorted(plain(n.body) for n in c.list_notes())))
    conversations: Counter[Any] = Counter()
    for conv in api.Conversation.all().page_size(150):
        full = api.Conversation.find(id=conv.id)
        messages = tuple((m.author_type, m.kind, plain(m.body), int(m.created_at.timestamp()))
                         for m in full.messages if m.kind in ("comment", "note"))
        conversations[(keys.get(full.contacts[0].id), messages,
                       "closed" if full.state == "closed" else "open",
                       admins.get(str(full.assignee_id)),
                       tuple(sorted(t.name for t in full.tags or [])))] += 1
    return contacts, conversations


def crisp_state(api: Any) -> Any:
    contacts, emails = {}, {}
    for p in api.Contact.all():
        emails[str(p.id)] = p.email
        notepad = "".join(n.body or "" for n in p.notes())
        contacts[p.email] = (p.name, tuple(sorted(p.segments or [])),
                             tuple(sorted((k, str(v)) for k, v in
                                          (p.custom_attributes or {}).items())),
                             tuple(sorted((e.name, (e.metadata or {}).get(EVENT_TIME_KEY))
                                          for e in p.events())),
                             tuple(sorted(line for line in notepad.splitlines() if line)))
    sessions: Counter[Any] = Counter()
    for conv in api.Conversation.all(include_empty=True):
        data = conv.meta.get("data") or {}
        if data.get(MARKER_KEY) == CrispTarget.MARKER_SESSION:
            continue
        if not data and not conv.contacts and not list(conv.messages):
            # a session whose creation answer was lost: Crisp cannot tell us its id, so it
            # stays behind, empty and unmarked (docs/reliability.md, at-least-once)
            continue
        messages = tuple((m.kind, m.author_type, re.sub(r"\s+", "", plain(m.body)),
                          int(m.created_at.timestamp())) for m in conv.messages)
        sessions[(data.get(MARKER_KEY), tuple(emails.get(str(c.id)) for c in conv.contacts),
                  messages, conv.state, str(conv.assignee_id),
                  tuple(sorted(conv.meta.get("segments") or [])))] += 1
    return contacts, sessions


#: what a target holds, per target provider (another provider's chaos test passes its own)
STATES: dict[str, Any] = {"intercom": intercom_state, "crisp": crisp_state}


# -- the pairs ---------------------------------------------------------------------------------
def new_target(kind: str, source: Any) -> Any:
    src = connect(source)
    if kind == "intercom":
        team = [(a.name, a.email) for a in src.Agent.all()]
        return serve("intercom", seed=12, contacts=0, conversations=0, teammates=team)
    sim = serve("crisp", seed=5, contacts=0, conversations=0)
    return _with_operators(sim, [a.email for a in src.Agent.all()])


class _with_operators:
    """A Crisp target whose first operators share the source agents' emails."""

    def __init__(self, ctx: Any, emails: list[str]) -> None:
        self.ctx, self.emails = ctx, emails

    def __enter__(self) -> Any:
        sim = self.ctx.__enter__()
        with sim.lock:
            for op, email in zip(list(sim.state.operators.values()), self.emails[:3], strict=False):
                op["email"] = email
        return sim

    def __exit__(self, *exc: Any) -> Any:
        return self.ctx.__exit__(*exc)


def command(source: Any, target: Any, journal: str) -> list[str]:
    cmd = [sys.executable, "-m", "chatmodels.cli", "migrate", "--from", source.name, "--to",
           target.name, "--no-progress", "--workers", "8", "--journal", journal]
    for flag, sim in (("--source", source), ("--target", target)):
        for key, value in {**sim.credentials, "base_url": sim.base_url}.items():
            cmd += [flag, f"{key}={value}"]
    # a short read timeout turns the slow answers into timeouts
    cmd += ["--target", "timeout=0.25"]
    return cmd


def journal_rows(path: str) -> int:
    if not os.path.exists(path):
        return 0
    try:
        with sqlite3.connect(path, timeout=1) as db:
            return int(db.execute("SELECT COUNT(*) FROM objects").fetchone()[0])
    except sqlite3.Error:
        return 0


def kill_runs(cmd: list[str], thresholds: Iterable[int], progress: Callable[[], int]) -> int:
    """Start ``cmd`` once per threshold and ``kill -9`` it as soon as ``progress()`` (rows of
    its journal, say) reaches the threshold; how many runs were killed (the others finished
    first)."""
    kills = 0
    for threshold in thresholds:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                env=ENV)
        while proc.poll() is None and progress() < threshold:
            time.sleep(0.005)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait(timeout=60)
    return kills


def run_until_done(cmd: list[str]) -> subprocess.CompletedProcess[str]:
    """Run ``cmd`` again until it exits 0: faults can leave objects failed (exit 1), and the
    next run retries them; any other exit fails the test."""
    for _ in range(6):
        final = subprocess.run(cmd, capture_output=True, text=True, env=ENV, timeout=120)
        if final.returncode == 0:
            break
        assert final.returncode == 1, final.stderr
    assert final.returncode == 0, final.stdout + final.stderr
    return final


@pytest.mark.parametrize("source_kind,target_kind", [
    ("crisp", "intercom"), ("intercom", "crisp"), ("intercom", "intercom")])
def test_faults_and_kills_end_like_a_clean_run(tmp_path, source_kind, target_kind):
    run_faults_and_kills(tmp_path, source_kind, target_kind, state=STATES[target_kind],
                         new_target=new_target)


def run_faults_and_kills(tmp_path: Any, source_kind: str, target_kind: str, *,
                         state: Any, new_target: Any, contacts: int = CONTACTS) -> None:
    """Migrate ``source_kind`` -> ``target_kind`` cleanly, then again under ~10 % faults with
    five ``kill -9``; the target must end as the clean run's. ``state(api)`` returns what a
    target holds (comparable, id-free); ``new_target(kind, source_sim)`` serves an empty target.
    Other providers' chaos tests call this with their own ``state`` and ``new_target``."""
    rng = random.Random(2026)
    with serve(source_kind, seed=11, contacts=contacts) as source:
        with new_target(target_kind, source) as clean:
            m = Migration(connect(source), connect(clean), str(tmp_path / "clean.db"),
                          progress=False, workers=4)
            assert m.run().ok
            m.close()
            expected = state(connect(clean))
            rows = journal_rows(str(tmp_path / "clean.db"))
        with new_target(target_kind, source) as target:
            target.chaos(rate=0.1, seed=7, kinds=KINDS, delay=0.4)
            journal = str(tmp_path / "chaos.db")
            cmd = command(source, target, journal)
            kills = kill_runs(cmd, sorted(rng.sample(range(5, rows), KILLS)),
                              lambda: journal_rows(journal))
            assert kills >= 3, "the runs finished before they could be killed"
            run_until_done(cmd)
            faults = Counter(r.status for r in target.requests)
            target.clear_faults()
            assert faults[None] > 0 and faults[429] > 0  # dropped, reset and throttled
            got = state(connect(target))
            assert got[0] == expected[0]
            assert got[1] == expected[1], (got[1] - expected[1], expected[1] - got[1])

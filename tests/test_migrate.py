"""Crisp -> Intercom migrations over loopback HTTP between two simulators.

Full equality, idempotent re-runs, dry run, delta runs, injected faults, and crash-and-resume
with ``kill -9`` of a real ``chatmodels migrate`` process at random points.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter

import pytest

from chatmodels import crisp, intercom
from chatmodels.http import RetryPolicy
from chatmodels.migrate import Journal, Migration, MigrationAborted
from chatmodels.migrate.attachments import comparable
from chatmodels.migrate.targets import plain
from chatmodels.testing import serve

FAST = RetryPolicy(max_retries=4, backoff_factor=0.01, max_backoff=0.05, max_wait=5)
SEED = 11


def crisp_source(sim):
    return crisp.connect(base_url=sim.base_url, retry=FAST, **sim.credentials)


def intercom_target(sim):
    return intercom.connect(base_url=sim.base_url, retry=FAST, **sim.credentials)


def team_of(src):
    return [(op.name, op.email) for op in src.Agent.all()]


def same(a, b):
    """Equal once converted to the target's attribute type (299 == 299.0, True == "true")."""
    try:
        return float(a) == float(b)
    except (TypeError, ValueError):
        return str(a).lower() == str(b).lower()


def snapshot(api):
    """The target's content, independent of ids and timing, for comparisons."""
    contacts = {}
    for c in api.Contact.all().page_size(150):
        tags = sorted(t.name for t in c.list_tags())
        custom = {k: str(v) for k, v in (c.custom_attributes or {}).items()}
        events = sorted((e.name, int(e.created_at.timestamp())) for e in c.events())
        notes = sorted(plain(n.body) for n in c.list_notes())
        contacts[c.email] = (c.name, tuple(tags), tuple(sorted(custom.items())),
                             tuple(events), tuple(notes))
    by_id = {}
    for c in api.Contact.all().page_size(150):
        by_id[c.id] = c.email
    conversations = Counter()
    for conv in api.Conversation.all().page_size(150):
        full = api.Conversation.find(id=conv.id)
        messages = tuple((m.author_type, plain(m.body)) for m in full.messages
                         if m.kind in ("comment", "note"))
        conversations[(by_id.get(full.contacts[0].id), messages,
                       "closed" if full.state == "closed" else "open",
                       str(full.assignee_id))] += 1
    return contacts, conversations


def source_view(src):
    """What the Crisp source says the target should hold (contacts and conversations)."""
    contacts = {}
    for p in src.Contact.all():
        contacts[p.email] = (p.name, tuple(sorted(p.segments or [])),
                             {k: v for k, v in (p.custom_attributes or {}).items()})
    conversations = []
    for conv in src.Conversation.all():
        msgs = [m for m in conv.messages if m.kind in ("comment", "note")
                and (m.body or m.attachments)]
        if msgs:
            conversations.append((conv, msgs))
    return contacts, conversations


@pytest.fixture
def pair(tmp_path):
    with serve("crisp", seed=SEED, contacts=40) as source:
        team = team_of(crisp_source(source))
        with serve("intercom", seed=SEED, contacts=0, conversations=0,
                   teammates=team) as target:
            yield source, target, str(tmp_path / "journal.db")


def run(source, target, journal, *, timeout=None, **kwargs):
    kwargs.setdefault("progress", False)
    dst = intercom_target(target) if timeout is None else intercom.connect(
        base_url=target.base_url, retry=FAST, timeout=timeout, **target.credentials)
    m = Migration(crisp_source(source), dst, journal, **kwargs)
    try:
        return m.run()
    finally:
        m.close()


def writes(sim):
    return [r for r in sim.requests if r.method != "GET"]


def test_full_migration_carries_everything(pair):
    source, target, journal = pair
    seeded = {a.name for a in intercom_target(target).DataAttribute.all(model="contact")}
    report = run(source, target, journal)
    assert report.ok, report.errors
    src = crisp_source(source)
    dst = intercom_target(target)
    contacts, conversations = source_view(src)

    target_contacts = {c.email: c for c in dst.Contact.all()}
    assert set(target_contacts) == set(contacts)
    for email, (name, segments, data) in contacts.items():
        c = target_contacts[email]
        assert c.name == name
        assert sorted(t.name.lower() for t in c.list_tags()) == sorted(s.lower() for s in segments)
        for key, value in data.items():
            assert same(c.custom_attributes[key], value), (key, value)

    agents = {str(a.id): a.email for a in src.Agent.all()}
    admins = {a.email: str(a.id) for a in dst.Admin.all()}
    assert len(dst.Conversation.all().to_list()) == len(conversations)
    by_contact = {}
    for conv in dst.Conversation.all():
        full = dst.Conversation.find(id=conv.id)
        by_contact.setdefault(full.contacts[0].id, []).append(full)
    for conv, msgs in conversations:
        email = src.Contact.find(id=conv.contacts[0].id).email
        candidates = by_contact[target_contacts[email].id]
        bodies = [comparable(m) for m in msgs]
        match = [t for t in candidates
                 if [comparable(m) for m in t.messages if m.kind in ("comment", "note")]
                 == bodies]
        assert match, f"conversation {conv.id} not found on the target"
        t = match[0]
        migrated = [m for m in t.messages if m.kind in ("comment", "note")]
        assert [m.author_type for m in migrated] == [m.author_type for m in msgs]
        assert [m.kind for m in migrated] == [m.kind for m in msgs]
        assert (t.state == "closed") == (conv.state == "closed")
        if conv.assignee_id:
            assert str(t.assignee_id) == admins[agents[str(conv.assignee_id)]]
        for m_src, m_dst in zip(msgs, migrated, strict=True):
            if m_src.author_type == "agent" and m_src.author_id in agents:
                assert str(m_dst.author_id) == admins[agents[m_src.author_id]]
            assert int(m_dst.created_at.timestamp()) == int(m_src.created_at.timestamp())

    # every counter is the target's real state
    steps = report.steps
    held = list(dst.Contact.all())
    assert steps["contacts"].created == len(held) == 40
    assert steps["contact_tags"].created == sum(len(c.list_tags()) for c in held)
    assert steps["events"].created == sum(len(list(c.events())) for c in held)
    assert ("notes" in steps and steps["notes"].created) == \
        sum(len(list(c.list_notes())) for c in held)
    assert steps["conversations"].created == len(conversations)
    assert steps["messages"].created == sum(len(msgs) for _, msgs in conversations)
    defined = [a for a in dst.DataAttribute.all(model="contact")
               if a.name not in seeded and a.name != "chatmodels_journal"]
    assert steps["contact_fields"].created == len(defined)
    assert not any(why for (step, why) in report.skips if step == "contact_fields")


def test_second_run_writes_nothing(pair):
    source, target, journal = pair
    assert run(source, target, journal).ok
    m = Migration(crisp_source(source), intercom_target(target), journal, progress=False)
    steps = m.step_progress()
    m.close()
    assert {name: step["state"] for name, step in steps.items()} == {
        "agents": "completed", "tags": "completed", "contact_fields": "completed",
        "contacts": "completed", "conversations": "completed"}
    assert steps["contacts"]["counters"]["created"] == 40
    before = snapshot(intercom_target(target))
    target.clear_requests()
    report = run(source, target, journal)
    assert report.ok
    assert writes(target) == []
    assert report.steps["contacts"].skipped == 40 and report.steps["contacts"].created == 0
    assert snapshot(intercom_target(target)) == before


def test_dry_run_writes_nothing_and_reports(pair):
    source, target, journal = pair
    report = run(source, target, journal, dry_run=True)
    assert writes(target) == []
    assert report.steps["contacts"].planned == 40
    assert report.steps["conversations"].planned > 0
    assert any("created_at" in note for note in report.fidelity)
    assert "DRY RUN" in str(report)
    # the journal has no object rows: a real run afterwards does everything
    assert Journal(journal).counts() == {}


def test_delta_run_moves_only_what_changed(pair):
    source, target, journal = pair
    assert run(source, target, journal).ok
    src = crisp_source(source)
    changed = src.Contact.all().first()
    changed.name = "Renamed Person"
    changed.save()
    new = src.Contact.create(email="newcomer@example.org", name="Newcomer")
    conv = next(c for c in src.Conversation.all() if c.messages)
    conv.reply("One more thing from support", author=src.Agent.all().first())
    time.sleep(0.01)
    target.clear_requests()
    report = run(source, target, journal)
    assert report.ok, report.errors
    assert report.steps["contacts"].created == 1
    assert report.steps["contacts"].updated == 1
    assert report.steps["messages"].created == 1
    assert report.steps["conversations"].updated == 1
    dst = intercom_target(target)
    assert dst.Contact.find(email=changed.email).name == "Renamed Person"
    assert dst.Contact.find(email=new.email).name == "Newcomer"
    posted_contacts = [r for r in writes(target) if r.path == "/contacts"]
    assert len(posted_contacts) == 1


def test_since_skips_older_objects(pair):
    source, target, journal = pair
    report = run(source, target, journal, since="2100-01-01T00:00:00Z")
    assert report.steps["contacts"].skipped == 40
    assert [r for r in writes(target) if r.path == "/contacts"] == []


def test_fail_fast_stops_at_the_first_failure(pair):
    source, target, journal = pair
    target.fail(status=422, times=1000, method="POST", path="/contacts",
                code="parameter_invalid", message="no")
    with pytest.raises(MigrationAborted):
        run(source, target, journal, fail_fast=True, workers=1)
    assert len([r for r in target.requests if r.path == "/contacts"]) <= 2
    assert [e for e in Journal(journal).entries("contact") if e.state == "failed"]


@pytest.fixture(scope="module")
def expected(tmp_path_factory):
    """The target after a clean, undisturbed migration of the seeded source."""
    with serve("crisp", seed=SEED, contacts=40) as source:
        team = team_of(crisp_source(source))
        with serve("intercom", seed=SEED, contacts=0, conversations=0, teammates=team) as clean:
            assert run(source, clean, str(tmp_path_factory.mktemp("clean") / "j.db")).ok
            return snapshot(intercom_target(clean))


def test_faults_lose_and_double_nothing(tmp_path, expected):
    with serve("crisp", seed=SEED, contacts=40) as source:
        team = team_of(crisp_source(source))
        with serve("intercom", seed=SEED, contacts=0, conversations=0, teammates=team) as target:
            target.fail(status=500, times=3, method="POST", path="/contacts")
            target.fail(status=503, times=2, method="POST", path="/conversations")
            target.drop(times=2, method="POST", path="/contacts", after_apply=True)
            target.drop(times=2, method="POST", path=r"/conversations/\d+/reply", after_apply=True)
            target.drop(times=1, method="POST", path="/events", after_apply=True)
            target.throttle(times=3, retry_after=0.1, method="POST")
            # applied, but answered after the client's read timeout
            target.slow(1.0, times=2, method="POST", path="/contacts")
            target.slow(1.0, times=2, method="POST", path=r"/conversations/\d+/reply")
            target.latency = 0.002
            journal = str(tmp_path / "faulty.db")
            report = run(source, target, journal, timeout=(2.0, 0.5))
            if not report.ok:  # objects that failed are retried by the next run
                report = run(source, target, journal)
            assert report.ok, report.errors
            assert snapshot(intercom_target(target)) == expected
            assert report.steps["contacts"].reconciled + sum(
                s.reconciled for s in report.steps.values()) >= 1


CHILD = [sys.executable, "-m", "chatmodels.cli", "migrate", "--from", "crisp", "--to",
         "intercom", "--no-progress", "--workers", "4"]


def child_command(source, target, journal):
    cmd = list(CHILD) + ["--journal", journal]
    for key, value in source.credentials.items():
        cmd += ["--source", f"{key}={value}"]
    cmd += ["--source", f"base_url={source.base_url}"]
    for key, value in target.credentials.items():
        cmd += ["--target", f"{key}={value}"]
    cmd += ["--target", f"base_url={target.base_url}"]
    return cmd


def journal_rows(path):
    if not os.path.exists(path):
        return 0
    try:
        with sqlite3.connect(path, timeout=1) as db:
            return db.execute("SELECT COUNT(*) FROM objects").fetchone()[0]
    except sqlite3.Error:
        return 0


def test_crash_and_resume_with_kill_9(tmp_path, expected):
    rng = random.Random(5)
    with serve("crisp", seed=SEED, contacts=40) as source:
        team = team_of(crisp_source(source))
        with serve("intercom", seed=SEED, contacts=0, conversations=0, teammates=team) as target:
            target.latency = 0.005
            journal = str(tmp_path / "crashy.db")
            cmd = child_command(source, target, journal)
            env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
            # kill each run once the journal has reached a random, increasing number of rows
            thresholds = sorted(rng.sample(range(10, 170), 4))
            kills = 0
            for threshold in thresholds:
                proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL, env=env)
                while proc.poll() is None and journal_rows(journal) < threshold:
                    time.sleep(0.01)
                if proc.poll() is None:
                    proc.send_signal(signal.SIGKILL)
                    kills += 1
                proc.wait(timeout=30)
            assert kills >= 2, "the runs finished before they could be killed"
            final = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
            assert final.returncode == 0, final.stdout + final.stderr
            target.latency = 0
            assert snapshot(intercom_target(target)) == expected


def test_failed_bulk_tagging_is_reported_and_retried_pair_by_pair(tmp_path, expected):
    """One failed bulk tag request: the run is not ok; the next run applies exactly those."""
    with serve("crisp", seed=SEED, contacts=40) as source:
        src = crisp_source(source)
        team = team_of(src)
        with serve("intercom", seed=SEED, contacts=0, conversations=0, teammates=team) as target:
            dst = intercom_target(target)
            journal = str(tmp_path / "tags.db")
            # the tags exist first: every later POST /tags is a bulk tagging (or a new
            # conversation tag, created after the contacts step)
            m = Migration(src, dst, journal, progress=False)
            assert m.run(resources=["tags"]).ok
            m.close()
            target.clear_requests()
            target.fail(status=422, times=1, method="POST", path="/tags",
                        code="parameter_invalid", message="rejected")
            first = run(source, target, journal)
            assert not first.ok
            failed = [e for e in first.errors if e[0] == "contact_tag"]
            assert failed and len(failed) == len(first.errors)
            assert first.steps["contact_tags"].failed == len(failed)
            bulk = [r for r in target.requests if r.method == "POST" and r.path == "/tags"]
            assert len(failed) == len(bulk[0].json["users"])  # exactly that request's pairs
            lost = {(bulk[0].json["name"], u["id"]) for u in bulk[0].json["users"]}
            assert all(bulk[0].json["name"] not in [t.name for t in dst.Contact.find(id=c)
                                                    .list_tags()] for _, c in lost)
            target.clear_requests()
            second = run(source, target, journal)
            assert second.ok, second.errors
            assert second.steps["contact_tags"].created == len(failed)
            retried = [r for r in target.requests if r.method == "POST" and r.path == "/tags"
                       and "users" in r.json]
            assert [{(r.json["name"], u["id"]) for u in r.json["users"]} for r in retried] \
                == [lost]
            assert snapshot(dst) == expected
            third = run(source, target, journal)
            assert third.ok and third.steps["contact_tags"].created == 0

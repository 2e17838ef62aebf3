"""Rollback (``chatmodels migrate --rollback``): after a full run between two simulators, the
target simulator's state is what it was before the run, except what the target declares it
cannot delete (listed by the rollback); never anything the run only matched; resumable after
``kill -9``."""

from __future__ import annotations

import copy
import sqlite3
import subprocess
import sys
from typing import Any

import pytest

from chatmodels.errors import ResourceNotFound
from chatmodels.migrate import KINDS, Migration, Rollback, Target
from chatmodels.migrate.journal import Journal, JournalMismatch
from chatmodels.migrate.targets import DELETE_METHODS, target_class
from chatmodels.testing import serve
from chatmodels.testing.files import FileStore

from .conformance.profiles import BY_NAME, MIGRATIONS
from .conftest import FAST_RETRY
from .test_chaos import ENV, kill_runs

CONTACTS = 10

#: simulator state a rollback may leave changed, per target: attribute -> the kind the target
#: declares it cannot delete (``Target.undeletable``), or why it is simulator bookkeeping
LEFT: dict[str, dict[str, str]] = {
    "intercom": {"data_attributes": "contact_fields",
                 "contact_seq": "bookkeeping: contact ids in creation order (never listed)",
                 "conversation_seq": "bookkeeping: conversation ids in creation order",
                 "messages": "bookkeeping: outbound message records (no API lists them)"},
    "crisp": {},
    "livechat": {"customers": "contacts", "chats": "conversations",
                 "threads": "conversations", "files": "messages"},
    "sendbee": {"contacts": "contacts", "phones": "contacts",
                "events": "bookkeeping: the outbox of webhook events"},
    "brevo": {"events": "events", "visitors": "conversations", "messages": "conversations",
              "conversations": "conversations", "open_conversation": "conversations",
              "agents": "bookkeeping: the agent identities messages were sent as (no API "
                        "lists or deletes them)",
              "outbox": "bookkeeping: the outbox of webhook events",
              "rng": "bookkeeping: the id generator"},
}

#: the state attribute holding the run marker of targets that cannot remove it
MARKER = {"intercom": ("data_attributes",)}


def state(sim: Any) -> dict[str, Any]:
    """The simulator's whole state (public attributes), copied."""
    with sim.lock:
        return copy.deepcopy({k: ({f.id: f.sha256 for f in v} if isinstance(v, FileStore)
                                  else v)  # the files a state serves, by checksum
                              for k, v in vars(sim.state).items() if not k.startswith("_")})


def assert_restored(before: dict[str, Any], after: dict[str, Any], provider: str,
                    report: Any) -> None:
    """Every attribute is as before, except those :data:`LEFT` names; those tied to a kind
    must be declared undeletable and listed by the rollback."""
    writer = target_class(provider)
    kept = {kind for kind, _ in report.kept}
    changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    for key in changed:
        assert key in LEFT[provider], (key, before.get(key), after.get(key))
        why = LEFT[provider][key]
        if not why.startswith("bookkeeping"):
            assert why in writer.undeletable, (key, why)
            # listed: as a kind kept, or as the run marker that stays (a data attribute)
            assert why in kept or (key in MARKER.get(provider, ()) and report.marker), \
                (key, why, report.kept)


def migrate(source: Any, target: Any, journal: str) -> Any:
    m = Migration(source, target, journal, progress=False, workers=4)
    try:
        report = m.run()
    finally:
        m.close()
    assert report.ok, report.errors
    return report


def rollback(target: Any, journal: str) -> Any:
    with Rollback(target, journal) as rb:
        return rb.run()


def new_target(name: str) -> Any:
    return serve(name, seed=12, **BY_NAME[name].sim_options, contacts=0, conversations=0)


@pytest.mark.parametrize("pair", MIGRATIONS, ids=lambda p: f"{p[0]}-to-{p[1]}")
def test_rollback_after_a_full_run_restores_the_target(pair, tmp_path):
    src_profile, dst_profile = BY_NAME[pair[0]], BY_NAME[pair[1]]
    with serve(pair[0], seed=11, **src_profile.sim_options, contacts=CONTACTS) as src_sim, \
            new_target(pair[1]) as dst_sim:
        source = src_profile.connect(src_sim, retry=FAST_RETRY)
        target = dst_profile.connect(dst_sim, retry=FAST_RETRY)
        journal = str(tmp_path / "journal.db")
        before = state(dst_sim)
        migrate(source, target, journal)
        assert state(dst_sim) != before

        report = rollback(target, journal)
        assert report.ok, report.errors
        assert sum(report.deleted.values()) > 0
        writer = target_class(pair[1])
        for kind in report.deleted:
            assert kind in writer.deletes
        for kind, reason in report.kept:
            assert kind in writer.undeletable and reason == writer.undeletable[kind] \
                or "existed before" in reason or "applied to a contact" in reason, (kind, reason)
        assert_restored(before, state(dst_sim), pair[1], report)

        # rolled back rows are a fresh start: the same journal migrates everything again
        again = Migration(source, target, journal, progress=False, workers=4)
        redo = again.run()
        again.close()
        assert redo.ok, redo.errors
        second = rollback(target, journal)
        assert second.ok, second.errors
        if "contacts" in writer.deletes:
            # everything was written again, and deleted again (contacts a target cannot
            # delete stay done in the journal: a later run does not rewrite them)
            assert redo.steps["contacts"].created == report.deleted["contacts"]
            assert second.deleted == report.deleted
        assert_restored(before, state(dst_sim), pair[1], second)


def test_rollback_keeps_what_the_run_matched(tmp_path):
    """A contact that was on the target before the run (same email: matched) stays; what the
    run wrote on it that the target cannot delete is listed."""
    with serve("crisp", seed=11, contacts=CONTACTS) as src_sim, new_target("intercom") as dst:
        source = BY_NAME["crisp"].connect(src_sim, retry=FAST_RETRY)
        target = BY_NAME["intercom"].connect(dst, retry=FAST_RETRY)
        person = source.Contact.all().first()
        existing = target.Contact.create(email=person.email, name="Was here before")
        journal = str(tmp_path / "journal.db")
        migrate(source, target, journal)
        j = Journal(journal, read_only=True)
        origins = j.origins()
        j.close()
        assert origins[("contact", str(person.id))] == "matched"

        report = rollback(target, journal)
        assert report.ok
        assert report.kept[("contacts", "found on the target before any write (it existed "
                                        "before)")] == 1
        kept = target.Contact.find(id=existing.id)
        assert kept.email == person.email
        others = [c.email for c in target.Contact.all()]
        assert others == [person.email]


def test_rollback_refuses_another_target(tmp_path):
    with serve("crisp", seed=11, contacts=3) as src_sim, new_target("intercom") as dst, \
            new_target("intercom") as other:
        source = BY_NAME["crisp"].connect(src_sim, retry=FAST_RETRY)
        migrate(source, BY_NAME["intercom"].connect(dst, retry=FAST_RETRY),
                str(tmp_path / "j.db"))
        before = state(other)
        with pytest.raises(JournalMismatch):
            Rollback(BY_NAME["intercom"].connect(other, retry=FAST_RETRY), str(tmp_path / "j.db"))
        assert state(other) == before
        assert other.requests == [] or all(r.method == "GET" for r in other.requests)


def test_every_target_declares_what_becomes_of_each_kind_on_rollback():
    for name in ("intercom", "crisp", "livechat", "brevo", "sendbee"):
        cls = target_class(name)
        for kind in cls.writes:
            assert kind in cls.deletes or kind in cls.removed_with or kind in cls.undeletable, \
                (name, kind)
        for kind, parent in cls.removed_with.items():
            assert parent in cls.deletes or parent in cls.undeletable, (name, kind)


def test_a_target_that_deletes_a_kind_must_implement_its_delete():
    base = target_class("intercom")

    class Incomplete(base):  # type: ignore[misc, valid-type]
        deletes = base.deletes | {"notes"}
        undeletable = {k: v for k, v in base.undeletable.items() if k != "notes"}

    with pytest.raises(TypeError, match="deletes notes but does not implement delete_note"):
        Incomplete._check_declarations()

    class Undeclared(base):  # type: ignore[misc, valid-type]
        def delete_note(self, contact_id: Any, note_id: str) -> None:
            pass

    with pytest.raises(TypeError, match="implements delete_note but does not declare"):
        Undeclared._check_declarations()
    assert set(DELETE_METHODS) == set(KINDS)
    assert Target.delete_contact is not base.delete_contact


def test_a_delete_of_an_object_already_gone_counts_as_deleted(tmp_path):
    with serve("crisp", seed=11, contacts=4) as src_sim, new_target("intercom") as dst:
        source = BY_NAME["crisp"].connect(src_sim, retry=FAST_RETRY)
        target = BY_NAME["intercom"].connect(dst, retry=FAST_RETRY)
        journal = str(tmp_path / "j.db")
        migrate(source, target, journal)
        first = next(c for c in target.Contact.all())
        first.delete()  # deleted by hand before the rollback
        with pytest.raises(ResourceNotFound):
            target.Contact.find(id=first.id)
        report = rollback(target, journal)
        assert report.ok and report.deleted["contacts"] == 4
        assert list(target.Contact.all()) == []


# -- kill -9 mid-rollback, then resume ----------------------------------------------------------
def rolled_back(path: str) -> int:
    try:
        with sqlite3.connect(path, timeout=1) as db:
            return int(db.execute("SELECT COUNT(*) FROM objects WHERE state IN "
                                  "('rolled_back', 'deleting')").fetchone()[0])
    except sqlite3.Error:
        return 0


def rollback_command(sim: Any, journal: str) -> list[str]:
    cmd = [sys.executable, "-m", "chatmodels.cli", "migrate", "--rollback", "--journal", journal]
    for key, value in {**sim.credentials, "base_url": sim.base_url}.items():
        cmd += ["--target", f"{key}={value}"]
    return cmd


@pytest.mark.parametrize("pair", [("crisp", "intercom"), ("intercom", "crisp"),
                                  ("intercom", "brevo")], ids=lambda p: f"{p[0]}-to-{p[1]}")
def test_rollback_killed_then_resumed_finishes(pair, tmp_path):
    with serve(pair[0], seed=11, contacts=20) as src_sim, new_target(pair[1]) as dst_sim:
        source = BY_NAME[pair[0]].connect(src_sim, retry=FAST_RETRY)
        target = BY_NAME[pair[1]].connect(dst_sim, retry=FAST_RETRY)
        journal = str(tmp_path / "journal.db")
        before = state(dst_sim)
        migrate(source, target, journal)
        rows = rolled_back(journal)
        assert rows == 0
        dst_sim.latency = 0.01  # every answer a little late: the kills land mid-rollback
        cmd = rollback_command(dst_sim, journal)
        kills = kill_runs(cmd, (3, 12, 25), lambda: rolled_back(journal))
        assert kills >= 2, "the rollbacks finished before they could be killed"
        dst_sim.latency = 0
        final = subprocess.run(cmd, capture_output=True, text=True, env=ENV, timeout=120)
        assert final.returncode == 0, final.stdout + final.stderr
        assert "Rollback" in final.stdout
        with Rollback(target, journal) as rb:  # nothing left to do, nothing failed
            report = rb.run()
        assert report.ok and sum(report.deleted.values()) == 0
        assert_restored(before, state(dst_sim), pair[1], report)


def test_the_journal_records_each_origin_with_its_row(tmp_path):
    journal = Journal(str(tmp_path / "j.db"))
    try:
        journal.done("contact", "1", "t1", None, origin="created")
        journal.done("contact", "2", "t2", None, origin="matched")
        journal.done("contact", "1", "t1", "v2")  # a delta update keeps the origin
        journal.done("tag", "x", "tx", None)
        assert journal.origins() == {("contact", "1"): "created", ("contact", "2"): "matched"}
        assert journal.origins("tag") == {}
        with pytest.raises(ValueError, match="unknown origin"):
            journal.done("contact", "3", "t3", None, origin="mine")
        assert journal.get("contact", "3") is None
        journal.set_state("contact", "1", "rolled_back")
        entry = journal.get("contact", "1")
        assert entry is not None and (entry.state, entry.target_id) == ("rolled_back", "t1")
    finally:
        journal.close()


def test_rows_left_pending_are_kept_and_listed(tmp_path):
    with serve("crisp", seed=11, contacts=4) as src_sim, new_target("intercom") as dst:
        source = BY_NAME["crisp"].connect(src_sim, retry=FAST_RETRY)
        target = BY_NAME["intercom"].connect(dst, retry=FAST_RETRY)
        path = str(tmp_path / "j.db")
        migrate(source, target, path)
        journal = Journal(path)
        contact = journal.entries("contact", "done")[0]
        journal.pending("contact", contact.source_id, None)  # as a kill -9 mid-write leaves it
        journal.close()
        report = rollback(target, path)
        assert report.ok and report.deleted["contacts"] == 3
        assert [(k, n) for (k, r), n in report.kept.items() if "pending" in r] == \
            [("contacts", 1)]
        assert [c.id for c in target.Contact.all()] == [contact.target_id]

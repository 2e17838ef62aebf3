"""Intercom -> Intercom migrations between two simulators over loopback HTTP."""

from __future__ import annotations

import pytest

from chatmodels import intercom
from chatmodels.migrate import Migration
from chatmodels.migrate.targets import plain, with_attachments
from chatmodels.testing import serve

from .conftest import FAST_RETRY

KINDS = ("comment", "note")


def connect(sim):
    return intercom.connect(base_url=sim.base_url, retry=FAST_RETRY, **sim.credentials)


@pytest.fixture
def pair(tmp_path):
    with serve("intercom", seed=11, contacts=40) as source:
        team = [(a.name, a.email) for a in connect(source).Admin.all()]
        with serve("intercom", seed=12, contacts=0, conversations=0, teammates=team) as target:
            yield source, target, str(tmp_path / "j.db")


def migrate(source, target, journal, **options):
    options.setdefault("progress", False)
    m = Migration(connect(source), connect(target), journal, **options)
    try:
        return m.run()
    finally:
        m.close()


def messages_of(conv):
    return [m for m in conv.messages if m.kind in KINDS and (m.body or m.attachments)]


def test_every_message_keeps_its_time_even_when_an_agent_started(pair):
    source, target, journal = pair
    report = migrate(source, target, journal)
    assert report.ok, report.errors
    src, dst = connect(source), connect(target)
    emails = {c.id: c.email for c in src.Contact.all()}
    target_ids = {c.email: c.id for c in dst.Contact.all()}
    by_contact: dict[str, list] = {}
    for conv in dst.Conversation.all():
        full = dst.Conversation.find(id=conv.id)
        by_contact.setdefault(full.contacts[0].id, []).append(full)
    agent_started = 0
    total = 0
    for conv in src.Conversation.all():
        msgs = messages_of(conv)
        if not msgs:
            continue
        total += len(msgs)
        agent_started += msgs[0].author_type == "agent"
        bodies = [plain(with_attachments(m)) for m in msgs]
        [twin] = [t for t in by_contact[target_ids[emails[conv.contacts[0].id]]]
                  if [plain(m.body) for m in messages_of(t)] == bodies]
        assert [int(m.created_at.timestamp()) for m in messages_of(twin)] == \
            [int(m.created_at.timestamp()) for m in msgs]
        assert [m.author_type for m in messages_of(twin)] == [m.author_type for m in msgs]
    assert agent_started >= 1
    # the counters are the target's state: the first messages are counted too
    assert report.steps["messages"].created == total
    assert not any("first message" in note for note in report.fidelity)
    # what cannot be carried is named field by field
    notes = set(report.fidelity)
    assert "conversation.priority!=none|not_priority: not carried" in notes
    assert "conversation.team_id: team assignment not carried (admin assignee is)" in notes
    assert "contact.location: not carried (Intercom geolocates on its own)" in notes


def test_identical_notes_stay_as_many_after_a_crash(tmp_path):
    """Two notes with the same text on one contact; a run killed between journaling the
    second as pending and writing it (the first is on the target): the next run's lookup by
    text must not take the first note for the second. The target ends with exactly two."""
    from chatmodels.migrate import Journal

    with serve("intercom", seed=3, contacts=1, conversations=0) as src_sim, \
            serve("intercom", seed=4, contacts=0, conversations=0) as dst_sim:
        source = intercom.connect(base_url=src_sim.base_url, retry=FAST_RETRY,
                                  **src_sim.credentials)
        target = intercom.connect(base_url=dst_sim.base_url, retry=FAST_RETRY,
                                  **dst_sim.credentials)
        person = source.Contact.all().first()
        notes = [person.add_note("Called, wants a demo.") for _ in range(2)]
        journal = str(tmp_path / "j.db")
        first = Migration(source, target, journal, progress=False, workers=1)
        assert first.run(["contacts"]).ok
        first.close()
        # as after a kill -9: the second note pending in the journal, absent from the target
        db = Journal(journal)
        entry = db.get("note", f"{person.id}/{notes[1].id}")
        db.pending("note", entry.source_id, entry.version)
        copy = target.Contact.find(id=db.get("contact", str(person.id)).target_id)
        db.close()
        with dst_sim.lock:
            dst_sim.state.notes.pop(entry.target_id)
            for ids in dst_sim.state.contact_notes.values():
                if entry.target_id in ids:
                    ids.remove(entry.target_id)
        assert [plain(n.body) for n in copy.notes.all()].count("Called, wants a demo.") == 1
        second = Migration(source, target, journal, progress=False, workers=1)
        assert second.run(["contacts"]).ok
        second.close()
        texts = [plain(n.body) for n in copy.notes.all()]
        assert texts.count("Called, wants a demo.") == 2

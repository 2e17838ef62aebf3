"""Brevo in migrations, over loopback: the dry run's fidelity report for Intercom -> Brevo, what
the target writes, and Brevo as a source with and without saved webhooks."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chatmodels import brevo, intercom
from chatmodels.brevo.target import BrevoTarget, attribute_name, event_name, visitor_id
from chatmodels.migrate import Migration
from chatmodels.migrate.targets import plain, with_attachments
from chatmodels.testing import serve

from .conftest import FAST_RETRY


def migrate(source: Any, target: Any, journal: Any, **options: Any) -> Any:
    migration = Migration(source, target, str(journal), progress=False, workers=4, **options)
    try:
        return migration.run()
    finally:
        migration.close()


def writes(sim: Any) -> list[str]:
    return [f"{r.method} {r.path}" for r in sim.requests if r.method != "GET"]


@pytest.fixture(scope="module")
def intercom_sim():
    with serve("intercom", seed=11, contacts=20) as sim:
        yield sim


@pytest.fixture
def pair(intercom_sim):
    with serve("brevo", seed=5, contacts=0, conversations=0, companies=0, notes=0,
               events=0) as target_sim:
        source = intercom.connect(base_url=intercom_sim.base_url, retry=FAST_RETRY,
                                  **intercom_sim.credentials)
        target = brevo.connect(base_url=target_sim.base_url, retry=FAST_RETRY,
                               **target_sim.credentials)
        yield source, target, target_sim


def line(key: str) -> str:
    return f"{key}: {BrevoTarget.fidelity[key]}"


def test_dry_run_reports_the_declared_lines_with_counts(pair, tmp_path):
    source, target, target_sim = pair
    report = migrate(source, target, tmp_path / "dry.db", dry_run=True)
    assert report.ok and report.dry_run, report.errors
    assert writes(target_sim) == [] and list(tmp_path.iterdir()) == []
    convs = [source.Conversation.find(id=c.id) for c in source.Conversation.all()]
    messages = [m for c in convs for m in c.messages if m.kind in ("comment", "note")]
    contacts = list(source.Contact.all())
    expected = {
        "message.created_at": sum(1 for m in messages if m.created_at),
        "message.author_type=contact": sum(1 for m in messages if m.author_type == "contact"),
        "message.kind=note": sum(1 for m in messages if m.kind == "note"),
        "conversation.assignee_id": sum(1 for c in convs if c.assignee_id),
        "conversation.contacts": sum(1 for c in convs if c.contacts),
        "contact.email=&external_id=": sum(1 for c in contacts
                                           if not c.email and not c.external_id),
    }
    for key, count in expected.items():
        assert report.fidelity[line(key)] == count, key
    assert expected["message.created_at"] > 0 and expected["message.author_type=contact"] > 0
    assert report.skips[("contacts", "no email or external id: a Brevo contact needs one")] == \
        expected["contact.email=&external_id="]


def test_what_the_target_writes(pair, tmp_path, intercom_sim):
    source, target, target_sim = pair
    report = migrate(source, target, tmp_path / "run.db")
    assert report.ok, report.errors
    state = target_sim.state
    # every conversation is one visitor thread, its messages sent by agents, texts in order
    for listed in source.Conversation.all():
        conv = source.Conversation.find(id=listed.id)
        texts = [plain(with_attachments(m)) or "(empty message)" for m in conv.messages
                 if m.kind in ("comment", "note") and (m.body or m.attachments)]
        vid = visitor_id(conv)
        sent = [m for m in state.messages.values() if m["visitorId"] == vid]
        assert [m["text"] for m in sent] == texts
        assert {m["type"] for m in sent} == {"agent"}
    # attributes in Brevo's spelling, events with their names and times
    with_email = [c for c in source.Contact.all() if c.email]
    for contact in with_email:
        got = target.Contact.find(email=contact.email)
        for key, value in (contact.custom_attributes or {}).items():
            if isinstance(value, (str, int, float, bool)):
                assert str(got.custom_attributes[attribute_name(key)]).lower() in (
                    str(value).lower(), str(float(value)) if not isinstance(value, str)
                    else str(value).lower())
        want = sorted((event_name(e.name), int(e.created_at.timestamp()))
                      for e in contact.events())
        assert sorted((e.name, int(e.created_at.timestamp())) for e in got.events()) == want
    marker = [f.name for f in target.Folder.all() if str(f.name).startswith("chatmodels_")]
    assert len(marker) == 1 and '"journal"' in marker[0]


def test_brevo_source_reads_conversations_only_from_saved_webhooks(tmp_path):
    with serve("brevo", seed=3, contacts=10, conversations=4) as sim:
        key = {"api_key": sim.credentials["api_key"]}
        without = brevo.connect(base_url=sim.base_url, **key)
        assert list(without.Conversation.all()) == [] and list(without.Agent.all()) == []
        api = brevo.connect(base_url=sim.base_url, **sim.credentials)
        convs = list(api.Conversation.all())
        assert sorted(c.id for c in convs) == sorted(sim.state.conversations)
        assert {a.email for a in api.Agent.all()} <= {
            a["email"] for a in sim.state.agents.values()}
        # a copy of the directory elsewhere reads the same
        copy = tmp_path / "hooks"
        copy.mkdir()
        for n, payload in enumerate(sim.outbox):
            (copy / f"{n:04d}.json").write_text(json.dumps(payload))
        other = brevo.connect(base_url=sim.base_url, webhook_dir=str(copy), **key)
        assert [c.id for c in other.Conversation.all()] == [c.id for c in convs]
        anonymous = [c for c in convs if not c.visitor.get("contactId")]
        for conv in anonymous:
            (who,) = conv.contacts
            assert who.id == f"visitor:{conv.visitor_id}" and who.email is None
            assert list(api.Note.all(contact=who)) == [] and list(who.events()) == []
        # the directory is read again once it changes (a new payload saved)
        current = next(c for c in convs if c.state == "open")
        sim.visitor_says(current.visitor_id, "One more question")
        again = api.Conversation.find(current.id)
        assert [m.body for m in again.messages] == [m.body for m in current.messages] + [
            "One more question"]

"""Sendbee as a migration target and source, over loopback: the rate-limit-aware pacing keeps
a target at Sendbee's real limit (60 requests per window, the window shortened so the test stays
fast) without a single 429, and the dry-run fidelity report lists the declared lines with their
counts (history is declared per field, contacts/tags/fields/notes still migrate)."""

from __future__ import annotations

from typing import Any

from chatmodels import registry
from chatmodels.migrate import Migration
from chatmodels.sendbee.target import SendbeeTarget, phone_of
from chatmodels.testing import serve

from .conftest import FAST_RETRY

HISTORY = "not written: WhatsApp cannot import history (sending it would message the contact now)"


def connect(sim: Any) -> Any:
    return registry.get(sim.name).connect(base_url=sim.base_url, retry=FAST_RETRY,
                                          **sim.credentials)


def windows(stamps: list[float], length: float) -> list[int]:
    """Requests per window, as the simulator opens them (with the first request after one)."""
    counts: list[int] = []
    start = None
    for ts in sorted(stamps):
        if start is None or ts >= start + length:
            start = ts
            counts.append(0)
        counts[-1] += 1
    return counts


def test_pacing_keeps_a_sendbee_target_under_its_limit_without_429(tmp_path):
    with serve("crisp", seed=11, contacts=80) as source, \
            serve("sendbee", seed=12, contacts=0, conversations=0, requests_per_minute=60,
                  rate_window=2) as target:
        m = Migration(connect(source), connect(target), str(tmp_path / "j.db"),
                      progress=False, workers=4)
        report = m.run()
        m.close()
        assert report.ok, report.errors
        src = connect(source)
        assert report.steps["contacts"].created == \
            sum(1 for c in src.Contact.all() if phone_of(c.phone)) > 20
        statuses = [r.status for r in target.requests]
        assert 429 not in statuses and None not in statuses
        counts = windows([r.timestamp for r in target.requests], 2.0)
        assert len(target.requests) > 60 and len(counts) > 1  # the limit was reached
        assert max(counts) <= 60, counts


def test_dry_run_reports_history_per_field_and_still_plans_contacts(tmp_path):
    with serve("intercom", seed=11, contacts=30) as source, \
            serve("sendbee", seed=12, contacts=0, conversations=0,
                  requests_per_minute=0) as target:
        src = connect(source)
        with_phone = sum(1 for c in src.Contact.all() if phone_of(c.phone))
        m = Migration(src, connect(target), str(tmp_path / "j.db"), progress=False,
                      dry_run=True)
        report = m.run()
        assert [(r.method, r.path) for r in target.requests if r.method != "GET"] == []
        assert report.steps["contacts"].created == with_phone == 9
        assert set(report.unavailable) == {"events", "conversations"}
        convs = list(src.Conversation.all())
        messages = [msg for conv in convs for msg in src.Conversation.find(id=conv.id).messages
                    if msg.kind in ("comment", "note")]
        fid = report.fidelity
        assert fid[f"conversation.created_at: {HISTORY}"] == len(convs) == 15
        for field in ("author_type", "created_at"):
            assert fid[f"message.{field}: {HISTORY}"] == len(messages) == 49
        assert fid[f"message.body: {HISTORY}"] == sum(1 for msg in messages if msg.body)
        assert fid["contact.phone=: " + SendbeeTarget.fidelity["contact.phone="]] == 30 - 9
        assert fid["contact.email: not carried (Sendbee contacts have no email)"] == 30
        assert fid["note.author_id: not carried (Sendbee notes have no author)"] > 0


def test_phone_numbers_are_normalised_or_refused():
    assert phone_of("+33 6 12 34 56 78") == "+33612345678"
    assert phone_of("0044 (20) 7946-0958") == "+442079460958"
    assert phone_of("06 12 34 56 78") is None
    assert phone_of(None) is None


def test_the_journal_identity_of_a_sendbee_account_is_a_digest_of_its_key():
    def account(key: str) -> str:
        return SendbeeTarget.account_of(
            registry.get("sendbee").connect(api_key=key, api_secret="s" * 64,
                                            base_url="http://127.0.0.1:9"))
    assert account("k1") == account("k1") != account("k2")
    assert account("k1").startswith("key-") and "k1" not in account("k1")


def test_the_sendbee_target_declares_what_it_writes_and_the_history_it_cannot():
    from chatmodels.migrate import fidelity as fid
    assert registry.get("sendbee").target_class() is SendbeeTarget
    assert SendbeeTarget.writes == {"contacts", "tags", "contact_fields", "notes"}
    parsed = fid.declarations(SendbeeTarget)  # every key parses
    assert parsed
    history = {k for k, v in SendbeeTarget.fidelity.items() if v == HISTORY}
    assert history == {"conversation.created_at", "conversation.state",
                       "conversation.assignee_id", "message.body", "message.attachments",
                       "message.author_type", "message.author_id", "message.created_at"}

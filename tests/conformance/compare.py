"""Canonical content of an account, for comparing a migration's source and target.

Only canonical fields are read (through the public object model), so any two providers compare:
contacts by email (name, custom attributes, tags, note texts, event names; names of attributes
and events as :func:`spelled`) and conversations by their owner's email and the texts of their
comments and notes, in order.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from chatmodels.migrate.targets import plain, with_attachments

KINDS = ("comment", "note")


def squash(text: Any) -> str:
    """Text without markup or whitespace (providers differ in both)."""
    return re.sub(r"\s+", "", plain(text))


def spelled(name: Any) -> str:
    """A field or event name as any provider may spell it (``PLAN_TIER``, ``plan-tier``)."""
    return re.sub(r"[^a-z0-9]", "_", str(name).strip().lower())


def same(a: Any, b: Any) -> bool:
    """Equal once converted to the target's attribute type (299 == 299.0, True == "true")."""
    try:
        return float(a) == float(b)
    except (TypeError, ValueError):
        return str(a).lower() == str(b).lower()


def note_texts(contact: Any) -> list[str]:
    model = type(contact)._model("Note")
    return [squash(n.body) for n in model.all(contact=contact)]


def contacts(api: Any, *, events: bool) -> dict[str, dict[str, Any]]:
    """email -> canonical content of every contact that has an email."""
    names = {str(t.id): t.name for t in api.Tag.all()}  # embedded tags may lack their name
    out = {}
    for c in api.Contact.all():
        if not c.email:
            continue
        out[c.email.lower()] = {
            "name": c.name,
            "custom": {spelled(k): v for k, v in (c.custom_attributes or {}).items() if v is not None},
            "tags": sorted((names.get(str(t.id)) or t.name or str(t.id)).lower()
                           for t in c.tags or []),
            "notes": note_texts(c),
            "events": sorted(spelled(e.name) for e in c.events()) if events else [],
        }
    return out


def conversations(api: Any) -> Counter[tuple[str | None, tuple[str, ...]]]:
    """(owner email, message texts in order) of every conversation with comments or notes."""
    emails = {str(c.id): (c.email or "").lower() or None for c in api.Contact.all()}
    out: Counter[tuple[str | None, tuple[str, ...]]] = Counter()
    for listed in api.Conversation.all():
        conv = api.Conversation.find(id=listed.id)
        texts = tuple(squash(with_attachments(m)) for m in conv.messages
                      if m.kind in KINDS and (m.body or m.attachments))
        if not texts:
            continue
        owner = conv.contacts[0].id if conv.contacts else None
        out[(emails.get(str(owner)), texts)] += 1
    return out


def assert_migrated(source: Any, target: Any, *, events: bool,
                    owners: bool = True) -> tuple[int, int]:
    """Every source contact (with an email) and conversation is on the target, once.
    ``owners``: the target links conversations to contacts (else only texts compare).
    Returns how many contacts and conversations were compared."""
    src, dst = contacts(source, events=events), contacts(target, events=events)
    assert set(src) <= set(dst), sorted(set(src) - set(dst))
    for email, want in src.items():
        got = dst[email]
        if want["name"]:
            assert got["name"] == want["name"], email
        for key, value in want["custom"].items():
            assert key in got["custom"] and same(got["custom"][key], value), (email, key)
        assert got["tags"] == want["tags"], email
        notepad = "".join(got["notes"])
        assert all(text in notepad for text in want["notes"]), email
        assert got["events"] == want["events"], email
    want_convs, got_convs = conversations(source), conversations(target)
    # anonymous owners may map to a contact without an email: compare texts for those
    assert Counter(t for _, t in got_convs.elements()) == \
        Counter(t for _, t in want_convs.elements())
    for (email, texts), count in want_convs.items():
        if email is not None and owners:
            assert got_convs[(email, texts)] == count, (email, texts)
    return len(src), sum(want_convs.values())

"""Canonical content of an account, for comparing a migration's source and target.

Only canonical fields are read (through the public object model), so any two providers compare:
contacts by a key (email, or the phone number for providers whose contacts are phone numbers:
name, custom attributes, tags, note texts, event names; names of attributes and events as
:func:`spelled`) and conversations by their owner's key and the texts of their comments and
notes, in order.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from typing import Any

from chatmodels.errors import UnknownResource
from chatmodels.migrate.attachments import comparable
from chatmodels.migrate.targets import plain

KINDS = ("comment", "note")


def squash(text: Any) -> str:
    """Text without markup or whitespace (providers differ in both)."""
    return re.sub(r"\s+", "", plain(text))


def same(a: Any, b: Any) -> bool:
    """Equal once converted to the target's attribute type (299 == 299.0, True == "true")."""
    try:
        return float(a) == float(b)
    except (TypeError, ValueError):
        pass
    for date, stamp in ((a, b), (b, a)):  # an ISO date against the unix seconds it became
        if isinstance(date, str) and isinstance(stamp, (int, float)):
            try:
                when = dt.datetime.fromisoformat(date.strip())
            except ValueError:
                continue
            return int(when.replace(tzinfo=when.tzinfo or dt.timezone.utc).timestamp()) == stamp
    return str(a).lower() == str(b).lower()


def spelled(name: Any) -> str:
    """A field or event name as any provider may spell it (``PLAN_TIER``, ``plan-tier``)."""
    return re.sub(r"[^a-z0-9]", "_", str(name).strip().lower())


def key_of(contact: Any, key: str) -> str | None:
    """The contact's ``key`` as compared: lower-case email, phone without separators."""
    value = getattr(contact, key, None)
    if not value:
        return None
    if key == "phone":
        digits = re.sub(r"[^\d+]", "", str(value))
        return "+" + digits[2:] if digits.startswith("00") else digits
    return str(value).lower()


def note_texts(contact: Any) -> list[str]:
    """The contact's note texts; none on a provider without notes (LiveChat)."""
    try:
        model = type(contact)._model("Note")
    except UnknownResource:
        return []
    return [squash(n.body) for n in model.all(contact=contact)]


def event_names(contact: Any) -> list[str]:
    """The contact's event names; none on a provider without contact events (LiveChat)."""
    events = getattr(contact, "events", None)
    return sorted(spelled(e.name) for e in events()) if callable(events) else []


def contacts(api: Any, *, events: bool, notes: bool = True, tags: bool = True,
             key: str = "email") -> dict[str, dict[str, Any]]:
    """key -> canonical content of every contact that has one (events, notes and tags only
    when the target holds them)."""
    names = {str(t.id): t.name for t in api.Tag.all()}  # embedded tags may lack their name
    out = {}
    for c in api.Contact.all():
        k = key_of(c, key)
        if not k:
            continue
        out[k] = {
            "name": c.name,
            "custom": {spelled(name): v for name, v in (c.custom_attributes or {}).items()
                       if v is not None},
            "tags": sorted((names.get(str(t.id)) or t.name or str(t.id)).lower()
                           for t in c.tags or []) if tags else [],
            "notes": note_texts(c) if notes else [],
            "events": event_names(c) if events else [],
        }
    return out


def conversations(api: Any, key: str = "email") -> Counter[tuple[str | None, tuple[str, ...]]]:
    """(owner key, message texts in order) of every conversation with comments or notes."""
    emails = {str(c.id): key_of(c, key) for c in api.Contact.all()}
    out: Counter[tuple[str | None, tuple[str, ...]]] = Counter()
    for listed in api.Conversation.all():
        conv = api.Conversation.find(id=listed.id)
        texts = tuple(squash(comparable(m)) for m in conv.messages
                      if m.kind in KINDS and (m.body or m.attachments))
        if not texts:
            continue
        owner = conv.contacts[0].id if conv.contacts else None
        out[(emails.get(str(owner)), texts)] += 1
    return out


def assert_migrated(source: Any, target: Any, *, events: bool, notes: bool = True,
                    tags: bool = True, every_contact: bool = True, key: str = "email",
                    conversations_held: bool = True, owners: bool = True) -> tuple[int, int]:
    """Every source contact (with its ``key``) and conversation is on the target, once; events,
    notes and contact tags are compared when the target holds them, conversations when it
    holds them, and only the contacts owning a conversation when the target lists only those
    (``every_contact=False``). ``owners``: the target links conversations to contacts (else
    only texts compare). Returns how many contacts and conversations were compared."""
    held = {"events": events, "notes": notes, "tags": tags, "key": key}
    src, dst = contacts(source, **held), contacts(target, **held)
    if conversations_held:
        want_convs, got_convs = conversations(source, key), conversations(target, key)
    else:
        want_convs = got_convs = Counter()
    if not every_contact:
        owners = {email for email, _ in want_convs}
        src = {email: want for email, want in src.items() if email in owners}
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
    if not conversations_held:
        return len(src), 0
    # anonymous owners may map to a contact without an email: compare texts for those
    got_texts = Counter(t for _, t in got_convs.elements())
    want_texts = Counter(t for _, t in want_convs.elements())
    assert got_texts == want_texts, ("only on the target", got_texts - want_texts,
                                     "only on the source", want_texts - got_texts)
    for (email, texts), count in want_convs.items():
        if email is not None and owners:
            assert got_convs[(email, texts)] == count, (email, texts)
    return len(src), sum(want_convs.values())

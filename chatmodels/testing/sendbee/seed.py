"""Deterministic, realistic data for the Sendbee simulator (``random.Random`` only).

The first :func:`populate` call creates the business's tags, contact fields, templates, teams and
members; every call adds ``contacts`` contacts and ``conversations`` conversations (one per
contact, as on WhatsApp; extra contacts are made when there are more conversations than
contacts). Times are relative to the wall clock at seeding (the 24-hour window needs that):
open conversations had an inbound message within the last 20 hours, done ones 2 to 30 days ago,
and the most recently active conversation is open and inside the window.
"""

from __future__ import annotations

import random
from typing import Any

from .models import SendbeeState, new_uuid

__all__ = ["FIELDS", "TAGS", "TEMPLATES", "populate"]

FIRST = ("Ana", "Ivan", "Marko", "Petra", "Luka", "Maja", "Sara", "Tomislav", "Ivana", "Josip",
         "Emma", "Noah", "Olivia", "Liam", "Sofia", "Mateo", "Lea", "Hugo", "Nina", "Omar")
LAST = ("Horvat", "Kovačević", "Babić", "Marić", "Jurić", "Novak", "Knežević", "Vuković",
        "Smith", "García", "Müller", "Rossi", "Silva", "Khan", "Nguyen", "Dubois")
PREFIXES = ("+38591", "+38598", "+38595", "+4915", "+4477", "+3362", "+1415")
TAGS: tuple[str, ...] = ("vip", "lead", "customer", "newsletter", "wholesale")
#: (name, type, options)
FIELDS: tuple[tuple[str, str, list[str]], ...] = (
    ("package", "text", []), ("orders", "number", []), ("membership", "list", ["bronze", "silver", "gold"]),
    ("birthday", "date", []), ("opt_in", "boolean", []),
)
#: (keyword, language, status, text, attachment, rejected_reason)
TEMPLATES: tuple[tuple[str, str, str, str, str | None, str | None], ...] = (
    ("welcome", "en", "approved", "Welcome {{name}}! How can we help you?", None, None),
    ("welcome", "hr", "approved", "Dobrodošli {{name}}! Kako vam možemo pomoći?", None, None),
    ("order_update", "en", "approved", "Hi {{1}}, your order {{2}} has shipped.", "document",
     None),
    ("promo_spring", "en", "pending", "Spring sale: {{1}}% off!", "image", None),
    ("winback", "en", "rejected", "We miss you, {{1}}!", None, "Promotional content"),
)
INBOUND = ("Hi, is my order on its way?", "Do you ship to Zagreb?", "Thanks!",
           "Can I change my delivery address?", "What are your opening hours?", "Hello 👋",
           "I need help with my account", "Is the gold plan worth it?")
OUTBOUND = ("Hello! Let me check that for you.", "Yes, it shipped yesterday.",
            "You're welcome!", "Sure, send us the new address.", "We are open 9-17.",
            "Happy to help.")
TEAMS = ("Support", "Sales")
MEMBERS: tuple[tuple[str, str], ...] = (("Ana Admin", "owner"), ("Borna Agent", "agent"), ("Cvita Agent", "agent"),
           ("Dino Manager", "manager"))
HOUR = 3600
DAY = 24 * HOUR


def _first_call(state: SendbeeState, rng: random.Random, now: int) -> None:
    for name in TAGS:
        state.add_tag(name, rng)
    for name, kind, options in FIELDS:
        field: dict[str, Any] = {"id": new_uuid(rng), "name": name, "type": kind,
                                 "options": list(options)}
        state.fields[field["id"]] = field
    for keyword, language, status, text, attachment, reason in TEMPLATES:
        state.templates.append({
            "id": new_uuid(rng), "keyword": keyword, "name": keyword.replace("_", " "),
            "category": "MARKETING" if keyword.startswith("promo") else "UTILITY",
            "text": text, "language": language, "status": status,
            "rejected_reason": reason, "reject_reason": reason, "attachment": attachment,
            "tags": [{"name": p} for p in SendbeeState.placeholders(text)],
            "button_tags": [], "buttons": []})
    members = []
    for name, role in MEMBERS:
        member: dict[str, Any] = {"id": new_uuid(rng), "name": name, "role": role,
                  "online": rng.random() < 0.6, "available": rng.random() < 0.7}
        state.members[member["id"]] = member
        members.append(member["id"])
    for index, name in enumerate(TEAMS):
        team: dict[str, Any] = {"id": new_uuid(rng), "name": name,
                "member_ids": members[index::2] + ([members[0]] if index else [])}
        state.teams[team["id"]] = team


def _phone(state: SendbeeState, rng: random.Random) -> str:
    while True:
        prefix = rng.choice(PREFIXES)
        phone = prefix + "".join(str(rng.randrange(10)) for _ in range(12 - len(prefix) + 1))
        if phone not in state.phones:
            return phone


def _contact(state: SendbeeState, rng: random.Random, now: int) -> dict[str, Any]:
    name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
    created = now - rng.randrange(40 * DAY, 400 * DAY)
    contact = state.add_contact(_phone(state, rng), name=name, created=created, rng=rng)
    contact["modified_at"] = created + rng.randrange(0, 30 * DAY)
    tag_ids = list(state.tags)
    contact["tags"] = rng.sample(tag_ids, rng.randrange(0, 3)) if tag_ids else []
    for field in state.fields.values():
        if rng.random() < 0.5:
            continue
        kind = field["type"]
        if kind == "text":
            value = rng.choice(("free", "pro", "business"))
        elif kind == "number":
            value = str(rng.randrange(0, 40))
        elif kind == "list":
            value = rng.choice(field["options"])
        elif kind == "date":
            value = f"19{rng.randrange(60, 99)}-0{rng.randrange(1, 9)}-1{rng.randrange(0, 9)}"
        else:
            value = rng.choice(("true", "false"))
        contact["fields"][field["id"]] = value
    if rng.random() < 0.3:
        contact["notes"].append({"id": new_uuid(rng), "value": "Prefers WhatsApp over email."})
    if rng.random() < 0.05:
        contact["status"] = "unsubscribed"
    return contact


def _conversation(state: SendbeeState, rng: random.Random, contact: dict[str, Any], now: int,
                  *, recent: bool) -> None:
    folder = "open" if recent else rng.choice(("done", "done", "done", "spam", "notified"))
    last_inbound = now - (rng.randrange(HOUR, 20 * HOUR) if recent
                          else rng.randrange(2 * DAY, 30 * DAY))
    count = rng.randrange(1, 6)
    start = last_inbound - count * 7 * 60
    conv = state.add_conversation(contact, folder=folder, created=start - 60, rng=rng)
    conv["chatbot_active"] = rng.random() < 0.3
    agents = list(state.members)
    for i in range(count):
        sent = start + i * 7 * 60
        state.add_message(conv, body=rng.choice(INBOUND), direction="inbound", sent_at=sent,
                          rng=rng)
        if i < count - 1 or rng.random() < 0.5:
            state.add_message(conv, body=rng.choice(OUTBOUND), direction="outbound",
                              sent_at=sent + 120, agent_id=rng.choice(agents) if agents else None,
                              status="read", rng=rng)
    # the contact's last message closes the exchange: the window runs from it
    msgs = state.messages[conv["id"]]
    if msgs and msgs[-1]["direction"] == "outbound" and msgs[-1]["sent_at"] > last_inbound:
        msgs[-1]["sent_at"] = last_inbound + 60


def populate(state: SendbeeState, rng: random.Random, *, contacts: int = 0,
             conversations: int | None = None, **_: Any) -> None:
    """Add ``contacts`` contacts and ``conversations`` conversations (default: a third of
    the contacts) to ``state``."""
    now = state.now()
    if not state.tags and not state.fields and not state.templates:
        _first_call(state, rng, now)
    made = [_contact(state, rng, now) for _ in range(contacts)]
    if conversations is None:
        conversations = contacts // 3
    free = [c for c in made if c["id"] not in state.by_contact]
    while len(free) < conversations:
        free.append(_contact(state, rng, now))
    for index, contact in enumerate(free[:conversations]):
        _conversation(state, rng, contact, now, recent=index == 0 or rng.random() < 0.5)

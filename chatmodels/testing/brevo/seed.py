"""Deterministic, realistic seeding of the Brevo simulator."""

from __future__ import annotations

import random
from typing import Any

from .models import BrevoState

FIRST = ("Ann", "Bob", "Chloe", "David", "Emma", "Farid", "Greta", "Hugo", "Ines", "Jonas",
         "Kim", "Lena", "Marco", "Nora", "Omar", "Paula", "Quentin", "Rosa", "Sven", "Tara")
LAST = ("Martin", "Dupont", "Smith", "Garcia", "Rossi", "Nowak", "Silva", "Berg", "Kowalski",
        "Moreau", "Novak", "Jensen", "Costa", "Meyer", "Petit")
PLANS = ("free", "starter", "pro", "enterprise")
DOMAINS = ("example.com", "example.org", "example.net")
CUSTOM_ATTRIBUTES = (("normal", "PLAN", "text"), ("normal", "SCORE", "float"),
                     ("normal", "SIGNUP_DATE", "date"), ("normal", "OPT_IN", "boolean"))
TEXTS = ("Hello, I have a question about my order.", "Where is my parcel?",
         "Can I change my delivery address?", "Thanks for your help!",
         "Do you ship to Canada?", "My coupon code does not work.")
REPLIES = ("Hi! Let me check that for you.", "Your order has shipped.",
           "Sure, I have updated it.", "You're welcome!", "Yes, we do.",
           "I have applied the discount manually.")
#: 2024-01-01T00:00:00Z, where seeded history starts
EPOCH = 1704067200.0


def populate(state: BrevoState, rng: random.Random, **counts: int) -> None:
    state.rng = rng
    first_run = not state.folders
    if first_run:
        _structure(state)
    contacts = int(counts.get("contacts", 0))
    start = len(state.contacts)
    for i in range(contacts):
        n = start + i
        first, last = rng.choice(FIRST), rng.choice(LAST)
        attrs: dict[str, Any] = {"FIRSTNAME": first, "LASTNAME": last,
                                 "PLAN": rng.choice(PLANS),
                                 "SCORE": round(rng.uniform(0, 100), 1)}
        if rng.random() < 0.3:
            attrs["SMS"] = f"3361{n:07d}"
        if rng.random() < 0.5:
            attrs["EXT_ID"] = f"crm-{n:06d}"
        if rng.random() < 0.4:
            attrs["OPT_IN"] = rng.random() < 0.5
        lists = [lid for lid in state.lists if rng.random() < 0.3]
        email = f"{first.lower()}.{last.lower()}.{n}@{rng.choice(DOMAINS)}"
        state.add_contact(email, attrs, list_ids=lists, at=EPOCH + n * 60,
                          email_blacklisted=rng.random() < 0.05)
    ids = list(state.contacts)
    for _ in range(int(counts.get("companies", 0))):
        _company(state, rng, ids)
    for _ in range(int(counts.get("notes", 0))):
        if ids:
            _note(state, rng, ids)
    for _ in range(int(counts.get("events", 0))):
        if ids:
            _event(state, rng, ids)
    for _ in range(int(counts.get("conversations", 0))):
        _conversation(state, rng, ids)


def _structure(state: BrevoState) -> None:
    for category, name, kind in CUSTOM_ATTRIBUTES:
        state.attributes[(category, name)] = {"name": name, "category": category, "type": kind}
    state.attributes[("category", "GENDER")] = {
        "name": "GENDER", "category": "category", "type": "text",
        "enumeration": [{"value": 1, "label": "Men"}, {"value": 2, "label": "Women"},
                        {"value": 3, "label": "Other"}]}
    for name in ("Newsletters", "Customers"):
        fid = state.next_id("folder")
        state.folders[fid] = {"id": fid, "name": name}
    for name, folder in (("Weekly digest", 1), ("Product news", 1), ("Paying customers", 2)):
        lid = state.next_id("list")
        state.lists[lid] = {"id": lid, "name": name, "folderId": folder,
                            "createdAt": "2023-12-01T09:00:00.000Z"}
    for name, category, match in (
            ("Pro and enterprise", "Plans",
             lambda c: c["attributes"].get("PLAN") in ("pro", "enterprise")),
            ("Opted in", "Consent", lambda c: c["attributes"].get("OPT_IN") is True)):
        sid = state.next_id("segment")
        state.segments[sid] = {"id": sid, "segmentName": name, "categoryName": category,
                               "updatedAt": "2023-12-15T10:00:00.000Z", "_match": match}
    for agent_id, name, email in (("d9nKoegKSjmCtyK78", "Liz", "liz@example.com"),
                                  ("bnRzp4CioKudG4aHm", "Julia", "julia@example.com"),
                                  ("Ab3kQz9LmNpRsTuVw", "Marc", "marc@example.com")):
        state.agents[agent_id] = {"id": agent_id, "name": name, "email": email,
                                  "userpic": None}
    state.groups["PjRBMhWGen6aRHjif"] = {"id": "PjRBMhWGen6aRHjif", "name": "Support",
                                         "agentIds": ["d9nKoegKSjmCtyK78", "bnRzp4CioKudG4aHm"]}
    state.groups["Gq7TxY2wErTyUiOpA"] = {"id": "Gq7TxY2wErTyUiOpA", "name": "Sales",
                                         "agentIds": ["Ab3kQz9LmNpRsTuVw"]}


def _company(state: BrevoState, rng: random.Random, ids: list[int]) -> None:
    cid = state.object_id()
    linked = sorted(rng.sample(ids, min(len(ids), rng.randint(0, 3))))
    name = f"{rng.choice(LAST)} {rng.choice(('SAS', 'GmbH', 'Ltd', 'Inc'))}"
    state.companies[cid] = {
        "id": cid,
        "attributes": {"name": name, "domain": f"{name.split()[0].lower()}.example.com",
                       "industry": rng.choice(("Retail", "Software", "Logistics")),
                       "number_of_employees": rng.choice((5, 20, 120, 900)),
                       "created_at": "2024-01-02T10:00:00.000Z",
                       "last_updated_at": "2024-01-02T10:00:00.000Z",
                       "number_of_contacts": len(linked)},
        "linkedContactsIds": linked, "linkedDealsIds": []}


def _note(state: BrevoState, rng: random.Random, ids: list[int]) -> None:
    nid = state.object_id()
    stamp = f"2024-02-{rng.randint(1, 28):02d}T{rng.randint(8, 18):02d}:00:00.000Z"
    state.notes[nid] = {"id": nid, "text": rng.choice(("Called, wants a demo.",
                                                       "Asked for an invoice copy.",
                                                       "Renewal due next month.")),
                        "contactIds": [rng.choice(ids)], "dealIds": [], "companyIds": [],
                        "authorId": dict(state.account_user), "createdAt": stamp,
                        "updatedAt": stamp}


def _event(state: BrevoState, rng: random.Random, ids: list[int]) -> None:
    state.events.append({
        "contact_id": rng.choice(ids),
        "event_date": f"2024-03-{rng.randint(1, 28):02d}T12:00:00.000Z",
        "event_name": rng.choice(("order_created", "cart_updated", "video_played")),
        "source": "api", "object_type": "contact",
        "event_properties": {"amount": rng.randint(5, 300)}, "contact_properties": {}})


def _conversation(state: BrevoState, rng: random.Random, ids: list[int]) -> None:
    visitor_id = "".join(rng.choice("abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")
                         for _ in range(32))
    visitor = state.visitor(visitor_id)
    if ids and rng.random() < 0.6:
        contact = state.contacts[rng.choice(ids)]
        visitor.update(contactId=contact["id"], displayedName=" ".join(
            p for p in (contact["attributes"].get("FIRSTNAME"),
                        contact["attributes"].get("LASTNAME")) if p),
            contactAttributes={"EMAIL": contact.get("email")})
    agent = state.agents[rng.choice(list(state.agents))]
    at = int((EPOCH + rng.randint(0, 86400 * 60)) * 1000)
    for turn in range(rng.randint(2, 6)):
        at += rng.randint(20, 600) * 1000
        if turn % 2 == 0:
            state.add_message(visitor_id, rng.choice(TEXTS), agent=None, at_ms=at)
        else:
            state.add_message(visitor_id, rng.choice(REPLIES), agent=agent, at_ms=at)
    if rng.random() < 0.5:
        state.close(visitor_id)

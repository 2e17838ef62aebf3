"""Sendbee (API v2, WhatsApp): every request is signed (a fresh ``X-Auth-Token``), and the
simulator's per-minute rate limit is turned off for the kit (``requests_per_minute=0``; the
429 tests inject their own).

Roles: contacts are paged and created (``POST /contacts/subscribe``) but Sendbee has no
contact-by-id endpoint: ``Contact.find`` searches by phone (the cases' ``key``), so the record
class (found by id, loaded partially, reloaded) is ``Conversation`` (``GET
/conversation?conversation_id=``), open ones (the edit moves one to ``done``); tags are
deleted (``DELETE /contacts/tags`` with the id in the body). Nothing has a search.
"""

from __future__ import annotations

from typing import Any

from .base import Case, Edit, Profile
from .base import first as _first


def _contact(n: int) -> dict[str, Any]:
    return {"phone": f"+3859900{n:05d}", "name": f"Kit Person {n}"}


def _contact_edit(obj: Any) -> None:
    obj.name = "Renamed Person"
    obj.custom_attributes["package"] = "kit-plan"  # a seeded contact field


def _open(sim: Any) -> set[str]:
    return {c["id"] for c in sim.state.conversations.values() if c["folder"] == "open"}


SENDBEE = Profile(
    name="sendbee",
    seed=42,
    counts={"contacts": 45, "conversations": 12},
    sim_options={"requests_per_minute": 0},
    prefix=lambda sim: "",
    bad_credentials=lambda sim: {**sim.credentials, "api_secret": "0" * 64},
    secrets=lambda sim: [sim.credentials["api_key"], sim.credentials["api_secret"]],
    paged="Contact",
    page_size=10,
    state_ids=lambda sim: set(sim.state.contacts),
    list_path="/contacts",
    record="Conversation",
    record_ids=_open,
    missing_id="00000000-0000-4000-8000-000000000000",
    partial_field="folder",
    instance_path=lambda id: "/conversation",
    created="Contact",
    created_ids=lambda sim: set(sim.state.contacts),
    create_path="/contacts/subscribe",
    new_contact=_contact,
    deleted="Tag",
    deleted_ids=lambda sim: set(sim.state.tags),
    delete_request=lambda id: ("DELETE", "/contacts/tags"),
    server_invalid=lambda api: api.Contact.create(phone="not-a-phone", name="Kit Invalid"),
    invalid_status=400,
    cases=(
        Case("Contact",
             new=lambda api, owner: _contact(1),
             expect={"phone": "+385990000001", "name": "Kit Person 1"},
             key=lambda obj: {"phone": obj.phone},
             edit=_contact_edit,
             changes={"name": "Renamed Person", "custom_attributes": {"package": "kit-plan"}},
             sends=lambda obj: [("PUT", "/contacts", {
                 "id": obj.id, "name": "Renamed Person",
                 "contact_fields": {"package": "kit-plan"}})],
             then=(Edit(lambda obj: obj.custom_attributes.pop("package"),
                        {"custom_attributes": {"package": None}},
                        lambda obj: [("PUT", "/contacts", {
                            "id": obj.id, "contact_fields": {"package": None}})]),),
             lookups=lambda obj: {"phone": obj.phone}),
        Case("Tag",
             new=lambda api, owner: {"name": "kit-tag"},
             expect={"name": "kit-tag"},
             edit=lambda obj: setattr(obj, "name", "kit-tag-renamed"),
             changes={"name": "kit-tag-renamed"},
             sends=lambda obj: [("PUT", "/contacts/tags",
                                 {"id": obj.id, "name": "kit-tag-renamed"})],
             lookups=lambda obj: {"name": obj.name}),
        Case("ContactField",
             new=lambda api, owner: {"name": "kit_tier", "type": "list", "options": ["gold"]},
             expect={"name": "kit_tier", "data_type": "list", "options": ["gold"]},
             edit=lambda obj: setattr(obj, "options", ["gold", "silver"]),
             changes={"options": ["gold", "silver"]},
             # Sendbee wants the name and the type on every update
             sends=lambda obj: [("PUT", "/contacts/fields", {
                 "id": obj.id, "name": "kit_tier", "type": "list",
                 "options": ["gold", "silver"]})]),
        Case("Note",
             owner=lambda api: {"contact": _first(api.Contact.all())},
             new=lambda api, owner: {"body": "A note from the kit"},
             expect={"body": "A note from the kit"}),
        Case("Conversation",
             existing=lambda api, owner: _first(api.Conversation.all(folder="open")),
             edit=lambda obj: setattr(obj, "folder", "done"),
             changes={"folder": "done"},
             sends=lambda obj: [("POST", "/conversation",
                                 {"conversation_id": obj.id, "folder": "done"})],
             # the canonical spelling moves it back
             then=(Edit(lambda obj: setattr(obj, "state", "open"), {"state": "open"},
                        lambda obj: [("POST", "/conversation",
                                      {"conversation_id": obj.id, "folder": "open"})]),)),
        Case("Message",
             owner=lambda api: {"conversation": _first(api.Conversation.all())},
             existing=lambda api, owner: _first(api.Message.all(**owner))),
        Case("MessageTemplate", existing=lambda api, owner: _first(api.MessageTemplate.all())),
        Case("Team", existing=lambda api, owner: _first(api.Team.all())),
        Case("Agent", existing=lambda api, owner: _first(api.Agent.all())),
    ),
    holds_events=False,
    holds_conversations=False,
    contact_key="phone",
    skipped_classes={
        "Bot": "the chatbot switch of a conversation (Bot.status/turn_on/turn_off): no objects"},
)

#: migration pairs this provider adds to the round-trip suite (see ``MIGRATIONS``)
PAIRS: tuple[tuple[str, str], ...] = (("crisp", "sendbee"), ("sendbee", "intercom"),
                                      ("intercom", "sendbee"))

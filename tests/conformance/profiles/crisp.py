"""Crisp (REST v1): every route is under ``/v1/website/<website_id>``."""

from __future__ import annotations

from typing import Any

from .base import Case, Edit, Profile
from .base import first as _first


def _crisp_prefix(sim: Any) -> str:
    return f"/v1/website/{sim.credentials['website_id']}"


def _crisp_contact(n: int) -> dict[str, Any]:
    return {"email": f"kit-{n}@example.com", "name": f"Kit Person {n}"}


def _crisp_contact_edit(obj: Any) -> None:
    obj.name = "Renamed Person"
    obj.custom_attributes["plan"] = "kit-plan"


def _crisp_conversation(api: Any) -> Any:
    for conv in api.Conversation.all():
        if conv.contacts:
            return conv
    raise AssertionError("no seeded Crisp conversation with a contact")


CRISP = Profile(
    name="crisp",
    seed=42,
    counts={"contacts": 90},
    prefix=_crisp_prefix,
    bad_credentials=lambda sim: {**sim.credentials, "key": "0" * 64},
    secrets=lambda sim: [sim.credentials["identifier"], sim.credentials["key"]],
    paged="Contact",
    page_size=20,
    state_ids=lambda sim: set(sim.state.people),
    list_path="/people/profiles",
    create_path="/people/profile",
    search_path="/people/profiles",
    new_contact=_crisp_contact,
    missing_id="00000000-0000-4000-8000-000000000000",
    partial_field="email",
    instance_path=lambda id: f"/people/profile/{id}",
    server_invalid=lambda api: _first(api.Conversation.all()).assign("not-an-operator"),
    invalid_status=400,
    cases=(
        Case("Contact",
             new=lambda api, owner: _crisp_contact(1),
             expect={"email": "kit-1@example.com", "name": "Kit Person 1"},
             edit=_crisp_contact_edit,
             # name is person.nickname; custom_attributes is the people data (its own route)
             changes={"person": {"nickname": "Renamed Person"},
                      "custom_attributes": {"plan": "kit-plan"}},
             sends=lambda obj: [
                 ("PATCH", f"/people/profile/{obj.id}", {"person": {"nickname": "Renamed Person"}}),
                 ("PATCH", f"/people/data/{obj.id}", {"data": {"plan": "kit-plan"}})],
             # Crisp merges people data: removing a key saves the whole data (PUT)
             then=(Edit(lambda obj: obj.custom_attributes.pop("plan"),
                        {"custom_attributes": {"plan": None}},
                        lambda obj: [("PUT", f"/people/data/{obj.id}",
                                      {"data": dict(obj.custom_attributes)})]),
                   Edit(lambda obj: setattr(obj, "segments", ["kit-segment"]),
                        {"segments": ["kit-segment"]},
                        lambda obj: [("PATCH", f"/people/profile/{obj.id}",
                                      {"segments": ["kit-segment"]})])),
             lookups=lambda obj: {"email": obj.email},
             search=lambda obj: {"email": obj.email}),
        Case("Conversation",
             new=lambda api, owner: {"contact": "kit-conv@example.com", "body": "Hello from the kit",
                                     "title": "Kit subject"},
             expect={"title": "Kit subject"},
             edit=lambda obj: setattr(obj, "title", "Kit subject, edited"),
             changes={"meta": {"subject": "Kit subject, edited"}},
             sends=lambda obj: [("PATCH", f"/conversation/{obj.id}/meta",
                                 {"subject": "Kit subject, edited"})],
             search=lambda obj: {"query": "Hello from the kit"}),
        Case("Message",
             owner=lambda api: {"conversation": _crisp_conversation(api)},
             find_in_owner=True,
             existing=lambda api, owner: _first(api.Message.all(**owner)),
             edit=lambda obj: setattr(obj, "body", "Edited by the kit"),
             changes={"content": "Edited by the kit"},
             sends=lambda obj: [("PATCH", f"/conversation/{obj.conversation_id}/message/{obj.id}",
                                 {"content": "Edited by the kit"})]),
        Case("Note",
             owner=lambda api: {"contact": _first(api.Contact.all())},
             new=lambda api, owner: {"body": "A note from the kit"},
             edit=lambda obj: setattr(obj, "body", "The kit's notepad"),
             changes={"body": "The kit's notepad"},
             sends=lambda obj: [("PATCH", f"/people/profile/{obj.id}",
                                 {"notepad": "The kit's notepad"})]),
        Case("Event",
             owner=lambda api: {"contact": _first(api.Contact.all())},
             new=lambda api, owner: {"name": "kit-event", "metadata": {"n": 1}},
             expect={"name": "kit-event"}),
        Case("Tag", existing=lambda api, owner: _first(api.Tag.all())),
        Case("Operator", existing=lambda api, owner: _first(api.Operator.all())),
        Case("ContactField", existing=lambda api, owner: _first(api.ContactField.all())),
        Case("Visitor", existing=lambda api, owner: _first(api.Visitor.all())),
    ),
    skipped_classes={"Company": "no API of its own: a field of the profile",
                     "Website": "the account itself: no operations"},
)

#: migration pairs this provider adds to the round-trip suite (see ``MIGRATIONS``)
PAIRS: tuple[tuple[str, str], ...] = (("crisp", "intercom"), ("intercom", "crisp"))

"""Brevo (API v3): contacts and CRM under ``/v3``. Brevo has no contact search (the search
retry test is skipped), answers a delete with 204, and cannot list conversations (the client
reads them from the simulator's saved webhooks, ``webhook_dir`` in ``sim.credentials``)."""

from __future__ import annotations

from typing import Any

from .base import Case, Edit, Profile
from .base import first as _first


def _contact(n: int) -> dict[str, Any]:
    return {"email": f"kit-{n}@example.com", "name": f"Kit Person {n}"}


def _contact_edit(obj: Any) -> None:
    obj.name = "Renamed Person"
    obj.custom_attributes["PLAN"] = "kit-plan"


BREVO = Profile(
    name="brevo",
    seed=42,
    counts={"contacts": 90, "companies": 3, "notes": 5, "events": 5, "conversations": 3},
    prefix=lambda sim: "/v3",
    bad_credentials=lambda sim: {"api_key": "xkeysib-" + "0" * 64 + "-" + "0" * 16},
    secrets=lambda sim: [sim.credentials["api_key"]],
    paged="Contact",
    page_size=20,
    state_ids=lambda sim: set(sim.state.contacts),
    list_path="/contacts",
    create_path="/contacts",
    new_contact=_contact,
    missing_id="999999",
    partial_field="email",
    instance_path=lambda id: f"/contacts/{id}",
    server_invalid=lambda api: api.Contact.create(email="kit-invalid@example.com",
                                                  custom_attributes={"NO_SUCH_ATTRIBUTE": 1}),
    invalid_status=400,
    cases=(
        Case("Contact",
             new=lambda api, owner: _contact(1),
             expect={"email": "kit-1@example.com", "name": "Kit Person 1"},
             edit=_contact_edit,
             # the name is FIRSTNAME/LASTNAME: both are attributes, sent with the new key
             changes={"custom_attributes": {"FIRSTNAME": "Renamed", "LASTNAME": "Person",
                                            "PLAN": "kit-plan"}},
             sends=lambda obj: [("PUT", f"/contacts/{obj.id}", {"attributes": {
                 "FIRSTNAME": "Renamed", "LASTNAME": "Person", "PLAN": "kit-plan"}})],
             then=(Edit(lambda obj: obj.custom_attributes.pop("PLAN"),
                        {"custom_attributes": {"PLAN": None}},
                        lambda obj: [("PUT", f"/contacts/{obj.id}",
                                      {"attributes": {"PLAN": None}})]),),
             lookups=lambda obj: {"email": obj.email}),
        Case("ContactField",
             new=lambda api, owner: {"name": "KIT_TIER", "data_type": "list",
                                     "multi_category_options": ["gold"]},
             expect={"name": "KIT_TIER", "data_type": "list", "options": ["gold"]},
             edit=lambda obj: setattr(obj, "multi_category_options", ["gold", "silver"]),
             changes={"multi_category_options": ["gold", "silver"]},
             sends=lambda obj: [("PUT", "/contacts/attributes/normal/KIT_TIER",
                                 {"multiCategoryOptions": ["gold", "silver"]})]),
        Case("Tag",
             new=lambda api, owner: {"name": "kit-list", "folder_id": 1},
             expect={"name": "kit-list"},
             edit=lambda obj: setattr(obj, "name", "kit-list-renamed"),
             changes={"name": "kit-list-renamed"},
             sends=lambda obj: [("PUT", f"/contacts/lists/{obj.id}",
                                 {"name": "kit-list-renamed"})]),
        Case("Folder",
             new=lambda api, owner: {"name": "kit-folder"},
             expect={"name": "kit-folder"},
             edit=lambda obj: setattr(obj, "name", "kit-folder-renamed"),
             changes={"name": "kit-folder-renamed"},
             sends=lambda obj: [("PUT", f"/contacts/folders/{obj.id}",
                                 {"name": "kit-folder-renamed"})]),
        Case("Segment", existing=lambda api, owner: _first(api.Segment.all())),
        Case("Company",
             new=lambda api, owner: {"name": "Kit Co", "website": "kit.example.com"},
             expect={"name": "Kit Co", "website": "kit.example.com"},
             edit=lambda obj: setattr(obj, "industry", "Kits"),
             changes={"custom_attributes": {"industry": "Kits"}},
             sends=lambda obj: [("PATCH", f"/companies/{obj.id}",
                                 {"attributes": {"industry": "Kits"}})]),
        Case("Note",
             owner=lambda api: {"contact": _first(api.Contact.all())},
             new=lambda api, owner: {"body": "A note from the kit"},
             expect={"body": "A note from the kit"},
             edit=lambda obj: setattr(obj, "body", "Edited by the kit"),
             changes={"body": "Edited by the kit"},
             sends=lambda obj: [("PATCH", f"/crm/notes/{obj.id}",
                                 {"text": "Edited by the kit"})]),
        Case("Event",
             owner=lambda api: {"contact": _first(api.Contact.all())},
             new=lambda api, owner: {"name": "kit-event", "metadata": {"n": 1}},
             expect={"name": "kit-event"},
             waived={"save": "events have no id and cannot change: save() only sends once"}),
        Case("Message",
             new=lambda api, owner: {"visitor_id": "kit-visitor", "text": "Hello from the kit",
                                     "agent": "d9nKoegKSjmCtyK78"},
             expect={"body": "Hello from the kit"},
             edit=lambda obj: setattr(obj, "text", "Edited by the kit"),
             changes={"body": "Edited by the kit"},
             sends=lambda obj: [("PUT", f"/conversations/messages/{obj.id}",
                                 {"text": "Edited by the kit"})]),
        Case("PushedMessage",
             new=lambda api, owner: {"visitor_id": "kit-visitor", "text": "Pushed by the kit",
                                     "group_id": "PjRBMhWGen6aRHjif"},
             expect={"body": "Pushed by the kit"},
             edit=lambda obj: setattr(obj, "text", "Edited by the kit"),
             changes={"body": "Edited by the kit"},
             sends=lambda obj: [("PUT", f"/conversations/pushedMessages/{obj.id}",
                                 {"text": "Edited by the kit"})]),
    ),
    # Brevo's API cannot link a visitor to a contact: migrated conversations are anonymous
    links_conversations=False,
    skipped_classes={
        "Agent": "no API but the online ping: no list, find or save",
        "Conversation": "assembled from messages and webhooks: no API of its own"},
)

#: migration pairs this provider adds to the round-trip suite (see ``MIGRATIONS``)
PAIRS: tuple[tuple[str, str], ...] = (("intercom", "brevo"), ("crisp", "brevo"),
                                      ("brevo", "intercom"))

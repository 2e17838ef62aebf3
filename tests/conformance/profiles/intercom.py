"""Intercom (REST 2.16): its traffic is also checked against the OpenAPI spec."""

from __future__ import annotations

from typing import Any

from .base import Case, Edit, Profile
from .base import first as _first


def _intercom_contact(n: int) -> dict[str, Any]:
    return {"email": f"kit-{n}@example.com", "name": f"Kit Person {n}"}


def _intercom_contact_edit(obj: Any) -> None:
    obj.name = "Renamed Person"
    obj.custom_attributes["plan"] = "kit-plan"


INTERCOM = Profile(
    name="intercom",
    seed=42,
    counts={"contacts": 90},
    prefix=lambda sim: "",
    bad_credentials=lambda sim: {**sim.credentials,
                                 "access_token": "dG9rOm" + "x" * 40},
    secrets=lambda sim: [sim.credentials["access_token"]],
    paged="Contact",
    page_size=20,
    state_ids=lambda sim: set(sim.state.contacts),
    list_path="/contacts",
    create_path="/contacts",
    search_path="/contacts/search",
    new_contact=_intercom_contact,
    missing_id="0000000000000000deadbeef",
    partial_field="email",
    instance_path=lambda id: f"/contacts/{id}",
    server_invalid=lambda api: api.Contact.create(email="kit-invalid@example.com",
                                                  custom_attributes={"no_such_attribute": 1}),
    invalid_status=400,
    spec="intercom/api.intercom.io.2.16.yaml",
    cases=(
        Case("Contact",
             new=lambda api, owner: _intercom_contact(1),
             expect={"email": "kit-1@example.com", "name": "Kit Person 1"},
             edit=_intercom_contact_edit,
             changes={"name": "Renamed Person", "custom_attributes": {"plan": "kit-plan"}},
             sends=lambda obj: [("PUT", f"/contacts/{obj.id}", {
                 "name": "Renamed Person", "custom_attributes": {"plan": "kit-plan"}})],
             then=(Edit(lambda obj: obj.custom_attributes.pop("plan"),
                        {"custom_attributes": {"plan": None}},
                        lambda obj: [("PUT", f"/contacts/{obj.id}",
                                      {"custom_attributes": {"plan": None}})]),),
             lookups=lambda obj: {"email": obj.email},
             search=lambda obj: {"email": obj.email}),
        Case("Company",
             new=lambda api, owner: {"company_id": "kit-co-1", "name": "Kit Co"},
             expect={"company_id": "kit-co-1", "name": "Kit Co"},
             edit=lambda obj: setattr(obj, "name", "Kit Co Renamed"),
             changes={"name": "Kit Co Renamed"},
             sends=lambda obj: [("PUT", f"/companies/{obj.id}", {"name": "Kit Co Renamed"})],
             lookups=lambda obj: {"company_id": obj.company_id}),
        Case("Tag",
             new=lambda api, owner: {"name": "kit-tag"},
             expect={"name": "kit-tag"},
             edit=lambda obj: setattr(obj, "name", "kit-tag-renamed"),
             changes={"name": "kit-tag-renamed"},
             # Intercom renames a tag with POST /tags and its id
             sends=lambda obj: [("POST", "/tags", {"name": "kit-tag-renamed", "id": str(obj.id)})]),
        Case("DataAttribute",
             new=lambda api, owner: {"name": "kit_score", "model": "contact",
                                     "data_type": "integer", "description": "Kit score"},
             expect={"name": "kit_score", "data_type": "integer"},
             edit=lambda obj: setattr(obj, "description", "Kit score, edited"),
             changes={"description": "Kit score, edited"},
             sends=lambda obj: [("PUT", f"/data_attributes/{obj.id}",
                                 {"description": "Kit score, edited"})]),
        Case("Conversation",
             new=lambda api, owner: {"contact": _first(api.Contact.all()),
                                     "body": "Hello from the kit"},
             edit=lambda obj: setattr(obj, "title", "Kit title"),
             changes={"title": "Kit title"},
             sends=lambda obj: [("PUT", f"/conversations/{obj.id}", {"title": "Kit title"})],
             search=lambda obj: {"id": obj.id}),
        Case("Note",
             owner=lambda api: {"contact": _first(api.Contact.all())},
             new=lambda api, owner: {"body": "A note from the kit"}),
        Case("Event",
             owner=lambda api: {"contact": _first(api.Contact.all())},
             new=lambda api, owner: {"name": "kit-event", "metadata": {"n": 1}},
             expect={"name": "kit-event"}),
        Case("Message",
             new=lambda api, owner: {"body": "Outbound from the kit",
                                     "to": _first(api.Contact.all())}),
        Case("Admin", existing=lambda api, owner: _first(api.Admin.all())),
        Case("Team", existing=lambda api, owner: _first(api.Team.all())),
        Case("Segment", existing=lambda api, owner: _first(api.Segment.all())),
    ),
    skipped_classes={"Count": "not a resource: totals computed from list answers"},
)

#: migration pairs this provider adds to the round-trip suite (see ``MIGRATIONS``)
PAIRS: tuple[tuple[str, str], ...] = (("intercom", "intercom"),)

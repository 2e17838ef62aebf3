"""What the conformance kit needs to know about each provider: one :class:`Profile` each.

Everything provider-specific the suites use lives here, so a new provider joins the kit by
adding one profile to :data:`PROFILES` (and its migration pairs to :data:`MIGRATIONS`). The
suites themselves only speak the public object model (``find``, ``all()``, ``create``,
``save``, ``delete``, ``load``/``reload``, ``changes()``, collections).

A :class:`Case` says how to exercise one resource class: how to make a valid new object, which
object to read when the class cannot create, which edit to save and the exact writes that edit
must send, which lookups ``find`` has. Every operation ``supported_operations()`` lists must be
covered by a case or waived with a reason (``test_objects.py`` checks it).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

Write = tuple[str, str, Any]  # (method, path under Profile.prefix, JSON body)


@dataclass(frozen=True)
class Edit:
    """A change saved on its own: apply it, then ``changes()`` and the writes must match."""

    apply: Callable[[Any], None]
    changes: Mapping[str, Any]
    sends: Callable[[Any], list[Write]]


@dataclass(frozen=True)
class Case:
    """How the kit exercises one resource class (``name`` as the client spells it)."""

    name: str
    #: (client, owner kwargs) -> kwargs of ``create()``
    new: Callable[[Any, dict[str, Any]], dict[str, Any]] | None = None
    #: attributes a created object must read back after ``find``
    expect: Mapping[str, Any] = field(default_factory=dict)
    #: (client, owner kwargs) -> an existing object (for classes that cannot create)
    existing: Callable[[Any, dict[str, Any]], Any] | None = None
    #: client -> kwargs naming the owner of a nested class (``all(**owner)``, ``create(**owner)``)
    owner: Callable[[Any], dict[str, Any]] | None = None
    #: pass the owner kwargs to ``find`` too
    find_in_owner: bool = False
    #: change a loaded object in place (for ``save``)
    edit: Callable[[Any], None] | None = None
    #: what ``obj.changes()`` must be after ``edit``
    changes: Mapping[str, Any] = field(default_factory=dict)
    #: obj -> the exact writes ``save()`` sends after ``edit`` (in order)
    sends: Callable[[Any], list[Write]] | None = None
    #: further edits, each saved after the previous one
    then: tuple[Edit, ...] = ()
    #: obj -> ``find(**lookup)`` keyword lookups besides the id
    lookups: Callable[[Any], Mapping[str, Any]] | None = None
    #: obj -> ``search(**criteria)`` that matches it
    search: Callable[[Any], Mapping[str, Any]] | None = None
    #: operation -> why the kit does not exercise it here
    waived: Mapping[str, str] = field(default_factory=dict)


    def edits(self) -> list[Edit]:
        first = [Edit(self.edit, self.changes, self.sends)] if self.edit and self.sends else []
        return first + list(self.then)


@dataclass(frozen=True)
class Profile:
    """One provider as the kit sees it."""

    name: str
    #: counts of the session simulator (``serve(name, seed=seed, **counts)``)
    counts: Mapping[str, Any]
    seed: int
    cases: tuple[Case, ...]
    #: resource classes the kit does not exercise (name -> reason)
    skipped_classes: Mapping[str, str]
    #: sim -> the path prefix every resource path is under ("" or "/v1/website/<id>")
    prefix: Callable[[Any], str]
    #: sim -> credentials of the right shape that the simulator refuses
    bad_credentials: Callable[[Any], dict[str, Any]]
    #: sim -> the credential values that must never show in logs, reprs or errors
    secrets: Callable[[Any], list[str]]
    #: the class paged through, the small page size, and sim -> its ids in the simulator state
    paged: str
    page_size: int
    state_ids: Callable[[Any], set[str]]
    #: paths (under ``prefix``) of that class's list request and of its create request
    list_path: str
    create_path: str
    #: path (under ``prefix``) of the paged class's search, a read whatever its HTTP verb
    search_path: str
    #: client -> kwargs of a valid ``create()`` of the paged class (``n`` makes it unique)
    new_contact: Callable[[int], dict[str, Any]]
    #: an id the provider does not have (``find`` answers 404)
    missing_id: str
    #: a field a partial object (``ref(id)``) lacks, and the path (under prefix) loading it
    partial_field: str
    instance_path: Callable[[str], str]
    #: client -> a call the *server* rejects as invalid; and the status it answers
    server_invalid: Callable[[Any], Any]
    invalid_status: int
    #: the provider's OpenAPI file under tests/data (None: it publishes none)
    spec: str | None = None
    #: the migration target can hold data events
    holds_events: bool = True

    def connect(self, sim: Any, **options: Any) -> Any:
        """A client of this provider bound to ``sim``."""
        module = importlib.import_module(f"chatmodels.{self.name}")
        settings = {**sim.credentials, **options}
        return module.connect(base_url=sim.base_url, **settings)


def _first(collection: Any) -> Any:
    found = collection.first()
    assert found is not None, f"{collection!r} is empty in the seeded simulator"
    return found


# -- Intercom -------------------------------------------------------------------------------------
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


# -- Crisp ------------------------------------------------------------------------------------------
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

PROFILES: tuple[Profile, ...] = (INTERCOM, CRISP)
BY_NAME: dict[str, Profile] = {p.name: p for p in PROFILES}

#: ordered (source, target) pairs the migration engine supports today
MIGRATIONS: tuple[tuple[str, str], ...] = (
    ("crisp", "intercom"), ("intercom", "crisp"), ("intercom", "intercom"))

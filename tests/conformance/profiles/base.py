"""The shapes of a provider profile: :class:`Profile`, :class:`Case`, :class:`Edit`.

Everything provider-specific the suites use lives in the profiles, so a new provider joins the
kit with one module in this package. The suites only speak the public object model (``find``,
``all()``, ``create``, ``save``, ``delete``, ``load``/``reload``, ``changes()``, collections).

A :class:`Case` says how to exercise one resource class: how to make a valid new object, which
object to read when the class cannot create, which edit to save and the exact writes that edit
must send, which lookups ``find`` has. Every operation ``supported_operations()`` lists must be
covered by a case or waived with a reason (``test_objects.py`` checks it).

The transport suite gives classes roles: the *paged* class is paged through; the *record* class
(default: the paged one) is found, loaded partially and reloaded; the *created* and *deleted*
classes (default: the record class) are created and deleted under injected faults. Most REST
providers use one class for all; an RPC provider (LiveChat) or one without an id lookup
(Sendbee contacts) names others, and says why in its module.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

Write = tuple[str, str, Any]  # (method, path under Profile.prefix, JSON body)
IdsOf = Callable[[Any], set[Any]]  # sim -> ids in the simulator state


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
    #: obj -> the ``find()`` keywords naming it (default ``{"id": obj.id}``), for providers
    #: whose find needs more than the id (Sendbee finds a contact by its phone)
    key: Callable[[Any], Mapping[str, Any]] | None = None
    #: (client, obj) -> makes a just-created object appear in ``all()`` when creating alone
    #: does not (a LiveChat customer is listed once a chat of theirs exists)
    listed: Callable[[Any, Any], Any] | None = None
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

    def key_of(self, obj: Any) -> dict[str, Any]:
        """The ``find()`` keywords of ``obj``."""
        return dict(self.key(obj)) if self.key else {"id": obj.id}


def get_is_read(method: str, path: str) -> bool:
    """REST: a GET (or HEAD) reads, anything else may write."""
    return method in ("GET", "HEAD")


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
    state_ids: IdsOf
    #: path (under ``prefix``) of that class's list request, and its method
    list_path: str
    #: path (under ``prefix``) of the record class's create request
    create_path: str
    #: n -> kwargs of a valid ``create()`` of the created class (``n`` makes it unique)
    new_contact: Callable[[int], dict[str, Any]]
    #: an id of the record class the provider does not have (``find`` answers 404)
    missing_id: str
    #: a field a partial record (``ref(id)``) lacks, and the path (under prefix) loading it
    partial_field: str
    instance_path: Callable[[Any], str]
    #: client -> a call the *server* rejects as invalid; and the status it answers
    server_invalid: Callable[[Any], Any]
    invalid_status: int
    #: path (under ``prefix``) of the paged class's search, a read whatever its HTTP verb
    #: (None: the paged class has no ``search``)
    search_path: str | None = None
    list_method: str = "GET"
    #: the record class and its ids (None: the paged class and ``state_ids``)
    record: str | None = None
    record_ids: IdsOf | None = None
    #: the method of the request loading a record (``instance_path``)
    instance_method: str = "GET"
    #: the created class and its ids (None: the record class and its ids); the method of
    #: ``create_path``
    created: str | None = None
    created_ids: IdsOf | None = None
    create_method: str = "POST"
    #: the deleted class, its ids, and id -> its delete request (None: the record class,
    #: its ids, ``DELETE instance_path(id)``)
    deleted: str | None = None
    deleted_ids: IdsOf | None = None
    delete_request: Callable[[Any], tuple[str, str]] | None = None
    #: (method, path) -> the request only reads (RPC providers read with POSTs)
    is_read: Callable[[str, str], bool] = get_is_read
    #: options of the session simulator besides the counts (``serve(name, **sim_options)``)
    sim_options: Mapping[str, Any] = field(default_factory=dict)
    #: the provider's OpenAPI file under tests/data (None: it publishes none)
    spec: str | None = None
    #: the migration target can hold data events
    holds_events: bool = True
    #: the migration target can tag contacts (LiveChat tags chat threads only)
    holds_contact_tags: bool = True
    #: ``Contact.all()`` lists every contact (LiveChat: only those with a chat, from the
    #: archives; the round trip then compares the source contacts that own a conversation)
    lists_every_contact: bool = True
    #: the migration target can hold conversations (WhatsApp cannot import history)
    holds_conversations: bool = True
    #: the contact field that identifies a contact on both sides of a migration round trip
    #: (the pair compares on the key of whichever side is not keyed by email)
    contact_key: str = "email"
    #: the migration target links a conversation to its contact (else only texts compare)
    links_conversations: bool = True

    def connect(self, sim: Any, **options: Any) -> Any:
        """A client of this provider bound to ``sim``."""
        module = importlib.import_module(f"chatmodels.{self.name}")
        settings = {**sim.credentials, **options}
        return module.connect(base_url=sim.base_url, **settings)

    # -- roles ------------------------------------------------------------------------------
    @property
    def record_class(self) -> str:
        return self.record or self.paged

    def record_state(self, sim: Any) -> set[Any]:
        return (self.record_ids or self.state_ids)(sim)

    @property
    def created_class(self) -> str:
        return self.created or self.record_class

    def created_state(self, sim: Any) -> set[Any]:
        return (self.created_ids or self.record_ids or self.state_ids)(sim)

    @property
    def deleted_class(self) -> str:
        return self.deleted or self.record_class

    def deleted_state(self, sim: Any) -> set[Any]:
        return (self.deleted_ids or self.record_ids or self.state_ids)(sim)

    def delete_of(self, ident: Any) -> tuple[str, str]:
        """(method, path under prefix) deleting ``ident`` of the deleted class."""
        if self.delete_request is not None:
            return self.delete_request(ident)
        return "DELETE", self.instance_path(ident)

    def case(self, name: str) -> Case | None:
        return next((c for c in self.cases if c.name == name), None)


def first(collection: Any) -> Any:
    """The first object of a collection of the seeded simulator (it must have one)."""
    found = collection.first()
    assert found is not None, f"{collection!r} is empty in the seeded simulator"
    return found


_first = first  # the spelling the profiles used first

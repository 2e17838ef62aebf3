"""Intercom people: contacts, their notes and their data events.

Retry safety of the writes that are not plain CRUD (see :mod:`chatmodels.operations`): archiving
sets a flag and is resent freely; merging, applying a tag or attaching a company is sent once (a
merge cannot happen twice, and an application records who applied it and when, which Intercom's
webhooks and workflows react to); removing a tag or detaching a company (``DELETE``) leaves the
same state however often it is sent. Notes and events are new objects each time: sent once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, ClassVar

from .. import canonical
from ..collection import Collection, Page
from ..errors import ResourceNotFound, ValidationError
from ..operations import Operation, declare
from ..resource import Creatable, Deletable, Listable, Related, Retrievable, Updatable
from . import schemas
from .base import IntercomResource, Searchable, _id_of, _resolve_tag


class Contact(Searchable, Retrievable, Creatable, Updatable, Deletable, Listable,
              canonical.Contact):
    """An Intercom contact (user or lead)."""

    _schema = schemas.ContactSchema
    _refs = {"tags": ("Tag", True), "companies": ("Company", True)}
    operations = declare(
        find=Operation("GET", "/contacts/{id}"),
        create=Operation("POST", "/contacts"),
        update=Operation("PUT", "/contacts/{id}"),
        delete=Operation("DELETE", "/contacts/{id}"),
        all=Operation("GET", "/contacts", paging="cursor"),
        search=Operation("POST", "/contacts/search", paging="search", safe=True),  # a read
        of_company=Operation("GET", "/companies/{company}/contacts", paging="cursor", safe=True),
        find_by_external_id=Operation("GET", "/contacts/find_by_external_id/{external_id}",
                                      safe=True),
        archive=Operation("POST", "/contacts/{id}/archive", safe=True),
        unarchive=Operation("POST", "/contacts/{id}/unarchive", safe=True),
        merge=Operation("POST", "/contacts/merge", safe=False),
        add_tag=Operation("POST", "/contacts/{id}/tags", safe=False),
        remove_tag=Operation("DELETE", "/contacts/{id}/tags/{tag}", safe=True),
        attach_company=Operation("POST", "/contacts/{id}/companies", safe=False),
        detach_company=Operation("DELETE", "/contacts/{id}/companies/{company}", safe=True),
    )

    # -- lookups -----------------------------------------------------------------------------
    @classmethod
    def _find_by(cls, *, id: Any = None, email: str | None = None,
                 external_id: str | None = None) -> Contact:
        if external_id is not None:
            data = cls._call("find_by_external_id", external_id=external_id)
            return cls.from_wire(data)  # type: ignore[return-value]
        if email is not None:
            found = cls.search(email=email).page_size(1).first()
            if found is None:
                raise ResourceNotFound(f"no contact with email {email}", provider="intercom",
                                       code="not_found")
            return found  # type: ignore[no-any-return]
        return cls.from_wire(cls._call("find", id=id))  # type: ignore[return-value]

    def _validate_create(self, payload: Mapping[str, Any]) -> None:
        if not (payload.get("email") or payload.get("external_id") or payload.get("role")):
            raise ValidationError("a contact needs email, external_id or role",
                                  provider="intercom", field="email")

    # -- actions -----------------------------------------------------------------------------
    def archive(self) -> Contact:
        self._call("archive")
        return self

    def unarchive(self) -> Contact:
        self._call("unarchive")
        return self

    def merge_into(self, user: Any, *, skip_duplicate_validation: bool = False) -> Contact:
        """Merge this lead into ``user`` (``POST /contacts/merge``) and return the merged user
        (``user`` itself, refreshed, when it is a loaded object).

        Intercom merges a lead into a user only, and only duplicates (same email or phone)
        unless ``skip_duplicate_validation``; otherwise it answers 400 ``invalid_merge``
        (:class:`~chatmodels.errors.BadRequestError`). The lead is gone afterwards: its
        tags, notes, companies, conversations and events belong to the user."""
        payload: dict[str, Any] = {"from": _id_of(self), "into": _id_of(user)}
        if skip_duplicate_validation:
            payload["skip_duplicate_validation"] = True
        data = self._call("merge", json=payload)
        if isinstance(user, Contact):
            user._fill(data)
            return user
        return type(self).from_wire(data)  # type: ignore[return-value]

    def add_tag(self, tag: Any) -> Contact:
        """Tag this contact (``tag`` is a Tag, an id, or a name to find or create)."""
        self._call("add_tag", json={"id": _resolve_tag(self, tag)})
        self._forget("tags")  # the embedded list is reloaded on its next read
        return self

    def remove_tag(self, tag: Any) -> Contact:
        self._call("remove_tag", tag=_resolve_tag(self, tag))
        self._forget("tags")
        return self

    def list_tags(self) -> list[Any]:
        """The tags of this contact, with names: ``Tag.all(contact=self)`` as a list
        (``contact.tags`` is the embedded list of the contact's answer)."""
        return list(self._model("Tag").all(contact=self))

    def attach_company(self, company: Any) -> Contact:
        self._call("attach_company", json={"id": _id_of(company)})
        self._forget("companies")
        return self

    def detach_company(self, company: Any) -> Contact:
        self._call("detach_company", company=_id_of(company))
        self._forget("companies")
        return self

    def list_companies(self) -> list[Any]:
        """``Company.all(contact=self)`` as a list (``contact.companies`` is the embedded
        list of the contact's answer)."""
        return list(self._model("Company").all(contact=self))

    # -- related -----------------------------------------------------------------------------
    @property
    def notes(self) -> Related:
        """This contact's notes, newest first: ``contact.notes()`` / ``.all()`` (a collection
        over ``Note.all(contact=...)``), ``contact.notes.create(body=..., admin=...)``."""
        note = self._model("Note")
        return Related(lambda: note.all(contact=self),
                       lambda **kw: note.create(contact=self, **kw),
                       f"notes of contact {self.id}")

    def add_note(self, body: str, admin: Any = None) -> Any:
        return self.notes.create(body=body, admin=admin)

    def list_notes(self) -> Collection[Any]:
        return self.notes.all()

    @property
    def segments(self) -> Related:
        """The segments this contact is in: ``contact.segments()`` (over
        ``Segment.all(contact=...)``); segments are defined in Intercom's UI."""
        segment = self._model("Segment")
        return Related(lambda: segment.all(contact=self), None,
                       f"segments of contact {self.id}")

    def list_segments(self) -> list[Any]:
        return list(self.segments)

    @property
    def events(self) -> Related:
        """This contact's data events: ``contact.events()`` lists them (a collection over
        ``Event.all(contact=...)``), ``contact.events.create(name=..., metadata=...)`` records
        one."""
        event = self._model("Event")
        return Related(lambda: event.all(contact=self),
                       lambda **kw: event.create(contact=self, **kw),
                       f"events of contact {self.id}")

    def track(self, name: str, metadata: Mapping[str, Any] | None = None,
              created_at: dt.datetime | int | None = None) -> Any:
        """Record a data event for this contact."""
        return self.events.create(name=name, metadata=metadata, created_at=created_at)

    def conversations(self) -> Collection[Any]:
        """Conversations this contact takes part in (a conversation search)."""
        return self._model("Conversation").search(contact_ids=self.id)  # type: ignore


class Note(IntercomResource, Retrievable, Listable, canonical.Note):
    """A note on a contact. ``Note.create(contact=bob, body="...", admin=admin)``;
    ``Note.all(contact=bob)`` (also ``bob.notes``) lists a contact's notes, newest first."""

    _schema = schemas.NoteSchema
    _max_page_size: ClassVar[int] = 60
    operations = declare(
        find=Operation("GET", "/notes/{id}"),
        all=Operation("GET", "/contacts/{contact}/notes", paging="pages"),
        create=Operation("POST", "/contacts/{contact}/notes", safe=False),
    )

    def _after_load(self, values: dict[str, Any], data: Mapping[str, Any]) -> None:
        contact = values.get("contact")
        author = values.get("author")
        values["contact_id"] = contact.get("id") if isinstance(contact, Mapping) else None
        values["author_id"] = author.get("id") if isinstance(author, Mapping) else None

    @classmethod
    def create(cls, contact: Any, body: str, admin: Any = None) -> Note:
        if not body:
            raise ValidationError("a note needs a body", provider="intercom", field="body")
        payload: dict[str, Any] = {"body": body, "contact_id": _id_of(contact)}
        if admin is not None:
            payload["admin_id"] = _id_of(admin)
        data = cls._call("create", contact=contact, json=payload)
        return cls.from_wire(data)  # type: ignore[return-value]


class Event(IntercomResource, Listable, canonical.Event):
    """A data event. ``Event.create(name=..., contact=bob, metadata={...})``;
    ``Event.all(contact=bob)`` (or ``email=``, ``user_id=``; also ``bob.events``)."""

    _schema = schemas.EventSchema
    operations = declare(
        create=Operation("POST", "/events", safe=False),
        all=Operation("GET", "/events", paging="pages"),
        summaries=Operation("GET", "/events", safe=True),
    )
    #: the keywords naming whose events ``all()`` lists
    OWNERS: ClassVar[tuple[str, ...]] = ("contact", "email", "user_id")

    def _after_load(self, values: dict[str, Any], data: Mapping[str, Any]) -> None:
        # in responses ``intercom_user_id`` is the contact; ``id`` is the contact only in requests
        if values.get("intercom_user_id"):
            values["contact_id"] = values["intercom_user_id"]

    @classmethod
    def create(cls, name: str, contact: Any = None, *, email: str | None = None,
               user_id: str | None = None, created_at: dt.datetime | int | None = None,
               metadata: Mapping[str, Any] | None = None) -> Event:
        """Submit an event for a contact (by object/id, ``email`` or ``user_id``)."""
        values: dict[str, Any] = {"name": name,
                                  "created_at": created_at or dt.datetime.now(dt.timezone.utc)}
        if contact is not None:
            values["contact_id"] = _id_of(contact)
        elif email:
            values["email"] = email
        elif user_id:
            values["user_id"] = user_id
        else:
            raise ValidationError("an event needs contact=, email= or user_id=",
                                  provider="intercom", field="contact")
        if metadata:
            values["metadata"] = dict(metadata)
        obj = cls(**values)
        payload = obj._wire_changes(obj._values)
        cls._call("create", json=payload)
        obj._mark_clean()
        return obj

    @classmethod
    def all(cls, **filters: Any) -> Collection[Any]:
        """The events of one contact (``GET /events?type=user&intercom_user_id=...``):
        ``all(contact=)``, ``all(email=)`` or ``all(user_id=)``."""
        if not any(filters.get(k) for k in cls.OWNERS):
            raise ValidationError("Event.all() needs contact=, email= or user_id=",
                                  provider="intercom", field="contact")
        return super().all(**filters)

    @classmethod
    def _list_page(cls, params: Mapping[str, Any], cursor: Any, size: int | None) -> Page[Any]:
        if params.get("contact") is not None:
            query = {"intercom_user_id": _id_of(params["contact"])}
        elif params.get("email"):
            query = {"email": params["email"]}
        else:
            query = {"user_id": params["user_id"]}
        query["type"] = "user"
        rest = {k: v for k, v in params.items() if k not in cls.OWNERS}
        return cls._config.page(cls, cls.operation("all"), {**query, **rest}, cursor, size)

    @classmethod
    def summaries(cls, contact: Any) -> Any:
        """Per-event-name counts for a contact (``GET /events?summary=true``)."""
        return cls._call("summaries", params={
            "type": "user", "intercom_user_id": _id_of(contact), "summary": "true"})

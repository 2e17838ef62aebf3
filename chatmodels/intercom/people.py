"""Intercom people: contacts, their notes and their data events."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from .. import canonical
from ..collection import Collection, Page
from ..errors import ResourceNotFound, ValidationError
from ..http import encode_path
from ..resource import Creatable, Deletable, Listable, Related, Retrievable, Updatable
from . import schemas
from .api import fetch_page, items_of
from .base import IntercomResource, Searchable, _id_of, _resolve_tag


class Contact(Searchable, Retrievable, Creatable, Updatable, Deletable, Listable,
              canonical.Contact):
    """An Intercom contact (user or lead)."""

    _path = "/contacts"
    _schema = schemas.ContactSchema
    _refs = {"tags": ("Tag", True), "companies": ("Company", True), "notes": ("Note", True)}

    # -- lookups -----------------------------------------------------------------------------
    @classmethod
    def _find_by(cls, id: Any = None, email: str | None = None,  # type: ignore[override]
                 external_id: str | None = None) -> Contact:
        if external_id is not None:
            data = cls._request("GET", encode_path("/contacts/find_by_external_id/{x}",
                                                   x=external_id))
            return cls.from_wire(data)  # type: ignore[return-value]
        if email is not None:
            found = cls.search(email=email).page_size(1).first()
            if found is None:
                raise ResourceNotFound(f"no contact with email {email}", provider="intercom",
                                       code="not_found")
            return found  # type: ignore[no-any-return]
        raise TypeError("Contact.find() takes id=, email= or external_id=")

    def _validate_create(self, payload: Mapping[str, Any]) -> None:
        if not (payload.get("email") or payload.get("external_id") or payload.get("role")):
            raise ValidationError("a contact needs email, external_id or role",
                                  provider="intercom", field="email")

    # -- actions -----------------------------------------------------------------------------
    def archive(self) -> Contact:
        self._request("POST", self._instance_path() + "/archive")
        return self

    def unarchive(self) -> Contact:
        self._request("POST", self._instance_path() + "/unarchive")
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
        data = self._request("POST", "/contacts/merge", json=payload)
        if isinstance(user, Contact):
            user._fill(data)
            return user
        return type(self).from_wire(data)  # type: ignore[return-value]

    def add_tag(self, tag: Any) -> Contact:
        """Tag this contact (``tag`` is a Tag, an id, or a name to find or create)."""
        tag_id = _resolve_tag(self, tag)
        self._request("POST", self._instance_path() + "/tags", json={"id": tag_id})
        self._drop_embedded("tags")
        return self

    def remove_tag(self, tag: Any) -> Contact:
        self._request("DELETE", self._instance_path() + encode_path("/tags/{t}",
                                                                    t=_resolve_tag(self, tag)))
        self._drop_embedded("tags")
        return self

    def _drop_embedded(self, key: str) -> None:
        """Forget an embedded list after a side change, so the next read reloads it."""
        self._forget(key)

    def list_tags(self) -> list[Any]:
        """The tags of this contact, with names (``GET /contacts/{id}/tags``)."""
        tag_cls = self._model("Tag")
        data = self._request("GET", self._instance_path() + "/tags")
        return [tag_cls.from_wire(t) for t in items_of(data)]

    def add_note(self, body: str, admin: Any = None) -> Any:
        return self._model("Note").create(contact=self, body=body, admin=admin)

    def list_notes(self) -> Collection[Any]:
        return self._model("Note").all(contact=self)  # type: ignore[no-any-return]

    def attach_company(self, company: Any) -> Contact:
        self._request("POST", self._instance_path() + "/companies", json={"id": _id_of(company)})
        self._drop_embedded("companies")
        return self

    def detach_company(self, company: Any) -> Contact:
        self._request("DELETE", self._instance_path() + encode_path("/companies/{c}",
                                                                    c=_id_of(company)))
        self._drop_embedded("companies")
        return self

    def list_companies(self) -> list[Any]:
        company_cls = self._model("Company")
        data = self._request("GET", self._instance_path() + "/companies")
        return [company_cls.from_wire(c) for c in items_of(data)]

    def list_segments(self) -> list[Any]:
        segment_cls = self._model("Segment")
        data = self._request("GET", self._instance_path() + "/segments")
        return [segment_cls.from_wire(s) for s in items_of(data)]

    def track(self, name: str, metadata: Mapping[str, Any] | None = None,
              created_at: dt.datetime | int | None = None) -> Any:
        """Record a data event for this contact."""
        return self._model("Event").create(name=name, contact=self, metadata=metadata,
                                           created_at=created_at)

    @property
    def events(self) -> Related:
        """This contact's data events: ``contact.events()`` lists them (a collection),
        ``contact.events.create(name=..., metadata=...)`` records one."""
        event = self._model("Event")
        return Related(lambda: event.all(contact=self),
                       lambda **kw: event.create(contact=self, **kw),
                       f"events of contact {self.id}")

    def conversations(self) -> Collection[Any]:
        """Conversations this contact takes part in (a conversation search)."""
        return self._model("Conversation").search(contact_ids=self.id)  # type: ignore


class Note(IntercomResource, Retrievable, canonical.Note):
    """A note on a contact. ``Note.create(contact=bob, body="...", admin=admin)``."""

    _path = "/notes"
    _schema = schemas.NoteSchema

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
        data = cls._request("POST", encode_path("/contacts/{c}/notes", c=_id_of(contact)),
                            json=payload)
        return cls.from_wire(data)  # type: ignore[return-value]

    @classmethod
    def all(cls, contact: Any) -> Collection[Any]:  # type: ignore[override]
        """The notes of one contact, newest first."""
        path = encode_path("/contacts/{c}/notes", c=_id_of(contact))

        def page(params: Mapping[str, Any], cursor: Any, size: int | None) -> Page[Any]:
            return fetch_page(cls, "GET", path, params=params, cursor=cursor, size=size,
                              max_size=60)
        return Collection(page, description=f"Note.all(contact={_id_of(contact)})")


class Event(IntercomResource, canonical.Event):
    """A data event. ``Event.create(name=..., contact=bob, metadata={...})``."""

    _path = "/events"
    _schema = schemas.EventSchema

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
        cls._request("POST", cls._path, json=payload)
        obj._mark_clean()
        return obj

    @classmethod
    def all(cls, contact: Any = None, *, email: str | None = None,  # type: ignore[override]
            user_id: str | None = None) -> Collection[Any]:
        """The events of one contact (``GET /events?type=user&intercom_user_id=...``)."""
        if contact is not None:
            query = {"intercom_user_id": _id_of(contact)}
        elif email:
            query = {"email": email}
        elif user_id:
            query = {"user_id": user_id}
        else:
            raise TypeError("Event.all() needs contact=, email= or user_id=")
        query["type"] = "user"

        def page(params: Mapping[str, Any], cursor: Any, size: int | None) -> Page[Any]:
            return fetch_page(cls, "GET", cls._path, params={**query, **params}, cursor=cursor,
                              size=size, max_size=150)
        return Collection(page, description=f"Event.all({query})")

    @classmethod
    def summaries(cls, contact: Any) -> Any:
        """Per-event-name counts for a contact (``GET /events?summary=true``)."""
        return cls._request("GET", cls._path, params={
            "type": "user", "intercom_user_id": _id_of(contact), "summary": "true"})

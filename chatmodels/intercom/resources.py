"""Intercom resource classes (REST API 2.16) on top of the canonical model."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from .. import canonical
from ..collection import Collection, Page
from ..errors import ResourceNotFound, ValidationError
from ..http import encode_path
from ..resource import (
    Creatable,
    Deletable,
    Listable,
    Related,
    Resource,
    Retrievable,
    Updatable,
)
from . import schemas
from .api import Intercom, fetch_page, items_of

#: search operators by keyword suffix: ``email__contains="@x.com"`` -> ``~``
SEARCH_OPERATORS = {
    "eq": "=", "ne": "!=", "in": "IN", "nin": "NIN", "lt": "<", "gt": ">", "lte": "<=",
    "gte": ">=", "contains": "~", "not_contains": "!~", "startswith": "^", "endswith": "$",
}


def _search_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return int(value.timestamp())
    if isinstance(value, (list, tuple, set)):
        return [_search_value(v) for v in value]
    if isinstance(value, Resource):
        return value.id
    return value


def build_query(criteria: Mapping[str, Any]) -> dict[str, Any]:
    """Keyword criteria -> an Intercom search query (``AND`` of single-field filters).

    ``name="Bob"``, ``email__contains="@x"``, ``created_at__gt=datetime``,
    ``custom_attributes__plan="pro"`` (nested fields use ``__`` for the dot). A ``query=``
    argument is passed through unchanged for ``OR`` and nested queries.
    """
    if "query" in criteria:
        if len(criteria) > 1:
            raise TypeError("query= cannot be combined with keyword criteria")
        return dict(criteria["query"])
    filters = []
    for key, value in criteria.items():
        parts = key.split("__")
        operator = "="
        if len(parts) > 1 and parts[-1] in SEARCH_OPERATORS:
            operator = SEARCH_OPERATORS[parts.pop()]
        filters.append({"field": ".".join(parts), "operator": operator,
                        "value": _search_value(value)})
    if not filters:
        raise TypeError("search() needs at least one criterion")
    if len(filters) == 1:
        return filters[0]
    return {"operator": "AND", "value": filters}


def _id_of(obj: Any) -> str:
    if isinstance(obj, Resource):
        if obj.id is None:
            raise ValidationError(f"{type(obj).__name__} has no id yet: save() it first",
                                  provider="intercom")
        return str(obj.id)
    if obj is None:
        raise ValidationError("an object or id is required", provider="intercom")
    return str(obj)


def _resolve_tag(owner: Resource, tag: Any) -> str:
    """A tag id from a Tag, an id, or a name (found, else created)."""
    if isinstance(tag, str) and not tag.isdigit():
        tag_cls = owner._model("Tag")
        try:
            return str(tag_cls.find_by_name(tag).id)
        except ResourceNotFound:
            return str(tag_cls.create(name=tag).id)
    return _id_of(tag)


class IntercomResource(Resource):
    _config = Intercom

    @classmethod
    def _list_page(cls, params: Mapping[str, Any], cursor: Any, size: int | None) -> Page[Any]:
        return fetch_page(cls, "GET", cls._path, params=params, cursor=cursor, size=size,
                          max_size=cls._max_page_size)

    _max_page_size: ClassVar[int] = 150


class Searchable(IntercomResource):
    """``POST {path}/search`` with :func:`build_query` keywords; ``all().filter()`` searches."""

    @classmethod
    def search(cls, **criteria: Any) -> Collection[Any]:
        """Search with Intercom's search API (see :func:`build_query` for the keywords)."""
        return Collection(cls._search_page, params=criteria,
                          description=f"{cls.__name__}.search()")

    @classmethod
    def _search_page(cls, params: Mapping[str, Any], cursor: Any, size: int | None) -> Page[Any]:
        return fetch_page(cls, "POST", cls._path + "/search", params={}, cursor=cursor,
                          size=size, max_size=cls._max_page_size,
                          body={"query": build_query(params)})

    @classmethod
    def _list_page(cls, params: Mapping[str, Any], cursor: Any, size: int | None) -> Page[Any]:
        if params:  # all().filter(...) is a search
            return cls._search_page(params, cursor, size)
        return super()._list_page(params, cursor, size)





class Admin(IntercomResource, Retrievable, Listable, canonical.Agent):
    """An Intercom teammate (alias ``Agent``). Admins are managed in the Intercom UI."""

    _path = "/admins"
    _schema = schemas.AdminSchema

    @classmethod
    def _list_page(cls, params: Mapping[str, Any], cursor: Any, size: int | None) -> Page[Any]:
        data = cls._request("GET", cls._path)
        return Page([cls.from_wire(a) for a in items_of(data)])

    @classmethod
    def me(cls) -> Admin:
        """The admin owning the access token (``GET /me``), cached per account for 10 min:
        every conversation action needs the acting admin's id."""
        return cls._client().cached(  # type: ignore[no-any-return]
            "admin:me", lambda: cls.from_wire(cls._request("GET", "/me")))

    @classmethod
    def find_by_email(cls, email: str) -> Admin:
        """The admin with this email (case-insensitive), or ``ResourceNotFound``."""
        for admin in cls.all():
            if (admin.email or "").lower() == email.lower():
                return admin  # type: ignore[no-any-return]
        raise ResourceNotFound(f"no admin with email {email}", provider="intercom",
                               status=None, code="not_found")

    def set_away(self, away: bool = True, reassign: bool = False) -> Admin:
        """Turn away mode on or off (``PUT /admins/{id}/away``)."""
        data = self._request("PUT", self._instance_path() + "/away",
                             json={"away_mode_enabled": away, "away_mode_reassign": reassign})
        self._fill(data)
        return self


Agent = Admin


class Team(IntercomResource, Retrievable, Listable, canonical.Team):
    _path = "/teams"
    _schema = schemas.TeamSchema

    @classmethod
    def _list_page(cls, params: Mapping[str, Any], cursor: Any, size: int | None) -> Page[Any]:
        return Page([cls.from_wire(t) for t in items_of(cls._request("GET", cls._path))])


class Tag(IntercomResource, Retrievable, Creatable, Deletable, Listable, canonical.Tag):
    """A tag. ``save()`` creates or renames (``POST /tags``)."""

    _path = "/tags"
    _schema = schemas.TagSchema

    @classmethod
    def _list_page(cls, params: Mapping[str, Any], cursor: Any, size: int | None) -> Page[Any]:
        return Page([cls.from_wire(t) for t in items_of(cls._request("GET", cls._path))])

    def _update(self, diff: dict[str, Any]) -> Any:
        payload = self._wire_changes(diff)
        payload["id"] = str(self.id)
        payload.setdefault("name", self.name)
        return self._request("POST", self._path, json=payload)

    @classmethod
    def find_by_name(cls, name: str) -> Tag:
        """The tag called ``name`` (case-insensitive, as Intercom compares), or ``ResourceNotFound``."""
        for tag in cls.all():
            if (tag.name or "").lower() == name.lower():
                return tag  # type: ignore[no-any-return]
        raise ResourceNotFound(f"no tag named {name!r}", provider="intercom", code="not_found")

    def tag(self, contacts: Iterable[Any] = (), companies: Iterable[Any] = (),
            conversations: Iterable[Any] = (), admin: Any = None) -> Tag:
        """Apply this tag to contacts (one bulk request), companies and conversations."""
        contacts, companies, conversations = list(contacts), list(companies), list(conversations)
        if contacts:
            self._request("POST", self._path, json={
                "name": self.name, "users": [{"id": _id_of(c)} for c in contacts]})
        if companies:
            self._request("POST", self._path, json={
                "name": self.name, "companies": [{"id": _id_of(c)} for c in companies]})
        for conv in conversations:
            conv_cls = self._model("Conversation")
            conv = conv if isinstance(conv, Resource) else conv_cls.ref(conv)
            conv.add_tag(self, admin=admin)
        return self

    def untag(self, contacts: Iterable[Any] = (), companies: Iterable[Any] = (),
              conversations: Iterable[Any] = (), admin: Any = None) -> Tag:
        """Remove this tag from contacts, companies and conversations."""
        for contact in contacts:
            self._request("DELETE", encode_path("/contacts/{c}/tags/{t}", c=_id_of(contact),
                                                t=_id_of(self)))
        companies = list(companies)
        if companies:
            self._request("POST", self._path, json={
                "name": self.name,
                "companies": [{"id": _id_of(c), "untag": True} for c in companies]})
        for conv in conversations:
            conv_cls = self._model("Conversation")
            conv = conv if isinstance(conv, Resource) else conv_cls.ref(conv)
            conv.remove_tag(self, admin=admin)
        return self


class Company(IntercomResource, Retrievable, Creatable, Updatable, Deletable, Listable,
              canonical.Company):
    """A company. Create is ``POST /companies`` (create-or-update keyed by ``company_id``)."""

    _path = "/companies"
    _schema = schemas.CompanySchema
    _max_page_size = 60
    _refs = {"tags": ("Tag", True), "segments": ("Segment", True)}

    @classmethod
    def _find_by(cls, id: Any = None, company_id: str | None = None,  # type: ignore[override]
                 name: str | None = None) -> Company:
        if company_id is None and name is None:
            raise TypeError("Company.find() takes id=, company_id= or name=")
        params = {"company_id": company_id} if company_id is not None else {"name": name}
        data = cls._request("GET", cls._path, params=params)
        items = items_of(data) if data.get("type") == "list" else [data]
        if not items:
            raise ResourceNotFound("company not found", provider="intercom", code="not_found")
        return cls.from_wire(items[0])  # type: ignore[return-value]

    def _validate_create(self, payload: Mapping[str, Any]) -> None:
        if not payload.get("company_id") and not payload.get("name"):
            raise ValidationError("a company needs company_id or name", provider="intercom",
                                  field="company_id")

    def contacts(self) -> Collection[Any]:
        """The contacts attached to this company."""
        contact = self._model("Contact")
        path = self._instance_path() + "/contacts"

        def page(params: Mapping[str, Any], cursor: Any, size: int | None) -> Page[Any]:
            return fetch_page(contact, "GET", path, params=params, cursor=cursor, size=size,
                              max_size=contact._max_page_size)
        return Collection(page, description=f"Company {self.id} contacts")


class Segment(IntercomResource, Retrievable, Listable, canonical.Segment):
    _path = "/segments"
    _schema = schemas.SegmentSchema

    @classmethod
    def _list_page(cls, params: Mapping[str, Any], cursor: Any, size: int | None) -> Page[Any]:
        data = cls._request("GET", cls._path, params={"include_count": "true"})
        return Page([cls.from_wire(s) for s in items_of(data)])


class DataAttribute(IntercomResource, Creatable, Updatable, Listable, canonical.ContactField):
    """A data attribute definition (alias ``ContactField``).

    ``all(model="contact"|"company")`` lists ``GET /data_attributes``; ``all(model=
    "conversation")`` lists ``GET /conversations/attributes`` (2.16 answers 422 to
    ``/data_attributes?model=conversation``). Conversation attributes are read-only here.
    """

    _path = "/data_attributes"
    _schema = schemas.DataAttributeSchema
    MODELS: ClassVar[tuple[str, ...]] = ("contact", "company", "conversation")
    #: conversation attribute types -> data attribute types
    CONVERSATION_TYPES: ClassVar[Mapping[str, str]] = {"list": "options", "decimal": "float"}

    @classmethod
    def _list_page(cls, params: Mapping[str, Any], cursor: Any, size: int | None) -> Page[Any]:
        model = params.get("model", "contact")
        if model not in cls.MODELS:
            raise ValidationError(f"model must be one of {', '.join(cls.MODELS)}",
                                  provider="intercom", field="model")
        query: dict[str, Any] = {}
        if params.get("include_archived"):
            query["include_archived"] = "true"
        if model == "conversation":
            data = cls._request("GET", "/conversations/attributes", params=query)
            return Page([cls.from_wire({**a, "model": "conversation"}) for a in items_of(data)])
        data = cls._request("GET", cls._path, params={"model": model, **query})
        return Page([cls.from_wire(a) for a in items_of(data)])

    def _after_load(self, values: dict[str, Any], data: Mapping[str, Any]) -> None:
        if data.get("type") == "conversation_attribute":
            name = values.get("name")
            dtype = values.get("data_type")
            if isinstance(dtype, str):
                values["data_type"] = self.CONVERSATION_TYPES.get(dtype, dtype)
            values.setdefault("label", name)
            values.setdefault("full_name", f"custom_attributes.{name}")
            values.setdefault("custom", True)
            options = values.get("options")
            if isinstance(options, list):
                values["options"] = [o.get("label") if isinstance(o, Mapping) else o
                                     for o in options]

    def _update(self, diff: dict[str, Any]) -> Any:
        self._refuse_conversation("updated")
        return super()._update(diff)

    @classmethod
    def find_by_name(cls, name: str, model: str = "contact") -> DataAttribute:
        for attr in cls.all(model=model):
            if attr.name == name:
                return attr  # type: ignore[no-any-return]
        raise ResourceNotFound(f"no {model} data attribute {name!r}", provider="intercom",
                               code="not_found")

    def _refuse_conversation(self, what: str) -> None:
        if self.model == "conversation":
            raise ValidationError(f"conversation attributes cannot be {what} through chatmodels "
                                  "(Intercom manages them under /conversations/attributes)",
                                  provider="intercom", field="model")

    def _validate_create(self, payload: Mapping[str, Any]) -> None:
        self._refuse_conversation("created")
        for required in ("name", "model", "data_type"):
            if not payload.get(required):
                raise ValidationError(f"a data attribute needs {required}", provider="intercom",
                                      field=required)


ContactField = DataAttribute


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


class Message(IntercomResource, canonical.Message):
    """A conversation part, or an outbound message made with ``Message.create``."""

    _path = "/messages"
    _schema = schemas.MessageSchema
    _repr_fields: ClassVar[tuple[str, ...]] = ("kind", "author_type", "body")

    KINDS: ClassVar[Mapping[str, str]] = {
        "comment": "comment", "note": "note", "assignment": "assignment", "open": "open",
        "close": "close", "snoozed": "snooze", "source": "comment",
        "default_assignment": "assignment", "away_mode_assignment": "assignment",
    }
    AUTHORS: ClassVar[Mapping[str, str]] = {
        "user": "contact", "lead": "contact", "contact": "contact", "admin": "agent",
        "team": "agent", "bot": "bot",
    }

    def _after_load(self, values: dict[str, Any], data: Mapping[str, Any]) -> None:
        kind = values.get("kind")
        if kind is not None:
            values["kind"] = self.KINDS.get(kind, "event")
        elif values.get("message_type"):
            values["kind"] = "comment"
        author = values.get("author")
        if isinstance(author, Mapping):
            values["author_type"] = self.AUTHORS.get(author.get("type") or "", "system")
            values["author_id"] = author.get("id")

    @classmethod
    def create(cls, *, body: str, to: Any, from_: Any = None, message_type: str = "in_app",
               subject: str | None = None, template: str = "plain",
               created_at: int | None = None) -> Message:
        """Send an outbound message from an admin to a contact (``POST /messages``)."""
        if message_type not in ("in_app", "email", "whatsapp"):
            raise ValidationError("message_type must be in_app, email or whatsapp",
                                  provider="intercom", field="message_type")
        if message_type == "email" and not subject:
            raise ValidationError("an email message needs a subject", provider="intercom",
                                  field="subject")
        role = getattr(to, "role", None) or "user"
        payload: dict[str, Any] = {
            "message_type": message_type, "body": body, "template": template,
            "from": {"type": "admin",
                     "id": _id_of(from_) if from_ is not None else str(cls._model("Admin").me().id)},
            "to": {"type": role, "id": _id_of(to)},
        }
        if subject:
            payload["subject"] = subject
        if created_at:
            payload["created_at"] = created_at
        return cls.from_wire(cls._request("POST", cls._path, json=payload))  # type: ignore


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
        self._values.pop(key, None)
        self._orig.pop(key, None)
        object.__setattr__(self, "_partial", True)

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


class Conversation(Searchable, Retrievable, Updatable, Deletable, Listable,
                   canonical.Conversation):
    """An Intercom conversation; ``messages`` are its source message then its parts."""

    _path = "/conversations"
    _schema = schemas.ConversationSchema
    _max_page_size = 150
    _refs = {"contacts": ("Contact", True), "tags": ("Tag", True),
             "messages": ("Message", True), "teammates": ("Admin", True)}
    _lazy_fields = ("messages",)
    STATES: ClassVar[Mapping[str, str]] = {"open": "open", "closed": "closed",
                                           "snoozed": "snoozed"}

    def _after_load(self, values: dict[str, Any], data: Mapping[str, Any]) -> None:
        if "messages" in values:
            source = values.get("source")
            parts = list(values.get("messages") or [])
            if isinstance(source, Mapping) and source.get("id"):
                first = {k: v for k, v in source.items() if k != "type"}
                first.update(type="conversation_part", part_type="source",
                             created_at=data.get("created_at"))
                parts.insert(0, first)
            conv_id = data.get("id")
            values["messages"] = [{**p, "conversation_id": conv_id} for p in parts]

    # -- lookups -----------------------------------------------------------------------------
    @classmethod
    def find(cls, id: Any = None, **lookup: Any) -> Conversation:
        if id is None or lookup:
            raise TypeError("Conversation.find() takes id=")
        data = cls._request("GET", cls._path + encode_path("/{id}", id=id),
                            params={"display_as": "plaintext"})
        return cls.from_wire(data)  # type: ignore[return-value]

    def _fetch(self) -> Mapping[str, Any]:
        return self._request("GET", self._instance_path(),  # type: ignore[no-any-return]
                             params={"display_as": "plaintext"})

    # -- creation ----------------------------------------------------------------------------
    @classmethod
    def create(cls, contact: Any, body: str, *, subject: str | None = None,
               created_at: int | None = None) -> Conversation:
        """Start a conversation from a contact (``POST /conversations``) and return it."""
        if not body:
            raise ValidationError("a conversation needs a body", provider="intercom",
                                  field="body")
        role = getattr(contact, "role", None) if isinstance(contact, Resource) else None
        payload: dict[str, Any] = {"from": {"type": role or "contact", "id": _id_of(contact)},
                                   "body": body}
        if subject:
            payload["subject"] = subject
        if created_at:
            payload["created_at"] = int(created_at)
        data = cls._request("POST", cls._path, json=payload)
        if isinstance(data, Mapping) and data.get("type") == "conversation":
            return cls.from_wire(data)  # type: ignore[return-value]
        return cls.find(id=data["conversation_id"])

    # -- actions -----------------------------------------------------------------------------
    def reply(self, body: str, author: Any = None, *, message_type: str = "comment",
              attachment_urls: list[str] | None = None,
              created_at: int | None = None) -> Conversation:
        """Reply as an admin (default: the token's admin) or as a contact (``author=contact``)."""
        if not body and not attachment_urls:
            raise ValidationError("a reply needs a body", provider="intercom", field="body")
        payload: dict[str, Any] = {"message_type": message_type, "body": body}
        if isinstance(author, canonical.Contact):
            if message_type != "comment":
                raise ValidationError("contacts can only post comments", provider="intercom",
                                      field="message_type")
            payload.update(type="user", intercom_user_id=_id_of(author))
        else:
            payload.update(type="admin", admin_id=self._admin_id(author))
        if attachment_urls:
            payload["attachment_urls"] = list(attachment_urls)
        if created_at:
            payload["created_at"] = int(created_at)
        self._fill(self._request("POST", self._instance_path() + "/reply", json=payload))
        return self

    def note(self, body: str, admin: Any = None) -> Conversation:
        """Add a private note (an admin reply of type ``note``)."""
        return self.reply(body, admin, message_type="note")

    def _admin_id(self, admin: Any) -> str:
        if admin is None:
            return str(self._model("Admin").me().id)
        return _id_of(admin)

    def _part(self, payload: dict[str, Any]) -> Conversation:
        self._fill(self._request("POST", self._instance_path() + "/parts", json=payload))
        return self

    def close(self, admin: Any = None, body: str | None = None) -> Conversation:
        payload = {"message_type": "close", "type": "admin", "admin_id": self._admin_id(admin)}
        if body:
            payload["body"] = body
        return self._part(payload)

    def open(self, admin: Any = None) -> Conversation:  # noqa: A003
        return self._part({"message_type": "open", "admin_id": self._admin_id(admin)})

    def snooze(self, until: dt.datetime | int, admin: Any = None) -> Conversation:
        ts = int(until.timestamp()) if isinstance(until, dt.datetime) else int(until)
        return self._part({"message_type": "snoozed", "admin_id": self._admin_id(admin),
                           "snoozed_until": ts})

    def assign(self, assignee: Any, admin: Any = None, body: str | None = None) -> Conversation:
        """Assign to an admin or a team (``None`` unassigns)."""
        kind = "team" if isinstance(assignee, canonical.Team) else "admin"
        payload = {"message_type": "assignment", "type": kind,
                   "admin_id": self._admin_id(admin),
                   "assignee_id": "0" if assignee is None else _id_of(assignee)}
        if body:
            payload["body"] = body
        return self._part(payload)

    def add_tag(self, tag: Any, admin: Any = None) -> Conversation:
        tag_id = _resolve_tag(self, tag)
        self._request("POST", self._instance_path() + "/tags",
                      json={"id": tag_id, "admin_id": self._admin_id(admin)})
        self._drop_tags()
        return self

    def remove_tag(self, tag: Any, admin: Any = None) -> Conversation:
        self._request("DELETE", self._instance_path() + encode_path("/tags/{t}", t=_id_of(tag)),
                      json={"admin_id": self._admin_id(admin)})
        self._drop_tags()
        return self

    def _drop_tags(self) -> None:
        self._values.pop("tags", None)
        self._orig.pop("tags", None)
        object.__setattr__(self, "_partial", True)

    def mark_read(self) -> Conversation:
        self.read = True
        return self.save()  # type: ignore[return-value]


class Count:
    """Object counts. Intercom 2.16 has no ``/counts`` endpoint: totals come from list responses
    (``total_count``) or, for unpaged lists, their length."""

    _bound_client: ClassVar[Any] = None

    @classmethod
    def _cls(cls, name: str) -> Any:
        client = cls._bound_client
        return client.model(name) if client is not None else RESOURCES[name]

    @classmethod
    def contacts(cls, **criteria: Any) -> int:
        contact = cls._cls("Contact")
        source = contact.search(**criteria) if criteria else contact.all()
        return source.count()  # type: ignore[no-any-return]

    @classmethod
    def conversations(cls, **criteria: Any) -> int:
        conv = cls._cls("Conversation")
        source = conv.search(**criteria) if criteria else conv.all()
        return source.count()  # type: ignore[no-any-return]

    @classmethod
    def companies(cls) -> int:
        return cls._cls("Company").all().count()  # type: ignore[no-any-return]

    @classmethod
    def tags(cls) -> int:
        return len(list(cls._cls("Tag").all()))

    @classmethod
    def segments(cls) -> int:
        return len(list(cls._cls("Segment").all()))

    @classmethod
    def admins(cls) -> int:
        return len(list(cls._cls("Admin").all()))

    @classmethod
    def teams(cls) -> int:
        return len(list(cls._cls("Team").all()))

    @classmethod
    def all(cls) -> dict[str, int]:
        """Every count at once (one request each)."""
        return {name: getattr(cls, name)() for name in
                ("contacts", "conversations", "companies", "tags", "segments", "admins",
                 "teams")}


RESOURCES: dict[str, Any] = {
    "Contact": Contact, "Conversation": Conversation, "Message": Message, "Tag": Tag,
    "Note": Note, "Admin": Admin, "Agent": Admin, "Team": Team, "Company": Company,
    "Segment": Segment, "DataAttribute": DataAttribute, "ContactField": DataAttribute,
    "Event": Event, "Count": Count,
}

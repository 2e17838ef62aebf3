"""Brevo CRM side: companies (and their contact links), notes, events.

Company values live in ``attributes`` (``name``, ``domain``, ``industry``...): the canonical
fields are derived from that one dict, so dirty tracking sends only the changed attributes.
Notes are CRM notes linked to contacts (``contactIds``). Events are Brevo's custom events
(``POST /events``, identified by email or ext_id; ``GET /events`` lists them).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from .. import canonical
from ..collection import Collection, Page
from ..errors import ValidationError
from ..model import Derived, Model
from ..operations import Operation, declare
from ..resource import Creatable, Deletable, Listable, Retrievable, Updatable
from . import schemas
from .contacts import BrevoResource, created_id


def _invalid(message: str, field: str | None = None) -> ValidationError:
    return ValidationError(message, provider="brevo", field=field)


def _contact_ids(contacts: Iterable[Any]) -> list[int]:
    out = []
    for c in contacts:
        value = c.id if isinstance(c, Model) else c
        if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).isdigit():
            raise _invalid(f"not a Brevo contact id: {value!r}", "contacts")
        out.append(int(value))
    return out


def anonymous(contact: Any) -> bool:
    """A webhook visitor without a Brevo contact (``visitor:<id>``, see
    ``Conversation.contacts``): it has no notes or events."""
    value = contact.id if isinstance(contact, Model) else contact
    return isinstance(value, str) and value.startswith("visitor:")


def _nothing(name: str) -> Collection[Any]:
    return Collection(lambda params, cursor, size: Page([], None, 0),
                      description=f"{name}.all() of an anonymous visitor")


def _time(value: Any) -> dt.datetime | None:
    if isinstance(value, str) and value:
        try:
            return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    return None


def _attr(key: str) -> Derived:
    def get(self: Any) -> Any:
        return (self.custom_attributes or {}).get(key)

    def set_(self: Any, value: Any) -> None:
        self._attributes()[key] = value
    get.__name__ = key
    return Derived(get, set_)


class Company(BrevoResource, Retrievable, Creatable, Updatable, Deletable, Listable,
              canonical.Company):
    """A CRM company. ``name``/``website``/``industry``/``size`` are its ``name``,
    ``domain``, ``industry`` and ``number_of_employees`` attributes."""

    _schema = schemas.CompanySchema
    _max_page_size = 50
    _repr_fields = ()
    _filters: ClassVar[Mapping[str, str]] = {"sort": "sort", "sort_by": "sortBy",
                                             "filters": "filters",
                                             "linked_contact_ids": "linkedContactsIds"}
    operations = declare(
        find=Operation("GET", "/companies/{id}"),
        create=Operation("POST", "/companies", safe=False),
        update=Operation("PATCH", "/companies/{id}"),
        delete=Operation("DELETE", "/companies/{id}"),
        all=Operation("GET", "/companies", paging="numbered", answer="items"),
        link=Operation("PATCH", "/companies/link-unlink/{id}", safe=True),
    )

    name = _attr("name")
    website = _attr("domain")
    industry = _attr("industry")
    size = _attr("number_of_employees")

    @Derived
    def company_id(self) -> Any:  # type: ignore[override]
        return self.id

    @Derived
    def created_at(self) -> dt.datetime | None:  # type: ignore[override]
        return _time((self.custom_attributes or {}).get("created_at"))

    @Derived
    def updated_at(self) -> dt.datetime | None:  # type: ignore[override]
        return _time((self.custom_attributes or {}).get("last_updated_at"))

    def _attributes(self) -> dict[str, Any]:
        current = self.custom_attributes
        if not isinstance(current, dict):
            Model.__setattr__(self, "custom_attributes", {})
            current = self._values["custom_attributes"]
        return current  # type: ignore[no-any-return]

    def _validate_create(self, payload: Mapping[str, Any]) -> None:
        if not (payload.get("custom_attributes") or {}).get("name"):
            raise _invalid("a Brevo company needs a name", "name")

    def _create(self, payload: dict[str, Any]) -> Any:
        body = self._wire_changes(payload)
        body["name"] = body["attributes"].pop("name")
        # the server adds created_at, number_of_contacts...: the attributes reload on next read
        return created_id(self, self._call("create", json=body), "linked_contact_ids",
                          "custom_attributes")

    def _update(self, diff: dict[str, Any]) -> Any:
        return self._call("update", json=self._wire_changes(diff))

    def add_contacts(self, contacts: Iterable[Any]) -> None:
        """Link contacts (objects or ids) to the company."""
        self._call("link", json={"linkContactIds": _contact_ids(contacts)})
        self._forget("linked_contact_ids")

    def remove_contacts(self, contacts: Iterable[Any]) -> None:
        """Unlink contacts from the company."""
        self._call("link", json={"unlinkContactIds": _contact_ids(contacts)})
        self._forget("linked_contact_ids")


class Note(BrevoResource, Retrievable, Creatable, Updatable, Deletable, Listable,
           canonical.Note):
    """A CRM note. ``Note.all(contact=c)`` (or ``c.notes``) lists a contact's notes."""

    _schema = schemas.NoteSchema
    _max_page_size = 50
    _filters: ClassVar[Mapping[str, str]] = {"sort": "sort", "date_from": "dateFrom",
                                             "date_to": "dateTo"}
    operations = declare(
        find=Operation("GET", "/crm/notes/{id}"),
        create=Operation("POST", "/crm/notes", safe=False),
        update=Operation("PATCH", "/crm/notes/{id}"),
        delete=Operation("DELETE", "/crm/notes/{id}"),
        all=Operation("GET", "/crm/notes", paging="bare"),
    )

    @classmethod
    def all(cls, **filters: Any) -> Collection[Any]:
        if anonymous(filters.get("contact")):
            return _nothing(cls.__name__)
        return super().all(**filters)

    @classmethod
    def _wire_filters(cls, params: Mapping[str, Any]) -> dict[str, Any]:
        params = dict(params)
        contact = params.pop("contact", None)
        out = super()._wire_filters(params)
        if contact is not None:
            out.update(entity="contacts", entityIds=str(_contact_ids([contact])[0]))
        return out

    @classmethod
    def create(cls, *, contact: Any = None, **fields: Any) -> Any:
        """``Note.create(contact=c, body=...)`` (or ``contact_id=``, ``contact_ids=``)."""
        if contact is not None:
            fields.setdefault("contact_ids", _contact_ids([contact]))
        return super().create(**fields)

    @Derived
    def contact_id(self) -> Any:  # type: ignore[override]
        ids = self.contact_ids or []
        return ids[0] if ids else None

    @contact_id.setter  # type: ignore[no-redef]
    def contact_id(self, value: Any) -> None:
        self.contact_ids = _contact_ids([value])

    @Derived
    def author_id(self) -> Any:  # type: ignore[override]
        author = self.author
        return author.get("id") if isinstance(author, Mapping) else None

    def _create(self, payload: dict[str, Any]) -> Any:
        if not payload.get("body"):
            raise _invalid("a note needs a body (text)", "body")
        return created_id(self, self._call("create", json=self._wire_changes(payload)),
                          "author", "created_at", "updated_at")

    def _update(self, diff: dict[str, Any]) -> Any:
        body = self._wire_changes(diff)
        body.setdefault("text", self.body)  # Brevo requires the text on every update
        self._call("update", json=body)
        self._forget("updated_at")
        return None


class Event(BrevoResource, Creatable, Listable, canonical.Event):
    """A custom event. ``Event.create(name=..., email=... | contact=..., metadata=...)``;
    Brevo gives events no id and cannot change or delete them."""

    _schema = schemas.EventSchema
    _max_page_size = 100
    _created_with_id = False
    _filters: ClassVar[Mapping[str, str]] = {"contact_id": "contact_id",
                                             "name": "event_name", "sort": "sort",
                                             "start_date": "startDate", "end_date": "endDate"}
    operations = declare(
        create=Operation("POST", "/events", safe=False),
        all=Operation("GET", "/events", paging="offset", answer="events"),
    )

    @classmethod
    def create(cls, *, contact: Any = None, email: str | None = None,
               external_id: str | None = None, **fields: Any) -> Any:
        identifiers = dict(fields.pop("identifiers", None) or {})
        if contact is not None:
            if isinstance(contact, Model):
                email = email or contact.email
                external_id = external_id or contact.external_id
                fields.setdefault("contact_id", contact.id)
            else:
                fields.setdefault("contact_id", _contact_ids([contact])[0])
        if email:
            identifiers["email_id"] = email
        if external_id:
            identifiers["ext_id"] = external_id
        if not identifiers:
            raise _invalid("an event needs a contact with an email or ext_id "
                           "(or email=/external_id=)", "identifiers")
        return super().create(identifiers=identifiers, **fields)

    @classmethod
    def all(cls, **filters: Any) -> Collection[Any]:
        if anonymous(filters.get("contact")) or anonymous(filters.get("contact_id")):
            return _nothing(cls.__name__)
        return super().all(**filters)

    @classmethod
    def _wire_filters(cls, params: Mapping[str, Any]) -> dict[str, Any]:
        params = dict(params)
        contact = params.pop("contact", None)
        if contact is not None:
            params["contact_id"] = _contact_ids([contact])[0]
        return super()._wire_filters(params)

    @Derived
    def email(self) -> str | None:  # type: ignore[override]
        ids = self.identifiers
        return ids.get("email_id") if isinstance(ids, Mapping) else None

    def save(self) -> Any:
        """Send the event (once): Brevo gives events no id, so a sent event cannot change."""
        if getattr(self, "_sent", False):
            if self.is_dirty:
                raise _invalid("a Brevo event cannot be changed once sent",
                               self.dirty_fields[0])
            return self
        # not Model.save(): it requires an id in the answer to a create, and events have none
        if self._account is None:
            object.__setattr__(self, "_account", type(self)._account_of_class())
        self._create({k: v for k, v in self._values.items()
                      if v is not None or k in self._touched})
        return self

    def _create(self, payload: dict[str, Any]) -> Any:
        if not payload.get("name"):
            raise _invalid("an event needs a name", "name")
        body = self._wire_changes({k: v for k, v in payload.items() if k != "contact_id"})
        self._call("create", json=body)
        self._mark_clean()
        object.__setattr__(self, "_sent", True)
        return None


__all__ = ["Company", "Event", "Note"]

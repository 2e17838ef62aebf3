"""Brevo contacts side: contacts, attributes (ContactField), lists (Tag), folders, segments.

A Brevo *list* is the canonical ``Tag``: a contact belongs to any number of lists, lists have
names, and adding/removing members is what tagging means elsewhere. Lists live in folders;
``Tag.create(name=...)`` without ``folder_id`` uses the account's first folder (one is created
when there is none). See docs/brevo.md for the whole mapping.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from .. import canonical
from ..collection import Collection
from ..errors import BadRequestError, ResponseError, ValidationError
from ..model import Derived, Model, derived_names, jsonable
from ..operations import Operation, declare
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
from .api import Brevo, wire_time

#: most contacts ``/contacts/lists/{id}/contacts/add`` (and ``/remove``) take per call
LIST_BATCH = 150
#: contacts per ``POST /contacts/batch`` call (the spec gives no maximum: our choice)
UPDATE_BATCH = 100
#: ``identifierType`` of each ``Contact.find`` lookup
IDENTIFIER_TYPES = {"email": "email_id", "external_id": "ext_id", "phone": "phone_id",
                    "id": "contact_id"}
#: Brevo attribute type -> canonical data type
DATA_TYPES = {"text": "string", "float": "float", "date": "date", "boolean": "boolean",
              "id": "string", "category": "list", "multiple-choice": "list"}
#: canonical data type -> Brevo attribute type (for ContactField.create)
BREVO_TYPES = {"string": "text", "integer": "float", "float": "float", "date": "date",
               "boolean": "boolean", "list": "multiple-choice"}
#: attributes every Brevo account has (not custom)
STANDARD_ATTRIBUTES = frozenset({"EMAIL", "FIRSTNAME", "LASTNAME", "SMS", "EXT_ID",
                                 "WHATSAPP", "LANDLINE_NUMBER"})


def _invalid(message: str, field: str | None = None) -> ValidationError:
    return ValidationError(message, provider="brevo", field=field)


def chunks(items: list[Any], size: int) -> Iterable[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


class BrevoResource(Resource):
    _config = Brevo
    #: ``all()`` keyword -> Brevo query parameter
    _filters: ClassVar[Mapping[str, str]] = {"sort": "sort"}

    def to_dict(self, json: bool = False) -> dict[str, Any]:
        """Field values plus the derived canonical ones (``name``, ``created_at``...)."""
        out = super().to_dict()
        if self._partial:
            return jsonable(out) if json else out
        for name in derived_names(type(self)):
            value = getattr(self, name)
            if isinstance(value, list):
                value = [v.to_dict() if isinstance(v, Model) else v for v in value]
            out[name] = value.to_dict() if isinstance(value, Model) else value
        return jsonable(out) if json else out

    @classmethod
    def _orderer(cls, operation: str) -> Any:
        """Brevo lists sort by creation only (``sort=asc|desc``): ``order_by("created_at")``
        or ``order_by("-created_at")``; another field is a ``ValidationError``."""
        if operation != "all" or cls._filters.get("sort") != "sort":
            return None

        def order(field: str, descending: bool) -> Mapping[str, Any]:
            if field != "created_at":
                raise _invalid(f"{cls.__name__}.all() sorts by created_at only (Brevo's "
                               f"sort), not {field!r}", "order_by")
            return {"sort": "desc" if descending else "asc"}
        return order

    @classmethod
    def _wire_filters(cls, params: Mapping[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in params.items():
            wire = cls._filters.get(key)
            if wire is None:
                raise _invalid(f"{cls.__name__}.all() has no filter {key!r}; filters: "
                               f"{', '.join(sorted(cls._filters)) or 'none'}", key)
            if isinstance(value, (list, tuple, set, frozenset)):  # Swagger 2.0 arrays: csv
                value = ",".join(str(v.id if isinstance(v, Model) else v) for v in value)
            out[wire] = wire_time(value)
        return out


def created_id(obj: Resource, answer: Any, *stale: str) -> dict[str, Any]:
    """Brevo answers a create with ``{"id": ...}`` only: keep what was sent, take the id, and
    let the server-set fields load on first read."""
    new_id = answer.get("id") if isinstance(answer, Mapping) else None
    if isinstance(new_id, bool) or not isinstance(new_id, (int, str)) or new_id == "":
        raise ResponseError(f"brevo: the {type(obj).__name__} create answer has no id",
                            provider="brevo", code="bad_answer", field="id")
    obj._values["id"] = new_id
    obj._mark_clean()
    obj._forget(*stale)
    return {}


# -- contacts ---------------------------------------------------------------------------------
class Contact(BrevoResource, Retrievable, Creatable, Updatable, Deletable, Listable,
              canonical.Contact):
    """A Brevo contact. ``name`` is ``FIRSTNAME``/``LASTNAME``, ``phone`` the ``SMS``
    attribute, ``tags`` the lists it is in, ``external_id`` Brevo's ``ext_id``."""

    _schema = schemas.ContactSchema
    _max_page_size = 1000
    _repr_fields = ("email",)
    _filters = {"modified_since": "modifiedSince", "created_since": "createdSince",
                "sort": "sort", "segment_id": "segmentId", "list_ids": "listIds",
                "filter": "filter"}
    operations = declare(
        find=Operation("GET", "/contacts/{id}"),
        create=Operation("POST", "/contacts", safe=False),
        update=Operation("PUT", "/contacts/{id}"),
        delete=Operation("DELETE", "/contacts/{id}"),
        all=Operation("GET", "/contacts", paging="offset", answer="contacts"),
        batch=Operation("POST", "/contacts/batch", safe=True),
        stats=Operation("GET", "/contacts/{id}/campaignStats"),
    )

    @Derived
    def external_id(self) -> str | None:  # type: ignore[override]
        """``ext_id``: Brevo answers it as the ``EXT_ID`` attribute, takes it as ``ext_id``."""
        value = self._values.get("external_id")
        if value is None:
            value = (self.custom_attributes or {}).get("EXT_ID")
        return None if value is None else str(value)

    @external_id.setter  # type: ignore[no-redef]
    def external_id(self, value: str | None) -> None:
        self._values["external_id"] = value
        self._touched.add("external_id")

    @Derived
    def created_at(self) -> Any:  # type: ignore[override]
        raw = self.created_at_iso
        return schemas.parse_time(raw) if isinstance(raw, str) else None

    @Derived
    def updated_at(self) -> Any:  # type: ignore[override]
        raw = self.updated_at_iso
        return schemas.parse_time(raw) if isinstance(raw, str) else None

    @Derived
    def name(self) -> str | None:  # type: ignore[override]
        attrs = self.custom_attributes or {}
        full = " ".join(str(p) for p in (attrs.get("FIRSTNAME"), attrs.get("LASTNAME")) if p)
        return full or None

    @name.setter  # type: ignore[no-redef]
    def name(self, value: str | None) -> None:
        first, _, last = (value or "").strip().partition(" ")
        attrs = self._attributes()
        attrs["FIRSTNAME"] = first or None
        attrs["LASTNAME"] = last or None

    @Derived
    def phone(self) -> str | None:  # type: ignore[override]
        value = (self.custom_attributes or {}).get("SMS")
        return None if value in (None, "") else str(value)

    @phone.setter  # type: ignore[no-redef]
    def phone(self, value: str | None) -> None:
        self._attributes()["SMS"] = value

    @Derived
    def tags(self) -> list[Any]:  # type: ignore[override]
        """The lists the contact is in, as partial ``Tag`` objects."""
        tag = self._model("Tag")
        return [tag.from_wire({"id": i}, partial=True, account=self._account)
                for i in (self.list_ids or [])]

    def _attributes(self) -> dict[str, Any]:
        current = self.custom_attributes
        if not isinstance(current, dict):
            Model.__setattr__(self, "custom_attributes", {})
            current = self._values["custom_attributes"]
        return current  # type: ignore[no-any-return]

    @property
    def notes(self) -> Related:
        note = self._model("Note")
        return Related(lambda: note.all(contact=self),
                       lambda **f: note.create(contact_id=self.id, **f),
                       f"notes of contact {self.id}")

    @property
    def events(self) -> Related:
        event = self._model("Event")
        return Related(lambda: event.all(contact_id=self.id),
                       lambda **f: event.create(contact=self, **f),
                       f"events of contact {self.id}")

    # -- lookups and writes ------------------------------------------------------------------
    @classmethod
    def _find_by(  # type: ignore[override]
            cls, *, id: Any = None, email: str | None = None,  # noqa: A002
            external_id: str | None = None, phone: str | None = None) -> Any:
        given = {k: v for k, v in (("id", id), ("email", email), ("external_id", external_id),
                                   ("phone", phone)) if v is not None}
        if len(given) != 1:
            raise _invalid("Contact.find() takes exactly one of id, email, external_id, phone")
        (key, value), = given.items()
        return cls.from_wire(cls._call("find", id=value,
                                       params={"identifierType": IDENTIFIER_TYPES[key]}))

    def _validate_create(self, payload: Mapping[str, Any]) -> None:
        attrs = payload.get("custom_attributes") or {}
        if not payload.get("email") and not attrs.get("SMS") and not payload.get("external_id"):
            raise _invalid("a Brevo contact needs an email, an SMS attribute or an ext_id",
                           "email")

    def _create(self, payload: dict[str, Any]) -> Any:
        answer = self._call("create", json=self._wire_changes(payload))
        return created_id(self, answer, "created_at_iso", "updated_at_iso", "list_ids")

    def _update(self, diff: dict[str, Any]) -> Any:
        if "email" in diff:  # Brevo changes an email through the EMAIL attribute
            diff = dict(diff)
            attrs = dict(diff.get("custom_attributes") or {})
            attrs["EMAIL"] = diff.pop("email")
            diff["custom_attributes"] = attrs
        self._call("update", json=self._wire_changes(diff))
        self._forget("updated_at_iso")
        return None

    def stats(self, **dates: Any) -> Any:
        """Campaign statistics (``GET /contacts/{id}/campaignStats``; ``startDate``/``endDate``)."""
        return self._call("stats", params={k: wire_time(v) for k, v in dates.items()})

    @classmethod
    def save_all(cls, contacts: Iterable[Contact]) -> int:
        """Save many changed contacts with ``POST /contacts/batch`` (100 a call): only their
        diffs are sent. Returns the number of contacts sent; new contacts are refused."""
        entries: list[tuple[Contact, dict[str, Any]]] = []
        for contact in contacts:
            if contact.id is None:
                raise _invalid("Contact.save_all() updates existing contacts; create() new ones")
            diff = contact.changes()
            if diff:
                entries.append((contact, diff))
        for batch in chunks(entries, UPDATE_BATCH):
            body = []
            for contact, diff in batch:
                wire = contact._wire_changes(diff)
                body.append({"id": contact.id, **wire})
            cls._call("batch", json={"contacts": body})
            for contact, _ in batch:
                contact._mark_clean()
                contact._forget("updated_at_iso")
        return len(entries)


# -- attributes -------------------------------------------------------------------------------
class ContactField(BrevoResource, Creatable, Updatable, Deletable, Listable,
                   canonical.ContactField):
    """A contact attribute. Its id is ``"<category>/<NAME>"``; ``data_type`` maps Brevo's
    types (``text``, ``float``, ``date``, ``boolean``, ``id``, ``category``,
    ``multiple-choice``); ``options`` are the labels of a category or multiple-choice one."""

    _schema = schemas.AttributeSchema
    _max_page_size = 10_000
    _repr_fields = ("name", "category", "type")
    _filters: ClassVar[Mapping[str, str]] = {}
    operations = declare(
        all=Operation("GET", "/contacts/attributes", paging="single", answer="attributes"),
        create=Operation("POST", "/contacts/attributes/{category}/{name}", safe=False),
        update=Operation("PUT", "/contacts/attributes/{category}/{name}"),
        delete=Operation("DELETE", "/contacts/attributes/{category}/{name}"),
    )

    def _after_load(self, values: dict[str, Any], data: Mapping[str, Any]) -> None:
        pass

    @property
    def id(self) -> Any:
        name, category = self._values.get("name"), self._values.get("category")
        return f"{category}/{name}" if name and category else None

    @Derived
    def data_type(self) -> str | None:  # type: ignore[override]
        if self.category == "category":
            return "list"
        return DATA_TYPES.get(self.type or "", "string")

    @data_type.setter  # type: ignore[no-redef]
    def data_type(self, value: str) -> None:
        if value not in BREVO_TYPES:
            raise _invalid(f"data_type must be one of {', '.join(BREVO_TYPES)}", "data_type")
        self.type = BREVO_TYPES[value]

    @Derived
    def label(self) -> str | None:  # type: ignore[override]
        return self.name

    @Derived
    def model(self) -> str:  # type: ignore[override]
        return "contact"

    @Derived
    def custom(self) -> bool:  # type: ignore[override]
        return (self.name or "").upper() not in STANDARD_ATTRIBUTES

    @Derived
    def options(self) -> list[Any] | None:  # type: ignore[override]
        if self.enumeration:
            return [e.get("label") for e in self.enumeration if isinstance(e, Mapping)]
        return list(self.multi_category_options) if self.multi_category_options else None

    def _ids(self) -> dict[str, Any]:
        name, category = self._values.get("name"), self._values.get("category") or "normal"
        if not name:
            raise _invalid("a ContactField needs a name", "name")
        return {"category": category, "name": name}

    def _create(self, payload: dict[str, Any]) -> Any:
        self._values.setdefault("category", "normal")
        body = self._wire_changes({k: v for k, v in payload.items()
                                   if k not in ("name", "category")})
        self._call("create", json=body, **self._ids())
        self._mark_clean()
        return None

    def _update(self, diff: dict[str, Any]) -> Any:
        if set(diff) - {"enumeration", "multi_category_options", "calculated_value"}:
            raise _invalid("only enumeration, multi_category_options and calculated_value of "
                           "a Brevo attribute can change", next(iter(diff)))
        body = self._wire_changes({k: self._values.get(k) for k in diff})
        self._call("update", json=body, **self._ids())
        return None

    def delete(self) -> None:
        self._call("delete", **self._ids())
        object.__setattr__(self, "_deleted", True)


# -- lists, folders, segments -----------------------------------------------------------------
class Folder(BrevoResource, Retrievable, Creatable, Updatable, Deletable, Listable):
    """A folder of lists (``/contacts/folders``)."""

    _schema = schemas.FolderSchema
    _max_page_size = 50
    _repr_fields = ("name",)
    operations = declare(
        find=Operation("GET", "/contacts/folders/{id}"),
        create=Operation("POST", "/contacts/folders", safe=False),
        update=Operation("PUT", "/contacts/folders/{id}"),
        delete=Operation("DELETE", "/contacts/folders/{id}"),
        all=Operation("GET", "/contacts/folders", paging="offset", answer="folders"),
        lists=Operation("GET", "/contacts/folders/{folder}/lists", paging="offset",
                        answer="lists"),
    )

    def _create(self, payload: dict[str, Any]) -> Any:
        return created_id(self, self._call("create", json=self._wire_changes(payload)),
                          "total_subscribers", "total_blacklisted", "unique_subscribers")

    def _update(self, diff: dict[str, Any]) -> Any:
        self._call("update", json=self._wire_changes(diff))
        return None

    def lists(self) -> Collection[Any]:
        """The lists (tags) in this folder."""
        tag = self._model("Tag")
        return Collection(lambda params, cursor, size: Brevo.page(
            tag, self.operation("lists"), {**params, "folder": self.id}, cursor, size),
            description=f"Folder({self.id}).lists()")


class Tag(BrevoResource, Retrievable, Creatable, Updatable, Deletable, Listable,
          canonical.Tag):
    """A Brevo contact list. ``tag.tag(contacts=[...])`` adds members 150 a call."""

    _schema = schemas.ListSchema
    _max_page_size = 50
    operations = declare(
        find=Operation("GET", "/contacts/lists/{id}"),
        create=Operation("POST", "/contacts/lists", safe=False),
        update=Operation("PUT", "/contacts/lists/{id}"),
        delete=Operation("DELETE", "/contacts/lists/{id}"),
        all=Operation("GET", "/contacts/lists", paging="offset", answer="lists"),
        contacts=Operation("GET", "/contacts/lists/{tag}/contacts", paging="offset:500",
                           answer="contacts"),
        add=Operation("POST", "/contacts/lists/{id}/contacts/add", safe=True),
        remove=Operation("POST", "/contacts/lists/{id}/contacts/remove", safe=True),
    )

    def _create(self, payload: dict[str, Any]) -> Any:
        if payload.get("folder_id") is None:
            payload = {**payload, "folder_id": self._default_folder()}
            self._values["folder_id"] = payload["folder_id"]
        return created_id(self, self._call("create", json=self._wire_changes(payload)),
                          "created_at", "total_subscribers", "unique_subscribers")

    def _update(self, diff: dict[str, Any]) -> Any:
        self._call("update", json=self._wire_changes(diff))
        return None

    def _default_folder(self) -> int:
        client = self._client()

        def compute() -> int:
            folder = self._model("Folder")
            first = folder.all().page_size(1).first()
            if first is None:
                first = folder.create(name="chatmodels")
            return int(first.id)
        return client.cached("brevo:default-folder", compute)  # type: ignore[no-any-return]

    def contacts(self, **filters: Any) -> Collection[Any]:
        """The contacts of this list (``modified_since=`` accepted), 500 a page."""
        contact = self._model("Contact")
        op = self.operation("contacts")

        def fetch(params: Mapping[str, Any], cursor: Any, size: int | None) -> Any:
            return Brevo.page(contact, op, {**params, "tag": self.id}, cursor, size)
        return Collection(fetch, params=filters, description=f"Tag({self.id}).contacts()")

    def tag(self, contacts: Iterable[Any]) -> dict[str, list[Any]]:
        """Add contacts (objects, ids or emails) to the list, 150 a call. Returns Brevo's
        ``{"success": [...], "failure": [...]}`` over all calls; contacts already in the list
        come back as failures, not as an error."""
        return self._members("add", contacts)

    def untag(self, contacts: Iterable[Any]) -> dict[str, list[Any]]:
        """Remove contacts from the list, 150 a call (same answer as :meth:`tag`)."""
        return self._members("remove", contacts)

    def _members(self, op: str, contacts: Iterable[Any]) -> dict[str, list[Any]]:
        ids: list[int] = []
        emails: list[str] = []
        touched = []
        for c in contacts:
            if isinstance(c, Model):
                touched.append(c)
                if c.id is not None:
                    ids.append(int(c.id))
                elif c.email:
                    emails.append(str(c.email))
                else:
                    raise _invalid("a contact to tag needs an id or an email", "contacts")
            elif isinstance(c, int) and not isinstance(c, bool):
                ids.append(c)
            elif isinstance(c, str) and "@" in c:
                emails.append(c)
            elif isinstance(c, str) and c.isdigit():
                ids.append(int(c))
            else:
                raise _invalid(f"cannot tag {c!r}: give contacts, ids or emails", "contacts")
        result: dict[str, list[Any]] = {"success": [], "failure": []}
        for key, values in (("ids", ids), ("emails", emails)):
            for batch in chunks(values, LIST_BATCH):
                try:
                    answer = self._call(op, json={key: batch})
                except BadRequestError as exc:
                    if exc.code != "invalid_parameter" or exc.status != 400:
                        raise
                    # Brevo refuses a call where no contact could be added or removed
                    result["failure"].extend(batch)
                    continue
                done = (answer or {}).get("contacts") or {}
                result["success"].extend(done.get("success") or [])
                result["failure"].extend(done.get("failure") or [])
        for contact in touched:
            contact._forget("list_ids")
        self._forget("total_subscribers", "unique_subscribers")
        return result


class Segment(BrevoResource, Listable, canonical.Segment):
    """A saved segment (read-only through the API); ``segment.contacts()`` lists members."""

    _schema = schemas.SegmentSchema
    _max_page_size = 50
    operations = declare(
        all=Operation("GET", "/contacts/segments", paging="offset", answer="segments"),
    )

    def contacts(self) -> Collection[Any]:
        return self._model("Contact").all(segment_id=self.id)  # type: ignore[no-any-return]


__all__ = ["LIST_BATCH", "UPDATE_BATCH", "BrevoResource", "Contact", "ContactField", "Folder",
           "Segment", "Tag", "created_id"]

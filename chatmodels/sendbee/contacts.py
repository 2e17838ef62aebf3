"""Sendbee contacts, contact tags, contact fields and contact notes on the canonical model.

Sendbee answers a contact with ``tags: [{id, name}]``, ``contact_fields: [{key, value}]`` and
``notes: [{value, id}]`` but takes ``tags: [names]``, ``contact_fields: {name: value}`` and
``notes: [text]`` (appended) when writing, so the bodies are built here from the canonical
diff: ``contact.custom_attributes["plan"] = "pro"; contact.save()`` sends ``PUT /contacts
{"id": ..., "contact_fields": {"plan": "pro"}}`` and nothing else.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from .. import canonical
from ..collection import Collection, Page
from ..errors import ResourceNotFound
from ..model import Derived, Model
from ..operations import Operation, declare
from ..resource import Creatable, Deletable, Related, Updatable
from . import schemas
from .base import SendbeeListable, SendbeeResource, id_of, invalid, name_of

#: Sendbee contact field types
FIELD_TYPES = ("text", "number", "list", "date", "boolean")
#: canonical data type <- Sendbee field type
DATA_TYPES = {"text": "string", "number": "float", "list": "list", "date": "date",
              "boolean": "boolean"}
#: Sendbee field type <- canonical data type (or Sendbee type)
FIELD_TYPE_OF = {"string": "text", "integer": "number", "float": "number", "list": "list",
                 "date": "date", "boolean": "boolean", **{t: t for t in FIELD_TYPES}}
_MISSING: Any = object()
#: what ``Contact.create`` passes through to ``/contacts/subscribe``
SUBSCRIBE_OPTIONS = ("notes", "block_notifications", "block_automation")


def _check_fields(values: Any) -> dict[str, Any]:
    """Contact field values: a dict of field names to scalars (``None`` clears)."""
    if not isinstance(values, Mapping):
        raise invalid("custom_attributes must be a dict", "custom_attributes")
    for key, value in values.items():
        if not isinstance(key, str) or not key:
            raise invalid("custom_attributes keys must be non-empty field names",
                          "custom_attributes")
        if value is not None and not isinstance(value, (str, int, float, bool)):
            raise invalid(f"custom_attributes[{key!r}] must be a string, number or boolean "
                          f"(got {type(value).__name__})", "custom_attributes")
    return dict(values)


def _check_notes(notes: Any) -> list[str]:
    if isinstance(notes, str):
        notes = [notes]
    if not isinstance(notes, (list, tuple)) or not all(
            isinstance(n, str) and n.strip() for n in notes):
        raise invalid("notes must be a list of non-empty strings", "notes")
    return list(notes)


class Contact(SendbeeListable, Creatable, Updatable, canonical.Contact):
    """A WhatsApp contact. ``Contact.create(phone=...)`` subscribes it (``POST
    /contacts/subscribe``, with ``notes=[...]``, ``block_notifications=``,
    ``block_automation=`` as options); ``save()`` sends the changed ``name``, ``phone``,
    ``tags`` (names) and ``custom_attributes`` (contact fields) with ``PUT /contacts``.
    Sendbee has no contact-by-id endpoint: ``find(phone=...)`` searches."""

    _schema = schemas.ContactSchema
    _repr_fields = ("name", "phone")
    _refs = {"tags": ("Tag", True)}
    _extra_writable = frozenset({"custom_attributes"})
    _filters: ClassVar[Mapping[str, str]] = {
        "tags": "tags", "status": "status", "search": "search_query",
        "search_query": "search_query"}
    operations = declare(
        all=Operation("GET", "/contacts", paging="page"),
        create=Operation("POST", "/contacts/subscribe", answer="data"),
        update=Operation("PUT", "/contacts", answer="data"),
    )

    def _after_load(self, values: dict[str, Any], data: Mapping[str, Any]) -> None:
        fields = data.get("contact_fields", _MISSING)
        if fields is _MISSING:
            return
        try:  # the usual shape, in one pass (this runs for every contact of every page)
            values["custom_attributes"] = {f["key"]: f["value"] for f in fields}
        except (TypeError, KeyError, AttributeError):
            values["custom_attributes"] = {
                f["key"]: f.get("value") for f in fields
                if isinstance(f, Mapping) and isinstance(f.get("key"), str)
            } if isinstance(fields, list) else {}

    def _tracked(self, key: str, value: Any) -> Any:
        out = super()._tracked(key, value)
        if key == "tags" and key not in self._touched and isinstance(out, list):
            # the core stores a freshly built ref list as both value and original: keep a
            # copy, so that contact.tags.append(...) on the first read is a change too
            self._orig[key] = list(out)
            self._touched.add(key)
        return out

    @Derived
    def role(self) -> Any:
        """Always ``"user"``: Sendbee has no leads."""
        return "user"

    # -- lookups -------------------------------------------------------------------------------
    @classmethod
    def find(cls, phone: str | None = None, *, id: Any = None) -> Contact:
        """The contact with this phone number (searched; ``id=`` narrows to that contact)."""
        if not phone:
            raise invalid("Contact.find() needs phone= (Sendbee has no lookup by id alone)",
                          "phone")
        for contact in cls.all(search=phone):
            if contact.phone == phone and (id is None or str(contact.id) == str(id)):
                return contact  # type: ignore[no-any-return]
        what = f"phone={phone!r}" + (f", id={id!r}" if id is not None else "")
        raise ResourceNotFound(f"Contact {what} not found", provider="sendbee", status=None,
                               code="not_found")

    def _fetch(self) -> Mapping[str, Any]:
        phone = self._values.get("phone")
        if not phone:
            raise invalid("a contact is loaded by its phone number, and this one has none",
                          "phone")
        found = type(self).find(phone, id=self.id)
        return found.raw or {}

    # -- create / save -----------------------------------------------------------------------
    @classmethod
    def create(cls, **fields: Any) -> Contact:  # type: ignore[override]
        """Subscribe a contact: ``phone`` (required), ``name``, ``tags`` (names or Tags,
        created when missing), ``custom_attributes`` (existing contact fields only), and the
        subscribe options ``notes=[...]``, ``block_notifications=``, ``block_automation=``."""
        options = {k: fields.pop(k) for k in SUBSCRIBE_OPTIONS if k in fields}
        if "notes" in options:
            options["notes"] = _check_notes(options["notes"])
        obj = cls(**fields)
        object.__setattr__(obj, "_subscribe_options", options)
        obj.save()
        return obj

    def _validate_create(self, payload: Mapping[str, Any]) -> None:
        phone = payload.get("phone")
        if not isinstance(phone, str) or not phone.strip():
            raise invalid("a Sendbee contact needs a phone number", "phone")

    def _body(self, diff: Mapping[str, Any]) -> dict[str, Any]:
        plain = {k: v for k, v in diff.items() if k not in ("tags", "custom_attributes")}
        body = self._wire_changes(plain) if plain else {}
        if "tags" in diff:
            body["tags"] = [name_of(t) for t in (diff["tags"] or [])]
        if "custom_attributes" in diff:
            body["contact_fields"] = _check_fields(diff["custom_attributes"] or {})
        return body

    def _create(self, payload: dict[str, Any]) -> Any:
        body = self._body(payload)
        body.update(getattr(self, "_subscribe_options", None) or {})
        return self._call("create", json=body)

    def _update(self, diff: dict[str, Any]) -> Any:
        return self._call("update", json={"id": id_of(self), **self._body(diff)})

    # -- tags, notes -------------------------------------------------------------------------
    def add_tag(self, tag: Any) -> Contact:
        """Tag the contact now (a new name creates the tag)."""
        names = [name_of(t) for t in (self.tags or [])]
        if name_of(tag) not in names:
            self._fill(self._call("update", json={"id": id_of(self),
                                                  "tags": names + [name_of(tag)]}))
        return self

    def remove_tag(self, tag: Any) -> Contact:
        names = [name_of(t) for t in (self.tags or [])]
        if name_of(tag) in names:
            self._fill(self._call("update", json={
                "id": id_of(self), "tags": [n for n in names if n != name_of(tag)]}))
        return self

    @property
    def notes(self) -> Related:
        """The contact's notes: ``contact.notes()`` lists them, ``contact.notes.create(
        body=...)`` appends one (Sendbee appends notes, it never replaces them)."""
        note = self._model("Note")
        return Related(lambda: note.all(contact=self),
                       lambda **kw: note.create(contact=self, **kw),
                       f"notes of contact {self.id}")

    def add_note(self, body: str) -> Any:
        """Append a note (``PUT /contacts {"id", "notes": [body]}``); returns the Note."""
        return self._model("Note").create(contact=self, body=body)


class Tag(SendbeeListable, Creatable, Updatable, Deletable, canonical.Tag):
    """A contact tag: ``Tag.all(name=)``, ``Tag.create(name=)``, rename and ``save()``,
    ``delete()`` (the id travels in the JSON body, DELETE included)."""

    _schema = schemas.TagSchema
    _filters: ClassVar[Mapping[str, str]] = {"name": "name"}
    operations = declare(
        all=Operation("GET", "/contacts/tags", paging="page"),
        create=Operation("POST", "/contacts/tags", answer="data"),
        update=Operation("PUT", "/contacts/tags", answer="data"),
        delete=Operation("DELETE", "/contacts/tags"),
    )

    @classmethod
    def find(cls, id: Any = None, *, name: str | None = None) -> Tag:
        """A tag by id or by exact name (searched by name with ``Tag.all(name=...)``)."""
        if (id is None) == (name is None):
            raise invalid("Tag.find() takes id= or name=")
        items = cls.all(name=name) if name is not None else cls.all()
        for tag in items:
            if (name is not None and tag.name == name) or (id is not None
                                                           and str(tag.id) == str(id)):
                return tag  # type: ignore[no-any-return]
        what = f"name={name!r}" if name is not None else f"id={id!r}"
        raise ResourceNotFound(f"Tag {what} not found", provider="sendbee", code="not_found")

    def _fetch(self) -> Mapping[str, Any]:
        found = type(self).find(id=self.id)
        return found.raw or {}

    def _update(self, diff: dict[str, Any]) -> Any:
        return self._call("update", json={"id": id_of(self), **self._wire_changes(diff)})

    def delete(self) -> None:
        self._call("delete", json={"id": id_of(self)})
        object.__setattr__(self, "_deleted", True)

    def tag(self, contacts: Iterable[Any]) -> Tag:
        """Add this tag to each contact (one ``PUT /contacts`` per contact)."""
        for contact in contacts:
            contact.add_tag(self)
        return self


class ContactField(SendbeeListable, Creatable, Updatable, Deletable, canonical.ContactField):
    """A contact field definition: ``name``, ``type`` (``text``, ``number``, ``list``,
    ``date``, ``boolean``; or the canonical ``data_type``), ``options`` (list fields)."""

    _schema = schemas.ContactFieldSchema
    _repr_fields = ("name", "type")
    _extra_writable = frozenset({"data_type"})
    _filters: ClassVar[Mapping[str, str]] = {"search": "search_query",
                                             "search_query": "search_query"}
    operations = declare(
        all=Operation("GET", "/contacts/fields", paging="page"),
        create=Operation("POST", "/contacts/fields", answer="data"),
        update=Operation("PUT", "/contacts/fields", answer="data"),
        delete=Operation("DELETE", "/contacts/fields"),
    )

    def _after_load(self, values: dict[str, Any], data: Mapping[str, Any]) -> None:
        kind = values.get("type")
        values["data_type"] = DATA_TYPES.get(kind, kind) if isinstance(kind, str) else None
        values["label"] = values.get("name")
        values["model"] = "contact"
        values["custom"] = True
        values["archived"] = False

    def _body(self, values: Mapping[str, Any]) -> dict[str, Any]:
        values = dict(values)
        data_type = values.pop("data_type", None)
        if data_type is not None and values.get("type") is None:
            if data_type not in FIELD_TYPE_OF:
                raise invalid(f"unknown data_type {data_type!r}", "data_type")
            values["type"] = FIELD_TYPE_OF[data_type]
        kind = values.get("type", self._values.get("type"))
        if kind is not None and kind not in FIELD_TYPES:
            raise invalid(f"a contact field type is one of {', '.join(FIELD_TYPES)}", "type")
        options = values.get("options", self._values.get("options"))
        if kind == "list" and not options:
            raise invalid("a list field needs options", "options")
        if kind != "list" and values.get("options"):
            raise invalid("only list fields take options", "options")
        return self._wire_changes(values)

    def _validate_create(self, payload: Mapping[str, Any]) -> None:
        if not payload.get("name"):
            raise invalid("a contact field needs a name", "name")
        if not payload.get("type") and not payload.get("data_type"):
            raise invalid("a contact field needs a type", "type")

    def _create(self, payload: dict[str, Any]) -> Any:
        return self._call("create", json=self._body(payload))

    def _update(self, diff: dict[str, Any]) -> Any:
        body = self._body(diff)
        # Sendbee's PHP client requires name and type on every update: send them along
        body.setdefault("name", self._values.get("name"))
        body.setdefault("type", self._values.get("type"))
        return self._call("update", json={"id": id_of(self), **body})

    def delete(self) -> None:
        self._call("delete", json={"id": id_of(self)})
        object.__setattr__(self, "_deleted", True)


class Note(SendbeeResource, canonical.Note):
    """A note on a contact (``contact.notes``). Notes have no endpoint of their own: they are
    read from the contact and appended with ``PUT /contacts``; they cannot be edited or
    deleted through the API, and carry no author or time."""

    _schema = schemas.NoteSchema
    operations = declare(append=Operation("PUT", "/contacts", answer="data", safe=False))

    @classmethod
    def all(cls, contact: Any) -> Collection[Any]:
        """The notes of ``contact`` (a Contact; its notes come with it)."""
        if not isinstance(contact, Model):
            raise invalid("Note.all() needs contact= (a Contact)", "contact")

        def page(params: Mapping[str, Any], cursor: Any, size: int | None) -> Page[Any]:
            return Page([cls._of(contact, n) for n in (contact.note_list or [])
                         if isinstance(n, Mapping)], None)
        return Collection(page, description=f"notes of contact {contact.id}")

    @classmethod
    def _of(cls, contact: Any, wire: Mapping[str, Any]) -> Note:
        note: Note = cls.from_wire(wire, account=contact.account)  # type: ignore[assignment]
        note._values["contact_id"] = contact.id
        note._orig["contact_id"] = contact.id
        return note

    @classmethod
    def create(cls, contact: Any, body: str) -> Note:
        """Append a note to ``contact`` and return it."""
        text = _check_notes([body])[0]
        if isinstance(contact, Model):  # the contact's account, whatever this class is bound to
            cls = contact._model("Note")
        data = cls._call("append", json={"id": id_of(contact, "contact"), "notes": [text]})
        if isinstance(contact, Model) and isinstance(data, Mapping):
            contact._fill(data)
        notes = data.get("notes") if isinstance(data, Mapping) else None
        if isinstance(notes, list):
            for wire in reversed(notes):
                if isinstance(wire, Mapping) and wire.get("value") == text:
                    return cls._of(contact, wire) if isinstance(contact, Model) else \
                        cls.from_wire(wire)  # type: ignore[return-value]
        raise invalid("Sendbee did not return the new note")  # pragma: no cover

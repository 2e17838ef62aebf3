"""The Intercom workspace directory: admins, teams, tags, companies, segments and data
attributes.

Retry safety of the writes that are not plain CRUD (see :mod:`chatmodels.operations`): away mode
(``PUT``) and a tag rename set values, and ``POST /tags`` with a name finds the tag of that name
or makes it, so each is resent freely; removing a tag from companies (a ``POST``) or contacts (a
``DELETE``) leaves the same state however often it is sent. Applying a tag in bulk is sent once
(each application records who applied it and when). A company without a ``company_id`` is new
each time and a data attribute name can be created once, so those creates are sent once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from .. import canonical
from ..collection import Page
from ..errors import ResourceNotFound, ValidationError
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
from .api import items_of
from .base import IntercomResource, _id_of


class Admin(IntercomResource, Retrievable, Listable, canonical.Agent):
    """An Intercom teammate (alias ``Agent``). Admins are managed in the Intercom UI."""

    _schema = schemas.AdminSchema
    operations = declare(
        find=Operation("GET", "/admins/{id}"),
        all=Operation("GET", "/admins"),
        me=Operation("GET", "/me", safe=True),
        set_away=Operation("PUT", "/admins/{id}/away", safe=True),
    )

    @classmethod
    def me(cls) -> Admin:
        """The admin owning the access token (``GET /me``), cached per account for 10 min:
        every conversation action needs the acting admin's id."""
        return cls._client().cached(  # type: ignore[no-any-return]
            "admin:me", lambda: cls.from_wire(cls._call("me")))

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
        data = self._call("set_away",
                          json={"away_mode_enabled": away, "away_mode_reassign": reassign})
        self._fill(data)
        return self


Agent = Admin


class Team(IntercomResource, Retrievable, Listable, canonical.Team):
    _schema = schemas.TeamSchema
    operations = declare(
        find=Operation("GET", "/teams/{id}"),
        all=Operation("GET", "/teams"),
    )


class Tag(IntercomResource, Retrievable, Creatable, Deletable, Listable, canonical.Tag):
    """A tag. ``save()`` creates or renames (``POST /tags``). ``Tag.all(contact=bob)`` lists a
    contact's tags with names (``GET /contacts/{id}/tags``)."""

    _schema = schemas.TagSchema
    operations = declare(
        find=Operation("GET", "/tags/{id}"),
        all=Operation("GET", "/tags"),
        of_contact=Operation("GET", "/contacts/{contact}/tags", safe=True),
        create=Operation("POST", "/tags", safe=True),  # finds the tag of that name, or makes it
        update=Operation("POST", "/tags", safe=True),  # a rename: {"id", "name"}
        delete=Operation("DELETE", "/tags/{id}"),
        apply=Operation("POST", "/tags", safe=False),  # {"name", "users"|"companies"}
        untag_companies=Operation("POST", "/tags", safe=True),  # companies with "untag": true
        untag_contact=Operation("DELETE", "/contacts/{contact}/tags/{id}", safe=True),
    )

    def _update(self, diff: dict[str, Any]) -> Any:
        payload = self._wire_changes(diff)
        payload["id"] = str(self.id)
        payload.setdefault("name", self.name)
        return self._call("update", json=payload)

    @classmethod
    def find_by_name(cls, name: str) -> Tag | None:
        """The tag called ``name`` (case-insensitive, as Intercom compares), or ``None``."""
        for tag in cls.all():
            if (tag.name or "").lower() == name.lower():
                return tag  # type: ignore[no-any-return]
        return None

    def tag(self, contacts: Iterable[Any] = (), companies: Iterable[Any] = (),
            conversations: Iterable[Any] = (), admin: Any = None) -> Tag:
        """Apply this tag to contacts (one bulk request), companies and conversations."""
        contacts, companies, conversations = list(contacts), list(companies), list(conversations)
        if contacts:
            self._call("apply", json={
                "name": self.name, "users": [{"id": _id_of(c)} for c in contacts]})
        if companies:
            self._call("apply", json={
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
            self._call("untag_contact", contact=_id_of(contact))
        companies = list(companies)
        if companies:
            self._call("untag_companies", json={
                "name": self.name,
                "companies": [{"id": _id_of(c), "untag": True} for c in companies]})
        for conv in conversations:
            conv_cls = self._model("Conversation")
            conv = conv if isinstance(conv, Resource) else conv_cls.ref(conv)
            conv.remove_tag(self, admin=admin)
        return self


class Company(IntercomResource, Retrievable, Creatable, Updatable, Deletable, Listable,
              canonical.Company):
    """A company. Create is ``POST /companies`` (create-or-update keyed by ``company_id``).
    ``Company.all(contact=bob)`` lists a contact's companies; ``company.contacts`` its
    contacts."""

    _schema = schemas.CompanySchema
    _max_page_size = 60
    _refs = {"tags": ("Tag", True), "segments": ("Segment", True)}
    operations = declare(
        find=Operation("GET", "/companies/{id}"),
        find_by=Operation("GET", "/companies", safe=True),  # ?company_id= or ?name=
        create=Operation("POST", "/companies", safe=False),
        update=Operation("PUT", "/companies/{id}"),
        delete=Operation("DELETE", "/companies/{id}"),
        all=Operation("GET", "/companies", paging="pages"),
        of_contact=Operation("GET", "/contacts/{contact}/companies", paging="pages", safe=True),
    )

    @classmethod
    def _find_by(cls, *, id: Any = None, company_id: str | None = None,
                 name: str | None = None) -> Company:
        if company_id is None and name is None:
            return cls.from_wire(cls._call("find", id=id))  # type: ignore[return-value]
        params = {"company_id": company_id} if company_id is not None else {"name": name}
        data = cls._call("find_by", params=params)
        items = items_of(data) if data.get("type") == "list" else [data]
        if not items:
            raise ResourceNotFound("company not found", provider="intercom", code="not_found")
        return cls.from_wire(items[0])  # type: ignore[return-value]

    def _validate_create(self, payload: Mapping[str, Any]) -> None:
        if not payload.get("company_id") and not payload.get("name"):
            raise ValidationError("a company needs company_id or name", provider="intercom",
                                  field="company_id")

    @property
    def contacts(self) -> Related:
        """The contacts attached to this company: ``company.contacts()`` (a collection over
        ``Contact.all(company=...)``)."""
        contact = self._model("Contact")
        return Related(lambda: contact.all(company=self), None,
                       f"contacts of company {self.id}")


class Segment(IntercomResource, Retrievable, Listable, canonical.Segment):
    """A segment (defined in Intercom's UI). ``Segment.all(contact=bob)`` lists a contact's."""

    _schema = schemas.SegmentSchema
    operations = declare(
        find=Operation("GET", "/segments/{id}"),
        all=Operation("GET", "/segments", query={"include_count": "true"}),
        of_contact=Operation("GET", "/contacts/{contact}/segments", safe=True),
    )


class DataAttribute(IntercomResource, Creatable, Updatable, Listable, canonical.ContactField):
    """A data attribute definition (alias ``ContactField``).

    ``all(model="contact"|"company")`` lists ``GET /data_attributes``; ``all(model=
    "conversation")`` lists ``GET /conversations/attributes`` (2.16 answers 422 to
    ``/data_attributes?model=conversation``). Conversation attributes are read-only here.
    """

    _schema = schemas.DataAttributeSchema
    operations = declare(
        all=Operation("GET", "/data_attributes"),
        conversation_attributes=Operation("GET", "/conversations/attributes", safe=True),
        create=Operation("POST", "/data_attributes", safe=False),  # a name is created once
        update=Operation("PUT", "/data_attributes/{id}"),
    )
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
            return cls._config.page(cls, cls.operation("conversation_attributes"), query,
                                    cursor, size)
        return cls._config.page(cls, cls.operation("all"), {"model": model, **query}, cursor,
                                size)

    def _after_load(self, values: dict[str, Any], data: Mapping[str, Any]) -> None:
        if data.get("type") == "conversation_attribute":
            values.setdefault("model", "conversation")
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
    def find_by_name(cls, name: str,  # type: ignore[override]
                     model: str = "contact") -> DataAttribute | None:
        """The ``model`` data attribute called ``name``, or ``None``."""
        for attr in cls.all(model=model):
            if attr.name == name:
                return attr  # type: ignore[no-any-return]
        return None

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

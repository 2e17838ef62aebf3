"""Crisp website-level resources: the website, its operators, segments (tags), people data
keys (contact fields) and the visitors online now."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from .. import canonical
from ..collection import Collection, Page
from ..errors import ResourceNotFound
from ..http import encode_path
from ..model import Model
from ..resource import (
    Deletable,
    Listable,
    Retrievable,
)
from . import schemas
from ._base import (
    CrispResource,
    _id_of,
    _invalid,
    _name_of,
    _one_page,
)
from .api import kind_of, numbered_page


# -- website, operators -----------------------------------------------------------------------
class Website(CrispResource):
    """The website the account is bound to: ``Website.get()`` (``GET /website/{id}``)."""

    _schema = schemas.WebsiteSchema
    _repr_fields = ("name", "domain")

    @classmethod
    def get(cls) -> Website:
        return cls.from_wire(cls._request("GET", cls._website()))  # type: ignore[return-value]

    def _fetch(self) -> Mapping[str, Any]:
        return self._request("GET", self._website())  # type: ignore[no-any-return]


class Operator(CrispResource, Retrievable, Listable, canonical.Agent):
    """A website operator (alias ``Agent``). Operators are managed in Crisp's app only."""

    _schema = schemas.OperatorSchema
    _id_key = "user_id"

    #: operator token fields Crisp may include: never kept on the object
    _SECRET_KEYS: ClassVar[frozenset[str]] = frozenset({"identifier", "key"})

    def _fill(self, data: Mapping[str, Any], *, partial: bool = False) -> None:
        self._check_wire(data)
        super()._fill({k: v for k, v in data.items() if k not in self._SECRET_KEYS},
                      partial=partial)

    def _after_load(self, values: dict[str, Any], data: Mapping[str, Any]) -> None:
        if "first_name" in data or "last_name" in data:
            full = " ".join(p for p in (data.get("first_name"), data.get("last_name")) if p)
            values["name"] = full or None
        if "availability" in data:
            values["away"] = data.get("availability") != "online"

    def _instance_path(self) -> str:
        return self._website() + encode_path("/operator/{u}", u=_id_of(self))

    @classmethod
    def find(cls, id: Any = None, **lookup: Any) -> Operator:
        cls._refuse_lookups(dict(lookup, id=id), ("id",), "id= (the operator's user_id)")
        return cls._get_one(  # type: ignore[no-any-return]
            cls._website() + encode_path("/operator/{u}", u=id), f"operator with user_id {id!r}")

    @classmethod
    def _list_page(cls, params: Mapping[str, Any], cursor: Any, size: int | None) -> Page[Any]:
        data = cls._request("GET", cls._website() + "/operators/list")
        if not isinstance(data, list):
            raise cls._bad_answer(f"the operator list is {kind_of(data)}, not a list")
        operators = []
        for item in data:
            details = item.get("details") if isinstance(item, Mapping) else None
            if not isinstance(details, Mapping):
                raise cls._bad_answer("an operator list item has no details object",
                                      "details")
            operators.append(cls.from_wire(details))
        return _one_page(operators)

    @classmethod
    def find_by_email(cls, email: str) -> Operator:
        """The operator with this email (case-insensitive), or ``ResourceNotFound``."""
        for op in cls.all():
            if (op.email or "").lower() == email.lower():
                return op  # type: ignore[no-any-return]
        raise ResourceNotFound(f"no operator with email {email}", provider="crisp",
                               code="not_found")

    @classmethod
    def active(cls) -> list[dict[str, Any]]:
        """Operators online now: ``[{user_id, avatar, nickname, timestamp}]`` as Crisp sends it."""
        data = cls._request("GET", cls._website() + "/operators/active")
        if not isinstance(data, list):
            raise cls._bad_answer(f"the active operators are {kind_of(data)}, not a list")
        return list(data)


Agent = Operator


# -- tags (segments), contact fields (people data keys) ----------------------------------------
class Tag(CrispResource, Listable, Deletable, canonical.Tag):
    """A segment name. Crisp has no bare segments: applying a name to a profile or a
    conversation creates it, so there is no ``Tag.create``. ``usage_count`` is the number of
    profiles (or conversations, ``all(scope="conversations")``) using it."""

    _schema = schemas.SegmentSchema
    _wire_shapes = {"count": int}
    _id_key = "segment"
    _repr_fields = ("name", "usage_count")

    def _after_load(self, values: dict[str, Any], data: Mapping[str, Any]) -> None:
        values["id"] = values.get("name")

    @classmethod
    def all(cls, scope: str = "people") -> Collection[Any]:  # type: ignore[override]
        """Every people segment (``scope="conversations"``: conversation segments)."""
        if scope not in ("people", "conversations"):
            raise _invalid("scope must be 'people' or 'conversations'", "scope")
        path = cls._website() + f"/{scope}/suggest/segments"

        def page(params: Mapping[str, Any], cursor: Any, size: int | None) -> Page[Any]:
            return numbered_page(cls._request, path, cursor=cursor, wrap=cls.from_wire)
        return Collection(page, description=f"Tag.all(scope={scope!r})")

    @classmethod
    def count(cls, scope: str = "people") -> int:  # type: ignore[override]
        return cls.all(scope=scope).count()

    @classmethod
    def find(cls, id: Any = None, *, scope: str = "people", **lookup: Any) -> Tag:
        """The segment called ``id``/``name`` (exact), or ``ResourceNotFound``."""
        cls._refuse_lookups(dict(lookup, id=id), ("id", "name"), "id= or name= (a segment name)")
        wanted = id if id is not None else lookup["name"]
        for tag in cls.all(scope=scope):
            if tag.name == wanted:
                return tag  # type: ignore[no-any-return]
        raise ResourceNotFound(f"no segment named {wanted!r}", provider="crisp", code="not_found")

    def delete(self) -> None:
        """Remove the segment from the suggestions (``DELETE /people/suggest/segment``)."""
        self._request("DELETE", self._website() + "/people/suggest/segment",
                      json={"segment": _name_of(self)})
        object.__setattr__(self, "_deleted", True)

    def tag(self, contacts: Iterable[Any] = (), conversations: Iterable[Any] = ()) -> Tag:
        """Apply this segment to profiles and conversations (one PATCH each)."""
        for contact in contacts:
            self._as(contact, "Contact").add_tag(self)
        for conv in conversations:
            self._as(conv, "Conversation").add_tag(self)
        return self

    def untag(self, contacts: Iterable[Any] = (), conversations: Iterable[Any] = ()) -> Tag:
        for contact in contacts:
            self._as(contact, "Contact").remove_tag(self)
        for conv in conversations:
            self._as(conv, "Conversation").remove_tag(self)
        return self

    def _as(self, obj: Any, model: str) -> Any:
        return obj if isinstance(obj, Model) else self._model(model).ref(obj)


class ContactField(CrispResource, Listable, canonical.ContactField):
    """A people data key in use (``/people/suggest/data``), read-only: Crisp has no schema of
    custom data; a key exists once a profile has it. ``usage_count``: profiles having it."""

    _schema = schemas.DataKeySchema
    _wire_shapes = {"key": str, "count": int}
    _id_key = "key"
    _repr_fields = ("name", "usage_count")

    def _after_load(self, values: dict[str, Any], data: Mapping[str, Any]) -> None:
        name = values.get("name")
        values.update(id=name, label=name, model="contact", custom=True, archived=False)

    @classmethod
    def _list_page(cls, params: Mapping[str, Any], cursor: Any, size: int | None) -> Page[Any]:
        return numbered_page(cls._request, cls._website() + "/people/suggest/data",
                             cursor=cursor, wrap=cls.from_wire)

    @classmethod
    def find(cls, id: Any = None, **lookup: Any) -> ContactField:
        cls._refuse_lookups(dict(lookup, id=id), ("id", "name"), "id= or name= (a data key)")
        wanted = id if id is not None else lookup["name"]
        for key in cls.all():
            if key.name == wanted:
                return key  # type: ignore[no-any-return]
        raise ResourceNotFound(f"no people data key {wanted!r}", provider="crisp",
                               code="not_found")


# -- visitors ---------------------------------------------------------------------------------
class Visitor(CrispResource, Listable):
    """A website visitor online now (``/visitors/list``); ``id`` is its session_id."""

    _schema = schemas.VisitorSchema
    _id_key = "session_id"
    _repr_fields = ("nickname", "email")

    @classmethod
    def _list_page(cls, params: Mapping[str, Any], cursor: Any, size: int | None) -> Page[Any]:
        return numbered_page(cls._request, cls._website() + "/visitors/list", cursor=cursor,
                             wrap=cls.from_wire)

    @classmethod
    def stats(cls) -> dict[str, Any]:
        """``{count, active, limited}`` as Crisp sends it (``GET /visitors/count``)."""
        data = cls._request("GET", cls._website() + "/visitors/count")
        if not isinstance(data, Mapping):
            raise cls._bad_answer(f"the visitor count is {kind_of(data)}, not an object")
        cls._check_shapes(data, {"count": int, "active": int, "limited": bool})
        return dict(data)

    @classmethod
    def count(cls, **filters: Any) -> int:
        """The number of visitors (``GET /visitors/count``)."""
        if filters:
            return cls.all(**filters).count()
        return int(cls.stats().get("count") or 0)

    def conversation(self) -> Any:
        """The visitor's session as a (partial) Conversation."""
        return self._model("Conversation").ref(self.id)

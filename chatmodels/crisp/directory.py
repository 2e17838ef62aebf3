"""Crisp website-level resources: the website, its operators, segments (tags), people data
keys (contact fields) and the visitors online now."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from .. import canonical
from ..collection import Collection
from ..errors import ResourceNotFound
from ..model import Model
from ..operations import Operation, declare
from ..resource import (
    Deletable,
    Listable,
    Retrievable,
)
from . import schemas
from ._base import (
    CrispResource,
    W,
    _invalid,
    _name_of,
)
from .api import kind_of


# -- website, operators -----------------------------------------------------------------------
class Website(CrispResource):
    """The website the account is bound to: ``Website.get()`` (``GET /website/{id}``)."""

    _schema = schemas.WebsiteSchema
    _repr_fields = ("name", "domain")
    operations = declare(get=Operation("GET", W, safe=True))

    @classmethod
    def get(cls) -> Website:
        return cls.from_wire(cls._call("get"))  # type: ignore[return-value]

    def _fetch(self) -> Mapping[str, Any]:
        return self._call("get")  # type: ignore[no-any-return]


class Operator(CrispResource, Retrievable, Listable, canonical.Agent):
    """A website operator (alias ``Agent``). Operators are managed in Crisp's app only."""

    _schema = schemas.OperatorSchema
    _id_key = "user_id"
    operations = declare(
        find=Operation("GET", W + "/operator/{id}"),
        all=Operation("GET", W + "/operators/list", paging="single"),
        active=Operation("GET", W + "/operators/active", safe=True),
    )
    _lookup_hint = "id= (the operator's user_id)"
    _noun = "operator"
    _lookup_words = {"id": "user_id"}

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

    @classmethod
    def _from_item(cls, item: Any, op: Operation, ids: Mapping[str, Any]) -> Any:
        details = item.get("details") if isinstance(item, Mapping) else None
        if not isinstance(details, Mapping):
            raise cls._bad_answer("an operator list item has no details object", "details")
        return cls.from_wire(details)

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
        data = cls._call("active")
        if not isinstance(data, list):
            raise cls._bad_answer(f"the active operators are {kind_of(data)}, not a list")
        return list(data)


Agent = Operator


# -- tags (segments), contact fields (people data keys) ----------------------------------------
class Tag(CrispResource, Retrievable, Listable, Deletable, canonical.Tag):
    """A segment name. Crisp has no bare segments: applying a name to a profile or a
    conversation creates it, so there is no ``Tag.create``. ``usage_count`` is the number of
    profiles (or conversations, ``all(scope="conversations")``) using it."""

    _schema = schemas.SegmentSchema
    _wire_shapes = {"count": int}
    _id_key = "segment"
    _repr_fields = ("name", "usage_count")
    operations = declare(
        all=Operation("GET", W + "/{scope}/suggest/segments/{page}", paging="page"),
        delete=Operation("DELETE", W + "/people/suggest/segment"),
    )
    _lookup_hint = "id= or name= (a segment name)"
    _find_options = ("scope",)

    def _after_load(self, values: dict[str, Any], data: Mapping[str, Any]) -> None:
        values["id"] = values.get("name")

    @classmethod
    def all(cls, scope: str = "people", **filters: Any) -> Collection[Any]:
        """Every people segment (``scope="conversations"``: conversation segments)."""
        if scope not in ("people", "conversations"):
            raise _invalid("scope must be 'people' or 'conversations'", "scope")
        return cls._list("all", f"Tag.all(scope={scope!r})", scope=scope, **filters)

    @classmethod
    def _find_by(cls, id: Any = None, *, name: Any = None, **options: Any) -> Tag:
        """The segment called ``id``/``name`` (exact), or ``ResourceNotFound``; option
        ``scope="conversations"`` looks among conversation segments."""
        wanted = id if id is not None else name
        for tag in cls.all(scope=options.get("scope", "people")):
            if tag.name == wanted:
                return tag  # type: ignore[no-any-return]
        raise ResourceNotFound(f"no segment named {wanted!r}", provider="crisp", code="not_found")

    def delete(self) -> None:
        """Remove the segment from the suggestions (``DELETE /people/suggest/segment``)."""
        self._call("delete", json={"segment": _name_of(self)})
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


class ContactField(CrispResource, Retrievable, Listable, canonical.ContactField):
    """A people data key in use (``/people/suggest/data``), read-only: Crisp has no schema of
    custom data; a key exists once a profile has it. ``usage_count``: profiles having it."""

    _schema = schemas.DataKeySchema
    _wire_shapes = {"key": str, "count": int}
    _id_key = "key"
    _repr_fields = ("name", "usage_count")
    operations = declare(all=Operation("GET", W + "/people/suggest/data/{page}", paging="page"))
    _lookup_hint = "id= or name= (a data key)"

    def _after_load(self, values: dict[str, Any], data: Mapping[str, Any]) -> None:
        name = values.get("name")
        values.update(id=name, label=name, model="contact", custom=True, archived=False)

    @classmethod
    def _find_by(cls, id: Any = None, *, name: Any = None) -> ContactField:
        wanted = id if id is not None else name
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
    operations = declare(
        all=Operation("GET", W + "/visitors/list/{page}", paging="page"),
        stats=Operation("GET", W + "/visitors/count", safe=True),
    )

    @classmethod
    def stats(cls) -> dict[str, Any]:
        """``{count, active, limited}`` as Crisp sends it (``GET /visitors/count``)."""
        data = cls._call("stats")
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

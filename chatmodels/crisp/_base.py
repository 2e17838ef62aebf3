"""Shared ground of the Crisp resource classes: wire constants, value helpers, the base class.

Canonical values that live inside nested Crisp objects are *derived fields*: ``contact.name``
reads and writes ``contact.person["nickname"]``, ``conversation.title`` is
``conversation.meta["subject"]``... so there is one source of truth and dirty tracking sees
every change (``save()`` sends the nested diff). See docs/crisp.md for the whole mapping.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, ClassVar

from ..collection import Collection, Page
from ..errors import ChatModelsError, ResourceNotFound, ValidationError
from ..model import Model, derived_names, jsonable
from ..operations import Operation
from ..resource import Resource
from .api import Crisp, bad_answer, kind_of

UTC = dt.timezone.utc
_MISSING: Any = object()

#: canonical conversation state <- Crisp state
STATES: dict[str, str] = {"unresolved": "open", "pending": "pending", "resolved": "closed"}
#: Crisp state <- canonical (or Crisp) state name
CRISP_STATES: dict[str, str] = {"open": "unresolved", "pending": "pending", "closed": "resolved",
                                "unresolved": "unresolved", "resolved": "resolved"}
#: canonical message kind <- Crisp message type
KINDS: dict[str, str] = {"text": "comment", "note": "note", "file": "comment",
                         "animation": "comment", "audio": "comment", "picker": "comment",
                         "field": "comment", "carousel": "comment", "event": "event"}
#: people search operators (``criterion__op=value``)
FILTER_OPERATORS = ("eq", "neq", "has", "nhas", "gt", "gte", "lt", "lte", "exists", "nexists")
#: canonical field -> people search criterion
PEOPLE_CRITERIA = {"name": "nickname", "phone": "person.phone", "avatar_url": "person.avatar",
                   "location": "person.geolocation", "tags": "segments",
                   "custom_attributes": "data", "id": "people_id", "companies": "company"}
#: keys of a conversation meta update
META_KEYS = frozenset({"nickname", "email", "phone", "address", "subject", "ip", "avatar",
                       "origin", "segments", "data", "device"})
#: meta sub-objects Crisp merges on update (only their changed keys are sent)
MERGED_META = ("data", "device")
#: the writable people profile card
CARD_KEYS = ("email", "person", "company", "segments", "notepad", "last_seen_at")
DEFAULT_ORIGIN = "chat"


# -- helpers ----------------------------------------------------------------------------------
def _invalid(message: str, field: str | None = None) -> ValidationError:
    return ValidationError(message, provider="crisp", field=field)


def _id_of(obj: Any, what: str = "object") -> str:
    if isinstance(obj, Model):
        if obj.id is None:
            raise _invalid(f"{type(obj).__name__} has no id yet: save() it first")
        return str(obj.id)
    if obj is None or obj == "":
        raise _invalid(f"a {what} (or its id) is required")
    return str(obj)


def _name_of(tag: Any) -> str:
    name = tag.name if isinstance(tag, Model) else tag
    if not isinstance(name, str) or not name.strip():
        raise _invalid("a tag (segment) name must be a non-empty string", "tags")
    return name


def _ms(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return int(value.timestamp() * 1000)
    return value


def _from_ms(value: Any) -> dt.datetime | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value:
        return None
    return dt.datetime.fromtimestamp(value / 1000, tz=UTC)


def _iso(value: Any) -> str:
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _flag(value: Any) -> int:
    return 1 if value else 0


def _check_text(value: Any, field: str) -> Any:
    """A string field set locally: a string or ``None``."""
    if value is not None and not isinstance(value, str):
        raise _invalid(f"{field} must be a string or None (got {type(value).__name__})", field)
    return value


def _check_dict(value: Any, field: str) -> Any:
    """A dict field set locally: a dict (copied) or ``None``."""
    if value is None:
        return None
    if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
        raise _invalid(f"{field} must be a dict with string keys or None "
                       f"(got {type(value).__name__})", field)
    return dict(value)


def _check_data(data: Any, field: str = "custom_attributes") -> dict[str, Any]:
    """People/meta data: a flat dict of non-empty keys to strings, numbers or booleans."""
    if not isinstance(data, Mapping):
        raise _invalid(f"{field} must be a dict", field)
    for key, value in data.items():
        if not isinstance(key, str) or not key:
            raise _invalid(f"{field} keys must be non-empty strings", field)
        if not isinstance(value, (str, int, float, bool)):
            raise _invalid(f"{field}[{key!r}] must be a string, number or boolean "
                           f"(got {type(value).__name__})", field)
    return dict(data)


# -- base -------------------------------------------------------------------------------------
#: a list of non-empty strings (segments), for ``_wire_shapes``
STR_LIST = "list of strings"


class CrispResource(Resource):
    _config = Crisp
    #: wire key -> the JSON type Crisp documents for it (``STR_LIST``: a list of strings);
    #: an answer with another type is a typed error, never a raw exception later
    _wire_shapes: ClassVar[Mapping[str, Any]] = {}

    @classmethod
    def _bad_answer(cls, message: str, field: str | None = None) -> ValidationError:
        try:
            client = cls._client()
        except ChatModelsError:
            client = None
        return bad_answer(message, field=field, client=client)

    @classmethod
    def _check_shapes(cls, data: Any, shapes: Mapping[str, Any], where: str = "") -> None:
        for key, kind in shapes.items():
            value = data.get(key)
            if value is None:
                continue
            if kind is STR_LIST:
                good = isinstance(value, list) and all(isinstance(v, str) for v in value)
            elif kind is int:
                good = isinstance(value, int) and not isinstance(value, bool)
            else:
                good = isinstance(value, kind)
            if not good:
                expected = {STR_LIST: "a list of strings", str: "a string", int: "an integer",
                            Mapping: "an object", list: "a list"}.get(kind, str(kind))
                raise cls._bad_answer(f"{cls.__name__} {where}{key} is {kind_of(value)}, "
                                      f"expected {expected}", f"{where}{key}")

    # -- lookups (the core's find(); Crisp words its errors) -----------------------------------
    #: how ``find()`` is called, for the error listing the lookups (``"id= or email="``)
    _lookup_hint: ClassVar[str] = "id="
    #: lookups ``find()`` needs all of (default: any one)
    _lookups_required: ClassVar[tuple[str, ...]] = ()
    #: options ``find()`` passes on to ``_find_by``'s ``**options`` (``Tag.find(name, scope=)``)
    _find_options: ClassVar[tuple[str, ...]] = ()
    #: what a 404 of ``find()`` names: the object and Crisp's name of each lookup
    _noun: ClassVar[str] = ""
    _lookup_words: ClassVar[Mapping[str, str]] = {}

    @classmethod
    def _check_lookups(cls, given: Mapping[str, Any]) -> None:
        """Refuse unknown or missing ``find()`` lookups with a library error listing them."""
        allowed = cls.lookups()  # type: ignore[attr-defined]  # find() is Retrievable's
        unknown = sorted(k for k in given if k not in allowed and k not in cls._find_options)
        present = [k for k in allowed if given.get(k) not in (None, "")]
        if unknown or not present:
            got = f"; got {', '.join(f'{k}=' for k in unknown)}" if unknown else ""
            raise _invalid(f"{cls.__name__}.find() takes {cls._lookup_hint}{got} "
                           f"(lookups: {', '.join(allowed)})",
                           unknown[0] if unknown else allowed[0])
        missing = [k for k in cls._lookups_required if k not in present]
        if missing:
            raise _invalid(f"{cls.__name__}.find() takes {cls._lookup_hint}", missing[0])

    @classmethod
    def _not_found(cls, exc: ResourceNotFound, lookup: Mapping[str, Any]) -> ResourceNotFound:
        """A 404 ``not_found`` says what was looked up ("no people profile with email ... on
        this website"); other errors (``not_subscribed``, local ones) keep their words."""
        exc.lookup = dict(lookup)  # type: ignore[attr-defined]
        if exc.status == 404 and exc.code == "not_found" and cls._noun:
            what = " ".join(f"{cls._lookup_words.get(k, k)} "
                            f"{(v.id if isinstance(v, Model) else v)!r}"
                            for k, v in lookup.items())
            exc.message = f"no {cls._noun} with {what} on this website"
            exc.args = (exc.message,)
        return exc

    # -- lists: declared operations paged by ``Crisp.page`` ------------------------------------
    @classmethod
    def _list(cls, name: str, description: str, /, **params: Any) -> Collection[Any]:
        """The declared list operation ``name`` as a lazy collection (route ids in ``params``)."""
        op = cls.operation(name)

        def fetch(query: Mapping[str, Any], cursor: Any, size: int | None) -> Page[Any]:
            return cls._config.page(cls, op, query, cursor, size)
        return Collection(fetch, params=params, description=description,
                          orderer=cls._orderer(name))

    @classmethod
    def _list_query(cls, op: Operation, params: Mapping[str, Any]) -> dict[str, Any]:
        """The query of a list request from its criteria (lists without filters refuse them)."""
        if params:
            name = sorted(params)[0]
            raise _invalid(f"{cls.__name__}.{op.name}() has no filter {name!r}", name)
        return {}

    @classmethod
    def _from_item(cls, item: Any, op: Operation, ids: Mapping[str, Any]) -> Any:
        """One item of a list answer as an object."""
        return cls.from_wire(item)

    def _fetch(self) -> Mapping[str, Any]:
        if "find" in self.operations:
            return self._call("find")  # type: ignore[no-any-return]
        raise ChatModelsError(f"{type(self).__name__} cannot be loaded through this provider")

    def _check_wire(self, data: Any) -> None:
        """Raise a typed error when ``data`` is not the object Crisp documents."""
        if not isinstance(data, Mapping):
            raise self._bad_answer(f"a {type(self).__name__} is {kind_of(data)}, "
                                   "not an object")
        self._check_shapes(data, self._wire_shapes)

    def _fill(self, data: Mapping[str, Any], *, partial: bool = False) -> None:
        self._check_wire(data)
        super()._fill(data, partial=partial)

    def _ensure_dict(self, key: str) -> dict[str, Any]:
        """The tracked dict field ``key``, created empty when missing."""
        current = getattr(self, key)
        if not isinstance(current, dict):
            Model.__setattr__(self, key, {})
            current = self._values[key]
        return current  # type: ignore[no-any-return]

    #: derived fields ``to_dict`` leaves out (they would cost requests)
    _export_skip: ClassVar[tuple[str, ...]] = ("messages", "conversation")

    def to_dict(self, json: bool = False) -> dict[str, Any]:
        out = super().to_dict()
        if self._partial:
            return jsonable(out) if json else out
        for name in derived_names(type(self)):
            if name in self._export_skip or (name == "external_id"
                                             and "custom_attributes" not in self._values):
                continue
            try:
                value = getattr(self, name)
            except (ValidationError, AttributeError):
                continue
            out[name] = [v.to_dict() if isinstance(v, Model) else v for v in value] \
                if isinstance(value, list) else value
        return jsonable(out) if json else out


def _one_page(items: list[Any]) -> Page[Any]:
    return Page(items, None)


#: the prefix of almost every Crisp route (``website_id`` comes from the account's options)
W = "/website/{website_id}"

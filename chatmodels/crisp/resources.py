"""Crisp resource classes (REST API v1, one website per account) on the canonical model.

Canonical values that live inside nested Crisp objects are *derived fields*: ``contact.name``
reads and writes ``contact.person["nickname"]``, ``conversation.title`` is
``conversation.meta["subject"]``... so there is one source of truth and dirty tracking sees
every change (``save()`` sends the nested diff). See docs/crisp.md for the whole mapping.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from .. import canonical
from ..collection import Collection, Page
from ..errors import FieldError, ResourceNotFound, ValidationError
from ..http import encode_path
from ..model import Derived, Model, derived_names
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
from .api import Crisp, numbered_page, unwrap

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
class CrispResource(Resource):
    _config = Crisp

    @classmethod
    def _website(cls) -> str:
        """``/website/{website_id}``: the prefix of almost every Crisp route."""
        return encode_path("/website/{w}", w=cls._client().options["website_id"])

    def _ensure_dict(self, key: str) -> dict[str, Any]:
        """The tracked dict field ``key``, created empty when missing."""
        current = getattr(self, key)
        if not isinstance(current, dict):
            Model.__setattr__(self, key, {})
            current = self._values[key]
        return current  # type: ignore[no-any-return]

    #: derived fields ``to_dict`` leaves out (they would cost requests)
    _export_skip: ClassVar[tuple[str, ...]] = ("messages", "conversation")

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        if self._partial:
            return out
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
        return out


def _one_page(items: list[Any]) -> Page[Any]:
    return Page(items, None)


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
        if id is None or lookup:
            raise TypeError("Operator.find() takes id= (the operator's user_id)")
        data = cls._request("GET", cls._website() + encode_path("/operator/{u}", u=id))
        return cls.from_wire(data)  # type: ignore[return-value]

    @classmethod
    def _list_page(cls, params: Mapping[str, Any], cursor: Any, size: int | None) -> Page[Any]:
        data = cls._request("GET", cls._website() + "/operators/list") or []
        return _one_page([cls.from_wire(item.get("details") or {}) for item in data
                          if isinstance(item, Mapping)])

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
        return list(cls._request("GET", cls._website() + "/operators/active") or [])


Agent = Operator


# -- tags (segments), contact fields (people data keys) ----------------------------------------
class Tag(CrispResource, Listable, Deletable, canonical.Tag):
    """A segment name. Crisp has no bare segments: applying a name to a profile or a
    conversation creates it, so there is no ``Tag.create``. ``usage_count`` is the number of
    profiles (or conversations, ``all(scope="conversations")``) using it."""

    _schema = schemas.SegmentSchema
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
    def find(cls, id: Any = None, *, name: str | None = None, scope: str = "people") -> Tag:
        """The segment called ``id``/``name`` (exact), or ``ResourceNotFound``."""
        wanted = id if id is not None else name
        if wanted is None:
            raise TypeError("Tag.find() takes id= or name= (a segment name)")
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
    def find(cls, id: Any = None, *, name: str | None = None) -> ContactField:
        wanted = id if id is not None else name
        for key in cls.all():
            if key.name == wanted:
                return key  # type: ignore[no-any-return]
        raise ResourceNotFound(f"no people data key {wanted!r}", provider="crisp",
                               code="not_found")


class Company(CrispResource, canonical.Company):
    """The ``company`` of a people profile (``contact.companies``; no API of its own, no id)."""

    _schema = schemas.CompanySchema
    _repr_fields = ("name", "company_id")

    def _after_load(self, values: dict[str, Any], data: Mapping[str, Any]) -> None:
        values["company_id"] = data.get("domain") or None
        values["website"] = data.get("url") or data.get("domain") or None
        metrics = data.get("metrics")
        if isinstance(metrics, Mapping) and metrics.get("employees"):
            values["size"] = metrics.get("employees")


# -- people profiles --------------------------------------------------------------------------
def _search_value(value: Any) -> Any:
    if isinstance(value, Model):
        return value.name if isinstance(value, canonical.Tag) else value.id
    return _ms(value)


def people_query(criteria: Mapping[str, Any]) -> dict[str, Any]:
    """Keyword criteria -> Crisp's people list query (``search_text``, ``search_filter``...).

    ``text="ann"`` (quick search), ``email="a@b.c"``, ``segments__has="vip"``,
    ``data__plan="pro"`` (or ``custom_attributes__plan``), ``created_at__gt=datetime``,
    ``email__exists=True``; ``operator="or"`` joins the filters with OR; ``filter=[...]`` adds
    raw Crisp filters; ``created_after``/``created_before`` (on the creation date);
    ``sort_field``/``sort_order``.
    """
    query: dict[str, Any] = {}
    filters: list[dict[str, Any]] = []
    for key, value in criteria.items():
        if key in ("text", "query", "search_text"):
            query["search_text"] = str(value)
        elif key in ("operator", "search_operator"):
            if str(value).lower() not in ("and", "or"):
                raise _invalid("operator must be 'and' or 'or'", "operator")
            query["search_operator"] = str(value).lower()
        elif key in ("created_after", "filter_date_start"):
            query["filter_date_start"] = _iso(value)
        elif key in ("created_before", "filter_date_end"):
            query["filter_date_end"] = _iso(value)
        elif key in ("sort_field", "sort_order"):
            query[key] = str(value)
        elif key in ("filter", "search_filter"):
            raw = json.loads(value) if isinstance(value, str) else value
            filters.extend([dict(raw)] if isinstance(raw, Mapping) else [dict(f) for f in raw])
        else:
            parts = key.split("__")
            operator = "eq"
            if len(parts) > 1 and parts[-1] in FILTER_OPERATORS:
                operator = parts.pop()
            parts[0] = PEOPLE_CRITERIA.get(parts[0], parts[0])
            if not all(parts):
                raise _invalid(f"bad search keyword {key!r}", key)
            if operator in ("exists", "nexists"):
                values: list[Any] = []
            elif isinstance(value, (list, tuple, set, frozenset)):
                values = [_search_value(v) for v in value]
            else:
                values = [_search_value(value)]
            filters.append({"model": "people", "criterion": ".".join(parts),
                            "operator": operator, "query": values})
    if filters:
        query["search_filter"] = json.dumps(filters, separators=(",", ":"), default=str)
    return query


class Contact(CrispResource, Retrievable, Creatable, Updatable, Deletable, Listable,
              canonical.Contact):
    """A Crisp people profile.

    ``data`` (alias of ``custom_attributes``) is the profile's people data, fetched with one
    ``GET /people/data/{id}`` the first time it is read; ``unsubscribed_from_emails`` likewise
    reads ``/people/subscription/{id}``. ``save()`` sends each changed part to its route.
    """

    _schema = schemas.PeopleProfileSchema
    _id_key = "people_id"
    _repr_fields = ("email",)
    aliases = {"data": "custom_attributes"}
    _extra_writable = frozenset({"custom_attributes", "unsubscribed_from_emails"})
    _loaders: ClassVar[Mapping[str, str]] = {
        "custom_attributes": "_load_data", "unsubscribed_from_emails": "_load_subscription"}

    def _after_load(self, values: dict[str, Any], data: Mapping[str, Any]) -> None:
        active = values.get("last_seen_at")
        if isinstance(active, Mapping):
            values["last_seen_at"] = _from_ms(active.get("last"))
            values["online"] = bool(active.get("now"))

    # -- derived canonical fields -------------------------------------------------------------
    def _person_get(self, key: str) -> Any:
        person = self.person
        return (person.get(key) or None) if isinstance(person, Mapping) else None

    @Derived
    def name(self) -> Any:
        """``person.nickname``."""
        return self._person_get("nickname")

    @name.setter  # type: ignore[no-redef]
    def name(self, value: Any) -> None:
        self._ensure_dict("person")["nickname"] = value

    @Derived
    def phone(self) -> Any:
        """``person.phone``."""
        return self._person_get("phone")

    @phone.setter  # type: ignore[no-redef]
    def phone(self, value: Any) -> None:
        self._ensure_dict("person")["phone"] = value

    @Derived
    def avatar_url(self) -> Any:
        """``person.avatar``."""
        return self._person_get("avatar")

    @avatar_url.setter  # type: ignore[no-redef]
    def avatar_url(self, value: Any) -> None:
        self._ensure_dict("person")["avatar"] = value

    @Derived
    def location(self) -> Any:
        """``person.geolocation`` (``{country, region, city, coordinates}``)."""
        return self._person_get("geolocation")

    @location.setter  # type: ignore[no-redef]
    def location(self, value: Any) -> None:
        self._ensure_dict("person")["geolocation"] = value

    @Derived
    def role(self) -> Any:
        """Always ``"user"``: Crisp has no leads."""
        return "user"

    @Derived
    def external_id(self) -> Any:
        """The people data key ``external_id`` (reading it loads the people data)."""
        data = self.custom_attributes
        return data.get("external_id") if isinstance(data, Mapping) else None

    @external_id.setter  # type: ignore[no-redef]
    def external_id(self, value: Any) -> None:
        self.custom_attributes["external_id"] = value

    @Derived
    def tags(self) -> Any:
        """``segments`` as Tag objects (read-only view: change ``segments`` or use add_tag)."""
        tag = self._model("Tag")
        return [tag.from_wire({"segment": s}) for s in (self.segments or [])]

    @Derived
    def companies(self) -> Any:
        """The profile's ``company`` as a one-item list (empty when it has no name)."""
        company = self.company
        if isinstance(company, Mapping) and company.get("name"):
            return [self._model("Company").from_wire(company)]
        return []

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        if "custom_attributes" not in self._values:
            out.pop("external_id", None)  # would cost a GET /people/data
        return out

    # -- lazy people data and subscription ----------------------------------------------------
    def _data_path(self) -> str:
        return self._website() + encode_path("/people/data/{p}", p=_id_of(self))

    def _subscription_path(self) -> str:
        return self._website() + encode_path("/people/subscription/{p}", p=_id_of(self))

    def _load_data(self) -> None:
        if self.id is None:  # not saved yet: no people data on Crisp, an empty dict to fill
            self._set_clean("custom_attributes", {})
            return
        body = self._request("GET", self._data_path())
        data = body.get("data") if isinstance(body, Mapping) else None
        self._set_clean("custom_attributes", dict(data or {}))

    def _load_subscription(self) -> None:
        if self.id is None:
            return
        self._set_clean("unsubscribed_from_emails", not self.subscription()["email"])

    def subscription(self) -> dict[str, Any]:
        """The subscription status, as Crisp sends it: ``{"email": bool}`` (True = subscribed)."""
        body = self._request("GET", self._subscription_path())
        return {"email": bool(body.get("email", True))} if isinstance(body, Mapping) else {}

    def set_subscription(self, email: bool) -> Contact:
        """Subscribe (``True``) or unsubscribe the profile from emails."""
        if not isinstance(email, bool):
            raise _invalid("email must be True or False", "email")
        self._request("PATCH", self._subscription_path(), json={"email": email})
        self._set_clean("unsubscribed_from_emails", not email)
        return self

    # -- paths, lookups, lists ---------------------------------------------------------------
    def _instance_path(self) -> str:
        return self._website() + encode_path("/people/profile/{p}", p=_id_of(self))

    @classmethod
    def find(cls, id: Any = None, *, email: str | None = None  # type: ignore[override]
             ) -> Contact:
        """A profile by people_id or by email (Crisp accepts both in the path)."""
        key = id if id is not None else email
        if key is None or key == "":
            raise TypeError("Contact.find() takes id= or email=")
        data = cls._request("GET", cls._website() + encode_path("/people/profile/{p}", p=key))
        return cls.from_wire(data)  # type: ignore[return-value]

    @classmethod
    def _list_page(cls, params: Mapping[str, Any], cursor: Any, size: int | None) -> Page[Any]:
        return numbered_page(cls._request, cls._website() + "/people/profiles", cursor=cursor,
                             params=people_query(params), size=size, per_page=True,
                             wrap=cls.from_wire)

    @classmethod
    def search(cls, **criteria: Any) -> Collection[Any]:
        """Profiles matching ``criteria`` (see :func:`people_query` for the keywords)."""
        people_query(criteria)  # validate now, not on first iteration
        return Collection(cls._list_page, params=criteria,
                          description=f"{cls.__name__}.search()")

    @classmethod
    def count(cls, **filters: Any) -> int:
        """Number of profiles: ``GET /people/stats`` without filters, else by paging."""
        if not filters:
            stats = cls._request("GET", cls._website() + "/people/stats")
            if isinstance(stats, Mapping) and isinstance(stats.get("total"), int):
                return stats["total"]
        return cls.all(**filters).count()

    # -- create / save / delete --------------------------------------------------------------
    def _validate_create(self, payload: Mapping[str, Any]) -> None:
        if not payload.get("email"):
            raise _invalid("a Crisp people profile needs an email", "email")

    def _split(self, diff: Mapping[str, Any]) -> tuple[dict[str, Any], Any, Any]:
        rest = dict(diff)
        data = rest.pop("custom_attributes", _MISSING)
        unsub = rest.pop("unsubscribed_from_emails", _MISSING)
        if unsub is not _MISSING and unsub is not None and not isinstance(unsub, bool):
            raise _invalid("unsubscribed_from_emails must be a boolean",
                           "unsubscribed_from_emails")
        return self._wire_changes(rest) if rest else {}, data, unsub

    def _data_request(self, data_diff: Any) -> tuple[str, dict[str, Any]] | None:
        if data_diff is _MISSING:
            return None
        current = self._values.get("custom_attributes")
        if current is None:
            current = {}
        if not isinstance(current, Mapping):
            raise _invalid("custom_attributes must be a dict", "custom_attributes")
        removed = [k for k, v in data_diff.items() if v is None]
        if removed:  # PATCH merges: removing a key needs the whole data saved (PUT)
            kept = {k: v for k, v in current.items() if v is not None}
            return "PUT", {"data": _check_data(kept)}
        if not data_diff:
            return None
        return "PATCH", {"data": _check_data(data_diff)}

    def _create(self, payload: dict[str, Any]) -> Any:
        card, data, unsub = self._split(payload)
        data = None if data is _MISSING or data is None else _check_data(data)
        unsub = None if unsub is _MISSING else unsub
        created = self._request("POST", self._website() + "/people/profile", json=card)
        self._values["id"] = created["people_id"]
        if data:
            self._request("PATCH", self._data_path(), json={"data": data})
        if unsub is not None:
            self._request("PATCH", self._subscription_path(), json={"email": not unsub})
        self._fill(self._request("GET", self._instance_path()))
        if data is not None:
            self._set_clean("custom_attributes", dict(data))
        if unsub is not None:
            self._set_clean("unsubscribed_from_emails", unsub)
        return None

    def _update(self, diff: dict[str, Any]) -> Any:
        self._send(diff)
        return None

    def _send(self, diff: Mapping[str, Any], *, card_method: str = "PATCH",
              card: Mapping[str, Any] | None = None) -> None:
        """Validate every part first, then send profile, data and subscription changes."""
        profile, data_diff, unsub = self._split(diff)
        if card is not None:
            profile = self._wire_changes(card)
        data_request = self._data_request(data_diff)
        if profile:
            self._request(card_method, self._instance_path(), json=profile)
        if data_request is not None:
            self._request(data_request[0], self._data_path(), json=data_request[1])
        if unsub is not _MISSING and unsub is not None:
            self._request("PATCH", self._subscription_path(), json={"email": not unsub})

    def replace(self) -> Contact:
        """Save the whole profile card (``PUT``: fields you left out are cleared by Crisp),
        then any people data and subscription changes."""
        card = {k: self._values[k] for k in CARD_KEYS if self._values.get(k) is not None}
        if not card.get("email"):
            raise _invalid("a Crisp people profile needs an email", "email")
        self._send(self.changes(), card_method="PUT", card=card)
        self._mark_clean()
        return self

    # -- segments (tags) ---------------------------------------------------------------------
    def _set_segments(self, segments: list[str]) -> None:
        self._request("PATCH", self._instance_path(), json={"segments": segments})
        self._set_clean("segments", list(segments))

    def add_tag(self, tag: Any) -> Contact:
        """Add a segment now (``PATCH {"segments": [...]}``); a new name creates the segment."""
        name = _name_of(tag)
        segments = list(self.segments or [])
        if name not in segments:
            self._set_segments(segments + [name])
        return self

    def remove_tag(self, tag: Any) -> Contact:
        name = _name_of(tag)
        segments = list(self.segments or [])
        if name in segments:
            self._set_segments([s for s in segments if s != name])
        return self

    # -- related -----------------------------------------------------------------------------
    def conversations(self, **filters: Any) -> Collection[Any]:
        """This profile's conversations (partial, newest first); filters: ``unread=True``,
        ``resolved=True|False``."""
        params: dict[str, Any] = {}
        for key, value in filters.items():
            if key == "unread":
                params["filter_unread"] = _flag(value)
            elif key == "resolved":
                params["filter_resolved" if value else "filter_not_resolved"] = 1
            else:
                raise _invalid(f"unknown conversations() filter {key!r}", key)
        conv = self._model("Conversation")
        path = self._website() + encode_path("/people/conversations/{p}/list", p=_id_of(self))

        def page(_: Mapping[str, Any], cursor: Any, size: int | None) -> Page[Any]:
            return numbered_page(self._request, path, cursor=cursor, params=params,
                                 wrap=conv.ref)
        return Collection(page, description=f"conversations of people {self.id}")

    @property
    def events(self) -> Related:
        """People events: ``contact.events()`` lists them (newest first),
        ``contact.events.create(text=..., data={...}, color=...)`` adds one."""
        event = self._model("Event")
        return Related(lambda: event.all(contact=self),
                       lambda **kw: event.create(contact=self, **kw),
                       f"events of people {self.id}")

    def track(self, name: str, metadata: Mapping[str, Any] | None = None,
              color: str | None = None) -> Any:
        """Record a people event (``events.create`` with canonical names)."""
        return self._model("Event").create(contact=self, name=name, metadata=metadata,
                                           color=color)

    def notes(self) -> Collection[Any]:
        """The profile's notepad as 0 or 1 Note."""
        return self._model("Note").all(contact=self)  # type: ignore[no-any-return]

    def add_note(self, body: str) -> Any:
        """Append ``body`` to the profile's notepad."""
        return self._model("Note").create(contact=self, body=body)


# -- people events, notes ---------------------------------------------------------------------
class Event(CrispResource, canonical.Event):
    """A people event: ``text`` (canonical ``name``), ``data`` (``metadata``), ``color``,
    ``timestamp`` (``created_at``). Crisp events have no id."""

    _schema = schemas.PeopleEventSchema
    _repr_fields = ("name", "color")
    aliases = {"text": "name", "data": "metadata"}

    @classmethod
    def all(cls, contact: Any) -> Collection[Any]:
        """The events of one profile, newest first."""
        pid = _id_of(contact, "contact")
        path = cls._website() + encode_path("/people/events/{p}/list", p=pid)

        def wrap(item: Any) -> Any:
            event = cls.from_wire(item)
            event._set_clean("contact_id", pid)
            return event

        def page(params: Mapping[str, Any], cursor: Any, size: int | None) -> Page[Any]:
            return numbered_page(cls._request, path, cursor=cursor, wrap=wrap)
        return Collection(page, description=f"Event.all(contact={pid})")

    @classmethod
    def create(cls, contact: Any, name: str | None = None, *, text: str | None = None,
               metadata: Mapping[str, Any] | None = None, data: Mapping[str, Any] | None = None,
               color: str | None = None) -> Event:
        """Add an event to a profile (``POST /people/events/{id}``)."""
        pid = _id_of(contact, "contact")
        values: dict[str, Any] = {"name": text if text is not None else name}
        if not values["name"]:
            raise _invalid("an event needs a name (text)", "name")
        meta = data if data is not None else metadata
        if meta is not None:
            values["metadata"] = dict(meta)
        if color is not None:
            values["color"] = color
        event = cls(**values)
        payload = event._wire_changes(event._values)
        cls._request("POST", cls._website() + encode_path("/people/events/{p}", p=pid),
                     json=payload)
        event._values["contact_id"] = pid
        event._mark_clean()
        return event  # type: ignore[no-any-return]


class Note(CrispResource, Updatable, Deletable, canonical.Note):
    """A profile's ``notepad`` seen as a note: Crisp keeps one free text per profile.

    ``Note.all(contact=)`` yields 0 or 1 note (id = people_id); ``Note.create`` appends to the
    notepad and returns the whole notepad; ``save()`` rewrites it; ``delete()`` empties it.
    """

    _repr_fields = ("body",)
    SEPARATOR: ClassVar[str] = "\n\n"

    @classmethod
    def _profile_path(cls, pid: str) -> str:
        return cls._website() + encode_path("/people/profile/{p}", p=pid)

    @classmethod
    def _of(cls, pid: str, notepad: str) -> Note:
        return cls.from_wire({"id": pid, "contact_id": pid, "body": notepad})  # type: ignore

    @classmethod
    def all(cls, contact: Any) -> Collection[Any]:
        pid = _id_of(contact, "contact")

        def page(params: Mapping[str, Any], cursor: Any, size: int | None) -> Page[Any]:
            # always read the profile: a Contact object in hand may hold a stale notepad
            profile = cls._request("GET", cls._profile_path(pid))
            notepad = profile.get("notepad") if isinstance(profile, Mapping) else None
            return _one_page([cls._of(pid, notepad)] if notepad else [])
        return Collection(page, description=f"Note.all(contact={pid})")

    @classmethod
    def create(cls, contact: Any, body: str, author: Any = None) -> Note:
        """Append ``body`` to the notepad (``author`` is not recorded: Crisp has no author)."""
        if not isinstance(body, str) or not body.strip():
            raise _invalid("a note needs a body", "body")
        pid = _id_of(contact, "contact")
        profile = cls._request("GET", cls._profile_path(pid))
        current = (profile.get("notepad") if isinstance(profile, Mapping) else "") or ""
        notepad = f"{current}{cls.SEPARATOR}{body}" if current else body
        cls._request("PATCH", cls._profile_path(pid), json={"notepad": notepad})
        return cls._of(pid, notepad)

    def _update(self, diff: dict[str, Any]) -> Any:
        if set(diff) - {"body"}:
            raise _invalid("only a note's body can be changed", sorted(diff)[0])
        body = diff["body"] or ""
        if not isinstance(body, str):
            raise _invalid("a note body must be a string", "body")
        self._request("PATCH", self._profile_path(_id_of(self)), json={"notepad": body})
        return None

    def delete(self) -> None:
        self._request("PATCH", self._profile_path(_id_of(self)), json={"notepad": ""})
        object.__setattr__(self, "_deleted", True)


# -- conversations ----------------------------------------------------------------------------
def conversation_query(criteria: Mapping[str, Any]) -> dict[str, Any]:
    """Keyword criteria -> Crisp's conversation list query.

    ``query="refund"`` (text search), ``segment="vip"`` (segment search), ``filter=[...]``
    (raw filter search), ``operator="or"``, ``resolved=True|False``, ``unread=True``,
    ``mention=True``, ``assigned=operator_or_id`` (``None``: unassigned), ``unassigned=True``,
    ``inbox_id=...``, ``updated_after``/``updated_before`` (Crisp's date filter is on the
    update date), ``order="created"|"updated"|"waiting"``, ``include_empty=True``.
    """
    query: dict[str, Any] = {}

    def search(kind: str, value: str) -> None:
        if "search_query" in query:
            raise _invalid("use one of query=, segment= and filter= at a time", "query")
        query["search_query"] = value
        query["search_type"] = kind

    for key, value in criteria.items():
        if key in ("query", "text", "search_query"):
            search("text", str(value))
        elif key in ("segment", "tag"):
            search("segment", _name_of(value))
        elif key == "filter":
            search("filter", value if isinstance(value, str)
                   else json.dumps(value, separators=(",", ":"), default=str))
        elif key in ("operator", "search_operator"):
            if str(value).lower() not in ("and", "or"):
                raise _invalid("operator must be 'and' or 'or'", "operator")
            query["search_operator"] = str(value).lower()
        elif key == "resolved":
            query["filter_resolved" if value else "filter_not_resolved"] = 1
        elif key == "unread":
            query["filter_unread"] = _flag(value)
        elif key in ("mention", "mentioned"):
            query["filter_mention"] = _flag(value)
        elif key == "assigned":
            if value is None:
                query["filter_unassigned"] = 1
            else:
                query["filter_assigned"] = _id_of(value, "operator")
        elif key == "unassigned":
            query["filter_unassigned"] = _flag(value)
        elif key in ("inbox", "inbox_id"):
            query["filter_inbox_id"] = _id_of(value, "inbox")
        elif key in ("updated_after", "date_start", "filter_date_start"):
            query["filter_date_start"] = _iso(value)
        elif key in ("updated_before", "date_end", "filter_date_end"):
            query["filter_date_end"] = _iso(value)
        elif key == "order":
            if value not in ("created", "updated", "waiting"):
                raise _invalid("order must be 'created', 'updated' or 'waiting'", "order")
            query[f"order_date_{value}"] = 1
        elif key == "include_empty":
            query["include_empty"] = _flag(value)
        else:
            raise _invalid(f"unknown conversation filter {key!r}", key)
    return query


class MessageList(Collection[Any]):
    """A conversation's messages in time order; also ``len()`` and indexing (each fetches)."""

    def to_list(self) -> list[Any]:
        return list(iter(self))  # list(self) would ask __len__ first

    def __len__(self) -> int:
        return len(self.to_list())

    def __getitem__(self, index: Any) -> Any:
        return self.to_list()[index]


class Conversation(CrispResource, Retrievable, Creatable, Updatable, Deletable, Listable,
                   canonical.Conversation):
    """A Crisp conversation (session). ``state`` is canonical (``open``/``pending``/``closed``),
    ``crisp_state`` Crisp's own (``unresolved``/``pending``/``resolved``). ``meta`` is tracked:
    ``save()`` sends its diff; ``state``, ``assignee_id`` and ``read`` can be set and saved too.
    """

    _schema = schemas.ConversationSchema
    _id_key = "session_id"
    _repr_fields = ("state",)
    _refs = {"contacts": ("Contact", True)}
    _extra_writable = frozenset({"state", "assignee_id", "read"})

    def _after_load(self, values: dict[str, Any], data: Mapping[str, Any]) -> None:
        if "state" in data:
            crisp_state = values.get("crisp_state")
            values["state"] = STATES.get(crisp_state or "", crisp_state)
        if "assigned" in data:
            assigned = data.get("assigned")
            values["assignee_id"] = assigned.get("user_id") if isinstance(assigned,
                                                                          Mapping) else None
        if "people_id" in data:
            pid = data.get("people_id")
            values["contacts"] = [{"people_id": pid}] if pid else []
        if "unread" in data:
            unread = data.get("unread")
            values["read"] = not (unread.get("operator") if isinstance(unread, Mapping) else 0)

    # -- derived canonical fields -------------------------------------------------------------
    @Derived
    def title(self) -> Any:
        """``meta.subject``."""
        meta = self.meta
        return (meta.get("subject") or None) if isinstance(meta, Mapping) else None

    @title.setter  # type: ignore[no-redef]
    def title(self, value: Any) -> None:
        self._ensure_dict("meta")["subject"] = value

    @Derived
    def custom_attributes(self) -> Any:
        """``meta.data`` (Crisp merges it on save; keys cannot be removed)."""
        meta = self.meta
        if not isinstance(meta, dict):
            return None
        data = meta.get("data")
        if not isinstance(data, dict):
            data = meta["data"] = {}
        return data

    @custom_attributes.setter  # type: ignore[no-redef]
    def custom_attributes(self, value: Any) -> None:
        self._ensure_dict("meta")["data"] = dict(value or {})

    @Derived
    def tags(self) -> Any:
        """``meta.segments`` as Tag objects (read-only view: use add_tag/remove_tag)."""
        meta = self.meta
        segments = meta.get("segments") if isinstance(meta, Mapping) else None
        tag = self._model("Tag")
        return [tag.from_wire({"segment": s}) for s in (segments or [])]

    @Derived
    def messages(self) -> Any:
        """Every message in time order (a lazy collection; fetched when iterated)."""
        if self.id is None:
            return []
        return self._model("Message").all(conversation=self)

    # -- paths, lookups, lists ---------------------------------------------------------------
    def _instance_path(self) -> str:
        return self._website() + encode_path("/conversation/{s}", s=_id_of(self))

    @classmethod
    def find(cls, id: Any = None, **lookup: Any) -> Conversation:
        if id is None or lookup:
            raise TypeError("Conversation.find() takes id= (a session_id)")
        data = cls._request("GET", cls._website() + encode_path("/conversation/{s}", s=id))
        return cls.from_wire(data)  # type: ignore[return-value]

    @classmethod
    def _list_page(cls, params: Mapping[str, Any], cursor: Any, size: int | None) -> Page[Any]:
        return numbered_page(cls._request, cls._website() + "/conversations", cursor=cursor,
                             params=conversation_query(params), size=size, per_page=True,
                             wrap=cls.from_wire)

    @classmethod
    def all(cls, **filters: Any) -> Collection[Any]:
        """Conversations, most recently updated first (see :func:`conversation_query`).
        Like Crisp, conversations without messages are left out unless ``include_empty=True``."""
        conversation_query(filters)
        return super().all(**filters)

    @classmethod
    def search(cls, **criteria: Any) -> Collection[Any]:
        """``search(query="refund")``, ``search(segment="vip")``, plus any filter of ``all()``."""
        conversation_query(criteria)
        return Collection(cls._list_page, params=criteria,
                          description=f"{cls.__name__}.search()")

    # -- create / save -----------------------------------------------------------------------
    @classmethod
    def create(cls, contact: Any = None, body: str | None = None,  # type: ignore[override]
               *, assignee: Any = None, **fields: Any) -> Conversation:
        """Start a conversation; ``contact`` (a Contact, or an email) links it to a profile
        through the meta ``email``/``nickname``. ``body`` sends a first message from the
        contact. Other keywords: ``title``, ``custom_attributes``, ``meta``, ``state``..."""
        if assignee is not None:
            fields["assignee_id"] = _id_of(assignee, "operator")
        if body is not None and (not isinstance(body, str) or not body.strip()):
            raise _invalid("a message body must be a non-empty string", "body")
        conv = cls(**fields)
        if contact is not None:
            link = cls._link_meta(contact)
            meta = conv._ensure_dict("meta")
            for key, value in link.items():
                meta.setdefault(key, value)
        conv.save()
        if body:
            conv.reply(body=body, author="user")
        return conv  # type: ignore[no-any-return]

    @staticmethod
    def _link_meta(contact: Any) -> dict[str, Any]:
        if isinstance(contact, str):
            return {"email": contact}
        if not isinstance(contact, canonical.Contact):
            raise _invalid("contact must be a Contact or an email", "contact")
        if not contact.email:
            raise _invalid("the contact has no email to link the conversation with", "contact")
        link = {"email": contact.email}
        for key, value in (("nickname", contact.name), ("phone", contact.phone),
                           ("avatar", contact.avatar_url)):
            if value:
                link[key] = value
        return link

    def _meta_payload(self, meta_diff: Mapping[str, Any]) -> dict[str, Any]:
        payload: dict[str, Any] = {}
        current = self._values.get("meta") or {}
        orig = self._orig.get("meta")
        orig = orig if isinstance(orig, Mapping) else {}
        for key, value in meta_diff.items():
            if key not in META_KEYS:
                raise _invalid(f"meta.{key} cannot be written", f"meta.{key}")
            if key in MERGED_META:
                new, old = current.get(key), orig.get(key)
                if new is None:
                    raise _invalid(f"meta.{key} cannot be removed", f"meta.{key}")
                if not isinstance(new, Mapping):
                    raise _invalid(f"meta.{key} must be a dict", f"meta.{key}")
                old = old if isinstance(old, Mapping) else {}
                changed = {k: v for k, v in new.items() if old.get(k, _MISSING) != v}
                if any(k not in new for k in old):
                    raise _invalid(f"Crisp merges meta.{key}: keys cannot be removed",
                                   f"meta.{key}")
                if key == "data":
                    _check_data(changed, "custom_attributes")
                if changed:
                    payload[key] = changed
            elif key == "segments":
                if not isinstance(value, list) or not all(isinstance(s, str) and s
                                                          for s in value):
                    raise _invalid("meta.segments must be a list of names", "meta.segments")
                payload[key] = list(value)
            elif key == "email" and value:
                if not isinstance(value, str) or "@" not in value.strip(" @"):
                    raise _invalid("meta.email is not a valid email", "meta.email")
                payload[key] = value.strip()
            else:
                payload[key] = value
        return payload

    def _changes_payloads(self, diff: Mapping[str, Any]) -> list[tuple[str, str, Any]]:
        """Validated (method, path suffix, body) requests for a diff (nothing sent)."""
        rest = dict(diff)
        requests: list[tuple[str, str, Any]] = []
        meta = rest.pop("meta", _MISSING)
        state = rest.pop("state", _MISSING)
        assignee = rest.pop("assignee_id", _MISSING)
        read = rest.pop("read", _MISSING)
        if rest:
            self._wire_changes(rest)  # raises: read-only or unknown
        if meta is not _MISSING:
            if meta is None:
                raise _invalid("meta cannot be removed", "meta")
            payload = self._meta_payload(meta)
            if payload:
                requests.append(("PATCH", "/meta", payload))
        if state is not _MISSING:
            if state not in CRISP_STATES:
                raise _invalid("state must be one of open, pending, closed", "state")
            requests.append(("PATCH", "/state", {"state": CRISP_STATES[state]}))
        if assignee is not _MISSING:
            requests.append(("PATCH", "/routing", {"assigned": None if assignee is None else
                                                   {"user_id": _id_of(assignee, "operator")}}))
        if read is not _MISSING and read is not None:
            if read:
                requests.append(("PATCH", "/read", {"from": "operator",
                                                    "origin": DEFAULT_ORIGIN}))
            else:
                requests.append(("PATCH", "/unread", {"from": "operator"}))
        return requests

    def _create(self, payload: dict[str, Any]) -> Any:
        requests = self._changes_payloads(payload)
        created = self._request("POST", self._website() + "/conversation")
        self._values["id"] = created["session_id"]
        base = self._instance_path()
        for method, suffix, body in requests:
            self._request(method, base + suffix, json=body)
        return self._request("GET", base)

    def _update(self, diff: dict[str, Any]) -> Any:
        base = self._instance_path()
        for method, suffix, body in self._changes_payloads(diff):
            self._request(method, base + suffix, json=body)
        if "state" in diff:
            self._set_clean("crisp_state", CRISP_STATES[diff["state"]])
            self._values["state"] = STATES[CRISP_STATES[diff["state"]]]
        return None

    # -- state, routing, block ---------------------------------------------------------------
    def set_state(self, state: str) -> Conversation:
        """Change the state now (canonical ``open``/``pending``/``closed`` or Crisp's names)."""
        if state not in CRISP_STATES:
            raise _invalid("state must be one of open, pending, closed", "state")
        crisp_state = CRISP_STATES[state]
        self._request("PATCH", self._instance_path() + "/state", json={"state": crisp_state})
        self._set_clean("crisp_state", crisp_state)
        self._set_clean("state", STATES[crisp_state])
        return self

    def resolve(self) -> Conversation:
        return self.set_state("resolved")

    def close(self, admin: Any = None) -> Conversation:
        """``resolve()`` (``admin`` is accepted for cross-provider code and not sent)."""
        return self.resolve()

    def reopen(self) -> Conversation:
        return self.set_state("unresolved")

    def open(self, admin: Any = None) -> Conversation:  # noqa: A003
        """``reopen()`` (``admin`` is accepted for cross-provider code and not sent)."""
        return self.reopen()

    def set_pending(self) -> Conversation:
        return self.set_state("pending")

    def assign(self, operator: Any) -> Conversation:
        """Route the conversation to an operator (``None`` unassigns)."""
        user_id = None if operator is None else _id_of(operator, "operator")
        self._request("PATCH", self._instance_path() + "/routing",
                      json={"assigned": None if user_id is None else {"user_id": user_id}})
        self._set_clean("assignee_id", user_id)
        self._set_clean("assigned", None if user_id is None else {"user_id": user_id})
        return self

    def unassign(self) -> Conversation:
        return self.assign(None)

    def _block(self, blocked: bool) -> Conversation:
        self._request("PATCH", self._instance_path() + "/block", json={"blocked": blocked})
        self._set_clean("is_blocked", blocked)
        return self

    def block(self) -> Conversation:
        """Block the visitor of this conversation."""
        return self._block(True)

    def unblock(self) -> Conversation:
        return self._block(False)

    # -- read / delivered --------------------------------------------------------------------
    def _mark(self, marker: str, by: str, fingerprints: Iterable[Any] | None,
              origin: str) -> None:
        if by not in ("operator", "user"):
            raise _invalid("by must be 'operator' or 'user'", "by")
        body: dict[str, Any] = {"from": by, "origin": origin}
        if fingerprints is not None:
            body["fingerprints"] = [int(m.fingerprint) if isinstance(m, Model) else int(m)
                                    for m in fingerprints]
        self._request("PATCH", self._instance_path() + "/" + marker, json=body)

    def mark_read(self, by: str = "operator", fingerprints: Iterable[Any] | None = None,
                  origin: str = DEFAULT_ORIGIN) -> Conversation:
        """Mark the other side's messages read by ``by`` (all, or the given messages)."""
        self._mark("read", by, fingerprints, origin)
        if by == "operator" and fingerprints is None:
            self._set_clean("read", True)
        return self

    def mark_delivered(self, by: str = "operator", fingerprints: Iterable[Any] | None = None,
                       origin: str = DEFAULT_ORIGIN) -> Conversation:
        self._mark("delivered", by, fingerprints, origin)
        return self

    def mark_unread(self, by: str = "operator") -> Conversation:
        """Flag the conversation unread for the operators (``PATCH /unread``)."""
        if by not in ("operator", "user"):
            raise _invalid("by must be 'operator' or 'user'", "by")
        self._request("PATCH", self._instance_path() + "/unread", json={"from": by})
        if by == "operator":
            self._set_clean("read", False)
        return self

    # -- tags ----------------------------------------------------------------------------------
    def _set_segments(self, segments: list[str]) -> None:
        self._request("PATCH", self._instance_path() + "/meta", json={"segments": segments})
        meta = self._ensure_dict("meta")
        meta["segments"] = list(segments)
        orig = self._orig.get("meta")
        if isinstance(orig, dict) and orig is not meta:
            orig["segments"] = list(segments)

    def add_tag(self, tag: Any) -> Conversation:
        """Add a segment to ``meta.segments`` now (a new name creates the segment)."""
        name = _name_of(tag)
        meta = self.meta if isinstance(self.meta, Mapping) else {}
        segments = list(meta.get("segments") or [])
        if name not in segments:
            self._set_segments(segments + [name])
        return self

    def remove_tag(self, tag: Any) -> Conversation:
        name = _name_of(tag)
        meta = self.meta if isinstance(self.meta, Mapping) else {}
        segments = list(meta.get("segments") or [])
        if name in segments:
            self._set_segments([s for s in segments if s != name])
        return self

    # -- messages ------------------------------------------------------------------------------
    def send_message(self, type: str, content: Any, *, from_: str = "operator",
                     user: Mapping[str, Any] | None = None, origin: str = DEFAULT_ORIGIN,
                     **extra: Any) -> Any:
        """Send any Crisp message (``POST .../message``) and return it as a partial Message.

        ``extra``: ``mentions``, ``stealth``, ``automated``, ``fingerprint``, ``timestamp``
        (or ``created_at`` as a datetime, for imports).
        """
        if type not in schemas.MESSAGE_TYPES:
            raise _invalid(f"type must be one of {', '.join(schemas.MESSAGE_TYPES)}", "type")
        if from_ not in ("user", "operator"):
            raise _invalid("from_ must be 'user' or 'operator'", "from")
        if type == "note" and from_ != "operator":
            raise _invalid("notes are written by operators", "from")
        if type in ("text", "note") and (not isinstance(content, str) or not content.strip()):
            raise _invalid("a text message needs a non-empty body", "body")
        if type == "file":
            if not isinstance(content, Mapping) or not all(
                    isinstance(content.get(k), str) and content.get(k)
                    for k in ("name", "url", "type")):
                raise _invalid("a file message needs url, name and mime type", "content")
        created_at = extra.pop("created_at", None)
        if created_at is not None:
            extra["timestamp"] = _ms(created_at)
        allowed = {"mentions", "stealth", "automated", "fingerprint", "timestamp",
                   "translated", "references", "original", "properties"}
        unknown = sorted(set(extra) - allowed)
        if unknown:
            raise _invalid(f"unknown message option(s): {', '.join(unknown)}", unknown[0])
        payload: dict[str, Any] = {"type": type, "from": from_, "origin": origin,
                                   "content": content}
        if user:
            payload["user"] = {k: v for k, v in user.items() if v is not None}
        payload.update(extra)
        path = self._instance_path()
        data = self._request("POST", path + "/message", json=payload)
        wire = {"fingerprint": data.get("fingerprint") if isinstance(data, Mapping) else None,
                "session_id": self.id, "type": type, "from": from_, "origin": origin,
                "content": content}
        if "timestamp" in payload:
            wire["timestamp"] = payload["timestamp"]
        return self._model("Message").from_wire(wire, partial=True)

    def _author(self, author: Any) -> tuple[str, dict[str, Any] | None]:
        if author is None or author == "operator":
            return "operator", None
        if author in ("user", "contact"):
            return "user", None
        if isinstance(author, canonical.Contact):
            return "user", None
        if isinstance(author, canonical.Agent):
            return "operator", {"nickname": author.name, "avatar": author.avatar_url}
        raise _invalid("author must be an Operator, a Contact, 'operator' or 'user'", "author")

    def reply(self, body: str, author: Any = None, **options: Any) -> Any:
        """Send a text message: from an operator (default; ``author=operator`` shows its name
        and avatar) or from the contact (``author=contact`` or ``"user"``). Returns the Message."""
        sender, user = self._author(author)
        return self.send_message("text", body, from_=sender, user=user, **options)

    def note(self, body: str, author: Any = None, *, admin: Any = None, **options: Any) -> Any:
        """A private note (type ``note``, always from an operator; ``admin=`` is ``author=``)."""
        sender, user = self._author(author if author is not None else admin)
        if sender != "operator":
            raise _invalid("notes are written by operators", "author")
        return self.send_message("note", body, from_="operator", user=user, **options)

    def send_file(self, url: str, name: str, mime: str, author: Any = None,
                  **options: Any) -> Any:
        """A file message: ``content = {name, url, type}``."""
        sender, user = self._author(author)
        return self.send_message("file", {"name": name, "url": url, "type": mime},
                                 from_=sender, user=user, **options)


# -- messages ---------------------------------------------------------------------------------
class Message(CrispResource, Updatable, Deletable, canonical.Message):
    """A conversation message; ``id`` is its fingerprint (as a string; ``fingerprint`` keeps
    Crisp's integer). ``body`` is the text of text/note messages; files are ``attachments``."""

    _schema = schemas.MessageSchema
    _id_key = "fingerprint"
    _repr_fields = ("kind", "author_type", "body")

    def _after_load(self, values: dict[str, Any], data: Mapping[str, Any]) -> None:
        fingerprint = data.get("fingerprint")
        values["id"] = None if fingerprint is None else str(fingerprint)
        kind = data.get("type")
        if kind is not None:
            values["kind"] = KINDS.get(str(kind), "comment")
        sender = data.get("from")
        if sender is not None:
            automated = bool(data.get("automated"))
            values["author_type"] = ("contact" if sender == "user"
                                     else "bot" if automated else "agent")
        user = data.get("user")
        if isinstance(user, Mapping):
            values["author_id"] = user.get("user_id")

    @Derived
    def body(self) -> Any:
        """``content`` of text and note messages (``None`` for other types)."""
        content = self.content
        return content if isinstance(content, str) else None

    @body.setter  # type: ignore[no-redef]
    def body(self, value: Any) -> None:
        if self.type not in (None, "text", "note"):
            raise FieldError(f"a {self.type} message has no text body; change its content",
                             provider="crisp", field="body")
        Model.__setattr__(self, "content", value)

    @Derived
    def attachments(self) -> Any:
        """File/animation/audio ``content`` as ``[{name, url, content_type}]``."""
        content = self.content
        if self.type in ("file", "animation", "audio") and isinstance(content, Mapping):
            return [{"name": content.get("name"), "url": content.get("url"),
                     "content_type": content.get("type")}]
        return []

    @Derived
    def conversation(self) -> Any:
        """The conversation (partial)."""
        sid = self.conversation_id
        return self._model("Conversation").ref(sid) if sid else None

    # -- paths, lookups, lists ---------------------------------------------------------------
    @classmethod
    def _conversation_path(cls, conversation: Any) -> str:
        return cls._website() + encode_path("/conversation/{s}",
                                            s=_id_of(conversation, "conversation"))

    def _instance_path(self) -> str:
        sid = self._values.get("conversation_id")
        return self._conversation_path(sid) + encode_path("/message/{f}", f=_id_of(self))

    def _fetch(self) -> Mapping[str, Any]:
        return self._request("GET", self._instance_path())  # type: ignore[no-any-return]

    @classmethod
    def find(cls, id: Any = None, *, conversation: Any = None) -> Message:
        """One message by fingerprint: ``Message.find(id=..., conversation=conv)``."""
        if id is None or conversation is None:
            raise TypeError("Message.find() takes id= (a fingerprint) and conversation=")
        data = cls._request("GET", cls._conversation_path(conversation)
                            + encode_path("/message/{f}", f=id))
        return cls.from_wire(data)  # type: ignore[return-value]

    @classmethod
    def all(cls, conversation: Any) -> Collection[Any]:
        """Every message of a conversation in time order.

        Crisp serves the latest batch first (``GET .../messages``), then older batches with
        ``?timestamp_before=<oldest ms>``, answering 206 while older messages remain and 200
        on the last batch; all batches are read before the first message is yielded.
        """
        path = cls._conversation_path(conversation) + "/messages"

        def page(params: Mapping[str, Any], cursor: Any, size: int | None) -> Page[Any]:
            return _one_page([cls.from_wire(m) for m in cls._history(path)])
        return MessageList(page, description=f"messages of {_id_of(conversation)}")

    @classmethod
    def _history(cls, path: str) -> list[Mapping[str, Any]]:
        http = cls._client().http
        batches: list[list[Mapping[str, Any]]] = []
        before: int | None = None
        while True:
            response = http.request("GET", path, params={"timestamp_before": before})
            batch = [m for m in (unwrap(response.body) or []) if isinstance(m, Mapping)]
            batches.append(batch)
            if response.status != 206 or not batch:
                break
            oldest = min(int(m.get("timestamp") or 0) for m in batch)
            if before is not None and oldest >= before:
                break  # no progress: never loop forever
            before = oldest
        seen: set[Any] = set()
        ordered: list[Mapping[str, Any]] = []
        for batch in reversed(batches):
            for message in batch:
                key = message.get("fingerprint")
                if key in seen:
                    continue
                seen.add(key)
                ordered.append(message)
        ordered.sort(key=lambda m: int(m.get("timestamp") or 0))
        return ordered

    # -- save / delete / marks ---------------------------------------------------------------
    def _update(self, diff: dict[str, Any]) -> Any:
        if set(diff) - {"content"}:
            raise _invalid(f"only a message's content (body) can be edited, not "
                           f"{', '.join(sorted(set(diff) - {'content'}))}", "content")
        content = self._values.get("content")
        if isinstance(content, str) and not content.strip():
            raise _invalid("a message body cannot be empty", "body")
        if content is None:
            raise _invalid("a message needs content", "content")
        self._request("PATCH", self._instance_path(), json={"content": content})
        return None

    def mark_read(self, by: str = "operator", origin: str = DEFAULT_ORIGIN) -> Message:
        """Mark this message read (by the other side: ``by="operator"`` for user messages)."""
        conv = self._model("Conversation").ref(self.conversation_id)
        conv.mark_read(by=by, fingerprints=[self.id], origin=origin)
        return self

    def mark_delivered(self, by: str = "operator", origin: str = DEFAULT_ORIGIN) -> Message:
        conv = self._model("Conversation").ref(self.conversation_id)
        conv.mark_delivered(by=by, fingerprints=[self.id], origin=origin)
        return self


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
        return dict(cls._request("GET", cls._website() + "/visitors/count") or {})

    @classmethod
    def count(cls, **filters: Any) -> int:
        """The number of visitors (``GET /visitors/count``)."""
        if filters:
            return cls.all(**filters).count()
        return int(cls.stats().get("count") or 0)

    def conversation(self) -> Any:
        """The visitor's session as a (partial) Conversation."""
        return self._model("Conversation").ref(self.id)


RESOURCES: dict[str, Any] = {
    "Contact": Contact, "Conversation": Conversation, "Message": Message, "Tag": Tag,
    "Note": Note, "Operator": Operator, "Agent": Operator, "ContactField": ContactField,
    "Company": Company, "Event": Event, "Visitor": Visitor, "Website": Website,
}

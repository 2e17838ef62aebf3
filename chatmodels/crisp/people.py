"""Crisp people: profiles (``Contact``), their company, events and notepad (``Note``)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, ClassVar

from .. import canonical
from ..collection import Collection, Page
from ..model import Derived, Model
from ..operations import Operation, declare
from ..resource import (
    Creatable,
    Deletable,
    Listable,
    Related,
    Retrievable,
    Updatable,
)
from . import schemas
from ._base import (
    _MISSING,
    CARD_KEYS,
    FILTER_OPERATORS,
    PEOPLE_CRITERIA,
    STR_LIST,
    CrispResource,
    W,
    _check_data,
    _check_dict,
    _check_text,
    _flag,
    _from_ms,
    _id_of,
    _invalid,
    _iso,
    _ms,
    _name_of,
    _one_page,
)
from .api import kind_of


class Company(CrispResource, canonical.Company):
    """The ``company`` of a people profile (``contact.companies``; no API of its own, no id)."""

    _schema = schemas.CompanySchema
    _wire_shapes = {"name": str, "domain": str, "url": str, "metrics": Mapping}
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
    operations = declare(
        find=Operation("GET", W + "/people/profile/{id}"),  # {id}: a people_id or an email
        create=Operation("POST", W + "/people/profile", safe=False),
        update=Operation("PATCH", W + "/people/profile/{id}"),
        replace=Operation("PUT", W + "/people/profile/{id}"),
        delete=Operation("DELETE", W + "/people/profile/{id}"),
        all=Operation("GET", W + "/people/profiles/{page}", paging="per_page"),
        search=Operation("GET", W + "/people/profiles/{page}", paging="per_page"),
        count=Operation("GET", W + "/people/stats"),
        data=Operation("GET", W + "/people/data/{id}", safe=True),
        update_data=Operation("PATCH", W + "/people/data/{id}", safe=True),  # merges
        replace_data=Operation("PUT", W + "/people/data/{id}", safe=True),
        subscription=Operation("GET", W + "/people/subscription/{id}", safe=True),
        update_subscription=Operation("PATCH", W + "/people/subscription/{id}", safe=True),
    )
    _lookup_hint = "id= or email="
    _noun = "people profile"
    _lookup_words = {"id": "people_id", "email": "email"}
    _wire_shapes = {"email": str, "person": Mapping, "company": Mapping, "segments": STR_LIST,
                    "notepad": str, "active": Mapping}
    _person_shapes: ClassVar[Mapping[str, Any]] = {
        "nickname": str, "phone": str, "avatar": str, "geolocation": Mapping}

    def _check_wire(self, data: Any) -> None:
        super()._check_wire(data)
        person = data.get("person")
        if isinstance(person, Mapping):
            self._check_shapes(person, self._person_shapes, "person.")
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
        self._ensure_dict("person")["nickname"] = _check_text(value, "name")

    @Derived
    def phone(self) -> Any:
        """``person.phone``."""
        return self._person_get("phone")

    @phone.setter  # type: ignore[no-redef]
    def phone(self, value: Any) -> None:
        self._ensure_dict("person")["phone"] = _check_text(value, "phone")

    @Derived
    def avatar_url(self) -> Any:
        """``person.avatar``."""
        return self._person_get("avatar")

    @avatar_url.setter  # type: ignore[no-redef]
    def avatar_url(self, value: Any) -> None:
        self._ensure_dict("person")["avatar"] = _check_text(value, "avatar_url")

    @Derived
    def location(self) -> Any:
        """``person.geolocation`` (``{country, region, city, coordinates}``)."""
        return self._person_get("geolocation")

    @location.setter  # type: ignore[no-redef]
    def location(self, value: Any) -> None:
        self._ensure_dict("person")["geolocation"] = _check_dict(value, "location")

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
        if value is not None and (isinstance(value, bool)
                                  or not isinstance(value, (str, int, float))):
            raise _invalid(f"external_id must be a string or a number "
                           f"(got {type(value).__name__})", "external_id")
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

    def to_dict(self, json: bool = False) -> dict[str, Any]:
        out = super().to_dict(json)
        if "custom_attributes" not in self._values:
            out.pop("external_id", None)  # would cost a GET /people/data
        return out

    # -- lazy people data and subscription ----------------------------------------------------
    def _load_data(self) -> None:
        if self.id is None:  # not saved yet: no people data on Crisp, an empty dict to fill
            self._set_clean("custom_attributes", {})
            return
        body = self._call("data")
        data = body.get("data") if isinstance(body, Mapping) else _MISSING
        if data is not None and not isinstance(data, Mapping):
            raise self._bad_answer(f"people data is {kind_of(data)}, not an object", "data")
        self._set_clean("custom_attributes", dict(data or {}))

    def _load_subscription(self) -> None:
        if self.id is None:
            return
        self._set_clean("unsubscribed_from_emails", not self.subscription()["email"])

    def subscription(self) -> dict[str, Any]:
        """The subscription status, as Crisp sends it: ``{"email": bool}`` (True = subscribed)."""
        body = self._call("subscription")
        return {"email": bool(body.get("email", True))} if isinstance(body, Mapping) else {}

    def set_subscription(self, email: bool) -> Contact:
        """Subscribe (``True``) or unsubscribe the profile from emails."""
        if not isinstance(email, bool):
            raise _invalid("email must be True or False", "email")
        self._call("update_subscription", json={"email": email})
        self._set_clean("unsubscribed_from_emails", not email)
        return self

    def merge_data(self, values: Mapping[str, Any]) -> Contact:
        """Set these people data keys now (``PATCH /people/data``: Crisp merges them, other keys
        stay). Exactly the keys given are sent, also a value that only changed type (``1`` ->
        ``True``, which a dirty diff would not see). Setting a value is safe to resend."""
        data = _check_data(values)
        if data:
            self._call("update_data", json={"data": data})
            current = self._values.get("custom_attributes")
            if isinstance(current, Mapping):  # loaded: keep it true (else it loads later)
                self._set_clean("custom_attributes", {**current, **data})
        return self

    # -- lookups, lists -----------------------------------------------------------------------
    @classmethod
    def _find_by(cls, id: Any = None, *, email: Any = None) -> Contact:
        """A profile by email (Crisp accepts an email where the people_id goes)."""
        return cls.from_wire(cls._call("find", id=email))  # type: ignore[return-value]

    @classmethod
    def _list_query(cls, op: Operation, params: Mapping[str, Any]) -> dict[str, Any]:
        return people_query(params)

    @classmethod
    def _orderer(cls, operation: str) -> Any:
        if operation not in ("all", "search"):
            return None

        def order(field: str, descending: bool) -> Mapping[str, Any]:
            return {"sort_field": {"name": "nickname"}.get(field, field),
                    "sort_order": "descending" if descending else "ascending"}
        return order

    @classmethod
    def search(cls, **criteria: Any) -> Collection[Any]:
        """Profiles matching ``criteria`` (see :func:`people_query` for the keywords)."""
        people_query(criteria)  # validate now, not on first iteration
        return cls._list("search", f"{cls.__name__}.search()", **criteria)

    @classmethod
    def count(cls, **filters: Any) -> int:
        """Number of profiles: ``GET /people/stats`` without filters, else by paging."""
        if not filters:
            stats = cls._call("count")
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
        person = rest.get("person")
        if person is not None:
            self._check_person(person)
        return self._wire_changes(rest) if rest else {}, data, unsub

    #: canonical name of the person keys that have one (for error fields)
    _PERSON_NAMES: ClassVar[Mapping[str, str]] = {
        "nickname": "name", "phone": "phone", "avatar": "avatar_url", "geolocation": "location"}

    def _check_person(self, person: Any) -> None:
        """``person`` set directly (not through ``name``...) is checked like the derived fields."""
        if not isinstance(person, Mapping):
            raise _invalid("person must be a dict", "person")
        for key, kind in self._person_shapes.items():
            value = person.get(key)
            field = self._PERSON_NAMES.get(key, f"person.{key}")
            if kind is str:
                _check_text(value, field)
            elif value is not None and not isinstance(value, Mapping):
                raise _invalid(f"{field} must be a dict or None", field)

    def _data_request(self, data_diff: Any) -> tuple[str, dict[str, Any]] | None:
        """The people data operation (``update_data`` merges, ``replace_data``) and body."""
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
            return "replace_data", {"data": _check_data(kept)}
        if not data_diff:
            return None
        return "update_data", {"data": _check_data(data_diff)}

    def _create(self, payload: dict[str, Any]) -> Any:
        card, data, unsub = self._split(payload)
        data = None if data is _MISSING or data is None else _check_data(data)
        unsub = None if unsub is _MISSING else unsub
        created = self._call("create", json=card)
        pid = created.get("people_id") if isinstance(created, Mapping) else None
        if not isinstance(pid, str) or not pid:
            raise self._bad_answer("the created profile has no people_id", "people_id")
        self._values["id"] = pid
        if data:
            self._call("update_data", json={"data": data})
        if unsub is not None:
            self._call("update_subscription", json={"email": not unsub})
        self._fill(self._call("find"))
        if data is not None:
            self._set_clean("custom_attributes", dict(data))
        if unsub is not None:
            self._set_clean("unsubscribed_from_emails", unsub)
        return None

    def _update(self, diff: dict[str, Any]) -> Any:
        self._send(diff)
        return None

    def _send(self, diff: Mapping[str, Any], *, card_op: str = "update",
              card: Mapping[str, Any] | None = None) -> None:
        """Validate every part first, then send profile, data and subscription changes."""
        profile, data_diff, unsub = self._split(diff)
        if card is not None:
            profile = self._wire_changes(card)
        data_request = self._data_request(data_diff)
        if profile:
            self._call(card_op, json=profile)
        if data_request is not None:
            self._call(data_request[0], json=data_request[1])
        if unsub is not _MISSING and unsub is not None:
            self._call("update_subscription", json={"email": not unsub})

    def replace(self) -> Contact:
        """Save the whole profile card (``PUT``: fields you left out are cleared by Crisp),
        then any people data and subscription changes."""
        card = {k: self._values[k] for k in CARD_KEYS if self._values.get(k) is not None}
        if not card.get("email"):
            raise _invalid("a Crisp people profile needs an email", "email")
        self._send(self.changes(), card_op="replace", card=card)
        self._mark_clean()
        return self

    # -- segments (tags) ---------------------------------------------------------------------
    def _set_segments(self, segments: list[str]) -> None:
        self._call("update", json={"segments": segments})
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
        return self._model("Conversation")._list(  # type: ignore[no-any-return]
            "of_contact", f"conversations of people {self.id}", contact=_id_of(self), **params)

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

    @property
    def notes(self) -> Related:
        """The profile's notepad as 0 or 1 Note: ``contact.notes()``, ``contact.notes.create(
        body=...)`` (appends)."""
        note = self._model("Note")
        return Related(lambda: note.all(contact=self),
                       lambda **kw: note.create(contact=self, **kw),
                       f"notes of people {self.id}")

    def add_note(self, body: str) -> Any:
        """Append ``body`` to the profile's notepad."""
        return self._model("Note").create(contact=self, body=body)


# -- people events, notes ---------------------------------------------------------------------
class Event(CrispResource, canonical.Event):
    """A people event: ``text`` (canonical ``name``), ``data`` (``metadata``), ``color``,
    ``timestamp`` (``created_at``). Crisp events have no id."""

    _schema = schemas.PeopleEventSchema
    _wire_shapes = {"text": str, "data": Mapping, "color": str}
    _repr_fields = ("name", "color")
    aliases = {"text": "name", "data": "metadata"}
    operations = declare(
        all=Operation("GET", W + "/people/events/{contact}/list/{page}", paging="page"),
        create=Operation("POST", W + "/people/events/{contact}", safe=False),
    )

    @classmethod
    def all(cls, contact: Any) -> Collection[Any]:
        """The events of one profile, newest first."""
        pid = _id_of(contact, "contact")
        return cls._list("all", f"Event.all(contact={pid})", contact=pid)

    @classmethod
    def _from_item(cls, item: Any, op: Operation, ids: Mapping[str, Any]) -> Any:
        event = cls.from_wire(item)
        event._set_clean("contact_id", ids["contact"])
        return event

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
        cls._call("create", json=payload, contact=pid)
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
    operations = declare(
        notepad=Operation("GET", W + "/people/profile/{contact}", safe=True),
        write=Operation("PATCH", W + "/people/profile/{contact}", safe=True),  # the whole text
        update=Operation("PATCH", W + "/people/profile/{id}"),
        delete=Operation("PATCH", W + "/people/profile/{id}"),  # empties the notepad
    )

    @classmethod
    def _of(cls, pid: str, notepad: str) -> Note:
        return cls.from_wire({"id": pid, "contact_id": pid, "body": notepad})  # type: ignore

    @classmethod
    def all(cls, contact: Any) -> Collection[Any]:
        pid = _id_of(contact, "contact")

        def page(params: Mapping[str, Any], cursor: Any, size: int | None) -> Page[Any]:
            # always read the profile: a Contact object in hand may hold a stale notepad
            profile = cls._call("notepad", contact=pid)
            notepad = profile.get("notepad") if isinstance(profile, Mapping) else None
            return _one_page([cls._of(pid, notepad)] if notepad else [])
        return Collection(page, description=f"Note.all(contact={pid})")

    @classmethod
    def create(cls, contact: Any, body: str, author: Any = None) -> Note:
        """Append ``body`` to the notepad (``author`` is not recorded: Crisp has no author)."""
        if not isinstance(body, str) or not body.strip():
            raise _invalid("a note needs a body", "body")
        pid = _id_of(contact, "contact")
        profile = cls._call("notepad", contact=pid)
        current = (profile.get("notepad") if isinstance(profile, Mapping) else "") or ""
        notepad = f"{current}{cls.SEPARATOR}{body}" if current else body
        cls._call("write", json={"notepad": notepad}, contact=pid)
        return cls._of(pid, notepad)

    def _update(self, diff: dict[str, Any]) -> Any:
        if set(diff) - {"body"}:
            raise _invalid("only a note's body can be changed", sorted(diff)[0])
        body = diff["body"] or ""
        if not isinstance(body, str):
            raise _invalid("a note body must be a string", "body")
        self._call("update", json={"notepad": body})
        return None

    def delete(self) -> None:
        self._call("delete", json={"notepad": ""})
        object.__setattr__(self, "_deleted", True)

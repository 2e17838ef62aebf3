"""Customers (``Contact``, Agent Chat API) and the Configuration API: agents, groups
(``Team``), tags and properties (``Property``, a ``ContactField``).

v3.6 has no customer listing: ``Contact.all()`` walks the archives (``list_archives``) and
yields each customer the first time one of their chats appears, as a partial object (reading a
field the chat did not carry costs one ``get_customer``). It is lazy: stop early, pay less.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from .. import canonical
from ..collection import Collection, Page
from ..errors import APIError, ResourceNotFound, ResponseError
from ..model import Derived
from ..operations import declare
from ..resource import Creatable, Deletable, Listable, Retrievable, Updatable, not_found
from . import schemas
from .api import agent, configuration, error_from_body
from .chats import (
    LiveChatResource,
    answer_id,
    answer_object,
    group_id,
    id_of,
    invalid,
    shape_filters,
)

BATCHABLE = ("create", "update", "delete", "suspend", "unsuspend", "approve")


class _WithFields(Retrievable):
    """``get_*`` and ``list_*`` of the Configuration API ask for these optional ``fields``."""

    _fields: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def find(cls, id: Any = None, **lookup: Any) -> Any:
        if id is None or lookup:
            return super().find(id, **lookup)
        try:
            return cls.from_wire(cls._call("find", id=id, json={"fields": list(cls._fields)}))
        except ResourceNotFound as exc:
            raise not_found(exc, cls, {"id": id}) from None

    def _fetch(self) -> Mapping[str, Any]:
        return self._call("find", json={"fields": list(self._fields)})  # type: ignore[no-any-return]

    def _create(self, payload: dict[str, Any]) -> Any:
        # the answer is only ``{"id": ...}``: the object is what was sent plus its id
        sent = self._wire_changes(payload)
        answer = answer_object(self._call("create", json=sent), f"{type(self).__name__}.create")
        if answer.get("id") is None:
            raise ResponseError(f"livechat: the {type(self).__name__}.create answer has no id",
                                provider="livechat", code="bad_answer", field="id")
        return {**sent, **answer}


# -- customers --------------------------------------------------------------------------------
class _SessionFields(dict):  # type: ignore[type-arg]
    """A customer's ``custom_attributes``: every change is written back to its
    ``session_fields`` (a list of one-key objects), so in-place edits are saved."""

    def __init__(self, owner: Any, items: Mapping[str, Any]) -> None:
        super().__init__(items)
        self._owner = owner

    def _sync(self) -> None:
        self._owner.session_fields = [{str(k): v} for k, v in self.items()]

    def __setitem__(self, key: Any, value: Any) -> None:
        super().__setitem__(key, value)
        self._sync()

    def __delitem__(self, key: Any) -> None:
        super().__delitem__(key)
        self._sync()

    def pop(self, *args: Any) -> Any:
        value = super().pop(*args)
        self._sync()
        return value

    def popitem(self) -> Any:
        item = super().popitem()
        self._sync()
        return item

    def setdefault(self, key: Any, default: Any = None) -> Any:
        value = super().setdefault(key, default)
        self._sync()
        return value

    def update(self, *args: Any, **kwargs: Any) -> None:
        super().update(*args, **kwargs)
        self._sync()

    def clear(self) -> None:
        super().clear()
        self._sync()


class Contact(LiveChatResource, Retrievable, Updatable, canonical.Contact):
    """A LiveChat customer. ``custom_attributes`` reads and writes ``session_fields``
    (a list of one-key objects); ``location`` is the last visit's geolocation."""

    _schema = schemas.CustomerSchema
    operations = declare(
        find=agent("get_customer", "id"),
        update=agent("update_customer", "id"),
        create=agent("create_customer", safe=False),
        ban=agent("ban_customer", "id", safe=True),
        follow=agent("follow_customer", "id", safe=True),
        unfollow=agent("unfollow_customer", "id", safe=True),
        bans=configuration("list_customer_bans", safe=True),
        unban=configuration("unban_customer", safe=True),
    )

    def _after_load(self, values: dict[str, Any], data: Mapping[str, Any]) -> None:
        visit = data.get("visit")
        if isinstance(visit, Mapping):
            values["location"] = visit.get("geolocation")

    @Derived
    def custom_attributes(self) -> dict[str, Any]:
        """``session_fields`` as one dict (assign a dict to replace them all; an edit in place,
        ``custom_attributes["plan"] = "pro"``, is written back to ``session_fields`` too)."""
        merged: dict[str, Any] = {}
        for item in self.session_fields or []:
            if isinstance(item, Mapping):
                merged.update(item)
        return _SessionFields(self, merged)

    @custom_attributes.setter  # type: ignore[no-redef]
    def custom_attributes(self, value: Mapping[str, Any]) -> None:
        if not isinstance(value, Mapping):
            raise invalid("custom_attributes must be a dict", "custom_attributes")
        self.session_fields = [{str(k): v} for k, v in value.items()]

    @classmethod
    def create(cls, **fields: Any) -> Contact:
        """``create_customer`` (in the official SDK for v3.6, not in the v3.6 docs)."""
        obj = cls(**fields)
        sent = obj._wire_changes({k: v for k, v in obj._values.items() if v is not None})
        answer = cls._call("create", json=sent)
        obj._fill({**sent, "id": answer_id(answer, "customer_id", "create_customer")})
        return obj

    @classmethod
    def all(cls, **filters: Any) -> Collection[Any]:
        """Customers met in the archives (``list_archives`` filters apply), each once."""
        return Collection(cls._from_archives, params=filters,
                          description=f"{cls.__name__}.all() (from archives)")

    @classmethod
    def _from_archives(cls, params: Mapping[str, Any], cursor: Any,
                       size: int | None) -> Page[Any]:
        chats = cls._model("Conversation")
        op = chats.operation("archived")
        page_id, seen = cursor if cursor is not None else (None, set())
        while True:
            page = chats._config.page(chats, op, shape_filters(params), page_id, size)
            found = []
            for chat in page.items:
                for user in chat.users or []:
                    if user.get("type") == "customer" and user.get("id") not in seen:
                        seen.add(user.get("id"))
                        found.append(cls.from_wire(user, partial=True, account=chat._account))
            if found or page.next_cursor is None:
                return Page(found, (page.next_cursor, seen) if page.next_cursor else None)
            page_id = page.next_cursor

    def ban(self, days: int) -> None:
        """``ban_customer`` for ``days`` days."""
        if isinstance(days, bool) or not isinstance(days, int) or days < 1:
            raise invalid("ban days must be a positive integer", "days")
        self._call("ban", json={"ban": {"days": days}})

    def follow(self) -> None:
        """``follow_customer`` (SDK v3.6)."""
        self._call("follow")

    def unfollow(self) -> None:
        self._call("unfollow")

    @classmethod
    def bans(cls) -> list[dict[str, Any]]:
        """``list_customer_bans`` (Configuration API)."""
        return list(cls._call("bans") or [])

    @classmethod
    def unban(cls, *, ip: str | None = None, customer: Any = None) -> None:
        """``unban_customer`` by IP or customer."""
        body: dict[str, Any] = {}
        if ip:
            body["ip"] = ip
        if customer is not None:
            body["customer_id"] = id_of(customer, "customer")
        cls._call("unban", json=body)


# -- agents -----------------------------------------------------------------------------------
class Agent(LiveChatResource, _WithFields, Listable, Updatable, Deletable, canonical.Agent):
    """A LiveChat agent (Configuration API; the id is the agent's email)."""

    _schema = schemas.AgentSchema
    _fields = ("groups", "job_title", "max_chats_count", "suspended", "awaiting_approval")
    operations = declare(
        find=configuration("get_agent", "id"),
        all=configuration("list_agents"),
        create=configuration("create_agent", safe=False),
        update=configuration("update_agent", "id"),
        delete=configuration("delete_agent", "id"),
        suspend=configuration("suspend_agent", "id", safe=True),
        unsuspend=configuration("unsuspend_agent", "id", safe=True),
        approve=configuration("approve_agent", "id", safe=True),
        request_unsuspension=configuration("request_agent_unsuspension", safe=False),
        set_routing_status=agent("set_routing_status", safe=True),
        routing_statuses=agent("list_routing_statuses", safe=True),
        multicast=agent("multicast", safe=False),
        logout=agent("logout", safe=True),
        **{f"batch_{name}": configuration(f"batch_{name}_agents", safe=False)
           for name in BATCHABLE},
    )

    def _after_load(self, values: dict[str, Any], data: Mapping[str, Any]) -> None:
        values["email"] = data.get("id")
        if data.get("avatar") and not values.get("avatar_url"):
            values["avatar_url"] = data["avatar"]
        if "login_status" in data:
            values["away"] = data.get("login_status") != "accepting chats"
        if isinstance(data.get("groups"), list):
            values["team_ids"] = [g.get("id") for g in data["groups"] if isinstance(g, Mapping)]

    @classmethod
    def _list_page(cls, params: Mapping[str, Any], cursor: Any, size: int | None) -> Page[Any]:
        body = shape_filters(params)
        body["fields"] = list(cls._fields)
        return cls._config.page(cls, cls.operation("all"), body, cursor, size)

    @classmethod
    def create(cls, email: str | None = None, **fields: Any) -> Agent:  # type: ignore[override]
        """``create_agent``: ``Agent.create(email="ann@example.com", name="Ann")``."""
        if not email:
            raise invalid("Agent.create() needs email= (the agent id)", "email")
        obj = cls(**fields)
        sent = {"id": email, **obj._wire_changes(dict(obj._values))}
        answer = answer_object(cls._call("create", json=sent), "create_agent")
        obj._fill({**answer, **sent})  # the id (email) and fields sent stand
        return obj

    def suspend(self) -> None:
        self._call("suspend")

    def unsuspend(self) -> None:
        self._call("unsuspend")

    def approve(self) -> None:
        self._call("approve")

    @classmethod
    def request_unsuspension(cls) -> None:
        """``request_agent_unsuspension`` for the requester."""
        cls._call("request_unsuspension")

    @classmethod
    def batch(cls, action: str, requests: Iterable[Mapping[str, Any]]) -> list[Any]:
        """One ``batch_<action>_agents`` call: per request, its answer or the
        :class:`~chatmodels.errors.APIError` it failed with (nothing is raised for those)."""
        if action not in BATCHABLE:
            raise invalid(f"no batch {action!r}; one of {', '.join(BATCHABLE)}", "action")
        answer = cls._call(f"batch_{action}", json={"requests": [dict(r) for r in requests]})
        out: list[Any] = []
        for item in (answer or {}).get("responses") or []:
            if isinstance(item, Mapping) and "error" in item:
                out.append(error_from_body(400, item))
            else:
                out.append(item)
        return out

    def set_routing_status(self, status: str) -> None:
        """``set_routing_status`` of this agent (``accepting_chats``...)."""
        self._call("set_routing_status", json={"status": status, "agent_id": self.id})

    @classmethod
    def routing_statuses(cls, *, team: Any = None) -> list[dict[str, Any]]:
        """``list_routing_statuses``: ``[{"agent_id", "status"}]``."""
        body = {"filters": {"group_ids": [group_id(team)]}} if team is not None else {}
        return list(cls._call("routing_statuses", json=body) or [])

    @classmethod
    def multicast(cls, content: Any, *, all: bool | None = None, agents: Iterable[Any] = (),
                  teams: Iterable[Any] = (), type: str | None = None) -> None:
        """``multicast`` a JSON ``content`` to agents (not saved anywhere)."""
        recipients: dict[str, Any] = {}
        if all:
            recipients["all"] = True
        if agents:
            recipients["ids"] = [id_of(a, "agents") for a in agents]
        if teams:
            recipients["groups"] = [group_id(t) for t in teams]
        if not recipients:
            raise invalid("multicast needs all=True, agents= or teams=", "recipients")
        body: dict[str, Any] = {"recipients": {"agents": recipients}, "content": content}
        if type:
            body["type"] = type
        cls._call("multicast", json=body)

    @classmethod
    def logout(cls, agent: Any = None) -> None:
        """``logout`` (SDK v3.6; the requester unless ``agent=``)."""
        cls._call("logout", json={"agent_id": id_of(agent, "agent")} if agent else {})


# -- groups -----------------------------------------------------------------------------------
class Team(LiveChatResource, _WithFields, Listable, Creatable, Updatable, Deletable,
           canonical.Team):
    """A LiveChat group (numeric id; group 0 is "General")."""

    _schema = schemas.GroupSchema
    _fields = ("agent_priorities", "routing_status")
    operations = declare(
        find=configuration("get_group", "id", int_ids=("id",)),
        all=configuration("list_groups"),
        create=configuration("create_group", safe=False),
        update=configuration("update_group", "id", int_ids=("id",)),
        delete=configuration("delete_group", "id", int_ids=("id",)),
        properties=configuration("list_groups_properties", safe=True),
        update_properties=configuration("update_group_properties", "id", int_ids=("id",),
                                        safe=True),
        delete_properties=configuration("delete_group_properties", "id", int_ids=("id",),
                                        safe=True),
    )

    def _after_load(self, values: dict[str, Any], data: Mapping[str, Any]) -> None:
        if isinstance(data.get("agent_priorities"), Mapping):
            values["agent_ids"] = list(data["agent_priorities"])

    @classmethod
    def _list_page(cls, params: Mapping[str, Any], cursor: Any, size: int | None) -> Page[Any]:
        return cls._config.page(cls, cls.operation("all"),
                                {**params, "fields": list(cls._fields)}, cursor, size)

    def _validate_create(self, payload: Mapping[str, Any]) -> None:
        if not payload.get("name"):
            raise invalid("a team needs a name", "name")
        if "agent_priorities" not in payload:
            self._values["agent_priorities"] = {}
            self._touched.add("agent_priorities")

    def _create(self, payload: dict[str, Any]) -> Any:
        payload.setdefault("agent_priorities", {})
        return super()._create(payload)

    @classmethod
    def properties(cls, **filters: Any) -> list[dict[str, Any]]:
        """``list_groups_properties``: ``[{"id", "properties"}]``."""
        return list(cls._call("properties", json=shape_filters(filters)) or [])

    def update_properties(self, properties: Mapping[str, Any]) -> None:
        self._call("update_properties", json={"properties": dict(properties)})

    def delete_properties(self, properties: Mapping[str, Iterable[str]]) -> None:
        self._call("delete_properties",
                   json={"properties": {k: list(v) for k, v in properties.items()}})


# -- tags -------------------------------------------------------------------------------------
class Tag(LiveChatResource, Listable, Updatable, Deletable, canonical.Tag):
    """A tag (Configuration API); its name is its id. ``group_ids``: the teams it is for."""

    _schema = schemas.TagSchema
    _id_key = "name"
    operations = declare(
        all=configuration("list_tags"),
        create=configuration("create_tag", safe=False),
        update=configuration("update_tag", "id", keys={"id": "name"}),
        delete=configuration("delete_tag", "id", keys={"id": "name"}),
    )

    def _after_load(self, values: dict[str, Any], data: Mapping[str, Any]) -> None:
        values["id"] = data.get("name")

    @classmethod
    def _list_page(cls, params: Mapping[str, Any], cursor: Any, size: int | None) -> Page[Any]:
        return cls._config.page(cls, cls.operation("all"), shape_filters(params), cursor, size)

    @classmethod
    def create(cls, name: str | None = None, *, team: Any = None,  # type: ignore[override]
               teams: Iterable[Any] = ()) -> Tag:
        """``create_tag``: ``Tag.create(name="vip", team=group)``."""
        if not isinstance(name, str) or not name.strip():
            raise invalid("a tag needs a name", "name")
        groups = [group_id(t) for t in ([team] if team is not None else []) + list(teams)]
        body: dict[str, Any] = {"name": name}
        if groups:
            body["group_ids"] = groups
        cls._call("create", json=body)
        return cls.from_wire({**body, "group_ids": groups})  # type: ignore[return-value]


# -- properties -------------------------------------------------------------------------------
TYPES = {"int": "integer", "bool": "boolean", "string": "string", "tokenized_string": "string"}


class Property(LiveChatResource, canonical.ContactField):
    """A registered property (``list_properties``). Properties live on chats, threads,
    events, groups and the license, not on customers: ``model`` names those locations."""

    _schema = schemas.PropertySchema
    _id_key = "name"
    operations = declare(
        all=configuration("list_properties", safe=True),
        register=configuration("register_property", safe=False),
        unregister=configuration("unregister_property", "id", "owner_client_id",
                                 keys={"id": "name"}, safe=True),
        publish=configuration("publish_property", "id", "owner_client_id",
                              keys={"id": "name"}, safe=True),
        license=configuration("list_license_properties", safe=True),
        update_license=configuration("update_license_properties", safe=True),
        delete_license=configuration("delete_license_properties", safe=True),
    )

    def _after_load(self, values: dict[str, Any], data: Mapping[str, Any]) -> None:
        values["id"] = values["label"] = data.get("name")
        values["data_type"] = TYPES.get(str(data.get("type")), data.get("type"))
        values["model"] = sorted((data.get("access") or {}).keys()) or None
        values["custom"] = True
        domain = data.get("domain")
        values["options"] = list(domain) if isinstance(domain, list) else None

    @classmethod
    def all(cls, *, owner_client_id: str | None = None) -> Collection[Any]:
        """The properties of one Client Id (``list_properties``, one page). Without
        ``owner_client_id`` (a migration source reading ``contact_fields``): empty, no request;
        properties are listed per Client Id and none describes customers (session fields are
        untyped, so a migration types them from their values)."""
        def fetch(params: Mapping[str, Any], cursor: Any, size: int | None) -> Page[Any]:
            if owner_client_id is None:
                return Page([], None, 0)
            answer = cls._call("all", json={"owner_client_id": owner_client_id}) or {}
            items = [cls.from_wire({"name": k, "owner_client_id": owner_client_id, **v})
                     for k, v in answer.items()]
            return Page(items, None, len(items))
        return Collection(fetch, description=f"{cls.__name__}.all()")

    @classmethod
    def register(cls, name: str, *, owner_client_id: str, type: str,
                 access: Mapping[str, Any], description: str | None = None,
                 **more: Any) -> Property:
        """``register_property`` (``domain``, ``range``, ``default_value`` in ``more``)."""
        body = {"name": name, "owner_client_id": owner_client_id, "type": type,
                "access": dict(access), **more}
        if description is not None:
            body["description"] = description
        cls._call("register", json=body)
        return cls.from_wire(body)  # type: ignore[return-value]

    def unregister(self) -> None:
        self._call("unregister", owner_client_id=self.owner_client_id)

    def publish(self, access_type: Iterable[str] = ("read",)) -> None:
        self._call("publish", owner_client_id=self.owner_client_id,
                   json={"access_type": list(access_type)})

    @classmethod
    def license_properties(cls, **filters: Any) -> dict[str, Any]:
        """``list_license_properties``: ``{namespace: {name: value}}``."""
        return dict(cls._call("license", json=dict(filters)) or {})

    @classmethod
    def update_license_properties(cls, properties: Mapping[str, Any]) -> None:
        cls._call("update_license", json={"properties": dict(properties)})

    @classmethod
    def delete_license_properties(cls, properties: Mapping[str, Iterable[str]]) -> None:
        cls._call("delete_license",
                  json={"properties": {k: list(v) for k, v in properties.items()}})


__all__ = ["APIError", "Agent", "Contact", "Property", "Tag", "Team"]

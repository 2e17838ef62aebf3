"""Chats (``Conversation``), their threads and events (``Message``): Agent Chat Web API v3.6.

A LiveChat chat is a sequence of threads; each thread holds events. ``Conversation`` is the
chat as ``get_chat``/``list_chats``/``list_archives`` answer it (one thread, the latest unless
asked otherwise); ``chat.messages`` walks every thread (``list_threads``, oldest first) and
turns each event into a :class:`Message` keeping LiveChat's event ``type``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import IO, Any, ClassVar

from .. import canonical
from ..collection import Collection, Page
from ..errors import ChatModelsError, ResponseError, ValidationError
from ..model import Derived, Model
from ..operations import declare
from ..resource import Listable, Resource, Retrievable
from . import schemas
from .api import LiveChat, agent
from .schemas import format_time, parse_time

#: canonical author type <- LiveChat user type
AUTHOR_TYPES = {"customer": "contact", "agent": "agent"}
#: keys of a chat-list call that are not filters
LIST_KEYS = frozenset({"sort_order", "highlights"})


def invalid(message: str, field: str | None = None) -> ValidationError:
    return ValidationError(message, provider="livechat", field=field)


def id_of(obj: Any, what: str) -> str:
    value = obj.id if isinstance(obj, Model) else obj
    if isinstance(value, bool) or not isinstance(value, (str, int)) or value == "":
        raise invalid(f"{what} must be an object or a non-empty id", what)
    return str(value)


def group_id(team: Any) -> int:
    value = team.id if isinstance(team, Model) else team
    try:
        return int(value)
    except (TypeError, ValueError):
        raise invalid(f"a team (group) id is a number, got {value!r}", "team") from None


def shape_filters(params: Mapping[str, Any]) -> dict[str, Any]:
    """Keyword filters -> a list action's body: ``{"filters": {...}, "sort_order": ...}``.
    ``team``/``teams`` become ``group_ids``, datetimes RFC 3339 strings, ``customer`` a
    ``customer_id``."""
    body: dict[str, Any] = {}
    filters: dict[str, Any] = {}
    for key, value in params.items():
        if value is None:
            continue
        if key in LIST_KEYS:
            body[key] = value
        elif key in ("team", "teams"):
            teams = value if isinstance(value, (list, tuple)) else [value]
            filters["group_ids"] = [group_id(t) for t in teams]
        elif key == "customer":
            filters["customer_id"] = id_of(value, "customer")
        elif isinstance(value, dt.datetime):
            filters[key] = format_time(value)
        else:
            filters[key] = value
    if filters:
        body["filters"] = filters
    return body


def objects(value: Any, what: str) -> list[Mapping[str, Any]]:
    """A list of JSON objects from an answer (``None``: empty); another shape is a
    ``TypeError``, which the core's loading turns into a ``ResponseError``."""
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
        raise TypeError(f"{what} must be a list of objects")
    return value


def mapping(value: Any, what: str) -> Mapping[str, Any]:
    """A JSON object from an answer (``None``/empty: ``{}``), else a ``TypeError``."""
    if not value:
        return {}
    if not isinstance(value, Mapping):
        raise TypeError(f"{what} must be an object")
    return value


def _strings(value: Any) -> bool:
    """``None`` or a list of strings."""
    return value is None or (isinstance(value, list) and all(isinstance(v, str) for v in value))


def answer_object(answer: Any, what: str) -> Mapping[str, Any]:
    """An action's answer that must be a JSON object (``None``: ``{}``)."""
    if answer is None:
        return {}
    if not isinstance(answer, Mapping):
        raise ResponseError(f"livechat: the {what} answer is not a JSON object",
                            provider="livechat", code="bad_answer")
    return answer


def answer_id(answer: Any, key: str, what: str) -> str:
    """The new id at ``key`` of a create-like action's answer (a non-empty string)."""
    value = answer_object(answer, what).get(key)
    if not isinstance(value, str) or not value:
        raise ResponseError(f"livechat: the {what} answer has no {key}", provider="livechat",
                            code="bad_answer", field=key)
    return value


class LiveChatResource(Resource):
    _config = LiveChat


# -- events -----------------------------------------------------------------------------------
class Message(LiveChatResource, canonical.Message):
    """A chat event. ``type`` is LiveChat's (``message``, ``system_message``, ``file``,
    ``rich_message``, ``filled_form``, ``custom``...), ``kind`` the canonical one; the
    type-specific keys are in ``extra``. Created by ``chat.reply()``/``chat.messages``."""

    _schema = schemas.EventSchema
    _repr_fields = ("type", "kind", "author_type")
    operations = declare(
        update_properties=agent("update_event_properties", "chat_id", "thread_id", "id",
                                keys={"id": "event_id"}, safe=True),
        delete_properties=agent("delete_event_properties", "chat_id", "thread_id", "id",
                                keys={"id": "event_id"}, safe=True),
    )

    @classmethod
    def from_event(cls, event: Mapping[str, Any], *, chat_id: Any, thread_id: Any,
                   users: Mapping[str, str] | None = None, account: Any = None) -> Message:
        data = dict(event)
        data["_chat_id"], data["_thread_id"] = chat_id, thread_id
        author = data.get("author_id")
        if users and isinstance(author, str) and author in users:
            data["_author_type"] = AUTHOR_TYPES.get(users[author])
        return cls.from_wire(data, account=account)  # type: ignore[return-value]

    def _fill(self, data: Mapping[str, Any], *, partial: bool = False) -> None:
        context = {k: data[k] for k in ("_chat_id", "_thread_id", "_author_type") if k in data}
        super()._fill({k: v for k, v in data.items() if k not in context}, partial=partial)
        self._values["conversation_id"] = context.get("_chat_id")
        self._values["thread_id"] = context.get("_thread_id")
        if context.get("_author_type") and self._values.get("author_type") is None:
            self._values["author_type"] = context["_author_type"]
        self._orig.update({k: self._values[k] for k in ("conversation_id", "thread_id",
                                                          "author_type") if k in self._values})

    def _after_load(self, values: dict[str, Any], data: Mapping[str, Any]) -> None:
        kind = data.get("type")
        note = data.get("visibility") == "agents"
        values["kind"] = "note" if note else "comment"
        values["attachments"] = []
        if kind in ("system_message", "system"):
            values["kind"], values["author_type"] = "event", "system"
        elif kind in ("custom", "form"):
            values["kind"] = "event"
        elif kind == "file":
            values["attachments"] = [{k: data.get(k) for k in ("url", "name", "content_type",
                                                                "size")}]
        elif kind == "rich_message":
            texts = [e.get(k) for e in data.get("elements") or [] for k in ("title", "subtitle")]
            values["body"] = "\n".join(t for t in texts if t) or None
        elif kind == "filled_form":
            values["body"] = "\n".join(f"{f.get('label')}: {_answer(f)}"
                                       for f in data.get("fields") or []) or None

    def update_properties(self, properties: Mapping[str, Any]) -> None:
        """``update_event_properties``: ``{namespace: {name: value}}``."""
        self._call("update_properties", chat_id=self.conversation_id, thread_id=self.thread_id,
                   json={"properties": dict(properties)})

    def delete_properties(self, properties: Mapping[str, Iterable[str]]) -> None:
        """``delete_event_properties``: ``{namespace: [name, ...]}``."""
        self._call("delete_properties", chat_id=self.conversation_id, thread_id=self.thread_id,
                   json={"properties": {k: list(v) for k, v in properties.items()}})


def _answer(field: Mapping[str, Any]) -> str:
    if "answers" in field:
        return ", ".join(str(a.get("label")) for a in field["answers"] or [])
    answer = field.get("answer")
    return str(answer.get("label")) if isinstance(answer, Mapping) else str(answer or "")


# -- threads ----------------------------------------------------------------------------------
class Thread(LiveChatResource):
    """One thread of a chat (``chat.threads()``): its events, tags and properties."""

    _schema = schemas.ThreadSchema
    _repr_fields = ("active", "created_at")
    operations = declare(
        tag=agent("tag_thread", "chat_id", "id", keys={"id": "thread_id"}, safe=True),
        untag=agent("untag_thread", "chat_id", "id", keys={"id": "thread_id"}, safe=True),
        update_properties=agent("update_thread_properties", "chat_id", "id",
                                keys={"id": "thread_id"}, safe=True),
        delete_properties=agent("delete_thread_properties", "chat_id", "id",
                                keys={"id": "thread_id"}, safe=True),
        summarize=agent("request_thread_summary", "chat_id", "id", keys={"id": "thread_id"},
                        safe=False),
    )

    def _after_load(self, values: dict[str, Any], data: Mapping[str, Any]) -> None:
        objects(data.get("events"), "events")
        if not isinstance(data.get("tags") or [], list):
            raise TypeError("tags must be a list")

    def _fill(self, data: Mapping[str, Any], *, partial: bool = False) -> None:
        chat_id = data.get("_chat_id")
        super()._fill({k: v for k, v in data.items() if k != "_chat_id"}, partial=partial)
        self._values["chat_id"] = self._orig["chat_id"] = chat_id

    def messages_with(self, users: Mapping[str, str] | None = None) -> list[Message]:
        cls = self._model("Message")
        return [cls.from_event(e, chat_id=self.chat_id, thread_id=self.id, users=users,
                               account=self._account) for e in self.events or []]

    @property
    def messages(self) -> list[Message]:
        """The thread's events as :class:`Message` objects."""
        return self.messages_with()

    def tag(self, tag: Any) -> None:
        """``tag_thread`` (the tag must exist, see ``Tag.create``)."""
        name = tag_name(tag)
        self._call("tag", chat_id=self.chat_id, json={"tag": name})
        if name not in (self._values.get("tags") or []):
            self._set_clean("tags", [*(self._values.get("tags") or []), name])

    def untag(self, tag: Any) -> None:
        name = tag_name(tag)
        self._call("untag", chat_id=self.chat_id, json={"tag": name})
        self._set_clean("tags", [t for t in self._values.get("tags") or [] if t != name])

    def update_properties(self, properties: Mapping[str, Any]) -> None:
        self._call("update_properties", chat_id=self.chat_id,
                   json={"properties": dict(properties)})

    def delete_properties(self, properties: Mapping[str, Iterable[str]]) -> None:
        self._call("delete_properties", chat_id=self.chat_id,
                   json={"properties": {k: list(v) for k, v in properties.items()}})

    def summarize(self) -> None:
        """``request_thread_summary`` (the summary arrives later as a system event)."""
        self._call("summarize", chat_id=self.chat_id)


def tag_name(tag: Any) -> str:
    name = tag.name if isinstance(tag, Model) else tag
    if not isinstance(name, str) or not name.strip():
        raise invalid("a tag name must be a non-empty string", "tag")
    return name


# -- chats ------------------------------------------------------------------------------------
CACHED = ("created_at", "updated_at", "tags", "contacts", "assignee_id", "team_id")


def cached(compute: Any) -> Derived:
    """A read-only canonical value computed from the raw chat on first read, then kept in the
    object's values (``reload()`` recomputes it): listing thousands of chats stays cheap."""
    name = compute.__name__

    def fget(self: Any) -> Any:
        values = self._values
        if name not in values:
            self._set_clean(name, compute(self))
        return self._tracked(name, values[name])

    fget.__name__, fget.__doc__ = name, compute.__doc__
    return Derived(fget)


class Conversation(LiveChatResource, Retrievable, Listable, canonical.Conversation):
    """A LiveChat chat. ``find(id=, thread_id=)`` is ``get_chat``; ``all()`` is ``list_chats``
    (chat summaries); ``archived(query=...)`` is ``list_archives`` (one entry per thread)."""

    _schema = schemas.ChatSchema
    _refs: ClassVar[Mapping[str, tuple[str, bool]]] = {"contacts": ("Contact", True),
                                                        "tags": ("Tag", True)}
    operations = declare(
        find=agent("get_chat", "id", keys={"id": "chat_id"}),
        all=agent("list_chats", paging="page_id", items="chats_summary"),
        archived=agent("list_archives", safe=True, paging="page_id", items="chats"),
        threads=agent("list_threads", "id", keys={"id": "chat_id"}, safe=True,
                      paging="page_id", items="threads"),
        start=agent("start_chat", safe=False),
        resume=agent("resume_chat", safe=False),
        deactivate=agent("deactivate_chat", "id", safe=False),
        follow=agent("follow_chat", "id", safe=True),
        unfollow=agent("unfollow_chat", "id", safe=True),
        transfer=agent("transfer_chat", "id", safe=False),
        add_user=agent("add_user_to_chat", "id", keys={"id": "chat_id"}, safe=True),
        remove_user=agent("remove_user_from_chat", "id", keys={"id": "chat_id"}, safe=True),
        send_event=agent("send_event", "id", keys={"id": "chat_id"}, safe=False),
        preview=agent("send_event_preview", "id", keys={"id": "chat_id"}, safe=True),
        postback=agent("send_rich_message_postback", "id", keys={"id": "chat_id"}, safe=False),
        upload=agent("upload_file", safe=False),
        update_properties=agent("update_chat_properties", "id", safe=True),
        delete_properties=agent("delete_chat_properties", "id", safe=True),
        mark_seen=agent("mark_events_as_seen", "id", keys={"id": "chat_id"}, safe=True),
        typing=agent("send_typing_indicator", "id", keys={"id": "chat_id"}, safe=True),
        thinking=agent("send_thinking_indicator", "id", keys={"id": "chat_id"}, safe=True),
        agents_for_transfer=agent("list_agents_for_transfer", "id", keys={"id": "chat_id"},
                                  safe=True),
    )

    def _after_load(self, values: dict[str, Any], data: Mapping[str, Any]) -> None:
        # the rest of the canonical values are computed on first read (see ``cached``)
        thread = mapping(data.get("thread") or data.get("last_thread_summary"), "thread")
        values["thread_id"] = thread.get("id")
        values["state"] = "open" if thread.get("active") else "closed"
        # the shapes the cached values read later, checked now (a bad answer fails here)
        stamps = [e.get("created_at") for e in objects(thread.get("events"), "events")]
        for entry in mapping(data.get("last_event_per_type"), "last_event_per_type").values():
            stamps.append(mapping(mapping(entry, "last_event_per_type").get("event"),
                                  "event").get("created_at"))
        if not all(s is None or isinstance(s, str) for s in stamps + [thread.get("id")]):
            raise TypeError("event times and thread ids are strings")
        if not _strings(thread.get("tags")):
            raise TypeError("tags must be a list of names")
        if not _strings(thread.get("user_ids")):
            raise TypeError("user_ids must be a list of ids")
        for user in objects(data.get("users"), "users"):
            if user.get("type") == "agent" and not isinstance(user.get("id"), str):
                raise TypeError("an agent of a chat needs an id")
        groups = mapping(data.get("access"), "access").get("group_ids") or []
        if not isinstance(groups, list) or not all(
                type(g) is int for g in groups):  # a bool is no group id
            raise TypeError("group_ids must be a list of numbers")

    def _thread_data(self) -> Mapping[str, Any]:
        raw = self._raw or {}
        return raw.get("thread") or raw.get("last_thread_summary") or {}  # type: ignore[no-any-return]

    @cached
    def created_at(self) -> dt.datetime | None:
        """When the carried thread started."""
        return parse_time(self._thread_data().get("created_at"))

    @cached
    def updated_at(self) -> dt.datetime | None:
        """The newest event time known (thread events, ``last_event_per_type``)."""
        stamps = [e.get("created_at") for e in self._thread_data().get("events") or []]
        stamps += [(e.get("event") or {}).get("created_at")
                   for e in ((self._raw or {}).get("last_event_per_type") or {}).values()]
        stamps = [s for s in stamps if s]
        return parse_time(max(stamps)) if stamps else self.created_at

    @cached
    def tags(self) -> list[Any]:
        """The carried thread's tags (partial ``Tag`` objects)."""
        return [{"name": t} for t in self._thread_data().get("tags") or []]

    @cached
    def contacts(self) -> list[Any]:
        """The chat's customers (partial ``Contact`` objects)."""
        return [u for u in (self._raw or {}).get("users") or [] if u.get("type") == "customer"]

    @cached
    def assignee_id(self) -> str | None:
        """The first agent of the chat present in the carried thread (else the first agent)."""
        present = set(self._thread_data().get("user_ids") or ())
        agents = [u["id"] for u in (self._raw or {}).get("users") or []
                  if u.get("type") == "agent"]
        return next((a for a in agents if a in present), agents[0] if agents else None)

    @cached
    def team_id(self) -> int | None:
        """The first group of the chat's access."""
        groups = ((self._raw or {}).get("access") or {}).get("group_ids") or []
        return groups[0] if groups else None  # type: ignore[no-any-return]

    def to_dict(self, json: bool = False) -> dict[str, Any]:
        for name in CACHED:
            getattr(self, name)
        return super().to_dict(json)

    # -- finding and listing -------------------------------------------------------------
    @classmethod
    def _find_by(cls, *, id: Any = None, thread_id: Any = None) -> Any:  # type: ignore[override]
        """``get_chat`` of one thread (``thread_id=``) rather than the latest."""
        if id is None:
            raise invalid("Conversation.find() needs id= (the chat id)", "id")
        body = {"thread_id": id_of(thread_id, "thread_id")} if thread_id is not None else None
        return cls.from_wire(cls._call("find", id=id, json=body))

    @classmethod
    def _list_page(cls, params: Mapping[str, Any], cursor: Any, size: int | None) -> Page[Any]:
        return cls._config.page(cls, cls.operation("all"), shape_filters(params), cursor, size)

    @classmethod
    def archived(cls, **filters: Any) -> Collection[Any]:
        """``list_archives``: ``archived(query="refund", from_=..., team=group, tags={...})``;
        filters go on the first page only. One entry per thread."""
        if "from_" in filters:
            filters["from"] = filters.pop("from_")
        op = cls.operation("archived")
        return Collection(lambda p, c, s: cls._config.page(cls, op, shape_filters(p), c, s),
                          params=filters, description=f"{cls.__name__}.archived()")

    def threads(self, **filters: Any) -> Collection[Thread]:
        """``list_threads`` of this chat (oldest first unless ``sort_order="desc"``)."""
        filters.setdefault("sort_order", "asc")
        op = self.operation("threads")
        thread_cls, account, chat_id = self._model("Thread"), self._account, self.id

        def wrap(item: Mapping[str, Any]) -> Thread:
            if not isinstance(item, Mapping):
                raise ResponseError("livechat: a thread of list_threads is not a JSON object",
                                    provider="livechat", code="bad_answer", field="threads")
            return thread_cls.from_wire({**item, "_chat_id": chat_id}, account=account)

        def fetch(params: Mapping[str, Any], cursor: Any, size: int | None) -> Page[Any]:
            body = shape_filters(params)
            body["_wrap"] = wrap
            return self._config.page(self, op, body, cursor, size)

        return Collection(fetch, params=filters, description=f"chat {chat_id} threads")

    def _users(self) -> dict[str, str]:
        return {u.get("id"): u.get("type") for u in self._values.get("users") or []}

    @Derived
    def messages(self) -> list[Message]:
        """Every event of every thread, oldest first (``list_threads``; cached until
        ``reload()``)."""
        cached = self._values.get("messages")
        if cached is None:
            users = self._users()
            cached = [m for t in self.threads() for m in t.messages_with(users)]
            self._set_clean("messages", cached)
        return cached  # type: ignore[no-any-return]

    # -- lifecycle -----------------------------------------------------------------------
    @classmethod
    def start(cls, *, customer: Any = None, text: str | None = None, team: Any = None,
              agents: Iterable[Any] = (), properties: Mapping[str, Any] | None = None,
              thread_properties: Mapping[str, Any] | None = None, active: bool | None = None,
              continuous: bool | None = None,
              events: Iterable[Mapping[str, Any]] = ()) -> Conversation:
        """``start_chat``, then ``get_chat`` of the new chat (two requests). ``events``: the
        thread's initial events (after ``text``'s message), e.g. with a ``custom_id``."""
        chat: dict[str, Any] = {}
        users = [{"id": id_of(a, "agents"), "type": "agent"} for a in agents]
        if customer is not None:
            users.append({"id": id_of(customer, "customer"), "type": "customer"})
        if users:
            chat["users"] = users
        if team is not None:
            chat["access"] = {"group_ids": [group_id(team)]}
        if properties:
            chat["properties"] = dict(properties)
        thread: dict[str, Any] = {}
        initial = [{"type": "message", "text": text, "visibility": "all"}] if text else []
        initial += [dict(e) for e in events]
        if initial:
            thread["events"] = initial
        if thread_properties:
            thread["properties"] = dict(thread_properties)
        if thread:
            chat["thread"] = thread
        body: dict[str, Any] = {"chat": chat} if chat else {}
        for key, value in (("active", active), ("continuous", continuous)):
            if value is not None:
                body[key] = value
        answer = cls._call("start", json=body)
        return cls.find(id=answer["chat_id"])  # type: ignore[no-any-return]

    def resume(self, *, text: str | None = None, active: bool | None = None,
               continuous: bool | None = None,
               events: Iterable[Mapping[str, Any]] = ()) -> Conversation:
        """``resume_chat`` (a new thread, ``events`` after ``text``'s message), then reload."""
        chat: dict[str, Any] = {"id": self.id}
        initial = [{"type": "message", "text": text, "visibility": "all"}] if text else []
        initial += [dict(e) for e in events]
        if initial:
            chat["thread"] = {"events": initial}
        body: dict[str, Any] = {"chat": chat}
        for key, value in (("active", active), ("continuous", continuous)):
            if value is not None:
                body[key] = value
        self._call("resume", json=body)
        self.reload()
        return self

    def close(self, *, ignore_requester_presence: bool | None = None) -> Conversation:
        """``deactivate_chat``: closes the open thread."""
        body = _flags(ignore_requester_presence=ignore_requester_presence)
        self._call("deactivate", json=body)
        self._set_clean("state", "closed")
        return self

    deactivate = close

    def follow(self) -> None:
        self._call("follow")

    def unfollow(self) -> None:
        self._call("unfollow")

    def transfer(self, *, team: Any = None, agent: Any = None,
                 ignore_agents_availability: bool | None = None,
                 ignore_requester_presence: bool | None = None) -> Conversation:
        """``transfer_chat`` to a team (group) or an agent (neither: within the group)."""
        if team is not None and agent is not None:
            raise invalid("transfer to a team or to an agent, not both", "team")
        body = _flags(ignore_agents_availability=ignore_agents_availability,
                      ignore_requester_presence=ignore_requester_presence)
        if team is not None:
            body["target"] = {"type": "group", "ids": [group_id(team)]}
            self._set_clean("team_id", group_id(team))
        elif agent is not None:
            body["target"] = {"type": "agent", "ids": [id_of(agent, "agent")]}
            self._set_clean("assignee_id", id_of(agent, "agent"))
        self._call("transfer", json=body)
        return self

    def add_user(self, user: Any, *, type: str = "agent", visibility: str = "all",
                 ignore_requester_presence: bool | None = None) -> None:
        """``add_user_to_chat`` (an agent or the customer)."""
        self._call("add_user", json={"user_id": id_of(user, "user"), "user_type": type,
                                     "visibility": visibility,
                                     **_flags(ignore_requester_presence=ignore_requester_presence)})

    def remove_user(self, user: Any, *, type: str = "agent",
                    ignore_requester_presence: bool | None = None) -> None:
        """``remove_user_from_chat`` (agents only)."""
        self._call("remove_user", json={"user_id": id_of(user, "user"), "user_type": type,
                                        **_flags(ignore_requester_presence=
                                                 ignore_requester_presence)})

    # -- events --------------------------------------------------------------------------
    def send_event(self, event: Mapping[str, Any]) -> Message:
        """``send_event`` with any event object; returns it as a :class:`Message`."""
        if not isinstance(event, Mapping) or not event.get("type"):
            raise invalid("an event needs a type", "event")
        answer = self._call("send_event", json={"event": dict(event)})
        self._values.pop("messages", None)
        return self._model("Message").from_event(  # type: ignore[no-any-return]
            {**event, "id": answer_id(answer, "event_id", "send_event")}, chat_id=self.id,
            thread_id=self._values.get("thread_id"), account=self._account)

    def reply(self, text: str | None = None, *, body: str | None = None,
              visibility: str = "all", custom_id: str | None = None) -> Message:
        """A ``message`` event (``visibility="agents"``: a note only agents see)."""
        text = text if text is not None else body
        if not isinstance(text, str) or not text:
            raise invalid("reply() needs text=", "text")
        event = {"type": "message", "text": text, "visibility": visibility}
        if custom_id:
            event["custom_id"] = custom_id
        return self.send_event(event)

    def note(self, text: str) -> Message:
        """A message only agents see (canonical kind ``note``)."""
        return self.reply(text, visibility="agents")

    def preview(self, text: str) -> None:
        """``send_event_preview``: a partial message not saved in the chat."""
        self._call("preview", json={"event": {"type": "message", "text": text}})

    def postback(self, event: Any, postback: Mapping[str, Any], *,
                 thread: Any = None) -> None:
        """``send_rich_message_postback`` for a button of a rich message."""
        thread_id = id_of(thread, "thread") if thread is not None else self._thread()
        self._call("postback", json={"event_id": id_of(event, "event"),
                                     "thread_id": thread_id, "postback": dict(postback)})

    @classmethod
    def upload(cls, file: IO[bytes] | bytes, filename: str = "file") -> str:
        """``upload_file`` (multipart): the temporary URL to use in a ``file`` event."""
        op = cls.operation("upload")
        method, path, _, _ = cls._config.prepare(op, {}, None, None)
        answer = cls._client().http.request(method, path, files={"file": (filename, file)},
                                            idempotent=False).body
        if not isinstance(answer, Mapping) or "url" not in answer:
            raise ChatModelsError("livechat: upload_file answered without a url")
        return str(answer["url"])

    def send_file(self, url: str, **more: Any) -> Message:
        """A ``file`` event for an uploaded URL."""
        return self.send_event({"type": "file", "url": url, "visibility": "all", **more})

    # -- tags, properties, misc ----------------------------------------------------------
    def _thread(self) -> str:
        thread_id = self._values.get("thread_id")
        if not thread_id:
            raise invalid(f"chat {self.id} has no thread", "thread_id")
        return str(thread_id)

    def _thread_obj(self, thread: Any) -> Thread:
        thread_id = id_of(thread, "thread") if thread is not None else self._thread()
        return self._model("Thread").from_wire(  # type: ignore[no-any-return]
            {"id": thread_id, "_chat_id": self.id}, account=self._account)

    def add_tag(self, tag: Any, *, thread: Any = None) -> None:
        """``tag_thread`` on the current thread (or ``thread=``)."""
        name = tag_name(tag)
        self._thread_obj(thread).tag(name)
        if thread is None and name not in [t.name for t in self.tags or []]:
            self._set_clean("tags", [*(self.tags or []), self._model("Tag").from_wire(
                {"name": name}, partial=True, account=self._account)])

    def remove_tag(self, tag: Any, *, thread: Any = None) -> None:
        name = tag_name(tag)
        self._thread_obj(thread).untag(name)
        if thread is None:
            self._set_clean("tags", [t for t in self.tags or [] if t.name != name])

    def update_properties(self, properties: Mapping[str, Any]) -> None:
        """``update_chat_properties``: ``{namespace: {name: value}}``."""
        self._call("update_properties", json={"properties": dict(properties)})

    def delete_properties(self, properties: Mapping[str, Iterable[str]]) -> None:
        self._call("delete_properties",
                   json={"properties": {k: list(v) for k, v in properties.items()}})

    def mark_seen(self, seen_up_to: dt.datetime | None = None) -> None:
        """``mark_events_as_seen`` up to ``seen_up_to`` (default: now)."""
        when = seen_up_to or dt.datetime.now(dt.timezone.utc)
        self._call("mark_seen", json={"seen_up_to": format_time(when)})

    def typing(self, is_typing: bool = True, *, visibility: str | None = None) -> None:
        self._call("typing", json={"is_typing": bool(is_typing),
                                   **_flags(visibility=visibility)})

    def thinking(self, *, title: str | None = None, description: str | None = None,
                 visibility: str | None = None, custom_id: str | None = None) -> None:
        self._call("thinking", json=_flags(title=title, description=description,
                                           visibility=visibility, custom_id=custom_id))

    def agents_for_transfer(self) -> list[dict[str, Any]]:
        """``list_agents_for_transfer``: ``[{"agent_id", "total_active_chats"}]``."""
        return list(self._call("agents_for_transfer") or [])

    def summarize(self, *, thread: Any = None) -> None:
        self._thread_obj(thread).summarize()


def _flags(**values: Any) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


__all__ = ["Conversation", "LiveChatResource", "Message", "Thread", "shape_filters"]

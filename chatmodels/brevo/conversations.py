"""Brevo Conversations: agent messages, automated ("pushed") messages, agents, conversations.

Brevo's API has **no endpoint that lists conversations or a visitor's messages**: a message can
be sent, read, edited and deleted by its id, and that is all. So a :class:`Conversation` is
built either from what the API returns (:meth:`Conversation.for_visitor`: the visitor's thread
with the messages you know the ids of, plus every message sent through it) or from Brevo's
conversation webhooks (:mod:`chatmodels.brevo.webhooks`).
"""

from __future__ import annotations

import logging
import pathlib
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from .. import canonical
from ..collection import Collection, Page
from ..errors import ResourceNotFound, ValidationError
from ..model import Derived, Model
from ..operations import Operation, declare
from ..resource import Creatable, Deletable, Retrievable, Updatable
from . import schemas
from .contacts import BrevoResource

logger = logging.getLogger(__name__)


def _invalid(message: str, field: str | None = None) -> ValidationError:
    return ValidationError(message, provider="brevo", field=field)


def saved_conversations(resource: Any) -> list[Any]:
    """The conversations assembled from the account's ``webhook_dir`` (``connect(...,
    webhook_dir=...)``), cached while the directory's files are unchanged; ``[]`` without a
    directory (Brevo's API lists no conversations)."""
    client = resource._client()
    folder = client.options.get("webhook_dir")
    if not folder:
        logger.warning("brevo: no webhook_dir: Brevo's API lists no conversations or agents "
                       "(connect(..., webhook_dir=<saved webhook bodies>))")
        return []
    from .webhooks import read_directory
    path = pathlib.Path(folder)
    try:
        signature = tuple((f.name, f.stat().st_mtime_ns, f.stat().st_size)
                          for f in sorted(path.glob("*.json")))
    except OSError:
        signature = ()
    key = f"brevo:webhook_dir:{path}:{hash(signature)}"
    return client.cached(key, lambda: read_directory(path, api=client))  # type: ignore[no-any-return]


def _static(items: list[Any], description: str) -> Collection[Any]:
    def fetch(params: Mapping[str, Any], cursor: Any, size: int | None) -> Page[Any]:
        if params:
            raise _invalid(f"{description} takes no filters", next(iter(params)))
        return Page(list(items), None, len(items))
    return Collection(fetch, description=description)


class Agent(BrevoResource, canonical.Agent):
    """An agent. Brevo cannot list agents; build one from its id (``Agent(id=...)``, found on
    the agent's page or in webhooks) or, for a standalone system, from ``email`` + ``name`` +
    ``received_from`` (Brevo creates a dummy agent for an unknown email)."""

    _schema = schemas.AgentSchema
    operations = declare(
        ping=Operation("POST", "/conversations/agentOnlinePing", safe=True),
    )

    def identity(self) -> dict[str, Any]:
        """The agent fields of a message or ping body: ``agentId``, else email + name +
        receivedFrom (all three, as Brevo requires)."""
        if self.id:
            out = {"agentId": str(self.id)}
            if self.received_from:
                out["receivedFrom"] = self.received_from
            return out
        if self.email and self.name and self.received_from:
            return {"agentEmail": self.email, "agentName": self.name,
                    "receivedFrom": self.received_from}
        raise _invalid("an agent needs an id, or email + name + received_from", "agent")

    @classmethod
    def all(cls) -> Collection[Any]:
        """The agents named in the saved webhooks of ``webhook_dir`` (by id, first seen
        first); Brevo's API lists no agents."""
        found: dict[str, Any] = {}
        for conv in saved_conversations(cls):
            for agent in conv.agents or []:
                aid = agent.get("id") if isinstance(agent, Mapping) else None
                if aid and aid not in found:
                    found[aid] = cls.from_wire(dict(agent), account=cls._client())
        return _static(list(found.values()), "Agent.all()")

    def ping(self) -> None:
        """Mark the agent online for 2-3 minutes (Brevo advises a ping every minute)."""
        self._call("ping", json=self.identity())

    online = ping


class Message(BrevoResource, Retrievable, Creatable, Updatable, Deletable, canonical.Message):
    """A message sent as an agent (``/conversations/messages``). ``text`` is ``body``;
    ``conversation_id`` is the visitor id (Brevo keeps one thread per visitor). Only agents'
    messages can be edited or deleted."""

    _schema = schemas.MessageSchema
    aliases: ClassVar[Mapping[str, str]] = {"text": "body"}
    _repr_fields = ("type", "body")
    operations = declare(
        find=Operation("GET", "/conversations/messages/{id}"),
        create=Operation("POST", "/conversations/messages", safe=False),
        update=Operation("PUT", "/conversations/messages/{id}"),
        delete=Operation("DELETE", "/conversations/messages/{id}"),
    )
    #: fields ``save()`` may change on an existing message
    _editable: ClassVar[frozenset[str]] = frozenset({"body"})
    #: the body fields a create accepts
    _create_fields: ClassVar[frozenset[str]] = frozenset(
        {"body", "visitor_id", "agent_id", "agent_email", "agent_name", "received_from"})

    @classmethod
    def create(cls, *, agent: Any = None, **fields: Any) -> Any:
        """Send a message to a visitor: ``Message.create(visitor_id=..., text=..., agent=...)``
        (``agent``: an :class:`Agent`, or an agent id)."""
        if agent is not None:
            if not isinstance(agent, Model):
                agent = cls._model("Agent")(id=str(agent))
            for key, value in agent.identity().items():
                attr = {"agentId": "agent_id", "agentEmail": "agent_email",
                        "agentName": "agent_name", "receivedFrom": "received_from"}[key]
                fields.setdefault(attr, value)
        return super().create(**fields)

    @Derived
    def conversation_id(self) -> Any:  # type: ignore[override]
        return self.visitor_id

    @Derived
    def kind(self) -> str:  # type: ignore[override]
        return "comment"

    @Derived
    def author_type(self) -> str:  # type: ignore[override]
        if self.type == "visitor":
            return "contact"
        return "bot" if self.is_bot else "agent"

    @Derived
    def author_id(self) -> Any:  # type: ignore[override]
        return self.visitor_id if self.type == "visitor" else self.agent_id

    @Derived
    def attachments(self) -> list[Any]:  # type: ignore[override]
        return [self.file] if isinstance(self.file, Mapping) else []

    def _validate_create(self, payload: Mapping[str, Any]) -> None:
        extra = set(payload) - self._create_fields
        if extra:
            raise _invalid(f"{type(self).__name__} cannot be created with "
                           f"{', '.join(sorted(extra))}", sorted(extra)[0])
        for name in ("visitor_id", "body"):
            if not payload.get(name):
                raise _invalid(f"a {type(self).__name__} needs {name}", name)

    def _create(self, payload: dict[str, Any]) -> Any:
        return self._call("create", json=self._wire_changes(payload))

    def _update(self, diff: dict[str, Any]) -> Any:
        other = set(diff) - self._editable
        if other:
            raise _invalid(f"only the text of a Brevo message can change, not "
                           f"{', '.join(sorted(other))}", sorted(other)[0])
        return self._call("update", json=self._wire_changes(diff))


class PushedMessage(Message):
    """An automated message to a visitor (``/conversations/pushedMessages``): order status,
    announcements... sent as an agent (``agent=``) or a group (``group_id=``)."""

    operations = declare(
        find=Operation("GET", "/conversations/pushedMessages/{id}"),
        create=Operation("POST", "/conversations/pushedMessages", safe=False),
        update=Operation("PUT", "/conversations/pushedMessages/{id}"),
        delete=Operation("DELETE", "/conversations/pushedMessages/{id}"),
    )
    _create_fields = frozenset({"body", "visitor_id", "agent_id", "group_id"})

    @classmethod
    def create(cls, *, agent: Any = None, **fields: Any) -> Any:
        if agent is not None:
            fields.setdefault("agent_id", str(agent.id if isinstance(agent, Model) else agent))
        if not fields.get("agent_id") and not fields.get("group_id"):
            raise _invalid("a pushed message needs agent= (an agent id) or group_id=", "agent")
        return super(Message, cls).create(**fields)


class Conversation(BrevoResource, canonical.Conversation):
    """A visitor's conversation, assembled (Brevo cannot list or fetch conversations).

    ``id``: the webhook's ``conversationId`` when built from webhooks, else the visitor id;
    ``visitor_id``: the visitor; ``messages``: time-ordered :class:`Message` objects;
    ``state``: ``open``, or ``closed`` once a ``conversationTranscript`` arrived.
    """

    _repr_fields = ("visitor_id", "state")
    canonical_fields = canonical.Conversation.canonical_fields + (  # type: ignore[assignment]
        "visitor_id", "visitor", "agents", "start_page")
    operations = declare(
        group=Operation("PUT", "/conversations/visitorGroup", safe=True),
    )

    @classmethod
    def all(cls) -> Collection[Any]:
        """The conversations of the saved webhook bodies in ``webhook_dir`` (see
        :func:`chatmodels.brevo.webhooks.read_directory`); empty without one."""
        return _static(saved_conversations(cls), "Conversation.all()")

    @classmethod
    def find(cls, id: str) -> Any:  # noqa: A002
        """A conversation of ``webhook_dir`` by its ``conversationId``."""
        for conv in saved_conversations(cls):
            if conv.id == id:
                return conv
        raise ResourceNotFound(f"no conversation {id!r} in the saved webhooks",
                               provider="brevo")

    @classmethod
    def for_visitor(cls, visitor_id: str, *, message_ids: Iterable[str] = (),
                    pushed_message_ids: Iterable[str] = ()) -> Conversation:
        """The conversation of one visitor, from what the API returns: each message id given
        is fetched (a message that no longer exists is skipped). Send with :meth:`reply` and
        :meth:`push`; the messages sent are added to ``messages``."""
        if not isinstance(visitor_id, str) or not visitor_id.strip():
            raise _invalid("for_visitor() needs a visitor id", "visitor_id")
        messages: list[Any] = []
        for kind, ids in (("Message", message_ids), ("PushedMessage", pushed_message_ids)):
            model = cls._model(kind)
            for mid in ids:
                try:
                    message = model.find(mid)
                except ResourceNotFound:
                    continue
                if message.visitor_id not in (None, visitor_id):
                    raise _invalid(f"message {mid} belongs to another visitor", "message_ids")
                messages.append(message)
        messages.sort(key=_sort_key)
        conv = cls(id=visitor_id, visitor_id=visitor_id, messages=messages, state="open")
        conv._mark_clean()
        object.__setattr__(conv, "_account", cls._account_of_class())
        return conv

    @Derived
    def contacts(self) -> list[Any]:  # type: ignore[override]
        """The visitor's Brevo contact (partial) when webhooks said which one; else, for a
        visitor of the webhooks, an anonymous contact ``visitor:<visitor id>`` (no email,
        named as Brevo displays the visitor, never loaded); else []."""
        visitor = self.visitor if isinstance(self.visitor, Mapping) else {}
        model = self._model("Contact")
        cid = visitor.get("contactId")
        if cid is not None:
            return [model.from_wire({"id": cid}, partial=True, account=self._account)]
        if not visitor.get("id"):
            return []
        anonymous = model.from_wire({"attributes": {"FIRSTNAME": visitor.get(
            "displayedName") or None}}, account=self._account)
        anonymous._values["id"] = f"visitor:{visitor['id']}"
        anonymous._mark_clean()
        return [anonymous]

    @Derived
    def created_at(self) -> Any:  # type: ignore[override]
        return self.messages[0].created_at if self.messages else None

    @Derived
    def updated_at(self) -> Any:  # type: ignore[override]
        return self.messages[-1].created_at if self.messages else None

    @Derived
    def title(self) -> Any:  # type: ignore[override]
        page = self.start_page
        return page.get("title") if isinstance(page, Mapping) else None

    def reply(self, text: str, *, agent: Any) -> Any:
        """Send an agent message to the visitor and add it to ``messages``."""
        message = self._model("Message").create(visitor_id=self.visitor_id, text=text,
                                                agent=agent)
        self._append(message)
        return message

    def push(self, text: str, *, agent: Any = None, group_id: str | None = None) -> Any:
        """Send an automated message (as an agent or a group) and add it to ``messages``."""
        fields: dict[str, Any] = {"visitor_id": self.visitor_id, "text": text}
        if group_id:
            fields["group_id"] = group_id
        message = self._model("PushedMessage").create(agent=agent, **fields)
        self._append(message)
        return message

    def set_group(self, group_id: str) -> dict[str, Any]:
        """Assign the visitor to a group (``PUT /conversations/visitorGroup``)."""
        if not group_id:
            raise _invalid("set_group() needs a group id", "group_id")
        answer = self._call("group", json={"visitorId": self.visitor_id, "groupId": group_id})
        return dict(answer or {})

    def _append(self, message: Any) -> None:
        messages = list(self._values.get("messages") or [])
        messages.append(message)
        self._set_clean("messages", messages)


def _sort_key(message: Any) -> tuple[float, str]:
    created = message.created_at
    return (created.timestamp() if created is not None else 0.0, str(message.id or ""))


__all__ = ["Agent", "Conversation", "Message", "PushedMessage"]

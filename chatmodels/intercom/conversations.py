"""Intercom conversations and their messages (parts, and outbound messages).

Retry safety of the writes that are not plain CRUD (see :mod:`chatmodels.operations`): starting a
conversation, replying, every state change (a part: close, open, snooze, assign), applying a tag
and sending a message add something each time they are processed, so they are sent once; removing
a tag (``DELETE``) leaves the same state however often it is sent.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, ClassVar

from .. import canonical
from ..errors import ValidationError
from ..operations import Operation, declare
from ..resource import Deletable, Listable, Resource, Retrievable, Updatable
from . import schemas
from .base import IntercomResource, Searchable, _id_of, _resolve_tag


class Conversation(Searchable, Retrievable, Updatable, Deletable, Listable,
                   canonical.Conversation):
    """An Intercom conversation; ``messages`` are its source message then its parts."""

    _schema = schemas.ConversationSchema
    _max_page_size = 150
    operations = declare(
        find=Operation("GET", "/conversations/{id}", query={"display_as": "plaintext"}),
        create=Operation("POST", "/conversations", safe=False),
        update=Operation("PUT", "/conversations/{id}"),
        delete=Operation("DELETE", "/conversations/{id}"),
        all=Operation("GET", "/conversations", paging="cursor"),
        search=Operation("POST", "/conversations/search", paging="search", safe=True),  # a read
        reply=Operation("POST", "/conversations/{id}/reply", safe=False),
        part=Operation("POST", "/conversations/{id}/parts", safe=False),
        add_tag=Operation("POST", "/conversations/{id}/tags", safe=False),
        remove_tag=Operation("DELETE", "/conversations/{id}/tags/{tag}", safe=True),
    )
    _refs = {"contacts": ("Contact", True), "tags": ("Tag", True),
             "messages": ("Message", True), "teammates": ("Admin", True)}
    _loaders: ClassVar[Mapping[str, str]] = {"messages": "reload"}
    STATES: ClassVar[Mapping[str, str]] = {"open": "open", "closed": "closed",
                                           "snoozed": "snoozed"}

    def _after_load(self, values: dict[str, Any], data: Mapping[str, Any]) -> None:
        if "messages" in values:
            source = values.get("source")
            parts = list(values.get("messages") or [])
            if isinstance(source, Mapping) and source.get("id"):
                first = {k: v for k, v in source.items() if k != "type"}
                first.update(type="conversation_part", part_type="source",
                             created_at=data.get("created_at"))
                parts.insert(0, first)
            conv_id = data.get("id")
            values["messages"] = [{**p, "conversation_id": conv_id} for p in parts]

    # -- creation ----------------------------------------------------------------------------
    @classmethod
    def create(cls, contact: Any, body: str, *, subject: str | None = None,
               created_at: int | None = None) -> Conversation:
        """Start a conversation from a contact (``POST /conversations``) and return it."""
        if not body:
            raise ValidationError("a conversation needs a body", provider="intercom",
                                  field="body")
        role = getattr(contact, "role", None) if isinstance(contact, Resource) else None
        payload: dict[str, Any] = {"from": {"type": role or "contact", "id": _id_of(contact)},
                                   "body": body}
        if subject:
            payload["subject"] = subject
        if created_at:
            payload["created_at"] = int(created_at)
        data = cls._call("create", json=payload)
        if isinstance(data, Mapping) and data.get("type") == "conversation":
            return cls.from_wire(data)  # type: ignore[return-value]
        return cls.find(id=data["conversation_id"])

    # -- actions -----------------------------------------------------------------------------
    def reply(self, body: str, author: Any = None, *, message_type: str = "comment",
              attachment_urls: list[str] | None = None,
              created_at: int | None = None,
              attachment_files: list[Mapping[str, str]] | None = None) -> Conversation:
        """Reply as an admin (default: the token's admin) or as a contact (``author=contact``).

        ``attachment_files``: files uploaded with the reply, each ``{"name", "content_type",
        "data"}`` (``data`` base64), at most 10; ``attachment_urls``: image URLs."""
        if not body and not attachment_urls and not attachment_files:
            raise ValidationError("a reply needs a body", provider="intercom", field="body")
        payload: dict[str, Any] = {"message_type": message_type, "body": body}
        if isinstance(author, canonical.Contact):
            if message_type != "comment":
                raise ValidationError("contacts can only post comments", provider="intercom",
                                      field="message_type")
            payload.update(type="user", intercom_user_id=_id_of(author))
        else:
            payload.update(type="admin", admin_id=self._admin_id(author))
        if attachment_urls:
            payload["attachment_urls"] = list(attachment_urls)
        if attachment_files:
            payload["attachment_files"] = [dict(f) for f in attachment_files]
        if created_at:
            payload["created_at"] = int(created_at)
        self._fill(self._call("reply", json=payload))
        return self

    def note(self, body: str, admin: Any = None) -> Conversation:
        """Add a private note (an admin reply of type ``note``)."""
        return self.reply(body, admin, message_type="note")

    def _admin_id(self, admin: Any) -> str:
        if admin is None:
            return str(self._model("Admin").me().id)
        return _id_of(admin)

    def _part(self, payload: dict[str, Any]) -> Conversation:
        self._fill(self._call("part", json=payload))
        return self

    def close(self, admin: Any = None, body: str | None = None) -> Conversation:
        payload = {"message_type": "close", "type": "admin", "admin_id": self._admin_id(admin)}
        if body:
            payload["body"] = body
        return self._part(payload)

    def open(self, admin: Any = None) -> Conversation:  # noqa: A003
        return self._part({"message_type": "open", "admin_id": self._admin_id(admin)})

    def snooze(self, until: dt.datetime | int, admin: Any = None) -> Conversation:
        ts = int(until.timestamp()) if isinstance(until, dt.datetime) else int(until)
        return self._part({"message_type": "snoozed", "admin_id": self._admin_id(admin),
                           "snoozed_until": ts})

    def assign(self, assignee: Any, admin: Any = None, body: str | None = None) -> Conversation:
        """Assign to an admin or a team (``None`` unassigns)."""
        kind = "team" if isinstance(assignee, canonical.Team) else "admin"
        payload = {"message_type": "assignment", "type": kind,
                   "admin_id": self._admin_id(admin),
                   "assignee_id": "0" if assignee is None else _id_of(assignee)}
        if body:
            payload["body"] = body
        return self._part(payload)

    def add_tag(self, tag: Any, admin: Any = None) -> Conversation:
        tag_id = _resolve_tag(self, tag)
        self._call("add_tag", json={"id": tag_id, "admin_id": self._admin_id(admin)})
        self._forget("tags")  # the embedded list is reloaded on its next read
        return self

    def remove_tag(self, tag: Any, admin: Any = None) -> Conversation:
        self._call("remove_tag", tag=_id_of(tag), json={"admin_id": self._admin_id(admin)})
        self._forget("tags")
        return self

    def mark_read(self) -> Conversation:
        self.read = True
        return self.save()  # type: ignore[return-value]


class Message(IntercomResource, canonical.Message):
    """A conversation part, or an outbound message made with ``Message.create``."""

    _schema = schemas.MessageSchema
    operations = declare(create=Operation("POST", "/messages", safe=False))
    _repr_fields: ClassVar[tuple[str, ...]] = ("kind", "author_type", "body")

    KINDS: ClassVar[Mapping[str, str]] = {
        "comment": "comment", "note": "note", "assignment": "assignment", "open": "open",
        "close": "close", "snoozed": "snooze", "source": "comment",
        "default_assignment": "assignment", "away_mode_assignment": "assignment",
    }
    AUTHORS: ClassVar[Mapping[str, str]] = {
        "user": "contact", "lead": "contact", "contact": "contact", "admin": "agent",
        "team": "agent", "bot": "bot",
    }

    def _after_load(self, values: dict[str, Any], data: Mapping[str, Any]) -> None:
        kind = values.get("kind")
        if kind is not None:
            values["kind"] = self.KINDS.get(kind, "event")
        elif values.get("message_type"):
            values["kind"] = "comment"
        author = values.get("author")
        if isinstance(author, Mapping):
            values["author_type"] = self.AUTHORS.get(author.get("type") or "", "system")
            values["author_id"] = author.get("id")

    @classmethod
    def create(cls, *, body: str, to: Any, from_: Any = None, message_type: str = "in_app",
               subject: str | None = None, template: str = "plain",
               created_at: int | None = None) -> Message:
        """Send an outbound message from an admin to a contact (``POST /messages``)."""
        if message_type not in ("in_app", "email", "whatsapp"):
            raise ValidationError("message_type must be in_app, email or whatsapp",
                                  provider="intercom", field="message_type")
        if message_type == "email" and not subject:
            raise ValidationError("an email message needs a subject", provider="intercom",
                                  field="subject")
        role = getattr(to, "role", None) or "user"
        payload: dict[str, Any] = {
            "message_type": message_type, "body": body, "template": template,
            "from": {"type": "admin",
                     "id": _id_of(from_) if from_ is not None else str(cls._model("Admin").me().id)},
            "to": {"type": role, "id": _id_of(to)},
        }
        if subject:
            payload["subject"] = subject
        if created_at:
            payload["created_at"] = created_at
        return cls.from_wire(cls._call("create", json=payload))  # type: ignore

"""Sendbee conversations, messages, message templates and the chatbot switch.

WhatsApp rules shape this module: one conversation per contact; a free-form message
(``conv.reply(text=...)``) is only delivered inside the 24-hour customer-care window that the
contact's last message opens, outside it Sendbee refuses it (:class:`MessagingWindowClosed`)
and an approved template (``conv.send_template(...)``) is the way to write first. Messages are
addressed by phone number; the conversation's contact gives it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, ClassVar

from marshmallow import ValidationError as MarshmallowValidationError

from .. import canonical
from ..collection import Collection, Page
from ..errors import ResponseError
from ..model import Derived, Model
from ..operations import Operation, declare
from ..resource import Listable, Retrievable, Updatable, found
from . import schemas
from .api import envelope_page
from .base import SendbeeListable, SendbeeResource, id_of, invalid

UTC = dt.timezone.utc
#: how long a contact's message lets the business answer freely
WINDOW = dt.timedelta(hours=24)
#: canonical state <- Sendbee folder
STATES = {"open": "open", "done": "closed", "spam": "closed", "notified": "pending"}
#: Sendbee folder <- canonical state or folder (what ``POST /conversation`` accepts)
FOLDER_OF = {"open": "open", "closed": "done", "done": "done"}
_TIME = schemas.Time(allow_none=True)


def _phone_of(to: Any) -> str:
    phone = to.phone if isinstance(to, Model) else to
    if not isinstance(phone, str) or not phone.strip():
        raise invalid("a recipient phone number (or a Contact) is required", "phone")
    return phone


def _time(value: Any) -> dt.datetime | None:
    """A Sendbee time (``None`` when absent or unreadable)."""
    if not value:
        return None
    try:
        parsed = _TIME.deserialize(value)
    except MarshmallowValidationError:
        return None
    return parsed if isinstance(parsed, dt.datetime) else None


def _agent_id(agent: Any) -> str | None:
    return None if agent is None else id_of(agent, "agent")


class MessageList(Collection[Any]):
    """A conversation's messages in time order (every page is read first); ``len()`` and
    indexing work (each fetches)."""

    def __iter__(self) -> Any:
        items = [m for page in self.pages() for m in page]
        items.sort(key=lambda m: m.created_at or dt.datetime.min.replace(tzinfo=UTC))
        return iter(items)

    def to_list(self) -> list[Any]:
        return list(iter(self))

    def __len__(self) -> int:
        return len(self.to_list())

    def __getitem__(self, index: Any) -> Any:
        return self.to_list()[index]


class Conversation(SendbeeListable, Retrievable, Updatable, canonical.Conversation):
    """A WhatsApp conversation: ``folder`` (``open``/``done``/``spam``/``notified``) is
    Sendbee's, ``state`` the canonical view (``open``/``closed``/``pending``); both can be set
    and saved (``POST /conversation``). ``contact`` is a partial Contact."""

    _schema = schemas.ConversationSchema
    _repr_fields = ("folder",)
    _refs = {"contact": ("Contact", False)}
    _extra_writable = frozenset({"state"})
    _filters: ClassVar[Mapping[str, str]] = {
        "folder": "folder", "search": "search_query", "search_query": "search_query",
        "date_from": "date_from", "date_to": "date_to"}
    operations = declare(
        all=Operation("GET", "/conversations", paging="page"),
        find=Operation("GET", "/conversation", answer="data"),
        update=Operation("POST", "/conversation", answer="data", safe=True),
    )

    def _after_load(self, values: dict[str, Any], data: Mapping[str, Any]) -> None:
        if "folder" in data:
            folder = values.get("folder")
            values["state"] = STATES.get(folder, folder) if isinstance(folder, str) else None
        last = data.get("last_message")
        if isinstance(last, Mapping):
            times = [_time(last.get(k)) for k in ("inbound_sent_at", "outbound_sent_at")]
            known = [t for t in times if t is not None]
            values["updated_at"] = max(known) if known else None

    @Derived
    def contacts(self) -> Any:
        """The conversation's one contact, as a list (canonical ``contacts``)."""
        contact = self.contact
        return [contact] if contact is not None else []

    @Derived
    def messages(self) -> Any:
        """Every message in time order (lazy; read when iterated)."""
        if self.id is None:
            return []
        return self._model("Message").all(conversation=self)

    @property
    def last_inbound_at(self) -> dt.datetime | None:
        """When the contact last wrote (from ``last_message``), if known."""
        last = self.last_message
        value = last.get("inbound_sent_at") if isinstance(last, Mapping) else None
        return _time(value)

    def within_window(self, now: dt.datetime | None = None) -> bool:
        """Whether a free-form reply is allowed now, as far as this object knows (the
        contact wrote less than 24 hours ago). Sendbee decides; this only saves a request."""
        last = self.last_inbound_at
        return last is not None and (now or dt.datetime.now(UTC)) - last < WINDOW

    # -- find / save -------------------------------------------------------------------------
    @classmethod
    def find(cls, id: Any = None, **lookup: Any) -> Conversation:
        """A conversation by id (``GET /conversation?conversation_id=``)."""
        if id is None or lookup:
            raise invalid("Conversation.find() takes id= (a conversation id)", "id")
        data = cls._call("find", params={"conversation_id": id_of(id, "conversation")})
        return found(cls.from_wire(data), {"id": id})  # type: ignore[no-any-return]

    def _fetch(self) -> Mapping[str, Any]:
        return self._call("find",  # type: ignore[no-any-return]
                          params={"conversation_id": id_of(self)})

    def _update(self, diff: dict[str, Any]) -> Any:
        unknown = set(diff) - {"folder", "state"}
        if unknown:
            raise invalid(f"only a conversation's folder (state) can be changed, not "
                          f"{', '.join(sorted(unknown))}", sorted(unknown)[0])
        wanted = diff.get("folder") if "folder" in diff else diff.get("state")
        folder = FOLDER_OF.get(wanted) if isinstance(wanted, str) else None
        if folder is None:
            raise invalid("a conversation can be moved to folder open or done "
                          "(state open or closed)", "folder")
        return self._call("update", json={"conversation_id": id_of(self), "folder": folder})

    def _move(self, folder: str) -> Conversation:
        self._fill(self._call("update", json={"conversation_id": id_of(self),
                                              "folder": folder}))
        return self

    def close(self) -> Conversation:
        """Move to the ``done`` folder."""
        return self._move("done")

    def open(self) -> Conversation:  # noqa: A003
        """Move back to the ``open`` folder."""
        return self._move("open")

    # -- sending -----------------------------------------------------------------------------
    def _recipient(self) -> str:
        contact = self.contact
        phone = contact._values.get("phone") if isinstance(contact, Model) else None
        if not phone:
            self.reload()
            contact = self.contact
            phone = contact._values.get("phone") if isinstance(contact, Model) else None
        return _phone_of(phone)

    def reply(self, text: str | None = None, *, media_url: str | None = None,
              prevent_bot_off: bool | None = None, agent: Any = None,
              live_inbox: bool | None = None) -> Any:
        """A free-form message to the contact (inside the 24-hour window; outside it Sendbee
        answers :class:`MessagingWindowClosed`). Returns the sent Message."""
        message = self._model("Message").send(
            self._recipient(), text=text, media_url=media_url, prevent_bot_off=prevent_bot_off,
            agent=agent, live_inbox=live_inbox)
        if not prevent_bot_off:
            self._set_clean("chatbot_active", False)  # sending turns the chatbot off
        return message

    def send_template(self, keyword: Any, *, language: str | None = None,
                      tags: Mapping[str, Any] | None = None,
                      button_tags: Mapping[str, Any] | None = None,
                      attachment: str | None = None, prevent_bot_off: bool | None = None,
                      agent: Any = None, live_inbox: bool | None = None) -> Any:
        """An approved template message (allowed any time): ``keyword`` (or a
        MessageTemplate), ``language`` (e.g. ``"en"``), ``tags`` the placeholder values."""
        message = self._model("Message").send_template(
            self._recipient(), keyword, language=language, tags=tags, button_tags=button_tags,
            attachment=attachment, prevent_bot_off=prevent_bot_off, agent=agent,
            live_inbox=live_inbox)
        if not prevent_bot_off:
            self._set_clean("chatbot_active", False)
        return message

    # -- chatbot -----------------------------------------------------------------------------
    def bot_status(self) -> bool:
        """Whether the chatbot answers this conversation (``Bot.status(conv)``)."""
        return self._model("Bot").status(self)  # type: ignore[no-any-return]


class Message(SendbeeResource, Listable, canonical.Message):
    """A message of a conversation: ``body``, ``direction`` (``inbound``: the contact wrote,
    ``outbound``: the business), ``status``, ``media_url``/``media_type`` (as canonical
    ``attachments``), ``created_at`` (``sent_at``). ``Message.send(phone, text=)`` and
    ``Message.send_template(phone, keyword, ...)`` send without a conversation object."""

    _repr_fields = ("direction", "body")
    _schema = schemas.MessageSchema
    operations = declare(
        all=Operation("GET", "/conversations/messages", paging="page_only"),
        send=Operation("POST", "/conversations/messages/send", answer="data", safe=False),
        send_template=Operation("POST", "/conversations/messages/templates/send",
                                answer="data", safe=False),
    )

    def _after_load(self, values: dict[str, Any], data: Mapping[str, Any]) -> None:
        direction = values.get("direction")
        if direction is not None:
            values["kind"] = "comment"
            values["author_type"] = "contact" if direction == "inbound" else "agent"
            values["author_id"] = values.get("from_user_id")
        if values.get("media_url"):
            values["attachments"] = [{"url": values["media_url"],
                                      "content_type": values.get("media_type")}]
        elif "media_url" in data:
            values["attachments"] = []

    @classmethod
    def all(cls, conversation: Any = None) -> Collection[Any]:  # type: ignore[override]
        """The messages of ``conversation`` (a Conversation or id), in time order."""
        conv_id = id_of(conversation, "conversation")

        def page(params: Mapping[str, Any], cursor: Any, size: int | None) -> Page[Any]:
            number = int(cursor or 1)
            body = cls._call("all", params={"conversation_id": conv_id, "page": number})
            result = envelope_page(cls, body, number)
            for message in result.items:
                message._values["conversation_id"] = conv_id
                message._orig["conversation_id"] = conv_id
            return result
        return MessageList(page, description=f"messages of conversation {conv_id}")

    @classmethod
    def _sent(cls, data: Any, fields: Mapping[str, Any]) -> Message:
        """The Message for a send answer ``{id (conversation), message_id, status, ...}``;
        an answer without a message id is a ``ResponseError`` (the send may have happened)."""
        new_id = data.get("message_id") if isinstance(data, Mapping) else None
        if (not isinstance(data, Mapping) or isinstance(new_id, bool)
                or not isinstance(new_id, (str, int)) or new_id == ""):
            raise ResponseError("sendbee: the send answer has no message_id",
                                provider="sendbee", code="bad_answer", field="message_id")
        wire = {"id": data.get("message_id"), "status": data.get("status"),
                "direction": "outbound", **fields,
                **{k: v for k, v in data.items() if k not in ("id", "message_id", "status")}}
        message: Message = cls.from_wire(wire)  # type: ignore[assignment]
        message._values["conversation_id"] = data.get("id")
        message._orig["conversation_id"] = data.get("id")
        return message

    @classmethod
    def send(cls, to: Any, text: str | None = None, *, media_url: str | None = None,
             prevent_bot_off: bool | None = None, agent: Any = None,
             live_inbox: bool | None = None) -> Message:
        """A free-form message to ``to`` (a phone number or a Contact)."""
        if not (isinstance(text, str) and text.strip()) and not media_url:
            raise invalid("a message needs text or a media_url", "text")
        body = {"phone": _phone_of(to), "text": text, "media_url": media_url,
                "prevent_bot_off": prevent_bot_off, "agent_id": _agent_id(agent),
                "live_inbox": live_inbox}
        body = {k: v for k, v in body.items() if v is not None}
        data = cls._call("send", json=body)
        return cls._sent(data, {"body": text, "media_url": media_url})

    @classmethod
    def send_template(cls, to: Any, keyword: Any, *, language: str | None = None,
                      tags: Mapping[str, Any] | None = None,
                      button_tags: Mapping[str, Any] | None = None,
                      attachment: str | None = None, prevent_bot_off: bool | None = None,
                      agent: Any = None, live_inbox: bool | None = None) -> Message:
        """An approved template to ``to``: ``keyword`` (or a MessageTemplate, whose
        language is the default), ``language``, ``tags``/``button_tags`` placeholder values."""
        if isinstance(keyword, Model):
            language = language or keyword._values.get("language")
            keyword = keyword._values.get("keyword")
        if not isinstance(keyword, str) or not keyword:
            raise invalid("a template keyword is required", "template_keyword")
        if not isinstance(language, str) or not language:
            raise invalid("a template language is required (e.g. 'en')", "language")
        for name, value in (("tags", tags), ("button_tags", button_tags)):
            if value is not None and not isinstance(value, Mapping):
                raise invalid(f"{name} must be a dict of placeholder values", name)
        body = {"phone": _phone_of(to), "template_keyword": keyword, "language": language,
                "tags": {str(k): v for k, v in tags.items()} if tags else None,
                "button_tags": ({str(k): v for k, v in button_tags.items()}
                                if button_tags else None),
                "attachment": attachment, "prevent_bot_off": prevent_bot_off,
                "agent_id": _agent_id(agent), "live_inbox": live_inbox}
        body = {k: v for k, v in body.items() if v is not None}
        data = cls._call("send_template", json=body)
        return cls._sent(data, {"template_keyword": keyword})


class MessageTemplate(SendbeeListable):
    """A WhatsApp message template (read-only: templates are made and approved in Sendbee):
    ``keyword``, ``language``, ``text``, ``status`` (``pending``/``approved``/``rejected``,
    with ``rejected_reason``), ``attachment`` (``image``/``video``/``document``/None),
    ``tags``, ``buttons``, ``button_tags``."""

    _schema = schemas.MessageTemplateSchema
    _repr_fields = ("keyword", "language", "status")
    _filters: ClassVar[Mapping[str, str]] = {
        "status": "status", "search": "search_query", "search_query": "search_query"}
    operations = declare(
        all=Operation("GET", "/conversations/messages/templates", paging="page"))

    def send(self, to: Any, **options: Any) -> Any:
        """Send this template to ``to`` (see :meth:`Message.send_template`)."""
        return self._model("Message").send_template(to, self, **options)


class Bot(SendbeeResource):
    """The chatbot (automated responses) of a conversation: ``Bot.status(conv)`` -> bool,
    ``Bot.turn_off(conv)``, ``Bot.turn_on(conv)``. Sending a message turns it off unless
    ``prevent_bot_off=True``."""

    operations = declare(
        status=Operation("GET", "/automation/chatbot/activity/status", answer="data",
                         safe=True),
        activity=Operation("PUT", "/automation/chatbot/activity", answer="data", safe=True),
    )

    @classmethod
    def status(cls, conversation: Any) -> bool:
        data = cls._call("status", params={"conversation_id": id_of(conversation,
                                                                     "conversation")})
        active = data.get("chatbot_active") if isinstance(data, Mapping) else None
        return bool(active)

    @classmethod
    def set(cls, conversation: Any, active: bool) -> None:  # noqa: A003
        if not isinstance(active, bool):
            raise invalid("active must be True or False", "active")
        cls._call("activity", json={"conversation_id": id_of(conversation, "conversation"),
                                    "active": active})
        if isinstance(conversation, Model) and "chatbot_active" in conversation._values:
            conversation._set_clean("chatbot_active", active)

    @classmethod
    def turn_on(cls, conversation: Any) -> None:
        cls.set(conversation, True)

    @classmethod
    def turn_off(cls, conversation: Any) -> None:
        cls.set(conversation, False)

"""Crisp conversation messages: one message by fingerprint, the history, edits and marks."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .. import canonical
from ..collection import Collection, Page
from ..errors import FieldError
from ..model import Derived, Model
from ..operations import Operation, declare
from ..resource import (
    Deletable,
    Retrievable,
    Updatable,
)
from . import schemas
from ._base import (
    DEFAULT_ORIGIN,
    KINDS,
    CrispResource,
    W,
    _id_of,
    _invalid,
    _one_page,
)


# -- messages ---------------------------------------------------------------------------------
class MessageList(Collection[Any]):
    """A conversation's messages in time order; also ``len()`` and indexing (each fetches)."""

    def to_list(self) -> list[Any]:
        return list(iter(self))  # list(self) would ask __len__ first

    def __len__(self) -> int:
        return len(self.to_list())

    def __getitem__(self, index: Any) -> Any:
        return self.to_list()[index]


class Message(CrispResource, Retrievable, Updatable, Deletable, canonical.Message):
    """A conversation message; ``id`` is its fingerprint (as a string; ``fingerprint`` keeps
    Crisp's integer). ``body`` is the text of text/note messages; files are ``attachments``."""

    _schema = schemas.MessageSchema
    _id_key = "fingerprint"
    _wire_shapes = {"type": str, "from": str, "origin": str, "user": Mapping,
                    "timestamp": (int, float)}
    _repr_fields = ("kind", "author_type", "body")
    _M = W + "/conversation/{conversation}/message/{id}"
    operations = declare(
        find=Operation("GET", _M),
        update=Operation("PATCH", _M),
        delete=Operation("DELETE", _M),
        all=Operation("GET", W + "/conversation/{conversation}/messages", paging="batches"),
    )
    del _M
    _lookup_hint = "id= (a fingerprint) and conversation="
    _lookups_required = ("id", "conversation")
    _noun = "message"
    _lookup_words = {"id": "fingerprint", "conversation": "in conversation"}

    def _check_wire(self, data: Any) -> None:
        super()._check_wire(data)
        if isinstance(data.get("timestamp"), bool):
            raise self._bad_answer("a message timestamp is a boolean", "timestamp")

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
        if not isinstance(value, str):
            raise _invalid(f"body must be a string (got {type(value).__name__})", "body")
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

    # -- lookups, lists -----------------------------------------------------------------------
    def _fetch(self) -> Mapping[str, Any]:
        return self._call("find", conversation=self._conversation())  # type: ignore[no-any-return]

    def _conversation(self) -> str:
        return _id_of(self._values.get("conversation_id"), "conversation")

    @classmethod
    def _find_by(cls, id: Any = None, *, conversation: Any = None) -> Message:
        """One message by fingerprint: ``Message.find(id=..., conversation=conv)``."""
        return cls.from_wire(  # type: ignore[return-value]
            cls._call("find", id=id, conversation=_id_of(conversation, "conversation")))

    @classmethod
    def all(cls, conversation: Any) -> Collection[Any]:
        """Every message of a conversation in time order.

        Crisp serves the latest batch first, then older batches (``Crisp.page``'s ``batches``
        style: 206 while older messages remain, 200 on the last); all batches are read before
        the first message is yielded.
        """
        sid = _id_of(conversation, "conversation")
        batches = cls._list("all", f"message batches of {sid}", conversation=sid)

        def page(params: Mapping[str, Any], cursor: Any, size: int | None) -> Page[Any]:
            seen: set[Any] = set()
            ordered: list[Any] = []
            for batch in reversed(list(batches.pages())):  # oldest batch first
                for message in batch:
                    if message.fingerprint in seen:
                        continue
                    seen.add(message.fingerprint)
                    ordered.append(message)
            ordered.sort(key=lambda m: int(m.raw.get("timestamp") or 0))
            return _one_page(ordered)
        return MessageList(page, description=f"messages of {sid}")

    @classmethod
    def latest(cls, conversation: Any) -> Message | None:
        """The newest message of a conversation, ``None`` when it has none: one request (the
        latest batch Crisp serves first), where ``all()`` reads every batch."""
        sid = _id_of(conversation, "conversation")
        batch = next(iter(cls._list("all", f"latest messages of {sid}",
                                    conversation=sid).pages()), [])
        return max(batch, key=lambda m: int(m.raw.get("timestamp") or 0), default=None)

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
        self._call("update", json={"content": content}, conversation=self._conversation())
        return None

    def delete(self) -> None:
        self._call("delete", conversation=self._conversation())
        object.__setattr__(self, "_deleted", True)

    def mark_read(self, by: str = "operator", origin: str = DEFAULT_ORIGIN) -> Message:
        """Mark this message read (by the other side: ``by="operator"`` for user messages)."""
        conv = self._model("Conversation").ref(self.conversation_id)
        conv.mark_read(by=by, fingerprints=[self.id], origin=origin)
        return self

    def mark_delivered(self, by: str = "operator", origin: str = DEFAULT_ORIGIN) -> Message:
        conv = self._model("Conversation").ref(self.conversation_id)
        conv.mark_delivered(by=by, fingerprints=[self.id], origin=origin)
        return self

"""Crisp conversation messages: one message by fingerprint, the history, edits and marks."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .. import canonical
from ..collection import Collection, Page
from ..errors import FieldError
from ..http import encode_path
from ..model import Derived, Model
from ..resource import (
    Deletable,
    Updatable,
)
from . import schemas
from ._base import (
    DEFAULT_ORIGIN,
    KINDS,
    CrispResource,
    _id_of,
    _invalid,
    _one_page,
)
from .api import kind_of, unwrap


# -- messages ---------------------------------------------------------------------------------
class MessageList(Collection[Any]):
    """A conversation's messages in time order; also ``len()`` and indexing (each fetches)."""

    def to_list(self) -> list[Any]:
        return list(iter(self))  # list(self) would ask __len__ first

    def __len__(self) -> int:
        return len(self.to_list())

    def __getitem__(self, index: Any) -> Any:
        return self.to_list()[index]


class Message(CrispResource, Updatable, Deletable, canonical.Message):
    """A conversation message; ``id`` is its fingerprint (as a string; ``fingerprint`` keeps
    Crisp's integer). ``body`` is the text of text/note messages; files are ``attachments``."""

    _schema = schemas.MessageSchema
    _id_key = "fingerprint"
    _wire_shapes = {"type": str, "from": str, "origin": str, "user": Mapping,
                    "timestamp": (int, float)}
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
    def find(cls, id: Any = None, **lookup: Any) -> Message:
        """One message by fingerprint: ``Message.find(id=..., conversation=conv)``."""
        need = "id= (a fingerprint) and conversation="
        cls._refuse_lookups(dict(lookup, id=id), ("id", "conversation"), need)
        conversation = lookup.get("conversation")
        if id is None or conversation is None:
            raise _invalid(f"Message.find() takes {need}", "id" if id is None else "conversation")
        sid = _id_of(conversation, "conversation")
        return cls._get_one(  # type: ignore[no-any-return]
            cls._conversation_path(sid) + encode_path("/message/{f}", f=id),
            f"message with fingerprint {id!r} in conversation {sid!r}")

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
            body = unwrap(response.body)
            if not isinstance(body, list):
                raise cls._bad_answer(f"a batch of messages is {kind_of(body)}, not a list")
            for item in body:
                cls._check_wire_of(item)
            batch = list(body)
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

    @classmethod
    def _check_wire_of(cls, item: Any) -> None:
        if not isinstance(item, Mapping):
            raise cls._bad_answer(f"a message is {kind_of(item)}, not an object")
        cls._check_shapes(item, cls._wire_shapes)
        stamp = item.get("timestamp")
        if isinstance(stamp, bool):
            raise cls._bad_answer("a message timestamp is a boolean", "timestamp")

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

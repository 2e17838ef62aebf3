"""Crisp conversations (sessions): query building, the model, meta, states, marks, tags,
sending messages."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from .. import canonical
from ..collection import Collection
from ..model import Derived, Model
from ..operations import Operation, declare
from ..resource import (
    Creatable,
    Deletable,
    Listable,
    Retrievable,
    Updatable,
)
from . import schemas
from ._base import (
    _MISSING,
    CRISP_STATES,
    DEFAULT_ORIGIN,
    MERGED_META,
    META_KEYS,
    STATES,
    STR_LIST,
    CrispResource,
    W,
    _check_data,
    _check_text,
    _flag,
    _id_of,
    _invalid,
    _iso,
    _ms,
    _name_of,
)


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


class Conversation(CrispResource, Retrievable, Creatable, Updatable, Deletable, Listable,
                   canonical.Conversation):
    """A Crisp conversation (session). ``state`` is canonical (``open``/``pending``/``closed``),
    ``crisp_state`` Crisp's own (``unresolved``/``pending``/``resolved``). ``meta`` is tracked:
    ``save()`` sends its diff; ``state``, ``assignee_id`` and ``read`` can be set and saved too.
    """

    _schema = schemas.ConversationSchema
    _id_key = "session_id"
    _C = W + "/conversation/{id}"
    operations = declare(
        find=Operation("GET", _C),
        create=Operation("POST", W + "/conversation", safe=False),
        delete=Operation("DELETE", _C),
        all=Operation("GET", W + "/conversations/{page}", paging="per_page"),
        search=Operation("GET", W + "/conversations/{page}", paging="per_page"),
        of_contact=Operation("GET", W + "/people/conversations/{contact}/list/{page}",
                             paging="page", safe=True),
        # each PATCH sets a part to the value sent: safe to resend
        meta=Operation("PATCH", _C + "/meta", safe=True),
        state=Operation("PATCH", _C + "/state", safe=True),
        routing=Operation("PATCH", _C + "/routing", safe=True),
        read=Operation("PATCH", _C + "/read", safe=True),
        unread=Operation("PATCH", _C + "/unread", safe=True),
        delivered=Operation("PATCH", _C + "/delivered", safe=True),
        block=Operation("PATCH", _C + "/block", safe=True),
        send=Operation("POST", _C + "/message", safe=False),
    )
    del _C
    _lookup_hint = "id= (a session_id)"
    _noun = "conversation"
    _lookup_words = {"id": "session_id"}
    _wire_shapes = {"meta": Mapping, "state": str, "assigned": Mapping, "unread": Mapping,
                    "people_id": str}
    _meta_shapes: ClassVar[Mapping[str, Any]] = {
        "segments": STR_LIST, "data": Mapping, "device": Mapping, "email": str,
        "nickname": str, "subject": str}

    def _check_wire(self, data: Any) -> None:
        super()._check_wire(data)
        meta = data.get("meta")
        if isinstance(meta, Mapping):
            self._check_shapes(meta, self._meta_shapes, "meta.")
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
        self._ensure_dict("meta")["subject"] = _check_text(value, "title")

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
        self._ensure_dict("meta")["data"] = _check_data({} if value is None else value)

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

    # -- lists -------------------------------------------------------------------------------
    @classmethod
    def _list_query(cls, op: Operation, params: Mapping[str, Any]) -> dict[str, Any]:
        if op.name in ("all", "search"):
            return conversation_query(params)
        return dict(params)  # a profile's conversations: Contact.conversations() built it

    @classmethod
    def _from_item(cls, item: Any, op: Operation, ids: Mapping[str, Any]) -> Any:
        return cls.ref(item) if op.name == "of_contact" else cls.from_wire(item)

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
        return cls._list("search", f"{cls.__name__}.search()", **criteria)

    # -- create / save -----------------------------------------------------------------------
    @classmethod
    def create(cls, contact: Any = None, body: str | None = None,
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

    def _changes_payloads(self, diff: Mapping[str, Any]) -> list[tuple[str, Any]]:
        """Validated (operation, body) requests for a diff (nothing sent)."""
        rest = dict(diff)
        requests: list[tuple[str, Any]] = []
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
                requests.append(("meta", payload))
        if state is not _MISSING:
            if state not in CRISP_STATES:
                raise _invalid("state must be one of open, pending, closed", "state")
            requests.append(("state", {"state": CRISP_STATES[state]}))
        if assignee is not _MISSING:
            requests.append(("routing", {"assigned": None if assignee is None else
                                         {"user_id": _id_of(assignee, "operator")}}))
        if read is not _MISSING and read is not None:
            if read:
                requests.append(("read", {"from": "operator", "origin": DEFAULT_ORIGIN}))
            else:
                requests.append(("unread", {"from": "operator"}))
        return requests

    def _create(self, payload: dict[str, Any]) -> Any:
        requests = self._changes_payloads(payload)
        created = self._call("create")
        sid = created.get("session_id") if isinstance(created, Mapping) else None
        if not isinstance(sid, str) or not sid:
            raise self._bad_answer("the created conversation has no session_id", "session_id")
        self._values["id"] = sid
        for name, body in requests:
            self._call(name, json=body)
        return self._call("find")

    def _update(self, diff: dict[str, Any]) -> Any:
        for name, body in self._changes_payloads(diff):
            self._call(name, json=body)
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
        self._call("state", json={"state": crisp_state})
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
        self._call("routing", json={"assigned": None if user_id is None else {"user_id": user_id}})
        self._set_clean("assignee_id", user_id)
        self._set_clean("assigned", None if user_id is None else {"user_id": user_id})
        return self

    def unassign(self) -> Conversation:
        return self.assign(None)

    def _block(self, blocked: bool) -> Conversation:
        self._call("block", json={"blocked": blocked})
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
        if not isinstance(origin, str) or not origin:
            raise _invalid("origin must be a non-empty string", "origin")
        body: dict[str, Any] = {"from": by, "origin": origin}
        if fingerprints is not None:
            body["fingerprints"] = [int(m.fingerprint) if isinstance(m, Model) else int(m)
                                    for m in fingerprints]
        self._call(marker, json=body)

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
        self._call("unread", json={"from": by})
        if by == "operator":
            self._set_clean("read", False)
        return self

    # -- tags ----------------------------------------------------------------------------------
    def _set_segments(self, segments: list[str]) -> None:
        self._call("meta", json={"segments": segments})
        meta = self._ensure_dict("meta")
        meta["segments"] = list(segments)
        orig = self._orig.get("meta")
        if isinstance(orig, dict) and orig is not meta:
            orig["segments"] = list(segments)

    def add_tag(self, tag: Any) -> Conversation:
        """Add a segment to ``meta.segments`` now (a new name creates the segment)."""
        return self.add_tags([tag])

    def add_tags(self, tags: Iterable[Any]) -> Conversation:
        """Add several segments in one ``PATCH .../meta`` (names it has already are skipped;
        nothing is sent when none is missing). The PATCH sets the whole list: safe to resend."""
        names = [_name_of(t) for t in tags]
        meta = self.meta if isinstance(self.meta, Mapping) else {}
        segments = list(meta.get("segments") or [])
        missing = [n for n in dict.fromkeys(names) if n not in segments]
        if missing:
            self._set_segments(segments + missing)
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
        if not isinstance(origin, str) or not origin:
            raise _invalid("origin must be a non-empty string", "origin")
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
        data = self._call("send", json=payload)
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

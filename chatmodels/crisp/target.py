"""The Crisp migration target (REST API v1, one website): canonical objects written through
the object model of :mod:`chatmodels.crisp`.

* agents are matched to operators by email (operators cannot be created);
* tags are people segments: there is no bare segment, so ``create_tag`` only remembers the
  name and ``tag_contacts`` adds it to each profile that lacks it (``Contact.add_tag``);
* contact fields are people data keys: nothing to define, a key exists once a profile has it;
* contacts are people profiles, found by email (a contact without email has no profile: its
  target id is ``""``, its notes and events are dropped and its conversations become
  anonymous sessions);
* notes are appended to the profile's notepad; events are people events whose ``data`` also
  keeps the source time (:data:`EVENT_TIME_KEY`), as Crisp stamps events itself;
* conversations are sessions linked to the profile by the meta email, marked with
  ``meta.data.migrated_from = "<provider>:<conversation id>"``; messages keep their time and
  get a fingerprint derived from the source message id, so a lost write is found again with
  ``Message.find(id=fingerprint, conversation=...)`` and a resent one is refused (409).

Lookups (``find_*``) only run to reconcile a write that may have happened. Two of them finish
a half-done create so that "found" always means "complete": ``find_contact`` brings the
profile's data up to date and ``find_conversation`` sends the first message if it is missing.
The contract of each method is :class:`chatmodels.migrate.targets.Target`'s.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import re
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, ClassVar

from ..client import Client
from ..errors import APIConnectionError, ChatModelsError, ResourceNotFound, ServerError
from ..migrate.attachments import File
from ..migrate.targets import (
    MARKER_FIELD,
    Target,
    epoch,
    event_key,
    marker_text,
    parse_marker,
    provider_of,
    scalars,
)

#: meta.data key naming the source of a migrated conversation
MARKER_KEY = "migrated_from"
#: people event data key keeping the source event time (epoch seconds)
EVENT_TIME_KEY = "original_created_at"
#: canonical conversation state -> Crisp state
STATES = {"open": "unresolved", "snoozed": "unresolved", "pending": "pending",
          "closed": "resolved"}

_BLOCK_END = re.compile(r"<br\s*/?>|</(p|div|li|h[1-6]|blockquote|pre)>", re.I)
_UNSURE = (APIConnectionError, ServerError)


def message_fingerprint(key: str) -> int:
    """A stable, positive 52-bit integer for ``key`` (a Crisp message fingerprint)."""
    digest = hashlib.sha256(key.encode("utf-8")).digest()
    return (int.from_bytes(digest[:8], "big") >> 12) or 1


def text_of(body: Any) -> str:
    """Plain text of an (HTML) body, keeping paragraph and line breaks."""
    text = _BLOCK_END.sub("\n", str(body or ""))
    text = html.unescape(re.sub(r"<[^>]+>", "", text))
    lines = [line.strip() for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _ms(value: Any) -> int | None:
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)
        return round(value.timestamp() * 1000)
    return None


class CrispTarget(Target):
    """Writes to Crisp (see the module docstring for the mapping)."""

    provider = "crisp"
    writes = frozenset({"contacts", "tags", "contact_fields", "notes", "events",
                        "conversations", "messages"})
    fidelity: ClassVar[dict[str, str]] = {
        "contact.created_at": "not carried (Crisp sets its own)",
        "contact.email=": "no Crisp people profile: skipped with its notes, events and tags; "
                          "its conversations become anonymous sessions",
        "contact.role=lead": "a people profile (Crisp has no leads)",
        "contact.external_id": "kept as people data external_id",
        "contact.companies[1]": "only the first company is kept (a profile has one)",
        "contact.location": "not carried (Crisp geolocates on its own)",
        "contact.custom_attributes": "kept as people data (values that are lists or objects "
                                     "are dropped)",
        "note.author_id": "not carried (notes are appended to the profile notepad)",
        "note.created_at": "not carried (notes are appended to the profile notepad)",
        "event.created_at": f"kept as event data {EVENT_TIME_KEY} (Crisp stamps events itself)",
        "event.metadata": "flat scalar values kept as event data (lists and objects dropped)",
        "conversation.created_at": "not carried (Crisp sets its own; messages keep their times)",
        "conversation.state=snoozed": "migrated as open (unresolved)",
        "conversation.team_id": "not carried (Crisp has no teams)",
        "conversation.priority!=none|not_priority": "not carried (no home on Crisp)",
        "conversation.contacts[1]": "linked to the first contact only",
        "message.attachments": "sent as Crisp file messages pointing at the source's file "
                               "URL (Crisp's REST API takes no uploads: the file stays where "
                               "the source keeps it)",
        "message.author_type=agent": "an operator message showing the operator's name and "
                                     "avatar (Crisp records it as the website's)",
        "message.author_type=bot": "an automated operator message",
        "message.author_type=system": "an operator message (Crisp has no system messages)",
        "message.kind=note": "a Crisp note message from an operator",
    }
    attachments = "url"
    implicit_tags = "Crisp segments exist only on profiles: applied by the contacts step"
    schemaless_fields = "Crisp people data has no definitions: keys come with the values"
    deletes = frozenset({"contacts", "conversations", "messages", "tags"})
    removed_with: ClassVar[dict[str, str]] = {
        "notes": "contacts", "events": "contacts", "contact_fields": "contacts",
        "messages": "conversations"}
    undeletable: ClassVar[dict[str, str]] = {
        "notes": "Crisp keeps one notepad per profile: text appended to a profile that stays "
                 "is not removed",
        "events": "Crisp cannot delete a people event (only with its profile)",
        "contact_fields": "people data keys live on profiles: keys added to a profile that "
                          "stays are not removed",
    }
    #: meta.data[MARKER_KEY] of the (empty) session holding the run marker
    MARKER_SESSION = "chatmodels:journal"

    def __init__(self, client: Client, **kwargs: Any) -> None:
        super().__init__(client, **kwargs)
        self._tags: set[str] | None = None
        self._fields: set[str] | None = None
        self._operators: dict[str, Any] | None = None
        self._default_operator: str | None = None
        self._agents: dict[str, str | None] = {}
        self._links: dict[str, dict[str, str]] = {}  # people_id -> conversation meta link
        self._last_ts: dict[str, int] = {}  # session_id -> latest message timestamp sent

    # -- identity and marker -------------------------------------------------------------------
    @classmethod
    def account_of(cls, client: Client) -> str:
        """The website id the client is bound to."""
        return str(client.options.get("website_id") or "")

    @staticmethod
    def _is_marked(conv: Any, marker: str) -> bool:
        data = conv.custom_attributes  # meta.data
        return isinstance(data, Mapping) and data.get(MARKER_KEY) == marker

    def _search_marked(self, marker: str) -> Any:
        """The session whose ``meta.data`` is marked ``marker`` (empty sessions included)."""
        query = [{"model": "session", "criterion": f"meta.data.{MARKER_KEY}",
                  "operator": "eq", "query": [marker]}]
        for candidate in self.client.Conversation.search(filter=query, include_empty=True):
            if self._is_marked(candidate, marker):
                return candidate
        return None

    def read_marker(self) -> dict[str, Any] | None:
        found = self._search_marked(self.MARKER_SESSION)
        return parse_marker(found.custom_attributes.get(MARKER_FIELD)) \
            if found is not None else None

    def write_marker(self, journal_id: str, generation: int) -> None:
        """An empty session whose meta data holds the journal id and generation."""
        data = {MARKER_KEY: self.MARKER_SESSION,
                MARKER_FIELD: marker_text(journal_id, generation)}
        found = self._search_marked(self.MARKER_SESSION)
        if found is not None:
            found.custom_attributes.update(data)
            found.save()  # PATCH .../meta with the changed data keys
            return
        self._start_session({"nickname": "chatmodels migration marker", "data": data})

    def delete_marker(self) -> str | None:
        """Delete the marker session."""
        found = self._search_marked(self.MARKER_SESSION)
        if found is not None:
            found.delete()
        return None

    def _start_session(self, meta: dict[str, Any]) -> str:
        """A new session with its meta (``Conversation.save``: create, then the meta PATCH);
        a session whose meta could not be written is deleted, as it could never be found."""
        session = self.client.Conversation(meta=meta)
        try:
            session.save()
        except ChatModelsError:
            if session.id is not None:
                try:
                    session.delete()
                except ChatModelsError:
                    pass
            raise
        return str(session.id)

    # -- agents --------------------------------------------------------------------------------
    def match_agents(self, agents: Iterable[Any]) -> dict[str, str | None]:
        mapping = super().match_agents(agents)
        with self._lock:
            self._agents = dict(mapping)
        return mapping

    def _operator_index(self) -> dict[str, Any]:
        with self._lock:
            if self._operators is None:
                self._operators = {str(op.id): op for op in self.client.Operator.all()}
            return self._operators

    def default_operator(self) -> str | None:
        """The operator of ``default_agent_email`` (None: messages go out as the website)."""
        if self._default_operator is None and self.default_agent_email:
            self._default_operator = str(
                self.client.Operator.find_by_email(self.default_agent_email).id)
        return self._default_operator

    def _operator_user(self, author_id: str | None) -> dict[str, Any] | None:
        """The ``user`` block showing an operator's name and avatar on its messages."""
        op = self._operator_index().get(str(author_id or self.default_operator() or ""))
        if op is None:
            return None
        user = {"nickname": op.name, "avatar": op.avatar_url}
        return {k: v for k, v in user.items() if v} or None

    # -- tags ----------------------------------------------------------------------------------
    def _tag_index(self) -> set[str]:
        with self._lock:
            if self._tags is None:
                self._tags = {t.name for t in self.client.Tag.all() if t.name}
            return self._tags

    def find_tag(self, name: str) -> str | None:
        """The segment called exactly ``name`` (segments are free text: "VIP" is not "vip")."""
        return name if name in self._tag_index() else None

    def create_tag(self, name: str) -> str:
        """Crisp has no bare segments: remember the name, ``tag_contacts`` applies it."""
        with self._lock:
            self._tag_index().add(name)
        return name

    def tag_contacts(self, name: str, contact_ids: list[str]) -> None:
        for pid in contact_ids:
            if pid:
                self.client.Contact.find(id=pid).add_tag(name)  # a PATCH only if it lacks it

    # -- fields --------------------------------------------------------------------------------
    def _field_index(self) -> set[str]:
        with self._lock:
            if self._fields is None:
                self._fields = {f.name for f in self.client.ContactField.all() if f.name}
            return self._fields

    def find_field(self, name: str) -> str | None:
        return name if name in self._field_index() else None

    def create_field(self, name: str, data_type: str, description: str | None) -> str:
        """Crisp data is schemaless: the key appears with the first profile having it."""
        with self._lock:
            self._field_index().add(name)
        return name

    # -- contacts ------------------------------------------------------------------------------
    @staticmethod
    def _company(contact: Any) -> dict[str, Any]:
        companies = contact.companies or []
        if not companies:
            return {}
        try:
            company = {"name": companies[0].name, "url": companies[0].website}
        except ChatModelsError:
            return {}
        return {k: v for k, v in company.items() if v}

    @staticmethod
    def _person(contact: Any) -> dict[str, Any]:
        """The canonical person fields that have a value (``name``, ``phone``, ``avatar_url``)."""
        person = {"name": contact.name, "phone": contact.phone, "avatar_url": contact.avatar_url}
        return {k: v for k, v in person.items() if v}

    @staticmethod
    def _segments(contact: Any) -> list[str]:
        return sorted({n for n in (t.peek("name") for t in (contact.tags or [])) if n})

    @staticmethod
    def _data(contact: Any) -> dict[str, Any]:
        data = scalars(contact.custom_attributes)
        if contact.external_id:
            data["external_id"] = str(contact.external_id)
        return data

    def _remember(self, pid: str, email: Any, person: Mapping[str, Any]) -> None:
        """The meta keys linking a session to this profile (email first of all)."""
        link = {"email": email, "nickname": person.get("name"), "phone": person.get("phone"),
                "avatar": person.get("avatar_url")}
        with self._lock:
            self._links[pid] = {k: str(v) for k, v in link.items() if v}

    def cannot_create_contact(self, contact: Any) -> str | None:
        if not contact.email:
            return "no email: a Crisp people profile needs one"
        return None

    def find_contact(self, contact: Any) -> str | None:
        if not contact.email:
            return ""  # no profile on Crisp (see cannot_create_contact)
        try:
            found = self.client.Contact.find(email=str(contact.email).strip())
        except ResourceNotFound:
            return None
        pid = str(found.id)
        if not self.dry_run:
            self._update(found, contact)  # a create may have stopped half-way
        return pid

    def create_contact(self, contact: Any) -> str:
        if not contact.email:
            return ""
        email = str(contact.email).strip()
        person = self._person(contact)
        profile = self.client.Contact(email=email, **person)
        company = self._company(contact)
        if company.get("name"):
            profile.company = company
        segments = self._segments(contact)
        if segments:
            profile.segments = segments
        if contact.last_seen_at:
            profile.last_seen_at = contact.last_seen_at
        data = self._data(contact)
        if data:
            profile.custom_attributes = data
        if contact.unsubscribed_from_emails is True:
            profile.unsubscribed_from_emails = True
        try:
            profile.save()  # the card, then people data, then the subscription
        except _UNSURE as exc:
            if profile.id is None:
                raise  # the card itself: the engine looks it up before trying again
            # not "unsure": the profile exists but is incomplete; the next run completes it
            raise ChatModelsError(f"people profile {profile.id} was created but its data "
                                  f"could not be saved: {exc}") from exc
        pid = str(profile.id)
        self._remember(pid, email, person)
        return pid

    def update_contact(self, target_id: str, contact: Any) -> None:
        """Send only what differs: card keys, person keys, data keys, subscription."""
        if not target_id or not contact.email:
            return
        self._update(self.client.Contact.find(id=target_id), contact)

    def _update(self, current: Any, contact: Any) -> None:
        email = str(contact.email).strip()
        if str(current.email or "").lower() != email.lower():
            current.email = email
        person = self._person(contact)
        for key, value in person.items():
            if getattr(current, key) != value:
                setattr(current, key, value)
        company = self._company(contact)
        have = current.company if isinstance(current.company, Mapping) else {}
        if company.get("name") and any(have.get(k) != v for k, v in company.items()):
            current.company = {**have, **company}
        missing = [s for s in self._segments(contact) if s not in (current.segments or [])]
        if missing:
            current.segments = list(current.segments or []) + missing
        current.save()  # the card's changed keys (nothing when none changed)
        self._remember(str(current.id), email,
                       {"name": current.name, "phone": current.phone,
                        "avatar_url": current.avatar_url})
        data = self._data(contact)
        have_data = current.custom_attributes or {}
        changed = {k: v for k, v in data.items() if k not in have_data or have_data[k] != v
                   or type(have_data[k]) is not type(v)}
        current.merge_data(changed)
        unsub = contact.unsubscribed_from_emails
        if isinstance(unsub, bool) and current.unsubscribed_from_emails != unsub:
            current.set_subscription(not unsub)

    # -- notes and events ----------------------------------------------------------------------
    def find_note(self, contact_id: str | None, note: Any,
                  taken: Sequence[str] = ()) -> str | None:
        """Found when the notepad holds the text more often than the contact's other notes
        with the same text already written (``taken``: one id each; all are the profile's)."""
        if not contact_id:
            return ""
        body = text_of(note.body)
        if not body:
            return None
        held = sum(str(existing.body or "").count(body)
                   for existing in self.client.Note.all(contact=contact_id))
        return str(contact_id) if held > len(taken) else None

    def create_note(self, contact_id: str | None, note: Any, author_id: str | None) -> str:
        """Append the note's text to the notepad (Crisp keeps no author or date)."""
        body = text_of(note.body)
        if contact_id and body:
            self.client.Note.create(contact=contact_id, body=body)
        return str(contact_id or "")

    def find_event(self, contact_id: str | None, event: Any) -> str | None:
        if not contact_id:
            return ""
        ts = epoch(event.created_at)
        for existing in self.client.Event.all(contact=contact_id):
            data = existing.metadata if isinstance(existing.metadata, Mapping) else {}
            if existing.name == event.name and data.get(EVENT_TIME_KEY) == ts:
                return event_key(contact_id, event)
        return None

    def create_event(self, contact_id: str | None, event: Any) -> str:
        if not contact_id:
            return ""
        data = scalars(event.metadata)
        ts = epoch(event.created_at)
        if ts is not None:
            data[EVENT_TIME_KEY] = ts
        self.client.Event.create(contact=contact_id, text=event.name, data=data)
        return event_key(contact_id, event)

    # -- conversations -------------------------------------------------------------------------
    @staticmethod
    def marker(conv: Any) -> str:
        """``"<source provider>:<source conversation id>"``, kept in ``meta.data``."""
        return f"{provider_of(conv)}:{conv.id}"

    @staticmethod
    def fingerprint(msg: Any) -> int:
        """The Crisp fingerprint of a source message: a hash of its provider, conversation
        and id (of its time and text when it has no id)."""
        key = msg.id if msg.id is not None else f"{epoch(msg.created_at)}/{text_of(msg.body)}"
        return message_fingerprint(f"{provider_of(msg)}:{msg.conversation_id}/{key}")

    def _link(self, contact_id: str) -> dict[str, str]:
        """The meta keys linking a session to a profile (email first of all)."""
        with self._lock:
            link = self._links.get(contact_id)
        if link is None:
            profile = self.client.Contact.find(id=contact_id)
            link = {k: str(v) for k, v in (("email", profile.email), ("nickname", profile.name),
                                           ("phone", profile.phone),
                                           ("avatar", profile.avatar_url)) if v}
            with self._lock:
                self._links[contact_id] = link
        return dict(link)

    def find_conversation(self, contact_id: str | None, conv: Any, first: Any) -> str | None:
        marker = self.marker(conv)
        found: str | None = None
        if contact_id:
            for session in self.client.Contact.ref(contact_id).conversations():
                if self._is_marked(session, marker):  # loads the session (one GET)
                    found = str(session.id)
                    break
        else:
            session = self._search_marked(marker)
            found = str(session.id) if session is not None else None
        if found is not None and not self.dry_run and self.find_message(found, first) is None:
            # the create stopped before its first message: finish it
            author = self._agents.get(str(first.author_id)) if first.author_id else None
            self._send(found, first, author)
        return found

    def create_conversation(self, contact_id: str | None, conv: Any, first: Any,
                            author_id: str | None) -> str:
        meta: dict[str, Any] = {}
        if contact_id:
            meta.update(self._link(contact_id))
        else:
            source = (conv.contacts or [None])[0]
            name = source.peek("name") if source is not None else None
            if name:
                meta["nickname"] = str(name)
        if conv.title:
            meta["subject"] = str(conv.title)
        meta["data"] = {**scalars(conv.custom_attributes), MARKER_KEY: self.marker(conv)}
        sid = self._start_session(meta)
        with self._lock:
            self._last_ts[sid] = 0
        self._send(sid, first, author_id)
        return sid

    def _latest_timestamp(self, sid: str) -> int:
        with self._lock:
            known = self._last_ts.get(sid)
        if known is not None:
            return known
        latest = self.client.Message.latest(sid)
        return (_ms(latest.created_at) or 0) if latest is not None else 0

    def _timestamp(self, sid: str, msg: Any) -> int:
        """The message time in ms, moved 1 ms past the previous one on ties (Crisp orders
        messages by time; Intercom times are whole seconds)."""
        wanted = _ms(msg.created_at) or int(time.time() * 1000)
        ts = max(wanted, self._latest_timestamp(sid) + 1)
        with self._lock:
            self._last_ts[sid] = max(ts, self._last_ts.get(sid, 0))
        return ts

    @staticmethod
    def _parts(msg: Any, batch: Any) -> list[tuple[int, str, Any]]:
        """``(fingerprint, type, content)`` of the Crisp messages one source message becomes:
        its text (link-only attachments appended) unless it has none, then one ``file``
        message per file sent by URL. The first keeps the message's fingerprint."""
        key = f"{provider_of(msg)}:{msg.conversation_id}/" + (
            str(msg.id) if msg.id is not None else f"{epoch(msg.created_at)}/{text_of(msg.body)}")
        text = text_of(batch.text(msg.body))
        parts: list[tuple[int, str, Any]] = []
        if text or not batch.sent:
            parts.append((0, "text", text or "(empty message)"))
        for n, f in enumerate(batch.sent):
            parts.append((n + 1, "file", f))
        return [(message_fingerprint(key if i == 0 else f"{key}#file{n}"), kind, content)
                for i, (n, kind, content) in enumerate(parts)]

    def _send(self, sid: str, msg: Any, author_id: str | None, *, found: bool = False) -> str:
        """Send the message's parts (see :meth:`_parts`), each once: a file already held
        (journal) is skipped, one refused as a duplicate (409) is there already. ``found``:
        the first part is on the target (a lookup found it), only the files may be missing."""
        sender = "user" if msg.author_type == "contact" and msg.kind != "note" else "operator"
        user = self._operator_user(author_id) if sender == "operator" else None
        conversation = self.client.Conversation.ref(sid)
        with self.files.prepare(msg) as batch:
            parts = self._parts(msg, batch)
            for i, (fp, kind, content) in enumerate(parts):
                if kind == "file" and content.done:
                    continue
                if kind == "file" and (found or i > 0) and self._holds(sid, fp):
                    batch.done(content, str(fp), reconciled=True)
                    continue
                if found and i == 0:
                    continue
                if kind == "text" and msg.kind == "note":
                    kind = "note"
                options: dict[str, Any] = {"fingerprint": fp,
                                           "timestamp": self._timestamp(sid, msg)}
                if msg.author_type == "bot":
                    options["automated"] = True
                body = content if not isinstance(content, File) else {
                    "name": content.name, "url": content.url, "type": content.content_type}
                conversation.send_message(kind, body, from_=sender, user=user, **options)
                if isinstance(content, File):
                    batch.done(content, str(fp))
            batch.all_done(str(parts[0][0]))  # the links in the text
        return str(parts[0][0])

    def _holds(self, sid: str, fingerprint: int) -> bool:
        try:
            self.client.Message.find(id=fingerprint, conversation=sid)
        except ResourceNotFound:
            return False
        return True

    def find_message(self, conversation_id: str, msg: Any) -> str | None:
        """By the first part's fingerprint; a message found without all its files gets the
        missing ones (each looked up by its own fingerprint first)."""
        fp = self.fingerprint(msg)
        if not self._holds(conversation_id, fp):
            return None
        if not self.dry_run and msg.attachments:
            author = self._agents.get(str(msg.author_id)) if msg.author_id else None
            self._send(conversation_id, msg, author, found=True)
        return str(fp)

    def add_message(self, conversation_id: str, msg: Any, contact_id: str | None,
                    author_id: str | None) -> str:
        return self._send(conversation_id, msg, author_id)

    def finish_conversation(self, conversation_id: str, conv: Any, assignee_id: str | None,
                            tags: list[str]) -> None:
        target = self.client.Conversation.find(id=conversation_id)
        target.add_tags(tags)  # one meta PATCH with the missing segments, if any
        if assignee_id and str(target.assignee_id or "") != str(assignee_id):
            target.assign(assignee_id)
        if conv.read is True and target.read is False:
            target.mark_read()
        wanted = STATES.get(str(conv.state), "unresolved")
        if target.crisp_state != wanted:
            target.set_state(wanted)

    # -- rollback ------------------------------------------------------------------------------
    def delete_contact(self, contact_id: str) -> None:
        """Delete the people profile (its notepad, data and events go with it)."""
        if contact_id:
            self.client.Contact.ref(contact_id).delete()

    def delete_tag(self, tag_id: str) -> None:
        """Remove the segment from the suggestions (``tag_id`` is its name); profiles that
        stay keep it."""
        self.client.Tag.ref(tag_id).delete()
        with self._lock:
            self._tags = None

    def delete_conversation(self, conversation_id: str) -> None:
        """Delete the session and its messages."""
        self.client.Conversation.ref(conversation_id).delete()

    def delete_message(self, conversation_id: str, message_id: str) -> None:
        """Delete one message (by its fingerprint) from a session that stays."""
        self.client.Message.find(id=int(message_id), conversation=conversation_id).delete()

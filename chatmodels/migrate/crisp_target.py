"""The Crisp writer of the migration engine (REST API v1, one website).

How canonical objects land on Crisp:

* agents are matched to operators by email (operators cannot be created);
* tags are people segments: there is no bare segment, so ``create_tag`` only remembers the
  name and ``tag_contacts`` adds it to each profile (one PATCH per profile that lacks it);
* contact fields are people data keys: nothing to create, a key exists once a profile has it;
* contacts are people profiles, found by email (a contact without email has no profile: its
  target id is ``""``, its notes and events are dropped and its conversations become
  anonymous sessions);
* notes are appended to the profile's notepad; events are people events whose ``data`` also
  keeps the source time (:data:`EVENT_TIME_KEY`), as Crisp stamps events itself;
* conversations are sessions linked to the profile by the meta email, marked with
  ``meta.data.migrated_from = "<provider>:<conversation id>"``; messages keep their time and
  get a fingerprint derived from the source message id, so a lost write is found again with
  ``GET .../message/{fingerprint}`` and a resent one is refused (409).

Lookups (``find_*``) only run to reconcile a write that may have happened. Two of them finish
a half-done create so that "found" always means "complete": ``find_contact`` brings the
profile's data up to date and ``find_conversation`` sends the first message if it is missing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import json
import re
import time
from collections.abc import Iterable, Mapping
from typing import Any

from ..client import Client
from ..errors import APIConnectionError, ChatModelsError, ResourceNotFound, ServerError
from ..http import encode_path
from .targets import MARKER_FIELD, Target, epoch, parse_marker, with_attachments

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
        return int(value.timestamp() * 1000)
    return None


def _scalars(values: Any) -> dict[str, Any]:
    """The entries Crisp data can hold: non-empty keys, string/number/boolean values."""
    if not isinstance(values, Mapping):
        return {}
    return {str(k): v for k, v in values.items()
            if k and isinstance(v, (str, int, float, bool))}


def _provider_of(obj: Any) -> str:
    try:
        return str(type(obj)._provider_name())
    except (AttributeError, ChatModelsError):
        return "source"


class CrispTarget(Target):
    """Writes to Crisp (see the module docstring for the mapping)."""

    provider = "crisp"
    implicit_tags = "Crisp segments exist only on profiles: applied by the contacts step"
    schemaless_fields = "Crisp people data has no definitions: keys come with the values"
    #: meta.data[MARKER_KEY] of the (empty) session holding the run marker
    MARKER_SESSION = "chatmodels:journal"

    def __init__(self, client: Client, **kwargs: Any) -> None:
        super().__init__(client, **kwargs)
        self._prefix = encode_path("/website/{w}", w=client.options["website_id"])
        self._tags: set[str] | None = None
        self._fields: set[str] | None = None
        self._operators: dict[str, Any] | None = None
        self._default_operator: str | None = None
        self._agents: dict[str, str | None] = {}
        self._links: dict[str, dict[str, str]] = {}  # people_id -> conversation meta link
        self._last_ts: dict[str, int] = {}  # session_id -> latest message timestamp sent

    # -- plumbing ------------------------------------------------------------------------
    def _path(self, template: str, **values: Any) -> str:
        return self._prefix + encode_path(template, **values)

    def _write(self, method: str, path: str, body: Any) -> Any:
        """A write that is safe to repeat (PATCH/PUT of values): retried like a GET."""
        return self.client.request(method, path, json=body, idempotent=True)

    # -- marker --------------------------------------------------------------------------
    def _marker_session(self) -> tuple[str, Any] | None:
        query = [{"model": "session", "criterion": f"meta.data.{MARKER_KEY}",
                  "operator": "eq", "query": [self.MARKER_SESSION]}]
        for candidate in self.client.Conversation.search(filter=query, include_empty=True):
            meta = candidate.meta if isinstance(candidate.meta, Mapping) else {}
            if self._is_marked(meta, self.MARKER_SESSION):
                return str(candidate.id), meta
        return None

    def read_marker(self) -> dict[str, Any] | None:
        found = self._marker_session()
        if found is None:
            return None
        data = found[1].get("data") or {}
        return parse_marker(data.get(MARKER_FIELD)) if isinstance(data, Mapping) else None

    def write_marker(self, journal_id: str, generation: int) -> None:
        """An empty session whose meta data holds the journal id and generation."""
        data = {MARKER_KEY: self.MARKER_SESSION,
                MARKER_FIELD: json.dumps({"journal": journal_id, "generation": generation})}
        found = self._marker_session()
        if found is not None:
            self._write("PATCH", self._path("/conversation/{s}/meta", s=found[0]),
                        {"data": data})
            return
        created = self.client.request("POST", self._path("/conversation"), json={})
        sid = str(created["session_id"])
        try:
            self._write("PATCH", self._path("/conversation/{s}/meta", s=sid),
                        {"nickname": "chatmodels migration marker", "data": data})
        except ChatModelsError:
            try:
                self.client.request("DELETE", self._path("/conversation/{s}", s=sid))
            except ChatModelsError:
                pass
            raise

    # -- agents --------------------------------------------------------------------------
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

    # -- tags ----------------------------------------------------------------------------
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
            if not pid:
                continue
            profile = self.client.Contact.find(id=pid)
            segments = list(profile.segments or [])
            if name not in segments:
                self._write("PATCH", self._path("/people/profile/{p}", p=pid),
                            {"segments": segments + [name]})

    # -- fields --------------------------------------------------------------------------
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

    # -- contacts ------------------------------------------------------------------------
    def _company(self, contact: Any) -> dict[str, Any]:
        companies = contact.companies or []
        if not companies:
            return {}
        first = companies[0]
        try:
            name, website = first.name, first.website
        except ChatModelsError:
            return {}
        company = {"name": name, "url": website}
        return {k: v for k, v in company.items() if v}

    def _card(self, contact: Any) -> dict[str, Any]:
        """The profile card of a contact (only the keys that have a value)."""
        person = {"nickname": contact.name, "phone": contact.phone,
                  "avatar": contact.avatar_url}
        card: dict[str, Any] = {"email": str(contact.email).strip()}
        person = {k: v for k, v in person.items() if v}
        if person:
            card["person"] = person
        company = self._company(contact)
        if company.get("name"):
            card["company"] = company
        names = [t._values.get("name") for t in (contact.tags or [])]
        if any(names):
            card["segments"] = sorted({n for n in names if n})
        active = _ms(contact.last_seen_at)
        if active:
            card["active"] = active
        return card

    @staticmethod
    def _data(contact: Any) -> dict[str, Any]:
        data = _scalars(contact.custom_attributes)
        if contact.external_id:
            data["external_id"] = str(contact.external_id)
        return data

    def _remember(self, pid: str, card: Mapping[str, Any]) -> None:
        person = card.get("person") or {}
        link = {"email": card.get("email"), "nickname": person.get("nickname"),
                "phone": person.get("phone"), "avatar": person.get("avatar")}
        with self._lock:
            self._links[pid] = {k: str(v) for k, v in link.items() if v}

    def cannot_create_contact(self, contact: Any) -> str | None:
        if not contact.email:
            return "no email: a Crisp people profile needs one"
        return None

    def find_contact(self, contact: Any) -> str | None:
        if not contact.email:
            return ""  # no profile on Crisp (see fidelity_contact)
        try:
            found = self.client.Contact.find(email=str(contact.email).strip())
        except ResourceNotFound:
            return None
        pid = str(found.id)
        if not self.dry_run:
            self.update_contact(pid, contact)  # a create may have stopped half-way
        return pid

    def create_contact(self, contact: Any) -> str:
        if not contact.email:
            return ""
        card = self._card(contact)
        created = self.client.request("POST", self._path("/people/profile"), json=card)
        pid = str(created["people_id"])
        self._remember(pid, card)
        try:
            data = self._data(contact)
            if data:
                self._write("PATCH", self._path("/people/data/{p}", p=pid), {"data": data})
            if isinstance(contact.unsubscribed_from_emails, bool) \
                    and contact.unsubscribed_from_emails:
                self._write("PATCH", self._path("/people/subscription/{p}", p=pid),
                            {"email": False})
        except _UNSURE as exc:
            # not "unsure": the profile exists but is incomplete; the next run completes it
            raise ChatModelsError(f"people profile {pid} was created but its data could not "
                                  f"be saved: {exc}") from exc
        return pid

    def update_contact(self, target_id: str, contact: Any) -> None:
        """Send only what differs: card keys, person keys, data keys, subscription."""
        if not target_id or not contact.email:
            return
        current = self.client.Contact.find(id=target_id)
        card = self._card(contact)
        changes: dict[str, Any] = {}
        if str(current.email or "").lower() != card["email"].lower():
            changes["email"] = card["email"]
        have = current.person if isinstance(current.person, Mapping) else {}
        person = {k: v for k, v in (card.get("person") or {}).items() if have.get(k) != v}
        if person:
            changes["person"] = person
        company = card.get("company")
        have_company = current.company if isinstance(current.company, Mapping) else {}
        if company and any(have_company.get(k) != v for k, v in company.items()):
            changes["company"] = company
        missing = [s for s in card.get("segments", []) if s not in (current.segments or [])]
        if missing:
            changes["segments"] = list(current.segments or []) + missing
        if changes:
            self._write("PATCH", self._path("/people/profile/{p}", p=target_id), changes)
        self._remember(target_id, {**card, "person": {**have, **(card.get("person") or {})}})
        data = self._data(contact)
        have_data = current.custom_attributes or {}
        changed = {k: v for k, v in data.items() if k not in have_data or have_data[k] != v
                   or type(have_data[k]) is not type(v)}
        if changed:
            self._write("PATCH", self._path("/people/data/{p}", p=target_id), {"data": changed})
        unsub = contact.unsubscribed_from_emails
        if isinstance(unsub, bool) and current.unsubscribed_from_emails != unsub:
            self._write("PATCH", self._path("/people/subscription/{p}", p=target_id),
                        {"email": not unsub})

    # -- notes and events ----------------------------------------------------------------
    def find_note(self, contact_id: str | None, note: Any) -> str | None:
        if not contact_id:
            return ""
        body = text_of(note.body)
        for existing in self.client.Note.all(contact=contact_id):
            if body and body in str(existing.body or ""):
                return str(contact_id)
        return None

    def create_note(self, contact_id: str | None, note: Any, author_id: str | None) -> str:
        """Append the note's text to the notepad (Crisp keeps no author or date)."""
        body = text_of(note.body)
        if contact_id and body:
            self.client.Note.create(contact=contact_id, body=body)
        return str(contact_id or "")

    def _event_id(self, contact_id: str, event: Any) -> str:
        return f"{contact_id}/{event.name}/{epoch(event.created_at)}"

    def find_event(self, contact_id: str | None, event: Any) -> str | None:
        if not contact_id:
            return ""
        ts = epoch(event.created_at)
        for existing in self.client.Event.all(contact=contact_id):
            data = existing.metadata if isinstance(existing.metadata, Mapping) else {}
            if existing.name == event.name and data.get(EVENT_TIME_KEY) == ts:
                return self._event_id(contact_id, event)
        return None

    def create_event(self, contact_id: str | None, event: Any) -> str:
        if not contact_id:
            return ""
        data = _scalars(event.metadata)
        ts = epoch(event.created_at)
        if ts is not None:
            data[EVENT_TIME_KEY] = ts
        self.client.Event.create(contact=contact_id, text=event.name, data=data)
        return self._event_id(contact_id, event)

    # -- conversations -------------------------------------------------------------------
    @staticmethod
    def marker(conv: Any) -> str:
        """``"<source provider>:<source conversation id>"``, kept in ``meta.data``."""
        return f"{_provider_of(conv)}:{conv.id}"

    @staticmethod
    def fingerprint(msg: Any) -> int:
        """The Crisp fingerprint of a source message: a hash of its provider, conversation
        and id (of its time and text when it has no id)."""
        key = msg.id if msg.id is not None else f"{epoch(msg.created_at)}/{text_of(msg.body)}"
        return message_fingerprint(f"{_provider_of(msg)}:{msg.conversation_id}/{key}")

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

    def _is_marked(self, meta: Any, marker: str) -> bool:
        data = meta.get("data") if isinstance(meta, Mapping) else None
        return isinstance(data, Mapping) and data.get(MARKER_KEY) == marker

    def find_conversation(self, contact_id: str | None, conv: Any, first: Any) -> str | None:
        marker = self.marker(conv)
        found: str | None = None
        if contact_id:
            for ref in self.client.Contact.ref(contact_id).conversations():
                meta = self.client.request("GET", self._path("/conversation/{s}/meta",
                                                             s=ref.id))
                if self._is_marked(meta, marker):
                    found = str(ref.id)
                    break
        else:
            query = [{"model": "session", "criterion": f"meta.data.{MARKER_KEY}",
                      "operator": "eq", "query": [marker]}]
            for candidate in self.client.Conversation.search(filter=query, include_empty=True):
                if self._is_marked(candidate.meta, marker):
                    found = str(candidate.id)
                    break
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
            name = source._values.get("name") if source is not None else None
            if name:
                meta["nickname"] = str(name)
        if conv.title:
            meta["subject"] = str(conv.title)
        meta["data"] = {**_scalars(conv.custom_attributes), MARKER_KEY: self.marker(conv)}
        created = self.client.request("POST", self._path("/conversation"), json={})
        sid = str(created["session_id"])
        try:
            self._write("PATCH", self._path("/conversation/{s}/meta", s=sid), meta)
        except ChatModelsError:
            try:  # an unmarked session could never be found again: do not leave it behind
                self.client.request("DELETE", self._path("/conversation/{s}", s=sid))
            except ChatModelsError:
                pass
            raise
        with self._lock:
            self._last_ts[sid] = 0
        self._send(sid, first, author_id)
        return sid

    def _latest_timestamp(self, sid: str) -> int:
        with self._lock:
            known = self._last_ts.get(sid)
        if known is not None:
            return known
        batch = self.client.request("GET", self._path("/conversation/{s}/messages", s=sid))
        stamps = [int(m.get("timestamp") or 0) for m in (batch or [])
                  if isinstance(m, Mapping)]
        return max(stamps, default=0)

    def _timestamp(self, sid: str, msg: Any) -> int:
        """The message time in ms, moved 1 ms past the previous one on ties (Crisp orders
        messages by time; Intercom times are whole seconds)."""
        wanted = _ms(msg.created_at) or int(time.time() * 1000)
        ts = max(wanted, self._latest_timestamp(sid) + 1)
        with self._lock:
            self._last_ts[sid] = max(ts, self._last_ts.get(sid, 0))
        return ts

    @staticmethod
    def _content(msg: Any) -> str:
        """Plain text, attachments appended as links (Crisp text messages hold no files)."""
        return text_of(with_attachments(msg)) or "(empty message)"

    def _send(self, sid: str, msg: Any, author_id: str | None) -> str:
        kind = "note" if msg.kind == "note" else "text"
        sender = "user" if msg.author_type == "contact" and kind == "text" else "operator"
        options: dict[str, Any] = {"fingerprint": self.fingerprint(msg),
                                   "timestamp": self._timestamp(sid, msg)}
        if msg.author_type == "bot":
            options["automated"] = True
        user = self._operator_user(author_id) if sender == "operator" else None
        self.client.Conversation.ref(sid).send_message(kind, self._content(msg), from_=sender,
                                                       user=user, **options)
        return str(options["fingerprint"])

    def find_message(self, conversation_id: str, msg: Any) -> str | None:
        fp = self.fingerprint(msg)
        try:
            self.client.Message.find(id=fp, conversation=conversation_id)
        except ResourceNotFound:
            return None
        return str(fp)

    def add_message(self, conversation_id: str, msg: Any, contact_id: str | None,
                    author_id: str | None) -> str:
        return self._send(conversation_id, msg, author_id)

    def finish_conversation(self, conversation_id: str, conv: Any, assignee_id: str | None,
                            tags: list[str]) -> None:
        target = self.client.Conversation.find(id=conversation_id)
        meta = target.meta if isinstance(target.meta, Mapping) else {}
        segments = list(meta.get("segments") or [])
        missing = [t for t in dict.fromkeys(tags) if t not in segments]
        if missing:
            self._write("PATCH", self._path("/conversation/{s}/meta", s=conversation_id),
                        {"segments": segments + missing})
        if assignee_id and str(target.assignee_id or "") != str(assignee_id):
            self._write("PATCH", self._path("/conversation/{s}/routing", s=conversation_id),
                        {"assigned": {"user_id": str(assignee_id)}})
        if conv.read is True and target.read is False:
            self._write("PATCH", self._path("/conversation/{s}/read", s=conversation_id),
                        {"from": "operator", "origin": "chat"})
        wanted = STATES.get(str(conv.state), "unresolved")
        if target.crisp_state != wanted:
            self._write("PATCH", self._path("/conversation/{s}/state", s=conversation_id),
                        {"state": wanted})

    # -- fidelity ------------------------------------------------------------------------
    def fidelity_contact(self, contact: Any) -> list[str]:
        notes = ["contact.created_at: Crisp sets its own (not migrated)"]
        if not contact.email:
            notes.append("contact without email: no Crisp people profile (skipped with its "
                         "notes, events and tags; its conversations become anonymous "
                         "sessions)")
            return notes
        if contact.role == "lead":
            notes.append("contact.role lead: Crisp has no leads (a people profile)")
        if contact.external_id:
            notes.append("contact.external_id: kept as people data external_id")
        if len(contact.companies or []) > 1:
            notes.append("contact.companies beyond the first: a Crisp profile has one company")
        if contact.location:
            notes.append("contact.location: not migrated (Crisp geolocates on its own)")
        custom = contact.custom_attributes or {}
        if len(_scalars(custom)) != len([v for v in custom.values() if v is not None]):
            notes.append("contact.custom_attributes that are not scalars: dropped")
        if contact._values.get("notes"):
            notes.append("contact notes: appended to the profile notepad (author and date "
                         "dropped)")
        for key in contact.extra:
            if key not in ("type",):
                notes.append(f"contact.{key}: no home on Crisp (dropped)")
        return notes

    def fidelity_conversation(self, conv: Any, messages: Iterable[Any]) -> list[str]:
        notes = ["conversation.created_at: Crisp sets its own (messages keep their times)"]
        if conv.state == "snoozed":
            notes.append("conversation.state snoozed: migrated as open (unresolved)")
        if conv.team_id:
            notes.append("conversation.team_id: Crisp has no teams (dropped)")
        if conv.priority not in (None, "", "none", "not_priority"):
            notes.append("conversation.priority: no home on Crisp (dropped)")
        if len(conv.contacts or []) > 1:
            notes.append("conversation with several contacts: linked to the first one only")
        for m in messages:
            if m.kind not in ("comment", "note"):
                notes.append(f"message.kind {m.kind}: not replayed (only the final state and "
                             "assignee are)")
                continue
            if m.attachments:
                notes.append("message.attachments: appended to the text as links (not "
                             "uploaded)")
            if m.author_type in ("agent", "bot", "system", "team"):
                notes.append("message author (agent): Crisp records operator messages as the "
                             "website, showing the operator's name and avatar")
            if m.kind == "note":
                notes.append("conversation note: a Crisp note message from an operator")
        return notes

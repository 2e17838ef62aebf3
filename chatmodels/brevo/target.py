"""The Brevo migration target (API v3): canonical objects written through the object model of
:mod:`chatmodels.brevo`.

* agents cannot be listed: a source agent is written as itself, by email and name (Brevo's
  "standalone" agent identity, ``receivedFrom`` = :data:`RECEIVED_FROM`; Brevo creates a
  dummy agent for an email it does not know);
* tags are lists (in the account's first folder), found by name (case-insensitive);
* contact fields are ``normal`` attributes; names become Brevo's (:func:`attribute_name`:
  upper case, other characters than letters, digits and ``_`` as ``_``); a value of a field
  not yet defined defines it from its type;
* contacts are found by email, then ext id; one with neither is not written;
* notes are CRM notes on the contact; events keep their time (``event_date``), their names
  are Brevo's (:func:`event_name`);
* conversations: Brevo's API writes only the **agent side** of a visitor thread and cannot
  list or search messages. Each source conversation goes to its own visitor id
  (:func:`visitor_id`, derived from the source conversation, so reruns write to the same
  thread); every message is sent as an agent message with its text (the visitor's own
  messages included); times, state, assignee and tags are not written. As no message can be
  looked up, a message whose answer was lost may be sent twice (docs/reliability.md).

The contract of each method is :class:`chatmodels.migrate.targets.Target`'s.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from typing import Any, ClassVar

from ..client import Client
from ..errors import ResourceNotFound
from ..migrate.targets import (
    MARKER_FIELD,
    CaseInsensitiveTags,
    Target,
    coerce,
    epoch,
    event_key,
    marker_text,
    parse_marker,
    plain,
    provider_of,
    scalars,
    with_attachments,
)

#: ``receivedFrom`` of the agent identities the target writes with
RECEIVED_FROM = "chatmodels migration"
#: name of the agent writing what no matched agent wrote (without ``default_agent_email``)
DEFAULT_AGENT_NAME = "Migration"
#: canonical data types Brevo attributes have (integers and lists become floats and text)
TYPES = ("string", "float", "boolean", "date")
#: attributes the contact's own fields own (not written from custom attributes)
STANDARD = frozenset({"EMAIL", "FIRSTNAME", "LASTNAME", "SMS", "EXT_ID"})
_NOT_NAME = re.compile(r"[^A-Z0-9_]")
_NOT_EVENT = re.compile(r"[^A-Za-z0-9_-]")


def attribute_name(name: str) -> str:
    """The Brevo spelling of an attribute name (``plan-tier`` -> ``PLAN_TIER``)."""
    return _NOT_NAME.sub("_", str(name).strip().upper()) or "_"


def event_name(name: str) -> str:
    """The Brevo spelling of an event name (``Signed up`` -> ``Signed_up``): letters,
    digits, ``-`` and ``_``, at most 255."""
    return _NOT_EVENT.sub("_", str(name).strip())[:255] or "_"


def visitor_id(conv: Any) -> str:
    """The visitor id a source conversation is written to: 32 hex digits of a hash of its
    provider and id (stable across runs)."""
    key = f"{provider_of(conv)}:{conv.id}"
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


class BrevoTarget(CaseInsensitiveTags, Target):
    """Writes to Brevo (see the module docstring for the mapping)."""

    provider = "brevo"
    writes = frozenset({"contacts", "tags", "contact_fields", "notes", "events",
                        "conversations", "messages"})
    fidelity: ClassVar[dict[str, str]] = {
        "contact.email=&external_id=": "not written (a Brevo contact needs an email or an "
                                       "ext id): skipped with its notes, events and tags",
        "contact.created_at": "not carried (Brevo sets its own)",
        "contact.role=lead": "a Brevo contact (Brevo has no leads)",
        "contact.companies": "not carried (companies are not migrated)",
        "contact.location": "not carried",
        "contact.avatar_url": "not carried (no avatar on a Brevo contact)",
        "contact.phone": "not carried (Brevo's SMS attribute is unique and checked as an "
                         "international number: set it after the migration)",
        "contact.last_seen_at": "not carried",
        "contact.custom_attributes": "kept as attributes named in Brevo's upper case "
                                     "(lists and objects dropped; integers become floats)",
        "contact_field.data_type=integer": "a float attribute (Brevo has no integers)",
        "contact_field.data_type=list": "a text attribute",
        "note.author_id": "not carried (notes are written by the API key's user)",
        "note.created_at": "not carried (Brevo dates a note when it is written)",
        "event.name": "characters other than letters, digits, - and _ written as _",
        "event.metadata": "flat scalar values kept as event properties",
        "conversation.contacts": "not linked (Brevo's API cannot link a visitor to a "
                                 "contact): written to a visitor of its own",
        "conversation.created_at": "not carried (Brevo's API cannot import history)",
        "conversation.state!=open": "not carried (the API cannot set a state)",
        "conversation.assignee_id": "not carried (the API cannot assign)",
        "conversation.tags": "not carried (Brevo conversations have no tags in the API)",
        "conversation.title": "not carried",
        "conversation.team_id": "not carried",
        "conversation.priority!=none|not_priority": "not carried",
        "conversation.custom_attributes": "not carried",
        "message.created_at": "sent now: Brevo cannot import history",
        "message.author_type=contact": "sent as an agent message with the same text (the "
                                       "API cannot write the visitor's side)",
        "message.author_type=bot|system": "sent as the default agent",
        "message.kind=note": "sent as an agent message (Brevo has no private notes)",
        "message.attachments": "appended to the text as links (not uploaded)",
    }
    deletes = frozenset({"contacts", "tags", "contact_fields", "notes", "messages"})
    undeletable: ClassVar[dict[str, str]] = {
        "events": "Brevo's API cannot delete an event",
        "conversations": "Brevo's API cannot list a visitor's thread: the message that "
                         "started it stays (the others are deleted)",
    }
    unreadable: ClassVar[dict[str, str]] = {
        "conversations": "Brevo's API cannot list or fetch a conversation"}
    #: name prefix of the folder whose name holds the run marker
    MARKER_FOLDER = MARKER_FIELD

    def __init__(self, client: Client, **kwargs: Any) -> None:
        super().__init__(client, **kwargs)
        self._tags: dict[str, Any] | None = None
        self._fields: dict[str, Any] | None = None
        self._agents: dict[str, tuple[str, str]] = {}  # target agent id (email) -> identity
        self._emails: dict[str, str] = {}  # contact id -> email (events need it)

    # -- identity and marker -------------------------------------------------------------------
    @classmethod
    def account_of(cls, client: Client) -> str:
        """``""``: the key's account has no id the object model reads."""
        return ""

    def _marker_folder(self) -> Any:
        for folder in self.client.Folder.all():
            if str(folder.name or "").startswith(self.MARKER_FOLDER + " "):
                return folder
        return None

    def read_marker(self) -> dict[str, Any] | None:
        folder = self._marker_folder()
        if folder is None:
            return None
        return parse_marker(str(folder.name)[len(self.MARKER_FOLDER) + 1:])

    def write_marker(self, journal_id: str, generation: int) -> None:
        """A folder named ``chatmodels_journal {"journal": ..., "generation": ...}``."""
        name = f"{self.MARKER_FOLDER} {marker_text(journal_id, generation)}"
        folder = self._marker_folder()
        if folder is None:
            self.client.Folder.create(name=name)
        elif folder.name != name:
            folder.name = name
            folder.save()

    def delete_marker(self) -> str | None:
        """Delete the marker folder, unless lists live in it (Brevo would delete them too:
        lists go to the account's first folder, which the marker may be)."""
        folder = self._marker_folder()
        if folder is None:
            return None
        if any(str(t.folder_id) == str(folder.id) for t in self.client.Tag.all()):
            return "the marker folder holds lists created since: it stays (delete it by hand)"
        folder.delete()
        # the folder was maybe the one new lists go to: let the next list find another
        with self.client._cache_lock:
            self.client._cache.pop("brevo:default-folder", None)
        return None

    # -- agents --------------------------------------------------------------------------------
    def match_agents(self, agents: Iterable[Any]) -> dict[str, str | None]:
        """Brevo cannot list agents: every source agent with an email is written as itself
        (email + name); its "target id" is its email."""
        mapping: dict[str, str | None] = {}
        for agent in agents:
            email = str(agent.email or "").strip().lower()
            if not email:
                mapping[str(agent.id)] = None
                continue
            with self._lock:
                self._agents[email] = (email, str(agent.name or email.partition("@")[0]))
            mapping[str(agent.id)] = email
        return mapping

    def _agent(self, author_id: str | None) -> Any:
        email = str(author_id or self.default_agent_email or "").strip().lower()
        if email:
            with self._lock:
                _, name = self._agents.get(email, (email, email.partition("@")[0]))
        else:
            email, name = "migration@chatmodels.invalid", DEFAULT_AGENT_NAME
        return self.client.Agent(email=email, name=name, received_from=RECEIVED_FROM)

    # -- tags ----------------------------------------------------------------------------------
    def tag_contacts(self, name: str, contact_ids: list[str]) -> None:
        """``tag.tag(contacts=...)``: contacts already in the list are not an error."""
        if self.find_tag(name) is None:
            self.create_tag(name)
        ids = [int(c) for c in contact_ids if c]
        if ids:
            self._tag_index()[name.lower()].tag(contacts=ids)

    # -- fields --------------------------------------------------------------------------------
    def _field_index(self) -> dict[str, Any]:
        with self._lock:
            if self._fields is None:
                self._fields = {str(f.name).upper(): f for f in self.client.ContactField.all()
                                if f.name}
            return self._fields

    def find_field(self, name: str) -> str | None:
        f = self._field_index().get(attribute_name(name))
        return str(f.id) if f is not None else None

    def create_field(self, name: str, data_type: str, description: str | None) -> str:
        key = attribute_name(name)
        kind = {"integer": "float", "list": "string"}.get(data_type, data_type)
        attr = self.client.ContactField.create(
            name=key, data_type=kind if kind in TYPES else "string")  # category: normal
        with self._lock:
            self._field_index()[key] = attr
        return str(attr.id)

    # -- contacts ------------------------------------------------------------------------------
    def _attributes(self, contact: Any) -> dict[str, Any]:
        """The contact's attributes as Brevo names them, typed as the target defines them."""
        custom = {attribute_name(k): v for k, v in scalars(contact.custom_attributes).items()
                  if k != MARKER_FIELD}
        custom = {k: v for k, v in custom.items() if k not in STANDARD}
        if custom:
            self._define_fields(custom)
        index = self._field_index()
        out = {k: coerce(v, getattr(index.get(k), "data_type", None)) for k, v in custom.items()}
        first, _, last = str(contact.name or "").strip().partition(" ")
        if first:
            out["FIRSTNAME"] = first
            out["LASTNAME"] = last or None
        return out

    def cannot_create_contact(self, contact: Any) -> str | None:
        if not contact.email and not contact.external_id:
            return "no email or external id: a Brevo contact needs one"
        return None

    def find_contact(self, contact: Any) -> str | None:
        for key in ("email", "external_id"):
            value = getattr(contact, key)
            if value:
                try:
                    found = self.client.Contact.find(**{key: str(value).strip()})
                except ResourceNotFound:
                    continue
                self._remember(found)
                return str(found.id)
        return None

    def _remember(self, found: Any) -> None:
        if found.email:
            with self._lock:
                self._emails[str(found.id)] = str(found.email)

    def create_contact(self, contact: Any) -> str:
        values: dict[str, Any] = {}
        if contact.email:
            values["email"] = str(contact.email).strip()
        if contact.external_id:
            values["external_id"] = str(contact.external_id)
        attrs = {k: v for k, v in self._attributes(contact).items() if v is not None}
        if attrs:
            values["custom_attributes"] = attrs
        if contact.unsubscribed_from_emails is True:
            values["unsubscribed_from_emails"] = True
        created = self.client.Contact.create(**values)
        if contact.email:
            with self._lock:
                self._emails[str(created.id)] = values["email"]
        return str(created.id)

    def update_contact(self, target_id: str, contact: Any) -> None:
        """Send the attributes and subscription that differ (one ``PUT``, or none)."""
        current = self.client.Contact.find(id=target_id)
        self._remember(current)
        have = current.custom_attributes or {}
        for key, value in self._attributes(contact).items():
            if have.get(key) != value and not (value is None and key not in have):
                current.custom_attributes[key] = value
        unsub = contact.unsubscribed_from_emails
        if isinstance(unsub, bool) and bool(current.unsubscribed_from_emails) != unsub:
            current.unsubscribed_from_emails = unsub
        current.save()

    def _email(self, contact_id: str) -> str | None:
        with self._lock:
            known = self._emails.get(contact_id)
        if known is None:
            found = self.client.Contact.find(id=contact_id)
            self._remember(found)
            known = found.email
        return known

    # -- notes and events ----------------------------------------------------------------------
    def find_note(self, contact_id: str | None, note: Any,
                  taken: Sequence[str] = ()) -> str | None:
        if not contact_id:
            return ""
        body = plain(note.body)
        for existing in self.client.Note.all(contact=contact_id):
            if plain(existing.body) == body \
                    and str(existing.id) not in taken:
                return str(existing.id)
        return None

    def create_note(self, contact_id: str | None, note: Any, author_id: str | None) -> str:
        if not contact_id:
            return ""
        body = plain(note.body) or "(empty note)"
        return str(self.client.Note.create(contact=contact_id, body=body).id)

    def find_event(self, contact_id: str | None, event: Any) -> str | None:
        if not contact_id:
            return ""
        ts, name = epoch(event.created_at), event_name(event.name)
        for existing in self.client.Event.all(contact_id=contact_id, name=name):
            if existing.name == name and epoch(existing.created_at) == ts:
                return event_key(contact_id, event)
        return None

    def create_event(self, contact_id: str | None, event: Any) -> str:
        if not contact_id:
            return ""
        fields: dict[str, Any] = {"name": event_name(event.name), "contact_id": int(contact_id)}
        if event.created_at is not None:
            fields["created_at"] = event.created_at
        metadata = scalars(event.metadata)
        if metadata:
            fields["metadata"] = metadata
        email = self._email(contact_id)
        if email:
            fields["email"] = email
        else:
            found = self.client.Contact.find(id=contact_id)
            fields["external_id"] = found.external_id
        self.client.Event.create(**fields)
        return event_key(contact_id, event)

    # -- conversations -------------------------------------------------------------------------
    def find_conversation(self, contact_id: str | None, conv: Any, first: Any) -> str | None:
        """``None``: Brevo cannot list a visitor's messages, so a first message whose answer
        was lost is sent again (at least once)."""
        return None

    def _send(self, visitor: str, msg: Any, author_id: str | None) -> str:
        agent = self._agent(author_id if msg.author_type == "agent" else None)
        text = plain(with_attachments(msg)) or "(empty message)"
        sent = self.client.Message.create(visitor_id=visitor, text=text, agent=agent)
        return str(sent.id)

    def create_conversation(self, contact_id: str | None, conv: Any, first: Any,
                            author_id: str | None) -> str:
        visitor = visitor_id(conv)
        self._send(visitor, first, author_id)
        return visitor

    def find_message(self, conversation_id: str, msg: Any) -> str | None:
        """``None``: messages cannot be searched (see :meth:`find_conversation`)."""
        return None

    def add_message(self, conversation_id: str, msg: Any, contact_id: str | None,
                    author_id: str | None) -> str:
        return self._send(conversation_id, msg, author_id)

    def finish_conversation(self, conversation_id: str, conv: Any, assignee_id: str | None,
                            tags: list[str]) -> None:
        """Nothing to do: state, assignee and tags cannot be written (declared)."""

    # -- rollback ------------------------------------------------------------------------------
    def delete_contact(self, contact_id: str) -> None:
        """``DELETE /contacts/{id}``."""
        if contact_id:
            self.client.Contact.ref(contact_id).delete()

    def delete_tag(self, tag_id: str) -> None:
        """``DELETE /contacts/lists/{id}``."""
        self.client.Tag.ref(tag_id).delete()
        with self._lock:
            self._tags = None

    def delete_field(self, field_id: str) -> None:
        """``DELETE /contacts/attributes/{category}/{name}`` (``field_id``: ``category/NAME``)."""
        self._delete_field_by_id(field_id)

    def delete_note(self, contact_id: str | None, note_id: str) -> None:
        """``DELETE /crm/notes/{id}``."""
        if note_id:
            self.client.Note.ref(note_id).delete()

    def delete_message(self, conversation_id: str, message_id: str) -> None:
        """``DELETE /conversations/messages/{id}``."""
        self.client.Message.ref(message_id).delete()

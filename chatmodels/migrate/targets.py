"""Writers: how canonical objects are created on, and looked up on, each target provider.

A :class:`Target` has one method per write and one *lookup* per write (used to reconcile a
write whose response was lost). Lookups use natural keys: email for contacts and agents,
name for tags and fields, body and time for notes, events, conversations and messages.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
import threading
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from ..client import Client
from ..errors import ChatModelsError, ResourceNotFound

_TAGS = re.compile(r"<[^>]+>")


def plain(text: Any) -> str:
    """Body text without HTML tags or surrounding space (Intercom returns HTML bodies)."""
    return html.unescape(_TAGS.sub("", str(text or ""))).strip()


def epoch(value: Any) -> int | None:
    if isinstance(value, dt.datetime):
        return int(value.timestamp())
    return None


def python_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "float"
    return "string"


def coerce(value: Any, data_type: str | None) -> Any:
    """A value converted to the type of the target's attribute definition, when it differs."""
    if value is None or data_type is None:
        return value
    try:
        if data_type == "string" and not isinstance(value, str):
            return str(value).lower() if isinstance(value, bool) else str(value)
        if data_type == "integer" and not isinstance(value, int):
            return int(float(value))
        if data_type == "float" and not isinstance(value, float):
            return float(value)
        if data_type == "boolean" and not isinstance(value, bool):
            return str(value).strip().lower() in ("1", "true", "yes", "y")
    except (TypeError, ValueError):
        return str(value)
    return value


def with_attachments(msg: Any) -> str:
    """The message body, with attachments appended as links (targets without uploads)."""
    body = str(msg.body or "")
    for att in msg.attachments or []:
        if isinstance(att, dict):
            url = att.get("url") or ""
            name = att.get("name") or url
            body += f"\n[{name}]({url})" if url else f"\n[{name}]"
    return body.strip()


#: name of the marker each run leaves on the target (an Intercom contact attribute, a Crisp
#: session's meta data key): ``{"journal": <journal id>, "generation": <run generation>}``
MARKER_FIELD = "chatmodels_journal"


def parse_marker(text: Any) -> dict[str, Any] | None:
    try:
        value = json.loads(str(text or ""))
    except ValueError:
        return None
    return value if isinstance(value, dict) and "journal" in value else None


def account_identity(client: Client) -> dict[str, str]:
    """What identifies the account a client talks to: provider, account id, base URL."""
    account = ""
    if client.provider == "crisp":
        account = str(client.options.get("website_id") or "")
    elif client.provider == "intercom":
        me = client.Admin.me()
        app = me._values.get("app") or me.extra.get("app") or {}
        account = str(app.get("id_code") or "") if isinstance(app, dict) else ""
    url = urlsplit(str(client.http.base_url))
    host = url.netloc.rpartition("@")[2]  # never keep credentials written into the URL
    return {"provider": client.provider, "account": account,
            "base_url": urlunsplit((url.scheme, host, url.path, "", ""))}


def source_ref(obj: Any) -> str:
    """``provider:id`` of a source object (kept on the target where no natural key exists)."""
    return f"{type(obj)._provider_name()}:{obj.id}"


class Target:
    """Base writer. Subclasses implement every method; ``dry_run`` writers never write."""

    provider = ""
    #: why tags need no creation here (None: they are created); they are counted as skipped
    implicit_tags: str | None = None
    #: why contact fields need no definition here (None: they are defined)
    schemaless_fields: str | None = None

    def __init__(self, client: Client, *, dry_run: bool = False,
                 default_agent_email: str | None = None) -> None:
        self.client = client
        self.dry_run = dry_run
        self.default_agent_email = default_agent_email
        self._lock = threading.RLock()
        #: called with a field's name when a write defines it on the fly (the engine counts it)
        self.on_field_created: Callable[[str], None] | None = None

    def cannot_create_contact(self, contact: Any) -> str | None:
        """Why this contact cannot exist on the target (None: it can)."""
        return None

    # the marker of the last run (see docs/reliability.md)
    def read_marker(self) -> dict[str, Any] | None: raise NotImplementedError
    def write_marker(self, journal_id: str, generation: int) -> None: raise NotImplementedError

    # agents
    def match_agents(self, agents: Iterable[Any]) -> dict[str, str | None]:
        by_email = {(a.email or "").lower(): str(a.id) for a in self.client.Agent.all()}
        return {str(a.id): by_email.get((a.email or "").lower()) for a in agents}

    # everything else is provider specific
    def find_tag(self, name: str) -> str | None: raise NotImplementedError
    def create_tag(self, name: str) -> str: raise NotImplementedError
    def tag_contacts(self, name: str, contact_ids: list[str]) -> None: raise NotImplementedError
    def find_field(self, name: str) -> str | None: raise NotImplementedError
    def create_field(self, name: str, data_type: str, description: str | None) -> str:
        raise NotImplementedError
    def find_contact(self, contact: Any) -> str | None: raise NotImplementedError
    def create_contact(self, contact: Any) -> str: raise NotImplementedError
    def update_contact(self, target_id: str, contact: Any) -> None: raise NotImplementedError
    def find_note(self, contact_id: str | None, note: Any) -> str | None:
        raise NotImplementedError
    def create_note(self, contact_id: str | None, note: Any, author_id: str | None) -> str:
        raise NotImplementedError
    def find_event(self, contact_id: str | None, event: Any) -> str | None:
        raise NotImplementedError
    def create_event(self, contact_id: str | None, event: Any) -> str:
        raise NotImplementedError
    def find_conversation(self, contact_id: str | None, conv: Any, first: Any) -> str | None:
        raise NotImplementedError
    def create_conversation(self, contact_id: str | None, conv: Any, first: Any,
                            author_id: str | None) -> str: raise NotImplementedError
    def find_message(self, conversation_id: str, msg: Any) -> str | None:
        raise NotImplementedError
    def add_message(self, conversation_id: str, msg: Any, contact_id: str | None,
                    author_id: str | None) -> str: raise NotImplementedError
    def finish_conversation(self, conversation_id: str, conv: Any, assignee_id: str | None,
                            tags: list[str]) -> None: raise NotImplementedError

    # fidelity: what cannot be carried over exactly
    def fidelity_contact(self, contact: Any) -> list[str]:
        return []

    def fidelity_conversation(self, conv: Any, messages: Iterable[Any]) -> list[str]:
        return []


class IntercomTarget(Target):
    """Writes to Intercom 2.16."""

    provider = "intercom"
    CONTACT_FIELDS = ("email", "name", "phone", "external_id", "role", "avatar_url",
                      "unsubscribed_from_emails")

    def __init__(self, client: Client, **kwargs: Any) -> None:
        super().__init__(client, **kwargs)
        self._tags: dict[str, Any] | None = None
        self._fields: dict[str, Any] | None = None
        self._default_admin: str | None = None
        self._latest: dict[str, Any] = {}

    # -- agents --------------------------------------------------------------------------
    def default_admin(self) -> str:
        if self._default_admin is None:
            if self.default_agent_email:
                self._default_admin = str(
                    self.client.Admin.find_by_email(self.default_agent_email).id)
            else:
                self._default_admin = str(self.client.Admin.me().id)
        return self._default_admin

    # -- tags ----------------------------------------------------------------------------
    def _tag_index(self) -> dict[str, Any]:
        with self._lock:
            if self._tags is None:
                self._tags = {t.name.lower(): t for t in self.client.Tag.all() if t.name}
            return self._tags

    def find_tag(self, name: str) -> str | None:
        tag = self._tag_index().get(name.lower())
        return str(tag.id) if tag is not None else None

    def create_tag(self, name: str) -> str:
        tag = self.client.Tag.create(name=name)
        with self._lock:
            self._tag_index()[name.lower()] = tag
        return str(tag.id)

    def tag_contacts(self, name: str, contact_ids: list[str]) -> None:
        tag = self._tag_index().get(name.lower())
        if tag is None:
            self.create_tag(name)
            tag = self._tag_index()[name.lower()]
        tag.tag(contacts=contact_ids)

    # -- fields --------------------------------------------------------------------------
    def _field_index(self) -> dict[str, Any]:
        with self._lock:
            if self._fields is None:
                self._fields = {f.name: f for f in self.client.DataAttribute.all(model="contact")}
            return self._fields

    def find_field(self, name: str) -> str | None:
        f = self._field_index().get(name)
        return str(f.id if f.id is not None else f.name) if f is not None else None

    def create_field(self, name: str, data_type: str, description: str | None) -> str:
        kind = data_type if data_type in ("string", "integer", "float", "boolean", "date") \
            else "string"
        attr = self.client.DataAttribute.create(name=name, model="contact", data_type=kind,
                                                description=description or "migrated")
        with self._lock:
            self._field_index()[name] = attr
        return str(attr.id)

    def ensure_fields(self, values: dict[str, Any]) -> None:
        """Define the custom attributes a contact uses that the target lacks (once each)."""
        index = self._field_index()
        for key, value in values.items():
            if key in index:
                continue
            with self._lock:
                if key in index:
                    continue
            try:
                self.create_field(key, python_type(value), None)
            except ChatModelsError:
                self._fields = None  # another worker created it: refresh and go on
                if key not in self._field_index():
                    raise
            else:
                if self.on_field_created is not None:
                    self.on_field_created(key)

    # -- marker --------------------------------------------------------------------------
    def _marker_attribute(self) -> Any:
        for attr in self.client.DataAttribute.all(model="contact"):
            if attr.name == MARKER_FIELD:
                return attr
        return None

    def read_marker(self) -> dict[str, Any] | None:
        attr = self._marker_attribute()
        return parse_marker(attr.description) if attr is not None else None

    def write_marker(self, journal_id: str, generation: int) -> None:
        """A contact attribute whose description holds the journal id and generation."""
        text = json.dumps({"journal": journal_id, "generation": generation})
        attr = self._marker_attribute()
        if attr is None:
            try:
                self.client.DataAttribute.create(name=MARKER_FIELD, model="contact",
                                                 data_type="string", description=text)
                return
            except ChatModelsError:
                attr = self._marker_attribute()  # created meanwhile (a lost answer)
                if attr is None:
                    raise
        self.client.request("PUT", f"/data_attributes/{attr.id}", json={"description": text},
                            idempotent=True)

    # -- contacts ------------------------------------------------------------------------
    def _values(self, contact: Any) -> dict[str, Any]:
        values = {k: getattr(contact, k) for k in self.CONTACT_FIELDS}
        values = {k: v for k, v in values.items() if v is not None}
        if values.get("role") not in ("user", "lead"):
            values["role"] = "user"
        if contact.created_at is not None:
            values["signed_up_at"] = contact.created_at
        if contact.last_seen_at is not None:
            values["last_seen_at"] = contact.last_seen_at
        custom = {k: v for k, v in (contact.custom_attributes or {}).items()
                  if (isinstance(v, (str, int, float, bool)) or v is None)
                  and k != MARKER_FIELD}
        if custom:
            self.ensure_fields(custom)
            index = self._field_index()
            values["custom_attributes"] = {
                k: coerce(v, getattr(index.get(k), "data_type", None)) for k, v in custom.items()}
        return values

    #: custom attribute naming the source of a contact that has no email or external_id, so
    #: that a lost write can still be found again (``crisp:<people_id>``...)
    SOURCE_ATTRIBUTE = "migrated_from"

    def find_contact(self, contact: Any) -> str | None:
        for key in ("email", "external_id"):
            value = getattr(contact, key)
            if value:
                try:
                    return str(self.client.Contact.find(**{key: value}).id)
                except ResourceNotFound:
                    continue
        if contact.email or contact.external_id \
                or self.SOURCE_ATTRIBUTE not in self._field_index():
            return None
        key = f"custom_attributes__{self.SOURCE_ATTRIBUTE}"
        found = self.client.Contact.search(**{key: source_ref(contact)}).first()
        return str(found.id) if found is not None else None

    def create_contact(self, contact: Any) -> str:
        values = self._values(contact)
        if not (values.get("email") or values.get("external_id")):
            values["role"] = "lead"
            self.ensure_fields({self.SOURCE_ATTRIBUTE: ""})
            values.setdefault("custom_attributes", {})[self.SOURCE_ATTRIBUTE] = \
                source_ref(contact)
        return str(self.client.Contact.create(**values).id)

    def update_contact(self, target_id: str, contact: Any) -> None:
        current = self.client.Contact.find(id=target_id)
        for key, value in self._values(contact).items():
            if key == "custom_attributes":
                current.custom_attributes.update(value)
            elif key != "role":
                setattr(current, key, value)
        current.save()

    # -- notes and events ----------------------------------------------------------------
    def find_note(self, contact_id: str | None, note: Any) -> str | None:
        body = plain(note.body)
        for existing in self.client.Note.all(contact=contact_id):
            if plain(existing.body) == body:
                return str(existing.id)
        return None

    def create_note(self, contact_id: str | None, note: Any, author_id: str | None) -> str:
        admin = author_id or self.default_admin()
        return str(self.client.Note.create(contact=contact_id, body=note.body, admin=admin).id)

    def find_event(self, contact_id: str | None, event: Any) -> str | None:
        ts = epoch(event.created_at)
        for existing in self.client.Event.all(contact=contact_id):
            if existing.name == event.name and epoch(existing.created_at) == ts:
                return f"{contact_id}/{event.name}/{ts}"
        return None

    def create_event(self, contact_id: str | None, event: Any) -> str:
        metadata = {k: v for k, v in (event.metadata or {}).items()
                    if isinstance(v, (str, int, float, bool))}
        self.client.Event.create(name=event.name, contact=contact_id,
                                 created_at=event.created_at, metadata=metadata or None)
        return f"{contact_id}/{event.name}/{epoch(event.created_at)}"

    # -- conversations -------------------------------------------------------------------
    def find_conversation(self, contact_id: str | None, conv: Any, first: Any) -> str | None:
        body = plain(with_attachments(first))
        for candidate in self.client.Conversation.search(contact_ids=contact_id):
            full = self.client.Conversation.find(id=candidate.id)
            if full.messages and plain(full.messages[0].body) == body:
                return str(full.id)
        return None

    def create_conversation(self, contact_id: str | None, conv: Any, first: Any,
                            author_id: str | None) -> str:
        if contact_id is None:
            raise ChatModelsError("a conversation needs a contact on Intercom")
        if first.author_type == "agent":
            # created_at (2.16): the first message keeps its time, not the migration's
            msg = self.client.Message.create(
                body=with_attachments(first), to=self.client.Contact.ref(contact_id),
                from_=author_id or self.default_admin(), message_type="in_app",
                created_at=epoch(first.created_at))
            conversation_id = msg.conversation_id or msg.extra.get("conversation_id")
            if not conversation_id:
                raise ChatModelsError("Intercom did not return the conversation of the message")
            return str(conversation_id)
        # POST /conversations answers with the first message and the conversation id: that
        # is all the migration needs (Conversation.create would GET the whole conversation)
        payload: dict[str, Any] = {"from": {"type": "contact", "id": contact_id},
                                   "body": with_attachments(first)}
        ts = epoch(first.created_at)
        if ts:
            payload["created_at"] = ts
        data = self.client.request("POST", "/conversations", json=payload)
        return str(data["conversation_id"] if "conversation_id" in data else data["id"])

    def find_message(self, conversation_id: str, msg: Any) -> str | None:
        conv = self.client.Conversation.find(id=conversation_id)
        body, ts = plain(with_attachments(msg)), epoch(msg.created_at)
        for part in conv.messages:
            if plain(part.body) == body and (ts is None or epoch(part.created_at) == ts):
                return str(part.id)
        return None

    def add_message(self, conversation_id: str, msg: Any, contact_id: str | None,
                    author_id: str | None) -> str:
        conv = self.client.Conversation.ref(conversation_id)
        ts = epoch(msg.created_at)
        if msg.author_type == "contact" and contact_id is not None:
            conv.reply(body=with_attachments(msg), author=self.client.Contact.ref(contact_id),
                       created_at=ts)
        else:
            conv.reply(body=with_attachments(msg), author=author_id or self.default_admin(),
                       message_type="note" if msg.kind == "note" else "comment",
                       created_at=ts)
        with self._lock:
            self._latest[conversation_id] = conv  # finish_conversation reuses it
        return str(conv.messages[-1].id)

    def finish_conversation(self, conversation_id: str, conv: Any, assignee_id: str | None,
                            tags: list[str]) -> None:
        with self._lock:
            target = self._latest.pop(conversation_id, None)
        if target is None:
            target = self.client.Conversation.find(id=conversation_id)
        admin = self.default_admin()
        if assignee_id and str(target.assignee_id) != str(assignee_id):
            target.assign(self.client.Admin.ref(assignee_id), admin=admin)
        have = {t.id for t in (target.tags or [])}
        for name in tags:
            tag_id = self.find_tag(name) or self.create_tag(name)
            if tag_id not in have:
                target.add_tag(tag_id, admin=admin)
        wanted = conv.state
        if wanted == "closed" and target.state != "closed":
            target.close(admin)
        elif wanted in ("open", "pending", "snoozed") and target.state == "closed":
            target.open(admin)

    # -- fidelity ------------------------------------------------------------------------
    def fidelity_contact(self, contact: Any) -> list[str]:
        notes = ["contact.created_at: Intercom sets its own; kept as signed_up_at"]
        if _value(contact, "companies"):
            notes.append("contact.companies: not carried (companies are not migrated)")
        if _value(contact, "location"):
            notes.append("contact.location: not carried (Intercom geolocates on its own)")
        for key in contact.extra:
            if key not in ("type",):
                notes.append(f"contact.{key}: no home on Intercom (dropped)")
        if not (contact.email or contact.external_id):
            notes.append("contact without email or external_id: created as a lead, with "
                         "custom attribute migrated_from=<provider>:<id> to find it again")
        return notes

    def fidelity_conversation(self, conv: Any, messages: Iterable[Any]) -> list[str]:
        notes = []
        if conv.state == "pending":
            notes.append("conversation.state pending: Intercom has no pending state (open)")
        if conv.state == "snoozed":
            notes.append("conversation.state snoozed: migrated as open")
        for key, why in (("title", "not carried (the first message carries the text)"),
                         ("priority", "not carried"),
                         ("team_id", "team assignment not carried (admin assignee is)"),
                         ("custom_attributes", "conversation attributes not carried")):
            value = _value(conv, key)
            if value not in (None, "", {}, [], "not_priority", "none"):
                notes.append(f"conversation.{key}: {why}")
        first = next((m for m in messages if m.kind in ("comment", "note")), None)
        if first is not None and first.author_type not in ("agent", "contact"):
            notes.append(f"conversation started by a {first.author_type}: migrated as started "
                         "by the contact")
        for m in messages:
            if m.kind not in ("comment", "note"):
                notes.append(f"message.kind {m.kind}: state changes are not replayed, "
                             "the final state is")
            if m.attachments:
                notes.append("message.attachments: carried as links in the body")
        return notes


def _value(obj: Any, key: str) -> Any:
    """A field's loaded value (None when the provider has no such field); never a request."""
    values = getattr(obj, "_values", {})
    return values.get(key) if isinstance(values, dict) else None


def target_for(client: Client, **kwargs: Any) -> Target:
    """The writer for a client's provider."""
    if client.provider == "intercom":
        return IntercomTarget(client, **kwargs)
    if client.provider == "crisp":
        from .crisp_target import CrispTarget
        return CrispTarget(client, **kwargs)
    raise ChatModelsError(f"no migration writer for {client.provider}")

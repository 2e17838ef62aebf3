"""The Intercom migration target (REST 2.16): canonical objects written through the object
model of :mod:`chatmodels.intercom`.

* agents are matched to admins by email (admins are never created);
* tags and contact data attributes are found by name or created;
* contacts are found by email or external id; a contact with neither becomes a lead with a
  custom attribute ``migrated_from = "<provider>:<id>"`` to find it again;
* notes are contact notes; events are data events with their original time;
* conversations start from the contact (``Conversation.create``) or, when an agent started
  them, from the admin (``Message.create``), with the first message's original time; the other
  messages are replies with their time; state, assignee and tags are applied at the end.

The contract of each method is :class:`chatmodels.migrate.targets.Target`'s.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Any, ClassVar

from ..client import Client
from ..errors import ChatModelsError, ResourceNotFound
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
    source_ref,
)


class IntercomTarget(CaseInsensitiveTags, Target):
    """Writes to Intercom 2.16 (see the module docstring)."""

    provider = "intercom"
    writes = frozenset({"contacts", "tags", "contact_fields", "notes", "events",
                        "conversations", "messages"})
    attachments = "upload"
    fidelity: ClassVar[dict[str, str]] = {
        "contact.created_at": "kept as signed_up_at (Intercom sets its own created_at)",
        "contact.companies": "not carried (companies are not migrated)",
        "contact.location": "not carried (Intercom geolocates on its own)",
        "contact.email=&external_id=": "created as a lead, with custom attribute "
                                       "migrated_from=<provider>:<id> to find it again",
        "note.created_at": "not carried (Intercom dates a note when it is written)",
        "event.metadata": "flat scalar values kept (lists and objects dropped)",
        "conversation.state=pending": "migrated as open (Intercom has no pending state)",
        "conversation.state=snoozed": "migrated as open",
        "conversation.title": "not carried (the first message carries the text)",
        "conversation.priority!=none|not_priority": "not carried",
        "conversation.team_id": "team assignment not carried (admin assignee is)",
        "conversation.custom_attributes": "conversation attributes not carried",
        "message.attachments": "uploaded with replies (attachment_files, 10 per reply); a "
                               "conversation's first message carries them as links (Intercom "
                               "starts conversations without files)",
        "message.author_type=bot|system": "written as the default admin (a conversation "
                                          "it started is started by the contact)",
    }

    deletes = frozenset({"contacts", "tags", "conversations"})
    removed_with: ClassVar[dict[str, str]] = {"notes": "contacts", "events": "contacts",
                                              "messages": "conversations"}
    undeletable: ClassVar[dict[str, str]] = {
        "contact_fields": "Intercom cannot delete data attributes (2.16 only archives them)",
        "notes": "Intercom cannot delete a note (only with its contact)",
        "events": "Intercom cannot delete a data event (only with its contact)",
        "messages": "Intercom cannot delete a conversation part (only with its conversation)",
    }

    CONTACT_FIELDS = ("email", "name", "phone", "external_id", "role", "avatar_url",
                      "unsubscribed_from_emails")
    #: custom attribute naming the source of a contact that has no email or external_id, so
    #: that a lost write can still be found again (``<provider>:<id>``)
    SOURCE_ATTRIBUTE = "migrated_from"

    def __init__(self, client: Client, **kwargs: Any) -> None:
        super().__init__(client, **kwargs)
        self._tags: dict[str, Any] | None = None
        self._fields: dict[str, Any] | None = None
        self._default_admin: str | None = None
        self._latest: dict[str, Any] = {}

    # -- identity and marker -------------------------------------------------------------------
    @classmethod
    def account_of(cls, client: Client) -> str:
        """The workspace's ``id_code`` (the ``app`` of ``GET /me``)."""
        app = client.Admin.me().peek("app")
        return str(app.get("id_code") or "") if isinstance(app, dict) else ""

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
        text = marker_text(journal_id, generation)
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
        attr.description = text
        attr.save()

    def delete_marker(self) -> str | None:
        return ("Intercom cannot delete data attributes: the run marker (contact attribute "
                f"{MARKER_FIELD}) stays")

    # -- agents --------------------------------------------------------------------------------
    def default_admin(self) -> str:
        if self._default_admin is None:
            if self.default_agent_email:
                self._default_admin = str(
                    self.client.Admin.find_by_email(self.default_agent_email).id)
            else:
                self._default_admin = str(self.client.Admin.me().id)
        return self._default_admin

    # -- tags ----------------------------------------------------------------------------------
    def tag_contacts(self, name: str, contact_ids: list[str]) -> None:
        """One bulk request (``tag.tag(contacts=...)``); tagging twice changes nothing."""
        tag = self._tag_index().get(name.lower())
        if tag is None:
            self.create_tag(name)
            tag = self._tag_index()[name.lower()]
        tag.tag(contacts=contact_ids)

    # -- fields --------------------------------------------------------------------------------
    def _field_index(self) -> dict[str, Any]:
        with self._lock:
            if self._fields is None:
                self._fields = {f.name: f for f in self.client.DataAttribute.all(model="contact")}
            return self._fields

    def _spelled(self, name: str) -> str:
        """The name of the target attribute ``name`` is (Intercom refuses a name that differs
        from an existing one only in case), else ``name``."""
        index = self._field_index()
        if name in index:
            return name
        return next((k for k in index if k.lower() == name.lower()), name)

    def find_field(self, name: str) -> str | None:
        f = self._field_index().get(self._spelled(name))
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
        self._define_fields(values, self._spelled)

    def _contact_values(self, contact: Any) -> dict[str, Any]:
        values = {k: getattr(contact, k) for k in self.CONTACT_FIELDS}
        values = {k: v for k, v in values.items() if v is not None}
        if values.get("role") not in ("user", "lead"):
            values["role"] = "user"
        if contact.created_at is not None:
            values["signed_up_at"] = contact.created_at
        if contact.last_seen_at is not None:
            values["last_seen_at"] = contact.last_seen_at
        custom = {self._spelled(k): v for k, v in (contact.custom_attributes or {}).items()
                  if (isinstance(v, (str, int, float, bool)) or v is None)
                  and k != MARKER_FIELD}
        if custom:
            self.ensure_fields(custom)
            index = self._field_index()
            values["custom_attributes"] = {
                k: coerce(v, getattr(index.get(k), "data_type", None)) for k, v in custom.items()}
        return values

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
        values = self._contact_values(contact)
        if not (values.get("email") or values.get("external_id")):
            values["role"] = "lead"
            self.ensure_fields({self.SOURCE_ATTRIBUTE: ""})
            values.setdefault("custom_attributes", {})[self.SOURCE_ATTRIBUTE] = \
                source_ref(contact)
        return str(self.client.Contact.create(**values).id)

    def update_contact(self, target_id: str, contact: Any) -> None:
        current = self.client.Contact.find(id=target_id)
        for key, value in self._contact_values(contact).items():
            if key == "custom_attributes":
                current.custom_attributes.update(value)
            elif key != "role":
                setattr(current, key, value)
        current.save()

    # -- notes and events ----------------------------------------------------------------------
    def find_note(self, contact_id: str | None, note: Any,
                  taken: Sequence[str] = ()) -> str | None:
        body = plain(note.body)
        for existing in self.client.Note.all(contact=contact_id):
            if plain(existing.body) == body \
                    and str(existing.id) not in taken:
                return str(existing.id)
        return None

    def create_note(self, contact_id: str | None, note: Any, author_id: str | None) -> str:
        admin = author_id or self.default_admin()
        return str(self.client.Note.create(contact=contact_id, body=note.body, admin=admin).id)

    def find_event(self, contact_id: str | None, event: Any) -> str | None:
        ts = epoch(event.created_at)
        for existing in self.client.Event.all(contact=contact_id):
            if existing.name == event.name and epoch(existing.created_at) == ts:
                return event_key(str(contact_id), event)
        return None

    def create_event(self, contact_id: str | None, event: Any) -> str:
        metadata = {k: v for k, v in (event.metadata or {}).items()
                    if isinstance(v, (str, int, float, bool))}
        self.client.Event.create(name=event.name, contact=contact_id,
                                 created_at=event.created_at, metadata=metadata or None)
        return event_key(str(contact_id), event)

    # -- conversations -------------------------------------------------------------------------
    #: why a conversation's first message carries its files as links
    FIRST_FILES = "Intercom starts a conversation without files: carried as a link"
    #: files per reply (``attachment_files`` maxItems)
    MAX_FILES = 10

    def _first(self, first: Any) -> Any:
        return self.files.prepare(first, link_reason=self.FIRST_FILES)

    def find_conversation(self, contact_id: str | None, conv: Any, first: Any) -> str | None:
        with self._first(first) as batch:
            body, ts = plain(batch.text(first.body)), epoch(first.created_at)
            for candidate in self.client.Conversation.search(contact_ids=contact_id):
                full = self.client.Conversation.find(id=candidate.id)
                # by time too (the first message keeps it): a contact's chats may open alike
                if full.messages and plain(full.messages[0].body) == body \
                        and (ts is None or epoch(full.messages[0].created_at) == ts):
                    if not self.dry_run:
                        batch.all_done(str(full.id), reconciled=True)
                    return str(full.id)
        return None

    def create_conversation(self, contact_id: str | None, conv: Any, first: Any,
                            author_id: str | None) -> str:
        if not contact_id:
            raise ChatModelsError("a conversation needs a contact on Intercom")
        with self._first(first) as batch:
            created = self._create_conversation(contact_id, first, author_id,
                                                batch.text(first.body))
            batch.all_done(created)
        return created

    def _create_conversation(self, contact_id: str, first: Any, author_id: str | None,
                             body: str) -> str:
        if first.author_type == "agent":
            # created_at (2.16): the first message keeps its time, not the migration's
            msg = self.client.Message.create(
                body=body, to=self.client.Contact.ref(contact_id),
                from_=author_id or self.default_admin(), message_type="in_app",
                created_at=epoch(first.created_at))
            conversation_id = msg.conversation_id or msg.extra.get("conversation_id")
            if not conversation_id:
                raise ChatModelsError("Intercom did not return the conversation of the message")
            return str(conversation_id)
        # POST /conversations, then (the answer being the first message) one GET of the
        # conversation, which add_message and finish_conversation reuse
        created = self.client.Conversation.create(contact_id, body,
                                                  created_at=epoch(first.created_at))
        with self._lock:
            self._latest[str(created.id)] = created
        return str(created.id)

    def _files(self, msg: Any) -> Any:
        """The message's files; those beyond the 10 a reply takes become links."""
        batch = self.files.prepare(msg)
        for f in batch.sent[self.MAX_FILES:]:
            f.mode, f.reason = "link", "over Intercom's 10 files per reply: carried as a link"
        return batch

    @staticmethod
    def _body(batch: Any, msg: Any) -> str:
        """The reply text: the message's, links appended; the file names for a file alone
        (a reply needs a body)."""
        return batch.text(msg.body) or ", ".join(f.name for f in batch.sent)

    def find_message(self, conversation_id: str, msg: Any) -> str | None:
        with self._files(msg) as batch:
            conv = self.client.Conversation.find(id=conversation_id)
            body, ts = plain(self._body(batch, msg)), epoch(msg.created_at)
            for part in conv.messages:
                if plain(part.body) == body and (ts is None or epoch(part.created_at) == ts):
                    if not self.dry_run:
                        batch.all_done(str(part.id), reconciled=True)
                    return str(part.id)
        return None

    def add_message(self, conversation_id: str, msg: Any, contact_id: str | None,
                    author_id: str | None) -> str:
        conv = self.client.Conversation.ref(conversation_id)
        ts = epoch(msg.created_at)
        with self._files(msg) as batch:
            body = self._body(batch, msg)
            files = [{"content_type": f.content_type, "name": f.name,
                      "data": base64.b64encode(f.data()).decode("ascii")}
                     for f in batch.sent] or None
            if msg.author_type == "contact" and contact_id:
                conv.reply(body=body, author=self.client.Contact.ref(contact_id),
                           created_at=ts, attachment_files=files)
            else:
                conv.reply(body=body, author=author_id or self.default_admin(),
                           message_type="note" if msg.kind == "note" else "comment",
                           created_at=ts, attachment_files=files)
            part_id = str(conv.messages[-1].id)
            batch.all_done(part_id)
        with self._lock:
            self._latest[conversation_id] = conv  # finish_conversation reuses it
        return part_id

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

    # -- rollback ------------------------------------------------------------------------------
    def delete_contact(self, contact_id: str) -> None:
        """``DELETE /contacts/{id}`` (its notes, events and tags go with it)."""
        self.client.Contact.ref(contact_id).delete()

    def delete_tag(self, tag_id: str) -> None:
        self.client.Tag.ref(tag_id).delete()
        with self._lock:
            self._tags = None

    def delete_conversation(self, conversation_id: str) -> None:
        """``DELETE /conversations/{id}`` (with its parts)."""
        self.client.Conversation.ref(conversation_id).delete()

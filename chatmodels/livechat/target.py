"""The LiveChat migration target (Agent Chat and Configuration API v3.6): canonical objects
written through the object model of :mod:`chatmodels.livechat`, doing what v3.6 allows.

* agents are matched by email (an agent's id is its email); they are never created;
* tags are Configuration API tags (found by name, case-insensitively, as LiveChat compares
  them). LiveChat tags chat threads, not customers: contact tags are declared not carried;
* contact fields: session fields are free-form, nothing to define;
* contacts are customers (``create_customer``), with ``custom_attributes`` and
  ``external_id`` as session fields. v3.6 cannot list customers, so ``find_contact`` walks the
  archives (``Contact.all()``): a customer is found by email, or by its ``migrated_from``
  session field, once a chat of theirs exists. A customer without a chat cannot be found again
  (see docs/reliability.md, at-least-once);
* notes and events: LiveChat has no home for them (not in ``writes``);
* conversations are chats started with the customer (``start_chat`` with the first message),
  every message a ``message`` event (notes with ``visibility: agents``) carrying
  ``custom_id = "<provider>:<conversation id>/<message id>"``, so a lost send is found again in
  the chat's events; the first message's ``custom_id`` finds the chat among the customer's
  archives. Every event is authored by the token's agent and stamped by the server: v3.6
  cannot import history (declared in :attr:`LiveChatTarget.fidelity`);
* the run marker is the session field ``chatmodels_journal`` of a customer named
  :data:`MARKER_NAME` who owns one empty, closed chat (so the archives list it).

The contract of each method is :class:`chatmodels.migrate.targets.Target`'s.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from ..client import Client
from ..crisp.target import text_of  # plain text keeping line breaks
from ..errors import ChatModelsError, ConflictError
from ..migrate.targets import (
    MARKER_FIELD,
    Target,
    epoch,
    marker_text,
    parse_marker,
    provider_of,
    scalars,
    with_attachments,
)
from .api import ChatInactive

#: session field naming the source of a customer without an email
MARKER_KEY = "migrated_from"
#: name of the customer holding the run marker
MARKER_NAME = "chatmodels migration marker"


def custom_id(msg: Any) -> str:
    """``"<provider>:<conversation id>/<message id>"`` (time and text when it has no id)."""
    key = msg.id if msg.id is not None else f"{epoch(msg.created_at)}/{msg.body}"
    return f"{provider_of(msg)}:{msg.conversation_id}/{key}"


class LiveChatTarget(Target):
    """Writes to LiveChat (see the module docstring for the mapping)."""

    provider = "livechat"
    writes = frozenset({"contacts", "tags", "contact_fields", "conversations", "messages"})
    fidelity: ClassVar[dict[str, str]] = {
        "contact.created_at": "not carried (LiveChat sets its own)",
        "contact.role=lead": "a customer (LiveChat has no leads)",
        "contact.external_id": "kept as session field external_id",
        "contact.custom_attributes": "kept as session fields (values that are lists or "
                                     "objects are dropped)",
        "contact.companies": "not carried (LiveChat customers have no companies)",
        "contact.location": "not carried (LiveChat geolocates visits itself)",
        "contact.last_seen_at": "not carried (LiveChat sets its own)",
        "contact.tags": "not carried (LiveChat tags chat threads, not customers)",
        "conversation.created_at": "started now (v3.6 stamps chats and threads itself)",
        "conversation.state=snoozed|pending": "migrated as open (an active chat)",
        "conversation.assignee_id": "not carried (the chat is served by the token's agent)",
        "conversation.team_id": "not carried (chats start in the default group)",
        "conversation.title": "not carried (LiveChat chats have no subject)",
        "conversation.priority!=none|not_priority": "not carried (no home on LiveChat)",
        "conversation.contacts[1]": "linked to the first contact only",
        "conversation.custom_attributes": "not carried (chat properties need a registered "
                                          "Client Id)",
        "message.created_at": "sent now: v3.6 cannot import history (the server stamps "
                              "events)",
        "message.author_type=contact": "sent by the token's agent: customer messages need "
                                       "the Customer Chat API (the text is kept)",
        "message.author_type=agent|bot|system": "sent by the token's agent (v3.6 cannot send "
                                                "as another agent)",
        "message.attachments": "uploaded (upload_file), each a file event after the "
                               "message's text (sent now, by the token's agent)",
    }
    attachments = "upload"
    implicit_tags = None
    deletes = frozenset({"tags"})
    removed_with: ClassVar[dict[str, str]] = {"contact_fields": "contacts"}
    undeletable: ClassVar[dict[str, str]] = {
        "contacts": "LiveChat v3.6 cannot delete a customer",
        "conversations": "LiveChat v3.6 cannot delete a chat",
        "messages": "LiveChat v3.6 cannot delete a chat event",
        "contact_fields": "session fields live on customers, which stay",
    }
    schemaless_fields = "LiveChat session fields have no definitions: keys come with the values"

    def __init__(self, client: Client, **kwargs: Any) -> None:
        super().__init__(client, **kwargs)
        self._tags: dict[str, str] | None = None
        self._customers: dict[str, str] | None = None  # email / migrated_from -> customer id

    # -- identity and marker -------------------------------------------------------------------
    @classmethod
    def account_of(cls, client: Client) -> str:
        """The account id of the personal access token (``""`` with a bearer token)."""
        return str(client.options.get("account_id") or "")

    def _marker_customer(self) -> Any:
        for customer in self.client.Contact.all(query=MARKER_NAME):
            if customer.peek("name") == MARKER_NAME:
                return customer
        return None

    def read_marker(self) -> dict[str, Any] | None:
        found = self._marker_customer()
        if found is None:
            return None
        return parse_marker(found.custom_attributes.get(MARKER_FIELD))

    def write_marker(self, journal_id: str, generation: int) -> None:
        """A customer named :data:`MARKER_NAME` whose session field holds the marker, with one
        empty closed chat so that the archives list it."""
        fields = [{MARKER_FIELD: marker_text(journal_id, generation)}]
        found = self._marker_customer()
        if found is not None:
            found.session_fields = fields
            found.save()
            return
        customer = self.client.Contact.create(name=MARKER_NAME, session_fields=fields)
        self.client.Conversation.start(customer=customer, active=False)

    def delete_marker(self) -> str | None:
        return (f"LiveChat v3.6 cannot delete a customer: the marker customer "
                f"{MARKER_NAME!r} stays")

    # -- tags ----------------------------------------------------------------------------------
    def _tag_index(self) -> dict[str, str]:
        with self._lock:
            if self._tags is None:
                self._tags = {t.name.lower(): t.name for t in self.client.Tag.all() if t.name}
            return self._tags

    def find_tag(self, name: str) -> str | None:
        return self._tag_index().get(name.lower())

    def create_tag(self, name: str) -> str:
        try:
            self.client.Tag.create(name=name)
        except ConflictError:
            with self._lock:
                self._tags = None
            found = self.find_tag(name)
            if found is None:
                raise
            return found
        with self._lock:
            self._tag_index()[name.lower()] = name
        return name

    def tag_contacts(self, name: str, contact_ids: list[str]) -> None:
        """LiveChat tags threads, not customers: nothing to write (declared ``contact.tags``)."""

    # -- fields --------------------------------------------------------------------------------
    def find_field(self, name: str) -> str | None:
        return name

    def create_field(self, name: str, data_type: str, description: str | None) -> str:
        return name  # session fields are free-form

    # -- contacts ------------------------------------------------------------------------------
    @staticmethod
    def _key(contact: Any) -> str:
        """What finds the customer again: its email, else its source reference."""
        email = str(contact.email or "").strip().lower()
        return email or f"{provider_of(contact)}:{contact.id}"

    @staticmethod
    def _fields(contact: Any) -> dict[str, Any]:
        fields: dict[str, Any] = {"name": contact.name, "email": contact.email,
                                  "phone": contact.phone, "avatar_url": contact.avatar_url}
        fields = {k: str(v).strip() for k, v in fields.items() if v}
        data = scalars(contact.custom_attributes)
        if contact.external_id:
            data["external_id"] = str(contact.external_id)
        if not contact.email:
            data[MARKER_KEY] = f"{provider_of(contact)}:{contact.id}"
        if data:
            fields["custom_attributes"] = data
        return fields

    def _index(self) -> dict[str, str]:
        """email / ``migrated_from`` -> customer id, from one walk of the archives per run
        (plus what this run creates): a customer is listed once a chat of theirs exists, and
        a lookup only runs after a crash or a lost answer, so walking again on a miss would
        cost a walk per contact in reconcile mode and find nothing more."""
        with self._lock:
            if self._customers is not None:
                return self._customers
        index: dict[str, str] = {}
        for customer in self.client.Contact.all():
            email = str(customer.peek("email") or "").lower()
            if email:
                index.setdefault(email, str(customer.id))
            for item in customer.peek("session_fields") or []:
                if isinstance(item, Mapping) and item.get(MARKER_KEY):
                    index.setdefault(str(item[MARKER_KEY]), str(customer.id))
        with self._lock:
            self._customers = {**(self._customers or {}), **index}
            return self._customers

    def find_contact(self, contact: Any) -> str | None:
        key = self._key(contact)
        found = self._index().get(key)
        if found is not None and not self.dry_run:
            self.update_contact(found, contact)  # a create may have stopped half-way
        return found

    def create_contact(self, contact: Any) -> str:
        customer = self.client.Contact.create(**self._fields(contact))
        cid = str(customer.id)
        with self._lock:
            if self._customers is not None:
                self._customers[self._key(contact)] = cid
        return cid

    def update_contact(self, target_id: str, contact: Any) -> None:
        """Send only the fields that differ (``update_customer``)."""
        current = self.client.Contact.find(id=target_id)
        for key, value in self._fields(contact).items():
            if key == "custom_attributes":
                have = dict(current.custom_attributes or {})
                if any(have.get(k) != v for k, v in value.items()):
                    current.custom_attributes = {**have, **value}
            elif getattr(current, key) != value:
                setattr(current, key, value)
        current.save()

    # -- conversations and messages ------------------------------------------------------------
    @staticmethod
    def _event(msg: Any, batch: Any = None) -> dict[str, Any]:
        """A ``message`` event: plain text (LiveChat shows no HTML), link-only attachments
        appended."""
        text = text_of(batch.text(msg.body) if batch is not None else with_attachments(msg))
        return {"type": "message", "text": text or "(empty message)",
                "custom_id": custom_id(msg),
                "visibility": "agents" if msg.kind == "note" else "all"}

    def _parts(self, msg: Any, batch: Any) -> list[tuple[str, Any]]:
        """``(custom_id, file or None)`` of the events one message becomes: its text (unless
        it has none and has files), then a ``file`` event per file. The first event carries
        the message's ``custom_id``, the others ``<custom_id>#file<n>``."""
        parts: list[tuple[str, Any]] = []
        if text_of(batch.text(msg.body)) or not batch.sent:
            parts.append(("", None))
        parts += [(f"#file{n}", f) for n, f in enumerate(batch.sent)]
        base = custom_id(msg)
        return [(base if i == 0 else base + suffix, f) for i, (suffix, f) in enumerate(parts)]

    def _part_event(self, msg: Any, batch: Any, cid: str, f: Any) -> dict[str, Any]:
        """The event of one part; a file is uploaded first (``upload_file``)."""
        if f is None:
            return {**self._event(msg, batch), "custom_id": cid}
        url = self.client.Conversation.upload(f.open(), f.name)
        return {"type": "file", "url": url, "custom_id": cid,
                "visibility": "agents" if msg.kind == "note" else "all"}

    @staticmethod
    def _has(chat: Any, wanted: str) -> bool:
        return any(m.peek("custom_id") == wanted for m in chat.messages)

    def _send_parts(self, chat_id: str, msg: Any, batch: Any, parts: list[tuple[str, Any]],
                    *, check: bool) -> None:
        """Send the parts the target does not hold yet (``check``: look in the chat's events
        first, by ``custom_id``); then record the message's files as held."""
        chat = self.client.Conversation.find(id=chat_id) if check else None
        for cid, f in parts:
            if f is not None and f.done:
                continue
            if chat is not None and self._has(chat, cid):
                if f is not None:
                    batch.done(f, cid, reconciled=True)
                continue
            self._send(chat_id, self._part_event(msg, batch, cid, f))
            if f is not None:
                batch.done(f, cid)
        batch.all_done(custom_id(msg), reconciled=check)  # the links in the text

    def _send(self, chat_id: str, event: dict[str, Any]) -> None:
        chat = self.client.Conversation.ref(chat_id)
        try:
            chat.send_event(event)
        except ChatInactive:
            # a delta run on a closed chat: a new thread carries the message
            self.client.Conversation.find(id=chat_id).resume(events=[event])

    def find_conversation(self, contact_id: str | None, conv: Any, first: Any) -> str | None:
        with self.files.prepare(first) as batch:
            filters = {"customer_id": contact_id} if contact_id \
                else {"query": self._event(first, batch)["text"]}
            seen: set[str] = set()
            for listed in self.client.Conversation.archived(**filters):  # one per thread
                if str(listed.id) in seen:
                    continue
                seen.add(str(listed.id))
                chat = self.client.Conversation.find(id=listed.id)
                if self._has(chat, custom_id(first)):
                    if not self.dry_run:  # files a crash left unsent
                        self._send_parts(str(chat.id), first, batch,
                                         self._parts(first, batch), check=True)
                    return str(chat.id)
        return None

    def create_conversation(self, contact_id: str | None, conv: Any, first: Any,
                            author_id: str | None) -> str:
        customer = self.client.Contact.ref(contact_id) if contact_id else None
        with self.files.prepare(first) as batch:
            (cid, f), *rest = self._parts(first, batch)
            chat = self.client.Conversation.start(
                customer=customer, events=[self._part_event(first, batch, cid, f)])
            if f is not None:
                batch.done(f, cid)
            self._send_parts(str(chat.id), first, batch, rest, check=False)
        return str(chat.id)

    def find_message(self, conversation_id: str, msg: Any) -> str | None:
        chat = self.client.Conversation.find(id=conversation_id)
        if not self._has(chat, custom_id(msg)):
            return None
        if not self.dry_run and msg.attachments:  # files a crash left unsent
            with self.files.prepare(msg) as batch:
                self._send_parts(conversation_id, msg, batch, self._parts(msg, batch),
                                 check=True)
        return custom_id(msg)

    def add_message(self, conversation_id: str, msg: Any, contact_id: str | None,
                    author_id: str | None) -> str:
        with self.files.prepare(msg) as batch:
            self._send_parts(conversation_id, msg, batch, self._parts(msg, batch), check=False)
        return custom_id(msg)

    def finish_conversation(self, conversation_id: str, conv: Any, assignee_id: str | None,
                            tags: list[str]) -> None:
        chat = self.client.Conversation.find(id=conversation_id)
        have = {str(t.peek("name") or t.id).lower() for t in chat.tags or []}
        for name in tags:
            if name.lower() not in have:
                chat.add_tag(self.find_tag(name) or self.create_tag(name))
        wanted_closed = str(conv.state) == "closed"
        if wanted_closed and chat.state != "closed":
            try:
                chat.close()
            except ChatInactive:
                pass  # closed since it was read
        elif not wanted_closed and chat.state == "closed":
            try:
                chat.resume()
            except ChatModelsError:
                if self.client.Conversation.find(id=conversation_id).state == "closed":
                    raise

    # -- rollback ------------------------------------------------------------------------------
    def delete_tag(self, tag_id: str) -> None:
        """``delete_tag`` (Configuration API; a tag is named by its name)."""
        self.client.Tag.ref(tag_id).delete()
        with self._lock:
            self._tags = None

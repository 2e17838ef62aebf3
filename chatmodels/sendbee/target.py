"""The Sendbee migration target (API v2, one WhatsApp business number): canonical objects
written through the object model of :mod:`chatmodels.sendbee`.

WhatsApp cannot import history: a conversation exists once the contact writes or a template is
sent, and sending anything messages the contact *now*. So this target writes contacts, tags,
contact fields and notes, and declares everything of the conversations (messages, their
authors and times) as not written; the engine counts those lines in the fidelity report.

* a contact is its phone number (normalised to ``+<digits>``): contacts without a valid one
  are skipped; the target id of a contact is that phone number (Sendbee has no lookup by id,
  only a search, so the natural key is what finds it again after a crash);
* tags are found by exact name or created; contacts are subscribed with their tags, and
  ``tag_contacts`` adds any that is missing;
* contact fields are found by name or created (``number`` for integers and floats); values are
  sent as text; fields a source does not type (Crisp people data) are defined from the first
  value;
* notes are appended to the contact (no author, no time) and found again by their text;
* the run marker is the single option of a ``list`` contact field ``chatmodels_journal``.

The contract of each method is :class:`chatmodels.migrate.targets.Target`'s.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, ClassVar

from ..client import Client
from ..errors import ChatModelsError, ResourceNotFound
from ..migrate.targets import (
    MARKER_FIELD,
    Target,
    marker_text,
    parse_marker,
    plain,
    scalars,
)
from .contacts import FIELD_TYPE_OF

_PHONE = re.compile(r"^\+[1-9]\d{6,14}$")
_HISTORY = "not written: WhatsApp cannot import history (sending it would message the " \
           "contact now)"


def phone_of(value: Any) -> str | None:
    """``value`` as an international number ``+<digits>`` (spaces, dots, dashes, brackets and
    a ``00`` prefix removed), ``None`` when it is not one."""
    text = re.sub(r"[\s().\-/]", "", str(value or ""))
    if text.startswith("00"):
        text = "+" + text[2:]
    return text if _PHONE.match(text) else None


class SendbeeTarget(Target):
    """Writes to Sendbee API v2 (see the module docstring)."""

    provider = "sendbee"
    writes = frozenset({"contacts", "tags", "contact_fields", "notes"})
    fidelity: ClassVar[dict[str, str]] = {
        "contact.phone=": "not migrated: a WhatsApp contact is its phone number (skipped with "
                          "its notes and tags)",
        "contact.email": "not carried (Sendbee contacts have no email)",
        "contact.external_id": "not carried (Sendbee contacts have no external id)",
        "contact.created_at": "not carried (Sendbee dates a contact when it subscribes)",
        "contact.last_seen_at": "not carried (Sendbee records the contact's own activity)",
        "contact.avatar_url": "not carried (WhatsApp shows the contact's own picture)",
        "contact.companies": "not carried (Sendbee contacts have no companies)",
        "contact.location": "not carried (Sendbee contacts have no location)",
        "contact.unsubscribed_from_emails": "not carried (no email on Sendbee)",
        "contact.custom_attributes": "kept as contact fields, values as text (lists and "
                                     "objects dropped)",
        "note.author_id": "not carried (Sendbee notes have no author)",
        "note.created_at": "not carried (Sendbee notes have no time)",
        "conversation.created_at": _HISTORY,
        "conversation.assignee_id": _HISTORY,
        "conversation.state": _HISTORY,
        "message.body": _HISTORY,
        "message.attachments": _HISTORY,
        "message.author_type": _HISTORY,
        "message.author_id": _HISTORY,
        "message.created_at": _HISTORY,
    }

    deletes = frozenset({"tags", "contact_fields"})
    undeletable: ClassVar[dict[str, str]] = {
        "contacts": "Sendbee's API cannot delete a contact",
        "notes": "Sendbee's API cannot delete a note (and its contacts stay)",
    }

    def __init__(self, client: Client, **kwargs: Any) -> None:
        super().__init__(client, **kwargs)
        self._tags: set[str] | None = None
        self._fields: dict[str, Any] | None = None
        self._ids: dict[str, str] = {}  # phone -> Sendbee contact id (ids never change)

    # -- identity and marker -------------------------------------------------------------------
    @classmethod
    def account_of(cls, client: Client) -> str:
        """A digest of the API key (Sendbee names no account; a key is one business number)."""
        return str(client.options.get("account") or "")

    def _marker_field(self) -> Any:
        for f in self.client.ContactField.all(search=MARKER_FIELD):
            if f.name == MARKER_FIELD:
                return f
        return None

    def read_marker(self) -> dict[str, Any] | None:
        found = self._marker_field()
        options = found.options if found is not None else None
        return parse_marker(options[0]) if isinstance(options, list) and options else None

    def write_marker(self, journal_id: str, generation: int) -> None:
        """A ``list`` contact field whose only option holds the journal id and generation."""
        text = marker_text(journal_id, generation)
        found = self._marker_field()
        if found is None:
            try:
                self.client.ContactField.create(name=MARKER_FIELD, type="list", options=[text])
                return
            except ChatModelsError:
                found = self._marker_field()  # created meanwhile (a lost answer)
                if found is None:
                    raise
        found.options = [text]
        found.save()

    # -- tags ----------------------------------------------------------------------------------
    def _tag_index(self) -> set[str]:
        with self._lock:
            if self._tags is None:
                self._tags = {t.name for t in self.client.Tag.all() if t.name}
            return self._tags

    def find_tag(self, name: str) -> str | None:
        """The tag called exactly ``name`` (its name is what contacts are tagged with)."""
        return name if name in self._tag_index() else None

    def create_tag(self, name: str) -> str:
        self.client.Tag.create(name=name)  # an existing name returns that tag
        with self._lock:
            self._tag_index().add(name)
        return name

    def tag_contacts(self, name: str, contact_ids: list[str]) -> None:
        """Add the tag to each contact lacking it (a PUT only then; read fresh first, as
        Sendbee replaces a contact's tags with the list it is sent)."""
        for phone in contact_ids:
            if phone:
                self._contact(phone).add_tag(name)

    # -- fields --------------------------------------------------------------------------------
    def _field_index(self) -> dict[str, Any]:
        with self._lock:
            if self._fields is None:
                self._fields = {f.name: f for f in self.client.ContactField.all() if f.name}
            return self._fields

    def find_field(self, name: str) -> str | None:
        f = self._field_index().get(name)
        return str(f.id) if f is not None else None

    def create_field(self, name: str, data_type: str, description: str | None) -> str:
        kind = FIELD_TYPE_OF.get(data_type, "text")
        if kind == "list":
            kind = "text"  # a list field needs its options up front: keep the values as text
        f = self.client.ContactField.create(name=name, type=kind)
        with self._lock:
            self._field_index()[name] = f
        return str(f.id)

    # -- contacts ------------------------------------------------------------------------------
    @staticmethod
    def _values(contact: Any) -> dict[str, Any]:
        """Custom attributes as Sendbee contact field values (text)."""
        out: dict[str, Any] = {}
        for key, value in scalars(contact.custom_attributes).items():
            if key == MARKER_FIELD or value is None or value == "":
                continue
            out[key] = ("true" if value else "false") if isinstance(value, bool) else str(value)
        return out

    @staticmethod
    def _tag_names(contact: Any) -> list[str]:
        return sorted({n for n in (t.peek("name") for t in (contact.tags or [])) if n})

    def cannot_create_contact(self, contact: Any) -> str | None:
        if phone_of(contact.phone) is None:
            return "no phone number in international format: a WhatsApp contact is one"
        return None

    def _contact(self, phone: str) -> Any:
        """The target contact with this phone number, read now."""
        found = self.client.Contact.find(phone=phone)
        with self._lock:
            self._ids[phone] = str(found.id)
        return found

    def read_contact(self, contact_id: str) -> Any:
        """Contacts are found by their phone number (their target id here)."""
        return self._contact(contact_id)

    def _contact_id(self, phone: str) -> str:
        with self._lock:
            known = self._ids.get(phone)
        return known or str(self._contact(phone).id)

    def find_contact(self, contact: Any) -> str | None:
        phone = phone_of(contact.phone)
        if phone is None:
            return ""
        try:
            found = self._contact(phone)
        except ResourceNotFound:
            return None
        if not self.dry_run:
            self._update(found, contact)  # a create may have stopped half-way
        return phone

    def create_contact(self, contact: Any) -> str:
        phone = phone_of(contact.phone)
        if phone is None:
            return ""
        values = self._values(contact)
        self._define_fields(values)
        fields: dict[str, Any] = {"phone": phone}
        if contact.name:
            fields["name"] = str(contact.name)
        tags = self._tag_names(contact)
        if tags:
            fields["tags"] = tags
        if values:
            fields["custom_attributes"] = values
        created = self.client.Contact.create(**fields)  # subscribing twice updates, no copy
        with self._lock:
            self._ids[phone] = str(created.id)
        return phone

    def update_contact(self, target_id: str, contact: Any) -> None:
        phone = phone_of(contact.phone)
        if not target_id or phone is None:
            return
        try:
            current = self._contact(target_id)
        except ResourceNotFound:
            current = self._contact(phone)  # the number changed on the target meanwhile
        self._update(current, contact)

    def _update(self, current: Any, contact: Any) -> None:
        """Send only what differs: name, phone, missing tags, changed field values."""
        phone = phone_of(contact.phone)
        if phone and current.phone != phone:
            current.phone = phone
        if contact.name and current.name != contact.name:
            current.name = str(contact.name)
        have = [t.peek("name") for t in (current.tags or [])]
        missing = [n for n in self._tag_names(contact) if n not in have]
        if missing:
            current.tags = [n for n in have if n] + missing
        values = self._values(contact)
        self._define_fields(values)
        existing = current.custom_attributes or {}
        changed = {k: v for k, v in values.items() if existing.get(k) != v}
        if changed:
            current.custom_attributes = {**existing, **changed}
        current.save()  # nothing is sent when nothing changed

    # -- notes ---------------------------------------------------------------------------------
    def find_note(self, contact_id: str | None, note: Any,
                  taken: Sequence[str] = ()) -> str | None:
        if not contact_id:
            return ""
        body = plain(note.body)
        for existing in self.client.Note.all(contact=self._contact(contact_id)):
            if body and plain(existing.body) == body \
                    and str(existing.id) not in taken:
                return str(existing.id)
        return None

    def create_note(self, contact_id: str | None, note: Any, author_id: str | None) -> str:
        """Append the note's text (Sendbee keeps no author or time)."""
        body = plain(note.body)
        if not contact_id or not body:
            return ""
        return str(self.client.Note.create(contact=self._contact_id(contact_id), body=body).id)

    # -- rollback ------------------------------------------------------------------------------
    def delete_tag(self, tag_id: str) -> None:
        """``DELETE /contacts/tags`` (``tag_id`` is the tag's name, as :meth:`create_tag`
        returns it)."""
        self.client.Tag.find(name=tag_id).delete()
        with self._lock:
            self._tags = None

    def delete_field(self, field_id: str) -> None:
        """``DELETE /contacts/fields`` of the field with this id."""
        self._delete_field_by_id(field_id)

    def delete_marker(self) -> str | None:
        """Delete the marker field."""
        found = self._marker_field()
        if found is not None:
            found.delete()
        return None

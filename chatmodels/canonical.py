"""Canonical resource classes: the field names every provider maps its JSON onto.

A provider class (``intercom.Contact``, ``crisp.Contact``...) subclasses one of these, so code
written against the canonical fields, the migration engine first of all, works on any provider.
Timestamps are timezone-aware ``datetime`` objects (UTC); ``custom_attributes`` is a plain dict
of scalar values; references to other objects are model instances (often partial, see
:mod:`chatmodels.model`). Fields a provider lacks read as ``None``; provider-only fields live
beside the canonical ones and unknown wire fields in ``obj.extra``.
The reference table is ``docs/canonical-model.md``.
"""

from __future__ import annotations

from typing import ClassVar

from .model import Model

#: canonical conversation states
STATES = ("open", "pending", "snoozed", "closed")
#: canonical message kinds
MESSAGE_KINDS = ("comment", "note", "assignment", "open", "close", "snooze", "event")
#: canonical author types
AUTHOR_TYPES = ("contact", "agent", "bot", "system")
#: canonical data types of custom fields
DATA_TYPES = ("string", "integer", "float", "boolean", "date", "list")


class Canonical(Model):
    _canonical_root: ClassVar[bool] = False


class Contact(Canonical):
    """A person the workspace talks to (Intercom contact, Crisp people profile, ...)."""

    _canonical_root = True
    canonical_fields = (
        "id", "external_id", "email", "phone", "name", "role", "avatar_url", "created_at",
        "updated_at", "last_seen_at", "custom_attributes", "tags", "companies", "location",
        "unsubscribed_from_emails",
    )


class Tag(Canonical):
    """A label attached to contacts and conversations (Crisp: a segment name)."""

    _canonical_root = True
    _repr_fields: ClassVar[tuple[str, ...]] = ("name",)
    canonical_fields = ("id", "name")


class Conversation(Canonical):
    """A thread between contacts and agents; its messages in time order."""

    _canonical_root = True
    _repr_fields: ClassVar[tuple[str, ...]] = ("state", "title")
    canonical_fields = (
        "id", "title", "state", "created_at", "updated_at", "contacts", "assignee_id",
        "team_id", "tags", "messages", "custom_attributes", "priority", "read",
    )


class Message(Canonical):
    """One entry of a conversation: a comment, a private note, or a state change."""

    _canonical_root = True
    _repr_fields: ClassVar[tuple[str, ...]] = ("kind", "author_type")
    canonical_fields = (
        "id", "conversation_id", "kind", "body", "author_type", "author_id", "created_at",
        "attachments",
    )


class Agent(Canonical):
    """A teammate answering conversations (Intercom admin, Crisp operator)."""

    _canonical_root = True
    canonical_fields = ("id", "name", "email", "avatar_url", "away", "team_ids", "role")


class Team(Canonical):
    """A group of agents."""

    _canonical_root = True
    _repr_fields: ClassVar[tuple[str, ...]] = ("name",)
    canonical_fields = ("id", "name", "agent_ids")


class Note(Canonical):
    """A private note on a contact, written by an agent."""

    _canonical_root = True
    _repr_fields: ClassVar[tuple[str, ...]] = ("body",)
    canonical_fields = ("id", "contact_id", "author_id", "body", "created_at")


class ContactField(Canonical):
    """The definition of a custom attribute (Intercom data attribute, Crisp people data key)."""

    _canonical_root = True
    _repr_fields: ClassVar[tuple[str, ...]] = ("name", "data_type")
    canonical_fields = (
        "id", "name", "label", "data_type", "model", "description", "custom", "options",
        "archived",
    )


class Company(Canonical):
    """An organisation contacts belong to."""

    _canonical_root = True
    _repr_fields: ClassVar[tuple[str, ...]] = ("name", "company_id")
    canonical_fields = (
        "id", "company_id", "name", "website", "industry", "size", "created_at", "updated_at",
        "custom_attributes",
    )


class Segment(Canonical):
    """A saved filter of contacts (read-only on most providers)."""

    _canonical_root = True
    _repr_fields: ClassVar[tuple[str, ...]] = ("name",)
    # "member_count", not "count": ``Segment.count()`` is the collection count
    canonical_fields = ("id", "name", "created_at", "updated_at", "member_count")


class Event(Canonical):
    """Something a contact did (a data event), with free-form metadata."""

    _canonical_root = True
    _repr_fields: ClassVar[tuple[str, ...]] = ("name",)
    canonical_fields = ("id", "name", "contact_id", "email", "created_at", "metadata")

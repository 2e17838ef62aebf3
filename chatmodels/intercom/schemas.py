"""Marshmallow schemas: Intercom 2.16 JSON <-> canonical attribute names.

Attribute name = canonical name; ``data_key`` = Intercom's key. ``load_only`` marks what the
server sets (never sent back). Intercom's embedded lists (``{"type": "list", "data": [...]}``,
``{"type": "tag.list", "tags": [...]}``...) are unwrapped to plain lists of dicts, turned into
partial objects on first read.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marshmallow import fields, validate

from ..schema import Raw, UnixTime, WireSchema


class EmbeddedList(fields.Field):
    """An Intercom list wrapper -> the list of its items (dicts)."""

    def __init__(self, key: str = "data", **kwargs: Any) -> None:
        kwargs.setdefault("load_only", True)
        super().__init__(**kwargs)
        self.key = key

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, list):
            return value
        if isinstance(value, Mapping):
            items = value.get(self.key)
            if items is None:
                items = next((v for v in value.values() if isinstance(v, list)), [])
            return list(items)
        return []

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        return value


class Avatar(fields.Field):
    """``{"type": "avatar", "image_url": ...}`` or a URL string -> the URL."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, Mapping):
            return value.get("image_url")
        return value

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        return value


class AssigneeId(fields.Field):
    """``admin_assignee_id``/``team_assignee_id``: Intercom sends ``0`` for none -> ``None``;
    other ids -> strings (ids are strings everywhere in the canonical model)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if value in (None, "", 0, "0"):
            return None
        return str(value)

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        return 0 if value is None else value


def _str(**kw: Any) -> fields.String:
    return fields.String(allow_none=True, **kw)


class ContactSchema(WireSchema):
    id = _str(load_only=True)
    external_id = _str()
    email = fields.Email(allow_none=True)
    phone = _str()
    name = _str()
    role = fields.String(validate=validate.OneOf(["user", "lead"]))
    avatar_url = Avatar(data_key="avatar", allow_none=True)
    owner_id = fields.Integer(allow_none=True)
    created_at = UnixTime(load_only=True)
    updated_at = UnixTime(load_only=True)
    signed_up_at = UnixTime(allow_none=True)
    last_seen_at = UnixTime(allow_none=True)
    last_replied_at = UnixTime(load_only=True)
    last_contacted_at = UnixTime(load_only=True)
    custom_attributes = fields.Dict(allow_none=True)
    unsubscribed_from_emails = fields.Boolean(allow_none=True)
    language_override = _str()
    tags = EmbeddedList()
    companies = EmbeddedList()
    # the embedded ``notes`` summary stays in ``extra``: ``contact.notes`` is the related
    # collection (``Note.all(contact=...)``)
    location = Raw(load_only=True)
    workspace_id = _str(load_only=True)


class TagSchema(WireSchema):
    id = _str(load_only=True)
    name = fields.String(validate=validate.Length(min=1))
    applied_at = UnixTime(load_only=True)
    applied_by = Raw(load_only=True)


class MessageSchema(WireSchema):
    """A conversation part (or the conversation's source), or an outbound message."""

    id = _str(load_only=True)
    kind = _str(data_key="part_type", load_only=True)
    body = _str()
    subject = _str()
    message_type = _str()
    author = Raw(load_only=True)
    assigned_to = Raw(load_only=True)
    conversation_id = _str(load_only=True)
    created_at = UnixTime(load_only=True)
    updated_at = UnixTime(load_only=True)
    attachments = Raw(load_only=True)
    external_id = _str(load_only=True)
    redacted = fields.Boolean(load_only=True)


class ConversationSchema(WireSchema):
    id = _str(load_only=True)
    title = _str()
    state = _str(load_only=True)
    open = fields.Boolean(load_only=True)
    read = fields.Boolean(allow_none=True)
    priority = _str(validate=validate.OneOf(["priority", "not_priority"]))
    created_at = UnixTime(load_only=True)
    updated_at = UnixTime(load_only=True)
    waiting_since = UnixTime(load_only=True)
    snoozed_until = UnixTime(load_only=True)
    assignee_id = AssigneeId(data_key="admin_assignee_id", load_only=True, allow_none=True)
    team_id = AssigneeId(data_key="team_assignee_id", load_only=True, allow_none=True)
    tags = EmbeddedList("tags")
    contacts = EmbeddedList("contacts")
    teammates = EmbeddedList("teammates")
    source = Raw(load_only=True)
    messages = EmbeddedList("conversation_parts", data_key="conversation_parts")
    custom_attributes = fields.Dict(allow_none=True)
    statistics = Raw(load_only=True)
    company = Raw(load_only=True)


class AdminSchema(WireSchema):
    id = _str(load_only=True)
    name = _str(load_only=True)
    email = _str(load_only=True)
    job_title = _str(load_only=True)
    away = fields.Boolean(data_key="away_mode_enabled", load_only=True)
    away_mode_reassign = fields.Boolean(load_only=True)
    has_inbox_seat = fields.Boolean(load_only=True)
    team_ids = Raw(load_only=True)
    avatar_url = Avatar(data_key="avatar", load_only=True)
    role = Raw(load_only=True)


class TeamSchema(WireSchema):
    id = _str(load_only=True)
    name = _str(load_only=True)
    agent_ids = Raw(data_key="admin_ids", load_only=True)


class NoteSchema(WireSchema):
    id = _str(load_only=True)
    body = fields.String(validate=validate.Length(min=1))
    created_at = UnixTime(load_only=True)
    contact = Raw(load_only=True)
    author = Raw(load_only=True)


class CompanySchema(WireSchema):
    id = _str(load_only=True)
    company_id = _str()
    name = _str()
    website = _str()
    industry = _str()
    size = fields.Integer(allow_none=True)
    plan = Raw()
    monthly_spend = fields.Float(allow_none=True)
    remote_created_at = UnixTime(allow_none=True)
    created_at = UnixTime(load_only=True)
    updated_at = UnixTime(load_only=True)
    last_request_at = UnixTime(load_only=True)
    session_count = fields.Integer(load_only=True)
    user_count = fields.Integer(load_only=True)
    custom_attributes = fields.Dict(allow_none=True)
    tags = EmbeddedList("tags")
    segments = EmbeddedList("segments")


class SegmentSchema(WireSchema):
    id = _str(load_only=True)
    name = _str(load_only=True)
    created_at = UnixTime(load_only=True)
    updated_at = UnixTime(load_only=True)
    person_type = _str(load_only=True)
    member_count = fields.Integer(data_key="count", load_only=True, allow_none=True)


DATA_TYPES = ["string", "integer", "float", "boolean", "date", "datetime", "options"]


class DataAttributeSchema(WireSchema):
    id = Raw(load_only=True)
    model = fields.String(validate=validate.OneOf(["contact", "company", "conversation"]))
    name = fields.String(validate=validate.Length(min=1))
    full_name = _str(load_only=True)
    label = _str(load_only=True)
    description = _str()
    data_type = fields.String(validate=validate.OneOf(DATA_TYPES))
    options = Raw()
    messenger_writable = fields.Boolean(allow_none=True)
    api_writable = fields.Boolean(load_only=True)
    ui_writable = fields.Boolean(load_only=True)
    custom = fields.Boolean(load_only=True)
    archived = fields.Boolean(allow_none=True)
    created_at = UnixTime(load_only=True)
    updated_at = UnixTime(load_only=True)


class EventSchema(WireSchema):
    name = fields.String(data_key="event_name", validate=validate.Length(min=1))
    created_at = UnixTime()
    contact_id = _str(data_key="id")
    intercom_user_id = _str(load_only=True)
    user_id = _str()
    email = _str()
    metadata = fields.Dict(allow_none=True)

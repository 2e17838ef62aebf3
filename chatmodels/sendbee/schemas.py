"""Marshmallow schemas: Sendbee API v2 JSON <-> attribute names.

Attribute name = canonical name where one wire key holds the canonical value (``created_at``,
``updated_at`` <- ``modified_at``, ``body``...), else Sendbee's own name (``folder``,
``status``, ``contact_fields``...). Values spread over several keys (a contact's
``custom_attributes`` from its ``contact_fields`` list) are derived by the resource classes.
``load_only`` marks what the server sets. Sendbee writes use request bodies that differ from
what it answers (``tags`` answered as objects, sent as names), so the resources build them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from marshmallow import ValidationError as MarshmallowValidationError
from marshmallow import fields

from ..schema import Raw, WireSchema

UTC = dt.timezone.utc
_fromiso = dt.datetime.fromisoformat


class Time(fields.Field):
    """A Sendbee timestamp: ``"2024-05-01 10:00:00"``, ISO 8601 or unix seconds -> an aware
    UTC datetime (a time without offset is UTC)."""

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None,
                     **kwargs: Any) -> dt.datetime | None:
        if type(value) is str and len(value) == 19:
            try:  # the usual "YYYY-MM-DD HH:MM:SS": parsed as UTC in one C call
                return _fromiso(value + "+00:00")
            except ValueError:
                pass
        if value is None or value == "" or value == 0:
            return None
        if isinstance(value, dt.datetime):
            return value if value.tzinfo else value.replace(tzinfo=UTC)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return dt.datetime.fromtimestamp(value, tz=UTC)
        if isinstance(value, str):
            text = value.strip()
            if text.isdigit():
                return dt.datetime.fromtimestamp(int(text), tz=UTC)
            try:
                parsed = _fromiso(text.replace("Z", "+00:00"))
            except ValueError:
                raise MarshmallowValidationError("Not a timestamp.") from None
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
        raise MarshmallowValidationError("Not a timestamp.")

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        if isinstance(value, dt.datetime):
            if value.tzinfo is None:
                value = value.replace(tzinfo=UTC)
            return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
        return value


def _str(**kw: Any) -> fields.String:
    return fields.String(allow_none=True, **kw)


def _time(**kw: Any) -> Time:
    return Time(allow_none=True, **kw)


class ContactSchema(WireSchema):
    id = _str(load_only=True)
    name = _str()
    phone = _str()
    whatsapp_user_id = _str(load_only=True)
    status = _str(load_only=True)
    folder = _str(load_only=True)
    has_messaging_consent = fields.Boolean(load_only=True, allow_none=True)
    created_at = _time(load_only=True)
    updated_at = _time(data_key="modified_at", load_only=True)
    # answered as [{id, name}], sent as names (built into partial Tags on first read)
    tags = Raw()
    # answered as [{key, value}]; canonical ``custom_attributes`` is derived from it
    contact_fields = Raw(load_only=True)
    # answered as [{value, id}]; read through ``contact.notes()``
    note_list = Raw(data_key="notes", load_only=True)


class TagSchema(WireSchema):
    id = _str(load_only=True)
    name = _str()
    editable = fields.Boolean(load_only=True, allow_none=True)
    disable_contact = fields.Boolean(load_only=True, allow_none=True)
    icons = Raw(load_only=True)


class ContactFieldSchema(WireSchema):
    id = _str(load_only=True)
    name = _str()
    type = _str()
    options = fields.List(fields.String(), allow_none=True)


class ConversationSchema(WireSchema):
    id = _str(load_only=True)
    folder = _str()
    chatbot_active = fields.Boolean(load_only=True, allow_none=True)
    platform = _str(load_only=True)
    created_at = _time(load_only=True)
    contact = Raw(load_only=True)
    last_message = Raw(load_only=True)


class MessageSchema(WireSchema):
    id = _str(load_only=True)
    body = _str(load_only=True)
    media_type = _str(load_only=True)
    media_url = _str(load_only=True)
    status = _str(load_only=True)
    direction = _str(load_only=True)
    created_at = _time(data_key="sent_at", load_only=True)
    fail_reason = _str(load_only=True)
    action = _str(load_only=True)
    meta_data = Raw(load_only=True)
    from_user_id = _str(load_only=True)
    to_user_id = _str(load_only=True)


class MessageTemplateSchema(WireSchema):
    id = _str(load_only=True)
    keyword = _str(load_only=True)
    name = _str(load_only=True)
    category = _str(load_only=True)
    text = _str(load_only=True)
    language = _str(load_only=True)
    status = _str(load_only=True)
    rejected_reason = _str(load_only=True)
    attachment = _str(load_only=True)
    tags = Raw(load_only=True)
    button_tags = Raw(load_only=True)
    buttons = Raw(load_only=True)


class TeamSchema(WireSchema):
    id = _str(load_only=True)
    name = _str(load_only=True)
    members = Raw(load_only=True)


class AgentSchema(WireSchema):
    id = _str(load_only=True)
    name = _str(load_only=True)
    role = _str(load_only=True)
    online = Raw(load_only=True)
    available = Raw(load_only=True)
    teams = Raw(load_only=True)


class NoteSchema(WireSchema):
    id = _str(load_only=True)
    body = _str(data_key="value")

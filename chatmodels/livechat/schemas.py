"""Marshmallow schemas: LiveChat v3.6 JSON <-> attribute names.

Attribute = canonical name where one wire key holds the canonical value (``avatar_url`` <-
``avatar``, ``phone`` <- ``phone_number``), else LiveChat's own name. Times are RFC 3339 strings
on the wire and aware datetimes on objects. ``load_only`` marks what the server sets; the
writable fields are exactly what ``update_*`` accepts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from marshmallow import ValidationError as MarshmallowValidationError
from marshmallow import fields, validate

from ..schema import Raw, WireSchema

UTC = dt.timezone.utc


def parse_time(value: Any) -> dt.datetime | None:
    """An RFC 3339 string (``...Z`` or ``+01:00``, up to microseconds) -> aware datetime."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def format_time(value: dt.datetime) -> str:
    """An aware datetime as LiveChat writes it: ``2020-05-07T07:11:28.288340Z``."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class Time(fields.Field):
    """An RFC 3339 date-time on the wire <-> aware datetime."""

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None,
                     **kwargs: Any) -> dt.datetime | None:
        if isinstance(value, dt.datetime):
            return value
        parsed = parse_time(value)
        if parsed is None:
            raise MarshmallowValidationError("Not an RFC 3339 date-time.")
        return parsed

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        if value is None:
            return None
        if isinstance(value, dt.datetime):
            return format_time(value)
        raise MarshmallowValidationError("Not a datetime.")


def _str(**kw: Any) -> fields.String:
    return fields.String(allow_none=True, **kw)


def _time(**kw: Any) -> Time:
    return Time(allow_none=True, **kw)


class ChatSchema(WireSchema):
    """A chat (``get_chat``, ``list_archives``) or a chat summary (``list_chats``)."""

    id = _str(load_only=True)
    thread = Raw(load_only=True)
    last_thread_summary = Raw(load_only=True)
    last_event_per_type = Raw(load_only=True)
    users = Raw(load_only=True)
    properties = Raw(load_only=True)
    access = Raw(load_only=True)
    is_followed = fields.Boolean(load_only=True, allow_none=True)


class ThreadSchema(WireSchema):
    id = _str(load_only=True)
    active = fields.Boolean(load_only=True, allow_none=True)
    user_ids = Raw(load_only=True)
    events = Raw(load_only=True)
    properties = Raw(load_only=True)
    access = Raw(load_only=True)
    tags = Raw(load_only=True)
    summary = Raw(load_only=True)
    queue = Raw(load_only=True)
    customer_visit = Raw(load_only=True)
    previous_thread_id = _str(load_only=True)
    next_thread_id = _str(load_only=True)
    restricted_access = _str(load_only=True)
    created_at = _time(load_only=True)


VISIBILITIES = ["all", "agents"]


class EventSchema(WireSchema):
    """An event; the type-specific keys (``url``, ``fields``, ``elements``...) stay in
    ``extra``. ``type`` is LiveChat's event type, ``kind`` the canonical one."""

    id = _str(load_only=True)
    custom_id = _str(load_only=True)
    type = _str(load_only=True)
    body = _str(data_key="text", load_only=True)
    author_id = _str(load_only=True)
    visibility = fields.String(load_only=True, validate=validate.OneOf(VISIBILITIES))
    properties = Raw(load_only=True)
    created_at = _time(load_only=True)


class CustomerSchema(WireSchema):
    """A customer (``get_customer``); writable: what ``update_customer`` takes."""

    id = _str(load_only=True)
    type = _str(load_only=True)
    name = _str()
    email = fields.Email(allow_none=True)
    avatar_url = _str(data_key="avatar")
    phone = _str(data_key="phone_number")
    session_fields = fields.List(fields.Dict(), allow_none=True)
    address = fields.Dict(allow_none=True)
    omnichannel = fields.Dict(allow_none=True)
    email_verified = fields.Boolean(load_only=True, allow_none=True)
    visit = Raw(load_only=True)
    statistics = Raw(load_only=True)
    chat_ids = Raw(load_only=True)
    created_at = _time(load_only=True)
    last_seen_at = _time(data_key="customer_last_event_created_at", load_only=True)


ROLES = ["owner", "viceowner", "administrator", "normal"]


class AgentSchema(WireSchema):
    """An agent (Configuration API); writable: what ``update_agent`` takes."""

    id = _str(load_only=True)
    account_id = _str(load_only=True)
    name = _str()
    role = fields.String(allow_none=True, validate=validate.OneOf(ROLES))
    avatar_url = _str(data_key="avatar_path")
    job_title = _str()
    mobile = _str()
    max_chats_count = fields.Integer(allow_none=True, validate=validate.Range(min=0))
    groups = fields.List(fields.Dict(), allow_none=True)
    notifications = fields.List(fields.String(), allow_none=True)
    email_subscriptions = fields.List(fields.String(), allow_none=True)
    work_scheduler = fields.Dict(allow_none=True)
    login_status = _str(load_only=True)
    suspended = fields.Boolean(load_only=True, allow_none=True)
    awaiting_approval = fields.Boolean(load_only=True, allow_none=True)
    summaries = Raw(load_only=True)
    last_logout = _time(load_only=True)


PRIORITIES = ["first", "normal", "last", "supervisor"]


class GroupSchema(WireSchema):
    id = fields.Integer(load_only=True, allow_none=True)
    name = fields.String(allow_none=True, validate=validate.Length(min=1, max=180))
    language_code = _str()
    agent_priorities = fields.Dict(keys=fields.String(),
                                   values=fields.String(validate=validate.OneOf(PRIORITIES)),
                                   allow_none=True)
    routing_status = _str(load_only=True)


class TagSchema(WireSchema):
    name = fields.String(load_only=True)
    group_ids = fields.List(fields.Integer(), allow_none=True)
    author_id = _str(load_only=True)
    created_at = _time(load_only=True)


class PropertySchema(WireSchema):
    """One property definition of ``list_properties`` (its name added as ``name``)."""

    name = _str(load_only=True)
    type = _str(load_only=True)
    description = _str(load_only=True)
    access = Raw(load_only=True)
    public_access = Raw(load_only=True)
    domain = Raw(load_only=True)
    range = Raw(load_only=True)
    default_value = Raw(load_only=True)
    owner_client_id = _str(load_only=True)


class WebhookSchema(WireSchema):
    """A registered webhook (``list_webhooks``). Its ``secret_key`` is never kept on the
    object (``list_webhooks`` does not return it either)."""

    id = _str(load_only=True)
    url = _str(load_only=True)
    action = _str(load_only=True)
    description = _str(load_only=True)
    filters = Raw(load_only=True)
    additional_data = Raw(load_only=True)
    owner_client_id = _str(load_only=True)
    type = _str(load_only=True)

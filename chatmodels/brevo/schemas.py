"""Marshmallow schemas: Brevo API v3 JSON <-> canonical attribute names.

Attribute name = canonical (or Brevo-only snake_case) name, ``data_key`` = Brevo's key.
``load_only`` marks what the server sets. Contact and list timestamps are ISO strings,
conversation timestamps epoch milliseconds; both load as aware datetimes.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

from marshmallow import fields

from ..schema import Raw, UnixTime, WireSchema

UTC = dt.timezone.utc


@functools.lru_cache(maxsize=4096)
def parse_time(value: str) -> dt.datetime | None:
    """An ISO 8601 string from Brevo -> aware datetime (None when unreadable)."""
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class IsoTime(UnixTime):
    """An ISO 8601 string on the wire (Brevo's contacts, lists, CRM, events) <-> aware datetime."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        if isinstance(value, dt.datetime):
            if value.tzinfo is None:
                value = value.replace(tzinfo=UTC)
            return value.astimezone(UTC).isoformat(timespec="milliseconds").replace(
                "+00:00", "Z")
        return value


def _str(**kw: object) -> fields.String:
    return fields.String(allow_none=True, **kw)  # type: ignore[arg-type]


class ContactSchema(WireSchema):
    id = fields.Integer(load_only=True)
    email = fields.Email(allow_none=True)
    external_id = _str(data_key="ext_id")
    custom_attributes = fields.Dict(data_key="attributes", allow_none=True)
    unsubscribed_from_emails = fields.Boolean(data_key="emailBlacklisted", allow_none=True)
    sms_blacklisted = fields.Boolean(data_key="smsBlacklisted", allow_none=True)
    list_ids = fields.List(fields.Integer(), data_key="listIds", load_only=True)
    list_unsubscribed = fields.List(fields.Integer(), data_key="listUnsubscribed",
                                    load_only=True)
    # kept as Brevo's strings, parsed when read (Contact.created_at): listing stays cheap
    created_at_iso = fields.String(data_key="createdAt", load_only=True)
    updated_at_iso = fields.String(data_key="modifiedAt", load_only=True)
    statistics = Raw(load_only=True)


class ListSchema(WireSchema):
    id = fields.Integer(load_only=True)
    name = _str()
    folder_id = fields.Integer(data_key="folderId", allow_none=True)
    total_subscribers = fields.Integer(data_key="totalSubscribers", load_only=True)
    total_blacklisted = fields.Integer(data_key="totalBlacklisted", load_only=True)
    unique_subscribers = fields.Integer(data_key="uniqueSubscribers", load_only=True)
    created_at = UnixTime(data_key="createdAt", load_only=True)
    dynamic_list = fields.Boolean(data_key="dynamicList", load_only=True)
    campaign_stats = Raw(data_key="campaignStats", load_only=True)


class FolderSchema(WireSchema):
    id = fields.Integer(load_only=True)
    name = _str()
    total_subscribers = fields.Integer(data_key="totalSubscribers", load_only=True)
    total_blacklisted = fields.Integer(data_key="totalBlacklisted", load_only=True)
    unique_subscribers = fields.Integer(data_key="uniqueSubscribers", load_only=True)


class SegmentSchema(WireSchema):
    id = fields.Integer(load_only=True)
    name = _str(data_key="segmentName", load_only=True)
    category_name = _str(data_key="categoryName", load_only=True)
    updated_at = UnixTime(data_key="updatedAt", load_only=True)


class AttributeSchema(WireSchema):
    name = _str()
    category = _str()
    type = _str()
    enumeration = fields.List(fields.Dict(), allow_none=True)
    multi_category_options = fields.List(fields.String(), data_key="multiCategoryOptions",
                                         allow_none=True)
    calculated_value = _str(data_key="calculatedValue")


class CompanySchema(WireSchema):
    id = _str(load_only=True)
    custom_attributes = fields.Dict(data_key="attributes", allow_none=True)
    linked_contact_ids = fields.List(fields.Integer(), data_key="linkedContactsIds",
                                     load_only=True)
    linked_deal_ids = fields.List(fields.String(), data_key="linkedDealsIds", load_only=True)


class NoteSchema(WireSchema):
    id = _str(load_only=True)
    body = _str(data_key="text")
    contact_ids = fields.List(fields.Integer(), data_key="contactIds", allow_none=True)
    company_ids = fields.List(fields.String(), data_key="companyIds", allow_none=True)
    deal_ids = fields.List(fields.String(), data_key="dealIds", allow_none=True)
    author = Raw(data_key="authorId", load_only=True)
    created_at = UnixTime(data_key="createdAt", load_only=True)
    updated_at = UnixTime(data_key="updatedAt", load_only=True)


class EventSchema(WireSchema):
    name = _str(data_key="event_name")
    contact_id = fields.Integer(allow_none=True)
    created_at = IsoTime(data_key="event_date", allow_none=True)
    metadata = fields.Dict(data_key="event_properties", allow_none=True)
    contact_properties = fields.Dict(allow_none=True)
    identifiers = fields.Dict(allow_none=True)
    source = _str(load_only=True)
    object_type = _str(load_only=True)
    event_filter_id = _str(load_only=True)


class MessageSchema(WireSchema):
    id = _str(load_only=True)
    type = _str(load_only=True)
    body = _str(data_key="text")
    html = _str(load_only=True)
    visitor_id = _str(data_key="visitorId")
    agent_id = _str(data_key="agentId")
    agent_name = _str(data_key="agentName")
    agent_email = _str(data_key="agentEmail")
    group_id = _str(data_key="groupId")
    received_from = _str(data_key="receivedFrom")
    agent_userpic = _str(data_key="agentUserpic", load_only=True)
    created_at = UnixTime(unit="ms", data_key="createdAt", load_only=True)
    is_pushed = fields.Boolean(data_key="isPushed", load_only=True)
    is_bot = fields.Boolean(data_key="isBot", load_only=True)
    file = Raw(load_only=True)


class AgentSchema(WireSchema):
    id = _str()
    name = _str()
    email = fields.Email(allow_none=True)
    avatar_url = _str(data_key="userpic")
    received_from = _str(data_key="receivedFrom")

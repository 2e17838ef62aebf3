"""Marshmallow schemas: Crisp REST API v1 JSON <-> attribute names.

Attribute name = canonical name where one wire key holds the canonical value (``id`` <-
``people_id``, ``created_at`` <- ms timestamps...), else Crisp's own name (``person``,
``segments``, ``meta``...). Canonical values spread over nested Crisp objects (``name`` is
``person.nickname``) are derived by the resource classes, see ``resources.py``. ``load_only``
marks what the server sets.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marshmallow import fields, validate

from ..schema import Raw, UnixTime, WireSchema


def _str(**kw: object) -> fields.String:
    return fields.String(allow_none=True, **kw)  # type: ignore[arg-type]


def _ms(**kw: object) -> UnixTime:
    return UnixTime(unit="ms", allow_none=True, **kw)  # type: ignore[arg-type]


class CardActive(UnixTime):
    """A profile's ``active``: read as ``{"now": bool, "last": ms}`` (its ``last`` checked like
    any timestamp, the object kept for the resource to split), written as ms."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, Mapping):
            super()._deserialize(value.get("last"), attr, data, **kwargs)
            return dict(value)
        return super()._deserialize(value, attr, data, **kwargs)


class PeopleProfileSchema(WireSchema):
    """PeopleProfile; the writable card is ``email, person, company, segments, notepad, active``."""

    id = _str(data_key="people_id", load_only=True)
    email = fields.Email(allow_none=True)
    person = fields.Dict(allow_none=True)
    company = fields.Dict(allow_none=True)
    segments = fields.List(fields.String(validate=validate.Length(min=1)), allow_none=True)
    notepad = _str()
    # read as {"now": bool, "last": ms}, written as an ms integer (fixed up on load)
    last_seen_at = CardActive(unit="ms", allow_none=True, data_key="active")
    score = fields.Integer(load_only=True, allow_none=True)
    created_at = _ms(load_only=True)
    updated_at = _ms(load_only=True)


class ConversationSchema(WireSchema):
    id = _str(data_key="session_id", load_only=True)
    website_id = _str(load_only=True)
    inbox_id = _str(load_only=True)
    people_id = _str(load_only=True)
    crisp_state = _str(data_key="state", load_only=True)
    status = Raw(load_only=True)
    is_verified = fields.Boolean(load_only=True, allow_none=True)
    is_blocked = fields.Boolean(load_only=True, allow_none=True)
    availability = _str(load_only=True)
    active = Raw(load_only=True)
    last_message = _str(load_only=True)
    preview_message = Raw(load_only=True)
    topic = _str(load_only=True)
    verifications = Raw(load_only=True)
    participants = Raw(load_only=True)
    mentions = Raw(load_only=True)
    compose = Raw(load_only=True)
    unread = Raw(load_only=True)
    assigned = Raw(load_only=True)
    meta = fields.Dict(allow_none=True)
    created_at = _ms(load_only=True)
    updated_at = _ms(load_only=True)
    waiting_since = _ms(load_only=True)


MESSAGE_TYPES = ["text", "note", "file", "animation", "audio", "picker", "field", "carousel",
                 "event"]


class MessageSchema(WireSchema):
    fingerprint = Raw(load_only=True)
    conversation_id = _str(data_key="session_id", load_only=True)
    website_id = _str(load_only=True)
    type = fields.String(validate=validate.OneOf(MESSAGE_TYPES))
    from_ = fields.String(data_key="from", validate=validate.OneOf(["user", "operator"]))
    origin = _str()
    content = Raw()
    preview = Raw(load_only=True)
    mentions = Raw(load_only=True)
    read = Raw(load_only=True)
    delivered = Raw(load_only=True)
    ignored = Raw(load_only=True)
    edited = fields.Boolean(load_only=True, allow_none=True)
    translated = fields.Boolean(load_only=True, allow_none=True)
    automated = fields.Boolean(load_only=True, allow_none=True)
    created_at = _ms(data_key="timestamp", load_only=True)
    user = Raw(load_only=True)
    references = Raw(load_only=True)
    original = Raw(load_only=True)
    properties = Raw(load_only=True)


class OperatorSchema(WireSchema):
    """WebsiteOperator (the ``details`` of an operators list item)."""

    id = _str(data_key="user_id", load_only=True)
    email = _str(load_only=True)
    avatar_url = _str(data_key="avatar", load_only=True)
    first_name = _str(load_only=True)
    last_name = _str(load_only=True)
    role = _str(load_only=True)
    title = _str(load_only=True)
    availability = _str(load_only=True)
    has_token = fields.Boolean(load_only=True, allow_none=True)


class SegmentSchema(WireSchema):
    """A people (or conversation) segment suggestion: ``{segment, count}``; the name is the id."""

    name = _str(data_key="segment", load_only=True)
    # not ``count``: that name is the ``Listable.count()`` class method
    usage_count = fields.Integer(data_key="count", load_only=True, allow_none=True)


class DataKeySchema(WireSchema):
    """A people data key suggestion: ``{key, count}``."""

    name = _str(data_key="key", load_only=True)
    usage_count = fields.Integer(data_key="count", load_only=True, allow_none=True)


EVENT_COLORS = ["red", "orange", "yellow", "green", "blue", "purple", "pink", "brown", "grey",
                "black"]


class PeopleEventSchema(WireSchema):
    name = fields.String(data_key="text", validate=validate.Length(min=1))
    metadata = fields.Dict(data_key="data", allow_none=True)
    color = fields.String(validate=validate.OneOf(EVENT_COLORS), allow_none=True)
    created_at = _ms(data_key="timestamp", load_only=True)


class VisitorSchema(WireSchema):
    id = _str(data_key="session_id", load_only=True)
    inbox_id = _str(load_only=True)
    nickname = _str(load_only=True)
    email = _str(load_only=True)
    avatar = _str(load_only=True)
    useragent = _str(load_only=True)
    initiated = fields.Boolean(load_only=True, allow_none=True)
    active = fields.Boolean(load_only=True, allow_none=True)
    last_page = Raw(load_only=True)
    geolocation = Raw(load_only=True)
    timezone = Raw(load_only=True)
    capabilities = Raw(load_only=True)
    locales = Raw(load_only=True)


class WebsiteSchema(WireSchema):
    id = _str(data_key="website_id", load_only=True)
    name = _str(load_only=True)
    domain = _str(load_only=True)
    logo = _str(load_only=True)


class CompanySchema(WireSchema):
    """The ``company`` object of a people profile (Crisp companies have no id of their own)."""

    name = _str(load_only=True)
    legal_name = _str(load_only=True)
    domain = _str(load_only=True)
    url = _str(load_only=True)
    description = _str(load_only=True)
    timezone = Raw(load_only=True)
    phones = Raw(load_only=True)
    emails = Raw(load_only=True)
    geolocation = Raw(load_only=True)
    metrics = Raw(load_only=True)
    tags = Raw(load_only=True)

"""Intercom webhook notifications -> verified :class:`~chatmodels.webhooks.Event`.

Verification (Intercom's "Signed Notifications"): ``X-Hub-Signature: sha1=<hex>``, the
HMAC-SHA1 of the raw body keyed with the app's client secret, compared in constant time. The
body's ``created_at`` (unix seconds) is covered by the signature; when present it must be at
most ``max_age`` seconds old (a replayed notification is a ``StaleEvent``).

Payload: ``{"type": "notification_event", "id", "topic", "created_at", "data": {"item":
{...}}}``; ``item`` becomes a partial model by its ``type`` (``contact``/``user``/``lead`` ->
Contact, ``conversation`` -> Conversation, ``company``, ``admin``, ``tag``). A tag event's
item (``contact_tag``) becomes the tagged contact holding that one tag.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

from ..webhooks.event import (
    Event,
    InvalidSignature,
    as_bytes,
    canonical,
    check_age,
    from_wire,
    header,
    id_of,
    invalid,
    load_json,
    require_secret,
    unix_time,
)

PROVIDER = "intercom"
SIGNATURE_HEADER = "X-Hub-Signature"

#: Intercom topic -> canonical topic (others are "other")
TOPICS = {
    "conversation.user.created": "conversation.created",
    "conversation.admin.single.created": "conversation.created",
    "conversation.user.replied": "conversation.replied",
    "conversation.admin.replied": "conversation.replied",
    "conversation.admin.closed": "conversation.closed",
    "conversation.admin.assigned": "conversation.assigned",
    "conversation_part.tag.created": "conversation.tagged",
    "contact.user.created": "contact.created",
    "contact.lead.created": "contact.created",
    "user.created": "contact.created",
    "contact.user.updated": "contact.updated",
    "contact.lead.updated": "contact.updated",
    "contact.email.updated": "contact.updated",
    "contact.lead.signed_up": "contact.updated",
    "user.email.updated": "contact.updated",
    "contact.deleted": "contact.deleted",
    "user.deleted": "contact.deleted",
    "contact.tag.created": "tag.added",
    "user.tag.created": "tag.added",
    "contact.tag.deleted": "tag.removed",
    "user.tag.deleted": "tag.removed",
}
#: item ``type`` -> (resource name, canonical kind)
_ITEMS = {
    "contact": ("Contact", "contact"), "user": ("Contact", "contact"),
    "lead": ("Contact", "contact"), "conversation": ("Conversation", "conversation"),
    "company": ("Company", "company"), "admin": ("Admin", "agent"), "tag": ("Tag", "tag"),
}


def signature(body: bytes, secret: str) -> str:
    """The ``X-Hub-Signature`` value Intercom sends for ``body``."""
    return "sha1=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha1).hexdigest()


def verify(headers: Any, body: bytes, secret: str) -> None:
    """``InvalidSignature`` unless ``X-Hub-Signature`` is the body's HMAC-SHA1."""
    given = header(headers, SIGNATURE_HEADER)
    if not given:
        raise InvalidSignature(PROVIDER, "missing", f"{SIGNATURE_HEADER} signature")
    algo, sep, digest = given.strip().partition("=")
    if not sep or algo.lower() != "sha1" or len(digest) != 40:
        raise InvalidSignature(PROVIDER, "malformed", f"{SIGNATURE_HEADER} signature")
    expected = signature(body, secret)[5:]
    if not hmac.compare_digest(expected.encode("ascii"), digest.lower().encode("utf-8",
                                                                               "replace")):
        raise InvalidSignature(PROVIDER, "bad_signature", f"{SIGNATURE_HEADER} signature")


def _classes(api: Any) -> Any:
    if api is not None:
        return lambda name: api.model(name)
    from .resources import RESOURCES
    return RESOURCES.__getitem__


def _build(item: Mapping[str, Any], topic: str, api: Any) -> tuple[Any, str | None, str | None]:
    """(object, kind, conversation id) of a notification item."""
    model = _classes(api)
    account = api
    kind = item.get("type")
    if kind in ("contact_tag", "user_tag"):
        tag = item.get("tag")
        person = item.get("contact") if kind == "contact_tag" else item.get("user")
        if not isinstance(tag, Mapping) or not isinstance(person, Mapping):
            raise invalid(PROVIDER, f"a {kind} item needs tag and contact objects", "data.item")
        wire = dict(person)
        wire["tags"] = {"type": "list", "data": [dict(tag)]} if topic.endswith(
            ".created") else {"type": "list", "data": []}
        obj = from_wire(PROVIDER, model("Contact"), wire, f"data.item.{kind[:-4]}", account)
        return obj, "contact", None
    if kind not in _ITEMS:
        return None, None, None
    name, canonical_kind = _ITEMS[kind]
    if not isinstance(item.get("id"), (str, int)) or isinstance(item.get("id"), bool):
        raise invalid(PROVIDER, f"a {kind} item without an id", "data.item.id")
    obj = from_wire(PROVIDER, model(name), item, "data.item", account)
    conversation = id_of(obj) if canonical_kind == "conversation" else None
    return obj, canonical_kind, conversation


def parse_event(headers: Mapping[str, str], body: bytes, *, secret: str,
                max_age: float | None = 300, now: dt.datetime | None = None,
                api: Any = None) -> Event:
    """Verify and parse one notification (see the module docstring). ``api``: an
    ``intercom.connect()`` account the models belong to (default: the module's classes)."""
    require_secret(PROVIDER, secret)
    data = as_bytes(PROVIDER, body)
    verify(headers, data, secret)
    raw = load_json(PROVIDER, data)
    topic = raw.get("topic")
    if not isinstance(topic, str) or not topic:
        raise invalid(PROVIDER, "no topic", "topic")
    notif_id = raw.get("id")
    if not isinstance(notif_id, str) or not notif_id:
        raise invalid(PROVIDER, "no notification id", "id")
    created = raw.get("created_at")
    created_at = None
    if created is not None:
        created_at = unix_time(created, ms=False)
        if created_at is None:
            raise invalid(PROVIDER, "created_at is not a unix time", "created_at")
        check_age(PROVIDER, created_at.timestamp(), max_age=max_age, now=now, what="created_at")
    payload = raw.get("data")
    if not isinstance(payload, Mapping) or not isinstance(payload.get("item"), Mapping):
        raise invalid(PROVIDER, "data.item must be an object", "data.item")
    obj, kind, conversation = _build(payload["item"], topic, api)
    return Event(provider=PROVIDER, topic=canonical(TOPICS.get(topic)), provider_topic=topic,
                 id=notif_id, created_at=created_at, object=obj, kind=kind,
                 object_id=id_of(obj), conversation_id=conversation, raw=raw)


__all__ = ["SIGNATURE_HEADER", "TOPICS", "parse_event", "signature", "verify"]

"""Sendbee webhooks -> verified, typed events.

:func:`parse` checks the ``X-Authorization`` token first (:mod:`.auth`: constant-time HMAC,
bounded age), then turns the JSON body into a frozen :class:`WebhookEvent` holding a partial
model (:class:`Contact` or :class:`Message`).

Errors (always typed, the token never in the text):

* missing, malformed, wrongly signed, stale or future token -> ``chatmodels.webhooks``'
  :class:`InvalidSignature`, an :class:`~chatmodels.errors.AuthenticationError` (``reason``:
  ``missing``, ``malformed``, ``bad_signature`` or ``stale``; a stale one is a
  :class:`StaleEvent`). A subclass rather than a new base so code already catching
  authentication failures catches it too.
* a body that is not UTF-8 JSON, not an object, too large, of an unknown ``type``, or whose
  object has the wrong shape -> :class:`~chatmodels.errors.ValidationError` (``field`` names
  the culprit when there is one).

Payload shape: no public example exists (neither official client nor their READMEs show one;
the clients only verify the token). The event names are the ones Sendbee's dashboard offers;
the body is assumed to be ``{"type": ..., "created_at": ..., "<contact|message>": {...}}``,
and ``data`` is accepted in place of the named key. See docs/sendbee.md.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from marshmallow import ValidationError as MarshmallowValidationError

from ..errors import ChatModelsError, ValidationError
from ..webhooks import event as common
from ..webhooks.event import InvalidSignature, StaleEvent
from .auth import CLOCK_SKEW, MAX_TOKEN_AGE, WEBHOOK_HEADER, token_timestamp, verify_token
from .schemas import Time

#: Sendbee event type -> (canonical topic, key of the object in the payload)
EVENTS: dict[str, tuple[str, str]] = {
    "contact.created": ("contact.created", "contact"),
    "contact.subscription_created": ("contact.updated", "contact"),
    "contact.subscription_updated": ("contact.updated", "contact"),
    "contact.subscription_unsubscribed": ("contact.updated", "contact"),
    "message.received": ("message.created", "message"),
    "message.sent": ("message.updated", "message"),  # status of an outgoing message
}
#: the largest body accepted, in bytes
MAX_BODY = 1024 * 1024


@dataclass(frozen=True)
class WebhookEvent:
    """One verified webhook: Sendbee's ``type``, the canonical ``topic``, the partial model
    (``object``), its ``id``, the event time and the decoded payload (``raw``)."""

    type: str
    topic: str
    object: Any
    id: str | None
    created_at: dt.datetime | None
    raw: Mapping[str, Any] = field(repr=False)


def _invalid(message: str, field_name: str | None = None) -> ValidationError:
    return ValidationError(f"sendbee webhook: {message}", provider="sendbee", field=field_name)


def _bad(reason: str) -> InvalidSignature:
    return InvalidSignature("sendbee", reason, f"{WEBHOOK_HEADER} token")


def _header(headers: Any) -> Any:
    """The token (any mapping or list of pairs; the name matched case-insensitively)."""
    return common.header(headers, WEBHOOK_HEADER)


def verify(headers: Mapping[str, Any], secret: str, *, max_age: float = MAX_TOKEN_AGE,
           now: float | None = None) -> None:
    """Raise :class:`InvalidSignature` unless ``headers`` carry a valid token."""
    if not secret:
        raise ValueError("verify() needs the Sendbee API secret")
    token = _header(headers)
    if token is None or token == "":
        raise _bad("missing")
    if verify_token(token, secret, max_age=max_age, now=now):
        return
    ts = token_timestamp(token)
    if ts is None:
        raise _bad("malformed")
    if verify_token(token, secret, max_age=float("inf"), now=now, skew=float("inf")):
        raise StaleEvent("sendbee", f"{WEBHOOK_HEADER} token",
                         age=common.now_seconds(now) - ts)
    raise _bad("bad_signature")


def _load(body: Any) -> Mapping[str, Any]:
    if isinstance(body, Mapping):
        return body
    if isinstance(body, (bytes, bytearray)):
        if len(body) > MAX_BODY:
            raise _invalid(f"the body is larger than {MAX_BODY} bytes")
        try:
            body = bytes(body).decode("utf-8")
        except UnicodeDecodeError:
            raise _invalid("the body is not UTF-8") from None
    if not isinstance(body, str):
        raise _invalid(f"the body is a {type(body).__name__}, not bytes, str or a mapping")
    if len(body) > MAX_BODY:
        raise _invalid(f"the body is larger than {MAX_BODY} bytes")
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        raise _invalid("the body is not JSON") from None
    if not isinstance(data, dict):
        raise _invalid("the body is not a JSON object")
    return data


def _time(value: Any, name: str) -> dt.datetime | None:
    try:
        return Time(allow_none=True).deserialize(value)  # type: ignore[no-any-return]
    except (MarshmallowValidationError, ValueError, OverflowError, OSError):
        raise _invalid(f"{name} is not a timestamp", name) from None


def parse(headers: Mapping[str, Any], body: bytes | str | Mapping[str, Any], *, secret: str,
          max_age: float = MAX_TOKEN_AGE, now: float | None = None) -> WebhookEvent:
    """Verify a webhook request and parse its body (see the module docstring for errors)."""
    verify(headers, secret, max_age=max_age, now=now)
    data = _load(body)
    kind = data.get("type")
    if not isinstance(kind, str) or kind not in EVENTS:
        shown = repr(kind)[:60]
        raise _invalid(f"unknown type {shown} (expected one of {', '.join(EVENTS)})", "type")
    topic, key = EVENTS[kind]
    obj_data = data.get(key, data.get("data"))
    if not isinstance(obj_data, Mapping):
        raise _invalid(f"{kind} without a {key} object", key)
    from .contacts import Contact
    from .conversations import Message
    model = Contact if key == "contact" else Message
    try:
        obj = model.from_wire(obj_data, partial=True)
    except ChatModelsError as exc:
        inner = getattr(exc, "field", None)
        raise _invalid(f"{key}: {getattr(exc, 'message', exc)}",
                       f"{key}.{inner}" if inner else key) from None
    values = obj._values  # never a lazy load: the object is partial on purpose
    oid = values.get("id")
    created = _time(data.get("created_at"), "created_at")
    if created is None:
        created = values.get("created_at")
    return WebhookEvent(type=kind, topic=topic, object=obj,
                        id=None if oid is None else str(oid), created_at=created, raw=data)


#: Sendbee type -> canonical topic of ``chatmodels.webhooks`` (others: "other")
CANONICAL = {"contact.created": "contact.created",
             "contact.subscription_created": "contact.updated",
             "contact.subscription_updated": "contact.updated",
             "contact.subscription_unsubscribed": "contact.updated",
             "message.received": "message.created"}


def parse_event(headers: Mapping[str, str], body: bytes, *, secret: str,
                max_age: float | None = MAX_TOKEN_AGE, now: dt.datetime | None = None,
                api: Any = None) -> common.Event:
    """:func:`parse` as a :class:`~chatmodels.webhooks.Event`. Sendbee sends no delivery id:
    ``Event.id`` is a hash of the payload (``WebhookEvent.id`` is the object's id). ``api`` is
    accepted for symmetry with the other providers; the models are the module's classes."""
    common.require_secret("sendbee", secret)
    data = common.as_bytes("sendbee", body)
    when = None if now is None else common.now_seconds(now)
    hook = parse(headers, data, secret=secret,
                 max_age=float("inf") if max_age is None else max_age, now=when)
    obj = hook.object
    kind = common.kind_of(obj)
    conversation = None
    if kind == "message":
        value = obj.peek("conversation_id")
        conversation = None if value is None else str(value)
    return common.Event(
        provider="sendbee", topic=common.canonical(CANONICAL.get(hook.type)),
        provider_topic=hook.type, id=common.body_id(hook.raw), created_at=hook.created_at,
        object=obj, kind=kind, object_id=hook.id, conversation_id=conversation, raw=hook.raw)


__all__ = ["CANONICAL", "CLOCK_SKEW", "EVENTS", "MAX_BODY", "InvalidSignature", "StaleEvent",
           "WebhookEvent", "parse", "parse_event", "verify"]

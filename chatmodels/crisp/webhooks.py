"""Crisp web hooks -> verified :class:`~chatmodels.webhooks.Event`.

Verification, as Crisp's official clients do it (``crisp-im/go-crisp-api`` ``crisp/events.go``
``VerifyHook``; ``crisp-im/node-crisp-api`` ``lib/crisp.ts`` ``verifySignature``): the
``X-Crisp-Signature`` header is the hex HMAC-SHA256, keyed with the hook's signing secret, of
``"[<X-Crisp-Request-Timestamp>;<raw body>]"``, compared in constant time. The Node client
hashes ``JSON.stringify`` of the parsed body rather than the raw bytes, so a compact
re-serialization of the body is accepted too. The timestamp is signed, so it must be at most
``max_age`` seconds old (and not from the future); Crisp's reference does not give its unit:
a value too large to be seconds is read as milliseconds. Crisp signs plugin hooks only; website
hooks carry no signature (put a secret in the URL instead) and are refused here.

Payload: ``{"website_id", "event", "data": {...}, "timestamp"}`` (ms). ``message:send`` and
``message:received`` give a Message, ``session:*`` a partial Conversation, ``people:profile:*``
a partial Contact. Crisp sends no delivery id: ``Event.id`` is a hash of the payload.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

from ..webhooks.event import (
    Event,
    InvalidSignature,
    as_bytes,
    body_id,
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

PROVIDER = "crisp"
SIGNATURE_HEADER = "X-Crisp-Signature"
TIMESTAMP_HEADER = "X-Crisp-Request-Timestamp"

#: Crisp event -> canonical topic (``session:set_state`` depends on the state, see below)
TOPICS = {
    "message:send": "message.created",
    "message:received": "message.created",
    "session:request:initiated": "conversation.created",
    "session:set_routing": "conversation.assigned",
    "session:set_segments": "conversation.tagged",
    "people:profile:created": "contact.created",
    "people:profile:updated": "contact.updated",
    "people:profile:removed": "contact.deleted",
}


def signature(body: bytes, timestamp: str, secret: str) -> str:
    """The ``X-Crisp-Signature`` value for ``body`` signed at ``timestamp``."""
    trace = b"[" + timestamp.encode("ascii") + b";" + body + b"]"
    return hmac.new(secret.encode("utf-8"), trace, hashlib.sha256).hexdigest()


def _compact(body: bytes) -> bytes | None:
    """``JSON.stringify(JSON.parse(body))`` as far as Python can tell, else ``None``."""
    try:
        data = json.loads(body.decode("utf-8"))
        return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    except (ValueError, RecursionError, UnicodeError):
        return None


def verify(headers: Any, body: bytes, secret: str, *, max_age: float | None = 300,
           now: dt.datetime | float | None = None) -> None:
    """``InvalidSignature`` (``StaleEvent`` for the age) unless the headers sign ``body``."""
    given = header(headers, SIGNATURE_HEADER)
    stamp = header(headers, TIMESTAMP_HEADER)
    if not given:
        raise InvalidSignature(PROVIDER, "missing", f"{SIGNATURE_HEADER} signature")
    if not stamp:
        raise InvalidSignature(PROVIDER, "missing", f"{TIMESTAMP_HEADER} timestamp")
    stamp = stamp.strip()
    if not stamp.isascii() or not stamp.isdigit() or len(stamp) > 16:
        raise InvalidSignature(PROVIDER, "malformed", f"{TIMESTAMP_HEADER} timestamp")
    digest = given.strip().lower()
    if len(digest) != 64:
        raise InvalidSignature(PROVIDER, "malformed", f"{SIGNATURE_HEADER} signature")
    candidates = [body]
    compact = _compact(body)
    if compact is not None and compact != body:
        candidates.append(compact)
    remote = digest.encode("utf-8", "replace")
    if not any(hmac.compare_digest(signature(b, stamp, secret).encode("ascii"), remote)
               for b in candidates):
        raise InvalidSignature(PROVIDER, "bad_signature", f"{SIGNATURE_HEADER} signature")
    signed_at = unix_time(int(stamp))
    if signed_at is None:
        raise InvalidSignature(PROVIDER, "malformed", f"{TIMESTAMP_HEADER} timestamp")
    check_age(PROVIDER, signed_at.timestamp(), max_age=max_age, now=now,
              what=f"{TIMESTAMP_HEADER} timestamp")


def _text(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise invalid(PROVIDER, f"data.{key} must be a non-empty string", f"data.{key}")
    return value


def _build(event: str, data: Mapping[str, Any], api: Any) -> tuple[Any, str | None, str | None]:
    """(object, kind, conversation id) of one hook's ``data``."""
    from .resources import RESOURCES
    model: Any = RESOURCES.__getitem__ if api is None else api.model
    session = _text(data, "session_id")
    if event.startswith("message:") and data.get("fingerprint") is not None:
        if session is None:
            raise invalid(PROVIDER, f"a {event} without data.session_id", "data.session_id")
        obj = from_wire(PROVIDER, model("Message"), data, "data", api)
        return obj, "message", session
    if event.startswith("people:"):
        people = _text(data, "people_id")
        if people is None:
            return None, None, None
        obj = from_wire(PROVIDER, model("Contact"), data, "data", api)
        return obj, "contact", None
    if session is not None:
        wire: dict[str, Any] = {"session_id": session}
        if isinstance(data.get("website_id"), str):
            wire["website_id"] = data["website_id"]
        if event == "session:set_segments":
            segments = data.get("segments")
            if not isinstance(segments, list) or not all(isinstance(s, str) for s in segments):
                raise invalid(PROVIDER, "data.segments must be a list of strings",
                              "data.segments")
            wire["meta"] = {"segments": list(segments)}
        if event == "session:set_state" and isinstance(data.get("state"), str):
            wire["state"] = data["state"]
        obj = from_wire(PROVIDER, model("Conversation"), wire, "data", api)
        return obj, "conversation", session
    return None, None, None


def _topic(event: str, data: Mapping[str, Any]) -> str:
    if event == "session:set_state":
        return "conversation.closed" if data.get("state") == "resolved" else "other"
    return canonical(TOPICS.get(event))


def parse_event(headers: Mapping[str, str], body: bytes, *, secret: str,
                max_age: float | None = 300, now: dt.datetime | None = None,
                api: Any = None) -> Event:
    """Verify and parse one hook (see the module docstring). ``api``: a ``crisp.connect()``
    account the models belong to (default: the module's classes)."""
    require_secret(PROVIDER, secret)
    raw_body = as_bytes(PROVIDER, body)
    verify(headers, raw_body, secret, max_age=max_age, now=now)
    raw = load_json(PROVIDER, raw_body)
    event = raw.get("event")
    if not isinstance(event, str) or not event:
        raise invalid(PROVIDER, "no event", "event")
    data = raw.get("data")
    if not isinstance(data, Mapping):
        raise invalid(PROVIDER, "data must be an object", "data")
    created_at = None
    if raw.get("timestamp") is not None:
        created_at = unix_time(raw["timestamp"], ms=True)
        if created_at is None:
            raise invalid(PROVIDER, "timestamp is not a unix time in ms", "timestamp")
    obj, kind, conversation = _build(event, data, api)
    return Event(provider=PROVIDER, topic=_topic(event, data), provider_topic=event,
                 id=body_id(raw), created_at=created_at, object=obj, kind=kind,
                 object_id=id_of(obj), conversation_id=conversation, raw=raw)


__all__ = ["SIGNATURE_HEADER", "TIMESTAMP_HEADER", "TOPICS", "parse_event", "signature",
           "verify"]

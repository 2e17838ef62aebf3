"""The webhooks the Crisp simulator sends (Crisp's plugin hooks): which API writes emit which
event, and the signed request.

Body ``{"website_id", "event", "data", "timestamp" (ms)}`` (docs.crisp.chat web hooks quickstart
example); ``data`` fields as the official Node client's event types (``website_id``,
``session_id`` and ``inbox_id: null`` on session events). Headers: ``X-Crisp-Request-Timestamp``
(unix seconds) and ``X-Crisp-Signature``, the hex HMAC-SHA256, keyed with the hook secret
(``sim.credentials["webhook_secret"]``), of ``"[<timestamp>;<body>]"``: the official Node
client's ``verifyHook`` computes it over ``JSON.stringify(body)``, which is the raw body here
since the simulator sends compact JSON without escaping non-ASCII. The timestamp's unit is not
documented: seconds, as the webhooks contract of this project says.

Events: ``message:send`` (a message ``from: "user"``) / ``message:received`` (from an operator),
``message:updated``, ``message:removed``, ``session:request:initiated`` (a new conversation: a
guess, Crisp sends it when a visitor starts one), ``session:set_state``,
``session:set_segments`` / ``set_email`` / ``set_nickname`` / ``set_subject`` / ``set_phone`` /
``set_data`` (one per key of a meta update), ``session:set_block``, ``session:removed``,
``people:profile:created`` / ``updated`` / ``removed``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from typing import Any

from ..base import Context
from ..webhooks import WebhookEvent

#: meta keys and the event a change of each emits
META_EVENTS = {"segments": "session:set_segments", "email": "session:set_email",
               "nickname": "session:set_nickname", "subject": "session:set_subject",
               "phone": "session:set_phone", "data": "session:set_data"}

_MESSAGE_KEYS = ("type", "from", "origin", "content", "fingerprint", "timestamp", "user",
                 "mentions")


def events_for(ctx: Context, name: str, values: Mapping[str, Any], answer: Any,
               ) -> list[tuple[str, Any]]:
    """(event, data) pairs for a successful call of the handler ``name``."""
    st = ctx.state
    body = ctx.json if isinstance(ctx.json, dict) else {}
    data = answer.get("data") if isinstance(answer, dict) else None
    website = st.website_id
    session_id = values.get("session_id")
    session = {"website_id": website, "session_id": session_id, "inbox_id": None}
    if name == "send_message" and isinstance(data, dict):
        msg = st.find_message(session_id, data.get("fingerprint"))
        if msg is None:
            return []
        event = "message:send" if msg["from"] == "user" else "message:received"
        data = {**session, **{k: msg[k] for k in _MESSAGE_KEYS if k in msg}, "stamped": True}
        return [(event, data)]
    if name == "update_message":
        msg = st.find_message(session_id, values.get("fingerprint"))
        return [] if msg is None else [("message:updated", {
            **session, "fingerprint": msg["fingerprint"], "content": msg["content"]})]
    if name == "remove_message":
        return [("message:removed", {**session, "fingerprint": values.get("fingerprint")})]
    if name == "create_conversation" and isinstance(data, dict):
        return [("session:request:initiated", {**session, "session_id": data["session_id"]})]
    if name == "remove_conversation":
        return [("session:removed", session)]
    if name == "change_conversation_state":
        return [("session:set_state", {**session, "state": body.get("state")})]
    if name == "update_conversation_meta":
        conv = st.conversations.get(session_id)
        meta = conv["meta"] if conv else {}
        return [(event, {**session, key: meta.get(key, body[key])})
                for key, event in META_EVENTS.items() if key in body]
    if name == "block_conversation":
        return [("session:set_block", {**session, "is_blocked": body.get("blocked")})]
    if name == "add_people_profile" and isinstance(data, dict):
        person = st.find_person(data["people_id"]) or {}
        return [("people:profile:created", {"website_id": website,
                                            "people_id": data["people_id"],
                                            "email": person.get("email")})]
    if name in ("save_people_profile", "update_people_profile"):
        person = st.find_person(values.get("people_id")) or {}
        return [("people:profile:updated", {
            "website_id": website, "people_id": person.get("people_id"),
            "email": person.get("email"),
            "update": {"updated_at": person.get("updated_at"),
                       "person": person.get("person", {})}})]
    if name == "remove_people_profile":
        return [("people:profile:removed", {"website_id": website,
                                            "people_id": values.get("people_id")})]
    return []


def sign(timestamp: int, body: bytes, secret: str) -> str:
    """The ``X-Crisp-Signature`` of ``body`` sent at ``timestamp``."""
    trace = b"[" + str(timestamp).encode("ascii") + b";" + body + b"]"
    return hmac.new(secret.encode("utf-8"), trace, hashlib.sha256).hexdigest()


def render(event: WebhookEvent, attempt: int, website_id: str,
           ) -> tuple[str, dict[str, str], bytes]:
    payload = {"website_id": website_id, "event": event.topic, "data": event.data,
               "timestamp": int(event.created_at * 1000)}
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    now = int(time.time())
    headers = {"Content-Type": "application/json", "X-Crisp-Request-Timestamp": str(now),
               "X-Crisp-Signature": sign(now, body, event.subscription.secret),
               "X-Delivery-Attempt-Count": str(attempt)}
    return event.subscription.url, headers, body

"""The webhooks the Intercom simulator sends: which API writes emit which topic, and the signed
``notification_event`` envelope.

Envelope (Intercom's "Webhook models" page and its signed-notification example)::

    {"type": "notification_event", "app_id", "data": {"type": "notification_event_data",
     "item": {...}}, "links": {}, "id": "notif_<uuid>", "topic", "delivery_status": "pending",
     "delivery_attempts": <this attempt>, "delivered_at": 0, "first_sent_at", "created_at",
     "self": null}

signed with ``X-Hub-Signature: sha1=<hex HMAC-SHA1 of the body, key: the app's client
secret>`` (``sim.credentials["webhook_secret"]``).

Items are the objects as the API answers them (a contact, a conversation with its parts).
Guesses, where Intercom documents no sample: ``contact.tag.created``/``deleted`` carry a
``contact_tag`` item ``{"type", "created_at", "contact", "tag"}``; ``conversation_part.tag.created``
carries the tagged conversation; ``contact.deleted`` and ``conversation.deleted`` carry the
delete answer; ``contact.<role>.updated`` follows every contact update.
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

#: the handlers whose success emits webhooks, and the topics they may emit
TOPICS = {
    "create_contact": ("contact.user.created", "contact.lead.created"),
    "update_contact": ("contact.user.updated", "contact.lead.updated"),
    "delete_contact": ("contact.deleted",),
    "archive_contact": ("contact.archived",),
    "unarchive_contact": ("contact.unarchived",),
    "add_contact_tag": ("contact.tag.created",),
    "remove_contact_tag": ("contact.tag.deleted",),
    "create_conversation": ("conversation.user.created",),
    "create_message": ("conversation.user.created", "conversation.admin.single.created"),
    "reply_conversation": ("conversation.user.replied", "conversation.admin.replied",
                           "conversation.admin.noted"),
    "manage_conversation": ("conversation.admin.closed", "conversation.admin.opened",
                            "conversation.admin.snoozed", "conversation.admin.assigned"),
    "tag_conversation": ("conversation_part.tag.created",),
    "delete_conversation": ("conversation.deleted",),
}

_MANAGED = {"close": "conversation.admin.closed", "open": "conversation.admin.opened",
            "snoozed": "conversation.admin.snoozed", "assignment": "conversation.admin.assigned"}


def events_for(ctx: Context, name: str, values: Mapping[str, Any], answer: Any,
               ) -> list[tuple[str, Any]]:
    """(topic, item) pairs for a successful call of the handler ``name``."""
    st = ctx.state
    body = ctx.json if isinstance(ctx.json, dict) else {}
    if not isinstance(answer, dict):
        return []
    if name in ("create_contact", "update_contact"):
        verb = "created" if name == "create_contact" else "updated"
        return [(f"contact.{answer.get('role', 'user')}.{verb}", answer)]
    if name in ("delete_contact", "archive_contact", "unarchive_contact"):
        return [(TOPICS[name][0], answer)]
    if name in ("add_contact_tag", "remove_contact_tag"):
        contact = st.contacts.get(values.get("contact_id"))
        if contact is None:
            return []
        item = {"type": "contact_tag", "created_at": int(time.time()),
                "contact": st.render_contact(contact), "tag": answer}
        return [(TOPICS[name][0], item)]
    if name in ("create_conversation", "create_message"):
        conv = st.conversations.get(answer.get("conversation_id"))
        if conv is None:
            return []
        topic = ("conversation.user.created" if answer.get("type") == "user_message"
                 else "conversation.admin.single.created")
        return [(topic, st.render_conversation(conv))]
    if name == "reply_conversation":
        if body.get("type") == "admin":
            topic = ("conversation.admin.noted" if body.get("message_type") == "note"
                     else "conversation.admin.replied")
        else:
            topic = "conversation.user.replied"
        return [(topic, answer)]
    if name == "manage_conversation":
        managed = _MANAGED.get(str(body.get("message_type")))
        return [(managed, answer)] if managed else []
    if name == "tag_conversation":
        conv = st.conversations.get(values.get("conversation_id"))
        return [] if conv is None else [("conversation_part.tag.created",
                                          st.render_conversation(conv))]
    if name == "delete_conversation":
        return [("conversation.deleted", {"type": "conversation", "id": answer.get("id"),
                                          "deleted": True})]
    return []


def sign(body: bytes, secret: str) -> str:
    """The ``X-Hub-Signature`` value of ``body``."""
    return "sha1=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha1).hexdigest()


def render(event: WebhookEvent, attempt: int, app_id: str,
           ) -> tuple[str, dict[str, str], bytes]:
    envelope = {
        "type": "notification_event", "app_id": app_id,
        "data": {"type": "notification_event_data", "item": event.data},
        "links": {}, "id": f"notif_{event.id}", "topic": event.topic,
        "delivery_status": "pending", "delivery_attempts": attempt, "delivered_at": 0,
        "first_sent_at": int(event.first_sent_at or event.created_at),
        "created_at": int(event.created_at), "self": None,
    }
    body = json.dumps(envelope, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    headers = {"Content-Type": "application/json",
               "X-Hub-Signature": sign(body, event.subscription.secret)}
    return event.subscription.url, headers, body

"""The webhooks the LiveChat simulator sends (v3.6): which actions emit which webhook action,
the payloads, and the delivery to ``register_webhook`` registrations.

Body (the v3.6 webhooks reference)::

    {"webhook_id", "secret_key", "action", "organization_id", "payload", "additional_data",
     "requester" (configuration webhooks only)}

LiveChat signs nothing: the registration's ``secret_key`` travels in the body. Targets: every
registration in ``state.webhooks`` whose ``action`` matches (its url, its ``secret_key``, its
id as ``webhook_id``), and every ``sim.subscribe()`` subscription wanting the action (its
secret, default ``sim.credentials["webhook_secret"]``, and its id).

Emitted: ``incoming_chat`` (start_chat, resume_chat: the chat with its new thread and initial
events), ``incoming_event`` (send_event), ``chat_deactivated``, ``chat_transferred``,
``user_added_to_chat``/``user_removed_from_chat``, ``thread_tagged``/``thread_untagged``,
``chat|thread|event_properties_updated|deleted``, ``customer_session_fields_updated``
(update_customer with ``session_fields``), ``agent_created|updated|deleted|suspended|
unsuspended|approved``, ``group_created|updated|deleted``, ``tag_created|updated|deleted``.

Choices where the docs are silent: a registration delivers as soon as it is registered (no
``enable_license_webhooks`` step); of the ``filters`` only ``author_type`` is applied (to
``incoming_event``); ``additional_data`` carries ``chat_properties`` and
``chat_presence_user_ids`` when the registration asked for them, else ``{}``.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from typing import Any

from ..webhooks import Subscription, WebhookEvent
from .models import LiveChatState, chat_view, tag_view

#: configuration actions -> the webhook action they emit
_CONFIG = {"create_agent": "agent_created", "update_agent": "agent_updated",
           "delete_agent": "agent_deleted", "suspend_agent": "agent_suspended",
           "unsuspend_agent": "agent_unsuspended", "approve_agent": "agent_approved",
           "create_group": "group_created", "update_group": "group_updated",
           "delete_group": "group_deleted", "create_tag": "tag_created",
           "update_tag": "tag_updated", "delete_tag": "tag_deleted"}
_PROPS = {"update_chat_properties": "chat_properties_updated",
          "delete_chat_properties": "chat_properties_deleted",
          "update_thread_properties": "thread_properties_updated",
          "delete_thread_properties": "thread_properties_deleted",
          "update_event_properties": "event_properties_updated",
          "delete_event_properties": "event_properties_deleted"}


def _thread_id(state: LiveChatState, chat_id: Any) -> str | None:
    chat = state.chats.get(chat_id)
    thread = state.latest_thread(chat) if chat else None
    return None if thread is None else str(thread["id"])


def events_for(state: LiveChatState, api: str, action: str, body: Any,
               answer: Any) -> list[tuple[str, dict[str, Any], str | None]]:
    """(webhook action, payload, chat id or None) for a successful call of ``action``."""
    answer = answer if isinstance(answer, dict) else {}
    me = state.me
    if api == "configuration":
        return _configuration(state, action, body, answer)
    if action in ("start_chat", "resume_chat"):
        chat_id = answer.get("chat_id") or (body.get("chat") or {}).get("id")
        chat = state.chats.get(str(chat_id))
        thread = state.threads.get(str(answer.get("thread_id")))
        if chat is None or thread is None:
            return []
        return [("incoming_chat", {"chat": chat_view(state, chat, thread)}, chat_id)]
    chat_id = body.get("chat_id") if "chat_id" in body else body.get("id")
    if action == "send_event":
        thread_id = _thread_id(state, chat_id)
        thread = state.threads.get(thread_id or "")
        event = next((e for e in thread["events"] if e["id"] == answer.get("event_id")),
                     None) if thread else None
        if event is None:
            return []
        return [("incoming_event", {"chat_id": chat_id, "thread_id": thread_id,
                                    "event": copy.deepcopy(event)}, chat_id)]
    if action == "deactivate_chat":
        return [("chat_deactivated", {"chat_id": chat_id,
                                      "thread_id": _thread_id(state, chat_id),
                                      "user_id": me}, chat_id)]
    if action == "transfer_chat":
        target = body.get("target") or {}
        to: dict[str, Any] = {}
        if target.get("type") == "group":
            to["group_ids"] = list(target.get("ids", []))
        elif target.get("type") == "agent":
            to["agent_ids"] = list(target.get("ids", []))
        return [("chat_transferred", {"chat_id": chat_id,
                                      "thread_id": _thread_id(state, chat_id),
                                      "requester_id": me, "reason": "manual",
                                      "transferred_to": to}, chat_id)]
    if action == "add_user_to_chat":
        user_id = body.get("user_id")
        user = {"id": user_id, "type": body.get("user_type"), "visibility": body.get("visibility")}
        return [("user_added_to_chat", {"chat_id": chat_id,
                                        "thread_id": _thread_id(state, chat_id), "user": user,
                                        "reason": "manual", "requester_id": me}, chat_id)]
    if action == "remove_user_from_chat":
        return [("user_removed_from_chat", {"chat_id": chat_id,
                                            "thread_id": _thread_id(state, chat_id),
                                            "user_id": body.get("user_id"), "reason": "manual",
                                            "requester_id": me}, chat_id)]
    if action in ("tag_thread", "untag_thread"):
        name = "thread_tagged" if action == "tag_thread" else "thread_untagged"
        return [(name, {"chat_id": chat_id, "thread_id": body.get("thread_id"),
                        "tag": body.get("tag")}, chat_id)]
    if action in _PROPS:
        payload: dict[str, Any] = {"chat_id": chat_id}
        if "thread" in action:
            payload["thread_id"] = body.get("thread_id")
        if "event" in action:
            payload.update(thread_id=body.get("thread_id"), event_id=body.get("event_id"))
        payload["properties"] = copy.deepcopy(body.get("properties"))
        return [(_PROPS[action], payload, chat_id)]
    if action == "update_customer" and "session_fields" in body:
        customer = state.customers.get(body.get("id"))
        if customer is None:
            return []
        payload = {"id": customer["id"],
                   "session_fields": copy.deepcopy(customer.get("session_fields", []))}
        active = next((c for c in reversed(customer.get("chat_ids", []))
                       if c in state.chats and state.active_thread(state.chats[c])), None)
        if active is not None:
            payload["active_chat"] = {"chat_id": active, "thread_id": _thread_id(state, active)}
        return [("customer_session_fields_updated", payload, active)]
    return []


def _configuration(state: LiveChatState, action: str, body: Any,
                   answer: Any) -> list[tuple[str, dict[str, Any], str | None]]:
    name = _CONFIG.get(action)
    if name is None:
        return []
    if action == "create_agent":
        agent = state.agents.get(body.get("id"))
        return [] if agent is None else [(name, copy.deepcopy(agent), None)]
    if action == "update_agent":
        return [(name, {k: copy.deepcopy(v) for k, v in body.items()}, None)]
    if action.endswith("_agent"):
        return [(name, {"id": body.get("id")}, None)]
    if action == "create_group":
        group = state.groups.get(int(answer.get("id", -1)))
        return [] if group is None else [(name, {
            k: copy.deepcopy(group[k]) for k in ("id", "name", "language_code",
                                                 "agent_priorities")}, None)]
    if action == "update_group":
        return [(name, {k: copy.deepcopy(v) for k, v in body.items()}, None)]
    if action == "delete_group":
        return [(name, {"id": body.get("id")}, None)]
    if action in ("create_tag", "update_tag"):
        tag = state.tags.get(body.get("name"))
        return [] if tag is None else [(name, tag_view(tag), None)]
    return [(name, {"name": body.get("name")}, None)]  # delete_tag


def registrations(state: LiveChatState, action: str) -> list[Subscription]:
    """Subscriptions for the registered webhooks of ``action``."""
    return [Subscription(hook["url"], (action,), hook["secret_key"], id=hook["id"],
                         extra={"additional_data": list(hook.get("additional_data") or []),
                                "filters": copy.deepcopy(hook.get("filters") or {}),
                                "owner_client_id": hook["owner_client_id"]})
            for hook in state.webhooks.values() if hook["action"] == action]


def wanted(sub: Subscription, action: str, payload: Mapping[str, Any],
           state: LiveChatState) -> bool:
    """Whether a registration's ``filters`` let this webhook through (``author_type``)."""
    author_type = (sub.extra.get("filters") or {}).get("author_type")
    if author_type and action == "incoming_event":
        author = (payload.get("event") or {}).get("author_id")
        return state.user_type(str(author)) == author_type
    return True


def additional(sub: Subscription, state: LiveChatState, chat_id: str | None) -> dict[str, Any]:
    wanted_keys = sub.extra.get("additional_data") or []
    chat = state.chats.get(chat_id) if chat_id else None
    out: dict[str, Any] = {}
    if chat is not None and "chat_properties" in wanted_keys:
        out["chat_properties"] = copy.deepcopy(chat["properties"])
    if chat is not None and "chat_presence_user_ids" in wanted_keys:
        out["chat_presence_user_ids"] = list(chat["users"])
    return out


def render(event: WebhookEvent, attempt: int, organization_id: str,
           ) -> tuple[str, dict[str, str], bytes]:
    sub = event.subscription
    body = {"webhook_id": sub.id, "secret_key": sub.secret, "action": event.topic,
            "organization_id": organization_id, **event.data}
    data = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return sub.url, {"Content-Type": "application/json"}, data

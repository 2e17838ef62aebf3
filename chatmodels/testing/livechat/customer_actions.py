"""Agent Chat Web API v3.6 action handlers, continued: customers, routing status and the
other actions (seen marks, indicators, multicast, transfers, summaries, logout)."""

from __future__ import annotations

import copy
import uuid
from typing import Any

from ..base import Context
from .agent_actions import _active, _chat, _thread
from .common import Handler, not_found, optional, required, validation
from .models import LiveChatState, customer_view, parse


# -- customers ----------------------------------------------------------------------------------
def _customer(state: LiveChatState, body: dict[str, Any]) -> dict[str, Any]:
    customer = state.customers.get(required(body, "id"))
    if customer is None:
        raise not_found("Customer")
    return customer


CUSTOMER_FIELDS = {"name": str, "email": str, "avatar": str, "phone_number": str,
                   "session_fields": list, "address": dict, "omnichannel": dict}


def _customer_fields(body: dict[str, Any]) -> dict[str, Any]:
    fields = {}
    for key, kind in CUSTOMER_FIELDS.items():
        if key in body:
            value = optional(body, key, kind)
            if key == "email" and value is not None and "@" not in value:
                raise validation("`email` is invalid")
            if key == "session_fields" and not all(isinstance(i, dict) and len(i) == 1
                                                   for i in value or []):
                raise validation("`session_fields` must be an array of one-key objects")
            fields[key] = copy.deepcopy(value)
    return fields


def get_customer(ctx: Context, state: LiveChatState, body: dict[str, Any]) -> Any:
    return customer_view(_customer(state, body), state)


def update_customer(ctx: Context, state: LiveChatState, body: dict[str, Any]) -> Any:
    customer = _customer(state, body)
    fields = _customer_fields(body)
    if not fields:
        raise validation("At least one optional parameter is required")
    for key, value in fields.items():
        if value is None:
            customer.pop(key, None)
        else:
            customer[key] = value
    return {}


def create_customer(ctx: Context, state: LiveChatState, body: dict[str, Any]) -> Any:
    fields = _customer_fields(body)
    customer_id = str(uuid.UUID(int=len(state.customers) + (1 << 100), version=4))
    state.customers[customer_id] = {"id": customer_id, "type": "customer",
                                    "created_at": state.now(), "chat_ids": [],
                                    **{k: v for k, v in fields.items() if v is not None}}
    return {"customer_id": customer_id}


def ban_customer(ctx: Context, state: LiveChatState, body: dict[str, Any]) -> Any:
    customer = _customer(state, body)
    days = required(body, "ban", dict).get("days")
    if isinstance(days, bool) or not isinstance(days, int) or days < 1:
        raise validation("`ban.days` is required")
    state.bans.append({"ip": (customer.get("visit") or {}).get("ip", "0.0.0.0"),
                       "customer_id": customer["id"], "agent_id": state.me,
                       "created_at": state.now(), "days": days})
    return {}


def follow_customer(ctx: Context, state: LiveChatState, body: dict[str, Any]) -> Any:
    _customer(state, body)
    return {}


# -- status and other ---------------------------------------------------------------------------
ROUTING = ("accepting_chats", "not_accepting_chats", "offline")


def set_routing_status(ctx: Context, state: LiveChatState, body: dict[str, Any]) -> Any:
    status = required(body, "status")
    agent_id = optional(body, "agent_id", str) or state.me
    if agent_id not in state.agents:
        raise not_found("Agent")
    allowed = ROUTING if state.agents[agent_id].get("bot") else ROUTING[:2]
    if status not in allowed:
        raise validation(f"`status` must be one of: {', '.join(allowed)}")
    state.routing[agent_id] = status
    state.agents[agent_id]["login_status"] = status.replace("_", " ")
    return {}


def list_routing_statuses(ctx: Context, state: LiveChatState, body: dict[str, Any]) -> Any:
    groups = set((optional(body, "filters", dict) or {}).get("group_ids") or ())
    out = []
    for agent_id, status in state.routing.items():
        agent = state.agents[agent_id]
        if groups and not groups & {g["id"] for g in agent.get("groups") or []}:
            continue
        out.append({"agent_id": agent_id, "status": status})
    return out


def mark_events_as_seen(ctx: Context, state: LiveChatState, body: dict[str, Any]) -> Any:
    chat = _chat(state, body)
    seen = required(body, "seen_up_to")
    try:
        parse(seen)
    except ValueError:
        raise validation("`seen_up_to` must be an RFC 3339 date-time") from None
    chat.setdefault("seen", {})[state.me] = seen
    return {}


def send_typing_indicator(ctx: Context, state: LiveChatState, body: dict[str, Any]) -> Any:
    _active(state, _chat(state, body))
    required(body, "is_typing", bool)
    return {}


def send_thinking_indicator(ctx: Context, state: LiveChatState, body: dict[str, Any]) -> Any:
    _active(state, _chat(state, body))
    return {}


def multicast(ctx: Context, state: LiveChatState, body: dict[str, Any]) -> Any:
    agents = (required(body, "recipients", dict).get("agents") or {})
    if not (agents.get("all") or agents.get("ids") or agents.get("groups")):
        raise validation("At least one `recipients` type is required")
    if "content" not in body:
        raise validation("`content` is required")
    return {}


def list_agents_for_transfer(ctx: Context, state: LiveChatState, body: dict[str, Any]) -> Any:
    _chat(state, body)
    counts = {a: 0 for a, s in state.routing.items() if s != "offline"}
    for chat in state.chats.values():
        thread = state.active_thread(chat)
        if thread is not None:
            for user in thread["user_ids"]:
                if user in counts:
                    counts[user] += 1
    return [{"agent_id": a, "total_active_chats": n}
            for a, n in sorted(counts.items(), key=lambda kv: (kv[1], kv[0]))]


def request_thread_summary(ctx: Context, state: LiveChatState, body: dict[str, Any]) -> Any:
    _thread(state, _chat(state, body), required(body, "thread_id"))
    return {}


def logout(ctx: Context, state: LiveChatState, body: dict[str, Any]) -> Any:
    agent_id = optional(body, "agent_id", str) or state.me
    if agent_id not in state.agents:
        raise not_found("Agent")
    state.routing[agent_id] = "offline"
    return {}


ACTIONS: dict[str, Handler] = {
    "get_customer": get_customer, "update_customer": update_customer,
    "create_customer": create_customer, "ban_customer": ban_customer,
    "follow_customer": follow_customer, "unfollow_customer": follow_customer,
    "set_routing_status": set_routing_status, "list_routing_statuses": list_routing_statuses,
    "mark_events_as_seen": mark_events_as_seen,
    "send_typing_indicator": send_typing_indicator,
    "send_thinking_indicator": send_thinking_indicator, "multicast": multicast,
    "list_agents_for_transfer": list_agents_for_transfer,
    "request_thread_summary": request_thread_summary, "logout": logout,
}

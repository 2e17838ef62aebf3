"""Configuration API v3.6 action handlers (agents, groups, tags, properties, customer bans,
webhooks)
and the ``batch_*`` variants (per-request answers or error objects, in request order)."""

from __future__ import annotations

import copy
from typing import Any

from ..base import Context, SimError
from .common import Handler, error, not_found, optional, required, validation
from .models import LiveChatState, agent_view, group_view, tag_view

ROLES = ("owner", "viceowner", "administrator", "normal")
PRIORITIES = ("first", "normal", "last", "supervisor")
AGENT_WRITABLE = {"name": str, "role": str, "avatar_path": str, "job_title": str,
                  "mobile": str, "max_chats_count": int, "groups": list, "notifications": list,
                  "email_subscriptions": list, "work_scheduler": dict}


def _fields(body: dict[str, Any]) -> list[str]:
    fields = optional(body, "fields", list) or []
    return [str(f) for f in fields]


# -- agents -------------------------------------------------------------------------------------
def _agent(state: LiveChatState, body: dict[str, Any]) -> dict[str, Any]:
    agent = state.agents.get(required(body, "id"))
    if agent is None:
        raise not_found("Agent")
    return agent


def _agent_fields(state: LiveChatState, body: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for key, kind in AGENT_WRITABLE.items():
        if key in body:
            value = optional(body, key, kind)
            if key == "role" and value not in ROLES:
                raise validation(f"`role` must be one of: {', '.join(ROLES)}")
            if key == "groups":
                for group in value or []:
                    if not isinstance(group, dict) or group.get("id") not in state.groups:
                        raise error("group_not_found", "Group not found")
            out[key] = copy.deepcopy(value)
    return out


def list_agents(ctx: Context, state: LiveChatState, body: dict[str, Any]) -> Any:
    filters = optional(body, "filters", dict) or {}
    groups = set(filters.get("group_ids") or ())
    fields = _fields(body)
    out = []
    for agent in state.agents.values():
        if groups and not groups & {g["id"] for g in agent.get("groups") or []}:
            continue
        if "suspended" in filters and bool(agent.get("suspended")) != filters["suspended"]:
            continue
        out.append(agent_view(agent, fields))
    return out


def get_agent(ctx: Context, state: LiveChatState, body: dict[str, Any]) -> Any:
    return agent_view(_agent(state, body), _fields(body))


def create_agent(ctx: Context, state: LiveChatState, body: dict[str, Any]) -> Any:
    agent_id = required(body, "id")
    if "@" not in agent_id:
        raise validation("`id` must be an email")
    if agent_id in state.agents:
        raise error("already_exists", "Agent already exists")
    name = required(body, "name")
    fields = _agent_fields(state, body)
    state.agents[agent_id] = {"id": agent_id, "account_id": None, "name": name,
                              "role": "normal", "login_status": "not accepting chats",
                              "groups": [{"id": 0, "priority": "normal"}],
                              "suspended": False, "awaiting_approval": False, **fields}
    state.routing[agent_id] = "not_accepting_chats"
    return {"id": agent_id}


def update_agent(ctx: Context, state: LiveChatState, body: dict[str, Any]) -> Any:
    agent = _agent(state, body)
    agent.update(_agent_fields(state, body))
    return {}


def delete_agent(ctx: Context, state: LiveChatState, body: dict[str, Any]) -> Any:
    agent = _agent(state, body)
    if agent["id"] == state.me:
        raise error("authorization", "Cannot delete the requester")
    del state.agents[agent["id"]]
    state.routing.pop(agent["id"], None)
    return {}


def _flag(key: str, value: bool) -> Handler:
    def handler(ctx: Context, state: LiveChatState, body: dict[str, Any]) -> Any:
        _agent(state, body)[key] = value
        return {}
    return handler


def request_agent_unsuspension(ctx: Context, state: LiveChatState, body: dict[str, Any]) -> Any:
    return {}


def batch(handler: Handler) -> Handler:
    def run(ctx: Context, state: LiveChatState, body: dict[str, Any]) -> Any:
        requests = required(body, "requests", list)
        responses = []
        for item in requests:
            try:
                if not isinstance(item, dict):
                    raise validation("a request must be an object")
                responses.append(handler(ctx, state, item))
            except SimError as exc:
                responses.append({"error": {"type": exc.code, "message": exc.message}})
        return {"responses": responses}
    return run


# -- groups -------------------------------------------------------------------------------------
def _group(state: LiveChatState, body: dict[str, Any]) -> dict[str, Any]:
    group = state.groups.get(required(body, "id", int))
    if group is None:
        raise error("group_not_found", "Group not found")
    return group


def _priorities(state: LiveChatState, value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        raise validation("`agent_priorities` must be an object")
    for agent_id, priority in value.items():
        if agent_id not in state.agents:
            raise not_found("Agent")
        if priority not in PRIORITIES:
            raise validation(f"`agent_priorities` values must be one of: {', '.join(PRIORITIES)}")
    return dict(value)


def _name(body: dict[str, Any], needed: bool) -> str | None:
    name = required(body, "name") if needed else optional(body, "name", str)
    if name is not None and not 1 <= len(name) <= 180:
        raise validation("`name` must have 1 to 180 characters")
    return name


def list_groups(ctx: Context, state: LiveChatState, body: dict[str, Any]) -> Any:
    fields = _fields(body)
    return [group_view(g, fields) for g in state.groups.values()]


def get_group(ctx: Context, state: LiveChatState, body: dict[str, Any]) -> Any:
    return group_view(_group(state, body), _fields(body))


def create_group(ctx: Context, state: LiveChatState, body: dict[str, Any]) -> Any:
    name = _name(body, True)
    if "agent_priorities" not in body:
        raise validation("`agent_priorities` is required")
    priorities = _priorities(state, body["agent_priorities"])
    group_id = max(state.groups, default=-1) + 1
    state.groups[group_id] = {"id": group_id, "name": name,
                              "language_code": optional(body, "language_code", str) or "en",
                              "agent_priorities": priorities, "routing_status": "offline"}
    for agent_id, priority in priorities.items():
        state.agents[agent_id].setdefault("groups", []).append({"id": group_id,
                                                                "priority": priority})
    return {"id": group_id}


def update_group(ctx: Context, state: LiveChatState, body: dict[str, Any]) -> Any:
    group = _group(state, body)
    name = _name(body, False)
    if name is not None:
        group["name"] = name
    if "language_code" in body:
        group["language_code"] = optional(body, "language_code", str)
    if "agent_priorities" in body:
        group["agent_priorities"] = _priorities(state, body["agent_priorities"])
    return {}


def delete_group(ctx: Context, state: LiveChatState, body: dict[str, Any]) -> Any:
    group = _group(state, body)
    if group["id"] == 0:
        raise validation("The default group cannot be deleted")
    del state.groups[group["id"]]
    return {}


# -- tags ---------------------------------------------------------------------------------------
def _group_list(state: LiveChatState, body: dict[str, Any]) -> list[int]:
    ids = optional(body, "group_ids", list) or []
    for group in ids:
        if group not in state.groups:
            raise error("group_not_found", "Group not found")
    return ids


def list_tags(ctx: Context, state: LiveChatState, body: dict[str, Any]) -> Any:
    filters = optional(body, "filters", dict)
    groups = None
    if filters is not None:
        groups = set(required(filters, "group_ids", list))
    return [tag_view(t) for t in state.tags.values()
            if groups is None or groups & set(t["group_ids"])]


def create_tag(ctx: Context, state: LiveChatState, body: dict[str, Any]) -> Any:
    name = required(body, "name")
    if any(existing.lower() == name.lower() for existing in state.tags):
        raise error("already_exists", "Tag already exists")
    state.tags[name] = {"name": name, "group_ids": _group_list(state, body),
                        "author_id": state.me, "created_at": state.now()}
    return {}


def _tag(state: LiveChatState, body: dict[str, Any]) -> dict[str, Any]:
    tag = state.tags.get(required(body, "name"))
    if tag is None:
        raise not_found("Tag")
    return tag


def update_tag(ctx: Context, state: LiveChatState, body: dict[str, Any]) -> Any:
    tag = _tag(state, body)
    if "group_ids" in body:
        tag["group_ids"] = _group_list(state, body)
    return {}


def delete_tag(ctx: Context, state: LiveChatState, body: dict[str, Any]) -> Any:
    del state.tags[_tag(state, body)["name"]]
    return {}


# -- properties ---------------------------------------------------------------------------------
PROPERTY_TYPES = ("int", "bool", "string", "tokenized_string")


def list_properties(ctx: Context, state: LiveChatState, body: dict[str, Any]) -> Any:
    owner = required(body, "owner_client_id")
    return copy.deepcopy(state.properties.get(owner, {}))


def register_property(ctx: Context, state: LiveChatState, body: dict[str, Any]) -> Any:
    name, owner = required(body, "name"), required(body, "owner_client_id")
    if required(body, "type") not in PROPERTY_TYPES:
        raise validation(f"`type` must be one of: {', '.join(PROPERTY_TYPES)}")
    access = required(body, "access", dict)
    bucket = state.properties.setdefault(owner, {})
    if name in bucket:
        raise error("already_exists", "Property already exists")
    bucket[name] = {"type": body["type"], "description": body.get("description", ""),
                    "access": copy.deepcopy(access)}
    for key in ("domain", "range", "default_value"):
        if key in body:
            bucket[name][key] = copy.deepcopy(body[key])
    return {}


def _property(state: LiveChatState, body: dict[str, Any]) -> dict[str, Any]:
    prop = state.properties.get(required(body, "owner_client_id"), {}).get(
        required(body, "name"))
    if prop is None:
        raise not_found("Property")
    return prop


def unregister_property(ctx: Context, state: LiveChatState, body: dict[str, Any]) -> Any:
    if _property(state, body).get("public_access"):
        raise validation("Published properties cannot be unregistered")
    del state.properties[body["owner_client_id"]][body["name"]]
    return {}


def publish_property(ctx: Context, state: LiveChatState, body: dict[str, Any]) -> Any:
    prop = _property(state, body)
    access = required(body, "access_type", list)
    if not access or not set(access) <= {"read", "write"}:
        raise validation("`access_type` must hold read and/or write")
    prop["public_access"] = list(access)
    return {}


def _props(body: dict[str, Any], delete: bool) -> dict[str, Any]:
    props = required(body, "properties", dict)
    if not all(isinstance(v, list if delete else dict) for v in props.values()):
        raise validation("`properties` must follow the properties format")
    return props


def _apply(target: dict[str, Any], props: dict[str, Any], delete: bool) -> dict[str, Any]:
    for namespace, values in props.items():
        bucket = target.setdefault(namespace, {})
        if delete:
            for name in values:
                bucket.pop(name, None)
        else:
            bucket.update(copy.deepcopy(values))
    return {}


def list_license_properties(ctx: Context, state: LiveChatState, body: dict[str, Any]) -> Any:
    namespace = optional(body, "namespace", str)
    return {k: copy.deepcopy(v) for k, v in state.license_properties.items()
            if namespace is None or k == namespace}


def _license_props(delete: bool) -> Handler:
    def handler(ctx: Context, state: LiveChatState, body: dict[str, Any]) -> Any:
        return _apply(state.license_properties, _props(body, delete), delete)
    return handler


def list_groups_properties(ctx: Context, state: LiveChatState, body: dict[str, Any]) -> Any:
    groups = (optional(body, "filters", dict) or {}).get("group_ids")
    return [{"id": g, "properties": copy.deepcopy(state.group_properties.get(g, {}))}
            for g in state.groups if groups is None or g in groups]


def _group_props(delete: bool) -> Handler:
    def handler(ctx: Context, state: LiveChatState, body: dict[str, Any]) -> Any:
        group = _group(state, body)
        target = state.group_properties.setdefault(group["id"], {})
        return _apply(target, _props(body, delete), delete)
    return handler


# -- customer bans ------------------------------------------------------------------------------
def list_customer_bans(ctx: Context, state: LiveChatState, body: dict[str, Any]) -> Any:
    return [{k: v for k, v in ban.items() if k != "days"} for ban in state.bans]


def unban_customer(ctx: Context, state: LiveChatState, body: dict[str, Any]) -> Any:
    ip, customer = optional(body, "ip", str), optional(body, "customer_id", str)
    if not ip and not customer:
        raise validation("`ip` or `customer_id` is required")
    before = len(state.bans)
    state.bans = [b for b in state.bans
                  if not ((ip and b.get("ip") == ip) or (customer and
                                                          b.get("customer_id") == customer))]
    if len(state.bans) == before:
        raise not_found("Ban")
    return {}


# -- webhooks -----------------------------------------------------------------------------------
#: the ``action`` values register_webhook takes (v3.6 "Triggering actions")
WEBHOOK_ACTIONS = frozenset((
    "incoming_chat chat_deactivated chat_access_updated chat_transferred user_added_to_chat "
    "user_removed_from_chat incoming_event event_deleted event_updated "
    "incoming_rich_message_postback chat_properties_updated chat_properties_deleted "
    "thread_properties_updated thread_properties_deleted event_properties_updated "
    "event_properties_deleted thread_tagged thread_untagged routing_status_set "
    "customer_session_fields_updated events_marked_as_seen group_created group_updated "
    "group_deleted agent_created agent_updated agent_deleted agent_suspended agent_unsuspended "
    "agent_approved bot_created bot_updated bot_deleted auto_accesses_updated tag_created "
    "tag_deleted tag_updated thread_summary_set").split())
WEBHOOKS_PER_ACTION = 3
WEBHOOK_LISTED = ("id", "url", "description", "action", "filters", "owner_client_id", "type",
                  "additional_data")


def register_webhook(ctx: Context, state: LiveChatState, body: dict[str, Any]) -> Any:
    action = required(body, "action")
    if action not in WEBHOOK_ACTIONS:
        raise validation("`action` is not a supported webhook action")
    url = required(body, "url")
    if len(url) > 500 or not url.startswith(("http://", "https://")):
        raise validation("`url` must be an http(s) URL of at most 500 characters")
    secret = required(body, "secret_key")
    owner = required(body, "owner_client_id")
    kind = required(body, "type")
    if kind not in ("bot", "license"):
        raise validation("`type` must be one of: bot, license")
    hook_id = state.new_id(length=25).lower()
    while hook_id in state.webhooks:
        hook_id = state.new_id(length=25).lower()
    hook = {"id": hook_id, "url": url, "action": action,
            "owner_client_id": owner, "type": kind, "secret_key": secret}
    for key, kind_ in (("description", str), ("filters", dict), ("additional_data", list)):
        if body.get(key) is not None:
            hook[key] = copy.deepcopy(optional(body, key, kind_))
    same = [h for h in state.webhooks.values()
            if h["owner_client_id"] == owner and h["action"] == action]
    if len(same) >= WEBHOOKS_PER_ACTION:
        raise error("limit_reached", "Webhooks limit reached for this action")
    state.webhooks[hook["id"]] = hook
    return {"id": hook["id"]}


def list_webhooks(ctx: Context, state: LiveChatState, body: dict[str, Any]) -> Any:
    owner = required(body, "owner_client_id")
    return [{k: copy.deepcopy(h[k]) for k in WEBHOOK_LISTED if k in h}
            for h in state.webhooks.values() if h["owner_client_id"] == owner]


def unregister_webhook(ctx: Context, state: LiveChatState, body: dict[str, Any]) -> Any:
    hook = state.webhooks.get(required(body, "id"))
    if hook is None or hook["owner_client_id"] != required(body, "owner_client_id"):
        raise not_found("Webhook")
    del state.webhooks[hook["id"]]
    return {}


ACTIONS: dict[str, Handler] = {
    "list_agents": list_agents, "get_agent": get_agent, "create_agent": create_agent,
    "update_agent": update_agent, "delete_agent": delete_agent,
    "suspend_agent": _flag("suspended", True), "unsuspend_agent": _flag("suspended", False),
    "approve_agent": _flag("awaiting_approval", False),
    "request_agent_unsuspension": request_agent_unsuspension,
    "list_groups": list_groups, "get_group": get_group, "create_group": create_group,
    "update_group": update_group, "delete_group": delete_group,
    "list_tags": list_tags, "create_tag": create_tag, "update_tag": update_tag,
    "delete_tag": delete_tag,
    "list_properties": list_properties, "register_property": register_property,
    "unregister_property": unregister_property, "publish_property": publish_property,
    "list_license_properties": list_license_properties,
    "update_license_properties": _license_props(False),
    "delete_license_properties": _license_props(True),
    "list_groups_properties": list_groups_properties,
    "update_group_properties": _group_props(False),
    "delete_group_properties": _group_props(True),
    "list_customer_bans": list_customer_bans, "unban_customer": unban_customer,
    "register_webhook": register_webhook, "list_webhooks": list_webhooks,
    "unregister_webhook": unregister_webhook,
}
for _name_ in ("create", "update", "delete", "suspend", "unsuspend", "approve"):
    ACTIONS[f"batch_{_name_}_agents"] = batch(ACTIONS[f"{_name_}_agent"])

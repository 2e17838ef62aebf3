"""Agent Chat Web API v3.6 action handlers for chats, events, properties and thread tags:
``handler(ctx, state, body) -> answer`` (customers and the rest: ``customer_actions``).

Requester-presence rules (``ignore_requester_presence``) are not enforced: the requester is
the token's agent, who may act on any chat (as with the ``chats--all`` scopes).
"""

from __future__ import annotations

import copy
from typing import Any

from ..base import Context
from .common import Handler, error, not_found, optional, paged, required, validation
from .files import describe_file, store_upload
from .models import (
    LiveChatState,
    chat_view,
    parse,
    summary_view,
)

EVENT_TYPES = ("message", "system_message", "file", "rich_message", "filled_form", "custom",
               "form")
MAX_UPLOAD = 10 * 1024 * 1024


def _chat(state: LiveChatState, body: dict[str, Any], key: str = "chat_id") -> dict[str, Any]:
    chat = state.chats.get(required(body, key))
    if chat is None:
        raise not_found("Chat")
    return chat


def _thread(state: LiveChatState, chat: dict[str, Any], thread_id: Any) -> dict[str, Any]:
    if not isinstance(thread_id, str) or thread_id not in chat["thread_ids"]:
        raise not_found("Thread")
    return state.threads[thread_id]


def _active(state: LiveChatState, chat: dict[str, Any]) -> dict[str, Any]:
    thread = state.active_thread(chat)
    if thread is None:
        raise error("chat_inactive", "Chat is inactive")
    return thread


def _group_ids(state: LiveChatState, ids: Any, key: str = "group_ids") -> list[int]:
    if not isinstance(ids, list) or not all(isinstance(i, int) and not isinstance(i, bool)
                                            for i in ids):
        raise validation(f"`{key}` must be an array of numbers")
    for group in ids:
        if group not in state.groups:
            raise not_found("Group")
    return ids


# -- chats --------------------------------------------------------------------------------------
def list_chats(ctx: Context, state: LiveChatState, body: dict[str, Any]) -> Any:
    def first(filters: dict[str, Any], order: str) -> list[Any]:
        active = filters.get("active")
        groups = set(filters.get("group_ids") or ())
        with_empty = filters.get("include_chats_without_threads", True)
        out = []
        for chat in state.chats.values():
            thread = state.latest_thread(chat)
            if thread is None and not with_empty:
                continue
            if active is not None and bool(thread and thread["active"]) != active:
                continue
            if groups and not groups & set(chat["access"]["group_ids"]):
                continue
            out.append(((thread or {}).get("created_at", ""), chat["id"]))
        out.sort(reverse=order == "desc")
        return [chat_id for _, chat_id in out]

    items, keys = paged(ctx, state, body, "list_chats", first,
                        lambda chat_id: summary_view(state, state.chats[chat_id]))
    total = keys.pop("_total")
    return {"chats_summary": items, "found_chats": total, **keys}


def list_threads(ctx: Context, state: LiveChatState, body: dict[str, Any]) -> Any:
    chat = _chat(state, body)

    def first(filters: dict[str, Any], order: str) -> list[Any]:
        ids = list(chat["thread_ids"])
        since, until = filters.get("from"), filters.get("to")
        ids = [t for t in ids if (since is None or parse(state.threads[t]["created_at"])
                                  >= parse(since)) and
               (until is None or parse(state.threads[t]["created_at"]) <= parse(until))]
        return ids if order == "asc" else ids[::-1]

    items, keys = paged(ctx, state, body, "list_threads", first,
                        lambda t: chat_view(state, chat, state.threads[t])["thread"],
                        default_limit=3, scope=chat["id"])
    total = keys.pop("_total")
    return {"threads": items, "found_threads": total, **keys}


def get_chat(ctx: Context, state: LiveChatState, body: dict[str, Any]) -> Any:
    chat = _chat(state, body)
    thread_id = optional(body, "thread_id", str)
    thread = _thread(state, chat, thread_id) if thread_id else state.latest_thread(chat)
    return chat_view(state, chat, thread)


def _matches(state: LiveChatState, chat: dict[str, Any], thread: dict[str, Any],
             filters: dict[str, Any]) -> bool:
    query = filters.get("query")
    if query:
        needle = str(query).lower()
        texts = [str(e.get("text", "")) for e in thread["events"]]
        texts += [str(state.customers[u].get(k, "")) for u in chat["users"]
                  if u in state.customers for k in ("name", "email")]
        if not any(needle in t.lower() for t in texts):
            return False
    created = parse(thread["created_at"])
    if filters.get("from") and created < parse(filters["from"]):
        return False
    if filters.get("to") and created > parse(filters["to"]):
        return False
    for key, values in (("chat_ids", chat["id"]), ("thread_ids", thread["id"])):
        if filters.get(key) is not None and values not in filters[key]:
            return False
    if filters.get("group_ids") and not set(filters["group_ids"]) & set(
            thread["access"]["group_ids"]):
        return False
    customer = next((u for u in chat["users"] if u in state.customers), None)
    if filters.get("customer_id") and customer != filters["customer_id"]:
        return False
    if filters.get("customer_email") and (customer is None or state.customers[customer].get(
            "email") != filters["customer_email"]):
        return False
    for key, have in (("tags", set(thread["tags"])),
                      ("agents", {u for u in thread["user_ids"] if u in state.agents}),
                      ("event_types", {e["type"] for e in thread["events"]})):
        spec = filters.get(key)
        if not isinstance(spec, dict):
            continue
        if "exists" in spec and bool(have) != bool(spec["exists"]):
            return False
        if spec.get("values") is not None:
            wanted = set(spec["values"])
            if not (wanted <= have if spec.get("require_every_value") else wanted & have):
                return False
        if spec.get("exclude_values") and set(spec["exclude_values"]) & have:
            return False
    return True


def list_archives(ctx: Context, state: LiveChatState, body: dict[str, Any]) -> Any:
    def first(filters: dict[str, Any], order: str) -> list[Any]:
        out = []
        for chat in state.chats.values():
            for thread_id in chat["thread_ids"]:
                thread = state.threads[thread_id]
                if _matches(state, chat, thread, filters):
                    out.append((thread["created_at"], chat["id"], thread_id))
        out.sort(reverse=order == "desc")
        return [(c, t) for _, c, t in out]

    items, keys = paged(ctx, state, body, "list_archives", first,
                        lambda ct: chat_view(state, state.chats[ct[0]], state.threads[ct[1]]))
    total = keys.pop("_total")
    return {"chats": items, "found_chats": total, **keys}


def _events(state: LiveChatState, thread: dict[str, Any], events: Any,
            author: str) -> list[str]:
    if not isinstance(events, list):
        raise validation("`chat.thread.events` must be an array")
    return [_add_event(state, thread, e, author)["id"] for e in events]


def _check_event(event: Any) -> dict[str, Any]:
    if not isinstance(event, dict):
        raise validation("`event` is required")
    kind = event.get("type")
    if kind not in EVENT_TYPES or kind in ("system_message", "form"):
        raise validation("`event.type` is not supported")
    if kind == "message" and not isinstance(event.get("text"), str):
        raise validation("`event.text` is required")
    if kind == "file" and not isinstance(event.get("url"), str):
        raise validation("`event.url` is required")
    if event.get("visibility", "all") not in ("all", "agents"):
        raise validation("`event.visibility` must be one of: all, agents")
    return event


def _add_event(state: LiveChatState, thread: dict[str, Any], event: Any,
               author: str) -> dict[str, Any]:
    record = copy.deepcopy(_check_event(event))
    record["id"] = f"{thread['id']}_{len(thread['events']) + 1}"
    record["created_at"] = state.now()
    record["author_id"] = author
    record.setdefault("visibility", "all")
    if record["type"] == "file":
        describe_file(state.files, record)
        name = record["url"].rsplit("/", 1)[-1]
        record.setdefault("name", name)
        record.setdefault("content_type", "application/octet-stream")
        record.setdefault("size", 0)
    thread["events"].append(record)
    if author not in thread["user_ids"]:
        thread["user_ids"].append(author)
    return record


def _new_thread(state: LiveChatState, chat: dict[str, Any], active: bool) -> dict[str, Any]:
    previous = state.latest_thread(chat)
    thread = {"id": state.new_id(), "chat_id": chat["id"], "active": active,
              "user_ids": [u for u in chat["users"]], "events": [], "properties": {},
              "access": copy.deepcopy(chat["access"]), "tags": [], "created_at": state.now()}
    if previous is not None:
        previous["active"] = False
        previous["next_thread_id"] = thread["id"]
        thread["previous_thread_id"] = previous["id"]
    state.threads[thread["id"]] = thread
    chat["thread_ids"].append(thread["id"])
    return thread


def _chat_users(state: LiveChatState, chat_body: dict[str, Any]) -> list[str]:
    users = chat_body.get("users") or []
    if not isinstance(users, list):
        raise validation("`chat.users` must be an array")
    out = [state.me]
    for user in users:
        if not isinstance(user, dict) or user.get("type") not in ("agent", "customer"):
            raise validation("`chat.users.type` must be one of: agent, customer")
        if state.user_type(str(user.get("id"))) != user["type"]:
            raise not_found("User")
        if user["id"] not in out:
            out.append(user["id"])
    return out


def start_chat(ctx: Context, state: LiveChatState, body: dict[str, Any]) -> Any:
    chat_body = optional(body, "chat", dict) or {}
    access = optional(chat_body, "access", dict) or {"group_ids": [0]}
    _group_ids(state, access.get("group_ids", [0]), "chat.access.group_ids")
    chat: dict[str, Any] = {"id": state.new_id(), "users": _chat_users(state, chat_body),
            "properties": copy.deepcopy(chat_body.get("properties") or {}),
            "access": {"group_ids": list(access.get("group_ids", [0]))}, "followers": set(),
            "thread_ids": []}
    thread_body = optional(chat_body, "thread", dict) or {}
    state.chats[chat["id"]] = chat
    thread = _new_thread(state, chat, bool(body.get("active", True)))
    thread["properties"] = copy.deepcopy(thread_body.get("properties") or {})
    for user in chat["users"]:
        if user in state.customers:
            state.customers[user].setdefault("chat_ids", []).append(chat["id"])
    answer = {"chat_id": chat["id"], "thread_id": thread["id"]}
    if thread_body.get("events"):
        answer["event_ids"] = _events(state, thread, thread_body["events"], state.me)
    return answer


def resume_chat(ctx: Context, state: LiveChatState, body: dict[str, Any]) -> Any:
    chat_body = required(body, "chat", dict)
    chat = _chat(state, chat_body, "id")
    if state.active_thread(chat) is not None:
        raise validation("Chat is already active")
    for user in _chat_users(state, chat_body):
        if user not in chat["users"]:
            chat["users"].append(user)
    if chat_body.get("access"):
        chat["access"] = {"group_ids": _group_ids(state, chat_body["access"].get("group_ids"))}
    thread = _new_thread(state, chat, bool(body.get("active", True)))
    answer: dict[str, Any] = {"thread_id": thread["id"]}
    events = (chat_body.get("thread") or {}).get("events")
    if events:
        answer["event_ids"] = _events(state, thread, events, state.me)
    return answer


def deactivate_chat(ctx: Context, state: LiveChatState, body: dict[str, Any]) -> Any:
    thread = _active(state, _chat(state, body, "id"))
    thread["active"] = False
    thread["events"].append({"id": f"{thread['id']}_{len(thread['events']) + 1}",
                             "type": "system_message", "created_at": state.now(),
                             "visibility": "all", "text": "Chat closed",
                             "system_message_type": "manual_archived_agent"})
    return {}


def follow_chat(ctx: Context, state: LiveChatState, body: dict[str, Any]) -> Any:
    _chat(state, body, "id")["followers"].add(state.me)
    return {}


def unfollow_chat(ctx: Context, state: LiveChatState, body: dict[str, Any]) -> Any:
    _chat(state, body, "id")["followers"].discard(state.me)
    return {}


def transfer_chat(ctx: Context, state: LiveChatState, body: dict[str, Any]) -> Any:
    chat = _chat(state, body, "id")
    thread = _active(state, chat)
    target = optional(body, "target", dict)
    if target is not None:
        ids = target.get("ids")
        if target.get("type") not in ("group", "agent") or not isinstance(ids, list) or not ids:
            raise validation("`target.type` and `target.ids` are required")
        if target["type"] == "group":
            chat["access"] = {"group_ids": _group_ids(state, ids, "target.ids")}
            thread["access"] = copy.deepcopy(chat["access"])
        else:
            for agent_id in ids:
                if agent_id not in state.agents:
                    raise not_found("Agent")
                if state.routing.get(agent_id) == "offline" and not body.get(
                        "ignore_agents_availability"):
                    raise error("agent_offline", "Agent is offline")
            chat["users"] = [u for u in chat["users"] if u not in state.agents] + list(ids)
            thread["user_ids"] = [u for u in thread["user_ids"] if u not in state.agents] + ids
    return {}


def add_user_to_chat(ctx: Context, state: LiveChatState, body: dict[str, Any]) -> Any:
    chat = _chat(state, body)
    user_id, kind = required(body, "user_id"), required(body, "user_type")
    if kind not in ("agent", "customer"):
        raise validation("`user_type` must be one of: agent, customer")
    if required(body, "visibility") not in ("all", "agents"):
        raise validation("`visibility` must be one of: all, agents")
    if state.user_type(user_id) != kind:
        raise not_found("User")
    if user_id not in chat["users"]:
        chat["users"].append(user_id)
    thread = state.active_thread(chat)
    if thread is not None and user_id not in thread["user_ids"]:
        thread["user_ids"].append(user_id)
    return {}


def remove_user_from_chat(ctx: Context, state: LiveChatState, body: dict[str, Any]) -> Any:
    chat = _chat(state, body)
    user_id = required(body, "user_id")
    if required(body, "user_type") != "agent":
        raise validation("`user_type` must be: agent")
    if user_id not in chat["users"]:
        raise not_found("User")
    chat["users"].remove(user_id)
    for thread_id in chat["thread_ids"]:
        users = state.threads[thread_id]["user_ids"]
        if user_id in users and state.threads[thread_id]["active"]:
            users.remove(user_id)
    return {}


# -- events -------------------------------------------------------------------------------------
def send_event(ctx: Context, state: LiveChatState, body: dict[str, Any]) -> Any:
    chat = _chat(state, body)
    event = _check_event(body.get("event"))
    thread = _active(state, chat)
    return {"event_id": _add_event(state, thread, event, state.me)["id"]}


def send_event_preview(ctx: Context, state: LiveChatState, body: dict[str, Any]) -> Any:
    chat = _chat(state, body)
    event = _check_event(body.get("event"))
    if event["type"] != "message":
        raise validation("`event.type` must be: message")
    _active(state, chat)
    return {}


def upload_file(ctx: Context, state: LiveChatState, body: dict[str, Any]) -> Any:
    upload = ctx.request.files.get("file")
    if upload is None:
        raise validation("`file` is required")
    data = upload.read()
    if len(data) > MAX_UPLOAD:
        raise error("entity_too_large", "File is too large")
    name = upload.filename or "file"
    url = store_upload(ctx.sim.files, data, name, upload.mimetype)
    state.uploads.append(url)
    return {"url": url}


def send_rich_message_postback(ctx: Context, state: LiveChatState, body: dict[str, Any]) -> Any:
    chat = _chat(state, body)
    thread = _thread(state, chat, required(body, "thread_id"))
    event_id = required(body, "event_id")
    postback = required(body, "postback", dict)
    if not isinstance(postback.get("id"), str) or not isinstance(postback.get("toggled"), bool):
        raise validation("`postback.id` and `postback.toggled` are required")
    if not any(e["id"] == event_id for e in thread["events"]):
        raise not_found("Event")
    return {}


# -- properties, tags ---------------------------------------------------------------------------
def _props(body: dict[str, Any], delete: bool) -> dict[str, Any]:
    props = required(body, "properties", dict)
    for _namespace, values in props.items():
        if not isinstance(values, list if delete else dict):
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


def _chat_props(delete: bool) -> Handler:
    def handler(ctx: Context, state: LiveChatState, body: dict[str, Any]) -> Any:
        return _apply(_chat(state, body, "id")["properties"], _props(body, delete), delete)
    return handler


def _thread_props(delete: bool) -> Handler:
    def handler(ctx: Context, state: LiveChatState, body: dict[str, Any]) -> Any:
        thread = _thread(state, _chat(state, body), required(body, "thread_id"))
        return _apply(thread["properties"], _props(body, delete), delete)
    return handler


def _event_props(delete: bool) -> Handler:
    def handler(ctx: Context, state: LiveChatState, body: dict[str, Any]) -> Any:
        thread = _thread(state, _chat(state, body), required(body, "thread_id"))
        event_id = required(body, "event_id")
        event = next((e for e in thread["events"] if e["id"] == event_id), None)
        if event is None:
            raise not_found("Event")
        return _apply(event.setdefault("properties", {}), _props(body, delete), delete)
    return handler


def _tagging(add: bool) -> Handler:
    def handler(ctx: Context, state: LiveChatState, body: dict[str, Any]) -> Any:
        thread = _thread(state, _chat(state, body), required(body, "thread_id"))
        tag = required(body, "tag")
        if tag not in state.tags:  # case sensitive
            raise not_found("Tag")
        if add and tag not in thread["tags"]:
            thread["tags"].append(tag)
        elif not add and tag in thread["tags"]:
            thread["tags"].remove(tag)
        return {}
    return handler


ACTIONS: dict[str, Handler] = {
    "list_chats": list_chats, "list_threads": list_threads, "get_chat": get_chat,
    "list_archives": list_archives, "start_chat": start_chat, "resume_chat": resume_chat,
    "deactivate_chat": deactivate_chat, "follow_chat": follow_chat,
    "unfollow_chat": unfollow_chat, "transfer_chat": transfer_chat,
    "add_user_to_chat": add_user_to_chat, "remove_user_from_chat": remove_user_from_chat,
    "send_event": send_event, "send_event_preview": send_event_preview,
    "upload_file": upload_file, "send_rich_message_postback": send_rich_message_postback,
    "update_chat_properties": _chat_props(False), "delete_chat_properties": _chat_props(True),
    "update_thread_properties": _thread_props(False),
    "delete_thread_properties": _thread_props(True),
    "update_event_properties": _event_props(False),
    "delete_event_properties": _event_props(True),
    "tag_thread": _tagging(True), "untag_thread": _tagging(False),
}

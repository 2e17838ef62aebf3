"""Crisp simulator handlers: conversations, their state, routing, meta and block."""

from __future__ import annotations

import copy
import uuid
from typing import Any

from ..base import Context
from ._common import (
    META_FIELDS,
    _apply_filters,
    _check_email,
    _check_keys,
    _check_str_list,
    _check_typed,
    _conversation,
    _date_ms,
    _flag,
    _page,
    _parse_filters,
    _per_page,
    _scalar_map,
    _search_operator,
    _slice,
    _website,
    invalid,
    ok,
)
from .models import (
    CONVERSATION_STATES,
    CrispState,
    conversation_view,
)


# ---------------------------------------------------------------------- conversations
def _conversation_text(state: CrispState, conv: dict[str, Any]) -> list[str]:
    meta = conv["meta"]
    parts = [meta.get("nickname", ""), meta.get("email", ""), meta.get("subject", ""),
             meta.get("phone", "")]
    for msg in state.messages.get(conv["session_id"], []):
        content = msg.get("content")
        if isinstance(content, str):
            parts.append(content)
        elif isinstance(content, dict):
            parts.extend(str(v) for v in content.values() if isinstance(v, str))
    return parts


def list_conversations(ctx: Context, website_id: str, page: int) -> Any:
    state = _website(ctx, website_id)
    per_page = _per_page(ctx)
    _page(page)
    convs = list(state.conversations.values())
    if not _flag(ctx, "include_empty"):
        convs = [c for c in convs if state.messages.get(c["session_id"])]

    query = ctx.query.get("search_query") or ""
    search_type = (ctx.query.get("search_type") or "text").strip().lower()
    if search_type not in ("text", "segment", "filter"):
        raise invalid("search_type should be text, segment or filter", "query")
    if query:
        if search_type == "text":
            needle = query.lower()
            convs = [c for c in convs
                     if any(needle in part.lower() for part in _conversation_text(state, c))]
        elif search_type == "segment":
            wanted = query.lower()
            convs = [c for c in convs
                     if any(s.lower() == wanted for s in c["meta"].get("segments") or [])]
        else:
            convs = _apply_filters(convs, _parse_filters(query), _search_operator(ctx),
                                   lambda c: conversation_view(state, c))

    inbox = ctx.query.get("filter_inbox_id")
    if inbox:
        convs = [c for c in convs if c["inbox_id"] == inbox]
    if _flag(ctx, "filter_unread"):
        convs = [c for c in convs if state.unread_counts(c["session_id"])["operator"] > 0]
    if _flag(ctx, "filter_resolved"):
        convs = [c for c in convs if c["state"] == "resolved"]
    if _flag(ctx, "filter_not_resolved"):
        convs = [c for c in convs if c["state"] != "resolved"]
    if _flag(ctx, "filter_mention"):
        convs = [c for c in convs if c["mentions"]]
    assigned = ctx.query.get("filter_assigned")
    if assigned:
        convs = [c for c in convs if (c["assigned"] or {}).get("user_id") == assigned]
    if _flag(ctx, "filter_unassigned"):
        convs = [c for c in convs if not c["assigned"]]
    start, end = _date_ms(ctx, "filter_date_start"), _date_ms(ctx, "filter_date_end")
    if start is not None:
        convs = [c for c in convs if c["updated_at"] >= start]
    if end is not None:
        convs = [c for c in convs if c["updated_at"] <= end]

    if _flag(ctx, "order_date_created"):
        key = "created_at"
    elif _flag(ctx, "order_date_waiting"):
        key = "waiting_since"
    else:
        key = "updated_at"
    convs.sort(key=lambda c: (c[key], c["session_id"]), reverse=True)
    return ok([conversation_view(state, c) for c in _slice(convs, page, per_page)])


def create_conversation(ctx: Context, website_id: str) -> Any:
    state = _website(ctx, website_id)
    _ = ctx.body  # a non-object body is invalid_data; the body is otherwise ignored
    session_id = f"session_{uuid.uuid4()}"
    state.new_conversation(session_id, state.tick())
    return ok({"session_id": session_id}, "added", 201)


def get_conversation(ctx: Context, website_id: str, session_id: str) -> Any:
    state = _website(ctx, website_id)
    return ok(conversation_view(state, _conversation(state, session_id)))


def remove_conversation(ctx: Context, website_id: str, session_id: str) -> Any:
    state = _website(ctx, website_id)
    _conversation(state, session_id)
    state.remove_conversation(session_id)
    return ok(None, "deleted")


def get_conversation_state(ctx: Context, website_id: str, session_id: str) -> Any:
    state = _website(ctx, website_id)
    return ok({"state": _conversation(state, session_id)["state"]})


def _check_actor(body: dict[str, Any]) -> None:
    if "user" in body and body["user"] is not None:
        _check_typed(body["user"], {"type": str, "nickname": str, "avatar": str}, "data.user")
    if "origin" in body and not isinstance(body["origin"], str):
        raise invalid("data.origin should be string", "data")


def change_conversation_state(ctx: Context, website_id: str, session_id: str) -> Any:
    state = _website(ctx, website_id)
    conv = _conversation(state, session_id)
    body = ctx.body
    _check_keys(body, ("state", "user", "origin"), "data")
    if body.get("state") not in CONVERSATION_STATES:
        raise invalid(f"data.state should be one of {', '.join(CONVERSATION_STATES)}", "data")
    _check_actor(body)
    state.set_conversation_state(conv, body["state"])
    return ok(None, "updated")


def get_conversation_routing(ctx: Context, website_id: str, session_id: str) -> Any:
    state = _website(ctx, website_id)
    conv = _conversation(state, session_id)
    return ok({"assigned": copy.deepcopy(conv["assigned"])})


def assign_conversation_routing(ctx: Context, website_id: str, session_id: str) -> Any:
    state = _website(ctx, website_id)
    conv = _conversation(state, session_id)
    body = ctx.body
    _check_keys(body, ("assigned", "silent"), "data")
    if "assigned" not in body:
        raise invalid("data.assigned is required", "data")
    if "silent" in body and not isinstance(body["silent"], bool):
        raise invalid("data.silent should be boolean", "data")
    assigned = body["assigned"]
    if assigned is not None:
        if not isinstance(assigned, dict) or not isinstance(assigned.get("user_id"), str):
            raise invalid("data.assigned.user_id should be string", "data")
        _check_keys(assigned, ("user_id",), "data.assigned")
        if assigned["user_id"] not in state.operators:
            raise invalid("data.assigned.user_id is not an operator of this website", "data")
    state.assign_conversation(conv, None if assigned is None else assigned["user_id"])
    return ok(None, "updated")


def get_conversation_meta(ctx: Context, website_id: str, session_id: str) -> Any:
    state = _website(ctx, website_id)
    return ok(copy.deepcopy(_conversation(state, session_id)["meta"]))


def update_conversation_meta(ctx: Context, website_id: str, session_id: str) -> Any:
    state = _website(ctx, website_id)
    conv = _conversation(state, session_id)
    body = copy.deepcopy(ctx.body)
    _check_typed(body, META_FIELDS, "data")
    if "email" in body and body["email"]:
        body["email"] = _check_email(body["email"])
    if "segments" in body:
        _check_str_list(body["segments"], "data.segments")
    if "data" in body:
        _scalar_map(body["data"], "data.data")
    state.update_meta(conv, body)
    return ok(None, "updated")


def get_conversation_block(ctx: Context, website_id: str, session_id: str) -> Any:
    state = _website(ctx, website_id)
    return ok({"blocked": _conversation(state, session_id)["is_blocked"]})


def block_conversation(ctx: Context, website_id: str, session_id: str) -> Any:
    state = _website(ctx, website_id)
    conv = _conversation(state, session_id)
    body = ctx.body
    _check_keys(body, ("blocked", "user", "origin"), "data")
    if not isinstance(body.get("blocked"), bool):
        raise invalid("data.blocked should be boolean", "data")
    _check_actor(body)
    conv["is_blocked"] = body["blocked"]
    return ok(None, "updated")

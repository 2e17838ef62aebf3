"""Crisp simulator handlers: messages of a conversation and read/delivered/unread marks."""

from __future__ import annotations

import copy
from typing import Any

from ..base import Context, SimError
from ._common import (
    MESSAGE_FIELDS,
    MESSAGES_BATCH,
    _check_keys,
    _check_str_list,
    _check_typed,
    _conversation,
    _website,
    invalid,
    not_found,
    ok,
)
from .models import (
    MESSAGE_FROM,
    MESSAGE_TYPES,
    CrispState,
    message_view,
)


# ---------------------------------------------------------------------- messages
def list_messages(ctx: Context, website_id: str, session_id: str) -> Any:
    state = _website(ctx, website_id)
    _conversation(state, session_id)
    raw = ctx.query.get("timestamp_before")
    before: int | None = None
    if raw not in (None, ""):
        try:
            before = int(raw)
        except ValueError:
            raise invalid("timestamp_before should be an integer (ms)", "query") from None
    msgs = state.messages.get(session_id, [])
    eligible = msgs if before is None else [m for m in msgs if m["timestamp"] < before]
    batch = eligible[-MESSAGES_BATCH:]
    status = 206 if len(eligible) > MESSAGES_BATCH else 200
    return ok([message_view(m) for m in batch], status=status)


def _check_content(kind: str, content: Any) -> Any:
    if kind in ("text", "note"):
        if not isinstance(content, str) or not content.strip():
            raise invalid("data.content should be a non-empty string", "data")
        return content
    if not isinstance(content, dict):
        raise invalid(f"data.content should be an object for {kind} messages", "data")
    required = {"file": ("name", "url", "type"), "animation": ("url", "type"),
                "audio": ("url", "type"), "event": ("namespace",)}.get(kind, ())
    for key in required:
        if not isinstance(content.get(key), str) or not content[key]:
            raise invalid(f"data.content.{key} is required", "data")
    if kind == "audio" and not isinstance(content.get("duration", 0), int):
        raise invalid("data.content.duration should be integer", "data")
    return content


def send_message(ctx: Context, website_id: str, session_id: str) -> Any:
    state = _website(ctx, website_id)
    conv = _conversation(state, session_id)
    body = copy.deepcopy(ctx.body)
    _check_keys(body, MESSAGE_FIELDS, "data")
    kind, sender = body.get("type"), body.get("from")
    if kind not in MESSAGE_TYPES:
        raise invalid(f"data.type should be one of {', '.join(MESSAGE_TYPES)}", "data")
    if sender not in MESSAGE_FROM:
        raise invalid("data.from should be user or operator", "data")
    if not isinstance(body.get("origin"), str) or not body["origin"]:
        raise invalid("data.origin is required", "data")
    if kind == "note" and sender != "operator":
        raise invalid("data.from should be operator for note messages", "data")
    content = _check_content(kind, body.get("content"))
    user = body.get("user")
    if user is not None:
        _check_typed(user, {"type": str, "nickname": str, "avatar": str}, "data.user")
    mentions = body.get("mentions", [])
    _check_str_list(mentions, "data.mentions")
    ts = body.get("timestamp")
    if ts is not None and (not isinstance(ts, int) or isinstance(ts, bool) or ts <= 0):
        raise invalid("data.timestamp should be a positive integer (ms)", "data")
    timestamp = state.tick() if ts is None else ts
    fingerprint = body.get("fingerprint")
    if fingerprint is not None:
        if not isinstance(fingerprint, int) or isinstance(fingerprint, bool) or fingerprint <= 0:
            raise invalid("data.fingerprint should be a positive integer", "data")
        if not state.claim_fingerprint(session_id, fingerprint):
            # Crisp's reason for this case is undocumented: "message_exists" is ours
            raise SimError(409, "message_exists",
                           "A message with this fingerprint exists in the conversation")
    else:
        fingerprint = state.new_fingerprint(timestamp)

    state.add_message(conv, body, kind=kind, sender=sender, content=content,
                      mentions=mentions, fingerprint=fingerprint, timestamp=timestamp)
    return ok({"fingerprint": fingerprint}, "dispatched", 202)


def _message(state: CrispState, session_id: str, fingerprint: int) -> dict[str, Any]:
    msg = state.find_message(session_id, fingerprint)
    if msg is None:
        raise not_found("message")
    return msg


def get_message(ctx: Context, website_id: str, session_id: str, fingerprint: int) -> Any:
    state = _website(ctx, website_id)
    _conversation(state, session_id)
    return ok(message_view(_message(state, session_id, fingerprint)))


def update_message(ctx: Context, website_id: str, session_id: str, fingerprint: int) -> Any:
    state = _website(ctx, website_id)
    _conversation(state, session_id)
    msg = _message(state, session_id, fingerprint)
    body = ctx.body
    _check_keys(body, ("content",), "data")
    if "content" not in body:
        raise invalid("data.content is required", "data")
    msg["content"] = copy.deepcopy(_check_content(msg["type"], body["content"]))
    msg["edited"] = True
    return ok(None, "updated")


def remove_message(ctx: Context, website_id: str, session_id: str, fingerprint: int) -> Any:
    state = _website(ctx, website_id)
    _conversation(state, session_id)
    msg = _message(state, session_id, fingerprint)
    state.messages[session_id].remove(msg)
    return ok(None, "deleted")


def _mark(ctx: Context, website_id: str, session_id: str, marker: str) -> Any:
    state = _website(ctx, website_id)
    conv = _conversation(state, session_id)
    body = ctx.body
    _check_keys(body, ("from", "origin", "fingerprints"), "data")
    if body.get("from") not in MESSAGE_FROM:
        raise invalid("data.from should be user or operator", "data")
    if not isinstance(body.get("origin"), str) or not body["origin"]:
        raise invalid("data.origin is required", "data")
    wanted: set[int] | None = None
    if body.get("fingerprints") is not None:
        prints = body["fingerprints"]
        if not isinstance(prints, list):
            raise invalid("data.fingerprints should be an array", "data")
        wanted = set()
        for item in prints:
            try:
                if isinstance(item, bool):
                    raise ValueError
                wanted.add(int(item))
            except (TypeError, ValueError):
                raise invalid("data.fingerprints should contain integers", "data") from None
    state.mark_messages(conv, marker, body["from"], body["origin"], wanted)
    return ok(None, "updated")


def mark_messages_read(ctx: Context, website_id: str, session_id: str) -> Any:
    return _mark(ctx, website_id, session_id, "read")


def mark_messages_delivered(ctx: Context, website_id: str, session_id: str) -> Any:
    return _mark(ctx, website_id, session_id, "delivered")


def mark_conversation_unread(ctx: Context, website_id: str, session_id: str) -> Any:
    state = _website(ctx, website_id)
    conv = _conversation(state, session_id)
    body = ctx.body
    _check_keys(body, ("from",), "data")
    if body.get("from") not in MESSAGE_FROM:
        raise invalid("data.from should be user or operator", "data")
    if body["from"] == "operator":
        conv["forced_unread"] = True
    return ok(None, "updated")

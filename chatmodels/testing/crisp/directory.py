"""Crisp simulator handlers: the website, operators, suggestions (segments, data keys),
people stats and visitors."""

from __future__ import annotations

import copy
from typing import Any

from ..base import Context
from ._common import (
    _check_keys,
    _slice,
    _website,
    invalid,
    not_found,
    ok,
)
from .models import (
    operator_view,
)


# ---------------------------------------------------------------------- website / operators
def get_website(ctx: Context, website_id: str) -> Any:
    state = _website(ctx, website_id)
    return ok(copy.deepcopy(state.website))


def list_operators(ctx: Context, website_id: str) -> Any:
    state = _website(ctx, website_id)
    return ok([{"type": "operator", "details": operator_view(op)}
               for op in state.operators.values()])


def list_active_operators(ctx: Context, website_id: str) -> Any:
    state = _website(ctx, website_id)
    active = [op for op in state.operators.values() if op["availability"] == "online"]
    active.sort(key=lambda op: op.get("last_active", 0), reverse=True)
    return ok([{"user_id": op["user_id"], "avatar": op["avatar"],
                "nickname": f"{op['first_name']} {op['last_name']}".strip(),
                "timestamp": op.get("last_active", 0)} for op in active])


def get_operator(ctx: Context, website_id: str, user_id: str) -> Any:
    state = _website(ctx, website_id)
    op = state.operators.get(user_id)
    if op is None:
        raise not_found("operator")
    return ok(operator_view(op))


# ---------------------------------------------------------------------- suggestions / stats
def list_people_segments(ctx: Context, website_id: str, page: int) -> Any:
    state = _website(ctx, website_id)
    return ok(_slice(state.segment_counts(), page))


def list_people_data_keys(ctx: Context, website_id: str, page: int) -> Any:
    state = _website(ctx, website_id)
    return ok(_slice(state.data_key_counts(), page))


def list_conversation_segments(ctx: Context, website_id: str, page: int) -> Any:
    state = _website(ctx, website_id)
    return ok(_slice(state.conversation_segment_counts(), page))


def delete_people_segment(ctx: Context, website_id: str) -> Any:
    """Remove a segment from every people profile (and the suggestions)."""
    state = _website(ctx, website_id)
    body = ctx.body
    _check_keys(body, ("segment",), "data")
    name = body.get("segment")
    if not isinstance(name, str) or not name:
        raise invalid("data.segment should be a non-empty string", "data")
    if not state.remove_segment(name):
        raise not_found("segment")
    return ok(None, "deleted")


def get_people_stats(ctx: Context, website_id: str) -> Any:
    state = _website(ctx, website_id)
    return ok({"total": len(state.people)})


# ---------------------------------------------------------------------- visitors
def list_visitors(ctx: Context, website_id: str, page: int) -> Any:
    state = _website(ctx, website_id)
    return ok(copy.deepcopy(_slice(state.visitors, page)))


def count_visitors(ctx: Context, website_id: str) -> Any:
    state = _website(ctx, website_id)
    active = sum(1 for v in state.visitors if v.get("active"))
    return ok({"count": len(state.visitors), "active": active, "limited": False})

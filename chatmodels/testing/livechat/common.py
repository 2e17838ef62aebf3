"""Errors, argument checks and ``page_id`` paging shared by the action handlers.

Error statuses (the v3.6 docs list the error ``type`` values, not their HTTP statuses; these
are the simulator's choice): ``validation``/``unsupported_version`` 400, ``authentication`` 401,
``license_expired``/``limit_reached`` 402, ``authorization`` 403, ``not_found`` 404,
``already_exists`` 409, ``chat_inactive``/``agent_offline`` 422, ``entity_too_large`` 413,
``misdirected_request`` 421, ``too_many_requests`` 429, ``internal`` 500,
``service_unavailable`` 503.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from ..base import Context, SimError
from .models import LiveChatState

STATUSES = {
    "validation": 400, "unsupported_version": 400, "authentication": 401,
    "license_expired": 402, "limit_reached": 402, "authorization": 403, "not_found": 404,
    "group_not_found": 404, "already_exists": 409, "chat_inactive": 422, "agent_offline": 422,
    "entity_too_large": 413, "misdirected_request": 421, "too_many_requests": 429,
    "internal": 500, "service_unavailable": 503,
}
#: the longest a page_id lives (the docs: one month)
PAGE_TTL = 30 * 86400.0
MAX_LIMIT = 100

Handler = Callable[[Context, LiveChatState, dict[str, Any]], Any]


def error(kind: str, message: str) -> SimError:
    return SimError(STATUSES.get(kind, 400), kind, message)


def validation(message: str) -> SimError:
    return error("validation", message)


def not_found(what: str) -> SimError:
    return error("not_found", f"{what} not found")


def required(body: dict[str, Any], key: str, kind: type | tuple[type, ...] = str) -> Any:
    value = body.get(key)
    if value is None or value == "":
        raise validation(f"`{key}` is required")
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise validation(f"`{key}` has a wrong type")
    return value


def optional(body: dict[str, Any], key: str, kind: type | tuple[type, ...]) -> Any:
    value = body.get(key)
    if value is not None and not isinstance(value, kind):
        raise validation(f"`{key}` has a wrong type")
    return value


def paged(ctx: Context, state: LiveChatState, body: dict[str, Any], action: str,
          first: Callable[[dict[str, Any], str], list[Any]],
          render: Callable[[Any], Any], *, default_limit: int = 10,
          scope: str = "") -> tuple[list[Any], dict[str, Any]]:
    """One page of a ``page_id`` list. ``first(filters, sort_order)`` gives every item of a
    new listing (snapshotted: later pages walk the same list); returns (page, paging keys)."""
    page_id = body.get("page_id")
    if page_id is not None:
        if any(k in body for k in ("filters", "limit", "sort_order")):
            raise validation("`filters`, `limit` and `sort_order` can't be provided along "
                             "with `page_id`")
        record = state.pages.get(page_id) if isinstance(page_id, str) else None
        ttl = getattr(ctx.sim, "page_id_ttl", PAGE_TTL)
        if (record is None or record["action"] != action or record["scope"] != scope
                or time.time() - record["created"] > ttl):
            raise validation("`page_id` is invalid or expired")
        items, offset, limit = record["items"], record["offset"], record["limit"]
    else:
        filters = optional(body, "filters", dict) or {}
        sort_order = optional(body, "sort_order", str) or "desc"
        if sort_order not in ("asc", "desc"):
            raise validation("`sort_order` must be one of: asc, desc")
        limit = body.get("limit", default_limit)
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
            raise validation(f"`limit` must be a number between 1 and {MAX_LIMIT}")
        items, offset = first(filters, sort_order), 0
    chunk = items[offset:offset + limit]
    keys: dict[str, Any] = {}
    if offset + limit < len(items):
        keys["next_page_id"] = state.page_token({"action": action, "scope": scope,
                                                 "items": items, "offset": offset + limit,
                                                 "limit": limit})
    if offset > 0:
        keys["previous_page_id"] = state.page_token({"action": action, "scope": scope,
                                                     "items": items,
                                                     "offset": max(0, offset - limit),
                                                     "limit": limit})
    keys["_total"] = len(items)
    return [render(item) for item in chunk], keys

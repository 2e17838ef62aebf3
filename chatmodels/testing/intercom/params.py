"""Shared request parsing of the Intercom simulator's handlers: errors, paging, lookups.

Every handler (:mod:`.responses`) is called as ``handler(ctx, **url_values)`` with the
simulator lock held and returns a JSON-able value (or raises
:class:`~chatmodels.testing.base.SimError`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlencode

from ..base import Context, SimError
from .models import IntercomBackend, decode_cursor, encode_cursor

DAY = 86400
MAX_PER_PAGE = 150

# --------------------------------------------------------------------------- errors / helpers


def not_found(message: str = "Resource Not Found", code: str = "not_found") -> SimError:
    return SimError(404, code, message)


def bad(message: str, code: str = "parameter_invalid", status: int = 400) -> SimError:
    return SimError(status, code, message)


def _state(ctx: Context) -> IntercomBackend:
    return ctx.sim.state


def _int(value: Any, name: str, default: int | None = None) -> int | None:
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        raise bad(f"{name} must be an integer")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise bad(f"{name} must be an integer") from None


def _per_page(value: Any, default: int) -> int:
    n = _int(value, "per_page", default) or default
    if n < 1:
        raise bad("per_page must be greater than 0")
    return min(n, MAX_PER_PAGE)


def _cursor(value: Any) -> tuple[int, int]:
    if value in (None, ""):
        return 0, 1
    decoded = decode_cursor(str(value))
    if decoded is None:
        raise bad("Invalid starting_after param. Please try again using a starting_after value "
                  "from a paginated response", code="client_error")
    return decoded


def _pages(page: int, per_page: int, total: int, next_cursor: str | None) -> dict[str, Any]:
    pages: dict[str, Any] = {"type": "pages", "page": page}
    if next_cursor is not None:
        pages["next"] = {"per_page": per_page, "starting_after": next_cursor}
    pages["per_page"] = per_page
    pages["total_pages"] = math.ceil(total / per_page) if per_page else 0
    return pages


def _page_links(ctx: Context, page: int, per_page: int, total: int,
                extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Page-number pagination (companies, notes): ``next`` is a URL or null."""
    total_pages = math.ceil(total / per_page) if per_page else 0
    next_url = None
    if page < total_pages:
        params = dict(extra or {})
        params.update({"page": page + 1, "per_page": per_page})
        next_url = f"{ctx.request.host_url.rstrip('/')}{ctx.path}?{urlencode(params)}"
    return {"type": "pages", "next": next_url, "page": page, "per_page": per_page,
            "total_pages": total_pages}


def _page_slice(items: list[Any], page: int, per_page: int) -> list[Any]:
    start = (page - 1) * per_page
    return items[start:start + per_page]


def _cursor_slice(items: list[Any], per_page: int, starting_after: Any,
                  ) -> tuple[list[Any], dict[str, Any]]:
    offset, page = _cursor(starting_after)
    chunk = items[offset:offset + per_page]
    end = offset + len(chunk)
    nxt = encode_cursor(end, page + 1) if end < len(items) else None
    return chunk, _pages(page, per_page, len(items), nxt)


def _require_dict(value: Any, name: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise bad(f"{name} must be an object")
    return value


def _reject_unknown(body: dict[str, Any], allowed: Iterable[str]) -> None:
    allowed = set(allowed)
    for key in body:
        if key not in allowed:
            raise bad(f"bad '{key}' parameter", code="bad_request")


def _me(ctx: Context) -> str:
    return _state(ctx).me_id or ""


def _admin(ctx: Context, admin_id: Any, *, required: bool = True) -> str:
    st = _state(ctx)
    if admin_id in (None, ""):
        if required:
            raise bad("admin_id not specified", code="parameter_not_found")
        return _me(ctx)
    aid = str(admin_id)
    if aid not in st.admins:
        raise not_found("Admin not found", code="admin_not_found")
    return aid


def _contact(ctx: Context, contact_id: str) -> dict[str, Any]:
    c = _state(ctx).contacts.get(contact_id)
    if c is None:
        raise not_found("User Not Found")
    return c


def _truthy(value: Any) -> bool:
    return str(value).lower() in ("1", "true", "yes")


# --------------------------------------------------------------------------- custom attributes

_TYPE_CHECKS: dict[str, Callable[[Any], bool]] = {
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "float": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "date": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "datetime": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "options": lambda v: isinstance(v, str),
}


def _check_custom_attributes(ctx: Context, model: str, values: Any) -> dict[str, Any]:
    if values is None:
        return {}
    if not isinstance(values, dict):
        raise bad("custom_attributes must be an object")
    types = _state(ctx).custom_attribute_types(model)
    for key, value in values.items():
        dtype = types.get(key)
        if dtype is None:
            raise bad(f"Custom attribute '{key}' does not exist", code="parameter_not_found")
        if value is not None and not _TYPE_CHECKS.get(dtype, lambda v: True)(value):
            raise bad(f"Custom attribute '{key}' is of type {dtype} but received "
                      f"{type(value).__name__} value", code="parameter_invalid")
    return values


def _company(ctx: Context, company_id: str) -> dict[str, Any]:
    k = _state(ctx).companies.get(company_id)
    if k is None:
        raise not_found("Company Not Found", code="company_not_found")
    return k


def _conversation(ctx: Context, conversation_id: str, message: str = "Resource Not Found",
                  ) -> dict[str, Any]:
    conv = _state(ctx).conversations.get(conversation_id)
    if conv is None:
        raise not_found(message)
    return conv

"""Helpers shared by the Brevo simulator's handlers: errors, query parsing, limit/offset paging."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Response

from ..base import Context, SimError

__all__ = ["bad", "body_of", "missing", "no_content", "not_found", "page", "query_int"]


def bad(message: str, code: str = "invalid_parameter") -> SimError:
    return SimError(400, code, message)


def missing(name: str) -> SimError:
    return SimError(400, "missing_parameter", f"{name} is missing")


def not_found(message: str) -> SimError:
    return SimError(404, "document_not_found", message)


def no_content(status: int = 204) -> Response:
    return Response(b"", status=status)


def body_of(ctx: Context) -> dict[str, Any]:
    return ctx.body


def query_int(ctx: Context, name: str, default: int, low: int = 0,
              high: int | None = None) -> int:
    raw = ctx.query.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise bad(f"{name} should be an integer") from None
    if value < low or (high is not None and value > high):
        limit = f"between {low} and {high}" if high is not None else f">= {low}"
        raise SimError(400, "out_of_range", f"{name} should be {limit}")
    return value


def sort_order(ctx: Context) -> bool:
    """True for descending (Brevo's default), False for ``sort=asc``."""
    raw = (ctx.query.get("sort") or "desc").lower()
    if raw not in ("asc", "desc"):
        raise bad("sort should be asc or desc")
    return raw == "desc"


def page(ctx: Context, items: list[Any], *, default: int, maximum: int) -> list[Any]:
    """The ``limit``/``offset`` slice of ``items`` (already sorted)."""
    limit = query_int(ctx, "limit", default, 0, maximum)
    offset = query_int(ctx, "offset", 0, 0)
    return items[offset:offset + limit]


def string_field(body: dict[str, Any], name: str, *, required: bool = False) -> str | None:
    value = body.get(name)
    if value is None:
        if required:
            raise missing(name)
        return None
    if not isinstance(value, str):
        raise bad(f"{name} should be a string")
    if required and not value.strip():
        raise missing(name)
    return value


def int_list(body: dict[str, Any], name: str) -> list[int] | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, list) or not all(
            isinstance(v, int) and not isinstance(v, bool) for v in value):
        raise bad(f"{name} should be an array of integers")
    return list(value)

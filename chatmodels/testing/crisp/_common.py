"""What the Crisp simulator's handlers share: the envelope, errors, query parsing, search
filters and body validation.

The handlers live in ``directory``, ``people``, ``conversations`` and ``messages``.

Every handler is called as ``handler(ctx, website_id=..., ...)`` with the state lock held and
returns ``(envelope, status)`` where ``envelope`` is Crisp's ``{"error", "reason", "data"}``.
Errors are raised as :class:`~chatmodels.testing.base.SimError`; the simulator's ``error_body``
turns them into ``{"error": true, "reason": <code>, "data": {...}}``.

Conventions (see the package docstring for the sources):

* GET -> 200 ``resolved``; POST create -> 201 ``added``; PATCH/PUT -> 200 ``updated``;
  DELETE -> 200 ``deleted``; send message -> 202 ``dispatched``.
* Lists are paged by a 1-based page number in the path; a page past the end is ``[]``.
* Messages come in batches of :data:`MESSAGES_BATCH` (oldest first); 206 when older ones remain.
* Validation failures are 400 ``invalid_data`` with ``data = {"namespace", "message"}``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from typing import Any

from ..base import Context, SimError
from .models import (
    CrispState,
)

#: Default page size of paged lists.
PAGE_SIZE = 20
#: Bounds of the ``per_page`` query parameter (conversations, people profiles).
MIN_PER_PAGE, MAX_PER_PAGE = 20, 50
#: Messages returned per "Get Messages In Conversation" call.
MESSAGES_BATCH = 40

EVENT_COLORS = ("red", "orange", "yellow", "green", "blue", "purple", "pink", "brown", "grey",
                "black")
FILTER_OPERATORS = ("eq", "neq", "has", "nhas", "gt", "gte", "lt", "lte", "exists", "nexists")

PROFILE_CARD_FIELDS = ("email", "person", "company", "segments", "notepad", "active")
PROFILE_READ_ONLY = ("people_id", "score", "created_at", "updated_at")
PERSON_FIELDS = {
    "nickname": str, "avatar": str, "gender": str, "phone": str, "address": str,
    "description": str, "website": str, "timezone": int, "profiles": list, "employment": dict,
    "geolocation": dict, "locales": list,
}
COMPANY_FIELDS = {
    "name": str, "legal_name": str, "domain": str, "url": str, "description": str,
    "timezone": int, "phones": list, "emails": list, "geolocation": dict, "metrics": dict,
    "tags": list,
}
META_FIELDS: dict[str, type] = {
    "nickname": str, "email": str, "phone": str, "address": str, "subject": str, "ip": str,
    "avatar": str, "origin": str, "segments": list, "data": dict, "device": dict,
}
MESSAGE_FIELDS = ("type", "from", "origin", "content", "mentions", "fingerprint", "user",
                  "references", "original", "properties", "timestamp", "stealth", "translated",
                  "automated")


# ---------------------------------------------------------------------- envelope / errors
def ok(data: Any = None, reason: str = "resolved", status: int = 200) -> tuple[dict[str, Any], int]:
    """A success envelope."""
    return {"error": False, "reason": reason, "data": {} if data is None else data}, status


def invalid(message: str, namespace: str = "data") -> SimError:
    """A 400 ``invalid_data`` error (to be raised)."""
    return SimError(400, "invalid_data", message,
                    extra={"namespace": namespace, "message": message})


def not_found(what: str) -> SimError:
    return SimError(404, "not_found", f"{what} not found")


def _website(ctx: Context, website_id: str) -> CrispState:
    state: CrispState = ctx.state
    if state.website is None or website_id != state.website_id:
        raise SimError(404, "not_subscribed", "The plugin is not subscribed to this website")
    return state


def _person(state: CrispState, people_id: str) -> dict[str, Any]:
    person = state.find_person(people_id)
    if person is None:
        raise not_found("people profile")
    return person


def _conversation(state: CrispState, session_id: str) -> dict[str, Any]:
    conv = state.conversations.get(session_id)
    if conv is None:
        raise not_found("conversation")
    return conv


# ---------------------------------------------------------------------- query parsing
def _page(page: int) -> int:
    if page < 1:
        raise invalid("page_number should be >= 1", "params")
    return page


def _per_page(ctx: Context) -> int:
    raw = ctx.query.get("per_page")
    if raw in (None, ""):
        return PAGE_SIZE
    try:
        value = int(raw)
    except ValueError:
        raise invalid("per_page should be an integer", "query") from None
    if not MIN_PER_PAGE <= value <= MAX_PER_PAGE:
        raise invalid(f"per_page should be between {MIN_PER_PAGE} and {MAX_PER_PAGE}", "query")
    return value


def _slice(items: list[Any], page: int, per_page: int = PAGE_SIZE) -> list[Any]:
    start = (_page(page) - 1) * per_page
    return items[start:start + per_page]


def _flag(ctx: Context, name: str) -> bool:
    raw = ctx.query.get(name)
    if raw is None or raw == "":
        return False
    lowered = raw.strip().lower()
    if lowered in ("1", "true"):
        return True
    if lowered in ("0", "false"):
        return False
    raise invalid(f"{name} should be 1 or 0", "query")


def _date_ms(ctx: Context, name: str) -> int | None:
    raw = ctx.query.get(name)
    if not raw:
        return None
    text = raw.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise invalid(f"{name} should be an ISO 8601 date", "query") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return int(parsed.timestamp() * 1000)


def _search_operator(ctx: Context) -> str:
    raw = (ctx.query.get("search_operator") or "and").strip().lower()
    if raw not in ("and", "or"):
        raise invalid("search_operator should be and or or", "query")
    return raw


# ---------------------------------------------------------------------- filters
def _parse_filters(raw: str) -> list[dict[str, Any]]:
    """Parse a ``search_filter`` (JSON array of ``{model, criterion, operator, query}``)."""
    try:
        filters = json.loads(raw)
    except ValueError:
        raise invalid("search_filter should be a JSON array of filters", "query") from None
    if isinstance(filters, dict):
        filters = [filters]
    if not isinstance(filters, list):
        raise invalid("search_filter should be a JSON array of filters", "query")
    parsed = []
    for item in filters:
        if not isinstance(item, dict) or not isinstance(item.get("criterion"), str):
            raise invalid("each search_filter entry needs a criterion", "query")
        operator = item.get("operator", "eq")
        if operator not in FILTER_OPERATORS:
            raise invalid(f"search_filter operator should be one of {', '.join(FILTER_OPERATORS)}",
                          "query")
        query = item.get("query", [])
        if not isinstance(query, list):
            query = [query]
        parsed.append({"criterion": item["criterion"], "operator": operator, "query": query})
    return parsed


def _resolve(obj: Any, path: str) -> Any:
    current = obj
    for part in path.split("."):
        if isinstance(current, dict):
            current = current.get(part)
        else:
            return None
    return current


def _as_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(str(value))
    except ValueError:
        return None


def _same(value: Any, wanted: Any) -> bool:
    if isinstance(value, str) and isinstance(wanted, str):
        return value.lower() == wanted.lower()
    if isinstance(value, bool) or isinstance(wanted, bool):
        return str(value).lower() == str(wanted).lower()
    a, b = _as_number(value), _as_number(wanted)
    if a is not None and b is not None:
        return a == b
    return str(value) == str(wanted)


def _match_filter(obj: Any, flt: dict[str, Any]) -> bool:
    value = _resolve(obj, flt["criterion"])
    values = value if isinstance(value, list) else ([] if value in (None, "") else [value])
    op, query = flt["operator"], flt["query"]
    if op == "exists":
        return bool(values)
    if op == "nexists":
        return not values
    if op in ("eq", "neq"):
        hit = any(_same(v, q) for v in values for q in query)
        return hit if op == "eq" else not hit
    if op in ("has", "nhas"):
        hit = any(str(q).lower() in str(v).lower() for v in values for q in query)
        return hit if op == "has" else not hit
    for v in values:
        a = _as_number(v)
        for q in query:
            b = _as_number(q)
            if a is None or b is None:
                continue
            if (op == "gt" and a > b) or (op == "gte" and a >= b) or \
                    (op == "lt" and a < b) or (op == "lte" and a <= b):
                return True
    return False


def _apply_filters(items: Iterable[Any], filters: list[dict[str, Any]], mode: str,
                   view: Callable[[Any], Any]) -> list[Any]:
    out = []
    for item in items:
        obj = view(item)
        hits = (_match_filter(obj, f) for f in filters)
        if (all(hits) if mode == "and" else any(hits)):
            out.append(item)
    return out


def _sort_key(value: Any) -> tuple[int, Any]:
    if value is None or value == "":
        return (2, "")
    number = _as_number(value) if not isinstance(value, str) else None
    if number is not None:
        return (0, number)
    return (1, str(value).lower())


# ---------------------------------------------------------------------- body validation
def _check_keys(body: dict[str, Any], allowed: Iterable[str], namespace: str,
                read_only: Iterable[str] = ()) -> None:
    allowed_set, ro = set(allowed), set(read_only)
    for key in body:
        if key in ro:
            raise invalid(f"{namespace}.{key} is read-only", namespace)
        if key not in allowed_set:
            raise invalid(f"{namespace} should not have additional property {key}", namespace)


def _check_typed(obj: Any, spec: dict[str, type], namespace: str) -> dict[str, Any]:
    if not isinstance(obj, dict):
        raise invalid(f"{namespace} should be an object", namespace)
    _check_keys(obj, spec, namespace)
    for key, kind in spec.items():
        if key in obj and obj[key] is not None:
            value = obj[key]
            good = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
            if not good:
                raise invalid(f"{namespace}.{key} should be {kind.__name__}", namespace)
    return obj


def _check_str_list(value: Any, namespace: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise invalid(f"{namespace} should be an array of strings", namespace)
    return value


def _check_email(value: Any, namespace: str = "data.email") -> str:
    if not isinstance(value, str) or "@" not in value or value.startswith("@") \
            or value.endswith("@") or " " in value.strip():
        raise invalid(f"{namespace} should be a valid email", "data")
    return value.strip()


def _scalar_map(value: Any, namespace: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise invalid(f"{namespace} should be an object", namespace)
    for key, val in value.items():
        if not key:
            raise invalid(f"{namespace} keys should not be empty", namespace)
        if not isinstance(val, (str, int, float, bool)):
            raise invalid(f"{namespace}.{key} should be a string, number or boolean", namespace)
    return value

"""Request parsing, validation and route handlers of the Crisp simulator.

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

import copy
import json
import uuid
from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from typing import Any

from ..base import Context, SimError
from .models import (
    CONVERSATION_STATES,
    MESSAGE_FROM,
    MESSAGE_TYPES,
    CrispState,
    conversation_view,
    message_view,
    operator_view,
    profile_view,
)

__all__ = [
    "MAX_PER_PAGE",
    "MESSAGES_BATCH",
    "MIN_PER_PAGE",
    "PAGE_SIZE",
    "invalid",
    "ok",
]

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


# ---------------------------------------------------------------------- people profiles
def _people_filter_view(state: CrispState) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def view(person: dict[str, Any]) -> dict[str, Any]:
        obj = dict(person)
        obj["nickname"] = (person.get("person") or {}).get("nickname", "")
        obj["data"] = state.people_data.get(person["people_id"], {})
        return obj
    return view


def list_people_profiles(ctx: Context, website_id: str, page: int) -> Any:
    state = _website(ctx, website_id)
    per_page = _per_page(ctx)
    _page(page)
    people = list(state.people.values())
    view = _people_filter_view(state)

    text = (ctx.query.get("search_text") or "").strip().lower()
    if text:
        def matches(p: dict[str, Any]) -> bool:
            haystack = [p.get("email") or "", (p.get("person") or {}).get("nickname", ""),
                        (p.get("company") or {}).get("name", ""), *(p.get("segments") or [])]
            return any(text in str(h).lower() for h in haystack)
        people = [p for p in people if matches(p)]
    raw_filter = ctx.query.get("search_filter")
    if raw_filter:
        people = _apply_filters(people, _parse_filters(raw_filter), _search_operator(ctx), view)
    start, end = _date_ms(ctx, "filter_date_start"), _date_ms(ctx, "filter_date_end")
    if start is not None:
        people = [p for p in people if p["created_at"] >= start]
    if end is not None:
        people = [p for p in people if p["created_at"] <= end]

    field = (ctx.query.get("sort_field") or "").strip()
    order = (ctx.query.get("sort_order") or "").strip().lower()
    if order and order not in ("ascending", "descending", "asc", "desc"):
        raise invalid("sort_order should be ascending or descending", "query")
    descending = order in ("descending", "desc") or (not order and not field)
    path = {"nickname": "nickname", "": "created_at"}.get(field, field)
    people.sort(key=lambda p: p["people_id"])
    people.sort(key=lambda p: _sort_key(_resolve(view(p), path)), reverse=descending)
    return ok([profile_view(p) for p in _slice(people, page, per_page)])


def _default_person(nickname: str = "") -> dict[str, Any]:
    return {
        "nickname": nickname, "avatar": "", "gender": "", "phone": "", "address": "",
        "description": "", "website": "", "timezone": 0, "profiles": [], "employment": {},
        "geolocation": {}, "locales": [],
    }


def _validate_card(body: dict[str, Any], *, require_email: bool) -> dict[str, Any]:
    _check_keys(body, PROFILE_CARD_FIELDS, "data", PROFILE_READ_ONLY)
    if require_email and "email" not in body:
        raise invalid("data.email is required", "data")
    if "email" in body:
        body["email"] = _check_email(body["email"])
    if "person" in body:
        _check_typed(body["person"], PERSON_FIELDS, "data.person")
    if "company" in body:
        _check_typed(body["company"], COMPANY_FIELDS, "data.company")
    if "segments" in body:
        _check_str_list(body["segments"], "data.segments")
    if "notepad" in body and not isinstance(body["notepad"], str):
        raise invalid("data.notepad should be string", "data")
    if "active" in body and (not isinstance(body["active"], int)
                             or isinstance(body["active"], bool)):
        raise invalid("data.active should be an integer timestamp (ms)", "data")
    return body


def _check_email_free(state: CrispState, email: str, people_id: str | None) -> None:
    owner = state.email_owner(email)
    if owner is not None and owner != people_id:
        raise SimError(409, "people_exists", "A people profile already uses this email")


def add_people_profile(ctx: Context, website_id: str) -> Any:
    state = _website(ctx, website_id)
    body = _validate_card(copy.deepcopy(ctx.body), require_email=True)
    _check_email_free(state, body["email"], None)
    now = state.tick()
    people_id = str(uuid.uuid4())
    person = _default_person(body["email"].split("@")[0])
    person.update(body.get("person") or {})
    profile = {
        "people_id": people_id,
        "email": body["email"],
        "person": person,
        "company": body.get("company") or {},
        "segments": list(body.get("segments") or []),
        "notepad": body.get("notepad", ""),
        "active": {"now": False, "last": body.get("active", now)},
        "score": 0,
        "created_at": now,
        "updated_at": now,
    }
    for seg in profile["segments"]:
        state.add_segment(seg)
    state.people[people_id] = profile
    state.people_data[people_id] = {}
    state.people_events[people_id] = []
    state.subscriptions[people_id] = True
    state.adopt_conversations(people_id)
    return ok({"people_id": people_id}, "added", 201)


def get_people_profile(ctx: Context, website_id: str, people_id: str) -> Any:
    state = _website(ctx, website_id)
    return ok(profile_view(_person(state, people_id)))


def _write_profile(ctx: Context, website_id: str, people_id: str, replace: bool) -> Any:
    state = _website(ctx, website_id)
    profile = _person(state, people_id)
    body = _validate_card(copy.deepcopy(ctx.body), require_email=replace)
    if "email" in body:
        _check_email_free(state, body["email"], profile["people_id"])
    new_email = "email" in body and body["email"].lower() != (profile.get("email") or "").lower()
    if replace:
        person = _default_person()
        person.update(body.get("person") or {})
        profile.update({
            "email": body["email"],
            "person": person,
            "company": body.get("company") or {},
            "segments": list(body.get("segments") or []),
            "notepad": body.get("notepad", ""),
        })
    else:
        for key in ("email", "notepad"):
            if key in body:
                profile[key] = body[key]
        if "segments" in body:
            profile["segments"] = list(body["segments"])
        for key in ("person", "company"):
            if key in body:
                merged = dict(profile.get(key) or {})
                merged.update(body[key])
                profile[key] = merged
    if "active" in body:
        profile["active"] = {"now": False, "last": body["active"]}
    for seg in profile["segments"]:
        state.add_segment(seg)
    if new_email:  # conversations already linked keep their profile; matching ones join it
        state.adopt_conversations(profile["people_id"])
    profile["updated_at"] = state.tick()
    return ok(None, "updated")


def save_people_profile(ctx: Context, website_id: str, people_id: str) -> Any:
    return _write_profile(ctx, website_id, people_id, replace=True)


def update_people_profile(ctx: Context, website_id: str, people_id: str) -> Any:
    return _write_profile(ctx, website_id, people_id, replace=False)


def remove_people_profile(ctx: Context, website_id: str, people_id: str) -> Any:
    state = _website(ctx, website_id)
    profile = _person(state, people_id)
    state.remove_person(profile["people_id"])
    return ok(None, "deleted")


def list_people_conversations(ctx: Context, website_id: str, people_id: str, page: int) -> Any:
    state = _website(ctx, website_id)
    profile = _person(state, people_id)
    convs = state.conversations_of(profile["people_id"])
    if _flag(ctx, "filter_unread"):
        convs = [c for c in convs if state.unread_counts(c["session_id"])["operator"] > 0]
    if _flag(ctx, "filter_resolved"):
        convs = [c for c in convs if c["state"] == "resolved"]
    if _flag(ctx, "filter_not_resolved"):
        convs = [c for c in convs if c["state"] != "resolved"]
    return ok([c["session_id"] for c in _slice(convs, page)])


# ---------------------------------------------------------------------- people events / data
def add_people_event(ctx: Context, website_id: str, people_id: str) -> Any:
    state = _website(ctx, website_id)
    profile = _person(state, people_id)
    body = ctx.body
    _check_keys(body, ("text", "data", "color"), "data")
    text = body.get("text")
    if not isinstance(text, str) or not text.strip():
        raise invalid("data.text is required", "data")
    data = body.get("data", {})
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise invalid("data.data should be an object", "data")
    color = body.get("color")
    if color is not None and color not in EVENT_COLORS:
        raise invalid(f"data.color should be one of {', '.join(EVENT_COLORS)}", "data")
    state.people_events.setdefault(profile["people_id"], []).append({
        "text": text, "data": copy.deepcopy(data), "color": color or "", "timestamp": state.tick(),
    })
    return ok(None, "added", 201)


def list_people_events(ctx: Context, website_id: str, people_id: str, page: int) -> Any:
    state = _website(ctx, website_id)
    profile = _person(state, people_id)
    events = list(reversed(state.people_events.get(profile["people_id"], [])))
    return ok(copy.deepcopy(_slice(events, page)))


def get_people_data(ctx: Context, website_id: str, people_id: str) -> Any:
    state = _website(ctx, website_id)
    profile = _person(state, people_id)
    return ok({"data": copy.deepcopy(state.people_data.get(profile["people_id"], {}))})


def _write_people_data(ctx: Context, website_id: str, people_id: str, replace: bool) -> Any:
    state = _website(ctx, website_id)
    profile = _person(state, people_id)
    body = ctx.body
    _check_keys(body, ("data",), "data")
    if "data" not in body:
        raise invalid("data.data is required", "data")
    data = _scalar_map(body["data"], "data.data")
    pid = profile["people_id"]
    if replace:
        state.people_data[pid] = dict(data)
    else:
        state.people_data.setdefault(pid, {}).update(data)
    profile["updated_at"] = state.tick()
    return ok(None, "updated")


def save_people_data(ctx: Context, website_id: str, people_id: str) -> Any:
    return _write_people_data(ctx, website_id, people_id, replace=True)


def update_people_data(ctx: Context, website_id: str, people_id: str) -> Any:
    return _write_people_data(ctx, website_id, people_id, replace=False)


def get_people_subscription(ctx: Context, website_id: str, people_id: str) -> Any:
    state = _website(ctx, website_id)
    profile = _person(state, people_id)
    return ok({"email": state.subscriptions.get(profile["people_id"], True)})


def update_people_subscription(ctx: Context, website_id: str, people_id: str) -> Any:
    state = _website(ctx, website_id)
    profile = _person(state, people_id)
    body = ctx.body
    _check_keys(body, ("email",), "data")
    if not isinstance(body.get("email"), bool):
        raise invalid("data.email should be boolean", "data")
    state.subscriptions[profile["people_id"]] = body["email"]
    return ok(None, "updated")


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
    conv["state"] = body["state"]
    if body["state"] == "resolved":
        conv["waiting_since"] = 0
    conv["updated_at"] = state.tick()
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
    if assigned is None:
        conv["assigned"] = None
    else:
        if not isinstance(assigned, dict) or not isinstance(assigned.get("user_id"), str):
            raise invalid("data.assigned.user_id should be string", "data")
        _check_keys(assigned, ("user_id",), "data.assigned")
        if assigned["user_id"] not in state.operators:
            raise invalid("data.assigned.user_id is not an operator of this website", "data")
        conv["assigned"] = {"user_id": assigned["user_id"]}
    conv["updated_at"] = state.tick()
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
    meta = conv["meta"]
    for key, value in body.items():
        if key == "data":
            meta["data"].update(value)
        elif key == "device":
            meta["device"].update(value)
        else:
            meta[key] = value
    if "email" in body:
        state.link_conversation(conv)  # the meta email links the session to its profile
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

    meta = conv["meta"]
    if sender == "user":
        author = {"type": "participant", "user_id": session_id,
                  "nickname": meta.get("nickname") or "visitor", "avatar": meta.get("avatar", "")}
    else:
        website = state.website or {}
        author = {"type": "website", "user_id": website.get("website_id", ""),
                  "nickname": website.get("name", ""), "avatar": website.get("logo", "")}
    if user:
        author.update({k: v for k, v in user.items() if v is not None})

    msg = {
        "session_id": session_id,
        "website_id": conv["website_id"],
        "type": kind,
        "from": sender,
        "origin": body["origin"],
        "content": copy.deepcopy(content),
        "preview": [],
        "mentions": list(mentions),
        "read": "",
        "delivered": "",
        "ignored": {},
        "edited": False,
        "translated": bool(body.get("translated", False)),
        "automated": bool(body.get("automated", False)),
        "fingerprint": fingerprint,
        "timestamp": timestamp,
        "user": author,
        "references": body.get("references") or [],
        "original": body.get("original") or {},
        "properties": body.get("properties") or {},
    }
    msgs = state.messages.setdefault(session_id, [])
    msgs.append(msg)
    msgs.sort(key=lambda m: (m["timestamp"], m["fingerprint"]))

    if kind != "note":
        if sender == "user":
            if conv["state"] == "resolved":
                conv["state"] = "unresolved"
            if not conv["waiting_since"]:
                conv["waiting_since"] = timestamp
            conv["active"] = {"now": True, "last": timestamp}
        else:
            if conv["state"] == "pending":
                conv["state"] = "unresolved"
            conv["waiting_since"] = 0
    conv["updated_at"] = max(conv["updated_at"], timestamp)
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
    other = "user" if body["from"] == "operator" else "operator"
    for msg in state.messages.get(session_id, []):
        if msg["from"] != other or msg["type"] == "note":
            continue
        if wanted is not None and msg["fingerprint"] not in wanted:
            continue
        msg[marker] = body["origin"]
        if marker == "read":
            msg["delivered"] = msg["delivered"] or body["origin"]
    if marker == "read" and body["from"] == "operator":
        conv["forced_unread"] = False
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


# ---------------------------------------------------------------------- visitors
def list_visitors(ctx: Context, website_id: str, page: int) -> Any:
    state = _website(ctx, website_id)
    return ok(copy.deepcopy(_slice(state.visitors, page)))


def count_visitors(ctx: Context, website_id: str) -> Any:
    state = _website(ctx, website_id)
    active = sum(1 for v in state.visitors if v.get("active"))
    return ok({"count": len(state.visitors), "active": active, "limited": False})

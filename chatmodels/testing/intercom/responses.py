"""Request parsing and handlers of the Intercom simulator (REST API 2.16 shapes).

Every handler is called as ``handler(ctx, **url_values)`` with the simulator lock held and
returns a JSON-able value (or raises :class:`~chatmodels.testing.base.SimError`).
"""

from __future__ import annotations

import math
import re
import uuid
import zlib
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlencode

from ..base import Context, SimError
from .models import IntercomBackend, decode_cursor, encode_cursor, html_body, now

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


# --------------------------------------------------------------------------- search engine


def _as_number(value: Any, field: str) -> float:
    if isinstance(value, bool):
        raise bad(f"Invalid value for field {field}: {value!r}")
    if isinstance(value, (int, float)):
        return value
    try:
        return int(str(value))
    except (TypeError, ValueError):
        try:
            return float(str(value))
        except (TypeError, ValueError):
            raise bad(f"Invalid value for field {field}: {value!r}") from None


def _as_bool(value: Any, field: str) -> bool:
    if isinstance(value, bool):
        return value
    if str(value).lower() in ("true", "false"):
        return str(value).lower() == "true"
    raise bad(f"Invalid value for field {field}: {value!r}")


def _coerce(kind: str, value: Any, field: str) -> Any:
    if value is None:
        return None
    if kind in ("integer", "float", "date"):
        return _as_number(value, field)
    if kind == "boolean":
        return _as_bool(value, field)
    return str(value)


def _match_scalar(kind: str, op: str, field: str, value: Any, day_dates: bool,
                  ) -> Callable[[Any], bool]:
    """A predicate on one field value (None = absent)."""
    if op in ("IN", "NIN"):
        if not isinstance(value, list):
            raise bad(f"The value for the {op} operator must be an array")
        vals = [_coerce(kind, v, field) for v in value]
        if kind == "string":
            lowered = {v.lower() for v in vals if v is not None}
            has_none = any(v is None for v in vals)

            def in_(x: Any) -> bool:
                return (x is None and has_none) or (x is not None and str(x).lower() in lowered)
        else:
            valset = set(vals)

            def in_(x: Any) -> bool:
                return x in valset
        return in_ if op == "IN" else (lambda x: not in_(x))
    if isinstance(value, list):
        raise bad(f"The value for the {op} operator must not be an array")
    v = _coerce(kind, value, field)
    if kind == "date" and day_dates and v is not None:
        d = int(v) - int(v) % DAY
        if op == "=":
            return lambda x: x is not None and d <= x < d + DAY
        if op == ">":
            return lambda x: x is not None and x >= d + DAY
        if op == "<":
            return lambda x: x is not None and x < d
    if op == "=":
        if v is None:
            return lambda x: x is None
        if kind == "string":
            low = v.lower()
            return lambda x: x is not None and str(x).lower() == low
        return lambda x: x is not None and x == v
    if op == "!=":
        if v is None:
            return lambda x: x is not None
        if kind == "string":
            low = v.lower()
            return lambda x: x is None or str(x).lower() != low
        return lambda x: x is None or x != v
    if op in ("<", ">", "<=", ">="):
        if v is None:
            raise bad(f"Invalid value for field {field}: null")
        if kind == "date" and not day_dates:
            # conversations: ">" is "greater (or equal) than", "<" is "lower (or equal) than"
            op = {"<": "<=", ">": ">="}.get(op, op)
        if op == "<":
            return lambda x: x is not None and x < v
        if op == ">":
            return lambda x: x is not None and x > v
        if op == "<=":
            return lambda x: x is not None and x <= v
        return lambda x: x is not None and x >= v
    if op in ("~", "!~", "^", "$"):
        if v is None:
            raise bad(f"Invalid value for field {field}: null")
        low = str(v).lower()
        if op == "~":
            return lambda x: x is not None and low in str(x).lower()
        if op == "!~":
            return lambda x: x is None or low not in str(x).lower()
        if op == "^":
            return lambda x: x is not None and str(x).lower().startswith(low)
        return lambda x: x is not None and str(x).lower().endswith(low)
    raise bad(f"Operator {op!r} is not supported")


_ALLOWED_OPS = {
    "string": {"=", "!=", "IN", "NIN", "~", "!~", "^", "$"},
    "integer": {"=", "!=", "IN", "NIN", "<", ">", "<=", ">="},
    "float": {"=", "!=", "IN", "NIN", "<", ">", "<=", ">="},
    "boolean": {"=", "!=", "IN", "NIN"},
    "date": {"=", "<", ">"},
    "date_all": {"=", "!=", "IN", "NIN", "<", ">", "<=", ">="},
    "tag": {"=", "!="},
    "list": {"=", "!=", "IN", "NIN", "~", "!~", "^", "$"},
}
_OPERATORS = ("=", "!=", "IN", "NIN", "<", ">", "<=", ">=", "~", "!~", "^", "$")


class _Searcher:
    """Compiles an Intercom search query into a predicate."""

    day_dates = False

    def field(self, ctx: Context, field: str) -> tuple[str, Callable[[dict[str, Any]], Any]]:
        raise NotImplementedError

    def compile(self, ctx: Context, query: Any, depth: int = 0) -> Callable[[dict[str, Any]], bool]:
        if not isinstance(query, dict):
            raise bad("query must be an object")
        op = query.get("operator")
        if "field" not in query and op in ("AND", "OR"):
            values = query.get("value")
            if not isinstance(values, list) or not values:
                raise bad(f"{op} operator requires a non-empty array of filters")
            if len(values) > 15:
                raise bad(f"There's a limit of max 15 filters for each {op} group")
            if depth >= 3:
                raise bad("There's a limit of max 2 nested filters")
            preds = [self.compile(ctx, v, depth + 1) for v in values]
            if op == "AND":
                return lambda obj: all(p(obj) for p in preds)
            return lambda obj: any(p(obj) for p in preds)
        field = query.get("field")
        if not isinstance(field, str) or not field:
            raise bad("field is required for a search filter")
        if op not in _OPERATORS:
            raise bad(f"Operator {op!r} is not one of {', '.join(_OPERATORS)}")
        kind, getter = self.field(ctx, field)
        allowed = _ALLOWED_OPS["date" if kind == "date" and self.day_dates else
                               "date_all" if kind == "date" else kind]
        if op not in allowed:
            what = "Date fields" if kind == "date" else f"the {field} field"
            raise bad(f"The {op} operator is not supported on {what}")
        value = query.get("value")
        if kind == "tag":
            tid = str(value)
            if op == "=":
                return lambda obj: tid in getter(obj)
            return lambda obj: tid not in getter(obj)
        if kind == "list":
            match = _match_scalar("string", "=" if op == "!=" else
                                  "IN" if op == "NIN" else
                                  "~" if op == "!~" else op, field, value, False)
            if op in ("!=", "NIN", "!~"):
                return lambda obj: not any(match(x) for x in getter(obj))
            return lambda obj: any(match(x) for x in getter(obj))
        match = _match_scalar(kind, op, field, value, self.day_dates)
        return lambda obj: match(getter(obj))

    def sort_key(self, ctx: Context, sort: Any) -> tuple[Callable[[dict[str, Any]], Any], bool] | None:
        if sort is None:
            return None
        if not isinstance(sort, dict) or not sort.get("field"):
            raise bad("sort must be an object with a field")
        order = sort.get("order", "ascending")
        if order not in ("ascending", "descending"):
            raise bad(f"Invalid sort order '{order}'. Must be one of: ascending, descending",
                      code="invalid_sort_order")
        kind, getter = self.field(ctx, str(sort["field"]))
        if kind in ("tag", "list"):
            raise bad(f"Cannot sort by {sort['field']}")
        return getter, order == "descending"


def _path_getter(path: list[str]) -> Callable[[dict[str, Any]], Any]:
    if len(path) == 1:
        key = path[0]
        return lambda obj: obj.get(key)

    def get(obj: dict[str, Any]) -> Any:
        cur: Any = obj
        for part in path:
            if not isinstance(cur, dict):
                return None
            cur = cur.get(part)
        return cur
    return get


_CONTACT_DATES = {"created_at", "signed_up_at", "updated_at", "last_seen_at",
                  "last_contacted_at", "last_replied_at", "last_email_opened_at",
                  "last_email_clicked_at", "ios_last_seen_at", "android_last_seen_at"}
_CONTACT_BOOLS = {"unsubscribed_from_emails", "marked_email_as_spam", "has_hard_bounced"}
_CONTACT_STRINGS = {
    "id", "role", "name", "owner_id", "email", "email_domain", "phone", "external_id",
    "language_override", "browser", "browser_version", "browser_language", "os",
    "ios_app_version", "ios_device", "ios_os_version", "ios_app_name", "ios_sdk_version",
    "android_app_version", "android_device", "android_app_name", "android_sdk_version",
    "android_os_version", "workspace_id",
}
_CONTACT_ALIASES = {"formatted_phone": "phone", "ios_app_device": "ios_device",
                    "andoid_sdk_version": "android_sdk_version"}


class ContactSearcher(_Searcher):
    day_dates = True  # contacts: dates are matched by calendar day (UTC workspace)

    def field(self, ctx: Context, field: str) -> tuple[str, Callable[[dict[str, Any]], Any]]:
        st = _state(ctx)
        field = _CONTACT_ALIASES.get(field, field)
        if field in _CONTACT_DATES:
            return "date", _path_getter([field])
        if field in _CONTACT_BOOLS:
            return "boolean", _path_getter([field])
        if field in _CONTACT_STRINGS:
            return "string", _path_getter([field])
        if field == "avatar":
            return "string", lambda c: (c.get("avatar") or {}).get("image_url")
        if field in ("location.country", "location.region", "location.city",
                     "location.country_code", "location.continent_code"):
            return "string", _path_getter(field.split("."))
        if field == "tag_id":
            return "tag", lambda c: st.contact_tags.get(c["id"], {})
        if field == "segment_id":
            return "list", lambda c: st.contact_segment_ids(c)
        if field in ("company_id", "companies.id"):
            return "list", lambda c: st.contact_companies.get(c["id"], [])
        if field.startswith("custom_attributes."):
            name = field.split(".", 1)[1]
            dtype = st.custom_attribute_types("contact").get(name)
            if dtype is None:
                raise bad(f"{field} is not a valid search field")
            kind = {"datetime": "date", "options": "string"}.get(dtype, dtype)
            return kind, lambda c: c["custom_attributes"].get(name)
        raise bad(f"{field} is not a valid search field")


class ConversationSearcher(_Searcher):
    day_dates = False

    def field(self, ctx: Context, field: str) -> tuple[str, Callable[[dict[str, Any]], Any]]:
        st = _state(ctx)
        if field in ("created_at", "updated_at", "waiting_since", "snoozed_until"):
            return "date", _path_getter([field])
        if field in ("id", "state", "priority", "title"):
            return "string", _path_getter([field])
        if field in ("open", "read", "ai_agent_participated"):
            return "boolean", _path_getter([field])
        if field in ("admin_assignee_id", "team_assignee_id"):
            return "integer", _path_getter([field])
        if field == "channel_initiated":
            return "string", lambda cv: cv["source"]["type"]
        if field == "source.body":
            def words(cv: dict[str, Any]) -> list[str]:
                text = re.sub(r"<[^>]+>", " ", cv["source"].get("body") or "")
                return re.findall(r"[\w'@.-]+", text)
            return "list", words
        if field.startswith("source."):
            return "string", _path_getter(field.split("."))
        if field == "contact_ids":
            return "list", lambda cv: st.conversation_contacts.get(cv["id"], [])
        if field == "tag_ids":
            return "list", lambda cv: list(st.conversation_tags.get(cv["id"], {}))
        if field == "teammate_ids":
            def mates(cv: dict[str, Any]) -> list[str]:
                ids = {p["author"]["id"] for p in st.conversation_parts.get(cv["id"], [])
                       if p["author"]["type"] == "admin"}
                if cv["source"]["author"]["type"] == "admin":
                    ids.add(cv["source"]["author"]["id"])
                return sorted(ids)
            return "list", mates
        if field.startswith("statistics."):
            key = field.split(".", 1)[1]
            kind = ("string" if key == "last_closed_by_id" else
                    "date" if key.endswith("_at") else "integer")
            return kind, lambda cv: st.conversation_statistics(cv).get(key)
        if field.startswith(("conversation_rating.", "ai_agent.")):
            return "string", _path_getter(field.split("."))
        if field.startswith("custom_attributes."):
            name = field.split(".", 1)[1]
            return "string", lambda cv: cv["custom_attributes"].get(name)
        raise bad(f"{field} is not a valid search field")


def _search(ctx: Context, searcher: _Searcher, items: Iterable[dict[str, Any]],
            default_per_page: int) -> tuple[list[dict[str, Any]], dict[str, Any], int]:
    body = ctx.body
    if "query" not in body:
        raise bad("query is a required parameter", code="parameter_not_found")
    pred = searcher.compile(ctx, body["query"])
    sort = searcher.sort_key(ctx, body.get("sort"))
    pagination = body.get("pagination") or {}
    if not isinstance(pagination, dict):
        raise bad("pagination must be an object")
    per_page = _per_page(pagination.get("per_page"), default_per_page)
    matches = [obj for obj in items if pred(obj)]
    if sort is not None:
        getter, desc = sort
        present = [o for o in matches if getter(o) is not None]
        missing = [o for o in matches if getter(o) is None]
        present.sort(key=getter, reverse=desc)
        matches = present + missing
    chunk, pages = _cursor_slice(matches, per_page, pagination.get("starting_after"))
    return chunk, pages, len(matches)


# --------------------------------------------------------------------------- contacts

_CONTACT_WRITABLE = {"role", "external_id", "email", "email_verified", "phone", "name", "avatar",
                     "signed_up_at", "last_seen_at", "owner_id", "unsubscribed_from_emails",
                     "custom_attributes", "language_override"}


def _validate_contact_fields(ctx: Context, body: dict[str, Any]) -> None:
    _reject_unknown(body, _CONTACT_WRITABLE)
    for key in ("email", "phone", "name", "avatar", "external_id", "language_override"):
        if body.get(key) is not None and not isinstance(body[key], (str, int)):
            raise bad(f"{key} must be a string")
    if "role" in body and body["role"] not in ("user", "lead"):
        raise bad("role must be either user or lead")
    for key in ("signed_up_at", "last_seen_at"):
        if body.get(key) is not None:
            _int(body[key], key)
    if body.get("owner_id") not in (None, "") and str(body["owner_id"]) not in _state(ctx).admins:
        raise bad("Owner not found", code="parameter_invalid")
    if "custom_attributes" in body:
        _check_custom_attributes(ctx, "contact", body["custom_attributes"])


def _check_conflict(ctx: Context, role: str, email: Any, external_id: Any,
                    exclude: str | None = None) -> None:
    st = _state(ctx)
    if external_id not in (None, ""):
        other = st.by_external_id.get(str(external_id))
        if other and other != exclude:
            raise SimError(409, "conflict",
                           f"A contact matching those details already exists with id={other}")
    if email and role == "user":
        for other in st.by_email.get(str(email).lower(), []):
            if other != exclude and st.contacts[other]["role"] == "user":
                raise SimError(409, "conflict",
                               f"A contact matching those details already exists with id={other}")


def _apply_contact_fields(c: dict[str, Any], body: dict[str, Any]) -> None:
    for key in ("role", "name", "phone", "language_override"):
        if key in body:
            c[key] = body[key]
    if "external_id" in body:
        c["external_id"] = None if body["external_id"] in (None, "") else str(body["external_id"])
    if "email" in body:
        email = body["email"] or None
        c["email"] = email
        c["email_domain"] = email.split("@", 1)[1] if email and "@" in email else None
    if "avatar" in body:
        c["avatar"] = {"type": "avatar", "image_url": body["avatar"]} if body["avatar"] else None
    if "owner_id" in body:
        c["owner_id"] = None if body["owner_id"] in (None, "") else str(body["owner_id"])
    for key in ("signed_up_at", "last_seen_at"):
        if key in body:
            c[key] = None if body[key] is None else int(body[key])
    if "unsubscribed_from_emails" in body:
        c["unsubscribed_from_emails"] = bool(body["unsubscribed_from_emails"])
    if body.get("custom_attributes"):
        c["custom_attributes"].update(body["custom_attributes"])


def create_contact(ctx: Context) -> Any:
    st = _state(ctx)
    body = ctx.body
    if not any(body.get(k) not in (None, "") for k in ("email", "external_id", "role")):
        raise bad("Either email, external_id or role is required", code="parameter_not_found")
    _validate_contact_fields(ctx, body)
    role = body.get("role") or "user"
    _check_conflict(ctx, role, body.get("email"), body.get("external_id"))
    ts = now()
    cid = st.object_id(ts)
    c: dict[str, Any] = {
        "type": "contact", "id": cid, "workspace_id": st.workspace_id, "external_id": None,
        "role": role, "email": None, "email_domain": None, "phone": None, "name": None,
        "avatar": None, "owner_id": None, "social_profiles": {"type": "list", "data": []},
        "has_hard_bounced": False, "marked_email_as_spam": False,
        "unsubscribed_from_emails": False, "created_at": ts, "updated_at": ts,
        "signed_up_at": ts if role == "user" else None, "last_seen_at": None,
        "last_replied_at": None, "last_contacted_at": None, "last_email_opened_at": None,
        "last_email_clicked_at": None, "language_override": None, "browser": None,
        "browser_version": None, "browser_language": None, "os": None,
        "location": {"type": "location", "country": None, "region": None, "city": None,
                     "country_code": None, "continent_code": None},
        "android_app_name": None, "android_app_version": None, "android_device": None,
        "android_os_version": None, "android_sdk_version": None, "android_last_seen_at": None,
        "ios_app_name": None, "ios_app_version": None, "ios_device": None,
        "ios_os_version": None, "ios_sdk_version": None, "ios_last_seen_at": None,
        "custom_attributes": {}, "utm_campaign": None, "utm_content": None, "utm_medium": None,
        "utm_source": None, "utm_term": None, "referrer": None, "enabled_push_messaging": None,
    }
    _apply_contact_fields(c, body)
    c["role"] = role
    st.add_contact(c)
    return st.render_contact(c)


def list_contacts(ctx: Context) -> Any:
    st = _state(ctx)
    per_page = _per_page(ctx.query.get("per_page"), 50)
    start, page = _cursor(ctx.query.get("starting_after"))
    seq, contacts, archived = st.contact_seq, st.contacts, st.archived
    data: list[dict[str, Any]] = []
    i, n = start, len(seq)
    while i < n and len(data) < per_page:
        c = contacts.get(seq[i])
        i += 1
        if c is not None and c["id"] not in archived:
            data.append(st.render_contact(c))
    j = i
    while j < n and (seq[j] not in contacts or seq[j] in archived):
        j += 1
    nxt = encode_cursor(j, page + 1) if j < n else None
    total = st.visible_contact_count()
    return {"type": "list", "data": data, "total_count": total,
            "pages": _pages(page, per_page, total, nxt)}


def get_contact(ctx: Context, contact_id: str) -> Any:
    return _state(ctx).render_contact(_contact(ctx, contact_id))


def update_contact(ctx: Context, contact_id: str) -> Any:
    st = _state(ctx)
    c = _contact(ctx, contact_id)
    body = ctx.body
    _validate_contact_fields(ctx, body)
    role = body.get("role") or c["role"]
    email = body["email"] if "email" in body else c["email"]
    ext = body["external_id"] if "external_id" in body else c["external_id"]
    _check_conflict(ctx, role, email, ext, exclude=contact_id)
    st.unindex_contact(c)
    _apply_contact_fields(c, body)
    st.index_contact(c)
    c["updated_at"] = max(now(), c["updated_at"])
    return st.render_contact(c)


def delete_contact(ctx: Context, contact_id: str) -> Any:
    st = _state(ctx)
    c = _contact(ctx, contact_id)
    st.remove_contact(contact_id)
    return {"id": contact_id, "external_id": c.get("external_id"), "type": "contact",
            "deleted": True}


def find_contact_by_external_id(ctx: Context, external_id: str) -> Any:
    st = _state(ctx)
    cid = st.by_external_id.get(external_id)
    if cid is None or cid not in st.contacts:
        raise not_found("User Not Found")
    return st.render_contact(st.contacts[cid])


def search_contacts(ctx: Context) -> Any:
    st = _state(ctx)
    chunk, pages, total = _search(ctx, ContactSearcher(), st.iter_contacts(), 50)
    return {"type": "list", "data": [st.render_contact(c) for c in chunk],
            "total_count": total, "pages": pages}


def archive_contact(ctx: Context, contact_id: str) -> Any:
    c = _contact(ctx, contact_id)
    _state(ctx).archived.add(contact_id)
    return {"type": "contact", "id": contact_id, "external_id": c.get("external_id"),
            "archived": True}


def unarchive_contact(ctx: Context, contact_id: str) -> Any:
    c = _contact(ctx, contact_id)
    _state(ctx).archived.discard(contact_id)
    return {"type": "contact", "id": contact_id, "external_id": c.get("external_id"),
            "archived": False}


def list_contact_tags(ctx: Context, contact_id: str) -> Any:
    st = _state(ctx)
    _contact(ctx, contact_id)
    tags = st.contact_tags.get(contact_id, {})
    return {"type": "list", "data": [st.render_applied_tag(t, a) for t, a in tags.items()
                                     if t in st.tags]}


def add_contact_tag(ctx: Context, contact_id: str) -> Any:
    st = _state(ctx)
    _contact(ctx, contact_id)
    tid = ctx.body.get("id")
    if tid in (None, ""):
        raise bad("tag id not specified", code="parameter_not_found")
    tid = str(tid)
    if tid not in st.tags:
        raise not_found()
    tags = st.contact_tags.setdefault(contact_id, {})
    if tid not in tags:
        tags[tid] = st.applied(now(), _me(ctx))
    st.touch_contact(contact_id)
    return st.render_applied_tag(tid, tags[tid])


def remove_contact_tag(ctx: Context, contact_id: str, tag_id: str) -> Any:
    st = _state(ctx)
    _contact(ctx, contact_id)
    if tag_id not in st.tags:
        raise not_found()
    applied = st.contact_tags.get(contact_id, {}).pop(tag_id, None)
    st.touch_contact(contact_id)
    return st.render_applied_tag(tag_id, applied or st.applied(now(), _me(ctx)))


def list_contact_notes(ctx: Context, contact_id: str) -> Any:
    st = _state(ctx)
    _contact(ctx, contact_id)
    notes = [st.render_note(st.notes[n]) for n in reversed(st.contact_notes.get(contact_id, []))]
    per_page = _per_page(ctx.query.get("per_page"), 50)
    page = max(1, _int(ctx.query.get("page"), "page", 1) or 1)
    pages = _page_links(ctx, page, per_page, len(notes))
    pages["total_pages"] = max(1, pages["total_pages"])
    return {"type": "list", "data": _page_slice(notes, page, per_page),
            "total_count": len(notes), "pages": pages}


def create_contact_note(ctx: Context, contact_id: str) -> Any:
    st = _state(ctx)
    _contact(ctx, contact_id)
    body = ctx.body
    if not body.get("body"):
        raise bad("body is a required parameter", code="parameter_not_found")
    admin_id = body.get("admin_id")
    if admin_id not in (None, "") and str(admin_id) not in st.admins:
        raise not_found()
    note = st.add_note(contact_id, str(admin_id) if admin_id else _me(ctx), str(body["body"]),
                       now())
    st.touch_contact(contact_id)
    return st.render_note(note)


def list_contact_companies(ctx: Context, contact_id: str) -> Any:
    st = _state(ctx)
    _contact(ctx, contact_id)
    comps = [st.render_company(st.companies[k]) for k in st.contact_companies.get(contact_id, [])
             if k in st.companies]
    per_page = _per_page(ctx.query.get("per_page"), 50)
    page = max(1, _int(ctx.query.get("page"), "page", 1) or 1)
    pages = _page_links(ctx, page, per_page, len(comps))
    pages["total_pages"] = max(1, pages["total_pages"])
    return {"type": "list", "data": _page_slice(comps, page, per_page), "pages": pages,
            "total_count": len(comps)}


def attach_contact_company(ctx: Context, contact_id: str) -> Any:
    st = _state(ctx)
    _contact(ctx, contact_id)
    kid = ctx.body.get("id")
    if kid in (None, ""):
        raise bad("company not specified", code="parameter_not_found")
    kid = str(kid)
    if kid not in st.companies:
        raise not_found("Company Not Found", code="company_not_found")
    if len(st.contact_companies.get(contact_id, [])) >= 1000:
        raise bad("Contact has reached the maximum of 1000 company associations",
                  code="contact_company_limit_exceeded")
    st.attach_company(contact_id, kid)
    st.touch_contact(contact_id)
    return st.render_company(st.companies[kid])


def detach_contact_company(ctx: Context, contact_id: str, company_id: str) -> Any:
    st = _state(ctx)
    _contact(ctx, contact_id)
    if company_id not in st.companies:
        raise not_found("Company Not Found", code="company_not_found")
    st.detach_company(contact_id, company_id)
    st.touch_contact(contact_id)
    return st.render_company(st.companies[company_id])


def list_contact_segments(ctx: Context, contact_id: str) -> Any:
    st = _state(ctx)
    c = _contact(ctx, contact_id)
    return {"type": "list", "data": [st.segments[s] for s in st.contact_segment_ids(c)]}


# --------------------------------------------------------------------------- conversations


def _conversation(ctx: Context, conversation_id: str, message: str = "Resource Not Found",
                  ) -> dict[str, Any]:
    conv = _state(ctx).conversations.get(conversation_id)
    if conv is None:
        raise not_found(message)
    return conv


def _new_conversation(st: IntercomBackend, cid: str, body: str, ts: int,
                      author: dict[str, Any], delivered_as: str, source_type: str = "conversation",
                      subject: str = "") -> tuple[dict[str, Any], str]:
    msg_id = st.next_id("message")
    conv_id = st.next_id("conversation")
    customer = delivered_as == "customer_initiated"
    conv: dict[str, Any] = {
        "type": "conversation", "id": conv_id, "title": None, "created_at": ts,
        "updated_at": ts, "waiting_since": ts if customer else None, "snoozed_until": None,
        "source": {"type": source_type, "id": msg_id, "delivered_as": delivered_as,
                   "subject": subject or "", "body": html_body(body), "author": author,
                   "attachments": [], "url": None, "redacted": False},
        "first_contact_reply": {"created_at": ts, "type": source_type, "url": None}
        if customer else None,
        "admin_assignee_id": None, "team_assignee_id": None, "open": True, "state": "open",
        "read": False, "priority": "none", "sla_applied": None, "conversation_rating": None,
        "custom_attributes": {}, "topics": {}, "ticket": None,
        "linked_objects": {"type": "list", "data": [], "total_count": 0, "has_more": False},
        "ai_agent": None, "ai_agent_participated": False,
    }
    st.add_conversation(conv, [cid])
    if customer:
        c = st.contacts[cid]
        c["last_replied_at"] = ts
    else:
        st.contacts[cid]["last_contacted_at"] = ts
    st.touch_contact(cid, ts)
    return conv, msg_id


def create_conversation(ctx: Context) -> Any:
    st = _state(ctx)
    body = ctx.body
    sender = body.get("from")
    if not isinstance(sender, dict) or not sender.get("id"):
        raise bad("from is a required parameter", code="parameter_not_found")
    if sender.get("type") not in ("user", "lead", "contact"):
        raise bad("from.type must be one of user, lead, contact")
    if not body.get("body"):
        raise bad("Body is required")
    cid = str(sender["id"])
    if cid not in st.contacts:
        raise not_found("User Not Found")
    ts = _int(body.get("created_at"), "created_at", now()) or now()
    conv, msg_id = _new_conversation(st, cid, str(body["body"]), ts, st.contact_author(cid),
                                     "customer_initiated")
    message = {"type": "user_message", "id": msg_id, "created_at": ts, "body": str(body["body"]),
               "message_type": "inapp", "conversation_id": conv["id"]}
    st.messages[msg_id] = message
    return message


def list_conversations(ctx: Context) -> Any:
    st = _state(ctx)
    per_page = _per_page(ctx.query.get("per_page"), 20)
    start, page = _cursor(ctx.query.get("starting_after"))
    seq, convs = st.conversation_seq, st.conversations
    data: list[dict[str, Any]] = []
    i, n = start, len(seq)
    while i < n and len(data) < per_page:
        conv = convs.get(seq[i])
        i += 1
        if conv is not None:
            data.append(st.render_conversation(conv, parts=False))
    j = i
    while j < n and seq[j] not in convs:
        j += 1
    nxt = encode_cursor(j, page + 1) if j < n else None
    total = len(convs)
    return {"type": "conversation.list", "pages": _pages(page, per_page, total, nxt),
            "total_count": total, "conversations": data}


def get_conversation(ctx: Context, conversation_id: str) -> Any:
    return _state(ctx).render_conversation(_conversation(ctx, conversation_id))


def update_conversation(ctx: Context, conversation_id: str) -> Any:
    st = _state(ctx)
    conv = _conversation(ctx, conversation_id)
    body = ctx.body
    _reject_unknown(body, {"read", "title", "custom_attributes", "company_id"})
    if "read" in body:
        conv["read"] = bool(body["read"])
    if "title" in body:
        conv["title"] = body["title"]
    if body.get("custom_attributes") is not None:
        conv["custom_attributes"].update(_require_dict(body["custom_attributes"],
                                                       "custom_attributes"))
    if "company_id" in body:
        kid = body["company_id"]
        if kid not in (None, "") and str(kid) not in st.companies:
            raise not_found("Company Not Found", code="company_not_found")
        conv["company"] = st.render_company(st.companies[str(kid)]) if kid else None
    conv["updated_at"] = max(now(), conv["updated_at"])
    return st.render_conversation(conv)


def delete_conversation(ctx: Context, conversation_id: str) -> Any:
    _conversation(ctx, conversation_id)
    _state(ctx).remove_conversation(conversation_id)
    return {"id": conversation_id, "object": "conversation", "deleted": True}


def search_conversations(ctx: Context) -> Any:
    st = _state(ctx)
    chunk, pages, total = _search(ctx, ConversationSearcher(), st.iter_conversations(), 20)
    return {"type": "conversation.list", "pages": pages, "total_count": total,
            "conversations": [st.render_conversation(c, parts=False) for c in chunk]}


def _reply_contact(ctx: Context, body: dict[str, Any]) -> str:
    st = _state(ctx)
    if body.get("intercom_user_id"):
        cid = str(body["intercom_user_id"])
        if cid in st.contacts:
            return cid
    elif body.get("user_id"):
        ext_cid = st.by_external_id.get(str(body["user_id"]))
        if ext_cid:
            return ext_cid
    elif body.get("email"):
        c = st.find_contact_by_email(str(body["email"]))
        if c:
            return c["id"]
    else:
        raise bad("intercom_user_id, user_id or email is required", code="parameter_not_found")
    raise not_found("User Not Found")


def reply_conversation(ctx: Context, conversation_id: str) -> Any:
    st = _state(ctx)
    body = ctx.body
    kind = body.get("type")
    message_type = body.get("message_type")
    ts = _int(body.get("created_at"), "created_at", now()) or now()
    if kind == "admin":
        if message_type not in ("comment", "note", "quick_reply"):
            raise bad("message_type must be one of comment, note, quick_reply")
        if message_type != "quick_reply" and not body.get("body"):
            raise bad("Body is required")
        conv = _conversation(ctx, conversation_id)
        aid = _admin(ctx, body.get("admin_id"))
        st.add_part(conv, message_type, st.admin_author(aid), ts, body=body.get("body"))
        if message_type == "comment":
            conv["waiting_since"] = None
            for cid in st.conversation_contacts.get(conv["id"], []):
                if cid in st.contacts:
                    st.contacts[cid]["last_contacted_at"] = ts
        return st.render_conversation(conv)
    if kind in ("user", "lead", "contact"):
        if message_type not in ("comment", "quick_reply"):
            raise bad("message_type must be comment")
        if message_type == "comment" and not body.get("body"):
            raise bad("Body is required")
        cid = _reply_contact(ctx, body)
        if conversation_id == "last":
            mine = [cv for cv in st.conversations.values()
                    if cid in st.conversation_contacts.get(cv["id"], [])]
            if not mine:
                raise not_found()
            conv = max(mine, key=lambda cv: (cv["updated_at"], int(cv["id"])))
        else:
            conv = _conversation(ctx, conversation_id)
        reopen = conv["state"] != "open"
        if reopen:
            conv["state"], conv["open"], conv["snoozed_until"] = "open", True, None
        st.add_part(conv, "open" if reopen else message_type, st.contact_author(cid), ts,
                    body=body.get("body"))
        if conv["first_contact_reply"] is None:
            conv["first_contact_reply"] = {"created_at": ts, "type": "conversation", "url": None}
        conv["waiting_since"] = conv["waiting_since"] or ts
        contacts = st.conversation_contacts.setdefault(conv["id"], [])
        if cid not in contacts:
            contacts.append(cid)
        st.contacts[cid]["last_replied_at"] = ts
        st.touch_contact(cid, ts)
        return st.render_conversation(conv)
    raise bad("type must be admin or user")


def manage_conversation(ctx: Context, conversation_id: str) -> Any:
    st = _state(ctx)
    conv = _conversation(ctx, conversation_id)
    body = ctx.body
    message_type = body.get("message_type")
    if message_type not in ("close", "open", "snoozed", "assignment"):
        raise bad("message_type must be one of close, open, snoozed, assignment")
    aid = _admin(ctx, body.get("admin_id"))
    author = st.admin_author(aid)
    ts = now()
    text = body.get("body")
    if message_type == "close":
        conv["state"], conv["open"], conv["snoozed_until"] = "closed", False, None
        conv["waiting_since"] = None
        st.add_part(conv, "close", author, ts, body=text)
    elif message_type == "open":
        conv["state"], conv["open"], conv["snoozed_until"] = "open", True, None
        st.add_part(conv, "open", author, ts, body=text)
    elif message_type == "snoozed":
        until = _int(body.get("snoozed_until"), "snoozed_until")
        if until is None:
            raise bad("snoozed_until is a required parameter", code="parameter_not_found")
        conv["state"], conv["open"], conv["snoozed_until"] = "snoozed", True, until
        st.add_part(conv, "snoozed", author, ts, body=text)
    else:
        target = body.get("type", "admin")
        if target not in ("admin", "team"):
            raise bad("type must be admin or team")
        if body.get("assignee_id") in (None, ""):
            raise bad("assignee_id is a required parameter", code="parameter_not_found")
        assignee = str(body["assignee_id"])
        if assignee != "0":
            pool = st.admins if target == "admin" else st.teams
            if assignee not in pool:
                raise not_found("Assignee not found", code="assignee_not_found")
        key = "admin_assignee_id" if target == "admin" else "team_assignee_id"
        conv[key] = None if assignee == "0" else int(assignee)
        reopen = conv["state"] == "closed"
        if reopen:
            conv["state"], conv["open"], conv["snoozed_until"] = "open", True, None
        st.add_part(conv, "assign_and_reopen" if reopen else "assignment", author, ts,
                    body=text, assigned_to=None if assignee == "0" else
                    {"type": target, "id": assignee})
    return st.render_conversation(conv)


def tag_conversation(ctx: Context, conversation_id: str) -> Any:
    st = _state(ctx)
    conv = _conversation(ctx, conversation_id, "Conversation not found")
    body = ctx.body
    tid = body.get("id")
    if tid in (None, ""):
        raise bad("tag id not specified", code="parameter_not_found")
    aid = _admin(ctx, body.get("admin_id"))
    tid = str(tid)
    if tid not in st.tags:
        raise not_found("Tag not found", code="tag_not_found")
    tags = st.conversation_tags.setdefault(conv["id"], {})
    if tid not in tags:
        tags[tid] = st.applied(now(), aid)
    conv["updated_at"] = max(now(), conv["updated_at"])
    return st.render_applied_tag(tid, tags[tid])


def untag_conversation(ctx: Context, conversation_id: str, tag_id: str) -> Any:
    st = _state(ctx)
    conv = _conversation(ctx, conversation_id, "Conversation not found")
    aid = _admin(ctx, ctx.body.get("admin_id"))
    if tag_id not in st.tags:
        raise not_found("Tag not found", code="tag_not_found")
    applied = st.conversation_tags.get(conv["id"], {}).pop(tag_id, None)
    conv["updated_at"] = max(now(), conv["updated_at"])
    return st.render_applied_tag(tag_id, applied or st.applied(now(), aid))


# --------------------------------------------------------------------------- tags


def list_tags(ctx: Context) -> Any:
    return {"type": "list", "data": [t.copy() for t in _state(ctx).tags.values()]}


def get_tag(ctx: Context, tag_id: str) -> Any:
    tag = _state(ctx).tags.get(tag_id)
    if tag is None:
        raise not_found()
    return tag.copy()


def create_or_update_tag(ctx: Context) -> Any:
    st = _state(ctx)
    body = ctx.body
    name = body.get("name")
    if not isinstance(name, str) or not name.strip() or set(body) - {"name", "id", "users",
                                                                     "companies"}:
        raise bad("invalid tag parameters")
    users, companies = body.get("users"), body.get("companies")
    if body.get("id") not in (None, ""):
        tag = st.tags.get(str(body["id"]))
        if tag is None:
            raise not_found()
        clash = st.find_tag_by_name(name)
        if clash is not None and clash["id"] != tag["id"]:
            raise bad(f"A tag named '{name}' already exists")
        tag["name"] = name
    else:
        tag = st.find_tag_by_name(name)
        if tag is None:
            if companies is not None and all(isinstance(k, dict) and k.get("untag")
                                             for k in companies or [{}]):
                raise not_found()
            tag = st.create_tag(name)
    out: dict[str, Any] = tag.copy()
    ts = now()
    if users is not None:
        if not isinstance(users, list):
            raise bad("invalid tag parameters")
        result = []
        targets = []
        for u in users:
            if not isinstance(u, dict):
                raise bad("invalid tag parameters")
            cid = str(u.get("id") or "")
            if cid not in st.contacts:
                raise not_found("User Not Found")
            targets.append((cid, bool(u.get("untag"))))
        for cid, untag in targets:
            tags = st.contact_tags.setdefault(cid, {})
            if untag:
                tags.pop(tag["id"], None)
            elif tag["id"] not in tags:
                tags[tag["id"]] = st.applied(ts, _me(ctx))
            st.touch_contact(cid, ts)
            result.append({"id": cid, "tagged": not untag})
        out["users"] = result
    if companies is not None:
        if not isinstance(companies, list):
            raise bad("invalid tag parameters")
        result = []
        targets = []
        for k in companies:
            if not isinstance(k, dict):
                raise bad("invalid tag parameters")
            kid = str(k.get("id") or "")
            if kid not in st.companies:
                kid = st.company_by_company_id.get(str(k.get("company_id") or ""), "")
            if kid not in st.companies:
                raise not_found("Company Not Found", code="company_not_found")
            targets.append((kid, bool(k.get("untag"))))
        for kid, untag in targets:
            tags = st.company_tags.setdefault(kid, {})
            if untag:
                tags.pop(tag["id"], None)
            elif tag["id"] not in tags:
                tags[tag["id"]] = st.applied(ts, _me(ctx))
            result.append({"id": kid, "tagged": not untag})
        out["companies"] = result
    return out


def delete_tag(ctx: Context, tag_id: str) -> Any:
    st = _state(ctx)
    if tag_id not in st.tags:
        raise not_found()
    dependents = [st.segments[s]["name"] for s, rule in st.segment_rules.items()
                  if rule == ("tag", tag_id) and s in st.segments]
    if dependents:
        raise bad("Unable to delete Tag with dependent objects. Segments: "
                  f"{', '.join(dependents)}.", code="tag_has_dependent_objects")
    st.remove_tag(tag_id)
    return ctx.sim.empty(200)


# --------------------------------------------------------------------------- notes


def get_note(ctx: Context, note_id: str) -> Any:
    st = _state(ctx)
    note = st.notes.get(note_id)
    if note is None:
        raise not_found()
    return st.render_note(note)


# --------------------------------------------------------------------------- admins / teams


def me(ctx: Context) -> Any:
    st = _state(ctx)
    admin = st.admins[_me(ctx)]
    return {"type": "admin", "id": admin["id"], "email": admin["email"], "name": admin["name"],
            "email_verified": True, "app": dict(st.app),
            "avatar": {"type": "avatar", "image_url": admin.get("avatar")},
            "has_inbox_seat": admin["has_inbox_seat"]}


def list_admins(ctx: Context) -> Any:
    st = _state(ctx)
    avatar = _truthy(ctx.query.get("display_avatar"))
    return {"type": "admin.list",
            "admins": [st.render_admin(a, avatar) for a in st.admins.values()]}


def get_admin(ctx: Context, admin_id: str) -> Any:
    st = _state(ctx)
    admin = st.admins.get(admin_id)
    if admin is None:
        raise not_found("Admin not found", code="admin_not_found")
    return st.render_admin(admin)


def set_admin_away(ctx: Context, admin_id: str) -> Any:
    st = _state(ctx)
    admin = st.admins.get(admin_id)
    if admin is None:
        raise not_found("Admin for admin_id not found", code="admin_not_found")
    body = ctx.body
    for key in ("away_mode_enabled", "away_mode_reassign"):
        if key not in body:
            raise bad(f"{key} is a required parameter", code="parameter_not_found")
        admin[key] = bool(body[key])
    reason = body.get("away_status_reason_id")
    admin["away_status_reason_id"] = (str(reason) if reason not in (None, "") and
                                      admin["away_mode_enabled"] else None)
    return st.render_admin(admin)


def list_teams(ctx: Context) -> Any:
    return {"type": "team.list", "teams": [t.copy() for t in _state(ctx).teams.values()]}


def get_team(ctx: Context, team_id: str) -> Any:
    team = _state(ctx).teams.get(team_id)
    if team is None:
        raise not_found("Team not found", code="team_not_found")
    return team.copy()


# --------------------------------------------------------------------------- companies

_COMPANY_FIELDS = {"name", "company_id", "plan", "size", "website", "industry",
                   "custom_attributes", "remote_created_at", "update_last_request_at",
                   "monthly_spend"}


def _apply_company_fields(ctx: Context, k: dict[str, Any], body: dict[str, Any]) -> None:
    if "custom_attributes" in body:
        k["custom_attributes"].update(_check_custom_attributes(ctx, "company",
                                                               body["custom_attributes"]))
    for key in ("name", "website", "industry"):
        if key in body:
            k[key] = body[key]
    for key in ("size", "remote_created_at", "monthly_spend"):
        if key in body:
            value = body[key]
            if key == "monthly_spend" and isinstance(value, float):
                value = int(value)
            k[key] = _int(value, key)
    if "plan" in body:
        plan = body["plan"]
        k["plan"] = {"type": "plan", "id": str(zlib.crc32(str(plan).encode()) % 1000000),
                     "name": plan} if plan else {}
    if body.get("update_last_request_at"):
        k["last_request_at"] = now()


def create_or_update_company(ctx: Context) -> Any:
    st = _state(ctx)
    body = ctx.body
    _reject_unknown(body, _COMPANY_FIELDS)
    if not body.get("company_id") and not body.get("name"):
        raise bad("company_id or name is required", code="parameter_not_found")
    ts = now()
    company_id = str(body["company_id"]) if body.get("company_id") not in (None, "") else None
    kid = st.company_by_company_id.get(company_id) if company_id else None
    if kid is not None:
        k = st.companies[kid]
        _apply_company_fields(ctx, k, {key: v for key, v in body.items() if key != "company_id"})
        k["updated_at"] = max(ts, k["updated_at"])
        return st.render_company(k)
    if body.get("custom_attributes") is not None:
        _check_custom_attributes(ctx, "company", body["custom_attributes"])
    kid = st.object_id(ts)
    k = {"type": "company", "company_id": company_id or uuid.uuid4().hex[:24], "id": kid,
         "app_id": st.workspace_id, "name": None, "remote_created_at": None,
         "created_at": ts, "updated_at": ts, "last_request_at": None, "monthly_spend": 0,
         "session_count": 0, "user_count": 0, "size": None, "website": None, "industry": None,
         "plan": {}, "custom_attributes": {}}
    _apply_company_fields(ctx, k, {key: v for key, v in body.items() if key != "company_id"})
    st.add_company(k)
    return st.render_company(k)


def _company(ctx: Context, company_id: str) -> dict[str, Any]:
    k = _state(ctx).companies.get(company_id)
    if k is None:
        raise not_found("Company Not Found", code="company_not_found")
    return k


def list_companies(ctx: Context) -> Any:
    st = _state(ctx)
    q = ctx.query
    if q.get("company_id") or q.get("name"):
        if q.get("company_id"):
            kid = st.company_by_company_id.get(q["company_id"])
            k = st.companies.get(kid) if kid else None
        else:
            k = next((c for c in st.companies.values() if c["name"] == q["name"]), None)
        if k is None:
            raise not_found("Company Not Found", code="company_not_found")
        return st.render_company(k)
    items = list(st.companies.values())
    extra: dict[str, Any] = {}
    if q.get("tag_id"):
        tid = q["tag_id"]
        items = [k for k in items if tid in st.company_tags.get(k["id"], {})]
        extra["tag_id"] = tid
    if q.get("segment_id"):
        items = []  # no company segments are simulated
        extra["segment_id"] = q["segment_id"]
    per_page = _per_page(q.get("per_page"), 15)
    page = max(1, _int(q.get("page"), "page", 1) or 1)
    return {"type": "list",
            "data": [st.render_company(k) for k in _page_slice(items, page, per_page)],
            "pages": _page_links(ctx, page, per_page, len(items), extra),
            "total_count": len(items)}


def list_companies_post(ctx: Context) -> Any:
    st = _state(ctx)
    q = ctx.query
    order = (q.get("order") or "desc").lower()
    if order not in ("asc", "desc"):
        raise bad("order must be asc or desc")
    # the API leaves out companies without users from this list
    items = [k for k in st.companies.values() if st.company_contacts.get(k["id"])]
    items.sort(key=lambda k: (k.get("last_request_at") or 0, k["created_at"]),
               reverse=order == "desc")
    per_page = _per_page(q.get("per_page"), 15)
    page = max(1, _int(q.get("page"), "page", 1) or 1)
    return {"type": "list",
            "data": [st.render_company(k) for k in _page_slice(items, page, per_page)],
            "pages": _page_links(ctx, page, per_page, len(items), {"order": order}),
            "total_count": len(items)}


def scroll_companies(ctx: Context) -> Any:
    st = _state(ctx)
    param = ctx.query.get("scroll_param")
    per_page = 50
    if param:
        if param not in st.scrolls:
            raise bad("scroll parameter not found or expired")
        offset = st.scrolls[param]
    else:
        param, offset = str(uuid.uuid4()), 0
    items = list(st.companies.values())[offset:offset + per_page]
    if items:
        st.scrolls[param] = offset + len(items)
    else:
        st.scrolls.pop(param, None)
    return {"type": "list", "data": [st.render_company(k) for k in items], "pages": None,
            "total_count": None, "scroll_param": param}


def get_company(ctx: Context, company_id: str) -> Any:
    return _state(ctx).render_company(_company(ctx, company_id))


def update_company(ctx: Context, company_id: str) -> Any:
    st = _state(ctx)
    k = _company(ctx, company_id)
    body = ctx.body
    _reject_unknown(body, _COMPANY_FIELDS - {"company_id", "remote_created_at",
                                             "update_last_request_at"})
    _apply_company_fields(ctx, k, body)
    k["updated_at"] = max(now(), k["updated_at"])
    return st.render_company(k)


def delete_company(ctx: Context, company_id: str) -> Any:
    _company(ctx, company_id)
    _state(ctx).remove_company(company_id)
    return {"id": company_id, "object": "company", "deleted": True}


def list_company_contacts(ctx: Context, company_id: str) -> Any:
    st = _state(ctx)
    _company(ctx, company_id)
    members = st.company_contacts.get(company_id, set())
    items = [c for c in st.iter_contacts() if c["id"] in members]
    per_page = _per_page(ctx.query.get("per_page"), 50)
    chunk, pages = _cursor_slice(items, per_page, ctx.query.get("starting_after"))
    return {"type": "list", "data": [st.render_contact(c) for c in chunk],
            "total_count": len(items), "pages": pages}


# --------------------------------------------------------------------------- segments


def list_segments(ctx: Context) -> Any:
    st = _state(ctx)
    count = _truthy(ctx.query.get("include_count"))
    return {"type": "segment.list",
            "segments": [st.render_segment(s, count) for s in st.segments.values()]}


def get_segment(ctx: Context, segment_id: str) -> Any:
    st = _state(ctx)
    seg = st.segments.get(segment_id)
    if seg is None:
        raise not_found()
    return st.render_segment(seg, _truthy(ctx.query.get("include_count")))


# --------------------------------------------------------------------------- data attributes

_DATA_TYPES = {"string", "integer", "float", "boolean", "datetime", "date", "options"}
_ATTR_NAME = re.compile(r"^[\w \-$€£¥₹]+$")


def list_data_attributes(ctx: Context) -> Any:
    st = _state(ctx)
    model = ctx.query.get("model")
    if model == "conversation":
        raise bad("model=conversation is no longer supported. Use GET /conversations/attributes "
                  "instead", status=422)
    if model not in (None, "", "contact", "company"):
        raise bad("The Data Attribute model field must be either contact or company")
    archived = _truthy(ctx.query.get("include_archived"))
    return {"type": "list",
            "data": [a.copy() for a in st.data_attributes
                     if (not model or a["model"] == model) and (archived or not a["archived"])]}


def create_data_attribute(ctx: Context) -> Any:
    st = _state(ctx)
    body = ctx.body
    model = body.get("model")
    if model not in ("contact", "company"):
        raise bad("The Data Attribute model field must be either contact or company")
    name = body.get("name")
    if not isinstance(name, str) or not name.strip():
        raise bad("name is a required parameter", code="parameter_not_found")
    if not _ATTR_NAME.match(name):
        raise bad("Your name for this attribute must only contain alphanumeric characters, "
                  "currency symbols, and hyphens")
    dtype = body.get("data_type")
    if dtype not in _DATA_TYPES:
        raise bad("Data Type isn't an option")
    for existing in st.data_attributes:
        if existing["name"].lower() == name.lower() and (existing["custom"] or
                                                         existing["full_name"] == name):
            where = "company" if existing["model"] == "company" else "people"
            new = "company" if model == "company" else "people"
            raise bad(f"You already have '{name}' in your {where} data. To save this as new "
                      f"{new} data, use a different name.")
    options = body.get("options")
    if dtype == "options":
        if not isinstance(options, list):
            raise bad("Options isn't an array")
        if len(options) < 2:
            raise bad("Options should have at least 2 values")
    ts = now()
    attr: dict[str, Any] = {
        "id": int(st.next_id("data_attribute")), "type": "data_attribute", "name": name,
        "full_name": f"custom_attributes.{name}", "label": name,
        "data_type": "string" if dtype == "options" else "date" if dtype == "datetime" else dtype,
        "api_writable": True, "ui_writable": False,
        "messenger_writable": bool(body.get("messenger_writable", False)), "custom": True,
        "archived": False, "admin_id": _me(ctx), "created_at": ts, "updated_at": ts,
        "model": model,
    }
    if body.get("description"):
        attr["description"] = body["description"]
    if isinstance(options, list):
        attr["options"] = [str(o.get("value")) if isinstance(o, dict) else str(o)
                           for o in options]
    st.data_attributes.append(attr)
    return attr.copy()


def update_data_attribute(ctx: Context, data_attribute_id: str) -> Any:
    st = _state(ctx)
    attr = next((a for a in st.data_attributes if str(a.get("id")) == data_attribute_id), None)
    if attr is None:
        raise not_found("We couldn't find that data attribute to update", code="field_not_found")
    body = ctx.body
    if "options" in body:
        options = body["options"]
        if not isinstance(options, list):
            raise bad("Options isn't an array")
        attr["options"] = [str(o.get("value")) if isinstance(o, dict) else str(o)
                           for o in options]
    if "description" in body:
        attr["description"] = body["description"]
    if "archived" in body:
        attr["archived"] = bool(body["archived"])
    if "messenger_writable" in body:
        attr["messenger_writable"] = bool(body["messenger_writable"])
    attr["updated_at"] = now()
    return attr.copy()


# --------------------------------------------------------------------------- events


def _event_contact(ctx: Context, source: dict[str, Any], id_key: str) -> str:
    st = _state(ctx)
    if source.get(id_key):
        cid = str(source[id_key])
        if cid in st.contacts:
            return cid
    elif source.get("user_id"):
        ext_cid = st.by_external_id.get(str(source["user_id"]))
        if ext_cid:
            return ext_cid
    elif source.get("email"):
        c = st.find_contact_by_email(str(source["email"]))
        if c:
            return c["id"]
    else:
        raise bad(f"One of {id_key}, user_id or email is required", code="parameter_not_found")
    raise not_found("User Not Found")


def create_event(ctx: Context) -> Any:
    st = _state(ctx)
    body = ctx.body
    name = body.get("event_name")
    if not isinstance(name, str) or not name:
        raise bad("event_name is a required parameter", code="parameter_not_found")
    created = _int(body.get("created_at"), "created_at")
    if created is None:
        raise bad("created_at is a required parameter", code="parameter_not_found")
    metadata = body.get("metadata")
    if metadata is not None:
        metadata = _require_dict(metadata, "metadata")
        if any(isinstance(v, (dict, list)) for v in metadata.values()):
            raise bad("metadata does not support nested JSON structures")
    cid = _event_contact(ctx, body, "id")
    st.add_event(cid, name, created, metadata)
    st.touch_contact(cid)
    return ctx.sim.empty(202)


def _iso(ts: int) -> str:
    import datetime as _dt

    return _dt.datetime.fromtimestamp(ts, _dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000+00:00")


def list_events(ctx: Context) -> Any:
    st = _state(ctx)
    q = ctx.query
    if q.get("type") != "user":
        raise bad("type must be user")
    cid = _event_contact(ctx, q, "intercom_user_id")
    c = st.contacts[cid]
    ident = {"email": c.get("email"), "intercom_user_id": cid, "user_id": c.get("external_id")}
    if _truthy(q.get("summary")):
        events = [{"name": s["name"], "first": _iso(s["first"]), "last": _iso(s["last"]),
                   "count": s["count"], "description": s["description"]}
                  for s in st.event_summaries.get(cid, {}).values()]
        return {"type": "event.summary", "events": events, **ident}
    per_page = _per_page(q.get("per_page"), 50)
    events = sorted(st.events.get(cid, []), key=lambda e: e["created_at"], reverse=True)
    offset = 0
    if q.get("before"):
        decoded = decode_cursor(q["before"])
        if decoded is None:
            raise bad("Invalid pagination cursor")
        offset = decoded[0]
    chunk = events[offset:offset + per_page]
    pages: dict[str, Any] = {}
    if offset + per_page < len(events):
        params: dict[str, Any] = {k: v for k, v in q.items()
                                  if k in ("type", "user_id", "email", "intercom_user_id")}
        params.update({"per_page": per_page,
                       "before": encode_cursor(offset + per_page, 1)})
        pages["next"] = f"{ctx.request.host_url.rstrip('/')}/events?{urlencode(params)}"
    return {"type": "event.list", "events": [e.copy() for e in chunk], "pages": pages}


def create_event_summaries(ctx: Context) -> Any:
    st = _state(ctx)
    body = ctx.body
    cid = _event_contact(ctx, body, "id")
    summaries = body.get("event_summaries")
    if isinstance(summaries, dict):
        summaries = [summaries]
    if not isinstance(summaries, list):
        raise bad("event_summaries is a required parameter", code="parameter_not_found")
    for s in summaries:
        if not isinstance(s, dict) or not s.get("event_name"):
            raise bad("event_summaries entries need an event_name")
        name = s["event_name"]
        count = _int(s.get("count"), "count", 1) or 1
        first = _int(s.get("first"), "first", now()) or now()
        last = _int(s.get("last"), "last", first) or first
        cur = st.event_summaries.setdefault(cid, {}).get(name)
        if cur is None:
            st.event_summaries[cid][name] = {"name": name, "first": first, "last": last,
                                             "count": count, "description": None}
        else:
            cur["count"] += count
            cur["first"] = min(cur["first"], first)
            cur["last"] = max(cur["last"], last)
    return ctx.sim.empty(200)


# --------------------------------------------------------------------------- messages


def _recipients(ctx: Context, to: Any) -> list[str]:
    st = _state(ctx)
    items = to if isinstance(to, list) else [to]
    out = []
    for r in items:
        if not isinstance(r, dict):
            raise bad("to must be an object or an array of objects")
        if r.get("id"):
            cid = str(r["id"])
            if cid not in st.contacts:
                raise not_found("User Not Found")
        elif r.get("user_id"):
            cid = st.by_external_id.get(str(r["user_id"])) or ""
            if not cid:
                raise not_found("User Not Found")
        elif r.get("email"):
            c = st.find_contact_by_email(str(r["email"]))
            if c is None:
                raise not_found("User Not Found")
            cid = c["id"]
        else:
            raise bad("to is a required parameter", code="parameter_not_found")
        out.append(cid)
    return out


def create_message(ctx: Context) -> Any:
    st = _state(ctx)
    body = ctx.body
    sender = body.get("from")
    if isinstance(sender, dict) and sender.get("type") in ("user", "lead", "contact"):
        return create_conversation(ctx)
    message_type = body.get("message_type", "inapp")
    if message_type not in ("in_app", "inapp", "email", "whatsapp"):
        raise bad("message_type must be one of in_app, email, whatsapp")
    if message_type == "whatsapp":
        raise bad("whatsapp messages are not supported by the simulator")
    if not body.get("body"):
        raise bad("Body is required")
    if message_type == "email" and not body.get("subject"):
        raise SimError(422, "parameter_not_found", "No subject supplied for email message")
    aid = _admin(ctx, (sender or {}).get("id") if isinstance(sender, dict) else None,
                 required=False)
    if body.get("to") is None:
        raise bad("to is a required parameter", code="parameter_not_found")
    recipients = _recipients(ctx, body["to"])
    ts = _int(body.get("created_at"), "created_at", now()) or now()
    conv_id = None
    msg_id = None
    if message_type in ("in_app", "inapp") or body.get("create_conversation_without_contact_reply"):
        source_type = "email" if message_type == "email" else "conversation"
        conv, msg_id = _new_conversation(st, recipients[0], str(body["body"]), ts,
                                         st.admin_author(aid), "admin_initiated", source_type,
                                         str(body.get("subject") or ""))
        for cid in recipients[1:]:
            st.conversation_contacts[conv["id"]].append(cid)
        conv_id = conv["id"]
    else:
        for cid in recipients:
            st.contacts[cid]["last_contacted_at"] = ts
    message: dict[str, Any] = {
        "type": "admin_message", "id": msg_id or st.next_id("message"), "created_at": ts,
        "subject": body.get("subject") or "", "body": str(body["body"]),
        "message_type": "inapp" if message_type in ("in_app", "inapp") else message_type,
        "owner": st.note_author(aid),
    }
    if conv_id is not None:
        message["conversation_id"] = conv_id
    st.messages[message["id"]] = message
    return message

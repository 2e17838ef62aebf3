"""Search engine of the Intercom simulator: compiles a 2.16 search query into a predicate.

``POST /contacts/search`` and ``POST /conversations/search`` bodies (nested ``AND``/``OR``,
per-type operators, ``sort``, ``pagination``) are checked and matched here; the handlers only
render what :func:`search` selects.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from ..base import Context
from .params import DAY, _cursor_slice, _per_page, _state, bad


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

"""Crisp simulator handlers: people profiles, events, data and subscription."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from ..base import Context, SimError
from ._common import (
    COMPANY_FIELDS,
    EVENT_COLORS,
    PERSON_FIELDS,
    PROFILE_CARD_FIELDS,
    PROFILE_READ_ONLY,
    _apply_filters,
    _check_email,
    _check_keys,
    _check_str_list,
    _check_typed,
    _date_ms,
    _flag,
    _page,
    _parse_filters,
    _per_page,
    _person,
    _resolve,
    _scalar_map,
    _search_operator,
    _slice,
    _sort_key,
    _website,
    invalid,
    ok,
)
from .models import (
    CrispState,
    profile_view,
)


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
    return ok({"people_id": state.add_person(body)}, "added", 201)


def get_people_profile(ctx: Context, website_id: str, people_id: str) -> Any:
    state = _website(ctx, website_id)
    return ok(profile_view(_person(state, people_id)))


def _write_profile(ctx: Context, website_id: str, people_id: str, replace: bool) -> Any:
    state = _website(ctx, website_id)
    profile = _person(state, people_id)
    body = _validate_card(copy.deepcopy(ctx.body), require_email=replace)
    if "email" in body:
        _check_email_free(state, body["email"], profile["people_id"])
    state.write_person(profile, body, replace=replace)
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
    state.add_event(profile["people_id"], text, data, color or "")
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
    state.write_data(profile["people_id"], data, replace=replace)
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

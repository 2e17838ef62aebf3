"""Tag, company and segment handlers of the Intercom simulator."""

from __future__ import annotations

import uuid
import zlib
from typing import Any

from ...base import Context
from ..models import now
from ..params import (
    _check_custom_attributes,
    _company,
    _cursor_slice,
    _int,
    _me,
    _page_links,
    _page_slice,
    _per_page,
    _reject_unknown,
    _state,
    _truthy,
    bad,
    not_found,
)

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
        targets: list[tuple[str, bool]] = []
        for u in users:
            if not isinstance(u, dict):
                raise bad("invalid tag parameters")
            cid = str(u.get("id") or "")
            if cid not in st.contacts:
                raise not_found("User Not Found")
            targets.append((cid, bool(u.get("untag"))))
        out["users"] = st.apply_tag(tag["id"], "contact", targets, _me(ctx), ts)
    if companies is not None:
        if not isinstance(companies, list):
            raise bad("invalid tag parameters")
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
        out["companies"] = st.apply_tag(tag["id"], "company", targets, _me(ctx), ts)
    return out


def delete_tag(ctx: Context, tag_id: str) -> Any:
    st = _state(ctx)
    if tag_id not in st.tags:
        raise not_found()
    dependents = st.tag_dependents(tag_id)
    if dependents:
        raise bad("Unable to delete Tag with dependent objects. Segments: "
                  f"{', '.join(dependents)}.", code="tag_has_dependent_objects")
    st.remove_tag(tag_id)
    return ctx.sim.empty(200)


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
    k = st.blank_company(company_id or uuid.uuid4().hex[:24], ts)
    _apply_company_fields(ctx, k, {key: v for key, v in body.items() if key != "company_id"})
    st.add_company(k)
    return st.render_company(k)


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

"""Contact and note handlers of the Intercom simulator."""

from __future__ import annotations

from typing import Any

from ...base import Context, SimError
from ..models import encode_cursor, now
from ..params import (
    _check_custom_attributes,
    _contact,
    _cursor,
    _int,
    _me,
    _page_links,
    _page_slice,
    _pages,
    _per_page,
    _reject_unknown,
    _state,
    bad,
    not_found,
)
from ..search import ContactSearcher, _search

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
    other = _state(ctx).contact_conflict(role, email, external_id, exclude)
    if other is not None:
        raise SimError(409, "conflict",
                       f"A contact matching those details already exists with id={other}")


def create_contact(ctx: Context) -> Any:
    st = _state(ctx)
    body = ctx.body
    if not any(body.get(k) not in (None, "") for k in ("email", "external_id", "role")):
        raise bad("Either email, external_id or role is required", code="parameter_not_found")
    _validate_contact_fields(ctx, body)
    role = body.get("role") or "user"
    _check_conflict(ctx, role, body.get("email"), body.get("external_id"))
    return st.render_contact(st.new_contact(role, body, now()))


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


def _gone_if_merged(ctx: Context, contact_id: str | None) -> None:
    """410 ``contact_merged`` with a canonical ``Link`` for a merged contact's id."""
    target = _state(ctx).merged_into(contact_id) if contact_id else None
    if target is not None:
        raise SimError(410, "contact_merged", "This contact has been merged. See the 'Link' "
                       "header for the canonical contact.",
                       headers={"Link": f'</contacts/{target}>; rel="canonical"'})


def get_contact(ctx: Context, contact_id: str) -> Any:
    st = _state(ctx)
    if contact_id not in st.contacts:
        _gone_if_merged(ctx, contact_id)
    return st.render_contact(_contact(ctx, contact_id))


def merge_contacts(ctx: Context) -> Any:
    st = _state(ctx)
    body = ctx.body
    _reject_unknown(body, ("from", "into", "skip_duplicate_validation"))
    for key in ("from", "into"):
        if body.get(key) in (None, ""):
            raise bad(f"{key} is a required parameter", code="parameter_not_found")
        if not isinstance(body[key], str):
            raise bad(f"{key} must be a string")
    skip = body.get("skip_duplicate_validation", False)
    if not isinstance(skip, bool):
        raise bad("skip_duplicate_validation must be a boolean")
    lead, user = _contact(ctx, body["from"]), _contact(ctx, body["into"])
    problem = st.merge_problem(lead, user, skip)
    if problem is not None:
        raise bad(problem, code="invalid_merge")
    return st.render_contact(st.merge_contacts(lead["id"], user["id"], now()))


def update_contact(ctx: Context, contact_id: str) -> Any:
    st = _state(ctx)
    c = _contact(ctx, contact_id)
    body = ctx.body
    _validate_contact_fields(ctx, body)
    role = body.get("role") or c["role"]
    email = body["email"] if "email" in body else c["email"]
    ext = body["external_id"] if "external_id" in body else c["external_id"]
    _check_conflict(ctx, role, email, ext, exclude=contact_id)
    return st.render_contact(st.update_contact(c, body, now()))


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
        _gone_if_merged(ctx, st.merged_external_ids.get(external_id))
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
    return st.render_applied_tag(tid, st.tag_contact(contact_id, tid, _me(ctx), now()))


def remove_contact_tag(ctx: Context, contact_id: str, tag_id: str) -> Any:
    st = _state(ctx)
    _contact(ctx, contact_id)
    if tag_id not in st.tags:
        raise not_found()
    applied = st.untag_contact(contact_id, tag_id, now())
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


# --------------------------------------------------------------------------- notes


def get_note(ctx: Context, note_id: str) -> Any:
    st = _state(ctx)
    note = st.notes.get(note_id)
    if note is None:
        raise not_found()
    return st.render_note(note)

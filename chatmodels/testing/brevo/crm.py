"""Handlers of the Brevo simulator: companies (and links), CRM notes, events."""

from __future__ import annotations

from typing import Any

from ..base import Context
from .common import bad, int_list, missing, no_content, not_found, page, query_int, string_field
from .models import BrevoState, iso, parse_iso

NOTE_MAX = 3000


def _state(ctx: Context) -> BrevoState:
    return ctx.state  # type: ignore[no-any-return]


def _contacts_exist(state: BrevoState, ids: list[int]) -> list[int]:
    for cid in ids:
        if cid not in state.contacts:
            raise not_found(f"Contact {cid} does not exist")
    return ids


# -- companies ----------------------------------------------------------------------------------
def list_companies(ctx: Context) -> Any:
    state = _state(ctx)
    items = list(state.companies.values())
    if (ctx.query.get("sort") or "desc").lower() == "desc":
        items.reverse()
    linked = ctx.query.get("linkedContactsIds")
    if linked:
        wanted = {int(x) for x in linked.split(",") if x.strip().isdigit()}
        items = [c for c in items if wanted.intersection(c["linkedContactsIds"])]
    number = query_int(ctx, "page", 1, 1)
    limit = query_int(ctx, "limit", 50, 1, 100)
    start = (number - 1) * limit
    return {"items": items[start:start + limit]}


def create_company(ctx: Context) -> Any:
    state = _state(ctx)
    body = ctx.body
    name = string_field(body, "name", required=True)
    attrs = body.get("attributes") or {}
    if not isinstance(attrs, dict):
        raise bad("attributes should be an object")
    linked = _contacts_exist(state, int_list(body, "linkedContactsIds") or [])
    now = iso(state.now())
    cid = state.object_id()
    state.companies[cid] = {
        "id": cid,
        "attributes": {**attrs, "name": name, "created_at": now, "last_updated_at": now,
                       "number_of_contacts": len(linked)},
        "linkedContactsIds": linked, "linkedDealsIds": []}
    return {"id": cid}


def _company(ctx: Context, company_id: str) -> dict[str, Any]:
    record = _state(ctx).companies.get(company_id)
    if record is None:
        raise not_found("Company not found")
    return record


def get_company(ctx: Context, company_id: str) -> Any:
    return _company(ctx, company_id)


def update_company(ctx: Context, company_id: str) -> Any:
    record = _company(ctx, company_id)
    body = ctx.body
    attrs = body.get("attributes") or {}
    if not isinstance(attrs, dict):
        raise bad("attributes should be an object")
    if "name" in body:
        attrs = {**attrs, "name": string_field(body, "name", required=True)}
    if "name" in attrs and not attrs["name"]:
        raise missing("name")
    for key, value in attrs.items():
        if key in ("created_at", "last_updated_at", "number_of_contacts"):
            continue
        if value is None:
            record["attributes"].pop(key, None)
        else:
            record["attributes"][key] = value
    record["attributes"]["last_updated_at"] = iso(_state(ctx).now())
    return record


def delete_company(ctx: Context, company_id: str) -> Any:
    _company(ctx, company_id)
    del _state(ctx).companies[company_id]
    return no_content()


def link_company(ctx: Context, company_id: str) -> Any:
    state = _state(ctx)
    record = _company(ctx, company_id)
    body = ctx.body
    link = _contacts_exist(state, int_list(body, "linkContactIds") or [])
    unlink = int_list(body, "unlinkContactIds") or []
    if not link and not unlink and not body.get("linkDealsIds") and not body.get(
            "unlinkDealsIds"):
        raise missing("linkContactIds or unlinkContactIds")
    ids = [i for i in record["linkedContactsIds"] if i not in unlink]
    ids += [i for i in link if i not in ids]
    record["linkedContactsIds"] = ids
    record["attributes"]["number_of_contacts"] = len(ids)
    return no_content()


# -- notes --------------------------------------------------------------------------------------
def _note_body(state: BrevoState, body: dict[str, Any], note: dict[str, Any]) -> None:
    text = string_field(body, "text", required=True)
    assert text is not None
    if len(text) > NOTE_MAX:
        raise bad(f"text should be at most {NOTE_MAX} characters")
    note["text"] = text
    if body.get("contactIds") is not None:
        note["contactIds"] = _contacts_exist(state, int_list(body, "contactIds") or [])
    for key in ("dealIds", "companyIds"):
        if body.get(key) is not None:
            value = body[key]
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise bad(f"{key} should be an array of strings")
            note[key] = list(value)


def list_notes(ctx: Context) -> Any:
    state = _state(ctx)
    items = list(state.notes.values())
    entity = ctx.query.get("entity")
    if entity is not None:
        if entity not in ("companies", "deals", "contacts"):
            raise bad("entity should be companies, deals or contacts")
        raw = ctx.query.get("entityIds") or ""
        key = {"companies": "companyIds", "deals": "dealIds", "contacts": "contactIds"}[entity]
        wanted = {x.strip() for x in raw.split(",") if x.strip()}
        items = [n for n in items if wanted.intersection(str(v) for v in n.get(key, []))]
    if (ctx.query.get("sort") or "desc").lower() == "desc":
        items.reverse()
    return page(ctx, items, default=50, maximum=50)


def create_note(ctx: Context) -> Any:
    state = _state(ctx)
    now = iso(state.now())
    note: dict[str, Any] = {"id": state.object_id(), "contactIds": [], "dealIds": [],
                            "companyIds": [], "createdAt": now, "updatedAt": now,
                            "authorId": dict(state.account_user)}
    _note_body(state, ctx.body, note)
    state.notes[note["id"]] = note
    return {"id": note["id"]}


def _note(ctx: Context, note_id: str) -> dict[str, Any]:
    record = _state(ctx).notes.get(note_id)
    if record is None:
        raise not_found("Note not found")
    return record


def get_note(ctx: Context, note_id: str) -> Any:
    return _note(ctx, note_id)


def update_note(ctx: Context, note_id: str) -> Any:
    note = _note(ctx, note_id)
    _note_body(_state(ctx), ctx.body, note)
    note["updatedAt"] = iso(_state(ctx).now())
    return no_content()


def delete_note(ctx: Context, note_id: str) -> Any:
    _note(ctx, note_id)
    del _state(ctx).notes[note_id]
    return no_content()


# -- events -------------------------------------------------------------------------------------
IDENTIFIER_KINDS = {"email_id": "email_id", "ext_id": "ext_id", "phone_id": "phone_id"}


def create_event(ctx: Context) -> Any:
    state = _state(ctx)
    body = ctx.body
    name = string_field(body, "event_name", required=True)
    assert name is not None
    if len(name) > 255 or not all(ch.isalnum() or ch in "-_" for ch in name):
        raise bad("event_name: up to 255 alphanumerical characters, - and _")
    identifiers = body.get("identifiers")
    if not isinstance(identifiers, dict) or not identifiers:
        raise missing("identifiers")
    contact = None
    for key, kind in IDENTIFIER_KINDS.items():
        if identifiers.get(key):
            contact = state.find_contact(str(identifiers[key]), kind)
            if contact is not None:
                break
    if contact is None:
        email = identifiers.get("email_id")
        if not email:
            raise not_found("Contact does not exist")
        contact = state.add_contact(str(email), {})  # Brevo creates the contact
    when = body.get("event_date")
    if when is not None and (not isinstance(when, str) or parse_iso(when) is None):
        raise bad("event_date should be a date-time")
    for key in ("contact_properties", "event_properties"):
        if body.get(key) is not None and not isinstance(body[key], dict):
            raise bad(f"{key} should be an object")
    state.events.append({
        "contact_id": contact["id"], "event_date": when or iso(state.now()),
        "event_name": name, "source": "api", "object_type": "contact",
        "event_properties": dict(body.get("event_properties") or {}),
        "contact_properties": dict(body.get("contact_properties") or {})})
    return no_content()


def list_events(ctx: Context) -> Any:
    state = _state(ctx)
    items = state.events
    if ctx.query.get("contact_id"):
        cid = query_int(ctx, "contact_id", 0)
        items = [e for e in items if e["contact_id"] == cid]
    if ctx.query.get("event_name"):
        items = [e for e in items if e["event_name"] == ctx.query["event_name"]]
    if (ctx.query.get("sort") or "desc").lower() == "desc":
        items = list(reversed(items))
    return {"events": page(ctx, items, default=50, maximum=100), "count": len(items)}

"""Admin, team, data attribute and data event handlers of the Intercom simulator."""

from __future__ import annotations

import datetime as _dt
import re
from typing import Any
from urllib.parse import urlencode

from ...base import Context
from ..models import decode_cursor, encode_cursor, now
from ..params import _int, _me, _per_page, _require_dict, _state, _truthy, bad, not_found

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


def list_conversation_attributes(ctx: Context) -> Any:
    archived = _truthy(ctx.query.get("include_archived"))
    return {"type": "list",
            "data": [dict(a) for a in _state(ctx).conversation_attributes
                     if archived or not a["archived"]]}


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
    existing = st.attribute_named(name)
    if existing is not None:
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
    attr = st.new_data_attribute(model, name, dtype, _me(ctx), now(),
                                 options=options if isinstance(options, list) else None,
                                 description=body.get("description"),
                                 messenger_writable=bool(body.get("messenger_writable", False)))
    return attr.copy()


def update_data_attribute(ctx: Context, data_attribute_id: str) -> Any:
    st = _state(ctx)
    attr = next((a for a in st.data_attributes if str(a.get("id")) == data_attribute_id), None)
    if attr is None:
        raise not_found("We couldn't find that data attribute to update", code="field_not_found")
    body = ctx.body
    if "options" in body and not isinstance(body["options"], list):
        raise bad("Options isn't an array")
    st.update_data_attribute(attr, body, now())
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
    return _dt.datetime.fromtimestamp(ts, _dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000+00:00")


def list_events(ctx: Context) -> Any:
    """2.16 answers both the listing and ``summary=true`` as ``"type": "event.summary"``."""
    st = _state(ctx)
    q = ctx.query
    if q.get("type") != "user":
        raise bad("type must be user")
    cid = _event_contact(ctx, q, "intercom_user_id")
    c = st.contacts[cid]
    # the spec types these as strings: a contact without one leaves the key out
    ident = {k: v for k, v in {"email": c.get("email"), "intercom_user_id": cid,
                               "user_id": c.get("external_id")}.items() if v is not None}
    if _truthy(q.get("summary")):
        events = [{"name": s["name"], "first": _iso(s["first"]), "last": _iso(s["last"]),
                   "count": s["count"], "description": s["description"]}
                  for s in st.event_summaries.get(cid, {}).values()]
        return {"type": "event.summary", "events": events, **ident}
    per_page = _per_page(q.get("per_page"), 50)
    events = st.list_events(cid, since_ms=_int(q.get("since"), "since"))
    offset = 0
    if q.get("before"):
        decoded = decode_cursor(q["before"])
        if decoded is None:
            raise bad("Invalid pagination cursor")
        offset = decoded[0]
    chunk = events[offset:offset + per_page]
    base = f"{ctx.request.host_url.rstrip('/')}/events?"
    params: dict[str, Any] = {k: v for k, v in q.items()
                              if k in ("type", "user_id", "email", "intercom_user_id")}
    pages: dict[str, Any] = {}
    if offset + per_page < len(events):
        pages["next"] = base + urlencode({**params, "per_page": per_page,
                                          "before": encode_cursor(offset + per_page, 1)})
    if offset == 0:
        newest = events[0]["created_at"] * 1000 + 1 if events else _int(q.get("since"), "since")
        if newest is not None:
            pages["since"] = base + urlencode({**params, "since": newest})
    return {"type": "event.summary", "events": [e.copy() for e in chunk], "pages": pages,
            **ident}


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
        st.add_event_summary(cid, name, count, first, last)
    return ctx.sim.empty(200)

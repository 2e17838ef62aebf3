"""Conversation and outbound message handlers of the Intercom simulator."""

from __future__ import annotations

from typing import Any

from ...base import Context, SimError
from ..files import part_attachments
from ..models import encode_cursor, now
from ..params import (
    _admin,
    _conversation,
    _cursor,
    _int,
    _pages,
    _per_page,
    _reject_unknown,
    _require_dict,
    _state,
    bad,
    not_found,
)
from ..search import ConversationSearcher, _search

# --------------------------------------------------------------------------- conversations

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
    conv, msg_id = st.new_conversation(cid, str(body["body"]), ts, st.contact_author(cid),
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
        files = part_attachments(ctx, body)
        st.admin_reply(conv, aid, message_type, body.get("body"), ts)["attachments"] = files
        return st.render_conversation(conv)
    if kind in ("user", "lead", "contact"):
        if message_type not in ("comment", "quick_reply"):
            raise bad("message_type must be comment")
        if message_type == "comment" and not body.get("body"):
            raise bad("Body is required")
        cid = _reply_contact(ctx, body)
        if conversation_id == "last":
            latest = st.latest_conversation_of(cid)
            if latest is None:
                raise not_found()
            conv = latest
        else:
            conv = _conversation(ctx, conversation_id)
        files = part_attachments(ctx, body)
        st.contact_reply(conv, cid, message_type, body.get("body"), ts)["attachments"] = files
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
    ts = now()
    text = body.get("body")
    if message_type == "close":
        st.close_conversation(conv, aid, ts, text)
    elif message_type == "open":
        st.open_conversation(conv, aid, ts, text)
    elif message_type == "snoozed":
        until = _int(body.get("snoozed_until"), "snoozed_until")
        if until is None:
            raise bad("snoozed_until is a required parameter", code="parameter_not_found")
        st.snooze_conversation(conv, aid, ts, until, text)
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
        st.assign_conversation(conv, aid, ts, target, assignee, text)
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
    return st.render_applied_tag(tid, st.tag_conversation(conv, tid, aid, now()))


def untag_conversation(ctx: Context, conversation_id: str, tag_id: str) -> Any:
    st = _state(ctx)
    conv = _conversation(ctx, conversation_id, "Conversation not found")
    aid = _admin(ctx, ctx.body.get("admin_id"))
    if tag_id not in st.tags:
        raise not_found("Tag not found", code="tag_not_found")
    applied = st.untag_conversation(conv, tag_id, now())
    return st.render_applied_tag(tag_id, applied or st.applied(now(), aid))


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
        conv, msg_id = st.new_conversation(recipients[0], str(body["body"]), ts,
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

"""Route handlers of the Sendbee simulator: parse the request, call the backend, wrap the answer.

Every handler is called as ``handler(ctx)`` with the state lock held and returns Sendbee's
envelope: ``{"data": ...}`` (plus ``meta``/``links`` for lists, and a ``warning`` when something
was ignored). Errors are raised as :class:`~chatmodels.testing.base.SimError` and answered as
``{"error": {"detail", "type"}}``. GET parameters come from the query string (lists
comma-separated, booleans ``1``/``0``), every other verb reads a JSON body (DELETE too).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

from ..base import Context, SimError
from .models import FOLDERS, SendbeeState, fmt_time, invalid, not_found

__all__ = ["DEFAULT_LIMIT", "MAX_LIMIT", "MESSAGES_PER_PAGE"]

#: page size when ``limit`` is not given, and the largest one accepted
DEFAULT_LIMIT, MAX_LIMIT = 10, 100
#: fixed page size of conversation messages (that endpoint takes no ``limit``)
MESSAGES_PER_PAGE = 10


# ---------------------------------------------------------------------- parsing
def _int(ctx: Context, name: str, default: int | None = None, *, low: int = 1,
         high: int | None = None) -> int | None:
    raw = ctx.query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise invalid(f"The {name} must be an integer.") from None
    if value < low or (high is not None and value > high):
        raise invalid(f"The {name} must be between {low} and {high or 'any'}." if high
                      else f"The {name} must be at least {low}.")
    return value


def _list(ctx: Context, name: str) -> list[str]:
    raw = ctx.query.get(name) or ""
    return [part.strip() for part in raw.split(",") if part.strip()]


def _required(ctx: Context, name: str, *, body: bool = False) -> str:
    value = (ctx.body if body else ctx.query).get(name)
    if not isinstance(value, str) or not value:
        raise invalid(f"The {name} field is required.")
    return value


def _bool(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    if value in (0, 1, "0", "1", "true", "false"):
        return value in (1, "1", "true")
    raise invalid(f"The {name} field must be true or false.")


def _page(ctx: Context, items: list[Any], view: Callable[[Any], Any], path: str,
          fixed: int | None = None) -> dict[str, Any]:
    """The list envelope for one page of ``items``."""
    page = _int(ctx, "page", 1)
    limit = fixed or _int(ctx, "limit", DEFAULT_LIMIT, high=MAX_LIMIT)
    assert page is not None and limit is not None
    total = len(items)
    last = max(1, math.ceil(total / limit))
    start = (page - 1) * limit
    chunk = items[start:start + limit]
    base = ctx.sim.base_url or ""

    def link(number: int) -> str:
        return f"{base}{path}?page={number}"
    return {
        "data": [view(item) for item in chunk],
        "meta": {"total": total, "per_page": limit, "current_page": page, "last_page": last,
                 "from": start + 1 if chunk else None,
                 "to": start + len(chunk) if chunk else None},
        "links": {"first": link(1), "last": link(last),
                  "next": link(page + 1) if page < last else None,
                  "prev": link(page - 1) if page > 1 else None},
    }


def _state(ctx: Context) -> SendbeeState:
    return ctx.state  # type: ignore[no-any-return]


def _with_warning(envelope: dict[str, Any], warnings: Iterable[str]) -> dict[str, Any]:
    text = " ".join(warnings)
    if text:
        envelope["warning"] = text
    return envelope


def _contact_by_phone(state: SendbeeState, phone: Any) -> dict[str, Any] | None:
    contact_id = state.phones.get(phone) if isinstance(phone, str) else None
    return state.contacts.get(contact_id) if contact_id else None


# ---------------------------------------------------------------------- contacts
def list_contacts(ctx: Context) -> Any:
    state = _state(ctx)
    tags = set(_list(ctx, "tags"))
    status = ctx.query.get("status")
    if status and status not in ("subscribed", "unsubscribed"):
        raise invalid("The status must be subscribed or unsubscribed.")
    search = (ctx.query.get("search_query") or "").strip().lower()
    items: Iterable[dict[str, Any]] = state.contacts.values()
    if tags:
        ids = {t["id"] for t in state.tags.values() if t["name"] in tags}
        items = [c for c in items if ids.intersection(c["tags"])]
    if status:
        items = [c for c in items if c["status"] == status]
    if search:
        items = [c for c in items if search in (c["name"] or "").lower()
                 or search in c["phone"]]
    return _page(ctx, list(items), state.contact_view, "/contacts")


def subscribe_contact(ctx: Context) -> Any:
    state = _state(ctx)
    body = ctx.body
    phone = state.check_phone(body.get("phone"))
    for flag in ("block_notifications", "block_automation"):
        if flag in body:
            _bool(body[flag], flag)
    contact = _contact_by_phone(state, phone)
    created = contact is None
    if contact is None:
        contact = state.add_contact(phone)
    warnings = state.apply_contact(contact, body)
    if contact["status"] != "subscribed":
        contact["status"] = "subscribed"
    state.emit("contact.created" if created else "contact.subscription_updated", "contact",
               state.contact_view(contact))
    return _with_warning({"data": state.contact_view(contact)}, warnings)


def update_contact(ctx: Context) -> Any:
    state = _state(ctx)
    contact = state.contacts.get(_required(ctx, "id", body=True))
    if contact is None:
        raise not_found("Contact")
    if "block_notifications" in ctx.body:
        _bool(ctx.body["block_notifications"], "block_notifications")
    warnings = state.apply_contact(contact, ctx.body)
    state.emit("contact.subscription_updated", "contact", state.contact_view(contact))
    return _with_warning({"data": state.contact_view(contact)}, warnings)


# ---------------------------------------------------------------------- tags
def list_tags(ctx: Context) -> Any:
    state = _state(ctx)
    name = (ctx.query.get("name") or "").strip().lower()
    items = [t for t in state.tags.values() if not name or name in t["name"].lower()]
    return _page(ctx, items, dict, "/contacts/tags")


def create_tag(ctx: Context) -> Any:
    state = _state(ctx)
    name = _required(ctx, "name", body=True)
    existing = state.tag_named(name)  # tag names are unique: creating one again finds it
    return {"data": dict(existing if existing is not None else state.add_tag(name))}


def _tag(ctx: Context) -> dict[str, Any]:
    tag = _state(ctx).tags.get(_required(ctx, "id", body=True))
    if tag is None:
        raise not_found("Tag")
    return tag


def update_tag(ctx: Context) -> Any:
    tag = _tag(ctx)
    name = _required(ctx, "name", body=True)
    other = _state(ctx).tag_named(name)
    if other is not None and other["id"] != tag["id"]:
        raise invalid(f"Tag '{name}' already exists.")
    tag["name"] = name
    return {"data": dict(tag)}


def delete_tag(ctx: Context) -> Any:
    state = _state(ctx)
    tag = _tag(ctx)
    del state.tags[tag["id"]]
    for contact in state.contacts.values():
        if tag["id"] in contact["tags"]:
            contact["tags"].remove(tag["id"])
    return {"data": {"message": "Tag deleted"}}


# ---------------------------------------------------------------------- contact fields
def list_fields(ctx: Context) -> Any:
    state = _state(ctx)
    search = (ctx.query.get("search_query") or "").strip().lower()
    items = [f for f in state.fields.values() if not search or search in f["name"].lower()]
    return _page(ctx, items, dict, "/contacts/fields")


def create_field(ctx: Context) -> Any:
    state = _state(ctx)
    values = state.check_field(ctx.body)
    field = {"id": _new_id(), **values}
    state.fields[field["id"]] = field
    return {"data": dict(field)}


def _field(ctx: Context) -> dict[str, Any]:
    field = _state(ctx).fields.get(_required(ctx, "id", body=True))
    if field is None:
        raise not_found("Contact field")
    return field


def update_field(ctx: Context) -> Any:
    field = _field(ctx)
    field.update(_state(ctx).check_field(ctx.body, field))
    return {"data": dict(field)}


def delete_field(ctx: Context) -> Any:
    state = _state(ctx)
    field = _field(ctx)
    del state.fields[field["id"]]
    for contact in state.contacts.values():
        contact["fields"].pop(field["id"], None)
    return {"data": {"message": "Contact field deleted"}}


def _new_id() -> str:
    from .models import new_uuid
    return new_uuid()


# ---------------------------------------------------------------------- conversations
def list_conversations(ctx: Context) -> Any:
    state = _state(ctx)
    folder = ctx.query.get("folder")
    if folder and folder not in FOLDERS:
        raise invalid(f"The folder must be one of: {', '.join(FOLDERS)}.")
    search = (ctx.query.get("search_query") or "").strip().lower()
    date_from = _int(ctx, "date_from", None, low=0)
    date_to = _int(ctx, "date_to", None, low=0)
    items = []
    for conv in state.conversations.values():
        contact = state.contacts[conv["contact_id"]]
        if folder and conv["folder"] != folder:
            continue
        if search and search not in (contact["name"] or "").lower() \
                and search not in contact["phone"]:
            continue
        activity = state.activity(conv)
        if date_from is not None and activity < date_from:
            continue
        if date_to is not None and activity > date_to:
            continue
        items.append(conv)
    items.sort(key=state.activity, reverse=True)
    return _page(ctx, items, state.conversation_view, "/conversations")


def _conversation(ctx: Context, *, body: bool = False) -> dict[str, Any]:
    conv = _state(ctx).conversations.get(_required(ctx, "conversation_id", body=body))
    if conv is None:
        raise not_found("Conversation")
    return conv


def get_conversation(ctx: Context) -> Any:
    return {"data": _state(ctx).conversation_view(_conversation(ctx))}


def update_conversation(ctx: Context) -> Any:
    conv = _conversation(ctx, body=True)
    folder = ctx.body.get("folder")
    if folder not in ("open", "done"):
        raise invalid("The folder must be open or done.")
    conv["folder"] = folder
    return {"data": _state(ctx).conversation_view(conv)}


def list_messages(ctx: Context) -> Any:
    conv = _conversation(ctx)
    if "limit" in ctx.query:
        raise invalid("The limit parameter is not supported here.")
    messages = _state(ctx).messages.get(conv["id"], [])
    return _page(ctx, messages, SendbeeState.message_view, "/conversations/messages",
                 fixed=MESSAGES_PER_PAGE)


def list_templates(ctx: Context) -> Any:
    state = _state(ctx)
    status = ctx.query.get("status")
    if status and status not in ("pending", "approved", "rejected"):
        raise invalid("The status must be pending, approved or rejected.")
    search = (ctx.query.get("search_query") or "").strip().lower()
    items = [t for t in state.templates if (not status or t["status"] == status)
             and (not search or search in t["keyword"].lower() or search in t["text"].lower())]
    return _page(ctx, items, dict, "/conversations/messages/templates")


def _send_options(ctx: Context) -> tuple[bool, str | None]:
    body = ctx.body
    prevent = _bool(body["prevent_bot_off"], "prevent_bot_off") \
        if body.get("prevent_bot_off") is not None else False
    if body.get("live_inbox") is not None:
        _bool(body["live_inbox"], "live_inbox")
    agent_id = body.get("agent_id")
    if agent_id is not None and agent_id not in _state(ctx).members:
        raise invalid("The agent_id is not a member of this business.")
    return prevent, agent_id


def _sent(conv: dict[str, Any], message: dict[str, Any], prevent: bool) -> Any:
    if not prevent:
        conv["chatbot_active"] = False
    return {"data": {"id": conv["id"], "conversation_id": conv["id"],
                     "message_id": message["id"],
                     "message_reference_id": f"wamid.{message['id'].replace('-', '')}",
                     "status": message["status"]}}


def send_message(ctx: Context) -> Any:
    state = _state(ctx)
    body = ctx.body
    phone = state.check_phone(body.get("phone"))
    text, media_url = body.get("text"), body.get("media_url")
    if not (isinstance(text, str) and text.strip()) and not media_url:
        raise invalid("The text field is required when media_url is not present.")
    prevent, agent_id = _send_options(ctx)
    contact = _contact_by_phone(state, phone)
    conv = state.conversations.get(state.by_contact.get(contact["id"], "")) if contact else None
    if contact is None or conv is None or not state.in_window(conv):
        raise SimError(400, "messaging_window_closed",
                       "This contact has not written in the last 24 hours: only a message "
                       "template can be sent.")
    message = state.add_message(conv, body=text if isinstance(text, str) else None,
                                direction="outbound", media_url=media_url,
                                media_type="file" if media_url else None, agent_id=agent_id)
    state.emit("message.sent", "message", state.message_view(message))
    return _sent(conv, message, prevent)


def send_template(ctx: Context) -> Any:
    state = _state(ctx)
    body = ctx.body
    phone = state.check_phone(body.get("phone"))
    keyword = _required(ctx, "template_keyword", body=True)
    language = _required(ctx, "language", body=True)
    template = state.template(keyword, language)
    if template is None:
        raise not_found(f"Message template '{keyword}' ({language})")
    if template["status"] != "approved":
        raise invalid(f"Message template '{keyword}' is {template['status']}, not approved.")
    tags = body.get("tags") or {}
    if not isinstance(tags, dict):
        raise invalid("The tags must be an object of placeholder values.")
    missing = [p for p in state.placeholders(template["text"]) if p not in tags]
    if missing:
        raise invalid(f"Missing template tags: {', '.join(missing)}.")
    if body.get("attachment") and not template["attachment"]:
        raise invalid(f"Message template '{keyword}' takes no attachment.")
    prevent, agent_id = _send_options(ctx)
    contact = _contact_by_phone(state, phone)
    if contact is None:
        contact = state.add_contact(phone)
        state.emit("contact.created", "contact", state.contact_view(contact))
    conv = state.conversation_for(contact)
    message = state.add_message(conv, body=state.render(template, tags), direction="outbound",
                                media_url=body.get("attachment"),
                                media_type=template["attachment"], agent_id=agent_id)
    state.emit("message.sent", "message", state.message_view(message))
    return _sent(conv, message, prevent)


# ---------------------------------------------------------------------- teams, automation
def list_teams(ctx: Context) -> Any:
    state = _state(ctx)
    member = ctx.query.get("member_id")
    items = [t for t in state.teams.values() if not member or member in t["member_ids"]]
    return _page(ctx, items, state.team_view, "/teams/teams")


def list_members(ctx: Context) -> Any:
    state = _state(ctx)
    team_id = ctx.query.get("team_id")
    if team_id and team_id not in state.teams:
        raise not_found("Team")
    items = [m for m in state.members.values()
             if not team_id or m["id"] in state.teams[team_id]["member_ids"]]
    return {"data": [state.member_view(m) for m in items]}


def set_chatbot(ctx: Context) -> Any:
    conv = _conversation(ctx, body=True)
    if "active" not in ctx.body:
        raise invalid("The active field is required.")
    conv["chatbot_active"] = _bool(ctx.body["active"], "active")
    state = "on" if conv["chatbot_active"] else "off"
    return {"data": {"message": f"Chatbot turned {state} for the conversation."}}


def chatbot_status(ctx: Context) -> Any:
    conv = _conversation(ctx)
    return {"data": {"conversation_id": conv["id"], "chatbot_active": conv["chatbot_active"]}}


def rate_limit_request_test(ctx: Context) -> Any:
    return {"data": {"detail": "Request went through", "error": False, "type": "ok",
                     "at": fmt_time(_state(ctx).now())}}

"""Sendbee's fuzz table. Sendbee's routes hold no ids: they travel in the query string (GET)
or the JSON body, so a hostile id must stay that parameter's value on the fixed route."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chatmodels import sendbee

from .table import Probe, Provider, Route


def _discover(api: Any) -> Mapping[str, Any]:
    contact = api.Contact.all().first()
    template = next(t for t in api.MessageTemplate.all(status="approved")
                    if not t.attachment)
    return {"conversation": api.Conversation.all().first().id, "phone": contact.phone,
            "template": template.keyword, "language": template.language,
            "tags": {str(t["name"] if isinstance(t, dict) else t): "x"
                     for t in template.tags or []}}


def _send_template(api: Any, ids: Mapping[str, Any]) -> Any:
    return api.Message.send_template(ids.get("phone", PHONE), ids.get("template", "welcome"),
                                     language=ids.get("language", "en"), tags=ids.get("tags"))


PHONE = "+15550100"

PROVIDER = Provider(
    name="sendbee",
    module=sendbee,
    credentials={"api_key": "fuzz-key", "api_secret": "fuzz-secret"},
    discover=_discover,
    error_seeds=frozenset({"message_create"}),  # outside the 24-hour window: an error answer
    ops={
        "contact_list": lambda api, ids: api.Contact.all().limit(3).to_list(),
        "contact_find": lambda api, ids: api.Contact.find(phone=ids.get("phone", PHONE)),
        "contact_create": lambda api, ids: api.Contact.create(phone=PHONE, name="Fuzz"),
        "tag_list": lambda api, ids: api.Tag.all().limit(3).to_list(),
        "tag_create": lambda api, ids: api.Tag.create(name="vip"),
        "field_list": lambda api, ids: api.ContactField.all().limit(3).to_list(),
        "conversation_list": lambda api, ids: api.Conversation.all().limit(2).to_list(),
        "conversation_find": lambda api, ids: api.Conversation.find(
            id=ids.get("conversation", "c1")),
        "message_list": lambda api, ids: api.Message.all(
            conversation=ids.get("conversation", "c1")).to_list(),
        "message_create": lambda api, ids: api.Message.send(PHONE, text="hi"),
        "template_message_create": _send_template,
        "template_list": lambda api, ids: api.MessageTemplate.all().limit(3).to_list(),
        "agent_list": lambda api, ids: api.Agent.all().to_list(),
        "team_list": lambda api, ids: api.Team.all().limit(3).to_list(),
    },
    probes=(
        Probe("conversation_find", lambda api, v: api.Conversation.find(id=v),
              Route("/conversation", query="conversation_id", method="GET")),
        Probe("message_list", lambda api, v: api.Message.all(conversation=v).first(),
              Route("/conversations/messages", query="conversation_id", method="GET")),
        Probe("bot_status", lambda api, v: api.Bot.status(v),
              Route("/automation/chatbot/activity/status", query="conversation_id")),
        Probe("contact_find", lambda api, v: api.Contact.find(phone=v),
              Route("/contacts", query="search_query", method="GET")),
        Probe("tag_delete", lambda api, v: api.Tag.ref(v).delete(),
              Route("/contacts/tags", body="id", method="DELETE")),
        Probe("conversation_close", lambda api, v: api.Conversation.ref(v).close(),
              Route("/conversation", body="conversation_id", method="POST")),
    ),
)

"""LiveChat's fuzz table. Every call is ``POST /v3.6/<api>/action/<action>`` with the ids in
the JSON body: a hostile id must stay a body value of the declared action."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chatmodels import livechat

from .table import Probe, Provider, Route


def _discover(api: Any) -> Mapping[str, Any]:
    chat = api.Conversation.all().first()
    customer = next(u["id"] for u in chat.users if u.get("type") == "customer")
    active = next(c for c in api.Conversation.all() if c.state == "open")
    return {"chat": chat.id, "active_chat": active.id, "customer": customer, "agent": api.Agent.all().first().id,
            "team": api.Team.all().first().id}


def agent(action: str, body: str) -> Route:
    return Route(f"/v3.6/agent/action/{action}", body=body, method="POST")


def config(action: str, body: str) -> Route:
    return Route(f"/v3.6/configuration/action/{action}", body=body, method="POST")


PROVIDER = Provider(
    name="livechat",
    module=livechat,
    credentials={"account_id": "fuzz-account", "token": "fuzz-token"},
    discover=_discover,
    ops={
        "contact_list": lambda api, ids: api.Contact.all().limit(3).to_list(),
        "contact_find": lambda api, ids: api.Contact.find(id=ids.get("customer", "c1")),
        "contact_create": lambda api, ids: api.Contact.create(email="fuzz@example.com",
                                                              name="Fuzz"),
        "conversation_list": lambda api, ids: api.Conversation.all().limit(2).to_list(),
        "conversation_archived": lambda api, ids: api.Conversation.archived().limit(2).to_list(),
        "conversation_find": lambda api, ids: api.Conversation.find(id=ids.get("chat", "c1")),
        "thread_list": lambda api, ids: api.Conversation.ref(ids.get("chat", "c1")).threads(
        ).limit(2).to_list(),
        "message_list": lambda api, ids: api.Conversation.ref(ids.get("chat", "c1")).messages,
        "message_create": lambda api, ids: api.Conversation.ref(
            ids.get("active_chat", "c1")).reply(
            "hello"),
        "agent_list": lambda api, ids: api.Agent.all().to_list(),
        "agent_find": lambda api, ids: api.Agent.find(id=ids.get("agent", "a@example.com")),
        "agent_create": lambda api, ids: api.Agent.create(email="fuzz@example.com", name="Fz"),
        "team_list": lambda api, ids: api.Team.all().to_list(),
        "team_find": lambda api, ids: api.Team.find(id=ids.get("team", 0)),
        "team_create": lambda api, ids: api.Team.create(name="Fuzzers"),
        "tag_list": lambda api, ids: api.Tag.all().to_list(),
        "tag_create": lambda api, ids: api.Tag.create(name="vip"),
    },
    probes=(
        Probe("contact_load", lambda api, v: api.Contact.ref(v).load(),
              agent("get_customer", "id")),
        Probe("contact_ban", lambda api, v: api.Contact.ref(v).ban(1),
              agent("ban_customer", "id")),
        Probe("conversation_find", lambda api, v: api.Conversation.find(id=v),
              agent("get_chat", "chat_id")),
        Probe("thread_list", lambda api, v: api.Conversation.ref(v).threads().first(),
              agent("list_threads", "chat_id")),
        Probe("reply", lambda api, v: api.Conversation.ref(v).reply("hi"),
              agent("send_event", "chat_id")),
        Probe("agent_find", lambda api, v: api.Agent.find(id=v), config("get_agent", "id")),
        Probe("agent_delete", lambda api, v: api.Agent.ref(v).delete(),
              config("delete_agent", "id")),
        Probe("team_find", lambda api, v: api.Team.find(id=v), config("get_group", "id")),
        Probe("tag_delete", lambda api, v: api.Tag.ref(v).delete(),
              config("delete_tag", "name")),
    ),
)

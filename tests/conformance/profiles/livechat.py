"""LiveChat (Agent Chat and Configuration API v3.6): an RPC API. Every call is ``POST
/v3.6/agent/action/<action>`` or ``POST /v3.6/configuration/action/<action>`` with the ids in
the JSON body, so the exact writes are those paths and bodies, and a request reads when its
action is a ``get_*`` or ``list_*``.

Roles: chats (``Conversation``, ``list_chats``: ``page_id`` paging) are paged, but they are
started and closed, not created or deleted; customers (``Contact``) are found, loaded and
created (``create_customer``) but cannot be deleted, and are listed from the archives, so a new
customer is listed once a chat of theirs exists; agents are deleted.
"""

from __future__ import annotations

import base64
from typing import Any

from .base import Case, Edit, Profile
from .base import first as _first

AGENT = "/v3.6/agent/action/"
CONFIGURATION = "/v3.6/configuration/action/"


def _is_read(method: str, path: str) -> bool:
    return path.rsplit("/", 1)[-1].startswith(("get_", "list_"))


def _contact(n: int) -> dict[str, Any]:
    return {"email": f"kit-{n}@example.com", "name": f"Kit Person {n}"}


def _contact_edit(obj: Any) -> None:
    obj.name = "Renamed Person"
    obj.custom_attributes["plan"] = "kit-plan"


def _secrets(sim: Any) -> list[str]:
    account, token = sim.credentials["account_id"], sim.credentials["token"]
    return [token, base64.b64encode(f"{account}:{token}".encode()).decode()]


LIVECHAT = Profile(
    name="livechat",
    seed=42,
    counts={"chats": 45, "customers": 20},
    prefix=lambda sim: "",
    bad_credentials=lambda sim: {**sim.credentials, "token": "dal:" + "x" * 32},
    secrets=_secrets,
    is_read=_is_read,
    paged="Conversation",
    page_size=10,
    state_ids=lambda sim: set(sim.state.chats),
    list_path=AGENT + "list_chats",
    list_method="POST",
    record="Contact",
    record_ids=lambda sim: set(sim.state.customers),
    missing_id="00000000-0000-4000-8000-000000000000",
    partial_field="email",
    instance_path=lambda id: AGENT + "get_customer",
    instance_method="POST",
    create_path=AGENT + "create_customer",
    new_contact=_contact,
    deleted="Agent",
    deleted_ids=lambda sim: set(sim.state.agents),
    delete_request=lambda id: ("POST", CONFIGURATION + "delete_agent"),
    # session fields are one-key objects: the client sends what it is given, the server refuses
    server_invalid=lambda api: api.Contact.create(name="Kit Invalid",
                                                  session_fields=[{"a": 1, "b": 2}]),
    invalid_status=400,
    holds_contact_tags=False,
    lists_every_contact=False,
    cases=(
        Case("Contact",
             new=lambda api, owner: _contact(1),
             expect={"email": "kit-1@example.com", "name": "Kit Person 1"},
             # Contact.all() walks the archives: a customer is listed once they have a chat
             listed=lambda api, obj: api.Conversation.start(customer=obj,
                                                            text="Hello from the kit"),
             edit=_contact_edit,
             # custom_attributes are the session fields, saved whole (LiveChat replaces them)
             changes={"name": "Renamed Person", "session_fields": [{"plan": "kit-plan"}]},
             sends=lambda obj: [("POST", AGENT + "update_customer", {
                 "id": obj.id, "name": "Renamed Person",
                 "session_fields": [{"plan": "kit-plan"}]})],
             then=(Edit(lambda obj: obj.custom_attributes.pop("plan"),
                        {"session_fields": []},
                        lambda obj: [("POST", AGENT + "update_customer",
                                      {"id": obj.id, "session_fields": []})]),)),
        Case("Conversation", existing=lambda api, owner: _first(api.Conversation.all())),
        Case("Agent",
             new=lambda api, owner: {"email": "kit-agent@example.com", "name": "Kit Agent"},
             expect={"email": "kit-agent@example.com", "name": "Kit Agent"},
             edit=lambda obj: setattr(obj, "job_title", "Kit Lead"),
             changes={"job_title": "Kit Lead"},
             sends=lambda obj: [("POST", CONFIGURATION + "update_agent",
                                 {"id": "kit-agent@example.com", "job_title": "Kit Lead"})]),
        Case("Team",
             new=lambda api, owner: {"name": "Kit Team"},
             expect={"name": "Kit Team"},
             edit=lambda obj: setattr(obj, "name", "Kit Team Renamed"),
             changes={"name": "Kit Team Renamed"},
             # group ids are numbers on the wire
             sends=lambda obj: [("POST", CONFIGURATION + "update_group",
                                 {"id": obj.id, "name": "Kit Team Renamed"})]),
        Case("Tag",
             new=lambda api, owner: {"name": "kit-tag", "team": 0},
             expect={"name": "kit-tag", "group_ids": [0]},
             edit=lambda obj: setattr(obj, "group_ids", [0, 1]),
             changes={"group_ids": [0, 1]},
             # a tag's name is its id: only its groups change
             sends=lambda obj: [("POST", CONFIGURATION + "update_tag",
                                 {"name": "kit-tag", "group_ids": [0, 1]})]),
        # properties are registered (register_property), not created: the kit registers one
        # and reads it back through all()
        Case("Property",
             owner=lambda api: {"owner_client_id": "kit-client-id"},
             existing=lambda api, owner: api.Property.register(
                 "kit_score", type="int", access={"chat": {"agent": ["read", "write"]}},
                 **owner)),
        # webhooks are registered per Client Id (register_webhook) and read back through all()
        Case("Webhook",
             owner=lambda api: {"owner_client_id": "kit-client-id"},
             new=lambda api, owner: {"url": "https://example.com/kit-hook",
                                     "action": "incoming_chat", "secret_key": "kit-secret"},
             expect={"url": "https://example.com/kit-hook", "action": "incoming_chat"}),
    ),
    skipped_classes={
        "Thread": "a thread of a chat (chat.threads()): no find, list or save of its own",
        "Message": "a chat event: sent by chat.reply()/send_event(), read through "
                   "chat.messages; no find, list or save of its own"},
)

#: migration pairs this provider adds to the round-trip suite (see ``MIGRATIONS``)
PAIRS: tuple[tuple[str, str], ...] = (("livechat", "intercom"), ("crisp", "livechat"),
                                      ("intercom", "livechat"))

"""In-memory backend of the LiveChat simulator: one license, its agents, groups, tags,
customers, chats (threads, events) and properties, plus the ``page_id`` store.

Records are plain dicts shaped like the v3.6 payloads; the ``*_view`` functions build the JSON
answered (always copies, so an answer never aliases the state).
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import random
import string
import time
from typing import Any

UTC = dt.timezone.utc
ID_CHARS = string.ascii_uppercase + string.digits


def rfc3339(moment: dt.datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse(value: str) -> dt.datetime:
    parsed = dt.datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class LiveChatState:
    """Everything the simulated license knows."""

    def __init__(self) -> None:
        self.license_id = 0
        #: the simulator's file store (set before seeding; seeded files live there)
        self.files: Any = None
        #: the agent the token belongs to (the requester)
        self.me: str = ""
        self.agents: dict[str, dict[str, Any]] = {}
        self.groups: dict[int, dict[str, Any]] = {}
        self.tags: dict[str, dict[str, Any]] = {}
        self.customers: dict[str, dict[str, Any]] = {}
        #: chat id -> {id, users: [user ids], properties, access, followers, thread_ids}
        self.chats: dict[str, dict[str, Any]] = {}
        #: thread id -> {id, chat_id, active, user_ids, events, properties, access, tags, ...}
        self.threads: dict[str, dict[str, Any]] = {}
        self.routing: dict[str, str] = {}
        #: owner client id -> property name -> definition
        self.properties: dict[str, dict[str, dict[str, Any]]] = {}
        self.license_properties: dict[str, dict[str, Any]] = {}
        self.group_properties: dict[int, dict[str, dict[str, Any]]] = {}
        self.bans: list[dict[str, Any]] = []
        #: webhook id -> registration (``secret_key`` included, never listed)
        self.webhooks: dict[str, dict[str, Any]] = {}
        self.uploads: list[str] = []
        #: page_id -> {"action", "ids", "offset", "limit", "created", "scope"}
        self.pages: dict[str, dict[str, Any]] = {}
        self._clock = dt.datetime(2024, 1, 1, tzinfo=UTC)
        self._counter = 0

    # -- ids and time -------------------------------------------------------------------
    def new_id(self, rng: random.Random | None = None, length: int = 10) -> str:
        r = rng or random
        while True:
            value = "".join(r.choice(ID_CHARS) for _ in range(length))
            if value not in self.chats and value not in self.threads:
                return value

    def now(self) -> str:
        """A strictly increasing wall-clock time (RFC 3339, microseconds)."""
        moment = max(dt.datetime.now(UTC), self._clock + dt.timedelta(microseconds=1))
        self._clock = moment
        return rfc3339(moment)

    def page_token(self, record: dict[str, Any]) -> str:
        self._counter += 1
        token = base64.b64encode(f"{self._counter}:{time.time_ns()}".encode()).decode()
        record["created"] = time.time()
        self.pages[token] = record
        return token

    # -- lookups ------------------------------------------------------------------------
    def latest_thread(self, chat: dict[str, Any]) -> dict[str, Any] | None:
        ids = chat["thread_ids"]
        return self.threads[ids[-1]] if ids else None

    def active_thread(self, chat: dict[str, Any]) -> dict[str, Any] | None:
        thread = self.latest_thread(chat)
        return thread if thread is not None and thread["active"] else None

    def user_type(self, user_id: str) -> str | None:
        if user_id in self.customers:
            return "customer"
        if user_id in self.agents:
            return "agent"
        return None


# -- views ------------------------------------------------------------------------------------
def agent_user_view(agent: dict[str, Any], present: bool = True) -> dict[str, Any]:
    return {"id": agent["id"], "name": agent["name"], "email": agent["id"], "type": "agent",
            "present": present, "avatar": agent.get("avatar_path"), "visibility": "all"}


CUSTOMER_KEYS = ("id", "type", "name", "email", "email_verified", "avatar", "phone_number",
                 "session_fields", "address", "omnichannel", "visit", "statistics",
                 "created_at", "agent_last_event_created_at", "customer_last_event_created_at")


def customer_view(customer: dict[str, Any], state: LiveChatState) -> dict[str, Any]:
    out = {k: copy.deepcopy(customer[k]) for k in CUSTOMER_KEYS if k in customer}
    chat_ids = [c for c in customer.get("chat_ids", [])]
    if chat_ids:
        out["chat_ids"] = chat_ids
    return out


def customer_user_view(customer: dict[str, Any]) -> dict[str, Any]:
    out = {k: customer[k] for k in ("id", "name", "email", "avatar") if customer.get(k)}
    out.update(type="customer", present=True, created_at=customer["created_at"])
    out["statistics"] = {"chats_count": len(customer.get("chat_ids", []))}
    return out


def users_view(state: LiveChatState, chat: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for user_id in chat["users"]:
        if user_id in state.customers:
            out.append(customer_user_view(state.customers[user_id]))
        elif user_id in state.agents:
            out.append(agent_user_view(state.agents[user_id]))
    return out


THREAD_KEYS = ("id", "active", "user_ids", "properties", "access", "tags", "created_at",
               "previous_thread_id", "next_thread_id")


def thread_view(thread: dict[str, Any], *, events: bool = True) -> dict[str, Any]:
    out = {k: copy.deepcopy(thread[k]) for k in THREAD_KEYS if thread.get(k) is not None}
    if events:
        out["events"] = copy.deepcopy(thread["events"])
    return out


def chat_view(state: LiveChatState, chat: dict[str, Any],
              thread: dict[str, Any] | None) -> dict[str, Any]:
    out: dict[str, Any] = {"id": chat["id"]}
    if thread is not None:
        out["thread"] = thread_view(thread)
    out["users"] = users_view(state, chat)
    out["properties"] = copy.deepcopy(chat["properties"])
    out["access"] = copy.deepcopy(chat["access"])
    out["is_followed"] = state.me in chat["followers"]
    return out


def summary_view(state: LiveChatState, chat: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"id": chat["id"]}
    thread = state.latest_thread(chat)
    last: dict[str, Any] = {}
    for thread_id in chat["thread_ids"]:
        candidate = state.threads[thread_id]
        for event in candidate["events"]:
            last[event["type"]] = {"thread_id": thread_id,
                                   "thread_created_at": candidate["created_at"],
                                   "event": copy.deepcopy(event)}
    if thread is not None:
        out["last_thread_summary"] = thread_view(thread, events=False)
    out["users"] = users_view(state, chat)
    out["last_event_per_type"] = last
    out["properties"] = copy.deepcopy(chat["properties"])
    out["access"] = copy.deepcopy(chat["access"])
    out["is_followed"] = state.me in chat["followers"]
    return out


AGENT_BASE = ("id", "account_id", "name", "role", "avatar_path", "login_status")


def agent_view(agent: dict[str, Any], fields: list[str]) -> dict[str, Any]:
    out = {k: agent[k] for k in AGENT_BASE if agent.get(k) is not None}
    for name in fields:
        if agent.get(name) is not None:
            out[name] = copy.deepcopy(agent[name])
    return out


def group_view(group: dict[str, Any], fields: list[str]) -> dict[str, Any]:
    out = {k: group[k] for k in ("id", "name", "language_code")}
    for name in fields:
        if name in group:
            out[name] = copy.deepcopy(group[name])
    return out


def tag_view(tag: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(tag)

"""Deterministic, realistic seeding: groups, agents, tags, customers and chats with threads of
messages (plus a pre-chat form, a file, a rich message or a system message now and then)."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from typing import Any

from ..files import seed_file
from .models import UTC, LiveChatState, rfc3339

GROUPS = ["General", "Sales", "Support", "Billing"]
AGENTS = [("Agent Smith", "owner"), ("Jones Brown", "viceowner"), ("Maria Lopez",
          "administrator"), ("Kenji Sato", "normal"), ("Ada Okafor", "normal")]
TAGS = ["support", "sales", "complaint", "spam", "positive feedback", "refund"]
#: the ids of the docs' examples: the first seeded customer and chat use them
EXAMPLE_CUSTOMER, EXAMPLE_CHAT = "b7eff798-f8df-4364-8059-649c35c9ed0c", "PJ0MRSHTDG"
FIRST = ["Thomas", "Anna", "Liam", "Zoe", "Ivan", "Mei", "Omar", "Sara", "Noah", "Ines"]
LAST = ["Anderson", "Kowalski", "Nguyen", "Garcia", "Muller", "Rossi", "Smith", "Dubois"]
CITIES = [("Poland", "PL", "Wroclaw"), ("Germany", "DE", "Berlin"), ("France", "FR", "Paris"),
          ("United States", "US", "Boston"), ("Japan", "JP", "Osaka")]
QUESTIONS = ["Hi, I was charged twice, can I get a refund?", "How do I change my plan?",
             "Is there an API for exports?", "My order has not arrived yet.",
             "Can I add a second seat?", "The widget does not load on Safari."]
ANSWERS = ["Sure, let me check that for you.", "Thanks for reaching out!",
           "I have refunded the duplicate charge.", "You can do it from Settings > Billing.",
           "Could you send me your order number?", "Anything else I can help with?"]


def populate(state: LiveChatState, rng: random.Random, *, chats: int = 0,
             customers: int = 0, **_others: Any) -> None:
    if not state.groups:
        _configuration(state, rng)
    new_customers = [_customer(state, rng) for _ in range(customers)]
    pool = new_customers or list(state.customers) or [_customer(state, rng)]
    for _ in range(chats):
        example = not state.chats
        _chat(state, rng, pool[0] if example else rng.choice(pool), example=example)


def _configuration(state: LiveChatState, rng: random.Random) -> None:
    state.license_id = 10000000 + rng.randrange(9000000)
    for index, name in enumerate(GROUPS):
        state.groups[index] = {"id": index, "name": name, "language_code": "en",
                               "agent_priorities": {}, "routing_status": "offline"}
    for index, (name, role) in enumerate(AGENTS):
        agent_id = f"{name.split()[0].lower()}@example.com"
        groups = [0] + ([1 + index % 3] if index else [])
        state.agents[agent_id] = {
            "id": agent_id, "account_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "name": name, "role": role, "avatar_path": f"cdn.livechatinc.com/avatars/{index}.png",
            "job_title": "Support Hero", "max_chats_count": 6, "suspended": False,
            "awaiting_approval": False, "login_status": "accepting chats",
            "groups": [{"id": g, "priority": "normal"} for g in groups],
            "summaries": ["weekly_summary"]}
        for g in groups:
            state.groups[g]["agent_priorities"][agent_id] = "normal"
        state.routing[agent_id] = "accepting_chats" if index < 3 else "not_accepting_chats"
    state.me = next(iter(state.agents))
    for name in TAGS:
        state.tags[name] = {"name": name, "group_ids": [0], "author_id": "",
                            "created_at": "2023-11-13T15:37:36.000000Z"}


def _tick(state: LiveChatState, rng: random.Random, seconds: int) -> str:
    state._clock += dt.timedelta(seconds=rng.randrange(1, seconds), microseconds=rng.randrange(
        1000000))
    return rfc3339(state._clock)


def _customer(state: LiveChatState, rng: random.Random) -> str:
    customer_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    first, last = rng.choice(FIRST), rng.choice(LAST)
    if not state.customers:
        customer_id, first, last = EXAMPLE_CUSTOMER, "Thomas", "Anderson"
    country, code, city = rng.choice(CITIES)
    created = _tick(state, rng, 600)
    record: dict[str, Any] = {
        "id": customer_id, "type": "customer", "name": f"{first} {last}",
        "email": f"{first.lower()}.{last.lower()}{len(state.customers)}@example.com",
        "email_verified": rng.random() < 0.5, "created_at": created,
        "session_fields": [{"plan": rng.choice(["free", "pro", "enterprise"])}],
        "visit": {"started_at": created, "ended_at": created, "referrer": "https://www.google.com/",
                  "ip": f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}",
                  "user_agent": "Mozilla/5.0",
                  "geolocation": {"country": country, "country_code": code, "city": city}},
        "statistics": {"chats_count": 0, "threads_count": 0, "visits_count": 1},
        "chat_ids": []}
    if rng.random() < 0.3:
        record["phone_number"] = f"+1800{rng.randrange(1000000, 9999999)}"
    state.customers[customer_id] = record
    return customer_id


def _event(thread: dict[str, Any], kind: str, author: str | None, created: str,
           **fields: Any) -> None:
    event = {"id": f"{thread['id']}_{len(thread['events']) + 1}", "created_at": created,
             "visibility": "all", "type": kind, **fields}
    if author:
        event["author_id"] = author
    thread["events"].append(event)


def _chat(state: LiveChatState, rng: random.Random, customer_id: str, *,
          example: bool = False) -> None:
    """A chat of 1-3 threads; the ``example`` chat (the docs' id) is still open and its
    customer asked for a refund."""
    agents = list(state.agents)
    agent_id = rng.choice(agents)
    group = rng.choice([g["id"] for g in state.agents[agent_id]["groups"]])
    chat: dict[str, Any] = {"id": EXAMPLE_CHAT if example else state.new_id(rng), "users": [customer_id, agent_id], "properties": {},
            "access": {"group_ids": [group]}, "followers": set(), "thread_ids": []}
    state.chats[chat["id"]] = chat
    customer = state.customers[customer_id]
    customer["chat_ids"].append(chat["id"])
    customer["statistics"]["chats_count"] += 1
    threads = rng.choice((1, 1, 2, 3))
    for number in range(threads):
        thread: dict[str, Any] = {"id": state.new_id(rng), "chat_id": chat["id"], "active": False,
                  "user_ids": [customer_id, agent_id], "events": [], "properties": {},
                  "access": {"group_ids": [group]}, "tags": [],
                  "created_at": _tick(state, rng, 900)}
        if chat["thread_ids"]:
            previous = state.threads[chat["thread_ids"][-1]]
            previous["next_thread_id"] = thread["id"]
            thread["previous_thread_id"] = previous["id"]
        state.threads[thread["id"]] = thread
        chat["thread_ids"].append(thread["id"])
        customer["statistics"]["threads_count"] += 1
        if rng.random() < 0.25:
            _event(thread, "filled_form", customer_id, _tick(state, rng, 5), form_id="1002",
                   form_type="prechat",
                   fields=[{"id": "10021", "type": "name", "label": "Name:",
                            "answer": customer["name"]},
                           {"id": "10022", "type": "email", "label": "E-mail:",
                            "answer": customer["email"]}])
        for turn in range(rng.randrange(1, 4)):
            _event(thread, "message", customer_id, _tick(state, rng, 120),
                   text=QUESTIONS[0] if example and not turn else rng.choice(QUESTIONS))
            _event(thread, "message", agent_id, _tick(state, rng, 120),
                   text=rng.choice(ANSWERS))
        roll = rng.random()
        if roll < 0.1:
            at, size = _tick(state, rng, 60), rng.randrange(1000, 90000)
            url = seed_file(state.files, f"{thread['id']}/receipt.png", "receipt.png",
                            "image/png", size, fallback="https://cdn.livechat-files.com/api/"
                                                        "file/lc/att/receipt.png")
            _event(thread, "file", customer_id, at, name="receipt.png", url=url,
                   content_type="image/png", size=size, width=640, height=480)
        elif roll < 0.15:
            _event(thread, "rich_message", agent_id, _tick(state, rng, 60),
                   template_id="quick_replies",
                   elements=[{"title": "Was this helpful?",
                              "buttons": [{"text": "yes", "postback_id": "action_yes",
                                           "user_ids": []}]}])
        if rng.random() < 0.4:
            thread["tags"].append(rng.choice(list(state.tags)))
        last = number == threads - 1
        if last and (example or rng.random() < 0.3):
            thread["active"] = True
        else:
            _event(thread, "system_message", None, _tick(state, rng, 60),
                   text=f"{state.agents[agent_id]['name']} archived the chat",
                   system_message_type="manual_archived_agent",
                   text_vars={"agent": state.agents[agent_id]["name"]})
    # seeding walks a fake clock; live actions continue after it
    state._clock = max(state._clock, dt.datetime(2024, 1, 1, tzinfo=UTC))

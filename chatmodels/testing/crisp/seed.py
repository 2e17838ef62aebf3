"""Deterministic, realistic data for the Crisp simulator (``random.Random`` only, no Faker).

:func:`populate` adds data to a :class:`~chatmodels.testing.crisp.models.CrispState`. The first
call creates the website and its operators; later calls (``sim.seed(contacts=...)``) only add
what they are asked for. Every value derives from the ``rng`` handed in, so a given seed always
yields the same state. Timestamps are epoch milliseconds between 2024-01-01 and mid-2025.
"""

from __future__ import annotations

import random
from typing import Any

from ..files import seed_file
from .models import CrispState, empty_meta, new_uuid

__all__ = ["EPOCH_MS", "populate", "DEFAULT_SEGMENTS", "DATA_KEYS"]

#: 2024-01-01T00:00:00Z in milliseconds: seeded timestamps start here.
EPOCH_MS = 1_704_067_200_000
_SPAN_MS = 540 * 24 * 3600 * 1000  # ~18 months
_MINUTE = 60_000

FIRST_NAMES = (
    "Emma", "Liam", "Olivia", "Noah", "Ava", "Lucas", "Mia", "Ethan", "Sofia", "Mateo",
    "Chloe", "Hugo", "Léa", "Jules", "Amara", "Kenji", "Yuki", "Priya", "Arjun", "Zara",
    "Omar", "Fatima", "Lars", "Ingrid", "Diego", "Camila", "Tomás", "Nina", "Felix", "Hannah",
    "Malik", "Aisha", "Oscar", "Elena", "Marco", "Giulia", "Sven", "Freya", "Mohamed", "Leila",
)
LAST_NAMES = (
    "Martin", "Bernard", "Dubois", "Smith", "Johnson", "Garcia", "Müller", "Schmidt", "Rossi",
    "Bianchi", "Tanaka", "Sato", "Kowalski", "Nowak", "Silva", "Santos", "Patel", "Khan",
    "Nguyen", "Kim", "Lee", "Andersson", "Johansson", "O'Brien", "Murphy", "Dupont", "Lefèvre",
    "Fischer", "Weber", "Costa", "Moreau", "Laurent", "Haddad", "Okafor", "Mensah", "Novak",
)
COMPANIES = (
    ("Acme Corp", "acme.com"), ("Globex", "globex.io"), ("Initech", "initech.net"),
    ("Umbrella Labs", "umbrella-labs.com"), ("Hooli", "hooli.xyz"), ("Stark Industries", "stark.co"),
    ("Wayne Enterprises", "wayne.example"), ("Soylent", "soylent.org"), ("Vandelay", "vandelay.io"),
    ("Pied Piper", "piedpiper.com"), ("Cyberdyne", "cyberdyne.ai"), ("Tyrell", "tyrell.tech"),
    ("Monarch Solutions", "monarch.solutions"), ("Blue Sun", "bluesun.space"),
)
FREE_MAIL = ("gmail.com", "outlook.com", "yahoo.fr", "proton.me", "icloud.com", "gmx.de")
PLACES = (
    ("FR", "Île-de-France", "Paris", 48.8566, 2.3522, 3600),
    ("FR", "Auvergne-Rhône-Alpes", "Lyon", 45.764, 4.8357, 3600),
    ("DE", "Berlin", "Berlin", 52.52, 13.405, 3600),
    ("GB", "England", "London", 51.5074, -0.1278, 0),
    ("US", "California", "San Francisco", 37.7749, -122.4194, -28800),
    ("US", "New York", "New York", 40.7128, -74.006, -18000),
    ("ES", "Madrid", "Madrid", 40.4168, -3.7038, 3600),
    ("JP", "Tokyo", "Tokyo", 35.6762, 139.6503, 32400),
    ("IN", "Karnataka", "Bengaluru", 12.9716, 77.5946, 19800),
    ("BR", "São Paulo", "São Paulo", -23.5505, -46.6333, -10800),
    ("CA", "Quebec", "Montreal", 45.5017, -73.5673, -18000),
    ("NL", "North Holland", "Amsterdam", 52.3676, 4.9041, 3600),
)
LOCALES = {"FR": "fr", "DE": "de", "GB": "en", "US": "en", "ES": "es", "JP": "ja", "IN": "en",
           "BR": "pt", "CA": "fr", "NL": "nl"}
JOB_TITLES = ("CTO", "Head of Support", "Product Manager", "Founder", "Developer", "Designer",
              "Marketing Lead", "Customer Success Manager", "Operations Manager", "Sales Rep")
DEFAULT_SEGMENTS = ("customer", "lead", "vip", "trial", "newsletter", "churn-risk", "enterprise",
                    "beta-tester")
PLANS = ("free", "starter", "pro", "business", "enterprise")
DATA_KEYS = ("plan", "seats", "signup", "mrr", "trial_ends", "verified")
EVENT_NAMES = (
    ("Signed up", "green"), ("Upgraded plan", "blue"), ("Added item to basket", "orange"),
    ("Invited teammate", "purple"), ("Exported data", "grey"), ("Payment failed", "red"),
    ("Opened newsletter", "yellow"), ("Cancelled subscription", "black"),
)
USER_OPENERS = (
    "Hi! I can't log into my account since this morning.",
    "Hello, how do I change the billing email on our workspace?",
    "Is there a way to export all our conversations to CSV?",
    "Hey there, the invoice for last month seems wrong.",
    "Can I upgrade to the annual plan and keep my discount?",
    "Your mobile app keeps crashing when I open a file.",
    "Do you offer a discount for non-profits?",
    "We'd like to add 5 more seats, what's the process?",
    "I never received the password reset email.",
    "How do I connect the integration with Slack?",
    "Bonjour, est-ce que vous avez une API pour les contacts ?",
    "Our webhook stopped firing yesterday around 3pm.",
)
OPERATOR_REPLIES = (
    "Hi! Thanks for reaching out, let me check that for you.",
    "Could you share the email address linked to your account?",
    "I've just sent you a new reset link, can you try again?",
    "Good news: this is now fixed on our side.",
    "Sure, I've updated it. Anything else I can help with?",
    "You can do it from Settings > Billing, here is a guide.",
    "I forwarded this to our engineering team, we'll keep you posted.",
    "Yes, the annual plan keeps your current discount.",
)
USER_FOLLOWUPS = (
    "Thanks, it works now!",
    "Sure, it's the one I'm writing from.",
    "Still not working unfortunately.",
    "Perfect, thank you very much.",
    "Ok, how long will it take?",
    "Great, that's all for today.",
)
NOTES = (
    "Customer is on the legacy plan, check with sales before offering a discount.",
    "Reproduced the bug on iOS 17, ticket opened.",
    "VIP account, answer within the hour.",
)
FILES = (
    ("screenshot.png", "image/png"), ("invoice-2024-11.pdf", "application/pdf"),
    ("export.csv", "text/csv"), ("error-log.txt", "text/plain"),
)
PAGES = (
    ("Pricing", "/pricing"), ("Home", "/"), ("Documentation", "/docs"), ("Blog", "/blog"),
    ("Login", "/login"), ("Integrations", "/integrations"),
)
USER_AGENTS = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
)


def _slug(text: str) -> str:
    table = str.maketrans("éèêëàâäîïôöùûüçñáíóúãõ", "eeeeaaaiioouuucnaiouao")
    out = text.lower().translate(table)
    return "".join(ch for ch in out if ch.isalnum())


def _ts(rng: random.Random) -> int:
    return EPOCH_MS + rng.randrange(_SPAN_MS)


def _avatar(kind: str, key: str) -> str:
    return f"https://avatars.example.com/{kind}/{key}.png"


def populate(state: CrispState, rng: random.Random, credentials: dict[str, Any],
             **counts: Any) -> None:
    """Add generated data to ``state`` (see module docstring for the counts)."""
    first_call = state.website is None
    if first_call:
        _make_website(state, rng, credentials)
    n_operators = counts.get("operators")
    if n_operators is None:
        n_operators = 4 if not state.operators else 0
    n_segments = counts.get("segments")
    if n_segments is None:
        n_segments = 5 if not state.segments else 0
    n_contacts = int(counts.get("contacts") or 0)
    n_conversations = counts.get("conversations")
    if n_conversations is None:
        n_conversations = n_contacts // 2
    n_visitors = counts.get("visitors")
    if n_visitors is None:
        n_visitors = 10 if first_call else 0

    _make_operators(state, rng, int(n_operators))
    _make_segments(state, rng, int(n_segments))
    new_people = [_make_person(state, rng) for _ in range(n_contacts)]
    pool = new_people or list(state.people.values())
    for _ in range(int(n_conversations)):
        person = rng.choice(pool) if pool else None
        _make_conversation(state, rng, person)
    for _ in range(int(n_visitors)):
        _make_visitor(state, rng)


# ---------------------------------------------------------------------- website / operators
def _make_website(state: CrispState, rng: random.Random, credentials: dict[str, Any]) -> None:
    name, domain = rng.choice(COMPANIES)
    state.website = {
        "website_id": credentials["website_id"],
        "name": name,
        "domain": domain,
        "logo": f"https://logos.example.com/{_slug(name)}.png",
    }


def _make_operators(state: CrispState, rng: random.Random, count: int) -> None:
    domain = state.website["domain"] if state.website else "example.com"
    for _ in range(count):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        user_id = new_uuid(rng)
        base = f"{_slug(first)}.{_slug(last)}"
        email = f"{base}@{domain}"
        taken = {op["email"] for op in state.operators.values()}
        suffix = 2
        while email in taken:
            email = f"{base}{suffix}@{domain}"
            suffix += 1
        role = "owner" if not state.operators else "member"
        state.operators[user_id] = {
            "user_id": user_id,
            "email": email,
            "avatar": _avatar("operator", user_id[:8]),
            "first_name": first,
            "last_name": last,
            "role": role,
            "title": "Founder" if role == "owner" else rng.choice(("Support", "Sales", "Success")),
            "availability": rng.choice(("online", "online", "away", "offline")),
            "has_token": False,
            "last_active": _ts(rng),
        }


def _make_segments(state: CrispState, rng: random.Random, count: int) -> None:
    available = [s for s in DEFAULT_SEGMENTS if s not in state.segments]
    rng.shuffle(available)
    for name in available[:count]:
        state.add_segment(name)
    extra = count - len(available)
    index = len(state.segments)
    while extra > 0:
        index += 1
        name = f"segment-{index}"
        if name not in state.segments:
            state.add_segment(name)
            extra -= 1


# ---------------------------------------------------------------------- people
def _unique_email(state: CrispState, local: str, domain: str) -> str:
    email = f"{local}@{domain}"
    suffix = 2
    while state.email_owner(email) is not None:
        email = f"{local}{suffix}@{domain}"
        suffix += 1
    return email


def _make_person(state: CrispState, rng: random.Random) -> dict[str, Any]:
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    with_company = rng.random() < 0.6
    company_name, company_domain = rng.choice(COMPANIES)
    domain = company_domain if with_company else rng.choice(FREE_MAIL)
    local = rng.choice((f"{_slug(first)}.{_slug(last)}", f"{_slug(first)[0]}{_slug(last)}",
                        f"{_slug(first)}{rng.randrange(10, 99)}"))
    email = _unique_email(state, local, domain)
    people_id = new_uuid(rng)
    created = _ts(rng)
    updated = min(created + rng.randrange(0, 90 * 24 * 3600 * 1000), EPOCH_MS + _SPAN_MS)
    country, region, city, lat, lon, tz = rng.choice(PLACES)
    segments = sorted(rng.sample(state.segments, k=min(len(state.segments), rng.randrange(0, 3))))
    person: dict[str, Any] = {
        "nickname": f"{first} {last}",
        "avatar": _avatar("people", people_id[:8]),
        "gender": rng.choice(("male", "female", "")),
        "phone": f"+33 6 {rng.randrange(10, 99)} {rng.randrange(10, 99)} "
                 f"{rng.randrange(10, 99)} {rng.randrange(10, 99)}" if rng.random() < 0.4 else "",
        "address": "",
        "description": "",
        "website": "",
        "timezone": tz // 60,
        "profiles": [],
        "employment": {},
        "geolocation": {"country": country, "region": region, "city": city,
                        "coordinates": {"latitude": lat, "longitude": lon}},
        "locales": [LOCALES[country]],
    }
    if rng.random() < 0.3:
        person["profiles"] = [{"type": "twitter", "handle": f"{_slug(first)}{_slug(last)}"}]
    company: dict[str, Any] = {}
    if with_company:
        person["employment"] = {"name": company_name, "domain": company_domain,
                                "title": rng.choice(JOB_TITLES), "role": "", "seniority": ""}
        company = {
            "name": company_name,
            "legal_name": f"{company_name} Inc.",
            "domain": company_domain,
            "url": f"https://{company_domain}",
            "description": "",
            "timezone": tz // 60,
            "phones": [],
            "emails": [f"contact@{company_domain}"],
            "geolocation": {"country": country, "region": region, "city": city,
                            "coordinates": {"latitude": lat, "longitude": lon}},
            "metrics": {"employees": rng.choice((5, 12, 40, 120, 800, 5000)), "market_cap": 0,
                        "raised": 0, "arr": 0},
            "tags": [],
        }
    profile = {
        "people_id": people_id,
        "email": email,
        "person": person,
        "company": company,
        "segments": segments,
        "notepad": "",
        "active": {"now": False, "last": updated},
        "score": rng.randrange(0, 100),
        "created_at": created,
        "updated_at": updated,
    }
    state.people[people_id] = profile

    plan = rng.choice(PLANS)
    data: dict[str, Any] = {"plan": plan, "seats": rng.choice((1, 1, 2, 3, 5, 10, 25, 50))}
    if rng.random() < 0.5:
        data["signup"] = rng.choice(("finished", "pending"))
    if plan != "free" and rng.random() < 0.5:
        data["mrr"] = rng.choice((9, 29, 49, 99, 299, 999))
    if rng.random() < 0.3:
        data["verified"] = rng.random() < 0.7
    state.people_data[people_id] = data
    state.subscriptions[people_id] = rng.random() < 0.85

    events: list[dict[str, Any]] = []
    ts = created
    for _ in range(rng.randrange(0, 4)):
        ts += rng.randrange(_MINUTE, 20 * 24 * 3600 * 1000)
        text, color = rng.choice(EVENT_NAMES)
        event_data: dict[str, Any] = {}
        if text == "Upgraded plan":
            event_data = {"plan": plan}
        elif text == "Added item to basket":
            event_data = {"price": rng.choice((9.99, 19.99, 49.0)), "currency": "EUR"}
        events.append({"text": text, "data": event_data, "color": color, "timestamp": ts})
    state.people_events[people_id] = events
    return profile


# ---------------------------------------------------------------------- conversations
def _message(state: CrispState, rng: random.Random, conv: dict[str, Any], kind: str,
             sender: str, content: Any, ts: int, operator: dict[str, Any] | None) -> dict[str, Any]:
    if sender == "user":
        user = {"type": "participant", "user_id": conv["session_id"],
                "nickname": conv["meta"]["nickname"] or "visitor", "avatar": conv["meta"]["avatar"]}
    else:
        op = operator or {}
        user = {"type": "website", "user_id": op.get("user_id", ""),
                "nickname": f"{op.get('first_name', '')} {op.get('last_name', '')}".strip(),
                "avatar": op.get("avatar", "")}
    return {
        "session_id": conv["session_id"],
        "website_id": conv["website_id"],
        "type": kind,
        "from": sender,
        "origin": "chat",
        "content": content,
        "preview": [],
        "mentions": [],
        "read": "",
        "delivered": "",
        "ignored": {},
        "edited": False,
        "translated": False,
        "automated": False,
        "fingerprint": state.new_fingerprint(ts, rng),
        "timestamp": ts,
        "user": user,
        "references": [],
        "original": {},
        "properties": {},
    }


def _make_conversation(state: CrispState, rng: random.Random,
                       person: dict[str, Any] | None) -> dict[str, Any]:
    session_id = f"session_{new_uuid(rng)}"
    start = person["created_at"] + rng.randrange(0, 30 * 24 * 3600 * 1000) if person else _ts(rng)
    conv = state.new_conversation(session_id, start)
    meta = empty_meta()
    if person is not None:
        conv["people_id"] = person["people_id"]
        pinfo = person["person"]
        geo = pinfo.get("geolocation") or {}
        meta.update({
            "nickname": pinfo.get("nickname", ""),
            "email": person["email"],
            "phone": pinfo.get("phone", ""),
            "avatar": pinfo.get("avatar", ""),
            "segments": list(person.get("segments") or []),
            "data": {k: v for k, v in state.people_data.get(person["people_id"], {}).items()
                     if k in ("plan", "seats")},
        })
        meta["device"]["geolocation"] = {
            "country": geo.get("country", ""), "region": geo.get("region", ""),
            "city": geo.get("city", ""), "coordinates": geo.get("coordinates", {}),
        }
        meta["device"]["locales"] = list(pinfo.get("locales") or [])
        meta["device"]["timezone"] = pinfo.get("timezone", 0)
    else:
        meta["nickname"] = f"visitor{rng.randrange(100000, 999999)}"
    meta["ip"] = f"{rng.randrange(11, 223)}.{rng.randrange(256)}.{rng.randrange(256)}." \
                 f"{rng.randrange(1, 255)}"
    meta["subject"] = ""
    meta["device"]["capabilities"] = ["call", "browsing"]
    meta["device"]["system"] = {
        "os": {"name": "Mac OS", "version": "10.15.7"},
        "engine": {"name": "WebKit", "version": "605.1.15"},
        "browser": {"name": "Safari", "version": "17.1", "major": "17"},
        "useragent": rng.choice(USER_AGENTS),
    }
    conv["meta"] = meta
    operators = list(state.operators.values())
    assignee = rng.choice(operators) if operators and rng.random() < 0.6 else None
    if assignee is not None:
        conv["assigned"] = {"user_id": assignee["user_id"]}
    conv["is_blocked"] = rng.random() < 0.03

    n_messages = rng.randrange(1, 7)
    ts = start
    msgs = conv_msgs = state.messages[session_id]
    content: str | dict[str, str]
    for index in range(n_messages):
        sender = "user" if index % 2 == 0 else "operator"
        ts += rng.randrange(_MINUTE, 6 * 60 * _MINUTE)
        responder = assignee or (rng.choice(operators) if operators else None)
        if sender == "user":
            if index > 0 and rng.random() < 0.12:
                name, mime = rng.choice(FILES)
                kind, content = "file", {"name": name, "type": mime,
                                         "url": seed_file(
                                             state.files, f"{session_id}/{name}", name, mime,
                                             fallback=f"https://storage.example.com/"
                                                      f"{session_id}/{name}")}
            else:
                kind = "text"
                content = rng.choice(USER_OPENERS) if index == 0 else rng.choice(USER_FOLLOWUPS)
        else:
            if rng.random() < 0.15:
                kind, content = "note", rng.choice(NOTES)
            else:
                kind, content = "text", rng.choice(OPERATOR_REPLIES)
        msgs.append(_message(state, rng, conv, kind, sender, content, ts, responder))

    # read / delivered markers: everything before the other side's last message was seen.
    last_user = max((i for i, m in enumerate(conv_msgs) if m["from"] == "user"), default=-1)
    last_op = max((i for i, m in enumerate(conv_msgs) if m["from"] == "operator"), default=-1)
    for i, msg in enumerate(conv_msgs):
        msg["delivered"] = "chat"
        if msg["from"] == "user" and (i < last_op or rng.random() < 0.5):
            msg["read"] = "chat"
        elif msg["from"] == "operator" and (i < last_user or rng.random() < 0.4):
            msg["read"] = "chat"

    has_reply = any(m["from"] == "operator" and m["type"] != "note" for m in conv_msgs)
    if not has_reply:
        conv["state"] = "pending"
    else:
        conv["state"] = rng.choice(("unresolved", "resolved", "resolved"))
    last_msg = conv_msgs[-1]
    conv["updated_at"] = last_msg["timestamp"]
    conv["active"] = {"now": False, "last": last_msg["timestamp"]}
    if conv["state"] != "resolved" and last_msg["from"] == "user":
        conv["waiting_since"] = last_msg["timestamp"]
    if person is not None and conv["updated_at"] > person["updated_at"]:
        person["updated_at"] = conv["updated_at"]
        person["active"]["last"] = conv["updated_at"]
    return conv


# ---------------------------------------------------------------------- visitors
def _make_visitor(state: CrispState, rng: random.Random) -> None:
    convs = list(state.conversations.values())
    country, region, city, lat, lon, tz = rng.choice(PLACES)
    title, path = rng.choice(PAGES)
    domain = state.website["domain"] if state.website else "example.com"
    if convs and rng.random() < 0.5:
        conv = rng.choice(convs)
        session_id, nickname, email = conv["session_id"], conv["meta"]["nickname"], \
            conv["meta"]["email"]
        initiated = True
    else:
        session_id = f"session_{new_uuid(rng)}"
        nickname, email, initiated = f"visitor{rng.randrange(100000, 999999)}", "", False
    state.visitors.append({
        "session_id": session_id,
        "inbox_id": "",
        "nickname": nickname,
        "email": email,
        "avatar": "",
        "useragent": rng.choice(USER_AGENTS),
        "initiated": initiated,
        "active": rng.random() < 0.7,
        "last_page": {"page_title": title, "page_url": f"https://{domain}{path}"},
        "geolocation": {"coordinates": {"latitude": lat, "longitude": lon}, "city": city,
                        "region": region, "country": country},
        "timezone": tz // 60,
        "capabilities": ["call", "browsing"],
        "locales": [LOCALES[country]],
    })

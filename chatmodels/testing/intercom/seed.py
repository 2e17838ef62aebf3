"""Deterministic generation of a realistic Intercom workspace (``random.Random(seed)`` only)."""

from __future__ import annotations

import random
import uuid
import zlib
from typing import Any

from .catalog import COMPANY_BUILTINS, CONTACT_BUILTINS
from .models import IntercomBackend, html_body

DAY = 86400
YEAR = 365 * DAY

FIRST_NAMES = (
    "Olivia Liam Emma Noah Ava Oliver Sophia Elijah Isabella James Mia William Amelia Benjamin "
    "Harper Lucas Evelyn Henry Abigail Alexander Emily Mason Ella Michael Elizabeth Ethan Camila "
    "Daniel Luna Jacob Sofia Logan Avery Jackson Mila Levi Aria Sebastian Scarlett Mateo Penelope "
    "Jack Layla Owen Chloe Theodore Victoria Aiden Madison Samuel Eleanor Joseph Grace John Nora "
    "David Riley Wyatt Zoey Matthew Hannah Luke Hazel Asher Lily Carter Ellie Julian Violet "
    "Grayson Lillian Leo Zoe Jayden Stella Gabriel Aurora Isaac Natalie Lincoln Emilia Anthony "
    "Everly Hudson Leah Dylan Aubrey Ezra Willow Thomas Addison Charles Lucy Christopher Audrey "
    "Aoife Siobhan Cian Niamh Darragh Priya Arjun Yuki Hiroshi Mei Wei Fatima Omar Lars Ingrid "
    "Mateus Lucia Pierre Camille Jonas Freya Tomasz Zofia Kwame Amara Diego Valentina"
).split()

LAST_NAMES = (
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez "
    "Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris "
    "Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill "
    "Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Murphy O'Brien "
    "Kelly Byrne Ryan Walsh Doyle McCarthy Gallagher Kennedy Quinn Patel Shah Singh Kumar Tanaka "
    "Suzuki Sato Chen Wang Li Zhang Haddad Khan Larsen Johansson Silva Santos Dubois Moreau "
    "Schmidt Muller Weber Nowak Kowalski Mensah Okafor Rossi Romano Fischer Novak Horvat"
).split()

FREE_MAIL = ("gmail.com", "outlook.com", "yahoo.com", "hotmail.com", "icloud.com", "proton.me",
             "fastmail.com")

COMPANY_WORDS_A = (
    "Blue Bright North Iron Silver Green Red Rapid Quantum Solid Clear Swift Stellar Urban "
    "Harbor Summit Maple Cedar Atlas Nova Vertex Pioneer Crimson Golden Copper Delta Echo "
    "Lumen Orbit Pixel Prism Signal Tidal Velvet Wild Zenith Beacon Cobalt Granite"
).split()
COMPANY_WORDS_B = (
    "Labs Works Systems Analytics Logistics Foods Health Media Dynamics Robotics Cloud Energy "
    "Studio Partners Capital Networks Software Supply Bank Security Travel Games Retail Bio"
).split()
COMPANY_SUFFIX = ("Inc", "Ltd", "GmbH", "LLC", "", "", "", "Co")
INDUSTRIES = ("Software", "E-commerce", "Healthcare", "Finance", "Education", "Manufacturing",
              "Media", "Logistics", "Travel", "Retail", "Gaming", "Energy")

LOCATIONS = (
    ("United States", "California", "San Francisco", "US", "NA"),
    ("United States", "New York", "New York", "US", "NA"),
    ("United States", "Texas", "Austin", "US", "NA"),
    ("United States", "Illinois", "Chicago", "US", "NA"),
    ("Canada", "Ontario", "Toronto", "CA", "NA"),
    ("Ireland", "Dublin", "Dublin", "IE", "EU"),
    ("United Kingdom", "England", "London", "GB", "EU"),
    ("United Kingdom", "Scotland", "Edinburgh", "GB", "EU"),
    ("Germany", "Berlin", "Berlin", "DE", "EU"),
    ("France", "Ile-de-France", "Paris", "FR", "EU"),
    ("Spain", "Madrid", "Madrid", "ES", "EU"),
    ("Netherlands", "North Holland", "Amsterdam", "NL", "EU"),
    ("Poland", "Masovia", "Warsaw", "PL", "EU"),
    ("Brazil", "Sao Paulo", "Sao Paulo", "BR", "SA"),
    ("India", "Karnataka", "Bengaluru", "IN", "AS"),
    ("Japan", "Tokyo", "Tokyo", "JP", "AS"),
    ("Australia", "New South Wales", "Sydney", "AU", "OC"),
    ("Nigeria", "Lagos", "Lagos", "NG", "AF"),
)
BROWSERS = (("chrome", "120.0.6099.109"), ("firefox", "121.0"), ("safari", "17.2"),
            ("edge", "120.0.2210.91"))
OSES = ("Mac OS X", "Windows 10", "Windows 11", "Linux", "iOS 17.2", "Android 14")
LANGS = ("en", "en-US", "en-GB", "fr", "de", "es", "pt-BR", "ja")
PLANS = ("free", "starter", "pro", "enterprise")
SOURCES = ("organic", "google_ads", "referral", "partner", "webinar", "product_hunt")

TAG_NAMES = ("VIP", "Beta tester", "Churn risk", "Enterprise lead", "Newsletter", "Billing issue",
             "Feature request", "Bug report", "Onboarding", "Partner", "Mobile user",
             "Needs follow-up")

ADMINS = (
    ("Alex Morgan", "Support Lead"), ("Sam Rivera", "Customer Success Manager"),
    ("Jordan Lee", "Support Engineer"), ("Taylor Kim", "Account Executive"),
    ("Casey Byrne", "Support Specialist"), ("Riley Chen", "Solutions Engineer"),
)
TEAMS = (("Support", "round_robin", 10), ("Sales", "balanced", None), ("Billing", None, None))

USER_OPENERS = (
    "Hi, I can't log in to my account since this morning.",
    "Hello! How do I export my data to CSV?",
    "Is there a way to add more seats to our plan?",
    "I was charged twice this month, can you check?",
    "The mobile app crashes when I open the settings page.",
    "Can I change the email address on my account?",
    "Do you offer discounts for non-profits?",
    "How do I connect the Slack integration?",
    "Our invoices should show our VAT number, how do I add it?",
    "The dashboard is very slow to load today.",
    "Is there an API endpoint for bulk updates?",
    "I'd like to cancel my subscription.",
    "Can you help me reset two-factor authentication?",
    "We need SSO for our team, is that available?",
)
ADMIN_OPENERS = (
    "Hi there! Just checking in to see how you're getting on with the new dashboard.",
    "Welcome aboard! Let me know if you have any questions while you set things up.",
    "Your trial ends in 3 days. Would you like a quick call to go over the plans?",
    "We noticed a failed payment on your account. Could you update your card?",
)
ADMIN_REPLIES = (
    "Thanks for reaching out! Let me look into this for you.",
    "Could you share a screenshot of what you're seeing?",
    "I've just fixed that on our side, can you try again?",
    "You can find that under Settings > Billing.",
    "I've escalated this to our engineering team and will update you shortly.",
    "Great question! Here's a help article that walks through it.",
    "I've refunded the duplicate charge, it should appear in 5-10 business days.",
    "That feature is on our roadmap for next quarter.",
)
USER_REPLIES = (
    "Thanks, that worked!", "Still seeing the same problem, unfortunately.",
    "Here's the screenshot.", "Perfect, thank you so much.", "Any update on this?",
    "Ok, I'll try that now.", "That makes sense, thanks!",
)
NOTES = (
    "Customer is evaluating competitors, prioritise.", "Spoke on the phone, follow up Friday.",
    "Asked about the enterprise plan pricing.", "Reported the export bug, linked to JIRA-4821.",
    "Very happy with onboarding, potential case study.", "Prefers email over in-app messages.",
)
EVENT_NAMES = ("signed-up", "invited-teammate", "created-project", "upgraded-plan",
               "exported-report", "connected-integration")


def _slug(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


def _ts(rng: random.Random, start: int, end: int) -> int:
    if end <= start:
        return start
    return rng.randint(start, end)


def seed_workspace(state: IntercomBackend, rng: random.Random,
                   teammates: list[tuple[str, str]] | None = None) -> None:
    """Admins, teams, tags, segments and data attributes (once per workspace).

    ``teammates``: ``[(name, email), ...]`` to use as the admins instead of generated ones (a
    workspace whose team also works in another tool, as in a migration).
    """
    anchor = state.anchor
    people = [(name, title, f"{name.split()[0].lower()}@example-support.com")
              for name, title in ADMINS[: 4 + rng.randint(0, 2)]]
    if teammates:
        people = [(name, "Support", email) for name, email in teammates]
    for i, (name, title, email) in enumerate(people):
        aid = state.next_id("admin")
        first = name.split()[0].lower()
        state.admins[aid] = {
            "type": "admin", "id": aid, "name": name, "email": email,
            "job_title": title, "away_mode_enabled": i == 3, "away_mode_reassign": False,
            "away_status_reason_id": None, "has_inbox_seat": True, "team_ids": [],
            "avatar": f"https://static.intercomassets.com/avatars/{aid}/square_128/{first}.png",
        }
        if state.me_id is None:
            state.me_id = aid
    admin_ids = list(state.admins)
    for name, method, limit in TEAMS[: 2 + rng.randint(0, 1)]:
        tid = state.next_id("team")
        members = sorted(rng.sample(admin_ids, rng.randint(2, min(3, len(admin_ids)))))
        state.teams[tid] = {"type": "team", "id": tid, "name": name,
                            "admin_ids": [int(a) for a in members],
                            "assignment_limit": limit, "distribution_method": method}
        for a in members:
            state.admins[a]["team_ids"].append(int(tid))
    for name in TAG_NAMES[:10]:
        state.create_tag(name)
    vip = state.find_tag_by_name("VIP")
    segments = (
        ("Active users", "user", ("seen_within", 30 * DAY)),
        ("New signups", "user", ("created_within", 30 * DAY)),
        ("All leads", "contact", ("role", "lead")),
        ("Paying customers", "user", ("custom_in", ("plan", ("pro", "enterprise")))),
        ("Slipping away", "user", ("not_seen_within", 90 * DAY)),
        ("VIP customers", "user", ("tag", vip["id"] if vip else "")),
    )
    for name, person_type, rule in segments:
        created = _ts(rng, anchor - 2 * YEAR, anchor - 30 * DAY)
        sid = state.object_id(created, rng)
        state.segments[sid] = {"type": "segment", "id": sid, "name": name, "created_at": created,
                               "updated_at": _ts(rng, created, anchor), "person_type": person_type}
        state.segment_rules[sid] = rule
    for model, builtins in (("contact", CONTACT_BUILTINS), ("company", COMPANY_BUILTINS)):
        for name, full_name, label, desc, dtype, writable in builtins:
            state.data_attributes.append({
                "type": "data_attribute", "name": name, "full_name": full_name, "label": label,
                "description": desc, "data_type": dtype, "api_writable": writable,
                "ui_writable": False, "messenger_writable": True, "custom": False,
                "archived": False, "model": model,
            })
    customs = (
        ("contact", "plan", "string", "Subscription plan", list(PLANS)),
        ("contact", "seats", "integer", "Number of paid seats", None),
        ("contact", "mrr", "float", "Monthly recurring revenue in USD", None),
        ("contact", "trial", "boolean", "Whether the user is on a trial", None),
        ("contact", "signup_source", "string", "Where the user came from", None),
        ("contact", "renewal_date", "date", "Next renewal date", None),
        ("company", "tier", "string", "Account tier", ["smb", "mid-market", "enterprise"]),
        ("company", "arr", "float", "Annual recurring revenue in USD", None),
    )
    for model, name, dtype, desc, options in customs:
        created = _ts(rng, anchor - 2 * YEAR, anchor - 60 * DAY)
        attr = {
            "id": int(state.next_id("data_attribute")), "type": "data_attribute", "name": name,
            "full_name": f"custom_attributes.{name}", "label": name.replace("_", " ").title(),
            "description": desc, "data_type": dtype, "api_writable": True, "ui_writable": True,
            "messenger_writable": False, "custom": True, "archived": False,
            "admin_id": state.me_id, "created_at": created, "updated_at": created, "model": model,
        }
        if options:
            attr["options"] = list(options)
        state.data_attributes.append(attr)
    # conversation attributes (no rng draw: adding them leaves the rest of the seed unchanged)
    for name, dtype, desc, options in (("Issue type", "list", "What the customer needs",
                                        ["Billing", "Bug", "Question"]),
                                       ("Order number", "string", "The order concerned", None)):
        created = anchor - 400 * DAY
        attr = {"type": "conversation_attribute",
                "id": int(state.next_id("conversation_attribute")), "name": name,
                "description": desc, "data_type": dtype, "required": False,
                "visible_to_team_ids": [], "archived": False, "created_at": created,
                "updated_at": created, "admin_id": state.me_id}
        if options:
            attr["options"] = [{"id": str(uuid.UUID(int=zlib.crc32(f"{name}:{o}".encode()))),
                                "label": o, "archived": False} for o in options]
        else:
            attr["multiline"] = False
        state.conversation_attributes.append(attr)


def seed_companies(state: IntercomBackend, rng: random.Random, count: int) -> list[str]:
    anchor = state.anchor
    ids = []
    used = {k["name"] for k in state.companies.values()}
    for _ in range(count):
        for _attempt in range(20):
            base = f"{rng.choice(COMPANY_WORDS_A)} {rng.choice(COMPANY_WORDS_B)}"
            suffix = rng.choice(COMPANY_SUFFIX)
            name = f"{base} {suffix}".strip()
            if name not in used:
                break
        else:
            name = f"{name} {len(state.companies) + 1}"
        used.add(name)
        created = _ts(rng, anchor - 2 * YEAR, anchor - DAY)
        kid = state.object_id(created, rng)
        company_id = f"cmp_{len(state.companies) + 1:05d}"
        while company_id in state.company_by_company_id:
            company_id = f"cmp_{rng.randint(10000, 99999)}"
        plan = rng.choice(PLANS)
        state.add_company({
            "type": "company", "company_id": company_id, "id": kid,
            "app_id": state.workspace_id, "name": name,
            "remote_created_at": created - rng.randint(0, 3 * YEAR), "created_at": created,
            "updated_at": _ts(rng, created, anchor),
            "last_request_at": _ts(rng, created, anchor), "monthly_spend": rng.choice(
                (0, 0, 49, 99, 199, 499, 1200, 4800)),
            "session_count": rng.randint(0, 5000), "user_count": 0,
            "size": rng.choice((3, 8, 15, 40, 120, 350, 1200, 5000)),
            "website": f"https://www.{_slug(base)}.com", "industry": rng.choice(INDUSTRIES),
            "plan": {"type": "plan", "id": str(PLANS.index(plan) + 1), "name": plan.title()},
            "custom_attributes": {"tier": rng.choice(("smb", "mid-market", "enterprise")),
                                  "arr": float(rng.choice((0, 1200, 5880, 23880, 60000)))},
        })
        ids.append(kid)
    return ids


def seed_contacts(state: IntercomBackend, rng: random.Random, count: int) -> list[str]:
    anchor = state.anchor
    admin_ids = list(state.admins)
    tag_ids = list(state.tags)
    company_ids = list(state.companies)
    ids = []
    rand, choice, randint = rng.random, rng.choice, rng.randint
    start = anchor - 2 * YEAR
    n_existing = len(state.contacts)
    for i in range(count):
        first, last = choice(FIRST_NAMES), choice(LAST_NAMES)
        name = f"{first} {last}"
        created = randint(start, anchor - 3600)
        cid = state.object_id(created, rng)
        is_user = rand() < 0.85
        comp = choice(company_ids) if company_ids and is_user and rand() < 0.7 else None
        if comp is not None and rand() < 0.6:
            domain = state.companies[comp]["website"].split("www.", 1)[-1]
        else:
            domain = choice(FREE_MAIL)
        local = f"{_slug(first)}.{_slug(last)}"
        email = f"{local}@{domain}"
        if email in state.by_email:
            email = f"{local}{n_existing + i + 1}@{domain}"
        has_email = is_user or rand() < 0.6
        seen = randint(created, anchor) if rand() < 0.9 else None
        loc = choice(LOCATIONS)
        browser, bversion = choice(BROWSERS)
        custom: dict[str, Any] = {}
        if is_user:
            plan = choice(PLANS)
            custom["plan"] = plan
            custom["seats"] = 1 if plan == "free" else randint(1, 50)
            custom["mrr"] = {"free": 0.0, "starter": 29.0, "pro": 99.0,
                             "enterprise": 499.0}[plan] * custom["seats"]
            custom["trial"] = plan != "free" and rand() < 0.1
            custom["signup_source"] = choice(SOURCES)
            if plan != "free":
                custom["renewal_date"] = anchor + randint(1, 365) * DAY
        else:
            custom["signup_source"] = choice(SOURCES)
        contact = {
            "type": "contact", "id": cid, "workspace_id": state.workspace_id,
            "external_id": f"usr_{n_existing + i + 1:06d}" if is_user else None,
            "role": "user" if is_user else "lead",
            "email": email if has_email else None,
            "email_domain": domain if has_email else None,
            "phone": f"+1{randint(2000000000, 9999999999)}" if rand() < 0.3 else None,
            "name": name if (is_user or rand() < 0.5) else None,
            "avatar": None, "owner_id": choice(admin_ids) if rand() < 0.3 else None,
            "social_profiles": {"type": "list", "data": []},
            "has_hard_bounced": rand() < 0.02, "marked_email_as_spam": rand() < 0.01,
            "unsubscribed_from_emails": rand() < 0.1,
            "created_at": created, "updated_at": max(created, seen or created),
            "signed_up_at": created if is_user else None, "last_seen_at": seen,
            "last_replied_at": None, "last_contacted_at": None,
            "last_email_opened_at": randint(created, anchor) if rand() < 0.4 else None,
            "last_email_clicked_at": None, "language_override": None,
            "browser": browser if seen else None, "browser_version": bversion if seen else None,
            "browser_language": choice(LANGS) if seen else None, "os": choice(OSES) if seen else None,
            "location": {"type": "location", "country": loc[0], "region": loc[1], "city": loc[2],
                         "country_code": loc[3], "continent_code": loc[4]},
            "android_app_name": None, "android_app_version": None, "android_device": None,
            "android_os_version": None, "android_sdk_version": None, "android_last_seen_at": None,
            "ios_app_name": None, "ios_app_version": None, "ios_device": None,
            "ios_os_version": None, "ios_sdk_version": None, "ios_last_seen_at": None,
            "custom_attributes": custom,
            "utm_campaign": None, "utm_content": None, "utm_medium": None, "utm_source": None,
            "utm_term": None, "referrer": None, "enabled_push_messaging": None,
        }
        state.add_contact(contact)
        ids.append(cid)
        r = rand()
        if tag_ids and r < 0.45:
            for tid in rng.sample(tag_ids, 1 if r < 0.3 else 2 if r < 0.4 else 3):
                state.contact_tags.setdefault(cid, {})[tid] = state.applied(
                    randint(created, anchor), choice(admin_ids))
        if comp is not None:
            state.attach_company(cid, comp)
            if rand() < 0.05 and len(company_ids) > 1:
                state.attach_company(cid, choice(company_ids))
        if rand() < 0.08:
            state.add_note(cid, choice(admin_ids), choice(NOTES), randint(created, anchor))
        if is_user and rand() < 0.2:
            for _ in range(randint(1, 3)):
                state.add_event(cid, choice(EVENT_NAMES), randint(created, anchor),
                                {"source": choice(("web", "ios", "android"))})
    return ids


def seed_conversations(state: IntercomBackend, rng: random.Random, count: int,
                       contact_ids: list[str] | None = None) -> None:
    if not state.contacts or count <= 0:
        return
    anchor = state.anchor
    pool = contact_ids or list(state.contacts)
    admin_ids = list(state.admins)
    team_ids = list(state.teams)
    tag_ids = list(state.tags)
    rand, choice, randint = rng.random, rng.choice, rng.randint
    for _ in range(count):
        cid = choice(pool)
        contact = state.contacts[cid]
        created = randint(contact["created_at"], anchor - 600)
        conv_id = state.next_id("conversation")
        admin_initiated = rand() < 0.2
        owner = choice(admin_ids)
        if admin_initiated:
            body = choice(ADMIN_OPENERS)
            author = state.admin_author(owner)
            delivered = "admin_initiated"
            source_type = choice(("conversation", "email"))
        else:
            body = choice(USER_OPENERS)
            author = state.contact_author(cid)
            delivered = "customer_initiated"
            source_type = choice(("conversation", "conversation", "email"))
        conv: dict[str, Any] = {
            "type": "conversation", "id": conv_id, "title": None, "created_at": created,
            "updated_at": created, "waiting_since": None if admin_initiated else created,
            "snoozed_until": None,
            "source": {"type": source_type, "id": state.next_id("message"),
                       "delivered_as": delivered,
                       "subject": "" if source_type == "conversation" else body[:40],
                       "body": html_body(body), "author": author, "attachments": [],
                       "url": None, "redacted": False},
            "first_contact_reply": None if admin_initiated else {
                "created_at": created, "type": source_type, "url": None},
            "admin_assignee_id": 0, "team_assignee_id": 0, "open": True, "state": "open",
            "read": rand() < 0.7,
            "priority": choice(("none", "none", "none", "low", "medium", "high", "urgent")),
            "sla_applied": None, "conversation_rating": None, "custom_attributes": {},
            "topics": {}, "ticket": None,
            "linked_objects": {"type": "list", "data": [], "total_count": 0, "has_more": False},
            "ai_agent": None, "ai_agent_participated": False,
        }
        state.add_conversation(conv, [cid])
        ts = created
        n_parts = randint(1, 6)
        admin = owner
        for k in range(n_parts):
            ts = min(anchor, ts + randint(60, 2 * DAY))
            r = rand()
            if k == 0 and team_ids and rand() < 0.5:
                team = choice(team_ids)
                conv["team_assignee_id"] = int(team)
                state.add_part(conv, "assignment", state.admin_author(admin), ts,
                               assigned_to={"type": "team", "id": team})
            elif k == 0 or r < 0.35:
                conv["admin_assignee_id"] = int(admin)
                state.add_part(conv, "comment", state.admin_author(admin), ts,
                               body=choice(ADMIN_REPLIES))
                conv["waiting_since"] = None
                contact["last_contacted_at"] = max(contact["last_contacted_at"] or 0, ts)
            elif r < 0.7:
                was_closed = conv["state"] != "open"
                if was_closed:
                    conv["state"], conv["open"], conv["snoozed_until"] = "open", True, None
                state.add_part(conv, "open" if was_closed else "comment",
                               state.contact_author(cid), ts, body=choice(USER_REPLIES))
                if conv["first_contact_reply"] is None:
                    conv["first_contact_reply"] = {"created_at": ts, "type": "conversation",
                                                   "url": None}
                conv["waiting_since"] = conv["waiting_since"] or ts
                contact["last_replied_at"] = max(contact["last_replied_at"] or 0, ts)
            elif r < 0.8:
                state.add_part(conv, "note", state.admin_author(choice(admin_ids)), ts,
                               body=choice(NOTES))
            else:
                new_admin = choice(admin_ids)
                conv["admin_assignee_id"] = int(new_admin)
                state.add_part(conv, "assignment", state.admin_author(admin), ts,
                               assigned_to={"type": "admin", "id": new_admin})
                admin = new_admin
        r = rand()
        if r < 0.5:
            conv["state"], conv["open"], conv["snoozed_until"] = "closed", False, None
            conv["waiting_since"] = None
            ts = min(anchor, ts + randint(60, DAY))
            state.add_part(conv, "close", state.admin_author(admin), ts)
        elif r < 0.6:
            ts = min(anchor, ts + randint(60, DAY))
            conv["state"], conv["open"] = "snoozed", True
            conv["snoozed_until"] = anchor + randint(1, 14) * DAY
            state.add_part(conv, "snoozed", state.admin_author(admin), ts)
        if tag_ids and rand() < 0.3:
            for tid in rng.sample(tag_ids, randint(1, 2)):
                state.conversation_tags[conv_id][tid] = state.applied(ts, admin)
        contact["updated_at"] = max(contact["updated_at"], ts)


def populate(state: IntercomBackend, rng: random.Random, **counts: int) -> None:
    """Add generated data. ``contacts`` (default 0 on re-seed), ``companies`` (contacts//20),
    ``conversations`` (contacts//2). The first call also creates admins, teams, tags, segments
    and data attributes."""
    if not state.admins:
        seed_workspace(state, rng, counts.get("teammates"))  # type: ignore[arg-type]
    n_contacts = int(counts.get("contacts", 0))
    n_companies = int(counts.get("companies", n_contacts // 20))
    n_convs = int(counts.get("conversations", n_contacts // 2))
    if n_companies:
        seed_companies(state, rng, n_companies)
    new_contacts = seed_contacts(state, rng, n_contacts) if n_contacts else []
    if n_convs:
        seed_conversations(state, rng, n_convs, new_contacts or None)

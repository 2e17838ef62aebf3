"""In-memory backend of the Crisp simulator.

One :class:`CrispState` holds a single website (the one the plugin token is subscribed to) and
everything inside it. Records are plain dicts shaped like the Crisp REST API v1 payloads (field
names from the official Go client's json tags); the ``*_view`` functions build the JSON answered
by the API (always deep copies, so a response never aliases the state). The state's methods
hold the business rules (profile creation and card writes, message effects on the conversation,
meta merges, marks); the handlers only parse and validate requests and shape answers.
"""

from __future__ import annotations

import copy
import random
import time
import uuid
from typing import Any

__all__ = [
    "CONVERSATION_STATES",
    "MESSAGE_FROM",
    "MESSAGE_TYPES",
    "STATE_STATUS",
    "CrispState",
    "conversation_view",
    "message_view",
    "new_uuid",
    "now_ms",
    "operator_view",
    "profile_view",
]

#: Conversation states, in lifecycle order; ``status`` is the index (0 pending, 1 unresolved,
#: 2 resolved).
CONVERSATION_STATES = ("pending", "unresolved", "resolved")
STATE_STATUS = {name: index for index, name in enumerate(CONVERSATION_STATES)}

#: Message types accepted by "Send A Message In Conversation".
MESSAGE_TYPES = ("text", "note", "file", "animation", "audio", "picker", "field", "carousel",
                 "event")
MESSAGE_FROM = ("user", "operator")


def now_ms() -> int:
    """Wall-clock time in milliseconds (Crisp timestamps are epoch milliseconds)."""
    return int(time.time() * 1000)


def new_uuid(rng: random.Random | None = None) -> str:
    """A random (version 4) UUID string; deterministic when ``rng`` is given."""
    if rng is None:
        return str(uuid.uuid4())
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


class CrispState:
    """Everything the simulated Crisp backend knows."""

    def __init__(self) -> None:
        #: ``{website_id, name, domain, logo}`` (None until seeded).
        self.website: dict[str, Any] | None = None
        #: the simulator's file store (set before seeding; seeded files live there)
        self.files: Any = None
        #: user_id -> WebsiteOperator
        self.operators: dict[str, dict[str, Any]] = {}
        #: people_id -> PeopleProfile (card fields + people_id)
        self.people: dict[str, dict[str, Any]] = {}
        #: people_id -> custom data (key -> str/number/bool)
        self.people_data: dict[str, dict[str, Any]] = {}
        #: people_id -> [PeopleEvent] (oldest first)
        self.people_events: dict[str, list[dict[str, Any]]] = {}
        #: people_id -> email subscription flag
        self.subscriptions: dict[str, bool] = {}
        #: session_id -> conversation record (see :func:`conversation_view`)
        self.conversations: dict[str, dict[str, Any]] = {}
        #: session_id -> [ConversationMessage] (oldest first)
        self.messages: dict[str, list[dict[str, Any]]] = {}
        #: known people segment names (suggestions), in creation order
        self.segments: list[str] = []
        #: [WebsiteVisitor]
        self.visitors: list[dict[str, Any]] = []
        self._fingerprints: set[int] = set()
        self._last_ts = 0

    # ------------------------------------------------------------------ website / ids
    @property
    def website_id(self) -> str | None:
        return None if self.website is None else self.website["website_id"]

    def tick(self) -> int:
        """A strictly increasing millisecond timestamp (wall clock based)."""
        ts = max(now_ms(), self._last_ts + 1)
        self._last_ts = ts
        return ts

    def new_fingerprint(self, timestamp: int, rng: random.Random | None = None) -> int:
        """A unique message fingerprint (15-16 digit integer, like Crisp's)."""
        r = rng or random
        fp = timestamp * 100 + r.randrange(100)
        while fp in self._fingerprints:
            fp += 1
        self._fingerprints.add(fp)
        return fp

    def claim_fingerprint(self, session_id: str, fingerprint: int) -> bool:
        """Reserve a client-supplied fingerprint for a message of ``session_id``; False when
        that conversation already has a message with it (other conversations may reuse it)."""
        if self.find_message(session_id, fingerprint) is not None:
            return False
        self._fingerprints.add(fingerprint)
        return True

    # ------------------------------------------------------------------ people
    def find_person(self, people_id_or_email: str) -> dict[str, Any] | None:
        """Look a profile up by people_id or (case-insensitively) by email."""
        person = self.people.get(people_id_or_email)
        if person is not None:
            return person
        if "@" in people_id_or_email:
            wanted = people_id_or_email.strip().lower()
            for candidate in self.people.values():
                if (candidate.get("email") or "").lower() == wanted:
                    return candidate
        return None

    def email_owner(self, email: str) -> str | None:
        """people_id of the profile using ``email`` (case-insensitive), if any."""
        wanted = email.strip().lower()
        for people_id, person in self.people.items():
            if (person.get("email") or "").lower() == wanted:
                return people_id
        return None

    def link_conversation(self, conv: dict[str, Any]) -> None:
        """Link a conversation to the profile owning its meta ``email`` (Crisp's rule): set
        ``people_id`` to that profile, or clear it when no profile has the email."""
        email = (conv["meta"].get("email") or "").strip()
        conv["people_id"] = (self.email_owner(email) or "") if email else ""

    def adopt_conversations(self, people_id: str) -> None:
        """A profile (new, or with a new email) takes over the conversations whose meta
        ``email`` is its email, as Crisp merges a session into the matching profile."""
        person = self.people.get(people_id)
        email = ((person or {}).get("email") or "").strip().lower()
        if not email:
            return
        for conv in self.conversations.values():
            if (conv["meta"].get("email") or "").strip().lower() == email:
                conv["people_id"] = people_id

    def remove_segment(self, name: str) -> bool:
        """Remove a people segment from every profile and the suggestions; False if unknown."""
        known = name in self.segments
        if known:
            self.segments.remove(name)
        for person in self.people.values():
            segments = person.get("segments") or []
            if name in segments:
                known = True
                person["segments"] = [s for s in segments if s != name]
        return known

    def add_person(self, card: dict[str, Any]) -> str:
        """Create a profile from a validated card (``email`` required); returns its people_id."""
        now = self.tick()
        people_id = str(uuid.uuid4())
        person = default_person(card["email"].split("@")[0])
        person.update(card.get("person") or {})
        self.people[people_id] = {
            "people_id": people_id,
            "email": card["email"],
            "person": person,
            "company": card.get("company") or {},
            "segments": list(card.get("segments") or []),
            "notepad": card.get("notepad", ""),
            "active": {"now": False, "last": card.get("active", now)},
            "score": 0,
            "created_at": now,
            "updated_at": now,
        }
        for seg in self.people[people_id]["segments"]:
            self.add_segment(seg)
        self.people_data[people_id] = {}
        self.people_events[people_id] = []
        self.subscriptions[people_id] = True
        self.adopt_conversations(people_id)
        return people_id

    def write_person(self, profile: dict[str, Any], card: dict[str, Any], *,
                     replace: bool) -> None:
        """Apply a validated card: ``replace`` (PUT) resets what it leaves out; otherwise
        (PATCH) ``person`` and ``company`` are merged and the other keys replaced."""
        new_email = "email" in card and (
            card["email"].lower() != (profile.get("email") or "").lower())
        if replace:
            person = default_person()
            person.update(card.get("person") or {})
            profile.update({
                "email": card["email"],
                "person": person,
                "company": card.get("company") or {},
                "segments": list(card.get("segments") or []),
                "notepad": card.get("notepad", ""),
            })
        else:
            for key in ("email", "notepad"):
                if key in card:
                    profile[key] = card[key]
            if "segments" in card:
                profile["segments"] = list(card["segments"])
            for key in ("person", "company"):
                if key in card:
                    merged = dict(profile.get(key) or {})
                    merged.update(card[key])
                    profile[key] = merged
        if "active" in card:
            profile["active"] = {"now": False, "last": card["active"]}
        for seg in profile["segments"]:
            self.add_segment(seg)
        if new_email:  # conversations already linked keep their profile; matching ones join it
            self.adopt_conversations(profile["people_id"])
        profile["updated_at"] = self.tick()

    def add_event(self, people_id: str, text: str, data: dict[str, Any], color: str) -> None:
        self.people_events.setdefault(people_id, []).append({
            "text": text, "data": copy.deepcopy(data), "color": color, "timestamp": self.tick(),
        })

    def write_data(self, people_id: str, data: dict[str, Any], *, replace: bool) -> None:
        """Save (``replace``) or merge a profile's people data."""
        if replace:
            self.people_data[people_id] = dict(data)
        else:
            self.people_data.setdefault(people_id, {}).update(data)
        self.people[people_id]["updated_at"] = self.tick()

    # ------------------------------------------------------------------ conversations
    def set_conversation_state(self, conv: dict[str, Any], state: str) -> None:
        conv["state"] = state
        if state == "resolved":
            conv["waiting_since"] = 0
        conv["updated_at"] = self.tick()

    def assign_conversation(self, conv: dict[str, Any], user_id: str | None) -> None:
        conv["assigned"] = None if user_id is None else {"user_id": user_id}
        conv["updated_at"] = self.tick()

    def update_meta(self, conv: dict[str, Any], changes: dict[str, Any]) -> None:
        """Apply a validated meta update: ``data`` and ``device`` are merged, the rest
        replaced; a new ``email`` links the session to the profile having it."""
        meta = conv["meta"]
        for key, value in changes.items():
            if key in ("data", "device"):
                meta[key].update(value)
            else:
                meta[key] = value
        if "email" in changes:
            self.link_conversation(conv)

    # ------------------------------------------------------------------ messages
    def add_message(self, conv: dict[str, Any], body: dict[str, Any], *, kind: str, sender: str,
                    content: Any, mentions: list[str], fingerprint: int,
                    timestamp: int) -> None:
        """Store a validated message of ``conv`` and apply its effects on the conversation
        (a user message reopens and sets ``waiting_since``; an operator one clears it)."""
        session_id = conv["session_id"]
        meta = conv["meta"]
        if sender == "user":
            author = {"type": "participant", "user_id": session_id,
                      "nickname": meta.get("nickname") or "visitor",
                      "avatar": meta.get("avatar", "")}
        else:
            website = self.website or {}
            author = {"type": "website", "user_id": website.get("website_id", ""),
                      "nickname": website.get("name", ""), "avatar": website.get("logo", "")}
        user = body.get("user")
        if user:
            author.update({k: v for k, v in user.items() if v is not None})

        msg = {
            "session_id": session_id,
            "website_id": conv["website_id"],
            "type": kind,
            "from": sender,
            "origin": body["origin"],
            "content": copy.deepcopy(content),
            "preview": [],
            "mentions": list(mentions),
            "read": "",
            "delivered": "",
            "ignored": {},
            "edited": False,
            "translated": bool(body.get("translated", False)),
            "automated": bool(body.get("automated", False)),
            "fingerprint": fingerprint,
            "timestamp": timestamp,
            "user": author,
            "references": body.get("references") or [],
            "original": body.get("original") or {},
            "properties": body.get("properties") or {},
        }
        msgs = self.messages.setdefault(session_id, [])
        msgs.append(msg)
        msgs.sort(key=lambda m: (m["timestamp"], m["fingerprint"]))

        if kind != "note":
            if sender == "user":
                if conv["state"] == "resolved":
                    conv["state"] = "unresolved"
                if not conv["waiting_since"]:
                    conv["waiting_since"] = timestamp
                conv["active"] = {"now": True, "last": timestamp}
            else:
                if conv["state"] == "pending":
                    conv["state"] = "unresolved"
                conv["waiting_since"] = 0
        conv["updated_at"] = max(conv["updated_at"], timestamp)

    def mark_messages(self, conv: dict[str, Any], marker: str, sender: str, origin: str,
                      wanted: set[int] | None) -> None:
        """Mark the other side's messages (all, or the ``wanted`` fingerprints) ``read`` or
        ``delivered`` by ``sender`` through ``origin``."""
        session_id = conv["session_id"]
        other = "user" if sender == "operator" else "operator"
        for msg in self.messages.get(session_id, []):
            if msg["from"] != other or msg["type"] == "note":
                continue
            if wanted is not None and msg["fingerprint"] not in wanted:
                continue
            msg[marker] = origin
            if marker == "read":
                msg["delivered"] = msg["delivered"] or origin
        if marker == "read" and sender == "operator":
            conv["forced_unread"] = False

    def remove_person(self, people_id: str) -> None:
        self.people.pop(people_id, None)
        self.people_data.pop(people_id, None)
        self.people_events.pop(people_id, None)
        self.subscriptions.pop(people_id, None)
        for conv in self.conversations.values():
            if conv.get("people_id") == people_id:
                conv["people_id"] = ""

    def add_segment(self, name: str) -> None:
        if name and name not in self.segments:
            self.segments.append(name)

    def segment_counts(self) -> list[dict[str, Any]]:
        """``[{segment, count}]`` over people profiles (known segments first, then others)."""
        counts: dict[str, int] = {name: 0 for name in self.segments}
        for person in self.people.values():
            for seg in person.get("segments") or []:
                counts[seg] = counts.get(seg, 0) + 1
        return [{"segment": name, "count": count} for name, count in counts.items()]

    def conversation_segment_counts(self) -> list[dict[str, Any]]:
        counts: dict[str, int] = {}
        for conv in self.conversations.values():
            for seg in conv["meta"].get("segments") or []:
                counts[seg] = counts.get(seg, 0) + 1
        return [{"segment": name, "count": count} for name, count in counts.items()]

    def data_key_counts(self) -> list[dict[str, Any]]:
        counts: dict[str, int] = {}
        for data in self.people_data.values():
            for key in data:
                counts[key] = counts.get(key, 0) + 1
        return [{"key": key, "count": count} for key, count in counts.items()]

    def conversations_of(self, people_id: str) -> list[dict[str, Any]]:
        """Conversations linked to a person, most recently updated first."""
        convs = [c for c in self.conversations.values() if c.get("people_id") == people_id]
        convs.sort(key=lambda c: (c["updated_at"], c["session_id"]), reverse=True)
        return convs

    # ------------------------------------------------------------------ conversations
    def new_conversation(self, session_id: str, created_at: int) -> dict[str, Any]:
        website_id = self.website_id or ""
        conv: dict[str, Any] = {
            "session_id": session_id,
            "website_id": website_id,
            "inbox_id": "",
            "people_id": "",
            "state": "pending",
            "is_verified": False,
            "is_blocked": False,
            "availability": "offline",
            "active": {"now": False, "last": created_at},
            "topic": "",
            "verifications": [],
            "participants": [],
            "mentions": [],
            "compose": {},
            "assigned": None,
            "meta": empty_meta(),
            "created_at": created_at,
            "updated_at": created_at,
            "waiting_since": 0,
            "forced_unread": False,
        }
        self.conversations[session_id] = conv
        self.messages[session_id] = []
        return conv

    def remove_conversation(self, session_id: str) -> None:
        self.conversations.pop(session_id, None)
        for msg in self.messages.pop(session_id, []):
            self._fingerprints.discard(msg["fingerprint"])

    def find_message(self, session_id: str, fingerprint: int) -> dict[str, Any] | None:
        for msg in self.messages.get(session_id, []):
            if msg["fingerprint"] == fingerprint:
                return msg
        return None

    def unread_counts(self, session_id: str) -> dict[str, int]:
        """Messages not yet read by the operator side / by the visitor."""
        operator = visitor = 0
        for msg in self.messages.get(session_id, []):
            if msg["type"] in ("note", "event") or msg.get("read"):
                continue
            if msg["from"] == "user":
                operator += 1
            else:
                visitor += 1
        conv = self.conversations.get(session_id)
        if conv is not None and conv.get("forced_unread") and operator == 0:
            operator = 1
        return {"operator": operator, "visitor": visitor}


def default_person(nickname: str = "") -> dict[str, Any]:
    """The ``person`` of a new profile, every documented key present."""
    return {
        "nickname": nickname, "avatar": "", "gender": "", "phone": "", "address": "",
        "description": "", "website": "", "timezone": 0, "profiles": [], "employment": {},
        "geolocation": {}, "locales": [],
    }


def empty_meta() -> dict[str, Any]:
    """A ConversationMeta with every documented key present."""
    return {
        "nickname": "",
        "email": "",
        "phone": "",
        "address": "",
        "subject": "",
        "ip": "",
        "avatar": "",
        "origin": "chat",
        "connection": {"isp": "", "asn": ""},
        "segments": [],
        "data": {},
        "device": {
            "capabilities": [],
            "geolocation": {},
            "system": {},
            "timezone": 0,
            "locales": [],
        },
    }


# ---------------------------------------------------------------------- views
def profile_view(person: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(person)


def operator_view(operator: dict[str, Any]) -> dict[str, Any]:
    """WebsiteOperator (internal bookkeeping keys such as ``last_active`` removed)."""
    return {k: copy.deepcopy(v) for k, v in operator.items() if k != "last_active"}


def message_view(msg: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(msg)


def _excerpt(msg: dict[str, Any]) -> str:
    content = msg.get("content")
    if isinstance(content, str):
        return content[:200]
    if isinstance(content, dict):
        for key in ("text", "name", "url", "namespace"):
            value = content.get(key)
            if isinstance(value, str) and value:
                return value[:200]
    return ""


def conversation_view(state: CrispState, conv: dict[str, Any]) -> dict[str, Any]:
    """The Conversation object as answered by Get A Conversation / List Conversations."""
    msgs = state.messages.get(conv["session_id"], [])
    visible = [m for m in msgs if m["type"] != "note"]
    last = visible[-1] if visible else None
    preview = None
    if last is not None:
        preview = {
            "type": last["type"],
            "from": last["from"],
            "excerpt": _excerpt(last),
            "fingerprint": last["fingerprint"],
        }
    out = {
        "session_id": conv["session_id"],
        "website_id": conv["website_id"],
        "inbox_id": conv["inbox_id"],
        "people_id": conv["people_id"],
        "state": conv["state"],
        "status": STATE_STATUS[conv["state"]],
        "is_verified": conv["is_verified"],
        "is_blocked": conv["is_blocked"],
        "availability": conv["availability"],
        "active": conv["active"],
        "last_message": _excerpt(last) if last is not None else "",
        "preview_message": preview,
        "topic": conv["topic"],
        "verifications": conv["verifications"],
        "participants": conv["participants"],
        "mentions": conv["mentions"],
        "compose": conv["compose"],
        "unread": state.unread_counts(conv["session_id"]),
        "assigned": conv["assigned"],
        "meta": conv["meta"],
        "created_at": conv["created_at"],
        "updated_at": conv["updated_at"],
        "waiting_since": conv["waiting_since"],
    }
    return copy.deepcopy(out)

"""In-memory backend of the Brevo simulator.

Records are stored in Brevo's wire shape (camelCase, ISO times for contacts/CRM, epoch ms for
conversations) so handlers can answer with them directly: the base simulator serialises every
answer under the state lock. Conversation messages feed the *outbox*: the webhook payloads
Brevo would have posted (``conversationStarted`` for the first message of a visitor's
conversation, ``conversationFragment`` for each later one, ``conversationTranscript`` when the
conversation is closed).
"""

from __future__ import annotations

import datetime as dt
import random
import string
import time
from typing import Any

__all__ = ["BrevoState", "iso", "parse_iso"]

UTC = dt.timezone.utc
_ALPHABET = string.ascii_letters + string.digits
#: attributes every account has: (category, name, type)
STANDARD_ATTRIBUTES = (("normal", "EMAIL", "text"), ("normal", "FIRSTNAME", "text"),
                       ("normal", "LASTNAME", "text"), ("normal", "SMS", "text"),
                       ("normal", "EXT_ID", "text"))


def iso(ts: float) -> str:
    """Epoch seconds -> ``2017-05-01T17:05:03.000Z``."""
    moment = dt.datetime.fromtimestamp(ts, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_iso(value: str) -> float | None:
    """An ISO date-time (``Z`` or offset; naive = UTC) -> epoch seconds, None when invalid."""
    try:
        moment = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


class BrevoState:
    """Everything the simulated Brevo account knows."""

    def __init__(self) -> None:
        self.contacts: dict[int, dict[str, Any]] = {}
        self.created: dict[int, float] = {}  # contact id -> creation time (epoch s)
        self.modified: dict[int, float] = {}
        self.by_email: dict[str, int] = {}
        self.by_ext_id: dict[str, int] = {}
        self.by_sms: dict[str, int] = {}
        self.attributes: dict[tuple[str, str], dict[str, Any]] = {}
        self.folders: dict[int, dict[str, Any]] = {}
        self.lists: dict[int, dict[str, Any]] = {}
        self.segments: dict[int, dict[str, Any]] = {}
        self.companies: dict[str, dict[str, Any]] = {}
        self.notes: dict[str, dict[str, Any]] = {}
        self.events: list[dict[str, Any]] = []
        self.agents: dict[str, dict[str, Any]] = {}
        self.groups: dict[str, dict[str, Any]] = {}
        self.visitors: dict[str, dict[str, Any]] = {}
        self.messages: dict[str, dict[str, Any]] = {}
        self.conversations: dict[str, dict[str, Any]] = {}
        self.open_conversation: dict[str, str] = {}  # visitor id -> conversation id
        self.outbox: list[dict[str, Any]] = []
        #: called with each payload added to the outbox (the simulator saves it to a file)
        self.on_emit: Any = None
        self.online_until: dict[str, float] = {}
        self._next = {"contact": 1, "folder": 1, "list": 1, "segment": 1}
        self._last = 0.0
        self.rng = random.Random(0)
        #: the account user CRM notes are written by (``authorId``)
        self.account_user: dict[str, Any] = {
            "id": "61a5ce58y5d4795761045991", "email": "owner@example.com",
            "name": {"fullName": "Account Owner"}, "locale": "en_GB", "timezone": "UTC"}
        for category, name, kind in STANDARD_ATTRIBUTES:
            self.attributes[(category, name)] = {"name": name, "category": category,
                                                 "type": kind}

    # -- ids and clock ---------------------------------------------------------------------
    def next_id(self, kind: str) -> int:
        value = self._next[kind]
        self._next[kind] = value + 1
        return value

    def object_id(self) -> str:
        """A 24-hex-digit id, like Brevo's CRM ids."""
        return f"{self.rng.getrandbits(96):024x}"

    def short_id(self) -> str:
        """A 17-character id, like Brevo Conversations' message, agent and visitor ids."""
        return "".join(self.rng.choice(_ALPHABET) for _ in range(17))

    def now(self) -> float:
        """A strictly increasing clock (epoch seconds, millisecond steps)."""
        ts = max(time.time(), self._last + 0.001)
        self._last = ts
        return ts

    # -- contacts --------------------------------------------------------------------------
    def attribute(self, name: str) -> dict[str, Any] | None:
        for (_, other), record in self.attributes.items():
            if other == name:
                return record
        return None

    def index(self, record: dict[str, Any]) -> None:
        cid = record["id"]
        if record.get("email"):
            self.by_email[record["email"].lower()] = cid
        attrs = record.get("attributes") or {}
        if attrs.get("EXT_ID"):
            self.by_ext_id[str(attrs["EXT_ID"])] = cid
        if attrs.get("SMS"):
            self.by_sms[str(attrs["SMS"])] = cid

    def unindex(self, record: dict[str, Any]) -> None:
        if record.get("email"):
            self.by_email.pop(record["email"].lower(), None)
        attrs = record.get("attributes") or {}
        self.by_ext_id.pop(str(attrs.get("EXT_ID")), None)
        self.by_sms.pop(str(attrs.get("SMS")), None)

    def add_contact(self, email: str | None, attributes: dict[str, Any], *,
                    list_ids: list[int] | None = None, email_blacklisted: bool = False,
                    sms_blacklisted: bool = False, at: float | None = None) -> dict[str, Any]:
        cid = self.next_id("contact")
        ts = self.now() if at is None else at
        record = {"email": email, "id": cid, "emailBlacklisted": email_blacklisted,
                  "smsBlacklisted": sms_blacklisted, "createdAt": iso(ts), "modifiedAt": iso(ts),
                  "attributes": attributes, "listIds": list(list_ids or []),
                  "listUnsubscribed": []}
        if email is None:
            del record["email"]
        self.contacts[cid] = record
        self.created[cid] = ts
        self.modified[cid] = ts
        self.index(record)
        return record

    def touch(self, cid: int) -> None:
        ts = self.now()
        self.modified[cid] = ts
        self.contacts[cid]["modifiedAt"] = iso(ts)

    def find_contact(self, identifier: str, kind: str | None) -> dict[str, Any] | None:
        """Look a contact up as Brevo does: by ``identifierType`` when given, else an email
        (has ``@``), an id (digits), or an SMS number."""
        if kind in (None, "email_id") and "@" in identifier:
            cid = self.by_email.get(identifier.lower())
        elif kind == "email_id":
            cid = None
        elif kind in (None, "contact_id") and identifier.isdigit():
            cid = int(identifier)
        elif kind == "contact_id":
            cid = None
        elif kind == "ext_id":
            cid = self.by_ext_id.get(identifier)
        elif kind in (None, "phone_id"):
            cid = self.by_sms.get(identifier.lstrip("+")) or self.by_sms.get(identifier)
        else:
            cid = None
        return None if cid is None else self.contacts.get(cid)

    def list_size(self, list_id: int) -> int:
        return sum(1 for c in self.contacts.values() if list_id in c["listIds"])

    def list_view(self, record: dict[str, Any], extended: bool = False) -> dict[str, Any]:
        members = [c for c in self.contacts.values() if record["id"] in c["listIds"]]
        blacklisted = sum(1 for c in members if c["emailBlacklisted"])
        out = {"id": record["id"], "name": record["name"], "totalBlacklisted": blacklisted,
               "totalSubscribers": len(members), "uniqueSubscribers": len(members),
               "folderId": record["folderId"]}
        if extended:
            out.update(createdAt=record["createdAt"], dynamicList=False, campaignStats=[])
        return out

    def folder_view(self, record: dict[str, Any]) -> dict[str, Any]:
        ids = {lid for lid, lst in self.lists.items() if lst["folderId"] == record["id"]}
        members = [c for c in self.contacts.values() if ids.intersection(c["listIds"])]
        blacklisted = sum(1 for c in members if c["emailBlacklisted"])
        return {"id": record["id"], "name": record["name"], "totalBlacklisted": blacklisted,
                "totalSubscribers": len(members), "uniqueSubscribers": len(members)}

    # -- conversations ---------------------------------------------------------------------
    def visitor(self, visitor_id: str) -> dict[str, Any]:
        visitor = self.visitors.get(visitor_id)
        if visitor is None:
            visitor = {"id": visitor_id, "source": "api", "displayedName": f"Visitor {visitor_id[:5]}"}
            self.visitors[visitor_id] = visitor
        return visitor

    def agent_by_email(self, email: str, name: str) -> dict[str, Any]:
        for agent in self.agents.values():
            if agent["email"].lower() == email.lower():
                return agent
        agent = {"id": self.short_id(), "name": name, "email": email, "userpic": None}
        self.agents[agent["id"]] = agent  # Brevo creates a dummy agent for an unknown email
        return agent

    def add_message(self, visitor_id: str, text: str, *, agent: dict[str, Any] | None,
                    pushed: bool = False, received_from: str | None = None,
                    at_ms: int | None = None) -> dict[str, Any]:
        """Store a message and emit the webhook Brevo would send for it."""
        self.visitor(visitor_id)
        created = at_ms if at_ms is not None else int(self.now() * 1000)
        message: dict[str, Any] = {"id": self.short_id(),
                                   "type": "visitor" if agent is None else "agent",
                                   "text": text, "html": text, "visitorId": visitor_id,
                                   "createdAt": created, "isPushed": pushed}
        if agent is not None:
            message.update(agentId=agent["id"], agentName=agent["name"])
            if agent.get("userpic"):
                message["agentUserpic"] = agent["userpic"]
        if received_from:
            message["receivedFrom"] = received_from
        self.messages[message["id"]] = message
        self._converse(visitor_id, message, agent)
        return message

    def _converse(self, visitor_id: str, message: dict[str, Any],
                  agent: dict[str, Any] | None) -> None:
        conv_id = self.open_conversation.get(visitor_id)
        if conv_id is None:
            conv_id = self.short_id()
            self.open_conversation[visitor_id] = conv_id
            self.conversations[conv_id] = {"id": conv_id, "visitorId": visitor_id,
                                           "messageIds": [], "agentIds": [], "open": True}
        conv = self.conversations[conv_id]
        conv["messageIds"].append(message["id"])
        if agent is not None and agent["id"] not in conv["agentIds"]:
            conv["agentIds"].append(agent["id"])
        payload: dict[str, Any] = {"conversationId": conv_id}
        if len(conv["messageIds"]) == 1:
            payload["eventName"] = "conversationStarted"
            payload["conversationStartPage"] = {"link": "https://example.com/",
                                                "title": "Example store"}
            payload["message"] = dict(message)
        else:
            payload["eventName"] = "conversationFragment"
            payload["messages"] = [dict(message)]
        self._emit(payload, conv)

    def close(self, visitor_id: str) -> dict[str, Any] | None:
        """End the visitor's open conversation: emits its ``conversationTranscript``."""
        conv_id = self.open_conversation.pop(visitor_id, None)
        if conv_id is None:
            return None
        conv = self.conversations[conv_id]
        conv["open"] = False
        payload = {"eventName": "conversationTranscript", "conversationId": conv_id,
                   "messages": [dict(self.messages[m]) for m in conv["messageIds"]
                                if m in self.messages]}
        return self._emit(payload, conv)

    def _emit(self, payload: dict[str, Any], conv: dict[str, Any]) -> dict[str, Any]:
        payload["agents"] = [{"id": a["id"], "name": a["name"], "email": a["email"],
                              "userpic": a.get("userpic")}
                             for a in (self.agents.get(i) for i in conv["agentIds"]) if a]
        payload["visitor"] = dict(self.visitors[conv["visitorId"]])
        self.outbox.append(payload)
        if self.on_emit is not None:
            self.on_emit(payload)
        return payload

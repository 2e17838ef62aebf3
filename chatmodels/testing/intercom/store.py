"""Base of the Intercom simulator's state: the stores every part of the backend shares,
id generation, and the small helpers (time, cursors, HTML bodies) the handlers use too.

Stored records are plain dicts shaped like the API objects (``state.contacts[id]`` is a contact
without its embedded ``tags``/``notes``/``companies`` lists, which are rendered from the relation
indexes below). Handlers mutate the state only under the simulator lock.
"""

from __future__ import annotations

import base64
import json
import random
import time
from typing import Any

EMBED_LIMIT = 10  # embedded addressable lists show at most this many items (has_more beyond)


def now() -> int:
    return int(time.time())


def encode_cursor(index: int, page: int) -> str:
    raw = json.dumps([index, page], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[int, int] | None:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        index, page = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if isinstance(index, int) and isinstance(page, int) and index >= 0 and page >= 1:
            return index, page
    except (ValueError, TypeError):
        pass
    return None


def html_body(text: str | None) -> str | None:
    """Intercom wraps plain-text bodies in a paragraph."""
    if text is None:
        return None
    text = str(text)
    if text.lstrip().startswith("<"):
        return text
    return f"<p>{text}</p>"

class Store:
    """The workspace's records and relation indexes (no behaviour beyond ids)."""

    def __init__(self, anchor: int, id_seed: str = "0") -> None:
        #: Reference "now" used by the seeder (start of the UTC day the simulator was created).
        self.anchor = anchor
        self._idrng = random.Random(f"ids:{id_seed}")
        self.workspace_id = "".join(self._idrng.choice("abcdefghijklmnopqrstuvwxyz0123456789")
                                    for _ in range(8))
        self.app: dict[str, Any] = {
            "type": "app", "id_code": self.workspace_id, "name": "Simulated Workspace",
            "created_at": anchor - 3 * 365 * 86400, "secure": False,
            "identity_verification": False, "timezone": "Europe/Dublin", "region": "US",
        }
        self.tokens: dict[str, str] = {}  # access token -> admin id ("me")
        self.admins: dict[str, dict[str, Any]] = {}
        self.me_id: str | None = None
        self.teams: dict[str, dict[str, Any]] = {}
        self.tags: dict[str, dict[str, Any]] = {}
        self.segments: dict[str, dict[str, Any]] = {}
        self.segment_rules: dict[str, tuple[str, Any]] = {}
        self.data_attributes: list[dict[str, Any]] = []  # built-ins and custom, in order
        self.conversation_attributes: list[dict[str, Any]] = []  # GET /conversations/attributes
        self.companies: dict[str, dict[str, Any]] = {}
        self.company_by_company_id: dict[str, str] = {}
        self.company_tags: dict[str, dict[str, dict[str, Any]]] = {}
        self.company_contacts: dict[str, set[str]] = {}
        self.contacts: dict[str, dict[str, Any]] = {}
        self.contact_seq: list[str] = []  # append-only creation order (deleted ids are skipped)
        self.archived: set[str] = set()
        self.merged: dict[str, str] = {}  # merged lead id -> the user it was merged into
        self.merged_external_ids: dict[str, str] = {}  # a merged lead's external_id -> its id
        self.by_external_id: dict[str, str] = {}
        self.by_email: dict[str, list[str]] = {}
        self.contact_tags: dict[str, dict[str, dict[str, Any]]] = {}
        self.contact_companies: dict[str, list[str]] = {}
        self.notes: dict[str, dict[str, Any]] = {}
        self.contact_notes: dict[str, list[str]] = {}
        self.conversations: dict[str, dict[str, Any]] = {}
        self.conversation_seq: list[str] = []
        self.conversation_contacts: dict[str, list[str]] = {}
        self.conversation_parts: dict[str, list[dict[str, Any]]] = {}
        self.conversation_tags: dict[str, dict[str, dict[str, Any]]] = {}
        self.events: dict[str, list[dict[str, Any]]] = {}  # contact id -> events (oldest first)
        self.event_summaries: dict[str, dict[str, dict[str, Any]]] = {}
        self.messages: dict[str, dict[str, Any]] = {}
        self.scrolls: dict[str, int] = {}
        self._counters: dict[str, int] = {
            "admin": 991267400, "team": 5017690, "tag": 7522900, "note": 1200,
            "conversation": 1000, "part": 30000000, "message": 403918300,
            "data_attribute": 12870, "event": 0, "conversation_attribute": 0,
        }

    # ------------------------------------------------------------------ ids
    def next_id(self, kind: str) -> str:
        self._counters[kind] += 1
        return str(self._counters[kind])

    def object_id(self, ts: int | None = None, rng: random.Random | None = None) -> str:
        """A 24-hex id like Intercom's (Mongo ObjectId: timestamp + random)."""
        rng = rng or self._idrng
        while True:
            oid = f"{(ts if ts is not None else now()) & 0xFFFFFFFF:08x}{rng.getrandbits(64):016x}"
            if oid not in self.contacts and oid not in self.companies and oid not in self.segments:
                return oid

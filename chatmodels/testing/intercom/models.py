"""In-memory state of the Intercom simulator and the renderers producing API 2.16 JSON shapes.

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


class IntercomBackend:
    """The simulated Intercom workspace."""

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

    # ------------------------------------------------------------------ contacts
    def index_contact(self, contact: dict[str, Any]) -> None:
        cid = contact["id"]
        if contact.get("external_id"):
            self.by_external_id[str(contact["external_id"])] = cid
        if contact.get("email"):
            self.by_email.setdefault(contact["email"].lower(), []).append(cid)

    def unindex_contact(self, contact: dict[str, Any]) -> None:
        cid = contact["id"]
        ext = contact.get("external_id")
        if ext and self.by_external_id.get(str(ext)) == cid:
            del self.by_external_id[str(ext)]
        email = contact.get("email")
        if email:
            ids = self.by_email.get(email.lower())
            if ids and cid in ids:
                ids.remove(cid)
                if not ids:
                    del self.by_email[email.lower()]

    def add_contact(self, contact: dict[str, Any]) -> dict[str, Any]:
        self.contacts[contact["id"]] = contact
        self.contact_seq.append(contact["id"])
        self.index_contact(contact)
        return contact

    def remove_contact(self, cid: str) -> dict[str, Any] | None:
        contact = self.contacts.pop(cid, None)
        if contact is None:
            return None
        self.unindex_contact(contact)
        self.archived.discard(cid)
        self.contact_tags.pop(cid, None)
        for comp in self.contact_companies.pop(cid, []):
            self.company_contacts.get(comp, set()).discard(cid)
        for nid in self.contact_notes.pop(cid, []):
            self.notes.pop(nid, None)
        self.events.pop(cid, None)
        self.event_summaries.pop(cid, None)
        return contact

    # -- merging a lead into a user (POST /contacts/merge)
    def merge_problem(self, lead: dict[str, Any], user: dict[str, Any],
                      skip_duplicate_validation: bool) -> str | None:
        """Why ``lead`` cannot be merged into ``user`` (``invalid_merge``), or None."""
        if lead["id"] == user["id"]:
            return "A contact cannot be merged into itself"
        if lead["role"] != "lead":
            return "Only a contact with a role of lead can be merged (from)"
        if user["role"] != "user":
            return "A lead can only be merged into a contact with a role of user (into)"
        if not skip_duplicate_validation:
            same_email = bool(lead.get("email")) and \
                str(lead["email"]).lower() == str(user.get("email") or "").lower()
            same_phone = bool(lead.get("phone")) and lead["phone"] == user.get("phone")
            if not (same_email or same_phone):
                return ("Contacts can only be merged when they are duplicates (matching email "
                        "or phone). Pass skip_duplicate_validation=true to override this check.")
        return None

    _MERGE_FILLS = ("email", "email_domain", "phone", "name", "avatar", "owner_id",
                    "language_override", "browser", "browser_version", "browser_language", "os")
    _MERGE_LATEST = ("last_seen_at", "last_replied_at", "last_contacted_at",
                     "last_email_opened_at", "last_email_clicked_at")

    def merge_contacts(self, lead_id: str, user_id: str, ts: int) -> dict[str, Any]:
        """Move the lead's data to the user and remove the lead. The user's own values win;
        the lead fills what the user lacks; tags, notes, companies, conversations and events
        move over."""
        lead, user = self.contacts[lead_id], self.contacts[user_id]
        self.unindex_contact(user)
        for key in self._MERGE_FILLS:
            if user.get(key) in (None, "") and lead.get(key) not in (None, ""):
                user[key] = lead[key]
        for key in self._MERGE_LATEST:
            times = [t for t in (user.get(key), lead.get(key)) if t is not None]
            user[key] = max(times) if times else None
        if not any((user.get("location") or {}).get(k) for k in ("country", "city")):
            user["location"] = dict(lead.get("location") or user.get("location") or {})
        for key, value in lead["custom_attributes"].items():
            if user["custom_attributes"].get(key) is None:
                user["custom_attributes"][key] = value
        user_tags = self.contact_tags.setdefault(user_id, {})
        for tid, applied in self.contact_tags.get(lead_id, {}).items():
            user_tags.setdefault(tid, applied)
        for kid in list(self.contact_companies.get(lead_id, [])):
            self.attach_company(user_id, kid)
        moved_notes = self.contact_notes.pop(lead_id, [])
        for nid in moved_notes:
            self.notes[nid]["contact"] = {"type": "contact", "id": user_id}
        notes = self.contact_notes.setdefault(user_id, [])
        notes.extend(moved_notes)
        notes.sort(key=lambda n: (self.notes[n]["created_at"], int(n)))
        for members in self.conversation_contacts.values():
            if lead_id in members:
                i = members.index(lead_id)
                if user_id in members:
                    del members[i]
                else:
                    members[i] = user_id
        self._merge_events(lead_id, user)
        self.remove_contact(lead_id)
        self.merged[lead_id] = user_id
        if lead.get("external_id") and lead["external_id"] not in self.by_external_id:
            self.merged_external_ids[str(lead["external_id"])] = lead_id
        self.index_contact(user)
        user["updated_at"] = max(user["updated_at"], ts)
        return user

    def _merge_events(self, lead_id: str, user: dict[str, Any]) -> None:
        user_id = user["id"]
        events = self.events.pop(lead_id, [])
        for event in events:
            event.update(intercom_user_id=user_id, user_id=user.get("external_id"),
                         email=user.get("email"))
        self.events.setdefault(user_id, []).extend(events)
        summaries = self.event_summaries.setdefault(user_id, {})
        for name, s in self.event_summaries.pop(lead_id, {}).items():
            cur = summaries.get(name)
            if cur is None:
                summaries[name] = s
            else:
                cur.update(count=cur["count"] + s["count"], first=min(cur["first"], s["first"]),
                           last=max(cur["last"], s["last"]))

    def merged_into(self, cid: str) -> str | None:
        """The contact a merged contact now lives in (following up to 3 merges), or None."""
        target = None
        for _ in range(3):
            if cid not in self.merged:
                break
            target = cid = self.merged[cid]
        return target

    def find_contact_by_email(self, email: str) -> dict[str, Any] | None:
        ids = self.by_email.get(str(email).lower())
        return self.contacts.get(ids[0]) if ids else None

    def iter_contacts(self, include_archived: bool = False):
        contacts, archived = self.contacts, self.archived
        for cid in self.contact_seq:
            c = contacts.get(cid)
            if c is not None and (include_archived or cid not in archived):
                yield c

    def visible_contact_count(self) -> int:
        return len(self.contacts) - len(self.archived)

    def touch_contact(self, cid: str, ts: int | None = None) -> None:
        c = self.contacts.get(cid)
        if c is not None:
            c["updated_at"] = max(c["updated_at"], ts if ts is not None else now())

    def render_contact(self, c: dict[str, Any]) -> dict[str, Any]:
        cid = c["id"]
        out = c.copy()
        tags = self.contact_tags.get(cid)
        if tags:
            ids = list(tags)
            tag_data = [{"type": "tag", "id": t, "url": f"/tags/{t}"} for t in ids[:EMBED_LIMIT]]
            n_tags = len(ids)
        else:
            tag_data, n_tags = [], 0
        out["tags"] = {"type": "list", "data": tag_data, "url": f"/contacts/{cid}/tags",
                       "total_count": n_tags, "has_more": n_tags > EMBED_LIMIT}
        notes = self.contact_notes.get(cid)
        if notes:
            recent = notes[::-1]
            note_data = [{"type": "note", "id": n, "url": f"/notes/{n}"}
                         for n in recent[:EMBED_LIMIT]]
            n_notes = len(notes)
        else:
            note_data, n_notes = [], 0
        out["notes"] = {"type": "list", "data": note_data, "url": f"/contacts/{cid}/notes",
                        "total_count": n_notes, "has_more": n_notes > EMBED_LIMIT}
        comps = self.contact_companies.get(cid)
        if comps:
            comp_data = [{"id": k, "type": "company", "url": f"/companies/{k}"}
                         for k in comps[:EMBED_LIMIT]]
            n_comps = len(comps)
        else:
            comp_data, n_comps = [], 0
        out["companies"] = {"type": "list", "data": comp_data,
                            "url": f"/contacts/{cid}/companies",
                            "total_count": n_comps, "has_more": n_comps > EMBED_LIMIT}
        subs = f"/contacts/{cid}/subscriptions"
        out["opted_out_subscription_types"] = {"type": "list", "data": [], "url": subs,
                                               "total_count": 0, "has_more": False}
        out["opted_in_subscription_types"] = {"type": "list", "data": [], "url": subs,
                                              "total_count": 0, "has_more": False}
        return out

    def contact_reference(self, cid: str) -> dict[str, Any]:
        c = self.contacts.get(cid)
        return {"type": "contact", "id": cid, "external_id": c.get("external_id") if c else None}

    # ------------------------------------------------------------------ tags
    def find_tag_by_name(self, name: str) -> dict[str, Any] | None:
        for tag in self.tags.values():
            if tag["name"] == name:
                return tag
        return None

    def create_tag(self, name: str) -> dict[str, Any]:
        tid = self.next_id("tag")
        tag = {"type": "tag", "id": tid, "name": name}
        self.tags[tid] = tag
        return tag

    @staticmethod
    def applied(ts: int, admin_id: str | None) -> dict[str, Any]:
        return {"applied_at": ts,
                "applied_by": {"type": "admin", "id": admin_id} if admin_id else None}

    def render_applied_tag(self, tid: str, applied: dict[str, Any] | None) -> dict[str, Any]:
        tag = self.tags[tid]
        out = {"type": "tag", "id": tid, "name": tag["name"]}
        if applied is not None:
            out["applied_at"] = applied["applied_at"]
            out["applied_by"] = applied["applied_by"]
        return out

    def remove_tag(self, tid: str) -> None:
        self.tags.pop(tid, None)
        for mapping in (self.contact_tags, self.conversation_tags, self.company_tags):
            for tags in mapping.values():
                tags.pop(tid, None)

    # ------------------------------------------------------------------ admins / teams
    def render_admin(self, admin: dict[str, Any], avatar: bool = False) -> dict[str, Any]:
        out = {k: v for k, v in admin.items() if k != "avatar"}
        if avatar:
            out["avatar"] = {"type": "avatar", "image_url": admin.get("avatar")}
        return out

    def admin_author(self, aid: str) -> dict[str, Any]:
        a = self.admins.get(str(aid))
        return {"type": "admin", "id": str(aid), "name": a["name"] if a else None,
                "email": a["email"] if a else None}

    def note_author(self, aid: str) -> dict[str, Any]:
        a = self.admins.get(str(aid))
        if a is None:
            return {"type": "admin", "id": str(aid)}
        return {"type": "admin", "id": a["id"], "name": a["name"], "email": a["email"],
                "away_mode_enabled": a["away_mode_enabled"],
                "away_mode_reassign": a["away_mode_reassign"]}

    def contact_author(self, cid: str) -> dict[str, Any]:
        c = self.contacts.get(cid)
        role = c["role"] if c else "user"
        return {"id": cid, "type": role, "name": c.get("name") if c else None,
                "email": c.get("email") if c else None}

    # ------------------------------------------------------------------ notes
    def add_note(self, cid: str, admin_id: str, body: str, ts: int) -> dict[str, Any]:
        nid = self.next_id("note")
        note = {"type": "note", "id": nid, "created_at": ts,
                "contact": {"type": "contact", "id": cid}, "author_id": admin_id,
                "body": html_body(body)}
        self.notes[nid] = note
        self.contact_notes.setdefault(cid, []).append(nid)
        return note

    def render_note(self, note: dict[str, Any]) -> dict[str, Any]:
        return {"type": "note", "id": note["id"], "created_at": note["created_at"],
                "contact": note["contact"], "author": self.note_author(note["author_id"]),
                "body": note["body"]}

    # ------------------------------------------------------------------ companies
    def add_company(self, company: dict[str, Any]) -> dict[str, Any]:
        self.companies[company["id"]] = company
        self.company_by_company_id[company["company_id"]] = company["id"]
        self.company_contacts.setdefault(company["id"], set())
        return company

    def remove_company(self, kid: str) -> dict[str, Any] | None:
        company = self.companies.pop(kid, None)
        if company is None:
            return None
        self.company_by_company_id.pop(company["company_id"], None)
        for cid in self.company_contacts.pop(kid, set()):
            comps = self.contact_companies.get(cid)
            if comps and kid in comps:
                comps.remove(kid)
        self.company_tags.pop(kid, None)
        return company

    def attach_company(self, cid: str, kid: str) -> None:
        comps = self.contact_companies.setdefault(cid, [])
        if kid not in comps:
            comps.append(kid)
        self.company_contacts.setdefault(kid, set()).add(cid)

    def detach_company(self, cid: str, kid: str) -> None:
        comps = self.contact_companies.get(cid)
        if comps and kid in comps:
            comps.remove(kid)
        self.company_contacts.get(kid, set()).discard(cid)

    def render_company(self, k: dict[str, Any]) -> dict[str, Any]:
        out = k.copy()
        kid = k["id"]
        out["user_count"] = len(self.company_contacts.get(kid, ()))
        tags = self.company_tags.get(kid) or {}
        out["tags"] = {"type": "tag.list",
                       "tags": [{"type": "tag", "id": t, "name": self.tags[t]["name"]}
                                for t in tags if t in self.tags]}
        out["segments"] = {"type": "segment.list", "segments": []}
        return out

    # ------------------------------------------------------------------ segments
    def segment_matches(self, sid: str, c: dict[str, Any]) -> bool:
        rule = self.segment_rules.get(sid)
        if rule is None:
            return False
        kind, arg = rule
        if kind == "role":
            return c["role"] == arg
        if kind == "seen_within":
            return c["role"] == "user" and (c.get("last_seen_at") or 0) >= self.anchor - arg
        if kind == "not_seen_within":
            seen = c.get("last_seen_at")
            return c["role"] == "user" and seen is not None and seen < self.anchor - arg
        if kind == "created_within":
            return c["created_at"] >= self.anchor - arg
        if kind == "custom_in":
            key, values = arg
            return c["custom_attributes"].get(key) in values
        if kind == "tag":
            return arg in self.contact_tags.get(c["id"], {})
        return False

    def contact_segment_ids(self, c: dict[str, Any]) -> list[str]:
        return [sid for sid in self.segments if self.segment_matches(sid, c)]

    def render_segment(self, seg: dict[str, Any], count: bool = False) -> dict[str, Any]:
        out = seg.copy()
        if count:
            out["count"] = sum(1 for c in self.iter_contacts() if self.segment_matches(seg["id"], c))
        return out

    # ------------------------------------------------------------------ data attributes
    def attributes_for(self, model: str) -> list[dict[str, Any]]:
        return [a for a in self.data_attributes if a["model"] == model]

    def custom_attribute(self, model: str, name: str) -> dict[str, Any] | None:
        for a in self.data_attributes:
            if a["model"] == model and a["custom"] and a["name"] == name:
                return a
        return None

    def custom_attribute_types(self, model: str) -> dict[str, str]:
        return {a["name"]: a["data_type"] for a in self.data_attributes
                if a["model"] == model and a["custom"] and not a["archived"]}

    # ------------------------------------------------------------------ conversations
    def add_conversation(self, conv: dict[str, Any], contact_ids: list[str]) -> dict[str, Any]:
        self.conversations[conv["id"]] = conv
        self.conversation_seq.append(conv["id"])
        self.conversation_contacts[conv["id"]] = list(contact_ids)
        self.conversation_parts.setdefault(conv["id"], [])
        self.conversation_tags.setdefault(conv["id"], {})
        return conv

    def remove_conversation(self, conv_id: str) -> dict[str, Any] | None:
        conv = self.conversations.pop(conv_id, None)
        if conv is not None:
            self.conversation_contacts.pop(conv_id, None)
            self.conversation_parts.pop(conv_id, None)
            self.conversation_tags.pop(conv_id, None)
        return conv

    def iter_conversations(self):
        convs = self.conversations
        for conv_id in self.conversation_seq:
            conv = convs.get(conv_id)
            if conv is not None:
                yield conv

    def add_part(self, conv: dict[str, Any], part_type: str, author: dict[str, Any],
                 ts: int, body: str | None = None,
                 assigned_to: dict[str, Any] | None = None) -> dict[str, Any]:
        part = {
            "type": "conversation_part", "id": self.next_id("part"), "part_type": part_type,
            "body": html_body(body) if body else None, "created_at": ts, "updated_at": ts,
            "notified_at": ts, "assigned_to": assigned_to, "author": author, "attachments": [],
            "external_id": None, "redacted": False, "metadata": {},
            "email_message_metadata": None, "state": conv["state"], "tags": [],
            "event_details": None, "app_package_code": None,
        }
        self.conversation_parts[conv["id"]].append(part)
        conv["updated_at"] = max(conv["updated_at"], ts)
        return part

    def conversation_statistics(self, conv: dict[str, Any]) -> dict[str, Any]:
        parts = self.conversation_parts.get(conv["id"], [])
        contact_ts = [p["created_at"] for p in parts
                      if p["author"]["type"] in ("user", "lead", "contact")]
        if conv["source"]["author"]["type"] in ("user", "lead", "contact"):
            contact_ts.insert(0, conv["created_at"])
        admin_replies = [p["created_at"] for p in parts
                         if p["author"]["type"] == "admin" and p["part_type"] == "comment"]
        closes = [p for p in parts if p["part_type"] == "close"]
        assigns = [p["created_at"] for p in parts
                   if p["part_type"] in ("assignment", "assign_and_reopen")]
        reopens = sum(1 for p in parts if p["part_type"] in ("open", "assign_and_reopen"))
        first_contact = contact_ts[0] if contact_ts else None
        first_admin = admin_replies[0] if admin_replies else None
        return {
            "type": "conversation_statistics",
            "time_to_assignment": (assigns[0] - first_contact)
            if assigns and first_contact is not None else None,
            "time_to_admin_reply": (first_admin - first_contact)
            if first_admin is not None and first_contact is not None else None,
            "time_to_first_close": (closes[0]["created_at"] - conv["created_at"])
            if closes else None,
            "time_to_last_close": (closes[-1]["created_at"] - conv["created_at"])
            if closes else None,
            "median_time_to_reply": None,
            "first_contact_reply_at": first_contact,
            "first_assignment_at": assigns[0] if assigns else None,
            "first_admin_reply_at": first_admin,
            "first_close_at": closes[0]["created_at"] if closes else None,
            "last_assignment_at": assigns[-1] if assigns else None,
            "last_assignment_admin_reply_at": None,
            "last_contact_reply_at": contact_ts[-1] if contact_ts else None,
            "last_admin_reply_at": admin_replies[-1] if admin_replies else None,
            "last_close_at": closes[-1]["created_at"] if closes else None,
            "last_closed_by_id": closes[-1]["author"]["id"] if closes else None,
            "count_reopens": reopens,
            "count_assignments": len(assigns),
            "count_conversation_parts": len(parts),
        }

    def render_conversation(self, conv: dict[str, Any], parts: bool = True) -> dict[str, Any]:
        conv_id = conv["id"]
        out = conv.copy()
        out["contacts"] = {"type": "contact.list",
                           "contacts": [self.contact_reference(cid)
                                        for cid in self.conversation_contacts.get(conv_id, [])]}
        tags = self.conversation_tags.get(conv_id) or {}
        out["tags"] = {"type": "tag.list",
                       "tags": [self.render_applied_tag(t, a) for t, a in tags.items()
                                if t in self.tags]}
        conv_parts = self.conversation_parts.get(conv_id, [])
        mates: list[str] = []
        if conv["source"]["author"]["type"] == "admin":
            mates.append(conv["source"]["author"]["id"])
        for p in conv_parts:
            if p["author"]["type"] == "admin" and p["author"]["id"] not in mates:
                mates.append(p["author"]["id"])
        out["teammates"] = {"type": "admin.list",
                            "teammates": [{"type": "admin", "id": a} for a in mates]}
        out["statistics"] = self.conversation_statistics(conv)
        if parts:
            out["conversation_parts"] = {"type": "conversation_part.list",
                                         "conversation_parts": list(conv_parts),
                                         "total_count": len(conv_parts)}
        return out

    # ------------------------------------------------------------------ events
    def list_events(self, cid: str, since_ms: int | None = None) -> list[dict[str, Any]]:
        """A contact's events, newest first; ``since_ms``: only those at or after it."""
        events = self.events.get(cid, [])
        if since_ms is not None:
            events = [e for e in events if e["created_at"] * 1000 >= since_ms]
        return sorted(events, key=lambda e: e["created_at"], reverse=True)

    def add_event(self, cid: str, name: str, ts: int, metadata: dict[str, Any] | None,
                  ) -> dict[str, Any]:
        c = self.contacts[cid]
        self._counters["event"] += 1
        event = {"type": "event", "id": f"{ts & 0xFFFFFFFF:08x}{self._counters['event']:016x}",
                 "event_name": name, "created_at": ts, "user_id": c.get("external_id"),
                 "email": c.get("email"), "intercom_user_id": cid, "metadata": metadata or {}}
        self.events.setdefault(cid, []).append(event)
        summary = self.event_summaries.setdefault(cid, {}).get(name)
        if summary is None:
            self.event_summaries[cid][name] = {"name": name, "first": ts, "last": ts, "count": 1,
                                               "description": None}
        else:
            summary["count"] += 1
            summary["first"] = min(summary["first"], ts)
            summary["last"] = max(summary["last"], ts)
        return event

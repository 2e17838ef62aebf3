"""Conversation part of the Intercom simulator's backend: conversations, their parts and
statistics."""

from __future__ import annotations

from typing import Any

from .state_people import PeopleState
from .store import html_body


class ConversationState(PeopleState):
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

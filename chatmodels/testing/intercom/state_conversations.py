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

    def new_conversation(self, cid: str, body: str, ts: int, author: dict[str, Any],
                         delivered_as: str, source_type: str = "conversation",
                         subject: str = "") -> tuple[dict[str, Any], str]:
        """A conversation started by a contact (``customer_initiated``) or an admin; returns it and
        its source message id."""
        msg_id = self.next_id("message")
        conv_id = self.next_id("conversation")
        customer = delivered_as == "customer_initiated"
        conv: dict[str, Any] = {
            "type": "conversation", "id": conv_id, "title": None, "created_at": ts,
            "updated_at": ts, "waiting_since": ts if customer else None, "snoozed_until": None,
            "source": {"type": source_type, "id": msg_id, "delivered_as": delivered_as,
                       "subject": subject or "", "body": html_body(body), "author": author,
                       "attachments": [], "url": None, "redacted": False},
            "first_contact_reply": {"created_at": ts, "type": source_type, "url": None}
            if customer else None,
            "admin_assignee_id": 0, "team_assignee_id": 0, "open": True, "state": "open",
            "read": False, "priority": "none", "sla_applied": None, "conversation_rating": None,
            "custom_attributes": {}, "topics": {}, "ticket": None,
            "linked_objects": {"type": "list", "data": [], "total_count": 0, "has_more": False},
            "ai_agent": None, "ai_agent_participated": False,
        }
        self.add_conversation(conv, [cid])
        if customer:
            c = self.contacts[cid]
            c["last_replied_at"] = ts
        else:
            self.contacts[cid]["last_contacted_at"] = ts
        self.touch_contact(cid, ts)
        return conv, msg_id

    def latest_conversation_of(self, cid: str) -> dict[str, Any] | None:
        """The contact's most recently updated conversation (``/conversations/last/reply``)."""
        mine = [cv for cv in self.conversations.values()
                if cid in self.conversation_contacts.get(cv["id"], [])]
        return max(mine, key=lambda cv: (cv["updated_at"], int(cv["id"]))) if mine else None

    def admin_reply(self, conv: dict[str, Any], aid: str, message_type: str,
                    body: str | None, ts: int) -> dict[str, Any]:
        part = self.add_part(conv, message_type, self.admin_author(aid), ts, body=body)
        if message_type == "comment":
            conv["waiting_since"] = None
            for cid in self.conversation_contacts.get(conv["id"], []):
                if cid in self.contacts:
                    self.contacts[cid]["last_contacted_at"] = ts
        return part

    def contact_reply(self, conv: dict[str, Any], cid: str, message_type: str,
                      body: str | None, ts: int) -> dict[str, Any]:
        """A contact's reply; it reopens a closed or snoozed conversation."""
        reopen = conv["state"] != "open"
        if reopen:
            self._set_state(conv, "open")
        part = self.add_part(conv, "open" if reopen else message_type, self.contact_author(cid),
                             ts, body=body)
        if conv["first_contact_reply"] is None:
            conv["first_contact_reply"] = {"created_at": ts, "type": "conversation", "url": None}
        conv["waiting_since"] = conv["waiting_since"] or ts
        contacts = self.conversation_contacts.setdefault(conv["id"], [])
        if cid not in contacts:
            contacts.append(cid)
        self.contacts[cid]["last_replied_at"] = ts
        self.touch_contact(cid, ts)
        return part

    @staticmethod
    def _set_state(conv: dict[str, Any], state: str, snoozed_until: int | None = None) -> None:
        conv["state"], conv["open"] = state, state != "closed"
        conv["snoozed_until"] = snoozed_until

    def close_conversation(self, conv: dict[str, Any], aid: str, ts: int,
                           body: str | None = None) -> None:
        self._set_state(conv, "closed")
        conv["waiting_since"] = None
        self.add_part(conv, "close", self.admin_author(aid), ts, body=body)

    def open_conversation(self, conv: dict[str, Any], aid: str, ts: int,
                          body: str | None = None) -> None:
        self._set_state(conv, "open")
        self.add_part(conv, "open", self.admin_author(aid), ts, body=body)

    def snooze_conversation(self, conv: dict[str, Any], aid: str, ts: int, until: int,
                            body: str | None = None) -> None:
        self._set_state(conv, "snoozed", until)
        self.add_part(conv, "snoozed", self.admin_author(aid), ts, body=body)

    def assign_conversation(self, conv: dict[str, Any], aid: str, ts: int, target: str,
                            assignee: str, body: str | None = None) -> None:
        """Assign to an admin or a team (``assignee`` ``"0"``: unassign); reopens if closed."""
        key = "admin_assignee_id" if target == "admin" else "team_assignee_id"
        conv[key] = int(assignee)  # 0: unassigned, as 2.16 sends it
        reopen = conv["state"] == "closed"
        if reopen:
            self._set_state(conv, "open")
        self.add_part(conv, "assign_and_reopen" if reopen else "assignment",
                      self.admin_author(aid), ts, body=body,
                      assigned_to=None if assignee == "0" else {"type": target, "id": assignee})

    def tag_conversation(self, conv: dict[str, Any], tid: str, aid: str, ts: int,
                         ) -> dict[str, Any]:
        tags = self.conversation_tags.setdefault(conv["id"], {})
        if tid not in tags:
            tags[tid] = self.applied(ts, aid)
        conv["updated_at"] = max(ts, conv["updated_at"])
        return tags[tid]

    def untag_conversation(self, conv: dict[str, Any], tid: str, ts: int,
                           ) -> dict[str, Any] | None:
        applied = self.conversation_tags.get(conv["id"], {}).pop(tid, None)
        conv["updated_at"] = max(ts, conv["updated_at"])
        return applied

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

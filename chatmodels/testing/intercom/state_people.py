"""People part of the Intercom simulator's backend: contacts (and merging them), notes,
segments (rules over contacts) and data events."""

from __future__ import annotations

from typing import Any

from .state_directory import DirectoryState
from .store import EMBED_LIMIT, html_body, now


class PeopleState(DirectoryState):
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

    # -- contact writes (the handlers have checked the request)
    def contact_conflict(self, role: str, email: Any, external_id: Any,
                         exclude: str | None = None) -> str | None:
        """The id of another contact holding this external_id (or, for users, email)."""
        if external_id not in (None, ""):
            other = self.by_external_id.get(str(external_id))
            if other and other != exclude:
                return other
        if email and role == "user":
            for other in self.by_email.get(str(email).lower(), []):
                if other != exclude and self.contacts[other]["role"] == "user":
                    return other
        return None

    def new_contact(self, role: str, fields: dict[str, Any], ts: int) -> dict[str, Any]:
        cid = self.object_id(ts)
        c: dict[str, Any] = {
            "type": "contact", "id": cid, "workspace_id": self.workspace_id,
            "external_id": None,
            "role": role, "email": None, "email_domain": None, "phone": None, "name": None,
            "avatar": None, "owner_id": None, "social_profiles": {"type": "list", "data": []},
            "has_hard_bounced": False, "marked_email_as_spam": False,
            "unsubscribed_from_emails": False, "created_at": ts, "updated_at": ts,
            "signed_up_at": ts if role == "user" else None, "last_seen_at": None,
            "last_replied_at": None, "last_contacted_at": None, "last_email_opened_at": None,
            "last_email_clicked_at": None, "language_override": None, "browser": None,
            "browser_version": None, "browser_language": None, "os": None,
            "location": {"type": "location", "country": None, "region": None, "city": None,
                         "country_code": None, "continent_code": None},
            "android_app_name": None, "android_app_version": None, "android_device": None,
            "android_os_version": None, "android_sdk_version": None, "android_last_seen_at": None,
            "ios_app_name": None, "ios_app_version": None, "ios_device": None,
            "ios_os_version": None, "ios_sdk_version": None, "ios_last_seen_at": None,
            "custom_attributes": {}, "utm_campaign": None, "utm_content": None, "utm_medium": None,
            "utm_source": None, "utm_term": None, "referrer": None, "enabled_push_messaging": None,
        }
        self.apply_contact_fields(c, fields)
        c["role"] = role
        return self.add_contact(c)

    def update_contact(self, c: dict[str, Any], fields: dict[str, Any], ts: int,
                       ) -> dict[str, Any]:
        self.unindex_contact(c)
        self.apply_contact_fields(c, fields)
        self.index_contact(c)
        c["updated_at"] = max(ts, c["updated_at"])
        return c

    @staticmethod
    def apply_contact_fields(c: dict[str, Any], body: dict[str, Any]) -> None:
        for key in ("role", "name", "phone", "language_override"):
            if key in body:
                c[key] = body[key]
        if "external_id" in body:
            c["external_id"] = None if body["external_id"] in (None, "") else str(body["external_id"])
        if "email" in body:
            email = body["email"] or None
            c["email"] = email
            c["email_domain"] = email.split("@", 1)[1] if email and "@" in email else None
        if "avatar" in body:
            c["avatar"] = {"type": "avatar", "image_url": body["avatar"]} if body["avatar"] else None
        if "owner_id" in body:
            c["owner_id"] = None if body["owner_id"] in (None, "") else str(body["owner_id"])
        for key in ("signed_up_at", "last_seen_at"):
            if key in body:
                c[key] = None if body[key] is None else int(body[key])
        if "unsubscribed_from_emails" in body:
            c["unsubscribed_from_emails"] = bool(body["unsubscribed_from_emails"])
        if body.get("custom_attributes"):
            c["custom_attributes"].update(body["custom_attributes"])

    def tag_contact(self, cid: str, tid: str, admin_id: str | None, ts: int) -> dict[str, Any]:
        tags = self.contact_tags.setdefault(cid, {})
        if tid not in tags:
            tags[tid] = self.applied(ts, admin_id)
        self.touch_contact(cid, ts)
        return tags[tid]

    def untag_contact(self, cid: str, tid: str, ts: int) -> dict[str, Any] | None:
        applied = self.contact_tags.get(cid, {}).pop(tid, None)
        self.touch_contact(cid, ts)
        return applied

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
        self.add_event_summary(cid, name, 1, ts, ts)
        return event

    def add_event_summary(self, cid: str, name: str, count: int, first: int, last: int) -> None:
        """Count ``count`` more ``name`` events between ``first`` and ``last`` for a contact."""
        summary = self.event_summaries.setdefault(cid, {}).get(name)
        if summary is None:
            self.event_summaries[cid][name] = {"name": name, "first": first, "last": last,
                                               "count": count, "description": None}
        else:
            summary["count"] += count
            summary["first"] = min(summary["first"], first)
            summary["last"] = max(summary["last"], last)

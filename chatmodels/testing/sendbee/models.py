"""In-memory backend of the Sendbee simulator: one business number and everything in it.

Records are plain dicts; the ``*_view`` methods build the JSON Sendbee answers (fresh copies, so
an answer never aliases the state). Times are kept as unix seconds and answered as
``"YYYY-MM-DD HH:MM:SS"`` UTC strings (message ``sent_at``: unix seconds).
"""

from __future__ import annotations

import datetime as dt
import random
import re
import time
import uuid
from typing import Any

from ..base import SimError

__all__ = ["FIELD_TYPES", "FOLDERS", "SendbeeState", "WINDOW", "fmt_time", "new_uuid"]

FOLDERS = ("open", "done", "spam", "notified")
FIELD_TYPES = ("text", "number", "list", "date", "boolean")
#: the WhatsApp customer-care window, in seconds
WINDOW = 24 * 3600
_PHONE = re.compile(r"^\+[1-9]\d{6,14}$")
_PLACEHOLDER = re.compile(r"\{\{\s*([^}\s]+)\s*\}\}")


def new_uuid(rng: random.Random | None = None) -> str:
    if rng is None:
        return str(uuid.uuid4())
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def fmt_time(ts: float | None) -> str | None:
    if ts is None:
        return None
    return dt.datetime.fromtimestamp(int(ts), tz=dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def invalid(detail: str) -> SimError:
    return SimError(400, "validation_error", detail)


def not_found(what: str) -> SimError:
    return SimError(404, "not_found", f"{what} not found")


class SendbeeState:
    """Everything the simulated business number holds."""

    def __init__(self) -> None:
        self.contacts: dict[str, dict[str, Any]] = {}
        self.phones: dict[str, str] = {}  # phone -> contact id
        self.tags: dict[str, dict[str, Any]] = {}
        self.fields: dict[str, dict[str, Any]] = {}
        self.conversations: dict[str, dict[str, Any]] = {}
        self.by_contact: dict[str, str] = {}  # contact id -> conversation id
        self.messages: dict[str, list[dict[str, Any]]] = {}
        self.templates: list[dict[str, Any]] = []
        self.teams: dict[str, dict[str, Any]] = {}
        self.members: dict[str, dict[str, Any]] = {}
        self._last_ts = 0.0
        #: webhook payloads of changes made through the API (``SendbeeSimulator.outbox``)
        self.events: list[dict[str, Any]] = []
        #: called with each payload recorded (the simulator delivers it to its subscribers)
        self.on_emit: Any = None

    def now(self) -> int:
        return int(time.time())

    def emit(self, kind: str, key: str, view: dict[str, Any]) -> None:
        """Record the webhook payload Sendbee would post for a change."""
        event = {"type": kind, "created_at": self.now(), key: view}
        self.events.append(event)
        if self.on_emit is not None:
            self.on_emit(event)

    # ------------------------------------------------------------------ tags and fields
    def tag_named(self, name: str, create: bool = False) -> dict[str, Any] | None:
        for tag in self.tags.values():
            if tag["name"] == name:
                return tag
        if not create:
            return None
        return self.add_tag(name)

    def _tag_id(self, name: str) -> str:
        tag = self.tag_named(name, create=True)
        assert tag is not None
        return str(tag["id"])

    def add_tag(self, name: str, rng: random.Random | None = None) -> dict[str, Any]:
        if not isinstance(name, str) or not name.strip():
            raise invalid("The name field is required.")
        if self.tag_named(name) is not None:
            raise invalid(f"Tag '{name}' already exists.")
        tag: dict[str, Any] = {"id": new_uuid(rng), "name": name, "editable": True, "disable_contact": False,
               "icons": []}
        self.tags[tag["id"]] = tag
        return tag

    def field_named(self, name: str) -> dict[str, Any] | None:
        for field in self.fields.values():
            if field["name"] == name:
                return field
        return None

    def check_field(self, body: dict[str, Any], current: dict[str, Any] | None = None,
                    ) -> dict[str, Any]:
        name = body.get("name", (current or {}).get("name"))
        kind = body.get("type", (current or {}).get("type"))
        options = body.get("options", (current or {}).get("options") or [])
        if not isinstance(name, str) or not name.strip():
            raise invalid("The name field is required.")
        if kind not in FIELD_TYPES:
            raise invalid(f"The type must be one of: {', '.join(FIELD_TYPES)}.")
        if kind == "list":
            if not isinstance(options, list) or not options or not all(
                    isinstance(o, str) and o for o in options):
                raise invalid("A list field needs options (a list of names).")
        else:
            options = []
        other = self.field_named(name)
        if other is not None and (current is None or other["id"] != current["id"]):
            raise invalid(f"Contact field '{name}' already exists.")
        return {"name": name, "type": kind, "options": list(options)}

    # ------------------------------------------------------------------ contacts
    def add_contact(self, phone: str, *, name: str | None = None, created: float | None = None,
                    rng: random.Random | None = None) -> dict[str, Any]:
        ts = created if created is not None else self.now()
        contact: dict[str, Any] = {"id": new_uuid(rng), "name": name, "phone": phone,
                   "whatsapp_user_id": phone.lstrip("+"), "created_at": ts, "modified_at": ts,
                   "status": "subscribed", "has_messaging_consent": True, "tags": [],
                   "fields": {}, "notes": []}
        self.contacts[contact["id"]] = contact
        self.phones[phone] = contact["id"]
        return contact

    def check_phone(self, phone: Any) -> str:
        if not isinstance(phone, str) or not _PHONE.match(phone):
            raise invalid("The phone must be a number in international format (+385...).")
        return phone

    def apply_contact(self, contact: dict[str, Any], body: dict[str, Any]) -> list[str]:
        """Apply a subscribe/update body; return warnings (ignored contact fields)."""
        warnings: list[str] = []
        if "name" in body:
            if body["name"] is not None and not isinstance(body["name"], str):
                raise invalid("The name must be a string.")
            contact["name"] = body["name"]
        if "phone" in body and body["phone"] != contact["phone"]:
            phone = self.check_phone(body["phone"])
            if phone in self.phones:
                raise SimError(409, "conflict", "Another contact has this phone number.")
            del self.phones[contact["phone"]]
            contact["phone"] = phone
            self.phones[phone] = contact["id"]
        if "tags" in body and body["tags"] is not None:
            names = body["tags"]
            if not isinstance(names, list) or not all(isinstance(n, str) and n.strip()
                                                      for n in names):
                raise invalid("The tags must be a list of tag names.")
            contact["tags"] = list(dict.fromkeys(self._tag_id(n) for n in names))
        if "contact_fields" in body and body["contact_fields"] is not None:
            values = body["contact_fields"]
            if not isinstance(values, dict):
                raise invalid("The contact_fields must be an object of field names to values.")
            for key, value in values.items():
                field = self.field_named(key)
                if field is None:
                    warnings.append(f"Contact field '{key}' does not exist and was ignored.")
                    continue
                if value is None or value == "":
                    contact["fields"].pop(field["id"], None)
                    continue
                if isinstance(value, bool):
                    value = "true" if value else "false"
                if not isinstance(value, (str, int, float)):
                    raise invalid(f"The value of contact field '{key}' must be a scalar.")
                if field["type"] == "list" and str(value) not in field["options"]:
                    raise invalid(f"'{value}' is not an option of contact field '{key}'.")
                contact["fields"][field["id"]] = str(value)
        if "notes" in body and body["notes"] is not None:
            notes = body["notes"]
            if not isinstance(notes, list) or not all(isinstance(n, str) and n.strip()
                                                      for n in notes):
                raise invalid("The notes must be a list of strings.")
            for text in notes:
                contact["notes"].append({"id": new_uuid(), "value": text})
        contact["modified_at"] = self.now()
        return warnings

    def contact_view(self, contact: dict[str, Any]) -> dict[str, Any]:
        conv_id = self.by_contact.get(contact["id"])
        folder = self.conversations[conv_id]["folder"] if conv_id else None
        return {
            "id": contact["id"], "name": contact["name"], "phone": contact["phone"],
            "whatsapp_user_id": contact["whatsapp_user_id"],
            "created_at": fmt_time(contact["created_at"]),
            "modified_at": fmt_time(contact["modified_at"]),
            "has_messaging_consent": contact["has_messaging_consent"],
            "status": contact["status"], "folder": folder,
            "tags": [{"id": t, "name": self.tags[t]["name"]} for t in contact["tags"]
                     if t in self.tags],
            "contact_fields": [{"key": self.fields[f]["name"], "value": v}
                               for f, v in contact["fields"].items() if f in self.fields],
            "notes": [dict(n) for n in contact["notes"]],
        }

    # ------------------------------------------------------------------ conversations
    def add_conversation(self, contact: dict[str, Any], *, folder: str = "open",
                         created: float | None = None,
                         rng: random.Random | None = None) -> dict[str, Any]:
        conv: dict[str, Any] = {"id": new_uuid(rng), "contact_id": contact["id"],
                                "folder": folder,
                "chatbot_active": True, "platform": "whatsapp",
                "created_at": created if created is not None else self.now()}
        self.conversations[conv["id"]] = conv
        self.by_contact[contact["id"]] = conv["id"]
        self.messages[conv["id"]] = []
        return conv

    def conversation_for(self, contact: dict[str, Any]) -> dict[str, Any]:
        conv_id = self.by_contact.get(contact["id"])
        if conv_id is not None:
            return self.conversations[conv_id]
        return self.add_conversation(contact)

    def add_message(self, conv: dict[str, Any], *, body: str | None, direction: str,
                    sent_at: float | None = None, media_url: str | None = None,
                    media_type: str | None = None, agent_id: str | None = None,
                    status: str | None = None, rng: random.Random | None = None,
                    ) -> dict[str, Any]:
        ts = sent_at if sent_at is not None else self.now()
        contact_id = conv["contact_id"]
        message: dict[str, Any] = {"id": new_uuid(rng), "body": body, "media_type": media_type,
                   "media_url": media_url,
                   "status": status or ("received" if direction == "inbound" else "sent"),
                   "direction": direction, "sent_at": int(ts), "fail_reason": None,
                   "action": None, "meta_data": [],
                   "from_user_id": contact_id if direction == "inbound" else agent_id,
                   "to_user_id": None if direction == "inbound" else contact_id}
        self.messages[conv["id"]].append(message)
        return message

    def last_of(self, conv: dict[str, Any], direction: str) -> dict[str, Any] | None:
        for message in reversed(self.messages.get(conv["id"], [])):
            if message["direction"] == direction:
                return message
        return None

    def activity(self, conv: dict[str, Any]) -> int:
        messages = self.messages.get(conv["id"])
        return messages[-1]["sent_at"] if messages else int(conv["created_at"])

    def in_window(self, conv: dict[str, Any]) -> bool:
        inbound = self.last_of(conv, "inbound")
        return inbound is not None and self.now() - inbound["sent_at"] < WINDOW

    def conversation_view(self, conv: dict[str, Any]) -> dict[str, Any]:
        contact = self.contacts[conv["contact_id"]]
        messages = self.messages.get(conv["id"]) or []
        last = messages[-1] if messages else None
        inbound = self.last_of(conv, "inbound")
        outbound = self.last_of(conv, "outbound")
        return {
            "id": conv["id"], "folder": conv["folder"], "chatbot_active": conv["chatbot_active"],
            "platform": conv["platform"], "created_at": fmt_time(conv["created_at"]),
            "contact": {"id": contact["id"], "name": contact["name"], "phone": contact["phone"],
                        "whatsapp_user_id": contact["whatsapp_user_id"]},
            "last_message": {
                "direction": last["direction"] if last else None,
                "status": last["status"] if last else None,
                "inbound_sent_at": fmt_time(inbound["sent_at"]) if inbound else None,
                "outbound_sent_at": fmt_time(outbound["sent_at"]) if outbound else None,
            },
        }

    @staticmethod
    def message_view(message: dict[str, Any]) -> dict[str, Any]:
        return dict(message)

    # ------------------------------------------------------------------ templates
    def template(self, keyword: str, language: str) -> dict[str, Any] | None:
        for tpl in self.templates:
            if tpl["keyword"] == keyword and tpl["language"] == language:
                return tpl
        return None

    @staticmethod
    def render(template: dict[str, Any], tags: dict[str, Any]) -> str:
        return _PLACEHOLDER.sub(lambda m: str(tags.get(m.group(1), m.group(0))),
                                template["text"])

    @staticmethod
    def placeholders(text: str) -> list[str]:
        return list(dict.fromkeys(_PLACEHOLDER.findall(text)))

    # ------------------------------------------------------------------ teams
    def team_view(self, team: dict[str, Any]) -> dict[str, Any]:
        return {"id": team["id"], "name": team["name"],
                "members": [self.member_view(self.members[m], teams=False)
                            for m in team["member_ids"] if m in self.members]}

    def member_view(self, member: dict[str, Any], teams: bool = True) -> dict[str, Any]:
        view = {"id": member["id"], "name": member["name"], "role": member["role"],
                "online": member["online"], "available": member["available"]}
        if teams:
            view["teams"] = [{"id": t["id"], "name": t["name"]} for t in self.teams.values()
                             if member["id"] in t["member_ids"]]
        return view

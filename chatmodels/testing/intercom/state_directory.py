"""Directory part of the Intercom simulator's backend: tags, admins and teams, companies,
data attributes."""

from __future__ import annotations

from typing import Any

from .store import Store


class DirectoryState(Store):
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

    def apply_tag(self, tid: str, kind: str, targets: list[tuple[str, bool]],
                  admin_id: str | None, ts: int) -> list[dict[str, Any]]:
        """Tag (or, with ``untag``, untag) contacts or companies: ``POST /tags`` with
        ``users``/``companies``. Returns the ``{"id", "tagged"}`` list the API answers."""
        mapping = self.contact_tags if kind == "contact" else self.company_tags
        result = []
        for oid, untag in targets:
            tags = mapping.setdefault(oid, {})
            if untag:
                tags.pop(tid, None)
            elif tid not in tags:
                tags[tid] = self.applied(ts, admin_id)
            if kind == "contact" and oid in self.contacts:
                c = self.contacts[oid]
                c["updated_at"] = max(c["updated_at"], ts)
            result.append({"id": oid, "tagged": not untag})
        return result

    def tag_dependents(self, tid: str) -> list[str]:
        """Names of the segments whose rule uses this tag (it cannot be deleted then)."""
        return [self.segments[s]["name"] for s, rule in self.segment_rules.items()
                if rule == ("tag", tid) and s in self.segments]

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

    # ------------------------------------------------------------------ companies
    def blank_company(self, company_id: str, ts: int) -> dict[str, Any]:
        """A new company record, not stored yet (:meth:`add_company` stores it)."""
        return {"type": "company", "company_id": company_id, "id": self.object_id(ts),
                "app_id": self.workspace_id, "name": None, "remote_created_at": None,
                "created_at": ts, "updated_at": ts, "last_request_at": None, "monthly_spend": 0,
                "session_count": 0, "user_count": 0, "size": None, "website": None,
                "industry": None, "plan": {}, "custom_attributes": {}}

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

    # ------------------------------------------------------------------ data attributes
    def attributes_for(self, model: str) -> list[dict[str, Any]]:
        return [a for a in self.data_attributes if a["model"] == model]

    def custom_attribute(self, model: str, name: str) -> dict[str, Any] | None:
        for a in self.data_attributes:
            if a["model"] == model and a["custom"] and a["name"] == name:
                return a
        return None

    def attribute_named(self, name: str) -> dict[str, Any] | None:
        """A custom attribute, or a built-in one by full name, called ``name`` (any case)."""
        for a in self.data_attributes:
            if a["name"].lower() == name.lower() and (a["custom"] or a["full_name"] == name):
                return a
        return None

    def new_data_attribute(self, model: str, name: str, dtype: str, admin_id: str, ts: int, *,
                           options: list[Any] | None = None, description: str | None = None,
                           messenger_writable: bool = False) -> dict[str, Any]:
        """A custom data attribute (``options`` are stored as ``string`` with options,
        ``datetime`` as ``date``, as Intercom reports them)."""
        attr: dict[str, Any] = {
            "id": int(self.next_id("data_attribute")), "type": "data_attribute", "name": name,
            "full_name": f"custom_attributes.{name}", "label": name,
            "data_type": {"options": "string", "datetime": "date"}.get(dtype, dtype),
            "api_writable": True, "ui_writable": False,
            "messenger_writable": messenger_writable, "custom": True,
            "archived": False, "admin_id": admin_id, "created_at": ts, "updated_at": ts,
            "model": model,
        }
        if description:
            attr["description"] = description
        if options is not None:
            attr["options"] = self._option_values(options)
        self.data_attributes.append(attr)
        return attr

    def update_data_attribute(self, attr: dict[str, Any], fields: dict[str, Any],
                              ts: int) -> dict[str, Any]:
        if "options" in fields:
            attr["options"] = self._option_values(fields["options"])
        if "description" in fields:
            attr["description"] = fields["description"]
        for key in ("archived", "messenger_writable"):
            if key in fields:
                attr[key] = bool(fields[key])
        attr["updated_at"] = ts
        return attr

    @staticmethod
    def _option_values(options: list[Any]) -> list[str]:
        return [str(o.get("value")) if isinstance(o, dict) else str(o) for o in options]

    def custom_attribute_types(self, model: str) -> dict[str, str]:
        return {a["name"]: a["data_type"] for a in self.data_attributes
                if a["model"] == model and a["custom"] and not a["archived"]}

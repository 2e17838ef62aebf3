"""``--plan FILE``: the mapping file a run would use, written for the user to edit.

After a dry run, :func:`plan_text` lists every source field the run read (canonical fields,
custom attributes, provider-only fields), the values seen for states, priorities, roles and
event names, the tags and agents, each with where it lands on the target or why it does not
(the target's fidelity declarations, as comments). Every line it writes maps a name to itself,
so the file as written changes nothing; the rules of the mapping file the run used (if any)
are kept. :func:`chatmodels.migrate.mapping.parse` reads it back.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..errors import ConfigurationError
from . import fidelity
from .mapper import Mapper
from .mapping import (
    ATTRIBUTE_KINDS,
    FILTERS,
    KIND_CLASSES,
    NOT_MAPPABLE,
    VERSION,
    Filter,
    Rule,
)

_BARE = re.compile(r"^[A-Za-z0-9_-]+$")
#: engine kind the target's ``writes`` names for each section
WRITES = {"contacts": "contacts", "conversations": "conversations", "notes": "notes",
          "events": "events"}


def toml_key(name: str) -> str:
    return name if _BARE.match(name) else json.dumps(name, ensure_ascii=False)


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.timezone.utc).isoformat().replace("+00:00", "Z")
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value) if isinstance(value, (set, frozenset)) else value
        return "[" + ", ".join(toml_value(v) for v in items) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{toml_key(str(k))} = {toml_value(v)}"
                                for k, v in value.items()) + " }" if value else "{}"
    return json.dumps(str(value), ensure_ascii=False)


def _line(key: str, value: str, comment: str = "") -> str:
    line = f"{toml_key(key)} = {value}"
    return f"{line}  # {_one_line(comment)}" if comment else line


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def rule_value(rule: Rule, attribute: bool) -> str:
    """A rule as the TOML value that reads back as the same rule."""
    if rule.exclude:
        return "false"
    if rule.identity:
        return toml_value(rule.name) if attribute else "true"
    table: dict[str, Any] = {}
    for option in ("to", "type", "field", "attribute"):
        if getattr(rule, option):
            table[option] = getattr(rule, option)
    if rule.values:
        table["values"] = dict(rule.values)
    if rule.default is not None:
        table["default"] = rule.default
    return toml_value(table)


def _count(n: int, what: str) -> str:
    return f"{n} {what}{'' if n == 1 else 's'}"


def plan_text(mapper: Mapper, source: str, target: str) -> str:
    """The plan of a finished (dry) run of ``mapper`` from ``source`` to ``target`` (display
    names)."""
    return "\n".join(_Plan(mapper, source, target).lines()) + "\n"


class _Plan:
    def __init__(self, mapper: Mapper, source: str, target: str) -> None:
        self.m = mapper
        self.map = mapper.mapping
        self.source = source
        self.target = target
        self.declared: dict[tuple[str, str], list[str]] = {}
        for kind, decls in fidelity.declarations(mapper.writer).items():
            for decl in decls:
                for cond in decl.conditions:
                    self.declared.setdefault((kind, cond.field), []).append(decl.line)

    def why(self, kind: str, field: str) -> str:
        lines = self.declared.get((kind, field), [])
        return "; ".join(f"{self.target}: {line}" for line in dict.fromkeys(lines))

    def lines(self) -> list[str]:
        out = [
            f"# chatmodels migration mapping: {self.source} -> {self.target}",
            "# Written by `chatmodels migrate --plan` from a dry run: every source field the "
            "run read,",
            f"# where it lands on {self.target} or why it does not (the comments). As written "
            "it changes",
            "# nothing (each name maps to itself); edit it and pass it with --mapping FILE, "
            "--dry-run first.",
            "# Reference: docs/migration.md, \"Mapping file\".",
            f"version = {VERSION}", ""]
        out += self.agents() + self.teams() + self.tags()
        for section in KIND_CLASSES:
            out += self.section(section)
        return out

    def agents(self) -> list[str]:
        out = ["[agents]", "# source agent (id or email) = target agent (email or id); "
                           "without a line, agents are matched by email"]
        for sid, email, tid, overridden in self.m.seen_agents:
            key = email or sid
            wanted = self.map.agents.get(key) or self.map.agents.get(sid)
            if overridden and wanted:
                out.append(_line(key, toml_value(wanted), "set by the mapping file"))
            elif tid:
                out.append(_line(key, toml_value(email or tid), f"matched by email "
                                 f"(target agent {tid})"))
            else:
                out.append("# " + _line(key, '"TARGET AGENT EMAIL"', "no target agent with "
                                        "this email: its messages go to the default agent"))
        return out + [""]

    def teams(self) -> list[str]:
        out = ["[teams]", "# source team id = target team id (conversation.team_id)"]
        seen = self.m.seen_fields.get(("conversations", "team_id"), 0)
        why = self.why("conversation", "team_id")
        for sid, tid in self.map.teams.items():
            out.append(_line(sid, toml_value(tid)))
        if seen:
            out.append(f"# {_count(seen, 'conversation')} with a team" + (f"; {why}" if why
                                                                           else ""))
        return out + [""]

    def tags(self) -> list[str]:
        out = ["[tags]", "# exclude: tag names left out (with their use on contacts and "
                         "conversations)",
               f"exclude = {toml_value(sorted(self.map.tag_excludes))}", "", "[tags.rename]",
               "# source tag name = target tag name"]
        for name, new in sorted(self.m.seen_tags.items()):
            if new is not None:
                out.append(_line(name, toml_value(new)))
        for old, new in self.map.tag_renames.items():
            if old not in self.m.seen_tags:
                out.append(_line(old, toml_value(new), "not seen on the source"))
        return out + [""]

    def section(self, section: str) -> list[str]:
        kind = section[:-1]
        cls = KIND_CLASSES[section]
        rules = self.map.rules(section)
        objects = self.m.seen_objects.get(section, 0)
        head = f"# {section}: {_count(objects, kind)} read"
        if WRITES[section] not in self.m.writer.writes and section != "contacts":
            head += f"; {self.target} does not write {section}: nothing here is written"
        out = [head]
        if section == "contacts":
            for reason, n in sorted(self.m.uncreatable.items()):
                out.append(f"# {_count(n, 'contact')} cannot be created on {self.target} "
                           f"({reason}): fill the field from an attribute "
                           "({ field = ... }) or leave them out")
        only_keys, exclude_keys = FILTERS[section]
        out += self.filter(f"{section}.only", rules.only, only_keys,
                           "filters: every one given must hold")
        out += self.filter(f"{section}.exclude", rules.exclude, exclude_keys,
                           "exclusions: any one leaves the object out")
        out += [f"[{section}.fields]",
                "# canonical field = true (carried) | false (left out) | { values = {...}, "
                "default = ..." + (", attribute = \"...\"" if section in ATTRIBUTE_KINDS
                                   else "") + " }"]
        for name in cls.canonical_fields:
            if name in NOT_MAPPABLE:
                continue
            out.append(self.field(section, kind, name, rules.fields.get(name)))
        if section in ATTRIBUTE_KINDS:
            out += self.attributes(section, kind)
        extras = sorted((k, n) for (s, k), n in self.m.seen_extra.items() if s == section)
        if extras:
            out.append("# provider fields without a canonical name (not carried by any "
                       "target): " + ", ".join(f"{k} ({n})" for k, n in extras))
        return out + [""]

    def filter(self, table: str, flt: Filter, keys: Iterable[str], what: str) -> list[str]:
        out = [f"[{table}]", f"# {what}"]
        for key in sorted(keys):
            value = getattr(flt, key)
            if value is not None:
                out.append(_line(key, toml_value(value)))
            else:
                example = "2026-01-01T00:00:00Z" if key.endswith("_since") else "[]"
                out.append(f"# {key} = {example}")
        return out + [""]

    def field(self, section: str, kind: str, name: str, rule: Rule | None) -> str:
        seen = self.m.seen_fields.get((section, name), 0)
        notes = [_count(seen, kind) if seen else f"no source {kind} holds it"]
        values = self.m.seen_values.get((section, name))
        if values:
            notes.append(", ".join(f"{v} ({n})" for v, n in values.most_common()))
        why = self.why(kind, name)
        if why:
            notes.append(why)
        if rule is None and values:
            rule = Rule(name, values={v: v for v in sorted(values)})
        value = rule_value(rule, attribute=False) if rule is not None else "true"
        line = _line(name, value, "; ".join(notes))
        return line if seen or rule is not None else "# " + line

    def attributes(self, section: str, kind: str) -> list[str]:
        rules = self.map.rules(section).attributes
        out = ["", f"[{section}.attributes]",
               "# custom attribute = true | false | \"new name\" | { to, type, values, "
               "default" + (", field" if section == "contacts" else "") + " }"]
        names: dict[str, str] = {}
        for (s, key), types in self.m.seen_attributes.items():
            if s == section:
                names[key] = ", ".join(f"{_count(n, kind)} ({t})" for t, n in
                                       types.most_common())
        if section == "contacts":
            for key, data_type in self.m.seen_definitions.items():
                defined = f"defined on the source as {data_type}" if data_type else \
                    "untyped on the source: typed from its first value"
                names[key] = "; ".join(p for p in (names.get(key), defined) if p)
        why = self.why(kind, "custom_attributes")
        schemaless = self.m.writer.schemaless_fields if section == "contacts" else None
        for key in sorted(set(names) | set(rules)):
            notes = [names.get(key) or "not seen on the source"]
            if schemaless:
                notes.append(f"{self.target}: {schemaless}")
            if why:
                notes.append(why)
            rule = rules.get(key) or Rule(key)
            out.append(_line(key, rule_value(rule, attribute=True), "; ".join(notes)))
        return out


def write_plan(path: str, mapper: Mapper, source: str, target: str) -> None:
    """Write the plan to ``path`` (replaced whole: a temporary file renamed over it).
    ``ConfigurationError`` naming the file when it cannot be written."""
    text = plan_text(mapper, source, target)
    tmp = Path(f"{path}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        raise ConfigurationError(f"plan {path!r}: cannot write it ({exc.strerror or exc})") \
            from None

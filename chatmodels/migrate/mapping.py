"""The mapping file (``--mapping FILE``): how source fields, values, agents and tags land on the
target, and which objects a run takes. TOML (stdlib ``tomllib``; ``tomli`` before 3.11).

Layout (every section optional; the reference is docs/migration.md, "Mapping file")::

    version = 1
    [agents]                 source agent id or email = target agent email or id
    [teams]                  source team id = target team id (conversation.team_id)
    [tags]                   rename = {old = "new"}, exclude = ["name", ...]
    [<kind>.only]            filters: all given must hold     (kind: contacts, conversations,
    [<kind>.exclude]         exclusions: any one drops it            notes, events)
    [<kind>.fields]          canonical field = true | false | {values, default, attribute}
    [<kind>.attributes]      custom attribute = true | false | "new name"
                                 | {to, type, values, default, field}   (contacts, conversations)

Anything not named maps to the same name on the target ("identical names map automatically").
Errors are :class:`MappingError` (a ``ConfigurationError``: CLI exit 2) naming the key path and,
where it can be found, the line.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import re
import sys
from collections.abc import Mapping as MappingABC
from pathlib import Path
from typing import Any

from ..canonical import DATA_TYPES, STATES, Canonical, Contact, Conversation, Event, Note
from ..errors import ConfigurationError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

VERSION = 1
#: the object kinds a mapping file configures, with their canonical class
KIND_CLASSES: MappingABC[str, type[Canonical]] = {"contacts": Contact, "conversations": Conversation,
                                       "notes": Note, "events": Event}
#: canonical fields a ``fields`` rule may not name (their own sections, or identity)
NOT_MAPPABLE = frozenset({"id", "custom_attributes", "tags", "contacts", "messages",
                          "contact_id", "conversation_id", "updated_at"})
#: filters per kind: (``only`` keys, ``exclude`` keys)
FILTERS: MappingABC[str, tuple[frozenset[str], frozenset[str]]] = {
    "contacts": (frozenset({"created_since", "updated_since", "ids", "emails", "tags"}),
                 frozenset({"ids", "emails", "tags"})),
    "conversations": (frozenset({"created_since", "updated_since", "ids", "tags", "state"}),
                      frozenset({"ids", "tags", "state"})),
    "notes": (frozenset({"created_since", "ids"}), frozenset({"ids"})),
    "events": (frozenset({"created_since", "names"}), frozenset({"names"})),
}
#: the kinds whose custom attributes a mapping renames
ATTRIBUTE_KINDS = ("contacts", "conversations")
#: canonical contact fields an attribute may fill (``field = ...``)
FILLABLE = ("email", "phone", "name", "external_id", "avatar_url", "role")
#: fields whose value maps are checked against the canonical values
CANONICAL_VALUES: MappingABC[tuple[str, str], tuple[str, ...]] = {
    ("conversations", "state"): STATES, ("contacts", "role"): ("user", "lead")}
TYPES = tuple(t for t in DATA_TYPES if t != "list")
_SCALAR = (str, int, float, bool)


class MappingChanged(ConfigurationError):
    """A run's mapping differs from the one its journal recorded for the objects already
    written (``--allow-mapping-change`` accepts it)."""


class MappingError(ConfigurationError):
    """A mapping file that cannot be used: ``key`` is the dotted key path (``None`` for a
    syntax error), ``line`` the 1-based line when known."""

    def __init__(self, message: str, *, path: str | None = None, key: str | None = None,
                 line: int | None = None) -> None:
        where = ", ".join(p for p in (path and f"mapping file {path}",
                                      line and f"line {line}", key and f"key {key}") if p)
        super().__init__(f"{where}: {message}" if where else message)
        self.key = key
        self.line = line
        self.path = path


@dataclasses.dataclass(frozen=True)
class Rule:
    """What becomes of one source field or custom attribute."""

    name: str
    exclude: bool = False
    #: new attribute name (attributes only)
    to: str | None = None
    #: canonical type the value is converted to (attributes only)
    type: str | None = None
    #: source value (as text: booleans true/false) -> target value
    values: MappingABC[str, Any] = dataclasses.field(default_factory=dict)
    #: set when the source value is empty
    default: Any = None
    #: a canonical contact field the attribute fills (attributes only)
    field: str | None = None
    #: the custom attribute a canonical field is moved into (fields only)
    attribute: str | None = None

    @property
    def identity(self) -> bool:
        return not (self.exclude or self.to or self.type or self.values
                    or self.default is not None or self.field or self.attribute)


@dataclasses.dataclass(frozen=True)
class Filter:
    """``only``: every given condition holds; ``exclude``: none holds."""

    created_since: dt.datetime | None = None
    updated_since: dt.datetime | None = None
    ids: frozenset[str] | None = None
    emails: frozenset[str] | None = None
    tags: frozenset[str] | None = None
    state: frozenset[str] | None = None
    names: frozenset[str] | None = None

    @property
    def empty(self) -> bool:
        return all(getattr(self, f.name) is None for f in dataclasses.fields(self))


@dataclasses.dataclass(frozen=True)
class KindRules:
    only: Filter = Filter()
    exclude: Filter = Filter()
    fields: MappingABC[str, Rule] = dataclasses.field(default_factory=dict)
    attributes: MappingABC[str, Rule] = dataclasses.field(default_factory=dict)

    @property
    def filtered(self) -> bool:
        return not (self.only.empty and self.exclude.empty)


@dataclasses.dataclass(frozen=True)
class Mapping:
    """A parsed mapping file (``Mapping()`` maps everything to identical names)."""

    agents: MappingABC[str, str] = dataclasses.field(default_factory=dict)
    teams: MappingABC[str, str] = dataclasses.field(default_factory=dict)
    tag_renames: MappingABC[str, str] = dataclasses.field(default_factory=dict)
    tag_excludes: frozenset[str] = frozenset()
    kinds: MappingABC[str, KindRules] = dataclasses.field(default_factory=dict)
    path: str | None = None
    #: the file's text as read (``None``: no file); kept so that a journal can record it
    text: str | None = dataclasses.field(default=None, compare=False, repr=False)

    @property
    def digest(self) -> str:
        """sha256 of what the file says (comments, layout, key order and ``version`` aside):
        a journal compares it between runs. No file and an empty file have the same one."""
        data = {} if self.text is None else {k: v for k, v in tomllib.loads(self.text).items()
                                               if k != "version"}
        if self.text is None and self != Mapping(path=self.path):
            data = {"mapping": repr(dataclasses.replace(self, path=None))}  # built in code
        canonical = json.dumps(data, sort_keys=True, default=str, separators=(",", ":"))
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    def rules(self, kind: str) -> KindRules:
        return self.kinds.get(kind) or KindRules()

    @property
    def filtered(self) -> bool:
        """Whether the file leaves objects out (a run with it is not a complete run)."""
        return any(r.filtered for r in self.kinds.values()) or bool(self.tag_excludes)

    def tag_name(self, name: str) -> str | None:
        """The target name of a source tag, ``None`` when it is excluded (case-insensitive)."""
        low = name.lower()
        if any(low == x.lower() for x in self.tag_excludes):
            return None
        for old, new in self.tag_renames.items():
            if old.lower() == low:
                return new
        return name


def load(path: str | Path) -> Mapping:
    """Read and check a mapping file; :class:`MappingError` on any problem."""
    shown = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else \
            type(exc).__name__
        raise MappingError(f"cannot read it ({reason})", path=shown) from None
    return parse(text, path=shown)


_AT_LINE = re.compile(r"\(at line (\d+), column \d+\)|at line (\d+)")


def parse(text: str, *, path: str | None = None) -> Mapping:
    """A :class:`Mapping` from TOML text; :class:`MappingError` naming the line or key."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = _AT_LINE.search(str(exc))
        line = int(found.group(1) or found.group(2)) if found else None
        message = _AT_LINE.sub("", str(exc)).strip().rstrip(".") or "not valid TOML"
        raise MappingError(f"not valid TOML: {message}", path=path, line=line) from None
    try:
        return dataclasses.replace(_Reader(data).mapping(path), text=text)
    except _Bad as bad:
        raise MappingError(bad.message, path=path, key=".".join(bad.key),
                           line=locate(text, bad.key)) from None


class _Bad(Exception):
    def __init__(self, key: tuple[str, ...], message: str) -> None:
        super().__init__(message)
        self.key = key
        self.message = message


class _Reader:
    """Checks the parsed TOML, raising ``_Bad`` with the key path of the first problem."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data

    def table(self, value: Any, key: tuple[str, ...], allowed: tuple[str, ...] | frozenset[str]
              | None = None) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise _Bad(key, f"expected a table, got {_kind(value)}")
        if allowed is not None:
            for name in value:
                if name not in allowed:
                    raise _Bad(key + (name,), f"unknown key; expected one of "
                                              f"{', '.join(sorted(allowed))}")
        return value

    def names(self, value: Any, key: tuple[str, ...]) -> frozenset[str]:
        if not isinstance(value, list) or not all(isinstance(v, (str, int)) and
                                                  not isinstance(v, bool) for v in value):
            raise _Bad(key, f"expected a list of names or ids, got {_kind(value)}")
        return frozenset(str(v) for v in value)

    def text_map(self, value: Any, key: tuple[str, ...]) -> dict[str, str]:
        table = self.table(value, key)
        for name, target in table.items():
            if not isinstance(target, str) or not target.strip():
                raise _Bad(key + (name,), f"expected a non-empty string, got {_kind(target)}")
        return {str(k): v.strip() for k, v in table.items()}

    def mapping(self, path: str | None) -> Mapping:
        top = self.table(self.data, (), ("version", "agents", "teams", "tags", *KIND_CLASSES))
        version = top.get("version", VERSION)
        if version != VERSION or isinstance(version, bool):
            raise _Bad(("version",), f"unsupported version {version!r}; this chatmodels "
                                     f"reads version {VERSION}")
        tags = self.table(top.get("tags", {}), ("tags",), ("rename", "exclude"))
        renames = self.text_map(tags.get("rename", {}), ("tags", "rename"))
        kinds = {kind: self.kind(kind, top[kind]) for kind in KIND_CLASSES if kind in top}
        return Mapping(agents=self.text_map(top.get("agents", {}), ("agents",)),
                       teams=self.text_map(top.get("teams", {}), ("teams",)),
                       tag_renames=renames,
                       tag_excludes=self.names(tags.get("exclude", []), ("tags", "exclude")),
                       kinds=kinds, path=path)

    def kind(self, kind: str, value: Any) -> KindRules:
        sections = ("only", "exclude", "fields") + (("attributes",) if kind in ATTRIBUTE_KINDS
                                                    else ())
        table = self.table(value, (kind,), sections)
        only_keys, exclude_keys = FILTERS[kind]
        fields = self.table(table.get("fields", {}), (kind, "fields"))
        attributes = self.table(table.get("attributes", {}), (kind, "attributes"))
        return KindRules(
            only=self.filter(table.get("only", {}), (kind, "only"), only_keys),
            exclude=self.filter(table.get("exclude", {}), (kind, "exclude"), exclude_keys),
            fields={n: self.rule(kind, n, v, (kind, "fields", n), attribute=False)
                    for n, v in fields.items()},
            attributes={n: self.rule(kind, n, v, (kind, "attributes", n), attribute=True)
                        for n, v in attributes.items()})

    def filter(self, value: Any, key: tuple[str, ...], allowed: frozenset[str]) -> Filter:
        table = self.table(value, key, allowed)
        out: dict[str, Any] = {}
        for name, item in table.items():
            if name.endswith("_since"):
                out[name] = _when(item, key + (name,))
            elif name == "state":
                out[name] = self.names(item, key + (name,))
                wrong = sorted(out[name] - set(STATES))
                if wrong:
                    raise _Bad(key + (name,), f"unknown state {wrong[0]!r}; canonical states: "
                                              f"{', '.join(STATES)}")
            elif name in ("emails", "tags", "names"):
                out[name] = frozenset(n.lower() for n in self.names(item, key + (name,)))
            else:
                out[name] = self.names(item, key + (name,))
        return Filter(**out)

    def rule(self, kind: str, name: str, value: Any, key: tuple[str, ...], *,
             attribute: bool) -> Rule:
        if not attribute:
            fields = KIND_CLASSES[kind].canonical_fields
            if name not in fields or name in NOT_MAPPABLE:
                choices = ", ".join(f for f in fields if f not in NOT_MAPPABLE)
                raise _Bad(key, f"not a canonical {kind[:-1]} field that can be mapped; "
                                f"choose from {choices}")
        if isinstance(value, bool):
            return Rule(name, exclude=not value)
        if isinstance(value, str):
            if not attribute:
                raise _Bad(key, "a canonical field cannot be renamed: use true, false or a "
                                "table {values, default, attribute}")
            if not value.strip():
                raise _Bad(key, "expected a non-empty attribute name")
            return Rule(name, to=None if value.strip() == name else value.strip())
        allowed = ("to", "type", "values", "default", "field", "exclude") if attribute \
            else ("values", "default", "exclude") + (
                ("attribute",) if kind in ATTRIBUTE_KINDS else ())
        table = self.table(value, key, allowed)
        out: dict[str, Any] = {}
        for option, item in table.items():
            at = key + (option,)
            if option == "exclude":
                if not isinstance(item, bool):
                    raise _Bad(at, f"expected true or false, got {_kind(item)}")
                out["exclude"] = item
            elif option in ("to", "attribute"):
                if not isinstance(item, str) or not item.strip():
                    raise _Bad(at, f"expected a non-empty attribute name, got {_kind(item)}")
                out[option] = item.strip()
            elif option == "type":
                if item not in TYPES:
                    raise _Bad(at, f"unknown type {item!r}; expected one of {', '.join(TYPES)}")
                out["type"] = item
            elif option == "field":
                if kind != "contacts" or item not in FILLABLE:
                    raise _Bad(at, f"expected a contact field an attribute can fill: "
                                   f"{', '.join(FILLABLE)}")
                out["field"] = item
            elif option == "values":
                out["values"] = self.values(kind, name, item, at, attribute)
            else:  # default
                if not isinstance(item, _SCALAR):
                    raise _Bad(at, f"expected a string, number or boolean, got {_kind(item)}")
                self.canonical(kind, name, item, at, attribute)
                out["default"] = item
        if out.get("to") == name:
            out.pop("to")
        return Rule(name, **out)

    def values(self, kind: str, name: str, value: Any, key: tuple[str, ...],
               attribute: bool) -> dict[str, Any]:
        table = self.table(value, key)
        for source, target in table.items():
            if not isinstance(target, _SCALAR):
                raise _Bad(key + (source,), f"expected a string, number or boolean, got "
                                            f"{_kind(target)}")
            self.canonical(kind, name, target, key + (source,), attribute)
        return dict(table)

    @staticmethod
    def canonical(kind: str, name: str, value: Any, key: tuple[str, ...],
                  attribute: bool) -> None:
        allowed = None if attribute else CANONICAL_VALUES.get((kind, name))
        if allowed is not None and value not in allowed:
            raise _Bad(key, f"{value!r} is not a canonical {name}; expected one of "
                            f"{', '.join(allowed)}")


def _kind(value: Any) -> str:
    names = {bool: "a boolean", int: "an integer", float: "a number", str: "a string",
             list: "a list", dict: "a table"}
    return next((v for t, v in names.items() if type(value) is t), "a date")


def _when(value: Any, key: tuple[str, ...]) -> dt.datetime:
    """A TOML date, date-time or ISO 8601 string as an aware UTC date-time."""
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise _Bad(key, f"expected a date such as 2026-01-01 or 2026-01-01T09:30:00Z, "
                            f"got {value!r}") from None
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day, tzinfo=dt.timezone.utc)
    raise _Bad(key, f"expected a date, got {_kind(value)}")


_HEADER = re.compile(r"^\s*\[\s*([^\[\]]+?)\s*\]\s*(#.*)?$")


def _parts(dotted: str) -> tuple[str, ...]:
    """The components of a dotted TOML key (quoted components may hold dots)."""
    parts, current, quote = [], "", ""
    for char in dotted:
        if quote:
            if char == quote:
                quote = ""
            else:
                current += char
        elif char in "\"'":
            quote = char
        elif char == ".":
            parts.append(current.strip())
            current = ""
        else:
            current += char
    return tuple(parts + [current.strip()])


def locate(text: str, key: tuple[str, ...]) -> int | None:
    """The line (1-based) where a key path is written, best effort: the deepest table header
    that is a prefix of the path, then the first line under it assigning the next component
    (dotted keys included); the header's own line when the key is the table."""
    lines = text.splitlines()
    best: tuple[int, int] | None = None  # (depth, line index)
    current: tuple[str, ...] = ()
    for i, line in enumerate(lines):
        if line.lstrip().startswith("#"):
            continue
        header = _HEADER.match(line)
        if header:
            current = _parts(header.group(1))
            if key[:len(current)] == current and (best is None or len(current) > best[0]):
                best = (len(current), i)
            continue
        head = line.split("=", 1)[0] if "=" in line else ""
        parts = _parts(head) if head.strip() else ()
        full = current + parts
        if parts and len(full) <= len(key) and key[:len(full)] == full \
                and (best is None or len(full) > best[0]):
            best = (len(full), i)
    return best[1] + 1 if best is not None else None


#: the journal meta key holding the mapping of a journal's runs
JOURNAL_KEY = "mapping"
#: row states that stand for objects a run wrote (or may have)
_WRITTEN = ("done", "pending", "failed", "deleting")


def record_mapping(journal: Any, mapping: Mapping, *, allow_change: bool = False) -> None:
    """Record ``mapping`` in ``journal`` (text, path, digest): refuse one that differs from
    the recorded mapping once the journal holds written objects (a full run after a sample
    with another file would leave the two parts mapped differently): :class:`MappingChanged`,
    unless ``allow_change``."""
    raw = journal.get_meta(JOURNAL_KEY)
    try:
        recorded = json.loads(raw) if raw else None
    except ValueError:
        recorded = raw
    if raw and not isinstance(recorded, dict) and not allow_change:
        raise MappingError("the mapping recorded in the journal cannot be read (damaged "
                           "journal); pass --allow-mapping-change to record this run's")
    digest = mapping.digest
    if isinstance(recorded, dict) and recorded.get("sha256") != digest and not allow_change \
            and any(n for (kind, state), n in journal.counts().items()
                    if state in _WRITTEN and kind != "agent"):  # agents are matched, not written
        def name(path: Any, text: Any) -> str:
            return f"the mapping file {path}" if path else (
                "a mapping file" if text is not None else "no mapping file")
        raise MappingChanged(
            f"this journal's objects were written with "
            f"{name(recorded.get('path'), recorded.get('text'))} (sha256 "
            f"{str(recorded.get('sha256'))[:12]}) and this run has "
            f"{name(mapping.path, mapping.text)} (sha256 {digest[:12]}): the target would "
            "hold objects mapped two ways. Run with the recorded mapping, or pass "
            "--allow-mapping-change (verify then applies the new one to every object)")
    journal.set_meta(JOURNAL_KEY, json.dumps({"path": mapping.path, "text": mapping.text,
                                              "sha256": digest}))


def recorded_mapping(journal: Any) -> Mapping | None:
    """The mapping a journal's runs recorded (``None``: none recorded, an older journal)."""
    raw = journal.get_meta(JOURNAL_KEY)
    if not raw:
        return None
    try:
        data = json.loads(raw)
        text, path = data.get("text"), data.get("path")
        if text is None:
            return Mapping(path=path)
        return parse(str(text), path=path)
    except (ValueError, AttributeError, MappingError) as exc:
        raise MappingError(f"the mapping recorded in the journal cannot be read ({exc})"
                           ) from None

"""A mapping file applied to one run: source objects seen through it, its report lines, and
what the run saw (for ``--plan``).

The engine wraps each source object it writes in a :class:`View` (:meth:`Mapper.wrap`): the
fields the mapping changes are computed from the source object on first access (lazily, so
nothing is loaded that the target would not load), the others are the source object's own.
Targets and the fidelity report read views like source objects (``peek`` included), so both
honour the file without knowing it exists.

Report lines ("``contact.custom_attributes.plan: carried as tier (mapping file)``") are
counted per object at wrap time from what the object holds (``peek``), like the fidelity
report, so a dry run reports exactly what the real run then reports. When the mapping has
rules for custom attributes, they are read at wrap time (one request per contact where the
provider keeps them behind a route of their own, as a real run makes anyway).
"""

from __future__ import annotations

import datetime as dt
import threading
import weakref
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from .filters import Selection
from .mapping import ATTRIBUTE_KINDS, KIND_CLASSES, Mapping, MappingError, Rule, load

#: engine object kind -> mapping section
SECTIONS = {"contact": "contacts", "conversation": "conversations", "note": "notes",
            "event": "events"}
#: fields whose values ``--plan`` lists (small enumerations)
ENUMERATED = {("conversations", "state"), ("conversations", "priority"),
              ("contacts", "role"), ("events", "name")}
MAX_VALUES = 50
Getter = Callable[[str], Any]


def empty(value: Any) -> bool:
    return value is None or (isinstance(value, (str, list, dict)) and not value)


def text(value: Any) -> str:
    """A value as a value map's key (booleans ``true``/``false``, as in the fidelity keys)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class NotConverted(ValueError):
    pass


def convert(value: Any, data_type: str | None) -> Any:
    """``value`` as ``data_type`` (string, integer, float, boolean, date: ISO 8601 text);
    :class:`NotConverted` when it is not one."""
    if value is None or data_type is None:
        return value
    try:
        if data_type == "string":
            return text(value) if not isinstance(value, dt.datetime) else value.isoformat()
        if data_type == "boolean":
            if isinstance(value, bool):
                return value
            word = str(value).strip().lower()
            if word in ("true", "yes", "y", "1", "on"):
                return True
            if word in ("false", "no", "n", "0", "off", ""):
                return False
            raise NotConverted(value)
        if isinstance(value, bool):
            raise NotConverted(value)
        if data_type == "integer":
            number = float(value)
            if number != int(number):
                raise NotConverted(value)
            return int(number)
        if data_type == "float":
            return float(value)
        if data_type == "date":
            if isinstance(value, (int, float)):
                when = dt.datetime.fromtimestamp(value, tz=dt.timezone.utc)
            elif isinstance(value, dt.datetime):
                when = value
            else:
                when = dt.datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
            return (when if when.tzinfo else when.replace(tzinfo=dt.timezone.utc)) \
                .astimezone(dt.timezone.utc).isoformat()
    except (TypeError, ValueError, OverflowError, OSError):
        raise NotConverted(value) from None
    return value


def mapped(value: Any, values: Any) -> Any:
    if values and value is not None and text(value) in values:
        return values[text(value)]
    return value


def scalar(value: Any) -> Any:
    """A canonical field's value as a custom attribute can hold it (None when it cannot)."""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.timezone.utc).isoformat()
    return value if isinstance(value, (str, int, float, bool)) else None


def weak_method(method: Callable[..., Any]) -> Callable[..., None]:
    """A callable for a bound method that does not keep its object alive (no reference cycle
    between a Migration and its Mapper: a dropped Migration frees its journal lock at once)."""
    ref = weakref.WeakMethod(method)  # type: ignore[arg-type]

    def call(*args: Any) -> None:
        bound = ref()
        if bound is not None:
            bound(*args)
    return call


class View:
    """A source object seen through the mapping (see the module docstring)."""

    __slots__ = ("_source", "_over", "_cache")

    def __init__(self, source: Any, over: dict[str, Callable[[Getter], Any]]) -> None:
        object.__setattr__(self, "_source", source)
        object.__setattr__(self, "_over", over)
        object.__setattr__(self, "_cache", {})

    @property
    def source(self) -> Any:
        return self._source

    @property  # type: ignore[misc]
    def __class__(self) -> type:  # isinstance() sees the source object's class
        return type(self._source)

    def __getattr__(self, name: str) -> Any:
        over = self._over
        if name in over:
            cache = self._cache
            if name not in cache:
                source = self._source
                cache[name] = over[name](lambda n: getattr(source, n, None))
            return cache[name]
        return getattr(self._source, name)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("a mapped source object is read-only")

    def peek(self, name: str, default: Any = None) -> Any:
        if name in self._over:
            value = self._over[name](self._source.peek)
            return default if value is None else value
        return self._source.peek(name, default)

    def __repr__(self) -> str:
        return f"<mapped {self._source!r}>"


def _tag_view(tag: Any, name: str) -> View:
    return View(tag, {"name": lambda get: name})


def _ignore(*args: Any) -> None:
    pass


class Mapper:
    """The mapping of one run. ``note(line)`` counts a report line; ``skip(step, reason, n)``
    counts objects left out; ``sample``: contacts to take (``None``: all). Outside a run (a
    verification comparing a target with its source), ``Mapper(mapping, writer).view(kind,
    obj)`` is the source object as the run wrote it."""

    def __init__(self, mapping: Mapping | str | None, writer: Any, *,
                 note: Callable[[str], None] | None = None,
                 skip: Callable[..., None] | None = None,
                 sample: int | None = None) -> None:
        self.mapping = load(mapping) if isinstance(mapping, str) else (mapping or Mapping())
        self.writer = writer
        self.note = note or _ignore
        self.selection = Selection(self, sample, skip or _ignore)
        self._lock = threading.Lock()
        #: what the run saw, for ``--plan``: (section, field) -> objects holding it
        self.seen_fields: Counter[tuple[str, str]] = Counter()
        self.seen_attributes: dict[tuple[str, str], Counter[str]] = {}
        self.seen_extra: Counter[tuple[str, str]] = Counter()
        self.seen_values: dict[tuple[str, str], Counter[str]] = {}
        self.seen_objects: Counter[str] = Counter()
        self.seen_tags: dict[str, str | None] = {}
        self.seen_definitions: dict[str, str | None] = {}
        self.seen_agents: list[tuple[str, str, str | None, bool]] = []
        self.uncreatable: Counter[str] = Counter()
        #: source tag id -> source name (filters compare source names)
        self.tag_names: dict[str, str] = {}
        self._overrides = {section: self._build(section) for section in KIND_CLASSES}

    @property
    def partial(self) -> bool:
        """Whether a run leaves objects out (filters, exclusions, a sample)."""
        return self.mapping.filtered or self.selection.sample is not None

    # -- views ---------------------------------------------------------------------------
    def view(self, kind: str, obj: Any) -> Any:
        """``obj`` seen through the mapping (the object itself when nothing changes)."""
        if isinstance(obj, View):
            return obj
        over = self._overrides.get(SECTIONS.get(kind, ""))
        return View(obj, over) if over else obj

    def wrap(self, kind: str, obj: Any) -> Any:
        """:meth:`view`, counting the mapping's report lines and recording what it holds."""
        section = SECTIONS[kind]
        if section in ATTRIBUTE_KINDS and self.mapping.rules(section).attributes:
            # the attributes the mapping changes are read now (the request a real run makes
            # anyway, Crisp people data), so that the dry run reports them too
            getattr(obj, "custom_attributes", None)
        for line in self.lines(section, obj):
            self.note(line)
        self._observe(section, obj)
        view = self.view(kind, obj)
        if kind == "contact":
            reason = self.writer.cannot_create_contact(view)
            if reason is not None:
                with self._lock:
                    self.uncreatable[reason] += 1
        return view

    def _build(self, section: str) -> dict[str, Callable[[Getter], Any]]:
        rules = self.mapping.rules(section)
        over: dict[str, Callable[[Getter], Any]] = {}
        fillers: dict[str, list[Rule]] = {}
        for rule in rules.attributes.values():
            if rule.field and not rule.exclude:
                fillers.setdefault(rule.field, []).append(rule)
        for name in set(rules.fields) | set(fillers):
            over[name] = self._field(name, rules.fields.get(name), fillers.get(name, []))
        if section in ATTRIBUTE_KINDS and (rules.attributes or any(
                r.attribute for r in rules.fields.values())):
            over["custom_attributes"] = self._attributes(section)
        if section in ("contacts", "conversations") and (self.mapping.tag_renames
                                                         or self.mapping.tag_excludes):
            over["tags"] = self._tags
        if section == "conversations" and self.mapping.teams and "team_id" not in over:
            teams = dict(self.mapping.teams)
            over["team_id"] = lambda get: mapped(get("team_id"), teams)
        return over

    def _field(self, name: str, rule: Rule | None,
               fillers: list[Rule]) -> Callable[[Getter], Any]:
        def value(get: Getter) -> Any:
            out = None
            if rule is None or not (rule.exclude or rule.attribute):
                out = mapped(get(name), rule.values if rule else None)
            if fillers:
                attrs = get("custom_attributes") or {}
                for filler in fillers:
                    try:
                        candidate = convert(mapped(attrs.get(filler.name), filler.values),
                                            "string" if name != "role" else None)
                    except NotConverted:
                        candidate = None
                    if not empty(candidate):
                        out = candidate
            if empty(out) and rule is not None and rule.default is not None \
                    and not rule.exclude:
                out = rule.default
            if name == "team_id" and self.mapping.teams:
                out = mapped(out, self.mapping.teams)
            return out
        return value

    def _attributes(self, section: str) -> Callable[[Getter], Any]:
        rules = self.mapping.rules(section)

        def value(get: Getter) -> Any:
            source = get("custom_attributes")
            moved = {r.attribute: scalar(get(n)) for n, r in rules.fields.items()
                     if r.attribute and not r.exclude}
            if source is None and not moved:
                return None  # not loaded (peek) or none
            out: dict[str, Any] = {}
            for key, item in dict(source or {}).items():
                rule = rules.attributes.get(key)
                if rule is None:
                    out.setdefault(key, item)
                    continue
                if rule.exclude or rule.field:
                    continue
                try:
                    item = convert(mapped(item, rule.values), rule.type)
                except NotConverted:
                    item = None
                if empty(item) and rule.default is not None:
                    item = rule.default
                if item is not None:
                    out[rule.to or key] = item
            for key, rule in rules.attributes.items():
                if rule.default is not None and not rule.exclude and not rule.field \
                        and (rule.to or key) not in out and source is not None:
                    out[rule.to or key] = rule.default
            out.update({k: v for k, v in moved.items() if v is not None and k})
            return out
        return value

    def _tags(self, get: Getter) -> Any:
        tags = get("tags")
        if not tags:
            return tags
        out = []
        for tag in tags:
            name = tag.peek("name") or self.tag_names.get(str(tag.peek("id")))
            if not name:
                out.append(tag)
                continue
            new = self.mapping.tag_name(name)
            if new is None:
                continue
            out.append(tag if new == name else _tag_view(tag, new))
        return out

    # -- report lines --------------------------------------------------------------------
    def lines(self, section: str, obj: Any) -> list[str]:
        """The mapping's report lines that apply to one source object (read with ``peek``)."""
        rules = self.mapping.rules(section)
        kind = section[:-1]
        out = []
        for name, rule in rules.fields.items():
            value = obj.peek(name)
            if rule.exclude:
                if not empty(value):
                    out.append(f"{kind}.{name}: left out (mapping file)")
                continue
            if rule.attribute and not empty(value):
                out.append(f"{kind}.{name}: carried as custom attribute {rule.attribute} "
                           "(mapping file)")
                continue
            new = mapped(value, rule.values)
            if new != value:
                out.append(f"{kind}.{name}={text(value)}: carried as {text(new)} (mapping file)")
            if empty(new) and rule.default is not None:
                out.append(f"{kind}.{name}=: set to {text(rule.default)} (mapping file)")
        attrs = obj.peek("custom_attributes") if rules.attributes else None
        if isinstance(attrs, dict):
            for key, rule in rules.attributes.items():
                out += self._attribute_lines(kind, key, rule, attrs.get(key))
        return out

    @staticmethod
    def _attribute_lines(kind: str, key: str, rule: Rule, value: Any) -> list[str]:
        head = f"{kind}.custom_attributes.{key}"
        if empty(value):
            return [f"{head}=: set to {text(rule.default)} (mapping file)"] \
                if rule.default is not None and not (rule.exclude or rule.field) else []
        if rule.exclude:
            return [f"{head}: left out (mapping file)"]
        if rule.field:
            return [f"{head}: carried as the contact's {rule.field} (mapping file)"]
        out = []
        new = mapped(value, rule.values)
        if new != value:
            out.append(f"{head}={text(value)}: carried as {text(new)} (mapping file)")
        try:
            convert(new, rule.type)
        except NotConverted:
            return out + [f"{head}: not a valid {rule.type}: left out (mapping file)"]
        if rule.to or rule.type:
            where = " ".join(p for p in (rule.to and f"as {rule.to}",
                                         rule.type and f"as {rule.type}") if p)
            out.append(f"{head}: carried {where} (mapping file)")
        return out

    # -- tags, fields, agents --------------------------------------------------------------
    def tag(self, tag: Any) -> str | None:
        """The target name of a source tag definition (``None``: left out)."""
        name = tag.name
        self.tag_names[str(tag.id)] = name
        new = self.mapping.tag_name(name)
        with self._lock:
            self.seen_tags[name] = new
        if new is None:
            self.note(f"tag.name={name}: left out (mapping file)")
        elif new != name:
            self.note(f"tag.name={name}: carried as {new} (mapping file)")
        return new

    def field(self, definition: Any) -> tuple[str, str | None] | None:
        """(target name, type) of a source contact field definition (``None``: left out)."""
        name = definition.name
        with self._lock:
            self.seen_definitions[name] = definition.data_type
        rule = self.mapping.rules("contacts").attributes.get(name)
        if rule is None:
            return name, definition.data_type
        if rule.exclude or rule.field:
            return None
        return rule.to or name, rule.type or definition.data_type

    def match_agents(self, agents: list[Any],
                     matched: dict[str, str | None]) -> dict[str, str | None]:
        """Email matches overridden by the file's ``[agents]``; a name the file gives that
        matches no source or no target agent is a :class:`MappingError`."""
        wanted = {k.lower(): v for k, v in self.mapping.agents.items()}
        out = dict(matched)
        used: set[str] = set()
        target: list[Any] | None = None
        for agent in agents:
            key = next((k for k in (str(agent.id).lower(), (agent.email or "").lower())
                        if k in wanted), None)
            if key is not None:
                used.add(key)
                if target is None:
                    target = list(self.writer.client.Agent.all())
                name = wanted[key]
                found = next((str(a.id) for a in target if str(a.id) == name
                              or (a.email or "").lower() == name.lower()), None)
                if found is None:
                    raise MappingError(f"no target agent with the id or email {name!r}",
                                       path=self.mapping.path, key=f"agents.{key}")
                out[str(agent.id)] = found
            self.seen_agents.append((str(agent.id), agent.email or "", out.get(str(agent.id)),
                                     key is not None))
        for key in sorted(set(wanted) - used):
            raise MappingError("no source agent with this id or email",
                               path=self.mapping.path, key=f"agents.{key}")
        return out

    # -- what the run saw (for --plan) ------------------------------------------------------
    def _observe(self, section: str, obj: Any) -> None:
        cls = KIND_CLASSES[section]
        with self._lock:
            self.seen_objects[section] += 1
            for name in cls.canonical_fields:
                value = obj.peek(name)
                if empty(value):
                    continue
                self.seen_fields[(section, name)] += 1
                if (section, name) in ENUMERATED:
                    values = self.seen_values.setdefault((section, name), Counter())
                    if len(values) < MAX_VALUES or text(value) in values:
                        values[text(value)] += 1
            attrs = obj.peek("custom_attributes")
            if isinstance(attrs, dict):
                for key, value in attrs.items():
                    if not empty(value):
                        types = self.seen_attributes.setdefault((section, key), Counter())
                        types[type(value).__name__] += 1
            extra = getattr(obj, "extra", None)
            if isinstance(extra, dict):
                for key, value in extra.items():
                    if key != "type" and not empty(value):
                        self.seen_extra[(section, key)] += 1


def keep(mapper: Mapper, step: str, objs: Iterable[Any]) -> list[Any]:
    """The objects of ``step`` the file's filters keep (the others counted as skipped)."""
    return [o for o in objs if mapper.selection.keep(step, o)]

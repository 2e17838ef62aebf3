"""The fidelity report: which of a target's declarations apply to each source object.

A target declares, as data (``Target.fidelity``), what becomes of the canonical fields it
cannot hold exactly. Each key is one *condition* on one kind of source object::

    "contact.created_at"              the field is non-empty
    "conversation.state=pending"      the field equals the value after ``=``
    "contact.email="                  the field is empty (None, "", [] or {})
    "message.author_type=bot|system"  it equals one of the values (``|``)
    "conversation.priority!=none"     it is non-empty and equals none of the values
    "contact.companies[1]"            the list has a second item
    "contact.email=&external_id="     every part holds (``&``; same object)

Object kinds: ``contact``, ``note``, ``event``, ``conversation``, ``message``, ``tag``,
``contact_field``, ``agent``. Values are read with ``Model.peek`` (what the source object
holds, never a request); booleans compare as ``true``/``false``.

The report line of a declaration is ``"<key>: <text>"``, counted once per source object it
applies to. Besides the declarations, one generic fact per data object (contacts, notes,
events, conversations, messages): each non-empty field of its ``extra`` (provider fields
without a canonical name, which no target writes) is "not carried". The report for any pair of
providers therefore comes from the target's declarations and the source's data, not from code
paths.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from typing import Any

from .targets import provider_of

#: the object kinds a declaration may name
OBJECTS = ("contact", "note", "event", "conversation", "message", "tag", "contact_field",
           "agent")
#: the kinds whose ``extra`` fields are reported (the others' are directory bookkeeping)
EXTRA_KINDS = frozenset({"contact", "note", "event", "conversation", "message"})
#: ``extra`` keys that are wire bookkeeping, not data (never reported)
IGNORED_EXTRA = frozenset({"type"})

_PART = re.compile(r"^(?P<field>[a-z_][a-z0-9_]*)(?:\[(?P<index>\d+)\])?"
                   r"(?:(?P<op>!?=)(?P<value>.*))?$")
_EMPTY: tuple[Any, ...] = (None, "", [], {})


@dataclasses.dataclass(frozen=True)
class Condition:
    field: str
    index: int | None = None
    #: ``None``: the field is non-empty; ``("",)``: it is empty; else it equals one of these
    values: tuple[str, ...] | None = None
    #: ``!=``: non-empty and equal to none of ``values``
    negated: bool = False

    def holds(self, obj: Any) -> bool:
        peek = getattr(obj, "peek", None)
        value = peek(self.field) if callable(peek) else getattr(obj, self.field, None)
        if self.index is not None:
            value = value[self.index] if isinstance(value, (list, tuple)) \
                and len(value) > self.index else None
        if self.values is None:
            return not _empty(value)
        if self.negated:
            return not _empty(value) and _text(value) not in self.values
        if self.values == ("",):
            return _empty(value)
        return _text(value) in self.values


@dataclasses.dataclass(frozen=True)
class Declaration:
    """One parsed fidelity key and its text."""

    key: str
    kind: str
    conditions: tuple[Condition, ...]
    text: str

    @property
    def line(self) -> str:
        return f"{self.key}: {self.text}"

    def applies(self, obj: Any) -> bool:
        return all(c.holds(obj) for c in self.conditions)


def _empty(value: Any) -> bool:
    return any(value is e or (type(value) is type(e) and value == e) for e in _EMPTY)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def parse(key: str, text: str) -> Declaration:
    """A declaration from its key and text; ``ValueError`` naming the key when it is not one."""
    kind, dot, rest = key.partition(".")
    if not dot or kind not in OBJECTS or not rest:
        raise ValueError(f"fidelity key {key!r}: expected '<object>.<field>...' with <object> "
                         f"one of {', '.join(OBJECTS)}")
    conditions = []
    for part in rest.split("&"):
        match = _PART.match(part)
        if match is None:
            raise ValueError(f"fidelity key {key!r}: cannot read condition {part!r}")
        index, op, value = match.group("index", "op", "value")
        if op == "!=" and not value:
            raise ValueError(f"fidelity key {key!r}: '!=' needs a value")
        conditions.append(Condition(match.group("field"),
                                    None if index is None else int(index),
                                    None if op is None else tuple(value.split("|")),
                                    op == "!="))
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"fidelity key {key!r}: its text is empty")
    return Declaration(key, kind, tuple(conditions), text.strip())


_CACHE: dict[type, Mapping[str, tuple[Declaration, ...]]] = {}


def declarations(target: Any) -> Mapping[str, tuple[Declaration, ...]]:
    """A target's (class or instance) parsed declarations, by object kind."""
    cls = target if isinstance(target, type) else type(target)
    cached = _CACHE.get(cls)
    if cached is None:
        by_kind: dict[str, list[Declaration]] = {}
        for key, text in dict(getattr(cls, "fidelity", {}) or {}).items():
            decl = parse(key, text)
            by_kind.setdefault(decl.kind, []).append(decl)
        cached = _CACHE[cls] = {k: tuple(v) for k, v in by_kind.items()}
    return cached


def notes(target: Any, kind: str, obj: Any) -> list[str]:
    """The report lines that apply to one source object of ``kind`` (``"contact"``...)."""
    lines = [d.line for d in declarations(target).get(kind, ()) if d.applies(obj)]
    extra = getattr(obj, "extra", None) if kind in EXTRA_KINDS else None
    if isinstance(extra, Mapping):
        lines += [f"{kind}.{name}: {provider_of(obj)} field without a canonical name: not "
                  "carried" for name, value in extra.items()
                  if name not in IGNORED_EXTRA and not _empty(value)]
    return lines

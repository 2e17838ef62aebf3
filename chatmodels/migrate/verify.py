"""Field-level verification: read back every migrated object and compare it with the source.

For each object a journal has ``done`` (its target id recorded), the source object is read
again and the target object read back through the target's ``read_*`` methods (contacts,
conversations with their messages) or its lookups (``find_tag``, ``find_field``, ``find_note``,
``find_event``). Each canonical field gets one of four statuses:

* ``equal``: the same value once both are normalised (markup and whitespace of texts, case of
  emails and tag names, numbers against their text, booleans against ``"true"``, ISO dates
  against unix seconds);
* ``transformed``: it differs as a rule says it may and the target holds a value — a
  :class:`Rule` (a mapping's renames and value maps plug in here) or a fidelity declaration
  of the target that applies to the source object (``Target.fidelity``, read as in
  :mod:`chatmodels.migrate.fidelity`);
* ``lost``: it differs as declared and the target holds nothing;
* ``different``: it differs and nothing declares why. :attr:`Verification.ok` is false.

Through the mapping: the source object is compared as the run wrote it, seen through the
mapping file the journal recorded (``mapping=`` overrides it): a field the file renames, value
maps, defaults or coerces is ``transformed`` (reason ``mapping file``) when the target holds
what the file makes of it, a field the file leaves out is ``lost`` (same reason); target
declarations then apply to the mapped object (a mapped state meets the target's own rules).

Kinds the target cannot read back are listed (``Target.unreadable``), not failed. The report is
a table (``str``) and a CSV or HTML file (:meth:`Verification.write`).
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import html
import os
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, Protocol

from ..client import Client
from ..errors import ChatModelsError, ConfigurationError, ResourceNotFound, UnknownResource
from . import fidelity
from .attachments import comparable
from .engine import WRITTEN_MESSAGES, _ts
from .journal import Journal, JournalError
from .mapper import Mapper, View
from .mapping import Mapping as MappingFile
from .mapping import load, recorded_mapping
from .targets import Target, account_identity, plain, target_for

STATUSES = ("equal", "transformed", "lost", "different")
#: the canonical contact fields compared (custom attributes and tags are compared too)
CONTACT_FIELDS = ("name", "email", "phone", "external_id")
#: fields compared without case
FOLDED = frozenset({"email"})
#: the reason of a field the mapping file changed
MAPPED = "mapping file"
_MISSING = object()


class Rule(Protocol):
    """Says how a source field may legitimately differ on the target (a mapping file's rename
    or value map, say). :meth:`expect` returns ``(target field, expected value, reason)`` or
    ``None`` when the rule does not touch the field; the verifier then reads ``target field``
    on the target and reports ``transformed`` (with ``reason``) when it holds ``expected``."""

    def expect(self, kind: str, field: str, value: Any) -> tuple[str, Any, str] | None: ...


@dataclasses.dataclass(frozen=True)
class Check:
    """One field of one migrated object."""

    kind: str
    source_id: str
    target_id: str
    field: str
    status: str
    source: str = ""
    target: str = ""
    reason: str = ""


@dataclasses.dataclass
class Verification:
    """Every check, and the kinds that could not be read back (kind -> why)."""

    checks: list[Check] = dataclasses.field(default_factory=list)
    unreadable: dict[str, str] = dataclasses.field(default_factory=dict)
    errors: list[tuple[str, str, str]] = dataclasses.field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors and not any(c.status == "different" for c in self.checks)

    @property
    def different(self) -> list[Check]:
        return [c for c in self.checks if c.status == "different"]

    def summary(self) -> dict[tuple[str, str], Counter[str]]:
        """(kind, field) -> status counts; a message's fields are summed over messages."""
        out: dict[tuple[str, str], Counter[str]] = {}
        for c in self.checks:
            out.setdefault((c.kind, re.sub(r"\[\d+\]", "[]", c.field)), Counter())[c.status] += 1
        return out

    def __str__(self) -> str:
        lines = ["Verification", f"{'kind.field':<40}" + "".join(f"{s:>13}" for s in STATUSES)]
        for (kind, field), counts in sorted(self.summary().items()):
            lines.append(f"{kind + '.' + field:<40}" + "".join(f"{counts[s]:>13}"
                                                              for s in STATUSES))
        if not self.checks:
            lines.append("(nothing migrated to verify)")
        declared = Counter((c.kind, c.field.split("[")[0], c.status, c.reason)
                           for c in self.checks if c.status in ("transformed", "lost"))
        if declared:
            lines += ["", "As declared:"]
            lines += [f"  {kind}.{field} {status}: {reason} ({n})"
                      for (kind, field, status, reason), n in sorted(declared.items())]
        for kind, why in sorted(self.unreadable.items()):
            lines.append(f"Not verified: {kind}: {why}")
        different = self.different
        if different:
            lines += ["", f"Unexpectedly different ({len(different)}):"]
            lines += [f"  {c.kind} {c.source_id} -> {c.target_id}: {c.field}: source "
                      f"{c.source!r}, target {c.target!r}" for c in different[:50]]
        if self.errors:
            lines += ["", f"Could not be read ({len(self.errors)}):"]
            lines += [f"  {kind} {sid}: {error}" for kind, sid, error in self.errors[:50]]
        return "\n".join(lines)

    # -- files ---------------------------------------------------------------------------------
    def write(self, path: str) -> None:
        """Write the report as CSV (``.csv``) or HTML (``.html``/``.htm``)."""
        ext = os.path.splitext(path)[1].lower()
        if ext not in (".csv", ".html", ".htm"):
            raise ConfigurationError(f"report {path!r}: name a .csv or .html file")
        try:
            with open(path, "w", encoding="utf-8", newline="") as out:
                if ext == ".csv":
                    self._csv(out)
                else:
                    out.write(self.html())
        except OSError as exc:
            raise ConfigurationError(f"report {path!r}: {exc.strerror or exc}") from None

    def _csv(self, out: Any) -> None:
        writer = csv.writer(out)
        names = [f.name for f in dataclasses.fields(Check)]
        writer.writerow(names)
        for c in self.checks:
            writer.writerow([_cell(getattr(c, n)) for n in names])
        for kind, why in sorted(self.unreadable.items()):
            writer.writerow([kind, "", "", "", "not verified", "", "", _cell(why)])
        for kind, sid, error in self.errors:
            writer.writerow([kind, sid, "", "", "error", "", "", _cell(error)])

    def html(self) -> str:
        e = html.escape
        rows = "".join(
            f"<tr><td>{e(kind)}.{e(field)}</td>"
            + "".join(f"<td>{counts[s]}</td>" for s in STATUSES) + "</tr>"
            for (kind, field), counts in sorted(self.summary().items()))
        detail = "".join(
            f"<tr class=\"{e(c.status)}\"><td>{e(c.kind)}</td><td>{e(c.source_id)}</td>"
            f"<td>{e(c.target_id)}</td><td>{e(c.field)}</td><td>{e(c.status)}</td>"
            f"<td>{e(c.source)}</td><td>{e(c.target)}</td><td>{e(c.reason)}</td></tr>"
            for c in self.checks if c.status != "equal")
        notes = "".join(f"<li>{e(kind)}: {e(why)}</li>" for kind, why
                        in sorted(self.unreadable.items()))
        verdict = "passed" if self.ok else "FAILED: some fields are unexpectedly different"
        return (
            "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>chatmodels "
            "verification</title><style>body{font-family:sans-serif}td,th{padding:2px 8px;"
            "border-bottom:1px solid #ddd}.different{background:#fdd}</style></head><body>"
            f"<h1>Migration verification: {e(verdict)}</h1>"
            "<h2>Summary</h2><table><tr><th>field</th>"
            + "".join(f"<th>{s}</th>" for s in STATUSES) + f"</tr>{rows}</table>"
            + (f"<h2>Not verified</h2><ul>{notes}</ul>" if notes else "")
            + "<h2>Fields that are not equal</h2><table><tr><th>kind</th><th>source id</th>"
            "<th>target id</th><th>field</th><th>status</th><th>source</th><th>target</th>"
            f"<th>reason</th></tr>{detail}</table></body></html>\n")


def _cell(value: Any) -> str:
    """A CSV cell that a spreadsheet will not run as a formula."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") and not _number(text) else text


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


# -- normalisation -------------------------------------------------------------------------------
def squash(text: Any) -> str:
    """Text without markup or whitespace (providers differ in both)."""
    return re.sub(r"\s+", "", plain(text))


def spelled(name: Any) -> str:
    """A field name as any provider may spell it (``PLAN_TIER``, ``plan-tier``)."""
    return re.sub(r"[^a-z0-9]", "_", str(name).strip().lower())


def empty(value: Any) -> bool:
    return value is None or value is _MISSING or value in ("", [], {})


def same(a: Any, b: Any, *, fold: bool = False) -> bool:
    """Equal once normalised: numbers as numbers, an ISO date as its unix seconds, texts
    without markup or whitespace (and case, with ``fold``: emails), lists of names as sets
    without case."""
    if empty(a) and empty(b):
        return True
    if empty(a) or empty(b):
        return False
    if isinstance(a, dt.datetime) or isinstance(b, dt.datetime):
        return _seconds(a) == _seconds(b) and _seconds(a) is not None
    if not isinstance(a, bool) and not isinstance(b, bool):
        try:
            return float(a) == float(b)
        except (TypeError, ValueError):
            pass
    for date, stamp in ((a, b), (b, a)):
        if isinstance(date, str) and isinstance(stamp, (int, float)) \
                and not isinstance(stamp, bool):
            return _seconds(date) == int(stamp)
    if isinstance(a, (list, tuple, set)) and isinstance(b, (list, tuple, set)):
        return sorted(squash(x).lower() for x in a) == sorted(squash(x).lower() for x in b)
    if fold or isinstance(a, bool) or isinstance(b, bool):
        return squash(_text(a)).lower() == squash(_text(b)).lower()
    return squash(_text(a)) == squash(_text(b))


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _seconds(value: Any) -> int | None:
    if isinstance(value, dt.datetime):
        return int(value.timestamp())
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return int(value)
    try:
        when = dt.datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return int(when.replace(tzinfo=when.tzinfo or dt.timezone.utc).timestamp())


def _show(value: Any) -> str:
    if value is _MISSING or value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return ", ".join(_show(v) for v in value)
    return _text(value)


# -- the verifier ------------------------------------------------------------------------------
class Verifier:
    """Compare what ``journal`` migrated from ``source`` to ``target``, field by field.

    ``rules``: extra :class:`Rule` objects, consulted before the target's fidelity
    declarations. ``mapping``: the mapping file (path or parsed) to compare through instead of
    the one the journal recorded.
    """

    def __init__(self, source: Client, target: Client, journal: str, *,
                 rules: Sequence[Rule] = (), mapping: MappingFile | str | None = None) -> None:
        # a read-only copy: verification never writes the journal and takes no lock
        self.journal = Journal(journal, read_only=True)
        if self.journal.get_meta("target_identity") is None:
            self.journal.close()
            raise JournalError(f"journal {journal} records no migration: nothing to verify")
        try:
            self.journal.check_identity("target", account_identity(target), allow_change=False)
            self.journal.check_identity("source", account_identity(source), allow_change=False)
        except JournalError:
            self.journal.close()
            raise
        self.source = source
        self.target = target
        self.writer: Target = target_for(target, dry_run=True)
        self.rules = list(rules)
        try:
            chosen = load(mapping) if isinstance(mapping, str) else mapping
            if chosen is None:
                chosen = recorded_mapping(self.journal)
        except ChatModelsError:
            self.journal.close()
            raise
        self.mapping: MappingFile = chosen or MappingFile()
        self.mapper = Mapper(self.mapping, self.writer)
        self.result = Verification()
        self._tag_names: dict[str, str] | None = None

    def close(self) -> None:
        self.journal.close()

    def __enter__(self) -> Verifier:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def run(self) -> Verification:
        steps = (("tags", self._tags), ("contact_fields", self._fields),
                 ("contacts", self._contacts), ("conversations", self._conversations))
        for kind, step in steps:
            if kind != "contacts" and kind not in self.writer.writes:
                continue
            why = self.writer.unreadable.get(kind)
            if why is not None:
                self.result.unreadable[kind] = why
                continue
            try:
                self.source.resource(kind)
            except UnknownResource:
                continue
            step()
        return self.result

    # -- plumbing --------------------------------------------------------------------------------
    def _done(self, kind: str, sid: str) -> str | None:
        """The target id of a row the journal has done, ``None`` otherwise (or no object)."""
        entry = self.journal.get(kind, sid)
        if entry is None or entry.state != "done" or not entry.target_id:
            return None
        return entry.target_id

    def _add(self, kind: str, sid: str, tid: str, field: str, status: str, source: Any = None,
             target: Any = None, reason: str = "") -> None:
        self.result.checks.append(Check(kind, sid, tid, field, status, _show(source),
                                        _show(target), reason))

    def _declared(self, kind: str, obj: Any, field: str) -> str | None:
        """The line of a fidelity declaration on ``field`` that applies to ``obj``."""
        root = field.split(".")[0].split("[")[0]
        for decl in fidelity.declarations(self.writer).get(kind, ()):
            if any(c.field == root for c in decl.conditions) and decl.applies(obj):
                return decl.line
        return None

    def compare(self, kind: str, obj: Any, sid: str, tid: str, field: str, want: Any,
                got: Any, read: Any = None, mapped: Any = _MISSING, *,
                renamed: bool = False) -> None:
        """One field: ``want`` on the source, ``got`` on the target (``read(field)`` reads
        another target field, for rules that rename); ``mapped``: what the mapping file
        makes of ``want`` (when it has a rule for the field); ``renamed``: the file gives it
        another name on the target (``got`` is read under that name)."""
        fold = field in FOLDED
        if mapped is not _MISSING and (renamed or not same(want, mapped, fold=fold)):
            if same(mapped, got, fold=fold):
                self._add(kind, sid, tid, field, "lost" if empty(got) and not empty(want)
                          else "transformed", want, got, MAPPED)
                return
            want = mapped  # what the run wrote: the target's own rules apply to it
        if same(want, got, fold=fold):
            self._add(kind, sid, tid, field, "equal", want, got)
            return
        for rule in self.rules:
            expected = rule.expect(kind, field, want)
            if expected is None:
                continue
            other, value, reason = expected
            held = read(other) if read is not None and other != field else got
            if same(value, held, fold=fold):
                self._add(kind, sid, tid, field, "transformed", want, held, reason)
                return
        line = self._declared(kind, obj, field)
        if line is not None:
            self._add(kind, sid, tid, field, "lost" if empty(got) else "transformed", want,
                      got, line)
            return
        self._add(kind, sid, tid, field, "different", want, got)

    def _fail(self, kind: str, sid: str, exc: BaseException) -> None:
        self.result.errors.append((kind, sid, f"{type(exc).__name__}: {exc}"))

    # -- tags and fields -------------------------------------------------------------------------
    def _tags(self) -> None:
        if self.writer.implicit_tags:
            self.result.unreadable["tags"] = self.writer.implicit_tags
            return
        for tag in self.source.resource("tags").all():
            tid = self._done("tag", str(tag.id))
            if tid is None or not tag.name:
                continue
            name = self.mapping.tag_name(tag.name) or tag.name
            found = self.writer.find_tag(name)
            self.compare("tag", tag, str(tag.id), tid, "name", tag.name,
                         name if found == tid else None, mapped=name,
                         renamed=name.lower() != tag.name.lower())

    def _fields(self) -> None:
        if self.writer.schemaless_fields:
            self.result.unreadable["contact_fields"] = self.writer.schemaless_fields
            return
        for f in self.source.resource("contact_fields").all():
            sid = str(f.id or f.name)
            tid = self._done("contact_field", sid)
            if tid is None or not f.name:
                continue
            name = (self.mapper.field(f) or (f.name,))[0]
            found = self.writer.find_field(name)
            self.compare("contact_field", f, sid, tid, "name", f.name,
                         name if found is not None else None, mapped=name,
                         renamed=spelled(name) != spelled(f.name))

    # -- contacts ----------------------------------------------------------------------------------
    def _target_tag_names(self) -> dict[str, str]:
        if self._tag_names is None:
            try:
                self._tag_names = {str(t.id): str(t.name) for t in self.target.Tag.all()
                                   if t.name}
            except (UnknownResource, ChatModelsError):
                self._tag_names = {}
        return self._tag_names

    def _names(self, tags: Iterable[Any], names: Mapping[str, str]) -> list[str]:
        out = []
        for t in tags or []:
            name = t.peek("name") if hasattr(t, "peek") else None
            out.append(str(name or names.get(str(t.id)) or t.id))
        return sorted(out)

    def _contacts(self) -> None:
        source_tags: dict[str, str] = {}
        if "tags" in self.writer.writes:
            try:
                source_tags = {str(t.id): str(t.name) for t in self.source.resource("tags").all()
                               if t.name}
            except UnknownResource:
                pass
        for contact in self.source.resource("contacts").all():
            sid = str(contact.id)
            tid = self._done("contact", sid)
            if tid is None:
                continue
            try:
                got = self.writer.read_contact(tid)
            except ResourceNotFound:
                self._add("contact", sid, tid, "exists", "different", sid, None,
                          "not found on the target")
                continue
            except ChatModelsError as exc:
                self._fail("contact", sid, exc)
                continue
            self._contact(self.mapper.view("contact", contact), sid, tid, got, source_tags)
            self._children(contact, sid, tid)

    def _contact(self, contact: Any, sid: str, tid: str, got: Any,
                 source_tags: Mapping[str, str]) -> None:
        def read(field: str) -> Any:
            if field.startswith("custom_attributes."):
                return _custom(got, field.partition(".")[2])
            return getattr(got, field, None)

        source = _unwrap(contact)
        for field in CONTACT_FIELDS:
            self.compare("contact", contact, sid, tid, field, getattr(source, field, None),
                         getattr(got, field, None), read, getattr(contact, field, None))
        rules = self.mapping.rules("contacts").attributes
        mapped = (contact.custom_attributes or {}) if contact is not source else None
        landed = set()
        for key, value in (source.custom_attributes or {}).items():
            if value is None or not key:
                continue
            field = f"custom_attributes.{key}"
            rule = rules.get(key)
            if mapped is None:
                self.compare("contact", contact, sid, tid, field, value, _custom(got, key),
                             read)
            elif rule is not None and (rule.exclude or rule.field):
                self.compare("contact", contact, sid, tid, field, value, _custom(got, key),
                             read, None)  # left out, or carried in a field (compared there)
            else:
                to = (rule.to if rule is not None else None) or key
                landed.add(to)
                self.compare("contact", contact, sid, tid, field, value, _custom(got, to),
                             read, mapped.get(to), renamed=spelled(to) != spelled(key))
        for key, value in (mapped or {}).items():  # set by the file: defaults, moved fields
            if key not in landed and value is not None and key:
                self.compare("contact", contact, sid, tid, f"custom_attributes.{key}", None,
                             _custom(got, key), read, value)
        if "tags" in self.writer.writes:
            want = self._names(source.tags or [], source_tags)
            have = self._names(getattr(got, "tags", None) or [], self._target_tag_names())
            self.compare("contact", contact, sid, tid, "tags", want, have, read,
                         self._mapped_tags(want))

    def _mapped_tags(self, names: Iterable[str]) -> list[str]:
        return sorted(n for n in (self.mapping.tag_name(x) for x in names) if n is not None)

    def _children(self, contact: Any, sid: str, tid: str) -> None:
        for kind, step in (("notes", "note"), ("events", "event")):
            if kind not in self.writer.writes:
                continue
            try:
                items = list(self.source.resource(kind).all(contact=contact))
            except UnknownResource:
                continue
            except ChatModelsError as exc:
                self._fail(step, f"{sid}/*", exc)
                continue
            for item in items:
                item = self.mapper.view(step, item)
                source = _unwrap(item)
                if step == "note":
                    csid = f"{sid}/{item.id}"
                    ctid = self._done("note", csid)
                    if ctid is None:
                        continue
                    found = self.writer.find_note(tid, item)
                    self.compare("note", item, csid, ctid, "body", plain(source.body),
                                 plain(item.body) if found is not None else None,
                                 mapped=plain(item.body))
                else:
                    csid = f"{sid}/{source.name}/{_ts(source.created_at)}"  # as the engine keys it
                    ctid = self._done("event", csid)
                    if ctid is None:
                        continue
                    found = self.writer.find_event(tid, item)
                    self.compare("event", item, csid, ctid, "name", source.name,
                                 item.name if found is not None else None, mapped=item.name)

    # -- conversations -----------------------------------------------------------------------------
    def _conversations(self) -> None:
        for conv in self.source.resource("conversations").all():
            sid = str(conv.id)
            tid = self._done("conversation", sid)
            if tid is None:
                continue
            try:
                got = self.writer.read_conversation(tid)
            except ResourceNotFound:
                self._add("conversation", sid, tid, "exists", "different", sid, None,
                          "not found on the target")
                continue
            except ChatModelsError as exc:
                self._fail("conversation", sid, exc)
                continue
            view = self.mapper.view("conversation", conv)
            self.compare("conversation", view, sid, tid, "state", conv.state,
                         getattr(got, "state", None), mapped=view.state)
            if "tags" in self.writer.writes:
                want = self._names(conv.tags or [], {})
                have = self._names(getattr(got, "tags", None) or [],
                                   self._target_tag_names())
                self.compare("conversation", view, sid, tid, "tags", want, have,
                             mapped=self._mapped_tags(want))
            self._messages(conv, sid, tid, got)

    def _messages(self, conv: Any, sid: str, tid: str, got: Any) -> None:
        want = list(_written(conv.messages))
        if "messages" not in self.writer.writes:
            want = want[:1]
        have = list(_written(getattr(got, "messages", None) or []))
        self.compare("conversation", conv, sid, tid, "messages", len(want), len(have))
        for i, msg in enumerate(want):
            other = have[i] if i < len(have) else None
            # text and file names: a file's URL differs on the target (uploaded, or a link)
            self.compare("message", msg, f"{sid}/{msg.id}", tid, f"messages[{i}].body",
                         comparable(msg), comparable(other) if other is not None else None)


def _written(messages: Iterable[Any]) -> Iterator[Any]:
    """The messages the engine writes: comments and notes with a body or attachments."""
    for m in messages:
        if m.kind in WRITTEN_MESSAGES and (m.body or m.attachments):
            yield m


def _unwrap(obj: Any) -> Any:
    """The source object under a mapping's view."""
    return obj.source if type(obj) is View else obj


def _custom(obj: Any, key: str) -> Any:
    values = getattr(obj, "custom_attributes", None) or {}
    if not isinstance(values, Mapping):
        return None
    if key in values:
        return values[key]
    wanted = spelled(key)
    return next((v for k, v in values.items() if spelled(k) == wanted), None)


def verify(source: Client, target: Client, journal: str, *, rules: Sequence[Rule] = (),
           mapping: MappingFile | str | None = None) -> Verification:
    """Verify one journal's migration (see :class:`Verifier`)."""
    with Verifier(source, target, journal, rules=rules, mapping=mapping) as verifier:
        return verifier.run()

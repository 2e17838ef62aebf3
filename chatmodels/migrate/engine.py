"""The migration engine: steps, exactly-once writes, delta runs, dry runs, progress, report.

Before writing, a run checks that the journal belongs to this source and target (identities
recorded on first use) and compares the journal with the *marker* the last run left on the
target (journal id and generation): a target marked by another journal, or by a later run of
this one (a journal restored from a backup), puts the run in *reconcile mode* -- every create
is preceded by a lookup -- until a complete run succeeds. See docs/reliability.md.

(Over 600 lines: the steps share the exactly-once protocol, ``_once``, and the run's state;
split, one protocol would be spread over several modules. The report is in ``report.py``.)
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

from ..client import Client
from ..errors import (
    APIConnectionError,
    ChatModelsError,
    ConflictError,
    ServerError,
    UnknownResource,
)
from . import attachments, fidelity
from .follow import SETTLE, STALE, _when
from .journal import Journal
from .mapper import Mapper, keep, weak_method
from .mapping import Mapping, record_mapping
from .pool import progress_bar, run_bounded
from .report import Report, StepStats
from .tagnames import SourceTagNames
from .targets import KINDS, MARKER_FIELD, Target, account_identity, plain, target_for

logger = logging.getLogger("chatmodels.migrate")

RESOURCES = ("agents", "tags", "contact_fields", "contacts", "conversations")
#: what the source must have for each kind: the resource class, by collection name (messages
#: are the conversations' own)
SOURCE_CLASSES = {"agents": "agents", "tags": "tags", "contact_fields": "contact_fields",
                  "contacts": "contacts", "notes": "notes", "events": "events",
                  "conversations": "conversations", "messages": "conversations"}
#: message kinds the engine writes; the others are state changes (the final state is applied)
WRITTEN_MESSAGES = ("comment", "note")
UNSURE = (APIConnectionError, ServerError)  # the write may have been applied


class MigrationAborted(ChatModelsError):
    """Raised with ``fail_fast=True`` on the first object that fails."""


def _ts(value: Any) -> str | None:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.timezone.utc).isoformat()
    return None if value is None else str(value)


def _parse_since(since: Any) -> dt.datetime | None:
    if since is None or isinstance(since, dt.datetime):
        return since if since is None or since.tzinfo else since.replace(tzinfo=dt.timezone.utc)
    if isinstance(since, (int, float)):
        return dt.datetime.fromtimestamp(since, tz=dt.timezone.utc)
    if isinstance(since, dt.date):
        return dt.datetime(since.year, since.month, since.day, tzinfo=dt.timezone.utc)
    text = str(since)
    parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)


class Migration:
    """Move a workspace from ``source`` to ``target`` (two ``connect()`` clients).

    ``journal`` is the SQLite file that makes the run resumable and exactly-once (locked from
    the constructor to the end of :meth:`run`: a second process gets ``JournalLocked``). ``workers`` bounds the
    concurrent writes; ``since`` limits the run to objects updated after it (default for a
    re-run: everything whose source version changed since it was migrated).
    ``allow_source_change``/``allow_target_change``: accept a journal recorded for another
    source/target identity (same account under a new base URL, say) instead of raising
    ``JournalMismatch``; its mapping is trusted as is. ``mapping``: a mapping file (path or
    :class:`~chatmodels.migrate.mapping.Mapping`, see docs/migration.md); ``sample``: migrate
    only that many contacts, with their conversations (the full run then skips them).
    The journal records the mapping (its text and digest) for ``verify``; a run whose mapping
    differs from the one recorded when the journal already holds written objects raises
    :class:`~chatmodels.migrate.mapping.MappingChanged` unless ``allow_mapping_change``.
    """

    def __init__(self, source: Client, target: Client, journal: str, *, workers: int = 8,
                 dry_run: bool = False, since: Any = None, fail_fast: bool = False,
                 progress: bool = True, default_agent_email: str | None = None,
                 allow_source_change: bool = False, allow_target_change: bool = False,
                 mapping: Mapping | str | None = None, sample: int | None = None,
                 allow_mapping_change: bool = False,
                 attachment_max_bytes: int = attachments.DEFAULT_MAX_BYTES) -> None:
        self.source = source
        self.target = target
        self.allow_source_change = allow_source_change
        self.allow_target_change = allow_target_change
        self.allow_mapping_change = allow_mapping_change
        self.journal = Journal(journal, read_only=dry_run)
        self.workers = max(1, workers)
        self.dry_run = dry_run
        self.since = _parse_since(since)
        self.fail_fast = fail_fast
        self.progress = progress
        # stay under the target's rate limit instead of hammering it into 429s
        target.http.pace = True
        target.http.pace_reserve = max(1, workers)
        self.writer: Target = target_for(target, dry_run=dry_run,
                                         default_agent_email=default_agent_email)
        # a weak reference: no cycle, so a dropped Migration frees its journal lock at once
        me = weakref.ref(self)

        def field_created(name: str) -> None:
            migration = me()
            if migration is not None:
                migration._count("contact_fields", "created")
                if not migration.dry_run:  # journaled, so that a rollback can delete it
                    migration.journal.done("contact_field", f"defined:{name}",
                                           migration.writer.find_field(name), None,
                                           origin="created")

        self.writer.on_field_created = field_created
        # message files, downloaded from the source for the target (see attachments.py)
        self.writer.files = attachments.Attachments(
            source, self.journal, mode=self.writer.attachments, max_bytes=attachment_max_bytes,
            dry_run=dry_run, target_name=self.writer.display_name,
            count=partial(weak_method(self._count), "attachments"),
            skip=partial(weak_method(self._skip), "attachments"))
        self.reconcile = False
        #: a live sync: a contact or conversation changed in the last ``follow.SETTLE`` seconds
        #: is journaled as to be synced again (set by ``follow()`` and ``migrate --follow``)
        self.settle = False
        self._marked = False
        self._seen_generation = 0
        self._mark_lock = threading.Lock()
        self._abort = threading.Event()
        self._report = Report(dry_run=dry_run, since=self.since)
        self._lock = threading.Lock()
        self._agent_map: dict[str, str] = {}
        self._available: dict[str, bool] = {}
        self._dry_contacts: set[str] = set()  # contacts a dry run planned
        self._pool: ThreadPoolExecutor | None = None
        self.mapper = Mapper(mapping, self.writer, note=weak_method(self._note),
                             skip=weak_method(self._skip), sample=sample)
        self._source_tag_names: dict[str, str] = SourceTagNames(source, self.mapper.tag,
                                                                self.mapper.tag_names)

    # -- public --------------------------------------------------------------------------
    def run(self, resources: Iterable[str] = RESOURCES) -> Report:
        """Run the steps in dependency order; return the :class:`Report` (also on failure)."""
        wanted = [r for r in RESOURCES if r in set(resources)]
        unknown = set(resources) - set(RESOURCES)
        if unknown:
            raise ValueError(f"unknown resources {sorted(unknown)}; choose from {RESOURCES}")
        started = time.monotonic()
        self.journal.acquire()  # held from the constructor; released by the end of a run
        try:
            self._check_journal()
            run_id = self.journal.start_run(self.dry_run, self.since.timestamp()
                                            if self.since else None)
        except BaseException:
            self.journal.release_lock()
            raise
        status = "failed"
        # one pool for every step: its threads (and their HTTP connections) are reused
        self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="migrate")
        try:
            for name in RESOURCES:
                # agents and tags are cheap and every later step needs their mapping
                if name in wanted or name in ("agents", "tags"):
                    self._progress(name, "running")
                    getattr(self, f"_step_{name}")()
                    self._progress(name, "aborted" if self._abort.is_set() else "completed")
                if self._abort.is_set():
                    break
            status = "completed" if not self._abort.is_set() else "failed"
            if status == "completed" and not self._report.errors \
                    and set(wanted) == set(RESOURCES) and self.since is None \
                    and not self.dry_run and not self.mapper.partial:
                self.journal.set_meta("reconcile", "")  # everything is in the journal again
        except KeyboardInterrupt:
            status = "interrupted"
            raise
        finally:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
            self._report.elapsed = time.monotonic() - started
            self.journal.finish_run(run_id, status, self._report.as_dict())
            self.journal.release_lock()
        if self.fail_fast and self._report.errors:
            raise MigrationAborted(f"{self._report.errors[0][0]} {self._report.errors[0][1]}: "
                                   f"{self._report.errors[0][2]}")
        return self._report

    def follow(self, feed: Any = None, *, stop: Any = None, poll_interval: float | None = None,
               idle_timeout: float | None = None, resources: Iterable[str] = RESOURCES,
               on_write: Callable[[Any, int], None] | None = None) -> Any:
        """Keep the migration current until stopped; returns a ``FollowReport``.

        ``feed``: an iterable or ``queue.Queue`` of webhook events (hints: each object is
        re-read from the source and re-synced through the journal, duplicates skipped by
        event id), or ``None`` to poll (a delta round every ``poll_interval`` seconds, default
        30). With a queue feed, ``poll_interval`` (default ``None``: off) adds a safety-net
        delta round every ``poll_interval`` seconds and one before an idle stop.
        ``stop``: a ``threading.Event`` or a callable; ``idle_timeout``: stop after that many
        seconds with nothing to do; ``on_write(report, n)`` after each round or event that
        wrote ``n`` objects. See :mod:`chatmodels.migrate.follow`.
        """
        from .follow import Follower
        self.settle = True
        follower = Follower(self, resources=resources, stop=stop, idle_timeout=idle_timeout,
                            on_write=on_write)
        if feed is None:
            return follower.poll(30.0 if poll_interval is None else poll_interval)
        return follower.events(feed, poll_interval)

    def close(self) -> None:
        """Release the journal (and its lock)."""
        self.journal.close()

    def __enter__(self) -> Migration:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _check_journal(self) -> None:
        """Identities, then the target's marker: decide on reconcile mode, mark the target."""
        self.journal.check_identity("source", account_identity(self.source),
                                    allow_change=self.allow_source_change)
        self.journal.check_identity("target", account_identity(self.target),
                                    allow_change=self.allow_target_change)
        if not self.dry_run:
            record_mapping(self.journal, self.mapper.mapping,
                           allow_change=self.allow_mapping_change)
        marker = self.writer.read_marker()
        ours = self.journal.journal_id
        reason = None
        seen = 0
        if marker is not None:
            if marker.get("journal") != ours:
                reason = ("the target was written by another journal (lost, replaced, or "
                          "another migration)")
            else:
                seen = int(marker.get("generation") or 0)
                if seen > self.journal.generation:
                    reason = ("the journal is older than the target (restored from a "
                              "backup?)")
        if reason:
            logger.warning("%s: every create is looked up on the target first", reason)
            self.journal.set_meta("reconcile", reason)
        self.reconcile = bool(self.journal.get_meta("reconcile"))
        self._report.reconcile = self.journal.get_meta("reconcile") or None
        self._seen_generation = seen
        self._marked = self.dry_run  # a dry run never marks

    def _mark(self) -> None:
        """Before the run's first write: bump the generation, leave the marker on the target.

        Lazy, so that a run with nothing to do writes nothing at all.
        """
        if self._marked:
            return
        with self._mark_lock:
            if self._marked:
                return
            generation = self.journal.next_generation(self._seen_generation)
            for attempt in range(4):  # the marker's writes look up before creating
                try:
                    self.writer.write_marker(self.journal.journal_id, generation)
                    break
                except UNSURE:
                    if attempt == 3:
                        raise
                    time.sleep(0.2 * (attempt + 1))
            self._seen_generation = generation
            self._marked = True

    def step_progress(self) -> dict[str, Any]:
        """Each step's last recorded state in the journal (``running`` after a crash)."""
        out = {}
        for name in RESOURCES:
            raw = self.journal.get_meta(f"step:{name}")
            if raw:
                out[name] = json.loads(raw)
        return out

    # -- plumbing ------------------------------------------------------------------------
    def _progress(self, step: str, state: str) -> None:
        """Record a step's state and counters in the journal (not in dry runs)."""
        if self.dry_run:
            return
        stats = self._report.steps.get(step)
        self.journal.set_meta(f"step:{step}", json.dumps({
            "state": state, "at": time.time(),
            "counters": stats.as_dict() if stats else {}}))

    def _stats(self, step: str) -> StepStats:
        with self._lock:
            return self._report.steps.setdefault(step, StepStats())

    def _count(self, step: str, what: str, n: int = 1) -> None:
        with self._lock:
            stats = self._report.steps.setdefault(step, StepStats())
            setattr(stats, what, getattr(stats, what) + n)

    def _skip(self, step: str, reason: str, n: int = 1) -> None:
        """Count ``n`` objects skipped for a reason (printed with the report)."""
        if n <= 0:
            return
        self._count(step, "skipped", n)
        with self._lock:
            self._report.skips[(step, reason)] += n

    def _note(self, note: str, n: int = 1) -> None:
        with self._lock:
            self._report.fidelity[note] += n

    def _fidelity(self, kind: str, obj: Any) -> None:
        """Count the target's fidelity declarations that apply to one source object."""
        for line in fidelity.notes(self.writer, kind, obj):
            self._note(line)

    def _can(self, kind: str) -> bool:
        """Whether ``kind`` can be migrated: the target declares it (``Target.writes``) and
        the source has its class. If not, the report says why (once) and the kind is skipped."""
        with self._lock:
            known = self._available.get(kind)
        if known is not None:
            return known
        reason = None
        if kind not in ("agents", "contacts") and kind not in self.writer.writes:
            reason = f"{self.writer.display_name} does not hold them (the target writes " \
                     f"{', '.join(k for k in KINDS if k in self.writer.writes)})"
        else:
            try:
                self.source.resource(SOURCE_CLASSES[kind])
            except UnknownResource:
                reason = "the source has none"
        with self._lock:
            self._available[kind] = reason is None
            if reason is not None:
                self._report.unavailable[kind] = reason
        return reason is None

    def _fail(self, step: str, kind: str, sid: str, exc: BaseException) -> None:
        message = f"{type(exc).__name__}: {exc}"
        logger.warning("%s %s failed: %s", kind, sid, message)
        if not self.dry_run:
            self.journal.failed(kind, sid, message)
        with self._lock:
            self._report.errors.append((kind, sid, message))
        self._count(step, "failed")
        if self.fail_fast:
            self._abort.set()

    def _parallel(self, step: str, items: Iterable[Any], work: Callable[[Any], None],
                  total: int | None = None) -> None:
        """Run ``work`` on every item with at most ``workers`` in flight (bounded memory)."""
        run_bounded(self._pool, self.workers, items, work,
                    progress_bar(step, total, self.progress), self._abort)

    def _once(self, step: str, kind: str, sid: str, version: str | None,
              lookup: Callable[[], str | None], create: Callable[[], str],
              update: Callable[[str], None] | None = None, payload: Any = None,
              lookup_first: bool = False) -> str | None:
        """Exactly-once write of one object; returns its target id.

        done + same version: skip. done + new version: ``update``. pending (a crash or lost
        response): ``lookup`` on the target first, then create only if it is not there.
        """
        entry = self.journal.get(kind, sid)
        if entry is not None and entry.state == "done":
            if entry.version == version or update is None or version is None:
                self._count(step, "skipped")
                return entry.target_id
            if self.dry_run:
                self._count(step, "planned")
                self._count(step, "updated")
                return entry.target_id
            self._mark()
            update(entry.target_id or "")
            self.journal.done(kind, sid, entry.target_id, self._recorded(kind, version), payload)
            self._count(step, "updated")
            return entry.target_id
        if self.dry_run:
            self._count(step, "planned")
            self._count(step, "created")
            return None
        self._mark()
        # pending (crash) or failed (the error may have come after the write was applied):
        # look on the target before writing again
        if (entry is not None and entry.state in ("pending", "failed")) or lookup_first \
                or self.reconcile:
            found = lookup()
            if found is not None:
                # after a crash or a failure it may be ours; else it was there before
                mine = entry is not None and entry.state in ("pending", "failed")
                self.journal.done(kind, sid, found, self._recorded(kind, version), payload,
                                  origin="reconciled" if mine else "matched")
                self._count(step, "reconciled")
                return found
        self.journal.pending(kind, sid, version, payload)
        for attempt in range(3):
            try:
                target_id = create()
                break
            except ConflictError:
                found = lookup()
                if found is None:
                    raise
                if update is not None:
                    update(found)
                # a 409 on the first attempt: it was there before (later: maybe ours)
                self.journal.done(kind, sid, found, self._recorded(kind, version), payload,
                                  origin="matched" if attempt == 0 else "reconciled")
                self._count(step, "reconciled")
                return found
            except UNSURE:
                # the response was lost or the server failed mid-way: look before retrying
                time.sleep(0.2 * (attempt + 1))
                found = lookup()
                if found is not None:
                    self.journal.done(kind, sid, found, self._recorded(kind, version), payload,
                                      origin="reconciled")
                    self._count(step, "reconciled")
                    return found
                if attempt == 2:
                    raise
        self.journal.done(kind, sid, target_id, self._recorded(kind, version), payload, origin="created")
        self._count(step, "created")
        return target_id

    # -- steps ---------------------------------------------------------------------------
    def _recorded(self, kind: str, version: str | None) -> str | None:
        """The version to journal: during a live sync, a contact or conversation whose
        ``updated_at`` is under ``SETTLE`` seconds old is journaled as ``STALE``, so the next
        round (or the next process, after a ``kill -9``) syncs it again: a second change in
        the same second would not move a one-second ``updated_at``."""
        if not self.settle or kind not in ("contact", "conversation"):
            return version
        when = _when(version)
        if when is not None and when >= dt.datetime.now(dt.timezone.utc) - dt.timedelta(
                seconds=SETTLE):
            return STALE
        return version

    def _step_agents(self) -> None:
        self._stats("agents")
        if not self._can("agents"):
            return
        agents = list(self.source.resource("agents").all())
        mapping = self.mapper.match_agents(agents, self.writer.match_agents(agents))
        for agent in agents:
            self._fidelity("agent", agent)
            tid = mapping.get(str(agent.id))
            if tid is None:
                self._note("agent without a matching target agent (by email): its messages "
                           "are attributed to the default agent")
                self._count("agents", "skipped")
            else:
                if not self.dry_run:
                    self.journal.done("agent", str(agent.id), tid, None)
                self._count("agents", "reconciled")
        self._agent_map = {k: v for k, v in mapping.items() if v}

    def _step_tags(self) -> None:
        self._stats("tags")
        if not self._can("tags"):
            return
        for tag in self.source.resource("tags").all():
            name = self.mapper.tag(tag) if tag.name else None
            if not name:
                continue
            self._source_tag_names[str(tag.id)] = name
            self._fidelity("tag", tag)
            if self.dry_run and not self.writer.implicit_tags:
                if self.writer.find_tag(name) is None:
                    self._count("tags", "planned")
                    self._count("tags", "created")
                else:
                    self._count("tags", "skipped")
                continue
            sid = str(tag.id)
            if self.writer.implicit_tags:
                # nothing to create: the name is applied to contacts by the contacts step
                known = None if self.dry_run else self.journal.get("tag", sid)
                origin = None if self.dry_run or (known is not None and known.state == "done") \
                    else "matched" if self.writer.find_tag(name) is not None else "created"
                self.writer.create_tag(name)
                if not self.dry_run:
                    self.journal.done("tag", sid, name, None, origin=origin)
                self._skip("tags", self.writer.implicit_tags)
                continue
            try:
                self._once("tags", "tag", sid, None,
                           partial(self.writer.find_tag, name),
                           partial(self.writer.create_tag, name), lookup_first=True)
            except ChatModelsError as exc:
                self._fail("tags", "tag", sid, exc)

    def _step_contact_fields(self) -> None:
        self._stats("contact_fields")
        if not self._can("contact_fields"):
            return
        try:
            fields = list(self.source.resource("contact_fields").all())
        except ChatModelsError as exc:
            self._fail("contact_fields", "contact_field", "*", exc)
            return
        for f in fields:
            if f.custom is False:
                continue
            name = f.name
            data_type = f.data_type
            sid = str(f.id or name)
            if name == MARKER_FIELD:
                continue  # a previous migration's marker, not data
            target_field = self.mapper.field(f)
            if target_field is None:
                continue
            name, data_type = target_field
            self._fidelity("contact_field", f)
            if self.writer.schemaless_fields:
                self._skip("contact_fields", self.writer.schemaless_fields)
                continue
            if not data_type:
                # the source does not type its fields (Crisp people data): the contacts step
                # defines each one from the first value it sees (counted as created then)
                self._note("contact_field without a type on the source: defined by the "
                           "contacts step with the type of its first value")
                continue
            try:
                self._once("contact_fields", "contact_field", sid, None,
                           partial(self.writer.find_field, name),
                           partial(self.writer.create_field, name, data_type, f.description),
                           lookup_first=True)
            except ChatModelsError as exc:
                self._fail("contact_fields", "contact_field", sid, exc)

    def _selected(self, items: Iterable[Any]) -> Iterator[Any]:
        for obj in items:
            if self.since is not None and obj.updated_at is not None \
                    and obj.updated_at <= self.since:
                self._count(self._current_step, "skipped")
                continue
            if not self.mapper.selection.keep(self._current_step, obj):
                continue
            yield obj
            if self.mapper.selection.enough(self._current_step):
                break

    def _tag_names(self, contact: Any) -> list[str]:
        if not self._can("tags"):
            return []
        names = []
        for tag in contact.tags or []:
            name = tag.peek("name") or self._source_tag_names.get(str(tag.id))
            if name:
                names.append(name)
        return names

    def _step_contacts(self) -> None:
        self._current_step = "contacts"
        self._stats("contacts")
        if not self._can("contacts"):
            return
        contact_cls = self.source.resource("contacts")
        collection = contact_cls.all()
        total: int | None = None  # for the progress bar only
        if "count" in contact_cls.supported_operations():
            try:
                total = contact_cls.count()  # one request where the provider has a total
            except ChatModelsError:
                total = None
        self._parallel("contacts", self._selected(collection), self._contact, total)
        if not self.dry_run and self._can("tags"):
            self._apply_tags()

    def _contact(self, contact: Any) -> None:
        sid = str(contact.id)
        if self.dry_run:
            with self._lock:
                self._dry_contacts.add(sid)
        try:
            contact = self.mapper.wrap("contact", contact)
            self._fidelity("contact", contact)
            tags = self._tag_names(contact)
            version = _ts(contact.updated_at)
            reason = self.writer.cannot_create_contact(contact)
            if reason is not None:
                self._skip("contacts", reason)
                entry = self.journal.get("contact", sid)
                if not self.dry_run and (entry is None or entry.state != "done"):
                    # "" = no target object: its conversations become anonymous
                    self.journal.done("contact", sid, "", version, {"tags": []})
                self._skip_children(contact, sid)
                return
            tid = self._once(
                "contacts", "contact", sid, version,
                lambda: self.writer.find_contact(contact),
                lambda: self.writer.create_contact(contact),
                lambda t: self.writer.update_contact(t, contact),
                payload={"tags": tags, "tagged": False})
            self._contact_children(contact, sid, tid)
        except ChatModelsError as exc:
            self._fail("contacts", "contact", sid, exc)

    def _skip_children(self, contact: Any, sid: str) -> None:
        """Count the notes and events of a contact the target cannot hold as skipped."""
        why = "their contact cannot be created on the target"
        try:
            for kind in ("notes", "events"):
                if self._can(kind):
                    self._skip(kind, why, len(list(self.source.resource(kind).all(
                        contact=contact))))
        except ChatModelsError as exc:
            self._fail("contacts", "note", f"{sid}/*", exc)
        tags = self._tag_names(contact)
        if tags:
            self._skip("contact_tags", why, len(tags))

    def _taken_by_twins(self, sid: str, note: Any, notes: list[Any]) -> tuple[str, ...]:
        """Target ids already written for the contact's *other* notes with the same text: a
        lookup by text must not take one of those for this note (identical notes stay as many
        as the source has, even when an answer was lost)."""
        text = plain(note.body)
        taken = []
        for other in notes:
            if other is note or plain(other.body) != text:
                continue
            entry = self.journal.get("note", f"{sid}/{other.id}")
            if entry is not None and entry.state == "done" and entry.target_id is not None:
                taken.append(entry.target_id)
        return tuple(taken)

    def _contact_children(self, contact: Any, sid: str, tid: str | None) -> None:
        source_notes: list[Any] = []
        if self._can("notes"):
            try:
                source_notes = [self.mapper.wrap("note", n) for n in keep(
                    self.mapper, "notes", self.source.resource("notes").all(contact=contact))]
            except ChatModelsError as exc:
                self._fail("contacts", "note", f"{sid}/*", exc)
        for note in source_notes:
            self._fidelity("note", note)
            nsid = f"{sid}/{note.id}"
            author = self._agent_map.get(str(note.author_id)) if note.author_id else None
            self._once("notes", "note", nsid, None,
                       partial(self.writer.find_note, tid, note,
                               self._taken_by_twins(sid, note, source_notes)),
                       partial(self.writer.create_note, tid, note, author))
        events: list[Any] = []
        if self._can("events"):
            try:
                events = [self.mapper.wrap("event", e) for e in keep(
                    self.mapper, "events", self.source.resource("events").all(contact=contact))]
            except ChatModelsError as exc:
                self._fail("contacts", "event", f"{sid}/*", exc)
        for event in events:
            self._fidelity("event", event)
            esid = f"{sid}/{event.name}/{_ts(event.created_at)}"
            self._once("events", "event", esid, None,
                       partial(self.writer.find_event, tid, event),
                       partial(self.writer.create_event, tid, event))

    def _apply_tags(self) -> None:
        """Tag migrated contacts in bulk (one request per tag per 50 contacts).

        Each (contact, tag) pair is its own journal row (kind ``contact_tag``): a failed bulk
        request leaves its pairs ``failed``, reported, and retried by the next run.
        """
        self._stats("contact_tags")
        tagged = {e.source_id for e in self.journal.entries("contact_tag", "done")}
        by_tag: dict[str, list[tuple[str, str]]] = {}
        for entry in self.journal.entries("contact", "done"):
            if not entry.target_id:
                continue  # no object on the target (counted as skipped)
            for name in (entry.payload or {}).get("tags", []):
                key = f"{entry.source_id}/{name}"
                if key in tagged:
                    self._count("contact_tags", "skipped")
                else:
                    by_tag.setdefault(name, []).append((key, entry.target_id))
        for name, pairs in by_tag.items():
            for i in range(0, len(pairs), 50):
                chunk = pairs[i:i + 50]
                try:
                    self._mark()
                    _again(self.writer.tag_contacts, name, [t for _, t in chunk])
                except ChatModelsError as exc:
                    for key, _ in chunk:
                        self._fail("contact_tags", "contact_tag", key, exc)
                    continue
                for key, tid in chunk:
                    self.journal.done("contact_tag", key, tid, None)
                self._count("contact_tags", "created", len(chunk))

    def _step_conversations(self) -> None:
        self._current_step = "conversations"
        self._stats("conversations")
        if not self._can("conversations"):
            self._unwritten_conversations()
            return
        self._can("messages")  # reported once, before the workers start
        collection = self.source.resource("conversations").all()
        self._parallel("conversations", self._selected(collection), self._conversation,
                       _total(collection))

    def _unwritten_conversations(self) -> None:
        """A target that does not write conversations but declares what becomes of them
        (a history it cannot import) gets those lines counted: the source is read, nothing
        is written."""
        declared = {key.split(".", 1)[0] for key in self.writer.fidelity}
        if not declared & {"conversation", "message"}:
            return
        try:
            self.source.resource("conversations")
        except UnknownResource:
            return
        try:
            for conv in self._selected(self.source.resource("conversations").all()):
                conv = self.mapper.wrap("conversation", conv)
                self._fidelity("conversation", conv)
                for msg in conv.messages:
                    if msg.kind in WRITTEN_MESSAGES:
                        self._fidelity("message", msg)
        except ChatModelsError as exc:  # only a report line is at stake: say so, go on
            self._note(f"conversations: could not be read for this report "
                       f"({type(exc).__name__})")

    def _conversation(self, conv: Any) -> None:
        sid = str(conv.id)
        try:
            conv = self.mapper.wrap("conversation", conv)
            entry = self.journal.get("conversation", sid)
            version = _ts(conv.updated_at)
            if entry is not None and entry.state == "done" and entry.version == version:
                self._count("conversations", "skipped")
                return
            everything = list(conv.messages)
            messages = [m for m in everything
                        if m.kind in WRITTEN_MESSAGES and (m.body or m.attachments)]
            self._fidelity("conversation", conv)
            for msg in everything:
                if msg.kind in WRITTEN_MESSAGES:
                    self._fidelity("message", msg)
                else:
                    self._note(f"message.kind={msg.kind}: state changes are not replayed (the "
                               "final state and assignee are)")
            if not messages:
                self._note("conversation without any message: not migrated")
                self._count("conversations", "skipped")
                return
            if not self._can("messages"):
                messages = messages[:1]  # the first one starts the conversation
            contact_tid = self._contact_target(conv)
            fresh = entry is None or entry.state != "done"
            if self.dry_run:
                self._count("conversations", "planned")
                self._count("conversations", "created" if fresh else "updated")
                head = self.journal.get("conversation_head", sid)
                new = [m for m in messages[1:] if (self.journal.get(
                    "message", f"{sid}/{m.id}") or _NOT_DONE).state != "done"]
                new_messages = len(new) + (head is None or head.state != "done")
                self._count("messages", "planned", new_messages)
                self._count("messages", "created", new_messages)
                self._count("messages", "skipped", len(messages) - new_messages)
                return
            first = messages[0]
            # the first message creates the conversation: it counts as a message
            tid = self._once(
                "messages", "conversation_head", sid, None,
                lambda: self.writer.find_conversation(contact_tid, conv, first),
                lambda: self.writer.create_conversation(
                    contact_tid, conv, first, self._author(first)))
            assert tid is not None
            for msg in messages[1:]:
                msid = f"{sid}/{msg.id}"
                self._once("messages", "message", msid, None,
                           partial(self.writer.find_message, tid, msg),
                           partial(self.writer.add_message, tid, msg, contact_tid,
                                   self._author(msg)))
            assignee = self._agent_map.get(str(conv.assignee_id)) if conv.assignee_id else None
            tags = [t.peek("name") or self._source_tag_names.get(str(t.id))
                    for t in (conv.tags or [])] if self._can("tags") else []
            self._mark()
            _again(self.writer.finish_conversation, tid, conv, assignee, [t for t in tags if t])
            self.journal.done("conversation", sid, tid, self._recorded("conversation", version))
            self._count("conversations", "created" if fresh else "updated")
        except ChatModelsError as exc:
            self._fail("conversations", "conversation", sid, exc)

    def _author(self, msg: Any) -> str | None:
        if msg.author_type == "agent" and msg.author_id is not None:
            return self._agent_map.get(str(msg.author_id))
        return None

    def _contact_target(self, conv: Any) -> str | None:
        contacts = conv.contacts or []
        if not contacts:
            return None
        source_contact = contacts[0]
        entry = self.journal.get("contact", str(source_contact.id))
        if entry is not None and entry.state == "done":
            return entry.target_id
        if self.dry_run:
            # planned as the real run writes it: once, with its report lines
            with self._lock:
                unseen = str(source_contact.id) not in self._dry_contacts
                self._dry_contacts.add(str(source_contact.id))
            if unseen:
                source_contact.load()
                self._contact(source_contact)
            return None
        # a contact the contacts step did not see (deleted, archived, filtered): migrate it now
        source_contact.load()
        self._contact(source_contact)
        entry = self.journal.get("contact", str(source_contact.id))
        if entry is None or entry.state != "done":
            raise ChatModelsError(f"contact {source_contact.id} of conversation {conv.id} "
                                  "could not be migrated")
        return entry.target_id


def _again(write: Callable[..., None], *args: Any) -> None:
    """Run a write that is safe to repeat (it checks the target's state, or sets it), again
    when its outcome is unknown."""
    for attempt in range(3):
        try:
            write(*args)
            return
        except UNSURE:
            if attempt == 2:
                raise
            time.sleep(0.1 * (attempt + 1))


class _NotDone:
    state = "missing"


_NOT_DONE = _NotDone()


def _total(collection: Any) -> int | None:
    try:
        return collection.total()  # type: ignore[no-any-return]
    except (AttributeError, ChatModelsError):
        return None


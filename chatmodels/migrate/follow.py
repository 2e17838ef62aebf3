"""Live sync: keep a finished migration current (``Migration.follow``), through its journal.

Two feeds, one protocol -- the engine's own exactly-once writes (``_once``, one journal row per
object, looked up on the target before any re-write):

* **events** -- any iterable, or a :class:`queue.Queue`, of objects with the attributes of a
  ``chatmodels.webhooks.Event`` (duck-typed: ``provider``, ``topic``, ``id``, ``kind``,
  ``object_id``, ``conversation_id``, ``object``). An event is a *hint*: the follower re-reads
  the object's current state from the source and re-syncs it (a contact with its fields, tags,
  notes and events; a conversation with its new messages, final state, assignee and tags).
  Duplicated deliveries are skipped by event id (an in-memory LRU); reordered ones are harmless
  since the current state is read, never the payload's. A message event without a conversation
  id (Sendbee) runs a delta pass over the conversations. A deletion on the source is *declared*
  (counted in the report, logged), never propagated: targets have no delete in their contract.
  A queue feed may add a **safety net** (``poll_interval``): a delta round (below) every
  ``poll_interval`` seconds between events, and one before an idle stop, for what a lost
  delivery missed. The feed is typically a :class:`~chatmodels.migrate.receiver.WebhookReceiver`'s
  queue (started before the bulk run).
* **polling** -- delta rounds of the engine's steps every ``poll_interval`` seconds (what a
  re-run does: compare each source object's ``updated_at`` with the journal's), for sources or
  setups without webhooks.

A follow is one row in the journal's ``runs`` table and holds the journal lock from start to
end. It stops on ``stop`` (a ``threading.Event`` or a callable returning true), after
``idle_timeout`` seconds without anything to do (polling: checked after each round, so ``0``
stops after the first round that wrote nothing; a queue: seconds without an event, then,
with the safety net, a round that wrote nothing), when a
finite iterable is exhausted, or on Ctrl-C (``KeyboardInterrupt`` is re-raised). See
docs/migration.md ("Live sync and cutover") and docs/reliability.md.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import queue
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

from cachetools import LRUCache

from ..errors import ChatModelsError, ConfigurationError, ResourceNotFound
from .report import Report

if TYPE_CHECKING:  # pragma: no cover
    from .engine import Migration

logger = logging.getLogger("chatmodels.migrate.follow")

#: journal version of a row an event asked to re-sync (never a real ``updated_at``): the
#: next sync of the object re-reads and re-applies it even when ``updated_at`` did not move
STALE = "follow:resync"
#: event ids remembered for de-duplication
DEDUPE_SIZE = 100_000
#: how often a queue feed checks ``stop`` and the idle timeout (seconds)
TICK = 0.05
DELETED = "deleted on the source: kept on the target (deletions are not propagated)"
#: seconds: an object whose ``updated_at`` is this recent when a polling round ends is synced
#: once more by the next round -- a second change within the same (one-second) ``updated_at``
#: would not move its version; covers clocks that agree within this margin
SETTLE = 3.0


@dataclass
class FollowReport:
    """What a follow did. ``report`` sums the engine's counters (created, updated, reconciled,
    failed, errors) over every round or event; ``failed_rows`` is the journal's count of
    objects left ``failed`` when the follow stopped (``ok`` when none)."""

    mode: str
    stopped: str = ""
    rounds: int = 0
    events: int = 0
    duplicates: int = 0
    #: kind -> objects re-synced from events ("conversations (delta pass)" for unpinned ones)
    synced: Counter[str] = field(default_factory=Counter)
    #: kind -> objects deleted on the source, declared and kept on the target
    deleted: Counter[str] = field(default_factory=Counter)
    #: topic -> events with nothing to sync (unknown kinds, kinds not migrated)
    ignored: Counter[str] = field(default_factory=Counter)
    report: Report = field(default_factory=lambda: Report(dry_run=False))
    failed_rows: int = 0
    elapsed: float = 0.0

    @property
    def ok(self) -> bool:
        return self.failed_rows == 0

    def written(self) -> int:
        """Objects written or found on the target (agents are matched, never written)."""
        return sum(s.created + s.updated + s.reconciled for name, s in self.report.steps.items()
                   if name != "agents")

    def as_dict(self) -> dict[str, Any]:
        return {"mode": self.mode, "stopped": self.stopped, "rounds": self.rounds,
                "events": self.events, "duplicates": self.duplicates,
                "synced": dict(self.synced), "deleted": dict(self.deleted),
                "ignored": dict(self.ignored), "failed_rows": self.failed_rows,
                "elapsed": round(self.elapsed, 3), "report": self.report.as_dict()}

    def __str__(self) -> str:
        what = (f"{self.rounds} polling round(s)" if self.mode == "polling" else
                f"{self.events} event(s), {self.duplicates} duplicate(s) skipped")
        if self.mode == "events" and self.rounds:
            what += f", {self.rounds} safety-net round(s)"
        self.report.elapsed = self.elapsed
        text = f"Follow ({self.mode}) stopped ({self.stopped}) after {what}\n{self.report}"
        if self.synced:
            text += "\n\nRe-synced from events: " + ", ".join(
                f"{n} {k}" for k, n in sorted(self.synced.items()))
        if self.deleted:
            text += f"\n\nDeleted on the source ({DELETED.split(': ', 1)[1]}): " + ", ".join(
                f"{n} {k}" for k, n in sorted(self.deleted.items()))
        if self.ignored:
            text += "\n\nEvents with nothing to sync: " + ", ".join(
                f"{n} {k}" for k, n in sorted(self.ignored.items()))
        if self.failed_rows:
            text += (f"\n\n{self.failed_rows} object(s) left failed in the journal: run again "
                     "to retry them")
        return text


def _stopper(stop: Any) -> tuple[Callable[[], bool], Callable[[float], bool]]:
    """(is it stopped now?, wait up to s seconds and say whether it stopped)."""
    if stop is None:
        def sleep(seconds: float) -> bool:
            time.sleep(seconds)
            return False

        return (lambda: False), sleep
    if isinstance(stop, threading.Event):
        return stop.is_set, stop.wait
    if not callable(stop):
        raise TypeError("stop must be a threading.Event, a callable or None")

    def wait(seconds: float) -> bool:
        end = time.monotonic() + seconds
        while not stop():
            left = end - time.monotonic()
            if left <= 0:
                return False
            time.sleep(min(TICK, left))
        return True

    return (lambda: bool(stop())), wait


def _is_queue(feed: Any) -> bool:
    return isinstance(feed, queue.Queue) or (hasattr(feed, "get") and hasattr(feed, "empty")
                                             and not isinstance(feed, Mapping))


class Follower:
    """Runs one follow of ``migration`` (see the module docstring); use
    :meth:`Migration.follow`, which builds one."""

    def __init__(self, migration: Migration, *, resources: Iterable[str] | None = None,
                 stop: Any = None, idle_timeout: float | None = None,
                 dedupe_size: int = DEDUPE_SIZE,
                 on_write: Callable[[FollowReport, int], None] | None = None) -> None:
        from .engine import RESOURCES
        if migration.dry_run:
            raise ConfigurationError("a dry run cannot follow: following writes every change")
        wanted = set(RESOURCES if resources is None else resources)
        unknown = wanted - set(RESOURCES)
        if unknown:
            raise ValueError(f"unknown resources {sorted(unknown)}; choose from {RESOURCES}")
        self.m = migration
        self.wanted = [r for r in RESOURCES if r in wanted]
        self.stopped, self.wait = _stopper(stop)
        self.idle_timeout = idle_timeout
        self.seen: LRUCache[tuple[str, str], bool] = LRUCache(maxsize=dedupe_size)
        self.out = FollowReport(mode="")
        #: called after each round or event that wrote something: (report so far, writes)
        self.on_write = on_write

    # -- session ------------------------------------------------------------------------------
    def events(self, feed: Any, poll_interval: float | None = None) -> FollowReport:
        """Follow an event feed until stopped, idle (a queue) or exhausted (an iterable).
        With ``poll_interval`` (a queue feed), a safety-net delta round also runs every
        ``poll_interval`` seconds, and before stopping idle."""
        if poll_interval is not None and poll_interval < 0:
            raise ValueError("poll_interval must be >= 0")
        return self._session("events", lambda: self._event_loop(feed, poll_interval))

    def poll(self, interval: float) -> FollowReport:
        """Delta rounds every ``interval`` seconds until stopped or idle."""
        if interval < 0:
            raise ValueError("poll_interval must be >= 0")
        return self._session("polling", lambda: self._poll_loop(interval))

    def _session(self, mode: str, loop: Callable[[], str]) -> FollowReport:
        m, out = self.m, self.out
        out.mode = mode
        started = time.monotonic()
        m.journal.acquire()
        try:
            m._check_journal()
            run_id = m.journal.start_run(False, m.since.timestamp() if m.since else None)
        except BaseException:
            m.journal.release_lock()
            raise
        out.report.reconcile = m._report.reconcile
        progress, m.progress = m.progress, False  # no bars per round
        m._pool = ThreadPoolExecutor(m.workers, thread_name_prefix="follow")
        status = "failed"
        try:
            out.stopped = loop()
            status = "failed" if m._abort.is_set() else "completed"
        except KeyboardInterrupt:
            out.stopped = status = "interrupted"
            raise
        finally:
            m._pool.shutdown(wait=True, cancel_futures=True)
            m._pool = None
            m.progress = progress
            out.elapsed = time.monotonic() - started
            out.failed_rows = sum(n for (_, state), n in m.journal.counts().items()
                                  if state == "failed")
            m.journal.set_meta("follow", json.dumps({"mode": mode, "stopped": out.stopped,
                                                     "at": time.time()}))
            m.journal.finish_run(run_id, status, {"follow": out.as_dict()})
            m.journal.release_lock()
        return out

    def _unit(self, work: Callable[[], None]) -> int:
        """Run ``work`` against a fresh engine report, add it to the follow's; return how many
        objects it wrote."""
        m = self.m
        m._report = Report(dry_run=False, since=m.since)
        m._report.reconcile = self.out.report.reconcile
        try:
            work()
        finally:
            written = _merge(self.out.report, m._report)
        if written and self.on_write is not None:
            self.on_write(self.out, written)
        return written

    # -- polling ----------------------------------------------------------------------------
    def _poll_loop(self, interval: float) -> str:
        last_write = time.monotonic()
        while not self.stopped():
            written = self._unit(self._round)
            self.out.rounds += 1
            logger.info("follow round %d: %d object(s) written", self.out.rounds, written)
            if self.m._abort.is_set():
                return "aborted"
            now = time.monotonic()
            if written:
                last_write = now
            elif self.idle_timeout is not None and now - last_write >= self.idle_timeout:
                return "idle"
            if self.wait(interval):
                break
        return "stop"

    def _round(self) -> None:
        from .engine import RESOURCES
        for name in RESOURCES:
            if name in self.wanted or name in ("agents", "tags"):
                getattr(self.m, f"_step_{name}")()
            if self.m._abort.is_set():
                return
        self._settle()

    def _settle(self, kinds: tuple[str, ...] = ("contact", "conversation")) -> None:
        """Mark the rows whose source ``updated_at`` is within :data:`SETTLE` seconds of now
        for one more sync (see :data:`SETTLE`)."""
        cutoff = dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=SETTLE)
        for kind in kinds:
            for entry in self.m.journal.entries(kind, "done"):
                when = _when(entry.version)
                if when is not None and when >= cutoff:
                    self.m.journal.done(kind, entry.source_id, entry.target_id, STALE)

    # -- events -----------------------------------------------------------------------------
    def _feed(self, feed: Any) -> Iterator[Any]:
        """The feed's events; ``None`` when a queue has nothing for a moment."""
        if _is_queue(feed):
            while True:
                try:
                    yield feed.get(timeout=TICK)
                except queue.Empty:
                    yield None
        else:
            yield from feed

    def _event_loop(self, feed: Any, interval: float | None) -> str:
        m = self.m
        self._unit(self._prepare)
        last = time.monotonic()  # the last event, or the last round that wrote something
        next_round = None if interval is None else last + interval
        settled = False  # a round found nothing to do since ``last``
        if self.stopped():
            return "stop"
        for event in self._feed(feed):
            if event is None:
                if self.stopped():
                    return "stop"
                now = time.monotonic()
                idle = self.idle_timeout is not None and now - last >= self.idle_timeout
                if idle and (interval is None or settled):
                    return "idle"
                if next_round is not None and (idle or now >= next_round):
                    # the safety net: what a lost delivery missed (and the final drain)
                    written = self._unit(self._round)
                    self.out.rounds += 1
                    logger.info("follow safety-net round %d: %d object(s) written",
                                self.out.rounds, written)
                    if m._abort.is_set():
                        return "aborted"
                    next_round = time.monotonic() + (interval or 0.0)
                    if written:
                        last, settled = time.monotonic(), False
                    else:
                        settled = True
                continue
            last, settled = time.monotonic(), False
            self._unit(partial(self._handle, event))
            if m._abort.is_set():
                return "aborted"
            if self.stopped():
                return "stop"
        return "exhausted"

    def _prepare(self) -> None:
        """Agents and tags, as every run starts: later steps need their mappings."""
        self.m._step_agents()
        self.m._step_tags()

    def _handle(self, event: Any) -> None:
        out = self.out
        ident = getattr(event, "id", None)
        key = (str(getattr(event, "provider", "") or ""), str(ident)) if ident else None
        if key is not None and key in self.seen:
            out.duplicates += 1
            return
        out.events += 1
        topic = str(getattr(event, "topic", None) or "other")
        kind = str(getattr(event, "kind", None) or topic.split(".", 1)[0])
        errors = len(self.m._report.errors)
        if kind == "contact":
            self._contact_event(event, topic)
        elif kind in ("conversation", "message"):
            self._conversation_event(event, kind, topic)
        elif kind == "tag":
            if "tags" in self.wanted or self.m._can("tags"):
                self.m._step_tags()
                out.synced["tags (definitions)"] += 1
        else:
            out.ignored[topic] += 1
        if key is not None and len(self.m._report.errors) == errors:
            self.seen[key] = True  # a failed one is retried when it is delivered again

    def _contact_event(self, event: Any, topic: str) -> None:
        m = self.m
        oid = getattr(event, "object_id", None) or getattr(getattr(event, "object", None),
                                                            "id", None)
        if "contacts" not in self.wanted or not m._can("contacts") or oid is None:
            self.out.ignored[topic] += 1
            return
        if topic.endswith(".deleted"):
            self._deleted("contact", str(oid))
            return
        try:
            contact = self._reread(m.source.resource("contacts"), str(oid),
                                   getattr(event, "object", None))
        except ChatModelsError as exc:
            m._fail("contacts", "contact", str(oid), exc)
            return
        if contact is None:
            self._deleted("contact", str(oid))
            return
        sid = str(contact.id)
        self._stale("contact", sid)
        m._contact(contact)
        self._tag(sid)
        self.out.synced["contacts"] += 1

    def _conversation_event(self, event: Any, kind: str, topic: str) -> None:
        m = self.m
        if "conversations" not in self.wanted or not m._can("conversations"):
            self.out.ignored[topic] += 1
            return
        cid = getattr(event, "conversation_id", None) or (
            getattr(event, "object_id", None) if kind == "conversation" else None)
        if cid is None:
            # the event does not say which conversation (a Sendbee message): a delta pass,
            # recent conversations included (their new message may share their second)
            self._settle(("conversation",))
            m._step_conversations()
            self.out.synced["conversations (delta pass)"] += 1
            return
        sid = str(cid)
        if topic.endswith(".deleted"):
            self._deleted("conversation", sid)
            return
        try:
            conv = m.source.resource("conversations").find(id=sid)
        except ResourceNotFound:
            self._deleted("conversation", sid)
            return
        except ChatModelsError as exc:
            m._fail("conversations", "conversation", sid, exc)
            return
        self._stale("conversation", sid)
        m._conversation(conv)
        self.out.synced["conversations"] += 1

    # -- helpers ------------------------------------------------------------------------------
    def _reread(self, cls: Any, oid: str, obj: Any) -> Any:
        """The source object's current state (``None``: it is gone). The event's own values
        seed the request where the provider needs more than the id (Sendbee: the phone)."""
        raw = getattr(obj, "raw", None) if obj is not None else None
        fresh = None
        if isinstance(raw, Mapping) and raw:
            try:
                fresh = cls.from_wire(dict(raw), partial=True)
            except ChatModelsError:  # a payload shape the model does not read: the id will do
                fresh = None
        try:
            if fresh is None or fresh.id is None or str(fresh.id) != oid:
                fresh = cls.ref(oid)
            fresh.reload()
        except ResourceNotFound:
            return None
        return fresh

    def _stale(self, kind: str, sid: str) -> None:
        """Make the next sync of a done row re-apply it (its ``updated_at`` may not have
        moved: one-second clocks). Creates stay exactly once: only the version changes."""
        entry = self.m.journal.get(kind, sid)
        if entry is not None and entry.state == "done" and entry.version != STALE:
            self.m.journal.done(kind, sid, entry.target_id, STALE)

    def _tag(self, sid: str) -> None:
        """Apply the (contact, tag) pairs of one synced contact not yet journaled."""
        from .engine import _again
        m = self.m
        if not m._can("tags"):
            return
        entry = m.journal.get("contact", sid)
        if entry is None or entry.state != "done" or not entry.target_id:
            return
        for name in (entry.payload or {}).get("tags", []):
            key = f"{sid}/{name}"
            done = m.journal.get("contact_tag", key)
            if done is not None and done.state == "done":
                continue
            try:
                m._mark()
                _again(m.writer.tag_contacts, name, [entry.target_id])
            except ChatModelsError as exc:
                m._fail("contact_tags", "contact_tag", key, exc)
                continue
            m.journal.done("contact_tag", key, entry.target_id, None)
            m._count("contact_tags", "created")

    def _deleted(self, kind: str, sid: str) -> None:
        logger.warning("%s %s %s", kind, sid, DELETED)
        self.out.deleted[kind + "s"] += 1


def _when(version: str | None) -> dt.datetime | None:
    """A journal version (an ISO ``updated_at``) as a datetime; ``None`` for anything else."""
    if not version or version == STALE:
        return None
    try:
        when = dt.datetime.fromisoformat(version)
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=dt.timezone.utc)


def _merge(total: Report, part: Report) -> int:
    """Add a round's or an event's counters to the follow's; return its writes."""
    written = 0
    for name, stats in part.steps.items():
        if name == "agents" and name in total.steps:
            continue  # matched again each round, never written
        into = total.steps.setdefault(name, type(stats)())
        for what in ("created", "updated", "reconciled", "failed"):
            setattr(into, what, getattr(into, what) + getattr(stats, what))
        if name != "agents":
            written += stats.created + stats.updated + stats.reconciled
    total.errors.extend(part.errors)
    total.unavailable.update(part.unavailable)
    return written

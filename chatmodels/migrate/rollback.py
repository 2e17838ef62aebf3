"""Rollback: delete from the target exactly what one journal created, nothing else.

What a journal *created* is what its rows say (``Journal.origins``): an object whose create
answered (``created``). Objects it only found there (``matched``: a contact with the same email,
a tag of the same name) or found again after a crash or a lost answer (``reconciled``: maybe
written by this journal, maybe there before) are never deleted; they are counted as kept, with
the reason. Rows written before origins were recorded have none and are kept too.

Order (reverse dependencies): messages, notes, events, then conversations, contacts, then tags
and contact fields. A kind the target deletes one by one (``Target.deletes``) is deleted
through the target's ``delete_*`` methods (the object model, never raw routes); a kind that
goes with its parent (``Target.removed_with``: notes with their contact) is only marked when
its parent is deleted by this rollback; a kind the target cannot delete (``Target.undeletable``)
is kept and listed with the target's reason.

Journaled and resumable: each object's row goes ``done`` -> ``deleting`` (committed before the
request) -> ``rolled_back``. A killed rollback is resumed by running it again: ``deleting``
rows are deleted again (an object already gone, ``ResourceNotFound``, counts as deleted).
A ``rolled_back`` row is a fresh start for the engine: migrating again with the same journal
creates the object again. The attachment rows of a message that goes (deleted, or removed with
its conversation) go with it (``rolled_back``: a later run downloads and sends the files again);
an uploaded file's bytes stay in the target's file storage (no target's API deletes an uploaded
file, only the messages holding it): they are counted and listed. The rollback holds the journal's lock and refuses a target whose
identity is not the journal's (``JournalMismatch``).
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from ..client import Client
from ..errors import ChatModelsError, ResourceNotFound
from . import attachments
from .journal import Entry, Journal, JournalError
from .targets import DELETE_METHODS, Target, account_identity, target_for

logger = logging.getLogger("chatmodels.migrate")

#: (journal kind, target kind, journal kind of the parent) in the order rollback deletes
ORDER: tuple[tuple[str, str, str | None], ...] = (
    ("message", "messages", "conversation_head"),
    ("note", "notes", "contact"),
    ("event", "events", "contact"),
    ("contact_tag", "contacts", "contact"),
    ("conversation_head", "conversations", None),
    ("contact", "contacts", None),
    ("tag", "tags", None),
    ("contact_field", "contact_fields", None),
)
#: rows of a kind that stand for the same target object as another kind's row
TWINS = {"conversation_head": "conversation"}
#: row states
DELETING, ROLLED_BACK = "deleting", "rolled_back"

NOT_CREATED = {
    "matched": "found on the target before any write (it existed before)",
    "reconciled": "found again after a crash or a lost answer (it may have existed before)",
    None: "recorded without its origin (a journal older than rollback)",
}


@dataclasses.dataclass
class RollbackReport:
    """What a rollback did: deleted (one by one), removed with their parent, kept (reason)."""

    deleted: Counter[str] = dataclasses.field(default_factory=Counter)
    removed: Counter[str] = dataclasses.field(default_factory=Counter)
    kept: Counter[tuple[str, str]] = dataclasses.field(default_factory=Counter)
    errors: list[tuple[str, str, str]] = dataclasses.field(default_factory=list)
    marker: str | None = None
    #: files uploaded to the target whose messages this rollback removed (their bytes stay)
    uploads: int = 0
    elapsed: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict[str, Any]:
        return {"deleted": dict(self.deleted), "removed": dict(self.removed),
                "kept": [[k, r, n] for (k, r), n in sorted(self.kept.items())],
                "errors": [list(e) for e in self.errors], "marker": self.marker,
                "uploads": self.uploads}

    def __str__(self) -> str:
        kinds = [k for _, k, _ in ORDER if k in self.deleted or k in self.removed]
        kinds = list(dict.fromkeys(kinds))
        lines = ["Rollback", f"{'kind':<16}{'deleted':>9}{'with parent':>13}"]
        lines += [f"{k:<16}{self.deleted[k]:>9}{self.removed[k]:>13}" for k in kinds]
        if not kinds:
            lines.append("(nothing to delete)")
        if self.kept:
            lines.append("")
            lines.append("Kept on the target:")
            lines += [f"  {kind}: {n} - {reason}" for (kind, reason), n
                      in sorted(self.kept.items())]
        if self.marker:
            lines.append(f"  run marker: {self.marker}")
        if self.uploads:
            lines.append(f"  uploaded files: {self.uploads} - their messages are deleted; the "
                         "bytes stay in the target's file storage (no API deletes an uploaded "
                         "file)")
        if self.errors:
            lines.append("")
            lines.append(f"Failed ({len(self.errors)}; run the rollback again to retry):")
            lines += [f"  {kind} {sid}: {error}" for kind, sid, error in self.errors[:50]]
        lines.append(f"Elapsed: {self.elapsed:.1f}s")
        return "\n".join(lines)


def _parent_sid(sid: str) -> str:
    """The parent's source id of a child row (``<contact>/<note>``, ``<conv>/<message>``)."""
    return sid.partition("/")[0]


class Rollback:
    """Delete what ``journal`` created on ``target`` (see the module docstring)."""

    def __init__(self, target: Client, journal: str, *,
                 allow_target_change: bool = False) -> None:
        self.target = target
        self.journal = Journal(journal)
        try:
            if self.journal.get_meta("target_identity") is None:
                raise JournalError(f"journal {journal} records no migration: nothing to roll "
                                   "back")
            self.journal.check_identity("target", account_identity(target),
                                        allow_change=allow_target_change)
            self.writer: Target = target_for(target)
        except BaseException:
            self.journal.close()
            raise
        self.report = RollbackReport()
        self._origins = self.journal.origins()
        self._files: dict[str, list[Entry]] | None = None

    def close(self) -> None:
        self.journal.close()

    def __enter__(self) -> Rollback:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- what happens to each row ----------------------------------------------------------------
    def _created(self, entry: Entry) -> bool:
        return entry.state == DELETING or (entry.state == "done" and self._origins.get(
            (entry.kind, entry.source_id)) == "created")

    def _goes(self, kind: str, sid: str) -> bool:
        """Whether this rollback deletes (or has deleted) the object of row (kind, sid)."""
        entry = self.journal.get(kind, sid)
        if entry is None:
            return False
        if entry.state == ROLLED_BACK:
            return True
        target_kind = dict((k, t) for k, t, _ in ORDER)[kind]
        return self._created(entry) and bool(entry.target_id) \
            and target_kind in self.writer.deletes

    def _keep(self, kind: str, reason: str) -> None:
        self.report.kept[(kind, reason)] += 1

    def run(self) -> RollbackReport:
        started = time.monotonic()
        run_id = self.journal.start_run(False, None)
        status = "failed"
        try:
            for kind, target_kind, parent in ORDER:
                for entry in self.journal.entries(kind):
                    self._row(entry, target_kind, parent)
            if not self.report.errors:
                self.report.marker = self._unmark()
                self.journal.set_meta("rolled_back", str(time.time()))
            status = "completed" if not self.report.errors else "failed"
        except KeyboardInterrupt:
            status = "interrupted"
            raise
        finally:
            self.report.elapsed = time.monotonic() - started
            self.journal.finish_run(run_id, status, {"rollback": self.report.as_dict()})
        return self.report

    def _row(self, entry: Entry, target_kind: str, parent: str | None) -> None:
        if entry.state in ("pending", "failed"):
            self._keep(target_kind, "its write may have happened or not (pending or failed "
                       "in the journal): finish the migration first to roll it back")
            return
        if entry.state not in ("done", DELETING):
            return  # rolled back already
        if entry.kind == "contact_tag":
            # a tag on a contact: it goes with the contact, else it stays (the journal cannot
            # tell whether the contact had the tag before)
            if self._goes("contact", _parent_sid(entry.source_id)):
                self._mark(entry, "contact_tags", removed=True)
            else:
                self._keep("contact_tags", "applied to a contact that stays (it existed "
                           "before): not removed")
            return
        if not entry.target_id:
            # nothing on the target (a contact Crisp cannot hold, a note on it)
            self.journal.set_state(entry.kind, entry.source_id, ROLLED_BACK)
            return
        if not self._created(entry):
            origin = self._origins.get((entry.kind, entry.source_id))
            self._keep(target_kind, NOT_CREATED.get(origin, NOT_CREATED[None]))
            return
        with_parent = self.writer.removed_with.get(target_kind)
        if parent is not None and with_parent is not None \
                and self._goes(parent, _parent_sid(entry.source_id)):
            self._mark(entry, target_kind, removed=True)
            return
        if target_kind not in self.writer.deletes:
            reason = self.writer.undeletable.get(
                target_kind, f"{self.writer.display_name} declares no delete for {target_kind}")
            self._keep(target_kind, reason)
            return
        self._delete(entry, target_kind, parent)

    def _mark(self, entry: Entry, target_kind: str, *, removed: bool) -> None:
        self.journal.set_state(entry.kind, entry.source_id, ROLLED_BACK)
        twin = TWINS.get(entry.kind)
        if twin is not None:
            self.journal.set_state(twin, entry.source_id, ROLLED_BACK)
        (self.report.removed if removed else self.report.deleted)[target_kind] += 1
        if entry.kind in ("conversation_head", "message"):
            self._files_go(entry.source_id)

    def _files_go(self, sid: str) -> None:
        """The attachment rows of a conversation (``<conv>``) or message (``<conv>/<msg>``)
        that goes: rolled back with it."""
        if self._files is None:
            self._files = {}
            for row in self.journal.entries(attachments.KIND):
                self._files.setdefault(_parent_sid(row.source_id), []).append(row)
        prefix = sid + "/"
        rows = self._files.get(_parent_sid(sid), [])
        for row in [r for r in rows if r.source_id.startswith(prefix)]:
            rows.remove(row)  # once
            if row.state != ROLLED_BACK:
                self.journal.set_state(attachments.KIND, row.source_id, ROLLED_BACK)
                if row.state == "done" and isinstance(row.payload, dict) \
                        and row.payload.get("mode") == "upload":
                    self.report.uploads += 1

    def _delete(self, entry: Entry, target_kind: str, parent: str | None) -> None:
        method: Callable[..., None] = getattr(self.writer, DELETE_METHODS[target_kind])
        args: tuple[Any, ...] = (entry.target_id,)
        if parent is not None:  # notes, events, messages: their parent's target id first
            parent_entry = self.journal.get(parent, _parent_sid(entry.source_id))
            args = (parent_entry.target_id if parent_entry else None, entry.target_id)
        self.journal.set_state(entry.kind, entry.source_id, DELETING)
        try:
            method(*args)
        except ResourceNotFound:
            pass  # already gone (a rollback killed after its request)
        except ChatModelsError as exc:
            message = f"{type(exc).__name__}: {exc}"
            logger.warning("deleting %s %s failed: %s", entry.kind, entry.source_id, message)
            self.report.errors.append((entry.kind, entry.source_id, message))
            return
        self._mark(entry, target_kind, removed=False)
        if entry.kind == "message":
            # its conversation stays: a later run must look at it again to resend the message
            self.journal.set_state("conversation", _parent_sid(entry.source_id), ROLLED_BACK)

    def _unmark(self) -> str | None:
        """Remove the run marker; the reason it stays when it cannot be removed."""
        try:
            return self.writer.delete_marker()
        except ResourceNotFound:
            return None
        except ChatModelsError as exc:
            self.report.errors.append(("marker", "-", f"{type(exc).__name__}: {exc}"))
            return None

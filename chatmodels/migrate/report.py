"""What a migration run reports: per-step counters, skip reasons, errors, fidelity notes."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass
class StepStats:
    created: int = 0
    updated: int = 0
    skipped: int = 0
    reconciled: int = 0
    failed: int = 0
    planned: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


@dataclass
class Report:
    """What a run did: per-resource counters, errors, the fidelity report and timings."""

    dry_run: bool
    since: dt.datetime | None = None
    steps: dict[str, StepStats] = field(default_factory=dict)
    errors: list[tuple[str, str, str]] = field(default_factory=list)  # (kind, source id, error)
    fidelity: Counter[str] = field(default_factory=Counter)
    #: (step, reason) -> objects skipped for a reason other than "already migrated"
    skips: Counter[tuple[str, str]] = field(default_factory=Counter)
    #: kind -> why it is not migrated at all (the target does not write it, the source has
    #: no such class)
    unavailable: dict[str, str] = field(default_factory=dict)
    #: why the run looked up every object before creating it (None: it did not)
    reconcile: str | None = None
    elapsed: float = 0.0
    requests: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict[str, Any]:
        return {"dry_run": self.dry_run, "since": self.since,
                "steps": {k: v.as_dict() for k, v in self.steps.items()
                          if not k.startswith("_")},
                "errors": self.errors[:100], "fidelity": dict(self.fidelity),
                "skips": {f"{step}: {why}": n for (step, why), n in self.skips.items()},
                "unavailable": dict(self.unavailable),
                "reconcile": self.reconcile, "elapsed": round(self.elapsed, 3)}

    def __str__(self) -> str:
        cols = ("created", "updated", "reconciled", "skipped", "failed")
        labels = ("would create", "would update", "reconciled", "skipped", "failed") \
            if self.dry_run else cols
        lines = [f"{'resource':<15}" + "".join(f"{c:>13}" for c in labels)]
        for name, stats in self.steps.items():
            if name.startswith("_"):
                continue
            lines.append(f"{name:<15}" + "".join(f"{getattr(stats, c):>13}" for c in cols))
        head = "DRY RUN: nothing was written\n" if self.dry_run else ""
        text = head + "\n".join(lines) + f"\nelapsed {self.elapsed:.1f}s"
        if self.reconcile:
            text += f"\n\nReconcile mode (every create looked up first): {self.reconcile}"
        if self.unavailable:
            text += "\n\nNot migrated:"
            for kind, why in self.unavailable.items():
                text += f"\n  {kind}: {why}"
        if self.skips:
            text += "\n\nSkipped (besides objects already migrated):"
            for (step, why), count in sorted(self.skips.items()):
                text += f"\n  {count:>6} {step}: {why}"
        if self.fidelity:
            text += "\n\nFidelity (what the target cannot hold exactly):"
            for note, count in sorted(self.fidelity.items()):
                text += f"\n  {count:>6} x {note}"
        if self.errors:
            text += f"\n\n{len(self.errors)} object(s) failed, first ones:"
            for kind, sid, err in self.errors[:10]:
                text += f"\n  {kind} {sid}: {err}"
        return text

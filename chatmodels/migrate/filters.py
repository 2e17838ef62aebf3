"""Which source objects a run takes: the mapping file's ``only``/``exclude`` filters and the
``--sample N`` run.

Filters read the *source* values (ids, emails, tag names before any rename, canonical states
before any value map). A contact left out takes its notes, events and tags with it; a
conversation is taken only when its (first) contact is: the contacts step records its
decisions, and a contact it did not see is read to decide (one request). A sample takes the
first ``N`` contacts that pass the filters and that the target can hold, then only the
conversations of the contacts it took. Everything a sample writes is journaled like any run,
so the full run afterwards skips it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .mapping import Filter

if TYPE_CHECKING:
    from .mapper import Mapper

#: engine step -> mapping section
STEP_SECTIONS = {"contacts": "contacts", "conversations": "conversations", "notes": "notes",
                 "events": "events"}


def _when(value: Any) -> dt.datetime | None:
    return value if isinstance(value, dt.datetime) else None


class Selection:
    """The filters and sample of one run (decisions counted through ``skip``)."""

    def __init__(self, mapper: Mapper, sample: int | None,
                 skip: Callable[..., None]) -> None:
        if sample is not None and sample < 1:
            raise ValueError("sample: expected a number of contacts >= 1")
        self.mapper = mapper
        self.sample = sample
        self.taken = 0
        self.skip = skip
        #: source contact id -> taken by this run's contacts step
        self.contacts: dict[str, bool] = {}

    @property
    def contacts_filtered(self) -> bool:
        return self.sample is not None or self.mapper.mapping.rules("contacts").filtered

    def enough(self, step: str) -> bool:
        """Whether the sample has all its contacts (the contacts step stops reading)."""
        return step == "contacts" and self.sample is not None and self.taken >= self.sample

    def keep(self, step: str, obj: Any) -> bool:
        """Whether the run takes ``obj``; when not, it is counted as skipped with why."""
        why = self.reason(step, obj)
        if why is not None:
            self.skip(step, why)
        return why is None

    def reason(self, step: str, obj: Any) -> str | None:
        section = STEP_SECTIONS.get(step)
        if section is None:
            return None
        why = self.check(section, obj)
        if step == "contacts":
            if why is None and self.sample is not None:
                if self.taken >= self.sample:
                    why = f"not in the sample (--sample {self.sample})"
                elif self.mapper.writer.cannot_create_contact(
                        self.mapper.view("contact", obj)) is None:
                    self.taken += 1
            self.contacts[str(obj.id)] = why is None
        elif step == "conversations" and why is None and self.contacts_filtered:
            why = self._contact_of(obj)
        return why

    def check(self, section: str, obj: Any) -> str | None:
        """Why the file's filters leave ``obj`` out (``None``: they keep it)."""
        rules = self.mapper.mapping.rules(section)
        for which, flt, keep in (("only", rules.only, True),
                                 ("exclude", rules.exclude, False)):
            if flt.empty:
                continue
            for name, holds in self._conditions(flt, obj):
                if holds is not keep:
                    return f"left out by the mapping file ({section}.{which}.{name})"
        return None

    def _conditions(self, flt: Filter, obj: Any) -> list[tuple[str, bool]]:
        out = []
        if flt.created_since is not None:
            when = _when(getattr(obj, "created_at", None))
            out.append(("created_since", when is not None and when >= flt.created_since))
        if flt.updated_since is not None:
            when = _when(getattr(obj, "updated_at", None)) or _when(
                getattr(obj, "created_at", None))
            out.append(("updated_since", when is not None and when >= flt.updated_since))
        if flt.ids is not None:
            out.append(("ids", str(obj.id) in flt.ids))
        if flt.emails is not None:
            out.append(("emails", str(obj.email or "").lower() in flt.emails))
        if flt.tags is not None:
            out.append(("tags", bool(self._tag_names(obj) & flt.tags)))
        if flt.state is not None:
            out.append(("state", str(obj.state) in flt.state))
        if flt.names is not None:
            out.append(("names", str(obj.name or "").lower() in flt.names))
        return out

    def _tag_names(self, obj: Any) -> set[str]:
        names = set()
        for tag in getattr(obj, "tags", None) or []:
            name = tag.peek("name") or self.mapper.tag_names.get(str(tag.peek("id")))
            if name:
                names.add(str(name).lower())
        return names

    def _contact_of(self, conv: Any) -> str | None:
        contacts = conv.peek("contacts") or []
        if not contacts:
            return "no contact, and the contacts are filtered" if self.sample is None \
                else f"not in the sample (--sample {self.sample})"
        contact = contacts[0]
        taken = self.contacts.get(str(contact.id))
        if taken is None:
            if self.sample is not None:
                taken = False
            else:  # a contact the contacts step did not see: read it to decide
                taken = self.check("contacts", contact) is None
                self.contacts[str(contact.id)] = taken
        if taken:
            return None
        return f"not in the sample (--sample {self.sample})" if self.sample is not None \
            else "its contact is left out by the mapping file"

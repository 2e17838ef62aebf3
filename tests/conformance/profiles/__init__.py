"""What the conformance kit needs to know about each provider: one :class:`Profile` each, one
module each (``profiles/<provider>.py``); the shapes are in :mod:`.base`.

A provider joins the kit by adding its module and listing its profile in :data:`PROFILES` (and
its migration pairs in :data:`MIGRATIONS` once the engine supports them).
"""

from __future__ import annotations

from .base import Case, Edit, Profile, Write, first
from .crisp import CRISP
from .intercom import INTERCOM

PROFILES: tuple[Profile, ...] = (INTERCOM, CRISP)
BY_NAME: dict[str, Profile] = {p.name: p for p in PROFILES}

#: ordered (source, target) pairs the migration engine supports today
MIGRATIONS: tuple[tuple[str, str], ...] = (
    ("crisp", "intercom"), ("intercom", "crisp"), ("intercom", "intercom"))

__all__ = ["BY_NAME", "CRISP", "INTERCOM", "MIGRATIONS", "PROFILES", "Case", "Edit", "Profile",
           "Write", "first"]

"""What the conformance kit needs to know about each provider: one :class:`Profile` each, one
module each (``profiles/<provider>.py``); the shapes are in :mod:`.base`.

A provider joins the kit by adding its module and listing its profile in :data:`PROFILES` (and
its migration pairs in :data:`MIGRATIONS` once the engine supports them).
"""

from __future__ import annotations

from . import brevo as _brevo
from . import crisp as _crisp
from . import intercom as _intercom
from . import livechat as _livechat
from . import sendbee as _sendbee
from .base import Case, Edit, Profile, Write, first
from .brevo import BREVO
from .crisp import CRISP
from .intercom import INTERCOM
from .livechat import LIVECHAT
from .sendbee import SENDBEE

PROFILES: tuple[Profile, ...] = (INTERCOM, CRISP, LIVECHAT, BREVO, SENDBEE)
BY_NAME: dict[str, Profile] = {p.name: p for p in PROFILES}

#: ordered (source, target) pairs the migration round-trip suite runs: each profile module lists
#: the pairs it adds (a pair belongs to the module of the provider that joined last)
MIGRATIONS: tuple[tuple[str, str], ...] = tuple(
    pair for module in (_intercom, _crisp, _livechat, _brevo, _sendbee) for pair in module.PAIRS)

__all__ = ["BREVO", "BY_NAME", "CRISP", "INTERCOM", "LIVECHAT", "MIGRATIONS", "PROFILES",
           "SENDBEE", "Case", "Edit", "Profile", "Write", "first"]

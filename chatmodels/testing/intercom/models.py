"""In-memory state of the Intercom simulator (moto's "backend") producing API 2.16 shapes.

:class:`IntercomBackend` is assembled from its parts, each building on the previous one:
:mod:`.store` (records, indexes, ids), :mod:`.state_directory` (tags, admins, teams, companies,
data attributes), :mod:`.state_people` (contacts, merges, notes, segments, events) and
:mod:`.state_conversations`. Handlers (:mod:`.responses`) parse requests and call these.
"""

from __future__ import annotations

from .state_conversations import ConversationState
from .store import EMBED_LIMIT, decode_cursor, encode_cursor, html_body, now

__all__ = ["EMBED_LIMIT", "IntercomBackend", "decode_cursor", "encode_cursor", "html_body", "now"]


class IntercomBackend(ConversationState):
    """The simulated Intercom workspace."""

"""Intercom resource classes (REST API 2.16) on top of the canonical model.

The classes live by family (:mod:`.people`, :mod:`.conversations`, :mod:`.directory`, shared
bases in :mod:`.base`); this module gathers them, adds :class:`Count` and the ``RESOURCES``
table the client binds.
"""

from __future__ import annotations

from typing import Any, ClassVar

from .base import SEARCH_OPERATORS, IntercomResource, Searchable, build_query
from .conversations import Conversation, Message
from .directory import Admin, Agent, Company, ContactField, DataAttribute, Segment, Tag, Team
from .people import Contact, Event, Note

__all__ = [
    "SEARCH_OPERATORS", "IntercomResource", "Searchable", "build_query", "Admin", "Agent",
    "Company", "Contact", "ContactField", "Conversation", "Count", "DataAttribute", "Event",
    "Message", "Note", "RESOURCES", "Segment", "Tag", "Team",
]


class Count:
    """Object counts. Intercom 2.16 has no ``/counts`` endpoint: totals come from list responses
    (``total_count``) or, for unpaged lists, their length."""

    _bound_client: ClassVar[Any] = None

    @classmethod
    def _cls(cls, name: str) -> Any:
        client = cls._bound_client
        return client.model(name) if client is not None else RESOURCES[name]

    @classmethod
    def contacts(cls, **criteria: Any) -> int:
        contact = cls._cls("Contact")
        source = contact.search(**criteria) if criteria else contact.all()
        return source.count()  # type: ignore[no-any-return]

    @classmethod
    def conversations(cls, **criteria: Any) -> int:
        conv = cls._cls("Conversation")
        source = conv.search(**criteria) if criteria else conv.all()
        return source.count()  # type: ignore[no-any-return]

    @classmethod
    def companies(cls) -> int:
        return cls._cls("Company").all().count()  # type: ignore[no-any-return]

    @classmethod
    def tags(cls) -> int:
        return len(list(cls._cls("Tag").all()))

    @classmethod
    def segments(cls) -> int:
        return len(list(cls._cls("Segment").all()))

    @classmethod
    def admins(cls) -> int:
        return len(list(cls._cls("Admin").all()))

    @classmethod
    def teams(cls) -> int:
        return len(list(cls._cls("Team").all()))

    @classmethod
    def all(cls) -> dict[str, int]:
        """Every count at once (one request each)."""
        return {name: getattr(cls, name)() for name in
                ("contacts", "conversations", "companies", "tags", "segments", "admins",
                 "teams")}


RESOURCES: dict[str, Any] = {
    "Contact": Contact, "Conversation": Conversation, "Message": Message, "Tag": Tag,
    "Note": Note, "Admin": Admin, "Agent": Admin, "Team": Team, "Company": Company,
    "Segment": Segment, "DataAttribute": DataAttribute, "ContactField": DataAttribute,
    "Event": Event, "Count": Count,
}

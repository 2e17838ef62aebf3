"""The Crisp resource classes by name (``RESOURCES``), gathered from their modules:
``directory`` (website, operators, tags, contact fields, visitors), ``people`` (contacts,
companies, events, notes), ``conversations`` and ``messages``; ``_base`` holds what they share.
"""

from __future__ import annotations

from typing import Any

from ..errors import FieldError
from ..model import Derived
from .conversations import Conversation, conversation_query
from .directory import Agent, ContactField, Operator, Tag, Visitor, Website
from .messages import Message, MessageList
from .people import Company, Contact, Event, Note, people_query

RESOURCES: dict[str, Any] = {
    "Contact": Contact, "Conversation": Conversation, "Message": Message, "Tag": Tag,
    "Note": Note, "Operator": Operator, "Agent": Operator, "ContactField": ContactField,
    "Company": Company, "Event": Event, "Visitor": Visitor, "Website": Website,
}

__all__ = [
    "RESOURCES", "Agent", "Company", "Contact", "ContactField", "Conversation", "Derived",
    "Event", "FieldError", "Message", "MessageList", "Note", "Operator", "Tag", "Visitor",
    "Website", "conversation_query", "people_query",
]

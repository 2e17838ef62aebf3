"""The Brevo resource classes by name (what ``connect()`` binds and ``Client.model`` finds)."""

from __future__ import annotations

from typing import Any

from .contacts import Contact, ContactField, Folder, Segment, Tag
from .conversations import Agent, Conversation, Message, PushedMessage
from .crm import Company, Event, Note

#: name -> resource class; ``List`` and ``Attribute`` are Brevo's names for Tag and ContactField
RESOURCES: dict[str, Any] = {
    "Contact": Contact, "ContactField": ContactField, "Attribute": ContactField,
    "Tag": Tag, "List": Tag, "Folder": Folder, "Segment": Segment,
    "Company": Company, "Note": Note, "Event": Event,
    "Agent": Agent, "Message": Message, "PushedMessage": PushedMessage,
    "Conversation": Conversation,
}

__all__ = ["RESOURCES"]

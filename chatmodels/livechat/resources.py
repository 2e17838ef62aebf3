"""The LiveChat resource classes by name (what ``connect()`` binds and docs list)."""

from __future__ import annotations

from typing import Any

from .chats import Conversation, Message, Thread
from .people import Agent, Contact, Property, Tag, Team
from .webhooks import Webhook

ContactField = Property

RESOURCES: dict[str, Any] = {
    "Conversation": Conversation, "Thread": Thread, "Message": Message, "Contact": Contact,
    "Agent": Agent, "Team": Team, "Tag": Tag, "Property": Property, "ContactField": Property,
    "Webhook": Webhook,
}

__all__ = ["RESOURCES", "Agent", "Contact", "ContactField", "Conversation", "Message",
           "Property", "Tag", "Team", "Thread", "Webhook"]

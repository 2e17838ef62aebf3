"""Sendbee (WhatsApp business messaging, API v2): ``from chatmodels import sendbee``.

Class-level credentials (``sendbee.Sendbee.api_key``/``api_secret``, or ``$SENDBEE_API_KEY``,
``$SENDBEE_API_SECRET``, ``$SENDBEE_BASE_URL``) drive the module's classes;
``sendbee.connect(api_key=..., api_secret=...)`` returns a namespace of classes bound to one
business number. :func:`verify_webhook` / :func:`verify_token` check Sendbee's signed tokens;
``chatmodels.sendbee.webhooks.parse`` verifies and parses a webhook into a model.
See docs/sendbee.md.
"""

from typing import Any

from .api import (
    DEFAULT_BASE_URL,
    MAX_LIMIT,
    MessagingWindowClosed,
    Sendbee,
    SendbeeWarning,
    connect,
)
from .auth import MAX_TOKEN_AGE, make_token, verify_token, verify_webhook
from .contacts import Contact, ContactField, Note, Tag
from .conversations import Bot, Conversation, Message, MessageTemplate
from .teams import Agent, Team

RESOURCES: dict[str, Any] = {
    "Contact": Contact, "Tag": Tag, "ContactField": ContactField, "Note": Note,
    "Conversation": Conversation, "Message": Message, "MessageTemplate": MessageTemplate,
    "Bot": Bot, "Team": Team, "Agent": Agent, "Member": Agent,
}

__all__ = [
    "DEFAULT_BASE_URL", "MAX_LIMIT", "MAX_TOKEN_AGE", "RESOURCES", "Agent", "Bot", "Contact",
    "ContactField", "Conversation", "Message", "MessageTemplate", "MessagingWindowClosed",
    "Note", "Sendbee", "SendbeeWarning", "Tag", "Team", "connect", "make_token",
    "verify_token", "verify_webhook",
]

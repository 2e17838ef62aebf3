"""Crisp (REST API v1): ``from chatmodels import crisp``.

Class-level credentials (``crisp.Crisp.identifier``/``key``/``website_id``, or
``$CRISP_IDENTIFIER``, ``$CRISP_KEY``, ``$CRISP_WEBSITE_ID``) drive the module's classes;
``crisp.connect(identifier=..., key=..., website_id=...)`` returns a namespace of classes bound
to one website. See docs/crisp.md.
"""

from .api import DEFAULT_BASE_URL, Crisp, connect
from .resources import (
    Agent,
    Company,
    Contact,
    ContactField,
    Conversation,
    Derived,
    Event,
    FieldError,
    Message,
    Note,
    Operator,
    Tag,
    Visitor,
    Website,
    conversation_query,
    people_query,
)

__all__ = [
    "DEFAULT_BASE_URL", "Crisp", "connect", "Agent", "Company", "Contact", "ContactField",
    "Conversation", "Derived", "Event", "FieldError", "Message", "Note", "Operator", "Tag",
    "Visitor", "Website", "conversation_query", "people_query",
]

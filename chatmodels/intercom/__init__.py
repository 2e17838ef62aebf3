"""Intercom (REST API 2.16): ``from chatmodels import intercom``.

Class-level credentials (``intercom.Intercom.access_token = ...`` or ``$INTERCOM_ACCESS_TOKEN``)
drive the module's classes; ``intercom.connect(access_token=...)`` returns a namespace of classes
bound to one workspace. See docs/intercom.md.
"""

from .api import API_VERSION, Intercom, connect
from .resources import (
    Admin,
    Agent,
    Company,
    Contact,
    ContactField,
    Conversation,
    Count,
    DataAttribute,
    Event,
    Message,
    Note,
    Segment,
    Tag,
    Team,
    build_query,
)

__all__ = [
    "API_VERSION", "Intercom", "connect", "Admin", "Agent", "Company", "Contact", "ContactField",
    "Conversation", "Count", "DataAttribute", "Event", "Message", "Note", "Segment", "Tag",
    "Team", "build_query",
]

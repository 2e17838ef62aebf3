"""Brevo (API v3, formerly Sendinblue): ``from chatmodels import brevo``.

Class-level credentials (``brevo.Brevo.api_key``, or ``$BREVO_API_KEY``) drive the module's
classes; ``brevo.connect(api_key=...)`` returns a namespace of classes bound to one account.
Conversations (agent and pushed messages, agent pings, visitor groups) and the contacts/CRM
side (contacts, attributes, lists as tags, folders, segments, companies, notes, events).
Brevo cannot list conversations: see :meth:`Conversation.for_visitor` and
:mod:`chatmodels.brevo.webhooks`. See docs/brevo.md.
"""

from . import webhooks
from .api import DEFAULT_BASE_URL, Brevo, connect
from .contacts import Contact, ContactField, Folder, Segment, Tag
from .conversations import Agent, Conversation, Message, PushedMessage
from .crm import Company, Event, Note

Attribute = ContactField
List = Tag

__all__ = [
    "DEFAULT_BASE_URL", "Agent", "Attribute", "Brevo", "Company", "Contact", "ContactField",
    "Conversation", "Event", "Folder", "List", "Message", "Note", "PushedMessage", "Segment",
    "Tag", "connect", "webhooks",
]

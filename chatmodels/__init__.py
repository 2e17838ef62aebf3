"""chatmodels: an ActiveRecord-style object model over customer-messaging platforms.

``from chatmodels import intercom`` (or ``crisp``) gives provider resource classes; the
canonical classes below are their common bases, shared by every provider and by the
migration engine.
"""

__version__ = "0.1.0"

from . import errors  # noqa: E402
from .canonical import (  # noqa: E402
    Agent,
    Company,
    Contact,
    ContactField,
    Conversation,
    Event,
    Message,
    Note,
    Segment,
    Tag,
    Team,
)
from .collection import Collection  # noqa: E402
from .model import Model  # noqa: E402

__all__ = [
    "__version__", "errors", "Model", "Collection", "Contact", "Tag", "Conversation", "Message",
    "Agent", "Team", "Note", "ContactField", "Company", "Segment", "Event",
]

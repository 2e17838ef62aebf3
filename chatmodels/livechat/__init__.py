"""LiveChat (Agent Chat Web API v3.6 and Configuration API v3.6): ``from chatmodels import
livechat``.

Class-level credentials (``livechat.LiveChat.account_id``/``token`` for a personal access
token, or ``bearer``; or ``$LIVECHAT_ACCOUNT_ID``, ``$LIVECHAT_TOKEN``, ``$LIVECHAT_BEARER``)
drive the module's classes; ``livechat.connect(account_id=..., token=...)`` returns a namespace
of classes bound to one account. See docs/livechat.md.
"""

from .api import (
    API_VERSION,
    DEFAULT_BASE_URL,
    AgentOffline,
    ChatInactive,
    LicenseError,
    LiveChat,
    PageExpired,
    connect,
)
from .resources import (
    Agent,
    Contact,
    ContactField,
    Conversation,
    Message,
    Property,
    Tag,
    Team,
    Thread,
    Webhook,
)

__all__ = [
    "API_VERSION", "DEFAULT_BASE_URL", "AgentOffline", "ChatInactive", "LicenseError",
    "LiveChat", "PageExpired", "connect", "Agent", "Contact", "ContactField", "Conversation",
    "Message", "Property", "Tag", "Team", "Thread", "Webhook",
]

"""Handlers of the Intercom simulator (REST API 2.16 shapes), one module per resource family.

Handlers are thin: they parse and check a request (:mod:`..params`), ask the backend
(:mod:`..models`) to change or select state, and render it. The search engine is
:mod:`..search`.
"""

from .contacts import *  # noqa: F403
from .conversations import *  # noqa: F403
from .directory import *  # noqa: F403
from .workspace import *  # noqa: F403

"""Webhooks of every provider: verified, parsed into models, one ``Event`` type.

>>> from chatmodels import webhooks
>>> event = webhooks.parse("intercom", headers=request.headers, body=request.get_data(),
...                        secret=CLIENT_SECRET)     # InvalidSignature / StaleEvent / ValidationError
>>> event.topic, event.provider_topic, event.object, event.id
>>> app = webhooks.wsgi_app(handler, provider="crisp", secret=SECRET)  # any WSGI server
>>> seen = webhooks.Deduplicator(ttl=3600)           # duplicates by event.id

Which parser a provider uses comes from the registry (``webhook_parser_ref``: a
``parse_event(headers, body, *, secret, max_age, now, api=None) -> Event``); this package names
no provider. Errors: :class:`InvalidSignature` (an ``AuthenticationError``: missing, malformed
or wrong signature/token/secret), :class:`StaleEvent` (an ``InvalidSignature``: the signed
timestamp is older than ``max_age`` or in the future), a malformed payload a
``ValidationError``, a missing secret a ``ConfigurationError``. Never a raw exception. See
docs/webhooks.md for each provider's scheme and the topics table.
"""

from __future__ import annotations

from .apps import asgi_app, wsgi_app
from .dedup import Deduplicator
from .event import (
    CLOCK_SKEW,
    MAX_BODY,
    TOPICS,
    URL_TOKEN_HEADER,
    Event,
    InvalidSignature,
    StaleEvent,
)
from .parsing import parse, parser_for

__all__ = ["CLOCK_SKEW", "MAX_BODY", "TOPICS", "URL_TOKEN_HEADER", "Deduplicator", "Event",
           "InvalidSignature", "StaleEvent", "asgi_app", "parse", "parser_for", "wsgi_app"]

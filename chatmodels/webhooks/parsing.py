"""``parse(provider, ...)``: the registry's webhook parser of a provider, called with the
arguments every ``parse_event`` takes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from .. import registry
from ..errors import ConfigurationError
from .event import Event, require_secret


def parser_for(provider: str) -> Any:
    """The ``parse_event`` function of ``provider`` (``UnknownProvider``, or a
    ``ConfigurationError`` when the provider has no webhook parser)."""
    entry = registry.get(provider)
    parser = entry.webhook_parser()
    if parser is None:
        raise ConfigurationError(f"{entry.display_name} has no webhook parser")
    return parser


def parse(provider: str, *, headers: Mapping[str, str] | Any, body: bytes | str, secret: str,
          max_age: float | None = 300, now: dt.datetime | float | None = None,
          api: Any = None) -> Event:
    """Verify one delivery of ``provider`` and parse it into an :class:`Event`.

    ``headers``: the request's headers (any mapping, or pairs; names are matched
    case-insensitively); ``body``: the raw body, exactly as received; ``secret``: the
    provider's webhook secret (see docs/webhooks.md); ``max_age``: the oldest signed timestamp
    accepted, in seconds (``None``: no limit); ``now``: the time to check against, a datetime or unix
    seconds (default: the clock); ``api``: a ``connect()`` account the models belong to (default: the provider
    module's classes)."""
    parser = parser_for(provider)
    require_secret(registry.get(provider).name, secret)
    return parser(headers, body, secret=secret, max_age=max_age, now=now,  # type: ignore[no-any-return]
                  api=api)


__all__ = ["parse", "parser_for"]

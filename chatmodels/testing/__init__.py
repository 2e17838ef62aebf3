"""Local provider simulators for tests, demos and benchmarks.

>>> from chatmodels.testing import serve
>>> with serve("intercom", seed=42, contacts=250) as sim:
...     client = chatmodels.intercom.connect(base_url=sim.base_url, **sim.credentials)

Providers live in sub-packages (``chatmodels.testing.intercom``...), listed by
:mod:`chatmodels.registry`; ``serve("x")`` imports the registry's simulator on first use.
:func:`register` adds a simulator the registry does not know (a test double, say).
Requires the ``sandbox`` extra (werkzeug).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import registry
from .base import BaseSimulator, Context, Fault, RecordedRequest, Route, SimError
from .server import RemoteSimulator, create, run_forever, serve, serve_process, start, stop

__all__ = [
    "BaseSimulator",
    "Context",
    "Fault",
    "PROVIDERS",
    "RecordedRequest",
    "RemoteSimulator",
    "Route",
    "SimError",
    "available",
    "create",
    "get_simulator_class",
    "register",
    "run_forever",
    "serve",
    "serve_process",
    "start",
    "stop",
]

#: name -> simulator factory (a :class:`BaseSimulator` subclass or any callable(seed=, **counts)).
PROVIDERS: dict[str, Callable[..., Any]] = {}

#: Providers that ship a simulator sub-package (imported lazily), read from the registry.
KNOWN_PROVIDERS: tuple[str, ...] = registry.names()


def register(name: str, factory: Callable[..., Any]) -> Callable[..., Any]:
    """Register a simulator factory under ``name``; returns the factory (usable as decorator)."""
    PROVIDERS[name.lower()] = factory
    return factory


def get_simulator_class(name: str) -> Callable[..., Any]:
    """The factory registered for ``name``, else the registry's (importing its module).

    An unknown name raises :class:`chatmodels.registry.UnknownProvider` (a ``ValueError``
    and a ``ConfigurationError``) listing the known providers.
    """
    key = name.lower()
    if key not in PROVIDERS:
        factory = registry.get(key).simulator()
        PROVIDERS.setdefault(key, factory)
    return PROVIDERS[key]


def available() -> list[str]:
    """Names of simulators that are registered or shipped."""
    return sorted(set(PROVIDERS) | set(KNOWN_PROVIDERS))

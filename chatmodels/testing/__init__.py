"""Local provider simulators for tests, demos and benchmarks.

>>> from chatmodels.testing import serve
>>> with serve("intercom", seed=42, contacts=250) as sim:
...     client = chatmodels.intercom.connect(base_url=sim.base_url, **sim.credentials)

Providers live in sub-packages (``chatmodels.testing.intercom``...). ``serve("x")`` imports
``chatmodels.testing.x`` on first use; that module registers its simulator class with
:func:`register` (or exposes it as ``Simulator``). Requires the ``sandbox`` extra (werkzeug).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

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

#: Providers that ship a simulator sub-package (imported lazily).
KNOWN_PROVIDERS = ("intercom", "crisp")


def register(name: str, factory: Callable[..., Any]) -> Callable[..., Any]:
    """Register a simulator factory under ``name``; returns the factory (usable as decorator)."""
    PROVIDERS[name.lower()] = factory
    return factory


def get_simulator_class(name: str) -> Callable[..., Any]:
    """The factory registered for ``name``, importing ``chatmodels.testing.<name>`` if needed."""
    key = name.lower()
    if key not in PROVIDERS:
        try:
            module = importlib.import_module(f"{__name__}.{key}")
        except ModuleNotFoundError as exc:
            if exc.name and exc.name.startswith(f"{__name__}.{key}"):
                raise ValueError(f"no simulator for provider {name!r}") from exc
            raise
        if key not in PROVIDERS and hasattr(module, "Simulator"):
            register(key, module.Simulator)
    if key not in PROVIDERS:
        raise ValueError(f"no simulator for provider {name!r}")
    return PROVIDERS[key]


def available() -> list[str]:
    """Names of simulators that are registered or shipped."""
    return sorted(set(PROVIDERS) | set(KNOWN_PROVIDERS))

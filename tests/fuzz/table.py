"""What a provider's fuzz table holds (see the package docstring)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

from chatmodels.http import RetryPolicy

NO_RETRY = RetryPolicy(max_retries=0)

#: ``op(api, ids)``: one list/find/create call; ``ids`` are real ids read from the simulator
Op = Callable[[Any, Mapping[str, Any]], Any]


@dataclasses.dataclass(frozen=True)
class Route:
    """Where a hostile value must land: ``path`` is the request-line path, ``{}`` marking the
    value's one segment; else the path is fixed and the value is the ``query`` parameter or
    the JSON ``body`` key named. ``method``: the expected verb (None: any)."""

    path: str
    query: str | None = None
    body: str | None = None
    method: str | None = None


def unsendable(value: Any) -> bool:
    """Ids any route may refuse locally: empty, ``.``/``..``, blank or not valid text."""
    if not value or value in (".", ".."):
        return True
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return True
        return not value.strip()
    return False


@dataclasses.dataclass(frozen=True)
class Probe:
    """``call(api, value)`` sends ``value`` as an id; every request it sends must match
    ``route``. ``refuses(value)``: the values it may refuse locally (``ValidationError``,
    nothing sent)."""

    name: str
    call: Callable[[Any, Any], Any]
    route: Route
    refuses: Callable[[Any], bool] = unsendable


@dataclasses.dataclass(frozen=True)
class Provider:
    name: str
    module: Any  # chatmodels.<name>: its ``connect(base_url=..., **credentials)``
    #: fake credentials and options for the scripted server (base path appended to its URL)
    credentials: Mapping[str, Any]
    ops: Mapping[str, Op]
    probes: tuple[Probe, ...] = ()
    base_path: str = ""
    #: real ids from the seeded simulator, for the ops' seed answers (``api -> ids``)
    discover: Callable[[Any], Mapping[str, Any]] = lambda api: {}
    #: simulator arguments for the seed answers
    sim_options: Mapping[str, Any] = dataclasses.field(
        default_factory=lambda: {"seed": 8, "contacts": 2, "conversations": 2})
    #: ops whose seed is an error answer on purpose (any other op must succeed on the simulator)
    error_seeds: frozenset[str] = frozenset()
    #: op name -> why it is expected to leak (xfail, not strict) until its provider is fixed
    leaks: Mapping[str, str] = dataclasses.field(default_factory=dict)

    def connect(self, url: str, **options: Any) -> Any:
        return self.module.connect(base_url=url + self.base_path, retry=NO_RETRY,
                                   **{**self.credentials, **options})

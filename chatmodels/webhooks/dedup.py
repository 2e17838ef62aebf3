"""``Deduplicator``: remembers the ids of the deliveries already handled, for a while.

Providers deliver at least once: a retry after a lost answer, or a duplicate, carries the same
``Event.id``. ``first(event)`` is True once per id within ``ttl`` seconds (a
``cachetools.TTLCache`` of at most ``maxsize`` ids behind a lock, so threads may share it); the
oldest ids are dropped first when it is full. Memory only: a restart forgets, so keep handlers
idempotent anyway (the migration follower re-reads the object, which is).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Any

from cachetools import TTLCache


def _key(item: Any) -> Hashable:
    """(provider, id) of an Event, else the item itself (an id string)."""
    provider, event_id = getattr(item, "provider", None), getattr(item, "id", None)
    if provider is not None and event_id is not None:
        return (provider, event_id)
    if isinstance(item, Hashable):
        return item
    raise TypeError(f"a Deduplicator keeps events or ids, not {type(item).__name__}")


class Deduplicator:
    """Thread-safe memory of delivery ids (see the module docstring)."""

    def __init__(self, *, ttl: float = 24 * 3600, maxsize: int = 100_000,
                 timer: Callable[[], float] = time.monotonic) -> None:
        if not ttl > 0 or maxsize < 1:
            raise ValueError("a Deduplicator needs ttl > 0 and maxsize >= 1")
        self._ids: TTLCache[Hashable, bool] = TTLCache(maxsize=maxsize, ttl=ttl, timer=timer)
        self._lock = threading.Lock()

    def first(self, item: Any) -> bool:
        """True the first time this event (or id) is seen within ``ttl``; records it."""
        key = _key(item)
        with self._lock:
            if key in self._ids:
                return False
            self._ids[key] = True
            return True

    def seen(self, item: Any) -> bool:
        """Whether this event (or id) was recorded and has not expired (records nothing)."""
        key = _key(item)
        with self._lock:
            return key in self._ids

    def forget(self, item: Any) -> None:
        """Drop an id (a handler that failed: let the provider's retry through)."""
        key = _key(item)
        with self._lock:
            self._ids.pop(key, None)

    def __contains__(self, item: Any) -> bool:
        return self.seen(item)

    def __len__(self) -> int:
        with self._lock:
            self._ids.expire()
            return len(self._ids)

    def __repr__(self) -> str:
        return f"<Deduplicator {len(self)} ids, ttl={self._ids.ttl:g}s>"


__all__ = ["Deduplicator"]

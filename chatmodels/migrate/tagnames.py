"""Source tag id -> name for the migration engine, refreshed for ids it has not seen."""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from typing import Any

from ..errors import ChatModelsError

logger = logging.getLogger("chatmodels.migrate")


class SourceTagNames(dict):  # type: ignore[type-arg]
    """Source tag id -> name, listing the source's tags again (once per id) when asked for an
    id it does not know: a tag created on the source after the tags step, on a contact that
    lists only tag ids, keeps its name instead of being dropped (a run or a follow)."""

    def __init__(self, names: Mapping[str, str], source: Any) -> None:
        super().__init__(names)
        self._source = source
        self._lock = threading.Lock()
        self._tried: set[str] = set()

    def get(self, key: Any, default: Any = None) -> Any:
        if key not in self and key not in self._tried:
            with self._lock:
                if key not in self and key not in self._tried:
                    self._tried.add(key)
                    try:
                        for tag in self._source.resource("tags").all():
                            if tag.name:
                                self[str(tag.id)] = tag.name
                    except ChatModelsError as exc:  # the name stays unknown, as before
                        logger.warning("could not list the source's tags again: %s", exc)
        return super().get(key, default)

"""Source tag id -> target name for the migration engine, refreshed for ids it has not seen."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from typing import Any

from ..errors import ChatModelsError

logger = logging.getLogger("chatmodels.migrate")


class SourceTagNames(dict):  # type: ignore[type-arg]
    """Source tag id -> target name, listing the source's tags again (once per id) when asked
    for an id it does not know: a tag created on the source after the tags step, on a contact
    that lists only tag ids, keeps its name instead of being dropped (a run or a follow).

    A tag found so goes through ``rename`` as the tags step's tags do (the mapping file's
    renames and exclusions: ``None`` leaves it out); ``seen`` holds the ids already named
    (``rename`` adds to it), whose names are never replaced."""

    def __init__(self, source: Any, rename: Callable[[Any], str | None],
                 seen: Mapping[str, str]) -> None:
        super().__init__()
        self._source = source
        self._rename = rename
        self._seen = seen
        self._lock = threading.Lock()
        self._tried: set[str] = set()

    def get(self, key: Any, default: Any = None) -> Any:
        if key not in self and key not in self._tried:
            with self._lock:
                if key not in self and key not in self._tried:
                    self._tried.add(key)
                    try:
                        for tag in self._source.resource("tags").all():
                            tid = str(tag.id)
                            self._tried.add(tid)  # (an excluded tag is not listed again)
                            if tag.name and tid not in self._seen:
                                name = self._rename(tag)
                                if name:
                                    self[tid] = name
                    except ChatModelsError as exc:  # the name stays unknown, as before
                        logger.warning("could not list the source's tags again: %s", exc)
        return super().get(key, default)

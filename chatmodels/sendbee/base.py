"""The Sendbee resource base: account, list filters (checked before any request), helpers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from ..collection import Collection, Page
from ..errors import ValidationError
from ..model import Model
from ..resource import Listable, Resource
from .api import Sendbee


def invalid(message: str, field: str | None = None) -> ValidationError:
    """A local validation error (nothing was sent)."""
    return ValidationError(message, provider="sendbee", field=field)


def id_of(obj: Any, what: str = "object") -> str:
    """The id of an object, or a plain id."""
    if isinstance(obj, Model):
        if obj.id is None:
            raise invalid(f"{type(obj).__name__} has no id yet: save() it first")
        return str(obj.id)
    if obj is None or obj == "" or isinstance(obj, bool) or not isinstance(obj, (str, int)):
        raise invalid(f"a {what} (or its id) is required")
    return str(obj)


def name_of(tag: Any) -> str:
    """A tag name from a Tag, a ``{"name": ...}`` dict or a string."""
    name = tag.name if isinstance(tag, Model) else (
        tag.get("name") if isinstance(tag, Mapping) else tag)
    if not isinstance(name, str) or not name.strip():
        raise invalid("a tag must be a non-empty name (or a Tag)", "tags")
    return name


class SendbeeResource(Resource):
    _config = Sendbee


class SendbeeListable(SendbeeResource, Listable):
    """``all(**filters)`` with the filters the endpoint takes: ``_filters`` maps each keyword
    (friendly or wire name) to its query parameter; an unknown keyword is a local
    ``ValidationError`` before any request."""

    _filters: ClassVar[Mapping[str, str]] = {}

    @classmethod
    def all(cls, **filters: Any) -> Collection[Any]:
        cls._query(filters)  # validate now, not on first iteration
        return Collection(cls._list_page, params=filters, description=f"{cls.__name__}.all()")

    @classmethod
    def _query(cls, filters: Mapping[str, Any]) -> dict[str, Any]:
        query: dict[str, Any] = {}
        for key, value in filters.items():
            wire = cls._filters.get(key)
            if wire is None:
                known = ", ".join(sorted(cls._filters)) or "none"
                raise invalid(f"{cls.__name__}.all() has no filter {key!r}; filters: {known}",
                              key)
            if value is None:
                continue
            if wire == "tags":
                value = [name_of(t) for t in ([value] if isinstance(value, (str, Model))
                                              else value)]
            query[wire] = value
        return query

    @classmethod
    def _list_page(cls, params: Mapping[str, Any], cursor: Any, size: int | None) -> Page[Any]:
        return cls._config.page(cls, cls.operation("all"), cls._query(params), cursor, size)

"""Shared pieces of the Intercom resources: the search query builder, id helpers and the
``IntercomResource``/``Searchable`` bases every Intercom class derives from."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, ClassVar

from ..collection import Collection, Page
from ..errors import ValidationError
from ..operations import Operation
from ..resource import Resource
from .api import Intercom

#: search operators by keyword suffix: ``email__contains="@x.com"`` -> ``~``
SEARCH_OPERATORS = {
    "eq": "=", "ne": "!=", "in": "IN", "nin": "NIN", "lt": "<", "gt": ">", "lte": "<=",
    "gte": ">=", "contains": "~", "not_contains": "!~", "startswith": "^", "endswith": "$",
}


#: the search parameter ``order_by()`` sets (``{"field", "order"}``, sent as ``sort``)
SORT = "__sort__"


def _search_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return int(value.timestamp())
    if isinstance(value, (list, tuple, set)):
        return [_search_value(v) for v in value]
    if isinstance(value, Resource):
        return value.id
    return value


def build_query(criteria: Mapping[str, Any]) -> dict[str, Any]:
    """Keyword criteria -> an Intercom search query (``AND`` of single-field filters).

    ``name="Bob"``, ``email__contains="@x"``, ``created_at__gt=datetime``,
    ``custom_attributes__plan="pro"`` (nested fields use ``__`` for the dot). A ``query=``
    argument is passed through unchanged for ``OR`` and nested queries.
    """
    if "query" in criteria:
        if len(criteria) > 1:
            raise TypeError("query= cannot be combined with keyword criteria")
        return dict(criteria["query"])
    filters = []
    for key, value in criteria.items():
        parts = key.split("__")
        operator = "="
        if len(parts) > 1 and parts[-1] in SEARCH_OPERATORS:
            operator = SEARCH_OPERATORS[parts.pop()]
        filters.append({"field": ".".join(parts), "operator": operator,
                        "value": _search_value(value)})
    if not filters:
        raise TypeError("search() needs at least one criterion")
    if len(filters) == 1:
        return filters[0]
    return {"operator": "AND", "value": filters}


def _id_of(obj: Any) -> str:
    if isinstance(obj, Resource):
        if obj.id is None:
            raise ValidationError(f"{type(obj).__name__} has no id yet: save() it first",
                                  provider="intercom")
        return str(obj.id)
    if obj is None:
        raise ValidationError("an object or id is required", provider="intercom")
    return str(obj)


def _resolve_tag(owner: Resource, tag: Any) -> str:
    """A tag id from a Tag, an id, or a name (found, else created)."""
    if isinstance(tag, str) and not tag.isdigit():
        tag_cls = owner._model("Tag")
        found = tag_cls.find_by_name(tag)
        return str((found if found is not None else tag_cls.create(name=tag)).id)
    return _id_of(tag)


class IntercomResource(Resource):
    """Base of the Intercom classes. A nested listing is declared as the operation
    ``of_<owner>`` (``Tag``'s ``of_contact``: ``GET /contacts/{contact}/tags``), and
    ``Tag.all(contact=c)`` uses it; ``all()`` without an owner uses ``all``."""

    _config = Intercom
    _max_page_size: ClassVar[int] = 150

    @classmethod
    def _list_op(cls, params: Mapping[str, Any]) -> Operation:
        for key in params:
            op = cls.operations.get(f"of_{key}")
            if op is not None:
                return op
        return cls.operation("all")

    @classmethod
    def _list_page(cls, params: Mapping[str, Any], cursor: Any, size: int | None) -> Page[Any]:
        return cls._config.page(cls, cls._list_op(params), params, cursor, size)


class Searchable(IntercomResource):
    """The declared ``search`` (``POST .../search``) with :func:`build_query` keywords;
    ``all().filter()`` searches."""

    @classmethod
    def search(cls, **criteria: Any) -> Collection[Any]:
        """Search with Intercom's search API (see :func:`build_query` for the keywords)."""
        return Collection(cls._search_page, params=criteria,
                          description=f"{cls.__name__}.search()", orderer=cls._orderer("search"))

    @classmethod
    def _orderer(cls, operation: str) -> Any:
        if operation != "search":
            return None

        def order(field: str, descending: bool) -> Mapping[str, Any]:
            return {SORT: {"field": field.replace("__", "."),
                           "order": "descending" if descending else "ascending"}}
        return order

    @classmethod
    def _search_page(cls, params: Mapping[str, Any], cursor: Any, size: int | None) -> Page[Any]:
        criteria = {k: v for k, v in params.items() if k != SORT}
        body: dict[str, Any] = {"query": build_query(criteria)}
        if SORT in params:
            body["sort"] = params[SORT]
        return cls._config.page(cls, cls.operation("search"), body, cursor, size)

    @classmethod
    def _list_page(cls, params: Mapping[str, Any], cursor: Any, size: int | None) -> Page[Any]:
        op = cls._list_op(params)
        if op.name == "all" and params:  # all().filter(...) is a search
            return cls._search_page(params, cursor, size)
        return cls._config.page(cls, op, params, cursor, size)

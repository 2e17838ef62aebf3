"""Lazy, chainable collections: ``Contact.all().filter(...).limit(500).page_size(100)``.

Nothing is requested until you iterate. Iteration pages automatically and holds one page in
memory at a time (``auto_paging_iter`` in stripe-python terms); ``.pages()`` yields the pages
themselves. Each provider supplies a *page fetcher*: a function ``(params, cursor, page_size)
-> Page`` that knows its pagination style (Intercom cursors, Crisp page numbers...).

A provider that hands back the cursor it was just given would page forever: that is a
:class:`~chatmodels.errors.ResponseError`, not an endless loop.

For notebooks and scripts: ``bool(collection)`` and ``repr(collection)`` fetch one small page
at most (never the whole query); ``_repr_html_``/``_repr_pretty_`` show that page and the
provider's total (:mod:`chatmodels.display`); ``to_pandas()`` builds a DataFrame page by page
(:mod:`chatmodels.frames`); ``order_by()`` sorts where the provider can (the resource hands the
collection an *orderer*, else it is a ``ValidationError``).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from .errors import ChatModelsError, ResponseError, ValidationError

if TYPE_CHECKING:
    import pandas

T = TypeVar("T")


@dataclass
class Page(Generic[T]):
    """One page: its items, the cursor of the next page (``None`` on the last) and the total if known."""

    items: list[T]
    next_cursor: Any = None
    total: int | None = None


PageFetcher = Callable[[Mapping[str, Any], Any, "int | None"], Page[Any]]
#: ``(field, descending) -> params`` that make the provider sort (raises ``ValidationError``)
Orderer = Callable[[str, bool], Mapping[str, Any]]
#: how many objects ``repr()`` and the HTML display show
PREVIEW = 5


class Collection(Generic[T]):
    """An unevaluated query. Chaining returns a new collection; the original is unchanged."""

    def __init__(self, fetch: PageFetcher, *, params: Mapping[str, Any] | None = None,
                 limit: int | None = None, page_size: int | None = None,
                 description: str = "", orderer: Orderer | None = None) -> None:
        self._fetch = fetch
        self._params = dict(params or {})
        self._limit = limit
        self._page_size = page_size
        self._description = description
        self._orderer = orderer

    def _copy(self, **changes: Any) -> Collection[T]:
        new = Collection.__new__(type(self))
        new.__dict__.update(self.__dict__)
        new._params = dict(self._params)
        for key, value in changes.items():
            setattr(new, f"_{key}", value)
        return new

    # -- chaining --------------------------------------------------------------------------
    def filter(self, **criteria: Any) -> Collection[T]:
        """Add criteria (the provider decides which it supports; unknown ones raise)."""
        new = self._copy()
        new._params.update(criteria)
        return new

    def limit(self, count: int) -> Collection[T]:
        """Stop after ``count`` objects (pages are still fetched at ``page_size``)."""
        if count < 0:
            raise ValueError("limit must be >= 0")
        return self._copy(limit=count)

    def page_size(self, count: int) -> Collection[T]:
        """Ask the provider for pages of ``count`` objects (capped at the provider maximum)."""
        if count < 1:
            raise ValueError("page_size must be >= 1")
        return self._copy(page_size=count)

    def order_by(self, field: str) -> Collection[T]:
        """Sort by ``field`` (``"-created_at"``: descending) where the provider can sort this
        query (Intercom search, Crisp people...); else a ``ValidationError`` before any
        request. One field: the providers sort on one."""
        if not isinstance(field, str) or field.lstrip("-") == "":
            raise ValidationError("order_by() takes a field name, e.g. '-created_at'",
                                  field="order_by")
        if self._orderer is None:
            raise ValidationError(f"{self._description}: the provider cannot sort this query "
                                  f"(order_by({field!r})); sort the results yourself",
                                  field="order_by")
        descending = field.startswith("-")
        new = self._copy()
        new._params.update(self._orderer(field.lstrip("-"), descending))
        return new

    @property
    def params(self) -> dict[str, Any]:
        return dict(self._params)

    # -- evaluation ------------------------------------------------------------------------
    def pages(self) -> Iterator[list[T]]:
        """Yield page after page (each a list), honouring ``limit``."""
        for items, _, _ in self._walk():
            yield items
            del items  # (see _walk)

    def _walk(self) -> Iterator[tuple[list[T], int | None, bool]]:
        """Yield ``(items, provider total or None, whether more pages follow)`` per page."""
        remaining = self._limit
        cursor: Any = None
        # one page size for the whole walk: with page-number paging a smaller last page would
        # be another slicing of the list (page 3 of 3-item pages is not items 21-23)
        size = self._page_size
        if remaining is not None:
            size = remaining if size is None else min(size, remaining)
        while remaining is None or remaining > 0:
            page = self._fetch(self._params, cursor, size)
            items, next_cursor, total, ended = (page.items, page.next_cursor, page.total,
                                                not page.items)
            del page  # no page is kept alive by the walk while the next one is fetched
            if remaining is not None:
                items = items[:remaining]
                remaining -= len(items)
            more = next_cursor is not None and not ended and (remaining is None or remaining > 0)
            if items:
                yield items, total, more
            del items
            if next_cursor is None or ended:
                return
            if next_cursor == cursor:
                raise ResponseError(f"{self._description}: the provider gave the same next "
                                    f"page again ({cursor!r:.80}); stopping instead of looping")
            cursor = next_cursor

    def __iter__(self) -> Iterator[T]:
        # lazy as a generator, but each object is handed over at C speed
        return itertools.chain.from_iterable(self.pages())

    auto_paging_iter = __iter__

    def first(self) -> T | None:
        """The first object, or ``None`` when the collection is empty (one small request)."""
        if self._limit == 0:
            return None
        for item in self._copy(limit=1, page_size=self._page_size or 1):
            return item
        return None

    def count(self) -> int:
        """How many objects match: the provider's total when it reports one, else by paging."""
        page = self._fetch(self._params, None, 1)
        if page.total is not None and self._limit is None:
            return page.total
        total = sum(len(p) for p in self.pages())
        return total

    def total(self) -> int | None:
        """The provider's total for this query (one small request), or ``None`` if it has none."""
        if self._limit is not None:
            return None
        return self._fetch(self._params, None, 1).total

    def to_list(self) -> list[T]:
        return list(self)

    # -- notebooks and scripts ---------------------------------------------------------------
    def to_pandas(self, fields: Any = None, **options: Any) -> pandas.DataFrame:
        """A ``pandas.DataFrame`` of the objects, built page by page (``pip install
        chatmodels[pandas]``); see :func:`chatmodels.frames.to_pandas` for the columns and
        options."""
        from .frames import to_pandas
        return to_pandas(self, fields, **options)

    to_dataframe = to_pandas

    def preview(self, count: int = PREVIEW) -> tuple[list[T], int | None, bool]:
        """``(first objects, provider total or None, whether there are more)``: one request
        of at most ``count`` objects, never more."""
        if count < 1:
            raise ValueError("count must be >= 1")
        size = count if self._limit is None else min(count, self._limit)
        if size == 0:
            return [], 0, False
        page = self._fetch(self._params, None, size)
        items = page.items[:size]
        total = page.total if self._limit is None else None
        if total is None and self._limit is not None and page.total is not None:
            total = min(page.total, self._limit)
        more = len(page.items) > size or (page.next_cursor is not None and bool(page.items)
                                          and (self._limit is None or self._limit > size))
        return items, total, more

    def __bool__(self) -> bool:
        """Whether the query matches anything (one request of one object)."""
        return bool(self.preview(1)[0])

    def _base_repr(self) -> str:
        extra = []
        if self._params:
            extra.append(f"filters={self._params}")
        if self._limit is not None:
            extra.append(f"limit={self._limit}")
        if self._page_size is not None:
            extra.append(f"page_size={self._page_size}")
        return f"Collection {self._description} {' '.join(extra)}".strip().replace("  ", " ")

    def __repr__(self) -> str:
        """The query, the provider's total when it reports one and the first few objects:
        one small request (never the whole query); a failed request is named, not raised."""
        try:
            items, total, more = self.preview()
        except (ChatModelsError, TypeError, ValueError) as exc:  # a bad query: named, not raised
            return f"<{self._base_repr()} (preview failed: {type(exc).__name__})>"
        shown = ", ".join(repr(i) for i in items) + (", ..." if more else "")
        count = f"{total} objects" if total is not None else (
            f"{len(items)}+ objects" if more else f"{len(items)} objects")
        return f"<{self._base_repr()}: {count} [{shown}]>"

    def _repr_html_(self) -> str:
        from .display import collection_html
        return collection_html(self)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))

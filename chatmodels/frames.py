"""Collections as pandas DataFrames (``pip install chatmodels[pandas]``).

``api.Contact.all().to_pandas()`` gives one row per object and one column per value:

* the canonical fields of the class (``docs/canonical-model.md``), in their order, or the
  ``fields`` you name; ``include=`` adds provider fields (``include=["statistics"]``);
* a dict value is flattened like ``pandas.json_normalize`` (``custom_attributes.plan``,
  ``location.city``, with ``sep``), so custom attributes become columns;
* a reference is its id and name: ``tags`` -> ``tag_ids`` and ``tag_names`` (lists),
  ``author`` -> ``author_id``/``author_name``; the names column exists only when the payload
  had names (nothing is loaded to find them);
* datetimes are tz-aware (``datetime64[..., UTC]``); the canonical enumerations (``role``, ``state``,
  ``kind``, ``author_type``, ``data_type``, ``priority``, plus ``categories=``) are
  ``category``; other columns get the dtype pandas infers from the values (an integer column
  with gaps is float, as in ``json_normalize``).

Nothing is loaded lazily while the frame is built (a field behind its own route, such as Crisp
people data, is empty) unless ``lazy=True``, which costs what reading the field costs (Crisp:
one request per contact; Crisp has no bulk read of people data). ``messages`` is left out
unless named.

Memory: the frame is built page by page. Only the current page's objects exist at a time; the
values already read are kept per column (datetimes converted to 8-byte values at once, text to
pandas' compact string arrays when pandas has them, as pandas 3 does) and put together column
by column at the end, so the peak stays near the size of the frame itself
(``benchmarks/to_pandas.py``). A ``tqdm`` progress bar is shown when the query spans several
pages and stderr is a terminal (``progress=False``: never; ``True``: always, when tqdm is
installed).
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import inflection

from .errors import ConfigurationError
from .model import Derived, Model, no_lazy_loads

if TYPE_CHECKING:
    import pandas

    from .collection import Collection

#: canonical fields whose values come from a short fixed list
CATEGORIES = frozenset({"role", "state", "kind", "author_type", "data_type", "priority"})
_SCALARS = frozenset({str, int, float, bool, dt.datetime})
#: fields left out unless named (they hold whole threads)
SKIPPED = frozenset({"messages"})


def _pandas() -> Any:
    try:
        import pandas
    except ImportError:
        raise ConfigurationError("to_pandas() needs pandas: pip install 'chatmodels[pandas]'") \
            from None
    return pandas


class _Reader:
    """How to read each column field of one class (computed once per class)."""

    def __init__(self, cls: type[Model], fields: Sequence[str] | None,
                 include: Sequence[str]) -> None:
        names = list(fields) if fields is not None else [
            f for f in cls.canonical_fields if f not in SKIPPED]
        names += [f for f in include if f not in names]
        self.steps: list[tuple[str, str, bool, tuple[str, bool] | None]] = []
        #: field -> the stem of its reference columns (``tags`` -> ``tag``)
        self.stems: dict[str, str] = {}
        for name in names:
            derived = isinstance(getattr(cls, name, None), Derived)
            key = cls.aliases.get(name, name)
            self.steps.append((name, key, derived, cls._refs.get(key)))
            self.stems[name] = inflection.singularize(name)


class _Refs:
    """(id, name) of references in raw payloads, built once per distinct (class, id, name)."""

    def __init__(self) -> None:
        self.seen: dict[tuple[str, Any, Any], tuple[Any, Any]] = {}

    def parts(self, obj: Model, ref: tuple[str, bool] | None, value: Any) -> Any:
        """``value`` with raw reference dicts replaced by (id, name) pairs."""
        if isinstance(value, Model):
            return (value.id, value.peek("name"))
        if ref is not None and isinstance(value, Mapping):
            return self._pair(obj, ref, value)
        if isinstance(value, list):
            return [self._pair(obj, ref, v) if ref is not None and isinstance(v, Mapping)
                    else (v.id, v.peek("name")) if isinstance(v, Model) else (v, None)
                    for v in value]
        return (value, None)

    def _pair(self, obj: Model, ref: tuple[str, bool], raw: Mapping[str, Any]) -> tuple[Any, Any]:
        cls = obj._model(ref[0])
        key = (ref[0], _hashable(raw.get(cls._id_key)), _hashable(raw.get("name")))
        pair = self.seen.get(key)
        if pair is None:
            built = cls.from_wire(raw, partial=True, account=obj._account)
            pair = self.seen[key] = (built.id, built.peek("name"))
        return pair


def _hashable(value: Any) -> Any:
    return value if isinstance(value, (str, int, float, type(None))) else repr(value)


def _is_ref(value: Any) -> bool:
    return isinstance(value, Model) or (isinstance(value, list) and bool(value)
                                        and all(isinstance(v, Model) for v in value))


class _Page:
    """The columns of one page: name -> list of values (``None`` where a row has none)."""

    def __init__(self, size: int, sep: str) -> None:
        self.size = size
        self.sep = sep
        self.columns: dict[str, list[Any]] = {}
        #: column -> position of the field it comes from (the frame's column order)
        self.origin: dict[str, int] = {}
        self.field = 0

    def put(self, name: str, row: int, value: Any) -> None:
        column = self.columns.get(name)
        if column is None:
            column = self.columns[name] = [None] * self.size
            self.origin[name] = self.field
        column[row] = value

    def flatten(self, prefix: str, row: int, value: Mapping[str, Any]) -> None:
        for key, inner in value.items():
            name = f"{prefix}{self.sep}{key}"
            if type(inner) in _SCALARS:
                self.put(name, row, inner)
            elif isinstance(inner, Mapping) and inner:
                self.flatten(name, row, inner)
            elif inner is not None:
                self.put(name, row, inner)

    def refs(self, name: str, stem: str, row: int, pairs: Any, many: bool) -> None:
        if not many:
            self.put(f"{name}_id", row, pairs[0])
            if pairs[1] is not None:
                self.put(f"{name}_name", row, pairs[1])
            return
        self.put(f"{stem}_ids", row, [p[0] for p in pairs])
        names = [p[1] for p in pairs]
        if any(n is not None for n in names):
            self.put(f"{stem}_names", row, names)


def _read_page(page: list[Any], readers: dict[type, _Reader], refs: _Refs,
               fields: Sequence[str] | None, include: Sequence[str], sep: str) -> _Page:
    out = _Page(len(page), sep)
    for row, obj in enumerate(page):
        cls = type(obj)
        reader = readers.get(cls)
        if reader is None:
            reader = readers[cls] = _Reader(cls, fields, include)
        values = obj._values
        for position, (name, key, derived, ref) in enumerate(reader.steps):
            out.field = position
            if derived:
                value = getattr(obj, name)
            else:
                value = values.get(key)
                if value is None and key not in values:
                    value = obj.extra.get(key)
                    if value is None and key in obj._loaders:
                        value = getattr(obj, key)  # None unless lazy=True
            if value is None:
                continue
            if ref is None and type(value) in _SCALARS:  # the common case, checked first
                out.put(name, row, value)
                continue
            if ref is not None or _is_ref(value):
                many = ref[1] if ref is not None else isinstance(value, list)
                pairs = refs.parts(obj, ref, value)
                if many and not isinstance(pairs, list):
                    pairs = [pairs]
                elif not many and isinstance(pairs, list):
                    if not pairs:
                        continue
                    pairs = pairs[0]
                out.refs(name, reader.stems[name], row, pairs, many)
            elif isinstance(value, Mapping):
                out.flatten(name, row, value)
            else:
                out.put(name, row, value)
    return out


class _Columns:
    """Every page's columns, kept per column until the frame is put together."""

    def __init__(self, pd: Any) -> None:
        self.pd = pd
        self.rows = 0
        self.chunks: dict[str, list[tuple[int, Any]]] = {}
        self.origin: dict[str, int] = {}
        #: the dtype pandas gives a column of strings when it is a compact one (pandas 3:
        #: ``str``, UTF-8 bytes in one buffer); then text is stored so as each page arrives
        inferred = pd.Series(["text"]).dtype
        self.text = None if inferred == "object" else inferred

    def add(self, page: _Page) -> None:
        pd = self.pd
        for name, values in page.columns.items():
            self.origin.setdefault(name, page.origin[name])
            present = [v for v in values if v is not None]
            if present and all(isinstance(v, dt.datetime) for v in present):
                # 8 bytes a value now, instead of a datetime object until the end
                index = pd.DatetimeIndex(pd.to_datetime(values, utc=True))
                data: Any = index.tz_convert(None).to_numpy()
            elif self.text is not None and present and all(type(v) is str for v in present):
                data = pd.array(values, dtype=self.text)  # a few bytes a value, not a str
            else:
                data = values
            self.chunks.setdefault(name, []).append((self.rows, data))
        self.rows += page.size

    def frame(self, categories: Iterable[str]) -> pandas.DataFrame:
        import numpy as np
        pd = self.pd
        wanted = CATEGORIES | set(categories)
        out: dict[str, Any] = {}
        for name in sorted(self.chunks, key=self.origin.__getitem__):  # stable: first seen
            chunks = self.chunks.pop(name)
            kinds = {type(data) for _, data in chunks}
            if kinds == {np.ndarray}:  # datetimes in every page
                full = np.full(self.rows, np.datetime64("NaT"), dtype=chunks[0][1].dtype)
                for start, data in chunks:
                    full[start:start + len(data)] = data
                series = pd.Series(full).dt.tz_localize("UTC")
            elif list not in kinds and np.ndarray not in kinds:  # text in every page
                series = self._text(chunks)
            else:
                values: list[Any] = [None] * self.rows
                for start, data in chunks:
                    if isinstance(data, np.ndarray):  # datetimes in some pages only
                        data = list(pd.to_datetime(data).tz_localize("UTC"))
                    elif not isinstance(data, list):  # text in some pages only
                        data = list(data.to_numpy(dtype=object, na_value=None))
                    values[start:start + len(data)] = data
                del chunks
                series = pd.Series(values)
                del values
            if (kinds != {np.ndarray} and name.rsplit(".", 1)[-1] in wanted
                    and series.dtype != bool):
                try:
                    series = series.astype("category")
                except TypeError:  # lists or dicts (a custom attribute of that name) stay so
                    pass
            out[name] = series
        return pd.DataFrame(out) if out else pd.DataFrame(index=pd.RangeIndex(self.rows))

    def _text(self, chunks: list[tuple[int, Any]]) -> pandas.Series:
        """A text column from its pages' arrays, the rows of pages without it missing."""
        pd = self.pd
        pieces: list[Any] = []
        at = 0
        for start, data in chunks + [(self.rows, None)]:
            if start > at:
                pieces.append(pd.Series([None] * (start - at), dtype=self.text))
            if data is not None:
                pieces.append(pd.Series(data))
                at = start + len(data)
        return pd.concat(pieces, ignore_index=True)


def _bar(progress: bool | None, collection: Collection[Any], total: int | None) -> Any:
    if progress is False:
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    if progress is None and not sys.stderr.isatty():
        return None
    return tqdm(total=total, desc=collection._description or "objects", unit="obj",
                leave=False)


def to_pandas(collection: Collection[Any], fields: Sequence[str] | None = None, *,
              include: Sequence[str] = (), categories: Iterable[str] = (), sep: str = ".",
              lazy: bool = False, progress: bool | None = None) -> pandas.DataFrame:
    """A DataFrame of every object of ``collection`` (see the module docstring).

    ``fields``: the fields to read (default: the canonical fields but ``messages``);
    ``include``: more fields (provider fields, ``extra`` keys); ``categories``: more columns to
    make categorical; ``sep``: the separator of flattened dict keys; ``lazy``: load fields the
    objects lack (costs requests); ``progress``: the tqdm bar (None: on a terminal).
    """
    pd = _pandas()
    if isinstance(fields, str) or isinstance(include, str):
        raise TypeError("fields and include are lists of names")
    columns = _Columns(pd)
    readers: dict[type, _Reader] = {}
    refs = _Refs()
    bar = None
    try:
        for items, total, more in collection._walk():
            if bar is None and more:
                bar = _bar(progress, collection, total)
            if lazy:
                page = _read_page(items, readers, refs, fields, include, sep)
            else:
                with no_lazy_loads():
                    page = _read_page(items, readers, refs, fields, include, sep)
            del items
            columns.add(page)
            if bar is not None:
                bar.update(page.size)
    finally:
        if bar is not None:
            bar.close()
    return columns.frame(categories)


__all__ = ["CATEGORIES", "to_pandas"]

"""The descriptors the models are built with: ``hybridmethod`` (class or instance call),
``Derived`` (a canonical field computed from other fields), the per-field class entry that
reads a field fast, ``Empty`` (an internal container made on first use) and ``no_lazy_loads``
(a block in which nothing is loaded lazily).

They live here so that ``model.py`` keeps to the model itself; ``chatmodels.model`` re-exports
the public ones.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from types import MethodType
from typing import Any, Generic, TypeVar

from .errors import FieldError

_MISSING: Any = object()
_SCALARS = frozenset({str, int, float, bool})
#: per thread: while > 0 (inside ``peek``), nothing is loaded lazily
_PEEKING = threading.local()

C = TypeVar("C")


class Empty(Generic[C]):
    """An internal container an object gets on first use (``Model._touched``, ``extra``): a
    page of objects that are only read allocates none. A non-data descriptor: once made, the
    container is an ordinary instance attribute."""

    __slots__ = ("factory", "name")

    def __init__(self, factory: Callable[[], C]) -> None:
        self.factory = factory
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, obj: Any, owner: type | None = None) -> C:
        if obj is None:
            raise AttributeError(self.name)
        # setdefault: two threads making it at once get the same one (one C call)
        return obj.__dict__.setdefault(self.name, self.factory())


class hybridmethod:
    """A method that receives the instance when called on one, else the class.

    Used for the account hooks (``_client``, ``_request``, ``_model``): on an object they use
    the account that loaded the object, on a class the class's account.
    """

    def __init__(self, func: Callable[..., Any]) -> None:
        self.func = func
        self.__doc__ = func.__doc__

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        return MethodType(self.func, owner if obj is None else obj)


class Derived:
    """A canonical field computed from (and written into) other fields of the object, e.g.
    Crisp's ``name`` stored in ``person.nickname``. Assigning it goes through the same checks
    as any field; without a setter it is read-only. The support-table generator does not count
    it as an operation (unlike a ``property``)."""

    def __init__(self, fget: Callable[[Any], Any],
                 fset: Callable[[Any, Any], None] | None = None) -> None:
        self.fget = fget
        self.fset = fset
        self.name = fget.__name__
        self.__doc__ = fget.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def setter(self, fset: Callable[[Any, Any], None]) -> Derived:
        return Derived(self.fget, fset)

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        if obj is None:
            return self
        return self.fget(obj)

    def __set__(self, obj: Any, value: Any) -> None:
        if self.fset is None:
            raise FieldError(f"{type(obj).__name__}.{self.name} is read-only",
                             provider=obj._provider_name(), field=self.name)
        self.fset(obj, value)


def derived_names(cls: type) -> list[str]:
    """The :class:`Derived` fields of a class, base classes first."""
    names: list[str] = []
    for klass in reversed(cls.__mro__):
        for name, value in vars(klass).items():
            if isinstance(value, Derived) and name not in names:
                names.append(name)
    return names


class _Field:
    """A field's entry on its class, so reading it skips the failed normal lookup (and the
    exception CPython builds for it) before ``Model.__getattr__``; the reading rules are all
    in ``__getattr__``. On the class itself it is absent, as a plain field always was.

    It knows its class's wire-free facts (the stored key behind an alias, whether the field
    is a reference), so a loaded scalar is returned after one dict lookup; a subclass with
    other aliases or references gets entries of its own (``Model.__init_subclass__`` asks
    ``fits``)."""

    __slots__ = ("name", "key", "plain", "made_for")

    def __init__(self, name: str, owner: Any) -> None:
        self.name = name
        self.key = owner.aliases.get(name, name)
        self.plain = self.key not in owner._refs
        self.made_for = (owner.aliases, owner._refs)

    def fits(self, owner: Any) -> bool:
        """Whether this entry reads the field right for ``owner`` (a subclass)."""
        aliases, refs = self.made_for
        return aliases is owner.aliases and refs is owner._refs

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        if obj is None:
            raise AttributeError(self.name)
        values = obj.__dict__.get("_values")
        if values is not None:  # the common case inline: a loaded scalar, not a reference
            value = values.get(self.key, _MISSING)
            if value is None or self.plain and type(value) in _SCALARS:
                return value
        return obj.__getattr__(self.name)


@contextlib.contextmanager
def no_lazy_loads(*, strict: bool = False) -> Iterator[None]:
    """Within the block (this thread), reading a field an object lacks loads nothing: it
    reads as ``None`` (as with ``peek``), or raises ``ValidationError`` with ``strict=True``."""
    if strict:
        before = getattr(_PEEKING, "strict", False)
        _PEEKING.strict = True
        try:
            yield
        finally:
            _PEEKING.strict = before
        return
    _PEEKING.depth = getattr(_PEEKING, "depth", 0) + 1
    try:
        yield
    finally:
        _PEEKING.depth -= 1

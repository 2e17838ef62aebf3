"""The base ``Model``: attribute storage, dirty tracking, lazy loading, equality, ``to_dict``.

Values read from the provider are kept as loaded; a dict or list value is copied the first time
it is *read*, so mutating it in place (``contact.custom_attributes["plan"] = "pro"``) is seen as
a change without paying for a deep copy of every object on every page. ``save()`` sends only
the difference: for dict fields only the changed keys (removed keys as ``null``), for list fields
the whole new list.

Lazy completion is one mechanism (PyGithub's ``_completeIfNotSet``): reading a field the object
lacks calls that field's *loader*, once. ``_loaders`` maps a field to the name of the method that
fetches it — ``"reload"`` (the whole object: one GET) unless the provider keeps the field behind a
route of its own (Crisp people data: ``"_load_data"``). A *partial* object (embedded in another
answer, ``conversation.contacts[0]``, or made by ``ref(id)``) lacks everything, so any field it
lacks is loaded by ``reload``; ``_forget(field)`` makes one field of a full object stale the same
way (after a side change such as tagging). Each load is one request — the N+1 cost is yours to
see, logged at DEBUG on ``chatmodels.model``; ``load()`` and ``reload()`` fill the object in place.

For notebooks and scripts (docs/notebooks.md): ``to_dict(json=True)``/``to_json()`` give
JSON-safe values (ISO 8601 datetimes); ``_repr_html_``/``_repr_pretty_`` render the loaded
values without loading anything (:mod:`chatmodels.display`); every class documents its fields
in its docstring (:mod:`chatmodels.fielddoc`); a pickled object comes back *unbound*: its
values, no account (``bind(account)`` attaches one; unbound, it talks to the class-level
settings of its provider).
"""

from __future__ import annotations

import copy
import datetime as dt
import decimal
import json as jsonlib
import logging
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from marshmallow import Schema

from . import schema as wire_schema
from .descriptors import (
    _MISSING,
    _PEEKING,
    Derived,
    Empty,
    _Field,
    derived_names,
    hybridmethod,
    no_lazy_loads,
)
from .errors import ChatModelsError, FieldError, ResponseError, ValidationError

if TYPE_CHECKING:
    from .client import Client

logger = logging.getLogger("chatmodels.model")

__all__ = ["Derived", "Model", "derived_names", "hybridmethod", "jsonable", "no_lazy_loads"]

_MUTABLE = (dict, list)
_NONE: frozenset[str] = frozenset()
_INTERNAL = frozenset({"_values", "_orig", "_touched", "_partial", "extra", "_raw", "_deleted",
                       "_account", "_stale"})


class Model:
    """Base of every resource class. See the module docstring for the tracking rules."""

    #: the provider's marshmallow schema (wire JSON <-> attributes)
    _schema: ClassVar[type[Schema] | None] = None
    #: the canonical fields, documented in docs/canonical-model.md (set on canonical classes)
    canonical_fields: ClassVar[tuple[str, ...]] = ()
    #: attribute aliases: provider name -> canonical name (or the other way), same storage
    aliases: ClassVar[Mapping[str, str]] = {}
    #: the account this class is bound to (set on classes made by ``connect()``)
    _bound_client: ClassVar[Client | None] = None
    #: the attributes shown by ``repr``
    _repr_fields: ClassVar[tuple[str, ...]] = ("name", "email")
    #: embedded references: attribute -> (model name, many); built lazily from raw dicts
    _refs: ClassVar[Mapping[str, tuple[str, bool]]] = {}
    #: the wire key holding the id (``ref()`` builds partial objects with it)
    _id_key: ClassVar[str] = "id"
    #: whether the provider gives a created object an id (an answer without one is then a
    #: ``ResponseError``); False for write-only records such as Brevo events
    _created_with_id: ClassVar[bool] = True
    #: fields a complete object may lack -> the method that fetches them: ``"reload"`` (the
    #: whole object; e.g. messages absent from list answers) or a loader of its own, which
    #: stores the value with ``_set_clean`` and handles an object not saved yet
    _loaders: ClassVar[Mapping[str, str]] = {}
    #: writable fields the schema does not send: the class's ``_update`` routes them itself
    _extra_writable: ClassVar[frozenset[str]] = frozenset()

    _values: dict[str, Any]
    _orig: dict[str, Any]
    # what an object loaded from the wire starts with: set on the object only when it differs
    # (a page of 1,000 objects then allocates and stores only the values, see from_wire_many)
    _touched: Empty[set[str]] = Empty(set)
    _partial: bool = False
    _stale: frozenset[str] = _NONE
    _deleted: bool = False
    extra: Empty[dict[str, Any]] = Empty(dict)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        own = vars(cls)
        for name in cls.field_names() | set(cls.aliases):
            if name in own or name in _INTERNAL or name.startswith("__"):
                continue
            inherited = next((vars(k)[name] for k in cls.__mro__[1:] if name in vars(k)), None)
            if inherited is None or type(inherited) is _Field and not inherited.fits(cls):
                type.__setattr__(cls, name, _Field(name, cls))
        if "_bound_client" not in cls.__dict__:  # connect() classes copy the docstring
            from .fielddoc import document
            document(cls)

    def __init__(self, **values: Any) -> None:
        object.__setattr__(self, "_account", None)
        object.__setattr__(self, "_values", {})
        object.__setattr__(self, "_orig", {})
        object.__setattr__(self, "_raw", None)
        for name, value in values.items():
            setattr(self, name, value)

    # -- construction from the wire ------------------------------------------------------------
    @classmethod
    def from_wire(cls, data: Mapping[str, Any], *, partial: bool = False,
                  account: Client | None = None) -> Model:
        """Build an object from the provider's JSON (nothing is marked dirty).

        The object remembers ``account`` (default: the class's account now), so a later
        ``save()`` goes to the account that loaded it even if the class-level settings change.
        """
        if account is None:
            account = cls._account_of_class(build=False)
        if cls._fill is Model._fill and cls._schema is not None:
            return cls._build((data,), partial, account)[0]
        obj = cls.__new__(cls)
        obj.__dict__["_account"] = account
        obj._fill(data, partial=partial)
        return obj

    @classmethod
    def from_wire_many(cls, items: Iterable[Any], *, partial: bool = False,
                       account: Client | None = None) -> list[Model]:
        """``from_wire`` for each item of a page (a list answer), in one pass.

        A class that builds its objects in its own way (its own ``from_wire`` or ``_fill``)
        gets them built one by one through that.
        """
        if account is None:
            account = cls._account_of_class(build=False)
        if (cls._fill is not Model._fill or cls._schema is None
                or cls.from_wire.__func__ is not Model.from_wire.__func__):  # type: ignore
            return [cls.from_wire(item, partial=partial, account=account) for item in items]
        return cls._build(items if isinstance(items, (list, tuple)) else list(items), partial,
                          account)

    @classmethod
    def _build(cls, items: list[Any] | tuple[Any, ...], partial: bool,
               account: Client | None) -> list[Model]:
        """What ``_fill`` does, for each item into a new object; only what differs from the
        class-level defaults is stored on the object (a page is 1,000 objects)."""
        after_load = None if cls._after_load is Model._after_load else cls._after_load
        new = cls.__new__
        objects: list[Model] = []
        all_values, all_extra = wire_schema.load_many(cls._schema, items)  # type: ignore[arg-type]
        for data, values, extra in zip(items, all_values, all_extra, strict=True):
            obj = new(cls)
            state = obj.__dict__
            state["_account"] = account
            if after_load is not None:
                obj._derive(after_load, values, data)
            state["_values"] = values
            state["_orig"] = values.copy()
            state["_raw"] = data
            if extra is not None:
                state["extra"] = extra
            if partial:
                state["_partial"] = True
            objects.append(obj)
        return objects

    def _fill(self, data: Mapping[str, Any], *, partial: bool = False) -> None:
        schema = type(self)._schema
        if schema is None:
            if not isinstance(data, Mapping):
                raise ResponseError(f"{self._provider_name()}: a {type(self).__name__} answer "
                                    f"is not a JSON object", provider=self._provider_name())
            values, extra = dict(data), {}  # type: dict[str, Any], dict[str, Any]
        else:
            values, extra = wire_schema.load(schema, data)
        if type(self)._after_load is not Model._after_load:
            self._derive(type(self)._after_load, values, data)
        state = self.__dict__
        state["_values"] = values
        state["_orig"] = values.copy()
        state.pop("_touched", None)
        state["_partial"] = partial
        state.pop("_stale", None)
        state["_raw"] = data
        state["extra"] = extra

    def _derive(self, after_load: Any, values: dict[str, Any], data: Mapping[str, Any]) -> None:
        """Run the ``_after_load`` hook; a provider value it cannot use is a ResponseError."""
        try:
            after_load(self, values, data)
        except (TypeError, ValueError, AttributeError, KeyError, IndexError, OverflowError,
                OSError) as exc:  # a provider value of an unexpected shape
            raise ResponseError(f"{self._provider_name()}: a {type(self).__name__} answer has "
                                f"a value of an unexpected shape ({type(exc).__name__})",
                                provider=self._provider_name()) from None

    def _after_load(self, values: dict[str, Any], data: Mapping[str, Any]) -> None:
        """Hook: derive canonical values that no single wire key holds (in place)."""

    # -- attribute access ----------------------------------------------------------------------
    @classmethod
    def field_names(cls) -> frozenset[str]:
        """Every attribute this class can hold (schema fields plus aliases)."""
        cached = cls.__dict__.get("_field_names_cache")
        if cached is None:
            names = set(cls.canonical_fields) | set(cls.aliases)
            if cls._schema is not None:
                names |= set(wire_schema.index_for(cls._schema).attrs)
            cached = frozenset(names)
            type.__setattr__(cls, "_field_names_cache", cached)
        return cached

    @classmethod
    def _writable(cls) -> set[str]:
        if cls._schema is None:
            return set(cls.field_names())
        return wire_schema.index_for(cls._schema).writable | cls._extra_writable

    def _resolve(self, name: str) -> str:
        return self.aliases.get(name, name)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name in _INTERNAL:
            raise AttributeError(name)
        key = self._resolve(name)
        values = self._values
        if key in values:
            return self._tracked(key, values[key])
        if key in self.extra:
            return self.extra[key]
        if key in self.field_names():
            if self._complete(key) and key in self._values:
                return self._tracked(key, self._values[key])
            return None
        raise AttributeError(f"{type(self).__name__} has no attribute {name!r}")

    def _loader_for(self, key: str) -> str | None:
        loader = self._loaders.get(key)
        if loader is None and (self._partial or key in self._stale):
            loader = "reload"
        return loader

    def _complete(self, key: str) -> bool:
        """Fetch a field the object lacks through its loader; False when there is none to
        call (a full object without the field, a deleted one, an unsaved one for reload)."""
        if getattr(_PEEKING, "depth", 0):
            return False  # peek(): what is loaded, never a request
        loader = self._loader_for(key)
        if loader is None or self._deleted or (loader == "reload" and self.id is None):
            return False
        if getattr(_PEEKING, "strict", False):  # modify(): no fetch allowed
            raise ValidationError(f"{type(self).__name__}.{key} would need a fetch here; use "
                                  f"find() and save() instead", provider=self._provider_name(),
                                  field=key)
        if self.id is not None:
            logger.debug("lazy load of %s.%s for %s via %s (one extra request)",
                         type(self).__name__, key, self.id, loader)
        getattr(self, loader)()
        return True

    def peek(self, name: str, default: Any = None) -> Any:
        """The value of field ``name`` as far as the object holds it, without any request.

        Like reading the attribute (aliases, ``extra`` and derived fields included), except
        that nothing is loaded lazily: a field a partial object lacks, or one behind a loader
        of its own (Crisp people data), is ``default``; so is ``None`` and an unknown name.
        For code that must not cost requests (fidelity reports, logs).
        """
        _PEEKING.depth = getattr(_PEEKING, "depth", 0) + 1
        try:
            value = getattr(self, name)
        except AttributeError:
            return default
        finally:
            _PEEKING.depth -= 1
        return default if value is None else value

    def _forget(self, *keys: str) -> None:
        """Drop fields the server changed on the side; their next read reloads them."""
        for key in keys:
            self._values.pop(key, None)
            self._orig.pop(key, None)
            self._touched.discard(key)
        object.__setattr__(self, "_stale", self._stale | set(keys))

    def _tracked(self, key: str, value: Any) -> Any:
        ref = self._refs.get(key)
        if ref is not None and value is not None and not _is_built(value):
            value = self._build_ref(ref, value)
            self._values[key] = value
            self._orig[key] = value
            return value
        if isinstance(value, _MUTABLE) and key not in self._touched:
            # first read of a mutable value: remember a copy, so in-place edits show as changes
            if self._orig.get(key, _MISSING) is value:
                self._orig[key] = copy.deepcopy(value)
            self._touched.add(key)
        return value

    def _build_ref(self, ref: tuple[str, bool], value: Any) -> Any:
        model_name, many = ref
        cls = self._model(model_name)
        account = self._account
        if many:
            return [cls.from_wire(v, partial=True, account=account) if isinstance(v, Mapping)
                    else v for v in value]
        return (cls.from_wire(value, partial=True, account=account)
                if isinstance(value, Mapping) else value)

    def __setattr__(self, name: str, value: Any) -> None:
        if name.startswith("_") or name == "extra":
            object.__setattr__(self, name, value)
            return
        attr = getattr(type(self), name, None)
        if isinstance(attr, Derived):
            attr.__set__(self, value)
            return
        key = self._resolve(name)
        if key not in self.field_names():
            raise FieldError(
                f"{type(self).__name__} has no field {name!r}; known fields: "
                f"{', '.join(sorted(self.field_names()))}",
                provider=self._provider_name(), field=name)
        if key not in self._writable():
            raise FieldError(f"{type(self).__name__}.{name} is read-only",
                             provider=self._provider_name(), field=name)
        self._values[key] = value
        self._touched.add(key)

    def _set_clean(self, key: str, value: Any) -> None:
        """Store a value the server now holds (not a pending change)."""
        self._values[key] = value
        self._orig[key] = copy.deepcopy(value) if isinstance(value, _MUTABLE) else value
        self._touched.discard(key)

    def __copy__(self) -> Model:
        new = type(self).__new__(type(self))
        for key, value in vars(self).items():
            object.__setattr__(new, key, copy.copy(value) if isinstance(value, (dict, set))
                               else value)
        return new

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle the values, not the account (a live connection pool): the object comes
        back unbound, as an object of the provider's module-level class."""
        state = {k: v for k, v in vars(self).items() if k != "_account"}
        return (_unpickle, (type(self)._unbound_class(), state))

    @classmethod
    def _unbound_class(cls) -> type:
        for klass in cls.__mro__:
            if "_bound_client" not in klass.__dict__:
                return klass
        return cls  # pragma: no cover - Model itself has no bound client

    def bind(self, account: Client) -> Model:
        """Attach the object to ``account`` (a ``connect()`` client of the same provider),
        e.g. after unpickling. Returns self."""
        provider = getattr(account, "provider", None)
        if provider != type(self)._provider_name():
            raise ValidationError(f"{type(self).__name__}.bind() needs a "
                                  f"{type(self)._provider_name()} account, got "
                                  f"{type(account).__name__} {provider or ''}".rstrip(),
                                  provider=type(self)._provider_name())
        object.__setattr__(self, "_account", account)
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Model:
        # the account (a live connection pool) and the raw answer are shared, not copied
        new = type(self).__new__(type(self))
        memo[id(self)] = new
        for key, value in vars(self).items():
            if key not in ("_account", "_raw"):
                value = copy.deepcopy(value, memo)
            object.__setattr__(new, key, value)
        return new

    def __delattr__(self, name: str) -> None:
        setattr(self, name, None)

    def __dir__(self) -> Iterable[str]:
        return sorted(set(super().__dir__()) | self.field_names())

    # -- dirty tracking ------------------------------------------------------------------------
    @property
    def dirty_fields(self) -> list[str]:
        """Names of the fields changed since the object was loaded or saved."""
        touched = self.__dict__.get("_touched")  # (reading makes no set)
        return sorted(k for k in touched or ()
                      if self._values.get(k, _MISSING) != self._orig.get(k, _MISSING))

    @property
    def is_dirty(self) -> bool:
        """True when there are unsaved changes (new objects with values count as dirty)."""
        return bool(self.dirty_fields)

    def changes(self) -> dict[str, Any]:
        """The attribute-level diff ``save()`` would send (dict fields: changed keys only)."""
        diff: dict[str, Any] = {}
        for key in self.dirty_fields:
            new = self._values.get(key)
            old = self._orig.get(key, _MISSING)
            if isinstance(new, dict) and isinstance(old, dict):
                diff[key] = _dict_diff(old, new)
            else:
                diff[key] = new
        return diff

    def _mark_clean(self) -> None:
        object.__setattr__(self, "_orig", dict(self._values))
        self.__dict__.pop("_touched", None)

    # -- identity ------------------------------------------------------------------------------
    @property
    def id(self) -> Any:
        return self._values.get("id")

    @classmethod
    def _root(cls) -> type:
        """The canonical class this one derives from (bound and unbound classes share it)."""
        for klass in cls.__mro__:
            if klass.__dict__.get("_canonical_root"):
                return klass
        return cls

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Model):
            return NotImplemented
        if self.id is None or other.id is None:
            return self is other
        return (type(self)._root() is type(other)._root() and str(self.id) == str(other.id)
                and type(self)._provider_name() == type(other)._provider_name())

    def __hash__(self) -> int:
        if self.id is None:
            return id(self)
        return hash((type(self)._root().__name__, str(self.id)))

    # -- export --------------------------------------------------------------------------------
    def to_dict(self, json: bool = False) -> dict[str, Any]:
        """The known field values (nested models as dicts); ``extra`` is not included.
        ``json=True``: JSON-safe values (datetimes in ISO 8601, see :func:`jsonable`)."""
        out: dict[str, Any] = {}
        cls = type(self)
        for key in self._values:
            # a field named like a method (Intercom's ``open`` and ``open()``): the field
            shadowed = callable(getattr(cls, key, None))
            value = Model.__getattr__(self, key) if shadowed else getattr(self, key)
            out[key] = _export(value)
        return jsonable(out) if json else out

    def to_json(self, **dumps: Any) -> str:
        """``to_dict(json=True)`` as a JSON string (``dumps`` go to ``json.dumps``)."""
        return jsonlib.dumps(self.to_dict(json=True), **dumps)

    def _repr_html_(self) -> str:
        from .display import model_html
        return model_html(self)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        from .display import model_pretty
        model_pretty(self, printer, cycle)

    def __repr__(self) -> str:
        cls = type(self)
        parts = [f"id={self.id!r}"] if self.id is not None else []
        for name in self._repr_fields:
            value = self._values.get(name)
            if value is not None and not isinstance(value, (dict, list)):
                parts.append(f"{name}={value!r}")
        if self._partial:
            parts.append("partial")
        dirty = self.dirty_fields
        if dirty:
            parts.append(f"dirty={dirty}")
        return f"<{cls._provider_name()}.{cls.__name__} {' '.join(parts)}>"

    # -- provider hooks ------------------------------------------------------------------------
    @classmethod
    def _provider_name(cls) -> str:
        return "chatmodels"

    @hybridmethod
    def _model(self_or_cls: Any, name: str) -> Any:
        """A sibling resource class (same provider, same account)."""
        raise ChatModelsError(f"{name}: a canonical class has no provider; use a provider's class")

    @hybridmethod
    def _client(self_or_cls: Any) -> Client:
        raise ChatModelsError("a canonical class has no provider; use a provider's class")

    @classmethod
    def _account_of_class(cls, *, build: bool = True) -> Client | None:
        """The account the class talks to now (``build=False``: only one already in use), or
        ``None`` (canonical classes)."""
        return None

    @property
    def account(self) -> Client | None:
        """The account (:class:`~chatmodels.client.Client`) this object was loaded from or
        saved to, ``None`` for an object not yet sent anywhere."""
        return self._account

    # -- persistence ---------------------------------------------------------------------------
    def save(self) -> Model:
        """Create the object if it has no id, else send only the changed fields. Returns self."""
        if self._deleted:
            raise ChatModelsError(f"{type(self).__name__} {self.id} was deleted")
        if self._account is None:  # a new object: it belongs to the account it is created in
            object.__setattr__(self, "_account", type(self)._account_of_class())
        created = self.id is None
        if created:
            payload = {k: v for k, v in self._values.items() if v is not None or k in self._touched}
            self._validate_create(payload)
            data = self._create(payload)
        else:
            diff = self.changes()
            if not diff:
                return self
            data = self._update(diff)
        if isinstance(data, Mapping) and data:
            self._fill(data)
        else:  # an empty answer ({} or no body): what we sent is now the state
            self._mark_clean()
        if created and self.id is None and self._created_with_id:
            raise ResponseError(f"{self._provider_name()}: the answer to creating a "
                                f"{type(self).__name__} holds no id",
                                provider=self._provider_name())
        return self

    def _validate_create(self, payload: Mapping[str, Any]) -> None:
        """Local checks before a create; providers override to require fields."""

    def _create(self, payload: dict[str, Any]) -> Any:
        raise ChatModelsError(f"{type(self).__name__} cannot be created through this provider")

    def _update(self, diff: dict[str, Any]) -> Any:
        raise ChatModelsError(f"{type(self).__name__} cannot be updated through this provider")

    def _fetch(self) -> Mapping[str, Any]:
        raise ChatModelsError(f"{type(self).__name__} cannot be loaded through this provider")

    def load(self) -> Model:
        """Complete a partial object in place (one request); no-op when already complete."""
        if (self._partial or not self._values or self._stale
                or any(k not in self._values for k, how in self._loaders.items()
                       if how == "reload")):
            self.reload()
        return self

    def reload(self) -> Model:
        """Fetch the object again and replace its values in place (unsaved changes are lost)."""
        if self.id is None:
            raise ChatModelsError(f"{type(self).__name__} has no id yet: save() it first")
        before = dict(vars(self))
        self._fill(self._fetch())
        if self.id is None:  # an answer without the id: keep what the object held
            state = self.__dict__
            state.clear()
            state.update(before)
            raise ResponseError(f"{type(self).__name__}: the answer to a reload holds no id",
                                provider=self._provider_name(), field=self._id_key)
        return self

    @classmethod
    def ref(cls, id: Any) -> Model:
        """A partial object standing for an existing id (loaded lazily, no request now). An id
        the resource's id field cannot hold is a local ``ValidationError``."""
        try:
            return cls.from_wire({cls._id_key: id}, partial=True)
        except ResponseError as exc:
            raise ValidationError(f"{cls.__name__}.ref(): {id!r} is not a usable id",
                                  provider=cls._provider_name(), field=cls._id_key) from exc

    @property
    def is_partial(self) -> bool:
        """True for an embedded reference that has not been loaded yet."""
        return self._partial

    @property
    def raw(self) -> Mapping[str, Any] | None:
        """The provider JSON this object was last filled from."""
        return self._raw

    def _wire_changes(self, diff: Mapping[str, Any]) -> dict[str, Any]:
        """The diff in wire names, validated by the schema (raises ``ValidationError``)."""
        schema = type(self)._schema
        if schema is None:
            return dict(diff)
        return wire_schema.dump(schema, diff, provider=self._provider_name())


def _is_built(value: Any) -> bool:
    if isinstance(value, Model):
        return True
    if isinstance(value, list):
        return all(not isinstance(v, Mapping) for v in value)
    return not isinstance(value, Mapping)


def _dict_diff(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    diff = {k: v for k, v in new.items() if old.get(k, _MISSING) != v}
    for k in old:
        if k not in new:
            diff[k] = None
    return diff


def _unpickle(cls: type[Model], state: Mapping[str, Any]) -> Model:
    obj = cls.__new__(cls)
    object.__setattr__(obj, "_account", None)
    for key, value in state.items():
        object.__setattr__(obj, key, value)
    return obj


def jsonable(value: Any) -> Any:
    """``value`` with every part JSON can hold as is and the rest converted: datetimes, dates
    and times in ISO 8601, models as their ``to_dict(json=True)``, tuples and sets as lists,
    ``Decimal`` as a float, other objects as ``str``; dict keys as strings."""
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        return value if value == value and value not in (float("inf"), float("-inf")) \
            else None
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, Model):
        return value.to_dict(json=True)
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(v) for v in value]
    if isinstance(value, decimal.Decimal):
        return jsonable(float(value))  # (a NaN decimal is None, as a NaN float)
    return str(value)


def _export(value: Any) -> Any:
    if isinstance(value, Model):
        return value.to_dict()
    if isinstance(value, list):
        return [_export(v) for v in value]
    if isinstance(value, dict):
        return {k: _export(v) for k, v in value.items()}
    return value

"""Resource base class and per-operation mixins (create, retrieve, update, delete, list).

A provider resource combines ``Resource`` (which knows the provider config and hence the
account) with the mixins for the operations the provider offers, and *declares* those operations
as data (:mod:`chatmodels.operations`): ``operations = declare(find=Operation("GET",
"/contacts/{id}"), ...)``. Each mixin is a few lines that call one hook, :meth:`Resource._call`,
which turns a declared operation into a request through the provider's ``prepare()`` (REST route
or RPC action) and ``page()`` (its paging styles). An operation a provider does not offer is
simply absent, so ``hasattr(crisp.Segment, "create")`` tells the truth; the support table in
``docs/`` is generated from these classes.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from .collection import Collection, Orderer, Page
from .errors import ChatModelsError, ResourceNotFound, ResponseError, ValidationError
from .http import encode_path
from .model import Model, hybridmethod, no_lazy_loads
from .operations import Operation

if TYPE_CHECKING:
    from .client import Client, ProviderConfig

OPERATIONS = ("create", "find", "all", "search", "save", "delete")


class Resource(Model):
    """A model that lives on a provider's API."""

    _config: ClassVar[type[ProviderConfig]]
    #: collection path, e.g. ``/contacts``; the instance path appends ``/{id}``
    _path: ClassVar[str] = ""
    #: what this resource can do on its provider (see :mod:`chatmodels.operations`)
    operations: ClassVar[Mapping[str, Operation]] = {}

    @classmethod
    def _orderer(cls, operation: str) -> Orderer | None:
        """How the list operation ``operation`` sorts, for ``Collection.order_by``: a function
        ``(field, descending) -> params``, or ``None`` when the provider cannot sort it."""
        return None

    @classmethod
    def operation(cls, name: str) -> Operation:
        """The declared operation ``name`` (``ChatModelsError`` when the resource lacks it)."""
        try:
            return cls.operations[name]
        except KeyError:
            raise ChatModelsError(f"{cls._provider_name()}.{cls.__name__} has no {name!r} "
                                  f"operation") from None

    @hybridmethod
    def _call(self_or_cls: Any, name: str, /, *, params: Mapping[str, Any] | None = None,
              json: Any = None, **ids: Any) -> Any:
        """Send the declared operation ``name`` and return its answer.

        Ids the operation needs come from ``ids`` (objects or ids), else the object itself
        (``id``), else the account's options (e.g. ``website_id``); a missing or unusable one is
        a local ``ValidationError``. The answer is unwrapped at the operation's ``answer`` key.
        """
        instance = None if isinstance(self_or_cls, type) else self_or_cls
        cls: Any = type(instance) if instance is not None else self_or_cls
        op = cls.operation(name)
        client = self_or_cls._client()
        values: dict[str, Any] = {}
        for key in op.placeholders:
            if key in ids:
                value = ids[key]
            elif key in ("id", cls._id_key) and instance is not None:
                if instance.id is None:
                    raise ChatModelsError(f"{cls.__name__} has no id yet: save() it first")
                value = instance.id
            elif key in client.options:
                value = client.options[key]
            else:
                raise ValidationError(f"{cls.__name__}.{name} needs {key}=",
                                      provider=cls._provider_name(), field=key)
            values[key] = id_of(value, key, cls)
        method, path, query, body = cls._config.prepare(op, values, params, json)
        answer = client.request(method, path, params=query, json=body, idempotent=op.is_safe)
        return unwrap(answer, op, cls)

    @hybridmethod
    def _client(self_or_cls: Any) -> Client:
        """The account to talk to: on an object, the one that loaded it; on a class, the
        class's bound account, else the class-level default."""
        account = None if isinstance(self_or_cls, type) else self_or_cls._account
        if account is not None:
            return account  # type: ignore[no-any-return]
        cls: Any = self_or_cls if isinstance(self_or_cls, type) else type(self_or_cls)
        return cls._account_of_class()  # type: ignore[no-any-return]

    @classmethod
    def _account_of_class(cls, *, build: bool = True) -> Client | None:
        bound = cls._bound_client
        if bound is not None:
            return bound
        if build:
            return cls._config.default_client()
        current = cls._config._default  # the client the last class-level request used
        return current[1] if current is not None else None

    @classmethod
    def _provider_name(cls) -> str:
        return cls._config.name

    @hybridmethod
    def _request(self_or_cls: Any, method: str, path: str, **kwargs: Any) -> Any:
        return self_or_cls._client().request(method, path, **kwargs)

    @hybridmethod
    def _model(self_or_cls: Any, name: str) -> Any:
        """A sibling resource class of the same account (``self._model("Contact")``)."""
        cls: Any = self_or_cls if isinstance(self_or_cls, type) else type(self_or_cls)
        bound = cls._bound_client
        if bound is None and not isinstance(self_or_cls, type):
            account = self_or_cls._account
            if account is not None and account.is_bound:
                bound = account
        if bound is not None:
            return bound.model(name)
        return cls._config.resource_classes()[name]

    def _instance_path(self) -> str:
        if self.id is None:
            raise ChatModelsError(f"{type(self).__name__} has no id yet: save() it first")
        return self._path + encode_path("/{id}", id=self.id)

    @classmethod
    def supported_operations(cls) -> list[str]:
        """The operations this resource offers, for docs and introspection."""
        ops = [op for op in OPERATIONS if callable(getattr(cls, op, None))]
        if "save" in ops and not (Creatable in cls.__mro__ or Updatable in cls.__mro__):
            ops.remove("save")
        return ops


def id_of(value: Any, field: str, cls: type) -> str:
    """The id to put in a route: an object's id, or a plain id (str or int)."""
    if isinstance(value, Model):
        value = value.id
    if isinstance(value, bool) or not isinstance(value, (str, int)) or value == "":
        raise ValidationError(f"{cls.__name__}: {field} must be an object or a non-empty id, "
                              f"got {type(value).__name__}", provider=cls._provider_name(),  # type: ignore[attr-defined]
                              field=field)
    return str(value)


def unwrap(answer: Any, op: Operation, cls: type) -> Any:
    """The part of an answer the operation declares (``op.answer``), checked for its shape."""
    if op.answer is None:
        return answer
    if not isinstance(answer, Mapping) or op.answer not in answer:
        raise ResponseError(f"{cls.__name__}.{op.name}: the answer has no {op.answer!r}",
                            provider=cls._provider_name(),  # type: ignore[attr-defined]
                            code="bad_answer", field=op.answer)
    return answer[op.answer]


class Related:
    """Objects belonging to one owner, e.g. ``contact.events``: call or iterate it for the
    collection, ``.create(**fields)`` to add one. Built by the owner on each access (cheap)."""

    def __init__(self, make_collection: Any, create: Any = None, description: str = "") -> None:
        self._make = make_collection
        self._create = create
        self._description = description

    def __call__(self) -> Collection[Any]:
        return self.all()

    def all(self) -> Collection[Any]:
        return self._make()  # type: ignore[no-any-return]

    def __iter__(self) -> Any:
        return iter(self.all())

    def create(self, **fields: Any) -> Any:
        if self._create is None:
            raise ChatModelsError(f"{self._description}: cannot be created on this provider")
        return self._create(**fields)

    def __repr__(self) -> str:
        return f"<Related {self._description}>"


class Retrievable(Resource):
    @classmethod
    def find(cls, id: Any = None, **lookup: Any) -> Any:
        """Fetch one object by id (or by the lookups the provider supports, see
        :meth:`lookups`). Raises ``ResourceNotFound`` naming what was looked up."""
        given = {k: v for k, v in lookup.items() if v is not None}
        if id is not None:
            given = {"id": id, **given}
        cls._check_lookups(given)
        try:
            if id is not None and not lookup:
                if "find" in cls.operations:
                    return found(cls.from_wire(cls._call("find", id=id)), given)
                if not cls.operations:  # not declared yet: the REST convention
                    return found(cls.from_wire(cls._request(
                        "GET", cls._path + encode_path("/{id}", id=id))), given)
            return found(cls._find_by(id=id, **lookup), given)  # no find route: another way
        except ResourceNotFound as exc:
            raise cls._not_found(exc, given) from None

    @classmethod
    def lookups(cls) -> tuple[str, ...]:
        """The keyword arguments ``find()`` accepts (``id`` plus provider lookups)."""
        names = ["id"]
        finder = cls._find_by
        if getattr(finder, "__func__", None) is not vars(Retrievable)["_find_by"].__func__:
            for name, param in inspect.signature(finder).parameters.items():
                if param.kind is param.KEYWORD_ONLY or param.kind is param.POSITIONAL_OR_KEYWORD:
                    if name not in names:
                        names.append(name)
        return tuple(names)

    @classmethod
    def _check_lookups(cls, given: Mapping[str, Any]) -> None:
        known = cls.lookups()
        unknown = [k for k in given if k not in known]
        if unknown or not given:
            what = f"has no lookup {unknown[0]!r}" if unknown else "needs a lookup"
            raise ValidationError(f"{cls.__name__}.find() {what}; lookups: {', '.join(known)}",
                                  provider=cls._provider_name(),
                                  field=unknown[0] if unknown else None)

    @classmethod
    def _not_found(cls, exc: ResourceNotFound, lookup: Mapping[str, Any]) -> ResourceNotFound:
        """The error ``find()`` raises when nothing matched (providers may word it)."""
        return not_found(exc, cls, lookup)

    @classmethod
    def _find_by(cls, *args: Any, **lookup: Any) -> Any:
        """Find by the provider's lookups: override with them as keyword-only arguments
        (``_find_by(cls, id=None, *, email=None)``); this open signature lets any override."""
        raise ValidationError(f"{cls.__name__}.find() takes id=...; got {sorted(lookup)}",
                              provider=cls._provider_name())

    def _fetch(self) -> Mapping[str, Any]:
        if "find" in self.operations:
            return self._call("find")  # type: ignore[no-any-return]
        return self._request("GET", self._instance_path())  # type: ignore[no-any-return]


def found(obj: Any, lookup: Mapping[str, Any]) -> Any:
    """``obj`` when it is an object with an id; an answer to a lookup that holds no id is a
    :class:`ResponseError` (an object that cannot be saved or reloaded is no result)."""
    if isinstance(obj, Model) and obj.id is None:
        cls = type(obj)
        what = ", ".join(f"{k}={v!r}" for k, v in lookup.items())
        raise ResponseError(f"{cls.__name__} {what}: the answer holds no id",
                            provider=cls._provider_name(), field=cls._id_key)
    return obj


def not_found(exc: ResourceNotFound, cls: type, lookup: Mapping[str, Any]) -> ResourceNotFound:
    """``exc`` with the lookup that failed in its message and in ``exc.lookup``."""
    if getattr(exc, "lookup", None):
        return exc
    what = ", ".join(f"{k}={v!r}" for k, v in lookup.items())
    exc.lookup = dict(lookup)  # type: ignore[attr-defined]
    exc.message = f"{cls.__name__} {what} not found: {exc.message}" if what else exc.message
    exc.args = (exc.message,)
    return exc


class Creatable(Resource):
    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "_bound_client" in cls.__dict__ or "create" in cls.__dict__:
            return
        inherited = getattr(getattr(cls, "create", None), "__func__", None)
        if inherited is not _generic_create and not getattr(inherited, "_generic", False):
            return  # a provider create() with parameters of its own keeps them
        from .fielddoc import create_signature
        signature = create_signature(cls)

        def create(klass: Any, **fields: Any) -> Any:
            return _generic_create(klass, **fields)

        create.__doc__ = _generic_create.__doc__
        create.__qualname__ = f"{cls.__qualname__}.create"
        create._generic = True  # type: ignore[attr-defined]
        create.__signature__ = signature.replace(  # type: ignore[attr-defined]
            parameters=[inspect.Parameter("cls", inspect.Parameter.POSITIONAL_ONLY),
                        *signature.parameters.values()])
        cls.create = classmethod(create)  # type: ignore[assignment,method-assign]
        cls.__signature__ = signature.replace(return_annotation=inspect.Signature.empty)  # type: ignore[attr-defined]

    @classmethod
    def create(cls, **fields: Any) -> Any:
        """Create the object on the provider and return it (validated locally first)."""
        obj = cls(**fields)
        obj.save()
        return obj

    @classmethod
    def get_or_create(cls, defaults: Mapping[str, Any] | None = None,
                      **lookup: Any) -> tuple[Any, bool]:
        """``(object, created)``: the object matching ``lookup``, else one created from
        ``lookup`` plus ``defaults``. ``lookup`` is ``name=`` (through ``find_by_name``) or
        lookups ``find()`` accepts (``email=``, ``external_id=``...; see ``lookups()``).
        Not atomic: two scripts racing can both create (the provider decides what a
        duplicate does)."""
        existing = _lookup(cls, lookup)
        if existing is not None:
            return existing, False
        return cls.create(**{**lookup, **(defaults or {})}), True

    def _create(self, payload: dict[str, Any]) -> Any:
        if "create" in self.operations:
            return self._call("create", json=self._wire_changes(payload))
        return self._request("POST", self._path, json=self._wire_changes(payload))


_generic_create = vars(Creatable)["create"].__func__


def _lookup(cls: Any, lookup: Mapping[str, Any]) -> Any:
    """The object ``get_or_create`` looks for, or ``None``."""
    if not lookup:
        raise ValidationError(f"{cls.__name__}.get_or_create() needs a lookup",
                              provider=cls._provider_name())
    if set(lookup) == {"name"} and callable(getattr(cls, "find_by_name", None)):
        return cls.find_by_name(lookup["name"])
    lookups = cls.lookups() if callable(getattr(cls, "lookups", None)) else ()
    unknown = [k for k in lookup if k not in lookups]
    if unknown:
        raise ValidationError(f"{cls.__name__}.get_or_create() cannot look up by "
                              f"{unknown[0]!r}; lookups: name, {', '.join(lookups)}",
                              provider=cls._provider_name(), field=unknown[0])
    try:
        return cls.find(**lookup)
    except ResourceNotFound:
        return None


class Updatable(Resource):
    @classmethod
    def modify(cls, id: Any, **fields: Any) -> Any:
        """Change fields of the object ``id`` without fetching it first (one request, the
        update the provider declares); returns the object as the answer describes it (a
        partial object when the answer is empty). A change the provider can only make from
        the current object (it would need a fetch) is a ``ValidationError``: use ``find()``
        then ``save()``."""
        if not fields:
            raise ValidationError(f"{cls.__name__}.modify() needs fields to change",
                                  provider=cls._provider_name())
        obj = cls.ref(id)
        with no_lazy_loads(strict=True):
            for name, value in fields.items():
                setattr(obj, name, value)
            obj.save()
        return obj

    def _update(self, diff: dict[str, Any]) -> Any:
        if "update" in self.operations:
            return self._call("update", json=self._wire_changes(diff))
        return self._request("PUT", self._instance_path(), json=self._wire_changes(diff))


class Deletable(Resource):
    def delete(self) -> None:
        """Delete the object on the provider; the instance is then unusable for saves."""
        if "delete" in self.operations:
            self._call("delete")
        else:
            self._request("DELETE", self._instance_path())
        object.__setattr__(self, "_deleted", True)


class Listable(Resource):
    #: largest page the provider serves
    _max_page_size: ClassVar[int] = 100

    @classmethod
    def all(cls, **filters: Any) -> Collection[Any]:
        """Every object, lazily and page by page (see :class:`chatmodels.Collection`)."""
        return Collection(cls._list_page, params=filters, description=f"{cls.__name__}.all()",
                          orderer=cls._orderer("all"))

    @classmethod
    def _list_page(cls, params: Mapping[str, Any], cursor: Any, size: int | None) -> Page[Any]:
        return cls._config.page(cls, cls.operation("all"), params, cursor, size)

    @classmethod
    def count(cls, **filters: Any) -> int:
        """How many objects there are (the provider's total when it reports one)."""
        return cls.all(**filters).count()

    @classmethod
    def first(cls, **filters: Any) -> Any:
        """The first object of ``all(**filters)``, or ``None`` (one small request)."""
        return cls.all(**filters).first()

    @classmethod
    def find_by_name(cls, name: str) -> Any:
        """The first object whose ``name`` equals ``name`` (case-insensitively), or ``None``.
        Pages through ``all()`` until found (a provider with a name lookup does better)."""
        wanted = name.casefold()
        for obj in cls.all():
            value = obj.peek("name")
            if isinstance(value, str) and value.casefold() == wanted:
                return obj
        return None

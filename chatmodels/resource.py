"""Resource base class and per-operation mixins (create, retrieve, update, delete, list).

A provider resource combines ``Resource`` (which knows the provider config and hence the
account) with the mixins for the operations the provider offers, and overrides the small hooks
(``_path``, ``_list_page``...) where its API differs. An operation a provider does not offer is
simply absent, so ``hasattr(crisp.Segment, "create")`` tells the truth; the support table in
``docs/`` is generated from these classes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from .collection import Collection, Page
from .errors import ChatModelsError
from .http import encode_path
from .model import Model

if TYPE_CHECKING:
    from .client import Client, ProviderConfig

OPERATIONS = ("create", "find", "all", "search", "save", "delete")


class Resource(Model):
    """A model that lives on a provider's API."""

    _config: ClassVar[type[ProviderConfig]]
    #: collection path, e.g. ``/contacts``; the instance path appends ``/{id}``
    _path: ClassVar[str] = ""

    @classmethod
    def _client(cls) -> Client:
        bound = cls._bound_client
        return bound if bound is not None else cls._config.default_client()

    @classmethod
    def _provider_name(cls) -> str:
        return cls._config.name

    @classmethod
    def _request(cls, method: str, path: str, **kwargs: Any) -> Any:
        return cls._client().request(method, path, **kwargs)

    @classmethod
    def _model(cls, name: str) -> Any:
        """A sibling resource class of the same account (``cls._model("Contact")``)."""
        bound = cls._bound_client
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
        """Fetch one object by id (or by the lookups the provider supports). Raises if absent."""
        if id is not None and not lookup:
            return cls.from_wire(cls._request("GET", cls._path + encode_path("/{id}", id=id)))
        return cls._find_by(id=id, **lookup)

    @classmethod
    def _find_by(cls, **lookup: Any) -> Any:
        raise TypeError(f"{cls.__name__}.find() takes id=...; got {sorted(lookup)}")

    def _fetch(self) -> Mapping[str, Any]:
        return self._request("GET", self._instance_path())  # type: ignore[no-any-return]


class Creatable(Resource):
    @classmethod
    def create(cls, **fields: Any) -> Any:
        """Create the object on the provider and return it (validated locally first)."""
        obj = cls(**fields)
        obj.save()
        return obj

    def _create(self, payload: dict[str, Any]) -> Any:
        return self._request("POST", self._path, json=self._wire_changes(payload))


class Updatable(Resource):
    def _update(self, diff: dict[str, Any]) -> Any:
        return self._request("PUT", self._instance_path(), json=self._wire_changes(diff))


class Deletable(Resource):
    def delete(self) -> None:
        """Delete the object on the provider; the instance is then unusable for saves."""
        self._request("DELETE", self._instance_path())
        object.__setattr__(self, "_deleted", True)


class Listable(Resource):
    #: largest page the provider serves
    _max_page_size: ClassVar[int] = 100

    @classmethod
    def all(cls, **filters: Any) -> Collection[Any]:
        """Every object, lazily and page by page (see :class:`chatmodels.Collection`)."""
        return Collection(cls._list_page, params=filters, description=f"{cls.__name__}.all()")

    @classmethod
    def _list_page(cls, params: Mapping[str, Any], cursor: Any, size: int | None) -> Page[Any]:
        raise NotImplementedError

    @classmethod
    def count(cls, **filters: Any) -> int:
        """How many objects there are (the provider's total when it reports one)."""
        return cls.all(**filters).count()

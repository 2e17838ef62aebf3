"""Accounts: class-level default credentials and ``connect()`` namespaces of bound classes.

Two ways to say which account a call goes to:

* class-level defaults, ``intercom.Intercom.access_token = "..."`` (or the environment): the
  module's own classes (``intercom.Contact``) use a default :class:`Client` built from the
  current settings, rebuilt under a lock whenever a setting changes;
* ``api = intercom.connect(access_token=...)``: a :class:`Client` whose attributes are
  subclasses bound to that account (``api.Contact``). Several clients of the same provider
  live side by side; each is safe to use from several threads (one pooled HTTP session per
  thread, no shared mutable state).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

import inflection
from cachetools import TTLCache

from .errors import ConfigurationError, UnknownResource
from .http import HttpClient, RateLimit, encode_path

if TYPE_CHECKING:
    import requests

    from .collection import Page
    from .model import Model
    from .operations import Operation


class Client:
    """One account of one provider: its HTTP client and its resource classes."""

    def __init__(self, provider: str, http: HttpClient, resources: Mapping[str, type[Model]], *,
                 bind: bool = True,
                 unwrap: Callable[[Any], Any] | None = None,
                 options: Mapping[str, Any] | None = None) -> None:
        self.provider = provider
        self.http = http
        #: True when ``model()`` hands out classes bound to this account
        self.is_bound = bind
        self._unwrap = unwrap or (lambda body: body)
        self.options: Mapping[str, Any] = dict(options or {})
        classes: dict[str, type[Model]] = {}
        made: dict[type, type[Model]] = {}
        for name, cls in resources.items():
            if not bind:
                classes[name] = cls
                continue
            if cls not in made:  # aliases (Agent = Admin) share one bound class
                made[cls] = type(cls.__name__, (cls,), {
                    "_bound_client": self, "__module__": cls.__module__,
                    "__qualname__": cls.__qualname__, "__doc__": cls.__doc__})
            classes[name] = made[cls]
        self._classes = classes
        # per-account lookups that repeat (``intercom.Admin.me()``...), kept 10 minutes
        self._cache: TTLCache[str, Any] = TTLCache(maxsize=256, ttl=600)
        self._cache_lock = threading.Lock()

    def cached(self, key: str, compute: Callable[[], Any]) -> Any:
        """``compute()``'s value, cached for this account for 10 minutes (thread-safe)."""
        with self._cache_lock:
            if key in self._cache:
                return self._cache[key]
        value = compute()
        with self._cache_lock:
            self._cache[key] = value
        return value

    def model(self, name: str) -> Any:
        """The resource class called ``name`` in this account (``"Contact"``, ``"Agent"``...);
        :class:`~chatmodels.errors.UnknownResource` (also an ``AttributeError``) otherwise."""
        try:
            return self._classes[name]
        except KeyError:
            raise UnknownResource(self.provider, name) from None

    def resource(self, name: str) -> Any:
        """A resource class by class name or collection name: ``"ContactField"``,
        ``"contact_fields"`` and ``"contact_field"`` all work (names are inflected)."""
        if name in self._classes:
            return self._classes[name]
        camel = inflection.camelize(inflection.singularize(name))
        return self.model(camel)

    @staticmethod
    def collection_name(cls: type) -> str:
        """The canonical collection name of a class: ``intercom.DataAttribute`` (a
        ContactField) -> ``contact_fields``, the name the migration engine and CLI use."""
        root = cls._root() if hasattr(cls, "_root") else cls
        return str(inflection.pluralize(inflection.underscore(root.__name__)))

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return self.model(name)

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(self._classes))

    @property
    def resources(self) -> dict[str, type[Model]]:
        return dict(self._classes)

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        """Send a request to this account and return the (unwrapped) JSON body."""
        return self._unwrap(self.http.request(method, path, **kwargs).body)

    @property
    def rate_limit(self) -> RateLimit:
        """Rate-limit state from the latest response."""
        return self.http.rate_limit

    @property
    def last_response(self) -> requests.Response | None:
        """The raw response of this thread's latest call (errors included)."""
        return self.http.last_response

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<chatmodels.Client {self.provider} {self.http.base_url}>"


class ProviderConfig:
    """Class-level defaults of one provider. Subclasses list their settings and env names.

    Assigning a class attribute (``Intercom.access_token = ...``) is all it takes; the default
    client is rebuilt on next use. To change several settings at once (a token *and* its base
    URL), use :meth:`configure`: it swaps them under the lock every request reads the settings
    under, so no request ever sees half of a change.
    """

    name: ClassVar[str] = ""
    #: setting name -> environment variable read when the attribute is None
    env: ClassVar[Mapping[str, str]] = {}
    #: settings that are secrets (redacted from logs and errors, never in repr)
    secret_settings: ClassVar[tuple[str, ...]] = ()
    timeout: ClassVar[float | tuple[float, float]] = (5.0, 30.0)
    max_retries: ClassVar[int] = 3

    _lock: ClassVar[threading.RLock]
    _default: ClassVar[tuple[tuple[Any, ...], Client] | None]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._lock = threading.RLock()
        cls._default = None

    def __init__(self) -> None:
        raise TypeError(f"{type(self).__name__} holds class-level settings; use connect() "
                        "for an account object")

    @classmethod
    def setting_names(cls) -> tuple[str, ...]:
        return tuple(cls.env) + ("base_url", "timeout", "max_retries")

    @classmethod
    def settings(cls) -> dict[str, Any]:
        """Current defaults: class attributes, else the environment."""
        out: dict[str, Any] = {}
        for name in cls.setting_names():
            value = getattr(cls, name, None)
            if value is None and name in cls.env:
                value = os.environ.get(cls.env[name]) or None
            out[name] = value
        return out

    @classmethod
    def configure(cls, **settings: Any) -> None:
        """Change several class-level settings at once, atomically for concurrent requests::

            Intercom.configure(access_token="...", base_url="https://api.eu.intercom.io")

        Unknown names raise :class:`ConfigurationError` (nothing is changed then).
        """
        unknown = sorted(set(settings) - set(cls.setting_names()))
        if unknown:
            raise ConfigurationError(f"{cls.name}: unknown setting(s) {', '.join(unknown)}; "
                                     f"known: {', '.join(cls.setting_names())}")
        with cls._lock:
            for name, value in settings.items():
                setattr(cls, name, value)

    @classmethod
    def default_client(cls) -> Client:
        """The client of the class-level settings (rebuilt when they change)."""
        with cls._lock:  # a consistent snapshot: configure() holds the same lock
            settings = cls.settings()
            key = tuple(settings.values())
            cached = cls._default
            if cached is not None and cached[0] == key:
                return cached[1]
            # bound classes, so what an object hands out (``self._model("Tag")``) stays on
            # the account that loaded it after the class-level settings change
            client = cls.build(settings, bind=True)
            old, cls._default = cls._default, (key, client)
        if old is not None:
            old[1].close()
        return client

    @classmethod
    def connection_keys(cls) -> tuple[str, ...]:
        """The keyword arguments ``connect()`` accepts."""
        return tuple(dict.fromkeys((*cls.setting_names(), "retry")))

    @classmethod
    def connect(cls, **options: Any) -> Client:
        """A :class:`Client` bound to one account: ``options`` override the class-level
        settings (and the environment). Unknown options raise :class:`ConfigurationError`
        listing the accepted ones; their values are never echoed (they may be secrets)."""
        unknown = sorted(set(options) - set(cls.connection_keys()))
        if unknown:
            raise ConfigurationError(f"{cls.name}: unknown connect() option(s) "
                                     f"{', '.join(unknown)}; accepted: "
                                     f"{', '.join(cls.connection_keys())}")
        with cls._lock:
            settings = cls.settings()
        settings.update({k: v for k, v in options.items() if v is not None})
        return cls.build(settings, bind=True)

    # -- the transport hooks declared operations go through ---------------------------------
    @classmethod
    def prepare(cls, op: Operation, ids: Mapping[str, str], params: Mapping[str, Any] | None,
                body: Any) -> tuple[str, str, Mapping[str, Any] | None, Any]:
        """A declared operation as ``(method, path, query, json)``. The default is REST: the
        route template filled with the URL-encoded ids, the operation's fixed ``query`` under
        ``params``. RPC providers override it (the action in the URL, the ids in the body)."""
        if op.path is None:
            raise ConfigurationError(f"{cls.name}: {op.describe()} needs an RPC transport "
                                     f"(override {cls.__name__}.prepare)")
        if op.query:
            params = {**op.query, **(params or {})}
        return op.method, encode_path(op.path, **ids), params, body

    @classmethod
    def page(cls, resource: Any, op: Operation, params: Mapping[str, Any], cursor: Any,
             size: int | None) -> Page[Any]:  # pragma: no cover - every provider overrides
        """One page of a list operation, for the paging style ``op.paging``."""
        raise ConfigurationError(f"{cls.name}: no paging for {op.describe()}")

    @classmethod
    def resource_classes(cls) -> Mapping[str, Any]:  # pragma: no cover
        """Name -> unbound resource class of this provider."""
        raise NotImplementedError

    @classmethod
    def build(cls, settings: Mapping[str, Any], *, bind: bool) -> Client:  # pragma: no cover
        raise NotImplementedError

    @classmethod
    def require(cls, settings: Mapping[str, Any], *names: str) -> None:
        missing = [n for n in names if not settings.get(n)]
        if missing:
            hints = ", ".join(f"{cls.__name__}.{n} or ${cls.env[n]}" if n in cls.env else n
                              for n in missing)
            raise ConfigurationError(f"{cls.name}: missing {', '.join(missing)} (set {hints}, "
                                     f"or pass it to connect())")

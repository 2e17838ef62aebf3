"""The one list of providers: name -> where its pieces live.

>>> from chatmodels import registry
>>> registry.names()                      # ("intercom", "crisp")
>>> entry = registry.get("crisp")         # UnknownProvider (a ConfigurationError) otherwise
>>> entry.config()                        # the ProviderConfig class (env, secret_settings...)
>>> api = entry.connect(identifier=..., key=..., website_id=...)
>>> entry.simulator()                     # the simulator factory of chatmodels.testing
>>> entry.target_class()                  # the migration writer class

Everything that needs to know which providers exist reads this module: the CLI, docgen,
``chatmodels.testing`` and the migration engine. Entries hold dotted references
(``"package.module:Name"``) resolved on first use, so importing the registry imports no
provider. Adding a provider is one entry here (see docs/architecture.md).
"""

from __future__ import annotations

import difflib
import importlib
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .errors import ConfigurationError

if TYPE_CHECKING:
    from .client import Client, ProviderConfig

__all__ = ["Provider", "UnknownProvider", "entries", "get", "names", "resolve",
           "unknown_option_message"]


class UnknownProvider(ConfigurationError, ValueError):
    """No provider of that name is registered (the message lists the known ones)."""

    def __init__(self, name: str, known: tuple[str, ...]) -> None:
        self.name = name
        self.known = known
        close = difflib.get_close_matches(str(name).lower(), known, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        super().__init__(f"unknown provider {name!r} (known providers: {', '.join(known)})"
                         f"{hint}")


def resolve(ref: str) -> Any:
    """The object a ``"package.module:Name"`` reference points to (imported on demand)."""
    module, _, attr = ref.partition(":")
    obj: Any = importlib.import_module(module)
    for part in attr.split(".") if attr else ():
        obj = getattr(obj, part)
    return obj


@dataclass(frozen=True)
class Provider:
    """One registry entry. ``*_ref`` fields are dotted references, resolved lazily."""

    name: str
    display_name: str
    #: the provider's :class:`~chatmodels.client.ProviderConfig` subclass
    config_ref: str
    #: the simulator factory (``chatmodels.testing.<name>``)
    simulator_ref: str
    #: the migration writer (a ``chatmodels.migrate`` ``Target`` subclass), if any
    target_ref: str | None = None
    #: the webhook parser: ``parse_event(headers, body, *, secret, max_age, now, api=None)``
    #: returning a ``chatmodels.webhooks.Event`` (see chatmodels/webhooks)
    webhook_parser_ref: str | None = None

    # -- the pieces -----------------------------------------------------------------------
    def config(self) -> type[ProviderConfig]:
        """The class-level settings class (``chatmodels.intercom.Intercom``...)."""
        return resolve(self.config_ref)  # type: ignore[no-any-return]

    def resource_classes(self) -> Mapping[str, Any]:
        """Name -> unbound resource class (aliases included), as the config lists them."""
        return self.config().resource_classes()

    def simulator(self) -> Callable[..., Any]:
        """The simulator factory (callable as ``factory(seed=..., **counts)``)."""
        return resolve(self.simulator_ref)  # type: ignore[no-any-return]

    def target_class(self) -> type:
        """The migration writer class for this provider as a target."""
        if self.target_ref is None:
            raise ConfigurationError(f"{self.display_name} cannot be a migration target yet")
        return resolve(self.target_ref)  # type: ignore[no-any-return]

    def webhook_parser(self) -> Callable[..., Any] | None:
        """The webhook parser, or ``None`` while the provider has none."""
        return None if self.webhook_parser_ref is None else resolve(self.webhook_parser_ref)

    # -- settings -------------------------------------------------------------------------
    @property
    def env(self) -> Mapping[str, str]:
        """Setting name -> environment variable read when the setting is not given."""
        return dict(self.config().env)

    @property
    def connect_keys(self) -> tuple[str, ...]:
        """Settings ``connect()`` accepts as plain values (what the CLI's KEY=VALUE takes)."""
        return tuple(self.config().setting_names())

    @property
    def secret_settings(self) -> tuple[str, ...]:
        """Settings that are secrets (never on a command line, in a log or a message)."""
        return tuple(self.config().secret_settings)

    def _connect_function(self) -> Callable[..., Client]:
        module = self.config_ref.partition(":")[0]
        return importlib.import_module(module).connect  # type: ignore[no-any-return]

    def accepted_options(self) -> tuple[str, ...]:
        """Every keyword ``connect()`` accepts (the settings plus objects such as ``retry``)."""
        params = inspect.signature(self._connect_function()).parameters.values()
        names = [p.name for p in params
                 if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
        return tuple(dict.fromkeys([*self.config().connection_keys(), *names]))

    def connect(self, **options: Any) -> Client:
        """``chatmodels.<name>.connect(**options)``; an unknown option is a
        :class:`~chatmodels.errors.ConfigurationError` that lists the accepted ones."""
        accepted = self.accepted_options()
        unknown = [k for k in options if k not in accepted]
        if unknown:
            raise ConfigurationError(unknown_option_message(self.name, unknown, accepted))
        return self._connect_function()(**options)


def unknown_option_message(provider: str, unknown: list[str], accepted: tuple[str, ...], *,
                           what: str = "connect() option") -> str:
    """``"intercom: unknown connect() option 'acces_token' (did you mean ...?); accepted: ..."``."""
    hints = []
    for key in unknown:
        close = difflib.get_close_matches(key, accepted, n=1)
        hints.append(f"{key!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
    plural = "s" if len(unknown) > 1 else ""
    return (f"{provider}: unknown {what}{plural} {', '.join(hints)}; "
            f"accepted: {', '.join(accepted)}")


_ENTRIES: tuple[Provider, ...] = (
    Provider(
        name="intercom",
        display_name="Intercom",
        config_ref="chatmodels.intercom:Intercom",
        simulator_ref="chatmodels.testing.intercom:Simulator",
        target_ref="chatmodels.intercom.target:IntercomTarget",
        webhook_parser_ref="chatmodels.intercom.webhooks:parse_event",
    ),
    Provider(
        name="crisp",
        display_name="Crisp",
        config_ref="chatmodels.crisp:Crisp",
        simulator_ref="chatmodels.testing.crisp:Simulator",
        target_ref="chatmodels.crisp.target:CrispTarget",
        webhook_parser_ref="chatmodels.crisp.webhooks:parse_event",
    ),
    Provider(
        name="livechat",
        display_name="LiveChat",
        config_ref="chatmodels.livechat:LiveChat",
        simulator_ref="chatmodels.testing.livechat:Simulator",
        target_ref="chatmodels.livechat.target:LiveChatTarget",
        webhook_parser_ref="chatmodels.livechat.webhooks:parse_event",
    ),
    Provider(
        name="brevo",
        display_name="Brevo",
        config_ref="chatmodels.brevo:Brevo",
        simulator_ref="chatmodels.testing.brevo:Simulator",
        webhook_parser_ref="chatmodels.brevo.webhooks:parse_event",
        target_ref="chatmodels.brevo.target:BrevoTarget",
    ),
    Provider(
        name="sendbee",
        display_name="Sendbee",
        config_ref="chatmodels.sendbee:Sendbee",
        simulator_ref="chatmodels.testing.sendbee:Simulator",
        target_ref="chatmodels.sendbee.target:SendbeeTarget",
        webhook_parser_ref="chatmodels.sendbee.webhooks:parse_event",
    ),
)

_BY_NAME: dict[str, Provider] = {entry.name: entry for entry in _ENTRIES}

#: the (source, target) pair ``chatmodels demo`` migrates between two local simulators
DEMO_MIGRATION: tuple[str, str] = ("crisp", "intercom")
#: the guided tour of the object model ``chatmodels demo --tour`` runs (a provider's own module)
DEMO_TOUR = "chatmodels.intercom.tour:main"


def register(entry: Provider) -> Provider:
    """Add a provider that lives outside this package (a plugin, or a scaffolded provider
    before its entry is written above). A name already registered is refused."""
    if entry.name in _BY_NAME:
        raise ConfigurationError(f"provider {entry.name!r} is registered already")
    _BY_NAME[entry.name] = entry
    return entry


def unregister(name: str) -> None:
    """Remove a provider added with :func:`register` (the built-in entries stay)."""
    if any(e.name == name for e in _ENTRIES):
        raise ConfigurationError(f"provider {name!r} is built in")
    _BY_NAME.pop(name, None)


def names() -> tuple[str, ...]:
    """Registered provider names, in registry order."""
    return tuple(_BY_NAME)


def entries() -> tuple[Provider, ...]:
    """Every registry entry, in registry order."""
    return tuple(_BY_NAME.values())


def get(name: str) -> Provider:
    """The entry called ``name`` (case-insensitive); :class:`UnknownProvider` otherwise."""
    entry = _BY_NAME.get(str(name).strip().lower())
    if entry is None:
        raise UnknownProvider(name, names())
    return entry

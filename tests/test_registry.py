"""The provider registry: every entry resolves, and the readers of the list read it."""

from __future__ import annotations

import pytest

from chatmodels import docgen, registry, testing
from chatmodels.client import Client, ProviderConfig
from chatmodels.errors import ConfigurationError
from chatmodels.migrate import Target
from chatmodels.model import Model
from chatmodels.testing import BaseSimulator, serve

ENTRIES = registry.entries()


def test_names_are_the_entries_in_order():
    assert registry.names() == tuple(e.name for e in ENTRIES)
    assert len(set(registry.names())) == len(ENTRIES) >= 2
    assert all(registry.get(e.name) is e for e in ENTRIES)


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.name)
def test_every_piece_resolves(entry):
    config = entry.config()
    assert issubclass(config, ProviderConfig) and config.name == entry.name
    resources = entry.resource_classes()
    assert resources and all(isinstance(cls, type) for cls in resources.values())
    assert issubclass(resources["Contact"], Model)
    factory = entry.simulator()
    assert isinstance(factory, type) and issubclass(factory, BaseSimulator)
    assert factory.name == entry.name
    if entry.target_ref is not None:
        target = entry.target_class()
        assert issubclass(target, Target) and target.provider == entry.name
    else:  # a source only, said with a typed error
        with pytest.raises(ConfigurationError, match="cannot be a migration target"):
            entry.target_class()
    assert entry.webhook_parser() is None or callable(entry.webhook_parser())
    assert entry.display_name and entry.display_name.lower() == entry.name


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.name)
def test_settings_come_from_the_config(entry):
    config = entry.config()
    assert entry.env == dict(config.env)
    assert entry.connect_keys == tuple(config.setting_names())
    assert entry.secret_settings == tuple(config.secret_settings)
    assert entry.secret_settings and set(entry.secret_settings) <= set(entry.connect_keys)
    assert set(entry.env) <= set(entry.connect_keys)
    assert set(entry.connect_keys) <= set(entry.accepted_options())
    assert "retry" in entry.accepted_options()


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.name)
def test_connect_talks_to_the_simulator(entry):
    with serve(entry.name, seed=3, contacts=3) as sim:
        client = entry.connect(base_url=sim.base_url, **sim.credentials)
        assert isinstance(client, Client) and client.provider == entry.name
        assert len(list(client.resource("contacts").all())) == 3


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.name)
def test_connect_rejects_an_unknown_option_listing_the_accepted_ones(entry):
    with pytest.raises(ConfigurationError) as info:
        entry.connect(acces_token="hunter2-secret", base_url="http://127.0.0.1:9")
    text = str(info.value)
    assert text.startswith(f"{entry.name}: unknown connect() option 'acces_token'")
    assert text.endswith("accepted: " + ", ".join(entry.accepted_options()))
    assert "hunter2" not in text


def test_unknown_provider_is_a_typed_error_listing_the_known_ones():
    with pytest.raises(registry.UnknownProvider) as info:
        registry.get("intercomm")
    exc = info.value
    assert isinstance(exc, ConfigurationError) and isinstance(exc, ValueError)
    assert exc.known == registry.names()
    assert str(exc) == (f"unknown provider 'intercomm' (known providers: "
                        f"{', '.join(registry.names())}); did you mean 'intercom'?")
    with pytest.raises(registry.UnknownProvider, match=r"^unknown provider 'zzz' \(known"):
        registry.get("zzz")
    assert registry.get(" Crisp ") is registry.get("crisp")


def test_a_provider_without_a_target_says_so():
    entry = registry.Provider(name="x", display_name="X", config_ref="chatmodels.crisp:Crisp",
                              simulator_ref="chatmodels.testing.crisp:Simulator")
    with pytest.raises(ConfigurationError, match="^X cannot be a migration target yet$"):
        entry.target_class()
    assert entry.webhook_parser() is None


def test_simulators_and_docgen_read_the_registry():
    assert testing.KNOWN_PROVIDERS == registry.names()
    assert set(registry.names()) <= set(testing.available())
    for entry in ENTRIES:
        assert testing.get_simulator_class(entry.name) is entry.simulator()
    with pytest.raises(registry.UnknownProvider):
        testing.get_simulator_class("nope")
    assert [name for name, _ in docgen._providers()] == list(registry.names())
    assert all(f"## {name}\n" in docgen.render() for name in registry.names())


def test_resolve_reads_dotted_references():
    assert registry.resolve("chatmodels.registry:get") is registry.get
    assert registry.resolve("chatmodels.registry:Provider.connect") is registry.Provider.connect
    with pytest.raises(ModuleNotFoundError):
        registry.resolve("chatmodels.nowhere:X")

"""The two core additions the migration targets rely on, over loopback HTTP to the simulators:
``Model.peek`` (a loaded value, never a request) and ``UnknownResource`` (a typed error for a
resource class a provider does not have)."""

from __future__ import annotations

import pytest

from chatmodels import crisp, intercom
from chatmodels.errors import ChatModelsError, UnknownResource
from chatmodels.testing import serve

from .conftest import FAST_RETRY


@pytest.fixture(scope="module")
def crisp_sim():
    with serve("crisp", seed=3, contacts=5, conversations=3) as sim:
        yield sim


def test_peek_reads_what_is_loaded_and_never_requests(api, sim):
    contact = next(iter(api.Contact.all()))
    partial = api.Contact.ref(contact.id)
    sim.clear_requests()
    assert partial.peek("email") is None          # a partial object: nothing loaded
    assert partial.peek("email", "?") == "?"
    assert contact.peek("email") == contact.email  # a loaded value
    assert contact.peek("no_such_field", 0) == 0
    assert sim.requests == []
    assert partial.email == contact.email          # plain reads still load lazily
    assert [r.method for r in sim.requests] == ["GET"]


def test_peek_leaves_lazy_loaders_alone(crisp_sim):
    api = crisp.connect(base_url=crisp_sim.base_url, retry=FAST_RETRY,
                        **crisp_sim.credentials)
    profile = next(iter(api.Contact.all()))
    crisp_sim.clear_requests()
    # people data lives behind its own route: peek does not fetch it, derived fields included
    assert profile.peek("custom_attributes") is None
    assert profile.peek("external_id") is None
    assert profile.peek("name") == profile.name    # derived from the loaded person
    assert crisp_sim.requests == []
    assert isinstance(profile.custom_attributes, dict)
    assert [r.path.rsplit("/", 1)[0].rsplit("/", 1)[-1] for r in crisp_sim.requests] == \
        ["data"]


def test_unknown_resource_is_a_typed_error_and_an_attribute_error(api):
    with pytest.raises(UnknownResource) as caught:
        api.model("Nope")
    assert isinstance(caught.value, ChatModelsError)
    assert isinstance(caught.value, AttributeError)
    assert caught.value.provider == "intercom" and caught.value.resource == "Nope"
    assert str(caught.value) == "intercom has no resource 'Nope'"
    with pytest.raises(UnknownResource):
        api.resource("nopes")
    assert not hasattr(api, "Nope")
    assert hasattr(api, "Note")
    assert intercom.connect(access_token="x").model("Contact").__name__ == "Contact"

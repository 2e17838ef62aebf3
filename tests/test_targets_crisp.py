"""The Crisp object-model methods the migration target writes through, and the target itself,
over loopback HTTP to the Crisp simulator (exact requests)."""

from __future__ import annotations

import pytest

from chatmodels import crisp
from chatmodels.errors import ValidationError
from chatmodels.testing import serve

from .conftest import FAST_RETRY


@pytest.fixture(scope="module")
def crisp_sim():
    with serve("crisp", seed=9, contacts=10, conversations=6) as sim:
        yield sim


@pytest.fixture
def sim(crisp_sim):
    crisp_sim.reset()
    yield crisp_sim
    crisp_sim.clear_faults()


@pytest.fixture
def api(sim):
    client = crisp.connect(base_url=sim.base_url, retry=FAST_RETRY, **sim.credentials)
    yield client
    client.close()


@pytest.fixture
def W(sim):
    return f"/v1/website/{sim.credentials['website_id']}"


def sent(sim):
    return [(r.method, r.path, r.json) for r in sim.requests]


# -- Contact.merge_data -------------------------------------------------------------------------
def test_merge_data_sends_exactly_the_keys_given(api, sim, W):
    profile = api.Contact.all().first()
    before = dict(profile.custom_attributes)
    sim.clear_requests()
    profile.merge_data({"plan": "pro", "seats": 3})
    assert sent(sim) == [("PATCH", f"{W}/people/data/{profile.id}",
                          {"data": {"plan": "pro", "seats": 3}})]
    assert profile.custom_attributes == {**before, "plan": "pro", "seats": 3}
    assert not profile.is_dirty
    assert api.Contact.find(id=profile.id).custom_attributes == {**before, "plan": "pro",
                                                                 "seats": 3}


def test_merge_data_resends_a_value_that_only_changed_type(api, sim, W):
    profile = api.Contact.all().first()
    profile.merge_data({"flag": 1})
    sim.clear_requests()
    profile.merge_data({"flag": True})  # 1 == True: a dirty diff would send nothing
    assert sent(sim) == [("PATCH", f"{W}/people/data/{profile.id}", {"data": {"flag": True}})]
    assert api.Contact.find(id=profile.id).custom_attributes["flag"] is True


def test_merge_data_of_nothing_sends_nothing_and_bad_values_are_refused(api, sim):
    profile = api.Contact.all().first()
    sim.clear_requests()
    profile.merge_data({})
    with pytest.raises(ValidationError) as caught:
        profile.merge_data({"nested": {"a": 1}})
    assert caught.value.field == "custom_attributes"
    assert sim.requests == []


def test_merge_data_is_retried_on_a_lost_answer(api, sim, W):
    profile = api.Contact.all().first()
    path = f"{W}/people/data/{profile.id}"
    sim.clear_requests()
    sim.fail(status=503, times=1, method="PATCH", path=path)
    profile.merge_data({"plan": "again"})
    assert [(r.method, r.status) for r in sim.requests] == [("PATCH", 503), ("PATCH", 200)]


# -- Conversation.add_tags ----------------------------------------------------------------------
def test_add_tags_sends_one_patch_with_the_missing_names(api, sim, W):
    conv = api.Conversation.create(contact=api.Contact.all().first(), body="hello")
    conv.add_tag("vip")
    sim.clear_requests()
    conv.add_tags(["vip", "billing", "billing", "urgent"])
    assert sent(sim) == [("PATCH", f"{W}/conversation/{conv.id}/meta",
                          {"segments": ["vip", "billing", "urgent"]})]
    sim.clear_requests()
    conv.add_tags(["urgent", "vip"])
    assert sim.requests == []
    assert [t.name for t in api.Conversation.find(id=conv.id).tags] == \
        ["vip", "billing", "urgent"]


# -- Message.latest -----------------------------------------------------------------------------
def test_latest_message_is_one_request(api, sim, W):
    conv = api.Conversation.create(contact=api.Contact.all().first(), body="first")
    conv.reply("second")
    sim.clear_requests()
    latest = api.Message.latest(conv)
    assert latest.body == "second"
    assert [(r.method, r.path) for r in sim.requests] == \
        [("GET", f"{W}/conversation/{conv.id}/messages")]
    empty = api.Conversation.create(contact=api.Contact.all().first())
    assert api.Message.latest(empty.id) is None

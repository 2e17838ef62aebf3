"""Crisp's declared operations: retry safety from the declaration, lookups, paging styles and
nested managers, over loopback HTTP to the Crisp simulator."""

from __future__ import annotations

import pytest

from chatmodels import crisp, errors
from chatmodels.resource import Related
from chatmodels.testing import serve

from .conftest import FAST_RETRY


@pytest.fixture(scope="module")
def crisp_sim():
    with serve("crisp", seed=7, contacts=30) as sim:
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


# -- retry safety comes from the declaration --------------------------------------------------
@pytest.mark.parametrize("status", [503, 500])
def test_a_people_data_patch_is_retried(api, sim, W, status):
    contact = api.Contact.all().first()
    contact.custom_attributes  # noqa: B018  (loads the people data)
    contact.custom_attributes["plan"] = "retried"
    path = f"{W}/people/data/{contact.id}"
    sim.clear_requests()
    sim.fail(status=status, times=1, method="PATCH", path=path)
    contact.save()
    assert [(r.method, r.path, r.status, r.json) for r in sim.requests] == [
        ("PATCH", path, status, {"data": {"plan": "retried"}}),
        ("PATCH", path, 200, {"data": {"plan": "retried"}})]
    assert sim.state.people_data[contact.id]["plan"] == "retried"


def test_a_message_send_answered_500_is_not_retried(api, sim, W):
    conv = api.Conversation.create(contact="once@example.com")
    path = f"{W}/conversation/{conv.id}/message"
    sim.clear_requests()
    sim.fail(status=500, times=1, method="POST", path=path)
    with pytest.raises(errors.ServerError) as info:
        conv.reply("Only once")
    assert info.value.status == 500
    assert [(r.method, r.path, r.status) for r in sim.requests] == [("POST", path, 500)]
    assert sim.state.messages[conv.id] == []


def test_declared_safety_of_crisp_operations():
    safe = {
        "Contact": ("find", "all", "search", "count", "update", "replace", "delete", "data",
                    "update_data", "replace_data", "subscription", "update_subscription"),
        "Conversation": ("find", "all", "search", "of_contact", "delete", "meta", "state",
                         "routing", "read", "unread", "delivered", "block"),
        "Message": ("find", "all", "update", "delete"),
        "Note": ("notepad", "write", "update", "delete"),
        "Event": ("all",),
    }
    unsafe = {"Contact": ("create",), "Conversation": ("create", "send"), "Event": ("create",)}
    for name, ops in safe.items():
        cls = getattr(crisp, name)
        assert [op for op in ops if not cls.operation(op).is_safe] == [], name
    for name, ops in unsafe.items():
        cls = getattr(crisp, name)
        assert [op for op in ops if cls.operation(op).is_safe] == [], name


# -- lookups ----------------------------------------------------------------------------------
def test_lookups_are_the_keywords_of_find_by():
    assert crisp.Contact.lookups() == ("id", "email")
    assert crisp.Conversation.lookups() == ("id",)
    assert crisp.Operator.lookups() == ("id",)
    assert crisp.Message.lookups() == ("id", "conversation")
    assert crisp.Tag.lookups() == ("id", "name")  # scope= is an option, not a lookup
    assert crisp.ContactField.lookups() == ("id", "name")


def test_find_by_email_uses_the_profile_route(api, sim, W):
    raw = next(iter(sim.state.people.values()))
    sim.clear_requests()
    found = api.Contact.find(email=raw["email"])
    assert found.id == raw["people_id"]
    (request,) = sim.requests
    assert (request.method, request.path) == ("GET", f"{W}/people/profile/{raw['email']}")
    with pytest.raises(errors.ResourceNotFound) as info:
        api.Contact.find(email="ghost@example.com")
    assert info.value.lookup == {"email": "ghost@example.com"}


def test_message_not_found_names_fingerprint_and_conversation(api, sim):
    conv = api.Conversation.create(contact="lookup@example.com", body="Hi")
    with pytest.raises(errors.ResourceNotFound) as info:
        api.Message.find("123", conversation=conv)
    assert info.value.message == (f"no message with fingerprint '123' in conversation "
                                  f"{conv.id!r} on this website")
    assert info.value.lookup == {"id": "123", "conversation": conv}


# -- paging styles ----------------------------------------------------------------------------
def test_message_batches_are_pages_of_crisp_page(api, sim, W):
    conv = api.Conversation.create(contact="batches@example.com")
    for i in range(45):
        conv.reply(f"message {i}")
    op = api.Message.operation("all")
    sim.clear_requests()
    first = crisp.Crisp.page(api.Message, op, {"conversation": conv.id}, None, None)
    stored = sim.state.messages[conv.id]
    assert [m.body for m in first.items] == [f"message {i}" for i in range(5, 45)]
    assert first.next_cursor == stored[5]["timestamp"]
    last = crisp.Crisp.page(api.Message, op, {"conversation": conv.id}, first.next_cursor, None)
    assert [m.body for m in last.items] == [f"message {i}" for i in range(5)]
    assert last.next_cursor is None
    assert [(r.path, r.status, r.query) for r in sim.requests] == [
        (f"{W}/conversation/{conv.id}/messages", 206, {}),
        (f"{W}/conversation/{conv.id}/messages", 200,
         {"timestamp_before": str(first.next_cursor)})]


def test_page_numbers_go_in_the_path(api, sim, W):
    sim.clear_requests()
    pages = list(api.Contact.all().page_size(20).pages())
    assert sum(len(p) for p in pages) == len(sim.state.people)
    assert [(r.path, r.query) for r in sim.requests] == [
        (f"{W}/people/profiles/{n}", {"per_page": "20"}) for n in (1, 2)]


def test_lists_without_filters_refuse_them(api, sim):
    sim.clear_requests()
    with pytest.raises(errors.ValidationError) as info:
        api.Visitor.all(country="FR").to_list()
    assert info.value.field == "country"
    assert sim.requests == []


# -- nested collections -----------------------------------------------------------------------
def test_contact_notes_is_a_related_manager(api, sim, W):
    contact = api.Contact.create(email="managed@example.com")
    notes = contact.notes
    assert isinstance(notes, Related)
    assert notes().to_list() == [] and list(notes) == []
    sim.clear_requests()
    note = notes.create(body="First call")
    assert [(r.method, r.path, r.json) for r in sim.requests] == [
        ("GET", f"{W}/people/profile/{contact.id}", None),
        ("PATCH", f"{W}/people/profile/{contact.id}", {"notepad": "First call"})]
    assert (note.id, note.contact_id, note.body) == (contact.id, contact.id, "First call")
    assert [n.body for n in contact.notes.all()] == ["First call"]
    assert [n.body for n in api.Note.all(contact=contact)] == ["First call"]


def test_contact_events_and_conversations_are_nested_lists(api, sim, W):
    contact = api.Contact.create(email="nested@example.com")
    contact.events.create(text="signed_up")
    sim.clear_requests()
    (event,) = contact.events.all()
    assert (event.name, event.contact_id) == ("signed_up", contact.id)
    assert [r.path for r in sim.requests] == [f"{W}/people/events/{contact.id}/list/1",
                                              f"{W}/people/events/{contact.id}/list/2"]
    conv = api.Conversation.create(contact=contact, body="Hello")
    found = contact.conversations().to_list()
    assert [c.id for c in found] == [conv.id] and found[0].is_partial


def test_tag_find_takes_a_scope_option(api):
    conv_tag = api.Tag.all(scope="conversations").first()
    assert conv_tag is not None
    assert api.Tag.find(conv_tag.name, scope="conversations") == conv_tag
    assert api.Tag.find(name=conv_tag.name, scope="conversations").name == conv_tag.name

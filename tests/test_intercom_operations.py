"""Intercom's declared operations: retry safety from the declaration, lookups, nested listings
(``Note.all(contact=)`` and the ``contact.notes`` manager), paging styles, merged contacts."""

from __future__ import annotations

import pytest

from chatmodels import errors, intercom
from chatmodels.operations import IDEMPOTENT, READS
from chatmodels.resource import Related, Resource


def classes():
    return sorted({cls for cls in intercom.resources.RESOURCES.values()
                   if isinstance(cls, type) and issubclass(cls, Resource)},
                  key=lambda cls: cls.__name__)


@pytest.mark.parametrize("cls", classes(), ids=lambda cls: cls.__name__)
def test_every_class_declares_its_operations_and_their_safety(cls):
    assert cls.operations, f"{cls.__name__} declares nothing"
    for name, op in cls.operations.items():
        assert op.name == name and op.path and op.path.startswith("/")
        if name not in READS | IDEMPOTENT | {"create"}:
            assert op.safe is not None, f"{cls.__name__}.{name}: retry safety not stated"
    assert "_path" not in vars(cls) and "_instance_path" not in vars(cls)


def test_declared_safety_of_the_writes_that_matter():
    safe = {name: op.is_safe for name, op in intercom.Contact.operations.items()}
    assert safe["search"] and safe["remove_tag"] and safe["detach_company"]
    assert not (safe["create"] or safe["merge"] or safe["add_tag"] or safe["attach_company"])
    conv = intercom.Conversation.operations
    assert conv["search"].is_safe and conv["remove_tag"].is_safe
    assert not (conv["reply"].is_safe or conv["part"].is_safe or conv["add_tag"].is_safe
                or conv["create"].is_safe)
    assert not intercom.Note.operations["create"].is_safe
    assert not intercom.Event.operations["create"].is_safe
    assert not intercom.Message.operations["create"].is_safe
    assert not intercom.Tag.operations["apply"].is_safe
    assert intercom.Tag.operations["create"].is_safe  # POST /tags finds or makes by name


# -- retries follow the declaration, not the verb ------------------------------------------------
def test_a_search_post_is_retried_after_a_503(api, sim):
    wanted = api.Contact.all().first()
    sim.clear_requests()
    sim.fail(status=503, times=1, method="POST", path="/contacts/search")
    assert [c.id for c in api.Contact.search(email=wanted.email)] == [wanted.id]
    assert [(r.method, r.path, r.status) for r in sim.requests] == [
        ("POST", "/contacts/search", 503), ("POST", "/contacts/search", 200)]
    assert sim.requests[0].json == sim.requests[1].json == {
        "query": {"field": "email", "operator": "=", "value": wanted.email}}


def test_a_tag_delete_is_retried_after_a_503(api, sim):
    contact = api.Contact.all().first()
    tag = api.Tag.create(name="retried-removal")
    contact.add_tag(tag)
    path = f"/contacts/{contact.id}/tags/{tag.id}"
    sim.clear_requests()
    sim.fail(status=503, times=1, method="DELETE", path=path)
    contact.remove_tag(tag)
    assert [(r.method, r.path, r.status) for r in sim.requests] == [
        ("DELETE", path, 503), ("DELETE", path, 200)]
    assert tag.id not in sim.state.contact_tags.get(contact.id, {})
    assert tag not in contact.list_tags()


def test_a_reply_post_is_not_retried_after_a_500(api, sim):
    conv = api.Conversation.find(id=api.Conversation.all().first().id)
    admin = api.Admin.me()
    parts = len(conv.messages)
    path = f"/conversations/{conv.id}/reply"
    sim.clear_requests()
    sim.fail(status=500, times=1, method="POST", path=path)
    with pytest.raises(errors.ServerError) as info:
        conv.reply(body="Sent once at most", author=admin)
    assert info.value.status == 500
    assert [(r.method, r.path, r.status) for r in sim.requests] == [("POST", path, 500)]
    assert len(api.Conversation.find(id=conv.id).messages) == parts


def test_a_tag_application_is_not_retried_after_a_500(api, sim):
    contact = api.Contact.all().first()
    tag = api.Tag.create(name="applied-once")
    path = f"/contacts/{contact.id}/tags"
    sim.clear_requests()
    sim.fail(status=500, times=1, method="POST", path=path)
    with pytest.raises(errors.ServerError):
        contact.add_tag(tag)
    assert [(r.method, r.status) for r in sim.requests if r.path == path] == [("POST", 500)]


def test_archiving_is_retried_after_a_503(api, sim):
    contact = api.Contact.all().first()
    path = f"/contacts/{contact.id}/archive"
    sim.clear_requests()
    sim.fail(status=503, times=1, method="POST", path=path)
    contact.archive()
    assert [(r.method, r.status) for r in sim.requests] == [("POST", 503), ("POST", 200)]
    assert contact.id in sim.state.archived


# -- lookups --------------------------------------------------------------------------------------
def test_lookups_are_the_keyword_arguments_of_find(api, sim):
    assert api.Contact.lookups() == ("id", "email", "external_id")
    assert api.Company.lookups() == ("id", "company_id", "name")
    assert api.Conversation.lookups() == ("id",)
    assert api.Note.lookups() == ("id",)
    sim.clear_requests()
    with pytest.raises(errors.ValidationError) as info:
        api.Contact.find(foo="bar")
    assert (info.value.field, info.value.status) == ("foo", None)
    assert "lookups: id, email, external_id" in str(info.value)
    with pytest.raises(errors.ValidationError) as info:
        api.Conversation.find(email="someone@example.com")
    assert info.value.field == "email" and "lookups: id" in str(info.value)
    with pytest.raises(errors.ValidationError, match="needs a lookup"):
        api.Conversation.find()
    assert sim.requests == []


def test_conversation_find_is_the_declared_find(api, sim):
    conv = api.Conversation.all().first()
    sim.clear_requests()
    found = api.Conversation.find(id=conv.id)
    found.reload()
    assert [(r.method, r.path, dict(r.query)) for r in sim.requests] == [
        ("GET", f"/conversations/{conv.id}", {"display_as": "plaintext"})] * 2
    with pytest.raises(errors.ResourceNotFound) as info:
        api.Conversation.find(id="999999999")
    assert info.value.lookup == {"id": "999999999"}


def test_company_lookups(api, sim):
    made = api.Company.create(company_id="lookup-co", name="Lookup Co")
    sim.clear_requests()
    assert api.Company.find(company_id="lookup-co") == made
    assert api.Company.find(name="Lookup Co") == made
    assert [(r.method, r.path, dict(r.query)) for r in sim.requests] == [
        ("GET", "/companies", {"company_id": "lookup-co"}),
        ("GET", "/companies", {"name": "Lookup Co"})]
    with pytest.raises(errors.ResourceNotFound) as info:
        api.Company.find(company_id="no-such-co")
    assert info.value.lookup == {"company_id": "no-such-co"}


# -- nested collections: Note.all(contact=) and contact.notes -----------------------------------
def test_contact_notes_manager(api, sim):
    contact = api.Contact.create(email="noted@example.com")
    admin = api.Admin.me()
    assert isinstance(contact.notes, Related)
    first = contact.notes.create(body="first", admin=admin)
    second = contact.add_note("second", admin=admin)
    assert (first.contact_id, first.author_id) == (contact.id, admin.id)
    sim.clear_requests()
    assert [n.body for n in contact.notes.all()] == ["<p>second</p>", "<p>first</p>"]
    assert [(r.method, r.path) for r in sim.requests] == [
        ("GET", f"/contacts/{contact.id}/notes")]
    assert contact.notes().to_list() == [second, first]  # callable, as before
    assert list(contact.notes) == contact.list_notes().to_list() == [second, first]
    assert api.Note.all(contact=contact).to_list() == [second, first]
    assert api.Note.all(contact=contact.id).to_list() == [second, first]
    assert "notes" not in contact.to_dict()  # the manager is not a field


def test_notes_page_by_page_numbers(api, sim):
    contact = api.Contact.create(email="many-notes@example.com")
    for n in range(4):
        contact.notes.create(body=f"note {n}")
    sim.clear_requests()
    bodies = [n.body for n in api.Note.all(contact=contact).page_size(1)]
    assert bodies == [f"<p>note {n}</p>" for n in (3, 2, 1, 0)]
    assert [dict(r.query) for r in sim.requests] == [
        {"per_page": "1"}, {"page": "2", "per_page": "1"}, {"page": "3", "per_page": "1"},
        {"page": "4", "per_page": "1"}]


def test_a_nested_listing_needs_its_owner(api, sim):
    sim.clear_requests()
    with pytest.raises(errors.ValidationError) as info:
        api.Note.all().to_list()
    assert info.value.field == "contact"
    with pytest.raises(errors.ValidationError) as info:
        api.Event.all()
    assert info.value.field == "contact"
    assert sim.requests == []


def test_other_nested_listings(api, sim):
    contact = api.Contact.create(email="nested@example.com")
    tag = api.Tag.create(name="nested-tag")
    company = api.Company.create(company_id="nested-co", name="Nested Co")
    contact.add_tag(tag)
    contact.attach_company(company)
    sim.clear_requests()
    assert api.Tag.all(contact=contact).to_list() == [tag] == contact.list_tags()
    assert api.Company.all(contact=contact).to_list() == [company] == contact.list_companies()
    assert api.Contact.all(company=company).to_list() == [contact]
    assert company.contacts().to_list() == [contact] == list(company.contacts)
    assert isinstance(company.contacts, Related) and isinstance(contact.segments, Related)
    assert api.Segment.all(contact=contact).to_list() == contact.segments().to_list()
    assert [(r.method, r.path) for r in sim.requests][:5] == [
        ("GET", f"/contacts/{contact.id}/tags"), ("GET", f"/contacts/{contact.id}/tags"),
        ("GET", f"/contacts/{contact.id}/companies"),
        ("GET", f"/contacts/{contact.id}/companies"),
        ("GET", f"/companies/{company.id}/contacts")]
    with pytest.raises(errors.ChatModelsError, match="cannot be created"):
        company.contacts.create(email="x@example.com")


def test_contact_events_manager(api, sim):
    contact = api.Contact.create(email="eventful@example.com")
    contact.events.create(name="opened-app", created_at=1700000000)
    contact.track("paid", metadata={"plan": "pro"}, created_at=1700000100)
    sim.clear_requests()
    assert [e.name for e in contact.events.all()] == ["paid", "opened-app"]
    assert [(r.method, r.path, dict(r.query)) for r in sim.requests] == [
        ("GET", "/events", {"intercom_user_id": contact.id, "type": "user"})]
    assert [e.name for e in api.Event.all(email="eventful@example.com")] == ["paid",
                                                                             "opened-app"]


# -- a merged contact -----------------------------------------------------------------------------
def test_a_merged_contact_is_not_found(api, sim):
    user = api.Contact.create(email="merged-into@example.com", role="user")
    lead = api.Contact.create(email="merged-into@example.com", role="lead")
    lead.merge_into(user)
    with pytest.raises(errors.ResourceNotFound) as info:
        api.Contact.find(id=lead.id)
    assert (info.value.status, info.value.code) == (410, "contact_merged")
    assert info.value.lookup == {"id": lead.id}
    assert info.value.headers["Link"] == f'</contacts/{user.id}>; rel="canonical"'

"""Contacts over loopback HTTP against the Intercom simulator: exact payloads and paging."""

from __future__ import annotations

import gc
import weakref

import pytest

from chatmodels import errors


def last(sim, method=None, path_prefix=""):
    for req in reversed(sim.requests):
        if (method is None or req.method == method) and req.path.startswith(path_prefix):
            return req
    raise AssertionError(f"no {method} {path_prefix} request")


def test_create_find_save_sends_only_the_diff(api, sim):
    bob = api.Contact.create(email="bob@example.com", name="Bob")
    created = last(sim, "POST", "/contacts")
    assert created.json == {"email": "bob@example.com", "name": "Bob"}
    assert created.headers["Intercom-Version"] == "2.16"
    assert created.headers["Authorization"] == "***"  # the simulator's log redacts it too
    assert bob.id and not bob.is_dirty

    found = api.Contact.find(email="bob@example.com")
    assert found == bob
    found.custom_attributes["plan"] = "pro"
    assert found.is_dirty and found.dirty_fields == ["custom_attributes"]
    sim.clear_requests()
    found.save()
    (put,) = sim.requests
    assert (put.method, put.path) == ("PUT", f"/contacts/{bob.id}")
    assert put.json == {"custom_attributes": {"plan": "pro"}}
    assert not found.is_dirty
    assert sim.state.contacts[bob.id]["custom_attributes"]["plan"] == "pro"

    sim.clear_requests()
    found.save()  # nothing changed: nothing sent
    assert sim.requests == []


def test_find_by_id_and_external_id(api, sim):
    c = api.Contact.create(email="ext@example.com", external_id="u-1/a b")
    assert api.Contact.find(id=c.id) == c
    assert api.Contact.find(external_id="u-1/a b") == c
    req = last(sim, "GET", "/contacts/find_by_external_id/")
    assert req.path == "/contacts/find_by_external_id/u-1/a b" or "u-1" in req.path


def test_find_missing_raises_typed_error(api):
    with pytest.raises(errors.ResourceNotFound) as info:
        api.Contact.find(id="000000000000000000000000")
    err = info.value
    assert err.status == 404 and err.provider == "intercom" and err.code
    assert err.request_id
    with pytest.raises(errors.ResourceNotFound):
        api.Contact.find(email="nobody-at-all@example.com")


def test_create_validates_locally(api, sim):
    sim.clear_requests()
    with pytest.raises(errors.ValidationError):
        api.Contact.create(name="No identifier")
    with pytest.raises(errors.ValidationError) as info:
        api.Contact.create(email="not an email")
    assert info.value.field == "email" and info.value.status is None
    assert sim.requests == []  # nothing was sent


def test_duplicate_email_is_a_conflict(api):
    api.Contact.create(email="dup@example.com")
    with pytest.raises(errors.ConflictError) as info:
        api.Contact.create(email="dup@example.com")
    assert info.value.status == 409


def test_all_pages_with_exact_requests(api, sim):
    sim.clear_requests()
    ids = [c.id for c in api.Contact.all().page_size(100)]
    assert len(ids) == len(set(ids)) == len(sim.state.contacts)
    pages = [r for r in sim.requests if r.path == "/contacts"]
    assert len(pages) == 3  # 250 contacts, 100 a page
    assert pages[0].query == {"per_page": "100"}
    assert pages[1].query["starting_after"] and pages[1].query["per_page"] == "100"


def test_iteration_holds_one_page_at_a_time(api):
    pages = api.Contact.all().page_size(50).pages()
    first_page = next(pages)
    ref = weakref.ref(first_page[0])
    del first_page
    next(pages)
    gc.collect()
    assert ref() is None  # page one is gone once page two is read


def test_limit_first_and_count(api, sim):
    assert len(list(api.Contact.all().limit(7))) == 7
    sim.clear_requests()
    assert len(api.Contact.all().limit(7).page_size(5).to_list()) == 7
    # one page size for the whole walk (a smaller last page would re-slice numbered pages)
    assert [r.query.get("per_page") for r in sim.requests] == ["5", "5"]
    assert api.Contact.all().first() is not None
    assert api.Contact.count() == len(sim.state.contacts)
    assert api.Count.contacts() == len(sim.state.contacts)


def test_search_with_operators_and_cursor_pages(api, sim):
    for i in range(7):
        api.Contact.create(email=f"searchme{i}@zz-example.org", name=f"S {i}")
    sim.clear_requests()
    found = list(api.Contact.search(email__contains="@zz-example.org").page_size(3))
    assert sorted(c.email for c in found) == sorted(f"searchme{i}@zz-example.org" for i in range(7))
    searches = [r for r in sim.requests if r.path == "/contacts/search"]
    assert len(searches) == 3
    assert searches[0].json == {"query": {"field": "email", "operator": "~",
                                          "value": "@zz-example.org"},
                                "pagination": {"per_page": 3}}
    assert searches[1].json["pagination"]["starting_after"]
    both = api.Contact.search(email__startswith="searchme1", name="S 1").to_list()
    assert [c.email for c in both] == ["searchme1@zz-example.org"]
    assert last(sim, "POST", "/contacts/search").json["query"]["operator"] == "AND"


def test_filter_on_all_is_a_search(api):
    c = api.Contact.create(email="filter@example.net", name="Filtered")
    assert api.Contact.all().filter(email="filter@example.net").to_list() == [c]


def test_delete_archive_unarchive(api, sim):
    c = api.Contact.create(email="gone@example.com")
    c.archive()
    assert last(sim, "POST").path == f"/contacts/{c.id}/archive"
    c.unarchive()
    c.delete()
    with pytest.raises(errors.ResourceNotFound):
        api.Contact.find(id=c.id)
    with pytest.raises(errors.ChatModelsError):
        c.save()


def test_tags_notes_companies_segments_events(api, sim):
    c = api.Contact.create(email="rich@example.com", name="Rich")
    tag = api.Tag.create(name="vip-test")
    c.add_tag(tag)
    assert tag in c.list_tags()
    assert [t.id for t in c.tags] == [tag.id]  # embedded list reloaded lazily
    c.remove_tag(tag)
    assert tag not in c.list_tags()

    admin = api.Admin.all().first()
    note = api.Note.create(contact=c, body="called", admin=admin)
    assert note.body and note.contact_id == c.id and note.author_id == admin.id
    assert api.Note.find(id=note.id) == note
    assert note in c.list_notes().to_list()

    company = api.Company.create(company_id="acme-1", name="Acme")
    c.attach_company(company)
    assert company in c.list_companies()
    c.detach_company(company)
    assert company not in c.list_companies()
    assert isinstance(c.list_segments(), list)

    c.track("signed_up", metadata={"plan": "pro"})
    post = last(sim, "POST", "/events")
    assert post.json["event_name"] == "signed_up" and post.json["id"] == c.id
    assert isinstance(post.json["created_at"], int)
    names = [e.name for e in c.events()]
    assert "signed_up" in names


def test_tag_many_contacts_in_one_request(api, sim):
    a = api.Contact.create(email="t1@example.com")
    b = api.Contact.create(email="t2@example.com")
    tag = api.Tag.create(name="bulk")
    sim.clear_requests()
    tag.tag(contacts=[a, b])
    (req,) = sim.requests
    assert req.json == {"name": "bulk", "users": [{"id": a.id}, {"id": b.id}]}
    assert tag in a.list_tags() and tag in b.list_tags()
    tag.untag(contacts=[a])
    assert tag not in a.list_tags()

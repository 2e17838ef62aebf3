"""Brevo CRM side over the simulator: companies and their links, notes, events."""

from __future__ import annotations

import datetime as dt

import pytest

from chatmodels import brevo, errors
from chatmodels.testing import serve


@pytest.fixture(scope="module")
def served():
    with serve("brevo", seed=5, contacts=40, companies=130, notes=60, events=30,
               conversations=0) as sim:
        yield sim


@pytest.fixture
def sim(served):
    served.reset()
    yield served
    served.reset()


@pytest.fixture
def api(sim):
    client = brevo.connect(base_url=sim.base_url, max_retries=0, **sim.credentials)
    yield client
    client.close()


def last(sim):
    return sim.requests[-1]


# -- companies ------------------------------------------------------------------------------------
def test_companies_page_by_number(api, sim):
    companies = api.Company.all().to_list()
    assert len(companies) == 130
    assert [r.query for r in sim.requests] == [
        {"page": "1", "limit": "50"}, {"page": "2", "limit": "50"}, {"page": "3", "limit": "50"}]
    first = companies[0]
    raw = sim.state.companies[first.id]
    assert (first.name, first.website, first.industry, first.size) == (
        raw["attributes"]["name"], raw["attributes"]["domain"], raw["attributes"]["industry"],
        raw["attributes"]["number_of_employees"])
    assert first.created_at == dt.datetime(2024, 1, 2, 10, tzinfo=dt.timezone.utc)
    assert first.company_id == first.id


def test_company_create_update_links_delete(api, sim):
    acme = api.Company.create(name="Acme", website="acme.example.com")
    assert last(sim).json == {"name": "Acme", "attributes": {"domain": "acme.example.com"}}
    assert last(sim).status == 200 and len(acme.id) == 24
    acme.industry = "Robotics"
    acme.save()
    assert (last(sim).method, last(sim).json) == ("PATCH", {"attributes": {"industry": "Robotics"}})
    assert acme.custom_attributes["number_of_contacts"] == 0  # PATCH answers the company
    acme.add_contacts([api.Contact.find(3), 4])
    assert (last(sim).path, last(sim).json, last(sim).status) == (
        f"/v3/companies/link-unlink/{acme.id}", {"linkContactIds": [3, 4]}, 204)
    assert acme.linked_contact_ids == [3, 4]  # forgotten, reloaded
    acme.remove_contacts([3])
    assert last(sim).json == {"unlinkContactIds": [3]}
    assert api.Company.find(acme.id).linked_contact_ids == [4]
    acme.delete()
    with pytest.raises(errors.ResourceNotFound):
        api.Company.find(acme.id)


def test_company_needs_a_name_locally(api, sim):
    with pytest.raises(errors.ValidationError, match="needs a name"):
        api.Company.create(website="x.example.com")
    with pytest.raises(errors.ValidationError):
        api.Company.ref("0" * 24).add_contacts(["abc"])


# -- notes ----------------------------------------------------------------------------------------
def test_notes_of_a_contact(api, sim):
    owner = next(n["contactIds"][0] for n in sim.state.notes.values())
    contact = api.Contact.find(owner)
    notes = contact.notes.all().to_list()
    assert last(sim).query == {"entity": "contacts", "entityIds": str(owner), "offset": "0",
                               "limit": "50"}
    expected = [n["id"] for n in sim.state.notes.values() if owner in n["contactIds"]]
    assert sorted(n.id for n in notes) == sorted(expected)
    assert all(n.contact_id == owner for n in notes)
    assert notes[0].author_id == "61a5ce58y5d4795761045991"


def test_notes_page_over_bare_lists(api, sim):
    notes = api.Note.all().page_size(20).to_list()
    assert len(notes) == 60
    assert [r.query["offset"] for r in sim.requests] == ["0", "20", "40", "60"]


def test_note_create_update_delete(api, sim):
    contact = api.Contact.find(9)
    note = contact.notes.create(body="Wants a demo")
    assert last(sim).json == {"text": "Wants a demo", "contactIds": [9]}
    assert last(sim).status == 200
    note.body = "Demo booked"
    note.save()
    assert (last(sim).method, last(sim).json, last(sim).status) == (
        "PATCH", {"text": "Demo booked"}, 204)
    assert api.Note.find(note.id).body == "Demo booked"
    note.delete()
    with pytest.raises(errors.ResourceNotFound):
        api.Note.find(note.id)
    with pytest.raises(errors.ValidationError, match="needs a body"):
        api.Note.create(contact_id=9)
    other = api.Note.create(contact=contact, body="Same owner")
    assert last(sim).json == {"text": "Same owner", "contactIds": [9]}
    assert other.contact_id == 9 and other.id in [n.id for n in api.Note.all(contact=contact)]


def test_note_text_over_3000_characters_is_refused(api, sim):
    with pytest.raises(errors.ValidationError) as info:
        api.Note.create(body="x" * 3001, contact_id=9)
    assert (info.value.status, info.value.code) == (400, "invalid_parameter")


# -- events ---------------------------------------------------------------------------------------
def test_event_create_identifies_the_contact(api, sim):
    contact = api.Contact.find(6)
    when = dt.datetime(2024, 5, 1, 12, 30, tzinfo=dt.timezone.utc)
    contact.events.create(name="order_created", created_at=when, metadata={"amount": 42})
    assert last(sim).json == {"identifiers": {"email_id": contact.email},
                              "event_name": "order_created",
                              "event_date": "2024-05-01T12:30:00.000Z",
                              "event_properties": {"amount": 42}}
    assert last(sim).status == 204
    events = api.Event.all(contact_id=6, name="order_created").to_list()
    assert last(sim).query["contact_id"] == "6" and last(sim).query["event_name"] == "order_created"
    assert events[0].created_at == when and events[0].metadata == {"amount": 42}
    assert events[0].contact_id == 6
    assert [e.name for e in api.Event.all(contact=contact)] == [
        e.name for e in api.Event.all(contact_id=6)]


def test_a_sent_event_is_never_sent_twice(api, sim):
    event = api.Event.create(name="signup", email="ev@example.com")
    posts = len([r for r in sim.requests if r.method == "POST"])
    event.save()
    assert len([r for r in sim.requests if r.method == "POST"]) == posts
    event.metadata = {"late": True}
    with pytest.raises(errors.ValidationError, match="cannot be changed once sent"):
        event.save()
    assert len(sim.state.events) == 31


def test_event_needs_an_identifier(api, sim):
    with pytest.raises(errors.ValidationError, match="needs a contact"):
        api.Event.create(name="x")
    with pytest.raises(errors.ValidationError) as info:
        api.Event.create(name="bad name!", email="a@example.com")
    assert info.value.status == 400


def test_events_page_with_count(api, sim):
    assert api.Event.all().count() == 30
    assert len(api.Event.all().page_size(7).to_list()) == 30

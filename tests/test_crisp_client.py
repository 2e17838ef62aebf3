"""The Crisp provider over loopback HTTP against the Crisp simulator: wire payloads, canonical
mapping both ways, dirty tracking, paging, errors, accounts."""

from __future__ import annotations

import datetime as dt
import json
import logging

import pytest

from chatmodels import canonical, crisp, errors
from chatmodels.docgen import render
from chatmodels.http import RetryPolicy
from chatmodels.testing import serve

from .conftest import FAST_RETRY

UTC = dt.timezone.utc


@pytest.fixture(scope="session")
def crisp_sim():
    with serve("crisp", seed=42, contacts=200) as sim:
        yield sim


@pytest.fixture
def sim(crisp_sim):
    """The session simulator, reset to its seeded state before each test."""
    crisp_sim.reset()
    yield crisp_sim
    crisp_sim.clear_faults()
    crisp_sim.latency = 0
    crisp_sim.rate_limit(None)


@pytest.fixture
def api(sim):
    client = crisp.connect(base_url=sim.base_url, retry=FAST_RETRY, **sim.credentials)
    yield client
    client.close()


@pytest.fixture
def W(sim):
    """The path prefix of the simulated website, as the simulator records it."""
    return f"/v1/website/{sim.credentials['website_id']}"


@pytest.fixture
def class_config(sim):
    """Class-level settings pointing at the simulator (restored afterwards)."""
    names = ("identifier", "key", "website_id", "tier", "base_url", "max_retries")
    saved = {n: getattr(crisp.Crisp, n) for n in names}
    for name in ("identifier", "key", "website_id", "tier"):
        setattr(crisp.Crisp, name, sim.credentials[name])
    crisp.Crisp.base_url = sim.base_url
    crisp.Crisp.max_retries = 1
    yield crisp.Crisp
    for name, value in saved.items():
        setattr(crisp.Crisp, name, value)


def sent(sim, method=None, contains=""):
    """Recorded requests, optionally filtered by method and a path fragment."""
    return [r for r in sim.requests
            if (method is None or r.method == method) and contains in r.path]


def calls(sim):
    return [(r.method, r.path, r.json) for r in sim.requests]


def ms(value):
    return dt.datetime.fromtimestamp(value / 1000, tz=UTC)


def a_person(sim, **wanted):
    """A seeded profile matching ``wanted`` predicates (key -> callable(profile))."""
    for person in sim.state.people.values():
        if all(check(person) for check in wanted.values()):
            return person
    raise AssertionError("no seeded profile matches")


# -- accounts, configuration, auth ------------------------------------------------------------
def test_connect_with_sim_credentials_sends_basic_auth_and_tier(api, sim, W):
    site = api.Website.get()
    assert (site.id, site.name) == (sim.credentials["website_id"], sim.state.website["name"])
    (req,) = sim.requests
    assert (req.method, req.path) == ("GET", W)
    assert req.headers["X-Crisp-Tier"] == "plugin"
    assert req.headers["Authorization"] == "***"  # redacted by the simulator's log
    assert api.provider == "crisp" and api.options["website_id"] == sim.credentials["website_id"]


def test_class_level_configuration(class_config, sim):
    first = crisp.Contact.all().first()
    assert type(first) is crisp.Contact and isinstance(first, canonical.Contact)
    assert crisp.Operator.all().to_list()
    default = crisp.Crisp.default_client()
    assert crisp.Crisp.default_client() is default
    crisp.Crisp.key = "another-key"
    assert crisp.Crisp.default_client() is not default
    with pytest.raises(errors.AuthenticationError):
        crisp.Website.get()


def test_environment_fallback(sim, monkeypatch):
    for name in ("identifier", "key", "website_id", "tier", "base_url"):
        monkeypatch.setattr(crisp.Crisp, name, None)
    monkeypatch.setenv("CRISP_IDENTIFIER", sim.credentials["identifier"])
    monkeypatch.setenv("CRISP_KEY", sim.credentials["key"])
    monkeypatch.setenv("CRISP_WEBSITE_ID", sim.credentials["website_id"])
    monkeypatch.setenv("CRISP_BASE_URL", sim.base_url)
    monkeypatch.delenv("CRISP_TIER", raising=False)  # defaults to plugin
    assert crisp.Website.get().id == sim.credentials["website_id"]


def test_missing_settings_raise_before_any_request(sim, monkeypatch):
    for name in ("identifier", "key", "website_id"):
        monkeypatch.setattr(crisp.Crisp, name, None)
        monkeypatch.delenv(crisp.Crisp.env[name], raising=False)
    with pytest.raises(errors.ConfigurationError) as info:
        crisp.connect(base_url=sim.base_url)
    assert "CRISP_KEY" in str(info.value)
    with pytest.raises(errors.ConfigurationError):
        crisp.connect(base_url=sim.base_url, tier="galaxy", **{
            k: v for k, v in sim.credentials.items() if k != "tier"})
    assert sim.requests == []


def test_two_accounts_side_by_side():
    with serve("crisp", seed=1, contacts=25) as a, serve("crisp", seed=2, contacts=30) as b:
        src = crisp.connect(base_url=a.base_url, **a.credentials)
        dst = crisp.connect(base_url=b.base_url, **b.credentials)
        assert src.Contact is not dst.Contact and issubclass(src.Contact, crisp.Contact)
        assert src.Website.get().id != dst.Website.get().id
        for person in src.Contact.all():
            dst.Contact.create(email="copy-" + person.email, name=person.name)
        assert src.Contact.count() == 25 and dst.Contact.count() == 55
        assert not [r for r in a.requests if r.method != "GET"]
        copy = dst.Contact.find(email="copy-" + src.Contact.all().first().email)
        assert type(copy) is dst.Contact
        conv = src.Conversation.all().first()
        assert type(conv.contacts[0]) is src.Contact


def test_secrets_are_never_logged_or_shown(api, sim, caplog):
    key, identifier = sim.credentials["key"], sim.credentials["identifier"]
    caplog.set_level(logging.DEBUG, logger="chatmodels")
    caplog.set_level(logging.DEBUG, logger="urllib3")
    api.Contact.create(email="logme@example.com")
    sim.fail(status=500, times=1, path=f"/v1/website/{sim.credentials['website_id']}/operators")
    api.Operator.all().to_list()
    bad = crisp.connect(base_url=sim.base_url, identifier=identifier, key=key + "x",
                        website_id=sim.credentials["website_id"], max_retries=0)
    with pytest.raises(errors.AuthenticationError) as info:
        bad.Website.get()
    text = caplog.text
    assert "POST /website/" in text and "people/profile" in text
    for secret in (key, identifier):
        assert secret not in text
        assert secret not in repr(api) + repr(api.http) + repr(bad.http)
        assert secret not in repr(api.Contact.all().first())
        assert secret not in str(info.value) + repr(info.value)


# -- people profiles: canonical mapping ---------------------------------------------------------
def test_profile_json_maps_onto_canonical_fields(api, sim):
    raw = a_person(sim, phone=lambda p: p["person"]["phone"], company=lambda p: p["company"],
                   segments=lambda p: p["segments"])
    p = api.Contact.find(id=raw["people_id"])
    assert p.id == raw["people_id"] and p.email == raw["email"]
    assert p.name == raw["person"]["nickname"]
    assert p.phone == raw["person"]["phone"]
    assert p.avatar_url == raw["person"]["avatar"]
    assert p.location == raw["person"]["geolocation"]
    assert p.role == "user"
    assert p.created_at == ms(raw["created_at"]) and p.updated_at == ms(raw["updated_at"])
    assert p.last_seen_at == ms(raw["active"]["last"])
    assert [t.name for t in p.tags] == raw["segments"] == p.segments
    assert all(isinstance(t, crisp.Tag) and t.id == t.name for t in p.tags)
    (company,) = p.companies
    assert isinstance(company, canonical.Company)
    assert (company.name, company.company_id) == (raw["company"]["name"],
                                                  raw["company"]["domain"])
    assert company.size == raw["company"]["metrics"]["employees"]
    assert p.score == raw["score"] and not p.is_dirty
    # people data and subscription are fetched on first read only
    sim.clear_requests()
    assert p.custom_attributes == sim.state.people_data[p.id] and p.data is p.custom_attributes
    assert p.external_id is None
    assert p.unsubscribed_from_emails is (not sim.state.subscriptions[p.id])
    assert [r.path.split("/")[-2] for r in sim.requests] == ["data", "subscription"]
    assert p.to_dict()["name"] == p.name and not p.is_dirty


def test_create_from_canonical_fields_sends_crisp_card(api, sim, W):
    ann = api.Contact.create(email="ann@example.com", name="Ann", phone="+33 1 23",
                             avatar_url="https://img.example.com/ann.png",
                             location={"city": "Paris", "country": "FR"},
                             segments=["vip"], custom_attributes={"plan": "pro", "seats": 3},
                             unsubscribed_from_emails=True)
    post, data, sub, get = sim.requests
    assert (post.method, post.path) == ("POST", W + "/people/profile")
    assert post.json == {"email": "ann@example.com", "segments": ["vip"], "person": {
        "nickname": "Ann", "phone": "+33 1 23", "avatar": "https://img.example.com/ann.png",
        "geolocation": {"city": "Paris", "country": "FR"}}}
    assert (data.method, data.path, data.json) == (
        "PATCH", f"{W}/people/data/{ann.id}", {"data": {"plan": "pro", "seats": 3}})
    assert (sub.method, sub.path, sub.json) == (
        "PATCH", f"{W}/people/subscription/{ann.id}", {"email": False})
    assert (get.method, get.path) == ("GET", f"{W}/people/profile/{ann.id}")
    assert not ann.is_dirty and ann.created_at is not None
    assert sim.state.people[ann.id]["person"]["nickname"] == "Ann"
    assert sim.state.people_data[ann.id] == {"plan": "pro", "seats": 3}
    assert sim.state.subscriptions[ann.id] is False
    sim.clear_requests()
    assert ann.data == {"plan": "pro", "seats": 3} and ann.unsubscribed_from_emails is True
    assert sim.requests == []  # known from the create


def test_create_with_crisp_fields_is_one_post(api, sim, W):
    p = api.Contact.create(email="bob@example.com", person={"nickname": "Bob"})
    assert calls(sim)[0] == ("POST", W + "/people/profile",
                             {"email": "bob@example.com", "person": {"nickname": "Bob"}})
    assert len(sim.requests) == 2 and p.name == "Bob"
    assert api.Contact.find(email="BOB@example.com") == p
    assert sim.requests[-1].path == W + "/people/profile/BOB@example.com"


def test_external_id_is_a_people_data_key(api, sim, W):
    p = api.Contact.create(email="ext@example.com", external_id="u-42")
    assert sent(sim, "PATCH")[0].json == {"data": {"external_id": "u-42"}}
    again = api.Contact.find(id=p.id)
    assert again.external_id == "u-42"


def test_local_validation_sends_nothing(api, sim):
    p = api.Contact.all().first()
    sim.clear_requests()
    cases = [
        lambda: api.Contact.create(email="not an email"),
        lambda: api.Contact.create(name="No email"),
        lambda: api.Contact.create(email="x@example.com", shoe_size=42),
        lambda: api.Contact.create(email="x@example.com", score=3),
        lambda: api.Contact.create(email="x@example.com", tags=["vip"]),
        lambda: api.Contact.create(email="x@example.com", custom_attributes={"a": {"b": 1}}),
        lambda: setattr(p, "created_at", dt.datetime.now(UTC)),
        lambda: setattr(p, "role", "lead"),
    ]
    for case in cases:
        with pytest.raises(errors.ValidationError) as info:
            case()
        assert info.value.status is None and info.value.provider == "crisp"
    p.email = "broken"
    with pytest.raises(errors.ValidationError) as info:
        p.save()
    assert info.value.field == "email"
    p.email = p.raw["email"]
    p.name = "Changed"
    p.data["bad"] = [1, 2]
    with pytest.raises(errors.ValidationError):
        p.save()  # data is checked before the profile PATCH goes out
    assert [r for r in sim.requests if r.method != "GET"] == []
    with pytest.raises(AttributeError):  # FieldError is an AttributeError too
        p.shoe_size = 1


def test_partial_profile_loads_once_and_to_dict_costs_nothing(api, sim, W):
    raw = next(iter(sim.state.people.values()))
    p = api.Contact.ref(raw["people_id"])
    assert p.is_partial and sim.requests == []
    assert p.name == raw["person"]["nickname"]
    assert calls(sim) == [("GET", f"{W}/people/profile/{raw['people_id']}", None)]
    sim.clear_requests()
    exported = p.to_dict()
    assert sim.requests == []
    assert exported["name"] == p.name and "custom_attributes" not in exported
    assert [t["name"] for t in exported["tags"]] == raw["segments"]


# -- people profiles: dirty tracking --------------------------------------------------------------
def test_people_data_change_is_one_patch_with_the_changed_key(api, sim, W):
    p = api.Contact.all().first()
    p.data["plan"] = "pro"
    assert p.dirty_fields == ["custom_attributes"]
    sim.clear_requests()
    p.save()
    assert calls(sim) == [("PATCH", f"{W}/people/data/{p.id}", {"data": {"plan": "pro"}})]
    assert sim.state.people_data[p.id]["plan"] == "pro" and not p.is_dirty
    sim.clear_requests()
    p.save()
    assert sim.requests == []


def test_segment_append_is_one_profile_patch(api, sim, W):
    p = api.Contact.find(id=a_person(sim, s=lambda x: "vip" not in x["segments"])["people_id"])
    before = list(p.segments)
    p.segments.append("vip")
    sim.clear_requests()
    p.save()
    assert calls(sim) == [("PATCH", f"{W}/people/profile/{p.id}", {"segments": before + ["vip"]})]
    assert sim.state.people[p.id]["segments"] == before + ["vip"]


def test_profile_and_data_changes_each_go_to_their_route(api, sim, W):
    p = api.Contact.all().first()
    p.name = "Renamed"
    p.phone = "+1 555"
    p.data["seats"] = 99
    p.last_seen_at = dt.datetime(2025, 1, 2, tzinfo=UTC)
    assert sorted(p.changes()) == ["custom_attributes", "last_seen_at", "person"]
    sim.clear_requests()
    p.save()
    assert calls(sim) == [
        ("PATCH", f"{W}/people/profile/{p.id}",
         {"person": {"nickname": "Renamed", "phone": "+1 555"}, "active": 1735776000000}),
        ("PATCH", f"{W}/people/data/{p.id}", {"data": {"seats": 99}}),
    ]
    stored = sim.state.people[p.id]
    assert stored["person"]["nickname"] == "Renamed" and stored["person"]["geolocation"]


def test_removing_a_data_key_saves_the_whole_data(api, sim, W):
    p = api.Contact.all().first()
    kept = dict(p.data)
    del p.data["plan"]
    kept.pop("plan")
    sim.clear_requests()
    p.save()
    assert calls(sim) == [("PUT", f"{W}/people/data/{p.id}", {"data": kept})]
    assert sim.state.people_data[p.id] == kept


def test_replace_puts_the_whole_card(api, sim, W):
    p = api.Contact.all().first()
    p.notepad = "hello"
    sim.clear_requests()
    p.replace()
    (put,) = sim.requests
    assert (put.method, put.path) == ("PUT", f"{W}/people/profile/{p.id}")
    assert set(put.json) == {"email", "person", "company", "segments", "notepad", "active"}
    assert put.json["notepad"] == "hello" and not p.is_dirty


def test_subscription(api, sim, W):
    p = api.Contact.find(id=a_person(sim, s=lambda x: sim.state.subscriptions[x["people_id"]])
                         ["people_id"])
    assert p.subscription() == {"email": True}
    p.set_subscription(email=False)
    assert sent(sim, "PATCH")[-1].json == {"email": False}
    assert p.unsubscribed_from_emails is True
    p.unsubscribed_from_emails = False
    sim.clear_requests()
    p.save()
    assert calls(sim) == [("PATCH", f"{W}/people/subscription/{p.id}", {"email": True})]
    assert sim.state.subscriptions[p.id] is True


def test_add_and_remove_tag_on_a_profile(api, sim, W):
    p = api.Contact.create(email="tagged@example.com")
    p.add_tag("brand-new-segment")
    assert sent(sim, "PATCH")[-1].json == {"segments": ["brand-new-segment"]}
    assert "brand-new-segment" in [t.name for t in api.Tag.all()]
    p.add_tag(api.Tag.find("brand-new-segment"))  # already there: nothing sent
    assert len(sent(sim, "PATCH")) == 1
    p.remove_tag("brand-new-segment")
    assert p.segments == [] and not p.is_dirty
    assert sim.state.people[p.id]["segments"] == []


def test_delete_profile(api, sim, W):
    p = api.Contact.create(email="gone@example.com")
    p.delete()
    assert sent(sim, "DELETE")[0].path == f"{W}/people/profile/{p.id}"
    with pytest.raises(errors.ResourceNotFound) as info:
        api.Contact.find(id=p.id)
    assert (info.value.status, info.value.code) == (404, "not_found")


# -- people profiles: lists, search ---------------------------------------------------------------
def test_all_pages_to_the_end_with_exact_page_numbers(api, sim, W):
    ids = [p.id for p in api.Contact.all()]
    assert len(ids) == len(set(ids)) == 200
    assert [(r.path, r.query) for r in sim.requests] == [
        (f"{W}/people/profiles/{n}", {"per_page": "50"}) for n in (1, 2, 3, 4, 5)]
    sim.clear_requests()
    assert len(api.Contact.all().page_size(30).to_list()) == 200
    assert [r.path.rsplit("/", 1)[1] for r in sim.requests] == ["1", "2", "3", "4", "5", "6", "7"]
    assert {r.query["per_page"] for r in sim.requests} == {"30"}
    sim.clear_requests()
    assert len(api.Contact.all().page_size(5).limit(7).to_list()) == 7
    assert [r.query["per_page"] for r in sim.requests] == ["20"]  # Crisp's minimum


def test_count_uses_people_stats(api, sim, W):
    assert api.Contact.count() == 200
    assert calls(sim) == [("GET", f"{W}/people/stats", None)]


def test_search_text_and_filters(api, sim):
    raw = a_person(sim, s=lambda x: x["segments"])
    by_email = api.Contact.search(email=raw["email"]).to_list()
    assert [p.id for p in by_email] == [raw["people_id"]]
    query = sim.requests[-1].query
    assert json.loads(query["search_filter"]) == [
        {"model": "people", "criterion": "email", "operator": "eq", "query": [raw["email"]]}]
    segment = raw["segments"][0]
    expected = {p["people_id"] for p in sim.state.people.values() if segment in p["segments"]}
    assert {p.id for p in api.Contact.search(segments__has=segment)} == expected
    assert json.loads(sim.requests[-1].query["search_filter"])[0]["operator"] == "has"
    assert {p.id for p in api.Contact.search(tags=segment)} == expected
    plan = sim.state.people_data[raw["people_id"]]["plan"]
    expected = {pid for pid, d in sim.state.people_data.items() if d.get("plan") == plan}
    assert {p.id for p in api.Contact.search(data__plan=plan)} == expected
    assert {p.id for p in api.Contact.all(custom_attributes__plan=plan)} == expected
    nickname = raw["person"]["nickname"]
    texts = api.Contact.search(text=nickname.split()[0].lower()).to_list()
    assert raw["people_id"] in [p.id for p in texts]
    assert sim.requests[-1].query["search_text"] == nickname.split()[0].lower()
    either = api.Contact.search(email=raw["email"], name="nobody-at-all", operator="or")
    assert [p.id for p in either] == [raw["people_id"]]
    assert sim.requests[-1].query["search_operator"] == "or"
    after = dt.datetime(2025, 1, 1, tzinfo=UTC)
    recent = api.Contact.search(created_after=after).to_list()
    assert sim.requests[-1].query["filter_date_start"] == "2025-01-01T00:00:00Z"
    assert {p.id for p in recent} == {
        p["people_id"] for p in sim.state.people.values() if ms(p["created_at"]) >= after}


def test_conversations_of_a_profile_are_partial(api, sim, W):
    conv = next(c for c in sim.state.conversations.values() if c["people_id"])
    pid = conv["people_id"]
    expected = [c["session_id"] for c in sim.state.conversations_of(pid)]
    p = api.Contact.ref(pid)
    sim.clear_requests()
    found = p.conversations().to_list()
    assert [c.id for c in found] == expected
    assert sent(sim)[0].path == f"{W}/people/conversations/{pid}/list/1"
    first = found[0]
    assert first.is_partial
    sim.clear_requests()
    assert first.crisp_state == sim.state.conversations[first.id]["state"]  # one GET
    assert len(sim.requests) == 1 and not first.is_partial
    resolved = [c.id for c in p.conversations(resolved=True)]
    assert resolved == [s for s in expected
                        if sim.state.conversations[s]["state"] == "resolved"]
    assert sim.requests[-1].query == {"filter_resolved": "1"}


def test_people_events(api, sim, W):
    p = api.Contact.create(email="evented@example.com")
    event = p.events.create(text="signed_up", data={"plan": "pro"}, color="green")
    assert calls(sim)[-1] == ("POST", f"{W}/people/events/{p.id}",
                              {"text": "signed_up", "data": {"plan": "pro"}, "color": "green"})
    assert isinstance(event, canonical.Event) and event.name == "signed_up"
    p.events.create(name="upgraded", metadata={"to": "business"})
    events = p.events()
    names = [e.name for e in events]
    assert names == ["upgraded", "signed_up"]  # newest first
    newest = events.first()
    assert newest.metadata == {"to": "business"} and newest.contact_id == p.id
    assert isinstance(newest.created_at, dt.datetime)
    with pytest.raises(errors.ValidationError):
        p.events.create(text="x", color="chartreuse")


def test_notes_are_the_notepad(api, sim, W):
    p = api.Contact.create(email="noted@example.com")
    assert api.Note.all(contact=p).to_list() == []
    first = api.Note.create(contact=p, body="Called on Monday")
    second = p.add_note("Prefers email")
    assert sent(sim, "PATCH")[-1].json == {"notepad": "Called on Monday\n\nPrefers email"}
    (note,) = api.Note.all(contact=p)
    assert note.body == second.body == "Called on Monday\n\nPrefers email"
    assert note.contact_id == p.id and first.body == "Called on Monday"
    note.body = "Rewritten"
    note.save()
    assert calls(sim)[-1] == ("PATCH", f"{W}/people/profile/{p.id}", {"notepad": "Rewritten"})
    note.delete()
    assert sim.state.people[p.id]["notepad"] == "" and p.notes().to_list() == []


# -- conversations ------------------------------------------------------------------------------
def test_conversation_json_maps_onto_canonical_fields(api, sim):
    for conv in api.Conversation.all().limit(40):
        raw = sim.state.conversations[conv.id]
        assert conv.crisp_state == raw["state"]
        assert conv.state == {"unresolved": "open", "pending": "pending",
                              "resolved": "closed"}[raw["state"]]
        assert conv.assignee_id == (raw["assigned"] or {}).get("user_id")
        assert [t.name for t in conv.tags] == raw["meta"]["segments"]
        assert conv.title == (raw["meta"]["subject"] or None)
        assert conv.custom_attributes == raw["meta"]["data"]
        assert conv.created_at == ms(raw["created_at"])
        assert conv.read == (sim.state.unread_counts(conv.id)["operator"] == 0)
        if raw["people_id"]:
            (contact,) = conv.contacts
            assert contact.is_partial and contact.id == raw["people_id"]
        else:
            assert conv.contacts == []
        assert conv.team_id is None and conv.priority is None


def test_conversation_contact_loads_lazily(api, sim):
    conv = next(c for c in api.Conversation.all() if c.contacts)
    contact = conv.contacts[0]
    sim.clear_requests()
    assert contact.email == sim.state.people[contact.id]["email"]  # one GET
    assert len(sim.requests) == 1 and not contact.is_partial


def test_conversations_page_with_exact_requests(api, sim, W):
    total = sum(1 for c in sim.state.conversations.values() if sim.state.messages[c["session_id"]])
    ids = [c.id for c in api.Conversation.all()]
    assert len(ids) == len(set(ids)) == total == 100
    assert [(r.path, r.query) for r in sim.requests] == [
        (f"{W}/conversations/{n}", {"per_page": "50"}) for n in (1, 2, 3)]


def test_create_conversation_for_a_profile(api, sim, W):
    p = api.Contact.create(email="asker@example.com", name="Asker")
    sim.clear_requests()
    conv = api.Conversation.create(contact=p, title="Refund", custom_attributes={"order": 7})
    post, meta, get = sim.requests
    assert (post.method, post.path, post.json) == ("POST", W + "/conversation", None)
    assert (meta.method, meta.path) == ("PATCH", f"{W}/conversation/{conv.id}/meta")
    assert meta.json == {"email": "asker@example.com", "nickname": "Asker",
                         "subject": "Refund", "data": {"order": 7}}
    assert (get.method, get.path) == ("GET", f"{W}/conversation/{conv.id}")
    assert conv.id.startswith("session_") and conv.state == "pending"
    assert conv.title == "Refund" and conv.custom_attributes == {"order": 7}
    assert not conv.is_dirty
    stored = sim.state.conversations[conv.id]
    assert stored["meta"]["email"] == "asker@example.com"
    # Crisp links a session to the profile with the meta email; the simulator does not (yet)
    # set people_id on a meta update, so this only checks the link when it is reported
    if stored["people_id"]:
        assert conv.contacts == [p]
    # empty conversations are only listed with include_empty
    assert conv.id not in [c.id for c in api.Conversation.all()]
    assert conv.id in [c.id for c in api.Conversation.all(include_empty=True)]
    with_body = api.Conversation.create(contact="walkin@example.com", body="Hello?")
    assert calls(sim)[-1][2] == {"type": "text", "from": "user", "origin": "chat",
                                 "content": "Hello?"}
    assert [m.body for m in with_body.messages] == ["Hello?"]


def test_state_changes(api, sim, W):
    conv = api.Conversation.search(resolved=False).first()
    base = f"{W}/conversation/{conv.id}"
    conv.resolve()
    assert calls(sim)[-1] == ("PATCH", base + "/state", {"state": "resolved"})
    assert (conv.state, conv.crisp_state) == ("closed", "resolved")
    conv.set_pending()
    assert calls(sim)[-1] == ("PATCH", base + "/state", {"state": "pending"})
    conv.reopen()
    assert sim.state.conversations[conv.id]["state"] == "unresolved" and conv.state == "open"
    conv.state = "closed"
    sim.clear_requests()
    conv.save()
    assert calls(sim) == [("PATCH", base + "/state", {"state": "resolved"})]
    assert conv.reload().state == "closed"
    with pytest.raises(errors.ValidationError):
        conv.set_state("snoozed")


def test_routing_assign_and_unassign(api, sim, W):
    op = api.Operator.all().to_list()[1]
    conv = api.Conversation.all().first()
    base = f"{W}/conversation/{conv.id}"
    conv.assign(op)
    assert calls(sim)[-1] == ("PATCH", base + "/routing", {"assigned": {"user_id": op.id}})
    assert conv.assignee_id == op.id
    assert conv.id in [c.id for c in api.Conversation.search(assigned=op)]
    assert sim.requests[-1].query["filter_assigned"] == op.id
    conv.unassign()
    assert calls(sim)[-1] == ("PATCH", base + "/routing", {"assigned": None})
    assert sim.state.conversations[conv.id]["assigned"] is None
    conv.assignee_id = op.id
    conv.save()
    assert api.Conversation.find(conv.id).assignee_id == op.id


def test_meta_diff_block_read_and_tags(api, sim, W):
    conv = api.Conversation.all().first()
    base = f"{W}/conversation/{conv.id}"
    conv.meta["phone"] = "+44 20"
    conv.custom_attributes["priority"] = "high"
    conv.title = "Billing"
    sim.clear_requests()
    conv.save()
    assert calls(sim) == [("PATCH", base + "/meta", {"phone": "+44 20", "subject": "Billing",
                                                     "data": {"priority": "high"}})]
    stored = sim.state.conversations[conv.id]["meta"]
    assert stored["phone"] == "+44 20" and stored["data"]["priority"] == "high"
    assert len(stored["data"]) > 1  # merged, not replaced
    conv.block()
    assert calls(sim)[-1] == ("PATCH", base + "/block", {"blocked": True})
    assert sim.state.conversations[conv.id]["is_blocked"] is True
    conv.unblock()
    conv.mark_unread()
    assert calls(sim)[-1] == ("PATCH", base + "/unread", {"from": "operator"})
    assert api.Conversation.find(conv.id).read is False
    conv.mark_read()
    assert calls(sim)[-1] == ("PATCH", base + "/read", {"from": "operator", "origin": "chat"})
    assert api.Conversation.find(conv.id).read is True
    conv.mark_delivered(by="user")
    assert calls(sim)[-1] == ("PATCH", base + "/delivered", {"from": "user", "origin": "chat"})
    segments = list(conv.meta["segments"])
    conv.add_tag("refund")
    assert calls(sim)[-1] == ("PATCH", base + "/meta", {"segments": segments + ["refund"]})
    assert "refund" in [t.name for t in conv.tags] and not conv.is_dirty
    assert conv.id in [c.id for c in api.Conversation.search(segment="refund")]
    assert sim.requests[-1].query["search_type"] == "segment"
    conv.remove_tag("refund")
    assert sim.state.conversations[conv.id]["meta"]["segments"] == segments
    del conv.custom_attributes["priority"]
    with pytest.raises(errors.ValidationError):
        conv.save()  # Crisp merges meta.data: a key cannot be removed


def test_search_and_filters(api, sim):
    found = api.Conversation.search(query="refund").to_list()
    query = sim.requests[-1].query
    assert (query["search_query"], query["search_type"]) == ("refund", "text")
    assert all(any("refund" in str(m["content"]).lower()
                   for m in sim.state.messages[c.id]) or
               "refund" in json.dumps(sim.state.conversations[c.id]["meta"]).lower()
               for c in found)
    resolved = api.Conversation.search(resolved=True).to_list()
    assert sim.requests[-1].query["filter_resolved"] == "1"
    assert resolved and all(c.state == "closed" for c in resolved)
    unread = api.Conversation.search(unread=True).to_list()
    assert all(c.read is False for c in unread)
    assert sim.requests[-1].query["filter_unread"] == "1"
    api.Conversation.search(updated_after=dt.datetime(2025, 3, 1, tzinfo=UTC),
                            order="created").first()
    query = sim.requests[-1].query
    assert query["filter_date_start"] == "2025-03-01T00:00:00Z"
    assert query["order_date_created"] == "1"
    sim.clear_requests()
    with pytest.raises(errors.ValidationError):
        api.Conversation.search(color="blue")
    with pytest.raises(errors.ValidationError):
        api.Conversation.search(query="a", segment="b")
    assert sim.requests == []


def test_delete_conversation(api, sim, W):
    conv = api.Conversation.all().first()
    conv.delete()
    assert calls(sim)[-1] == ("DELETE", f"{W}/conversation/{conv.id}", None)
    with pytest.raises(errors.ResourceNotFound):
        api.Conversation.find(conv.id)


def test_create_with_state_and_assignee_and_cross_provider_names(api, sim, W):
    op = api.Agent.all().first()
    conv = api.Conversation.create(contact="vip@example.com", state="closed", assignee=op)
    base = f"{W}/conversation/{conv.id}"
    assert calls(sim)[-4:] == [
        ("PATCH", base + "/meta", {"email": "vip@example.com"}),
        ("PATCH", base + "/state", {"state": "resolved"}),
        ("PATCH", base + "/routing", {"assigned": {"user_id": op.id}}),
        ("GET", base, None)]
    assert (conv.state, conv.assignee_id) == ("closed", op.id)
    conv.open(op)
    assert conv.state == "open"
    conv.close(op)
    assert sim.state.conversations[conv.id]["state"] == "resolved"
    note = conv.note("seen", admin=op)
    assert sim.requests[-1].json["user"] == {"nickname": op.name, "avatar": op.avatar_url}
    assert note.kind == "note"
    p = api.Contact.create(email="tracked@example.com")
    p.track("upgraded", metadata={"plan": "pro"})
    assert sim.requests[-1].json == {"text": "upgraded", "data": {"plan": "pro"}}


# -- messages ------------------------------------------------------------------------------------
def test_send_text_note_and_file_payloads(api, sim, W):
    op = api.Operator.all().first()
    p = api.Contact.create(email="chatty@example.com", name="Chatty")
    conv = api.Conversation.create(contact=p)
    path = f"{W}/conversation/{conv.id}/message"
    sim.clear_requests()
    reply = conv.reply(body="Hello", author=op)
    assert calls(sim) == [("POST", path, {
        "type": "text", "from": "operator", "origin": "chat", "content": "Hello",
        "user": {"nickname": op.name, "avatar": op.avatar_url}})]
    assert isinstance(reply, canonical.Message) and reply.body == "Hello"
    assert reply.kind == "comment" and reply.author_type == "agent"
    assert reply.id == str(sim.state.messages[conv.id][-1]["fingerprint"])
    answer = conv.reply("Thanks!", author=p)
    assert sim.requests[-1].json == {"type": "text", "from": "user", "origin": "chat",
                                     "content": "Thanks!"}
    assert answer.author_type == "contact"
    note = conv.note("VIP customer", author=op)
    assert sim.requests[-1].json["type"] == "note" and note.kind == "note"
    conv.send_file(url="https://files.example.com/a.pdf", name="a.pdf", mime="application/pdf")
    assert sim.requests[-1].json == {"type": "file", "from": "operator", "origin": "chat",
                                     "content": {"name": "a.pdf",
                                                 "url": "https://files.example.com/a.pdf",
                                                 "type": "application/pdf"}}
    sim.clear_requests()
    with pytest.raises(errors.ValidationError):
        conv.reply(body="  ")
    with pytest.raises(errors.ValidationError):
        conv.note("private", author=p)
    assert sim.requests == []
    msgs = conv.messages
    assert len(msgs) == 4
    assert [(m.kind, m.author_type, m.body) for m in msgs] == [
        ("comment", "agent", "Hello"), ("comment", "contact", "Thanks!"),
        ("note", "agent", "VIP customer"), ("comment", "agent", None)]
    assert msgs[-1].attachments == [{"name": "a.pdf", "url": "https://files.example.com/a.pdf",
                                     "content_type": "application/pdf"}]
    assert all(m.conversation_id == conv.id for m in msgs)
    assert msgs[1].author_id == conv.id  # Crisp's user id of a visitor is the session id
    assert [m.created_at for m in msgs] == sorted(m.created_at for m in msgs)


def test_messages_fetch_every_batch_in_time_order(api, sim, W):
    conv = api.Conversation.create(contact="long@example.com")
    for i in range(95):
        conv.reply(f"message {i}", author="user" if i % 2 else None)
    sim.clear_requests()
    bodies = [m.body for m in conv.messages]
    assert bodies == [f"message {i}" for i in range(95)]
    reqs = sim.requests
    assert [r.status for r in reqs] == [206, 206, 200]
    assert "timestamp_before" not in reqs[0].query
    stored = sim.state.messages[conv.id]
    assert reqs[1].query["timestamp_before"] == str(stored[-40]["timestamp"])
    assert reqs[2].query["timestamp_before"] == str(stored[-80]["timestamp"])
    assert all(r.path == f"{W}/conversation/{conv.id}/messages" for r in reqs)


def test_edit_delete_and_mark_a_message(api, sim, W):
    conv = api.Conversation.create(contact="edit@example.com", body="Helo")
    msg = conv.messages[0]
    base = f"{W}/conversation/{conv.id}/message/{msg.id}"
    msg.body = "Hello"
    assert msg.dirty_fields == ["content"]
    sim.clear_requests()
    msg.save()
    assert calls(sim) == [("PATCH", base, {"content": "Hello"})]
    again = api.Message.find(msg.id, conversation=conv)
    assert again.body == "Hello" and again.edited is True and again == msg
    msg.mark_read()
    assert sim.requests[-1].json == {"from": "operator", "origin": "chat",
                                     "fingerprints": [int(msg.id)]}
    assert sim.state.messages[conv.id][0]["read"] == "chat"
    msg.delete()
    assert calls(sim)[-1] == ("DELETE", base, None)
    assert conv.messages.to_list() == []
    file_msg = conv.send_file(url="https://x.example.com/f.png", name="f.png", mime="image/png")
    with pytest.raises(errors.ValidationError):
        file_msg.body = "not a text message"


# -- operators, tags, fields, visitors, website ---------------------------------------------------
def test_operators(api, sim, W):
    ops = api.Operator.all().to_list()
    assert api.Agent is api.Operator and len(ops) == len(sim.state.operators)
    assert calls(sim) == [("GET", f"{W}/operators/list", None)]
    for op in ops:
        raw = sim.state.operators[op.id]
        assert op.name == f"{raw['first_name']} {raw['last_name']}"
        assert op.email == raw["email"] and op.avatar_url == raw["avatar"]
        assert op.away is (raw["availability"] != "online") and op.role == raw["role"]
        assert op.team_ids is None
    assert api.Agent.find(ops[0].id) == ops[0]
    assert sim.requests[-1].path == f"{W}/operator/{ops[0].id}"
    assert api.Operator.find_by_email(ops[1].email.upper()) == ops[1]
    assert {o["user_id"] for o in api.Operator.active()} == {
        u for u, o in sim.state.operators.items() if o["availability"] == "online"}
    with pytest.raises(errors.ResourceNotFound):
        api.Operator.find("00000000-0000-4000-8000-000000000000")


def test_operator_token_fields_are_never_kept(api):
    op = api.Operator.from_wire({"user_id": "u-1", "first_name": "Ada", "last_name": "L",
                                 "identifier": "op-identifier", "key": "op-secret-key",
                                 "has_token": True, "availability": "away"})
    assert (op.name, op.away, op.has_token) == ("Ada L", True, True)
    assert "op-secret-key" not in repr(op) + repr(op.raw) + repr(op.extra) + repr(op.to_dict())


def test_tags_are_segments(api, sim, W):
    tags = api.Tag.all().to_list()
    assert {t.name for t in tags} == {c["segment"] for c in sim.state.segment_counts()}
    pages = [r.path.rsplit("/", 1)[1] for r in sim.requests]
    assert pages == [str(n) for n in range(1, len(pages) + 1)]
    assert sim.requests[0].path == f"{W}/people/suggest/segments/1"
    assert len(tags) == 5 and pages == ["1", "2"]  # until Crisp answers an empty page
    counts = {c["segment"]: c["count"] for c in sim.state.segment_counts()}
    assert all(t.usage_count == counts[t.name] and t.id == t.name for t in tags)
    assert not hasattr(api.Tag, "create")  # Crisp cannot create a bare segment
    conv_tags = api.Tag.all(scope="conversations").to_list()
    assert sim.requests[-1].path.startswith(f"{W}/conversations/suggest/segments/")
    assert {t.name for t in conv_tags} == {
        c["segment"] for c in sim.state.conversation_segment_counts()}
    p = api.Contact.create(email="t@example.com")
    api.Tag.from_wire({"segment": "fresh"}).tag(contacts=[p])
    assert api.Contact.find(p.id).segments == ["fresh"]
    with pytest.raises(errors.ResourceNotFound):
        api.Tag.find("no-such-segment")


def test_contact_fields_are_people_data_keys(api, sim, W):
    fields = api.ContactField.all().to_list()
    assert {f.name for f in fields} == {c["key"] for c in sim.state.data_key_counts()}
    assert sim.requests[0].path == f"{W}/people/suggest/data/1"
    plan = api.ContactField.find("plan")
    assert (plan.id, plan.label, plan.model, plan.custom) == ("plan", "plan", "contact", True)
    assert plan.usage_count == sum(1 for d in sim.state.people_data.values() if "plan" in d)
    assert not hasattr(api.ContactField, "create") and "save" not in (
        api.ContactField.supported_operations())


def test_visitors_and_website(api, sim, W):
    visitors = api.Visitor.all().to_list()
    assert [v.id for v in visitors] == [v["session_id"] for v in sim.state.visitors]
    assert api.Visitor.count() == len(sim.state.visitors)
    assert calls(sim)[-1] == ("GET", f"{W}/visitors/count", None)
    assert api.Visitor.stats()["active"] == sum(1 for v in sim.state.visitors if v["active"])
    site = api.Website.get()
    assert site.domain == sim.state.website["domain"] and site.logo


# -- errors ---------------------------------------------------------------------------------------
def test_bad_key_is_authentication_error(sim):
    creds = dict(sim.credentials, key="0" * 64)
    api = crisp.connect(base_url=sim.base_url, **creds)
    with pytest.raises(errors.AuthenticationError) as info:
        api.Contact.all().first()
    err = info.value
    assert (err.status, err.code, err.provider) == (401, "invalid_session", "crisp")
    assert len(sim.requests) == 1  # not retried


def test_unknown_website_is_not_subscribed(sim):
    creds = dict(sim.credentials, website_id="11111111-1111-4111-8111-111111111111")
    api = crisp.connect(base_url=sim.base_url, **creds)
    with pytest.raises(errors.ResourceNotFound) as info:
        api.Website.get()
    assert info.value.code == "not_subscribed"


def test_invalid_data_is_validation_error_with_message(api, sim):
    conv = api.Conversation.all().first()
    with pytest.raises(errors.ValidationError) as info:
        conv.assign("not-an-operator")
    err = info.value
    assert (err.status, err.code) == (400, "invalid_data")
    assert err.message == "data.assigned.user_id is not an operator of this website"
    assert err.field == "assigned.user_id"


def test_duplicate_email_is_conflict(api, sim):
    taken = next(iter(sim.state.people.values()))["email"]
    with pytest.raises(errors.ConflictError) as info:
        api.Contact.create(email=taken)
    assert (info.value.status, info.value.code) == (409, "people_exists")


def test_429_is_retried_with_retry_after(api, sim, W):
    sim.throttle(times=1, retry_after=0)
    assert api.Contact.all().first()
    assert [r.status for r in sim.requests] == [429, 200]
    sim.clear_requests()
    sim.throttle(times=1, retry_after=0, method="POST")
    api.Contact.create(email="after-429@example.com")  # a 429 was not processed: safe to retry
    assert [r.status for r in sent(sim, "POST")] == [429, 201]
    no_retry = crisp.connect(base_url=sim.base_url, max_retries=0, **sim.credentials)
    sim.throttle(times=1, retry_after=7)
    with pytest.raises(errors.RateLimitExceeded) as info:
        no_retry.Website.get()
    assert (info.value.status, info.value.code, info.value.retry_after) == (
        429, "rate_limited", 7)


def test_420_enhance_your_calm_is_a_rate_limit(sim):
    api = crisp.connect(base_url=sim.base_url, max_retries=0, **sim.credentials)
    sim.fail(status=420, times=1)
    with pytest.raises(errors.RateLimitExceeded) as info:
        api.Website.get()
    assert info.value.status == 420
    retrying = crisp.connect(base_url=sim.base_url, retry=FAST_RETRY, **sim.credentials)
    sim.fail(status=420, times=1)
    assert retrying.Website.get()


def test_500_is_retried_on_get_not_on_post(api, sim, W):
    sim.fail(status=500, times=2, method="GET")
    assert api.Operator.all().to_list()
    assert [r.status for r in sim.requests] == [500, 500, 200]
    sim.clear_requests()
    sim.fail(status=500, times=1, method="POST")
    with pytest.raises(errors.ServerError) as info:
        api.Contact.create(email="maybe@example.com")
    assert (info.value.status, info.value.code) == (500, "internal_error")
    assert [r.status for r in sim.requests] == [500]
    sim.fail(status=503, times=5, method="GET")
    retry_twice = crisp.connect(base_url=sim.base_url, **sim.credentials, retry=RetryPolicy(
        max_retries=1, backoff_factor=0.01))
    with pytest.raises(errors.ServiceUnavailableError):
        retry_twice.Website.get()


# -- support table --------------------------------------------------------------------------------
def test_support_table_lists_crisp():
    text = render()
    assert "## crisp" in text
    assert "| Contact | Contact | yes | yes | yes | yes | yes | yes |" in text
    assert "| Agent | alias of Operator |" in text

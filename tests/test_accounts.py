"""Class-level defaults, bound namespaces, several accounts, several threads, redaction."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor

import pytest

from chatmodels import intercom
from chatmodels.testing import serve


def test_class_level_credentials(default_config, sim):
    c = intercom.Contact.create(email="classlevel@example.com")
    assert type(c) is intercom.Contact
    assert intercom.Contact.find(email="classlevel@example.com") == c
    conv = intercom.Conversation.all().first()
    assert isinstance(conv.contacts[0], intercom.Contact)


def test_environment_fallback(sim, monkeypatch):
    monkeypatch.setattr(intercom.Intercom, "access_token", None)
    monkeypatch.setattr(intercom.Intercom, "base_url", None)
    monkeypatch.setenv("INTERCOM_ACCESS_TOKEN", sim.credentials["access_token"])
    monkeypatch.setenv("INTERCOM_BASE_URL", sim.base_url)
    assert intercom.Admin.me().id


def test_changing_class_level_token_rebuilds_the_client(default_config, sim):
    first = intercom.Intercom.default_client()
    assert intercom.Intercom.default_client() is first
    intercom.Intercom.access_token = "another"
    assert intercom.Intercom.default_client() is not first


def test_two_accounts_side_by_side_from_threads():
    with serve("intercom", seed=1, contacts=30) as a, serve("intercom", seed=2, contacts=40) as b:
        src = intercom.connect(base_url=a.base_url, **a.credentials)
        dst = intercom.connect(base_url=b.base_url, **b.credentials)
        assert src.Contact is not dst.Contact
        assert issubclass(src.Contact, intercom.Contact)

        def copy(contact):
            return dst.Contact.create(email=f"copy-{contact.id}@example.com", name=contact.name)

        with ThreadPoolExecutor(8) as pool:
            copies = list(pool.map(copy, src.Contact.all()))
        assert len(copies) == 30
        assert all(type(c) is dst.Contact for c in copies)
        assert dst.Contact.count() == 70 and src.Contact.count() == 30
        # the source account was only read, never written to
        assert not [r for r in a.requests if r.method != "GET"]
        # related objects come back bound to the same account
        conv = src.Conversation.all().first()
        assert type(conv.contacts[0]) is src.Contact


def test_threads_sharing_one_client(api, sim):
    def work(i):
        c = api.Contact.create(email=f"thread{i}@example.com")
        return api.Contact.find(id=c.id).email

    with ThreadPoolExecutor(8) as pool:
        emails = list(pool.map(work, range(40)))
    assert sorted(emails) == sorted(f"thread{i}@example.com" for i in range(40))


def test_secrets_never_logged_or_shown(api, sim, caplog):
    token = sim.credentials["access_token"]
    caplog.set_level(logging.DEBUG, logger="chatmodels")
    caplog.set_level(logging.DEBUG, logger="urllib3")
    api.Contact.create(email="logme@example.com")
    sim.fail(status=500, times=1, path="/admins")
    api.Admin.all().to_list()
    text = caplog.text
    assert "POST /contacts" in text and token not in text
    assert token not in repr(api) and token not in repr(api.http)
    assert token not in repr(api.Contact.all().first())


def test_query_strings_are_encoded(api, sim):
    c = api.Contact.create(email="enc@example.com", external_id="a&b=c?d")
    assert api.Contact.find(external_id="a&b=c?d") == c
    assert api.Company.create(company_id="x&y", name="Amp & Co")
    assert api.Company.find(company_id="x&y").name == "Amp & Co"
    req = [r for r in sim.requests if r.method == "GET" and r.path == "/companies"][-1]
    assert req.query["company_id"] == "x&y"


def test_sessions_of_finished_threads_are_closed(api, sim):
    import threading

    def work():
        api.Team.all().to_list()

    for _ in range(5):
        t = threading.Thread(target=work)
        t.start()
        t.join()
    # each new thread's session closed those of the threads that had finished
    assert len(api.http._sessions) <= 2


def test_resources_by_collection_name(api):
    from chatmodels.client import Client

    assert api.resource("contact_fields") is api.DataAttribute
    assert api.resource("agents") is api.Admin
    assert api.resource("Conversation") is api.Conversation
    assert Client.collection_name(api.DataAttribute) == "contact_fields"
    assert Client.collection_name(intercom.Contact) == "contacts"


def test_configure_switches_token_and_url_atomically(monkeypatch):
    """A thread requesting while another switches account never mixes A's URL with B's token."""
    import threading

    from chatmodels.errors import ConfigurationError

    with serve("intercom", seed=1, contacts=3) as a, serve("intercom", seed=2, contacts=4) as b:
        assert a.credentials != b.credentials
        monkeypatch.setattr(intercom.Intercom, "access_token", None)
        monkeypatch.setattr(intercom.Intercom, "base_url", None)
        monkeypatch.setattr(intercom.Intercom, "max_retries", 0)
        accounts = [dict(base_url=a.base_url, **a.credentials),
                    dict(base_url=b.base_url, **b.credentials)]
        intercom.Intercom.configure(**accounts[0])
        stop = threading.Event()
        failures: list[BaseException] = []
        seen: set[int] = set()

        def reader() -> None:
            while not stop.is_set():
                try:
                    seen.add(intercom.Contact.all().count())
                except Exception as exc:  # noqa: BLE001 - any failure is the bug
                    failures.append(exc)

        threads = [threading.Thread(target=reader) for _ in range(3)]
        for t in threads:
            t.start()
        for i in range(200):
            intercom.Intercom.configure(**accounts[i % 2])
        stop.set()
        for t in threads:
            t.join()
        assert failures == []
        assert seen <= {3, 4}
        with pytest.raises(ConfigurationError, match="acces_token") as info:
            intercom.Intercom.configure(acces_token="sekret")
        assert "sekret" not in str(info.value)


def test_object_remembers_the_account_that_loaded_it(monkeypatch):
    """Loaded from A with class-level settings, saved after they switched to B: A is changed."""
    with serve("intercom", seed=1, contacts=3) as a, serve("intercom", seed=2, contacts=3) as b:
        monkeypatch.setattr(intercom.Intercom, "max_retries", 0)
        intercom.Intercom.configure(base_url=a.base_url, **a.credentials)
        contact = intercom.Contact.all().first()
        note_owner = intercom.Contact.ref(contact.id)
        intercom.Intercom.configure(base_url=b.base_url, **b.credentials)
        contact.name = "Renamed in A"
        contact.save()
        assert contact.account.http.base_url == a.base_url
        assert [r.method for r in b.requests if r.method != "GET"] == []
        assert intercom.connect(base_url=a.base_url, **a.credentials).Contact.find(
            id=contact.id).name == "Renamed in A"
        # a ref built while A was the class-level account stays with A
        assert note_owner.account.http.base_url == a.base_url
        # a new object belongs to the account it is created in
        created = intercom.Contact.create(email="new-in-b@example.com")
        assert created.account.http.base_url == b.base_url
        intercom.Intercom.configure(base_url=a.base_url, **a.credentials)
        created.name = "still B"
        created.save()
        assert [r.method for r in a.requests if r.path.startswith("/contacts/")
                and r.method == "PUT"] == ["PUT"]
    intercom.Intercom.configure(access_token=None, base_url=None)


def test_connect_rejects_unknown_options_without_echoing_values():
    from chatmodels.errors import ConfigurationError

    with pytest.raises(ConfigurationError) as info:
        intercom.Intercom.connect(acces_token="sekret-value", base_url="http://127.0.0.1:9")
    text = str(info.value)
    assert "acces_token" in text and "access_token" in text and "sekret-value" not in text


def test_find_names_what_was_looked_up(api, sim):
    from chatmodels.errors import ResourceNotFound, ValidationError

    with pytest.raises(ResourceNotFound) as info:
        api.Contact.find(id="nope-123")
    assert info.value.lookup == {"id": "nope-123"}
    assert "Contact id='nope-123' not found" in str(info.value)
    with pytest.raises(ResourceNotFound) as info:
        api.Contact.find(email="nobody@example.com")
    assert "email='nobody@example.com'" in str(info.value)
    assert api.Contact.lookups() == ("id", "email", "external_id")
    with pytest.raises(ValidationError) as info:
        api.Contact.find(foo="bar")
    assert info.value.field == "foo" and info.value.status is None
    assert "lookups: id, email, external_id" in str(info.value)
    with pytest.raises(ValidationError, match="needs a lookup"):
        api.Contact.find()
    assert not [r for r in sim.requests if r.path.startswith("/contacts")
                and r.method == "GET" and "foo" in r.query]


def test_crisp_object_remembers_its_website_and_account(monkeypatch):
    from chatmodels import crisp

    with serve("crisp", seed=1, contacts=3) as a, serve("crisp", seed=2, contacts=3) as b:
        monkeypatch.setattr(crisp.Crisp, "max_retries", 0)
        crisp.Crisp.configure(base_url=a.base_url, **a.credentials)
        person = crisp.Contact.all().first()
        crisp.Crisp.configure(base_url=b.base_url, **b.credentials)
        person.name = "Renamed on website A"
        person.save()
        writes = [r for r in a.requests if r.method == "PATCH"]
        assert writes and all(a.credentials["website_id"] in r.path for r in writes)
        assert not [r for r in b.requests if r.method != "GET"]
    crisp.Crisp.configure(identifier=None, key=None, website_id=None, base_url=None)


def test_nested_listings_follow_the_object_account(monkeypatch):
    """After the class-level account switched, an object's nested listings still use the
    account that loaded it (the classes it hands out are bound to that account)."""
    with serve("intercom", seed=1, contacts=3) as a, serve("intercom", seed=2, contacts=3) as b:
        monkeypatch.setattr(intercom.Intercom, "max_retries", 0)
        intercom.Intercom.configure(base_url=a.base_url, **a.credentials)
        contact = intercom.Contact.all().first()
        intercom.Intercom.configure(base_url=b.base_url, **b.credentials)
        before = len(b.requests)
        tags = contact.list_tags()
        notes = list(contact.notes.all())
        assert all(t.account is contact.account for t in tags)
        assert all(n.account is contact.account for n in notes)
        assert len(b.requests) == before
    intercom.Intercom.configure(access_token=None, base_url=None)


def test_a_limit_keeps_one_page_size_across_numbered_pages():
    """Page-number paging: the last page of .page_size(30).limit(65) is page 3 of 30-item
    pages, trimmed, never page 3 of 5-item pages (which would repeat items 11-15)."""
    from chatmodels import crisp

    with serve("crisp", seed=4, contacts=80) as sim:
        api = crisp.connect(base_url=sim.base_url, **sim.credentials)
        every = [c.id for c in api.Contact.all().page_size(30)]
        limited = [c.id for c in api.Contact.all().page_size(30).limit(65)]
        assert limited == every[:65] and len(set(limited)) == 65
        sizes = {r.query.get("per_page") for r in sim.requests if "/people/profiles/" in r.path}
        assert sizes == {"30"}

"""Class-level defaults, bound namespaces, several accounts, several threads, redaction."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor

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

"""Tests of the Brevo API v3 simulator with plain ``requests``: bodies, statuses, headers,
paging, fault injection, seeding and the webhook outbox."""

from __future__ import annotations

import json
import pathlib

import pytest
import requests

from chatmodels.testing import serve

STUBS = pathlib.Path(__file__).parent.parent / "data" / "brevo" / "wiremock-mappings.sdk-v4.json"


@pytest.fixture(scope="module")
def sim():
    with serve("brevo", seed=21, contacts=75, companies=3, notes=4, events=5,
               conversations=5) as s:
        yield s


@pytest.fixture(autouse=True)
def _fresh(sim):
    sim.reset()
    yield
    sim.reset()


@pytest.fixture
def http(sim):
    session = requests.Session()
    session.headers["api-key"] = sim.credentials["api_key"]

    def call(method, path, **kwargs):
        return session.request(method, sim.base_url + path, timeout=10, **kwargs)
    yield call
    session.close()


def _stub_keys(method: str, path: str) -> set[str]:
    for stub in json.loads(STUBS.read_text())["mappings"]:
        req = stub["request"]
        if req["method"] == method and (req.get("urlPathTemplate") or req.get("urlPath")) == path:
            body = json.loads(stub["response"]["body"])
            return set(body if isinstance(body, dict) else body[0])
    raise LookupError(path)


def test_auth(sim, http):
    assert requests.get(sim.base_url + "/contacts", timeout=5).json() == {
        "code": "unauthorized", "message": "Key not found"}
    answer = requests.get(sim.base_url + "/contacts", headers={"api-key": "x"}, timeout=5)
    assert answer.status_code == 401
    assert sim.requests[-1].headers["Api-Key"] == "***"
    assert http("GET", "/contacts").status_code == 200


def test_rate_limit_headers_on_every_answer(sim, http):
    ok = http("GET", "/contacts/folders")
    assert ok.headers["x-sib-ratelimit-limit"] == "300"
    assert int(ok.headers["x-sib-ratelimit-remaining"]) <= 299
    assert 0 <= int(ok.headers["x-sib-ratelimit-reset"]) <= 1
    sim.rate_limit(2, window=3600)
    http("GET", "/contacts/folders")
    http("GET", "/contacts/folders")
    refused = http("GET", "/contacts/folders")
    assert refused.status_code == 429
    assert refused.json() == {"code": "too_many_requests",
                              "message": "The expected rate limit is exceeded."}
    assert refused.headers["x-sib-ratelimit-remaining"] == "0"
    assert 0 < int(refused.headers["x-sib-ratelimit-reset"]) <= 3600


def test_contact_list_shape_matches_the_published_example(sim, http):
    body = http("GET", "/contacts", params={"limit": 2}).json()
    assert body["count"] == 75 and len(body["contacts"]) == 2
    published = _stub_keys("GET", "/contacts")
    assert set(body) == published
    assert set(body["contacts"][0]) <= {"email", "id", "emailBlacklisted", "smsBlacklisted",
                                        "createdAt", "modifiedAt", "attributes", "listIds",
                                        "listUnsubscribed"}


def test_offset_paging_and_limits(sim, http):
    seen = []
    for offset in range(0, 75, 20):
        page = http("GET", "/contacts", params={"limit": 20, "offset": offset}).json()
        seen += [c["id"] for c in page["contacts"]]
    assert seen == list(range(75, 0, -1))
    asc = http("GET", "/contacts", params={"limit": 3, "sort": "asc"}).json()
    assert [c["id"] for c in asc["contacts"]] == [1, 2, 3]
    too_big = http("GET", "/contacts", params={"limit": 1001})
    assert (too_big.status_code, too_big.json()["code"]) == (400, "out_of_range")
    assert http("GET", "/contacts/lists", params={"limit": 51}).status_code == 400


def test_contact_lifecycle_statuses(sim, http):
    created = http("POST", "/contacts", json={"email": "new@example.com",
                                              "attributes": {"firstname": "New"}})
    assert (created.status_code, created.json()) == (201, {"id": 76})
    dup = http("POST", "/contacts", json={"email": "NEW@example.com"})
    assert dup.json() == {"code": "duplicate_parameter", "message": "Contact already exist"}
    upsert = http("POST", "/contacts", json={"email": "new@example.com", "updateEnabled": True,
                                             "attributes": {"LASTNAME": "Person"}})
    assert (upsert.status_code, upsert.content) == (204, b"")
    got = http("GET", "/contacts/new%40example.com").json()
    assert got["attributes"] == {"FIRSTNAME": "New", "LASTNAME": "Person"}
    assert http("PUT", "/contacts/76", json={"attributes": {"PLAN": "pro"}}).status_code == 204
    assert http("GET", "/contacts/76", params={"identifierType": "email_id"}).status_code == 404
    assert http("GET", "/contacts/76", params={"identifierType": "bogus"}).status_code == 400
    assert http("DELETE", "/contacts/76").status_code == 204
    gone = http("GET", "/contacts/76")
    assert gone.json() == {"code": "document_not_found", "message": "Contact does not exist"}


def test_list_membership_limits(sim, http):
    too_many = http("POST", "/contacts/lists/1/contacts/add", json={"ids": list(range(1, 152))})
    assert (too_many.status_code, too_many.json()["code"]) == (400, "out_of_range")
    for cid in (1, 2):
        if 1 in sim.state.contacts[cid]["listIds"]:
            sim.state.contacts[cid]["listIds"].remove(1)
    first = http("POST", "/contacts/lists/1/contacts/add", json={"ids": [1, 2, 999]})
    assert (first.status_code, first.json()) == (
        201, {"contacts": {"success": [1, 2], "failure": [999]}})
    again = http("POST", "/contacts/lists/1/contacts/add", json={"ids": [1, 2]})
    assert again.json() == {"code": "invalid_parameter",
                            "message": "Contact already in list and/or does not exist"}
    missing_list = http("POST", "/contacts/lists/99/contacts/add", json={"ids": [1]})
    assert missing_list.status_code == 404


def test_folder_and_list_bodies(sim, http):
    lists = http("GET", "/contacts/lists").json()
    assert lists["count"] == 3 and set(lists) == _stub_keys("GET", "/contacts/lists")
    assert set(lists["lists"][0]) == {"id", "name", "totalBlacklisted", "totalSubscribers",
                                      "uniqueSubscribers", "folderId"}
    one = http("GET", "/contacts/lists/1").json()
    assert {"createdAt", "dynamicList", "campaignStats"} <= set(one)
    made = http("POST", "/contacts/lists", json={"name": "x"})
    assert (made.status_code, made.json()["code"]) == (400, "missing_parameter")
    both = http("PUT", "/contacts/lists/1", json={"name": "a", "folderId": 2})
    assert both.status_code == 400


def test_conversation_message_bodies(sim, http):
    sent = http("POST", "/conversations/messages",
                json={"visitorId": "v1", "text": "Hi", "agentId": "d9nKoegKSjmCtyK78",
                      "receivedFrom": "Desk"})
    body = sent.json()
    assert sent.status_code == 200
    assert set(body) <= _stub_keys("POST", "/conversations/messages") | {"visitorId"}
    assert (body["type"], body["isPushed"], body["receivedFrom"]) == ("agent", False, "Desk")
    assert len(body["id"]) == 17
    assert http("POST", "/conversations/messages", json={"visitorId": "v1"}).json() == {
        "code": "missing_parameter", "message": "text is missing"}
    assert http("DELETE", f"/conversations/messages/{body['id']}").status_code == 204
    ping = http("POST", "/conversations/agentOnlinePing", json={"agentId": "d9nKoegKSjmCtyK78"})
    assert (ping.status_code, ping.content) == (201, b"")


def test_crm_statuses(sim, http):
    company = http("POST", "/companies", json={"name": "Acme"})
    assert company.status_code == 200 and len(company.json()["id"]) == 24
    note = http("POST", "/crm/notes", json={"text": "hi", "contactIds": [1]})
    assert note.status_code == 200
    assert http("PATCH", f"/crm/notes/{note.json()['id']}", json={}).status_code == 400
    assert http("POST", "/events", json={"event_name": "x",
                                         "identifiers": {"email_id": "z@example.com"}}
                ).status_code == 204
    assert sim.state.find_contact("z@example.com", "email_id") is not None
    notes = http("GET", "/crm/notes").json()
    assert isinstance(notes, list) and len(notes) == 5


def test_fault_injection_uses_brevo_bodies(sim, http):
    sim.fail(status=404, path="/v3/contacts/folders")
    answer = http("GET", "/contacts/folders")
    assert answer.json() == {"code": "document_not_found", "message": "Document not found"}
    sim.fail(status=503, path="/v3/contacts/folders")
    assert http("GET", "/contacts/folders").json()["code"] == "internal_error"
    assert http("GET", "/nope").json()["code"] == "document_not_found"
    bad = requests.post(sim.base_url + "/contacts", data="{", timeout=5,
                        headers={"api-key": sim.credentials["api_key"]})
    assert bad.json() == {"code": "bad_request", "message": "Input must be a valid JSON object"}


def test_seeding_is_deterministic_and_outbox_is_seeded():
    with serve("brevo", seed=4, contacts=10, conversations=3) as a, \
            serve("brevo", seed=4, contacts=10, conversations=3) as b:
        assert a.state.contacts == b.state.contacts
        assert a.outbox == b.outbox and a.credentials["api_key"] == b.credentials["api_key"]
        assert {p["eventName"] for p in a.outbox} <= {
            "conversationStarted", "conversationFragment", "conversationTranscript"}
        started = [p for p in a.outbox if p["eventName"] == "conversationStarted"]
        assert len(started) == 3
        a.seed(contacts=5)
        assert len(a.state.contacts) == 15

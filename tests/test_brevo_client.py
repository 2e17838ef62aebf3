"""Brevo client: settings and auth, errors, rate-limit state, paging, retries, secret hygiene,
and the declared operations checked against Brevo's published routes."""

from __future__ import annotations

import json
import logging
import pathlib
import re
import socket
import threading

import pytest

from chatmodels import brevo, errors
from chatmodels.brevo.resources import RESOURCES
from chatmodels.http import RetryPolicy
from chatmodels.testing import serve

DATA = pathlib.Path(__file__).parent / "data" / "brevo"
FAST = RetryPolicy(max_retries=3, backoff_factor=0.01, max_backoff=0.05, max_wait=5)


@pytest.fixture(scope="module")
def served():
    with serve("brevo", seed=3, contacts=230, conversations=4) as sim:
        yield sim


@pytest.fixture
def sim(served):
    served.reset()
    yield served
    served.reset()


@pytest.fixture
def api(sim):
    client = brevo.connect(base_url=sim.base_url, retry=FAST, **sim.credentials)
    yield client
    client.close()


# -- settings and auth ---------------------------------------------------------------------------
def test_api_key_header_and_env(sim, monkeypatch):
    monkeypatch.setenv("BREVO_API_KEY", sim.credentials["api_key"])
    monkeypatch.setenv("BREVO_BASE_URL", sim.base_url)
    monkeypatch.setattr(brevo.Brevo, "max_retries", 0)
    contact = brevo.Contact.all().first()
    assert contact.id == 230
    sent = sim.requests[-1]
    assert sent.headers["Api-Key"] == "***"  # recorded redacted
    assert sent.path == "/v3/contacts" and sent.query == {"offset": "0", "limit": "1"}


def test_missing_key_is_a_configuration_error(monkeypatch):
    monkeypatch.delenv("BREVO_API_KEY", raising=False)
    with pytest.raises(errors.ConfigurationError, match="BREVO_API_KEY"):
        brevo.connect(base_url="http://127.0.0.1:9")
    with pytest.raises(errors.ConfigurationError, match="unknown connect"):
        brevo.Brevo.connect(api_key="k", token="x")


def test_partner_key_is_sent_checked_and_never_shown(sim, caplog):
    caplog.set_level(logging.DEBUG, logger="chatmodels")
    good = brevo.connect(base_url=sim.base_url, partner_key=sim.partner_key,
                         **sim.credentials)
    good.Folder.all().first()
    assert sim.requests[-1].headers["Partner-Key"] == "***"
    bad = brevo.connect(base_url=sim.base_url, partner_key="nope", max_retries=0,
                        **sim.credentials)
    with pytest.raises(errors.AuthenticationError) as info:
        bad.Folder.all().first()
    assert (info.value.status, info.value.code) == (401, "unauthorized")
    for text in (caplog.text, repr(good.http), str(info.value), repr(info.value)):
        assert sim.partner_key not in text and sim.credentials["api_key"] not in text


def test_wrong_key_is_401_unauthorized(sim):
    api = brevo.connect(base_url=sim.base_url, api_key="xkeysib-wrong", max_retries=0)
    with pytest.raises(errors.AuthenticationError) as info:
        api.Contact.find(1)
    assert info.value.body == {"code": "unauthorized", "message": "Key not found"}


# -- errors -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("status,cls,code", [
    (400, errors.BadRequestError, "bad_request"),
    (401, errors.AuthenticationError, "unauthorized"),
    (402, errors.PermissionDenied, "not_enough_credits"),
    (403, errors.PermissionDenied, "permission_denied"),
    (404, errors.ResourceNotFound, "document_not_found"),
    (422, errors.ValidationError, "unprocessable_entity"),
    (429, errors.RateLimitExceeded, "too_many_requests"),
    (500, errors.ServerError, "internal_error"),
    (503, errors.ServiceUnavailableError, "internal_error"),
])
def test_errors_are_typed(api, sim, status, cls, code):
    api.http.retry = RetryPolicy(max_retries=0)
    sim.fail(status=status, path="/v3/contacts/lists")
    with pytest.raises(cls) as info:
        api.Tag.all().first()
    assert (info.value.status, info.value.code, info.value.provider) == (status, code, "brevo")


def test_provider_codes_refine_the_status(api, sim):
    with pytest.raises(errors.ResourceNotFound) as info:
        api.Contact.find(email="nobody@example.com")
    assert info.value.code == "document_not_found"
    assert info.value.lookup == {"email": "nobody@example.com"}
    api.Contact.create(email="twice@example.com")
    with pytest.raises(errors.ConflictError) as dup:
        api.Contact.create(email="twice@example.com")
    assert (dup.value.status, dup.value.code) == (400, "duplicate_parameter")
    with pytest.raises(errors.ValidationError) as bad:
        api.Contact.create(email="x@example.com", custom_attributes={"NOPE": 1})
    assert (bad.value.status, bad.value.code) == (400, "invalid_parameter")


def _scripted_server(answer: bytes):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(4)

    def run():
        while True:
            try:
                conn, _ = sock.accept()
            except OSError:
                return
            conn.recv(65536)
            conn.sendall(answer)
            conn.close()
    threading.Thread(target=run, daemon=True).start()
    return sock


@pytest.mark.parametrize("body,cls", [
    (b"[1,2]", errors.BadRequestError),
    (b"not json at all", errors.BadRequestError),
    (b'{"code": 5, "message": ["x"]}', errors.BadRequestError),
    (b'{"code": "document_not_found"}', errors.ResourceNotFound),
])
def test_any_error_body_gives_a_typed_error(body, cls):
    head = (f"HTTP/1.1 400 Bad Request\r\nContent-Length: {len(body)}\r\n"
            "Content-Type: application/json\r\nConnection: close\r\n\r\n").encode()
    sock = _scripted_server(head + body)
    try:
        api = brevo.connect(api_key="k", base_url=f"http://127.0.0.1:{sock.getsockname()[1]}",
                            max_retries=0)
        with pytest.raises(cls) as info:
            api.Folder.all().first()
        assert info.value.status == 400
    finally:
        sock.close()


# -- rate limits ----------------------------------------------------------------------------------
def test_rate_limit_headers_fill_the_state(api, sim):
    sim.rate_limit(5, window=60)
    api.Folder.all().first()
    state = api.rate_limit
    assert (state.limit, state.remaining) == (5, 4)
    assert state.reset_at is not None


def test_429_is_retried_after_the_reset_brevo_gives(api, sim):
    waits = []
    api.http._sleep = waits.append
    sim.throttle(times=1, retry_after=2, path="/v3/contacts/folders")
    assert api.Folder.all().first() is not None
    assert len(waits) == 1 and 2.0 <= waits[0] <= 3.0  # x-sib-ratelimit-reset: 2
    assert [r.status for r in sim.requests[-2:]] == [429, 200]
    assert sim.requests[-2].path == "/v3/contacts/folders"


def test_429_body_and_retry_after_from_the_reset_header(api, sim):
    api.http.retry = RetryPolicy(max_retries=0)
    sim.throttle(times=1, retry_after=7)
    with pytest.raises(errors.RateLimitExceeded) as info:
        api.Folder.all().first()
    assert info.value.retry_after == 7
    assert info.value.body == {"code": "too_many_requests",
                               "message": "The expected rate limit is exceeded."}
    assert info.value.headers["x-sib-ratelimit-remaining"] == "0"


def test_pacing_waits_for_the_window_when_the_quota_is_spent(api, sim):
    sim.rate_limit(3, window=3600)
    waits = []
    api.http._sleep = waits.append
    api.http.retry = RetryPolicy(max_retries=0, max_wait=4000)
    api.http.pace = True
    for _ in range(3):
        api.Folder.all().first()
    assert len(waits) == 1 and 0 < waits[0] <= 3601  # paced before the quota ran out
    assert all(r.status == 200 for r in sim.requests)


# -- paging -----------------------------------------------------------------------------------------
def test_paging_walks_limit_offset_over_many_pages(api, sim):
    contacts = api.Contact.all().page_size(50).to_list()
    assert len(contacts) == 230
    assert [c.id for c in contacts] == list(range(230, 0, -1))  # Brevo's default: newest first
    queries = [(r.query["offset"], r.query["limit"]) for r in sim.requests]
    assert queries == [("0", "50"), ("50", "50"), ("100", "50"), ("150", "50"), ("200", "50")]
    assert api.Contact.count() == 230
    assert sim.requests[-1].query == {"offset": "0", "limit": "1"}


def test_page_size_is_capped_per_route(api, sim):
    api.Contact.all().page_size(5000).first()
    assert sim.requests[-1].query["limit"] == "1"
    assert len(list(api.Contact.all().page_size(5000).limit(1200))) == 230
    assert [r.query["limit"] for r in sim.requests] == ["1", "1000"]  # one short page: done
    list(api.Tag.all().page_size(500))
    assert sim.requests[-1].query["limit"] == "50"


def test_unknown_filters_are_refused_locally(api, sim):
    with pytest.raises(errors.ValidationError, match="no filter 'colour'"):
        api.Contact.all(colour="red").first()
    assert sim.requests == []


# -- retries ----------------------------------------------------------------------------------------
def test_reads_are_retried_creates_are_not(api, sim):
    sim.fail(status=502, times=1, path="/v3/contacts/folders")
    assert api.Folder.all().first() is not None
    sim.fail(status=502, times=1, method="POST", path="/v3/contacts")
    with pytest.raises(errors.ServerError):
        api.Contact.create(email="once@example.com")
    assert [r.method for r in sim.requests[-1:]] == ["POST"]
    assert len([r for r in sim.requests if r.method == "POST"]) == 1


def test_a_dropped_list_add_is_resent_safely(api, sim):
    contact = api.Contact.create(email="drop@example.com")
    tag = api.Tag.find(1)
    sim.drop(times=1, method="POST", path="/v3/contacts/lists/1/contacts/add", after_apply=True)
    result = tag.tag(contacts=[contact])
    assert result == {"success": [], "failure": [contact.id]}  # already in the list the 2nd time
    assert 1 in api.Contact.find(contact.id).list_ids


# -- secrets ----------------------------------------------------------------------------------------
def test_secrets_never_in_logs_reprs_or_errors(api, sim, caplog):
    key = sim.credentials["api_key"]
    caplog.set_level(logging.DEBUG, logger="chatmodels")
    caplog.set_level(logging.DEBUG, logger="urllib3")
    api.Contact.create(email="logme@example.com")
    bad = brevo.connect(base_url=sim.base_url, api_key=key + "x", max_retries=0)
    with pytest.raises(errors.AuthenticationError) as info:
        bad.Contact.find(1)
    assert "POST /contacts" in caplog.text
    for text in (caplog.text, repr(api), repr(api.http), repr(bad.http),
                 str(info.value), repr(info.value), repr(api.Contact.all().first())):
        assert key not in text
    assert all(r.headers.get("Api-Key") == "***" for r in sim.requests)


# -- declared operations vs Brevo's published routes ---------------------------------------------
def _published_routes() -> set[tuple[str, str]]:
    stubs = json.loads((DATA / "wiremock-mappings.sdk-v4.json").read_text())["mappings"]
    routes = set()
    for stub in stubs:
        request = stub["request"]
        path = request.get("urlPathTemplate") or request.get("urlPath") or request["url"]
        routes.add((request["method"], re.sub(r"\{[^}]+\}", "{}", path)))
    return routes


def test_every_declared_operation_is_a_published_route():
    published = _published_routes()
    seen = set()
    for name, cls in RESOURCES.items():
        for op in cls.operations.values():
            route = (op.method, re.sub(r"\{[^}]+\}", "{}", op.path))
            assert route in published, (name, op.describe())
            seen.add(route)
    conversations = {r for r in published if r[1].startswith("/conversations")}
    assert conversations <= seen  # every Conversations operation is reachable


def test_the_published_example_answers_load(api):
    stubs = json.loads((DATA / "wiremock-mappings.sdk-v4.json").read_text())["mappings"]
    answers = {(s["request"]["method"], s["request"].get("urlPathTemplate")
                or s["request"].get("urlPath")): json.loads(s["response"]["body"] or "null")
               for s in stubs}
    contact = brevo.Contact.from_wire(answers[("GET", "/contacts/{identifier}")])
    assert (contact.id, contact.email, contact.list_ids) == (42, "peggy.rain@example.com", [40])
    assert contact.created_at.isoformat() == "2017-05-02T16:40:31+00:00"
    message = brevo.Message.from_wire(answers[("GET", "/conversations/messages/{id}")])
    assert (message.id, message.agent_id, message.author_type) == (
        "eYBEm3gq3zc5ayE2g", "d9nKoegKSjmCtyK78", "bot")
    assert message.created_at.isoformat() == "2016-12-23T17:06:43.740000+00:00"
    note = brevo.Note.from_wire(answers[("GET", "/crm/notes/{id}")])
    assert (note.contact_id, note.author_id) == (247, "61a5ce58y5d4795761045991")
    company = brevo.Company.from_wire(answers[("GET", "/companies/{id}")])
    assert (company.name, company.website, company.linked_contact_ids) == ("text", "xyz",
                                                                         [1, 2, 3])
    event = brevo.Event.from_wire(answers[("GET", "/events")]["events"][0])
    assert (event.name, event.contact_id, event.metadata["duration"]) == ("order_created", 211,
                                                                          142)
    fields = [brevo.ContactField.from_wire(a)
              for a in answers[("GET", "/contacts/attributes")]["attributes"]]
    gender = next(f for f in fields if f.name == "GENDER")
    assert (gender.id, gender.data_type, gender.options) == ("category/GENDER", "list",
                                                             ["Men", "Women", "Kid"])

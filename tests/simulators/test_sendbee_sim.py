"""The Sendbee simulator over raw HTTP (plain ``requests``): auth and token age, envelope,
paging, state, the 24-hour window, templates, rate limit, faults, determinism."""

from __future__ import annotations

import time

import pytest
import requests

from chatmodels.sendbee.auth import make_token
from chatmodels.testing import serve


@pytest.fixture(scope="module")
def sendbee_sim():
    with serve("sendbee", seed=11, contacts=30, conversations=12) as sim:
        yield sim


@pytest.fixture
def sim(sendbee_sim):
    sendbee_sim.reset()
    yield sendbee_sim
    sendbee_sim.clear_faults()


def _headers(sim, *, key=None, secret=None, ts=None):
    return {"X-Api-Key": key if key is not None else sim.credentials["api_key"],
            "X-Auth-Token": make_token(secret or sim.credentials["api_secret"], ts),
            "Accept": "application/json"}


def call(sim, method, path, *, params=None, json=None, **auth):
    return requests.request(method, sim.base_url + path, params=params, json=json,
                            headers=_headers(sim, **auth), timeout=10)


def _window_conv(sim, inside: bool):
    return next(c for c in sim.state.conversations.values() if sim.state.in_window(c) is inside)


# -- auth ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("auth", [
    {"key": ""}, {"key": "wrong-key"}, {"secret": "wrong-secret"},
    {"age": 16 * 60},             # older than 15 minutes
    {"age": 30 * 24 * 3600},      # a month old (the official client accepts it)
    {"age": -5 * 60},             # from the future
])
def test_bad_key_or_token_is_401(sim, auth):
    auth = dict(auth)
    if "age" in auth:  # the token's time is taken when the test runs, not when it is collected
        auth["ts"] = time.time() - auth.pop("age")
    resp = call(sim, "GET", "/contacts", **auth)
    assert resp.status_code == 401
    assert resp.json()["error"]["type"] == "authentication_failed"
    assert set(resp.json()["error"]) == {"detail", "type"}


def test_malformed_and_missing_token_is_401(sim):
    for token in (None, "garbage", "bm90LWEtdG9rZW4="):
        headers = {"X-Api-Key": sim.credentials["api_key"]}
        if token:
            headers["X-Auth-Token"] = token
        resp = requests.get(sim.base_url + "/contacts", headers=headers, timeout=10)
        assert resp.status_code == 401


def test_recent_token_is_accepted_and_headers_are_redacted_in_the_log(sim):
    assert call(sim, "GET", "/contacts", ts=time.time() - 14 * 60).status_code == 200
    logged = sim.requests[-1].headers
    assert logged["X-Api-Key"] == "***" and logged["X-Auth-Token"] == "***"


# -- envelope and paging ------------------------------------------------------------------------
def test_list_envelope_and_page_numbers(sim):
    total = len(sim.state.contacts)
    body = call(sim, "GET", "/contacts", params={"page": 2, "limit": 7}).json()
    assert len(body["data"]) == 7
    assert body["meta"] == {"total": total, "per_page": 7, "current_page": 2,
                            "last_page": -(-total // 7), "from": 8, "to": 14}
    assert body["links"]["next"].endswith("/contacts?page=3")
    assert body["links"]["prev"].endswith("/contacts?page=1")
    past = call(sim, "GET", "/contacts", params={"page": 99, "limit": 7}).json()
    assert past["data"] == [] and past["meta"]["last_page"] == -(-total // 7)
    default = call(sim, "GET", "/contacts").json()
    assert default["meta"]["per_page"] == 10


@pytest.mark.parametrize("params", [{"limit": 101}, {"limit": 0}, {"page": 0},
                                    {"page": "x"}])
def test_bad_paging_parameters_are_400(sim, params):
    resp = call(sim, "GET", "/contacts", params=params)
    assert resp.status_code == 400 and resp.json()["error"]["type"] == "validation_error"


def test_single_object_envelope_and_unknown_route(sim):
    conv_id = next(iter(sim.state.conversations))
    body = call(sim, "GET", "/conversation", params={"conversation_id": conv_id}).json()
    assert set(body) == {"data"} and body["data"]["id"] == conv_id
    resp = call(sim, "GET", "/nothing-here")
    assert resp.status_code == 404
    assert resp.json() == {"error": {"detail": "Endpoint not found", "type": "not_found"}}


def test_query_is_decoded_plus_and_space_survive(sim):
    phone = "+385991112223"
    call(sim, "POST", "/contacts/subscribe", json={"phone": phone, "name": "Ana Marija"})
    by_phone = call(sim, "GET", "/contacts", params={"search_query": phone}).json()["data"]
    by_name = call(sim, "GET", "/contacts", params={"search_query": "ana marija"}).json()["data"]
    assert [c["phone"] for c in by_phone] == [phone] == [c["phone"] for c in by_name]
    assert sim.requests[-2].query["search_query"] == phone
    # what the official client does: an unencoded "+" arrives as a space
    requests.get(f"{sim.base_url}/contacts?search_query={phone}", timeout=10,
                 headers=_headers(sim))
    assert sim.requests[-1].query["search_query"] == " " + phone[1:]


# -- state --------------------------------------------------------------------------------------
def test_subscribe_update_notes_and_fields(sim):
    created = call(sim, "POST", "/contacts/subscribe", json={
        "phone": "+385991234567", "name": "Ann", "tags": ["vip", "fresh"],
        "contact_fields": {"package": "pro"}, "notes": ["first"]}).json()["data"]
    assert [t["name"] for t in created["tags"]] == ["vip", "fresh"]
    assert created["contact_fields"] == [{"key": "package", "value": "pro"}]
    assert [n["value"] for n in created["notes"]] == ["first"]
    body = call(sim, "PUT", "/contacts", json={"id": created["id"], "notes": ["second"],
                                               "contact_fields": {"package": "team",
                                                                  "ghost": 1}}).json()
    assert [n["value"] for n in body["data"]["notes"]] == ["first", "second"]
    assert body["data"]["contact_fields"] == [{"key": "package", "value": "team"}]
    assert body["warning"] == "Contact field 'ghost' does not exist and was ignored."
    again = call(sim, "POST", "/contacts/subscribe", json={"phone": "+385991234567"}).json()
    assert again["data"]["id"] == created["id"]        # subscribing twice finds the contact
    bad = call(sim, "POST", "/contacts/subscribe", json={"phone": "385 99"})
    assert bad.status_code == 400


def test_delete_tag_reads_the_json_body(sim):
    tag = next(t for t in sim.state.tags.values() if t["name"] == "vip")
    tagged = [c for c in sim.state.contacts.values() if tag["id"] in c["tags"]]
    resp = call(sim, "DELETE", "/contacts/tags", json={"id": tag["id"]})
    assert resp.json() == {"data": {"message": "Tag deleted"}}
    assert tag["id"] not in sim.state.tags and all(tag["id"] not in c["tags"] for c in tagged)
    assert call(sim, "DELETE", "/contacts/tags", json={"id": tag["id"]}).status_code == 404
    assert call(sim, "DELETE", "/contacts/tags").status_code == 400


def test_contact_field_rules(sim):
    ok = call(sim, "POST", "/contacts/fields", json={"name": "size", "type": "list",
                                                     "options": ["S", "M"]})
    assert ok.json()["data"]["options"] == ["S", "M"]
    assert call(sim, "POST", "/contacts/fields", json={"name": "size", "type": "text"}
                ).status_code == 400
    assert call(sim, "POST", "/contacts/fields", json={"name": "x", "type": "list"}
                ).status_code == 400
    contact = next(iter(sim.state.contacts.values()))
    bad = call(sim, "PUT", "/contacts", json={"id": contact["id"],
                                              "contact_fields": {"size": "XL"}})
    assert bad.status_code == 400


# -- WhatsApp rules -----------------------------------------------------------------------------
def test_free_form_only_inside_the_24_hour_window(sim):
    state = sim.state
    conv = _window_conv(sim, inside=False)
    phone = state.contacts[conv["contact_id"]]["phone"]
    refused = call(sim, "POST", "/conversations/messages/send", json={"phone": phone,
                                                                      "text": "hi"})
    assert refused.status_code == 400
    assert refused.json()["error"]["type"] == "messaging_window_closed"
    state.add_message(conv, body="hello?", direction="inbound")      # the contact writes
    sent = call(sim, "POST", "/conversations/messages/send", json={"phone": phone,
                                                                   "text": "hi"}).json()
    assert sent["data"]["id"] == conv["id"] and sent["data"]["status"] == "sent"
    assert state.messages[conv["id"]][-1]["body"] == "hi"
    unknown = call(sim, "POST", "/conversations/messages/send",
                   json={"phone": "+385990000001", "text": "hi"})
    assert unknown.json()["error"]["type"] == "messaging_window_closed"


def test_templates_render_and_are_checked(sim):
    state = sim.state
    conv = _window_conv(sim, inside=False)
    phone = state.contacts[conv["contact_id"]]["phone"]
    body = {"phone": phone, "template_keyword": "order_update", "language": "en",
            "tags": {"1": "Ann", "2": "#42"}, "prevent_bot_off": True}
    conv["chatbot_active"] = True
    assert call(sim, "POST", "/conversations/messages/templates/send", json=body
                ).status_code == 200
    assert state.messages[conv["id"]][-1]["body"] == "Hi Ann, your order #42 has shipped."
    assert conv["chatbot_active"] is True                # prevent_bot_off
    for change, status in (({"tags": {"1": "Ann"}}, 400), ({"language": "de"}, 404),
                           ({"template_keyword": "winback", "tags": {"1": "x"}}, 400)):
        assert call(sim, "POST", "/conversations/messages/templates/send",
                    json={**body, **change}).status_code == status


def test_chatbot_switch_and_status(sim):
    conv_id = next(iter(sim.state.conversations))
    assert call(sim, "PUT", "/automation/chatbot/activity",
                json={"conversation_id": conv_id, "active": False}).status_code == 200
    status = call(sim, "GET", "/automation/chatbot/activity/status",
                  params={"conversation_id": conv_id}).json()
    assert status == {"data": {"conversation_id": conv_id, "chatbot_active": False}}
    assert call(sim, "PUT", "/automation/chatbot/activity",
                json={"conversation_id": conv_id, "active": "maybe"}).status_code == 400


def test_conversation_folder_move(sim):
    conv_id = next(iter(sim.state.conversations))
    body = call(sim, "POST", "/conversation", json={"conversation_id": conv_id,
                                                    "folder": "done"}).json()
    assert body["data"]["folder"] == "done" == sim.state.conversations[conv_id]["folder"]
    assert call(sim, "POST", "/conversation", json={"conversation_id": conv_id,
                                                    "folder": "spam"}).status_code == 400


# -- rate limit and faults ----------------------------------------------------------------------
def test_sixty_requests_a_minute_then_429_with_retry_after(sim):
    statuses = [call(sim, "GET", "/contacts/tags").status_code for _ in range(61)]
    assert statuses == [200] * 60 + [429]
    last = call(sim, "GET", "/contacts/tags")
    assert last.status_code == 429 and 0 < int(last.headers["Retry-After"]) <= 60
    assert last.headers["X-RateLimit-Limit"] == "60"
    assert last.headers["X-RateLimit-Remaining"] == "0"
    assert int(last.headers["X-RateLimit-Reset"]) >= time.time()
    assert last.json()["error"]["type"] == "rate_limit_exceeded"
    sim.reset()                                            # reset restores a fresh window
    assert call(sim, "GET", "/contacts/tags").headers["X-RateLimit-Remaining"] == "59"


def test_rate_limit_can_be_turned_off_and_configured():
    with serve("sendbee", seed=1, contacts=1, requests_per_minute=0) as sim:
        assert all(call(sim, "GET", "/contacts/tags").status_code == 200 for _ in range(70))
    with serve("sendbee", seed=1, contacts=1, requests_per_minute=2) as sim:
        assert [call(sim, "GET", "/contacts/tags").status_code for _ in range(3)] == [
            200, 200, 429]


def test_fault_injection(sim):
    sim.fail(503, path="/contacts")
    resp = call(sim, "GET", "/contacts")
    assert resp.status_code == 503 and resp.json()["error"]["type"] == "service_unavailable"
    sim.throttle(retry_after=3)
    resp = call(sim, "GET", "/contacts")
    assert resp.status_code == 429 and resp.headers["Retry-After"] == "3"
    sim.drop()
    with pytest.raises(requests.ConnectionError):
        call(sim, "GET", "/contacts")
    assert call(sim, "GET", "/contacts").status_code == 200


def test_seeding_is_deterministic():
    with serve("sendbee", seed=3, contacts=8, conversations=3) as one, \
            serve("sendbee", seed=3, contacts=8, conversations=3) as two:
        def names(sim):
            return [(c["id"], c["name"], c["phone"]) for c in sim.state.contacts.values()]
        assert names(one) == names(two) and len(names(one)) == 8
        assert one.credentials == two.credentials
        assert len(one.state.conversations) == 3

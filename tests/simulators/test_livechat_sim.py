"""The LiveChat simulator over raw HTTP: routing by action, auth, error bodies, page_id rules,
batches, uploads, fault injection and the shape of its answers against the official payloads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests

from chatmodels.testing import create, serve
from chatmodels.testing.livechat import agent_actions

DATA = Path(__file__).resolve().parent.parent / "data" / "livechat"
AGENT = "/v3.6/agent/action/"
CONFIG = "/v3.6/configuration/action/"


@pytest.fixture(scope="module")
def lc(request):
    with serve("livechat", seed=11, chats=40, customers=15) as sim:
        yield sim


@pytest.fixture
def sim(lc):
    lc.reset()
    yield lc
    lc.clear_faults()
    lc.rate_limit(None)


@pytest.fixture
def http(sim):
    session = requests.Session()
    session.auth = (sim.credentials["account_id"], sim.credentials["token"])
    yield session
    session.close()


def post(http, sim, path, body=None, **kw):
    return http.post(sim.base_url + path, json={} if body is None else body, timeout=5, **kw)


def official(name):
    return json.loads((DATA / name).read_text())


def test_routing_by_action_name_and_version(sim, http):
    assert post(http, sim, AGENT + "list_routing_statuses").status_code == 200
    unknown = post(http, sim, AGENT + "list_everything")
    assert (unknown.status_code, unknown.json()) == (404, {"error": {
        "type": "not_found", "message": "Method `list_everything` not found"}})
    old = post(http, sim, "/v3.5/agent/action/list_chats")
    assert (old.status_code, old.json()["error"]["type"]) == (400, "unsupported_version")
    header = post(http, sim, AGENT + "list_chats", headers={"X-API-Version": "3.4"})
    assert header.json()["error"]["type"] == "unsupported_version"
    get = http.get(sim.base_url + AGENT + "list_chats", timeout=5)
    assert get.status_code == 405 and get.json()["error"]["type"] == "validation"
    bad = http.post(sim.base_url + AGENT + "list_chats", data=b"{nope",
                    headers={"Content-Type": "application/json"}, timeout=5)
    assert (bad.status_code, bad.json()["error"]["type"]) == (400, "validation")


def test_authentication(sim):
    none = requests.post(sim.base_url + AGENT + "list_chats", json={}, timeout=5)
    assert (none.status_code, none.json()["error"]["type"]) == (401, "authentication")
    wrong = requests.post(sim.base_url + AGENT + "list_chats", json={}, timeout=5,
                          auth=(sim.credentials["account_id"], "dal:nope"))
    assert wrong.status_code == 401
    bearer = requests.post(sim.base_url + CONFIG + "list_groups", json={}, timeout=5,
                           headers={"Authorization": f"Bearer {sim.bearer_token}"})
    assert bearer.status_code == 200 and bearer.json()[0]["name"] == "General"
    assert sim.requests[-1].headers["Authorization"] == "***"


def test_page_id_paging_rules(sim, http):
    first = post(http, sim, AGENT + "list_chats", {"limit": 15, "sort_order": "asc"}).json()
    assert len(first["chats_summary"]) == 15 and first["found_chats"] == 40
    assert "previous_page_id" not in first
    second = post(http, sim, AGENT + "list_chats", {"page_id": first["next_page_id"]}).json()
    assert len(second["chats_summary"]) == 15 and second["previous_page_id"]
    back = post(http, sim, AGENT + "list_chats", {"page_id": second["previous_page_id"]}).json()
    assert back["chats_summary"] == first["chats_summary"]
    third = post(http, sim, AGENT + "list_chats", {"page_id": second["next_page_id"]}).json()
    assert len(third["chats_summary"]) == 10 and "next_page_id" not in third
    mixed = post(http, sim, AGENT + "list_chats", {"page_id": first["next_page_id"],
                                                   "filters": {"active": True}})
    assert mixed.status_code == 400 and mixed.json()["error"]["message"].startswith(
        "`filters`, `limit` and `sort_order`")
    for body in ({"limit": 101}, {"limit": 0}, {"sort_order": "up"}):
        assert post(http, sim, AGENT + "list_chats", body).status_code == 400
    bogus = post(http, sim, AGENT + "list_chats", {"page_id": "bm9wZQ=="})
    assert bogus.json() == {"error": {"type": "validation",
                                      "message": "`page_id` is invalid or expired"}}
    chat = first["chats_summary"][0]["id"]
    threads = post(http, sim, AGENT + "list_threads", {"chat_id": chat, "limit": 1}).json()
    other = first["chats_summary"][1]["id"]
    if "next_page_id" in threads:  # a page_id belongs to its chat
        wrong = post(http, sim, AGENT + "list_threads",
                     {"chat_id": other, "page_id": threads["next_page_id"]})
        assert wrong.status_code == 400


def test_answers_have_the_official_shapes(sim, http):
    summary = post(http, sim, AGENT + "list_chats", {"limit": 1}).json()["chats_summary"][0]
    assert set(summary) <= set(official("chatSummary.json")) | {"properties"}
    chat = post(http, sim, AGENT + "get_chat", {"chat_id": "PJ0MRSHTDG"}).json()
    assert set(chat) == {"id", "thread", "users", "properties", "access", "is_followed"}
    assert set(chat["thread"]) <= set(official("thread.json")) | {"next_thread_id"}
    customer = post(http, sim, AGENT + "get_customer",
                    {"id": "b7eff798-f8df-4364-8059-649c35c9ed0c"}).json()
    assert set(customer) <= set(official("customer.json")) | {"chat_ids"}
    agents = post(http, sim, CONFIG + "list_agents", {"fields": ["max_chats_count"]}).json()
    assert set(agents[0]) <= set(official("listAgents.json")[0])
    tags = post(http, sim, CONFIG + "list_tags").json()
    assert set(tags[0]) == set(official("listTags.json")[0])
    for event in (e for t in sim.state.threads.values() for e in t["events"]):
        assert event["type"] in agent_actions.EVENT_TYPES and event["id"].startswith(
            event["id"].split("_")[0])


def test_state_changes_and_validation(sim, http):
    started = post(http, sim, AGENT + "start_chat", {"chat": {"thread": {"events": [
        {"type": "message", "text": "hi"}]}}}).json()
    assert set(started) == {"chat_id", "thread_id", "event_ids"}
    chat_id = started["chat_id"]
    assert post(http, sim, AGENT + "resume_chat", {"chat": {"id": chat_id}}).json()[
        "error"]["message"] == "Chat is already active"
    assert post(http, sim, AGENT + "deactivate_chat", {"id": chat_id}).json() == {}
    again = post(http, sim, AGENT + "deactivate_chat", {"id": chat_id})
    assert (again.status_code, again.json()["error"]["type"]) == (422, "chat_inactive")
    event = post(http, sim, AGENT + "send_event", {"chat_id": chat_id, "event": {"type": "x"}})
    assert event.json()["error"] == {"type": "validation",
                                     "message": "`event.type` is not supported"}
    missing = post(http, sim, AGENT + "get_chat", {})
    assert missing.json()["error"] == {"type": "validation", "message": "`chat_id` is required"}
    tag = post(http, sim, CONFIG + "create_tag", {"name": "Support"})
    assert (tag.status_code, tag.json()["error"]["type"]) == (409, "already_exists")
    group = post(http, sim, CONFIG + "get_group", {"id": 99})
    assert (group.status_code, group.json()["error"]["type"]) == (404, "group_not_found")


def test_batch_answers_in_request_order(sim, http):
    answer = post(http, sim, CONFIG + "batch_delete_agents", {"requests": [
        {"id": "maria@example.com"}, {"id": "nobody@example.com"}, {}]}).json()
    assert answer == {"responses": [
        {}, {"error": {"type": "not_found", "message": "Agent not found"}},
        {"error": {"type": "validation", "message": "`id` is required"}}]}
    assert "maria@example.com" not in sim.state.agents


def test_upload_file_is_multipart(sim, http, monkeypatch):
    ok = http.post(sim.base_url + AGENT + "upload_file", files={"file": ("a.txt", b"hello")},
                   timeout=5)
    assert ok.status_code == 200 and ok.json()["url"].endswith("/a.txt")
    none = http.post(sim.base_url + AGENT + "upload_file", files={"other": ("a", b"x")},
                     timeout=5)
    assert none.json()["error"]["message"] == "`file` is required"
    monkeypatch.setattr(agent_actions, "MAX_UPLOAD", 3)
    big = http.post(sim.base_url + AGENT + "upload_file", files={"file": ("b", b"four")},
                    timeout=5)
    assert (big.status_code, big.json()["error"]["type"]) == (413, "entity_too_large")


def test_fault_injection_and_rate_limit(sim, http):
    sim.drop(path=AGENT + "get_chat")
    with pytest.raises(requests.ConnectionError):
        post(http, sim, AGENT + "get_chat", {"chat_id": "PJ0MRSHTDG"})
    sim.fail(503, path=AGENT + "list_chats", retry_after=2)
    down = post(http, sim, AGENT + "list_chats")
    assert (down.status_code, down.headers["Retry-After"]) == (503, "2")
    assert down.json()["error"]["type"] == "service_unavailable"
    sim.rate_limit(1, window=30)
    assert post(http, sim, CONFIG + "list_groups").status_code == 200
    limited = post(http, sim, CONFIG + "list_groups")
    assert limited.status_code == 429 and "X-RateLimit-Limit" not in limited.headers
    assert limited.json() == {"error": {"type": "too_many_requests",
                                        "message": "Requests limit reached"}}
    assert 0 <= int(limited.headers["Retry-After"]) <= 30


def test_seeding_is_deterministic_and_reset_restores_it():
    one, two = create("livechat", seed=5, chats=12), create("livechat", seed=5, chats=12)
    assert list(one.state.chats) == list(two.state.chats)
    assert one.state.threads == two.state.threads
    assert one.credentials == two.credentials and "PJ0MRSHTDG" in one.state.chats
    one.state.chats.clear()
    one.reset()
    assert list(one.state.chats) == list(two.state.chats)
    one.seed(chats=3)
    assert len(one.state.chats) == 15


def test_generic_counts_of_the_sandbox_command():
    sim = create("livechat", seed=2, contacts=9, conversations=4)
    assert (len(sim.state.customers), len(sim.state.chats)) == (9, 4)

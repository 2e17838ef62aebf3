"""Tests of the Crisp REST API v1 simulator, with plain ``requests`` against the served app."""

from __future__ import annotations

import json
import time

import pytest
import requests

from chatmodels.testing import serve

CONTACTS = 45
CONVERSATIONS = 30


@pytest.fixture(scope="module")
def sim():
    with serve("crisp", seed=7, contacts=CONTACTS, conversations=CONVERSATIONS) as s:
        yield s


@pytest.fixture(autouse=True)
def _fresh(sim):
    sim.reset()
    yield
    sim.reset()


class Api:
    """Tiny authenticated client: paths are relative to /v1/website/{website_id}."""

    def __init__(self, sim, **session_headers):
        creds = sim.credentials
        self.sim = sim
        self.website_id = creds["website_id"]
        self.session = requests.Session()
        self.session.auth = (creds["identifier"], creds["key"])
        self.session.headers["X-Crisp-Tier"] = creds["tier"]
        self.session.headers.update(session_headers)

    def url(self, path: str = "") -> str:
        return f"{self.sim.base_url}/website/{self.website_id}{path}"

    def call(self, method: str, path: str = "", **kwargs):
        return self.session.request(method, self.url(path), timeout=10, **kwargs)

    def get(self, path: str = "", **kw):
        return self.call("GET", path, **kw)

    def post(self, path: str, **kw):
        return self.call("POST", path, **kw)

    def patch(self, path: str, **kw):
        return self.call("PATCH", path, **kw)

    def put(self, path: str, **kw):
        return self.call("PUT", path, **kw)

    def delete(self, path: str, **kw):
        return self.call("DELETE", path, **kw)

    def head(self, path: str, **kw):
        return self.call("HEAD", path, **kw)

    def data(self, resp, status: int = 200, reason: str | None = None):
        assert resp.status_code == status, resp.text
        body = resp.json()
        assert set(body) == {"error", "reason", "data"}
        assert body["error"] is False
        if reason is not None:
            assert body["reason"] == reason
        return body["data"]

    def walk(self, path: str, **params):
        """Every item of a paged list, and the number of pages that had items."""
        items, page = [], 1
        while True:
            chunk = self.data(self.get(f"{path}/{page}", params=params))
            if not chunk:
                return items, page - 1
            items.extend(chunk)
            page += 1


@pytest.fixture
def api(sim):
    return Api(sim)


def assert_error(resp, status: int, reason: str):
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert body["error"] is True
    assert body["reason"] == reason
    assert isinstance(body["data"], dict)
    return body["data"]


def first_conversation(api: Api) -> dict:
    return api.data(api.get("/conversations/1"))[0]


# ---------------------------------------------------------------------- contract / auth
def test_contract(sim):
    assert sim.base_url.endswith("/v1")
    assert sim.base_url.startswith("http://127.0.0.1:")
    assert set(sim.credentials) == {"identifier", "key", "website_id", "tier"}
    assert sim.credentials["tier"] == "plugin"
    assert sim.state.website_id == sim.credentials["website_id"]
    assert len(sim.state.people) == CONTACTS
    assert len(sim.state.conversations) == CONVERSATIONS
    assert len(sim.state.operators) == 4
    assert sim.state.segments


def test_wrong_key_is_invalid_session(sim, api):
    resp = requests.get(api.url(), auth=(sim.credentials["identifier"], "nope"),
                        headers={"X-Crisp-Tier": "plugin"}, timeout=10)
    assert resp.json() == {"error": True, "reason": "invalid_session", "data": {}}
    assert resp.status_code == 401


def test_missing_authorization(api):
    resp = requests.get(api.url(), headers={"X-Crisp-Tier": "plugin"}, timeout=10)
    assert_error(resp, 401, "invalid_session")
    resp = requests.get(api.url(), headers={"X-Crisp-Tier": "plugin",
                                            "Authorization": "Basic !!!notbase64"}, timeout=10)
    assert_error(resp, 401, "invalid_session")


@pytest.mark.parametrize("tier", [None, "", "garbage"])
def test_missing_or_unknown_tier_is_invalid_session(sim, api, tier):
    headers = {} if tier is None else {"X-Crisp-Tier": tier}
    resp = requests.get(api.url(), auth=(sim.credentials["identifier"], sim.credentials["key"]),
                        headers=headers, timeout=10)
    assert_error(resp, 401, "invalid_session")


@pytest.mark.parametrize("tier", ["user", "website", "USER"])
def test_other_crisp_tier_is_restricted_route_tier(sim, api, tier):
    resp = requests.get(api.url(), auth=(sim.credentials["identifier"], sim.credentials["key"]),
                        headers={"X-Crisp-Tier": tier}, timeout=10)
    assert_error(resp, 403, "restricted_route_tier")
    assert resp.json()["data"] == {}


def test_restrict_route_closes_it_to_other_tiers_until_reset(sim, api):
    sim.restrict_route("/website/[^/]+/people/profiles/.*", tiers=("user",), method="GET")
    assert_error(api.get("/people/profiles/1"), 403, "restricted_route_tier")
    assert api.get("/visitors/count").status_code == 200  # other routes stay open
    with pytest.raises(ValueError):
        sim.restrict_route("/website", tiers=("galaxy",))
    sim.reset()
    assert sim.route_tiers == []
    assert api.get("/people/profiles/1").status_code == 200


def test_unknown_website_is_not_subscribed(sim, api):
    resp = api.session.get(f"{sim.base_url}/website/00000000-0000-4000-8000-000000000000",
                           timeout=10)
    assert_error(resp, 404, "not_subscribed")
    resp = api.session.get(f"{sim.base_url}/website/other/people/profiles/1", timeout=10)
    assert_error(resp, 404, "not_subscribed")


def test_unknown_route_and_method(api):
    assert_error(api.get("/nothing/here"), 404, "not_found")
    assert_error(api.delete("/people/stats"), 405, "not_allowed")


def test_envelope_and_website(api, sim):
    data = api.data(api.get(), reason="resolved")
    assert data == sim.state.website
    assert set(data) == {"website_id", "name", "domain", "logo"}


def test_invalid_json_body(api):
    resp = api.post("/people/profile", data=b"{not json",
                    headers={"Content-Type": "application/json"})
    data = assert_error(resp, 400, "invalid_data")
    assert data["namespace"] and data["message"]
    resp = api.post("/people/profile", json=[1, 2])
    assert_error(resp, 400, "invalid_data")


# ---------------------------------------------------------------------- paging
def test_people_paging_to_the_end(api):
    items, pages = api.walk("/people/profiles")
    assert len(items) == CONTACTS
    assert pages == -(-CONTACTS // 20)
    assert len({p["people_id"] for p in items}) == CONTACTS
    last = api.data(api.get(f"/people/profiles/{pages}"))
    assert len(last) == CONTACTS - 20 * (pages - 1)
    assert api.data(api.get(f"/people/profiles/{pages + 1}")) == []
    assert api.data(api.get("/people/profiles/999")) == []


def test_people_per_page(api):
    assert len(api.data(api.get("/people/profiles/1", params={"per_page": 50}))) == CONTACTS
    items, pages = api.walk("/people/profiles", per_page=25)
    assert (len(items), pages) == (CONTACTS, 2)
    for bad in ("10", "51", "abc"):
        data = assert_error(api.get("/people/profiles/1", params={"per_page": bad}), 400,
                            "invalid_data")
        assert data["namespace"] == "query"
    assert_error(api.get("/people/profiles/0"), 400, "invalid_data")


def test_conversation_paging_to_the_end(api):
    items, pages = api.walk("/conversations")
    assert len(items) == CONVERSATIONS
    assert pages == 2
    assert api.data(api.get("/conversations/3")) == []
    updated = [c["updated_at"] for c in items]
    assert updated == sorted(updated, reverse=True)


def test_profile_shape(api):
    profile = api.data(api.get("/people/profiles/1"))[0]
    assert {"people_id", "email", "person", "company", "segments", "notepad", "active", "score",
            "created_at", "updated_at"} <= set(profile)
    assert isinstance(profile["segments"], list)
    assert all(isinstance(s, str) for s in profile["segments"])
    assert "nickname" in profile["person"] and "avatar" in profile["person"]
    assert profile["created_at"] > 1_600_000_000_000  # milliseconds
    assert profile["updated_at"] >= profile["created_at"]


def test_conversation_shape(api):
    conv = first_conversation(api)
    assert conv["session_id"].startswith("session_")
    assert conv["state"] in ("pending", "unresolved", "resolved")
    assert conv["status"] == ("pending", "unresolved", "resolved").index(conv["state"])
    assert set(conv["unread"]) == {"operator", "visitor"}
    assert {"nickname", "email", "segments", "data"} <= set(conv["meta"])
    assert conv["assigned"] is None or "user_id" in conv["assigned"]


# ---------------------------------------------------------------------- people search
def test_people_search_text_and_filter(api, sim):
    target = next(iter(sim.state.people.values()))
    found = api.data(api.get("/people/profiles/1", params={"search_text": target["email"]}))
    assert target["people_id"] in [p["people_id"] for p in found]

    flt = [{"model": "people", "criterion": "email", "operator": "eq",
            "query": [target["email"].upper()]}]
    found = api.data(api.get("/people/profiles/1", params={"search_filter": json.dumps(flt)}))
    assert [p["people_id"] for p in found] == [target["people_id"]]

    segment = sim.state.segments[0]
    expected = {p["people_id"] for p in sim.state.people.values() if segment in p["segments"]}
    flt = [{"model": "people", "criterion": "segments", "operator": "eq", "query": [segment]}]
    items, _ = api.walk("/people/profiles", search_filter=json.dumps(flt))
    assert {p["people_id"] for p in items} == expected

    plan_flt = {"model": "people", "criterion": "data.plan", "operator": "eq", "query": ["pro"]}
    both = [flt[0], plan_flt]
    and_items, _ = api.walk("/people/profiles", search_filter=json.dumps(both))
    or_items, _ = api.walk("/people/profiles", search_filter=json.dumps(both),
                           search_operator="or")
    assert len(and_items) <= len(or_items)
    assert all(segment in p["segments"] for p in and_items)
    assert_error(api.get("/people/profiles/1", params={"search_filter": "{bad"}), 400,
                 "invalid_data")
    assert_error(api.get("/people/profiles/1", params={"search_operator": "xor",
                                                        "search_filter": json.dumps(flt)}),
                 400, "invalid_data")


def test_people_sort(api):
    items, _ = api.walk("/people/profiles", sort_field="nickname", sort_order="ascending")
    names = [p["person"]["nickname"].lower() for p in items]
    assert names == sorted(names)


# ---------------------------------------------------------------------- people CRUD
def test_people_profile_crud(api, sim):
    body = {"email": "Jane.Doe@example.org", "person": {"nickname": "Jane Doe"},
            "segments": ["vip"], "company": {"name": "Example"}}
    created = api.data(api.post("/people/profile", json=body), 201, "added")
    pid = created["people_id"]
    assert set(created) == {"people_id"}

    got = api.data(api.get(f"/people/profile/{pid}"))
    assert got["email"] == "Jane.Doe@example.org"
    assert got["person"]["nickname"] == "Jane Doe"
    assert got["segments"] == ["vip"]
    assert api.data(api.get("/people/profile/jane.doe@example.org"))["people_id"] == pid
    assert api.head(f"/people/profile/{pid}").status_code == 200
    assert api.head("/people/profile/nobody").status_code == 404

    assert_error(api.post("/people/profile", json=body), 409, "people_exists")
    assert_error(api.post("/people/profile", json={"person": {"nickname": "x"}}), 400,
                 "invalid_data")
    assert_error(api.post("/people/profile", json={"email": "not-an-email"}), 400,
                 "invalid_data")
    data = assert_error(api.post("/people/profile", json={"email": "a@b.c", "people_id": "x"}),
                        400, "invalid_data")
    assert "read-only" in data["message"]
    assert_error(api.patch(f"/people/profile/{pid}", json={"created_at": 1}), 400,
                 "invalid_data")
    assert_error(api.patch(f"/people/profile/{pid}", json={"segments": "vip"}), 400,
                 "invalid_data")

    # PATCH merges: person.nickname kept, phone added, segments replaced
    api.data(api.patch(f"/people/profile/{pid}",
                       json={"person": {"phone": "+33 6 00 00 00 00"}, "segments": ["lead"]}),
             200, "updated")
    got = api.data(api.get(f"/people/profile/{pid}"))
    assert got["person"]["nickname"] == "Jane Doe"
    assert got["person"]["phone"] == "+33 6 00 00 00 00"
    assert got["segments"] == ["lead"]
    assert got["company"]["name"] == "Example"

    # PUT replaces the card (email required)
    assert_error(api.put(f"/people/profile/{pid}", json={"person": {"nickname": "J"}}), 400,
                 "invalid_data")
    api.data(api.put(f"/people/profile/{pid}",
                     json={"email": "jane@example.org", "person": {"nickname": "J"}}),
             200, "updated")
    got = api.data(api.get(f"/people/profile/{pid}"))
    assert (got["email"], got["person"]["nickname"], got["person"]["phone"]) == \
        ("jane@example.org", "J", "")
    assert got["segments"] == [] and got["company"] == {}

    other = next(p for p in sim.state.people.values() if p["people_id"] != pid)
    assert_error(api.patch(f"/people/profile/{pid}", json={"email": other["email"]}), 409,
                 "people_exists")

    stats = api.data(api.get("/people/stats"))
    assert stats == {"total": CONTACTS + 1}
    api.data(api.delete(f"/people/profile/{pid}"), 200, "deleted")
    assert_error(api.get(f"/people/profile/{pid}"), 404, "not_found")
    assert api.data(api.get("/people/stats")) == {"total": CONTACTS}


def test_people_data(api, sim):
    pid = next(iter(sim.state.people))
    data = api.data(api.get(f"/people/data/{pid}"))
    assert set(data) == {"data"}
    assert "plan" in data["data"] and "seats" in data["data"]

    api.data(api.patch(f"/people/data/{pid}", json={"data": {"signup": "finished", "seats": 3}}),
             200, "updated")
    merged = api.data(api.get(f"/people/data/{pid}"))["data"]
    assert merged["signup"] == "finished" and merged["seats"] == 3 and "plan" in merged

    api.data(api.put(f"/people/data/{pid}", json={"data": {"plan": "pro"}}), 200, "updated")
    assert api.data(api.get(f"/people/data/{pid}"))["data"] == {"plan": "pro"}

    assert_error(api.patch(f"/people/data/{pid}", json={"plan": "pro"}), 400, "invalid_data")
    assert_error(api.patch(f"/people/data/{pid}", json={"data": {"x": {"nested": 1}}}), 400,
                 "invalid_data")
    assert_error(api.get("/people/data/unknown"), 404, "not_found")


def test_people_events(api, sim):
    pid = next(iter(sim.state.people))
    before = len(sim.state.people_events[pid])
    api.data(api.post(f"/people/events/{pid}",
                      json={"text": "Added item to basket", "data": {"price": 10.99},
                            "color": "red"}), 201, "added")
    events = api.data(api.get(f"/people/events/{pid}/list/1"))
    assert len(events) == before + 1
    assert events[0]["text"] == "Added item to basket"  # newest first
    assert events[0]["color"] == "red" and events[0]["data"] == {"price": 10.99}
    assert isinstance(events[0]["timestamp"], int)
    assert api.data(api.get(f"/people/events/{pid}/list/2")) == []
    assert_error(api.post(f"/people/events/{pid}", json={"data": {}}), 400, "invalid_data")
    assert_error(api.post(f"/people/events/{pid}", json={"text": "x", "color": "teal"}), 400,
                 "invalid_data")
    assert_error(api.post("/people/events/unknown", json={"text": "x"}), 404, "not_found")


def test_people_subscription(api, sim):
    pid = next(iter(sim.state.people))
    assert set(api.data(api.get(f"/people/subscription/{pid}"))) == {"email"}
    api.data(api.patch(f"/people/subscription/{pid}", json={"email": False}), 200, "updated")
    assert api.data(api.get(f"/people/subscription/{pid}")) == {"email": False}
    assert_error(api.patch(f"/people/subscription/{pid}", json={"email": "no"}), 400,
                 "invalid_data")


def test_people_conversations(api, sim):
    conv = next(c for c in sim.state.conversations.values() if c["people_id"])
    pid = conv["people_id"]
    expected = {c["session_id"] for c in sim.state.conversations.values()
                if c["people_id"] == pid}
    ids = api.data(api.get(f"/people/conversations/{pid}/list/1"))
    assert set(ids) == expected
    assert all(isinstance(i, str) for i in ids)
    assert api.data(api.get(f"/people/conversations/{pid}/list/2")) == []
    resolved = api.data(api.get(f"/people/conversations/{pid}/list/1",
                                params={"filter_resolved": 1}))
    assert all(sim.state.conversations[s]["state"] == "resolved" for s in resolved)


def test_segments_and_suggestions(api, sim):
    segments = api.data(api.get("/people/suggest/segments/1"))
    assert segments and all(set(s) == {"segment", "count"} for s in segments)
    assert {s["segment"] for s in segments} >= set(sim.state.segments)
    assert api.data(api.get("/people/segments/1")) == segments  # legacy path
    assert api.data(api.get("/people/suggest/segments/2")) == []
    keys = {k["key"] for k in api.data(api.get("/people/suggest/data/1"))}
    assert {"plan", "seats"} <= keys
    conv_segments = api.data(api.get("/conversations/suggest/segments/1"))
    assert all(set(s) == {"segment", "count"} for s in conv_segments)


# ---------------------------------------------------------------------- operators / visitors
def test_operators(api, sim):
    listed = api.data(api.get("/operators/list"))
    assert len(listed) == 4
    for entry in listed:
        assert entry["type"] == "operator"
        details = entry["details"]
        assert {"user_id", "email", "first_name", "last_name", "role", "availability"} <= \
            set(details)
        assert "@" in details["email"]
    assert sorted(e["details"]["role"] for e in listed).count("owner") == 1
    uid = listed[0]["details"]["user_id"]
    assert api.data(api.get(f"/operator/{uid}"))["user_id"] == uid
    assert_error(api.get("/operator/unknown"), 404, "not_found")
    active = api.data(api.get("/operators/active"))
    assert all({"user_id", "nickname", "avatar", "timestamp"} <= set(a) for a in active)


def test_visitors(api, sim):
    items, pages = api.walk("/visitors/list")
    assert len(items) == len(sim.state.visitors) == 10
    assert pages == 1
    assert {"session_id", "nickname", "last_page", "geolocation"} <= set(items[0])
    count = api.data(api.get("/visitors/count"))
    assert count["count"] == 10 and set(count) == {"count", "active", "limited"}


# ---------------------------------------------------------------------- conversations
def test_conversation_lifecycle(api, sim):
    created = api.data(api.post("/conversation"), 201, "added")
    sid = created["session_id"]
    assert sid.startswith("session_")
    conv = api.data(api.get(f"/conversation/{sid}"))
    assert conv["state"] == "pending" and conv["session_id"] == sid
    assert api.head(f"/conversation/{sid}").status_code == 200

    # empty conversations are hidden unless include_empty=1
    listed = [c["session_id"] for c in api.walk("/conversations")[0]]
    assert sid not in listed
    listed = [c["session_id"] for c in api.walk("/conversations", include_empty=1)[0]]
    assert sid in listed

    assert api.data(api.get(f"/conversation/{sid}/state")) == {"state": "pending"}
    api.data(api.patch(f"/conversation/{sid}/state", json={"state": "resolved"}), 200, "updated")
    assert api.data(api.get(f"/conversation/{sid}/state")) == {"state": "resolved"}
    assert api.data(api.get(f"/conversation/{sid}"))["status"] == 2
    assert_error(api.patch(f"/conversation/{sid}/state", json={"state": "closed"}), 400,
                 "invalid_data")

    api.data(api.delete(f"/conversation/{sid}"), 200, "deleted")
    assert_error(api.get(f"/conversation/{sid}"), 404, "not_found")
    assert api.head(f"/conversation/{sid}").status_code == 404


def test_conversation_routing(api, sim):
    sid = first_conversation(api)["session_id"]
    operator = next(iter(sim.state.operators))
    api.data(api.patch(f"/conversation/{sid}/routing", json={"assigned": {"user_id": operator}}),
             200, "updated")
    assert api.data(api.get(f"/conversation/{sid}/routing")) == \
        {"assigned": {"user_id": operator}}
    assert api.data(api.get(f"/conversation/{sid}"))["assigned"] == {"user_id": operator}
    assigned = api.walk("/conversations", filter_assigned=operator)[0]
    assert sid in [c["session_id"] for c in assigned]
    assert all(c["assigned"]["user_id"] == operator for c in assigned)

    api.data(api.patch(f"/conversation/{sid}/routing", json={"assigned": None}), 200)
    assert api.data(api.get(f"/conversation/{sid}/routing")) == {"assigned": None}
    unassigned = api.walk("/conversations", filter_unassigned=1)[0]
    assert sid in [c["session_id"] for c in unassigned]
    assert_error(api.patch(f"/conversation/{sid}/routing",
                           json={"assigned": {"user_id": "nobody"}}), 400, "invalid_data")


def test_conversation_meta(api):
    sid = first_conversation(api)["session_id"]
    meta = api.data(api.get(f"/conversation/{sid}/meta"))
    assert {"nickname", "email", "segments", "data", "device"} <= set(meta)
    api.data(api.patch(f"/conversation/{sid}/meta",
                       json={"nickname": "John Doe", "segments": ["bug"],
                             "data": {"signup": "finished"}}), 200, "updated")
    meta2 = api.data(api.get(f"/conversation/{sid}/meta"))
    assert meta2["nickname"] == "John Doe" and meta2["segments"] == ["bug"]
    assert meta2["data"]["signup"] == "finished"
    assert meta2["email"] == meta["email"]
    assert_error(api.patch(f"/conversation/{sid}/meta", json={"colour": "red"}), 400,
                 "invalid_data")
    found = api.walk("/conversations", search_query="bug", search_type="segment")[0]
    assert [c["session_id"] for c in found] == [sid]


def test_conversation_block(api):
    sid = first_conversation(api)["session_id"]
    api.data(api.patch(f"/conversation/{sid}/block", json={"blocked": True}), 200, "updated")
    assert api.data(api.get(f"/conversation/{sid}/block")) == {"blocked": True}
    assert api.data(api.get(f"/conversation/{sid}"))["is_blocked"] is True
    assert_error(api.patch(f"/conversation/{sid}/block", json={"blocked": "yes"}), 400,
                 "invalid_data")


def test_conversation_filters(api, sim):
    resolved = api.walk("/conversations", filter_resolved=1)[0]
    not_resolved = api.walk("/conversations", filter_not_resolved=1)[0]
    assert all(c["state"] == "resolved" for c in resolved)
    assert all(c["state"] != "resolved" for c in not_resolved)
    assert len(resolved) + len(not_resolved) == CONVERSATIONS
    unread = api.walk("/conversations", filter_unread=1)[0]
    assert all(c["unread"]["operator"] > 0 for c in unread)
    assert_error(api.get("/conversations/1", params={"filter_unread": "maybe"}), 400,
                 "invalid_data")
    assert_error(api.get("/conversations/1", params={"search_type": "fuzzy",
                                                      "search_query": "x"}), 400, "invalid_data")


def test_conversation_text_search(api, sim):
    conv = next(iter(sim.state.conversations.values()))
    email = conv["meta"]["email"] or conv["meta"]["nickname"]
    found = api.walk("/conversations", search_query=email, search_type="text")[0]
    assert conv["session_id"] in [c["session_id"] for c in found]
    flt = [{"model": "session", "criterion": "state", "operator": "eq", "query": ["pending"]}]
    pending = api.walk("/conversations", search_query=json.dumps(flt), search_type="filter")[0]
    assert all(c["state"] == "pending" for c in pending)


# ---------------------------------------------------------------------- messages
def test_seeded_messages_alternate_in_time_order(api, sim):
    for sid in list(sim.state.conversations)[:10]:
        msgs = api.data(api.get(f"/conversation/{sid}/messages"))
        assert 1 <= len(msgs) <= 6
        assert [m["from"] for m in msgs] == ["user" if i % 2 == 0 else "operator"
                                            for i in range(len(msgs))]
        stamps = [m["timestamp"] for m in msgs]
        assert stamps == sorted(stamps)
        for m in msgs:
            assert m["type"] in ("text", "note", "file")
            assert isinstance(m["fingerprint"], int)
            assert {"user_id", "nickname"} <= set(m["user"])
            assert m["origin"] == "chat"


def test_send_get_update_delete_messages(api, sim):
    sid = api.data(api.post("/conversation"), 201)["session_id"]
    fp = api.data(api.post(f"/conversation/{sid}/message",
                           json={"type": "text", "from": "user", "origin": "chat",
                                 "content": "Hello, I need help"}), 202, "dispatched")
    assert set(fp) == {"fingerprint"}
    user_fp = fp["fingerprint"]
    conv = api.data(api.get(f"/conversation/{sid}"))
    assert conv["unread"] == {"operator": 1, "visitor": 0}
    assert conv["last_message"] == "Hello, I need help"

    op_fp = api.data(api.post(f"/conversation/{sid}/message",
                              json={"type": "text", "from": "operator", "origin": "chat",
                                    "content": "Hi! How can I help?",
                                    "user": {"nickname": "Bot", "avatar": ""}}),
                     202)["fingerprint"]
    assert api.data(api.get(f"/conversation/{sid}/state")) == {"state": "unresolved"}
    note_fp = api.data(api.post(f"/conversation/{sid}/message",
                                json={"type": "note", "from": "operator", "origin": "chat",
                                      "content": "internal"}), 202)["fingerprint"]
    file_fp = api.data(api.post(f"/conversation/{sid}/message",
                                json={"type": "file", "from": "user", "origin": "chat",
                                      "content": {"name": "a.png", "url": "https://x/a.png",
                                                  "type": "image/png"}}), 202)["fingerprint"]

    msgs = api.data(api.get(f"/conversation/{sid}/messages"))
    assert [m["fingerprint"] for m in msgs] == [user_fp, op_fp, note_fp, file_fp]
    assert [m["type"] for m in msgs] == ["text", "text", "note", "file"]
    assert msgs[1]["user"]["nickname"] == "Bot"
    assert msgs[0]["user"]["user_id"] == sid

    one = api.data(api.get(f"/conversation/{sid}/message/{op_fp}"))
    assert one["content"] == "Hi! How can I help?" and one["from"] == "operator"
    api.data(api.patch(f"/conversation/{sid}/message/{op_fp}", json={"content": "Edited"}),
             200, "updated")
    one = api.data(api.get(f"/conversation/{sid}/message/{op_fp}"))
    assert one["content"] == "Edited" and one["edited"] is True
    assert_error(api.patch(f"/conversation/{sid}/message/{file_fp}", json={"content": "x"}),
                 400, "invalid_data")

    # read / delivered markers
    conv = api.data(api.get(f"/conversation/{sid}"))
    assert conv["unread"]["operator"] == 2
    api.data(api.patch(f"/conversation/{sid}/read",
                       json={"from": "operator", "origin": "chat",
                             "fingerprints": [str(user_fp)]}), 200, "updated")
    assert api.data(api.get(f"/conversation/{sid}"))["unread"]["operator"] == 1
    api.data(api.patch(f"/conversation/{sid}/read", json={"from": "operator", "origin": "chat"}),
             200)
    assert api.data(api.get(f"/conversation/{sid}"))["unread"]["operator"] == 0
    assert api.data(api.get(f"/conversation/{sid}/message/{user_fp}"))["read"] == "chat"
    api.data(api.patch(f"/conversation/{sid}/delivered",
                       json={"from": "user", "origin": "chat", "fingerprints": [op_fp]}), 200)
    assert api.data(api.get(f"/conversation/{sid}/message/{op_fp}"))["delivered"] == "chat"
    api.data(api.patch(f"/conversation/{sid}/unread", json={"from": "operator"}), 200)
    assert api.data(api.get(f"/conversation/{sid}"))["unread"]["operator"] == 1

    api.data(api.delete(f"/conversation/{sid}/message/{note_fp}"), 200, "deleted")
    assert_error(api.get(f"/conversation/{sid}/message/{note_fp}"), 404, "not_found")
    assert len(api.data(api.get(f"/conversation/{sid}/messages"))) == 3


@pytest.mark.parametrize("body", [
    {"type": "text", "from": "user", "origin": "chat"},
    {"type": "text", "from": "user", "origin": "chat", "content": ""},
    {"type": "text", "from": "visitor", "origin": "chat", "content": "x"},
    {"type": "sticker", "from": "user", "origin": "chat", "content": "x"},
    {"type": "text", "from": "user", "content": "x"},
    {"type": "note", "from": "user", "origin": "chat", "content": "x"},
    {"type": "file", "from": "user", "origin": "chat", "content": {"name": "a"}},
    {"type": "text", "from": "user", "origin": "chat", "content": "x", "unknown": 1},
])
def test_send_message_validation(api, body):
    sid = first_conversation(api)["session_id"]
    data = assert_error(api.post(f"/conversation/{sid}/message", json=body), 400,
                        "invalid_data")
    assert data["namespace"] == "data" and data["message"]


def test_messages_paging_with_timestamp_before(api, sim):
    sid = api.data(api.post("/conversation"), 201)["session_id"]
    sent = []
    for i in range(95):
        sender = "user" if i % 2 == 0 else "operator"
        sent.append(api.data(api.post(f"/conversation/{sid}/message",
                                      json={"type": "text", "from": sender, "origin": "chat",
                                            "content": f"message {i}"}), 202)["fingerprint"])
    first = api.get(f"/conversation/{sid}/messages")
    assert first.status_code == 206
    batch = api.data(first, 206)
    assert len(batch) == 40
    assert [m["fingerprint"] for m in batch] == sent[-40:]

    collected = list(batch)
    status = 206
    while status == 206:
        resp = api.get(f"/conversation/{sid}/messages",
                       params={"timestamp_before": collected[0]["timestamp"]})
        status = resp.status_code
        older = api.data(resp, status)
        collected = older + collected
    assert status == 200
    assert [m["fingerprint"] for m in collected] == sent
    assert_error(api.get(f"/conversation/{sid}/messages", params={"timestamp_before": "x"}),
                 400, "invalid_data")
    short = next(s for s in sim.state.conversations if s != sid)  # a seeded 1-6 message one
    assert api.get(f"/conversation/{short}/messages").status_code == 200


# ---------------------------------------------------------------------- 404 on every route
UNKNOWN_SESSION = "session_00000000-0000-4000-8000-000000000000"
UNKNOWN_PEOPLE = "00000000-0000-4000-8000-000000000000"


@pytest.mark.parametrize("method,path,body", [
    ("GET", f"/people/profile/{UNKNOWN_PEOPLE}", None),
    ("PATCH", f"/people/profile/{UNKNOWN_PEOPLE}", {"notepad": "x"}),
    ("PUT", f"/people/profile/{UNKNOWN_PEOPLE}", {"email": "x@y.z"}),
    ("DELETE", f"/people/profile/{UNKNOWN_PEOPLE}", None),
    ("GET", f"/people/conversations/{UNKNOWN_PEOPLE}/list/1", None),
    ("GET", f"/people/events/{UNKNOWN_PEOPLE}/list/1", None),
    ("POST", f"/people/events/{UNKNOWN_PEOPLE}", {"text": "x"}),
    ("GET", f"/people/data/{UNKNOWN_PEOPLE}", None),
    ("PUT", f"/people/data/{UNKNOWN_PEOPLE}", {"data": {}}),
    ("PATCH", f"/people/data/{UNKNOWN_PEOPLE}", {"data": {}}),
    ("GET", f"/people/subscription/{UNKNOWN_PEOPLE}", None),
    ("PATCH", f"/people/subscription/{UNKNOWN_PEOPLE}", {"email": True}),
    ("GET", f"/conversation/{UNKNOWN_SESSION}", None),
    ("DELETE", f"/conversation/{UNKNOWN_SESSION}", None),
    ("GET", f"/conversation/{UNKNOWN_SESSION}/messages", None),
    ("POST", f"/conversation/{UNKNOWN_SESSION}/message",
     {"type": "text", "from": "user", "origin": "chat", "content": "x"}),
    ("GET", f"/conversation/{UNKNOWN_SESSION}/message/123", None),
    ("PATCH", f"/conversation/{UNKNOWN_SESSION}/message/123", {"content": "x"}),
    ("DELETE", f"/conversation/{UNKNOWN_SESSION}/message/123", None),
    ("PATCH", f"/conversation/{UNKNOWN_SESSION}/read", {"from": "operator", "origin": "chat"}),
    ("PATCH", f"/conversation/{UNKNOWN_SESSION}/delivered",
     {"from": "operator", "origin": "chat"}),
    ("PATCH", f"/conversation/{UNKNOWN_SESSION}/unread", {"from": "operator"}),
    ("GET", f"/conversation/{UNKNOWN_SESSION}/state", None),
    ("PATCH", f"/conversation/{UNKNOWN_SESSION}/state", {"state": "resolved"}),
    ("GET", f"/conversation/{UNKNOWN_SESSION}/routing", None),
    ("PATCH", f"/conversation/{UNKNOWN_SESSION}/routing", {"assigned": None}),
    ("GET", f"/conversation/{UNKNOWN_SESSION}/meta", None),
    ("PATCH", f"/conversation/{UNKNOWN_SESSION}/meta", {"nickname": "x"}),
    ("GET", f"/conversation/{UNKNOWN_SESSION}/block", None),
    ("PATCH", f"/conversation/{UNKNOWN_SESSION}/block", {"blocked": True}),
    ("GET", "/operator/unknown", None),
])
def test_unknown_ids_are_404(api, method, path, body):
    kwargs = {} if body is None else {"json": body}
    assert_error(api.call(method, path, **kwargs), 404, "not_found")


def test_unknown_message_in_known_conversation(api):
    sid = first_conversation(api)["session_id"]
    assert_error(api.get(f"/conversation/{sid}/message/1"), 404, "not_found")


# ---------------------------------------------------------------------- fault injection
def test_fail_then_recover(api, sim):
    sim.fail(500, times=1)
    resp = api.get()
    assert_error(resp, 500, "internal_error")
    api.data(api.get())
    sim.fail(503, times=2, path="/v1/website")
    assert_error(api.get("/people/stats"), 503, "service_unavailable")
    assert_error(api.get("/people/stats"), 503, "service_unavailable")
    api.data(api.get("/people/stats"))


def test_throttle(api, sim):
    sim.throttle(times=1, retry_after=2)
    resp = api.get("/people/profiles/1")
    assert_error(resp, 429, "rate_limited")
    assert resp.headers["Retry-After"] == "2"
    assert "X-RateLimit-Limit" not in resp.headers
    api.data(api.get("/people/profiles/1"))


def test_rate_limit(api, sim):
    sim.rate_limit(limit=3, window=60)
    for _ in range(3):
        api.data(api.get())
    resp = api.get()
    assert_error(resp, 429, "rate_limited")
    assert int(resp.headers["Retry-After"]) >= 0
    sim.rate_limit(None)
    api.data(api.get())


def test_drop_and_latency(api, sim):
    sim.drop(times=1)
    with pytest.raises(requests.exceptions.ConnectionError):
        api.session.get(api.url(), timeout=5, headers={"Connection": "close"})
    api.data(api.get())

    before = len(sim.state.people)
    sim.drop(times=1, method="POST", after_apply=True)
    with pytest.raises(requests.exceptions.ConnectionError):
        api.session.post(api.url("/people/profile"), json={"email": "dropped@example.org"},
                         timeout=5, headers={"Connection": "close"})
    assert len(sim.state.people) == before + 1

    sim.latency = 0.2
    start = time.monotonic()
    api.data(api.get())
    assert time.monotonic() - start >= 0.2
    sim.latency = 0.0


def test_request_log(api, sim):
    sim.clear_requests()
    api.post("/people/profile", json={"email": "log@example.org"})
    rec = sim.requests[-1]
    assert rec.method == "POST"
    assert rec.path == f"/v1/website/{api.website_id}/people/profile"
    assert rec.json == {"email": "log@example.org"}
    assert rec.status == 201
    assert rec.headers["Authorization"] == "***"
    assert rec.headers["X-Crisp-Tier"] == "plugin"


# ---------------------------------------------------------------------- reset / determinism
def snapshot(api: Api) -> tuple:
    people = api.walk("/people/profiles", per_page=50)[0]
    convs = api.walk("/conversations", per_page=50)[0]
    msgs = [api.data(api.get(f"/conversation/{c['session_id']}/messages")) for c in convs[:5]]
    ops = api.data(api.get("/operators/list"))
    return people, convs, msgs, ops


def test_reset_restores_seeded_state(api, sim):
    before = snapshot(api)
    pid = api.data(api.post("/people/profile", json={"email": "new@example.org"}), 201)
    sid = first_conversation(api)["session_id"]
    api.data(api.delete(f"/conversation/{sid}"))
    sim.fail(500, times=5)
    sim.reset()
    assert sim.requests == [] and sim.faults == []
    assert_error(api.get(f"/people/profile/{pid['people_id']}"), 404, "not_found")
    assert snapshot(api) == before


def test_same_seed_same_data_and_credentials(api, sim):
    mine = snapshot(api)
    with serve("crisp", seed=7, contacts=CONTACTS, conversations=CONVERSATIONS) as twin:
        assert twin.credentials == sim.credentials
        assert snapshot(Api(twin)) == mine
    with serve("crisp", seed=8, contacts=CONTACTS, conversations=CONVERSATIONS) as other:
        assert other.credentials != sim.credentials
        assert snapshot(Api(other))[0] != mine[0]


def test_seed_adds_data_deterministically(api, sim):
    sim.seed(contacts=10)
    assert len(sim.state.people) == CONTACTS + 10
    assert len(sim.state.conversations) == CONVERSATIONS + 5
    assert len(sim.state.operators) == 4
    first = snapshot(api)
    sim.reset()
    assert len(sim.state.people) == CONTACTS
    sim.seed(contacts=10)
    assert snapshot(api) == first
    emails = [p["email"].lower() for p in sim.state.people.values()]
    assert len(emails) == len(set(emails))


def test_default_counts():
    with serve("crisp") as s:
        assert len(s.state.people) == 50
        assert len(s.state.conversations) == 25
        assert len(s.state.operators) == 4
        resp = requests.get(f"{s.base_url}/website/{s.credentials['website_id']}",
                            auth=(s.credentials["identifier"], s.credentials["key"]),
                            headers={"X-Crisp-Tier": "plugin"}, timeout=10)
        assert resp.json()["data"]["website_id"] == s.credentials["website_id"]


# ---------------------------------------------------------------------- profile <-> session link
def test_seeded_conversations_follow_the_email_link_rule(sim):
    state = sim.state
    for conv in state.conversations.values():
        email = conv["meta"]["email"]
        assert conv["people_id"] == ((state.email_owner(email) or "") if email else "")
    assert any(c["people_id"] for c in state.conversations.values())


def test_meta_email_links_the_conversation_to_its_profile(api, sim):
    people = list(sim.state.people.values())
    ann, bob = people[0], people[1]
    sid = api.data(api.post("/conversation"), 201)["session_id"]
    assert api.data(api.get(f"/conversation/{sid}"))["people_id"] == ""

    api.data(api.patch(f"/conversation/{sid}/meta", json={"email": ann["email"].upper()}), 200)
    assert api.data(api.get(f"/conversation/{sid}"))["people_id"] == ann["people_id"]
    listed = api.data(api.get(f"/people/conversations/{ann['people_id']}/list/1"))
    assert sid in listed

    api.data(api.patch(f"/conversation/{sid}/meta", json={"email": bob["email"]}), 200)
    assert api.data(api.get(f"/conversation/{sid}"))["people_id"] == bob["people_id"]
    assert sid not in api.data(api.get(f"/people/conversations/{ann['people_id']}/list/1"))

    api.data(api.patch(f"/conversation/{sid}/meta", json={"email": "nobody@nowhere.test"}), 200)
    assert api.data(api.get(f"/conversation/{sid}"))["people_id"] == ""
    # other meta keys leave the link alone
    api.data(api.patch(f"/conversation/{sid}/meta", json={"email": bob["email"]}), 200)
    api.data(api.patch(f"/conversation/{sid}/meta", json={"nickname": "Bob"}), 200)
    assert api.data(api.get(f"/conversation/{sid}"))["people_id"] == bob["people_id"]


def test_new_profile_adopts_conversations_with_its_email(api, sim):
    email = "late.comer@example.test"
    sids = [api.data(api.post("/conversation"), 201)["session_id"] for _ in range(2)]
    for sid in sids:
        api.data(api.patch(f"/conversation/{sid}/meta", json={"email": email}), 200)
        assert api.data(api.get(f"/conversation/{sid}"))["people_id"] == ""
    other = api.data(api.post("/conversation"), 201)["session_id"]

    pid = api.data(api.post("/people/profile", json={"email": "Late.Comer@example.test",
                                                     "person": {"nickname": "Late"}}),
                   201)["people_id"]
    for sid in sids:
        assert api.data(api.get(f"/conversation/{sid}"))["people_id"] == pid
    assert api.data(api.get(f"/conversation/{other}"))["people_id"] == ""
    assert set(api.data(api.get(f"/people/conversations/{pid}/list/1"))) == set(sids)


def test_profile_given_a_new_email_adopts_matching_conversations(api, sim):
    person = next(iter(sim.state.people.values()))
    sid = api.data(api.post("/conversation"), 201)["session_id"]
    api.data(api.patch(f"/conversation/{sid}/meta", json={"email": "renamed@example.test"}),
             200)
    api.data(api.patch(f"/people/profile/{person['people_id']}",
                       json={"email": "renamed@example.test"}), 200)
    assert api.data(api.get(f"/conversation/{sid}"))["people_id"] == person["people_id"]


# ---------------------------------------------------------------------- segment deletion
def test_delete_people_segment(api, sim):
    used = next(s for p in sim.state.people.values() for s in p["segments"])
    holders = [p["people_id"] for p in sim.state.people.values() if used in p["segments"]]
    assert holders
    api.data(api.delete("/people/suggest/segment", json={"segment": used}), 200, "deleted")
    for pid in holders:
        assert used not in api.data(api.get(f"/people/profile/{pid}"))["segments"]
    names = {s["segment"] for s in api.data(api.get("/people/suggest/segments/1"))}
    assert used not in names
    assert_error(api.delete("/people/suggest/segment", json={"segment": used}), 404,
                 "not_found")
    assert_error(api.delete("/people/suggest/segment", json={"segment": "never-seen"}), 404,
                 "not_found")
    assert_error(api.delete("/people/suggest/segment", json={}), 400, "invalid_data")


def test_delete_segment_with_the_client(sim):
    from chatmodels import crisp

    client = crisp.connect(base_url=sim.base_url, **sim.credentials)
    try:
        used = next(s for p in sim.state.people.values() for s in p["segments"])
        client.Tag.find(used).delete()
        assert all(used not in p["segments"] for p in sim.state.people.values())
    finally:
        client.close()


# ---------------------------------------------------------------------- imported messages
def test_message_keeps_client_timestamp_and_fingerprint(api, sim):
    sid = api.data(api.post("/conversation"), 201)["session_id"]
    base = 1_600_000_000_000
    sent = [(base + 2000, 4_000_000_000_000_002, "second"),
            (base, 4_000_000_000_000_001, "first"),
            (base + 5000, 4_000_000_000_000_003, "third")]
    for ts, fp, text in sent:
        body = {"type": "text", "from": "user", "origin": "chat", "content": text,
                "timestamp": ts, "fingerprint": fp}
        assert api.data(api.post(f"/conversation/{sid}/message", json=body),
                        202)["fingerprint"] == fp
    msgs = api.data(api.get(f"/conversation/{sid}/messages"))
    assert [m["content"] for m in msgs] == ["first", "second", "third"]
    assert [m["timestamp"] for m in msgs] == [base, base + 2000, base + 5000]
    one = api.data(api.get(f"/conversation/{sid}/message/4000000000000002"))
    assert one["timestamp"] == base + 2000 and one["content"] == "second"

    # the same fingerprint again in this conversation: 409, nothing added
    dup = {"type": "note", "from": "operator", "origin": "chat", "content": "again",
           "fingerprint": 4_000_000_000_000_001}
    assert_error(api.post(f"/conversation/{sid}/message", json=dup), 409, "message_exists")
    assert len(api.data(api.get(f"/conversation/{sid}/messages"))) == 3
    # ... but another conversation may use it
    other = api.data(api.post("/conversation"), 201)["session_id"]
    api.data(api.post(f"/conversation/{other}/message", json=dup), 202)
    for bad in ({"timestamp": "1600000000000"}, {"timestamp": True}, {"fingerprint": -4},
                {"fingerprint": "12"}):
        body = {"type": "text", "from": "user", "origin": "chat", "content": "x", **bad}
        assert_error(api.post(f"/conversation/{sid}/message", json=body), 400, "invalid_data")


def test_duplicate_fingerprint_is_a_conflict_for_the_client(sim):
    from chatmodels import crisp
    from chatmodels.errors import ConflictError

    client = crisp.connect(base_url=sim.base_url, **sim.credentials)
    try:
        conv = client.Conversation.create()
        conv.reply("hello", author="user", fingerprint=77, timestamp=1_600_000_000_000)
        with pytest.raises(ConflictError) as info:
            conv.reply("hello", author="user", fingerprint=77)
        assert info.value.code == "message_exists"
        found = client.Message.find(77, conversation=conv)
        assert found.body == "hello" and found.created_at.year == 2020
    finally:
        client.close()

"""The Intercom simulator, exercised with plain ``requests`` over HTTP."""

from __future__ import annotations

import copy
import time

import pytest
import requests

from chatmodels.testing import create, serve

pytest.importorskip("werkzeug")

SEED = 42
N_CONTACTS = 250


@pytest.fixture(scope="module")
def server():
    with serve("intercom", seed=SEED, contacts=N_CONTACTS) as sim:
        yield sim


@pytest.fixture()
def sim(server):
    server.reset()
    yield server
    server.reset()


@pytest.fixture()
def api(sim):
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {sim.credentials['access_token']}"
    session.headers["Accept"] = "application/json"

    class Api:
        def get(self, path, **kw):
            return session.get(sim.base_url + path, timeout=10, **kw)

        def post(self, path, json=None, **kw):
            return session.post(sim.base_url + path, json=json, timeout=10, **kw)

        def put(self, path, json=None, **kw):
            return session.put(sim.base_url + path, json=json, timeout=10, **kw)

        def delete(self, path, json=None, **kw):
            return session.delete(sim.base_url + path, json=json, timeout=10, **kw)

    yield Api()
    session.close()


def _error(resp, status, code):
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert body["type"] == "error.list"
    assert body["errors"][0]["code"] == code
    assert body["request_id"] == resp.headers["X-Request-Id"]
    return body["errors"][0]


def _search_ids(api, query, per_page=150, **extra):
    ids, cursor = [], None
    while True:
        pagination = {"per_page": per_page}
        if cursor:
            pagination["starting_after"] = cursor
        resp = api.post("/contacts/search", {"query": query, "pagination": pagination, **extra})
        assert resp.status_code == 200, resp.text
        body = resp.json()
        ids += [c["id"] for c in body["data"]]
        nxt = body["pages"].get("next")
        if not nxt:
            return ids, body["total_count"]
        cursor = nxt["starting_after"]


# --------------------------------------------------------------------------- auth & headers


def test_missing_or_wrong_token_gets_401_body(sim):
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic abc"}):
        resp = requests.get(sim.base_url + "/contacts", headers=headers, timeout=10)
        err = _error(resp, 401, "unauthorized")
        assert err["message"] == "Access Token Invalid"
        assert set(resp.json()) == {"type", "request_id", "errors"}


def test_every_response_has_request_id_and_rate_limit_headers(api):
    resp = api.get("/me")
    assert resp.status_code == 200
    assert resp.headers["X-Request-Id"]
    assert int(resp.headers["X-RateLimit-Limit"]) > 0
    assert 0 <= int(resp.headers["X-RateLimit-Remaining"]) < int(resp.headers["X-RateLimit-Limit"])
    assert int(resp.headers["X-RateLimit-Reset"]) >= int(time.time())
    assert resp.headers["Content-Type"].startswith("application/json")


def test_intercom_version_header(api):
    assert api.get("/me", headers={"Intercom-Version": "2.16"}).status_code == 200
    assert api.get("/me", headers={"Intercom-Version": "2.11"}).status_code == 200
    assert api.get("/me", headers={"Intercom-Version": "Unstable"}).status_code == 200
    _error(api.get("/me", headers={"Intercom-Version": "9.9"}), 400, "intercom_version_invalid")


def test_unknown_route_is_404(api):
    _error(api.get("/nothing/here"), 404, "not_found")


# --------------------------------------------------------------------------- contacts listing


def test_pagination_walks_every_contact_once(api, sim):
    seen, page_no, cursor = [], 0, None
    while True:
        params = {"per_page": 40}
        if cursor:
            params["starting_after"] = cursor
        body = api.get("/contacts", params=params).json()
        page_no += 1
        assert body["type"] == "list"
        assert body["total_count"] == N_CONTACTS
        pages = body["pages"]
        assert pages["type"] == "pages"
        assert pages["page"] == page_no
        assert pages["per_page"] == 40
        assert pages["total_pages"] == 7
        seen += [c["id"] for c in body["data"]]
        if "next" not in pages:
            break
        assert pages["next"]["per_page"] == 40
        cursor = pages["next"]["starting_after"]
    assert page_no == 7
    assert len(body["data"]) == N_CONTACTS - 6 * 40
    assert len(seen) == len(set(seen)) == N_CONTACTS
    assert set(seen) == set(sim.state.contacts)


def test_per_page_default_and_max(api):
    body = api.get("/contacts").json()
    assert len(body["data"]) == 50 and body["pages"]["per_page"] == 50
    body = api.get("/contacts", params={"per_page": 500}).json()
    assert len(body["data"]) == 150 and body["pages"]["per_page"] == 150
    _error(api.get("/contacts", params={"starting_after": "garbage!"}), 400, "client_error")


def test_contact_shape(api, sim):
    cid = next(iter(sim.state.contact_tags))
    c = api.get(f"/contacts/{cid}").json()
    assert c["type"] == "contact" and c["id"] == cid and len(cid) == 24
    int(cid, 16)
    for key in ("workspace_id", "external_id", "role", "email", "phone", "name", "avatar",
                "owner_id", "has_hard_bounced", "created_at", "updated_at", "signed_up_at",
                "last_seen_at", "location", "custom_attributes", "social_profiles"):
        assert key in c
    assert c["location"]["type"] == "location"
    tags = c["tags"]
    assert tags["type"] == "list" and tags["url"] == f"/contacts/{cid}/tags"
    assert tags["total_count"] == len(sim.state.contact_tags[cid]) and tags["has_more"] is False
    assert tags["data"][0] == {"type": "tag", "id": tags["data"][0]["id"],
                               "url": f"/tags/{tags['data'][0]['id']}"}
    assert c["notes"]["url"] == f"/contacts/{cid}/notes"
    assert c["companies"]["url"] == f"/contacts/{cid}/companies"


# --------------------------------------------------------------------------- contacts CRUD


def test_create_update_delete_round_trip(api, sim):
    resp = api.post("/contacts", {"email": "Ada@Example.com", "name": "Ada Lovelace",
                                  "external_id": "ada-1", "custom_attributes": {"plan": "pro",
                                                                                "seats": 3}})
    assert resp.status_code == 200, resp.text
    c = resp.json()
    cid = c["id"]
    assert c["role"] == "user" and c["email"] == "Ada@Example.com" and c["external_id"] == "ada-1"
    assert c["custom_attributes"] == {"plan": "pro", "seats": 3}
    assert c["tags"]["total_count"] == 0
    assert sim.state.contacts[cid]["name"] == "Ada Lovelace"

    assert api.get(f"/contacts/{cid}").json()["name"] == "Ada Lovelace"
    assert api.get("/contacts/find_by_external_id/ada-1").json()["id"] == cid

    upd = api.put(f"/contacts/{cid}", {"name": "Ada King", "custom_attributes": {"seats": 5}})
    assert upd.status_code == 200, upd.text
    upd = upd.json()
    assert upd["name"] == "Ada King"
    assert upd["custom_attributes"] == {"plan": "pro", "seats": 5}  # merged key by key
    assert upd["updated_at"] >= c["updated_at"]

    dele = api.delete(f"/contacts/{cid}")
    assert dele.json() == {"id": cid, "external_id": "ada-1", "type": "contact", "deleted": True}
    err = _error(api.get(f"/contacts/{cid}"), 404, "not_found")
    assert err["message"] == "User Not Found"
    _error(api.get("/contacts/find_by_external_id/ada-1"), 404, "not_found")
    assert cid not in sim.state.contacts


def test_create_contact_validation(api, sim):
    existing = next(c for c in sim.state.contacts.values() if c["external_id"])
    err = _error(api.post("/contacts", {"external_id": existing["external_id"]}), 409, "conflict")
    assert existing["id"] in err["message"]
    _error(api.post("/contacts", {"email": "x@y.z", "custom_attributes": {"nope": 1}}),
           400, "parameter_not_found")
    _error(api.post("/contacts", {"email": "x@y.z", "custom_attributes": {"seats": "many"}}),
           400, "parameter_invalid")
    _error(api.post("/contacts", {"name": "nobody"}), 400, "parameter_not_found")
    _error(api.post("/contacts", {"email": "x@y.z", "bogus": 1}), 400, "bad_request")
    lead = api.post("/contacts", {"role": "lead", "email": existing["email"]})
    assert lead.status_code == 200 and lead.json()["role"] == "lead"
    # a custom attribute becomes usable once defined
    attr = api.post("/data_attributes", {"name": "favourite_colour", "model": "contact",
                                         "data_type": "string"})
    assert attr.status_code == 200, attr.text
    assert attr.json()["full_name"] == "custom_attributes.favourite_colour"
    ok = api.post("/contacts", {"email": "c@d.e", "custom_attributes": {"favourite_colour": "red"}})
    assert ok.status_code == 200, ok.text


def test_archive_tags_notes_companies_segments(api, sim):
    cid = next(c["id"] for c in sim.state.contacts.values() if c["role"] == "user")
    tag_id = next(iter(sim.state.tags))
    tag = api.post(f"/contacts/{cid}/tags", {"id": int(tag_id)}).json()
    assert tag["type"] == "tag" and tag["id"] == tag_id and tag["applied_at"]
    assert tag["applied_by"]["type"] == "admin"
    listed = api.get(f"/contacts/{cid}/tags").json()
    assert listed["type"] == "list" and tag_id in [t["id"] for t in listed["data"]]
    assert api.delete(f"/contacts/{cid}/tags/{tag_id}").json()["id"] == tag_id
    assert tag_id not in [t["id"] for t in api.get(f"/contacts/{cid}/tags").json()["data"]]
    _error(api.post(f"/contacts/{cid}/tags", {"id": "999"}), 404, "not_found")

    note = api.post(f"/contacts/{cid}/notes", {"body": "Hello", "admin_id": sim.state.me_id})
    note = note.json()
    assert note["type"] == "note" and note["body"] == "<p>Hello</p>"
    assert note["contact"] == {"type": "contact", "id": cid}
    assert note["author"]["id"] == sim.state.me_id
    assert api.get(f"/notes/{note['id']}").json() == note
    notes = api.get(f"/contacts/{cid}/notes").json()
    assert notes["data"][0]["id"] == note["id"] and notes["pages"]["type"] == "pages"

    kid = next(iter(sim.state.companies))
    comp = api.post(f"/contacts/{cid}/companies", {"id": kid}).json()
    assert comp["type"] == "company" and comp["id"] == kid
    assert kid in [k["id"] for k in api.get(f"/contacts/{cid}/companies").json()["data"]]
    assert api.delete(f"/contacts/{cid}/companies/{kid}").json()["id"] == kid
    _error(api.post(f"/contacts/{cid}/companies", {"id": "nope"}), 404, "company_not_found")

    segs = api.get(f"/contacts/{cid}/segments").json()
    assert segs["type"] == "list"
    assert all(s["type"] == "segment" for s in segs["data"])

    arch = api.post(f"/contacts/{cid}/archive").json()
    assert arch == {"type": "contact", "id": cid, "external_id": arch["external_id"],
                    "archived": True}
    assert api.get("/contacts").json()["total_count"] == N_CONTACTS - 1
    assert api.post(f"/contacts/{cid}/unarchive").json()["archived"] is False
    assert api.get("/contacts").json()["total_count"] == N_CONTACTS


# --------------------------------------------------------------------------- search


def test_search_operators(api, sim):
    contacts = list(sim.state.contacts.values())

    def expect(pred):
        return {c["id"] for c in contacts if pred(c)}

    cases = [
        ({"field": "role", "operator": "=", "value": "lead"}, lambda c: c["role"] == "lead"),
        ({"field": "role", "operator": "!=", "value": "lead"}, lambda c: c["role"] != "lead"),
        ({"field": "custom_attributes.plan", "operator": "IN", "value": ["pro", "enterprise"]},
         lambda c: c["custom_attributes"].get("plan") in ("pro", "enterprise")),
        ({"field": "custom_attributes.plan", "operator": "NIN", "value": ["free"]},
         lambda c: c["custom_attributes"].get("plan") != "free"),
        ({"field": "email", "operator": "~", "value": "gmail"},
         lambda c: c["email"] is not None and "gmail" in c["email"]),
        ({"field": "email", "operator": "!~", "value": "gmail"},
         lambda c: c["email"] is None or "gmail" not in c["email"]),
        ({"field": "name", "operator": "^", "value": "Ol"},
         lambda c: (c["name"] or "").lower().startswith("ol")),
        ({"field": "email", "operator": "$", "value": ".com"},
         lambda c: (c["email"] or "").endswith(".com")),
        ({"field": "custom_attributes.seats", "operator": ">", "value": 10},
         lambda c: (c["custom_attributes"].get("seats") or 0) > 10),
        ({"field": "custom_attributes.seats", "operator": ">=", "value": 10},
         lambda c: (c["custom_attributes"].get("seats") or 0) >= 10),
        ({"field": "custom_attributes.seats", "operator": "<", "value": "5"},
         lambda c: c["custom_attributes"].get("seats") is not None
         and c["custom_attributes"]["seats"] < 5),
        ({"field": "custom_attributes.seats", "operator": "<=", "value": 5},
         lambda c: c["custom_attributes"].get("seats") is not None
         and c["custom_attributes"]["seats"] <= 5),
        ({"operator": "AND", "value": [
            {"field": "role", "operator": "=", "value": "user"},
            {"operator": "OR", "value": [
                {"field": "location.country", "operator": "=", "value": "Ireland"},
                {"field": "location.country", "operator": "=", "value": "Germany"}]}]},
         lambda c: c["role"] == "user" and c["location"]["country"] in ("Ireland", "Germany")),
    ]
    for query, pred in cases:
        ids, total = _search_ids(api, query, per_page=37)
        assert len(ids) == len(set(ids)) == total, query
        assert set(ids) == expect(pred), query

    # dates are matched by calendar day: ">" starts the next day, "<" before that day
    pivot = sorted(c["created_at"] for c in contacts)[N_CONTACTS // 2]
    day = pivot - pivot % 86400
    ids, _ = _search_ids(api, {"field": "created_at", "operator": ">", "value": str(pivot)})
    assert set(ids) == expect(lambda c: c["created_at"] >= day + 86400)
    ids, _ = _search_ids(api, {"field": "created_at", "operator": "<", "value": pivot})
    assert set(ids) == expect(lambda c: c["created_at"] < day)
    ids, _ = _search_ids(api, {"field": "created_at", "operator": "=", "value": pivot})
    assert set(ids) == expect(lambda c: day <= c["created_at"] < day + 86400) and ids
    _error(api.post("/contacts/search", {"query": {"field": "created_at", "operator": ">=",
                                                   "value": pivot}}), 400, "parameter_invalid")
    tag_id = next(iter(sim.state.tags))
    ids, _ = _search_ids(api, {"field": "tag_id", "operator": "=", "value": tag_id})
    assert set(ids) == expect(lambda c: tag_id in sim.state.contact_tags.get(c["id"], {}))


def test_search_sort_and_errors(api, sim):
    query = {"field": "role", "operator": "=", "value": "user"}
    ids, _ = _search_ids(api, query, sort={"field": "created_at", "order": "descending"})
    created = [sim.state.contacts[i]["created_at"] for i in ids]
    assert created == sorted(created, reverse=True)
    err = _error(api.post("/contacts/search", {"query": query,
                                               "sort": {"field": "created_at", "order": "desc"}}),
                 400, "invalid_sort_order")
    assert "ascending, descending" in err["message"]
    _error(api.post("/contacts/search", {"query": {"field": "nope", "operator": "=",
                                                   "value": 1}}), 400, "parameter_invalid")
    body = api.post("/contacts/search", {"query": query, "pagination": {"per_page": 5}}).json()
    assert body["pages"]["per_page"] == 5 and body["pages"]["page"] == 1
    assert body["pages"]["next"]["per_page"] == 5


# --------------------------------------------------------------------------- conversations


def test_conversation_lifecycle(api, sim):
    cid = next(iter(sim.state.contacts))
    msg = api.post("/conversations", {"from": {"type": "user", "id": cid}, "body": "Help!"}).json()
    assert msg["type"] == "user_message" and msg["message_type"] == "inapp"
    assert msg["body"] == "Help!"
    conv_id = msg["conversation_id"]
    conv = api.get(f"/conversations/{conv_id}").json()
    assert conv["type"] == "conversation" and conv["id"] == conv_id
    assert conv["state"] == "open" and conv["open"] is True
    assert conv["source"]["body"] == "<p>Help!</p>"
    assert conv["source"]["author"]["id"] == cid
    assert conv["contacts"] == {"type": "contact.list", "contacts": [
        {"type": "contact", "id": cid, "external_id": sim.state.contacts[cid]["external_id"]}]}
    assert conv["conversation_parts"] == {"type": "conversation_part.list",
                                          "conversation_parts": [], "total_count": 0}
    admin = sim.state.me_id

    conv = api.post(f"/conversations/{conv_id}/reply", {
        "message_type": "comment", "type": "admin", "admin_id": admin, "body": "On it"}).json()
    part = conv["conversation_parts"]["conversation_parts"][-1]
    assert part["part_type"] == "comment" and part["body"] == "<p>On it</p>"
    assert part["author"]["type"] == "admin" and part["author"]["id"] == admin
    conv = api.post(f"/conversations/{conv_id}/reply", {
        "message_type": "note", "type": "admin", "admin_id": admin, "body": "internal"}).json()
    assert conv["conversation_parts"]["conversation_parts"][-1]["part_type"] == "note"

    conv = api.post(f"/conversations/{conv_id}/parts", {
        "message_type": "close", "type": "admin", "admin_id": admin, "body": "Bye"}).json()
    assert conv["state"] == "closed" and conv["open"] is False
    assert conv["conversation_parts"]["conversation_parts"][-1]["part_type"] == "close"

    conv = api.post(f"/conversations/{conv_id}/reply", {
        "message_type": "comment", "type": "user", "intercom_user_id": cid,
        "body": "one more thing"}).json()
    last = conv["conversation_parts"]["conversation_parts"][-1]
    assert conv["state"] == "open" and last["part_type"] == "open"
    assert last["author"]["id"] == cid

    until = int(time.time()) + 3600
    conv = api.post(f"/conversations/{conv_id}/parts", {
        "message_type": "snoozed", "admin_id": admin, "snoozed_until": until}).json()
    assert conv["state"] == "snoozed" and conv["snoozed_until"] == until

    other = next(a for a in sim.state.admins if a != admin)
    conv = api.post(f"/conversations/{conv_id}/parts", {
        "message_type": "assignment", "type": "admin", "admin_id": admin,
        "assignee_id": other}).json()
    assert conv["admin_assignee_id"] == int(other)
    assert conv["conversation_parts"]["conversation_parts"][-1]["assigned_to"] == {
        "type": "admin", "id": other}
    assert conv["conversation_parts"]["total_count"] == 6

    tag_id = next(iter(sim.state.tags))
    tag = api.post(f"/conversations/{conv_id}/tags", {"id": tag_id, "admin_id": admin}).json()
    assert tag["id"] == tag_id and tag["applied_by"] == {"type": "admin", "id": admin}
    conv = api.get(f"/conversations/{conv_id}").json()
    assert conv["tags"]["type"] == "tag.list" and conv["tags"]["tags"][0]["id"] == tag_id
    assert api.delete(f"/conversations/{conv_id}/tags/{tag_id}",
                      {"admin_id": admin}).json()["id"] == tag_id

    upd = api.put(f"/conversations/{conv_id}", {"read": True, "title": "Help request",
                                                "custom_attributes": {"issue_type": "Billing"}})
    assert upd.json()["title"] == "Help request" and upd.json()["read"] is True

    assert api.delete(f"/conversations/{conv_id}").json() == {
        "id": conv_id, "object": "conversation", "deleted": True}
    _error(api.get(f"/conversations/{conv_id}"), 404, "not_found")


def test_conversation_list_and_search(api, sim):
    seen, cursor = [], None
    while True:
        params = {"per_page": 50}
        if cursor:
            params["starting_after"] = cursor
        body = api.get("/conversations", params=params).json()
        assert body["type"] == "conversation.list"
        assert body["total_count"] == len(sim.state.conversations)
        assert all("conversation_parts" not in c for c in body["conversations"])
        seen += [c["id"] for c in body["conversations"]]
        if "next" not in body["pages"]:
            break
        cursor = body["pages"]["next"]["starting_after"]
    assert sorted(seen) == sorted(sim.state.conversations)
    assert api.get("/conversations").json()["pages"]["per_page"] == 20

    resp = api.post("/conversations/search", {
        "query": {"operator": "AND", "value": [
            {"field": "state", "operator": "=", "value": "closed"},
            {"field": "open", "operator": "=", "value": False}]},
        "pagination": {"per_page": 150}})
    body = resp.json()
    expected = {c["id"] for c in sim.state.conversations.values() if c["state"] == "closed"}
    assert body["type"] == "conversation.list" and body["total_count"] == len(expected)
    assert {c["id"] for c in body["conversations"]} <= expected


# --------------------------------------------------------------------------- other resources


def test_admins_teams_tags_segments_attributes(api, sim):
    admins = api.get("/admins").json()
    assert admins["type"] == "admin.list" and len(admins["admins"]) == len(sim.state.admins)
    a = admins["admins"][0]
    assert a["type"] == "admin" and isinstance(a["id"], str) and isinstance(a["team_ids"], list)
    assert api.get(f"/admins/{a['id']}").json()["email"] == a["email"]
    _error(api.get("/admins/1"), 404, "admin_not_found")
    me = api.get("/me").json()
    assert me["id"] == sim.state.me_id and me["app"]["type"] == "app"
    away = api.put(f"/admins/{a['id']}/away", {"away_mode_enabled": True,
                                               "away_mode_reassign": False}).json()
    assert away["away_mode_enabled"] is True

    teams = api.get("/teams").json()
    assert teams["type"] == "team.list" and teams["teams"][0]["type"] == "team"
    _error(api.get("/teams/1"), 404, "team_not_found")

    tag = api.post("/tags", {"name": "Brand new"}).json()
    assert tag == {"type": "tag", "id": tag["id"], "name": "Brand new"}
    assert api.post("/tags", {"name": "Brand new"}).json()["id"] == tag["id"]
    assert api.get(f"/tags/{tag['id']}").json() == tag
    cid = next(iter(sim.state.contacts))
    tagged = api.post("/tags", {"name": "Brand new", "users": [{"id": cid}]}).json()
    assert tagged["users"] == [{"id": cid, "tagged": True}]
    assert tag["id"] in sim.state.contact_tags[cid]
    _error(api.post("/tags", {"test": "invalid"}), 400, "parameter_invalid")
    assert api.delete(f"/tags/{tag['id']}").status_code == 200
    _error(api.get(f"/tags/{tag['id']}"), 404, "not_found")

    segs = api.get("/segments", params={"include_count": "true"}).json()
    assert segs["type"] == "segment.list" and "count" in segs["segments"][0]

    attrs = api.get("/data_attributes", params={"model": "contact"}).json()
    names = {x["name"] for x in attrs["data"] if x["custom"]}
    assert {"plan", "seats"} <= names
    assert all(x["type"] == "data_attribute" for x in attrs["data"])
    _error(api.get("/data_attributes", params={"model": "conversation"}), 422,
           "parameter_invalid")
    _error(api.post("/data_attributes", {"name": "plan", "model": "contact",
                                         "data_type": "string"}), 400, "parameter_invalid")


def test_companies(api, sim):
    created = api.post("/companies", {"company_id": "acme-1", "name": "Acme",
                                      "custom_attributes": {"tier": "smb"}}).json()
    assert created["type"] == "company" and created["company_id"] == "acme-1"
    again = api.post("/companies", {"company_id": "acme-1", "name": "Acme Corp"}).json()
    assert again["id"] == created["id"] and again["name"] == "Acme Corp"
    assert api.get("/companies", params={"company_id": "acme-1"}).json()["id"] == created["id"]
    _error(api.get("/companies", params={"company_id": "missing"}), 404, "company_not_found")
    page = api.get("/companies", params={"per_page": 5}).json()
    assert page["type"] == "list" and page["pages"]["per_page"] == 5
    assert page["total_count"] == len(sim.state.companies)
    assert page["pages"]["next"].endswith("page=2&per_page=5")
    upd = api.put(f"/companies/{created['id']}", {"industry": "Rockets"}).json()
    assert upd["industry"] == "Rockets"
    kid = next(k for k, members in sim.state.company_contacts.items() if members)
    members = api.get(f"/companies/{kid}/contacts").json()
    assert {c["id"] for c in members["data"]} == sim.state.company_contacts[kid]
    scrolled, param = [], None
    while True:
        body = api.get("/companies/scroll",
                       params={"scroll_param": param} if param else {}).json()
        if not body["data"]:
            break
        scrolled += [k["id"] for k in body["data"]]
        param = body["scroll_param"]
    assert sorted(scrolled) == sorted(sim.state.companies)
    assert api.delete(f"/companies/{created['id']}").json() == {
        "id": created["id"], "object": "company", "deleted": True}


def test_events_and_messages(api, sim):
    contact = next(c for c in sim.state.contacts.values() if c["role"] == "user")
    cid = contact["id"]
    for i in range(5):
        resp = api.post("/events", {"event_name": "ordered", "created_at": 1700000000 + i,
                                    "id": cid, "metadata": {"n": i}})
        assert resp.status_code == 202 and resp.content == b""
    body = api.get("/events", params={"type": "user", "intercom_user_id": cid,
                                      "per_page": 2}).json()
    # 2.16 lists data events as "event.summary" (data_event_summary), with the identity fields
    assert body["type"] == "event.summary" and len(body["events"]) == 2
    assert (body["email"], body["intercom_user_id"], body["user_id"]) == (
        contact["email"], cid, contact["external_id"])
    assert body["events"][0]["type"] == "event"
    assert body["pages"]["next"].startswith(sim.base_url + "/events?")
    nxt = api.get(body["pages"]["next"][len(sim.base_url):]).json()
    assert nxt["type"] == "event.summary" and "since" not in nxt["pages"]
    assert {e["id"] for e in nxt["events"]}.isdisjoint(e["id"] for e in body["events"])
    # pages.since (first page): the events newer than the newest one listed
    since = body["pages"]["since"]
    assert api.get(since[len(sim.base_url):]).json()["events"] == []
    api.post("/events", {"event_name": "later", "id": cid,
                         "created_at": body["events"][0]["created_at"] + 5})
    assert [e["event_name"] for e in api.get(since[len(sim.base_url):]).json()["events"]] == [
        "later"]
    summary = api.get("/events", params={"type": "user", "user_id": contact["external_id"],
                                         "summary": "true"}).json()
    assert summary["type"] == "event.summary"
    assert any(e["name"] == "ordered" and e["count"] >= 5 for e in summary["events"])

    msg = api.post("/messages", {"message_type": "inapp", "body": "Hey",
                                 "from": {"type": "admin", "id": sim.state.me_id},
                                 "to": {"type": "user", "id": cid}}).json()
    assert msg["type"] == "admin_message" and msg["owner"]["id"] == sim.state.me_id
    conv = sim.state.conversations[msg["conversation_id"]]
    assert conv["source"]["delivered_as"] == "admin_initiated"
    _error(api.post("/messages", {"message_type": "email", "body": "x", "template": "plain",
                                  "from": {"type": "admin", "id": sim.state.me_id},
                                  "to": {"type": "user", "id": cid}}), 422, "parameter_not_found")


# --------------------------------------------------------------------------- faults


def test_fail_injection(api, sim):
    sim.fail(status=500, times=2, method="GET", path="/contacts")
    assert api.get("/me").status_code == 200  # does not match
    _error(api.get("/contacts"), 500, "server_error")
    _error(api.get("/contacts/abc"), 500, "server_error")  # prefix match
    assert api.get("/contacts").status_code == 200  # used up
    sim.fail(status=503, path=r"/conversations/\d+", retry_after=3)
    conv_id = next(iter(sim.state.conversations))
    resp = api.get(f"/conversations/{conv_id}")
    _error(resp, 503, "service_unavailable")
    assert resp.headers["Retry-After"] == "3"
    assert "X-RateLimit-Remaining" in resp.headers
    assert api.get(f"/conversations/{conv_id}").status_code == 200
    sim.fail(status=429)
    resp = api.get("/me")
    _error(resp, 429, "rate_limit_exceeded")
    assert resp.headers["X-RateLimit-Remaining"] == "0"


def test_throttle(api, sim):
    sim.throttle(times=2, retry_after=5)
    for _ in range(2):
        resp = api.get("/me")
        _error(resp, 429, "rate_limit_exceeded")
        assert resp.headers["X-RateLimit-Remaining"] == "0"
        reset = int(resp.headers["X-RateLimit-Reset"])
        assert time.time() + 3 < reset <= time.time() + 7
        assert int(resp.headers["X-RateLimit-Limit"]) > 0
    assert api.get("/me").status_code == 200


def test_rate_limit(api, sim):
    sim.rate_limit(limit=3, window=30.0)
    statuses = [api.get("/me") for _ in range(5)]
    assert [r.status_code for r in statuses] == [200, 200, 200, 429, 429]
    assert [r.headers["X-RateLimit-Remaining"] for r in statuses[:3]] == ["2", "1", "0"]
    assert all(r.headers["X-RateLimit-Limit"] == "3" for r in statuses)
    _error(statuses[3], 429, "rate_limit_exceeded")
    sim.rate_limit(None)
    assert api.get("/me").status_code == 200


def test_drop_connection(api, sim):
    before = len(sim.state.contacts)
    sim.drop(method="POST", path="/contacts")
    with pytest.raises(requests.ConnectionError):
        api.post("/contacts", {"email": "lost@example.com"})
    assert len(sim.state.contacts) == before
    assert api.get("/me").status_code == 200  # server still alive

    sim.drop(after_apply=True)
    with pytest.raises(requests.ConnectionError):
        api.post("/contacts", {"email": "applied@example.com"})
    assert len(sim.state.contacts) == before + 1
    assert any(c["email"] == "applied@example.com" for c in sim.state.contacts.values())
    assert sim.requests[-1].status is None


def test_slow_response_is_applied_before_the_wait(sim):
    before = len(sim.state.contacts)
    sim.slow(0.5, method="POST", path="/contacts")
    headers = {"Authorization": f"Bearer {sim.credentials['access_token']}"}
    with pytest.raises(requests.Timeout):
        requests.post(f"{sim.base_url}/contacts", json={"email": "slow@example.com"},
                      headers=headers, timeout=0.2)
    assert len(sim.state.contacts) == before + 1  # applied, though the client gave up
    start = time.perf_counter()
    assert requests.get(f"{sim.base_url}/me", headers=headers, timeout=5).status_code == 200
    assert time.perf_counter() - start < 0.4  # only the matching request was slow


def test_latency(api, sim):
    sim.latency = 0.2
    start = time.perf_counter()
    assert api.get("/me").status_code == 200
    assert time.perf_counter() - start >= 0.2
    sim.latency = 0


# --------------------------------------------------------------------------- log / reset / seed


def test_request_log(api, sim):
    sim.clear_requests()
    api.post("/contacts/search", {"query": {"field": "role", "operator": "=", "value": "lead"}},
             params={"include_merge_history": "false"})
    api.get("/contacts", params={"per_page": "1", "x": "2"})
    assert len(sim.requests) == 2
    first, second = sim.requests
    assert first.method == "POST" and first.path == "/contacts/search"
    assert first.json == {"query": {"field": "role", "operator": "=", "value": "lead"}}
    assert first.query == {"include_merge_history": "false"}
    assert first.headers["Authorization"] == "***"
    assert sim.credentials["access_token"] not in repr(first)
    assert second.method == "GET" and second.query == {"per_page": "1", "x": "2"}
    assert second.json is None and second.status == 200
    sim.clear_requests()
    assert sim.requests == []


def test_reset_restores_seeded_state(api, sim):
    snapshot = copy.deepcopy(sim.state.contacts)
    convs = copy.deepcopy(sim.state.conversations)
    cid = next(iter(snapshot))
    api.put(f"/contacts/{cid}", {"name": "Changed"})
    api.delete(f"/contacts/{next(iter(list(snapshot)[1:]))}")
    api.post("/contacts", {"email": "new@example.com"})
    sim.fail(status=500, times=5)
    sim.latency = 0.01
    sim.reset()
    assert sim.requests == [] and sim.faults == [] and sim.latency == 0
    assert sim.state.contacts == snapshot
    assert sim.state.conversations == convs
    assert api.get(f"/contacts/{cid}").status_code == 200


def test_seeding_is_deterministic():
    a = create("intercom", seed=7, contacts=120)
    b = create("intercom", seed=7, contacts=120)
    c = create("intercom", seed=8, contacts=120)
    assert a.state.contacts == b.state.contacts
    assert a.state.conversations == b.state.conversations
    assert a.state.conversation_parts == b.state.conversation_parts
    assert a.state.companies == b.state.companies
    assert a.state.contacts != c.state.contacts
    assert len(a.state.contacts) == 120
    assert len(a.state.conversations) == 60
    assert len(a.state.companies) == 6
    a.seed(contacts=10, conversations=5)
    b.seed(contacts=10, conversations=5)
    assert len(a.state.contacts) == 130 and len(a.state.conversations) == 65
    assert a.state.contacts == b.state.contacts
    parts = [len(p) for p in a.state.conversation_parts.values()]
    assert min(parts) >= 1 and max(parts) <= 7
    assert {c["state"] for c in a.state.conversations.values()} == {"open", "closed", "snoozed"}


def test_seeding_10000_contacts():
    # speed is measured in benchmarks/, not asserted here (no timed assertions in tests)
    sim = create("intercom", seed=1, contacts=10_000)
    assert len(sim.state.contacts) == 10_000
    with serve("intercom", seed=1, contacts=2000) as live:
        headers = {"Authorization": f"Bearer {live.credentials['access_token']}"}
        body = requests.get(live.base_url + "/contacts", params={"per_page": 150},
                            headers=headers, timeout=10).json()
        assert len(body["data"]) == 150


# --------------------------------------------------------------------------- 2.16 additions


def test_contact_merge_wire_checks(api, sim):
    user = api.post("/contacts", {"email": "m@example.com"}).json()
    lead = api.post("/contacts", {"role": "lead", "email": "m@example.com"}).json()
    _error(api.post("/contacts/merge", {"from": lead["id"]}), 400, "parameter_not_found")
    _error(api.post("/contacts/merge", {"from": lead["id"], "into": user["id"],
                                        "skip_duplicate_validation": "yes"}),
           400, "parameter_invalid")
    _error(api.post("/contacts/merge", {"from": lead["id"], "into": user["id"], "x": 1}),
           400, "bad_request")
    _error(api.post("/contacts/merge", {"from": user["id"], "into": lead["id"]}),
           400, "invalid_merge")
    merged = api.post("/contacts/merge", {"from": lead["id"], "into": user["id"]}).json()
    assert (merged["type"], merged["id"], merged["role"]) == ("contact", user["id"], "user")
    gone = api.get(f"/contacts/{lead['id']}")
    assert gone.status_code == 410 and gone.json()["errors"][0]["code"] == "contact_merged"
    assert gone.headers["Link"] == f'</contacts/{user["id"]}>; rel="canonical"'
    _error(api.post("/contacts/merge", {"from": lead["id"], "into": user["id"]}),
           404, "not_found")


def test_conversation_attributes_and_unassigned_shape(api, sim):
    body = api.get("/conversations/attributes").json()
    assert body["type"] == "list"
    assert {a["type"] for a in body["data"]} == {"conversation_attribute"}
    sim.state.conversation_attributes[0]["archived"] = True
    assert len(api.get("/conversations/attributes").json()["data"]) == 1
    assert len(api.get("/conversations/attributes",
                       params={"include_archived": "true"}).json()["data"]) == 2
    _error(api.get("/data_attributes", params={"model": "conversation"}), 422,
           "parameter_invalid")
    unassigned = [c for c in sim.state.conversations.values() if not c["admin_assignee_id"]]
    assert unassigned and all(c["admin_assignee_id"] == 0 for c in unassigned)
    conv = api.get(f"/conversations/{unassigned[0]['id']}").json()
    assert conv["admin_assignee_id"] == 0 and isinstance(conv["team_assignee_id"], int)

"""Intercom's and Crisp's simulator webhooks: topics, exact payloads and signatures, as a real
receiver gets them (signatures checked here with hmac, independently of the simulator)."""

from __future__ import annotations

import hashlib
import hmac

import pytest
import requests

from chatmodels.testing import serve

from .receiver import receiver

ENVELOPE = {"type", "app_id", "data", "links", "id", "topic", "delivery_status",
            "delivery_attempts", "delivered_at", "first_sent_at", "created_at", "self"}


@pytest.fixture
def rx():
    with receiver() as app:
        yield app


# -- Intercom ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def intercom_server():
    with serve("intercom", seed=5, contacts=3) as sim:
        yield sim


@pytest.fixture
def ic(intercom_server):
    intercom_server.reset()
    yield intercom_server
    intercom_server.reset()


def _ic(sim, method, path, body=None):
    resp = requests.request(method, sim.base_url + path, json=body, timeout=5,
                            headers={"Authorization": f"Bearer {sim.credentials['access_token']}"})
    assert resp.status_code == 200, resp.text
    return resp.json()


def test_intercom_notification_envelope_and_signature(ic, rx):
    ic.subscribe(rx.url)
    contact = _ic(ic, "POST", "/contacts", {"email": "ann@example.com", "name": "Ann"})
    ic.flush_webhooks()
    [got] = rx.received
    body = got.json
    assert set(body) == ENVELOPE
    assert body["type"] == "notification_event" and body["topic"] == "contact.user.created"
    assert body["app_id"] == ic.state.workspace_id and body["id"].startswith("notif_")
    assert body["data"] == {"type": "notification_event_data",
                            "item": _ic(ic, "GET", f"/contacts/{contact['id']}")}
    assert (body["delivery_status"], body["delivery_attempts"], body["delivered_at"],
            body["links"], body["self"]) == ("pending", 1, 0, {}, None)
    assert isinstance(body["created_at"], int) and body["first_sent_at"] >= body["created_at"]
    mac = hmac.new(ic.credentials["webhook_secret"].encode(), got.body, hashlib.sha1)
    assert got.headers["X-Hub-Signature"] == "sha1=" + mac.hexdigest()


def test_intercom_conversation_topics_in_order(ic, rx):
    ic.subscribe(rx.url)
    lead = _ic(ic, "POST", "/contacts", {"role": "lead", "email": "lee@example.com"})
    admin = _ic(ic, "GET", "/me")["id"]
    msg = _ic(ic, "POST", "/conversations", {"from": {"type": "lead", "id": lead["id"]},
                                             "body": "Hello"})
    conv = msg["conversation_id"]
    _ic(ic, "POST", f"/conversations/{conv}/reply", {"type": "user", "intercom_user_id": lead["id"],
                                                     "message_type": "comment", "body": "Again"})
    _ic(ic, "POST", f"/conversations/{conv}/reply", {"type": "admin", "admin_id": admin,
                                                     "message_type": "comment", "body": "Hi"})
    _ic(ic, "POST", f"/conversations/{conv}/reply", {"type": "admin", "admin_id": admin,
                                                     "message_type": "note", "body": "psst"})
    _ic(ic, "POST", f"/conversations/{conv}/parts", {"message_type": "assignment",
                                                     "admin_id": admin, "assignee_id": admin})
    tag = _ic(ic, "POST", "/tags", {"name": "vip"})
    _ic(ic, "POST", f"/conversations/{conv}/tags", {"id": tag["id"], "admin_id": admin})
    _ic(ic, "POST", f"/contacts/{lead['id']}/tags", {"id": tag["id"]})
    _ic(ic, "POST", f"/conversations/{conv}/parts", {"message_type": "close",
                                                     "admin_id": admin})
    ic.flush_webhooks()
    bodies = rx.bodies()
    assert [b["topic"] for b in bodies] == [
        "contact.lead.created", "conversation.user.created", "conversation.user.replied",
        "conversation.admin.replied", "conversation.admin.noted", "conversation.admin.assigned",
        "conversation_part.tag.created", "contact.tag.created", "conversation.admin.closed"]
    final = _ic(ic, "GET", f"/conversations/{conv}")
    assert bodies[-1]["data"]["item"] == final
    assert bodies[1]["data"]["item"]["id"] == conv
    assert bodies[1]["data"]["item"]["source"]["body"] == "<p>Hello</p>"
    tagged = bodies[7]["data"]["item"]
    assert set(tagged) == {"type", "created_at", "contact", "tag"}
    assert tagged["type"] == "contact_tag" and tagged["tag"]["id"] == tag["id"]
    assert tagged["contact"]["id"] == lead["id"]
    assert bodies[5]["data"]["item"]["admin_assignee_id"] == int(admin)


def test_intercom_deletes(ic, rx):
    ic.subscribe(rx.url, topics=["*.deleted"])
    contact = _ic(ic, "POST", "/contacts", {"email": "gone@example.com"})
    _ic(ic, "DELETE", f"/contacts/{contact['id']}")
    ic.flush_webhooks()
    [body] = rx.bodies()
    assert body["topic"] == "contact.deleted"
    assert body["data"]["item"] == {"id": contact["id"], "external_id": None,
                                    "type": "contact", "deleted": True}


# -- Crisp ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def crisp_server():
    with serve("crisp", seed=5, contacts=3) as sim:
        yield sim


@pytest.fixture
def cr(crisp_server):
    crisp_server.reset()
    yield crisp_server
    crisp_server.reset()


def _cr(sim, method, path, body=None, status=None):
    c = sim.credentials
    resp = requests.request(method, f"{sim.base_url}/website/{c['website_id']}{path}", json=body,
                            auth=(c["identifier"], c["key"]), headers={"X-Crisp-Tier": "plugin"},
                            timeout=5)
    assert resp.status_code < 300, resp.text
    return resp.json()["data"]


def crisp_signed(got, secret):
    ts = got.headers["X-Crisp-Request-Timestamp"]
    trace = b"[" + ts.encode() + b";" + got.body + b"]"
    return got.headers["X-Crisp-Signature"] == hmac.new(secret.encode(), trace,
                                                        hashlib.sha256).hexdigest()


def test_crisp_message_send_matches_the_documented_example(cr, rx):
    cr.subscribe(rx.url)
    session = _cr(cr, "POST", "/conversation", {})["session_id"]
    _cr(cr, "POST", f"/conversation/{session}/message",
        {"type": "text", "from": "user", "origin": "chat", "content": "Hey :) é"})
    _cr(cr, "POST", f"/conversation/{session}/message",
        {"type": "text", "from": "operator", "origin": "chat", "content": "Hello!"})
    cr.flush_webhooks()
    assert [b["event"] for b in rx.bodies()] == ["session:request:initiated", "message:send",
                                                 "message:received"]
    website = cr.credentials["website_id"]
    for got in rx.received:
        assert crisp_signed(got, cr.credentials["webhook_secret"])
        assert int(got.headers["X-Crisp-Request-Timestamp"]) > 1_600_000_000
        assert got.headers["X-Delivery-Attempt-Count"] == "1"
    sent = rx.bodies()[1]
    assert set(sent) == {"website_id", "event", "data", "timestamp"}
    assert sent["website_id"] == website and isinstance(sent["timestamp"], int)
    stored = _cr(cr, "GET", f"/conversation/{session}/message/{sent['data']['fingerprint']}")
    assert sent["data"] == {"website_id": website, "session_id": session, "inbox_id": None,
                            "type": "text", "from": "user", "origin": "chat",
                            "content": "Hey :) é", "fingerprint": stored["fingerprint"],
                            "timestamp": stored["timestamp"], "user": stored["user"],
                            "mentions": [], "stamped": True}
    assert "Hey :) é".encode() in rx.received[1].body  # sent as UTF-8, not \\u escapes


def test_crisp_session_and_people_events(cr, rx):
    cr.subscribe(rx.url, topics=["session:set_*", "people:*"])
    session = _cr(cr, "POST", "/conversation", {})["session_id"]
    people_id = _cr(cr, "POST", "/people/profile", {"email": "pat@example.com",
                                                    "person": {"nickname": "Pat"}})["people_id"]
    _cr(cr, "PATCH", f"/people/profile/{people_id}", {"person": {"nickname": "Patty"}})
    _cr(cr, "PATCH", f"/conversation/{session}/meta", {"segments": ["vip"],
                                                       "email": "pat@example.com"})
    _cr(cr, "PATCH", f"/conversation/{session}/state", {"state": "resolved"})
    _cr(cr, "DELETE", f"/people/profile/{people_id}")
    cr.flush_webhooks()
    website = cr.credentials["website_id"]
    session_keys = {"website_id": website, "session_id": session, "inbox_id": None}
    bodies = rx.bodies()
    assert [(b["event"], b["data"]) for b in bodies if b["event"] != "people:profile:updated"] == [
        ("people:profile:created", {"website_id": website, "people_id": people_id,
                                    "email": "pat@example.com"}),
        ("session:set_segments", {**session_keys, "segments": ["vip"]}),
        ("session:set_email", {**session_keys, "email": "pat@example.com"}),
        ("session:set_state", {**session_keys, "state": "resolved"}),
        ("people:profile:removed", {"website_id": website, "people_id": people_id}),
    ]
    updated = bodies[1]
    assert updated["event"] == "people:profile:updated"
    assert updated["data"]["people_id"] == people_id
    assert updated["data"]["update"]["person"]["nickname"] == "Patty"
    assert isinstance(updated["data"]["update"]["updated_at"], int)

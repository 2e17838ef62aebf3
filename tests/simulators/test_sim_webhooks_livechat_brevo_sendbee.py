"""LiveChat's, Brevo's and Sendbee's simulator webhooks as a real receiver gets them, checked
by hand and parsed with the project's existing parsers."""

from __future__ import annotations

import json

import pytest
import requests

from chatmodels.brevo import webhooks as brevo_webhooks
from chatmodels.errors import AuthenticationError
from chatmodels.livechat import webhooks as livechat_webhooks
from chatmodels.sendbee import webhooks as sendbee_webhooks
from chatmodels.sendbee.auth import make_token, verify_token
from chatmodels.testing import serve

from .receiver import receiver


@pytest.fixture
def rx():
    with receiver() as app:
        yield app


# -- LiveChat ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def livechat_server():
    with serve("livechat", seed=5, chats=2, customers=2) as sim:
        yield sim


@pytest.fixture
def lc(livechat_server):
    livechat_server.reset()
    yield livechat_server
    livechat_server.reset()


def _lc(sim, api, action, body):
    c = sim.credentials
    resp = requests.post(f"{sim.base_url}/v3.6/{api}/action/{action}", json=body, timeout=5,
                         auth=(c["account_id"], c["token"]))
    assert resp.status_code == 200, resp.text
    return resp.json()


def _start(sim, text="hello"):
    customer = sorted(sim.state.customers)[0]
    return _lc(sim, "agent", "start_chat", {"chat": {
        "users": [{"id": customer, "type": "customer"}],
        "thread": {"events": [{"type": "message", "text": text}]}}})


def test_livechat_registered_webhook_delivers_with_its_secret_key(lc, rx):
    hook = _lc(lc, "configuration", "register_webhook", {
        "url": rx.url, "action": "incoming_event", "secret_key": "hook-secret",
        "owner_client_id": "client-1", "type": "license",
        "additional_data": ["chat_properties", "chat_presence_user_ids"]})
    chat = _start(lc)
    event_id = _lc(lc, "agent", "send_event", {"chat_id": chat["chat_id"], "event": {
        "type": "message", "text": "second"}})["event_id"]
    lc.flush_webhooks()
    [got] = rx.received  # start_chat's own events come inside incoming_chat, not registered
    body = got.json
    stored = _lc(lc, "agent", "get_chat", {"chat_id": chat["chat_id"]})
    [event] = [e for e in stored["thread"]["events"] if e["id"] == event_id]
    assert body == {"webhook_id": hook["id"], "secret_key": "hook-secret",
                    "action": "incoming_event", "organization_id": lc.organization_id,
                    "payload": {"chat_id": chat["chat_id"], "thread_id": chat["thread_id"],
                                "event": event},
                    "additional_data": {"chat_properties": stored["properties"],
                                        "chat_presence_user_ids": [u["id"] for u in
                                                                   stored["users"]]}}
    parsed = livechat_webhooks.parse(got.body, secret="hook-secret")
    assert (parsed.action, parsed.topic, parsed.id) == ("incoming_event", "message.created",
                                                        hook["id"])
    assert parsed.object.id == event_id
    with pytest.raises(AuthenticationError):
        livechat_webhooks.parse(got.body, secret="another")


def test_livechat_filters_and_unregister(lc, rx):
    hook = _lc(lc, "configuration", "register_webhook", {
        "url": rx.url, "action": "incoming_event", "secret_key": "k", "owner_client_id": "c",
        "type": "license", "filters": {"author_type": "customer"}})
    chat = _start(lc)
    _lc(lc, "agent", "send_event", {"chat_id": chat["chat_id"],
                                    "event": {"type": "message", "text": "by the agent"}})
    agents_only = _lc(lc, "configuration", "register_webhook", {
        "url": rx.url + "/agents", "action": "incoming_event", "secret_key": "k",
        "owner_client_id": "c", "type": "license", "filters": {"author_type": "agent"}})
    _lc(lc, "agent", "send_event", {"chat_id": chat["chat_id"],
                                    "event": {"type": "message", "text": "agent again"}})
    for registered in (hook, agents_only):
        _lc(lc, "configuration", "unregister_webhook", {"id": registered["id"],
                                                        "owner_client_id": "c"})
    _lc(lc, "agent", "send_event", {"chat_id": chat["chat_id"],
                                    "event": {"type": "message", "text": "unregistered"}})
    lc.flush_webhooks()
    assert [(r.path, r.json["payload"]["event"]["text"]) for r in rx.received] == [
        ("/hooks/agents", "agent again")]


def test_livechat_subscription_gets_chat_lifecycle_and_configuration(lc, rx):
    sub = lc.subscribe(rx.url, topics=["incoming_chat", "chat_deactivated", "thread_tagged",
                                       "tag_created"])
    _lc(lc, "configuration", "create_tag", {"name": "billing"})
    chat = _start(lc, "first words")
    _lc(lc, "agent", "tag_thread", {"chat_id": chat["chat_id"], "thread_id": chat["thread_id"],
                                    "tag": "billing"})
    _lc(lc, "agent", "deactivate_chat", {"id": chat["chat_id"]})
    lc.flush_webhooks()
    bodies = rx.bodies()
    assert [b["action"] for b in bodies] == ["tag_created", "incoming_chat", "thread_tagged",
                                             "chat_deactivated"]
    assert all(b["secret_key"] == lc.credentials["webhook_secret"] and b["webhook_id"] == sub.id
               for b in bodies)
    tag = bodies[0]
    assert tag["payload"] == {"name": "billing", "group_ids": [],
                              "author_id": lc.state.me,
                              "created_at": tag["payload"]["created_at"]}
    assert tag["requester"] == {"user_id": lc.state.me,
                                "account_id": lc.credentials["account_id"],
                                "client_id": "chatmodels-simulator"}
    incoming = bodies[1]["payload"]["chat"]
    assert incoming["id"] == chat["chat_id"]
    assert [e["text"] for e in incoming["thread"]["events"]] == ["first words"]
    assert bodies[2]["payload"] == {"chat_id": chat["chat_id"], "thread_id": chat["thread_id"],
                                    "tag": "billing"}
    assert bodies[3]["payload"] == {"chat_id": chat["chat_id"], "thread_id": chat["thread_id"],
                                    "user_id": lc.state.me}
    for got in rx.received:
        parsed = livechat_webhooks.parse(got.body, secret=lc.credentials["webhook_secret"])
        assert parsed.action == got.json["action"]
    assert livechat_webhooks.parse(rx.received[3].body,
                                   secret=sub.secret).topic == "conversation.closed"


# -- Brevo ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def brevo_server():
    with serve("brevo", seed=5, contacts=3, conversations=3) as sim:
        yield sim


@pytest.fixture
def bv(brevo_server):
    brevo_server.reset()
    yield brevo_server
    brevo_server.reset()


def test_brevo_outbox_is_delivered_with_the_url_token(bv, rx):
    visitor = sorted(bv.state.visitors)[0]
    bv.close_conversation(visitor)  # before subscribing: not delivered
    seeded = len(bv.outbox)
    assert seeded > 1
    sub = bv.subscribe(rx.url + "?site=shop")
    bv.visitor_says(visitor, "Is my parcel late?")
    resp = requests.post(bv.base_url + "/conversations/messages", timeout=5,
                         headers={"api-key": bv.credentials["api_key"]},
                         json={"visitorId": visitor, "text": "Let me check",
                               "agentEmail": "agent@example.com", "agentName": "Ada",
                               "receivedFrom": "shop"})
    assert resp.status_code < 300, resp.text
    transcript = bv.close_conversation(visitor)
    bv.flush_webhooks()
    assert [r.json for r in rx.received] == bv.outbox[seeded:]
    assert [b["eventName"] for b in rx.bodies()] == ["conversationStarted",
                                                     "conversationFragment",
                                                     "conversationTranscript"]
    assert rx.bodies()[-1] == transcript
    for got in rx.received:
        assert got.query == {"site": "shop", "token": sub.secret}
        assert sub.secret == bv.credentials["webhook_secret"]
        brevo_webhooks.verify(got.query["token"], bv.credentials["webhook_secret"])
    started = brevo_webhooks.parse(rx.received[0].body)
    assert started.name == "conversationStarted"
    assert [m.body for m in started.messages] == ["Is my parcel late?"]
    with pytest.raises(AuthenticationError):
        brevo_webhooks.verify("wrong", bv.credentials["webhook_secret"])


# -- Sendbee ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def sendbee_server():
    with serve("sendbee", seed=5, contacts=3, requests_per_minute=0) as sim:
        yield sim


@pytest.fixture
def sb(sendbee_server):
    sendbee_server.reset()
    yield sendbee_server
    sendbee_server.reset()


def test_sendbee_outbox_is_delivered_with_a_signed_token(sb, rx):
    assert sb.credentials["webhook_secret"] == sb.credentials["api_secret"]
    sb.subscribe(rx.url)
    c = sb.credentials
    resp = requests.post(sb.base_url + "/contacts/subscribe", timeout=5,
                         json={"phone": "+385911111111", "name": "Iva"},
                         headers={"X-Api-Key": c["api_key"],
                                  "X-Auth-Token": make_token(c["api_secret"])})
    assert resp.status_code < 300, resp.text
    sb.receive_message("+385922222222", "Hi!")
    sb.flush_webhooks()
    outbox = sb.outbox
    assert [json.loads(r.body) for r in rx.received] == [json.loads(o["body"]) for o in outbox]
    assert [r.json["type"] for r in rx.received] == ["contact.created", "contact.created",
                                                     "message.received"]
    for got in rx.received:
        assert verify_token(got.headers["X-Authorization"], c["api_secret"])
        event = sendbee_webhooks.parse(got.headers, got.body, secret=c["webhook_secret"])
        assert event.type == got.json["type"]
    assert sendbee_webhooks.parse(rx.received[2].headers, rx.received[2].body,
                                  secret=c["api_secret"]).object.body == "Hi!"

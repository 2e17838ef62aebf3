"""The three parts of webhooks together: what each simulator POSTs (signed as its provider
signs) verifies with ``chatmodels.webhooks.parse`` and parses into the right model; tampered,
stale and unsigned deliveries are rejected; and ``webhooks.wsgi_app`` under a real HTTP server
hands each event to its handler once despite duplicated, reordered and dropped deliveries."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import requests
from werkzeug.serving import WSGIRequestHandler, make_server

from chatmodels import crisp, intercom, livechat, sendbee, webhooks
from chatmodels.sendbee.auth import make_token
from chatmodels.testing import serve

from .conftest import FAST_RETRY
from .simulators.receiver import Received, receiver

PROVIDERS = ("intercom", "crisp", "livechat", "brevo", "sendbee")
Expected = list[tuple[str, str, str | None, type]]  # (topic, kind, object id, model class)


# -- what each simulator is made to emit, and the events that should come out ---------------
def intercom_writes(sim: Any) -> Expected:
    api = intercom.connect(base_url=sim.base_url, retry=FAST_RETRY, **sim.credentials)
    contact = api.Contact.create(role="user", email="hook@example.com", name="Hook")
    contact.name = "Hooked"
    contact.save()
    conv = api.Conversation.find(id=sorted(c.id for c in api.Conversation.all())[0])
    conv.reply(body="a reply", author=conv.contacts[0])
    new = api.Conversation.create(contact, "a new conversation")
    contact.add_tag(api.Tag.create(name="hooked"))
    cid = str(contact.id)
    return [("contact.created", "contact", cid, intercom.Contact),
            ("contact.updated", "contact", cid, intercom.Contact),
            ("conversation.replied", "conversation", str(conv.id), intercom.Conversation),
            ("conversation.created", "conversation", str(new.id), intercom.Conversation),
            ("tag.added", "contact", cid, intercom.Contact)]


def crisp_writes(sim: Any) -> Expected:
    api = crisp.connect(base_url=sim.base_url, retry=FAST_RETRY, **sim.credentials)
    contact = api.Contact.create(email="hook@example.com", name="Hook")
    contact.name = "Hooked"
    contact.save()
    conv = sorted(api.Conversation.all(), key=lambda c: str(c.id))[0]
    message = conv.reply("a reply")
    pid = str(contact.id)
    return [("contact.created", "contact", pid, crisp.Contact),
            ("contact.updated", "contact", pid, crisp.Contact),
            ("message.created", "message", str(message.id), crisp.Message)]


def livechat_writes(sim: Any) -> Expected:
    creds = sim.credentials

    def call(action: str, body: dict[str, Any]) -> Any:
        resp = requests.post(f"{sim.base_url}/v3.6/agent/action/{action}", json=body,
                             auth=(creds["account_id"], creds["token"]), timeout=5)
        assert resp.status_code == 200, resp.text
        return resp.json()

    customer = sorted(sim.state.customers)[0]
    chat = call("start_chat", {"chat": {"users": [{"id": customer, "type": "customer"}],
                                        "thread": {"events": [{"type": "message",
                                                               "text": "hi"}]}}})
    sent = call("send_event", {"chat_id": chat["chat_id"],
                               "event": {"type": "message", "text": "an answer"}})
    call("deactivate_chat", {"id": chat["chat_id"]})
    cid = chat["chat_id"]
    return [("conversation.created", "conversation", cid, livechat.Conversation),
            ("message.created", "message", sent["event_id"], livechat.Message),
            ("conversation.closed", "conversation", cid, livechat.Conversation)]


def brevo_writes(sim: Any) -> Expected:
    from chatmodels import brevo
    visitor = sorted(sim.state.visitors)[0]
    sim.visitor_says(visitor, "Is my parcel late?")
    sim.visitor_says(visitor, "Hello?")
    sim.close_conversation(visitor)
    return [("conversation.replied", "conversation", None, brevo.Conversation),
            ("conversation.replied", "conversation", None, brevo.Conversation),
            ("conversation.closed", "conversation", None, brevo.Conversation)]


def sendbee_writes(sim: Any) -> Expected:
    creds = sim.credentials
    resp = requests.post(sim.base_url + "/contacts/subscribe", timeout=5,
                         json={"phone": "+385911111111", "name": "Iva"},
                         headers={"X-Api-Key": creds["api_key"],
                                  "X-Auth-Token": make_token(creds["api_secret"])})
    assert resp.status_code < 300, resp.text
    sim.receive_message("+385911111111", "Hi!")
    sim.receive_message("+385911111111", "Anyone there?")
    return [("contact.created", "contact", resp.json()["data"]["id"], sendbee.Contact),
            ("message.created", "message", None, sendbee.Message),
            ("message.created", "message", None, sendbee.Message)]


WRITES: dict[str, tuple[dict[str, int], Callable[[Any], Expected]]] = {
    "intercom": ({"contacts": 3, "conversations": 2}, intercom_writes),
    "crisp": ({"contacts": 3, "conversations": 2}, crisp_writes),
    "livechat": ({"chats": 2, "customers": 2}, livechat_writes),
    "brevo": ({}, brevo_writes),
    "sendbee": ({"contacts": 3, "requests_per_minute": 0}, sendbee_writes),
}


@contextmanager
def simulator(provider: str) -> Iterator[Any]:
    counts, _ = WRITES[provider]
    with serve(provider, seed=5, **counts) as sim:
        yield sim


def headers_of(got: Received) -> dict[str, str]:
    """The headers a parser gets: Brevo's URL token as ``X-Chatmodels-Url-Token`` (what the
    WSGI app does with ``?token=``)."""
    headers = dict(got.headers)
    if "token" in got.query:
        headers[webhooks.URL_TOKEN_HEADER] = got.query["token"]
    return headers


def parse(provider: str, sim: Any, headers: dict[str, str], body: bytes,
          **kw: Any) -> webhooks.Event:
    return webhooks.parse(provider, headers=headers, body=body,
                          secret=sim.credentials["webhook_secret"], **kw)


# -- 1. every simulator's deliveries verify and parse; bad ones are rejected ------------------
@pytest.mark.parametrize("provider", PROVIDERS)
def test_simulator_deliveries_verify_and_parse_into_models(provider):
    with simulator(provider) as sim, receiver() as rx:
        sim.subscribe(rx.url)
        expected = WRITES[provider][1](sim)
        sim.flush_webhooks()
        assert all(d["status"] == 200 for d in sim.deliveries)
        events = [parse(provider, sim, headers_of(got), got.body) for got in rx.received]
    # everything the simulator sent for these writes, in order, and no more (Brevo: the
    # conversation was seeded, so fragments; Brevo and Sendbee messages name no object id
    # of their own we can predict: the parsed one is checked to be there)
    assert len(events) == len(expected)
    got = [(e.topic, e.kind, e.object_id) for e in events]
    assert got == [(t, k, oid if oid is not None else e.object_id)
                   for (t, k, oid, _), e in zip(expected, events, strict=True)]
    for event, (_, _, _, cls) in zip(events, expected, strict=True):
        assert isinstance(event.object, cls), (event.topic, type(event.object))
        assert event.provider == provider and event.provider_topic
        assert event.id and event.object_id
    assert len({e.id for e in events}) == len(events)
    for event in events:  # no secret ends up in the parsed event
        assert sim.credentials["webhook_secret"] not in json.dumps(dict(event.raw), default=str)


def _unsigned(provider: str, headers: dict[str, str], body: bytes) -> tuple[dict, bytes]:
    """The delivery without its signature (or token, or secret_key)."""
    drop = {"intercom": "X-Hub-Signature", "crisp": "X-Crisp-Signature",
            "sendbee": "X-Authorization", "brevo": webhooks.URL_TOKEN_HEADER}.get(provider)
    if drop is None:  # LiveChat: the secret_key is in the body
        data = json.loads(body)
        del data["secret_key"]
        return headers, json.dumps(data).encode()
    return {k: v for k, v in headers.items() if k.lower() != drop.lower()}, body


def _tampered(provider: str, headers: dict[str, str], body: bytes) -> tuple[dict, bytes]:
    """A changed delivery: the body (HMAC providers) or the shared secret it carries."""
    if provider == "brevo":
        return {**headers, webhooks.URL_TOKEN_HEADER: "guessed-token"}, body
    data = json.loads(body)
    if provider == "livechat":
        data["secret_key"] = "guessed-secret"
        return headers, json.dumps(data).encode()
    if provider == "sendbee":  # the token signs a time, not the body: a forged token
        return {**headers, "X-Authorization": make_token("guessed-secret")}, body
    return headers, body.replace(b"}", b',"injected":true}', 1)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_tampered_stale_and_unsigned_deliveries_are_rejected(provider):
    with simulator(provider) as sim, receiver() as rx:
        sim.subscribe(rx.url)
        WRITES[provider][1](sim)
        sim.flush_webhooks()
        got = rx.received[-1]
        headers, body = headers_of(got), got.body
        assert parse(provider, sim, headers, body).topic != "other"

        with pytest.raises(webhooks.InvalidSignature) as unsigned:
            parse(provider, sim, *_unsigned(provider, headers, body))
        assert unsigned.value.reason == "missing"
        assert not isinstance(unsigned.value, webhooks.StaleEvent)
        with pytest.raises(webhooks.InvalidSignature) as tampered:
            parse(provider, sim, *_tampered(provider, headers, body))
        assert tampered.value.reason == "bad_signature"
        with pytest.raises(webhooks.InvalidSignature):
            webhooks.parse(provider, headers=headers, body=body, secret="not-the-secret")

        later = time.time() + 3600  # the same delivery replayed an hour later
        if provider in ("livechat", "brevo"):
            # these providers sign no time (a secret in the body / the URL): no age to check
            assert parse(provider, sim, headers, body, now=later).topic != "other"
        else:
            with pytest.raises(webhooks.StaleEvent):
                parse(provider, sim, headers, body, now=later)
            with pytest.raises(webhooks.StaleEvent):  # or from the future
                parse(provider, sim, headers, body, now=time.time() - 3600)
            assert parse(provider, sim, headers, body, now=later, max_age=None)


# -- 2. the WSGI app under a real server: each event handled once despite delivery faults --
class _Quiet(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


@contextmanager
def served(app: Any) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_Quiet)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.port}/hooks"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_wsgi_app_hands_each_event_once_despite_delivery_faults(provider):
    handled: list[webhooks.Event] = []
    rejected: list[tuple[int, str]] = []
    with simulator(provider) as sim:
        app = webhooks.wsgi_app(handled.append, provider=provider,
                                secret=sim.credentials["webhook_secret"],
                                dedup=webhooks.Deduplicator(ttl=600),
                                on_reject=lambda status, exc: rejected.append(
                                    (status, type(exc).__name__)))
        with served(app) as url:
            sim.subscribe(url)
            # the first event loses its first attempt, the second is overtaken by the third,
            # the third is delivered twice
            sim.drop_webhook_attempts(times=1)
            sim.reorder_webhooks(times=1)
            sim.duplicate_webhooks(times=1)
            expected = WRITES[provider][1](sim)
            sim.flush_webhooks()
    deliveries = sim.deliveries
    assert rejected == []
    event_ids = list(dict.fromkeys(d["id"] for d in deliveries))  # the simulator's events
    assert len(event_ids) >= len(expected)
    # the faults happened: byte-for-byte duplicates and a lost first attempt (then retried)
    assert sum(d["duplicate"] for d in deliveries) == 1
    assert any(d["status"] is None and d["attempt"] == 1 for d in deliveries)
    assert all(d["status"] == 200 for d in deliveries if d["status"] is not None)
    # ... yet the handler got each event exactly once
    assert len(handled) == len(event_ids)
    assert len({e.id for e in handled}) == len(handled)
    topics = sorted(e.topic for e in handled)
    assert all(t in topics for t, *_ in expected)

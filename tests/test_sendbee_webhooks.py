"""Sendbee webhooks: the X-Authorization check (typed reasons), payloads -> models, malformed
bodies -> typed errors only, and the simulator's signed outbox round-tripped through parse()."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chatmodels import errors, sendbee
from chatmodels.sendbee import auth, webhooks
from chatmodels.testing import serve

from .conftest import FAST_RETRY

UTC = dt.timezone.utc
SECRET = "webhook-secret"
NOW = 1_700_000_000


def _headers(ts: float = NOW, secret: str = SECRET) -> dict[str, str]:
    return {"X-Authorization": auth.make_token(secret, ts)}


CONTACT = {"type": "contact.created", "created_at": NOW - 5,
           "contact": {"id": "c-1", "name": "Ana", "phone": "+385991234567",
                       "created_at": "2023-11-14 22:13:00", "status": "subscribed",
                       "tags": [{"id": "t1", "name": "vip"}]}}
MESSAGE = {"type": "message.received", "created_at": NOW,
           "message": {"id": "m-1", "body": "hello", "direction": "inbound",
                       "status": "received", "sent_at": NOW - 1}}


def test_contact_created_from_bytes():
    event = webhooks.parse(_headers(), json.dumps(CONTACT).encode(), secret=SECRET, now=NOW)
    assert (event.type, event.topic, event.id) == ("contact.created", "contact.created", "c-1")
    assert event.created_at == dt.datetime.fromtimestamp(NOW - 5, UTC)
    assert isinstance(event.object, sendbee.Contact)
    assert (event.object.name, event.object.phone) == ("Ana", "+385991234567")
    assert event.raw == CONTACT
    with pytest.raises(AttributeError):
        event.type = "x"  # type: ignore[misc]


@pytest.mark.parametrize("kind,topic", [
    ("contact.subscription_created", "contact.updated"),
    ("contact.subscription_updated", "contact.updated"),
    ("contact.subscription_unsubscribed", "contact.updated"),
])
def test_contact_topics(kind, topic):
    event = webhooks.parse(_headers(), {**CONTACT, "type": kind}, secret=SECRET, now=NOW)
    assert (event.type, event.topic, event.id) == (kind, topic, "c-1")


def test_message_received_and_sent_from_str():
    event = webhooks.parse(_headers(), json.dumps(MESSAGE), secret=SECRET, now=NOW)
    assert (event.topic, event.id) == ("message.created", "m-1")
    assert isinstance(event.object, sendbee.Message)
    assert (event.object.body, event.object.direction) == ("hello", "inbound")
    assert event.object.created_at == dt.datetime.fromtimestamp(NOW - 1, UTC)
    sent = {"type": "message.sent", "data": {"id": "m-2", "status": "delivered"}}
    event = webhooks.parse(_headers(), sent, secret=SECRET, now=NOW)
    assert (event.topic, event.id, event.created_at) == ("message.updated", "m-2", None)
    assert event.object.status == "delivered"


@pytest.mark.parametrize("headers,reason", [
    ({}, "missing"),
    ({"X-Authorization": ""}, "missing"),
    ({"X-Authorization": "not base64!"}, "malformed"),
    (_headers(secret="other"), "bad_signature"),
    (_headers(ts=NOW - auth.MAX_TOKEN_AGE - 1), "stale"),
    (_headers(ts=NOW + 3600), "stale"),
])
def test_bad_tokens_are_typed(headers, reason):
    with pytest.raises(webhooks.InvalidSignature) as info:
        webhooks.parse(headers, CONTACT, secret=SECRET, now=NOW)
    assert isinstance(info.value, errors.AuthenticationError)
    assert info.value.reason == reason
    token = headers.get("X-Authorization")
    if token:
        assert token not in str(info.value) and token not in repr(info.value)


def test_header_case_and_max_age():
    lower = {"x-authorization": auth.make_token(SECRET, NOW - 100)}
    assert webhooks.parse(lower, CONTACT, secret=SECRET, now=NOW).id == "c-1"
    with pytest.raises(webhooks.InvalidSignature):
        webhooks.parse(lower, CONTACT, secret=SECRET, now=NOW, max_age=50)


@pytest.mark.parametrize("body,field", [
    (b"\xff\xfe", None),
    ("{not json", None),
    ("[1, 2]", None),
    ("[" * 100_000, None),
    (b" " * (webhooks.MAX_BODY + 1), None),
    ({"type": "contact.deleted", "contact": {}}, "type"),
    ({"contact": {}}, "type"),
    ({"type": "contact.created"}, "contact"),
    ({"type": "contact.created", "contact": [1]}, "contact"),
    ({"type": "contact.created", "contact": {"id": [1]}}, "contact.id"),
    ({"type": "message.received", "message": {"sent_at": "yesterday"}}, "message.sent_at"),
    ({**MESSAGE, "created_at": {"a": 1}}, "created_at"),
])
def test_malformed_bodies_are_validation_errors(body, field):
    with pytest.raises(errors.ValidationError) as info:
        webhooks.parse(_headers(), body, secret=SECRET, now=NOW)
    assert info.value.field == field


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=3),
    max_leaves=10)
_keys = st.sampled_from(["id", "name", "phone", "created_at", "tags", "status", "body",
                         "sent_at", "direction", "meta_data", "contact_fields"])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kind=st.sampled_from([*webhooks.EVENTS, "nope"]), top=_json,
       fields=st.dictionaries(_keys, _json, max_size=5), created=_json,
       raw=st.binary(max_size=40))
def test_random_payloads_raise_only_typed_errors(kind, top, fields, created, raw):
    key = webhooks.EVENTS.get(kind, ("", "contact"))[1]
    for body in ({"type": kind, "created_at": created, key: fields},
                 {"type": kind, key: top}, top, raw,
                 json.dumps({"type": kind, key: fields}).encode()[:len(raw) + 10]):
        try:
            event = webhooks.parse(_headers(), body, secret=SECRET, now=NOW)
        except errors.ValidationError:
            continue
        assert event.type == kind and event.topic == webhooks.EVENTS[kind][0]


@pytest.fixture
def sim():
    with serve("sendbee", seed=7, contacts=5, conversations=0) as s:
        yield s


def test_simulator_outbox_round_trip(sim):
    api = sendbee.connect(base_url=sim.base_url, retry=FAST_RETRY, **sim.credentials)
    try:
        assert sim.outbox == []  # seeded data sends nothing
        contact = api.Contact.create(phone="+385911111111", name="Iva")
        contact.name = "Iva K"
        contact.save()
        received = sim.receive_message("+385911111111", "hi there")
        sent = api.Message.send(contact, "hello Iva")
    finally:
        api.close()
    secret = sim.credentials["api_secret"]
    events = [webhooks.parse(r["headers"], r["body"], secret=secret) for r in sim.outbox]
    assert [(e.type, e.topic) for e in events] == [
        ("contact.created", "contact.created"),
        ("contact.subscription_updated", "contact.updated"),
        ("message.received", "message.created"),
        ("message.sent", "message.updated"),
    ]
    assert [e.id for e in events] == [contact.id, contact.id, received["id"], sent.id]
    assert events[0].object.name == "Iva" and events[1].object.name == "Iva K"
    assert (events[2].object.body, events[2].object.direction) == ("hi there", "inbound")
    assert (events[3].object.body, events[3].object.direction) == ("hello Iva", "outbound")
    with pytest.raises(webhooks.InvalidSignature):
        webhooks.parse(sim.outbox[0]["headers"], sim.outbox[0]["body"], secret="wrong")

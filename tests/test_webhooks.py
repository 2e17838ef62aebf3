"""chatmodels.webhooks.parse for every provider: the spec examples (tests/data/<provider>/),
signed as the provider signs them, verify and parse into the provider's models; tampered,
unsigned, wrongly signed, stale and future deliveries are refused with typed errors that
never quote the secret."""

from __future__ import annotations

import ast
import datetime as dt
import json
import threading
from pathlib import Path

import pytest

from chatmodels import brevo, crisp, errors, intercom, livechat, registry, sendbee, webhooks
from chatmodels.testing import serve

from .conftest import FAST_RETRY
from .webhook_signing import (
    NOW,
    PROVIDERS,
    SECRET,
    crisp_headers,
    fixture,
    intercom_headers,
    livechat_body,
    livechat_chat,
    sample,
)

WHEN = dt.datetime.fromtimestamp(NOW, dt.timezone.utc)
UTC = dt.timezone.utc


def parse(provider, headers, body, **kw):
    kw.setdefault("now", WHEN)
    return webhooks.parse(provider, headers=headers, body=body, secret=kw.pop("secret", SECRET),
                          **kw)


def _tamper(body: bytes) -> bytes:
    """The same JSON with one value changed (still valid, still the same shape)."""
    data = json.loads(body)
    if "secret_key" in data:  # LiveChat: its "signature" is the secret in the body
        data["secret_key"] += "x"
    elif "eventName" in data:  # Brevo signs nothing: only the URL token protects it
        data["conversationId"] += "x"
    else:
        data["tampered"] = True
    return json.dumps(data).encode()


def test_the_core_package_names_no_provider():
    """Providers come from the registry: no provider name in the code of chatmodels/webhooks
    (docstrings aside)."""
    package = Path(webhooks.__file__).parent
    for path in sorted(package.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                      if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef,
                                           ast.AsyncFunctionDef))
                      and node.body and isinstance(node.body[0], ast.Expr)}
        words = [n.value.lower() for n in ast.walk(tree)
                 if isinstance(n, ast.Constant) and isinstance(n.value, str)
                 and id(n) not in docstrings]
        words += [n.id.lower() for n in ast.walk(tree) if isinstance(n, ast.Name)]
        for name in registry.names():
            assert not [w for w in words if name in w], (path.name, name)


def test_every_registered_provider_has_a_parser():
    assert {e.name for e in registry.entries() if e.webhook_parser() is not None} == set(
        PROVIDERS)


# -- the spec examples, signed, parse into models --------------------------------------------
def test_intercom_notification_example_is_a_partial_contact():
    headers, body = sample("intercom")
    event = parse("intercom", headers, body)
    assert (event.provider, event.topic, event.provider_topic, event.id) == (
        "intercom", "contact.created", "user.created",
        "notif_78c122d0-23ba-11e4-9464-79b01267cc2e")
    assert event.created_at == dt.datetime.fromtimestamp(NOW - 5, UTC)
    assert isinstance(event.object, intercom.Contact) and event.object.is_partial
    assert (event.kind, event.object_id, event.conversation_id) == (
        "contact", "530370b477ad7120001d", None)
    assert (event.object.name, event.object.unsubscribed_from_emails) == (
        "Hoban Washburne", False)
    assert event.raw == json.loads(body)


def test_intercom_conversation_reply_and_tag_notifications():
    item = {"type": "conversation", "id": "147", "state": "open", "open": True,
            "conversation_parts": {"type": "conversation_part.list", "conversation_parts": [
                {"type": "conversation_part", "id": "9", "part_type": "comment",
                 "body": "<p>hi</p>"}], "total_count": 1}}
    raw = {"type": "notification_event", "id": "notif_2", "topic": "conversation.user.replied",
           "created_at": int(NOW), "data": {"type": "notification_event_data", "item": item}}
    body = json.dumps(raw).encode()
    event = parse("intercom", intercom_headers(body), body)
    assert (event.topic, event.kind, event.object_id, event.conversation_id) == (
        "conversation.replied", "conversation", "147", "147")
    assert isinstance(event.object, intercom.Conversation)
    assert [m.body for m in event.object.messages] == ["<p>hi</p>"]
    tagged = {"type": "notification_event", "id": "notif_3", "topic": "contact.tag.created",
              "data": {"item": {"type": "contact_tag", "tag": {"type": "tag", "id": "7",
                                                               "name": "vip"},
                                "contact": {"type": "contact", "id": "c9"}}}}
    body = json.dumps(tagged).encode()
    event = parse("intercom", intercom_headers(body), body)
    assert (event.topic, event.kind, event.object_id, event.created_at) == (
        "tag.added", "contact", "c9", None)
    assert [t.name for t in event.object.tags] == ["vip"]


def test_crisp_message_send_example_is_a_message():
    headers, body = sample("crisp")
    event = parse("crisp", headers, body)
    assert (event.topic, event.provider_topic, event.kind) == (
        "message.created", "message:send", "message")
    msg = event.object
    assert isinstance(msg, crisp.Message) and msg.is_partial
    assert (msg.id, msg.body, msg.author_type) == ("150698569649423", "Hey :)", "contact")
    assert (event.object_id, event.conversation_id) == (
        "150698569649423", "session_36ba3566-9651-4790-afc8-ffedbccc317f")
    assert event.created_at == dt.datetime(2017, 10, 2, 23, 8, 16, 616000, UTC)
    assert event.id.startswith("sha256:") and event.id == parse("crisp", headers, body).id


@pytest.mark.parametrize("event_name,data,topic,kind", [
    ("session:set_state", {"state": "resolved"}, "conversation.closed", "conversation"),
    ("session:set_state", {"state": "pending"}, "other", "conversation"),
    ("session:set_segments", {"segments": ["vip"]}, "conversation.tagged", "conversation"),
    ("session:set_routing", {"assigned": {"user_id": "op-1"}}, "conversation.assigned",
     "conversation"),
    ("session:request:initiated", {}, "conversation.created", "conversation"),
    ("website:update_visitors_count", {"visitors_count": 3}, "other", None),
])
def test_crisp_session_events(event_name, data, topic, kind):
    wire = {"website_id": "w-1", "event": event_name, "timestamp": int(NOW * 1000),
            "data": {"website_id": "w-1", **({"session_id": "session_1"} if kind else {}),
                     **data}}
    body = json.dumps(wire).encode()
    event = parse("crisp", crisp_headers(body), body)
    assert (event.topic, event.provider_topic, event.kind) == (topic, event_name, kind)
    if kind:
        assert isinstance(event.object, crisp.Conversation)
        assert (event.object_id, event.conversation_id) == ("session_1", "session_1")
    else:
        assert event.object is None and event.object_id is None


def test_crisp_people_profile_created_is_a_contact():
    wire = {"website_id": "w-1", "event": "people:profile:created", "timestamp": int(NOW * 1000),
            "data": {"website_id": "w-1", "people_id": "p-1", "email": "ann@example.com",
                     "person": {"nickname": "Ann"}}}
    body = json.dumps(wire).encode()
    event = parse("crisp", crisp_headers(body), body)
    assert (event.topic, event.kind, event.object_id) == ("contact.created", "contact", "p-1")
    assert isinstance(event.object, crisp.Contact)
    assert (event.object.email, event.object.name) == ("ann@example.com", "Ann")


def test_crisp_accepts_the_node_client_signature_and_ms_timestamps():
    # crisp-im/node-crisp-api hashes JSON.stringify(parsed body): a compact form
    pretty = json.dumps(json.loads(sample("crisp")[1]), indent=2).encode()
    compact = json.dumps(json.loads(pretty), separators=(",", ":")).encode()
    assert parse("crisp", crisp_headers(compact), pretty).provider_topic == "message:send"
    in_ms = crisp_headers(pretty, ts=NOW * 1000)
    assert parse("crisp", in_ms, pretty).topic == "message.created"


def test_livechat_samples():
    chat = livechat_chat()
    body = json.dumps(livechat_body("incoming_chat", chat=chat)).encode()
    event = parse("livechat", {}, body)
    assert (event.topic, event.provider_topic, event.kind, event.object_id) == (
        "conversation.created", "incoming_chat", "conversation", "PJ0MRSHTDG")
    assert isinstance(event.object, livechat.Conversation)
    assert event.conversation_id == "PJ0MRSHTDG" and "secret_key" not in event.raw
    assert SECRET not in repr(event) and SECRET not in json.dumps(event.raw)
    message = fixture("livechat", "message.json")
    body = json.dumps(livechat_body("incoming_event", event=message)).encode()
    event = parse("livechat", {}, body)
    assert (event.topic, event.kind, event.object_id, event.conversation_id) == (
        "message.created", "message", message["id"], "PJ0MRSHTDG")
    assert isinstance(event.object, livechat.Message)
    body = json.dumps(livechat_body("thread_untagged")).encode()
    assert parse("livechat", {}, body).topic == "tag.removed"
    body = json.dumps(livechat_body("agent_deleted")).encode()
    event = parse("livechat", {}, body)
    assert (event.topic, event.kind) == ("other", "agent")
    # webhook_id names the registration: two deliveries of it differ by their body hash
    other = json.dumps(livechat_body("chat_deactivated")).encode()
    assert parse("livechat", {}, other).id != event.id


def test_brevo_conversation_started_example_with_the_url_token():
    headers, body = sample("brevo")
    event = parse("brevo", headers, body)
    assert (event.topic, event.provider_topic, event.kind, event.object_id) == (
        "conversation.created", "conversationStarted", "conversation", "MxhGJAEugdLtS2BBq")
    assert isinstance(event.object, brevo.Conversation)
    assert [m.id for m in event.object.messages] == ["dkmyYPxJyh5rKDhRT"]
    assert event.created_at == dt.datetime.fromtimestamp(1665578322.7, UTC)


def test_sendbee_contact_created():
    headers, body = sample("sendbee")
    event = parse("sendbee", headers, body)
    assert (event.topic, event.provider_topic, event.kind, event.object_id) == (
        "contact.created", "contact.created", "contact", "c-1")
    assert isinstance(event.object, sendbee.Contact) and event.object.name == "Iva"
    assert event.created_at == dt.datetime.fromtimestamp(NOW - 5, UTC)


def test_sendbee_simulator_outbox_through_the_common_parse():
    with serve("sendbee", seed=7, contacts=2, conversations=0) as sim:
        api = sendbee.connect(base_url=sim.base_url, retry=FAST_RETRY, **sim.credentials)
        try:
            contact = api.Contact.create(phone="+385911111112", name="Ana")
            sim.receive_message("+385911111112", "hi")
        finally:
            api.close()
        events = [webhooks.parse("sendbee", headers=r["headers"], body=r["body"],
                                 secret=sim.credentials["api_secret"]) for r in sim.outbox]
    assert [(e.topic, e.kind) for e in events] == [("contact.created", "contact"),
                                                   ("message.created", "message")]
    assert events[0].object_id == contact.id
    assert (events[1].object.body, events[1].conversation_id) == ("hi", None)  # not sent


def test_intercom_partial_object_load_completes_it(sim, api):
    contact = api.Contact.create(email="hook@example.com", name="Hook")
    raw = {"type": "notification_event", "id": "notif_9", "topic": "contact.user.created",
           "created_at": int(NOW), "data": {"item": {"type": "contact", "id": contact.id}}}
    body = json.dumps(raw).encode()
    event = webhooks.parse("intercom", headers=intercom_headers(body), body=body, secret=SECRET,
                           now=WHEN, api=api)
    obj = event.object
    assert obj.is_partial and obj.peek("email") is None
    obj.load()
    assert (obj.is_partial, obj.email, obj.name) == (False, "hook@example.com", "Hook")


# -- rejections ----------------------------------------------------------------------------
UNSIGNED = {"intercom": "X-Hub-Signature", "crisp": "X-Crisp-Signature",
            "brevo": "X-Chatmodels-Url-Token", "sendbee": "X-Authorization"}


@pytest.mark.parametrize("provider", PROVIDERS)
def test_unsigned_tampered_and_wrong_secret_are_invalid_signatures(provider):
    headers, body = sample(provider)
    if provider == "livechat":
        unsigned = {}, json.dumps({k: v for k, v in json.loads(body).items()
                                   if k != "secret_key"}).encode()
    else:
        unsigned = {k: v for k, v in headers.items() if k != UNSIGNED[provider]}, body
    cases = {"missing": unsigned, "bad_signature": (headers, _tamper(body))}
    for reason, (h, b) in cases.items():
        if provider in ("brevo", "sendbee") and reason == "bad_signature":
            continue  # neither signs its body; covered by the wrong-secret case below
        with pytest.raises(webhooks.InvalidSignature) as info:
            parse(provider, h, b)
        assert info.value.reason == reason, (provider, reason)
        assert isinstance(info.value, errors.AuthenticationError)
        assert not isinstance(info.value, webhooks.StaleEvent)
    with pytest.raises(webhooks.InvalidSignature) as info:
        parse(provider, headers, body, secret="another-secret-value")
    assert info.value.reason == "bad_signature" and info.value.provider == provider
    for text in (str(info.value), repr(info.value)):
        assert SECRET not in text and "another-secret-value" not in text


@pytest.mark.parametrize("provider", ["intercom", "crisp", "sendbee"])
@pytest.mark.parametrize("shift", [-3600, 3600])
def test_stale_and_future_deliveries_are_stale_events(provider, shift):
    headers, body = sample(provider, ts=NOW + shift)
    with pytest.raises(webhooks.StaleEvent) as info:
        parse(provider, headers, body)
    assert isinstance(info.value, webhooks.InvalidSignature) and info.value.reason == "stale"
    # within max_age it passes; max_age=None turns the age check off for past deliveries
    if shift < 0:
        assert parse(provider, headers, body, max_age=7200).provider == provider
        assert parse(provider, headers, body, max_age=None).provider == provider


def test_a_tampered_crisp_timestamp_is_a_bad_signature():
    headers, body = sample("crisp")
    headers["X-Crisp-Request-Timestamp"] = str(int(NOW) + 1)
    with pytest.raises(webhooks.InvalidSignature) as info:
        parse("crisp", headers, body)
    assert info.value.reason == "bad_signature"


@pytest.mark.parametrize("headers,reason", [
    ({"X-Hub-Signature": "sha256=" + "0" * 40}, "malformed"),
    ({"X-Hub-Signature": "sha1=abc"}, "malformed"),
    ({"x-hub-signature": "sha1=" + "0" * 40}, "bad_signature"),
])
def test_intercom_signature_header_shapes(headers, reason):
    with pytest.raises(webhooks.InvalidSignature) as info:
        parse("intercom", headers, sample("intercom")[1])
    assert info.value.reason == reason


@pytest.mark.parametrize("stamp,sig,reason", [
    ("", "0" * 64, "missing"), ("12ab", "0" * 64, "malformed"), ("1800000000", "zz", "malformed"),
    ("1" * 20, "0" * 64, "malformed"),
])
def test_crisp_header_shapes(stamp, sig, reason):
    headers = {"X-Crisp-Request-Timestamp": stamp, "X-Crisp-Signature": sig}
    with pytest.raises(webhooks.InvalidSignature) as info:
        parse("crisp", headers, sample("crisp")[1])
    assert info.value.reason == reason


@pytest.mark.parametrize("provider", ["intercom", "crisp"])
@pytest.mark.parametrize("body,field", [
    (b"\xff\xfe", None), (b"not json", None), (b"[1, 2]", None), (b"NaN", None),
    (b'{"topic": "user.created", "event": "message:send"}', None),
])
def test_signed_but_malformed_bodies_are_validation_errors(provider, body, field):
    headers = intercom_headers(body) if provider == "intercom" else crisp_headers(body)
    with pytest.raises(errors.ValidationError) as info:
        parse(provider, headers, body)
    assert info.value.provider == provider


@pytest.mark.parametrize("raw,field", [
    ({"id": "n", "topic": "user.created", "data": {"item": "x"}}, "data.item"),
    ({"id": "n", "data": {"item": {}}}, "topic"),
    ({"topic": "user.created", "data": {"item": {}}}, "id"),
    ({"id": "n", "topic": "user.created", "created_at": "x", "data": {"item": {}}},
     "created_at"),
    ({"id": "n", "topic": "user.created", "data": {"item": {"type": "user"}}}, "data.item.id"),
    ({"id": "n", "topic": "user.created",
      "data": {"item": {"type": "user", "id": "1", "created_at": "x"}}}, "data.item.created_at"),
    ({"id": "n", "topic": "contact.tag.created", "data": {"item": {"type": "contact_tag"}}},
     "data.item"),
    ({"id": "n", "topic": "contact.tag.created", "data": {"item": {
        "type": "contact_tag", "tag": {"id": "1"}, "contact": {"id": "c", "updated_at": []}}}},
     "data.item.contact.updated_at"),
])
def test_intercom_malformed_notifications(raw, field):
    body = json.dumps(raw).encode()
    with pytest.raises(errors.ValidationError) as info:
        parse("intercom", intercom_headers(body), body)
    assert info.value.field == field


@pytest.mark.parametrize("raw,field", [
    ({"data": {}}, "event"),
    ({"event": "message:send", "data": []}, "data"),
    ({"event": "message:send", "data": {}, "timestamp": "soon"}, "timestamp"),
    ({"event": "message:send", "data": {"fingerprint": 1}}, "data.session_id"),
    ({"event": "message:send", "data": {"fingerprint": 1, "session_id": 5}}, "data.session_id"),
    ({"event": "message:send", "data": {"fingerprint": 1, "session_id": "s",
                                        "timestamp": True}}, "data.timestamp"),
    ({"event": "session:set_segments", "data": {"session_id": "s", "segments": "vip"}},
     "data.segments"),
])
def test_crisp_malformed_hooks(raw, field):
    body = json.dumps(raw).encode()
    with pytest.raises(errors.ValidationError) as info:
        parse("crisp", crisp_headers(body), body)
    assert info.value.field == field


def test_brevo_message_of_the_wrong_shape_is_a_validation_error():
    raw = fixture("brevo", "webhook-conversationStarted.partial-example.json")
    raw["message"]["createdAt"] = "yesterday"
    with pytest.raises(errors.ValidationError):
        parse("brevo", sample("brevo")[0], json.dumps(raw).encode())


def test_secret_and_provider_errors():
    headers, body = sample("intercom")
    for secret in ("", None):
        with pytest.raises(errors.ConfigurationError, match="secret is required"):
            webhooks.parse("intercom", headers=headers, body=body, secret=secret)
    with pytest.raises(registry.UnknownProvider):
        webhooks.parse("nope", headers=headers, body=body, secret=SECRET)
    too_big = b" " * (webhooks.MAX_BODY + 1)
    with pytest.raises(errors.ValidationError, match="larger than"):
        parse("intercom", intercom_headers(too_big), too_big)


def test_headers_as_pairs_and_bytes():
    headers, body = sample("crisp")
    pairs = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    assert parse("crisp", pairs, body).provider_topic == "message:send"
    assert parse("crisp", headers, body.decode()).provider_topic == "message:send"


def test_event_is_frozen_and_topics_are_canonical():
    event = parse("crisp", *sample("crisp"))
    with pytest.raises(AttributeError):
        event.topic = "x"  # type: ignore[misc]
    assert set(webhooks.TOPICS) >= {"conversation.created", "tag.removed", "other"}


# -- de-duplication ----------------------------------------------------------------------------
def test_deduplicator_recognises_redeliveries_until_they_expire():
    clock = [0.0]
    seen = webhooks.Deduplicator(ttl=60, maxsize=2, timer=lambda: clock[0])
    headers, body = sample("crisp")
    first, again = parse("crisp", headers, body), parse("crisp", headers, body)
    assert first.id == again.id
    assert seen.first(first) is True and seen.first(again) is False
    assert again in seen and seen.seen("unrelated") is False
    seen.forget(again)
    assert seen.first(again) is True
    clock[0] = 61
    assert again not in seen and seen.first(again) is True
    seen.first("a"), seen.first("b")  # maxsize 2: the oldest goes
    assert len(seen) == 2 and again not in seen
    with pytest.raises(ValueError):
        webhooks.Deduplicator(ttl=0)


def test_deduplicator_is_thread_safe():
    seen = webhooks.Deduplicator(ttl=60)
    wins = []
    start = threading.Barrier(16)

    def claim():
        start.wait()
        wins.append(seen.first("delivery-1"))

    threads = [threading.Thread(target=claim) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(wins) == [False] * 15 + [True]

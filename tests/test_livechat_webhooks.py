"""LiveChat webhooks: verification and parsing of the official v3.6 samples
(tests/data/livechat/webhooks.json), and typed errors for anything else."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chatmodels import livechat
from chatmodels.errors import AuthenticationError, ChatModelsError, ValidationError
from chatmodels.livechat import webhooks

DATA = Path(__file__).parent / "data" / "livechat"
SAMPLES = json.loads((DATA / "webhooks.json").read_text())
SECRET = "s3cr3t-webhook-key"
ORG = "390e44e6-f1e6-0368c-z6ddb-74g14508c2ex"


def sample(action: str, **payload) -> dict:
    body = copy.deepcopy(SAMPLES[action])
    body["webhook_id"], body["secret_key"] = "wh-1", SECRET
    body["payload"].update(payload)
    return body


def data(name: str):
    return json.loads((DATA / name).read_text())


def chat() -> dict:
    """The chat of an ``incoming_chat``: the chat structure carrying one ``thread``."""
    body = {k: v for k, v in data("chat.json").items() if k != "threads"}
    body["thread"] = data("thread.json")
    return body


def test_incoming_chat_is_a_conversation_created():
    wire = chat()
    event = webhooks.parse(json.dumps(sample("incoming_chat", chat=wire)).encode(),
                           secret=SECRET)
    assert (event.action, event.topic, event.id, event.organization_id, event.license_id) == (
        "incoming_chat", "conversation.created", "wh-1", ORG, None)
    assert isinstance(event.object, livechat.Conversation)
    conv = event.object
    assert (conv.id, conv.thread_id, conv.state) == ("PJ0MRSHTDG", "K600PKZON8", "open")
    assert [t.name for t in conv.tags] == wire["thread"]["tags"]
    assert "secret_key" not in event.raw and event.raw["payload"]["chat"] == wire


def test_incoming_event_is_a_message_created():
    message = data("message.json")
    event = webhooks.parse(sample("incoming_event", event=message), secret=SECRET)
    assert (event.action, event.topic) == ("incoming_event", "message.created")
    msg = event.object
    assert isinstance(msg, livechat.Message)
    assert (msg.id, msg.type, msg.body, msg.conversation_id, msg.thread_id) == (
        message["id"], "message", "hello there", "PJ0MRSHTDG", "K600PKZON8")


def test_chat_deactivated_is_a_closed_partial_conversation():
    event = webhooks.parse(json.dumps(sample("chat_deactivated")), secret=SECRET)
    conv = event.object
    assert (event.topic, conv.id, conv.thread_id, conv.state) == (
        "conversation.closed", "PJ0MRSHTDG", "K600PKZON8", "closed")
    assert conv.is_partial


def test_thread_tagged():
    event = webhooks.parse(sample("thread_tagged"), secret=SECRET)
    assert (event.topic, event.object.id, event.object.thread_id) == (
        "conversation.tagged", "PJ0MRSHTDG", "K600PKZON8")
    assert [t.name for t in event.object.tags] == ["bug_report"]
    untagged = webhooks.parse(sample("thread_untagged"), secret=SECRET)
    assert (untagged.topic, untagged.object.id) == ("conversation.untagged", "PJ0MRSHTDG")


def test_customer_session_fields_updated_is_a_contact():
    event = webhooks.parse(sample("customer_session_fields_updated"), secret=SECRET)
    contact = event.object
    assert isinstance(contact, livechat.Contact)
    assert (event.topic, contact.id, contact.custom_attributes) == (
        "contact.updated", "5280e68c-9692-4212-4ba9-85f7d8af55cd", {"key": "value"})


def test_configuration_webhooks():
    agent = webhooks.parse(sample("agent_created"), secret=SECRET)
    assert (agent.topic, type(agent.object), agent.object.id) == (
        "agent.created", livechat.Agent, SAMPLES["agent_created"]["payload"]["id"])
    deleted = webhooks.parse(sample("agent_deleted"), secret=SECRET)
    assert (deleted.topic, deleted.object.id) == ("agent.deleted", "smith@example.com")
    group = webhooks.parse(sample("group_updated"), secret=SECRET)
    assert (group.topic, type(group.object), group.object.id) == (
        "team.updated", livechat.Team, 1)
    tag = webhooks.parse(sample("tag_created"), secret=SECRET)
    assert (tag.topic, type(tag.object), tag.object.name) == (
        "tag.created", livechat.Tag, SAMPLES["tag_created"]["payload"]["name"])


@pytest.mark.parametrize("action", sorted(SAMPLES))
def test_every_official_sample_parses(action):
    if action == "incoming_chat":
        body = sample(action, chat=chat())
    elif action in ("incoming_event", "event_updated"):
        body = sample(action, event=data("message.json"))
    else:
        body = sample(action)
    event = webhooks.parse(body, secret=SECRET)
    assert event.action == action and event.topic == webhooks.TOPICS[action]


def test_unknown_action_still_parses():
    body = {"action": "something_new", "secret_key": SECRET, "payload": {"a": 1}}
    event = webhooks.parse(body, secret=SECRET)
    assert (event.action, event.topic, event.object, event.id) == (
        "something_new", None, None, None)


@pytest.mark.parametrize("given", [None, "", "wrong", 123, SECRET + "x"])
def test_missing_or_wrong_secret(given):
    body = sample("thread_tagged")
    if given is None:
        del body["secret_key"]
    else:
        body["secret_key"] = given
    with pytest.raises(AuthenticationError) as info:
        webhooks.parse(body, secret=SECRET)
    assert info.value.code == "bad_webhook_secret" and SECRET not in str(info.value)
    assert SECRET not in repr(info.value)


@pytest.mark.parametrize("body, field", [
    (b"\xff\xfe", None), ("not json", None), ("[1, 2]", None), (b"42", None),
    ({"secret_key": SECRET, "payload": {}}, "action"),
    ({"secret_key": SECRET, "action": "incoming_chat"}, "payload"),
    ({"secret_key": SECRET, "action": "incoming_chat", "payload": []}, "payload"),
    ({"secret_key": SECRET, "action": "incoming_chat", "payload": {"chat": 1}},
     "payload.chat"),
    ({"secret_key": SECRET, "action": "incoming_event",
      "payload": {"chat_id": "X", "event": "hi"}}, "payload.event"),
    ({"secret_key": SECRET, "action": "thread_tagged",
      "payload": {"chat_id": "X", "tag": 5}}, "payload.tag"),
    ({"secret_key": SECRET, "action": "group_created", "payload": {"id": "1"}}, "payload.id"),
    ({"secret_key": SECRET, "action": "customer_session_fields_updated",
      "payload": {"id": "c", "session_fields": {"a": 1}}}, "payload.session_fields"),
])
def test_malformed_bodies_are_validation_errors(body, field):
    with pytest.raises(ValidationError) as info:
        webhooks.parse(body, secret=SECRET)
    assert info.value.field == field and info.value.provider == "livechat"


def test_verify_needs_a_secret():
    with pytest.raises(ValueError):
        webhooks.parse(sample("thread_tagged"), secret="")


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=4),
    max_leaves=12)
FUZZ = settings(max_examples=150, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(action=st.sampled_from(sorted(SAMPLES)), key=st.text(max_size=12), value=JSON)
def test_mutated_samples_raise_only_typed_errors(action, key, value):
    body = sample(action)
    target = body["payload"]
    keys = sorted(target)
    # replace an existing key half of the time, else add one
    target[keys[len(key) % len(keys)] if keys and len(key) % 2 else key] = value
    try:
        event = webhooks.parse(body, secret=SECRET)
    except ValidationError:
        return
    assert event.action == action


@FUZZ
@given(body=JSON | st.binary(max_size=40) | st.text(max_size=40))
def test_random_bodies_raise_only_typed_errors(body):
    try:
        webhooks.parse(body, secret=SECRET)
    except ChatModelsError as exc:
        assert isinstance(exc, (ValidationError, AuthenticationError))

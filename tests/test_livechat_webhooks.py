"""LiveChat webhooks: verification and parsing of the official v3.6 samples
(tests/data/livechat/webhooks.json), and typed errors for anything else."""

from __future__ import annotations

import copy
import http.server
import json
import threading
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chatmodels import livechat
from chatmodels.errors import (
    AuthenticationError,
    ChatModelsError,
    ResourceNotFound,
    ResponseError,
    ValidationError,
)
from chatmodels.http import RetryPolicy
from chatmodels.livechat import webhooks
from chatmodels.testing import serve

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


# -- management over loopback (register_webhook, list_webhooks, unregister_webhook) ----------
CLIENT = "kit-client-id"
CONFIG = "/v3.6/configuration/action/"


@pytest.fixture(scope="module")
def lc_sim():
    with serve("livechat", seed=3, chats=2, customers=2) as sim:
        yield sim


@pytest.fixture
def api(lc_sim):
    lc_sim.reset()
    client = livechat.connect(base_url=lc_sim.base_url, retry=RetryPolicy(max_retries=0),
                              **lc_sim.credentials)
    yield client
    client.close()
    lc_sim.clear_faults()


def register(api, action="chat_deactivated", **more):
    return api.Webhook.create(url="https://example.com/hooks/livechat", action=action,
                              secret_key=SECRET, owner_client_id=CLIENT, **more)


def test_register_list_unregister(lc_sim, api):
    hook = register(api, description="Test webhook",
                    filters={"chat_presence": {"my_bots": True}})
    sent = lc_sim.requests[-1]
    assert (sent.method, sent.path) == ("POST", CONFIG + "register_webhook")
    assert sent.json == {"url": "https://example.com/hooks/livechat",
                         "action": "chat_deactivated", "owner_client_id": CLIENT,
                         "type": "license", "description": "Test webhook",
                         "filters": {"chat_presence": {"my_bots": True}},
                         "secret_key": SECRET}
    assert isinstance(hook.id, str) and len(hook.id) == 25
    assert SECRET not in repr(hook) and "secret_key" not in hook.to_dict()
    listed = api.Webhook.all(owner_client_id=CLIENT).to_list()
    assert lc_sim.requests[-1].json == {"owner_client_id": CLIENT}
    assert [(w.id, w.action, w.url, w.type, w.description, w.filters, w.owner_client_id)
            for w in listed] == [(hook.id, "chat_deactivated",
                                  "https://example.com/hooks/livechat", "license",
                                  "Test webhook", {"chat_presence": {"my_bots": True}},
                                  CLIENT)]
    assert api.Webhook.all(owner_client_id="someone-else").to_list() == []
    listed[0].delete()
    assert lc_sim.requests[-1].json == {"id": hook.id, "owner_client_id": CLIENT}
    assert api.Webhook.all(owner_client_id=CLIENT).to_list() == []
    with pytest.raises(ResourceNotFound):
        hook.delete()


def test_three_webhooks_per_action_and_client(api):
    for _ in range(3):
        register(api)
    with pytest.raises(livechat.LicenseError) as info:
        register(api)
    assert (info.value.code, info.value.status) == ("limit_reached", 402)
    register(api, action="incoming_chat")
    assert len(api.Webhook.all(owner_client_id=CLIENT).to_list()) == 4


@pytest.mark.parametrize("more, field", [
    ({"action": "no_such_action"}, None), ({"type": "robot"}, None),
])
def test_register_refusals_are_validation_errors(api, more, field):
    with pytest.raises(ValidationError) as info:
        register(api, **more)
    assert info.value.status == 400 and info.value.code == "validation"


def test_local_checks_send_nothing(lc_sim, api):
    before = len(lc_sim.requests)
    with pytest.raises(ValidationError) as info:
        api.Webhook.create(url="https://example.com", action="incoming_chat", secret_key="",
                           owner_client_id=CLIENT)
    assert info.value.field == "secret_key" and SECRET not in str(info.value)
    with pytest.raises(ValidationError):
        api.Webhook.all(owner_client_id="")
    assert len(lc_sim.requests) == before


class _Scripted(http.server.BaseHTTPRequestHandler):
    """Answers every POST with 200 and the class's ``answer``."""

    answer = b"{}"

    def do_POST(self):  # noqa: N802
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(self.answer)))
        self.end_headers()
        self.wfile.write(self.answer)

    def log_message(self, *args):
        pass


@pytest.mark.parametrize("answer, call", [
    (b'{"no": "id"}', lambda api: register(api)),
    (b'{"id": 5}', lambda api: register(api)),
    (b'{"a": 1}', lambda api: api.Webhook.all(owner_client_id=CLIENT).to_list()),
    (b'[1, 2]', lambda api: api.Webhook.all(owner_client_id=CLIENT).to_list()),
])
def test_bad_answers_are_response_errors(answer, call):
    handler = type("Handler", (_Scripted,), {"answer": answer})
    server = http.server.HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        client = livechat.connect(base_url=f"http://127.0.0.1:{server.server_port}",
                                  account_id="a", token="t", retry=RetryPolicy(max_retries=0))
        with pytest.raises(ResponseError):
            call(client)
        client.close()
    finally:
        server.shutdown()
        server.server_close()


def test_registered_secret_verifies_what_the_license_would_send(api):
    hook = register(api, action="thread_tagged")
    body = dict(sample("thread_tagged"), webhook_id=hook.id)
    assert webhooks.parse(body, secret=SECRET).id == hook.id


def test_registering_a_webhook_never_logs_its_secret(api, caplog):
    import logging

    caplog.set_level(logging.DEBUG, logger="chatmodels")
    hook = api.Webhook.create(url="https://example.com/hooks/secret-test", action="incoming_chat",
                              secret_key="whsec-very-secret-value", type="license",
                              owner_client_id="0123456789abcdef0123456789abcdef")
    assert "register_webhook" in caplog.text
    assert "whsec-very-secret-value" not in caplog.text
    assert "whsec-very-secret-value" not in repr(hook)
    hook.delete()

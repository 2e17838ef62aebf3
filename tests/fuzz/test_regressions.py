"""Leaks the fuzz suites found, pinned as plain tests over the scripted server."""

from __future__ import annotations

import pytest

from chatmodels import brevo, errors, livechat, sendbee
from chatmodels.http import RetryPolicy

from ..scripted import ScriptedServer, answer

NO_RETRY = RetryPolicy(max_retries=0)

CHAT = {"id": "C1", "thread": {"id": "T1", "active": True, "events": [], "tags": []},
        "users": [{"id": "a@example.com", "type": "agent"}]}


@pytest.fixture(scope="module")
def server():
    with ScriptedServer() as srv:
        yield srv


def _livechat(server, body, status=200):
    server.script = answer(status, body)
    return livechat.connect(account_id="a", token="t", base_url=server.url, retry=NO_RETRY)


@pytest.mark.parametrize("bad", [
    {"users": True}, {"users": ["x"]}, {"thread": 5}, {"thread": {"events": [1]}},
    {"thread": {"tags": [3]}}, {"users": [{"type": "agent"}]}, {"access": {"group_ids": 1}},
    {"last_event_per_type": {"message": {"event": {"created_at": 7}}}},
    {"thread": {"user_ids": [["a"]]}}, {"thread": {"tags": "vip"}},
    {"access": {"group_ids": ["0"]}}, {"access": {"group_ids": [True]}},
])
def test_livechat_chat_of_another_shape_is_a_response_error(server, bad):
    api = _livechat(server, {"chats_summary": [{**CHAT, **bad}]})
    with pytest.raises(errors.ResponseError, match="Conversation answer has a value"):
        api.Conversation.all().to_list()
    api = _livechat(server, {"chats": [{**CHAT, **bad}]})
    with pytest.raises(errors.ResponseError):
        api.Contact.all().to_list()  # customers are read from the archived chats' users


def test_livechat_good_chat_still_loads(server):
    api = _livechat(server, {"chats_summary": [CHAT]})
    [chat] = api.Conversation.all().to_list()
    assert (chat.id, chat.thread_id, chat.state, chat.assignee_id) == ("C1", "T1", "open",
                                                                        "a@example.com")


@pytest.mark.parametrize(("call", "body", "field"), [
    (lambda api: api.Contact.create(email="a@example.com"), 1, None),
    (lambda api: api.Contact.create(email="a@example.com"), {}, "customer_id"),
    (lambda api: api.Contact.create(email="a@example.com"), {"customer_id": 5}, "customer_id"),
    (lambda api: api.Agent.create(email="a@example.com", name="A"), [1], None),
    (lambda api: api.Team.create(name="T"), 1, None),
    (lambda api: api.Team.create(name="T"), {}, "id"),
    (lambda api: api.Conversation.ref("C1").reply("hi"), [], None),
    (lambda api: api.Conversation.ref("C1").reply("hi"), {"event_id": None}, "event_id"),
])
def test_livechat_create_answers_are_checked(server, call, body, field):
    api = _livechat(server, body)
    with pytest.raises(errors.ResponseError) as caught:
        call(api)
    assert caught.value.code == "bad_answer"
    assert caught.value.field == field


@pytest.mark.parametrize("body", [{}, {"id": None}, {"id": "other@example.com"}])
def test_livechat_created_agent_keeps_the_id_it_was_created_with(server, body):
    agent = _livechat(server, body).Agent.create(email="a@example.com", name="A")
    assert (agent.id, agent.email, agent.name) == ("a@example.com", "a@example.com", "A")


@pytest.mark.parametrize("thread", [None, 5, "t", []])
def test_livechat_thread_that_is_not_an_object_is_a_response_error(server, thread):
    api = _livechat(server, {"threads": [thread], "found_threads": 1})
    with pytest.raises(errors.ResponseError):
        list(api.Conversation.ref("C1").messages)


def _brevo(server, body, status=200):
    server.script = answer(status, body)
    return brevo.connect(api_key="k", base_url=server.url + "/v3", retry=NO_RETRY)


@pytest.mark.parametrize("body", [None, 5, [], {"contacts": {"a": 1}},
                                  {"contacts": "x"}])
def test_brevo_list_answer_without_a_list_is_a_response_error(server, body):
    api = _brevo(server, body)
    with pytest.raises(errors.ResponseError) as caught:
        api.Contact.all().to_list()
    assert (caught.value.code, caught.value.field) == ("bad_answer", "contacts")


@pytest.mark.parametrize("body", [5, {"a": 1}, None])
def test_brevo_bare_list_answer_must_be_a_list(server, body):
    with pytest.raises(errors.ResponseError):
        _brevo(server, body).Note.all().to_list()


def test_brevo_list_items_that_are_not_objects_are_not_skipped(server):
    api = _brevo(server, {"contacts": [{"id": 1, "email": "a@example.com"}, 7], "count": 2})
    with pytest.raises(errors.ResponseError, match="not a JSON object"):
        api.Contact.all().to_list()


def test_brevo_empty_list_left_out_is_empty(server):
    assert _brevo(server, {"count": 0}).Contact.all().to_list() == []


@pytest.mark.parametrize("body", [{"id": True}, {"id": ""}, {"id": None}, {"id": [1]}, [], 3])
def test_brevo_create_answer_needs_an_id(server, body):
    api = _brevo(server, body)
    with pytest.raises(errors.ResponseError) as caught:
        api.Contact.create(email="a@example.com")
    assert (caught.value.code, caught.value.field) == ("bad_answer", "id")


def test_sendbee_query_value_that_is_not_text_is_a_validation_error(server):
    server.script = answer(200, {"data": []})
    server.requests.clear()
    api = sendbee.connect(api_key="k", api_secret="s", base_url=server.url, retry=NO_RETRY)
    with pytest.raises(errors.ValidationError) as caught:
        api.Conversation.find(id="a\ud800")
    assert caught.value.field == "conversation_id"
    assert server.requests == []


@pytest.mark.parametrize("data", [None, 5, {}, {"message_id": None}, {"message_id": True},
                                  {"message_id": ""}])
def test_sendbee_send_answer_needs_a_message_id(server, data):
    server.script = answer(200, {"data": data})
    api = sendbee.connect(api_key="k", api_secret="s", base_url=server.url, retry=NO_RETRY)
    with pytest.raises(errors.ResponseError) as caught:
        api.Message.send("+15550100", text="hi")
    assert (caught.value.code, caught.value.field) == ("bad_answer", "message_id")


#: a find answer that is an object without the object's id, per provider
FOUND_WITHOUT_ID = {
    "intercom": (lambda api: api.Contact.find(id="c1"), {"type": "contact", "email": "a@b.c"}),
    "crisp": (lambda api: api.Contact.find(id="p1"),
              {"error": False, "reason": "resolved", "data": {"email": "a@b.c"}}),
    "livechat": (lambda api: api.Contact.find(id="c1"), {"name": "A"}),
    "brevo": (lambda api: api.Contact.find(id=1), {"email": "a@b.c"}),
    "sendbee": (lambda api: api.Conversation.find(id="c1"), {"data": {"folder": "open"}}),
}


@pytest.mark.parametrize("provider", sorted(FOUND_WITHOUT_ID))
def test_find_answer_without_an_id_is_a_response_error(server, provider):
    from .providers import PROVIDERS
    call, body = FOUND_WITHOUT_ID[provider]
    server.script = answer(200, body)
    api = PROVIDERS[provider].connect(server.url)
    with pytest.raises(errors.ResponseError):
        call(api)


def test_a_reload_answer_without_an_id_keeps_the_object(server):
    from .providers import PROVIDERS

    api = PROVIDERS["intercom"].connect(server.url)
    contact = api.Contact.ref("c1")
    server.script = answer(200, {"type": "contact", "email": "a@b.c"})
    with pytest.raises(errors.ResponseError, match="holds no id"):
        contact.reload()
    assert contact.id == "c1" and contact.is_partial

"""The LiveChat object model against its simulator over loopback HTTP: the RPC transport,
paging, errors, retries, dirty diffs and secrets."""

from __future__ import annotations

import base64
import datetime as dt
import io
import logging
import socket
import threading

import pytest

from chatmodels import livechat
from chatmodels.errors import (
    APIError,
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    ConflictError,
    PermissionDenied,
    RateLimitExceeded,
    ResourceNotFound,
    ServerError,
    ServiceUnavailableError,
    ValidationError,
)
from chatmodels.http import RetryPolicy
from chatmodels.testing import serve

FAST = RetryPolicy(max_retries=3, backoff_factor=0.01, max_backoff=0.05, max_wait=5)
EXAMPLE_CHAT, EXAMPLE_CUSTOMER = "PJ0MRSHTDG", "b7eff798-f8df-4364-8059-649c35c9ed0c"


@pytest.fixture(scope="module")
def lc_sim():
    with serve("livechat", seed=7, chats=60, customers=25) as sim:
        yield sim


@pytest.fixture
def sim(lc_sim):
    lc_sim.reset()
    yield lc_sim
    lc_sim.clear_faults()
    lc_sim.rate_limit(None)


@pytest.fixture
def api(sim):
    client = livechat.connect(base_url=sim.base_url, retry=FAST, **sim.credentials)
    yield client
    client.close()


def test_issue_goal_examples_as_written(sim, monkeypatch):
    monkeypatch.setattr(livechat.LiveChat, "base_url", sim.base_url)
    monkeypatch.setattr(livechat.LiveChat, "max_retries", 1)
    # the Goal block, line by line; it uses ``group`` (and the "vip" tag, which LiveChat
    # requires to exist before tag_thread) before creating them, so those come first here
    livechat.LiveChat.account_id = sim.credentials["account_id"]
    livechat.LiveChat.token = sim.credentials["token"]
    try:
        group = livechat.Team.find(id=1)
        livechat.Tag.create(name="vip", team=group)
        chat = livechat.Conversation.find(id="PJ0MRSHTDG")
        assert sim.requests[-1].path == "/v3.6/agent/action/get_chat"
        assert sim.requests[-1].json == {"chat_id": "PJ0MRSHTDG"}
        for chat in livechat.Conversation.all():  # noqa: B007
            ...
        for chat in livechat.Conversation.archived(query="refund"):  # noqa: B007
            ...
        assert chat.id == EXAMPLE_CHAT  # the oldest refund thread is the docs' chat
        assert chat.messages and all(isinstance(m, livechat.Message) for m in chat.messages)
        chat.reply(text="Hi!")
        assert sim.requests[-1].json == {"chat_id": EXAMPLE_CHAT, "event": {
            "type": "message", "text": "Hi!", "visibility": "all"}}
        chat.close(); chat.resume(); chat.transfer(team=group)  # noqa: E702
        assert sim.requests[-1].json == {"id": EXAMPLE_CHAT,
                                         "target": {"type": "group", "ids": [1]}}
        chat.add_tag("vip")
        cust = livechat.Contact.find(id=EXAMPLE_CUSTOMER) ; cust.name = "Ann"; cust.save()  # noqa: E702,E703
        assert sim.requests[-1].json == {"id": EXAMPLE_CUSTOMER, "name": "Ann"}
        livechat.Agent.all(); livechat.Team.all()  # noqa: E702
    finally:
        livechat.LiveChat.account_id = livechat.LiveChat.token = None
    thread = sim.state.latest_thread(sim.state.chats[EXAMPLE_CHAT])
    assert thread["active"] and thread["tags"] == ["vip"]
    assert sim.state.chats[EXAMPLE_CHAT]["access"] == {"group_ids": [1]}
    assert sim.state.customers[EXAMPLE_CUSTOMER]["name"] == "Ann"
    assert sim.state.tags["vip"]["group_ids"] == [1]


def test_every_call_is_a_post_to_an_action_with_basic_pat_auth(sim, api):
    api.Conversation.find(id=EXAMPLE_CHAT)
    api.Tag.all().to_list()
    first, second = sim.requests[-2:]
    assert (first.method, first.path) == ("POST", "/v3.6/agent/action/get_chat")
    assert (second.method, second.path) == ("POST", "/v3.6/configuration/action/list_tags")
    assert second.json == {}
    assert api.last_response.request.headers["Authorization"] == "Basic " + base64.b64encode(
        f"{sim.credentials['account_id']}:{sim.credentials['token']}".encode()).decode()
    assert "X-API-Version" not in api.last_response.request.headers


def test_bearer_token_and_api_version_header(sim):
    with livechat.connect(base_url=sim.base_url, bearer=sim.bearer_token,
                          api_version="3.6") as client:
        assert client.Team.find(id=0).name == "General"
        sent = client.last_response.request.headers
        assert sent["Authorization"] == f"Bearer {sim.bearer_token}"
        assert sent["X-API-Version"] == "3.6"
        assert sim.requests[-1].json == {"id": 0, "fields": ["agent_priorities",
                                                             "routing_status"]}
    with pytest.raises(ConfigurationError):
        livechat.connect(base_url=sim.base_url, bearer="x", api_version="3.5")


def test_missing_credentials_are_a_configuration_error(monkeypatch):
    for name in ("LIVECHAT_ACCOUNT_ID", "LIVECHAT_TOKEN", "LIVECHAT_BEARER"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ConfigurationError, match="account_id, token"):
        livechat.connect(base_url="http://127.0.0.1:9")


def test_list_chats_pages_with_page_id_and_filters_on_the_first_page_only(sim, api):
    chats = api.Conversation.all(active=False, team=0).page_size(7).to_list()
    expected = sorted((c for c in sim.state.chats.values()
                       if not sim.state.latest_thread(c)["active"]
                       and 0 in c["access"]["group_ids"]),
                      key=lambda c: sim.state.latest_thread(c)["created_at"], reverse=True)
    assert [c.id for c in chats] == [c["id"] for c in expected]
    calls = [r for r in sim.requests if r.path.endswith("/list_chats")]
    assert len(calls) > 3
    assert calls[0].json == {"filters": {"active": False, "group_ids": [0]}, "limit": 7}
    assert all(set(r.json) == {"page_id"} for r in calls[1:])
    assert all(c.state == "closed" for c in chats)


def test_archives_threads_and_messages(sim, api):
    hits = api.Conversation.archived(query="refund", sort_order="asc").page_size(5).to_list()
    first = [r for r in sim.requests if r.path.endswith("/list_archives")][0]
    assert first.json == {"filters": {"query": "refund"}, "sort_order": "asc", "limit": 5}
    assert hits and all(h.thread_id for h in hits)
    chat = api.Conversation.find(id=EXAMPLE_CHAT)
    threads = chat.threads().page_size(1).to_list()
    stored = sim.state.chats[EXAMPLE_CHAT]["thread_ids"]
    assert [t.id for t in threads] == stored
    messages = chat.messages
    events = [e for t in stored for e in sim.state.threads[t]["events"]]
    assert [m.id for m in messages] == [e["id"] for e in events]
    assert {m.author_type for m in messages if m.type == "message"} == {"contact", "agent"}
    assert chat.find(id=EXAMPLE_CHAT, thread_id=stored[0]).thread_id == stored[0]
    assert sim.requests[-1].json == {"chat_id": EXAMPLE_CHAT, "thread_id": stored[0]}


def test_expired_page_id_is_a_typed_error(sim, api):
    pages = api.Conversation.all().page_size(5).pages()
    next(pages)
    sim.expire_page_ids()
    with pytest.raises(livechat.PageExpired) as err:
        next(pages)
    assert err.value.field == "page_id" and err.value.status == 400
    assert isinstance(err.value, ValidationError)


def test_chat_lifecycle_and_events(sim, api):
    cust = api.Contact.find(id=EXAMPLE_CUSTOMER)
    chat = api.Conversation.start(customer=cust, text="Hello from us", team=2)
    assert sim.requests[-2].json == {"chat": {
        "users": [{"id": EXAMPLE_CUSTOMER, "type": "customer"}],
        "access": {"group_ids": [2]},
        "thread": {"events": [{"type": "message", "text": "Hello from us",
                               "visibility": "all"}]}}}
    assert chat.state == "open" and chat.team_id == 2 and cust in chat.contacts
    note = chat.note("internal")
    assert (note.kind, note.type, note.body) == ("note", "message", "internal")
    assert [m.body for m in chat.messages] == ["Hello from us", "internal"]
    chat.close()
    assert chat.state == "closed" and sim.requests[-1].json == {"id": chat.id}
    with pytest.raises(livechat.ChatInactive) as err:
        chat.reply(text="too late")
    assert err.value.status == 422 and err.value.code == "chat_inactive"
    chat.resume(text="back")
    assert chat.state == "open" and len(sim.state.chats[chat.id]["thread_ids"]) == 2
    chat.update_properties({"ns": {"score": 5}})
    assert sim.state.chats[chat.id]["properties"] == {"ns": {"score": 5}}
    chat.mark_seen(dt.datetime(2025, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc))
    assert sim.requests[-1].json == {"chat_id": chat.id,
                                     "seen_up_to": "2025-01-02T03:04:05.000000Z"}
    chat.add_user("jones@example.com")
    assert sim.requests[-1].json == {"chat_id": chat.id, "user_id": "jones@example.com",
                                     "user_type": "agent", "visibility": "all"}
    chat.transfer(agent="jones@example.com")
    assert chat.assignee_id == "jones@example.com"
    chat.follow()
    assert api.Conversation.find(id=chat.id).is_followed
    url = api.Conversation.upload(io.BytesIO(b"PNG..."), "shot.png")
    assert url.endswith("/shot.png") and sim.requests[-1].headers["Content-Type"].startswith(
        "multipart/form-data")
    sent = chat.send_file(url)
    assert sent.kind == "comment" and sim.state.threads[chat.thread_id]["events"][-1]["url"] == url
    assert chat.agents_for_transfer()[0].keys() == {"agent_id", "total_active_chats"}


def test_tags_teams_agents_and_properties(sim, api):
    team = api.Team.create(name="VIP desk", agent_priorities={"jones@example.com": "first"})
    assert sim.requests[-1].json == {"name": "VIP desk",
                                     "agent_priorities": {"jones@example.com": "first"}}
    assert team.id == 4 and team.name == "VIP desk"
    team.name = "VIP"
    team.save()
    assert sim.requests[-1].json == {"id": 4, "name": "VIP"}
    tag = api.Tag.create(name="gold", team=team)
    assert sim.requests[-1].json == {"name": "gold", "group_ids": [4]}
    with pytest.raises(ConflictError):
        api.Tag.create(name="GOLD")
    tag.group_ids = [0, 4]
    tag.save()
    assert sim.requests[-1].json == {"name": "gold", "group_ids": [0, 4]}
    assert [t.name for t in api.Tag.all(group_ids=[4])] == ["gold"]
    assert sim.requests[-1].json == {"filters": {"group_ids": [4]}}
    tag.delete()
    assert "gold" not in sim.state.tags
    agent = api.Agent.find(id="kenji@example.com")
    assert agent.team_ids == [0, 1] and agent.email == "kenji@example.com"
    agent.job_title = "Lead"
    agent.save()
    assert sim.requests[-1].json == {"id": "kenji@example.com", "job_title": "Lead"}
    agent.set_routing_status("accepting_chats")
    assert {"agent_id": "kenji@example.com", "status": "accepting_chats"} in \
        api.Agent.routing_statuses(team=1)
    results = api.Agent.batch("suspend", [{"id": "kenji@example.com"}, {"id": "nobody@x.io"}])
    assert results[0] == {} and isinstance(results[1], ResourceNotFound)
    new = api.Agent.create(email="zed@example.com", name="Zed")
    assert new.id == "zed@example.com" and "zed@example.com" in sim.state.agents
    prop = api.Property.register("score", owner_client_id="c1", type="int",
                                 access={"chat": {"agent": ["read", "write"]}})
    assert [p.id for p in api.Property.all(owner_client_id="c1")] == ["score"]
    assert prop.data_type == "integer" and prop.model == ["chat"]


def test_contacts_derived_from_archives_and_customer_actions(sim, api):
    contacts = api.Contact.all().to_list()
    with_chats = {c for c, v in sim.state.customers.items() if v["chat_ids"]}
    assert {c.id for c in contacts} == with_chats and len(contacts) == len(with_chats)
    assert all(c.is_partial for c in contacts)
    sim.clear_requests()
    one = api.Contact.all().first()
    assert one.id in with_chats
    assert [r.json for r in sim.requests] == [{"limit": 1}]  # stopping early costs one page
    cust = api.Contact.find(id=EXAMPLE_CUSTOMER)
    cust.custom_attributes = {"plan": "pro", "seats": 3}
    cust.save()
    assert sim.requests[-1].json == {"id": EXAMPLE_CUSTOMER,
                                     "session_fields": [{"plan": "pro"}, {"seats": 3}]}
    assert cust.save() is cust and sim.requests[-1].json["session_fields"]  # nothing to send
    cust.ban(days=3)
    assert api.Contact.bans()[0]["customer_id"] == EXAMPLE_CUSTOMER
    created = api.Contact.create(name="Ann", email="ann@example.com")
    assert created.id in sim.state.customers and created.name == "Ann"


@pytest.mark.parametrize(("status", "kind", "cls"), [
    (401, "authentication", AuthenticationError), (403, "authorization", PermissionDenied),
    (402, "license_expired", livechat.LicenseError), (404, "not_found", ResourceNotFound),
    (400, "validation", ValidationError), (429, "too_many_requests", RateLimitExceeded),
    (500, "internal", ServerError), (503, "service_unavailable", ServiceUnavailableError)])
def test_error_types_map_onto_the_error_tree(sim, status, kind, cls):
    client = livechat.connect(base_url=sim.base_url, max_retries=0, **sim.credentials)
    sim.fail(status, path="/v3.6/agent/action/get_chat")
    with pytest.raises(cls) as err:
        client.Conversation.find(id=EXAMPLE_CHAT)
    assert (err.value.status, err.value.code) == (status, kind)
    assert err.value.body == {"error": {"type": kind, "message": sim.default_error(status)[1]}}


def test_validation_errors_name_the_field_and_not_found_names_the_lookup(sim, api):
    with pytest.raises(ValidationError) as err:
        api.Agent.routing_statuses()  # fine
        api.Conversation.find(id=EXAMPLE_CHAT).add_user("jones@example.com", type="robot")
    assert err.value.field == "user_type" and err.value.status == 400
    with pytest.raises(ResourceNotFound) as missing:
        api.Conversation.find(id="NOPE")
    assert missing.value.lookup == {"id": "NOPE"} and missing.value.code == "not_found"
    with pytest.raises(AuthenticationError):
        livechat.connect(base_url=sim.base_url, account_id="x", token="y").Team.all().to_list()


def test_reads_are_retried_but_sends_are_not(sim, api):
    sim.fail(500, times=2, path="/v3.6/agent/action/get_chat")
    assert api.Conversation.find(id=EXAMPLE_CHAT).id == EXAMPLE_CHAT
    assert [r.status for r in sim.requests[-3:]] == [500, 500, 200]
    chat = api.Conversation.find(id=EXAMPLE_CHAT)
    before = len(sim.state.latest_thread(sim.state.chats[EXAMPLE_CHAT])["events"])
    sim.fail(500, path="/v3.6/agent/action/send_event")
    with pytest.raises(ServerError):
        chat.reply(text="once")
    assert len([r for r in sim.requests if r.path.endswith("/send_event")]) == 1
    assert len(sim.state.latest_thread(sim.state.chats[EXAMPLE_CHAT])["events"]) == before
    sim.throttle(times=1, retry_after=0)
    chat.reply(text="after a 429")  # LiveChat refused it before processing: resent
    assert [r.status for r in sim.requests[-2:]] == [429, 200]


def test_rate_limit_is_answered_as_livechat_does(sim):
    client = livechat.connect(base_url=sim.base_url, max_retries=0, **sim.credentials)
    sim.rate_limit(2, window=60)
    client.Team.all().to_list()
    client.Team.all().to_list()
    with pytest.raises(RateLimitExceeded) as err:
        client.Team.all().to_list()
    assert err.value.body == {"error": {"type": "too_many_requests",
                                        "message": "Requests limit reached"}}
    assert err.value.retry_after is not None and err.value.retry_after <= 60


def test_secrets_never_in_logs_reprs_or_errors(sim, caplog):
    token = sim.credentials["token"]
    client = livechat.connect(base_url=sim.base_url, max_retries=0, **sim.credentials)
    caplog.set_level(logging.DEBUG, logger="chatmodels")
    client.Conversation.find(id=EXAMPLE_CHAT)
    sim.fail(401, path="/v3.6/agent/action/get_chat", message=f"bad token {token}")
    with pytest.raises(AuthenticationError) as err:
        client.Conversation.find(id=EXAMPLE_CHAT)
    basic = base64.b64encode(f"{sim.credentials['account_id']}:{token}".encode()).decode()
    for text in (caplog.text, str(err.value), repr(err.value), repr(client),
                 repr(client.http)):
        assert token not in text and basic not in text
    assert sim.requests[-1].headers["Authorization"] == "***"


def _bad_server(answers):
    """A scripted server on a raw loopback socket answering ``answers`` in turn."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)

    def run():
        for status, ctype, body in answers:
            conn, _ = server.accept()
            data = b""
            while b"\r\n\r\n" not in data:
                data += conn.recv(65536)
            head, _, rest = data.partition(b"\r\n\r\n")
            length = int(next((line.split(b":")[1] for line in head.split(b"\r\n")
                               if line.lower().startswith(b"content-length")), b"0"))
            while len(rest) < length:
                rest += conn.recv(65536)
            conn.sendall(f"HTTP/1.1 {status} X\r\nContent-Type: {ctype}\r\n"
                         f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
                         .encode() + body)
            conn.close()
        server.close()

    threading.Thread(target=run, daemon=True).start()
    return f"http://127.0.0.1:{server.getsockname()[1]}"


def test_malformed_answers_still_give_typed_errors():
    url = _bad_server([
        (502, "text/html", b"<html>bad gateway</html>"),
        (400, "application/json", b"[1, 2]"),
        (403, "application/json", b'{"error": {"type": 5, "message": ["x"], "data": 3}}'),
        (400, "application/json", b'{"error": {"type": "validation", "message": "no field"}}'),
        (200, "application/json", b'"a string"'),
    ])
    client = livechat.connect(base_url=url, account_id="acct-1", token="pat-0123456789abcdef", max_retries=0)
    with pytest.raises(ServerError) as err:
        client.Team.all().to_list()
    assert err.value.status == 502
    with pytest.raises(BadRequestError) as listed:
        client.Team.all().to_list()
    assert listed.value.body == [1, 2] and not isinstance(listed.value, ValidationError)
    with pytest.raises(PermissionDenied) as denied:
        client.Team.all().to_list()
    assert denied.value.code is None and denied.value.field is None
    with pytest.raises(ValidationError) as plain:
        client.Team.all().to_list()
    assert plain.value.field is None and plain.value.code == "validation"
    with pytest.raises(APIError) as bad:
        client.Conversation.find(id="X")
    assert bad.value.code == "bad_answer"


def test_threads_events_properties_and_counts(sim, api):
    chat = api.Conversation.find(id=EXAMPLE_CHAT)
    thread = chat.threads().to_list()[-1]
    thread.update_properties({"ns": {"rating": "good"}})
    assert sim.requests[-1].json == {"chat_id": EXAMPLE_CHAT, "thread_id": thread.id,
                                     "properties": {"ns": {"rating": "good"}}}
    thread.tag("refund")
    assert thread.tags == ["refund"] and sim.state.threads[thread.id]["tags"] == ["refund"]
    thread.untag("refund")
    message = thread.messages[0]
    message.update_properties({"ns": {"flag": True}})
    assert sim.requests[-1].json == {"chat_id": EXAMPLE_CHAT, "thread_id": thread.id,
                                     "event_id": message.id,
                                     "properties": {"ns": {"flag": True}}}
    message.delete_properties({"ns": ["flag"]})
    assert sim.state.threads[thread.id]["events"][0]["properties"] == {"ns": {}}
    assert api.Conversation.all().count() == len(sim.state.chats)
    assert sim.requests[-1].json == {"limit": 1}
    partial = chat.contacts[0]
    assert partial.is_partial and partial.visit  # one get_customer to complete it
    assert sim.requests[-1].path.endswith("/get_customer") and not partial.is_partial


def test_class_level_settings_from_the_environment(sim, monkeypatch):
    monkeypatch.setenv("LIVECHAT_ACCOUNT_ID", sim.credentials["account_id"])
    monkeypatch.setenv("LIVECHAT_TOKEN", sim.credentials["token"])
    monkeypatch.setenv("LIVECHAT_BASE_URL", sim.base_url)
    assert [t.name for t in livechat.Team.all()][:2] == ["General", "Sales"]
    team = livechat.Team.find(id=3)
    team.delete()
    assert 3 not in sim.state.groups and sim.requests[-1].json == {"id": 3}
    with pytest.raises(ResourceNotFound):
        livechat.Team.find(id=3)
    with pytest.raises(ConfigurationError, match="unknown connect"):
        livechat.LiveChat.connect(acount_id="x")

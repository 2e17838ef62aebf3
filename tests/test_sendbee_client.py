"""The Sendbee provider over loopback HTTP against its simulator: signed requests, request
conventions, wire payloads, canonical mapping, dirty tracking, paging, warnings, errors, retries,
rate limit, accounts."""

from __future__ import annotations

import base64
import datetime as dt
import logging
import time

import pytest

from chatmodels import canonical, errors, sendbee
from chatmodels.http import RetryPolicy
from chatmodels.sendbee import api as sendbee_api
from chatmodels.sendbee import auth
from chatmodels.testing import serve

from .conftest import FAST_RETRY

UTC = dt.timezone.utc
NO_RETRY = RetryPolicy(max_retries=0)


@pytest.fixture(scope="module")
def sendbee_sim():
    with serve("sendbee", seed=42, contacts=120, conversations=40) as sim:
        yield sim


@pytest.fixture
def sim(sendbee_sim):
    """The module simulator, reset to its seeded state (and 60 requests/minute) per test."""
    sendbee_sim.reset()
    yield sendbee_sim
    sendbee_sim.clear_faults()
    sendbee_sim.latency = 0


@pytest.fixture
def api(sim):
    client = sendbee.connect(base_url=sim.base_url, retry=FAST_RETRY, **sim.credentials)
    yield client
    client.close()


def _conv(sim, *, open_window: bool):
    """A seeded conversation inside (or outside) the 24-hour window."""
    state = sim.state
    for conv in state.conversations.values():
        if state.in_window(conv) is open_window:
            return conv
    raise AssertionError("no such conversation in the seed")


# -- auth and request conventions ---------------------------------------------------------------
def test_every_request_carries_the_key_and_a_fresh_signed_token(api, sim):
    api.Tag.all().first()
    sent = api.last_response.request.headers
    assert sent["X-Api-Key"] == sim.credentials["api_key"]
    token = sent["X-Auth-Token"]
    assert auth.verify_token(token, sim.credentials["api_secret"], max_age=5)
    assert abs(auth.token_timestamp(token) - time.time()) < 5
    assert sim.requests[-1].headers["X-Auth-Token"] == "***"  # the simulator log redacts it


def test_a_retried_request_is_signed_again(api, sim):
    sim.fail(503, times=1, method="GET", path="/contacts/tags")
    assert api.Tag.all().first().name == "vip"
    assert [r.status for r in sim.requests] == [503, 200]


def test_query_values_are_url_encoded_lists_joined_booleans_numbers(api, sim):
    ann = api.Contact.create(phone="+385991234567", name="Ann Smith")
    assert api.Contact.find("+385991234567") == ann
    assert sim.requests[-1].query == {"search_query": "+385991234567", "page": "1",
                                      "limit": "100"}
    assert "search_query=%2B385991234567" in api.last_response.request.url
    list(api.Contact.all(search="ann smith", tags=["vip", "lead"], status="subscribed"))
    assert sim.requests[-1].query == {"search_query": "ann smith", "tags": "vip,lead",
                                      "status": "subscribed", "page": "1", "limit": "100"}
    assert sendbee_api.query_value(True) == "1" and sendbee_api.query_value(False) == "0"
    assert sendbee_api.query_value({"1": "a", "2": "b"}) == "1:a,2:b"
    assert sendbee_api.query_value(dt.datetime(2024, 1, 1, tzinfo=UTC)) == 1704067200
    assert sendbee_api.query_value(dt.date(2024, 1, 1)) == 1704067200


def test_unknown_filter_is_refused_before_any_request(api, sim):
    with pytest.raises(errors.ValidationError, match="no filter 'colour'") as exc:
        api.Contact.all(colour="red")
    assert exc.value.field == "colour" and sim.requests == []


def test_delete_sends_its_json_body(api, sim):
    tag = api.Tag.create(name="temp")
    tag.delete()
    last = sim.requests[-1]
    assert (last.method, last.path, last.json, last.query) == (
        "DELETE", "/contacts/tags", {"id": tag.id}, {})
    assert tag.id not in sim.state.tags


# -- contacts -----------------------------------------------------------------------------------
def test_contact_subscribe_body_and_canonical_fields(api, sim):
    vip = api.Tag.find(name="vip")
    ann = api.Contact.create(phone="+385991234567", name="Ann", tags=[vip, "brand-new"],
                             custom_attributes={"package": "pro", "orders": 3},
                             notes=["met at the fair"], block_automation=False)
    assert sim.requests[-1].path == "/contacts/subscribe"
    assert sim.requests[-1].json == {
        "phone": "+385991234567", "name": "Ann", "tags": ["vip", "brand-new"],
        "contact_fields": {"package": "pro", "orders": 3}, "notes": ["met at the fair"],
        "block_automation": False}
    assert isinstance(ann, canonical.Contact) and ann.role == "user"
    assert ann.custom_attributes == {"package": "pro", "orders": "3"}
    assert [t.name for t in ann.tags] == ["vip", "brand-new"]
    assert ann.tags[0] == vip and ann.status == "subscribed"
    assert isinstance(ann.created_at, dt.datetime) and ann.created_at.tzinfo is not None
    assert [n.body for n in ann.notes()] == ["met at the fair"]
    assert not ann.is_dirty


def test_contact_save_sends_only_the_diff(api, sim):
    contact = api.Contact.all().first()
    contact.custom_attributes["package"] = "business"
    assert contact.dirty_fields == ["custom_attributes"]
    contact.save()
    assert sim.requests[-1].method == "PUT" and sim.requests[-1].path == "/contacts"
    assert sim.requests[-1].json == {"id": contact.id, "contact_fields": {"package": "business"}}
    contact.name = "Renamed"
    contact.save()
    assert sim.requests[-1].json == {"id": contact.id, "name": "Renamed"}
    count = len(sim.requests)
    contact.save()                      # nothing changed: nothing sent
    assert len(sim.requests) == count
    contact.tags.append("lead")         # in-place, on the first read of tags
    contact.save()
    assert sim.requests[-1].json["tags"][-1] == "lead"
    assert set(sim.requests[-1].json) == {"id", "tags"}


def test_create_needs_a_phone_and_fields_are_checked_locally(api, sim):
    with pytest.raises(errors.ValidationError, match="phone"):
        api.Contact.create(name="No phone")
    with pytest.raises(errors.ValidationError, match="custom_attributes"):
        api.Contact.create(phone="+385991234567", custom_attributes={"package": {"x": 1}})
    with pytest.raises(errors.FieldError):
        api.Contact(colour="red")
    assert sim.requests == []


def test_contact_field_that_does_not_exist_gives_a_warning(api, sim, caplog):
    contact = api.Contact.all().first()
    contact.custom_attributes["shoe_size"] = "42"
    with caplog.at_level(logging.WARNING, logger="chatmodels.sendbee"):
        with pytest.warns(sendbee.SendbeeWarning, match="shoe_size"):
            contact.save()
    assert "shoe_size" in caplog.text
    assert "shoe_size" not in contact.custom_attributes   # Sendbee ignored it


def test_notes_are_appended(api, sim):
    contact = api.Contact.all().first()
    before = [n.body for n in contact.notes()]
    note = contact.add_note("Called back")
    assert sim.requests[-1].json == {"id": contact.id, "notes": ["Called back"]}
    assert isinstance(note, canonical.Note)
    assert (note.body, note.contact_id) == ("Called back", contact.id) and note.id
    assert [n.body for n in contact.notes()] == before + ["Called back"]


def test_objects_stay_on_the_account_that_loaded_them(api, sim, monkeypatch):
    monkeypatch.setattr(sendbee.Sendbee, "api_key", "someone-else")
    monkeypatch.setattr(sendbee.Sendbee, "api_secret", "elsewhere")
    monkeypatch.setattr(sendbee.Sendbee, "base_url", "http://127.0.0.1:9")
    contact = api.Contact.all().first()
    note = sendbee.Note.create(contact=contact, body="via the module class")
    assert sim.requests[-1].json == {"id": contact.id, "notes": ["via the module class"]}
    assert note.contact_id == contact.id and note.account is contact.account


def test_add_and_remove_tag(api, sim):
    contact = api.Contact.create(phone="+385991234567", tags=["vip"])
    contact.add_tag("lead")
    assert sim.requests[-1].json == {"id": contact.id, "tags": ["vip", "lead"]}
    contact.remove_tag("vip")
    assert sim.requests[-1].json == {"id": contact.id, "tags": ["lead"]}
    assert [t.name for t in contact.tags] == ["lead"]


def test_paging_across_many_pages(api, sim):
    total = len(sim.state.contacts)
    seen = [c.id for c in api.Contact.all().page_size(25)]
    assert len(seen) == len(set(seen)) == total
    pages = [r.query for r in sim.requests]
    assert [p["page"] for p in pages] == [str(n) for n in range(1, -(-total // 25) + 1)]
    assert {p["limit"] for p in pages} == {"25"}
    assert api.Contact.count() == total
    list(api.Contact.all().page_size(500).limit(3))
    assert sim.requests[-1].query["limit"] == "3"
    list(api.Tag.all().page_size(500))
    assert sim.requests[-1].query["limit"] == "100"


def test_partial_contact_of_a_conversation_loads_by_phone(api, sim):
    conv = api.Conversation.all().first()
    contact = conv.contact
    assert contact.is_partial and conv.contacts == [contact]
    fields = contact.custom_attributes          # one lazy load: a search by phone
    assert sim.requests[-1].query["search_query"] == contact.phone
    stored = sim.state.contacts[contact.id]
    assert fields == {sim.state.fields[f]["name"]: v for f, v in stored["fields"].items()}


# -- tags and contact fields --------------------------------------------------------------------
def test_tag_crud(api, sim):
    tag = api.Tag.create(name="spring")
    assert sim.requests[-1].json == {"name": "spring"}
    tag.name = "summer"
    tag.save()
    assert (sim.requests[-1].method, sim.requests[-1].json) == (
        "PUT", {"id": tag.id, "name": "summer"})
    assert api.Tag.find(name="summer") == tag
    assert sim.requests[-1].query["name"] == "summer"
    with pytest.raises(errors.ResourceNotFound):
        api.Tag.find(name="nope")


def test_contact_field_crud_and_types(api, sim):
    field = api.ContactField.create(name="score", data_type="integer")
    assert sim.requests[-1].json == {"name": "score", "type": "number"}
    assert (field.type, field.data_type, field.label, field.custom) == (
        "number", "float", "score", True)
    tier = api.ContactField.create(name="level", type="list", options=["a", "b"])
    tier.options.append("c")
    tier.save()
    assert sim.requests[-1].json == {"id": tier.id, "options": ["a", "b", "c"],
                                     "name": "level", "type": "list"}
    with pytest.raises(errors.ValidationError, match="options"):
        api.ContactField.create(name="bad", type="list")
    with pytest.raises(errors.ValidationError, match="type"):
        api.ContactField.create(name="bad", type="colour")
    field.delete()
    assert (sim.requests[-1].method, sim.requests[-1].json) == ("DELETE", {"id": field.id})
    assert [f.name for f in api.ContactField.all(search="lev")] == ["level"]


# -- conversations, messages, templates, bot ---------------------------------------------------
def test_conversation_filters_find_and_folder(api, sim):
    since = dt.datetime.now(UTC) - dt.timedelta(days=1)
    convs = list(api.Conversation.all(folder="open", date_from=since, search="a"))
    assert sim.requests[-1].query["date_from"] == str(int(since.timestamp()))
    assert convs and all(c.folder == "open" and c.state == "open" for c in convs)
    conv = api.Conversation.find(convs[0].id)
    assert sim.requests[-1].query == {"conversation_id": conv.id}
    assert conv == convs[0] and isinstance(conv.updated_at, dt.datetime)
    conv.close()
    assert sim.requests[-1].json == {"conversation_id": conv.id, "folder": "done"}
    assert (conv.folder, conv.state) == ("done", "closed")
    conv.state = "open"
    conv.save()
    assert sim.requests[-1].json == {"conversation_id": conv.id, "folder": "open"}
    with pytest.raises(errors.ResourceNotFound):
        api.Conversation.find("00000000-0000-4000-8000-000000000000")


def test_messages_in_time_order_across_pages(api, sim):
    state = sim.state
    raw = _conv(sim, open_window=True)
    start = int(time.time()) - 3000
    for i in range(25):
        state.add_message(raw, body=f"m{i}", direction="inbound", sent_at=start + i)
    conv = api.Conversation.find(raw["id"])
    messages = list(conv.messages)
    assert len(messages) == len(state.messages[raw["id"]])
    pages = [r.query["page"] for r in sim.requests if r.path == "/conversations/messages"]
    assert len(pages) >= 3 and "limit" not in sim.requests[-1].query
    times = [m.created_at for m in messages]
    assert times == sorted(times)
    last = messages[-1]
    assert isinstance(last, canonical.Message)
    assert (last.body, last.kind, last.author_type, last.conversation_id) == (
        "m24", "comment", "contact", raw["id"])


def test_reply_inside_the_window(api, sim):
    raw = _conv(sim, open_window=True)
    conv = api.Conversation.find(raw["id"])
    assert conv.within_window()
    message = conv.reply(text="Hi! 👋 +1 & more")
    assert sim.requests[-1].path == "/conversations/messages/send"
    assert sim.requests[-1].json == {"phone": conv.contact.phone, "text": "Hi! 👋 +1 & more"}
    assert message.id == sim.state.messages[raw["id"]][-1]["id"]
    assert (message.body, message.conversation_id) == ("Hi! 👋 +1 & more", raw["id"])
    assert sim.state.conversations[raw["id"]]["chatbot_active"] is False


def test_free_form_outside_the_window_is_refused_template_works(api, sim):
    raw = _conv(sim, open_window=False)
    conv = api.Conversation.find(raw["id"])
    assert not conv.within_window()
    count = len(sim.state.messages[raw["id"]])
    with pytest.raises(sendbee.MessagingWindowClosed) as exc:
        conv.reply(text="Hello again")
    assert exc.value.status == 400 and exc.value.code == "messaging_window_closed"
    assert len(sim.requests) == 2            # a POST refused by the server is not resent
    conv.send_template("welcome", language="en", tags={"name": "Ann"}, prevent_bot_off=True)
    assert sim.requests[-1].json == {"phone": conv.contact.phone, "template_keyword": "welcome",
                                     "language": "en", "tags": {"name": "Ann"},
                                     "prevent_bot_off": True}
    assert sim.state.messages[raw["id"]][-1]["body"] == "Welcome Ann! How can we help you?"
    assert len(sim.state.messages[raw["id"]]) == count + 1


def test_template_errors(api, sim):
    conv = api.Conversation.all().first()
    with pytest.raises(errors.ResourceNotFound):
        conv.send_template("nope", language="en")
    with pytest.raises(errors.ValidationError, match="pending"):
        conv.send_template("promo_spring", language="en", tags={"1": "20"})
    with pytest.raises(errors.ValidationError, match="Missing template tags: 2"):
        conv.send_template("order_update", language="en", tags={"1": "Ann"})
    with pytest.raises(errors.ValidationError, match="language"):
        conv.send_template("welcome")


def test_templates_list_and_send_from_a_template(api, sim):
    approved = list(api.MessageTemplate.all(status="approved"))
    assert sim.requests[-1].query["status"] == "approved"
    assert {t.keyword for t in approved} == {"welcome", "order_update"}
    rejected = api.MessageTemplate.all(status="rejected").first()
    assert rejected.rejected_reason == "Promotional content"
    welcome_hr = next(t for t in approved if t.language == "hr")
    welcome_hr.send("+385991234567", tags={"name": "Iva"})
    assert sim.requests[-1].json["language"] == "hr"
    assert "+385991234567" in sim.state.phones     # a template reaches a new number


def test_bot_status_and_switch(api, sim):
    conv = api.Conversation.all().first()
    api.Bot.turn_on(conv)
    assert (sim.requests[-1].method, sim.requests[-1].json) == (
        "PUT", {"conversation_id": conv.id, "active": True})
    assert api.Bot.status(conv) is True
    assert sim.requests[-1].query == {"conversation_id": conv.id}
    api.Bot.turn_off(conv)
    assert api.Bot.status(conv) is False and conv.chatbot_active is False


def test_teams_and_agents(api, sim):
    teams = list(api.Team.all())
    assert {t.name for t in teams} == {"Support", "Sales"}
    support = next(t for t in teams if t.name == "Support")
    assert isinstance(support, canonical.Team)
    assert support.agent_ids == [m.id for m in support.members]
    agents = list(api.Agent.all(team=support))
    assert sim.requests[-1].query == {"team_id": support.id}
    assert {a.id for a in agents} == set(support.agent_ids)
    agent = agents[0]
    assert isinstance(agent, canonical.Agent) and agent.away is (not agent.available)
    assert support.id in agent.team_ids
    assert [t.id for t in api.Team.all(member=agent)] == [
        t.id for t in teams if agent.id in t.agent_ids]


# -- errors, retries, rate limit ----------------------------------------------------------------
@pytest.mark.parametrize("status, cls", [
    (400, errors.BadRequestError), (401, errors.AuthenticationError),
    (403, errors.PermissionDenied), (404, errors.ResourceNotFound),
    (422, errors.ValidationError), (429, errors.RateLimitExceeded),
    (500, errors.ServerError), (503, errors.ServiceUnavailableError),
])
def test_error_statuses_map_onto_the_tree(sim, status, cls):
    api = sendbee.connect(base_url=sim.base_url, retry=NO_RETRY, **sim.credentials)
    sim.fail(status, message="went wrong", retry_after=7 if status == 429 else None)
    with pytest.raises(cls) as exc:
        api.Tag.all().first()
    assert exc.value.status == status and exc.value.provider == "sendbee"
    assert exc.value.message == "went wrong"
    if status == 429:
        assert exc.value.retry_after == 7


def test_bad_credentials_are_an_authentication_error(sim):
    api = sendbee.connect(base_url=sim.base_url, api_key=sim.credentials["api_key"],
                          api_secret="wrong", retry=NO_RETRY)
    with pytest.raises(errors.AuthenticationError) as exc:
        api.Contact.all().first()
    assert exc.value.code == "authentication_failed"
    assert "wrong" not in str(exc.value) and "wrong" not in repr(exc.value)


def test_missing_settings_and_unknown_options():
    with pytest.raises(errors.ConfigurationError, match="api_secret"):
        sendbee.connect(api_key="k", base_url="http://127.0.0.1:9")
    with pytest.raises(errors.ConfigurationError, match="colour") as exc:
        sendbee.connect(api_key="k", api_secret="hush", colour="red")
    assert "hush" not in str(exc.value)


def test_post_is_retried_only_when_refused_unprocessed(api, sim):
    raw = _conv(sim, open_window=True)
    conv = api.Conversation.find(raw["id"])
    sim.throttle(times=1, retry_after=0, path="/conversations/messages/send")
    conv.reply(text="once")                      # a 429 was not processed: resent
    sent = [r for r in sim.requests if r.path == "/conversations/messages/send"]
    assert [r.status for r in sent] == [429, 200]
    sim.fail(500, times=1, path="/conversations/messages/send")
    with pytest.raises(errors.ServerError):
        conv.reply(text="maybe")                 # a 500 may have been applied: not resent
    sent = [r for r in sim.requests if r.path == "/conversations/messages/send"]
    assert [r.status for r in sent] == [429, 200, 500]
    assert [m["body"] for m in sim.state.messages[raw["id"]]].count("once") == 1


def test_rate_limit_headers_are_parsed_and_429_carries_retry_after(sim):
    api = sendbee.connect(base_url=sim.base_url, retry=NO_RETRY, **sim.credentials)
    sim.rate_limit(3, window=60)
    for _ in range(3):
        api.Tag.all().first()
    assert api.rate_limit.limit == 3 and api.rate_limit.remaining == 0
    assert api.rate_limit.reset_at >= time.time()
    with pytest.raises(errors.RateLimitExceeded) as exc:
        api.Tag.all().first()
    assert 0 < exc.value.retry_after <= 60
    assert exc.value.code == "rate_limit_exceeded"


def test_pacing_keeps_under_the_limit_without_429(sim):
    api = sendbee.connect(base_url=sim.base_url, retry=NO_RETRY, **sim.credentials)
    api.http.pace = True
    sim.rate_limit(5, window=1)
    for _ in range(8):          # one wait: for the window to reset after 4 requests
        api.Tag.all().first()
    assert [r.status for r in sim.requests] == [200] * 8


def test_the_default_limit_is_60_a_minute(api, sim):
    api.Tag.all().first()
    assert api.rate_limit.limit == 60 and api.rate_limit.remaining == 59


# -- secrets, accounts --------------------------------------------------------------------------
def test_secrets_never_in_logs_reprs_or_errors(sim, caplog):
    key, secret = sim.credentials["api_key"], sim.credentials["api_secret"]
    api = sendbee.connect(base_url=sim.base_url, retry=NO_RETRY, **sim.credentials)
    with caplog.at_level(logging.DEBUG):
        api.Contact.all().first()
        token = api.last_response.request.headers["X-Auth-Token"]
        sim.fail(500)
        with pytest.raises(errors.ServerError) as exc:
            api.Tag.all().first()
    texts = [caplog.text, repr(api), repr(api.http), str(exc.value), repr(exc.value),
             repr(api.Contact.all().first()), str(exc.value.headers)]
    decoded = base64.b64decode(token).decode()
    for text in texts:
        for secret_text in (key, secret, token, decoded.split(".")[1]):
            assert secret_text not in text
    assert "sendbee" in caplog.text           # there was logging to look at


def test_class_level_settings_and_two_accounts(sim, monkeypatch):
    monkeypatch.setattr(sendbee.Sendbee, "api_key", sim.credentials["api_key"])
    monkeypatch.setattr(sendbee.Sendbee, "api_secret", sim.credentials["api_secret"])
    monkeypatch.setattr(sendbee.Sendbee, "base_url", sim.base_url)
    assert sendbee.Tag.all().first().name == "vip"
    with serve("sendbee", seed=7, contacts=5, conversations=0) as other:
        api = sendbee.connect(base_url=other.base_url, **other.credentials)
        contact = api.Contact.all().first()
        assert contact.id in other.state.contacts and contact.id not in sim.state.contacts
        contact.name = "Moved"
        contact.save()                           # saved to the account that loaded it
        assert other.state.contacts[contact.id]["name"] == "Moved"
        api.close()


def test_updates_are_resent_after_a_5xx_note_appends_are_not(api, sim):
    contact = api.Contact.all().first()
    sim.clear_requests()
    sim.fail(500, times=1, method="PUT", path="/contacts")
    contact.name = "Once more"
    contact.save()                               # idempotent: resent
    assert [r.status for r in sim.requests] == [500, 200]
    sim.fail(500, times=1, method="PUT", path="/contacts")
    with pytest.raises(errors.ServerError):
        contact.add_note("only once")            # appends: a resend could duplicate it
    assert [r.status for r in sim.requests] == [500, 200, 500]

"""The official v3.6 payloads (tests/data/livechat) mapped onto the canonical model."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from chatmodels import livechat
from chatmodels.errors import FieldError, ValidationError

DATA = Path(__file__).parent / "data" / "livechat"
UTC = dt.timezone.utc
CUSTOMER = "b7eff798-f8df-4364-8059-649c35c9ed0c"


def payload(name: str):
    return json.loads((DATA / name).read_text())


def event(name: str, **users: str) -> livechat.Message:
    return livechat.Message.from_event(payload(name), chat_id="PJ0MRSHTDG",
                                       thread_id="K600PKZON8", users=users or None)


def test_message_event_is_a_comment_keeping_its_type():
    msg = event("message.json", **{CUSTOMER: "customer"})
    assert (msg.type, msg.kind, msg.body, msg.author_type, msg.author_id) == (
        "message", "comment", "hello there", "contact", CUSTOMER)
    assert msg.conversation_id == "PJ0MRSHTDG" and msg.thread_id == "K600PKZON8"
    assert msg.created_at == dt.datetime(2017, 10, 12, 15, 19, 21, 10200, tzinfo=UTC)
    assert msg.extra["postback"]["id"] == "action_call"
    assert msg.properties == {"property_namespace": {"property_name": "property_value"}}


def test_other_event_types():
    sysmsg = event("systemMessage.json")
    assert (sysmsg.kind, sysmsg.author_type, sysmsg.body) == ("event", "system", "Hello there!")
    assert sysmsg.extra["system_message_type"] == "routing.assigned"
    file = event("file.json")
    assert file.kind == "comment" and file.body is None
    assert file.attachments == [{"url": "https://example.com/image25.png", "name": "image25.png",
                                 "content_type": "image/png", "size": 123444}]
    rich = event("richMessage.json")
    assert rich.body == ("Lorem ipsum dolor.\n"
                         "Lorem ipsum dolor sit amet, consectetur adipiscing elit.")
    form = event("filledForm.json")
    assert form.type == "filled_form" and form.body.splitlines() == [
        "Your name: Thomas Anderson", "Your email: t.anderson@example.com",
        "Chat purpose: Support", "Company industry: automotive, it",
        "Choose department: Marketing"]
    custom = event("custom.json")
    assert custom.kind == "event" and custom.extra["content"] == {"custom": {"nested": "json"}}


def test_chat_and_chat_summary():
    chat = livechat.Conversation.from_wire(payload("chat.json"))
    assert chat.id == "PJ0MRSHTDG" and chat.state == "closed"
    summary = livechat.Conversation.from_wire(payload("chatSummary.json"))
    assert summary.thread_id == "QA37PVJ75B" and summary.state == "closed"
    assert summary.created_at == dt.datetime(2020, 5, 12, 11, 42, 47, 383000, tzinfo=UTC)
    assert summary.updated_at == dt.datetime(2020, 5, 12, 12, 31, 46, 563000, tzinfo=UTC)
    assert [c.id for c in summary.contacts] == [CUSTOMER]
    assert summary.contacts[0].is_partial and summary.contacts[0].name == "Thomas Anderson"
    assert summary.assignee_id == "smith@example.com" and summary.team_id == 0
    assert summary.extra["properites"]  # the official example's typo is kept, not lost


def test_thread_payload():
    thread = livechat.Thread.from_wire({**payload("thread.json"), "_chat_id": "PJ0MRSHTDG"})
    assert thread.chat_id == "PJ0MRSHTDG" and thread.tags == ["sales"] and thread.active
    assert [m.body for m in thread.messages] == ["Hello there", "Thank you"]
    assert thread.restricted_access.startswith("You can't access threads")


def test_customer_payload():
    cust = livechat.Contact.from_wire(payload("customer.json"))
    assert (cust.name, cust.email, cust.phone, cust.avatar_url) == (
        "Thomas Anderson", "t.anderson@example.com", "+18008529001",
        "https://example.com/avatars/1.png")
    assert cust.custom_attributes == {"custom_key": "custom_value",
                                      "another_custom_key": "another_custom_value"}
    assert cust.location["city"] == "Wroclaw"
    assert cust.last_seen_at == dt.datetime(2017, 10, 12, 15, 19, 21, 10200, tzinfo=UTC)
    cust.custom_attributes = {"plan": "pro"}
    assert cust.changes() == {"session_fields": [{"plan": "pro"}]}
    with pytest.raises(FieldError):
        cust.statistics = {}
    cust.email = "not-an-email"
    with pytest.raises(ValidationError) as err:
        cust._wire_changes(cust.changes())
    assert err.value.field == "email"


def test_configuration_payloads():
    agents = [livechat.Agent.from_wire(a) for a in payload("listAgents.json")]
    assert [(a.id, a.email, a.name, a.role, a.away, a.avatar_url) for a in agents] == [
        ("smith@example.com", "smith@example.com", "Smith", "owner", True,
         "cdn.livechatinc.com/avatars/1.png"),
        ("jones@example.com", "jones@example.com", "Jones", "viceowner", False,
         "cdn.livechatinc.com/avatars/2.png")]
    one = livechat.Agent.from_wire(payload("getAgent.json"))
    assert one.avatar_url == "https://domain.com/avatar.image.jpg" and not one.away
    group = livechat.Team.from_wire(payload("getGroup.json"))
    assert group.id == 19 and group.agent_ids == ["agent1@example.com", "agent2@example.com",
                                                  "agent3@example.com"]
    assert [g.name for g in map(livechat.Team.from_wire, payload("listGroups.json"))] == [
        "General", "Sport shoes"]
    tags = [livechat.Tag.from_wire(t) for t in payload("listTags.json")]
    assert tags[0].id == tags[0].name == "docs_feedback" and tags[0].group_ids == [0, 42]
    prop = livechat.Property.from_wire({"name": "string_property",
                                        **payload("listProperties.json")["string_property"]})
    assert (prop.id, prop.data_type, prop.model, prop.custom) == (
        "string_property", "string", ["chat", "thread"], True)

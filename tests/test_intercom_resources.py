"""Conversations, admins, teams, tags, companies, segments, data attributes, messages."""

from __future__ import annotations

import datetime as dt

import pytest

from chatmodels import errors, intercom


def test_conversation_parts_and_lazy_contacts(api, sim):
    conv = api.Conversation.all().first()
    sim.clear_requests()
    full = api.Conversation.find(id=conv.id)
    assert full.messages and isinstance(full.messages[0], intercom.Message)
    assert full.messages[0].kind == "comment"
    contact = full.contacts[0]
    assert contact.is_partial and contact.id
    sim.clear_requests()
    contact.load()  # one GET, filled in place
    assert [(r.method, r.path) for r in sim.requests] == [("GET", f"/contacts/{contact.id}")]
    assert not contact.is_partial and contact.email
    assert full.contacts[0] is contact


def test_reading_a_missing_field_of_a_partial_loads_it(api, sim):
    full = api.Conversation.find(id=api.Conversation.all().first().id)
    contact = full.contacts[0]
    sim.clear_requests()
    assert contact.created_at is not None
    assert len(sim.requests) == 1


def test_list_items_load_messages_on_demand(api, sim):
    conv = api.Conversation.all().page_size(5).first()
    sim.clear_requests()
    assert conv.messages  # not in list responses: one GET /conversations/{id}
    assert [r.path for r in sim.requests] == [f"/conversations/{conv.id}"]


def test_create_reply_close_open_snooze_assign(api, sim):
    contact = api.Contact.create(email="talker@example.com", name="Talker")
    admin = api.Admin.all().first()
    conv = api.Conversation.create(contact=contact, body="I need help")
    assert conv.id and conv.contacts[0] == contact
    conv.reply(body="Hi!", author=admin)
    reply = [r for r in sim.requests if r.path.endswith("/reply")][-1]
    assert reply.json == {"message_type": "comment", "body": "Hi!", "type": "admin",
                          "admin_id": admin.id}
    conv.reply(body="Thanks", author=contact)
    assert [r for r in sim.requests if r.path.endswith("/reply")][-1].json["type"] == "user"
    conv.note("internal", admin=admin)
    bodies = [m.body for m in conv.messages]
    assert any("Hi!" in (b or "") for b in bodies) and any("Thanks" in (b or "") for b in bodies)
    assert conv.messages[-1].kind == "note"

    conv.close(admin)
    assert conv.state == "closed"
    conv.open(admin)
    assert conv.state == "open"
    conv.snooze(dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=2), admin)
    assert conv.state == "snoozed"
    other = api.Admin.all().to_list()[-1]
    conv.assign(other, admin=admin)
    assert str(conv.assignee_id) == str(other.id)
    team = api.Team.all().first()
    conv.assign(team, admin=admin)
    assert str(conv.team_id) == str(team.id)


def test_conversation_tags_and_search(api, sim):
    contact = api.Contact.create(email="tagged@example.com")
    conv = api.Conversation.create(contact=contact, body="hello")
    tag = api.Tag.create(name="refund")
    admin = api.Admin.me()
    conv.add_tag(tag, admin=admin)
    assert tag in conv.tags
    found = api.Conversation.search(tag_ids__in=[tag.id]).to_list()
    assert [c.id for c in found] == [conv.id]
    assert conv in contact.conversations().to_list()
    conv.remove_tag(tag, admin=admin)
    assert tag not in conv.tags


def test_conversation_update_and_delete(api):
    conv = api.Conversation.all().first()
    conv.read = True
    conv.save()
    conv.reload()
    assert conv.read is True
    conv.delete()
    with pytest.raises(errors.ResourceNotFound):
        api.Conversation.find(id=conv.id)


def test_conversation_pagination_exact(api, sim):
    total = len(sim.state.conversations)
    sim.clear_requests()
    seen = [c.id for c in api.Conversation.all().page_size(40)]
    assert len(seen) == len(set(seen)) == total
    assert len(sim.requests) == -(-total // 40)


def test_admins_me_away_and_alias(api, sim):
    me = api.Admin.me()
    assert api.Agent is api.Admin
    assert me in api.Admin.all().to_list()
    sim.clear_requests()
    assert api.Admin.me() is me  # cached per account
    assert sim.requests == []
    me.set_away(True, reassign=False)
    assert me.away is True
    assert api.Admin.find(id=me.id).away is True
    assert api.Admin.find_by_email(me.email.upper()) == me


def test_teams_segments_companies(api):
    team = api.Team.all().first()
    assert api.Team.find(id=team.id).name == team.name
    seg = api.Segment.all().first()
    assert api.Segment.find(id=seg.id) == seg
    co = api.Company.create(company_id="c-42", name="FortyTwo", custom_attributes={})
    co.name = "Forty Two"
    co.save()
    assert api.Company.find(company_id="c-42").name == "Forty Two"
    assert api.Company.find(id=co.id) == co
    assert co in api.Company.all().to_list()
    contact = api.Contact.create(email="worker@example.com")
    contact.attach_company(co)
    assert contact in co.contacts().to_list()
    co.delete()
    with pytest.raises(errors.ResourceNotFound):
        api.Company.find(id=co.id)


def test_tag_rename_and_delete(api):
    tag = api.Tag.create(name="old-name")
    tag.name = "new-name"
    tag.save()
    assert api.Tag.find(id=tag.id).name == "new-name"
    assert api.Tag.find_by_name("NEW-NAME") == tag
    tag.delete()
    with pytest.raises(errors.ResourceNotFound):
        api.Tag.find(id=tag.id)


def test_data_attributes(api, sim):
    assert api.ContactField is api.DataAttribute
    attr = api.ContactField.create(name="support_tier", model="contact", data_type="string",
                                   description="Support tier")
    assert attr.custom is True and attr.id is not None
    attr.description = "The support tier"
    attr.save()
    assert sim.requests[-1].json == {"description": "The support tier"}
    assert api.ContactField.find_by_name("support_tier").description == "The support tier"
    with pytest.raises(errors.ValidationError):
        api.ContactField.create(name="bad", model="contact", data_type="money")
    c = api.Contact.create(email="tiered@example.com", custom_attributes={"support_tier": "gold"})
    assert c.custom_attributes["support_tier"] == "gold"


def test_unknown_custom_attribute_is_rejected_by_the_api(api):
    with pytest.raises(errors.BadRequestError) as info:
        api.Contact.create(email="x1@example.com", custom_attributes={"no_such_attr": 1})
    assert info.value.status in (400, 422) and info.value.code


def test_outbound_message(api):
    contact = api.Contact.create(email="out@example.com")
    msg = api.Message.create(body="Welcome!", to=contact, message_type="in_app")
    assert msg.id and msg.kind == "comment"
    with pytest.raises(errors.ValidationError):
        api.Message.create(body="x", to=contact, message_type="email")


def test_counts(api, sim):
    counts = api.Count.all()
    assert counts["contacts"] == len(sim.state.contacts)
    assert counts["conversations"] == len(sim.state.conversations)
    assert counts["admins"] == len(api.Admin.all().to_list())


def test_conversation_attributes_are_listed_from_their_own_route(api, sim):
    sim.clear_requests()
    attrs = api.DataAttribute.all(model="conversation").to_list()
    (req,) = sim.requests
    assert (req.method, req.path, req.query) == ("GET", "/conversations/attributes", {})
    assert [(a.name, a.model, a.data_type, a.options) for a in attrs] == [
        ("Issue type", "conversation", "options", ["Billing", "Bug", "Question"]),
        ("Order number", "conversation", "string", None)]
    assert api.DataAttribute.find_by_name("Order number", model="conversation").id == attrs[1].id
    # 2.16 refuses model=conversation on /data_attributes (422); the client never sends it
    assert all(r.path != "/data_attributes" for r in sim.requests)
    with pytest.raises(errors.ValidationError):
        api.DataAttribute.create(name="Urgency", model="conversation", data_type="string")
    attrs[1].description = "changed"
    with pytest.raises(errors.ValidationError):
        attrs[1].save()
    with pytest.raises(errors.ValidationError) as info:
        api.DataAttribute.all(model="ticket").to_list()
    assert info.value.field == "model"
    assert len(sim.requests) == 2  # the list and the find_by_name above, nothing else


def test_unassigned_is_0_on_the_wire_and_none_in_the_model(api, sim):
    contact = api.Contact.create(email="waiting@example.com")
    conv = api.Conversation.create(contact=contact, body="Anyone?")
    raw = sim.state.conversations[conv.id]
    assert (raw["admin_assignee_id"], raw["team_assignee_id"]) == (0, 0)  # as 2.16 sends it
    assert (conv.assignee_id, conv.team_id) == (None, None)
    admin = api.Admin.all().first()
    conv.assign(admin, admin=admin)
    assert conv.assignee_id == admin.id  # a string id, like every canonical id
    sim.clear_requests()
    conv.assign(None, admin=admin)
    (req,) = sim.requests
    assert req.json == {"message_type": "assignment", "type": "admin", "admin_id": admin.id,
                        "assignee_id": "0"}
    assert sim.state.conversations[conv.id]["admin_assignee_id"] == 0
    assert conv.assignee_id is None
    assert api.Conversation.find(conv.id).assignee_id is None
    unassigned = api.Conversation.search(admin_assignee_id=0).to_list()
    assert conv in unassigned and all(c.assignee_id is None for c in unassigned)

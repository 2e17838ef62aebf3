"""Merging a lead into a user (``POST /contacts/merge``, Intercom 2.16) over loopback."""

from __future__ import annotations

import pytest

from chatmodels import errors


def merge_requests(sim):
    return [r for r in sim.requests if (r.method, r.path) == ("POST", "/contacts/merge")]


def test_merge_lead_into_user_moves_its_data(api, sim):
    user = api.Contact.create(email="dup@example.com", name="Dana User",
                              custom_attributes={"plan": "pro"})
    lead = api.Contact.create(role="lead", email="DUP@example.com", name="Anonymous lead",
                              phone="+353 1 555 0100", external_id="lead-7",
                              custom_attributes={"plan": "free", "seats": 3})
    lead.add_tag("from-lead")
    lead.add_note("met at the booth")
    conv = api.Conversation.create(contact=lead, body="Hello from a lead")
    lead.track("visited-pricing")
    sim.clear_requests()

    merged = lead.merge_into(user)

    (req,) = merge_requests(sim)
    assert req.json == {"from": lead.id, "into": user.id}
    assert merged is user and user.role == "user"
    # the user's own values win; the lead fills what the user lacks
    assert (user.name, user.email, user.phone) == ("Dana User", "dup@example.com",
                                                    "+353 1 555 0100")
    assert user.custom_attributes == {"plan": "pro", "seats": 3}
    state = sim.state
    assert lead.id not in state.contacts and state.merged[lead.id] == user.id
    assert [t.name for t in user.list_tags()] == ["from-lead"]
    assert [n.body for n in user.list_notes()] == ["<p>met at the booth</p>"]
    assert state.conversation_contacts[conv.id] == [user.id]
    assert [e.name for e in api.Event.all(contact=user)] == ["visited-pricing"]
    # the lead is gone: 410 with a Link to the user on GET, absent from lists and searches
    with pytest.raises(errors.APIError) as info:
        api.Contact.find(id=lead.id)
    assert (info.value.status, info.value.code) == (410, "contact_merged")
    assert info.value.headers["Link"] == f'</contacts/{user.id}>; rel="canonical"'
    with pytest.raises(errors.APIError) as info:
        api.Contact.find(external_id="lead-7")
    assert (info.value.status, info.value.code) == (410, "contact_merged")
    assert user.external_id is None  # the lead's external_id does not move
    assert api.Contact.search(email="dup@example.com").to_list() == [user]
    assert lead.id not in {c.id for c in api.Contact.all()}


def test_merge_needs_duplicates_unless_skipped(api, sim):
    user = api.Contact.create(email="someone@example.com")
    lead = api.Contact.create(role="lead", email="other@example.com")
    with pytest.raises(errors.BadRequestError) as info:
        lead.merge_into(user)
    err = info.value
    assert (err.status, err.code) == (400, "invalid_merge")
    assert "skip_duplicate_validation=true" in str(err)
    assert lead.id in sim.state.contacts  # nothing changed

    sim.clear_requests()
    merged = lead.merge_into(user.id, skip_duplicate_validation=True)
    (req,) = merge_requests(sim)
    assert req.json == {"from": lead.id, "into": user.id, "skip_duplicate_validation": True}
    assert merged == user and merged is not user and merged.email == "someone@example.com"
    assert lead.id not in sim.state.contacts


def test_merge_only_a_lead_into_another_user(api, sim):
    user = api.Contact.create(email="u1@example.com", phone="+1 555 0101")
    other_user = api.Contact.create(email="u2@example.com", phone="+1 555 0101")
    lead = api.Contact.create(role="lead", phone="+1 555 0101")
    for source, target in ((user, other_user), (user, lead), (lead, lead)):
        with pytest.raises(errors.BadRequestError) as info:
            source.merge_into(target, skip_duplicate_validation=True)
        assert (info.value.status, info.value.code) == (400, "invalid_merge")
    assert {user.id, other_user.id, lead.id} <= set(sim.state.contacts)
    with pytest.raises(errors.ResourceNotFound):
        lead.merge_into("000000000000000000000000")
    with pytest.raises(errors.ValidationError):
        lead.merge_into(api.Contact(email="unsaved@example.com"))  # no id: nothing sent
    # a matching phone makes them duplicates
    assert lead.merge_into(user) is user
    assert lead.id not in sim.state.contacts

"""Brevo contacts side over the simulator: contacts, attributes, lists as tags, folders,
segments, with the exact requests sent."""

from __future__ import annotations

import datetime as dt

import pytest

from chatmodels import brevo, errors
from chatmodels.http import RetryPolicy
from chatmodels.testing import serve

FAST = RetryPolicy(max_retries=2, backoff_factor=0.01, max_backoff=0.05, max_wait=5)


@pytest.fixture(scope="module")
def served():
    with serve("brevo", seed=11, contacts=320, conversations=0) as sim:
        yield sim


@pytest.fixture
def sim(served):
    served.reset()
    yield served
    served.reset()


@pytest.fixture
def api(sim):
    client = brevo.connect(base_url=sim.base_url, retry=FAST, **sim.credentials)
    yield client
    client.close()


def last(sim):
    return sim.requests[-1]


# -- contacts -------------------------------------------------------------------------------------
def test_contact_maps_onto_canonical_fields(api, sim):
    raw = sim.state.contacts[7]
    contact = api.Contact.find(7)
    assert last(sim).path == "/v3/contacts/7"
    assert last(sim).query == {"identifierType": "contact_id"}
    attrs = raw["attributes"]
    assert contact.email == raw["email"]
    assert contact.name == f"{attrs['FIRSTNAME']} {attrs['LASTNAME']}"
    assert contact.phone == attrs.get("SMS")
    assert contact.external_id == attrs.get("EXT_ID")
    assert contact.custom_attributes == attrs
    assert contact.created_at == dt.datetime(2024, 1, 1, 0, 6, tzinfo=dt.timezone.utc)
    assert [t.id for t in contact.tags] == raw["listIds"]
    assert contact.unsubscribed_from_emails is raw["emailBlacklisted"]


def test_to_dict_includes_derived_canonical_fields(api, sim):
    contact = api.Contact.find(7)
    data = contact.to_dict()
    assert data["name"] == contact.name and data["phone"] == contact.phone
    assert data["created_at"] == contact.created_at
    assert data["tags"] == [{"id": i} for i in contact.list_ids]
    assert data["email"] == contact.email


@pytest.mark.parametrize("lookup,kind", [("email", "email_id"), ("external_id", "ext_id"),
                                         ("phone", "phone_id")])
def test_find_by_each_identifier_type(api, sim, lookup, kind):
    record = next(c for c in sim.state.contacts.values()
                  if c["attributes"].get("EXT_ID") and c["attributes"].get("SMS"))
    value = {"email": record["email"], "external_id": record["attributes"]["EXT_ID"],
             "phone": record["attributes"]["SMS"]}[lookup]
    found = api.Contact.find(**{lookup: value})
    assert found.id == record["id"]
    assert last(sim).query == {"identifierType": kind}
    assert api.Contact.lookups() == ("id", "email", "external_id", "phone")


def test_find_with_an_unknown_lookup_is_refused_locally(api, sim):
    with pytest.raises(errors.ValidationError, match="no lookup 'nickname'"):
        api.Contact.find(nickname="x")
    assert sim.requests == []


def test_create_sends_the_contact_and_reads_server_fields_lazily(api, sim):
    ann = api.Contact.create(email="ann@example.com", external_id="ext-ann",
                             custom_attributes={"FIRSTNAME": "Ann", "PLAN": "pro"})
    assert last(sim).json == {"email": "ann@example.com", "ext_id": "ext-ann",
                              "attributes": {"FIRSTNAME": "Ann", "PLAN": "pro"}}
    assert last(sim).status == 201
    assert ann.id == 321 and not ann.is_dirty
    created = ann.created_at  # not in the create answer: one GET
    assert last(sim).method == "GET" and last(sim).path == "/v3/contacts/321"
    assert created is not None
    assert api.Contact.find(external_id="ext-ann").id == 321


def test_create_with_canonical_name_and_phone(api, sim):
    lee = api.Contact.create(email="lee@example.com", name="Ann Lee", phone="+33612345678")
    assert last(sim).json == {"email": "lee@example.com",
                              "attributes": {"FIRSTNAME": "Ann", "LASTNAME": "Lee",
                                             "SMS": "+33612345678"}}
    assert api.Contact.find(phone="+33612345678") == lee


def test_list_ids_filter_is_sent_as_csv(api, sim):
    tags = [api.Tag.find(1), 2]
    found = api.Contact.all(list_ids=tags).to_list()
    assert last(sim).query["listIds"] == "1,2"
    expected = [c["id"] for c in sim.state.contacts.values() if {1, 2} & set(c["listIds"])]
    assert sorted(c.id for c in found) == sorted(expected) and expected


def test_create_needs_an_identifier_locally(api, sim):
    with pytest.raises(errors.ValidationError, match="email, an SMS attribute or an ext_id"):
        api.Contact.create(custom_attributes={"FIRSTNAME": "Nobody"})
    assert sim.requests == []


def test_save_sends_only_the_changed_attributes(api, sim):
    contact = api.Contact.find(12)
    contact.custom_attributes["PLAN"] = "enterprise"
    contact.name = "Zoe Quinn"
    contact.save()
    sent = last(sim)
    assert (sent.method, sent.path, sent.query, sent.status) == (
        "PUT", "/v3/contacts/12", {"identifierType": "contact_id"}, 204)
    assert sent.json == {"attributes": {"PLAN": "enterprise", "FIRSTNAME": "Zoe",
                                        "LASTNAME": "Quinn"}}
    assert not contact.is_dirty
    contact.save()  # nothing changed: no request
    assert last(sim) is sent
    again = api.Contact.find(12)
    assert (again.name, again.custom_attributes["PLAN"]) == ("Zoe Quinn", "enterprise")


def test_email_and_flags_changes(api, sim):
    contact = api.Contact.find(13)
    contact.email = "new.address@example.com"
    contact.unsubscribed_from_emails = True
    contact.external_id = "crm-x"
    contact.save()
    assert last(sim).json == {"attributes": {"EMAIL": "new.address@example.com"},
                              "emailBlacklisted": True, "ext_id": "crm-x"}
    found = api.Contact.find(email="new.address@example.com")
    assert (found.id, found.unsubscribed_from_emails, found.external_id) == (13, True, "crm-x")


def test_removed_attribute_is_sent_as_null_and_cleared(api, sim):
    contact = api.Contact.find(14)
    del contact.custom_attributes["PLAN"]
    contact.save()
    assert last(sim).json == {"attributes": {"PLAN": None}}
    assert "PLAN" not in api.Contact.find(14).custom_attributes


def test_delete(api, sim):
    contact = api.Contact.find(15)
    contact.delete()
    assert (last(sim).method, last(sim).query, last(sim).status) == (
        "DELETE", {"identifierType": "contact_id"}, 204)
    with pytest.raises(errors.ResourceNotFound):
        api.Contact.find(15)


def test_modified_since_filters_and_is_sent_in_brevo_format(api, sim):
    since = dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=5)
    assert api.Contact.all(modified_since=since).to_list() == []
    assert last(sim).query["modifiedSince"] == since.strftime("%Y-%m-%dT%H:%M:%S.") + \
        f"{since.microsecond // 1000:03d}Z"
    touched = api.Contact.find(20)
    touched.custom_attributes["SCORE"] = 1.5
    touched.save()
    assert [c.id for c in api.Contact.all(modified_since=since)] == [20]


def test_save_all_batches_diffs(api, sim):
    contacts = api.Contact.all().page_size(150).limit(150).to_list()
    for i, contact in enumerate(contacts):
        if i % 2 == 0:
            contact.custom_attributes["SCORE"] = float(i)
    assert api.Contact.save_all(contacts) == 75
    batches = [r for r in sim.requests if r.path == "/v3/contacts/batch"]
    assert len(batches) == 1 and batches[0].status == 204
    assert batches[0].json["contacts"][0] == {"id": contacts[0].id,
                                              "attributes": {"SCORE": 0.0}}
    assert len(batches[0].json["contacts"]) == 75
    assert not any(c.is_dirty for c in contacts)
    assert api.Contact.find(contacts[2].id).custom_attributes["SCORE"] == 2.0
    more = api.Contact.all().page_size(250).limit(250).to_list()
    for contact in more:
        contact.custom_attributes["PLAN"] = "trial"
    api.Contact.save_all(more)
    sizes = [len(r.json["contacts"]) for r in sim.requests if r.path == "/v3/contacts/batch"]
    assert sizes[1:] == [100, 100, 50]


# -- attributes -----------------------------------------------------------------------------------
def test_attributes_are_contact_fields(api, sim):
    fields = {f.name: f for f in api.ContactField.all()}
    assert last(sim).query == {}
    assert fields["PLAN"].data_type == "string" and fields["PLAN"].custom
    assert fields["SCORE"].data_type == "float"
    assert fields["OPT_IN"].data_type == "boolean"
    assert fields["SIGNUP_DATE"].data_type == "date"
    assert not fields["FIRSTNAME"].custom
    assert (fields["GENDER"].data_type, fields["GENDER"].options) == (
        "list", ["Men", "Women", "Other"])
    assert fields["GENDER"].id == "category/GENDER"


def test_attribute_create_update_delete(api, sim):
    field = api.ContactField.create(name="TIER", data_type="list",
                                    multi_category_options=["gold", "silver"])
    sent = last(sim)
    assert (sent.method, sent.path, sent.status) == (
        "POST", "/v3/contacts/attributes/normal/TIER", 201)
    assert sent.json == {"type": "multiple-choice", "multiCategoryOptions": ["gold", "silver"]}
    field.multi_category_options = ["gold", "silver", "bronze"]
    field.save()
    assert last(sim).json == {"multiCategoryOptions": ["gold", "silver", "bronze"]}
    assert (last(sim).method, last(sim).status) == ("PUT", 204)
    with pytest.raises(errors.ValidationError, match="only enumeration"):
        field.type = "text"
        field.save()
    field.delete()
    assert (last(sim).method, last(sim).path) == ("DELETE", "/v3/contacts/attributes/normal/TIER")
    assert "TIER" not in {f.name for f in api.ContactField.all()}


# -- lists (tags), folders, segments -------------------------------------------------------------
def test_tag_create_uses_the_first_folder(api, sim):
    vip = api.Tag.create(name="vip")
    posts = [r for r in sim.requests if r.method == "POST"]
    assert posts[-1].json == {"name": "vip", "folderId": 2}
    assert sim.requests[0].path == "/v3/contacts/folders"
    assert vip.id == 4 and vip.total_subscribers == 0
    api.Tag.create(name="second")  # the default folder is cached per account
    assert len([r for r in sim.requests if r.path == "/v3/contacts/folders"]) == 1


def test_tag_create_makes_a_folder_when_there_is_none(api, sim):
    for folder in api.Folder.all().to_list():
        folder.delete()
    tag = api.Tag.create(name="first")
    assert api.Folder.find(tag.folder_id).name == "chatmodels"


def test_tagging_is_batched_by_150(api, sim):
    tag = api.Tag.create(name="big", folder_id=1)
    contacts = api.Contact.all().page_size(320).to_list()
    result = tag.tag(contacts=contacts)
    adds = [r for r in sim.requests if r.path.endswith("/contacts/add")]
    assert [len(r.json["ids"]) for r in adds] == [150, 150, 20]
    assert all(r.status == 201 for r in adds)
    assert sorted(result["success"]) == sorted(c.id for c in contacts)
    assert result["failure"] == []
    assert tag.contacts().count() == 320
    assert tag.total_subscribers == 320  # forgotten after tagging, reloaded
    assert tag.id in contacts[0].list_ids  # members forget their list ids too


def test_tag_by_email_and_untag(api, sim):
    tag = api.Tag.create(name="mixed", folder_id=1)
    first = api.Contact.find(1)
    result = tag.tag(contacts=[first.email, 2, "nobody@example.com"])
    assert result == {"success": [2, first.email], "failure": ["nobody@example.com"]}
    adds = [r.json for r in sim.requests if r.path.endswith("/contacts/add")]
    assert adds == [{"ids": [2]}, {"emails": [first.email, "nobody@example.com"]}]
    assert tag.untag(contacts=[first]) == {"success": [1], "failure": []}
    assert last(sim).json == {"ids": [1]}
    assert [c.id for c in tag.contacts()] == [2]
    with pytest.raises(errors.ValidationError):
        tag.tag(contacts=[object()])


def test_tag_contacts_pages_by_500_with_modified_since(api, sim):
    tag = api.Tag.find(1)
    members = tag.contacts().to_list()
    assert last(sim).path == "/v3/contacts/lists/1/contacts"
    assert last(sim).query == {"offset": "0", "limit": "500"}
    assert len(members) == sim.state.list_size(1)
    since = dt.datetime.now(dt.timezone.utc)
    assert tag.contacts(modified_since=since).to_list() == []


def test_tag_rename_and_delete(api, sim):
    tag = api.Tag.find(2)
    tag.name = "Renamed"
    tag.save()
    assert (last(sim).method, last(sim).json, last(sim).status) == (
        "PUT", {"name": "Renamed"}, 204)
    assert api.Tag.find(2).name == "Renamed"
    tag.delete()
    assert all(2 not in c["listIds"] for c in sim.state.contacts.values())
    with pytest.raises(errors.ResourceNotFound):
        api.Tag.find(2)


def test_folders_and_their_lists(api, sim):
    folders = api.Folder.all().to_list()
    assert [f.name for f in folders] == ["Customers", "Newsletters"]
    news = api.Folder.find(1)
    assert [t.name for t in news.lists()] == ["Product news", "Weekly digest"]
    assert last(sim).path == "/v3/contacts/folders/1/lists"
    made = api.Folder.create(name="Imports")
    assert last(sim).json == {"name": "Imports"} and made.id == 3
    made.name = "Imported"
    made.save()
    assert api.Folder.find(3).name == "Imported"


def test_segments_list_members(api, sim):
    segments = {s.name: s for s in api.Segment.all()}
    pro = segments["Pro and enterprise"]
    assert pro.category_name == "Plans"
    members = pro.contacts().to_list()
    assert last(sim).query["segmentId"] == str(pro.id)
    expected = [c["id"] for c in sim.state.contacts.values()
                if c["attributes"]["PLAN"] in ("pro", "enterprise")]
    assert sorted(m.id for m in members) == sorted(expected)

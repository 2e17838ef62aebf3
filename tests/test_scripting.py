"""Notebook and scripting conveniences of the object model: JSON export, displays, collection
repr/bool, field docs and signatures, get_or_create/find_by_name/first, modify, order_by,
pickling (docs/notebooks.md)."""

from __future__ import annotations

import inspect
import json
import pickle

import pytest
from IPython.lib.pretty import pretty

from chatmodels import crisp, intercom, registry
from chatmodels.errors import ValidationError
from chatmodels.resource import Creatable
from chatmodels.testing import serve

from .conftest import FAST_RETRY


def _count(sim, method=None, path=None):
    return sum(1 for r in sim.requests if (method is None or r.method == method)
               and (path is None or r.path.startswith(path)))


# -- JSON ----------------------------------------------------------------------------------------
def test_to_dict_json_is_json_safe_with_iso_datetimes(api):
    contact = api.Contact.all().first()
    out = contact.to_dict(json=True)
    assert json.loads(json.dumps(out)) == out
    assert out["created_at"] == contact.created_at.isoformat()
    assert out["created_at"].endswith("+00:00")
    assert json.loads(contact.to_json()) == out
    # the plain form keeps Python values
    assert contact.to_dict()["created_at"] == contact.created_at


def test_to_dict_gives_a_field_named_like_a_method(api):
    conv = api.Conversation.all().first()
    assert callable(conv.open)  # Conversation.open() reopens
    assert conv.to_dict()["open"] is conv.raw["open"]
    assert conv.to_dict(json=True)["open"] is conv.raw["open"]


def test_to_dict_json_gives_tags_with_their_names(api):
    conv = next(c for c in api.Conversation.all() if c.raw["tags"]["tags"])
    tags = conv.to_dict(json=True)["tags"]
    assert [(t["id"], t["name"]) for t in tags] == [(t["id"], t["name"])
                                                    for t in conv.raw["tags"]["tags"]]
    assert json.loads(json.dumps(tags)) == tags  # applied_at: ISO 8601


# -- collections: repr, bool, displays -----------------------------------------------------------
def test_collection_repr_shows_total_and_preview_with_one_request(api, sim):
    sim.requests.clear()
    text = repr(api.Contact.all())
    assert len(sim.requests) == 1
    assert sim.requests[0].query["per_page"] == "5"
    assert text.startswith("<Collection Contact.all(): 250 objects [<intercom.Contact id=")
    assert text.endswith(", ...]>")
    assert text.count("<intercom.Contact") == 5


def test_collection_repr_names_a_failed_preview(sim):
    api = intercom.connect(base_url=sim.base_url, access_token="wrong", retry=FAST_RETRY)
    assert repr(api.Contact.all()) == \
        "<Collection Contact.all() (preview failed: AuthenticationError)>"
    assert api.Contact.all()._repr_html_() == \
        "<p>Collection Contact.all(): preview failed (AuthenticationError)</p>"
    assert repr(api.Contact.search()) == \
        "<Collection Contact.search() (preview failed: TypeError)>"  # no criteria


def test_bool_of_a_collection_fetches_one_object_at_most(api, sim):
    sim.requests.clear()
    assert bool(api.Contact.all()) is True
    assert bool(api.Contact.search(email="nobody@nowhere.invalid")) is False
    assert len(sim.requests) == 2
    assert sim.requests[0].query["per_page"] == "1"
    assert sim.requests[1].json["pagination"]["per_page"] == 1
    assert not api.Contact.all().limit(0)
    assert len(sim.requests) == 2  # limit(0): nothing to ask


def test_collection_html_shows_first_page_and_total(api, sim):
    sim.requests.clear()
    html = api.Contact.all()._repr_html_()
    assert len(sim.requests) == 1
    assert "(first 5 of 250)" in html
    assert html.count("<tr>") == 6  # header + 5 rows
    first = api.Contact.all().first()
    assert f"<td style='text-align:left'>{first.email}</td>" in html
    empty = api.Contact.search(email="nobody@nowhere.invalid")._repr_html_()
    assert empty == "<p>Collection Contact.search() filters={&#x27;email&#x27;: " \
                    "&#x27;nobody@nowhere.invalid&#x27;}: empty</p>"


def test_model_html_and_pretty_escape_and_never_load(api, sim):
    contact = api.Contact.create(email="x@example.com", name="<b>Bob</b> & co")
    html = contact._repr_html_()
    assert "&lt;b&gt;Bob&lt;/b&gt; &amp; co" in html and "<b>Bob" not in html
    assert "<caption style='text-align:left'><b>intercom.Contact</b></caption>" in html
    text = pretty(contact)
    assert text.startswith("<intercom.Contact") and "name=<b>Bob</b> & co" in text
    sim.requests.clear()
    partial = api.Contact.ref(contact.id)
    assert "(partial)" in partial._repr_html_()
    assert pretty(partial) == f"<intercom.Contact id={contact.id}>"
    assert sim.requests == []


# -- field docs and signatures -------------------------------------------------------------------
def test_help_lists_every_field_with_type_and_access():
    doc = intercom.Contact.__doc__
    assert "- ``created_at`` (datetime (UTC), read-only)" in doc
    assert "- ``email`` (str, writable)" in doc
    assert "- ``avatar_url`` (any JSON value, writable; wire key 'avatar')" in doc
    assert "- ``tags`` (list[Tag], read-only)" in doc
    for name in intercom.Contact.field_names() - set(intercom.Contact.aliases):
        assert f"``{name}``" in doc
    crisp_doc = crisp.Contact.__doc__
    assert "- ``name`` (derived, writable; ``person.nickname``.)" in crisp_doc
    assert ("- ``custom_attributes`` (loaded on first read, one request, writable; "
            "alias 'data')") in crisp_doc


def test_create_and_constructor_signatures_name_the_writable_fields(api):
    sig = inspect.signature(intercom.Contact.create)
    assert "email" in sig.parameters and "created_at" not in sig.parameters
    assert all(p.kind is p.KEYWORD_ONLY and p.default is None for p in sig.parameters.values())
    assert inspect.signature(api.Contact.create) == sig
    assert list(inspect.signature(intercom.Contact).parameters) == list(sig.parameters)
    assert "data" in inspect.signature(crisp.Contact.create).parameters
    # a create() with parameters of its own keeps them
    assert list(inspect.signature(crisp.Event.create).parameters)[:2] == ["contact", "name"]


# -- get_or_create, find_by_name, first ----------------------------------------------------------
def test_find_by_name_returns_none_and_get_or_create(api, sim):
    assert api.Tag.find_by_name("no such tag") is None
    assert api.DataAttribute.find_by_name("no_such_attribute") is None
    tag, created = api.Tag.get_or_create(name="Notebook")
    assert created is True and tag.name == "Notebook"
    again, created = api.Tag.get_or_create(name="notebook")
    assert created is False and again == tag
    contact, created = api.Contact.get_or_create(email="new@example.com",
                                                 defaults={"name": "New"})
    assert created is True and contact.name == "New"
    same, created = api.Contact.get_or_create(email="new@example.com")
    assert (same, created) == (contact, False)
    with pytest.raises(ValidationError, match="cannot look up by 'phone'"):
        api.Contact.get_or_create(phone="123")


def test_first_is_none_on_an_empty_collection(api):
    assert api.Contact.search(email="nobody@nowhere.invalid").first() is None
    assert api.Contact.first().id == api.Contact.all().first().id


# -- modify ----------------------------------------------------------------------------------------
def test_modify_sends_one_update_without_fetching(api, sim):
    target = api.Contact.all().first()
    sim.requests.clear()
    updated = api.Contact.modify(target.id, name="Renamed", custom_attributes={"plan": "pro"})
    assert [(r.method, r.path) for r in sim.requests] == [("PUT", f"/contacts/{target.id}")]
    assert sim.requests[0].json == {"name": "Renamed", "custom_attributes": {"plan": "pro"}}
    assert updated.name == "Renamed" and not updated.is_partial
    assert api.Contact.find(target.id).name == "Renamed"
    with pytest.raises(ValidationError, match="needs fields"):
        api.Contact.modify(target.id)


def test_modify_refuses_an_update_that_would_need_the_object(sim):
    with serve("crisp", seed=3, contacts=3) as crisp_sim:
        client = crisp.connect(base_url=crisp_sim.base_url, retry=FAST_RETRY,
                               **crisp_sim.credentials)
        pid = client.Contact.all().first().id
        crisp_sim.requests.clear()
        with pytest.raises(ValidationError) as info:
            client.Contact.modify(pid, name="Zed")  # name lives in ``person``: needs it
        assert info.value.field == "person"
        assert crisp_sim.requests == []


# -- order_by ------------------------------------------------------------------------------------
def test_order_by_on_intercom_search_sends_sort(api, sim):
    sim.requests.clear()
    found = list(api.Contact.search(role="user").order_by("-created_at").limit(20))
    assert sim.requests[0].json["sort"] == {"field": "created_at", "order": "descending"}
    assert sim.requests[0].json["query"] == {"field": "role", "operator": "=", "value": "user"}
    stamps = [c.created_at for c in found]
    assert stamps == sorted(stamps, reverse=True) and len(stamps) == 20


def test_order_by_where_the_provider_cannot_sort_is_a_validation_error(api, sim):
    sim.requests.clear()
    with pytest.raises(ValidationError, match="cannot sort this query"):
        api.Contact.all().order_by("created_at")
    with pytest.raises(ValidationError, match="takes a field name"):
        api.Contact.search(role="user").order_by("-")
    assert sim.requests == []


def test_order_by_on_crisp_people_sends_sort_field():
    with serve("crisp", seed=3, contacts=12) as crisp_sim:
        client = crisp.connect(base_url=crisp_sim.base_url, retry=FAST_RETRY,
                               **crisp_sim.credentials)
        names = [c.name for c in client.Contact.all().order_by("name")]
        assert crisp_sim.requests[-1].query["sort_field"] == "nickname"
        assert crisp_sim.requests[-1].query["sort_order"] == "ascending"
        assert names == sorted(names) and len(names) == 12
        # derived fields (companies, tags) are JSON-safe too
        person = client.Contact.all().first()
        out = json.loads(person.to_json())
        assert out["created_at"] == person.created_at.isoformat()
        assert out["tags"] == [{"id": s, "name": s} for s in person.segments]


# -- pickling ------------------------------------------------------------------------------------
def test_pickled_models_come_back_unbound_and_can_be_bound(api, sim):
    conv = api.Conversation.all().first()
    tags = conv.tags  # built references travel too
    copy = pickle.loads(pickle.dumps(conv))
    assert type(copy) is intercom.Conversation and copy.account is None
    assert copy == conv and copy._values == conv._values and copy.tags == tags
    assert copy.dirty_fields == []
    copy.bind(api)
    assert copy.account is api
    sim.requests.clear()
    copy.reload()
    assert [(r.method, r.path) for r in sim.requests] == [("GET", f"/conversations/{conv.id}")]
    with pytest.raises(ValidationError, match="needs a intercom account"):
        copy.bind(object())


def test_pickling_keeps_unsaved_changes(api):
    contact = api.Contact.all().first()
    contact.name = "Changed"
    copy = pickle.loads(pickle.dumps(contact))
    assert copy.dirty_fields == ["name"] and copy.changes() == {"name": "Changed"}


# -- the same conveniences on every provider -------------------------------------------------------
@pytest.mark.parametrize("provider", registry.names())
def test_find_by_name_and_first_return_none_on_every_provider(provider):
    with serve(provider, seed=2) as psim:
        client = registry.get(provider).connect(base_url=psim.base_url, retry=FAST_RETRY,
                                                **psim.credentials)
        listable = [cls for name, cls in client.resources.items()
                    if callable(getattr(cls, "find_by_name", None))
                    and name in ("Tag", "Agent", "Team", "Segment", "ContactField")]
        assert listable, provider
        for cls in listable:
            assert cls.find_by_name("no such name at all") is None
            named = next((o for o in cls.all() if isinstance(o.peek("name"), str)), None)
            if named is not None:
                found = cls.find_by_name(named.name)
                assert (found.id, found.name) == (named.id, named.name)
        contact = client.model("Contact")
        assert contact.all().first() is not None
        assert contact.all().limit(0).first() is None
        if issubclass(contact, Creatable):  # the generic create(), hence get_or_create()
            with pytest.raises(ValidationError, match="needs a lookup"):
                contact.get_or_create()


def test_order_by_on_brevo_sorts_by_creation_only():
    with serve("brevo", seed=4, contacts=12) as bsim:
        client = registry.get("brevo").connect(base_url=bsim.base_url, retry=FAST_RETRY,
                                               **bsim.credentials)
        oldest = list(client.Contact.all().order_by("created_at"))
        assert bsim.requests[-1].query["sort"] == "asc"
        newest = list(client.Contact.all().order_by("-created_at"))
        assert bsim.requests[-1].query["sort"] == "desc"
        assert [c.id for c in oldest] == [c.id for c in reversed(newest)]
        assert len(oldest) == 12
        count = len(bsim.requests)
        with pytest.raises(ValidationError, match="sorts by created_at only"):
            client.Contact.all().order_by("email")
        assert len(bsim.requests) == count


def test_iterating_keeps_no_earlier_page_alive(api):
    """When the next page is fetched, the objects of the page the loop has left are gone
    (the memory of a long listing stays one page; benchmarks/ measures the peak)."""
    import gc
    import weakref

    seen: list[weakref.ref] = []
    alive_at_fetch: list[list[bool]] = []

    def on_answer(response, **kwargs):
        gc.collect()
        alive_at_fetch.append([r() is not None for r in seen])

    api.http._session().hooks["response"].append(on_answer)
    contacts = iter(api.Contact.all().page_size(5))  # (enumerate() would hold the last one)
    for number in range(7):
        contact = next(contacts)
        if number < 5:
            seen.append(weakref.ref(contact))
        del contact
    assert len(alive_at_fetch) == 2, "the simulator has fewer than 7 contacts"
    assert alive_at_fetch[1] == [False] * 5  # the first page was released before the second

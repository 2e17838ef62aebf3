"""Dirty tracking, aliases, equality and repr: pure model behaviour (no HTTP)."""

from __future__ import annotations

import datetime as dt

import pytest

from chatmodels import errors, intercom


def wire_contact(**overrides):
    data = {
        "type": "contact", "id": "c1", "email": "ann@example.com", "name": "Ann",
        "role": "user", "created_at": 1700000000,
        "custom_attributes": {"plan": "free", "seats": 2},
        "tags": {"type": "list", "data": [{"type": "tag", "id": "7", "url": "/tags/7"}]},
        "browser": "firefox",
    }
    data.update(overrides)
    return data


def test_loaded_object_is_clean_and_typed():
    c = intercom.Contact.from_wire(wire_contact())
    assert not c.is_dirty and c.dirty_fields == []
    assert c.created_at == dt.datetime(2023, 11, 14, 22, 13, 20, tzinfo=dt.timezone.utc)
    assert c.extra == {"type": "contact", "browser": "firefox"}  # unknown fields are kept
    assert c.browser == "firefox"  # and readable


def test_assignment_is_tracked():
    c = intercom.Contact.from_wire(wire_contact())
    c.name = "Ann B"
    assert c.is_dirty and c.dirty_fields == ["name"]
    assert c.changes() == {"name": "Ann B"}
    c.name = "Ann"  # back to the loaded value: clean again
    assert not c.is_dirty


def test_in_place_dict_mutation_is_tracked_as_key_diff():
    c = intercom.Contact.from_wire(wire_contact())
    c.custom_attributes["plan"] = "pro"
    assert c.dirty_fields == ["custom_attributes"]
    assert c.changes() == {"custom_attributes": {"plan": "pro"}}
    del c.custom_attributes["seats"]
    assert c.changes() == {"custom_attributes": {"plan": "pro", "seats": None}}


def test_in_place_list_mutation_is_tracked():
    c = intercom.Company.from_wire({"type": "company", "id": "1", "plan": ["a"]})
    c.plan.append("b")
    assert c.changes() == {"plan": ["a", "b"]}


def test_reading_without_mutation_is_not_dirty():
    c = intercom.Contact.from_wire(wire_contact())
    assert c.custom_attributes["plan"] == "free"
    assert not c.is_dirty


def test_unknown_field_assignment_raises():
    c = intercom.Contact.from_wire(wire_contact())
    with pytest.raises(AttributeError, match="emial"):
        c.emial = "x"


def test_read_only_field_assignment_raises():
    c = intercom.Contact.from_wire(wire_contact())
    with pytest.raises(AttributeError, match="read-only"):
        c.created_at = dt.datetime.now(dt.timezone.utc)


def test_local_validation_before_sending():
    c = intercom.Contact.from_wire(wire_contact())
    c.email = "not-an-email"
    with pytest.raises(errors.ValidationError) as info:
        c._wire_changes(c.changes())
    assert info.value.status is None and info.value.field == "email"
    c.role = "admin"
    with pytest.raises(errors.ValidationError):
        intercom.Contact(email="ok@example.com", role="admin")._wire_changes({"role": "admin"})


def test_embedded_references_are_partial_models():
    c = intercom.Contact.from_wire(wire_contact())
    (tag,) = c.tags
    assert isinstance(tag, intercom.Tag) and tag.id == "7" and tag.is_partial


def test_equality_and_hash_by_identity():
    a = intercom.Contact.from_wire(wire_contact())
    b = intercom.Contact.from_wire(wire_contact(name="Other"))
    assert a == b and hash(a) == hash(b)
    assert a != intercom.Contact.from_wire(wire_contact(id="c2"))
    assert intercom.Contact(email="x@example.com") != intercom.Contact(email="x@example.com")
    assert len({a, b}) == 1


def test_repr_and_to_dict():
    c = intercom.Contact.from_wire(wire_contact())
    c.name = "Zed"
    text = repr(c)
    assert text.startswith("<intercom.Contact id='c1'") and "dirty=['name']" in text
    d = c.to_dict()
    assert d["email"] == "ann@example.com" and d["tags"] == [{"id": "7"}]


def test_conversation_messages_start_with_the_source():
    conv = intercom.Conversation.from_wire({
        "type": "conversation", "id": "9", "created_at": 1700000000, "state": "open",
        "source": {"type": "conversation", "id": "s1", "body": "<p>Hi</p>",
                   "author": {"type": "user", "id": "c1"}},
        "conversation_parts": {"type": "conversation_part.list", "conversation_parts": [
            {"type": "conversation_part", "id": "p1", "part_type": "comment", "body": "Hello",
             "created_at": 1700000100, "author": {"type": "admin", "id": "a1"}},
            {"type": "conversation_part", "id": "p2", "part_type": "close",
             "created_at": 1700000200, "author": {"type": "admin", "id": "a1"}},
        ], "total_count": 2},
    })
    kinds = [(m.kind, m.author_type, m.author_id) for m in conv.messages]
    assert kinds == [("comment", "contact", "c1"), ("comment", "agent", "a1"),
                     ("close", "agent", "a1")]
    assert all(m.conversation_id == "9" for m in conv.messages)


def _state(obj):
    """What an object holds, as its reads and its diff see it."""
    return (type(obj), obj.to_dict(), obj.extra, obj.is_partial, obj.dirty_fields,
            obj.changes(), obj._raw)


@pytest.mark.parametrize("partial", [False, True])
def test_a_page_built_in_one_pass_equals_objects_built_one_by_one(partial):
    items = [wire_contact(id=f"c{i}", email=f"u{i}@example.com", browser=None if i % 2 else "x")
             for i in range(5)] + [wire_contact(id="c9", phone=None, created_at=None)]
    page = intercom.Contact.from_wire_many(items, partial=partial)
    one_by_one = [intercom.Contact.from_wire(item, partial=partial) for item in items]
    assert [_state(o) for o in page] == [_state(o) for o in one_by_one]
    # a class with an _after_load hook, and a generator of items
    convs = [{"type": "conversation", "id": str(i), "created_at": 1700000000 + i,
              "source": {"type": "conversation", "id": f"m{i}", "body": "<p>hi</p>",
                         "author": {"type": "user", "id": "c1"}}} for i in range(3)]
    built = intercom.Conversation.from_wire_many(iter(convs))
    assert [_state(o) for o in built] == [_state(intercom.Conversation.from_wire(c))
                                          for c in convs]


def test_objects_of_a_page_share_no_container():
    a, b = intercom.Contact.from_wire_many([wire_contact(), wire_contact(id="c2")])
    assert "extra" in vars(a) and "_touched" not in vars(a)  # made on first use only
    a.extra["note"] = 1
    a.name = "Changed"
    assert b.extra == {"type": "contact", "browser": "firefox"}
    assert not b.is_dirty and a.dirty_fields == ["name"]
    plain = intercom.Contact.from_wire_many([{"id": "c3", "email": "x@example.com"}])[0]
    assert "extra" not in vars(plain) and plain.extra == {}
    plain.extra["k"] = "v"
    assert intercom.Contact.from_wire({"id": "c4"}).extra == {}


def test_a_bad_item_in_a_page_is_a_response_error_naming_the_field():
    items = [wire_contact(), wire_contact(id="c2", email=["not", "a", "string"])]
    with pytest.raises(errors.ResponseError, match=r"Contact\.email"):
        intercom.Contact.from_wire_many(items)
    with pytest.raises(errors.ResponseError, match="not a JSON object"):
        intercom.Contact.from_wire_many([wire_contact(), "c2"])


def test_a_subclass_with_other_aliases_reads_its_own_way():
    class Renamed(intercom.Contact):
        aliases = {**intercom.Contact.aliases, "mail": "email"}

    c = Renamed.from_wire(wire_contact())
    assert c.mail == c.email == "ann@example.com"
    assert type(vars(Renamed)["email"]).__name__ == "_Field"  # its own entry
    api = intercom.connect(access_token="t")  # a bound class with the same aliases shares them
    assert "email" not in vars(api.Contact) and api.Contact.from_wire(wire_contact()).email

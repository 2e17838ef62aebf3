"""CRUD round-trips, dirty diffs and partial loads, for every case of every provider profile."""

from __future__ import annotations

import pytest

from chatmodels import errors
from chatmodels.resource import OPERATIONS

from .conftest import writes
from .profiles import PROFILES

CASES = [pytest.param(p, c, id=f"{p.name}-{c.name}") for p in PROFILES for c in p.cases]
by_case = pytest.mark.parametrize("profile,case", CASES, indirect=["profile"])


def covered(case) -> set[str]:
    """The operations a case has a recipe for."""
    ops = set()
    if case.new:
        ops |= {"create", "find", "all", "delete"}
    if case.existing:
        ops |= {"find", "all", "delete"}
    if case.search:
        ops.add("search")
    if case.edit:
        ops.add("save")
    return ops


def owner_of(case, client) -> dict:
    return case.owner(client) if case.owner else {}


def subject(case, client, owner):
    """A fresh object (created through the API) or an existing one of the seeded data."""
    cls = client.resource(case.name)
    if case.new and "create" in cls.supported_operations():
        return cls.create(**owner, **case.new(client, owner))
    assert case.existing, f"{case.name}: the profile has no way to get an object"
    return case.existing(client, owner)


def find(case, cls, owner, **lookup):
    return cls.find(**(owner if case.find_in_owner else {}), **lookup)


def find_again(case, cls, owner, obj):
    """``find`` by the object's key (its id, or what the provider's find needs)."""
    return find(case, cls, owner, **case.key_of(obj))


def test_every_resource_class_has_a_case(profile, client):
    cases = {c.name for c in profile.cases}
    classes = {}
    for name, cls in client.resources.items():
        classes.setdefault(cls, []).append(name)  # aliases (Agent = Operator) share a class
    for cls, names in classes.items():
        if not any(n in cases or n in profile.skipped_classes for n in names):
            ops = getattr(cls, "supported_operations", lambda: [])()
            pytest.fail(f"{profile.name}: {names} ({ops}) has no case in the profile")


@by_case
def test_every_offered_operation_is_exercised(profile, case, client):
    offered = set(client.resource(case.name).supported_operations())
    assert offered <= set(OPERATIONS)
    missing = offered - covered(case) - set(case.waived)
    assert not missing, f"{case.name}: no recipe for {sorted(missing)}"
    assert set(case.waived) <= offered, "waiver for an operation the class does not offer"


@by_case
def test_create_find_list_round_trip(profile, case, client, sim):
    cls = client.resource(case.name)
    ops = cls.supported_operations()
    owner = owner_of(case, client)
    obj = subject(case, client, owner)
    if "create" in ops:
        for name, value in case.expect.items():
            assert getattr(obj, name) == value, name
        assert not obj.is_dirty
    if "find" in ops:
        assert obj.id is not None
        found = find_again(case, cls, owner, obj)
        assert found == obj and found.id == obj.id
        for name, value in case.expect.items():
            assert getattr(found, name) == value, name
        for key, value in (case.lookups(obj) if case.lookups else {}).items():
            assert find(case, cls, owner, **{key: value}).id == obj.id, key
    if "all" in ops:
        if case.listed:
            case.listed(client, obj)
        listed = [o.id for o in cls.all(**owner)]
        ids = [i for i in listed if i is not None]  # data events, built-in attributes: no id
        assert len(ids) == len(set(ids)), "duplicates in all()"
        if obj.id is not None:
            assert obj.id in listed
        else:  # objects without ids (data events): found by their fields
            assert any(all(getattr(o, k) == v for k, v in case.expect.items())
                       for o in cls.all(**owner))
    if "search" in ops and case.search:
        assert obj.id in [o.id for o in cls.search(**case.search(obj))]


@by_case
def test_save_sends_only_the_changes(profile, case, client, sim):
    cls = client.resource(case.name)
    if "save" not in cls.supported_operations():
        pytest.skip(f"{case.name} cannot be saved")
    owner = owner_of(case, client)
    made = subject(case, client, owner)
    obj = find_again(case, cls, owner, made) if "find" in cls.supported_operations() else made
    sim.clear_requests()
    obj.save()  # nothing changed: nothing sent
    assert writes(sim, profile) == []
    for edit in case.edits():
        sim.clear_requests()
        edit.apply(obj)
        assert obj.changes() == dict(edit.changes)
        expected = edit.sends(obj)
        obj.save()
        assert writes(sim, profile) == expected
        assert not obj.is_dirty and obj.changes() == {}
        sim.clear_requests()
        obj.save()
        assert writes(sim, profile) == []
        if "find" in cls.supported_operations():
            again = find_again(case, cls, owner, obj)
            for name, value in edit.changes.items():
                current = getattr(again, name)
                if isinstance(value, dict):
                    assert {k: (current or {}).get(k) for k in value} == value, name
                else:
                    assert current == value, name


@by_case
def test_delete_removes_the_object(profile, case, client, sim):
    cls = client.resource(case.name)
    ops = cls.supported_operations()
    if "delete" not in ops:
        pytest.skip(f"{case.name} cannot be deleted")
    owner = owner_of(case, client)
    obj = subject(case, client, owner)
    obj.delete()
    if "find" in ops:
        with pytest.raises(errors.ResourceNotFound):
            find_again(case, cls, owner, obj)
    if "all" in ops:
        assert obj.id not in [o.id for o in cls.all(**owner)]
    with pytest.raises(errors.ChatModelsError):
        obj.save()


def test_missing_id_is_a_404(profile, client):
    with pytest.raises(errors.ResourceNotFound) as info:
        client.resource(profile.record_class).find(id=profile.missing_id)
    assert (info.value.status, info.value.provider) == (404, profile.name)


def test_partial_object_loads_once_on_first_read(profile, client, sim):
    cls = client.resource(profile.record_class)
    ident = sorted(profile.record_state(sim))[0]
    full = cls.find(id=ident)
    ref = cls.ref(ident)
    assert ref.is_partial and ref.id == ident
    sim.clear_requests()
    assert getattr(ref, profile.partial_field) == getattr(full, profile.partial_field)
    prefix = profile.prefix(sim)
    assert [(r.method, r.path[len(prefix):]) for r in sim.requests] == [
        (profile.instance_method, profile.instance_path(ident))]
    assert not ref.is_partial
    getattr(ref, profile.partial_field)
    ref.load()  # complete already: no request
    assert len(sim.requests) == 1
    ref.reload()
    assert len(sim.requests) == 2


def test_reload_discards_unsaved_changes(profile, client, sim):
    """The record class's case edit, unsaved, is gone after ``reload()``."""
    cls = client.resource(profile.record_class)
    case = profile.case(profile.record_class)
    assert case is not None and case.edit, "the record class needs a case with an edit"
    obj = cls.find(id=sorted(profile.record_state(sim))[0])
    before = obj.to_dict()
    case.edit(obj)
    assert obj.is_dirty
    obj.reload()
    assert obj.to_dict() == before and not obj.is_dirty and obj.changes() == {}
    assert writes(sim, profile) == []


def test_every_registered_provider_has_a_profile():
    """A provider joins the registry and the kit together: nothing registered goes untested."""
    from chatmodels import registry

    from .profiles import BY_NAME

    assert sorted(BY_NAME) == sorted(registry.names())

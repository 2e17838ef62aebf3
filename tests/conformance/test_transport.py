"""Paging, limits, typed errors, safe retries and secrets, for every provider profile."""

from __future__ import annotations

import logging

import pytest

from chatmodels import errors

from .conftest import FAST_RETRY


def list_requests(profile, sim):
    path = profile.prefix(sim) + profile.list_path
    return [r for r in sim.requests if r.method == profile.list_method and r.path.startswith(path)]


def changing(profile, sim):
    """The requests that may change something (everything but reads)."""
    return [r for r in sim.requests if not profile.is_read(r.method, r.path)]


# -- paging ---------------------------------------------------------------------------------------
def test_pages_cover_the_simulator_state_without_gap_or_duplicate(profile, client, sim):
    size = profile.page_size
    pages = list(client.resource(profile.paged).all().page_size(size).pages())
    assert len(pages) > 3
    assert all(len(page) == size for page in pages[:-1]) and 0 < len(pages[-1]) <= size
    ids = [str(obj.id) for page in pages for obj in page]
    assert len(ids) == len(set(ids)), "an object came twice"
    assert set(ids) == {str(i) for i in profile.state_ids(sim)}
    assert len(list_requests(profile, sim)) == len(pages)


def test_limit_stops_early(profile, client, sim):
    size = profile.page_size
    everything = [o.id for o in client.resource(profile.paged).all().page_size(size)]
    sim.clear_requests()
    wanted = 2 * size + 3
    got = [o.id for o in client.resource(profile.paged).all().page_size(size).limit(wanted)]
    assert got == everything[:wanted]
    assert len(list_requests(profile, sim)) == 3
    sim.clear_requests()
    assert client.resource(profile.paged).all().limit(0).to_list() == []
    assert sim.requests == []


# -- typed errors ---------------------------------------------------------------------------------
def test_bad_credentials_are_an_authentication_error(profile, sim):
    api = profile.connect(sim, max_retries=0, **profile.bad_credentials(sim))
    with pytest.raises(errors.AuthenticationError) as info:
        api.resource(profile.paged).all().first()
    assert (info.value.status, info.value.provider) == (401, profile.name)
    assert [r.status for r in sim.requests] == [401]


def test_server_side_validation_is_a_validation_error(profile, client, sim):
    with pytest.raises(errors.ValidationError) as info:
        profile.server_invalid(client)
    assert (info.value.status, info.value.provider) == (profile.invalid_status, profile.name)
    assert sim.requests[-1].status == profile.invalid_status


@pytest.mark.parametrize("status,kind", [
    (404, errors.ResourceNotFound), (422, errors.ValidationError),
    (429, errors.RateLimitExceeded), (500, errors.ServerError), (502, errors.ServerError),
    (503, errors.ServiceUnavailableError)])
def test_error_statuses_are_typed(profile, sim, status, kind):
    api = profile.connect(sim, max_retries=0)
    sim.fail(status=status, method=profile.list_method,
             path=profile.prefix(sim) + profile.list_path)
    with pytest.raises(kind) as info:
        api.resource(profile.paged).all().first()
    err = info.value
    assert (err.status, err.provider, type(err)) == (status, profile.name, kind)
    assert err.body is not None
    assert [r.status for r in sim.requests] == [status]


def test_rate_limit_carries_retry_after(profile, sim):
    api = profile.connect(sim, max_retries=0)
    sim.throttle(times=1, retry_after=3)
    with pytest.raises(errors.RateLimitExceeded) as info:
        api.resource(profile.paged).all().first()
    assert 0 < info.value.retry_after <= 4


# -- retries only where safe ----------------------------------------------------------------------
@pytest.mark.parametrize("status", [429, 500, 503])
def test_a_read_is_retried(profile, client, sim, status):
    path = profile.prefix(sim) + profile.list_path
    sim.fail(status=status, times=2, method=profile.list_method, path=path,
             retry_after=0 if status == 429 else None)
    assert client.resource(profile.paged).all().first() is not None
    assert [r.status for r in list_requests(profile, sim)] == [status, status, 200]


def test_a_search_is_retried_whatever_its_verb(profile, client, sim):
    cls = client.resource(profile.paged)
    if "search" not in cls.supported_operations():
        pytest.skip(f"{profile.name} {profile.paged} has no search")
    wanted = cls.find(id=sorted(profile.state_ids(sim))[0])
    case = profile.case(profile.paged)
    assert case is not None and case.search and profile.search_path
    path = profile.prefix(sim) + profile.search_path
    sim.clear_requests()
    sim.fail(status=500, times=1, path=path)
    assert [o.id for o in cls.search(**case.search(wanted))] == [wanted.id]
    assert [r.status for r in sim.requests if r.path.startswith(path)] == [500, 200]


def test_a_delete_is_retried(profile, client, sim):
    ident = sorted(profile.deleted_state(sim))[0]
    obj = client.resource(profile.deleted_class).find(id=ident)
    method, path = profile.delete_of(ident)
    path = profile.prefix(sim) + path
    sim.clear_requests()
    sim.fail(status=503, times=1, method=method, path=path)
    obj.delete()
    sent = [(r.method, r.path, r.status) for r in sim.requests]
    assert sent[0] == (method, path, 503) and len(sent) == 2
    assert sent[1][:2] == (method, path) and 200 <= sent[1][2] < 300  # any 2xx (Brevo: 204)
    assert ident not in profile.deleted_state(sim)


def test_a_create_answered_500_is_not_retried(profile, client, sim):
    path = profile.prefix(sim) + profile.create_path
    before = set(profile.created_state(sim))
    sim.fail(status=500, method=profile.create_method, path=path)
    with pytest.raises(errors.ServerError):
        client.resource(profile.created_class).create(**profile.new_contact(7))
    assert [(r.method, r.path, r.status) for r in changing(profile, sim)] == [
        (profile.create_method, path, 500)]
    assert set(profile.created_state(sim)) == before


def test_a_create_refused_with_429_is_retried_once_accepted(profile, client, sim):
    path = profile.prefix(sim) + profile.create_path
    before = set(profile.created_state(sim))
    sim.throttle(times=1, retry_after=0, method=profile.create_method, path=path)
    made = client.resource(profile.created_class).create(**profile.new_contact(8))
    sent = [(r.method, r.path, r.status) for r in changing(profile, sim)]
    assert sent[0] == (profile.create_method, path, 429) and len(sent) == 2
    assert sent[1][:2] == (profile.create_method, path) and 200 <= sent[1][2] < 300
    assert set(profile.created_state(sim)) - before == {made.id}


def test_a_dropped_create_is_not_resent(profile, client, sim):
    path = profile.prefix(sim) + profile.create_path
    before = set(profile.created_state(sim))
    sim.drop(times=1, method=profile.create_method, path=path, after_apply=True)
    with pytest.raises(errors.APIConnectionError):
        client.resource(profile.created_class).create(**profile.new_contact(9))
    assert [(r.method, r.path) for r in changing(profile, sim)] == [
        (profile.create_method, path)]
    assert len(set(profile.created_state(sim)) - before) == 1  # applied once, never twice


# -- secrets --------------------------------------------------------------------------------------
def test_secrets_never_show(profile, sim, caplog):
    secrets = profile.secrets(sim)
    seen: list[str] = []
    with caplog.at_level(logging.DEBUG, logger="chatmodels"):
        api = profile.connect(sim, retry=FAST_RETRY)
        seen += [repr(api), repr(api.http), str(api.http.__dict__.get("base_url"))]
        sim.fail(status=500, times=1, method=profile.list_method,
                 path=profile.prefix(sim) + profile.list_path)
        objs = list(api.resource(profile.paged).all().limit(3))
        seen += [repr(o) for o in objs] + [str(o.to_dict()) for o in objs]
        refused = profile.connect(sim, max_retries=0, **profile.bad_credentials(sim))
        plain = profile.connect(sim, max_retries=0)

        def unavailable():
            sim.fail(status=503, method=profile.list_method, times=1)
            plain.resource(profile.paged).all().first()

        for call in (lambda: refused.resource(profile.paged).all().first(),
                     lambda: plain.resource(profile.record_class).find(id=profile.missing_id),
                     unavailable):
            try:
                call()
            except errors.ChatModelsError as exc:
                seen += [str(exc), repr(exc), str(getattr(exc, "body", "")),
                         str(getattr(exc, "headers", ""))]
        try:
            profile.server_invalid(api)
        except errors.ChatModelsError as exc:
            seen += [str(exc), repr(exc)]
    assert len(seen) >= 3 * 4 + 2, "every failing call raised"
    assert caplog.records, "DEBUG logging produced nothing to check"
    text = caplog.text + "\n".join(seen)
    for secret in secrets:
        assert secret not in text

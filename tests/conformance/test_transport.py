"""Paging, limits, typed errors, safe retries and secrets, for every provider profile."""

from __future__ import annotations

import logging

import pytest

from chatmodels import errors

from .conftest import FAST_RETRY


def list_requests(profile, sim):
    path = profile.prefix(sim) + profile.list_path
    return [r for r in sim.requests if r.method == "GET" and r.path.startswith(path)]


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
    sim.fail(status=status, method="GET", path=profile.prefix(sim) + profile.list_path)
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
    sim.fail(status=status, times=2, method="GET", path=path, retry_after=0 if status == 429 else None)
    assert client.resource(profile.paged).all().first() is not None
    assert [r.status for r in list_requests(profile, sim)] == [status, status, 200]


def test_a_search_is_retried_whatever_its_verb(profile, client, sim):
    cls = client.resource(profile.paged)
    wanted = cls.find(id=sorted(profile.state_ids(sim))[0])
    case = next(c for c in profile.cases if c.name == profile.paged)
    path = profile.prefix(sim) + profile.search_path
    sim.clear_requests()
    sim.fail(status=500, times=1, path=path)
    assert [o.id for o in cls.search(**case.search(wanted))] == [wanted.id]
    assert [r.status for r in sim.requests if r.path.startswith(path)] == [500, 200]


def test_a_delete_is_retried(profile, client, sim):
    ident = sorted(profile.state_ids(sim))[0]
    obj = client.resource(profile.paged).find(id=ident)
    path = profile.prefix(sim) + profile.instance_path(ident)
    sim.clear_requests()
    sim.fail(status=503, times=1, method="DELETE", path=path)
    obj.delete()
    assert [(r.method, r.status) for r in sim.requests] == [("DELETE", 503), ("DELETE", 200)]
    assert ident not in profile.state_ids(sim)


def test_a_create_answered_500_is_not_retried(profile, client, sim):
    path = profile.prefix(sim) + profile.create_path
    before = set(profile.state_ids(sim))
    sim.fail(status=500, method="POST", path=path)
    with pytest.raises(errors.ServerError):
        client.resource(profile.paged).create(**profile.new_contact(7))
    posts = [r for r in sim.requests if r.method == "POST"]
    assert [(r.path, r.status) for r in posts] == [(path, 500)]
    assert set(profile.state_ids(sim)) == before


def test_a_create_refused_with_429_is_retried_once_accepted(profile, client, sim):
    path = profile.prefix(sim) + profile.create_path
    before = set(profile.state_ids(sim))
    sim.throttle(times=1, retry_after=0, method="POST", path=path)
    made = client.resource(profile.paged).create(**profile.new_contact(8))
    posts = [r for r in sim.requests if r.method == "POST"]
    assert [r.status for r in posts][0] == 429 and len(posts) == 2 and posts[1].status < 300
    assert set(profile.state_ids(sim)) - before == {made.id}


def test_a_dropped_create_is_not_resent(profile, client, sim):
    path = profile.prefix(sim) + profile.create_path
    before = set(profile.state_ids(sim))
    sim.drop(times=1, method="POST", path=path, after_apply=True)
    with pytest.raises(errors.APIConnectionError):
        client.resource(profile.paged).create(**profile.new_contact(9))
    assert len([r for r in sim.requests if r.method == "POST"]) == 1
    assert len(set(profile.state_ids(sim)) - before) == 1  # applied once, never twice


# -- secrets --------------------------------------------------------------------------------------
def test_secrets_never_show(profile, sim, caplog):
    secrets = profile.secrets(sim)
    seen: list[str] = []
    with caplog.at_level(logging.DEBUG, logger="chatmodels"):
        api = profile.connect(sim, retry=FAST_RETRY)
        seen += [repr(api), repr(api.http), str(api.http.__dict__.get("base_url"))]
        sim.fail(status=500, times=1, method="GET", path=profile.prefix(sim) + profile.list_path)
        objs = list(api.resource(profile.paged).all().limit(3))
        seen += [repr(o) for o in objs] + [str(o.to_dict()) for o in objs]
        refused = profile.connect(sim, max_retries=0, **profile.bad_credentials(sim))
        plain = profile.connect(sim, max_retries=0)

        def unavailable():
            sim.fail(status=503, method="GET", times=1)
            plain.resource(profile.paged).all().first()

        for call in (lambda: refused.resource(profile.paged).all().first(),
                     lambda: plain.resource(profile.paged).find(id=profile.missing_id),
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

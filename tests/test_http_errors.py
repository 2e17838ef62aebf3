"""Error mapping, retries, rate limits and timeouts over real loopback HTTP."""

from __future__ import annotations

import pytest

from chatmodels import errors, intercom
from chatmodels.http import RetryPolicy

from .conftest import FAST_RETRY


def test_bad_token_is_authentication_error(sim):
    api = intercom.connect(access_token="wrong-token", base_url=sim.base_url)
    with pytest.raises(errors.AuthenticationError) as info:
        api.Contact.all().first()
    err = info.value
    assert (err.status, err.code, err.provider) == (401, "unauthorized", "intercom")
    assert err.request_id and "wrong-token" not in str(err) + repr(err)


def test_invalid_version_is_bad_request(sim):
    api = intercom.connect(base_url=sim.base_url, version="9.99", **sim.credentials)
    with pytest.raises(errors.BadRequestError) as info:
        api.Admin.me()
    assert info.value.code == "intercom_version_invalid"


@pytest.mark.parametrize("status,cls", [
    (400, errors.BadRequestError), (401, errors.AuthenticationError),
    (403, errors.PermissionDenied), (404, errors.ResourceNotFound),
    (409, errors.ConflictError), (422, errors.ValidationError),
    (429, errors.RateLimitExceeded), (500, errors.ServerError),
    (502, errors.ServerError), (503, errors.ServiceUnavailableError),
])
def test_every_status_maps_to_a_typed_error(sim, status, cls):
    api = intercom.connect(base_url=sim.base_url, max_retries=0, **sim.credentials)
    sim.fail(status=status, path="/admins")
    with pytest.raises(cls) as info:
        api.Admin.all().to_list()
    err = info.value
    assert err.status == status and err.provider == "intercom"
    assert err.request_id and err.body is not None
    assert isinstance(err, errors.APIError)


def test_get_is_retried_after_500_and_503(api, sim):
    sim.fail(status=500, times=2, path="/admins")
    assert api.Admin.all().to_list()
    assert [r.status for r in sim.requests if r.path == "/admins"] == [500, 500, 200]
    sim.clear_requests()
    sim.fail(status=503, times=1, path="/teams")
    assert api.Team.all().to_list()


def test_retries_give_up_with_the_last_error(sim):
    api = intercom.connect(base_url=sim.base_url, retry=RetryPolicy(
        max_retries=2, backoff_factor=0.01), **sim.credentials)
    sim.fail(status=500, times=5, path="/admins")
    with pytest.raises(errors.ServerError):
        api.Admin.all().to_list()
    assert len([r for r in sim.requests if r.path == "/admins"]) == 3


def test_post_is_not_retried_after_500(api, sim):
    sim.fail(status=500, method="POST", path="/contacts")
    with pytest.raises(errors.ServerError):
        api.Contact.create(email="once@example.com")
    assert len([r for r in sim.requests if r.method == "POST"]) == 1


def test_post_is_retried_after_429_honouring_retry_after(api, sim):
    sim.throttle(times=1, retry_after=0.2, method="POST", path="/contacts")
    c = api.Contact.create(email="after429@example.com")
    posts = [r for r in sim.requests if r.method == "POST"]
    assert [r.status for r in posts] == [429, 200]
    assert posts[1].timestamp - posts[0].timestamp >= 0.2
    assert c.id


def test_rate_limit_exceeded_carries_retry_after(sim):
    api = intercom.connect(base_url=sim.base_url, max_retries=0, **sim.credentials)
    sim.throttle(times=1, retry_after=3)
    with pytest.raises(errors.RateLimitExceeded) as info:
        api.Admin.me()
    assert info.value.code == "rate_limit_exceeded"
    assert 0 < info.value.retry_after <= 4


def test_rate_limit_state_and_last_response(api, sim):
    api.Admin.all().to_list()
    state = api.rate_limit
    assert state.limit and state.remaining is not None and state.reset_at
    assert api.last_response.status_code == 200
    assert "X-RateLimit-Limit" in api.last_response.headers


def test_ongoing_rate_limit_is_ridden_out(sim):
    api = intercom.connect(base_url=sim.base_url, retry=RetryPolicy(
        max_retries=5, backoff_factor=0.01, max_wait=5), **sim.credentials)
    sim.rate_limit(limit=5, window=1.0)
    for _ in range(12):
        api.Team.all().to_list()
    statuses = [r.status for r in sim.requests]
    assert 429 in statuses and statuses[-1] == 200


def test_dropped_connection_on_get_is_retried(api, sim):
    sim.drop(times=1, path="/teams")
    assert api.Team.all().to_list()
    assert len([r for r in sim.requests if r.path == "/teams"]) == 2


def test_dropped_post_is_not_retried_blindly(api, sim):
    sim.drop(times=1, method="POST", path="/contacts", after_apply=True)
    with pytest.raises(errors.APIConnectionError):
        api.Contact.create(email="lost-response@example.com")
    # applied once, never twice
    matches = [c for c in sim.state.contacts.values()
               if c.get("email") == "lost-response@example.com"]
    assert len(matches) == 1


def test_timeout_is_a_typed_error(sim):
    api = intercom.connect(base_url=sim.base_url, timeout=(1.0, 0.2), max_retries=0,
                           **sim.credentials)
    sim.latency = 0.6
    with pytest.raises(errors.APITimeoutError):
        api.Admin.me()


def test_unreachable_host_is_a_connection_error():
    api = intercom.connect(access_token="t", base_url="http://127.0.0.1:9", retry=FAST_RETRY)
    with pytest.raises(errors.APIConnectionError) as info:
        api.Admin.me()
    assert "t" != str(info.value)


def test_missing_credentials_fail_before_any_request(monkeypatch):
    monkeypatch.setattr(intercom.Intercom, "access_token", None)
    monkeypatch.delenv("INTERCOM_ACCESS_TOKEN", raising=False)
    with pytest.raises(errors.ConfigurationError, match="INTERCOM_ACCESS_TOKEN"):
        intercom.Contact.find(id="1")

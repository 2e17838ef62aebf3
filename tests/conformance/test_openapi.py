"""The spec validator itself: it must catch what it is there to catch."""

from __future__ import annotations

import json

import pytest

from . import openapi
from .profiles import PROFILES

SPECS = sorted({p.spec for p in PROFILES if p.spec})


def exchange(method, path, status, answer, sent=None, query=""):
    return openapi.Exchange(method, path, query,
                            b"" if sent is None else json.dumps(sent).encode(),
                            status, "application/json; charset=utf-8",
                            json.dumps(answer).encode())


@pytest.mark.parametrize("relative", SPECS)
def test_validator_catches_bad_bodies_and_unknown_routes(relative):
    spec = openapi.load(relative)
    assert spec.operation("POST", "/contacts/search") == "/contacts/search"
    assert spec.operation("GET", "/contacts/abc") == "/contacts/{contact_id}"
    assert spec.check(exchange("GET", "/nowhere", 200, {})) == [
        ("GET /nowhere", "no such operation in the spec")]
    bad_tag = exchange("GET", "/tags/1", 200, {"type": "tag", "id": 7, "name": "vip"})
    assert [key for key, _ in spec.check(bad_tag)] == ["GET /tags/{tag_id} response 200 /id [type:number]"]
    good_tag = exchange("GET", "/tags/1", 200, {"type": "tag", "id": "7", "name": "vip"})
    assert spec.check(good_tag) == []
    bad_error = exchange("GET", "/tags/1", 404, {"type": "error.list", "errors": "nope"})
    assert [key for key, _ in spec.check(bad_error)] == \
        ["GET /tags/{tag_id} response 404 /errors [type:string]"]


@pytest.mark.parametrize("relative", SPECS)
def test_a_known_difference_excuses_one_kind_of_failure_only(relative):
    spec = openapi.load(relative)

    def email_problems(email):
        answer = {"type": "contact", "id": "1", "email": email}
        return [key for key, _ in spec.problems([exchange("GET", "/contacts/1", 200, answer)],
                                                 note=False)
                if " /email " in key]
    assert email_problems(None) == []  # listed in SIMULATOR_DEVIATIONS
    assert email_problems(5) == ["GET /contacts/{contact_id} response 200 /email [type:number]"]


@pytest.mark.parametrize("relative", SPECS)
def test_query_parameters_are_checked(relative):
    spec = openapi.load(relative)
    events = {"type": "event.summary", "events": []}

    def keys(path, query, answer):
        return [key for key, _ in spec.check(exchange("GET", path, 200, answer, query=query))
                if "?" in key]
    assert keys("/events", "type=user&intercom_user_id=1&summary=true", events) == []
    assert keys("/events", "intercom_user_id=1&summary=maybe&colour=red", events) == [
        "GET /events request ?summary / [type:string]",
        "GET /events request ?colour [undeclared]",
        "GET /events request ?type [required]"]
    assert keys("/companies", "company_id=123&per_page=20", {"type": "company"}) == []


def test_every_known_difference_has_a_reason():
    for table in (openapi.SPEC_MISTAKES, openapi.SIMULATOR_DEVIATIONS,
                  openapi.CLIENT_DEVIATIONS):
        assert all(isinstance(reason, str) and len(reason) > 20 for reason in table.values())

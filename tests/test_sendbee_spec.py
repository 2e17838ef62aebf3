"""The package and the simulator against the Sendbee API index derived from the official
clients (tests/data/sendbee, see PROVENANCE.md)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests

from chatmodels import sendbee
from chatmodels.sendbee.auth import make_token
from chatmodels.testing import serve
from chatmodels.testing.sendbee.urls import ROUTES

INDEX = json.loads((Path(__file__).parent / "data" / "sendbee"
                    / "api-v2.client-derived-index.json").read_text(encoding="utf-8"))
#: endpoints that only test the rate limiter: not part of the object model
NOT_MODELLED = {("GET", "/rate-limit/error-test"), ("GET", "/rate-limit/request-test")}


def _declared() -> set[tuple[str, str]]:
    return {(op.method, op.path) for cls in set(sendbee.RESOURCES.values())
            for op in cls.operations.values()}


def test_every_endpoint_is_declared_by_a_resource_and_routed_by_the_simulator():
    endpoints = {(e["method"], e["path"]) for e in INDEX["endpoints"]}
    assert endpoints - NOT_MODELLED <= _declared()
    routed = {(m, r.path) for r in ROUTES for m in r.methods}
    assert endpoints - {("GET", "/rate-limit/error-test")} <= routed


def test_conventions_match_the_index():
    assert INDEX["base_url"] == sendbee.DEFAULT_BASE_URL
    assert "max 100" in INDEX["pagination"] and sendbee.MAX_LIMIT == 100
    assert INDEX["webhooks"]["auth_header"] == "X-Authorization"
    assert "15 minutes" in INDEX["webhooks"]["token_format"] and sendbee.MAX_TOKEN_AGE == 900


def _shape_fields(shape: dict) -> set[str]:
    return {k for k, v in shape.items() if not (isinstance(v, str) and "PHP model only" in v)}


LISTS = {"/contacts": {}, "/contacts/tags": {}, "/contacts/fields": {},
         "/conversations": {}, "/conversations/messages/templates": {}, "/teams/teams": {},
         "/teams/members": {}}


@pytest.mark.parametrize("path", sorted(LISTS))
def test_simulator_answers_carry_the_index_fields(path):
    endpoint = next(e for e in INDEX["endpoints"] if (e["method"], e["path"]) == ("GET", path))
    with serve("sendbee", seed=5, contacts=10, conversations=5) as sim:
        headers = {"X-Api-Key": sim.credentials["api_key"],
                   "X-Auth-Token": make_token(sim.credentials["api_secret"])}
        body = requests.get(sim.base_url + path, headers=headers, timeout=10).json()
    item = body["data"][0]
    assert _shape_fields(endpoint["data_item_shape"]) <= set(item)
    if path != "/teams/members":
        assert set(INDEX["response_envelope"]["meta"]) <= set(body["meta"])
        assert set(INDEX["response_envelope"]["links"]) <= set(body["links"])

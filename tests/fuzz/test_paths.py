"""Property: a hostile id never leaves its route (issue 8 item 2), for every provider's probes
(see ``providers.py``).

Whatever the id (dots, slashes, ``%2e``, ``&``/``=``, unicode, lone surrogates, control
characters, very long), a call either is refused locally with a ``ValidationError`` and sends
nothing, or every request it sends has exactly the probe's route: REST ids are one path
segment of the route template; ids sent as a query parameter or a JSON body value (LiveChat's
RPC actions, Sendbee) arrive there whole, on the fixed path, and nowhere else in the path.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from hypothesis import HealthCheck, example, given, settings

from chatmodels import errors

from ..scripted import ScriptedServer, answer
from .providers import PROVIDERS
from .strategies import hostile_ids
from .table import Probe, Provider, Route

PATHS = settings(max_examples=40, deadline=None, derandomize=True,
                 suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def server():
    # every call is answered 404: only the request matters here
    with ScriptedServer(answer(404, {"type": "error.list", "errors": [{"code": "not_found"}]}
                               )) as srv:
        yield srv


def _route(template: str) -> re.Pattern[str]:
    return re.compile(re.escape(template).replace(re.escape("{}"), "([^/?#]+)"))


def _same(sent: Any, value: Any) -> bool:
    return sent == value or (isinstance(sent, (str, int)) and str(sent) == str(value))


def _check_request(request: Any, route: Route, value: Any) -> None:
    assert route.method is None or request.method == route.method, request.method
    path = request.path
    if route.query is None and route.body is None:
        match = _route(route.path).fullmatch(path)
        assert match, path
        assert all(unquote(segment) == str(value) for segment in match.groups())
        assert all(segment not in (".", "..") for segment in match.groups())
        return
    assert path == route.path, path  # the id moved nothing in the path
    if route.query is not None:
        query = parse_qs(urlsplit(request.target).query, keep_blank_values=True)
        assert query.get(route.query) == [str(value)], request.target
    else:
        assert "?" not in request.target, request.target
        body = json.loads(request.body)
        assert _same(body.get(route.body), value), body


def _check(server: ScriptedServer, api: Any, probe: Probe, value: Any) -> None:
    server.requests.clear()
    try:
        probe.call(api, value)
    except errors.ValidationError:
        assert server.requests == []  # refused locally: nothing sent
        assert probe.refuses(value), value
        return
    except errors.APIError:
        pass
    assert server.requests, "nothing sent and no ValidationError"
    for request in server.requests:
        _check_request(request, probe.route, value)


#: always tried, whatever the draw
KEY_IDS = [".", "..", "", "%2e%2e", "a/../b", "\ud800", "&id=1#x", "\r\n", 0, -1]


def _with_key_ids(test: Any) -> Any:
    for value in KEY_IDS:
        test = example(value=value)(test)
    return test


def _cases() -> list[Any]:
    return [pytest.param(p.name, id=p.name) for p in PROVIDERS.values() if p.probes]


@pytest.mark.parametrize("provider", _cases())
def test_ids_stay_in_their_route(server, provider):
    table: Provider = PROVIDERS[provider]

    @PATHS
    @_with_key_ids
    @given(value=hostile_ids)
    def prop(value: Any) -> None:
        api = table.connect(server.url)
        try:
            for probe in table.probes:
                _check(server, api, probe, value)
        finally:
            api.close()
    prop()


@given(value=hostile_ids.filter(lambda v: isinstance(v, str) and v != ""))
@PATHS
def test_crisp_website_ids_stay_in_their_route(server, value):
    api = PROVIDERS["crisp"].connect(server.url, website_id=value)
    _check(server, api, Probe("website", lambda api, v: api.Contact.ref("p1").load(),
                              Route("/v1/website/{}/people/profile/p1")), value)

"""Property: a hostile id never leaves its route (issue 8 item 2).

Whatever the id (dots, slashes, ``%2e``, unicode, control characters, very long), a call
either is refused locally with a ``ValidationError`` and sends nothing, or sends exactly one
request whose raw request-line path is the route template with the id as one segment.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chatmodels import crisp, errors, intercom
from chatmodels.http import RetryPolicy

from .scripted import ScriptedServer, answer

NO_RETRY = RetryPolicy(max_retries=0)
PATHS = settings(max_examples=80, deadline=None, derandomize=True,
                 suppress_health_check=[HealthCheck.function_scoped_fixture])

hostile_ids = st.one_of(
    st.sampled_from([".", "..", "", "%2e", "%2e%2e", "%2E.", "..%2f", "../..", "/", "a/../b",
                     "./x", "\\..\\", "..;", "\r\n", "\x00", "é", "\U0001f600", "?x=1", "#f",
                     " ..", ".. "]),
    st.text(alphabet=".%/2eE\\;?#", max_size=8),
    st.text(max_size=40),
    st.integers(min_value=-10**20, max_value=10**20),
    st.text(alphabet="ab./%", min_size=300, max_size=3000),
)


@pytest.fixture(scope="module")
def server():
    # every call is answered 404: only the request line matters here
    with ScriptedServer(answer(404, {"type": "error.list", "errors": [{"code": "not_found"}]}
                               )) as srv:
        yield srv


def _route(template: str) -> re.Pattern[str]:
    return re.compile(re.escape(template).replace(re.escape("{}"), "([^/?#]+)"))


def _check(server: ScriptedServer, call: Callable[[], Any], template: str, value: Any) -> None:
    server.requests.clear()
    try:
        call()
    except errors.ValidationError:
        assert server.requests == []  # refused locally: nothing sent
        assert isinstance(value, str) and (value in ("", ".", "..") or not _encodable(value))
        return
    except errors.APIError:
        pass
    assert len(server.requests) == 1
    match = _route(template).fullmatch(server.requests[0].path)
    assert match, server.requests[0].path
    assert all(unquote(segment) == str(value) for segment in match.groups())
    assert all(segment not in (".", "..") for segment in match.groups())


def _encodable(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


@given(value=hostile_ids)
@PATHS
def test_intercom_ids_stay_in_their_route(server, value):
    api = intercom.connect(access_token="t", base_url=server.url, retry=NO_RETRY)
    _check(server, lambda: api.Contact.ref(value).load(), "/contacts/{}", value)
    _check(server, lambda: api.Contact.find(id=value), "/contacts/{}", value)
    _check(server, lambda: api.Contact.ref("c1").remove_tag(api.Tag.ref(value)),
           "/contacts/c1/tags/{}", value)
    _check(server, lambda: api.Conversation.find(id=value), "/conversations/{}", value)
    _check(server, lambda: api.Company.ref(value).delete(), "/companies/{}", value)


@given(value=hostile_ids)
@PATHS
def test_crisp_ids_stay_in_their_route(server, value):
    api = crisp.connect(identifier="i", key="k", website_id="w1", base_url=server.url + "/v1",
                        retry=NO_RETRY)
    _check(server, lambda: api.Contact.ref(value).load(), "/v1/website/w1/people/profile/{}",
           value)
    _check(server, lambda: api.Conversation.find(id=value), "/v1/website/w1/conversation/{}",
           value)
    _check(server, lambda: api.Operator.find(id=value), "/v1/website/w1/operator/{}", value)


@given(value=hostile_ids.filter(lambda v: isinstance(v, str) and v != ""))
@PATHS
def test_crisp_website_ids_stay_in_their_route(server, value):
    api = crisp.connect(identifier="i", key="k", website_id=value, base_url=server.url + "/v1",
                        retry=NO_RETRY)
    _check(server, lambda: api.Contact.ref("p1").load(), "/v1/website/{}/people/profile/p1",
           value)

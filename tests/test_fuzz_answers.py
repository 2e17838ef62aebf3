"""Property: whatever a server answers, list/find/create give a valid object or a
``chatmodels.errors`` exception, never a raw one (issue 8 item 3).

A scripted raw-socket server serves hypothesis-generated answers: random JSON of any shape,
real seeded simulator answers with mutated fields, truncated bodies, HTML, odd content types,
statuses from 1xx to 5xx, odd rate-limit headers and resets mid-body.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chatmodels import crisp, errors, intercom
from chatmodels.http import RetryPolicy
from chatmodels.model import Model
from chatmodels.testing import serve

from .scripted import Answer, ScriptedServer, answer

NO_RETRY = RetryPolicy(max_retries=0)
FUZZ = settings(max_examples=60, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow, HealthCheck.data_too_large])

Op = Callable[[Any], Any]

INTERCOM_OPS: dict[str, Op] = {
    "contact_list": lambda api: api.Contact.all().limit(3).to_list(),
    "contact_find": lambda api: api.Contact.find(id="1"),
    "contact_create": lambda api: api.Contact.create(email="fuzz@example.com"),
    "conversation_list": lambda api: api.Conversation.all().limit(2).to_list(),
    "conversation_find": lambda api: api.Conversation.find(id="1"),
    "tag_list": lambda api: api.Tag.all().to_list(),
    "tag_create": lambda api: api.Tag.create(name="vip"),
    "company_list": lambda api: api.Company.all().limit(2).to_list(),
    "company_create": lambda api: api.Company.create(company_id="c-1", name="Acme"),
    "admin_list": lambda api: api.Admin.all().to_list(),
    "admin_me": lambda api: api.Admin.me(),
    "segment_list": lambda api: api.Segment.all().to_list(),
}

CRISP_OPS: dict[str, Op] = {
    "contact_list": lambda api: api.Contact.all().limit(3).to_list(),
    "contact_find": lambda api: api.Contact.find(id="p1"),
    "contact_create": lambda api: api.Contact.create(email="fuzz@example.com", name="Fuzz"),
    "conversation_list": lambda api: api.Conversation.all().limit(2).to_list(),
    "conversation_find": lambda api: api.Conversation.find(id="session_1"),
    "operator_list": lambda api: api.Operator.all().to_list(),
    "tag_list": lambda api: api.Tag.all().to_list(),
}


def _intercom(url: str) -> Any:
    return intercom.connect(access_token="fuzz-token", base_url=url, retry=NO_RETRY)


def _crisp(url: str) -> Any:
    return crisp.connect(identifier="fuzz-id", key="fuzz-key", website_id="w1", base_url=url,
                         retry=NO_RETRY)


# -- seeds: real simulator answers -----------------------------------------------------------------
def _seed_ops(provider: str, ops: dict[str, Op]) -> dict[str, Any]:
    seeds: dict[str, Any] = {}
    with serve(provider, seed=8, contacts=2, conversations=2) as sim:
        for name, op in ops.items():
            api = (intercom.connect(base_url=sim.base_url, **sim.credentials) if provider ==
                   "intercom" else crisp.connect(base_url=sim.base_url, **sim.credentials))
            try:
                op(api)
            except errors.ChatModelsError:
                pass  # ids the simulator does not have: the error answer is a seed too
            seeds[name] = json.loads(api.last_response.content or b"null")
            api.close()
    return seeds


@pytest.fixture(scope="module")
def seeds() -> dict[str, dict[str, Any]]:
    return {"intercom": _seed_ops("intercom", INTERCOM_OPS), "crisp": _seed_ops("crisp", CRISP_OPS)}


@pytest.fixture(scope="module")
def server():
    with ScriptedServer() as srv:
        yield srv


# -- strategies ------------------------------------------------------------------------------------
scalars = (st.none() | st.booleans() | st.integers(min_value=-2**70, max_value=2**70)
           | st.floats() | st.text(max_size=12))
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                           max_leaves=12)


def _paths(doc: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix]
    if isinstance(doc, dict):
        for key, value in doc.items():
            out += _paths(value, prefix + (key,))
    elif isinstance(doc, list):
        for i, value in enumerate(doc):
            out += _paths(value, prefix + (i,))
    return out


def _replace(doc: Any, path: tuple, value: Any) -> Any:
    if not path:
        return value
    doc[path[0]] = _replace(doc[path[0]], path[1:], value)
    return doc


@st.composite
def mutated(draw: Any, seed: Any) -> Any:
    doc = copy.deepcopy(seed)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(_paths(doc)))
        doc = _replace(doc, path, draw(json_values | scalars))
    return doc


ODD_HEADER_VALUES = st.sampled_from(["inf", "nan", "-1", "1e999", "x", "", "0", "5",
                                     "99999999999999999999", "Tue, 99 Zzz 2020"])


def _dumps(value: Any) -> bytes:
    return json.dumps(value).encode()  # NaN/Infinity included, as some servers send them


@st.composite
def answers(draw: Any, seed: Any) -> Answer:
    kind = draw(st.sampled_from(["random", "mutated", "mutated", "truncated", "html", "status",
                                 "headers", "reset", "content_type"]))
    base = _dumps(seed)
    if kind == "random":
        return answer(200, _dumps(draw(json_values)))
    if kind == "mutated":
        return answer(200, _dumps(draw(mutated(seed))))
    if kind == "truncated":
        return answer(200, base[:draw(st.integers(0, max(0, len(base) - 1)))])
    if kind == "html":
        return answer(draw(st.sampled_from([200, 201, 404, 500, 502])),
                      "<!DOCTYPE html><html><body>Bad gateway</body></html>",
                      content_type="text/html")
    if kind == "status":
        status = draw(st.integers(100, 599))
        body = draw(st.sampled_from([b"", base, _dumps(draw(json_values))]))
        return answer(status, body)
    if kind == "headers":
        names = ["X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset",
                 "Retry-After"]
        headers = {name: draw(ODD_HEADER_VALUES) for name in names}
        status = draw(st.sampled_from([200, 429, 503, 420]))
        return answer(status, base if status == 200 else b'{"errors": 1}', headers=headers)
    if kind == "reset":
        reply = answer(200, base)
        reply.reset_after = reply.head_size + draw(st.integers(0, max(0, len(base) - 1)))
        return reply
    return answer(200, base, content_type=draw(st.sampled_from(
        ["text/plain", "application/xml", "", "application/json; charset=latin-1"])))


# -- the property ----------------------------------------------------------------------------------
def _check(result: Any, created: bool) -> None:
    items = result if isinstance(result, list) else [result]
    for item in items:
        assert isinstance(item, Model)
        assert not created or item.id is not None  # a create answer without an id raises
        item.to_dict()  # builds embedded references: must not raise either
        repr(item)


def _run(server: ScriptedServer, connect: Callable[[str], Any], op: Op, reply: Answer,
         created: bool = False) -> None:
    server.script = reply
    api = connect(server.url)
    try:
        _check(op(api), created)
    except errors.ChatModelsError as exc:
        str(exc), repr(exc)
    finally:
        api.close()


@pytest.mark.parametrize("name", sorted(INTERCOM_OPS))
def test_intercom_answers_give_objects_or_library_errors(server, seeds, name):
    @FUZZ
    @given(reply=answers(seeds["intercom"][name]))
    def prop(reply: Answer) -> None:
        _run(server, _intercom, INTERCOM_OPS[name], reply, name.endswith("_create"))
    prop()


#: leaks in Crisp resource code (the Crisp package is being reworked separately): the answer
#: is indexed before any check. Kept visible here until that code checks its answers.
CRISP_LEAKS: dict[str, str] = {}  # provider code that lets a raw exception out (none now)


@pytest.mark.parametrize("name", [
    pytest.param(name, marks=pytest.mark.xfail(
        strict=False,
        reason=f"provider leak: {CRISP_LEAKS[name]}")) if name in CRISP_LEAKS else name
    for name in sorted(CRISP_OPS)])
def test_crisp_answers_give_objects_or_library_errors(server, seeds, name):
    @FUZZ
    @given(reply=answers(seeds["crisp"][name]))
    def prop(reply: Answer) -> None:
        _run(server, _crisp, CRISP_OPS[name], reply, name.endswith("_create"))
    prop()

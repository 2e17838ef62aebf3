"""Hypothesis strategies: server answers (random, mutated seeds, truncated, HTML, odd statuses,
headers and content types, resets mid-body) and hostile ids."""

from __future__ import annotations

import copy
import json
from typing import Any

from hypothesis import strategies as st

from ..scripted import Answer, answer

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
RATE_HEADERS = ["X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset",
                "Retry-After", "x-sib-ratelimit-limit", "x-sib-ratelimit-remaining",
                "x-sib-ratelimit-reset"]


def dumps(value: Any) -> bytes:
    return json.dumps(value).encode()  # NaN/Infinity included, as some servers send them


@st.composite
def answers(draw: Any, seed: Any) -> Answer:
    kind = draw(st.sampled_from(["random", "mutated", "mutated", "truncated", "html", "status",
                                 "headers", "reset", "content_type"]))
    base = dumps(seed)
    if kind == "random":
        return answer(200, dumps(draw(json_values)))
    if kind == "mutated":
        return answer(200, dumps(draw(mutated(seed))))
    if kind == "truncated":
        return answer(200, base[:draw(st.integers(0, max(0, len(base) - 1)))])
    if kind == "html":
        return answer(draw(st.sampled_from([200, 201, 404, 500, 502])),
                      "<!DOCTYPE html><html><body>Bad gateway</body></html>",
                      content_type="text/html")
    if kind == "status":
        status = draw(st.integers(100, 599))
        body = draw(st.sampled_from([b"", base, dumps(draw(json_values))]))
        return answer(status, body)
    if kind == "headers":
        headers = {name: draw(ODD_HEADER_VALUES) for name in RATE_HEADERS}
        status = draw(st.sampled_from([200, 429, 503, 420]))
        return answer(status, base if status == 200 else b'{"errors": 1}', headers=headers)
    if kind == "reset":
        reply = answer(200, base)
        reply.reset_after = reply.head_size + draw(st.integers(0, max(0, len(base) - 1)))
        return reply
    return answer(200, base, content_type=draw(st.sampled_from(
        ["text/plain", "application/xml", "", "application/json; charset=latin-1"])))


hostile_ids = st.one_of(
    st.sampled_from([".", "..", "", "%2e", "%2e%2e", "%2E.", "..%2f", "../..", "/", "a/../b",
                     "./x", "\\..\\", "..;", "\r\n", "\x00", "é", "\U0001f600", "?x=1", "#f",
                     " ..", ".. ", "&id=1", "a=b&c", "\ud800"]),
    st.text(alphabet=".%/2eE\\;?#&=", max_size=8),
    st.text(max_size=40),
    st.integers(min_value=-10**20, max_value=10**20),
    st.text(alphabet="ab./%", min_size=300, max_size=3000),
)

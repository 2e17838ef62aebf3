"""Property: whatever a webhook request holds, ``webhooks.parse`` returns a verified Event or
raises a chatmodels error -- never a raw exception -- for every provider.

Signed-but-mutated payloads (every value anywhere replaced by any JSON value), random signed
bytes, tampered bodies (which must fail verification for the providers that sign the body)
and random headers around a genuine body."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from chatmodels import errors, webhooks

from ..webhook_signing import (
    NOW,
    PROVIDERS,
    SECRET,
    crisp_headers,
    intercom_headers,
    sample,
    sendbee_headers,
)
from .strategies import json_values, mutated

FUZZ = settings(max_examples=40, deadline=None, derandomize=True)
SIGNERS = {"intercom": intercom_headers, "crisp": crisp_headers, "sendbee": sendbee_headers}


def _sign(provider: str, body: bytes) -> dict[str, str]:
    if provider in SIGNERS:
        return SIGNERS[provider](body)
    if provider == "brevo":
        return {"X-Chatmodels-Url-Token": SECRET}
    return {}  # LiveChat: the secret is in the body


def _outcome(provider: str, headers: Any, body: Any) -> Any:
    try:
        event = webhooks.parse(provider, headers=headers, body=body, secret=SECRET, now=NOW)
    except errors.ChatModelsError as exc:
        assert SECRET not in str(exc) and SECRET not in repr(exc)
        return exc
    assert event.provider == provider and event.topic in webhooks.TOPICS
    assert isinstance(event.id, str) and event.id
    return event


def _seed(provider: str) -> Any:
    return json.loads(sample(provider)[1])


@pytest.mark.parametrize("provider", PROVIDERS)
def test_signed_mutated_payloads_give_an_event_or_a_library_error(provider):
    @FUZZ
    @given(mutated(_seed(provider)))
    def check(doc):
        body = json.dumps(doc).encode()
        outcome = _outcome(provider, _sign(provider, body), body)
        if isinstance(outcome, errors.ChatModelsError) and provider != "livechat":
            # the signature was right: only the payload can be wrong (or, for Intercom, the
            # signed created_at inside it too old)
            assert isinstance(outcome, (errors.ValidationError, webhooks.StaleEvent)), repr(
                outcome)

    check()


@pytest.mark.parametrize("provider", PROVIDERS)
def test_signed_random_bytes_and_json_values(provider):
    @FUZZ
    @given(st.binary(max_size=200) | json_values.map(lambda v: json.dumps(v).encode()))
    @example(b"{" * 5000)
    @example(b'{"a": NaN}')
    @example(b"\xef\xbb\xbf{}")
    def check(body):
        _outcome(provider, _sign(provider, body), body)

    check()


@pytest.mark.parametrize("provider", ["intercom", "crisp"])
def test_tampered_bodies_fail_verification(provider):
    headers, original = sample(provider, ts=NOW)

    @FUZZ
    @given(st.integers(0, len(original) - 1), st.binary(min_size=1, max_size=4),
           st.booleans())
    def check(at, data, insert):
        body = original[:at] + data + original[at + (0 if insert else len(data)):]
        outcome = _outcome(provider, headers, body)
        if body == original:
            return
        if isinstance(outcome, webhooks.Event):
            # only Crisp accepts a second form: the same JSON re-serialized (whitespace)
            assert provider == "crisp" and outcome.raw == json.loads(original)
        else:
            assert isinstance(outcome, webhooks.InvalidSignature), repr(outcome)

    check()


header_names = st.sampled_from(["X-Hub-Signature", "X-Crisp-Signature",
                                "X-Crisp-Request-Timestamp", "X-Authorization",
                                "X-Chatmodels-Url-Token", "Content-Type", "x-hub-signature"])
header_values = st.text(max_size=80) | st.sampled_from(
    ["sha1=", "sha1=" + "0" * 40, "=", "0" * 64, "99999999999999999999", "-1", "1e9",
     "MTgwMDAwMDAwMC4=", "\u0663\u0663", "\x00"])


@pytest.mark.parametrize("provider", PROVIDERS)
def test_random_headers_around_a_genuine_body(provider):
    _, body = sample(provider)

    @FUZZ
    @given(st.dictionaries(header_names, header_values, max_size=4)
           | st.lists(st.tuples(st.binary(max_size=20), st.binary(max_size=40)), max_size=3)
           | st.sampled_from([None, 42, "text", [1, 2]]))
    def check(headers):
        _outcome(provider, headers, body)

    check()

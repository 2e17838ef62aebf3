"""Sendbee token signing and verification (API requests and webhooks share the format)."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from chatmodels import sendbee
from chatmodels.sendbee import auth

SECRET = "s3cr3t-api-secret"
NOW = 1_800_000_000


def test_token_is_base64_of_timestamp_dot_hex_hmac():
    token = auth.make_token(SECRET, NOW)
    digest = hmac.new(SECRET.encode(), str(NOW).encode(), hashlib.sha256).hexdigest()
    assert base64.b64decode(token).decode() == f"{NOW}.{digest}"
    assert auth.token_timestamp(token) == NOW


def test_fresh_token_verifies():
    assert sendbee.verify_token(auth.make_token(SECRET, NOW), SECRET, now=NOW + 5)


@pytest.mark.parametrize("age, ok", [
    (0, True), (auth.MAX_TOKEN_AGE, True), (auth.MAX_TOKEN_AGE + 1, False),
    (30 * 24 * 3600, False),        # the official Python client accepts a month-old token
    (-auth.CLOCK_SKEW, True), (-auth.CLOCK_SKEW - 1, False),   # from the future
])
def test_age_is_bounded(age, ok):
    token = auth.make_token(SECRET, NOW - age)
    assert auth.verify_token(token, SECRET, now=NOW) is ok


def test_custom_window():
    token = auth.make_token(SECRET, NOW - 100)
    assert not auth.verify_token(token, SECRET, now=NOW, max_age=60)
    assert auth.verify_token(token, SECRET, now=NOW, max_age=120)


@pytest.mark.parametrize("token", [
    None, "", 42, b"\xff", "not base64!!", base64.b64encode(b"no-dot").decode(),
    base64.b64encode(b"abc.def").decode(),                       # timestamp not decimal
    base64.b64encode(f"{NOW}.".encode()).decode(),               # empty signature
    base64.b64encode(f"{NOW}.{'0' * 64}".encode()).decode(),     # wrong signature
    base64.b64encode("١٢٣.abc".encode()).decode(),               # non-ASCII digits
    "A" * 10_000,                                                 # oversized
])
def test_malformed_or_forged_tokens_are_refused(token):
    assert auth.verify_token(token, SECRET, now=NOW) is False


def test_wrong_secret_and_empty_secret():
    token = auth.make_token(SECRET, NOW)
    assert not auth.verify_token(token, "other", now=NOW)
    assert not auth.verify_token(token, "", now=NOW)


def test_signature_is_compared_in_constant_time(monkeypatch):
    seen = []
    real = hmac.compare_digest

    def spy(a, b):
        seen.append((a, b))
        return real(a, b)
    monkeypatch.setattr(auth.hmac, "compare_digest", spy)
    assert auth.verify_token(auth.make_token(SECRET, NOW), SECRET, now=NOW)
    assert len(seen) == 1


def test_verify_webhook_reads_x_authorization_case_insensitively():
    token = auth.make_token(SECRET, NOW)
    assert sendbee.verify_webhook({"x-authorization": token}, SECRET, now=NOW + 1)
    assert sendbee.verify_webhook({"X-Authorization": token}, SECRET, now=NOW + 1)
    assert not sendbee.verify_webhook({"Authorization": token}, SECRET, now=NOW + 1)
    assert not sendbee.verify_webhook({"X-Authorization": token}, SECRET,
                                      now=NOW + auth.MAX_TOKEN_AGE + 1)


def test_signer_repr_hides_the_secret():
    signer = auth.SendbeeAuth("key-123", SECRET)
    assert SECRET not in repr(signer) and "key-123" not in repr(signer)

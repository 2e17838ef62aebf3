"""Sendbee request signing and token verification (API requests and webhooks share one format).

A token is ``base64("<unix seconds>.<hex HMAC-SHA256(api_secret, "<unix seconds>")>")``. Every
API request carries a fresh one in ``X-Auth-Token`` (with the public key in ``X-Api-Key``);
Sendbee signs each webhook request the same way in ``X-Authorization``.

:func:`verify_token` checks such a token: strict base64, a decimal timestamp, the HMAC compared
in constant time (:func:`hmac.compare_digest`, never ``==``), and a bounded age: at most
:data:`MAX_TOKEN_AGE` seconds old (15 minutes, the window of Sendbee's own PHP client; the
Python client accepts a month) and at most :data:`CLOCK_SKEW` seconds in the future.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from collections.abc import Mapping
from typing import Any

from requests import PreparedRequest
from requests.auth import AuthBase

#: the oldest token accepted, in seconds (webhooks and the simulator's API check)
MAX_TOKEN_AGE = 15 * 60
#: how far in the future a token's timestamp may be (clock skew between hosts), in seconds
CLOCK_SKEW = 60
#: the header Sendbee signs webhook requests with
WEBHOOK_HEADER = "X-Authorization"
_MAX_TOKEN_LENGTH = 256


def make_token(secret: str, timestamp: float | None = None) -> str:
    """The token for ``timestamp`` (default: now), signed with the API ``secret``."""
    ts = str(int(time.time() if timestamp is None else timestamp))
    digest = hmac.new(secret.encode("utf-8"), ts.encode("ascii"), hashlib.sha256).hexdigest()
    return base64.b64encode(f"{ts}.{digest}".encode("ascii")).decode("ascii")


def token_timestamp(token: Any) -> int | None:
    """The timestamp a well-formed token claims (not verified), else ``None``."""
    parts = _split(token)
    return None if parts is None else int(parts[0])


def _split(token: Any) -> tuple[str, str] | None:
    if isinstance(token, bytes):
        try:
            token = token.decode("ascii")
        except UnicodeDecodeError:
            return None
    if not isinstance(token, str) or not token or len(token) > _MAX_TOKEN_LENGTH:
        return None
    try:
        text = base64.b64decode(token.strip(), validate=True).decode("ascii")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    ts, sep, digest = text.partition(".")
    if not sep or not ts.isdigit() or not ts.isascii() or len(ts) > 12:
        return None
    return ts, digest


def verify_token(token: Any, secret: str, *, max_age: float = MAX_TOKEN_AGE,
                 now: float | None = None, skew: float = CLOCK_SKEW) -> bool:
    """True when ``token`` was signed with ``secret`` at most ``max_age`` seconds ago (and at
    most ``skew`` seconds ahead of ``now``). Anything malformed is simply ``False``."""
    if not secret:
        return False
    parts = _split(token)
    if parts is None:
        return False
    ts, digest = parts
    expected = hmac.new(secret.encode("utf-8"), ts.encode("ascii"), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode("ascii"), digest.encode("utf-8", "replace")):
        return False
    age = (time.time() if now is None else now) - int(ts)
    return -skew <= age <= max_age


def verify_webhook(headers: Mapping[str, str], secret: str, *, max_age: float = MAX_TOKEN_AGE,
                   now: float | None = None) -> bool:
    """Verify the ``X-Authorization`` token of a webhook request's headers (any mapping; the
    header name is matched case-insensitively)."""
    token = None
    for key, value in headers.items():
        if key.lower() == WEBHOOK_HEADER.lower():
            token = value
            break
    return verify_token(token, secret, max_age=max_age, now=now)


class SendbeeAuth(AuthBase):
    """Signs each request (retries included) with a fresh ``X-Auth-Token``."""

    def __init__(self, api_key: str, api_secret: str) -> None:
        self._key = api_key
        self._secret = api_secret

    def __call__(self, request: PreparedRequest) -> PreparedRequest:
        request.headers["X-Api-Key"] = self._key
        request.headers["X-Auth-Token"] = make_token(self._secret)
        return request

    def __repr__(self) -> str:
        return "<SendbeeAuth ***>"


__all__ = ["CLOCK_SKEW", "MAX_TOKEN_AGE", "WEBHOOK_HEADER", "SendbeeAuth", "make_token",
           "token_timestamp", "verify_token", "verify_webhook"]

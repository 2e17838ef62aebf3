"""Crisp REST API v1 simulator.

>>> from chatmodels.testing import serve
>>> with serve("crisp", seed=42, contacts=200, conversations=100) as sim:
...     sim.base_url      # "http://127.0.0.1:<port>/v1"
...     sim.credentials   # {"identifier", "key", "website_id", "tier": "plugin"}

Behaviour (sources: the official Go/Node/Python clients, docs.crisp.chat guides, GitHub issues):

* Auth: HTTP Basic ``identifier:key`` plus ``X-Crisp-Tier: plugin``. A wrong keypair is
  401 ``invalid_session``. A missing ``X-Crisp-Tier`` means tier ``user`` (the official clients'
  default) and the plugin keypair is not a user session, so that is 401 ``invalid_session`` too;
  any tier other than ``plugin`` (``user``, ``website``, garbage) behaves the same.
* Unknown website id: 404 ``not_subscribed`` (the plugin is not installed on that website).
* Envelope ``{"error": bool, "reason": str, "data": ...}`` on every answer; validation errors are
  400 ``invalid_data`` with ``data = {"namespace", "message"}``; missing objects 404
  ``not_found``; duplicate profile email 409 ``people_exists``; rate limiting 429
  ``rate_limited`` (Crisp also documents 420 "Enhance Your Calm"; its reason string is not
  documented). No ``X-RateLimit-*`` headers (Crisp documents none). As a simulator convenience
  (not documented by Crisp, do not rely on it) a 429 carries ``Retry-After``: the
  ``throttle(retry_after=...)`` delay, or the seconds until a ``rate_limit()`` window resets.
* Profiles and conversations: a conversation is linked to the people profile whose email is in
  its meta (``PATCH .../meta`` with an ``email`` sets ``people_id``, or clears it when no
  profile has that email); a profile created (or given a new email) takes over the
  conversations whose meta email matches, as Crisp merges them. Seeded data follows the rule.
* ``DELETE /people/suggest/segment`` ``{"segment": name}`` removes the segment from every
  profile (404 ``not_found`` when no profile nor suggestion has it).
* Messages: ``POST .../message`` keeps a client ``timestamp`` (ms) and ``fingerprint`` (a
  positive integer). A fingerprint already used in the same conversation is 409
  ``message_exists``: Crisp documents no reason for that case, the string is the simulator's.
* Paging: 1-based page number in the path, 20 per page (``per_page`` 20..50 where Crisp supports
  it); a page past the end answers ``data: []``. Messages: batches of 40 oldest-first, 206 while
  older messages remain (``?timestamp_before=<ms>`` to go back), 200 on the last batch.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import math
import random
from typing import Any

from .. import register
from ..base import BaseSimulator, Context, SimError
from . import responses
from .models import CrispState, new_uuid
from .seed import populate as _populate
from .urls import PREFIX, ROUTES

__all__ = ["MESSAGES_BATCH", "PAGE_SIZE", "CrispSimulator", "CrispState", "Simulator"]

VALID_TIERS = ("user", "plugin", "website")


class CrispSimulator(BaseSimulator):
    """In-memory Crisp (REST API v1, plugin tier) served over HTTP by the testing framework."""

    name = "crisp"
    routes = ROUTES
    default_counts = {"contacts": 50}
    request_id_header = None
    redacted_headers = frozenset({"authorization", "cookie"})
    invalid_json_error = (400, "invalid_data", "The request body is not valid JSON")
    not_found_error = (404, "not_found", "Route not found")
    method_not_allowed_error = (405, "not_allowed", "Method not allowed on this route")
    rate_limit_error = ("rate_limited", "Too many requests")
    #: Plugin daily quota advertised (Crisp's default plugin quota is 5,000 requests/day).
    advertised_rate_limit = (5000, 86400.0)

    # ------------------------------------------------------------------ base_url under /v1
    @property  # type: ignore[override]
    def base_url(self) -> str | None:
        root = self.__dict__.get("_root_url")
        return None if root is None else root + PREFIX

    @base_url.setter
    def base_url(self, value: str | None) -> None:
        if value is not None and value.endswith(PREFIX):
            value = value[: -len(PREFIX)]
        self.__dict__["_root_url"] = value

    @property
    def root_url(self) -> str | None:
        """The server root (``base_url`` without ``/v1``)."""
        return self.__dict__.get("_root_url")

    # ------------------------------------------------------------------ provider hooks
    def make_credentials(self) -> dict[str, Any]:
        rng = random.Random(f"crisp-credentials:{self.seed_value}")
        return {
            "identifier": new_uuid(rng),
            "key": f"{rng.getrandbits(256):064x}",
            "website_id": new_uuid(rng),
            "tier": "plugin",
        }

    def create_state(self) -> CrispState:
        return CrispState()

    def populate(self, state: CrispState, rng: random.Random, **counts: int) -> None:
        _populate(state, rng, self.credentials, **counts)

    def authenticate(self, ctx: Context) -> None:
        header = ctx.headers.get("Authorization", "")
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic" or not encoded:
            raise SimError(401, "invalid_session", "Missing or malformed Basic authorization")
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise SimError(401, "invalid_session", "Malformed Basic authorization") from None
        identifier, sep, key = decoded.partition(":")
        good = (sep == ":"
                and hmac.compare_digest(identifier, self.credentials["identifier"])
                and hmac.compare_digest(key, self.credentials["key"]))
        if not good:
            raise SimError(401, "invalid_session", "Invalid identifier or key")
        tier = (ctx.headers.get("X-Crisp-Tier") or "user").strip().lower()
        if tier != self.credentials["tier"]:
            # The keypair is a plugin token: under any other tier it is not a valid session.
            raise SimError(401, "invalid_session",
                           f"The token is not a valid session for tier {tier!r}")
        ctx.token = identifier

    def error_body(self, status: int, code: str, message: str, ctx: Context | None,
                   request_id: str, extra: dict[str, Any]) -> Any:
        data: dict[str, Any] = dict(extra) if extra else {}
        if not data and code == "invalid_data":
            data = {"namespace": "data", "message": message}
        return {"error": True, "reason": code, "data": data}

    def default_error(self, status: int) -> tuple[str, str]:
        mapping = {
            400: ("invalid_data", "Invalid data"),
            401: ("invalid_session", "Invalid session"),
            402: ("payment_required", "Payment required"),
            403: ("not_allowed", "Not allowed"),
            404: ("not_found", "Not found"),
            405: ("not_allowed", "Method not allowed"),
            409: ("conflict", "Conflict"),
            420: self.rate_limit_error,
            429: self.rate_limit_error,
            500: ("internal_error", "Internal server error"),
            502: ("bad_gateway", "Bad gateway"),
            503: ("service_unavailable", "Service unavailable"),
            504: ("gateway_timeout", "Gateway timeout"),
        }
        return mapping.get(status, ("internal_error" if status >= 500 else "error", "Error"))

    def rate_limit_headers(self, limit: int, remaining: int, reset: int,
                           retry_after: float | None) -> dict[str, str]:
        # Crisp documents no rate-limit headers; only tell the client when to retry if we know.
        if retry_after is None:
            return {}
        return {"Retry-After": str(max(0, math.ceil(retry_after)))}


#: Name looked up by :func:`chatmodels.testing.get_simulator_class`.
Simulator = CrispSimulator
register("crisp", CrispSimulator)

#: Page size of paged lists and size of a "Get Messages In Conversation" batch.
PAGE_SIZE = responses.PAGE_SIZE
MESSAGES_BATCH = responses.MESSAGES_BATCH

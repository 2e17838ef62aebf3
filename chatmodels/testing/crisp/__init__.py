"""Crisp REST API v1 simulator.

>>> from chatmodels.testing import serve
>>> with serve("crisp", seed=42, contacts=200, conversations=100) as sim:
...     sim.base_url      # "http://127.0.0.1:<port>/v1"
...     sim.credentials   # {"identifier", "key", "website_id", "tier": "plugin"}

Behaviour (sources: the official Go/Node/Python clients, docs.crisp.chat guides, GitHub issues):

* Auth: HTTP Basic ``identifier:key`` plus ``X-Crisp-Tier: plugin``. A wrong keypair, a missing
  ``X-Crisp-Tier`` or an unknown tier is 401 ``invalid_session``. A good keypair under another
  Crisp tier (``user``, ``website``) is 403 ``restricted_route_tier``: the plugin token's routes
  are not open to that tier. ``restrict_route(path, tiers=...)`` closes routes to other tiers
  (the plugin's own included), for tests of the permission path.
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
* Webhooks: ``sim.subscribe(url, topics=...)`` receives Crisp's hook of each API write
  (``message:send``, ``session:set_state``, ``people:profile:created``...: :mod:`.webhooks`),
  signed with ``X-Crisp-Signature`` and ``sim.credentials["webhook_secret"]``.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import math
import random
import re
from collections.abc import Mapping
from typing import Any

from .. import register
from ..base import BaseSimulator, Context, SimError
from ..webhooks import WebhookEvent
from . import responses
from . import webhooks as _webhooks
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

    path_prefix = PREFIX

    # ------------------------------------------------------------------ provider hooks
    def __init__(self, seed: int = 0, **counts: int) -> None:
        #: per-route tier rules (method or None, path prefix/regex, allowed tiers)
        self.route_tiers: list[tuple[str | None, str, frozenset[str]]] = []
        super().__init__(seed, **counts)

    def make_credentials(self) -> dict[str, Any]:
        rng = random.Random(f"crisp-credentials:{self.seed_value}")
        return {
            "identifier": new_uuid(rng),
            "key": f"{rng.getrandbits(256):064x}",
            "website_id": new_uuid(rng),
            "tier": "plugin",
        }

    def request_webhooks(self, ctx: Context, endpoint: Any, values: Mapping[str, Any],
                         answer: Any) -> None:
        name = getattr(endpoint, "__name__", "")
        for event, data in _webhooks.events_for(ctx, name, values, answer):
            self.emit_webhook(event, data)

    def render_webhook(self, event: WebhookEvent, attempt: int,
                       ) -> tuple[str, dict[str, str], bytes]:
        return _webhooks.render(event, attempt, self.credentials["website_id"])

    def create_state(self) -> CrispState:
        return CrispState()

    def populate(self, state: CrispState, rng: random.Random, **counts: int) -> None:
        state.files = self.files  # seeded file messages point at stored files
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
        header = ctx.headers.get("X-Crisp-Tier")
        tier = (header or "").strip().lower()
        if tier not in VALID_TIERS:
            # no (or an unknown) tier: the keypair is no session at all
            raise SimError(401, "invalid_session",
                           "Missing or unknown X-Crisp-Tier" if header is None
                           else f"Unknown tier {tier!r}")
        if tier != self.credentials["tier"] or not self._tier_allowed(ctx, tier):
            raise SimError(403, "restricted_route_tier",
                           f"This route is not available to the {tier} tier")
        ctx.token = identifier

    def restrict_route(self, path: str, tiers: tuple[str, ...] | list[str] = (),
                       method: str | None = None) -> None:
        """Allow only ``tiers`` on the routes whose path (after ``/v1``) starts with ``path`` or
        fully matches it as a regex (``method``: only that method). Requests from any other tier
        get 403 ``restricted_route_tier``. :meth:`reset` and :meth:`clear_route_restrictions`
        drop the restrictions."""
        bad = sorted(set(tiers) - set(VALID_TIERS))
        if bad:
            raise ValueError(f"unknown tier(s): {', '.join(bad)}")
        with self._meta_lock:
            self.route_tiers.append((None if method is None else method.upper(), PREFIX + path,
                                     frozenset(tiers)))

    def reset(self) -> None:
        self.clear_route_restrictions()
        super().reset()

    def clear_route_restrictions(self) -> None:
        with self._meta_lock:
            self.route_tiers.clear()

    def _tier_allowed(self, ctx: Context, tier: str) -> bool:
        method, path = ctx.request.method, ctx.request.path
        with self._meta_lock:
            rules = list(self.route_tiers)
        for rule_method, prefix, tiers in rules:
            if rule_method is not None and rule_method != method:
                continue
            if path.startswith(prefix) or _fullmatch(prefix, path):
                if tier not in tiers:
                    return False
        return True

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


def _fullmatch(pattern: str, path: str) -> bool:
    try:
        return re.fullmatch(pattern, path) is not None
    except re.error:
        return False


#: Name looked up by :func:`chatmodels.testing.get_simulator_class`.
Simulator = CrispSimulator
register("crisp", CrispSimulator)

#: Page size of paged lists and size of a "Get Messages In Conversation" batch.
PAGE_SIZE = responses.PAGE_SIZE
MESSAGES_BATCH = responses.MESSAGES_BATCH

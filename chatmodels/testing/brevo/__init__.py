"""Brevo API v3 simulator (Conversations + Contacts/CRM).

>>> from chatmodels.testing import serve
>>> with serve("brevo", seed=42, contacts=200, conversations=20) as sim:
...     sim.base_url      # "http://127.0.0.1:<port>/v3"
...     sim.credentials   # {"api_key": "xkeysib-...", "webhook_dir": "/tmp/..."}
...     sim.outbox        # the conversation webhook payloads Brevo would have posted

Behaviour (sources: the official Swagger 2.0 of API v3 and the v4 SDK's wiremock stubs; where
they are silent the choices are listed in docs/brevo.md):

* Auth: ``api-key`` header; a missing or wrong key is 401 ``unauthorized`` "Key not found".
  A ``partner-key`` header, when sent, must be the simulator's ``partner_key``.
* Errors: ``{"code", "message"}`` with the spec's codes (``document_not_found``,
  ``duplicate_parameter``, ``invalid_parameter``, ``missing_parameter``, ``out_of_range``...).
  429 is ``too_many_requests``.
* Every answer carries ``x-sib-ratelimit-limit``, ``-remaining`` and ``-reset`` (seconds until
  the window resets).
* Statuses as the Swagger: creates 201 ``{"id"}`` (contacts, lists, folders) or 200 (companies,
  notes), updates and deletes 204 without a body (company PATCH answers the company).
* Lists page by ``limit``/``offset`` with ``count``; companies by ``page``/``limit``.
* Conversations: every message added (API or :meth:`BrevoSimulator.visitor_says`) appends a
  ``conversationStarted`` (first message of the visitor's open conversation) or
  ``conversationFragment`` payload to ``outbox``; :meth:`BrevoSimulator.close_conversation`
  appends the ``conversationTranscript``. Seeded conversations are in the outbox too.
* The simulator is also your webhook receiver: each outbox payload is saved, as it is
  posted, to ``<webhook_dir>/<n>.json`` (a temporary directory of the simulator's, emptied by
  ``reset()``), and ``sim.credentials`` carries ``webhook_dir``, so
  ``brevo.connect(base_url=sim.base_url, **sim.credentials)`` reads conversations and agents
  (``Conversation.all()``, ``Agent.all()``) as a migration source does.
* Webhooks: ``sim.subscribe(url, topics=...)`` also POSTs each outbox payload emitted after it
  (topic: its ``eventName``) to ``url?token=<secret>``: Brevo signs nothing, the shared secret
  (``sim.credentials["webhook_secret"]``) rides in the URL as its ``token`` query parameter.
  Seeded conversations are in the outbox but are not delivered.
"""

from __future__ import annotations

import hmac
import json
import math
import pathlib
import random
import tempfile
import time
from typing import Any
from urllib.parse import quote

from .. import register
from ..base import BaseSimulator, Context, SimError
from ..webhooks import WebhookEvent
from .models import BrevoState
from .seed import populate as _populate
from .urls import PREFIX, ROUTES

__all__ = ["BrevoSimulator", "BrevoState", "Simulator"]


class BrevoSimulator(BaseSimulator):
    """In-memory Brevo (API v3) served over HTTP by the testing framework."""

    name = "brevo"
    routes = ROUTES
    default_counts = {"contacts": 50, "companies": 5, "notes": 20, "events": 20,
                      "conversations": 10}
    request_id_header = None
    redacted_headers = frozenset({"api-key", "partner-key", "authorization", "cookie"})
    invalid_json_error = (400, "bad_request", "Input must be a valid JSON object")
    not_found_error = (404, "document_not_found", "Route not found")
    method_not_allowed_error = (405, "method_not_allowed", "Method is not allowed on this path")
    rate_limit_error = ("too_many_requests", "The expected rate limit is exceeded.")
    advertised_rate_limit = (300, 1.0)

    path_prefix = PREFIX

    # -- provider hooks ------------------------------------------------------------------------
    def make_credentials(self) -> dict[str, Any]:
        rng = random.Random(f"brevo-credentials:{self.seed_value}")
        self.partner_key = f"xkeysib-partner-{rng.getrandbits(128):032x}"
        # removed with the simulator object (or at exit)
        self._webhooks = tempfile.TemporaryDirectory(prefix="brevo-webhooks-")
        return {"api_key": f"xkeysib-{rng.getrandbits(256):064x}-{rng.getrandbits(64):016x}",
                "webhook_dir": self._webhooks.name}

    @property
    def webhook_dir(self) -> str:
        """The directory the outbox payloads are saved to, one ``<n>.json`` file each."""
        return str(self.credentials["webhook_dir"])

    def create_state(self) -> BrevoState:
        folder = pathlib.Path(self.webhook_dir)
        for old in folder.glob("*.json"):
            old.unlink()
        state = BrevoState()
        saved = [0]

        def save(payload: dict[str, Any]) -> None:
            saved[0] += 1
            part = folder / f".{saved[0]:06d}.part"
            part.write_text(json.dumps(payload), encoding="utf-8")
            part.replace(folder / f"{saved[0]:06d}.json")  # never a half-written file
            self.emit_webhook(str(payload.get("eventName")), payload)

        state.on_emit = save
        return state

    def render_webhook(self, event: WebhookEvent, attempt: int,
                       ) -> tuple[str, dict[str, str], bytes]:
        url = event.subscription.url
        url += ("&" if "?" in url else "?") + "token=" + quote(event.subscription.secret, safe="")
        body = json.dumps(event.data, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        return url, {"Content-Type": "application/json"}, body

    def populate(self, state: BrevoState, rng: random.Random, **counts: int) -> None:
        _populate(state, rng, **counts)

    def authenticate(self, ctx: Context) -> None:
        key = ctx.headers.get("api-key") or ""
        if not key or not hmac.compare_digest(key, self.credentials["api_key"]):
            raise SimError(401, "unauthorized", "Key not found")
        partner = ctx.headers.get("partner-key")
        if partner is not None and not hmac.compare_digest(partner, self.partner_key):
            raise SimError(401, "unauthorized", "Partner key not found")
        ctx.token = "api-key"

    def error_body(self, status: int, code: str, message: str, ctx: Context | None,
                   request_id: str, extra: dict[str, Any]) -> Any:
        return {"code": code, "message": message}

    def default_error(self, status: int) -> tuple[str, str]:
        mapping = {
            400: ("bad_request", "Bad request"),
            401: ("unauthorized", "Key not found"),
            402: ("not_enough_credits", "Not enough credits"),
            403: ("permission_denied", "Permission denied"),
            404: ("document_not_found", "Document not found"),
            405: ("method_not_allowed", "Method not allowed"),
            409: ("duplicate_request", "Duplicate request"),
            422: ("unprocessable_entity", "Unprocessable entity"),
            429: self.rate_limit_error,
        }
        if status in mapping:
            return mapping[status]
        return ("internal_error", "Internal server error") if status >= 500 else (
            "bad_request", "Error")

    def rate_limit_headers(self, limit: int, remaining: int, reset: int,
                           retry_after: float | None) -> dict[str, str]:
        wait = max(0, math.ceil(reset - time.time())) if retry_after is None else max(
            0, math.ceil(retry_after))
        return {"x-sib-ratelimit-limit": str(limit),
                "x-sib-ratelimit-remaining": str(max(0, remaining)),
                "x-sib-ratelimit-reset": str(wait)}

    # -- conversations ---------------------------------------------------------------------------
    @property
    def outbox(self) -> list[dict[str, Any]]:
        """The conversation webhook payloads Brevo would have posted, oldest first."""
        return self.state.outbox  # type: ignore[no-any-return]

    def visitor_says(self, visitor_id: str, text: str) -> dict[str, Any]:
        """A visitor writes in the chat widget: stores the message, emits its webhook."""
        with self.lock:
            return dict(self.state.add_message(visitor_id, text, agent=None))

    def close_conversation(self, visitor_id: str) -> dict[str, Any] | None:
        """The visitor's conversation ends: emits and returns its transcript payload."""
        with self.lock:
            return self.state.close(visitor_id)  # type: ignore[no-any-return]


#: Name looked up by :func:`chatmodels.testing.get_simulator_class`.
Simulator = BrevoSimulator
register("brevo", BrevoSimulator)

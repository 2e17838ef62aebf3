"""Sendbee API v2 simulator.

>>> from chatmodels.testing import serve
>>> with serve("sendbee", seed=42, contacts=200, conversations=60) as sim:
...     sim.base_url      # "http://127.0.0.1:<port>"
...     sim.credentials   # {"api_key", "api_secret"}

Behaviour (sources: Sendbee's official Python and PHP clients; where they are silent the
simulator chose, as listed in docs/sendbee.md):

* Auth: ``X-Api-Key`` must be the key, ``X-Auth-Token`` a token signed with the secret
  (``chatmodels.sendbee.auth``) at most 15 minutes old and at most a minute ahead: anything else
  is 401 ``authentication_failed``.
* Envelope ``{"data", "meta", "links"}``; a ``warning`` when a request was applied with
  something ignored (an unknown contact field). Errors ``{"error": {"detail", "type"}}``.
* Paging: ``page`` and ``limit`` (default 10, at most 100; more is a 400); conversation
  messages 10 a page, oldest first; team members in one answer without ``meta``.
* Rate limit: 60 requests a minute for the whole business number by default (``serve("sendbee",
  requests_per_minute=0)`` turns it off, ``sim.rate_limit(n, window)`` changes it; ``reset()``
  restores the constructor's setting). A window opens with its first request. Answers carry ``X-RateLimit-Limit/-Remaining/-Reset``;
  a 429 adds ``Retry-After``.
* WhatsApp: a free-form message is refused (400 ``messaging_window_closed``) unless the
  contact wrote in the last 24 hours; templates must be approved and get every placeholder.
  Sending a message turns the conversation's chatbot off unless ``prevent_bot_off``.
* Webhooks: ``sim.outbox`` lists the requests Sendbee would post for changes made through the
  API (``contact.created``, ``contact.subscription_updated``, ``message.sent``) and for
  :meth:`SendbeeSimulator.receive_message` (``message.received``), each
  ``{"headers": {"X-Authorization": <token signed now with the api secret>}, "body": bytes}``;
  ``chatmodels.sendbee.webhooks.parse`` reads them. Seeded data sends none.
  ``sim.subscribe(url, topics=...)`` POSTs each of them emitted after it (topic: its ``type``),
  with a token signed at each attempt with ``sim.credentials["webhook_secret"]`` (the API
  secret, unless the subscription was given another).
"""

from __future__ import annotations

import hmac
import json
import math
import random
from typing import Any

from chatmodels.sendbee.auth import WEBHOOK_HEADER, make_token, verify_token

from .. import register
from ..base import BaseSimulator, Context, SimError, _RateWindow
from ..webhooks import WebhookEvent
from .models import SendbeeState
from .seed import populate as _populate
from .urls import ROUTES

__all__ = ["SendbeeSimulator", "SendbeeState", "Simulator"]


class SendbeeSimulator(BaseSimulator):
    """In-memory Sendbee (API v2, one business number) served over HTTP."""

    name = "sendbee"
    routes = ROUTES
    default_counts = {"contacts": 50}
    request_id_header = None
    redacted_headers = frozenset({"authorization", "cookie", "x-api-key", "x-auth-token"})
    advertised_rate_limit = (60, 60.0)
    invalid_json_error = (400, "invalid_json", "The request body is not valid JSON.")
    not_found_error = (404, "not_found", "Endpoint not found")
    method_not_allowed_error = (405, "method_not_allowed", "Method not allowed")
    rate_limit_error = ("rate_limit_exceeded", "Too many requests: 60 per minute per "
                                               "business number.")

    def __init__(self, seed: int = 0, *, requests_per_minute: int = 60,
                 rate_window: float = 60.0, **counts: int) -> None:
        self._default_limit = (int(requests_per_minute), float(rate_window))
        super().__init__(seed=seed, **counts)
        self._apply_default_limit()

    def _apply_default_limit(self) -> None:
        limit, window = self._default_limit
        self.rate_limit(limit if limit > 0 else None, window)

    def reset(self) -> None:
        super().reset()
        self._apply_default_limit()

    def _count_request(self, key: str, now: float, count: bool = True,
                       ) -> tuple[bool, dict[str, str]]:
        """As the base class, but a window starts with its first request (not on a wall-clock
        boundary), so a burst is never split in two windows by chance."""
        with self._meta_lock:
            enforced = self._rate_limit
            limit, window = enforced or self.advertised_rate_limit
            win = self._windows.get(key)
            if win is None or now >= win.start + window:
                win = self._windows[key] = _RateWindow(now)
            reset = math.ceil(win.start + window)
            if enforced is not None and win.count >= limit:
                return False, self.rate_limit_headers(limit, 0, reset,
                                                      win.start + window - now)
            if count:
                win.count += 1
            remaining = max(0, limit - win.count)
        return True, self.rate_limit_headers(limit, remaining, reset, None)

    # ------------------------------------------------------------------ webhooks
    @property
    def outbox(self) -> list[dict[str, Any]]:
        """The webhook requests for the changes so far (oldest first), signed now."""
        with self.lock:
            events = [dict(e) for e in self.state.events]
        token = make_token(self.credentials["api_secret"])
        return [{"headers": {"Content-Type": "application/json", WEBHOOK_HEADER: token},
                 "body": json.dumps(e).encode("utf-8")} for e in events]

    def receive_message(self, phone: str, text: str) -> dict[str, Any]:
        """The contact ``phone`` (created if new) writes ``text``: the message (opening the
        24-hour window) and its ``message.received`` webhook."""
        with self.lock:
            state: SendbeeState = self.state
            cid = state.phones.get(phone)
            contact = state.contacts[cid] if cid else None
            if contact is None:
                contact = state.add_contact(state.check_phone(phone))
                state.emit("contact.created", "contact", state.contact_view(contact))
            conv = state.conversation_for(contact)
            message = state.add_message(conv, body=text, direction="inbound")
            state.emit("message.received", "message", state.message_view(message))
            return state.message_view(message)

    # ------------------------------------------------------------------ provider hooks
    def make_credentials(self) -> dict[str, Any]:
        rng = random.Random(f"sendbee-credentials:{self.seed_value}")
        return {"api_key": f"{rng.getrandbits(160):040x}",
                "api_secret": f"{rng.getrandbits(256):064x}"}

    def make_webhook_secret(self) -> str:
        """Sendbee signs its webhooks with the API secret."""
        return str(self.credentials["api_secret"])

    def render_webhook(self, event: WebhookEvent, attempt: int,
                       ) -> tuple[str, dict[str, str], bytes]:
        headers = {"Content-Type": "application/json",
                   WEBHOOK_HEADER: make_token(event.subscription.secret)}
        return event.subscription.url, headers, json.dumps(event.data).encode("utf-8")

    def create_state(self) -> SendbeeState:
        state = SendbeeState()
        state.on_emit = lambda event: self.emit_webhook(str(event["type"]), event)
        return state

    def populate(self, state: SendbeeState, rng: random.Random, **counts: int) -> None:
        _populate(state, rng, **counts)

    def authenticate(self, ctx: Context) -> None:
        key = ctx.headers.get("X-Api-Key") or ""
        if not key or not hmac.compare_digest(key.encode(), self.credentials["api_key"].encode()):
            raise SimError(401, "authentication_failed", "Invalid or missing API key.")
        if not verify_token(ctx.headers.get("X-Auth-Token"), self.credentials["api_secret"]):
            raise SimError(401, "authentication_failed",
                           "Invalid or expired X-Auth-Token.")
        ctx.token = "business"

    def error_body(self, status: int, code: str, message: str, ctx: Context | None,
                   request_id: str, extra: dict[str, Any]) -> Any:
        return {"error": {"detail": message, "type": code}}

    def default_error(self, status: int) -> tuple[str, str]:
        mapping = {
            400: ("validation_error", "Bad request"),
            401: ("authentication_failed", "Authentication failed"),
            403: ("forbidden", "Forbidden"),
            404: ("not_found", "Endpoint not found"),
            429: self.rate_limit_error,
            500: ("server_error", "Internal server error"),
            502: ("bad_gateway", "Bad gateway"),
            503: ("service_unavailable", "Service unavailable"),
        }
        return mapping.get(status, ("server_error" if status >= 500 else "error", "Error"))


#: Name looked up by :func:`chatmodels.testing.get_simulator_class`.
Simulator = SendbeeSimulator
register("sendbee", SendbeeSimulator)

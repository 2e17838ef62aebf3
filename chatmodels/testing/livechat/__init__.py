"""LiveChat simulator: Agent Chat Web API v3.6 and Configuration API v3.6.

>>> from chatmodels.testing import serve
>>> with serve("livechat", seed=42, chats=100, customers=40) as sim:
...     sim.base_url      # "http://127.0.0.1:<port>"
...     sim.credentials   # {"account_id", "token"} (a personal access token)

Behaviour (source: the v3.6 docs and payloads; where they are silent, the choice is ours and
listed in docs/livechat.md):

* One route per API, ``POST /v3.6/<api>/action/<action>``, dispatching on the action name; an
  unknown action is 404 ``not_found``, another version 400 ``unsupported_version`` (as is an
  ``X-API-Version`` header other than ``3.6``); any method but POST is 405.
* Auth: Basic ``account_id:token`` (PAT) or ``Bearer <sim.bearer_token>``; anything else is
  401 ``authentication``. The requester is the license owner (``sim.state.me``).
* Errors: ``{"error": {"type", "message"}}`` with the statuses listed in ``common.py``.
* Paging: ``page_id``/``next_page_id``/``previous_page_id`` over a snapshot taken on the first
  page; filters, ``limit`` (1..100) and ``sort_order`` only on the first page (with a
  ``page_id``: 400 ``validation``); an unknown or expired ``page_id`` (older than
  ``sim.page_id_ttl``, one month; ``sim.expire_page_ids()`` ages them all) is 400
  ``validation`` naming `page_id`.
* Rate limiting: 429 ``too_many_requests`` ("Requests limit reached"); no rate-limit headers
  (LiveChat documents none) except ``Retry-After`` when the simulator knows the wait.
* Webhooks: actions that change state POST the v3.6 webhook (``incoming_chat``,
  ``incoming_event``, ``chat_deactivated``...: :mod:`.webhooks`) to the URLs registered with
  ``register_webhook`` (with their ``secret_key``) and to ``sim.subscribe()`` subscriptions
  (``secret_key``: ``sim.credentials["webhook_secret"]`` unless given).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import math
import random
import uuid
from collections.abc import Mapping
from typing import Any

from .. import register
from ..base import BaseSimulator, Context, SimError
from ..webhooks import Subscription, WebhookEvent
from . import webhooks as _webhooks
from .common import PAGE_TTL, STATUSES
from .models import LiveChatState
from .seed import populate as _populate
from .urls import ROUTES, VERSION

#: error types about the state of a chat or an agent, not about a request
STATE_ERRORS = frozenset({"chat_inactive", "agent_offline"})

__all__ = ["LiveChatSimulator", "LiveChatState", "Simulator"]


class LiveChatSimulator(BaseSimulator):
    """In-memory LiveChat license served over HTTP by the testing framework."""

    name = "livechat"
    routes = ROUTES
    default_counts = {"chats": 30, "customers": 20}
    request_id_header = None
    redacted_headers = frozenset({"authorization", "cookie"})
    invalid_json_error = (400, "validation", "Invalid JSON body")
    not_found_error = (404, "not_found", "Not found")
    method_not_allowed_error = (405, "validation", "Method not allowed, use POST")
    rate_limit_error = ("too_many_requests", "Requests limit reached")

    def __init__(self, seed: int = 0, **counts: int) -> None:
        # the generic names (``chatmodels sandbox --contacts/--conversations``)
        for generic, own in (("contacts", "customers"), ("conversations", "chats")):
            if generic in counts:
                value = counts.pop(generic)
                counts.setdefault(own, value)
        self.page_id_ttl = PAGE_TTL
        super().__init__(seed=seed, **counts)
        rng = random.Random(f"livechat-bearer:{seed}")
        self.bearer_token = f"dal:{base64.urlsafe_b64encode(rng.randbytes(24)).decode()}"
        #: the ``organization_id`` webhooks carry
        self.organization_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))

    def make_credentials(self) -> dict[str, Any]:
        rng = random.Random(f"livechat-credentials:{self.seed_value}")
        return {"account_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "token": f"dal:{base64.urlsafe_b64encode(rng.randbytes(24)).decode()}"}

    # -- webhooks --------------------------------------------------------------------------
    def has_webhook_targets(self) -> bool:
        return super().has_webhook_targets() or bool(self.state.webhooks)

    def webhook_targets(self, topic: str) -> list[Subscription]:
        return _webhooks.registrations(self.state, topic) + super().webhook_targets(topic)

    def request_webhooks(self, ctx: Context, endpoint: Any, values: Mapping[str, Any],
                         answer: Any) -> None:
        api = "configuration" if getattr(endpoint, "__name__", "") == "_configuration" \
            else "agent"
        body = ctx.json if isinstance(ctx.json, dict) else {}
        state = self.state
        for action, payload, chat_id in _webhooks.events_for(state, api, str(values["action"]),
                                                             body, answer):
            for sub in self.webhook_targets(action):
                if not _webhooks.wanted(sub, action, payload, state):
                    continue
                data: dict[str, Any] = {"payload": payload,
                                        "additional_data": _webhooks.additional(sub, state,
                                                                                chat_id)}
                if api == "configuration":
                    data["requester"] = {"user_id": state.me,
                                         "account_id": self.credentials["account_id"],
                                         "client_id": sub.extra.get("owner_client_id",
                                                                    "chatmodels-simulator")}
                self.emit_webhook(action, data, targets=[sub])

    def render_webhook(self, event: WebhookEvent, attempt: int,
                       ) -> tuple[str, dict[str, str], bytes]:
        return _webhooks.render(event, attempt, self.organization_id)

    def create_state(self) -> LiveChatState:
        return LiveChatState()

    def populate(self, state: LiveChatState, rng: random.Random, **counts: int) -> None:
        state.files = self.files  # seeded file events point at stored files
        _populate(state, rng, **counts)

    def expire_page_ids(self) -> None:
        """Age every issued ``page_id`` past its lifetime."""
        with self.lock:
            for record in self.state.pages.values():
                record["created"] -= self.page_id_ttl + 1

    def authenticate(self, ctx: Context) -> None:
        header = ctx.headers.get("Authorization", "")
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "bearer" and value:
            if hmac.compare_digest(value.strip(), self.bearer_token):
                return
            raise SimError(401, "authentication", "Invalid access token")
        if scheme.lower() != "basic" or not value:
            raise SimError(401, "authentication", "Missing or malformed authorization")
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise SimError(401, "authentication", "Malformed Basic authorization") from None
        account, sep, token = decoded.partition(":")
        if not (sep and hmac.compare_digest(account, self.credentials["account_id"])
                and hmac.compare_digest(token, self.credentials["token"])):
            raise SimError(401, "authentication", "Invalid access token")

    def check_request(self, ctx: Context) -> None:
        version = ctx.headers.get("X-API-Version")
        if version is not None and version != VERSION:
            raise SimError(400, "unsupported_version", f"Unsupported version: {version}")

    def error_body(self, status: int, code: str, message: str, ctx: Context | None,
                   request_id: str, extra: dict[str, Any]) -> Any:
        error: dict[str, Any] = {"type": code, "message": message}
        if extra:
            error["data"] = extra
        return {"error": error}

    def default_error(self, status: int) -> tuple[str, str]:
        """The error of an injected failure: a generic type of that status, never one that
        describes a chat's or an agent's state (a bare 422 is a ``validation``)."""
        for kind, code in STATUSES.items():
            if code == status and kind not in STATE_ERRORS:
                return kind, kind.replace("_", " ").capitalize()
        return ("internal" if status >= 500 else "validation"), "Error"

    def rate_limit_headers(self, limit: int, remaining: int, reset: int,
                           retry_after: float | None) -> dict[str, str]:
        if retry_after is None:
            return {}
        return {"Retry-After": str(max(0, math.ceil(retry_after)))}


#: Name looked up by :func:`chatmodels.testing.get_simulator_class`.
Simulator = LiveChatSimulator
register("livechat", LiveChatSimulator)

"""Intercom REST API 2.16 simulator.

>>> from chatmodels.testing import serve
>>> with serve("intercom", seed=42, contacts=250) as sim:
...     requests.get(sim.base_url + "/contacts",
...                  headers={"Authorization": f"Bearer {sim.credentials['access_token']}"})

Counts: ``contacts`` (default 100), ``companies`` (contacts // 20), ``conversations``
(contacts // 2). ``sim.state`` is an :class:`~.models.IntercomBackend`.

Webhooks: ``sim.subscribe(url, topics=...)`` receives the ``notification_event`` of each API
write (topics and shapes in :mod:`.webhooks`), signed with ``X-Hub-Signature`` and the app's
client secret ``sim.credentials["webhook_secret"]``.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Mapping
from typing import Any

from .. import register
from ..base import BaseSimulator, Context, SimError
from ..webhooks import WebhookEvent
from . import webhooks as _webhooks
from .models import IntercomBackend
from .seed import populate
from .urls import routes

__all__ = ["IntercomBackend", "IntercomSimulator", "Simulator"]

_VERSION = re.compile(r"^(1\.[0-4]|2\.\d{1,2})$")


class IntercomSimulator(BaseSimulator):
    name = "intercom"
    routes = routes
    default_counts = {"contacts": 100}
    request_id_header = "X-Request-Id"
    advertised_rate_limit = (10000, 60.0)
    invalid_json_error = (400, "parameter_invalid", "Invalid JSON body")
    not_found_error = (404, "not_found", "Resource Not Found")
    method_not_allowed_error = (404, "not_found", "Resource Not Found")
    rate_limit_error = ("rate_limit_exceeded", "Rate Limit Exceeded")

    def __init__(self, seed: int = 0, **counts: int) -> None:
        #: Reference time of generated data: start of the current UTC day (kept across reset()).
        self.anchor = int(time.time()) // 86400 * 86400
        super().__init__(seed=seed, **counts)

    # -- provider hooks ---------------------------------------------------------------
    def create_state(self) -> IntercomBackend:
        return IntercomBackend(self.anchor, id_seed=str(self.seed_value))

    def populate(self, state: IntercomBackend, rng: Any, **counts: int) -> None:
        populate(state, rng, **counts)

    def make_credentials(self) -> dict[str, Any]:
        return {"access_token": "dG9rOm" + secrets.token_urlsafe(30)}

    def make_webhook_secret(self) -> str:
        """The app's client secret, which signs its webhooks."""
        return secrets.token_hex(20)

    def request_webhooks(self, ctx: Context, endpoint: Any, values: Mapping[str, Any],
                         answer: Any) -> None:
        name = getattr(endpoint, "__name__", "")
        if name in _webhooks.TOPICS:
            for topic, item in _webhooks.events_for(ctx, name, values, answer):
                self.emit_webhook(topic, item)

    def render_webhook(self, event: WebhookEvent, attempt: int,
                       ) -> tuple[str, dict[str, str], bytes]:
        return _webhooks.render(event, attempt, self.state.workspace_id)

    def authenticate(self, ctx: Context) -> None:
        header = ctx.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or token.strip() != self.credentials["access_token"]:
            raise SimError(401, "unauthorized", "Access Token Invalid")
        ctx.token = token.strip()

    def check_request(self, ctx: Context) -> None:
        version = ctx.headers.get("Intercom-Version")
        if version is not None:
            v = version.strip()
            if not (_VERSION.match(v) or v.lower() == "unstable"):
                raise SimError(400, "intercom_version_invalid",
                               f"The requested version '{v}' could not be found")

    def error_body(self, status: int, code: str, message: str, ctx: Context | None,
                   request_id: str, extra: dict[str, Any]) -> Any:
        error: dict[str, Any] = {"code": code, "message": message}
        if extra.get("field"):
            error["field"] = extra["field"]
        return {"type": "error.list", "request_id": request_id, "errors": [error]}

    def rate_limit_headers(self, limit: int, remaining: int, reset: int,
                           retry_after: float | None) -> dict[str, str]:
        return {"X-RateLimit-Limit": str(limit), "X-RateLimit-Remaining": str(remaining),
                "X-RateLimit-Reset": str(reset)}


Simulator = IntercomSimulator
register("intercom", IntercomSimulator)

"""Crisp account settings, the response envelope, error mapping and page-numbered paging."""

from __future__ import annotations

import base64
import dataclasses
import re
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import requests

from ..client import Client, ProviderConfig
from ..collection import Page
from ..errors import (
    APIError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    PermissionDenied,
    RateLimitExceeded,
    ResourceNotFound,
    ValidationError,
    error_for,
)
from ..http import HttpClient, RetryPolicy, parse_retry_after

DEFAULT_BASE_URL = "https://api.crisp.chat/v1"
DEFAULT_TIER = "plugin"
TIERS = ("plugin", "user", "website")

#: smallest, default and largest ``per_page`` of the lists that accept it
MIN_PER_PAGE, DEFAULT_PER_PAGE, MAX_PER_PAGE = 20, 20, 50

#: Crisp ``reason`` strings whose meaning is more precise than the HTTP status
REASON_CLASSES: dict[str, type[APIError]] = {
    "invalid_session": AuthenticationError,
    "not_allowed": PermissionDenied,
    "restricted_route_tier": PermissionDenied,
    "not_found": ResourceNotFound,
    "not_subscribed": ResourceNotFound,
    "invalid_data": ValidationError,
    "people_exists": ConflictError,
    "rate_limited": RateLimitExceeded,
    "quota_limited": RateLimitExceeded,
}

_FIELD_IN_MESSAGE = re.compile(r"^data\.([A-Za-z_][\w.]*)")


def unwrap(body: Any) -> Any:
    """The payload of Crisp's envelope ``{"error", "reason", "data"}`` (other bodies unchanged)."""
    if isinstance(body, Mapping) and "data" in body and "error" in body:
        return body["data"]
    return body


def parse_error(raw: requests.Response, body: Any) -> APIError:
    """Map a Crisp error envelope (``reason`` + status) onto the chatmodels error tree."""
    status = raw.status_code
    reason = message = field = None
    if isinstance(body, Mapping):
        reason = body.get("reason") if isinstance(body.get("reason"), str) else None
        data = body.get("data")
        if isinstance(data, Mapping) and isinstance(data.get("message"), str):
            message = data["message"]
            match = _FIELD_IN_MESSAGE.match(message)
            if match:
                field = match.group(1)
    special: type[APIError] | None = None
    if status == 420:  # Crisp's "Enhance Your Calm"
        special = RateLimitExceeded
    elif status == 405:
        special = BadRequestError
    return error_for(status, provider="crisp", code=reason, message=message or reason,
                     codes=REASON_CLASSES, cls=special,
                     retry_after=parse_retry_after(raw.headers.get("Retry-After")),
                     body=body, headers=raw.headers, field=field)


class Crisp(ProviderConfig):
    """Class-level defaults for ``chatmodels.crisp``.

    ``identifier`` and ``key``: the token keypair (Basic auth); ``website_id``: the website every
    call is about; ``tier``: the ``X-Crisp-Tier`` header (``plugin``, the default, or ``user``);
    ``base_url``: Crisp's API root or a simulator. Environment fallbacks: ``CRISP_IDENTIFIER``,
    ``CRISP_KEY``, ``CRISP_WEBSITE_ID``, ``CRISP_TIER``, ``CRISP_BASE_URL``.
    """

    name = "crisp"
    env: ClassVar[Mapping[str, str]] = {
        "identifier": "CRISP_IDENTIFIER", "key": "CRISP_KEY",
        "website_id": "CRISP_WEBSITE_ID", "tier": "CRISP_TIER", "base_url": "CRISP_BASE_URL",
    }
    secret_settings = ("identifier", "key")
    identifier: ClassVar[str | None] = None
    key: ClassVar[str | None] = None
    website_id: ClassVar[str | None] = None
    tier: ClassVar[str | None] = None
    base_url: ClassVar[str | None] = None

    @classmethod
    def setting_names(cls) -> tuple[str, ...]:
        return ("identifier", "key", "website_id", "tier", "base_url", "timeout", "max_retries")

    @classmethod
    def resource_classes(cls) -> Mapping[str, Any]:
        from .resources import RESOURCES
        return RESOURCES

    @classmethod
    def build(cls, settings: Mapping[str, Any], *, bind: bool) -> Client:
        cls.require(settings, "identifier", "key", "website_id")
        identifier, key = str(settings["identifier"]), str(settings["key"])
        tier = str(settings.get("tier") or DEFAULT_TIER).strip().lower()
        if tier not in TIERS:
            from ..errors import ConfigurationError
            raise ConfigurationError(f"crisp: unknown tier {tier!r} (one of {', '.join(TIERS)})")
        basic = base64.b64encode(f"{identifier}:{key}".encode()).decode("ascii")
        retries = settings.get("max_retries")
        retry = settings.get("retry") or RetryPolicy(
            max_retries=cls.max_retries if retries is None else int(retries))
        if 429 in retry.retry_statuses and 420 not in retry.retry_statuses:
            # Crisp's "420 Enhance Your Calm" is its other rate-limit status
            retry = dataclasses.replace(retry, retry_statuses=retry.retry_statuses | {420})
        http = HttpClient(
            provider="crisp",
            base_url=str(settings.get("base_url") or DEFAULT_BASE_URL),
            headers={"X-Crisp-Tier": tier, "Content-Type": "application/json"},
            auth=(identifier, key),
            secrets=(identifier, key, basic),
            timeout=settings.get("timeout") or cls.timeout,
            retry=retry,
            error_parser=parse_error,
        )
        return Client("crisp", http, cls.resource_classes(), bind=bind, unwrap=unwrap,
                      options={"website_id": str(settings["website_id"]), "tier": tier})


def connect(identifier: str | None = None, key: str | None = None,
            website_id: str | None = None, *, tier: str | None = None,
            base_url: str | None = None, timeout: float | tuple[float, float] | None = None,
            max_retries: int | None = None, retry: RetryPolicy | None = None) -> Client:
    """A :class:`~chatmodels.client.Client` bound to one Crisp website.

    Missing arguments fall back to the class-level defaults on :class:`Crisp` (then the
    environment), so ``connect(base_url=sim.base_url, **sim.credentials)`` works. ``retry``
    replaces the whole :class:`~chatmodels.http.RetryPolicy` (``max_retries`` only its count).
    """
    settings = Crisp.settings()
    given = {"identifier": identifier, "key": key, "website_id": website_id, "tier": tier,
             "base_url": base_url, "timeout": timeout, "max_retries": max_retries,
             "retry": retry}
    settings.update({k: v for k, v in given.items() if v is not None})
    return Crisp.build(settings, bind=True)


# -- paging -----------------------------------------------------------------------------------
def clamp_per_page(size: int | None) -> int:
    """A ``per_page`` Crisp accepts (20..50) for a requested page size."""
    if size is None:
        return MAX_PER_PAGE
    return max(MIN_PER_PAGE, min(MAX_PER_PAGE, int(size)))


def numbered_page(request: Callable[..., Any], path: str, *, cursor: Any,
                  params: Mapping[str, Any] | None = None, size: int | None = None,
                  per_page: bool = False, wrap: Callable[[Any], Any]) -> Page[Any]:
    """One page of a Crisp list paged by a 1-based number in the path (``{path}/{page}``).

    With ``per_page=True`` (people profiles, conversations) the page size is sent and a page
    shorter than it is the last one; otherwise (sizes undocumented) paging goes on until a
    page comes back empty, as Crisp's own clients do.
    """
    page = int(cursor or 1)
    query = dict(params or {})
    asked = None
    if per_page:
        asked = clamp_per_page(size)
        query["per_page"] = asked
    data = request("GET", f"{path}/{page}", params=query or None)
    items = [wrap(item) for item in (data if isinstance(data, list) else [])]
    done = not items or (asked is not None and len(items) < asked)
    return Page(items, None if done else page + 1)

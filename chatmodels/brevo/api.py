"""Brevo account settings, errors, rate-limit headers and paging (API v3).

Auth is the ``api-key`` header (``$BREVO_API_KEY``), plus ``partner-key`` when set (the spec
allows it on every route, alongside ``api-key``). Errors are ``{"code", "message"}`` bodies;
rate-limit state comes from ``x-sib-ratelimit-limit/remaining/reset`` (reset: seconds until the
window resets). Lists page by ``limit``/``offset`` (``count`` is the total), except companies
(``page``/``limit``) and CRM notes (``limit``/``offset``, a bare list, no total).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Mapping
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
    ResponseError,
    ValidationError,
    error_for,
)
from ..http import HttpClient, RateLimit, RetryPolicy, parse_retry_after
from ..operations import Operation
from ..resource import id_of

DEFAULT_BASE_URL = "https://api.brevo.com/v3"
UTC = dt.timezone.utc

#: Brevo error codes whose meaning is more precise than the HTTP status
CODE_CLASSES: dict[str, type[APIError]] = {
    "document_not_found": ResourceNotFound,
    "duplicate_parameter": ConflictError,
    "duplicate_request": ConflictError,
    "invalid_parameter": ValidationError,
    "missing_parameter": ValidationError,
    "out_of_range": ValidationError,
    "unprocessable_entity": ValidationError,
    "unauthorized": AuthenticationError,
    "permission_denied": PermissionDenied,
    "reseller_permission_denied": PermissionDenied,
    "not_enough_credits": PermissionDenied,
    "account_under_validation": PermissionDenied,
    "method_not_allowed": BadRequestError,
    "too_many_requests": RateLimitExceeded,
}

#: ops on a contact route that take ``identifierType`` (the id kind in the path)
CONTACT_ROUTE = "/contacts/{id}"


def reset_seconds(headers: Mapping[str, str]) -> float | None:
    """Seconds until the window resets, from ``x-sib-ratelimit-reset`` (None when absent)."""
    raw = headers.get("x-sib-ratelimit-reset")
    if raw is None:
        return None
    try:
        value = float(raw)
    except ValueError:
        return None
    if value > 1e9:  # an epoch, not a delay: accept it too
        value -= time.time()
    return max(0.0, value)


def _int(raw: str | None) -> int | None:
    try:
        return None if raw is None else int(float(raw))
    except ValueError:
        return None


def parse_rate_limit(headers: Mapping[str, str]) -> RateLimit | None:
    """``x-sib-ratelimit-*`` headers -> :class:`RateLimit` (None when Brevo sent none)."""
    limit = _int(headers.get("x-sib-ratelimit-limit"))
    remaining = _int(headers.get("x-sib-ratelimit-remaining"))
    wait = reset_seconds(headers)
    if limit is None and remaining is None and wait is None:
        return None
    return RateLimit(limit=limit, remaining=remaining,
                     reset_at=None if wait is None else time.time() + wait)


def parse_error(raw: requests.Response, body: Any) -> APIError:
    """Map a Brevo ``{"code", "message"}`` body (or any other body) onto the error tree."""
    code = message = None
    if isinstance(body, Mapping):
        code = body.get("code") if isinstance(body.get("code"), str) else None
        message = body.get("message") if isinstance(body.get("message"), str) else None
    elif isinstance(body, str) and body.strip():
        message = body.strip()[:200]
    status = raw.status_code
    retry_after = parse_retry_after(raw.headers.get("Retry-After"))
    if status == 429 and retry_after is None:
        retry_after = reset_seconds(raw.headers)
    special: type[APIError] | None = RateLimitExceeded if status == 429 else None
    return error_for(status, provider="brevo", code=code, message=message or code,
                     codes=CODE_CLASSES, cls=special, retry_after=retry_after, body=body,
                     headers=raw.headers)


def wire_time(value: Any) -> Any:
    """A datetime as Brevo's query format ``YYYY-MM-DDTHH:mm:ss.SSSZ`` (others unchanged)."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
        return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


class Brevo(ProviderConfig):
    """Class-level defaults for ``chatmodels.brevo``.

    ``api_key`` (``$BREVO_API_KEY``): the ``api-key`` header; ``partner_key``
    (``$BREVO_PARTNER_KEY``, optional): the ``partner-key`` header; ``base_url``
    (``$BREVO_BASE_URL``): Brevo's API root (``https://api.brevo.com/v3``) or a simulator;
    ``webhook_dir`` (``$BREVO_WEBHOOK_DIR``, optional): saved conversation webhook bodies.
    """

    name = "brevo"
    env: ClassVar[Mapping[str, str]] = {
        "api_key": "BREVO_API_KEY", "partner_key": "BREVO_PARTNER_KEY",
        "base_url": "BREVO_BASE_URL", "webhook_dir": "BREVO_WEBHOOK_DIR",
    }
    secret_settings = ("api_key", "partner_key")
    api_key: ClassVar[str | None] = None
    partner_key: ClassVar[str | None] = None
    base_url: ClassVar[str | None] = None
    #: a directory of saved conversation webhook bodies: what ``Conversation.all()`` and
    #: ``Agent.all()`` read (Brevo's API lists neither)
    webhook_dir: ClassVar[str | None] = None

    @classmethod
    def setting_names(cls) -> tuple[str, ...]:
        return ("api_key", "partner_key", "base_url", "webhook_dir", "timeout", "max_retries")

    @classmethod
    def resource_classes(cls) -> Mapping[str, Any]:
        from .resources import RESOURCES
        return RESOURCES

    @classmethod
    def build(cls, settings: Mapping[str, Any], *, bind: bool) -> Client:
        cls.require(settings, "api_key")
        key = str(settings["api_key"])
        headers = {"api-key": key, "Content-Type": "application/json"}
        secrets = [key]
        if settings.get("partner_key"):
            headers["partner-key"] = str(settings["partner_key"])
            secrets.append(headers["partner-key"])
        retries = settings.get("max_retries")
        retry = settings.get("retry") or RetryPolicy(
            max_retries=cls.max_retries if retries is None else int(retries))
        http = HttpClient(
            provider="brevo",
            base_url=str(settings.get("base_url") or DEFAULT_BASE_URL),
            headers=headers,
            secrets=tuple(secrets),
            timeout=settings.get("timeout") or cls.timeout,
            retry=retry,
            error_parser=parse_error,
            rate_limit_parser=parse_rate_limit,
        )
        options = {"webhook_dir": str(settings["webhook_dir"])} \
            if settings.get("webhook_dir") else {}
        return Client("brevo", http, cls.resource_classes(), bind=bind, options=options)

    @classmethod
    def prepare(cls, op: Operation, ids: Mapping[str, str], params: Mapping[str, Any] | None,
                body: Any) -> tuple[str, str, Mapping[str, Any] | None, Any]:
        method, path, query, body = super().prepare(op, ids, params, body)
        if op.path == CONTACT_ROUTE and not (query or {}).get("identifierType"):
            # a contact route addressed by our id: say so, so an id is never read as an SMS
            query = {**(query or {}), "identifierType": "contact_id"}
        return method, path, query, body

    @classmethod
    def page(cls, resource: Any, op: Operation, params: Mapping[str, Any], cursor: Any,
             size: int | None) -> Page[Any]:
        """One page of a list, by paging style: ``offset`` (limit/offset, ``count`` total),
        ``bare`` (limit/offset, a bare list), ``numbered`` (page/limit: companies) or
        ``single`` (one answer, no paging). ``style:N`` caps the page size at N for that route
        (default: the resource's ``_max_page_size``). Numbered pages all ask the first page's
        limit (page N of another size would be other items)."""
        style, _, cap = (op.paging or "offset").partition(":")
        query = dict(params)
        ids = {name: id_of(query.pop(name), name, resource)
               for name in op.placeholders if name in query}
        query = resource._wire_filters(query)
        largest = int(cap) if cap else resource._max_page_size
        limit = min(size or largest, largest)
        if isinstance(cursor, tuple):  # numbered: page N keeps the first page's limit
            cursor, limit = cursor
        start = int(cursor or (1 if style == "numbered" else 0))
        if style == "numbered":
            query.update(page=start, limit=limit)
        elif style != "single":
            query.update(offset=start, limit=limit)
        method, path, wire_query, _ = cls.prepare(op, ids, query, None)
        body = resource._client().request(method, path, params=wire_query)
        total = None
        if op.answer is None:
            items: Any = body
        elif isinstance(body, Mapping):
            # Brevo leaves the list out when it is empty; any other shape is an error
            items = body.get(op.answer)
            items = [] if items is None else items
            count = body.get("count")
            total = count if isinstance(count, int) and not isinstance(count, bool) else None
        else:
            items = None
        if not isinstance(items, list):
            where = "the answer" if op.answer is None else f"{op.answer!r} of the answer"
            raise ResponseError(f"brevo: {resource.__name__}.{op.name}: {where} is not a list",
                                provider="brevo", code="bad_answer", field=op.answer)
        objects = resource.from_wire_many(items)  # an item that is no object: ResponseError
        if style == "single":
            return Page(objects, None, len(objects))
        if style == "numbered":
            return Page(objects, None if len(items) < limit else (start + 1, limit), total)
        end = start + len(items)
        done = not items or len(items) < limit or (total is not None and end >= total)
        return Page(objects, None if done else end, total)


def connect(api_key: str | None = None, *, partner_key: str | None = None,
            base_url: str | None = None, timeout: float | tuple[float, float] | None = None,
            max_retries: int | None = None, retry: RetryPolicy | None = None,
            webhook_dir: str | None = None) -> Client:
    """A :class:`~chatmodels.client.Client` bound to one Brevo account.

    ``webhook_dir``: a directory of saved conversation webhook bodies (``*.json``), which
    ``Conversation.all()``/``find()`` and ``Agent.all()`` read (the API lists neither); without
    it they find nothing.

    Missing arguments fall back to :class:`Brevo`'s class-level settings, then the environment,
    so ``connect(base_url=sim.base_url, **sim.credentials)`` works.
    """
    return Brevo.connect(api_key=api_key, partner_key=partner_key, base_url=base_url,
                         timeout=timeout, max_retries=max_retries, retry=retry,
                         webhook_dir=webhook_dir)


__all__ = ["CODE_CLASSES", "DEFAULT_BASE_URL", "Brevo", "connect",
           "parse_error", "parse_rate_limit", "wire_time"]

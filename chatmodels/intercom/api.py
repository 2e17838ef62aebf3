"""Intercom account settings, error mapping, rate-limit headers and pagination.

The parsers here are total: any error body (a list, a string, codes that are numbers or
objects) and any header value (``inf``, ``nan``, negative, huge, words) gives a typed error or
``None``, never a raw exception. A list answer without a list in it is a ``ResponseError``.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any, ClassVar
from urllib.parse import parse_qsl, urlsplit

import requests

from ..client import Client, ProviderConfig
from ..collection import Page
from ..errors import (
    APIError,
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    ConflictError,
    PermissionDenied,
    RateLimitExceeded,
    ResourceNotFound,
    ResponseError,
    ValidationError,
    error_for,
)
from ..http import HttpClient, RateLimit, RetryPolicy, finite, parse_retry_after, text_of
from ..operations import Operation

API_VERSION = "2.16"
REGIONS = {
    "us": "https://api.intercom.io",
    "eu": "https://api.eu.intercom.io",
    "au": "https://api.au.intercom.io",
}

#: Intercom error codes whose meaning is more precise than the HTTP status
CODE_CLASSES: dict[str, type[APIError]] = {
    "unauthorized": AuthenticationError,
    "token_unauthorized": AuthenticationError,
    "token_not_found": AuthenticationError,
    "token_revoked": AuthenticationError,
    "forbidden": PermissionDenied,
    "api_plan_restricted": PermissionDenied,
    "not_found": ResourceNotFound,
    # a merged lead answers 410 (its Link header names the user it was merged into)
    "contact_merged": ResourceNotFound,
    "parameter_invalid": ValidationError,
    "parameter_not_found": ValidationError,
    "parameter_mismatch": ValidationError,
    "data_invalid": ValidationError,
    "validation_error": ValidationError,
    "missing_parameter": ValidationError,
    "conflict": ConflictError,
    "resource_conflict": ConflictError,
    "rate_limit_exceeded": RateLimitExceeded,
    "intercom_version_invalid": BadRequestError,
}


def parse_error(raw: requests.Response, body: Any) -> APIError:
    """Map an Intercom error (``{"type": "error.list", "errors": [...]}``) to the error tree."""
    status = raw.status_code
    code = message = field = None
    request_id = None
    if isinstance(body, Mapping):
        request_id = text_of(body.get("request_id"))
        errors = body.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], Mapping):
            first = errors[0]
            code, message = text_of(first.get("code")), text_of(first.get("message"))
            field = text_of(first.get("field"))
        else:
            message = text_of(body.get("message"))
    special: type[APIError] | None = None
    if code and code not in CODE_CLASSES and code.endswith("_not_found") and status == 404:
        special = ResourceNotFound
    return error_for(status, provider="intercom", code=code, message=message,
                     codes=CODE_CLASSES, cls=special, retry_after=retry_after_of(raw.headers),
                     request_id=request_id, body=body, headers=raw.headers, field=field)


def retry_after_of(headers: Mapping[str, str]) -> float | None:
    """Seconds to wait: ``Retry-After``, else ``X-RateLimit-Reset`` (epoch seconds)."""
    wait = parse_retry_after(headers.get("Retry-After"))
    if wait is not None:
        return wait
    reset = finite(headers.get("X-RateLimit-Reset"))
    if reset is not None:
        return max(0.0, reset - time.time())
    return None


def parse_rate_limit(headers: Mapping[str, str]) -> RateLimit | None:
    """``X-RateLimit-Limit`` / ``-Remaining`` / ``-Reset`` -> :class:`RateLimit`."""
    if "X-RateLimit-Limit" not in headers and "X-RateLimit-Remaining" not in headers:
        return None

    def num(name: str) -> int | None:
        # finite and non-negative, else unknown (``inf``, ``nan``, ``-5``, words)
        value = finite(headers.get(name))
        return int(value) if value is not None and value >= 0 else None

    reset = num("X-RateLimit-Reset")
    return RateLimit(limit=num("X-RateLimit-Limit"), remaining=num("X-RateLimit-Remaining"),
                     reset_at=float(reset) if reset is not None else None)


class Intercom(ProviderConfig):
    """Class-level defaults for ``chatmodels.intercom`` (``INTERCOM_ACCESS_TOKEN`` env fallback).

    ``access_token``: the workspace access token; ``base_url``: another region or a sandbox
    (``region`` = ``us``/``eu``/``au`` picks the official one); ``version``: the
    ``Intercom-Version`` header.
    """

    name = "intercom"
    env: ClassVar[Mapping[str, str]] = {"access_token": "INTERCOM_ACCESS_TOKEN",
                                        "base_url": "INTERCOM_BASE_URL"}
    secret_settings = ("access_token",)
    access_token: ClassVar[str | None] = None
    base_url: ClassVar[str | None] = None
    region: ClassVar[str] = "us"
    version: ClassVar[str] = API_VERSION

    @classmethod
    def setting_names(cls) -> tuple[str, ...]:
        return ("access_token", "base_url", "region", "version", "timeout", "max_retries")

    @classmethod
    def resource_classes(cls) -> Mapping[str, Any]:
        from .resources import RESOURCES
        return RESOURCES

    @classmethod
    def build(cls, settings: Mapping[str, Any], *, bind: bool) -> Client:
        cls.require(settings, "access_token")
        token = str(settings["access_token"])
        region = settings.get("region") or "us"
        if region not in REGIONS:
            from ..errors import ConfigurationError
            raise ConfigurationError(f"intercom: unknown region {region!r} "
                                     f"(one of {', '.join(REGIONS)})")
        base_url = settings.get("base_url") or REGIONS[region]
        retries = settings.get("max_retries")
        http = HttpClient(
            provider="intercom",
            base_url=base_url,
            headers={"Authorization": f"Bearer {token}",
                     "Intercom-Version": str(settings.get("version") or API_VERSION),
                     "Content-Type": "application/json"},
            secrets=(token,),
            timeout=settings.get("timeout") or cls.timeout,
            retry=settings.get("retry") or RetryPolicy(
                max_retries=cls.max_retries if retries is None else int(retries)),
            error_parser=parse_error,
            rate_limit_parser=parse_rate_limit,
            request_id_header="X-Request-Id",
        )
        return Client("intercom", http, cls.resource_classes(), bind=bind)

    @classmethod
    def page(cls, resource: Any, op: Operation, params: Mapping[str, Any], cursor: Any,
             size: int | None) -> Page[Any]:
        """One page of a list operation, by its paging style (``op.paging``):

        - ``"cursor"``: ``per_page`` and ``starting_after`` in the query (contacts,
          conversations, a company's contacts);
        - ``"pages"``: ``per_page`` in the query, then the next request is what ``pages.next``
          says: a link (its query: ``page``, or the events' ``before`` cursor) or a page
          number (companies, a contact's notes and companies, events);
        - ``"search"``: ``params`` is the search body; ``pagination.per_page`` and
          ``pagination.starting_after`` go in it (``POST .../search``);
        - ``None``: an unpaged list, one request (tags, admins, teams, segments).

        Route ids the operation needs (``contact`` of ``/contacts/{contact}/notes``) are taken
        out of ``params``; the rest is the query (or the search body).
        """
        return page_of(resource, op, params, cursor, size)


def connect(access_token: str | None = None, *, base_url: str | None = None,
            region: str | None = None, version: str | None = None,
            timeout: float | tuple[float, float] | None = None,
            max_retries: int | None = None, retry: RetryPolicy | None = None) -> Client:
    """A :class:`~chatmodels.client.Client` bound to one Intercom workspace.

    ``retry`` replaces the whole :class:`~chatmodels.http.RetryPolicy` (``max_retries`` only
    its count). Missing arguments fall back to the class-level defaults on :class:`Intercom` (and the
    environment), so ``connect(base_url=sim.base_url, **sim.credentials)`` works.
    """
    settings = Intercom.settings()
    given = {"access_token": access_token, "base_url": base_url, "region": region,
             "version": version, "timeout": timeout, "max_retries": max_retries,
             "retry": retry}
    settings.update({k: v for k, v in given.items() if v is not None})
    return Intercom.build(settings, bind=True)


# -- pagination -------------------------------------------------------------------------------
LIST_KEYS = ("data", "conversations", "admins", "teams", "segments", "companies", "contacts",
             "events", "notes", "tags")


def items_of(body: Any) -> list[Any]:
    """The list inside an Intercom list response, whatever its key. An answer holding no list
    (an object without one, a string, nothing) is a :class:`ResponseError`, never an empty
    list: a migration must not read "zero contacts" from a broken answer."""
    if isinstance(body, list):
        return body
    if isinstance(body, Mapping):
        for key in LIST_KEYS:
            value = body.get(key)
            if isinstance(value, list):
                return value
    raise ResponseError(f"intercom: a list answer holds no list (got {type(body).__name__}"
                        f"{' with keys ' + ', '.join(sorted(map(str, body))[:8]) if isinstance(body, Mapping) else ''})",
                        provider="intercom", status=200)


def next_params(body: Any) -> dict[str, Any] | None:
    """Query/body parameters for the next page, or ``None`` on the last page.

    Intercom has three styles: ``pages.next = {"starting_after": ...}`` (cursors),
    ``pages.next = "https://...?page=2"`` (a URL) and ``pages.page < pages.total_pages``.
    """
    if not isinstance(body, Mapping):
        return None
    pages = body.get("pages")
    if not isinstance(pages, Mapping):
        return None
    nxt = pages.get("next")
    if isinstance(nxt, Mapping):
        after, page = nxt.get("starting_after"), nxt.get("page")
        if after and isinstance(after, (str, int)) and not isinstance(after, bool):
            return {"starting_after": after}
        if page and isinstance(page, (str, int)) and not isinstance(page, bool):
            return {"page": page}
        return None
    if isinstance(nxt, str) and nxt:
        return dict(parse_qsl(urlsplit(nxt).query))
    page, total = pages.get("page"), pages.get("total_pages")
    if ("next" not in pages and type(page) is int and type(total) is int
            and 0 < page < total):
        return {"page": page + 1}
    return None


def next_cursor(style: str | None, body: Any) -> Any:
    """The cursor of the next page for a paging style, or ``None`` on the last page.

    ``"cursor"``/``"search"``: the ``starting_after`` of ``pages.next``; ``"pages"``: the
    parameters of the next request (:func:`next_params`: a link's query, a page number)."""
    if style == "pages":
        return next_params(body)
    if style in ("cursor", "search") and isinstance(body, Mapping):
        pages = body.get("pages")
        nxt = pages.get("next") if isinstance(pages, Mapping) else None
        after = nxt.get("starting_after") if isinstance(nxt, Mapping) else None
        if after and isinstance(after, (str, int)) and not isinstance(after, bool):
            return after
    return None


def page_of(resource: Any, op: Operation, params: Mapping[str, Any], cursor: Any,
            size: int | None) -> Page[Any]:
    """One page of ``op`` as ``resource`` objects (see :meth:`Intercom.page`)."""
    style = op.paging
    ids = {k: params[k] for k in op.placeholders if k in params}
    rest = {k: v for k, v in params.items() if k not in ids}
    if size:
        size = min(size, resource._max_page_size)
    query: dict[str, Any] | None = None
    body: dict[str, Any] | None = None
    if style == "search":
        body = rest
        pagination: dict[str, Any] = {}
        if size:
            pagination["per_page"] = size
        if cursor:
            pagination["starting_after"] = cursor
        if pagination:
            body["pagination"] = pagination
    elif style in ("cursor", "pages"):
        query = rest
        if cursor:
            query.update(cursor if style == "pages" else {"starting_after": cursor})
        if size:
            query["per_page"] = size
    elif style is None:
        query = rest or None
    else:
        raise ConfigurationError(f"intercom: unknown paging style {style!r} of "
                                 f"{resource.__name__}.{op.name}")
    data = resource._call(op.name, params=query, json=body, **ids)
    items = resource.from_wire_many(items_of(data))
    total = data.get("total_count") if isinstance(data, Mapping) else None
    return Page(items, next_cursor(style, data),
                total if type(total) is int and total >= 0 else None)

"""Sendbee account settings, request conventions, the envelope, errors, rate limit and paging.

* Auth: ``X-Api-Key`` plus a fresh ``X-Auth-Token`` per request (:mod:`.auth`).
* GET parameters go in the query string, URL-encoded by ``requests`` (a ``+`` in a phone
  number is sent as ``%2B``); lists are comma-joined, dicts ``k:v,k:v``, booleans ``1``/``0``,
  datetimes unix seconds. POST/PUT/DELETE send their parameters as a JSON body (DELETE too).
* Envelope: ``{"data", "meta", "links"}``; a non-fatal ``warning`` is surfaced as a
  :class:`SendbeeWarning` (Python ``warnings``) and logged on ``chatmodels.sendbee``.
* Errors: ``{"error": {"detail", "type"}}`` onto :mod:`chatmodels.errors`.
* Rate limit: 60 requests a minute per business number; ``X-RateLimit-Limit/-Remaining/-Reset``
  are parsed (so ``HttpClient.pace`` works) and a 429's ``Retry-After`` is honoured.
* Paging: ``?page=N&limit=M`` (at most 100), last page when ``meta.current_page >=
  meta.last_page``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import warnings
from collections.abc import Mapping
from typing import Any, ClassVar

import requests

from ..client import Client, ProviderConfig
from ..collection import Page
from ..errors import (
    APIError,
    AuthenticationError,
    BadRequestError,
    PermissionDenied,
    RateLimitExceeded,
    ResourceNotFound,
    ResponseError,
    ValidationError,
    error_for,
)
from ..http import HttpClient, RateLimit, RetryPolicy, encode_path, parse_retry_after
from ..model import Model
from ..operations import Operation
from .auth import SendbeeAuth

DEFAULT_BASE_URL = "https://api-v2.sendbee.io"
#: the largest ``limit`` Sendbee serves
MAX_LIMIT = 100

logger = logging.getLogger("chatmodels.sendbee")


class SendbeeWarning(UserWarning):
    """A non-fatal ``warning`` Sendbee sent with an answer (the request succeeded)."""


class MessagingWindowClosed(BadRequestError):
    """A free-form message outside WhatsApp's 24-hour customer-care window: send a template
    (``conversation.send_template(...)``) instead."""


#: Sendbee error ``type`` strings whose meaning is more precise than the HTTP status
TYPE_CLASSES: dict[str, type[APIError]] = {
    "authentication_failed": AuthenticationError,
    "unauthorized": AuthenticationError,
    "forbidden": PermissionDenied,
    "not_found": ResourceNotFound,
    "validation_error": ValidationError,
    "invalid_parameter": ValidationError,
    "messaging_window_closed": MessagingWindowClosed,
    "rate_limit_exceeded": RateLimitExceeded,
}


def parse_error(raw: requests.Response, body: Any) -> APIError:
    """``{"error": {"detail", "type"}}`` (or a bare ``{"detail", "type"}``) -> the error tree."""
    status = raw.status_code
    detail = kind = None
    error = body.get("error") if isinstance(body, Mapping) else None
    if not isinstance(error, Mapping) and isinstance(body, Mapping) and "detail" in body:
        error = body
    if isinstance(error, Mapping):
        detail = error.get("detail") if isinstance(error.get("detail"), str) else None
        kind = error.get("type") if isinstance(error.get("type"), str) else None
    elif isinstance(error, str):
        detail = error
    if detail is None and status == 404:
        detail = "Endpoint not found"
    special: type[APIError] | None = None
    if kind in TYPE_CLASSES and (status < 500 or TYPE_CLASSES[kind] is RateLimitExceeded):
        special = TYPE_CLASSES[kind]
    if status == 429:
        special = RateLimitExceeded
    return error_for(status, provider="sendbee", code=kind, message=detail, cls=special,
                     retry_after=parse_retry_after(raw.headers.get("Retry-After")),
                     body=body, headers=raw.headers)


def parse_rate_limit(headers: Mapping[str, str]) -> RateLimit | None:
    """``X-RateLimit-Limit`` / ``-Remaining`` / ``-Reset`` (unix seconds) -> :class:`RateLimit`."""
    if "X-RateLimit-Limit" not in headers and "X-RateLimit-Remaining" not in headers:
        return None

    def num(name: str) -> int | None:
        try:
            return int(float(headers[name]))
        except (KeyError, ValueError):
            return None

    reset = num("X-RateLimit-Reset")
    return RateLimit(limit=num("X-RateLimit-Limit"), remaining=num("X-RateLimit-Remaining"),
                     reset_at=float(reset) if reset is not None else None)


def surface_warning(body: Any) -> Any:
    """Client unwrap hook: raise a :class:`SendbeeWarning` (and log it) for an answer's
    ``warning``; the body itself is returned whole (operations pick ``data``)."""
    if isinstance(body, Mapping):
        warning = body.get("warning")
        if warning:
            text = warning if isinstance(warning, str) else str(warning)
            logger.warning("sendbee warning: %s", text)
            warnings.warn(f"sendbee: {text}", SendbeeWarning, stacklevel=2)
    return body


def query_value(value: Any) -> Any:
    """A GET parameter as Sendbee expects it (before URL-encoding)."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, Model):
        return value.id
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)
        return int(value.timestamp())
    if isinstance(value, dt.date):  # a day: its start, UTC (Sendbee's dates are unix seconds)
        return int(dt.datetime(value.year, value.month, value.day,
                               tzinfo=dt.timezone.utc).timestamp())
    if isinstance(value, Mapping):
        return ",".join(f"{k}:{query_value(v)}" for k, v in value.items())
    if isinstance(value, (list, tuple, set, frozenset)):
        return ",".join(str(query_value(v)) for v in value)
    return value


class _SignedHttpClient(HttpClient):
    """:class:`HttpClient` whose sessions sign every request with :class:`SendbeeAuth`."""

    def __init__(self, *, signer: SendbeeAuth, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._signer = signer

    def _session(self) -> requests.Session:
        session = super()._session()
        if session.auth is not self._signer:
            session.auth = self._signer
        return session


class Sendbee(ProviderConfig):
    """Class-level defaults for ``chatmodels.sendbee``.

    ``api_key`` (public, ``X-Api-Key``) and ``api_secret`` (signs ``X-Auth-Token``; never
    sent), ``base_url`` (Sendbee's API or a simulator). Environment fallbacks:
    ``SENDBEE_API_KEY``, ``SENDBEE_API_SECRET``, ``SENDBEE_BASE_URL``.
    """

    name = "sendbee"
    env: ClassVar[Mapping[str, str]] = {"api_key": "SENDBEE_API_KEY",
                                        "api_secret": "SENDBEE_API_SECRET",
                                        "base_url": "SENDBEE_BASE_URL"}
    secret_settings = ("api_key", "api_secret")
    api_key: ClassVar[str | None] = None
    api_secret: ClassVar[str | None] = None
    base_url: ClassVar[str | None] = None

    @classmethod
    def setting_names(cls) -> tuple[str, ...]:
        return ("api_key", "api_secret", "base_url", "timeout", "max_retries")

    @classmethod
    def resource_classes(cls) -> Mapping[str, Any]:
        from . import RESOURCES
        return RESOURCES

    @classmethod
    def build(cls, settings: Mapping[str, Any], *, bind: bool) -> Client:
        cls.require(settings, "api_key", "api_secret")
        key, secret = str(settings["api_key"]), str(settings["api_secret"])
        retries = settings.get("max_retries")
        http = _SignedHttpClient(
            signer=SendbeeAuth(key, secret),
            provider="sendbee",
            base_url=str(settings.get("base_url") or DEFAULT_BASE_URL),
            headers={"Content-Type": "application/json"},
            secrets=(key, secret),
            timeout=settings.get("timeout") or cls.timeout,
            retry=settings.get("retry") or RetryPolicy(
                max_retries=cls.max_retries if retries is None else int(retries)),
            error_parser=parse_error,
            rate_limit_parser=parse_rate_limit,
        )
        # the account: a digest of the key (Sendbee names no account; one key, one number)
        account = "key-" + hashlib.sha256(key.encode()).hexdigest()[:16]
        return Client("sendbee", http, cls.resource_classes(), bind=bind,
                      unwrap=surface_warning, options={"account": account})

    # -- transport hooks -------------------------------------------------------------------
    @classmethod
    def prepare(cls, op: Operation, ids: Mapping[str, str], params: Mapping[str, Any] | None,
                body: Any) -> tuple[str, str, Mapping[str, Any] | None, Any]:
        """GET: parameters in the query (see :func:`query_value`); other verbs: a JSON body
        (``params`` merged into it: Sendbee reads DELETE bodies too)."""
        path = encode_path(op.path or "", **ids)
        if op.method == "GET":
            query = {k: query_value(v) for k, v in (params or {}).items() if v is not None}
            for name, value in query.items():
                if isinstance(value, str) and not _encodable(value):  # lone surrogates
                    raise ValidationError(f"sendbee: {name} is not valid text",
                                          provider="sendbee", field=name)
            return op.method, path, query or None, None
        if params:
            body = {**params, **(body or {})}
        return op.method, path, None, body

    @classmethod
    def page(cls, resource: Any, op: Operation, params: Mapping[str, Any], cursor: Any,
             size: int | None) -> Page[Any]:
        """One page of a list: ``?page=N`` (and ``&limit=M`` where the endpoint takes it,
        ``op.paging == "page"``; ``"page_only"`` endpoints choose their own size, ``"none"``
        endpoints answer everything at once). The ``limit`` of the first page is kept for the
        next ones (in the cursor): page N of another size would be other items."""
        number, limit = cursor if isinstance(cursor, tuple) else (int(cursor or 1), None)
        query = dict(params)
        query["page"] = number
        if op.paging == "none":  # one answer holds every item
            query.pop("page")
        elif op.paging == "page":
            limit = limit or max(1, min(MAX_LIMIT, size or MAX_LIMIT))
            query["limit"] = limit
        body = resource._call(op.name, params=query)
        page = envelope_page(resource, body, number)
        if limit is not None and page.next_cursor is not None:
            page.next_cursor = (page.next_cursor, limit)
        return page


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def envelope_page(resource: Any, body: Any, number: int) -> Page[Any]:
    """A :class:`Page` from a list envelope; the next page exists while ``current_page <
    last_page``. An answer without ``meta`` is the only page (a server that ignored ``page``
    would otherwise be asked forever)."""
    data = body.get("data") if isinstance(body, Mapping) else None
    if not isinstance(data, list):
        raise ResponseError(f"{resource.__name__}: the answer has no list in 'data'",
                            provider="sendbee", code="bad_answer", body=body, field="data")
    items = resource.from_wire_many(data)  # a non-object item is a ResponseError
    meta = body.get("meta")
    total = None
    nxt: int | None = None
    if isinstance(meta, Mapping):
        current, last = meta.get("current_page"), meta.get("last_page")
        total = meta.get("total") if isinstance(meta.get("total"), int) else None
        if isinstance(current, int) and isinstance(last, int):
            nxt = current + 1 if current < last and items else None
    return Page(items, nxt, total)


def connect(api_key: str | None = None, api_secret: str | None = None, **options: Any) -> Client:
    """A :class:`~chatmodels.client.Client` bound to one Sendbee account (business number).

    Missing settings fall back to :class:`Sendbee`'s class attributes, then the environment, so
    ``connect(base_url=sim.base_url, **sim.credentials)`` works. Options: ``base_url``,
    ``timeout``, ``max_retries``, ``retry`` (a :class:`~chatmodels.http.RetryPolicy`).
    """
    given = {"api_key": api_key, "api_secret": api_secret}
    return Sendbee.connect(**{k: v for k, v in given.items() if v is not None}, **options)

"""Crisp account settings, the response envelope, error mapping and its paging styles."""

from __future__ import annotations

import base64
import dataclasses
import re
from collections.abc import Mapping
from typing import Any, ClassVar

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
    ValidationError,
    error_for,
)
from ..http import HttpClient, RetryPolicy, parse_retry_after
from ..operations import Operation

DEFAULT_BASE_URL = "https://api.crisp.chat/v1"
DEFAULT_TIER = "plugin"
TIERS = ("plugin", "user", "website")

#: smallest, default and largest ``per_page`` of the lists that accept it
MIN_PER_PAGE, DEFAULT_PER_PAGE, MAX_PER_PAGE = 20, 20, 50

@dataclasses.dataclass(frozen=True)
class Reason:
    """What a Crisp error ``reason`` means, what to check, and the error class it raises."""

    cls: type[APIError]
    meaning: str
    check: str = ""


#: Crisp ``reason`` strings: their meaning and class (more precise than the HTTP status)
REASONS: dict[str, Reason] = {
    "invalid_session": Reason(
        AuthenticationError, "Crisp refused the token",
        "check the identifier/key pair (CRISP_IDENTIFIER, CRISP_KEY) and that the token "
        "belongs to the tier sent as X-Crisp-Tier (CRISP_TIER, default plugin)"),
    "restricted_route_tier": Reason(
        PermissionDenied, "this route is not open to the token's tier",
        "check the tier (CRISP_TIER: plugin for plugin tokens) and that the plugin was granted "
        "the scope of this route"),
    "not_allowed": Reason(
        PermissionDenied, "the token may not do this",
        "check the plugin's scopes and the operator's role on the website"),
    "not_subscribed": Reason(
        ResourceNotFound, "the plugin is not subscribed to this website",
        "check the website id (CRISP_WEBSITE_ID) and that the plugin is installed on it "
        "and its plan includes this feature"),
    "not_found": Reason(
        ResourceNotFound, "no such object",
        "check the id (a people_id, session_id or fingerprint of this website)"),
    "invalid_data": Reason(
        ValidationError, "Crisp rejected the data sent"),
    "people_exists": Reason(
        ConflictError, "a people profile with this email already exists",
        "look the profile up by email (Contact.find(email=...)) and update it instead"),
    "message_exists": Reason(
        ConflictError, "a message with this fingerprint already exists in the conversation",
        "send it with a new fingerprint, or treat it as already sent"),
    "rate_limited": Reason(
        RateLimitExceeded, "too many requests", "slow down; retry after the delay given"),
    "quota_limited": Reason(
        RateLimitExceeded, "the token's daily request quota is spent",
        "wait for the quota to reset or ask Crisp for a larger one"),
}

#: Crisp ``reason`` strings whose meaning is more precise than the HTTP status
REASON_CLASSES: dict[str, type[APIError]] = {k: v.cls for k, v in REASONS.items()}

# the failing field in Crisp's validation messages: ``data.foo should be string``,
# ``data/foo/bar must ...``, ``data should have required property '.origin'``,
# ``data['foo'] should ...``
_FIELD_PATTERNS = (
    re.compile(r"required property '\.?([^']+)'"),
    re.compile(r"^data((?:[./][A-Za-z_][\w-]*|\['[^']+'\]|\[\d+\])+)"),
)
_PATH_PART = re.compile(r"[./]([A-Za-z_][\w-]*)|\['([^']+)'\]|\[(\d+)\]")
_MAX_TEXT = 500


def field_of(message: str) -> str | None:
    """The field a Crisp validation message names (dotted, without the leading ``data``)."""
    required = _FIELD_PATTERNS[0].search(message)
    prefix = _FIELD_PATTERNS[1].match(message)
    parts: list[str] = []
    if prefix:
        parts = [a or b or c for a, b, c in _PATH_PART.findall(prefix.group(1))]
    if required:
        parts += [p for p in re.split(r"[./]", required.group(1)) if p]
    return ".".join(parts) or None


def _text(value: Any) -> str | None:
    """A usable string from an error body value (other types are ignored, long ones cut)."""
    if not isinstance(value, str) or not value.strip():
        return None
    value = value.strip()
    return value if len(value) <= _MAX_TEXT else value[:_MAX_TEXT] + "..."


def bad_answer(message: str, *, field: str | None = None, client: Any = None) -> ValidationError:
    """The error for an answer whose shape is not what Crisp documents (``status``: its HTTP
    status when known)."""
    status = None
    last = getattr(client, "last_response", None)
    if last is not None:
        status = last.status_code
    return ValidationError(f"unexpected Crisp answer: {message}", provider="crisp",
                           status=status, field=field)


def kind_of(value: Any) -> str:
    """A JSON type name for error messages."""
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean",
            type(None): "null"}.get(type(value), "a number" if isinstance(value, (int, float))
                                     else type(value).__name__)


def unwrap(body: Any) -> Any:
    """The payload of Crisp's envelope ``{"error", "reason", "data"}`` (other bodies unchanged)."""
    if isinstance(body, Mapping) and "data" in body and "error" in body:
        return body["data"]
    return body


def parse_error(raw: requests.Response, body: Any) -> APIError:
    """Map a Crisp error answer (``reason`` + status) onto the chatmodels error tree.

    Total: any body (an envelope, a list, a string, a number, ``None``) gives an ``APIError``.
    A message that only repeats the reason is replaced by what it means and what to check.
    """
    status = raw.status_code
    reason = message = field = None
    if isinstance(body, Mapping):
        reason = _text(body.get("reason"))
        data = body.get("data")
        if isinstance(data, Mapping):
            message = _text(data.get("message"))
            if message is not None:
                field = field_of(message)
            namespace = _text(data.get("namespace"))
            if field is None and namespace and namespace.startswith("data."):
                field = namespace[len("data."):] or None
        else:
            message = _text(data)
        if message is None:
            message = _text(body.get("message"))
    if reason is not None and (len(reason) > 100 or not reason.isprintable()):
        reason = None
    known = REASONS.get(reason or "")
    if known is not None:
        said = message if message and message != reason else None
        text = said or known.meaning
        message = f"{text} ({known.check})" if known.check else text
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
    def page(cls, resource: Any, op: Operation, params: Mapping[str, Any], cursor: Any,
             size: int | None) -> Page[Any]:
        return page_of(resource, op, params, cursor, size)

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


def page_of(resource: Any, op: Operation, params: Mapping[str, Any], cursor: Any,
            size: int | None) -> Page[Any]:
    """One page of a declared Crisp list, by its paging style (``op.paging``):

    * ``"page"``: a 1-based page number in the path (``.../{page}``); sizes are undocumented, so
      paging goes on until a page comes back empty, as Crisp's own clients do;
    * ``"per_page"``: the same, sending ``per_page`` (20..50); a shorter page is the last;
    * ``"batches"``: message batches, latest first; older ones with ``?timestamp_before=<the
      oldest timestamp so far>``, Crisp answering 206 while older messages remain, 200 on the
      last batch;
    * ``"single"``: the whole list in one answer.

    ``params`` holds the route ids (``contact``, ``conversation``, ``scope``...) and the
    criteria, which the resource turns into the query (``_list_query``).
    """
    ids = {k: v for k, v in params.items() if k in op.placeholders}
    query = resource._list_query(op, {k: v for k, v in params.items() if k not in ids})
    where = f"{resource.__name__}.{op.name}()"
    if op.paging == "batches":
        data = resource._call(op.name, params=None if cursor is None else
                              {"timestamp_before": cursor}, **ids)
        if not isinstance(data, list):
            raise resource._bad_answer(f"a batch of messages is {kind_of(data)}, not a list")
        items = [resource._from_item(item, op, ids) for item in data]
        last = resource._client().last_response
        if last is None or last.status_code != 206 or not data:
            return Page(items, None)
        oldest = min(int(m.get("timestamp") or 0) for m in data)
        if cursor is not None and oldest >= cursor:
            return Page(items, None)  # no progress: never loop forever
        return Page(items, oldest)
    if op.paging == "single":
        data = resource._call(op.name, params=query or None, **ids)
        if not isinstance(data, list):
            raise resource._bad_answer(f"the answer of {where} is {kind_of(data)}, not a list")
        return Page([resource._from_item(item, op, ids) for item in data], None)
    if op.paging not in ("page", "per_page"):
        raise ConfigurationError(f"crisp: no paging style {op.paging!r} ({op.describe()})")
    number = int(cursor or 1)
    asked = None
    if op.paging == "per_page":
        asked = clamp_per_page(size)
        query["per_page"] = asked
    data = resource._call(op.name, params=query or None, page=number, **ids)
    if not isinstance(data, list):
        raise resource._bad_answer(f"page {number} of {where} is {kind_of(data)}, not a list")
    items = [resource._from_item(item, op, ids) for item in data]
    done = not items or (asked is not None and len(items) < asked)
    return Page(items, None if done else number + 1)

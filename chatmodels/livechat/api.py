"""LiveChat account settings, the RPC transport, error mapping and ``page_id`` paging.

Every call is an *action*: ``POST /v3.6/agent/action/<action>`` (Agent Chat Web API) or
``POST /v3.6/configuration/action/<action>`` (Configuration API) with a JSON body holding the
ids and the arguments. Resources declare them with :func:`agent` / :func:`configuration`
(an :class:`Action`, i.e. an :class:`~chatmodels.operations.Operation` that knows its API and
the body keys of its ids); :meth:`LiveChat.prepare` turns one into a request.
"""

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
    ServerError,
    ServiceUnavailableError,
    ValidationError,
    error_for,
)
from ..http import HttpClient, RetryPolicy, parse_retry_after
from ..operations import Operation

DEFAULT_BASE_URL = "https://api.livechatinc.com"
API_VERSION = "3.6"
#: largest ``limit`` of a paged list
MAX_LIMIT = 100
APIS = ("agent", "configuration")


# -- errors -----------------------------------------------------------------------------------
class LicenseError(PermissionDenied):
    """The license (plan) does not allow this: ``license_expired``, ``license_not_found``,
    ``limit_reached``, ``wrong_product_version``."""


class ChatInactive(ConflictError):
    """``chat_inactive``: the chat has no active thread (resume it first)."""


class AgentOffline(ConflictError):
    """``agent_offline``: the agent must be online for this action."""


class PageExpired(ValidationError):
    """A ``page_id`` LiveChat no longer accepts (they expire after a month): start the listing
    again from its first page."""


#: LiveChat error ``type`` -> error class (the status decides for unknown types)
ERROR_TYPES: dict[str, type[APIError]] = {
    "validation": ValidationError,
    "authentication": AuthenticationError,
    "authorization": PermissionDenied,
    "missing_access": PermissionDenied,
    "not_found": ResourceNotFound,
    "group_not_found": ResourceNotFound,
    "already_exists": ConflictError,
    "ownership_transfer": ConflictError,
    "chat_inactive": ChatInactive,
    "agent_offline": AgentOffline,
    "too_many_requests": RateLimitExceeded,
    "internal": ServerError,
    "request_timeout": ServerError,
    "service_unavailable": ServiceUnavailableError,
    "license_expired": LicenseError,
    "license_not_found": LicenseError,
    "limit_reached": LicenseError,
    "wrong_product_version": LicenseError,
    "entity_too_large": BadRequestError,
    "misdirected_request": BadRequestError,
    "unsupported_version": BadRequestError,
}

_FIELD = re.compile(r"`([A-Za-z_][\w.]*)`")


def error_from_body(status: int, body: Any, headers: Mapping[str, str] | None = None) -> APIError:
    """The error for ``{"error": {"type", "message", "data"}}`` (also one item of a batch)."""
    kind = message = field = None
    error = body.get("error") if isinstance(body, Mapping) else None
    if isinstance(error, Mapping):
        kind = error.get("type") if isinstance(error.get("type"), str) else None
        message = error.get("message") if isinstance(error.get("message"), str) else None
        data = error.get("data")
        if isinstance(data, Mapping) and isinstance(data.get("field"), str):
            field = data["field"]
        elif message and kind == "validation":
            match = _FIELD.search(message)
            field = match.group(1) if match else None
    cls = ERROR_TYPES.get(kind or "")
    if cls is ValidationError and field == "page_id":
        cls = PageExpired
    return error_for(status, provider="livechat", code=kind, message=message or kind, cls=cls,
                     retry_after=parse_retry_after((headers or {}).get("Retry-After")),
                     body=body, headers=headers, field=field)


def parse_error(raw: requests.Response, body: Any) -> APIError:
    return error_from_body(raw.status_code, body, raw.headers)


# -- declared actions -------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Action(Operation):
    """A LiveChat action: ``api`` is ``agent`` or ``configuration``; ``keys`` renames ids to
    their body keys (``("id", "chat_id")``); ``int_ids`` are sent as numbers (group ids)."""

    api: str = "agent"
    keys: tuple[tuple[str, str], ...] = ()
    int_ids: tuple[str, ...] = ()
    #: the answer key holding a list operation's items (``chats_summary``...)
    items: str | None = None


def agent(action: str, *ids: str, safe: bool | None = None, answer: str | None = None,
          paging: str | None = None, keys: Mapping[str, str] | None = None,
          items: str | None = None) -> Action:
    """An Agent Chat Web API action; ``ids`` are the ids it takes (body keys via ``keys``)."""
    return Action("POST", action=action, ids=ids, safe=safe, answer=answer, paging=paging,
                  api="agent", keys=tuple((keys or {}).items()), items=items)


def configuration(action: str, *ids: str, safe: bool | None = None, answer: str | None = None,
                  paging: str | None = None, keys: Mapping[str, str] | None = None,
                  int_ids: tuple[str, ...] = (), items: str | None = None) -> Action:
    """A Configuration API action."""
    return Action("POST", action=action, ids=ids, safe=safe, answer=answer, paging=paging,
                  api="configuration", keys=tuple((keys or {}).items()), int_ids=int_ids,
                  items=items)


def action_path(api: str, action: str) -> str:
    return f"/v{API_VERSION}/{api}/action/{action}"


class LiveChat(ProviderConfig):
    """Class-level defaults for ``chatmodels.livechat``.

    ``account_id`` and ``token``: a personal access token (Basic ``account_id:token``), or
    ``bearer``: an OAuth or bot access token (``Authorization: Bearer``). ``api_version``: sent
    as ``X-API-Version`` when set (the URL already names v3.6). ``base_url``: LiveChat's API root
    or a simulator. Environment: ``LIVECHAT_ACCOUNT_ID``, ``LIVECHAT_TOKEN``,
    ``LIVECHAT_BEARER``, ``LIVECHAT_API_VERSION``, ``LIVECHAT_BASE_URL``.
    """

    name = "livechat"
    env: ClassVar[Mapping[str, str]] = {
        "account_id": "LIVECHAT_ACCOUNT_ID", "token": "LIVECHAT_TOKEN",
        "bearer": "LIVECHAT_BEARER", "api_version": "LIVECHAT_API_VERSION",
        "base_url": "LIVECHAT_BASE_URL",
    }
    secret_settings = ("token", "bearer")
    account_id: ClassVar[str | None] = None
    token: ClassVar[str | None] = None
    bearer: ClassVar[str | None] = None
    api_version: ClassVar[str | None] = None
    base_url: ClassVar[str | None] = None

    @classmethod
    def setting_names(cls) -> tuple[str, ...]:
        return ("account_id", "token", "bearer", "api_version", "base_url", "timeout",
                "max_retries")

    @classmethod
    def resource_classes(cls) -> Mapping[str, Any]:
        from .resources import RESOURCES
        return RESOURCES

    @classmethod
    def build(cls, settings: Mapping[str, Any], *, bind: bool) -> Client:
        headers: dict[str, str] = {}
        secrets: tuple[str, ...]
        auth: tuple[str, str] | None = None
        if settings.get("bearer"):
            bearer = str(settings["bearer"])
            headers["Authorization"] = f"Bearer {bearer}"
            secrets = (bearer,)
        else:
            cls.require(settings, "account_id", "token")
            account, token = str(settings["account_id"]), str(settings["token"])
            auth = (account, token)
            secrets = (token, base64.b64encode(f"{account}:{token}".encode()).decode("ascii"))
        if settings.get("api_version"):
            version = str(settings["api_version"])
            if version != API_VERSION:
                raise ConfigurationError(f"livechat: this client speaks API v{API_VERSION}, "
                                         f"not {version!r}")
            headers["X-API-Version"] = version
        retries = settings.get("max_retries")
        retry = settings.get("retry") or RetryPolicy(
            max_retries=cls.max_retries if retries is None else int(retries))
        http = HttpClient(
            provider="livechat",
            base_url=str(settings.get("base_url") or DEFAULT_BASE_URL),
            headers=headers, auth=auth, secrets=secrets,
            timeout=settings.get("timeout") or cls.timeout, retry=retry,
            error_parser=parse_error,
        )
        return Client("livechat", http, cls.resource_classes(), bind=bind)

    @classmethod
    def prepare(cls, op: Operation, ids: Mapping[str, str], params: Mapping[str, Any] | None,
                body: Any) -> tuple[str, str, Mapping[str, Any] | None, Any]:
        """``POST /v3.6/<api>/action/<action>``, the ids (renamed to their body keys) and the
        ``params`` merged into the JSON body."""
        if op.action is None:
            raise ConfigurationError(f"livechat: {op.describe()} is not an action")
        api = op.api if isinstance(op, Action) else "agent"
        keys = dict(op.keys) if isinstance(op, Action) else {}
        ints = op.int_ids if isinstance(op, Action) else ()
        payload: dict[str, Any] = dict(params or {})
        if body is not None:
            payload.update(body)
        for name, value in ids.items():
            payload[keys.get(name, name)] = _int(value) if name in ints else value
        return "POST", action_path(api, op.action), None, payload

    @classmethod
    def page(cls, resource: Any, op: Operation, params: Mapping[str, Any], cursor: Any,
             size: int | None) -> Page[Any]:
        """One page of a list action. ``page_id`` paging sends the filters, ``sort_order`` and
        ``limit`` on the first page only, then just the ``page_id``; other lists are one page."""
        params = dict(params)
        ids = {k: params.pop(k) for k in op.placeholders if k in params}
        wrap = params.pop("_wrap", None)
        body: dict[str, Any]
        if op.paging == "page_id":
            if cursor is not None:
                body = {"page_id": cursor}
            else:
                body = dict(params)
                body["limit"] = MAX_LIMIT if size is None else max(1, min(MAX_LIMIT, int(size)))
        else:
            body = dict(params)
        answer = resource._call(op.name, json=body, **ids)
        key = op.items if isinstance(op, Action) else None
        items = answer.get(key) if key and isinstance(answer, Mapping) else answer
        if not isinstance(items, list):
            name = getattr(resource, "__name__", type(resource).__name__)
            raise APIError(f"{name}.{op.name}: the answer has no list",
                           provider="livechat", code="bad_answer")
        objects = (resource.from_wire_many(items) if wrap is None
                   else [wrap(item) for item in items])
        if op.paging != "page_id" or not isinstance(answer, Mapping):
            return Page(objects, None, len(objects))
        total = next((answer[k] for k in ("found_chats", "found_threads") if k in answer), None)
        return Page(objects, answer.get("next_page_id") or None, total)


def _int(value: str) -> Any:
    return int(value) if value.lstrip("-").isdigit() else value


def connect(account_id: str | None = None, token: str | None = None, *,
            bearer: str | None = None, api_version: str | None = None,
            base_url: str | None = None, timeout: float | tuple[float, float] | None = None,
            max_retries: int | None = None, retry: RetryPolicy | None = None) -> Client:
    """A :class:`~chatmodels.client.Client` bound to one LiveChat account (PAT or ``bearer=``);
    missing arguments fall back to :class:`LiveChat`'s class-level settings."""
    settings = LiveChat.settings()
    given = {"account_id": account_id, "token": token, "bearer": bearer,
             "api_version": api_version, "base_url": base_url, "timeout": timeout,
             "max_retries": max_retries, "retry": retry}
    settings.update({k: v for k, v in given.items() if v is not None})
    return LiveChat.build(settings, bind=True)

"""The one exception tree of chatmodels.

Every failure is raised, never returned as ``None``::

    ChatModelsError
     ├── ConfigurationError            missing or invalid credentials/settings (raised before any request)
     ├── UnknownResource               the provider has no such resource class (also an AttributeError)
     ├── APIConnectionError            the request did not get a complete HTTP answer
     │    ├── APIConnectError          never reached the server: safe to resend, even a POST
     │    │    └── APIConnectTimeoutError   connect timeout (also an APITimeoutError)
     │    ├── APITimeoutError          read timeout or the per-request deadline passed
     │    └── ResponseReadError        the answer broke off mid-body (reset, bad chunking/encoding)
     └── APIError                      the provider answered with an error status
          ├── ResponseError            a 2xx answer that cannot be used: not JSON, wrong shape,
          │    │                       truncated, too deep, too large, or a field that does not convert
          │    └── ContentTooLarge     larger than the size cap (an answer or a downloaded file)
          ├── BadRequestError          400 (and 4xx not listed below)
          │    └── ValidationError     422, validation error codes, or local validation before sending
          │         └── FieldError     an unknown or read-only attribute was assigned (also an AttributeError)
          ├── AuthenticationError      401
          ├── PermissionDenied         403
          ├── ResourceNotFound         404
          ├── ConflictError            409
          ├── RateLimitExceeded        429 (``retry_after`` in seconds, when known)
          └── ServerError              5xx
               └── ServiceUnavailableError   503

``APIError`` carries ``provider``, ``status``, ``code`` (the provider's error code or reason),
``message``, ``request_id``, ``body`` (parsed error body) and ``headers``. No secret is ever
part of a message, a ``repr`` or an attribute (``body`` and ``headers`` are redacted too):
request headers are not kept.

Retry safety is carried by the type: an ``APIConnectError`` never reached the server, so any
request may be resent; other connection errors may have been processed, so only idempotent
requests are resent (see ``chatmodels.http``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class ChatModelsError(Exception):
    """Base class of every exception raised by chatmodels."""


class ConfigurationError(ChatModelsError):
    """Credentials or settings are missing or invalid."""


class UnknownResource(ChatModelsError, AttributeError):
    """The provider has no resource of that name (``client.model("Note")`` on a provider
    without notes): a library error that is also the ``AttributeError`` attribute access
    expects, so ``hasattr(client, "Note")`` is simply False."""

    def __init__(self, provider: str, name: str) -> None:
        self.provider = provider
        self.resource = name
        super().__init__(f"{provider} has no resource {name!r}")


class APIConnectionError(ChatModelsError):
    """The request got no HTTP response (DNS, refused or dropped connection...)."""

    def __init__(self, message: str, *, provider: str | None = None, method: str | None = None,
                 path: str | None = None) -> None:
        super().__init__(message)
        self.provider = provider
        self.method = method
        self.path = path


class APITimeoutError(APIConnectionError):
    """The connection or the response timed out (or the per-request deadline passed)."""


class APIConnectError(APIConnectionError):
    """The connection could not be opened: the request never reached the server, so resending
    it is safe whatever the method."""


class APIConnectTimeoutError(APIConnectError, APITimeoutError):
    """Opening the connection timed out (never sent, safe to resend)."""


class ResponseReadError(APIConnectionError):
    """The answer started but broke off while its body was read (connection reset, broken
    chunked encoding, undecodable compression). The request may have been processed."""


class APIError(ChatModelsError):
    """The provider answered with an error status."""

    def __init__(
        self,
        message: str | None = None,
        *,
        provider: str | None = None,
        status: int | None = None,
        code: str | None = None,
        request_id: str | None = None,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        field: str | None = None,
    ) -> None:
        self.provider = provider
        self.status = status
        self.code = code
        self.message = message or code or (f"HTTP {status}" if status else "error")
        self.request_id = request_id
        self.body = body
        self.headers = dict(headers or {})
        self.field = field
        super().__init__(self.message)

    def __str__(self) -> str:
        parts = []
        if self.provider:
            parts.append(self.provider)
        if self.status is not None:
            parts.append(str(self.status))
        if self.code:
            parts.append(self.code)
        prefix = " ".join(parts)
        text = f"[{prefix}] {self.message}" if prefix else self.message
        if self.field:
            text += f" (field: {self.field})"
        if self.request_id:
            text += f" (request id: {self.request_id})"
        return text

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(provider={self.provider!r}, status={self.status!r}, "
                f"code={self.code!r}, message={self.message!r}, request_id={self.request_id!r})")


class BadRequestError(APIError):
    """The request was rejected as malformed (400 and unlisted 4xx)."""


class ValidationError(BadRequestError, ValueError):
    """The data is invalid, either detected locally before sending (``status`` is None) or by the provider."""


class FieldError(ValidationError, AttributeError):
    """An unknown or read-only attribute was assigned: a local ``ValidationError`` that is also
    the ``AttributeError`` Python code expects from a bad attribute."""


class ResponseError(APIError):
    """The provider answered (usually 2xx) with a body that cannot be used: not JSON, not the
    JSON shape required, truncated, nested too deep, larger than the size cap, or holding a
    value its field cannot convert (``field`` names it). ``excerpt`` is a short redacted start
    of the body."""

    def __init__(self, message: str | None = None, *, excerpt: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.excerpt = excerpt


class ContentTooLarge(ResponseError):
    """The answer (or a downloaded file) is larger than the size cap (``limit``, in bytes);
    nothing beyond the cap was read."""

    def __init__(self, message: str | None = None, *, limit: int | None = None,
                 **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.limit = limit


class AuthenticationError(APIError):
    """401: the credentials were refused."""


class PermissionDenied(APIError):
    """403: the credentials are valid but not allowed to do this."""


class ResourceNotFound(APIError):
    """404: the object (or route) does not exist."""


class ConflictError(APIError):
    """409: the object already exists or is in a conflicting state."""


class RateLimitExceeded(APIError):
    """429: too many requests; ``retry_after`` is the wait in seconds the provider asked for, if any."""

    def __init__(self, message: str | None = None, *, retry_after: float | None = None,
                 **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class ServerError(APIError):
    """5xx: the provider failed."""


class ServiceUnavailableError(ServerError):
    """503: the provider is temporarily unavailable."""


STATUS_CLASSES: dict[int, type[APIError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDenied,
    404: ResourceNotFound,
    409: ConflictError,
    422: ValidationError,
    429: RateLimitExceeded,
    503: ServiceUnavailableError,
}


def class_for_status(status: int) -> type[APIError]:
    """The exception class for an HTTP status when the body says nothing more specific."""
    if status in STATUS_CLASSES:
        return STATUS_CLASSES[status]
    if status >= 500:
        return ServerError
    return BadRequestError


def error_for(status: int, *, provider: str, code: str | None = None,
              message: str | None = None, codes: Mapping[str, type[APIError]] | None = None,
              cls: type[APIError] | None = None, retry_after: float | None = None,
              **details: Any) -> APIError:
    """The error for a provider's answer: the class comes from ``cls`` if given, else from the
    provider's error ``code`` (``codes``, for 4xx only), else from the status."""
    if cls is None:
        cls = class_for_status(status)
        if code and status < 500 and codes and code in codes:
            cls = codes[code]
    if issubclass(cls, RateLimitExceeded):
        return cls(message, provider=provider, status=status, code=code,
                   retry_after=retry_after, **details)
    return cls(message, provider=provider, status=status, code=code, **details)


__all__ = [
    "ChatModelsError", "ConfigurationError", "UnknownResource", "APIConnectionError",
    "APITimeoutError", "APIConnectError", "APIConnectTimeoutError", "ResponseReadError",
    "APIError", "ResponseError", "ContentTooLarge",
    "BadRequestError", "ValidationError", "FieldError", "AuthenticationError", "PermissionDenied",
    "ResourceNotFound", "ConflictError", "RateLimitExceeded", "ServerError",
    "ServiceUnavailableError", "class_for_status", "error_for",
]

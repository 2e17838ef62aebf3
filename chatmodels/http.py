"""HTTP layer: one pooled ``requests`` session per client and thread, timeouts, retries, redaction.

Retries: idempotent requests (GET, HEAD, PUT, DELETE, or any request marked ``idempotent=True``)
are retried on connection errors, timeouts, 429 and 5xx with exponential backoff and full jitter.
A POST that may have been applied is never retried blindly: it is retried only when the provider
said it was not processed (429, or 503 with ``Retry-After``) or when the connection could not be
opened at all. Waits honour ``Retry-After`` and the provider's rate-limit reset header.
"""

from __future__ import annotations

import json as jsonlib
import logging
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote

import requests

from . import __version__
from .errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    RateLimitExceeded,
    class_for_status,
)

logger = logging.getLogger("chatmodels.http")

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
REDACTED = "***"


@dataclass(frozen=True)
class RetryPolicy:
    """How failed requests are retried. ``max_retries=0`` disables retries."""

    max_retries: int = 3
    backoff_factor: float = 0.5
    max_backoff: float = 20.0
    max_wait: float = 60.0  # a 429 asking to wait longer than this is raised, not slept on
    retry_statuses: frozenset[int] = frozenset({420, 429, 500, 502, 503, 504})

    def backoff(self, attempt: int) -> float:
        """Full-jitter exponential backoff for retry number ``attempt`` (0-based)."""
        cap = min(self.max_backoff, self.backoff_factor * (2 ** attempt))
        return random.uniform(0, cap)


@dataclass(frozen=True)
class RateLimit:
    """The rate-limit state the provider last reported (``None`` fields when it says nothing)."""

    limit: int | None = None
    remaining: int | None = None
    reset_at: float | None = None  # unix epoch seconds


@dataclass
class Response:
    """A successful response: status, headers and parsed JSON body (``None`` when empty)."""

    status: int
    headers: Mapping[str, str]
    body: Any
    request_id: str | None = None
    method: str = ""
    url: str = ""
    elapsed: float = 0.0


ErrorParser = Callable[[requests.Response, Any], APIError]
RateLimitParser = Callable[[Mapping[str, str]], RateLimit | None]


def encode_path(template: str, **values: Any) -> str:
    """Fill ``{name}`` placeholders with URL-encoded values (``/`` included)."""
    return template.format(**{k: quote(str(v), safe="") for k, v in values.items()})


def redact(text: str, secrets: tuple[str, ...]) -> str:
    """Replace every secret in ``text`` by ``***``."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    return text


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP date)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def default_error(provider: str, response: requests.Response, body: Any) -> APIError:
    """An error from the status alone, for providers whose body says nothing usable."""
    message = None
    if isinstance(body, dict):
        message = body.get("message") or body.get("error") or body.get("reason")
    cls = class_for_status(response.status_code)
    kwargs: dict[str, Any] = {}
    if cls is RateLimitExceeded:
        kwargs["retry_after"] = parse_retry_after(response.headers.get("Retry-After"))
    return cls(str(message) if message else None, provider=provider,
               status=response.status_code, body=body, headers=response.headers, **kwargs)


class HttpClient:
    """Sends requests for one account of one provider. Safe to share between threads."""

    def __init__(
        self,
        *,
        provider: str,
        base_url: str,
        headers: Mapping[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        secrets: tuple[str, ...] = (),
        timeout: float | tuple[float, float] = (5.0, 30.0),
        retry: RetryPolicy | None = None,
        error_parser: ErrorParser | None = None,
        rate_limit_parser: RateLimitParser | None = None,
        request_id_header: str = "X-Request-Id",
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.provider = provider
        self.base_url = base_url.rstrip("/")
        self._headers = {"User-Agent": f"chatmodels/{__version__}", "Accept": "application/json",
                         **(headers or {})}
        self._auth = auth
        self._secrets = tuple(s for s in secrets if s)
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self._error_parser = error_parser or (lambda r, b: default_error(provider, r, b))
        self._rate_limit_parser = rate_limit_parser
        self._request_id_header = request_id_header
        self._sleep = sleep
        self._local = threading.local()
        self._lock = threading.Lock()
        # (owning thread, session): sessions of finished threads are closed when a new one opens
        self._sessions: list[tuple[threading.Thread, requests.Session]] = []
        self._rate_limit = RateLimit()
        #: when True, requests wait for the rate-limit window to reset once the provider says
        #: fewer than ``pace_reserve`` requests remain (bulk jobs such as migrations set it)
        self.pace = False
        self.pace_reserve = 1

    def __repr__(self) -> str:
        return f"<HttpClient {self.provider} {self.base_url}>"

    # -- state -------------------------------------------------------------------------------
    @property
    def rate_limit(self) -> RateLimit:
        """The rate-limit state reported by the latest response (any thread)."""
        return self._rate_limit

    @property
    def last_response(self) -> requests.Response | None:
        """The raw ``requests.Response`` of this thread's latest call, errors included."""
        return getattr(self._local, "last_response", None)

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            # read proxy settings from the environment once, not on every request
            session.trust_env = False
            session.proxies.update(requests.utils.get_environ_proxies(self.base_url))
            session.headers.update(self._headers)
            if self._auth:
                session.auth = self._auth
            self._local.session = session
            with self._lock:
                alive = []
                for owner, other in self._sessions:
                    if owner.is_alive():
                        alive.append((owner, other))
                    else:
                        other.close()  # its thread is gone: free the pooled connections
                alive.append((threading.current_thread(), session))
                self._sessions = alive
        return session

    def close(self) -> None:
        """Close every pooled connection of this client."""
        with self._lock:
            sessions, self._sessions = self._sessions, []
        for _, session in sessions:
            session.close()
        self._local = threading.local()

    # -- requests ----------------------------------------------------------------------------
    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
    ) -> Response:
        """Send a request and return the parsed response, or raise an ``APIError``/connection error."""
        method = method.upper()
        url = path if path.startswith("http") else f"{self.base_url}{path}"
        if idempotent is None:
            idempotent = method in IDEMPOTENT_METHODS
        params = {k: v for k, v in (params or {}).items() if v is not None}
        attempt = 0
        while True:
            try:
                return self._send_once(method, url, params, json, headers)
            except APIError as exc:
                wait = self._retry_wait(exc, attempt, idempotent)
            except APIConnectionError as exc:
                wait = self._connection_retry_wait(exc, attempt, idempotent)
            attempt += 1
            logger.debug("%s retry %d of %s %s in %.2fs", self.provider, attempt, method,
                         self._safe(path), wait)
            self._sleep(wait)

    def _retry_wait(self, exc: APIError, attempt: int, idempotent: bool) -> float:
        status = exc.status or 0
        if attempt >= self.retry.max_retries or status not in self.retry.retry_statuses:
            raise exc
        asked = getattr(exc, "retry_after", None)
        if asked is None and status in (420, 429, 503):
            asked = parse_retry_after(exc.headers.get("Retry-After"))
        # 429 (and Crisp's 420 "Enhance Your Calm") and a 503 with Retry-After say the
        # request was refused before being processed, so even a POST is safe to resend
        not_processed = status in (420, 429) or (status == 503 and asked is not None)
        if not (idempotent or not_processed):
            raise exc
        if asked is not None:
            if asked > self.retry.max_wait:
                raise exc
            return asked + random.uniform(0, min(1.0, self.retry.backoff_factor))
        return self.retry.backoff(attempt)

    def _connection_retry_wait(self, exc: APIConnectionError, attempt: int,
                               idempotent: bool) -> float:
        never_sent = bool(getattr(exc, "never_sent", False))
        if attempt >= self.retry.max_retries or not (idempotent or never_sent):
            raise exc
        return self.retry.backoff(attempt)

    def _wait_for_quota(self) -> None:
        """With ``pace`` on: sleep until the window resets when the quota is (nearly) spent."""
        state = self._rate_limit
        if state.remaining is None or state.reset_at is None:
            return
        if state.remaining > self.pace_reserve:
            return
        wait = state.reset_at - time.time()
        if 0 < wait <= self.retry.max_wait:
            logger.debug("%s: %s requests left in the window, waiting %.2fs for its reset",
                         self.provider, state.remaining, wait)
            self._sleep(wait + random.uniform(0, 0.05))

    def _send_once(self, method: str, url: str, params: Mapping[str, Any], json: Any,
                   headers: Mapping[str, str] | None) -> Response:
        if self.pace:
            self._wait_for_quota()
        session = self._session()
        path = url[len(self.base_url):] if url.startswith(self.base_url) else url
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("%s -> %s %s params=%s body=%s", self.provider, method, self._safe(path),
                         self._safe(str(dict(params))), self._safe(_short(json)))
        started = time.monotonic()
        try:
            raw = session.request(method, url, params=params or None, json=json,
                                  headers=headers, timeout=self.timeout)
        except requests.ConnectTimeout:
            err: APIConnectionError = APITimeoutError(
                f"{self.provider}: connect timeout on {method} {self._safe(path)}",
                provider=self.provider, method=method, path=self._safe(path))
            err.never_sent = True  # type: ignore[attr-defined]
            raise err from None
        except requests.Timeout:
            raise APITimeoutError(f"{self.provider}: read timeout on {method} {self._safe(path)}",
                                  provider=self.provider, method=method,
                                  path=self._safe(path)) from None
        except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError,
                requests.exceptions.ContentDecodingError) as exc:  # incl. a reset mid-body
            err = APIConnectionError(
                f"{self.provider}: connection failed on {method} {self._safe(path)}: "
                f"{type(_root(exc)).__name__}",
                provider=self.provider, method=method, path=self._safe(path))
            err.never_sent = _never_sent(exc)  # type: ignore[attr-defined]
            raise err from None
        elapsed = time.monotonic() - started
        self._local.last_response = raw
        self._update_rate_limit(raw.headers)
        body = _parse_body(raw)
        request_id = raw.headers.get(self._request_id_header)
        if isinstance(body, dict) and not request_id:
            rid = body.get("request_id")
            request_id = str(rid) if rid else None
        logger.debug("%s <- %s %s %d in %.0f ms request_id=%s", self.provider, method,
                     self._safe(path), raw.status_code, elapsed * 1000, request_id)
        if raw.status_code >= 400:
            error = self._error_parser(raw, body)
            if error.request_id is None:
                error.request_id = request_id
            error.provider = error.provider or self.provider
            error.message = self._safe(error.message)
            error.args = (error.message,)
            raise error
        return Response(status=raw.status_code, headers=raw.headers, body=body,
                        request_id=request_id, method=method, url=self._safe(raw.url),
                        elapsed=elapsed)

    def _update_rate_limit(self, headers: Mapping[str, str]) -> None:
        if self._rate_limit_parser is None:
            return
        state = self._rate_limit_parser(headers)
        if state is not None:
            self._rate_limit = state

    def _safe(self, text: str) -> str:
        return redact(text, self._secrets)


def _parse_body(raw: requests.Response) -> Any:
    if not raw.content:
        return None
    try:
        return raw.json()
    except ValueError:
        return raw.text


def _short(body: Any, limit: int = 500) -> str:
    if body is None:
        return "-"
    text = jsonlib.dumps(body, default=str)
    return text if len(text) <= limit else text[:limit] + "..."


def _root(exc: BaseException) -> BaseException:
    while exc.__context__ is not None and exc.__context__ is not exc:
        exc = exc.__context__
    return exc


def _never_sent(exc: requests.RequestException) -> bool:
    """True when the connection could not be opened, so the request never reached the server."""
    text = repr(exc)
    return "NewConnectionError" in text or "Connection refused" in text

"""HTTP layer: sending -- one pooled ``requests`` session per client and thread, timeouts, retries,
pacing, redaction.

Retries: idempotent requests (GET, HEAD, PUT, DELETE, or any request marked ``idempotent=True``)
are retried on connection errors, timeouts, answers broken off mid-body, 429 and 5xx with
exponential backoff and full jitter. A POST that may have been applied is never retried blindly:
it is retried only when the provider said it was not processed (429, or 503 with
``Retry-After``) or when the error type says it never reached the server
(:class:`~chatmodels.errors.APIConnectError`). Waits honour ``Retry-After`` and the provider's
rate-limit reset header.

Every answer goes through the one guarded read and decode of :mod:`chatmodels.decode`
(``max_body_bytes``, default 50 MB decoded; the per-attempt ``deadline``, default 60 s, which also
caps the read timeout; ``max_json_depth``). A 2xx (or unexpected 1xx/3xx) answer that cannot be
used is a :class:`~chatmodels.errors.ResponseError`. The text helpers (``redact``, ``text_of``,
``finite``...) live there too and are importable from here.

Secrets are replaced by ``***`` in messages, error bodies and headers; log lines are redacted and
have control characters escaped, so a server message cannot forge log lines. A header value
holding a control character (a token with CR/LF) is refused with a ``ConfigurationError`` that
quotes no part of it.
"""

from __future__ import annotations

import http.client
import json as jsonlib
import logging
import random
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import IO, Any
from urllib.parse import quote, urljoin, urlsplit

import requests
import urllib3.exceptions

from . import __version__
from .decode import (
    CONTROL,
    DEFAULT_DEADLINE,
    DEFAULT_MAX_BODY_BYTES,
    DEFAULT_MAX_JSON_DEPTH,
    REDACTED,
    AnswerReader,
    escape_control,
    finite,
    header_text,
    redact,
    redact_value,
    root_cause,
    text_of,
)
from .errors import (
    APIConnectError,
    APIConnectionError,
    APIConnectTimeoutError,
    APIError,
    APITimeoutError,
    ConfigurationError,
    RateLimitExceeded,
    ResponseError,
    ValidationError,
    class_for_status,
)

logger = logging.getLogger("chatmodels.http")

__all__ = [
    "DEFAULT_DEADLINE", "DEFAULT_MAX_BODY_BYTES", "DEFAULT_MAX_JSON_DEPTH", "IDEMPOTENT_METHODS",
    "REDACTED", "ErrorParser", "HttpClient", "RateLimit", "RateLimitParser", "Response",
    "RetryPolicy", "default_error", "encode_path", "escape_control", "finite", "parse_retry_after",
    "redact", "redact_value", "text_of",
]

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
_MAX_REDIRECTS = 5  # followed by a file download


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
    """Fill ``{name}`` placeholders with URL-encoded values (``/`` included).

    A value must be a ``str`` or an ``int``; an empty value, ``.`` or ``..`` (which HTTP stacks
    collapse, changing the endpoint) is refused with a ``ValidationError`` naming the placeholder,
    before any request.
    """
    encoded = {}
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise ValidationError(f"path value {{{name}}} of {template} must be a string or an "
                                  f"integer, not {type(value).__name__}", field=name)
        text = str(value)
        if text in ("", ".", ".."):
            raise ValidationError(f"path value {{{name}}} of {template} cannot be "
                                  f"{'empty' if not text else repr(text)}", field=name)
        try:
            encoded[name] = quote(text, safe="")
        except UnicodeEncodeError:  # lone surrogates
            raise ValidationError(f"path value {{{name}}} of {template} is not valid text",
                                  field=name) from None
    return template.format(**encoded)


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP date); ``None``
    when absent or unreadable (non-numeric, NaN, infinite). Negative waits become 0."""
    if not value or not isinstance(value, str):
        return None
    seconds = finite(value)
    if seconds is not None:
        return max(0.0, seconds)
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError, IndexError, OverflowError, OSError):
        return None


def default_error(provider: str, response: requests.Response, body: Any) -> APIError:
    """An error from the status alone, for providers whose body says nothing usable."""
    message = None
    if isinstance(body, Mapping):
        message = (text_of(body.get("message")) or text_of(body.get("error"))
                   or text_of(body.get("reason")))
    cls = class_for_status(response.status_code)
    kwargs: dict[str, Any] = {}
    if cls is RateLimitExceeded:
        kwargs["retry_after"] = parse_retry_after(response.headers.get("Retry-After"))
    return cls(message, provider=provider, status=response.status_code, body=body,
               headers=response.headers, **kwargs)


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
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        deadline: float = DEFAULT_DEADLINE,
        max_json_depth: int = DEFAULT_MAX_JSON_DEPTH,
    ) -> None:
        self.provider = provider
        self.base_url = base_url.rstrip("/")
        self._headers = {"User-Agent": f"chatmodels/{__version__}", "Accept": "application/json",
                         **(headers or {})}
        for name, value in self._headers.items():
            if not isinstance(value, str) or CONTROL.search(value):
                raise ConfigurationError(f"{provider}: the {name} header (built from a "
                                         "credential or setting) contains a control character")
        if auth and any(not isinstance(v, str) or CONTROL.search(v) for v in auth):
            raise ConfigurationError(f"{provider}: a credential contains a control character")
        self._auth = auth
        self._secrets = tuple(s for s in secrets if s)
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self._error_parser = error_parser or (lambda r, b: default_error(provider, r, b))
        self._rate_limit_parser = rate_limit_parser
        self._request_id_header = request_id_header
        self._sleep = sleep
        #: largest body read, in decoded bytes
        self.max_body_bytes = max_body_bytes
        #: seconds one attempt may take, body included (on top of connect/read timeouts)
        self.deadline = deadline
        #: deepest JSON nesting accepted
        self.max_json_depth = max_json_depth
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
        files: Mapping[str, Any] | None = None,
    ) -> Response:
        """Send a request and return the parsed response, or raise an ``APIError``/connection error.

        ``files``: a ``multipart/form-data`` upload (as ``requests`` takes it) instead of ``json``.
        """
        method = method.upper()
        url = path if path.startswith("http") else f"{self.base_url}{path}"
        if idempotent is None:
            idempotent = method in IDEMPOTENT_METHODS
        params = {k: v for k, v in (params or {}).items() if v is not None}
        attempt = 0
        while True:
            try:
                return self._send_once(method, url, params, json, headers, files)
            except APIError as exc:
                wait = self._retry_wait(exc, attempt, idempotent)
            except APIConnectError as exc:  # never reached the server: safe for any method
                wait = self._connection_retry_wait(exc, attempt, True)
            except APIConnectionError as exc:  # may have been processed: idempotent only
                wait = self._connection_retry_wait(exc, attempt, idempotent)
            attempt += 1
            logger.debug("%s retry %d of %s %s in %.2fs", self.provider, attempt, method,
                         self._log(path), wait)
            self._sleep(wait)

    def download(self, url: str, sink: IO[bytes], *, max_bytes: int | None = None) -> str | None:
        """GET a file (an attachment) and stream its body into ``sink``; return its content type.

        The same guards as :meth:`request`: connect/read timeouts, the per-attempt ``deadline``
        and a size cap (``max_bytes``, default ``max_body_bytes``; over it:
        :class:`~chatmodels.errors.ContentTooLarge`, with nothing more read). A body that breaks
        off before its ``Content-Length`` is a ``ResponseReadError``. Retried like any GET
        (``sink`` is rewound and truncated before each attempt, so it must be seekable). The
        account's credentials are sent only to the account's own origin (``base_url``'s scheme,
        host and port), never to a file host elsewhere.
        """
        limit = self.max_body_bytes if max_bytes is None else max_bytes
        attempt = 0
        while True:
            sink.seek(0)
            sink.truncate()
            try:
                return self._download_once(url, sink, limit)
            except APIError as exc:
                wait = self._retry_wait(exc, attempt, True)
            except APIConnectionError as exc:
                wait = self._connection_retry_wait(exc, attempt, True)
            attempt += 1
            self._sleep(wait)

    def _download_once(self, url: str, sink: IO[bytes], limit: int) -> str | None:
        started = time.monotonic()
        raw = self._get_file(url)
        # redirects are followed here, not by requests: the account's headers (API keys
        # included, which requests keeps across hosts) must not follow a redirect elsewhere
        for _ in range(_MAX_REDIRECTS):
            location = header_text(raw.headers.get("Location"))
            if raw.status_code not in (301, 302, 303, 307, 308) or not location:
                break
            raw.close()
            url = urljoin(url, location)
            raw = self._get_file(url)
        where = f"GET {escape_control(self._safe(urlsplit(url).path))}"
        request_id = header_text(raw.headers.get(self._request_id_header))
        if raw.status_code >= 300:
            small = self._reader()
            content = small.read_body(raw, started, "GET", where, request_id)
            body = small.decode(raw, content, request_id) if raw.status_code >= 400 else None
            if raw.status_code >= 400:
                raise self._error(raw, body, request_id)
            raise small.response_error(raw, f"unexpected HTTP status {raw.status_code}",
                                       content, request_id)
        reader = AnswerReader(self.provider, self._secrets, limit, self.deadline,
                              self.max_json_depth)
        reader.stream_body(raw, started, "GET", where, request_id, sink)
        return header_text(raw.headers.get("Content-Type"))

    def _get_file(self, url: str) -> requests.Response:
        """One GET of a file, redirects not followed; the account's session (credentials)
        only for the account's own origin."""
        try:
            same_origin = _origin(url) == _origin(self.base_url)
            path = urlsplit(url).path
        except ValueError:  # "http://[::1"
            raise ResponseError(f"{self.provider}: the file URL of GET (not a URL) cannot be "
                                "fetched (ValueError)", provider=self.provider) from None
        session = self._session() if same_origin else self._bare_session()
        # the path only: a file URL's query often holds a signature
        where = f"GET {escape_control(self._safe(path))}"
        try:
            return session.get(url, timeout=self._attempt_timeout(), stream=True,
                               allow_redirects=False, headers={"Accept": "*/*"},
                               proxies=None if same_origin
                               else requests.utils.get_environ_proxies(url))
        except requests.ConnectTimeout:
            raise APIConnectTimeoutError(f"{self.provider}: connect timeout on {where}",
                                         provider=self.provider, method="GET") from None
        except requests.Timeout:
            raise APITimeoutError(f"{self.provider}: read timeout on {where}",
                                  provider=self.provider, method="GET") from None
        except requests.ConnectionError as exc:
            cls = APIConnectError if _never_sent(exc) else APIConnectionError
            raise cls(f"{self.provider}: connection failed on {where}: "
                      f"{type(root_cause(exc)).__name__}", provider=self.provider,
                      method="GET") from None
        except (ValueError, http.client.HTTPException) as exc:
            # a file URL (from an answer) that cannot be fetched: asking again will not help
            raise ResponseError(f"{self.provider}: the file URL of {where} cannot be fetched "
                                f"({type(exc).__name__})", provider=self.provider) from None
        except requests.RequestException as exc:
            raise APIConnectionError(f"{self.provider}: request failed on {where}: "
                                     f"{type(exc).__name__}", provider=self.provider,
                                     method="GET") from None

    def _bare_session(self) -> requests.Session:
        """A session without the account's credentials (files on another host)."""
        session = getattr(self._local, "bare", None)
        if session is None:
            session = requests.Session()
            session.trust_env = False
            session.headers["User-Agent"] = self._headers["User-Agent"]
            self._local.bare = session
            with self._lock:
                self._sessions.append((threading.current_thread(), session))
        return session

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
                               safe: bool) -> float:
        if attempt >= self.retry.max_retries or not safe:
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
            logger.debug("%s: %d requests left in the window, waiting %.2fs for its reset",
                         self.provider, state.remaining, wait)
            self._sleep(wait + random.uniform(0, 0.05))

    def _send_once(self, method: str, url: str, params: Mapping[str, Any], json: Any,
                   headers: Mapping[str, str] | None,
                   files: Mapping[str, Any] | None = None) -> Response:
        if self.pace:
            self._wait_for_quota()
        session = self._session()
        path = url[len(self.base_url):] if url.startswith(self.base_url) else url
        where = f"{method} {self._safe(path)}"
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("%s -> %s params=%s body=%s", self.provider, self._log(where),
                         self._log(str(_masked(dict(params)))), self._log(_short(json)))
        started = time.monotonic()
        try:
            raw = session.request(method, url, params=params or None, json=json,
                                  headers=headers, timeout=self._attempt_timeout(), stream=True,
                                  files=files)
        except requests.ConnectTimeout:
            raise APIConnectTimeoutError(f"{self.provider}: connect timeout on {where}",
                                         provider=self.provider, method=method,
                                         path=self._safe(path)) from None
        except requests.Timeout:
            raise APITimeoutError(f"{self.provider}: read timeout on {where}",
                                  provider=self.provider, method=method,
                                  path=self._safe(path)) from None
        except requests.ConnectionError as exc:
            cls = APIConnectError if _never_sent(exc) else APIConnectionError
            raise cls(f"{self.provider}: connection failed on {where}: "
                      f"{type(root_cause(exc)).__name__}",
                      provider=self.provider, method=method, path=self._safe(path)) from None
        except requests.exceptions.InvalidJSONError:
            raise ValidationError(f"{self.provider}: the body of {where} is not valid JSON "
                                  "(NaN, infinity or an unserializable value)",
                                  provider=self.provider) from None
        except (ValueError, http.client.HTTPException) as exc:
            # InvalidHeader, InvalidURL, UnicodeEncodeError...: their text may quote a
            # credential, so only the type is kept
            raise ConfigurationError(f"{self.provider}: the request {where} could not be "
                                     f"built ({type(exc).__name__}); check the credentials "
                                     "and settings for control or non-ASCII characters"
                                     ) from None
        except requests.RequestException as exc:
            raise APIConnectionError(f"{self.provider}: request failed on {where}: "
                                     f"{type(exc).__name__}", provider=self.provider,
                                     method=method, path=self._safe(path)) from None
        self._local.last_response = raw
        self._update_rate_limit(raw.headers)
        request_id = header_text(raw.headers.get(self._request_id_header))
        reader = self._reader()
        content = reader.read_body(raw, started, method, path, request_id)
        elapsed = time.monotonic() - started
        body = reader.decode(raw, content, request_id)
        if isinstance(body, Mapping) and not request_id:
            request_id = text_of(body.get("request_id"))
            request_id = self._safe(request_id) if request_id else None
        logger.debug("%s <- %s %d in %.0f ms request_id=%s", self.provider, self._log(where),
                     raw.status_code, elapsed * 1000, self._log(str(request_id)))
        if raw.status_code >= 400:
            raise self._error(raw, body, request_id)
        if raw.status_code < 200 or raw.status_code >= 300:
            raise reader.response_error(raw, f"unexpected HTTP status {raw.status_code}",
                                        content, request_id)
        return Response(status=raw.status_code, headers=raw.headers, body=body,
                        request_id=request_id, method=method, url=self._safe(raw.url),
                        elapsed=elapsed)

    def _attempt_timeout(self) -> float | tuple[float, float]:
        """The configured timeout, the read part capped by the deadline."""
        timeout = self.timeout
        if isinstance(timeout, tuple):
            return (timeout[0], min(timeout[1], self.deadline))
        return (timeout, min(timeout, self.deadline))

    def _reader(self) -> AnswerReader:
        """The guarded reader of this attempt's answer, under the client's current limits."""
        return AnswerReader(self.provider, self._secrets, self.max_body_bytes, self.deadline,
                            self.max_json_depth)

    def _error(self, raw: requests.Response, body: Any, request_id: str | None) -> APIError:
        """The provider's error for an error status: parsed, then made safe to show."""
        try:
            error = self._error_parser(raw, body)
        except (TypeError, ValueError, AttributeError, KeyError, IndexError, OverflowError):
            logger.debug("%s: error parser failed on a %d answer; using the status",
                         self.provider, raw.status_code)
            error = default_error(self.provider, raw, body)
        if error.request_id is None:
            error.request_id = request_id
        error.provider = error.provider or self.provider
        error.code = text_of(error.code)
        error.field = text_of(error.field)
        error.message = escape_control(self._safe(text_of(error.message)
                                                  or f"HTTP {raw.status_code}"))
        error.request_id = (escape_control(self._safe(str(error.request_id)))
                            if error.request_id else None)
        if error.code:
            error.code = escape_control(self._safe(error.code))
        error.body = redact_value(error.body, self._secrets)
        error.headers = self._safe_headers(error.headers)
        error.args = (error.message,)
        return error

    def _safe_headers(self, headers: Mapping[str, str]) -> dict[str, str]:
        return self._reader().safe_headers(headers)

    def _update_rate_limit(self, headers: Mapping[str, str]) -> None:
        if self._rate_limit_parser is None:
            return
        try:
            state = self._rate_limit_parser(headers)
        except (TypeError, ValueError, OverflowError, ArithmeticError):
            logger.debug("%s: unreadable rate-limit headers ignored", self.provider)
            return
        if state is not None:
            self._rate_limit = state

    def _safe(self, text: str) -> str:
        return redact(text, self._secrets)

    def _log(self, text: str) -> str:
        """Text fit for one log line: secrets redacted, control characters escaped."""
        return escape_control(redact(text, self._secrets))


#: body and query keys whose values are secrets whatever the provider (a webhook's signing
#: secret sent to register it, a password...): logged as ``***``
SECRET_KEYS = re.compile(r"secret|password|passwd|token|api[_-]?key|authorization", re.I)


def _masked(value: Any, depth: int = 0) -> Any:
    """``value`` with the values of secret-named keys replaced by ``***`` (for logs only)."""
    if depth > 20:
        return "..."
    if isinstance(value, Mapping):
        return {k: REDACTED if isinstance(k, str) and SECRET_KEYS.search(k)
                else _masked(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_masked(v, depth + 1) for v in value]
    return value


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.rpartition("@")[2].lower()


def _short(body: Any, limit: int = 500) -> str:
    if body is None:
        return "-"
    try:
        text = jsonlib.dumps(_masked(body), default=str)
    except (ValueError, RecursionError):
        text = f"<{type(body).__name__}>"
    return text if len(text) <= limit else text[:limit] + "..."


def _never_sent(exc: requests.ConnectionError) -> bool:
    """True when the connection could not be opened (refused, DNS...), so the request never
    reached the server: urllib3 says so with a ``NewConnectionError``."""
    seen: BaseException | None = exc
    for _ in range(10):  # a short chain; never loops on a cycle
        if seen is None:
            break
        if isinstance(seen, urllib3.exceptions.NewConnectionError):
            return True
        reason = getattr(seen, "reason", None)
        if isinstance(reason, urllib3.exceptions.NewConnectionError):
            return True
        nested = seen.args[0] if seen.args and isinstance(seen.args[0], BaseException) else None
        seen = nested or seen.__context__
    return False

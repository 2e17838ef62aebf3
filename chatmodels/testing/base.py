"""Generic machinery shared by every provider simulator.

A provider simulator subclasses :class:`BaseSimulator` and supplies:

* ``name`` -- the provider name (``"intercom"``);
* ``routes`` -- a list of :class:`Route` (path, methods, handler);
* :meth:`BaseSimulator.create_state` -- a fresh, empty in-memory backend;
* :meth:`BaseSimulator.populate` -- fill the backend with generated data
  (``populate(state, rng, **counts)``, ``rng`` is a ``random.Random``);
* :meth:`BaseSimulator.make_credentials` -- the ``connect()`` kwargs a client needs;
* :meth:`BaseSimulator.authenticate` -- check a request's credentials (raise :class:`SimError`);
* :meth:`BaseSimulator.error_body` -- the provider's JSON error body;
* :meth:`BaseSimulator.rate_limit_headers` -- the provider's rate-limit headers.

Handlers are called as ``handler(ctx, **url_values)`` with the state lock held. ``ctx`` is a
:class:`Context`. A handler returns a werkzeug ``Response``, a JSON-able value (status 200),
``(value, status)`` or ``(value, status, headers)``, or raises :class:`SimError`.

Everything else lives here: the one WSGI request path (dispatch, authentication, request log,
latency, throttling and rate limiting), which also decides what an injected fault does to the
answer. The fault queue, ``chaos`` and the dropping or resetting of a connection are in
:mod:`chatmodels.testing.faults` (mixed in as :class:`~chatmodels.testing.faults.FaultInjection`).
Webhooks (subscriptions, the delivery thread, delivery faults) are in
:mod:`chatmodels.testing.webhooks` (mixed in as :class:`~.webhooks.WebhookDelivery`): after a
handler answered 2xx, :meth:`BaseSimulator.request_webhooks` lets the provider emit its events.
"""

from __future__ import annotations

import json
import math
import random
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from .faults import Drop, Fault, FaultInjection, drop_connection, reset_mid_answer
from .files import FileStore
from .files import serves as serves_file
from .webhooks import Credentials, WebhookDelivery

__all__ = [
    "BaseSimulator",
    "Context",
    "Fault",
    "RecordedRequest",
    "Route",
    "SimError",
    "dumps",
    "json_response",
]

_DUMPS = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def dumps(value: Any) -> str:
    """Compact JSON encoding used for every response body."""
    return _DUMPS(value)


def json_response(value: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A JSON response (``application/json; charset=utf-8``)."""
    body = b"" if value is None else dumps(value).encode("utf-8")
    resp = Response(body, status=status, content_type="application/json; charset=utf-8")
    if headers:
        for key, val in headers.items():
            resp.headers[key] = val
    return resp


class SimError(Exception):
    """Raised by handlers (or hooks) to answer with the provider's error body."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}
        self.extra = extra or {}


@dataclass
class Route:
    """One routing-table entry: a werkzeug rule string, its methods and its handler."""

    path: str
    methods: list[str]
    handler: Callable[..., Any]


@dataclass
class RecordedRequest:
    """One request as received by the simulator (secrets redacted)."""

    method: str
    path: str
    query: dict[str, str]
    json: Any
    headers: dict[str, str]
    status: int | None = None  # status answered (None when the connection was dropped)
    timestamp: float = 0.0
    request_id: str | None = None


class Context:
    """Everything a handler needs about the current request."""

    __slots__ = ("sim", "request", "query", "json", "token", "request_id", "method", "path")

    def __init__(self, sim: BaseSimulator, request: Request, query: dict[str, str], body: Any,
                 request_id: str) -> None:
        self.sim = sim
        self.request = request
        self.query = query
        self.json = body
        self.token: str | None = None
        self.request_id = request_id
        self.method = request.method
        self.path = request.path

    @property
    def state(self) -> Any:
        return self.sim.state

    @property
    def headers(self) -> Any:
        return self.request.headers

    @property
    def body(self) -> dict[str, Any]:
        """The JSON body as a dict ({} when absent); a non-object body is a 400."""
        if self.json is None:
            return {}
        if not isinstance(self.json, dict):
            status, code, message = self.sim.invalid_json_error
            raise SimError(status, code, message)
        return self.json


class _RateWindow:
    __slots__ = ("start", "count")

    def __init__(self, start: float) -> None:
        self.start = start
        self.count = 0


class BaseSimulator(FaultInjection, WebhookDelivery):
    """A provider simulator: a WSGI application plus inspectable state and fault injection."""

    name: str = "base"
    routes: list[Route] = []
    #: Counts used when the caller gives none (``serve("x")``).
    default_counts: dict[str, int] = {}
    #: Header carrying a per-request id (None: no such header).
    request_id_header: str | None = "X-Request-Id"
    #: Headers whose value is replaced by "***" in the request log.
    redacted_headers: frozenset[str] = frozenset({"authorization", "cookie", "x-api-key"})
    #: (limit, window seconds) advertised in rate-limit headers when no limit is enforced.
    advertised_rate_limit: tuple[int, float] = (1000, 60.0)
    #: the API's path prefix (``/v1``): ``base_url`` is the server root plus it, as clients
    #: expect, while ``root_url`` is the bare server
    path_prefix: str = ""
    #: (status, code, message) answered for an unparsable JSON body.
    invalid_json_error: tuple[int, str, str] = (400, "bad_request", "Invalid JSON body")
    #: (status, code, message) for unknown paths / wrong methods.
    not_found_error: tuple[int, str, str] = (404, "not_found", "Resource Not Found")
    method_not_allowed_error: tuple[int, str, str] = (405, "method_not_allowed", "Method Not Allowed")
    #: (code, message) for 429 answers.
    rate_limit_error: tuple[str, str] = ("rate_limit_exceeded", "Rate limit exceeded")

    def __init__(self, seed: int = 0, **counts: int) -> None:
        self.seed_value = seed
        self.counts = {**self.default_counts, **counts}
        self.lock = threading.RLock()  # guards state
        self._meta_lock = threading.Lock()  # guards log, faults, rate windows
        self.requests: list[RecordedRequest] = []
        self.faults: list[Fault] = []
        self.latency: float = 0.0
        self._rate_limit: tuple[int, float] | None = None
        self._chaos: tuple[float, random.Random, tuple[str, ...], str | None, float] | None = None
        self._windows: dict[str, _RateWindow] = {}
        self._seed_calls = 0
        self.base_url = None
        self.host: str | None = None
        self.port: int | None = None
        self._init_webhooks()
        self.credentials: dict[str, Any] = Credentials(self.make_credentials())
        self.credentials.setdefault("webhook_secret", self.make_webhook_secret())
        self.url_map = Map(
            [Rule(r.path, methods=r.methods, endpoint=r.handler) for r in self.routes],
            strict_slashes=False,
            merge_slashes=False,
        )
        self.state: Any = None
        #: stored files, served at ``<root_url>/_files/...`` (see chatmodels.testing.files)
        self.files = FileStore(lambda: self.root_url)
        self._initial_seed()

    @property
    def base_url(self) -> str | None:
        """Where clients point: the server root plus ``path_prefix`` (None until served)."""
        root = self.__dict__.get("_root_url")
        return None if root is None else root + self.path_prefix

    @base_url.setter
    def base_url(self, value: str | None) -> None:
        prefix = self.path_prefix
        if value is not None and prefix and value.endswith(prefix):
            value = value[: -len(prefix)]
        self.__dict__["_root_url"] = value

    @property
    def root_url(self) -> str | None:
        """The server root (``base_url`` without ``path_prefix``)."""
        return self.__dict__.get("_root_url")

    # ------------------------------------------------------------------ provider hooks
    def create_state(self) -> Any:
        """Return a fresh, empty backend."""
        raise NotImplementedError

    def populate(self, state: Any, rng: random.Random, **counts: int) -> None:
        """Add generated data to ``state``."""
        raise NotImplementedError

    def make_credentials(self) -> dict[str, Any]:
        """kwargs for the client's ``connect()``; called once per simulator."""
        return {}

    def authenticate(self, ctx: Context) -> None:
        """Raise :class:`SimError` when the request's credentials are wrong; may set ctx.token."""

    def error_body(self, status: int, code: str, message: str, ctx: Context | None,
                   request_id: str, extra: dict[str, Any]) -> Any:
        """The provider's JSON error body."""
        return {"error": {"code": code, "message": message}, "request_id": request_id}

    def default_error(self, status: int) -> tuple[str, str]:
        """(code, message) for an injected failure with this status."""
        messages = {
            400: ("bad_request", "Bad Request"),
            401: ("unauthorized", "Unauthorized"),
            403: ("forbidden", "Forbidden"),
            404: ("not_found", "Resource Not Found"),
            409: ("conflict", "Conflict"),
            422: ("unprocessable_entity", "Unprocessable Entity"),
            429: self.rate_limit_error,
            500: ("server_error", "Internal Server Error"),
            502: ("bad_gateway", "Bad Gateway"),
            503: ("service_unavailable", "Service Unavailable"),
            504: ("gateway_timeout", "Gateway Timeout"),
        }
        return messages.get(status, ("server_error" if status >= 500 else "error", "Error"))

    def rate_limit_headers(self, limit: int, remaining: int, reset: int,
                           retry_after: float | None) -> dict[str, str]:
        """Headers describing the rate limit (``reset`` is epoch seconds)."""
        headers = {
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-Reset": str(reset),
        }
        if retry_after is not None:
            headers["Retry-After"] = str(max(0, math.ceil(retry_after)))
        return headers

    def check_request(self, ctx: Context) -> None:
        """Extra per-request validation after authentication (e.g. API version header)."""

    def request_webhooks(self, ctx: Context, endpoint: Callable[..., Any],
                         values: Mapping[str, Any], answer: Any) -> None:
        """Emit the webhooks of a request answered 2xx (``answer``: its decoded JSON body,
        None when it has none); called under the state lock, only when
        :meth:`has_webhook_targets`."""

    def new_request_id(self) -> str:
        return str(uuid.uuid4())

    # ------------------------------------------------------------------ seeding / reset
    def _initial_seed(self) -> None:
        with self.lock:
            self.state = self.create_state()
            self._seed_calls = 0
            with self.muted_webhooks():
                self.populate(self.state, random.Random(self.seed_value), **self.counts)

    def seed(self, **counts: int) -> None:
        """Add more generated data (deterministic for a given seed and call order)."""
        with self.lock:
            self._seed_calls += 1
            rng = random.Random(f"{self.seed_value}:{self._seed_calls}")
            with self.muted_webhooks():  # seeded data sends no webhooks
                self.populate(self.state, rng, **counts)

    def reset(self) -> None:
        """Clear state, request log, faults, latency, rate limits and webhook subscriptions
        (with their queue and delivery log); re-seed as at start."""
        with self._meta_lock:
            self.requests.clear()
            self.faults.clear()
            self._windows.clear()
            self._rate_limit = None
        self.reset_webhooks()
        self.latency = 0.0
        self.files.clear()
        self._initial_seed()

    def clear_faults(self) -> None:
        """Drop the request faults, ``chaos`` and the webhook delivery faults."""
        super().clear_faults()
        self.clear_webhook_faults()

    def clear_requests(self) -> None:
        with self._meta_lock:
            self.requests.clear()

    # ------------------------------------------------------------------ rate limiting
    def rate_limit(self, limit: int | None = 100, window: float = 10.0) -> None:
        """Enforce ``limit`` requests per ``window`` seconds per credential (None disables)."""
        with self._meta_lock:
            self._rate_limit = None if limit is None else (int(limit), float(window))
            self._windows.clear()

    def _count_request(self, key: str, now: float, count: bool = True,
                       ) -> tuple[bool, dict[str, str]]:
        """Count one request (unless ``count`` is false); return (allowed, rate-limit headers)."""
        with self._meta_lock:
            enforced = self._rate_limit
            limit, window = enforced or self.advertised_rate_limit
            start = math.floor(now / window) * window
            win = self._windows.get(key)
            if win is None or win.start != start:
                win = self._windows[key] = _RateWindow(start)
            reset = math.ceil(start + window)
            if enforced is not None and win.count >= limit:
                return False, self.rate_limit_headers(limit, 0, reset, reset - now)
            if count:
                win.count += 1
            remaining = max(0, limit - win.count)
        return True, self.rate_limit_headers(limit, remaining, reset, None)

    # ------------------------------------------------------------------ helpers for handlers
    @staticmethod
    def json(value: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
        return json_response(value, status, headers)

    @staticmethod
    def empty(status: int = 204) -> Response:
        return Response(b"", status=status)

    # ------------------------------------------------------------------ WSGI
    def _error_response(self, status: int, code: str, message: str, ctx: Context | None,
                        request_id: str, extra: dict[str, Any] | None = None,
                        headers: dict[str, str] | None = None) -> Response:
        body = self.error_body(status, code, message, ctx, request_id, extra or {})
        return json_response(body, status, headers)

    def _record(self, request: Request, query: dict[str, str], body: Any,
                request_id: str) -> RecordedRequest:
        redacted = self.redacted_headers
        headers = {k: ("***" if k.lower() in redacted else v) for k, v in request.headers.items()}
        rec = RecordedRequest(request.method, request.path, query, body, headers,
                              timestamp=time.time(), request_id=request_id)
        with self._meta_lock:
            self.requests.append(rec)
        return rec

    def wsgi_app(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if serves_file(environ.get("PATH_INFO", "")):
            return self.files.answer(environ, start_response)
        request = Request(environ)
        request_id = self.new_request_id()
        query = dict(request.args.items(multi=True))
        raw = request.get_data(cache=True)
        body: Any = None
        bad_json = False
        if raw and not request.mimetype.startswith("multipart/"):  # uploads: ctx.request.files
            try:
                body = json.loads(raw)
            except ValueError:
                bad_json = True
        rec = self._record(request, query, body, request_id)
        method, path = request.method, request.path

        latency = self.latency
        if latency and latency > 0:
            time.sleep(latency)

        ctx = Context(self, request, query, body, request_id)
        drop_after = False
        reset_after = False
        slow_by = 0.0
        now = time.time()
        key = request.headers.get("Authorization", "")
        extra_headers: dict[str, str] = {}
        try:
            fault = self._take_fault(method, path)
            if fault is not None:
                if fault.kind == "drop":
                    if not fault.after_apply:
                        raise Drop()
                    drop_after = True
                elif fault.kind == "slow":
                    slow_by = fault.delay
                elif fault.kind == "reset":
                    reset_after = True
                elif fault.kind == "throttle":
                    retry = fault.retry_after if fault.retry_after is not None else 1
                    limit = (self._rate_limit or self.advertised_rate_limit)[0]
                    headers = self.rate_limit_headers(limit, 0, math.ceil(now + retry), retry)
                    code, message = self.rate_limit_error
                    raise SimError(429, code, message, headers=headers)
                else:
                    code, message = self.default_error(fault.status)
                    headers = dict(fault.headers)
                    if fault.status == 429:
                        retry = fault.retry_after if fault.retry_after is not None else 1
                        limit = (self._rate_limit or self.advertised_rate_limit)[0]
                        headers.update(self.rate_limit_headers(limit, 0, math.ceil(now + retry),
                                                               fault.retry_after))
                    if fault.retry_after is not None:
                        headers["Retry-After"] = str(max(0, math.ceil(fault.retry_after)))
                    raise SimError(fault.status, fault.code or code, fault.message or message,
                                   headers=headers)
            self.authenticate(ctx)
            allowed, extra_headers = self._count_request(key, now)
            if not allowed:
                code, message = self.rate_limit_error
                raise SimError(429, code, message)
            self.check_request(ctx)
            if bad_json:
                raise SimError(*self.invalid_json_error)
            adapter = self.url_map.bind_to_environ(environ)
            try:
                handler, values = adapter.match()
            except MethodNotAllowed as exc:
                raise SimError(*self.method_not_allowed_error) from exc
            except NotFound as exc:
                raise SimError(*self.not_found_error) from exc
            except HTTPException as exc:  # e.g. redirects; treat as not found
                raise SimError(*self.not_found_error) from exc
            with self.lock:  # serialize under the lock: results may share state objects
                response = self.files.rebase(self._to_response(handler(ctx, **values)))
                if 200 <= response.status_code < 300 and self.has_webhook_targets():
                    self._request_webhooks(ctx, handler, values, response)
        except Drop:
            rec.status = None
            return drop_connection(environ, start_response)
        except SimError as err:
            response = self._error_response(err.status, err.code, err.message, ctx, request_id,
                                            err.extra, err.headers)
        except Exception:  # a bug in a handler: answer like the provider would
            traceback.print_exc(file=sys.stderr)
            code, message = self.default_error(500)
            response = self._error_response(500, code, message, ctx, request_id)
        if drop_after:
            rec.status = None
            return drop_connection(environ, start_response)
        if slow_by > 0:
            time.sleep(slow_by)
        if not extra_headers:
            # injected failures and auth errors still carry the current rate-limit state
            extra_headers = self._count_request(key, now, count=False)[1]
        for k, v in extra_headers.items():
            response.headers.setdefault(k, v)
        if self.request_id_header:
            response.headers[self.request_id_header] = request_id
        rec.status = response.status_code
        if reset_after:
            rec.status = None
            return reset_mid_answer(environ, start_response, response)
        return response(environ, start_response)

    def _request_webhooks(self, ctx: Context, handler: Callable[..., Any],
                          values: Mapping[str, Any], response: Response) -> None:
        answer: Any = None
        data = response.get_data()
        if data and response.mimetype == "application/json":
            try:
                answer = json.loads(data)
            except ValueError:
                answer = None
        try:
            self.request_webhooks(ctx, handler, values, answer)
        except Exception:  # a bug in the webhook code must not fail the applied request
            traceback.print_exc(file=sys.stderr)

    def _to_response(self, result: Any) -> Response:
        if isinstance(result, Response):
            return result
        if isinstance(result, tuple):
            if len(result) == 2:
                return json_response(result[0], result[1])
            return json_response(result[0], result[1], result[2])
        return json_response(result)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        return self.wsgi_app(environ, start_response)

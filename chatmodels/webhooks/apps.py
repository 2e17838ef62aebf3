"""``wsgi_app`` and ``asgi_app``: a webhook endpoint for any server or framework.

Each request: a bounded body is read (``max_body`` bytes; more is 413, an undeclared length
411 unless the server says the input is terminated), the delivery is verified and parsed with
:func:`chatmodels.webhooks.parse`, ``handler(event)`` is called, and the answer is what makes a
provider stop or retry:

=====  ==========================================================================
200    handled (or a duplicate the ``dedup`` had already seen): no retry
401    missing, bad or stale signature (``InvalidSignature``/``StaleEvent``)
400    malformed payload (``ValidationError``)
405    not a POST (``HEAD`` answers 200: some providers probe the URL with it)
500    the handler raised: the provider retries later
=====  ==========================================================================

A ``token`` query parameter (``https://host/hook?token=...``, Brevo's only protection) reaches
the parser as the ``X-Chatmodels-Url-Token`` header. With ``dedup`` (a :class:`Deduplicator`)
the handler sees each ``Event.id`` once; an id whose handler failed is forgotten so that the
retry gets through. Rejections and handler failures are logged on ``chatmodels.webhooks``
(never a secret) and passed to ``on_reject(status, exc)`` when given.
"""

from __future__ import annotations

import datetime as dt
import inspect
import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import parse_qs

from ..errors import ChatModelsError, ValidationError
from .dedup import Deduplicator
from .event import MAX_BODY, URL_TOKEN_HEADER, Event, InvalidSignature, require_secret
from .parsing import parse, parser_for

logger = logging.getLogger("chatmodels.webhooks")

_REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 405: "Method Not Allowed",
            411: "Length Required", 413: "Payload Too Large", 500: "Internal Server Error"}
Answer = tuple[int, str]


class _Endpoint:
    """What the WSGI and ASGI apps share: verification, parsing, status codes, dedup."""

    def __init__(self, handler: Callable[[Event], Any], provider: str, secret: str,
                 max_age: float | None, max_body: int, dedup: Deduplicator | None, api: Any,
                 on_reject: Callable[[int, BaseException], Any] | None) -> None:
        if not callable(handler):
            raise TypeError("handler must be callable: handler(event)")
        parser_for(provider)  # an unknown provider fails now, not on the first delivery
        require_secret(provider, secret)
        self.handler, self.provider, self.secret = handler, provider, secret
        self.max_age, self.max_body, self.dedup, self.api = max_age, max_body, dedup, api
        self.on_reject = on_reject

    def verify(self, headers: list[tuple[str, str]], query: str, body: bytes) -> Event | Answer:
        """The event, or the answer that rejects the delivery."""
        tokens = parse_qs(query).get("token")
        if tokens:
            token = tokens[0]
            headers = [(k, v) for k, v in headers if k.lower() != URL_TOKEN_HEADER.lower()]
            headers.append((URL_TOKEN_HEADER, token))
        try:
            return parse(self.provider, headers=headers, body=body, secret=self.secret,
                         max_age=self.max_age, now=dt.datetime.now(dt.timezone.utc),
                         api=self.api)
        except InvalidSignature as exc:
            return self.reject(401, exc)
        except ValidationError as exc:
            return self.reject(400, exc)
        except ChatModelsError as exc:  # a configuration error (no secret...): ours, not theirs
            return self.reject(500, exc)

    def reject(self, status: int, exc: BaseException) -> Answer:
        if status >= 500:
            logger.error("%s webhook: %s", self.provider, _text(exc))
        else:
            logger.warning("%s webhook rejected (%d): %s", self.provider, status, _text(exc))
        if self.on_reject is not None:
            self.on_reject(status, exc)
        return status, (_text(exc) if status < 500 else "error") + "\n"

    def claim(self, event: Event) -> bool:
        return self.dedup is None or self.dedup.first(event)

    def failed(self, event: Event, exc: BaseException) -> Answer:
        if self.dedup is not None:
            self.dedup.forget(event)
        logger.error("%s webhook handler failed on %s (%s): %s: %s", self.provider, event.id,
                     event.provider_topic, type(exc).__name__, exc)
        if self.on_reject is not None:
            self.on_reject(500, exc)
        return 500, "handler failed\n"

    def check_length(self, declared: str | None, terminated: bool) -> Answer | int:
        """The number of bytes to read, or the answer that refuses the body."""
        if declared is None or declared.strip() == "":
            if terminated:
                return self.max_body + 1
            return 411, "a Content-Length is required\n"
        try:
            length = int(declared)
        except ValueError:
            return 400, "bad Content-Length\n"
        if length < 0:
            return 400, "bad Content-Length\n"
        if length > self.max_body:
            return 413, f"the body is larger than {self.max_body} bytes\n"
        return length


def _text(exc: BaseException) -> str:
    return getattr(exc, "message", None) or str(exc) or type(exc).__name__


def _read(stream: Any, size: int) -> bytes:
    chunks, left = [], size
    while left > 0:
        chunk = stream.read(min(left, 64 * 1024))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _headers(environ: Mapping[str, Any]) -> list[tuple[str, str]]:
    out = []
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            out.append((key[5:].replace("_", "-").title(), value))
        elif key in ("CONTENT_TYPE", "CONTENT_LENGTH") and value:
            out.append((key.replace("_", "-").title(), value))
    return out


def wsgi_app(handler: Callable[[Event], Any], *, provider: str, secret: str,
             max_age: float | None = 300, max_body: int = MAX_BODY,
             dedup: Deduplicator | None = None, api: Any = None,
             on_reject: Callable[[int, BaseException], Any] | None = None) -> Any:
    """A WSGI application receiving ``provider``'s webhooks (see the module docstring)."""
    endpoint = _Endpoint(handler, provider, secret, max_age, max_body, dedup, api, on_reject)

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        status, text = _wsgi(endpoint, environ)
        payload = text.encode("utf-8")
        headers = [("Content-Type", "text/plain; charset=utf-8"),
                   ("Content-Length", str(len(payload)))]
        if status == 405:
            headers.append(("Allow", "POST, HEAD"))
        start_response(f"{status} {_REASONS.get(status, '')}", headers)
        return [] if environ.get("REQUEST_METHOD") == "HEAD" else [payload]

    return app


def _wsgi(endpoint: _Endpoint, environ: dict[str, Any]) -> Answer:
    method = environ.get("REQUEST_METHOD", "GET")
    if method == "HEAD":
        return 200, ""
    if method != "POST":
        return 405, "POST only\n"
    size = endpoint.check_length(environ.get("CONTENT_LENGTH"),
                                 bool(environ.get("wsgi.input_terminated")))
    if isinstance(size, tuple):
        return size
    body = _read(environ["wsgi.input"], size)
    if len(body) > endpoint.max_body:
        return 413, f"the body is larger than {endpoint.max_body} bytes\n"
    result = endpoint.verify(_headers(environ), environ.get("QUERY_STRING", ""), body)
    if isinstance(result, tuple):
        return result
    if not endpoint.claim(result):
        return 200, "duplicate\n"
    try:
        endpoint.handler(result)
    except Exception as exc:  # the handler is the user's: any failure means "retry later"
        return endpoint.failed(result, exc)
    return 200, "ok\n"


def asgi_app(handler: Callable[[Event], Any], *, provider: str, secret: str,
             max_age: float | None = 300, max_body: int = MAX_BODY,
             dedup: Deduplicator | None = None, api: Any = None,
             on_reject: Callable[[int, BaseException], Any] | None = None) -> Any:
    """The same endpoint as an ASGI (3.0) application. ``handler`` may be a coroutine
    function (awaited); a plain function runs on the event loop, so keep it short."""
    endpoint = _Endpoint(handler, provider, secret, max_age, max_body, dedup, api, on_reject)

    async def app(scope: dict[str, Any], receive: Callable[..., Any],
                  send: Callable[..., Any]) -> None:
        if scope.get("type") == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope.get("type") != "http":
            return
        status, text = await _asgi(endpoint, scope, receive)
        payload = text.encode("utf-8")
        headers = [(b"content-type", b"text/plain; charset=utf-8"),
                   (b"content-length", str(len(payload)).encode("ascii"))]
        if status == 405:
            headers.append((b"allow", b"POST, HEAD"))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body",
                    "body": b"" if scope.get("method") == "HEAD" else payload})

    return app


async def _asgi(endpoint: _Endpoint, scope: dict[str, Any], receive: Callable[..., Any]) -> Answer:
    method = scope.get("method", "GET")
    if method == "HEAD":
        return 200, ""
    if method != "POST":
        return 405, "POST only\n"
    headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope.get("headers", [])]
    declared = next((v for k, v in headers if k.lower() == "content-length"), None)
    size = endpoint.check_length(declared, True)
    if isinstance(size, tuple):
        return size
    chunks: list[bytes] = []
    total = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return 400, "the client went away\n"
        chunk = message.get("body", b"")
        total += len(chunk)
        if total > endpoint.max_body:
            return 413, f"the body is larger than {endpoint.max_body} bytes\n"
        chunks.append(chunk)
        if not message.get("more_body"):
            break
    query = scope.get("query_string", b"").decode("latin-1")
    result = endpoint.verify(headers, query, b"".join(chunks))
    if isinstance(result, tuple):
        return result
    if not endpoint.claim(result):
        return 200, "duplicate\n"
    try:
        outcome = endpoint.handler(result)
        if inspect.isawaitable(outcome):
            await outcome
    except Exception as exc:  # the handler is the user's: any failure means "retry later"
        return endpoint.failed(result, exc)
    return 200, "ok\n"


__all__ = ["asgi_app", "wsgi_app"]

"""The one guarded read and decode of an answer, and the text helpers that make it safe to show.

:class:`AnswerReader` streams the body in small reads, so ``max_body_bytes`` (decoded size) and the
per-attempt ``deadline`` (checked between reads) bound what a server can make us read and wait
for. Transport errors mid-body become :class:`~chatmodels.errors.ResponseReadError`; a body that
is not JSON, is truncated, nested deeper than ``max_json_depth`` or too large becomes a
:class:`~chatmodels.errors.ResponseError` with a short redacted excerpt (an error status keeps it
as text for its error parser). An empty body is ``None``.

Secrets are replaced by ``***`` (:func:`redact`); :func:`escape_control` keeps a server's text on
one line. :class:`~chatmodels.http.HttpClient` sends, retries and paces; this module only reads.
"""

from __future__ import annotations

import http.client
import json as jsonlib
import math
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import IO, Any

import requests
import urllib3.exceptions

from .errors import APITimeoutError, ContentTooLarge, ResponseError, ResponseReadError

REDACTED = "***"
#: largest body read (decoded bytes); larger answers raise ResponseError
DEFAULT_MAX_BODY_BYTES = 50 * 1024 * 1024
#: seconds one attempt may take from sending to the last body byte
DEFAULT_DEADLINE = 60.0
#: deepest JSON nesting accepted (deeper raises ResponseError)
DEFAULT_MAX_JSON_DEPTH = 100
_READ_SIZE = 64 * 1024
_EXCERPT = 200
CONTROL = re.compile("[\x00-\x1f\x7f\x85\u2028\u2029]")


def redact(text: str, secrets: tuple[str, ...]) -> str:
    """Replace every secret in ``text`` by ``***``."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    return text


def redact_value(value: Any, secrets: tuple[str, ...]) -> Any:
    """``value`` with every secret replaced in its strings (dict keys and values, list items)."""
    if not secrets:
        return value
    if isinstance(value, str):
        return redact(value, secrets)
    if isinstance(value, Mapping):
        return {redact_value(k, secrets): redact_value(v, secrets) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact_value(v, secrets) for v in value]
    return value


def escape_control(text: str) -> str:
    """``text`` with control characters (CR, LF, NUL, ...) written as escapes: one log line."""
    return CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def finite(value: Any) -> float | None:
    """A header value as a finite float, or ``None`` (non-numeric, NaN, infinite)."""
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def text_of(value: Any) -> str | None:
    """A message or code from an error body as text: strings as is, numbers written out,
    anything else (lists, objects, booleans) ``None``."""
    if isinstance(value, str):
        return value or None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return None


def header_text(value: Any) -> str | None:
    """A header value when it is non-empty text, else ``None``."""
    return value if isinstance(value, str) and value else None


def root_cause(exc: BaseException) -> BaseException:
    """The first exception of ``exc``'s context chain."""
    while exc.__context__ is not None and exc.__context__ is not exc:
        exc = exc.__context__
    return exc


@dataclass(frozen=True)
class AnswerReader:
    """Reads and decodes the answers of one provider account under its limits."""

    provider: str
    secrets: tuple[str, ...] = ()
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    deadline: float = DEFAULT_DEADLINE
    max_json_depth: int = DEFAULT_MAX_JSON_DEPTH

    def safe(self, text: str) -> str:
        return redact(text, self.secrets)

    def safe_headers(self, headers: Mapping[str, str]) -> dict[str, str]:
        return {k: self.safe(v) if isinstance(v, str) else v for k, v in headers.items()}

    def read_body(self, raw: requests.Response, started: float, method: str, path: str,
                  request_id: str | None) -> bytes:
        """The whole (decoded) body, read in small pieces under the size cap and the deadline."""
        chunks: list[bytes] = []
        self._pump(raw, started, method, path, request_id, chunks.append)
        content = b"".join(chunks)
        # the raw response reads as usual (``client.last_response.content``)
        raw._content = content
        raw._content_consumed = True  # type: ignore[attr-defined]
        return content

    def stream_body(self, raw: requests.Response, started: float, method: str, path: str,
                    request_id: str | None, sink: IO[bytes]) -> int:
        """Copy the (decoded) body into ``sink`` in small pieces under the size cap and the
        deadline, as :meth:`read_body` reads; return its size. For files, not JSON."""
        return self._pump(raw, started, method, path, request_id, sink.write)

    def _pump(self, raw: requests.Response, started: float, method: str, path: str,
              request_id: str | None, write: Callable[[bytes], object]) -> int:
        """Hand the body to ``write`` piece by piece under the size cap and the deadline;
        its size. The connection is released after a complete read, closed otherwise."""
        where = f"{method} {self.safe(path)}"
        declared = header_text(raw.headers.get("Content-Length"))
        if (declared and declared.isdigit() and int(declared) > self.max_body_bytes
                and "Content-Encoding" not in raw.headers):
            raw.close()
            raise self.too_large(raw, request_id)
        reader = raw.raw
        read = getattr(reader, "read1", None) or reader.read
        size = 0
        complete = False
        try:
            while True:
                if time.monotonic() - started > self.deadline:
                    raise APITimeoutError(
                        f"{self.provider}: {where} exceeded its {self.deadline:g}s deadline "
                        "while reading the answer", provider=self.provider, method=method,
                        path=self.safe(path))
                chunk = read(_READ_SIZE, decode_content=True)
                if not chunk:
                    break
                size += len(chunk)
                if size > self.max_body_bytes:
                    raise self.too_large(raw, request_id)
                write(chunk)
            complete = True
        except (urllib3.exceptions.ReadTimeoutError, TimeoutError):
            raise APITimeoutError(f"{self.provider}: read timeout in the body of {where}",
                                  provider=self.provider, method=method,
                                  path=self.safe(path)) from None
        except (urllib3.exceptions.HTTPError, http.client.HTTPException, OSError,
                requests.RequestException) as exc:
            raise ResponseReadError(
                f"{self.provider}: the answer to {where} broke off mid-body "
                f"({type(root_cause(exc)).__name__})", provider=self.provider, method=method,
                path=self.safe(path)) from None
        finally:
            if complete:
                reader.release_conn()
            else:
                raw.close()  # the connection is in an unknown state: never reuse it
        return size

    def decode(self, raw: requests.Response, content: bytes, request_id: str | None) -> Any:
        """JSON body, ``None`` when empty. An error status keeps a non-JSON body as
        (redacted, shortened) text for its error parser; any other status raises."""
        if not content:
            return None
        failure = None
        try:
            body = jsonlib.loads(content)
        except RecursionError:
            failure = "JSON nested too deep"
        except ValueError:  # JSONDecodeError, UnicodeDecodeError
            failure = "not JSON" if content.lstrip()[:1] not in (b"{", b"[") else (
                "truncated or malformed JSON")
        else:
            if _deeper_than(content, body, self.max_json_depth):
                failure = f"JSON nested deeper than {self.max_json_depth} levels"
        if failure is None:
            return body
        if raw.status_code >= 400:
            return self.safe(_excerpt(content, 2000))
        raise self.response_error(raw, f"the answer body is {failure}", content, request_id)

    def response_error(self, raw: requests.Response, problem: str, content: bytes | None,
                       request_id: str | None) -> ResponseError:
        """A ``ResponseError`` for an answer we cannot use, with a short redacted excerpt."""
        request = raw.request
        where = f"{request.method} {self.safe(request.path_url)}" if request else "request"
        excerpt = self.safe(_excerpt(content, _EXCERPT)) if content else None
        content_type = header_text(raw.headers.get("Content-Type")) or "none"
        return ResponseError(
            f"{self.provider}: {problem} (answer to {where}, content type "
            f"{escape_control(self.safe(content_type[:80]))})",
            provider=self.provider, status=raw.status_code, request_id=request_id,
            headers=self.safe_headers(raw.headers), excerpt=excerpt)

    def too_large(self, raw: requests.Response, request_id: str | None) -> ContentTooLarge:
        error = self.response_error(
            raw, f"the answer body is larger than max_body_bytes={self.max_body_bytes}",
            None, request_id)
        return ContentTooLarge(error.message, provider=error.provider, status=error.status,
                               request_id=error.request_id, headers=error.headers,
                               limit=self.max_body_bytes)


def _excerpt(content: bytes, limit: int) -> str:
    text = content[:limit * 4].decode("utf-8", errors="replace")
    text = text if len(text) <= limit else text[:limit] + "..."
    return escape_control(text)


#: ``bytes.translate`` arguments keeping only brackets (both kinds written as ``[`` / ``]``)
#: and the quotes that delimit strings
_AS_SQUARE = bytes.maketrans(b"{}", b"[]")
_NOT_STRUCTURE = bytes(range(256)).translate(None, b'[]{}"')


def _deeper_than(content: bytes, body: Any, limit: int) -> bool:
    """True when the parsed ``body`` nests containers more than ``limit`` levels deep.

    First at C speed over the text, when it is UTF-8 (where these bytes are always the ASCII
    characters): drop escaped backslashes and escaped quotes, so that every quote left
    delimits a string; keep only brackets and quotes, and drop what lies between each pair of
    quotes (brackets inside strings would otherwise pair with real ones and hide levels, as in
    ``["]", [...], "["]``);
    then strip innermost ``[]`` pairs once per level: brackets that are gone after ``limit``
    passes cannot nest deeper (a valid JSON text's brackets balance, and each pass removes
    exactly one level). Otherwise, and for a text really too deep, the parsed body is walked
    without recursion, stopping at the first container too deep.
    """
    if type(body) is not dict and type(body) is not list:
        return False
    if jsonlib.detect_encoding(content) == "utf-8":
        if b"\\" in content:
            content = content.replace(b"\\\\", b"").replace(b'\\"', b"")
        # two quotes side by side never have a real bracket between them: dropping them keeps
        # the pairing of the rest (most strings hold no bracket, and then no quote is left)
        brackets = content.translate(_AS_SQUARE, _NOT_STRUCTURE).replace(b'""', b"")
        if b'"' in brackets:
            brackets = b"".join(brackets.split(b'"')[::2])
        for _ in range(limit):
            if not brackets:
                return False
            brackets = brackets.replace(b"[]", b"")
        if not brackets:
            return False
    stack = [(body, 1)]
    pop, push = stack.pop, stack.append
    while stack:
        value, depth = pop()
        if depth > limit:
            return True
        for item in (value.values() if type(value) is dict else value):
            if type(item) is dict or type(item) is list:
                push((item, depth + 1))
    return False

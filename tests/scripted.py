"""A scripted HTTP server on a raw loopback socket, for answers no simulator would give.

Each connection serves one request and is closed. ``server.script`` is a function
``(Request) -> Answer`` (or an ``Answer`` for every request); every request's raw request
line is recorded in ``server.requests``. An ``Answer`` holds the exact bytes to send and how
to send them: all at once, dripped slowly (``drip``), or cut off with a TCP reset after
``reset_after`` bytes.
"""

from __future__ import annotations

import json
import socket
import struct
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Request:
    method: str
    target: str  # the raw request-target of the request line (still percent-encoded)
    headers: dict[str, str]
    body: bytes

    @property
    def path(self) -> str:
        return self.target.split("?", 1)[0]


@dataclass
class Answer:
    data: bytes
    drip: float = 0.0  # seconds between single bytes of the body part
    reset_after: int | None = None  # send this many bytes, then reset the connection
    head_size: int = 0  # bytes of the head (sent at once when dripping)
    tail: bytes = b""  # sent ``tail_times`` more times after ``data`` (huge bodies, streamed)
    tail_times: int = 0


def answer(status: int = 200, body: bytes | str | Any = b"", *,
           headers: Mapping[str, str] | None = None, reason: str = "X",
           content_type: str | None = "application/json", length: bool = True,
           **options: Any) -> Answer:
    """An HTTP/1.1 answer; a non-bytes, non-str ``body`` is sent as JSON."""
    if not isinstance(body, (bytes, str)):
        body = json.dumps(body)
    data = body.encode() if isinstance(body, str) else body
    lines = [f"HTTP/1.1 {status} {reason}", "Connection: close"]
    if content_type:
        lines.append(f"Content-Type: {content_type}")
    if length:
        lines.append(f"Content-Length: {len(data)}")
    for name, value in (headers or {}).items():
        lines.append(f"{name}: {value}")
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    return Answer(head + data, head_size=len(head), **options)


class ScriptedServer:
    def __init__(self, script: Callable[[Request], Answer] | Answer | None = None) -> None:
        self.script = script or answer(200, {})
        self.requests: list[Request] = []
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(64)
        self._sock.settimeout(0.2)
        self.port = self._sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> ScriptedServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._sock.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                continue
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        conn.settimeout(5)
        try:
            request = _read_request(conn)
            if request is None:
                return
            self.requests.append(request)
            script = self.script
            reply = script(request) if callable(script) else script
            _send(conn, reply)
        except OSError:
            pass
        finally:
            try:
                conn.close()
            except OSError:
                pass


def _read_request(conn: socket.socket) -> Request | None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, target, _ = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0") or 0)
    while len(rest) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        rest += chunk
    return Request(method, target, headers, rest[:length])


def _send(conn: socket.socket, reply: Answer) -> None:
    data = reply.data
    if reply.reset_after is not None:
        conn.sendall(data[:reply.reset_after])
        time.sleep(0.05)
        # SO_LINGER 0: close() sends a TCP reset instead of a clean end
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        return
    if reply.drip:
        conn.sendall(data[:reply.head_size])
        for i in range(reply.head_size, len(data)):
            conn.sendall(data[i:i + 1])
            time.sleep(reply.drip)
        return
    conn.sendall(data)
    for _ in range(reply.tail_times):
        conn.sendall(reply.tail)


@dataclass
class Recorder:
    """A script answering every request with one fixed answer (handy in tests)."""

    reply: Answer
    seen: list[Request] = field(default_factory=list)

    def __call__(self, request: Request) -> Answer:
        self.seen.append(request)
        return self.reply

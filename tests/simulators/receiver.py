"""A loopback webhook receiver for the simulator webhook tests: a werkzeug server in a thread
that keeps every request and answers the statuses it is told to (then 200)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response


class _Quiet(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


@dataclass
class Received:
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


class Receiver:
    def __init__(self) -> None:
        self.received: list[Received] = []
        self.statuses: list[int] = []  # answered in turn, then 200
        self._lock = threading.Condition()
        self.url = ""

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        with self._lock:
            self.received.append(Received(request.path, dict(request.args.items()),
                                          dict(request.headers.items()), request.get_data()))
            status = self.statuses.pop(0) if self.statuses else 200
            self._lock.notify_all()
        return Response(b"", status=status)(environ, start_response)

    def wait(self, count: int, timeout: float = 10) -> bool:
        """Wait until ``count`` requests arrived (for senders that cannot be flushed)."""
        with self._lock:
            return self._lock.wait_for(lambda: len(self.received) >= count, timeout)

    def bodies(self) -> list[Any]:
        return [r.json for r in self.received]


@contextmanager
def receiver() -> Iterator[Receiver]:
    app = Receiver()
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_Quiet)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    app.url = f"http://127.0.0.1:{server.port}/hooks"
    try:
        yield app
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)

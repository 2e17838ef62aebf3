"""``WebhookReceiver``: the source's webhooks, verified, on a queue a follow consumes.

>>> with WebhookReceiver("intercom", secret=CLIENT_SECRET, port=8080) as hooks:
...     # point the source's webhook subscription at hooks.url, then:
...     migration.run()                                    # events of the run are queued meanwhile
...     migration.follow(hooks.queue, poll_interval=300)   # events + a safety-net delta round

A :func:`chatmodels.webhooks.wsgi_app` (verification, status codes, a :class:`Deduplicator`)
served by the standard library's threading WSGI server in a daemon thread; each verified event is
put on ``queue`` (a ``queue.Queue``) as it arrives, before the delivery is answered 200, so an
answered delivery is never lost while the process runs. Start it *before* the bulk run: the
changes made while the run reads the source are queued and applied by the follow (events are
hints: the follower re-reads each object, so one already copied by the run is found in sync).
Bound to ``127.0.0.1`` by default; put your own HTTPS reverse proxy in front of it in production.
Rejected deliveries are logged on ``chatmodels.webhooks`` (never a secret).
"""

from __future__ import annotations

import queue as queues
import socketserver
import threading
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from .. import webhooks


class _Server(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base's name
        pass


class WebhookReceiver:
    """Serves ``provider``'s webhook endpoint on ``host:port`` (``0``: any free port) and puts
    each verified, first-seen event on :attr:`queue`. ``secret``: the provider's webhook
    secret (see docs/webhooks.md); ``max_age``: as in :func:`chatmodels.webhooks.parse`."""

    def __init__(self, provider: str, *, secret: str, host: str = "127.0.0.1", port: int = 0,
                 max_age: float | None = 300, queue: queues.Queue[Any] | None = None,
                 dedup: webhooks.Deduplicator | None = None) -> None:
        self.provider = provider
        self.queue: queues.Queue[Any] = queues.Queue() if queue is None else queue
        self.dedup = webhooks.Deduplicator() if dedup is None else dedup
        #: deliveries answered 200 with an event put on the queue / refused (by status)
        self.received = 0
        self.rejected: dict[int, int] = {}
        self._lock = threading.Lock()
        app = webhooks.wsgi_app(self._put, provider=provider, secret=secret, max_age=max_age,
                                dedup=self.dedup, on_reject=self._rejected)
        self._server = make_server(host, port, app, server_class=_Server, handler_class=_Quiet)
        self.host = host
        self.port = int(self._server.server_port)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"

    def _put(self, event: webhooks.Event) -> None:
        self.queue.put(event)
        with self._lock:
            self.received += 1

    def _rejected(self, status: int, exc: BaseException) -> None:
        with self._lock:
            self.rejected[status] = self.rejected.get(status, 0) + 1

    def start(self) -> WebhookReceiver:
        """Serve in a daemon thread (idempotent)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._server.serve_forever,
                                            kwargs={"poll_interval": 0.1}, daemon=True,
                                            name=f"webhooks-{self.provider}")
            self._thread.start()
        return self

    def close(self) -> None:
        """Stop serving and free the port (events already queued stay on the queue)."""
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(5)
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> WebhookReceiver:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<WebhookReceiver {self.provider} on {self.url}: {self.received} event(s)>"


__all__ = ["WebhookReceiver"]

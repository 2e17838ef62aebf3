"""webhooks.wsgi_app under a real HTTP server on loopback (werkzeug, in a thread), driven by
real requests: the status each outcome answers, the handler's events, de-duplication, the URL
token; and the ASGI app through the ASGI protocol."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from contextlib import contextmanager

import pytest
import requests
from werkzeug.serving import make_server

from chatmodels import errors, registry, webhooks

from .webhook_signing import PROVIDERS, SECRET, crisp_headers, sample


@contextmanager
def served(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.port}/hook"
    finally:
        server.shutdown()
        server.server_close()


class Recorder:
    def __init__(self, fail: int = 0):
        self.events = []
        self.fail = fail
        self.rejected = []

    def __call__(self, event):
        if self.fail:
            self.fail -= 1
            raise RuntimeError("handler down")
        self.events.append(event)

    def on_reject(self, status, exc):
        self.rejected.append((status, type(exc).__name__))


def _post(url, provider, headers, body):
    if provider == "brevo":  # Brevo's secret travels in the URL
        token = headers.pop("X-Chatmodels-Url-Token")
        url += f"?token={token}"
    return requests.post(url, data=body, headers=headers, timeout=10)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_signed_delivery_is_handled_and_answered_200(provider):
    handler = Recorder()
    app = webhooks.wsgi_app(handler, provider=provider, secret=SECRET,
                            on_reject=handler.on_reject)
    headers, body = sample(provider, ts=time.time())
    with served(app) as url:
        answer = _post(url, provider, dict(headers), body)
        assert (answer.status_code, answer.text) == (200, "ok\n")
        # the same delivery with a wrong signature or secret: 401, the handler never sees it
        bad = requests.post(url + "?token=wrong", data=sample(provider, secret="wrong")[1]
                            if provider == "livechat" else body,
                            headers={k: v for k, v in headers.items()
                                     if k in ("Content-Type",)}, timeout=10)
        assert bad.status_code == 401
    assert [e.provider for e in handler.events] == [provider]
    assert handler.events[0].topic != "other"
    assert handler.rejected == [(401, "InvalidSignature")]


def test_statuses_of_every_outcome():
    handler = Recorder(fail=1)
    seen = webhooks.Deduplicator(ttl=60)
    app = webhooks.wsgi_app(handler, provider="crisp", secret=SECRET,
                            dedup=seen, max_body=4096, on_reject=handler.on_reject)
    headers, body = sample("crisp", ts=time.time())
    with served(app) as url:
        first = requests.post(url, data=body, headers=headers, timeout=10)
        assert (first.status_code, first.text) == (500, "handler failed\n")  # retry later
        retry = requests.post(url, data=body, headers=headers, timeout=10)
        assert (retry.status_code, retry.text) == (200, "ok\n")
        dup = requests.post(url, data=body, headers=headers, timeout=10)
        assert (dup.status_code, dup.text) == (200, "duplicate\n")
        tampered = requests.post(url, data=body + b" ", headers=headers, timeout=10)
        assert tampered.status_code == 401 and "bad X-Crisp-Signature" in tampered.text
        garbage = b"[1, 2]"
        bad = requests.post(url, data=garbage, headers=crisp_headers(garbage, ts=0),
                            timeout=10)
        assert bad.status_code == 401  # the signature is checked, then the age: stale
        big = b"x" * 5000
        assert requests.post(url, data=big, headers=headers, timeout=10).status_code == 413
        assert requests.get(url, timeout=10).status_code == 405
        assert requests.get(url, timeout=10).headers["Allow"] == "POST, HEAD"
        assert requests.head(url, timeout=10).status_code == 200
    assert len(handler.events) == 1 and handler.events[0].provider_topic == "message:send"
    assert handler.rejected == [(500, "RuntimeError"), (401, "InvalidSignature"),
                                (401, "StaleEvent")]


def test_signed_but_malformed_is_400_and_never_reaches_the_handler():
    handler = Recorder()
    app = webhooks.wsgi_app(handler, provider="crisp", secret=SECRET)
    garbage = b'{"event": 5}'
    with served(app) as url:
        answer = requests.post(url, data=garbage, headers=crisp_headers(garbage, ts=time.time()),
                               timeout=10)
    assert answer.status_code == 400 and "no event" in answer.text
    assert handler.events == []


def _raw_request(url: str, request: bytes) -> bytes:
    host, port = url.split("//")[1].split("/")[0].split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_body_length_rules_on_raw_sockets():
    app = webhooks.wsgi_app(Recorder(), provider="crisp", secret=SECRET, max_body=100)
    with served(app) as url:
        no_length = _raw_request(url, b"POST /hook HTTP/1.0\r\nHost: x\r\n\r\n")
        assert no_length.startswith(b"HTTP/1.1 411")
        bad_length = _raw_request(url, b"POST /hook HTTP/1.0\r\nContent-Length: -5\r\n\r\n")
        assert bad_length.startswith(b"HTTP/1.1 400")
        huge = _raw_request(url, b"POST /hook HTTP/1.0\r\nContent-Length: 999999999\r\n\r\n")
        assert huge.startswith(b"HTTP/1.1 413")


def test_app_construction_errors():
    with pytest.raises(errors.ConfigurationError):
        webhooks.wsgi_app(Recorder(), provider="crisp", secret="")
    with pytest.raises(registry.UnknownProvider):
        webhooks.wsgi_app(Recorder(), provider="nope", secret=SECRET)
    with pytest.raises(TypeError):
        webhooks.wsgi_app(None, provider="crisp", secret=SECRET)  # type: ignore[arg-type]


# -- ASGI: driven through the ASGI protocol itself --------------------------------------------
def _asgi_call(app, method, headers, body, query=b"", chunks=1):
    sent = []
    parts = [body[i::chunks] for i in range(chunks)] if chunks > 1 else [body]
    if chunks > 1:  # split in order, not interleaved
        size = -(-len(body) // chunks)
        parts = [body[i:i + size] for i in range(0, len(body), size)]
    messages = [{"type": "http.request", "body": p, "more_body": i < len(parts) - 1}
                for i, p in enumerate(parts)]

    async def receive():
        return messages.pop(0)

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": method, "query_string": query,
             "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()]}
    asyncio.run(app(scope, receive, send))
    return sent[0]["status"], sent[1]["body"]


def test_asgi_app_with_async_and_sync_handlers():
    got = []

    async def handler(event):
        got.append(event.provider_topic)

    app = webhooks.asgi_app(handler, provider="crisp", secret=SECRET)
    headers, body = sample("crisp", ts=time.time())
    assert _asgi_call(app, "POST", headers, body, chunks=3) == (200, b"ok\n")
    assert _asgi_call(app, "POST", headers, body + b" ")[0] == 401
    assert _asgi_call(app, "GET", {}, b"")[0] == 405
    assert got == ["message:send"]
    sync = webhooks.asgi_app(Recorder(fail=1), provider="brevo", secret=SECRET)
    b_headers, b_body = sample("brevo")
    b_headers.pop("X-Chatmodels-Url-Token")
    assert _asgi_call(sync, "POST", b_headers, b_body, query=f"token={SECRET}".encode()) == (
        500, b"handler failed\n")
    assert _asgi_call(sync, "POST", b_headers, b_body, query=b"token=nope")[0] == 401
    small = webhooks.asgi_app(handler, provider="crisp", secret=SECRET, max_body=10)
    assert _asgi_call(small, "POST", {}, b"x" * 50, chunks=5)[0] == 413


def test_asgi_lifespan():
    app = webhooks.asgi_app(Recorder(), provider="crisp", secret=SECRET)
    inbox = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    sent = []

    async def receive():
        return inbox.pop(0)

    async def send(message):
        sent.append(message["type"])

    asyncio.run(app({"type": "lifespan"}, receive, send))
    assert sent == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    assert json.dumps(sent)


def test_brevo_simulator_payloads_posted_with_the_url_token():
    from chatmodels.testing import serve
    handler = Recorder()
    app = webhooks.wsgi_app(handler, provider="brevo", secret=SECRET)
    with serve("brevo", seed=1, contacts=3) as sim:
        payloads = sim.outbox
    with served(app) as url:
        for payload in payloads:
            answer = requests.post(f"{url}?token={SECRET}", json=payload, timeout=10)
            assert answer.status_code == 200, answer.text
        assert requests.post(f"{url}?token=nope", json=payloads[0],
                             timeout=10).status_code == 401
    assert [e.provider_topic for e in handler.events] == [p["eventName"] for p in payloads]
    assert {e.topic for e in handler.events} <= {"conversation.created", "conversation.replied",
                                                 "conversation.closed"}
    assert [e.object_id for e in handler.events] == [p["conversationId"] for p in payloads]

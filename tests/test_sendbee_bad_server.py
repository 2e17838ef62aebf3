"""Malformed Sendbee answers from a scripted server on a raw loopback socket: every one is a
typed ``chatmodels.errors`` exception, never a crash or a silent ``None``."""

from __future__ import annotations

import socket
import threading

import pytest

from chatmodels import errors, sendbee
from chatmodels.http import RetryPolicy


class ScriptedServer:
    """Answers every request with the same raw HTTP response."""

    def __init__(self, status: str, body: bytes, headers: str = "") -> None:
        self.response = (f"HTTP/1.1 {status}\r\nContent-Length: {len(body)}\r\n{headers}"
                         f"Connection: close\r\n\r\n").encode() + body
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                conn.recv(65536)
                conn.sendall(self.response)

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def scripted():
    servers = []

    def make(status: str, body: bytes, headers: str = ""):
        server = ScriptedServer(status, body, headers)
        servers.append(server)
        return sendbee.connect(api_key="key", api_secret="secret", base_url=server.url,
                               retry=RetryPolicy(max_retries=0))
    yield make
    for server in servers:
        server.close()


@pytest.mark.parametrize("body", [b"<html>oops</html>", b'{"data": {"id": "x"}}',
                                  b'{"meta": {"last_page": 1}}', b"[]", b""])
def test_a_list_answer_without_a_list_is_an_api_error(scripted, body):
    api = scripted("200 OK", body, "Content-Type: application/json\r\n")
    with pytest.raises(errors.ResponseError) as exc:
        api.Contact.all().first()
    assert exc.value.provider == "sendbee"


def test_a_single_answer_without_data_is_an_api_error(scripted):
    api = scripted("200 OK", b'{"meta": {}}', "Content-Type: application/json\r\n")
    with pytest.raises(errors.APIError, match="no 'data'"):
        api.Conversation.find("c1")


def test_error_bodies_of_every_shape(scripted):
    api = scripted("500 Internal Server Error", b"<h1>down</h1>")
    with pytest.raises(errors.ServerError) as exc:
        api.Tag.all().first()
    assert exc.value.status == 500 and exc.value.body == "<h1>down</h1>"
    api = scripted("400 Bad Request", b'{"error": "plain text"}',
                   "Content-Type: application/json\r\n")
    with pytest.raises(errors.BadRequestError, match="plain text"):
        api.Tag.all().first()
    api = scripted("404 Not Found", b"")
    with pytest.raises(errors.ResourceNotFound, match="Endpoint not found"):
        api.Tag.all().first()
    api = scripted("429 Too Many Requests", b'{"error": {"detail": "slow down"}}',
                   "Content-Type: application/json\r\n")
    with pytest.raises(errors.RateLimitExceeded) as exc:
        api.Tag.all().first()
    assert exc.value.retry_after is None and exc.value.message == "slow down"


def test_items_of_the_wrong_shape_and_odd_values_are_response_errors(scripted):
    """Never silent: a page item that is not an object, or a value its field cannot convert,
    is a ResponseError naming the field (the library-wide rule of chatmodels.schema)."""
    body = (b'{"data": [1], "meta": {"current_page": 1, "last_page": 1, "total": 1}}')
    api = scripted("200 OK", body, "Content-Type: application/json\r\n")
    with pytest.raises(errors.ResponseError):
        api.Contact.all().to_list()
    body = (b'{"data": [{"id": "t1", "name": "vip", "created_at": "yesterday"}],'
            b' "meta": {"current_page": 1, "last_page": 1, "total": 1}}')
    api = scripted("200 OK", body, "Content-Type: application/json\r\n")
    with pytest.raises(errors.ResponseError) as exc:
        api.Contact.all().to_list()
    assert exc.value.field == "created_at"

"""Issue 8 items 2-4 and 6: broken, hostile and odd answers over a scripted loopback server."""

from __future__ import annotations

import json
import logging

import pytest

from chatmodels import crisp, errors, intercom
from chatmodels.http import RetryPolicy

from .scripted import Answer, ScriptedServer, answer

FAST = RetryPolicy(max_retries=2, backoff_factor=0.01, max_backoff=0.02, max_wait=1)
TOKEN = "tok-SECRET-123"
CONTACT = {"type": "contact", "id": "c1", "email": "a@example.com", "created_at": 1700000000}
CONTACTS = {"type": "list", "data": [CONTACT], "total_count": 1}


@pytest.fixture
def server():
    with ScriptedServer() as srv:
        yield srv


def connect(server, retry=FAST):
    return intercom.connect(access_token=TOKEN, base_url=server.url, retry=retry)


def in_sequence(*answers):
    """A script giving these answers in turn, then the last one forever."""
    queue = list(answers)

    def script(request):
        return queue.pop(0) if len(queue) > 1 else queue[0]
    return script


# -- item 3: broken bodies -------------------------------------------------------------------------
def test_html_page_with_200_is_a_response_error_not_an_empty_list(server):
    server.script = answer(200, "<html><body>Maintenance</body></html>", content_type="text/html")
    with pytest.raises(errors.ResponseError) as info:
        connect(server).Contact.all().to_list()
    err = info.value
    assert (err.status, err.provider) == (200, "intercom")
    assert "not JSON" in str(err) and err.excerpt.startswith("<html>")


def test_truncated_json_with_200_is_a_response_error(server):
    server.script = answer(200, json.dumps(CONTACTS)[:25])
    with pytest.raises(errors.ResponseError, match="truncated or malformed JSON"):
        connect(server).Contact.all().to_list()


def test_a_list_answer_without_a_list_is_a_response_error(server):
    server.script = answer(200, {"type": "list", "pages": {}})
    with pytest.raises(errors.ResponseError, match="holds no list"):
        connect(server).Contact.all().to_list()


@pytest.mark.parametrize("body", [[1, 2], "a string", 7, True])
def test_find_answer_that_is_not_an_object_names_the_resource(server, body):
    server.script = answer(200, json.dumps(body))
    with pytest.raises(errors.ResponseError, match="Contact answer is not a JSON object"):
        connect(server).Contact.find(id="c1")


def test_reset_mid_body_is_retried_for_a_get(server):
    body = json.dumps(CONTACTS).encode()
    broken = answer(200, body, reset_after=None)
    broken.reset_after = broken.head_size + 10
    server.script = in_sequence(broken, answer(200, body))
    contacts = connect(server).Contact.all().to_list()
    assert [c.id for c in contacts] == ["c1"] and len(server.requests) == 2


def test_reset_mid_body_of_a_post_is_raised_not_resent(server):
    broken = answer(200, CONTACT)
    broken.reset_after = broken.head_size + 10
    server.script = broken
    with pytest.raises(errors.ResponseReadError) as info:
        connect(server).Contact.create(email="a@example.com")
    assert not isinstance(info.value, errors.APIConnectError)
    assert [r.method for r in server.requests] == ["POST"]


def test_body_shorter_than_its_content_length_is_a_read_error_retried_for_get(server):
    full = answer(200, CONTACTS)
    server.script = Answer(full.data[:-5], head_size=full.head_size)  # then the server closes
    with pytest.raises(errors.ResponseReadError):
        connect(server).Contact.all().to_list()
    assert len(server.requests) == 3  # first try + 2 retries


def _hiding(depth: int, inner):
    """``inner`` nested ``depth`` levels, each level with strings whose brackets, read as
    text, close it at once: ``["]", ["]", ..., "["], "["]``."""
    for _ in range(depth):
        inner = ["]", inner, "["]
    return inner


@pytest.mark.parametrize("body", ["[" * 100_000 + "]" * 100_000,
                                  json.dumps({"data": [], "x": json.loads("[" * 150 + "]" * 150)}),
                                  json.dumps({"data": [], "x": _hiding(150, 1)}),
                                  json.dumps({"data": [], "x": _hiding(150, 1)}).encode("utf-16"),
                                  json.dumps({"data": [], "x": _hiding(150, ["\\\"]"])},
                                             ensure_ascii=False)])
def test_too_deep_json_is_a_response_error(server, body):
    server.script = answer(200, body)
    with pytest.raises(errors.ResponseError, match="nested"):
        connect(server).Contact.all().to_list()


def test_brackets_inside_strings_do_not_make_an_answer_too_deep(server):
    name = "[{" * 300 + '\\"' + "]}" * 10
    server.script = answer(200, {**CONTACTS, "data": [{**CONTACT, "name": name}]})
    assert [c.name for c in connect(server).Contact.all()] == [name]


def test_unexpected_3xx_status_is_a_response_error(server):
    server.script = answer(304, b"", content_type=None)
    with pytest.raises(errors.ResponseError, match="unexpected HTTP status 304"):
        connect(server).Contact.find(id="c1")


# -- item 4: deadline and size cap -----------------------------------------------------------------
def test_slow_loris_body_hits_the_deadline(server):
    server.script = answer(200, CONTACTS, drip=0.05)
    api = intercom.connect(access_token=TOKEN, base_url=server.url, max_retries=0,
                           timeout=(2.0, 2.0))
    api.http.deadline = 0.5
    with pytest.raises(errors.APITimeoutError, match="deadline"):
        api.Contact.all().to_list()


def test_declared_huge_body_is_refused_without_reading(server):
    big = answer(200, b"[" + b"0," * 10 + b"0]")
    big.data = big.data.replace(b"Content-Length: 23", b"Content-Length: 220200960")
    server.script = big
    api = intercom.connect(access_token=TOKEN, base_url=server.url, max_retries=0)
    api.http.max_body_bytes = 1024 * 1024
    with pytest.raises(errors.ResponseError, match="larger than max_body_bytes"):
        api.Contact.all().to_list()


def test_streamed_210_mb_body_stops_at_the_cap(server):
    head = answer(200, b'{"data": [', length=False)
    head.tail, head.tail_times = b"0," * 32768, 3360  # 210 MB if all were read
    server.script = head
    api = intercom.connect(access_token=TOKEN, base_url=server.url, max_retries=0)
    api.http.max_body_bytes = 1024 * 1024
    with pytest.raises(errors.ResponseError, match="larger than max_body_bytes=1048576"):
        api.Contact.all().to_list()


# -- item 4: odd error bodies and headers ----------------------------------------------------------
@pytest.mark.parametrize("body", [
    {"type": "error.list", "errors": [{"code": 404, "message": "gone"}]},
    {"type": "error.list", "errors": [{"code": ["not_found"], "message": {"a": 1}}]},
    {"type": "error.list", "errors": [{"code": {"x": 1}, "message": 3.5, "field": [1]}]},
    {"type": "error.list", "errors": ["just a string"]},
    {"message": ["a", "list"], "request_id": {"nested": True}},
    ["a", "list", "body"],
    "a plain string body",
    12,
])
def test_odd_error_bodies_give_typed_errors(server, body):
    server.script = answer(400, body)
    with pytest.raises(errors.BadRequestError) as info:
        connect(server).Contact.find(id="c1")
    err = info.value
    assert err.status == 400 and (err.code is None or isinstance(err.code, str))
    assert isinstance(err.message, str) and isinstance(str(err), str)


@pytest.mark.parametrize("value", ["inf", "nan", "-5", "1e999", "abc", "99999999999999999999"])
def test_odd_rate_limit_headers_are_ignored(server, value):
    server.script = answer(200, CONTACTS, headers={
        "X-RateLimit-Limit": value, "X-RateLimit-Remaining": value, "X-RateLimit-Reset": value})
    api = connect(server)
    assert [c.id for c in api.Contact.all()] == ["c1"]
    for number in (api.rate_limit.limit, api.rate_limit.remaining):
        assert number is None or number >= 0


@pytest.mark.parametrize("value", ["inf", "nan", "-3", "1e999", "soon", "Mon, 99 Foo 2025"])
def test_odd_retry_after_on_429_gives_rate_limit_exceeded(server, value):
    server.script = answer(429, {"type": "error.list", "errors": [{"code": "rate_limit_exceeded"}]},
                           headers={"Retry-After": value, "X-RateLimit-Reset": value})
    with pytest.raises(errors.RateLimitExceeded) as info:
        connect(server, RetryPolicy(max_retries=0)).Contact.find(id="c1")
    wait = info.value.retry_after
    assert wait is None or 0 <= wait < float("inf")


# -- item 4: timestamps and field types ------------------------------------------------------------
@pytest.mark.parametrize("raw", ["1e20", "1700000000000", "-5", "NaN", "Infinity", "true",
                                 '"yesterday"', "[1]", "{}"])
def test_bad_timestamps_are_response_errors_naming_the_field(server, raw):
    body = json.dumps({**CONTACT, "created_at": 0})[:-1].replace(
        '"created_at": 0', f'"created_at": {raw}') + "}"
    server.script = answer(200, body)
    with pytest.raises(errors.ResponseError) as info:
        connect(server).Contact.find(id="c1")
    assert info.value.field == "created_at" and info.value.provider == "intercom"


def test_a_field_of_the_wrong_type_is_a_response_error(server):
    server.script = answer(200, {**CONTACT, "custom_attributes": ["not", "a", "dict"]})
    with pytest.raises(errors.ResponseError) as info:
        connect(server).Contact.find(id="c1")
    assert info.value.field == "custom_attributes"


def test_exact_conversions_are_kept(server):
    server.script = answer(200, {**CONTACT, "owner_id": "42", "name": 7, "created_at": "1700000000"})
    contact = connect(server).Contact.find(id="c1")
    assert (contact.owner_id, contact.name, contact.created_at.year) == (42, "7", 2023)


# -- item 2: path segments -------------------------------------------------------------------------
@pytest.mark.parametrize("bad", ["..", ".", "", "\ud800"])
def test_dot_and_empty_ids_never_reach_the_server(server, bad):
    api = connect(server)
    with pytest.raises(errors.ValidationError) as info:
        api.Contact.ref(bad).remove_tag("5")
    assert info.value.field == "id" and server.requests == []


@pytest.mark.parametrize("bad", ["..", 1.5, ["x"], True, {"id": 1}])
def test_find_by_an_odd_id_never_reaches_the_server(server, bad):
    with pytest.raises(errors.ValidationError):
        connect(server).Contact.find(id=bad)
    assert server.requests == []


@pytest.mark.parametrize("website", ["..", "."])
def test_crisp_dot_website_id_is_refused(server, website):
    api = crisp.connect(identifier="ident", key="key", website_id=website, base_url=server.url)
    with pytest.raises(errors.ValidationError):
        api.Contact.all().to_list()
    assert server.requests == []


# -- item 6: secrets -------------------------------------------------------------------------------
@pytest.mark.parametrize("token", ["abc\r\nX-Evil: 1", "abc\ndef", "abc\x00def", "abc\x7f"])
def test_token_with_control_characters_is_a_configuration_error_without_the_token(token):
    with pytest.raises(errors.ConfigurationError) as info:
        intercom.connect(access_token=token, base_url="http://127.0.0.1:9").Admin.me()
    text = str(info.value) + repr(info.value)
    assert "abc" not in text and "def" not in text


def test_crisp_key_with_newline_is_a_configuration_error_without_it():
    with pytest.raises(errors.ConfigurationError) as info:
        crisp.connect(identifier="ident", key="k3y\nvalue", website_id="w",
                      base_url="http://127.0.0.1:9").Contact.all().to_list()
    assert "k3y" not in str(info.value)


def test_non_latin1_token_is_a_configuration_error_without_it(server):
    with pytest.raises(errors.ConfigurationError) as info:
        intercom.connect(access_token="t\u2603ken", base_url=server.url,
                         max_retries=0).Admin.me()
    assert "\u2603" not in str(info.value) and "ken" not in str(info.value)


def test_error_body_echoing_the_token_is_redacted(server):
    server.script = answer(401, {
        "type": "error.list", "request_id": f"r-{TOKEN}",
        "errors": [{"code": "unauthorized", "message": f"bad token {TOKEN}"}],
        "echo": {"headers": [f"Bearer {TOKEN}"], TOKEN: TOKEN}}, headers={"X-Echo": TOKEN})
    with pytest.raises(errors.AuthenticationError) as info:
        connect(server).Admin.me()
    err = info.value
    dumped = json.dumps(err.body) + json.dumps(err.headers) + str(err) + repr(err)
    assert TOKEN not in dumped and "***" in json.dumps(err.body)


def test_server_messages_cannot_forge_log_lines(server, caplog):
    server.script = answer(400, {"type": "error.list", "request_id": "r1\r\nINFO fake",
                                 "errors": [{"code": "bad\nx", "message": "no\r\nERROR forged"}]})
    with caplog.at_level(logging.DEBUG, logger="chatmodels.http"):
        with pytest.raises(errors.BadRequestError) as info:
            connect(server).Contact.find(id="c\nid")
    assert "\n" not in info.value.message and "\r" not in info.value.message
    lines = [r.getMessage() for r in caplog.records if r.name == "chatmodels.http"]
    assert lines and all("\n" not in line and "\r" not in line for line in lines)


# -- item 2 (retry safety by type) -----------------------------------------------------------------
def test_refused_connection_is_an_api_connect_error():
    api = intercom.connect(access_token=TOKEN, base_url="http://127.0.0.1:9", retry=FAST)
    with pytest.raises(errors.APIConnectError):
        api.Contact.create(email="a@example.com")


def test_a_next_cursor_that_repeats_is_an_error_not_an_endless_loop(server):
    server.script = answer(200, {**CONTACTS, "pages": {"next": {"starting_after": "same"}}})
    with pytest.raises(errors.ResponseError, match="same next page"):
        connect(server).Contact.all().to_list()
    assert len(server.requests) == 2


@pytest.mark.parametrize("headers,body", [
    ({"Content-Encoding": "gzip"}, b"this is not gzip at all"),
    ({"Transfer-Encoding": "chunked"}, b"zz\r\nnot a chunk size\r\n0\r\n\r\n"),
])
def test_undecodable_or_badly_chunked_body_is_a_read_error_retried_for_get(server, headers, body):
    server.script = answer(200, body, headers=headers, length="Content-Encoding" in headers)
    with pytest.raises(errors.ResponseReadError, match="broke off mid-body"):
        connect(server).Contact.all().to_list()
    assert len(server.requests) == 3  # first try + 2 retries

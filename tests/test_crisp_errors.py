"""Crisp errors over loopback: tiers and permissions against the simulator, Crisp's own error
texts and off-shape answers from a scripted server, and derived fields checked before sending."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from chatmodels import crisp, errors
from chatmodels.testing import serve

WEBSITE = "42424242-4242-4242-8242-424242424242"


# -- the simulator: tiers -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def sim():
    with serve("crisp", seed=7, contacts=5) as s:
        yield s


@pytest.fixture
def fresh(sim):
    sim.reset()
    yield sim
    sim.reset()


def test_user_tier_on_plugin_routes_is_permission_denied(fresh):
    creds = dict(fresh.credentials, tier="user")
    api = crisp.connect(base_url=fresh.base_url, max_retries=0, **creds)
    with pytest.raises(errors.PermissionDenied) as info:
        api.Contact.all().first()
    err = info.value
    assert (err.status, err.code, err.provider) == (403, "restricted_route_tier", "crisp")
    # Crisp sends no message (``data: {}``): the client says what it means and what to check
    assert str(err) == ("[crisp 403 restricted_route_tier] this route is not open to the token's "
                        "tier (check the tier (CRISP_TIER: plugin for plugin tokens) and that "
                        "the plugin was granted the scope of this route)")
    assert [r.status for r in fresh.requests] == [403]  # not retried


def test_route_closed_to_the_plugin_tier_is_permission_denied(fresh):
    api = crisp.connect(base_url=fresh.base_url, max_retries=0, **fresh.credentials)
    fresh.restrict_route("/website/[^/]+/visitors/.*", tiers=("user",))
    with pytest.raises(errors.PermissionDenied):
        api.Visitor.count()
    assert api.Contact.count() == 5


def test_bad_key_explains_what_to_check(fresh):
    api = crisp.connect(base_url=fresh.base_url, max_retries=0,
                        **dict(fresh.credentials, key="0" * 64))
    with pytest.raises(errors.AuthenticationError) as info:
        api.Website.get()
    assert str(info.value) == (
        "[crisp 401 invalid_session] Crisp refused the token (check the identifier/key pair "
        "(CRISP_IDENTIFIER, CRISP_KEY) and that the token belongs to the tier sent as "
        "X-Crisp-Tier (CRISP_TIER, default plugin))")


def test_duplicate_email_explains_itself(fresh):
    api = crisp.connect(base_url=fresh.base_url, max_retries=0, **fresh.credentials)
    taken = next(iter(fresh.state.people.values()))["email"]
    before = len(fresh.state.people)
    with pytest.raises(errors.ConflictError) as info:
        api.Contact.create(email=taken)
    assert "Contact.find(email=...)" in info.value.message
    assert len(fresh.state.people) == before


# -- derived fields are checked before anything is sent -------------------------------------------
@pytest.mark.parametrize("field, value", [
    ("name", 5), ("phone", ["+33"]), ("avatar_url", 3.5), ("location", "Paris"),
    ("location", {1: "x"}), ("external_id", ["x"]), ("external_id", True),
])
def test_contact_derived_field_of_wrong_type_is_refused_locally(fresh, field, value):
    api = crisp.connect(base_url=fresh.base_url, max_retries=0, **fresh.credentials)
    contact = api.Contact.all().first()
    contact.custom_attributes  # noqa: B018  (loaded now, so that only the check is measured)
    fresh.clear_requests()
    with pytest.raises(errors.ValidationError) as info:
        setattr(contact, field, value)
    assert (info.value.field, info.value.status) == (field, None)
    assert contact.changes() == {}
    contact.save()
    assert fresh.requests == []


def test_create_with_a_bad_derived_field_sends_nothing(fresh):
    api = crisp.connect(base_url=fresh.base_url, max_retries=0, **fresh.credentials)
    fresh.clear_requests()
    with pytest.raises(errors.ValidationError) as info:
        api.Contact.create(email="new@example.com", name=5)
    assert info.value.field == "name"
    with pytest.raises(errors.ValidationError) as info:
        api.Conversation.create(title=["x"])
    assert info.value.field == "title"
    with pytest.raises(errors.ValidationError) as info:
        api.Conversation.create(custom_attributes={"a": {"nested": 1}})
    assert info.value.field == "custom_attributes"
    assert fresh.requests == []


def test_good_derived_values_still_save(fresh):
    api = crisp.connect(base_url=fresh.base_url, max_retries=0, **fresh.credentials)
    contact = api.Contact.all().first()
    contact.name, contact.phone = "Ann", None
    contact.location = {"country": "FR", "city": "Paris"}
    contact.save()
    person = fresh.state.find_person(contact.id)["person"]
    assert person["nickname"] == "Ann"
    assert person["geolocation"]["city"] == "Paris"


# -- a scripted server: Crisp's texts and off-shape answers ---------------------------------------
class Scripted:
    """A loopback HTTP server answering queued ``(status, body)`` pairs in order (a body that
    is not ``bytes`` is sent as JSON) and recording ``(method, path)`` of each request."""

    def __init__(self) -> None:
        self.answers: list[tuple[int, object]] = []
        self.seen: list[tuple[str, str]] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                owner.seen.append((self.command, self.path))
                status, body = owner.answers.pop(0) if owner.answers else (500, b"")
                raw = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _answer

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def answer(self, *pairs: tuple[int, object]) -> None:
        self.answers.extend(pairs)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def scripted():
    server = Scripted()
    yield server
    server.close()


@pytest.fixture
def api(scripted):
    scripted.answers.clear()
    scripted.seen.clear()
    client = crisp.connect(identifier="scripted-identifier-0001", key="scripted-key-0001", website_id=WEBSITE,
                           base_url=scripted.base_url, max_retries=0)
    yield client
    client.close()


def ok(data: object, status: int = 200) -> tuple[int, object]:
    return status, {"error": False, "reason": "resolved", "data": data}


def failed(status: int, reason: object, data: object = None) -> tuple[int, object]:
    return status, {"error": True, "reason": reason, "data": {} if data is None else data}


@pytest.mark.parametrize("message, field", [
    ("data should have required property '.origin'", "origin"),
    ("data should have required property 'content'", "content"),
    ("data.foo should be string", "foo"),
    ("data/foo should be string", "foo"),
    ("data/person/nickname should be string", "person.nickname"),
    ("data.person.nickname should NOT be shorter than 1 characters", "person.nickname"),
    ("data.user should have required property '.nickname'", "user.nickname"),
    ("data should NOT have additional properties", None),
])
def test_failing_field_is_read_from_crisp_messages(api, scripted, message, field):
    scripted.answer(failed(400, "invalid_data", {"namespace": "data", "message": message}))
    with pytest.raises(errors.ValidationError) as info:
        api.Contact.find("p1")
    err = info.value
    assert (err.status, err.code, err.field, err.message) == (400, "invalid_data", field, message)


@pytest.mark.parametrize("status, reason, cls, text", [
    (401, "invalid_session", errors.AuthenticationError,
     "Crisp refused the token (check the identifier/key pair"),
    (403, "restricted_route_tier", errors.PermissionDenied,
     "this route is not open to the token's tier (check the tier (CRISP_TIER"),
    (403, "not_allowed", errors.PermissionDenied, "the token may not do this (check"),
    (404, "not_subscribed", errors.ResourceNotFound,
     "the plugin is not subscribed to this website (check the website id (CRISP_WEBSITE_ID)"),
    (409, "people_exists", errors.ConflictError,
     "a people profile with this email already exists (look the profile up by email"),
    (429, "quota_limited", errors.RateLimitExceeded, "the token's daily request quota is spent"),
])
def test_reason_only_errors_say_what_they_mean(api, scripted, status, reason, cls, text):
    scripted.answer(failed(status, reason, {"message": reason}))
    with pytest.raises(cls) as info:
        api.Contact.find("p1")
    err = info.value
    assert (err.status, err.code) == (status, reason)
    assert err.message.startswith(text)
    assert str(err).startswith(f"[crisp {status} {reason}] {text}")


@pytest.mark.parametrize("status, body, cls, code", [
    (400, [1, 2], errors.BadRequestError, None),
    (401, "nope", errors.AuthenticationError, None),
    (404, 42, errors.ResourceNotFound, None),
    (400, None, errors.BadRequestError, None),
    (403, {"error": True, "reason": 5, "data": {"message": ["x"]}}, errors.PermissionDenied,
     None),
    (400, {"error": True, "reason": {"a": 1}, "data": "plain text"}, errors.BadRequestError,
     None),
    (404, {"error": True, "reason": "not_found", "data": [1]}, errors.ResourceNotFound,
     "not_found"),
    (400, {"error": True, "reason": "invalid_data", "data": {"message": 7, "namespace": 3}},
     errors.ValidationError, "invalid_data"),
    (409, {"error": True, "reason": "x\ny" * 100}, errors.ConflictError, None),
    (400, b"<html>bad gateway</html>", errors.BadRequestError, None),
    (400, b'{"error": true, "reas', errors.BadRequestError, None),
])
def test_error_body_of_any_shape_is_a_typed_error(api, scripted, status, body, cls, code):
    scripted.answer((status, body))
    with pytest.raises(errors.APIError) as info:
        api.Contact.find("p1")
    err = info.value
    assert type(err) is cls
    assert (err.status, err.code, err.provider) == (status, code, "crisp")
    assert isinstance(str(err), str)


PROFILE = {"people_id": "p1", "email": "a@example.com", "person": {"nickname": "Ann"},
           "segments": ["vip"]}


@pytest.mark.parametrize("change, field", [
    ({"segments": "vip"}, "segments"),
    ({"segments": [1, 2]}, "segments"),
    ({"person": ["Ann"]}, "person"),
    ({"person": {"nickname": 5}}, "person.nickname"),
    ({"person": {"geolocation": "Paris"}}, "person.geolocation"),
    ({"company": "ACME"}, "company"),
    ({"email": 12}, "email"),
])
def test_off_shape_profile_is_a_typed_error(api, scripted, change, field):
    scripted.answer(ok(dict(PROFILE, **change)))
    with pytest.raises(errors.ValidationError) as info:
        api.Contact.find("p1")
    err = info.value
    assert (err.field, err.status) == (field, 200)
    assert err.message.startswith("unexpected Crisp answer: Contact ")


def test_profile_list_with_bad_items_or_no_list_is_a_typed_error(api, scripted):
    scripted.answer(ok([PROFILE, "p2"]))
    with pytest.raises(errors.ValidationError) as info:
        api.Contact.all().to_list()
    assert info.value.message == "unexpected Crisp answer: a Contact is a string, not an object"
    scripted.answer(ok({"profiles": []}))
    with pytest.raises(errors.ValidationError) as info:
        api.Contact.all().to_list()
    assert info.value.status == 200
    assert "page 1 of" in info.value.message and "is an object, not a list" in info.value.message
    scripted.answer((200, b"<html>maintenance</html>"))
    with pytest.raises(errors.APIError):
        api.Contact.all().to_list()


CONVERSATION = {"session_id": "session_1", "state": "unresolved",
                "meta": {"email": "a@example.com", "segments": [], "data": {}}}


@pytest.mark.parametrize("change, field", [
    ({"meta": "x"}, "meta"),
    ({"meta": {"segments": "vip"}}, "meta.segments"),
    ({"meta": {"data": [1]}}, "meta.data"),
    ({"assigned": "op"}, "assigned"),
    ({"state": 3}, "state"),
])
def test_off_shape_conversation_is_a_typed_error(api, scripted, change, field):
    scripted.answer(ok(dict(CONVERSATION, **change)))
    with pytest.raises(errors.ValidationError) as info:
        api.Conversation.find("session_1")
    assert (info.value.field, info.value.status) == (field, 200)


@pytest.mark.parametrize("batch", [[1, 2], [{"fingerprint": 1, "timestamp": "soon"}],
                                   [{"fingerprint": 1, "user": "me"}], {"messages": []}])
def test_messages_that_are_not_objects_are_a_typed_error(api, scripted, batch):
    scripted.answer(ok(batch))
    conv = api.Conversation.ref("session_1")
    with pytest.raises(errors.ValidationError):
        conv.messages.to_list()
    assert scripted.seen == [("GET", f"/v1/website/{WEBSITE}/conversation/session_1/messages")]


def test_create_answers_without_an_id_are_a_typed_error(api, scripted):
    scripted.answer(ok({"created": True}, 201))
    with pytest.raises(errors.ValidationError) as info:
        api.Contact.create(email="a@example.com")
    assert (info.value.field, info.value.status) == ("people_id", 201)
    scripted.answer(ok([], 201))
    with pytest.raises(errors.ValidationError) as info:
        api.Conversation.create()
    assert info.value.field == "session_id"


def test_other_off_shape_answers_are_typed_errors(api, scripted):
    scripted.answer(ok({"operators": []}))
    with pytest.raises(errors.ValidationError):
        api.Operator.all().to_list()
    scripted.answer(ok([{"type": "owner"}]))
    with pytest.raises(errors.ValidationError) as info:
        api.Operator.all().to_list()
    assert info.value.field == "details"
    scripted.answer(ok([1]))
    with pytest.raises(errors.ValidationError):
        api.Visitor.stats()
    scripted.answer(ok({"count": "many"}))
    with pytest.raises(errors.ValidationError):
        api.Visitor.count()
    scripted.answer(ok({"data": ["x"]}))
    with pytest.raises(errors.ValidationError):
        api.Contact.ref("p1").custom_attributes  # noqa: B018
    scripted.answer(ok([{"segment": "vip", "count": "3"}]))
    with pytest.raises(errors.ValidationError):
        api.Tag.all().to_list()


# -- lookups ---------------------------------------------------------------------------------------
def test_not_found_names_what_was_looked_up(fresh):
    api = crisp.connect(base_url=fresh.base_url, max_retries=0, **fresh.credentials)
    cases = [
        (lambda: api.Contact.find("nobody"), "no people profile with people_id 'nobody'"),
        (lambda: api.Contact.find(email="ghost@example.com"),
         "no people profile with email 'ghost@example.com'"),
        (lambda: api.Conversation.find("session_missing"),
         "no conversation with session_id 'session_missing'"),
        (lambda: api.Operator.find("op-missing"), "no operator with user_id 'op-missing'"),
    ]
    for call, text in cases:
        with pytest.raises(errors.ResourceNotFound) as info:
            call()
        assert (info.value.status, info.value.code) == (404, "not_found")
        assert str(info.value) == f"[crisp 404 not_found] {text} on this website"


@pytest.mark.parametrize("model, lookup, text", [
    ("Contact", {"foo": "x"}, "Contact.find() takes id= or email=; got foo= (lookups: id, email)"),
    ("Contact", {}, "Contact.find() takes id= or email= (lookups: id, email)"),
    ("Conversation", {"email": "a@b.c"},
     "Conversation.find() takes id= (a session_id); got email= (lookups: id)"),
    ("Operator", {"name": "Ann"}, "Operator.find() takes id= (the operator's user_id); got "
                                  "name= (lookups: id)"),
    ("Tag", {"label": "vip"}, "Tag.find() takes id= or name= (a segment name); got label= "
                              "(lookups: id, name)"),
    ("ContactField", {"key": "plan"}, "ContactField.find() takes id= or name= (a data key); "
                                      "got key= (lookups: id, name)"),
    ("Message", {"id": 1}, "Message.find() takes id= (a fingerprint) and conversation="),
])
def test_unknown_lookup_is_a_library_error_listing_the_lookups(fresh, model, lookup, text):
    api = crisp.connect(base_url=fresh.base_url, max_retries=0, **fresh.credentials)
    fresh.clear_requests()
    with pytest.raises(errors.ValidationError) as info:
        getattr(api, model).find(**lookup)
    assert info.value.message == text
    assert fresh.requests == []


def test_person_and_origin_set_directly_are_checked_before_sending(fresh):
    api = crisp.connect(base_url=fresh.base_url, max_retries=0, **fresh.credentials)
    contact = api.Contact.all().first()
    contact.custom_attributes  # noqa: B018
    conv = api.Conversation.all().first()
    fresh.clear_requests()
    contact.person = dict(contact.person, nickname=5)
    with pytest.raises(errors.ValidationError) as info:
        contact.save()
    assert info.value.field == "name"
    contact.person = "Ann"
    with pytest.raises(errors.ValidationError) as info:
        contact.save()
    assert info.value.field == "person"
    with pytest.raises(errors.ValidationError) as info:
        conv.reply("hello", origin=5)
    assert info.value.field == "origin"
    with pytest.raises(errors.ValidationError) as info:
        conv.mark_read(origin=None)
    assert info.value.field == "origin"
    assert fresh.requests == []

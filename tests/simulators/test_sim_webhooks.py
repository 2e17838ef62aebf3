"""The simulators' webhook machinery (subscriptions, retries, delivery faults, seeding, the
sandbox flag), exercised through the Intercom simulator and a real loopback receiver."""

from __future__ import annotations

import copy
import hashlib
import hmac
import os
import signal
import socket
import subprocess
import sys

import pytest
import requests

from chatmodels import intercom
from chatmodels.testing import serve

from .receiver import receiver


@pytest.fixture(scope="module")
def server():
    with serve("intercom", seed=3, contacts=4) as sim:
        yield sim


@pytest.fixture
def sim(server):
    server.reset()
    yield server
    server.reset()
    server.webhook_max_attempts = type(server).webhook_max_attempts


@pytest.fixture
def rx():
    with receiver() as app:
        yield app


def _headers(sim):
    return {"Authorization": f"Bearer {sim.credentials['access_token']}"}


def new_lead(sim, email):
    resp = requests.post(sim.base_url + "/contacts", json={"role": "lead", "email": email},
                         headers=_headers(sim), timeout=5)
    assert resp.status_code == 200
    return resp.json()


def signature(body, secret):
    return "sha1=" + hmac.new(secret.encode(), body, hashlib.sha1).hexdigest()


def test_credentials_carry_the_webhook_secret_without_breaking_connect(sim):
    creds = sim.credentials
    assert "webhook_secret" in creds and len(creds["webhook_secret"]) == 40
    assert list(creds) == ["access_token"] and dict(creds) == {"access_token":
                                                              creds["access_token"]}
    assert copy.deepcopy(creds)["webhook_secret"] == creds["webhook_secret"]
    assert "webhook_secret" not in repr(creds) and creds["webhook_secret"] not in repr(creds)
    client = intercom.connect(base_url=sim.base_url, **creds)
    try:
        assert client.Contact.all().limit(1).first() is not None
    finally:
        client.close()


def test_a_write_is_delivered_once_signed_and_logged(sim, rx):
    sub = sim.subscribe(rx.url)
    assert sub.secret == sim.credentials["webhook_secret"] and "secret" not in repr(sub)
    contact = new_lead(sim, "one@example.com")
    sim.flush_webhooks()
    assert len(rx.received) == 1
    got = rx.received[0]
    assert got.headers["X-Hub-Signature"] == signature(got.body, sub.secret)
    assert got.headers["Content-Type"] == "application/json"
    assert got.json["data"]["item"] == contact
    [delivery] = sim.deliveries
    assert delivery == {"url": rx.url, "headers": delivery["headers"], "body": got.body,
                        "status": 200, "attempt": 1, "topic": "contact.lead.created",
                        "id": delivery["id"], "duplicate": False, "error": None}
    assert got.json["id"] == "notif_" + delivery["id"]


def test_a_500_is_retried_and_each_attempt_is_signed(sim, rx):
    rx.statuses = [500, 503]
    sim.subscribe(rx.url)
    new_lead(sim, "retry@example.com")
    sim.flush_webhooks()
    assert [(d["status"], d["attempt"]) for d in sim.deliveries] == [(500, 1), (503, 2),
                                                                     (200, 3)]
    bodies = rx.bodies()
    assert [b["delivery_attempts"] for b in bodies] == [1, 2, 3]
    assert len({b["id"] for b in bodies}) == 1
    assert len({b["first_sent_at"] for b in bodies}) == 1
    for got in rx.received:
        assert got.headers["X-Hub-Signature"] == signature(got.body,
                                                           sim.credentials["webhook_secret"])


def test_retries_are_bounded_when_nobody_listens(sim):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed when the block ends: connections are refused
    sim.webhook_max_attempts = 2
    sim.subscribe(f"http://127.0.0.1:{port}/gone")
    sim.duplicate_webhooks()  # only a delivered event is duplicated
    new_lead(sim, "nobody@example.com")
    sim.flush_webhooks()
    assert [(d["status"], d["attempt"], d["error"]) for d in sim.deliveries] == [
        (None, 1, "ConnectionError"), (None, 2, "ConnectionError")]


def test_duplicate_fault_sends_the_same_bytes_twice(sim, rx):
    sim.subscribe(rx.url)
    sim.duplicate_webhooks()
    new_lead(sim, "dup@example.com")
    new_lead(sim, "single@example.com")
    sim.flush_webhooks()
    assert len(rx.received) == 3
    assert rx.received[0].body == rx.received[1].body
    assert rx.received[0].headers["X-Hub-Signature"] == rx.received[1].headers["X-Hub-Signature"]
    assert [d["duplicate"] for d in sim.deliveries] == [False, True, False]
    assert [b["data"]["item"]["email"] for b in rx.bodies()] == [
        "dup@example.com", "dup@example.com", "single@example.com"]


def test_reorder_fault_sends_an_event_after_the_next_one(sim, rx):
    sim.subscribe(rx.url)
    sim.reorder_webhooks()
    for email in ("a@example.com", "b@example.com", "c@example.com"):
        new_lead(sim, email)
    sim.flush_webhooks()
    assert [b["data"]["item"]["email"] for b in rx.bodies()] == [
        "b@example.com", "a@example.com", "c@example.com"]


def test_a_held_event_is_released_by_a_flush(sim, rx):
    sim.subscribe(rx.url)
    sim.reorder_webhooks()
    new_lead(sim, "alone@example.com")
    sim.flush_webhooks()
    assert [b["data"]["item"]["email"] for b in rx.bodies()] == ["alone@example.com"]


def test_drop_first_attempt_fault_loses_the_first_attempt(sim, rx):
    sim.subscribe(rx.url)
    sim.drop_webhook_attempts(topic="contact.*")
    new_lead(sim, "dropped@example.com")
    sim.flush_webhooks()
    assert [(d["status"], d["attempt"], d["error"]) for d in sim.deliveries] == [
        (None, 1, "dropped (injected fault)"), (200, 2, None)]
    assert [b["delivery_attempts"] for b in rx.bodies()] == [2]


def test_clear_faults_drops_delivery_faults(sim, rx):
    sim.subscribe(rx.url)
    sim.duplicate_webhooks(times=5)
    sim.webhook_chaos(rate=1.0)
    sim.clear_faults()
    new_lead(sim, "clean@example.com")
    sim.flush_webhooks()
    assert len(rx.received) == 1


def test_chaos_is_deterministic_for_a_seed(sim, rx):
    def run():
        sim.reset()
        rx.received.clear()
        sim.subscribe(rx.url)
        sim.webhook_chaos(rate=0.5, seed=7)
        for n in range(6):
            new_lead(sim, f"chaos{n}@example.com")
            sim.flush_webhooks()
        return [(d["attempt"], d["duplicate"], d["status"]) for d in sim.deliveries]

    first = run()
    assert run() == first
    assert len(first) > 6  # some duplicates or dropped attempts happened


def test_topics_filter_with_patterns_and_unsubscribe(sim, rx):
    leads = sim.subscribe(rx.url + "/leads", topics=["contact.lead.*"])
    sim.subscribe(rx.url + "/none", topics="conversation.*")
    new_lead(sim, "t1@example.com")
    sim.flush_webhooks()
    assert [r.path for r in rx.received] == ["/hooks/leads"]
    sim.unsubscribe(leads)
    new_lead(sim, "t2@example.com")
    sim.flush_webhooks()
    assert len(rx.received) == 1 and sim.subscriptions[0].topics == ("conversation.*",)


def test_seeding_sends_nothing_and_reset_drops_subscriptions(sim, rx):
    sim.subscribe(rx.url)
    sim.seed(contacts=3)
    sim.flush_webhooks()
    assert rx.received == [] and sim.deliveries == []
    sim.reset()
    assert sim.subscriptions == []
    new_lead(sim, "after-reset@example.com")
    sim.flush_webhooks()
    assert rx.received == []


def test_failed_requests_send_nothing(sim, rx):
    sim.subscribe(rx.url)
    resp = requests.post(sim.base_url + "/contacts", json={"role": "bogus"},
                         headers=_headers(sim), timeout=5)
    assert resp.status_code == 400
    sim.fail(500, path=r"/contacts")
    resp = requests.post(sim.base_url + "/contacts", json={"role": "lead", "email": "x@y.z"},
                         headers=_headers(sim), timeout=5)
    assert resp.status_code == 500
    sim.flush_webhooks()
    assert rx.received == []


def test_subscribe_needs_an_http_url(sim):
    with pytest.raises(ValueError, match="http"):
        sim.subscribe("ftp://example.com/hook")


def test_sandbox_webhook_flag_delivers(rx):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "chatmodels", "sandbox", "intercom",
                             "--port", str(port), "--contacts", "2", "--webhook", rx.url],
                            stdout=subprocess.PIPE, text=True, env=env)
    try:
        lines = {}
        while "webhook" not in lines:
            line = proc.stdout.readline()
            assert line, "the sandbox stopped before printing its webhook"
            key, _, value = line.partition(": ")
            lines[key.strip()] = value.strip()
        assert lines["webhook"] == rx.url
        resp = requests.post(f"{lines['base_url']}/contacts", json={"email": "s@example.com"},
                             headers={"Authorization": f"Bearer {lines['access_token']}"},
                             timeout=5)
        assert resp.status_code == 200
        assert rx.wait(1), "the sandbox delivered nothing"
        [got] = rx.received
        assert got.json["topic"] == "contact.user.created"
        assert got.headers["X-Hub-Signature"] == signature(got.body, lines["webhook_secret"])
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0


def test_sandbox_rejects_a_non_http_webhook(capsys):
    from chatmodels import cli
    assert cli.main(["sandbox", "intercom", "--webhook", "ftp://x"]) == 2
    assert capsys.readouterr().err == (
        "chatmodels sandbox: error: argument --webhook: expected an http(s) URL, got "
        "'ftp://x' (see 'chatmodels sandbox --help')\n")

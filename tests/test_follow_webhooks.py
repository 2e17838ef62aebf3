"""Live sync driven by the source's own webhooks: a source simulator subscribed to a
``WebhookReceiver`` (the real ``webhooks.wsgi_app`` on loopback) receives writes during and after
the bulk run, with duplicated, reordered and dropped deliveries; ``Migration.follow`` consumes
the receiver's queue (no polling) and ends with target = source, each object written once.
Two sources with different signing schemes: Intercom (X-Hub-Signature) -> Crisp and Crisp
(timestamped HMAC-SHA256) -> Intercom."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import requests

from chatmodels import crisp, intercom
from chatmodels.migrate import Migration, WebhookReceiver

from .conformance.compare import assert_migrated
from .conftest import FAST_RETRY

MODULES = {"intercom": intercom, "crisp": crisp}


def connect(sim: Any) -> Any:
    return MODULES[sim.name].connect(base_url=sim.base_url, retry=FAST_RETRY,
                                     **sim.credentials)


def attempts(journal: str) -> set[int]:
    with sqlite3.connect(journal) as db:
        return {n for (n,) in db.execute("SELECT attempts FROM objects")}


# -- the writes made on each source ---------------------------------------------------------
def intercom_changes(api: Any, n: int) -> None:
    contacts = sorted(api.Contact.all(), key=lambda c: str(c.id))
    new = api.Contact.create(role="user", email=f"follow-{n}@example.com", name=f"Follow {n}")
    changed = contacts[n]
    changed.name = f"Renamed {n}"
    changed.save()
    contacts[n + 1].add_tag(api.Tag.create(name=f"followed-{n}"))
    conv = api.Conversation.find(id=sorted(c.id for c in api.Conversation.all())[n])
    conv.reply(body=f"a reply written while following ({n})", author=conv.contacts[0])
    api.Conversation.create(new, f"a new conversation ({n})")


def crisp_changes(api: Any, n: int) -> None:
    contacts = sorted(api.Contact.all(), key=lambda c: str(c.email))
    new = api.Contact.create(email=f"follow-{n}@example.com", name=f"Follow {n}")
    changed = contacts[n]
    changed.name = f"Renamed {n}"
    changed.save()
    contacts[n + 1].add_tag(f"followed-{n}")
    conv = sorted(api.Conversation.all(), key=lambda c: str(c.id))[n]
    conv.reply(f"a reply written while following ({n})")
    api.Conversation.create(new, f"a new conversation ({n})")


@contextmanager
def intercom_to_crisp() -> Iterator[tuple[Any, Any]]:
    from chatmodels.testing import serve
    with serve("intercom", seed=11, contacts=16, conversations=6) as source, \
            serve("crisp", seed=5, contacts=0, conversations=0) as target:
        admins = sorted(source.state.admins.values(), key=lambda a: a["id"])
        with target.lock:  # three operators share an Intercom admin's email
            for op, admin in zip(list(target.state.operators.values())[:3], admins[:3],
                                 strict=True):
                op["email"] = admin["email"]
        yield source, target


@contextmanager
def crisp_to_intercom() -> Iterator[tuple[Any, Any]]:
    from chatmodels.testing import serve
    with serve("crisp", seed=11, contacts=16, conversations=6) as source:
        team = [(op.name, op.email) for op in connect(source).Agent.all()]
        with serve("intercom", seed=12, contacts=0, conversations=0,
                   teammates=team) as target:
            yield source, target


CASES: dict[str, tuple[Callable[[], Any], Callable[[Any, int], None], dict[str, Any]]] = {
    "intercom->crisp": (intercom_to_crisp, intercom_changes, {"events": False}),
    "crisp->intercom": (crisp_to_intercom, crisp_changes, {"events": False}),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_follow_fed_by_the_sources_webhooks_ends_with_target_equal_source(case, tmp_path):
    pair, changes, compare = CASES[case]
    journal = str(tmp_path / "j.db")
    with pair() as (source, target):
        api, target_api = connect(source), connect(target)
        secret = source.credentials["webhook_secret"]
        with WebhookReceiver(source.name, secret=secret) as hooks:
            source.subscribe(hooks.url)
            source.reorder_webhooks(times=2)  # the first two events overtaken
            source.duplicate_webhooks(times=2)
            source.webhook_chaos(rate=0.5, seed=7)  # then duplicates, reorderings, lost attempts
            m = Migration(api, target_api, journal, progress=False, workers=4)
            during = threading.Thread(target=changes, args=(api, 0))
            during.start()  # while the bulk run reads the source
            assert m.run().ok
            during.join()

            delivered = threading.Event()

            def write_while_following() -> None:
                changes(api, 2)
                source.flush_webhooks()  # every delivery answered: its event is queued
                delivered.set()

            writer = threading.Thread(target=write_while_following)
            writer.start()
            # no polling: the webhooks alone carry the changes; stop once all are applied
            result = m.follow(hooks.queue, stop=lambda: delivered.is_set()
                              and hooks.queue.empty())
            writer.join()
            m.close()
        deliveries = list(source.deliveries)

        assert result.ok and result.stopped == "stop" and result.rounds == 0, str(result)
        faults = {"duplicate": sum(d["duplicate"] for d in deliveries),
                  "dropped": sum(d["status"] is None for d in deliveries)}
        assert faults["duplicate"] and faults["dropped"], faults
        assert hooks.rejected == {}
        # each event reached the follower once: the receiver's dedup took the duplicates
        assert hooks.received == len({d["id"] for d in deliveries}) == result.events
        assert result.synced["contacts"] and result.synced["conversations"]
        compared = assert_migrated(api, target_api, **compare)
        assert compared[1] == 6 + 2  # the new conversations are there, as are their owners
        assert {c.email for c in target_api.Contact.all()} >= {"follow-0@example.com",
                                                               "follow-2@example.com"}
        assert attempts(journal) == {1}  # every object created once, never retried

        # every delivery again, in reverse, to a new receiver and follower (an empty dedup
        # memory): each object is re-read and re-synced, nothing is created
        target.clear_requests()
        with WebhookReceiver(source.name, secret=secret) as again:
            for d in reversed([d for d in deliveries if d["status"] == 200]):
                answer = requests.post(again.url, data=d["body"], headers=d["headers"],
                                       timeout=10)
                assert answer.status_code == 200, answer.text
            with Migration(api, target_api, journal, progress=False) as m2:
                replay = m2.follow(again.queue, idle_timeout=0)
        assert replay.ok and replay.events == again.received, str(replay)
        assert all(s.created == 0 for s in replay.report.steps.values()), str(replay)
        # nothing is created (a re-synced contact may be re-saved with the values it has)
        creates = [(r.method, r.path) for r in target.requests if r.method == "POST"
                   and "search" not in r.path]
        assert creates == [], creates
        assert_migrated(api, target_api, **compare)


def test_the_safety_net_round_catches_a_lost_delivery_and_drains_before_an_idle_stop(tmp_path):
    journal = str(tmp_path / "j.db")
    with intercom_to_crisp() as (source, target):
        api, target_api = connect(source), connect(target)
        with WebhookReceiver("intercom", secret=source.credentials["webhook_secret"]) as hooks:
            sub = source.subscribe(hooks.url)
            m = Migration(api, target_api, journal, progress=False, workers=4)
            assert m.run().ok
            source.unsubscribe(sub)  # the receiver was down: these deliveries are lost
            lost = api.Contact.create(role="user", email="lost@example.com", name="Lost")
            source.subscribe(hooks.url)
            seen = api.Contact.create(role="user", email="seen@example.com", name="Seen")
            source.flush_webhooks()
            assert hooks.queue.qsize() == 1
            result = m.follow(hooks.queue, poll_interval=30, idle_timeout=0)
            m.close()
        assert result.ok and result.stopped == "idle", str(result)
        assert result.events == 1 and result.synced["contacts"] == 1
        # the event wrote "seen"; the idle stop's round found "lost" and wrote it; rounds went on
        # until one found nothing to do (objects changed in the last seconds are re-synced once
        # more, as polling does) and the follow stopped
        assert result.rounds >= 2 and result.report.steps["contacts"].created == 2
        assert "safety-net round(s)" in str(result)
        emails = {c.email for c in target_api.Contact.all()}
        assert {lost.email, seen.email} <= emails
        assert_migrated(api, target_api, events=False)
        assert attempts(journal) == {1}

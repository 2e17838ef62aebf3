"""Live sync (``Migration.follow`` / ``chatmodels migrate --follow``) between simulators over
loopback: polling rounds, webhook events with duplicates and reorderings, stops, deletions."""

from __future__ import annotations

import hashlib
import queue
import random
import sqlite3
import threading
from dataclasses import dataclass
from typing import Any

import pytest

from chatmodels import intercom, sendbee
from chatmodels.errors import ConfigurationError
from chatmodels.migrate import Migration
from chatmodels.migrate.follow import STALE, Follower
from chatmodels.migrate.mapper import Mapper
from chatmodels.migrate.mapping import parse as parse_mapping
from chatmodels.migrate.tagnames import SourceTagNames
from chatmodels.sendbee.webhooks import parse as parse_sendbee
from chatmodels.testing import serve

from .conformance.compare import assert_migrated
from .conftest import FAST_RETRY


def connect(sim: Any) -> Any:
    module = {"intercom": intercom, "sendbee": sendbee}[sim.name]
    return module.connect(base_url=sim.base_url, retry=FAST_RETRY, **sim.credentials)


def rows(journal: str) -> list[tuple[str, str, int]]:
    with sqlite3.connect(journal) as db:
        return db.execute("SELECT kind, source_id, attempts FROM objects").fetchall()


@pytest.fixture
def intercom_pair(tmp_path):
    with serve("intercom", seed=11, contacts=20, conversations=8) as source:
        team = [(a.name, a.email) for a in connect(source).Admin.all()]
        with serve("intercom", seed=12, contacts=0, conversations=0, teammates=team) as target:
            yield source, target, str(tmp_path / "j.db")


# -- polling -------------------------------------------------------------------------------------
def change_source(api: Any, n: int) -> None:
    """One of each change the follower must carry: a new contact, a changed attribute, a new
    tag, a reply to an existing conversation, a new conversation."""
    contacts = sorted(api.Contact.all(), key=lambda c: str(c.id))
    new = api.Contact.create(role="user", email=f"follow-{n}@example.com",
                             name=f"Follow {n}", custom_attributes={"signup_source": "webhook"})
    changed = contacts[n]
    changed.custom_attributes["signup_source"] = f"source-{n}"
    changed.save()
    contacts[n + 1].add_tag(api.Tag.create(name=f"followed-{n}"))
    conv = api.Conversation.find(id=sorted(c.id for c in api.Conversation.all())[n])
    conv.reply(body=f"a reply written while following ({n})", author=conv.contacts[0])
    api.Conversation.create(new, f"a new conversation ({n})")


def test_polling_follow_carries_writes_made_during_and_after_the_migration(intercom_pair):
    source, target, journal = intercom_pair
    api = connect(source)
    m = Migration(api, connect(target), journal, progress=False, workers=4)
    during = threading.Thread(target=change_source, args=(api, 0))
    during.start()  # while the bulk run reads the source
    assert m.run().ok
    during.join()
    change_source(api, 2)  # after it, before the follow

    written = threading.Event()
    after: dict[str, int] = {}
    calls: list[int] = []
    follower = Follower(m, stop=lambda: written.is_set()
                        and follower.out.rounds >= after["round"] + 2,
                        on_write=lambda report, n: calls.append(n))

    def write_while_following() -> None:
        while follower.out.rounds < 1:
            written.wait(0.01)
        change_source(api, 4)
        after["round"] = follower.out.rounds
        written.set()

    writer = threading.Thread(target=write_while_following)
    writer.start()
    result = follower.poll(0.05)
    writer.join()
    m.close()
    assert result.ok and result.stopped == "stop", str(result)
    assert sum(calls) == result.written() and all(calls)
    assert result.report.steps["contacts"].created >= 1
    assert result.report.steps["messages"].created >= 2
    compared = assert_migrated(api, connect(target), events=True)
    assert compared[0] == 23  # 20 seeded + 3 new
    # every object was created once: no row was ever retried
    assert {attempts for _, _, attempts in rows(journal)} == {1}

    # a second follow with nothing new creates nothing: it re-syncs the objects changed in
    # the last seconds once more (their next change may share their updated_at's second),
    # finds them in sync, and stops at its first round with nothing to do
    target.clear_requests()
    with Migration(api, connect(target), journal, progress=False) as again:
        idle = again.follow(poll_interval=0.05, idle_timeout=0)
    assert idle.stopped == "idle" and idle.ok, str(idle)
    assert all(s.created == s.reconciled == 0 for name, s in idle.report.steps.items()
               if name != "agents")  # agents are matched, never written
    assert [r.path for r in target.requests if r.method != "GET"
            and not r.path.startswith("/data_attributes/")] == []  # but the journal's marker


# -- events --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Event:
    """The attributes of a ``chatmodels.webhooks.Event`` the follower reads."""

    provider: str
    topic: str
    id: str
    kind: str
    object_id: str | None
    conversation_id: str | None
    object: Any


def sendbee_events(sim: Any, start: int = 0) -> list[Event]:
    """The simulator's signed webhook requests from ``start`` on, verified and parsed by
    ``chatmodels.sendbee.webhooks.parse``; the id is a hash of the body (Sendbee sends no
    delivery id), as ``chatmodels.webhooks`` does."""
    out = []
    for delivery in sim.outbox[start:]:
        parsed = parse_sendbee(delivery["headers"], delivery["body"],
                               secret=sim.credentials["api_secret"])
        kind = parsed.topic.split(".", 1)[0]
        out.append(Event("sendbee", parsed.topic, hashlib.sha256(delivery["body"]).hexdigest(),
                         kind, parsed.id, None, parsed.object))
    return out


def sendbee_changes(api: Any, sim: Any) -> None:
    contacts = sorted(api.Contact.all(), key=lambda c: c.phone)
    new = api.Contact.create(phone="+385991230001", name="Webhook Person",
                             tags=["from-webhook"])
    new.add_note("written after the migration")
    renamed = contacts[0]
    renamed.name = "Renamed By Webhook"
    renamed.save()
    contacts[1].add_tag("vip-webhook")
    sim.receive_message(contacts[2].phone, "a message after the migration")
    sim.receive_message("+385991230002", "a stranger writes first")  # a new contact
    conv = api.Conversation.find(id=next(iter(api.Conversation.all())).id)
    sim.receive_message(conv.contacts[0].load().phone, "open the window")
    conv.reply("an agent answers")


def test_event_follow_with_duplicated_and_reordered_deliveries(tmp_path):
    with serve("sendbee", seed=11, contacts=12, conversations=4,
               requests_per_minute=0) as source, \
            serve("intercom", seed=12, contacts=0, conversations=0) as target:
        api, journal = connect(source), str(tmp_path / "j.db")
        m = Migration(api, connect(target), journal, progress=False, workers=4)
        assert m.run().ok
        assert source.outbox == []  # reading the source emits nothing
        sendbee_changes(api, source)
        events = sendbee_events(source)
        assert {e.topic for e in events} == {"contact.created", "contact.updated",
                                              "message.created", "message.updated"}
        rng = random.Random(14)
        deliveries = events + rng.sample(events, 5)  # duplicates
        rng.shuffle(deliveries)  # and out of order
        result = m.follow(deliveries)
        m.close()
        assert result.ok and result.stopped == "exhausted", str(result)
        assert (result.events, result.duplicates) == (len(events), 5)
        assert result.synced["contacts"] == sum(e.kind == "contact" for e in events)
        target_api = connect(target)
        compared = assert_migrated(api, target_api, events=False, key="phone")
        assert compared[0] == 14
        # each object was written once: no journal row was retried; stale marks are left only
        # on contacts and conversations changed in the last SETTLE seconds (synced once more
        # by the next round or process, even after a kill -9)
        assert {attempts for _, _, attempts in rows(journal)} == {1}
        with sqlite3.connect(journal) as db:
            assert db.execute("SELECT COUNT(*) FROM objects WHERE version=? AND kind NOT IN "
                              "('contact', 'conversation')", (STALE,)).fetchone()[0] == 0
        phones = [c.phone for c in target_api.Contact.all()]
        assert len(phones) == len(set(phones)) == 14

        # the same deliveries again, to a new follower (its de-duplication memory is empty):
        # every object is re-read and found in sync, nothing is created
        target.clear_requests()
        with Migration(api, connect(target), journal, progress=False) as again:
            replay = again.follow(list(reversed(deliveries)))
        assert replay.ok and all(s.created == s.reconciled == 0 for name, s in
                                 replay.report.steps.items() if name != "agents")
        # nothing but the journal's marker (a new generation) is written
        assert [r.method for r in target.requests if r.method != "GET"
                and not r.path.startswith("/data_attributes/")] == []
        assert_migrated(api, target_api, events=False, key="phone")


def test_a_deletion_on_the_source_is_declared_not_propagated(intercom_pair):
    source, target, journal = intercom_pair
    api = connect(source)
    m = Migration(api, connect(target), journal, progress=False)
    assert m.run().ok
    gone = next(iter(api.Contact.all()))
    email = gone.email
    gone.delete()
    feed: queue.Queue[Any] = queue.Queue()
    feed.put(Event("intercom", "contact.deleted", "d1", "contact", str(gone.id), None, None))
    feed.put(Event("intercom", "contact.updated", "d2", "contact", str(gone.id), None, None))
    feed.put(Event("intercom", "other", "d3", "other", None, None, None))
    result = m.follow(feed, idle_timeout=0)
    m.close()
    assert result.stopped == "idle" and result.ok
    assert result.deleted == {"contacts": 2} and result.ignored == {"other": 1}
    assert connect(target).Contact.find(email=email).email == email  # kept on the target
    assert "Deleted on the source" in str(result)


def test_stop_event_and_dry_run(intercom_pair, tmp_path):
    source, target, journal = intercom_pair
    with Migration(connect(source), connect(target), journal, progress=False) as m:
        stop = threading.Event()
        stop.set()
        assert m.follow(queue.Queue(), stop=stop).stopped == "stop"
        assert m.follow(stop=stop).rounds == 0
    with Migration(connect(source), connect(target), str(tmp_path / "dry.db"),
                   dry_run=True) as dry:
        with pytest.raises(ConfigurationError, match="dry run cannot follow"):
            dry.follow()


def test_a_tag_created_after_the_tags_step_goes_through_the_mapping_file(intercom_pair):
    """A tag the tags step did not see (created on the source since), named by listing the
    source's tags again, is renamed or left out as the mapping file says, as the tags step's
    tags are; the mapper learns its source name (the filters read it)."""
    source, _, _ = intercom_pair
    api = connect(source)
    mapper = Mapper(parse_mapping('[tags]\nexclude = ["hidden-new"]\n'
                                  'rename = { "vip-new" = "VIP new" }\n'), None)
    known = api.Tag.all().first()
    names = SourceTagNames(api, mapper.tag, mapper.tag_names)
    names[str(known.id)] = mapper.tag(known)  # what the tags step stored
    vip, hidden = api.Tag.create(name="vip-new"), api.Tag.create(name="hidden-new")
    source.clear_requests()
    assert names.get(str(vip.id)) == "VIP new"
    assert names.get(str(hidden.id)) is None and names.get(str(hidden.id)) is None
    assert [r.path for r in source.requests] == ["/tags"]  # listed again once
    assert mapper.tag_names[str(vip.id)] == "vip-new"
    assert names[str(known.id)] == known.name

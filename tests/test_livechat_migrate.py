"""LiveChat in a migration, over the simulators: as a source (contact fields read without a
request), as a target (what is sent for a chat, lost answers reconciled, the marker), and the
dry-run fidelity report of Intercom -> LiveChat counting the target's declarations."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

import pytest

from chatmodels import registry
from chatmodels.crisp.target import text_of
from chatmodels.livechat.target import MARKER_NAME, LiveChatTarget, custom_id
from chatmodels.migrate import Migration
from chatmodels.migrate.targets import with_attachments
from chatmodels.testing import serve

from .conftest import FAST_RETRY

AGENT = "/v3.6/agent/action/"
WRITTEN = ("comment", "note")


@pytest.fixture(scope="module")
def sims():
    with serve("intercom", seed=31, contacts=20) as intercom_sim, \
            serve("livechat", seed=32, contacts=12, conversations=20) as livechat_sim, \
            serve("livechat", seed=33, contacts=0, conversations=0) as livechat_empty, \
            serve("intercom", seed=34, contacts=0, conversations=0) as intercom_empty:
        yield {"intercom": intercom_sim, "livechat": livechat_sim,
               "livechat-empty": livechat_empty, "intercom-empty": intercom_empty}


def client(sim) -> Any:
    return registry.get(sim.name).connect(base_url=sim.base_url, retry=FAST_RETRY,
                                          **sim.credentials)


def run(source, target, journal, **options: Any):
    migration = Migration(source, target, str(journal), progress=False, workers=4, **options)
    try:
        return migration.run()
    finally:
        migration.close()


def actions(sim) -> list[str]:
    return [r.path.rsplit("/", 1)[-1] for r in sim.requests]


def writes(sim) -> list[str]:
    return [a for a in actions(sim) if not a.startswith(("get_", "list_"))]


def test_contact_fields_of_a_livechat_source_cost_no_request(sims):
    api = client(sims["livechat"])
    sims["livechat"].clear_requests()
    assert list(api.ContactField.all()) == []
    assert sims["livechat"].requests == []


def test_dry_run_fidelity_intercom_to_livechat_counts_the_declarations(sims, tmp_path):
    sims["livechat-empty"].reset()
    source, target = client(sims["intercom"]), client(sims["livechat-empty"])
    sims["livechat-empty"].clear_requests()
    report = run(source, target, tmp_path / "j.db", dry_run=True)
    assert writes(sims["livechat-empty"]) == []

    contacts = list(source.Contact.all())
    convs = list(source.Conversation.all())
    messages = [m for c in convs for m in c.messages if m.kind in WRITTEN]
    got = {key: report.fidelity.get(f"{key}: {text}", 0)
           for key, text in LiveChatTarget.fidelity.items()}
    assert got["contact.created_at"] == len(contacts) == 20
    assert got["contact.role=lead"] == sum(1 for c in contacts if c.role == "lead")
    assert got["contact.external_id"] == sum(1 for c in contacts if c.external_id) > 0
    assert got["contact.tags"] == sum(1 for c in contacts if c.tags) > 0
    assert got["conversation.created_at"] == len(convs) > 0
    assert got["conversation.assignee_id"] == sum(1 for c in convs if c.assignee_id)
    assert got["conversation.state=snoozed|pending"] == \
        sum(1 for c in convs if c.state in ("snoozed", "pending"))
    assert got["message.created_at"] == len(messages) > 0
    assert got["message.author_type=contact"] == \
        sum(1 for m in messages if m.author_type == "contact") > 0
    assert got["message.author_type=agent|bot|system"] == \
        sum(1 for m in messages if m.author_type in ("agent", "bot", "system")) > 0
    assert report.unavailable["notes"].startswith("LiveChat does not hold them")
    assert report.unavailable["events"].startswith("LiveChat does not hold them")


def test_a_chat_is_written_with_custom_ids_and_found_again_after_lost_answers(sims, tmp_path):
    target_sim = sims["livechat-empty"]
    target_sim.reset()
    source, target = client(sims["intercom"]), client(target_sim)
    # answers lost after the write was applied: the lookups find the chats and events
    target_sim.drop(times=3, method="POST", path=AGENT + "start_chat", after_apply=True)
    target_sim.drop(times=3, method="POST", path=AGENT + "send_event", after_apply=True)
    target_sim.clear_requests()
    report = run(source, target, tmp_path / "j.db")
    assert report.ok, report.errors
    assert report.steps["messages"].reconciled >= 1

    state = target_sim.state
    texts: Counter[Any] = Counter()
    for conv in source.Conversation.all():
        full = source.Conversation.find(id=conv.id)
        written = [m for m in full.messages if m.kind in WRITTEN and (m.body or m.attachments)]
        if not written:
            continue
        events = [e for chat in state.chats.values() for t in chat["thread_ids"]
                  for e in state.threads[t]["events"]
                  if str(e.get("custom_id", "")).startswith(f"intercom:{full.id}/")]
        # each source message once, in order, as the token's agent; notes agents-only
        assert [e["custom_id"] for e in events] == [custom_id(m) for m in written]
        assert [e["text"] for e in events] == [text_of(with_attachments(m)) for m in written]
        assert [e["visibility"] for e in events] == \
            ["agents" if m.kind == "note" else "all" for m in written]
        assert {e["author_id"] for e in events} == {state.me}
        chat_ids = {cid for cid, chat in state.chats.items() for t in chat["thread_ids"]
                    if any(e in state.threads[t]["events"] for e in events)}
        assert len(chat_ids) == 1
        chat = state.chats[chat_ids.pop()]
        active = state.threads[chat["thread_ids"][-1]]["active"]
        assert active is (full.state != "closed")
        texts[len(events)] += 1
    assert sum(texts.values()) >= 5

    # the marker: a customer named MARKER_NAME whose session field holds the journal
    markers = [c for c in state.customers.values() if c.get("name") == MARKER_NAME]
    assert len(markers) == 1
    assert LiveChatTarget(target).read_marker()["generation"] == 1

    target_sim.clear_requests()
    again = run(source, target, tmp_path / "j.db")
    assert again.ok and writes(target_sim) == []


def test_a_delta_run_appends_to_a_closed_chat_in_a_new_thread(sims, tmp_path):
    source_sim, target_sim = sims["intercom-empty"], sims["livechat-empty"]
    source_sim.reset()
    target_sim.reset()
    source, target = client(source_sim), client(target_sim)
    contact = source.Contact.create(email="late@example.com", name="Late Person")
    conv = source.Conversation.create(contact, "Where is my parcel?")
    conv.close(body="Shipped yesterday.")
    assert run(source, target, tmp_path / "j.db").ok
    state = target_sim.state
    (chat,) = [c for c in state.chats.values()
               if any(state.customers.get(u, {}).get("email") == "late@example.com"
                      for u in c["users"])]
    assert len(chat["thread_ids"]) == 1
    assert state.threads[chat["thread_ids"][0]]["active"] is False

    # a later time: Intercom times are whole seconds, the delta run compares updated_at
    source.Conversation.find(id=conv.id).reply("One more thing: it arrived.",
                                               created_at=int(time.time()) + 5)
    final = source.Conversation.find(id=conv.id)
    target_sim.clear_requests()
    assert run(source, target, tmp_path / "j.db").ok
    assert "resume_chat" in actions(target_sim) and "create_customer" not in actions(target_sim)
    last = state.threads[chat["thread_ids"][-1]]
    assert len(chat["thread_ids"]) == 2
    assert [e["text"] for e in last["events"] if e["type"] == "message"] == \
        ["One more thing: it arrived."]
    assert last["events"][0]["custom_id"] == custom_id(final.messages[-1])
    assert last["active"] is (final.state != "closed")

"""Chaos with LiveChat on either side: ~10 % mixed faults on the target and five ``kill -9`` of
a real ``chatmodels migrate`` end with the target identical to a clean run's (see
tests/test_chaos.py). LiveChat stamps events itself, so its state compares messages by their
``custom_id`` (the source message they carry) rather than by time."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from typing import Any

import pytest

from chatmodels.livechat.target import MARKER_KEY, MARKER_NAME
from chatmodels.migrate.targets import plain
from chatmodels.testing import serve

from .test_chaos import STATES, run_faults_and_kills
from .test_chaos import new_target as other_target

CONTACTS = 15


def livechat_state(api: Any) -> Any:
    """Customers listed by the archives (by email or ``migrated_from``) with their name and
    session fields, and chats (owner, messages, state, tags); the run marker left out."""
    contacts, keys = {}, {}
    for c in api.Contact.all():
        if c.peek("name") == MARKER_NAME:
            continue
        full = api.Contact.find(id=c.id)
        fields = {k: str(v) for k, v in (full.custom_attributes or {}).items()}
        key = full.email or fields.get(MARKER_KEY)
        keys[str(full.id)] = key
        contacts[key] = (full.name, tuple(sorted(fields.items())))
    chats: Counter[Any] = Counter()
    seen: set[str] = set()
    for listed in api.Conversation.archived():
        if str(listed.id) in seen:
            continue
        seen.add(str(listed.id))
        chat = api.Conversation.find(id=listed.id)
        owner = chat.contacts[0].id if chat.contacts else None
        if owner is not None and str(owner) not in keys:
            continue  # the marker's chat
        messages = tuple((m.kind, re.sub(r"\s+", "", plain(m.body)), m.peek("custom_id"))
                         for m in chat.messages if m.kind in ("comment", "note"))
        chats[(keys.get(str(owner)), messages, chat.state,
               tuple(sorted(str(t.peek("name") or t.id) for t in chat.tags or [])))] += 1
    return contacts, chats


def new_target(kind: str, source: Any) -> Any:
    if kind == "livechat":
        return serve("livechat", seed=5, contacts=0, conversations=0)
    return other_target(kind, source)


STATE: Mapping[str, Any] = {**STATES, "livechat": livechat_state}


@pytest.mark.parametrize("source_kind,target_kind", [
    ("crisp", "livechat"), ("intercom", "livechat"), ("livechat", "intercom")])
def test_faults_and_kills_end_like_a_clean_run(tmp_path, source_kind, target_kind):
    run_faults_and_kills(tmp_path, source_kind, target_kind, state=STATE[target_kind],
                         new_target=new_target, contacts=CONTACTS)

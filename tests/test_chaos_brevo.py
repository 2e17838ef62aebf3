"""Chaos for the Brevo pairs: ~10 % faults on the target and five ``kill -9`` of a real
``chatmodels migrate`` end like a clean run (see tests/test_chaos.py).

Brevo as a target: contacts, lists, attributes, notes and events are exactly once; messages
are at least once (Brevo's API cannot look a message up, docs/reliability.md), so a thread is
compared by the set of its texts. Brevo as a source: its conversations come from the
simulator's saved webhooks (``--source webhook_dir=...``, from ``sim.credentials``).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from chatmodels.migrate.targets import plain
from chatmodels.testing import serve

from .test_chaos import intercom_state, run_faults_and_kills
from .test_chaos import new_target as other_target

CONTACTS = 15


def brevo_state(api: Any) -> Any:
    """What a Brevo target holds: contacts by email, and each visitor thread's texts."""
    lists = {str(t.id): t.name for t in api.Tag.all()}
    contacts = {}
    for c in api.Contact.all():
        attrs = {k: str(v) for k, v in (c.custom_attributes or {}).items() if v is not None}
        contacts[c.email] = (
            c.name, tuple(sorted(lists.get(str(t.id), "") for t in c.tags)),
            tuple(sorted(attrs.items())),
            tuple(sorted((e.name, int(e.created_at.timestamp())) for e in c.events())),
            tuple(sorted(plain(n.body) for n in c.notes())))
    threads: Counter[Any] = Counter()
    for conv in api.Conversation.all():
        threads[(conv.visitor_id, frozenset(plain(m.body) for m in conv.messages))] += 1
    return contacts, threads


def new_target(kind: str, source: Any) -> Any:
    if kind == "brevo":
        return serve("brevo", seed=5, contacts=0, conversations=0, companies=0, notes=0,
                     events=0)
    return other_target(kind, source)


STATES = {"brevo": brevo_state, "intercom": intercom_state}


@pytest.mark.parametrize("source_kind,target_kind", [
    ("intercom", "brevo"), ("crisp", "brevo"), ("brevo", "intercom")])
def test_faults_and_kills_end_like_a_clean_run(tmp_path, source_kind, target_kind):
    run_faults_and_kills(tmp_path, source_kind, target_kind, state=STATES[target_kind],
                         new_target=new_target, contacts=CONTACTS)

"""Chaos with Sendbee on either side: ~10 % mixed faults on the target and five ``kill -9`` of a
real ``chatmodels migrate`` process end with the target identical to a clean run's
(``run_faults_and_kills`` from tests/test_chaos.py, 15 contacts a pair)."""

from __future__ import annotations

from typing import Any

import pytest

from chatmodels.migrate.targets import MARKER_FIELD, plain
from chatmodels.testing import serve

from .test_chaos import intercom_state, run_faults_and_kills
from .test_chaos import new_target as other_target

CONTACTS = 15


def sendbee_state(api: Any) -> Any:
    """Contacts by phone (name, tags, field values, note texts) and the field definitions."""
    contacts = {}
    for c in api.Contact.all():
        contacts[c.phone] = (c.name, tuple(sorted(t.name for t in c.tags or [])),
                             tuple(sorted((c.custom_attributes or {}).items())),
                             tuple(sorted(plain(n.body) for n in api.Note.all(contact=c))))
    fields = sorted((f.name, f.type) for f in api.ContactField.all() if f.name != MARKER_FIELD)
    return contacts, fields, sorted(t.name for t in api.Tag.all())


def new_target(kind: str, source: Any) -> Any:
    if source.name == "sendbee":
        # run_faults_and_kills serves the source itself, at Sendbee's real 60 requests a
        # minute: lift it, the runs re-read the source many times
        source.rate_limit(None)
    if kind == "sendbee":
        # a limit never reached, in 1 s windows: an unlimited simulator still advertises
        # 60 a minute, and the migration's pacing would wait for the minute to end
        return serve("sendbee", seed=5, contacts=0, conversations=0,
                     requests_per_minute=100_000, rate_window=1)
    return other_target(kind, source)


@pytest.mark.parametrize("source_kind,target_kind,state", [
    ("crisp", "sendbee", sendbee_state), ("intercom", "sendbee", sendbee_state),
    ("sendbee", "intercom", intercom_state)])
def test_faults_and_kills_end_like_a_clean_run(tmp_path, source_kind, target_kind, state):
    run_faults_and_kills(tmp_path, source_kind, target_kind, state=state,
                         new_target=new_target, contacts=CONTACTS)

"""Migration round trip for every ordered provider pair the engine supports: migrate a seeded
source into an empty simulator, compare canonical content, then a second run writes nothing."""

from __future__ import annotations

import pytest

from chatmodels.migrate import Migration
from chatmodels.migrate.targets import target_class

from .compare import assert_migrated
from .conftest import FAST_RETRY, served_sim, spec_problems
from .profiles import BY_NAME, MIGRATIONS

SOURCE_CONTACTS = 30


def migrate(source, target, journal):
    migration = Migration(source, target, journal, progress=False, workers=4)
    try:
        return migration.run()
    finally:
        migration.close()


@pytest.mark.parametrize("pair", MIGRATIONS, ids=lambda p: f"{p[0]}-to-{p[1]}")
def test_round_trip_then_nothing_to_do(pair, tmp_path):
    src_profile, dst_profile = BY_NAME[pair[0]], BY_NAME[pair[1]]
    with served_sim(src_profile, 11, contacts=SOURCE_CONTACTS) as (src_sim, src_rec), \
            served_sim(dst_profile, 12, contacts=0, conversations=0) as (dst_sim, dst_rec):
        source = src_profile.connect(src_sim, retry=FAST_RETRY)
        target = dst_profile.connect(dst_sim, retry=FAST_RETRY)
        journal = str(tmp_path / "journal.db")
        report = migrate(source, target, journal)
        assert report.ok, report.errors
        assert report.steps["contacts"].created > 0
        writes = target_class(dst_profile.name).writes
        key = dst_profile.contact_key if dst_profile.contact_key != "email" \
            else src_profile.contact_key
        compared = assert_migrated(
            source, target, key=key, conversations_held=dst_profile.holds_conversations,
            events=src_profile.holds_events and dst_profile.holds_events and "events" in writes,
            notes="notes" in writes, tags=dst_profile.holds_contact_tags,
            every_contact=dst_profile.lists_every_contact,
            owners=dst_profile.links_conversations)
        # a target listing only contacts with a conversation compares only those, and fewer
        # contacts have a phone number than an email
        least = SOURCE_CONTACTS // 2 if dst_profile.lists_every_contact and key == "email" else 5
        assert compared[0] >= least, compared
        assert compared[1] >= 5 or not dst_profile.holds_conversations, compared

        dst_sim.clear_requests()
        again = migrate(source, target, journal)
        assert again.ok, again.errors
        assert [(r.method, r.path) for r in dst_sim.requests
                if not dst_profile.is_read(r.method, r.path)] == []
        for name, stats in again.steps.items():
            assert stats.created == stats.updated == stats.failed == 0, name
        problems = spec_problems(src_profile, src_rec) + spec_problems(dst_profile, dst_rec)
        assert not problems, "\n".join(problems)

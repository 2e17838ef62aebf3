"""The migration controls used together, over loopback between simulators: verification through
the mapping file a journal recorded, a changed mapping refused between runs, a sample then a full
run with a mapping for every provider pair, rollback after a sample and a full run (attachments
included)."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from chatmodels import cli
from chatmodels.migrate import Journal, Migration, Rollback, verify
from chatmodels.migrate.mapping import JOURNAL_KEY, MappingChanged, load, parse
from chatmodels.migrate.targets import target_class, target_for
from chatmodels.migrate.verify import MAPPED
from chatmodels.testing import serve

from .conformance import compare
from .conformance.profiles import BY_NAME, MIGRATIONS
from .conftest import FAST_RETRY
from .test_migrate_mapping import journal_counts
from .test_migrate_rollback import assert_restored, state

CONTACTS = 6
#: body lists of bulk writes (contacts tagged or added to a list)
BULK = ("users", "emails", "ids")


def run(source: Any, target: Any, journal: Any, **options: Any) -> Any:
    migration = Migration(source, target, str(journal), progress=False, workers=4, **options)
    try:
        return migration.run()
    finally:
        migration.close()


def sims(pair: tuple[str, str], contacts: int = CONTACTS) -> tuple[Any, Any]:
    src, dst = BY_NAME[pair[0]], BY_NAME[pair[1]]
    return (serve(pair[0], seed=11, **src.sim_options, contacts=contacts),
            serve(pair[1], seed=12, **dst.sim_options, contacts=0, conversations=0))


def connect(name: str, sim: Any) -> Any:
    return BY_NAME[name].connect(sim, retry=FAST_RETRY)


def sides(*pairs: tuple[str, Any]) -> list[str]:
    out = []
    for flag, sim in pairs:
        for key, value in {**sim.credentials, "base_url": sim.base_url}.items():
            out += [flag, f"{key}={value}"]
    return out


def journal_id(path: Path) -> str:
    journal = Journal(str(path), read_only=True)
    try:
        return journal.journal_id
    finally:
        journal.close()


def target_writes(sim: Any, journal: Path) -> Counter:
    """Successful writes by method and route (segments with a digit folded: ids), without the
    run marker's writes (one per run that writes; they name the journal)."""
    ours = journal_id(journal)
    out: Counter = Counter()
    for r in sim.requests:
        if r.method == "GET" or r.status is None or r.status >= 300 \
                or ours in json.dumps(r.json, default=str):
            continue
        if BY_NAME[sim.name].is_read(r.method, r.path):
            continue
        body = r.json if isinstance(r.json, dict) else {}
        bulk = [k for k in BULK if isinstance(body.get(k), list) and body[k]]
        if bulk:  # a run's contacts tagged or listed in bulk: counted one by one
            out[(r.method, re.sub(r"/[^/]*\d[^/]*", "/ID", r.path), bulk[0])] += len(
                body[bulk[0]])
            continue
        out[(r.method, re.sub(r"/[^/]*\d[^/]*", "/ID", r.path))] += 1
    return out


# -- 1. verification through the mapping -------------------------------------------------------
MAPPING = """\
[contacts.attributes]
plan = { to = "plan_tier", values = { free = "basic" } }
seats = { type = "string", default = "0" }
[contacts.fields]
phone = { default = "+15550000000" }
[conversations.fields]
state = { values = { snoozed = "closed" } }
"""


def test_verify_goes_through_the_recorded_mapping(tmp_path, capsys):
    with serve("intercom", seed=11, contacts=10) as src_sim, \
            serve("intercom", seed=12, contacts=0, conversations=0) as dst_sim:
        source, target = connect("intercom", src_sim), connect("intercom", dst_sim)
        people = list(source.Contact.all())
        assert any((c.custom_attributes or {}).get("plan") == "free" for c in people)
        assert any(not c.phone for c in people)
        assert any("seats" not in (c.custom_attributes or {}) for c in people)
        assert any(c.state == "snoozed" for c in source.Conversation.all())
        path = tmp_path / "mapping.toml"
        path.write_text(MAPPING)
        journal = tmp_path / "j.db"
        report = run(source, target, journal, mapping=load(str(path)))
        assert report.ok, report.errors
        recorded = json.loads(Journal(str(journal), read_only=True).get_meta(JOURNAL_KEY))
        assert recorded == {"path": str(path), "text": MAPPING, "sha256": load(str(path)).digest}

        clean = verify(source, target, str(journal))
        assert clean.ok, str(clean)
        mapped = Counter((c.field, c.status) for c in clean.checks if c.reason == MAPPED)
        planned = sum(bool((c.custom_attributes or {}).get("plan")) for c in people)
        assert mapped[("custom_attributes.plan", "transformed")] == planned  # renamed
        assert mapped[("phone", "transformed")] == sum(not c.phone for c in people)
        assert mapped[("custom_attributes.seats", "transformed")] == sum(
            "seats" not in (c.custom_attributes or {}) for c in people)
        snoozed = [c for c in clean.checks if c.field == "state" and c.source == "snoozed"]
        assert snoozed and all((c.status, c.reason, c.target) == ("transformed", MAPPED,
                                                                   "closed") for c in snoozed)
        assert "contact.custom_attributes.plan transformed: mapping file" in str(clean)

        # without the mapping (an empty file given instead), the same target differs
        empty = tmp_path / "empty.toml"
        empty.write_text("version = 1\n")
        assert not verify(source, target, str(journal), mapping=str(empty)).ok

        # a mapped field corrupted on the target is flagged
        writer = target_for(target)
        entry = next(e for e in Journal(str(journal), read_only=True).entries("contact", "done")
                     if (writer.read_contact(e.target_id).custom_attributes or {}).get("plan_tier"))
        contact = writer.read_contact(entry.target_id)
        held = contact.custom_attributes["plan_tier"]
        contact.custom_attributes = {**contact.custom_attributes, "plan_tier": "corrupted"}
        contact.save()
        flagged = verify(source, target, str(journal))
        assert [(c.target_id, c.field, c.target) for c in flagged.different] == \
            [(entry.target_id, "custom_attributes.plan", "corrupted")]

        side = sides(("--source", src_sim), ("--target", dst_sim))
        capsys.readouterr()
        assert cli.main(["verify", "--journal", str(journal), *side]) == 1
        assert "custom_attributes.plan: source" in capsys.readouterr().out
        contact.custom_attributes = {**contact.custom_attributes, "plan_tier": held}
        contact.save()
        assert cli.main(["verify", "--journal", str(journal), *side]) == 0
        assert cli.main(["verify", "--journal", str(journal), "--mapping", str(empty),
                         *side]) == 1


# -- 2. a changed mapping between runs ---------------------------------------------------------
def test_a_full_run_with_another_mapping_than_the_sample_is_refused(tmp_path, capsys):
    with serve("crisp", seed=11, contacts=8) as src_sim, \
            serve("intercom", seed=12, contacts=0, conversations=0) as dst_sim:
        source, target = connect("crisp", src_sim), connect("intercom", dst_sim)
        first, other = tmp_path / "a.toml", tmp_path / "b.toml"
        first.write_text('[contacts.fields]\nname = { default = "Unknown" }\n')
        other.write_text('[contacts.fields]\nname = { default = "Nobody" }\n')
        journal = tmp_path / "j.db"
        # a dry run and a run that writes nothing record nothing to protect
        assert run(source, target, journal, mapping=str(other), dry_run=True).ok
        sample = run(source, target, journal, mapping=str(first), sample=2)
        assert sample.ok and sample.steps["contacts"].created == 2
        dst_sim.clear_requests()
        for changed in (str(other), None):
            with pytest.raises(MappingChanged, match="--allow-mapping-change"):
                run(source, target, journal, mapping=changed)
        assert [r for r in dst_sim.requests if r.method != "GET"] == []
        # the same rules in another layout are the same mapping
        same = tmp_path / "c.toml"
        same.write_text('# edited\nversion = 1\n[contacts]\nfields.name.default = "Unknown"\n')
        assert load(str(same)).digest == load(str(first)).digest

        argv = ["migrate", "--from", "crisp", "--to", "intercom", "--journal", str(journal),
                "--no-progress", "--mapping", str(other),
                *sides(("--source", src_sim), ("--target", dst_sim))]
        capsys.readouterr()
        assert cli.main(argv) == 2
        err = capsys.readouterr().err
        assert f"written with the mapping file {first}" in err and str(other) in err
        assert cli.main([*argv, "--allow-mapping-change"]) == 0
        recorded = json.loads(Journal(str(journal), read_only=True).get_meta(JOURNAL_KEY))
        assert recorded["path"] == str(other)
        assert cli.main(argv) == 0  # the new mapping is the journal's now
        # a damaged record is refused, not silently replaced
        damaged = Journal(str(journal))
        damaged.set_meta(JOURNAL_KEY, "{not json")
        damaged.close()
        capsys.readouterr()
        assert cli.main(argv) == 2
        assert "mapping recorded in the journal cannot be read" in capsys.readouterr().err
        assert cli.main([*argv, "--allow-mapping-change"]) == 0


def test_a_rolled_back_sample_can_be_redone_with_another_mapping(tmp_path):
    with serve("intercom", seed=11, contacts=6) as src_sim, \
            serve("crisp", seed=12, contacts=0, conversations=0) as dst_sim:
        source, target = connect("intercom", src_sim), connect("crisp", dst_sim)
        journal = tmp_path / "j.db"
        first = parse('[contacts.attributes]\nplan = "tier"\n')
        assert run(source, target, journal, mapping=first, sample=2).ok
        with Rollback(target, str(journal)) as rollback:
            assert rollback.run().ok
        other = parse('[contacts.attributes]\nplan = "subscription"\n')
        report = run(source, target, journal, mapping=other)
        assert report.ok, report.errors
        assert verify(source, target, str(journal)).ok
        held = [p.custom_attributes for p in target.Contact.all()]
        assert any("subscription" in a for a in held) and not any("tier" in a for a in held)


# -- 3. every pair: a sample, then the full run, with a mapping --------------------------------
def content(name: str, client: Any, key: str) -> Any:
    profile = BY_NAME[name]
    writes = target_class(name).writes
    return (compare.contacts(client, events=profile.holds_events and "events" in writes,
                             notes="notes" in writes, tags=profile.holds_contact_tags, key=key),
            compare.conversations(client, key) if profile.holds_conversations else None)


@pytest.mark.parametrize("pair", MIGRATIONS, ids=lambda p: f"{p[0]}-to-{p[1]}")
def test_sample_then_full_run_with_a_mapping_for_every_pair(pair, tmp_path):
    src_profile, dst_profile = BY_NAME[pair[0]], BY_NAME[pair[1]]
    key = dst_profile.contact_key if dst_profile.contact_key != "email" \
        else src_profile.contact_key
    source_sim, clean_sim = sims(pair)
    with source_sim as src_sim:
        source = connect(pair[0], src_sim)
        people = list(source.Contact.all())
        with clean_sim as dst_sim:
            clean = run(source, connect(pair[1], dst_sim), tmp_path / "clean.db")
            assert clean.ok, clean.errors
            want = (target_writes(dst_sim, tmp_path / "clean.db"),
                    content(pair[1], connect(pair[1], dst_sim), key))
        with sims(pair)[1] as dst_sim:
            target, journal = connect(pair[1], dst_sim), tmp_path / "j.db"
            sample = run(source, target, journal, sample=2)
            assert sample.ok, sample.errors
            assert 0 < sample.steps["contacts"].created <= 2 < clean.steps["contacts"].created
            full = run(source, target, journal)
            assert full.ok, full.errors
            assert journal_counts(journal) == journal_counts(tmp_path / "clean.db")
            assert (target_writes(dst_sim, journal), content(pair[1], target, key)) == want

        # a renamed attribute and a contact filter: the dry run reports what the run does
        attrs = Counter(k for c in people[2:] for k, v in (c.custom_attributes or {}).items()
                        if v not in (None, ""))
        assert attrs, "the seed has no custom attribute"
        name = sorted(attrs)[0]
        mapping = parse(f'[contacts.attributes]\n"{name}" = "{name}_renamed"\n'
                        f'[contacts.exclude]\nids = {json.dumps([str(c.id) for c in people[:2]])}\n')
        with sims(pair)[1] as dst_sim:
            target, journal = connect(pair[1], dst_sim), tmp_path / "m.db"
            dry = run(source, target, journal, mapping=mapping, dry_run=True)
            assert [r for r in dst_sim.requests if not dst_profile.is_read(r.method, r.path)] \
                == []
            line = f"contact.custom_attributes.{name}: carried as {name}_renamed (mapping file)"
            assert dry.fidelity[line] == attrs[name]
            left_out = ("contacts", "left out by the mapping file (contacts.exclude.ids)")
            assert dry.skips[left_out] == 2
            real = run(source, target, journal, mapping=mapping)
            assert real.ok, real.errors
            assert real.fidelity == dry.fidelity and real.skips[left_out] == 2
            assert real.steps["contacts"].created == dry.steps["contacts"].created
            excluded = {str(c.id) for c in people[:2]}
            done = {e.source_id for e in Journal(str(journal), read_only=True).entries(
                "contact", "done")}
            assert done and not done & excluded
            checked = verify(source, target, str(journal))
            assert checked.ok, str(checked)
            renamed = [c for c in checked.checks if c.field == f"custom_attributes.{name}"]
            assert renamed and all(c.status != "equal" for c in renamed)
            if "contact_fields" in target_class(pair[1]).writes and not target_class(
                    pair[1]).unreadable.get("contacts"):
                held = [c for c in renamed if c.status == "transformed"]
                assert all(c.reason == MAPPED for c in held)


# -- 4. rollback after a sample and a full run, attachments included ---------------------------
def test_rollback_after_a_sample_and_a_full_run_restores_the_target(tmp_path):
    pair = ("livechat", "intercom")  # LiveChat messages carry files, Intercom uploads them
    source_sim, target_sim = sims(pair, contacts=8)
    with source_sim as src_sim, target_sim as dst_sim:
        source, target = connect(pair[0], src_sim), connect(pair[1], dst_sim)
        journal = str(tmp_path / "j.db")
        before, files_before = state(dst_sim), len(dst_sim.files)
        assert run(source, target, journal, sample=2).ok
        assert run(source, target, journal).ok
        rows = Journal(journal, read_only=True).entries("attachment", "done")
        uploads = [r for r in rows if r.payload.get("mode") == "upload"]
        assert uploads and len(dst_sim.files) == files_before + len(uploads)
        created = sum(n for (kind, st), n in journal_counts(Path(journal)).items()
                      if kind in ("contact", "conversation") and st == "done")

        with Rollback(target, journal) as rollback:
            report = rollback.run()
        assert report.ok, report.errors
        assert report.deleted["contacts"] + report.deleted["conversations"] == created
        assert_restored(before, state(dst_sim), "intercom", report)
        # the messages holding the uploaded files are gone; their bytes stay, listed
        assert report.uploads == len(uploads)
        assert f"uploaded files: {len(uploads)} - their messages are deleted" in str(report)
        assert len(dst_sim.files) == files_before + len(uploads)
        assert {r.state for r in Journal(journal, read_only=True).entries("attachment")} == \
            {"rolled_back"}

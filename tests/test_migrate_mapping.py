"""The mapping file, filters and sample runs, over loopback between simulators.

Crisp -> Intercom (renames, coercions, value maps, defaults, exclusions, agent overrides, the
fidelity report, sample then full run exactly once), Intercom -> Brevo (filters on contacts,
notes and events, contact field defaults), LiveChat -> Crisp (conversation filters, tag and
attribute renames), the ``--plan`` round trip through the command, and invalid files.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from chatmodels import cli, registry
from chatmodels.migrate import Journal, Migration
from chatmodels.migrate.mapping import MappingError, load, parse
from chatmodels.migrate.targets import MARKER_FIELD
from chatmodels.testing import serve

from .conftest import FAST_RETRY
from .test_migrate import snapshot


def client(sim: Any) -> Any:
    return registry.get(sim.name).connect(base_url=sim.base_url, retry=FAST_RETRY,
                                          **sim.credentials)


def run(source: Any, target: Any, journal: Any, *, resources: Any = None,
        **options: Any) -> Any:
    migration = Migration(source, target, str(journal), progress=False, workers=4, **options)
    try:
        return migration.run(**({"resources": resources} if resources else {}))
    finally:
        migration.close()


def writes(sim: Any) -> list[Any]:
    return [r for r in sim.requests if r.method != "GET"]


def crisp_team(sim: Any) -> list[tuple[str, str]]:
    return [(a.name, a.email) for a in client(sim).Agent.all()]


# -- invalid files ---------------------------------------------------------------------------
INVALID = [
    ("[contacts.attributes]\nplan = { to = 'tier'\n", None, 2, "not valid TOML"),
    ("version = 1\nfrobnicate = 2\n", "frobnicate", 2, "unknown key; expected one of agents, "
     "contacts, conversations, events, notes, tags, teams, version"),
    ("version = 2\n", "version", 1, "unsupported version 2; this chatmodels reads version 1"),
    ("[contacts.attributes]\nplan = 'tier'\nseats = { type = 'int' }\n",
     "contacts.attributes.seats.type", 3,
     "unknown type 'int'; expected one of string, integer, float, boolean, date"),
    ("[conversations.fields]\nstate = { values = { pending = 'done' } }\n",
     "conversations.fields.state.values.pending", 2,
     "'done' is not a canonical state; expected one of open, pending, snoozed, closed"),
    ("[conversations]\nonly.state = ['open', 'archived']\n", "conversations.only.state", 2,
     "unknown state 'archived'; canonical states: open, pending, snoozed, closed"),
    ("[contacts.only]\ncreated_since = 'last year'\n", "contacts.only.created_since", 2,
     "expected a date such as 2026-01-01 or 2026-01-01T09:30:00Z, got 'last year'"),
    ("[contacts.fields]\nname = 'full_name'\n", "contacts.fields.name", 2,
     "a canonical field cannot be renamed: use true, false or a table {values, default, "
     "attribute}"),
    ("[contacts.fields]\nsurname = false\n", "contacts.fields.surname", 2,
     "not a canonical contact field that can be mapped; choose from external_id, email, phone, "
     "name, role, avatar_url, created_at, last_seen_at, companies, location, "
     "unsubscribed_from_emails"),
    ("[contacts.attributes]\nmobile = { field = 'nickname' }\n",
     "contacts.attributes.mobile.field", 2,
     "expected a contact field an attribute can fill: email, phone, name, external_id, "
     "avatar_url, role"),
    ("[notes.exclude]\ntags = ['x']\n", "notes.exclude.tags", 2,
     "unknown key; expected one of ids"),
    ("[agents]\n'a@x.example' = 3\n", "agents.a@x.example", 2,
     "expected a non-empty string, got an integer"),
    ("[tags]\nexclude = 'spam'\n", "tags.exclude", 2,
     "expected a list of names or ids, got a string"),
]


@pytest.mark.parametrize("text,key,line,message", INVALID)
def test_an_invalid_file_names_its_line_and_key(tmp_path, text, key, line, message):
    path = tmp_path / "mapping.toml"
    path.write_text(text)
    with pytest.raises(MappingError) as caught:
        load(path)
    assert (caught.value.key, caught.value.line) == (key, line)
    where = f"mapping file {path}, line {line}" + (f", key {key}" if key else "")
    if key is None:  # the TOML parser's own words after ours
        assert str(caught.value).startswith(f"{where}: not valid TOML: ")
    else:
        assert str(caught.value) == f"{where}: {message}"


def test_an_unreadable_file_is_a_mapping_error(tmp_path):
    with pytest.raises(MappingError) as caught:
        load(tmp_path / "missing.toml")
    assert str(caught.value) == (f"mapping file {tmp_path / 'missing.toml'}: cannot read it "
                                 "(No such file or directory)")


def test_the_command_exits_2_on_an_invalid_file_before_any_request(tmp_path, capsys):
    with serve("crisp", seed=1, contacts=3) as source, \
            serve("intercom", seed=1, contacts=0, conversations=0) as target:
        mapping = tmp_path / "m.toml"
        mapping.write_text("[contacts.attributes]\nplan = { type = 'money' }\n")
        code = cli.main(["migrate", "--from", "crisp", "--to", "intercom", "--no-progress",
                         "--journal", str(tmp_path / "j.db"), "--mapping", str(mapping),
                         "--source-file", env_file(tmp_path / "s", source),
                         "--target-file", env_file(tmp_path / "t", target)])
        out, err = capsys.readouterr()
        assert (code, out) == (2, "")
        assert err == (f"chatmodels migrate: mapping file {mapping}, line 2, key "
                       "contacts.attributes.plan.type: unknown type 'money'; expected one of "
                       "string, integer, float, boolean, date\n")
        assert source.requests == [] and target.requests == []
        assert not (tmp_path / "j.db").exists()


def env_file(path: Path, sim: Any) -> str:
    path.write_text(f"base_url={sim.base_url}\n"
                    + "".join(f"{k}={v}\n" for k, v in sim.credentials.items()))
    return str(path)


# -- Crisp -> Intercom -----------------------------------------------------------------------
@pytest.fixture
def crisp_intercom(tmp_path):
    with serve("crisp", seed=11, contacts=30) as source:
        with serve("intercom", seed=11, contacts=0, conversations=0,
                   teammates=crisp_team(source)) as target:
            yield source, target


CRISP_MAPPING = """\
[tags]
rename = { vip = "VIP customer" }
exclude = ["lead"]

[contacts.exclude]
ids = ["{excluded}"]

[contacts.fields]
phone = false

[contacts.attributes]
plan = { to = "subscription", values = { free = "basic" } }
seats = { to = "seat_count", type = "string" }
mrr = false
signup = { default = "unknown" }
verified = { type = "integer" }

[conversations.fields]
state = { values = { pending = "closed" } }
"""


def test_renames_coercions_value_maps_defaults_and_exclusions(crisp_intercom, tmp_path):
    source_sim, target_sim = crisp_intercom
    src, dst = client(source_sim), client(target_sim)
    people = list(src.Contact.all())
    excluded = people[0]
    mapping = parse(CRISP_MAPPING.replace("{excluded}", str(excluded.id)))
    seeded = {a.name for a in dst.DataAttribute.all(model="contact")}
    seeded_tags = {t.name for t in dst.Tag.all()}
    dry = run(src, dst, tmp_path / "dry.db", mapping=mapping, dry_run=True)
    assert writes(target_sim) == []
    report = run(src, dst, tmp_path / "j.db", mapping=mapping)
    assert report.ok, report.errors

    kept = {p.email: p for p in people if p.id != excluded.id}
    on_target = {c.email: c for c in dst.Contact.all()}
    assert set(on_target) == set(kept)
    for email, person in kept.items():
        contact, data = on_target[email], person.custom_attributes or {}
        expected = {}
        if "plan" in data:
            expected["subscription"] = "basic" if data["plan"] == "free" else data["plan"]
        if "seats" in data:
            expected["seat_count"] = str(data["seats"])
        expected["signup"] = data.get("signup", "unknown")
        assert contact.custom_attributes == expected, email  # verified: not an integer
        assert contact.phone is None
        segments = {s.lower() for s in person.segments or []} - {"lead"}
        assert sorted(t.name for t in contact.list_tags()) == sorted(
            "VIP customer" if s == "vip" else s for s in segments)
    defined = {a.name: a.data_type for a in dst.DataAttribute.all(model="contact")
               if a.custom}
    new = {k: v for k, v in defined.items() if k not in seeded and k != MARKER_FIELD}
    assert {"subscription": "string", "seat_count": "string"}.items() <= new.items()
    assert set(new) <= {"subscription", "seat_count", "signup", "verified"}
    source_tags = {t.name for t in src.Tag.all()}
    assert {t.name for t in dst.Tag.all()} - seeded_tags == {
        "VIP customer" if t == "vip" else t for t in source_tags - {"lead"}}

    by_email = {c.id: c.email for c in dst.Contact.all()}
    source_convs = [c for c in src.Conversation.all()
                    if c.contacts and c.contacts[0].id != excluded.id]
    states = Counter("closed" if c.state in ("pending", "closed") else "open"
                     for c in source_convs)
    target_convs = list(dst.Conversation.all())
    assert Counter(c.state for c in target_convs) == states
    assert excluded.email not in {by_email[c.contacts[0].id] for c in target_convs}

    # the dry run planned what the real run did, and both report the mapping
    for step in ("contacts", "conversations", "tags", "messages"):
        assert dry.steps[step].created == report.steps[step].created, step
    assert dry.fidelity == report.fidelity
    pending = sum(1 for c in source_convs if c.state == "pending")
    assert report.fidelity["conversation.state=pending: carried as closed (mapping file)"] \
        == pending
    assert not any(k.startswith("conversation.state=pending: migrated as open")
                   for k in report.fidelity)
    data = [p.custom_attributes or {} for p in kept.values()]
    assert {k: v for k, v in report.fidelity.items() if "custom_attributes" in k} == {
        "contact.custom_attributes.plan: carried as subscription (mapping file)":
            sum("plan" in d for d in data),
        "contact.custom_attributes.plan=free: carried as basic (mapping file)":
            sum(d.get("plan") == "free" for d in data),
        "contact.custom_attributes.seats: carried as seat_count as string (mapping file)":
            sum("seats" in d for d in data),
        "contact.custom_attributes.mrr: left out (mapping file)": sum("mrr" in d for d in data),
        "contact.custom_attributes.signup=: set to unknown (mapping file)":
            sum("signup" not in d for d in data),
        "contact.custom_attributes.verified: not a valid integer: left out (mapping file)":
            sum("verified" in d for d in data),
        "conversation.custom_attributes: conversation attributes not carried":
            report.fidelity["conversation.custom_attributes: conversation attributes not "
                            "carried"]}
    assert all(n > 0 for n in report.fidelity.values())
    assert report.fidelity["tag.name=vip: carried as VIP customer (mapping file)"] == 1
    assert report.fidelity["tag.name=lead: left out (mapping file)"] == 1
    assert report.skips[("contacts", "left out by the mapping file (contacts.exclude.ids)")] \
        == 1
    assert report.skips[("conversations", "its contact is left out by the mapping file")] \
        == sum(1 for c in src.Conversation.all()
               if c.contacts and c.contacts[0].id == excluded.id)


def test_agent_overrides_replace_matching_by_email(crisp_intercom, tmp_path):
    source_sim, target_sim = crisp_intercom
    src, dst = client(source_sim), client(target_sim)
    agents = list(src.Agent.all())
    first, second = agents[0], agents[1]
    mapping = parse(f'[agents]\n"{first.email.upper()}" = "{second.email}"\n')
    report = run(src, dst, tmp_path / "j.db", mapping=mapping,
                 resources=["agents", "tags", "contacts", "conversations"])
    assert report.ok, report.errors
    admins = {a.email: str(a.id) for a in dst.Admin.all()}
    expected = Counter()
    for conv in src.Conversation.all():
        if conv.assignee_id and any(m.kind in ("comment", "note") and (m.body or m.attachments)
                                    for m in conv.messages):
            email = next(a.email for a in agents if str(a.id) == str(conv.assignee_id))
            expected[admins[second.email if email == first.email else email]] += 1
    assert expected[admins[second.email]] > 0 and admins[first.email] not in expected
    got = Counter(str(c.assignee_id) for c in dst.Conversation.all() if c.assignee_id)
    assert got == expected


def test_an_agent_override_that_matches_nothing_stops_before_any_write(crisp_intercom,
                                                                       tmp_path):
    source_sim, target_sim = crisp_intercom
    src, dst = client(source_sim), client(target_sim)
    email = next(iter(src.Agent.all())).email
    for text, key in ((f'[agents]\n"{email}" = "nobody@example.invalid"\n', f"agents.{email}"),
                      ('[agents]\n"ghost@example.invalid" = "x@example.invalid"\n',
                       "agents.ghost@example.invalid")):
        with pytest.raises(MappingError) as caught:
            run(src, dst, tmp_path / "j.db", mapping=parse(text))
        assert caught.value.key == key
        assert writes(target_sim) == []


def target_writes(sim: Any) -> Counter:
    """Successful writes by route (ids folded; bulk tagging counted per contact), without the
    journal marker's attribute."""
    out: Counter = Counter()
    for r in writes(sim):
        body = r.json if isinstance(r.json, dict) else {}
        if r.status is None or r.status >= 300 or "data_attributes" in r.path and (
                body.get("name") == MARKER_FIELD or "journal" in str(body.get("description"))):
            continue
        if r.path == "/tags" and body.get("users"):
            out[("tagged", body["name"])] += len(body["users"])
            continue
        out[(r.method, re.sub(r"/(?:[0-9a-f]{6,}|\d+)(?=/|$)", "/ID", r.path))] += 1
    return out


def test_a_sample_then_the_full_run_write_every_object_exactly_once(tmp_path):
    with serve("crisp", seed=11, contacts=30) as source_sim:
        team = crisp_team(source_sim)
        src = client(source_sim)
        with serve("intercom", seed=11, contacts=0, conversations=0,
                   teammates=team) as clean_sim:
            clean = run(src, client(clean_sim), tmp_path / "clean.db")
            assert clean.ok, clean.errors
            expected_writes, expected = target_writes(clean_sim), snapshot(client(clean_sim))
        with serve("intercom", seed=11, contacts=0, conversations=0,
                   teammates=team) as target_sim:
            dst = client(target_sim)
            journal = tmp_path / "j.db"
            sample = run(src, dst, journal, sample=5)
            assert sample.ok, sample.errors
            sampled = [p for p in src.Contact.all()][:5]
            assert sample.steps["contacts"].created == 5
            assert sorted(c.email for c in dst.Contact.all()) == sorted(p.email for p in sampled)
            ids = {str(p.id) for p in sampled}
            wanted = [c for c in src.Conversation.all() if c.contacts
                      and str(c.contacts[0].id) in ids
                      and any(m.kind in ("comment", "note") and (m.body or m.attachments)
                              for m in c.messages)]
            assert sample.steps["conversations"].created == len(wanted) > 0
            contacts, conversations = snapshot(dst)
            assert contacts == {k: v for k, v in expected[0].items()
                                if k in {p.email for p in sampled}}

            full = run(src, dst, journal)
            assert full.ok, full.errors
            assert full.steps["contacts"].skipped == 5
            assert full.steps["contacts"].created == clean.steps["contacts"].created - 5
            assert full.steps["conversations"].skipped == len(wanted)
            assert target_writes(target_sim) == expected_writes
            assert snapshot(dst) == expected
            assert journal_counts(journal) == journal_counts(tmp_path / "clean.db")
            assert all(state == "done" for _, state in journal_counts(journal))


def journal_counts(path: Path) -> dict[tuple[str, str], int]:
    journal = Journal(str(path), read_only=True)
    try:
        return journal.counts()
    finally:
        journal.close()


# -- Intercom -> Brevo -----------------------------------------------------------------------
@pytest.fixture
def intercom_brevo():
    with serve("intercom", seed=11, contacts=25) as source, \
            serve("brevo", seed=5, contacts=0, conversations=0, companies=0, notes=0,
                  events=0) as target:
        yield source, target


def test_filters_on_contacts_notes_and_events(intercom_brevo, tmp_path):
    source_sim, target_sim = intercom_brevo
    src, dst = client(source_sim), client(target_sim)
    contacts = [c for c in src.Contact.all()]
    dates = sorted(c.created_at for c in contacts)
    since = dates[len(dates) // 2]
    events = {c.id: list(src.Event.all(contact=c)) for c in contacts}
    names = Counter(e.name for es in events.values() for e in es)
    dropped = names.most_common(1)[0][0]
    mapping = parse(f"""
[contacts.only]
created_since = {since.strftime('%Y-%m-%dT%H:%M:%SZ')}
[contacts.fields]
name = {{ default = "Unknown" }}
[events.exclude]
names = ["{dropped}"]
[notes.only]
ids = []
""")
    report = run(src, dst, tmp_path / "j.db", mapping=mapping,
                 resources=["agents", "tags", "contacts"])
    assert report.ok, report.errors
    taken = [c for c in contacts if c.created_at.replace(microsecond=0) >= since.replace(
        microsecond=0) and (c.email or c.external_id)]
    assert report.steps["contacts"].created == len(taken) > 0
    assert report.skips[("contacts", "left out by the mapping file (contacts.only."
                                     "created_since)")] == sum(1 for c in contacts
                                                               if c.created_at < since)
    kept_events = sum(1 for c in taken for e in events[c.id] if e.name != dropped)
    assert kept_events > 0
    assert report.steps["events"].created == kept_events
    assert report.skips[("events", "left out by the mapping file (events.exclude.names)")] \
        == sum(1 for c in taken for e in events[c.id] if e.name == dropped)
    notes = sum(len(list(src.Note.all(contact=c))) for c in taken)
    assert report.skips.get(("notes", "left out by the mapping file (notes.only.ids)"), 0) \
        == notes
    assert "notes" not in report.steps or report.steps["notes"].created == 0
    nameless = sum(1 for c in taken if not c.name)
    assert report.fidelity.get("contact.name=: set to Unknown (mapping file)", 0) == nameless
    on_target = {c.email or c.ext_id: c for c in dst.Contact.all()}
    assert len(on_target) == len(taken)


# -- LiveChat -> Crisp -----------------------------------------------------------------------
def test_conversation_filters_and_renames_livechat_to_crisp(tmp_path):
    with serve("livechat", seed=9, contacts=12, conversations=30) as source_sim, \
            serve("crisp", seed=3, contacts=0, conversations=0) as target_sim:
        src, dst = client(source_sim), client(target_sim)
        convs = list(src.Conversation.all())
        tag_counts = Counter(t.name for c in convs for t in c.tags or [])

        def split(tag: str) -> tuple[int, int]:
            tagged = [c for c in convs if tag in {t.name for t in c.tags or []}]
            return (sum(c.state != "closed" for c in tagged),
                    sum(c.state == "closed" for c in tagged))
        tag = max(sorted(tag_counts), key=lambda t: min(split(t)))
        assert min(split(tag)) > 0
        mapping = parse(f"""
[tags]
rename = {{ "{tag}" = "{tag}-renamed" }}
[contacts.attributes]
plan = "tier"
[conversations.only]
tags = ["{tag}"]
[conversations.exclude]
state = ["closed"]
""")
        report = run(src, dst, tmp_path / "j.db", mapping=mapping)
        assert report.ok, report.errors
        wanted = [c for c in convs if tag in {t.name for t in c.tags or []}
                  and c.state != "closed"]
        assert report.steps["conversations"].created == len(wanted) > 0
        assert report.skips[("conversations", "left out by the mapping file (conversations."
                                              "exclude.state)")] == sum(
            1 for c in convs if tag in {t.name for t in c.tags or []} and c.state == "closed")
        people = {p.email: p for p in dst.Contact.all()}
        for customer in src.Contact.all():
            data = customer.custom_attributes or {}
            if customer.email in people and "plan" in data:
                got = people[customer.email].custom_attributes
                assert got.get("tier") == data["plan"] and "plan" not in got
        sessions = list(dst.Conversation.all())
        assert len(sessions) == len(wanted)
        for session in sessions:
            assert f"{tag}-renamed" in {t.name for t in session.tags or []}


# -- the plan, through the command -----------------------------------------------------------
def test_plan_written_edited_and_used(tmp_path, capsys):
    with serve("crisp", seed=11, contacts=12) as source_sim:
        team = crisp_team(source_sim)
        with serve("intercom", seed=11, contacts=0, conversations=0,
                   teammates=team) as target_sim:
            files = ["--source-file", env_file(tmp_path / "s", source_sim),
                     "--target-file", env_file(tmp_path / "t", target_sim)]
            base = ["migrate", "--from", "crisp", "--to", "intercom", "--no-progress",
                    "--journal", str(tmp_path / "j.db"), *files]
            plan = tmp_path / "plan.toml"
            assert cli.main(base + ["--plan", str(plan)]) == 0
            out = capsys.readouterr().out
            assert out.startswith("DRY RUN: nothing was written")
            assert out.endswith(f"Plan written to {plan}: edit it, then pass --mapping "
                                f"{plan}\n")
            assert writes(target_sim) == [] and not (tmp_path / "j.db").exists()
            text = plan.read_text()
            # every source field is listed, where it lands or why not
            assert 'plan = "plan"  # untyped on the source: typed from its first value' in text
            assert ("\nlocation = true  # 12 contacts; Intercom: contact.location: not carried "
                    "(Intercom geolocates on its own)\n") in text
            assert re.search(r"^state = \{ values = \{ .*pending = \"pending\".* \} \}  # .*"
                             r"conversation.state=pending: migrated as open", text, re.M)
            # as written it changes nothing: same dry run as without a mapping
            with_plan = cli.main(base + ["--dry-run", "--mapping", str(plan)])
            plain_out = capsys.readouterr().out
            assert with_plan == 0 and cli.main(base + ["--dry-run"]) == 0
            assert _table(capsys.readouterr().out) == _table(plain_out)

            edited = (text.replace('plan = "plan"', 'plan = "subscription"')
                      .replace('vip = "vip"', 'vip = "Very important"')
                      .replace('pending = "pending"', 'pending = "closed"'))
            assert edited != text
            plan.write_text(edited)
            assert cli.main(base + ["--mapping", str(plan)]) == 0
            out = capsys.readouterr().out
            assert "conversation.state=pending: carried as closed (mapping file)" in out
            dst, src = client(target_sim), client(source_sim)
            people = {p.email: p.custom_attributes or {} for p in src.Contact.all()}
            contacts = list(dst.Contact.all())
            assert len(contacts) == len(people)
            assert any("plan" in data for data in people.values())
            for contact in contacts:
                data = people[contact.email]
                assert "plan" not in contact.custom_attributes
                assert contact.custom_attributes.get("subscription") == data.get("plan")
            assert "Very important" in {t.name for t in dst.Tag.all()}


def test_the_documented_example_is_a_valid_mapping():
    doc = (Path(__file__).parent.parent / "docs" / "migration.md").read_text()
    example = re.search(r"## Mapping file.*?```toml\n(.*?)```", doc, re.S)
    assert example is not None
    mapping = parse(example.group(1))
    seats = mapping.rules("contacts").attributes["seats"]
    assert (seats.to, seats.type) == ("seat_count", "integer")
    assert mapping.tag_name("VIP") == "VIP customer" and mapping.tag_name("Test") is None
    assert mapping.rules("conversations").only.state == {"open", "pending"}


def _table(out: str) -> str:
    return re.sub(r"elapsed \S+", "", out)


# -- Intercom -> Crisp: value maps in the dry run's fidelity report ----------------------------
def test_value_maps_change_which_declarations_apply_intercom_to_crisp(tmp_path):
    with serve("intercom", seed=11, contacts=25) as source_sim, \
            serve("crisp", seed=3, contacts=0, conversations=0) as target_sim:
        src, dst = client(source_sim), client(target_sim)
        mapping = parse("""
[conversations.fields]
priority = { values = { low = "none", medium = "none" } }
state = { values = { snoozed = "closed" } }
title = { default = "Imported" }
team_id = false
""")
        plain_report = run(src, dst, tmp_path / "a.db", dry_run=True)
        report = run(src, dst, tmp_path / "b.db", dry_run=True, mapping=mapping)
        assert writes(target_sim) == []
        convs = list(src.Conversation.all())
        count = Counter()
        for c in convs:
            count["priority"] += c.priority not in (None, "none", "not_priority", "low",
                                                     "medium")
            count["low"] += c.priority == "low"
            count["medium"] += c.priority == "medium"
            count["snoozed"] += c.state == "snoozed"
            count["untitled"] += not c.title
            count["team"] += bool(c.team_id)
        assert count["low"] + count["medium"] > 0 and count["snoozed"] > 0
        assert count["untitled"] > 0 and count["team"] > 0

        def mine(key: str) -> int:
            return sum(n for k, n in report.fidelity.items() if k.startswith(key))

        assert mine("conversation.priority!=none|not_priority:") == count["priority"]
        assert "conversation.state=snoozed: migrated as open (unresolved)" in \
            plain_report.fidelity
        assert "conversation.state=snoozed: migrated as open (unresolved)" not in \
            report.fidelity
        assert "conversation.team_id: not carried (Crisp has no teams)" not in report.fidelity
        assert report.fidelity == {
            **{k: v for k, v in plain_report.fidelity.items()
               if not k.startswith(("conversation.priority!=", "conversation.state=snoozed",
                                    "conversation.team_id:"))},
            **({"conversation.priority!=none|not_priority: not carried (no home on Crisp)":
                count["priority"]} if count["priority"] else {}),
            **{f"conversation.priority={p}: carried as none (mapping file)": count[p]
               for p in ("low", "medium") if count[p]},
            "conversation.state=snoozed: carried as closed (mapping file)": count["snoozed"],
            "conversation.title=: set to Imported (mapping file)": count["untitled"],
            "conversation.team_id: left out (mapping file)": count["team"]}


@pytest.mark.parametrize("source_name,seed,count", [("livechat", 9, 12), ("intercom", 11, 20)])
def test_sample_then_full_equals_one_clean_run_to_crisp(tmp_path, source_name, seed, count):
    from .conformance import compare

    with serve(source_name, seed=seed, contacts=count) as source_sim:
        src = client(source_sim)
        content = []
        for journal, sample in ((tmp_path / "clean.db", None), (tmp_path / "j.db", 4)):
            with serve("crisp", seed=3, contacts=0, conversations=0) as target_sim:
                dst = client(target_sim)
                if sample:
                    first = run(src, dst, journal, sample=sample)
                    assert first.ok, first.errors
                    assert first.steps["contacts"].created == sample
                    assert len(list(dst.Contact.all())) == sample
                report = run(src, dst, journal)
                assert report.ok, report.errors
                content.append((compare.contacts(dst, events=True),
                                compare.conversations(dst)))
        assert content[0] == content[1] and content[0][0] and content[0][1]
        assert journal_counts(tmp_path / "j.db") == journal_counts(tmp_path / "clean.db")


def plan_of(src: Any, target_sim: Any, journal: Path, names: tuple[str, str]) -> str:
    from chatmodels.migrate.plan import plan_text

    migration = Migration(src, client(target_sim), str(journal), dry_run=True, progress=False)
    with migration:
        migration.run()
    assert not journal.exists()
    return plan_text(migration.mapper, *names)


def test_the_plan_names_what_the_target_cannot_hold_and_reads_back(tmp_path):
    with serve("intercom", seed=3, contacts=25) as source_sim, \
            serve("livechat", seed=3, contacts=0, conversations=0) as livechat_sim, \
            serve("crisp", seed=3, contacts=0, conversations=0) as crisp_sim:
        src = client(source_sim)
        contacts = list(src.Contact.all())
        events = sum(len(list(src.Event.all(contact=c))) for c in contacts)
        text = plan_of(src, livechat_sim, tmp_path / "j.db", ("Intercom", "LiveChat"))
        assert text.startswith("# chatmodels migration mapping: Intercom -> LiveChat\n")
        assert f"# contacts: {len(contacts)} contacts read\n" in text
        assert "# notes: 0 notes read; LiveChat does not write notes: nothing here is " \
               "written\n" in text
        assert "# events: 0 events read; LiveChat does not write events" in text and events
        assert re.search(r"^# provider fields without a canonical name \(not carried by any "
                         r"target\): .*browser \(\d+\)", text, re.M)
        mapping = parse(text)  # as written, it reads back and changes nothing
        assert mapping.filtered is False and not mapping.agents
        assert all(rule.identity or set(rule.values.items()) == {(k, k) for k in rule.values}
                   for rule in mapping.rules("conversations").fields.values())

        text = plan_of(src, crisp_sim, tmp_path / "k.db", ("Intercom", "Crisp"))
        lacking = sum(1 for c in contacts if not c.email)
        assert lacking > 1
        assert (f"\n# {lacking} contacts cannot be created on Crisp (no email: a Crisp people "
                "profile needs one): fill the field from an attribute ({ field = ... }) or "
                "leave them out\n") in text
        assert "\n# email = true" not in text and "\nemail = true  # " in text
        parse(text)

"""Field-level verification (``chatmodels verify``, ``migrate --verify``): a clean run between
two simulators verifies for every pair (each field equal, or transformed/lost as the target
declares); a field a test corrupts on the target is flagged (exit 1, named in the report)."""

from __future__ import annotations

import csv
from typing import Any

import pytest

from chatmodels import cli
from chatmodels.migrate import verify
from chatmodels.migrate.journal import JournalError
from chatmodels.migrate.targets import target_for
from chatmodels.migrate.verify import Verification, same
from chatmodels.testing import serve

from .conformance.profiles import BY_NAME, MIGRATIONS
from .conftest import FAST_RETRY
from .test_migrate_rollback import migrate

CONTACTS = 10
CORRUPT = "Corrupted By The Test"


def served(pair: tuple[str, str], contacts: int = CONTACTS) -> Any:
    src, dst = BY_NAME[pair[0]], BY_NAME[pair[1]]
    return (serve(pair[0], seed=11, **src.sim_options, contacts=contacts),
            serve(pair[1], seed=12, **dst.sim_options, contacts=0, conversations=0))


def corrupt_a_name(target: Any, journal: str) -> str:
    """Rename one migrated contact on the target (through the object model); its target id."""
    from chatmodels.migrate.journal import Journal
    j = Journal(journal, read_only=True)
    try:
        ids = [e.target_id for e in j.entries("contact", "done") if e.target_id]
    finally:
        j.close()
    writer = target_for(target)
    for tid in ids:
        contact = writer.read_contact(tid)
        if contact.name:
            contact.name = CORRUPT
            contact.save()
            return str(tid)
    raise AssertionError("no migrated contact with a name")


@pytest.mark.parametrize("pair", MIGRATIONS, ids=lambda p: f"{p[0]}-to-{p[1]}")
def test_verify_passes_on_a_clean_run_and_flags_a_corrupted_field(pair, tmp_path):
    source_sim, target_sim = served(pair)
    with source_sim as src_sim, target_sim as dst_sim:
        source = BY_NAME[pair[0]].connect(src_sim, retry=FAST_RETRY)
        target = BY_NAME[pair[1]].connect(dst_sim, retry=FAST_RETRY)
        journal = str(tmp_path / "journal.db")
        migrate(source, target, journal)
        dst_sim.clear_requests()

        clean = verify(source, target, journal)
        assert clean.ok, str(clean)
        assert clean.errors == []
        statuses = {c.status for c in clean.checks}
        assert "equal" in statuses and "different" not in statuses
        names = [c for c in clean.checks if c.kind == "contact" and c.field == "name"]
        assert names and all(c.status == "equal" for c in names)
        for c in clean.checks:  # each "as declared" names the target's declaration
            if c.status in ("transformed", "lost"):
                assert c.reason.split(":")[0] in type(target_for(target)).fidelity, c
        # verification only reads the target
        assert all(BY_NAME[pair[1]].is_read(r.method, r.path) for r in dst_sim.requests)

        tid = corrupt_a_name(target, journal)
        flagged = verify(source, target, journal)
        assert not flagged.ok
        assert [(c.kind, c.target_id, c.field, c.target) for c in flagged.different] == \
            [("contact", tid, "name", CORRUPT)]
        assert "Unexpectedly different (1):" in str(flagged)


def test_verify_command_exit_codes_and_reports(tmp_path, capsys):
    pair = ("crisp", "intercom")
    source_sim, target_sim = served(pair)
    with source_sim as src_sim, target_sim as dst_sim:
        journal = str(tmp_path / "journal.db")
        sides = []
        for flag, sim in (("--source", src_sim), ("--target", dst_sim)):
            for key, value in {**sim.credentials, "base_url": sim.base_url}.items():
                sides += [flag, f"{key}={value}"]
        html_report = str(tmp_path / "clean.html")
        code = cli.main(["migrate", "--from", "crisp", "--to", "intercom", "--journal", journal,
                         "--no-progress", "--verify", "--report", html_report, *sides])
        out = capsys.readouterr().out
        assert code == 0, out
        assert "Verification" in out and "Report: " + html_report in out
        page = open(html_report, encoding="utf-8").read()
        assert page.startswith("<!DOCTYPE html>") and "Migration verification: passed" in page
        # a pending conversation is open on Intercom: transformed as declared, and said so
        assert "conversation.state=pending: migrated as open" in out

        target = BY_NAME["intercom"].connect(dst_sim, retry=FAST_RETRY)
        tid = corrupt_a_name(target, journal)
        csv_report = str(tmp_path / "report.csv")
        # the providers come from the journal
        code = cli.main(["verify", "--journal", journal, "--report", csv_report, *sides])
        captured = capsys.readouterr()
        assert code == 1
        assert f"-> {tid}: name: source" in captured.out
        assert "1 field(s) unexpectedly different" in captured.err
        rows = list(csv.DictReader(open(csv_report, encoding="utf-8", newline="")))
        assert list(rows[0]) == ["kind", "source_id", "target_id", "field", "status", "source",
                                 "target", "reason"]
        bad = [r for r in rows if r["status"] == "different"]
        assert [(r["kind"], r["target_id"], r["field"], r["target"]) for r in bad] == \
            [("contact", tid, "name", CORRUPT)]
        assert {r["status"] for r in rows} >= {"equal", "transformed", "different"}

        html_report = str(tmp_path / "flagged.html")
        assert cli.main(["verify", "--journal", journal, "--report", html_report, *sides]) == 1
        page = open(html_report, encoding="utf-8").read()
        assert "FAILED" in page and f"<td>{CORRUPT}</td>" in page
        capsys.readouterr()

        # usage errors: exit 2, one line
        assert cli.main(["verify", "--journal", journal, "--report", "x.txt", *sides]) == 2
        assert cli.main(["verify", "--journal", str(tmp_path / "none.db"), *sides]) == 2
        assert cli.main(["migrate", "--from", "crisp", "--to", "intercom", "--journal", journal,
                         "--report", str(tmp_path / "r.csv"), *sides]) == 2
        assert cli.main(["migrate", "--journal", journal, *sides]) == 2
        assert cli.main(["migrate", "--rollback", "--dry-run", "--journal", journal,
                         *sides]) == 2
        err = capsys.readouterr().err
        assert "--rollback does not take --dry-run" in err
        assert "--from and --to required" in err


class UpperCaseNames:
    """A rule as a mapping file would give: names are written in upper case."""

    def expect(self, kind: str, field: str, value: Any) -> tuple[str, Any, str] | None:
        if kind == "contact" and field == "name" and isinstance(value, str):
            return "name", value.upper(), "mapping: names in upper case"
        return None


def test_a_rule_declares_a_transformation(tmp_path):
    source_sim, target_sim = served(("crisp", "intercom"), contacts=3)
    with source_sim as src_sim, target_sim as dst_sim:
        source = BY_NAME["crisp"].connect(src_sim, retry=FAST_RETRY)
        target = BY_NAME["intercom"].connect(dst_sim, retry=FAST_RETRY)
        journal = str(tmp_path / "journal.db")
        migrate(source, target, journal)
        for contact in target.Contact.all():
            contact.name = (contact.name or "").upper()
            contact.save()
        assert not verify(source, target, journal).ok
        result = verify(source, target, journal, rules=[UpperCaseNames()])
        assert result.ok, str(result)
        names = [c for c in result.checks if c.field == "name" and c.kind == "contact"]
        assert names and {c.status for c in names} == {"transformed"}
        assert {c.reason for c in names} == {"mapping: names in upper case"}


def test_verify_needs_a_journal_with_a_migration(tmp_path):
    with serve("intercom", seed=1, contacts=0) as sim:
        api = BY_NAME["intercom"].connect(sim, retry=FAST_RETRY)
        with pytest.raises(JournalError, match="records no migration"):
            verify(api, api, str(tmp_path / "empty.db"))


def test_normalised_comparison():
    assert same("<p>Hello  world</p>", "Hello world")
    assert same(299, "299.0") and same(True, "true") and same("A@X.io", "a@x.io", fold=True)
    assert not same("Ann", "ANN") and same("Ann", "ANN", fold=True)
    assert same("2026-01-01", 1767225600)
    assert same(["VIP", "beta"], ["beta", "vip"])
    assert not same("x", None) and same(None, "") and not same(1, 2)


def test_csv_cells_are_not_formulas(tmp_path):
    from chatmodels.migrate.verify import Check
    report = Verification(checks=[Check("contact", "1", "2", "name", "different",
                                        "=HYPERLINK(\"x\")", "-3", "")])
    path = str(tmp_path / "r.csv")
    report.write(path)
    row = list(csv.DictReader(open(path, encoding="utf-8", newline="")))[0]
    assert row["source"].startswith("'=") and row["target"] == "-3"


def test_html_report_escapes_values(tmp_path):
    from chatmodels.migrate.verify import Check
    report = Verification(checks=[Check("contact", "1", "2", "name", "different",
                                        "<script>alert(1)</script>", "x & y", "")],
                          unreadable={"conversations": "cannot <read>"})
    page = report.html()
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "x &amp; y" in page and "cannot &lt;read&gt;" in page
    with pytest.raises(Exception, match="name a .csv or .html file"):
        report.write(str(tmp_path / "r.txt"))

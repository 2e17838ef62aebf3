"""``chatmodels export``: rows, formats, resuming exactly once, the journal's conventions."""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import json
import sqlite3

import pyarrow.parquet as pq
import pytest

from chatmodels import cli, registry
from chatmodels.errors import BadRequestError, ConfigurationError
from chatmodels.export import Export, ExportJournal, flatten, jsonable
from chatmodels.migrate.journal import JournalError, JournalLocked, JournalMismatch
from chatmodels.testing import serve


@pytest.fixture(autouse=True)
def _no_provider_environment(monkeypatch):
    for entry in registry.entries():
        for var in entry.env.values():
            monkeypatch.delenv(var, raising=False)


def connect(sim):
    return registry.get(sim.name).connect(base_url=sim.base_url, **sim.credentials)


def expected_rows(api, resource):
    return [jsonable(obj.to_dict()) for obj in api.resource(resource).all()]


def jsonl(path):
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


@pytest.fixture(scope="module")
def crisp_sim():
    with serve("crisp", seed=3, contacts=100) as sim:
        yield sim


@pytest.fixture
def crisp(crisp_sim):
    crisp_sim.reset()
    yield crisp_sim
    crisp_sim.clear_faults()


# -- rows ---------------------------------------------------------------------------------------
def test_jsonable_and_flatten():
    when = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)
    assert jsonable({"at": when, "d": dt.date(2026, 1, 2), "n": float("nan"), "t": (1, 2),
                     "x": decimal.Decimal("1.5"), 3: None}) == {
        "at": "2026-01-02T03:04:05+00:00", "d": "2026-01-02", "n": None, "t": [1, 2],
        "x": 1.5, "3": None}
    assert flatten({"id": 1, "custom_attributes": {"plan": "pro", "nested": {"a": 1}},
                    "tags": [{"id": 1}], "compose": {}}) == {
        "id": 1, "custom_attributes.plan": "pro", "custom_attributes.nested.a": 1,
        "tags": [{"id": 1}], "compose": {}}


@pytest.mark.parametrize("provider,resource", [
    ("intercom", "contacts"), ("intercom", "conversations"), ("crisp", "contacts"),
    ("livechat", "conversations"), ("brevo", "contacts"), ("sendbee", "contacts"),
    ("sendbee", "tags")])
def test_jsonl_rows_are_the_canonical_to_dict_of_every_object(provider, resource, tmp_path):
    with serve(provider, seed=5, contacts=25) as sim, connect(sim) as api:
        out = tmp_path / f"{resource}.jsonl"
        result = Export(api, resource, str(out), page_size=7).run()
        rows = jsonl(out)
        assert rows == expected_rows(api, resource)
        assert result.count == len(rows) > 0 and result.written == len(rows)
        assert not result.resumed
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{resource}.jsonl",
                                                          f"{resource}.jsonl.journal",
                                                          f"{resource}.jsonl.journal.lock"]


def test_csv_flattens_custom_attributes_and_writes_lists_as_json(sim, api, tmp_path):
    out = tmp_path / "contacts.csv"
    Export(api, "contacts", str(out)).run()
    with open(out, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    contacts = list(api.Contact.all())
    assert len(rows) == len(contacts) == 250
    header = list(rows[0])
    assert header[:3] == ["id", "workspace_id", "external_id"]
    assert "custom_attributes" not in header and "custom_attributes.plan" in header
    for row, contact in zip(rows, contacts, strict=True):
        assert row["id"] == contact.id
        assert row["email"] == (contact.email or "")
        assert row["created_at"] == contact.created_at.isoformat()
        assert row["unsubscribed_from_emails"] == json.dumps(contact.unsubscribed_from_emails)
        assert row["custom_attributes.plan"] == contact.custom_attributes.get("plan", "")
        assert json.loads(row["tags"]) == jsonable(contact.to_dict()["tags"])
        assert row["phone"] == (contact.phone or "")


def test_parquet_keeps_column_types(sim, api, tmp_path):
    out = tmp_path / "contacts.parquet"
    Export(api, "contacts", str(out), fmt="parquet").run()
    table = pq.read_table(out)
    types = {f.name: str(f.type) for f in table.schema}
    assert types["created_at"] == "timestamp[us, tz=UTC]"
    assert types["unsubscribed_from_emails"] == "bool"
    assert types["custom_attributes.seats"] == "int64"
    assert types["custom_attributes.mrr"] == "double"
    assert types["tags"] == "string"
    first = table.slice(0, 1).to_pylist()[0]
    contact = next(iter(api.Contact.all()))
    assert first["id"] == contact.id
    assert first["created_at"] == contact.created_at
    assert first["custom_attributes.plan"] == contact.custom_attributes["plan"]
    assert json.loads(first["tags"]) == jsonable(contact.to_dict()["tags"])
    assert table.num_rows == 250


def test_an_empty_resource_gives_valid_empty_files(tmp_path):
    with serve("intercom", seed=1, contacts=0, conversations=0) as sim, connect(sim) as api:
        for fmt in ("jsonl", "csv", "parquet"):
            out = tmp_path / f"contacts.{fmt}"
            assert Export(api, "contacts", str(out)).run().count == 0
        assert (tmp_path / "contacts.jsonl").read_bytes() == b""
        assert (tmp_path / "contacts.csv").read_bytes() == b""
        assert pq.read_table(tmp_path / "contacts.parquet").num_rows == 0


# -- resuming -----------------------------------------------------------------------------------
def _fail_on_page_3(sim):
    website = sim.credentials["website_id"]
    sim.fail(400, times=1, path=f"/v1/website/{website}/people/profiles/3")


def test_an_interrupted_export_resumes_from_its_cursor_without_duplicates(crisp, tmp_path):
    out = tmp_path / "contacts.jsonl"
    with connect(crisp) as api:
        _fail_on_page_3(crisp)
        with pytest.raises(BadRequestError):
            Export(api, "contacts", str(out), page_size=20).run()
        assert not out.exists()
        spool = tmp_path / "contacts.jsonl.part"
        assert len(spool.read_text().splitlines()) == 40
        # what a kill -9 can leave: a page written but not recorded, then half a line
        with open(spool, "a", encoding="utf-8") as fh:
            fh.write('{"id":"unrecorded"}\n{"id":"half')
        crisp.clear_requests()
        result = Export(api, "contacts", str(out), page_size=20).run()
        assert [r.path.rsplit("/", 1)[1] for r in crisp.requests] == ["3", "4", "5", "6"]
        rows = jsonl(out)
        assert rows == expected_rows(api, "contacts")
        assert len({r["id"] for r in rows}) == len(rows) == 100
        assert (result.count, result.written, result.resumed) == (100, 60, True)
        assert not spool.exists()


def test_a_restart_from_the_first_page_skips_what_is_written(crisp, tmp_path):
    out = tmp_path / "contacts.csv"
    with connect(crisp) as api:
        _fail_on_page_3(crisp)
        with pytest.raises(BadRequestError):
            Export(api, "contacts", str(out), page_size=20).run()
        db = sqlite3.connect(tmp_path / "contacts.csv.journal")
        with db:
            db.execute("UPDATE meta SET value='null' WHERE key='cursor'")
        db.close()
        crisp.clear_requests()
        result = Export(api, "contacts", str(out), page_size=20).run()
        assert crisp.requests[0].path.endswith("/profiles/1")
        with open(out, encoding="utf-8", newline="") as fh:
            ids = [row["id"] for row in csv.DictReader(fh)]
        assert ids == [c.id for c in api.Contact.all()]
        assert (result.count, result.written) == (100, 60)


def test_a_completed_export_run_again_is_a_new_export(crisp, tmp_path):
    out = tmp_path / "tags.jsonl"
    with connect(crisp) as api:
        first = Export(api, "tags", str(out)).run()
        api.Tag.all().first()  # nothing changes on the account
        again = Export(api, "tags", str(out)).run()
    assert (again.count, again.written, again.resumed) == (first.count, first.count, False)
    assert len(jsonl(out)) == first.count


# -- the journal's conventions ------------------------------------------------------------------
def test_the_journal_records_what_is_exported(crisp, tmp_path):
    out = str(tmp_path / "contacts.jsonl")
    with connect(crisp) as api:
        Export(api, "contacts", out).run()
        with pytest.raises(JournalMismatch, match="format 'jsonl' -> 'csv'"):
            Export(api, "contacts", out, fmt="csv").run()
        with pytest.raises(JournalMismatch, match="resource 'contacts' -> 'tags'"):
            Export(api, "tags", out).run()
    with serve("crisp", seed=9, contacts=1) as other, connect(other) as api:
        with pytest.raises(JournalMismatch, match="source"):
            Export(api, "contacts", out).run()


def test_one_export_per_journal_at_a_time(crisp, tmp_path):
    out = str(tmp_path / "contacts.jsonl")
    held = ExportJournal(out + ".journal")
    try:
        with connect(crisp) as api, pytest.raises(JournalLocked, match="another export"):
            Export(api, "contacts", out).run()
    finally:
        held.close()


@pytest.mark.parametrize("content", [b"not a database at all" * 50, None])
def test_a_damaged_or_foreign_journal_is_a_journal_error(content, crisp, tmp_path):
    out = str(tmp_path / "contacts.jsonl")
    if content is None:  # a migration journal is not an export journal
        from chatmodels.migrate.journal import Journal
        Journal(out + ".journal").close()
    else:
        (tmp_path / "contacts.jsonl.journal").write_bytes(content)
    with connect(crisp) as api, pytest.raises(JournalError):
        Export(api, "contacts", out).run()
    assert not (tmp_path / "contacts.jsonl").exists()


def test_a_spool_shorter_than_the_journal_is_refused_and_kept(crisp, tmp_path):
    out = tmp_path / "contacts.jsonl"
    with connect(crisp) as api:
        _fail_on_page_3(crisp)
        with pytest.raises(BadRequestError):
            Export(api, "contacts", str(out)).run()
        spool = tmp_path / "contacts.jsonl.part"
        spool.write_bytes(spool.read_bytes()[:100])
        with pytest.raises(JournalError, match="shorter"):
            Export(api, "contacts", str(out)).run()
        assert len(spool.read_bytes()) == 100


def test_an_existing_file_is_replaced_only_when_asked(crisp, tmp_path):
    out = tmp_path / "contacts.csv"
    out.write_text("precious\n")
    with connect(crisp) as api:
        with pytest.raises(ConfigurationError, match="--overwrite"):
            Export(api, "contacts", str(out)).run()
        assert out.read_text() == "precious\n"
        Export(api, "contacts", str(out), overwrite=True).run()
    assert out.read_text().startswith("id,")


def test_formats_and_resources_are_checked_before_any_request(crisp, tmp_path):
    with connect(crisp) as api:
        crisp.clear_requests()
        with pytest.raises(ConfigurationError, match="--format"):
            Export(api, "contacts", str(tmp_path / "contacts.xlsx"))
        with pytest.raises(ConfigurationError, match="choose from .*contacts"):
            Export(api, "contactz", str(tmp_path / "c.csv"))
        assert crisp.requests == []


# -- the command --------------------------------------------------------------------------------
def test_the_command_reads_credentials_like_migrate(crisp, tmp_path, capsys, monkeypatch):
    creds = tmp_path / "crisp.env"
    creds.write_text("".join(f"{k}={v}\n" for k, v in crisp.credentials.items()))
    out = tmp_path / "people.csv"
    code = cli.main(["export", "crisp", "contacts", "-o", str(out), "--source-file", str(creds),
                     "--base-url", crisp.base_url, "--no-progress"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert captured.out == f"exported 100 contacts to {out}\n"
    assert len(out.read_text(encoding="utf-8").splitlines()) >= 101
    monkeypatch.setenv("CRISP_KEY", crisp.credentials["key"])
    monkeypatch.setenv("CRISP_IDENTIFIER", crisp.credentials["identifier"])
    monkeypatch.setenv("CRISP_WEBSITE_ID", crisp.credentials["website_id"])
    code = cli.main(["export", "crisp", "tags", "--format", "jsonl", "-o",
                     str(tmp_path / "tags.txt"), "--base-url", crisp.base_url])
    assert code == 0
    assert capsys.readouterr().out.startswith("exported ")


def test_command_errors_are_one_line_without_secrets(crisp, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("CRISP_KEY", "wrong-secret-value")
    monkeypatch.setenv("CRISP_IDENTIFIER", crisp.credentials["identifier"])
    monkeypatch.setenv("CRISP_WEBSITE_ID", crisp.credentials["website_id"])
    argv = ["export", "crisp", "contacts", "-o", str(tmp_path / "c.csv"),
            "--base-url", crisp.base_url, "--page-size", "20"]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "wrong-secret-value" not in err and "401" in err
    monkeypatch.setenv("CRISP_KEY", crisp.credentials["key"])
    _fail_on_page_3(crisp)
    assert cli.main(argv) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.endswith("run the same command again to resume\n")
    assert cli.main(argv) == 0
    assert capsys.readouterr().out.endswith("(60 in this run, resumed)\n")
    assert cli.main(argv[:3] + ["-o", str(tmp_path / "c.xlsx")]) == 2
    assert "--format" in capsys.readouterr().err
    assert cli.main(["export", "crisp", "nope", "-o", str(tmp_path / "c.csv")]) == 2
    assert "choose from" in capsys.readouterr().err


def test_nested_resources_and_non_lists_are_usage_errors(sim, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("INTERCOM_ACCESS_TOKEN", sim.credentials["access_token"])
    for resource, message in (("notes", "Note.all needs contact="),
                              ("events", "events cannot be exported on their own"),
                              ("counts", "counts is not a list of objects")):
        argv = ["export", "intercom", resource, "-o", str(tmp_path / f"{resource}.jsonl"),
                "--base-url", sim.base_url]
        assert cli.main(argv) == 2
        err = capsys.readouterr().err
        assert message in err and "resume" not in err and err.count("\n") == 1


def test_every_example_in_the_export_help_parses(capsys):
    assert cli.main(["export", "--help"]) == 0
    out = capsys.readouterr().out
    examples = [line.split()[1:] for line in out.splitlines()
                if line.startswith("  chatmodels export ")]
    assert len(examples) == 3
    parser = cli.build_parser()
    for argv in examples:
        args = parser.parse_args(argv)
        assert args.func and args.provider == registry.names()[0] and args.output


def test_a_refused_resume_cursor_starts_over_and_skips_what_is_written(sim, api, tmp_path):
    out = tmp_path / "contacts.jsonl"
    sim.fail(400, times=1, path="/contacts", method="GET")  # the first page: nothing written
    with pytest.raises(BadRequestError):
        Export(api, "contacts", str(out), page_size=50).run()
    first = Export(api, "contacts", str(out), page_size=50)
    journal = tmp_path / "contacts.jsonl.journal"
    # a run stopped after two pages, whose cursor the provider no longer accepts (expired)
    rows = expected_rows(api, "contacts")
    spool = tmp_path / "contacts.jsonl.part"
    spool.write_text("".join(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n"
                             for r in rows[:100]), encoding="utf-8")
    db = sqlite3.connect(journal)
    with db:
        db.executemany("INSERT INTO written (key) VALUES (?)",
                       [(json.dumps(r["id"]),) for r in rows[:100]])
        for key, value in (("offset", str(spool.stat().st_size)), ("count", "100"),
                           ("cursor", json.dumps({"next": "expired", "page_size": 50}))):
            db.execute("INSERT OR REPLACE INTO meta (value, key) VALUES (?, ?)", (value, key))
    db.close()
    sim.clear_requests()
    result = first.run()
    lists = [r.query.get("starting_after") for r in sim.requests if r.path == "/contacts"]
    assert lists[:2] == ["expired", None]  # refused (400), then from the first page
    assert jsonl(out) == rows
    assert (result.count, result.written, result.resumed) == (250, 150, True)
